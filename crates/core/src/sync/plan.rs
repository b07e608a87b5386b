//! The sync plan: a pure function of, per secret, the local state, what the
//! last sync recorded (the base) and what the remote lists now. A side has
//! changed when it differs from the base; both changed is a conflict, never
//! settled silently. Deletes travel only with `prune`, and a secret missing
//! from a cut-off listing is never taken as deleted.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

pub use crate::vault::sync_state::{Base, ConflictReason, Pending, WriteOp};
use crate::{
    SecretName,
    remote::{Kind, RemoteSecret},
};

/// The local side of one secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    pub version: u32,
    /// A tombstone: removed here, not yet purged.
    pub deleted: bool,
}

/// Everything known about one secret name.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: SecretName,
    pub local: Option<Local>,
    pub base: Option<Base>,
    pub remote: Option<RemoteSecret>,
    pub pending: Option<Pending>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// Propagate deletes in both directions.
    pub prune: bool,
    /// Fetch values the remote has and this device lacks (dialects that reveal).
    pub pull: bool,
    pub can_reveal: bool,
    /// The listing showed everything (Runloop cuts off at 5,000).
    pub listing_complete: bool,
    /// Names a pull may create here. A remote picks its names, and a name
    /// such as `BASH_ENV` runs code, so without the user's yes a name new to
    /// this vault is only recorded as the remote's, never pulled.
    pub accept_new: Option<&'a AcceptNew>,
}

/// Which names new to this vault a pull may create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AcceptNew {
    #[default]
    None,
    /// `sync --pull --accept-new`.
    All,
    /// The names the user confirmed.
    Names(std::collections::BTreeSet<SecretName>),
}

impl AcceptNew {
    pub fn allows(&self, name: &SecretName) -> bool {
        match self {
            AcceptNew::None => false,
            AcceptNew::All => true,
            AcceptNew::Names(names) => names.contains(name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Push a secret the remote does not have. `replay`: an earlier create may
    /// have landed; look before creating again.
    Create {
        version: u32,
        replay: bool,
    },
    /// Push a local rotation. `expected` is the marker it must still have.
    Update {
        version: u32,
        target: RemoteSecret,
        expected: String,
    },
    /// Removed here: remove there (with prune).
    DeleteRemote {
        target: RemoteSecret,
    },
    /// Removed there: remove here (with prune).
    DeleteLocal,
    /// Note the remote's state; its value is not on this device.
    Record {
        remote: RemoteSecret,
        local_version: Option<u32>,
    },
    /// Fetch the remote value (reveal) into a new local version.
    Pull {
        remote: RemoteSecret,
    },
    /// Gone on both sides: drop the record.
    Forget,
    /// Never synced, on both sides with the same value (compared where the
    /// remote reveals): linked as in sync, nothing written.
    Link {
        remote: RemoteSecret,
        version: u32,
    },
    Conflict {
        reason: ConflictReason,
    },
    /// Nothing is done now, for the reason given.
    Hold {
        reason: HoldReason,
    },
}

impl Action {
    /// Sends something to the remote.
    pub fn writes_remote(&self) -> bool {
        matches!(self, Action::Create { .. } | Action::Update { .. } | Action::DeleteRemote { .. })
    }

    pub fn write_op(&self) -> Option<(WriteOp, Option<u32>)> {
        match self {
            Action::Create { version, .. } => Some((WriteOp::Create, Some(*version))),
            Action::Update { version, .. } => Some((WriteOp::Update, Some(*version))),
            Action::DeleteRemote { .. } => Some((WriteOp::Delete, None)),
            _ => None,
        }
    }

    /// A short name for counting steps in a summary.
    pub fn label(&self) -> &'static str {
        match self {
            Action::Create { .. } => "create",
            Action::Update { .. } => "update",
            Action::DeleteRemote { .. } => "delete on remote",
            Action::DeleteLocal => "delete here",
            Action::Record { .. } => "record (value not on this device)",
            Action::Pull { .. } => "pull",
            Action::Forget => "forget",
            Action::Link { .. } => "link (same value on both sides)",
            Action::Conflict { .. } => "conflict",
            Action::Hold { .. } => "held",
        }
    }

    /// What the step does, for a person.
    pub fn describe(&self) -> String {
        match self {
            Action::Create { .. } => "create on remote".into(),
            Action::Update { version, .. } => format!("push version {version}"),
            Action::DeleteRemote { .. } => "delete on remote".into(),
            Action::DeleteLocal => "delete here (removed on the remote)".into(),
            Action::Record { local_version: None, .. } => {
                "on the remote only; value not on this device".into()
            }
            Action::Record { .. } => "changed on the remote; its value is not on this device".into(),
            Action::Pull { .. } => "pull the remote value".into(),
            Action::Forget => "gone on both sides".into(),
            Action::Link { .. } => "the same value on both sides; linked".into(),
            Action::Conflict { reason } => format!("conflict: {}", reason.as_str()),
            Action::Hold { reason } => reason.as_str().into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    /// Removed here; `--prune` removes it on the remote.
    DeletedHereNeedsPrune,
    /// Removed on the remote; `--prune` removes it here.
    DeletedThereNeedsPrune,
    /// Missing from a cut-off listing: unknown, so left alone.
    NotListed,
    /// A conflict on a secret no longer chosen for the remote: settling it
    /// would write where the user no longer sends it.
    NotChosen,
    /// A conflict on a name this vault has never held (a record it did not
    /// write): settling it would create the name here.
    NotInVault,
    /// Keeping the remote's value where it cannot be fetched: this device
    /// would go on serving the value the user chose to discard.
    Unreadable,
}

impl HoldReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::DeletedHereNeedsPrune => "removed here; --prune removes it on the remote",
            HoldReason::DeletedThereNeedsPrune => "removed on the remote; --prune removes it here",
            HoldReason::NotListed => "not in the remote's cut-off listing; left alone",
            HoldReason::NotChosen => {
                "is not chosen for this remote any more; choose it again to settle its conflict"
            }
            HoldReason::NotInVault => "is not a name this vault holds; nothing was settled",
            HoldReason::Unreadable => {
                "cannot be fetched from this remote, which does not send values back: rotate it here, \
                 or pass --accept-unreadable to mark this device's copy out of date"
            }
        }
    }
}

/// One planned step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub name: SecretName,
    #[serde(flatten)]
    pub action: Action,
}

/// Pairs local secrets, base records and remote secrets by name. A name the
/// remote holds twice (Runloop allows it) pairs with the recorded id, else
/// the newest.
pub fn entries(
    kind: Kind,
    mut locals: HashMap<SecretName, Local>,
    mut bases: HashMap<SecretName, Base>,
    outbox: &HashMap<SecretName, Pending>,
    remote: Vec<RemoteSecret>,
    warnings: &mut Vec<String>,
) -> Vec<Entry> {
    let mut by_name: HashMap<String, Vec<RemoteSecret>> = HashMap::with_capacity(remote.len());
    for secret in remote {
        by_name.entry(secret.name.clone()).or_default().push(secret);
    }
    let names: BTreeSet<SecretName> = locals.keys().chain(bases.keys()).cloned().collect();
    let mut claimed: HashMap<String, SecretName> = HashMap::new();
    let mut out = Vec::with_capacity(names.len() + by_name.len());
    for name in names {
        let remote_name = kind.remote_name(name.as_str());
        if let Some(other) = claimed.get(&remote_name) {
            warnings.push(format!(
                "{name} and {other} are the same name ({remote_name}) on {kind}; {name} skipped"
            ));
            continue;
        }
        claimed.insert(remote_name.clone(), name.clone());
        let base = bases.remove(&name);
        let remote = by_name.remove(&remote_name).and_then(|mut rows| {
            if rows.len() > 1 {
                warnings.push(format!("{kind} holds {} secrets named {remote_name}", rows.len()));
            }
            let recorded = base.as_ref().and_then(|b| rows.iter().position(|r| r.id == b.remote_id));
            match recorded {
                Some(at) => Some(rows.swap_remove(at)),
                None => rows.into_iter().max_by(|a, b| a.id.cmp(&b.id)),
            }
        });
        let pending = outbox.get(&name).cloned();
        out.push(Entry { local: locals.remove(&name), base, remote, pending, name });
    }
    let mut remote_only: Vec<_> = by_name.into_iter().collect();
    remote_only.sort_by(|a, b| a.0.cmp(&b.0));
    for (remote_name, rows) in remote_only {
        match SecretName::parse(&remote_name) {
            Ok(name) if !claimed.contains_key(&remote_name) => out.push(Entry {
                name,
                local: None,
                base: None,
                remote: rows.into_iter().max_by(|a, b| a.id.cmp(&b.id)),
                pending: None,
            }),
            Ok(_) => {}
            Err(_) => warnings
                .push(format!("{kind} holds {remote_name:?}, which is not a valid name here; skipped")),
        }
    }
    out
}

/// The local side as seen against the base.
enum Side {
    /// No local value belongs to this pairing.
    Absent,
    Live(u32),
    /// Removed here after a sync that knew its value.
    Deleted,
}

fn side(local: Option<Local>, base: Option<&Base>) -> Side {
    let synced_here = base.is_some_and(|base| base.local_version.is_some());
    match local {
        Some(Local { version, deleted: false }) => Side::Live(version),
        // Removed (or removed and purged) after a sync that knew its value.
        Some(Local { deleted: true, .. }) | None if synced_here => Side::Deleted,
        _ => Side::Absent,
    }
}

fn moved(remote: &RemoteSecret, base: &Base) -> bool {
    remote.id != base.remote_id || remote.marker != base.marker
}

/// The plan: one step per entry that needs one, in entry order.
pub fn plan(entries: &[Entry], options: Options<'_>) -> Vec<Step> {
    entries
        .iter()
        .filter_map(|entry| decide(entry, options).map(|action| Step { name: entry.name.clone(), action }))
        .collect()
}

fn decide(entry: &Entry, options: Options<'_>) -> Option<Action> {
    use Action::*;
    // A pull into a name this vault has never had (not even removed) needs a yes.
    let may_pull = options.pull
        && options.can_reveal
        && (entry.local.is_some() || options.accept_new.is_some_and(|accept| accept.allows(&entry.name)));
    let fetch = |remote: &RemoteSecret, local_version: Option<u32>| {
        if may_pull {
            Pull { remote: remote.clone() }
        } else {
            Record { remote: remote.clone(), local_version }
        }
    };
    let hold = |reason| Some(Hold { reason });
    let conflict = |reason| Some(Conflict { reason });
    let Some(base) = &entry.base else {
        return match (side(entry.local, None), &entry.remote) {
            (Side::Live(version), None) => Some(Create { version, replay: false }),
            (Side::Live(version), Some(_)) => match &entry.pending {
                Some(p) if p.op == WriteOp::Create && p.local_version == Some(version) => {
                    Some(Create { version, replay: true })
                }
                _ => conflict(ConflictReason::ExistsOnBoth),
            },
            (_, Some(remote)) => Some(fetch(remote, None)),
            (_, None) => None,
        };
    };
    let local = side(entry.local, Some(base));
    let local_changed = |version: u32| Some(version) != base.local_version;
    match (local, &entry.remote) {
        (Side::Live(version), Some(remote)) => match (local_changed(version), moved(remote, base)) {
            (false, false) if !base.in_sync && may_pull => Some(Pull { remote: remote.clone() }),
            (false, false) => None,
            (true, false) => Some(Update { version, target: remote.clone(), expected: base.marker.clone() }),
            (false, true) => Some(fetch(remote, Some(version))),
            (true, true) => conflict(ConflictReason::BothChanged),
        },
        (Side::Live(_), None) if !options.listing_complete => hold(HoldReason::NotListed),
        (Side::Live(version), None) if local_changed(version) => {
            conflict(ConflictReason::ChangedHereDeletedThere)
        }
        (Side::Live(_), None) if options.prune => Some(DeleteLocal),
        (Side::Live(_), None) => hold(HoldReason::DeletedThereNeedsPrune),
        (Side::Deleted, Some(remote)) if moved(remote, base) => {
            conflict(ConflictReason::DeletedHereChangedThere)
        }
        (Side::Deleted, Some(remote)) if options.prune => Some(DeleteRemote { target: remote.clone() }),
        (Side::Deleted, Some(_)) => hold(HoldReason::DeletedHereNeedsPrune),
        (Side::Deleted, None) if !options.listing_complete => hold(HoldReason::NotListed),
        (Side::Absent, Some(remote)) if moved(remote, base) => Some(fetch(remote, None)),
        (Side::Absent, Some(remote)) if may_pull => Some(Pull { remote: remote.clone() }),
        (Side::Absent, Some(_)) => None,
        (Side::Absent, None) if !options.listing_complete => None,
        (Side::Deleted | Side::Absent, None) => Some(Forget),
    }
}
