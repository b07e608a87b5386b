//! Where each secret stands with each remote, from what the last sync
//! recorded (no remote call): what the app's list shows and filters by.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::state;
use crate::{Result, SecretName, Vault, vault::find_remote};

/// One secret's standing with one remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Both sides hold what the last sync left.
    Synced,
    /// A local change not yet on the remote (never synced, changed since, or
    /// waiting in the outbox).
    Pending,
    /// Both sides changed; waits for the user to keep one.
    Conflict,
    /// On the remote only; its value is not on this device.
    RemoteOnly,
    /// Changed on the remote; this device holds an older value.
    RemoteChanged,
    /// Revoked on the remote (Runtype): it no longer works there until it
    /// is rotated here and synced.
    Revoked,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncMark {
    pub remote: String,
    pub name: SecretName,
    pub state: SyncState,
}

/// Every (remote, secret) pair worth a mark: each live secret with each
/// remote, and each remote-only name. Sorted by name, then remote.
pub fn overview(vault: &Vault) -> Result<Vec<SyncMark>> {
    if vault.remotes()?.is_empty() {
        return Ok(Vec::new());
    }
    let live = vault.list()?.into_iter().map(|meta| (meta.name, meta.version)).collect();
    marks(vault, &live)
}

/// [`overview`], for a caller that has read each live secret's version.
pub fn marks(vault: &Vault, live: &HashMap<SecretName, u32>) -> Result<Vec<SyncMark>> {
    let conflicts: HashSet<(String, SecretName)> =
        state::conflicts(vault.conn())?.into_iter().map(|c| (c.remote, c.name)).collect();
    let mut marks = BTreeMap::new();
    for remote in vault.remotes()? {
        let (remote, kind) = (remote.config.name, remote.config.kind);
        let (remote_ref, _) = find_remote(vault.conn(), &remote)?;
        let bases = state::bases(vault.conn(), None, &remote_ref)?;
        let outbox = state::outbox(vault.conn(), None, &remote_ref)?;
        let names = live.keys().chain(bases.keys()).chain(outbox.keys());
        for name in names.collect::<HashSet<_>>() {
            let local = live.get(name).copied();
            let state = if conflicts.contains(&(remote.clone(), name.clone())) {
                SyncState::Conflict
            } else if outbox.contains_key(name) {
                SyncState::Pending
            } else {
                match (bases.get(name), local) {
                    (Some(base), _) if kind.revoked_marker(&base.marker) => SyncState::Revoked,
                    (Some(base), _) if !base.in_sync && base.local_version.is_none() => SyncState::RemoteOnly,
                    (Some(base), _) if !base.in_sync => SyncState::RemoteChanged,
                    (Some(base), Some(version)) if base.local_version == Some(version) => SyncState::Synced,
                    // Removed here since the last sync: the removal is not on the remote yet.
                    (Some(_), _) | (None, Some(_)) => SyncState::Pending,
                    (None, None) => continue,
                }
            };
            marks.insert((name.clone(), remote.clone()), state);
        }
    }
    Ok(marks.into_iter().map(|((name, remote), state)| SyncMark { remote, name, state }).collect())
}
