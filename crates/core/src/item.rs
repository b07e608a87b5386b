//! Items stored by programs: what the Secret Service and the git credential
//! helper keep. An item is a secret of kind [`SecretKind::Item`]: its value
//! encrypted and versioned like every value, with a label and attributes
//! (such as `service=gh`, `username=alice`) beside it in the clear, so a
//! program finds its item by attributes while the vault is locked, as it
//! does in gnome-keyring. Its name in the vault is made from its label.
//!
//! Everything here comes from another program and is bounded: attribute
//! count and sizes, label length, content type, value size. A value that is
//! not text (or holds NUL) is kept as base64 and given back as the same bytes.
//!
//! [`SecretKind::Item`]: crate::secret::SecretKind::Item

use std::collections::BTreeMap;

use base64::Engine as _;
use jiff::Timestamp;
use secrecy::{ExposeSecret as _, SecretBox, SecretString};
use serde::Serialize;

use crate::{Error, Result, SecretName, secret::MAX_VALUE_BYTES};

/// The collection every item goes to unless a program names another:
/// `/org/freedesktop/secrets/collection/login`, aliased `default`.
pub const DEFAULT_COLLECTION: &str = "login";

/// At most this many attributes per item.
pub const MAX_ATTRIBUTES: usize = 64;
/// An attribute's name is at most this many bytes.
pub const MAX_ATTRIBUTE_NAME: usize = 256;
/// An attribute's value is at most this many bytes.
pub const MAX_ATTRIBUTE_VALUE: usize = 4096;
/// A label or a collection's label is at most this many characters.
pub const MAX_LABEL: usize = 1024;
/// A content type is at most this many bytes.
const MAX_CONTENT_TYPE: usize = 128;
/// Collections made by programs, at most.
pub const MAX_COLLECTIONS: usize = 64;

/// Attributes, by name: what programs search by.
pub type Attributes = BTreeMap<String, String>;

/// An item as listed: without its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ItemInfo {
    /// Stable for the item's life (its secret's row id): its object path's last segment.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// Its name in the vault (`keyhaven get`, the log).
    pub name: SecretName,
    pub collection: String,
    pub label: String,
    pub attributes: Attributes,
    pub content_type: String,
    /// Every read asks, whatever was allowed before.
    pub always_ask: bool,
    pub created: Timestamp,
    pub modified: Timestamp,
}

impl ItemInfo {
    /// Whether every `wanted` attribute is the item's, with the same value
    /// (the Secret Service's search: none wanted matches all).
    pub fn matches(&self, wanted: &Attributes) -> bool {
        matches(&self.attributes, wanted)
    }

    /// `service=gh, username=alice`, for questions and listings: at most
    /// three attributes, each cut short, control characters replaced.
    pub fn summary(&self) -> String {
        summary(&self.attributes)
    }
}

/// Whether `attributes` hold every `wanted` one with the same value (the
/// Secret Service's search: none wanted matches all).
pub fn matches(attributes: &Attributes, wanted: &Attributes) -> bool {
    wanted.iter().all(|(name, value)| attributes.get(name) == Some(value))
}

/// `service=gh, username=alice`: at most three attributes (libsecret's own
/// `xdg:schema` left out), each cut short, control characters replaced.
pub fn summary(attributes: &Attributes) -> String {
    let cut = |text: &str| -> String {
        let mut out: String = text.chars().take(40).map(|c| if c.is_control() { '?' } else { c }).collect();
        if text.chars().count() > 40 {
            out.push('…');
        }
        out
    };
    let visible: Vec<_> = attributes.iter().filter(|(name, _)| name.as_str() != "xdg:schema").collect();
    let shown: Vec<String> =
        visible.iter().take(3).map(|(name, value)| format!("{}={}", cut(name), cut(value))).collect();
    let more = visible.len() - shown.len();
    match (shown.is_empty(), more) {
        (true, _) => "no attributes".into(),
        (false, 0) => shown.join(", "),
        (false, more) => format!("{} and {more} more", shown.join(", ")),
    }
}

/// A collection: the default one, or one a program made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CollectionInfo {
    /// Its object path's last segment: `[A-Za-z0-9_]`.
    pub id: String,
    pub label: String,
    pub created: Timestamp,
}

/// What a program stores: where, under which label and attributes.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub collection: String,
    pub label: String,
    pub attributes: Attributes,
    pub content_type: String,
}

impl NewItem {
    pub fn validate(&self) -> Result<()> {
        check_label(&self.label)?;
        check_attributes(&self.attributes)?;
        check_content_type(&self.content_type)
    }
}

/// An item's value: bytes, wiped when dropped, never printed.
pub struct ItemValue(SecretBox<Vec<u8>>);

impl std::fmt::Debug for ItemValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ItemValue([REDACTED])")
    }
}

impl ItemValue {
    pub fn new(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() > MAX_VALUE_BYTES {
            return Err(Error::invalid(
                "item's value",
                format!("values are at most {MAX_VALUE_BYTES} bytes (64 KiB); this one has {}", bytes.len()),
            ));
        }
        Ok(Self(SecretBox::new(Box::new(bytes))))
    }

    pub fn bytes(&self) -> &[u8] {
        self.0.expose_secret()
    }

    /// As the vault keeps it: the text itself, or base64 (`true`) for bytes
    /// that are not text or that hold NUL.
    pub(crate) fn to_stored(&self) -> (SecretString, bool) {
        match std::str::from_utf8(self.bytes()) {
            Ok(text) if !text.contains('\0') => (SecretString::from(text.to_owned()), false),
            _ => (SecretString::from(base64::engine::general_purpose::STANDARD.encode(self.bytes())), true),
        }
    }

    pub(crate) fn from_stored(value: &SecretString, base64: bool) -> Result<Self> {
        if !base64 {
            return Self::new(value.expose_secret().as_bytes().to_vec());
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(value.expose_secret())
            .map_err(|_| Error::invalid("item's value", "its stored base64 does not decode"))?;
        Self::new(bytes)
    }
}

impl From<&SecretString> for ItemValue {
    fn from(text: &SecretString) -> Self {
        Self(SecretBox::new(Box::new(text.expose_secret().as_bytes().to_vec())))
    }
}

pub fn check_label(label: &str) -> Result<()> {
    if label.chars().count() > MAX_LABEL {
        return Err(Error::invalid("label", format!("labels are at most {MAX_LABEL} characters")));
    }
    if label.chars().any(char::is_control) {
        return Err(Error::invalid("label", "labels must not contain control characters"));
    }
    Ok(())
}

pub fn check_attributes(attributes: &Attributes) -> Result<()> {
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(Error::invalid(
            "attributes",
            format!("an item has at most {MAX_ATTRIBUTES} attributes; these are {}", attributes.len()),
        ));
    }
    for (name, value) in attributes {
        if name.is_empty() || name.len() > MAX_ATTRIBUTE_NAME || name.chars().any(char::is_control) {
            return Err(Error::invalid(
                "attribute name",
                format!("names are 1 to {MAX_ATTRIBUTE_NAME} bytes, without control characters"),
            ));
        }
        if value.len() > MAX_ATTRIBUTE_VALUE || value.contains('\0') {
            return Err(Error::invalid(
                format!("attribute {}", crate::secret::shorten(name)),
                format!("values are at most {MAX_ATTRIBUTE_VALUE} bytes, without NUL"),
            ));
        }
    }
    Ok(())
}

fn check_content_type(content_type: &str) -> Result<()> {
    if content_type.len() > MAX_CONTENT_TYPE
        || !content_type.chars().all(|c| c.is_ascii_graphic() || c == ' ')
    {
        return Err(Error::invalid(
            "content type",
            format!("content types are at most {MAX_CONTENT_TYPE} printable ASCII characters"),
        ));
    }
    Ok(())
}

/// A collection's id made from its label: ASCII letters and digits kept,
/// everything else `_`, at most 32; never empty, never `login` or `session`.
pub fn collection_id(label: &str) -> String {
    let mut id: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .take(32)
        .collect();
    if id.trim_matches('_').is_empty() {
        id = "collection".into();
    }
    if id == DEFAULT_COLLECTION || id == "session" {
        id.push_str("_2");
    }
    id
}

/// The vault name an item labelled `label` is stored under before a suffix
/// makes it unique: `Password for 'alice' on 'github.com'` is
/// `PASSWORD_FOR_ALICE_ON_GITHUB_COM`; no label, `ITEM`.
pub(crate) fn base_name(label: &str) -> String {
    let mut name = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_uppercase());
        } else if !name.is_empty() && !name.ends_with('_') {
            name.push('_');
        }
        if name.len() >= 48 {
            break;
        }
    }
    let name = name.trim_end_matches('_');
    match name.chars().next() {
        None => "ITEM".into(),
        Some(first) if first.is_ascii_digit() => format!("ITEM_{name}"),
        Some(_) => name.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_from_labels() {
        assert_eq!(base_name("Password for 'alice' on 'github.com'"), "PASSWORD_FOR_ALICE_ON_GITHUB_COM");
        assert_eq!(base_name("  "), "ITEM");
        assert_eq!(base_name("2fa"), "ITEM_2FA");
        assert_eq!(base_name("ünïcode only"), "N_CODE_ONLY");
        assert!(SecretName::parse(&base_name(&"x".repeat(500))).is_ok());
        assert_eq!(collection_id("Login"), "login_2");
        assert_eq!(collection_id("My keys!"), "my_keys_");
        assert_eq!(collection_id("/"), "collection");
    }

    #[test]
    fn values_that_are_not_text_come_back_as_the_same_bytes() {
        for bytes in [b"plain".to_vec(), vec![0, 159, 146, 150], b"with\0nul".to_vec()] {
            let value = ItemValue::new(bytes.clone()).unwrap();
            let (stored, base64) = value.to_stored();
            assert_eq!(base64, bytes != b"plain");
            assert_eq!(ItemValue::from_stored(&stored, base64).unwrap().bytes(), &bytes[..]);
        }
        assert!(format!("{:?}", ItemValue::new(b"hunter2".to_vec()).unwrap()).contains("REDACTED"));
    }

    #[test]
    fn attributes_are_bounded() {
        let many: Attributes = (0..=MAX_ATTRIBUTES).map(|i| (format!("a{i}"), String::new())).collect();
        assert!(check_attributes(&many).is_err());
        assert!(check_attributes(&[("".into(), "x".into())].into()).is_err());
        assert!(check_attributes(&[("a".into(), "x\0".into())].into()).is_err());
        assert!(check_attributes(&[("service".into(), "gh".into())].into()).is_ok());
        let summary = summary(&[("xdg:schema".into(), "s".into()), ("b".into(), "x\ny".into())].into());
        assert_eq!(summary, "b=x?y");
    }
}
