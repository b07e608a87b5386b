//! References (`keyhaven:NAME`, `keyhaven:NAME@VERSION`) resolved by `read`,
//! `run --env-file` and `inject`, on a real vault: values compared, errors
//! naming the file and line and never a value, nothing run or written when a
//! reference does not resolve.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::Kh;

const TOKEN_V1: &str = "tok-first-version-111";
const TOKEN_V2: &str = "tok-second-version-222";
const DB: &str = "postgres://app:pw-3c9f@db/app";

fn with_secrets() -> Kh {
    let kh = Kh::new();
    kh.ok(&["set", "API_TOKEN"], Some(TOKEN_V1.as_bytes()));
    kh.ok(&["rotate", "API_TOKEN"], Some(TOKEN_V2.as_bytes()));
    kh.ok(&["set", "DATABASE_URL"], Some(DB.as_bytes()));
    kh
}

#[test]
fn read_prints_the_value_a_reference_names() {
    let kh = with_secrets();
    assert_eq!(kh.ok(&["read", "keyhaven:API_TOKEN"], None), TOKEN_V2);
    assert_eq!(kh.ok(&["read", "keyhaven:API_TOKEN@1"], None), TOKEN_V1);
    kh.fails(&["read", "keyhaven:NOPE"], None, 4);
    kh.fails(&["read", "keyhaven:API_TOKEN@9"], None, 4);
    for bad in ["keyhaven://open?name=API_TOKEN", "API_TOKEN", "keyhaven:API_TOKEN@0"] {
        let err = kh.fails(&["read", bad], None, 6);
        assert!(err.contains("reference"), "{bad}: {err}");
    }
}

#[test]
fn run_env_file_resolves_references_and_passes_plain_values_through() {
    let kh = with_secrets();
    let env = kh.path("app.env");
    std::fs::write(
        &env,
        "# settings\r\nAPI_TOKEN=keyhaven:API_TOKEN\r\nOLD_TOKEN=\"keyhaven:API_TOKEN@1\"\r\n\
         DATABASE_URL='keyhaven:DATABASE_URL' # from the vault\r\nLOG_LEVEL=debug\r\nQUERY=a=b\r\n",
    )
    .unwrap();
    let env = env.to_str().unwrap();
    let show =
        "printf '%s|%s|%s|%s|%s' \"$API_TOKEN\" \"$OLD_TOKEN\" \"$DATABASE_URL\" \"$LOG_LEVEL\" \"$QUERY\"";
    let out = kh.ok(&["run", "--no-masking", "--env-file", env, "--", "sh", "-c", show], None);
    assert_eq!(out, format!("{TOKEN_V2}|{TOKEN_V1}|{DB}|debug|a=b"));
    // Masked: the resolved values, not the plain settings.
    let out = kh.ok(&["run", "--env-file", env, "--", "sh", "-c", show], None);
    let masked = "<concealed by keyhaven>";
    assert_eq!(out, format!("{masked}|{masked}|{masked}|debug|a=b"));
}

#[test]
fn a_later_env_file_wins_and_clean_env_leaves_the_shell_environment_out() {
    let kh = with_secrets();
    let (first, second) = (kh.path("base.env"), kh.path("local.env"));
    std::fs::write(&first, "MODE=base\nAPI_TOKEN=keyhaven:API_TOKEN\n").unwrap();
    std::fs::write(&second, "MODE=local\n").unwrap();
    let files = ["--env-file", first.to_str().unwrap(), "--env-file", second.to_str().unwrap()];
    let mut args = vec!["run", "--no-masking"];
    args.extend(files);
    args.extend(["--", "sh", "-c", "echo $MODE ${PARENT_ONLY:-unset}"]);
    let mut cmd = kh.cmd();
    cmd.env("PARENT_ONLY", "from-the-shell");
    let out = kh.run_with(cmd, &args, None);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "local from-the-shell\n");

    let mut args = vec!["run", "--no-masking", "--clean-env"];
    args.extend(files);
    args.extend(["--", "/usr/bin/env"]);
    let mut cmd = kh.cmd();
    cmd.env("PARENT_ONLY", "from-the-shell");
    let out = kh.run_with(cmd, &args, None);
    let mut lines: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect();
    lines.sort();
    assert_eq!(lines, [format!("API_TOKEN={TOKEN_V2}"), "MODE=local".to_owned()]);
}

#[test]
fn a_reference_that_does_not_resolve_fails_before_the_command_starts() {
    let kh = with_secrets();
    let marker = kh.path("ran");
    let touch = format!("touch {}", marker.display());
    // A missing name or version is 4 (not found), as for `get`; a malformed reference is 6.
    for (text, line, expected, code) in [
        ("A=1\nGONE=keyhaven:REMOVED_KEY\n", 2, "GONE=keyhaven:REMOVED_KEY", 4),
        ("OLD=keyhaven:API_TOKEN@7\n", 1, "OLD=keyhaven:API_TOKEN@7", 4),
        ("A=1\n\nBAD=keyhaven:sk-live-pasted-value\n", 3, "BAD: invalid reference", 6),
    ] {
        let env = kh.path("broken.env");
        std::fs::write(&env, text).unwrap();
        let err =
            kh.fails(&["run", "--env-file", env.to_str().unwrap(), "--", "sh", "-c", &touch], None, code);
        assert!(err.contains(&format!("broken.env, line {line}: {expected}")), "{err}");
        assert!(!err.contains("sk-live-pasted-value"), "{err}");
        assert!(!marker.exists(), "the command ran: {text:?}");
    }
    kh.fails(&["run", "--env-file", kh.path("missing.env").to_str().unwrap(), "--", "true"], None, 1);
}

#[test]
fn inject_fills_a_template_into_a_private_file_and_never_overwrites_unasked() {
    let kh = with_secrets();
    let template = kh.path("config.yaml.tpl");
    std::fs::write(
        &template,
        "db: {{ keyhaven:DATABASE_URL }}\ntoken: \"{{keyhaven:API_TOKEN}}\"\nold: {{ keyhaven:API_TOKEN@1 }}\nchart: {{ .Values.x }}\n",
    )
    .unwrap();
    let (template, out) = (template.to_str().unwrap(), kh.path("config.yaml"));
    let expected = format!("db: {DB}\ntoken: \"{TOKEN_V2}\"\nold: {TOKEN_V1}\nchart: {{{{ .Values.x }}}}\n");
    assert_eq!(kh.ok(&["inject", "-i", template], None), expected);

    kh.ok(&["inject", "-i", template, "-o", out.to_str().unwrap()], None);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), expected);
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);

    std::fs::write(&out, "edited by hand\n").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    // An existing output file is exit 5, "already exists", as the table in --help says.
    let err = kh.fails(&["inject", "-i", template, "-o", out.to_str().unwrap()], None, 5);
    assert!(err.contains("exists: pass --force"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "edited by hand\n");
    kh.ok(&["inject", "-i", template, "-o", out.to_str().unwrap(), "--force"], None);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), expected);
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn inject_dry_run_says_what_resolves_and_a_missing_one_writes_nothing() {
    let kh = with_secrets();
    let template = kh.path("t.env.tpl");
    std::fs::write(
        &template,
        "A={{ keyhaven:API_TOKEN }}\nB={{ keyhaven:API_TOKEN@5 }}\nC={{ keyhaven:NOPE }}\n",
    )
    .unwrap();
    let template = template.to_str().unwrap();
    // A reference that does not resolve makes the dry run fail (4, not found), after listing each.
    let run = kh.run(&["inject", "-i", template, "--dry-run"], None);
    assert_eq!(run.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&run.stderr).contains("2 reference(s) in"), "{run:?}");
    let out = String::from_utf8(run.stdout).unwrap();
    let lines: Vec<&str> = out.lines().map(|line| line.rsplit_once(": ").unwrap().1).collect();
    assert_eq!(
        lines,
        [
            "keyhaven:API_TOKEN  resolves",
            "keyhaven:API_TOKEN@5  no such version",
            "keyhaven:NOPE  no such secret"
        ]
    );
    assert!(!out.contains(TOKEN_V2) && !out.contains(TOKEN_V1));

    let target = kh.path("t.env");
    // A missing name or version is 4 here too, as for `get`.
    let err = kh.fails(&["inject", "-i", template, "-o", target.to_str().unwrap()], None, 4);
    assert!(err.contains("t.env.tpl, line 2: keyhaven:API_TOKEN@5"), "{err}");
    assert!(!target.exists());
    std::fs::write(kh.path("ok.env"), "A=keyhaven:API_TOKEN\nC=keyhaven:NOPE\n").unwrap();
    let env = kh.path("ok.env");
    let err = kh.fails(&["run", "--env-file", env.to_str().unwrap(), "--", "true"], None, 4);
    assert!(err.contains("ok.env, line 2: C=keyhaven:NOPE: no secret named NOPE"), "{err}");
}

#[test]
fn inject_reads_the_template_from_stdin_with_a_dash_as_op_inject_does() {
    let kh = with_secrets();
    let out = kh.ok(&["inject", "-i", "-"], Some(b"token={{ keyhaven:API_TOKEN }}\n"));
    assert_eq!(out, format!("token={TOKEN_V2}\n"));
    let out = kh.ok(&["inject", "-i", "-", "--dry-run"], Some(b"{{ keyhaven:API_TOKEN }}\n"));
    assert_eq!(out, "stdin:1: keyhaven:API_TOKEN  resolves\n");
    let err = kh.fails(&["inject", "-i", "-"], Some(b"x={{ keyhaven:NOPE }}\n"), 4);
    assert!(err.contains("stdin, line 1: keyhaven:NOPE"), "{err}");
}

#[test]
fn a_file_of_references_is_not_imported_as_values() {
    let kh = Kh::new();
    let env = kh.path("committed.env");
    std::fs::write(&env, "MODE=prod\nOPENAI_API_KEY=keyhaven:OPENAI_API_KEY\n").unwrap();
    let err = kh.fails(&["import", env.to_str().unwrap()], None, 6);
    assert!(err.contains("OPENAI_API_KEY is a reference") && err.contains("run --env-file"), "{err}");
    kh.fails(&["get", "MODE"], None, 4);
}
