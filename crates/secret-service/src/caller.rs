//! Who calls: the process behind a bus connection, from the bus daemon's
//! record of its credentials (`GetConnectionCredentials`), never from what
//! the client says about itself.

use std::path::PathBuf;

use keyhaven_core::approval::describe_process;
use zbus::{fdo::DBusProxy, message::Header, names::BusName};

use crate::Error;

/// A client, as the bus knows it.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// Its unique bus name (`:1.42`): sessions belong to it.
    pub sender: String,
    pub pid: Option<i32>,
    /// `/proc/PID/exe`, read when the request came.
    pub exe: Option<PathBuf>,
}

impl Caller {
    /// The sender of the message `header` heads; refused unless it runs as
    /// this user (the bus is the user's own, but root's clients are refused too).
    pub async fn of(connection: &zbus::Connection, header: &Header<'_>) -> Result<Self, Error> {
        let sender =
            header.sender().ok_or_else(|| Error::AccessDenied("a message without a sender".into()))?;
        let dbus = DBusProxy::new(connection).await?;
        let credentials = dbus.get_connection_credentials(BusName::Unique(sender.to_owned())).await?;
        let ours = rustix::process::getuid().as_raw();
        if credentials.unix_user_id() != Some(ours) {
            tracing::warn!("secret service: refused {sender} (another user)");
            return Err(Error::AccessDenied("Keyhaven serves its own user's programs only".into()));
        }
        let pid = credentials.process_id().and_then(|pid| i32::try_from(pid).ok());
        let exe = pid.and_then(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).ok());
        Ok(Self { sender: sender.to_string(), pid, exe })
    }

    /// "secret-tool (/usr/bin/secret-tool, pid 42)".
    pub fn describe(&self) -> String {
        describe_process(self.exe.as_deref(), self.pid)
    }
}

/// Who owns `name` on the bus, described, for "it is owned by …".
pub(crate) async fn owner_of(connection: &zbus::Connection, name: &'static str) -> String {
    let described = async {
        let dbus = DBusProxy::new(connection).await.ok()?;
        let name = BusName::try_from(name).ok()?;
        let credentials = dbus.get_connection_credentials(name).await.ok()?;
        let pid = credentials.process_id().and_then(|pid| i32::try_from(pid).ok())?;
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        Some(describe_process(exe.as_deref(), Some(pid)))
    };
    described.await.unwrap_or_else(|| "another program".into())
}
