//! The OpenBao remote against a real `bao server -dev` on 127.0.0.1: two
//! devices (two vault files) converging through one server, check-and-set
//! conflicts, soft deletes, and what a token's policies allow.

mod common;

use common::openbao::{OpenBao, ROOT, TEAM_READ, TEAM_READ_VAULT, TEAM_WRITE};
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
        Self::with(bao, KvLocation::new("secret", "team", None).unwrap(), token)
    }

    /// Logging in with AppRole as `role_id`, the secret id as its key.
    fn approle(bao: &OpenBao, role_id: &str, secret_id: &str) -> Self {
        Self::with(
            bao,
            KvLocation::new("secret", "team", None).unwrap().with_approle(role_id).unwrap(),
            secret_id,
        )
    }

    fn with(bao: &OpenBao, location: KvLocation, key: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut vault =
            Vault::create(&dir.path().join("vault.sqlite"), &"pw".into(), KdfParams::custom(8, 1).unwrap())
                .unwrap();
        let config =
            RemoteConfig::new("team", Kind::Openbao, &bao.url, None).unwrap().with_kv(location).unwrap();
        vault.add_remote(&config, &key.into()).unwrap();
        vault.set_remote_selection("team", &Selection::everything()).unwrap();
        Device { _dir: dir, vault }
    }

    fn try_sync(&mut self, options: SyncOptions) -> keyhaven_core::Result<SyncReport> {
        // Few retries: a server stopped or sealed on purpose is not waited for.
        let policy = remote::RetryPolicy { attempts: 2, ..remote::push_policy() };
        let api = self.vault.connect_with("team", policy)?;
        sync::sync(&mut self.vault, "team", api.as_ref(), &options, &mut |_, _| {})
            .map_err(|err| err.at_remote("team"))
    }

    /// A sync that must fail with the key refused: what it says of the key.
    fn refused_key(&mut self) -> String {
        match self.try_sync(SyncOptions::default()) {
            Err(Error::KeyRefused { remote, detail }) => {
                assert_eq!(remote, "team");
                detail
            }
            other => panic!("{other:?}"),
        }
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
        rotate_by: Some(jiff::civil::date(2027, 3, 1)),
    };
    a.vault.set(&name("API_KEY"), &SecretString::from("v1-of-the-key"), &fields).unwrap();
    assert_eq!(actions(&a.sync(SyncOptions::default())), [("API_KEY".to_owned(), "create")]);
    assert_eq!(bao.value("team/API_KEY").as_deref(), Some("v1-of-the-key"));
    let meta = bao.metadata("team/API_KEY");
    assert_eq!(
        meta["custom_metadata"],
        json!({ "description": "the deploy key", "category": "provider", "rotate_by": "2027-03-01" })
    );
    assert_eq!(meta["current_version"], 1);

    // B's next pull brings the value and its metadata.
    assert_eq!(actions(&b.pull()), [("API_KEY".to_owned(), "pull")]);
    assert_eq!(b.value("API_KEY").as_deref(), Some("v1-of-the-key"));
    let on_b = b.vault.meta(&name("API_KEY")).unwrap();
    assert_eq!((on_b.description.as_str(), on_b.category.as_str()), ("the deploy key", "provider"));
    assert_eq!(on_b.rotate_by, Some(jiff::civil::date(2027, 3, 1)));

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
fn hvac_reads_what_keyhaven_wrote_and_keyhaven_reads_what_hvac_wrote() {
    let bao = OpenBao::start();
    let mut a = Device::new(&bao, ROOT);
    let fields = SecretFields { description: Some("main db".into()), ..Default::default() };
    a.vault.set(&name("DB_URL"), &SecretString::from("postgres://one"), &fields).unwrap();
    a.sync(SyncOptions::default());
    // hvac, an independent KV client, reads the value and the custom metadata Keyhaven wrote.
    let read = bao.hvac(&["read", "team/DB_URL"], "");
    assert_eq!(read["value"], "postgres://one");
    assert_eq!(read["custom_metadata"], json!({ "description": "main db" }));

    // hvac writes a new version, with metadata of its own, and a new name.
    bao.hvac(&["write", "team/DB_URL", "category=database", "owner=ops"], "postgres://two");
    bao.hvac(&["write", "team/NEW_ONE"], "from-hvac");
    let report = a.sync(SyncOptions::default());
    assert_eq!(actions(&report), [("DB_URL".to_owned(), "record"), ("NEW_ONE".to_owned(), "record")]);
    let report = a.sync(SyncOptions { pull: true, ..Default::default() });
    assert_eq!(actions(&report), [("DB_URL".to_owned(), "pull")]);
    assert_eq!(report.new_names, [name("NEW_ONE")], "a new name is offered, never pulled silently");
    assert_eq!(a.value("DB_URL").as_deref(), Some("postgres://two"));
    assert!(a.value("NEW_ONE").is_none());

    // Keyhaven's next write keeps the keys hvac set that are not Keyhaven's.
    a.vault.rotate(&name("DB_URL"), &SecretString::from("postgres://three")).unwrap();
    a.sync(SyncOptions::default());
    let read = bao.hvac(&["read", "team/DB_URL"], "");
    assert_eq!((read["value"].as_str(), read["version"].as_u64()), (Some("postgres://three"), Some(3)));
    assert_eq!(read["custom_metadata"]["owner"], "ops");
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
    for allowed in [Operation::List, Operation::Read, Operation::Reveal] {
        assert_eq!(access(allowed), WriteAccess::Allowed, "{allowed:?}");
    }
    for refused in [Operation::Write, Operation::Delete] {
        assert_eq!(access(refused), WriteAccess::Refused, "{refused:?}");
    }
    assert_eq!(check.writes, WriteAccess::Refused);

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
    let detail = device.refused_key();
    assert!(!detail.contains(&token), "{detail}");
}

#[test]
fn an_expired_token_is_a_refused_key() {
    let bao = OpenBao::start();
    bao.policy("team-write", TEAM_WRITE);
    let token = bao.token_for(&["team-write"], "2s");
    let mut device = Device::new(&bao, &token);
    device.sync(SyncOptions::default());
    std::thread::sleep(std::time::Duration::from_millis(2_500));
    let detail = device.refused_key();
    assert!(detail.contains("expired, was revoked or is wrong"), "{detail}");
    assert!(!detail.contains(&token), "{detail}");
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

#[test]
fn a_folder_is_listed_in_pages_with_its_metadata_or_name_by_name_where_the_policy_is_vaults() {
    let bao = OpenBao::start();
    for i in 0..2_501 {
        bao.put(&format!("team/K{i:04}"), "v");
    }
    bao.put("team/folder/INSIDE", "not listed");
    bao.policy("team-read", TEAM_READ);
    bao.policy("team-read-vault", TEAM_READ_VAULT);
    let listed = |token: &str| {
        let device = Device::new(&bao, token);
        let api = device.vault.connect("team").unwrap();
        let before = bao.requests().len();
        let listing = api.list().unwrap();
        assert!(listing.complete);
        assert_eq!(listing.secrets.len(), 2_501);
        assert_eq!(listing.secrets[7].marker, "1");
        assert_eq!(listing.folders, ["folder/"], "named, not descended into");
        let requests = bao.requests().split_off(before);
        (requests.iter().filter(|(_, path)| path.contains("/detailed-metadata/")).count(), requests.len())
    };
    // OpenBao's detailed listing: two pages of up to 2,500, nothing else.
    assert_eq!(listed(&bao.token(&["team-read"])), (2, 2));
    // A policy without it, as written for HashiCorp Vault: refused once, then each name.
    assert_eq!(listed(&bao.token(&["team-read-vault"])), (1, 1 + 1 + 2_501));
    // A sync says the folder below is left alone, and how to sync it.
    let report = Device::new(&bao, ROOT).sync(SyncOptions::default());
    let said = report.warnings.join("\n");
    assert!(said.contains("team has folders below its own, not synced: folder/;"), "{said}");
}

#[test]
fn an_approle_login_syncs_and_logs_in_again_when_half_its_lease_has_passed() {
    let bao = OpenBao::start();
    bao.policy("team-write", TEAM_WRITE);
    let (role_id, secret_id) = bao.approle("ci", &["team-write"], "2s");
    let mut device = Device::approle(&bao, &role_id, &secret_id);
    device.vault.set(&name("FROM_CI"), &SecretString::from("ci-value"), &SecretFields::default()).unwrap();
    assert_eq!(actions(&device.sync(SyncOptions::default())), [("FROM_CI".to_owned(), "create")]);
    assert_eq!(bao.value("team/FROM_CI").as_deref(), Some("ci-value"));

    // One client past its token's 2 s: it logged in again at 1 s and goes on.
    let before = bao.requests().len();
    let api = device.vault.connect("team").unwrap();
    api.list().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2_500));
    api.list().unwrap();
    let logins =
        bao.requests().split_off(before).iter().filter(|(_, path)| path == "auth/approle/login").count();
    assert_eq!(logins, 2);

    // A wrong secret id is a refused key, never printed.
    let mut stranger = Device::approle(&bao, &role_id, "00000000-0000-0000-0000-000000000000");
    let detail = stranger.refused_key();
    assert!(detail.contains("AppRole login"), "{detail}");
    assert!(!detail.contains("00000000-0000"), "{detail}");
}

#[test]
fn a_renewable_token_is_renewed_once_its_expiry_is_near_and_the_new_expiry_kept() {
    let bao = OpenBao::start();
    bao.policy("team-write", TEAM_WRITE);
    let token = bao.token_for(&["team-write"], "72h");
    let mut device = Device::new(&bao, &token);
    let lookup = || bao.call("POST", "auth/token/lookup", Some(json!({ "token": token })))["data"].clone();
    assert_eq!(lookup()["last_renewal_time"], json!(null), "never renewed yet");
    // Kept as expiring today: within the 14 days warned about, so the sync renews it first.
    let today = jiff::Zoned::now().date();
    device.vault.set_remote_expiry("team", Some(today)).unwrap();
    device.sync(SyncOptions::default());
    assert!(lookup()["last_renewal_time"].as_i64().is_some_and(|at| at > 0), "{}", lookup());
    let expires = device.vault.remote("team").unwrap().key.expires.unwrap();
    let in_72h = (jiff::Zoned::now() + jiff::SignedDuration::from_hours(72)).date();
    assert!(expires >= in_72h.yesterday().unwrap() && expires <= in_72h, "{expires}");
    // Far from its expiry, it is left alone.
    let renewed = lookup()["last_renewal_time"].clone();
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    device.vault.set_remote_expiry("team", Some(today.checked_add(jiff::ToSpan::days(60)).unwrap())).unwrap();
    device.sync(SyncOptions::default());
    assert_eq!(lookup()["last_renewal_time"], renewed);
}

#[test]
fn a_sealed_or_stopped_server_queues_the_writes_and_the_next_sync_delivers_them() {
    let mut bao = OpenBao::start();
    let mut device = Device::new(&bao, ROOT);
    device.vault.set(&name("WHILE_SEALED"), &SecretString::from("one"), &SecretFields::default()).unwrap();
    bao.seal();
    let report = device.sync(SyncOptions::default());
    assert!(report.offline.as_deref().is_some_and(|why| why.contains("sealed")), "{:?}", report.offline);
    let queued = |report: &SyncReport| {
        report.steps.iter().filter(|s| format!("{:?}", s.status).starts_with("Queued")).count()
    };
    assert_eq!(queued(&report), 1, "{report:?}");
    bao.unseal();
    device.sync(SyncOptions::default());
    assert_eq!(bao.value("team/WHILE_SEALED").as_deref(), Some("one"));

    device.vault.set(&name("WHILE_DOWN"), &SecretString::from("two"), &SecretFields::default()).unwrap();
    bao.stop();
    let report = device.sync(SyncOptions::default());
    assert!(report.offline.is_some(), "{report:?}");
    assert_eq!(queued(&report), 1, "{report:?}");
    // A dev server starts empty: the queued create lands on the new one.
    bao.restart();
    device.sync(SyncOptions::default());
    assert_eq!(bao.value("team/WHILE_DOWN").as_deref(), Some("two"));
}

#[test]
fn a_namespace_holds_its_own_secrets_apart_from_the_root_one() {
    let bao = OpenBao::start();
    bao.call("POST", "sys/namespaces/team-ns", None);
    bao.call_in("team-ns", "POST", "sys/mounts/secret", Some(json!({ "type": "kv-v2" })));
    let mut device = Device::with(&bao, KvLocation::new("secret", "team", Some("team-ns")).unwrap(), ROOT);
    device.vault.set(&name("IN_NS"), &SecretString::from("ns-value"), &SecretFields::default()).unwrap();
    assert_eq!(actions(&device.sync(SyncOptions::default())), [("IN_NS".to_owned(), "create")]);
    let read = bao.call_in("team-ns", "GET", "secret/data/team/IN_NS", None);
    assert_eq!(read["data"]["data"]["value"], "ns-value");
    assert_eq!(bao.value("team/IN_NS"), None, "not in the root namespace");
    bao.put("team/ROOT_ONLY", "root");
    assert!(
        device.sync(SyncOptions::default()).steps.is_empty(),
        "the root namespace's names are not listed"
    );
}

#[test]
fn a_detailed_listing_whose_pages_do_not_move_forward_is_a_bad_reply_never_a_loop() {
    // Every page the same 2,500 names: a server (or something in front of it) that ignores `after`.
    let keys: Vec<String> = (0..2_500).map(|i| format!("K{i:04}")).collect();
    let info: serde_json::Map<String, serde_json::Value> = keys
        .iter()
        .map(|key| {
            (key.clone(), json!({ "current_version": 1, "versions": { "1": { "deletion_time": "" } } }))
        })
        .collect();
    let page = json!({ "data": { "keys": keys, "key_info": info } }).to_string();
    let (url, seen) = common::canned::canned(vec![common::canned::reply("200 OK", &page); 3]);
    let config = RemoteConfig::new("team", Kind::Openbao, &url, None)
        .unwrap()
        .with_kv(KvLocation::new("secret", "team", None).unwrap())
        .unwrap();
    let api = remote::connect(&config, "tok".into(), remote::push_policy()).unwrap();
    let err = api.list().unwrap_err();
    assert_eq!(err.kind, Failure::BadReply, "{err}");
    assert!(err.message.contains("does not move past the last one"), "{err}");
    assert_eq!(seen.try_iter().count(), 2, "the second page was the last one asked for");
}
