//! Background passes: while the vault is unlocked, each remote that has
//! synced before is synced again every few minutes (Settings → "Look for
//! remote changes every … minutes"; 0 turns it off), at unlock and at wake
//! from sleep, so remote changes show in the list without pressing Sync and
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

use crate::{AppState, lock, notify, settings, tray};

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

/// Every remote due now: at unlock and at wake.
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
        let app = app.clone();
        std::thread::spawn(move || {
            let reached = pass(&app, &remote);
            let passes = app.state::<Passes>();
            let jitter = f64::from(jiff::Timestamp::now().subsec_nanosecond() % 1000) / 1000.0;
            // Unreached (down, refused) backs off; a lock meanwhile counts as reached.
            lock(&passes.schedule).record(&remote, reached, Instant::now(), jitter);
            lock(&passes.running).remove(&remote);
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
    // Its first sync is the user's: it asks before it sends.
    if !sync::has_synced(&vault, remote).unwrap_or(false) {
        return true;
    }
    let options = SyncOptions { cancel, ..SyncOptions::default() };
    let result = vault
        .connect(remote)
        .and_then(|api| sync::sync(&mut vault, remote, api.as_ref(), &options, &mut |_, _| {}));
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
    let (before, was_refused) = told.get(remote).copied().unwrap_or((0, false));
    if refused && !was_refused {
        notify::sync_problem(app, &format!("{remote} refused its API key: open Remotes to replace it."));
    } else if conflicts > before {
        notify::sync_problem(
            app,
            &format!(
                "{remote}: {conflicts} conflict(s): a secret changed here and there. Open Sync to choose."
            ),
        );
    }
    told.insert(remote.to_owned(), (conflicts, refused));
}
