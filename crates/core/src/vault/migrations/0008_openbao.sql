-- Schema 8: OpenBao remotes. Where in the server a remote's secrets live
-- (KV mount, prefix and namespace, one per line: remote::KvLocation), NULL
-- for the hosted platforms. It decides where values go, so the remote's tag
-- covers it (tag "remote/2" for rows that have one; vault/remotes.rs).
ALTER TABLE remotes ADD COLUMN kv TEXT;
