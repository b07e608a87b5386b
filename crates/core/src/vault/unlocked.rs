//! The unlocked vault: the only place values are encrypted or decrypted. Every
//! write runs in one IMMEDIATE transaction, so concurrent processes queue on
//! SQLite's lock instead of failing, and a crash leaves each secret whole or absent.
//! Every row a write touches is re-tagged in that transaction, and every row is
//! checked against its tag before its value is decrypted (vault/integrity.rs).

use age::x25519::Identity;
use rayon::prelude::*;
use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use secrecy::SecretString;

use super::{
    Vault,
    audit::{self, Action},
    crypto::{self, KeyEncryptionKey},
    header::{self, Header},
    integrity::IntegrityKey,
    now_ms, out_of_date,
    records::{self, Owner, Stored, VersionRow},
};
use jiff::civil::Date;

use crate::{
    Error, Result,
    reference::Reference,
    secret::{MetaEdit, ROTATE_AGAIN_DAYS, SecretFields, SecretKind, SecretMeta, SecretName, validate_value},
};

mod grants;
mod import;
mod items;
mod keys;
mod ssh;

pub use import::{ImportReport, Incoming};
use keys::tag_all;

/// Why a value is being decrypted; each reason is its own audit action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Given to the user who asked for it by name (`get`, `read`).
    Reveal,
    /// Shown in a window (the app's Reveal, Quick reveal). Never an SSH key's
    /// private part: the app shows a key's public half and fingerprint.
    Show,
    /// Put on the clipboard; never an SSH key's private part either.
    Copy,
    /// Written out by `export --reveal`.
    Export,
    /// Passed to a child process by `run`.
    Inject,
    /// Looked for in files (`scan`).
    Scan,
}

impl Access {
    fn action(self) -> Action {
        match self {
            Access::Reveal | Access::Show => Action::Reveal,
            Access::Copy => Action::Copy,
            Access::Export => Action::Export,
            Access::Inject => Action::Inject,
            Access::Scan => Action::Scan,
        }
    }
}

pub struct UnlockedVault {
    vault: Vault,
    identity: Identity,
    key: IntegrityKey,
}

impl std::ops::Deref for UnlockedVault {
    type Target = Vault;
    fn deref(&self) -> &Vault {
        &self.vault
    }
}

impl std::ops::DerefMut for UnlockedVault {
    fn deref_mut(&mut self) -> &mut Vault {
        &mut self.vault
    }
}

/// What one write does to one secret row.
enum Write {
    Insert,
    /// Revive a tombstone, or add a version to a live secret.
    NextVersion(Stored),
}

impl UnlockedVault {
    /// The vault with its identity, once the header checks out: the stored
    /// recipient must be the identity's, and a sealed header must carry its tag.
    pub(super) fn new(vault: Vault, identity: Identity) -> Result<Self> {
        if identity.to_public().to_string() != vault.header.recipient.to_string() {
            return Err(Error::Tampered("the header's recipient (the key values are encrypted to)".into()));
        }
        let key = IntegrityKey::derive(&identity, &vault.header.vault_id);
        if vault.header.is_sealed() {
            vault.header.verify(&key).map_err(|what| Error::Tampered(what.into()))?;
        }
        Ok(Self { vault, identity, key })
    }

    /// A second handle on the same file with the same key, for work that
    /// runs apart from the holder's (the app syncs on one, so that locking
    /// never waits for a remote). Dropping it drops its copy of the key.
    pub fn reopen(&self) -> Result<UnlockedVault> {
        UnlockedVault::new(Vault::open(self.vault.path())?, self.identity.clone())
    }

    pub(crate) fn identity(&self) -> &Identity {
        &self.identity
    }

    pub(crate) fn integrity(&self) -> &IntegrityKey {
        &self.key
    }

    /// A write transaction and the integrity key, borrowed side by side.
    pub(crate) fn write(&mut self) -> Result<(Transaction<'_>, &IntegrityKey)> {
        Ok((immediate(&mut self.vault.conn)?, &self.key))
    }

    /// Tags every row and seals the header of a vault written before tags
    /// (schema 3), re-wrapping the identity for the sealed format. The file
    /// is taken as it stands: this is its first unlock by a version that tags.
    pub(super) fn seal_untagged(&mut self, kek: &KeyEncryptionKey) -> Result<()> {
        let mut header = self.vault.header.clone();
        header.wrapped_identity = crypto::wrap_identity(&self.identity, kek, &header.wrap_context(true));
        header.tags = header::TAGS;
        header.seal(&self.key);
        let tx = immediate(&mut self.vault.conn)?;
        tag_all(&tx, &self.key, header.generation)?;
        header.save(&tx)?;
        audit::record(&tx, Action::Seal, None, Some("integrity tags added to every row"))?;
        tx.commit()?;
        self.vault.header = header;
        tracing::info!("vault sealed: every row now carries an integrity tag");
        Ok(())
    }

    /// Moves a vault whose rows carry format-1 tags to format 2 (see
    /// [`header::TAGS`]): each row whose format-1 tag checks out is tagged
    /// anew; one that does not keeps its old tag, so it stays refused as it
    /// was, and the rest of the vault stays usable.
    pub(super) fn upgrade_tags(&mut self) -> Result<()> {
        let path = self.vault.path.clone();
        let key = &self.key;
        let tx = immediate(&mut self.vault.conn)?;
        // Another process may have moved it meanwhile.
        let current = current_header(&tx, &path, key)?;
        if current.tags >= header::TAGS {
            drop(tx);
            self.vault.header = current;
            return Ok(());
        }
        // Each secret row and version that checks out in format 1 is tagged in
        // format 2, its current version anchored to the row's revision (0).
        let mut retag = tx.prepare(
            "UPDATE versions SET meta_revision = ?3, mac = ?4 WHERE secret_id = ?1 AND version = ?2",
        )?;
        for stored in records::all(&tx)? {
            if !stored.verify_format_1(key) {
                continue;
            }
            for mut row in records::all_versions(&tx, stored.id)? {
                if row.verify_format_1(key, &stored.meta.name) {
                    row.meta_revision = (row.version == stored.meta.version).then_some(stored.revision);
                    let mac = row.tag(key, Owner::from(&stored.meta));
                    retag.execute(params![stored.id, row.version, row.meta_revision, mac])?;
                }
            }
            records::tag_secret_only(&tx, key, stored.id)?;
        }
        drop(retag);
        let generation = 1;
        super::remotes::tag_all(&tx, key, generation, true)?;
        super::sync_state::tag_all(&tx, key, true)?;
        let header = rewrite_header(&tx, &path, key, key, |header| {
            header.tags = header::TAGS;
            header.generation = generation;
        })?;
        audit::record(&tx, Action::Seal, None, Some("integrity tags moved to format 2"))?;
        tx.commit()?;
        self.vault.header = header;
        tracing::info!("vault's integrity tags moved to format {}", header::TAGS);
        Ok(())
    }

    /// Keeps `header`, just written by this handle, as the one it works with.
    pub(super) fn adopt_header(&mut self, header: Header) {
        self.vault.header = header;
    }

    /// A live secret's row, checked against its tag and its newest version.
    fn verified_live(&self, name: &SecretName) -> Result<Stored> {
        let stored = records::live(&self.vault.conn, name)?;
        stored.verify(&self.vault.conn, &self.key)?;
        Ok(stored)
    }

    /// Decrypts `version` of the checked row `stored`, checking the version's tag first.
    fn open_version(&self, stored: &Stored, version: u32) -> Result<SecretString> {
        let name = &stored.meta.name;
        let row = records::version(&self.vault.conn, stored.id, version)?
            .ok_or_else(|| Error::VersionNotFound { name: name.to_string(), version })?;
        open_checked(&self.key, &self.identity, Owner::from(&stored.meta), &row)
    }

    /// Every secret row, removed ones too, each checked against its tag and
    /// its newest version: what sync plans from, since a row's version or
    /// removal drives remote writes.
    pub(crate) fn verified_rows(&self) -> Result<Vec<crate::SecretMeta>> {
        let newest = records::newest_versions(&self.vault.conn)?;
        records::all_with_current(&self.vault.conn)?
            .into_iter()
            .map(|(stored, current)| {
                stored.verify_current(&self.key, current.as_ref(), newest.get(&stored.id).copied())?;
                Ok(stored.meta)
            })
            .collect()
    }

    /// Decrypts one version of a live secret without an audit entry of its
    /// own: for callers that record their own (sync records one per run).
    pub(crate) fn value_at(&self, name: &SecretName, version: u32) -> Result<SecretString> {
        let stored = self.verified_live(name)?;
        self.open_version(&stored, version)
    }

    /// Stores a value fetched from a remote: a new secret, a revived one or a
    /// new version, with `origin` in its history and, for a secret not live
    /// here, the remote's description and category (`theirs`, validated by
    /// the caller).
    pub(crate) fn store_pulled(
        &mut self,
        name: &SecretName,
        value: &SecretString,
        origin: &str,
        theirs: &SecretFields,
    ) -> Result<SecretMeta> {
        validate_value(name, value)?;
        let recipient = &self.vault.header.recipient;
        let key = &self.key;
        let tx = immediate(&mut self.vault.conn)?;
        let write = match records::any(&tx, name)? {
            Some(stored) => Write::next(stored, &tx, key)?,
            None => Write::Insert,
        };
        // A name new here (or removed here) takes the remote's description
        // and category; a live secret keeps its own.
        let fields = match &write {
            Write::Insert => Some(theirs),
            Write::NextVersion(stored) if stored.meta.deleted.is_some() => Some(theirs),
            Write::NextVersion(_) => None,
        };
        let version = next_version(&write);
        let sealed = crypto::seal_value(recipient, name, version, value);
        write_version(&tx, key, name, write, &sealed, origin, fields, SecretKind::Text)?;
        audit::record(&tx, Action::Pull, Some(name.as_str()), Some(origin))?;
        let meta = records::live(&tx, name)?.meta;
        tx.commit()?;
        Ok(meta)
    }

    /// Drops the identity; the returned vault serves metadata only.
    pub fn lock(self) -> Vault {
        self.vault
    }

    /// Decrypts the current value of `name` and records why.
    pub fn reveal(&mut self, name: &SecretName, access: Access) -> Result<SecretString> {
        let stored = self.verified_live(name)?;
        if stored.meta.kind == SecretKind::SshKey && matches!(access, Access::Show | Access::Copy) {
            return Err(Error::invalid(
                name.to_string(),
                "it is an SSH key: its private part is never shown or copied (`keyhaven ssh public` prints its public key)",
            ));
        }
        out_of_date::check(&self.vault.conn, &self.key, &stored, stored.meta.version)?;
        let value = self.open_version(&stored, stored.meta.version)?;
        audit::record(&self.vault.conn, access.action(), Some(name.as_str()), None)?;
        Ok(value)
    }

    /// Decrypts what a reference names (`keyhaven:NAME`, or `keyhaven:NAME@3`
    /// for an earlier version of a live secret) and records why.
    pub fn resolve(&mut self, reference: &Reference, access: Access) -> Result<SecretString> {
        let stored = self.verified_live(&reference.name)?;
        let version = reference.version.unwrap_or(stored.meta.version);
        out_of_date::check(&self.vault.conn, &self.key, &stored, version)?;
        let value = self.open_version(&stored, version)?;
        audit::record(&self.vault.conn, access.action(), Some(reference.name.as_str()), None)?;
        Ok(value)
    }

    /// Decrypts the current values of all live secrets, or of `only` (each must
    /// exist), in name order. One audit entry per secret.
    pub fn reveal_all(
        &mut self,
        only: Option<&[SecretName]>,
        access: Access,
    ) -> Result<Vec<(SecretName, SecretString)>> {
        let mut rows = records::current(&self.vault.conn)?;
        let newest = records::newest_versions(&self.vault.conn)?;
        if let Some(only) = only {
            let present: std::collections::HashSet<&SecretName> =
                rows.iter().map(|(stored, _)| &stored.meta.name).collect();
            if let Some(missing) = only.iter().find(|name| !present.contains(name)) {
                return Err(records::missing(&self.vault.conn, missing.as_str()));
            }
            // A set: `run` passes every name it injects, thousands of them.
            let wanted: std::collections::HashSet<&SecretName> = only.iter().collect();
            rows.retain(|(stored, _)| wanted.contains(&stored.meta.name));
        }
        let marks = out_of_date::all(&self.vault.conn)?;
        let (key, identity) = (&self.key, &self.identity);
        let values = rows
            .par_iter()
            .map(|(stored, row)| {
                stored.verify_current(key, Some(row), newest.get(&stored.id).copied())?;
                // An export keeps everything the vault holds; the rest refuse a copy set aside.
                if let Some(mark) = marks.get(&stored.id).filter(|_| access != Access::Export) {
                    mark.check(key, stored, stored.meta.version)?;
                }
                Ok((stored.meta.name.clone(), open_checked(key, identity, Owner::from(&stored.meta), row)?))
            })
            .collect::<Result<Vec<_>>>()?;
        let tx = immediate(&mut self.vault.conn)?;
        for (name, _) in &values {
            audit::record(&tx, access.action(), Some(name.as_str()), None)?;
        }
        tx.commit()?;
        Ok(values)
    }

    /// Every version of every secret, removed ones too (a value once in the
    /// vault may still work somewhere): what `scan` looks for. Each row is
    /// checked against its tag; one audit entry for the whole scan.
    pub fn reveal_every_version(&mut self, access: Access) -> Result<Vec<(SecretName, u32, SecretString)>> {
        let mut values = Vec::new();
        for stored in records::all(&self.vault.conn)? {
            let rows = records::all_versions(&self.vault.conn, stored.id)?;
            let current = rows.iter().find(|row| row.version == stored.meta.version);
            stored.verify_current(&self.key, current, rows.iter().map(|row| row.version).max())?;
            for row in rows {
                let value = open_checked(&self.key, &self.identity, Owner::from(&stored.meta), &row)?;
                values.push((stored.meta.name.clone(), row.version, value));
            }
        }
        audit::record(&self.vault.conn, access.action(), None, Some(&format!("{} versions", values.len())))?;
        Ok(values)
    }

    /// Adds a new secret (or revives a removed one). Fails if it already exists.
    pub fn set(
        &mut self,
        name: &SecretName,
        value: &SecretString,
        fields: &SecretFields,
    ) -> Result<SecretMeta> {
        validate_value(name, value)?;
        fields.validate()?;
        let recipient = &self.vault.header.recipient;
        let key = &self.key;
        let tx = immediate(&mut self.vault.conn)?;
        let write = match records::any(&tx, name)? {
            Some(stored) if stored.meta.deleted.is_none() => {
                return Err(Error::AlreadyExists(name.to_string()));
            }
            Some(stored) => Write::next(stored, &tx, key)?,
            None => Write::Insert,
        };
        let version = next_version(&write);
        let sealed = crypto::seal_value(recipient, name, version, value);
        write_version(&tx, key, name, write, &sealed, "set", Some(fields), SecretKind::Text)?;
        audit::record(&tx, Action::Set, Some(name.as_str()), None)?;
        let meta = records::live(&tx, name)?.meta;
        tx.commit()?;
        Ok(meta)
    }

    /// Gives an existing secret a new value as a new version.
    pub fn rotate(&mut self, name: &SecretName, value: &SecretString) -> Result<SecretMeta> {
        self.rotate_with(name, value, None)
    }

    /// A new value; the rotation reminder moves to `next`, or, when it had
    /// come (past or within a week), [`ROTATE_AGAIN_DAYS`] from today.
    pub fn rotate_with(
        &mut self,
        name: &SecretName,
        value: &SecretString,
        next: Option<Date>,
    ) -> Result<SecretMeta> {
        validate_value(name, value)?;
        let recipient = &self.vault.header.recipient;
        let key = &self.key;
        let tx = immediate(&mut self.vault.conn)?;
        let stored = records::live(&tx, name)?;
        stored.verify(&tx, key)?;
        let today = jiff::Zoned::now().date();
        let next = next.or_else(|| {
            let due = stored.meta.rotation(today).is_some();
            due.then(|| today.saturating_add(jiff::Span::new().days(ROTATE_AGAIN_DAYS)))
        });
        let fields = next.map(|date| SecretFields { rotate_by: Some(date), ..SecretFields::default() });
        let write = Write::NextVersion(stored);
        let version = next_version(&write);
        let sealed = crypto::seal_value(recipient, name, version, value);
        write_version(&tx, key, name, write, &sealed, "rotate", fields.as_ref(), SecretKind::Text)?;
        audit::record(&tx, Action::Rotate, Some(name.as_str()), Some(&format!("version {version}")))?;
        let meta = records::live(&tx, name)?.meta;
        tx.commit()?;
        Ok(meta)
    }

    /// Makes the value of `version` current again, as a new version.
    pub fn rollback(&mut self, name: &SecretName, version: u32) -> Result<SecretMeta> {
        let stored = self.verified_live(name)?;
        let value = self.open_version(&stored, version)?;
        let recipient = &self.vault.header.recipient;
        let key = &self.key;
        let tx = immediate(&mut self.vault.conn)?;
        let write = Write::next(records::live(&tx, name)?, &tx, key)?;
        let new_version = next_version(&write);
        let resealed = crypto::seal_value(recipient, name, new_version, &value);
        if stored.meta.kind == SecretKind::SshKey {
            // Its public half would no longer match; a key is replaced by a new one.
            return Err(kind_mismatch(name, SecretKind::SshKey));
        }
        write_version(
            &tx,
            key,
            name,
            write,
            &resealed,
            &format!("rollback to {version}"),
            None,
            SecretKind::Text,
        )?;
        audit::record(&tx, Action::Rollback, Some(name.as_str()), Some(&format!("to version {version}")))?;
        let meta = records::live(&tx, name)?.meta;
        tx.commit()?;
        Ok(meta)
    }

    /// Removes a secret, leaving a tombstone (for sync) until `purge`.
    pub fn remove(&mut self, name: &SecretName) -> Result<()> {
        let tx = immediate(&mut self.vault.conn)?;
        let stored = records::live(&tx, name)?;
        stored.verify(&tx, &self.key)?;
        let now = now_ms();
        tx.execute(
            "UPDATE secrets SET deleted_ms = ?2, updated_ms = ?2, revision = revision + 1 WHERE id = ?1",
            params![stored.id, now],
        )?;
        records::tag_secret(&tx, &self.key, stored.id)?;
        audit::record(&tx, Action::Remove, Some(name.as_str()), None)?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes every tombstone with all its versions. Returns how many.
    pub fn purge(&mut self) -> Result<usize> {
        let tx = immediate(&mut self.vault.conn)?;
        let purged = tx.execute("DELETE FROM secrets WHERE deleted_ms IS NOT NULL", [])?;
        audit::record(&tx, Action::Purge, None, Some(&format!("{purged} removed secrets")))?;
        tx.commit()?;
        Ok(purged)
    }

    /// Pins or unpins a secret (the tray offers pinned ones first).
    pub fn set_pinned(&mut self, name: &SecretName, pinned: bool) -> Result<SecretMeta> {
        let tx = immediate(&mut self.vault.conn)?;
        let stored = records::live(&tx, name)?;
        stored.verify(&tx, &self.key)?;
        tx.execute(
            "UPDATE secrets SET pinned = ?2, revision = revision + 1 WHERE id = ?1",
            params![stored.id, pinned],
        )?;
        records::tag_secret(&tx, &self.key, stored.id)?;
        tx.commit()?;
        self.vault.meta(name)
    }

    /// Changes a secret's description, category or rotation reminder, without
    /// a new version (the value is untouched).
    pub fn edit(&mut self, name: &SecretName, edit: &MetaEdit) -> Result<SecretMeta> {
        edit.validate()?;
        let tx = immediate(&mut self.vault.conn)?;
        let stored = records::live(&tx, name)?;
        stored.verify(&tx, &self.key)?;
        let rotate_by = edit.rotate_by.map(|date| date.map(|date| date.to_string()));
        tx.execute(
            "UPDATE secrets SET description = coalesce(?2, description), category = coalesce(?3, category),
               rotate_by = CASE WHEN ?4 THEN ?5 ELSE rotate_by END, updated_ms = ?6, revision = revision + 1
             WHERE id = ?1",
            params![
                stored.id,
                edit.description.as_deref().map(str::trim),
                edit.category.as_deref().map(str::trim),
                rotate_by.is_some(),
                rotate_by.flatten(),
                now_ms()
            ],
        )?;
        records::tag_secret(&tx, &self.key, stored.id)?;
        audit::record(&tx, Action::Edit, Some(name.as_str()), None)?;
        let meta = records::live(&tx, name)?.meta;
        tx.commit()?;
        Ok(meta)
    }

    /// Gives a secret a new name. A value's seal names its secret, so every
    /// version is sealed again under the new name, keeping its number, time
    /// and origin; the metadata and the pin move with it. The old name is
    /// left as a tombstone: a remote that holds it keeps it until a sync with
    /// `prune`, and the new name syncs as a new secret where it is chosen.
    /// A copy marked out of date is refused (rotate it first), and so is a
    /// name a removed secret still holds (purge it first).
    pub fn rename(&mut self, from: &SecretName, to: &SecretName) -> Result<SecretMeta> {
        let recipient = &self.vault.header.recipient;
        let key = &self.key;
        let tx = immediate(&mut self.vault.conn)?;
        let stored = records::live(&tx, from)?;
        stored.verify(&tx, key)?;
        out_of_date::check(&tx, key, &stored, stored.meta.version)?;
        match records::any(&tx, to)? {
            Some(other) if other.meta.deleted.is_none() => return Err(Error::AlreadyExists(to.to_string())),
            Some(_) => {
                return Err(Error::Invalid {
                    what: "new name".into(),
                    rule: format!(
                        "a removed secret still holds {to}: `keyhaven purge` it first, or pick another"
                    ),
                });
            }
            None => {}
        }
        let owner = Owner::from(&stored.meta);
        let versions = records::all_versions(&tx, stored.id)?
            .into_iter()
            .map(|row| {
                let value = open_checked(key, &self.identity, owner, &row)?;
                Ok((row, value))
            })
            .collect::<Result<Vec<_>>>()?;
        let now = now_ms();
        let meta = &stored.meta;
        tx.execute(
            "INSERT INTO secrets (name, description, category, created_ms, updated_ms, version, rotate_by, pinned, revision)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, 1)",
            params![
                to.as_str(),
                meta.description,
                meta.category,
                now,
                meta.version,
                meta.rotate_by.map(|date| date.to_string()),
                meta.pinned
            ],
        )?;
        let id = tx.last_insert_rowid();
        let owner = Owner { name: to, created_ms: now };
        let mut insert = tx.prepare_cached(
            "INSERT INTO versions (secret_id, version, created_ms, origin, ciphertext, meta_revision, mac)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (old, value) in versions {
            let row = VersionRow {
                ciphertext: crypto::seal_value(recipient, to, old.version, &value),
                meta_revision: (old.version == meta.version).then_some(1),
                mac: None,
                ..old
            };
            let mac = row.tag(key, owner);
            insert.execute(params![
                id,
                row.version,
                row.created_ms,
                row.origin,
                row.ciphertext,
                row.meta_revision,
                mac
            ])?;
        }
        drop(insert);
        records::tag_secret_only(&tx, key, id)?;
        tx.execute(
            "UPDATE secrets SET deleted_ms = ?2, updated_ms = ?2, revision = revision + 1 WHERE id = ?1",
            params![stored.id, now],
        )?;
        records::tag_secret(&tx, key, stored.id)?;
        audit::record(&tx, Action::Rename, Some(from.as_str()), Some(&format!("to {to}")))?;
        let meta = records::live(&tx, to)?.meta;
        tx.commit()?;
        Ok(meta)
    }
}

/// The longest lifetime a remembered key may be given.
pub const MAX_REMEMBER: jiff::SignedDuration = jiff::SignedDuration::from_hours(30 * 24);

/// Begins a write that takes SQLite's lock at once, so concurrent writers queue
/// on `busy_timeout` instead of failing to upgrade a read lock. Borrows only the
/// connection, so the identity and header stay readable alongside it.
pub(crate) fn immediate(conn: &mut Connection) -> Result<Transaction<'_>> {
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

/// The file's header as it is now, once its tag checks out: another process
/// may have written it since this one opened the vault.
pub(crate) fn current_header(
    conn: &Connection,
    path: &std::path::Path,
    key: &IntegrityKey,
) -> Result<Header> {
    let header = Header::load(conn, path)?;
    header.verify(key).map_err(|what| Error::Tampered(what.into()))?;
    Ok(header)
}

/// Rewrites the header inside `tx`: the file's current one, checked under
/// `check`, changed by `edit`, sealed under `seal` (another key only when
/// re-keying). Every header write goes through here, so none puts back a
/// field another process changed since this one opened the vault.
pub(crate) fn rewrite_header(
    tx: &Connection,
    path: &std::path::Path,
    check: &IntegrityKey,
    seal: &IntegrityKey,
    edit: impl FnOnce(&mut Header),
) -> Result<Header> {
    let mut header = current_header(tx, path, check)?;
    edit(&mut header);
    header.seal(seal);
    header.save(tx)?;
    Ok(header)
}

/// Decrypts a version row once its tag checks out.
fn open_checked(
    key: &IntegrityKey,
    identity: &Identity,
    owner: Owner<'_>,
    row: &VersionRow,
) -> Result<SecretString> {
    row.verify(key, owner)?;
    crypto::open_value(identity, owner.name, row.version, &row.ciphertext)
}

impl Write {
    /// A new version on top of `stored`, once its row checks out: a tampered
    /// or rolled-back row is never built on (and so never re-tagged as if it
    /// were ours).
    fn next(stored: Stored, conn: &Connection, key: &IntegrityKey) -> Result<Self> {
        stored.verify(conn, key)?;
        Ok(Write::NextVersion(stored))
    }
}

fn next_version(write: &Write) -> u32 {
    match write {
        Write::Insert => 1,
        Write::NextVersion(stored) => stored.meta.version + 1,
    }
}

/// Writes one new version and points the secret row at it.
#[allow(clippy::too_many_arguments)]
fn write_version(
    tx: &Transaction<'_>,
    key: &IntegrityKey,
    name: &SecretName,
    write: Write,
    sealed: &[u8],
    origin: &str,
    fields: Option<&SecretFields>,
    kind: SecretKind,
) -> Result<()> {
    if let Write::NextVersion(stored) = &write
        && stored.meta.deleted.is_none()
        && stored.meta.kind != kind
    {
        return Err(kind_mismatch(name, stored.meta.kind));
    }
    let now = now_ms();
    let version = next_version(&write);
    // Every write of the row counts (see `Stored::revision`); the new
    // version carries the count, anchoring the row to it.
    let (incarnation, revision) = match &write {
        Write::Insert => (now, 1),
        Write::NextVersion(stored) => (stored.meta.created.as_millisecond(), stored.revision + 1),
    };
    let fields = fields.cloned().unwrap_or_default();
    let rotate_by = fields.rotate_by.map(|date| date.to_string());
    let id = match write {
        Write::Insert => {
            tx.prepare_cached(
                "INSERT INTO secrets (name, description, category, created_ms, updated_ms, version, rotate_by, revision, kind)
                 VALUES (?1, ?2, ?3, ?4, ?4, 1, ?5, ?6, ?7)",
            )?
            .execute(params![
                name.as_str(),
                fields.description.unwrap_or_default(),
                fields.category.unwrap_or_default(),
                now,
                rotate_by,
                revision,
                kind.as_stored()
            ])?;
            tx.last_insert_rowid()
        }
        Write::NextVersion(stored) => {
            let revived = stored.meta.deleted.is_some();
            tx.prepare_cached(
                "UPDATE secrets SET version = ?2, updated_ms = ?3, deleted_ms = NULL,
                   description = coalesce(?4, CASE WHEN ?6 THEN '' ELSE description END),
                   category = coalesce(?5, CASE WHEN ?6 THEN '' ELSE category END),
                   rotate_by = CASE WHEN ?6 THEN ?7 ELSE coalesce(?7, rotate_by) END,
                   revision = ?8, kind = ?9
                 WHERE id = ?1",
            )?
            .execute(params![
                stored.id,
                version,
                now,
                fields.description,
                fields.category,
                revived,
                rotate_by,
                revision,
                kind.as_stored()
            ])?;
            if kind != SecretKind::SshKey {
                // A removed key's name taken again for text: its public half goes.
                tx.prepare_cached("DELETE FROM ssh_keys WHERE secret_id = ?1")?.execute([stored.id])?;
            }
            if kind != SecretKind::Item {
                // A removed item's name taken again for something else: its attributes go.
                tx.prepare_cached("DELETE FROM items WHERE secret_id = ?1")?.execute([stored.id])?;
            }
            stored.id
        }
    };
    let row = VersionRow {
        version,
        created_ms: now,
        origin: origin.to_owned(),
        ciphertext: sealed.to_vec(),
        meta_revision: Some(revision),
        mac: None,
    };
    let mac = row.tag(key, Owner { name, created_ms: incarnation });
    tx.prepare_cached(
        "INSERT INTO versions (secret_id, version, created_ms, origin, ciphertext, meta_revision, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![id, version, now, origin, sealed, revision, mac])?;
    records::tag_secret_only(tx, key, id).map(drop)
}

/// A write of one kind of value to a live secret of another.
fn kind_mismatch(name: &SecretName, stored: SecretKind) -> Error {
    match stored {
        SecretKind::SshKey => Error::invalid(
            name.to_string(),
            "it is an SSH key: it changes only through `keyhaven ssh` (a new key under a new name)",
        ),
        SecretKind::Item => Error::invalid(
            name.to_string(),
            "it is an item a program stored: it changes through the program (the Secret Service, `keyhaven git-credential`)",
        ),
        SecretKind::Text => {
            Error::invalid(name.to_string(), "it holds text: an SSH key needs a name of its own")
        }
    }
}

/// Marks the current version of `name` out of date in `conn` (a write
/// transaction): `remote` kept a value it cannot send back.
pub(crate) fn mark_out_of_date(
    conn: &Connection,
    key: &IntegrityKey,
    name: &SecretName,
    remote: &str,
) -> Result<()> {
    let stored = records::live(conn, name)?;
    stored.verify(conn, key)?;
    out_of_date::mark(conn, key, &stored, remote)
}
