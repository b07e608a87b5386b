//! The commands the webview may call (each allowed in capabilities/main.json).
//! Thin: parse, call keyhaven-core, map the error. A value is returned only by
//! `reveal_secret`, which the UI calls when the user asks to see one.

use std::time::Duration;

use keyhaven_core::{
    AuditEntry, KdfParams, SecretMeta, SecretName, VersionMeta,
    secret::{self, SecretFields},
    vault::Access,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use tauri::{AppHandle, State};
use ts_rs::TS;

use crate::{
    AppState, CLIPBOARD_SECONDS,
    error::{CommandError, CommandResult},
    tray,
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

fn name(text: &str) -> CommandResult<SecretName> {
    Ok(SecretName::parse(text)?)
}

/// The session, for a command: every command is user activity.
fn session<'a>(state: &'a State<'_, AppState>) -> std::sync::MutexGuard<'a, crate::session::Session> {
    state.touch();
    state.session()
}

/// Tests and benchmarks set `KEYHAVEN_KDF=MIB,ITERATIONS`; users get core's
/// calibrated default, never below RFC 9106's recommendation.
fn kdf() -> CommandResult<KdfParams> {
    if let Ok(text) = std::env::var("KEYHAVEN_KDF") {
        let parse = |s: Option<&str>| s.and_then(|s| s.trim().parse().ok());
        let mut parts = text.split(',');
        if let (Some(mib), Some(iterations)) = (parse(parts.next()), parse(parts.next())) {
            return Ok(KdfParams::custom(mib, iterations)?);
        }
        return Err(CommandError::other("KEYHAVEN_KDF must be MIB,ITERATIONS"));
    }
    Ok(KdfParams::for_new_vault()?)
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

#[tauri::command(async)]
pub fn create_vault(
    app: AppHandle,
    state: State<'_, AppState>,
    passphrase: String,
    remember: bool,
) -> CommandResult<()> {
    let passphrase = SecretString::from(passphrase);
    if passphrase.expose_secret().is_empty() {
        return Err(CommandError::invalid("the passphrase must not be empty"));
    }
    let mut session = session(&state);
    session.create(&passphrase, kdf()?)?;
    opened(&app, session, remember)
}

/// With `passphrase`; without one, with the key remembered on this device.
#[tauri::command(async)]
pub fn unlock(
    app: AppHandle,
    state: State<'_, AppState>,
    passphrase: Option<String>,
    remember: bool,
) -> CommandResult<()> {
    let mut session = session(&state);
    match passphrase {
        Some(passphrase) => session.unlock(&SecretString::from(passphrase))?,
        None => session.unlock_with_device_key()?,
    }
    opened(&app, session, remember)
}

/// After a create or an unlock: keep the key in the OS keyring if the user
/// asked, and show the tray unlocked.
fn opened(
    app: &AppHandle,
    mut session: std::sync::MutexGuard<'_, crate::session::Session>,
    remember: bool,
) -> CommandResult<()> {
    if remember {
        session.unlocked()?.remember_on_device()?;
    }
    drop(session);
    let _ = tray::refresh(app);
    Ok(())
}

#[tauri::command(async)]
pub fn lock(app: AppHandle, state: State<'_, AppState>) {
    session(&state).lock();
    let _ = tray::refresh(&app);
}

/// The user is active in the window (the UI sends this at most every few seconds).
#[tauri::command(async)]
pub fn note_activity(state: State<'_, AppState>) {
    state.touch();
}

/// Metadata of every live secret; works locked.
#[tauri::command(async)]
pub fn list_secrets(state: State<'_, AppState>) -> CommandResult<Vec<SecretMeta>> {
    Ok(session(&state).vault()?.list()?)
}

/// The newest audit entries (what was done, when; never a value); works locked.
#[tauri::command(async)]
pub fn audit_log(state: State<'_, AppState>, limit: u32) -> CommandResult<Vec<AuditEntry>> {
    Ok(session(&state).vault()?.audit_log(limit.min(1000))?)
}

#[tauri::command(async)]
pub fn secret_history(state: State<'_, AppState>, name: String) -> CommandResult<Vec<VersionMeta>> {
    Ok(session(&state).vault()?.history(&self::name(&name)?)?)
}

/// The value, for the user who asked to see it.
#[tauri::command(async)]
pub fn reveal_secret(app: AppHandle, state: State<'_, AppState>, name: String) -> CommandResult<String> {
    let name = self::name(&name)?;
    let value = session(&state).unlocked()?.reveal(&name, Access::Reveal)?;
    used(&app, &state, &name);
    Ok(value.expose_secret().to_owned())
}

/// Offers the secret in the tray's recent list.
fn used(app: &AppHandle, state: &State<'_, AppState>, name: &SecretName) {
    state.used(name);
    let _ = tray::refresh(app);
}

/// Copies the value from Rust; returns the seconds until it is cleared.
#[tauri::command(async)]
pub fn copy_secret(app: AppHandle, state: State<'_, AppState>, name: String) -> CommandResult<u64> {
    let name = self::name(&name)?;
    let value = session(&state).unlocked()?.reveal(&name, Access::Copy)?;
    state
        .clipboard
        .copy(value, Duration::from_secs(CLIPBOARD_SECONDS))
        .map_err(|err| CommandError::other(format!("the clipboard is not available: {err}")))?;
    used(&app, &state, &name);
    Ok(CLIPBOARD_SECONDS)
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
pub fn add_secret(state: State<'_, AppState>, secret: NewSecret, value: String) -> CommandResult<SecretMeta> {
    let value = SecretString::from(value);
    let rotate_by = match secret.rotate_by.trim() {
        "" => None,
        date => {
            Some(date.parse().map_err(|_| CommandError::invalid("the rotation date must be YYYY-MM-DD"))?)
        }
    };
    let non_empty = |text: String| (!text.trim().is_empty()).then_some(text);
    let fields = SecretFields {
        description: non_empty(secret.description),
        category: non_empty(secret.category),
        rotate_by,
    };
    Ok(session(&state).unlocked()?.set(&name(&secret.name)?, &value, &fields)?)
}

/// A new version: the value typed, or one generated of `generate` characters.
#[tauri::command(async)]
pub fn rotate_secret(
    state: State<'_, AppState>,
    name: String,
    value: Option<String>,
    generate: Option<usize>,
) -> CommandResult<SecretMeta> {
    let value = match (value, generate) {
        (Some(value), _) => SecretString::from(value),
        (None, Some(len)) => secret::generate_value(len)?,
        (None, None) => return Err(CommandError::other("give a value or a length to generate")),
    };
    Ok(session(&state).unlocked()?.rotate(&self::name(&name)?, &value)?)
}

#[tauri::command(async)]
pub fn rollback_secret(state: State<'_, AppState>, name: String, version: u32) -> CommandResult<SecretMeta> {
    Ok(session(&state).unlocked()?.rollback(&self::name(&name)?, version)?)
}

#[tauri::command(async)]
pub fn remove_secret(state: State<'_, AppState>, name: String) -> CommandResult<()> {
    Ok(session(&state).unlocked()?.remove(&self::name(&name)?)?)
}

#[cfg(test)]
mod bindings {
    //! The UI's TypeScript types are generated from these Rust types and
    //! committed in ui/src/lib/bindings/. This test fails when they are stale;
    //! `UPDATE_BINDINGS=1 cargo test -p keyhaven-app` rewrites them.

    use std::path::Path;

    use ts_rs::{Config, TS};

    use super::*;
    use crate::error::CommandError;

    fn generated() -> Vec<(String, String)> {
        let config = Config::default();
        let mut files = Vec::new();
        let mut add = |name: &str, decl: String| {
            files.push((format!("{name}.ts"), decl));
        };
        macro_rules! export {
            ($($ty:ty),*) => {$(
                add(&<$ty as TS>::name(&config), <$ty as TS>::export_to_string(&config).expect("ts-rs export"));
            )*};
        }
        export!(
            VaultState,
            NewSecret,
            CommandError,
            crate::error::FailureKind,
            SecretMeta,
            VersionMeta,
            SecretName,
            AuditEntry
        );
        files
    }

    #[test]
    fn typescript_bindings_are_fresh() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings");
        let update = std::env::var_os("UPDATE_BINDINGS").is_some();
        let mut stale = Vec::new();
        for (file, text) in generated() {
            let path = dir.join(&file);
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &text).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(file);
            }
        }
        assert!(
            stale.is_empty(),
            "stale TypeScript bindings {stale:?}: run `UPDATE_BINDINGS=1 cargo test -p keyhaven-app`"
        );
    }
}
