//! sync, conflicts, resolve.

use std::io::IsTerminal;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use keyhaven_core::{
    SecretName, UnlockedVault,
    remote::SecretsApi,
    sync::{self, AcceptNew, Action, ConflictReason, Keep, RemoteOutcome, Status, SyncOptions, SyncReport},
};

use super::{Context, parse_name};
use crate::output::{note, say};
use crate::{cli::KeepSide, exit, output};

/// The CLI around each remote's sync: asks first, draws a progress bar and
/// prints each remote's outcome as it finishes.
struct Terminal<'a> {
    ctx: &'a Context,
    yes: bool,
    bar: ProgressBar,
    /// A question nobody could answer (no terminal, no `--yes`): it fails the
    /// run as the usage error it is, once every remote has had its turn.
    unanswered: Option<anyhow::Error>,
}

impl Terminal<'_> {
    /// `Some(answer)`, or `None` when nobody can answer (kept for the end).
    fn confirm(&mut self, question: &str) -> Option<bool> {
        match self.ctx.confirm(question) {
            Ok(answer) => Some(answer),
            Err(err) => {
                self.unanswered.get_or_insert(err);
                None
            }
        }
    }
}

impl sync::Host for Terminal<'_> {
    /// Asks before a sync does what the user may not expect (core's
    /// `preview`). The first sync with a remote sends values there: it lists
    /// them and asks (`--yes` answers for scripts). A pull that would create
    /// names this vault never had asks on a terminal; elsewhere those names
    /// wait for `--accept-new`.
    fn prepare(
        &mut self,
        vault: &mut UnlockedVault,
        remote: &str,
        api: &dyn SecretsApi,
        options: &SyncOptions,
    ) -> keyhaven_core::Result<Option<SyncOptions>> {
        let ask_new = options.pull && options.accept_new == AcceptNew::None && std::io::stdin().is_terminal();
        // Only then is the remote listed twice (a dry run first). Whether it
        // was ever synced is read from checked sync records, not a time stamp.
        let first = !self.yes && !sync::has_synced(vault, remote)?;
        let ask_prune = options.prune && !self.yes;
        if options.dry_run || !(first || ask_new || ask_prune) {
            return Ok(Some(options.clone()));
        }
        let preview = sync::preview(vault, remote, api, options)?;
        let list = |names: &[SecretName]| names.iter().map(SecretName::as_str).collect::<Vec<_>>().join(", ");
        if first && !preview.sends.is_empty() {
            let question = format!(
                "First sync with {remote}: it changes {} secret(s) there: {}. Go ahead?",
                preview.sends.len(),
                list(&preview.sends)
            );
            if self.confirm(&question) != Some(true) {
                note!("{remote}: nothing synced");
                return Ok(None);
            }
        }
        let mut options = options.clone();
        if ask_prune && !(preview.deletes.is_empty() && preview.deletes_here.is_empty()) {
            let note = preview.delete_note.as_deref().map(|note| format!(" ({note})")).unwrap_or_default();
            let mut parts = Vec::new();
            if !preview.deletes.is_empty() {
                parts.push(format!(
                    "delete {} secret(s) on {remote}{note}: {}",
                    preview.deletes.len(),
                    list(&preview.deletes)
                ));
            }
            if !preview.deletes_here.is_empty() {
                parts.push(format!(
                    "remove {} secret(s) here, gone from {remote}: {}",
                    preview.deletes_here.len(),
                    list(&preview.deletes_here)
                ));
            }
            let question = format!("Prune: {}?", parts.join("; and "));
            if self.confirm(&question) != Some(true) {
                note!("{remote}: nothing deleted on either side");
                options.prune = false;
            }
        }
        if ask_new && !preview.new_names.is_empty() {
            let question = format!(
                "Pull {} name(s) new to this vault from {remote}: {}?",
                preview.new_names.len(),
                list(&preview.new_names)
            );
            if self.confirm(&question) == Some(true) {
                options.accept_new = AcceptNew::Names(preview.new_names.into_iter().collect());
            }
        }
        Ok(Some(options))
    }

    fn progress(&mut self, _remote: &str, done: usize, total: usize) {
        self.bar.set_length(total as u64);
        self.bar.set_position(done as u64);
    }

    fn finished(&mut self, outcome: &RemoteOutcome) {
        self.bar.finish_and_clear();
        self.bar = progress_bar();
        if self.ctx.json {
            return;
        }
        match &outcome.result {
            Ok(Some(report)) => print_report(report),
            Ok(None) => {}
            Err(err) => note!("{}: failed: {err}", outcome.remote),
        }
    }
}

/// Syncs `remote`, or each remote in turn; one that fails does not stop the
/// others. Exits non-zero if any remote failed or left conflicts.
pub fn sync(ctx: &mut Context, remote: Option<&str>, options: SyncOptions, yes: bool) -> Result<()> {
    let mut vault = ctx.unlocked()?;
    if remote.is_none() && vault.remotes()?.is_empty() {
        return Err(
            exit::Failure(exit::NOT_FOUND, "no remotes: add one with `keyhaven remote add`".into()).into()
        );
    }
    let mut host = Terminal { ctx, yes, bar: progress_bar(), unanswered: None };
    let outcomes = sync::run(&mut vault, remote, &options, &mut host)?;
    if let Some(err) = host.unanswered {
        return Err(err);
    }
    if ctx.json {
        output::json(&outcomes.iter().map(outcome_json).collect::<Vec<_>>())?;
    }
    let Some(shortfall) = sync::shortfall(&outcomes) else { return Ok(()) };
    // The first remote that failed decides the exit code; else conflicts do.
    let code = match outcomes.iter().find(|o| o.failed()) {
        Some(RemoteOutcome { result: Err(err), .. }) => exit::code_of(err),
        Some(_) => exit::REMOTE,
        None => exit::SYNC_INCOMPLETE,
    };
    Err(exit::Failure(code, shortfall).into())
}

/// A remote's outcome for `--json`, one shape whatever happened: its report
/// with `declined` and `error` (null unless the first sync was declined or
/// the remote failed), each step as `{name, action, status, version, reason,
/// error}`.
fn outcome_json(outcome: &RemoteOutcome) -> serde_json::Value {
    let mut row = serde_json::json!({
        "remote": outcome.remote, "dry_run": null, "listed": null, "listing_complete": null,
        "offline": null, "steps": [], "warnings": [], "new_names": [], "unselected": null,
        "nothing_chosen": null, "not_here": null, "declined": false, "error": null,
    });
    match &outcome.result {
        Ok(Some(report)) => {
            let report = serde_json::to_value(report).unwrap_or_default();
            for (key, value) in report.as_object().into_iter().flatten() {
                row[key] = value.clone();
            }
            row["steps"] = report["steps"].as_array().into_iter().flatten().map(step_json).collect();
        }
        Ok(None) => row["declined"] = true.into(),
        Err(err) => row["error"] = err.to_string().into(),
    }
    row
}

/// A step in one shape: the fields one action has and another lacks are null.
fn step_json(step: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "name": step["name"], "action": step["action"], "status": step["status"],
        "version": step["version"], "reason": step["reason"], "error": step["error"],
    })
}

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} syncing").expect("valid template"));
    bar
}

/// The remote's name, then one line per step worth a look (with --dry-run,
/// every step) under it, then what it came to in a sentence; warnings after.
fn print_report(report: &SyncReport) {
    let remote = &report.remote;
    say!("{remote}: listed {}", report.listed);
    for step in &report.steps {
        let action = &step.step.action;
        let status = match &step.status {
            Status::Failed(err) => format!(" — failed: {err}"),
            Status::Queued(_) => " — queued".to_owned(),
            Status::Planned | Status::Done => String::new(),
        };
        let notable = !matches!(step.status, Status::Done) || report.dry_run;
        if notable {
            let (mark, what) = (mark(action), action.describe());
            say!("  {mark} {:<32} {what}{status}", step.step.name.as_str());
        }
    }
    let mut sentence = report.sentence();
    if report.nothing_chosen {
        sentence
            .push_str(&format!(": choose with `keyhaven remote edit {remote} --include NAME_OR_PATTERN`"));
    } else if report.unselected > 0 {
        sentence.push_str(&format!(" ({} not chosen for {remote})", report.unselected));
    }
    if report.conflicts() > 0 {
        sentence.push_str(" (see `keyhaven conflicts`)");
    }
    let lead = if report.dry_run { "would do" } else { "done" };
    say!("{remote} {lead}: {sentence}");
    for warning in &report.warnings {
        note!("warning: {warning}");
    }
}

/// The step's mark in the plan's margin.
fn mark(action: &Action) -> char {
    match action {
        Action::Create { .. } => '+',
        Action::Update { .. } => '~',
        Action::DeleteRemote { .. } | Action::DeleteLocal => '-',
        Action::Record { .. } => '=',
        Action::Pull { .. } => '<',
        Action::Forget | Action::Link { .. } => '.',
        Action::Conflict { .. } => '!',
        Action::Hold { .. } => '?',
    }
}

pub fn conflicts(ctx: &Context) -> Result<()> {
    let vault = ctx.open()?;
    let conflicts = sync::conflicts(&vault)?;
    if ctx.json {
        // The reason as a code, as `sync --json` steps give it; the sentence is the text output's.
        let rows = conflicts
            .iter()
            .map(|conflict| {
                let mut row = serde_json::to_value(conflict)?;
                row["reason"] =
                    ConflictReason::from_description(&conflict.reason).map(ConflictReason::code).into();
                Ok(row)
            })
            .collect::<Result<Vec<_>>>()?;
        return output::json(&rows);
    }
    if conflicts.is_empty() {
        note!("no conflicts");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = conflicts
        .iter()
        .map(|c| {
            let here = match (c.local_version, c.local_changed) {
                (Some(version), Some(changed)) => format!("v{version}, {}", output::when(changed)),
                _ => "removed".to_owned(),
            };
            let there = if c.remote_reveals { "changed" } else { "changed; cannot send values back" };
            let there = format!("{there}, seen {}", output::when(c.detected));
            vec![c.name.to_string(), c.remote.clone(), c.reason.clone(), here, there]
        })
        .collect();
    output::table(&["NAME", "REMOTE", "CONFLICT", "HERE", "ON THE REMOTE"], &rows)?;
    note!("settle each with `keyhaven resolve NAME --keep local|remote`");
    if conflicts.iter().any(|c| !c.remote_reveals && c.local_version.is_some()) {
        note!(
            "where the remote cannot send values back, --keep remote needs --accept-unreadable, \
             which marks this device's copy out of date"
        );
    }
    Ok(())
}

pub fn resolve(
    ctx: &mut Context,
    name: &str,
    keep: KeepSide,
    remote: Option<&str>,
    accept_unreadable: bool,
) -> Result<()> {
    let name = parse_name(name)?;
    let mut vault = ctx.unlocked()?;
    let remote = match remote {
        Some(remote) => remote.to_owned(),
        None => {
            let mut with: Vec<String> =
                sync::conflicts(&vault)?.into_iter().filter(|c| c.name == name).map(|c| c.remote).collect();
            match with.len() {
                1 => with.remove(0),
                0 => return Err(exit::Failure(exit::NOT_FOUND, format!("{name} has no conflict")).into()),
                _ => {
                    return Err(exit::invalid(format!(
                        "{name} conflicts with {}; pass --remote",
                        with.join(", ")
                    )));
                }
            }
        }
    };
    let api = vault.connect(&remote)?;
    sync::resolve(&mut vault, &remote, api.as_ref(), &name, keep.into(), accept_unreadable)?;
    // Core marks a live secret's copy out of date when it keeps what the remote cannot send back.
    let out_of_date =
        matches!(keep, KeepSide::Remote) && !api.capabilities().can_reveal && vault.meta(&name).is_ok();
    if ctx.json {
        return output::json(&serde_json::json!({
            "name": name, "remote": remote, "kept": Keep::from(keep).as_str(), "out_of_date": out_of_date
        }));
    }
    if out_of_date {
        note!(
            "{name}: resolved with {remote}; this device's copy is out of date until a new value is set here"
        );
    } else {
        note!("{name}: resolved with {remote}");
    }
    Ok(())
}

impl From<KeepSide> for Keep {
    fn from(side: KeepSide) -> Self {
        match side {
            KeepSide::Local => Keep::Local,
            KeepSide::Remote => Keep::Remote,
        }
    }
}

/// Every open conflict (with `remote`'s, or each remote's in turn), one side
/// kept for all; each name is listed as it is settled.
pub fn resolve_all(
    ctx: &mut Context,
    keep: KeepSide,
    remote: Option<&str>,
    accept_unreadable: bool,
) -> Result<()> {
    let mut vault = ctx.unlocked()?;
    let mut remotes: std::collections::BTreeSet<String> =
        sync::conflicts(&vault)?.into_iter().map(|c| c.remote).collect();
    if let Some(remote) = remote {
        vault.remote(remote)?;
        remotes.retain(|r| r == remote);
    }
    if remotes.is_empty() {
        note!("no conflicts");
        return if ctx.json { output::json(&[] as &[serde_json::Value]) } else { Ok(()) };
    }
    let mut left = 0;
    // `--json`: one `{remote, kept, settled, not_settled: [{name, why}]}` per remote.
    let mut said = Vec::new();
    for remote in &remotes {
        let api = vault.connect(remote)?;
        let report =
            sync::resolve_many(&mut vault, remote, api.as_ref(), &[], keep.into(), accept_unreadable)
                .map_err(|err| err.at_remote(remote))?;
        let settled: Vec<&str> =
            report.steps.iter().filter(|s| s.status == Status::Done).map(|s| s.step.name.as_str()).collect();
        if !ctx.json {
            say!(
                "{remote}: kept {} for {}: {}",
                Keep::from(keep).as_str(),
                settled.len(),
                settled.join(", ")
            );
        }
        let mut not_settled = Vec::new();
        for step in report.steps.iter().filter(|s| s.status != Status::Done) {
            left += 1;
            let why = match &step.status {
                Status::Failed(err) | Status::Queued(err) => err.clone(),
                _ => step.step.action.describe(),
            };
            note!("  {}: not settled: {why}", step.step.name);
            not_settled.push(serde_json::json!({ "name": step.step.name, "why": why }));
        }
        said.push(serde_json::json!({
            "remote": remote, "kept": Keep::from(keep).as_str(), "settled": settled, "not_settled": not_settled
        }));
    }
    if ctx.json {
        output::json(&said)?;
    }
    if left > 0 {
        return Err(exit::Failure(exit::SYNC_INCOMPLETE, format!("{left} conflict(s) remain")).into());
    }
    Ok(())
}

/// After a change here: sends it at once to every remote that has synced
/// before and chooses one of `names`, waiting at most `sync::PUSH_WAIT` in
/// all, and says on stderr how each went (`pushed to rl, tl`; `queued for
/// rt: …`). The local change is made whatever happens there: a write not
/// sent waits in the remote's outbox for the next command that reaches it.
pub fn push_changes(vault: &UnlockedVault, names: &[SecretName], args: &crate::cli::PushArgs) -> Result<()> {
    if !pushing(args) {
        return Ok(());
    }
    let remotes = sync::targets(vault, names)?;
    if remotes.is_empty() {
        return Ok(());
    }
    let seconds = sync::PUSH_WAIT.as_secs();
    let mut pushed = Vec::new();
    for (remote, outcome) in sync::push(vault, &remotes, names, sync::PUSH_WAIT, &sync::Cancel::default())? {
        match outcome {
            sync::Pushed::Done(report) => match &report.offline {
                Some(why) => note!(
                    "queued for {remote}: unreachable ({why}); the next command that reaches it sends it"
                ),
                None => {
                    for step in &report.steps {
                        let name = &step.step.name;
                        match (&step.step.action, &step.status) {
                            (Action::Conflict { .. }, _) => note!(
                                "not pushed to {remote}: {name} changed there too; \
                                 `keyhaven resolve {name} --keep local|remote` settles it"
                            ),
                            (_, Status::Failed(why)) => note!("not pushed to {remote}: {name}: {why}"),
                            (_, Status::Queued(why)) => note!("queued for {remote}: {name}: {why}"),
                            (Action::Hold { reason }, _) => {
                                note!("held for {remote}: {name}: {}", reason.as_str())
                            }
                            _ => {}
                        }
                    }
                    // Named only where something went (Runloop holds no metadata, say).
                    let sent = report
                        .steps
                        .iter()
                        .any(|step| step.status == Status::Done && step.step.action.writes_remote());
                    if sent && report.conflicts() == 0 && report.failures() == 0 {
                        pushed.push(remote);
                    }
                }
            },
            sync::Pushed::Failed(err) => note!("not pushed to {remote}: {err}"),
            sync::Pushed::StillSending => note!(
                "queued for {remote}: no answer within {seconds} s; the next command that reaches it sends it"
            ),
        }
    }
    if !pushed.is_empty() {
        note!("pushed to {}", pushed.join(", "));
    }
    Ok(())
}

/// Whether a change is pushed: unless `--no-push` or `KEYHAVEN_NO_PUSH`.
pub fn pushing(args: &crate::cli::PushArgs) -> bool {
    !args.no_push && std::env::var_os("KEYHAVEN_NO_PUSH").is_none_or(|value| value.is_empty())
}

/// `keyhaven status`: per remote, the last sync, what waits in its outbox
/// (oldest first, with its age), conflicts and the last failure's category.
pub fn status(ctx: &Context) -> Result<()> {
    let vault = ctx.open()?;
    let status = sync::status(&vault)?;
    if ctx.json {
        return output::json(&status);
    }
    if status.is_empty() {
        note!("no remotes: `keyhaven remote add` adds one");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = status
        .iter()
        .map(|remote| {
            vec![
                remote.remote.clone(),
                remote.last_sync.map(output::when).unwrap_or_else(|| "never".into()),
                remote.queued.len().to_string(),
                remote.queued.first().map(|oldest| output::when(oldest.queued)).unwrap_or_default(),
                remote.conflicts.to_string(),
                remote.last_failure.clone().unwrap_or_default(),
            ]
        })
        .collect();
    output::table(&["REMOTE", "LAST SYNC", "QUEUED", "OLDEST QUEUED", "CONFLICTS", "LAST FAILURE"], &rows)?;
    for remote in &status {
        for write in &remote.queued {
            let failure =
                write.last_failure.as_deref().map(|f| format!(", last failure: {f}")).unwrap_or_default();
            say!(
                "  {}: {} {} queued {} ({} attempt(s){failure})",
                remote.remote,
                write.op,
                write.name,
                output::when(write.queued),
                write.attempts
            );
        }
    }
    Ok(())
}
