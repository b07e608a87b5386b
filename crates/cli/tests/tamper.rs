//! Test 2 at the command line: damage gives clear errors and distinct exit
//! codes, and never changes the file.

mod common;

use common::Kh;

#[test]
fn a_flipped_ciphertext_byte_fails_only_that_secret() {
    let kh = Kh::new();
    for name in ["A", "B", "C"] {
        kh.ok(&["set", name], Some(format!("{name}-value").as_bytes()));
    }
    let conn = rusqlite::Connection::open(&kh.vault).unwrap();
    let mut sealed: Vec<u8> = conn
        .query_row(
            "SELECT ciphertext FROM versions JOIN secrets ON id = secret_id WHERE name = 'B'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let middle = sealed.len() / 2;
    sealed[middle] ^= 0x80;
    conn.execute(
        "UPDATE versions SET ciphertext = ?1 WHERE secret_id = (SELECT id FROM secrets WHERE name = 'B')",
        [&sealed],
    )
    .unwrap();
    drop(conn);

    let err = kh.fails(&["get", "B"], None, 7);
    assert!(err.contains("version 1 of B failed its integrity check"), "{err}");
    assert_eq!(kh.ok(&["get", "A"], None), "A-value");
    assert_eq!(kh.ok(&["get", "C"], None), "C-value");
}

#[test]
fn garbage_and_truncated_vaults_are_refused_and_left_unchanged() {
    let kh = Kh::new();
    for i in 0..200 {
        kh.ok(&["set", &format!("S{i}")], Some(b"value"));
    }
    let full = std::fs::read(&kh.vault).unwrap();
    let cases = [
        ("garbage", b"\x00garbage\xff".repeat(500)),
        ("truncated", full[..full.len() / 2].to_vec()),
        ("empty", Vec::new()),
    ];
    for (label, bytes) in cases {
        let path = kh.path(&format!("{label}.sqlite"));
        std::fs::write(&path, &bytes).unwrap();
        let mut cmd = kh.cmd();
        cmd.env("KEYHAVEN_VAULT", &path);
        let out = kh.run_with(cmd, &["ls"], None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(7), "{label}: {stderr}");
        assert!(stderr.contains("not a Keyhaven vault") || stderr.contains("damaged"), "{label}: {stderr}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{label} was changed");
    }
}

#[test]
fn a_wrong_passphrase_is_refused_and_the_right_one_still_works() {
    let kh = Kh::new();
    kh.ok(&["set", "A"], Some(b"a"));
    let mut cmd = kh.cmd();
    cmd.env("KEYHAVEN_PASSPHRASE", "not it");
    let out = kh.run_with(cmd, &["get", "A"], None);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "keyhaven: wrong passphrase (it came from KEYHAVEN_PASSPHRASE)"
    );
    assert_eq!(kh.ok(&["get", "A"], None), "a");
}

#[test]
fn an_empty_passphrase_on_stdin_is_called_empty_not_wrong() {
    let kh = Kh::new();
    kh.ok(&["set", "A"], Some(b"a"));
    let mut cmd = kh.cmd();
    cmd.env_remove("KEYHAVEN_PASSPHRASE");
    let out = kh.run_with(cmd, &["--passphrase-stdin", "get", "A"], Some(b"\n"));
    assert_eq!(out.status.code(), Some(6));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the passphrase from the first line of stdin (--passphrase-stdin) is empty"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong"), "{stderr}");
}

#[test]
fn a_vault_from_a_newer_version_is_refused_untouched() {
    let kh = Kh::new();
    rusqlite::Connection::open(&kh.vault).unwrap().pragma_update(None, "user_version", 99).unwrap();
    let before = std::fs::read(&kh.vault).unwrap();
    let err = kh.fails(&["ls"], None, 8);
    assert!(err.contains("newer Keyhaven"), "{err}");
    assert_eq!(std::fs::read(&kh.vault).unwrap(), before);
}

#[test]
fn a_remote_url_rewritten_in_the_file_is_exit_7_and_the_new_host_hears_nothing() {
    let kh = Kh::new();
    kh.ok(
        &["remote", "add", "prod", "--kind", "runloop", "--url", "https://api.runloop.ai"],
        Some(b"tok-planted"),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let hostile = format!("http://{}/", listener.local_addr().unwrap());
    let conn = rusqlite::Connection::open(&kh.vault).unwrap();
    conn.execute("UPDATE remotes SET url = ?1", [&hostile]).unwrap();
    drop(conn);

    let err = kh.fails(&["sync", "prod", "--yes"], None, 7);
    assert!(err.contains("the settings of remote prod"), "{err}");
    assert!(err.contains("altered outside Keyhaven"), "{err}");
    assert!(listener.accept().is_err(), "the rewritten URL was contacted");
    let err = kh.fails(&["verify"], None, 7);
    assert!(err.contains("remote prod"), "{err}");
}

#[test]
fn passwd_rekey_keeps_every_value_under_a_new_key() {
    let kh = Kh::new();
    kh.ok(&["set", "A"], Some(b"a-value"));
    kh.ok(&["rotate", "A"], Some(b"a-value-2"));
    let mut cmd = kh.cmd();
    cmd.env("KEYHAVEN_NEW_PASSPHRASE", "velvet-harbor-quince-907-tundra");
    let out = kh.run_with(cmd, &["passwd", "--rekey"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 versions and every remote token re-encrypted"));
    let mut cmd = kh.cmd();
    cmd.env("KEYHAVEN_PASSPHRASE", "velvet-harbor-quince-907-tundra");
    let out = kh.run_with(cmd, &["get", "A"], None);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a-value-2");
    kh.fails(&["get", "A"], None, 3);
}
