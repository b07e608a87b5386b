//! Copying in Rust: the value never passes through the webview. The copy is
//! marked as a password for clipboard managers that honour the hint, and is
//! cleared after the timeout only if the clipboard still holds it.
//!
//! On a Wayland session the copy goes through `wl-copy` (wl-clipboard)
//! instead, and `wl-copy --clear` clears it: arboard reaches only the X11
//! clipboard there, which Wayland clients do not reliably see.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use keyhaven_core::{SecretName, vault::Access};
use secrecy::{ExposeSecret, SecretString};
use tauri::{AppHandle, Manager};

use crate::{
    AppState,
    error::{CommandError, CommandResult},
    settings,
};

/// Copies `name`'s value from the unlocked vault for the settings' time (the
/// window's Copy, Quick reveal and the tray all come here); the seconds until
/// the clipboard is cleared.
pub fn copy_secret(app: &AppHandle, name: &SecretName) -> CommandResult<u32> {
    let state = app.state::<AppState>();
    let value = state.session().unlocked()?.reveal(name, Access::Copy)?;
    let settings = app.state::<settings::Store>().get();
    state
        .clipboard
        .copy(value, settings.clipboard())
        .map_err(|err| CommandError::other(format!("the clipboard is not available: {err}")))?;
    Ok(settings.clipboard_seconds)
}

#[derive(Clone)]
pub struct Clipboard {
    backend: Arc<Mutex<Backend>>,
    // Each copy's number; a later copy cancels an earlier one's clearing.
    generation: Arc<AtomicU64>,
    /// The value last copied, until it is cleared: locking and quitting clear
    /// the clipboard only while it still holds this (never the user's own text).
    copied: Arc<Mutex<Option<SecretString>>>,
}

impl Default for Clipboard {
    fn default() -> Self {
        let backend = if wayland::available() { Backend::WlCopy } else { Backend::Arboard(None) };
        Clipboard {
            backend: Arc::new(Mutex::new(backend)),
            generation: Default::default(),
            copied: Default::default(),
        }
    }
}

enum Backend {
    /// Kept alive: on X11 the copy lasts only while its owner does.
    Arboard(Option<arboard::Clipboard>),
    WlCopy,
}

impl Backend {
    fn set(&mut self, text: &str) -> Result<(), String> {
        match self {
            Backend::Arboard(clipboard) => {
                if clipboard.is_none() {
                    *clipboard = Some(arboard::Clipboard::new().map_err(|err| err.to_string())?);
                }
                set_secret(clipboard.as_mut().expect("just set"), text).map_err(|err| err.to_string())
            }
            Backend::WlCopy => wayland::set(text).map_err(|err| format!("wl-copy: {err}")),
        }
    }

    fn set_plain(&mut self, text: &str) -> Result<(), String> {
        match self {
            Backend::Arboard(clipboard) => {
                if clipboard.is_none() {
                    *clipboard = Some(arboard::Clipboard::new().map_err(|err| err.to_string())?);
                }
                clipboard.as_mut().expect("just set").set_text(text).map_err(|err| err.to_string())
            }
            Backend::WlCopy => wayland::set(text).map_err(|err| format!("wl-copy: {err}")),
        }
    }

    fn holds(&mut self, text: &str) -> bool {
        match self {
            Backend::Arboard(Some(clipboard)) => clipboard.get_text().is_ok_and(|held| {
                let held = zeroize::Zeroizing::new(held);
                *held == text
            }),
            Backend::Arboard(None) => false,
            Backend::WlCopy => wayland::holds(text),
        }
    }

    fn clear(&mut self) {
        match self {
            Backend::Arboard(Some(clipboard)) => {
                let _ = clipboard.clear();
            }
            Backend::Arboard(None) => {}
            Backend::WlCopy => {
                if let Err(err) = wayland::clear() {
                    tracing::warn!("wl-copy --clear failed: {err}");
                }
            }
        }
    }
}

impl Clipboard {
    pub fn copy(&self, value: SecretString, clear_after: Duration) -> Result<(), String> {
        self.backend().set(value.expose_secret())?;
        *self.copied() = Some(value);
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let this = self.clone();
        std::thread::spawn(move || {
            std::thread::sleep(clear_after);
            if this.generation.load(Ordering::SeqCst) == generation {
                this.clear_if_ours();
            }
        });
        Ok(())
    }

    /// Text that is not a secret (a reference): no password hint, no clearing.
    /// A clearing still pending was for the value this replaces.
    pub fn copy_plain(&self, text: &str) -> Result<(), String> {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.copied().take();
        self.backend().set_plain(text)
    }

    /// Clears the clipboard if it still holds the value we copied last (the
    /// timer, locking, quitting); the user's own text is left alone.
    pub fn clear_if_ours(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let Some(value) = self.copied().take() else { return };
        let mut backend = self.backend();
        if backend.holds(value.expose_secret()) {
            backend.clear();
        }
    }

    fn copied(&self) -> std::sync::MutexGuard<'_, Option<SecretString>> {
        self.copied.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn backend(&self) -> std::sync::MutexGuard<'_, Backend> {
        self.backend.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// wl-clipboard's `wl-copy` and `wl-paste`. The value goes through a pipe,
/// never an argument (arguments are visible to every local user).
mod wayland {
    use std::{
        io::{self, Write},
        process::{Command, Stdio},
    };

    /// A Wayland session with wl-copy on the PATH. Looked up, not run: this
    /// is decided while the app starts.
    pub fn available() -> bool {
        let on_path = |program: &str| {
            std::env::var_os("PATH")
                .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        };
        std::env::var_os("WAYLAND_DISPLAY").is_some_and(|display| !display.is_empty()) && on_path("wl-copy")
    }

    pub fn set(text: &str) -> io::Result<()> {
        // wl-copy forks to serve the selection; its child keeps any pipe on
        // stdout or stderr open, so those go to /dev/null and only the
        // parent's exit status is read.
        let mut child = Command::new("wl-copy")
            .args(["--type", "text/plain;charset=utf-8"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        child.stdin.take().expect("piped").write_all(text.as_bytes())?;
        let status = child.wait()?;
        if status.success() { Ok(()) } else { Err(io::Error::other(format!("exited with {status}"))) }
    }

    pub fn holds(text: &str) -> bool {
        let Ok(output) = Command::new("wl-paste")
            .args(["--no-newline", "--type", "text/plain"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
        else {
            return false;
        };
        let held = zeroize::Zeroizing::new(output.stdout);
        output.status.success() && held.as_slice() == text.as_bytes()
    }

    pub fn clear() -> io::Result<()> {
        let status =
            Command::new("wl-copy").arg("--clear").stdout(Stdio::null()).stderr(Stdio::null()).status()?;
        if status.success() { Ok(()) } else { Err(io::Error::other(format!("exited with {status}"))) }
    }
}

#[cfg(target_os = "linux")]
fn set_secret(clipboard: &mut arboard::Clipboard, text: &str) -> Result<(), arboard::Error> {
    use arboard::SetExtLinux;
    clipboard.set().exclude_from_history().text(text)
}

#[cfg(target_os = "windows")]
fn set_secret(clipboard: &mut arboard::Clipboard, text: &str) -> Result<(), arboard::Error> {
    use arboard::SetExtWindows;
    clipboard.set().exclude_from_history().text(text)
}

#[cfg(not(any(target_os = "linux", target_os = "windows")))]
fn set_secret(clipboard: &mut arboard::Clipboard, text: &str) -> Result<(), arboard::Error> {
    clipboard.set_text(text)
}

#[cfg(test)]
mod tests {
    use std::{process::Command, time::Duration};

    use super::*;

    fn pasted() -> String {
        let output = Command::new("wl-paste").arg("--no-newline").output().expect("wl-paste");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    #[test]
    #[ignore = "needs a Wayland session: `make test` runs it under headless sway (scripts/with-sway.sh)"]
    fn on_wayland_the_copy_goes_through_wl_copy_and_is_cleared_only_if_still_ours_and_at_lock() {
        assert!(wayland::available(), "no Wayland session with wl-copy: run under scripts/with-sway.sh");
        let clipboard = Clipboard::default();
        assert!(matches!(*clipboard.backend(), Backend::WlCopy));

        clipboard.copy(SecretString::from("wl-secret-5e1f"), Duration::from_millis(600)).unwrap();
        assert_eq!(pasted(), "wl-secret-5e1f");
        std::thread::sleep(Duration::from_millis(1500));
        assert_eq!(pasted(), "", "the copy was not cleared");

        // Someone else copied meanwhile: theirs stays.
        clipboard.copy(SecretString::from("wl-secret-77ab"), Duration::from_millis(600)).unwrap();
        let mut theirs = Command::new("wl-copy")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut theirs.stdin.take().unwrap(), b"the user's own text").unwrap();
        assert!(theirs.wait().unwrap().success());
        std::thread::sleep(Duration::from_millis(1500));
        assert_eq!(pasted(), "the user's own text");

        // Locking and quitting clear our copy at once, and never the user's text.
        // (In this test, not one of its own: the session has one clipboard.)
        clipboard.copy(SecretString::from("wl-secret-lock-31c"), Duration::from_secs(60)).unwrap();
        assert_eq!(pasted(), "wl-secret-lock-31c");
        clipboard.clear_if_ours();
        assert_eq!(pasted(), "", "locking left the copy on the clipboard");

        clipboard.copy(SecretString::from("wl-secret-lock-99d"), Duration::from_secs(60)).unwrap();
        wayland::set("the user's own text").unwrap();
        clipboard.clear_if_ours();
        assert_eq!(pasted(), "the user's own text");
    }
}
