//! Locks the vault when the screen locks or the system goes to sleep, where
//! the desktop says so over D-Bus: `ActiveChanged(true)` from the
//! freedesktop, GNOME or MATE screensaver on the session bus, and logind's
//! `PrepareForSleep(true)` on the system bus. Where neither bus is there
//! (a bare X server), only the idle timer locks.

use std::time::Duration;

use dbus::{blocking::Connection, message::MatchRule};
use tauri::{AppHandle, Manager};

use crate::{AppState, settings, tray};

/// Signals that mean "lock now" when their one argument is true.
const SESSION_SIGNALS: &[(&str, &str)] = &[
    ("org.freedesktop.ScreenSaver", "ActiveChanged"),
    ("org.gnome.ScreenSaver", "ActiveChanged"),
    ("org.mate.ScreenSaver", "ActiveChanged"),
];
const SYSTEM_SIGNALS: &[(&str, &str)] = &[("org.freedesktop.login1.Manager", "PrepareForSleep")];

pub fn spawn(app: &AppHandle) {
    watch(app.clone(), "session", Connection::new_session, SESSION_SIGNALS);
    watch(app.clone(), "system", Connection::new_system, SYSTEM_SIGNALS);
}

fn watch(
    app: AppHandle,
    bus: &'static str,
    connect: fn() -> Result<Connection, dbus::Error>,
    signals: &'static [(&'static str, &'static str)],
) {
    std::thread::spawn(move || {
        let conn = match connect() {
            Ok(conn) => conn,
            Err(err) => {
                tracing::info!("no {bus} bus, so no lock on screen lock or sleep from it: {err}");
                return;
            }
        };
        for (interface, member) in signals {
            let app = app.clone();
            let rule = MatchRule::new_signal(*interface, *member);
            let added = conn.add_match(rule, move |(active,): (bool,), _, _| {
                if active {
                    lock(&app, member);
                } else if *member == "PrepareForSleep" {
                    // Awake again: each remote is looked at (if the vault is still unlocked).
                    crate::passes::now(&app);
                }
                true
            });
            if let Err(err) = added {
                tracing::warn!("not watching {interface}.{member}: {err}");
            }
        }
        loop {
            if let Err(err) = conn.process(Duration::from_secs(3600)) {
                tracing::warn!("stopped watching the {bus} bus: {err}");
                return;
            }
        }
    });
}

fn lock(app: &AppHandle, why: &str) {
    let wanted = app.state::<settings::Store>().get().lock_on_sleep;
    if wanted && app.state::<AppState>().session().is_unlocked() {
        tracing::info!("locking: {why}");
        tray::lock(app);
    }
}
