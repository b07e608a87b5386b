//! Test 3: SIGKILL at random moments during an import of 10,000 entries leaves
//! a vault that opens, passes `PRAGMA integrity_check`, and holds each secret
//! whole or not at all.

mod common;

use std::{
    collections::HashMap,
    process::Stdio,
    time::{Duration, Instant},
};

use common::{Kh, PASSPHRASE, random_values};
use keyhaven_core::{Vault, vault::Access};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};

const ENTRIES: usize = 10_000;
const KILLS: usize = 24;

#[test]
fn sigkill_during_import_never_leaves_a_partial_secret() {
    let kh = Kh::new();
    let values = random_values(ENTRIES);
    let expected: HashMap<String, &String> =
        values.iter().enumerate().map(|(i, v)| (format!("BULK_{i}"), v)).collect();
    let env_file = kh.path("bulk.env");
    let text: String = values.iter().enumerate().map(|(i, v)| format!("BULK_{i}={v}\n")).collect();
    std::fs::write(&env_file, text).unwrap();
    let pristine = std::fs::read(&kh.vault).unwrap();

    // One uninterrupted import tells how long the window to hit is.
    let started = Instant::now();
    kh.ok(&["import", env_file.to_str().unwrap()], None);
    let full = started.elapsed();

    let mut rng = rand::thread_rng();
    let mut outcomes = HashMap::<usize, usize>::new();
    for round in 0..KILLS {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", kh.vault.display()));
        }
        std::fs::write(&kh.vault, &pristine).unwrap();
        let mut child = kh
            .cmd()
            .args(["import", env_file.to_str().unwrap()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let at = full.mul_f64(rng.gen_range(0.0..1.1));
        std::thread::sleep(at);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let conn = rusqlite::Connection::open(&kh.vault).unwrap();
        let check: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
        assert_eq!(check, "ok", "round {round}, killed after {at:?}");
        drop(conn);

        let mut vault = Vault::open(&kh.vault).unwrap().unlock(&SecretString::from(PASSPHRASE)).unwrap();
        let listed = vault.list().unwrap().len();
        let revealed = vault.reveal_all(None, Access::Reveal).unwrap();
        assert_eq!(listed, revealed.len(), "round {round}: a secret without its value");
        for (name, value) in &revealed {
            assert_eq!(value.expose_secret(), expected[name.as_str()].as_str(), "round {round}: {name}");
        }
        *outcomes.entry(revealed.len()).or_default() += 1;
    }
    eprintln!("import took {full:?}; secrets present after each kill: {outcomes:?}");
    assert!(outcomes.keys().all(|&n| n == 0 || n == ENTRIES), "{outcomes:?}");
    assert!(full > Duration::ZERO);
}
