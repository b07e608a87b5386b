//! Rotation reminders while the app runs. Once a day, unless the settings
//! turn it off, one notification names the secrets past or within a week of
//! their rotate-by date and the remotes whose API key has expired, expires
//! soon or is past the 90 days the Runtype docs advise (core's `Reminders`).
//! Every hour the tray's count and icon are brought up to date, as dates pass.
//! Names and dates only.

use std::time::Duration;

use jiff::{Zoned, civil::Date};
use keyhaven_core::reminder::Reminders;
use tauri::{AppHandle, Manager};

use crate::{AppState, notify, settings, tray};

/// How often it looks; each day's reminder is given once.
const LOOK_EVERY: Duration = Duration::from_secs(3600);

pub fn spawn(app: AppHandle) {
    std::thread::spawn(move || {
        let mut told: Option<Date> = None;
        loop {
            let today = Zoned::now().date();
            tray::update(&app); // the count of keys due moves with the date
            let wanted = app.state::<settings::Store>().get().rotation_reminders;
            if to_tell(wanted, told, today) {
                // Read without unlocking: names and dates only, and names
                // only where the window may show them.
                if let Ok(reminders) = gather(&app, today) {
                    if !reminders.is_empty() {
                        notify::due(&app, &reminders, names_shown(&app));
                    }
                    told = Some(today);
                }
            }
            std::thread::sleep(LOOK_EVERY);
        }
    });
}

/// Whether to look for today's reminder: only when the settings want it, and
/// once a day (an hour after it is turned back on, if not given yet today).
fn to_tell(wanted: bool, told: Option<Date>, today: Date) -> bool {
    wanted && told != Some(today)
}

/// Whether a reminder may name the secrets: unlocked, or "Show names while
/// locked" on.
fn names_shown(app: &AppHandle) -> bool {
    app.state::<settings::Store>().get().show_names_locked || app.state::<AppState>().session().is_unlocked()
}

/// What is due today, from the vault as it is (locked or not).
pub fn gather(app: &AppHandle, today: Date) -> keyhaven_core::Result<Reminders> {
    let state = app.state::<AppState>();
    let mut session = state.session();
    Reminders::gather(session.vault()?, today)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn once_a_day_and_never_when_the_setting_is_off() {
        let today = date(2026, 12, 3);
        assert!(to_tell(true, None, today), "the first look of a run");
        assert!(to_tell(true, Some(date(2026, 12, 2)), today), "a new day");
        assert!(!to_tell(true, Some(today), today), "told already today");
        assert!(!to_tell(false, None, today), "turned off");
        assert!(!to_tell(false, Some(date(2026, 12, 2)), today), "turned off");
    }
}
