//! KeePass and KeePassXC: the database itself (.kdbx 3.1 and 4, AES-KDF or
//! Argon2, a password and optionally a key file; read by the `keepass` crate),
//! the XML and the CSV `keepassxc-cli export` writes, the CSV as
//! "Group","Title","Username","Password","URL","Notes","TOTP",… with the group
//! as a path from the root ("Passwords/Dev/APIs").

use std::io::Cursor;

use keepass::{
    Database, DatabaseKey,
    db::{Group, Value},
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
        let strings = entry.fields.iter().map(|(key, value)| match value {
            Value::Unprotected(text) => (key.clone(), text.clone(), false),
            Value::Protected(secret) => {
                (key.clone(), String::from_utf8_lossy(secret.unsecure()).into_owned(), true)
            }
            Value::Bytes(_) => (key.clone(), String::new(), false),
        });
        items.push(entry_item(strings.collect(), folder, trashed));
    }
    for child in &group.groups {
        let trashed = trashed || Some(child.uuid) == bin;
        walk(child, Some(&child.name), bin, trashed, items);
    }
}

/// An entry's strings (key, value, protected) as an item: the password and
/// the protected custom strings (KeePassXC's "protect" box) and TOTP are secrets.
fn entry_item(mut strings: Vec<(String, String, bool)>, folder: Option<&str>, trashed: bool) -> Item {
    strings.sort_by(|a, b| a.0.cmp(&b.0));
    let standard =
        |key: &str| strings.iter().find(|(k, _, _)| k == key).and_then(|(_, value, _)| text(Some(value)));
    let mut fields: Vec<Field> =
        standard("Password").map(|password| Field::concealed("password", password)).into_iter().collect();
    for (key, value, protected) in &strings {
        let otp = key == "otp";
        if !STANDARD.contains(&key.as_str()) && (*protected || otp) && !value.is_empty() {
            fields.push(Field::concealed(if otp { "TOTP" } else { key }, value.clone()));
        }
    }
    Item {
        title: standard("Title").unwrap_or_default(),
        folder: folder.map(str::to_owned),
        url: standard("URL"),
        username: standard("UserName"),
        notes: standard("Notes").map(SecretString::from),
        fields,
        trashed,
    }
}

/// KeePass's XML, as `keepassxc-cli export --format xml` writes it (values in
/// the clear, `ProtectInMemory` marking the protected ones). Entries' history
/// is left out.
pub fn xml(bytes: &[u8]) -> Parsed<Vec<Item>> {
    let text = std::str::from_utf8(bytes).map_err(|_| bad("it is not UTF-8 text"))?;
    let doc = roxmltree::Document::parse(text).map_err(|err| {
        let at = err.pos();
        bad(format!("not well-formed XML (line {}, column {})", at.row, at.col))
    })?;
    let file = doc.root_element();
    if !file.has_tag_name("KeePassFile") {
        return Err(bad("its root element is not <KeePassFile>"));
    }
    let bin = child(file, "Meta").and_then(|meta| child_text(meta, "RecycleBinUUID"));
    let root = child(file, "Root").ok_or_else(|| bad("it has no <Root>"))?;
    let mut items = Vec::new();
    for group in root.children().filter(|node| node.has_tag_name("Group")) {
        walk_xml(group, None, bin.as_deref(), false, &mut items);
    }
    Ok(items)
}

fn walk_xml(
    group: roxmltree::Node,
    folder: Option<&str>,
    bin: Option<&str>,
    trashed: bool,
    items: &mut Vec<Item>,
) {
    let trashed = trashed || (bin.is_some() && child_text(group, "UUID").as_deref() == bin);
    for entry in group.children().filter(|node| node.has_tag_name("Entry")) {
        let strings = entry.children().filter(|node| node.has_tag_name("String")).filter_map(|string| {
            let key = child_text(string, "Key")?;
            let value = child(string, "Value")?;
            let protected =
                ["ProtectInMemory", "Protected"].iter().any(|name| value.attribute(*name) == Some("True"));
            Some((key, value.text().unwrap_or("").to_owned(), protected))
        });
        items.push(entry_item(strings.collect(), folder, trashed));
    }
    for sub in group.children().filter(|node| node.has_tag_name("Group")) {
        let name = child_text(sub, "Name");
        walk_xml(sub, name.as_deref(), bin, trashed, items);
    }
}

fn child<'a, 'input>(node: roxmltree::Node<'a, 'input>, name: &str) -> Option<roxmltree::Node<'a, 'input>> {
    node.children().find(|child| child.has_tag_name(name))
}

fn child_text(node: roxmltree::Node, name: &str) -> Option<String> {
    text(child(node, name).and_then(|child| child.text()))
}

/// KeePassXC's recycle bin (and KeePass's, in English).
const RECYCLE_BIN: &str = "Recycle Bin";

pub fn csv(bytes: &[u8]) -> Parsed<Vec<Item>> {
    Ok(csv_rows(bytes)?
        .into_iter()
        .map(|row| {
            let get = |column: &str| row.get(column);
            let fields = row.secrets(&[("password", "password"), ("totp", "TOTP")]);
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
