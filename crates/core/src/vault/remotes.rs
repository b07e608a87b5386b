//! Remotes kept in the vault: their configuration in the clear, their API
//! token age-encrypted like a value, the whole row under an integrity tag.
//! Listing works locked; adding one needs the key (to tag it), and using one
//! checks the tag first, so a URL rewritten in the file never gets the token.

use jiff::{Timestamp, civil::Date};
use rusqlite::{Connection, OptionalExtension, Row, params};
use secrecy::SecretString;
use serde::Serialize;

use age::x25519::{Identity, Recipient};

use super::{
    Vault,
    audit::{self, Action},
    crypto,
    header::Header,
    integrity::{Field, IntegrityKey},
    now_ms,
    selection::Selection,
    timestamp,
    unlocked::{UnlockedVault, immediate},
};
use crate::{
    Error, Result, SecretName,
    remote::{self, KeyAge, Kind, KvLocation, RemoteConfig, Scope, SecretsApi, check_token_for, token_mode},
};

/// A remote as `remote ls` shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RemoteInfo {
    #[serde(flatten)]
    pub config: RemoteConfig,
    /// "live" or "test" when the token's prefix says so.
    pub token_mode: Option<String>,
    /// The API key's age and expiry, with a warning when it wants replacing.
    pub key: KeyAge,
    pub added: Timestamp,
    pub last_sync: Option<Timestamp>,
    /// Operations waiting in the outbox.
    pub pending: u32,
    pub conflicts: u32,
}

const COLUMNS: &str = "r.id, r.name, r.kind, r.url, r.scope, r.token_mode, r.created_ms, r.synced_ms,
    (SELECT count(*) FROM outbox o WHERE o.remote_id = r.id),
    (SELECT count(*) FROM conflicts c WHERE c.remote_id = r.id),
    s.key_set_ms, s.key_expires, r.kv";

/// Each remote with its settings, if it has any.
const FROM: &str = "remotes r LEFT JOIN remote_settings s ON s.remote_id = r.id";

fn info_from_row(row: &Row<'_>) -> rusqlite::Result<(i64, RemoteInfo)> {
    let kind: String = row.get(2)?;
    let scope: Option<String> = row.get(4)?;
    let config = RemoteConfig {
        name: row.get(1)?,
        // Only valid kinds and scopes are ever stored.
        kind: kind.parse().unwrap_or(Kind::Runloop),
        url: row.get(3)?,
        scope: scope.and_then(|scope| scope.parse::<Scope>().ok()),
        kv: row.get::<_, Option<String>>(12)?.and_then(|kv| KvLocation::from_stored(&kv).ok()),
    };
    let added = timestamp(row.get(6)?);
    // Shown only (read locked, unchecked): the dates decide no write.
    let key_set = row.get::<_, Option<i64>>(10)?.map_or(added, timestamp);
    let expires = row.get::<_, Option<String>>(11)?.and_then(|date| date.parse().ok());
    let info = RemoteInfo {
        config,
        token_mode: row.get(5)?,
        key: KeyAge::at(key_set, expires, Timestamp::now()),
        added,
        last_sync: row.get::<_, Option<i64>>(7)?.map(timestamp),
        pending: row.get(8)?,
        conflicts: row.get(9)?,
    };
    Ok((row.get(0)?, info))
}

/// Whether one secret syncs to one remote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SecretRemote {
    pub remote: String,
    pub chosen: bool,
    /// A RunTools org-scope remote: what goes there is shared with the organisation.
    pub shared_with_org: bool,
}

/// A remote as the rows bound to it name it: its row id, which SQLite gives
/// again after `remote rm`, with the name and creation time, which it does
/// not. Sync records, queued writes, conflicts and settings are tagged with
/// all three, so none outlives its remote or passes for a later one's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RemoteRef {
    pub id: i64,
    pub name: String,
    pub created_ms: i64,
}

impl RemoteRef {
    /// Runs `with` over the remote's three fields followed by `fields`.
    pub fn with_fields<T>(&self, fields: &[Field<'_>], with: impl FnOnce(&[Field<'_>]) -> T) -> T {
        let mut all = Vec::with_capacity(fields.len() + 3);
        all.extend([Field::Int(self.id), Field::Text(&self.name), Field::Int(self.created_ms)]);
        all.extend(fields.iter().map(Field::copied));
        with(&all)
    }
}

/// The row and description of the remote called `name`, unchecked (for
/// display; what acts on a remote takes [`UnlockedVault::remote_ref`]).
pub(crate) fn find(conn: &Connection, name: &str) -> Result<(RemoteRef, RemoteInfo)> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM {FROM} WHERE r.name = ?1"))?
        .query_row([name], |row| {
            let (id, info) = info_from_row(row)?;
            let remote = RemoteRef { id, name: info.config.name.clone(), created_ms: row.get(6)? };
            Ok((remote, info))
        })
        .optional()?
        .ok_or_else(|| no_remote(conn, name))
}

/// The error for a remote name nothing has, with a close one if any.
pub(crate) fn no_remote(conn: &Connection, name: &str) -> Error {
    let names: Vec<String> = conn
        .prepare_cached("SELECT name FROM remotes")
        .and_then(|mut stmt| stmt.query_map([], |row| row.get(0))?.collect())
        .unwrap_or_default();
    let hint = crate::text::closest(name, names.iter().map(String::as_str)).map(str::to_owned);
    Error::NoRemote { name: name.to_owned(), hint }
}

/// A remote row as stored, for its tag.
struct StoredRemote {
    id: i64,
    name: String,
    kind: String,
    url: String,
    scope: Option<String>,
    token_mode: Option<String>,
    created_ms: i64,
    token: Vec<u8>,
    /// OpenBao's location, as `KvLocation::to_stored` writes it.
    kv: Option<String>,
    mac: Option<Vec<u8>>,
}

const ROW_COLUMNS: &str = "id, name, kind, url, scope, token_mode, created_ms, token, mac, kv";

impl StoredRemote {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(StoredRemote {
            id: row.get(0)?,
            name: row.get(1)?,
            kind: row.get(2)?,
            url: row.get(3)?,
            scope: row.get(4)?,
            token_mode: row.get(5)?,
            created_ms: row.get(6)?,
            token: row.get(7)?,
            mac: row.get(8)?,
            kv: row.get(9)?,
        })
    }

    /// Everything that decides where the token goes and what it is, under
    /// its label: "remote" for rows without a KV location (every row before
    /// schema 8 keeps its tag), "remote/2" with it.
    fn fields<T>(&self, with: impl FnOnce(&'static str, &[Field<'_>]) -> T) -> T {
        let common = [
            Field::Text(&self.name),
            Field::Text(&self.kind),
            Field::Text(&self.url),
            Field::OptText(self.scope.as_deref()),
            Field::OptText(self.token_mode.as_deref()),
            Field::Int(self.created_ms),
            Field::Bytes(&self.token),
        ];
        match &self.kv {
            None => with("remote", &common),
            Some(kv) => {
                let mut fields = common.to_vec();
                fields.push(Field::Text(kv));
                with("remote/2", &fields)
            }
        }
    }

    fn tag(&self, key: &IntegrityKey) -> Vec<u8> {
        self.fields(|label, fields| key.tag(label, fields))
    }

    fn verify(&self, key: &IntegrityKey) -> Result<()> {
        if self.fields(|label, fields| key.verify(label, fields, self.mac.as_deref())) {
            Ok(())
        } else {
            Err(Error::Tampered(format!(
                "the settings of remote {} (its URL, kind, scope, location or token)",
                self.name
            )))
        }
    }

    fn config(&self) -> Result<RemoteConfig> {
        let scope = self.scope.as_deref().map(str::parse::<Scope>).transpose()?;
        let config = RemoteConfig::new(&self.name, self.kind.parse()?, &self.url, scope)?;
        match &self.kv {
            Some(kv) => config.with_kv(KvLocation::from_stored(kv)?),
            None => Ok(config),
        }
    }
}

/// A remote's settings row as stored (schema 5), with its tag.
#[derive(Clone)]
pub(crate) struct StoredSettings {
    remote_id: i64,
    remote: String,
    remote_created_ms: i64,
    pub key_set_ms: i64,
    pub key_expires: Option<String>,
    /// JSON; `None` until the user chooses.
    pub selection: Option<String>,
    mac: Option<Vec<u8>>,
}

const SETTINGS_SELECT: &str = "SELECT s.remote_id, r.name, r.created_ms, s.key_set_ms, s.key_expires,
    s.selection, s.mac FROM remote_settings s JOIN remotes r ON r.id = s.remote_id";

impl StoredSettings {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(StoredSettings {
            remote_id: row.get(0)?,
            remote: row.get(1)?,
            remote_created_ms: row.get(2)?,
            key_set_ms: row.get(3)?,
            key_expires: row.get(4)?,
            selection: row.get(5)?,
            mac: row.get(6)?,
        })
    }

    /// The settings of a remote that has none yet: its key counts from when
    /// it was added, and nothing is chosen.
    fn new(remote: &StoredRemote) -> Self {
        StoredSettings {
            remote_id: remote.id,
            remote: remote.name.clone(),
            remote_created_ms: remote.created_ms,
            key_set_ms: remote.created_ms,
            key_expires: None,
            selection: None,
            mac: None,
        }
    }

    /// Bound to the remote by id, name and creation time, so a row cannot be
    /// moved to another remote, nor outlive its own; and to the header's
    /// settings generation, so a row put back from before a later change
    /// (a narrower selection, a new key date) no longer checks out.
    fn fields<T>(&self, generation: i64, with: impl FnOnce(&[Field<'_>]) -> T) -> T {
        with(&[
            Field::Int(self.remote_id),
            Field::Text(&self.remote),
            Field::Int(self.remote_created_ms),
            Field::Int(generation),
            Field::Int(self.key_set_ms),
            Field::OptText(self.key_expires.as_deref()),
            Field::OptText(self.selection.as_deref()),
        ])
    }

    fn verify(&self, key: &IntegrityKey, generation: i64) -> Result<()> {
        if self.fields(generation, |fields| key.verify("remote_settings/2", fields, self.mac.as_deref())) {
            Ok(())
        } else {
            Err(Error::Tampered(format!(
                "the settings of remote {} (its key dates or what is synced to it)",
                self.remote
            )))
        }
    }

    /// Format 1's tag (no generation): read only to move a vault to format 2.
    fn verify_format_1(&self, key: &IntegrityKey) -> bool {
        let fields = [
            Field::Int(self.remote_id),
            Field::Text(&self.remote),
            Field::Int(self.remote_created_ms),
            Field::Int(self.key_set_ms),
            Field::OptText(self.key_expires.as_deref()),
            Field::OptText(self.selection.as_deref()),
        ];
        key.verify("remote_settings", &fields, self.mac.as_deref())
    }

    /// Writes the row, tagged for `generation`.
    fn write(&self, conn: &Connection, key: &IntegrityKey, generation: i64) -> Result<()> {
        let mac = self.fields(generation, |fields| key.tag("remote_settings/2", fields));
        conn.execute(
            "INSERT OR REPLACE INTO remote_settings (remote_id, key_set_ms, key_expires, selection, mac)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![self.remote_id, self.key_set_ms, self.key_expires, self.selection, mac],
        )?;
        Ok(())
    }
}

/// Saves `settings` as the next generation: the header's counter moves on
/// and every other remote's settings row, checked first, is tagged again
/// for it. Returns the header as written.
fn save_settings(
    tx: &Connection,
    key: &IntegrityKey,
    path: &std::path::Path,
    settings: &StoredSettings,
) -> Result<Header> {
    let header = super::unlocked::rewrite_header(tx, path, key, key, |header| header.generation += 1)?;
    let before = header.generation - 1;
    for other in all_settings(tx)?.iter().filter(|other| other.remote_id != settings.remote_id) {
        other.verify(key, before)?;
        other.write(tx, key, header.generation)?;
    }
    settings.write(tx, key, header.generation)?;
    Ok(header)
}

fn all_settings(conn: &Connection) -> Result<Vec<StoredSettings>> {
    let mut stmt = conn.prepare(SETTINGS_SELECT)?;
    let rows = stmt.query_map([], StoredSettings::from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The checked settings of `remote`, or new ones if it has none. The
/// generation is the file's own (checked against the header's tag): another
/// process may have changed some remote's settings since this one opened.
fn settings_of(
    conn: &Connection,
    key: &IntegrityKey,
    path: &std::path::Path,
    remote: &StoredRemote,
) -> Result<StoredSettings> {
    let stored = conn
        .prepare_cached(&format!("{SETTINGS_SELECT} WHERE s.remote_id = ?1"))?
        .query_row([remote.id], StoredSettings::from_row)
        .optional()?;
    match stored {
        Some(settings) => {
            let generation = super::unlocked::current_header(conn, path, key)?.generation;
            settings.verify(key, generation).map(|()| settings)
        }
        None => Ok(StoredSettings::new(remote)),
    }
}

fn rows(conn: &Connection) -> Result<Vec<StoredRemote>> {
    let mut stmt = conn.prepare(&format!("SELECT {ROW_COLUMNS} FROM remotes"))?;
    let rows = stmt.query_map([], StoredRemote::from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Checks every remote row against `key`, settings for `generation`.
pub(crate) fn verify_all(conn: &Connection, key: &IntegrityKey, generation: i64) -> Result<()> {
    rows(conn)?.iter().try_for_each(|row| row.verify(key))?;
    all_settings(conn)?.iter().try_for_each(|row| row.verify(key, generation))
}

/// Tags every remote row under `key`, settings for `generation`; moving a
/// vault from tag format 1 (`from_format_1`), only settings whose format-1
/// tag checks out (the remote rows' tags are the same in both formats).
pub(crate) fn tag_all(
    conn: &Connection,
    key: &IntegrityKey,
    generation: i64,
    from_format_1: bool,
) -> Result<()> {
    if !from_format_1 {
        for row in rows(conn)? {
            conn.execute("UPDATE remotes SET mac = ?2 WHERE id = ?1", params![row.id, row.tag(key)])?;
        }
    }
    for row in all_settings(conn)? {
        if from_format_1 && !row.verify_format_1(key) {
            continue;
        }
        row.write(conn, key, generation)?;
    }
    Ok(())
}

/// Re-encrypts every remote token from `identity` to `recipient` (rekey; tags follow).
pub(crate) fn reseal_tokens(conn: &Connection, identity: &Identity, recipient: &Recipient) -> Result<()> {
    for row in rows(conn)? {
        let token = crypto::open_token(identity, &row.name, &row.token)?;
        let sealed = crypto::seal_token(recipient, &row.name, &token);
        conn.execute("UPDATE remotes SET token = ?2 WHERE id = ?1", params![row.id, sealed])?;
    }
    Ok(())
}

impl Vault {
    /// Every remote, by name.
    pub fn remotes(&self) -> Result<Vec<RemoteInfo>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY r.name"))?;
        let rows = stmt.query_map([], |row| info_from_row(row).map(|(_, info)| info))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn remote(&self, name: &str) -> Result<RemoteInfo> {
        find(&self.conn, name).map(|(_, info)| info)
    }

    /// Forgets a remote with its sync state, outbox and conflicts. Nothing on
    /// the remote itself changes.
    pub fn remove_remote(&mut self, name: &str) -> Result<()> {
        let tx = immediate(&mut self.conn)?;
        let (id, _) = find(&tx, name)?;
        tx.execute("DELETE FROM remotes WHERE id = ?1", [id.id])?;
        audit::record(&tx, Action::RemoteRemove, None, Some(name))?;
        tx.commit()?;
        Ok(())
    }
}

impl UnlockedVault {
    /// Stores a remote with its token encrypted to the vault's recipient, tagged.
    pub fn add_remote(&mut self, config: &RemoteConfig, token: &SecretString) -> Result<()> {
        check_token_for(config.kind, token)?;
        let mut row = StoredRemote {
            id: 0,
            name: config.name.clone(),
            kind: config.kind.as_str().to_owned(),
            url: config.url.clone(),
            scope: config.scope.map(|scope| scope.as_str().to_owned()),
            token_mode: token_mode(token).map(str::to_owned),
            created_ms: now_ms(),
            token: crypto::seal_token(&self.header.recipient, &config.name, token),
            kv: config.kv.as_ref().map(KvLocation::to_stored),
            mac: None,
        };
        let mac = row.tag(self.integrity());
        let path = self.path().to_owned();
        let (tx, key) = self.write()?;
        let exists: bool =
            tx.query_row("SELECT count(*) > 0 FROM remotes WHERE name = ?1", [&config.name], |r| r.get(0))?;
        if exists {
            return Err(Error::RemoteExists(config.name.clone()));
        }
        tx.execute(
            "INSERT INTO remotes (name, kind, url, scope, token_mode, token, created_ms, mac, kv)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                row.name,
                row.kind,
                row.url,
                row.scope,
                row.token_mode,
                row.token,
                row.created_ms,
                mac,
                row.kv
            ],
        )?;
        row.id = tx.last_insert_rowid();
        let header = save_settings(&tx, key, &path, &StoredSettings::new(&row))?;
        audit::record(&tx, Action::RemoteAdd, None, Some(&format!("{} ({})", config.name, config.kind)))?;
        tx.commit()?;
        self.adopt_header(header);
        Ok(())
    }

    /// Gives `remote` a new API key (the old one revoked or expiring); its
    /// sync state, selection and history stay. `expires`: the new key's expiry.
    pub fn set_remote_token(
        &mut self,
        remote: &str,
        token: &SecretString,
        expires: Option<Date>,
    ) -> Result<()> {
        let mut row = self.stored_remote(remote)?;
        check_token_for(row.kind.parse()?, token)?;
        let mode = token_mode(token).map(str::to_owned);
        if let (Some(old), Some(new)) = (&row.token_mode, &mode)
            && old != new
        {
            // Live and test keys see different data (production, sandbox):
            // the sync records of one mean nothing to the other.
            return Err(Error::invalid(
                "API token",
                format!(
                    "{remote} has a {old} key and this one is {new}: they see different data \
                     (production, sandbox), so it belongs to another remote (`keyhaven remote add`)"
                ),
            ));
        }
        let mut settings = settings_of(self.conn(), self.integrity(), self.path(), &row)?;
        row.token = crypto::seal_token(&self.header.recipient, &row.name, token);
        row.token_mode = mode;
        settings.key_set_ms = now_ms();
        settings.key_expires = expires.map(|date| date.to_string());
        let mac = row.tag(self.integrity());
        let path = self.path().to_owned();
        let (tx, key) = self.write()?;
        tx.execute(
            "UPDATE remotes SET token = ?2, token_mode = ?3, mac = ?4 WHERE id = ?1",
            params![row.id, row.token, row.token_mode, mac],
        )?;
        let header = save_settings(&tx, key, &path, &settings)?;
        audit::record(&tx, Action::RemoteKey, None, Some(remote))?;
        tx.commit()?;
        self.adopt_header(header);
        Ok(())
    }

    /// Records when `remote`'s current key expires (`None`: it does not).
    pub fn set_remote_expiry(&mut self, remote: &str, expires: Option<Date>) -> Result<()> {
        let row = self.stored_remote(remote)?;
        let mut settings = settings_of(self.conn(), self.integrity(), self.path(), &row)?;
        settings.key_expires = expires.map(|date| date.to_string());
        let path = self.path().to_owned();
        let (tx, key) = self.write()?;
        let header = save_settings(&tx, key, &path, &settings)?;
        tx.commit()?;
        self.adopt_header(header);
        Ok(())
    }

    /// Asks `remote` when its key expires (OpenBao's `lookup-self`) and keeps
    /// that date, as if given as the key's expiry: the date, or `None` where
    /// the remote says the key does not expire or does not say.
    pub fn expiry_from_remote(&mut self, remote: &str) -> Result<Option<Date>> {
        let expires = self.connect(remote)?.key_expiry().map_err(|err| Error::from(err).at_remote(remote))?;
        let date = expires.map(remote::key::expiry_date);
        if date.is_some() {
            self.set_remote_expiry(remote, date)?;
        }
        Ok(date)
    }

    /// What is chosen to sync to `remote`, once its settings check out;
    /// nothing until the user chooses.
    pub fn remote_selection(&self, remote: &str) -> Result<Selection> {
        let row = self.stored_remote(remote)?;
        let settings = settings_of(self.conn(), self.integrity(), self.path(), &row)?;
        match settings.selection.as_deref() {
            None => Ok(Selection::default()),
            Some(json) => serde_json::from_str(json).map_err(|_| {
                Error::Tampered(format!("the settings of remote {remote} (what is synced to it)"))
            }),
        }
    }

    /// Chooses what syncs to `remote` from now on. Names no longer chosen are
    /// left as they are on the remote; their sync records stay.
    pub fn set_remote_selection(&mut self, remote: &str, selection: &Selection) -> Result<()> {
        let row = self.stored_remote(remote)?;
        let mut settings = settings_of(self.conn(), self.integrity(), self.path(), &row)?;
        settings.selection = Some(serde_json::to_string(selection).expect("a selection serialises"));
        let path = self.path().to_owned();
        let (tx, key) = self.write()?;
        let header = save_settings(&tx, key, &path, &settings)?;
        audit::record(&tx, Action::RemoteSelect, None, Some(remote))?;
        tx.commit()?;
        self.adopt_header(header);
        Ok(())
    }

    /// Each remote, and whether `name` is chosen to sync there.
    pub fn secret_remotes(&self, name: &SecretName) -> Result<Vec<SecretRemote>> {
        let meta = self.meta(name)?;
        self.remotes()?
            .into_iter()
            .map(|info| {
                let chosen = self.remote_selection(&info.config.name)?.selects(
                    name.as_str(),
                    &meta.category,
                    meta.kind,
                );
                let shared_with_org = info.config.scope == Some(Scope::Org);
                Ok(SecretRemote { remote: info.config.name, chosen, shared_with_org })
            })
            .collect()
    }

    /// Chooses `name` for `remote`, or takes it out, whatever chose it before
    /// (`Selection::with`).
    pub fn choose_for_remote(&mut self, remote: &str, name: &SecretName, chosen: bool) -> Result<()> {
        let meta = self.meta(name)?;
        let selection = self.remote_selection(remote)?.with(name, &meta.category, meta.kind, chosen);
        self.set_remote_selection(remote, &selection)
    }

    /// `remote` as the rows bound to it name it, once its row checks out.
    pub(crate) fn remote_ref(&self, remote: &str) -> Result<RemoteRef> {
        let row = self.stored_remote(remote)?;
        Ok(RemoteRef { id: row.id, name: row.name, created_ms: row.created_ms })
    }

    /// The row of `remote`, once it checks out.
    fn stored_remote(&self, remote: &str) -> Result<StoredRemote> {
        let row = self
            .conn()
            .prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM remotes WHERE name = ?1"))?
            .query_row([remote], StoredRemote::from_row)
            .optional()?
            .ok_or_else(|| no_remote(self.conn(), remote))?;
        row.verify(self.integrity())?;
        Ok(row)
    }

    /// The settings and decrypted token of `remote`, once its row checks out.
    fn verified_remote(&self, remote: &str) -> Result<(RemoteConfig, SecretString)> {
        let row = self.stored_remote(remote)?;
        Ok((row.config()?, crypto::open_token(self.identity(), remote, &row.token)?))
    }

    /// The decrypted API token of `remote`.
    pub fn remote_token(&self, remote: &str) -> Result<SecretString> {
        Ok(self.verified_remote(remote)?.1)
    }

    /// A Runtype client for `remote` (check, setup URL, intake), with its token.
    pub fn connect_runtype(&self, remote: &str) -> Result<remote::runtype::Runtype> {
        let (config, token) = self.verified_remote(remote)?;
        remote::connect_runtype(&config, token, remote::default_policy())
    }

    /// A client for `remote`, with its token.
    pub fn connect(&self, remote: &str) -> Result<Box<dyn SecretsApi>> {
        self.connect_with(remote, remote::default_policy())
    }

    /// [`Self::connect`] with other timeouts and retries (a push's shorter ones).
    pub fn connect_with(&self, remote: &str, policy: remote::RetryPolicy) -> Result<Box<dyn SecretsApi>> {
        let (config, token) = self.verified_remote(remote)?;
        remote::connect(&config, token, policy)
    }
}
