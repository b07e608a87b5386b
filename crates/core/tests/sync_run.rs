//! `sync::run` against the real emulator: each remote syncs on its own, a
//! refused key fails only its remote and says how to mend it, and a key
//! replaced with `set_remote_token` keeps every sync state.

mod common;

use common::emulator::Emulator;
use keyhaven_core::{
    Error, KdfParams, SecretName, UnlockedVault, Vault,
    remote::{Kind, RemoteConfig},
    secret::SecretFields,
    sync::{self, Action, Quiet, RemoteOutcome, Status, SyncOptions, SyncReport},
};
use secrecy::SecretString;
use serde_json::json;

fn name(text: &str) -> SecretName {
    SecretName::parse(text).unwrap()
}

/// Values long enough for Runtype (8 to 10,000 characters).
fn value(text: &str) -> SecretString {
    SecretString::from(format!("value-{text}-0123456789"))
}

/// A vault with `secrets` secrets and one remote per dialect, each with a key of its own.
fn setup(emulator: &Emulator, secrets: usize) -> (tempfile::TempDir, UnlockedVault) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let mut vault = Vault::create(&path, &"pw".into(), KdfParams::custom(8, 1).unwrap()).unwrap();
    for i in 0..secrets {
        vault.set(&name(&format!("KEY_{i}")), &value(&i.to_string()), &SecretFields::default()).unwrap();
    }
    for kind in Kind::ALL {
        let token = format!("rt_live_{kind}");
        emulator.add_token(&token, json!({}));
        let config = RemoteConfig::new(kind.as_str(), kind, &emulator.url(kind), None).unwrap();
        vault.add_remote(&config, &token.into()).unwrap();
    }
    (dir, vault)
}

fn run(vault: &mut UnlockedVault) -> Vec<RemoteOutcome> {
    sync::run(vault, None, &SyncOptions::default(), &mut Quiet).unwrap()
}

fn report(outcome: &RemoteOutcome) -> &SyncReport {
    match &outcome.result {
        Ok(Some(report)) => report,
        other => panic!("{}: {other:?}", outcome.remote),
    }
}

#[test]
fn a_revoked_key_fails_its_remote_only_and_the_others_converge() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 4);
    emulator.revoke_token("rt_live_runtype");

    let outcomes = run(&mut vault);
    assert_eq!(outcomes.len(), 3);
    for outcome in &outcomes {
        if outcome.remote == "runtype" {
            let err = outcome.result.as_ref().unwrap_err();
            assert!(matches!(err, Error::KeyRefused { .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.contains("remote runtype refused its API key"), "{text}");
            assert!(text.contains("revoked") && text.contains("keyhaven remote set-token runtype"), "{text}");
            assert!(outcome.failed());
        } else {
            assert!(report(outcome).is_clean(), "{outcome:?}");
        }
    }
    assert_eq!(emulator.secrets(Kind::Runloop).len(), 4);
    assert_eq!(emulator.secrets(Kind::Runtools).len(), 4);
    assert_eq!(emulator.secrets(Kind::Runtype).len(), 0);
    let shortfall = sync::shortfall(&outcomes).unwrap();
    assert!(shortfall.starts_with("1 of 3 remote(s) did not sync: runtype"), "{shortfall}");
}

#[test]
fn a_key_replaced_after_revoking_the_old_one_syncs_with_no_conflict() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 3);
    assert!(sync::shortfall(&run(&mut vault)).is_none());

    // The docs' rotation: a new key, then the old one revoked. Meanwhile a
    // secret is rotated here.
    emulator.add_token("rt_live_runtype_2", json!({}));
    emulator.revoke_token("rt_live_runtype");
    vault.rotate(&name("KEY_1"), &value("rotated")).unwrap();
    let outcomes = sync::run(&mut vault, Some("runtype"), &SyncOptions::default(), &mut Quiet).unwrap();
    assert!(outcomes[0].failed());

    vault.set_remote_token("runtype", &"rt_live_runtype_2".into(), None).unwrap();
    let outcomes = sync::run(&mut vault, Some("runtype"), &SyncOptions::default(), &mut Quiet).unwrap();
    let report = report(&outcomes[0]);
    assert!(report.is_clean(), "{report:?}");
    let steps: Vec<_> = report.steps.iter().map(|s| (s.step.name.as_str(), s.step.action.label())).collect();
    assert_eq!(steps, [("KEY_1", "update")], "only the rotation travels; nothing conflicts");
    assert_eq!(report.steps[0].status, Status::Done);
    let info = vault.remote("runtype").unwrap();
    assert_eq!(info.conflicts, 0);
    assert_eq!(info.token_mode.as_deref(), Some("live"));
}

#[test]
fn an_expired_key_is_refused_and_a_read_only_key_fails_each_write_with_advice() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 2);
    emulator.add_token("rt_live_runloop", json!({ "expires_at": 1 }));
    emulator.add_token("rt_live_runtype", json!({ "read_only": true }));

    let outcomes = run(&mut vault);
    let runloop = outcomes.iter().find(|o| o.remote == "runloop").unwrap();
    let text = runloop.result.as_ref().unwrap_err().to_string();
    assert!(text.contains("has expired") && text.contains("set-token runloop"), "{text}");

    let runtype = report(outcomes.iter().find(|o| o.remote == "runtype").unwrap());
    assert_eq!(runtype.failures(), 2);
    for step in &runtype.steps {
        assert!(matches!(step.step.action, Action::Create { .. }));
        let Status::Failed(err) = &step.status else { panic!("{step:?}") };
        assert!(err.contains("403") && err.contains("read-only"), "{err}");
    }
    assert!(report(outcomes.iter().find(|o| o.remote == "runtools").unwrap()).is_clean());
}

#[test]
fn set_token_checks_the_token_and_keeps_the_key_dates() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 0);
    let err = vault.set_remote_token("runtype", &"two words".into(), None).unwrap_err();
    assert!(err.to_string().contains("printable ASCII"), "{err}");
    let expires = jiff::civil::date(2031, 1, 31);
    vault.set_remote_token("runtype", &"rt_test_new".into(), Some(expires)).unwrap();
    let info = vault.remote("runtype").unwrap();
    assert_eq!(info.key.expires, Some(expires));
    assert_eq!(info.key.days, 0);
    assert_eq!(info.token_mode.as_deref(), Some("test"));
    vault.verify().unwrap();
    assert!(matches!(vault.set_remote_token("nope", &"t".into(), None), Err(Error::NoRemote(_))));
}
