//! Integrity of the vault file. Encrypting to a public recipient proves nothing
//! about who wrote a row, so every row that decides behaviour carries an
//! HMAC-SHA256 tag under a key only the unlocked identity yields: the header,
//! each secret row (which version is current, tombstone, pin, metadata), each
//! version (name, version, origin, ciphertext), each remote (kind, URL, scope,
//! token ciphertext) and the sync tables. Tags are checked before a row drives
//! a decryption, a network call or a keyring write; locked reads are unchecked.
//!
//! Each tag covers a domain name and length-prefixed fields, so no two records
//! encode alike. Not detected: an older copy of the whole file (or of every row
//! of one secret, versions included) put back; see docs/SECURITY.md.

use age::x25519::Identity;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

/// One field of a tagged record.
#[derive(Clone, Copy)]
pub(crate) enum Field<'a> {
    Bytes(&'a [u8]),
    Text(&'a str),
    Int(i64),
    Opt(Option<i64>),
    OptText(Option<&'a str>),
}

impl<'a> Field<'a> {
    pub fn copied(&self) -> Field<'a> {
        *self
    }
}

/// The HMAC key, derived from the identity and bound to one vault; wiped on drop.
pub(crate) struct IntegrityKey(Zeroizing<[u8; 32]>);

impl IntegrityKey {
    pub fn derive(identity: &Identity, vault_id: &str) -> Self {
        let secret = identity.to_string();
        let hkdf = hkdf::Hkdf::<Sha256>::new(Some(vault_id.as_bytes()), secret.expose_secret().as_bytes());
        let mut key = Zeroizing::new([0u8; 32]);
        hkdf.expand(b"keyhaven-integrity-v1", key.as_mut()).expect("32 bytes is a valid HKDF-SHA256 length");
        Self(key)
    }

    fn mac(&self, domain: &str, fields: &[Field<'_>]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(self.0.as_ref()).expect("HMAC takes any key length");
        put(&mut mac, domain.as_bytes());
        for field in fields {
            match field {
                Field::Bytes(bytes) => put(&mut mac, bytes),
                Field::Text(text) => put(&mut mac, text.as_bytes()),
                Field::Int(int) => put(&mut mac, &int.to_be_bytes()),
                Field::Opt(None) | Field::OptText(None) => mac.update(&[0]),
                Field::Opt(Some(int)) => {
                    mac.update(&[1]);
                    put(&mut mac, &int.to_be_bytes());
                }
                Field::OptText(Some(text)) => {
                    mac.update(&[1]);
                    put(&mut mac, text.as_bytes());
                }
            }
        }
        mac
    }

    /// The tag of one record.
    pub fn tag(&self, domain: &str, fields: &[Field<'_>]) -> Vec<u8> {
        self.mac(domain, fields).finalize().into_bytes().to_vec()
    }

    /// Whether `tag` is the record's tag (constant time). A missing tag fails.
    pub fn verify(&self, domain: &str, fields: &[Field<'_>], tag: Option<&[u8]>) -> bool {
        tag.is_some_and(|tag| self.mac(domain, fields).verify_slice(tag).is_ok())
    }
}

/// Length, then bytes: no field can run into the next.
fn put(mac: &mut HmacSha256, bytes: &[u8]) {
    mac.update(&(bytes.len() as u64).to_be_bytes());
    mac.update(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A committed vector, computed apart from this code (Python's hmac):
    /// the tag format must never drift, or every existing vault would fail.
    #[test]
    fn the_encoding_matches_its_committed_vector() {
        let key = IntegrityKey(Zeroizing::new([7u8; 32]));
        let fields =
            [Field::Text("API_KEY"), Field::Int(3), Field::Opt(None), Field::OptText(Some("2027-03-01"))];
        let hex: String = key.tag("secret", &fields).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "66fa0304f9e83b6cd609b3a1aede143d82cb0f740c6fb6b595955f428bc1f50b");
    }

    #[test]
    fn fields_cannot_be_shifted_between_each_other() {
        let key = IntegrityKey::derive(&Identity::generate(), "vault");
        let a = key.tag("d", &[Field::Text("ab"), Field::Text("c")]);
        let b = key.tag("d", &[Field::Text("a"), Field::Text("bc")]);
        assert_ne!(a, b);
        assert_ne!(key.tag("d", &[Field::Opt(None)]), key.tag("d", &[Field::Opt(Some(0))]));
        assert!(key.verify("d", &[Field::Text("ab"), Field::Text("c")], Some(&a)));
        assert!(!key.verify("e", &[Field::Text("ab"), Field::Text("c")], Some(&a)));
        assert!(!key.verify("d", &[Field::Text("ab"), Field::Text("c")], None));
    }

    #[test]
    fn the_key_depends_on_the_identity_and_the_vault() {
        let identity = Identity::generate();
        let tag = |key: &IntegrityKey| key.tag("d", &[]);
        let one = tag(&IntegrityKey::derive(&identity, "v1"));
        assert_eq!(one, tag(&IntegrityKey::derive(&identity, "v1")));
        assert_ne!(one, tag(&IntegrityKey::derive(&identity, "v2")));
        assert_ne!(one, tag(&IntegrityKey::derive(&Identity::generate(), "v1")));
    }
}
