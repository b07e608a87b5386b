//! "Remember on this device" against a real Secret Service: gnome-keyring in a
//! private D-Bus session, with HOME and XDG dirs in a temp dir.

mod common;

use std::process::Command;

use common::Kh;

#[test]
fn remember_lock_unlock_and_forget_with_a_real_keyring() {
    let kh = Kh::new();
    kh.ok(&["set", "REMEMBERED"], Some(b"value-from-keyring"));
    // Results go to $OUT: the session bus's stdout also carries what the daemons print.
    let script = r#"
        set -u
        step() { echo "== $1" >>"$OUT"; shift; "$@" >>"$OUT"; echo "exit=$?" >>"$OUT"; }
        step remember env KEYHAVEN_PASSPHRASE="$PASS" "$KH" unlock --remember
        step get-remembered "$KH" get REMEMBERED
        step info "$KH" --json info
        step lock "$KH" lock
        step get-locked "$KH" get REMEMBERED
        step unlock-again env KEYHAVEN_PASSPHRASE="$PASS" "$KH" unlock
        step get-not-remembered "$KH" get REMEMBERED
        step remember-again env KEYHAVEN_PASSPHRASE="$PASS" "$KH" unlock --remember
        step get-again "$KH" get REMEMBERED
        step remember-briefly env KEYHAVEN_PASSPHRASE="$PASS" "$KH" unlock --remember --for 2s
        step get-briefly "$KH" get REMEMBERED
        sleep 3
        step get-expired "$KH" get REMEMBERED
        step keyring-after-expiry secret-tool search --all service keyhaven
        step forget "$KH" forget
        step get-forgotten "$KH" get REMEMBERED
    "#;
    let data = kh.path("xdg-data");
    let results = kh.path("keyring-steps.txt");
    let with_keyring = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/with-keyring.sh");
    let out = Command::new("dbus-run-session")
        .args(["--", with_keyring, "sh", "-c", script])
        .env("KH", env!("CARGO_BIN_EXE_keyhaven"))
        .env("OUT", &results)
        .env("PASS", common::PASSPHRASE)
        .env("KEYHAVEN_VAULT", &kh.vault)
        .env("HOME", kh.dir.path())
        .env("XDG_DATA_HOME", &data)
        .env("XDG_CONFIG_HOME", kh.path("xdg-config"))
        .env_remove("KEYHAVEN_PASSPHRASE")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .expect("dbus-run-session is needed (apt install dbus gnome-keyring; `make test` installs them)");
    let stdout = std::fs::read_to_string(&results).unwrap_or_default();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let step = |name: &str| -> String {
        let start = stdout
            .find(&format!("== {name}\n"))
            .unwrap_or_else(|| panic!("no step {name}: {stdout}\n{stderr}"));
        let rest = &stdout[start + name.len() + 4..];
        rest[..rest.find("== ").unwrap_or(rest.len())].to_owned()
    };
    assert_eq!(step("remember"), "exit=0\n", "{stderr}");
    assert_eq!(step("get-remembered"), "value-from-keyringexit=0\n", "{stderr}");
    assert!(step("info").contains("\"remembered_on_device\": true"));
    assert_eq!(step("get-locked"), "exit=3\n");
    assert_eq!(
        step("get-not-remembered"),
        "exit=3\n",
        "an unlock without --remember after a lock keeps nothing"
    );
    assert_eq!(step("get-again"), "value-from-keyringexit=0\n", "{stderr}");
    assert_eq!(step("get-briefly"), "value-from-keyringexit=0\n", "{stderr}");
    assert_eq!(step("get-expired"), "exit=3\n", "past its lifetime the key is not used");
    assert!(!step("keyring-after-expiry").contains("vault-"), "and it is gone from the keyring");
    assert_eq!(step("get-forgotten"), "exit=3\n");
    assert!(data.join("keyrings").exists(), "the test keyring lives in the temp dir");
}
