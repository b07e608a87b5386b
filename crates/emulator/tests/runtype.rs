//! The Runtype dialect, per docs/platforms.md, "Runtype".

mod common;

use common::{Emulator, TOKEN, json};
use serde_json::{Value, json};

fn create(emu: &Emulator, key: &str, value: &str) -> Value {
    json(
        emu.req("POST", "runtype", "/v1/secrets").json(&json!({"key": key, "value": value})).send().unwrap(),
        201,
    )["data"]
        .clone()
}

#[test]
fn crud_with_versions_and_envelopes() {
    let emu = Emulator::start();
    let created = create(&emu, "OPENAI_API_KEY", "sk-first-value-123456");
    let id = created["id"].as_str().unwrap();
    assert_eq!((created["version"].clone(), created["status"].clone()), (json!(1), json!("active")));
    assert_eq!(created["valuePreview"], "************3456");
    assert!(created.get("value").is_none());

    let listed = json(emu.req("GET", "runtype", "/v1/secrets").send().unwrap(), 200);
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["data"][0]["key"], "OPENAI_API_KEY");

    let same = json(
        emu.req("PUT", "runtype", &format!("/v1/secrets/{id}"))
            .json(&json!({"value": "sk-first-value-123456"}))
            .send()
            .unwrap(),
        200,
    );
    assert_eq!(same["data"]["version"], 1, "an identical value is not a new version");
    let meta = json(
        emu.req("PUT", "runtype", &format!("/v1/secrets/{id}"))
            .json(&json!({"description": "prod"}))
            .send()
            .unwrap(),
        200,
    );
    assert_eq!(
        (meta["data"]["version"].clone(), meta["data"]["description"].clone()),
        (json!(1), json!("prod"))
    );
    let rotated = json(
        emu.req("PUT", "runtype", &format!("/v1/secrets/{id}"))
            .json(&json!({"value": "sk-second-value-99", "expectedVersion": 1}))
            .send()
            .unwrap(),
        200,
    );
    assert_eq!(rotated["data"]["version"], 2);
    assert!(rotated["data"]["lastRotatedAt"].is_string());

    let conflict = json(
        emu.req("PUT", "runtype", &format!("/v1/secrets/{id}"))
            .json(&json!({"value": "sk-third-value-000", "expectedVersion": 1}))
            .send()
            .unwrap(),
        409,
    );
    assert!(conflict["error"].as_str().unwrap().contains("expected version 1"), "{conflict}");
    assert_eq!(emu.state()["runtype"][0]["value"], "sk-second-value-99");

    let deleted = json(emu.req("DELETE", "runtype", &format!("/v1/secrets/{id}")).send().unwrap(), 200);
    assert_eq!(deleted, json!({"success": true, "deletedId": id, "referenceCount": 0}));
    json(emu.req("GET", "runtype", &format!("/v1/secrets/{id}")).send().unwrap(), 404);
}

#[test]
fn create_rules_and_duplicates() {
    let emu = Emulator::start();
    create(&emu, "DUP_KEY", "value-long-enough");
    let body = json(
        emu.req("POST", "runtype", "/v1/secrets")
            .json(&json!({"key": "DUP_KEY", "value": "value-long-enough"}))
            .send()
            .unwrap(),
        409,
    );
    assert!(body["error"].is_string());
    for bad in [
        json!({"key": "K", "value": "value-long-enough"}),
        json!({"key": "OK_KEY", "value": "short"}),
        json!({"key": "OK_KEY", "docsUrl": "http://x"}),
        json!({"key": "OK_KEY", "bogus": 1}),
    ] {
        let body = json(emu.req("POST", "runtype", "/v1/secrets").json(&bad).send().unwrap(), 400);
        assert!(body["error"].is_string(), "{bad}: {body}");
    }
}

#[test]
fn bare_and_bearer_keys_are_accepted() {
    let emu = Emulator::start();
    let url = emu.url("runtype", "/v1/secrets");
    json(emu.http.get(&url).header("authorization", TOKEN).send().unwrap(), 200);
    json(emu.http.get(&url).bearer_auth(TOKEN).send().unwrap(), 200);
    let body = json(emu.http.get(&url).header("x-api-key", TOKEN).send().unwrap(), 401);
    assert!(body["error"].is_string());
}

#[test]
fn check_and_setup_url_sort_keys() {
    let emu = Emulator::start();
    create(&emu, "FOUND_KEY", "value-long-enough");
    create(&emu, "REVOKED_KEY", "value-long-enough");
    json(emu.admin("POST", "runtype", "/runtype/secrets/REVOKED_KEY/revoke").send().unwrap(), 200);
    let keys = json!({"keys": ["FOUND_KEY", "MISSING_KEY", "REVOKED_KEY"]});
    let checked = json(emu.req("POST", "runtype", "/v1/secrets/check").json(&keys).send().unwrap(), 200);
    assert_eq!(
        checked,
        json!({"found": ["FOUND_KEY"], "missing": ["MISSING_KEY"], "revoked": ["REVOKED_KEY"]})
    );
    let setup = json(emu.req("POST", "runtype", "/v1/secrets/setup-url").json(&keys).send().unwrap(), 200);
    assert_eq!(setup["alreadyConfigured"], json!(["FOUND_KEY"]));
    assert!(setup["url"].as_str().unwrap().contains("keys=MISSING_KEY,REVOKED_KEY"), "{setup}");
    let done = json(
        emu.req("POST", "runtype", "/v1/secrets/setup-url")
            .json(&json!({"keys": ["FOUND_KEY"]}))
            .send()
            .unwrap(),
        200,
    );
    assert_eq!(done["url"], Value::Null);
}

const MANIFESTS: &str = r#"{"manifests": [{
    "source": {"type": "product", "productId": "prod_1"},
    "title": "Connect your providers",
    "description": "Two keys this product needs",
    "returnUrl": "https://app.example/done",
    "handoff": {"url": "https://app.example/handoff", "ttlSeconds": 600},
    "items": [
        {"itemId": "openai", "secretKey": "OPENAI_API_KEY", "displayName": "OpenAI", "required": true, "prefix": "sk-", "docsUrl": "https://platform.openai.com/api-keys"},
        {"itemId": "github", "secretKey": "GITHUB_TOKEN", "required": true, "minLength": 12},
        {"itemId": "sentry", "secretKey": "SENTRY_DSN", "required": false}
    ]}]}"#;

#[test]
fn intake_manifest_statuses_submit_and_conflicts() {
    let emu = Emulator::start();
    json(emu.admin("POST", "runtype", "/runtype/manifests").body(MANIFESTS).send().unwrap(), 200);
    create(&emu, "OPENAI_API_KEY", "wrong-prefix-value");
    let source = json!({"type": "product", "productId": "prod_1"});

    let manifest = json(
        emu.req("POST", "runtype", "/v1/secrets/intake/manifest")
            .json(&json!({"source": source, "returnUrl": "https://caller.example/back"}))
            .send()
            .unwrap(),
        200,
    );
    let statuses: Vec<&str> =
        manifest["items"].as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["invalid", "needs_configuration", "needs_configuration"]);
    assert_eq!(manifest["configurationStatus"], "invalid");
    assert_eq!(manifest["pendingConfigurationCount"], 3);
    assert_eq!(manifest["returnUrl"], "https://caller.example/back");
    assert_eq!(manifest["handoff"]["type"], "url");
    assert!(manifest["handoff"]["expiresAt"].is_string());
    assert_eq!(manifest["items"][0]["version"], 1);

    let stale = json!({"source": source, "items": [{"itemId": "openai", "value": "sk-good-value-1", "expectedVersion": 7}, {"itemId": "github", "value": "ghp_0123456789"}]});
    json(emu.req("POST", "runtype", "/v1/secrets/intake/submit").json(&stale).send().unwrap(), 409);
    assert_eq!(emu.state()["runtype"].as_array().unwrap().len(), 1, "a conflict writes nothing");

    let good = json!({"source": source, "items": [{"itemId": "openai", "value": "sk-good-value-1", "expectedVersion": 1}, {"key": "GITHUB_TOKEN", "value": "ghp_0123456789"}]});
    let submitted =
        json(emu.req("POST", "runtype", "/v1/secrets/intake/submit").json(&good).send().unwrap(), 200);
    assert_eq!(submitted["success"], true);
    assert_eq!(submitted["manifest"]["configurationStatus"], "configured", "{submitted}");
    assert_eq!(submitted["manifest"]["pendingConfigurationCount"], 1, "the optional item is still pending");
    let state = emu.state();
    let values: Vec<(&str, &str)> = state["runtype"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["key"].as_str().unwrap(), s["value"].as_str().unwrap()))
        .collect();
    assert_eq!(values, [("OPENAI_API_KEY", "sk-good-value-1"), ("GITHUB_TOKEN", "ghp_0123456789")]);
}

#[test]
fn a_source_with_keys_gets_a_generated_manifest_and_unknown_sources_404() {
    let emu = Emulator::start();
    let manifest = json(
        emu.req("POST", "runtype", "/v1/secrets/intake/manifest")
            .json(&json!({"source": {"type": "manual", "keys": ["A_KEY", "B_KEY"]}}))
            .send()
            .unwrap(),
        200,
    );
    assert_eq!(manifest["items"].as_array().unwrap().len(), 2);
    assert_eq!(manifest["configurationStatus"], "needs_configuration");
    json(
        emu.req("POST", "runtype", "/v1/secrets/intake/manifest")
            .json(&json!({"source": {"type": "product", "productId": "nope"}}))
            .send()
            .unwrap(),
        404,
    );
    json(
        emu.req("POST", "runtype", "/v1/secrets/intake/manifest")
            .json(&json!({"source": {"type": "weird"}}))
            .send()
            .unwrap(),
        400,
    );
}

#[test]
fn manifests_load_from_a_file_at_start() {
    let dir = std::env::temp_dir().join(format!("kh-intake-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("intake.json");
    std::fs::write(&file, MANIFESTS).unwrap();
    let emu = Emulator::start_with(&["--intake", file.to_str().unwrap()]);
    let manifest = json(
        emu.req("POST", "runtype", "/v1/secrets/intake/manifest")
            .json(&json!({"source": {"type": "product", "productId": "prod_1"}}))
            .send()
            .unwrap(),
        200,
    );
    assert_eq!(manifest["title"], "Connect your providers");
    std::fs::remove_dir_all(dir).unwrap();
}
