//! The service object, `/org/freedesktop/secrets`: sessions, search,
//! unlock and lock, secrets of several items at once, aliases and new
//! collections. Also what keeps the exported objects in step with the file.

use std::{collections::HashMap, sync::Arc};

use keyhaven_core::item::Attributes;
use zbus::{
    interface,
    message::Header,
    object_server::SignalEmitter,
    zvariant::{ObjectPath, OwnedObjectPath, OwnedValue},
};

use crate::{
    Error, SERVICE_PATH, State,
    caller::Caller,
    collection::{CollectionObject, Named},
    item::{ItemObject, Secret},
    prompt::PromptObject,
    session::{Cipher, SessionObject},
    state::{ItemRef, ItemView, SESSION_COLLECTION, alias_path, collection_path, lock, none},
};

/// What an object path names.
pub(crate) enum Target {
    Collection(String),
    Item(ItemRef),
}

/// The collection or item `path` names (aliases resolved), if it is one of ours.
pub(crate) fn resolve(state: &State, path: &ObjectPath<'_>) -> Option<Target> {
    let rest = path.as_str().strip_prefix(SERVICE_PATH)?.strip_prefix('/')?;
    let mut parts = rest.split('/');
    let (kind, name, item) = (parts.next()?, parts.next()?, parts.next());
    if parts.next().is_some() {
        return None;
    }
    let collection = match kind {
        "collection" => name.to_owned(),
        "aliases" => state.alias(name)?,
        _ => return None,
    };
    match item {
        None => Some(Target::Collection(collection)),
        Some(id) => {
            let id: u64 = id.parse().ok()?;
            Some(Target::Item(if collection == SESSION_COLLECTION {
                ItemRef::Memory(id)
            } else {
                ItemRef::Vault(i64::try_from(id).ok()?)
            }))
        }
    }
}

/// Whether `path` names a collection or an item the vault keeps (the
/// `session` collection's are in memory, never locked).
fn in_vault(state: &State, path: &ObjectPath<'_>) -> bool {
    match resolve(state, path) {
        Some(Target::Collection(id)) => id != SESSION_COLLECTION,
        Some(Target::Item(reference)) => matches!(reference, ItemRef::Vault(_)),
        None => false,
    }
}

/// Exports the service and the objects the file holds now, and follows
/// clients that leave the bus (their sessions end).
pub(crate) async fn export(state: &Arc<State>, connection: &zbus::Connection) -> zbus::Result<()> {
    let server = connection.object_server();
    server.at(SERVICE_PATH, ServiceObject { state: state.clone() }).await?;
    sync_objects(state, server).await.map_err(|err| zbus::Error::Failure(err.to_string()))?;
    let (state, connection_for_task) = (state.clone(), connection.clone());
    connection
        .executor()
        .spawn(
            async move {
                if let Err(err) = follow_clients(&state, &connection_for_task).await {
                    tracing::warn!("secret service: cannot follow clients leaving the bus: {err}");
                }
            },
            "keyhaven-secret-service-clients",
        )
        .detach();
    Ok(())
}

async fn follow_clients(state: &State, connection: &zbus::Connection) -> zbus::Result<()> {
    use futures_lite::StreamExt as _;
    let dbus = zbus::fdo::DBusProxy::new(connection).await?;
    let mut changes = dbus.receive_name_owner_changed().await?;
    while let Some(change) = changes.next().await {
        let args = change.args()?;
        if args.new_owner().is_none() {
            for path in state.client_left(args.name()) {
                let _ = connection.object_server().remove::<SessionObject, _>(&path).await;
            }
        }
    }
    Ok(())
}

/// An item object to export: its collection and the item.
type Export = (String, ItemRef);

/// Exports every collection, alias and item the file holds now, and
/// removes the objects of items gone from it; the items, as read.
pub(crate) async fn sync_objects(
    state: &Arc<State>,
    server: &zbus::ObjectServer,
) -> Result<Vec<ItemView>, Error> {
    let (collections, items) = {
        let state = state.clone();
        blocking::unblock(move || Ok::<_, Error>((state.collections()?, state.items()?))).await?
    };
    for collection in &collections {
        let object = CollectionObject { state: state.clone(), named: Named::Id(collection.id.clone()) };
        server.at(collection_path(&collection.id), object).await?;
    }
    for (alias, _) in state.aliases() {
        if let Some(path) = alias_path(&alias) {
            server.at(path, CollectionObject { state: state.clone(), named: Named::Alias(alias) }).await?;
        }
    }
    let wanted: HashMap<OwnedObjectPath, Export> =
        items.iter().map(|item| (item.path(), (item.collection.clone(), item.reference))).collect();
    let (stale, new): (Vec<OwnedObjectPath>, Vec<(OwnedObjectPath, Export)>) = {
        let mut exported = lock(&state.exported);
        let stale: Vec<_> = exported.iter().filter(|path| !wanted.contains_key(*path)).cloned().collect();
        let new: Vec<_> = wanted
            .iter()
            .filter(|(path, _)| !exported.contains(*path))
            .map(|(p, w)| (p.clone(), w.clone()))
            .collect();
        exported.retain(|path| wanted.contains_key(path));
        exported.extend(new.iter().map(|(path, _)| path.clone()));
        (stale, new)
    };
    for path in stale {
        match server.remove::<ItemObject, _>(&path).await {
            // Gone with its collection's object already.
            Ok(_) | Err(zbus::Error::InterfaceNotFound) => {}
            Err(err) => return Err(err.into()),
        }
    }
    for (path, (collection, reference)) in new {
        server.at(path, ItemObject { state: state.clone(), collection, reference }).await?;
    }
    Ok(items)
}

/// Runs a blocking step of `state` off the bus's executor.
pub(crate) async fn off_bus<R: Send + 'static>(
    state: &Arc<State>,
    step: impl FnOnce(&State) -> Result<R, Error> + Send + 'static,
) -> Result<R, Error> {
    let state = state.clone();
    blocking::unblock(move || step(&state)).await
}

pub(crate) struct ServiceObject {
    pub state: Arc<State>,
}

#[interface(name = "org.freedesktop.Secret.Service")]
impl ServiceObject {
    #[zbus(out_args("output", "result"))]
    async fn open_session(
        &self,
        algorithm: String,
        input: OwnedValue,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &zbus::Connection,
        #[zbus(object_server)] server: &zbus::ObjectServer,
    ) -> Result<(OwnedValue, OwnedObjectPath), Error> {
        let caller = Caller::of(connection, &header).await?;
        let (cipher, output) = Cipher::negotiate(&algorithm, &input)?;
        let path = OwnedObjectPath::try_from(format!("{SERVICE_PATH}/session/s{}", self.state.next_id()))?;
        self.state.open_session(path.clone(), &caller.sender, cipher)?;
        server.at(&path, SessionObject { state: self.state.clone() }).await?;
        Ok((output, path))
    }

    #[zbus(out_args("collection", "prompt"))]
    async fn create_collection(
        &self,
        properties: HashMap<String, OwnedValue>,
        alias: String,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &zbus::Connection,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> Result<(OwnedObjectPath, OwnedObjectPath), Error> {
        Caller::of(connection, &header).await?;
        if !alias.is_empty()
            && let Some(existing) = self.state.alias(&alias)
        {
            return Ok((collection_path(&existing), none()));
        }
        let label = match properties.get("org.freedesktop.Secret.Collection.Label") {
            Some(value) => {
                String::try_from(value.try_clone()?).map_err(|_| Error::invalid("Label is a string"))?
            }
            None => String::new(),
        };
        let created = off_bus(&self.state, move |state| state.create_collection(&label)).await?;
        if !alias.is_empty() {
            self.state.set_alias(&alias, Some(created.id.clone()))?;
        }
        sync_objects(&self.state, connection.object_server()).await?;
        let path = collection_path(&created.id);
        Self::collection_created(&emitter, path.as_ref()).await?;
        Ok((path, none()))
    }

    #[zbus(out_args("unlocked", "locked"))]
    async fn search_items(
        &self,
        attributes: HashMap<String, String>,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &zbus::Connection,
    ) -> Result<(Vec<OwnedObjectPath>, Vec<OwnedObjectPath>), Error> {
        Caller::of(connection, &header).await?;
        let wanted: Attributes = attributes.into_iter().collect();
        keyhaven_core::item::check_attributes(&wanted)?;
        let items = sync_objects(&self.state, connection.object_server()).await?;
        off_bus(&self.state, move |state| {
            let locked = state.locked();
            let (mut open, mut shut) = (Vec::new(), Vec::new());
            for item in items.into_iter().filter(|item| item.matches(&wanted)) {
                let list =
                    if locked && matches!(item.reference, ItemRef::Vault(_)) { &mut shut } else { &mut open };
                list.push(item.path());
            }
            Ok((open, shut))
        })
        .await
    }

    /// Unlocked at once, or a prompt that shows the host's unlock window.
    #[zbus(out_args("unlocked", "prompt"))]
    async fn unlock(
        &self,
        objects: Vec<OwnedObjectPath>,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &zbus::Connection,
    ) -> Result<(Vec<OwnedObjectPath>, OwnedObjectPath), Error> {
        let caller = Caller::of(connection, &header).await?;
        let state = &self.state;
        let known: Vec<OwnedObjectPath> =
            objects.into_iter().filter(|path| resolve(state, path).is_some()).collect();
        let locked = off_bus(state, |state| Ok(state.locked())).await?;
        if !locked || !known.iter().any(|path| in_vault(state, path)) {
            return Ok((known, none()));
        }
        if !self.state.host.can_unlock() {
            return Err(Error::IsLocked(
                "Keyhaven is locked, and `keyhaven secret-service` cannot ask for the passphrase: start it again".into(),
            ));
        }
        let path = OwnedObjectPath::try_from(format!("{SERVICE_PATH}/prompt/p{}", self.state.next_id()))?;
        let prompt = PromptObject {
            state: self.state.clone(),
            why: format!("{} asks for your passwords", caller.describe()),
            objects: known,
            used: std::sync::atomic::AtomicBool::new(false),
        };
        connection.object_server().at(&path, prompt).await?;
        Ok((Vec::new(), path))
    }

    #[zbus(out_args("locked", "Prompt"))]
    async fn lock(
        &self,
        objects: Vec<OwnedObjectPath>,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &zbus::Connection,
    ) -> Result<(Vec<OwnedObjectPath>, OwnedObjectPath), Error> {
        let caller = Caller::of(connection, &header).await?;
        let vault_objects: Vec<OwnedObjectPath> =
            objects.into_iter().filter(|path| in_vault(&self.state, path)).collect();
        if !vault_objects.is_empty() {
            tracing::info!("secret service: {} locked the vault", caller.describe());
            off_bus(&self.state, |state| {
                state.lock();
                Ok(())
            })
            .await?;
        }
        Ok((vault_objects, none()))
    }

    /// The values of `items` the caller may read now; locked items, and
    /// those the user did not allow, are left out (as gnome-keyring leaves
    /// out locked ones).
    async fn get_secrets(
        &self,
        items: Vec<OwnedObjectPath>,
        session: OwnedObjectPath,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &zbus::Connection,
    ) -> Result<HashMap<OwnedObjectPath, Secret>, Error> {
        let caller = Caller::of(connection, &header).await?;
        self.state.with_session(&session, &caller.sender, |_| Ok(()))?;
        if items.len() > 1024 {
            return Err(Error::invalid("at most 1024 items at once"));
        }
        let targets: Vec<(OwnedObjectPath, ItemRef)> = items
            .into_iter()
            .filter_map(|path| match resolve(&self.state, &path) {
                Some(Target::Item(reference)) => Some((path, reference)),
                _ => None,
            })
            .collect();
        off_bus(&self.state, move |state| {
            let mut secrets = HashMap::new();
            for (path, reference) in targets {
                match state.read(&caller, reference) {
                    Ok((value, content_type)) => {
                        let secret = state.with_session(&session, &caller.sender, |cipher| {
                            Ok(Secret::sealed(session.clone(), cipher, &value, content_type))
                        })?;
                        secrets.insert(path, secret);
                    }
                    Err(err) => {
                        tracing::info!("secret service: {path} left out for {}: {err}", caller.describe())
                    }
                }
            }
            Ok(secrets)
        })
        .await
    }

    async fn read_alias(&self, name: String) -> OwnedObjectPath {
        match (self.state.alias(&name), alias_path(&name)) {
            (Some(id), _) => collection_path(&id),
            _ => none(),
        }
    }

    async fn set_alias(
        &self,
        name: String,
        collection: OwnedObjectPath,
        #[zbus(header)] header: Header<'_>,
        #[zbus(connection)] connection: &zbus::Connection,
    ) -> Result<(), Error> {
        Caller::of(connection, &header).await?;
        let target = match collection.as_str() {
            "/" => None,
            _ => match resolve(&self.state, &collection) {
                Some(Target::Collection(id)) => {
                    let known = id.clone();
                    off_bus(&self.state, move |state| state.collection(&known)).await?;
                    Some(id)
                }
                _ => return Err(Error::NoSuchObject(format!("{collection} is not a collection"))),
            },
        };
        self.state.set_alias(&name, target)?;
        sync_objects(&self.state, connection.object_server()).await.map(drop)
    }

    #[zbus(property)]
    async fn collections(&self) -> zbus::fdo::Result<Vec<OwnedObjectPath>> {
        let collections = off_bus(&self.state, |state| state.collections())
            .await
            .map_err(|err| zbus::fdo::Error::Failed(err.to_string()))?;
        Ok(collections.iter().map(|collection| collection_path(&collection.id)).collect())
    }

    #[zbus(signal)]
    pub(crate) async fn collection_created(
        emitter: &SignalEmitter<'_>,
        collection: ObjectPath<'_>,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    pub(crate) async fn collection_deleted(
        emitter: &SignalEmitter<'_>,
        collection: ObjectPath<'_>,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    pub(crate) async fn collection_changed(
        emitter: &SignalEmitter<'_>,
        collection: ObjectPath<'_>,
    ) -> zbus::Result<()>;
}
