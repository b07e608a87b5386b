-- Schema 4: integrity tags (HMAC-SHA256, see vault/integrity.rs). NULL until
-- the first passphrase unlock after this migration tags every row and seals the
-- header; from then on a row without a valid tag is refused, not trusted.
ALTER TABLE secrets ADD COLUMN mac BLOB;
ALTER TABLE versions ADD COLUMN mac BLOB;
ALTER TABLE remotes ADD COLUMN mac BLOB;
ALTER TABLE sync_state ADD COLUMN mac BLOB;
ALTER TABLE outbox ADD COLUMN mac BLOB;
-- Keyhaven 0.1 kept a remote's error text here, which may echo a value.
UPDATE outbox SET last_error = NULL;
