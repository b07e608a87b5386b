//! `keyhaven ssh …`: SSH keys made or added, checked with OpenSSH's own
//! `ssh-keygen`; kept as keys (never text, never synced by a pattern), and
//! their private part never on disk in the clear.

mod common;
#[path = "../../core/tests/common/emulator.rs"]
mod emulator;

use std::{os::unix::fs::PermissionsExt, path::Path, process::Command};

use common::{Kh, files_under};
use emulator::{Emulator, TOKEN};
use keyhaven_core::remote::Kind;
use serde_json::Value;

/// Runs `ssh-keygen` with `args`; returns stdout.
fn ssh_keygen(args: &[&str]) -> String {
    let out = Command::new("ssh-keygen").args(args).output().expect("ssh-keygen (openssh-client)");
    assert!(out.status.success(), "ssh-keygen {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A key pair written by ssh-keygen into `dir`; returns the private key's path.
fn keygen_file(dir: &Path, file: &str, args: &[&str]) -> String {
    let path = dir.join(file).to_str().unwrap().to_owned();
    let mut all = vec!["-q", "-f", &path];
    all.extend_from_slice(args);
    ssh_keygen(&all);
    path
}

/// "TYPE BASE64" of a public key line, without its comment.
fn key_part(line: &str) -> String {
    line.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

fn keys(kh: &Kh) -> Vec<Value> {
    serde_json::from_str(&kh.ok(&["--json", "ssh", "ls"], None)).unwrap()
}

/// The lines of a private key file's body (its base64), to look for elsewhere.
fn body_lines(private: &str) -> Vec<String> {
    std::fs::read_to_string(private)
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn keys_made_or_added_are_the_keys_ssh_keygen_sees_and_never_lie_on_disk_in_the_clear() {
    let kh = Kh::new();
    let dir = kh.dir.path();

    // Made here: the public line parses for ssh-keygen, and the private key
    // the vault holds is the one that line belongs to.
    for (name, kind, algorithm) in
        [("DEPLOY_KEY", "ed25519", "ssh-ed25519"), ("P256", "ecdsa", "ecdsa-sha2-nistp256")]
    {
        let public = kh.ok(&["ssh", "generate", name, "--type", kind], None);
        assert!(
            public.starts_with(algorithm) && public.trim_end().ends_with(&format!("{name}@keyhaven")),
            "{public}"
        );
        let file = dir.join(format!("{name}.pub"));
        std::fs::write(&file, &public).unwrap();
        let listed = ssh_keygen(&["-l", "-f", file.to_str().unwrap()]);
        let private = dir.join(name);
        std::fs::write(&private, kh.ok(&["get", name], None)).unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
        let derived = ssh_keygen(&["-y", "-f", private.to_str().unwrap()]);
        assert_eq!(key_part(&derived), key_part(&public), "the private key is not the public key's");
        let ours = keys(&kh).into_iter().find(|key| key["name"] == name).unwrap();
        assert!(listed.contains(ours["fingerprint"].as_str().unwrap()), "{listed} vs {ours}");
        std::fs::remove_file(&private).unwrap();
    }

    // Added from ssh-keygen's files: an encrypted Ed25519 key and an RSA key.
    let ed = keygen_file(dir, "id_ed25519", &["-t", "ed25519", "-N", "hunter2 horse", "-C", "me@laptop"]);
    let rsa = keygen_file(dir, "id_rsa", &["-t", "rsa", "-b", "3072", "-N", "", "-C", "old@server"]);
    let wrong = kh.run_with(
        {
            let mut cmd = kh.cmd();
            cmd.env("KEYHAVEN_IMPORT_PASSPHRASE", "not it");
            cmd
        },
        &["ssh", "add", "LAPTOP", "--from", &ed],
        None,
    );
    assert_eq!(wrong.status.code(), Some(6), "{}", String::from_utf8_lossy(&wrong.stderr));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("the passphrase does not open it"));
    assert_eq!(keys(&kh).len(), 2, "a refused key was stored");
    let mut with_passphrase = kh.cmd();
    with_passphrase.env("KEYHAVEN_IMPORT_PASSPHRASE", "hunter2 horse");
    let out = kh.run_with(with_passphrase, &["ssh", "add", "LAPTOP", "--from", &ed], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("was left where it is"));
    kh.ok(&["ssh", "add", "OLD_RSA", "--from", &rsa], None);
    for (name, file) in [("LAPTOP", &ed), ("OLD_RSA", &rsa)] {
        let public = std::fs::read_to_string(format!("{file}.pub")).unwrap();
        assert_eq!(kh.ok(&["ssh", "public", name], None).trim_end(), public.trim_end());
        let listed = ssh_keygen(&["-l", "-f", &format!("{file}.pub")]);
        let ours = keys(&kh).into_iter().find(|key| key["name"] == name).unwrap();
        assert!(listed.contains(ours["fingerprint"].as_str().unwrap()), "{listed} vs {ours}");
        assert_eq!(ours["agent"], true);
    }
    let text = kh.ok(&["ssh", "ls"], None);
    assert!(text.contains("OLD_RSA") && text.contains("ssh-rsa") && text.contains("old@server"), "{text}");

    // Refused, with the reason and nothing stored: a file too large to be a
    // key, a comment of two lines.
    let big = dir.join("big");
    std::fs::write(&big, vec![b'A'; 70 * 1024]).unwrap();
    let err = kh.fails(&["ssh", "add", "BIG", "--from", big.to_str().unwrap()], None, 6);
    assert!(err.contains("64 KiB"), "{err}");
    let err = kh.fails(&["ssh", "generate", "TWO_LINES", "--comment", "a\nb"], None, 6);
    assert!(err.contains("one line"), "{err}");
    assert_eq!(keys(&kh).len(), 4);

    // No line of a private key's body in the vault, its WAL or the temp dir.
    drop(std::fs::read(&kh.vault).unwrap());
    let mut haystack = Vec::new();
    for file in files_under(dir).into_iter().filter(|file| {
        let name = file.file_name().unwrap().to_str().unwrap();
        name.starts_with("vault.sqlite") || file.starts_with(&kh.tmp)
    }) {
        haystack.extend(std::fs::read(file).unwrap());
    }
    let haystack = String::from_utf8_lossy(&haystack);
    for file in [&ed, &rsa] {
        // ssh-keygen's file of the encrypted key differs from what the vault
        // would hold in the clear; the unencrypted RSA body is the same bytes.
        for line in body_lines(file).iter().filter(|line| line.len() > 40) {
            assert!(!haystack.contains(line.as_str()), "a line of {file} is in the clear");
        }
    }
}

/// Runs `openssl` with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn pem_keys_as_openssl_and_ssh_keygen_write_them_are_added_with_their_own_public_keys() {
    let kh = Kh::new();
    let dir = kh.dir.path();
    keygen_file(dir, "pkcs1.pem", &["-t", "rsa", "-b", "2048", "-m", "PEM", "-N", ""]);
    openssl(dir, &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "p256.pem"]);
    openssl(dir, &["ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "sec1.pem"]);
    openssl(dir, &["genpkey", "-algorithm", "ed25519", "-out", "ed.pem"]);
    let encrypted = ["-pkeyopt", "rsa_keygen_bits:2048", "-aes-256-cbc", "-pass", "pass:hunter2 horse"];
    openssl(dir, &[&["genpkey", "-algorithm", "RSA", "-out", "enc.pem"][..], &encrypted].concat());
    openssl(dir, &["genrsa", "-traditional", "-aes128", "-passout", "pass:x", "-out", "old-enc.pem", "2048"]);
    for file in ["pkcs1.pem", "p256.pem", "sec1.pem", "ed.pem", "enc.pem", "old-enc.pem"] {
        std::fs::set_permissions(dir.join(file), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let path = |file: &str| dir.join(file).to_str().unwrap().to_owned();
    let key_part = |line: &str| line.split_whitespace().take(2).collect::<Vec<_>>().join(" ");

    for (name, file) in [("PKCS1", "pkcs1.pem"), ("P256", "p256.pem"), ("SEC1_P384", "sec1.pem")] {
        kh.ok(&["ssh", "add", name, "--from", &path(file)], None);
        let theirs = ssh_keygen(&["-y", "-f", &path(file)]);
        assert_eq!(key_part(&kh.ok(&["ssh", "public", name], None)), key_part(&theirs), "{file}");
    }
    let mut with_passphrase = kh.cmd();
    with_passphrase.env("KEYHAVEN_IMPORT_PASSPHRASE", "hunter2 horse");
    let out = kh.run_with(with_passphrase, &["ssh", "add", "ENCRYPTED", "--from", &path("enc.pem")], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let theirs = ssh_keygen(&["-y", "-P", "hunter2 horse", "-f", &path("enc.pem")]);
    assert_eq!(key_part(&kh.ok(&["ssh", "public", "ENCRYPTED"], None)), key_part(&theirs));
    // ssh-keygen 9.2 reads no Ed25519 PEM: its public key is the last 32
    // bytes of what OpenSSL prints.
    kh.ok(&["ssh", "add", "ED", "--from", &path("ed.pem")], None);
    let der = Command::new("openssl")
        .args(["pkey", "-in", &path("ed.pem"), "-pubout", "-outform", "DER"])
        .output()
        .unwrap()
        .stdout;
    let raw = &der[der.len() - 32..];
    let ours = kh.ok(&["ssh", "public", "ED"], None);
    let blob = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        ours.split_whitespace().nth(1).unwrap(),
    )
    .unwrap();
    assert!(ours.starts_with("ssh-ed25519 ") && blob.ends_with(raw), "{ours}");

    // Old-style encrypted PEM is refused with how to convert it; a wrong
    // passphrase stores nothing.
    let err = kh.fails(&["ssh", "add", "OLD", "--from", &path("old-enc.pem")], None, 6);
    assert!(err.contains("ssh-keygen -p"), "{err}");
    let mut wrong = kh.cmd();
    wrong.env("KEYHAVEN_IMPORT_PASSPHRASE", "wrong");
    let out = kh.run_with(wrong, &["ssh", "add", "WRONG", "--from", &path("enc.pem")], None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("the passphrase does not open it"));
    assert_eq!(keys(&kh).len(), 5);
}

#[test]
fn an_ssh_key_is_never_text_and_its_kind_and_public_half_are_tagged() {
    let kh = Kh::new();
    kh.ok(&["ssh", "generate", "DEPLOY_KEY"], None);
    let err = kh.fails(&["rotate", "DEPLOY_KEY"], Some(b"plain text"), 6);
    assert!(err.contains("DEPLOY_KEY: it is an SSH key"), "{err}");
    kh.fails(&["set", "DEPLOY_KEY"], Some(b"plain text"), 5);
    kh.ok(&["verify"], None);

    // Made text by editing the file: the row's tag no longer matches.
    let conn = rusqlite::Connection::open(&kh.vault).unwrap();
    conn.execute("UPDATE secrets SET kind = '' WHERE name = 'DEPLOY_KEY'", []).unwrap();
    let err = kh.fails(&["verify"], None, 7);
    assert!(err.contains("DEPLOY_KEY"), "{err}");
    conn.execute("UPDATE secrets SET kind = 'ssh_key' WHERE name = 'DEPLOY_KEY'", []).unwrap();
    kh.ok(&["verify"], None);

    // Its public half swapped for another key's, or taken away.
    let other = Kh::new();
    other.ok(&["ssh", "generate", "OTHER"], None);
    let theirs: String = rusqlite::Connection::open(&other.vault)
        .unwrap()
        .query_row("SELECT public_key FROM ssh_keys", [], |row| row.get(0))
        .unwrap();
    let ours: String = conn.query_row("SELECT public_key FROM ssh_keys", [], |row| row.get(0)).unwrap();
    conn.execute("UPDATE ssh_keys SET public_key = ?1", [&theirs]).unwrap();
    let err = kh.fails(&["verify"], None, 7);
    assert!(err.contains("the public key of DEPLOY_KEY"), "{err}");
    conn.execute("UPDATE ssh_keys SET public_key = ?1", [&ours]).unwrap();
    kh.ok(&["verify"], None);

    // Allowed to a forwarded agent, or meant for a host, by editing the file;
    // set through the CLI, the same row verifies.
    for edit in ["UPDATE ssh_keys SET forwarding = 1", "UPDATE ssh_keys SET hosts = 'evil.example'"] {
        conn.execute(edit, []).unwrap();
        let err = kh.fails(&["verify"], None, 7);
        assert!(err.contains("the public key of DEPLOY_KEY"), "{edit}: {err}");
        conn.execute("UPDATE ssh_keys SET forwarding = 0, hosts = ''", []).unwrap();
    }
    kh.ok(&["ssh", "forwarding", "DEPLOY_KEY", "on"], None);
    kh.ok(&["ssh", "hosts", "DEPLOY_KEY", "github.com", "*.corp.example"], None);
    kh.ok(&["verify"], None);
    let ls = kh.ok(&["ssh", "ls"], None);
    assert!(ls.contains("github.com,*.corp.example") && ls.contains("FORWARDING"), "{ls}");
    conn.execute("UPDATE ssh_keys SET forwarding = 0", []).unwrap();
    kh.fails(&["verify"], None, 7);
    conn.execute("UPDATE ssh_keys SET forwarding = 1", []).unwrap();
    conn.execute("DELETE FROM ssh_keys", []).unwrap();
    let err = kh.fails(&["verify"], None, 7);
    assert!(err.contains("the public key of DEPLOY_KEY (it is missing)"), "{err}");
}

#[test]
fn a_remote_that_takes_everything_gets_an_ssh_key_only_when_it_names_it() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    kh.ok(&["set", "API_KEY"], Some(b"api-value"));
    kh.ok(&["ssh", "generate", "DEPLOY_KEY"], None);
    let url = emulator.url(Kind::Runloop);
    kh.ok(
        &["remote", "add", "prod", "--kind", "runloop", "--url", &url, "--include", "*"],
        Some(TOKEN.as_bytes()),
    );
    kh.ok(&["sync", "--yes"], None);
    let names = |emulator: &Emulator| -> Vec<String> {
        emulator.secrets(Kind::Runloop).iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(names(&emulator), ["API_KEY"]);
    kh.ok(&["remote", "edit", "prod", "--include", "DEPLOY_KEY"], None);
    kh.ok(&["sync", "--yes"], None);
    let mut held = names(&emulator);
    held.sort();
    assert_eq!(held, ["API_KEY", "DEPLOY_KEY"]);

    // A remote whose organisation shares its secrets never gets one, even by name.
    emulator.add_token("rt_live_admin", serde_json::json!({ "admin": true }));
    let org_url = emulator.url(Kind::Runtools);
    kh.ok(
        &[
            "remote",
            "add",
            "org",
            "--kind",
            "runtools",
            "--url",
            &org_url,
            "--scope",
            "org",
            "--include",
            "*",
        ],
        Some(b"rt_live_admin"),
    );
    kh.ok(&["remote", "edit", "org", "--include", "DEPLOY_KEY"], None);
    let out = kh.run(&["sync", "org", "--yes"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.contains("DEPLOY_KEY is an SSH key: it is not sent to org"),
        "{stderr}"
    );
    let org: Vec<String> =
        emulator.secrets(Kind::Runtools).iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(org, ["API_KEY"]);
}
