-- Schema 5: what the user decides per remote, apart from the remote's row
-- (whose tag covers where the token goes): when its API key was set and when
-- it expires, and which secrets go there (a JSON sync::Selection; NULL until
-- chosen). Tagged like every row. A remote without a row has chosen nothing,
-- so nothing is sent to it; its key counts from when the remote was added.
CREATE TABLE remote_settings (
    remote_id   INTEGER PRIMARY KEY REFERENCES remotes (id) ON DELETE CASCADE,
    key_set_ms  INTEGER NOT NULL,
    -- A calendar date, YYYY-MM-DD.
    key_expires TEXT,
    selection   TEXT,
    mac         BLOB NOT NULL
);
