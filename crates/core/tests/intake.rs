//! Intake against the emulator's Runtype: a declared form with all three item
//! statuses and required items, filled from the vault, submitted with each
//! item's version, the 409 path (someone changed an item meanwhile), and the
//! submitted values kept in the vault.

mod common;

use common::emulator::{Emulator, TOKEN};
use keyhaven_core::{
    KdfParams, SecretName, UnlockedVault, Vault,
    intake::{self, Submitted},
    link::{Intake, SourceKind},
    remote::{self, Kind, RemoteConfig},
    secret::SecretFields,
    vault::Access,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

/// Declares the onboarding form on the emulator.
pub fn declare_form(emulator: &Emulator) {
    let form = json!({"manifests": [{
        "source": {"type": "manual", "key": "onboarding"},
        "title": "Connect your providers",
        "description": "Keys the agent needs.",
        "returnUrl": "https://app.runtype.example/done",
        "items": [
            {"itemId": "openai", "secretKey": "OPENAI_API_KEY", "required": true, "prefix": "sk-",
             "displayName": "OpenAI", "helpText": "Starts with sk-", "docsUrl": "https://platform.openai.com"},
            {"itemId": "db", "secretKey": "DB_PASSWORD", "required": true, "placeholder": "at least 8 characters"},
            {"itemId": "stripe", "secretKey": "STRIPE_KEY", "prefix": "sk_"},
            {"itemId": "done", "secretKey": "ALREADY_SET"}
        ]
    }]});
    emulator.declare_intake(form);
    emulator.call(
        Kind::Runtype,
        "POST",
        "/v1/secrets",
        Some(json!({"key": "STRIPE_KEY", "value": "pk_wrong_0123"})),
    );
    emulator.call(
        Kind::Runtype,
        "POST",
        "/v1/secrets",
        Some(json!({"key": "ALREADY_SET", "value": "fine-0123456"})),
    );
}

/// The emulator with the declared form, and a vault with a Runtype remote `rt` on it.
fn with_form() -> (Emulator, tempfile::TempDir, UnlockedVault) {
    let emulator = Emulator::start();
    declare_form(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let mut vault =
        Vault::create(&dir.path().join("v.sqlite"), &"pw".into(), KdfParams::custom(8, 1).unwrap()).unwrap();
    let config = RemoteConfig::new("rt", Kind::Runtype, &emulator.url(Kind::Runtype), None).unwrap();
    vault.add_remote(&config, &TOKEN.into()).unwrap();
    (emulator, dir, vault)
}

/// The declared form's request: manual, key `onboarding`, on remote `rt`.
fn onboarding_request() -> Intake {
    Intake {
        remote: "rt".into(),
        source: SourceKind::Manual,
        key: Some("onboarding".into()),
        keys: vec![],
        product_id: None,
        return_url: None,
    }
}

fn status(manifest: &remote::runtype::Manifest, key: &str) -> String {
    manifest.items.iter().find(|item| item.secret_key == key).unwrap().status.clone()
}

#[test]
fn fill_from_the_vault_submit_and_keep_the_values() {
    let (emulator, _dir, mut vault) = with_form();
    let name = |text: &str| SecretName::parse(text).unwrap();
    vault.set(&name("OPENAI_API_KEY"), &"sk-local-0123456789".into(), &SecretFields::default()).unwrap();
    vault.set(&name("STRIPE_KEY"), &"sk_live_local_0123".into(), &SecretFields::default()).unwrap();

    let api = vault.connect_runtype("rt").unwrap();
    let request = onboarding_request();
    let source = intake::source(&request);
    let form = api.intake_manifest(&source, None).unwrap();
    assert_eq!(form.title, "Connect your providers");
    assert_eq!(form.pending_configuration_count, 3);
    assert_eq!(
        ["OPENAI_API_KEY", "DB_PASSWORD", "STRIPE_KEY", "ALREADY_SET"].map(|key| status(&form, key)),
        ["needs_configuration", "needs_configuration", "invalid", "configured"]
    );
    let openai = form.items.iter().find(|item| item.item_id == "openai").unwrap();
    assert_eq!(openai.help_text.as_deref(), Some("Starts with sk-"));
    assert_eq!(openai.required, Some(true));

    // The vault fills two; the third is typed.
    let fillable: Vec<&str> =
        intake::fillable(&vault, &form).into_iter().map(|item| item.item_id.as_str()).collect();
    assert_eq!(fillable, ["openai", "stripe"]);

    // Someone fixes STRIPE_KEY on the remote meanwhile: the submit is refused (409)
    // and the form comes back with what changed; nothing was written.
    let stripe_id =
        emulator.secrets(Kind::Runtype).into_iter().find(|s| s["key"] == "STRIPE_KEY").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    emulator.call(
        Kind::Runtype,
        "PUT",
        &format!("/v1/secrets/{stripe_id}"),
        Some(json!({"value": "sk_theirs_0123"})),
    );
    let mut values: Vec<(String, SecretString)> = intake::fillable(&vault, &form)
        .into_iter()
        .map(|item| (item.item_id.clone(), intake::value_from_vault(&mut vault, item).unwrap()))
        .collect();
    values.push(("db".into(), "typed-db-password".into()));
    let Submitted::Changed { manifest: fresh, changes } =
        intake::submit(&api, &source, &form, &values, None).unwrap()
    else {
        panic!("a stale form was accepted");
    };
    assert_eq!(changes, ["STRIPE_KEY: invalid → configured"]);
    assert_eq!(status(&fresh, "OPENAI_API_KEY"), "needs_configuration", "nothing was written");

    // Against the fresh form: STRIPE_KEY is configured now, the rest goes in.
    values.retain(|(item, _)| item != "stripe");
    let Submitted::Done(done) = intake::submit(&api, &source, &fresh, &values, None).unwrap() else {
        panic!("refused");
    };
    assert_eq!(done.configuration_status, "configured");
    assert_eq!(done.pending_configuration_count, 0);
    let remote: Vec<_> = emulator.secrets(Kind::Runtype);
    let value_of =
        |key: &str| remote.iter().find(|s| s["key"] == key).unwrap()["value"].as_str().unwrap().to_owned();
    assert_eq!(value_of("OPENAI_API_KEY"), "sk-local-0123456789");
    assert_eq!(value_of("DB_PASSWORD"), "typed-db-password");

    // The typed value is kept in the vault; the vault's own is left as it was.
    assert!(intake::keep_in_vault(&mut vault, &done, &values).unwrap().is_empty());
    assert_eq!(
        vault.reveal(&name("DB_PASSWORD"), Access::Reveal).unwrap().expose_secret(),
        "typed-db-password"
    );
    assert_eq!(vault.meta(&name("OPENAI_API_KEY")).unwrap().version, 1);
}

#[test]
fn required_items_left_empty_keep_the_form_pending() {
    let emulator = Emulator::start();
    declare_form(&emulator);
    let config = RemoteConfig::new("rt", Kind::Runtype, &emulator.url(Kind::Runtype), None).unwrap();
    let api = remote::connect_runtype(&config, TOKEN.into(), remote::default_policy()).unwrap();
    let source = onboarding();
    let form = api.intake_manifest(&source, None).unwrap();
    let values = vec![("stripe".to_owned(), SecretString::from("sk_fixed_0123456"))];
    let Submitted::Done(now) = intake::submit(&api, &source, &form, &values, None).unwrap() else { panic!() };
    assert_eq!(now.configuration_status, "needs_configuration");
    assert_eq!(now.pending_configuration_count, 2, "OPENAI_API_KEY and DB_PASSWORD are still required");
    let err =
        intake::submit(&api, &source, &form, &[("nope".into(), "x-0123456789".into())], None).unwrap_err();
    assert!(err.message.contains("no item nope"), "{}", err.message);
}

#[test]
fn only_the_remotes_own_site_is_offered_and_an_expired_handoff_never() {
    let remote = RemoteConfig::new("rt", Kind::Runtype, "https://api.runtype.example", None).unwrap();
    let now: jiff::Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
    let form = |return_url: &str, handoff: &str, expires: &str| -> remote::runtype::Manifest {
        serde_json::from_value(json!({
            "source": {"type": "manual", "key": "k"}, "title": "t", "items": [],
            "configurationStatus": "configured", "pendingConfigurationCount": 0,
            "returnUrl": return_url,
            "handoff": {"type": "redirect", "url": handoff, "expiresAt": expires},
        }))
        .unwrap()
    };
    let offered = |manifest| {
        intake::destinations(&manifest, &remote, now)
            .into_iter()
            .map(|next| (next.openable, next.expired.is_some()))
            .collect::<Vec<_>>()
    };
    let later = "2026-11-23T12:15:00Z";
    assert_eq!(
        offered(form("https://app.runtype.example/done", "https://runtype.example/go", later)),
        [(true, false), (true, false)]
    );
    // Foreign, plain http, or javascript: shown, never opened.
    assert_eq!(
        offered(form("https://evil.example/done", "javascript:alert(1)", later)),
        [(false, false), (false, false)]
    );
    assert_eq!(
        offered(form("http://app.runtype.example/", "https://runtype.example/go", later)).first(),
        Some(&(false, false))
    );
    // Expired, or an expiry that cannot be read: not offered, expiry shown.
    assert_eq!(
        offered(form("https://app.runtype.example/", "https://runtype.example/go", "2026-11-23T11:59:59Z"))
            [1],
        (false, true)
    );
    assert_eq!(
        offered(form("https://app.runtype.example/", "https://runtype.example/go", "soon"))[1],
        (false, true)
    );
}

/// A form as the user saw it: one item, OpenAI's key.
fn openai_form() -> remote::runtype::Manifest {
    serde_json::from_value(json!({
        "source": {"type": "manual", "key": "onboarding"},
        "title": "Connect",
        "items": [{"itemId": "item-openai", "secretKey": "OPENAI_API_KEY", "status": "needs_configuration"}],
        "configurationStatus": "needs_configuration",
        "pendingConfigurationCount": 1
    }))
    .unwrap()
}

fn submit_reply(key: &str) -> &'static str {
    let body = json!({"success": true, "manifest": {
        "source": {"type": "manual", "key": "onboarding"},
        "title": "Connect",
        "items": [{"itemId": "item-openai", "secretKey": key, "status": "configured"}],
        "configurationStatus": "configured",
        "pendingConfigurationCount": 0
    }});
    common::canned::reply("200 OK", &body.to_string())
}

#[test]
fn a_reply_that_renames_a_submitted_item_is_refused_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault =
        Vault::create(&dir.path().join("v.sqlite"), &"pw".into(), KdfParams::custom(8, 1).unwrap()).unwrap();
    vault.set(&name("GITHUB_TOKEN"), &"ghp-own-value-123".into(), &SecretFields::default()).unwrap();
    let form = openai_form();
    let values = vec![("item-openai".to_owned(), SecretString::from("sk-openai-value-456"))];
    let source = onboarding();
    let connect = |url: &str| {
        let config = RemoteConfig::new("rt", Kind::Runtype, url, None).unwrap();
        remote::connect_runtype(&config, TOKEN.into(), remote::default_policy()).unwrap()
    };

    // The server answers that item-openai is GITHUB_TOKEN.
    let (url, _) = common::canned::canned(vec![submit_reply("GITHUB_TOKEN")]);
    let err = intake::submit(&connect(&url), &source, &form, &values, None).err().unwrap();
    assert!(err.message.contains("names item item-openai GITHUB_TOKEN"), "{}", err.message);
    assert!(!err.message.contains("sk-openai-value-456"));
    assert_eq!(
        vault.reveal(&name("GITHUB_TOKEN"), Access::Reveal).unwrap().expose_secret(),
        "ghp-own-value-123"
    );

    // An honest reply: the value is kept under the name the form showed.
    let (url, _) = common::canned::canned(vec![submit_reply("OPENAI_API_KEY")]);
    let Submitted::Done(_) = intake::submit(&connect(&url), &source, &form, &values, None).unwrap() else {
        panic!("submitted")
    };
    intake::keep_in_vault(&mut vault, &form, &values).unwrap();
    assert_eq!(
        vault.reveal(&name("OPENAI_API_KEY"), Access::Reveal).unwrap().expose_secret(),
        "sk-openai-value-456"
    );
    assert_eq!(
        vault.reveal(&name("GITHUB_TOKEN"), Access::Reveal).unwrap().expose_secret(),
        "ghp-own-value-123"
    );
}

fn name(text: &str) -> SecretName {
    SecretName::parse(text).unwrap()
}

#[test]
fn a_reply_saying_success_false_is_not_taken_as_submitted() {
    let form = openai_form();
    let values = vec![("item-openai".to_owned(), SecretString::from("sk-openai-value-456"))];
    let body = json!({"success": false, "manifest": form_json("needs_configuration", None)});
    let (url, _) = common::canned::canned(vec![common::canned::reply("200 OK", &body.to_string())]);
    let config = RemoteConfig::new("rt", Kind::Runtype, &url, None).unwrap();
    let api = remote::connect_runtype(&config, TOKEN.into(), remote::default_policy()).unwrap();
    let source = onboarding();
    let err = intake::submit(&api, &source, &form, &values, None).err().unwrap();
    assert!(err.message.contains("success: false"), "{}", err.message);
}

/// The source the onboarding forms are filed under.
fn onboarding() -> remote::runtype::Source {
    serde_json::from_value(json!({"type": "manual", "key": "onboarding"})).unwrap()
}

/// The OpenAI form with its item at `status` and `version`.
fn form_json(status: &str, version: Option<i64>) -> serde_json::Value {
    json!({
        "source": {"type": "manual", "key": "onboarding"},
        "title": "Connect",
        "items": [{"itemId": "item-openai", "secretKey": "OPENAI_API_KEY", "status": status, "version": version}],
        "configurationStatus": status,
        "pendingConfigurationCount": if status == "configured" { 0 } else { 1 }
    })
}

#[test]
fn a_409_after_a_lost_answer_is_recognised_as_our_own_submit() {
    let form = openai_form();
    let values = vec![("item-openai".to_owned(), SecretString::from("sk-openai-value-456"))];
    let conflict = r#"{"error":"version conflict"}"#;
    let source = onboarding();
    let run = |fresh: serde_json::Value| {
        let fresh = Box::leak(fresh.to_string().into_boxed_str());
        let (url, _) = common::canned::canned(vec![
            common::canned::reply("409 Conflict", conflict),
            common::canned::reply("200 OK", fresh),
        ]);
        let config = RemoteConfig::new("rt", Kind::Runtype, &url, None).unwrap();
        let api = remote::connect_runtype(&config, TOKEN.into(), remote::default_policy()).unwrap();
        intake::submit(&api, &source, &form, &values, None).unwrap()
    };
    // Configured at version 1, as our submit of a new key leaves it: ours.
    assert!(matches!(run(form_json("configured", Some(1))), Submitted::Done(_)));
    // Configured at version 2: someone else's, so nothing is claimed.
    let Submitted::Changed { changes, .. } = run(form_json("configured", Some(2))) else { panic!("changed") };
    assert_eq!(changes, ["OPENAI_API_KEY: needs_configuration → configured"]);
}

#[test]
fn a_value_the_form_reports_invalid_never_replaces_the_vaults_good_one() {
    let (_emulator, _dir, mut vault) = with_form();
    let name = SecretName::parse("OPENAI_API_KEY").unwrap();
    vault.set(&name, &"sk-good-0123456789".into(), &SecretFields::default()).unwrap();
    let request = onboarding_request();
    let form = vault.connect_runtype("rt").unwrap().intake_manifest(&intake::source(&request), None).unwrap();
    // A typo in the form: no "sk-" prefix. Runtype takes it (success) and reports it invalid.
    let typed = vec![
        ("openai".to_owned(), SecretString::from("typo-0123456789")),
        ("db".to_owned(), "typed-db-password".into()),
    ];
    let outcome = intake::submit_and_keep(&mut vault, &request, &form, &typed, true).unwrap();
    assert_eq!(outcome.submitted, 2);
    assert_eq!(status(&outcome.form, "OPENAI_API_KEY"), "invalid");
    assert_eq!(outcome.not_kept, [("OPENAI_API_KEY".to_owned(), "invalid".to_owned())]);
    assert_eq!(vault.meta(&name).unwrap().version, 1, "the vault's good value stays current");
    assert_eq!(vault.reveal(&name, Access::Reveal).unwrap().expose_secret(), "sk-good-0123456789");
    // The accepted one is kept.
    let db = SecretName::parse("DB_PASSWORD").unwrap();
    assert_eq!(vault.reveal(&db, Access::Reveal).unwrap().expose_secret(), "typed-db-password");
}

#[test]
fn against_the_emulator_success_false_keeps_nothing_and_a_lost_reply_is_recognised() {
    let (emulator, _dir, mut vault) = with_form();
    let request = onboarding_request();
    let form = vault.connect_runtype("rt").unwrap().intake_manifest(&intake::source(&request), None).unwrap();
    let values = vec![("db".to_owned(), SecretString::from("typed-db-password"))];
    let db = SecretName::parse("DB_PASSWORD").unwrap();

    // Runtype answers success: false: an error, nothing kept, nothing there.
    emulator.faults(Kind::Runtype, json!({"intake_success_false": true}));
    let err = intake::submit_and_keep(&mut vault, &request, &form, &values, true).unwrap_err();
    assert!(err.to_string().contains("success: false"), "{err}");
    assert!(vault.meta(&db).is_err());
    assert!(!emulator.secrets(Kind::Runtype).iter().any(|s| s["key"] == "DB_PASSWORD"));

    // The submit is applied and its reply lost: the retry meets a 409, which is ours.
    emulator.faults(Kind::Runtype, json!({"drop_next": 1}));
    let outcome = intake::submit_and_keep(&mut vault, &request, &form, &values, true).unwrap();
    assert_eq!(outcome.submitted, 1);
    assert_eq!(status(&outcome.form, "DB_PASSWORD"), "configured");
    assert_eq!(vault.reveal(&db, Access::Reveal).unwrap().expose_secret(), "typed-db-password");
    let stored = emulator.secrets(Kind::Runtype);
    let remote = stored.iter().find(|s| s["key"] == "DB_PASSWORD").unwrap();
    assert_eq!(remote["version"], 1, "applied once");
}
