//! The commands the webview may call (each allowed in capabilities/main.json),
//! by subject. Thin: parse, call keyhaven-core, map the error. A value is
//! returned only by `reveal_secret`, which the UI calls when the user asks to
//! see one.

pub mod agent;
pub mod export;
pub mod import;
pub mod intake;
pub mod keyring;
pub mod remotes;
pub mod secrets;
pub mod settings;
#[cfg(test)]
mod typescript;
pub mod vault;

use keyhaven_core::{KdfParams, SecretName};
use tauri::{AppHandle, State};

use crate::{
    AppState,
    error::{CommandError, CommandResult},
};

pub(crate) fn name(text: &str) -> CommandResult<SecretName> {
    Ok(SecretName::parse(text)?)
}

/// The session, for a command the user asked for: it counts as activity.
/// What timers and background refreshes call (the list's pages, the status
/// bar's line) takes `state.session()` instead, so the idle lock still comes.
pub(crate) fn session<'a>(
    state: &'a State<'_, AppState>,
) -> std::sync::MutexGuard<'a, crate::session::Session> {
    state.touch();
    state.session()
}

/// Runs `work` on a thread that may block: calls to a remote go through
/// reqwest's blocking client, which must not run on the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    app: AppHandle,
    work: impl FnOnce(&AppHandle) -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(move || work(&app))
        .await
        .map_err(|err| CommandError::other(format!("the task failed: {err}")))?
}

/// Tests and benchmarks set `KEYHAVEN_KDF=MIB,ITERATIONS`; users get core's
/// calibrated default, never below RFC 9106's recommendation.
pub(crate) fn kdf() -> CommandResult<KdfParams> {
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

#[cfg(test)]
mod bindings {
    //! The UI's TypeScript types are generated from these Rust types and
    //! committed in ui/src/lib/bindings/. This test fails when they are stale;
    //! `UPDATE_BINDINGS=1 cargo test -p keyhaven-app` rewrites them.

    use std::path::Path;

    use ts_rs::{Config, TS};

    use super::*;

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
            vault::VaultState,
            secrets::NewSecret,
            remotes::NewRemote,
            remotes::NewKv,
            remotes::SelectionView,
            remotes::Choice,
            remotes::PassView,
            keyhaven_core::sync::RemoteStatus,
            keyhaven_core::sync::QueuedWrite,
            remotes::SyncProgress,
            remotes::SyncSummary,
            remotes::SyncCount,
            remotes::OpenStep,
            intake::IntakeForm,
            intake::IntakeOutcome,
            intake::SetupLink,
            crate::settings::Settings,
            crate::settings::Theme,
            crate::ssh_agent::AgentStatus,
            crate::asking::Answer,
            crate::asking::ApprovalQuestion,
            crate::secret_service::KeyringStatus,
            keyhaven_core::item::ItemInfo,
            keyhaven_core::approval::Grant,
            CommandError,
            crate::error::FailureKind,
            keyhaven_core::SecretMeta,
            keyhaven_core::secret::SecretKind,
            keyhaven_core::VersionMeta,
            keyhaven_core::SecretName,
            keyhaven_core::AuditEntry,
            keyhaven_core::passphrase::Strength,
            keyhaven_core::vault::RemoteInfo,
            keyhaven_core::vault::SecretRemote,
            keyhaven_core::sync::Selection,
            keyhaven_core::remote::Kind,
            keyhaven_core::remote::Scope,
            keyhaven_core::remote::KvLocation,
            keyhaven_core::remote::Capabilities,
            keyhaven_core::remote::Check,
            keyhaven_core::remote::WriteAccess,
            keyhaven_core::remote::Operation,
            keyhaven_core::remote::OperationAccess,
            keyhaven_core::remote::KeyAge,
            keyhaven_core::sync::SyncMark,
            keyhaven_core::listing::ListFilter,
            keyhaven_core::listing::ListRequest,
            keyhaven_core::listing::ListItem,
            keyhaven_core::listing::ListPage,
            import::ImportStep,
            import::ImportSummary,
            keyhaven_core::import::Plan,
            keyhaven_core::import::Row,
            keyhaven_core::import::Skipped,
            keyhaven_core::import::SourceKind,
            keyhaven_core::export::Format,
            keyhaven_core::sync::SyncState,
            keyhaven_core::sync::Preview,
            keyhaven_core::sync::ConflictInfo,
            keyhaven_core::sync::Keep,
            keyhaven_core::link::Link,
            keyhaven_core::link::Action,
            keyhaven_core::link::Intake,
            keyhaven_core::link::SourceKind,
            keyhaven_core::intake::Destination,
            keyhaven_core::intake::Next,
            keyhaven_core::remote::runtype::Manifest,
            keyhaven_core::remote::runtype::ManifestItem,
            keyhaven_core::remote::runtype::Handoff,
            keyhaven_core::remote::runtype::Source,
            keyhaven_core::remote::runtype::CheckResult,
            keyhaven_core::remote::runtype::SetupUrl
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
