//! `keyhaven://` links: the format's valid forms, a table of hostile and
//! malformed links that must all be refused, and a property test that the
//! parser never panics, whatever it is given.

use jiff::Timestamp;
use keyhaven_core::{
    link::{self, Action, LinkError, SourceKind},
    remote::{Kind, RemoteConfig},
};
use proptest::prelude::*;

fn remotes() -> Vec<RemoteConfig> {
    vec![
        RemoteConfig::new("prod", Kind::Runtype, "https://api.runtype.com", None).unwrap(),
        RemoteConfig::new("loop", Kind::Runtype, "http://127.0.0.1:8080", None).unwrap(),
        RemoteConfig::new("rl", Kind::Runloop, "https://api.runloop.ai", None).unwrap(),
    ]
}

fn now() -> Timestamp {
    "2026-11-23T12:00:00Z".parse().unwrap()
}

/// Parse, then vet: what a link goes through before anything is shown.
fn read(text: &str) -> Result<link::Link, LinkError> {
    let link = link::parse(text)?;
    link::vet(&link, &remotes(), now())?;
    Ok(link)
}

#[test]
fn the_documented_forms_are_read() {
    let open = read("keyhaven://open?name=OPENAI_API_KEY").unwrap();
    assert!(matches!(open.action, Action::Open { ref name } if name.as_str() == "OPENAI_API_KEY"));
    assert!(read("KEYHAVEN://open/?name=A").is_ok(), "scheme case and a trailing slash");

    let check = read("keyhaven://check?remote=prod&keys=A,%20B").unwrap();
    assert_eq!(check.action, Action::Check { remote: "prod".into(), keys: vec!["A".into(), "B".into()] });

    let intake = read(
        "keyhaven://intake?remote=prod&source=manual&key=OPENAI_API_KEY\
         &returnUrl=https%3A%2F%2Fapp.runtype.com%2Fdone%3Fs%3D1&expires=2099-01-01T00:00:00Z",
    )
    .unwrap();
    let Action::Intake(intake) = intake.action else { panic!("not an intake") };
    assert_eq!(intake.source, SourceKind::Manual);
    assert_eq!(intake.key.as_deref(), Some("OPENAI_API_KEY"));
    assert_eq!(intake.return_url.unwrap().as_str(), "https://app.runtype.com/done?s=1");

    // The intake page's own example of a manual source names no key.
    let manual = read("keyhaven://intake?remote=prod&source=manual").unwrap();
    assert!(matches!(manual.action, Action::Intake(ref i) if i.key.is_none() && i.keys.is_empty()));

    let product = read("keyhaven://intake?remote=prod&source=product&productId=prod_42").unwrap();
    assert!(matches!(product.action, Action::Intake(ref i) if i.product_id.as_deref() == Some("prod_42")));
    assert!(
        read("keyhaven://intake?remote=loop&source=secret&keys=A,B&returnUrl=http://127.0.0.1:8080/back")
            .is_ok()
    );
}

/// What a refused link's error must be.
type Expect = fn(&LinkError) -> bool;

#[test]
fn hostile_and_malformed_links_are_all_refused() {
    use LinkError::*;
    let intake = "keyhaven://intake?remote=prod&source=manual&key=A";
    let many_keys = (0..101).map(|i| format!("K{i}")).collect::<Vec<_>>().join(",");
    let table: Vec<(String, Expect)> = vec![
        ("https://evil.example/intake?remote=prod".into(), |e| matches!(e, Scheme)),
        ("javascript:alert(1)".into(), |e| matches!(e, Scheme)),
        ("keyhaven:intake?remote=prod".into(), |e| matches!(e, Reference)),
        ("keyhaven:OPENAI_API_KEY".into(), |e| matches!(e, Reference)),
        ("KEYHAVEN:DB_URL@2".into(), |e| matches!(e, Reference)),
        ("".into(), |e| matches!(e, Scheme)),
        ("file:///etc/passwd".into(), |e| matches!(e, Scheme)),
        ("keyhaven://delete?name=A".into(), |e| matches!(e, UnknownAction(_))),
        ("keyhaven://reveal?name=A".into(), |e| matches!(e, UnknownAction(_))),
        ("keyhaven://evil.example/open?name=A".into(), |e| matches!(e, UnknownAction(_))),
        ("keyhaven://open".into(), |e| matches!(e, Missing("name"))),
        ("keyhaven://open?name=".into(), |e| matches!(e, Missing("name"))),
        ("keyhaven://open?name=1BAD".into(), |e| matches!(e, Invalid("name", _))),
        ("keyhaven://open?name=A&name=B".into(), |e| matches!(e, Repeated(_))),
        ("keyhaven://open?name=A&value=s3cret".into(), |e| matches!(e, UnknownParameter(_, "open"))),
        ("keyhaven://open?name=A&remote=prod".into(), |e| matches!(e, UnknownParameter(_, "open"))),
        ("keyhaven://open?name=%ZZ".into(), |e| matches!(e, Malformed(_))),
        ("keyhaven://open?name=%C3%28".into(), |e| matches!(e, Malformed(_))),
        ("keyhaven://open?name=A%00".into(), |e| matches!(e, Malformed(_))),
        ("keyhaven://open?name=A%0a".into(), |e| matches!(e, Malformed(_))),
        ("keyhaven://open?name=A#fragment".into(), |e| matches!(e, Malformed(_))),
        (format!("keyhaven://open?name={}", "A".repeat(5000)), |e| matches!(e, TooLong)),
        (format!("{intake}&returnUrl=https://app.runtype.com/{}", "a".repeat(2100)), |e| {
            matches!(e, Invalid("returnUrl", _))
        }),
        ("keyhaven://check?remote=prod".into(), |e| matches!(e, Missing("keys"))),
        ("keyhaven://check?keys=A".into(), |e| matches!(e, Missing("remote"))),
        ("keyhaven://check?remote=nope&keys=A".into(), |e| matches!(e, UnknownRemote(_))),
        ("keyhaven://check?remote=pr%20od&keys=A".into(), |e| matches!(e, Invalid("remote", _))),
        ("keyhaven://check?remote=prod&keys=A,,B".into(), |e| matches!(e, Invalid("keys", _))),
        (format!("keyhaven://check?remote=prod&keys={many_keys}"), |e| matches!(e, Invalid("keys", _))),
        ("keyhaven://intake?remote=prod&source=secret".into(), |e| matches!(e, Missing("key"))),
        ("keyhaven://intake?remote=prod&source=evil&key=A".into(), |e| matches!(e, Invalid("source", _))),
        ("keyhaven://intake?remote=prod&source=product".into(), |e| matches!(e, Missing("productId"))),
        ("keyhaven://intake?remote=rl&source=manual&key=A".into(), |e| matches!(e, NotRuntype(_, _))),
        (format!("{intake}&returnUrl=javascript:alert(1)"), |e| matches!(e, Invalid("returnUrl", _))),
        (format!("{intake}&returnUrl=data:text/html,hi"), |e| matches!(e, Invalid("returnUrl", _))),
        (format!("{intake}&returnUrl=/relative/path"), |e| matches!(e, Invalid("returnUrl", _))),
        (format!("{intake}&returnUrl=https://user:pw@app.runtype.com/"), |e| {
            matches!(e, Invalid("returnUrl", _))
        }),
        (format!("{intake}&returnUrl=http://app.runtype.com/done"), |e| matches!(e, ReturnUrl(_))),
        (format!("{intake}&returnUrl=https://evil.example/done"), |e| matches!(e, ReturnUrl(_))),
        (format!("{intake}&returnUrl=https://runtype.com.evil.example/"), |e| matches!(e, ReturnUrl(_))),
        (format!("{intake}&returnUrl=https://evilruntype.com/"), |e| matches!(e, ReturnUrl(_))),
        ("keyhaven://intake?remote=loop&source=manual&key=A&returnUrl=http://127.0.0.2:8080/".into(), |e| {
            matches!(e, ReturnUrl(_))
        }),
        ("keyhaven://open?name=A&expires=2020-01-01T00:00:00Z".into(), |e| matches!(e, Expired(_))),
        ("keyhaven://open?name=A&expires=tomorrow".into(), |e| matches!(e, Invalid("expires", _))),
    ];
    assert!(table.len() >= 30);
    for (text, expected) in &table {
        match read(text) {
            Ok(link) => panic!("accepted {text:.80}: {link:?}"),
            Err(err) => assert!(expected(&err), "{text:.80}: refused, but with {err:?}"),
        }
    }
    // The expiry is shown; hostile text in messages is cut short.
    let err = read("keyhaven://open?name=A&expires=2020-01-01T00:00:00Z").unwrap_err();
    assert_eq!(err.to_string(), "this link expired at 2020-01-01T00:00:00Z");
    let err = read(&format!("keyhaven://{}?x=1", "z".repeat(500))).unwrap_err();
    assert!(err.to_string().len() < 120, "{err}");
    println!("{} hostile or malformed links refused", table.len());
}

#[test]
fn urls_from_a_remote_open_only_on_its_site() {
    let [prod, looped, _] = <[RemoteConfig; 3]>::try_from(remotes()).unwrap();
    assert!(link::may_open("https://app.runtype.com/setup", &prod));
    assert!(link::may_open("https://runtype.com/", &prod));
    assert!(!link::may_open("http://app.runtype.com/setup", &prod));
    assert!(!link::may_open("https://runtype.com.evil.example/", &prod));
    assert!(!link::may_open("javascript:alert(1)", &prod));
    assert!(link::may_open("http://127.0.0.1:8080/done", &looped));
    assert!(!link::may_open("http://localhost:8080/done", &looped));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_any_text(text in ".{0,300}") {
        if let Ok(link) = link::parse(&text) {
            let _ = link::vet(&link, &remotes(), now());
        }
    }

    #[test]
    fn never_panics_on_link_shaped_text(
        action in prop::sample::select(vec!["open", "check", "intake", "", "x"]),
        query in "[a-zA-Z0-9=&%,+:/._#?-]{0,200}",
    ) {
        let text = format!("keyhaven://{action}?{query}");
        if let Ok(link) = link::parse(&text) {
            let _ = link::vet(&link, &remotes(), now());
        }
    }
}
