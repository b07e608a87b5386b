//! The OpenBao remote against a real `bao server -dev` on 127.0.0.1: two
//! devices (two vault files) converging through one server, check-and-set
//! conflicts, soft deletes, and what a token's policies allow.

mod common;

use common::openbao::{OpenBao, ROOT, TEAM_READ};
use keyhaven_core::{
    Error, KdfParams, SecretName, UnlockedVault, Vault,
    remote::{self, Failure, Kind, KvLocation, Operation, RemoteConfig, SecretsApi, WriteAccess},
    secret::SecretFields,
    sync::{self, AcceptNew, Action, Keep, Selection, SyncOptions, SyncReport},
    vault::Access,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

fn name(text: &str) -> SecretName {
    SecretName::parse(text).unwrap()
}

/// One device: a vault file with the server as remote `team`, at `secret/team`.
struct Device {
    _dir: tempfile::TempDir,
    vault: UnlockedVault,
}

impl Device {
    fn new(bao: &OpenBao, token: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut vault =
            Vault::create(&dir.path().join("vault.sqlite"), &"pw".into(), KdfParams::custom(8, 1).unwrap())
                .unwrap();
        let config = RemoteConfig::new("team", Kind::Openbao, &bao.url, None)
            .unwrap()
            .with_kv(KvLocation::new("secret", "team", None).unwrap())
            .unwrap();
        vault.add_remote(&config, &token.into()).unwrap();
        vault.set_remote_selection("team", &Selection::everything()).unwrap();
        Device { _dir: dir, vault }
    }

    fn try_sync(&mut self, options: SyncOptions) -> keyhaven_core::Result<SyncReport> {
        let api = self.vault.connect("team")?;
        sync::sync(&mut self.vault, "team", api.as_ref(), &options, &mut |_, _| {})
            .map_err(|err| err.at_remote("team"))
    }

    fn sync(&mut self, options: SyncOptions) -> SyncReport {
        self.try_sync(options).unwrap()
    }

    /// A pull that takes new names too (`sync --pull --accept-new`).
    fn pull(&mut self) -> SyncReport {
        self.sync(SyncOptions { pull: true, accept_new: AcceptNew::All, ..Default::default() })
    }

    fn value(&mut self, secret: &str) -> Option<String> {
        Some(self.vault.reveal(&name(secret), Access::Reveal).ok()?.expose_secret().to_owned())
    }
}

fn actions(report: &SyncReport) -> Vec<(String, &'static str)> {
    let kind = |action: &Action| match action {
        Action::Create { .. } => "create",
        Action::Update { .. } => "update",
        Action::DeleteRemote { .. } => "delete remote",
        Action::DeleteLocal => "delete local",
        Action::Record { .. } => "record",
        Action::Pull { .. } => "pull",
        Action::Forget => "forget",
        Action::Link { .. } => "link",
        Action::Conflict { .. } => "conflict",
        Action::Hold { .. } => "hold",
    };
    report.steps.iter().map(|s| (s.step.name.to_string(), kind(&s.step.action))).collect()
}

#[test]
fn two_devices_converge_through_one_server_and_a_change_on_both_is_a_conflict() {
    let bao = OpenBao::start();
    let (mut a, mut b) = (Device::new(&bao, ROOT), Device::new(&bao, ROOT));

    // Set on A, with its metadata: one KV entry holding `value`, the rest in custom_metadata.
    let fields = SecretFields {
        description: Some("the deploy key".into()),
        category: Some("provider".into()),
        ..Default::default()
    };
    a.vault.set(&name("API_KEY"), &SecretString::from("v1-of-the-key"), &fields).unwrap();
    assert_eq!(actions(&a.sync(SyncOptions::default())), [("API_KEY".to_owned(), "create")]);
    assert_eq!(bao.value("team/API_KEY").as_deref(), Some("v1-of-the-key"));
    let meta = bao.metadata("team/API_KEY");
    assert_eq!(meta["custom_metadata"], json!({ "description": "the deploy key", "category": "provider" }));
    assert_eq!(meta["current_version"], 1);

    // B's next pull brings the value and its metadata.
    assert_eq!(actions(&b.pull()), [("API_KEY".to_owned(), "pull")]);
    assert_eq!(b.value("API_KEY").as_deref(), Some("v1-of-the-key"));
    let on_b = b.vault.meta(&name("API_KEY")).unwrap();
    assert_eq!((on_b.description.as_str(), on_b.category.as_str()), ("the deploy key", "provider"));

    // A rotation on B reaches A; KV keeps both versions.
    b.vault.rotate(&name("API_KEY"), &SecretString::from("v2-from-b")).unwrap();
    assert_eq!(actions(&b.sync(SyncOptions::default())), [("API_KEY".to_owned(), "update")]);
    assert_eq!(bao.metadata("team/API_KEY")["current_version"], 2);
    assert_eq!(actions(&a.pull()), [("API_KEY".to_owned(), "pull")]);
    assert_eq!(a.value("API_KEY").as_deref(), Some("v2-from-b"));
    assert!(a.sync(SyncOptions::default()).steps.is_empty(), "in sync");

    // Both change it: the first writer wins, the second gets a conflict, never an overwrite.
    a.vault.rotate(&name("API_KEY"), &SecretString::from("v3-from-a")).unwrap();
    b.vault.rotate(&name("API_KEY"), &SecretString::from("v3-from-b")).unwrap();
    a.sync(SyncOptions::default());
    assert_eq!(bao.value("team/API_KEY").as_deref(), Some("v3-from-a"));
    let report = b.sync(SyncOptions::default());
    assert_eq!(actions(&report), [("API_KEY".to_owned(), "conflict")], "{report:?}");
    assert_eq!(bao.value("team/API_KEY").as_deref(), Some("v3-from-a"), "B overwrote A");
    // Settled with the existing resolve: B keeps its own, written over v3 with check-and-set.
    let api = b.vault.connect("team").unwrap();
    sync::resolve(&mut b.vault, "team", api.as_ref(), &name("API_KEY"), Keep::Local, false).unwrap();
    assert_eq!(bao.value("team/API_KEY").as_deref(), Some("v3-from-b"));
    assert_eq!(bao.metadata("team/API_KEY")["current_version"], 4);
    a.pull();
    assert_eq!(a.value("API_KEY").as_deref(), Some("v3-from-b"));

    // A removal travels with --prune: KV's soft delete, the history kept.
    a.vault.remove(&name("API_KEY")).unwrap();
    let report = a.sync(SyncOptions { prune: true, ..Default::default() });
    assert_eq!(actions(&report), [("API_KEY".to_owned(), "delete remote")]);
    let meta = bao.metadata("team/API_KEY");
    assert_eq!(meta["current_version"], 4, "a delete is not a destroy");
    assert!(!meta["versions"]["4"]["deletion_time"].as_str().unwrap().is_empty());
    assert_eq!(meta["versions"]["3"]["destroyed"], false);
    let report = b.sync(SyncOptions { prune: true, ..Default::default() });
    assert_eq!(actions(&report), [("API_KEY".to_owned(), "delete local")], "{report:?}");
    assert!(b.value("API_KEY").is_none());

    // Set again after the delete: check-and-set against the deleted version.
    a.vault.set(&name("API_KEY"), &SecretString::from("v5-again"), &SecretFields::default()).unwrap();
    a.sync(SyncOptions::default());
    assert_eq!(bao.value("team/API_KEY").as_deref(), Some("v5-again"));
}

#[test]
fn a_change_made_by_another_kv_client_is_seen_and_a_name_it_made_is_offered() {
    let bao = OpenBao::start();
    let mut a = Device::new(&bao, ROOT);
    a.vault.set(&name("DB_URL"), &SecretString::from("postgres://one"), &SecretFields::default()).unwrap();
    a.sync(SyncOptions::default());
    // `bao kv put` elsewhere: a new version, and a new name.
    bao.put("team/DB_URL", "postgres://two");
    bao.put("team/NEW_ONE", "from-the-cli");
    let report = a.sync(SyncOptions::default());
    assert_eq!(actions(&report), [("DB_URL".to_owned(), "record"), ("NEW_ONE".to_owned(), "record")]);
    let report = a.sync(SyncOptions { pull: true, ..Default::default() });
    assert_eq!(actions(&report), [("DB_URL".to_owned(), "pull")]);
    assert_eq!(report.new_names, [name("NEW_ONE")], "a new name is offered, never pulled silently");
    assert_eq!(a.value("DB_URL").as_deref(), Some("postgres://two"));
    assert!(a.value("NEW_ONE").is_none());
}

#[test]
fn a_read_only_token_pulls_and_is_refused_on_push_naming_the_path() {
    let bao = OpenBao::start();
    bao.policy("team-read", TEAM_READ);
    let reader = bao.token(&["team-read"]);
    bao.put("team/SHARED", "shared-value");
    let mut member = Device::new(&bao, &reader);
    member.pull();
    assert_eq!(member.value("SHARED").as_deref(), Some("shared-value"));

    // What `remote test` reports, without writing anything.
    let api = member.vault.connect("team").unwrap();
    let check = remote::check(api.as_ref()).unwrap();
    let access = |op| check.operations.iter().find(|o| o.operation == op).unwrap().access;
    assert_eq!(access(Operation::List), WriteAccess::NotRefused);
    assert_eq!(access(Operation::Read), WriteAccess::NotRefused);
    assert_eq!(access(Operation::Reveal), WriteAccess::NotRefused);
    assert_eq!(access(Operation::Write), WriteAccess::Refused);

    member.vault.rotate(&name("SHARED"), &SecretString::from("mine-now")).unwrap();
    let report = member.sync(SyncOptions::default());
    let failed = report.steps.iter().find(|s| s.step.name.as_str() == "SHARED").unwrap();
    let text = format!("{:?}", failed.status);
    assert!(text.contains("permission denied on secret/team/SHARED"), "{text}");
    assert!(text.contains("policies do not allow it to write"), "{text}");
    assert_eq!(bao.value("team/SHARED").as_deref(), Some("shared-value"));
}

#[test]
fn a_revoked_token_is_a_refused_key_and_never_printed() {
    let bao = OpenBao::start();
    let token = bao.token(&["default"]);
    let mut device = Device::new(&bao, &token);
    let api = device.vault.connect("team").unwrap();
    api.ping().unwrap();
    bao.revoke(&token);
    let err = api.ping().unwrap_err();
    assert_eq!(err.kind, Failure::Auth, "{err}");
    match device.try_sync(SyncOptions::default()) {
        Err(Error::KeyRefused { remote, detail }) => {
            assert_eq!(remote, "team");
            assert!(!detail.contains(&token), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_value_not_kept_the_keyhaven_way_is_named_not_guessed() {
    let bao = OpenBao::start();
    bao.call("POST", "secret/data/team/TWO_KEYS", Some(json!({ "data": { "user": "u", "password": "p" } })));
    let api: Box<dyn SecretsApi> = {
        let config = RemoteConfig::new("team", Kind::Openbao, &bao.url, None)
            .unwrap()
            .with_kv(KvLocation::new("secret", "team", None).unwrap())
            .unwrap();
        remote::connect(&config, ROOT.into(), remote::default_policy()).unwrap()
    };
    let listed = api.list().unwrap();
    let entry = listed.secrets.iter().find(|s| s.name == "TWO_KEYS").unwrap();
    let err = api.reveal(entry).unwrap_err();
    assert_eq!(err.kind, Failure::BadReply);
    assert!(err.message.contains("secret/team/TWO_KEYS holds no text under the key \"value\""), "{err}");
    assert!(!err.message.contains("\"p\""), "{err}");
}
