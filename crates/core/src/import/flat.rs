//! Sources that are already name → value: .env files (Infisical's dotenv
//! export too), `{"NAME": "value"}` JSON (Doppler's `secrets download
//! --format json`), Infisical's JSON (`[{"key", "value", …}]`) and a
//! `Key,Value` CSV (Infisical's csv).

use secrecy::ExposeSecret;
use serde_json::Value;

use super::{Field, Item, Parsed, bad, csv_rows};
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
    let value = parse_json(bytes)?;
    let object = value.as_object().ok_or_else(|| bad("expected an object of names and values"))?;
    object
        .iter()
        .map(|(name, value)| {
            Ok(entry(name, scalar(value).ok_or_else(|| bad(format!("{name:?} is not text")))?))
        })
        .collect()
}

pub fn infisical(bytes: &[u8]) -> Parsed<Vec<Item>> {
    let value = parse_json(bytes)?;
    let list = value.as_array().ok_or_else(|| bad("expected a list of secrets"))?;
    list.iter()
        .enumerate()
        .map(|(index, secret)| {
            let get = |keys: [&str; 2]| keys.iter().find_map(|key| secret.get(key)).and_then(scalar);
            let key =
                get(["key", "secretKey"]).ok_or_else(|| bad(format!("secret {} has no key", index + 1)))?;
            let value = get(["value", "secretValue"]).ok_or_else(|| bad(format!("{key:?} has no value")))?;
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

/// Strings as they are; numbers and booleans as JSON writes them.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(_) | Value::Bool(_) => Some(value.to_string()),
        _ => None,
    }
}

/// serde_json's message names a line and column, never the text there.
pub(crate) fn parse_json(bytes: &[u8]) -> Parsed<Value> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    serde_json::from_slice(bytes)
        .map_err(|err| bad(format!("not JSON (line {}, column {})", err.line(), err.column())))
}
