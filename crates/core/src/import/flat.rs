//! Sources that are already name → value: .env files (Infisical's dotenv
//! export too), `{"NAME": "value"}` JSON (Doppler's `secrets download
//! --format json`), Infisical's JSON (`[{"key", "value", …}]`) and a
//! `Key,Value` CSV (Infisical's csv).

use std::collections::BTreeMap;

use secrecy::ExposeSecret;
use serde::Deserialize;

use super::{
    Field, Item, Parsed, bad, csv_rows,
    json::{self, List, Scalar},
};
use crate::{envfile, reference::Reference};

fn entry(name: &str, value: String) -> Item {
    Item { title: name.to_owned(), fields: vec![Field::concealed("value", value)], ..Item::default() }
}

pub fn dotenv(bytes: &[u8], warnings: &mut Vec<String>) -> Parsed<Vec<Item>> {
    let text = std::str::from_utf8(bytes).map_err(|_| bad("it is not UTF-8 text"))?;
    let parsed = envfile::parse(text).map_err(|err| match err {
        crate::Error::EnvFile { line, reason } => bad(format!("line {line}: {reason}")),
        other => bad(other.to_string()),
    })?;
    // A file of references (`run --env-file`) holds no values to import.
    if let Some((name, _)) =
        parsed.entries.iter().find(|(_, value)| Reference::is_claimed(value.expose_secret()))
    {
        return Err(bad(format!(
            "{name} is a reference (keyhaven:…), not a value: `keyhaven run --env-file` resolves such files"
        )));
    }
    warnings.extend(parsed.repeated.iter().map(|(name, lines)| {
        let lines: Vec<String> = lines.iter().map(usize::to_string).collect();
        let last = lines.last().cloned().unwrap_or_default();
        format!(
            "{name} is assigned on lines {}: the value on line {last} is imported, as dotenv, python-dotenv and Compose read it",
            lines.join(", ")
        )
    }));
    warnings.extend(parsed.expanded.iter().map(|name| {
        format!("{name}: `$` was expanded as a variable (dotenv rules); quote the value with '…' to keep it literal")
    }));
    Ok(parsed
        .entries
        .into_iter()
        .map(|(name, value)| entry(name.as_str(), value.expose_secret().to_owned()))
        .collect())
}

pub fn json(bytes: &[u8]) -> Parsed<Vec<Item>> {
    let object: BTreeMap<String, Scalar> = json::parse(bytes, "an object of names and values")?;
    object
        .into_iter()
        .map(|(name, value)| {
            let value = value.0.ok_or_else(|| bad(format!("{name:?} is not text")))?;
            Ok(entry(&name, value))
        })
        .collect()
}

/// One secret of Infisical's export; other fields are skipped.
#[derive(Deserialize, Default)]
#[serde(default)]
struct InfisicalSecret {
    #[serde(alias = "secretKey")]
    key: Scalar,
    #[serde(alias = "secretValue")]
    value: Scalar,
}

pub fn infisical(bytes: &[u8]) -> Parsed<Vec<Item>> {
    let list: List<InfisicalSecret> = json::parse(bytes, "a list of secrets")?;
    list.0
        .into_iter()
        .enumerate()
        .map(|(index, secret)| {
            let key = secret.key.0.ok_or_else(|| bad(format!("secret {} has no key", index + 1)))?;
            let value = secret.value.0.ok_or_else(|| bad(format!("{key:?} has no value")))?;
            Ok(entry(&key, value))
        })
        .collect()
}

pub fn csv(bytes: &[u8]) -> Parsed<Vec<Item>> {
    csv_rows(bytes)?
        .into_iter()
        .enumerate()
        .map(|(index, row)| {
            let key = row.get("key").ok_or_else(|| bad(format!("row {} has no Key", index + 2)))?;
            Ok(entry(&key, row.raw("value").to_owned()))
        })
        .collect()
}
