//! SSH keys kept in the vault: made here or read from an OpenSSH private key
//! file, stored as a secret of kind [`SecretKind::SshKey`] (the private key,
//! in OpenSSH's format, is the value, encrypted like any other) with its
//! public half beside it. Formats and key generation are the `ssh-key`
//! crate's (RustCrypto).
//!
//! [`SecretKind::SshKey`]: crate::secret::SecretKind::SshKey

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use ssh_key::{Algorithm, EcdsaCurve, HashAlg, LineEnding, PrivateKey, PublicKey, private::RsaKeypair};
use zeroize::Zeroizing;

use crate::{Error, Result, secret::SecretName};

/// The key types `keyhaven ssh generate` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// Ed25519: OpenSSH's choice for new keys.
    Ed25519,
    /// ECDSA on NIST P-256.
    Ecdsa,
    /// RSA, 3,072 bits (ssh-keygen's default size); signs with SHA-2.
    Rsa,
}

/// RSA keys made here: ssh-keygen's default size.
pub const RSA_BITS: usize = 3072;
/// A key file read with `ssh add` holds at most this much (an RSA key of
/// 16,384 bits in OpenSSH's format is about 12 KiB).
pub const MAX_KEY_FILE: usize = 64 * 1024;
/// A key's comment: as long as ssh-keygen allows in practice, one line.
pub const MAX_COMMENT: usize = 1024;

/// A key in the vault, as `ssh ls` and the app show it: never its private part.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SshKeyInfo {
    pub name: SecretName,
    /// OpenSSH's name for the algorithm, such as `ssh-ed25519`.
    pub algorithm: String,
    /// `SHA256:` and the base64 digest, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    pub comment: String,
    /// The `authorized_keys` line.
    pub public_key: String,
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub settings: SshKeySettings,
}

impl SshKeyInfo {
    /// Describes the public line stored for `name`.
    pub(crate) fn from_public_line(name: SecretName, line: &str, settings: SshKeySettings) -> Result<Self> {
        let public = PublicKey::from_openssh(line)
            .map_err(|err| Error::Tampered(format!("the public key of {name} ({err})")))?;
        Ok(Self {
            algorithm: public.algorithm().as_str().to_owned(),
            fingerprint: public.fingerprint(HashAlg::Sha256).to_string(),
            comment: public.comment().to_owned(),
            public_key: line.to_owned(),
            settings,
            name,
        })
    }
}

/// How the agent treats a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SshKeySettings {
    /// Offered by the agent (on for keys made or added here).
    pub agent: bool,
    /// Host patterns the key is meant for (`github.com`, `*.corp.example`,
    /// `[127.0.0.1]:2222`, or a host key's `SHA256:` fingerprint): offered
    /// first to a server that matches, when the client says where it
    /// connects (OpenSSH 8.9 and later do).
    pub hosts: Vec<String>,
    /// A connection forwarded from another machine (`ssh -A`) may sign with it.
    pub forwarding: bool,
}

impl Default for SshKeySettings {
    fn default() -> Self {
        Self { agent: true, hosts: Vec::new(), forwarding: false }
    }
}

/// A key is meant for at most this many host patterns.
pub const MAX_HOSTS: usize = 32;

/// Checks host patterns as `keyhaven ssh hosts` takes them: each one word
/// of printable ASCII, at most 255 bytes, without the `,` and `!` of
/// known_hosts' lists (a list is given as separate patterns, and negation is
/// not supported); at most [`MAX_HOSTS`], no repeats.
pub fn check_hosts(hosts: &[String]) -> Result<()> {
    if hosts.len() > MAX_HOSTS {
        return Err(Error::invalid("hosts", format!("a key takes at most {MAX_HOSTS} host patterns")));
    }
    for (index, host) in hosts.iter().enumerate() {
        let fine = !host.is_empty()
            && host.len() <= 255
            && host.bytes().all(|byte| byte.is_ascii_graphic() && byte != b',' && byte != b'!');
        if !fine {
            return Err(Error::invalid(
                "hosts",
                "a host pattern is one word of at most 255 printable ASCII characters, without ',' or '!'",
            ));
        }
        if hosts[..index].contains(host) {
            return Err(Error::invalid("hosts", format!("{host} is given twice")));
        }
    }
    Ok(())
}

/// A private key made or read here, on its way into the vault.
pub struct NewKey(PrivateKey);

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewKey({})", self.0.algorithm().as_str())
    }
}

impl NewKey {
    /// A new key pair from the OS generator.
    pub fn generate(kind: KeyType, comment: &str) -> Result<Self> {
        check_comment(comment)?;
        let mut rng = rand::rngs::OsRng;
        let key = match kind {
            KeyType::Ed25519 => PrivateKey::random(&mut rng, Algorithm::Ed25519),
            KeyType::Ecdsa => PrivateKey::random(&mut rng, Algorithm::Ecdsa { curve: EcdsaCurve::NistP256 }),
            KeyType::Rsa => {
                RsaKeypair::random(&mut rng, RSA_BITS).and_then(|pair| PrivateKey::new(pair.into(), ""))
            }
        };
        let mut key = key.map_err(|err| Error::invalid("the new SSH key", err.to_string()))?;
        key.set_comment(comment);
        Ok(Self(key))
    }

    /// Whether the key file's text is encrypted (read it with a passphrase).
    pub fn needs_passphrase(text: &SecretString) -> bool {
        let text = text.expose_secret();
        text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
            || PrivateKey::from_openssh(text).is_ok_and(|key| key.is_encrypted())
    }

    /// Reads a private key file's text: OpenSSH's format (`-----BEGIN
    /// OPENSSH PRIVATE KEY-----`) or PEM (PKCS#1 RSA, SEC1 EC, PKCS#8, and
    /// encrypted PKCS#8), with its passphrase if it is encrypted. The errors
    /// name the file's problem, never its contents.
    pub fn read(text: &SecretString, passphrase: Option<&SecretString>) -> Result<Self> {
        let what = "the SSH key file";
        let text = text.expose_secret();
        if text.len() > MAX_KEY_FILE {
            return Err(Error::invalid(
                what,
                format!("it is over {} KiB: no key file is that large", MAX_KEY_FILE / 1024),
            ));
        }
        if text.contains("-----BEGIN ") && !text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
            return Self::checked(pem::read(text.trim(), passphrase)?);
        }
        let key = PrivateKey::from_openssh(text).map_err(|err| {
            Error::invalid(what, format!("it is not an OpenSSH private key ({})", describe(&err)))
        })?;
        let key = match (key.is_encrypted(), passphrase) {
            (false, _) => key,
            (true, Some(passphrase)) => key
                .decrypt(passphrase.expose_secret().as_bytes())
                .map_err(|_| Error::invalid(what, "the passphrase does not open it"))?,
            (true, None) => return Err(Error::invalid(what, "it is encrypted, and no passphrase was given")),
        };
        Self::checked(key)
    }

    /// A key of a type kept here, with a one-line comment.
    fn checked(key: PrivateKey) -> Result<Self> {
        let what = "the SSH key file";
        match key.algorithm() {
            Algorithm::Ed25519 | Algorithm::Ecdsa { .. } | Algorithm::Rsa { .. } => {}
            other => {
                return Err(Error::invalid(
                    what,
                    format!("{} keys are not kept here (Ed25519, ECDSA and RSA are)", other.as_str()),
                ));
            }
        }
        check_comment(key.comment())?;
        Ok(Self(key))
    }

    /// Replaces the key's comment.
    pub fn set_comment(&mut self, comment: &str) -> Result<()> {
        check_comment(comment)?;
        self.0.set_comment(comment);
        Ok(())
    }

    /// The `authorized_keys` line, with the comment.
    pub fn public_line(&self) -> Result<String> {
        self.0.public_key().to_openssh().map_err(|err| Error::invalid("the SSH key", err.to_string()))
    }

    /// The private key in OpenSSH's format (unencrypted: the vault encrypts it).
    pub(crate) fn private_text(&self) -> Result<SecretString> {
        let text: Zeroizing<String> = self
            .0
            .to_openssh(LineEnding::LF)
            .map_err(|err| Error::invalid("the SSH key", err.to_string()))?;
        Ok(SecretString::from(text.as_str().to_owned()))
    }
}

/// A key's private part as stored, parsed again (to sign with, or to export).
pub fn parse_stored(name: &SecretName, value: &SecretString) -> Result<PrivateKey> {
    PrivateKey::from_openssh(value.expose_secret())
        .map_err(|err| Error::Tampered(format!("the SSH key {name} ({})", describe(&err))))
}

fn check_comment(comment: &str) -> Result<()> {
    if comment.len() > MAX_COMMENT || comment.chars().any(char::is_control) {
        return Err(Error::invalid(
            "the key's comment",
            format!("comments are one line of at most {MAX_COMMENT} bytes"),
        ));
    }
    Ok(())
}

/// PEM private keys, as OpenSSL and older ssh-keygen write them, read into
/// ssh-key's model. Each decoder checks the key's algorithm identifier, so
/// trying them in turn finds the one the file holds.
mod pem {
    use ed25519_dalek::pkcs8::DecodePrivateKey as _;
    use pkcs8::{EncryptedPrivateKeyInfo, der::Decode as _};
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    use secrecy::{ExposeSecret, SecretString};
    use ssh_key::{
        PrivateKey,
        private::{EcdsaKeypair, Ed25519Keypair, RsaKeypair},
    };

    use crate::{Error, Result};

    fn invalid(why: impl Into<String>) -> Error {
        Error::invalid("the SSH key file", why.into())
    }

    pub(super) fn read(text: &str, passphrase: Option<&SecretString>) -> Result<PrivateKey> {
        if text.contains("Proc-Type: 4,ENCRYPTED") {
            return Err(invalid(
                "it is an encrypted PEM key of the old kind; convert a copy first with `ssh-keygen -p -f COPY` \
                 (it rewrites the copy in OpenSSH's format), then add the copy",
            ));
        }
        let label = text.lines().next().unwrap_or("");
        let not_read = |kind: &str| invalid(format!("it is not a readable {kind}"));
        match label {
            "-----BEGIN RSA PRIVATE KEY-----" => {
                let key = rsa::RsaPrivateKey::from_pkcs1_pem(text).map_err(|_| not_read("PKCS#1 RSA key"))?;
                rsa_key(&key)
            }
            "-----BEGIN EC PRIVATE KEY-----" => {
                if let Ok(key) = p256::SecretKey::from_sec1_pem(text) {
                    let public = key.public_key().into();
                    return Ok(EcdsaKeypair::NistP256 { public, private: key.into() }.into());
                }
                let key =
                    p384::SecretKey::from_sec1_pem(text).map_err(|_| not_read("P-256 or P-384 EC key"))?;
                let public = key.public_key().into();
                Ok(EcdsaKeypair::NistP384 { public, private: key.into() }.into())
            }
            "-----BEGIN PRIVATE KEY-----" => {
                let (_, document) =
                    pkcs8::SecretDocument::from_pem(text).map_err(|_| not_read("PKCS#8 key"))?;
                from_pkcs8(document.as_bytes())
            }
            "-----BEGIN ENCRYPTED PRIVATE KEY-----" => {
                let passphrase =
                    passphrase.ok_or_else(|| invalid("it is encrypted, and no passphrase was given"))?;
                let (_, document) =
                    pkcs8::Document::from_pem(text).map_err(|_| not_read("encrypted PKCS#8 key"))?;
                let info = EncryptedPrivateKeyInfo::from_der(document.as_bytes())
                    .map_err(|_| not_read("encrypted PKCS#8 key"))?;
                let decrypted = info
                    .decrypt(passphrase.expose_secret().as_bytes())
                    .map_err(|_| invalid("the passphrase does not open it"))?;
                from_pkcs8(decrypted.as_bytes())
            }
            _ => Err(invalid(
                "it holds no private key Keyhaven reads (OpenSSH's format, or PEM: RSA, EC or PKCS#8)",
            )),
        }
    }

    fn from_pkcs8(der: &[u8]) -> Result<PrivateKey> {
        if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
            return Ok(Ed25519Keypair::from(&key).into());
        }
        if let Ok(key) = p256::SecretKey::from_pkcs8_der(der) {
            let public = key.public_key().into();
            return Ok(EcdsaKeypair::NistP256 { public, private: key.into() }.into());
        }
        if let Ok(key) = p384::SecretKey::from_pkcs8_der(der) {
            let public = key.public_key().into();
            return Ok(EcdsaKeypair::NistP384 { public, private: key.into() }.into());
        }
        let key = rsa::RsaPrivateKey::from_pkcs8_der(der)
            .map_err(|_| invalid("its PKCS#8 key is not Ed25519, ECDSA (P-256, P-384) or RSA"))?;
        rsa_key(&key)
    }

    fn rsa_key(key: &rsa::RsaPrivateKey) -> Result<PrivateKey> {
        let pair =
            RsaKeypair::try_from(key).map_err(|err| invalid(format!("its RSA key is not usable ({err})")))?;
        Ok(pair.into())
    }
}

/// ssh-key's error, which names a format problem and never key material.
fn describe(err: &ssh_key::Error) -> String {
    err.to_string()
}
