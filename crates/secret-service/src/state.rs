//! What every object shares: where the vault is, its host, the approvals,
//! the open sessions and the in-memory `session` collection. The steps here
//! are blocking (the vault, a question to the user); the D-Bus objects run
//! them off zbus's executor with `blocking::unblock`.

use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use jiff::Timestamp;
use keyhaven_core::{
    Vault,
    approval::Subject,
    item::{self, Attributes, CollectionInfo, DEFAULT_COLLECTION, ItemInfo, ItemValue, NewItem},
};
use zbus::zvariant::{ObjectPath, OwnedObjectPath};

use crate::{Confirm, Error, Host, caller::Caller, session::Cipher};

/// The collection kept in memory only, for the host's lifetime.
pub(crate) const SESSION_COLLECTION: &str = "session";
/// Sessions open at once, at most (a client that opens and never closes
/// cannot grow the service without bound).
const MAX_SESSIONS: usize = 1024;
/// Items in the `session` collection, at most.
const MAX_MEMORY_ITEMS: usize = 1024;

/// An item: in the vault (its secret's row id), or in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ItemRef {
    Vault(i64),
    Memory(u64),
}

/// An item as clients see it, without its value.
#[derive(Debug, Clone)]
pub(crate) struct ItemView {
    pub reference: ItemRef,
    pub collection: String,
    pub label: String,
    pub attributes: Attributes,
    pub created: Timestamp,
    pub modified: Timestamp,
}

impl ItemView {
    fn of(info: ItemInfo) -> Self {
        Self {
            reference: ItemRef::Vault(info.id),
            collection: info.collection,
            label: info.label,
            attributes: info.attributes,
            created: info.created,
            modified: info.modified,
        }
    }

    pub fn path(&self) -> OwnedObjectPath {
        item_path(&self.collection, self.reference)
    }

    pub fn matches(&self, wanted: &Attributes) -> bool {
        item::matches(&self.attributes, wanted)
    }
}

struct MemoryItem {
    view: ItemView,
    content_type: String,
    value: ItemValue,
}

struct Session {
    owner: String,
    cipher: Cipher,
}

pub(crate) struct State {
    pub vault_path: PathBuf,
    pub host: Arc<dyn Host>,
    pub confirm: Confirm,
    sessions: Mutex<HashMap<OwnedObjectPath, Session>>,
    memory: Mutex<Vec<MemoryItem>>,
    /// Alias → collection id; `default` is `login` until a client sets it.
    aliases: Mutex<HashMap<String, String>>,
    next: AtomicU64,
    /// Item objects exported, so the object server follows the file.
    pub exported: Mutex<HashSet<OwnedObjectPath>>,
}

pub(crate) fn collection_path(id: &str) -> OwnedObjectPath {
    path(format!("{}/collection/{id}", crate::SERVICE_PATH))
}

pub(crate) fn alias_path(alias: &str) -> Option<OwnedObjectPath> {
    let valid = !alias.is_empty()
        && alias.len() <= 64
        && alias.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| path(format!("{}/aliases/{alias}", crate::SERVICE_PATH)))
}

pub(crate) fn item_path(collection: &str, reference: ItemRef) -> OwnedObjectPath {
    let id = match reference {
        ItemRef::Vault(id) => id.unsigned_abs(),
        ItemRef::Memory(id) => id,
    };
    path(format!("{}/collection/{collection}/{id}", crate::SERVICE_PATH))
}

/// "/" : no object (no prompt, no collection).
pub(crate) fn none() -> OwnedObjectPath {
    path("/".into())
}

fn path(text: String) -> OwnedObjectPath {
    // Every path here is made of ids that are `[A-Za-z0-9_]`.
    OwnedObjectPath::try_from(text)
        .unwrap_or_else(|_| OwnedObjectPath::from(ObjectPath::from_static_str_unchecked("/")))
}

impl State {
    pub fn new(vault_path: PathBuf, host: Arc<dyn Host>, confirm: Confirm) -> Self {
        let aliases = HashMap::from([("default".to_owned(), DEFAULT_COLLECTION.to_owned())]);
        Self {
            vault_path,
            host,
            confirm,
            sessions: Mutex::default(),
            memory: Mutex::default(),
            aliases: Mutex::new(aliases),
            next: AtomicU64::new(1),
            exported: Mutex::default(),
        }
    }

    pub fn next_id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    fn vault(&self) -> Result<Vault, Error> {
        Ok(Vault::open(&self.vault_path)?)
    }

    /// Whether the vault is locked (the `session` collection never is).
    pub fn locked(&self) -> bool {
        !self.host.with_vault(&mut |_| {})
    }

    /// Runs `step` on the host's unlocked vault; `IsLocked` while locked.
    fn on_vault<R>(
        &self,
        step: impl FnOnce(&mut keyhaven_core::UnlockedVault) -> keyhaven_core::Result<R>,
    ) -> Result<R, Error> {
        let mut step = Some(step);
        let mut out = None;
        self.host.with_vault(&mut |vault| {
            if let Some(step) = step.take() {
                out = Some(step(vault));
            }
        });
        match out {
            Some(result) => Ok(result?),
            None => Err(Error::IsLocked("Keyhaven is locked: unlock it, then ask again".into())),
        }
    }

    // Collections and aliases.

    /// Every collection: the vault's, then `session`.
    pub fn collections(&self) -> Result<Vec<CollectionInfo>, Error> {
        let mut all = self.vault()?.item_collections()?;
        all.push(CollectionInfo {
            id: SESSION_COLLECTION.into(),
            label: "Session".into(),
            created: Timestamp::now(),
        });
        Ok(all)
    }

    pub fn collection(&self, id: &str) -> Result<CollectionInfo, Error> {
        self.collections()?
            .into_iter()
            .find(|collection| collection.id == id)
            .ok_or_else(|| Error::NoSuchObject(format!("there is no collection {id}")))
    }

    pub fn aliases(&self) -> Vec<(String, String)> {
        lock(&self.aliases).iter().map(|(alias, id)| (alias.clone(), id.clone())).collect()
    }

    pub fn alias(&self, alias: &str) -> Option<String> {
        lock(&self.aliases).get(alias).cloned()
    }

    /// Points `alias` at collection `id` (`None`: removes it).
    pub fn set_alias(&self, alias: &str, id: Option<String>) -> Result<(), Error> {
        if alias_path(alias).is_none() {
            return Err(Error::invalid("aliases are 1 to 64 ASCII letters, digits or _"));
        }
        let mut aliases = lock(&self.aliases);
        match id {
            Some(id) => aliases.insert(alias.to_owned(), id),
            None => aliases.remove(alias),
        };
        Ok(())
    }

    /// Makes a collection labelled `label` (a Keyhaven folder, never a new vault).
    pub fn create_collection(&self, label: &str) -> Result<CollectionInfo, Error> {
        self.on_vault(|vault| vault.create_collection(label))
    }

    pub fn delete_collection(&self, id: &str) -> Result<(), Error> {
        if id == SESSION_COLLECTION {
            lock(&self.memory).clear();
            return Ok(());
        }
        self.on_vault(|vault| vault.remove_collection(id)).map(drop)
    }

    // Items.

    /// Every item, the vault's and the session's.
    pub fn items(&self) -> Result<Vec<ItemView>, Error> {
        let mut all: Vec<ItemView> = self.vault()?.items()?.into_iter().map(ItemView::of).collect();
        all.extend(lock(&self.memory).iter().map(|item| item.view.clone()));
        Ok(all)
    }

    pub fn items_in(&self, collection: &str) -> Result<Vec<ItemView>, Error> {
        if collection == SESSION_COLLECTION {
            return Ok(lock(&self.memory).iter().map(|item| item.view.clone()).collect());
        }
        Ok(self
            .vault()?
            .items()?
            .into_iter()
            .filter(|item| item.collection == collection)
            .map(ItemView::of)
            .collect())
    }

    pub fn item(&self, reference: ItemRef) -> Result<ItemView, Error> {
        let found = match reference {
            ItemRef::Vault(id) => self.vault()?.item(id)?.map(ItemView::of),
            ItemRef::Memory(_) => lock(&self.memory)
                .iter()
                .find(|item| item.view.reference == reference)
                .map(|item| item.view.clone()),
        };
        found.ok_or_else(|| Error::NoSuchObject("the item is gone".into()))
    }

    /// Whether `reference` cannot be read now.
    pub fn item_locked(&self, reference: ItemRef) -> bool {
        matches!(reference, ItemRef::Vault(_)) && self.locked()
    }

    /// The value of `reference` for `caller`, once allowed, and its content type.
    pub fn read(&self, caller: &Caller, reference: ItemRef) -> Result<(ItemValue, String), Error> {
        let id = match reference {
            ItemRef::Memory(_) => {
                let memory = lock(&self.memory);
                let item = memory
                    .iter()
                    .find(|item| item.view.reference == reference)
                    .ok_or_else(|| Error::NoSuchObject("the item is gone".into()))?;
                return Ok((ItemValue::new(item.value.bytes().to_vec())?, item.content_type.clone()));
            }
            ItemRef::Vault(id) => id,
        };
        let info = self.vault()?.item(id)?.ok_or_else(|| Error::NoSuchObject("the item is gone".into()))?;
        if self.locked() {
            return Err(Error::IsLocked("Keyhaven is locked: unlock it, then ask again".into()));
        }
        self.approve(caller, &info)?;
        let who = format!("secret service: {}", caller.describe());
        let (info, value) = self.on_vault(|vault| vault.read_item(id, &who))?;
        Ok((value, info.content_type))
    }

    /// Asks (or remembers) whether `caller` may read `info`'s value.
    fn approve(&self, caller: &Caller, info: &ItemInfo) -> Result<(), Error> {
        let Confirm::Ask(approvals) = &self.confirm else {
            return Ok(());
        };
        let (Some(pid), Some(exe)) = (caller.pid, caller.exe.as_deref()) else {
            return Err(Error::AccessDenied(format!("cannot tell which program {} is", caller.sender)));
        };
        let program = approvals.program(pid, exe)?;
        let subject = Subject::item(info);
        let allowed = approvals.allow(&program, &subject, |step| {
            let mut out = None;
            self.host.with_vault(&mut |vault| out = Some(step(vault)));
            out.unwrap_or(Err(keyhaven_core::Error::Locked))
        })?;
        if allowed {
            Ok(())
        } else {
            Err(Error::AccessDenied(format!("the user did not allow {} to read it", program.describe())))
        }
    }

    /// Stores `new` for `caller`; whether it made an item (not replaced one).
    pub fn store(
        &self,
        caller: &Caller,
        new: NewItem,
        value: ItemValue,
        replace: bool,
    ) -> Result<(ItemView, bool), Error> {
        new.validate()?;
        if new.collection == SESSION_COLLECTION {
            return self.store_in_memory(new, value, replace);
        }
        let origin = format!("secret service: {}", caller.describe());
        let (info, created) = self.on_vault(|vault| vault.store_item(&new, &value, replace, &origin))?;
        Ok((ItemView::of(info), created))
    }

    fn store_in_memory(
        &self,
        new: NewItem,
        value: ItemValue,
        replace: bool,
    ) -> Result<(ItemView, bool), Error> {
        let mut memory = lock(&self.memory);
        let now = Timestamp::now();
        if replace && let Some(item) = memory.iter_mut().find(|item| item.view.attributes == new.attributes) {
            item.view.label = new.label;
            item.view.modified = now;
            item.content_type = new.content_type;
            item.value = value;
            return Ok((item.view.clone(), false));
        }
        if memory.len() >= MAX_MEMORY_ITEMS {
            return Err(Error::Failed(format!(
                "the session collection holds at most {MAX_MEMORY_ITEMS} items"
            )));
        }
        let view = ItemView {
            reference: ItemRef::Memory(self.next_id()),
            collection: SESSION_COLLECTION.into(),
            label: new.label,
            attributes: new.attributes,
            created: now,
            modified: now,
        };
        memory.push(MemoryItem { view: view.clone(), content_type: new.content_type, value });
        Ok((view, true))
    }

    pub fn set_value(
        &self,
        caller: &Caller,
        reference: ItemRef,
        value: ItemValue,
        content_type: String,
    ) -> Result<(), Error> {
        match reference {
            ItemRef::Memory(_) => {
                let mut memory = lock(&self.memory);
                let item = memory
                    .iter_mut()
                    .find(|item| item.view.reference == reference)
                    .ok_or_else(|| Error::NoSuchObject("the item is gone".into()))?;
                item.value = value;
                item.content_type = content_type;
                item.view.modified = Timestamp::now();
                Ok(())
            }
            ItemRef::Vault(id) => {
                let origin = format!("secret service: {}", caller.describe());
                self.on_vault(|vault| vault.set_item_value(id, &value, &origin)).map(drop)
            }
        }
    }

    pub fn edit(
        &self,
        reference: ItemRef,
        label: Option<&str>,
        attributes: Option<&Attributes>,
    ) -> Result<(), Error> {
        match reference {
            ItemRef::Memory(_) => {
                label.map(item::check_label).transpose()?;
                attributes.map(item::check_attributes).transpose()?;
                let mut memory = lock(&self.memory);
                let item = memory
                    .iter_mut()
                    .find(|item| item.view.reference == reference)
                    .ok_or_else(|| Error::NoSuchObject("the item is gone".into()))?;
                if let Some(label) = label {
                    item.view.label = label.to_owned();
                }
                if let Some(attributes) = attributes {
                    item.view.attributes = attributes.clone();
                }
                item.view.modified = Timestamp::now();
                Ok(())
            }
            ItemRef::Vault(id) => {
                self.on_vault(|vault| vault.edit_item(id, label, attributes, None)).map(drop)
            }
        }
    }

    pub fn delete(&self, reference: ItemRef) -> Result<(), Error> {
        match reference {
            ItemRef::Memory(_) => {
                lock(&self.memory).retain(|item| item.view.reference != reference);
                Ok(())
            }
            ItemRef::Vault(id) => self.on_vault(|vault| vault.remove_item(id)).map(drop),
        }
    }

    /// Locks the vault: reads fail until it is unlocked, and what was allowed
    /// until lock is forgotten.
    pub fn lock(&self) {
        self.host.lock();
        if let Confirm::Ask(approvals) = &self.confirm {
            approvals.lock();
        }
    }

    // Sessions.

    pub fn open_session(&self, path: OwnedObjectPath, owner: &str, cipher: Cipher) -> Result<(), Error> {
        let mut sessions = lock(&self.sessions);
        if sessions.len() >= MAX_SESSIONS {
            return Err(Error::Failed(format!("{MAX_SESSIONS} sessions are open: close some first")));
        }
        sessions.insert(path, Session { owner: owner.to_owned(), cipher });
        Ok(())
    }

    /// Runs `step` with the cipher of `path`, if `sender` opened it.
    pub fn with_session<R>(
        &self,
        path: &ObjectPath<'_>,
        sender: &str,
        step: impl FnOnce(&Cipher) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let sessions = lock(&self.sessions);
        match sessions.get(&OwnedObjectPath::from(path.to_owned())) {
            Some(session) if session.owner == sender => step(&session.cipher),
            _ => Err(Error::NoSession(format!("{path} is not a session this client opened"))),
        }
    }

    pub fn close_session(&self, path: &ObjectPath<'_>, sender: &str) -> Result<(), Error> {
        let mut sessions = lock(&self.sessions);
        let key = OwnedObjectPath::from(path.to_owned());
        match sessions.get(&key) {
            Some(session) if session.owner == sender => {
                sessions.remove(&key);
                Ok(())
            }
            _ => Err(Error::NoSession(format!("{path} is not a session this client opened"))),
        }
    }

    /// Forgets the sessions of a client that left the bus; their paths.
    pub fn client_left(&self, name: &str) -> Vec<OwnedObjectPath> {
        let mut sessions = lock(&self.sessions);
        let gone: Vec<OwnedObjectPath> = sessions
            .iter()
            .filter(|(_, session)| session.owner == name)
            .map(|(path, _)| path.clone())
            .collect();
        for path in &gone {
            sessions.remove(path);
        }
        gone
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
