//! Key handling: argon2id turns the passphrase into a key-encryption key, which
//! wraps (XChaCha20-Poly1305) the vault's age X25519 identity. Every value version
//! is age-encrypted to the vault's recipient inside an envelope that binds it to
//! its secret name and version, so ciphertexts cannot be swapped between rows.

use std::time::{Duration, Instant};

use age::x25519::{Identity, Recipient};
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use rand::{RngCore, rngs::OsRng};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::{Error, Result, secret::SecretName};

const NONCE_LEN: usize = 24;
pub(crate) const SALT_LEN: usize = 16;
const ENVELOPE_TAG: &str = "keyhaven-value-v1";

/// Argon2id cost parameters, stored in the vault header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl KdfParams {
    /// RFC 9106's second recommended setting: the floor for new vaults.
    pub const RECOMMENDED: KdfParams = KdfParams { memory_kib: 64 * 1024, iterations: 3, parallelism: 4 };

    /// Explicit parameters (tests, benchmarks, users who know what they trade).
    pub fn custom(memory_mib: u32, iterations: u32) -> Result<Self> {
        if !(1..=4096).contains(&memory_mib) || !(1..=100).contains(&iterations) {
            return Err(Error::invalid(
                "KDF parameters",
                "memory must be 1 to 4096 MiB and iterations 1 to 100",
            ));
        }
        let params = KdfParams {
            memory_kib: memory_mib * 1024,
            iterations,
            parallelism: Self::RECOMMENDED.parallelism,
        };
        params.argon2()?;
        Ok(params)
    }

    /// What a new vault gets: calibrated so an unlock takes about 0.75 s here.
    pub fn for_new_vault() -> Result<Self> {
        Self::calibrate(Duration::from_millis(750))
    }

    /// Starts from [`Self::RECOMMENDED`] and raises the iterations until one
    /// derivation takes about `target` on this machine; never goes below the floor.
    pub fn calibrate(target: Duration) -> Result<Self> {
        let floor = Self::RECOMMENDED;
        let started = Instant::now();
        floor.derive(&SecretString::from("calibration"), &[0u8; SALT_LEN])?;
        let elapsed = started.elapsed().max(Duration::from_millis(1));
        let scale = target.as_secs_f64() / elapsed.as_secs_f64();
        let iterations = ((floor.iterations as f64) * scale).floor() as u32;
        Ok(KdfParams { iterations: iterations.clamp(floor.iterations, 64), ..floor })
    }

    pub fn is_below_recommended(&self) -> bool {
        self.memory_kib < Self::RECOMMENDED.memory_kib || self.iterations < Self::RECOMMENDED.iterations
    }

    fn argon2(&self) -> Result<Argon2<'static>> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|err| Error::Kdf(err.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    pub(crate) fn derive(&self, passphrase: &SecretString, salt: &[u8]) -> Result<KeyEncryptionKey> {
        let mut key = Zeroizing::new([0u8; 32]);
        self.argon2()?
            .hash_password_into(passphrase.expose_secret().as_bytes(), salt, key.as_mut())
            .map_err(|err| Error::Kdf(err.to_string()))?;
        Ok(KeyEncryptionKey(key))
    }
}

/// The argon2id output; wiped on drop.
pub(crate) struct KeyEncryptionKey(Zeroizing<[u8; 32]>);

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// Seals the identity under the key: `nonce || ciphertext`, bound to `context`.
pub(crate) fn wrap_identity(identity: &Identity, key: &KeyEncryptionKey, context: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(key.0.as_ref()));
    let nonce = random_bytes::<NONCE_LEN>();
    let secret = identity.to_string();
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: secret.expose_secret().as_bytes(), aad: context })
        .expect("XChaCha20-Poly1305 encryption of a short message cannot fail");
    [nonce.as_slice(), &sealed].concat()
}

/// Opens a wrapped identity; a wrong key (wrong passphrase) fails authentication.
pub(crate) fn unwrap_identity(wrapped: &[u8], key: &KeyEncryptionKey, context: &[u8]) -> Result<Identity> {
    if wrapped.len() <= NONCE_LEN {
        return Err(Error::WrongPassphrase);
    }
    let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(key.0.as_ref()));
    let plain = cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: context })
        .map(Zeroizing::new)
        .map_err(|_| Error::WrongPassphrase)?;
    let text = std::str::from_utf8(&plain).map_err(|_| Error::WrongPassphrase)?;
    text.parse::<Identity>().map_err(|_| Error::WrongPassphrase)
}

pub(crate) fn identity_from_secret(secret: &SecretString) -> Option<Identity> {
    secret.expose_secret().parse::<Identity>().ok()
}

const TOKEN_ENVELOPE_TAG: &str = "keyhaven-token-v1";

fn envelope_header(name: &SecretName, version: u32) -> String {
    format!("{ENVELOPE_TAG}\0{name}\0{version}\0")
}

fn token_header(remote: &str) -> String {
    format!("{TOKEN_ENVELOPE_TAG}\0{remote}\0")
}

/// age-encrypts `header || secret` to the recipient.
fn seal(recipient: &Recipient, header: &str, secret: &SecretString) -> Vec<u8> {
    let mut plain = Zeroizing::new(Vec::with_capacity(header.len() + secret.expose_secret().len()));
    plain.extend_from_slice(header.as_bytes());
    plain.extend_from_slice(secret.expose_secret().as_bytes());
    age::encrypt(recipient, &plain).expect("age encryption to an X25519 recipient cannot fail")
}

/// Decrypts and checks the header; `None` on any damage or mismatch.
fn open(identity: &Identity, header: &str, sealed: &[u8]) -> Option<SecretString> {
    let plain = Zeroizing::new(age::decrypt(identity, sealed).ok()?);
    let body = plain.strip_prefix(header.as_bytes())?;
    let text = std::str::from_utf8(body).ok()?;
    Some(SecretString::from(text.to_owned()))
}

/// Encrypts one value version to the vault's recipient.
pub(crate) fn seal_value(
    recipient: &Recipient,
    name: &SecretName,
    version: u32,
    value: &SecretString,
) -> Vec<u8> {
    seal(recipient, &envelope_header(name, version), value)
}

/// Decrypts one value version; any tampering, damage or row swap is an integrity error.
pub(crate) fn open_value(
    identity: &Identity,
    name: &SecretName,
    version: u32,
    sealed: &[u8],
) -> Result<SecretString> {
    open(identity, &envelope_header(name, version), sealed)
        .ok_or_else(|| Error::Integrity { name: name.to_string(), version })
}

/// Encrypts a remote's API token, bound to the remote's name.
pub(crate) fn seal_token(recipient: &Recipient, remote: &str, token: &SecretString) -> Vec<u8> {
    seal(recipient, &token_header(remote), token)
}

pub(crate) fn open_token(identity: &Identity, remote: &str, sealed: &[u8]) -> Result<SecretString> {
    open(identity, &token_header(remote), sealed).ok_or_else(|| Error::TokenIntegrity(remote.to_owned()))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// A ciphertext from the file is decrypted only after its tag checks
        /// out, but the envelope must not panic on any bytes either.
        #[test]
        fn opening_any_bytes_never_panics(
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
            age_prefix in any::<bool>(),
        ) {
            let identity = Identity::generate();
            let name = SecretName::parse("API_KEY").unwrap();
            let sealed = if age_prefix { [b"age-encryption.org/v1\n".as_slice(), &bytes].concat() } else { bytes };
            prop_assert!(open_value(&identity, &name, 1, &sealed).is_err());
            prop_assert!(open_token(&identity, "prod", &sealed).is_err());
            let wrap = KeyEncryptionKey(Zeroizing::new([1u8; 32]));
            prop_assert!(unwrap_identity(&sealed, &wrap, b"context").is_err());
        }
    }
}
