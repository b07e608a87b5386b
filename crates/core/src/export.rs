//! Export: the vault's secrets as a .env file or JSON, names and metadata
//! only unless the values are asked for, written to a file only its owner can
//! read. The CLI's `export` and the app's Export share it.

use std::{
    fs::OpenOptions,
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::Path,
};

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::{Result, SecretName, UnlockedVault, Vault, envfile, vault::Access};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ExportFormat"))]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `NAME=value` lines (values) or a `.env.example` template (names).
    Env,
    /// `{"NAME": "value"}` (values) or the secrets' metadata (names).
    Json,
}

/// Glob (`*`, `?`) when the pattern has wildcards, else a substring; both ignore case.
pub fn matches_pattern(name: &str, pattern: &str) -> bool {
    if pattern.contains(['*', '?']) {
        crate::sync::glob(pattern, name)
    } else {
        name.to_ascii_lowercase().contains(&pattern.to_ascii_lowercase())
    }
}

/// The secrets whose names match `pattern` (all without one), values
/// decrypted (and audited as an export) into a buffer that is wiped when dropped.
pub fn values(
    vault: &mut UnlockedVault,
    pattern: Option<&str>,
    format: Format,
) -> Result<(usize, Zeroizing<String>)> {
    let mut values = vault.reveal_all(None, Access::Export)?;
    values.retain(|(name, _)| pattern.is_none_or(|pattern| matches_pattern(name.as_str(), pattern)));
    let text = match format {
        Format::Env => envfile::render(&values),
        Format::Json => json_object(&values)?,
    };
    Ok((values.len(), text))
}

/// Names and metadata only: a `.env.example` template, or JSON rows.
pub fn names(vault: &Vault, pattern: Option<&str>, format: Format) -> Result<(usize, String)> {
    let mut secrets = vault.list()?;
    secrets.retain(|meta| pattern.is_none_or(|pattern| matches_pattern(meta.name.as_str(), pattern)));
    let text = match format {
        Format::Env => envfile::render_template(&secrets),
        Format::Json => serde_json::to_string_pretty(&secrets).map_err(rendering)? + "\n",
    };
    Ok((secrets.len(), text))
}

/// `{"NAME": "value", …}` built in a buffer that is wiped afterwards.
fn json_object(values: &[(SecretName, SecretString)]) -> Result<Zeroizing<String>> {
    let capacity =
        values.iter().map(|(n, v)| n.as_str().len() + v.expose_secret().len() * 2 + 8).sum::<usize>() + 4;
    let mut out = Zeroizing::new(Vec::with_capacity(capacity));
    out.push(b'{');
    for (index, (name, value)) in values.iter().enumerate() {
        out.extend_from_slice(if index == 0 { b"\n  " } else { b",\n  " });
        serde_json::to_writer(&mut *out, name.as_str()).map_err(rendering)?;
        out.extend_from_slice(b": ");
        serde_json::to_writer(&mut *out, value.expose_secret()).map_err(rendering)?;
    }
    out.extend_from_slice(b"\n}\n");
    let text = String::from_utf8(std::mem::take(&mut *out)).expect("serde_json writes UTF-8");
    Ok(Zeroizing::new(text))
}

/// serde_json fails only on a writer's error, and these write to memory.
fn rendering(err: serde_json::Error) -> crate::Error {
    crate::Error::io("rendering JSON", err.into())
}

/// Writes `bytes` to a new file at `path`, readable by its owner only (0600).
/// An existing file is an `AlreadyExists` error unless `replace`, and then
/// is replaced whole (a 0600 temp file beside it, renamed over it), never
/// written through: a symlink there is replaced, not followed.
pub fn write_private(path: &Path, bytes: &[u8], replace: bool) -> std::io::Result<()> {
    if !replace {
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        file.write_all(bytes)?;
        return file.sync_all();
    }
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".keyhaven-")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map(drop).map_err(|err| err.error)
}
