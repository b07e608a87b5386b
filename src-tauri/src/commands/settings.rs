//! The preferences screen: read and save; they take effect at once.

use tauri::{AppHandle, State};

use crate::{
    error::{CommandError, CommandResult},
    quick, settings,
};

#[tauri::command(async)]
pub fn get_settings(store: State<'_, settings::Store>) -> settings::Settings {
    store.get()
}

/// Registers the new shortcut first: one that cannot be had (another app holds
/// it) is refused before anything is saved.
#[tauri::command(async)]
pub fn save_settings(
    app: AppHandle,
    store: State<'_, settings::Store>,
    settings: settings::Settings,
) -> CommandResult<settings::Settings> {
    settings.validate()?;
    quick::set_shortcut(&app, &settings.quick_reveal_shortcut).map_err(CommandError::invalid)?;
    store.save(settings)
}
