//! ls, get, set, rotate, rm, purge, history, rollback, log.

use anyhow::{Context as _, Result};
use keyhaven_core::{
    SecretMeta, SecretName,
    reminder::Reminders,
    secret::{self, MetaEdit, Rotation, SecretFields},
    text::parse_date,
    vault::Access,
};

use secrecy::SecretString;

use super::{Context, parse_name};
use crate::output::{note, say};
use crate::{
    cli::{FieldArgs, PushArgs, ValueArgs},
    exit, notices, output,
};
use keyhaven_core::sync::NotHere;

pub fn ls(ctx: &Context, pattern: Option<&str>, removed: bool, due: bool, names_only: bool) -> Result<()> {
    let vault = ctx.open()?;
    let today = jiff::Zoned::now().date();
    let mut secrets = if removed { vault.list_removed()? } else { vault.list()? };
    // Programs' items are listed apart (`keyhaven items`).
    secrets.retain(|meta| meta.kind != keyhaven_core::secret::SecretKind::Item);
    if let Some(pattern) = pattern {
        secrets.retain(|meta| matches_pattern(meta.name.as_str(), pattern));
    }
    if due {
        secrets.retain(|meta| meta.rotation(today).is_some());
        for (remote, why) in Reminders::gather(&vault, today)?.keys {
            note!("remote {remote}: {why} (keyhaven remote set-token {remote})");
        }
    }
    if names_only {
        // One name a line: for scripts and shell completion.
        for meta in &secrets {
            say!("{}", meta.name);
        }
        return Ok(());
    }
    if ctx.json {
        // The vault's secrets, then the names only a remote holds (as the text
        // listing notes them). One row shape: a remote-only row has no
        // metadata (null) and `remote_only: true` with the remotes that hold
        // it; a secret revoked on a remote says where (`revoked_on`).
        let mut listed: Vec<serde_json::Value> =
            secrets.iter().map(serde_json::to_value).collect::<Result<_, _>>()?;
        let mut remote_only = std::collections::BTreeMap::<String, Vec<String>>::new();
        let mut revoked = std::collections::BTreeMap::<String, Vec<String>>::new();
        if !removed {
            for (remote, name, why) in keyhaven_core::sync::not_on_device(&vault)? {
                if pattern.is_none_or(|p| matches_pattern(name.as_str(), p)) {
                    match why {
                        NotHere::RemoteOnly => remote_only.entry(name.to_string()).or_default().push(remote),
                        NotHere::Revoked => revoked.entry(name.to_string()).or_default().push(remote),
                        NotHere::Newer => {}
                    }
                }
            }
        }
        for entry in &mut listed {
            let name = entry["name"].as_str().unwrap_or_default().to_owned();
            entry["remote_only"] = false.into();
            entry["remotes"] = serde_json::Value::Null;
            entry["revoked_on"] = revoked.remove(&name).map_or(serde_json::Value::Null, Into::into);
        }
        listed.extend(remote_only.into_iter().map(|(name, remotes)| {
            serde_json::json!({
                "name": name, "description": null, "category": null, "created": null, "updated": null,
                "version": null, "rotate_by": null, "deleted": null, "pinned": null, "kind": null,
                "remote_only": true, "remotes": remotes, "revoked_on": null,
            })
        }));
        return output::json(&listed);
    }
    let rows: Vec<Vec<String>> = secrets
        .iter()
        .map(|meta| {
            let rotate_by = match (meta.rotate_by, meta.rotation(today)) {
                (Some(date), Some(Rotation::Overdue { .. })) => format!("{date} (overdue)"),
                (Some(date), Some(Rotation::Soon { days, .. })) => format!("{date} (in {days} d)"),
                (Some(date), None) => date.to_string(),
                (None, _) => String::new(),
            };
            vec![
                meta.name.as_str().to_owned(),
                meta.version.to_string(),
                meta.category.clone(),
                output::when(meta.deleted.unwrap_or(meta.updated)),
                rotate_by,
            ]
        })
        .collect();
    let updated = if removed { "REMOVED" } else { "UPDATED" };
    output::table(&["NAME", "VERSION", "CATEGORY", updated, "ROTATE BY"], &rows)?;
    if !removed && !due {
        note_remote_values(&vault, pattern)?;
    }
    Ok(())
}

/// Secrets whose remote value is not here, as sync recorded them (on stderr,
/// so the table on stdout stays the vault's own): a few names each, the
/// rest counted (`ls --json` lists them all).
fn note_remote_values(vault: &keyhaven_core::Vault, pattern: Option<&str>) -> Result<()> {
    let (mut remote_only, mut newer, mut revoked) = (Vec::new(), Vec::new(), Vec::new());
    for (remote, name, why) in keyhaven_core::sync::not_on_device(vault)? {
        if pattern.is_none_or(|p| matches_pattern(name.as_str(), p)) {
            let list = match why {
                NotHere::RemoteOnly => &mut remote_only,
                NotHere::Newer => &mut newer,
                NotHere::Revoked => &mut revoked,
            };
            list.push(format!("{name} ({remote})"));
        }
    }
    let some = |names: &[String]| {
        const SHOWN: usize = 20;
        let more = names.len().saturating_sub(SHOWN);
        let shown = names.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
        if more > 0 { format!("{shown} and {more} more (`keyhaven ls --json` lists them)") } else { shown }
    };
    if !remote_only.is_empty() {
        note!("on remotes only, value not on this device: {}", some(&remote_only));
    }
    if !newer.is_empty() {
        note!("newer on the remote than here: {}", some(&newer));
    }
    if !revoked.is_empty() {
        note!(
            "revoked on the remote: {}; a revoked secret no longer works there: rotate it here \
             (`keyhaven rotate NAME`) and sync to give it a new value",
            some(&revoked)
        );
    }
    Ok(())
}

pub(super) use keyhaven_core::export::matches_pattern;

pub fn get(ctx: &mut Context, name: &str, version: Option<u32>) -> Result<()> {
    let name = parse_name(name)?;
    let mut vault = ctx.unlocked()?;
    // An earlier version is what `read keyhaven:NAME@VERSION` names.
    let reference = keyhaven_core::reference::Reference { name: name.clone(), version };
    let value = vault.resolve(&reference, Access::Reveal)?;
    if ctx.json {
        let shown = version.unwrap_or(vault.meta(&name)?.version);
        return output::value_json(name.as_str(), shown, &value);
    }
    output::value(&value)?;
    notices::overdue([&vault.meta(&name)?]);
    Ok(())
}

fn fields(args: FieldArgs) -> Result<SecretFields> {
    let rotate_by = args.rotate_by.map(|text| parse_date("--rotate-by", &text)).transpose()?.flatten();
    Ok(SecretFields { description: args.description, category: args.category, rotate_by })
}

fn report(ctx: &Context, verb: &str, meta: &SecretMeta) -> Result<()> {
    if ctx.json {
        return output::json(meta);
    }
    note!("{verb} {} (version {})", meta.name, meta.version);
    Ok(())
}

/// The value for `name` from `args` (generated, stdin or the prompt), refused
/// empty unless `--allow-empty`.
fn entered(ctx: &mut Context, name: &SecretName, args: &ValueArgs) -> Result<SecretString> {
    let value = ctx.input.value(name, args.generate)?;
    secret::check_entered(name, &value, args.allow_empty).map_err(|err| {
        exit::Failure(
            exit::code_of(&err),
            format!("{err}; pass --allow-empty to store an empty value on purpose"),
        )
    })?;
    Ok(value)
}

pub fn set(ctx: &mut Context, name: &str, args: FieldArgs, value: ValueArgs, push: &PushArgs) -> Result<()> {
    let name = parse_name(name)?;
    let fields = fields(args)?;
    fields.validate()?;
    let mut vault = ctx.unlocked()?;
    if vault.meta(&name).is_ok() {
        return Err(keyhaven_core::Error::AlreadyExists(name.to_string()).into());
    }
    let value = entered(ctx, &name, &value)?;
    let meta = vault.set(&name, &value, &fields)?;
    report(ctx, "Set", &meta)?;
    super::sync::push_changes(&vault, &[name], push)
}

pub fn rotate(
    ctx: &mut Context,
    name: &str,
    value: ValueArgs,
    rotate_by: Option<&str>,
    push: &PushArgs,
) -> Result<()> {
    let name = parse_name(name)?;
    let next = rotate_by.map(|text| parse_date("--rotate-by", text)).transpose()?.flatten();
    let mut vault = ctx.unlocked()?;
    vault.meta(&name)?;
    let value = entered(ctx, &name, &value)?;
    let meta = vault.rotate_with(&name, &value, next)?;
    report(ctx, "Rotated", &meta)?;
    if let (Some(by), false) = (meta.rotate_by, ctx.json) {
        note!("next rotation reminder: {by}");
    }
    super::sync::push_changes(&vault, &[name], push)
}

pub fn rollback(ctx: &mut Context, name: &str, version: u32, push: &PushArgs) -> Result<()> {
    let name = parse_name(name)?;
    let mut vault = ctx.unlocked()?;
    let meta = vault.rollback(&name, version)?;
    report(ctx, &format!("Rolled back to version {version}:"), &meta)?;
    super::sync::push_changes(&vault, &[name], push)
}

/// `rotate_by`: `Some(None)` takes the reminder away.
pub fn edit(
    ctx: &mut Context,
    name: &str,
    description: Option<String>,
    category: Option<String>,
    rotate_by: Option<Option<String>>,
    push: &PushArgs,
) -> Result<()> {
    let name = parse_name(name)?;
    let rotate_by = match rotate_by {
        Some(Some(text)) => Some(Some(
            parse_date("--rotate-by", &text)?.context("--rotate-by: give a date, or --no-rotate-by")?,
        )),
        Some(None) => Some(None),
        None => None,
    };
    let edit = MetaEdit { description, category, rotate_by };
    if edit.is_empty() {
        let message = "nothing to change: give --description, --category, --rotate-by or --no-rotate-by";
        return Err(exit::Failure(2, message.into()).into());
    }
    edit.validate()?;
    let mut vault = ctx.unlocked()?;
    let meta = vault.edit(&name, &edit)?;
    report(ctx, "Edited", &meta)?;
    // A rotation reminder stays here; a description or category goes where the remote holds it.
    if edit.description.is_some() || edit.category.is_some() {
        super::sync::push_changes(&vault, &[name], push)?;
    }
    Ok(())
}

/// Pushes the new name; the old one's removal waits for `sync --prune`.
pub fn rename(ctx: &mut Context, from: &str, to: &str, push: &PushArgs) -> Result<()> {
    let (from, to) = (parse_name(from)?, parse_name(to)?);
    let mut vault = ctx.unlocked()?;
    let meta = vault.rename(&from, &to)?;
    if ctx.json {
        output::json(&serde_json::json!({ "renamed": from, "to": meta }))?;
    } else {
        note!(
            "Renamed {from} to {to} (version {}); {from} is kept as a tombstone until `keyhaven purge`",
            meta.version
        );
        if !vault.remotes()?.is_empty() {
            note!(
                "remotes that hold {from} keep it until `keyhaven sync --prune`; {to} syncs where it is chosen"
            );
        }
    }
    super::sync::push_changes(&vault, &[to], push)
}

/// Removes each of `names`, all checked first: one that is not there
/// removes none.
pub fn rm(ctx: &mut Context, names: &[String], yes: bool, push: &PushArgs) -> Result<()> {
    let names = names.iter().map(|name| parse_name(name)).collect::<Result<Vec<_>>>()?;
    let mut vault = ctx.unlocked()?;
    for name in &names {
        vault.meta(name)?;
    }
    let list = names.iter().map(|name| name.as_str()).collect::<Vec<_>>().join(", ");
    // Removed here, deleted at once on each remote that holds it (the push).
    let remotes =
        if super::sync::pushing(push) { keyhaven_core::sync::targets(&vault, &names)? } else { Vec::new() };
    let there = match remotes.as_slice() {
        [] => String::new(),
        remotes => format!(" It is deleted on {} too", remotes.join(", ")),
    };
    if !yes && !ctx.confirm(&format!("Remove {list}?{there}"))? {
        anyhow::bail!("nothing removed");
    }
    for name in &names {
        vault.remove(name)?;
    }
    if ctx.json {
        output::json(&serde_json::json!({ "removed": names }))?;
    } else {
        note!("Removed {list} (kept as tombstones until `keyhaven purge`)");
    }
    super::sync::push_changes(&vault, &names, push)
}

pub fn purge(ctx: &mut Context, yes: bool) -> Result<()> {
    let mut vault = ctx.unlocked()?;
    let count = vault.list_removed()?.len();
    if count > 0
        && !yes
        && !ctx.confirm(&format!("Delete {count} removed secrets and all their versions for good?"))?
    {
        anyhow::bail!("nothing purged");
    }
    let purged = vault.purge()?;
    if ctx.json {
        return output::json(&serde_json::json!({ "purged": purged }));
    }
    note!("Purged {purged} removed secrets");
    Ok(())
}

pub fn history(ctx: &Context, name: &str) -> Result<()> {
    let name = parse_name(name)?;
    let versions = ctx.open()?.history(&name)?;
    if ctx.json {
        return output::json(&versions);
    }
    let rows: Vec<Vec<String>> = versions
        .iter()
        .map(|v| vec![v.version.to_string(), output::when(v.created), v.origin.clone()])
        .collect();
    output::table(&["VERSION", "CREATED", "ORIGIN"], &rows)?;
    Ok(())
}

pub fn log(ctx: &Context, limit: u32) -> Result<()> {
    let entries = ctx.open()?.audit_log(limit).context("cannot read the audit log")?;
    if ctx.json {
        return output::json(&entries);
    }
    let rows: Vec<Vec<String>> = entries
        .into_iter()
        .map(|e| vec![output::when(e.at), e.action, e.name.unwrap_or_default(), e.detail.unwrap_or_default()])
        .collect();
    output::table(&["WHEN", "ACTION", "NAME", "DETAIL"], &rows)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::matches_pattern;

    #[test]
    fn patterns_are_globs_or_substrings_ignoring_case() {
        assert!(matches_pattern("OPENAI_API_KEY", "api"));
        assert!(matches_pattern("OPENAI_API_KEY", "*_KEY"));
        assert!(matches_pattern("OPENAI_API_KEY", "open?i*"));
        assert!(!matches_pattern("OPENAI_API_KEY", "*_TOKEN"));
        assert!(!matches_pattern("GITHUB_TOKEN", "api"));
    }
}
