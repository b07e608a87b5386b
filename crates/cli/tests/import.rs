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
    assert!(
        plan.contains("KeePassXC CSV export")
            && plan.contains("1 secret(s): 1 new, 0 new version(s), 0 skipped"),
        "{plan}"
    );
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
    assert!(stderr.contains("possible values: dotenv, json"), "{stderr}");
}

/// KeePass's XML, as `keepassxc-cli import` takes it: a protected custom field,
/// a visible one, and the recycle bin.
fn keepass_xml() -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<KeePassFile>
 <Meta><Generator>test</Generator><DatabaseName>work</DatabaseName>
  <RecycleBinEnabled>True</RecycleBinEnabled><RecycleBinUUID>AAAAAAAAAAAAAAAAAAAAAw==</RecycleBinUUID></Meta>
 <Root>
  <Group><UUID>AAAAAAAAAAAAAAAAAAAAAQ==</UUID><Name>Passwords</Name>
   <Group><UUID>AAAAAAAAAAAAAAAAAAAAAg==</UUID><Name>Payments</Name>
    <Entry><UUID>AAAAAAAAAAAAAAAAAAAAEA==</UUID>
     <String><Key>Title</Key><Value>Stripe</Value></String>
     <String><Key>UserName</Key><Value>ops</Value></String>
     <String><Key>Password</Key><Value ProtectInMemory="True">{ENTRY_PASSWORD}</Value></String>
     <String><Key>URL</Key><Value>https://stripe.com</Value></String>
     <String><Key>secret key</Key><Value ProtectInMemory="True">sk_live_kdbx_51c0</Value></String>
     <String><Key>region</Key><Value>eu-west-1</Value></String>
    </Entry>
   </Group>
   <Group><UUID>AAAAAAAAAAAAAAAAAAAAAw==</UUID><Name>Recycle Bin</Name>
    <Entry><UUID>AAAAAAAAAAAAAAAAAAAAEQ==</UUID>
     <String><Key>Title</Key><Value>Old</Value></String>
     <String><Key>Password</Key><Value ProtectInMemory="True">{TRASHED}</Value></String>
    </Entry>
   </Group>
  </Group>
 </Root>
</KeePassFile>
"#
    )
}

#[test]
fn a_kdbx_made_by_keepassxc_with_a_password_and_a_key_file() {
    let kh = Kh::new();
    let xml = kh.path("work.xml");
    std::fs::write(&xml, keepass_xml()).unwrap();
    let keyfile = kh.path("work.keyx");
    std::fs::write(&keyfile, "a key file's bytes: any file will do").unwrap();
    let (xml, keyfile) = (xml.to_str().unwrap(), keyfile.to_str().unwrap());
    let plain = kh.path("plain.kdbx");
    let with_key = kh.path("with-key.kdbx");
    let (plain, with_key) = (plain.to_str().unwrap(), with_key.to_str().unwrap());
    keepassxc(&["import", "-p", xml, plain], &format!("{DB_PASSWORD}\n{DB_PASSWORD}\n"));
    keepassxc(
        &["import", "-p", "--set-key-file", keyfile, xml, with_key],
        &format!("{DB_PASSWORD}\n{DB_PASSWORD}\n"),
    );

    let with_password = |password: &str| {
        let mut cmd = kh.cmd();
        cmd.env("KEYHAVEN_IMPORT_PASSPHRASE", password);
        cmd
    };
    let plan = kh.run_with(with_password(DB_PASSWORD), &["import", plain, "--dry-run"], None);
    let text = String::from_utf8_lossy(&plan.stdout);
    assert!(plan.status.success(), "{}", String::from_utf8_lossy(&plan.stderr));
    assert_clean(&text);
    assert!(
        text.contains("KeePass export")
            && text.contains("2 secret(s): 2 new")
            && text.contains("; 1 left out"),
        "{text}"
    );
    assert!(text.contains("Stripe › secret key") && text.contains("STRIPE_SECRET_KEY  [Payments]"), "{text}");
    assert!(!text.contains("REGION"), "a visible field became a secret: {text}");

    // The same database exported by keepassxc-cli as XML: the same plan.
    let exported = keepassxc(&["export", "--format", "xml", plain], &format!("{DB_PASSWORD}\n"));
    let xml_export = kh.path("exported.xml");
    std::fs::write(&xml_export, exported).unwrap();
    let from_xml = kh.ok(&["import", xml_export.to_str().unwrap(), "--dry-run"], None);
    assert!(
        from_xml.contains("KeePass XML export")
            && from_xml.contains("2 secret(s): 2 new")
            && from_xml.contains("; 1 left out"),
        "{from_xml}"
    );
    assert!(
        from_xml.contains("STRIPE_SECRET_KEY  [Payments]") && from_xml.contains("in the trash"),
        "{from_xml}"
    );
    assert_clean(&from_xml);

    let wrong = kh.run_with(with_password("not it"), &["import", plain], None);
    assert_eq!(wrong.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong password for"));
    let no_key = kh.run_with(with_password(DB_PASSWORD), &["import", with_key], None);
    assert_eq!(no_key.status.code(), Some(3), "the key file is part of the key");

    let out = kh.run_with(with_password(DB_PASSWORD), &["import", with_key, "--keyfile", keyfile], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_clean(&stderr);
    assert_eq!(kh.ok(&["get", "STRIPE_PASSWORD"], None), ENTRY_PASSWORD);
    assert_eq!(kh.ok(&["get", "STRIPE_SECRET_KEY"], None), "sk_live_kdbx_51c0");
}

/// Runs a command in the throw-away GnuPG home and password store.
fn in_store(kh: &Kh, program: &str, args: &[&str], stdin: &str) {
    let mut child = Command::new(program)
        .args(args)
        .env("GNUPGHOME", kh.path("gnupg"))
        .env("PASSWORD_STORE_DIR", kh.path("store"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| {
            panic!("{program}: {err} (scripts/install-deps.sh test installs pass and gnupg)")
        });
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The agent this test's gpg started, stopped with the test.
struct Agent<'a>(&'a Kh);

impl Drop for Agent<'_> {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", self.0.path("gnupg"))
            .status();
    }
}

#[test]
fn a_pass_store_decrypted_with_the_users_gpg() {
    let kh = Kh::new();
    std::fs::create_dir(kh.path("gnupg")).unwrap();
    std::fs::set_permissions(kh.path("gnupg"), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let _agent = Agent(&kh);
    let uid = "Keyhaven Test <test@example.invalid>";
    in_store(
        &kh,
        "gpg",
        &["--batch", "--passphrase", "", "--quick-gen-key", uid, "future-default", "default", "never"],
        "",
    );
    in_store(&kh, "pass", &["init", "test@example.invalid"], "");
    in_store(
        &kh,
        "pass",
        &["insert", "--multiline", "dev/github"],
        &format!("{ENTRY_PASSWORD}\nlogin: octo\nurl: https://github.com\nrecovery: 1234\n"),
    );
    in_store(&kh, "pass", &["insert", "--echo", "openai"], "sk-pass-openai-6d2e\n");

    let store = kh.path("store");
    let store = store.to_str().unwrap();
    let mut cmd = kh.cmd();
    cmd.env("GNUPGHOME", kh.path("gnupg"));
    let out = kh.run_with(cmd, &["import", store, "--dry-run"], None);
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_clean(&plan);
    assert!(!plan.contains("sk-pass-openai") && !plan.contains("1234"), "{plan}");
    assert!(plan.contains("pass export") && plan.contains("2 secret(s)"), "{plan}");
    assert!(
        plan.contains("dev/github  →  DEV_GITHUB  [dev]") && plan.contains("openai      →  OPENAI"),
        "{plan}"
    );

    let mut cmd = kh.cmd();
    cmd.env("GNUPGHOME", kh.path("gnupg"));
    let out = kh.run_with(cmd, &["import", store, "--include-notes"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // With its note, the entry gives two secrets, each named after its field.
    assert_eq!(kh.ok(&["get", "DEV_GITHUB_PASSWORD"], None), ENTRY_PASSWORD);
    assert_eq!(kh.ok(&["get", "OPENAI"], None), "sk-pass-openai-6d2e");
    // Only the lines that are not the username or URL stay in the note.
    assert_eq!(kh.ok(&["get", "DEV_GITHUB_NOTES"], None), "recovery: 1234");
    let listed: serde_json::Value = serde_json::from_str(&kh.ok(&["ls", "--json"], None)).unwrap();
    let github = listed.as_array().unwrap().iter().find(|s| s["name"] == "DEV_GITHUB_PASSWORD").unwrap();
    assert_eq!(github["description"], "dev/github — https://github.com (user octo) · from pass");

    // An entry that decrypts to more than any entry holds (8 MiB, a few KiB
    // compressed): gpg is stopped at 4 MiB, nothing written, under a 1 GiB
    // address-space limit.
    in_store(
        &kh,
        "gpg",
        &[
            "--batch",
            "--yes",
            "-e",
            "-r",
            "test@example.invalid",
            "-o",
            kh.path("store/big.gpg").to_str().unwrap(),
        ],
        &"a".repeat(8 << 20),
    );
    let mut cmd = Command::new("prlimit");
    cmd.args(["--as=1073741824", "--cpu=60", "--", env!("CARGO_BIN_EXE_keyhaven")]);
    for (key, value) in kh.cmd().get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    cmd.env("GNUPGHOME", kh.path("gnupg"));
    let out = kh.run_with(cmd, &["import", store, "--overwrite"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("big decrypts to more than 4 MiB") && stderr.contains("gpg was stopped"),
        "{stderr}"
    );
    std::fs::remove_file(kh.path("store/big.gpg")).unwrap();

    // Without the key (another GnuPG home), gpg's refusal is named, nothing written;
    // a file name that carries an escape sequence reaches the terminal printable.
    std::fs::copy(kh.path("store/openai.gpg"), kh.path("store/\x1b[2J\x1b]0;pwned\x07evil.gpg")).unwrap();
    std::fs::create_dir(kh.path("empty-gnupg")).unwrap();
    let mut cmd = kh.cmd();
    cmd.env("GNUPGHOME", kh.path("empty-gnupg"));
    let out = kh.run_with(cmd, &["import", store, "--overwrite"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("gpg could not decrypt [2J]0;pwnedevil") && stderr.contains("nothing was imported"),
        "{stderr}"
    );
    assert!(!stderr.contains(['\x1b', '\x07']), "{stderr:?}");
}
