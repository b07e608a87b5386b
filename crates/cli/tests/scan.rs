//! `scan` over a real git repository made here: a value committed three
//! commits back and removed since, the same value base64-encoded in another
//! file and inside a binary file, a symlink to outside the tree; and the
//! pre-commit hook blocking a real `git commit`. No output holds a value.

mod common;

use std::{path::Path, process::Command};

use base64::Engine;
use common::Kh;

const VALUE: &str = "sk-live-scan-7Hq2pL9x";
const OLD: &str = "sk-old-version-3Zr8";

fn git(repo: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(repo)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.test")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.test")
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A repository whose history holds VALUE in app.env three commits back.
fn repository(kh: &Kh) -> std::path::PathBuf {
    let repo = kh.path("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("app.env"), format!("MODE=dev\nSTRIPE_KEY={VALUE}\n")).unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "add config"]);
    std::fs::write(repo.join("app.env"), "MODE=dev\nSTRIPE_KEY=keyhaven:STRIPE_KEY\n").unwrap();
    git(&repo, &["commit", "-qam", "use a reference"]);
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{{\"key\":\"{VALUE}\"}}"));
    std::fs::write(repo.join("values.yaml"), format!("# deploy\nsecret: {encoded}\n")).unwrap();
    let mut binary = vec![0u8, 159, 146, 150, 0, 1];
    binary.extend_from_slice(VALUE.as_bytes());
    binary.extend_from_slice(&[0, 0, 255]);
    std::fs::write(repo.join("cache.bin"), binary).unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "deploy values"]);
    std::fs::write(repo.join("README"), "nothing secret\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "readme"]);
    repo
}

fn scan(kh: &Kh, repo: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = kh.cmd();
    cmd.current_dir(repo);
    let out = kh.run_with(cmd, args, None);
    let (stdout, stderr) = (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap());
    for text in [&stdout, &stderr] {
        assert!(!text.contains(VALUE) && !text.contains(OLD), "a value in the output: {text}");
    }
    (out.status.code(), stdout, stderr)
}

fn with_values() -> Kh {
    let kh = Kh::new();
    kh.ok(&["set", "STRIPE_KEY"], Some(OLD.as_bytes()));
    kh.ok(&["rotate", "STRIPE_KEY"], Some(VALUE.as_bytes()));
    kh.ok(&["set", "PORT"], Some(b"8080"));
    kh
}

#[test]
fn a_file_name_that_carries_an_escape_sequence_is_reported_printable() {
    let kh = with_values();
    let dir = kh.path("tree");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a\x1b[2J\x1b]0;pwned\x07.txt"), format!("key = {VALUE}\n")).unwrap();
    let out = kh.run(&["scan", dir.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("a[2J]0;pwned.txt:1: "), "{stdout:?}");
    assert!(!stdout.contains(['\x1b', '\x07']), "{stdout:?}");
}

#[test]
fn files_are_scanned_for_every_form_and_symlinks_out_of_the_tree_are_not_followed() {
    let kh = with_values();
    let repo = repository(&kh);
    let outside = kh.path("outside.txt");
    std::fs::write(&outside, VALUE).unwrap();
    std::os::unix::fs::symlink(&outside, repo.join("linked.txt")).unwrap();

    let (code, out, err) = scan(&kh, &repo, &["scan"]);
    assert_eq!(code, Some(1), "{out}{err}");
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "./cache.bin:1: STRIPE_KEY (version 2, as written)",
            "./values.yaml:2: STRIPE_KEY (version 2, base64-encoded)",
        ]
    );
    assert!(err.contains("not looked for (shorter than 8 characters): PORT"), "{err}");

    std::fs::write(repo.join("notes.txt"), format!("old one: {OLD}\n")).unwrap();
    let (_, out, _) = scan(&kh, &repo, &["scan", "notes.txt"]);
    assert_eq!(out, "notes.txt:1: STRIPE_KEY (version 1, as written)\n");

    let clean = kh.path("clean");
    std::fs::create_dir(&clean).unwrap();
    std::fs::write(clean.join("a.txt"), "nothing\n").unwrap();
    assert_eq!(scan(&kh, &clean, &["scan"]).0, Some(0));
}

#[test]
fn the_history_is_scanned_blob_by_blob_with_the_commit_and_path() {
    let kh = with_values();
    let repo = repository(&kh);
    let (code, out, _) = scan(&kh, &repo, &["scan", "--git"]);
    assert_eq!(code, Some(1));
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    // HEAD's app.env holds only a reference now.
    assert_eq!(
        lines,
        [
            "HEAD:cache.bin:1: STRIPE_KEY (version 2, as written)",
            "HEAD:values.yaml:2: STRIPE_KEY (version 2, base64-encoded)"
        ]
    );

    let (code, out, _) = scan(&kh, &repo, &["scan", "--git", "--all-history"]);
    assert_eq!(code, Some(1));
    let first = Command::new("git")
        .args(["rev-list", "--max-parents=0", "HEAD"])
        .current_dir(&repo)
        .output()
        .unwrap();
    let first = String::from_utf8(first.stdout).unwrap();
    let app = out.lines().find(|line| line.contains(":app.env:")).unwrap_or_else(|| panic!("{out}"));
    assert!(first.starts_with(app.split(',').next().unwrap().split(':').next().unwrap()), "{app} / {first}");
    assert!(app.ends_with(":app.env:2: STRIPE_KEY (version 2, as written)"), "{app}");
}

#[test]
fn the_pre_commit_hook_blocks_a_commit_carrying_a_value() {
    let kh = with_values();
    let repo = repository(&kh);
    let (code, _, err) = scan(&kh, &repo, &["scan", "--install-hook"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("--no-verify"), "{err}");

    std::fs::write(repo.join("leak.txt"), format!("token = {VALUE}\n")).unwrap();
    git(&repo, &["add", "leak.txt"]);
    let bin = Path::new(env!("CARGO_BIN_EXE_keyhaven")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let commit = |extra: &[&str]| {
        Command::new("git")
            .args(["commit", "-q", "-m", "leak"])
            .args(extra)
            .current_dir(&repo)
            .env("PATH", &path)
            .env("HOME", kh.dir.path())
            .env("KEYHAVEN_VAULT", &kh.vault)
            .env("KEYHAVEN_PASSPHRASE", common::PASSPHRASE)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.test")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.test")
            .output()
            .unwrap()
    };
    let refused = commit(&[]);
    let said =
        String::from_utf8_lossy(&refused.stdout).into_owned() + &String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "the commit went through: {said}");
    assert!(said.contains("staged leak.txt:1: STRIPE_KEY (version 2, as written)"), "{said}");
    assert!(!said.contains(VALUE), "{said}");
    assert!(commit(&["--no-verify"]).status.success());
}

#[test]
fn staged_scans_every_path_a_commit_records_and_a_failing_git_is_never_clean() {
    let kh = with_values();
    let repo = repository(&kh);
    // A symlink committed, then replaced by a file carrying the value: its type changed.
    std::os::unix::fs::symlink("README", repo.join("link")).unwrap();
    git(&repo, &["add", "link"]);
    git(&repo, &["commit", "-q", "-m", "link"]);
    std::fs::remove_file(repo.join("link")).unwrap();
    std::fs::write(repo.join("link"), format!("{VALUE}\n")).unwrap();
    // A path git's `show` would read as "stage 0 of x".
    std::fs::write(repo.join("0:x"), format!("k={VALUE}\n")).unwrap();
    git(&repo, &["add", "-A"]);
    let (code, out, err) = scan(&kh, &repo, &["scan", "--staged"]);
    assert_eq!(code, Some(1), "{err}");
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "staged 0:x:1: STRIPE_KEY (version 2, as written)",
            "staged link:1: STRIPE_KEY (version 2, as written)"
        ]
    );

    // Outside a repository git fails: the scan fails with it, never reports clean.
    let elsewhere = kh.path("not-a-repo");
    std::fs::create_dir(&elsewhere).unwrap();
    let mut cmd = kh.cmd();
    cmd.current_dir(&elsewhere).env("GIT_CEILING_DIRECTORIES", kh.dir.path());
    let out = kh.run_with(cmd, &["scan", "--staged"], None);
    assert_eq!(out.status.code(), Some(6), "not a repository is a usage problem, never clean");
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not in a git repository"), "{out:?}");
}

#[test]
fn staged_never_runs_the_repositorys_fsmonitor_hook() {
    let kh = with_values();
    let repo = repository(&kh);
    let ran = kh.path("fsmonitor-ran");
    let hook = kh.path("fsmonitor.sh");
    std::fs::write(&hook, format!("#!/bin/sh\ntouch {}\n", ran.display())).unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    git(&repo, &["config", "core.fsmonitor", hook.to_str().unwrap()]);
    std::fs::write(repo.join("new.txt"), "nothing\n").unwrap();
    git(&repo, &["-c", "core.fsmonitor=false", "add", "new.txt"]);
    let _ = std::fs::remove_file(&ran);
    let (code, _, err) = scan(&kh, &repo, &["scan", "--staged"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!ran.exists(), "the repository's fsmonitor hook ran");
}

#[test]
fn install_hook_refuses_a_symlink_in_its_place_and_writes_nothing_outside() {
    let kh = with_values();
    let repo = repository(&kh);
    let outside = kh.path("outside-the-repo");
    std::os::unix::fs::symlink(&outside, repo.join(".git/hooks/pre-commit")).unwrap();
    let (code, _, err) = scan(&kh, &repo, &["scan", "--install-hook"]);
    assert_eq!(code, Some(5), "an existing hook is 5, already exists: {err}");
    assert!(err.contains("is not a regular file"), "{err}");
    assert!(!outside.exists(), "a file was created through the dangling symlink");
    // Once the entry is gone, the hook is written; a second run finds it there.
    std::fs::remove_file(repo.join(".git/hooks/pre-commit")).unwrap();
    assert_eq!(scan(&kh, &repo, &["scan", "--install-hook"]).0, Some(0));
    assert_eq!(scan(&kh, &repo, &["scan", "--install-hook"]).0, Some(0));
    std::fs::write(repo.join(".git/hooks/pre-commit"), "#!/bin/sh\nmake lint\n").unwrap();
    let (code, _, err) = scan(&kh, &repo, &["scan", "--install-hook"]);
    assert_eq!(code, Some(5), "{err}");
    assert!(err.contains("add `keyhaven scan --staged` to it yourself"), "{err}");
}

#[test]
fn git_and_staged_take_the_repository_as_a_path() {
    let kh = with_values();
    let repo = repository(&kh);
    let repo_arg = repo.to_str().unwrap();
    // From outside it, as `gitleaks detect --source PATH` does.
    let elsewhere = kh.path("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let (code, out, err) = scan(&kh, &elsewhere, &["scan", "--git", repo_arg]);
    assert_eq!(code, Some(1), "{err}");
    assert!(out.contains("HEAD:values.yaml:2: STRIPE_KEY (version 2, base64-encoded)"), "{out}");
    std::fs::write(repo.join("new.txt"), format!("{VALUE}\n")).unwrap();
    git(&repo, &["add", "new.txt"]);
    let (code, out, _) = scan(&kh, &elsewhere, &["scan", "--staged", repo_arg]);
    assert_eq!(code, Some(1));
    assert_eq!(out.trim(), "staged new.txt:1: STRIPE_KEY (version 2, as written)");
    let (code, _, err) = scan(&kh, &elsewhere, &["scan", "--git", elsewhere.to_str().unwrap()]);
    assert_eq!(code, Some(6), "1 means found: a directory outside git is 6");
    assert!(err.contains("elsewhere is not in a git repository"), "{err}");
}

#[test]
fn a_remotes_own_api_key_is_found_and_named_by_remote_never_printed() {
    let kh = with_values();
    let token = "rt_live_scan_me_0123456789";
    kh.ok(
        &["remote", "add", "work", "--kind", "runtype", "--url", "http://127.0.0.1:9"],
        Some(token.as_bytes()),
    );
    let dir = kh.path("tree");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("ci.yml"), format!("env:\n  RUNTYPE_API_KEY: {token}\n")).unwrap();
    let out = kh.run(&["scan", dir.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.ends_with("ci.yml:2: the API key of remote work (as written)\n"), "{stdout}");
    assert!(!stdout.contains(token) && !String::from_utf8_lossy(&out.stderr).contains(token));
}
