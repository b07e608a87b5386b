//! Opens a vetted URL in the user's browser through the `open` crate's
//! launchers (xdg-open, gio, …), without the engine settings this process
//! set for its own web process (engine.rs): they are the browser's business.

use std::{
    io,
    process::{Command, Stdio},
    thread,
    time::{Duration, Instant},
};

/// How long a launcher gets to fail before it counts as started; xdg-open
/// fails at once when no handler exists, and a browser it starts runs on.
const FAILS_WITHIN: Duration = Duration::from_millis(500);

pub fn open(url: &str) -> io::Result<()> {
    launch(open::commands(url))
}

/// The first of `launchers` that starts and does not fail at once.
fn launch(launchers: impl IntoIterator<Item = Command>) -> io::Result<()> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no launcher (xdg-open, gio, …) is installed");
    for mut command in launchers {
        command
            .env_remove(crate::engine::JIT_VAR)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(err) => {
                last = err;
                continue;
            }
        };
        let started = Instant::now();
        loop {
            match child.try_wait()? {
                Some(status) if status.success() => return Ok(()),
                Some(status) => {
                    last = io::Error::other(format!("{:?} failed: {status}", command.get_program()));
                    break;
                }
                None if started.elapsed() > FAILS_WITHIN => {
                    // Still running: reap it whenever it ends.
                    thread::spawn(move || child.wait());
                    return Ok(());
                }
                None => thread::sleep(Duration::from_millis(20)),
            }
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use std::{fs, os::unix::fs::PermissionsExt, path::Path};

    use super::*;

    fn script(dir: &Path, name: &str, body: &str) -> Command {
        let path = dir.join(name);
        fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        let mut command = Command::new(path);
        // As if inherited from this process after engine::configure.
        command.env(crate::engine::JIT_VAR, "0").arg("https://example.test/docs");
        command
    }

    #[test]
    fn the_first_launcher_that_works_gets_the_url_without_the_engine_settings() {
        let dir = tempfile::tempdir().unwrap();
        let seen = dir.path().join("seen");
        let broken = script(dir.path(), "broken", "exit 3");
        let working =
            script(dir.path(), "working", &format!("echo \"${{JSC_useJIT-unset}} $1\" > {}", seen.display()));
        launch([Command::new(dir.path().join("missing")), broken, working]).unwrap();
        assert_eq!(fs::read_to_string(&seen).unwrap(), "unset https://example.test/docs\n");
    }

    #[test]
    fn when_every_launcher_fails_the_last_failure_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let err = launch([script(dir.path(), "broken", "exit 3")]).unwrap_err();
        assert!(err.to_string().contains("failed: exit status: 3"), "{err}");
    }
}
