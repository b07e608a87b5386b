//! The remote adapters on their own: Runtype's check, setup-url and intake
//! calls against the emulator, and bad replies from a canned HTTP server on
//! 127.0.0.1 (a clear error, never a value or token in it).

mod common;

use std::{
    net::TcpListener,
    time::{Duration, Instant},
};

use common::{
    canned::{Seen, canned, reply, reply_with},
    emulator::{Emulator, TOKEN},
};
use keyhaven_core::remote::{
    self, Failure, Kind, Metadata, RemoteConfig, RemoteSecret, RetryPolicy, SecretsApi,
    runtype::{Source, SubmitValue},
};
use secrecy::SecretString;

const QUICK: RetryPolicy = RetryPolicy {
    attempts: 3,
    base_delay: Duration::from_millis(1),
    max_delay: Duration::from_millis(5),
    timeout: Duration::from_secs(5),
    deadline: Duration::from_secs(30),
};

fn runtype(emulator: &Emulator) -> remote::runtype::Runtype {
    let config = RemoteConfig::new("rt", Kind::Runtype, &emulator.url(Kind::Runtype), None).unwrap();
    remote::connect_runtype(&config, TOKEN.into(), QUICK).unwrap()
}

#[test]
fn runtype_check_setup_url_and_intake() {
    let emulator = Emulator::start();
    let api = runtype(&emulator);
    api.create("OPENAI_KEY", &"sk-0123456789".into(), &Metadata::default(), "r1", false).unwrap();

    let keys = vec!["OPENAI_KEY".to_owned(), "DB_PASSWORD".to_owned()];
    let check = api.check(&keys).unwrap();
    assert_eq!(check.found, ["OPENAI_KEY"]);
    assert_eq!(check.missing, ["DB_PASSWORD"]);

    let setup = api.setup_url(&keys, None).unwrap();
    assert_eq!(setup.already_configured, ["OPENAI_KEY"]);
    assert_eq!(setup.missing, ["DB_PASSWORD"]);
    assert!(setup.url.unwrap().starts_with("http://127.0.0.1"));

    let source =
        Source { kind: "manual".into(), key: None, keys: Some(keys), product_id: None, description: None };
    let manifest = api.intake_manifest(&source, Some("https://app.example/done")).unwrap();
    assert_eq!(manifest.configuration_status, "needs_configuration");
    assert_eq!(manifest.pending_configuration_count, 1);
    assert_eq!(manifest.return_url.as_deref(), Some("https://app.example/done"));
    let missing = manifest.items.iter().find(|item| item.status == "needs_configuration").unwrap();
    assert_eq!(missing.secret_key, "DB_PASSWORD");

    let value = SubmitValue {
        item_id: missing.item_id.clone(),
        key: missing.secret_key.clone(),
        value: "correct horse battery".into(),
        expected_version: None,
    };
    let submitted = api.intake_submit(&source, &[value], None).unwrap();
    assert!(submitted.success);
    assert_eq!(submitted.manifest.configuration_status, "configured");
    assert!(api.list().unwrap().secrets.iter().any(|s| s.name == "DB_PASSWORD"));

    // Runtype's own value rule is checked before anything is sent.
    let err = api.create("SHORT", &"1234".into(), &Metadata::default(), "r2", false).unwrap_err();
    assert_eq!(err.kind, Failure::Rejected);
    assert!(err.message.contains("8 to 10,000"), "{}", err.message);
}

fn client(kind: Kind, url: &str, token: &str) -> Box<dyn SecretsApi> {
    let config = RemoteConfig::new("canned", kind, url, None).unwrap();
    remote::connect(&config, SecretString::from(token.to_owned()), QUICK).unwrap()
}

#[test]
fn bad_replies_are_clear_errors_that_quote_nothing() {
    let planted = "PLANTED-value-4f1c9e";
    let token = "PLANTED-token-77aa";
    let target = RemoteSecret::new("X", "X", "1");

    // Not JSON at all.
    let err = client(Kind::Runloop, &canned(vec![reply("200 OK", "<html>oops</html>")]).0, token)
        .list()
        .unwrap_err();
    assert_eq!(err.kind, Failure::BadReply);
    assert!(err.message.contains("not valid JSON"), "{}", err.message);

    // JSON of the wrong shape, quoting a value: the message says where, not what.
    let body = format!(r#"{{"data": "{planted}"}}"#);
    let (url, _) = canned(vec![reply("200 OK", &body)]);
    let err = client(Kind::Runtools, &url, token).reveal(&target).unwrap_err();
    assert_eq!(err.kind, Failure::BadReply);
    assert!(err.message.contains("not the documented shape"), "{}", err.message);
    assert!(!err.message.contains(planted), "{}", err.message);

    // A refusal that echoes the token and the value sent.
    let body = format!(r#"{{"message": "bad {planted} with {token}"}}"#);
    let (url, _) = canned(vec![reply("400 Bad Request", &body)]);
    let err = client(Kind::Runloop, &url, token)
        .update(&target, &SecretString::from(planted.to_owned()), &Metadata::default(), None, "r")
        .unwrap_err();
    assert_eq!(err.kind, Failure::Rejected);
    assert!(!err.message.contains(planted) && !err.message.contains(token), "{}", err.message);
    assert!(err.message.contains("HTTP 400"), "{}", err.message);

    // Nobody listening: unreachable, after the retries.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let err = client(Kind::Runtype, &format!("http://{closed}"), token).list().unwrap_err();
    assert_eq!(err.kind, Failure::Unreachable);
}

#[test]
fn retries_honour_retry_after_reuse_the_request_id_and_look_before_creating_again() {
    let created = r#"{"id":"sec_1","name":"NEW","create_time_ms":1,"update_time_ms":2}"#;
    let (url, seen) = canned(vec![
        reply_with("429 Too Many Requests", "retry-after: 1\r\n", "{}"),
        reply("503 Service Unavailable", r#"{"message":"try later"}"#),
        reply("404 Not Found", r#"{"message":"no such secret"}"#),
        reply("200 OK", created),
    ]);
    let started = Instant::now();
    let secret = client(Kind::Runloop, &url, "t")
        .create("NEW", &"v".into(), &Metadata::default(), "req-42", false)
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After was not honoured");
    assert_eq!(secret, RemoteSecret::new("sec_1", "NEW", "2"));
    let seen: Vec<Seen> = seen.iter().take(4).collect();
    let lines: Vec<&str> = seen.iter().map(|s| s.line.as_str()).collect();
    // The 503 may have been applied: a look (GET) before the next create.
    assert_eq!(
        lines,
        [
            "POST /v1/secrets HTTP/1.1",
            "POST /v1/secrets HTTP/1.1",
            "GET /v1/secrets/NEW HTTP/1.1",
            "POST /v1/secrets HTTP/1.1"
        ]
    );
    let ids: Vec<Option<&str>> = seen.iter().map(|s| s.request_id.as_deref()).collect();
    assert_eq!(ids, [Some("req-42"), Some("req-42"), None, Some("req-42")]);
}

#[test]
fn a_remote_asking_to_wait_too_long_fails_at_once_and_no_header_can_panic() {
    let hostile = [
        reply_with("503 Service Unavailable", "retry-after: 100000\r\n", "{}"),
        reply_with("429 Too Many Requests", "retry-after-ms: 1e30\r\n", "{}"),
        reply_with("503 Service Unavailable", "retry-after-ms: 1e308\r\n", "{}"),
    ];
    for response in hostile {
        let (url, seen) = canned(vec![response, reply("200 OK", "{}")]);
        let started = Instant::now();
        let err = client(Kind::Runtype, &url, "t").ping().unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "waited {:?}", started.elapsed());
        assert!(err.message.contains("asked to wait more than 60 s"), "{}", err.message);
        assert_eq!(seen.iter().take(1).count(), 1, "one request, no retry");
    }
}

#[test]
fn retries_stop_at_the_calls_deadline() {
    let policy = RetryPolicy { attempts: 100, deadline: Duration::from_millis(1500), ..QUICK };
    let busy = reply_with("503 Service Unavailable", "retry-after: 1\r\n", "{}");
    let (url, _) = canned(vec![busy; 100]);
    let config = RemoteConfig::new("canned", Kind::Runtype, &url, None).unwrap();
    let api = remote::connect(&config, SecretString::from("t".to_owned()), policy).unwrap();
    let started = Instant::now();
    let err = api.ping().unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    assert_eq!(err.kind, Failure::Unavailable);
}
