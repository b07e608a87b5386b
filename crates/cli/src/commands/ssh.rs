//! ssh generate, add, public, ls, and how the agent treats a key: SSH keys kept in the vault.

use std::{io::Read as _, path::Path};

use anyhow::{Context as _, Result};
use keyhaven_core::{
    approval::Approvals,
    secret::SecretFields,
    ssh::{KeyType, MAX_KEY_FILE, NewKey, SshKeyInfo, SshKeySettings},
};
use zeroize::Zeroizing;

use super::{Context, parse_name};
use crate::{
    cli::{ConfirmWhen, GrantsCommand, OnOff, SshCommand, SshKeyType},
    exit,
    output::{self, note, say},
};

pub fn dispatch(ctx: &mut Context, command: SshCommand) -> Result<()> {
    match command {
        SshCommand::Generate { name, key_type, comment } => {
            generate(ctx, &name, key_type, comment.as_deref())
        }
        SshCommand::Add { name, from, comment } => add(ctx, &name, &from, comment.as_deref()),
        SshCommand::Public { name } => public(ctx, &name),
        SshCommand::Ls => ls(ctx),
        SshCommand::Agent { name, offer } => {
            let on = offer == OnOff::On;
            let what = if on { "agent on" } else { "agent off" };
            let info = settle(ctx, &name, what, |settings| settings.agent = on)?;
            let offered = if info.settings.agent { "offers" } else { "no longer offers" };
            note!("the agent {offered} {} (a running agent sees it at its next request)", info.name);
            Ok(())
        }
        SshCommand::Hosts { name, hosts } => {
            let what = if hosts.is_empty() {
                "hosts cleared".to_owned()
            } else {
                format!("hosts {}", hosts.join(" "))
            };
            let info = settle(ctx, &name, &what, |settings| settings.hosts = hosts)?;
            match info.settings.hosts.as_slice() {
                [] => note!("{} is meant for no host in particular", info.name),
                hosts => note!("the agent offers {} first to {}", info.name, hosts.join(", ")),
            }
            Ok(())
        }
        SshCommand::Forwarding { name, allow } => {
            let on = allow == OnOff::On;
            let what = if on { "forwarding on" } else { "forwarding off" };
            let info = settle(ctx, &name, what, |settings| settings.forwarding = on)?;
            let may = if info.settings.forwarding { "may" } else { "may not" };
            note!("a forwarded agent (ssh -A) {may} sign with {}", info.name);
            Ok(())
        }
    }
}

/// Changes how the agent treats the key `name`; prints the key's new state with --json.
fn settle(
    ctx: &mut Context,
    name: &str,
    what: &str,
    change: impl FnOnce(&mut SshKeySettings),
) -> Result<SshKeyInfo> {
    let name = parse_name(name)?;
    let info = ctx.unlocked()?.set_ssh_settings(&name, what, change)?;
    if ctx.json {
        output::json(&info)?;
    }
    Ok(info)
}

fn generate(ctx: &mut Context, name: &str, key_type: SshKeyType, comment: Option<&str>) -> Result<()> {
    let name = parse_name(name)?;
    let kind = match key_type {
        SshKeyType::Ed25519 => KeyType::Ed25519,
        SshKeyType::Ecdsa => KeyType::Ecdsa,
        SshKeyType::Rsa => KeyType::Rsa,
    };
    let mut vault = ctx.unlocked()?;
    let comment = comment.map_or_else(|| format!("{name}@keyhaven"), str::to_owned);
    let key = NewKey::generate(kind, &comment)?;
    let info = vault.add_ssh_key(&name, &key, &SecretFields::default(), "ssh generate")?;
    stored(ctx, &info)
}

fn add(ctx: &mut Context, name: &str, file: &Path, comment: Option<&str>) -> Result<()> {
    let name = parse_name(name)?;
    let text = read_key_file(file)?;
    let mut vault = ctx.unlocked()?;
    let passphrase = if NewKey::needs_passphrase(&text) {
        Some(ctx.input.import_passphrase(file)?.ok_or_else(|| {
            exit::invalid(format!(
                "{} is encrypted: run on a terminal to be asked for its passphrase, or set KEYHAVEN_IMPORT_PASSPHRASE",
                file.display()
            ))
        })?)
    } else {
        None
    };
    let mut key = NewKey::read(&text, passphrase.as_ref())?;
    if let Some(comment) = comment {
        key.set_comment(comment)?;
    }
    let info = vault.add_ssh_key(&name, &key, &SecretFields::default(), "ssh add")?;
    stored(ctx, &info)?;
    note!(
        "{} was left where it is; once the key works from Keyhaven, remove it (shred -u {})",
        file.display(),
        file.display()
    );
    Ok(())
}

/// The key file's text, at most [`MAX_KEY_FILE`] bytes, in a buffer wiped after.
fn read_key_file(file: &Path) -> Result<secrecy::SecretString> {
    let mut bytes = Zeroizing::new(Vec::new());
    std::fs::File::open(file)
        .with_context(|| format!("cannot open {}", file.display()))?
        .take(MAX_KEY_FILE as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", file.display()))?;
    if bytes.len() > MAX_KEY_FILE {
        return Err(exit::invalid(format!(
            "{} is over {} KiB: no SSH key file is that large",
            file.display(),
            MAX_KEY_FILE / 1024
        )));
    }
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(secrecy::SecretString::from(text)),
        Err(err) => {
            zeroize::Zeroize::zeroize(&mut err.into_bytes());
            Err(exit::invalid(format!("{} is not text: no SSH key file is binary", file.display())))
        }
    }
}

/// Says what was stored and prints the public key on stdout (for
/// `authorized_keys` or a forge's settings).
fn stored(ctx: &Context, info: &SshKeyInfo) -> Result<()> {
    if ctx.json {
        return output::json(info);
    }
    note!("stored {} ({}, {}); the agent offers it", info.name, info.algorithm, info.fingerprint);
    say!("{}", info.public_key);
    Ok(())
}

fn public(ctx: &Context, name: &str) -> Result<()> {
    let name = parse_name(name)?;
    let keys = ctx.open()?.ssh_keys()?;
    let info = keys.into_iter().find(|info| info.name == name).ok_or_else(|| {
        exit::Failure(
            exit::NOT_FOUND,
            format!("{name} is not an SSH key here (`keyhaven ssh ls` lists them)"),
        )
    })?;
    if ctx.json {
        return output::json(&info);
    }
    say!("{}", info.public_key);
    Ok(())
}

fn ls(ctx: &Context) -> Result<()> {
    let keys = ctx.open()?.ssh_keys()?;
    if ctx.json {
        return output::json(&keys);
    }
    let rows: Vec<Vec<String>> = keys
        .into_iter()
        .map(|info| {
            let yes_no = |on: bool| if on { "yes" } else { "no" }.to_owned();
            let hosts =
                if info.settings.hosts.is_empty() { "-".to_owned() } else { info.settings.hosts.join(",") };
            vec![
                info.name.to_string(),
                info.algorithm,
                info.fingerprint,
                info.comment,
                yes_no(info.settings.agent),
                hosts,
                yes_no(info.settings.forwarding),
            ]
        })
        .collect();
    output::table(&["NAME", "TYPE", "FINGERPRINT", "COMMENT", "AGENT", "HOSTS", "FORWARDING"], &rows)?;
    Ok(())
}

/// `ssh-agent`: unlocks the vault (unless `locked`), then serves its SSH
/// keys in the foreground until Ctrl-C or SIGTERM, and removes its socket.
pub fn agent(
    ctx: &mut Context,
    socket: Option<std::path::PathBuf>,
    confirm: ConfirmWhen,
    locked: bool,
    within: std::time::Duration,
) -> Result<()> {
    let socket = match socket {
        Some(socket) => socket,
        None => keyhaven_agent::default_socket().ok_or_else(|| {
            exit::invalid("XDG_RUNTIME_DIR is not set: give the socket's path with --socket")
        })?,
    };
    let askpass = || {
        let why =
            if locked { "--locked asks for the passphrase" } else { "--confirm ask puts its questions" };
        crate::askpass::Askpass::from_env(within, why)
    };
    let (confirm, who) = match confirm {
        ConfirmWhen::Never => (
            keyhaven_agent::Confirm::Never,
            "--confirm never: every program of this user may use them without being asked".to_owned(),
        ),
        ConfirmWhen::Ask => {
            let askpass = askpass()?;
            let who = format!(
                "--confirm ask: a program's first use of a key is asked through {}",
                askpass.program.display()
            );
            (keyhaven_agent::Confirm::Ask(std::sync::Arc::new(Approvals::new(Box::new(askpass)))), who)
        }
    };
    let (vault, unlock) = if locked {
        let unlock =
            crate::askpass::AskpassUnlock { askpass: askpass()?, vault_path: ctx.vault_path.clone() };
        (None, Some(unlock))
    } else {
        (Some(ctx.unlocked()?), None)
    };
    let offered = ctx.open()?.ssh_keys()?.into_iter().filter(|key| key.settings.agent).count();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the agent's runtime")?;
    runtime.block_on(async {
        let listener = keyhaven_agent::bind(&socket)
            .map_err(|err| exit::invalid(format!("cannot serve the agent there: {err}")))?;
        let state = if locked { ", locked until a program asks to sign" } else { "" };
        note!("serving {offered} SSH key(s) at {}{state}; {who}", socket.display());
        // For `eval`, as ssh-agent prints it; the socket is all a client needs.
        say!("SSH_AUTH_SOCK={}; export SSH_AUTH_SOCK;", socket.display());
        let unlock = unlock.map(|unlock| Box::new(unlock) as Box<dyn keyhaven_agent::Unlock>);
        let host = std::sync::Arc::new(keyhaven_agent::Held::new(vault, unlock));
        let agent = keyhaven_agent::Agent::new(ctx.vault_path.as_path(), host, confirm);
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("cannot watch for SIGTERM")?;
        let outcome = tokio::select! {
            served = agent.serve(listener) => served.context("the agent stopped"),
            _ = tokio::signal::ctrl_c() => Ok(()),
            _ = terminate.recv() => Ok(()),
        };
        let _ = std::fs::remove_file(&socket);
        outcome
    })
}

/// `grants ls|revoke`: the programs allowed always.
pub fn grants(ctx: &mut Context, command: GrantsCommand) -> Result<()> {
    match command {
        GrantsCommand::Ls => {
            let grants = ctx.unlocked()?.grants()?;
            if ctx.json {
                return output::json(&grants);
            }
            let rows: Vec<Vec<String>> = grants
                .into_iter()
                .map(|grant| {
                    let granted = output::when(grant.granted);
                    vec![
                        grant.id.to_string(),
                        grant.program,
                        grant.subject,
                        grant.sha256[..12].to_owned(),
                        granted,
                    ]
                })
                .collect();
            output::table(&["ID", "PROGRAM", "MAY USE", "SHA256", "SINCE"], &rows)?;
            Ok(())
        }
        GrantsCommand::Revoke { id } => {
            let grant = ctx.unlocked()?.revoke_grant(id)?;
            if ctx.json {
                return output::json(&grant);
            }
            note!(
                "{} is asked again before it uses {} (a running agent asks at its next request)",
                grant.program,
                grant.subject
            );
            Ok(())
        }
    }
}
