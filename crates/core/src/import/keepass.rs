//! KeePassXC's exports. CSV, as `keepassxc-cli export --format csv` writes it:
//! "Group","Title","Username","Password","URL","Notes","TOTP",… with the group
//! as a path from the root ("Root/Dev/APIs").

use secrecy::SecretString;

use super::{Field, Item, Parsed, csv_rows, text};

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
