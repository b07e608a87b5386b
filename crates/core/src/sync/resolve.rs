//! Settling conflicts: keep this vault's value or the remote's, for one secret or many.

use std::collections::HashMap;

use serde::Serialize;

use super::{
    Cancel, ConflictInfo, NotHere, Status, StepReport, SyncReport,
    plan::{Action, HoldReason, Step},
    steps::{Queue, Run},
};
use crate::{
    Error, Result, SecretName, UnlockedVault, Vault,
    remote::{Failure, RemoteError, RemoteSecret, SecretsApi},
    vault::{AuditAction, record_audit, sync_state as state},
};

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
            let chosen = row.is_some_and(|row| selection.selects(name.as_str(), &row.category, row.kind));
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
