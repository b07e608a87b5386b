//! Reading secret rows: metadata, versions and ciphertexts, with the
//! integrity tags that each secret row and each version row carry.

use std::{collections::HashMap, str::FromStr};

use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{
    integrity::{Field, IntegrityKey},
    timestamp,
};
use crate::{
    Error, Result,
    secret::{SecretKind, SecretMeta, SecretName, VersionMeta},
};

/// What a listing shows. Reading a row to check or write it adds its
/// revision and tag ([`TAGGED_COLUMNS`]); listings leave them out (2 ms of
/// `ls` at 10,000).
const META_COLUMNS: &str =
    "id, name, description, category, created_ms, updated_ms, version, rotate_by, deleted_ms, pinned, kind";
const TAGGED_COLUMNS: &str = "id, name, description, category, created_ms, updated_ms, version, rotate_by, \
    deleted_ms, pinned, kind, revision, mac";

/// A secret row as stored, with its row id, revision and tag.
pub(crate) struct Stored {
    pub id: i64,
    pub meta: SecretMeta,
    /// Counts every write of the row. Its current version row carries the
    /// same number under its own tag, so a secret row put back from before
    /// any later write (a rotation, a removal, a pin, new metadata) no longer
    /// matches the version it points at.
    pub revision: i64,
    pub mac: Option<Vec<u8>>,
}

impl Stored {
    /// Fails unless the row is as Keyhaven last wrote it (its tag), points at
    /// its newest version, and that version row, checked against its own
    /// tag, was anchored to this very revision of the row: a row put back
    /// from before a later write carries a valid tag of its own, but no
    /// longer the newest version or the revision written with it.
    pub fn verify(&self, conn: &Connection, key: &IntegrityKey) -> Result<()> {
        let current = version(conn, self.id, self.meta.version)?;
        self.verify_current(key, current.as_ref(), newest_version(conn, self.id)?)
    }

    /// [`Stored::verify`], given the row's current version row (the one at
    /// its version) and the newest version number stored for it.
    pub fn verify_current(
        &self,
        key: &IntegrityKey,
        current: Option<&VersionRow>,
        newest: Option<u32>,
    ) -> Result<()> {
        self.verify_tag(key)?;
        let name = &self.meta.name;
        if newest != Some(self.meta.version) {
            return Err(Error::Tampered(format!(
                "the record of {name} (it names version {} as current, but its newest is {})",
                self.meta.version,
                newest.map_or("missing".to_owned(), |v| v.to_string())
            )));
        }
        let current = current
            .ok_or_else(|| Error::Tampered(format!("the record of {name} (its version is missing)")))?;
        current.verify(key, Owner::from(&self.meta))?;
        if current.meta_revision != Some(self.revision) {
            return Err(Error::Tampered(format!(
                "the record of {name} (an older copy of it: its current version was written with another one)"
            )));
        }
        Ok(())
    }

    /// The row's own tag only.
    pub fn verify_tag(&self, key: &IntegrityKey) -> Result<()> {
        if secret_fields(&self.meta, Some(self.revision), |fields| {
            key.verify("secret/2", fields, self.mac.as_deref())
        }) {
            Ok(())
        } else {
            Err(Error::Tampered(format!(
                "the record of {} (its current version, removal or pin)",
                self.meta.name
            )))
        }
    }

    /// Format 1's tag (no revision): read only to move a vault to format 2.
    pub fn verify_format_1(&self, key: &IntegrityKey) -> bool {
        // Format 1 had only text: a row of another kind was not written by it.
        self.meta.kind == SecretKind::Text
            && secret_fields(&self.meta, None, |fields| key.verify("secret", fields, self.mac.as_deref()))
    }
}

/// The highest version stored for the row `id`.
fn newest_version(conn: &Connection, id: i64) -> Result<Option<u32>> {
    Ok(conn
        .prepare_cached("SELECT max(version) FROM versions WHERE secret_id = ?1")?
        .query_row([id], |row| row.get(0))?)
}

/// The highest version stored for every row, by row id (one pass over the
/// versions' primary key).
pub(crate) fn newest_versions(conn: &Connection) -> Result<HashMap<i64, u32>> {
    let mut stmt = conn.prepare_cached("SELECT secret_id, max(version) FROM versions GROUP BY secret_id")?;
    let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What a secret row's tag covers: everything but its id and update time;
/// its revision from tag format 2 on (`None`: format 1).
fn secret_fields<T>(meta: &SecretMeta, revision: Option<i64>, with: impl FnOnce(&[Field<'_>]) -> T) -> T {
    let rotate_by = meta.rotate_by.map(|date| date.to_string());
    let fields = [
        Field::Text(meta.name.as_str()),
        Field::Text(&meta.description),
        Field::Text(&meta.category),
        Field::Int(meta.created.as_millisecond()),
        Field::Int(meta.version.into()),
        Field::OptText(rotate_by.as_deref()),
        Field::Opt(meta.deleted.map(|at| at.as_millisecond())),
        Field::Int(meta.pinned.into()),
        Field::Int(revision.unwrap_or_default()),
        // Only a kind other than text is tagged, so every text secret's tag
        // stays as it was before kinds; a key made text no longer matches.
        Field::Text(meta.kind.as_stored()),
    ];
    let fields: &[Field<'_>] = match (revision.is_some(), meta.kind) {
        (true, SecretKind::Text) => &fields[..fields.len() - 1],
        (true, _) => &fields,
        // Rows from before revisions: text only (there were no other kinds).
        (false, _) => &fields[..fields.len() - 2],
    };
    with(fields)
}

/// Tags the row `id` after a write that added its current version (which
/// was written with the row's revision).
pub(crate) fn tag_secret_only(conn: &Connection, key: &IntegrityKey, id: i64) -> Result<Stored> {
    let stored = conn
        .prepare_cached(&format!("SELECT {TAGGED_COLUMNS} FROM secrets WHERE id = ?1"))?
        .query_row([id], meta_from_row)?;
    let mac = secret_fields(&stored.meta, Some(stored.revision), |fields| key.tag("secret/2", fields));
    conn.prepare_cached("UPDATE secrets SET mac = ?2 WHERE id = ?1")?.execute(params![id, mac])?;
    Ok(stored)
}

/// Tags the row `id` after a write, and anchors its current version row to
/// the row's revision (a write that changes the row without a new version:
/// a removal, a pin).
pub(crate) fn tag_secret(conn: &Connection, key: &IntegrityKey, id: i64) -> Result<()> {
    let stored = tag_secret_only(conn, key, id)?;
    if let Some(mut current) = version(conn, id, stored.meta.version)? {
        current.meta_revision = Some(stored.revision);
        let mac = current.tag(key, Owner::from(&stored.meta));
        conn.prepare_cached(
            "UPDATE versions SET meta_revision = ?3, mac = ?4 WHERE secret_id = ?1 AND version = ?2",
        )?
        .execute(params![id, current.version, current.meta_revision, mac])?;
    }
    Ok(())
}

/// One stored version of a value.
pub(crate) struct VersionRow {
    pub version: u32,
    pub created_ms: i64,
    pub origin: String,
    pub ciphertext: Vec<u8>,
    /// On the current version: the revision of the secret row it was last
    /// written with (see [`Stored::revision`]). Older ones keep theirs.
    pub meta_revision: Option<i64>,
    pub mac: Option<Vec<u8>>,
}

/// Which secret a version belongs to: its name and its incarnation (the
/// row's creation time), so a version left from before a purge cannot stand
/// in for a version of the secret created again under the same name.
#[derive(Clone, Copy)]
pub(crate) struct Owner<'a> {
    pub name: &'a SecretName,
    pub created_ms: i64,
}

impl<'a> From<&'a SecretMeta> for Owner<'a> {
    fn from(meta: &'a SecretMeta) -> Self {
        Owner { name: &meta.name, created_ms: meta.created.as_millisecond() }
    }
}

impl VersionRow {
    /// The tag of this version: binds the ciphertext to its secret (name and
    /// incarnation), version, time and origin, so no ciphertext can be made
    /// or moved from outside, and the revision it anchors.
    pub fn tag(&self, key: &IntegrityKey, owner: Owner<'_>) -> Vec<u8> {
        self.fields(owner, |fields| key.tag("version/2", fields))
    }

    pub fn verify(&self, key: &IntegrityKey, owner: Owner<'_>) -> Result<()> {
        if self.fields(owner, |fields| key.verify("version/2", fields, self.mac.as_deref())) {
            Ok(())
        } else {
            Err(Error::Tampered(format!("version {} of {}", self.version, owner.name)))
        }
    }

    /// Format 1's tag (no incarnation): read only to move a vault to format 2.
    pub fn verify_format_1(&self, key: &IntegrityKey, name: &SecretName) -> bool {
        let fields = [
            Field::Text(name.as_str()),
            Field::Int(self.version.into()),
            Field::Int(self.created_ms),
            Field::Text(&self.origin),
            Field::Bytes(&self.ciphertext),
        ];
        key.verify("version", &fields, self.mac.as_deref())
    }

    fn fields<T>(&self, owner: Owner<'_>, with: impl FnOnce(&[Field<'_>]) -> T) -> T {
        with(&[
            Field::Text(owner.name.as_str()),
            Field::Int(owner.created_ms),
            Field::Int(self.version.into()),
            Field::Int(self.created_ms),
            Field::Text(&self.origin),
            Field::Bytes(&self.ciphertext),
            Field::Opt(self.meta_revision),
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
            kind: SecretKind::from_stored(&row.get::<_, String>(10)?),
        },
        revision: if row.as_ref().column_count() > 11 { row.get(11)? } else { 0 },
        mac: if row.as_ref().column_count() > 12 { row.get(12)? } else { None },
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
        Some(_) => Err(Error::NotFound {
            name: name.to_string(),
            hint: "; it was removed (`keyhaven set` gives it a value again)".into(),
        }),
        None => Err(missing(conn, name.as_str())),
    }
}

/// The error for a name no live secret has, with what may help: the remotes
/// that hold it when this device has no value, or a close name.
pub(crate) fn missing(conn: &Connection, name: &str) -> Error {
    let hint = (|| -> Result<String> {
        let mut holders = conn.prepare_cached(
            "SELECT r.name FROM sync_state s JOIN remotes r ON r.id = s.remote_id
             WHERE s.name = ?1 AND s.local_version IS NULL ORDER BY r.name",
        )?;
        let remotes: Vec<String> =
            holders.query_map([name], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
        if !remotes.is_empty() {
            return Ok(format!(
                " on this device; {} holds it, and its value is not here (`keyhaven sync --pull` fetches it \
                 where the remote sends values back)",
                remotes.join(", ")
            ));
        }
        let mut names = conn.prepare_cached("SELECT name FROM secrets WHERE deleted_ms IS NULL")?;
        let names: Vec<String> = names.query_map([], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(crate::text::closest(name, names.iter().map(String::as_str))
            .map(|close| format!("; did you mean {close}?"))
            .unwrap_or_default())
    })();
    Error::NotFound { name: name.to_owned(), hint: hint.unwrap_or_default() }
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

const VERSION_COLUMNS: &str = "version, created_ms, origin, ciphertext, meta_revision, mac";

fn version_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<VersionRow> {
    Ok(VersionRow {
        version: row.get(at)?,
        created_ms: row.get(at + 1)?,
        origin: row.get(at + 2)?,
        ciphertext: row.get(at + 3)?,
        meta_revision: row.get(at + 4)?,
        mac: row.get(at + 5)?,
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
                s.rotate_by, s.deleted_ms, s.pinned, s.kind, s.revision, s.mac,
                v.version, v.created_ms, v.origin, v.ciphertext, v.meta_revision, v.mac
         FROM secrets s JOIN versions v ON v.secret_id = s.id AND v.version = s.version
         WHERE s.deleted_ms IS NULL ORDER BY s.name",
    )?;
    let rows = stmt.query_map([], |row| Ok((meta_from_row(row)?, version_from_row(row, 13)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every secret, removed ones too, with its current version row if it has one.
pub(crate) fn all_with_current(conn: &Connection) -> Result<Vec<(Stored, Option<VersionRow>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.name, s.description, s.category, s.created_ms, s.updated_ms, s.version,
                s.rotate_by, s.deleted_ms, s.pinned, s.kind, s.revision, s.mac,
                v.version, v.created_ms, v.origin, v.ciphertext, v.meta_revision, v.mac
         FROM secrets s LEFT JOIN versions v ON v.secret_id = s.id AND v.version = s.version",
    )?;
    let rows = stmt.query_map([], |row| {
        let current = match row.get::<_, Option<u32>>(13)? {
            Some(_) => Some(version_from_row(row, 13)?),
            None => None,
        };
        Ok((meta_from_row(row)?, current))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
