//! `run`: a command with secrets in its environment (every one, `--only`
//! some, or the variables of `--env-file`s, whose `keyhaven:NAME` references
//! are resolved); values in its output are masked unless --no-masking; its
//! exit code is passed through. Names that steer loaders and interpreters
//! (`envfile::inject`) are left out unless named, and the master passphrase
//! never reaches the child.

use std::{
    collections::HashSet,
    ffi::OsString,
    io::{IsTerminal, Read, Write},
    path::PathBuf,
    process::{Command, ExitCode, ExitStatus, Stdio},
    thread,
};

use anyhow::{Context as _, Result};
use keyhaven_core::{
    SecretName, UnlockedVault,
    envfile::{self, EnvValue, Masker, inject},
    vault::Access,
};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::{Context, parse_name};
use crate::output::note;
use crate::{
    exit::{CANNOT_RUN, Failure},
    notices, terminal,
};

/// `run`'s options beside the command.
pub struct RunOptions {
    pub only: Vec<String>,
    pub env_files: Vec<PathBuf>,
    /// Guarded names an env file may set all the same (`--allow-var`).
    pub allow_vars: Vec<String>,
    pub clean_env: bool,
    pub masking: bool,
}

pub fn run(ctx: &mut Context, options: &RunOptions, command: Vec<OsString>) -> Result<ExitCode> {
    let mut vault = ctx.unlocked()?;
    // Every variable the child gets from us; the vault's values are masked,
    // an env file's plain values are not (they are settings, not secrets).
    let Variables { variables, values, used } = if options.env_files.is_empty() {
        let values = from_vault(&mut vault, &options.only)?;
        let variables: Vec<_> = values.iter().map(|(name, value)| (name.clone(), value.clone())).collect();
        let used = values.iter().map(|(name, _)| name.clone()).collect();
        Variables { variables, values: values.into_iter().map(|(_, value)| value).collect(), used }
    } else {
        from_env_files(&mut vault, &options.env_files, &options.allow_vars)?
    };
    notices::overdue(vault.list()?.iter().filter(|meta| used.contains(&meta.name)));
    drop(vault);
    if options.masking {
        // Named once: these reach the output as they are (`envfile::MIN_MASKED`).
        let short: Vec<&str> = variables
            .iter()
            .filter(|(_, value)| !envfile::is_masked(value))
            .filter(|(_, value)| values.iter().any(|masked| masked.expose_secret() == value.expose_secret()))
            .map(|(name, _)| name.as_str())
            .collect();
        if !short.is_empty() {
            note!(
                "warning: not masked in the output, shorter than {} characters: {}",
                envfile::MIN_MASKED,
                short.join(", ")
            );
        }
    }

    let (program, args) = command.split_first().expect("clap requires a command");
    let mut command = Command::new(program);
    command.args(args);
    if options.clean_env {
        command.env_clear();
    }
    for (name, value) in &variables {
        command.env(name.as_str(), value.expose_secret());
    }
    let masking = options.masking;
    // Masked output passes through us: a pseudo-terminal when ours is a
    // terminal (the child keeps its colours and widths, and /dev/tty is the
    // pty), pipes otherwise. With our keyboard a terminal too, the child
    // reads it through the pty.
    let keyboard = terminal::RawMode::settings();
    let pty = if masking && std::io::stdout().is_terminal() {
        Some(
            terminal::open_like(std::io::stdout(), keyboard.as_ref())
                .context("opening a pseudo-terminal for the command")?,
        )
    } else {
        None
    };
    if let Some(pty) = &pty {
        command.stdout(pty.slave.try_clone()?);
        if std::io::stderr().is_terminal() {
            command.stderr(pty.slave.try_clone()?);
        } else {
            command.stderr(Stdio::piped());
        }
        if keyboard.is_some() {
            command.stdin(pty.slave.try_clone()?);
        }
        terminal::control_with_stdout(&mut command);
    } else if masking {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    let mut child = command
        .spawn()
        .map_err(|err| Failure(CANNOT_RUN, format!("cannot run {}: {err}", program.to_string_lossy())))?;
    // Our copies of the child's end must close, or reading ours never ends.
    drop(command);
    // Keys go to the child through the pty while it runs; our terminal is
    // put back as it was when this guard goes.
    let _raw = match (&pty, keyboard) {
        (Some(pty), Some(settings)) => {
            let mut to_child = pty.master.try_clone()?;
            // Left running: it ends with the process, blocked on a key or not.
            thread::spawn(move || std::io::copy(&mut std::io::stdin().lock(), &mut to_child));
            Some(terminal::RawMode::enter(settings).context("setting the terminal up for the command")?)
        }
        _ => None,
    };
    let master = pty.map(|pty| pty.master);

    let status = if masking {
        let stdout: Box<dyn Read + Send> = match master {
            Some(master) => Box::new(master),
            None => Box::new(child.stdout.take().expect("piped")),
        };
        let stderr = child.stderr.take();
        let passphrases = ctx.input.passphrases_given();
        let masker = || Masker::new(values.iter().chain(passphrases));
        let (mut out_masker, mut err_masker) = (masker(), masker());
        thread::scope(|scope| {
            let out = scope.spawn(move || relay(stdout, std::io::stdout(), &mut out_masker));
            let err =
                stderr.map(|stderr| scope.spawn(move || relay(stderr, std::io::stderr(), &mut err_masker)));
            let status = child.wait().context("waiting for the command")?;
            out.join().expect("relay thread")?;
            if let Some(err) = err {
                err.join().expect("relay thread")?;
            }
            Ok::<_, anyhow::Error>(status)
        })?
    } else {
        child.wait().context("waiting for the command")?
    };
    Ok(ExitCode::from(exit_code(status)))
}

/// What the child gets from us.
struct Variables {
    /// Every variable set, the vault's and an env file's.
    variables: Vec<(SecretName, SecretString)>,
    /// The vault's values among them: masked in the output.
    values: Vec<SecretString>,
    /// The secrets they came from.
    used: HashSet<SecretName>,
}

/// Every secret, or `only` these; names that steer loaders and interpreters
/// only when named.
fn from_vault(vault: &mut UnlockedVault, only: &[String]) -> Result<Vec<(SecretName, SecretString)>> {
    let only: Vec<SecretName> = only.iter().map(|name| parse_name(name)).collect::<Result<_>>()?;
    let chosen = if only.is_empty() {
        let (guarded, names): (Vec<SecretName>, Vec<SecretName>) = vault
            .list()?
            .into_iter()
            .map(|meta| meta.name)
            .partition(|name| inject::is_guarded(name.as_str()));
        if !guarded.is_empty() {
            let list = guarded.iter().map(SecretName::as_str).collect::<Vec<_>>().join(", ");
            note!(
                "warning: left out {list}: such variables make shells and loaders run code; \
                 name them with --only to pass them anyway"
            );
        }
        names
    } else {
        only
    };
    Ok(vault.reveal_all(Some(&chosen), Access::Inject)?)
}

/// The files' variables, a later file's winning, with every reference
/// resolved before anything runs: the first that does not resolve fails the
/// run with its file, line and name. A file is as hostile as a remote's name
/// (it may be committed by anyone): a name that steers loaders and shells is
/// left out, literal or reference, unless named with `--allow-var`.
fn from_env_files(vault: &mut UnlockedVault, files: &[PathBuf], allowed: &[String]) -> Result<Variables> {
    let allowed: HashSet<String> = allowed.iter().map(|name| name.to_ascii_uppercase()).collect();
    let mut variables: Vec<(SecretName, SecretString)> = Vec::new();
    let mut values = Vec::new();
    let mut used = HashSet::new();
    let mut left_out = Vec::new();
    for file in files {
        let label = file.display().to_string();
        let text = Zeroizing::new(
            std::fs::read_to_string(file).with_context(|| format!("cannot read the env file {label}"))?,
        );
        for entry in envfile::parse_with_references(&text, &label)? {
            if inject::is_guarded(entry.name.as_str())
                && !allowed.contains(&entry.name.as_str().to_ascii_uppercase())
            {
                left_out.push(format!("{} ({label}, line {})", entry.name, entry.line));
                continue;
            }
            let value = match entry.value {
                EnvValue::Literal(value) => value,
                EnvValue::Reference(reference) => {
                    let value = vault.resolve(&reference, Access::Inject).map_err(|err| {
                        let what = format!("{}={reference}", entry.name);
                        crate::exit::in_file(&label, entry.line, &what, err)
                    })?;
                    values.push(value.clone());
                    used.insert(reference.name);
                    value
                }
            };
            variables.retain(|(name, _)| *name != entry.name);
            variables.push((entry.name, value));
        }
    }
    if !left_out.is_empty() {
        note!(
            "warning: left out {}: such variables make shells and loaders run code; \
             name them with --allow-var to pass them anyway",
            left_out.join(", ")
        );
    }
    Ok(Variables { variables, values, used })
}

/// Copies a child's stream to ours through the masker, chunk by chunk.
fn relay(mut from: impl Read, mut to: impl Write, masker: &mut Masker) -> Result<()> {
    let mut buffer = zeroize::Zeroizing::new(vec![0u8; 8192]);
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            // A pseudo-terminal whose every writer has closed says EIO: the end.
            Err(err) if err.raw_os_error() == Some(rustix::io::Errno::IO.raw_os_error()) => break,
            Err(err) => return Err(err).context("reading the command's output"),
        };
        // A closed stdout on our side (e.g. `| head`) ends the relay quietly.
        if to.write_all(&masker.push(&buffer[..read])).and_then(|()| to.flush()).is_err() {
            return Ok(());
        }
    }
    let _ = to.write_all(&masker.finish()).and_then(|()| to.flush());
    Ok(())
}

fn exit_code(status: ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code & 0xff).unwrap_or(1);
    }
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return 128u8.saturating_add(u8::try_from(signal).unwrap_or(0));
    }
    1
}
