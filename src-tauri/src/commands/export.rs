//! Export, from the Import screen's Export part: the save dialog (opened by
//! Rust, so the path never comes from the webview), then core's export.

use keyhaven_core::export::{self, Format};
use tauri::{AppHandle, Manager};
use tauri_plugin_dialog::DialogExt;

use super::{blocking, session};
use crate::{
    AppState,
    error::{CommandError, CommandResult},
};

/// Asks where to save (the dialog asks before replacing a file), then writes
/// the secrets whose names match `pattern` (every one when empty) as `format`,
/// with their values only when `reveal`, to a file only its owner can read.
/// Says what was written, or `None` when the dialog was cancelled.
#[tauri::command(async)]
pub async fn export_secrets(
    app: AppHandle,
    format: Format,
    reveal: bool,
    pattern: String,
) -> CommandResult<Option<String>> {
    blocking(app, move |app| {
        let suggested = match format {
            Format::Env if reveal => "keyhaven.env",
            Format::Env => "keyhaven.env.example",
            Format::Json => "keyhaven.json",
        };
        let mut dialog = app.dialog().file().set_title("Export from Keyhaven").set_file_name(suggested);
        if let Some(window) = app.get_webview_window("main") {
            dialog = dialog.set_parent(&window);
        }
        let Some(chosen) = dialog.blocking_save_file() else {
            return Ok(None);
        };
        let path =
            chosen.into_path().map_err(|err| CommandError::other(format!("not a local file: {err}")))?;
        let pattern = Some(pattern.trim()).filter(|pattern| !pattern.is_empty());
        let state = app.state::<AppState>();
        let mut session = session(&state);
        let (count, text) = if reveal {
            export::values(session.unlocked()?, pattern, format)?
        } else {
            let (count, text) = export::names(session.vault()?, pattern, format)?;
            (count, zeroize::Zeroizing::new(text))
        };
        drop(session);
        export::write_private(&path, text.as_bytes(), true)
            .map_err(|err| CommandError::other(format!("cannot write {}: {err}", path.display())))?;
        let what = if reveal { "with their values" } else { "names and details only, no values" };
        Ok(Some(format!("Exported {count} secret(s), {what}, to {} (readable by you only).", path.display())))
    })
    .await
}

#[cfg(test)]
include!(concat!(env!("OUT_DIR"), "/commands/export.rs"));
