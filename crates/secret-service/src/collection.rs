//! A collection object: `collection/ID`, or an alias (`aliases/default`)
//! resolved at each call, so pointing an alias elsewhere needs no new object.

use std::{collections::HashMap, sync::Arc};

use keyhaven_core::item::{Attributes, NewItem};
use zbus::{
    interface,
    message::Header,
    object_server::SignalEmitter,
    zvariant::{ObjectPath, OwnedObjectPath, OwnedValue},
};

use crate::{
    Error, SERVICE_PATH, State,
    caller::Caller,
    error::failed,
    item::Secret,
    service::{ServiceObject, off_bus, sync_objects},
    state::{SESSION_COLLECTION, collection_path, none},
};

pub(crate) enum Named {
    Id(String),
    Alias(String),
}

pub(crate) struct CollectionObject {
    pub state: Arc<State>,
    pub named: Named,
}

impl CollectionObject {
    fn id(&self) -> Result<String, Error> {
        match &self.named {
            Named::Id(id) => Ok(id.clone()),
            Named::Alias(alias) => self
                .state
                .alias(alias)
                .ok_or_else(|| Error::NoSuchObject(format!("the alias {alias} is not set"))),
        }
    }

    async fn info(&self) -> Result<keyhaven_core::item::CollectionInfo, Error> {
        let id = self.id()?;
        off_bus(&self.state, move |state| state.collection(&id)).await
    }
}

#[interface(name = "org.freedesktop.Secret.Collection")]
impl CollectionObject {
    /// Removes a collection a program made, with its items; the default
    /// collection stays.
    async fn delete(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &zbus::Connection,
    ) -> Result<OwnedObjectPath, Error> {
        Caller::of(connection, &header).await?;
        let id = self.id()?;
        let removed = id.clone();
        off_bus(&self.state, move |state| state.delete_collection(&removed)).await?;
        let path = collection_path(&id);
        if id != SESSION_COLLECTION {
            connection.object_server().remove::<CollectionObject, _>(&path).await?;
        }
        sync_objects(&self.state, connection.object_server()).await?;
        let emitter = SignalEmitter::new(connection, SERVICE_PATH)?;
        ServiceObject::collection_deleted(&emitter, path.as_ref()).await?;
        Ok(none())
    }

    async fn search_items(
        &self,
        attributes: HashMap<String, String>,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &zbus::Connection,
    ) -> Result<Vec<OwnedObjectPath>, Error> {
        Caller::of(connection, &header).await?;
        let wanted: Attributes = attributes.into_iter().collect();
        keyhaven_core::item::check_attributes(&wanted)?;
        let id = self.id()?;
        let items = sync_objects(&self.state, connection.object_server()).await?;
        Ok(items
            .iter()
            .filter(|item| item.collection == id && item.matches(&wanted))
            .map(|item| item.path())
            .collect())
    }

    #[zbus(out_args("item", "prompt"))]
    async fn create_item(
        &self,
        properties: HashMap<String, OwnedValue>,
        secret: Secret,
        replace: bool,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &zbus::Connection,
    ) -> Result<(OwnedObjectPath, OwnedObjectPath), Error> {
        let caller = Caller::of(connection, &header).await?;
        let label = match properties.get("org.freedesktop.Secret.Item.Label") {
            Some(value) => {
                String::try_from(value.try_clone()?).map_err(|_| Error::invalid("Label is a string"))?
            }
            None => String::new(),
        };
        let attributes: Attributes = match properties.get("org.freedesktop.Secret.Item.Attributes") {
            Some(value) => HashMap::<String, String>::try_from(value.try_clone()?)
                .map_err(|_| Error::invalid("Attributes are a{ss}"))?
                .into_iter()
                .collect(),
            None => Attributes::new(),
        };
        let (value, content_type) = secret.open(&self.state, &caller)?;
        let id = self.id()?;
        let new = NewItem { collection: id, label, attributes, content_type };
        let (item, created) =
            off_bus(&self.state, move |state| state.store(&caller, new, value, replace)).await?;
        sync_objects(&self.state, connection.object_server()).await?;
        let path = item.path();
        // On the collection's own path, also when the call came through an alias.
        let emitter = SignalEmitter::new(connection, collection_path(&item.collection))?;
        if created {
            Self::item_created(&emitter, path.as_ref()).await?;
        } else {
            Self::item_changed(&emitter, path.as_ref()).await?;
        }
        Ok((path, none()))
    }

    #[zbus(property)]
    async fn items(&self) -> zbus::fdo::Result<Vec<OwnedObjectPath>> {
        let id = self.id().map_err(failed)?;
        let items = off_bus(&self.state, move |state| state.items_in(&id)).await.map_err(failed)?;
        Ok(items.iter().map(|item| item.path()).collect())
    }

    #[zbus(property)]
    async fn label(&self) -> zbus::fdo::Result<String> {
        Ok(self.info().await.map_err(failed)?.label)
    }

    /// Labels of collections are Keyhaven's: a program cannot rename them.
    #[zbus(property)]
    async fn set_label(&mut self, _label: String) -> zbus::fdo::Result<()> {
        Err(zbus::fdo::Error::NotSupported("Keyhaven's collections keep their labels".into()))
    }

    #[zbus(property)]
    async fn locked(&self) -> zbus::fdo::Result<bool> {
        let id = self.id().map_err(failed)?;
        Ok(id != SESSION_COLLECTION
            && off_bus(&self.state, |state| Ok(state.locked())).await.map_err(failed)?)
    }

    #[zbus(property)]
    async fn created(&self) -> zbus::fdo::Result<u64> {
        Ok(self.info().await.map_err(failed)?.created.as_second().max(0).unsigned_abs())
    }

    #[zbus(property)]
    async fn modified(&self) -> zbus::fdo::Result<u64> {
        let id = self.id().map_err(failed)?;
        let items = off_bus(&self.state, move |state| state.items_in(&id)).await.map_err(failed)?;
        let newest = items.iter().map(|item| item.modified.as_second()).max();
        let created = self.info().await.map_err(failed)?.created.as_second();
        Ok(newest.unwrap_or(created).max(0).unsigned_abs())
    }

    #[zbus(signal)]
    pub(crate) async fn item_created(emitter: &SignalEmitter<'_>, item: ObjectPath<'_>) -> zbus::Result<()>;

    #[zbus(signal)]
    pub(crate) async fn item_deleted(emitter: &SignalEmitter<'_>, item: ObjectPath<'_>) -> zbus::Result<()>;

    #[zbus(signal)]
    pub(crate) async fn item_changed(emitter: &SignalEmitter<'_>, item: ObjectPath<'_>) -> zbus::Result<()>;
}
