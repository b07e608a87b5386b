//! What a sync would do that the user should agree to first (a dry run both hosts ask from).

use serde::Serialize;

use super::{AcceptNew, SyncOptions, has_synced, plan::Action, sync};
use crate::{
    Result, SecretName, UnlockedVault,
    remote::{Kind, SecretsApi},
};

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
