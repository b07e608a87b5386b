-- Schema 9: SSH keys. A secret's kind ('' for text, 'ssh_key'), covered by
-- the secret's tag when it is not text (vault/records.rs). An SSH key's
-- value is its private key in OpenSSH's format, encrypted like any value; its
-- public half is kept here in the clear, so an agent can list keys while the
-- vault is locked, with whether the agent offers it. Tag "ssh_key/1" over the
-- secret's name and incarnation, the public key and the switch
-- (vault/ssh_keys.rs).
ALTER TABLE secrets ADD COLUMN kind TEXT NOT NULL DEFAULT '';

CREATE TABLE ssh_keys (
    secret_id  INTEGER PRIMARY KEY REFERENCES secrets (id) ON DELETE CASCADE,
    public_key TEXT NOT NULL,
    agent      INTEGER NOT NULL DEFAULT 1,
    mac        BLOB NOT NULL
);
