//! Links, the missing-secrets check and intake forms. A link is parsed and
//! vetted by core before the UI sees it, and every request the UI sends back
//! is vetted again: the webview never picks a remote or a URL on its own.
//! Values the vault fills go from the vault to the remote without passing
//! through the webview.

use std::collections::BTreeMap;

use jiff::Timestamp;
use keyhaven_core::{
    intake::{self, Destination},
    link::{self, Action, Intake, Link},
    remote::{
        RemoteConfig,
        runtype::{CheckResult, Manifest, SetupUrl},
    },
};
use secrecy::SecretString;
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use ts_rs::TS;

use super::{blocking, session};
use crate::{
    AppState,
    error::{CommandError, CommandResult},
    links::Pending,
};

/// An intake form as the window shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct IntakeForm {
    pub manifest: Manifest,
    /// Items the vault's secret of the same name can fill.
    pub in_vault: Vec<String>,
    /// Where the form sends the user next.
    pub next: Vec<Destination>,
}

/// What a submit came to.
#[derive(Debug, Clone, Serialize, TS)]
pub struct IntakeOutcome {
    /// The form as it is now.
    pub form: IntakeForm,
    /// How many values the remote accepted (0 when the form had changed).
    pub submitted: u32,
    /// The form changed since it was shown (a 409): what changed. Nothing was submitted.
    pub changes: Vec<String>,
    /// Submitted, but not kept in the vault: names it cannot hold.
    pub skipped: Vec<String>,
    /// Submitted, but refused by the form (its status after the submit, such
    /// as "invalid"), so the vault's value was left as it was: "KEY (status)".
    pub not_kept: Vec<String>,
}

/// A setup URL on the remote's dashboard for the missing keys.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SetupLink {
    pub setup: SetupUrl,
    /// Only a URL on the remote's own site is opened.
    pub openable: bool,
}

fn configs(state: &State<'_, AppState>) -> CommandResult<Vec<RemoteConfig>> {
    Ok(session(state).vault()?.remotes()?.into_iter().map(|remote| remote.config).collect())
}

/// The link that arrived last, parsed and vetted; `None` when none waits.
/// Works locked: the UI asks to unlock before it acts on one.
#[tauri::command(async)]
pub fn take_link(state: State<'_, AppState>, pending: State<'_, Pending>) -> CommandResult<Option<Link>> {
    let Some(text) = pending.take() else { return Ok(None) };
    let parsed = link::parse(&text).map_err(keyhaven_core::Error::from)?;
    link::vet(&parsed, &configs(&state)?, Timestamp::now()).map_err(keyhaven_core::Error::from)?;
    Ok(Some(parsed))
}

/// Vets an intake the UI sends back, as if it had come in a link.
fn vetted(state: &State<'_, AppState>, intake: &Intake) -> CommandResult<RemoteConfig> {
    vet_request(configs(state)?, intake)
}

fn vet_request(configs: Vec<RemoteConfig>, intake: &Intake) -> CommandResult<RemoteConfig> {
    let as_link = Link { action: Action::Intake(intake.clone()), expires: None };
    link::vet(&as_link, &configs, Timestamp::now()).map_err(keyhaven_core::Error::from)?;
    Ok(configs.into_iter().find(|config| config.name == intake.remote).expect("vetted"))
}

/// Which of `keys` the remote has: found, missing, revoked.
#[tauri::command]
pub async fn check_keys(app: AppHandle, remote: String, keys: Vec<String>) -> CommandResult<CheckResult> {
    blocking(app, move |app| {
        let api = session(&app.state::<AppState>()).unlocked()?.connect_runtype(&remote)?;
        Ok(api.check(&keys).map_err(keyhaven_core::Error::from_remote(&remote))?)
    })
    .await
}

/// A URL on the remote's dashboard where the missing `keys` can be set.
#[tauri::command]
pub async fn setup_url(app: AppHandle, remote: String, keys: Vec<String>) -> CommandResult<SetupLink> {
    blocking(app, move |app| {
        let (api, config) = {
            let state = app.state::<AppState>();
            let mut session = session(&state);
            let vault = session.unlocked()?;
            (vault.connect_runtype(&remote)?, vault.remote(&remote)?.config)
        };
        let setup = api.setup_url(&keys, None).map_err(keyhaven_core::Error::from_remote(&remote))?;
        let openable = setup.url.as_deref().is_some_and(|url| link::may_open(url, &config));
        Ok(SetupLink { setup, openable })
    })
    .await
}

fn form(vault: &keyhaven_core::Vault, config: &RemoteConfig, manifest: Manifest) -> IntakeForm {
    let in_vault = intake::fillable(vault, &manifest).into_iter().map(|item| item.item_id.clone()).collect();
    let next = intake::destinations(&manifest, config, Timestamp::now());
    IntakeForm { manifest, in_vault, next }
}

/// Fetches the intake form and marks what the vault can fill.
#[tauri::command]
pub async fn intake_form(app: AppHandle, intake: Intake) -> CommandResult<IntakeForm> {
    blocking(app, move |app| {
        let state = app.state::<AppState>();
        let config = vetted(&state, &intake)?;
        let api = session(&state).unlocked()?.connect_runtype(&intake.remote)?;
        let return_url = intake.return_url.as_ref().map(url::Url::as_str);
        let manifest = api
            .intake_manifest(&intake::source(&intake), return_url)
            .map_err(keyhaven_core::Error::from_remote(&intake.remote))?;
        Ok(form(session(&state).vault()?, &config, manifest))
    })
    .await
}

/// Submits the form as the user saw it (`manifest`, for each item's version):
/// `from_vault` item ids take the vault's secret of the same name, `typed`
/// maps item ids to what the user typed. With `keep`, accepted values are
/// kept in the vault too.
#[tauri::command]
pub async fn submit_intake(
    app: AppHandle,
    intake: Intake,
    manifest: Manifest,
    from_vault: Vec<String>,
    typed: BTreeMap<String, String>,
    keep: bool,
) -> CommandResult<IntakeOutcome> {
    let typed: Vec<(String, SecretString)> =
        typed.into_iter().map(|(item, value)| (item, SecretString::from(value))).collect();
    blocking(app, move |app| {
        let state = app.state::<AppState>();
        let config = vetted(&state, &intake)?;
        // On a handle of its own, like a sync: locking never waits for the remote.
        let mut vault = state.session().unlocked()?.reopen()?;
        let mut values = typed;
        values.extend(intake::values_from_vault(&mut vault, &manifest, &from_vault)?);
        let outcome = intake::submit_and_keep(&mut vault, &intake, &manifest, &values, keep)?;
        let submitted = u32::try_from(outcome.submitted).unwrap_or(u32::MAX);
        let form = form(&vault, &config, outcome.form);
        let not_kept = if keep {
            outcome.not_kept.iter().map(|(key, status)| format!("{key} ({status})")).collect()
        } else {
            Vec::new()
        };
        Ok(IntakeOutcome { form, submitted, changes: outcome.changes, skipped: outcome.skipped, not_kept })
    })
    .await
}

/// Opens a URL a remote handed back (return, handoff, setup) in the system
/// browser, only when it is on that remote's own site.
#[tauri::command(async)]
pub fn open_remote_url(state: State<'_, AppState>, remote: String, url: String) -> CommandResult<()> {
    let config = session(&state).vault()?.remote(&remote)?.config;
    if !link::may_open(&url, &config) {
        return Err(CommandError::invalid(format!("{url} is not on {remote}'s own site; not opened")));
    }
    open(&url)
}

/// Opens an item's documentation in the system browser: https only.
#[tauri::command(async)]
pub fn open_docs(url: String) -> CommandResult<()> {
    open(docs_url(&url)?.as_str())
}

fn docs_url(text: &str) -> CommandResult<url::Url> {
    match url::Url::parse(text) {
        Ok(url) if url.scheme() == "https" && url.host().is_some() => Ok(url),
        _ => Err(CommandError::invalid("only https documentation links are opened")),
    }
}

fn open(url: &str) -> CommandResult<()> {
    crate::browser::open(url).map_err(|err| CommandError::other(format!("the browser did not open: {err}")))
}

#[cfg(test)]
include!(concat!(env!("OUT_DIR"), "/commands/intake.rs"));

#[cfg(test)]
mod tests {
    use keyhaven_core::{link::SourceKind, remote::Kind};

    use super::*;

    fn request(remote: &str, return_url: Option<&str>) -> Intake {
        Intake {
            remote: remote.into(),
            source: SourceKind::Manual,
            key: Some("onboarding".into()),
            keys: Vec::new(),
            product_id: None,
            return_url: return_url.map(|url| url.parse().unwrap()),
        }
    }

    #[test]
    fn what_the_window_sends_back_is_vetted_again() {
        let configs = || {
            vec![
                RemoteConfig::new("rt", Kind::Runtype, "https://api.runtype.example", None).unwrap(),
                RemoteConfig::new("rl", Kind::Runloop, "https://api.runloop.example", None).unwrap(),
            ]
        };
        let refusal = |intake: &Intake| vet_request(configs(), intake).unwrap_err().message;
        assert_eq!(
            vet_request(configs(), &request("rt", Some("https://app.runtype.example/x"))).unwrap().name,
            "rt"
        );
        assert!(refusal(&request("evil", None)).contains("no remote named \"evil\""));
        assert!(refusal(&request("rl", None)).contains("needs a Runtype remote"));
        assert!(refusal(&request("rt", Some("https://evil.example/"))).contains("return URL"));
        assert!(refusal(&request("rt", Some("http://app.runtype.example/"))).contains("return URL"));
    }

    #[test]
    fn only_https_documentation_is_opened() {
        assert!(docs_url("https://platform.openai.com/api-keys").is_ok());
        for hostile in
            ["javascript:alert(1)", "http://docs.example", "file:///etc/passwd", "docs", "https://"]
        {
            assert!(docs_url(hostile).is_err(), "{hostile}");
        }
    }
}
