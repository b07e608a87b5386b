//! A faithful, stateful local stand-in for the three hosted secrets APIs
//! (see docs/platforms.md): each dialect on its own listener at its real paths,
//! with that service's auth, envelopes and error bodies, state in SQLite, and
//! test-only routes for fault injection, state dumps and resets.

mod admin;
mod auth;
mod body;
mod error;
mod faults;
mod runloop;
mod runtools;
mod runtype;
mod store;

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use axum::{Router, middleware};
use tokio::{net::TcpListener, task::JoinSet};

pub use error::ApiError;

/// One of the three APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Runloop,
    Runtype,
    RunTools,
}

impl Dialect {
    pub const ALL: [Dialect; 3] = [Dialect::Runloop, Dialect::Runtype, Dialect::RunTools];

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Runloop => "runloop",
            Dialect::Runtype => "runtype",
            Dialect::RunTools => "runtools",
        }
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

pub struct Config {
    pub listeners: Vec<(Dialect, SocketAddr)>,
    /// SQLite file for state; `None` keeps it in memory.
    pub db: Option<PathBuf>,
    pub tokens: Vec<String>,
    /// RunTools org admins (also accepted everywhere as ordinary tokens).
    pub admin_tokens: Vec<String>,
    /// Serve `/_emulator/…`.
    pub admin_routes: bool,
    /// Runtype intake manifests to load at start.
    pub intake: Option<PathBuf>,
}

/// Shared by every handler of one listener.
#[derive(Clone)]
pub(crate) struct AppState {
    pub dialect: Dialect,
    pub store: store::Store,
    pub users: Arc<auth::Users>,
    pub faults: Arc<faults::Faults>,
}

impl AppState {
    /// Runs `work` on the state database in one transaction (committed on
    /// success), and gives every error this listener's dialect.
    pub fn db<T>(
        &self,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let dialect = self.dialect;
        self.store.transaction(work).map_err(|err| ApiError { dialect, ..err })
    }
}

/// The running servers.
pub struct Running {
    addrs: Vec<(Dialect, SocketAddr)>,
    tasks: JoinSet<()>,
}

impl Running {
    pub fn addr(&self, dialect: Dialect) -> Option<SocketAddr> {
        self.addrs.iter().find(|(d, _)| *d == dialect).map(|(_, addr)| *addr)
    }

    /// `{"runloop":"127.0.0.1:PORT",…}`: what tests read to find the ports.
    pub fn ready_line(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> =
            self.addrs.iter().map(|(d, addr)| (d.name().to_owned(), addr.to_string().into())).collect();
        serde_json::Value::Object(map).to_string()
    }

    /// Runs until a server stops (never, unless it fails).
    pub async fn wait(mut self) {
        self.tasks.join_next().await;
    }
}

/// Binds every listener and starts serving.
pub async fn serve(config: Config) -> Result<Running, String> {
    let store = store::Store::open(config.db.as_deref())
        .map_err(|err| format!("cannot open the state database: {err}"))?;
    if let Some(path) = &config.intake {
        let text =
            std::fs::read_to_string(path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        runtype::load_manifests(&store, &text).map_err(|err| format!("{}: {err}", path.display()))?;
    }
    let users = Arc::new(auth::Users::new(&config.tokens, &config.admin_tokens));
    let mut addrs = Vec::new();
    let mut tasks = JoinSet::new();
    for (dialect, addr) in config.listeners {
        let listener =
            TcpListener::bind(addr).await.map_err(|err| format!("cannot listen on {addr}: {err}"))?;
        let bound = listener.local_addr().map_err(|err| err.to_string())?;
        let state =
            AppState { dialect, store: store.clone(), users: users.clone(), faults: Default::default() };
        let router = router(state, config.admin_routes);
        tasks.spawn(async move {
            if let Err(err) = axum::serve(listener, router).await {
                tracing::error!(%dialect, "server stopped: {err}");
            }
        });
        addrs.push((dialect, bound));
    }
    Ok(Running { addrs, tasks })
}

fn router(state: AppState, admin_routes: bool) -> Router {
    let api = match state.dialect {
        Dialect::Runloop => runloop::routes(),
        Dialect::Runtype => runtype::routes(),
        Dialect::RunTools => runtools::routes(),
    }
    .layer(middleware::from_fn_with_state(state.clone(), auth::require_token))
    .layer(middleware::from_fn_with_state(state.clone(), faults::inject));
    let mut router = api.fallback(error::not_found).method_not_allowed_fallback(error::method_not_allowed);
    if admin_routes {
        router = router.merge(admin::routes());
    }
    router.with_state(state)
}
