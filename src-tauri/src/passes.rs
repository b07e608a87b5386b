//! Background passes: while the vault is unlocked, each remote that has
//! synced before is synced again every few minutes (Settings → "Look for
//! remote changes every … minutes"; 0 turns it off), at unlock, at wake
//! from sleep and when the network comes back (desktop_signals.rs), so
//! remote changes show in the list without pressing Sync and
//! queued writes go out. Core's `sync::schedule` decides when: each remote on
//! its own clock, a failing one backing off with jitter, so one down or
//! refusing its key never delays another. Each pass runs on a vault handle of
//! its own (the session is held only to get it), and locking cancels it; a
//! pass never asks for the passphrase, and never pulls a value or a name new
//! to the vault (a sync with no options: changes are recorded, shown, and
//! left to the user). A new conflict, or a key the remote refused, raises
//! one notification, not one per pass.

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
    time::{Duration, Instant},
};

use keyhaven_core::sync::{self, SyncOptions, schedule::Schedule};
use tauri::{AppHandle, Emitter, Manager};

use crate::{AppState, allocator, lock, notify, settings, tray};

/// How often the clock is looked at.
const TICK: Duration = Duration::from_secs(2);

pub struct Passes {
    schedule: Mutex<Schedule>,
    running: Mutex<HashSet<String>>,
    /// Per remote, what was last notified: its open conflicts, and whether its key was refused.
    told: Mutex<HashMap<String, (usize, bool)>>,
    /// `KEYHAVEN_SYNC_SECONDS` (tests): the interval, whatever the settings say.
    fixed: Option<Duration>,
}

impl Passes {
    pub fn new(fixed: Option<Duration>) -> Self {
        Passes {
            schedule: Mutex::new(Schedule::new(Duration::ZERO)),
            running: Mutex::default(),
            told: Mutex::default(),
            fixed,
        }
    }

    /// When `remote` is next synced by a pass, if passes are on.
    pub fn next(&self, remote: &str) -> Option<Instant> {
        lock(&self.schedule).next(remote)
    }
}

pub fn spawn(app: AppHandle) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(TICK);
            tick(&app);
        }
    });
}

/// Every remote due now: at unlock, at wake, when the network comes back.
pub fn now(app: &AppHandle) {
    let Some(remotes) = remote_names(app) else { return };
    lock(&app.state::<Passes>().schedule).all_now(&remotes, Instant::now());
}

fn interval(app: &AppHandle) -> Duration {
    let passes = app.state::<Passes>();
    passes.fixed.unwrap_or_else(|| {
        Duration::from_secs(u64::from(app.state::<settings::Store>().get().sync_minutes) * 60)
    })
}

/// The vault's remotes, when it is unlocked.
fn remote_names(app: &AppHandle) -> Option<Vec<String>> {
    let state = app.state::<AppState>();
    let mut session = state.session();
    let vault = session.unlocked().ok()?;
    Some(vault.remotes().ok()?.into_iter().map(|remote| remote.config.name).collect())
}

fn tick(app: &AppHandle) {
    let Some(remotes) = remote_names(app) else { return };
    let passes = app.state::<Passes>();
    let due = {
        let mut schedule = lock(&passes.schedule);
        schedule.set_interval(interval(app), Instant::now());
        schedule.due(&remotes, Instant::now())
    };
    for remote in due {
        if !lock(&passes.running).insert(remote.clone()) {
            continue;
        }
        lock(&passes.schedule).begin(&remote);
        let app = app.clone();
        std::thread::spawn(move || {
            let reached = pass(&app, &remote);
            let passes = app.state::<Passes>();
            let jitter = f64::from(jiff::Timestamp::now().subsec_nanosecond() % 1000) / 1000.0;
            // Unreached (down, refused) backs off; a lock meanwhile counts as reached.
            lock(&passes.schedule).record(&remote, reached, Instant::now(), jitter);
            let mut running = lock(&passes.running);
            running.remove(&remote);
            if running.is_empty() {
                allocator::give_back();
            }
        });
    }
}

/// One remote's pass; whether it reached the remote.
fn pass(app: &AppHandle, remote: &str) -> bool {
    let state = app.state::<AppState>();
    let cancel = state.sync_cancel();
    let Ok(mut vault) = state.session().unlocked().and_then(|vault| vault.reopen()) else {
        return true;
    };
    let _held = state.gates.hold([remote.to_owned()]);
    // Its first sync is the user's: it asks before it sends.
    if !sync::has_synced(&vault, remote).unwrap_or(false) {
        return true;
    }
    let options = SyncOptions { cancel, ..SyncOptions::default() };
    let result = vault
        .connect(remote)
        .and_then(|api| sync::sync(&mut vault, remote, api.as_ref(), &options, &mut |_, _| {}))
        .map_err(|err| err.at_remote(remote));
    let (reached, refused) = match &result {
        Ok(report) => (report.offline.is_none(), false),
        Err(keyhaven_core::Error::KeyRefused { .. }) => (false, true),
        Err(_) => (false, false),
    };
    match &result {
        Ok(report) => tracing::info!(
            "pass at {remote}: {}",
            report.offline.as_deref().map_or_else(|| report.sentence(), |why| format!("unreachable: {why}"))
        ),
        Err(err) => tracing::info!("pass at {remote}: {err}"),
    }
    let conflicts =
        sync::conflicts(&vault).map(|all| all.iter().filter(|c| c.remote == remote).count()).unwrap_or(0);
    tell(app, remote, conflicts, refused);
    let _ = app.emit(tray::VAULT_CHANGED, ());
    tray::update(app);
    reached
}

/// One notification for a new conflict or a newly refused key; none while
/// things stay as they were.
fn tell(app: &AppHandle, remote: &str, conflicts: usize, refused: bool) {
    let passes = app.state::<Passes>();
    let mut told = lock(&passes.told);
    let before = told.get(remote).copied().unwrap_or((0, false));
    if let Some(message) = news(remote, before, (conflicts, refused)) {
        notify::sync_problem(app, &message);
    }
    told.insert(remote.to_owned(), (conflicts, refused));
}

/// What a pass found that is worth telling, given what was told before
/// (open conflicts, key refused): a key refused now and not before, or more
/// conflicts than before. The same state pass after pass tells nothing.
fn news(remote: &str, before: (usize, bool), now: (usize, bool)) -> Option<String> {
    let ((told_conflicts, told_refused), (conflicts, refused)) = (before, now);
    if refused && !told_refused {
        Some(format!("{remote} refused its API key: open Remotes to replace it."))
    } else if conflicts > told_conflicts {
        Some(format!(
            "{remote}: {conflicts} conflict(s): a secret changed here and there. Open Sync to choose."
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::news;

    #[test]
    fn a_new_conflict_or_a_newly_refused_key_is_told_once_not_every_pass() {
        // Pass after pass: (open conflicts, key refused) as each pass found them.
        let passes = [(0, false), (1, false), (1, false), (1, false), (0, false), (1, false), (2, false)];
        let mut before = (0, false);
        let mut told = Vec::new();
        for now in passes {
            told.push(news("rl", before, now));
            before = now;
        }
        let expected = [
            None,
            Some("rl: 1 conflict(s): a secret changed here and there. Open Sync to choose."),
            None,
            None,
            None, // resolved
            Some("rl: 1 conflict(s): a secret changed here and there. Open Sync to choose."),
            Some("rl: 2 conflict(s): a secret changed here and there. Open Sync to choose."),
        ];
        assert_eq!(told, expected.map(|message| message.map(str::to_owned)));

        let refused = "rl refused its API key: open Remotes to replace it.";
        assert_eq!(news("rl", (0, false), (0, true)).as_deref(), Some(refused));
        assert_eq!(news("rl", (0, true), (0, true)), None, "still refused: told already");
        assert_eq!(
            news("rl", (0, false), (0, true)).as_deref(),
            Some(refused),
            "refused again after a good pass"
        );
    }
}
