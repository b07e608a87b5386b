//! Remotes (add, test, remove; a token goes in and never comes back out),
//! sync with its progress, where each secret stands, and conflicts.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use keyhaven_core::{
    remote::{Capabilities, RemoteConfig},
    sync::{self, ConflictInfo, Keep, Status, SyncMark, SyncOptions, SyncReport},
    vault::RemoteInfo,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager, State};
use ts_rs::TS;

use super::{blocking, name, session};
use crate::{
    AppState,
    error::{CommandError, CommandResult},
    tray,
};

/// Emitted while a sync runs: `SyncProgress`.
pub const SYNC_PROGRESS: &str = "sync-progress";

/// A remote as the add form sends it.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct NewRemote {
    pub name: String,
    /// runloop, runtype or runtools.
    pub kind: String,
    pub url: String,
    /// RunTools only: user or org.
    pub scope: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncProgress {
    pub remote: String,
    pub done: u32,
    pub total: u32,
}

/// One sync's outcome, for a person: what was done, counted by kind of step,
/// and every step still worth a look (conflicts, holds, failures, queued writes).
#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncSummary {
    pub remote: String,
    pub listed: u32,
    pub listing_complete: bool,
    /// Why the remote could not be reached; its writes wait in the outbox.
    pub offline: Option<String>,
    pub warnings: Vec<String>,
    pub counts: Vec<SyncCount>,
    pub open: Vec<OpenStep>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncCount {
    pub label: String,
    pub count: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct OpenStep {
    pub name: String,
    pub what: String,
    pub error: Option<String>,
}

impl From<&SyncReport> for SyncSummary {
    fn from(report: &SyncReport) -> Self {
        let mut counts = BTreeMap::<&str, u32>::new();
        let mut open = Vec::new();
        for step in &report.steps {
            let error = match &step.status {
                Status::Done => {
                    *counts.entry(step.step.action.label()).or_default() += 1;
                    continue;
                }
                Status::Planned => None,
                Status::Failed(err) => Some(err.clone()),
                Status::Queued(_) => Some("queued: the remote is unreachable".to_owned()),
            };
            open.push(OpenStep {
                name: step.step.name.to_string(),
                what: step.step.action.describe(),
                error,
            });
        }
        SyncSummary {
            remote: report.remote.clone(),
            listed: saturate(report.listed),
            listing_complete: report.listing_complete,
            offline: report.offline.clone(),
            warnings: report.warnings.clone(),
            counts: counts
                .into_iter()
                .map(|(label, count)| SyncCount { label: label.into(), count })
                .collect(),
            open,
        }
    }
}

/// Every remote; works locked.
#[tauri::command(async)]
pub fn list_remotes(state: State<'_, AppState>) -> CommandResult<Vec<RemoteInfo>> {
    Ok(session(&state).vault()?.remotes()?)
}

/// Adds a remote: its token encrypted to the vault's key, its row tagged (needs the key).
#[tauri::command(async)]
pub fn add_remote(state: State<'_, AppState>, remote: NewRemote, token: String) -> CommandResult<RemoteInfo> {
    let token = SecretString::from(token);
    if token.expose_secret().trim().is_empty() {
        return Err(CommandError::invalid("the API token must not be empty"));
    }
    let scope = remote.scope.as_deref().filter(|s| !s.is_empty()).map(str::parse).transpose()?;
    let config = RemoteConfig::new(remote.name.trim(), remote.kind.parse()?, remote.url.trim(), scope)?;
    let mut session = session(&state);
    let vault = session.unlocked()?;
    vault.add_remote(&config, &token)?;
    Ok(vault.remote(&config.name)?)
}

/// Calls the remote with its token: reachable, and the token accepted.
#[tauri::command]
pub async fn test_remote(app: AppHandle, name: String) -> CommandResult<Capabilities> {
    blocking(app, move |app| {
        let state = app.state::<AppState>();
        let api = session(&state).unlocked()?.connect(&name)?;
        api.ping().map_err(keyhaven_core::Error::from)?;
        Ok(api.capabilities())
    })
    .await
}

/// Forgets the remote and its sync state; nothing on the remote changes.
#[tauri::command(async)]
pub fn remove_remote(state: State<'_, AppState>, name: String) -> CommandResult<()> {
    Ok(session(&state).vault_mut()?.remove_remote(&name)?)
}

/// Syncs with `remote`, or with every remote; progress as `SYNC_PROGRESS` events.
#[tauri::command]
pub async fn sync_remotes(
    app: AppHandle,
    remote: Option<String>,
    prune: bool,
    pull: bool,
) -> CommandResult<Vec<SyncSummary>> {
    // Names new to this vault are not pulled from the app yet: they show as the
    // remote's until a list to tick them lands (CLI: `sync --pull --accept-new`).
    let options = SyncOptions { dry_run: false, prune, pull, accept_new: Default::default() };
    blocking(app, move |app| {
        let state = app.state::<AppState>();
        let mut session = session(&state);
        let vault = session.unlocked()?;
        let names = match remote {
            Some(name) => vec![vault.remote(&name)?.config.name],
            None => vault.remotes()?.into_iter().map(|r| r.config.name).collect(),
        };
        let mut summaries = Vec::new();
        for remote in names {
            let api = vault.connect(&remote)?;
            let mut last = Instant::now();
            let mut progress = |done: usize, total: usize| {
                // A few updates a second are enough for a progress bar.
                if done == total || last.elapsed() >= Duration::from_millis(100) {
                    last = Instant::now();
                    let (done, total) = (saturate(done), saturate(total));
                    let _ = app.emit(SYNC_PROGRESS, SyncProgress { remote: remote.clone(), done, total });
                }
            };
            let report = sync::sync(vault, &remote, api.as_ref(), &options, &mut progress)?;
            summaries.push(SyncSummary::from(&report));
        }
        drop(session);
        let _ = tray::refresh(app);
        Ok(summaries)
    })
    .await
}

fn saturate(n: usize) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

/// Each secret's standing with each remote, from the last sync; works locked.
#[tauri::command(async)]
pub fn sync_overview(state: State<'_, AppState>) -> CommandResult<Vec<SyncMark>> {
    Ok(sync::overview(session(&state).vault()?)?)
}

#[tauri::command(async)]
pub fn list_conflicts(state: State<'_, AppState>) -> CommandResult<Vec<ConflictInfo>> {
    Ok(sync::conflicts(session(&state).vault()?)?)
}

/// Settles a conflict by keeping one side, now (calls the remote).
#[tauri::command]
pub async fn resolve_conflict(app: AppHandle, name: String, remote: String, keep: Keep) -> CommandResult<()> {
    let name = self::name(&name)?;
    blocking(app, move |app| {
        let state = app.state::<AppState>();
        let mut session = session(&state);
        let vault = session.unlocked()?;
        let api = vault.connect(&remote)?;
        Ok(sync::resolve(vault, &remote, api.as_ref(), &name, keep)?)
    })
    .await
}
