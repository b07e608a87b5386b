//! The sync tables of the vault (schema in vault/migrations/0002_sync.sql):
//! per-remote base records, the outbox and the open conflicts.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::plan::{Base, ConflictReason, Pending, WriteOp};
use crate::{Result, SecretName, vault};

pub(crate) fn bases(conn: &Connection, remote_id: i64) -> Result<HashMap<SecretName, Base>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, remote_key, marker, local_version, in_sync FROM sync_state WHERE remote_id = ?1",
    )?;
    let rows = stmt.query_map([remote_id], |row| {
        Ok((
            row.get::<_, String>(0)?,
            Base {
                remote_id: row.get(1)?,
                marker: row.get(2)?,
                local_version: row.get(3)?,
                in_sync: row.get(4)?,
            },
        ))
    })?;
    let mut out = HashMap::new();
    for row in rows {
        let (name, base) = row?;
        // Only valid names are ever written; a damaged row is skipped, not trusted.
        if let Ok(name) = SecretName::parse(&name) {
            out.insert(name, base);
        }
    }
    Ok(out)
}

pub(crate) fn save_base(conn: &Connection, remote_id: i64, name: &SecretName, base: &Base) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO sync_state (remote_id, name, remote_key, marker, local_version, in_sync)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        remote_id,
        name.as_str(),
        base.remote_id,
        base.marker,
        base.local_version,
        base.in_sync
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

pub(crate) fn outbox(conn: &Connection, remote_id: i64) -> Result<HashMap<SecretName, Queued>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, op, local_version, request_id, attempts FROM outbox WHERE remote_id = ?1",
    )?;
    let rows = stmt.query_map([remote_id], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, Option<u32>>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, u32>(4)?,
        ))
    })?;
    let mut out = HashMap::new();
    for row in rows {
        let (name, op, local_version, request_id, attempts) = row?;
        if let (Ok(name), Some(op)) = (SecretName::parse(&name), WriteOp::parse(&op)) {
            out.insert(name, Queued { pending: Pending { op, local_version, request_id }, attempts });
        }
    }
    Ok(out)
}

/// Replaces the remote's outbox with `rows` (written before any is sent).
pub(crate) fn replace_outbox(
    conn: &Connection,
    remote_id: i64,
    rows: &[(SecretName, Queued, Option<String>)],
) -> Result<()> {
    conn.execute("DELETE FROM outbox WHERE remote_id = ?1", [remote_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO outbox (remote_id, name, op, local_version, request_id, attempts, last_error, queued_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let now = Timestamp::now().as_millisecond();
    for (name, queued, error) in rows {
        let p = &queued.pending;
        insert.execute(params![
            remote_id,
            name.as_str(),
            p.op.as_str(),
            p.local_version,
            p.request_id,
            queued.attempts,
            error,
            now
        ])?;
    }
    Ok(())
}

pub(crate) fn outbox_done(conn: &Connection, remote_id: i64, name: &SecretName) -> Result<()> {
    conn.prepare_cached("DELETE FROM outbox WHERE remote_id = ?1 AND name = ?2")?
        .execute(params![remote_id, name.as_str()])?;
    Ok(())
}

pub(crate) fn outbox_failed(conn: &Connection, remote_id: i64, name: &SecretName, error: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?3 WHERE remote_id = ?1 AND name = ?2",
    )?
    .execute(params![remote_id, name.as_str(), error])?;
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
