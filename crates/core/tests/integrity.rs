//! The vault file is authenticated: whoever can write it but does not hold
//! the key cannot roll a secret back, forge a value, swap the recipient,
//! redirect a remote, turn on "remember" or make unlocking hang. Each test
//! makes the edit an attacker would, with plain SQL on the real file.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use keyhaven_core::{
    Error, ErrorKind, KdfParams, SecretName, UnlockedVault, Vault,
    remote::{Kind, RemoteConfig},
    secret::SecretFields,
    vault::Access,
};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const PASSPHRASE: &str = "correct horse battery";

fn pass(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

fn name(text: &str) -> SecretName {
    SecretName::parse(text).unwrap()
}

fn fresh() -> (tempfile::TempDir, PathBuf, UnlockedVault) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let vault = Vault::create(&path, &pass(PASSPHRASE), KdfParams::custom(8, 1).unwrap()).unwrap();
    (dir, path, vault)
}

fn unlock(path: &Path) -> keyhaven_core::Result<UnlockedVault> {
    Vault::open(path)?.unlock(&pass(PASSPHRASE))
}

fn sql(path: &Path, statement: &str) {
    rusqlite::Connection::open(path).unwrap().execute_batch(statement).unwrap();
}

fn tampered(err: Error) -> String {
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert!(matches!(err, Error::Tampered(_)), "{err}");
    err.to_string()
}

fn with_two_secrets() -> (tempfile::TempDir, PathBuf) {
    let (dir, path, mut vault) = fresh();
    vault.set(&name("API_KEY"), &pass("value-1"), &SecretFields::default()).unwrap();
    vault.rotate(&name("API_KEY"), &pass("value-2")).unwrap();
    vault.set(&name("OTHER"), &pass("other-value"), &SecretFields::default()).unwrap();
    (dir, path)
}

#[test]
fn rolling_a_secret_back_in_the_file_is_refused_and_the_rest_stays_readable() {
    let (_dir, path) = with_two_secrets();
    sql(&path, "UPDATE secrets SET version = 1 WHERE name = 'API_KEY'");
    let mut vault = unlock(&path).unwrap();
    let message = tampered(vault.reveal(&name("API_KEY"), Access::Reveal).unwrap_err());
    assert!(message.contains("the record of API_KEY"), "{message}");
    assert_eq!(vault.reveal(&name("OTHER"), Access::Reveal).unwrap().expose_secret(), "other-value");
    // Nothing builds on the altered row either.
    tampered(vault.rotate(&name("API_KEY"), &pass("value-3")).unwrap_err());
    tampered(vault.verify().unwrap_err());
}

#[test]
fn an_out_of_date_mark_forged_in_the_file_is_refused_not_believed() {
    let (_dir, path) = with_two_secrets();
    sql(
        &path,
        "INSERT INTO out_of_date (secret_id, version, remote, marked_ms, mac)
         SELECT id, version, 'rl', 0, x'00' FROM secrets WHERE name = 'API_KEY'",
    );
    let mut vault = unlock(&path).unwrap();
    let message = tampered(vault.reveal(&name("API_KEY"), Access::Reveal).unwrap_err());
    assert!(message.contains("the out-of-date mark of API_KEY"), "{message}");
    tampered(vault.reveal_all(None, Access::Inject).unwrap_err());
    assert_eq!(vault.reveal(&name("OTHER"), Access::Reveal).unwrap().expose_secret(), "other-value");
}

#[test]
fn a_value_forged_to_the_stored_recipient_is_refused() {
    let (_dir, path) = with_two_secrets();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let recipient: String =
        conn.query_row("SELECT value FROM header WHERE key = 'recipient'", [], |r| r.get(0)).unwrap();
    let recipient: age::x25519::Recipient = recipient.parse().unwrap();
    // The envelope 0.1 used: tag, name and version bound inside the ciphertext.
    let forged = age::encrypt(&recipient, b"keyhaven-value-v1\0API_KEY\x002\0attacker-value").unwrap();
    conn.execute(
        "UPDATE versions SET ciphertext = ?1 WHERE version = 2
         AND secret_id = (SELECT id FROM secrets WHERE name = 'API_KEY')",
        [forged],
    )
    .unwrap();
    drop(conn);
    let mut vault = unlock(&path).unwrap();
    let message = tampered(vault.reveal(&name("API_KEY"), Access::Reveal).unwrap_err());
    assert!(message.contains("version 2 of API_KEY"), "{message}");
    assert!(!message.contains("attacker-value"));
}

#[test]
fn a_swapped_recipient_is_refused_at_unlock_and_nothing_is_encrypted_to_it() {
    let (_dir, path) = with_two_secrets();
    let attacker = age::x25519::Identity::generate().to_public().to_string();
    sql(&path, &format!("UPDATE header SET value = '{attacker}' WHERE key = 'recipient'"));
    let before = std::fs::read(&path).unwrap();
    let message = tampered(unlock(&path).err().unwrap());
    assert!(message.contains("recipient"), "{message}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "a refused unlock writes nothing");
}

#[test]
fn a_rewritten_remote_url_never_receives_the_token() {
    let (_dir, path, mut vault) = fresh();
    let config = RemoteConfig::new("prod", Kind::Runloop, "https://api.runloop.ai", None).unwrap();
    vault.add_remote(&config, &pass("tok-planted-123")).unwrap();
    drop(vault);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let hostile = format!("http://{}/", listener.local_addr().unwrap());
    sql(&path, &format!("UPDATE remotes SET url = '{hostile}' WHERE name = 'prod'"));

    let vault = unlock(&path).unwrap();
    assert_eq!(vault.remote("prod").unwrap().config.url, hostile, "listing works, unchecked");
    let message = tampered(vault.connect("prod").err().unwrap());
    assert!(message.contains("remote prod"), "{message}");
    tampered(vault.remote_token("prod").unwrap_err());
    std::thread::sleep(Duration::from_millis(100));
    assert!(listener.accept().is_err(), "the hostile listener was contacted");
}

#[test]
fn a_remember_flag_set_in_the_file_is_refused_before_any_keyring_write() {
    for flag in ["1", &"ab".repeat(32)] {
        let (_dir, path) = with_two_secrets();
        sql(&path, &format!("UPDATE header SET value = '{flag}' WHERE key = 'remember'"));
        assert!(Vault::open(&path).unwrap().is_remembered(), "read as on while locked");
        let message = tampered(unlock(&path).err().unwrap());
        assert!(message.contains("remember-on-this-device"), "{message}");
    }
}

#[test]
fn kdf_settings_beyond_their_bounds_are_refused_before_deriving() {
    for (key, value) in [
        ("kdf_iterations", "4294967295"),
        ("kdf_memory_kib", "4294967295"),
        ("kdf_parallelism", "255"),
        ("kdf_iterations", "0"),
    ] {
        let (_dir, path) = with_two_secrets();
        sql(&path, &format!("UPDATE header SET value = '{value}' WHERE key = '{key}'"));
        let started = Instant::now();
        let err = Vault::open(&path).err().unwrap();
        assert!(started.elapsed() < Duration::from_secs(5), "{key}={value} took {:?}", started.elapsed());
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
        assert!(err.to_string().contains(key), "{err}");
    }
}

#[test]
fn a_removed_header_tag_does_not_make_the_vault_pass_for_an_old_one() {
    let (_dir, path) = with_two_secrets();
    sql(&path, "DELETE FROM header WHERE key = 'mac'");
    let message = tampered(unlock(&path).err().unwrap());
    assert!(message.contains("integrity tag (removed)"), "{message}");
}

#[test]
fn tombstones_pins_and_metadata_are_covered() {
    for edit in [
        "UPDATE secrets SET deleted_ms = 1 WHERE name = 'OTHER'",
        "UPDATE secrets SET pinned = 1 WHERE name = 'OTHER'",
        "UPDATE secrets SET category = 'provider' WHERE name = 'OTHER'",
        "UPDATE versions SET origin = 'pull from prod' WHERE version = 1",
        "UPDATE secrets SET mac = NULL WHERE name = 'OTHER'",
    ] {
        let (_dir, path) = with_two_secrets();
        sql(&path, edit);
        tampered(unlock(&path).unwrap().verify().unwrap_err());
    }
}

#[test]
fn rekey_reencrypts_every_version_so_an_old_header_copy_opens_nothing_new() {
    let (_dir, path) = with_two_secrets();
    let header = |path: &Path| -> Vec<(String, rusqlite::types::Value)> {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut stmt = conn.prepare("SELECT key, value FROM header").unwrap();
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    let old_header = header(&path);
    let ciphertexts = |path: &Path| -> Vec<Vec<u8>> {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut stmt = conn.prepare("SELECT ciphertext FROM versions ORDER BY secret_id, version").unwrap();
        stmt.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let before = ciphertexts(&path);

    let mut vault = unlock(&path).unwrap();
    assert_eq!(vault.rekey(&pass("a new passphrase"), None).unwrap(), 3);
    vault.rotate(&name("API_KEY"), &pass("value-after-rekey")).unwrap();
    drop(vault);
    let after = ciphertexts(&path);
    assert!(before.iter().all(|old| !after.contains(old)), "every version was re-encrypted");
    let mut vault = Vault::open(&path).unwrap().unlock(&pass("a new passphrase")).unwrap();
    assert_eq!(vault.reveal(&name("API_KEY"), Access::Reveal).unwrap().expose_secret(), "value-after-rekey");
    assert_eq!(vault.audit_log(1).unwrap()[0].action, "reveal");
    vault.verify().unwrap();
    drop(vault);

    // Someone who kept the old header and knows the old passphrase.
    let conn = rusqlite::Connection::open(&path).unwrap();
    for (key, value) in old_header {
        conn.execute(
            "INSERT OR REPLACE INTO header (key, value) VALUES (?1, ?2)",
            rusqlite::params![key, value],
        )
        .unwrap();
    }
    drop(conn);
    let mut old = unlock(&path).unwrap();
    assert!(old.reveal(&name("API_KEY"), Access::Reveal).is_err());
    assert!(old.reveal(&name("OTHER"), Access::Reveal).is_err());
}

/// The vault Keyhaven 0.1.0 wrote (tests/fixtures/make-vault-v0.1.sh).
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vault-v0.1.sqlite");
const FIXTURE_SHA256: &str = "2ff0cda8dacbe94f3314d7fc32665acc13a086542f1ebdd70f0fdcdbfee72eb8";
const FIXTURE_PASSPHRASE: &str = "fixture passphrase v0.1";

fn fixture_copy() -> (tempfile::TempDir, PathBuf) {
    let bytes = std::fs::read(FIXTURE).unwrap();
    assert_eq!(format!("{:x}", Sha256::digest(&bytes)), FIXTURE_SHA256, "the 0.1 fixture must never change");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

#[test]
fn the_vault_made_by_0_1_opens_migrates_and_is_sealed_at_its_first_unlock() {
    let (_dir, path) = fixture_copy();
    let locked = Vault::open(&path).unwrap();
    let names: Vec<String> = locked.list().unwrap().into_iter().map(|m| m.name.to_string()).collect();
    assert_eq!(names, ["ALPHA", "BETA", "DELTA"]);
    assert_eq!(locked.info().unwrap().schema_version, 12);
    // Until its first passphrase unlock seals it, a remembered key cannot open it.
    assert!(matches!(Vault::open(&path).unwrap().unlock_with_device_key(), Err(Error::Locked)));

    let mut vault = locked.unlock(&pass(FIXTURE_PASSPHRASE)).unwrap();
    for (secret, value) in [("ALPHA", "alpha-value-2"), ("BETA", "beta-value-3"), ("DELTA", "delta-value-1")]
    {
        assert_eq!(vault.reveal(&name(secret), Access::Reveal).unwrap().expose_secret(), value);
    }
    assert_eq!(vault.history(&name("BETA")).unwrap().len(), 3);
    assert!(vault.meta(&name("DELTA")).unwrap().pinned);
    assert_eq!(vault.list_removed().unwrap()[0].name.as_str(), "GAMMA");
    assert_eq!(vault.remote_token("rt").unwrap().expose_secret(), "rt_test_fixture0001");
    vault.verify().unwrap();
    assert!(vault.audit_log(50).unwrap().iter().any(|entry| entry.action == "seal"));
    drop(vault);

    // Sealed now: the same edits an attacker makes are caught, sync state included.
    let vault = unlock_fixture(&path).unwrap();
    vault.verify().unwrap();
    drop(vault);
    sql(&path, "UPDATE sync_state SET local_version = 3 WHERE name = 'ALPHA'");
    tampered(unlock_fixture(&path).unwrap().verify().unwrap_err());
    sql(
        &path,
        "UPDATE sync_state SET local_version = 1 WHERE name = 'ALPHA'; UPDATE outbox SET op = 'delete'",
    );
    let message = tampered(unlock_fixture(&path).unwrap().verify().unwrap_err());
    assert!(message.contains("queued remote write of ALPHA"), "{message}");
}

#[test]
fn the_0_1_fixture_keeps_no_remote_error_text_once_migrated() {
    let (_dir, path) = fixture_copy();
    let text = |path: &Path| -> Option<String> {
        rusqlite::Connection::open(path)
            .unwrap()
            .query_row("SELECT last_error FROM outbox", [], |row| row.get(0))
            .unwrap()
    };
    assert_eq!(text(&path).as_deref(), Some("no answer from 127.0.0.1"), "0.1 kept the remote's words");
    drop(Vault::open(&path).unwrap());
    assert_eq!(text(&path), None);
}

fn unlock_fixture(path: &Path) -> keyhaven_core::Result<UnlockedVault> {
    Vault::open(path)?.unlock(&pass(FIXTURE_PASSPHRASE))
}

/// The columns of a row, read as they stand, to be put back later.
fn snapshot(path: &Path, table: &str, filter: &str) -> Vec<(String, rusqlite::types::Value)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table} WHERE {filter}")).unwrap();
    let columns: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    stmt.query_row([], |row| {
        Ok(columns.iter().enumerate().map(|(at, column)| (column.clone(), row.get(at).unwrap())).collect())
    })
    .unwrap()
}

/// Puts a row back over the one `filter` picks, as [`snapshot`] read it.
fn put_back(path: &Path, table: &str, filter: &str, row: &[(String, rusqlite::types::Value)]) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let set: Vec<String> =
        row.iter().enumerate().map(|(at, (column, _))| format!("{column} = ?{}", at + 1)).collect();
    let values: Vec<&rusqlite::types::Value> = row.iter().map(|(_, value)| value).collect();
    let changed = conn
        .execute(
            &format!("UPDATE {table} SET {} WHERE {filter}", set.join(", ")),
            rusqlite::params_from_iter(values),
        )
        .unwrap();
    assert_eq!(changed, 1);
}

#[test]
fn a_secret_row_put_back_from_before_a_rotation_is_refused() {
    let (_dir, path, mut vault) = fresh();
    vault.set(&name("API_KEY"), &pass("leaked-value-1"), &SecretFields::default()).unwrap();
    vault.set(&name("OTHER"), &pass("other-value"), &SecretFields::default()).unwrap();
    drop(vault);
    let before = snapshot(&path, "secrets", "name = 'API_KEY'");
    let mut vault = unlock(&path).unwrap();
    vault.rotate(&name("API_KEY"), &pass("rotated-value-2")).unwrap();
    drop(vault);
    // Its tag was valid when it was written: only its place in the history gives it away.
    put_back(&path, "secrets", "name = 'API_KEY'", &before);

    let mut vault = unlock(&path).unwrap();
    let message = tampered(vault.reveal(&name("API_KEY"), Access::Reveal).unwrap_err());
    assert!(message.contains("names version 1 as current, but its newest is 2"), "{message}");
    assert!(!message.contains("leaked"));
    tampered(vault.reveal_all(None, Access::Inject).unwrap_err());
    tampered(vault.rotate(&name("API_KEY"), &pass("value-3")).unwrap_err());
    tampered(vault.verify().unwrap_err());
    assert_eq!(vault.reveal(&name("OTHER"), Access::Reveal).unwrap().expose_secret(), "other-value");
}

#[test]
fn a_secret_row_put_back_from_before_a_removal_or_a_pin_is_refused() {
    for later in ["remove", "pin"] {
        let (_dir, path, mut vault) = fresh();
        let provider = SecretFields { category: Some("provider".into()), ..SecretFields::default() };
        vault.set(&name("API_KEY"), &pass("value-1"), &provider).unwrap();
        drop(vault);
        let before = snapshot(&path, "secrets", "name = 'API_KEY'");
        let mut vault = unlock(&path).unwrap();
        match later {
            "remove" => vault.remove(&name("API_KEY")).unwrap(),
            _ => drop(vault.set_pinned(&name("API_KEY"), true).unwrap()),
        }
        drop(vault);
        // Same version, its own valid tag: only the revision its version carries gives it away.
        put_back(&path, "secrets", "name = 'API_KEY'", &before);
        let mut vault = unlock(&path).unwrap();
        let message = tampered(vault.reveal(&name("API_KEY"), Access::Reveal).unwrap_err());
        assert!(message.contains("an older copy of it"), "{later}: {message}");
        tampered(vault.verify().unwrap_err());
    }
}

#[test]
fn a_version_from_before_a_purge_does_not_stand_in_for_the_secret_created_again() {
    let (_dir, path, mut vault) = fresh();
    vault.set(&name("API_KEY"), &pass("purged-value"), &SecretFields::default()).unwrap();
    drop(vault);
    let old = snapshot(&path, "versions", "version = 1");
    let mut vault = unlock(&path).unwrap();
    vault.remove(&name("API_KEY")).unwrap();
    vault.purge().unwrap();
    std::thread::sleep(Duration::from_millis(5));
    vault.set(&name("API_KEY"), &pass("new-value"), &SecretFields::default()).unwrap();
    drop(vault);
    // The old version 1, moved under the new secret's row id.
    let id: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT id FROM secrets WHERE name = 'API_KEY'", [], |row| row.get(0))
        .unwrap();
    let moved: Vec<_> = old
        .into_iter()
        .map(|(column, value)| match column.as_str() {
            "secret_id" => (column, rusqlite::types::Value::Integer(id)),
            _ => (column, value),
        })
        .collect();
    put_back(&path, "versions", &format!("secret_id = {id} AND version = 1"), &moved);

    let mut vault = unlock(&path).unwrap();
    let message = tampered(vault.reveal(&name("API_KEY"), Access::Reveal).unwrap_err());
    assert!(message.contains("version 1 of API_KEY"), "{message}");
    tampered(vault.verify().unwrap_err());
}

#[test]
fn a_remotes_settings_put_back_from_before_a_narrower_selection_are_refused() {
    let (_dir, path, mut vault) = fresh();
    let config = RemoteConfig::new("prod", Kind::Runloop, "https://api.runloop.ai", None).unwrap();
    vault.add_remote(&config, &pass("tok-123")).unwrap();
    let other = RemoteConfig::new("other", Kind::Runloop, "https://api.runloop.ai", None).unwrap();
    vault.add_remote(&other, &pass("tok-456")).unwrap();
    vault.set_remote_selection("prod", &keyhaven_core::sync::Selection::everything()).unwrap();
    let id: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT id FROM remotes WHERE name = 'prod'", [], |row| row.get(0))
        .unwrap();
    let wide = snapshot(&path, "remote_settings", &format!("remote_id = {id}"));
    let narrow = keyhaven_core::sync::Selection::new(vec!["ONLY_THIS".into()], vec![], vec![]).unwrap();
    vault.set_remote_selection("prod", &narrow).unwrap();
    drop(vault);
    put_back(&path, "remote_settings", &format!("remote_id = {id}"), &wide);

    let vault = unlock(&path).unwrap();
    let message = tampered(vault.remote_selection("prod").unwrap_err());
    assert!(message.contains("the settings of remote prod"), "{message}");
    tampered(vault.verify().unwrap_err());
    // The other remote's settings were tagged again with each change, and still check out.
    assert!(vault.remote_selection("other").unwrap().is_empty());
}

/// A vault Keyhaven wrote with format-1 tags (tests/fixtures/make-vault-tags-1.sh).
const TAGS_1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vault-tags-1.sqlite");
const TAGS_1_SHA256: &str = "c61135485aed04824d8a78cd1093e55c4cd43807b356ee664b70723a76ed1908";
const TAGS_1_PASSPHRASE: &str = "fixture passphrase tags 1";

fn tags_1_copy() -> (tempfile::TempDir, PathBuf) {
    let bytes = std::fs::read(TAGS_1).unwrap();
    assert_eq!(format!("{:x}", Sha256::digest(&bytes)), TAGS_1_SHA256, "the fixture must never change");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

#[test]
fn a_vault_tagged_in_format_1_moves_to_format_2_at_unlock_keeping_what_was_refused_refused() {
    let (_dir, path) = tags_1_copy();
    // Altered while the vault was in format 1: refused before, refused after.
    sql(
        &path,
        "UPDATE versions SET origin = 'pull from rl' WHERE version = 1
         AND secret_id = (SELECT id FROM secrets WHERE name = 'DELTA')",
    );
    let unlock = |path: &Path| Vault::open(path)?.unlock(&pass(TAGS_1_PASSPHRASE));

    let mut vault = unlock(&path).unwrap();
    for (secret, value) in [("ALPHA", "alpha-value-2"), ("BETA", "beta-value-2")] {
        assert_eq!(vault.reveal(&name(secret), Access::Reveal).unwrap().expose_secret(), value);
    }
    tampered(vault.reveal(&name("DELTA"), Access::Reveal).unwrap_err());
    assert_eq!(vault.remote_selection("rl").unwrap().include, ["*"]);
    assert!(keyhaven_core::sync::has_synced(&vault, "rl").unwrap(), "its sync records moved along");
    let moved = vault.audit_log(100).unwrap();
    assert!(moved.iter().any(|e| e.detail.as_deref() == Some("integrity tags moved to format 2")));
    drop(vault);
    let header = |key: &str| -> String {
        rusqlite::Connection::open(&path)
            .unwrap()
            .query_row("SELECT value FROM header WHERE key = ?1", [key], |row| row.get(0))
            .unwrap()
    };
    assert_eq!(header("tags"), "2");
    // The queued write and every sync record check out in format 2; only DELTA's version does not.
    let message = tampered(unlock(&path).unwrap().verify().unwrap_err());
    assert!(message.contains("version 1 of DELTA"), "{message}");

    // Removing the format from the header does not make it pass for format 1.
    sql(&path, "DELETE FROM header WHERE key IN ('tags', 'generation')");
    let message = tampered(unlock(&path).err().unwrap());
    assert!(message.contains("the vault header"), "{message}");
}
