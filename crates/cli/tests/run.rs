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
