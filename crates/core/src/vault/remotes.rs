//! Remotes kept in the vault: their configuration in the clear, their API
//! token age-encrypted like a value. Adding one needs only the public
//! recipient, so it works while the vault is locked; using one needs the key.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};
use secrecy::SecretString;
use serde::Serialize;

use super::{
    Vault,
    audit::{self, Action},
    crypto, now_ms, timestamp,
    unlocked::{UnlockedVault, immediate},
};
use crate::{
    Error, Result,
    remote::{self, Kind, RemoteConfig, Scope, SecretsApi, token_mode},
};

/// A remote as `remote ls` shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RemoteInfo {
    #[serde(flatten)]
    pub config: RemoteConfig,
    /// "live" or "test" when the token's prefix says so.
    pub token_mode: Option<String>,
    pub added: Timestamp,
    pub last_sync: Option<Timestamp>,
    /// Operations waiting in the outbox.
    pub pending: u32,
    pub conflicts: u32,
}

const COLUMNS: &str = "r.id, r.name, r.kind, r.url, r.scope, r.token_mode, r.created_ms, r.synced_ms,
    (SELECT count(*) FROM outbox o WHERE o.remote_id = r.id),
    (SELECT count(*) FROM conflicts c WHERE c.remote_id = r.id)";

fn info_from_row(row: &Row<'_>) -> rusqlite::Result<(i64, RemoteInfo)> {
    let kind: String = row.get(2)?;
    let scope: Option<String> = row.get(4)?;
    let config = RemoteConfig {
        name: row.get(1)?,
        // Only valid kinds and scopes are ever stored.
        kind: kind.parse().unwrap_or(Kind::Runloop),
        url: row.get(3)?,
        scope: scope.and_then(|scope| scope.parse::<Scope>().ok()),
    };
    let info = RemoteInfo {
        config,
        token_mode: row.get(5)?,
        added: timestamp(row.get(6)?),
        last_sync: row.get::<_, Option<i64>>(7)?.map(timestamp),
        pending: row.get(8)?,
        conflicts: row.get(9)?,
    };
    Ok((row.get(0)?, info))
}

/// The row id and description of the remote called `name`.
pub(crate) fn find(conn: &Connection, name: &str) -> Result<(i64, RemoteInfo)> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM remotes r WHERE r.name = ?1"))?
        .query_row([name], info_from_row)
        .optional()?
        .ok_or_else(|| Error::NoRemote(name.to_owned()))
}

impl Vault {
    /// Every remote, by name.
    pub fn remotes(&self) -> Result<Vec<RemoteInfo>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {COLUMNS} FROM remotes r ORDER BY r.name"))?;
        let rows = stmt.query_map([], |row| info_from_row(row).map(|(_, info)| info))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn remote(&self, name: &str) -> Result<RemoteInfo> {
        find(&self.conn, name).map(|(_, info)| info)
    }

    /// Stores a remote with its token encrypted to the vault's recipient.
    pub fn add_remote(&mut self, config: &RemoteConfig, token: &SecretString) -> Result<()> {
        let sealed = crypto::seal_token(&self.header.recipient, &config.name, token);
        let tx = immediate(&mut self.conn)?;
        let exists: bool =
            tx.query_row("SELECT count(*) > 0 FROM remotes WHERE name = ?1", [&config.name], |r| r.get(0))?;
        if exists {
            return Err(Error::RemoteExists(config.name.clone()));
        }
        tx.execute(
            "INSERT INTO remotes (name, kind, url, scope, token_mode, token, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                config.name,
                config.kind.as_str(),
                config.url,
                config.scope.map(Scope::as_str),
                token_mode(token),
                sealed,
                now_ms()
            ],
        )?;
        audit::record(&tx, Action::RemoteAdd, None, Some(&format!("{} ({})", config.name, config.kind)))?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets a remote with its sync state, outbox and conflicts. Nothing on
    /// the remote itself changes.
    pub fn remove_remote(&mut self, name: &str) -> Result<()> {
        let tx = immediate(&mut self.conn)?;
        let (id, _) = find(&tx, name)?;
        tx.execute("DELETE FROM remotes WHERE id = ?1", [id])?;
        audit::record(&tx, Action::RemoteRemove, None, Some(name))?;
        tx.commit()?;
        Ok(())
    }
}

impl UnlockedVault {
    /// The decrypted API token of `remote`.
    pub fn remote_token(&self, remote: &str) -> Result<SecretString> {
        let (id, _) = find(&self.conn, remote)?;
        let sealed: Vec<u8> =
            self.conn.query_row("SELECT token FROM remotes WHERE id = ?1", [id], |r| r.get(0))?;
        crypto::open_token(self.identity(), remote, &sealed)
    }

    /// A Runtype client for `remote` (check, setup URL, intake), with its token.
    pub fn connect_runtype(&self, remote: &str) -> Result<remote::runtype::Runtype> {
        let info = self.remote(remote)?;
        remote::connect_runtype(&info.config, self.remote_token(remote)?, remote::default_policy())
    }

    /// A client for `remote`, with its token.
    pub fn connect(&self, remote: &str) -> Result<Box<dyn SecretsApi>> {
        let info = self.remote(remote)?;
        remote::connect(&info.config, self.remote_token(remote)?, remote::default_policy())
    }
}
