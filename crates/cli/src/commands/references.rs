//! read (the value one reference names) and inject (a template's
//! `{{ keyhaven:NAME }}` placeholders filled): references are parsed in core
//! (`keyhaven_core::reference`), resolved here from the unlocked vault.

use std::{
    io::{Read, Write},
    path::Path,
};

use anyhow::{Context as _, Result};
use keyhaven_core::{
    Error,
    reference::{self, Reference},
    vault::Access,
};
use secrecy::SecretString;
use zeroize::Zeroizing;

use super::Context;
use crate::output::say;
use crate::{exit, notices, output};

/// The largest template `inject` reads (a file is read whole; stdin stops here).
const MAX_TEMPLATE: u64 = 16 << 20;

pub fn read(ctx: &mut Context, text: &str) -> Result<()> {
    let reference = Reference::parse(text)?;
    let mut vault = ctx.unlocked()?;
    let value = vault.resolve(&reference, Access::Reveal)?;
    let meta = vault.meta(&reference.name)?;
    if ctx.json {
        return output::value_json(
            reference.name.as_str(),
            reference.version.unwrap_or(meta.version),
            &value,
        );
    }
    output::value(&value)?;
    notices::overdue([&meta]);
    Ok(())
}

pub fn inject(
    ctx: &mut Context,
    input: &Path,
    output: Option<&Path>,
    force: bool,
    dry_run: bool,
) -> Result<()> {
    // `-` is stdin, as `op inject -i -` reads it.
    let from_stdin = input == Path::new("-");
    let label = if from_stdin { "stdin".to_owned() } else { input.display().to_string() };
    let text = Zeroizing::new(if from_stdin {
        let mut text = String::new();
        std::io::stdin()
            .take(MAX_TEMPLATE + 1)
            .read_to_string(&mut text)
            .context("cannot read the template from stdin")?;
        text
    } else {
        std::fs::read_to_string(input).with_context(|| format!("cannot read the template {label}"))?
    });
    if text.len() as u64 > MAX_TEMPLATE {
        return Err(exit::invalid(format!("the template {label} is larger than {} MiB", MAX_TEMPLATE >> 20)));
    }
    let placeholders = reference::placeholders(&text, &label)?;
    if dry_run {
        // Metadata only: whether each name (and version) exists, no value read.
        let vault = ctx.open()?;
        let mut unresolved = 0;
        for placeholder in &placeholders {
            let reference = &placeholder.reference;
            let state = match vault.meta(&reference.name) {
                Ok(meta) if reference.version.is_none_or(|version| version <= meta.version) => "resolves",
                Ok(_) => "no such version",
                Err(Error::NotFound { .. }) => "no such secret",
                Err(err) => return Err(err.into()),
            };
            unresolved += usize::from(state != "resolves");
            say!("{label}:{}: {reference}  {state}", placeholder.line);
        }
        if unresolved > 0 {
            let message = format!("{unresolved} reference(s) in {label} do not resolve");
            return Err(exit::Failure(exit::NOT_FOUND, message).into());
        }
        return Ok(());
    }
    // Resolved before anything is written: one that does not resolve writes nothing.
    let mut vault = ctx.unlocked()?;
    let values = placeholders
        .iter()
        .map(|placeholder| {
            vault.resolve(&placeholder.reference, Access::Export).map_err(|err| {
                exit::in_file(&label, placeholder.line, &placeholder.reference.to_string(), err)
            })
        })
        .collect::<Result<Vec<SecretString>>>()?;
    let filled: Zeroizing<String> = reference::fill(&text, &placeholders, &values);
    match output {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(filled.as_bytes())?;
            stdout.flush()?;
        }
        Some(path) => write_private(path, filled.as_bytes(), force)?,
    }
    Ok(())
}

/// Writes `bytes` to a new file only its owner can read. An existing file is
/// an error unless `force`, which replaces it (through a private temporary
/// file beside it, renamed over it: never a moment with the old mode).
pub(super) fn write_private(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    keyhaven_core::export::write_private(path, bytes, force).map_err(|err| match err.kind() {
        std::io::ErrorKind::AlreadyExists => exit::Failure(
            exit::ALREADY_EXISTS,
            format!("{} exists: pass --force to replace it", path.display()),
        )
        .into(),
        _ => anyhow::Error::new(err).context(format!("cannot write {}", path.display())),
    })
}
