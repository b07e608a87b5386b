//! One module per group of subcommands. Each command reads its input, calls
//! keyhaven-core and prints; no vault logic lives here.

mod generate;
mod keyring;
mod links;
mod references;
mod remote;
mod run;
mod scan;
mod secrets;
mod ssh;
mod sync;
mod transfer;
mod vault;

use std::{io::IsTerminal, path::PathBuf, process::ExitCode};

use anyhow::{Context as _, Result};
use keyhaven_core::{Error, UnlockedVault, Vault};

use keyhaven_core::link::{Intake, SourceKind};

use self::links::IntakeOptions;
use crate::{
    cli::{Cli, Command, IntakeSource},
    input::{Input, PassphraseEnv, PassphraseSource},
};

/// What every command needs: where the vault is, how to print, how to read input.
pub struct Context {
    pub vault_path: PathBuf,
    pub json: bool,
    pub input: Input,
}

impl Context {
    pub fn open(&self) -> Result<Vault> {
        Ok(Vault::open(&self.vault_path)?)
    }

    /// Opens and unlocks: the remembered device key first, else a passphrase.
    pub fn unlocked(&mut self) -> Result<UnlockedVault> {
        let vault = self.open()?;
        if vault.is_remembered() {
            match vault.unlock_with_device_key() {
                Ok(unlocked) => return Ok(unlocked),
                Err(Error::Locked) => {}
                Err(err) => tracing::warn!("remembered key unavailable: {err}"),
            }
            return self.unlock_with_passphrase();
        }
        let (passphrase, source) = self.input.passphrase()?;
        vault.unlock(&passphrase).map_err(|err| refused(err, source))
    }

    pub fn unlock_with_passphrase(&mut self) -> Result<UnlockedVault> {
        let (passphrase, source) = self.input.passphrase()?;
        self.open()?.unlock(&passphrase).map_err(|err| refused(err, source))
    }

    /// Asks "question [y/N]" on a terminal. Without one nobody can answer, so
    /// it refuses: scripts say `--yes`.
    pub fn confirm(&self, question: &str) -> Result<bool> {
        if !std::io::stdin().is_terminal() {
            return Err(crate::exit::invalid(format!(
                "{question} needs an answer and stdin is not a terminal; pass --yes to confirm"
            )));
        }
        crate::output::ask(&format!("{question} [y/N]"));
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).context("cannot read the answer")?;
        Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
    }
}

/// A wrong passphrase says where it came from (a stale KEYHAVEN_PASSPHRASE
/// is easily forgotten); other errors pass as they are.
fn refused(err: Error, source: PassphraseSource) -> anyhow::Error {
    match err {
        Error::WrongPassphrase => crate::exit::Failure(
            crate::exit::code_of(&err),
            format!("wrong passphrase (it came from {})", source.describe()),
        )
        .into(),
        err => err.into(),
    }
}

/// Whether `command` answers `--json` with JSON; the others refuse it (exit 2)
/// rather than print text a script would take for JSON.
fn prints_json(command: &Command) -> bool {
    matches!(
        command,
        Command::Info
            | Command::Verify
            | Command::Ls { .. }
            | Command::Get { .. }
            | Command::Read { .. }
            | Command::Set { .. }
            | Command::Rotate { .. }
            | Command::Rollback { .. }
            | Command::Edit { .. }
            | Command::Mv { .. }
            | Command::Rm { .. }
            | Command::Purge { .. }
            | Command::History { .. }
            | Command::Log { .. }
            | Command::Sync { .. }
            | Command::Conflicts
            | Command::Status
            | Command::Check { .. }
            | Command::SetupUrl { .. }
            | Command::OpenLink { .. }
            | Command::Intake { .. }
            | Command::Import { .. }
            | Command::Remote { .. }
            | Command::Resolve { .. }
            | Command::Ssh { .. }
            | Command::Grants { .. }
            | Command::Items { .. }
    )
}

pub fn dispatch(cli: Cli, passphrases: PassphraseEnv) -> Result<ExitCode> {
    let vault_path = match cli.vault {
        Some(path) => path,
        None => Vault::default_path().context("no home directory: pass --vault or set KEYHAVEN_VAULT")?,
    };
    if cli.json && !prints_json(&cli.command) {
        let message = "--json: this command prints no JSON (`keyhaven --help` lists those that do)";
        return Err(crate::exit::Failure(2, message.into()).into());
    }
    let mut ctx =
        Context { vault_path, json: cli.json, input: Input::new(cli.passphrase_stdin, passphrases) };
    match cli.command {
        Command::Init { kdf, weak } => vault::init(&mut ctx, kdf, weak.allow_weak),
        Command::Info => vault::info(&ctx),
        Command::Unlock { remember, lifetime } => vault::unlock(&mut ctx, remember, lifetime.as_deref()),
        Command::Lock => vault::lock(&ctx, false),
        Command::Forget => vault::lock(&ctx, true),
        Command::Passwd { kdf, weak, rekey } => vault::passwd(&mut ctx, kdf, weak.allow_weak, rekey),
        Command::Verify => vault::verify(&mut ctx),
        Command::Ls { pattern, removed, due, format } => {
            ctx.json |= format == crate::cli::ListFormat::Json;
            secrets::ls(&ctx, pattern.as_deref(), removed, due, format == crate::cli::ListFormat::Names)
        }
        Command::Get { name, version } => secrets::get(&mut ctx, &name, version),
        Command::Read { reference } => references::read(&mut ctx, &reference),
        Command::Scan { install_hook: true, .. } => scan::install_hook(),
        Command::Scan { paths, git, all_history, staged, .. } => {
            scan::scan(&mut ctx, &scan::ScanArgs { paths, git, all_history, staged })
        }
        Command::Inject { input, output, force, dry_run } => {
            references::inject(&mut ctx, &input, output.as_deref(), force, dry_run)
        }
        Command::Set { name, fields, value, push } => secrets::set(&mut ctx, &name, fields, value, &push),
        Command::Rotate { name, value, rotate_by, push } => {
            secrets::rotate(&mut ctx, &name, value, rotate_by.as_deref(), &push)
        }
        Command::Edit { name, description, category, rotate_by, no_rotate_by, push } => {
            let rotate_by = if no_rotate_by { Some(None) } else { rotate_by.map(Some) };
            secrets::edit(&mut ctx, &name, description, category, rotate_by, &push)
        }
        Command::Mv { from, to, push } => secrets::rename(&mut ctx, &from, &to, &push),
        Command::Rm { names, yes, push } => secrets::rm(&mut ctx, &names, yes, &push),
        Command::Purge { yes } => secrets::purge(&mut ctx, yes),
        Command::History { name } => secrets::history(&ctx, &name),
        Command::Rollback { name, version, push } => secrets::rollback(&mut ctx, &name, version, &push),
        Command::Log { limit } => secrets::log(&ctx, limit),
        Command::Remote { command } => remote::dispatch(&mut ctx, command),
        Command::Ssh { command } => ssh::dispatch(&mut ctx, command),
        Command::SshAgent { socket, confirm, locked, answer_within } => {
            let within = std::time::Duration::from_secs(answer_within);
            ssh::agent(&mut ctx, socket, confirm, locked, within)
        }
        Command::Grants { command } => ssh::grants(&mut ctx, command),
        Command::SecretService { replace, no_confirm, answer_within } => keyring::secret_service(
            &mut ctx,
            replace,
            no_confirm,
            std::time::Duration::from_secs(answer_within),
        ),
        Command::GitCredential { action } => keyring::git_credential(&mut ctx, &action),
        Command::Items { command: None } => keyring::items(&ctx),
        Command::Items { command: Some(crate::cli::ItemsCommand::AlwaysAsk { name, state }) } => {
            keyring::always_ask(&mut ctx, &name, state == crate::cli::OnOff::On)
        }
        Command::Sync { remote, dry_run, prune, pull, accept_new, yes } => {
            let accept_new = if accept_new {
                keyhaven_core::sync::AcceptNew::All
            } else {
                keyhaven_core::sync::AcceptNew::None
            };
            let options =
                keyhaven_core::sync::SyncOptions { dry_run, prune, pull, accept_new, ..Default::default() };
            sync::sync(&mut ctx, remote.as_deref(), options, yes)
        }
        Command::Status => sync::status(&ctx),
        Command::Conflicts => sync::conflicts(&ctx),
        Command::Check { remote, keys } => links::check(&mut ctx, &remote, &keys),
        Command::SetupUrl { remote, keys } => links::setup_url(&mut ctx, &remote, &keys),
        Command::OpenLink { url } => links::open_link(&mut ctx, &url),
        Command::Generate { what, out } => generate::generate(what, &out),
        Command::Completion { shell } => generate::completion(shell),
        Command::Intake {
            remote,
            source,
            key,
            keys,
            product_id,
            fill_from_vault,
            yes,
            no_store,
            return_url,
        } => {
            let source = match source {
                IntakeSource::Manual => SourceKind::Manual,
                IntakeSource::Secret => SourceKind::Secret,
                IntakeSource::Product => SourceKind::Product,
            };
            let return_url = return_url
                .map(|text| keyhaven_core::link::absolute_url(&text))
                .transpose()
                .map_err(|err| crate::exit::invalid(format!("--return-url: {err}")))?;
            let intake = Intake { remote, source, key, keys, product_id, return_url };
            links::intake(&mut ctx, &intake, IntakeOptions { fill_from_vault, yes, store: !no_store })
        }
        Command::Resolve { name: Some(name), keep, remote, accept_unreadable, .. } => {
            sync::resolve(&mut ctx, &name, keep, remote.as_deref(), accept_unreadable)
        }
        Command::Resolve { name: None, keep, remote, accept_unreadable, .. } => {
            sync::resolve_all(&mut ctx, keep, remote.as_deref(), accept_unreadable)
        }
        Command::Import { file, from, dry_run, map, overwrite, include_notes, keyfile } => transfer::import(
            &mut ctx,
            &file,
            &transfer::ImportArgs { from, dry_run, map, overwrite, include_notes, keyfile },
        ),
        Command::Export { pattern, format, reveal, output, force } => {
            transfer::export(&mut ctx, pattern.as_deref(), format, reveal, output.as_deref(), force)
        }
        Command::Run { only, env_file, allow_var, clean_env, no_masking, command } => {
            let options = run::RunOptions {
                only,
                env_files: env_file,
                allow_vars: allow_var,
                clean_env,
                masking: !no_masking,
            };
            return run::run(&mut ctx, &options, command);
        }
    }
    .map(|()| ExitCode::SUCCESS)
}

fn parse_name(name: &str) -> Result<keyhaven_core::SecretName> {
    Ok(keyhaven_core::SecretName::parse(name)?)
}
