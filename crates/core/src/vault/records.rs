//! Reading secret rows: metadata, versions and ciphertexts, with the
//! integrity tags that each secret row and each version row carry.

use std::str::FromStr;

use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{
    integrity::{Field, IntegrityKey},
    timestamp,
};
use crate::{
    Error, Result,
    secret::{SecretMeta, SecretName, VersionMeta},
};

/// What a listing shows. Reading a row to check or write it adds its tag
/// ([`TAGGED_COLUMNS`]); listings leave it out (2 ms of `ls` at 10,000).
const META_COLUMNS: &str =
    "id, name, description, category, created_ms, updated_ms, version, rotate_by, deleted_ms, pinned";
const TAGGED_COLUMNS: &str =
    "id, name, description, category, created_ms, updated_ms, version, rotate_by, deleted_ms, pinned, mac";

/// A secret row as stored, with its row id and tag.
pub(crate) struct Stored {
    pub id: i64,
    pub meta: SecretMeta,
    pub mac: Option<Vec<u8>>,
}

impl Stored {
    /// Fails unless the row is as Keyhaven last wrote it: which version is
    /// current, removed or not, pinned or not, and its metadata.
    pub fn verify(&self, key: &IntegrityKey) -> Result<()> {
        if secret_fields(&self.meta, |fields| key.verify("secret", fields, self.mac.as_deref())) {
            Ok(())
        } else {
            Err(Error::Tampered(format!(
                "the record of {} (its current version, removal or pin)",
                self.meta.name
            )))
        }
    }
}

/// What a secret row's tag covers: everything but its id and update time.
fn secret_fields<T>(meta: &SecretMeta, with: impl FnOnce(&[Field<'_>]) -> T) -> T {
    let rotate_by = meta.rotate_by.map(|date| date.to_string());
    with(&[
        Field::Text(meta.name.as_str()),
        Field::Text(&meta.description),
        Field::Text(&meta.category),
        Field::Int(meta.created.as_millisecond()),
        Field::Int(meta.version.into()),
        Field::OptText(rotate_by.as_deref()),
        Field::Opt(meta.deleted.map(|at| at.as_millisecond())),
        Field::Int(meta.pinned.into()),
    ])
}

/// Re-tags the row `id` after a write.
pub(crate) fn tag_secret(conn: &Connection, key: &IntegrityKey, id: i64) -> Result<()> {
    let stored = conn
        .prepare_cached(&format!("SELECT {TAGGED_COLUMNS} FROM secrets WHERE id = ?1"))?
        .query_row([id], meta_from_row)?;
    let mac = secret_fields(&stored.meta, |fields| key.tag("secret", fields));
    conn.prepare_cached("UPDATE secrets SET mac = ?2 WHERE id = ?1")?.execute(params![id, mac])?;
    Ok(())
}

/// One stored version of a value.
pub(crate) struct VersionRow {
    pub version: u32,
    pub created_ms: i64,
    pub origin: String,
    pub ciphertext: Vec<u8>,
    pub mac: Option<Vec<u8>>,
}

impl VersionRow {
    /// The tag of this version of `name`: binds the ciphertext to its secret,
    /// version, time and origin, so no ciphertext can be made or moved from outside.
    pub fn tag(&self, key: &IntegrityKey, name: &SecretName) -> Vec<u8> {
        self.fields(name, |fields| key.tag("version", fields))
    }

    pub fn verify(&self, key: &IntegrityKey, name: &SecretName) -> Result<()> {
        if self.fields(name, |fields| key.verify("version", fields, self.mac.as_deref())) {
            Ok(())
        } else {
            Err(Error::Tampered(format!("version {} of {name}", self.version)))
        }
    }

    fn fields<T>(&self, name: &SecretName, with: impl FnOnce(&[Field<'_>]) -> T) -> T {
        with(&[
            Field::Text(name.as_str()),
            Field::Int(self.version.into()),
            Field::Int(self.created_ms),
            Field::Text(&self.origin),
            Field::Bytes(&self.ciphertext),
        ])
    }
}

fn meta_from_row(row: &Row<'_>) -> rusqlite::Result<Stored> {
    let rotate_by: Option<String> = row.get(7)?;
    Ok(Stored {
        id: row.get(0)?,
        meta: SecretMeta {
            name: SecretName::from_stored(row.get(1)?),
            description: row.get(2)?,
            category: row.get(3)?,
            created: timestamp(row.get(4)?),
            updated: timestamp(row.get(5)?),
            version: row.get(6)?,
            rotate_by: rotate_by.and_then(|text| Date::from_str(&text).ok()),
            deleted: row.get::<_, Option<i64>>(8)?.map(timestamp),
            pinned: row.get(9)?,
        },
        mac: if row.as_ref().column_count() > 10 { row.get(10)? } else { None },
    })
}

/// Every row, live and removed, with its tag (for checks and re-tagging).
pub(crate) fn all(conn: &Connection) -> Result<Vec<Stored>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {TAGGED_COLUMNS} FROM secrets"))?;
    let rows = stmt.query_map([], meta_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn list(conn: &Connection, removed: bool) -> Result<Vec<SecretMeta>> {
    let mut list = Vec::new();
    each(conn, removed, |meta| list.push(meta))?;
    // Sorted here: ordering by the name index costs a random row lookup per
    // secret (a third of `ls` on 10,000).
    list.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Ok(list)
}

/// Live (or removed) rows one at a time, in table order.
pub(crate) fn each(conn: &Connection, removed: bool, mut with: impl FnMut(SecretMeta)) -> Result<()> {
    let filter = if removed { "IS NOT NULL" } else { "IS NULL" };
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {META_COLUMNS} FROM secrets WHERE deleted_ms {filter}"))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        with(meta_from_row(row)?.meta);
    }
    Ok(())
}

/// Live pinned secrets, by name.
pub(crate) fn pinned(conn: &Connection) -> Result<Vec<SecretMeta>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {META_COLUMNS} FROM secrets WHERE pinned = 1 AND deleted_ms IS NULL ORDER BY name"
    ))?;
    let rows = stmt.query_map([], |row| meta_from_row(row).map(|stored| stored.meta))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Live secrets whose rotate-by date is `until` or earlier, soonest first.
/// Dates are stored as YYYY-MM-DD, so SQLite compares them as text; the
/// caller still reads each date (`SecretMeta::rotation`).
pub(crate) fn rotating_by(conn: &Connection, until: jiff::civil::Date) -> Result<Vec<SecretMeta>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {META_COLUMNS} FROM secrets
         WHERE deleted_ms IS NULL AND rotate_by IS NOT NULL AND rotate_by <= ?1 ORDER BY rotate_by, name"
    ))?;
    let rows = stmt.query_map([until.to_string()], |row| meta_from_row(row).map(|stored| stored.meta))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The row for `name`, live or tombstoned.
pub(crate) fn any(conn: &Connection, name: &SecretName) -> Result<Option<Stored>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {TAGGED_COLUMNS} FROM secrets WHERE name = ?1"))?
        .query_row([name.as_str()], meta_from_row)
        .optional()?)
}

/// The live row for `name`; a tombstone counts as not found.
pub(crate) fn live(conn: &Connection, name: &SecretName) -> Result<Stored> {
    match any(conn, name)? {
        Some(stored) if stored.meta.deleted.is_none() => Ok(stored),
        _ => Err(Error::NotFound(name.to_string())),
    }
}

pub(crate) fn versions(conn: &Connection, id: i64) -> Result<Vec<VersionMeta>> {
    let mut stmt = conn.prepare_cached(
        "SELECT version, created_ms, origin FROM versions WHERE secret_id = ?1 ORDER BY version",
    )?;
    let rows = stmt.query_map([id], |row| {
        Ok(VersionMeta { version: row.get(0)?, created: timestamp(row.get(1)?), origin: row.get(2)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

const VERSION_COLUMNS: &str = "version, created_ms, origin, ciphertext, mac";

fn version_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<VersionRow> {
    Ok(VersionRow {
        version: row.get(at)?,
        created_ms: row.get(at + 1)?,
        origin: row.get(at + 2)?,
        ciphertext: row.get(at + 3)?,
        mac: row.get(at + 4)?,
    })
}

pub(crate) fn version(conn: &Connection, id: i64, version: u32) -> Result<Option<VersionRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {VERSION_COLUMNS} FROM versions WHERE secret_id = ?1 AND version = ?2"
        ))?
        .query_row(params![id, version], |row| version_from_row(row, 0))
        .optional()?)
}

/// Every version of the row `id` (for re-tagging and re-keying).
pub(crate) fn all_versions(conn: &Connection, id: i64) -> Result<Vec<VersionRow>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {VERSION_COLUMNS} FROM versions WHERE secret_id = ?1"))?;
    let rows = stmt.query_map([id], |row| version_from_row(row, 0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Live secrets with their current version row, by name.
pub(crate) fn current(conn: &Connection) -> Result<Vec<(Stored, VersionRow)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.name, s.description, s.category, s.created_ms, s.updated_ms, s.version,
                s.rotate_by, s.deleted_ms, s.pinned, s.mac,
                v.version, v.created_ms, v.origin, v.ciphertext, v.mac
         FROM secrets s JOIN versions v ON v.secret_id = s.id AND v.version = s.version
         WHERE s.deleted_ms IS NULL ORDER BY s.name",
    )?;
    let rows = stmt.query_map([], |row| Ok((meta_from_row(row)?, version_from_row(row, 11)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
