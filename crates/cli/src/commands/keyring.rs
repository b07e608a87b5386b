//! Keyhaven as the desktop's keyring: `secret-service` (the freedesktop
//! Secret Service, in the foreground), `git-credential` (git's helper
//! protocol) and `items` (what programs stored).

use std::io::{Read as _, Write as _};

use anyhow::{Context as _, Result};
use keyhaven_core::{approval::Approvals, git_credential};

use super::Context;
use crate::{
    exit,
    output::{self, note},
};

/// `secret-service`: unlocks the vault, then owns org.freedesktop.secrets on
/// the session bus until Ctrl-C, SIGTERM, or another provider's `--replace`.
pub fn secret_service(
    ctx: &mut Context,
    replace: bool,
    no_confirm: bool,
    within: std::time::Duration,
) -> Result<()> {
    let (confirm, who) = if no_confirm {
        (
            keyhaven_secret_service::Confirm::Never,
            "--no-confirm: every program of this user may read every item without being asked".to_owned(),
        )
    } else {
        let askpass = crate::askpass::Askpass::from_env(within, "a program's first read is asked")?;
        let who = format!("a program's first read of an item is asked through {}", askpass.program.display());
        (keyhaven_secret_service::Confirm::Ask(std::sync::Arc::new(Approvals::new(Box::new(askpass)))), who)
    };
    // Never the key remembered in the OS keyring: that keyring is the
    // Secret Service this command is about to be.
    let vault = ctx.unlock_with_passphrase()?;
    let items = vault.items()?.len();
    let host = std::sync::Arc::new(keyhaven_secret_service::Held::new(vault));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the service's runtime")?;
    runtime.block_on(async {
        let mut provider = keyhaven_secret_service::Provider::start(
            ctx.vault_path.clone(),
            host,
            confirm,
            replace,
        )
        .await
        .map_err(|err| match err {
            keyhaven_secret_service::StartError::Taken(_) if replace => exit::invalid(format!(
                "{err}: stop it first (for gnome-keyring, see README \"Use Keyhaven as your keyring\")"
            )),
            keyhaven_secret_service::StartError::Taken(_) => {
                exit::invalid(format!("{err}: stop it first, or pass --replace to take its place"))
            }
            err => exit::invalid(format!("cannot serve the Secret Service: {err}")),
        })?;
        note!("serving {items} item(s) as {}; {who}", keyhaven_secret_service::BUS_NAME);
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("cannot watch for SIGTERM")?;
        tokio::select! {
            lost = provider.name_lost() => {
                lost.context("the session bus")?;
                note!("another provider took {}: stopping", keyhaven_secret_service::BUS_NAME);
                Ok(())
            }
            _ = tokio::signal::ctrl_c() => Ok(()),
            _ = terminate.recv() => Ok(()),
        }
    })
}

/// `git-credential get|store|erase`: git's helper protocol on stdin and stdout.
pub fn git_credential(ctx: &mut Context, action: &str) -> Result<()> {
    if !matches!(action, "get" | "store" | "erase") {
        // git asks helpers to ignore actions they do not know.
        return Ok(());
    }
    let mut input = zeroize::Zeroizing::new(Vec::new());
    std::io::stdin()
        .take(git_credential::MAX_INPUT as u64 + 1)
        .read_to_end(&mut input)
        .context("cannot read git's request")?;
    let request = git_credential::Request::parse(&input)?;
    let mut vault = ctx.unlocked()?;
    match action {
        "get" => {
            let mut out = std::io::stdout().lock();
            git_credential::get(&vault, &request, &mut out)?;
            out.flush().context("cannot answer git")?;
        }
        "store" => {
            git_credential::store(&mut vault, &request)?;
        }
        _ => {
            git_credential::erase(&mut vault, &request)?;
        }
    }
    Ok(())
}

/// `items always-ask NAME on|off`.
pub fn always_ask(ctx: &mut Context, name: &str, on: bool) -> Result<()> {
    let mut vault = ctx.unlocked()?;
    let item = vault
        .items()?
        .into_iter()
        .find(|item| item.name.as_str() == name)
        .ok_or_else(|| exit::invalid(format!("no item is named {name} (`keyhaven items` lists them)")))?;
    let item = vault.edit_item(item.id, None, None, Some(on))?;
    if ctx.json {
        return output::json(&item);
    }
    let how = if on { "every read asks" } else { "reads are asked about as programs were allowed" };
    note!("{}: {how}", item.name);
    Ok(())
}

/// `items`: what programs stored, without values.
pub fn items(ctx: &Context) -> Result<()> {
    let items = ctx.open()?.items()?;
    if ctx.json {
        return output::json(&items);
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            vec![
                keyhaven_core::text::printable(&item.label),
                keyhaven_core::text::printable(&item.summary()),
                item.collection.clone(),
                item.name.to_string(),
                output::when(item.modified),
            ]
        })
        .collect();
    output::table(&["LABEL", "ATTRIBUTES", "COLLECTION", "NAME", "CHANGED"], &rows)?;
    Ok(())
}
