-- Schema 7: a copy set aside. A conflict settled by keeping the remote's value
-- on a remote that cannot send values back marks this device's version out of
-- date; reveals of it refuse until a newer version is set (vault/out_of_date.rs).
CREATE TABLE out_of_date (
    secret_id INTEGER PRIMARY KEY REFERENCES secrets (id) ON DELETE CASCADE,
    version   INTEGER NOT NULL,
    remote    TEXT NOT NULL,
    marked_ms INTEGER NOT NULL,
    mac       BLOB NOT NULL
) WITHOUT ROWID;
