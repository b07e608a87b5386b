//! Moving in from other managers: each source's export is read into one model
//! (items holding fields), and `plan` turns that into the secrets it would
//! make, the same way for every source. Values stay `SecretString`s from the
//! parser to the vault; plans, errors and logs carry names and labels only.
//!
//! Every reader is handed hostile input: sizes are capped before anything is
//! read or unpacked, and a parser answers bad input with an error naming the
//! file, never a panic (see the property tests in tests/import_formats.rs).

mod bitwarden;
mod flat;
mod json;
mod kdbx;
mod keepass;
mod onepassword;
mod pass;
mod plan;

use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub use plan::{Fate, Mapping, Plan, PlanOptions, Row, Skipped};

use crate::{Error, Result, secret::SecretKind};

/// The largest export read (a 10,000-entry 1PUX is about 10 MB).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// The most entries one import reads (10,000 is a large password manager):
/// readers stop past it, so no file's shape makes one entry per few bytes.
pub const MAX_ITEMS: usize = 100_000;
/// The most columns a CSV export's header may name.
const MAX_CSV_COLUMNS: usize = 1_000;

/// What a file was exported by. `detect` finds it from the content where the
/// format allows; `--from` forces one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ImportKind"))]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A .env file.
    Dotenv,
    /// `{"NAME": "value"}`: Doppler's `secrets download --format json`, and plain JSON in general.
    Json,
    /// `infisical export --format json` (`[{"key", "value"}]`); its dotenv and csv come as dotenv and csv.
    Infisical,
    /// A `Key,Value` CSV (Infisical's csv).
    Csv,
    /// Bitwarden's JSON export, plain or password-protected.
    Bitwarden,
    /// Bitwarden's CSV export.
    BitwardenCsv,
    /// 1Password's `.1pux`.
    #[serde(rename = "1pux")]
    OnePux,
    /// 1Password's CSV export.
    #[serde(rename = "1password-csv")]
    OnePasswordCsv,
    /// `keepassxc-cli export --format csv`.
    KeepassCsv,
    /// A KeePass or KeePassXC database (.kdbx 3.1 or 4).
    Kdbx,
    /// `keepassxc-cli export --format xml` (KeePass's XML).
    KeepassXml,
    /// A pass (or gopass) password store directory, decrypted with the user's gpg.
    Pass,
}

impl SourceKind {
    /// Every kind with the name `--from` takes.
    pub const ALL: [(&'static str, SourceKind); 12] = [
        ("dotenv", SourceKind::Dotenv),
        ("json", SourceKind::Json),
        ("infisical", SourceKind::Infisical),
        ("csv", SourceKind::Csv),
        ("bitwarden", SourceKind::Bitwarden),
        ("bitwarden-csv", SourceKind::BitwardenCsv),
        ("1pux", SourceKind::OnePux),
        ("1password-csv", SourceKind::OnePasswordCsv),
        ("keepass-csv", SourceKind::KeepassCsv),
        ("kdbx", SourceKind::Kdbx),
        ("keepass-xml", SourceKind::KeepassXml),
        ("pass", SourceKind::Pass),
    ];

    /// Sources keyed by environment names: a valid key is kept as it is.
    pub fn has_names(self) -> bool {
        matches!(self, SourceKind::Dotenv | SourceKind::Json | SourceKind::Infisical | SourceKind::Csv)
    }

    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Dotenv => ".env",
            SourceKind::Json => "JSON",
            SourceKind::Infisical => "Infisical",
            SourceKind::Csv => "CSV",
            SourceKind::Bitwarden => "Bitwarden",
            SourceKind::BitwardenCsv => "Bitwarden CSV",
            SourceKind::OnePux => "1Password",
            SourceKind::OnePasswordCsv => "1Password CSV",
            SourceKind::KeepassCsv => "KeePassXC CSV",
            SourceKind::Kdbx => "KeePass",
            SourceKind::KeepassXml => "KeePass XML",
            SourceKind::Pass => "pass",
        }
    }
}

impl std::str::FromStr for SourceKind {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Self::ALL.iter().find(|(name, _)| *name == text).map(|&(_, kind)| kind).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|(name, _)| *name).collect();
            Error::invalid(
                format!("source {}", crate::secret::shorten(text)),
                format!("one of {}", names.join(", ")),
            )
        })
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// One entry of the source (a login, an API credential, a note...).
#[derive(Default)]
pub struct Item {
    pub title: String,
    /// Folder, vault, group or tag: becomes the category.
    pub folder: Option<String>,
    pub url: Option<String>,
    pub username: Option<String>,
    pub fields: Vec<Field>,
    /// Imported only when asked (`--include-notes`): notes often hold secrets.
    pub notes: Option<SecretString>,
    /// In the source's trash: skipped.
    pub trashed: bool,
}

/// A field the source keeps hidden (a password, a credential, a hidden custom
/// field): each becomes a secret. Readers leave visible fields out, but for
/// the username and URL, which go to the item.
pub struct Field {
    /// As the source labels it ("password", "API key", a custom field's name).
    pub label: String,
    pub value: SecretString,
    /// An SSH key's private key becomes an SSH key, not text.
    pub kind: SecretKind,
}

impl Field {
    pub fn concealed(label: &str, value: String) -> Self {
        Field { label: label.to_owned(), value: SecretString::from(value), kind: SecretKind::Text }
    }

    /// The private key of an SSH key item (checked by [`read`]: one that is
    /// not read as a key comes in as text, with a warning).
    pub fn ssh_key(label: &str, value: String) -> Self {
        Field { kind: SecretKind::SshKey, ..Field::concealed(label, value) }
    }
}

/// SSH key fields whose key is not read become text, each named in a warning.
fn check_ssh_keys(items: &mut [Item], warnings: &mut Vec<String>) {
    for item in items {
        for field in item.fields.iter_mut().filter(|field| field.kind == SecretKind::SshKey) {
            if let Err(err) = crate::ssh::NewKey::read(&field.value, None) {
                field.kind = SecretKind::Text;
                warnings.push(format!(
                    "{} › {}: not read as an SSH key ({err}); it comes in as text",
                    crate::secret::shorten(&item.title),
                    crate::secret::shorten(&field.label)
                ));
            }
        }
    }
}

/// What was read from one file or directory.
pub struct Source {
    pub kind: SourceKind,
    pub path: PathBuf,
    pub items: Vec<Item>,
    /// Worth a look, but not wrong (names and reasons, never values).
    pub warnings: Vec<String>,
}

/// What reading needs beyond the file.
#[derive(Default)]
pub struct ReadOptions {
    pub kind: Option<SourceKind>,
    /// For password-protected exports and KeePass databases.
    pub passphrase: Option<SecretString>,
    /// A KeePass database's key file.
    pub keyfile: Option<PathBuf>,
}

/// Reads `path` as `options.kind`, or as what its content looks like. A
/// directory is a pass store.
pub fn read(path: &Path, options: &ReadOptions) -> Result<Source> {
    let fail = |reason: String| Error::Import { file: path.display().to_string(), reason };
    let mut warnings = Vec::new();
    let (kind, items) = if path.is_dir() {
        if options.kind.is_some_and(|kind| kind != SourceKind::Pass) {
            return Err(fail("it is a directory; only a pass store is read from one".into()));
        }
        (SourceKind::Pass, pass::store(path))
    } else {
        let bytes = read_capped(path)?;
        let kind = match options.kind {
            Some(kind) => kind,
            None => detect(path, &bytes).ok_or_else(|| {
                fail(
                    "its format was not recognised; name it with --from (see `keyhaven import --help`)"
                        .into(),
                )
            })?,
        };
        (kind, parse(kind, &bytes, options, &mut warnings)?)
    };
    let items = items.and_then(|items| {
        if items.len() > MAX_ITEMS {
            return Err(bad(format!("it holds more than {MAX_ITEMS} entries, more than an import takes")));
        }
        Ok(items)
    });
    let items = items.map_err(|problem| match problem {
        Problem::WrongPassphrase => Error::WrongImportPassphrase(path.to_owned()),
        Problem::NeedsPassphrase => Error::ImportPassphraseNeeded(path.to_owned()),
        Problem::Bad(reason) => Error::Import { file: format!("{} ({kind})", path.display()), reason },
    })?;
    let mut items = items;
    check_ssh_keys(&mut items, &mut warnings);
    Ok(Source { kind, path: path.to_owned(), items, warnings })
}

/// One file's bytes, read as `kind`. The outer error is reading a key file.
fn parse(
    kind: SourceKind,
    bytes: &[u8],
    options: &ReadOptions,
    warnings: &mut Vec<String>,
) -> Result<Parsed<Vec<Item>>> {
    Ok(match kind {
        SourceKind::Dotenv => flat::dotenv(bytes, warnings),
        SourceKind::Json => flat::json(bytes),
        SourceKind::Infisical => flat::infisical(bytes),
        SourceKind::Csv => flat::csv(bytes),
        SourceKind::Bitwarden => bitwarden::json(bytes, options.passphrase.as_ref()),
        SourceKind::BitwardenCsv => bitwarden::csv(bytes),
        SourceKind::OnePux => onepassword::pux(bytes),
        SourceKind::OnePasswordCsv => onepassword::csv(bytes),
        SourceKind::KeepassCsv => keepass::csv(bytes),
        SourceKind::KeepassXml => keepass::xml(bytes),
        SourceKind::Pass => Err(bad("a pass store is a directory; give the store's directory")),
        SourceKind::Kdbx => {
            let keyfile = options.keyfile.as_deref().map(read_capped).transpose()?;
            kdbx::read(bytes, options.passphrase.as_ref(), keyfile.as_deref().map(|k| k.as_slice()))
        }
    })
}

/// Why a reader gave up. `read` adds the file and the format.
#[derive(Debug)]
pub(crate) enum Problem {
    Bad(String),
    NeedsPassphrase,
    WrongPassphrase,
}

pub(crate) type Parsed<T> = std::result::Result<T, Problem>;

pub(crate) fn bad(reason: impl Into<String>) -> Problem {
    Problem::Bad(reason.into())
}

fn read_capped(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    use std::io::Read as _;
    let file =
        std::fs::File::open(path).map_err(|err| Error::io(format!("cannot read {}", path.display()), err))?;
    let len = file.metadata().map_err(|err| Error::io(format!("cannot read {}", path.display()), err))?.len();
    let too_big = || Error::Import {
        file: path.display().to_string(),
        reason: format!("it is larger than {} MiB, more than any export this reads", MAX_FILE_BYTES >> 20),
    };
    if len > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(len as usize));
    // The length may change under us: never read past the cap.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| Error::io(format!("cannot read {}", path.display()), err))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

/// The format, from the content (and the extension where content is alike).
pub fn detect(path: &Path, bytes: &[u8]) -> Option<SourceKind> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Some(SourceKind::OnePux);
    }
    if bytes.starts_with(&kdbx::MAGIC) {
        return Some(SourceKind::Kdbx);
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with('{') {
        /// The one key that tells the two apart; the rest is skipped, not built
        /// (the reader parses the file for real).
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct Probe {
            encrypted: json::Flag,
        }
        let probe: Probe = serde_json::from_str(text).ok()?;
        // Bitwarden's exports, plain or not, say whether they are encrypted.
        return Some(if probe.encrypted.0.is_some() { SourceKind::Bitwarden } else { SourceKind::Json });
    }
    if text.starts_with('[') {
        return Some(SourceKind::Infisical);
    }
    if text.starts_with('<') && text.contains("<KeePassFile") {
        return Some(SourceKind::KeepassXml);
    }
    let header = text.lines().next().unwrap_or("").to_ascii_lowercase();
    let columns: Vec<&str> = header.split(',').map(|c| c.trim().trim_matches('"')).collect();
    let has = |name: &str| columns.contains(&name);
    if has("login_password") && has("name") {
        return Some(SourceKind::BitwardenCsv);
    }
    if has("title") && has("password") && has("group") {
        return Some(SourceKind::KeepassCsv);
    }
    if has("title") && has("password") && (has("otpauth") || has("archived") || has("url")) {
        return Some(SourceKind::OnePasswordCsv);
    }
    if columns.len() >= 2 && has("key") && has("value") {
        return Some(SourceKind::Csv);
    }
    let env_like = path.extension().is_some_and(|ext| ext == "env")
        || path.file_name().is_some_and(|name| name.to_string_lossy().starts_with(".env"));
    (env_like || text.lines().any(|line| line.contains('=') && !line.trim_start().starts_with('#')))
        .then_some(SourceKind::Dotenv)
}

/// One row of a CSV export: lowercased header name → cell.
pub(crate) struct CsvRow(std::collections::HashMap<String, Zeroizing<String>>);

impl CsvRow {
    /// The cell, trimmed, unless empty.
    pub fn get(&self, column: &str) -> Option<String> {
        text(self.0.get(column).map(|cell| cell.as_str()))
    }

    /// The cell as it is ("" when missing).
    pub fn raw(&self, column: &str) -> &str {
        self.0.get(column).map_or("", |cell| cell.as_str())
    }

    /// The non-empty cells of `columns` (column, label) as hidden fields.
    pub fn secrets(&self, columns: &[(&str, &str)]) -> Vec<Field> {
        columns
            .iter()
            .filter_map(|(column, label)| Some(Field::concealed(label, self.get(column)?)))
            .collect()
    }
}

/// Reads a CSV export's rows, the header lowercased.
pub(crate) fn csv_rows(bytes: &[u8]) -> Parsed<Vec<CsvRow>> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut reader = ::csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|err| bad(format!("its header row: {}", csv_error(&err))))?
        .iter()
        .map(|column| column.trim().to_ascii_lowercase())
        .collect();
    if header.len() > MAX_CSV_COLUMNS {
        return Err(bad(format!("its header names more than {MAX_CSV_COLUMNS} columns")));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        if rows.len() == MAX_ITEMS {
            return Err(bad(format!("it holds more than {MAX_ITEMS} rows, more than an import takes")));
        }
        let record = record.map_err(|err| bad(csv_error(&err)))?;
        rows.push(CsvRow(
            header.iter().cloned().zip(record.iter().map(|cell| Zeroizing::new(cell.to_owned()))).collect(),
        ));
    }
    Ok(rows)
}

/// The csv crate's message without the record's content (it can hold a value).
fn csv_error(err: &::csv::Error) -> String {
    match err.position() {
        Some(position) => format!("malformed CSV at line {}", position.line()),
        None => "malformed CSV".into(),
    }
}

/// Non-empty text, trimmed.
pub(crate) fn text(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|text| !text.is_empty()).map(str::to_owned)
}
