//! Syncing one remote or every remote, the path both hosts take. Each remote
//! is synced on its own: one whose key is refused, that cannot be reached or
//! whose row fails its check is reported, and the others still sync.

use super::{SyncOptions, SyncReport, sync};
use crate::{Result, UnlockedVault, remote::SecretsApi};

/// What a host does around each remote's sync: ask first, show progress,
/// print the outcome as it arrives. Every method has a quiet default.
pub trait Host {
    /// Before `remote` is synced: the options to sync it with, or `None` to
    /// leave it alone (the user said no). An error fails this remote only.
    fn prepare(
        &mut self,
        vault: &mut UnlockedVault,
        remote: &str,
        api: &dyn SecretsApi,
        options: &SyncOptions,
    ) -> Result<Option<SyncOptions>> {
        let _ = (vault, remote, api);
        Ok(Some(options.clone()))
    }

    fn progress(&mut self, remote: &str, done: usize, total: usize) {
        let _ = (remote, done, total);
    }

    fn finished(&mut self, outcome: &RemoteOutcome) {
        let _ = outcome;
    }
}

/// A host that asks nothing and shows nothing.
pub struct Quiet;

impl Host for Quiet {}

/// How one remote's sync went.
#[derive(Debug)]
pub struct RemoteOutcome {
    pub remote: String,
    /// `Ok(None)`: left alone at the user's word.
    pub result: Result<Option<SyncReport>>,
}

impl RemoteOutcome {
    /// The sync did not finish (offline counts: its writes are only queued).
    pub fn failed(&self) -> bool {
        match &self.result {
            Err(_) => true,
            Ok(Some(report)) => report.offline.is_some(),
            Ok(None) => false,
        }
    }

    /// Finished, but conflicts or failed steps are left.
    pub fn left_over(&self) -> usize {
        match &self.result {
            Ok(Some(report)) => report.conflicts() + report.failures(),
            _ => 0,
        }
    }
}

/// The remotes a run covers: `remote` (checked to exist), or all, by name.
pub fn remote_names(vault: &UnlockedVault, remote: Option<&str>) -> Result<Vec<String>> {
    Ok(match remote {
        Some(name) => vec![vault.remote(name)?.config.name],
        None => vault.remotes()?.into_iter().map(|r| r.config.name).collect(),
    })
}

/// Syncs `remote`, or every remote in turn, each on its own. Errs only when
/// `remote` does not exist; each remote's failure is in its outcome.
pub fn run(
    vault: &mut UnlockedVault,
    remote: Option<&str>,
    options: &SyncOptions,
    host: &mut dyn Host,
) -> Result<Vec<RemoteOutcome>> {
    let mut outcomes = Vec::new();
    for name in remote_names(vault, remote)? {
        let result = one(vault, &name, options, host).map_err(|err| err.at_remote(&name));
        let outcome = RemoteOutcome { remote: name, result };
        host.finished(&outcome);
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

fn one(
    vault: &mut UnlockedVault,
    remote: &str,
    options: &SyncOptions,
    host: &mut dyn Host,
) -> Result<Option<SyncReport>> {
    let api = vault.connect(remote)?;
    let Some(options) = host.prepare(vault, remote, api.as_ref(), options)? else {
        return Ok(None);
    };
    let mut progress = |done, total| host.progress(remote, done, total);
    sync(vault, remote, api.as_ref(), &options, &mut progress).map(Some)
}

/// Why `outcomes` did not all finish cleanly, for a host's last line; `None`
/// when every remote synced with nothing left over.
pub fn shortfall(outcomes: &[RemoteOutcome]) -> Option<String> {
    let failed: Vec<&str> = outcomes.iter().filter(|o| o.failed()).map(|o| o.remote.as_str()).collect();
    let left: usize = outcomes.iter().map(RemoteOutcome::left_over).sum();
    match (failed.len(), left) {
        (0, 0) => None,
        (0, left) => {
            Some(format!("{left} conflict(s) or failed operation(s) remain; see `keyhaven conflicts`"))
        }
        (n, _) if n == outcomes.len() => Some(format!(
            "{} did not sync; writes not sent wait in the outbox for the next sync",
            failed.join(", ")
        )),
        (n, _) => Some(format!(
            "{n} of {} remote(s) did not sync: {}; the others did. Writes not sent wait in the outbox \
             for the next sync",
            outcomes.len(),
            failed.join(", ")
        )),
    }
}
