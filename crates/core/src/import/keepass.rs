//! KeePass and KeePassXC: the database itself (.kdbx 3.1 and 4, AES-KDF or
//! Argon2, a password and optionally a key file; read by the `keepass` crate),
//! and the CSV `keepassxc-cli export --format csv` writes:
//! "Group","Title","Username","Password","URL","Notes","TOTP",… with the group
//! as a path from the root ("Passwords/Dev/APIs").

use std::io::Cursor;

use keepass::{
    Database, DatabaseKey,
    db::{Entry, Group, Value},
    error::{DatabaseIntegrityError, DatabaseKeyError, DatabaseOpenError},
};
use secrecy::{ExposeSecret, SecretString};

use super::{Field, Item, Parsed, Problem, bad, csv_rows, text};

/// The first bytes of every KeePass 2 database.
pub const KDBX_MAGIC: [u8; 4] = [0x03, 0xd9, 0xa2, 0x9a];

/// Entry fields KeePass gives every entry; any other is a custom one.
const STANDARD: [&str; 5] = ["Title", "UserName", "Password", "URL", "Notes"];

pub fn kdbx(bytes: &[u8], passphrase: Option<&SecretString>, keyfile: Option<&[u8]>) -> Parsed<Vec<Item>> {
    if passphrase.is_none() && keyfile.is_none() {
        return Err(Problem::NeedsPassphrase);
    }
    let mut key = DatabaseKey::new();
    if let Some(passphrase) = passphrase {
        key = key.with_password(passphrase.expose_secret());
    }
    if let Some(keyfile) = keyfile {
        key = key.with_keyfile(&mut Cursor::new(keyfile)).map_err(|_| bad("the key file cannot be read"))?;
    }
    let db = Database::parse(bytes, key).map_err(|err| match err {
        DatabaseOpenError::Key(DatabaseKeyError::IncorrectKey) => Problem::WrongPassphrase,
        // KDBX 3.1 finds a wrong key only when the payload fails to decrypt.
        DatabaseOpenError::DatabaseIntegrity(DatabaseIntegrityError::Cryptography(_)) => {
            Problem::WrongPassphrase
        }
        // The crate's messages name structures and versions, not contents.
        other => bad(other.to_string()),
    })?;
    let mut items = Vec::new();
    walk(&db.root, None, db.meta.recyclebin_uuid, false, &mut items);
    Ok(items)
}

/// Entries of `group` and below; `folder` is the innermost group's name (none at the root).
fn walk(group: &Group, folder: Option<&str>, bin: Option<uuid::Uuid>, trashed: bool, items: &mut Vec<Item>) {
    for entry in &group.entries {
        items.push(entry_item(entry, folder, trashed));
    }
    for child in &group.groups {
        let trashed = trashed || Some(child.uuid) == bin;
        walk(child, Some(&child.name), bin, trashed, items);
    }
}

fn entry_item(entry: &Entry, folder: Option<&str>, trashed: bool) -> Item {
    let plain = |value: &Value| match value {
        Value::Unprotected(text) => text.clone(),
        Value::Protected(secret) => String::from_utf8_lossy(secret.unsecure()).into_owned(),
        Value::Bytes(_) => String::new(),
    };
    let mut fields = Vec::new();
    if let Some(password) = text(entry.get_password()) {
        fields.push(Field::concealed("password", password));
    }
    // Custom fields: the protected ones (KeePassXC's "protect" box) are secrets.
    let mut custom: Vec<(&String, &Value)> =
        entry.fields.iter().filter(|(key, _)| !STANDARD.contains(&key.as_str())).collect();
    custom.sort_by(|a, b| a.0.cmp(b.0));
    for (key, value) in custom {
        let secret = matches!(value, Value::Protected(_)) || key == "otp";
        let value = plain(value);
        if secret && !value.is_empty() {
            fields.push(Field::concealed(if key == "otp" { "TOTP" } else { key }, value));
        }
    }
    Item {
        title: entry.get_title().unwrap_or_default().to_owned(),
        folder: folder.map(str::to_owned),
        url: text(entry.get_url()),
        username: text(entry.get_username()),
        fields,
        notes: entry.fields.get("Notes").map(plain).filter(|notes| !notes.is_empty()).map(SecretString::from),
        trashed,
    }
}

/// KeePassXC's recycle bin (and KeePass's, in English).
const RECYCLE_BIN: &str = "Recycle Bin";

pub fn csv(bytes: &[u8]) -> Parsed<Vec<Item>> {
    Ok(csv_rows(bytes)?
        .into_iter()
        .map(|row| {
            let get = |key: &str| text(row.get(key).map(|cell| cell.as_str()));
            let mut fields = Vec::new();
            if let Some(password) = get("password") {
                fields.push(Field::concealed("password", password));
            }
            if let Some(totp) = get("totp") {
                fields.push(Field::concealed("TOTP", totp));
            }
            let path = get("group").unwrap_or_default();
            let groups: Vec<&str> = path.split('/').collect();
            Item {
                title: get("title").unwrap_or_default(),
                // The innermost group; the root alone is no category.
                folder: (groups.len() > 1).then(|| groups[groups.len() - 1].to_owned()),
                url: get("url"),
                username: get("username"),
                fields,
                notes: get("notes").map(SecretString::from),
                trashed: groups.iter().skip(1).any(|group| *group == RECYCLE_BIN),
            }
        })
        .collect())
}
