-- Keyhaven vault schema, version 1.
-- header: one row per header field (format tag, vault id, KDF params and salt,
-- wrapped identity, recipient). Values live only as age ciphertext in versions.
CREATE TABLE header (
    key   TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE secrets (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    category    TEXT NOT NULL DEFAULT '',
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    rotate_by   TEXT,
    deleted_ms  INTEGER
);

CREATE TABLE versions (
    secret_id  INTEGER NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    origin     TEXT NOT NULL,
    ciphertext BLOB NOT NULL,
    PRIMARY KEY (secret_id, version)
) WITHOUT ROWID;

CREATE TABLE audit (
    id     INTEGER PRIMARY KEY,
    at_ms  INTEGER NOT NULL,
    action TEXT NOT NULL,
    name   TEXT,
    detail TEXT
);
