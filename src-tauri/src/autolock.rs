//! Locks the vault after a stretch without user activity (the settings'
//! minutes). Activity is every command the UI sends, and the UI's
//! `note_activity` on input (throttled).

use std::time::Duration;

use tauri::{AppHandle, Manager};

use crate::{AppState, settings, tray};

/// How often the timer looks.
const TICK: Duration = Duration::from_secs(1);

/// `fixed` replaces the settings' idle time (tests).
pub fn spawn(app: AppHandle, fixed: Option<Duration>) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(TICK);
            let after = fixed.unwrap_or_else(|| {
                Duration::from_secs(u64::from(app.state::<settings::Store>().get().auto_lock_minutes) * 60)
            });
            let state = app.state::<AppState>();
            if state.idle() >= after && state.session().is_unlocked() {
                tracing::info!("locking after {} s without activity", after.as_secs());
                tray::lock(&app);
            }
        }
    });
}
