//! Test 1: planted values never reach the disk, the temp dir or the logs.

mod common;
#[path = "../../core/tests/common/emulator.rs"]
mod emulator;

use aho_corasick::AhoCorasick;
use common::{Kh, files_under, random_values};
use emulator::{Emulator, TOKEN};
use keyhaven_core::remote::Kind;

#[test]
fn planted_values_never_appear_in_files_temp_dir_or_trace_logs() {
    let kh = Kh::new();
    // Held open so SQLite keeps the -wal and -shm files for the scan.
    let holder = rusqlite::Connection::open(&kh.vault).unwrap();
    holder.query_row("SELECT count(*) FROM secrets", [], |row| row.get::<_, i64>(0)).unwrap();

    let values = random_values(1_100);
    let (set_values, rest) = values.split_at(150);
    let (import_values, rotate_values) = rest.split_at(800);
    let mut logs: Vec<u8> = Vec::new();
    let traced_with =
        |logs: &mut Vec<u8>, mut cmd: std::process::Command, args: &[&str], stdin: Option<&[u8]>| {
            cmd.env("RUST_LOG", "trace");
            let out = kh.run_with(cmd, args, stdin);
            assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
            logs.extend(out.stdout);
            logs.extend(out.stderr);
        };
    let traced =
        |logs: &mut Vec<u8>, args: &[&str], stdin: Option<&[u8]>| traced_with(logs, kh.cmd(), args, stdin);

    for (i, value) in set_values.iter().enumerate() {
        let name = format!("SET_{i}");
        if i % 2 == 0 {
            traced(&mut logs, &["set", &name, "--description", "planted"], Some(value.as_bytes()));
        } else {
            let mut cmd = kh.cmd();
            cmd.env_remove("KEYHAVEN_PASSPHRASE");
            let input = format!("{}\n{value}\n", common::PASSPHRASE);
            traced_with(&mut logs, cmd, &["--passphrase-stdin", "set", &name], Some(input.as_bytes()));
        }
    }

    let env_file = kh.tmp.join("planted.env");
    let text: String = import_values.iter().enumerate().map(|(i, v)| format!("IMPORTED_{i}={v}\n")).collect();
    std::fs::write(&env_file, text).unwrap();
    traced(&mut logs, &["import", env_file.to_str().unwrap()], None);
    std::fs::remove_file(&env_file).unwrap();

    for (i, value) in rotate_values.iter().enumerate() {
        traced(&mut logs, &["rotate", &format!("SET_{i}")], Some(value.as_bytes()));
    }
    traced(&mut logs, &["run", "--", "sh", "-c", "env; echo $SET_0 $IMPORTED_1 >&2"], None);
    traced(&mut logs, &["export", "--format", "env"], None);
    traced(&mut logs, &["export", "--format", "json"], None);
    traced(&mut logs, &["ls", "--json"], None);
    traced(&mut logs, &["history", "SET_0"], None);
    traced(&mut logs, &["log"], None);

    // Sync pushes every value, and pulls them back where the dialect reveals.
    let emulator = Emulator::start();
    for kind in [Kind::Runloop, Kind::Runtools] {
        let url = emulator.url(kind);
        traced(
            &mut logs,
            &["remote", "add", kind.as_str(), "--kind", kind.as_str(), "--url", &url, "--include", "*"],
            Some(TOKEN.as_bytes()),
        );
        traced(&mut logs, &["remote", "test", kind.as_str()], None);
        traced(&mut logs, &["sync", kind.as_str(), "--yes"], None);
    }
    let pulled = random_values(1).remove(0);
    let body = serde_json::json!({ "name": "PULLED", "value": pulled });
    emulator.call(Kind::Runtools, "POST", "/v1/secrets", Some(body));
    // Piped, a new name stays on the remote; --accept-new takes it.
    traced(&mut logs, &["sync", "runtools", "--pull"], None);
    assert_eq!(kh.run(&["get", "PULLED"], None).status.code(), Some(4));
    traced(&mut logs, &["sync", "runtools", "--pull", "--accept-new"], None);
    traced(&mut logs, &["remote", "ls"], None);

    let vault_dir = kh.vault.parent().unwrap();
    let wal = kh.vault.with_extension("sqlite-wal");
    assert!(wal.exists(), "the scan must see the WAL");
    let mut scanned = files_under(vault_dir);
    scanned.sort();
    let matcher =
        AhoCorasick::new(values.iter().map(String::as_str).chain([pulled.as_str(), TOKEN])).unwrap();
    let mut hits = Vec::new();
    for path in &scanned {
        let bytes = std::fs::read(path).unwrap();
        if let Some(found) = matcher.find(&bytes) {
            hits.push(format!("{} (value #{})", path.display(), found.pattern().as_usize()));
        }
    }
    if let Some(found) = matcher.find(&logs) {
        hits.push(format!("captured logs (value #{})", found.pattern().as_usize()));
    }
    assert!(hits.is_empty(), "plaintext found in: {hits:?}");
    assert!(logs.windows(5).any(|w| w == b"TRACE" || w == b"DEBUG"), "logging at trace was not on");
    assert!(scanned.len() >= 3, "scanned {scanned:?}");
    drop(holder);

    // The values really are in the vault: reading them back works.
    assert_eq!(kh.ok(&["get", "IMPORTED_7"], None), import_values[7]);
    assert_eq!(kh.ok(&["get", "SET_3"], None), rotate_values[3]);
    assert_eq!(kh.ok(&["get", "PULLED"], None), pulled);
    assert_eq!(emulator.secrets(Kind::Runloop).len(), set_values.len() + import_values.len());
}
