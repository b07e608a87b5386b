//! check, setup-url and open-link: a Runtype remote's view of which keys it
//! has, and `keyhaven://` links run through core's parser.

use anyhow::{Context as _, Result};
use keyhaven_core::{
    link::{self, Action},
    remote::RemoteConfig,
};

use super::{Context, parse_name};
use crate::{exit, output};

pub fn check(ctx: &mut Context, remote: &str, keys: &[String]) -> Result<()> {
    let vault = ctx.unlocked()?;
    let api = vault.connect_runtype(remote)?;
    let result =
        api.check(keys).map_err(keyhaven_core::Error::from).with_context(|| format!("remote {remote}"))?;
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
    let result = api
        .setup_url(keys, None)
        .map_err(keyhaven_core::Error::from)
        .with_context(|| format!("remote {remote}"))?;
    if ctx.json {
        return output::json(&result);
    }
    eprintln!(
        "{remote}: {} configured, {} missing, {} revoked",
        result.already_configured.len(),
        result.missing.len(),
        result.revoked.len()
    );
    match &result.url {
        Some(url) => {
            if !link::may_open(url, &config) {
                eprintln!("warning: this URL is not on {remote}'s own site; check it before opening it");
            }
            println!("{url}");
        }
        None => eprintln!("no setup URL: nothing is missing"),
    }
    Ok(())
}

/// Parses and vets the link, says what it asks, then does the harmless part:
/// `open` shows metadata (never the value), `check` asks the remote.
pub fn open_link(ctx: &mut Context, text: &str) -> Result<()> {
    let parsed = link::parse(text).map_err(|err| exit::invalid(format!("link refused: {err}")))?;
    let configs: Vec<RemoteConfig> = ctx.open()?.remotes()?.into_iter().map(|r| r.config).collect();
    link::vet(&parsed, &configs, jiff::Timestamp::now())
        .map_err(|err| exit::invalid(format!("link refused: {err}")))?;
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
            eprintln!("`keyhaven get {}` prints its value", meta.name);
            Ok(())
        }
        Action::Check { remote, keys } => check(ctx, &remote, &keys),
        Action::Intake(intake) => Err(exit::Failure(
            exit::FAILURE,
            format!(
                "an intake link for {} ({} source): Keyhaven does not run intake links yet",
                intake.remote,
                intake.source.as_str()
            ),
        )
        .into()),
    }
}
