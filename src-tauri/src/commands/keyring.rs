//! The app as the keyring: whether it serves the Secret Service, and the
//! items programs stored ("Stored by programs"): listed, removed, or
//! marked to be asked about at every read.

use keyhaven_core::item::ItemInfo;
use tauri::{AppHandle, State};

use super::session;
use crate::{AppState, error::CommandResult, secret_service::KeyringStatus, settings, tray};

/// Whether the app serves as the keyring, and why not when it tried.
#[tauri::command(async)]
pub fn keyring_status(state: State<'_, AppState>) -> KeyringStatus {
    state.secret_service.status()
}

/// The items programs stored, newest change first; locked, only with
/// "Show names while locked" (labels and attributes are in the clear).
#[tauri::command(async)]
pub fn list_items(
    state: State<'_, AppState>,
    store: State<'_, settings::Store>,
) -> CommandResult<Vec<ItemInfo>> {
    let mut items = session(&state).names(store.get().show_names_locked)?.items()?;
    items.sort_by_key(|item| std::cmp::Reverse(item.modified));
    Ok(items)
}

/// Removes item `id` (its history stays until purge, as every removal's).
#[tauri::command(async)]
pub fn remove_item(app: AppHandle, state: State<'_, AppState>, id: u32) -> CommandResult<()> {
    state.touch();
    session(&state).unlocked()?.remove_item(id.into())?;
    tray::changed(&app);
    Ok(())
}

/// Marks item `id` to be asked about at every read (`on`), or not.
#[tauri::command(async)]
pub fn set_item_always_ask(state: State<'_, AppState>, id: u32, on: bool) -> CommandResult<ItemInfo> {
    state.touch();
    Ok(session(&state).unlocked()?.edit_item(id.into(), None, None, Some(on))?)
}

#[cfg(test)]
include!(concat!(env!("OUT_DIR"), "/commands/keyring.rs"));
