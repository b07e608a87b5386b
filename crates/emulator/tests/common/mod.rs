//! Starts the real `keyhaven-emulator` process on loopback and talks to it.
#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
};

use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::Value;

pub const TOKEN: &str = "test-token";
pub const OTHER_TOKEN: &str = "other-token";
pub const ADMIN_TOKEN: &str = "admin-token";

/// A plain-HTTP client; reqwest still wants a TLS provider installed first.
pub fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

pub struct Emulator {
    child: Child,
    pub ready: Value,
    pub http: Client,
}

impl Emulator {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyhaven-emulator"))
            .args(["--admin", "--token", TOKEN, "--token", OTHER_TOKEN, "--admin-token", ADMIN_TOKEN])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start keyhaven-emulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let ready: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("ready line: {line:?}"));
        Self { child, ready, http: client() }
    }

    pub fn base(&self, dialect: &str) -> String {
        format!("http://{}", self.ready[dialect].as_str().unwrap_or_else(|| panic!("{dialect} not served")))
    }

    pub fn url(&self, dialect: &str, path: &str) -> String {
        format!("{}{path}", self.base(dialect))
    }

    /// A request with `Authorization: Bearer TOKEN`.
    pub fn req(&self, method: &str, dialect: &str, path: &str) -> RequestBuilder {
        self.http.request(method.parse().unwrap(), self.url(dialect, path)).bearer_auth(TOKEN)
    }

    pub fn admin(&self, method: &str, dialect: &str, path: &str) -> RequestBuilder {
        self.http.request(method.parse().unwrap(), self.url(dialect, &format!("/_emulator{path}")))
    }

    pub fn state(&self) -> Value {
        json(self.admin("GET", "runloop", "/state").send().unwrap(), 200)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Asserts the status and returns the JSON body.
pub fn json(response: Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let text = response.text().unwrap();
    assert_eq!(got, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"))
}
