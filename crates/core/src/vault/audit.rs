//! The audit log: who-did-what metadata kept in the vault. Never a value.

use jiff::Timestamp;
use rusqlite::{Connection, params};
use serde::Serialize;

use crate::Result;

/// What was done. Stored as the lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Init,
    Reveal,
    Copy,
    Export,
    Inject,
    Set,
    Rotate,
    Rollback,
    /// Description, category or rotation reminder changed.
    Edit,
    Rename,
    Remove,
    Purge,
    Import,
    ChangePassphrase,
    Remember,
    Forget,
    RemoteAdd,
    RemoteRemove,
    /// A remote's API key replaced.
    RemoteKey,
    /// What syncs to a remote, chosen.
    RemoteSelect,
    Sync,
    Pull,
    Resolve,
    Seal,
    Rekey,
    /// Every version decrypted to look for them in files (`scan`).
    Scan,
    /// An SSH key made here or read from a file (`ssh generate`, `ssh add`).
    SshKey,
    /// A signature made with an SSH key (the agent).
    Sign,
    /// A program's request answered, or a grant revoked (crate::approval).
    Approve,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Init => "init",
            Action::Reveal => "reveal",
            Action::Copy => "copy",
            Action::Export => "export",
            Action::Inject => "inject",
            Action::Set => "set",
            Action::Rotate => "rotate",
            Action::Rollback => "rollback",
            Action::Edit => "edit",
            Action::Rename => "mv",
            Action::Remove => "rm",
            Action::Purge => "purge",
            Action::Import => "import",
            Action::ChangePassphrase => "passwd",
            Action::Remember => "remember",
            Action::Forget => "forget",
            Action::RemoteAdd => "remote add",
            Action::RemoteRemove => "remote rm",
            Action::RemoteKey => "remote set-token",
            Action::RemoteSelect => "remote edit",
            Action::Sync => "sync",
            Action::Pull => "pull",
            Action::Resolve => "resolve",
            Action::Seal => "seal",
            Action::Rekey => "rekey",
            Action::Scan => "scan",
            Action::SshKey => "ssh-key",
            Action::Sign => "sign",
            Action::Approve => "approve",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEntry {
    pub at: Timestamp,
    pub action: String,
    pub name: Option<String>,
    pub detail: Option<String>,
}

pub(crate) fn record(
    conn: &Connection,
    action: Action,
    name: Option<&str>,
    detail: Option<&str>,
) -> Result<()> {
    conn.prepare_cached("INSERT INTO audit (at_ms, action, name, detail) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![super::now_ms(), action.as_str(), name, detail])?;
    Ok(())
}

/// The newest `limit` entries, oldest first.
pub(crate) fn recent(conn: &Connection, limit: u32) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare(
        "SELECT at_ms, action, name, detail FROM
           (SELECT id, at_ms, action, name, detail FROM audit ORDER BY id DESC LIMIT ?1)
         ORDER BY id",
    )?;
    let rows = stmt.query_map([limit], |row| {
        Ok(AuditEntry {
            at: super::timestamp(row.get(0)?),
            action: row.get(1)?,
            name: row.get(2)?,
            detail: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
