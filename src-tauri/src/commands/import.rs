//! Import from another manager (core's import): the file is picked with the
//! system's file chooser from here (tauri-plugin-dialog), read and decrypted here, and its plan is
//! kept here. The window gets the plan without values, sends back one choice
//! per row (a name, or none to leave it out), and the values go from the plan
//! to the vault. Locking drops a plan not yet imported.

use std::path::PathBuf;

use keyhaven_core::{
    Error,
    import::{self, Plan, PlanOptions, ReadOptions, SourceKind},
};
use secrecy::SecretString;
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;
use ts_rs::TS;

use super::{blocking, session};
use crate::{
    AppState,
    error::{CommandError, CommandResult},
};

/// A file chosen and not yet imported.
pub struct Pending {
    path: PathBuf,
    kind: Option<SourceKind>,
    include_notes: bool,
    /// `None` until the file is read (it may wait for its passphrase).
    plan: Option<Plan>,
}

/// Where an import stands after a step.
#[derive(Serialize, TS)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ImportStep {
    /// The file chooser was closed without a choice.
    Cancelled,
    /// The file is encrypted: ask for its password (again, when `wrong`).
    Passphrase { file: String, wrong: bool },
    /// What the import would write (serialized from core's `Plan`, which
    /// carries no value; the plan itself stays here).
    Plan {
        #[ts(as = "Plan")]
        plan: serde_json::Value,
    },
}

/// What an import wrote.
#[derive(Serialize, TS)]
pub struct ImportSummary {
    pub added: u32,
    pub updated: u32,
    /// Names already in the vault, left alone (no overwrite).
    pub existing: Vec<String>,
    /// Rows the user or the plan left out.
    pub left_out: u32,
}

/// Which of `names` a live secret already has: what the preview marks
/// "skipped (exists)" or "new version" (as `import --dry-run` does). Names
/// only, for the rows of the plan shown; locked, only with "Show names while
/// locked", as the list.
#[tauri::command(async)]
pub fn import_existing(
    state: State<'_, AppState>,
    store: State<'_, crate::settings::Store>,
    names: Vec<String>,
) -> CommandResult<Vec<bool>> {
    let mut session = session(&state);
    let vault = session.names(store.get().show_names_locked)?;
    Ok(names
        .iter()
        .map(|name| keyhaven_core::SecretName::parse(name.trim()).is_ok_and(|name| vault.meta(&name).is_ok()))
        .collect())
}

/// Opens the file chooser (a folder chooser for a pass store) and reads the
/// file chosen, as `kind` or as its content says.
#[tauri::command(async)]
pub async fn import_choose(
    app: AppHandle,
    folder: bool,
    kind: Option<SourceKind>,
    include_notes: bool,
) -> CommandResult<ImportStep> {
    blocking(app, move |app| {
        let mut dialog = app.dialog().file().set_title("Import into Keyhaven");
        if let Some(window) = app.get_webview_window("main") {
            dialog = dialog.set_parent(&window);
        }
        let chosen = if folder { dialog.blocking_pick_folder() } else { dialog.blocking_pick_file() };
        let Some(chosen) = chosen else {
            return Ok(ImportStep::Cancelled);
        };
        let path =
            chosen.into_path().map_err(|err| CommandError::other(format!("not a local file: {err}")))?;
        let state = app.state::<AppState>();
        let pending = Pending { path, kind, include_notes, plan: None };
        read(&state, pending, None)
    })
    .await
}

/// Reads the chosen file again with its password.
#[tauri::command(async)]
pub async fn import_passphrase(app: AppHandle, passphrase: String) -> CommandResult<ImportStep> {
    let passphrase = SecretString::from(passphrase);
    blocking(app, move |app| {
        let state = app.state::<AppState>();
        let pending = state.import().take().ok_or_else(nothing_chosen)?;
        read(&state, pending, Some(passphrase))
    })
    .await
}

fn read(
    state: &AppState,
    mut pending: Pending,
    passphrase: Option<SecretString>,
) -> CommandResult<ImportStep> {
    let options = ReadOptions { kind: pending.kind, passphrase, keyfile: None };
    let file = pending.path.display().to_string();
    let step = match import::read(&pending.path, &options) {
        Ok(source) => {
            let plan = Plan::new(source, PlanOptions { include_notes: pending.include_notes });
            let outline = serde_json::to_value(&plan)
                .map_err(|err| CommandError::other(format!("the plan could not be shown: {err}")))?;
            let step = ImportStep::Plan { plan: outline };
            pending.plan = Some(plan);
            step
        }
        Err(Error::ImportPassphraseNeeded(_)) => ImportStep::Passphrase { file, wrong: false },
        Err(Error::WrongImportPassphrase(_)) => ImportStep::Passphrase { file, wrong: true },
        Err(err) => return Err(err.into()),
    };
    *state.import() = Some(pending);
    Ok(step)
}

/// Imports the plan with the user's choices, one per row: the name to use,
/// or `null` to leave the row out. Existing names are skipped unless
/// `overwrite`, which adds a version. A refused choice keeps the plan.
#[tauri::command(async)]
pub async fn import_commit(
    app: AppHandle,
    names: Vec<Option<String>>,
    overwrite: bool,
) -> CommandResult<ImportSummary> {
    blocking(app, move |app| {
        let state = app.state::<AppState>();
        let mut session = session(&state);
        let vault = session.unlocked()?;
        let mut slot = state.import();
        // Checked whole first: a refused choice leaves the plan as it was.
        let plan = slot.as_mut().and_then(|pending| pending.plan.as_mut()).ok_or_else(nothing_chosen)?;
        plan.choose(&names)?;
        let left_out = plan.skipped.len();
        let plan = slot.take().and_then(|pending| pending.plan).ok_or_else(nothing_chosen)?;
        let report = vault.import(plan.into_entries(), overwrite, &|_| {})?;
        drop((slot, session));
        crate::pusher::changed(app, report.added.iter().chain(&report.updated).cloned());
        Ok(ImportSummary {
            added: saturate(report.added.len()),
            updated: saturate(report.updated.len()),
            existing: report.skipped.iter().map(ToString::to_string).collect(),
            left_out: saturate(left_out),
        })
    })
    .await
}

/// Forgets the chosen file and its plan.
#[tauri::command]
pub fn import_cancel(state: State<'_, AppState>) {
    state.import().take();
}

fn nothing_chosen() -> CommandError {
    CommandError::invalid("no file is chosen for import (choose one first)")
}

fn saturate(n: usize) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

#[cfg(test)]
include!(concat!(env!("OUT_DIR"), "/commands/import.rs"));
