//! The local vault: one SQLite file (WAL) holding secret metadata in the clear
//! and every value version as age ciphertext. [`Vault`] is the locked view
//! (metadata only); [`UnlockedVault`] holds the identity and is the only place
//! values are decrypted.

mod audit;
mod crypto;
mod device_key;
mod grants;
mod header;
mod integrity;
mod items;
mod out_of_date;
mod records;
mod remotes;
mod schema;
pub(crate) mod selection;
mod ssh_keys;
pub(crate) mod sync_state;
mod unlocked;

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use age::x25519::Identity;
use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags};
use secrecy::SecretString;
use serde::Serialize;

pub use audit::{Action as AuditAction, AuditEntry};
pub use crypto::KdfParams;
pub use remotes::{RemoteInfo, SecretRemote};
pub use unlocked::{Access, ImportReport, Incoming, MAX_REMEMBER, UnlockedVault};

pub(crate) use audit::record as record_audit;
pub(crate) use integrity::{Field, IntegrityKey};
pub(crate) use remotes::{RemoteRef, find as find_remote};
pub(crate) use unlocked::mark_out_of_date;

use crate::{
    Error, Result,
    secret::{SecretMeta, SecretName, VersionMeta},
};
use device_key::DeviceKey;
use header::Header;

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A WAL larger than this is checkpointed and truncated when a vault closes:
/// every new process re-reads the whole WAL to rebuild its index.
const WAL_KEEP_BYTES: u64 = 256 * 1024;

/// A vault opened without its key: metadata, history and the audit log only.
pub struct Vault {
    conn: Connection,
    path: PathBuf,
    header: Header,
    /// Tells this opening's connection from any other (see `stamp`).
    opening: u64,
}

/// Changes whenever the vault's contents may have: a commit by this
/// connection or by any other process, or another opening of the file.
/// Lets a reader keep what it built from the vault until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    opening: u64,
    data_version: i64,
    own_changes: u64,
}

/// What `keyhaven info` shows.
#[derive(Debug, Clone, Serialize)]
pub struct VaultInfo {
    pub path: PathBuf,
    pub vault_id: String,
    pub schema_version: i64,
    pub created: Timestamp,
    pub kdf: KdfParams,
    pub kdf_below_recommended: bool,
    pub remembered_on_device: bool,
    pub secrets: u64,
    pub tombstones: u64,
    pub file_bytes: u64,
}

impl Vault {
    /// The platform data dir's `vault.sqlite` (e.g. `~/.local/share/keyhaven/`).
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("dev", "Keyhaven", "keyhaven")
            .map(|dirs| dirs.data_dir().join("vault.sqlite"))
    }

    /// Creates a new vault at `path` and returns it unlocked. The file is built
    /// beside its destination and moved into place only when complete.
    pub fn create(path: &Path, passphrase: &SecretString, kdf: KdfParams) -> Result<UnlockedVault> {
        if path.is_dir() {
            return Err(Error::NotAVault {
                path: path.to_owned(),
                reason: "it is a directory; a vault is created as a file (for example vault.db in it)".into(),
            });
        }
        if path.exists() {
            return Err(Error::VaultExists(path.to_owned()));
        }
        let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
        create_private_dir(dir)?;
        let staging = tempfile::Builder::new()
            .prefix(".keyhaven-new-")
            .tempfile_in(dir)
            .map_err(|err| Error::io(format!("cannot create a file in {}", dir.display()), err))?;

        let identity = Identity::generate();
        let salt = crypto::random_bytes::<{ crypto::SALT_LEN }>().to_vec();
        let vault_id = hex(&crypto::random_bytes::<16>());
        let mut header = Header {
            vault_id,
            created: Timestamp::now(),
            recipient: identity.to_public(),
            kdf,
            salt,
            wrapped_identity: Vec::new(),
            remember: header::Remember::Off,
            tags: header::TAGS,
            generation: 0,
            mac: None,
        };
        let kek = kdf.derive(passphrase, &header.salt)?;
        header.wrapped_identity = crypto::wrap_identity(&identity, &kek, &header.wrap_context(true));
        header.seal(&integrity::IntegrityKey::derive(&identity, &header.vault_id));

        {
            let mut conn = Connection::open(staging.path())?;
            conn.pragma_update(None, "application_id", schema::APPLICATION_ID)?;
            schema::migrate(&mut conn, staging.path())?;
            header.save(&conn)?;
            audit::record(&conn, AuditAction::Init, None, None)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
        }
        staging.persist_noclobber(path).map_err(|err| match err.error.kind() {
            std::io::ErrorKind::AlreadyExists => Error::VaultExists(path.to_owned()),
            _ => Error::io(format!("cannot move the new vault to {}", path.display()), err.error),
        })?;
        tracing::info!(path = %path.display(), "created vault");
        let vault = Vault::open(path)?;
        UnlockedVault::new(vault, identity)
    }

    /// Opens an existing vault, locked. A file that is not a vault, is damaged
    /// or comes from a newer version is refused without being written to.
    pub fn open(path: &Path) -> Result<Vault> {
        if path.is_dir() {
            return Err(Error::NotAVault {
                path: path.to_owned(),
                reason: "it is a directory; the vault is a file (for example vault.db in it)".into(),
            });
        }
        if !path.is_file() {
            return Err(Error::NoVault(path.to_owned()));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn =
            Connection::open_with_flags(path, flags).map_err(|err| schema::classify_open_error(err, path))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Each CLI call is a short process: checkpointing the WAL on every close
        // would cost an fsync per `get`. `Drop` truncates it once it grows.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
        let version = schema::check(&conn, path)?;
        if version < schema::LATEST {
            schema::migrate(&mut conn, path)?;
        }
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON;",
        )
        .map_err(|err| schema::classify_open_error(err, path))?;
        let header = Header::load(&conn, path)?;
        tracing::debug!(path = %path.display(), "opened vault");
        static OPENINGS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let opening = OPENINGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Vault { conn, path: path.to_owned(), header, opening })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// For the sync module's own tables (sync state, outbox, conflicts).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn info(&self) -> Result<VaultInfo> {
        let (secrets, tombstones): (i64, i64) = self.conn.query_row(
            "SELECT count(*) FILTER (WHERE deleted_ms IS NULL), count(*) FILTER (WHERE deleted_ms IS NOT NULL) FROM secrets",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        // The WAL holds recent writes until a checkpoint: count it too.
        let file_bytes = [self.path.clone().into_os_string(), wal_path(&self.path)]
            .iter()
            .filter_map(|path| std::fs::metadata(path).ok())
            .map(|meta| meta.len())
            .sum();
        Ok(VaultInfo {
            path: self.path.clone(),
            vault_id: self.header.vault_id.clone(),
            schema_version: schema::LATEST,
            created: self.header.created,
            kdf: self.header.kdf,
            kdf_below_recommended: self.header.kdf.is_below_recommended(),
            remembered_on_device: self.header.remember.is_on(),
            secrets: secrets.unsigned_abs(),
            tombstones: tombstones.unsigned_abs(),
            file_bytes,
        })
    }

    /// See [`Stamp`]: SQLite's `data_version` counts other connections'
    /// commits, `total_changes` this one's.
    pub fn stamp(&self) -> Result<Stamp> {
        let data_version = self.conn.query_row("PRAGMA data_version", [], |row| row.get(0))?;
        Ok(Stamp { opening: self.opening, data_version, own_changes: self.conn.total_changes() })
    }

    /// Live secrets (no tombstones), by name.
    pub fn list(&self) -> Result<Vec<SecretMeta>> {
        records::list(&self.conn, false)
    }

    /// Live secrets one at a time, in no order: for a reader that keeps less
    /// than the whole list (the app's search index).
    pub fn each(&self, with: impl FnMut(SecretMeta)) -> Result<()> {
        records::each(&self.conn, false, with)
    }

    /// Tombstones only: removed secrets waiting for sync or `purge`.
    pub fn list_removed(&self) -> Result<Vec<SecretMeta>> {
        records::list(&self.conn, true)
    }

    pub fn meta(&self, name: &SecretName) -> Result<SecretMeta> {
        records::live(&self.conn, name).map(|stored| stored.meta)
    }

    /// `name`'s metadata, live or removed (a tombstone); `None` if neither.
    pub(crate) fn meta_any(&self, name: &SecretName) -> Result<Option<SecretMeta>> {
        Ok(records::any(&self.conn, name)?.map(|stored| stored.meta))
    }

    pub fn history(&self, name: &SecretName) -> Result<Vec<VersionMeta>> {
        records::versions(&self.conn, records::live(&self.conn, name)?.id)
    }

    /// Live secrets whose rotate-by date is `until` or earlier, soonest first:
    /// what reminders read, without the whole list (the app checks hourly).
    pub fn rotating_by(&self, until: jiff::civil::Date) -> Result<Vec<SecretMeta>> {
        records::rotating_by(&self.conn, until)
    }

    /// The SSH keys' public halves (works locked: an agent lists them before
    /// an unlock; their tags are checked once the vault is unlocked).
    pub fn ssh_keys(&self) -> Result<Vec<crate::ssh::SshKeyInfo>> {
        ssh_keys::live(&self.conn)?
            .into_iter()
            .map(|stored| {
                crate::ssh::SshKeyInfo::from_public_line(stored.name, &stored.public_key, stored.settings)
            })
            .collect()
    }

    /// Pinned live secrets, by name (unchecked while locked; copying one unlocks).
    pub fn pinned(&self) -> Result<Vec<SecretMeta>> {
        records::pinned(&self.conn)
    }

    /// The newest `limit` audit entries, oldest first.
    pub fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        audit::recent(&self.conn, limit)
    }

    /// Whether the user chose "remember on this device" for this vault (as the
    /// file says; the choice is checked against its tag once unlocked).
    pub fn is_remembered(&self) -> bool {
        self.header.remember.is_on()
    }

    /// Unlocks with the master passphrase. The KDF's parameters were bounded
    /// when the header was read; everything else is checked against its tag
    /// once the identity is unwrapped. A vault from before tags is sealed now.
    pub fn unlock(self, passphrase: &SecretString) -> Result<UnlockedVault> {
        let header = &self.header;
        let kek = header.kdf.derive(passphrase, &header.salt)?;
        let sealed = header.is_sealed();
        let identity =
            match crypto::unwrap_identity(&header.wrapped_identity, &kek, &header.wrap_context(sealed)) {
                Ok(identity) => identity,
                // A sealed header whose tag was deleted to make it pass for an old one.
                Err(Error::WrongPassphrase)
                    if !sealed
                        && crypto::unwrap_identity(
                            &header.wrapped_identity,
                            &kek,
                            &header.wrap_context(true),
                        )
                        .is_ok() =>
                {
                    return Err(Error::Tampered("the header's integrity tag (removed)".into()));
                }
                Err(err) => return Err(err),
            };
        tracing::debug!("vault unlocked with passphrase");
        let mut unlocked = UnlockedVault::new(self, identity)?;
        if !sealed {
            unlocked.seal_untagged(&kek)?;
        } else if unlocked.header.tags < header::TAGS {
            unlocked.upgrade_tags()?;
        }
        Ok(unlocked)
    }

    /// Unlocks with the key remembered in the OS keyring. `Err(Locked)` when the
    /// user never chose to remember it, or locked since, or when the vault is
    /// from before tags (it is sealed at the next passphrase unlock).
    pub fn unlock_with_device_key(self) -> Result<UnlockedVault> {
        if !self.header.remember.is_on() || !self.header.is_sealed() {
            return Err(Error::Locked);
        }
        let device_key = DeviceKey::for_vault(&self.header.vault_id)?;
        let stored = device_key.load()?.ok_or(Error::Locked)?;
        if stored.until.is_some_and(|until| until <= Timestamp::now()) {
            // Its lifetime is over: gone from the keyring, as a lock would do.
            device_key.delete()?;
            tracing::info!("the remembered key's time ran out; it was removed from the keyring");
            return Err(Error::Locked);
        }
        let identity = crypto::identity_from_secret(&stored.identity)
            .filter(|identity| identity.to_public().to_string() == self.header.recipient.to_string())
            .ok_or_else(|| {
                Error::Keyring(
                    "the key stored for this vault does not match it; run `keyhaven forget`".into(),
                )
            })?;
        tracing::debug!("vault unlocked with the device key");
        let mut unlocked = UnlockedVault::new(self, identity)?;
        if unlocked.header.tags < header::TAGS {
            unlocked.upgrade_tags()?;
        }
        Ok(unlocked)
    }

    /// Removes the remembered key from the OS keyring. With `forget` the
    /// preference goes too; without it the next passphrase unlock stores it again.
    pub fn drop_device_key(&mut self, forget: bool) -> Result<()> {
        DeviceKey::for_vault(&self.header.vault_id)?.delete()?;
        if forget && self.header.remember.is_on() {
            // The file's header as it is now (another process may have
            // written it), with only the flag turned off: that needs no key.
            let tx = unlocked::immediate(&mut self.conn)?;
            let mut header = Header::load(&tx, &self.path)?;
            header.remember = header::Remember::Off;
            header.save(&tx)?;
            audit::record(&tx, AuditAction::Forget, None, None)?;
            tx.commit()?;
            self.header = header;
        }
        Ok(())
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        let large = std::fs::metadata(wal_path(&self.path)).is_ok_and(|meta| meta.len() > WAL_KEEP_BYTES);
        if large {
            // Best effort and brief: a busy vault is checkpointed by a later close.
            let _ = self.conn.busy_timeout(Duration::from_millis(200));
            if let Err(err) = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
                tracing::debug!("WAL checkpoint skipped: {err}");
            }
        }
    }
}

fn wal_path(path: &Path) -> std::ffi::OsString {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    wal
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|err| Error::io(format!("cannot create {}", dir.display()), err))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

pub(crate) fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

pub(crate) fn timestamp(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}
