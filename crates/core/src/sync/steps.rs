//! Carrying out a plan: its writes recorded in the outbox first, the remote calls
//! made, and what landed recorded as the new base.

use std::collections::HashMap;

use super::{
    Cancel, Status, StepReport, SyncReport,
    apply::{self, Job, Outcome},
    plan::{Action, Base, ConflictReason, Pending},
};
use crate::{
    Result, SecretName, UnlockedVault,
    remote::{Deleted, Failure, Kind, Metadata, RemoteError, SecretsApi},
    secret::{self, SecretFields},
    vault::{
        AuditAction, RemoteRef, record_audit,
        sync_state::{self as state, Queued},
    },
};

/// A remote's description and category, for a secret pulled here: each kept
/// only when it passes the checks a typed one does (a remote is hostile).
pub(super) fn pulled_fields(meta: &Metadata) -> SecretFields {
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
pub(super) fn oldest_first<T>(jobs: &mut [(usize, T)], queued_ms: impl Fn(usize) -> Option<i64>) {
    jobs.sort_by_key(|(index, _)| queued_ms(*index).unwrap_or(i64::MAX));
}

/// How planned writes enter the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Queue {
    /// A sync's plan stands for the remote's whole outbox: what it no longer
    /// plans is not sent.
    Replace,
    /// A resolve's steps replace only their own names' rows.
    These,
}

/// One sync run against one remote.
pub(super) struct Run<'a> {
    pub(super) vault: &'a mut UnlockedVault,
    pub(super) remote: RemoteRef,
    pub(super) api: &'a dyn SecretsApi,
    pub(super) kind: Kind,
    pub(super) cancel: &'a Cancel,
}

impl Run<'_> {
    /// Writes every planned remote write to the outbox before anything is
    /// sent, keeping the idempotency key of an earlier attempt at the same write.
    pub(super) fn queue_writes(
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
    pub(super) fn apply_local(&mut self, report: &mut SyncReport) -> Result<()> {
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
    pub(super) fn apply_remote(
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
    pub(super) fn record(
        &mut self,
        step: &mut StepReport,
        result: Result<Outcome, RemoteError>,
    ) -> Result<()> {
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
    pub(super) fn finish(
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
