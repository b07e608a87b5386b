//! Who is on the other end of a connection: the peer credentials the kernel
//! gives for a Unix socket (`SO_PEERCRED`), and the program behind the
//! process id. A name is only shown and logged, never trusted to decide.

use std::path::PathBuf;

use tokio::net::UnixStream;

/// The process that connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub pid: Option<i32>,
    pub uid: Option<u32>,
    /// `/proc/PID/exe` when it could be read.
    pub program: Option<PathBuf>,
}

impl Caller {
    pub fn of(stream: &UnixStream) -> Self {
        let cred = stream.peer_cred().ok();
        let pid = cred.as_ref().and_then(|cred| cred.pid());
        let program = pid.and_then(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).ok());
        Caller { pid, uid: cred.map(|cred| cred.uid()), program }
    }

    /// "ssh (/usr/bin/ssh, pid 4242)", for the log.
    pub fn describe(&self) -> String {
        keyhaven_core::approval::describe_process(self.program.as_deref(), self.pid)
    }
}
