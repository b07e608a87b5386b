//! Programs' items in the unlocked vault: storing one, reading its value
//! for a program (logged with the program), changing and removing it, and
//! the collections programs make.

use rusqlite::Transaction;

use super::{UnlockedVault, Write, immediate, next_version, write_version};
use crate::{
    Error, Result, Vault,
    item::{self, Attributes, CollectionInfo, DEFAULT_COLLECTION, ItemInfo, ItemValue, NewItem},
    secret::{SecretFields, SecretKind, SecretName, validate_value},
    vault::{
        audit::{self, Action},
        crypto,
        integrity::IntegrityKey,
        items::{self, Fields, Row},
        records,
    },
};

impl Vault {
    /// The items programs stored (works locked: programs search before an
    /// unlock; each row's tag is checked before its value is read).
    pub fn items(&self) -> Result<Vec<ItemInfo>> {
        Ok(items::live(&self.conn)?.iter().map(Row::info).collect())
    }

    /// The live item `id`, if there is one.
    pub fn item(&self, id: i64) -> Result<Option<ItemInfo>> {
        Ok(items::one(&self.conn, id)?.as_ref().map(Row::info))
    }

    /// The default collection, then those programs made.
    pub fn item_collections(&self) -> Result<Vec<CollectionInfo>> {
        items::collections(&self.conn)
    }
}

impl UnlockedVault {
    /// Stores a program's item. With `replace`, an item of the same
    /// collection with exactly these attributes gets the value as a new
    /// version (and the new label); otherwise a new item is made, under a
    /// name of its own made from its label. `origin` (who stored it) goes
    /// into its history. The item, and whether it is new (not replaced).
    pub fn store_item(
        &mut self,
        new: &NewItem,
        value: &ItemValue,
        replace: bool,
        origin: &str,
    ) -> Result<(ItemInfo, bool)> {
        new.validate()?;
        if !self.item_collections()?.iter().any(|c| c.id == new.collection) {
            return Err(Error::invalid("collection", format!("there is no collection {}", new.collection)));
        }
        let existing = match replace {
            true => items::live(&self.vault.conn)?
                .into_iter()
                .find(|row| row.collection == new.collection && row.info().attributes == new.attributes),
            false => None,
        };
        let (stored_value, base64) = value.to_stored();
        let recipient = &self.vault.header.recipient;
        let key = &self.key;
        let tx = immediate(&mut self.vault.conn)?;
        let (name, write, always_ask) = match existing {
            Some(row) => {
                row.verify(key)?;
                let stored = records::live(&tx, &row.name)?;
                (row.name, Write::next(stored, &tx, key)?, row.always_ask)
            }
            None => (free_name(&tx, &new.label)?, Write::Insert, false),
        };
        validate_value(&name, &stored_value)?;
        let created = matches!(write, Write::Insert);
        let action = if created { Action::Set } else { Action::Rotate };
        let sealed = crypto::seal_value(recipient, &name, next_version(&write), &stored_value);
        write_version(
            &tx,
            key,
            &name,
            write,
            &sealed,
            origin,
            Some(&SecretFields::default()),
            SecretKind::Item,
        )?;
        let stored = records::live(&tx, &name)?;
        let fields = Fields {
            collection: &new.collection,
            label: &new.label,
            attributes: &new.attributes,
            content_type: &new.content_type,
            base64,
            always_ask,
        };
        items::put(&tx, key, &stored, &fields)?;
        audit::record(&tx, action, Some(name.as_str()), Some(origin))?;
        let info = checked(&tx, key, stored.id)?.info();
        tx.commit()?;
        Ok((info, created))
    }

    /// The value of item `id` for `who` (a program, described), recorded in
    /// the log. Works on a shared vault: programs read while others write.
    pub fn read_item(&self, id: i64, who: &str) -> Result<(ItemInfo, ItemValue)> {
        let row = checked(&self.vault.conn, &self.key, id)?;
        let stored = self.verified_live(&row.name)?;
        let value = self.open_version(&stored, stored.meta.version)?;
        let value = ItemValue::from_stored(&value, row.base64)?;
        audit::record(&self.vault.conn, Action::Reveal, Some(row.name.as_str()), Some(who))?;
        Ok((row.info(), value))
    }

    /// Gives item `id` a new value, as a new version.
    pub fn set_item_value(&mut self, id: i64, value: &ItemValue, origin: &str) -> Result<ItemInfo> {
        let (stored_value, base64) = value.to_stored();
        let recipient = &self.vault.header.recipient;
        let key = &self.key;
        let tx = immediate(&mut self.vault.conn)?;
        let row = checked(&tx, key, id)?;
        validate_value(&row.name, &stored_value)?;
        let write = Write::next(records::live(&tx, &row.name)?, &tx, key)?;
        let version = next_version(&write);
        let sealed = crypto::seal_value(recipient, &row.name, version, &stored_value);
        write_version(&tx, key, &row.name, write, &sealed, origin, None, SecretKind::Item)?;
        let stored = records::live(&tx, &row.name)?;
        let info = row.info();
        let fields = Fields {
            collection: &info.collection,
            label: &info.label,
            attributes: &info.attributes,
            content_type: &info.content_type,
            base64,
            always_ask: info.always_ask,
        };
        items::put(&tx, key, &stored, &fields)?;
        audit::record(&tx, Action::Rotate, Some(row.name.as_str()), Some(origin))?;
        let info = checked(&tx, key, id)?.info();
        tx.commit()?;
        Ok(info)
    }

    /// Changes item `id`'s label, attributes or "always ask" (each if given).
    pub fn edit_item(
        &mut self,
        id: i64,
        label: Option<&str>,
        attributes: Option<&Attributes>,
        always_ask: Option<bool>,
    ) -> Result<ItemInfo> {
        if let Some(label) = label {
            item::check_label(label)?;
        }
        if let Some(attributes) = attributes {
            item::check_attributes(attributes)?;
        }
        let key = &self.key;
        let tx = immediate(&mut self.vault.conn)?;
        let row = checked(&tx, key, id)?;
        let stored = records::live(&tx, &row.name)?;
        stored.verify(&tx, key)?;
        let info = row.info();
        let fields = Fields {
            collection: &info.collection,
            label: label.unwrap_or(&info.label),
            attributes: attributes.unwrap_or(&info.attributes),
            content_type: &info.content_type,
            base64: row.base64,
            always_ask: always_ask.unwrap_or(info.always_ask),
        };
        items::put(&tx, key, &stored, &fields)?;
        let what = match (label, attributes, always_ask) {
            (_, _, Some(true)) => "always ask",
            (_, _, Some(false)) => "ask as allowed",
            (Some(_), None, None) => "label",
            (None, Some(_), None) => "attributes",
            _ => "label and attributes",
        };
        audit::record(&tx, Action::Edit, Some(row.name.as_str()), Some(what))?;
        let info = checked(&tx, key, id)?.info();
        tx.commit()?;
        Ok(info)
    }

    /// Removes item `id` (a tombstone, as every removal).
    pub fn remove_item(&mut self, id: i64) -> Result<ItemInfo> {
        let row = checked(&self.vault.conn, &self.key, id)?;
        self.remove(&row.name)?;
        Ok(row.info())
    }

    /// Makes a collection (a folder of items in this vault, never a new
    /// vault) labelled `label`; its id comes from the label, made unique.
    pub fn create_collection(&mut self, label: &str) -> Result<CollectionInfo> {
        item::check_label(label)?;
        let existing = self.item_collections()?;
        if existing.len() > item::MAX_COLLECTIONS {
            return Err(Error::invalid(
                "collection",
                format!("programs make at most {} collections", item::MAX_COLLECTIONS),
            ));
        }
        let base = item::collection_id(label);
        let taken = |id: &str| existing.iter().any(|c| c.id == id);
        let id = (1..)
            .map(|n| if n == 1 { base.clone() } else { format!("{base}_{n}") })
            .find(|id| !taken(id))
            .unwrap_or(base);
        let tx = immediate(&mut self.vault.conn)?;
        let info = items::add_collection(&tx, &self.key, &id, label)?;
        audit::record(&tx, Action::Edit, None, Some(&format!("collection {id} made")))?;
        tx.commit()?;
        Ok(info)
    }

    /// Removes a collection a program made, with its items.
    pub fn remove_collection(&mut self, id: &str) -> Result<usize> {
        if id == DEFAULT_COLLECTION {
            return Err(Error::invalid("collection", "the default collection stays"));
        }
        let inside: Vec<i64> =
            self.items()?.into_iter().filter(|item| item.collection == id).map(|item| item.id).collect();
        for item in &inside {
            self.remove_item(*item)?;
        }
        let tx = immediate(&mut self.vault.conn)?;
        if !items::remove_collection(&tx, id)? {
            return Err(Error::invalid("collection", format!("there is no collection {id}")));
        }
        audit::record(&tx, Action::Remove, None, Some(&format!("collection {id}, {} items", inside.len())))?;
        tx.commit()?;
        Ok(inside.len())
    }
}

/// The live item `id`'s row, checked against its tag.
fn checked(conn: &rusqlite::Connection, key: &IntegrityKey, id: i64) -> Result<Row> {
    let row =
        items::one(conn, id)?.ok_or_else(|| Error::invalid("item", format!("there is no item {id}")))?;
    row.verify(key)?;
    Ok(row)
}

/// A name no row has (live or removed) made from `label`.
fn free_name(tx: &Transaction<'_>, label: &str) -> Result<SecretName> {
    let base = item::base_name(label);
    for n in 1..10_000 {
        let candidate = if n == 1 { base.clone() } else { format!("{base}_{n}") };
        let name = SecretName::parse(&candidate)?;
        if records::any(tx, &name)?.is_none() {
            return Ok(name);
        }
    }
    Err(Error::invalid("label", "too many items carry this label"))
}
