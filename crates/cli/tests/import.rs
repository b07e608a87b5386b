//! `keyhaven import` from another manager: a KeePassXC database made here by
//! the real `keepassxc-cli` and exported by it as CSV; a Bitwarden export with
//! a mapping; password-protected exports without and with a wrong password.
//! The planted values never reach stdout, stderr or the plan.

mod common;

use std::process::{Command, Stdio};

use common::Kh;

const ENTRY_PASSWORD: &str = "kp-entry-password-31f9";
const TRASHED: &str = "kp-trashed-password-8d02";
const DB_PASSWORD: &str = "keepassxc db password";

/// Runs keepassxc-cli with `stdin` (its password prompts read from it).
fn keepassxc(args: &[&str], stdin: &str) -> String {
    let mut child = Command::new("keepassxc-cli")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keepassxc-cli (apt install keepassxc; scripts/install-deps.sh test)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "keepassxc-cli {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn assert_clean(text: &str) {
    for value in [ENTRY_PASSWORD, TRASHED] {
        assert!(!text.contains(value), "a value leaked: {text}");
    }
}

#[test]
fn keepassxc_csv_export_dry_run_then_import() {
    let kh = Kh::new();
    let db = kh.path("work.kdbx");
    let db = db.to_str().unwrap();
    keepassxc(&["db-create", "--set-password", db], &format!("{DB_PASSWORD}\n{DB_PASSWORD}\n"));
    keepassxc(&["mkdir", db, "Dev"], &format!("{DB_PASSWORD}\n"));
    keepassxc(
        &["add", "-u", "alice", "--url", "https://twilio.com", "-p", db, "Dev/Twilio"],
        &format!("{DB_PASSWORD}\n{ENTRY_PASSWORD}\n"),
    );
    keepassxc(&["add", "-p", db, "Old"], &format!("{DB_PASSWORD}\n{TRASHED}\n"));
    keepassxc(&["rm", db, "Old"], &format!("{DB_PASSWORD}\n"));
    let csv = keepassxc(&["export", "--format", "csv", db], &format!("{DB_PASSWORD}\n"));
    let export = kh.path("keepassxc.csv");
    std::fs::write(&export, csv).unwrap();
    let export = export.to_str().unwrap();

    let plan = kh.ok(&["import", export, "--dry-run"], None);
    assert_clean(&plan);
    assert!(plan.contains("KeePassXC CSV export") && plan.contains("1 secret(s), 1 left out"), "{plan}");
    assert!(plan.contains("Twilio") && plan.contains("→  TWILIO  [Dev]"), "{plan}");
    assert!(plan.contains("Old") && plan.contains("in the trash"), "{plan}");
    assert_eq!(kh.ok(&["ls", "--json"], None).trim(), "[]", "a dry run wrote nothing");

    let out = kh.run(&["import", export], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_clean(&stderr);
    assert!(
        stderr.contains("Imported 1 new and 0 updated secrets") && stderr.contains("(KeePassXC CSV)"),
        "{stderr}"
    );
    assert!(stderr.contains("Left out 1 item(s)"), "{stderr}");
    assert_eq!(kh.ok(&["get", "TWILIO"], None), ENTRY_PASSWORD);
    let listed: serde_json::Value = serde_json::from_str(&kh.ok(&["ls", "--json"], None)).unwrap();
    assert_eq!(listed[0]["category"], "Dev");
    assert_eq!(listed[0]["description"], "Twilio — https://twilio.com (user alice) · from KeePassXC CSV");
}

#[test]
fn a_mapping_renames_and_overwrite_makes_a_new_version() {
    let kh = Kh::new();
    kh.ok(&["set", "GH_TOKEN"], Some(b"the old one"));
    let export = kh.path("bitwarden.json");
    let bitwarden = serde_json::json!({"encrypted": false, "folders": [], "items": [
        {"type": 1, "name": "GitHub", "login": {"username": "octo", "password": ENTRY_PASSWORD}},
        {"type": 1, "name": "Noise", "login": {"password": "noise-value"}}]});
    std::fs::write(&export, bitwarden.to_string()).unwrap();
    let map = kh.path("map.toml");
    std::fs::write(&map, "[names]\n\"GitHub\" = \"GH_TOKEN\"\n\"Noise\" = \"\"\n").unwrap();
    let (export, map) = (export.to_str().unwrap(), map.to_str().unwrap());

    let plan: serde_json::Value =
        serde_json::from_str(&kh.ok(&["--json", "import", export, "--map", map, "--dry-run"], None)).unwrap();
    assert_eq!(plan["rows"][0]["name"], "GH_TOKEN");
    assert_eq!(plan["skipped"][0]["why"], "dropped by the mapping");
    assert_clean(&plan.to_string());

    let stderr =
        String::from_utf8_lossy(&kh.run(&["import", export, "--map", map], None).stderr).into_owned();
    assert!(stderr.contains("Skipped 1 that already exist") && stderr.contains("GH_TOKEN"), "{stderr}");
    assert_eq!(kh.ok(&["get", "GH_TOKEN"], None), "the old one");
    kh.ok(&["import", export, "--map", map, "--overwrite"], None);
    assert_eq!(kh.ok(&["get", "GH_TOKEN"], None), ENTRY_PASSWORD);
    let history: serde_json::Value =
        serde_json::from_str(&kh.ok(&["--json", "history", "GH_TOKEN"], None)).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 2, "the old value is kept as version 1");
    assert!(kh.fails(&["get", "NOISE"], None, 4).contains("no secret named NOISE"));
}

#[test]
fn password_protected_exports_say_how_to_give_the_password() {
    let kh = Kh::new();
    let export = kh.path("protected.json");
    let protected = serde_json::json!({"encrypted": true, "passwordProtected": true, "salt": "c2FsdA==",
        "kdfType": 0, "kdfIterations": 1000, "encKeyValidation_DO_NOT_EDIT": "2.AAAAAAAAAAAAAAAAAAAAAA==|AAAA|AAAA",
        "data": "2.AAAAAAAAAAAAAAAAAAAAAA==|AAAA|AAAA"});
    std::fs::write(&export, protected.to_string()).unwrap();
    let export = export.to_str().unwrap();
    let stderr = kh.fails(&["import", export], None, 3);
    assert!(
        stderr.contains("protected.json is password-protected")
            && stderr.contains("KEYHAVEN_IMPORT_PASSPHRASE"),
        "{stderr}"
    );
    let mut cmd = kh.cmd();
    cmd.env("KEYHAVEN_IMPORT_PASSPHRASE", "not the password");
    let out = kh.run_with(cmd, &["import", export], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("wrong password for") && stderr.contains("nothing was imported"), "{stderr}");

    let unknown = kh.path("mystery.bin");
    std::fs::write(&unknown, [0u8, 255, 1, 2]).unwrap();
    let stderr = kh.fails(&["import", unknown.to_str().unwrap()], None, 6);
    assert!(stderr.contains("mystery.bin") && stderr.contains("--from"), "{stderr}");
    let stderr = kh.fails(&["import", unknown.to_str().unwrap(), "--from", "lastpass"], None, 2);
    assert!(stderr.contains("one of dotenv, json"), "{stderr}");
}
