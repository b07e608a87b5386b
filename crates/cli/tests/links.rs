//! `keyhaven check`, `setup-url` and `open-link`, as the real binary against
//! the emulator's Runtype on 127.0.0.1.

mod common;
#[path = "../../core/tests/common/emulator.rs"]
mod emulator;

use common::Kh;
use emulator::{Emulator, TOKEN};
use keyhaven_core::remote::Kind;
use serde_json::{Value, json};

/// The emulator, and a vault with its Runtype as remote `rt`.
fn with_runtype() -> (Emulator, Kh) {
    let emulator = Emulator::start();
    let kh = Kh::new();
    let url = emulator.url(Kind::Runtype);
    kh.ok(&["remote", "add", "rt", "--kind", "runtype", "--url", &url], Some(TOKEN.as_bytes()));
    (emulator, kh)
}

#[test]
fn check_setup_url_and_links_against_runtype() {
    let (emulator, kh) = with_runtype();
    emulator.call(
        Kind::Runtype,
        "POST",
        "/v1/secrets",
        Some(json!({"key": "OPENAI_API_KEY", "value": "sk-0123456789"})),
    );

    let found: Value = serde_json::from_str(
        &kh.ok(&["--json", "check", "--remote", "rt", "OPENAI_API_KEY", "NOT_THERE"], None),
    )
    .unwrap();
    assert_eq!(found["found"], json!(["OPENAI_API_KEY"]));
    assert_eq!(found["missing"], json!(["NOT_THERE"]));
    let table = kh.ok(&["check", "--remote", "rt", "NOT_THERE"], None);
    assert!(table.contains("NOT_THERE") && table.contains("missing"), "{table}");

    let setup: Value =
        serde_json::from_str(&kh.ok(&["--json", "setup-url", "--remote", "rt", "NOT_THERE"], None)).unwrap();
    assert_eq!(setup["missing"], json!(["NOT_THERE"]));
    // snake_case like every field the CLI prints, never Runtype's own camelCase.
    assert!(setup.get("already_configured").is_some() && setup.get("alreadyConfigured").is_none(), "{setup}");

    // Links: the same parser and checks as the app.
    kh.ok(&["set", "API_KEY"], Some(b"value-that-must-not-show"));
    let shown = kh.ok(&["open-link", "keyhaven://open?name=API_KEY"], None);
    assert!(shown.contains("API_KEY") && !shown.contains("value-that-must-not-show"), "{shown}");
    let checked: Value = serde_json::from_str(
        &kh.ok(&["--json", "open-link", "keyhaven://check?remote=rt&keys=OPENAI_API_KEY"], None),
    )
    .unwrap();
    assert_eq!(checked["found"], json!(["OPENAI_API_KEY"]));

    let err = kh.fails(&["open-link", "keyhaven://check?remote=elsewhere&keys=A"], None, 6);
    assert!(err.contains("no remote named \"elsewhere\" is configured here"), "{err}");
    assert_eq!(err.matches("is configured here").count(), 1, "the reason once: {err}");
    let err = kh.fails(&["open-link", "javascript:alert(1)"], None, 6);
    assert!(err.contains("not a keyhaven:// link"), "{err}");
    let err = kh.fails(&["open-link", "keyhaven://open?name=API_KEY&expires=2020-01-01T00:00:00Z"], None, 6);
    assert!(err.contains("expired at 2020-01-01T00:00:00Z"), "{err}");
    let err = kh.fails(&["check", "--remote", "nope", "A"], None, 4);
    assert!(err.contains("nope"), "{err}");
    // Runloop has no check: the remote must be a Runtype one.
    kh.ok(
        &["remote", "add", "rl", "--kind", "runloop", "--url", &emulator.url(Kind::Runloop)],
        Some(TOKEN.as_bytes()),
    );
    let err = kh.fails(&["check", "--remote", "rl", "A"], None, 6);
    assert!(err.contains("Runtype"), "{err}");
}

#[test]
fn intake_fills_from_the_vault_submits_and_says_what_is_left() {
    let (emulator, kh) = with_runtype();
    kh.ok(&["set", "OPENAI_API_KEY"], Some(b"sk-local-0123456789"));
    let args = ["intake", "--remote", "rt", "--source", "manual", "--keys", "OPENAI_API_KEY,DB_PASSWORD"];

    // Without --fill-from-vault and no terminal to type on: the form, nothing sent.
    let err = kh.fails(&args, None, 10);
    assert!(err.contains("nothing to submit") && err.contains("2 item(s) still need configuration"), "{err}");

    // Piped, without --yes: nobody confirmed, so nothing is sent.
    let err = kh.fails(&[&args[..], &["--fill-from-vault"]].concat(), None, 6);
    assert!(err.contains("pass --yes"), "{err}");
    assert!(emulator.secrets(Kind::Runtype).is_empty());

    let err = kh.fails(&[&args[..], &["--fill-from-vault", "--yes"]].concat(), None, 10);
    assert!(err.contains("OPENAI_API_KEY: from the vault"), "{err}");
    assert!(
        err.contains("submitted 1 value(s)") && err.contains("1 item(s) still need configuration"),
        "{err}"
    );
    assert!(!err.contains("sk-local-0123456789"), "{err}");
    let remote = emulator.secrets(Kind::Runtype);
    assert_eq!(remote[0]["key"], "OPENAI_API_KEY");
    assert_eq!(remote[0]["value"], "sk-local-0123456789");

    // A link runs the same form, and never submits by itself.
    let link = "keyhaven://intake?remote=rt&source=manual&keys=DB_PASSWORD";
    let err = kh.fails(&["open-link", link], None, 10);
    assert!(err.contains("nothing to submit"), "{err}");
    assert_eq!(emulator.secrets(Kind::Runtype).len(), 1);
}

#[test]
fn intake_says_which_submitted_values_the_form_refused_and_were_not_kept() {
    let (emulator, kh) = with_runtype();
    emulator.declare_intake(json!({"manifests": [{
        "source": {"type": "manual"},
        "title": "Connect your model",
        "items": [{"itemId": "openai", "secretKey": "OPENAI_API_KEY", "required": true, "prefix": "sk-"}]
    }]}));
    kh.ok(&["set", "OPENAI_API_KEY"], Some(b"no-prefix-0123456789"));
    let err =
        kh.fails(&["intake", "--remote", "rt", "--source", "manual", "--fill-from-vault", "--yes"], None, 10);
    assert!(
        err.contains(
            "OPENAI_API_KEY was not kept in the vault: rt reports it invalid; the vault's value is unchanged"
        ),
        "{err}"
    );
}

#[test]
fn intake_shows_the_form_status_and_each_items_help_and_vets_a_return_url() {
    let (emulator, kh) = with_runtype();
    emulator.declare_intake(json!({"manifests": [{
        "source": {"type": "manual"},
        "title": "Connect your model",
        "items": [{
            "itemId": "openai",
            "secretKey": "OPENAI_API_KEY",
            "required": true,
            "description": "The agent's model provider",
            "placeholder": "sk-…",
            "helpText": "From your OpenAI dashboard",
            "docsUrl": "https://platform.openai.com/api-keys"
        }]
    }]}));
    // The intake page's manual source with no key (docs/platforms.md, RT-INTAKE).
    let err = kh.fails(&["intake", "--remote", "rt", "--source", "manual"], None, 10);
    assert!(err.contains("Connect your model"), "{err}");
    assert!(err.contains("status: needs configuration, 1 item(s) pending"), "{err}");
    assert!(
        err.contains(
            "OPENAI_API_KEY: The agent's model provider · From your OpenAI dashboard · expects: sk-… · docs: https://platform.openai.com/api-keys"
        ),
        "{err}"
    );
    let elsewhere =
        ["intake", "--remote", "rt", "--source", "manual", "--return-url", "https://evil.example/back"];
    let err = kh.fails(&elsewhere, None, 6);
    assert!(err.contains("return"), "{err}");
}

#[test]
fn a_revoked_key_gets_the_same_advice_on_every_path_that_calls_runtype() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    let url = emulator.url(Kind::Runtype);
    emulator.add_token("rt_live_soon_revoked", json!({}));
    kh.ok(&["remote", "add", "rt", "--kind", "runtype", "--url", &url], Some(b"rt_live_soon_revoked"));
    emulator.revoke_token("rt_live_soon_revoked");
    let advice = "remote rt refused its API key";
    for args in [
        &["check", "--remote", "rt", "OPENAI_API_KEY"][..],
        &["setup-url", "--remote", "rt", "OPENAI_API_KEY"],
        &["intake", "--remote", "rt", "--source", "manual", "--keys", "OPENAI_API_KEY"],
        &["open-link", "keyhaven://check?remote=rt&keys=OPENAI_API_KEY"],
    ] {
        let err = kh.fails(args, None, 9);
        assert!(err.contains(advice) && err.contains("keyhaven remote set-token rt"), "{args:?}: {err}");
    }
}

#[test]
fn a_key_list_from_the_remote_reaches_the_terminal_printable() {
    let (_emulator, kh) = with_runtype();
    // The remote answers with the keys it was asked about; one carries escape sequences.
    let out = kh.run(&["check", "--remote", "rt", "OPENAI_API_KEY", "EVIL\x1b]0;pwned\x07\x1b[2J"], None);
    let shown = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(shown.contains("EVIL]0;pwned[2J"), "{shown:?}");
    assert!(!shown.contains(['\x1b', '\x07']), "{shown:?}");
}
