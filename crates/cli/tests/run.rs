//! Test 5: `run` injects, masks, and passes the exit code through.

mod common;

use common::Kh;

fn with_secrets() -> Kh {
    let kh = Kh::new();
    kh.ok(&["set", "API_TOKEN"], Some(b"tok-1234567890"));
    kh.ok(&["set", "DB_PASSWORD"], Some(b"hunter2-but-longer"));
    kh
}

#[test]
fn run_masks_values_in_stdout_and_stderr() {
    let kh = with_secrets();
    let out = kh.run(&["run", "--", "sh", "-c", "echo token=$API_TOKEN; echo pw=$DB_PASSWORD >&2"], None);
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "token=<concealed by keyhaven>\n");
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "pw=<concealed by keyhaven>\n");
}

#[test]
fn a_value_shorter_than_eight_characters_is_named_once_and_not_masked() {
    let kh = with_secrets();
    kh.ok(&["set", "LETTER"], Some(b"t"));
    let out = kh.run(&["run", "--", "sh", "-c", "echo a.txt; echo token=$API_TOKEN"], None);
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "a.txt\ntoken=<concealed by keyhaven>\n");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.matches("LETTER").count(), 1, "{stderr}");
    assert!(
        stderr.contains("warning: not masked in the output, shorter than 8 characters: LETTER"),
        "{stderr}"
    );
}

#[test]
fn run_without_masking_shows_values() {
    let kh = with_secrets();
    let out = kh.ok(&["run", "--no-masking", "--", "sh", "-c", "echo $API_TOKEN"], None);
    assert_eq!(out, "tok-1234567890\n");
}

#[test]
fn run_passes_the_exit_code_through() {
    let kh = with_secrets();
    for code in [0, 1, 3, 42, 255] {
        let out = kh.run(&["run", "--", "sh", "-c", &format!("exit {code}")], None);
        assert_eq!(out.status.code(), Some(code));
    }
    let out = kh.run(&["run", "--", "sh", "-c", "kill -9 $$"], None);
    assert_eq!(out.status.code(), Some(128 + 9));
    kh.fails(&["run", "--", "/nonexistent/command"], None, 127);
}

#[test]
fn run_only_injects_the_named_secrets() {
    let kh = with_secrets();
    let out = kh.ok(
        &[
            "run",
            "--no-masking",
            "--only",
            "API_TOKEN",
            "--",
            "sh",
            "-c",
            "echo ${API_TOKEN}:${DB_PASSWORD:-unset}",
        ],
        None,
    );
    assert_eq!(out, "tok-1234567890:unset\n");
    kh.fails(&["run", "--only", "MISSING", "--", "true"], None, 4);
}

#[test]
fn run_needs_the_vault_unlocked() {
    let kh = with_secrets();
    let mut cmd = kh.cmd();
    cmd.env_remove("KEYHAVEN_PASSPHRASE");
    let out = kh.run_with(cmd, &["run", "--", "true"], None);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn the_master_passphrase_never_reaches_the_child() {
    let kh = with_secrets();
    // Even unmasked, the child's environment holds no passphrase variable.
    let script = "env | grep -c PASSPHRASE || true; echo \"[$KEYHAVEN_PASSPHRASE]\"";
    let mut cmd = kh.cmd();
    cmd.env("KEYHAVEN_NEW_PASSPHRASE", "another planted passphrase");
    let out = kh.run_with(cmd, &["run", "--no-masking", "--", "sh", "-c", script], None);
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "0\n[]\n");

    // Masked like a value when the child finds it some other way.
    let out = kh.ok(&["run", "--", "echo", common::PASSPHRASE], None);
    assert_eq!(out, "<concealed by keyhaven>\n");
}

#[test]
fn names_that_make_shells_and_loaders_run_code_are_only_injected_when_named() {
    let kh = with_secrets();
    let hook = kh.path("hook.sh");
    std::fs::write(&hook, "echo HOOK RAN\n").unwrap();
    kh.ok(&["set", "BASH_ENV"], Some(hook.to_str().unwrap().as_bytes()));
    kh.ok(&["set", "LD_PRELOAD"], Some(b"/tmp/evil.so"));
    kh.ok(&["set", "NODE_OPTIONS"], Some(b"--require /tmp/evil.js"));

    let out =
        kh.run(&["run", "--no-masking", "--", "bash", "-c", "echo ${API_TOKEN}:${LD_PRELOAD:-unset}"], None);
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "tok-1234567890:unset\n", "BASH_ENV's hook ran");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("left out BASH_ENV, LD_PRELOAD, NODE_OPTIONS"), "{stderr}");

    // Named explicitly, the user gets what they asked for.
    let out = kh.ok(&["run", "--no-masking", "--only", "BASH_ENV", "--", "bash", "-c", "true"], None);
    assert_eq!(out, "HOOK RAN\n");
}

#[test]
fn an_env_file_never_sets_a_loader_variable_unless_it_is_allowed_by_name() {
    let kh = with_secrets();
    let hook = kh.path("evil.sh");
    std::fs::write(&hook, "echo HOOK SAW $API_TOKEN\n").unwrap();
    let env = kh.path(".env");
    let hook = hook.to_str().unwrap();
    // A committed file: a literal loader variable, and one that is a reference.
    std::fs::write(
        &env,
        format!("API_TOKEN=keyhaven:API_TOKEN\nBASH_ENV={hook}\nNODE_OPTIONS=keyhaven:API_TOKEN\n"),
    )
    .unwrap();
    let env = env.to_str().unwrap();
    let script = "echo ${API_TOKEN}:${NODE_OPTIONS:-unset}";
    let out = kh.run(&["run", "--no-masking", "--env-file", env, "--", "bash", "-c", script], None);
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "tok-1234567890:unset\n", "the hook ran");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("left out BASH_ENV ("), "{stderr}");
    assert!(stderr.contains("line 2), NODE_OPTIONS ("), "{stderr}");
    assert!(stderr.contains("--allow-var"), "{stderr}");

    // Named on the command line, the user gets what they asked for.
    let out = kh.ok(
        &["run", "--no-masking", "--env-file", env, "--allow-var", "BASH_ENV", "--", "bash", "-c", "true"],
        None,
    );
    assert_eq!(out, "HOOK SAW tok-1234567890\n");
}

/// `script` (util-linux) gives keyhaven a terminal, as a person's shell would.
fn in_a_terminal(kh: &Kh, shell_command: &str) -> (Option<i32>, String) {
    let out = std::process::Command::new("script")
        .args(["-qefc", shell_command, "/dev/null"])
        .env("KH", env!("CARGO_BIN_EXE_keyhaven"))
        .env("SHELL", "/bin/sh")
        .env("KEYHAVEN_VAULT", &kh.vault)
        .env("KEYHAVEN_PASSPHRASE", common::PASSPHRASE)
        .env("TMPDIR", &kh.tmp)
        .env("HOME", kh.dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script (util-linux)");
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn run_keeps_colours_and_escapes_byte_for_byte_when_no_value_is_in_them() {
    let kh = with_secrets();
    let dir = kh.path("listing");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("plain.txt"), "x").unwrap();
    std::fs::create_dir(dir.join("folder")).unwrap();
    std::os::unix::fs::symlink("plain.txt", dir.join("link")).unwrap();
    let dir = dir.to_str().unwrap();
    let bare = std::process::Command::new("ls").args(["--color=always", "-la", dir]).output().unwrap().stdout;
    let through = kh.run(&["run", "--", "ls", "--color=always", "-la", dir], None).stdout;
    assert!(bare.contains(&0x1b), "ls wrote no colour");
    assert_eq!(String::from_utf8_lossy(&through), String::from_utf8_lossy(&bare));
    assert_eq!(through, bare);
}

#[test]
fn a_value_in_colour_or_split_across_writes_is_still_masked() {
    let kh = with_secrets();
    let out = kh.ok(
        &["run", "--", "sh", "-c", "printf '\\033[31m%s\\033[0m\\n' \"$API_TOKEN\"; printf 'tok-12345'; sleep 0.3; printf '67890!\\n'"],
        None,
    );
    assert_eq!(out, "\x1b[31m<concealed by keyhaven>\x1b[0m\n<concealed by keyhaven>!\n");
}

#[test]
fn masking_holds_for_coloured_parts_dev_tty_and_multi_line_values_on_a_terminal() {
    let kh = with_secrets();
    kh.ok(
        &["set", "PEM_KEY"],
        Some(b"-----BEGIN KEY-----\nline-one-secret\nline-two-secret\n-----END KEY-----"),
    );
    for (what, probe) in [
        // grep --color highlights part of the value: escape sequences inside it.
        ("grep", r#"printf '%s\n' "$API_TOKEN" | grep --color=always 12345"#),
        // Written to the controlling terminal, not to stdout.
        ("/dev/tty", r#"printf 'token %s\n' "$API_TOKEN" > /dev/tty"#),
        // The child turns output processing on: "\n" comes out as "\r\n".
        ("opost", r#"stty opost onlcr; printf '%s\n' "$PEM_KEY""#),
    ] {
        let script = kh.path("probe.sh");
        std::fs::write(&script, probe).unwrap();
        let (code, out) = in_a_terminal(&kh, &format!("\"$KH\" run -- sh {}", script.display()));
        assert_eq!(code, Some(0), "{what}: {out}");
        assert!(out.contains("<concealed by keyhaven>"), "{what}: {out:?}");
        for piece in ["tok-1234567890", "34567890", "line-one-secret", "line-two-secret"] {
            assert!(!out.contains(piece), "{what}: {piece} in {out:?}");
        }
    }
}

#[test]
fn a_child_sees_a_terminal_when_keyhaven_has_one_and_its_output_is_still_masked() {
    let kh = with_secrets();
    let probe = "test -t 1 && echo out-tty; test -t 2 && echo err-tty >&2; echo $API_TOKEN; exit 7";
    let (code, out) = in_a_terminal(&kh, &format!("\"$KH\" run -- sh -c '{probe}'"));
    assert_eq!(code, Some(7), "{out}");
    assert!(out.contains("out-tty") && out.contains("err-tty"), "{out}");
    assert!(out.contains("<concealed by keyhaven>") && !out.contains("tok-1234567890"), "{out}");
    // Through pipes, it sees pipes.
    let piped = kh.ok(&["run", "--", "sh", "-c", "test -t 1 && echo out-tty || echo piped"], None);
    assert_eq!(piped, "piped\n");
}

#[test]
fn env_files_read_what_nodes_dotenv_python_dotenv_and_compose_agree_on() {
    let kh = with_secrets();
    let env = kh.path("app.env");
    std::fs::write(
        &env,
        "GREETING=hello world # said once\nexport TOKEN=keyhaven:API_TOKEN\nMIXED=\"a\" b\n",
    )
    .unwrap();
    // The value the three tools disagree on stops the run, by line, before anything runs.
    let err = kh.fails(&["run", "--env-file", env.to_str().unwrap(), "--", "true"], None, 6);
    assert!(err.contains("line 3") && err.contains("read differently by different tools"), "{err}");
    std::fs::write(&env, "GREETING=hello world # said once\nexport TOKEN=keyhaven:API_TOKEN\n").unwrap();
    let out = kh.ok(
        &[
            "run",
            "--no-masking",
            "--env-file",
            env.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            "echo \"$GREETING|$TOKEN\"",
        ],
        None,
    );
    assert_eq!(out, "hello world|tok-1234567890\n");
}
