//! Approvals: which program may use what. One piece for every service
//! Keyhaven hosts (the SSH agent; the Secret Service next), belonging to
//! neither protocol:
//!
//! - who asks: [`Program`], the executable of the process behind a socket's
//!   or a bus connection's credentials, with the SHA-256 of the file it runs;
//! - what it asks for: a [`Subject`];
//! - the question, put by the host's [`Prompt`] (the app's window, or the
//!   CLI host's askpass program) and answered [`Decision::Once`],
//!   [`Decision::UntilLock`], [`Decision::Always`] or [`Decision::Deny`];
//! - what is remembered: "until lock" in memory ([`Approvals::lock`] forgets
//!   it), "always" in the vault by executable path and hash (a changed
//!   binary is asked again; a new process id of the same one is not);
//! - the log: every answer is in `keyhaven log` with the program.
//!
//! A program is told apart by its executable, so two programs of one user
//! running the same interpreter (`python3`) are one program to this piece,
//! as they are to KeePassXC's and 1Password's approvals.

use std::{
    collections::{HashMap, HashSet},
    io::Read as _,
    os::unix::fs::MetadataExt as _,
    path::{Path, PathBuf},
    sync::Mutex,
    time::Duration,
};

use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::{Error, Result, UnlockedVault, secret::SecretName, vault::hex};

/// How long a question waits for its answer before it counts as denied;
/// a locked vault waits as long for its unlock.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(30);

/// A process's program: the executable it runs and that file's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub pid: i32,
    /// `/proc/PID/exe`.
    pub exe: PathBuf,
    /// SHA-256 of the running executable, hex.
    pub sha256: String,
}

impl Program {
    /// The path as stored and shown: lossy where it is not UTF-8.
    pub fn exe_text(&self) -> String {
        self.exe.to_string_lossy().into_owned()
    }

    /// "ssh (/usr/bin/ssh, pid 4242)", for the log and the question.
    pub fn describe(&self) -> String {
        describe_process(Some(&self.exe), Some(self.pid))
    }
}

/// "ssh (/usr/bin/ssh, pid 4242)", or as much of it as is known, for the log
/// and the questions. The name is the file's, which its author chose: the
/// path is always shown, and control characters are replaced, so a file
/// name cannot forge a line of either.
pub fn describe_process(exe: Option<&Path>, pid: Option<i32>) -> String {
    let name = exe
        .and_then(Path::file_name)
        .map_or_else(|| "an unknown program".into(), |name| name.to_string_lossy());
    let text = match (exe, pid) {
        (Some(exe), Some(pid)) => format!("{name} ({}, pid {pid})", exe.display()),
        (Some(exe), None) => format!("{name} ({})", exe.display()),
        (None, Some(pid)) => format!("{name} (pid {pid})"),
        (None, None) => name.into_owned(),
    };
    text.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// What a program asks to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Signing with an SSH key.
    SshKey(SecretName),
    /// Reading an item a program stored (the Secret Service).
    Item {
        name: SecretName,
        /// Its label, or failing that its attributes, for the question.
        label: String,
        /// The item is marked "always ask": nothing is remembered.
        always_ask: bool,
    },
}

impl Subject {
    /// As grants store it: `ssh-key:DEPLOY_KEY`.
    pub fn as_stored(&self) -> String {
        match self {
            Subject::SshKey(name) => format!("ssh-key:{name}"),
            Subject::Item { name, .. } => format!("item:{name}"),
        }
    }

    /// The name the log files the answer under.
    pub fn name(&self) -> &SecretName {
        match self {
            Subject::SshKey(name) | Subject::Item { name, .. } => name,
        }
    }

    /// "use the SSH key DEPLOY_KEY", for the question.
    pub fn describe(&self) -> String {
        match self {
            Subject::SshKey(name) => format!("use the SSH key {name}"),
            Subject::Item { label, .. } => format!("read the item “{label}”"),
        }
    }

    /// Whether an answer may be remembered beyond this request.
    fn remembered(&self) -> bool {
        !matches!(self, Subject::Item { always_ask: true, .. })
    }

    /// The item a Secret Service client reads: its label, or its attributes
    /// when it has none; made printable.
    pub fn item(info: &crate::item::ItemInfo) -> Self {
        let label = if info.label.trim().is_empty() { info.summary() } else { info.label.clone() };
        Subject::Item {
            name: info.name.clone(),
            label: crate::text::printable(&label),
            always_ask: info.always_ask,
        }
    }
}

/// The user's answer to "Allow PROGRAM to SUBJECT?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Deny,
    /// This request only.
    Once,
    /// Until the vault locks (or the host stops).
    UntilLock,
    /// For this program, as long as its binary is unchanged.
    Always,
}

impl Decision {
    fn as_str(self) -> &'static str {
        match self {
            Decision::Deny => "denied",
            Decision::Once => "allowed once",
            Decision::UntilLock => "allowed until lock",
            Decision::Always => "allowed always",
        }
    }
}

/// A question for the user.
pub struct Question<'a> {
    pub program: &'a Program,
    pub subject: &'a Subject,
}

impl Question<'_> {
    /// "Allow ssh (/usr/bin/ssh, pid 42) to use the SSH key DEPLOY_KEY?"
    pub fn text(&self) -> String {
        format!("Allow {} to {}?", self.program.describe(), self.subject.describe())
    }
}

/// Puts a question to the user: the host's window or program. Called from
/// a blocking thread; answers [`Decision::Deny`] when nobody answers within
/// [`ANSWER_WITHIN`].
pub trait Prompt: Send + Sync {
    fn ask(&self, question: &Question<'_>) -> Decision;
}

impl<F: Fn(&Question<'_>) -> Decision + Send + Sync> Prompt for F {
    fn ask(&self, question: &Question<'_>) -> Decision {
        self(question)
    }
}

/// A grant remembered in the vault, as `keyhaven grants` lists it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Grant {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// The executable's path.
    pub program: String,
    /// SHA-256 of the executable when it was allowed, hex.
    pub sha256: String,
    /// What it may use (`ssh-key:DEPLOY_KEY`).
    pub subject: String,
    pub granted: Timestamp,
}

/// A host's approvals: its prompt, what was allowed until lock, and the
/// hashes of executables already read.
pub struct Approvals {
    prompt: Box<dyn Prompt>,
    /// (executable, hash, subject) allowed until lock.
    allowed: Mutex<HashSet<(String, String, String)>>,
    /// One question at a time.
    asking: Mutex<()>,
    hashes: Mutex<HashMap<FileId, String>>,
}

/// A file as the kernel knows it: device, inode, size and change time.
type FileId = (u64, u64, u64, i64, i64);

/// Executables' hashes kept at most.
const MAX_HASHES: usize = 256;

impl Approvals {
    pub fn new(prompt: Box<dyn Prompt>) -> Self {
        Self { prompt, allowed: Mutex::default(), asking: Mutex::new(()), hashes: Mutex::default() }
    }

    /// The program process `pid` runs, if it is still `exe` (the path seen
    /// when it connected; a process id reused since names another program).
    pub fn program(&self, pid: i32, exe: &Path) -> Result<Program> {
        let link = PathBuf::from(format!("/proc/{pid}/exe"));
        let unknown = |err: std::io::Error| Error::invalid("caller", format!("process {pid}: {err}"));
        if std::fs::read_link(&link).map_err(unknown)? != exe {
            return Err(Error::invalid("caller", format!("process {pid} is no longer {}", exe.display())));
        }
        // Opened through /proc: the very file it runs, even if replaced on disk since.
        let mut file = std::fs::File::open(&link).map_err(unknown)?;
        let meta = file.metadata().map_err(unknown)?;
        let id = (meta.dev(), meta.ino(), meta.size(), meta.mtime(), meta.mtime_nsec());
        if let Some(sha256) = lock(&self.hashes).get(&id) {
            return Ok(Program { pid, exe: exe.to_owned(), sha256: sha256.clone() });
        }
        let mut hasher = Sha256::new();
        let mut buffer = vec![0; 64 * 1024];
        loop {
            let read = file.read(&mut buffer).map_err(unknown)?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        let sha256 = hex(&hasher.finalize());
        let mut hashes = lock(&self.hashes);
        if hashes.len() >= MAX_HASHES {
            hashes.clear();
        }
        hashes.insert(id, sha256.clone());
        Ok(Program { pid, exe: exe.to_owned(), sha256 })
    }

    /// Whether `program` may use `subject`: allowed before, or allowed now
    /// by the user. `with_vault` runs a step on the host's unlocked vault
    /// (failing with [`Error::Locked`] when it has none); the vault is not
    /// held while the question is open.
    pub fn allow(
        &self,
        program: &Program,
        subject: &Subject,
        with_vault: impl Fn(&dyn Fn(&UnlockedVault) -> Result<bool>) -> Result<bool>,
    ) -> Result<bool> {
        let key = (program.exe_text(), program.sha256.clone(), subject.as_stored());
        let remembered = subject.remembered();
        let allowed_before = || -> Result<bool> {
            Ok(remembered
                && (lock(&self.allowed).contains(&key)
                    || with_vault(&|vault| vault.granted(program, subject))?))
        };
        if allowed_before()? {
            return Ok(true);
        }
        let _turn = lock(&self.asking);
        // Answered for the same program while this question waited its turn.
        if allowed_before()? {
            return Ok(true);
        }
        let mut decision = self.prompt.ask(&Question { program, subject });
        if !remembered && decision != Decision::Deny {
            decision = Decision::Once;
        }
        with_vault(&|vault| {
            if decision == Decision::Always {
                vault.grant(program, subject)?;
            }
            vault.record_approval(program, subject, decision.as_str())?;
            Ok(true)
        })?;
        if decision == Decision::UntilLock {
            lock(&self.allowed).insert(key);
        }
        Ok(decision != Decision::Deny)
    }

    /// Forgets what was allowed until lock (the vault locked).
    pub fn lock(&self) {
        lock(&self.allowed).clear();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_cannot_forge_a_line() {
        let program = Program { pid: 7, exe: PathBuf::from("/tmp/ssh\nsign ok"), sha256: String::new() };
        assert_eq!(program.describe(), "ssh?sign ok (/tmp/ssh?sign ok, pid 7)");
    }

    #[test]
    fn this_process_is_a_program_with_its_executables_hash() {
        let approvals = Approvals::new(Box::new(|_: &Question<'_>| Decision::Deny));
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        let pid = std::process::id() as i32;
        let program = approvals.program(pid, &exe).unwrap();
        let expected = hex(&Sha256::digest(std::fs::read(&exe).unwrap()));
        assert_eq!((program.exe.clone(), program.sha256.len()), (exe, 64));
        assert_eq!(program.sha256, expected);
        assert!(approvals.program(pid, Path::new("/usr/bin/ssh")).is_err());
    }
}
