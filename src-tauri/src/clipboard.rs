//! Copying in Rust: the value never passes through the webview. The copy is
//! marked as a password for clipboard managers that honour the hint, and is
//! cleared after the timeout only if the clipboard still holds it.

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

#[derive(Default, Clone)]
pub struct Clipboard {
    // Kept alive: on X11 the copy lasts only while its owner does.
    inner: Arc<Mutex<Option<arboard::Clipboard>>>,
    // Each copy's number; a later copy cancels an earlier one's clearing.
    generation: Arc<AtomicU64>,
}

impl Clipboard {
    pub fn copy(&self, value: SecretString, clear_after: Duration) -> Result<(), arboard::Error> {
        {
            let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            if guard.is_none() {
                *guard = Some(arboard::Clipboard::new()?);
            }
            let clipboard = guard.as_mut().expect("just set");
            set_secret(clipboard, value.expose_secret())?;
        }
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let this = self.clone();
        std::thread::spawn(move || {
            std::thread::sleep(clear_after);
            if this.generation.load(Ordering::SeqCst) != generation {
                return;
            }
            let mut guard = this.inner.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(clipboard) = guard.as_mut() {
                let still_ours = clipboard.get_text().is_ok_and(|text| {
                    let text = zeroize::Zeroizing::new(text);
                    *text == value.expose_secret()
                });
                if still_ours {
                    let _ = clipboard.clear();
                }
            }
        });
        Ok(())
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
