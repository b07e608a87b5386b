//! An item object, `collection/ID/N`: its value through a session, its
//! label and attributes, and removal. Values travel in [`Secret`], wiped
//! when dropped and never printed.

use std::{collections::HashMap, sync::Arc};

use keyhaven_core::item::{Attributes, ItemValue};
use serde::{Deserialize, Serialize};
use zbus::{
    interface,
    message::Header,
    object_server::SignalEmitter,
    zvariant::{OwnedObjectPath, Type},
};
use zeroize::Zeroize as _;

use crate::{
    Error, State,
    caller::Caller,
    collection::CollectionObject,
    error::failed,
    service::{off_bus, sync_objects},
    session::Cipher,
    state::{ItemRef, collection_path, none},
};

/// The Secret Service's `(oayays)`: session, parameters (the IV), value,
/// content type.
#[derive(Serialize, Deserialize, Type)]
pub(crate) struct Secret {
    session: OwnedObjectPath,
    parameters: Vec<u8>,
    value: Vec<u8>,
    content_type: String,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret").field("session", &self.session).finish_non_exhaustive()
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl Secret {
    pub fn sealed(
        session: OwnedObjectPath,
        cipher: &Cipher,
        value: &ItemValue,
        content_type: String,
    ) -> Self {
        let (parameters, value) = cipher.encrypt(value.bytes());
        Self { session, parameters, value, content_type }
    }

    /// The value a client sent through its own session, and its content type.
    pub fn open(&self, state: &State, caller: &Caller) -> Result<(ItemValue, String), Error> {
        let plain = state.with_session(&self.session, &caller.sender, |cipher| {
            cipher.decrypt(&self.parameters, &self.value)
        })?;
        let content_type =
            if self.content_type.is_empty() { "text/plain".into() } else { self.content_type.clone() };
        Ok((ItemValue::new(plain.to_vec())?, content_type))
    }
}

pub(crate) struct ItemObject {
    pub state: Arc<State>,
    pub collection: String,
    pub reference: ItemRef,
}

impl ItemObject {
    async fn view(&self) -> zbus::fdo::Result<crate::state::ItemView> {
        let reference = self.reference;
        off_bus(&self.state, move |state| state.item(reference)).await.map_err(failed)
    }

    /// `ItemChanged` on the item's collection (its real path, as gnome-keyring
    /// emits it, whatever path the caller used); `item` is the item's own emitter.
    async fn changed(&self, item: &SignalEmitter<'_>) -> zbus::Result<()> {
        let emitter = SignalEmitter::new(item.connection(), collection_path(&self.collection))?;
        CollectionObject::item_changed(&emitter, item.path().clone()).await
    }
}

#[interface(name = "org.freedesktop.Secret.Item")]
impl ItemObject {
    async fn delete(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &zbus::Connection,
    ) -> Result<OwnedObjectPath, Error> {
        let caller = Caller::of(connection, &header).await?;
        let reference = self.reference;
        off_bus(&self.state, move |state| state.delete(reference)).await?;
        tracing::info!("secret service: {} removed an item", caller.describe());
        let path = header.path().map(|path| OwnedObjectPath::from(path.to_owned()));
        sync_objects(&self.state, connection.object_server()).await?;
        if let Some(path) = path {
            let emitter = SignalEmitter::new(connection, collection_path(&self.collection))?;
            CollectionObject::item_deleted(&emitter, path.as_ref()).await?;
        }
        Ok(none())
    }

    async fn get_secret(
        &self,
        session: OwnedObjectPath,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &zbus::Connection,
    ) -> Result<(Secret,), Error> {
        // A tuple: zbus sends a lone struct's fields as the reply's
        // arguments, and the specification's reply is one (oayays).
        let caller = Caller::of(connection, &header).await?;
        self.state.with_session(&session, &caller.sender, |_| Ok(()))?;
        let reference = self.reference;
        off_bus(&self.state, move |state| {
            let (value, content_type) = state.read(&caller, reference)?;
            state.with_session(&session, &caller.sender, |cipher| {
                Ok((Secret::sealed(session.clone(), cipher, &value, content_type),))
            })
        })
        .await
    }

    async fn set_secret(
        &self,
        secret: Secret,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &zbus::Connection,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> Result<(), Error> {
        let caller = Caller::of(connection, &header).await?;
        let (value, content_type) = secret.open(&self.state, &caller)?;
        let reference = self.reference;
        off_bus(&self.state, move |state| state.set_value(&caller, reference, value, content_type)).await?;
        self.changed(&emitter).await?;
        Ok(())
    }

    #[zbus(property)]
    async fn locked(&self) -> zbus::fdo::Result<bool> {
        let reference = self.reference;
        off_bus(&self.state, move |state| Ok(state.item_locked(reference))).await.map_err(failed)
    }

    #[zbus(property)]
    async fn attributes(&self) -> zbus::fdo::Result<HashMap<String, String>> {
        Ok(self.view().await?.attributes.into_iter().collect())
    }

    /// zbus then emits `PropertiesChanged`; the collection's `ItemChanged` is ours.
    #[zbus(property)]
    async fn set_attributes(
        &mut self,
        attributes: HashMap<String, String>,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> zbus::fdo::Result<()> {
        let attributes: Attributes = attributes.into_iter().collect();
        let reference = self.reference;
        off_bus(&self.state, move |state| state.edit(reference, None, Some(&attributes)))
            .await
            .map_err(failed)?;
        Ok(self.changed(&emitter).await?)
    }

    #[zbus(property)]
    async fn label(&self) -> zbus::fdo::Result<String> {
        Ok(self.view().await?.label)
    }

    #[zbus(property)]
    async fn set_label(
        &mut self,
        label: String,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> zbus::fdo::Result<()> {
        let reference = self.reference;
        off_bus(&self.state, move |state| state.edit(reference, Some(&label), None)).await.map_err(failed)?;
        Ok(self.changed(&emitter).await?)
    }

    #[zbus(property)]
    async fn created(&self) -> zbus::fdo::Result<u64> {
        Ok(self.view().await?.created.as_second().max(0).unsigned_abs())
    }

    #[zbus(property)]
    async fn modified(&self) -> zbus::fdo::Result<u64> {
        Ok(self.view().await?.modified.as_second().max(0).unsigned_abs())
    }
}
