//! Programs' items beside their secrets (table `items`, one row per secret
//! of kind [`SecretKind::Item`]) and the collections programs made (table
//! `item_collections`). Labels and attributes are in the clear, so that a
//! locked vault can be searched; each row's tag binds them to its secret's
//! row id and incarnation, so an edited file cannot move an item's
//! attributes to another item (and hand its value to whoever asks for
//! those attributes).

use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use super::{
    integrity::{Field, IntegrityKey},
    now_ms,
    records::Stored,
    timestamp,
};
use crate::{
    Error, Result,
    item::{Attributes, CollectionInfo, DEFAULT_COLLECTION, ItemInfo},
    secret::{SecretKind, SecretName},
};

const DOMAIN: &str = "item/1";
const COLLECTION_DOMAIN: &str = "item-collection/1";

/// An item's row joined with its secret's.
pub(crate) struct Row {
    pub secret_id: i64,
    pub name: SecretName,
    pub created_ms: i64,
    pub collection: String,
    pub label: String,
    /// As stored: a JSON object, keys sorted.
    pub attributes: String,
    pub content_type: String,
    /// The value is base64 (bytes that are not text).
    pub base64: bool,
    pub always_ask: bool,
    pub modified_ms: i64,
    pub mac: Vec<u8>,
}

impl Row {
    fn fields(&self) -> [Field<'_>; 9] {
        [
            Field::Int(self.secret_id),
            Field::Int(self.created_ms),
            Field::Text(&self.collection),
            Field::Text(&self.label),
            Field::Text(&self.attributes),
            Field::Text(&self.content_type),
            Field::Int(self.base64.into()),
            Field::Int(self.always_ask.into()),
            Field::Int(self.modified_ms),
        ]
    }

    /// Fails unless the row is as Keyhaven wrote it for this very secret.
    pub fn verify(&self, key: &IntegrityKey) -> Result<()> {
        if key.verify(DOMAIN, &self.fields(), Some(&self.mac)) {
            Ok(())
        } else {
            Err(Error::Tampered(format!("the label and attributes of {}", self.name)))
        }
    }

    /// The listing's view. Attributes that do not parse (a file edited by
    /// hand, caught by the tag once unlocked) read as none.
    pub fn info(&self) -> ItemInfo {
        ItemInfo {
            id: self.secret_id,
            name: self.name.clone(),
            collection: self.collection.clone(),
            label: self.label.clone(),
            attributes: serde_json::from_str(&self.attributes).unwrap_or_default(),
            content_type: self.content_type.clone(),
            always_ask: self.always_ask,
            created: timestamp(self.created_ms),
            modified: timestamp(self.modified_ms),
        }
    }
}

/// What an item's row says besides its secret.
pub(crate) struct Fields<'a> {
    pub collection: &'a str,
    pub label: &'a str,
    pub attributes: &'a Attributes,
    pub content_type: &'a str,
    pub base64: bool,
    pub always_ask: bool,
}

/// Writes (or replaces) the row of the item `secret` holds.
pub(crate) fn put(
    tx: &Transaction<'_>,
    key: &IntegrityKey,
    secret: &Stored,
    fields: &Fields<'_>,
) -> Result<()> {
    let mut row = Row {
        secret_id: secret.id,
        name: secret.meta.name.clone(),
        created_ms: secret.meta.created.as_millisecond(),
        collection: fields.collection.to_owned(),
        label: fields.label.to_owned(),
        attributes: serde_json::to_string(fields.attributes)
            .map_err(|err| Error::invalid("attributes", err.to_string()))?,
        content_type: fields.content_type.to_owned(),
        base64: fields.base64,
        always_ask: fields.always_ask,
        modified_ms: now_ms(),
        mac: Vec::new(),
    };
    row.mac = key.tag(DOMAIN, &row.fields());
    tx.prepare_cached(
        "INSERT INTO items (secret_id, collection, label, attributes, content_type, encoding, always_ask, modified_ms, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (secret_id) DO UPDATE SET collection = ?2, label = ?3, attributes = ?4,
             content_type = ?5, encoding = ?6, always_ask = ?7, modified_ms = ?8, mac = ?9",
    )?
    .execute(params![
        row.secret_id,
        row.collection,
        row.label,
        row.attributes,
        row.content_type,
        if row.base64 { "base64" } else { "" },
        row.always_ask,
        row.modified_ms,
        row.mac
    ])?;
    Ok(())
}

const SELECT: &str = "SELECT i.secret_id, s.name, s.created_ms, i.collection, i.label, i.attributes,
        i.content_type, i.encoding, i.always_ask, i.modified_ms, i.mac
    FROM items i JOIN secrets s ON s.id = i.secret_id";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        secret_id: row.get(0)?,
        name: SecretName::from_stored(row.get(1)?),
        created_ms: row.get(2)?,
        collection: row.get(3)?,
        label: row.get(4)?,
        attributes: row.get(5)?,
        content_type: row.get(6)?,
        base64: row.get::<_, String>(7)? == "base64",
        always_ask: row.get(8)?,
        modified_ms: row.get(9)?,
        mac: row.get(10)?,
    })
}

/// The items of live secrets, oldest first; tags unchecked (a locked vault
/// cannot check them: values are read only after the row is checked).
pub(crate) fn live(conn: &Connection) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE s.deleted_ms IS NULL AND s.kind = ?1 ORDER BY i.secret_id"
    ))?;
    let rows = stmt.query_map([SecretKind::Item.as_stored()], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The live item `id`, if there is one; tag unchecked.
pub(crate) fn one(conn: &Connection, id: i64) -> Result<Option<Row>> {
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE s.deleted_ms IS NULL AND s.kind = ?2 AND i.secret_id = ?1"))?
        .query_row(params![id, SecretKind::Item.as_stored()], from_row)
        .optional()?)
}

/// Checks every row, and that every item has one.
pub(crate) fn verify_all(conn: &Connection, key: &IntegrityKey) -> Result<()> {
    for row in conn.prepare_cached(SELECT)?.query_map([], from_row)? {
        row?.verify(key)?;
    }
    for collection in collection_rows(conn)? {
        collection.verify(key)?;
    }
    let missing: Option<String> = conn
        .prepare_cached(
            "SELECT name FROM secrets WHERE kind = ?1 AND id NOT IN (SELECT secret_id FROM items) LIMIT 1",
        )?
        .query_row([SecretKind::Item.as_stored()], |row| row.get(0))
        .optional()?;
    match missing {
        Some(name) => Err(Error::Tampered(format!("the label and attributes of {name} (they are missing)"))),
        None => Ok(()),
    }
}

/// Tags every row under `key` (a new passphrase or key).
pub(crate) fn tag_all(tx: &Transaction<'_>, key: &IntegrityKey) -> Result<()> {
    let rows: Vec<Row> = tx.prepare(SELECT)?.query_map([], from_row)?.collect::<rusqlite::Result<_>>()?;
    let mut update = tx.prepare("UPDATE items SET mac = ?2 WHERE secret_id = ?1")?;
    for row in rows {
        update.execute(params![row.secret_id, key.tag(DOMAIN, &row.fields())])?;
    }
    drop(update);
    let mut update = tx.prepare("UPDATE item_collections SET mac = ?2 WHERE id = ?1")?;
    for row in collection_rows(tx)? {
        update.execute(params![row.id, key.tag(COLLECTION_DOMAIN, &row.fields())])?;
    }
    Ok(())
}

/// A collection a program made.
pub(crate) struct CollectionRow {
    id: String,
    label: String,
    created_ms: i64,
    mac: Vec<u8>,
}

impl CollectionRow {
    fn fields(&self) -> [Field<'_>; 3] {
        [Field::Text(&self.id), Field::Text(&self.label), Field::Int(self.created_ms)]
    }

    fn verify(&self, key: &IntegrityKey) -> Result<()> {
        if key.verify(COLLECTION_DOMAIN, &self.fields(), Some(&self.mac)) {
            Ok(())
        } else {
            Err(Error::Tampered(format!("the collection {}", self.id)))
        }
    }

    fn info(self) -> CollectionInfo {
        CollectionInfo { id: self.id, label: self.label, created: timestamp(self.created_ms) }
    }
}

fn collection_rows(conn: &Connection) -> Result<Vec<CollectionRow>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, label, created_ms, mac FROM item_collections ORDER BY created_ms")?;
    let rows = stmt.query_map([], |row| {
        Ok(CollectionRow { id: row.get(0)?, label: row.get(1)?, created_ms: row.get(2)?, mac: row.get(3)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The default collection, then those programs made (tags unchecked).
pub(crate) fn collections(conn: &Connection) -> Result<Vec<CollectionInfo>> {
    let first_item: Option<i64> = conn
        .query_row(
            "SELECT min(created_ms) FROM secrets WHERE kind = ?1",
            [SecretKind::Item.as_stored()],
            |row| row.get(0),
        )
        .optional()?
        .flatten();
    let default = CollectionInfo {
        id: DEFAULT_COLLECTION.into(),
        label: "Login".into(),
        created: timestamp(first_item.unwrap_or(0)),
    };
    let mut all = vec![default];
    all.extend(collection_rows(conn)?.into_iter().map(CollectionRow::info));
    Ok(all)
}

/// Adds a collection; its id must be new.
pub(crate) fn add_collection(
    tx: &Transaction<'_>,
    key: &IntegrityKey,
    id: &str,
    label: &str,
) -> Result<CollectionInfo> {
    let mut row =
        CollectionRow { id: id.to_owned(), label: label.to_owned(), created_ms: now_ms(), mac: Vec::new() };
    row.mac = key.tag(COLLECTION_DOMAIN, &row.fields());
    tx.prepare_cached("INSERT INTO item_collections (id, label, created_ms, mac) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![row.id, row.label, row.created_ms, row.mac])?;
    Ok(row.info())
}

/// Removes a collection's row (its items are removed by the caller).
pub(crate) fn remove_collection(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    Ok(tx.prepare_cached("DELETE FROM item_collections WHERE id = ?1")?.execute([id])? == 1)
}
