//! Sync against the real emulator on 127.0.0.1, for each dialect: every plan
//! case, conflicts and their resolution, offline → outbox → replay, lost
//! answers, a cut-off listing, and convergence of 1,000 secrets under faults.

mod common;

use std::{collections::BTreeMap, time::Duration};

use common::emulator::{Emulator, TOKEN};
use keyhaven_core::{
    KdfParams, SecretName, UnlockedVault, Vault,
    remote::{self, Kind, Metadata, RemoteConfig, RetryPolicy, SecretsApi},
    secret::SecretFields,
    sync::{self, Action, ConflictReason, HoldReason, Keep, Selection, Status, SyncOptions, SyncReport},
    vault::Access,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

/// Quick retries: the faults are injected, the waits need not be long.
const FAST: RetryPolicy = RetryPolicy {
    attempts: 8,
    base_delay: Duration::from_millis(5),
    max_delay: Duration::from_millis(100),
    timeout: Duration::from_secs(10),
    deadline: Duration::from_secs(60),
};

struct Setup {
    _dir: tempfile::TempDir,
    vault: UnlockedVault,
    config: RemoteConfig,
}

fn name(text: &str) -> SecretName {
    SecretName::parse(text).unwrap()
}

/// Values long enough for Runtype (8 to 10,000 characters).
fn value(text: &str) -> SecretString {
    SecretString::from(format!("value-{text}-0123456789"))
}

impl Setup {
    fn new(emulator: &Emulator, kind: Kind) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.sqlite");
        let mut vault = Vault::create(&path, &"pw".into(), KdfParams::custom(8, 1).unwrap()).unwrap();
        let config = RemoteConfig::new("r", kind, &emulator.url(kind), None).unwrap();
        vault.add_remote(&config, &TOKEN.into()).unwrap();
        vault.set_remote_selection("r", &Selection::everything()).unwrap();
        Self { _dir: dir, vault, config }
    }

    fn api(&self) -> Box<dyn SecretsApi> {
        remote::connect(&self.config, TOKEN.into(), FAST).unwrap()
    }

    fn sync(&mut self, options: SyncOptions) -> SyncReport {
        let api = self.api();
        sync::sync(&mut self.vault, "r", api.as_ref(), &options, &mut |_, _| {}).unwrap()
    }

    fn set(&mut self, secret: &str, text: &str) {
        self.vault.set(&name(secret), &value(text), &SecretFields::default()).unwrap();
    }

    fn rotate(&mut self, secret: &str, text: &str) {
        self.vault.rotate(&name(secret), &value(text)).unwrap();
    }

    fn local(&mut self, secret: &str) -> Option<String> {
        let value = self.vault.reveal(&name(secret), Access::Reveal).ok()?;
        Some(value.expose_secret().to_owned())
    }
}

/// The emulator's secrets of one dialect as name → value.
fn remote_values(emulator: &Emulator, kind: Kind) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for secret in emulator.secrets(kind) {
        let name = secret.get("name").or_else(|| secret.get("key")).unwrap().as_str().unwrap().to_owned();
        let value = secret["value"].as_str().unwrap_or_default().to_owned();
        assert!(out.insert(name.clone(), value).is_none(), "{kind}: {name} is there twice");
    }
    out
}

/// A change made on the remote by someone else.
fn remote_write(emulator: &Emulator, kind: Kind, secret: &str, text: &str) {
    let value = value(text).expose_secret().to_owned();
    match kind {
        Kind::Runloop => {
            let exists = remote_values(emulator, kind).contains_key(secret);
            let path = if exists { format!("/v1/secrets/{secret}") } else { "/v1/secrets".to_owned() };
            let body = if exists { json!({"value": value}) } else { json!({"name": secret, "value": value}) };
            emulator.call(kind, "POST", &path, Some(body));
        }
        Kind::Runtype => {
            let id = emulator.secrets(kind).into_iter().find(|s| s["key"] == secret).map(|s| s["id"].clone());
            match id {
                Some(id) => emulator.call(
                    kind,
                    "PUT",
                    &format!("/v1/secrets/{}", id.as_str().unwrap()),
                    Some(json!({"value": value})),
                ),
                None => {
                    emulator.call(kind, "POST", "/v1/secrets", Some(json!({"key": secret, "value": value})))
                }
            };
        }
        Kind::Runtools => {
            emulator.call(kind, "POST", "/v1/secrets", Some(json!({"name": secret, "value": value})));
        }
        Kind::Openbao => unreachable!("the emulator has no OpenBao"),
    }
}

fn remote_delete(emulator: &Emulator, kind: Kind, secret: &str) {
    match kind {
        Kind::Runloop => emulator.call(kind, "POST", &format!("/v1/secrets/{secret}/delete"), None),
        Kind::Runtype => {
            let all = emulator.secrets(kind);
            let id = all.iter().find(|s| s["key"] == secret).unwrap()["id"].as_str().unwrap().to_owned();
            emulator.call(kind, "DELETE", &format!("/v1/secrets/{id}"), None)
        }
        Kind::Runtools => emulator.call(kind, "DELETE", &format!("/v1/secrets/{secret}"), None),
        Kind::Openbao => unreachable!("the emulator has no OpenBao"),
    };
}

fn actions(report: &SyncReport) -> Vec<(String, Action)> {
    report.steps.iter().map(|s| (s.step.name.to_string(), s.step.action.clone())).collect()
}

fn kinds_of(report: &SyncReport) -> Vec<(String, &'static str)> {
    report
        .steps
        .iter()
        .map(|s| {
            let kind = match &s.step.action {
                Action::Create { .. } => "create",
                Action::Update { .. } => "update",
                Action::DeleteRemote { .. } => "delete_remote",
                Action::DeleteLocal => "delete_local",
                Action::Record { .. } => "record",
                Action::Pull { .. } => "pull",
                Action::Forget => "forget",
                Action::Link { .. } => "link",
                Action::Conflict { .. } => "conflict",
                Action::Hold { .. } => "hold",
            };
            (s.step.name.to_string(), kind)
        })
        .collect()
}

fn pairs(list: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    list.iter().map(|(n, k)| (n.to_string(), *k)).collect()
}

#[test]
fn pushes_new_secrets_and_rotations_and_records_remote_only_ones() {
    let emulator = Emulator::start();
    for kind in Kind::HOSTED {
        let mut s = Setup::new(&emulator, kind);
        s.set("ALPHA", "a1");
        s.set("BETA", "b1");
        let report = s.sync(SyncOptions { dry_run: true, ..Default::default() });
        assert_eq!(kinds_of(&report), pairs(&[("ALPHA", "create"), ("BETA", "create")]), "{kind}");
        assert!(remote_values(&emulator, kind).is_empty(), "{kind}: a dry run sent nothing");

        let report = s.sync(SyncOptions::default());
        assert!(report.is_clean(), "{kind}: {report:?}");
        assert_eq!(remote_values(&emulator, kind)["ALPHA"], value("a1").expose_secret(), "{kind}");

        // Nothing changed: nothing to do.
        assert!(s.sync(SyncOptions::default()).steps.is_empty(), "{kind}");

        s.rotate("ALPHA", "a2");
        let report = s.sync(SyncOptions::default());
        assert_eq!(kinds_of(&report), pairs(&[("ALPHA", "update")]), "{kind}");
        assert_eq!(remote_values(&emulator, kind)["ALPHA"], value("a2").expose_secret(), "{kind}");

        // Made elsewhere: recorded, its value not on this device.
        remote_write(&emulator, kind, "GAMMA", "g1");
        let report = s.sync(SyncOptions::default());
        assert_eq!(kinds_of(&report), pairs(&[("GAMMA", "record")]), "{kind}");
        let missing = sync::not_on_device(&s.vault).unwrap();
        assert_eq!(missing, vec![("r".to_owned(), name("GAMMA"), sync::NotHere::RemoteOnly)], "{kind}");
        assert!(s.local("GAMMA").is_none());

        // Rotated elsewhere: recorded as newer there.
        remote_write(&emulator, kind, "BETA", "b2");
        let report = s.sync(SyncOptions::default());
        assert_eq!(kinds_of(&report), pairs(&[("BETA", "record")]), "{kind}");
        assert_eq!(s.local("BETA").unwrap(), value("b1").expose_secret(), "{kind}: the local value stays");
        assert!(s.sync(SyncOptions::default()).steps.is_empty(), "{kind}");

        // Where the dialect can reveal, --pull fetches what this device lacks,
        // but a name new to this vault only with the user's yes: the remote
        // picks names, and some (BASH_ENV) run code.
        let report = s.sync(SyncOptions { pull: true, ..Default::default() });
        if kind.capabilities().can_reveal {
            assert_eq!(kinds_of(&report), pairs(&[("BETA", "pull")]), "{kind}");
            assert_eq!(report.new_names, [name("GAMMA")]);
            assert!(report.warnings.iter().any(|w| w.contains("not pulled from r: GAMMA")), "{report:?}");
            assert!(s.local("GAMMA").is_none(), "a new name was pulled without a yes");
            let accept = sync::AcceptNew::Names([name("GAMMA")].into());
            let report = s.sync(SyncOptions { pull: true, accept_new: accept, ..Default::default() });
            assert_eq!(kinds_of(&report), pairs(&[("GAMMA", "pull")]), "{kind}");
            assert_eq!(s.local("GAMMA").unwrap(), value("g1").expose_secret());
            assert_eq!(s.local("BETA").unwrap(), value("b2").expose_secret());
            assert!(sync::not_on_device(&s.vault).unwrap().is_empty());
        } else {
            assert!(report.steps.is_empty(), "{kind}: {report:?}");
        }
        emulator_reset(&emulator, kind);
    }
}

fn emulator_reset(emulator: &Emulator, kind: Kind) {
    let url = format!("{}/_emulator/reset", emulator.url(kind));
    assert!(reqwest::blocking::Client::new().post(url).send().unwrap().status().is_success());
}

#[test]
fn deletes_travel_only_with_prune() {
    let emulator = Emulator::start();
    for kind in Kind::HOSTED {
        let mut s = Setup::new(&emulator, kind);
        for secret in
            ["BOTH_GONE", "CHANGED_HERE_GONE_THERE", "GONE_HERE", "GONE_HERE_CHANGED_THERE", "GONE_THERE"]
        {
            s.set(secret, "v1");
        }
        s.sync(SyncOptions::default());
        for secret in ["BOTH_GONE", "GONE_HERE", "GONE_HERE_CHANGED_THERE"] {
            s.vault.remove(&name(secret)).unwrap();
        }
        for secret in ["BOTH_GONE", "CHANGED_HERE_GONE_THERE", "GONE_THERE"] {
            remote_delete(&emulator, kind, secret);
        }
        s.rotate("CHANGED_HERE_GONE_THERE", "v2");
        remote_write(&emulator, kind, "GONE_HERE_CHANGED_THERE", "v2");

        let report = s.sync(SyncOptions::default());
        let conflicts = [
            (
                "CHANGED_HERE_GONE_THERE".to_owned(),
                Action::Conflict { reason: ConflictReason::ChangedHereDeletedThere },
            ),
            (
                "GONE_HERE_CHANGED_THERE".to_owned(),
                Action::Conflict { reason: ConflictReason::DeletedHereChangedThere },
            ),
        ];
        assert_eq!(
            actions(&report),
            vec![
                ("BOTH_GONE".into(), Action::Forget),
                conflicts[0].clone(),
                ("GONE_HERE".into(), Action::Hold { reason: HoldReason::DeletedHereNeedsPrune }),
                conflicts[1].clone(),
                ("GONE_THERE".into(), Action::Hold { reason: HoldReason::DeletedThereNeedsPrune }),
            ],
            "{kind}"
        );
        assert!(remote_values(&emulator, kind).contains_key("GONE_HERE"));
        assert!(s.local("GONE_THERE").is_some());

        let report = s.sync(SyncOptions { prune: true, ..Default::default() });
        assert_eq!(
            kinds_of(&report),
            pairs(&[
                ("CHANGED_HERE_GONE_THERE", "conflict"),
                ("GONE_HERE", "delete_remote"),
                ("GONE_HERE_CHANGED_THERE", "conflict"),
                ("GONE_THERE", "delete_local"),
            ]),
            "{kind}"
        );
        let remote = remote_values(&emulator, kind);
        assert_eq!(remote.keys().collect::<Vec<_>>(), ["GONE_HERE_CHANGED_THERE"], "{kind}");
        assert!(s.local("GONE_THERE").is_none(), "{kind}");
        assert_eq!(actions(&s.sync(SyncOptions { prune: true, ..Default::default() })), conflicts, "{kind}");
        emulator_reset(&emulator, kind);
    }
}

#[test]
fn conflicts_wait_for_the_user_and_resolve_either_way() {
    let emulator = Emulator::start();
    for kind in Kind::HOSTED {
        let mut s = Setup::new(&emulator, kind);
        for secret in ["KEEP_LOCAL", "KEEP_REMOTE", "BOTH_NEW"] {
            s.set(secret, "v1");
        }
        s.sync(SyncOptions { dry_run: false, ..Default::default() });
        // After the sync: rotated on both sides; and a name created on both sides.
        for secret in ["KEEP_LOCAL", "KEEP_REMOTE"] {
            s.rotate(secret, "local-v2");
            remote_write(&emulator, kind, secret, "remote-v2");
        }
        s.set("FRESH", "mine");
        remote_write(&emulator, kind, "FRESH", "theirs");

        let report = s.sync(SyncOptions::default());
        assert_eq!(
            actions(&report),
            vec![
                ("FRESH".into(), Action::Conflict { reason: ConflictReason::ExistsOnBoth }),
                ("KEEP_LOCAL".into(), Action::Conflict { reason: ConflictReason::BothChanged }),
                ("KEEP_REMOTE".into(), Action::Conflict { reason: ConflictReason::BothChanged }),
            ],
            "{kind}"
        );
        assert!(!report.is_clean());
        // Nothing was overwritten on either side.
        let remote = remote_values(&emulator, kind);
        assert_eq!(remote["KEEP_LOCAL"], value("remote-v2").expose_secret(), "{kind}");
        assert_eq!(remote["FRESH"], value("theirs").expose_secret(), "{kind}");
        assert_eq!(s.local("KEEP_LOCAL").unwrap(), value("local-v2").expose_secret());
        assert_eq!(sync::conflicts(&s.vault).unwrap().len(), 3);
        // A second sync finds the same conflicts and still changes nothing.
        assert_eq!(s.sync(SyncOptions::default()).conflicts(), 3);

        let api = s.api();
        sync::resolve(&mut s.vault, "r", api.as_ref(), &name("KEEP_LOCAL"), Keep::Local, false).unwrap();
        sync::resolve(&mut s.vault, "r", api.as_ref(), &name("FRESH"), Keep::Local, false).unwrap();
        // Where the remote cannot send its value back, keeping its side is
        // refused unless the copy here is set aside.
        let reveals = kind.capabilities().can_reveal;
        if !reveals {
            let err =
                sync::resolve(&mut s.vault, "r", api.as_ref(), &name("KEEP_REMOTE"), Keep::Remote, false);
            assert!(matches!(err, Err(keyhaven_core::Error::Unreadable { .. })), "{kind}: {err:?}");
            assert_eq!(s.local("KEEP_REMOTE").unwrap(), value("local-v2").expose_secret());
        }
        sync::resolve(&mut s.vault, "r", api.as_ref(), &name("KEEP_REMOTE"), Keep::Remote, !reveals).unwrap();
        let remote = remote_values(&emulator, kind);
        assert_eq!(remote["KEEP_LOCAL"], value("local-v2").expose_secret(), "{kind}");
        assert_eq!(remote["FRESH"], value("mine").expose_secret(), "{kind}");
        assert_eq!(remote["KEEP_REMOTE"], value("remote-v2").expose_secret(), "{kind}");
        if kind.capabilities().can_reveal {
            assert_eq!(s.local("KEEP_REMOTE").unwrap(), value("remote-v2").expose_secret());
        } else {
            let missing = sync::not_on_device(&s.vault).unwrap();
            assert_eq!(missing, vec![("r".to_owned(), name("KEEP_REMOTE"), sync::NotHere::Newer)], "{kind}");
            let err = s.vault.reveal(&name("KEEP_REMOTE"), keyhaven_core::vault::Access::Reveal).unwrap_err();
            assert!(matches!(err, keyhaven_core::Error::OutOfDate { .. }), "{kind}: {err}");
        }
        assert!(sync::conflicts(&s.vault).unwrap().is_empty());
        let report = s.sync(SyncOptions::default());
        assert!(report.steps.is_empty() && report.is_clean(), "{kind}: {report:?}");
        emulator_reset(&emulator, kind);
    }
}

#[test]
fn offline_writes_wait_in_the_outbox_and_replay_once() {
    let state = tempfile::tempdir().unwrap();
    let mut emulator = Emulator::start_with(Some(state.path().join("emulator.sqlite")));
    for kind in Kind::HOSTED {
        let mut s = Setup::new(&emulator, kind);
        s.set("EARLY", "e1");
        s.sync(SyncOptions::default());
        emulator.stop();

        s.set("OFFLINE", "o1");
        s.rotate("EARLY", "e2");
        let report = s.sync(SyncOptions::default());
        assert!(report.offline.is_some(), "{kind}: {report:?}");
        assert_eq!(kinds_of(&report), pairs(&[("EARLY", "update"), ("OFFLINE", "create")]), "{kind}");
        assert!(report.steps.iter().all(|s| matches!(s.status, Status::Queued(_))), "{kind}");
        let remotes = s.vault.remotes().unwrap();
        assert_eq!(remotes[0].pending, 2, "{kind}: both writes wait in the outbox");

        emulator.restart();
        let report = s.sync(SyncOptions::default());
        assert!(report.is_clean(), "{kind}: {report:?}");
        let remote = remote_values(&emulator, kind);
        assert_eq!(remote.len(), 2);
        assert_eq!(remote["OFFLINE"], value("o1").expose_secret());
        assert_eq!(remote["EARLY"], value("e2").expose_secret());
        assert_eq!(s.vault.remotes().unwrap()[0].pending, 0);
        emulator_reset(&emulator, kind);
    }
}

#[test]
fn lost_answers_never_duplicate_a_create() {
    let emulator = Emulator::start();
    for kind in Kind::HOSTED {
        let mut s = Setup::new(&emulator, kind);
        for i in 0..20 {
            s.set(&format!("LOST_{i}"), &i.to_string());
        }
        // Every answer is lost after the request was applied.
        emulator.faults(kind, json!({"drop_rate": 0.5}));
        let mut report = s.sync(SyncOptions::default());
        for _ in 0..10 {
            if report.is_clean() {
                break;
            }
            report = s.sync(SyncOptions::default());
        }
        emulator.faults(kind, json!({}));
        assert!(report.is_clean(), "{kind}: {report:?}");
        let remote = remote_values(&emulator, kind); // panics on a duplicate
        assert_eq!(remote.len(), 20, "{kind}");
        emulator_reset(&emulator, kind);
    }
}

#[test]
fn a_cut_off_runloop_listing_is_said_plainly_and_never_deletes() {
    let emulator = Emulator::start();
    let kind = Kind::Runloop;
    let mut s = Setup::new(&emulator, kind);
    let api = s.api();
    for i in 0..5000 {
        api.create(&format!("OTHER_{i:04}"), &value("o"), &Metadata::default(), &format!("req-{i}"), false)
            .unwrap();
    }
    // Synced after the first 5,000, so beyond what a listing shows.
    s.set("MINE", "m1");
    s.sync(SyncOptions::default());
    let report = s.sync(SyncOptions { prune: true, ..Default::default() });
    assert!(!report.listing_complete);
    assert_eq!(report.listed, 5000);
    assert!(report.warnings.iter().any(|w| w.contains("left alone")), "{:?}", report.warnings);
    assert_eq!(actions(&report), vec![("MINE".into(), Action::Hold { reason: HoldReason::NotListed })]);
    assert!(s.local("MINE").is_some());
    assert!(remote_values(&emulator, kind).contains_key("MINE"));
}

#[test]
fn a_thousand_secrets_converge_under_faults() {
    let emulator = Emulator::start();
    for kind in Kind::HOSTED {
        let mut s = Setup::new(&emulator, kind);
        let entries: Vec<(SecretName, SecretString)> =
            (0..1000).map(|i| (name(&format!("BULK_{i:04}")), value(&i.to_string()))).collect();
        s.vault.import(entries, false, &|_| {}).unwrap();
        emulator.faults(
            kind,
            json!({"error_rate": 0.2, "error_status": 503, "drop_rate": 0.05, "burst_429": 3, "retry_after_s": 1}),
        );
        let mut rounds = 0;
        loop {
            rounds += 1;
            let report = s.sync(SyncOptions::default());
            if report.is_clean() {
                break;
            }
            assert!(
                rounds < 10,
                "{kind}: not converged after {rounds} rounds: {} failures",
                report.failures()
            );
        }
        emulator.faults(kind, json!({}));
        let remote = remote_values(&emulator, kind); // panics on a duplicate
        assert_eq!(remote.len(), 1000, "{kind}");
        for (secret, text) in s.vault.reveal_all(None, Access::Export).unwrap() {
            assert_eq!(remote[secret.as_str()], text.expose_secret(), "{kind}: {secret}");
        }
        assert!(s.sync(SyncOptions::default()).steps.is_empty(), "{kind}");
        assert_eq!(s.vault.remotes().unwrap()[0].pending, 0);
        emulator_reset(&emulator, kind);
    }
}

#[test]
fn the_overview_marks_each_secret_with_each_remote() {
    use sync::SyncState::*;
    let emulator = Emulator::start();
    for kind in Kind::HOSTED {
        let mut s = Setup::new(&emulator, kind);
        for secret in ["SYNCED", "ROTATED", "CONFLICTED", "THEIRS_CHANGED"] {
            s.set(secret, "v1");
        }
        s.sync(SyncOptions::default());
        s.set("NEW_HERE", "v1");
        s.rotate("CONFLICTED", "local-v2");
        remote_write(&emulator, kind, "CONFLICTED", "remote-v2");
        remote_write(&emulator, kind, "THEIRS_CHANGED", "remote-v2");
        remote_write(&emulator, kind, "THEIRS", "remote");
        assert_eq!(s.sync(SyncOptions::default()).conflicts(), 1, "{kind}");
        s.rotate("ROTATED", "v2");

        let marks: Vec<(String, sync::SyncState)> =
            sync::overview(&s.vault, &sync::Choosers::of(&s.vault).unwrap())
                .unwrap()
                .into_iter()
                .inspect(|mark| assert_eq!(mark.remote, "r"))
                .map(|mark| (mark.name.to_string(), mark.state))
                .collect();
        let expected: Vec<(String, sync::SyncState)> = [
            ("CONFLICTED", Conflict),
            ("NEW_HERE", Synced),
            ("ROTATED", Pending),
            ("SYNCED", Synced),
            ("THEIRS", RemoteOnly),
            ("THEIRS_CHANGED", RemoteChanged),
        ]
        .into_iter()
        .map(|(name, state)| (name.to_owned(), state))
        .collect();
        assert_eq!(marks, expected, "{kind}");
        emulator_reset(&emulator, kind);
    }
}

#[test]
fn a_cancelled_sync_sends_nothing_more_and_its_writes_wait_in_the_outbox() {
    let emulator = Emulator::start();
    let mut s = Setup::new(&emulator, Kind::Runtype);
    for i in 0..40 {
        s.set(&format!("S{i}"), &format!("v{i}"));
    }
    // A slow remote, so that the cancel lands while calls are under way.
    emulator.faults(Kind::Runtype, json!({"latency_ms": 500}));
    // The app syncs on a second handle, so locking never waits for the remote.
    let mut handle = s.vault.reopen().unwrap();
    let cancel = sync::Cancel::default();
    let options = SyncOptions { cancel: cancel.clone(), ..Default::default() };
    let api = s.api();
    let mut progress = |done: usize, _: usize| {
        if done == 1 {
            cancel.cancel();
        }
    };
    let report = sync::sync(&mut handle, "r", api.as_ref(), &options, &mut progress).unwrap();
    drop(handle);
    let sent = remote_values(&emulator, Kind::Runtype).len();
    let queued = report.steps.iter().filter(|step| matches!(step.status, sync::Status::Queued(_))).count();
    // The eight workers' first calls, and the next ones they took before the
    // first answer was seen: nothing started after the cancel.
    assert!((1..=16).contains(&sent), "{sent} of 40 sent after the cancel");
    assert_eq!(sent + queued, 40, "every write not sent waits in the outbox");
    assert_eq!(s.vault.remote("r").unwrap().pending as usize, queued);

    // Cancelled before it starts: nothing at all is sent.
    let report = sync::sync(&mut s.vault, "r", api.as_ref(), &options, &mut |_, _| {}).unwrap();
    assert_eq!(report.offline.as_deref(), Some("stopped: the vault was locked"));
    assert_eq!(remote_values(&emulator, Kind::Runtype).len(), sent);

    // The next sync sends the rest, with the same idempotency keys.
    emulator.faults(Kind::Runtype, json!({}));
    s.sync(SyncOptions::default());
    assert_eq!(remote_values(&emulator, Kind::Runtype).len(), 40);
}
