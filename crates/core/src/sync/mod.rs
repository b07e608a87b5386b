//! Reconciling the vault with one remote: list the remote's metadata, plan
//! ([`plan`], pure), then apply. Remote writes go through the outbox (written
//! before they are sent, cleared when they land), so a failed, interrupted or
//! offline sync leaves them for the next one to replay with the same
//! idempotency keys. Conflicts are recorded and wait for [`resolve`].

mod apply;
mod overview;
pub mod plan;
mod preview;
mod push;
mod renew;
mod report;
mod resolve;
mod run;
pub mod schedule;
mod status;
mod steps;

use std::collections::HashMap;

use secrecy::ExposeSecret;

pub use crate::vault::selection::{Selection, glob, partition};
pub use crate::vault::sync_state::{ConflictInfo, NotHere, QueuedWrite};
pub use overview::{Choosers, Live, SyncMark, SyncState, marks, overview};
pub use plan::{AcceptNew, Action, ConflictReason, HoldReason, Step};
pub use preview::{Preview, preview};
pub use push::{PUSH_WAIT, Pushed, push, targets};
pub use report::{Status, StepReport, SyncReport};
pub use resolve::{Keep, conflicts, not_on_device, resolve, resolve_many};
pub use run::{Host, Quiet, RemoteOutcome, remote_names, run, shortfall};
pub use status::{RemoteStatus, has_synced, status, summary_line};

#[cfg(test)]
use self::steps::oldest_first;
use self::{
    apply::{Job, Outcome},
    plan::{Base, Entry, Local},
    steps::{Queue, Run},
};
use crate::{
    Error, Result, SecretName, UnlockedVault,
    remote::{Failure, Kind, Metadata, RemoteError, RemoteSecret, SecretsApi},
    secret::SecretKind,
    vault::sync_state as state,
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

/// Syncs the vault with `remote` through `api`.
pub fn sync(
    vault: &mut UnlockedVault,
    remote: &str,
    api: &dyn SecretsApi,
    options: &SyncOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SyncReport> {
    let remote_ref = vault.remote_ref(remote)?;
    // A full sync renews a token near its expiry; a push (a sync of a few
    // names) leaves it to the next one, so a change is not held up by it.
    let renewal = match options.only {
        None => renew::renew_if_due(vault, remote, api)?,
        Some(_) => None,
    };
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
    let (locals, metas, kinds) = local_states(vault)?;
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
    // An SSH key never goes where an organisation shares what it holds.
    let shared = vault.remote(remote)?.config.scope == Some(crate::remote::Scope::Org);
    let mut kept_back = Vec::new();
    entries.retain(|entry| {
        let theirs = || entry.remote.as_ref()?.meta.category.as_deref();
        let category = match entry.local {
            Some(_) => metas.get(&entry.name).and_then(|meta| meta.category.as_deref()),
            None => theirs(),
        }
        .unwrap_or("");
        let kind = kinds.get(&entry.name).copied().unwrap_or(SecretKind::Text);
        let mut chosen = selection.selects(entry.name.as_str(), category, kind);
        if chosen && shared && kind != SecretKind::Text {
            kept_back.push((entry.name.clone(), kind));
            chosen = false;
        }
        if !chosen && (entry.remote.is_some() || entry.local.is_some_and(|local| !local.deleted)) {
            unselected += 1;
        }
        chosen
    });
    warnings.extend(kept_back.iter().map(|(name, kind)| {
        let what = if *kind == SecretKind::SshKey { "an SSH key" } else { "a program's item" };
        format!("{name} is {what}: it is not sent to {remote}, whose secrets its organisation shares")
    }));
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
    Ok(crate::remote::Listing::whole(secrets))
}

/// Offline, the remote is taken to be as the last sync left it, and its
/// listing as incomplete so that nothing is inferred from absence.
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
/// Each secret's version, its metadata where it has some, and the names that
/// are not text, with their kinds (SSH keys and items: chosen for a remote
/// only by name).
fn local_states(vault: &UnlockedVault) -> Result<LocalStates> {
    let rows = vault.verified_rows()?;
    let mut locals = HashMap::with_capacity(rows.len());
    let mut metas = HashMap::new();
    let mut kinds = HashMap::new();
    for meta in rows {
        if meta.kind != SecretKind::Text {
            kinds.insert(meta.name.clone(), meta.kind);
        }
        locals.insert(meta.name.clone(), Local { version: meta.version, deleted: meta.deleted.is_some() });
        let fields = Metadata::local(&meta.description, &meta.category, meta.rotate_by);
        if !fields.is_empty() {
            metas.insert(meta.name, fields);
        }
    }
    Ok((locals, metas, kinds))
}

type LocalStates =
    (HashMap<SecretName, Local>, HashMap<SecretName, Metadata>, HashMap<SecretName, SecretKind>);

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
