//! The commands as a user meets them: output, exit codes and error messages.

mod common;

use common::Kh;

#[test]
fn init_refuses_to_overwrite_a_vault() {
    let kh = Kh::new();
    let err = kh.fails(&["init", "--kdf-memory-mib", "1", "--kdf-iterations", "1"], None, 5);
    assert!(err.contains("a vault already exists"), "{err}");
}

#[test]
fn a_weak_master_passphrase_is_refused_unless_allowed() {
    let kh = Kh::empty();
    let init = ["init", "--kdf-memory-mib", "1", "--kdf-iterations", "1"];
    for weak in ["hunter2", "password1234", "Keyhaven2026"] {
        let mut cmd = kh.cmd();
        cmd.env("KEYHAVEN_PASSPHRASE", weak);
        let out = kh.run_with(cmd, &init, None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(6), "{weak}: {stderr}");
        assert!(stderr.contains("this passphrase is weak") && stderr.contains("--allow-weak"), "{stderr}");
        assert!(stderr.contains("cannot be recovered"), "{stderr}");
        assert!(!stderr.contains(weak), "{stderr}");
        assert!(!kh.vault.exists(), "a vault was created with {weak}");
    }
    let mut cmd = kh.cmd();
    cmd.env("KEYHAVEN_PASSPHRASE", "hunter2");
    let out = kh.run_with(cmd, &[&init[..], &["--allow-weak"]].concat(), None);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: a weak passphrase"));

    let mut cmd = kh.cmd();
    cmd.env("KEYHAVEN_PASSPHRASE", "hunter2").env("KEYHAVEN_NEW_PASSPHRASE", "hunter3");
    assert_eq!(kh.run_with(cmd, &["passwd"], None).status.code(), Some(6));
}

#[test]
fn commands_on_a_missing_vault_say_how_to_create_one() {
    let kh = Kh::empty();
    let err = kh.fails(&["ls"], None, 4);
    assert!(err.contains("keyhaven init"), "{err}");
}

#[test]
fn messages_say_what_helps_a_close_name_a_directory_a_missing_keyring_and_warnings_on_stderr() {
    let kh = Kh::new();
    kh.ok(&["set", "OPENAI_API_KEY"], Some(b"sk-0123456789"));
    let err = kh.fails(&["get", "OPENAI_APIKEY"], None, 4);
    assert!(err.contains("no secret named OPENAI_APIKEY; did you mean OPENAI_API_KEY?"), "{err}");
    let err = kh.fails(&["get", "GITHUB_TOKEN"], None, 4);
    assert!(err.trim_end().ends_with("no secret named GITHUB_TOKEN"), "{err}");
    kh.ok(&["rm", "OPENAI_API_KEY", "--yes"], None);
    let err = kh.fails(&["get", "OPENAI_API_KEY"], None, 4);
    assert!(err.contains("it was removed"), "{err}");
    let err = kh.fails(&["remote", "show", "prod"], None, 4);
    assert!(err.contains("no remote named prod"), "{err}");

    // A directory given as the vault is named as one.
    let dir = kh.path("a-directory");
    std::fs::create_dir(&dir).unwrap();
    let err = kh.fails(&["--vault", dir.to_str().unwrap(), "ls"], None, 7);
    assert!(err.contains("it is a directory; the vault is a file"), "{err}");

    // No keyring on this bus: lock says so in a sentence, not in D-Bus's words.
    let mut cmd = kh.cmd();
    cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    let out = kh.run_with(cmd, &["lock"], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("no keyring Keyhaven can reach") && !err.contains("DBus"), "{err}");

    // Importing a directory that is not a pass store is an error, not "Imported 0".
    let err = kh.fails(&["import", dir.to_str().unwrap()], None, 6);
    assert!(err.contains("not a pass store"), "{err}");
    // scan keeps 1 for "found": a path that is not there is 4, a directory outside git 6.
    let err = kh.fails(&["scan", kh.path("nowhere").to_str().unwrap()], None, 4);
    assert!(err.contains("no such file or directory"), "{err}");
    let err = kh.fails(&["scan", "--git", dir.to_str().unwrap()], None, 6);
    assert!(err.contains("is not in a git repository"), "{err}");

    // A warning goes to stderr with its prefix; stdout keeps the data.
    let out = kh.run(&["info"], None);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!stdout.contains("warning") && stderr.contains("warning: key derivation is below"), "{stderr}");
}

#[test]
fn conventional_flags_quiet_color_ls_names_and_export_to_a_private_file() {
    let kh = Kh::new();
    kh.ok(&["set", "OPENAI_API_KEY"], Some(b"sk-0123456789"));
    kh.ok(&["set", "DB_PASSWORD"], Some(b"pw-0123456789"));
    // --quiet: stderr keeps errors and warnings only.
    let out = kh.run(&["--quiet", "set", "QUIET_ONE"], Some(b"value-0123"));
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    let err = kh.fails(&["-q", "get", "NOPE"], None, 4);
    assert!(err.contains("no secret named NOPE"), "{err}");
    let out = kh.run(&["-q", "info"], None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: key derivation"), "{out:?}");

    // ls --format names|json
    assert_eq!(kh.ok(&["ls", "--format", "names"], None), "DB_PASSWORD\nOPENAI_API_KEY\nQUIET_ONE\n");
    let listed: Vec<serde_json::Value> =
        serde_json::from_str(&kh.ok(&["ls", "--format", "json"], None)).unwrap();
    assert_eq!(listed.len(), 3);

    // --color: always colours help, never does not (auto follows the terminal and NO_COLOR).
    assert!(kh.ok(&["--color", "always", "--help"], None).contains('\x1b'));
    assert!(!kh.ok(&["--color=never", "--help"], None).contains('\x1b'));

    // export -o: a new file only its owner reads, with a name filter; an existing one is 5.
    let file = kh.path("provider.env");
    kh.ok(&["export", "OPENAI", "--reveal", "-o", file.to_str().unwrap()], None);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("OPENAI_API_KEY=") && text.contains("sk-0123456789"), "{text}");
    assert!(!text.contains("DB_PASSWORD"), "{text}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let err = kh.fails(&["export", "--reveal", "-o", file.to_str().unwrap()], None, 5);
    assert!(err.contains("exists: pass --force"), "{err}");
    kh.ok(&["export", "--reveal", "-o", file.to_str().unwrap(), "--force"], None);
    assert!(std::fs::read_to_string(&file).unwrap().contains("DB_PASSWORD"));
}

/// `script` run by `shell` with the built binary on PATH and the test's vault.
fn completed(kh: &Kh, shell: &str, flag: &str, script: &str) -> String {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_keyhaven")).parent().unwrap();
    let out = std::process::Command::new(shell)
        .args([flag, script])
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()))
        .env("KEYHAVEN_VAULT", &kh.vault)
        .env_remove("KEYHAVEN_PASSPHRASE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{shell}: {out:?}");
    String::from_utf8(out.stdout).unwrap().split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn completion_prints_each_shells_script_and_completes_secret_and_remote_names_locked() {
    let kh = Kh::new();
    kh.ok(&["set", "OPENAI_API_KEY"], Some(b"sk-0123456789"));
    kh.ok(&["set", "DB_PASSWORD"], Some(b"pw-0123456789"));
    for remote in ["prod", "dev"] {
        kh.ok(
            &["remote", "add", remote, "--kind", "runloop", "--url", "http://127.0.0.1:9"],
            Some(b"tok_0123456789"),
        );
    }
    assert_eq!(kh.ok(&["remote", "ls", "--format", "names"], None), "dev\nprod\n");
    let script = |shell: &str| {
        let path = kh.path(&format!("completion.{shell}"));
        std::fs::write(&path, kh.ok(&["completion", shell], None)).unwrap();
        path.display().to_string()
    };

    let bash = script("bash");
    let ask = |words: &str, cword: u32| {
        let run = format!(
            "source {bash}; COMP_WORDS=({words}); COMP_CWORD={cword}; _keyhaven_with_names; echo ${{COMPREPLY[@]}}"
        );
        completed(&kh, "bash", "-c", &run)
    };
    assert_eq!(ask("keyhaven get OP", 2), "OPENAI_API_KEY");
    assert_eq!(ask("keyhaven mv D", 2), "DB_PASSWORD");
    assert_eq!(ask("keyhaven sync ''", 2), "dev prod");
    assert_eq!(ask("keyhaven remote show p", 3), "prod");
    assert_eq!(ask("keyhaven resolve X --remote d", 4), "dev");

    // zsh: ours offers names (compadd stood in for, as outside a completion
    // widget), and hands every other word to clap's function.
    let zsh = script("zsh");
    let ask = |words: &str, current: u32| {
        let run = format!(
            "compdef(){{}}; compadd(){{ shift; print -l -- ${{(P)1}}; }}; source {zsh}; \
             _keyhaven_clap(){{ print clap; }}; words=({words}); CURRENT={current}; _keyhaven"
        );
        completed(&kh, "zsh", "-fc", &run)
    };
    assert_eq!(ask("keyhaven get OP", 3), "DB_PASSWORD OPENAI_API_KEY");
    assert_eq!(ask("keyhaven remote test ''", 4), "dev prod");
    assert_eq!(ask("keyhaven check --remote ''", 4), "dev prod");
    assert_eq!(ask("keyhaven ge", 2), "clap");

    let fish = script("fish");
    let ask = |line: &str| completed(&kh, "fish", "-c", &format!("source {fish}; complete -C '{line}'"));
    assert_eq!(ask("keyhaven rotate DB"), "DB_PASSWORD");
    assert_eq!(ask("keyhaven sync "), "dev prod");
    assert_eq!(ask("keyhaven remote rm p"), "prod");
    assert!(ask("keyhaven ver").starts_with("verify"), "clap's own completions stay");

    // A closed pipe is not a panic.
    let mut child = kh.cmd();
    child
        .args(["completion", "fish"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = child.spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "{out:?}");
}

#[test]
fn json_where_it_is_asked_and_exit_2_where_a_command_has_none() {
    let kh = Kh::new();
    kh.ok(&["set", "TOKEN"], Some(b"first-0123"));
    kh.ok(&["rotate", "TOKEN"], Some(b"second-0123"));
    let json = |args: &[&str]| -> serde_json::Value { serde_json::from_str(&kh.ok(args, None)).unwrap() };
    assert_eq!(
        json(&["--json", "get", "TOKEN"]),
        serde_json::json!({"name": "TOKEN", "version": 2, "value": "second-0123"})
    );
    assert_eq!(
        json(&["--json", "read", "keyhaven:TOKEN@1"]),
        serde_json::json!({"name": "TOKEN", "version": 1, "value": "first-0123"})
    );
    assert_eq!(json(&["--json", "verify"])["verified"], true);
    assert_eq!(json(&["--json", "rm", "TOKEN", "--yes"]), serde_json::json!({"removed": ["TOKEN"]}));
    assert_eq!(json(&["--json", "purge", "--yes"]), serde_json::json!({"purged": 1}));
    // A command with no JSON refuses --json instead of printing text a script would parse.
    for args in [&["--json", "run", "--", "true"][..], &["--json", "lock"], &["--json", "completion", "bash"]]
    {
        let err = kh.fails(args, None, 2);
        assert!(err.contains("--json: this command prints no JSON"), "{args:?}: {err}");
    }
}

#[test]
fn get_prints_the_value_alone() {
    let kh = Kh::new();
    kh.ok(&["set", "TOKEN"], Some(b"line one\nline two\n"));
    assert_eq!(kh.ok(&["get", "TOKEN"], None), "line one\nline two");
}

#[test]
fn ls_info_and_history_work_while_locked() {
    let kh = Kh::new();
    kh.ok(
        &[
            "set",
            "OPENAI_API_KEY",
            "--category",
            "provider",
            "--description",
            "prod key",
            "--rotate-by",
            "2020-01-01",
        ],
        Some(b"v"),
    );
    kh.ok(&["set", "GITHUB_TOKEN"], Some(b"v"));
    let mut locked = kh.cmd();
    locked.env_remove("KEYHAVEN_PASSPHRASE");
    let out = kh.run_with(locked, &["ls", "api"], None);
    let listing = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(listing.contains("OPENAI_API_KEY") && listing.contains("2020-01-01 (overdue)"), "{listing}");
    assert!(!listing.contains("GITHUB_TOKEN"), "{listing}");

    let mut locked = kh.cmd();
    locked.env_remove("KEYHAVEN_PASSPHRASE");
    let info = kh.run_with(locked, &["--json", "info"], None);
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(info["secrets"], 2);
    assert_eq!(info["kdf"]["memory_kib"], 1024);
    assert_eq!(info["kdf_below_recommended"], true);

    let mut locked = kh.cmd();
    locked.env_remove("KEYHAVEN_PASSPHRASE");
    assert_eq!(kh.run_with(locked, &["get", "GITHUB_TOKEN"], None).status.code(), Some(3));
}

#[test]
fn ls_due_lists_what_wants_rotating_and_using_an_overdue_secret_says_so_on_stderr() {
    let kh = Kh::new();
    let today = jiff::Zoned::now().date();
    let in_days = |days: i64| today.checked_add(jiff::Span::new().days(days)).unwrap().to_string();
    kh.ok(&["set", "OLD", "--rotate-by", "2020-01-01"], Some(b"old-value"));
    kh.ok(&["set", "SOON", "--rotate-by", &in_days(3)], Some(b"soon-value"));
    kh.ok(&["set", "LATER", "--rotate-by", &in_days(30)], Some(b"later-value"));
    kh.ok(&["set", "PLAIN"], Some(b"plain-value"));

    let due = kh.ok(&["ls", "--due"], None);
    assert!(due.contains("2020-01-01 (overdue)") && due.contains("(in 3 d)"), "{due}");
    assert!(!due.contains("LATER") && !due.contains("PLAIN"), "{due}");
    let json: serde_json::Value = serde_json::from_str(&kh.ok(&["--json", "ls", "--due"], None)).unwrap();
    let names: Vec<&str> = json.as_array().unwrap().iter().map(|row| row["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["OLD", "SOON"]);

    // The value alone on stdout; the notice, one line, on stderr.
    let out = kh.run(&["get", "OLD"], None);
    assert_eq!(out.stdout, b"old-value");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("OLD is due for rotation since 2020-01-01: `keyhaven rotate OLD`"), "{stderr}");
    for quiet in [&["get", "SOON"][..], &["get", "PLAIN"], &["read", "keyhaven:LATER"]] {
        assert!(kh.run(quiet, None).stderr.is_empty(), "{quiet:?}");
    }
    let mut silenced = kh.cmd();
    silenced.env("KEYHAVEN_NO_NOTICES", "1");
    assert!(kh.run_with(silenced, &["get", "OLD"], None).stderr.is_empty());
    let read = kh.run(&["read", "keyhaven:OLD@1"], None);
    assert!(String::from_utf8_lossy(&read.stderr).contains("OLD is due for rotation"));

    // run: the secrets the command gets, from the vault or through an env
    // file's references; a plain entry of the same name is not one.
    let run = kh.run(&["run", "--only", "OLD", "--only", "SOON", "--", "true"], None);
    assert!(run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("OLD is due for rotation"), "{run:?}");
    let env = kh.path("app.env");
    std::fs::write(&env, "OLD=literal\nKEY=keyhaven:SOON\n").unwrap();
    let run = kh.run(&["run", "--env-file", env.to_str().unwrap(), "--", "true"], None);
    assert!(run.status.success() && run.stderr.is_empty(), "{run:?}");
    std::fs::write(&env, "KEY=keyhaven:OLD\nOTHER=keyhaven:SOON\n").unwrap();
    let run = kh.run(&["run", "--env-file", env.to_str().unwrap(), "--", "true"], None);
    assert!(String::from_utf8_lossy(&run.stderr).contains("OLD is due for rotation"), "{run:?}");

    // Rotating settles the reminder: 90 days on, or the date given.
    let rotated = kh.run(&["rotate", "OLD"], Some(b"new-old-value"));
    let next = format!("next rotation reminder: {}", in_days(90));
    assert!(String::from_utf8_lossy(&rotated.stderr).contains(&next), "{rotated:?}");
    kh.ok(&["rotate", "SOON", "--rotate-by", "2099-01-01"], Some(b"new-soon-value"));
    assert_eq!(kh.ok(&["ls", "--due"], None).lines().count(), 1, "only the header is left");
    assert!(kh.run(&["get", "OLD"], None).stderr.is_empty());
    kh.ok(&["rotate", "LATER"], Some(b"new-later-value"));
    assert!(kh.ok(&["ls", "LATER"], None).contains(&in_days(30)), "a reminder not yet come stays");
}

#[test]
fn invalid_names_and_values_name_the_rule() {
    let kh = Kh::new();
    let err = kh.fails(&["set", "BAD-NAME"], Some(b"v"), 6);
    assert!(err.contains("^[A-Za-z_][A-Za-z0-9_]*$"), "{err}");
    let long = "N".repeat(257);
    let err = kh.fails(&["set", &long], Some(b"v"), 6);
    assert!(err.contains("at most 256"), "{err}");
    let err = kh.fails(&["set", "BIG"], Some(&vec![b'x'; 70_000]), 6);
    assert!(err.contains("64 KiB"), "{err}");
    let err = kh.fails(&["set", "DATED", "--rotate-by", "tomorrow"], Some(b"v"), 6);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    kh.fails(&["get", "BIG"], None, 4);
}

#[test]
fn an_empty_value_is_refused_unless_allowed() {
    let kh = Kh::new();
    // `echo -n "$UNSET" | keyhaven set X`, and a line ending alone.
    for stdin in [&b""[..], b"\n"] {
        let err = kh.fails(&["set", "EMPTY"], Some(stdin), 6);
        assert!(err.contains("value for EMPTY: it is empty") && err.contains("--allow-empty"), "{err}");
    }
    kh.fails(&["get", "EMPTY"], None, 4);
    kh.ok(&["set", "EMPTY", "--allow-empty"], Some(b""));
    assert_eq!(kh.ok(&["get", "EMPTY"], None), "");
    kh.ok(&["set", "FULL"], Some(b"full"));
    let err = kh.fails(&["rotate", "FULL"], Some(b""), 6);
    assert!(err.contains("it is empty"), "{err}");
    assert_eq!(kh.ok(&["get", "FULL"], None), "full", "nothing was stored");
}

#[test]
fn set_twice_is_refused_and_rotate_adds_versions() {
    let kh = Kh::new();
    kh.ok(&["set", "KEY"], Some(b"one"));
    let err = kh.fails(&["set", "KEY"], Some(b"two"), 5);
    assert!(err.contains("use `rotate`"), "{err}");
    kh.ok(&["rotate", "KEY"], Some(b"two"));
    kh.ok(&["rotate", "KEY", "--generate", "48"], None);
    assert_eq!(kh.ok(&["get", "KEY"], None).len(), 48);
    kh.ok(&["rollback", "KEY", "2"], None);
    assert_eq!(kh.ok(&["get", "KEY"], None), "two");
    let history: Vec<serde_json::Value> =
        serde_json::from_str(&kh.ok(&["--json", "history", "KEY"], None)).unwrap();
    let origins: Vec<&str> = history.iter().map(|v| v["origin"].as_str().unwrap()).collect();
    assert_eq!(origins, ["set", "rotate", "rotate", "rollback to 2"]);
    kh.fails(&["rollback", "KEY", "99"], None, 4);
    kh.fails(&["rotate", "NOPE"], Some(b"x"), 4);
}

#[test]
fn edit_changes_metadata_only_and_says_what_it_needs() {
    let kh = Kh::new();
    kh.ok(&["set", "KEY", "--description", "old words", "--rotate-by", "2027-01-31"], Some(b"the-value-1"));
    let edited: serde_json::Value = serde_json::from_str(
        &kh.ok(&["--json", "edit", "KEY", "--category", "llm", "--description", "new words"], None),
    )
    .unwrap();
    assert_eq!(
        (&edited["category"], &edited["description"], &edited["version"], &edited["rotate_by"]),
        (&"llm".into(), &"new words".into(), &1.into(), &"2027-01-31".into())
    );
    let edited: serde_json::Value =
        serde_json::from_str(&kh.ok(&["--json", "edit", "KEY", "--no-rotate-by"], None)).unwrap();
    assert_eq!(edited["rotate_by"], serde_json::Value::Null);
    assert_eq!(kh.ok(&["get", "KEY"], None), "the-value-1");
    let err = kh.fails(&["edit", "KEY"], None, 2);
    assert!(err.contains("nothing to change: give --description, --category"), "{err}");
    kh.fails(&["edit", "KEY", "--rotate-by", "2027-01-31", "--no-rotate-by"], None, 2);
    let err = kh.fails(&["edit", "KEY", "--rotate-by", "next week"], None, 6);
    assert!(err.contains("expected a date as YYYY-MM-DD"), "{err}");
    kh.fails(&["edit", "NOPE", "--category", "x"], None, 4);
    assert!(kh.ok(&["log"], None).contains("edit"));
}

#[test]
fn rm_leaves_a_tombstone_and_purge_clears_it() {
    let kh = Kh::new();
    kh.ok(&["set", "OLD"], Some(b"x"));
    let err = kh.fails(&["rm", "OLD"], None, 6);
    assert!(err.contains("stdin is not a terminal; pass --yes"), "{err}");
    kh.ok(&["get", "OLD"], None);
    kh.ok(&["rm", "OLD", "--yes"], None);
    kh.fails(&["get", "OLD"], None, 4);
    assert!(kh.ok(&["ls", "--removed"], None).contains("OLD"));
    kh.fails(&["purge"], None, 6);
    kh.ok(&["purge", "--yes"], None);
    assert!(!kh.ok(&["ls", "--removed"], None).contains("OLD"));
    kh.fails(&["rm", "OLD"], None, 4);

    // Several at once, all checked first: one missing name removes none.
    for name in ["A", "B", "C"] {
        kh.ok(&["set", name], Some(b"value-0123"));
    }
    let err = kh.fails(&["rm", "A", "NOPE", "--yes"], None, 4);
    assert!(err.contains("no secret named NOPE"), "{err}");
    kh.ok(&["get", "A"], None);
    kh.ok(&["rm", "A", "B", "--yes"], None);
    kh.fails(&["get", "A"], None, 4);
    kh.fails(&["get", "B"], None, 4);
    kh.ok(&["get", "C"], None);
}

#[test]
fn get_version_prints_an_earlier_version() {
    let kh = Kh::new();
    kh.ok(&["set", "TOKEN"], Some(b"first-0123"));
    kh.ok(&["rotate", "TOKEN"], Some(b"second-0123"));
    assert_eq!(kh.ok(&["get", "TOKEN", "--version", "1"], None), "first-0123");
    assert_eq!(kh.ok(&["get", "TOKEN"], None), "second-0123");
    let err = kh.fails(&["get", "TOKEN", "--version", "7"], None, 4);
    assert!(err.contains("TOKEN has no version 7"), "{err}");
}

#[test]
fn import_skips_existing_names_unless_overwrite() {
    let kh = Kh::new();
    kh.ok(&["set", "A"], Some(b"kept"));
    let file = kh.path("in.env");
    std::fs::write(&file, "A=new\nB='b $literal'\n# comment\nexport C=\"c\"\n").unwrap();
    let out = kh.run(&["import", file.to_str().unwrap()], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Imported 2 new") && stderr.contains("Skipped 1") && stderr.contains(": A"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{2588}'), "no progress bar on a pipe: {stderr}");
    assert_eq!(kh.ok(&["get", "A"], None), "kept");
    assert_eq!(kh.ok(&["get", "B"], None), "b $literal");

    let report: serde_json::Value =
        serde_json::from_str(&kh.ok(&["--json", "import", "--overwrite", file.to_str().unwrap()], None))
            .unwrap();
    assert_eq!(report["updated"].as_array().unwrap().len(), 3);
    assert_eq!(kh.ok(&["get", "A"], None), "new");
}

#[test]
fn import_dry_run_marks_each_row_and_overwrite_keeps_category_and_description() {
    let kh = Kh::new();
    kh.ok(&["set", "A", "--category", "provider", "--description", "the team's key"], Some(b"kept"));
    let file = kh.path("in.env");
    std::fs::write(&file, "A=new\nB=b\n").unwrap();
    let file = file.to_str().unwrap();
    let plan = kh.ok(&["import", file, "--dry-run"], None);
    assert!(plan.contains("2 secret(s): 1 new, 0 new version(s), 1 skipped"), "{plan}");
    assert!(plan.contains("skipped (exists)") && plan.contains("new  "), "{plan}");
    let plan = kh.ok(&["import", file, "--dry-run", "--overwrite"], None);
    assert!(plan.contains("2 secret(s): 1 new, 1 new version(s), 0 skipped"), "{plan}");
    let json: serde_json::Value =
        serde_json::from_str(&kh.ok(&["--json", "import", file, "--dry-run", "--overwrite"], None)).unwrap();
    assert_eq!(json["fates"], serde_json::json!(["new_version", "new"]));

    kh.ok(&["import", file, "--overwrite"], None);
    assert_eq!(kh.ok(&["get", "A"], None), "new");
    let listed: serde_json::Value = serde_json::from_str(&kh.ok(&["ls", "--json"], None)).unwrap();
    let a = listed.as_array().unwrap().iter().find(|s| s["name"] == "A").unwrap().clone();
    assert_eq!(
        (a["category"].as_str(), a["description"].as_str()),
        (Some("provider"), Some("the team's key"))
    );
}

#[test]
fn a_name_assigned_twice_in_an_env_file_takes_the_last_value_and_names_both_lines() {
    let kh = Kh::new();
    let env = kh.path("twice.env");
    std::fs::write(&env, "A=first-0123\nB=other-0123\nA=last-0123\n").unwrap();
    let out = kh.run(&["import", env.to_str().unwrap()], None);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: A is assigned on lines 1, 3: the value on line 3 is imported"),
        "{stderr}"
    );
    assert!(stderr.contains("Imported 2 new"), "{stdout}{stderr}");
    assert_eq!(kh.ok(&["get", "A"], None), "last-0123");
    kh.fails(&["get", "A_2"], None, 4);
}

#[test]
fn a_malformed_env_file_names_the_line_and_imports_nothing() {
    let kh = Kh::new();
    let file = kh.path("bad.env");
    std::fs::write(&file, "GOOD=1\nALSO_GOOD=2\nBROKEN='unterminated-planted\n").unwrap();
    let err = kh.fails(&["import", file.to_str().unwrap()], None, 6);
    assert!(err.contains("line 3") && err.contains("nothing was imported"), "{err}");
    assert!(!err.contains("unterminated-planted"), "{err}");
    kh.fails(&["get", "GOOD"], None, 4);

    std::fs::write(&file, "GOOD=1\n9BAD=2\n").unwrap();
    let err = kh.fails(&["import", file.to_str().unwrap()], None, 6);
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn export_shows_values_only_with_reveal() {
    let kh = Kh::new();
    kh.ok(&["set", "A", "--description", "first"], Some(b"planted-a"));
    kh.ok(&["set", "B"], Some(b"it's $tricky \\ \"quoted\""));
    let template = kh.ok(&["export"], None);
    assert_eq!(template.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>(), ["A=", "B="]);
    let json = kh.ok(&["export", "--format", "json"], None);
    assert!(json.contains("\"first\"") && !json.contains("planted-a"), "{json}");

    let revealed = kh.ok(&["export", "--format", "env", "--reveal"], None);
    let round_trip = kh.path("round.env");
    std::fs::write(&round_trip, &revealed).unwrap();
    let other = Kh::new();
    other.ok(&["import", round_trip.to_str().unwrap()], None);
    assert_eq!(other.ok(&["get", "B"], None), "it's $tricky \\ \"quoted\"");
    let json: serde_json::Value =
        serde_json::from_str(&kh.ok(&["export", "--format", "json", "--reveal"], None)).unwrap();
    assert_eq!(json["A"], "planted-a");
}

#[test]
fn passwd_changes_the_passphrase() {
    let kh = Kh::new();
    kh.ok(&["set", "A"], Some(b"a"));
    let mut cmd = kh.cmd();
    cmd.env("KEYHAVEN_NEW_PASSPHRASE", "quartz-lantern-meadow-58-fjord");
    let out = kh.run_with(cmd, &["passwd"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    kh.fails(&["get", "A"], None, 3);
    let mut cmd = kh.cmd();
    cmd.env_remove("KEYHAVEN_PASSPHRASE");
    let out =
        kh.run_with(cmd, &["--passphrase-stdin", "get", "A"], Some(b"quartz-lantern-meadow-58-fjord\n"));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "a");
}

#[test]
fn the_log_records_actions_but_no_values() {
    let kh = Kh::new();
    kh.ok(&["set", "A"], Some(b"planted-log-value"));
    kh.ok(&["get", "A"], None);
    kh.ok(&["export", "--reveal"], None);
    let log = kh.ok(&["--json", "log"], None);
    let entries: Vec<serde_json::Value> = serde_json::from_str(&log).unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["init", "set", "reveal", "export"]);
    assert!(!log.contains("planted-log-value"));
}

#[test]
fn help_documents_the_exit_codes() {
    let kh = Kh::empty();
    let help = kh.ok(&["--help"], None);
    assert!(help.contains("Exit codes:") && help.contains("3    vault locked or wrong passphrase"), "{help}");
    kh.fails(&["frobnicate"], None, 2);
}

#[test]
fn a_reader_that_goes_away_is_not_an_error() {
    use std::io::Read;
    let kh = Kh::new();
    let file = kh.path("many.env");
    std::fs::write(
        &file,
        (0..3000).map(|i| format!("A_RATHER_LONG_SECRET_NAME_{i}=v\n")).collect::<String>(),
    )
    .unwrap();
    kh.ok(&["import", file.to_str().unwrap()], None);
    let mut child = kh
        .cmd()
        .arg("ls")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap(); // then the pipe closes
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn version_names_the_commit_and_generate_writes_the_man_page_and_completions() {
    let kh = Kh::new();
    let version = kh.ok(&["--version"], None);
    assert!(version.starts_with(&format!("keyhaven {} (commit ", env!("CARGO_PKG_VERSION"))), "{version}");
    let out = kh.path("generated");
    let out = out.to_str().unwrap();
    kh.ok(&["generate", "man", "--out", out], None);
    kh.ok(&["generate", "completions", "--out", out], None);
    let page = std::fs::read_to_string(kh.path("generated/keyhaven.1")).unwrap();
    assert!(page.contains(".TH keyhaven 1") && page.contains("resolve"), "{}", &page[..200]);
    for file in ["keyhaven.bash", "_keyhaven", "keyhaven.fish"] {
        let text = std::fs::read_to_string(kh.path(&format!("generated/{file}"))).unwrap();
        assert!(text.contains("resolve"), "{file}");
    }
}

#[test]
fn names_and_categories_written_into_the_file_reach_the_terminal_printable() {
    let kh = Kh::new();
    kh.ok(&["set", "PLAIN_KEY", "--category", "provider"], Some(b"value-plain-0123"));
    let file = rusqlite::Connection::open(&kh.vault).unwrap();
    file.execute(
        "UPDATE secrets SET name = 'EVIL' || char(27) || ']0;pwned' || char(7) || '_KEY',
         category = char(27) || '[2J' || char(8238) || 'cat'",
        [],
    )
    .unwrap();
    drop(file);
    let out = kh.run(&["ls"], None);
    let shown = String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
    assert!(shown.contains("EVIL]0;pwned_KEY") && shown.contains("[2Jcat"), "{shown:?}");
    assert!(!shown.contains(['\x1b', '\x07', '\u{202e}']), "{shown:?}");
    // JSON escapes them itself.
    let json = kh.ok(&["ls", "--json"], None);
    assert!(json.contains("\\u001b]0;pwned\\u0007_KEY"), "{json}");
}
