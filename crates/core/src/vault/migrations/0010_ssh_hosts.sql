-- Schema 10: where an SSH key is meant for, and whether a forwarded agent
-- may use it. `hosts` holds host patterns, one per line ('' for none): the
-- agent offers a key first to a server that matches, so a user with many
-- keys does not run into the server's MaxAuthTries. `forwarding` lets a
-- connection forwarded from another machine (ssh -A) sign with the key.
-- Both join the row's tag "ssh_key/1" when they are not the defaults, so
-- tags written by schema 9 still verify (vault/ssh_keys.rs).
ALTER TABLE ssh_keys ADD COLUMN hosts TEXT NOT NULL DEFAULT '';
ALTER TABLE ssh_keys ADD COLUMN forwarding INTEGER NOT NULL DEFAULT 0;
