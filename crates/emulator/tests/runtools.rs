//! The RunTools dialect, per docs/platforms.md, "RunTools".

mod common;

use common::{ADMIN_TOKEN, Emulator, OTHER_TOKEN, TOKEN, json};
use serde_json::json;

/// A RunTools request with `token` as its bearer key.
fn as_user(emu: &Emulator, token: &str, method: &str, path: &str) -> reqwest::blocking::RequestBuilder {
    emu.http.request(method.parse().unwrap(), emu.url("runtools", path)).bearer_auth(token)
}

#[test]
fn upsert_normalises_names_and_rotates() {
    let emu = Emulator::start();
    let first = json(
        emu.req("POST", "runtools", "/v1/secrets")
            .json(&json!({"name": " anthropic-api.key ", "value": "v1", "category": "provider"}))
            .send()
            .unwrap(),
        200,
    );
    assert_eq!(first["data"]["name"], "ANTHROPIC_API_KEY");
    assert_eq!(first["data"]["created"], true);
    let second = json(
        emu.req("POST", "runtools", "/v1/secrets")
            .json(&json!({"name": "ANTHROPIC_API_KEY", "value": "v2"}))
            .send()
            .unwrap(),
        200,
    );
    assert_eq!(
        (second["data"]["created"].clone(), second["data"]["id"].clone()),
        (json!(false), first["data"]["id"].clone())
    );
    let got = json(emu.req("GET", "runtools", "/v1/secrets/anthropic_api_key").send().unwrap(), 200);
    assert_eq!(got["data"]["category"], "provider");
    assert!(got["data"].get("value").is_none());
    let revealed =
        json(emu.req("POST", "runtools", "/v1/secrets/ANTHROPIC_API_KEY/reveal").send().unwrap(), 200);
    assert_eq!(revealed["data"], json!({"name": "ANTHROPIC_API_KEY", "value": "v2"}));
    json(
        emu.req("POST", "runtools", "/v1/secrets").json(&json!({"name": "x", "value": "v"})).send().unwrap(),
        400,
    );
    json(
        emu.req("POST", "runtools", "/v1/secrets")
            .json(&json!({"name": "OK", "value": "v", "category": "nope"}))
            .send()
            .unwrap(),
        400,
    );
}

#[test]
fn user_secrets_are_private_and_org_secrets_need_an_admin() {
    let emu = Emulator::start();
    json(
        as_user(&emu, TOKEN, "POST", "/v1/secrets")
            .json(&json!({"name": "MINE", "value": "private"}))
            .send()
            .unwrap(),
        200,
    );
    json(as_user(&emu, OTHER_TOKEN, "POST", "/v1/secrets/MINE/reveal").send().unwrap(), 404);

    let denied = json(
        as_user(&emu, TOKEN, "POST", "/v1/secrets")
            .json(&json!({"name": "SHARED", "value": "org", "orgWide": true}))
            .send()
            .unwrap(),
        403,
    );
    assert_eq!(denied["error"]["code"], "forbidden");
    json(
        as_user(&emu, ADMIN_TOKEN, "POST", "/v1/secrets")
            .json(&json!({"name": "SHARED", "value": "org", "orgWide": true}))
            .send()
            .unwrap(),
        200,
    );
    json(as_user(&emu, TOKEN, "GET", "/v1/secrets/SHARED?orgWide=true").send().unwrap(), 200);
    json(as_user(&emu, TOKEN, "POST", "/v1/secrets/SHARED/reveal?orgWide=true").send().unwrap(), 403);
    let revealed = json(
        as_user(&emu, ADMIN_TOKEN, "POST", "/v1/secrets/SHARED/reveal?orgWide=true").send().unwrap(),
        200,
    );
    assert_eq!(revealed["data"]["value"], "org");

    let listed = json(as_user(&emu, TOKEN, "GET", "/v1/secrets").send().unwrap(), 200);
    let names: Vec<&str> =
        listed["data"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["SHARED", "MINE"], "newest first, own and org");
    let org_only = json(as_user(&emu, TOKEN, "GET", "/v1/secrets?secretScope=org").send().unwrap(), 200);
    assert_eq!(org_only["data"].as_array().unwrap().len(), 1);
    json(as_user(&emu, TOKEN, "GET", "/v1/secrets?all=true").send().unwrap(), 403);
}

#[test]
fn reveal_can_be_switched_off_by_policy() {
    let emu = Emulator::start();
    json(
        emu.req("POST", "runtools", "/v1/secrets")
            .json(&json!({"name": "KEY", "value": "v"}))
            .send()
            .unwrap(),
        200,
    );
    json(emu.admin("PUT", "runtools", "/runtools/reveal").json(&json!({"deny": true})).send().unwrap(), 200);
    let body = json(emu.req("POST", "runtools", "/v1/secrets/KEY/reveal").send().unwrap(), 403);
    assert!(body["error"]["message"].as_str().unwrap().contains("policy"));
}

#[test]
fn delete_and_auth_headers() {
    let emu = Emulator::start();
    let url = emu.url("runtools", "/v1/secrets");
    json(
        emu.http
            .post(&url)
            .header("x-api-key", TOKEN)
            .json(&json!({"name": "GONE", "value": "v"}))
            .send()
            .unwrap(),
        200,
    );
    json(emu.req("DELETE", "runtools", "/v1/secrets/GONE").send().unwrap(), 200);
    let body = json(emu.req("DELETE", "runtools", "/v1/secrets/GONE").send().unwrap(), 404);
    assert_eq!(body["error"]["code"], "not_found");
    let body = json(emu.http.get(&url).header("authorization", TOKEN).send().unwrap(), 401);
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[test]
fn org_wide_in_the_query_of_a_create_makes_the_org_copy() {
    let emu = Emulator::start();
    let as_admin = |method: &str, path: &str| {
        emu.http.request(method.parse().unwrap(), emu.url("runtools", path)).bearer_auth(ADMIN_TOKEN)
    };
    json(
        as_admin("POST", "/v1/secrets?orgWide=true")
            .json(&json!({"name": "SHARED", "value": "org"}))
            .send()
            .unwrap(),
        200,
    );
    let owners: Vec<String> = emu.state()["runtools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["owner"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(owners, ["org"]);
    json(as_admin("GET", "/v1/secrets/SHARED?orgWide=true").send().unwrap(), 200);
    json(as_admin("GET", "/v1/secrets/SHARED").send().unwrap(), 404);
    // A member may not make one, in the query either.
    json(
        emu.req("POST", "runtools", "/v1/secrets?orgWide=true")
            .json(&json!({"name": "SHARED", "value": "mine"}))
            .send()
            .unwrap(),
        403,
    );
}

#[test]
fn an_admin_reaches_a_users_copy_with_user_id_but_only_its_owner_reveals_it() {
    let emu = Emulator::start();
    json(
        as_user(&emu, TOKEN, "POST", "/v1/secrets")
            .json(&json!({"name": "MINE", "value": "private"}))
            .send()
            .unwrap(),
        200,
    );
    // TOKEN is the emulator's first user.
    let got = json(as_user(&emu, ADMIN_TOKEN, "GET", "/v1/secrets/MINE?user_id=user_1").send().unwrap(), 200);
    assert_eq!(got["data"]["name"], "MINE");
    let listed = json(as_user(&emu, ADMIN_TOKEN, "GET", "/v1/secrets?user_id=user_1").send().unwrap(), 200);
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    // A non-owner reveal is refused (403), not reported missing, even for an admin.
    let refused = json(
        as_user(&emu, ADMIN_TOKEN, "POST", "/v1/secrets/MINE/reveal?user_id=user_1").send().unwrap(),
        403,
    );
    assert!(refused["error"]["message"].as_str().unwrap().contains("owner"));
    json(as_user(&emu, OTHER_TOKEN, "GET", "/v1/secrets/MINE?user_id=user_1").send().unwrap(), 403);
    json(as_user(&emu, OTHER_TOKEN, "POST", "/v1/secrets/MINE/reveal?user_id=user_1").send().unwrap(), 403);
    let revealed = json(as_user(&emu, TOKEN, "POST", "/v1/secrets/MINE/reveal").send().unwrap(), 200);
    assert_eq!(revealed["data"]["value"], "private");
    json(as_user(&emu, ADMIN_TOKEN, "DELETE", "/v1/secrets/MINE?user_id=user_1").send().unwrap(), 200);
    json(as_user(&emu, TOKEN, "GET", "/v1/secrets/MINE").send().unwrap(), 404);
}

#[test]
fn an_org_secrets_own_policy_decides_whether_members_reveal_it() {
    let emu = Emulator::start();
    for name in ["OPEN", "CLOSED"] {
        let body = json!({"name": name, "value": format!("{name}-value"), "orgWide": true});
        json(as_user(&emu, ADMIN_TOKEN, "POST", "/v1/secrets").json(&body).send().unwrap(), 200);
    }
    json(
        emu.admin("PUT", "runtools", "/runtools/secrets/OPEN/reveal")
            .json(&json!({"members": true}))
            .send()
            .unwrap(),
        200,
    );
    json(
        emu.admin("PUT", "runtools", "/runtools/secrets/NONE/reveal")
            .json(&json!({"members": true}))
            .send()
            .unwrap(),
        404,
    );
    let open =
        json(as_user(&emu, TOKEN, "POST", "/v1/secrets/OPEN/reveal?orgWide=true").send().unwrap(), 200);
    assert_eq!(open["data"]["value"], "OPEN-value");
    let closed =
        json(as_user(&emu, TOKEN, "POST", "/v1/secrets/CLOSED/reveal?orgWide=true").send().unwrap(), 403);
    assert!(closed["error"]["message"].as_str().unwrap().contains("admins"));
    json(as_user(&emu, ADMIN_TOKEN, "POST", "/v1/secrets/CLOSED/reveal?orgWide=true").send().unwrap(), 200);
    // The policy is the secret's own: a rotation keeps it, a delete drops it.
    let rotate = json!({"name": "OPEN", "value": "OPEN-2", "orgWide": true});
    json(as_user(&emu, ADMIN_TOKEN, "POST", "/v1/secrets").json(&rotate).send().unwrap(), 200);
    json(as_user(&emu, TOKEN, "POST", "/v1/secrets/OPEN/reveal?orgWide=true").send().unwrap(), 200);
    json(as_user(&emu, ADMIN_TOKEN, "DELETE", "/v1/secrets/OPEN?orgWide=true").send().unwrap(), 200);
    json(as_user(&emu, ADMIN_TOKEN, "POST", "/v1/secrets").json(&rotate).send().unwrap(), 200);
    json(as_user(&emu, TOKEN, "POST", "/v1/secrets/OPEN/reveal?orgWide=true").send().unwrap(), 403);
}
