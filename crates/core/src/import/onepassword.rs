//! 1Password's exports: `.1pux` (support.1password.com/1pux-format: a zip
//! whose `export.data` holds accounts → vaults → items, each with login
//! fields, sections of typed fields and notes) and its CSV export.

use std::io::{Cursor, Read as _};

use secrecy::SecretString;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::{
    Field, Item, Parsed, bad, csv_rows,
    json::{List, Obj, Text},
    text,
};

/// `export.data` unpacked beyond this is refused (a zip bomb, or not an
/// export): a 10,000-item export is about 10 MB.
pub const MAX_DATA_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Export {
    accounts: Option<List<Account>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Account {
    vaults: List<Vault>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Vault {
    attrs: Obj<Attrs>,
    items: List<Entry>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Attrs {
    name: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Entry {
    overview: Obj<Overview>,
    details: Obj<Details>,
    state: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Overview {
    title: Text,
    url: Text,
    urls: List<Obj<Url>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Url {
    url: Text,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Details {
    login_fields: List<LoginField>,
    password: Text,
    sections: List<Section>,
    notes_plain: Text,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct LoginField {
    value: Text,
    designation: Text,
    field_type: Text,
    title: Text,
    name: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Section {
    fields: List<SectionField>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SectionField {
    title: Text,
    name: Text,
    value: Obj<Typed>,
}

/// A section field's typed value: these kinds are hidden in 1Password;
/// strings, URLs and dates are not.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Typed {
    concealed: Text,
    totp: Text,
    credit_card_number: Text,
    string: Text,
    ssh_key: Obj<SshKey>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SshKey {
    private_key: Text,
}

pub fn pux(bytes: &[u8]) -> Parsed<Vec<Item>> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|err| bad(format!("not a zip archive ({err})")))?;
    let entry = archive.by_name("export.data").map_err(|_| bad("the archive has no export.data"))?;
    // Sized once from what the archive declares (never past the cap), so the
    // buffer does not double past it while filling.
    let mut data = Zeroizing::new(Vec::with_capacity(entry.size().min(MAX_DATA_BYTES + 1) as usize));
    entry
        .take(MAX_DATA_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(|err| bad(format!("export.data cannot be unpacked ({err})")))?;
    if data.len() as u64 > MAX_DATA_BYTES {
        return Err(bad(format!("export.data unpacks to more than {} MiB", MAX_DATA_BYTES >> 20)));
    }
    let export: Export = super::json::parse(&data, "1Password's export.data")?;
    let accounts = export.accounts.ok_or_else(|| bad("export.data has no accounts"))?;
    let mut items = Vec::new();
    for account in accounts.iter() {
        for vault in account.vaults.iter() {
            let vault_name = vault.attrs.0.as_ref().and_then(|attrs| attrs.name.get());
            for entry in vault.items.iter() {
                items.push(item(entry, vault_name.clone()));
            }
        }
    }
    Ok(items)
}

fn item(entry: &Entry, vault: Option<String>) -> Item {
    let mut fields = Vec::new();
    let mut username = None;
    let details = entry.details.0.as_ref();
    for field in details.into_iter().flat_map(|details| details.login_fields.iter()) {
        let Some(value) = field.value.get() else { continue };
        let label = field.title.get().or_else(|| field.name.get()).unwrap_or_else(|| "password".into());
        match (field.field_type.0.as_deref(), field.designation.0.as_deref().unwrap_or("")) {
            (Some("P"), _) => fields.push(Field::concealed(&label, value)),
            (_, "username") => username = Some(value),
            _ => {}
        }
    }
    if let Some(password) = details.and_then(|details| details.password.get()) {
        fields.push(Field::concealed("password", password));
    }
    for section in details.into_iter().flat_map(|details| details.sections.iter()) {
        for field in section.fields.iter() {
            let Some(value) = field.value.0.as_ref() else { continue };
            let label = field.title.get().or_else(|| field.name.get());
            let label_or = label.as_deref().unwrap_or("field");
            if let Some(key) = value.ssh_key.0.as_ref().and_then(|key| key.private_key.get()) {
                fields.push(Field::ssh_key(label_or, key));
                continue;
            }
            let hidden = [&value.concealed, &value.totp, &value.credit_card_number]
                .iter()
                .find_map(|kind| text(kind.0.as_deref()));
            match hidden {
                Some(secret) => fields.push(Field::concealed(label_or, secret)),
                None if label.as_deref().is_some_and(|label| label.eq_ignore_ascii_case("username")) => {
                    username = username.or_else(|| value.string.get())
                }
                None => {}
            }
        }
    }
    let overview = entry.overview.0.as_ref();
    let url = overview.and_then(|overview| {
        overview.url.get().or_else(|| overview.urls.iter().next().and_then(|url| url.0.as_ref()?.url.get()))
    });
    Item {
        title: overview.and_then(|overview| overview.title.get()).unwrap_or_default(),
        folder: vault,
        url,
        username,
        fields,
        notes: details.and_then(|details| details.notes_plain.get()).map(SecretString::from),
        trashed: matches!(entry.state.0.as_deref(), Some("deleted" | "trashed")),
    }
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
