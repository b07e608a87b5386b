//! Remotes (add, test, replace key, remove; a token goes in and never comes
//! back out), what syncs to each, sync with its progress, where each secret
//! stands, and conflicts.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use keyhaven_core::{
    SecretName,
    remote::{Check, Kind, KvLocation, RemoteConfig, Scope},
    sync::{
        self, AcceptNew, ConflictInfo, Keep, Preview, RemoteOutcome, Selection, Status, SyncMark,
        SyncOptions, SyncReport,
    },
    vault::{RemoteInfo, SecretRemote},
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager, State};
use ts_rs::TS;

use super::{blocking, name, session};
use crate::{
    AppState,
    error::{CommandError, CommandResult},
    settings, tray,
};

/// Emitted while a sync runs: `SyncProgress`.
pub const SYNC_PROGRESS: &str = "sync-progress";

/// A remote as the add form sends it.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct NewRemote {
    pub name: String,
    /// runloop, runtype, runtools or openbao.
    pub kind: String,
    /// Empty: the service's own API.
    pub url: String,
    /// RunTools only: user or org.
    pub scope: Option<String>,
    /// When the API key expires, YYYY-MM-DD, or empty (OpenBao: asked of the server).
    pub expires: String,
    /// OpenBao only: where the secrets live and how it logs in (`None` for the others).
    pub kv: Option<NewKv>,
}

/// An OpenBao remote's place and login, as the add form sends them.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct NewKv {
    /// The KV version 2 mount; empty: `secret`.
    pub mount: String,
    /// The folder under it; empty: the mount's top.
    pub prefix: String,
    /// Empty: none.
    pub namespace: String,
    /// An AppRole role id (the key is then its secret id); empty: the key is a token.
    pub role_id: String,
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
    /// Why this remote's sync failed (its key refused, say); the others still ran.
    pub error: Option<String>,
    /// The remote refused its key: the window offers Replace key.
    pub key_refused: bool,
    pub warnings: Vec<String>,
    pub counts: Vec<SyncCount>,
    pub open: Vec<OpenStep>,
    /// What it came to, in plain words (core's `SyncReport::sentence`).
    pub sentence: String,
    /// Its selection chooses nothing yet.
    pub nothing_chosen: bool,
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
            error: None,
            key_refused: false,
            warnings: report.warnings.clone(),
            counts: counts
                .into_iter()
                .map(|(label, count)| SyncCount { label: label.into(), count })
                .collect(),
            open,
            sentence: report.sentence(),
            nothing_chosen: report.nothing_chosen,
        }
    }
}

impl SyncSummary {
    fn from_outcome(outcome: &RemoteOutcome) -> Option<Self> {
        match &outcome.result {
            Ok(Some(report)) => Some(Self::from(report)),
            Ok(None) => None,
            Err(err) => {
                let key_refused = matches!(err, keyhaven_core::Error::KeyRefused { .. });
                // One sentence for the window, which offers Replace key (no HTTP, no CLI syntax).
                let error = if key_refused {
                    format!(
                        "{} refused its API key: it was revoked, has expired or was mistyped.",
                        outcome.remote
                    )
                } else {
                    err.to_string()
                };
                Some(SyncSummary {
                    remote: outcome.remote.clone(),
                    listed: 0,
                    listing_complete: false,
                    offline: None,
                    error: Some(error),
                    key_refused,
                    warnings: Vec::new(),
                    counts: Vec::new(),
                    open: Vec::new(),
                    sentence: String::new(),
                    nothing_chosen: false,
                })
            }
        }
    }
}

/// Every remote; works locked.
#[tauri::command(async)]
pub fn list_remotes(state: State<'_, AppState>) -> CommandResult<Vec<RemoteInfo>> {
    Ok(session(&state).vault()?.remotes()?)
}

/// The remote `remote` describes, checked (name, kind, URL, scope).
fn config_of(remote: &NewRemote) -> Result<RemoteConfig, keyhaven_core::Error> {
    let scope = remote.scope.as_deref().filter(|s| !s.is_empty()).map(str::parse).transpose()?;
    let kind: Kind = remote.kind.parse()?;
    let url = Some(remote.url.trim()).filter(|url| !url.is_empty()).unwrap_or(kind.default_url());
    let config = RemoteConfig::new(remote.name.trim(), kind, url, scope)?;
    let Some(kv) = &remote.kv else { return Ok(config) };
    fn given(text: &str) -> Option<&str> {
        Some(text.trim()).filter(|text| !text.is_empty())
    }
    let location =
        KvLocation::new(given(&kv.mount).unwrap_or("secret"), kv.prefix.trim(), given(&kv.namespace))?;
    let location = match given(&kv.role_id) {
        Some(role_id) => location.with_approle(role_id)?,
        None => location,
    };
    config.with_kv(location)
}

/// What a key can do at `config`'s remote, before it is stored
/// (`remote::check`, which changes nothing there).
fn check_key(config: &RemoteConfig, token: String) -> CommandResult<Check> {
    let token = SecretString::from(token.trim().to_owned());
    let api = keyhaven_core::remote::connect(config, token, keyhaven_core::remote::default_policy())?;
    keyhaven_core::remote::check(api.as_ref()).map_err(|err| {
        match keyhaven_core::Error::from(err).at_remote(&config.name) {
            // Said for a key not stored yet: no advice about replacing it.
            keyhaven_core::Error::KeyRefused { remote, detail } => CommandError::other(format!(
                "{remote} refused this API key ({detail}): it is revoked, expired or mistyped"
            )),
            other => other.into(),
        }
    })
}

/// Tests a new remote's key before it is added: what it can and cannot do.
#[tauri::command]
pub async fn check_new_remote(app: AppHandle, remote: NewRemote, token: String) -> CommandResult<Check> {
    let config = config_of(&remote)?;
    blocking(app, move |_| check_key(&config, token)).await
}

/// Tests a replacement key for `name` before it is stored.
#[tauri::command]
pub async fn check_new_token(app: AppHandle, name: String, token: String) -> CommandResult<Check> {
    blocking(app, move |app| {
        let state = app.state::<AppState>();
        let config = session(&state).vault()?.remote(&name)?.config;
        check_key(&config, token)
    })
    .await
}

/// Adds a remote: its token encrypted to the vault's key, its row tagged (needs the key).
#[tauri::command(async)]
pub fn add_remote(state: State<'_, AppState>, remote: NewRemote, token: String) -> CommandResult<RemoteInfo> {
    let token = SecretString::from(token.trim().to_owned());
    let config = config_of(&remote)?;
    let mut session = session(&state);
    let vault = session.unlocked()?;
    vault.add_remote(&config, &token)?;
    let expires = keyhaven_core::text::parse_date("key expiry", &remote.expires)?;
    if expires.is_some() {
        vault.set_remote_expiry(&config.name, expires)?;
    } else if config.kind == Kind::Openbao {
        // The server says when its token expires; one it cannot be asked now costs nothing.
        if let Err(err) = vault.expiry_from_remote(&config.name) {
            tracing::info!(remote = %config.name, %err, "could not ask when the token expires");
        }
    }
    Ok(vault.remote(&config.name)?)
}

/// Replaces a remote's API key (revoked, expired or rotated), keeping its sync
/// state; `expires` is the new key's expiry (YYYY-MM-DD) or empty.
#[tauri::command(async)]
pub fn replace_remote_token(
    state: State<'_, AppState>,
    name: String,
    token: String,
    expires: String,
) -> CommandResult<RemoteInfo> {
    let token = SecretString::from(token.trim().to_owned());
    let expires = keyhaven_core::text::parse_date("key expiry", &expires)?;
    let mut session = session(&state);
    let vault = session.unlocked()?;
    vault.set_remote_token(&name, &token, expires)?;
    Ok(vault.remote(&name)?)
}

/// What syncs to a remote, and the names that makes: chosen and not.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SelectionView {
    pub selection: Selection,
    pub chosen: Vec<SecretName>,
    pub not_chosen: Vec<SecretName>,
    /// Every live secret with its category and whether the rules choose it:
    /// the checklist beside the rules.
    pub rows: Vec<Choice>,
    /// A RunTools org-scope remote: what is chosen is shared with the organisation.
    pub shared_with_org: bool,
}

/// One secret in the checklist.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Choice {
    pub name: SecretName,
    pub category: String,
    pub chosen: bool,
}

fn selection_view(
    vault: &keyhaven_core::UnlockedVault,
    remote: &str,
    selection: Selection,
) -> CommandResult<SelectionView> {
    let secrets = vault.list()?;
    let (chosen, not_chosen) = sync::partition(&selection, &secrets);
    let rows = secrets
        .into_iter()
        .filter(|meta| meta.deleted.is_none())
        .map(|meta| Choice {
            chosen: selection.selects(meta.name.as_str(), &meta.category, meta.kind),
            name: meta.name,
            category: meta.category,
        })
        .collect();
    let shared_with_org = vault.remote(remote)?.config.scope == Some(Scope::Org);
    Ok(SelectionView { selection, chosen, not_chosen, rows, shared_with_org })
}

/// A box ticked or unticked in the checklist: the draft rules with the
/// smallest change that chooses `name` or leaves it out (core's
/// `Selection::with`: its exact name added or dropped), previewed, not saved.
#[tauri::command(async)]
pub fn tick_selection(
    state: State<'_, AppState>,
    remote: String,
    draft: Selection,
    name: String,
    chosen: bool,
) -> CommandResult<SelectionView> {
    let name = self::name(&name)?;
    let draft = Selection::new(draft.include, draft.categories, draft.exclude)?;
    let mut session = session(&state);
    let vault = session.unlocked()?;
    let meta = vault.meta(&name)?;
    selection_view(vault, &remote, draft.with(&name, &meta.category, meta.kind, chosen))
}

/// What syncs to `remote`; with `draft`, what those rules would choose
/// instead (nothing is saved: the preview as the user types).
#[tauri::command(async)]
pub fn remote_selection(
    state: State<'_, AppState>,
    remote: String,
    draft: Option<Selection>,
) -> CommandResult<SelectionView> {
    let mut session = session(&state);
    let vault = session.unlocked()?;
    let selection = match draft {
        Some(draft) => Selection::new(draft.include, draft.categories, draft.exclude)?,
        None => vault.remote_selection(&remote)?,
    };
    selection_view(vault, &remote, selection)
}

/// Saves what syncs to `remote` from now on.
#[tauri::command(async)]
pub fn save_selection(
    state: State<'_, AppState>,
    remote: String,
    selection: Selection,
) -> CommandResult<SelectionView> {
    let selection = Selection::new(selection.include, selection.categories, selection.exclude)?;
    let mut session = session(&state);
    let vault = session.unlocked()?;
    vault.set_remote_selection(&remote, &selection)?;
    selection_view(vault, &remote, selection)
}

/// Each remote, and whether secret `name` goes there.
#[tauri::command(async)]
pub fn secret_remotes(state: State<'_, AppState>, name: String) -> CommandResult<Vec<SecretRemote>> {
    let name = self::name(&name)?;
    Ok(session(&state).unlocked()?.secret_remotes(&name)?)
}

/// Sends secret `name` to `remote` from now on, or stops sending it.
#[tauri::command(async)]
pub fn choose_remote(
    state: State<'_, AppState>,
    name: String,
    remote: String,
    chosen: bool,
) -> CommandResult<Vec<SecretRemote>> {
    let name = self::name(&name)?;
    let mut session = session(&state);
    let vault = session.unlocked()?;
    vault.choose_for_remote(&remote, &name, chosen)?;
    Ok(vault.secret_remotes(&name)?)
}

/// Calls the remote with its token: reachable, the token accepted, and
/// whether it may write (`remote::check`, which changes nothing).
#[tauri::command]
pub async fn test_remote(app: AppHandle, name: String) -> CommandResult<Check> {
    blocking(app, move |app| {
        let state = app.state::<AppState>();
        let api = session(&state).unlocked()?.connect(&name)?;
        Ok(keyhaven_core::remote::check(api.as_ref())
            .map_err(|err| keyhaven_core::Error::from(err).at_remote(&name))?)
    })
    .await
}

/// Forgets the remote and its sync state; nothing on the remote changes.
#[tauri::command(async)]
pub fn remove_remote(state: State<'_, AppState>, name: String) -> CommandResult<()> {
    Ok(session(&state).vault_mut()?.remove_remote(&name)?)
}

/// The remotes whose sync needs the user's yes first (a first sync that sends,
/// names new to this vault), for the window to ask about before
/// `sync_remotes` (lists each remote; changes nothing).
#[tauri::command]
pub async fn preview_sync(
    app: AppHandle,
    remote: Option<String>,
    pull: bool,
    prune: bool,
) -> CommandResult<Vec<Preview>> {
    blocking(app, move |app| {
        let state = app.state::<AppState>();
        state.touch();
        let mut vault = state.session().unlocked()?.reopen()?;
        let options = SyncOptions { pull, prune, cancel: state.sync_cancel(), ..Default::default() };
        let mut previews = Vec::new();
        for remote in sync::remote_names(&vault, remote.as_deref())? {
            // A remote that fails here fails its sync too, which reports why.
            let Ok(api) = vault.connect(&remote) else { continue };
            if let Ok(preview) = sync::preview(&mut vault, &remote, api.as_ref(), &options)
                && preview.needs_answer()
            {
                previews.push(preview);
            }
        }
        Ok(previews)
    })
    .await
}

/// Syncs with `remote`, or with every remote; progress as `SYNC_PROGRESS`
/// events. A pull creates only the new names in `accept_new` (the ones the
/// user ticked in the preview).
#[tauri::command]
pub async fn sync_remotes(
    app: AppHandle,
    remote: Option<String>,
    prune: bool,
    pull: bool,
    accept_new: Vec<String>,
) -> CommandResult<Vec<SyncSummary>> {
    let accept_new = accept_new.iter().map(|text| name(text)).collect::<CommandResult<_>>()?;
    blocking(app, move |app| {
        let state = app.state::<AppState>();
        state.touch();
        let options =
            SyncOptions { prune, pull, accept_new: AcceptNew::Names(accept_new), ..Default::default() };
        let mut last = Instant::now();
        let summaries = sync_all(&state, remote, options, |remote, done, total| {
            // A few updates a second are enough for a progress bar.
            if done == total || last.elapsed() >= Duration::from_millis(100) {
                last = Instant::now();
                let (done, total) = (saturate(done), saturate(total));
                let _ = app.emit(SYNC_PROGRESS, SyncProgress { remote: remote.to_owned(), done, total });
            }
        })?;
        tray::update(app);
        Ok(summaries)
    })
    .await
}

/// The sync itself, on a handle of its own: the session is held only to get
/// it, so locking (the tray, idling, sleep) never waits for a remote. Locking
/// cancels it; what was not sent waits in the outbox. Every remote gets a
/// summary, a failed one too.
pub(crate) fn sync_all(
    state: &AppState,
    remote: Option<String>,
    options: SyncOptions,
    progress: impl FnMut(&str, usize, usize),
) -> CommandResult<Vec<SyncSummary>> {
    struct Window<F>(F);
    impl<F: FnMut(&str, usize, usize)> sync::Host for Window<F> {
        fn progress(&mut self, remote: &str, done: usize, total: usize) {
            (self.0)(remote, done, total)
        }
    }
    let options = SyncOptions { cancel: state.sync_cancel(), ..options };
    let mut vault = state.session().unlocked()?.reopen()?;
    let remotes = match &remote {
        Some(remote) => vec![remote.clone()],
        None => vault.remotes()?.into_iter().map(|remote| remote.config.name).collect(),
    };
    let _held = state.gates.hold(remotes);
    let outcomes = sync::run(&mut vault, remote.as_deref(), &options, &mut Window(progress))?;
    Ok(outcomes.iter().filter_map(SyncSummary::from_outcome).collect())
}

fn saturate(n: usize) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

/// Each secret's standing with each remote, from the last sync; locked,
/// only with "Show names while locked".
#[tauri::command(async)]
pub fn sync_overview(
    state: State<'_, AppState>,
    store: State<'_, settings::Store>,
) -> CommandResult<Vec<SyncMark>> {
    let mut session = session(&state);
    let choosers = choosers(&mut session)?;
    Ok(sync::overview(session.names(store.get().show_names_locked)?, &choosers)?)
}

/// Open conflicts; locked, only with "Show names while locked".
#[tauri::command(async)]
pub fn list_conflicts(
    state: State<'_, AppState>,
    store: State<'_, settings::Store>,
) -> CommandResult<Vec<ConflictInfo>> {
    Ok(sync::conflicts(session(&state).names(store.get().show_names_locked)?)?)
}

/// Settles a conflict by keeping one side, now (calls the remote). Keeping
/// the side of a remote that cannot send values back needs
/// `accept_unreadable`, which marks this device's copy out of date.
#[tauri::command]
pub async fn resolve_conflict(
    app: AppHandle,
    name: String,
    remote: String,
    keep: Keep,
    accept_unreadable: bool,
) -> CommandResult<()> {
    let name = self::name(&name)?;
    blocking(app, move |app| {
        let state = app.state::<AppState>();
        state.touch();
        // On a handle of its own, like a sync: locking never waits for the remote.
        let mut vault = state.session().unlocked()?.reopen()?;
        let _held = state.gates.hold([remote.clone()]);
        let api = vault.connect(&remote)?;
        sync::resolve(&mut vault, &remote, api.as_ref(), &name, keep, accept_unreadable)?;
        tray::update(app);
        Ok(())
    })
    .await
}

/// Settles every open conflict (with `remote`'s only, if given) by keeping
/// one side; a summary per remote says what settled and what did not.
#[tauri::command]
pub async fn resolve_all(
    app: AppHandle,
    remote: Option<String>,
    keep: Keep,
) -> CommandResult<Vec<SyncSummary>> {
    blocking(app, move |app| {
        let state = app.state::<AppState>();
        state.touch();
        let mut vault = state.session().unlocked()?.reopen()?;
        let mut remotes: std::collections::BTreeSet<String> =
            sync::conflicts(&vault)?.into_iter().map(|c| c.remote).collect();
        if let Some(remote) = remote {
            remotes.retain(|r| *r == remote);
        }
        let mut summaries = Vec::new();
        for remote in remotes {
            let _held = state.gates.hold([remote.clone()]);
            let api = vault.connect(&remote)?;
            let report = sync::resolve_many(&mut vault, &remote, api.as_ref(), &[], keep, false)
                .map_err(|err| err.at_remote(&remote))?;
            summaries.push(SyncSummary::from(&report));
        }
        tray::update(app);
        Ok(summaries)
    })
    .await
}

#[cfg(test)]
include!(concat!(env!("OUT_DIR"), "/commands/remotes.rs"));

/// A remote's sync state for the Remotes screen: `keyhaven status`, and
/// when the next background pass looks at it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PassView {
    pub status: sync::RemoteStatus,
    /// Seconds until the next pass; `None` when passes are off, the vault is
    /// locked, or the remote has not synced yet (its first sync is the user's).
    pub next_pass_seconds: Option<u32>,
}

/// Each remote's last sync, queued writes, conflicts, last failure and next pass.
#[tauri::command(async)]
pub fn sync_status(app: AppHandle, state: State<'_, AppState>) -> CommandResult<Vec<PassView>> {
    let statuses = sync::status(session(&state).vault()?)?;
    let passes = app.state::<crate::passes::Passes>();
    let unlocked = state.session().is_unlocked();
    let now = Instant::now();
    Ok(statuses
        .into_iter()
        .map(|status| {
            let next = passes.next(&status.remote).filter(|_| unlocked && status.last_sync.is_some());
            let next_pass_seconds =
                next.map(|at| saturate(at.saturating_duration_since(now).as_secs() as usize));
            PassView { status, next_pass_seconds }
        })
        .collect())
}

/// The status bar's line: "Synced 2 min ago · 3 changes waiting (rt
/// unreachable) · 1 conflict" (core's `summary_line`); `None` without
/// remotes. Remote names and counts only, so it shows locked too.
#[tauri::command(async)]
pub fn sync_line(state: State<'_, AppState>) -> CommandResult<Option<String>> {
    // Read on a timer: not user activity, so the idle lock still comes.
    let statuses = sync::status(state.session().vault()?)?;
    Ok(sync::summary_line(&statuses, jiff::Timestamp::now()))
}

/// Which remotes choose which secrets, when the vault is unlocked (their
/// rules are checked with its key); locked, unknown, and every state shows.
pub(crate) fn choosers(session: &mut crate::session::Session) -> CommandResult<sync::Choosers> {
    Ok(match session.unlocked() {
        Ok(vault) => sync::Choosers::of(vault)?,
        Err(_) => sync::Choosers::unknown(),
    })
}

#[cfg(test)]
mod tests {
    use std::{
        io::{BufRead, BufReader, Write},
        net::TcpListener,
        sync::{Arc, mpsc},
    };

    use keyhaven_core::{KdfParams, SecretName, remote::Kind, secret::SecretFields};

    use super::*;

    #[test]
    fn locking_wins_at_once_while_a_sync_waits_on_a_silent_remote() {
        let dir = tempfile::tempdir().unwrap();
        let state = Arc::new(AppState::new(dir.path().join("vault.sqlite")));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        {
            let mut session = state.session();
            session.create(&"pw".into(), KdfParams::custom(8, 1).unwrap()).unwrap();
            let vault = session.unlocked().unwrap();
            let name = SecretName::parse("API_KEY").unwrap();
            vault.set(&name, &"value-0123456789".into(), &SecretFields::default()).unwrap();
            let config = RemoteConfig::new("rt", Kind::Runtype, &url, None).unwrap();
            vault.add_remote(&config, &"rt_test_token".into()).unwrap();
            vault.set_remote_selection("rt", &Selection::everything()).unwrap();
        }
        // The remote takes the listing request, then says nothing until told to.
        let (asked, was_asked) = mpsc::channel();
        let (answer, may_answer) = mpsc::channel::<()>();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 0 && line != "\r\n" {
                line.clear();
            }
            asked.send(()).unwrap();
            may_answer.recv().unwrap();
            let body = r#"{"data":[]}"#;
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        });
        let syncing = {
            let state = state.clone();
            std::thread::spawn(move || sync_all(&state, None, SyncOptions::default(), |_, _, _| {}))
        };
        was_asked.recv_timeout(Duration::from_secs(10)).expect("the sync called the remote");

        let started = Instant::now();
        state.lock_vault();
        assert!(started.elapsed() < Duration::from_secs(1), "locking waited {:?}", started.elapsed());
        assert!(!state.session().is_unlocked());

        answer.send(()).unwrap();
        let summaries = syncing.join().unwrap().unwrap();
        server.join().unwrap();
        // The sync saw the lock: nothing was pushed, the push waits in the outbox.
        assert_eq!(summaries.len(), 1);
        assert_eq!(state.session().vault().unwrap().remote("rt").unwrap().pending, 1);
    }
}
