//! The preferences screen: read and save; they take effect at once.

use tauri::State;

use crate::{error::CommandResult, settings};

#[tauri::command(async)]
pub fn get_settings(store: State<'_, settings::Store>) -> settings::Settings {
    store.get()
}

#[tauri::command(async)]
pub fn save_settings(
    store: State<'_, settings::Store>,
    settings: settings::Settings,
) -> CommandResult<settings::Settings> {
    store.save(settings)
}
