//! The errors a client gets: the Secret Service's own
//! (`org.freedesktop.Secret.Error.*`), D-Bus's for a refusal or a bad
//! argument, and zbus's. Every message names what was wrong, never a value.

/// The Secret Service's errors, as its specification names them.
#[derive(Debug, zbus::DBusError)]
#[zbus(prefix = "org.freedesktop.Secret.Error")]
pub enum Error {
    #[zbus(error)]
    ZBus(zbus::Error),
    /// The vault is locked (the CLI host cannot ask for the passphrase).
    IsLocked(String),
    /// The session does not exist, or is another client's.
    NoSession(String),
    NoSuchObject(String),
    /// A bad argument (`org.freedesktop.DBus.Error.InvalidArgs` in spirit;
    /// libsecret shows the message either way).
    InvalidArgs(String),
    /// The user (or the program's approval) said no.
    AccessDenied(String),
    NotSupported(String),
    /// The vault could not do it (a tampered row, a full disk).
    Failed(String),
}

impl Error {
    pub(crate) fn invalid(what: impl Into<String>) -> Self {
        Error::InvalidArgs(what.into())
    }
}

impl From<keyhaven_core::Error> for Error {
    fn from(err: keyhaven_core::Error) -> Self {
        match err {
            keyhaven_core::Error::Locked => Error::IsLocked("Keyhaven is locked".into()),
            keyhaven_core::Error::Invalid { .. } => Error::InvalidArgs(err.to_string()),
            other => Error::Failed(other.to_string()),
        }
    }
}

impl From<zbus::zvariant::Error> for Error {
    fn from(err: zbus::zvariant::Error) -> Self {
        Error::ZBus(err.into())
    }
}

impl From<zbus::fdo::Error> for Error {
    fn from(err: zbus::fdo::Error) -> Self {
        Error::ZBus(err.into())
    }
}

/// For a property's getter or setter, which zbus lets answer only with its
/// own errors: a locked vault is a refusal, anything else a failure.
pub(crate) fn failed(err: Error) -> zbus::fdo::Error {
    match err {
        Error::IsLocked(why) => zbus::fdo::Error::AccessDenied(why),
        other => zbus::fdo::Error::Failed(other.to_string()),
    }
}
