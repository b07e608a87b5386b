//! Locks the vault after a stretch without user activity. Activity is every
//! command the UI sends, and the UI's `note_activity` on input (throttled).

use std::time::Duration;

use tauri::{AppHandle, Manager};

use crate::{AppState, tray};

/// How often the timer looks.
const TICK: Duration = Duration::from_secs(1);

pub fn spawn(app: AppHandle, after: Duration) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(TICK);
            let state = app.state::<AppState>();
            if state.idle() >= after && state.session().is_unlocked() {
                tracing::info!("locking after {} s without activity", after.as_secs());
                tray::lock(&app);
            }
        }
    });
}
