//! Reconciling the vault with one remote: list the remote's metadata, plan
//! ([`plan`], pure), then apply. Remote writes go through the outbox (written
//! before they are sent, cleared when they land), so a failed, interrupted or
//! offline sync leaves them for the next one to replay with the same
//! idempotency keys. Conflicts are recorded and wait for [`resolve`].

mod apply;
mod overview;
pub mod plan;
mod push;
mod renew;
mod run;
pub mod schedule;
mod selection;
mod state;

use std::collections::HashMap;

use secrecy::ExposeSecret;
use serde::Serialize;

pub use overview::{Choosers, Live, SyncMark, SyncState, marks, overview};
pub use plan::{AcceptNew, Action, ConflictReason, HoldReason, Step};
pub use push::{PUSH_WAIT, Pushed, push, targets};
pub use run::{Host, Quiet, RemoteOutcome, remote_names, run, shortfall};
pub use selection::{Selection, glob, partition};
pub use state::{ConflictInfo, NotHere, QueuedWrite};
pub(crate) use state::{tag_all as tag_state, verify_all as verify_state};

use self::{
    apply::{Job, Outcome},
    plan::{Base, Entry, Local, Pending},
    state::Queued,
};
use crate::{
    Error, Result, SecretName, UnlockedVault, Vault,
    remote::{Deleted, Failure, Kind, Metadata, RemoteError, RemoteSecret, SecretsApi},
    secret::{self, SecretFields},
    vault::{AuditAction, RemoteRef, record_audit},
};

/// Stops a sync from outside: once set, nothing more is sent, and the writes
/// not sent wait in the outbox. Cheap to clone; clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Why a cancelled sync stopped, as its report says.
const CANCELLED: &str = "stopped: the vault was locked";

/// The most names this vault does not hold that it records per remote (as
/// "on the remote only"). A remote picks how many it lists, so past this a
/// listing records nothing more: a hostile one cannot grow the vault or every
/// `ls` without bound (docs/SECURITY.md).
pub const MAX_REMOTE_ONLY: usize = 1_000;

#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Plan only; change nothing on either side.
    pub dry_run: bool,
    /// Propagate deletes both ways.
    pub prune: bool,
    /// Fetch values this device lacks where the remote can reveal them.
    pub pull: bool,
    /// Which names new to this vault a pull may create (none by default).
    pub accept_new: AcceptNew,
    /// Set from outside to stop (the app locks).
    pub cancel: Cancel,
    /// Only these names (and what the outbox holds for this remote), each
    /// looked up by name instead of listing the remote: a push of a change
    /// made here. Other names' conflicts stay open, and the remote's last
    /// sync time is left as it was.
    pub only: Option<Vec<SecretName>>,
}

/// What happened to one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "error", rename_all = "snake_case")]
pub enum Status {
    /// Dry run, or nothing to do now (holds, conflicts).
    Planned,
    Done,
    /// The remote refused or failed it; a write stays in the outbox.
    Failed(String),
    /// Not sent: the remote is unreachable. It waits in the outbox.
    Queued(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    #[serde(flatten)]
    pub step: Step,
    #[serde(flatten)]
    pub status: Status,
    /// Why a remote call failed, coarsely (with `Failed` or `Queued`).
    #[serde(skip)]
    pub failure: Option<Failure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub remote: String,
    pub dry_run: bool,
    /// Secrets the remote listed.
    pub listed: usize,
    /// False when the remote cut its listing short: unseen secrets were left alone.
    pub listing_complete: bool,
    /// Why the remote could not be reached; its writes wait in the outbox.
    pub offline: Option<String>,
    pub steps: Vec<StepReport>,
    pub warnings: Vec<String>,
    /// With `pull`: the remote's names this vault has never had. Pulled only
    /// when accepted (`SyncOptions::accept_new`); the rest are in `warnings`.
    pub new_names: Vec<SecretName>,
    /// Secrets here (not removed) or there not chosen for this remote, left alone.
    pub unselected: usize,
    /// The remote's selection chooses nothing yet, so nothing was planned.
    pub nothing_chosen: bool,
    /// After the run: names whose remote value is newer than this device's
    /// or not here at all (recorded "value not on this device").
    pub not_here: usize,
}

impl SyncReport {
    pub fn conflicts(&self) -> usize {
        self.steps.iter().filter(|s| matches!(s.step.action, Action::Conflict { .. })).count()
    }

    pub fn failures(&self) -> usize {
        self.steps.iter().filter(|s| matches!(s.status, Status::Failed(_) | Status::Queued(_))).count()
    }

    /// Nothing left over: no conflicts, failures or unreachable remote.
    pub fn is_clean(&self) -> bool {
        self.offline.is_none() && self.conflicts() == 0 && self.failures() == 0
    }

    /// What the sync did (or, dry, would do), in one plain sentence without
    /// the remote's name: "sent 4 new and 1 new version; 2 conflicts to
    /// settle". "Already in sync" only when nothing is pending, newer
    /// there or in conflict.
    pub fn sentence(&self) -> String {
        if self.nothing_chosen {
            return "nothing is chosen to sync with it yet, so nothing was sent".into();
        }
        if let Some(reason) = &self.offline {
            let queued = self.steps.iter().filter(|s| s.step.action.writes_remote()).count();
            return format!("unreachable ({reason}): {} write(s) queued for the next sync", queued);
        }
        let counted = |done: bool, wanted: fn(&Action) -> bool| {
            self.steps
                .iter()
                .filter(|s| wanted(&s.step.action) && (s.status == Status::Done || (!done && self.dry_run)))
                .count()
        };
        let done = !self.dry_run;
        let parts: Vec<String> = [
            (
                counted(done, |a| matches!(a, Action::Create { .. })),
                "new secret(s) sent",
                "new secret(s) to send",
            ),
            (
                counted(done, |a| matches!(a, Action::Update { .. })),
                "new version(s) sent",
                "new version(s) to send",
            ),
            (counted(done, |a| matches!(a, Action::DeleteRemote { .. })), "deleted there", "to delete there"),
            (counted(done, |a| *a == Action::DeleteLocal), "removed here", "to remove here"),
            (counted(done, |a| matches!(a, Action::Pull { .. })), "fetched", "to fetch"),
            (counted(done, |a| matches!(a, Action::Link { .. })), "found equal on both sides", "to compare"),
            (
                counted(done, |a| *a == Action::Forget),
                "gone from both sides, forgotten",
                "gone from both sides",
            ),
        ]
        .into_iter()
        .filter(|(n, ..)| *n > 0)
        .map(|(n, did, would)| format!("{n} {}", if self.dry_run { would } else { did }))
        .collect();
        let mut left = Vec::new();
        if self.conflicts() > 0 {
            left.push(format!("{} conflict(s) to settle", self.conflicts()));
        }
        let failed = self.steps.iter().filter(|s| matches!(s.status, Status::Failed(_))).count();
        let queued = self.steps.iter().filter(|s| matches!(s.status, Status::Queued(_))).count();
        if failed > 0 {
            left.push(format!("{failed} failed"));
        }
        if queued > 0 {
            left.push(format!("{queued} queued for the next sync"));
        }
        if self.not_here > 0 {
            left.push(format!("{} whose value there is not on this device", self.not_here));
        }
        let held = self.steps.iter().filter(|s| matches!(s.step.action, Action::Hold { .. })).count();
        if held > 0 {
            left.push(format!("{held} held"));
        }
        match (parts.is_empty(), left.is_empty()) {
            (true, true) if self.dry_run => "nothing to do".into(),
            (true, true) => "already in sync".into(),
            (false, true) => parts.join(", "),
            (true, false) => format!("nothing sent; {}", left.join(", ")),
            (false, false) => format!("{}; {}", parts.join(", "), left.join(", ")),
        }
    }
}

/// Syncs the vault with `remote` through `api`.
pub fn sync(
    vault: &mut UnlockedVault,
    remote: &str,
    api: &dyn SecretsApi,
    options: &SyncOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SyncReport> {
    let remote_ref = vault.remote_ref(remote)?;
    let renewal = renew::renew_if_due(vault, remote, api)?;
    let kind = api.kind();
    let bases = state::bases(vault.conn(), Some(vault.integrity()), &remote_ref)?;
    let outbox = state::outbox(vault.conn(), Some(vault.integrity()), &remote_ref)?;
    let scope: Option<std::collections::HashSet<SecretName>> =
        options.only.as_ref().map(|only| only.iter().chain(outbox.keys()).cloned().collect());
    let listed = match &scope {
        Some(names) => look_up(api, names, &options.cancel),
        None => api.list(),
    };
    let (listing, offline) = match listed {
        // Locked while listing: plan from the last sync, send nothing.
        Ok(_) if options.cancel.is_cancelled() => (assumed_listing(kind, &bases), Some(CANCELLED.into())),
        Ok(listing) => (listing, None),
        Err(err) if matches!(err.kind, Failure::Unreachable | Failure::Unavailable) => {
            (assumed_listing(kind, &bases), Some(err.message))
        }
        Err(err) => return Err(Error::Remote(err)),
    };
    let mut warnings: Vec<String> = renewal.into_iter().collect();
    let listed = listing.secrets.len();
    let selection = vault.remote_selection(remote)?;
    let (locals, metas) = local_states(vault)?;
    let pending = outbox.iter().map(|(name, queued)| (name.clone(), queued.pending.clone())).collect();
    let recorded_only = bases.values().filter(|base| base.local_version.is_none() && !base.in_sync).count();
    let behind_before = bases.values().filter(|base| !base.in_sync).count();
    let mut entries = plan::entries(kind, locals, bases, &pending, listing.secrets, &mut warnings);
    if let Some(names) = &scope {
        entries.retain(|entry| names.contains(&entry.name));
    }
    // Only what is chosen for this remote is planned; the rest is left as it is on both sides.
    // A name this vault never held is chosen by the category it has there
    // (one removed here keeps being judged by its own, none). Those left
    // out are counted, a removal here that the remote never had aside.
    let mut unselected = 0;
    entries.retain(|entry| {
        let theirs = || entry.remote.as_ref()?.meta.category.as_deref();
        let category = match entry.local {
            Some(_) => metas.get(&entry.name).and_then(|meta| meta.category.as_deref()),
            None => theirs(),
        }
        .unwrap_or("");
        let chosen = selection.selects(entry.name.as_str(), category);
        if !chosen && (entry.remote.is_some() || entry.local.is_some_and(|local| !local.deleted)) {
            unselected += 1;
        }
        chosen
    });
    warnings.extend(metadata_differs(remote, &entries, &metas));
    let revoked: Vec<&str> = entries
        .iter()
        .filter(|entry| entry.remote.as_ref().is_some_and(|secret| secret.revoked))
        .map(|entry| entry.name.as_str())
        .collect();
    if !revoked.is_empty() {
        warnings.push(format!(
            "revoked on {remote}: {}; a revoked secret no longer works there: rotate it here \
             (`keyhaven rotate NAME`) and sync to give it a new value",
            revoked.join(", ")
        ));
    }
    if !listing.folders.is_empty() {
        // Named only if short and plain: the server chose these names, and they reach a terminal.
        let plain = |folder: &&String| {
            folder.len() <= 65
                && folder
                    .trim_end_matches('/')
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        let shown: Vec<&str> = listing.folders.iter().filter(plain).take(5).map(String::as_str).collect();
        let more = listing.folders.len() - shown.len();
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        warnings.push(format!(
            "{remote} has folders below its own, not synced: {}{more}; each can be a remote of its own \
             (`keyhaven remote add NAME --kind openbao --prefix PREFIX/FOLDER`)",
            shown.join(", ")
        ));
    }
    if !listing.complete && offline.is_none() {
        let total = listing.total.map(|total| format!(" ({total} in all)")).unwrap_or_default();
        warnings.push(format!(
            "{remote} lists at most {listed} secrets and has more{total}: secrets it did not show were left \
             alone, never taken as deleted"
        ));
    }
    let plan_options = plan::Options {
        prune: options.prune,
        pull: options.pull,
        can_reveal: api.capabilities().can_reveal,
        listing_complete: listing.complete,
        accept_new: Some(&options.accept_new),
    };
    let mut steps = plan::plan(&entries, plan_options);
    // A push sends what changed here; it never removes a secret here, even
    // one its lookups find gone from the remote (a full sync with prune does).
    // A metadata-only edit (in sync on both sides, only the description or
    // category differing where the remote holds them) goes as an update.
    if scope.is_some() {
        for step in &mut steps {
            if step.action == Action::DeleteLocal {
                step.action = Action::Hold { reason: HoldReason::DeletedThereNeedsPrune };
            }
        }
        let planned: std::collections::HashSet<SecretName> = steps.iter().map(|s| s.name.clone()).collect();
        steps.extend(entries.iter().filter(|entry| !planned.contains(&entry.name)).filter_map(|entry| {
            metadata_update(kind, entry, metas.get(&entry.name).unwrap_or(&Metadata::default()))
        }));
    }
    if let Some(warning) = cap_remote_only(remote, &entries, &mut steps, recorded_only) {
        warnings.push(warning);
    }
    if !options.dry_run && plan_options.can_reveal && offline.is_none() {
        link_equal(vault, api, &entries, &mut steps, &options.cancel)?;
    }
    // Names new to this vault that a pull would create: pulled if accepted, else held.
    let new_names: Vec<SecretName> = if options.pull && plan_options.can_reveal {
        entries.iter().filter(|e| e.local.is_none() && e.remote.is_some()).map(|e| e.name.clone()).collect()
    } else {
        Vec::new()
    };
    let held: Vec<&SecretName> = new_names.iter().filter(|name| !options.accept_new.allows(name)).collect();
    if !held.is_empty() {
        let names = held.iter().map(|name| name.as_str()).collect::<Vec<_>>().join(", ");
        warnings.push(format!(
            "{} name(s) new to this vault were not pulled from {remote}: {names}; \
             `keyhaven sync --pull --accept-new` takes them",
            held.len()
        ));
    }
    let mut report = SyncReport {
        remote: remote.to_owned(),
        dry_run: options.dry_run,
        listed,
        listing_complete: listing.complete,
        offline,
        steps: steps
            .into_iter()
            .map(|step| StepReport { step, status: Status::Planned, failure: None })
            .collect(),
        warnings,
        new_names,
        unselected,
        nothing_chosen: selection.is_empty(),
        not_here: behind_before,
    };
    if options.dry_run {
        report.not_here +=
            report.steps.iter().filter(|s| matches!(s.step.action, Action::Record { .. })).count();
        return Ok(report);
    }
    let mut run = Run { vault, remote: remote_ref, api, kind, cancel: &options.cancel };
    run.queue_writes(&mut report, &outbox, if scope.is_some() { Queue::These } else { Queue::Replace })?;
    if report.offline.is_none() {
        run.apply_local(&mut report)?;
        run.apply_remote(&mut report, progress)?;
    }
    run.finish(&report, scope.as_ref())?;
    report.not_here =
        state::bases(run.vault.conn(), None, &run.remote)?.values().filter(|b| !b.in_sync).count();
    Ok(report)
}

/// What a sync would do that the user should agree to first: on a remote's
/// first sync, the secrets it would send there; with `pull`, the names new to
/// this vault it would create. Both hosts ask from this (a dry run).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Preview {
    pub remote: String,
    /// Never synced before (no sync record checks out): nothing has been
    /// sent there yet.
    pub first_sync: bool,
    /// The secrets the sync would create, update or delete on the remote.
    pub sends: Vec<SecretName>,
    /// With `pull`: names this vault never had that it would pull.
    pub new_names: Vec<SecretName>,
    /// With `prune`: the secrets it would delete on the remote.
    pub deletes: Vec<SecretName>,
    /// With `prune`: the secrets it would remove here, because the remote
    /// no longer has them.
    pub deletes_here: Vec<SecretName>,
    /// What a delete there does beyond the remote's own list, if the service says.
    pub delete_note: Option<String>,
}

impl Preview {
    /// Something here needs the user's yes before the sync runs.
    pub fn needs_answer(&self) -> bool {
        (self.first_sync && !self.sends.is_empty())
            || !self.new_names.is_empty()
            || !self.deletes.is_empty()
            || !self.deletes_here.is_empty()
    }
}

/// The [`Preview`] of syncing `remote` with `options` (the remote is listed;
/// nothing is changed on either side).
pub fn preview(
    vault: &mut UnlockedVault,
    remote: &str,
    api: &dyn SecretsApi,
    options: &SyncOptions,
) -> Result<Preview> {
    let first_sync = !has_synced(vault, remote)?;
    let probe = SyncOptions { dry_run: true, accept_new: AcceptNew::All, ..options.clone() };
    let plan = sync(vault, remote, api, &probe, &mut |_, _| {})?;
    let names = |wanted: fn(&Action) -> bool| {
        plan.steps.iter().filter(|s| wanted(&s.step.action)).map(|s| s.step.name.clone()).collect()
    };
    let sends = names(Action::writes_remote);
    let deletes: Vec<SecretName> = names(|action| matches!(action, Action::DeleteRemote { .. }));
    let deletes_here = names(|action| *action == Action::DeleteLocal);
    // What the docs say a delete does beyond the list. Runtype tells how
    // many references a secret had only in the delete's answer, so the
    // count is reported after it (in the sync's warnings), never before.
    let delete_note = match api.kind() {
        _ if deletes.is_empty() => None,
        // Runloop's docs: deleting a secret "will remove the Secret from all Devboxes".
        Kind::Runloop => Some("Runloop removes a deleted secret from all Devboxes".to_owned()),
        Kind::Runtype => Some(
            "Runtype tools that use a deleted secret ({{secret:NAME}}) no longer get a value; \
             Runtype tells how many did only once it is deleted, and Keyhaven shows that count"
                .to_owned(),
        ),
        Kind::Runtools => None,
        // The "says so": KV's delete is soft, and the history stays.
        Kind::Openbao => Some(
            "OpenBao soft-deletes the latest version (KV's delete, never destroy): its history stays              on the server and `bao kv undelete` brings it back"
                .to_owned(),
        ),
    };
    Ok(Preview {
        remote: remote.to_owned(),
        first_sync,
        sends,
        new_names: plan.new_names,
        deletes,
        deletes_here,
        delete_note,
    })
}

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

/// What to keep when resolving a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Keep {
    Local,
    Remote,
}

impl Keep {
    pub fn as_str(self) -> &'static str {
        match self {
            Keep::Local => "local",
            Keep::Remote => "remote",
        }
    }
}

/// Settles conflicts with `remote` by keeping one side of each of `names`
/// (every open conflict with it when `names` is empty), now. The remote is
/// listed once; each settlement is a forced step that takes the same path as
/// a sync's: writes are queued in the outbox with their idempotency key
/// before they are sent, then applied and recorded. Keeping the local side
/// pushes its value (conditional on the remote's version just seen, where the
/// dialect allows) or its removal; keeping the remote's fetches its value
/// where the dialect and its policy reveal it, else records it as not on
/// this device, or applies its removal here. A step that fails leaves its
/// conflict open.
///
/// Keeping the remote's value where it cannot be fetched (Runloop, Runtype)
/// would leave this device serving the value the user chose to discard: it
/// is held ([`HoldReason::Unreadable`]) unless `accept_unreadable`, which
/// marks this device's copy out of date (reveals refuse it until a new value
/// is set here).
pub fn resolve_many(
    vault: &mut UnlockedVault,
    remote: &str,
    api: &dyn SecretsApi,
    names: &[SecretName],
    keep: Keep,
    accept_unreadable: bool,
) -> Result<SyncReport> {
    let remote_ref = vault.remote_ref(remote)?;
    // Only conflicts this vault recorded, each checked against its tag.
    let open = state::verified_conflicts(vault.conn(), vault.integrity(), &remote_ref)?;
    if let Some(name) = names.iter().find(|name| !open.contains(name)) {
        return Err(Error::NoConflict { name: name.to_string(), remote: remote.to_owned() });
    }
    let names = if names.is_empty() { open } else { names.to_vec() };
    let kind = api.kind();
    // Every settlement is checked again against what the vault holds and what
    // the remote's checked selection chooses, whatever the conflict row says.
    let selection = vault.remote_selection(remote)?;
    let rows: HashMap<SecretName, crate::SecretMeta> =
        vault.verified_rows()?.into_iter().map(|meta| (meta.name.clone(), meta)).collect();
    let listing = api.list()?;
    let listed = listing.secrets.len();
    let mut current: HashMap<String, RemoteSecret> = HashMap::with_capacity(listed);
    for secret in listing.secrets {
        // A name held twice (Runloop): the newest, as a sync pairs it.
        match current.get(&secret.name) {
            Some(known) if known.id >= secret.id => {}
            _ => {
                current.insert(secret.name.clone(), secret);
            }
        }
    }
    let can_reveal = api.capabilities().can_reveal;
    let steps = names
        .into_iter()
        .map(|name| {
            let row = rows.get(&name);
            let chosen = row.is_some_and(|row| selection.selects(name.as_str(), &row.category));
            let live = row.filter(|row| row.deleted.is_none()).map(|row| row.version);
            let action = match (keep, live, current.remove(&kind.remote_name(name.as_str()))) {
                // A conflict always concerns a name this vault holds (live or
                // removed): settling one never creates a name here.
                _ if row.is_none() => Action::Hold { reason: HoldReason::NotInVault },
                _ if !chosen => Action::Hold { reason: HoldReason::NotChosen },
                (Keep::Local, Some(version), Some(target)) => {
                    Action::Update { version, expected: target.marker.clone(), target }
                }
                (Keep::Local, Some(version), None) => Action::Create { version, replay: false },
                (Keep::Local, None, Some(target)) => Action::DeleteRemote { target },
                (Keep::Remote, _, Some(remote)) if can_reveal => Action::Pull { remote },
                (Keep::Remote, Some(_), Some(_)) if !accept_unreadable => {
                    Action::Hold { reason: HoldReason::Unreadable }
                }
                (Keep::Remote, local_version, Some(remote)) => Action::Record { remote, local_version },
                (Keep::Remote, Some(_), None) => Action::DeleteLocal,
                (_, None, None) => Action::Forget,
            };
            StepReport { step: Step { name, action }, status: Status::Planned, failure: None }
        })
        .collect();
    let mut report = SyncReport {
        remote: remote.to_owned(),
        dry_run: false,
        listed,
        listing_complete: listing.complete,
        offline: None,
        steps,
        warnings: Vec::new(),
        new_names: Vec::new(),
        unselected: 0,
        nothing_chosen: false,
        not_here: 0,
    };
    let outbox = state::outbox(vault.conn(), Some(vault.integrity()), &remote_ref)?;
    let cancel = Cancel::default();
    let mut run = Run { vault, remote: remote_ref, api, kind, cancel: &cancel };
    run.queue_writes(&mut report, &outbox, Queue::These)?;
    run.apply_local(&mut report)?;
    run.apply_remote(&mut report, &mut |_, _| {})?;
    let (tx, key) = run.vault.write()?;
    for step in report.steps.iter().filter(|s| s.status == Status::Done) {
        state::clear_conflict(&tx, &run.remote, &step.step.name)?;
        // The remote kept a value this device cannot have: its copy is set aside.
        if let Action::Record { local_version: Some(_), .. } = step.step.action {
            crate::vault::mark_out_of_date(&tx, key, &step.step.name, remote)?;
        }
        let detail = format!("kept {} for {remote}", keep.as_str());
        record_audit(&tx, AuditAction::Resolve, Some(step.step.name.as_str()), Some(&detail))?;
    }
    tx.commit()?;
    Ok(report)
}

/// Settles `name` with `remote` by keeping one side, now ([`resolve_many`]
/// for one name); an error when it did not settle.
pub fn resolve(
    vault: &mut UnlockedVault,
    remote: &str,
    api: &dyn SecretsApi,
    name: &SecretName,
    keep: Keep,
    accept_unreadable: bool,
) -> Result<()> {
    let report = resolve_many(vault, remote, api, std::slice::from_ref(name), keep, accept_unreadable)
        .map_err(|err| err.at_remote(remote))?;
    let step = &report.steps[0];
    match (&step.status, &step.step.action) {
        (Status::Done, _) => Ok(()),
        (_, Action::Hold { reason: HoldReason::Unreadable }) => {
            Err(Error::Unreadable { name: name.to_string(), remote: remote.to_owned() })
        }
        (_, Action::Hold { reason }) => Err(Error::invalid(
            format!("resolve {name} with {remote}"),
            format!("{name} {}", reason.as_str()),
        )),
        (_, Action::Conflict { .. }) => Err(Error::Remote(RemoteError::new(
            Failure::Conflict,
            format!("{name} changed on {remote} again meanwhile; it is still in conflict"),
        ))),
        (Status::Failed(message) | Status::Queued(message), _) => {
            let kind = step.failure.unwrap_or(Failure::Unavailable);
            Err(Error::Remote(RemoteError::new(kind, message.clone())).at_remote(remote))
        }
        (Status::Planned, _) => Ok(()),
    }
}

/// Open conflicts with every remote.
pub fn conflicts(vault: &Vault) -> Result<Vec<ConflictInfo>> {
    state::conflicts(vault.conn())
}

/// Names whose remote value is not on this device, per remote, and why:
/// `(remote, name, why)`.
pub fn not_on_device(vault: &Vault) -> Result<Vec<(String, SecretName, NotHere)>> {
    state::not_on_device(vault.conn())
}

/// A first sync against a remote that already holds the same names: where it
/// reveals values, each one equal to ours is linked instead of left as a
/// conflict. A value that cannot be fetched stays a conflict.
fn link_equal(
    vault: &UnlockedVault,
    api: &dyn SecretsApi,
    entries: &[Entry],
    steps: &mut [Step],
    cancel: &Cancel,
) -> Result<()> {
    let by_name: HashMap<&SecretName, &Entry> = entries.iter().map(|entry| (&entry.name, entry)).collect();
    let mut jobs = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        if step.action != (Action::Conflict { reason: ConflictReason::ExistsOnBoth }) {
            continue;
        }
        let entry = by_name[&step.name];
        if let (Some(remote), Some(local)) = (&entry.remote, entry.local) {
            jobs.push((index, local.version, remote.clone()));
        }
    }
    if jobs.is_empty() {
        return Ok(());
    }
    let mut found = HashMap::new();
    let reveal =
        jobs.iter().map(|(index, _, remote)| (*index, Job::Reveal { target: remote.clone() })).collect();
    apply::execute(api, reveal, cancel, |index, result| {
        if let Ok(Outcome::Revealed(value)) = result {
            found.insert(index, value);
        }
    });
    for (index, version, remote) in jobs {
        let Some(theirs) = found.remove(&index) else { continue };
        let ours = vault.value_at(&steps[index].name, version)?;
        if ours.expose_secret().as_bytes() == theirs.expose_secret().as_bytes() {
            steps[index].action = Action::Link { remote, version };
        }
    }
    Ok(())
}

/// Keeps the steps that would record or pull names this vault never had
/// (nothing recorded for them yet) within [`MAX_REMOTE_ONLY`] for the remote,
/// counting those it records already; the rest are left out, and said so.
fn cap_remote_only(
    remote: &str,
    entries: &[Entry],
    steps: &mut Vec<Step>,
    recorded_only: usize,
) -> Option<String> {
    let unknown: std::collections::HashSet<&SecretName> =
        entries.iter().filter(|e| e.local.is_none() && e.base.is_none()).map(|e| &e.name).collect();
    let mut room = MAX_REMOTE_ONLY.saturating_sub(recorded_only);
    let mut left_out = 0;
    steps.retain(|step| {
        let new_record =
            matches!(step.action, Action::Record { local_version: None, .. } | Action::Pull { .. })
                && unknown.contains(&step.name);
        match (new_record, room) {
            (false, _) => true,
            (true, 0) => {
                left_out += 1;
                false
            }
            (true, _) => {
                room -= 1;
                true
            }
        }
    });
    (left_out > 0).then(|| {
        format!(
            "{remote} lists more names this vault does not hold than are kept for one remote \
             ({MAX_REMOTE_ONLY}): {left_out} were left out, neither recorded nor pulled"
        )
    })
}

/// Offline, the remote is taken to be as the last sync left it, and its
/// listing as incomplete so that nothing is inferred from absence.
/// `names` looked up one by one on the remote (its own spelling of each), as
/// a listing of just those: a push costs one call per name, not a listing.
fn look_up(
    api: &dyn SecretsApi,
    names: &std::collections::HashSet<SecretName>,
    cancel: &Cancel,
) -> std::result::Result<crate::remote::Listing, RemoteError> {
    let mut secrets = Vec::new();
    for name in names {
        if cancel.is_cancelled() {
            break;
        }
        secrets.extend(api.get(&api.kind().remote_name(name.as_str()))?);
    }
    Ok(crate::remote::Listing { secrets, complete: true, total: None, folders: Vec::new() })
}

fn assumed_listing(kind: Kind, bases: &HashMap<SecretName, Base>) -> crate::remote::Listing {
    let secrets = bases
        .iter()
        .map(|(name, base)| {
            RemoteSecret::new(base.remote_id.clone(), kind.remote_name(name.as_str()), base.marker.clone())
        })
        .collect();
    crate::remote::Listing { secrets, complete: false, total: None, folders: Vec::new() }
}

/// Every local secret, live or removed, from rows that check out: a row's
/// version or removal decides what is pushed or deleted on the remote, its
/// metadata whether it is chosen for the remote and what travels with it.
fn local_states(
    vault: &UnlockedVault,
) -> Result<(HashMap<SecretName, Local>, HashMap<SecretName, Metadata>)> {
    let rows = vault.verified_rows()?;
    let mut locals = HashMap::with_capacity(rows.len());
    let mut metas = HashMap::new();
    for meta in rows {
        locals.insert(meta.name.clone(), Local { version: meta.version, deleted: meta.deleted.is_some() });
        let fields = Metadata::local(&meta.description, &meta.category, meta.rotate_by);
        if !fields.is_empty() {
            metas.insert(meta.name, fields);
        }
    }
    Ok((locals, metas))
}

/// A remote whose metadata differs from ours is shown, never copied here:
/// one line naming the secrets (ours is sent with each one's next change).
fn metadata_differs(
    remote: &str,
    entries: &[Entry],
    metas: &HashMap<SecretName, Metadata>,
) -> Option<String> {
    let differs = |ours: Option<&String>, theirs: Option<&String>| matches!((ours, theirs), (Some(ours), Some(theirs)) if !ours.eq_ignore_ascii_case(theirs));
    let names: Vec<&str> = entries
        .iter()
        .filter(|entry| entry.local.is_some_and(|local| !local.deleted))
        .filter_map(|entry| Some((entry, metas.get(&entry.name)?, &entry.remote.as_ref()?.meta)))
        .filter(|(_, ours, theirs)| {
            differs(ours.description.as_ref(), theirs.description.as_ref())
                || differs(ours.category.as_ref(), theirs.category.as_ref())
        })
        .map(|(entry, ..)| entry.name.as_str())
        .collect();
    (!names.is_empty()).then(|| {
        format!(
            "{remote} holds another description or category for {} secret(s): {}; this vault's is kept \
             here, and sent with each one's next change",
            names.len(),
            names.join(", ")
        )
    })
}

/// An update carrying this vault's description and category to a remote
/// that holds them, for a secret in sync on both sides whose metadata alone
/// differs there (an `edit` pushed). Runloop holds none; Runtype a
/// description; RunTools a description and the categories it takes;
/// OpenBao all three, and the rotate-by date.
fn metadata_update(kind: Kind, entry: &Entry, ours: &Metadata) -> Option<Step> {
    let (local, base, remote) = (entry.local?, entry.base.as_ref()?, entry.remote.as_ref()?);
    let in_sync = !local.deleted
        && base.in_sync
        && base.local_version == Some(local.version)
        && remote.marker == base.marker;
    let text = |field: &Option<String>| {
        field.as_deref().map(str::trim).filter(|text| !text.is_empty()).map(str::to_owned)
    };
    let description = kind != Kind::Runloop && text(&ours.description) != text(&remote.meta.description);
    let category = match kind {
        Kind::Runtools => text(&ours.category).is_some_and(|ours| {
            crate::remote::runtools::takes_category(&ours)
                && !text(&remote.meta.category).is_some_and(|theirs| theirs.eq_ignore_ascii_case(&ours))
        }),
        Kind::Openbao => text(&ours.category).is_some_and(|ours| {
            !text(&remote.meta.category).is_some_and(|theirs| theirs.eq_ignore_ascii_case(&ours))
        }),
        Kind::Runloop | Kind::Runtype => false,
    };
    let rotate_by =
        kind == Kind::Openbao && ours.rotate_by.is_some() && ours.rotate_by != remote.meta.rotate_by;
    (in_sync && (description || category || rotate_by)).then(|| Step {
        name: entry.name.clone(),
        action: Action::Update {
            version: local.version,
            target: remote.clone(),
            expected: base.marker.clone(),
        },
    })
}

/// A remote's description and category, for a secret pulled here: each kept
/// only when it passes the checks a typed one does (a remote is hostile).
fn pulled_fields(meta: &Metadata) -> SecretFields {
    let valid = |text: &Option<String>, check: fn(&str) -> Result<()>| {
        text.as_ref().filter(|text| !text.trim().is_empty() && check(text).is_ok()).cloned()
    };
    SecretFields {
        description: valid(&meta.description, secret::validate_description),
        category: valid(&meta.category, secret::validate_category),
        rotate_by: meta.rotate_by,
    }
}

/// Puts remote calls in the order they go out: queued writes oldest first
/// (one waiting since yesterday goes before one made a minute ago), then the
/// rest in the plan's order.
fn oldest_first<T>(jobs: &mut [(usize, T)], queued_ms: impl Fn(usize) -> Option<i64>) {
    jobs.sort_by_key(|(index, _)| queued_ms(*index).unwrap_or(i64::MAX));
}

/// How planned writes enter the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
    /// A sync's plan stands for the remote's whole outbox: what it no longer
    /// plans is not sent.
    Replace,
    /// A resolve's steps replace only their own names' rows.
    These,
}

/// One sync run against one remote.
struct Run<'a> {
    vault: &'a mut UnlockedVault,
    remote: RemoteRef,
    api: &'a dyn SecretsApi,
    kind: Kind,
    cancel: &'a Cancel,
}

impl Run<'_> {
    /// Writes every planned remote write to the outbox before anything is
    /// sent, keeping the idempotency key of an earlier attempt at the same write.
    fn queue_writes(
        &mut self,
        report: &mut SyncReport,
        outbox: &HashMap<SecretName, Queued>,
        queue: Queue,
    ) -> Result<()> {
        let offline = report.offline.clone();
        let mut rows = Vec::new();
        for step in &mut report.steps {
            let Some((op, local_version)) = step.step.action.write_op() else { continue };
            let earlier = outbox
                .get(&step.step.name)
                .filter(|q| q.pending.op == op && q.pending.local_version == local_version);
            let queued = match earlier {
                Some(queued) => queued.clone(),
                None => Queued {
                    pending: Pending { op, local_version, request_id: uuid::Uuid::new_v4().to_string() },
                    attempts: 0,
                    queued_ms: None,
                    last_error: None,
                },
            };
            if let Some(reason) = &offline {
                step.status = Status::Queued(reason.clone());
            }
            rows.push((step.step.name.clone(), queued, offline.as_ref().map(|_| Failure::Unreachable)));
        }
        let (tx, key) = self.vault.write()?;
        if queue == Queue::Replace {
            state::clear_outbox(&tx, &self.remote)?;
        }
        state::queue(&tx, key, &self.remote, &rows)?;
        tx.commit()?;
        Ok(())
    }

    /// Steps that touch only the vault, in one transaction (removals each in their own).
    fn apply_local(&mut self, report: &mut SyncReport) -> Result<()> {
        let (tx, key) = self.vault.write()?;
        for step in &mut report.steps {
            let name = &step.step.name;
            match &step.step.action {
                Action::Record { remote, local_version } => {
                    let base = Base::recorded(remote, *local_version);
                    state::save_base(&tx, key, &self.remote, name, &base)?;
                }
                Action::Link { remote, version } => {
                    state::save_base(&tx, key, &self.remote, name, &Base::synced(remote, *version))?;
                }
                Action::Forget => state::forget_base(&tx, &self.remote, name)?,
                _ => continue,
            }
            step.status = Status::Done;
        }
        tx.commit()?;
        for step in &mut report.steps {
            if step.step.action == Action::DeleteLocal {
                self.vault.remove(&step.step.name)?;
                state::forget_base(self.vault.conn(), &self.remote, &step.step.name)?;
                step.status = Status::Done;
            }
        }
        Ok(())
    }

    /// Remote calls, a few at a time; each result is recorded as it arrives.
    fn apply_remote(
        &mut self,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<()> {
        let outbox = state::outbox(self.vault.conn(), Some(self.vault.integrity()), &self.remote)?;
        let mut jobs = Vec::new();
        for (index, step) in report.steps.iter().enumerate() {
            let name = &step.step.name;
            let request_id = || outbox.get(name).map(|q| q.pending.request_id.clone()).unwrap_or_default();
            let meta = || {
                self.vault
                    .meta(name)
                    .map(|meta| Metadata::local(&meta.description, &meta.category, meta.rotate_by))
            };
            let job = match &step.step.action {
                Action::Create { version, replay } => Job::Create {
                    name: self.kind.remote_name(name.as_str()),
                    value: self.vault.value_at(name, *version)?,
                    meta: meta()?,
                    request_id: request_id(),
                    replay: *replay,
                },
                Action::Update { version, target, expected } => Job::Update {
                    target: target.clone(),
                    value: self.vault.value_at(name, *version)?,
                    meta: meta()?,
                    expected: Some(expected.clone()),
                    request_id: request_id(),
                },
                Action::DeleteRemote { target } => {
                    Job::Delete { target: target.clone(), request_id: request_id() }
                }
                Action::Pull { remote } => Job::Reveal { target: remote.clone() },
                _ => continue,
            };
            jobs.push((index, job));
        }
        let steps = &report.steps;
        oldest_first(&mut jobs, |index| outbox.get(&steps[index].step.name).and_then(|q| q.queued_ms));
        let total = jobs.len();
        let mut finished = 0;
        let mut failure = None;
        let mut referenced = Vec::new();
        let api = self.api;
        apply::execute(api, jobs, self.cancel, |index, result| {
            finished += 1;
            progress(finished, total);
            if let Ok(Outcome::Deleted(Deleted { references: Some(count @ 1..) })) = &result {
                referenced.push(format!("{} ({count})", report.steps[index].step.name));
            }
            if failure.is_none()
                && let Err(err) = self.record(&mut report.steps[index], result)
            {
                failure = Some(err);
            }
        });
        if !referenced.is_empty() {
            report.warnings.push(format!(
                "{} reported references still pointing at secrets it deleted: {}; whatever uses them \
                 ({{{{secret:NAME}}}} in its tools) no longer gets a value",
                self.remote.name,
                referenced.join(", ")
            ));
        }
        failure.map_or(Ok(()), Err)
    }

    /// Records one remote call's result in the vault and in the step.
    fn record(&mut self, step: &mut StepReport, result: Result<Outcome, RemoteError>) -> Result<()> {
        let name = step.step.name.clone();
        let id = &self.remote;
        match (result, &step.step.action) {
            (
                Ok(Outcome::Written(remote)),
                Action::Create { version, .. } | Action::Update { version, .. },
            ) => {
                let base = Base::synced(&remote, *version);
                state::save_base(self.vault.conn(), self.vault.integrity(), id, &name, &base)?;
                state::outbox_done(self.vault.conn(), id, &name)?;
            }
            (Ok(Outcome::Deleted(_)), _) => {
                state::forget_base(self.vault.conn(), id, &name)?;
                state::outbox_done(self.vault.conn(), id, &name)?;
            }
            (Ok(Outcome::Revealed(value)), Action::Pull { remote }) => {
                let origin = format!("pull from {}", self.remote.name);
                let meta = self.vault.store_pulled(&name, &value, &origin, &pulled_fields(&remote.meta))?;
                let base = Base::synced(remote, meta.version);
                state::save_base(self.vault.conn(), self.vault.integrity(), id, &name, &base)?;
            }
            // Each job answers with its own kind of outcome; nothing else arrives.
            (Ok(_), _) => {}
            (Err(err), Action::Pull { remote }) if err.kind == Failure::Forbidden => {
                // Its policy keeps the value (an org secret needs an admin's key): note its state.
                let local_version = self.vault.meta(&name).ok().map(|meta| meta.version);
                let base = Base::recorded(remote, local_version);
                state::save_base(self.vault.conn(), self.vault.integrity(), id, &name, &base)?;
                step.step.action = Action::Record { remote: remote.clone(), local_version };
            }
            (Err(err), action) if err.kind == Failure::Conflict => {
                // The remote moved under us: nothing is overwritten; the user picks.
                let reason = match action {
                    Action::Create { .. } => ConflictReason::ExistsOnBoth,
                    _ => ConflictReason::BothChanged,
                };
                state::outbox_done(self.vault.conn(), id, &name)?;
                step.step.action = Action::Conflict { reason };
                step.status = Status::Planned;
                return Ok(());
            }
            (Err(err), action) => {
                if action.writes_remote() {
                    state::outbox_failed(self.vault.conn(), id, &name, err.kind)?;
                }
                step.failure = Some(err.kind);
                step.status = match err.kind {
                    Failure::Unreachable => Status::Queued(err.message),
                    _ => Status::Failed(err.message),
                };
                return Ok(());
            }
        }
        step.status = Status::Done;
        Ok(())
    }

    /// Open conflicts, last sync time (when reached) and one audit entry.
    /// Scoped to `only` (a push), only those names' conflicts are replaced
    /// and the last sync time stays.
    fn finish(
        &mut self,
        report: &SyncReport,
        only: Option<&std::collections::HashSet<SecretName>>,
    ) -> Result<()> {
        let conflicts: Vec<(SecretName, ConflictReason)> = report
            .steps
            .iter()
            .filter_map(|s| match s.step.action {
                Action::Conflict { reason } => Some((s.step.name.clone(), reason)),
                _ => None,
            })
            .collect();
        let done = report.steps.iter().filter(|s| s.status == Status::Done).count();
        let summary = match &report.offline {
            Some(_) => format!("{}: unreachable, {} writes queued", self.remote.name, report.failures()),
            None => format!(
                "{}: {done} done, {} conflicts, {} failed",
                self.remote.name,
                conflicts.len(),
                report.failures()
            ),
        };
        let (tx, key) = self.vault.write()?;
        if report.offline.is_none() {
            state::replace_conflicts(&tx, key, &self.remote, &conflicts, only)?;
            if only.is_none() {
                state::mark_synced(&tx, &self.remote)?;
            }
        }
        record_audit(&tx, AuditAction::Sync, None, Some(&summary))?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod summary_tests {
    use jiff::{Timestamp, ToSpan};

    use super::{QueuedWrite, RemoteStatus, oldest_first, summary_line};

    fn status(
        remote: &str,
        last_sync: Option<Timestamp>,
        queued: usize,
        failure: Option<&str>,
        conflicts: usize,
    ) -> RemoteStatus {
        let write = |i: usize| QueuedWrite {
            name: format!("K{i}"),
            op: "update".into(),
            queued: Timestamp::UNIX_EPOCH,
            attempts: 1,
            last_failure: failure.map(str::to_owned),
        };
        RemoteStatus {
            remote: remote.into(),
            last_sync,
            queued: (0..queued).map(write).collect(),
            conflicts,
            last_failure: failure.map(str::to_owned),
        }
    }

    #[test]
    fn queued_writes_go_out_oldest_first_then_in_the_plans_order() {
        // Plan order: A_NEW (queued now), B_PULL (no write), Z_OLD (queued
        // yesterday), M_MID (an hour ago), C_NEW (now).
        let queued = [Some(1_000), None, Some(10), Some(500), Some(1_000)];
        let mut jobs: Vec<(usize, &str)> =
            vec![(0, "A_NEW"), (1, "B_PULL"), (2, "Z_OLD"), (3, "M_MID"), (4, "C_NEW")];
        oldest_first(&mut jobs, |index| queued[index]);
        let order: Vec<&str> = jobs.iter().map(|(_, name)| *name).collect();
        assert_eq!(order, ["Z_OLD", "M_MID", "A_NEW", "C_NEW", "B_PULL"]);
    }

    #[test]
    fn one_line_says_when_what_waits_and_why_and_the_conflicts() {
        let now: Timestamp = "2026-12-06T12:00:00Z".parse().unwrap();
        assert_eq!(summary_line(&[], now), None);
        let two_min = now.checked_sub(2.minutes()).unwrap();
        let line = summary_line(
            &[status("rl", Some(two_min), 0, None, 1), status("rt", None, 3, Some("unreachable"), 0)],
            now,
        );
        assert_eq!(
            line.as_deref(),
            Some("Synced 2 min ago · 3 changes waiting (rt unreachable) · 1 conflict")
        );
        assert_eq!(
            summary_line(&[status("rl", Some(now), 0, None, 0)], now).as_deref(),
            Some("Synced just now")
        );
        assert_eq!(
            summary_line(&[status("rl", None, 1, None, 2)], now).as_deref(),
            Some("Not synced yet · 1 change waiting · 2 conflicts")
        );
        let days = now.checked_sub(100.hours()).unwrap();
        assert_eq!(
            summary_line(&[status("rl", Some(days), 0, None, 0)], now).as_deref(),
            Some("Synced 4 days ago")
        );
    }
}
