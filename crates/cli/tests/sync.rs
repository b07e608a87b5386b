//! `keyhaven remote …`, `sync`, `conflicts` and `resolve`, run as the real
//! binary against the emulator on 127.0.0.1.

mod common;
#[path = "../../core/tests/common/emulator.rs"]
mod emulator;

use common::{Kh, files_under};
use emulator::{Emulator, TOKEN};
use keyhaven_core::remote::Kind;
use serde_json::{Value, json};

fn add(kh: &Kh, emulator: &Emulator, name: &str, kind: Kind) {
    let url = emulator.url(kind);
    kh.ok(
        &["remote", "add", name, "--kind", kind.as_str(), "--url", &url, "--include", "*"],
        Some(TOKEN.as_bytes()),
    );
}

fn remotes(kh: &Kh) -> Vec<Value> {
    serde_json::from_str(&kh.ok(&["--json", "remote", "ls"], None)).unwrap()
}

#[test]
fn remotes_are_added_listed_tested_and_removed() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    add(&kh, &emulator, "dev", Kind::Runloop);
    let planted = "rt_test_PLANTED_0123456789abcdef";
    let url = emulator.url(Kind::Runtype);
    let out =
        kh.run(&["remote", "add", "staging", "--kind", "runtype", "--url", &url], Some(planted.as_bytes()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.contains("test key"), "{stderr}");

    // Listing works locked.
    let mut locked = kh.cmd();
    locked.env_remove("KEYHAVEN_PASSPHRASE");
    let out = kh.run_with(locked, &["--json", "remote", "ls"], None);
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["name"], "staging");
    assert_eq!(list[1]["token_mode"], "test");
    assert_eq!(list[0]["kind"], "runloop");

    assert!(kh.ok(&["remote", "test", "dev"], None).contains("token accepted"));
    let err = kh.fails(&["remote", "test", "staging"], None, 9);
    assert!(err.contains("401"), "{err}");
    assert!(!err.contains(planted), "{err}");

    let err = kh.fails(&["remote", "add", "dev", "--kind", "runloop", "--url", &url], Some(b"t"), 5);
    assert!(err.contains("already exists"), "{err}");
    let err = kh.fails(
        &["remote", "add", "web", "--kind", "runloop", "--url", "http://example.com"],
        Some(b"t"),
        6,
    );
    assert!(err.contains("HTTPS is required"), "{err}");
    let err = kh.fails(
        &["remote", "add", "x", "--kind", "runloop", "--url", "https://a.dev"],
        Some(b"two words"),
        6,
    );
    assert!(err.contains("token"), "{err}");
    kh.fails(&["remote", "test", "nope"], None, 4);

    // The token is stored encrypted: not in the vault, its WAL or anywhere beside it.
    for path in files_under(kh.vault.parent().unwrap()) {
        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.windows(planted.len()).any(|w| w == planted.as_bytes()), "{}", path.display());
    }

    // --json says what was done.
    let removed: Value =
        serde_json::from_str(&kh.ok(&["--json", "remote", "rm", "staging", "--yes"], None)).unwrap();
    assert_eq!(removed, json!({"removed": "staging"}));
    assert_eq!(remotes(&kh).len(), 1);
    kh.fails(&["remote", "rm", "staging", "--yes"], None, 4);
}

#[test]
fn sync_shows_its_plan_applies_it_and_leaves_conflicts_to_the_user() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    add(&kh, &emulator, "dev", Kind::Runloop);
    kh.ok(&["set", "API_KEY"], Some(b"first-value"));
    kh.ok(&["set", "DB_URL"], Some(b"postgres://x"));

    let plan = kh.ok(&["sync", "--dry-run"], None);
    assert!(plan.contains("+ API_KEY") && plan.contains("would do: 2 new secret(s) to send"), "{plan}");
    assert!(emulator.secrets(Kind::Runloop).is_empty());

    // The first sync with a remote sends values there: it says which, and asks.
    let err = kh.fails(&["sync"], None, 6);
    assert!(err.contains("First sync with dev: it changes 2 secret(s) there: API_KEY, DB_URL"), "{err}");
    assert!(err.contains("pass --yes"), "{err}");
    assert!(emulator.secrets(Kind::Runloop).is_empty(), "sent without a yes");
    let out = kh.ok(&["sync", "--yes"], None);
    assert!(out.contains("done: 2 new secret(s) sent"), "{out}");
    assert!(kh.ok(&["sync"], None).contains("already in sync"));

    // Both sides change API_KEY: sync stops short of overwriting either.
    emulator.call(Kind::Runloop, "POST", "/v1/secrets/API_KEY", Some(json!({"value": "theirs"})));
    kh.ok(&["rotate", "API_KEY"], Some(b"mine"));
    let out = kh.run(&["sync"], None);
    assert_eq!(out.status.code(), Some(10), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("! API_KEY"));
    let conflicts: Vec<Value> = serde_json::from_str(&kh.ok(&["--json", "conflicts"], None)).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0]["name"], "API_KEY");
    assert_eq!(conflicts[0]["remote"], "dev");
    assert_eq!(remotes(&kh)[0]["conflicts"], 1);
    let runloop = emulator.secrets(Kind::Runloop);
    assert_eq!(runloop.iter().find(|s| s["name"] == "API_KEY").unwrap()["value"], "theirs");

    kh.fails(&["resolve", "DB_URL", "--keep", "local"], None, 4);
    // Only a recorded conflict can be resolved: nothing else is pushed or deleted this way.
    let err = kh.fails(&["resolve", "DB_URL", "--keep", "remote", "--remote", "dev"], None, 4);
    assert!(err.contains("conflict for DB_URL"), "{err}");
    kh.ok(&["resolve", "API_KEY", "--keep", "local"], None);
    let runloop = emulator.secrets(Kind::Runloop);
    assert_eq!(runloop.iter().find(|s| s["name"] == "API_KEY").unwrap()["value"], "mine");
    assert!(kh.ok(&["sync"], None).contains("already in sync"));

    // Made elsewhere: recorded, and `ls` says its value is not here.
    emulator.call(Kind::Runloop, "POST", "/v1/secrets", Some(json!({"name": "THEIRS", "value": "v"})));
    let out = kh.ok(&["sync"], None);
    assert!(out.contains("dev done: nothing sent; 1 whose value there is not on this device"), "{out}");
    // And so on each later sync: never "already in sync" while it is so.
    assert!(!kh.ok(&["sync"], None).contains("already in sync"));
    let out = kh.run(&["ls"], None);
    let note = String::from_utf8_lossy(&out.stderr);
    assert!(note.contains("on remotes only, value not on this device: THEIRS (dev)"), "{note}");
    // `get` of a name only a remote holds says so; a mistyped remote gets a "did you mean".
    let err = kh.fails(&["get", "THEIRS"], None, 4);
    assert!(err.contains("no secret named THEIRS on this device; dev holds it"), "{err}");
    let err = kh.fails(&["sync", "dve"], None, 4);
    assert!(err.contains("no remote named dve; did you mean dev?"), "{err}");
    let log = kh.ok(&["log"], None);
    assert!(log.contains("resolve") && log.contains("sync"), "{log}");
}

#[test]
fn an_offline_sync_queues_its_writes_and_the_next_one_replays_them() {
    let state = tempfile::tempdir().unwrap();
    let mut emulator = Emulator::start_with(Some(state.path().join("emulator.sqlite")));
    let kh = Kh::new();
    add(&kh, &emulator, "tools", Kind::Runtools);
    kh.ok(&["set", "queued_secret"], Some(b"queued-value"));
    emulator.stop();

    let out = kh.run(&["sync", "--yes"], None);
    let (stdout, err) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(9), "{err}");
    assert!(err.contains("outbox"), "{err}");
    // Said as queued, never as done.
    assert!(stdout.contains("tools done: unreachable (") && stdout.contains("1 write(s) queued"), "{stdout}");
    assert!(!stdout.contains("sent"), "{stdout}");
    assert_eq!(remotes(&kh)[0]["pending"], 1);

    emulator.restart();
    kh.ok(&["sync", "--yes"], None);
    assert_eq!(remotes(&kh)[0]["pending"], 0);
    let tools = emulator.secrets(Kind::Runtools);
    assert_eq!(tools.len(), 1);
    // RunTools upper-cases names; the pairing follows.
    assert_eq!(tools[0]["name"], "QUEUED_SECRET");
    assert_eq!(tools[0]["value"], "queued-value");
    assert!(kh.ok(&["sync"], None).contains("already in sync"));
}

#[test]
fn one_refused_key_fails_its_remote_only_and_set_token_mends_it() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    kh.ok(&["set", "A_KEY"], Some(b"value-a-0123456789"));
    kh.ok(&["set", "B_KEY"], Some(b"value-b-0123456789"));
    for kind in Kind::HOSTED {
        let token = format!("rt_live_{kind}");
        emulator.add_token(&token, json!({}));
        let url = emulator.url(kind);
        kh.ok(
            &["remote", "add", kind.as_str(), "--kind", kind.as_str(), "--url", &url, "--include", "*"],
            Some(token.as_bytes()),
        );
    }
    emulator.revoke_token("rt_live_runtype");

    let out = kh.run(&["sync", "--yes"], None);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(9), "{stdout}\n{stderr}");
    // Each remote's name first, its steps under it, then what it came to.
    assert!(stdout.contains("runloop: listed 0\nrunloop done: 2 new secret(s) sent"), "{stdout}");
    assert!(stdout.contains("runtools: listed 0\nruntools done: 2 new secret(s) sent"), "{stdout}");
    assert!(stderr.contains("runtype: failed: remote runtype refused its API key (HTTP 401"), "{stderr}");
    assert!(stderr.contains("`keyhaven remote set-token runtype`"), "{stderr}");
    assert!(stderr.contains("1 of 3 remote(s) did not sync: runtype"), "{stderr}");
    assert_eq!(emulator.secrets(Kind::Runloop).len(), 2);
    assert_eq!(emulator.secrets(Kind::Runtools).len(), 2);

    emulator.add_token("rt_live_runtype_2", json!({}));
    let err = kh.fails(&["remote", "set-token", "runtype"], Some(b"two words"), 6);
    assert!(err.contains("printable ASCII"), "{err}");
    let out =
        kh.run(&["remote", "set-token", "runtype", "--expires", "2031-01-31"], Some(b"rt_live_runtype_2"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = remotes(&kh);
    let runtype = listed.iter().find(|r| r["name"] == "runtype").unwrap();
    assert_eq!(runtype["key"]["expires"], "2031-01-31");
    assert!(kh.ok(&["remote", "ls"], None).contains("0 days, expires 2031-01-31"));
    let out = kh.ok(&["sync", "runtype", "--yes"], None);
    assert!(out.contains("runtype: listed 0\nruntype done: 2 new secret(s) sent"), "{out}");
    assert!(kh.ok(&["sync"], None).contains("already in sync"));
}

#[test]
fn a_key_near_its_expiry_is_warned_about() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    let soon = jiff::Zoned::now().date().checked_add(jiff::ToSpan::days(3)).unwrap().to_string();
    let url = emulator.url(Kind::Runloop);
    kh.ok(
        &["remote", "add", "dev", "--kind", "runloop", "--url", &url, "--expires", &soon],
        Some(TOKEN.as_bytes()),
    );
    let out = kh.run(&["remote", "ls"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("dev: its key expires in 3 days, on {soon}")), "{stderr}");
    assert!(stderr.contains("`keyhaven remote set-token dev` replaces it"), "{stderr}");
    let err = kh.fails(
        &["remote", "add", "x", "--kind", "runloop", "--url", &url, "--expires", "soon"],
        Some(b"t"),
        6,
    );
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

#[test]
fn remote_edit_and_show_choose_what_syncs_to_an_org_remote() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    kh.ok(&["set", "OPENAI_KEY", "--category", "provider"], Some(b"value-openai-0123"));
    kh.ok(&["set", "GH_PERSONAL"], Some(b"value-gh-0123456"));
    kh.ok(&["set", "DB_URL"], Some(b"value-db-01234567"));
    emulator.add_token("rt_live_admin", json!({ "admin": true }));
    let url = emulator.url(Kind::Runtools);
    let out = kh.run(
        &["remote", "add", "org", "--kind", "runtools", "--url", &url, "--scope", "org"],
        Some(b"rt_live_admin"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nothing is chosen to sync with org yet"), "{stderr}");
    assert!(stderr.contains("org: shared with your organisation"), "{stderr}");
    let out = kh.ok(&["sync", "--yes"], None);
    assert!(out.contains("org done: nothing is chosen to sync with it yet, so nothing was sent"), "{out}");
    assert!(!out.contains("warning:"), "said once, in the sentence: {out}");
    assert!(emulator.secrets(Kind::Runtools).is_empty());

    kh.ok(
        &["remote", "edit", "org", "--category", "provider", "--include", "db_*", "--exclude", "*_PERSONAL"],
        None,
    );
    let show = kh.ok(&["remote", "show", "org"], None);
    assert!(show.contains("shared with your organisation"), "{show}");
    assert!(show.contains("chosen (2): DB_URL, OPENAI_KEY"), "{show}");
    assert!(show.contains("not chosen (1): GH_PERSONAL"), "{show}");
    kh.ok(&["sync", "--yes"], None);
    let mut names: Vec<String> =
        emulator.secrets(Kind::Runtools).iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    assert_eq!(names, ["DB_URL", "OPENAI_KEY"]);

    kh.ok(&["remote", "edit", "org", "--drop", "DB_*"], None);
    let shown: Value = serde_json::from_str(&kh.ok(&["--json", "remote", "show", "org"], None)).unwrap();
    assert_eq!(shown["chosen"], json!(["OPENAI_KEY"]));
    assert_eq!(shown["selection"]["exclude"], json!(["*_PERSONAL"]));
    let err = kh.fails(&["remote", "edit", "org", "--drop", "NOPE"], None, 6);
    assert!(err.contains("has no rule"), "{err}");
    let err = kh.fails(&["remote", "edit", "org", "--include", "bad name"], None, 6);
    assert!(err.contains("include pattern"), "{err}");
    kh.ok(&["remote", "edit", "org", "--clear"], None);
    assert!(kh.ok(&["remote", "show", "org"], None).contains("chosen (0)"));
}

#[test]
fn a_first_sync_against_fifty_of_the_same_names_is_settled_with_one_command() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    let mut lines = String::new();
    for i in 0..50 {
        lines.push_str(&format!("SHARED_{i:02}=value-here-{i:02}-0123\n"));
        let body = json!({"name": format!("SHARED_{i:02}"), "value": format!("theirs-{i}")});
        emulator.call(Kind::Runloop, "POST", "/v1/secrets", Some(body));
    }
    let env = kh.path("shared.env");
    std::fs::write(&env, lines).unwrap();
    kh.ok(&["import", env.to_str().unwrap()], None);
    add(&kh, &emulator, "rl", Kind::Runloop);

    let out = kh.run(&["sync", "--yes"], None);
    assert_eq!(out.status.code(), Some(10), "{}", String::from_utf8_lossy(&out.stderr));
    let conflicts: Vec<Value> = serde_json::from_str(&kh.ok(&["--json", "conflicts"], None)).unwrap();
    assert_eq!(conflicts.len(), 50);

    let out = kh.ok(&["--json", "resolve", "--all", "--keep", "local"], None);
    let said: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((said[0]["remote"].as_str(), said[0]["kept"].as_str()), (Some("rl"), Some("local")), "{said}");
    assert_eq!(said[0]["settled"].as_array().map(Vec::len), Some(50), "{said}");
    assert_eq!(said[0]["not_settled"], json!([]));
    assert!(kh.ok(&["conflicts"], None).is_empty());
    assert!(kh.ok(&["sync"], None).contains("already in sync"));
    let held = emulator.secrets(Kind::Runloop);
    assert_eq!(held.len(), 50, "updated in place, none added");
    assert!(held.iter().all(|s| s["value"].as_str().unwrap().starts_with("value-here-")));
    let err = kh.fails(&["resolve", "SHARED_00", "--all", "--keep", "local"], None, 2);
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn mv_renames_with_history_and_a_remote_gets_the_new_name_and_keeps_the_old_until_pruned() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    kh.ok(&["set", "OLD_NAME", "--category", "llm"], Some(b"value-one-0123"));
    kh.ok(&["rotate", "OLD_NAME"], Some(b"value-two-0123"));
    add(&kh, &emulator, "rl", Kind::Runloop);
    kh.ok(&["sync", "--yes"], None);
    let out = kh.run(&["mv", "OLD_NAME", "NEW_NAME"], None);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("Renamed OLD_NAME to NEW_NAME (version 2)"), "{said}");
    assert!(said.contains("remotes that hold OLD_NAME keep it until `keyhaven sync --prune`"), "{said}");
    assert_eq!(kh.ok(&["get", "NEW_NAME"], None), "value-two-0123");
    assert_eq!(kh.ok(&["read", "keyhaven:NEW_NAME@1"], None), "value-one-0123");
    kh.fails(&["get", "OLD_NAME"], None, 4);
    let listed: Vec<Value> = serde_json::from_str(&kh.ok(&["--json", "ls", "NEW_NAME"], None)).unwrap();
    assert_eq!(listed[0]["category"], "llm");

    // The new name was pushed by `mv` itself; the old one waits for a prune.
    assert!(said.contains("pushed to rl"), "{said}");
    let names: Vec<String> =
        emulator.secrets(Kind::Runloop).iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect();
    assert!(names.contains(&"NEW_NAME".to_owned()) && names.contains(&"OLD_NAME".to_owned()), "{names:?}");
    kh.ok(&["sync", "--prune", "--yes"], None);
    assert!(!emulator.secrets(Kind::Runloop).iter().any(|s| s["name"] == "OLD_NAME"));

    // A name taken, live or by a tombstone, is refused; nothing moves.
    kh.ok(&["set", "OTHER"], Some(b"other-value-0123"));
    let err = kh.fails(&["mv", "OTHER", "NEW_NAME"], None, 5);
    assert!(err.contains("a secret named NEW_NAME already exists"), "{err}");
    let err = kh.fails(&["mv", "OTHER", "OLD_NAME"], None, 6);
    assert!(err.contains("a removed secret still holds OLD_NAME: `keyhaven purge` it first"), "{err}");
    kh.fails(&["mv", "NOPE", "ELSEWHERE"], None, 4);
    assert_eq!(kh.ok(&["get", "OTHER"], None), "other-value-0123");
}

/// The value each dialect's emulator holds for `name` (RunTools upper-cases it).
fn value_on(emulator: &Emulator, kind: Kind, name: &str) -> Option<String> {
    let key = if kind == Kind::Runtype { "key" } else { "name" };
    emulator
        .secrets(kind)
        .iter()
        .find(|s| s[key].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .map(|s| s["value"].as_str().unwrap_or_default().to_owned())
}

#[test]
fn a_change_here_reaches_every_remote_that_chooses_it_before_the_command_returns() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    kh.ok(&["set", "API_KEY"], Some(b"first-value-0123"));
    kh.ok(&["set", "OTHER"], Some(b"other-value-0123"));
    for (name, kind) in [("rl", Kind::Runloop), ("rt", Kind::Runtype), ("tl", Kind::Runtools)] {
        add(&kh, &emulator, name, kind);
    }
    kh.ok(&["sync", "--yes"], None);
    // Never synced: a push never writes there (its first sync asks first).
    add(&kh, &emulator, "fresh", Kind::Runloop);

    let out = kh.run(&["rotate", "API_KEY"], Some(b"rotated-value-0123"));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("pushed to rl, rt, tl"), "{said}");
    for kind in [Kind::Runloop, Kind::Runtype, Kind::Runtools] {
        assert_eq!(value_on(&emulator, kind, "API_KEY").as_deref(), Some("rotated-value-0123"), "{kind}");
    }
    let fresh = remotes(&kh).into_iter().find(|r| r["name"] == "fresh").unwrap();
    assert_eq!((fresh["last_sync"].clone(), fresh["pending"].clone()), (Value::Null, json!(0)));

    // A removal is pushed too (the tombstone); set and rollback as rotate.
    let said = kh.fails(&["rm", "OTHER"], None, 6);
    assert!(said.contains("Remove OTHER? It is deleted on rl, rt, tl too"), "{said}");
    let out = kh.run(&["rm", "OTHER", "--yes"], None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("pushed to rl, rt, tl"), "{out:?}");
    assert_eq!(value_on(&emulator, Kind::Runloop, "OTHER"), None);
    kh.ok(&["rollback", "API_KEY", "1"], None);
    assert_eq!(value_on(&emulator, Kind::Runtools, "API_KEY").as_deref(), Some("first-value-0123"));

    // Changed there too since the last sync: left as a conflict, never overwritten.
    emulator.call(Kind::Runloop, "POST", "/v1/secrets/API_KEY", Some(json!({"value": "theirs-0123456"})));
    let out = kh.run(&["rotate", "API_KEY"], Some(b"mine-again-0123"));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("not pushed to rl: API_KEY changed there too"), "{said}");
    assert!(said.contains("pushed to rt, tl"), "{said}");
    assert_eq!(value_on(&emulator, Kind::Runloop, "API_KEY").as_deref(), Some("theirs-0123456"));
    kh.ok(&["resolve", "API_KEY", "--keep", "local"], None);
    kh.ok(&["rollback", "API_KEY", "1"], None);

    // --no-push, or KEYHAVEN_NO_PUSH, keeps the change here until a sync.
    let out = kh.run(&["rotate", "API_KEY", "--no-push"], Some(b"kept-here-0123"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("pushed"), "{out:?}");
    let mut quiet = kh.cmd();
    quiet.env("KEYHAVEN_NO_PUSH", "1");
    kh.run_with(quiet, &["set", "LOCAL_ONLY"], Some(b"local-only-0123"));
    assert_eq!(value_on(&emulator, Kind::Runloop, "API_KEY").as_deref(), Some("first-value-0123"));
    assert_eq!(value_on(&emulator, Kind::Runloop, "LOCAL_ONLY"), None);
    kh.ok(&["sync", "rl"], None);
    assert_eq!(value_on(&emulator, Kind::Runloop, "API_KEY").as_deref(), Some("kept-here-0123"));
}

#[test]
fn an_edit_of_the_description_or_category_reaches_the_remotes_that_hold_them() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    kh.ok(
        &["set", "API_KEY", "--description", "old words", "--category", "provider"],
        Some(b"value-0123456"),
    );
    for (name, kind) in [("rl", Kind::Runloop), ("rt", Kind::Runtype), ("tl", Kind::Runtools)] {
        add(&kh, &emulator, name, kind);
    }
    kh.ok(&["sync", "--yes"], None);
    let field = |kind: Kind, key: &str, field: &str| -> Value {
        let name = if kind == Kind::Runtype { "key" } else { "name" };
        emulator.secrets(kind).into_iter().find(|s| s[name] == key).unwrap()[field].clone()
    };
    assert_eq!(field(Kind::Runtools, "API_KEY", "description"), "old words");

    let out = kh.run(&["edit", "API_KEY", "--description", "new words", "--category", "tool"], None);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    // Runloop holds no metadata: nothing to send there, and nothing is said of it.
    assert!(said.contains("pushed to rt, tl\n"), "{said}");
    assert_eq!(field(Kind::Runtools, "API_KEY", "description"), "new words");
    assert_eq!(field(Kind::Runtools, "API_KEY", "category"), "tool");
    assert_eq!(field(Kind::Runtype, "API_KEY", "description"), "new words");
    assert_eq!(field(Kind::Runtools, "API_KEY", "value"), "value-0123456", "the value stays");
    assert!(kh.ok(&["sync"], None).contains("already in sync"));
    // A rotation reminder is this vault's own: nothing is sent for it.
    let out = kh.run(&["edit", "API_KEY", "--rotate-by", "2027-01-31"], None);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("pushed"), "{out:?}");
}

#[test]
fn with_the_remote_down_a_change_is_made_and_queued_and_the_next_command_delivers_it() {
    let state = tempfile::tempdir().unwrap();
    let mut emulator = Emulator::start_with(Some(state.path().join("emulator.sqlite")));
    let kh = Kh::new();
    kh.ok(&["set", "API_KEY"], Some(b"first-value-0123"));
    add(&kh, &emulator, "rl", Kind::Runloop);
    kh.ok(&["sync", "--yes"], None);
    emulator.stop();

    let started = std::time::Instant::now();
    let out = kh.run(&["rotate", "API_KEY"], Some(b"rotated-while-down-0123"));
    let said = String::from_utf8_lossy(&out.stderr);
    // Exit 0: the change is made here; the bound (10 s) is far from reached
    // by a refused connection, so this only guards against waiting on retries.
    assert!(out.status.success(), "{said}");
    assert!(started.elapsed() < keyhaven_core::sync::PUSH_WAIT * 3, "{:?}", started.elapsed());
    assert!(said.contains("queued for rl: unreachable"), "{said}");
    assert_eq!(kh.ok(&["get", "API_KEY"], None), "rotated-while-down-0123");
    assert_eq!(remotes(&kh)[0]["pending"], 1);
    // `status` shows what waits, since when, and why, the same after another try.
    let status = || -> Value { serde_json::from_str(&kh.ok(&["--json", "status"], None)).unwrap() };
    let waiting = status();
    let queued = &waiting[0]["queued"][0];
    assert_eq!((&queued["name"], &queued["op"]), (&json!("API_KEY"), &json!("update")), "{waiting}");
    assert_eq!(waiting[0]["last_failure"], "unreachable", "{waiting}");
    kh.run(&["sync"], None);
    assert_eq!(status()[0]["queued"][0]["queued"], queued["queued"], "queued since the first try");
    let table = kh.ok(&["status"], None);
    assert!(
        table.contains("rl: update API_KEY queued") && table.contains("last failure: unreachable"),
        "{table}"
    );

    // The next command that reaches the remote sends what waited, with its own change.
    emulator.restart();
    let out = kh.run(&["set", "NEXT"], Some(b"next-value-0123"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pushed to rl"), "{out:?}");
    assert_eq!(value_on(&emulator, Kind::Runloop, "API_KEY").as_deref(), Some("rotated-while-down-0123"));
    assert_eq!(value_on(&emulator, Kind::Runloop, "NEXT").as_deref(), Some("next-value-0123"));
    assert_eq!(remotes(&kh)[0]["pending"], 0);
    assert_eq!(status()[0]["queued"], json!([]));
    assert!(kh.ok(&["sync"], None).contains("already in sync"));
}

#[test]
fn prune_asks_before_deleting_on_runloop_and_ls_json_shows_remote_only_names() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    kh.ok(&["set", "GONE_SOON"], Some(b"value-gone-0123"));
    kh.ok(&["set", "GONE_THERE"], Some(b"value-there-0123"));
    add(&kh, &emulator, "rl", Kind::Runloop);
    kh.ok(&["sync", "--yes"], None);
    emulator.call(Kind::Runloop, "POST", "/v1/secrets", Some(json!({"name": "THEIRS_ONLY", "value": "t"})));
    kh.ok(&["sync"], None);
    let listed: Vec<Value> = serde_json::from_str(&kh.ok(&["--json", "ls"], None)).unwrap();
    let theirs = listed.iter().find(|s| s["name"] == "THEIRS_ONLY").unwrap();
    assert_eq!(theirs["remote_only"], true);
    assert_eq!(theirs["remotes"], json!(["rl"]));
    assert_eq!(listed.len(), 3);

    // Removed here without a push: the next sync's prune asks before it deletes there.
    kh.ok(&["rm", "GONE_SOON", "--yes", "--no-push"], None);
    emulator.call(Kind::Runloop, "POST", "/v1/secrets/GONE_THERE/delete", None);
    // Without a terminal the question cannot be answered: nothing is deleted on either side.
    let err = kh.fails(&["sync", "--prune"], None, 6);
    assert!(
        err.contains(
            "Prune: delete 1 secret(s) on rl (Runloop removes a deleted secret from all Devboxes): GONE_SOON; \
             and remove 1 secret(s) here, gone from rl: GONE_THERE?"
        ),
        "{err}"
    );
    assert!(emulator.secrets(Kind::Runloop).iter().any(|s| s["name"] == "GONE_SOON"));
    assert!(kh.ok(&["ls"], None).contains("GONE_THERE"), "a prune removes nothing here unasked");
    kh.ok(&["sync", "--prune", "--yes"], None);
    assert!(!emulator.secrets(Kind::Runloop).iter().any(|s| s["name"] == "GONE_SOON"));
    assert!(!kh.ok(&["ls"], None).contains("GONE_THERE"));
}

#[test]
fn remote_test_says_whether_the_key_may_write_and_the_url_defaults_to_the_service() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    emulator.add_token("rt_live_reader", json!({ "read_only": true }));
    let url = emulator.url(Kind::Runtype);
    kh.ok(&["remote", "add", "reader", "--kind", "runtype", "--url", &url], Some(b"rt_live_reader"));
    add(&kh, &emulator, "writer", Kind::Runtype);
    let out = kh.ok(&["remote", "test", "reader"], None);
    assert!(out.contains("writes refused: a read-only key"), "{out}");
    assert!(
        out.contains(
            "\n  list           not refused\n  read metadata  not refused\n  write          refused"
        ),
        "{out}"
    );
    assert!(kh.ok(&["remote", "test", "writer"], None).contains("writes not refused"));
    assert!(emulator.secrets(Kind::Runtype).is_empty(), "the check wrote nothing");

    kh.ok(&["remote", "add", "hosted", "--kind", "runtools"], Some(b"rt_live_x"));
    let hosted = remotes(&kh).into_iter().find(|r| r["name"] == "hosted").unwrap();
    assert_eq!(hosted["url"], "https://tools.runtools.ai/");
}

#[test]
fn a_provider_key_pasted_as_a_runtype_key_is_named_at_once_not_refused_later() {
    let kh = Kh::new();
    let err = kh.fails(
        &["remote", "add", "rt", "--kind", "runtype", "--url", "http://127.0.0.1:9"],
        Some(b"sk-proj-0123456789abcdef"),
        6,
    );
    assert!(err.contains("looks like an OpenAI provider key (sk-proj-…), not a Runtype API key"), "{err}");
    assert!(!err.contains("0123456789abcdef"), "{err}");
    kh.ok(
        &["remote", "add", "rt", "--kind", "runtype", "--url", "http://127.0.0.1:9"],
        Some(b"rt_live_0123"),
    );
    let err = kh.fails(&["remote", "set-token", "rt"], Some(b"a2a_0123456789"), 6);
    assert!(err.contains("a Runtype A2A surface (product) key"), "{err}");
}

#[test]
fn a_secret_revoked_on_runtype_shows_as_revoked_in_ls_with_the_advice() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    kh.ok(&["set", "OPENAI_API_KEY"], Some(b"sk-value-0123456789"));
    add(&kh, &emulator, "rt", Kind::Runtype);
    kh.ok(&["sync", "--yes"], None);
    emulator.call(Kind::Runtype, "POST", "/_emulator/runtype/secrets/OPENAI_API_KEY/revoke", None);
    kh.ok(&["sync"], None);
    let out = kh.run(&["ls"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("revoked on the remote: OPENAI_API_KEY (rt); a revoked secret no longer works there"),
        "{stderr}"
    );
    assert!(!stderr.contains("newer on the remote"), "{stderr}");
    let listed: Vec<Value> = serde_json::from_str(&kh.ok(&["--json", "ls"], None)).unwrap();
    assert_eq!(listed[0]["revoked_on"], json!(["rt"]));
}

#[test]
fn keeping_runloops_side_is_refused_unless_accepted_then_this_copy_is_out_of_date_until_rotated() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    add(&kh, &emulator, "rl", Kind::Runloop);
    kh.ok(&["set", "API_KEY"], Some(b"first-value-0123"));
    kh.ok(&["sync", "--yes"], None);
    emulator.call(Kind::Runloop, "POST", "/v1/secrets/API_KEY", Some(json!({"value": "theirs-0123456"})));
    kh.ok(&["rotate", "API_KEY"], Some(b"mine-discarded-0123"));
    assert_eq!(kh.run(&["sync"], None).status.code(), Some(10));

    // The table shows both sides, and says what keeping Runloop's needs.
    let out = kh.run(&["conflicts"], None);
    let (table, note) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(table.contains("v2, ") && table.contains("changed; cannot send values back, seen"), "{table}");
    assert!(note.contains("--keep remote needs --accept-unreadable"), "{note}");

    // Runloop cannot send its value back: keeping it is refused plainly, and nothing changes.
    let err = kh.fails(&["resolve", "API_KEY", "--keep", "remote"], None, 6);
    assert!(
        err.contains("rl cannot send values back")
            && err.contains("rotate API_KEY here, or pass --accept-unreadable"),
        "{err}"
    );
    assert_eq!(kh.ok(&["get", "API_KEY"], None), "mine-discarded-0123");
    let err = kh.fails(&["resolve", "--all", "--keep", "remote"], None, 10);
    assert!(err.contains("API_KEY: not settled") && err.contains("--accept-unreadable"), "{err}");

    // Accepted: this device's copy is out of date, and every way to use it says so.
    let out = kh.ok(&["--json", "resolve", "API_KEY", "--keep", "remote", "--accept-unreadable"], None);
    let said: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(said, json!({"name": "API_KEY", "remote": "rl", "kept": "remote", "out_of_date": true}));
    for args in
        [&["get", "API_KEY"][..], &["read", "keyhaven:API_KEY"], &["run", "--only", "API_KEY", "--", "true"]]
    {
        let err = kh.fails(args, None, 1);
        assert!(
            err.contains("this device's copy of API_KEY is out of date: rl kept its own value"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("mine-discarded"), "{err}");
    }
    // Its earlier versions still read, and the next sync does not call it in sync.
    assert_eq!(kh.ok(&["read", "keyhaven:API_KEY@1"], None), "first-value-0123");
    let out = kh.ok(&["sync"], None);
    assert!(
        out.contains("1 whose value there is not on this device") && !out.contains("already in sync"),
        "{out}"
    );

    // A new value here ends it, and goes to Runloop.
    kh.ok(&["rotate", "API_KEY"], Some(b"fresh-value-0123"));
    assert_eq!(kh.ok(&["get", "API_KEY"], None), "fresh-value-0123");
    kh.ok(&["sync"], None);
    let runloop = emulator.secrets(Kind::Runloop);
    assert_eq!(runloop.iter().find(|s| s["name"] == "API_KEY").unwrap()["value"], "fresh-value-0123");
}
