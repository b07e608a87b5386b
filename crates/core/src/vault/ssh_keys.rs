//! SSH keys' public halves and agent switches (table `ssh_keys`), one row
//! beside each secret of kind [`SecretKind::SshKey`], whose value is the
//! private key. The public half is in the clear so that an agent can list
//! keys while the vault is locked; its tag binds it to its secret's row id
//! and incarnation (a rename keeps both), so it cannot be moved to another
//! key or outlive a purge. Where a key is meant for (`hosts`) and whether a
//! forwarded agent may use it join the tag when they are set, so rows
//! tagged before schema 10 still verify.

use rusqlite::{Connection, Transaction, params};

use super::{
    integrity::{Field, IntegrityKey},
    records::Stored,
};
use crate::{
    Error, Result,
    secret::{SecretKind, SecretName},
    ssh::SshKeySettings,
};

/// A key's row joined with its secret's name.
pub(crate) struct StoredKey {
    pub secret_id: i64,
    pub name: SecretName,
    pub created_ms: i64,
    /// The `authorized_keys` line: algorithm, base64 key, comment.
    pub public_key: String,
    pub settings: SshKeySettings,
    pub mac: Vec<u8>,
}

const DOMAIN: &str = "ssh_key/1";

fn tag(
    key: &IntegrityKey,
    secret_id: i64,
    created_ms: i64,
    public_key: &str,
    settings: &SshKeySettings,
) -> Vec<u8> {
    let hosts = settings.hosts.join("\n");
    key.tag(DOMAIN, &fields(secret_id, created_ms, public_key, settings, &hosts))
}

/// What the tag covers; `hosts` is the settings' hosts joined as stored.
fn fields<'a>(
    secret_id: i64,
    created_ms: i64,
    public_key: &'a str,
    settings: &SshKeySettings,
    hosts: &'a str,
) -> Vec<Field<'a>> {
    let mut fields = vec![
        Field::Int(secret_id),
        Field::Int(created_ms),
        Field::Text(public_key),
        Field::Int(settings.agent.into()),
    ];
    if !hosts.is_empty() || settings.forwarding {
        fields.extend([Field::Text(hosts), Field::Int(settings.forwarding.into())]);
    }
    fields
}

impl StoredKey {
    /// Fails unless the row is as Keyhaven wrote it for this very secret.
    pub fn verify(&self, key: &IntegrityKey) -> Result<()> {
        let hosts = self.settings.hosts.join("\n");
        let fields = fields(self.secret_id, self.created_ms, &self.public_key, &self.settings, &hosts);
        if key.verify(DOMAIN, &fields, Some(&self.mac)) {
            Ok(())
        } else {
            Err(Error::Tampered(format!("the public key of {}", self.name)))
        }
    }
}

/// Writes (or replaces) the public half of the key `secret` holds.
pub(crate) fn put(
    tx: &Transaction<'_>,
    key: &IntegrityKey,
    secret: &Stored,
    public_key: &str,
    settings: &SshKeySettings,
) -> Result<()> {
    let created_ms = secret.meta.created.as_millisecond();
    let mac = tag(key, secret.id, created_ms, public_key, settings);
    tx.prepare_cached(
        "INSERT INTO ssh_keys (secret_id, public_key, agent, hosts, forwarding, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (secret_id) DO UPDATE SET public_key = ?2, agent = ?3, hosts = ?4, forwarding = ?5, mac = ?6",
    )?
    .execute(params![secret.id, public_key, settings.agent, settings.hosts.join("\n"), settings.forwarding, mac])?;
    Ok(())
}

const SELECT: &str =
    "SELECT k.secret_id, s.name, s.created_ms, k.public_key, k.agent, k.hosts, k.forwarding, k.mac
    FROM ssh_keys k JOIN secrets s ON s.id = k.secret_id";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredKey> {
    Ok(StoredKey {
        secret_id: row.get(0)?,
        name: SecretName::from_stored(row.get(1)?),
        created_ms: row.get(2)?,
        public_key: row.get(3)?,
        settings: SshKeySettings {
            agent: row.get(4)?,
            hosts: row.get::<_, String>(5)?.lines().map(str::to_owned).collect(),
            forwarding: row.get(6)?,
        },
        mac: row.get(7)?,
    })
}

/// The keys of live secrets, by name; tags unchecked (a locked vault
/// cannot check them: the agent lists these, and checks before signing).
pub(crate) fn live(conn: &Connection) -> Result<Vec<StoredKey>> {
    let mut stmt =
        conn.prepare_cached(&format!("{SELECT} WHERE s.deleted_ms IS NULL AND s.kind = ?1 ORDER BY s.name"))?;
    let rows = stmt.query_map([SecretKind::SshKey.as_stored()], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The key `name` holds, if it is a live SSH key.
pub(crate) fn one(conn: &Connection, name: &SecretName) -> Result<Option<StoredKey>> {
    Ok(live(conn)?.into_iter().find(|stored| &stored.name == name))
}

/// Checks every row, and that every SSH key has its public half.
pub(crate) fn verify_all(conn: &Connection, key: &IntegrityKey) -> Result<()> {
    let mut stmt = conn.prepare_cached(SELECT)?;
    for stored in stmt.query_map([], from_row)? {
        stored?.verify(key)?;
    }
    let missing: Option<String> = conn
        .prepare_cached(
            "SELECT name FROM secrets WHERE kind = ?1 AND id NOT IN (SELECT secret_id FROM ssh_keys) LIMIT 1",
        )?
        .query_row([SecretKind::SshKey.as_stored()], |row| row.get(0))
        .ok();
    match missing {
        Some(name) => Err(Error::Tampered(format!("the public key of {name} (it is missing)"))),
        None => Ok(()),
    }
}

/// Tags every row under `key` (a new passphrase or key).
pub(crate) fn tag_all(tx: &Transaction<'_>, key: &IntegrityKey) -> Result<()> {
    let rows: Vec<StoredKey> = {
        let mut stmt = tx.prepare(SELECT)?;
        stmt.query_map([], from_row)?.collect::<rusqlite::Result<_>>()?
    };
    let mut update = tx.prepare("UPDATE ssh_keys SET mac = ?2 WHERE secret_id = ?1")?;
    for row in rows {
        update.execute(params![
            row.secret_id,
            tag(key, row.secret_id, row.created_ms, &row.public_key, &row.settings)
        ])?;
    }
    Ok(())
}
