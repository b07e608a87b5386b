//! Copies this device holds that the user set aside: a conflict settled by
//! keeping the remote's value on a remote that cannot send values back
//! (Runloop, Runtype) leaves this device's version out of date. Reveals of
//! that version (get, copy, run, the tray) refuse it until a newer version
//! is set here; earlier versions and a scan still read.
//!
//! Each mark is tagged, bound to the secret's incarnation (its creation
//! time) and the version it sets aside. A mark deleted from the file is not
//! detected: it only serves the value the user had before, as a whole-file
//! rollback would (docs/SECURITY.md).

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::integrity::{Field, IntegrityKey};
use super::records::Stored;
use crate::{Error, Result};

fn fields<T>(
    stored: &Stored,
    version: u32,
    remote: &str,
    marked_ms: i64,
    with: impl FnOnce(&[Field<'_>]) -> T,
) -> T {
    with(&[
        Field::Text(stored.meta.name.as_str()),
        Field::Int(stored.meta.created.as_millisecond()),
        Field::Int(i64::from(version)),
        Field::Text(remote),
        Field::Int(marked_ms),
    ])
}

/// Marks the current version of the checked row `stored` out of date, because
/// `remote` kept a value it cannot send back.
pub(crate) fn mark(conn: &Connection, key: &IntegrityKey, stored: &Stored, remote: &str) -> Result<()> {
    let version = stored.meta.version;
    let now = Timestamp::now().as_millisecond();
    let mac = fields(stored, version, remote, now, |fields| key.tag("out_of_date", fields));
    conn.execute(
        "INSERT OR REPLACE INTO out_of_date (secret_id, version, remote, marked_ms, mac) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![stored.id, version, remote, now, mac],
    )?;
    Ok(())
}

/// One mark as stored, unchecked.
pub(crate) struct Mark {
    version: u32,
    remote: String,
    marked_ms: i64,
    mac: Option<Vec<u8>>,
}

impl Mark {
    /// Fails with [`Error::OutOfDate`] when the mark sets `version` of the
    /// checked row `stored` aside and that is its current version; a mark
    /// that fails its tag is refused as tampered; a mark on an older version
    /// no longer applies.
    pub fn check(&self, key: &IntegrityKey, stored: &Stored, version: u32) -> Result<()> {
        let genuine = fields(stored, self.version, &self.remote, self.marked_ms, |fields| {
            key.verify("out_of_date", fields, self.mac.as_deref())
        });
        if !genuine {
            return Err(Error::Tampered(format!("the out-of-date mark of {}", stored.meta.name)));
        }
        if self.version == stored.meta.version && version == stored.meta.version {
            return Err(Error::OutOfDate { name: stored.meta.name.to_string(), remote: self.remote.clone() });
        }
        Ok(())
    }
}

const MARKS: &str = "SELECT secret_id, version, remote, marked_ms, mac FROM out_of_date";

fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Mark)> {
    Ok((
        row.get(0)?,
        Mark { version: row.get(1)?, remote: row.get(2)?, marked_ms: row.get(3)?, mac: row.get(4)? },
    ))
}

/// [`Mark::check`] for one secret.
pub(crate) fn check(conn: &Connection, key: &IntegrityKey, stored: &Stored, version: u32) -> Result<()> {
    let mark = conn.query_row(&format!("{MARKS} WHERE secret_id = ?1"), [stored.id], read).optional()?;
    mark.map_or(Ok(()), |(_, mark)| mark.check(key, stored, version))
}

/// Every mark, by secret row id: for a reveal of many secrets at once.
pub(crate) fn all(conn: &Connection) -> Result<HashMap<i64, Mark>> {
    let mut stmt = conn.prepare(MARKS)?;
    let marks = stmt.query_map([], read)?.collect::<rusqlite::Result<_>>()?;
    Ok(marks)
}
