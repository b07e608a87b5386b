//! Versioned migrations, tracked in SQLite's `user_version`. Opening never
//! writes to a file whose schema is newer than this build knows.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::{Error, Result};

/// Marks the file as a Keyhaven vault (`PRAGMA application_id`, "KhVl").
pub(crate) const APPLICATION_ID: i32 = 0x4b68_566c;

/// Migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_sync.sql"),
    include_str!("migrations/0003_pinned.sql"),
    include_str!("migrations/0004_integrity.sql"),
    include_str!("migrations/0005_remote_settings.sql"),
    include_str!("migrations/0006_tags_2.sql"),
    include_str!("migrations/0007_out_of_date.sql"),
    include_str!("migrations/0008_openbao.sql"),
    include_str!("migrations/0009_ssh_keys.sql"),
    include_str!("migrations/0010_ssh_hosts.sql"),
    include_str!("migrations/0011_grants.sql"),
    include_str!("migrations/0012_items.sql"),
];

pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

/// Reads the identifying pragmas and refuses anything that is not a vault this
/// build can read. Reads only.
pub(crate) fn check(conn: &Connection, path: &Path) -> Result<i64> {
    let read = |pragma: &str| -> Result<i64> {
        conn.pragma_query_value(None, pragma, |row| row.get(0)).map_err(|err| classify_open_error(err, path))
    };
    let application_id = read("application_id")?;
    let version = read("user_version")?;
    if application_id != i64::from(APPLICATION_ID) {
        let reason = if application_id == 0 && version == 0 {
            "the file is empty or is some other SQLite database".to_owned()
        } else {
            format!("unknown application id {application_id:#x}")
        };
        return Err(Error::NotAVault { path: path.to_owned(), reason });
    }
    if version > LATEST {
        return Err(Error::TooNew { path: path.to_owned(), found: version, supported: LATEST });
    }
    Ok(version)
}

/// Applies the missing migrations in one immediate transaction.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Re-read inside the lock: another process may have migrated meanwhile.
    let current: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if current > LATEST {
        return Err(Error::TooNew { path: path.to_owned(), found: current, supported: LATEST });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tracing::debug!(to = index + 1, "applying vault migration");
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", LATEST)?;
    tx.commit()?;
    Ok(())
}

/// Turns SQLite's "not a database" and "malformed" into our clear errors.
pub(crate) fn classify_open_error(err: rusqlite::Error, path: &Path) -> Error {
    use rusqlite::ffi::ErrorCode;
    match err.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => Error::NotAVault {
            path: path.to_owned(),
            reason: "the file is not an SQLite database (garbage or encrypted by something else)".into(),
        },
        Some(ErrorCode::DatabaseCorrupt) => Error::Corrupt {
            path: path.to_owned(),
            reason: "SQLite reports the file as malformed (truncated or overwritten)".into(),
        },
        _ => Error::from(err),
    }
}
