//! From items to secrets, the same for every source: each hidden field becomes
//! a secret named after its item (and the field, where the item has more than
//! one), the folder becomes the category, and the title, URL and username go
//! to the description. Plans are shown before anything is written, so they
//! carry every name and label and no value.

use std::collections::{BTreeMap, HashMap, HashSet};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{Item, Source, SourceKind};
use crate::{
    Error, Result, SecretName,
    secret::{MAX_CATEGORY_LEN, MAX_DESCRIPTION_LEN, SecretFields, SecretKind},
    vault::{Incoming, Vault},
};

#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// Notes become secrets of their own (they often hold one).
    pub include_notes: bool,
}

/// What an import would write, and what it leaves out and why.
#[derive(Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ImportPlan"))]
pub struct Plan {
    pub kind: SourceKind,
    pub path: String,
    pub rows: Vec<Row>,
    pub skipped: Vec<Skipped>,
    pub warnings: Vec<String>,
}

/// One secret to be: where it comes from and what it will be called.
#[derive(Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ImportRow"))]
pub struct Row {
    /// The item, and the field where the item gave more than one ("GitHub › password").
    pub source: String,
    pub name: SecretName,
    pub category: String,
    pub description: String,
    /// Text, or an SSH key (from an SSH key item).
    pub kind: SecretKind,
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    value: SecretString,
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Row").field("source", &self.source).field("name", &self.name).finish_non_exhaustive()
    }
}

/// What importing a row does to the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ImportFate"))]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// A secret the vault does not hold (or holds removed).
    New,
    /// The vault holds it already: left as it is (without overwrite).
    Skipped,
    /// The vault holds it: the file's value becomes a new version.
    NewVersion,
}

impl Fate {
    pub fn as_str(self) -> &'static str {
        match self {
            Fate::New => "new",
            Fate::Skipped => "skipped (exists)",
            Fate::NewVersion => "new version",
        }
    }
}

/// A source item (or field) that becomes no secret.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ImportSkipped"))]
pub struct Skipped {
    pub source: String,
    pub why: String,
}

impl Plan {
    pub fn new(source: Source, options: PlanOptions) -> Self {
        let mut rows = Vec::new();
        let mut skipped = Vec::new();
        let mut taken = HashSet::new();
        for item in source.items {
            plan_item(item, source.kind, options, &mut taken, &mut rows, &mut skipped);
        }
        let path = source.path.display().to_string();
        Plan { kind: source.kind, path, rows, skipped, warnings: source.warnings }
    }

    /// Applies a person's edits: new names, and rows dropped.
    pub fn apply_mapping(&mut self, mapping: &Mapping) -> Result<()> {
        let mut unused: BTreeMap<&str, &str> =
            mapping.names.iter().map(|(source, name)| (source.as_str(), name.as_str())).collect();
        let mut kept = Vec::with_capacity(self.rows.len());
        for mut row in std::mem::take(&mut self.rows) {
            match unused.remove(row.source.as_str()) {
                Some("") => {
                    self.skipped.push(Skipped { source: row.source, why: "dropped by the mapping".into() })
                }
                Some(name) => {
                    row.name = SecretName::parse(name)?;
                    kept.push(row);
                }
                None => kept.push(row),
            }
        }
        self.rows = kept;
        if let Some(source) = unused.keys().next() {
            return Err(Error::invalid(
                "mapping",
                format!("it names {source:?}, which is not in the plan (`--dry-run` lists the sources)"),
            ));
        }
        let mut seen = HashSet::new();
        if let Some(row) = self.rows.iter().find(|row| !seen.insert(row.name.clone())) {
            return Err(Error::invalid("mapping", format!("two entries would be named {}", row.name)));
        }
        Ok(())
    }

    /// A person's choices, one per row in order (the app's plan table): the
    /// name to use, or `None` to leave the row out. Checked whole before
    /// anything changes, so a refused choice leaves the plan as it was.
    pub fn choose(&mut self, names: &[Option<String>]) -> Result<()> {
        if names.len() != self.rows.len() {
            return Err(Error::invalid(
                "choices",
                format!("{} given for a plan of {} rows", names.len(), self.rows.len()),
            ));
        }
        let names: Vec<Option<SecretName>> = names
            .iter()
            .map(|name| name.as_deref().map(SecretName::parse).transpose())
            .collect::<Result<_>>()?;
        let mut seen = HashSet::new();
        if let Some(name) = names.iter().flatten().find(|name| !seen.insert(*name)) {
            return Err(Error::invalid("choices", format!("two entries would be named {name}")));
        }
        for (mut row, name) in std::mem::take(&mut self.rows).into_iter().zip(names) {
            match name {
                Some(name) => {
                    row.name = name;
                    self.rows.push(row);
                }
                None => self.skipped.push(Skipped { source: row.source, why: "left out by you".into() }),
            }
        }
        Ok(())
    }

    /// What importing each row (in order) would do to `vault` with or
    /// without `overwrite`: the same rule `UnlockedVault::import` follows
    /// (a removed secret comes back as new).
    pub fn fates(&self, vault: &Vault, overwrite: bool) -> Result<Vec<Fate>> {
        let live: HashSet<SecretName> = vault.list()?.into_iter().map(|meta| meta.name).collect();
        Ok(self
            .rows
            .iter()
            .map(|row| match (live.contains(&row.name), overwrite) {
                (false, _) => Fate::New,
                (true, false) => Fate::Skipped,
                (true, true) => Fate::NewVersion,
            })
            .collect())
    }

    /// The secrets to write, values included: for the vault only.
    pub fn into_entries(self) -> Vec<Incoming> {
        self.rows
            .into_iter()
            .map(|row| Incoming {
                name: row.name,
                value: row.value,
                kind: row.kind,
                fields: SecretFields {
                    description: Some(row.description),
                    category: Some(row.category),
                    rotate_by: None,
                },
            })
            .collect()
    }
}

/// `--map FILE`: source → new name; an empty name drops the row.
///
/// ```toml
/// [names]
/// "GitHub › password" = "GITHUB_TOKEN"
/// "Old router › password" = ""
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub names: HashMap<String, String>,
}

impl Mapping {
    pub fn parse(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|err| Error::invalid("mapping", err.message().to_owned()))
    }
}

fn plan_item(
    item: Item,
    kind: SourceKind,
    options: PlanOptions,
    taken: &mut HashSet<SecretName>,
    rows: &mut Vec<Row>,
    skipped: &mut Vec<Skipped>,
) {
    let title = clean(&item.title, 200);
    let title = if title.is_empty() { "Untitled".to_owned() } else { title };
    if item.trashed {
        skipped.push(Skipped { source: title, why: "in the trash".into() });
        return;
    }
    let mut candidates: Vec<(String, SecretString, SecretKind)> = Vec::new();
    for field in item.fields.into_iter().filter(|field| !field.value.expose_secret().is_empty()) {
        candidates.push((clean(&field.label, 100), field.value, field.kind));
    }
    let has_notes = item.notes.as_ref().is_some_and(|notes| !notes.expose_secret().trim().is_empty());
    match item.notes {
        Some(notes) if has_notes && options.include_notes => {
            candidates.push(("notes".into(), notes, SecretKind::Text))
        }
        _ => {}
    }
    if candidates.is_empty() {
        let why = if has_notes {
            "only a note: imported with --include-notes"
        } else {
            "no hidden field (a username or URL is kept only beside a secret)"
        };
        skipped.push(Skipped { source: title, why: why.into() });
        return;
    }
    let category = item.folder.as_deref().map(|folder| clean(folder, MAX_CATEGORY_LEN)).unwrap_or_default();
    let description = describe(&title, item.url.as_deref(), item.username.as_deref(), kind);
    let several = candidates.len() > 1;
    for (label, value, secret_kind) in candidates {
        let (source, base) = if several {
            (format!("{title} › {label}"), format!("{title}_{label}"))
        } else {
            (title.clone(), title.clone())
        };
        // Keys of .env-like sources are names already, and case-sensitive ones.
        let exact = kind.has_names().then(|| SecretName::parse(&base).ok()).flatten();
        let name = unique(exact.unwrap_or_else(|| name_from(&base)), taken);
        rows.push(Row {
            source,
            name,
            category: category.clone(),
            description: description.clone(),
            kind: secret_kind,
            value,
        });
    }
}

/// "Title — url (user name) · from Source", within the description's limit.
fn describe(title: &str, url: Option<&str>, username: Option<&str>, kind: SourceKind) -> String {
    let mut text = title.to_owned();
    if let Some(url) = url.map(|url| clean(url, 300)).filter(|url| !url.is_empty()) {
        text += &format!(" — {url}");
    }
    if let Some(user) = username.map(|user| clean(user, 100)).filter(|user| !user.is_empty()) {
        text += &format!(" (user {user})");
    }
    text += &format!(" · from {kind}");
    text.chars().take(MAX_DESCRIPTION_LEN).collect()
}

/// One line without control characters, at most `limit` characters.
fn clean(text: &str, limit: usize) -> String {
    let text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(limit).collect()
}

/// The vault's name rule, in upper snake case: other characters become `_`,
/// runs of them one, and a leading digit gets a `_` before it.
pub(crate) fn name_from(text: &str) -> SecretName {
    let mut name = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_uppercase());
        } else if !name.ends_with('_') {
            name.push('_');
        }
    }
    let name = name.trim_matches('_');
    let name = match name.chars().next() {
        None => "SECRET".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("_{name}"),
        Some(_) => name.to_owned(),
    };
    let name: String = name.chars().take(crate::secret::MAX_NAME_LEN - 8).collect();
    SecretName::parse(&name).expect("built from the name rule's characters")
}

/// `name`, or `name_2`, `name_3`… if taken.
fn unique(name: SecretName, taken: &mut HashSet<SecretName>) -> SecretName {
    let mut candidate = name.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = SecretName::parse(&format!("{name}_{n}")).expect("a valid name with a number after it");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_vault_rule() {
        assert_eq!(name_from("GitHub token").as_str(), "GITHUB_TOKEN");
        assert_eq!(name_from("OPENAI_API_KEY").as_str(), "OPENAI_API_KEY");
        assert_eq!(name_from("db_url").as_str(), "DB_URL");
        assert_eq!(name_from("1st key (prod)").as_str(), "_1ST_KEY_PROD");
        assert_eq!(name_from("Clé d'API — été").as_str(), "CL_D_API_T");
        assert_eq!(name_from("!!!").as_str(), "SECRET");
        let mut taken = HashSet::new();
        let names: Vec<String> =
            (0..3).map(|_| unique(name_from("Stripe"), &mut taken).to_string()).collect();
        assert_eq!(names, ["STRIPE", "STRIPE_2", "STRIPE_3"]);
    }
}
