//! Pushing a change made here at once: after `set`, `rotate`, `rollback`,
//! `rm` or `edit`, each remote that chooses the secret gets it now, through
//! the same sync path as `keyhaven sync` scoped to the changed names (and
//! whatever its outbox still holds), each remote on its own thread and vault
//! handle so one slow remote never holds up another. A remote never synced
//! is left alone (its first sync asks first); an unreachable one keeps the
//! write in its outbox for the next command that reaches it.

use std::{sync::mpsc, time::Duration, time::Instant};

use super::{Cancel, SyncOptions, SyncReport, sync};
use crate::{Result, SecretName, UnlockedVault, remote, secret::SecretKind};

/// How long a command waits for its pushes, in all (docs/cli.md). Past it,
/// what was not sent waits in the outbox.
pub const PUSH_WAIT: Duration = Duration::from_secs(10);

/// What a push did at one remote.
#[derive(Debug)]
pub enum Pushed {
    /// Sent, or settled otherwise: the report says (a conflict is left open
    /// there, as a sync leaves it).
    Done(SyncReport),
    /// The remote failed or refused (its key, the request): the error.
    Failed(crate::Error),
    /// No answer within the wait: the write stays in the outbox.
    StillSending,
}

/// The remotes `names` go to: synced before, and choosing at least one of
/// them (a removed secret by the category it had).
pub fn targets(vault: &UnlockedVault, names: &[SecretName]) -> Result<Vec<String>> {
    // The names' own rows only, not the whole vault's (a push follows each `set`).
    let mut categories = std::collections::HashMap::new();
    for name in names {
        if let Some(meta) = vault.meta_any(name)? {
            categories.insert(name.clone(), (meta.category, meta.kind));
        }
    }
    let mut targets = Vec::new();
    for info in vault.remotes()? {
        let remote = info.config.name;
        let selection = vault.remote_selection(&remote)?;
        let chosen = names.iter().any(|name| {
            let (category, kind) =
                categories.get(name).map_or(("", SecretKind::Text), |(c, k)| (c.as_str(), *k));
            selection.selects(name.as_str(), category, kind)
        });
        if chosen && super::has_synced(vault, &remote)? {
            targets.push(remote);
        }
    }
    Ok(targets)
}

/// Pushes `names` to each of `remotes`, waiting at most `wait` in all;
/// outcomes in the order of `remotes`. `cancel` stops them (the app locks):
/// what was not sent waits in the outbox.
pub fn push(
    vault: &UnlockedVault,
    remotes: &[String],
    names: &[SecretName],
    wait: Duration,
    cancel: &Cancel,
) -> Result<Vec<(String, Pushed)>> {
    let (sender, answers) = mpsc::channel();
    for (index, remote) in remotes.iter().enumerate() {
        let mut handle = vault.reopen()?;
        let (remote, names, sender, cancel) =
            (remote.clone(), names.to_vec(), sender.clone(), cancel.clone());
        std::thread::spawn(move || {
            let pushed = push_one(&mut handle, &remote, names, cancel);
            let _ = sender.send((index, pushed));
        });
    }
    drop(sender);
    let mut outcomes: Vec<Pushed> = remotes.iter().map(|_| Pushed::StillSending).collect();
    let deadline = Instant::now() + wait;
    while let Ok((index, pushed)) = answers.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        outcomes[index] = pushed;
    }
    Ok(remotes.iter().cloned().zip(outcomes).collect())
}

fn push_one(vault: &mut UnlockedVault, remote: &str, names: Vec<SecretName>, cancel: Cancel) -> Pushed {
    let run = || {
        let api = vault.connect_with(remote, remote::push_policy())?;
        // `prune`: a removal made here is the change being sent; the scoped
        // plan never removes anything here (see `sync`).
        let options = SyncOptions { prune: true, only: Some(names), cancel, ..SyncOptions::default() };
        sync(vault, remote, api.as_ref(), &options, &mut |_, _| {})
    };
    match run() {
        Ok(report) => Pushed::Done(report),
        Err(err) => Pushed::Failed(err.at_remote(remote)),
    }
}
