//! Approvals remembered "always for this program" (table `grants`), each
//! under its own tag: an edited file grants nothing, it fails `verify`.

use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use super::{
    integrity::{Field, IntegrityKey},
    now_ms, timestamp,
};
use crate::{
    Error, Result,
    approval::{Grant, Program, Subject},
};

const DOMAIN: &str = "grant/1";

struct Row {
    id: i64,
    exe: String,
    sha256: String,
    subject: String,
    created_ms: i64,
    mac: Vec<u8>,
}

impl Row {
    fn fields(&self) -> [Field<'_>; 5] {
        [
            Field::Int(self.id),
            Field::Text(&self.exe),
            Field::Text(&self.sha256),
            Field::Text(&self.subject),
            Field::Int(self.created_ms),
        ]
    }

    fn verify(&self, key: &IntegrityKey) -> Result<()> {
        if key.verify(DOMAIN, &self.fields(), Some(&self.mac)) {
            Ok(())
        } else {
            Err(Error::Tampered(format!("the approval of {} for {}", self.exe, self.subject)))
        }
    }

    fn grant(self) -> Grant {
        Grant {
            id: self.id,
            program: self.exe,
            sha256: self.sha256,
            subject: self.subject,
            granted: timestamp(self.created_ms),
        }
    }
}

const SELECT: &str = "SELECT id, exe, sha256, subject, created_ms, mac FROM grants";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        id: row.get(0)?,
        exe: row.get(1)?,
        sha256: row.get(2)?,
        subject: row.get(3)?,
        created_ms: row.get(4)?,
        mac: row.get(5)?,
    })
}

/// Whether `program`, as it hashes now, may use `subject`: a grant for its
/// path with another hash (the binary changed) does not count.
pub(crate) fn granted(
    conn: &Connection,
    key: &IntegrityKey,
    program: &Program,
    subject: &Subject,
) -> Result<bool> {
    let row = conn
        .prepare_cached(&format!("{SELECT} WHERE exe = ?1 AND subject = ?2"))?
        .query_row(params![program.exe_text(), subject.as_stored()], from_row)
        .optional()?;
    match row {
        Some(row) => {
            row.verify(key)?;
            Ok(row.sha256 == program.sha256)
        }
        None => Ok(false),
    }
}

/// Remembers that `program` may use `subject`, replacing a grant for an
/// older build of the same path.
pub(crate) fn put(
    tx: &Transaction<'_>,
    key: &IntegrityKey,
    program: &Program,
    subject: &Subject,
) -> Result<Grant> {
    tx.prepare_cached("DELETE FROM grants WHERE exe = ?1 AND subject = ?2")?
        .execute(params![program.exe_text(), subject.as_stored()])?;
    let mut row = Row {
        id: 0,
        exe: program.exe_text(),
        sha256: program.sha256.clone(),
        subject: subject.as_stored(),
        created_ms: now_ms(),
        mac: Vec::new(),
    };
    tx.prepare_cached(
        "INSERT INTO grants (exe, sha256, subject, created_ms, mac) VALUES (?1, ?2, ?3, ?4, x'')",
    )?
    .execute(params![row.exe, row.sha256, row.subject, row.created_ms])?;
    row.id = tx.last_insert_rowid();
    row.mac = key.tag(DOMAIN, &row.fields());
    tx.prepare_cached("UPDATE grants SET mac = ?2 WHERE id = ?1")?.execute(params![row.id, row.mac])?;
    Ok(row.grant())
}

/// Every grant, checked, oldest first.
pub(crate) fn all(conn: &Connection, key: &IntegrityKey) -> Result<Vec<Grant>> {
    let rows: Vec<Row> = conn
        .prepare_cached(&format!("{SELECT} ORDER BY id"))?
        .query_map([], from_row)?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter().map(|row| row.verify(key).map(|()| row.grant())).collect()
}

/// Forgets grant `id`; false when there was none.
pub(crate) fn remove(tx: &Transaction<'_>, id: i64) -> Result<bool> {
    Ok(tx.prepare_cached("DELETE FROM grants WHERE id = ?1")?.execute([id])? == 1)
}

pub(crate) fn verify_all(conn: &Connection, key: &IntegrityKey) -> Result<()> {
    all(conn, key).map(drop)
}

/// Tags every row under `key` (a new passphrase or key).
pub(crate) fn tag_all(tx: &Transaction<'_>, key: &IntegrityKey) -> Result<()> {
    let rows: Vec<Row> = tx.prepare(SELECT)?.query_map([], from_row)?.collect::<rusqlite::Result<_>>()?;
    let mut update = tx.prepare("UPDATE grants SET mac = ?2 WHERE id = ?1")?;
    for row in rows {
        update.execute(params![row.id, key.tag(DOMAIN, &row.fields())])?;
    }
    Ok(())
}
