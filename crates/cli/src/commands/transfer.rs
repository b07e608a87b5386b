//! import (.env) and export (.env or JSON).

use std::{
    io::{IsTerminal, Write},
    path::Path,
};

use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressStyle};
use keyhaven_core::{SecretName, envfile, vault::Access};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::Context;
use crate::{cli::ExportFormat, output};

pub fn import(ctx: &mut Context, file: &Path, overwrite: bool) -> Result<()> {
    let text = Zeroizing::new(
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?,
    );
    let parsed = envfile::parse(&text)?;
    drop(text);
    let mut vault = ctx.unlocked()?;
    let total = parsed.entries.len();
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} importing").expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let report = vault.import(parsed.entries, overwrite, &|done| bar.set_position(done as u64))?;
    bar.finish_and_clear();

    for name in &parsed.expanded {
        eprintln!(
            "warning: {name}: `$` was expanded as a variable (dotenv rules); quote the value with '…' to keep it literal"
        );
    }
    if ctx.json {
        return output::json(&report);
    }
    eprintln!(
        "Imported {} new and {} updated secrets from {}",
        report.added.len(),
        report.updated.len(),
        file.display()
    );
    if !report.skipped.is_empty() {
        let names: Vec<&str> = report.skipped.iter().map(SecretName::as_str).collect();
        eprintln!(
            "Skipped {} that already exist (use --overwrite to rotate them): {}",
            names.len(),
            names.join(", ")
        );
    }
    Ok(())
}

pub fn export(ctx: &mut Context, format: ExportFormat, reveal: bool) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    if !reveal {
        let secrets = ctx.open()?.list()?;
        return match format {
            ExportFormat::Env => Ok(stdout.write_all(envfile::render_template(&secrets).as_bytes())?),
            ExportFormat::Json => output::json(&secrets),
        };
    }
    let values = ctx.unlocked()?.reveal_all(None, Access::Export)?;
    let text = match format {
        ExportFormat::Env => envfile::render(&values),
        ExportFormat::Json => json_object(&values)?,
    };
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// `{"NAME": "value", …}` built in a buffer that is wiped afterwards.
fn json_object(values: &[(SecretName, SecretString)]) -> Result<Zeroizing<String>> {
    let capacity =
        values.iter().map(|(n, v)| n.as_str().len() + v.expose_secret().len() * 2 + 8).sum::<usize>() + 4;
    let mut out = Zeroizing::new(Vec::with_capacity(capacity));
    out.push(b'{');
    for (index, (name, value)) in values.iter().enumerate() {
        out.extend_from_slice(if index == 0 { b"\n  " } else { b",\n  " });
        serde_json::to_writer(&mut *out, name.as_str())?;
        out.extend_from_slice(b": ");
        serde_json::to_writer(&mut *out, value.expose_secret())?;
    }
    out.extend_from_slice(b"\n}\n");
    let text = String::from_utf8(std::mem::take(&mut *out)).expect("serde_json writes UTF-8");
    Ok(Zeroizing::new(text))
}
