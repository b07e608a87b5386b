//! The sync tables of the vault (schema in vault/migrations/0002_sync.sql),
//! owned here with every other row the vault stores and tags; `sync` plans
//! with them and records through this module: per-remote base records, the outbox and the open conflicts. Each decides
//! what is written to, deleted on or pulled from a remote (a conflict becomes
//! a write when resolved), so each carries an integrity tag, checked when
//! read. Tags bind a row to its remote's id, name and creation time: SQLite
//! reuses the id of a removed remote, and a record of the old one must not
//! pass for the new one's.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::{Connection, params};
use serde::Serialize;

use crate::{
    Error, Result, SecretName,
    remote::{Failure, RemoteSecret},
    vault::{self, Field, IntegrityKey, RemoteRef},
};

/// What the last sync with the remote recorded for one secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    pub remote_id: String,
    /// The remote's change marker then.
    pub marker: String,
    /// The local version then; `None` when the value was never on this device.
    pub local_version: Option<u32>,
    /// Whether the remote then held exactly that local version's value.
    pub in_sync: bool,
}

impl Base {
    /// After a write or a pull: the remote holds exactly local `version`.
    pub fn synced(remote: &RemoteSecret, version: u32) -> Self {
        Base {
            remote_id: remote.id.clone(),
            marker: remote.marker.clone(),
            local_version: Some(version),
            in_sync: true,
        }
    }

    /// The remote's state noted, its value not on this device; `local_version`
    /// is the local version then (if any).
    pub fn recorded(remote: &RemoteSecret, local_version: Option<u32>) -> Self {
        Base { remote_id: remote.id.clone(), marker: remote.marker.clone(), local_version, in_sync: false }
    }
}

/// A write left in the outbox by an earlier sync that did not finish it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub op: WriteOp,
    pub local_version: Option<u32>,
    pub request_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteOp {
    Create,
    Update,
    Delete,
}

impl WriteOp {
    pub fn as_str(self) -> &'static str {
        match self {
            WriteOp::Create => "create",
            WriteOp::Update => "update",
            WriteOp::Delete => "delete",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [WriteOp::Create, WriteOp::Update, WriteOp::Delete].into_iter().find(|op| op.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictReason {
    /// Rotated here and changed on the remote since the last sync.
    BothChanged,
    DeletedHereChangedThere,
    ChangedHereDeletedThere,
    /// Present on both sides, never synced: the values cannot be compared.
    ExistsOnBoth,
}

impl ConflictReason {
    const ALL: [ConflictReason; 4] = [
        ConflictReason::BothChanged,
        ConflictReason::DeletedHereChangedThere,
        ConflictReason::ChangedHereDeletedThere,
        ConflictReason::ExistsOnBoth,
    ];

    /// The reason for scripts (`--json`): `both_changed` and so on.
    pub fn code(self) -> &'static str {
        match self {
            ConflictReason::BothChanged => "both_changed",
            ConflictReason::DeletedHereChangedThere => "deleted_here_changed_there",
            ConflictReason::ChangedHereDeletedThere => "changed_here_deleted_there",
            ConflictReason::ExistsOnBoth => "exists_on_both",
        }
    }

    /// The reason a conflict row records (its [`ConflictReason::as_str`]).
    pub fn from_description(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ConflictReason::BothChanged => "changed here and on the remote since the last sync",
            ConflictReason::DeletedHereChangedThere => "removed here, changed on the remote",
            ConflictReason::ChangedHereDeletedThere => "changed here, removed on the remote",
            ConflictReason::ExistsOnBoth => "exists here and on the remote, never synced",
        }
    }
}

#[cfg(test)]
mod reason_tests {
    use super::ConflictReason;

    #[test]
    fn each_reasons_code_is_its_serialized_name_and_its_description_reads_back() {
        for reason in ConflictReason::ALL {
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.code());
            assert_eq!(ConflictReason::from_description(reason.as_str()), Some(reason));
        }
    }
}

/// A base record as stored, with its tag.
struct StoredBase {
    remote: RemoteRef,
    name: String,
    base: Base,
    mac: Option<Vec<u8>>,
}

impl StoredBase {
    /// Everything that decides the next plan for this name.
    fn fields<T>(&self, with: impl FnOnce(&[Field<'_>]) -> T) -> T {
        base_fields(&self.remote, &self.name, &self.base, with)
    }

    fn verify(&self, key: &IntegrityKey) -> Result<()> {
        match self.fields(|fields| key.verify("sync_state/2", fields, self.mac.as_deref())) {
            true => Ok(()),
            false => {
                Err(Error::Tampered(format!("the sync record of {} with {}", self.name, self.remote.name)))
            }
        }
    }
}

fn base_fields<T>(remote: &RemoteRef, name: &str, base: &Base, with: impl FnOnce(&[Field<'_>]) -> T) -> T {
    let local_version = base.local_version.map(i64::from);
    remote.with_fields(
        &[
            Field::Text(name),
            Field::Text(&base.remote_id),
            Field::Text(&base.marker),
            Field::Opt(local_version),
            Field::Int(base.in_sync.into()),
        ],
        with,
    )
}

/// An outbox row as stored, with its tag.
struct StoredPending {
    remote: RemoteRef,
    name: String,
    pending: Pending,
    attempts: u32,
    mac: Option<Vec<u8>>,
    /// When the write was first queued, and the category of its last failure
    /// (shown by `status`; not part of the tag, which covers what is sent).
    queued_ms: i64,
    last_error: Option<String>,
}

impl StoredPending {
    /// What is sent, where, and under which idempotency key.
    fn fields<T>(&self, with: impl FnOnce(&[Field<'_>]) -> T) -> T {
        pending_fields(&self.remote, &self.name, &self.pending, with)
    }

    fn verify(&self, key: &IntegrityKey) -> Result<()> {
        match self.fields(|fields| key.verify("outbox/2", fields, self.mac.as_deref())) {
            true => Ok(()),
            false => Err(Error::Tampered(format!(
                "the queued remote write of {} to {}",
                self.name, self.remote.name
            ))),
        }
    }
}

fn pending_fields<T>(
    remote: &RemoteRef,
    name: &str,
    pending: &Pending,
    with: impl FnOnce(&[Field<'_>]) -> T,
) -> T {
    let local_version = pending.local_version.map(i64::from);
    remote.with_fields(
        &[
            Field::Text(name),
            Field::Text(pending.op.as_str()),
            Field::Opt(local_version),
            Field::Text(&pending.request_id),
        ],
        with,
    )
}

/// A conflict as stored, with its tag.
struct StoredConflict {
    remote: RemoteRef,
    name: String,
    reason: String,
    detected_ms: i64,
    mac: Option<Vec<u8>>,
}

impl StoredConflict {
    fn fields<T>(&self, with: impl FnOnce(&[Field<'_>]) -> T) -> T {
        conflict_fields(&self.remote, &self.name, &self.reason, self.detected_ms, with)
    }

    fn verify(&self, key: &IntegrityKey) -> Result<()> {
        match self.fields(|fields| key.verify("conflict", fields, self.mac.as_deref())) {
            true => Ok(()),
            false => Err(Error::Tampered(format!(
                "the conflict record of {} with {}",
                self.name, self.remote.name
            ))),
        }
    }
}

fn conflict_fields<T>(
    remote: &RemoteRef,
    name: &str,
    reason: &str,
    detected_ms: i64,
    with: impl FnOnce(&[Field<'_>]) -> T,
) -> T {
    remote.with_fields(&[Field::Text(name), Field::Text(reason), Field::Int(detected_ms)], with)
}

/// Each sync table's rows with their remote (`?1`: one remote's row id, or
/// NULL for all).
const BASES: &str = "SELECT s.remote_id, r.name, r.created_ms, s.name, s.remote_key, s.marker,
    s.local_version, s.in_sync, s.mac FROM sync_state s JOIN remotes r ON r.id = s.remote_id
    WHERE ?1 IS NULL OR s.remote_id = ?1";
const PENDING: &str = "SELECT o.remote_id, r.name, r.created_ms, o.name, o.op, o.local_version,
    o.request_id, o.attempts, o.mac, o.queued_ms, o.last_error FROM outbox o JOIN remotes r ON r.id = o.remote_id
    WHERE ?1 IS NULL OR o.remote_id = ?1";
const CONFLICTS: &str = "SELECT c.remote_id, r.name, r.created_ms, c.name, c.reason, c.detected_ms, c.mac
    FROM conflicts c JOIN remotes r ON r.id = c.remote_id WHERE ?1 IS NULL OR c.remote_id = ?1";

fn remote_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<RemoteRef> {
    Ok(RemoteRef { id: row.get(0)?, name: row.get(1)?, created_ms: row.get(2)? })
}

/// The base records of one remote, or of all.
fn stored_bases(conn: &Connection, remote_id: Option<i64>) -> Result<Vec<StoredBase>> {
    let mut stmt = conn.prepare_cached(BASES)?;
    let rows = stmt.query_map([remote_id], |row| {
        Ok(StoredBase {
            remote: remote_of(row)?,
            name: row.get(3)?,
            base: Base {
                remote_id: row.get(4)?,
                marker: row.get(5)?,
                local_version: row.get(6)?,
                in_sync: row.get(7)?,
            },
            mac: row.get(8)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The outbox rows of one remote, or of all. Rows whose operation is unknown
/// are skipped (never written by us, never acted on).
fn stored_pending(conn: &Connection, remote_id: Option<i64>) -> Result<Vec<StoredPending>> {
    let mut stmt = conn.prepare_cached(PENDING)?;
    let rows = stmt.query_map([remote_id], |row| {
        let op: String = row.get(4)?;
        Ok(WriteOp::parse(&op).map(|op| -> rusqlite::Result<StoredPending> {
            Ok(StoredPending {
                remote: remote_of(row)?,
                name: row.get(3)?,
                pending: Pending { op, local_version: row.get(5)?, request_id: row.get(6)? },
                attempts: row.get(7)?,
                mac: row.get(8)?,
                queued_ms: row.get(9)?,
                last_error: row.get(10)?,
            })
        }))
    })?;
    let mut out = Vec::new();
    for row in rows {
        if let Some(stored) = row? {
            out.push(stored?);
        }
    }
    Ok(out)
}

fn stored_conflicts(conn: &Connection, remote_id: Option<i64>) -> Result<Vec<StoredConflict>> {
    let mut stmt = conn.prepare_cached(CONFLICTS)?;
    let rows = stmt.query_map([remote_id], |row| {
        Ok(StoredConflict {
            remote: remote_of(row)?,
            name: row.get(3)?,
            reason: row.get(4)?,
            detected_ms: row.get(5)?,
            mac: row.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Checks every base record, outbox row and conflict against `key`.
pub(crate) fn verify_all(conn: &Connection, key: &IntegrityKey) -> Result<()> {
    stored_bases(conn, None)?.iter().try_for_each(|stored| stored.verify(key))?;
    stored_pending(conn, None)?.iter().try_for_each(|stored| stored.verify(key))?;
    stored_conflicts(conn, None)?.iter().try_for_each(|stored| stored.verify(key))
}

/// Tags every base record, outbox row and conflict under `key`: all of them
/// (a vault sealed for the first time, or re-keyed after every row checked
/// out), or, moving a vault from tag format 1, only those whose format-1 tag
/// checks out (`from_format_1`), so a row altered before stays refused.
pub(crate) fn tag_all(conn: &Connection, key: &IntegrityKey, from_format_1: bool) -> Result<()> {
    for stored in stored_bases(conn, None)? {
        if from_format_1 && !stored.verify_format_1(key) {
            continue;
        }
        let mac = stored.fields(|fields| key.tag("sync_state/2", fields));
        conn.execute(
            "UPDATE sync_state SET mac = ?3 WHERE remote_id = ?1 AND name = ?2",
            params![stored.remote.id, stored.name, mac],
        )?;
    }
    for stored in stored_pending(conn, None)? {
        if from_format_1 && !stored.verify_format_1(key) {
            continue;
        }
        let mac = stored.fields(|fields| key.tag("outbox/2", fields));
        conn.execute(
            "UPDATE outbox SET mac = ?3 WHERE remote_id = ?1 AND name = ?2",
            params![stored.remote.id, stored.name, mac],
        )?;
    }
    // Format 1 left conflicts untagged: they are taken as they stand, like
    // every row of a vault sealed for the first time. A resolve re-checks
    // each against the remote's selection and the vault's names anyway.
    for stored in stored_conflicts(conn, None)? {
        let mac = stored.fields(|fields| key.tag("conflict", fields));
        conn.execute(
            "UPDATE conflicts SET mac = ?3 WHERE remote_id = ?1 AND name = ?2",
            params![stored.remote.id, stored.name, mac],
        )?;
    }
    Ok(())
}

impl StoredBase {
    /// Format 1's tag, bound to the remote's row id only.
    fn verify_format_1(&self, key: &IntegrityKey) -> bool {
        let base = &self.base;
        let fields = [
            Field::Int(self.remote.id),
            Field::Text(&self.name),
            Field::Text(&base.remote_id),
            Field::Text(&base.marker),
            Field::Opt(base.local_version.map(i64::from)),
            Field::Int(base.in_sync.into()),
        ];
        key.verify("sync_state", &fields, self.mac.as_deref())
    }
}

impl StoredPending {
    /// Format 1's tag, bound to the remote's row id only.
    fn verify_format_1(&self, key: &IntegrityKey) -> bool {
        let pending = &self.pending;
        let fields = [
            Field::Int(self.remote.id),
            Field::Text(&self.name),
            Field::Text(pending.op.as_str()),
            Field::Opt(pending.local_version.map(i64::from)),
            Field::Text(&pending.request_id),
        ];
        key.verify("outbox", &fields, self.mac.as_deref())
    }
}

/// The remote's base records by name, each checked against `check`'s tag
/// (`None` only for display while locked: the overview acts on nothing).
pub(crate) fn bases(
    conn: &Connection,
    check: Option<&IntegrityKey>,
    remote: &RemoteRef,
) -> Result<HashMap<SecretName, Base>> {
    let mut out = HashMap::new();
    for mut stored in stored_bases(conn, Some(remote.id))? {
        // Checked against the remote as the caller verified it.
        stored.remote = remote.clone();
        if let Some(key) = check {
            stored.verify(key)?;
        }
        // Only valid names are ever written; a damaged row is skipped, not trusted.
        if let Ok(name) = SecretName::parse(&stored.name) {
            out.insert(name, stored.base);
        }
    }
    Ok(out)
}

pub(crate) fn save_base(
    conn: &Connection,
    key: &IntegrityKey,
    remote: &RemoteRef,
    name: &SecretName,
    base: &Base,
) -> Result<()> {
    let mac = base_fields(remote, name.as_str(), base, |fields| key.tag("sync_state/2", fields));
    conn.prepare_cached(
        "INSERT OR REPLACE INTO sync_state (remote_id, name, remote_key, marker, local_version, in_sync, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        remote.id,
        name.as_str(),
        base.remote_id,
        base.marker,
        base.local_version,
        base.in_sync,
        mac
    ])?;
    Ok(())
}

pub(crate) fn forget_base(conn: &Connection, remote: &RemoteRef, name: &SecretName) -> Result<()> {
    conn.prepare_cached("DELETE FROM sync_state WHERE remote_id = ?1 AND name = ?2")?
        .execute(params![remote.id, name.as_str()])?;
    Ok(())
}

/// An outbox row: a write planned, in flight or failed.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub pending: Pending,
    pub attempts: u32,
    /// When it was first queued (kept while the same write waits).
    pub queued_ms: Option<i64>,
    pub last_error: Option<String>,
}

/// The remote's outbox by name, each row checked as [`bases`] does.
pub(crate) fn outbox(
    conn: &Connection,
    check: Option<&IntegrityKey>,
    remote: &RemoteRef,
) -> Result<HashMap<SecretName, Queued>> {
    let mut out = HashMap::new();
    for mut stored in stored_pending(conn, Some(remote.id))? {
        stored.remote = remote.clone();
        if let Some(key) = check {
            stored.verify(key)?;
        }
        if let Ok(name) = SecretName::parse(&stored.name) {
            out.insert(
                name,
                Queued {
                    pending: stored.pending,
                    attempts: stored.attempts,
                    queued_ms: Some(stored.queued_ms),
                    last_error: stored.last_error,
                },
            );
        }
    }
    Ok(out)
}

/// Replaces the remote's outbox with `rows` (written before any is sent).
/// Empties the outbox of one remote.
pub(crate) fn clear_outbox(conn: &Connection, remote: &RemoteRef) -> Result<()> {
    conn.execute("DELETE FROM outbox WHERE remote_id = ?1", [remote.id])?;
    Ok(())
}

/// Queues `rows`, each replacing any row of its name, tagged.
pub(crate) fn queue(
    conn: &Connection,
    key: &IntegrityKey,
    remote: &RemoteRef,
    rows: &[(SecretName, Queued, Option<Failure>)],
) -> Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO outbox (remote_id, name, op, local_version, request_id, attempts, last_error, queued_ms, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let now = Timestamp::now().as_millisecond();
    for (name, queued, error) in rows {
        let p = &queued.pending;
        let mac = pending_fields(remote, name.as_str(), p, |fields| key.tag("outbox/2", fields));
        insert.execute(params![
            remote.id,
            name.as_str(),
            p.op.as_str(),
            p.local_version,
            p.request_id,
            queued.attempts,
            error.map(Failure::as_str).or(queued.last_error.as_deref()),
            queued.queued_ms.unwrap_or(now),
            mac
        ])?;
    }
    Ok(())
}

pub(crate) fn outbox_done(conn: &Connection, remote: &RemoteRef, name: &SecretName) -> Result<()> {
    conn.prepare_cached("DELETE FROM outbox WHERE remote_id = ?1 AND name = ?2")?
        .execute(params![remote.id, name.as_str()])?;
    Ok(())
}

/// Counts a failed attempt. Only the failure's category is kept: a remote's
/// error text may echo a value, and the vault file holds no plaintext.
pub(crate) fn outbox_failed(
    conn: &Connection,
    remote: &RemoteRef,
    name: &SecretName,
    error: Failure,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?3 WHERE remote_id = ?1 AND name = ?2",
    )?
    .execute(params![remote.id, name.as_str(), error.as_str()])?;
    Ok(())
}

/// One open conflict, as `keyhaven conflicts` lists it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictInfo {
    pub remote: String,
    pub name: SecretName,
    pub reason: String,
    /// When the sync saw the remote's change.
    pub detected: Timestamp,
    /// This device's side: its current version (`None`: removed here) and
    /// when it last changed.
    pub local_version: Option<u32>,
    pub local_changed: Option<Timestamp>,
    /// Whether the remote can send its value back; where it cannot, keeping
    /// its side marks this device's copy out of date.
    pub remote_reveals: bool,
}

/// Replaces the remote's open conflicts with `conflicts`, each tagged.
/// With `only`, just those names' conflicts are replaced (a push looked at
/// no other name); the others stay open.
pub(crate) fn replace_conflicts(
    conn: &Connection,
    key: &IntegrityKey,
    remote: &RemoteRef,
    conflicts: &[(SecretName, ConflictReason)],
    only: Option<&std::collections::HashSet<SecretName>>,
) -> Result<()> {
    match only {
        None => conn.execute("DELETE FROM conflicts WHERE remote_id = ?1", [remote.id]).map(drop)?,
        Some(names) => {
            for name in names {
                clear_conflict(conn, remote, name)?;
            }
        }
    }
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO conflicts (remote_id, name, reason, detected_ms, mac) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let now = Timestamp::now().as_millisecond();
    for (name, reason) in conflicts {
        let reason = reason.as_str();
        let mac = conflict_fields(remote, name.as_str(), reason, now, |fields| key.tag("conflict", fields));
        insert.execute(params![remote.id, name.as_str(), reason, now, mac])?;
    }
    Ok(())
}

pub(crate) fn clear_conflict(conn: &Connection, remote: &RemoteRef, name: &SecretName) -> Result<()> {
    conn.execute(
        "DELETE FROM conflicts WHERE remote_id = ?1 AND name = ?2",
        params![remote.id, name.as_str()],
    )?;
    Ok(())
}

/// The names in conflict with `remote`, each row checked against its tag:
/// what a resolve acts on.
pub(crate) fn verified_conflicts(
    conn: &Connection,
    key: &IntegrityKey,
    remote: &RemoteRef,
) -> Result<Vec<SecretName>> {
    let mut names = Vec::new();
    for mut stored in stored_conflicts(conn, Some(remote.id))? {
        stored.remote = remote.clone();
        stored.verify(key)?;
        if let Ok(name) = SecretName::parse(&stored.name) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Whether anything was ever synced with `remote`: a checked sync record
/// exists. Decides the first sync's question, so it is read from tagged
/// rows only (the remote's "last synced" time is shown, never trusted).
pub(crate) fn has_synced(conn: &Connection, key: &IntegrityKey, remote: &RemoteRef) -> Result<bool> {
    Ok(!bases(conn, Some(key), remote)?.is_empty())
}

pub(crate) fn conflicts(conn: &Connection) -> Result<Vec<ConflictInfo>> {
    let mut stmt = conn.prepare(
        "SELECT r.name, c.name, c.reason, c.detected_ms, r.kind, s.version, s.updated_ms, s.deleted_ms
         FROM conflicts c JOIN remotes r ON r.id = c.remote_id LEFT JOIN secrets s ON s.name = c.name
         ORDER BY c.name, r.name",
    )?;
    let rows = stmt.query_map([], |row| {
        let live = row.get::<_, Option<i64>>(7)?.is_none();
        let kind = row.get::<_, String>(4)?.parse::<crate::remote::Kind>().ok();
        Ok(ConflictInfo {
            remote: row.get(0)?,
            name: SecretName::from_stored(row.get(1)?),
            reason: row.get(2)?,
            detected: vault::timestamp(row.get(3)?),
            local_version: row.get::<_, Option<u32>>(5)?.filter(|_| live),
            local_changed: row.get::<_, Option<i64>>(6)?.map(vault::timestamp),
            remote_reveals: kind.is_some_and(|kind| kind.capabilities().can_reveal),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Per remote: the names whose remote value is not on this device
/// (remote-only, or changed on the remote since this device's version), and
/// those revoked there, as [`NotHere`].
pub(crate) fn not_on_device(conn: &Connection) -> Result<Vec<(String, SecretName, NotHere)>> {
    let mut stmt = conn.prepare(
        "SELECT r.name, s.name, s.local_version IS NULL, s.marker, r.kind FROM sync_state s
         JOIN remotes r ON r.id = s.remote_id WHERE s.in_sync = 0 ORDER BY s.name, r.name",
    )?;
    let rows = stmt.query_map([], |row| {
        let marker: String = row.get(3)?;
        // A kind this build does not know revokes nothing.
        let kind = row.get::<_, String>(4)?.parse::<crate::remote::Kind>().ok();
        let state = if kind.is_some_and(|kind| kind.revoked_marker(&marker)) {
            NotHere::Revoked
        } else if row.get::<_, bool>(2)? {
            NotHere::RemoteOnly
        } else {
            NotHere::Newer
        };
        Ok((row.get::<_, String>(0)?, SecretName::from_stored(row.get(1)?), state))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Why a remote's value of a secret is not the one on this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotHere {
    /// The remote holds a name this vault does not.
    RemoteOnly,
    /// The remote changed it since this device's version.
    Newer,
    /// Revoked there (Runtype): rotate it here and sync.
    Revoked,
}

/// Notes when `remote` was last reached, for display only (see [`has_synced`]).
pub(crate) fn mark_synced(conn: &Connection, remote: &RemoteRef) -> Result<()> {
    conn.execute(
        "UPDATE remotes SET synced_ms = ?2 WHERE id = ?1",
        params![remote.id, Timestamp::now().as_millisecond()],
    )?;
    Ok(())
}

/// One queued write, as `status` shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueuedWrite {
    pub name: String,
    /// `create`, `update` or `delete`.
    pub op: String,
    pub queued: Timestamp,
    pub attempts: u32,
    /// The category of its last failure (`unreachable`, `unauthorized`…).
    pub last_failure: Option<String>,
}

/// Every remote's queued writes, oldest first, by remote name (unchecked:
/// for display; what is sent is checked when it is sent).
pub(crate) fn queued_writes(conn: &Connection) -> Result<HashMap<String, Vec<QueuedWrite>>> {
    let mut out: HashMap<String, Vec<QueuedWrite>> = HashMap::new();
    for stored in stored_pending(conn, None)? {
        out.entry(stored.remote.name.clone()).or_default().push(QueuedWrite {
            name: stored.name,
            op: stored.pending.op.as_str().to_owned(),
            queued: Timestamp::from_millisecond(stored.queued_ms).unwrap_or_default(),
            attempts: stored.attempts,
            last_failure: stored.last_error,
        });
    }
    for writes in out.values_mut() {
        writes.sort_by_key(|write| write.queued);
    }
    Ok(out)
}
