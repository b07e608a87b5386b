//! Sessions: how a value travels between a client and the service.
//! `plain` sends it as it is (the bus is the user's own); the
//! `dh-ietf1024-sha256-aes128-cbc-pkcs7` algorithm agrees on an AES-128 key
//! by Diffie-Hellman in the 1024-bit MODP group of RFC 2409 (group 2),
//! derived with HKDF-SHA256 (no salt, no info) from the shared secret
//! left-padded to 128 bytes, and sends each value AES-128-CBC with PKCS#7
//! under a fresh IV, as gnome-keyring and libsecret do.

use aes::cipher::{BlockDecryptMut as _, BlockEncryptMut as _, KeyIvInit as _, block_padding::Pkcs7};
use num_bigint_dig::BigUint;
use rand::RngCore as _;
use zbus::{
    interface,
    message::Header,
    zvariant::{OwnedValue, Value},
};
use zeroize::Zeroizing;

use crate::{Error, State};

pub(crate) const PLAIN: &str = "plain";
pub(crate) const DH: &str = "dh-ietf1024-sha256-aes128-cbc-pkcs7";

/// RFC 2409's second Oakley group: the 1024-bit MODP prime; generator 2.
const GROUP_2_PRIME: [u8; 128] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC9, 0x0F, 0xDA, 0xA2, 0x21, 0x68, 0xC2, 0x34, 0xC4,
    0xC6, 0x62, 0x8B, 0x80, 0xDC, 0x1C, 0xD1, 0x29, 0x02, 0x4E, 0x08, 0x8A, 0x67, 0xCC, 0x74, 0x02, 0x0B,
    0xBE, 0xA6, 0x3B, 0x13, 0x9B, 0x22, 0x51, 0x4A, 0x08, 0x79, 0x8E, 0x34, 0x04, 0xDD, 0xEF, 0x95, 0x19,
    0xB3, 0xCD, 0x3A, 0x43, 0x1B, 0x30, 0x2B, 0x0A, 0x6D, 0xF2, 0x5F, 0x14, 0x37, 0x4F, 0xE1, 0x35, 0x6D,
    0x6D, 0x51, 0xC2, 0x45, 0xE4, 0x85, 0xB5, 0x76, 0x62, 0x5E, 0x7E, 0xC6, 0xF4, 0x4C, 0x42, 0xE9, 0xA6,
    0x37, 0xED, 0x6B, 0x0B, 0xFF, 0x5C, 0xB6, 0xF4, 0x06, 0xB7, 0xED, 0xEE, 0x38, 0x6B, 0xFB, 0x5A, 0x89,
    0x9F, 0xA5, 0xAE, 0x9F, 0x24, 0x11, 0x7C, 0x4B, 0x1F, 0xE6, 0x49, 0x28, 0x66, 0x51, 0xEC, 0xE6, 0x53,
    0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
];

/// How values are wrapped in one session.
pub(crate) enum Cipher {
    Plain,
    /// The AES-128 key both sides derived.
    Dh(Zeroizing<[u8; 16]>),
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Cipher::Plain => "Cipher::Plain",
            Cipher::Dh(_) => "Cipher::Dh([REDACTED])",
        })
    }
}

impl Cipher {
    /// The cipher `algorithm` agrees on from the client's `input`, and the
    /// service's output for the client.
    pub(crate) fn negotiate(algorithm: &str, input: &Value<'_>) -> Result<(Self, OwnedValue), Error> {
        match algorithm {
            PLAIN => Ok((Cipher::Plain, OwnedValue::from(zbus::zvariant::Str::from_static("")))),
            DH => {
                let theirs =
                    bytes_of(input).filter(|bytes| !bytes.is_empty() && bytes.len() <= 128).ok_or_else(
                        || Error::invalid("the DH input is not the client's public key (1 to 128 bytes)"),
                    )?;
                let (key, ours) = agree(&theirs)?;
                let output = OwnedValue::try_from(Value::from(ours)).map_err(zbus::Error::from)?;
                Ok((Cipher::Dh(key), output))
            }
            other => Err(Error::NotSupported(format!(
                "session algorithm {:?}: Keyhaven offers {PLAIN} and {DH}",
                keyhaven_core::text::printable(other)
            ))),
        }
    }

    /// `(parameters, value)` for the client.
    pub(crate) fn encrypt(&self, plain: &[u8]) -> (Vec<u8>, Vec<u8>) {
        match self {
            Cipher::Plain => (Vec::new(), plain.to_vec()),
            Cipher::Dh(key) => {
                let mut iv = [0u8; 16];
                rand::rngs::OsRng.fill_bytes(&mut iv);
                let sealed = cbc::Encryptor::<aes::Aes128>::new((&**key).into(), &iv.into())
                    .encrypt_padded_vec_mut::<Pkcs7>(plain);
                (iv.to_vec(), sealed)
            }
        }
    }

    /// The value a client sent.
    pub(crate) fn decrypt(&self, parameters: &[u8], value: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        match self {
            Cipher::Plain => Ok(Zeroizing::new(value.to_vec())),
            Cipher::Dh(key) => {
                let iv: [u8; 16] = parameters
                    .try_into()
                    .map_err(|_| Error::invalid("the secret's parameters are not a 16-byte IV"))?;
                cbc::Decryptor::<aes::Aes128>::new((&**key).into(), &iv.into())
                    .decrypt_padded_vec_mut::<Pkcs7>(value)
                    .map(Zeroizing::new)
                    .map_err(|_| Error::invalid("the secret does not decrypt under this session's key"))
            }
        }
    }
}

/// Our key pair, the shared secret with `theirs`, and the AES key from it.
fn agree(theirs: &[u8]) -> Result<(Zeroizing<[u8; 16]>, Vec<u8>), Error> {
    let prime = BigUint::from_bytes_be(&GROUP_2_PRIME);
    let theirs = BigUint::from_bytes_be(theirs);
    let one = BigUint::from(1u8);
    // 1 and p-1 (and anything outside the group) would give a known secret.
    if theirs <= one || theirs >= &prime - &one {
        return Err(Error::invalid("the client's DH public key is outside the group"));
    }
    let mut private_bytes = Zeroizing::new([0u8; 128]);
    rand::rngs::OsRng.fill_bytes(private_bytes.as_mut());
    let private = Zeroizing::new(BigUint::from_bytes_be(private_bytes.as_ref()));
    let ours = BigUint::from(2u8).modpow(&private, &prime).to_bytes_be();
    let shared = Zeroizing::new(theirs.modpow(&private, &prime).to_bytes_be());
    let mut padded = Zeroizing::new([0u8; 128]);
    padded[128 - shared.len()..].copy_from_slice(&shared);
    let mut key = Zeroizing::new([0u8; 16]);
    hkdf::Hkdf::<sha2::Sha256>::new(None, padded.as_ref())
        .expand(&[], key.as_mut())
        .map_err(|_| Error::invalid("HKDF refused the key length"))?;
    Ok((key, ours))
}

fn bytes_of(value: &Value<'_>) -> Option<Vec<u8>> {
    match value {
        Value::Array(array) => array
            .inner()
            .iter()
            .map(|element| match element {
                Value::U8(byte) => Some(*byte),
                _ => None,
            })
            .collect(),
        Value::Value(inner) => bytes_of(inner),
        _ => None,
    }
}

/// A session's D-Bus object: `Close` ends it. Only the client that opened
/// it may use or close it.
pub(crate) struct SessionObject {
    pub state: std::sync::Arc<State>,
}

#[interface(name = "org.freedesktop.Secret.Session")]
impl SessionObject {
    async fn close(
        &self,
        #[zbus(header)] header: Header<'_>,
        #[zbus(object_server)] server: &zbus::ObjectServer,
    ) -> Result<(), Error> {
        let path = header.path().ok_or_else(|| Error::invalid("no object path"))?.to_owned();
        let sender = header.sender().map(|sender| sender.to_string()).unwrap_or_default();
        self.state.close_session(&path, &sender)?;
        server.remove::<SessionObject, _>(&path).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_of_a_dh_agreement_derive_one_key() {
        // The client's side, as libsecret computes it.
        let prime = BigUint::from_bytes_be(&GROUP_2_PRIME);
        let client_private = BigUint::from_bytes_be(&[7u8; 128]);
        let client_public = BigUint::from(2u8).modpow(&client_private, &prime).to_bytes_be();
        let (key, ours) = agree(&client_public).unwrap();
        let shared = BigUint::from_bytes_be(&ours).modpow(&client_private, &prime).to_bytes_be();
        let mut padded = [0u8; 128];
        padded[128 - shared.len()..].copy_from_slice(&shared);
        let mut expected = [0u8; 16];
        hkdf::Hkdf::<sha2::Sha256>::new(None, &padded).expand(&[], &mut expected).unwrap();
        assert_eq!(*key, expected);

        let cipher = Cipher::Dh(key);
        let (iv, sealed) = cipher.encrypt(b"hunter2");
        assert_ne!(sealed, b"hunter2");
        assert_eq!(&cipher.decrypt(&iv, &sealed).unwrap()[..], b"hunter2");
        assert!(cipher.decrypt(&iv[..8], &sealed).is_err());
        assert!(agree(&[1]).is_err() && agree(&GROUP_2_PRIME).is_err());
        assert_eq!(format!("{cipher:?}"), "Cipher::Dh([REDACTED])");
    }
}
