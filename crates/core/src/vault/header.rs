//! The vault header: identity and key-derivation facts stored in the `header`
//! table. Only the wrapped (encrypted) identity is secret, and it is sealed.
//! Everything else is read before the key exists, so the KDF parameters are
//! bounded here (a hostile file cannot make unlocking hang or exhaust memory)
//! and the rest is checked against the header's tag right after unlocking.

use std::{collections::HashMap, path::Path, str::FromStr};

use age::x25519::Recipient;
use jiff::Timestamp;
use rusqlite::{Connection, params, types::Value};

use super::{
    crypto::KdfParams,
    integrity::{Field, IntegrityKey},
    schema,
};
use crate::{Error, Result};

const FORMAT: &str = "keyhaven-vault";

/// The most a header may ask of the KDF: above what `init` offers, far below
/// what would hang a machine. Checked before anything is derived.
const MAX_KDF_MEMORY_KIB: u32 = 4096 * 1024;
const MAX_KDF_ITERATIONS: u32 = 100;
const MAX_KDF_PARALLELISM: u32 = 16;
const SALT_LENGTHS: std::ops::RangeInclusive<usize> = 16..=64;
const MAX_WRAPPED_IDENTITY: usize = 1024;

/// The tag format every row of a vault carries, named in its header. Format 2
/// (security round 2) binds each version to its secret's incarnation, each
/// sync record, queued write and conflict to its remote's id, name and
/// creation time, and each remote's settings to the header's generation.
/// A vault tagged in format 1 is moved to 2 at its first unlock.
pub(crate) const TAGS: u32 = 2;

/// "Remember on this device". Turning it on needs the key (its tag proves the
/// user chose it); turning it off does not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Remember {
    Off,
    /// On, without its tag yet: as Keyhaven 0.1 wrote it, or just chosen;
    /// [`Header::seal`] tags it. A sealed header never holds it.
    Untagged,
    On(Vec<u8>),
}

impl Remember {
    pub fn is_on(&self) -> bool {
        *self != Remember::Off
    }
}

#[derive(Clone)]
pub(crate) struct Header {
    pub vault_id: String,
    pub created: Timestamp,
    pub recipient: Recipient,
    pub kdf: KdfParams,
    pub salt: Vec<u8>,
    pub wrapped_identity: Vec<u8>,
    /// The user chose "remember on this device": unlocks try the OS keyring.
    pub remember: Remember,
    /// The tag format of the rows ([`TAGS`]; 1 when the header names none).
    pub tags: u32,
    /// Counts every change to any remote's settings; each settings row's tag
    /// covers it, so a settings row put back from before a change no longer
    /// verifies (a rollback of one row is caught, not only a forged one).
    pub generation: i64,
    /// The header's integrity tag. `None`: a vault from before tags (schema 3),
    /// sealed at its first passphrase unlock.
    pub mac: Option<Vec<u8>>,
}

impl Header {
    /// Associated data for the identity wrap: binds it to this vault, and to
    /// the sealed format, so a sealed header cannot pass for an unsealed one
    /// (that would need a wrap made under the passphrase before sealing).
    pub fn wrap_context(&self, sealed: bool) -> Vec<u8> {
        let version = if sealed { 2 } else { 1 };
        format!("keyhaven-identity-v{version}:{}", self.vault_id).into_bytes()
    }

    pub fn is_sealed(&self) -> bool {
        self.mac.is_some()
    }

    /// Runs `with` over what the header's tag covers: every field but the
    /// tag itself and the remember flag (which has a tag of its own).
    /// From format 2 on, the format and the settings generation too (a header
    /// of format 1 is the fields alone, as it was tagged then).
    fn tagged_fields<T>(&self, with: impl FnOnce(&[Field<'_>]) -> T) -> T {
        let recipient = self.recipient.to_string();
        let kdf = &self.kdf;
        let mut fields = vec![
            Field::Text(FORMAT),
            Field::Text(&self.vault_id),
            Field::Int(self.created.as_millisecond()),
            Field::Text(&recipient),
            Field::Int(kdf.memory_kib.into()),
            Field::Int(kdf.iterations.into()),
            Field::Int(kdf.parallelism.into()),
            Field::Bytes(&self.salt),
            Field::Bytes(&self.wrapped_identity),
        ];
        if self.tags >= 2 {
            fields.extend([Field::Int(self.tags.into()), Field::Int(self.generation)]);
        }
        with(&fields)
    }

    /// Tags the header (and the remember flag, when on) under `key`.
    pub fn seal(&mut self, key: &IntegrityKey) {
        self.mac = Some(self.tagged_fields(|fields| key.tag("header", fields)));
        if self.remember.is_on() {
            self.remember = Remember::On(remember_tag(key, &self.vault_id));
        }
    }

    /// Checks the tag and the remember flag's tag. `Err` names what was altered.
    pub fn verify(&self, key: &IntegrityKey) -> std::result::Result<(), &'static str> {
        if !self.tagged_fields(|fields| key.verify("header", fields, self.mac.as_deref())) {
            return Err("the vault header (recipient, key-derivation settings or identity)");
        }
        match &self.remember {
            Remember::On(tag)
                if !key.verify("remember", &[Field::Text(&self.vault_id)], Some(tag.as_slice())) =>
            {
                Err("the header's remember-on-this-device flag")
            }
            Remember::Untagged => Err("the header's remember-on-this-device flag"),
            _ => Ok(()),
        }
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
        let within = |key: &str, max: u32| -> Result<u32> {
            let value = u32_of(key)?;
            if value == 0 || value > max {
                return Err(Error::Corrupt {
                    path: path.to_owned(),
                    reason: format!("the header's {key} ({value}) is outside 1 to {max}; it was altered"),
                });
            }
            Ok(value)
        };
        let remember = match text("remember")? {
            "0" => Remember::Off,
            "1" => Remember::Untagged,
            tag => Remember::On(unhex(tag).ok_or_else(|| bad("remember"))?),
        };
        let mac = match fields.get("mac") {
            None => None,
            Some(Value::Blob(tag)) => Some(tag.clone()),
            Some(_) => return Err(bad("mac")),
        };
        let optional_number =
            |key: &str| -> Result<Option<i64>> { fields.get(key).map(|_| number(key)).transpose() };
        let tags = match optional_number("tags")? {
            None => 1,
            Some(tags) if (2..=i64::from(TAGS)).contains(&tags) => tags as u32,
            Some(_) => return Err(bad("tags")),
        };
        let generation = optional_number("generation")?.unwrap_or(0);
        if generation < 0 {
            return Err(bad("generation"));
        }
        let salt = blob("kdf_salt")?;
        let wrapped_identity = blob("wrapped_identity")?;
        if !SALT_LENGTHS.contains(&salt.len()) {
            return Err(bad("kdf_salt"));
        }
        if wrapped_identity.len() > MAX_WRAPPED_IDENTITY {
            return Err(bad("wrapped_identity"));
        }
        Ok(Header {
            vault_id: text("vault_id")?.to_owned(),
            created: Timestamp::from_millisecond(number("created_ms")?).map_err(|_| bad("created_ms"))?,
            recipient: Recipient::from_str(text("recipient")?).map_err(|_| bad("recipient"))?,
            kdf: KdfParams {
                memory_kib: within("kdf_memory_kib", MAX_KDF_MEMORY_KIB)?,
                iterations: within("kdf_iterations", MAX_KDF_ITERATIONS)?,
                parallelism: within("kdf_parallelism", MAX_KDF_PARALLELISM)?,
            },
            salt,
            wrapped_identity,
            remember,
            tags,
            generation,
            mac,
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
            (
                "remember",
                match &self.remember {
                    Remember::Off => "0".to_owned(),
                    Remember::Untagged => "1".to_owned(),
                    Remember::On(tag) => super::hex(tag),
                },
            ),
        ] {
            put.execute(params![key, value])?;
        }
        if self.tags >= 2 {
            put.execute(params!["tags", self.tags.to_string()])?;
            put.execute(params!["generation", self.generation.to_string()])?;
        }
        put.execute(params!["kdf_salt", self.salt])?;
        put.execute(params!["wrapped_identity", self.wrapped_identity])?;
        match &self.mac {
            Some(mac) => put.execute(params!["mac", mac])?,
            None => conn.execute("DELETE FROM header WHERE key = 'mac'", [])?,
        };
        Ok(())
    }
}

fn remember_tag(key: &IntegrityKey, vault_id: &str) -> Vec<u8> {
    key.tag("remember", &[Field::Text(vault_id)])
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 128 {
        return None;
    }
    (0..text.len()).step_by(2).map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rusqlite::types::Value;

    use super::*;

    const KEYS: &[&str] = &[
        "format",
        "vault_id",
        "created_ms",
        "recipient",
        "kdf_memory_kib",
        "kdf_iterations",
        "kdf_parallelism",
        "kdf_salt",
        "wrapped_identity",
        "remember",
        "mac",
        "tags",
        "generation",
    ];

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i64>().prop_map(Value::Integer),
            any::<f64>().prop_map(Value::Real),
            ".{0,80}".prop_map(Value::Text),
            "[0-9a-f]{0,130}".prop_map(Value::Text),
            proptest::collection::vec(any::<u8>(), 0..300).prop_map(Value::Blob),
        ]
    }

    proptest! {
        /// Whatever another process wrote into the header table, reading it is
        /// an answer (a header or a clear error), never a panic.
        #[test]
        fn loading_any_header_never_panics(
            fields in proptest::collection::vec((proptest::sample::select(KEYS), value()), 0..16),
            extra in ".{0,20}",
        ) {
            let conn = Connection::open_in_memory().unwrap();
            conn.execute_batch("CREATE TABLE header (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL)").unwrap();
            for (key, value) in fields.iter().map(|(k, v)| (k.to_string(), v)).chain([(extra, &Value::Integer(1))]) {
                conn.execute("INSERT OR REPLACE INTO header (key, value) VALUES (?1, ?2)", params![key, value]).unwrap();
            }
            let _ = Header::load(&conn, Path::new("vault.sqlite"));
        }
    }
}
