//! Vault behaviour on real SQLite files in temp dirs.

use std::path::{Path, PathBuf};

use keyhaven_core::{
    Error, ErrorKind, KdfParams, SecretName, UnlockedVault, Vault, secret::SecretFields, vault::Access,
};
use secrecy::{ExposeSecret, SecretString};

fn pass(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

fn name(text: &str) -> SecretName {
    SecretName::parse(text).unwrap()
}

fn fresh() -> (tempfile::TempDir, PathBuf, UnlockedVault) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let vault = Vault::create(&path, &pass("correct horse"), KdfParams::custom(8, 1).unwrap()).unwrap();
    (dir, path, vault)
}

fn ciphertexts(path: &Path) -> Vec<(i64, i64, Vec<u8>)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT secret_id, version, ciphertext FROM versions ORDER BY 1, 2").unwrap();
    stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn set_then_reveal_after_reopening() {
    let (_dir, path, mut vault) = fresh();
    let fields = SecretFields {
        description: Some("the API key".into()),
        category: Some("provider".into()),
        rotate_by: Some("2027-01-31".parse().unwrap()),
    };
    let meta = vault.set(&name("API_KEY"), &pass("v1"), &fields).unwrap();
    assert_eq!((meta.version, meta.category.as_str()), (1, "provider"));
    drop(vault);

    let locked = Vault::open(&path).unwrap();
    let listed = locked.list().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].description, "the API key");
    let mut vault = locked.unlock(&pass("correct horse")).unwrap();
    assert_eq!(vault.reveal(&name("API_KEY"), Access::Reveal).unwrap().expose_secret(), "v1");
}

#[test]
fn set_refuses_an_existing_name() {
    let (_dir, _path, mut vault) = fresh();
    vault.set(&name("A"), &pass("1"), &SecretFields::default()).unwrap();
    let err = vault.set(&name("A"), &pass("2"), &SecretFields::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert_eq!(vault.reveal(&name("A"), Access::Reveal).unwrap().expose_secret(), "1");
}

#[test]
fn rotate_keeps_previous_version_readable_and_rollback_adds_a_version() {
    let (_dir, _path, mut vault) = fresh();
    let key = name("TOKEN");
    vault.set(&key, &pass("one"), &SecretFields::default()).unwrap();
    vault.rotate(&key, &pass("two")).unwrap();
    assert_eq!(vault.reveal(&key, Access::Reveal).unwrap().expose_secret(), "two");
    let meta = vault.rollback(&key, 1).unwrap();
    assert_eq!(meta.version, 3);
    assert_eq!(vault.reveal(&key, Access::Reveal).unwrap().expose_secret(), "one");
    let history: Vec<_> = vault.history(&key).unwrap().into_iter().map(|v| (v.version, v.origin)).collect();
    assert_eq!(history, [(1, "set".into()), (2, "rotate".into()), (3, "rollback to 1".into())]);
    assert!(matches!(vault.rollback(&key, 9), Err(Error::VersionNotFound { .. })));
}

#[test]
fn remove_leaves_a_tombstone_until_purge_and_set_revives() {
    let (_dir, _path, mut vault) = fresh();
    vault.set(&name("GONE"), &pass("x"), &SecretFields::default()).unwrap();
    vault.remove(&name("GONE")).unwrap();
    assert!(vault.list().unwrap().is_empty());
    assert_eq!(vault.list_removed().unwrap().len(), 1);
    assert_eq!(vault.reveal(&name("GONE"), Access::Reveal).unwrap_err().kind(), ErrorKind::NotFound);

    let revived = vault.set(&name("GONE"), &pass("y"), &SecretFields::default()).unwrap();
    assert_eq!(revived.version, 2);
    assert!(revived.deleted.is_none());
    vault.remove(&name("GONE")).unwrap();
    assert_eq!(vault.purge().unwrap(), 1);
    assert!(vault.list_removed().unwrap().is_empty());
}

#[test]
fn changing_the_passphrase_rewraps_only() {
    let (_dir, path, mut vault) = fresh();
    for i in 0..20 {
        vault.set(&name(&format!("S{i}")), &pass(&format!("value {i}")), &SecretFields::default()).unwrap();
    }
    vault.rotate(&name("S3"), &pass("rotated")).unwrap();
    let before = ciphertexts(&path);
    vault.change_passphrase(&pass("new passphrase"), None).unwrap();
    drop(vault);
    assert_eq!(ciphertexts(&path), before, "value ciphertexts must be byte-identical");

    let err = Vault::open(&path).unwrap().unlock(&pass("correct horse")).err().unwrap();
    assert!(matches!(err, Error::WrongPassphrase));
    let mut vault = Vault::open(&path).unwrap().unlock(&pass("new passphrase")).unwrap();
    assert_eq!(vault.reveal(&name("S3"), Access::Reveal).unwrap().expose_secret(), "rotated");
}

#[test]
fn wrong_passphrase_is_clear_and_the_right_one_still_works() {
    let (_dir, path, vault) = fresh();
    drop(vault);
    let err = Vault::open(&path).unwrap().unlock(&pass("nope")).err().unwrap();
    assert_eq!(err.to_string(), "wrong passphrase");
    Vault::open(&path).unwrap().unlock(&pass("correct horse")).unwrap();
}

#[test]
fn a_flipped_ciphertext_byte_fails_that_secret_only() {
    let (_dir, path, mut vault) = fresh();
    for key in ["A", "B", "C"] {
        vault.set(&name(key), &pass(&format!("{key}-value")), &SecretFields::default()).unwrap();
    }
    drop(vault);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mut sealed: Vec<u8> = conn
        .query_row(
            "SELECT ciphertext FROM versions JOIN secrets ON id = secret_id WHERE name = 'B'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let at = sealed.len() - 5;
    sealed[at] ^= 0x01;
    conn.execute(
        "UPDATE versions SET ciphertext = ?1 WHERE secret_id = (SELECT id FROM secrets WHERE name = 'B')",
        [&sealed],
    )
    .unwrap();
    drop(conn);

    let mut vault = Vault::open(&path).unwrap().unlock(&pass("correct horse")).unwrap();
    let err = vault.reveal(&name("B"), Access::Reveal).unwrap_err();
    assert!(matches!(err, Error::Tampered(ref what) if what == "version 1 of B"), "{err}");
    assert_eq!(err.kind(), ErrorKind::Corrupt);
    assert_eq!(vault.reveal(&name("A"), Access::Reveal).unwrap().expose_secret(), "A-value");
    assert_eq!(vault.reveal(&name("C"), Access::Reveal).unwrap().expose_secret(), "C-value");
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let (_dir, path, vault) = fresh();
    drop(vault);
    rusqlite::Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = Vault::open(&path).err().unwrap();
    assert!(matches!(err, Error::TooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("newer Keyhaven"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn garbage_empty_and_truncated_files_are_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.sqlite");
    std::fs::write(&garbage, b"this is not a database, just some bytes ".repeat(200)).unwrap();
    let empty = dir.path().join("empty.sqlite");
    std::fs::write(&empty, b"").unwrap();

    let (_vault_dir, path, mut vault) = fresh();
    for i in 0..300 {
        vault.set(&name(&format!("K{i}")), &pass("some value"), &SecretFields::default()).unwrap();
    }
    drop(vault);
    let full = std::fs::read(&path).unwrap();
    let truncated = dir.path().join("truncated.sqlite");
    std::fs::write(&truncated, &full[..full.len() / 3]).unwrap();

    for path in [&garbage, &empty, &truncated] {
        let before = std::fs::read(path).unwrap();
        let outcome = Vault::open(path).and_then(|vault| vault.list());
        let err = outcome.err().unwrap_or_else(|| panic!("{} opened", path.display()));
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{}: {err}", path.display());
        assert_eq!(std::fs::read(path).unwrap(), before, "{} changed", path.display());
    }
}

#[test]
fn import_is_all_or_nothing_and_reports_each_name() {
    let (_dir, _path, mut vault) = fresh();
    vault.set(&name("KEEP"), &pass("old"), &SecretFields::default()).unwrap();
    let entries = vec![(name("KEEP"), pass("new")), (name("NEW"), pass("n1")), (name("NEW"), pass("n2"))];
    let report = vault.import(entries.clone(), false, &|_| {}).unwrap();
    assert_eq!((report.added.len(), report.skipped.len()), (1, 1));
    assert_eq!(vault.reveal(&name("KEEP"), Access::Reveal).unwrap().expose_secret(), "old");
    assert_eq!(vault.reveal(&name("NEW"), Access::Reveal).unwrap().expose_secret(), "n2");

    let report = vault.import(entries, true, &|_| {}).unwrap();
    assert_eq!(report.updated.len(), 2);
    assert_eq!(vault.reveal(&name("KEEP"), Access::Reveal).unwrap().expose_secret(), "new");

    let too_big = vec![(name("FINE"), pass("ok")), (name("HUGE"), pass(&"x".repeat(70_000)))];
    assert_eq!(vault.import(too_big, false, &|_| {}).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(vault.meta(&name("FINE")).unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn the_audit_log_records_actions_without_values() {
    let (_dir, path, mut vault) = fresh();
    vault.set(&name("AUDITED"), &pass("planted-audit-value"), &SecretFields::default()).unwrap();
    vault.reveal(&name("AUDITED"), Access::Copy).unwrap();
    vault.rotate(&name("AUDITED"), &pass("planted-audit-value-2")).unwrap();
    vault.remove(&name("AUDITED")).unwrap();
    let actions: Vec<_> = vault.audit_log(10).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["init", "set", "copy", "rotate", "rm"]);
    drop(vault);
    let raw = std::fs::read(&path).unwrap();
    assert!(!raw.windows(19).any(|w| w == b"planted-audit-value"));
}

#[test]
fn calibration_never_goes_below_the_recommended_floor() {
    let params = KdfParams::calibrate(std::time::Duration::from_millis(1)).unwrap();
    assert_eq!(params, KdfParams::RECOMMENDED);
}

#[test]
fn pinning_needs_the_key_and_lasts() {
    let (_dir, path, mut vault) = fresh();
    vault.set(&name("API_KEY"), &pass("v1"), &SecretFields::default()).unwrap();
    assert!(vault.set_pinned(&name("API_KEY"), true).unwrap().pinned);
    assert!(matches!(vault.set_pinned(&name("MISSING"), true), Err(Error::NotFound { .. })));
    drop(vault);
    let locked = Vault::open(&path).unwrap();
    assert!(locked.meta(&name("API_KEY")).unwrap().pinned);
    assert_eq!(locked.pinned().unwrap().len(), 1);
    let mut vault = locked.unlock(&pass("correct horse")).unwrap();
    assert!(!vault.set_pinned(&name("API_KEY"), false).unwrap().pinned);
    assert_eq!(vault.reveal(&name("API_KEY"), Access::Reveal).unwrap().expose_secret(), "v1");
}

#[test]
fn editing_metadata_changes_only_what_is_given_and_keeps_the_value_and_version() {
    use keyhaven_core::secret::MetaEdit;
    let (_dir, path, mut vault) = fresh();
    let fields = SecretFields {
        description: Some("the API key".into()),
        category: Some("provider".into()),
        rotate_by: Some("2027-01-31".parse().unwrap()),
    };
    vault.set(&name("API_KEY"), &pass("v1-value"), &fields).unwrap();
    let meta = vault
        .edit(&name("API_KEY"), &MetaEdit { category: Some("llm".into()), ..MetaEdit::default() })
        .unwrap();
    assert_eq!((meta.category.as_str(), meta.description.as_str()), ("llm", "the API key"));
    assert_eq!((meta.version, meta.rotate_by), (1, Some("2027-01-31".parse().unwrap())));
    let meta = vault
        .edit(
            &name("API_KEY"),
            &MetaEdit { description: Some(String::new()), rotate_by: Some(None), ..MetaEdit::default() },
        )
        .unwrap();
    assert_eq!((meta.description.as_str(), meta.rotate_by), ("", None));
    let long = MetaEdit { description: Some("x".repeat(100_000)), ..MetaEdit::default() };
    assert!(matches!(vault.edit(&name("API_KEY"), &long), Err(Error::Invalid { .. })));
    assert!(matches!(vault.edit(&name("MISSING"), &MetaEdit::default()), Err(Error::NotFound { .. })));
    drop(vault);
    let mut vault = Vault::open(&path).unwrap().unlock(&pass("correct horse")).unwrap();
    vault.verify().unwrap();
    assert_eq!(vault.reveal(&name("API_KEY"), Access::Reveal).unwrap().expose_secret(), "v1-value");
    let actions: Vec<_> = vault.audit_log(2).unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"edit".to_owned()), "{actions:?}");
}

#[test]
fn renaming_moves_every_version_and_the_metadata_and_leaves_a_tombstone() {
    let (_dir, path, mut vault) = fresh();
    let fields = SecretFields { category: Some("provider".into()), ..SecretFields::default() };
    vault.set(&name("OLD_KEY"), &pass("first-value"), &fields).unwrap();
    vault.rotate(&name("OLD_KEY"), &pass("second-value")).unwrap();
    vault.set_pinned(&name("OLD_KEY"), true).unwrap();
    let before = vault.history(&name("OLD_KEY")).unwrap();
    let meta = vault.rename(&name("OLD_KEY"), &name("NEW_KEY")).unwrap();
    assert_eq!((meta.version, meta.category.as_str(), meta.pinned), (2, "provider", true));
    drop(vault);
    let mut vault = Vault::open(&path).unwrap().unlock(&pass("correct horse")).unwrap();
    vault.verify().unwrap();
    assert_eq!(vault.reveal(&name("NEW_KEY"), Access::Reveal).unwrap().expose_secret(), "second-value");
    let reference = "keyhaven:NEW_KEY@1".parse().unwrap();
    assert_eq!(vault.resolve(&reference, Access::Reveal).unwrap().expose_secret(), "first-value");
    let after = vault.history(&name("NEW_KEY")).unwrap();
    let times = |history: &[keyhaven_core::VersionMeta]| {
        history.iter().map(|v| (v.version, v.created, v.origin.clone())).collect::<Vec<_>>()
    };
    assert_eq!(times(&after), times(&before), "each version keeps its number, time and origin");
    assert!(matches!(vault.reveal(&name("OLD_KEY"), Access::Reveal), Err(Error::NotFound { .. })));
    let removed: Vec<_> = vault.list_removed().unwrap().into_iter().map(|m| m.name.to_string()).collect();
    assert_eq!(removed, ["OLD_KEY"]);

    // The old name is taken by its tombstone until purged; a live name is taken outright.
    vault.set(&name("OTHER"), &pass("other-value"), &SecretFields::default()).unwrap();
    assert!(matches!(vault.rename(&name("OTHER"), &name("NEW_KEY")), Err(Error::AlreadyExists(_))));
    let refused = vault.rename(&name("OTHER"), &name("OLD_KEY")).unwrap_err().to_string();
    assert!(refused.contains("a removed secret still holds OLD_KEY"), "{refused}");
    vault.purge().unwrap();
    vault.rename(&name("OTHER"), &name("OLD_KEY")).unwrap();
    vault.verify().unwrap();
}

#[test]
fn reminders_name_secrets_due_and_remote_keys_wanting_replacement_and_rotating_settles_one() {
    use keyhaven_core::{
        reminder::Reminders,
        remote::{Kind, RemoteConfig},
        secret::Rotation,
    };
    let (_dir, path, mut vault) = fresh();
    let today = jiff::Zoned::now().date();
    let in_days = |days: i64| today.checked_add(jiff::Span::new().days(days)).unwrap();
    for (secret, by) in [
        ("PAST", Some(in_days(-30))),
        ("SOON", Some(in_days(5))),
        ("LATER", Some(in_days(8))),
        ("NONE", None),
    ] {
        let fields = SecretFields { rotate_by: by, ..SecretFields::default() };
        vault.set(&name(secret), &pass("v"), &fields).unwrap();
    }
    let config = RemoteConfig::new("prod", Kind::Runloop, "https://api.runloop.ai", None).unwrap();
    vault.add_remote(&config, &pass("tok-reminder")).unwrap();
    vault.set_remote_expiry("prod", Some(in_days(-1))).unwrap();
    drop(vault);

    // Read locked, as the tray and the notification read it.
    let locked = Vault::open(&path).unwrap();
    let due = Reminders::gather(&locked, today).unwrap();
    assert_eq!(
        due.secrets,
        [
            (name("PAST"), Rotation::Overdue { by: in_days(-30) }),
            (name("SOON"), Rotation::Soon { by: in_days(5), days: 5 })
        ]
    );
    assert_eq!(due.keys.len(), 1);
    assert_eq!(due.headline(), "3 keys due for rotation");
    let lines = due.lines();
    assert_eq!(lines[0], format!("PAST: due for rotation since {}", in_days(-30)));
    assert!(lines[2].starts_with("remote prod: its key expired on"), "{lines:?}");

    // Rotating moves a reminder that had come 90 days on (or to the date
    // given); one not yet come stays.
    let mut vault = locked.unlock(&pass("correct horse")).unwrap();
    assert_eq!(vault.rotate(&name("PAST"), &pass("v2")).unwrap().rotate_by, Some(in_days(90)));
    let given = in_days(400);
    assert_eq!(vault.rotate_with(&name("SOON"), &pass("v2"), Some(given)).unwrap().rotate_by, Some(given));
    assert_eq!(vault.rotate(&name("LATER"), &pass("v2")).unwrap().rotate_by, Some(in_days(8)));
    assert_eq!(vault.rotate(&name("NONE"), &pass("v2")).unwrap().rotate_by, None);
    assert_eq!(Reminders::gather(&vault, today).unwrap().secrets, []);
}

#[test]
fn an_ssh_keys_private_part_is_never_shown_or_copied_and_its_agent_switch_is_kept() {
    use keyhaven_core::ssh::{KeyType, NewKey};
    let (_dir, path, mut vault) = fresh();
    let key = NewKey::generate(KeyType::Ed25519, "me@laptop").unwrap();
    let info = vault.add_ssh_key(&name("DEPLOY_KEY"), &key, &SecretFields::default(), "test").unwrap();
    assert!(
        info.settings.agent
            && info.fingerprint.starts_with("SHA256:")
            && info.public_key.ends_with(" me@laptop")
    );
    for access in [Access::Show, Access::Copy] {
        let err = vault.reveal(&name("DEPLOY_KEY"), access).unwrap_err();
        assert!(err.to_string().contains("never shown or copied"), "{err}");
    }
    // Asked for by name (`keyhaven get`), it is the OpenSSH key the agent signs with.
    let text = vault.reveal(&name("DEPLOY_KEY"), Access::Reveal).unwrap();
    assert!(text.expose_secret().starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
    let private = vault.ssh_private_key(&name("DEPLOY_KEY")).unwrap();
    assert_eq!(private.public_key().to_openssh().unwrap(), info.public_key);

    vault.set_ssh_settings(&name("DEPLOY_KEY"), "agent off", |settings| settings.agent = false).unwrap();
    vault.verify().unwrap();
    let locked = Vault::open(&path).unwrap().ssh_keys().unwrap();
    assert_eq!((locked.len(), locked[0].settings.agent), (1, false));
    assert!(matches!(
        vault.add_ssh_key(&name("DEPLOY_KEY"), &key, &SecretFields::default(), "test"),
        Err(Error::AlreadyExists(_))
    ));
}

#[test]
fn a_programs_items_are_versioned_found_locked_and_written_only_as_items() {
    use keyhaven_core::item::{Attributes, ItemValue, NewItem};
    let (_dir, path, mut vault) = fresh();
    let attributes: Attributes =
        [("service".into(), "gh".into()), ("username".into(), "alice".into())].into();
    let new = |label: &str| NewItem {
        collection: "login".into(),
        label: label.into(),
        attributes: attributes.clone(),
        content_type: "text/plain".into(),
    };
    let value = |bytes: &[u8]| ItemValue::new(bytes.to_vec()).unwrap();
    let (first, _) = vault.store_item(&new("gh: github.com"), &value(b"token-1"), true, "test").unwrap();
    assert_eq!(first.name.as_str(), "GH_GITHUB_COM");
    // The same attributes with replace: a new version of the same item.
    let (again, _) = vault.store_item(&new("gh again"), &value(b"\x00\xffbytes"), true, "test").unwrap();
    assert_eq!((again.id, again.label.as_str()), (first.id, "gh again"));
    assert_eq!(vault.history(&first.name).unwrap().len(), 2);
    let (_, read) = vault.read_item(first.id, "test reader").unwrap();
    assert_eq!(read.bytes(), b"\x00\xffbytes");
    // Without replace: another item, under a name of its own.
    let (other, _) = vault.store_item(&new("gh: github.com"), &value(b"token-2"), false, "test").unwrap();
    assert_eq!(other.name.as_str(), "GH_GITHUB_COM_2");

    // Found while locked; never rotated or set as text.
    let locked = Vault::open(&path).unwrap();
    assert_eq!(locked.items().unwrap().iter().filter(|item| item.matches(&attributes)).count(), 2);
    let err = vault.rotate(&first.name, &pass("text now")).unwrap_err();
    assert!(err.to_string().contains("a program stored"), "{err}");
    vault.edit_item(other.id, Some("relabelled"), None, Some(true)).unwrap();
    assert!(Vault::open(&path).unwrap().item(other.id).unwrap().unwrap().always_ask);
    vault.verify().unwrap();
    vault.remove_item(other.id).unwrap();
    assert!(Vault::open(&path).unwrap().item(other.id).unwrap().is_none());
    let log = vault.audit_log(20).unwrap();
    assert!(
        log.iter().any(|entry| entry.action == "reveal" && entry.detail.as_deref() == Some("test reader"))
    );

    // A collection is a folder of this vault.
    let made = vault.create_collection("Work").unwrap();
    assert_eq!(made.id, "work");
    assert!(
        vault
            .store_item(&NewItem { collection: "nope".into(), ..new("x") }, &value(b"v"), false, "t")
            .is_err()
    );
    vault
        .store_item(&NewItem { collection: "work".into(), ..new("in work") }, &value(b"v"), false, "t")
        .unwrap();
    assert_eq!(vault.remove_collection("work").unwrap(), 1);
    assert_eq!(vault.item_collections().unwrap().len(), 1);
    vault.verify().unwrap();
}
