-- Schema 11: approvals remembered "always for this program" (approval.rs).
-- A grant lets the program at `exe`, as long as its file hashes to
-- `sha256`, use `subject` (such as 'ssh-key:DEPLOY_KEY') without asking; a
-- changed binary is asked again. Tag "grant/1" over every column but the tag
-- (vault/grants.rs), so an edited file cannot grant a program anything.
CREATE TABLE grants (
    id         INTEGER PRIMARY KEY,
    exe        TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    mac        BLOB NOT NULL,
    UNIQUE (exe, subject)
);
