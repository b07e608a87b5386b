//! Where a connection leads. OpenSSH (8.9 and later) tells its agent which
//! server it is logging in to with `session-bind@openssh.com`: the server's
//! host key, the session id, the server's signature over it, and whether the
//! connection is a forwarded one (`ssh -A` on another machine). The agent
//! checks the signature, then:
//!
//! - offers first the keys meant for that server (a key's `hosts`, matched
//!   against the names the user's known_hosts files give that host key), so
//!   a user with many keys does not run into the server's `MaxAuthTries`;
//! - lets a forwarded connection see and use only keys allowed to be
//!   forwarded;
//! - names the server in the log of each signature.
//!
//! As in OpenSSH's agent, a connection bound for a login cannot be bound
//! again, and a chain of forwardings is at most [`MAX_BINDINGS`] long.

use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac as _};
// OpenSSH's host patterns match as selection patterns do: `*` any run, `?`
// one character, ASCII case ignored.
use keyhaven_core::{ssh::SshKeyInfo, sync::glob};
use ssh_agent_lib::{error::AgentError, proto::extension::SessionBind};
use ssh_key::{
    HashAlg, PublicKey,
    known_hosts::{HostPatterns, KnownHosts},
    public::KeyData,
};

/// OpenSSH's agent keeps as many.
pub const MAX_BINDINGS: usize = 16;
/// A known_hosts file read for names is at most this large (one entry is
/// under 1 KiB; a file of thousands of hosts fits).
const MAX_KNOWN_HOSTS: u64 = 4 << 20;

/// What the binds of one connection said: whether each was a forwarding,
/// and the server of the last one, named once when it was bound.
#[derive(Default)]
pub struct Bindings {
    forwarding: Vec<bool>,
    destination: Option<Destination>,
}

impl Bindings {
    /// Takes a `session-bind@openssh.com` message, once its signature checks.
    pub fn bind(&mut self, bind: &SessionBind) -> Result<(), AgentError> {
        if let Err(err) = bind.verify_signature() {
            tracing::warn!("ssh agent: a session-bind's signature does not verify: {err}");
            return Err(AgentError::Failure);
        }
        if self.forwarding.iter().any(|forwarding| !forwarding) {
            tracing::warn!("ssh agent: a connection bound for a login asked to be bound again");
            return Err(AgentError::Failure);
        }
        if self.forwarding.len() >= MAX_BINDINGS {
            return Err(AgentError::Failure);
        }
        self.forwarding.push(bind.is_forwarding);
        self.destination = Some(Destination::of(&bind.host_key, &known_hosts_files()));
        Ok(())
    }

    /// The connection comes from another machine through a forwarded agent.
    pub fn forwarded(&self) -> bool {
        self.forwarding.iter().any(|forwarding| *forwarding)
    }

    /// The server the client is logging in to, if it said.
    pub fn destination(&self) -> Option<&Destination> {
        self.destination.as_ref()
    }
}

/// A server, known by its host key and the names known_hosts gives it.
pub struct Destination {
    fingerprint: String,
    /// Plain names of lines holding the host key (`github.com`, `[10.0.0.2]:2222`).
    names: Vec<String>,
    /// Salt and hash of hashed lines holding it (`HashKnownHosts yes`).
    hashed: Vec<(Vec<u8>, [u8; 20])>,
}

impl Destination {
    fn of(host_key: &KeyData, files: &[PathBuf]) -> Self {
        let mut names = Vec::new();
        let mut hashed = Vec::new();
        for file in files {
            let Some(text) = read_bounded(file) else { continue };
            // A line this parser does not take is skipped, as ssh skips it.
            for entry in KnownHosts::new(&text).filter_map(Result::ok) {
                if entry.marker().is_some() || entry.public_key().key_data() != host_key {
                    continue;
                }
                match entry.host_patterns() {
                    HostPatterns::Patterns(patterns) => names.extend(
                        patterns.iter().filter(|name| !name.starts_with('!') && printable(name)).cloned(),
                    ),
                    HostPatterns::HashedName { salt, hash } => hashed.push((salt.clone(), *hash)),
                }
            }
        }
        let fingerprint = PublicKey::from(host_key.clone()).fingerprint(HashAlg::Sha256).to_string();
        Self { fingerprint, names, hashed }
    }

    /// The key is meant for this server: one of its host patterns matches
    /// a name of the server, is the host key's fingerprint, or (hashed
    /// lines hide names) hashes to a hashed line's name.
    pub fn is_for(&self, key: &SshKeyInfo) -> bool {
        key.settings.hosts.iter().any(|pattern| self.matched_by(pattern).is_some())
    }

    /// How the log names the server: a name from known_hosts, the key's
    /// pattern that found a hashed line, or the host key's fingerprint.
    pub fn describe(&self, key: &SshKeyInfo) -> String {
        if let Some(name) = self.names.first() {
            return name.clone();
        }
        let found = key.settings.hosts.iter().find_map(|pattern| self.matched_by(pattern));
        found.unwrap_or_else(|| format!("host key {}", self.fingerprint))
    }

    /// The server's name `pattern` matched, if it did.
    fn matched_by(&self, pattern: &str) -> Option<String> {
        if pattern == self.fingerprint {
            return Some(format!("host key {}", self.fingerprint));
        }
        if let Some(name) = self.names.iter().find(|name| glob(pattern, name)) {
            return Some(name.clone());
        }
        let literal = !pattern.contains(['*', '?']);
        let hashes_to = |(salt, hash): &(Vec<u8>, [u8; 20])| {
            let mut mac = Hmac::<sha1::Sha1>::new_from_slice(salt).expect("HMAC takes a key of any length");
            mac.update(pattern.as_bytes());
            mac.verify_slice(hash).is_ok()
        };
        (literal && self.hashed.iter().any(hashes_to)).then(|| pattern.to_owned())
    }
}

/// The files ssh reads for host keys by default: the user's, then the system's.
fn known_hosts_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(home) = std::env::var_os("HOME") {
        let ssh = Path::new(&home).join(".ssh");
        files.extend([ssh.join("known_hosts"), ssh.join("known_hosts2")]);
    }
    files.extend(["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"].map(PathBuf::from));
    files
}

fn read_bounded(file: &Path) -> Option<String> {
    use std::io::Read as _;
    let mut text = String::new();
    let mut reader = std::fs::File::open(file).ok()?.take(MAX_KNOWN_HOSTS + 1);
    reader.read_to_string(&mut text).ok()?;
    if text.len() as u64 > MAX_KNOWN_HOSTS {
        tracing::warn!("ssh agent: {} is over 4 MiB; its names are not used", file.display());
        return None;
    }
    Some(text)
}

/// A name the log may show: printable ASCII, as host names are.
fn printable(name: &str) -> bool {
    name.len() <= 255 && name.bytes().all(|byte| byte.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_openssh_matches_them() {
        for (pattern, name, expected) in [
            ("github.com", "github.com", true),
            ("GitHub.com", "github.com", true),
            ("*.corp.example", "build.corp.example", true),
            ("*.corp.example", "corp.example", false),
            ("host?", "host1", true),
            ("host?", "host12", false),
            ("[127.0.0.1]:2222", "[127.0.0.1]:2222", true),
            ("[127.0.0.1]:*", "[127.0.0.1]:2222", true),
            ("*", "anything", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
        ] {
            assert_eq!(glob(pattern, name), expected, "{pattern} against {name}");
        }
    }

    #[test]
    fn a_hashed_known_hosts_line_is_found_by_a_literal_pattern() {
        let host_key = PublicKey::from_openssh(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        )
        .unwrap();
        // `ssh-keygen -H` of "[127.0.0.1]:2222" with this salt.
        let salt = b"0123456789abcdefghij".to_vec();
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&salt).unwrap();
        mac.update(b"[127.0.0.1]:2222");
        let hash: [u8; 20] = mac.finalize().into_bytes().into();
        let destination = Destination {
            fingerprint: host_key.fingerprint(HashAlg::Sha256).to_string(),
            names: Vec::new(),
            hashed: vec![(salt, hash)],
        };
        assert_eq!(destination.matched_by("[127.0.0.1]:2222").as_deref(), Some("[127.0.0.1]:2222"));
        assert_eq!(destination.matched_by("[127.0.0.1]:*"), None);
        assert_eq!(destination.matched_by("[127.0.0.1]:2223"), None);
        let fingerprint = destination.fingerprint.clone();
        assert!(destination.matched_by(&fingerprint).is_some());
    }
}
