//! `sync::run` against the real emulator: each remote syncs on its own, a
//! refused key fails only its remote and says how to mend it, and a key
//! replaced with `set_remote_token` keeps every sync state.

mod common;

use common::emulator::Emulator;
use keyhaven_core::{
    Error, KdfParams, SecretName, UnlockedVault, Vault,
    remote::{Kind, RemoteConfig, Scope},
    secret::SecretFields,
    sync::{self, AcceptNew, Action, Keep, Quiet, RemoteOutcome, Selection, Status, SyncOptions, SyncReport},
    vault::Access,
};
use secrecy::{ExposeSecret, SecretString};
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
    for kind in Kind::HOSTED {
        let token = format!("rt_live_{kind}");
        emulator.add_token(&token, json!({}));
        let config = RemoteConfig::new(kind.as_str(), kind, &emulator.url(kind), None).unwrap();
        vault.add_remote(&config, &token.into()).unwrap();
        vault.set_remote_selection(kind.as_str(), &Selection::everything()).unwrap();
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
    // A test key sees the sandbox, not what this remote synced with.
    let err = vault.set_remote_token("runtype", &"rt_test_new".into(), None).unwrap_err().to_string();
    assert!(err.contains("runtype has a live key and this one is test"), "{err}");
    let expires = jiff::civil::date(2031, 1, 31);
    vault.set_remote_token("runtype", &"rt_live_new".into(), Some(expires)).unwrap();
    let info = vault.remote("runtype").unwrap();
    assert_eq!(info.key.expires, Some(expires));
    assert_eq!(info.key.days, 0);
    assert_eq!(info.token_mode.as_deref(), Some("live"));
    vault.verify().unwrap();
    assert!(matches!(vault.set_remote_token("nope", &"t".into(), None), Err(Error::NoRemote { .. })));
}

/// A vault of ten secrets, two of them providers, and an org-scope RunTools remote.
fn org_remote(emulator: &Emulator) -> (tempfile::TempDir, UnlockedVault) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let mut vault = Vault::create(&path, &"pw".into(), KdfParams::custom(8, 1).unwrap()).unwrap();
    for i in 0..8 {
        vault.set(&name(&format!("PERSONAL_{i}")), &value(&i.to_string()), &SecretFields::default()).unwrap();
    }
    let provider = |description: &str| SecretFields {
        category: Some("provider".into()),
        description: Some(description.into()),
        ..SecretFields::default()
    };
    vault.set(&name("OPENAI_API_KEY"), &value("openai"), &provider("OpenAI, team account")).unwrap();
    vault.set(&name("ANTHROPIC_API_KEY"), &value("anthropic"), &provider("Anthropic, team account")).unwrap();
    emulator.add_token("rt_live_admin", json!({ "admin": true }));
    let config =
        RemoteConfig::new("org", Kind::Runtools, &emulator.url(Kind::Runtools), Some(Scope::Org)).unwrap();
    vault.add_remote(&config, &"rt_live_admin".into()).unwrap();
    (dir, vault)
}

fn org_names(emulator: &Emulator) -> Vec<String> {
    let mut names: Vec<String> = emulator
        .secrets(Kind::Runtools)
        .iter()
        .filter(|s| s["owner"] == "org")
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_new_remote_gets_nothing_until_chosen_then_exactly_what_is_chosen() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = org_remote(&emulator);

    let outcomes = run(&mut vault);
    let first = report(&outcomes[0]);
    assert!(first.steps.is_empty(), "{first:?}");
    assert_eq!(first.unselected, 10);
    assert!(first.nothing_chosen && first.warnings.is_empty(), "{:?}", first.warnings);
    assert_eq!(first.sentence(), "nothing is chosen to sync with it yet, so nothing was sent");
    assert!(emulator.secrets(Kind::Runtools).is_empty());

    let selection = Selection::new(vec![], vec!["provider".into()], vec![]).unwrap();
    vault.set_remote_selection("org", &selection).unwrap();
    assert!(report(&run(&mut vault)[0]).is_clean());
    assert_eq!(org_names(&emulator), ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"]);

    // Rotations travel for chosen names only; a name taken out is left as it is there.
    vault.rotate(&name("OPENAI_API_KEY"), &value("openai-2")).unwrap();
    vault.rotate(&name("PERSONAL_1"), &value("personal-2")).unwrap();
    vault.choose_for_remote("org", &name("ANTHROPIC_API_KEY"), false).unwrap();
    vault.rotate(&name("ANTHROPIC_API_KEY"), &value("anthropic-2")).unwrap();
    let second = run(&mut vault);
    let steps: Vec<_> =
        report(&second[0]).steps.iter().map(|s| (s.step.name.to_string(), s.step.action.label())).collect();
    assert_eq!(steps, [("OPENAI_API_KEY".to_owned(), "update")]);
    assert_eq!(org_names(&emulator), ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"]);
    let held = |name: &str| emulator.secrets(Kind::Runtools).into_iter().find(|s| s["name"] == name).unwrap();
    assert_eq!(
        held("ANTHROPIC_API_KEY")["value"],
        "value-anthropic-0123456789",
        "a name taken out is not updated"
    );
    // The rotation kept the metadata: RunTools upserts overwrite it, so it is always sent.
    let openai = held("OPENAI_API_KEY");
    assert_eq!(openai["value"], "value-openai-2-0123456789");
    assert_eq!(openai["category"], "provider");
    assert_eq!(openai["description"], "OpenAI, team account");

    let remotes = vault.secret_remotes(&name("OPENAI_API_KEY")).unwrap();
    assert_eq!(remotes.len(), 1);
    assert!(remotes[0].chosen && remotes[0].shared_with_org);
    assert!(!vault.secret_remotes(&name("PERSONAL_1")).unwrap()[0].chosen);
}

#[test]
fn prune_and_pull_stay_within_the_selection() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = org_remote(&emulator);
    vault.set_remote_selection("org", &Selection::everything()).unwrap();
    assert!(report(&run(&mut vault)[0]).is_clean());
    assert_eq!(org_names(&emulator).len(), 10);

    // Narrowed to providers: a removal here of an unchosen name is not pruned there.
    let providers = Selection::new(vec![], vec!["provider".into()], vec![]).unwrap();
    vault.set_remote_selection("org", &providers).unwrap();
    vault.remove(&name("PERSONAL_0")).unwrap();
    let options = SyncOptions { prune: true, pull: true, ..SyncOptions::default() };
    let outcomes = sync::run(&mut vault, None, &options, &mut Quiet).unwrap();
    assert!(report(&outcomes[0]).is_clean());
    assert_eq!(org_names(&emulator).len(), 10);
}

#[test]
fn a_selection_widened_in_the_file_is_refused_and_a_deleted_one_chooses_nothing() {
    let emulator = Emulator::start();
    let (dir, mut vault) = org_remote(&emulator);
    let providers = Selection::new(vec![], vec!["provider".into()], vec![]).unwrap();
    vault.set_remote_selection("org", &providers).unwrap();
    let file = rusqlite::Connection::open(dir.path().join("vault.sqlite")).unwrap();

    file.execute(r#"UPDATE remote_settings SET selection = '{"include":["*"]}'"#, []).unwrap();
    let outcomes = run(&mut vault);
    let err = outcomes[0].result.as_ref().unwrap_err();
    assert!(matches!(err, Error::Tampered(_)), "{err:?}");
    assert!(err.to_string().contains("the settings of remote org"), "{err}");
    assert!(emulator.secrets(Kind::Runtools).is_empty(), "nothing was sent");

    file.execute("DELETE FROM remote_settings", []).unwrap();
    let outcomes = run(&mut vault);
    assert!(report(&outcomes[0]).steps.is_empty());
    assert!(emulator.secrets(Kind::Runtools).is_empty(), "nothing was sent");
}

#[test]
fn metadata_travels_is_never_reset_and_a_remote_change_is_shown_not_copied() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 0);
    let fields = SecretFields {
        category: Some("tool".into()),
        description: Some("CI deploy key".into()),
        ..SecretFields::default()
    };
    vault.set(&name("DEPLOY_KEY"), &value("deploy"), &fields).unwrap();
    vault.set(&name("PLAIN_KEY"), &value("plain"), &SecretFields::default()).unwrap();
    assert!(sync::shortfall(&run(&mut vault)).is_none());
    let runtype = emulator.secrets(Kind::Runtype);
    let deploy = runtype.iter().find(|s| s["key"] == "DEPLOY_KEY").unwrap();
    assert_eq!(deploy["description"], "CI deploy key");

    // Someone describes PLAIN_KEY and re-describes DEPLOY_KEY on RunTools.
    for (key, description) in [("PLAIN_KEY", "set on the remote"), ("DEPLOY_KEY", "renamed there")] {
        let body = json!({"name": key, "value": format!("value-{key}-remote"), "category": "custom", "description": description});
        emulator.call_as("rt_live_runtools", Kind::Runtools, "POST", "/v1/secrets", Some(body));
    }
    vault.rotate(&name("PLAIN_KEY"), &value("plain-2")).unwrap();
    let outcomes = sync::run(&mut vault, Some("runtools"), &SyncOptions::default(), &mut Quiet).unwrap();
    let report = report(&outcomes[0]);
    let shown = report.warnings.iter().find(|w| w.contains("another description or category")).unwrap();
    assert!(shown.contains("1 secret(s): DEPLOY_KEY"), "{shown}");
    // Not copied here.
    assert_eq!(vault.meta(&name("DEPLOY_KEY")).unwrap().description, "CI deploy key");
    assert_eq!(vault.meta(&name("PLAIN_KEY")).unwrap().description, "");
    // PLAIN_KEY's rotation (both changed: a conflict) left its remote metadata alone;
    // resolving with the local value keeps what only the remote had.
    let api = vault.connect("runtools").unwrap();
    sync::resolve(&mut vault, "runtools", api.as_ref(), &name("PLAIN_KEY"), Keep::Local, false).unwrap();
    let tools = emulator.secrets(Kind::Runtools);
    let plain = tools.iter().find(|s| s["name"] == "PLAIN_KEY").unwrap();
    assert_eq!(plain["value"], "value-plain-2-0123456789");
    assert_eq!(plain["description"], "set on the remote");
    assert_eq!(plain["category"], "custom");
}

/// `count` secrets here, and the same names already on `kind` with values
/// equal to ours for the first `equal` of them.
fn same_names_on_both(
    emulator: &Emulator,
    vault: &mut UnlockedVault,
    kind: Kind,
    count: usize,
    equal: usize,
) {
    for i in 0..count {
        let local = value(&format!("n{i}"));
        vault.set(&name(&format!("SHARED_{i:02}")), &local, &SecretFields::default()).unwrap();
        let theirs =
            if i < equal { format!("value-n{i}-0123456789") } else { format!("value-theirs-{i}-0123456789") };
        let (path, body) = match kind {
            Kind::Runtype => ("/v1/secrets", json!({"key": format!("SHARED_{i:02}"), "value": theirs})),
            _ => ("/v1/secrets", json!({"name": format!("SHARED_{i:02}"), "value": theirs})),
        };
        emulator.call_as(&format!("rt_live_{kind}"), kind, "POST", path, Some(body));
    }
}

#[test]
fn a_first_sync_links_equal_values_where_the_remote_reveals_them() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 0);
    same_names_on_both(&emulator, &mut vault, Kind::Runtools, 5, 3);
    let outcomes = sync::run(&mut vault, Some("runtools"), &SyncOptions::default(), &mut Quiet).unwrap();
    let report = report(&outcomes[0]);
    let labels: Vec<_> =
        report.steps.iter().map(|s| (s.step.name.to_string(), s.step.action.label())).collect();
    let link = "link (same value on both sides)";
    assert_eq!(
        labels,
        [
            ("SHARED_00".to_owned(), link),
            ("SHARED_01".to_owned(), link),
            ("SHARED_02".to_owned(), link),
            ("SHARED_03".to_owned(), "conflict"),
            ("SHARED_04".to_owned(), "conflict"),
        ]
    );
    assert_eq!(sync::conflicts(&vault).unwrap().len(), 2);
    // Linked is in sync: the next sync has nothing to do for them.
    let again = sync::run(&mut vault, Some("runtools"), &SyncOptions::default(), &mut Quiet).unwrap();
    assert_eq!(report_steps(&again[0]), ["SHARED_03: conflict", "SHARED_04: conflict"]);
}

fn report_steps(outcome: &RemoteOutcome) -> Vec<String> {
    report(outcome).steps.iter().map(|s| format!("{}: {}", s.step.name, s.step.action.label())).collect()
}

#[test]
fn resolving_takes_the_outbox_path_so_a_lost_answer_never_creates_twice() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 3);
    assert!(
        sync::shortfall(
            &sync::run(&mut vault, Some("runloop"), &SyncOptions::default(), &mut Quiet).unwrap()
        )
        .is_none()
    );
    // Changed here, removed there: each a conflict.
    for i in 0..3 {
        vault.rotate(&name(&format!("KEY_{i}")), &value(&format!("here-{i}"))).unwrap();
        emulator.call(Kind::Runloop, "POST", &format!("/v1/secrets/KEY_{i}/delete"), None);
    }
    let outcomes = sync::run(&mut vault, Some("runloop"), &SyncOptions::default(), &mut Quiet).unwrap();
    assert_eq!(report(&outcomes[0]).conflicts(), 3);

    // Every other answer is lost after the create was applied: retries reuse
    // the queued request id, so nothing is made twice.
    emulator.faults(Kind::Runloop, json!({"drop_rate": 0.5}));
    // Quick, many retries: with half the answers lost, the default six could all miss.
    let patient = keyhaven_core::remote::RetryPolicy {
        attempts: 30,
        base_delay: std::time::Duration::from_millis(2),
        max_delay: std::time::Duration::from_millis(20),
        timeout: std::time::Duration::from_secs(10),
        deadline: std::time::Duration::from_secs(60),
    };
    let config = RemoteConfig::new("runloop", Kind::Runloop, &emulator.url(Kind::Runloop), None).unwrap();
    let api = keyhaven_core::remote::connect(&config, "rt_live_runloop".into(), patient).unwrap();
    let report = sync::resolve_many(&mut vault, "runloop", api.as_ref(), &[], Keep::Local, false).unwrap();
    emulator.faults(Kind::Runloop, json!({}));
    assert!(report.steps.iter().all(|s| s.status == Status::Done), "{report:?}");
    assert_eq!(vault.remote("runloop").unwrap().pending, 0, "each write left the outbox as it landed");
    assert!(sync::conflicts(&vault).unwrap().is_empty());
    let mut values: Vec<String> =
        emulator.secrets(Kind::Runloop).iter().map(|s| s["value"].as_str().unwrap().to_owned()).collect();
    values.sort();
    assert_eq!(values, ["value-here-0-0123456789", "value-here-1-0123456789", "value-here-2-0123456789"]);
    let again = sync::run(&mut vault, Some("runloop"), &SyncOptions::default(), &mut Quiet).unwrap();
    assert!(report_steps(&again[0]).is_empty());
}

#[test]
fn a_secret_revoked_on_runtype_is_not_shown_in_sync_and_a_rotation_mends_it() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 2);
    let runtype = |vault: &mut UnlockedVault| {
        sync::run(vault, Some("runtype"), &SyncOptions::default(), &mut Quiet).unwrap().remove(0)
    };
    assert!(report(&runtype(&mut vault)).is_clean());
    let url = format!("{}/_emulator/runtype/secrets/KEY_1/revoke", emulator.url(Kind::Runtype));
    reqwest::blocking::Client::new().post(url).send().unwrap().error_for_status().unwrap();

    let outcome = runtype(&mut vault);
    let warnings = &report(&outcome).warnings;
    assert!(warnings.iter().any(|w| w.starts_with("revoked on runtype: KEY_1;")), "{warnings:?}");
    let marks = sync::overview(&vault, &sync::Choosers::of(&vault).unwrap()).unwrap();
    let key_1 = marks.iter().find(|m| m.name.as_str() == "KEY_1" && m.remote == "runtype").unwrap();
    assert_eq!(key_1.state, sync::SyncState::Revoked, "revoked, not 'changed remotely': {key_1:?}");
    let not_here = sync::not_on_device(&vault).unwrap();
    assert_eq!(not_here, [("runtype".to_owned(), name("KEY_1"), sync::NotHere::Revoked)]);

    vault.rotate(&name("KEY_1"), &value("fresh")).unwrap();
    let outcome = runtype(&mut vault);
    assert_eq!(report_steps(&outcome), ["KEY_1: update"]);
    assert!(report(&outcome).is_clean());
    let key_1 = emulator.secrets(Kind::Runtype).into_iter().find(|s| s["key"] == "KEY_1").unwrap();
    assert_eq!(key_1["status"], "active");
    let marks = sync::overview(&vault, &sync::Choosers::of(&vault).unwrap()).unwrap();
    assert!(
        marks.iter().filter(|m| m.remote == "runtype").all(|m| m.state == sync::SyncState::Synced),
        "{marks:?}"
    );
}

#[test]
fn remote_check_tells_a_read_only_key_apart_without_writing() {
    let emulator = Emulator::start();
    let (_dir, vault) = setup(&emulator, 0);
    let check = |remote: &str| keyhaven_core::remote::check(vault.connect(remote).unwrap().as_ref()).unwrap();
    for kind in Kind::HOSTED {
        assert_eq!(check(kind.as_str()).writes, keyhaven_core::remote::WriteAccess::NotRefused, "{kind}");
    }
    emulator.add_token("rt_live_runtype", json!({ "read_only": true }));
    assert_eq!(check("runtype").writes, keyhaven_core::remote::WriteAccess::Refused);
    for kind in Kind::HOSTED {
        assert!(emulator.secrets(kind).is_empty(), "{kind}: nothing was written");
    }
    // Each operation Keyhaven needs, one by one: a read-only key lists and
    // reads, and may not write; RunTools also says whether it may reveal.
    let said = |remote: &str| -> Vec<String> {
        check(remote)
            .operations
            .iter()
            .map(|op| format!("{} {:?}", op.operation.as_str(), op.access))
            .collect()
    };
    assert_eq!(said("runtype"), ["list NotRefused", "read metadata NotRefused", "write Refused"]);
    assert_eq!(
        said("runtools"),
        ["list NotRefused", "read metadata NotRefused", "write NotRefused", "reveal NotRefused"]
    );
    emulator.add_token("rt_live_runtools", json!({ "read_only": true }));
    assert_eq!(said("runtools")[2], "write Refused");
}

#[test]
fn an_org_remote_reveals_what_its_keys_policy_allows_and_records_only_what_the_service_refuses() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = org_remote(&emulator);
    vault.set_remote_selection("org", &Selection::everything()).unwrap();
    for (name, value) in [("OPENAI_API_KEY", "value-org-0123456789"), ("SHARED_A", "a"), ("SHARED_B", "b")] {
        let body = json!({"name": name, "value": value, "orgWide": true});
        emulator.call_as("rt_live_admin", Kind::Runtools, "POST", "/v1/secrets", Some(body));
    }
    // SHARED_A's own org policy lets members reveal it; SHARED_B's does not.
    emulator.admin(
        "PUT",
        Kind::Runtools,
        "/runtools/secrets/SHARED_A/reveal",
        Some(json!({"members": true})),
    );
    // A member's key: org secrets are visible, their values only where the policy allows.
    emulator.add_token("rt_live_member", json!({}));
    vault.set_remote_token("org", &"rt_live_member".into(), None).unwrap();
    assert!(vault.connect("org").unwrap().capabilities().can_reveal, "reveal is up to the service");
    let pull = SyncOptions { pull: true, accept_new: AcceptNew::All, ..SyncOptions::default() };
    let outcomes = sync::run(&mut vault, None, &pull, &mut Quiet).unwrap();
    let steps = report_steps(&outcomes[0]);
    assert!(steps.contains(&"SHARED_A: pull".to_owned()), "{steps:?}");
    assert!(steps.contains(&"SHARED_B: record (value not on this device)".to_owned()), "{steps:?}");
    assert_eq!(vault.reveal(&name("SHARED_A"), Access::Copy).unwrap().expose_secret(), "a");
    assert!(vault.meta(&name("SHARED_B")).is_err(), "refused by the service: recorded, not here");

    // The conflict (on both sides, values differ) kept as the remote's: the member may not see it.
    let api = vault.connect("org").unwrap();
    sync::resolve(&mut vault, "org", api.as_ref(), &name("OPENAI_API_KEY"), Keep::Remote, false).unwrap();
    let marks = sync::overview(&vault, &sync::Choosers::of(&vault).unwrap()).unwrap();
    let mark = marks.iter().find(|m| m.name.as_str() == "OPENAI_API_KEY").unwrap();
    assert_eq!(mark.state, sync::SyncState::RemoteChanged, "recorded: the remote's value is not here");

    // A secret in sync on RunTools is shown in sync (its time marker is no revocation).
    assert_eq!(marks.iter().find(|m| m.name.as_str() == "SHARED_A").unwrap().state, sync::SyncState::Synced);

    // An org admin's key reveals them all.
    vault.set_remote_token("org", &"rt_live_admin".into(), None).unwrap();
    sync::run(&mut vault, None, &pull, &mut Quiet).unwrap();
    for (name_, value_) in [("OPENAI_API_KEY", "value-org-0123456789"), ("SHARED_B", "b")] {
        assert_eq!(vault.reveal(&name(name_), Access::Copy).unwrap().expose_secret(), value_);
    }
    assert!(
        sync::overview(&vault, &sync::Choosers::of(&vault).unwrap())
            .unwrap()
            .iter()
            .all(|m| m.state == sync::SyncState::Synced)
    );
}

/// The vault file, as an attacker who can write it edits it.
fn file(vault: &UnlockedVault) -> rusqlite::Connection {
    rusqlite::Connection::open(vault.path()).unwrap()
}

fn names_on(emulator: &Emulator, kind: Kind) -> Vec<String> {
    let mut names: Vec<String> =
        emulator.secrets(kind).iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    names
}

#[test]
fn conflict_rows_inserted_in_the_file_push_nothing_and_pull_no_new_name() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 0);
    vault.set(&name("CHOSEN_KEY"), &value("chosen"), &SecretFields::default()).unwrap();
    vault.set(&name("UNCHOSEN_KEY"), &value("unchosen"), &SecretFields::default()).unwrap();
    let chosen = Selection::new(vec!["CHOSEN_*".into()], vec![], vec![]).unwrap();
    for remote in ["runloop", "runtools"] {
        vault.set_remote_selection(remote, &chosen).unwrap();
    }
    run(&mut vault);
    // A name this vault never had, on a remote that reveals values.
    let foreign = json!({"name": "FOREIGN_KEY", "value": "value-foreign-0123456789"});
    emulator.call_as("rt_live_runtools", Kind::Runtools, "POST", "/v1/secrets", Some(foreign));
    let forge = |remote: &str, secret: &str| {
        file(&vault)
            .execute(
                "INSERT INTO conflicts (remote_id, name, reason, detected_ms)
                 SELECT id, ?2, 'changed here and on the remote since the last sync', 1 FROM remotes WHERE name = ?1",
                [remote, secret],
            )
            .unwrap();
    };
    forge("runloop", "UNCHOSEN_KEY");
    forge("runtools", "FOREIGN_KEY");

    let api = vault.connect("runloop").unwrap();
    let err = sync::resolve_many(&mut vault, "runloop", api.as_ref(), &[], Keep::Local, false).unwrap_err();
    assert!(matches!(err, Error::Tampered(_)), "{err}");
    assert!(err.to_string().contains("the conflict record of UNCHOSEN_KEY with runloop"), "{err}");
    assert_eq!(names_on(&emulator, Kind::Runloop), ["CHOSEN_KEY"], "nothing unchosen was pushed");

    let api = vault.connect("runtools").unwrap();
    let err = sync::resolve(&mut vault, "runtools", api.as_ref(), &name("FOREIGN_KEY"), Keep::Remote, false)
        .unwrap_err();
    assert!(matches!(err, Error::Tampered(_)), "{err}");
    assert!(matches!(vault.meta(&name("FOREIGN_KEY")), Err(Error::NotFound { .. })), "no name was pulled");
}

#[test]
fn a_conflict_left_after_its_secret_was_deselected_writes_nothing_when_resolved() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 0);
    same_names_on_both(&emulator, &mut vault, Kind::Runloop, 2, 0);
    sync::run(&mut vault, Some("runloop"), &SyncOptions::default(), &mut Quiet).unwrap();
    assert_eq!(sync::conflicts(&vault).unwrap().len(), 2, "Runloop cannot compare values");
    // SHARED_00 is taken out of the selection; its conflict was recorded while it was chosen.
    let only_one = Selection::new(vec!["SHARED_01".into()], vec![], vec![]).unwrap();
    vault.set_remote_selection("runloop", &only_one).unwrap();

    let api = vault.connect("runloop").unwrap();
    let err = sync::resolve(&mut vault, "runloop", api.as_ref(), &name("SHARED_00"), Keep::Local, false)
        .unwrap_err();
    assert!(err.to_string().contains("SHARED_00 is not chosen for this remote any more"), "{err}");
    let report = sync::resolve_many(&mut vault, "runloop", api.as_ref(), &[], Keep::Local, false).unwrap();
    let steps: Vec<String> = report
        .steps
        .iter()
        .map(|s| format!("{}: {} {:?}", s.step.name, s.step.action.label(), s.status))
        .collect();
    assert_eq!(steps, ["SHARED_00: held Planned", "SHARED_01: update Done"]);
    let values: Vec<(String, String)> = emulator
        .secrets(Kind::Runloop)
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_owned(), s["value"].as_str().unwrap().to_owned()))
        .collect();
    assert!(values.contains(&("SHARED_00".into(), "value-theirs-0-0123456789".into())), "{values:?}");
    assert!(values.contains(&("SHARED_01".into(), "value-n1-0123456789".into())), "{values:?}");
}

#[test]
fn sync_records_of_a_removed_remote_do_not_pass_for_the_one_that_reuses_its_row_id() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 2);
    sync::run(&mut vault, Some("runtools"), &SyncOptions::default(), &mut Quiet).unwrap();
    let id = |vault: &UnlockedVault| -> i64 {
        file(vault).query_row("SELECT id FROM remotes WHERE name = 'runtools'", [], |row| row.get(0)).unwrap()
    };
    let old_id = id(&vault);
    // Every column of the old remote's sync records, as stored.
    let records: Vec<Vec<rusqlite::types::Value>> = {
        let file = file(&vault);
        let mut stmt = file
            .prepare("SELECT name, remote_key, marker, local_version, in_sync, mac FROM sync_state WHERE remote_id = ?1")
            .unwrap();
        stmt.query_map([old_id], |r| (0..6).map(|at| r.get(at)).collect())
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(records.len(), 2);
    // The remote is removed and another added under the same name: SQLite gives it the same row id.
    vault.remove_remote("runtools").unwrap();
    let elsewhere = Emulator::start();
    elsewhere.add_token("rt_live_runtools", json!({}));
    let config = RemoteConfig::new("runtools", Kind::Runtools, &elsewhere.url(Kind::Runtools), None).unwrap();
    vault.add_remote(&config, &"rt_live_runtools".into()).unwrap();
    vault.set_remote_selection("runtools", &Selection::everything()).unwrap();
    assert_eq!(id(&vault), old_id, "the row id was reused");
    for record in &records {
        file(&vault)
            .execute(
                "INSERT INTO sync_state (remote_id, name, remote_key, marker, local_version, in_sync, mac)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![old_id, record[0], record[1], record[2], record[3], record[4], record[5]],
            )
            .unwrap();
    }

    // Taken as the new remote's, they would say both were synced and are gone there: prune deletes here.
    let options = SyncOptions { prune: true, ..SyncOptions::default() };
    let outcomes = sync::run(&mut vault, Some("runtools"), &options, &mut Quiet).unwrap();
    let err = outcomes[0].result.as_ref().unwrap_err();
    assert!(matches!(err, Error::Tampered(_)), "{err:?}");
    assert!(err.to_string().contains("the sync record of KEY_"), "{err}");
    assert_eq!(vault.list().unwrap().len(), 2, "nothing was removed here");
    assert!(elsewhere.secrets(Kind::Runtools).is_empty(), "nothing was sent");
}

#[test]
fn a_prune_asks_before_it_removes_secrets_here_as_before_it_deletes_there() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 2);
    sync::run(&mut vault, Some("runtools"), &SyncOptions::default(), &mut Quiet).unwrap();
    emulator.call_as("rt_live_runtools", Kind::Runtools, "DELETE", "/v1/secrets/KEY_0", None);
    let api = vault.connect("runtools").unwrap();
    let options = SyncOptions { prune: true, ..SyncOptions::default() };
    let preview = sync::preview(&mut vault, "runtools", api.as_ref(), &options).unwrap();
    assert_eq!(preview.deletes_here, [name("KEY_0")]);
    assert!(preview.deletes.is_empty());
    assert!(preview.needs_answer(), "removing a secret here needs the user's yes");
    assert_eq!(vault.list().unwrap().len(), 2, "the preview changed nothing");
}

#[test]
fn a_last_sync_time_written_into_the_file_does_not_skip_the_first_syncs_question() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 2);
    file(&vault).execute("UPDATE remotes SET synced_ms = 1", []).unwrap();
    assert!(vault.remote("runloop").unwrap().last_sync.is_some(), "shown as synced");
    let api = vault.connect("runloop").unwrap();
    let preview = sync::preview(&mut vault, "runloop", api.as_ref(), &SyncOptions::default()).unwrap();
    assert!(preview.first_sync && preview.needs_answer(), "{preview:?}");
    assert_eq!(preview.sends.len(), 2);
    sync::run(&mut vault, Some("runloop"), &SyncOptions::default(), &mut Quiet).unwrap();
    let preview = sync::preview(&mut vault, "runloop", api.as_ref(), &SyncOptions::default()).unwrap();
    assert!(!preview.first_sync);
}

#[test]
fn a_listing_of_endless_names_records_at_most_the_cap_per_remote() {
    use common::canned::{canned, reply};
    let flood: Vec<serde_json::Value> = (0..3_000)
        .map(|i| json!({"id": format!("sec_{i}"), "name": format!("FLOOD_{i:05}"), "update_time_ms": 1}))
        .collect();
    let body = json!({"secrets": flood, "has_more": true}).to_string();
    let (url, _) = canned(vec![reply("200 OK", &body), reply("200 OK", &body)]);
    let dir = tempfile::tempdir().unwrap();
    let mut vault =
        Vault::create(&dir.path().join("vault.sqlite"), &"pw".into(), KdfParams::custom(8, 1).unwrap())
            .unwrap();
    let config = RemoteConfig::new("hostile", Kind::Runloop, &url, None).unwrap();
    vault.add_remote(&config, &"token".into()).unwrap();
    vault.set_remote_selection("hostile", &Selection::everything()).unwrap();

    let outcomes = run(&mut vault);
    let first = report(&outcomes[0]);
    assert_eq!(first.steps.len(), sync::MAX_REMOTE_ONLY);
    assert!(first.warnings.iter().any(|w| w.contains("2000 were left out")), "{:?}", first.warnings);
    assert_eq!(sync::not_on_device(&vault).unwrap().len(), sync::MAX_REMOTE_ONLY);
    // The next listing finds the cap reached: nothing more is recorded.
    let outcomes = run(&mut vault);
    assert!(report(&outcomes[0]).steps.is_empty());
    assert_eq!(sync::not_on_device(&vault).unwrap().len(), sync::MAX_REMOTE_ONLY);
}

#[test]
fn runloops_own_words_for_a_403_and_its_total_when_a_listing_is_cut_short() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 5);
    let runloop = |vault: &mut UnlockedVault| {
        sync::run(vault, Some("runloop"), &SyncOptions::default(), &mut Quiet).unwrap().remove(0)
    };
    runloop(&mut vault);
    // The service cuts its listing (at 5,000; here at 3) and says how many it holds.
    emulator.faults(Kind::Runloop, json!({"list_limit": 3}));
    let cut = runloop(&mut vault);
    let warnings = &report(&cut).warnings;
    assert!(
        warnings.iter().any(|w| w.contains("lists at most 3 secrets and has more (5 in all)")),
        "{warnings:?}"
    );
    // An account without the devbox capability: Runloop's 403, on a read.
    emulator.faults(Kind::Runloop, json!({"fail_next": 1, "fail_next_status": 403}));
    let refused = runloop(&mut vault);
    let err = refused.result.unwrap_err().to_string();
    assert!(
        err.contains("the Runloop account lacks the devbox capability") && !err.contains("read-only"),
        "{err}"
    );
}

#[test]
fn a_runtools_category_chooses_a_name_new_here_and_a_pull_brings_category_and_description() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 0);
    let providers = Selection::new(vec![], vec!["provider".into()], vec![]).unwrap();
    vault.set_remote_selection("runtools", &providers).unwrap();
    for (secret, category) in [("MADE_THERE", "provider"), ("A_TOOL", "tool")] {
        let body = json!({"name": secret, "value": "value-there-0123456789", "category": category,
            "description": format!("{secret}, made on RunTools")});
        emulator.call_as("rt_live_runtools", Kind::Runtools, "POST", "/v1/secrets", Some(body));
    }
    let pull = SyncOptions { pull: true, accept_new: AcceptNew::All, ..SyncOptions::default() };
    let outcomes = sync::run(&mut vault, Some("runtools"), &pull, &mut Quiet).unwrap();
    assert_eq!(
        report_steps(&outcomes[0]),
        ["MADE_THERE: pull"],
        "the `provider` rule takes the remote's provider"
    );
    let meta = vault.meta(&name("MADE_THERE")).unwrap();
    assert_eq!(
        (meta.category.as_str(), meta.description.as_str()),
        ("provider", "MADE_THERE, made on RunTools")
    );
    assert!(vault.meta(&name("A_TOOL")).is_err(), "not chosen: left alone");

    // A description the vault would refuse (a control character) is not taken.
    let body = json!({"name": "ODD", "value": "value-odd-0123456789", "category": "provider",
        "description": "bell\u{7}"});
    emulator.call_as("rt_live_runtools", Kind::Runtools, "POST", "/v1/secrets", Some(body));
    sync::run(&mut vault, Some("runtools"), &pull, &mut Quiet).unwrap();
    let meta = vault.meta(&name("ODD")).unwrap();
    assert_eq!((meta.category.as_str(), meta.description.as_str()), ("provider", ""));
}

#[test]
fn a_rotation_here_keeps_the_scope_the_secret_has_on_runtools() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 0);
    vault.set(&name("AGENT_KEY"), &value("1"), &SecretFields::default()).unwrap();
    run(&mut vault);
    // Someone narrows it to agents on RunTools.
    let body = json!({"name": "AGENT_KEY", "value": "value-1-0123456789", "scope": "agents"});
    emulator.call_as("rt_live_runtools", Kind::Runtools, "POST", "/v1/secrets", Some(body));
    let pull = SyncOptions { pull: true, ..SyncOptions::default() };
    sync::run(&mut vault, Some("runtools"), &pull, &mut Quiet).unwrap();

    vault.rotate(&name("AGENT_KEY"), &value("2")).unwrap();
    let outcomes = sync::run(&mut vault, Some("runtools"), &SyncOptions::default(), &mut Quiet).unwrap();
    assert_eq!(report_steps(&outcomes[0]), ["AGENT_KEY: update"]);
    let held = emulator.secrets(Kind::Runtools).into_iter().find(|s| s["name"] == "AGENT_KEY").unwrap();
    assert_eq!(
        (held["value"].as_str(), held["scope"].as_str()),
        (Some("value-2-0123456789"), Some("agents"))
    );
}

#[test]
fn a_prune_on_runtype_warns_before_and_reports_the_references_the_delete_left_after() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 0);
    for secret in ["USED_BY_TOOLS", "UNUSED"] {
        vault.set(&name(secret), &value(secret), &SecretFields::default()).unwrap();
    }
    run(&mut vault);
    emulator.admin(
        "PUT",
        Kind::Runtype,
        "/runtype/secrets/USED_BY_TOOLS/references",
        Some(json!({"count": 3})),
    );
    vault.remove(&name("USED_BY_TOOLS")).unwrap();
    vault.remove(&name("UNUSED")).unwrap();

    let prune = SyncOptions { prune: true, ..SyncOptions::default() };
    let api = vault.connect("runtype").unwrap();
    let preview = sync::preview(&mut vault, "runtype", api.as_ref(), &prune).unwrap();
    assert_eq!(preview.deletes.len(), 2);
    let note = preview.delete_note.unwrap();
    assert!(note.contains("{{secret:NAME}}") && note.contains("only once it is deleted"), "{note}");

    let outcomes = sync::run(&mut vault, Some("runtype"), &prune, &mut Quiet).unwrap();
    let warnings = &report(&outcomes[0]).warnings;
    let told: Vec<&String> = warnings.iter().filter(|w| w.contains("references")).collect();
    assert_eq!(told.len(), 1, "{warnings:?}");
    assert!(told[0].contains("USED_BY_TOOLS (3)") && !told[0].contains("UNUSED"), "{}", told[0]);
    assert!(emulator.secrets(Kind::Runtype).is_empty());
}

#[test]
fn a_push_looks_up_only_the_changed_name_and_leaves_other_conflicts_and_the_sync_time_alone() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 3);
    run(&mut vault);
    // KEY_1 in conflict with Runloop: changed on both sides.
    emulator.call(Kind::Runloop, "POST", "/v1/secrets/KEY_1", Some(json!({"value": "theirs-0123456789"})));
    vault.rotate(&name("KEY_1"), &value("mine")).unwrap();
    sync::run(&mut vault, Some("runloop"), &SyncOptions::default(), &mut Quiet).unwrap();
    let synced = vault.remote("runloop").unwrap().last_sync;
    assert_eq!(sync::conflicts(&vault).unwrap().len(), 1);

    vault.rotate(&name("KEY_0"), &value("pushed")).unwrap();
    let targets = sync::targets(&vault, &[name("KEY_0")]).unwrap();
    assert_eq!(targets, ["runloop", "runtools", "runtype"]);
    let before = emulator.requests(Kind::Runloop);
    let pushed =
        sync::push(&vault, &targets, &[name("KEY_0")], sync::PUSH_WAIT, &sync::Cancel::default()).unwrap();
    for (remote, outcome) in &pushed {
        let sync::Pushed::Done(report) = outcome else { panic!("{remote}: {outcome:?}") };
        let steps: Vec<_> = report.steps.iter().map(|s| (s.step.name.as_str(), s.status.clone())).collect();
        assert_eq!(steps, [("KEY_0", Status::Done)], "{remote}");
    }
    // Runloop: the lookup of KEY_0 and its update, never a listing of all three.
    assert_eq!(emulator.requests(Kind::Runloop) - before, 2);
    let runloop = emulator.secrets(Kind::Runloop);
    let key_0 = runloop.iter().find(|s| s["name"] == "KEY_0").unwrap();
    assert_eq!(key_0["value"], value("pushed").expose_secret());
    let conflicts = sync::conflicts(&vault).unwrap();
    assert_eq!((conflicts.len(), conflicts[0].name.as_str()), (1, "KEY_1"), "KEY_1's conflict stays open");
    assert_eq!(vault.remote("runloop").unwrap().last_sync, synced, "a push is not a sync");
}

#[test]
fn a_remote_that_never_answers_is_left_to_its_outbox_and_holds_up_no_other() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 1);
    run(&mut vault);
    // Accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let config = RemoteConfig::new("silent", Kind::Runloop, &url, None).unwrap();
    vault.add_remote(&config, &"rl_silent_token".into()).unwrap();
    vault.set_remote_selection("silent", &Selection::everything()).unwrap();

    vault.rotate(&name("KEY_0"), &value("pushed")).unwrap();
    let remotes = ["silent".to_owned(), "runloop".to_owned()];
    // Far less than the silent remote's timeouts (4 s a try, two tries), far
    // more than the emulator needs.
    let pushed = sync::push(
        &vault,
        &remotes,
        &[name("KEY_0")],
        std::time::Duration::from_secs(6),
        &sync::Cancel::default(),
    )
    .unwrap();
    assert!(matches!(pushed[0].1, sync::Pushed::StillSending), "{:?}", pushed[0]);
    assert!(matches!(&pushed[1].1, sync::Pushed::Done(report) if report.failures() == 0), "{:?}", pushed[1]);
    let runloop = emulator.secrets(Kind::Runloop);
    assert_eq!(runloop[0]["value"], value("pushed").expose_secret());
    drop(silent);
}

#[test]
fn a_secret_not_chosen_for_a_remote_shows_no_state_there_unless_a_conflict_waits() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 2);
    vault
        .set_remote_selection("runloop", &Selection::new(vec!["KEY_0".into()], vec![], vec![]).unwrap())
        .unwrap();
    let states = |vault: &UnlockedVault, choosers: &sync::Choosers| -> Vec<String> {
        sync::overview(vault, choosers)
            .unwrap()
            .into_iter()
            .filter(|m| m.remote == "runloop")
            .map(|m| format!("{} {:?}", m.name, m.state))
            .collect()
    };
    let unlocked = sync::Choosers::of(&vault).unwrap();
    assert_eq!(states(&vault, &unlocked), ["KEY_0 Pending"], "KEY_1 is not chosen for runloop");
    // Locked, the rules cannot be checked: every state shows, as before.
    assert_eq!(states(&vault, &sync::Choosers::unknown()), ["KEY_0 Pending", "KEY_1 Pending"]);

    // A conflict left open after KEY_0 is deselected still shows.
    sync::run(&mut vault, Some("runloop"), &SyncOptions::default(), &mut Quiet).unwrap();
    emulator.call(Kind::Runloop, "POST", "/v1/secrets/KEY_0", Some(json!({"value": "theirs-0123456789"})));
    vault.rotate(&name("KEY_0"), &value("mine")).unwrap();
    sync::run(&mut vault, Some("runloop"), &SyncOptions::default(), &mut Quiet).unwrap();
    vault.set_remote_selection("runloop", &Selection::default()).unwrap();
    assert_eq!(states(&vault, &sync::Choosers::of(&vault).unwrap()), ["KEY_0 Conflict"]);
}

#[test]
fn a_push_cancelled_by_a_lock_sends_nothing_and_leaves_the_write_to_the_outbox() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 1);
    run(&mut vault);
    vault.rotate(&name("KEY_0"), &value("after-the-lock")).unwrap();
    let locked = sync::Cancel::default();
    locked.cancel();
    let before = emulator.requests(Kind::Runloop);
    let pushed =
        sync::push(&vault, &["runloop".to_owned()], &[name("KEY_0")], sync::PUSH_WAIT, &locked).unwrap();
    let sync::Pushed::Done(report) = &pushed[0].1 else { panic!("{pushed:?}") };
    assert!(report.offline.is_some(), "{report:?}");
    assert_eq!(emulator.requests(Kind::Runloop), before, "nothing reached the remote");
    assert_eq!(vault.remote("runloop").unwrap().pending, 1, "the write waits in the outbox");
    // Unlocked again, the next push sends it.
    let pushed = sync::push(
        &vault,
        &["runloop".to_owned()],
        &[name("KEY_0")],
        sync::PUSH_WAIT,
        &sync::Cancel::default(),
    )
    .unwrap();
    assert!(
        matches!(&pushed[0].1, sync::Pushed::Done(report) if report.failures() == 0 && report.offline.is_none())
    );
    assert_eq!(vault.remote("runloop").unwrap().pending, 0);
}

#[test]
fn a_pass_over_unchanged_secrets_costs_one_listing_per_remote_and_writes_nothing() {
    let emulator = Emulator::start();
    let (_dir, mut vault) = setup(&emulator, 5000);
    run(&mut vault);
    let before: Vec<u64> = Kind::HOSTED.iter().map(|&kind| emulator.requests(kind)).collect();
    let outcomes = run(&mut vault);
    for outcome in &outcomes {
        let report = report(outcome);
        assert!(report.steps.is_empty(), "{}: {:?}", outcome.remote, report.steps.len());
    }
    let calls: Vec<u64> =
        Kind::HOSTED.iter().zip(&before).map(|(&kind, before)| emulator.requests(kind) - before).collect();
    // The issue's 5,000 on each of three remotes: one listing page each.
    assert_eq!(calls, [1, 1, 1], "requests per remote for a pass with nothing to do");
}
