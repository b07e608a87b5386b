//! What a failed command tells the UI: a stable kind to branch on and a
//! message to show. Built from core's errors, which never carry a value.

use keyhaven_core::ErrorKind;
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Wrong passphrase, or the vault is locked.
    Auth,
    NotFound,
    AlreadyExists,
    InvalidInput,
    /// The vault or a value is damaged, or from a newer Keyhaven.
    Corrupt,
    /// A remote could not be reached, or refused the token or the request.
    Remote,
    Other,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct CommandError {
    pub kind: FailureKind,
    pub message: String,
}

impl From<keyhaven_core::Error> for CommandError {
    fn from(err: keyhaven_core::Error) -> Self {
        let kind = match err.kind() {
            ErrorKind::Auth => FailureKind::Auth,
            ErrorKind::NotFound => FailureKind::NotFound,
            ErrorKind::AlreadyExists => FailureKind::AlreadyExists,
            ErrorKind::InvalidInput => FailureKind::InvalidInput,
            ErrorKind::Corrupt | ErrorKind::Incompatible => FailureKind::Corrupt,
            ErrorKind::Remote => FailureKind::Remote,
            _ => FailureKind::Other,
        };
        CommandError { kind, message: err.to_string() }
    }
}

impl CommandError {
    pub fn other(message: impl Into<String>) -> Self {
        CommandError { kind: FailureKind::Other, message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        CommandError { kind: FailureKind::InvalidInput, message: message.into() }
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
