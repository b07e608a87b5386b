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

fn envelope_header(name: &SecretName, version: u32) -> String {
    format!("{ENVELOPE_TAG}\0{name}\0{version}\0")
}

/// Encrypts one value version to the vault's recipient.
pub(crate) fn seal_value(
    recipient: &Recipient,
    name: &SecretName,
    version: u32,
    value: &SecretString,
) -> Vec<u8> {
    let header = envelope_header(name, version);
    let mut plain = Zeroizing::new(Vec::with_capacity(header.len() + value.expose_secret().len()));
    plain.extend_from_slice(header.as_bytes());
    plain.extend_from_slice(value.expose_secret().as_bytes());
    age::encrypt(recipient, &plain).expect("age encryption to an X25519 recipient cannot fail")
}

/// Decrypts one value version; any tampering, damage or row swap is an integrity error.
pub(crate) fn open_value(
    identity: &Identity,
    name: &SecretName,
    version: u32,
    sealed: &[u8],
) -> Result<SecretString> {
    let integrity = || Error::Integrity { name: name.to_string(), version };
    let plain = Zeroizing::new(age::decrypt(identity, sealed).map_err(|_| integrity())?);
    let header = envelope_header(name, version);
    let body = plain.strip_prefix(header.as_bytes()).ok_or_else(integrity)?;
    let text = std::str::from_utf8(body).map_err(|_| integrity())?;
    Ok(SecretString::from(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> KdfParams {
        KdfParams::custom(1, 1).unwrap()
    }

    #[test]
    fn wrapped_identity_opens_only_with_the_same_passphrase_and_context() {
        let identity = Identity::generate();
        let salt = random_bytes::<SALT_LEN>();
        let key = fast().derive(&SecretString::from("right"), &salt).unwrap();
        let wrapped = wrap_identity(&identity, &key, b"vault-a");
        let opened = unwrap_identity(&wrapped, &key, b"vault-a").unwrap();
        assert_eq!(opened.to_public().to_string(), identity.to_public().to_string());

        let wrong = fast().derive(&SecretString::from("wrong"), &salt).unwrap();
        assert!(matches!(unwrap_identity(&wrapped, &wrong, b"vault-a"), Err(Error::WrongPassphrase)));
        assert!(matches!(unwrap_identity(&wrapped, &key, b"vault-b"), Err(Error::WrongPassphrase)));
    }

    #[test]
    fn a_value_sealed_for_one_row_does_not_open_as_another() {
        let identity = Identity::generate();
        let name = SecretName::parse("A").unwrap();
        let other = SecretName::parse("B").unwrap();
        let sealed = seal_value(&identity.to_public(), &name, 1, &SecretString::from("v1"));
        assert_eq!(open_value(&identity, &name, 1, &sealed).unwrap().expose_secret(), "v1");
        assert!(matches!(open_value(&identity, &other, 1, &sealed), Err(Error::Integrity { .. })));
        assert!(matches!(open_value(&identity, &name, 2, &sealed), Err(Error::Integrity { .. })));
    }

    #[test]
    fn custom_params_are_bounded() {
        assert!(KdfParams::custom(0, 1).is_err());
        assert!(KdfParams::custom(8, 0).is_err());
        assert!(KdfParams::custom(8, 1).unwrap().is_below_recommended());
        assert!(!KdfParams::RECOMMENDED.is_below_recommended());
    }
}
