//! `keyhaven remote add --kind openbao`, `remote test`, `sync` and the push
//! of `set`, run as the real binary against a real `bao server -dev`.

mod common;
#[path = "../../core/tests/common/openbao.rs"]
mod openbao;

use common::Kh;
use openbao::{OpenBao, ROOT, TEAM_READ, TEAM_WRITE};
use serde_json::Value;

#[test]
fn an_openbao_remote_is_added_tested_synced_and_pushed_to() {
    let bao = OpenBao::start();
    let kh = Kh::new();
    kh.ok(&["set", "API_KEY"], Some(b"v1-of-the-key\n"));
    kh.ok(
        &[
            "remote",
            "add",
            "team",
            "--kind",
            "vault",
            "--url",
            &bao.url,
            "--prefix",
            "team/dev",
            "--include",
            "*",
        ],
        Some(ROOT.as_bytes()),
    );

    let listed: Vec<Value> = serde_json::from_str(&kh.ok(&["--json", "remote", "ls"], None)).unwrap();
    assert_eq!(listed[0]["kind"], "openbao");
    assert_eq!(listed[0]["kv"]["mount"], "secret");
    assert_eq!(listed[0]["kv"]["prefix"], "team/dev");

    let tested = kh.ok(&["remote", "test", "team"], None);
    assert!(tested.contains("team: reachable, token accepted"), "{tested}");
    assert!(!tested.contains(ROOT), "{tested}");

    let synced = kh.ok(&["sync", "--yes"], None);
    assert!(synced.contains("1 new secret(s) sent"), "{synced}");
    assert_eq!(bao.value("team/dev/API_KEY").as_deref(), Some("v1-of-the-key"));

    // A rotation is pushed at once, with check-and-set.
    let out = kh.run(&["rotate", "API_KEY"], Some(b"v2-of-the-key\n"));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.contains("pushed to team"), "{said}");
    assert_eq!(bao.value("team/dev/API_KEY").as_deref(), Some("v2-of-the-key"));
    assert_eq!(bao.metadata("team/dev/API_KEY")["current_version"], 2);
}

#[test]
fn mount_prefix_and_namespace_belong_to_openbao_remotes_and_name_no_way_out() {
    let kh = Kh::new();
    let err = kh.fails(
        &["remote", "add", "rl", "--kind", "runloop", "--url", "http://127.0.0.1:9", "--prefix", "team"],
        Some(b"tok\n"),
        6,
    );
    assert!(err.contains("for OpenBao remotes (--kind openbao) only"), "{err}");
    let err = kh.fails(
        &["remote", "add", "b", "--kind", "openbao", "--url", "http://127.0.0.1:9", "--prefix", "../sys"],
        Some(b"tok\n"),
        6,
    );
    assert!(err.contains("OpenBao prefix"), "{err}");
}

#[test]
fn a_read_only_member_pulls_and_a_push_is_refused_with_the_path_and_a_nonzero_exit() {
    let bao = OpenBao::start();
    bao.policy("team-read", TEAM_READ);
    let reader = bao.token(&["team-read"]);
    bao.put("team/SHARED", "shared-value-1");
    let kh = Kh::new();
    let add = ["remote", "add", "team", "--kind", "openbao", "--url", &bao.url, "--prefix", "team"];
    kh.ok(&[&add[..], &["--include", "*"]].concat(), Some(reader.as_bytes()));
    kh.ok(&["sync", "--pull", "--accept-new", "--yes"], None);
    assert_eq!(kh.ok(&["get", "SHARED"], None).trim(), "shared-value-1");
    // What the policies allow, asked of the server (capabilities-self), nothing written.
    let tested = kh.ok(&["remote", "test", "team"], None);
    for line in [
        "list           allowed",
        "reveal         allowed",
        "write          refused",
        "delete         refused",
    ] {
        assert!(tested.contains(line), "{line}: {tested}");
    }

    let out = kh.run(&["rotate", "SHARED", "--no-push"], Some(b"mine-now-2\n"));
    assert!(out.status.success());
    let out = kh.run(&["sync", "--yes"], None);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // 10: the sync ran, and a write failed (docs/cli.md's exit codes).
    assert_eq!(out.status.code(), Some(10), "{said}");
    assert!(said.contains("permission denied on secret/team/SHARED"), "{said}");
    assert!(!said.contains(&reader), "{said}");
    assert_eq!(bao.value("team/SHARED").as_deref(), Some("shared-value-1"));
}

#[test]
fn the_tokens_expiry_comes_from_the_server_and_is_warned_about() {
    let bao = OpenBao::start();
    let token = bao.token_for(&["default"], "48h");
    let kh = Kh::new();
    let out =
        kh.run(&["remote", "add", "team", "--kind", "openbao", "--url", &bao.url], Some(token.as_bytes()));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    let expected = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(48))
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    assert!(said.contains(&format!("team: the token expires {expected} (UTC)")), "{said}");
    let listed: Vec<Value> = serde_json::from_str(&kh.ok(&["--json", "remote", "ls"], None)).unwrap();
    assert_eq!(listed[0]["key"]["expires"], expected.as_str());
    assert!(listed[0]["key"]["warning"].is_string(), "{:?}", listed[0]["key"]);
    assert!(!said.contains(&token));
}

#[test]
fn an_approle_remote_takes_its_secret_id_from_stdin_and_syncs() {
    let bao = OpenBao::start();
    bao.policy("team-write", TEAM_WRITE);
    let (role_id, secret_id) = bao.approle("laptop", &["team-write"], "1h");
    let kh = Kh::new();
    kh.ok(&["set", "FROM_LAPTOP"], Some(b"laptop-value\n"));
    let add = ["remote", "add", "team", "--kind", "openbao", "--url", &bao.url, "--prefix", "team"];
    let out =
        kh.run(&[&add[..], &["--approle", &role_id, "--include", "*"]].concat(), Some(secret_id.as_bytes()));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("logs in with AppRole"), "{said}");
    let listed: Vec<Value> = serde_json::from_str(&kh.ok(&["--json", "remote", "ls"], None)).unwrap();
    assert_eq!(listed[0]["kv"]["role_id"], role_id.as_str());
    let tested = kh.ok(&["remote", "test", "team"], None);
    assert!(tested.contains("the server's policies allow writes"), "{tested}");
    assert!(tested.contains("delete         allowed"), "{tested}");
    kh.ok(&["sync", "--yes"], None);
    assert_eq!(bao.value("team/FROM_LAPTOP").as_deref(), Some("laptop-value"));
    assert!(!said.contains(&secret_id) && !tested.contains(&secret_id));
}
