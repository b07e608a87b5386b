//! State in SQLite: in memory by default, a file with `--db` (then it survives
//! restarts). One connection behind a mutex: requests are short. Test keys
//! (`rt_test_…`) see data of their own, as a sandbox apart from production:
//! a second database (`--db` path + `-test`), chosen per request by the
//! caller's key ([`Mode`]).

use std::{
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicI64, Ordering},
    },
};

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::ApiError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runloop_secrets (
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    value          TEXT NOT NULL,
    create_time_ms INTEGER NOT NULL,
    update_time_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS runloop_by_name ON runloop_secrets (name);
CREATE TABLE IF NOT EXISTS runloop_requests (
    request_id TEXT PRIMARY KEY,
    status     INTEGER NOT NULL,
    body       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runtype_secrets (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    key               TEXT NOT NULL UNIQUE,
    value             TEXT,
    status            TEXT NOT NULL,
    version           INTEGER NOT NULL,
    description       TEXT,
    docs_url          TEXT,
    end_user_id       TEXT,
    product_tenant_id TEXT,
    created_ms        INTEGER NOT NULL,
    updated_ms        INTEGER NOT NULL,
    last_rotated_ms   INTEGER
);
CREATE TABLE IF NOT EXISTS runtype_manifests (
    source_type TEXT NOT NULL,
    source_key  TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (source_type, source_key)
);
CREATE TABLE IF NOT EXISTS runtools_secrets (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    owner           TEXT NOT NULL,
    value           TEXT NOT NULL,
    scope           TEXT NOT NULL,
    category        TEXT NOT NULL,
    description     TEXT,
    created_by      TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL,
    last_rotated_ms INTEGER NOT NULL,
    UNIQUE (name, owner)
);
-- Per Runtype key: how many `{{secret:KEY}}` references its tools hold
-- (set by the admin route; a delete reports it as `referenceCount`).
CREATE TABLE IF NOT EXISTS runtype_references (
    key   TEXT PRIMARY KEY,
    count INTEGER NOT NULL
);
-- Per org-wide secret: may members (not only admins) reveal it.
CREATE TABLE IF NOT EXISTS runtools_reveal_policy (
    secret_id TEXT PRIMARY KEY,
    members   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
";

/// Tables cleared by a reset.
const TABLES: &[&str] = &[
    "runloop_secrets",
    "runloop_requests",
    "runtype_secrets",
    "runtype_manifests",
    "runtype_references",
    "runtools_secrets",
    "runtools_reveal_policy",
    "settings",
];

/// Which data a request sees: production's, or the sandbox's of test keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Mode {
    #[default]
    Live,
    Test,
}

impl Mode {
    /// `rt_test_…` keys are the sandbox's; every other key is production's.
    pub fn of_token(token: &str) -> Self {
        if token.starts_with("rt_test_") { Mode::Test } else { Mode::Live }
    }
}

tokio::task_local! {
    /// The mode of the request being served (set by the auth layer).
    pub(crate) static MODE: Mode;
}

#[derive(Clone)]
pub(crate) struct Store {
    live: Arc<Mutex<Connection>>,
    test: Arc<Mutex<Connection>>,
    last_ms: Arc<AtomicI64>,
}

fn connect(path: Option<&Path>) -> rusqlite::Result<Connection> {
    let conn = match path {
        Some(path) => Connection::open(path)?,
        None => Connection::open_in_memory()?,
    };
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

impl Store {
    pub fn open(path: Option<&Path>) -> rusqlite::Result<Store> {
        let test_path = path.map(|path| {
            let mut name = path.as_os_str().to_owned();
            name.push("-test");
            std::path::PathBuf::from(name)
        });
        Ok(Store {
            live: Arc::new(Mutex::new(connect(path)?)),
            test: Arc::new(Mutex::new(connect(test_path.as_deref())?)),
            last_ms: Arc::new(AtomicI64::new(0)),
        })
    }

    /// Runs `work` in one transaction on the current request's data.
    pub fn transaction<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mode = MODE.try_with(|mode| *mode).unwrap_or_default();
        self.transaction_in(mode, work)
    }

    pub fn transaction_in<T>(
        &self,
        mode: Mode,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let conn = match mode {
            Mode::Live => &self.live,
            Mode::Test => &self.test,
        };
        let mut conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Milliseconds since the epoch, strictly increasing across calls, so
    /// every write moves a change marker forward.
    pub fn now_ms(&self) -> i64 {
        let now = jiff::Timestamp::now().as_millisecond();
        let mut last = self.last_ms.load(Ordering::Relaxed);
        loop {
            let next = now.max(last + 1);
            match self.last_ms.compare_exchange(last, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return next,
                Err(seen) => last = seen,
            }
        }
    }

    /// Empties both the production and the sandbox data.
    pub fn reset(&self) -> Result<(), ApiError> {
        for mode in [Mode::Live, Mode::Test] {
            self.transaction_in(mode, |tx| {
                for table in TABLES {
                    tx.execute(&format!("DELETE FROM {table}"), [])?;
                }
                Ok(())
            })?;
        }
        Ok(())
    }
}

/// An RFC 3339 timestamp for the dialects that speak ISO strings.
pub(crate) fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH).to_string()
}

/// `prefix` + 24 random alphanumerics.
pub(crate) fn random_id(prefix: &str) -> String {
    use rand::{Rng, distributions::Alphanumeric};
    let tail: String = rand::thread_rng().sample_iter(&Alphanumeric).take(24).map(char::from).collect();
    format!("{prefix}{tail}")
}

/// A read-only setting (e.g. the RunTools reveal switch).
pub(crate) fn setting(tx: &Transaction<'_>, key: &str) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    tx.query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| row.get(0)).optional()
}
