-- Schema 12: items stored by programs through the Secret Service or the git
-- credential helper (item.rs). Each is a secret of kind 'item' (its value
-- encrypted and versioned like every value) with one row here: the
-- collection (a Keyhaven folder) it is in, its label, its attributes (a JSON
-- object, keys sorted) and content type in the clear, so that programs can
-- search while the vault is locked, as they search gnome-keyring; how the
-- value is encoded ('' for text, 'base64' for bytes that are not text);
-- and whether every read asks. Tag "item/1" over the secret's row id and
-- incarnation and every column but the tag (vault/items.rs).
CREATE TABLE items (
    secret_id    INTEGER PRIMARY KEY REFERENCES secrets (id) ON DELETE CASCADE,
    collection   TEXT NOT NULL,
    label        TEXT NOT NULL,
    attributes   TEXT NOT NULL,
    content_type TEXT NOT NULL,
    encoding     TEXT NOT NULL DEFAULT '',
    always_ask   INTEGER NOT NULL DEFAULT 0,
    modified_ms  INTEGER NOT NULL,
    mac          BLOB NOT NULL
);

-- Collections made by programs (CreateCollection), beside the default one,
-- 'login', which always exists. Tag "item-collection/1" over every column
-- but the tag.
CREATE TABLE item_collections (
    id         TEXT PRIMARY KEY,
    label      TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    mac        BLOB NOT NULL
);
