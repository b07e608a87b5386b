//! Each remote's sync state without a remote call (`keyhaven status`, the app's Sync screen): the last
//! sync, what waits in the outbox and why, the open conflicts, in one line.

use serde::Serialize;

use super::{QueuedWrite, conflicts};
use crate::{Result, UnlockedVault, Vault, vault::sync_state as state};

/// One remote's sync state, as `keyhaven status` shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RemoteStatus {
    pub remote: String,
    /// The last sync that reached it (a push does not count).
    pub last_sync: Option<jiff::Timestamp>,
    /// Writes waiting to be sent, oldest first.
    pub queued: Vec<QueuedWrite>,
    pub conflicts: usize,
    /// The category of the newest queued write's last failure, if any.
    pub last_failure: Option<String>,
}

/// Each remote's [`RemoteStatus`] (works locked: names and counts only).
pub fn status(vault: &Vault) -> Result<Vec<RemoteStatus>> {
    let mut queued = state::queued_writes(vault.conn())?;
    let conflicts = conflicts(vault)?;
    Ok(vault
        .remotes()?
        .into_iter()
        .map(|info| {
            let remote = info.config.name;
            let writes = queued.remove(&remote).unwrap_or_default();
            let last_failure = writes.iter().rev().find_map(|write| write.last_failure.clone());
            RemoteStatus {
                conflicts: conflicts.iter().filter(|c| c.remote == remote).count(),
                last_sync: info.last_sync,
                queued: writes,
                last_failure,
                remote,
            }
        })
        .collect())
}

/// The sync state of every remote in one line, for the status bar and the
/// tray's tooltip: "Synced 2 min ago · 3 changes waiting (rt unreachable) ·
/// 1 conflict". `None` without remotes.
pub fn summary_line(statuses: &[RemoteStatus], now: jiff::Timestamp) -> Option<String> {
    if statuses.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    match statuses.iter().filter_map(|status| status.last_sync).max() {
        Some(at) => parts.push(format!("Synced {}", ago(at, now))),
        None => parts.push("Not synced yet".to_owned()),
    }
    let waiting: usize = statuses.iter().map(|status| status.queued.len()).sum();
    if waiting > 0 {
        let failing: Vec<String> = statuses
            .iter()
            .filter(|status| !status.queued.is_empty())
            .filter_map(|status| {
                Some(format!("{} {}", status.remote, status.last_failure.as_deref()?.replace('_', " ")))
            })
            .collect();
        let why = if failing.is_empty() { String::new() } else { format!(" ({})", failing.join(", ")) };
        parts.push(format!("{waiting} change{} waiting{why}", if waiting == 1 { "" } else { "s" }));
    }
    let conflicts: usize = statuses.iter().map(|status| status.conflicts).sum();
    if conflicts > 0 {
        parts.push(format!("{conflicts} conflict{}", if conflicts == 1 { "" } else { "s" }));
    }
    Some(parts.join(" · "))
}

/// "just now", "2 min ago", "3 h ago", "4 days ago".
fn ago(at: jiff::Timestamp, now: jiff::Timestamp) -> String {
    let minutes = (now.as_second() - at.as_second()).max(0) / 60;
    match minutes {
        0 => "just now".to_owned(),
        1..60 => format!("{minutes} min ago"),
        60..2880 => format!("{} h ago", minutes / 60),
        _ => format!("{} days ago", minutes / 1440),
    }
}

/// Whether anything was ever synced with `remote`, from its checked sync
/// records: a first sync asks before it sends.
pub fn has_synced(vault: &UnlockedVault, remote: &str) -> Result<bool> {
    let remote = vault.remote_ref(remote)?;
    state::has_synced(vault.conn(), vault.integrity(), &remote)
}
