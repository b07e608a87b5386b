//! Test-only routes: faults, state, stats, reset; persistence with --db.

mod common;

use std::time::{Duration, Instant};

use common::{Emulator, json};
use serde_json::json;

#[test]
fn fail_next_and_429_bursts_then_recovery() {
    let emu = Emulator::start();
    json(
        emu.admin("PUT", "runloop", "/faults")
            .json(&json!({"fail_next": 2, "fail_next_status": 502}))
            .send()
            .unwrap(),
        200,
    );
    for _ in 0..2 {
        assert_eq!(emu.req("GET", "runloop", "/v1/secrets").send().unwrap().status(), 502);
    }
    json(emu.req("GET", "runloop", "/v1/secrets").send().unwrap(), 200);

    json(
        emu.admin("PUT", "runloop", "/faults")
            .json(&json!({"burst_429": 1, "retry_after_s": 3}))
            .send()
            .unwrap(),
        200,
    );
    let limited = emu.req("GET", "runloop", "/v1/secrets").send().unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "3");
    json(emu.req("GET", "runloop", "/v1/secrets").send().unwrap(), 200);
}

#[test]
fn a_dropped_connection_still_applies_the_write() {
    let emu = Emulator::start();
    json(emu.admin("PUT", "runloop", "/faults").json(&json!({"drop_rate": 1.0})).send().unwrap(), 200);
    let outcome = emu
        .req("POST", "runloop", "/v1/secrets")
        .json(&json!({"name": "AMBIGUOUS", "value": "v"}))
        .send()
        .and_then(|response| response.text());
    assert!(outcome.is_err(), "the client must see a broken reply: {outcome:?}");
    assert_eq!(emu.state()["runloop"][0]["name"], "AMBIGUOUS");
}

#[test]
fn latency_and_error_rate() {
    let emu = Emulator::start();
    json(emu.admin("PUT", "runtype", "/faults").json(&json!({"latency_ms": 150})).send().unwrap(), 200);
    let started = Instant::now();
    json(emu.req("GET", "runtype", "/v1/secrets").send().unwrap(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));

    json(emu.admin("PUT", "runtype", "/faults").json(&json!({"error_rate": 1.0})).send().unwrap(), 200);
    let body = json(emu.req("GET", "runtype", "/v1/secrets").send().unwrap(), 503);
    assert!(body["error"].is_string());
    json(emu.admin("DELETE", "runtype", "/faults").send().unwrap(), 200);
    json(emu.req("GET", "runtype", "/v1/secrets").send().unwrap(), 200);
    json(emu.admin("PUT", "runtype", "/faults").json(&json!({"error_rate": 2.0})).send().unwrap(), 400);
}

#[test]
fn stats_and_reset() {
    let emu = Emulator::start();
    json(
        emu.req("POST", "runloop", "/v1/secrets").json(&json!({"name": "A", "value": "v"})).send().unwrap(),
        200,
    );
    json(emu.req("GET", "runloop", "/v1/secrets").send().unwrap(), 200);
    assert_eq!(json(emu.admin("GET", "runloop", "/stats").send().unwrap(), 200)["requests"], 2);
    json(emu.admin("POST", "runloop", "/reset").send().unwrap(), 200);
    assert_eq!(emu.state()["runloop"], json!([]));
    assert_eq!(json(emu.admin("GET", "runloop", "/stats").send().unwrap(), 200)["requests"], 0);
}

#[test]
fn state_survives_a_restart_with_db() {
    let dir = std::env::temp_dir().join(format!("kh-emu-db-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("state.sqlite");
    {
        let emu = Emulator::start_with(&["--db", db.to_str().unwrap()]);
        json(
            emu.req("POST", "runloop", "/v1/secrets")
                .json(&json!({"name": "KEPT", "value": "v"}))
                .send()
                .unwrap(),
            200,
        );
    }
    let emu = Emulator::start_with(&["--db", db.to_str().unwrap()]);
    json(emu.req("GET", "runloop", "/v1/secrets/KEPT").send().unwrap(), 200);
    drop(emu);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn admin_routes_are_off_by_default() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keyhaven-emulator"))
        .args(["--runloop", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line)
        .unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert!(ready.get("runtype").is_none());
    let url = format!("http://{}/_emulator/state", ready["runloop"].as_str().unwrap());
    assert_eq!(common::client().get(url).send().unwrap().status(), 404);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn with_no_address_all_three_dialects_listen_on_loopback() {
    let emu = Emulator::start();
    let ready = emu.ready.as_object().unwrap();
    assert_eq!(ready.len(), 3);
    for (dialect, addr) in ready {
        assert!(addr.as_str().unwrap().starts_with("127.0.0.1:"), "{dialect}: {addr}");
    }
}

#[test]
fn tokens_can_be_added_made_read_only_given_an_expiry_and_revoked() {
    let emu = Emulator::start();
    let as_token = |token: &str, method: &str, path: &str| {
        emu.http.request(method.parse().unwrap(), emu.url("runtype", path)).bearer_auth(token)
    };
    json(emu.admin("POST", "runtype", "/tokens").json(&json!({"token": "rt_live_new"})).send().unwrap(), 200);
    json(as_token("rt_live_new", "GET", "/v1/secrets").send().unwrap(), 200);

    json(
        emu.admin("POST", "runtype", "/tokens")
            .json(&json!({"token": "rt_live_ro", "read_only": true}))
            .send()
            .unwrap(),
        200,
    );
    json(as_token("rt_live_ro", "GET", "/v1/secrets").send().unwrap(), 200);
    let write =
        as_token("rt_live_ro", "POST", "/v1/secrets").json(&json!({"key": "A_KEY", "value": "0123456789"}));
    assert_eq!(write.send().unwrap().status(), 403);
    json(
        as_token("rt_live_ro", "POST", "/v1/secrets/check").json(&json!({"keys": ["A_KEY"]})).send().unwrap(),
        200,
    );

    json(
        emu.admin("POST", "runtype", "/tokens")
            .json(&json!({"token": "rt_live_old", "expires_at": 1}))
            .send()
            .unwrap(),
        200,
    );
    let expired = as_token("rt_live_old", "GET", "/v1/secrets").send().unwrap();
    assert_eq!(expired.status(), 401);
    assert!(expired.text().unwrap().contains("expired"));

    json(emu.admin("POST", "runtype", "/tokens/rt_live_new/revoke").send().unwrap(), 200);
    let revoked = as_token("rt_live_new", "GET", "/v1/secrets").send().unwrap();
    assert_eq!(revoked.status(), 401);
    assert!(revoked.text().unwrap().contains("revoked"));
    // Every listener shares the tokens.
    let runloop = emu.http.get(emu.url("runloop", "/v1/secrets")).bearer_auth("rt_live_new").send().unwrap();
    assert_eq!(runloop.status(), 401);
    assert_eq!(emu.admin("POST", "runtype", "/tokens/unknown/revoke").send().unwrap().status(), 404);
}

#[test]
fn test_keys_see_a_sandbox_of_their_own() {
    let emu = Emulator::start();
    for token in ["rt_live_prod", "rt_test_sandbox"] {
        json(emu.admin("POST", "runtype", "/tokens").json(&json!({"token": token})).send().unwrap(), 200);
    }
    let create = |token: &str, key: &str| {
        let body = json!({"key": key, "value": "value-0123456789"});
        json(
            emu.http.post(emu.url("runtype", "/v1/secrets")).bearer_auth(token).json(&body).send().unwrap(),
            201,
        )
    };
    let keys = |token: &str| -> Vec<String> {
        let list =
            json(emu.http.get(emu.url("runtype", "/v1/secrets")).bearer_auth(token).send().unwrap(), 200);
        list["data"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap().to_owned()).collect()
    };
    create("rt_live_prod", "PROD_ONLY");
    create("rt_test_sandbox", "SANDBOX_ONLY");
    assert_eq!(keys("rt_live_prod"), ["PROD_ONLY"]);
    assert_eq!(keys("rt_test_sandbox"), ["SANDBOX_ONLY"]);
    // The same name in each, apart.
    create("rt_test_sandbox", "PROD_ONLY");
    assert_eq!(keys("rt_live_prod"), ["PROD_ONLY"]);
    let sandbox = json(emu.admin("GET", "runtype", "/state?mode=test").send().unwrap(), 200);
    assert_eq!(sandbox["runtype"].as_array().unwrap().len(), 2);
    assert_eq!(emu.state()["runtype"].as_array().unwrap().len(), 1);
}
