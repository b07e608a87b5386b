//! 1Password's exports: `.1pux` (support.1password.com/1pux-format: a zip
//! whose `export.data` holds accounts → vaults → items, each with login
//! fields, sections of typed fields and notes) and its CSV export.

use std::io::{Cursor, Read as _};

use secrecy::SecretString;
use serde_json::Value;
use zeroize::Zeroizing;

use super::{Field, Item, Parsed, bad, csv_rows, flat::parse_json, text};

/// `export.data` unpacked beyond this is refused (a zip bomb, or not an export).
const MAX_DATA_BYTES: u64 = 256 * 1024 * 1024;

pub fn pux(bytes: &[u8]) -> Parsed<Vec<Item>> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|err| bad(format!("not a zip archive ({err})")))?;
    let entry = archive.by_name("export.data").map_err(|_| bad("the archive has no export.data"))?;
    let mut data = Zeroizing::new(Vec::new());
    entry
        .take(MAX_DATA_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(|err| bad(format!("export.data cannot be unpacked ({err})")))?;
    if data.len() as u64 > MAX_DATA_BYTES {
        return Err(bad(format!("export.data unpacks to more than {} MiB", MAX_DATA_BYTES >> 20)));
    }
    let export = parse_json(&data)?;
    let accounts =
        export.get("accounts").and_then(Value::as_array).ok_or_else(|| bad("export.data has no accounts"))?;
    let mut items = Vec::new();
    for account in accounts {
        for vault in account.get("vaults").and_then(Value::as_array).into_iter().flatten() {
            let vault_name = vault.get("attrs").and_then(|attrs| str(attrs, "name"));
            for entry in vault.get("items").and_then(Value::as_array).into_iter().flatten() {
                items.push(item(entry, vault_name.clone()));
            }
        }
    }
    Ok(items)
}

fn item(entry: &Value, vault: Option<String>) -> Item {
    let overview = entry.get("overview").unwrap_or(&Value::Null);
    let details = entry.get("details").unwrap_or(&Value::Null);
    let mut fields = Vec::new();
    let mut username = None;
    for field in details.get("loginFields").and_then(Value::as_array).into_iter().flatten() {
        let Some(value) = str(field, "value") else { continue };
        let designation = field.get("designation").and_then(Value::as_str).unwrap_or("");
        match (field.get("fieldType").and_then(Value::as_str), designation) {
            (Some("P"), _) => fields.push(Field::concealed(label(field, "password").as_str(), value)),
            (_, "username") => username = Some(value),
            _ => {}
        }
    }
    if let Some(password) = str(details, "password") {
        fields.push(Field::concealed("password", password));
    }
    for section in details.get("sections").and_then(Value::as_array).into_iter().flatten() {
        for field in section.get("fields").and_then(Value::as_array).into_iter().flatten() {
            let Some(value) = field.get("value").and_then(Value::as_object) else { continue };
            // Typed values: these kinds are hidden in 1Password; strings, URLs, dates are not.
            let hidden = ["concealed", "totp", "creditCardNumber"]
                .iter()
                .find_map(|kind| text(value.get(*kind).and_then(Value::as_str)))
                .or_else(|| value.get("sshKey").and_then(|key| str(key, "privateKey")));
            match hidden {
                Some(secret) => fields.push(Field::concealed(&label(field, "field"), secret)),
                None if label(field, "").eq_ignore_ascii_case("username") => {
                    username = username.or_else(|| text(value.get("string").and_then(Value::as_str)))
                }
                None => {}
            }
        }
    }
    let url = str(overview, "url").or_else(|| {
        overview
            .get("urls")
            .and_then(Value::as_array)
            .and_then(|urls| urls.first())
            .and_then(|url| str(url, "url"))
    });
    Item {
        title: str(overview, "title").unwrap_or_default(),
        folder: vault,
        url,
        username,
        fields,
        notes: str(details, "notesPlain").map(SecretString::from),
        trashed: matches!(entry.get("state").and_then(Value::as_str), Some("deleted" | "trashed")),
    }
}

fn label(field: &Value, fallback: &str) -> String {
    str(field, "title").or_else(|| str(field, "name")).unwrap_or_else(|| fallback.to_owned())
}

fn str(value: &Value, key: &str) -> Option<String> {
    text(value.get(key).and_then(Value::as_str))
}

/// Title, Url, Username, Password, OTPAuth, Favorite, Archived, Tags, Notes.
pub fn csv(bytes: &[u8]) -> Parsed<Vec<Item>> {
    Ok(csv_rows(bytes)?
        .into_iter()
        .map(|row| {
            let get = |column: &str| row.get(column);
            let fields = row.secrets(&[("password", "password"), ("otpauth", "TOTP")]);
            Item {
                title: get("title").unwrap_or_default(),
                folder: get("tags").map(|tags| tags.split([';', ',']).next().unwrap_or("").trim().to_owned()),
                url: get("url").or_else(|| get("website")),
                username: get("username"),
                fields,
                notes: get("notes").or_else(|| get("notesplain")).map(SecretString::from),
                trashed: false,
            }
        })
        .collect())
}
