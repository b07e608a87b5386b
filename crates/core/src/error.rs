//! One error type for the core. Messages say what went wrong and what to do; they
//! never carry a secret value (names, paths and counts only).

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("invalid {what}: {rule}")]
    Invalid { what: String, rule: String },

    /// `hint` is empty, or a sentence after a `;`: a close name ("did you
    /// mean"), or the remotes that hold it when this device has no value.
    #[error("no secret named {name}{hint}")]
    NotFound { name: String, hint: String },

    #[error("{name} has no version {version}")]
    VersionNotFound { name: String, version: u32 },

    #[error("a secret named {0} already exists: use `rotate` to give it a new value")]
    AlreadyExists(String),

    #[error("wrong passphrase")]
    WrongPassphrase,

    #[error(
        "this passphrase is weak (strength {score} of 4, {chars} characters; at least 3 and 12 are needed){}. \
         The whole vault rests on it and a forgotten one cannot be recovered: choose a longer one \
         (four or more unrelated words work well), or pass --allow-weak to use it anyway",
        advice.as_ref().map(|a| format!(": {a}")).unwrap_or_default()
    )]
    WeakPassphrase { score: u8, chars: usize, advice: Option<String> },

    #[error(
        "vault is locked: run `keyhaven unlock --remember`, set KEYHAVEN_PASSPHRASE or pass --passphrase-stdin"
    )]
    Locked,

    #[error(
        "{name} (version {version}) failed its integrity check: the stored ciphertext was altered or damaged"
    )]
    Integrity { name: String, version: u32 },

    #[error(
        "the vault file was altered outside Keyhaven: {0} failed its integrity check, so it was not used. \
         Restore the vault file from a backup; what still checks out stays readable"
    )]
    Tampered(String),

    #[error("{} is not a Keyhaven vault: {reason}", path.display())]
    NotAVault { path: PathBuf, reason: String },

    #[error("vault {} is damaged: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },

    #[error(
        "vault {} was written by a newer Keyhaven (schema {found}; this build reads up to {supported}). Upgrade Keyhaven; the file was left untouched",
        path.display()
    )]
    TooNew { path: PathBuf, found: i64, supported: i64 },

    #[error("a vault already exists at {}", .0.display())]
    VaultExists(PathBuf),

    #[error("no vault at {}: run `keyhaven init` to create one", .0.display())]
    NoVault(PathBuf),

    #[error("the OS keyring is not available: {0}")]
    Keyring(String),

    /// `file` names the file, and the format it was read as where known.
    #[error("cannot import {file}: {reason}; nothing was imported")]
    Import { file: String, reason: String },

    #[error(
        "{} is password-protected: give its password (the prompt, or KEYHAVEN_IMPORT_PASSPHRASE; a KeePass key file with --keyfile)",
        .0.display()
    )]
    ImportPassphraseNeeded(PathBuf),

    #[error("wrong password for {} (or the file was altered); nothing was imported", .0.display())]
    WrongImportPassphrase(PathBuf),

    #[error(".env file, line {line}: {reason}; nothing was imported")]
    EnvFile { line: usize, reason: String },

    /// A `.env` file or template given to `run` or `inject`.
    #[error("{file}, line {line}: {reason}")]
    InFile { file: String, line: usize, reason: String },

    #[error("vault is busy: another Keyhaven process kept it locked for too long; try again")]
    Busy,

    #[error("database error: {0}")]
    Database(rusqlite::Error),

    /// The OS error is in the message and not a `source` too, so a printed
    /// chain says it once.
    #[error("{context}: {cause}")]
    Io { context: String, cause: std::io::Error },

    #[error("key derivation failed: {0}")]
    Kdf(String),

    #[error("the stored token of remote {0} failed its integrity check; remove the remote and add it again")]
    TokenIntegrity(String),

    #[error("no remote named {name}{}", hint.as_deref().map(|h| format!("; did you mean {h}?")).unwrap_or_else(|| "; `keyhaven remote ls` lists them".into()))]
    NoRemote { name: String, hint: Option<String> },

    #[error("no conflict for {name} with {remote}; `keyhaven conflicts` lists them")]
    NoConflict { name: String, remote: String },

    /// Keeping the remote's side of a conflict on a remote that cannot send
    /// values back would leave this device serving the value set aside.
    #[error(
        "{remote} cannot send values back, so keeping its {name} would leave this device serving the value \
         you chose to discard: rotate {name} here, or pass --accept-unreadable to mark this device's copy \
         out of date (in the app: Keep remote, mark this copy out of date)"
    )]
    Unreadable { name: String, remote: String },

    /// This device's copy was set aside when a conflict kept `remote`'s value.
    #[error(
        "this device's copy of {name} is out of date: {remote} kept its own value, which it cannot send \
         back. Set a new value here (`keyhaven rotate {name}`; in the app, Rotate) to use it again"
    )]
    OutOfDate { name: String, remote: String },

    #[error("a remote named {0} already exists")]
    RemoteExists(String),

    #[error(
        "remote {remote} refused its API key ({detail}): the key was revoked, has expired or was mistyped. \
         Replace it with `keyhaven remote set-token {remote}` (in the app: Remotes, Replace key); \
         its sync state is kept"
    )]
    KeyRefused { remote: String, detail: String },

    #[error("remote {remote} accepted its API key but refused this ({detail}): {advice}")]
    NotPermitted { remote: String, detail: String, advice: String },

    /// A `keyhaven://` link (or the same request from the CLI) that failed
    /// its checks. Not a `source`: the reason is in this message already, and
    /// a host printing the chain would say it twice.
    #[error("this link was refused: {0}")]
    LinkRefused(crate::link::LinkError),

    #[error(transparent)]
    Remote(#[from] crate::remote::RemoteError),
}

/// Coarse classes of [`Error`], stable for callers that branch on them
/// (the CLI maps them to exit codes, the app to UI states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidInput,
    NotFound,
    AlreadyExists,
    /// Wrong passphrase or no key available.
    Auth,
    /// The vault file or one of its values is damaged or not ours.
    Corrupt,
    /// The vault was written by a newer version.
    Incompatible,
    /// A remote could not be reached, refused the credentials or the request.
    Remote,
    Other,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Invalid { .. }
            | Error::EnvFile { .. }
            | Error::InFile { .. }
            | Error::Import { .. }
            | Error::WeakPassphrase { .. }
            | Error::Unreadable { .. }
            | Error::LinkRefused(_) => ErrorKind::InvalidInput,
            Error::NotFound { .. }
            | Error::VersionNotFound { .. }
            | Error::NoVault(_)
            | Error::NoRemote { .. }
            | Error::NoConflict { .. } => ErrorKind::NotFound,
            Error::AlreadyExists(_) | Error::VaultExists(_) | Error::RemoteExists(_) => {
                ErrorKind::AlreadyExists
            }
            Error::WrongPassphrase
            | Error::Locked
            | Error::ImportPassphraseNeeded(_)
            | Error::WrongImportPassphrase(_) => ErrorKind::Auth,
            Error::Integrity { .. }
            | Error::NotAVault { .. }
            | Error::Corrupt { .. }
            | Error::TokenIntegrity(_)
            | Error::Tampered(_) => ErrorKind::Corrupt,
            Error::Remote(_) | Error::KeyRefused { .. } | Error::NotPermitted { .. } => ErrorKind::Remote,
            Error::TooNew { .. } => ErrorKind::Incompatible,
            _ => ErrorKind::Other,
        }
    }

    /// `self`, with the advice a refused key needs, for calls to `remote`.
    /// For `map_err` on a remote call: the remote's error as [`Error::at_remote`] words it.
    pub fn from_remote(remote: &str) -> impl Fn(crate::remote::RemoteError) -> Error + '_ {
        move |err| Error::Remote(err).at_remote(remote)
    }

    pub fn at_remote(self, remote: &str) -> Self {
        use crate::remote::Failure;
        match self {
            Error::Remote(err) if err.kind == Failure::Auth => {
                Error::KeyRefused { remote: remote.to_owned(), detail: err.message }
            }
            Error::Remote(err) if err.kind == Failure::Forbidden => {
                let advice = match err.dialect {
                    // Runloop's own words for its 403.
                    Some(crate::remote::Kind::Runloop) => {
                        "the Runloop account lacks the devbox capability (its 403); the key itself is fine: \
                         ask the account's owner to enable devboxes"
                    }
                    _ => {
                        "the key may be read-only or lack the role this needs \
                         (RunTools: org-wide secrets need an org admin's key)"
                    }
                };
                Error::NotPermitted {
                    remote: remote.to_owned(),
                    detail: err.message,
                    advice: advice.to_owned(),
                }
            }
            other => other,
        }
    }

    pub(crate) fn invalid(what: impl Into<String>, rule: impl Into<String>) -> Self {
        Error::Invalid { what: what.into(), rule: rule.into() }
    }

    /// A secret `name` that is not here, without a hint.
    pub fn not_found(name: impl Into<String>) -> Self {
        Error::NotFound { name: name.into(), hint: String::new() }
    }

    pub(crate) fn io(context: impl Into<String>, cause: std::io::Error) -> Self {
        Error::Io { context: context.into(), cause }
    }
}

impl From<crate::link::LinkError> for Error {
    fn from(err: crate::link::LinkError) -> Self {
        Error::LinkRefused(err)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode;
        match err.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Error::Busy,
            _ => Error::Database(err),
        }
    }
}
