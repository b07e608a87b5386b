-- Keyhaven vault schema, version 2: remotes and sync state.
-- Tokens are age ciphertext like values; everything else here is metadata.
CREATE TABLE remotes (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    url        TEXT NOT NULL,
    -- RunTools: 'user' or 'org'; NULL for the other kinds.
    scope      TEXT,
    -- 'live' / 'test' for Runtype and RunTools keys, from their prefix.
    token_mode TEXT,
    token      BLOB NOT NULL,
    created_ms INTEGER NOT NULL,
    synced_ms  INTEGER
);

-- What the last sync with a remote saw of one secret. local_version is the
-- local version at that sync; in_sync says whether the remote then held that
-- very value (0: the remote's value is not on this device).
CREATE TABLE sync_state (
    remote_id     INTEGER NOT NULL REFERENCES remotes (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    remote_key    TEXT NOT NULL,
    marker        TEXT NOT NULL,
    local_version INTEGER,
    in_sync       INTEGER NOT NULL,
    PRIMARY KEY (remote_id, name)
) WITHOUT ROWID;

-- Writes to a remote that are planned, in flight or failed. Written before the
-- request is sent, so a crash or a lost reply leaves the idempotency key behind
-- for the replay. Holds no value: the replay re-reads the version it names.
CREATE TABLE outbox (
    remote_id     INTEGER NOT NULL REFERENCES remotes (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    op            TEXT NOT NULL,
    local_version INTEGER,
    request_id    TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    queued_ms     INTEGER NOT NULL,
    PRIMARY KEY (remote_id, name)
) WITHOUT ROWID;

-- Both sides changed since the last sync: kept until the user picks a side.
CREATE TABLE conflicts (
    remote_id   INTEGER NOT NULL REFERENCES remotes (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    detected_ms INTEGER NOT NULL,
    PRIMARY KEY (remote_id, name)
) WITHOUT ROWID;
