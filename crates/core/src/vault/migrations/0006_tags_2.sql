-- Schema 6: conflicts are tagged like the other sync tables (a resolve turns
-- one into a remote write or a pull). NULL until the vault's first unlock by
-- this version, which moves every row to tag format 2 (vault/header.rs).
ALTER TABLE conflicts ADD COLUMN mac BLOB;
-- A counter of each secret row's writes, which its current version row
-- carries too under its own tag: a secret row put back from before a later
-- write no longer matches the version it points at.
ALTER TABLE secrets ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE versions ADD COLUMN meta_revision INTEGER;
