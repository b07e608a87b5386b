//! `run`: a command with secrets in its environment; values in its output are
//! masked unless --no-masking; its exit code is passed through. Names that
//! steer loaders and interpreters (`envfile::inject`) are left out unless
//! named with --only, and the master passphrase never reaches the child.

use std::{
    ffi::OsString,
    io::{Read, Write},
    process::{Command, ExitCode, ExitStatus, Stdio},
    thread,
};

use anyhow::{Context as _, Result};
use keyhaven_core::{
    SecretName,
    envfile::{Masker, inject},
    vault::Access,
};
use secrecy::ExposeSecret;

use super::{Context, parse_name};
use crate::exit::{CANNOT_RUN, Failure};

pub fn run(ctx: &mut Context, only: &[String], masking: bool, command: Vec<OsString>) -> Result<ExitCode> {
    let only: Vec<SecretName> = only.iter().map(|name| parse_name(name)).collect::<Result<_>>()?;
    let mut vault = ctx.unlocked()?;
    let chosen = if only.is_empty() {
        let (guarded, names): (Vec<SecretName>, Vec<SecretName>) = vault
            .list()?
            .into_iter()
            .map(|meta| meta.name)
            .partition(|name| inject::is_guarded(name.as_str()));
        if !guarded.is_empty() {
            let list = guarded.iter().map(SecretName::as_str).collect::<Vec<_>>().join(", ");
            eprintln!(
                "keyhaven: left out {list}: such variables make shells and loaders run code; \
                 name them with --only to pass them anyway"
            );
        }
        names
    } else {
        only
    };
    let values = vault.reveal_all(Some(&chosen), Access::Inject)?;
    drop(vault);

    let (program, args) = command.split_first().expect("clap requires a command");
    let mut child = Command::new(program);
    child.args(args);
    for (name, value) in &values {
        child.env(name.as_str(), value.expose_secret());
    }
    if masking {
        child.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    let mut child = child
        .spawn()
        .map_err(|err| Failure(CANNOT_RUN, format!("cannot run {}: {err}", program.to_string_lossy())))?;

    let status = if masking {
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        let passphrases = ctx.input.passphrases_given();
        let masker = || Masker::new(values.iter().map(|(_, value)| value).chain(passphrases));
        let (mut out_masker, mut err_masker) = (masker(), masker());
        thread::scope(|scope| {
            let out = scope.spawn(move || relay(stdout, std::io::stdout(), &mut out_masker));
            let err = scope.spawn(move || relay(stderr, std::io::stderr(), &mut err_masker));
            let status = child.wait().context("waiting for the command")?;
            out.join().expect("relay thread")?;
            err.join().expect("relay thread")?;
            Ok::<_, anyhow::Error>(status)
        })?
    } else {
        child.wait().context("waiting for the command")?
    };
    Ok(ExitCode::from(exit_code(status)))
}

/// Copies a child's stream to ours through the masker, chunk by chunk.
fn relay(mut from: impl Read, mut to: impl Write, masker: &mut Masker) -> Result<()> {
    let mut buffer = zeroize::Zeroizing::new(vec![0u8; 8192]);
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
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
