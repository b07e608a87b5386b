//! The keyhaven-emulator server on 127.0.0.1, run on its own runtime inside
//! the test process: real listeners, real HTTP. `stop` shuts the runtime down
//! (every connection dies, as when a service goes away); `restart` brings it
//! back on the same ports with the same state file.
#![allow(dead_code)]

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use keyhaven_core::remote::Kind;
use keyhaven_emulator::{Config, Dialect};
use serde_json::Value;

pub const TOKEN: &str = "test-token";

pub struct Emulator {
    runtime: Option<tokio::runtime::Runtime>,
    addrs: Vec<(Dialect, SocketAddr)>,
    db: Option<PathBuf>,
    http: reqwest::blocking::Client,
}

fn dialect(kind: Kind) -> Dialect {
    match kind {
        Kind::Runloop => Dialect::Runloop,
        Kind::Runtype => Dialect::Runtype,
        Kind::Runtools => Dialect::RunTools,
        Kind::Openbao => panic!(
            "the emulator stands in for the hosted platforms; OpenBao runs for real (common/openbao.rs)"
        ),
    }
}

impl Emulator {
    /// All three dialects, state in memory.
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// State in `db`, so it survives `stop` and `restart`.
    pub fn start_with(db: Option<PathBuf>) -> Self {
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let listeners = Dialect::ALL.iter().map(|&d| (d, any)).collect();
        keyhaven_core::remote::install_tls();
        let mut emulator =
            Self { runtime: None, addrs: listeners, db, http: reqwest::blocking::Client::new() };
        emulator.boot();
        emulator
    }

    fn boot(&mut self) {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let config = || Config {
            listeners: self.addrs.clone(),
            db: self.db.clone(),
            tokens: vec![TOKEN.to_owned()],
            admin_tokens: vec![],
            admin_routes: true,
            intake: None,
        };
        // A port just released may take a moment to be free again.
        let mut tries = 0;
        let running = loop {
            match runtime.block_on(keyhaven_emulator::serve(config())) {
                Ok(running) => break running,
                Err(err) if tries < 50 => {
                    tries += 1;
                    let _ = err;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(err) => panic!("emulator: {err}"),
            }
        };
        self.addrs = Dialect::ALL.iter().map(|&d| (d, running.addr(d).unwrap())).collect();
        runtime.spawn(running.wait());
        self.runtime = Some(runtime);
    }

    pub fn stop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.boot();
    }

    fn addr(&self, kind: Kind) -> SocketAddr {
        self.addrs.iter().find(|(d, _)| *d == dialect(kind)).unwrap().1
    }

    pub fn url(&self, kind: Kind) -> String {
        format!("http://{}", self.addr(kind))
    }

    /// Sets the fault injection of one dialect's listener.
    pub fn faults(&self, kind: Kind, faults: Value) {
        let url = format!("{}/_emulator/faults", self.url(kind));
        let response = self.http.put(url).json(&faults).send().unwrap();
        assert!(response.status().is_success(), "{}", response.text().unwrap());
    }

    /// Any other admin route: `path` under `/_emulator`.
    pub fn admin(&self, method: &str, kind: Kind, path: &str, body: Option<Value>) {
        let url = format!("{}/_emulator{path}", self.url(kind));
        let mut request = self.http.request(method.parse().unwrap(), url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().unwrap();
        assert!(response.status().is_success(), "{}", response.text().unwrap());
    }

    /// Every secret of one dialect, values included.
    pub fn secrets(&self, kind: Kind) -> Vec<Value> {
        let url = format!("{}/_emulator/state", self.url(kind));
        let state: Value = self.http.get(url).send().unwrap().json().unwrap();
        state[kind.as_str()].as_array().unwrap().clone()
    }

    /// Declares Runtype intake forms: `{"manifests": [...]}` (the emulator's format).
    pub fn declare_intake(&self, manifests: Value) {
        let url = format!("{}/_emulator/runtype/manifests", self.url(Kind::Runtype));
        let response = self.http.post(url).json(&manifests).send().unwrap();
        assert!(response.status().is_success(), "{}", response.text().unwrap());
    }

    /// Adds an API token (or changes one): `{"read_only"?, "expires_at"? (Unix ms), "admin"?}`.
    pub fn add_token(&self, token: &str, options: Value) {
        let mut body = options;
        body["token"] = token.into();
        let url = format!("{}/_emulator/tokens", self.url(Kind::Runloop));
        let response = self.http.post(url).json(&body).send().unwrap();
        assert!(response.status().is_success(), "{}", response.text().unwrap());
    }

    /// Revokes an API token: from now on every dialect answers it with 401.
    pub fn revoke_token(&self, token: &str) {
        let url = format!("{}/_emulator/tokens/{token}/revoke", self.url(Kind::Runloop));
        let response = self.http.post(url).send().unwrap();
        assert!(response.status().is_success(), "{}", response.text().unwrap());
    }

    /// Requests the dialect's API routes have served.
    pub fn requests(&self, kind: Kind) -> u64 {
        let url = format!("{}/_emulator/stats", self.url(kind));
        let stats: Value = self.http.get(url).send().unwrap().json().unwrap();
        stats["requests"].as_u64().unwrap()
    }

    /// A request to the dialect's API as another client would make it.
    pub fn call(&self, kind: Kind, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call_as(TOKEN, kind, method, path, body)
    }

    /// `call` with another token (RunTools keeps each user's secrets apart).
    pub fn call_as(&self, token: &str, kind: Kind, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.url(kind));
        let mut request = self.http.request(method.parse().unwrap(), url).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().unwrap();
        let status = response.status();
        let text = response.text().unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}
