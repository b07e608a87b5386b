//! The app's preferences: a small JSON file in the platform config dir
//! (`~/.config/dev.keyhaven.app/settings.json`). Never a value or a key.
//! A typed file rather than a key-value store: Rust reads these settings on
//! every idle tick and copy, and the UI gets the same type through ts-rs.

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
    time::Duration,
};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{CommandError, CommandResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Follow the desktop's light or dark preference.
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Settings {
    /// Idle minutes before the vault locks itself.
    pub auto_lock_minutes: u32,
    /// Lock when the screen locks or the system sleeps (where reported).
    pub lock_on_sleep: bool,
    /// Seconds a copied value stays on the clipboard.
    pub clipboard_seconds: u32,
    /// Seconds a revealed value stays on screen.
    pub reveal_seconds: u32,
    pub theme: Theme,
    /// Opens Quick reveal from anywhere, e.g. "CommandOrControl+Shift+K";
    /// empty for none. Wayland desktops do not deliver it: bind
    /// `keyhaven-app --quick-reveal` to a key there instead.
    pub quick_reveal_shortcut: String,
    /// Start with the session, hidden in the tray. The desktop's autostart
    /// entry is the truth (`commands::settings` reads and writes it); off by default.
    pub start_at_login: bool,
    /// One desktop notification a day, while the app runs, naming the secrets
    /// and remote API keys due for rotation (the tray counts them regardless).
    pub rotation_reminders: bool,
    /// Locked, the window shows only the lock screen, and no name,
    /// description or history leaves Rust (`Session::names`); the tray and
    /// the reminder count keys without naming them. On: the list stays
    /// readable while locked. Off by default, as in 1Password, Bitwarden
    /// and KeePassXC.
    pub show_names_locked: bool,
    /// Hours a key remembered on this device stays usable (then it is
    /// removed from the keyring); 0 keeps it until a lock or a forget.
    pub remember_hours: u32,
    /// A change made in the window is sent within seconds to the remotes
    /// that choose it (`pusher`); off, it waits for Sync.
    pub push_changes: bool,
    /// Minutes between background passes at each remote (`passes`); 0: none.
    pub sync_minutes: u32,
    /// Serve the vault's SSH keys to OpenSSH while the app runs, at
    /// `$XDG_RUNTIME_DIR/keyhaven/ssh-agent.sock` (`ssh_agent`); off by default.
    pub ssh_agent: bool,
    /// Serve programs' passwords as the session's Secret Service
    /// (`org.freedesktop.secrets`, `secret_service`) while the app runs; off
    /// by default, since it takes gnome-keyring's place.
    pub secret_service: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            auto_lock_minutes: 10,
            lock_on_sleep: true,
            clipboard_seconds: 20,
            reveal_seconds: 30,
            theme: Theme::System,
            quick_reveal_shortcut: "CommandOrControl+Shift+K".into(),
            start_at_login: false,
            rotation_reminders: true,
            show_names_locked: false,
            remember_hours: 0,
            push_changes: true,
            sync_minutes: 5,
            ssh_agent: false,
            secret_service: false,
        }
    }
}

impl Settings {
    /// Every field within its bounds, or an error naming the rule.
    pub fn validate(&self) -> CommandResult<()> {
        let within = |value: u32, low: u32, high: u32, what: &str| {
            if (low..=high).contains(&value) {
                Ok(())
            } else {
                Err(CommandError::invalid(format!("{what} must be between {low} and {high}")))
            }
        };
        within(self.auto_lock_minutes, 1, 24 * 60, "auto-lock minutes")?;
        within(self.clipboard_seconds, 5, 600, "clipboard seconds")?;
        within(self.reveal_seconds, 5, 600, "reveal seconds")?;
        within(self.remember_hours, 0, 720, "hours to remember the key")?;
        within(self.sync_minutes, 0, 24 * 60, "minutes between passes")?;
        crate::quick::parse_shortcut(&self.quick_reveal_shortcut).map(|_| ()).map_err(CommandError::invalid)
    }

    pub fn clipboard(&self) -> Duration {
        Duration::from_secs(self.clipboard_seconds.into())
    }

    /// How long a key remembered now stays usable; `None` until a lock.
    pub fn remember_for(&self) -> Option<jiff::SignedDuration> {
        (self.remember_hours > 0).then(|| jiff::SignedDuration::from_hours(self.remember_hours.into()))
    }
}

/// The settings in memory and where they are saved.
pub struct Store {
    path: PathBuf,
    current: Mutex<Settings>,
}

impl Store {
    /// Reads `path`; a missing file gives the defaults, and so does a
    /// damaged one, which is moved aside (`settings.json.invalid`), not lost.
    pub fn load(path: PathBuf) -> Self {
        let current = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<Settings>(&bytes)
                .map_err(|err| err.to_string())
                .and_then(|settings| settings.validate().map(|()| settings).map_err(|err| err.message))
                .unwrap_or_else(|err| {
                    tracing::warn!("{}: {err}; using the defaults", path.display());
                    let _ = std::fs::rename(&path, path.with_extension("json.invalid"));
                    Settings::default()
                }),
            Err(_) => Settings::default(),
        };
        Store { path, current: Mutex::new(current) }
    }

    pub fn get(&self) -> Settings {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Validates, writes the file (whole or not at all), then takes effect.
    pub fn save(&self, settings: Settings) -> CommandResult<Settings> {
        settings.validate()?;
        write_atomically(&self.path, &serde_json::to_vec_pretty(&settings).expect("plain data"))
            .map_err(|err| CommandError::other(format!("settings not saved: {err}")))?;
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = settings.clone();
        Ok(settings)
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temp = path.with_extension("json.tmp");
    std::fs::write(&temp, bytes)?;
    std::fs::rename(&temp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults_and_saves_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/settings.json");
        let store = Store::load(path.clone());
        assert_eq!(store.get(), Settings::default());
        let changed = Settings { auto_lock_minutes: 3, theme: Theme::Dark, ..Settings::default() };
        store.save(changed.clone()).unwrap();
        assert_eq!(Store::load(path).get(), changed);
    }

    #[test]
    fn out_of_range_values_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let store = Store::load(path.clone());
        let err = store.save(Settings { clipboard_seconds: 0, ..Settings::default() }).unwrap_err();
        assert_eq!(err.message, "clipboard seconds must be between 5 and 600");
        assert!(!path.exists());
        assert_eq!(store.get(), Settings::default());
    }

    #[test]
    fn a_damaged_file_is_moved_aside_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, b"{ not json").unwrap();
        assert_eq!(Store::load(path.clone()).get(), Settings::default());
        assert_eq!(std::fs::read(dir.path().join("settings.json.invalid")).unwrap(), b"{ not json");
        // A partial file keeps what it has and defaults the rest.
        std::fs::write(&path, br#"{"theme":"light"}"#).unwrap();
        assert_eq!(Store::load(path).get().theme, Theme::Light);
    }
}
