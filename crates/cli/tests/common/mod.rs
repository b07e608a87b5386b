//! A throw-away vault and helpers for running the real `keyhaven` binary.
#![allow(dead_code)]

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

pub const PASSPHRASE: &str = "test passphrase";

pub struct Kh {
    pub dir: tempfile::TempDir,
    pub vault: PathBuf,
    /// TMPDIR for every child, so tests can scan what they leave there.
    pub tmp: PathBuf,
}

impl Kh {
    /// A new vault with cheap key derivation (1 MiB, 1 iteration).
    pub fn new() -> Self {
        let kh = Self::empty();
        kh.ok(&["init", "--kdf-memory-mib", "1", "--kdf-iterations", "1", "--allow-weak"], None);
        kh
    }

    /// A temp dir with no vault yet.
    pub fn empty() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        let vault = dir.path().join("vault.sqlite");
        Self { dir, vault, tmp }
    }

    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyhaven"));
        cmd.env("KEYHAVEN_VAULT", &self.vault)
            .env("KEYHAVEN_PASSPHRASE", PASSPHRASE)
            .env("TMPDIR", &self.tmp)
            .env("HOME", self.dir.path())
            .env_remove("RUST_LOG")
            .env_remove("KEYHAVEN_NEW_PASSPHRASE");
        cmd
    }

    pub fn run_with(&self, mut cmd: Command, args: &[&str], stdin: Option<&[u8]>) -> Output {
        cmd.args(args)
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(input) = stdin {
            // A command may refuse its input before reading all of it (a bad name, an
            // oversize value): the closed pipe is its answer, not a test failure.
            match child.stdin.take().unwrap().write_all(input) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.unwrap(),
            }
        }
        child.wait_with_output().unwrap()
    }

    pub fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        self.run_with(self.cmd(), args, stdin)
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str], stdin: Option<&[u8]>) -> String {
        let out = self.run(args, stdin);
        assert!(out.status.success(), "keyhaven {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs, asserts the exit code, returns stderr.
    pub fn fails(&self, args: &[&str], stdin: Option<&[u8]>, code: i32) -> String {
        let out = self.run(args, stdin);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "keyhaven {args:?}: {stderr}");
        stderr
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// `count` distinct random values that cannot occur by chance.
pub fn random_values(count: usize) -> Vec<String> {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..count).map(|_| format!("{:032x}", rng.r#gen::<u128>())).collect()
}
