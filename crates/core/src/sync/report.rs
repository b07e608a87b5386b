//! What a sync reports: each step's status, and the report's one-line summary.

use serde::Serialize;

use super::plan::{Action, Step};
use crate::{SecretName, remote::Failure};

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
