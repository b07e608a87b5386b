//! Bad input on every dialect: a 400 in that dialect's error shape, never a 500.

mod common;

use common::{Emulator, json};
use serde_json::Value;

/// Where a dialect's error body keeps its message.
type Message = fn(&Value) -> Option<&str>;

/// A write route of each dialect (dialect, method, path) and its message.
const ROUTES: &[(&str, &str, &str, Message)] = &[
    ("runloop", "POST", "/v1/secrets", |b| b["message"].as_str()),
    ("runtype", "POST", "/v1/secrets", |b| b["error"].as_str()),
    ("runtype", "POST", "/v1/secrets/intake/submit", |b| b["error"].as_str()),
    ("runtools", "POST", "/v1/secrets", |b| b["error"]["message"].as_str()),
];

#[test]
fn malformed_mistyped_unknown_and_oversize_bodies_are_400s() {
    let emu = Emulator::start();
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("malformed", b"{\"name\": ".to_vec()),
        ("not an object", b"[1, 2, 3]".to_vec()),
        ("wrong types", br#"{"name": 1, "key": [], "value": {}, "source": 7, "items": "x"}"#.to_vec()),
        (
            "unknown field",
            br#"{"name": "OK_NAME", "key": "OK_KEY", "value": "long-enough-value", "surprise": true}"#
                .to_vec(),
        ),
        ("oversize", vec![b' '; 300 * 1024]),
        ("not UTF-8", vec![0xff, 0xfe, 0x00]),
    ];
    for (dialect, method, path, message) in ROUTES {
        for (label, body) in &bodies {
            let response = emu
                .req(method, dialect, path)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .unwrap();
            let body = json(response, 400);
            assert!(message(&body).is_some_and(|m| !m.is_empty()), "{dialect} {path} {label}: {body}");
        }
    }
}

/// serde reads a struct from an array of its fields; the services document
/// objects, so `["v"]` for `{"value": "v"}` is a 400 and changes nothing
/// (schemathesis found the update accepting it).
#[test]
fn an_array_of_a_bodys_fields_is_refused_not_read_as_the_object() {
    let emu = Emulator::start();
    let send = |path: &str, body: &str| {
        emu.req("POST", "runloop", path)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .unwrap()
    };
    json(send("/v1/secrets", r#"{"name": "L6", "value": "first-value"}"#), 200);
    let refused = json(send("/v1/secrets/L6", r#"["changed-value"]"#), 400);
    assert!(
        refused["message"].as_str().is_some_and(|m| m.contains("a JSON object is expected")),
        "{refused}"
    );
    json(send("/v1/secrets", r#"["OTHER", "value"]"#), 400);
}
