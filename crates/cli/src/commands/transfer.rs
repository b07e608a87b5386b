//! import (a .env file or another manager's export, through core's import
//! plan) and export (.env or JSON).

use std::{
    io::{IsTerminal, Write},
    path::{Path, PathBuf},
};

use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressStyle};
use keyhaven_core::{
    Error, SecretName, export,
    import::{self, Fate, Mapping, Plan, PlanOptions, ReadOptions, SourceKind},
};
use zeroize::Zeroizing;

use super::Context;
use crate::output::note;
use crate::{cli::ExportFormat, output};

/// `import`'s options beside the file.
pub struct ImportArgs {
    pub from: Option<SourceKind>,
    pub dry_run: bool,
    pub map: Option<PathBuf>,
    pub overwrite: bool,
    pub include_notes: bool,
    pub keyfile: Option<PathBuf>,
}

pub fn import(ctx: &mut Context, file: &Path, args: &ImportArgs) -> Result<()> {
    let mut options = ReadOptions { kind: args.from, passphrase: None, keyfile: args.keyfile.clone() };
    // Asked for only when the file turns out to need it (a key file alone may not do).
    let source = match read(file, &options) {
        Err(Error::ImportPassphraseNeeded(_) | Error::WrongImportPassphrase(_)) => {
            options.passphrase = ctx.input.import_passphrase(file)?;
            if options.passphrase.is_none() {
                return Err(Error::ImportPassphraseNeeded(file.to_owned()).into());
            }
            read(file, &options)?
        }
        other => other?,
    };
    let mut plan = Plan::new(source, PlanOptions { include_notes: args.include_notes });
    if let Some(map) = &args.map {
        let text = std::fs::read_to_string(map).with_context(|| format!("cannot read {}", map.display()))?;
        plan.apply_mapping(&Mapping::parse(&text)?)?;
    }
    for warning in &plan.warnings {
        note!("warning: {warning}");
    }
    if args.dry_run {
        // What each row would do, read from the vault's names (no unlock
        // needed); with no vault yet, every row is new.
        let fates = if ctx.vault_path.exists() {
            plan.fates(&ctx.open()?, args.overwrite)?
        } else {
            vec![Fate::New; plan.rows.len()]
        };
        return if ctx.json {
            output::json(&DryRun { plan: &plan, fates })
        } else {
            print_plan(&plan, &fates)
        };
    }

    let (kind, left_out) = (plan.kind, plan.skipped.len());
    let entries = plan.into_entries();
    let mut vault = ctx.unlocked()?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(entries.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} importing").expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let report = vault.import(entries, args.overwrite, &|done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    if ctx.json {
        return output::json(&report);
    }
    note!(
        "Imported {} new and {} updated secrets from {} ({kind})",
        report.added.len(),
        report.updated.len(),
        file.display()
    );
    if !report.skipped.is_empty() {
        let names: Vec<&str> = report.skipped.iter().map(SecretName::as_str).collect();
        note!(
            "Skipped {} that already exist (use --overwrite to rotate them): {}",
            names.len(),
            names.join(", ")
        );
    }
    if left_out > 0 {
        note!("Left out {left_out} item(s) of the export (`--dry-run` says which and why)");
    }
    Ok(())
}

/// Reads the export with a spinner on a terminal: a KeePass database's KDF
/// or a large pass store takes seconds before there is anything to count.
fn read(file: &Path, options: &ReadOptions) -> Result<import::Source, Error> {
    let spinner = if std::io::stderr().is_terminal() {
        let spinner = ProgressBar::new_spinner().with_message(format!("reading {}", file.display()));
        spinner.enable_steady_tick(std::time::Duration::from_millis(100));
        spinner
    } else {
        ProgressBar::hidden()
    };
    let source = import::read(file, options);
    spinner.finish_and_clear();
    source
}

/// `import --dry-run --json`: the plan, and what each row would do.
#[derive(serde::Serialize)]
struct DryRun<'a> {
    #[serde(flatten)]
    plan: &'a Plan,
    /// One per row, in order: new, skipped or new_version.
    fates: Vec<Fate>,
}

/// The plan as a table: source → name, what it does, [category]; then what
/// is left out. The counts are what the import would do.
fn print_plan(plan: &Plan, fates: &[Fate]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let count = |fate: Fate| fates.iter().filter(|f| **f == fate).count();
    writeln!(
        out,
        "{} export {}: {} secret(s): {} new, {} new version(s), {} skipped (already here; --overwrite \
         gives them new versions); {} left out",
        plan.kind,
        plan.path,
        plan.rows.len(),
        count(Fate::New),
        count(Fate::NewVersion),
        count(Fate::Skipped),
        plan.skipped.len()
    )?;
    let width = plan.rows.iter().map(|row| row.source.chars().count()).max().unwrap_or(0).min(48);
    let name_width = plan.rows.iter().map(|row| row.name.as_str().len()).max().unwrap_or(0).min(48);
    for (row, fate) in plan.rows.iter().zip(fates) {
        let category = if row.category.is_empty() { String::new() } else { format!("[{}]", row.category) };
        let kind = if row.kind == keyhaven_core::secret::SecretKind::SshKey { " (SSH key)" } else { "" };
        let line = format!(
            "  {:<16}  {:<width$}  →  {:<name_width$}  {category}{kind}",
            fate.as_str(),
            row.source,
            row.name.as_str()
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    if !plan.skipped.is_empty() {
        writeln!(out, "Left out:")?;
        for skipped in &plan.skipped {
            writeln!(out, "  {:<width$}  {}", skipped.source, skipped.why)?;
        }
    }
    Ok(())
}

/// The vault's secrets (or those `pattern` matches) as a `.env` or JSON file,
/// values only with `reveal`; to stdout, or to `out` (created 0600, as
/// `inject -o` writes).
pub fn export(
    ctx: &mut Context,
    pattern: Option<&str>,
    format: ExportFormat,
    reveal: bool,
    out: Option<&std::path::Path>,
    force: bool,
) -> Result<()> {
    let format = match format {
        ExportFormat::Env => export::Format::Env,
        ExportFormat::Json => export::Format::Json,
    };
    let text: Zeroizing<String> = if reveal {
        export::values(&mut ctx.unlocked()?, pattern, format)?.1
    } else {
        Zeroizing::new(export::names(&ctx.open()?, pattern, format)?.1)
    };
    match out {
        Some(path) => super::references::write_private(path, text.as_bytes(), force),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            Ok(stdout.flush()?)
        }
    }
}
