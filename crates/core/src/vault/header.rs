//! The vault header: identity and key-derivation facts stored in the `header`
//! table. Only the wrapped (encrypted) identity is secret, and it is sealed.

use std::{collections::HashMap, path::Path, str::FromStr};

use age::x25519::Recipient;
use jiff::Timestamp;
use rusqlite::{Connection, params, types::Value};

use super::{crypto::KdfParams, schema};
use crate::{Error, Result};

const FORMAT: &str = "keyhaven-vault";

#[derive(Clone)]
pub(crate) struct Header {
    pub vault_id: String,
    pub created: Timestamp,
    pub recipient: Recipient,
    pub kdf: KdfParams,
    pub salt: Vec<u8>,
    pub wrapped_identity: Vec<u8>,
    /// The user chose "remember on this device": unlocks try the OS keyring.
    pub remember: bool,
}

impl Header {
    /// Associated data for the identity wrap: binds it to this vault.
    pub fn wrap_context(&self) -> Vec<u8> {
        format!("keyhaven-identity-v1:{}", self.vault_id).into_bytes()
    }

    /// Reads the header; damage is reported against `path`.
    pub fn load(conn: &Connection, path: &Path) -> Result<Header> {
        let fields: HashMap<String, Value> = conn
            .prepare("SELECT key, value FROM header")
            .and_then(|mut stmt| {
                stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<rusqlite::Result<_>>()
            })
            .map_err(|err| schema::classify_open_error(err, path))?;
        let missing =
            |key: &str| Error::Corrupt { path: path.to_owned(), reason: format!("the header has no {key}") };
        let bad = |key: &str| Error::Corrupt {
            path: path.to_owned(),
            reason: format!("the header's {key} is malformed"),
        };
        let field = |key: &str| fields.get(key).ok_or_else(|| missing(key));
        let text = |key: &str| -> Result<&str> {
            match field(key)? {
                Value::Text(text) => Ok(text),
                _ => Err(bad(key)),
            }
        };
        let blob = |key: &str| -> Result<Vec<u8>> {
            match field(key)? {
                Value::Blob(bytes) => Ok(bytes.clone()),
                _ => Err(bad(key)),
            }
        };
        let number = |key: &str| -> Result<i64> { text(key)?.parse().map_err(|_| bad(key)) };
        if text("format")? != FORMAT {
            return Err(bad("format"));
        }
        let u32_of = |key: &str| -> Result<u32> { u32::try_from(number(key)?).map_err(|_| bad(key)) };
        Ok(Header {
            vault_id: text("vault_id")?.to_owned(),
            created: Timestamp::from_millisecond(number("created_ms")?).map_err(|_| bad("created_ms"))?,
            recipient: Recipient::from_str(text("recipient")?).map_err(|_| bad("recipient"))?,
            kdf: KdfParams {
                memory_kib: u32_of("kdf_memory_kib")?,
                iterations: u32_of("kdf_iterations")?,
                parallelism: u32_of("kdf_parallelism")?,
            },
            salt: blob("kdf_salt")?,
            wrapped_identity: blob("wrapped_identity")?,
            remember: number("remember")? != 0,
        })
    }

    pub fn save(&self, conn: &Connection) -> Result<()> {
        let mut put = conn.prepare_cached("INSERT OR REPLACE INTO header (key, value) VALUES (?1, ?2)")?;
        for (key, value) in [
            ("format", FORMAT.to_owned()),
            ("vault_id", self.vault_id.clone()),
            ("created_ms", self.created.as_millisecond().to_string()),
            ("recipient", self.recipient.to_string()),
            ("kdf_memory_kib", self.kdf.memory_kib.to_string()),
            ("kdf_iterations", self.kdf.iterations.to_string()),
            ("kdf_parallelism", self.kdf.parallelism.to_string()),
            ("remember", u8::from(self.remember).to_string()),
        ] {
            put.execute(params![key, value])?;
        }
        put.execute(params!["kdf_salt", self.salt])?;
        put.execute(params!["wrapped_identity", self.wrapped_identity])?;
        Ok(())
    }
}
