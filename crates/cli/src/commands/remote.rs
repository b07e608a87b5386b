//! remote add, ls, test, rm.

use anyhow::{Context as _, Result};
use keyhaven_core::remote::{self, Kind, RemoteConfig, Scope};

use super::Context;
use crate::{
    cli::{RemoteCommand, RemoteKind, RemoteScope},
    output,
};

pub fn dispatch(ctx: &mut Context, command: RemoteCommand) -> Result<()> {
    match command {
        RemoteCommand::Add { name, kind, url, scope } => add(ctx, &name, kind, &url, scope),
        RemoteCommand::Ls => ls(ctx),
        RemoteCommand::Test { name } => test(ctx, &name),
        RemoteCommand::Rm { name, yes } => rm(ctx, &name, yes),
    }
}

fn add(ctx: &mut Context, name: &str, kind: RemoteKind, url: &str, scope: Option<RemoteScope>) -> Result<()> {
    let kind = match kind {
        RemoteKind::Runloop => Kind::Runloop,
        RemoteKind::Runtype => Kind::Runtype,
        RemoteKind::Runtools => Kind::Runtools,
    };
    let scope = scope.map(|scope| match scope {
        RemoteScope::User => Scope::User,
        RemoteScope::Org => Scope::Org,
    });
    let config = RemoteConfig::new(name, kind, url, scope)?;
    // The remote's row is tagged with the vault key, so adding one unlocks
    // (first: with --passphrase-stdin the passphrase is stdin's first line).
    let mut vault = ctx.unlocked()?;
    let token = ctx.input.token(name)?;
    vault.add_remote(&config, &token)?;
    let mode = remote::token_mode(&token).map(|mode| format!(" with a {mode} key")).unwrap_or_default();
    eprintln!("added remote {name} ({kind}, {}){mode}; `keyhaven remote test {name}` checks it", config.url);
    Ok(())
}

fn ls(ctx: &Context) -> Result<()> {
    let remotes = ctx.open()?.remotes()?;
    if ctx.json {
        return output::json(&remotes);
    }
    let rows: Vec<Vec<String>> = remotes
        .iter()
        .map(|r| {
            let mut kind = r.config.kind.to_string();
            if let Some(scope) = r.config.scope {
                kind = format!("{kind} ({})", scope.as_str());
            }
            vec![
                r.config.name.clone(),
                kind,
                r.config.url.clone(),
                r.token_mode.clone().unwrap_or_default(),
                r.last_sync.map(output::when).unwrap_or_else(|| "never".into()),
                r.pending.to_string(),
                r.conflicts.to_string(),
            ]
        })
        .collect();
    output::table(&["NAME", "KIND", "URL", "KEY", "LAST SYNC", "PENDING", "CONFLICTS"], &rows)?;
    Ok(())
}

fn test(ctx: &mut Context, name: &str) -> Result<()> {
    let vault = ctx.unlocked()?;
    let api = vault.connect(name)?;
    api.ping().map_err(keyhaven_core::Error::from).with_context(|| format!("remote {name}"))?;
    let caps = api.capabilities();
    if ctx.json {
        return output::json(&serde_json::json!({ "remote": name, "ok": true, "capabilities": caps }));
    }
    println!("{name}: reachable, token accepted");
    Ok(())
}

fn rm(ctx: &mut Context, name: &str, yes: bool) -> Result<()> {
    let mut vault = ctx.open()?;
    vault.remote(name)?;
    if !yes
        && !ctx
            .confirm(&format!("Forget remote {name} and its sync state? Nothing on the remote changes."))?
    {
        eprintln!("nothing removed");
        return Ok(());
    }
    vault.remove_remote(name)?;
    eprintln!("removed remote {name}");
    Ok(())
}
