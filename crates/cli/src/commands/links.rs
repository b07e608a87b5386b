//! check, setup-url, intake and open-link: a Runtype remote's view of which
//! keys it has, its intake form, and `keyhaven://` links run through core's
//! parser.

use anyhow::Result;
use keyhaven_core::{
    intake::{self, Next},
    link::{self, Action, Intake},
    remote::{
        RemoteConfig,
        runtype::{Manifest, ManifestItem},
    },
    text::printable,
};
use secrecy::SecretString;

use super::{Context, parse_name};
use crate::output::{note, say};
use crate::{exit, output};

pub fn check(ctx: &mut Context, remote: &str, keys: &[String]) -> Result<()> {
    let vault = ctx.unlocked()?;
    let api = vault.connect_runtype(remote)?;
    let result = api.check(keys).map_err(keyhaven_core::Error::from_remote(remote))?;
    if ctx.json {
        return output::json(&result);
    }
    let mut rows = Vec::new();
    for (status, list) in
        [("found", &result.found), ("missing", &result.missing), ("revoked", &result.revoked)]
    {
        rows.extend(list.iter().map(|key| vec![key.clone(), status.to_owned()]));
    }
    output::table(&["KEY", "STATUS"], &rows)?;
    Ok(())
}

pub fn setup_url(ctx: &mut Context, remote: &str, keys: &[String]) -> Result<()> {
    let vault = ctx.unlocked()?;
    let config = vault.remote(remote)?.config;
    let api = vault.connect_runtype(remote)?;
    let result = api.setup_url(keys, None).map_err(keyhaven_core::Error::from_remote(remote))?;
    if ctx.json {
        // snake_case like every other field the CLI prints (Runtype's wire names are camelCase).
        return output::json(&serde_json::json!({
            "already_configured": result.already_configured,
            "missing": result.missing,
            "revoked": result.revoked,
            "url": result.url,
        }));
    }
    note!(
        "{remote}: {} configured, {} missing, {} revoked",
        result.already_configured.len(),
        result.missing.len(),
        result.revoked.len()
    );
    match &result.url {
        Some(url) => {
            if !link::may_open(url, &config) {
                note!("warning: this URL is not on {remote}'s own site; check it before opening it");
            }
            say!("{}", printable(url));
        }
        None => note!("no setup URL: nothing is missing"),
    }
    Ok(())
}

/// Parses and vets the link, says what it asks, then does the harmless part:
/// `open` shows metadata (never the value), `check` asks the remote.
pub fn open_link(ctx: &mut Context, text: &str) -> Result<()> {
    let parsed = link::parse(text).map_err(keyhaven_core::Error::from)?;
    let configs: Vec<RemoteConfig> = ctx.open()?.remotes()?.into_iter().map(|r| r.config).collect();
    link::vet(&parsed, &configs, jiff::Timestamp::now()).map_err(keyhaven_core::Error::from)?;
    match parsed.action {
        Action::Open { name } => {
            let meta = ctx.open()?.meta(&parse_name(name.as_str())?)?;
            if ctx.json {
                return output::json(&meta);
            }
            let rows = vec![vec![
                meta.name.to_string(),
                meta.category,
                meta.version.to_string(),
                output::when(meta.updated),
            ]];
            output::table(&["NAME", "CATEGORY", "VERSION", "UPDATED"], &rows)?;
            note!("`keyhaven get {}` prints its value", meta.name);
            Ok(())
        }
        Action::Check { remote, keys } => check(ctx, &remote, &keys),
        // A link never submits by itself: values only when typed at the prompt.
        Action::Intake(intake) => {
            self::intake(ctx, &intake, IntakeOptions { fill_from_vault: false, yes: false, store: true })
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct IntakeOptions {
    pub fill_from_vault: bool,
    pub yes: bool,
    pub store: bool,
}

/// Shows the form, gathers values (the vault's, or typed on a terminal),
/// submits them after a confirmation, keeps them in the vault, and shows the
/// form as it is now with where to go next.
pub fn intake(ctx: &mut Context, request: &Intake, options: IntakeOptions) -> Result<()> {
    // The same checks as a link's: a Runtype remote, a return URL on its own site.
    let configs: Vec<RemoteConfig> = ctx.open()?.remotes()?.into_iter().map(|r| r.config).collect();
    let as_link = link::Link { action: Action::Intake(request.clone()), expires: None };
    link::vet(&as_link, &configs, jiff::Timestamp::now()).map_err(keyhaven_core::Error::from)?;
    let mut vault = ctx.unlocked()?;
    let config = vault.remote(&request.remote)?.config;
    let api = vault.connect_runtype(&request.remote)?;
    let source = intake::source(request);
    let return_url = request.return_url.as_ref().map(|url| url.as_str());
    let manifest = api
        .intake_manifest(&source, return_url)
        .map_err(keyhaven_core::Error::from_remote(&request.remote))?;
    show_form(ctx, &manifest);

    let fillable: Vec<String> = if options.fill_from_vault {
        intake::fillable(&vault, &manifest).into_iter().map(|item| item.item_id.clone()).collect()
    } else {
        Vec::new()
    };
    let mut values: Vec<(String, SecretString)> = Vec::new();
    for item in manifest.items.iter().filter(|item| item.status != intake::CONFIGURED) {
        if fillable.contains(&item.item_id) {
            note!("  {}: from the vault", printable(&item.secret_key));
            values.push((item.item_id.clone(), intake::value_from_vault(&mut vault, item)?));
        } else {
            describe_item(item);
            if let Some(value) = ctx.input.optional_value(&item.secret_key)? {
                values.push((item.item_id.clone(), value));
            }
        }
    }
    if values.is_empty() {
        note!("nothing to submit");
        return finish(ctx, &manifest, &config, None);
    }
    let question = format!("Submit {} value(s) to {}?", values.len(), request.remote);
    if !options.yes && !ctx.confirm(&question)? {
        note!("nothing submitted");
        return Ok(());
    }
    let outcome = intake::submit_and_keep(&mut vault, request, &manifest, &values, options.store)?;
    if outcome.submitted == 0 {
        note!("the form changed since it was shown; nothing was submitted:");
        for change in &outcome.changes {
            note!("  {}", printable(change));
        }
        show_form(ctx, &outcome.form);
        return Err(exit::Failure(
            exit::SYNC_INCOMPLETE,
            "run the intake again to fill the form as it is now".into(),
        )
        .into());
    }
    for (key, status) in outcome.not_kept.iter().filter(|_| options.store) {
        note!(
            "warning: {} was not kept in the vault: {remote} reports it {status}; the vault's value is unchanged",
            printable(key),
            remote = request.remote
        );
    }
    for skipped in &outcome.skipped {
        note!("warning: {} is not a valid name here; not kept in the vault", printable(skipped));
    }
    note!("submitted {} value(s)", outcome.submitted);
    show_form(ctx, &outcome.form);
    finish(ctx, &outcome.form, &config, Some(&outcome))
}

/// The form as the remote sent it; every string of it through
/// `text::printable`, so a title cannot carry terminal escape sequences.
/// With `--json` its table stays off stdout (the JSON at the end has it).
fn show_form(ctx: &Context, manifest: &Manifest) {
    note!("{}", printable(&manifest.title));
    if let Some(description) = &manifest.description {
        note!("{}", printable(description));
    }
    let pending = match manifest.pending_configuration_count {
        0 => String::new(),
        n => format!(", {n} item(s) pending"),
    };
    note!("status: {}{pending}", printable(&manifest.configuration_status).replace('_', " "));
    let rows: Vec<Vec<String>> = manifest
        .items
        .iter()
        .map(|item| {
            vec![
                printable(&item.secret_key),
                printable(&item.status),
                if item.required.unwrap_or(false) { "required".into() } else { String::new() },
                printable(item.display_name.as_deref().unwrap_or_default()),
            ]
        })
        .collect();
    if !ctx.json {
        let _ = output::table(&["KEY", "STATUS", "", "NAME"], &rows);
    }
}

/// What the form says about an item before its value is asked for: its help
/// text, the kind of value it expects, and where to find it.
fn describe_item(item: &ManifestItem) {
    let said = [
        item.description.as_deref(),
        item.help_text.as_deref(),
        item.placeholder.as_deref().map(|p| format!("expects: {p}")).as_deref(),
        item.docs_url.as_deref().map(|url| format!("docs: {url}")).as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(printable)
    .collect::<Vec<_>>();
    if !said.is_empty() {
        note!("  {}: {}", printable(&item.secret_key), said.join(" · "));
    }
}

/// Where to go next, and whether the form still wants something. An
/// expired handoff is not offered; its expiry is shown. With `--json`, what
/// was submitted and the form as it is now (docs/cli.md).
fn finish(
    ctx: &Context,
    manifest: &Manifest,
    config: &RemoteConfig,
    outcome: Option<&intake::Outcome>,
) -> Result<()> {
    let destinations = intake::destinations(manifest, config, jiff::Timestamp::now());
    if ctx.json {
        let items: Vec<_> = manifest
            .items
            .iter()
            .map(|item| {
                serde_json::json!({
                    "key": printable(&item.secret_key), "status": printable(&item.status),
                    "required": item.required.unwrap_or(false),
                    "name": item.display_name.as_deref().map(printable),
                })
            })
            .collect();
        let not_kept: Vec<_> = outcome
            .into_iter()
            .flat_map(|o| &o.not_kept)
            .map(|(key, status)| serde_json::json!({ "key": printable(key), "status": printable(status) }))
            .collect();
        output::json(&serde_json::json!({
            "remote": config.name,
            "submitted": outcome.map_or(0, |o| o.submitted),
            "not_kept": not_kept,
            "skipped": outcome.map(|o| o.skipped.iter().map(|s| printable(s)).collect::<Vec<_>>()).unwrap_or_default(),
            "status": printable(&manifest.configuration_status),
            "pending": manifest.pending_configuration_count,
            "items": items,
            "next": destinations,
        }))?;
    }
    for next in destinations {
        let what = match next.next {
            Next::Return => "return to",
            Next::Handoff => "continue at",
        };
        match next.expired {
            Some(at) => note!("the handoff expired at {at}; not offered"),
            None if next.openable => note!("{what}: {}", printable(&next.url)),
            None => note!("{what}: {} (not on the remote's site: check it first)", printable(&next.url)),
        }
    }
    match manifest.pending_configuration_count {
        0 => Ok(()),
        left => {
            Err(exit::Failure(exit::SYNC_INCOMPLETE, format!("{left} item(s) still need configuration"))
                .into())
        }
    }
}
