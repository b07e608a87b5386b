//! A change made in the window (add, rotate, roll back, edit, delete,
//! import) reaches the remotes that choose it within seconds, without Sync:
//! the changed names are gathered for a moment, so a burst of changes goes
//! out as one push per remote, then core's `sync::push` sends them on a
//! vault handle of its own, through the outbox, one sync at a time per remote
//! (gates.rs; the session is held only to get the handle; locking cancels what is in flight, and whatever was not
//! sent waits in the outbox for the next push or sync). Settings → "Send
//! changes to remotes at once" turns it off.

use std::{collections::BTreeSet, sync::Mutex, time::Duration};

use keyhaven_core::{SecretName, sync};
use tauri::{AppHandle, Emitter, Manager};

use crate::{AppState, lock, settings, tray};

/// How long changes are gathered before they are sent.
const GATHER: Duration = Duration::from_millis(1500);

/// How long a push is waited for: its remotes' gates are held until each has
/// answered, and its calls time out long before this.
const WAIT: Duration = Duration::from_secs(600);

/// The names changed and not yet sent; a push is on its way while non-empty.
#[derive(Default)]
pub struct Pusher {
    waiting: Mutex<BTreeSet<SecretName>>,
}

/// `names` changed here: sent within a few seconds to the remotes that choose them.
pub fn changed(app: &AppHandle, names: impl IntoIterator<Item = SecretName>) {
    if !app.state::<settings::Store>().get().push_changes {
        return;
    }
    let pusher = app.state::<Pusher>();
    let mut waiting = lock(&pusher.waiting);
    let first = waiting.is_empty();
    waiting.extend(names);
    if first && !waiting.is_empty() {
        let app = app.clone();
        std::thread::spawn(move || {
            std::thread::sleep(GATHER);
            let names: Vec<SecretName> =
                std::mem::take(&mut *lock(&app.state::<Pusher>().waiting)).into_iter().collect();
            if let Err(err) = push(&app, &names) {
                tracing::warn!("a push did not start: {err}");
            }
        });
    }
}

fn push(app: &AppHandle, names: &[SecretName]) -> keyhaven_core::Result<()> {
    let state = app.state::<AppState>();
    let cancel = state.sync_cancel();
    // Locked meanwhile: nothing is sent; the next sync finds the changes.
    let Ok(vault) = state.session().unlocked().and_then(|vault| vault.reopen()) else {
        return Ok(());
    };
    let remotes = sync::targets(&vault, names)?;
    if remotes.is_empty() {
        return Ok(());
    }
    let _held = state.gates.hold(remotes.iter().cloned());
    for (remote, outcome) in sync::push(&vault, &remotes, names, WAIT, &cancel)? {
        match outcome {
            sync::Pushed::Done(report) if report.offline.is_some() => {
                tracing::info!("push to {remote}: unreachable; queued");
            }
            sync::Pushed::Done(report) => {
                let steps: Vec<String> = report
                    .steps
                    .iter()
                    .map(|s| format!("{}: {} ({:?})", s.step.name, s.step.action.describe(), s.status))
                    .collect();
                tracing::info!("push to {remote}: {}", steps.join("; "))
            }
            sync::Pushed::Failed(err) => tracing::info!("push to {remote}: {err}"),
            sync::Pushed::StillSending => tracing::info!("push to {remote}: no answer yet; queued"),
        }
    }
    // The list's badges and the tray show what changed.
    let _ = app.emit(tray::VAULT_CHANGED, ());
    tray::update(app);
    Ok(())
}
