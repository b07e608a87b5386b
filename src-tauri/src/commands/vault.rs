//! Creating, unlocking and locking the vault; its audit log.

use keyhaven_core::{AuditEntry, passphrase};
use secrecy::SecretString;
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use ts_rs::TS;

use super::{kdf, session};
use crate::{
    AppState,
    error::{CommandError, CommandResult},
    settings, tray,
};

/// What the first screen needs to know.
#[derive(Debug, Clone, Serialize, TS)]
pub struct VaultState {
    pub path: String,
    pub exists: bool,
    pub unlocked: bool,
    /// The user chose "remember on this device".
    pub remembered: bool,
}

#[tauri::command(async)]
pub fn vault_state(state: State<'_, AppState>) -> CommandResult<VaultState> {
    let mut session = session(&state);
    let exists = session.exists();
    let remembered = exists && session.vault()?.is_remembered();
    Ok(VaultState {
        path: session.path().display().to_string(),
        exists,
        unlocked: session.is_unlocked(),
        remembered,
    })
}

/// Settings' "Change passphrase": the current one is asked again (an
/// unlocked window is not proof of knowing it), the new one must pass the
/// same strength rule as a new vault's. With `rekey`, every value and remote
/// token is re-encrypted to a new key too, as `keyhaven passwd --rekey`.
/// Says what was done, in a sentence.
#[tauri::command(async)]
pub fn change_passphrase(
    state: State<'_, AppState>,
    current: String,
    replacement: String,
    allow_weak: bool,
    rekey: bool,
) -> CommandResult<String> {
    let (current, new) = (SecretString::from(current), SecretString::from(replacement));
    passphrase::check_new(&new, allow_weak)?;
    let mut session = session(&state);
    keyhaven_core::Vault::open(session.path())?.unlock(&current)?;
    let vault = session.unlocked()?;
    Ok(if rekey {
        let versions = vault.rekey(&new, None)?;
        format!(
            "Passphrase changed; {versions} versions and every remote token were re-encrypted to a new key."
        )
    } else {
        vault.change_passphrase(&new, None)?;
        "Passphrase changed.".to_owned()
    })
}

/// How strong a new passphrase is, as the user types it (core's rule, zxcvbn).
#[tauri::command(async)]
pub fn passphrase_strength(passphrase: String) -> passphrase::Strength {
    passphrase::strength(&SecretString::from(passphrase), &["keyhaven", "vault"])
}

/// A weak passphrase is refused unless the user chose "use it anyway".
#[tauri::command(async)]
pub fn create_vault(
    app: AppHandle,
    state: State<'_, AppState>,
    passphrase: String,
    remember: bool,
    allow_weak: bool,
) -> CommandResult<Option<String>> {
    let passphrase = SecretString::from(passphrase);
    passphrase::check_new(&passphrase, allow_weak)?;
    let mut session = session(&state);
    session.create(&passphrase, kdf()?)?;
    opened(&app, session, remember)
}

/// With `passphrase`; without one, with the key remembered on this device.
/// A sentence for the window when the key was to be remembered and could
/// not be (the vault is unlocked all the same).
#[tauri::command(async)]
pub fn unlock(
    app: AppHandle,
    state: State<'_, AppState>,
    passphrase: Option<String>,
    remember: bool,
) -> CommandResult<Option<String>> {
    let mut session = session(&state);
    match passphrase {
        Some(passphrase) => session.unlock(&SecretString::from(passphrase))?,
        None => session.unlock_with_device_key()?,
    }
    let said = opened(&app, session, remember);
    // Unlocked: each remote is looked at now, not in a few minutes.
    crate::passes::now(&app);
    said
}

/// After a create or an unlock: keep the key in the OS keyring (for the
/// settings' time) if the user asked, and show the tray unlocked.
fn opened(
    app: &AppHandle,
    mut session: std::sync::MutexGuard<'_, crate::session::Session>,
    remember: bool,
) -> CommandResult<Option<String>> {
    let lifetime = app.state::<settings::Store>().get().remember_for();
    let notice = if remember { session.remember(lifetime)? } else { None };
    drop(session);
    tray::update(app);
    Ok(notice)
}

#[tauri::command(async)]
pub fn lock(app: AppHandle, state: State<'_, AppState>) {
    state.touch();
    tray::lock(&app);
}

/// The user is active in the window (the UI sends this at most every few seconds).
#[tauri::command(async)]
pub fn note_activity(state: State<'_, AppState>) {
    state.touch();
}

/// The newest audit entries (what was done, when; never a value); locked,
/// only with "Show names while locked".
#[tauri::command(async)]
pub fn audit_log(
    state: State<'_, AppState>,
    store: State<'_, settings::Store>,
    limit: u32,
) -> CommandResult<Vec<AuditEntry>> {
    Ok(session(&state).names(store.get().show_names_locked)?.audit_log(limit.min(1000))?)
}

/// "Remember on this device": keeps the vault's key in the OS keyring (needs
/// the vault unlocked), or removes it from there.
#[tauri::command(async)]
pub fn set_remember(
    state: State<'_, AppState>,
    store: State<'_, settings::Store>,
    remember: bool,
) -> CommandResult<()> {
    let mut session = session(&state);
    if remember {
        if session.remember(store.get().remember_for())?.is_some() {
            return Err(CommandError::other(
                "this device's keyring could not keep the key (it is locked or missing); nothing was changed",
            ));
        }
    } else {
        session.forget_device_key()?;
    }
    Ok(())
}

#[cfg(test)]
include!(concat!(env!("OUT_DIR"), "/commands/vault.rs"));
