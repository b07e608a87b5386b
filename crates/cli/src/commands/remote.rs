//! remote add, edit, show, set-token, ls, test, rm.

use anyhow::Result;
use keyhaven_core::{
    SecretName,
    remote::{self, KeyAge, Kind, KvLocation, RemoteConfig, Scope, WriteAccess},
    sync::{self, Selection},
    text::parse_date,
};

use super::Context;
use crate::output::{note, say};
use crate::{
    cli::{KvArgs, ListFormat, RemoteCommand, RemoteKind, RemoteScope, SelectionArgs},
    exit, output,
};

pub fn dispatch(ctx: &mut Context, command: RemoteCommand) -> Result<()> {
    match command {
        RemoteCommand::Add { name, kind, url, scope, kv, expires, selection } => {
            let config = config(&name, kind, url.as_deref(), scope, kv)?;
            add(ctx, &config, expires.as_deref(), selection)
        }
        RemoteCommand::Edit { name, selection, drop, clear } => edit(ctx, &name, selection, &drop, clear),
        RemoteCommand::Show { name } => show(ctx, &name),
        RemoteCommand::SetToken { name, expires } => set_token(ctx, &name, expires.as_deref()),
        RemoteCommand::Ls { format } => {
            ctx.json |= format == ListFormat::Json;
            ls(ctx, format == ListFormat::Names)
        }
        RemoteCommand::Test { name } => test(ctx, &name),
        RemoteCommand::Rm { name, yes } => rm(ctx, &name, yes),
    }
}

/// The remote `add` stores, from its flags.
fn config(
    name: &str,
    kind: RemoteKind,
    url: Option<&str>,
    scope: Option<RemoteScope>,
    kv: KvArgs,
) -> Result<RemoteConfig> {
    let kind = match kind {
        RemoteKind::Runloop => Kind::Runloop,
        RemoteKind::Runtype => Kind::Runtype,
        RemoteKind::Runtools => Kind::Runtools,
        RemoteKind::Openbao => Kind::Openbao,
    };
    let scope = scope.map(|scope| match scope {
        RemoteScope::User => Scope::User,
        RemoteScope::Org => Scope::Org,
    });
    let config = RemoteConfig::new(name, kind, url.unwrap_or(kind.default_url()), scope)?;
    Ok(match kind {
        Kind::Openbao => {
            let location = KvLocation::new(&kv.mount, &kv.prefix, kv.namespace.as_deref())?;
            let location = match &kv.approle {
                Some(role_id) => location.with_approle(role_id)?,
                None => location,
            };
            config.with_kv(location)?
        }
        _ if kv.namespace.is_some()
            || kv.approle.is_some()
            || !kv.prefix.is_empty()
            || kv.mount != "secret" =>
        {
            return Err(exit::invalid(
                "--mount, --prefix, --namespace and --approle are for OpenBao remotes (--kind openbao) only",
            ));
        }
        _ => config,
    })
}

fn add(ctx: &mut Context, config: &RemoteConfig, expires: Option<&str>, rules: SelectionArgs) -> Result<()> {
    let (name, kind) = (config.name.as_str(), config.kind);
    let expires = expires.map(|text| parse_date("--expires", text)).transpose()?.flatten();
    let selection = Selection::new(rules.include, rules.categories, rules.exclude)?;
    // The remote's row is tagged with the vault key, so adding one unlocks
    // (first: with --passphrase-stdin the passphrase is stdin's first line).
    let mut vault = ctx.unlocked()?;
    let token = ctx.input.token(name, key_name(config))?;
    vault.add_remote(config, &token)?;
    if expires.is_some() {
        vault.set_remote_expiry(name, expires)?;
    }
    if !selection.is_empty() {
        vault.set_remote_selection(name, &selection)?;
    }
    if expires.is_none() && kind == Kind::Openbao {
        expiry_from_remote(&mut vault, config)?;
    }
    let mode = remote::token_mode(&token).map(|mode| format!(" with a {mode} key")).unwrap_or_default();
    note!("added remote {name} ({kind}, {}){mode}; `keyhaven remote test {name}` checks it", config.url);
    let (chosen, _) = sync::partition(&selection, &vault.list()?);
    if selection.is_empty() {
        note!(
            "nothing is chosen to sync with {name} yet: `keyhaven remote edit {name} --include NAME_OR_PATTERN`"
        );
    } else {
        note!("{} secret(s) chosen for {name}; `keyhaven remote show {name}` lists them", chosen.len());
    }
    warn_if_shared(config);
    if ctx.json {
        return output::json(&serde_json::json!({ "added": vault.remote(name)?, "chosen": chosen }));
    }
    Ok(())
}

/// Whether the remote logs in with AppRole (its key is a secret id).
fn approle(config: &RemoteConfig) -> bool {
    config.kv.as_ref().is_some_and(|kv| kv.role_id.is_some())
}

/// What a remote's key is called: an AppRole login's is its secret id.
fn key_name(config: &RemoteConfig) -> &'static str {
    if approle(config) { "AppRole secret id" } else { "API token" }
}

/// An OpenBao remote's token expiry, as the server tells it (`lookup-self`),
/// stored as if given with `--expires`, so it is shown and warned about like
/// any key's. A remote that cannot be asked now is still added; the note says so.
fn expiry_from_remote(vault: &mut keyhaven_core::UnlockedVault, config: &RemoteConfig) -> Result<()> {
    let name = config.name.as_str();
    if approle(config) {
        note!("{name}: logs in with AppRole at each sync, and again when half its token's lease has passed");
        return Ok(());
    }
    match vault.expiry_from_remote(name) {
        Ok(Some(date)) => note!(
            "{name}: the token expires {date} (UTC), as the server says; it is warned about from 14 days before"
        ),
        Ok(None) => note!("{name}: the server says the token does not expire"),
        Err(err) => {
            note!("{name}: could not ask the server when the token expires ({err}); `--expires DATE` sets it")
        }
    }
    Ok(())
}

/// An org-scope RunTools remote shares what it is given with the whole organisation.
fn warn_if_shared(config: &RemoteConfig) {
    if config.scope == Some(Scope::Org) {
        note!("{}: shared with your organisation: every member can use what is chosen for it", config.name);
    }
}

fn edit(ctx: &mut Context, name: &str, rules: SelectionArgs, drop: &[String], clear: bool) -> Result<()> {
    let mut vault = ctx.unlocked()?;
    let mut selection = if clear { Selection::default() } else { vault.remote_selection(name)? };
    for rule in drop {
        let before = selection.clone();
        for rules in [&mut selection.include, &mut selection.categories, &mut selection.exclude] {
            rules.retain(|known| !known.eq_ignore_ascii_case(rule.trim()));
        }
        if before == selection {
            return Err(exit::invalid(format!("{name} has no rule {rule:?}; `keyhaven remote show {name}`")));
        }
    }
    let join = |mut known: Vec<String>, more: Vec<String>| {
        known.extend(more);
        known
    };
    let selection = Selection::new(
        join(selection.include, rules.include),
        join(selection.categories, rules.categories),
        join(selection.exclude, rules.exclude),
    )?;
    vault.set_remote_selection(name, &selection)?;
    let (chosen, rest) = sync::partition(&selection, &vault.list()?);
    note!(
        "{name}: {} secret(s) chosen, {} not; `keyhaven remote show {name}` lists them",
        chosen.len(),
        rest.len()
    );
    warn_if_shared(&vault.remote(name)?.config);
    if ctx.json {
        return output::json(&serde_json::json!({
            "remote": name, "selection": selection, "chosen": chosen, "not_chosen": rest
        }));
    }
    Ok(())
}

fn show(ctx: &mut Context, name: &str) -> Result<()> {
    let vault = ctx.unlocked()?;
    let info = vault.remote(name)?;
    let selection = vault.remote_selection(name)?;
    let (chosen, rest) = sync::partition(&selection, &vault.list()?);
    if ctx.json {
        return output::json(&serde_json::json!({
            "remote": info,
            "selection": selection,
            "chosen": chosen,
            "not_chosen": rest,
        }));
    }
    let shared =
        if info.config.scope == Some(Scope::Org) { " — shared with your organisation" } else { "" };
    say!("{name}: {} at {}{shared}", info.config.kind, info.config.url);
    let rules = |rules: &[String]| if rules.is_empty() { "-".to_owned() } else { rules.join(", ") };
    say!("include:    {}", rules(&selection.include));
    say!("categories: {}", rules(&selection.categories));
    say!("exclude:    {}", rules(&selection.exclude));
    let names = |names: &[SecretName]| names.iter().map(SecretName::as_str).collect::<Vec<_>>().join(", ");
    say!("chosen ({}): {}", chosen.len(), names(&chosen));
    say!("not chosen ({}): {}", rest.len(), names(&rest));
    Ok(())
}

fn set_token(ctx: &mut Context, name: &str, expires: Option<&str>) -> Result<()> {
    let expires = expires.map(|text| parse_date("--expires", text)).transpose()?.flatten();
    let mut vault = ctx.unlocked()?;
    let config = vault.remote(name)?.config;
    let kind = config.kind;
    let token = ctx.input.token(name, key_name(&config))?;
    vault.set_remote_token(name, &token, expires)?;
    if expires.is_none() && kind == Kind::Openbao {
        expiry_from_remote(&mut vault, &config)?;
    }
    let mode = remote::token_mode(&token).map(|mode| format!(" ({mode})")).unwrap_or_default();
    note!(
        "{name}: new API key{mode} stored; its sync state is kept. Revoke the old key at the service; \
         `keyhaven remote test {name}` checks the new one"
    );
    if ctx.json {
        return output::json(&serde_json::json!({ "key_replaced": vault.remote(name)? }));
    }
    Ok(())
}

fn ls(ctx: &Context, names_only: bool) -> Result<()> {
    let remotes = ctx.open()?.remotes()?;
    if names_only {
        // One name a line: for scripts and shell completion.
        for remote in &remotes {
            say!("{}", remote.config.name);
        }
        return Ok(());
    }
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
                key_age(&r.key),
                r.last_sync.map(output::when).unwrap_or_else(|| "never".into()),
                r.pending.to_string(),
                r.conflicts.to_string(),
            ]
        })
        .collect();
    output::table(&["NAME", "KIND", "URL", "KEY", "KEY AGE", "LAST SYNC", "PENDING", "CONFLICTS"], &rows)?;
    for r in &remotes {
        if let Some(warning) = &r.key.warning {
            note!(
                "warning: {}: {warning}; `keyhaven remote set-token {}` replaces it",
                r.config.name,
                r.config.name
            );
        }
    }
    Ok(())
}

/// "12 days", with the expiry when there is one.
fn key_age(key: &KeyAge) -> String {
    let age = format!("{} day{}", key.days, if key.days == 1 { "" } else { "s" });
    match key.expires {
        Some(date) => format!("{age}, expires {date}"),
        None => age,
    }
}

fn test(ctx: &mut Context, name: &str) -> Result<()> {
    let vault = ctx.unlocked()?;
    let api = vault.connect(name)?;
    let check = remote::check(api.as_ref()).map_err(|err| keyhaven_core::Error::from(err).at_remote(name))?;
    if ctx.json {
        return output::json(&serde_json::json!({
            "remote": name,
            "ok": true,
            "capabilities": check.capabilities,
            "writes": check.writes,
            "operations": check.operations,
        }));
    }
    let writes = match check.writes {
        WriteAccess::Refused => {
            "; writes refused: a read-only key (or one without the role): syncs cannot push"
        }
        WriteAccess::NotRefused => "; writes not refused",
        WriteAccess::Allowed => "; the server's policies allow writes",
        WriteAccess::Unknown => "; write access unknown",
    };
    let reveal = if check.capabilities.can_reveal { "; values can be fetched" } else { "" };
    say!("{name}: reachable, token accepted{writes}{reveal}");
    for op in &check.operations {
        let access = match op.access {
            WriteAccess::NotRefused => "not refused",
            WriteAccess::Allowed => "allowed",
            WriteAccess::Refused => "refused",
            WriteAccess::Unknown => "unknown",
        };
        say!("  {:<14} {access}", op.operation.as_str());
    }
    Ok(())
}

fn rm(ctx: &mut Context, name: &str, yes: bool) -> Result<()> {
    let mut vault = ctx.open()?;
    vault.remote(name)?;
    if !yes
        && !ctx
            .confirm(&format!("Forget remote {name} and its sync state? Nothing on the remote changes."))?
    {
        note!("nothing removed");
        return Ok(());
    }
    vault.remove_remote(name)?;
    note!("removed remote {name}");
    if ctx.json {
        return output::json(&serde_json::json!({ "removed": name }));
    }
    Ok(())
}
