//! Secrets: metadata (works locked), reveal and copy, add, rotate, rollback,
//! remove, pin.

use keyhaven_core::{
    SecretMeta, SecretName, VersionMeta,
    listing::{ListPage, ListRequest},
    reference::Reference,
    secret::{self, MetaEdit, SecretFields},
    vault::Access,
};
use secrecy::{ExposeSecret, SecretString};
use tauri::{AppHandle, State};
use ts_rs::TS;

use super::{name, session};
use crate::{
    AppState, clipboard,
    error::{CommandError, CommandResult},
    notify, pusher, quick, settings, tray,
};

/// Metadata of every live secret; locked, only with "Show names while locked".
#[tauri::command(async)]
pub fn list_secrets(
    state: State<'_, AppState>,
    store: State<'_, settings::Store>,
) -> CommandResult<Vec<SecretMeta>> {
    Ok(session(&state).names(store.get().show_names_locked)?.list()?)
}

/// The main list's rows in view, searched and paged in core (listing.rs),
/// so the window never holds the whole vault's metadata; locked, only with
/// "Show names while locked".
#[tauri::command(async)]
pub fn list_page(
    state: State<'_, AppState>,
    store: State<'_, settings::Store>,
    request: ListRequest,
) -> CommandResult<ListPage> {
    // Not user activity by itself (a push or a pass reloads the list); the
    // window notes the typing and scrolling that ask for pages.
    let mut session = state.session();
    let choosers = super::remotes::choosers(&mut session)?;
    let vault = session.names(store.get().show_names_locked)?;
    Ok(state.listing().page(vault, &choosers, &request, jiff::Zoned::now().date())?)
}

/// Its versions (dates and origins, never a value); locked, only with
/// "Show names while locked".
#[tauri::command(async)]
pub fn secret_history(
    state: State<'_, AppState>,
    store: State<'_, settings::Store>,
    name: String,
) -> CommandResult<Vec<VersionMeta>> {
    Ok(session(&state).names(store.get().show_names_locked)?.history(&self::name(&name)?)?)
}

/// The value, for the user who asked to see it.
#[tauri::command(async)]
pub fn reveal_secret(app: AppHandle, state: State<'_, AppState>, name: String) -> CommandResult<String> {
    let name = self::name(&name)?;
    let value = session(&state).unlocked()?.reveal(&name, Access::Show)?;
    used(&app, &state, &name);
    Ok(value.expose_secret().to_owned())
}

/// Offers the secret in the tray's recent list.
fn used(app: &AppHandle, state: &State<'_, AppState>, name: &SecretName) {
    state.used(name);
    tray::update(app);
}

/// Copies the value from Rust; returns the seconds until it is cleared.
#[tauri::command(async)]
pub fn copy_secret(
    app: AppHandle,
    window: tauri::Window,
    state: State<'_, AppState>,
    name: String,
) -> CommandResult<u32> {
    let name = self::name(&name)?;
    state.touch();
    let seconds = clipboard::copy_secret(&app, &name)?;
    used(&app, &state, &name);
    // Quick reveal closes after a copy: say it where the user looks next.
    if window.label() == quick::LABEL {
        notify::copied(&app, name.as_str(), seconds);
    }
    Ok(seconds)
}

/// Puts the secret's reference (`keyhaven:NAME`) on the clipboard, as text
/// made here from a checked name. A reference is not a secret: no password
/// hint, no clearing, and it works locked.
#[tauri::command(async)]
pub fn copy_reference(state: State<'_, AppState>, name: String) -> CommandResult<String> {
    let reference = Reference { name: self::name(&name)?, version: None }.to_string();
    state
        .clipboard
        .copy_plain(&reference)
        .map_err(|err| CommandError::other(format!("the clipboard is not available: {err}")))?;
    Ok(reference)
}

/// Fields of a new secret, as the add form sends them.
#[derive(Debug, Clone, serde::Deserialize, TS)]
pub struct NewSecret {
    pub name: String,
    pub description: String,
    pub category: String,
    /// YYYY-MM-DD, or empty.
    pub rotate_by: String,
}

#[tauri::command(async)]
pub fn add_secret(
    app: AppHandle,
    state: State<'_, AppState>,
    secret: NewSecret,
    value: String,
) -> CommandResult<SecretMeta> {
    let value = SecretString::from(value);
    let rotate_by = keyhaven_core::text::parse_date("rotation date", &secret.rotate_by)?;
    let non_empty = |text: String| (!text.trim().is_empty()).then_some(text);
    let fields = SecretFields {
        description: non_empty(secret.description),
        category: non_empty(secret.category),
        rotate_by,
    };
    let name = name(&secret.name)?;
    // The form needs a value too; an empty one is never stored from the window.
    secret::check_entered(&name, &value, false)?;
    let meta = session(&state).unlocked()?.set(&name, &value, &fields)?;
    tray::update(&app);
    pusher::changed(&app, [name]);
    Ok(meta)
}

/// A new version: the value typed (a generated one comes from
/// [`generate_value`] first, so the user sees it before it is saved). A
/// rotation reminder that had come moves 90 days ahead (core's `rotate_with`).
#[tauri::command(async)]
pub fn rotate_secret(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    value: String,
) -> CommandResult<SecretMeta> {
    let value = SecretString::from(value);
    let name = self::name(&name)?;
    secret::check_entered(&name, &value, false)?;
    let meta = session(&state).unlocked()?.rotate(&name, &value)?;
    tray::update(&app);
    pusher::changed(&app, [name]);
    Ok(meta)
}

/// A fresh random value of `length` characters (core's generator), for a
/// form to show before it is saved: never a stored value.
#[tauri::command]
pub fn generate_value(length: usize) -> CommandResult<String> {
    Ok(secret::generate_value(length)?.expose_secret().to_owned())
}

/// The edit form's Save: every field as the form shows it, the name too. A
/// new name renames the secret (core's `rename`: every version moves, the old
/// name stays as a tombstone); changed fields are written without a new version.
#[tauri::command(async)]
pub fn edit_secret(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    secret: NewSecret,
) -> CommandResult<SecretMeta> {
    let (from, to) = (self::name(&name)?, self::name(&secret.name)?);
    let rotate_by = keyhaven_core::text::parse_date("rotation date", &secret.rotate_by)?;
    let mut session = session(&state);
    let vault = session.unlocked()?;
    let mut meta = vault.meta(&from)?;
    let edit = MetaEdit {
        description: (secret.description.trim() != meta.description).then_some(secret.description),
        category: (secret.category.trim() != meta.category).then_some(secret.category),
        rotate_by: (rotate_by != meta.rotate_by).then_some(rotate_by),
    };
    edit.validate()?;
    if to != from {
        meta = vault.rename(&from, &to)?;
    }
    if !edit.is_empty() {
        meta = vault.edit(&to, &edit)?;
    }
    drop(session);
    tray::update(&app);
    // The new name is sent (the old one stays on a remote until a prune), and
    // a description or category where the remote holds it.
    pusher::changed(&app, [to]);
    Ok(meta)
}

#[tauri::command(async)]
pub fn rollback_secret(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    version: u32,
) -> CommandResult<SecretMeta> {
    let name = self::name(&name)?;
    let meta = session(&state).unlocked()?.rollback(&name, version)?;
    pusher::changed(&app, [name]);
    Ok(meta)
}

#[tauri::command(async)]
pub fn remove_secret(app: AppHandle, state: State<'_, AppState>, name: String) -> CommandResult<()> {
    let name = self::name(&name)?;
    session(&state).unlocked()?.remove(&name)?;
    tray::update(&app);
    pusher::changed(&app, [name]);
    Ok(())
}

/// Pins or unpins a secret (the tray offers pinned ones). The pin is part of
/// the secret's tagged row, so this needs the key.
#[tauri::command(async)]
pub fn set_pinned(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    pinned: bool,
) -> CommandResult<SecretMeta> {
    let meta = session(&state).unlocked()?.set_pinned(&self::name(&name)?, pinned)?;
    tray::update(&app);
    Ok(meta)
}

#[cfg(test)]
include!(concat!(env!("OUT_DIR"), "/commands/secrets.rs"));
