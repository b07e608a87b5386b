//! Secret names, value rules and the metadata records that describe secrets.
//! Metadata is plain (the remote APIs list it freely); values never appear here.

use jiff::{Timestamp, civil::Date};
use rand::{Rng, distributions::Alphanumeric, rngs::OsRng};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::{Error, Result};

pub const MAX_NAME_LEN: usize = 256;
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
pub const MAX_DESCRIPTION_LEN: usize = 1024;
pub const MAX_CATEGORY_LEN: usize = 64;
pub const DEFAULT_GENERATED_LEN: usize = 32;

const NAME_RULE: &str = "names start with a letter or underscore and hold only letters, digits and underscores (^[A-Za-z_][A-Za-z0-9_]*$)";

/// A validated secret name: `^[A-Za-z_][A-Za-z0-9_]*$`, 1 to 256 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct SecretName(String);

impl SecretName {
    pub fn parse(name: &str) -> Result<Self> {
        let what = || format!("secret name {}", shorten(name));
        let mut chars = name.chars();
        match chars.next() {
            None => return Err(Error::invalid("secret name", "names must not be empty")),
            Some(c) if !(c.is_ascii_alphabetic() || c == '_') => {
                return Err(Error::invalid(what(), NAME_RULE));
            }
            Some(_) => {}
        }
        if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::invalid(what(), NAME_RULE));
        }
        if name.len() > MAX_NAME_LEN {
            return Err(Error::invalid(
                what(),
                format!("names are at most {MAX_NAME_LEN} characters (this one has {})", name.len()),
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// A name read back from the vault, which only ever stores valid names.
    pub(crate) fn from_stored(name: String) -> Self {
        Self(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SecretName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for SecretName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// Checks a value against the value rules. The error names the rule, never the value.
pub fn validate_value(name: &SecretName, value: &SecretString) -> Result<()> {
    let bytes = value.expose_secret().as_bytes();
    if bytes.len() > MAX_VALUE_BYTES {
        return Err(Error::invalid(
            format!("value for {name}"),
            format!("values are at most {MAX_VALUE_BYTES} bytes (64 KiB); this one has {}", bytes.len()),
        ));
    }
    if bytes.contains(&0) {
        return Err(Error::invalid(
            format!("value for {name}"),
            "values must not contain NUL bytes (they could not be passed as environment variables)",
        ));
    }
    Ok(())
}

/// A value typed or piped in must hold something: an empty one is most often
/// an unset variable piped in (`echo -n "$UNSET" | keyhaven set X`) or Enter
/// at a prompt. `allow_empty` lets one through on purpose (both hosts ask it
/// of the user: `--allow-empty`, or the app's own check box).
pub fn check_entered(name: &SecretName, value: &SecretString, allow_empty: bool) -> Result<()> {
    if value.expose_secret().is_empty() && !allow_empty {
        return Err(Error::invalid(
            format!("value for {name}"),
            "it is empty (an unset variable piped in, or Enter at the prompt?); nothing was stored",
        ));
    }
    Ok(())
}

/// Turns raw bytes (stdin, a prompt) into a value: UTF-8 is required, and the
/// input buffer is wiped whatever the outcome.
pub fn value_from_bytes(name: &SecretName, bytes: Vec<u8>) -> Result<SecretString> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SecretString::from(text)),
        Err(err) => {
            zeroize::Zeroize::zeroize(&mut err.into_bytes());
            Err(Error::invalid(format!("value for {name}"), "values must be valid UTF-8 text"))
        }
    }
}

/// A random alphanumeric value from the OS generator.
pub fn generate_value(len: usize) -> Result<SecretString> {
    if !(8..=MAX_VALUE_BYTES).contains(&len) {
        return Err(Error::invalid(
            "generated length",
            format!("choose between 8 and {MAX_VALUE_BYTES} characters"),
        ));
    }
    let text: String = OsRng.sample_iter(&Alphanumeric).take(len).map(char::from).collect();
    Ok(SecretString::from(text))
}

pub fn validate_description(text: &str) -> Result<()> {
    if text.chars().count() > MAX_DESCRIPTION_LEN {
        return Err(Error::invalid(
            "description",
            format!("descriptions are at most {MAX_DESCRIPTION_LEN} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Error::invalid("description", "descriptions must not contain control characters"));
    }
    Ok(())
}

pub fn validate_category(text: &str) -> Result<()> {
    if text.chars().count() > MAX_CATEGORY_LEN || text.chars().any(char::is_control) {
        return Err(Error::invalid(
            format!("category {}", shorten(text)),
            format!("categories are at most {MAX_CATEGORY_LEN} characters, without control characters"),
        ));
    }
    Ok(())
}

/// Quotes user input for an error message, cut to a readable length.
pub(crate) fn shorten(text: &str) -> String {
    const LIMIT: usize = 64;
    if text.chars().count() <= LIMIT {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(LIMIT).collect();
        format!("{head:?}… ({} characters)", text.chars().count())
    }
}

/// What a secret's value is. The kind is part of the secret's integrity
/// tag: a key cannot be turned back into text (which a `'*'` selection would
/// sync) by editing the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// A value such as an API key or a password.
    #[default]
    Text,
    /// An SSH private key (OpenSSH's format); its public half is kept beside
    /// it in the clear (`ssh` module). Never synced unless a remote names it.
    SshKey,
    /// An item a program stored through the Secret Service or the git
    /// credential helper (`item` module): a label and attributes beside it.
    /// Never synced unless a remote names it.
    Item,
}

impl SecretKind {
    /// As stored in the `kind` column: text is the empty string.
    pub(crate) fn as_stored(self) -> &'static str {
        match self {
            SecretKind::Text => "",
            SecretKind::SshKey => "ssh_key",
            SecretKind::Item => "item",
        }
    }

    /// A stored kind this build does not know reads as text; the row's tag
    /// (which covers the kind) then fails, so it is never used as text.
    pub(crate) fn from_stored(text: &str) -> Self {
        match text {
            "ssh_key" => SecretKind::SshKey,
            "item" => SecretKind::Item,
            _ => SecretKind::Text,
        }
    }
}

/// What a secret is, without its value.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SecretMeta {
    pub name: SecretName,
    pub description: String,
    pub category: String,
    pub created: Timestamp,
    pub updated: Timestamp,
    /// The current version; every set, rotate and rollback adds one.
    pub version: u32,
    /// The user's rotation reminder.
    pub rotate_by: Option<Date>,
    /// Set when the secret was removed; the tombstone stays until `purge`.
    pub deleted: Option<Timestamp>,
    /// The user pinned it: the tray offers it first.
    pub pinned: bool,
    /// What its value is: text, an SSH key, or a program's item.
    pub kind: SecretKind,
}

/// A rotation reminder counts from this many days before its date.
pub const DUE_WITHIN_DAYS: i32 = 7;
/// Rotating a secret whose reminder had come sets the next one this far
/// ahead, unless a date is given: the 90 days the Runtype docs advise.
pub const ROTATE_AGAIN_DAYS: i64 = 90;

/// Where a secret stands against its rotate-by date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// The date has come (today counts).
    Overdue { by: Date },
    /// The date is at most [`DUE_WITHIN_DAYS`] away.
    Soon { by: Date, days: i32 },
}

impl Rotation {
    pub fn by(&self) -> Date {
        match *self {
            Rotation::Overdue { by } | Rotation::Soon { by, .. } => by,
        }
    }

    /// The standing of a secret rotated by `by`, on `today`; `None` while the
    /// date is further off.
    pub fn of(by: Date, today: Date) -> Option<Self> {
        let days = today.until(by).ok()?.get_days();
        if days <= 0 {
            Some(Rotation::Overdue { by })
        } else if days <= DUE_WITHIN_DAYS {
            Some(Rotation::Soon { by, days })
        } else {
            None
        }
    }
}

impl std::fmt::Display for Rotation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rotation::Overdue { by } => write!(f, "due for rotation since {by}"),
            Rotation::Soon { by, days: 1 } => write!(f, "due for rotation tomorrow, {by}"),
            Rotation::Soon { by, days } => write!(f, "due for rotation in {days} days, on {by}"),
        }
    }
}

impl SecretMeta {
    /// Past or within [`DUE_WITHIN_DAYS`] of its rotate-by date, on `today`.
    pub fn rotation(&self, today: Date) -> Option<Rotation> {
        Rotation::of(self.rotate_by?, today)
    }
}

/// One version in a secret's history (metadata only).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VersionMeta {
    pub version: u32,
    pub created: Timestamp,
    /// How it came to be: `set`, `rotate`, `import`, `rollback to N`.
    pub origin: String,
}

/// Optional metadata given with `set`.
#[derive(Debug, Clone, Default)]
pub struct SecretFields {
    pub description: Option<String>,
    pub category: Option<String>,
    pub rotate_by: Option<Date>,
}

impl SecretFields {
    pub fn validate(&self) -> Result<()> {
        if let Some(text) = &self.description {
            validate_description(text)?;
        }
        if let Some(text) = &self.category {
            validate_category(text)?;
        }
        Ok(())
    }
}

/// A change to a secret's metadata (`edit`): a field left `None` stays as it
/// is; an empty description or category clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetaEdit {
    pub description: Option<String>,
    pub category: Option<String>,
    /// `Some(None)` takes the rotation reminder away.
    pub rotate_by: Option<Option<Date>>,
}

impl MetaEdit {
    pub fn validate(&self) -> Result<()> {
        SecretFields {
            description: self.description.clone(),
            category: self.category.clone(),
            rotate_by: None,
        }
        .validate()
    }

    /// Nothing would change.
    pub fn is_empty(&self) -> bool {
        self.description.is_none() && self.category.is_none() && self.rotate_by.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_is_overdue_from_its_date_and_due_a_week_before() {
        let today: Date = "2026-06-01".parse().unwrap();
        let on = |by: &str| Rotation::of(by.parse().unwrap(), today).map(|rotation| rotation.to_string());
        assert_eq!(on("2026-05-01").as_deref(), Some("due for rotation since 2026-05-01"));
        assert_eq!(on("2026-06-01").as_deref(), Some("due for rotation since 2026-06-01"));
        assert_eq!(on("2026-06-02").as_deref(), Some("due for rotation tomorrow, 2026-06-02"));
        assert_eq!(on("2026-06-08").as_deref(), Some("due for rotation in 7 days, on 2026-06-08"));
        assert_eq!(on("2026-06-09"), None);
    }

    #[test]
    fn names_follow_the_env_var_rule() {
        for ok in ["A", "_", "API_KEY", "a1_b2", &"X".repeat(256)] {
            SecretName::parse(ok).unwrap();
        }
        for bad in ["", "1ABC", "API-KEY", "A B", "é", "A.B", &"X".repeat(257)] {
            let err = SecretName::parse(bad).unwrap_err().to_string();
            assert!(err.contains("names"), "{err}");
        }
    }

    #[test]
    fn value_rules_name_the_rule_not_the_value() {
        let name = SecretName::parse("K").unwrap();
        let big = SecretString::from("v".repeat(MAX_VALUE_BYTES + 1));
        let err = validate_value(&name, &big).unwrap_err().to_string();
        assert!(err.contains("64 KiB") && !err.contains("vvvv"), "{err}");
        let nul = SecretString::from("plant\0ed".to_owned());
        let err = validate_value(&name, &nul).unwrap_err().to_string();
        assert!(err.contains("NUL") && !err.contains("plant"), "{err}");
        validate_value(&name, &SecretString::from("v".repeat(MAX_VALUE_BYTES))).unwrap();
        let err = value_from_bytes(&name, vec![0xff, b'p', b'l']).unwrap_err().to_string();
        assert!(err.contains("UTF-8"), "{err}");
    }

    #[test]
    fn generated_values_are_alphanumeric_and_distinct() {
        let a = generate_value(40).unwrap();
        let b = generate_value(40).unwrap();
        assert_eq!(a.expose_secret().len(), 40);
        assert!(a.expose_secret().chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(generate_value(4).is_err());
    }
}
