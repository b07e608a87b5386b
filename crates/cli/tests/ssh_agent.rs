//! `keyhaven ssh-agent` served to OpenSSH's own clients: `ssh-add` lists the
//! keys, `ssh-keygen -Y sign` and `git commit -S` sign through it, and what a
//! client sends cannot stop it.

mod common;

use std::{
    io::{BufRead as _, BufReader, Write as _},
    os::unix::{fs::PermissionsExt as _, net::UnixStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use common::Kh;

/// A running agent, killed when dropped.
struct Agent {
    child: Child,
    socket: PathBuf,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Agent {
    fn start(kh: &Kh, socket: &Path) -> Agent {
        Agent::start_asking(kh, socket, None)
    }

    /// With `--confirm ask` and this askpass program, when there is one.
    fn start_asking(kh: &Kh, socket: &Path, askpass: Option<&Path>) -> Agent {
        let confirm = if askpass.is_some() { "ask" } else { "never" };
        Agent::start_with(kh, socket, askpass, &["--confirm", confirm])
    }

    /// With these arguments, and SSH_ASKPASS set to `askpass`.
    fn start_with(kh: &Kh, socket: &Path, askpass: Option<&Path>, args: &[&str]) -> Agent {
        let mut cmd = kh.cmd();
        if let Some(program) = askpass {
            cmd.env("SSH_ASKPASS", program);
        }
        let mut child = cmd
            .args(["ssh-agent", "--socket", socket.to_str().unwrap()])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim_end(), format!("SSH_AUTH_SOCK={}; export SSH_AUTH_SOCK;", socket.display()));
        Agent { child, socket: socket.to_owned() }
    }

    /// Runs an OpenSSH client with this agent; returns (success, stdout, stderr).
    fn client(&self, program: &str, args: &[&str], dir: &Path) -> (bool, String, String) {
        let out = Command::new(program)
            .args(args)
            .current_dir(dir)
            .env("SSH_AUTH_SOCK", &self.socket)
            .env("HOME", dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
        (out.status.success(), text(out.stdout), text(out.stderr))
    }

    fn ok(&self, program: &str, args: &[&str], dir: &Path) -> String {
        let (ok, stdout, stderr) = self.client(program, args, dir);
        assert!(ok, "{program} {args:?}: {stderr}");
        stdout
    }
}

/// "TYPE BASE64" of a public key line.
fn key_part(line: &str) -> String {
    line.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

/// A vault with an Ed25519 and an ECDSA key made here and an RSA key from ssh-keygen.
fn vault_with_keys() -> Kh {
    let kh = Kh::new();
    kh.ok(&["ssh", "generate", "DEPLOY_KEY"], None);
    kh.ok(&["ssh", "generate", "P256", "--type", "ecdsa"], None);
    let rsa = kh.path("id_rsa");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "rsa", "-b", "3072", "-N", "", "-C", "old@server", "-f", rsa.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    kh.ok(&["ssh", "add", "OLD_RSA", "--from", rsa.to_str().unwrap()], None);
    std::fs::remove_file(&rsa).unwrap();
    kh
}

#[test]
fn ssh_add_lists_the_keys_and_ssh_keygen_and_git_sign_through_the_agent() {
    let kh = vault_with_keys();
    let work = kh.path("work");
    std::fs::create_dir(&work).unwrap();
    let agent = Agent::start(&kh, &kh.path("run/agent.sock"));
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode(&kh.path("run")), mode(&agent.socket)), (0o700, 0o600));

    // Listed as `ssh public` prints them.
    let listed = agent.ok("ssh-add", &["-L"], &work);
    let mut publics = Vec::new();
    for name in ["DEPLOY_KEY", "OLD_RSA", "P256"] {
        let public = kh.ok(&["ssh", "public", name], None);
        assert!(listed.lines().any(|line| key_part(line) == key_part(&public)), "{name} not in {listed}");
        publics.push((name, public));
    }
    assert_eq!(listed.lines().count(), 3, "{listed}");
    // Switched off, a key is no longer offered, by the running agent too.
    kh.ok(&["ssh", "agent", "P256", "off"], None);
    let fewer = agent.ok("ssh-add", &["-L"], &work);
    assert_eq!(fewer.lines().count(), 2, "{fewer}");
    assert!(!fewer.contains(key_part(&kh.ok(&["ssh", "public", "P256"], None)).as_str()));
    let ls: Vec<serde_json::Value> = serde_json::from_str(&kh.ok(&["--json", "ssh", "ls"], None)).unwrap();
    assert_eq!(ls.iter().filter(|key| key["agent"] == false).count(), 1);
    kh.ok(&["ssh", "agent", "P256", "on"], None);
    assert_eq!(agent.ok("ssh-add", &["-L"], &work).lines().count(), 3);

    // Each key signs a file, and OpenSSH verifies it against its public key.
    std::fs::write(work.join("message"), "hello").unwrap();
    for (name, public) in &publics {
        std::fs::write(work.join("key.pub"), public).unwrap();
        std::fs::write(work.join("allowed"), format!("me {public}")).unwrap();
        agent.ok("ssh-keygen", &["-Y", "sign", "-f", "key.pub", "-n", "file", "message"], &work);
        let verified = Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f", "allowed", "-I", "me", "-n", "file", "-s", "message.sig"])
            .current_dir(&work)
            .stdin(std::fs::File::open(work.join("message")).unwrap())
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&verified.stdout).starts_with("Good \"file\" signature for me"),
            "{name}: {}",
            String::from_utf8_lossy(&verified.stderr)
        );
        std::fs::remove_file(work.join("message.sig")).unwrap();
    }

    // git signs a commit through SSH_AUTH_SOCK alone, as the README says.
    let (_, deploy) = &publics[0];
    std::fs::write(work.join("allowed"), format!("dev@example.com {deploy}")).unwrap();
    let git = |args: &[&str]| agent.ok("git", args, &work);
    git(&["init", "-q", "repo"]);
    let repo = work.join("repo");
    let git_in = |args: &[&str]| agent.ok("git", args, &repo);
    for (key, value) in [
        ("user.name", "Dev"),
        ("user.email", "dev@example.com"),
        ("gpg.format", "ssh"),
        ("user.signingkey", &format!("key::{}", key_part(deploy))),
        ("gpg.ssh.allowedSignersFile", work.join("allowed").to_str().unwrap()),
    ] {
        git_in(&["config", key, value]);
    }
    git_in(&["commit", "-q", "-S", "--allow-empty", "-m", "signed by Keyhaven"]);
    let (ok, stdout, stderr) = agent.client("git", &["verify-commit", "-v", "HEAD"], &repo);
    assert!(ok && stderr.contains("Good \"git\" signature for dev@example.com"), "{stdout}{stderr}");

    // Every signature is logged with the program that asked.
    let log = kh.ok(&["log", "--limit", "10"], None);
    assert_eq!(log.lines().filter(|line| line.contains(" sign ")).count(), 4, "{log}");
    assert!(log.contains("for ssh-keygen (/usr/bin/ssh-keygen, pid"), "{log}");
}

#[test]
fn fifty_clients_at_once_and_malformed_messages_leave_it_serving() {
    let kh = vault_with_keys();
    let work = kh.path("work");
    std::fs::create_dir(&work).unwrap();
    let agent = Agent::start(&kh, &kh.path("run/agent.sock"));

    // Garbage, a length prefix far over the limit, a truncated sign request,
    // an unknown message type, and a request to add a key.
    let messages: [&[u8]; 5] = [
        b"\x00\x00\x00\x05\xff\xff\xff\xff\xff",
        b"\x7f\xff\xff\xff",
        b"\x00\x00\x00\x0d\x0d\x00\x00\x00\x20abc",
        b"\x00\x00\x00\x01\x63",
        b"\x00\x00\x00\x01\x11",
    ];
    for message in messages {
        let mut stream = UnixStream::connect(&agent.socket).unwrap();
        stream.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        let _ = stream.write_all(message);
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let _ = std::io::Read::read_to_end(&mut stream, &mut Vec::new());
    }
    // A client that claims a 16 MiB message is cut off at its length prefix
    // (OpenSSH's limit is 256 KiB), not read on until memory runs out.
    let mut greedy = UnixStream::connect(&agent.socket).unwrap();
    greedy.set_write_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let mut sent = greedy.write_all(&(16u32 << 20).to_be_bytes()).map(|()| 4usize);
    let chunk = vec![0u8; 64 * 1024];
    while let Ok(so_far) = sent {
        if so_far > 8 << 20 {
            break;
        }
        sent = greedy.write_all(&chunk).map(|()| so_far + chunk.len());
    }
    assert!(sent.is_err(), "the agent read {} bytes of a message over its limit", sent.unwrap());
    for seed in 0u32..200 {
        // Random bytes behind a plausible length: what a fuzzer tries first.
        let body: Vec<u8> =
            (0..64).map(|i| (seed.wrapping_mul(2654435761).wrapping_add(i * 40503) >> 7) as u8).collect();
        let mut stream = UnixStream::connect(&agent.socket).unwrap();
        let mut framed = (body.len() as u32).to_be_bytes().to_vec();
        framed.extend(&body);
        let _ = stream.write_all(&framed);
        let _ = stream.shutdown(std::net::Shutdown::Write);
    }

    let clients: Vec<_> = (0..50)
        .map(|_| {
            Command::new("ssh-add")
                .arg("-L")
                .env("SSH_AUTH_SOCK", &agent.socket)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for client in clients {
        let out = client.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
    }

    // A second agent on the same socket is refused while this one serves;
    // once it is gone (killed: its socket stays behind), the next replaces it.
    let second =
        kh.run(&["ssh-agent", "--confirm", "never", "--socket", agent.socket.to_str().unwrap()], None);
    assert_eq!(second.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&second.stderr).contains("served by a running agent"));
    let socket = agent.socket.clone();
    drop(agent);
    assert!(socket.exists());
    let again = Agent::start(&kh, &socket);
    assert_eq!(again.ok("ssh-add", &["-L"], &work).lines().count(), 3);
}

/// An sshd of Debian's openssh-server on a free loopback port, with a host
/// key and a config of its own; killed when dropped.
struct Sshd {
    child: Child,
    port: u16,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sshd {
    fn start(dir: &Path, authorized: &str) -> Sshd {
        Sshd::start_with(dir, authorized, "")
    }

    /// With `extra` lines of sshd_config.
    fn start_with(dir: &Path, authorized: &str, extra: &str) -> Sshd {
        std::fs::create_dir_all(dir).unwrap();
        let host_key = dir.join("host_ed25519");
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f", host_key.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success());
        std::fs::write(dir.join("authorized_keys"), authorized).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\n\
                 StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PermitRootLogin prohibit-password\nLogLevel VERBOSE\n{extra}",
                host_key.display(),
                dir.join("sshd.pid").display(),
                dir.join("authorized_keys").display()
            ),
        )
        .unwrap();
        // Run as root, sshd wants its privilege separation directory.
        if is_root() {
            std::fs::create_dir_all("/run/sshd").unwrap();
        }
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f", config.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("sshd.log")).unwrap())
            .spawn()
            .expect("/usr/sbin/sshd (openssh-server, installed by scripts/install-deps.sh test)");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "sshd did not start: {}",
                std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Sshd { child, port }
    }

    /// `ssh` to this server as the current user, keys from the agent only.
    fn login(&self, agent: &Agent, dir: &Path) -> (bool, String, String) {
        self.run(agent, dir, &[], "echo logged in as $(id -un)")
    }

    /// Runs `command` on this server, with more of ssh's `options`.
    fn run(&self, agent: &Agent, dir: &Path, options: &[&str], command: &str) -> (bool, String, String) {
        let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
        let destination = format!("{}@127.0.0.1", user.trim());
        let port = self.port.to_string();
        let mut args = options.to_vec();
        args.extend([
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-p",
            &port,
            &destination,
            command,
        ]);
        agent.client("ssh", &args, dir)
    }

    /// The line known_hosts holds for this server.
    fn known_hosts_line(&self, dir: &Path) -> String {
        let public = std::fs::read_to_string(dir.join("host_ed25519.pub")).unwrap();
        format!("[127.0.0.1]:{} {}\n", self.port, key_part(&public))
    }
}

fn is_root() -> bool {
    String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap().trim() == "0"
}

#[test]
fn ssh_logs_in_to_a_real_sshd_with_a_generated_key_and_with_an_imported_one() {
    let kh = vault_with_keys();
    let work = kh.path("work");
    std::fs::create_dir(&work).unwrap();
    let agent = Agent::start(&kh, &kh.path("run/agent.sock"));
    for name in ["DEPLOY_KEY", "OLD_RSA"] {
        let public = kh.ok(&["ssh", "public", name], None);
        let sshd = Sshd::start(&kh.path(&format!("sshd-{name}")), &public);
        let (ok, stdout, stderr) = sshd.login(&agent, &work);
        assert!(ok && stdout.starts_with("logged in as"), "{name}: {stdout}{stderr}");
    }
    // A key the server does not know is refused, and nothing hangs.
    let stranger = Kh::new();
    stranger.ok(&["ssh", "generate", "STRANGER"], None);
    let sshd = Sshd::start(&kh.path("sshd-stranger"), &stranger.ok(&["ssh", "public", "STRANGER"], None));
    let (ok, _, stderr) = sshd.login(&agent, &work);
    assert!(!ok && stderr.contains("Permission denied"), "{stderr}");
    let log = kh.ok(&["log", "--limit", "10"], None);
    assert!(log.contains("for ssh (/usr/bin/ssh, pid"), "{log}");
}

#[test]
fn the_key_meant_for_the_host_is_offered_first_and_a_forwarded_agent_signs_only_with_allowed_keys() {
    let kh = Kh::new();
    let work = kh.path("work");
    std::fs::create_dir(&work).unwrap();
    // Seven keys before the one the server takes, by name: the agent lists
    // keys by name, so without a host match ssh tries A_KEY_1 and A_KEY_2.
    for n in 1..=7 {
        kh.ok(&["ssh", "generate", &format!("A_KEY_{n}")], None);
    }
    kh.ok(&["ssh", "generate", "Z_DEPLOY"], None);
    let deploy = kh.ok(&["ssh", "public", "Z_DEPLOY"], None);
    let dir = kh.path("sshd");
    let sshd = Sshd::start_with(&dir, &deploy, "MaxAuthTries 2\n");
    let agent = Agent::start(&kh, &kh.path("run/agent.sock"));

    let (ok, _, stderr) = sshd.login(&agent, &work);
    assert!(!ok && stderr.contains("Too many authentication failures"), "{stderr}");

    // Meant for the server by its name in known_hosts (the agent's HOME).
    let host = format!("[127.0.0.1]:{}", sshd.port);
    let known_hosts = kh.path(".ssh/known_hosts");
    std::fs::create_dir_all(known_hosts.parent().unwrap()).unwrap();
    std::fs::write(&known_hosts, sshd.known_hosts_line(&dir)).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&kh.ok(&["--json", "ssh", "hosts", "Z_DEPLOY", &host], None)).unwrap();
    assert_eq!(json["hosts"], serde_json::json!([host]));
    let (ok, stdout, stderr) = sshd.login(&agent, &work);
    assert!(ok && stdout.starts_with("logged in as"), "{stdout}{stderr}");
    let log = kh.ok(&["log", "--limit", "1"], None);
    assert!(log.contains(&format!("to {host}")), "{log}");

    // Hashed as `HashKnownHosts yes` writes it, the name is found all the same.
    let hashed = Command::new("ssh-keygen").args(["-H", "-f"]).arg(&known_hosts).output().unwrap();
    assert!(hashed.status.success() && !std::fs::read_to_string(&known_hosts).unwrap().contains("127.0.0.1"));
    let (ok, _, stderr) = sshd.login(&agent, &work);
    assert!(ok, "{stderr}");
    // Another server's name does not match; a key with no hosts is offered in its turn.
    kh.ok(&["ssh", "hosts", "Z_DEPLOY", "[127.0.0.1]:1", "*.example.com"], None);
    assert!(!sshd.login(&agent, &work).0);
    let cleared = kh.run(&["ssh", "hosts", "Z_DEPLOY"], None);
    assert!(String::from_utf8_lossy(&cleared.stderr).contains("meant for no host"));
    let bad = kh.run(&["ssh", "hosts", "Z_DEPLOY", "a,b"], None);
    assert_eq!(bad.status.code(), Some(6), "{}", String::from_utf8_lossy(&bad.stderr));

    // ssh -A: the forwarded agent on the server sees no key until one is allowed.
    kh.ok(&["ssh", "hosts", "Z_DEPLOY", &host], None);
    let forwarded = |command: &str| sshd.run(&agent, &work, &["-A"], command);
    let (ok, stdout, stderr) = forwarded("ssh-add -L");
    assert!(!ok && stdout.contains("no identities"), "{stdout}{stderr}");
    kh.ok(&["ssh", "forwarding", "Z_DEPLOY", "on"], None);
    std::fs::write(work.join("key.pub"), &deploy).unwrap();
    std::fs::write(work.join("message"), "hello").unwrap();
    let sign = format!(
        "ssh-add -L && ssh-keygen -Y sign -f {} -n file {}",
        work.join("key.pub").display(),
        work.join("message").display()
    );
    let (ok, stdout, stderr) = forwarded(&sign);
    assert!(ok && stdout.lines().count() == 1 && key_part(&stdout) == key_part(&deploy), "{stdout}{stderr}");
    assert!(work.join("message.sig").exists());
    let log = kh.ok(&["log", "--limit", "1"], None);
    assert!(log.contains(" sign ") && log.contains("(forwarded)"), "{log}");
}

/// An askpass program that notes each question in `questions` and answers
/// what `answer` holds (after 20 s while `dawdle` exists).
fn askpass(kh: &Kh) -> PathBuf {
    let program = kh.path("askpass");
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" | head -n 1 >> {}\n[ -e {} ] && sleep 20\ncat {}\n",
            kh.path("questions").display(),
            kh.path("dawdle").display(),
            kh.path("answer").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(kh.path("questions"), "").unwrap();
    program
}

/// A vault with DEPLOY_KEY; a work folder with its public key and a message
/// to sign (`ssh-keygen -Y sign -f key.pub -n file message`); an askpass program.
fn signing_setup() -> (Kh, String, PathBuf, PathBuf) {
    let kh = Kh::new();
    kh.ok(&["ssh", "generate", "DEPLOY_KEY"], None);
    let public = kh.ok(&["ssh", "public", "DEPLOY_KEY"], None);
    let work = kh.path("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(work.join("key.pub"), &public).unwrap();
    std::fs::write(work.join("message"), "hello").unwrap();
    let program = askpass(&kh);
    (kh, public, work, program)
}

#[test]
fn a_program_is_asked_about_once_remembered_by_its_binary_and_asked_again_when_it_changes() {
    let (kh, _, work, program) = signing_setup();
    let socket = kh.path("run/agent.sock");
    let mut agent = Agent::start_asking(&kh, &socket, Some(&program));
    let answer = |text: &str| std::fs::write(kh.path("answer"), text).unwrap();
    let questions = || std::fs::read_to_string(kh.path("questions")).unwrap();
    let sign = |agent: &Agent, keygen: &str| {
        let _ = std::fs::remove_file(work.join("message.sig"));
        agent.client(keygen, &["-Y", "sign", "-f", "key.pub", "-n", "file", "message"], &work).0
    };

    answer("once\n");
    assert!(sign(&agent, "ssh-keygen") && sign(&agent, "ssh-keygen"));
    assert_eq!(questions().lines().count(), 2, "once is asked each time");
    assert!(questions().starts_with("Allow ssh-keygen (/usr/bin/ssh-keygen, pid "), "{}", questions());
    assert!(
        questions().lines().all(|line| line.ends_with("to use the SSH key DEPLOY_KEY?")),
        "{}",
        questions()
    );
    answer("no\n");
    assert!(!sign(&agent, "ssh-keygen"));
    answer("always\n");
    assert!(sign(&agent, "ssh-keygen"));
    answer("no\n");
    for _ in 0..10 {
        assert!(sign(&agent, "ssh-keygen"), "a new process of the program allowed always");
    }
    assert_eq!(questions().lines().count(), 4, "{}", questions());

    // Another executable (the same file copied elsewhere) is asked about;
    // "lock" holds until the agent stops.
    let copy = work.join("keygen-copy");
    std::fs::copy("/usr/bin/ssh-keygen", &copy).unwrap();
    let copy = copy.to_str().unwrap().to_owned();
    answer("lock\n");
    assert!(sign(&agent, &copy) && sign(&agent, &copy));
    assert_eq!(questions().lines().count(), 5, "{}", questions());
    assert!(questions().lines().last().unwrap().contains(&format!("({copy}, pid ")));

    // Across a restart of the agent: "always" is in the vault, "lock" is gone.
    drop(agent);
    agent = Agent::start_asking(&kh, &socket, Some(&program));
    answer("no\n");
    assert!(sign(&agent, "ssh-keygen"));
    assert!(!sign(&agent, &copy));
    assert_eq!(questions().lines().count(), 6);

    // The copy allowed always, then changed (a byte appended: it still runs): asked again.
    answer("always\n");
    assert!(sign(&agent, &copy));
    answer("no\n");
    assert!(sign(&agent, &copy));
    std::fs::OpenOptions::new().append(true).open(&copy).unwrap().write_all(b"\0").unwrap();
    assert!(!sign(&agent, &copy));
    assert_eq!(questions().lines().count(), 8, "{}", questions());

    // Listed and revoked: the program is asked again.
    let grants: Vec<serde_json::Value> =
        serde_json::from_str(&kh.ok(&["--json", "grants", "ls"], None)).unwrap();
    assert_eq!(grants.len(), 2, "{grants:?}");
    let keygen = grants.iter().find(|grant| grant["program"] == "/usr/bin/ssh-keygen").unwrap();
    assert_eq!(
        (keygen["subject"].as_str(), keygen["sha256"].as_str().unwrap().len()),
        (Some("ssh-key:DEPLOY_KEY"), 64)
    );
    kh.ok(&["grants", "revoke", &keygen["id"].to_string()], None);
    assert!(!sign(&agent, "ssh-keygen"));
    assert_eq!(questions().lines().count(), 9);
    kh.fails(&["grants", "revoke", "999"], None, 6);

    // Each answer is in the log with the program; an edited grant fails verify.
    let log = kh.ok(&["log", "--limit", "40"], None);
    assert!(log.contains("allowed always: ssh-keygen (/usr/bin/ssh-keygen, pid"), "{log}");
    assert!(log.contains("denied: keygen-copy"), "{log}");
    let conn = rusqlite::Connection::open(&kh.vault).unwrap();
    conn.execute("UPDATE grants SET exe = '/usr/bin/python3'", []).unwrap();
    kh.fails(&["verify"], None, 7);
}

#[test]
fn a_locked_agent_lists_keys_asks_for_the_passphrase_to_sign_and_gives_up_in_time() {
    let (kh, public, work, program) = signing_setup();
    let socket = kh.path("run/agent.sock");
    // No passphrase from the environment: the agent starts locked.
    let mut cmd = kh.cmd();
    cmd.env_remove("KEYHAVEN_PASSPHRASE").env("SSH_ASKPASS", &program);
    let mut child = cmd
        .args(["ssh-agent", "--confirm", "never", "--locked", "--answer-within", "5"])
        .args(["--socket", socket.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut String::new()).unwrap();
    let agent = Agent { child, socket };
    let questions = || std::fs::read_to_string(kh.path("questions")).unwrap();
    let sign_command = || {
        let _ = std::fs::remove_file(work.join("message.sig"));
        let mut command = Command::new("ssh-keygen");
        command
            .args(["-Y", "sign", "-f", "key.pub", "-n", "file", "message"])
            .current_dir(&work)
            .env("SSH_AUTH_SOCK", &agent.socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    };
    let sign = || sign_command().status().unwrap().success();

    // Listed while locked, without a question.
    assert_eq!(key_part(&agent.ok("ssh-add", &["-L"], &work)), key_part(&public));
    assert_eq!(questions(), "");

    // Nobody answers: the request fails once --answer-within has passed,
    // and the agent keeps listing meanwhile.
    std::fs::write(kh.path("dawdle"), "").unwrap();
    let mut pending = sign_command().spawn().unwrap();
    while questions().is_empty() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        questions().starts_with("Keyhaven is locked: ssh-keygen (/usr/bin/ssh-keygen, pid "),
        "{}",
        questions()
    );
    assert!(questions().contains("asks to use the SSH key DEPLOY_KEY"), "{}", questions());
    assert_eq!(agent.ok("ssh-add", &["-L"], &work).lines().count(), 1);
    assert!(pending.try_wait().unwrap().is_none(), "the sign request waits for its answer");
    assert!(!pending.wait().unwrap().success());
    std::fs::remove_file(kh.path("dawdle")).unwrap();

    // A wrong passphrase: refused, still locked; the right one signs, and
    // the next signature asks nothing.
    std::fs::write(kh.path("answer"), "not the passphrase\n").unwrap();
    assert!(!sign());
    std::fs::write(kh.path("answer"), format!("{}\n", common::PASSPHRASE)).unwrap();
    assert!(sign() && sign());
    assert_eq!(questions().lines().count(), 3, "{}", questions());
    let log = kh.ok(&["log", "--limit", "2"], None);
    assert_eq!(log.lines().filter(|line| line.contains(" sign ")).count(), 2, "{log}");
}
