//! The sync tables of the vault (schema in vault/migrations/0002_sync.sql):
//! per-remote base records, the outbox and the open conflicts. Base records
//! and outbox rows decide what is written to or deleted on a remote, so each
//! carries an integrity tag, checked when read. Conflicts only ask the user.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::plan::{Base, ConflictReason, Pending, WriteOp};
use crate::{
    Error, Result, SecretName,
    remote::Failure,
    vault::{self, Field, IntegrityKey},
};

/// A base record as stored, with its tag.
struct StoredBase {
    remote: i64,
    name: String,
    base: Base,
    mac: Option<Vec<u8>>,
}

impl StoredBase {
    /// Everything that decides the next plan for this name.
    fn fields<T>(&self, with: impl FnOnce(&[Field<'_>]) -> T) -> T {
        base_fields(self.remote, &self.name, &self.base, with)
    }

    fn verify(&self, key: &IntegrityKey) -> Result<()> {
        match self.fields(|fields| key.verify("sync_state", fields, self.mac.as_deref())) {
            true => Ok(()),
            false => Err(Error::Tampered(format!("the sync record of {}", self.name))),
        }
    }
}

fn base_fields<T>(remote: i64, name: &str, base: &Base, with: impl FnOnce(&[Field<'_>]) -> T) -> T {
    with(&[
        Field::Int(remote),
        Field::Text(name),
        Field::Text(&base.remote_id),
        Field::Text(&base.marker),
        Field::Opt(base.local_version.map(i64::from)),
        Field::Int(base.in_sync.into()),
    ])
}

/// An outbox row as stored, with its tag.
struct StoredPending {
    remote: i64,
    name: String,
    pending: Pending,
    attempts: u32,
    mac: Option<Vec<u8>>,
}

impl StoredPending {
    /// What is sent, where, and under which idempotency key.
    fn fields<T>(&self, with: impl FnOnce(&[Field<'_>]) -> T) -> T {
        pending_fields(self.remote, &self.name, &self.pending, with)
    }

    fn verify(&self, key: &IntegrityKey) -> Result<()> {
        match self.fields(|fields| key.verify("outbox", fields, self.mac.as_deref())) {
            true => Ok(()),
            false => Err(Error::Tampered(format!("the queued remote write of {}", self.name))),
        }
    }
}

fn pending_fields<T>(remote: i64, name: &str, pending: &Pending, with: impl FnOnce(&[Field<'_>]) -> T) -> T {
    with(&[
        Field::Int(remote),
        Field::Text(name),
        Field::Text(pending.op.as_str()),
        Field::Opt(pending.local_version.map(i64::from)),
        Field::Text(&pending.request_id),
    ])
}

/// The base records of one remote, or of all.
fn stored_bases(conn: &Connection, remote_id: Option<i64>) -> Result<Vec<StoredBase>> {
    let mut stmt = conn.prepare_cached(
        "SELECT remote_id, name, remote_key, marker, local_version, in_sync, mac FROM sync_state
         WHERE ?1 IS NULL OR remote_id = ?1",
    )?;
    let rows = stmt.query_map([remote_id], |row| {
        Ok(StoredBase {
            remote: row.get(0)?,
            name: row.get(1)?,
            base: Base {
                remote_id: row.get(2)?,
                marker: row.get(3)?,
                local_version: row.get(4)?,
                in_sync: row.get(5)?,
            },
            mac: row.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The outbox rows of one remote, or of all. Rows whose operation is unknown
/// are skipped (never written by us, never acted on).
fn stored_pending(conn: &Connection, remote_id: Option<i64>) -> Result<Vec<StoredPending>> {
    let mut stmt = conn.prepare_cached(
        "SELECT remote_id, name, op, local_version, request_id, attempts, mac FROM outbox
         WHERE ?1 IS NULL OR remote_id = ?1",
    )?;
    let rows = stmt.query_map([remote_id], |row| {
        let op: String = row.get(2)?;
        Ok(WriteOp::parse(&op).map(|op| -> rusqlite::Result<StoredPending> {
            Ok(StoredPending {
                remote: row.get(0)?,
                name: row.get(1)?,
                pending: Pending { op, local_version: row.get(3)?, request_id: row.get(4)? },
                attempts: row.get(5)?,
                mac: row.get(6)?,
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

/// Checks every base record and outbox row against `key`.
pub(crate) fn verify_all(conn: &Connection, key: &IntegrityKey) -> Result<()> {
    stored_bases(conn, None)?.iter().try_for_each(|stored| stored.verify(key))?;
    stored_pending(conn, None)?.iter().try_for_each(|stored| stored.verify(key))
}

/// Tags every base record and outbox row under `key`.
pub(crate) fn tag_all(conn: &Connection, key: &IntegrityKey) -> Result<()> {
    for stored in stored_bases(conn, None)? {
        let mac = stored.fields(|fields| key.tag("sync_state", fields));
        conn.execute(
            "UPDATE sync_state SET mac = ?3 WHERE remote_id = ?1 AND name = ?2",
            params![stored.remote, stored.name, mac],
        )?;
    }
    for stored in stored_pending(conn, None)? {
        let mac = stored.fields(|fields| key.tag("outbox", fields));
        conn.execute(
            "UPDATE outbox SET mac = ?3 WHERE remote_id = ?1 AND name = ?2",
            params![stored.remote, stored.name, mac],
        )?;
    }
    Ok(())
}

/// The remote's base records by name, each checked against `check`'s tag
/// (`None` only for display while locked: the overview acts on nothing).
pub(crate) fn bases(
    conn: &Connection,
    check: Option<&IntegrityKey>,
    remote_id: i64,
) -> Result<HashMap<SecretName, Base>> {
    let mut out = HashMap::new();
    for stored in stored_bases(conn, Some(remote_id))? {
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
    remote_id: i64,
    name: &SecretName,
    base: &Base,
) -> Result<()> {
    let mac = base_fields(remote_id, name.as_str(), base, |fields| key.tag("sync_state", fields));
    conn.prepare_cached(
        "INSERT OR REPLACE INTO sync_state (remote_id, name, remote_key, marker, local_version, in_sync, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        remote_id,
        name.as_str(),
        base.remote_id,
        base.marker,
        base.local_version,
        base.in_sync,
        mac
    ])?;
    Ok(())
}

pub(crate) fn forget_base(conn: &Connection, remote_id: i64, name: &SecretName) -> Result<()> {
    conn.prepare_cached("DELETE FROM sync_state WHERE remote_id = ?1 AND name = ?2")?
        .execute(params![remote_id, name.as_str()])?;
    Ok(())
}

/// An outbox row: a write planned, in flight or failed.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub pending: Pending,
    pub attempts: u32,
}

/// The remote's outbox by name, each row checked as [`bases`] does.
pub(crate) fn outbox(
    conn: &Connection,
    check: Option<&IntegrityKey>,
    remote_id: i64,
) -> Result<HashMap<SecretName, Queued>> {
    let mut out = HashMap::new();
    for stored in stored_pending(conn, Some(remote_id))? {
        if let Some(key) = check {
            stored.verify(key)?;
        }
        if let Ok(name) = SecretName::parse(&stored.name) {
            out.insert(name, Queued { pending: stored.pending, attempts: stored.attempts });
        }
    }
    Ok(out)
}

/// Replaces the remote's outbox with `rows` (written before any is sent).
/// Empties the outbox of one remote.
pub(crate) fn clear_outbox(conn: &Connection, remote_id: i64) -> Result<()> {
    conn.execute("DELETE FROM outbox WHERE remote_id = ?1", [remote_id])?;
    Ok(())
}

/// Queues `rows`, each replacing any row of its name, tagged.
pub(crate) fn queue(
    conn: &Connection,
    key: &IntegrityKey,
    remote_id: i64,
    rows: &[(SecretName, Queued, Option<Failure>)],
) -> Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO outbox (remote_id, name, op, local_version, request_id, attempts, last_error, queued_ms, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let now = Timestamp::now().as_millisecond();
    for (name, queued, error) in rows {
        let p = &queued.pending;
        let mac = pending_fields(remote_id, name.as_str(), p, |fields| key.tag("outbox", fields));
        insert.execute(params![
            remote_id,
            name.as_str(),
            p.op.as_str(),
            p.local_version,
            p.request_id,
            queued.attempts,
            error.map(Failure::as_str),
            now,
            mac
        ])?;
    }
    Ok(())
}

pub(crate) fn outbox_done(conn: &Connection, remote_id: i64, name: &SecretName) -> Result<()> {
    conn.prepare_cached("DELETE FROM outbox WHERE remote_id = ?1 AND name = ?2")?
        .execute(params![remote_id, name.as_str()])?;
    Ok(())
}

/// Counts a failed attempt. Only the failure's category is kept: a remote's
/// error text may echo a value, and the vault file holds no plaintext.
pub(crate) fn outbox_failed(
    conn: &Connection,
    remote_id: i64,
    name: &SecretName,
    error: Failure,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?3 WHERE remote_id = ?1 AND name = ?2",
    )?
    .execute(params![remote_id, name.as_str(), error.as_str()])?;
    Ok(())
}

/// One open conflict, as `keyhaven conflicts` lists it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictInfo {
    pub remote: String,
    pub name: SecretName,
    pub reason: String,
    pub detected: Timestamp,
}

pub(crate) fn replace_conflicts(
    conn: &Connection,
    remote_id: i64,
    conflicts: &[(SecretName, ConflictReason)],
) -> Result<()> {
    conn.execute("DELETE FROM conflicts WHERE remote_id = ?1", [remote_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO conflicts (remote_id, name, reason, detected_ms) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let now = Timestamp::now().as_millisecond();
    for (name, reason) in conflicts {
        insert.execute(params![remote_id, name.as_str(), reason.as_str(), now])?;
    }
    Ok(())
}

pub(crate) fn clear_conflict(conn: &Connection, remote_id: i64, name: &SecretName) -> Result<()> {
    conn.execute(
        "DELETE FROM conflicts WHERE remote_id = ?1 AND name = ?2",
        params![remote_id, name.as_str()],
    )?;
    Ok(())
}

pub(crate) fn conflicts(conn: &Connection) -> Result<Vec<ConflictInfo>> {
    let mut stmt = conn.prepare(
        "SELECT r.name, c.name, c.reason, c.detected_ms FROM conflicts c
         JOIN remotes r ON r.id = c.remote_id ORDER BY c.name, r.name",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok(ConflictInfo {
            remote: row.get(0)?,
            name: SecretName::from_stored(row.get(1)?),
            reason: row.get(2)?,
            detected: vault::timestamp(row.get(3)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Per remote: the names whose remote value is not on this device
/// (remote-only, or changed on the remote since this device's version).
pub(crate) fn not_on_device(conn: &Connection) -> Result<Vec<(String, SecretName, bool)>> {
    let mut stmt = conn.prepare(
        "SELECT r.name, s.name, s.local_version IS NULL FROM sync_state s
         JOIN remotes r ON r.id = s.remote_id WHERE s.in_sync = 0 ORDER BY s.name, r.name",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, SecretName::from_stored(row.get(1)?), row.get::<_, bool>(2)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn mark_synced(conn: &Connection, remote_id: i64) -> Result<()> {
    conn.execute(
        "UPDATE remotes SET synced_ms = ?2 WHERE id = ?1",
        params![remote_id, Timestamp::now().as_millisecond()],
    )?;
    Ok(())
}
