//! The Runloop dialect, per tests/conformance/spec/runloop-secrets.openapi.yaml and docs/platforms.md, "Runloop".

mod common;

use common::{Emulator, json};
use serde_json::json;

#[test]
fn create_get_update_delete_by_name() {
    let emu = Emulator::start();
    let created = json(
        emu.req("POST", "runloop", "/v1/secrets")
            .json(&json!({"name": "DB_PASSWORD", "value": "pw1"}))
            .send()
            .unwrap(),
        200,
    );
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("sec_"), "{id}");
    assert_eq!(created["name"], "DB_PASSWORD");
    assert!(created["create_time_ms"].as_i64().unwrap() > 1_700_000_000_000, "milliseconds");
    assert_eq!(created.as_object().unwrap().len(), 4, "no value, no extra fields: {created}");

    let got = json(emu.req("GET", "runloop", "/v1/secrets/DB_PASSWORD").send().unwrap(), 200);
    assert_eq!(got, created);

    let updated = json(
        emu.req("POST", "runloop", "/v1/secrets/DB_PASSWORD").json(&json!({"value": "pw2"})).send().unwrap(),
        200,
    );
    assert_eq!(updated["id"], created["id"]);
    assert!(updated["update_time_ms"].as_i64() > created["update_time_ms"].as_i64());
    assert_eq!(emu.state()["runloop"][0]["value"], "pw2");

    let deleted = json(emu.req("POST", "runloop", "/v1/secrets/DB_PASSWORD/delete").send().unwrap(), 200);
    assert_eq!(deleted["id"], created["id"]);
    json(emu.req("GET", "runloop", "/v1/secrets/DB_PASSWORD").send().unwrap(), 404);
    json(emu.req("POST", "runloop", "/v1/secrets/DB_PASSWORD/delete").json(&json!({})).send().unwrap(), 404);
}

#[test]
fn by_id_routes() {
    let emu = Emulator::start();
    let created = json(
        emu.req("POST", "runloop", "/v1/secrets").json(&json!({"name": "K", "value": "v"})).send().unwrap(),
        200,
    );
    let id = created["id"].as_str().unwrap();
    json(emu.req("GET", "runloop", &format!("/v1/secrets/id/{id}")).send().unwrap(), 200);
    json(
        emu.req("POST", "runloop", &format!("/v1/secrets/id/{id}/update"))
            .json(&json!({"value": "w"}))
            .send()
            .unwrap(),
        200,
    );
    assert_eq!(emu.state()["runloop"][0]["value"], "w");
    json(emu.req("POST", "runloop", &format!("/v1/secrets/id/{id}/delete")).send().unwrap(), 200);
    json(emu.req("GET", "runloop", &format!("/v1/secrets/id/{id}")).send().unwrap(), 404);
}

#[test]
fn names_are_checked_and_duplicates_refused() {
    let emu = Emulator::start();
    for bad in ["1ABC", "A-B", "", "A B"] {
        let body = json(
            emu.req("POST", "runloop", "/v1/secrets")
                .json(&json!({"name": bad, "value": "v"}))
                .send()
                .unwrap(),
            400,
        );
        assert!(body["message"].as_str().unwrap().contains("environment variable"), "{body}");
    }
    json(
        emu.req("POST", "runloop", "/v1/secrets").json(&json!({"name": "DUP", "value": "v"})).send().unwrap(),
        200,
    );
    let body = json(
        emu.req("POST", "runloop", "/v1/secrets").json(&json!({"name": "DUP", "value": "v"})).send().unwrap(),
        400,
    );
    assert!(body["message"].as_str().unwrap().contains("already exists"));
}

#[test]
fn list_limit_defaults_to_20_and_caps_at_5000() {
    let emu = Emulator::start();
    for i in 0..25 {
        json(
            emu.req("POST", "runloop", "/v1/secrets")
                .json(&json!({"name": format!("S{i}"), "value": "v"}))
                .send()
                .unwrap(),
            200,
        );
    }
    let page = json(emu.req("GET", "runloop", "/v1/secrets").send().unwrap(), 200);
    assert_eq!(page["secrets"].as_array().unwrap().len(), 20);
    assert_eq!((page["has_more"].clone(), page["total_count"].clone()), (json!(true), json!(25)));
    let all = json(emu.req("GET", "runloop", "/v1/secrets?limit=5000").send().unwrap(), 200);
    assert_eq!(all["secrets"].as_array().unwrap().len(), 25);
    assert_eq!(all["has_more"], false);
    let capped = json(emu.req("GET", "runloop", "/v1/secrets?limit=99999").send().unwrap(), 200);
    assert_eq!(capped["secrets"].as_array().unwrap().len(), 25);
    json(emu.req("GET", "runloop", "/v1/secrets?limit=abc").send().unwrap(), 400);
    json(emu.req("GET", "runloop", "/v1/secrets?limit=2147483648").send().unwrap(), 400);
}

#[test]
fn a_retried_write_with_the_same_request_id_is_applied_once() {
    let emu = Emulator::start();
    let send = || {
        emu.req("POST", "runloop", "/v1/secrets")
            .header("x-request-id", "stainless-python-retry-1")
            .json(&json!({"name": "ONCE", "value": "v"}))
            .send()
            .unwrap()
    };
    let first = json(send(), 200);
    let again = json(send(), 200);
    assert_eq!(first, again);
    assert_eq!(emu.state()["runloop"].as_array().unwrap().len(), 1);
}

#[test]
fn bad_bodies_get_400_never_500() {
    let emu = Emulator::start();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("malformed", b"{not json".to_vec()),
        ("wrong type", br#"{"name": 5, "value": "v"}"#.to_vec()),
        ("missing field", br#"{"name": "A"}"#.to_vec()),
        ("unknown field", br#"{"name": "A", "value": "v", "extra": 1}"#.to_vec()),
        ("oversize", format!(r#"{{"name": "A", "value": "{}"}}"#, "x".repeat(300_000)).into_bytes()),
    ];
    for (label, body) in cases {
        let response = emu
            .req("POST", "runloop", "/v1/secrets")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap();
        let body = json(response, 400);
        assert!(body["message"].is_string(), "{label}: {body}");
    }
    json(
        emu.req("POST", "runloop", "/v1/secrets/A/delete").json(&json!({"extra": true})).send().unwrap(),
        400,
    );
}

#[test]
fn auth_is_bearer_only() {
    let emu = Emulator::start();
    let url = emu.url("runloop", "/v1/secrets");
    for request in [
        emu.http.get(&url),
        emu.http.get(&url).bearer_auth("wrong"),
        emu.http.get(&url).header("authorization", common::TOKEN),
        emu.http.get(&url).header("x-api-key", common::TOKEN),
    ] {
        let body = json(request.send().unwrap(), 401);
        assert_eq!(body["code"], "unauthorized");
    }
}

#[test]
fn unknown_routes_answer_in_the_dialect() {
    let emu = Emulator::start();
    let body = json(emu.req("GET", "runloop", "/v2/nothing").send().unwrap(), 404);
    assert_eq!(body["code"], "not_found");
    let body = json(emu.req("DELETE", "runloop", "/v1/secrets").send().unwrap(), 405);
    assert_eq!(body["code"], "method_not_allowed");
}
