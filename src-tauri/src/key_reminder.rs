//! While the app runs, once a day: a notification naming each remote whose
//! API key expires within 14 days, has expired, or is past the 90 days the
//! Runtype docs advise (core's `KeyAge`). Names and dates only.

use std::time::Duration;

use jiff::{Zoned, civil::Date};
use keyhaven_core::vault::RemoteInfo;
use tauri::{AppHandle, Manager};

use crate::{AppState, notify};

/// How often it looks; each day's reminder is given once.
const LOOK_EVERY: Duration = Duration::from_secs(3600);

pub fn spawn(app: AppHandle) {
    std::thread::spawn(move || {
        let mut told: Option<Date> = None;
        loop {
            let today = Zoned::now().date();
            if told != Some(today) {
                // Remotes are listed without unlocking: the dates are shown only.
                let remotes = app.state::<AppState>().session().vault().and_then(|vault| vault.remotes());
                if let Ok(remotes) = remotes {
                    let due = due(&remotes);
                    if !due.is_empty() {
                        notify::keys_due(&app, &due);
                    }
                    told = Some(today);
                }
            }
            std::thread::sleep(LOOK_EVERY);
        }
    });
}

/// One line per remote whose key wants replacing.
fn due(remotes: &[RemoteInfo]) -> Vec<String> {
    remotes
        .iter()
        .filter_map(|remote| {
            remote.key.warning.as_ref().map(|warning| format!("{}: {warning}", remote.config.name))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use keyhaven_core::remote::{KeyAge, Kind, RemoteConfig};

    use super::*;

    #[test]
    fn names_each_remote_whose_key_wants_replacing() {
        let now = Timestamp::now();
        let remote = |name: &str, set: Timestamp| RemoteInfo {
            config: RemoteConfig::new(name, Kind::Runtype, "https://api.runtype.com", None).unwrap(),
            token_mode: Some("live".into()),
            key: KeyAge::at(set, None, now),
            added: set,
            last_sync: None,
            pending: 0,
            conflicts: 0,
        };
        let old = now.checked_sub(jiff::SignedDuration::from_hours(24 * 100)).unwrap();
        let due = due(&[remote("fresh", now), remote("prod", old)]);
        assert_eq!(due.len(), 1);
        assert!(due[0].starts_with("prod: its key is 100 days old"), "{due:?}");
    }
}
