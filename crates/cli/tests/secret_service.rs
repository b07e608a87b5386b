//! `keyhaven secret-service` and `keyhaven git-credential`, each run on a
//! private session bus (`dbus-run-session`) with real clients: secret-tool
//! (libsecret), Python's secretstorage and keyring (also against
//! gnome-keyring, for a differential), git's credential commands and a
//! `git clone` over HTTP from a throw-away server that asks for basic auth.

mod common;
#[path = "../../core/tests/common/emulator.rs"]
mod emulator;

use std::{
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use common::{Kh, PASSPHRASE};
use emulator::{Emulator, TOKEN};
use keyhaven_core::remote::Kind;

/// Bash run first in every bus: `start_keyhaven ARGS` starts the provider
/// and waits until it owns the name (so the bus never activates
/// gnome-keyring in its place); `stop_keyhaven` stops it.
const PRELUDE: &str = r#"
set -euo pipefail
start_keyhaven() {
  "$KH" secret-service "$@" 2> "$TMPDIR/service.err" &
  SERVICE=$!
  for _ in $(seq 400); do
    grep -q 'serving' "$TMPDIR/service.err" && return 0
    kill -0 "$SERVICE" 2> /dev/null || { cat "$TMPDIR/service.err" >&2; return 1; }
    sleep 0.05
  done
  echo "the provider did not start" >&2
  return 1
}
stop_keyhaven() { kill "$SERVICE"; wait "$SERVICE" || true; }
"#;

/// The tools' virtualenv's python (secretstorage, keyring), which
/// `scripts/install-deps.sh test` makes; the Makefile names it.
fn python() -> PathBuf {
    std::env::var_os("KEYHAVEN_TOOLS_PYTHON").map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").expect("HOME");
        Path::new(&home).join(".cache/keyhaven/target/tools-venv/bin/python")
    })
}

fn tools() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/tools")
}

/// Runs `script` in bash on a bus of its own, with `$KH` (keyhaven), `$PY`
/// and `$TOOLS` set and the vault's environment; (success, stdout, stderr).
fn on_bus(kh: &Kh, script: &str, env: &[(&str, &std::ffi::OsStr)]) -> (bool, String, String) {
    let mut cmd = Command::new("timeout");
    cmd.args(["120", "dbus-run-session", "--", "bash", "-c"])
        .arg(format!("{PRELUDE}\n{script}"))
        .env("KEYHAVEN_VAULT", &kh.vault)
        .env("KEYHAVEN_PASSPHRASE", PASSPHRASE)
        .env("TMPDIR", &kh.tmp)
        .env("HOME", kh.dir.path())
        .env("KH", env!("CARGO_BIN_EXE_keyhaven"))
        .env("PY", python())
        .env("TOOLS", tools())
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("RUST_LOG")
        .env_remove("SSH_ASKPASS")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::null());
    for (name, value) in env {
        cmd.env(name, value);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr)
        .lines()
        // dbus-daemon's own complaint when it runs without CAP_SYS_RESOURCE.
        .filter(|line| !line.contains("Failed to set fd limit"))
        .collect::<Vec<_>>()
        .join("\n");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

/// An askpass program that notes each question's first line in `questions`
/// and answers what `answer` holds.
fn askpass(kh: &Kh) -> PathBuf {
    let program = kh.path("askpass");
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" | head -n 1 >> {}\ncat {}\n",
            kh.path("questions").display(),
            kh.path("answer").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(kh.path("questions"), "").unwrap();
    program
}

fn questions(kh: &Kh) -> Vec<String> {
    std::fs::read_to_string(kh.path("questions")).unwrap().lines().map(str::to_owned).collect()
}

#[test]
fn secret_tool_stores_looks_up_searches_and_clears_and_a_program_is_asked_once() {
    let kh = Kh::new();
    let program = askpass(&kh);
    std::fs::write(kh.path("answer"), "always\n").unwrap();
    let script = r#"
start_keyhaven
printf 'gh-token' | secret-tool store --label='GitHub CLI' service gh username alice
for _ in $(seq 10); do [ "$(secret-tool lookup service gh)" = gh-token ]; done
echo "search: $(secret-tool search service gh 2>&1 | grep -c 'attribute.username = alice')"
cp "$(command -v secret-tool)" "$TMPDIR/other-secret-tool"
echo no > "$HOME/answer"
if "$TMPDIR/other-secret-tool" lookup service gh; then echo "other: read"; else echo "other: refused"; fi
echo once > "$HOME/answer"
echo "other, once: $("$TMPDIR/other-secret-tool" lookup service gh)"
"$KH" items always-ask GITHUB_CLI on
echo "always ask, allowed before: $(secret-tool lookup service gh)"
"$KH" items always-ask GITHUB_CLI off
secret-tool clear service gh
if secret-tool lookup service gh; then echo "after clear: found"; else echo "after clear: none"; fi
stop_keyhaven
"#;
    let (ok, stdout, stderr) = on_bus(&kh, script, &[("SSH_ASKPASS", program.as_os_str())]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("search: 1"), "{stdout}");
    assert!(stdout.contains("other: refused") && stdout.contains("other, once: gh-token"), "{stdout}");
    assert!(stdout.contains("always ask, allowed before: gh-token"), "{stdout}");
    assert!(stdout.contains("after clear: none"), "{stdout}");
    // Ten runs of secret-tool, one question; the copy at another path asked
    // twice; secret-tool asked again once the item was marked "always ask".
    let asked = questions(&kh);
    assert_eq!(asked.len(), 4, "{asked:?}");
    assert!(asked[3].starts_with("Allow secret-tool (/usr/bin/secret-tool"), "{asked:?}");
    assert!(asked[0].starts_with("Allow secret-tool (/usr/bin/secret-tool, pid "), "{asked:?}");
    assert!(asked[0].ends_with(") to read the item “GitHub CLI”?"), "{asked:?}");
    assert!(asked[1].contains("other-secret-tool") && asked[2].contains("other-secret-tool"), "{asked:?}");

    let grants = kh.ok(&["grants", "ls"], None);
    assert!(grants.contains("/usr/bin/secret-tool") && grants.contains("item:GITHUB_CLI"), "{grants}");
    let log = kh.ok(&["log", "--limit", "40"], None);
    // Ten lookups, the search's two reads (GetSecrets, then the item's GetSecret), one always asked.
    let reads = log
        .lines()
        .filter(|line| line.contains(" reveal ") && line.contains("secret-tool (/usr/bin/secret-tool"))
        .count();
    assert_eq!(reads, 13, "{log}");
    assert!(
        log.lines()
            .any(|line| line.contains(" set ") && line.contains("GITHUB_CLI  secret service: secret-tool")),
        "{log}"
    );
    assert!(log.contains("denied: other-secret-tool"), "{log}");
    assert!(kh.ok(&["items"], None).lines().count() == 1, "the item is gone");
}

#[test]
fn python_clients_see_what_they_see_with_gnome_keyring() {
    let kh = Kh::new();
    let script = r#"
start_keyhaven --no-confirm
"$PY" "$TOOLS/secret_service_clients.py" --extra > "$TMPDIR/keyhaven.json"
stop_keyhaven
head -n 1 "$TMPDIR/service.err"
"#;
    let (ok, stdout, stderr) = on_bus(&kh, script, &[]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("--no-confirm: every program of this user may read every item without being asked")
    );
    let reference = kh.path("gnome");
    std::fs::create_dir(&reference).unwrap();
    let script = r#"
echo -n unlock | gnome-keyring-daemon --unlock --components=secrets > /dev/null
"$PY" "$TOOLS/secret_service_clients.py" > "$TMPDIR/gnome-keyring.json"
"#;
    let (ok, stdout, stderr) = on_bus(&kh, script, &[("HOME", reference.as_os_str())]);
    assert!(ok, "{stdout}\n{stderr}");
    let read = |name: &str| -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(kh.tmp.join(name)).unwrap()).unwrap()
    };
    let (mut ours, theirs) = (read("keyhaven.json"), read("gnome-keyring.json"));
    // The steps gnome-keyring cannot take headless (a new keyring asks for its password).
    let extra: Vec<(String, serde_json::Value)> = ours
        .iter()
        .filter(|(key, _)| key.starts_with("extra: "))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    ours.retain(|key, _| !key.starts_with("extra: "));
    assert_eq!(ours, theirs);
    assert_eq!(theirs.len(), 37, "{theirs:?}");
    assert_eq!(theirs["dh: secret"], "76616c75652000ff206468");
    assert_eq!(theirs["keyring: get after set again"], "second password");
    // A watching client hears each change on the collection's own path.
    assert_eq!(theirs["dh: signals"]["relabel"], serde_json::json!(["ItemChanged made on the collection"]));
    assert_eq!(theirs["plain: signals"]["create"], serde_json::json!(["ItemCreated made on the collection"]));
    let extra: serde_json::Map<_, _> = extra.into_iter().collect();
    assert_eq!(extra["extra: new collection label"], "Keyhaven differential");
    assert_eq!(
        (extra["extra: found in new collection"].as_u64(), extra["extra: not in default"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(extra["extra: gone with its collection"], 0);
    assert_eq!(extra["extra: session collection"], serde_json::json!(["memory"]));
    // The session collection is memory only.
    assert!(!kh.ok(&["items"], None).contains("in memory"));
}

#[test]
fn malformed_calls_get_dbus_errors_and_the_provider_goes_on() {
    let kh = Kh::new();
    let script = r#"
start_keyhaven --no-confirm
"$PY" "$TOOLS/secret_service_malformed.py"
stop_keyhaven
! grep -i panick "$TMPDIR/service.err"
"#;
    let (ok, stdout, stderr) = on_bus(&kh, script, &[]);
    assert!(ok, "{stdout}\n{stderr}");
    let cases: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    for (case, reply) in &cases {
        let reply = reply.as_str().unwrap();
        match case.as_str() {
            "still serving" => assert_eq!(reply, "ok"),
            "the target is intact" => assert_eq!(reply, "value"),
            _ => assert!(reply.starts_with("org.freedesktop."), "{case}: {reply}"),
        }
    }
    assert_eq!(cases.len(), 20);
    assert_eq!(cases["another client's session"], "org.freedesktop.Secret.Error.NoSession");
    assert_eq!(cases["DH public key 1"], "org.freedesktop.Secret.Error.InvalidArgs");
    assert_eq!(cases["a value of 65 KiB"], "org.freedesktop.Secret.Error.InvalidArgs");
}

#[test]
fn a_locked_vault_answers_is_locked_and_another_provider_is_named_or_replaced() {
    let kh = Kh::new();
    let script = r#"
echo -n unlock | gnome-keyring-daemon --unlock --components=secrets > /dev/null
if "$KH" secret-service --no-confirm 2> "$TMPDIR/taken.err"; then echo "started beside it"; fi
echo "taken: $(cat "$TMPDIR/taken.err")"
if "$KH" secret-service --no-confirm --replace 2> "$TMPDIR/refused.err"; then echo "replaced it"; fi
echo "refused: $(cat "$TMPDIR/refused.err")"
GNOME=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets | awk '/uint32/ { print $2 }')
kill "$GNOME"
while dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets | grep -q true; do sleep 0.05; done
start_keyhaven --no-confirm
FIRST=$SERVICE
mv "$TMPDIR/service.err" "$TMPDIR/first.err"
start_keyhaven --no-confirm --replace
wait "$FIRST" && echo "first: $(tail -n 1 "$TMPDIR/first.err")"
printf 'v1' | secret-tool store --label='Locked test' service locked
"$PY" -c 'import secretstorage; secretstorage.get_default_collection(secretstorage.dbus_init()).lock()'
if secret-tool lookup service locked 2> "$TMPDIR/lookup.err"; then echo "locked: read"; else echo "locked: $(cat "$TMPDIR/lookup.err")"; fi
echo "search while locked: $(secret-tool search service locked 2>&1 | grep -c 'label = Locked test')"
stop_keyhaven
"#;
    let (ok, stdout, stderr) = on_bus(&kh, script, &[]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(!stdout.contains("started beside it") && !stdout.contains("replaced it"), "{stdout}");
    assert!(
        stdout.contains("taken: keyhaven: org.freedesktop.secrets is owned by gnome-keyring-daemon (/usr/bin/gnome-keyring-daemon, pid ")
            && stdout.contains("stop it first, or pass --replace"),
        "{stdout}"
    );
    assert!(stdout.contains("which does not let another provider take its place: stop it first"), "{stdout}");
    assert!(stdout.contains("first: another provider took org.freedesktop.secrets: stopping"), "{stdout}");
    assert!(stdout.contains("locked: ") && stdout.contains("Keyhaven is locked"), "{stdout}");
    assert!(!stdout.contains("locked: read"), "{stdout}");
    assert!(stdout.contains("search while locked: 1"), "{stdout}");
}

/// A server at `http://127.0.0.1:PORT/repo.git` that takes alice's password
/// only; a bus with the provider, so the helper's credentials show there too.
#[test]
fn git_credential_fills_approves_and_rejects_and_git_clones_with_it() {
    let kh = Kh::new();
    let script = r#"
export GIT_CONFIG_GLOBAL="$HOME/gitconfig"
git config --global user.name test && git config --global user.email test@example.com
git config --global credential.helper "!$KH git-credential"
git init -q --bare "$HOME/srv/repo.git"
git init -q "$HOME/work" && git -C "$HOME/work" commit -q --allow-empty -m first
git -C "$HOME/work" push -q "$HOME/srv/repo.git" HEAD:refs/heads/main
git -C "$HOME/srv/repo.git" symbolic-ref HEAD refs/heads/main
"$PY" "$TOOLS/git_http_server.py" "$HOME/srv" alice 's3cret pass' > "$TMPDIR/port" &
SERVER=$!
for _ in $(seq 100); do [ -s "$TMPDIR/port" ] && break; sleep 0.05; done
PORT=$(cat "$TMPDIR/port")
if git clone -q "http://127.0.0.1:$PORT/repo.git" "$HOME/before" 2> /dev/null; then echo "clone without: ok"; else echo "clone without: refused"; fi
printf 'protocol=http\nhost=127.0.0.1:%s\nusername=alice\npassword=s3cret pass\n\n' "$PORT" | git credential approve
printf 'protocol=http\nhost=127.0.0.1:%s\nusername=bob\npassword=bobs\n\n' "$PORT" | git credential approve
printf 'protocol=http\nhost=127.0.0.1:%s\nusername=alice\n\n' "$PORT" | git credential fill > "$TMPDIR/filled"
echo "filled: $(grep -c '^password=s3cret pass$' "$TMPDIR/filled")"
mkdir -p "$HOME/bin" && ln -s "$KH" "$HOME/bin/git-credential-keyhaven"
printf 'protocol=http\nhost=127.0.0.1:%s\nusername=alice\n\n' "$PORT" \
  | PATH="$HOME/bin:$PATH" git -c credential.helper= -c credential.helper=keyhaven credential fill > "$TMPDIR/linked"
echo "as git-credential-keyhaven: $(grep -c '^password=s3cret pass$' "$TMPDIR/linked")"
git clone -q "http://alice@127.0.0.1:$PORT/repo.git" "$HOME/clone"
echo "cloned: $(git -C "$HOME/clone" log --format=%s)"
start_keyhaven --no-confirm
echo "secret-tool: $(secret-tool lookup protocol http server 127.0.0.1 port "$PORT" user alice)"
stop_keyhaven
printf 'protocol=http\nhost=127.0.0.1:%s\nusername=alice\npassword=s3cret pass\n\n' "$PORT" | git credential reject
if printf 'protocol=http\nhost=127.0.0.1:%s\nusername=alice\n\n' "$PORT" | git credential fill > /dev/null 2>&1; then echo "after reject: filled"; else echo "after reject: none"; fi
kill $SERVER
"#;
    let (ok, stdout, stderr) = on_bus(&kh, script, &[]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("clone without: refused"), "{stdout}");
    assert!(stdout.contains("filled: 1") && stdout.contains("cloned: first"), "{stdout}");
    assert!(stdout.contains("as git-credential-keyhaven: 1"), "{stdout}");
    assert!(stdout.contains("secret-tool: s3cret pass"), "{stdout}");
    assert!(stdout.contains("after reject: none"), "{stdout}");
    // Exactly alice's credential went; bob's stays.
    let items = kh.ok(&["items", "--json"], None);
    let items: Vec<serde_json::Value> = serde_json::from_str(&items).unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["attributes"]["user"], "bob");
    assert_eq!(items[0]["attributes"]["xdg:schema"], "org.git.Password");
    assert!(items[0]["label"].as_str().unwrap().starts_with("Git: http://127.0.0.1:"));
}

#[test]
fn a_programs_item_reaches_a_remote_only_when_the_remote_names_it() {
    let emulator = Emulator::start();
    let kh = Kh::new();
    kh.ok(&["set", "API_KEY"], Some(b"api-value"));
    kh.ok(
        &["git-credential", "store"],
        Some(b"protocol=https\nhost=git.example\nusername=al\npassword=pw\n"),
    );
    let items: Vec<serde_json::Value> = serde_json::from_str(&kh.ok(&["items", "--json"], None)).unwrap();
    let name = items[0]["name"].as_str().unwrap().to_owned();
    assert_eq!(name, "GIT_HTTPS_GIT_EXAMPLE");
    // Listed apart from the secrets.
    let listed = kh.ok(&["ls"], None);
    assert!(listed.contains("API_KEY") && !listed.contains(&name), "{listed}");
    let url = emulator.url(Kind::Runloop);
    kh.ok(
        &["remote", "add", "prod", "--kind", "runloop", "--url", &url, "--include", "*"],
        Some(TOKEN.as_bytes()),
    );
    kh.ok(&["sync", "--yes"], None);
    let names = |emulator: &Emulator| -> Vec<String> {
        let mut names: Vec<String> =
            emulator.secrets(Kind::Runloop).iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect();
        names.sort();
        names
    };
    assert_eq!(names(&emulator), ["API_KEY"]);
    kh.ok(&["remote", "edit", "prod", "--include", &name], None);
    kh.ok(&["sync", "--yes"], None);
    assert_eq!(names(&emulator), ["API_KEY", name.as_str()]);
    // What git gets back is what it stored.
    let out = kh.ok(&["git-credential", "get"], Some(b"protocol=https\nhost=git.example\n"));
    assert_eq!(out, "username=al\npassword=pw\n");
    kh.ok(&["verify"], None);

    // Attributes are in the clear for a locked search, under the row's tag:
    // moved to another item by editing the file, they fail verify and give nothing.
    let conn = rusqlite::Connection::open(&kh.vault).unwrap();
    let moved = r#"{"protocol":"https","server":"evil.example","user":"al"}"#;
    conn.execute("UPDATE items SET attributes = ?1", [moved]).unwrap();
    let err = kh.fails(&["verify"], None, 7);
    assert!(err.contains(&format!("the label and attributes of {name}")), "{err}");
    let out = kh.run(&["git-credential", "get"], Some(b"protocol=https\nhost=evil.example\n"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code() == Some(7) && out.stdout.is_empty(), "{stderr}");
}
