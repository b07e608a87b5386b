//! Keyhaven's core: the encrypted local vault and everything else that is not UI.
//!
//! Invariant kept across the crate: secret values are only ever decrypted inside
//! [`vault::UnlockedVault`] and travel as [`secrecy::SecretString`], whose `Debug`
//! prints `[REDACTED]` and which implements neither `Display` nor `Serialize`.

pub mod approval;
pub mod envfile;
pub mod error;
pub mod export;
pub mod git_credential;
pub mod import;
pub mod intake;
pub mod item;
pub mod link;
pub mod listing;
pub mod passphrase;
pub mod reference;
pub mod reminder;
pub mod remote;
pub mod scan;
pub mod secret;
pub mod ssh;
pub mod sync;
pub mod text;
pub mod vault;

pub use error::{Error, ErrorKind, Result};
pub use secret::{SecretMeta, SecretName, VersionMeta};
pub use vault::{AuditEntry, KdfParams, UnlockedVault, Vault, VaultInfo};
