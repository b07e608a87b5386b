//! What the desktop says over D-Bus, acted on:
//! - the screen locks (`ActiveChanged(true)` from the freedesktop, GNOME or
//!   MATE screensaver, on the session bus) or the system goes to sleep
//!   (logind's `PrepareForSleep(true)`, on the system bus): the vault locks,
//!   if Settings say so;
//! - the system wakes (`PrepareForSleep(false)`) or the network comes back
//!   (NetworkManager's `StateChanged` into full connectivity, system bus):
//!   each remote is looked at at once (passes.rs), if the vault is unlocked.
//!
//! Where a bus is not there (a bare X server), only the idle timer locks and
//! only the interval brings passes. The signals carry one number or flag, read
//! as their documented type; anything else on the bus is not matched.

use std::time::Duration;

use dbus::{arg::ReadAll, blocking::Connection, message::MatchRule};
use tauri::{AppHandle, Manager};

use crate::{AppState, passes, settings, tray};

/// Screensavers whose `ActiveChanged(true)` means "the screen locked".
const SCREENSAVERS: &[&str] =
    &["org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver", "org.mate.ScreenSaver"];

/// NetworkManager's `NM_STATE_CONNECTED_GLOBAL`: connected, with full connectivity.
const NM_CONNECTED_GLOBAL: u32 = 70;

pub fn spawn(app: &AppHandle) {
    watch(app.clone(), "session", Connection::new_session, |conn, app| {
        for interface in SCREENSAVERS {
            let app = app.clone();
            on(conn, interface, "ActiveChanged", move |(active,): (bool,)| {
                if active {
                    lock(&app, "the screen locked");
                }
            });
        }
    });
    watch(app.clone(), "system", Connection::new_system, |conn, app| {
        let app_sleep = app.clone();
        on(conn, "org.freedesktop.login1.Manager", "PrepareForSleep", move |(sleeping,): (bool,)| {
            if sleeping {
                lock(&app_sleep, "the system is going to sleep");
            } else {
                tracing::info!("awake: looking at each remote");
                passes::now(&app_sleep);
            }
        });
        let app = app.clone();
        let mut before = None;
        on(conn, "org.freedesktop.NetworkManager", "StateChanged", move |(state,): (u32,)| {
            if came_back(before, state) {
                tracing::info!("the network is back: looking at each remote");
                passes::now(&app);
            }
            before = Some(state);
        });
    });
}

/// Whether NetworkManager's move from `before` to `now` is the network
/// coming back: into full connectivity from any other state (it passes
/// through "connecting" and "connected locally" on the way).
fn came_back(before: Option<u32>, now: u32) -> bool {
    now == NM_CONNECTED_GLOBAL && before != Some(NM_CONNECTED_GLOBAL)
}

/// Connects to a bus on a thread of its own, lets `subscribe` add its
/// matches, and dispatches signals for as long as the app runs.
fn watch(
    app: AppHandle,
    bus: &'static str,
    connect: fn() -> Result<Connection, dbus::Error>,
    subscribe: fn(&Connection, &AppHandle),
) {
    std::thread::spawn(move || {
        let conn = match connect() {
            Ok(conn) => conn,
            Err(err) => {
                tracing::info!(
                    "no {bus} bus, so nothing is done on screen lock, sleep or network from it: {err}"
                );
                return;
            }
        };
        subscribe(&conn, &app);
        loop {
            if let Err(err) = conn.process(Duration::from_secs(3600)) {
                tracing::warn!("stopped watching the {bus} bus: {err}");
                return;
            }
        }
    });
}

/// Calls `act` with each `interface.member` signal's arguments; a signal
/// whose arguments are not `A` is ignored.
fn on<A: ReadAll>(
    conn: &Connection,
    interface: &'static str,
    member: &'static str,
    mut act: impl FnMut(A) + Send + 'static,
) {
    let added = conn.add_match(MatchRule::new_signal(interface, member), move |args: A, _, _| {
        act(args);
        true
    });
    if let Err(err) = added {
        tracing::warn!("not watching {interface}.{member}: {err}");
    }
}

fn lock(app: &AppHandle, why: &str) {
    let wanted = app.state::<settings::Store>().get().lock_on_sleep;
    if wanted && app.state::<AppState>().session().is_unlocked() {
        tracing::info!("locking: {why}");
        tray::lock(app);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_comes_back_once_on_reaching_full_connectivity() {
        // Disconnected (20), connecting (40), connected locally (50), then global (70).
        let states = [20, 40, 50, 70, 70, 60, 70];
        let mut before = None;
        let back: Vec<bool> = states
            .iter()
            .map(|&state| {
                let back = came_back(before, state);
                before = Some(state);
                back
            })
            .collect();
        assert_eq!(back, [false, false, false, true, false, false, true]);
        assert!(came_back(None, 70), "the first state seen, already connected");
    }
}
