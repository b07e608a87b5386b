//! Where each secret stands with each remote, from what the last sync
//! recorded (no remote call): what the app's list shows and filters by.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::Selection;
use super::state;
use crate::{Result, SecretName, UnlockedVault, Vault, vault::find_remote};

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

/// Each remote's selection, in the order of `vault.remotes()`, read with
/// the vault unlocked (a selection is checked against its tag): which
/// remotes choose a secret, so a secret shows no state for a remote it is
/// not chosen for. Locked, it is not known, and every state shows.
pub struct Choosers(Option<Vec<Selection>>);

impl Choosers {
    pub fn of(vault: &UnlockedVault) -> Result<Self> {
        let remotes = vault.remotes()?;
        let selections =
            remotes.iter().map(|r| vault.remote_selection(&r.config.name)).collect::<Result<_>>()?;
        Ok(Choosers(Some(selections)))
    }

    /// Locked: the selections cannot be checked.
    pub fn unknown() -> Self {
        Choosers(None)
    }

    pub fn known(&self) -> bool {
        self.0.is_some()
    }

    /// Bit `i` set: the `i`-th remote chooses a secret called `name` in
    /// `category`, of `kind` (an SSH key only by name; past the 64th remote,
    /// or unknown, every bit is set).
    pub fn mask(&self, name: &str, category: &str, kind: crate::secret::SecretKind) -> u64 {
        match &self.0 {
            None => u64::MAX,
            Some(selections) => selections.iter().enumerate().fold(u64::MAX, |mask, (i, selection)| {
                if i < 64 && !selection.selects(name, category, kind) { mask & !(1 << i) } else { mask }
            }),
        }
    }
}

/// A live secret as [`marks`] needs it: its version, and which remotes
/// choose it ([`Choosers::mask`]).
#[derive(Debug, Clone, Copy)]
pub struct Live {
    pub version: u32,
    pub chosen: u64,
}

/// Every (remote, secret) pair worth a mark: each live secret with each
/// remote that chooses it (or holds a conflict for it), and each remote-only
/// name. Sorted by name, then remote.
pub fn overview(vault: &Vault, choosers: &Choosers) -> Result<Vec<SyncMark>> {
    if vault.remotes()?.is_empty() {
        return Ok(Vec::new());
    }
    let live = vault
        .list()?
        .into_iter()
        .map(|meta| {
            let chosen = choosers.mask(meta.name.as_str(), &meta.category, meta.kind);
            (meta.name, Live { version: meta.version, chosen })
        })
        .collect();
    marks(vault, &live)
}

/// [`overview`], for a caller that has read each live secret.
pub fn marks(vault: &Vault, live: &HashMap<SecretName, Live>) -> Result<Vec<SyncMark>> {
    let conflicts: HashSet<(String, SecretName)> =
        state::conflicts(vault.conn())?.into_iter().map(|c| (c.remote, c.name)).collect();
    let mut marks = BTreeMap::new();
    for (index, remote) in vault.remotes()?.into_iter().enumerate() {
        let (remote, kind) = (remote.config.name, remote.config.kind);
        let bit = if index < 64 { 1 << index } else { 0 };
        let (remote_ref, _) = find_remote(vault.conn(), &remote)?;
        let bases = state::bases(vault.conn(), None, &remote_ref)?;
        let outbox = state::outbox(vault.conn(), None, &remote_ref)?;
        let names = live.keys().chain(bases.keys()).chain(outbox.keys());
        for name in names.collect::<HashSet<_>>() {
            let found = live.get(name).copied();
            let conflict = conflicts.contains(&(remote.clone(), name.clone()));
            // Not chosen for this remote: no state there, unless a conflict waits.
            if found.is_some_and(|live| live.chosen & bit == 0 && bit != 0) && !conflict {
                continue;
            }
            let local = found.map(|live| live.version);
            let state = if conflict {
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
