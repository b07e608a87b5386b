//! A remote's API key over time. Runtype's docs advise a new key every 90
//! days, and a key may be given an expiry; Keyhaven warns ahead of both. The
//! key's shape is checked here, once, for both hosts.

use jiff::{Timestamp, civil::Date, tz::TimeZone};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::{Error, Result};

/// The date a key expires on, as an expiry is kept and shown: in UTC.
pub fn expiry_date(at: Timestamp) -> Date {
    at.to_zoned(TimeZone::UTC).date()
}

/// Runtype: "generate new keys every 90 days".
pub const ROTATE_AFTER_DAYS: i64 = 90;
/// Warnings start this many days before a key expires.
pub const WARN_BEFORE_DAYS: i64 = 14;

/// Refuses a token that cannot be one: empty, over 4 KiB, or with spaces,
/// line breaks or non-ASCII (pasted with a stray character, or not a key).
pub fn check_token(token: &SecretString) -> Result<()> {
    let token = token.expose_secret();
    let usable = !token.is_empty() && token.len() <= 4096 && token.chars().all(|c| c.is_ascii_graphic());
    if usable {
        Ok(())
    } else {
        Err(Error::invalid(
            "API token",
            "the token must be one line of printable ASCII without spaces, at most 4096 characters",
        ))
    }
}

/// Refuses, for a remote of `kind`, a key whose shape says it is another
/// kind of key (the Runtype documents distinguish their API keys, `rt_live_`
/// and `rt_test_`, from product API keys and from provider keys such as
/// OpenAI's): said now, with what to use, rather than as a 401 at the first
/// sync. A key of a shape not known here is taken as it is.
pub fn check_token_for(kind: super::Kind, token: &SecretString) -> Result<()> {
    check_token(token)?;
    if !matches!(kind, super::Kind::Runtype | super::Kind::Runtools) {
        return Ok(());
    }
    let token = token.expose_secret();
    let kind = if kind == super::Kind::Runtype { "Runtype" } else { "RunTools" };
    // Other keys' prefixes, longest first, with what the key is.
    const OTHERS: &[(&str, &str)] = &[
        ("rt_eu_", "a Runtype end-user access token"),
        ("ct_live_", "a Runtype client token"),
        ("ct_test_", "a Runtype client token"),
        ("a2a_", "a Runtype A2A surface (product) key"),
        ("sk-ant-", "an Anthropic provider key"),
        ("sk-proj-", "an OpenAI provider key"),
        ("sk-", "an OpenAI provider key"),
        ("AIza", "a Google provider key"),
        ("xai-", "an xAI provider key"),
        ("gsk_", "a Groq provider key"),
    ];
    match OTHERS.iter().find(|(prefix, _)| token.starts_with(prefix)) {
        Some((prefix, what)) => Err(Error::invalid(
            format!("{kind} API key"),
            format!(
                "this looks like {what} ({prefix}…), not a {kind} API key: those start with rt_live_ \
                 (production) or rt_test_ (test), and are made in {kind}'s Settings → API"
            ),
        )),
        None => Ok(()),
    }
}

/// How old a remote's key is, when it expires, and whether to say so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KeyAge {
    /// When this key was given to Keyhaven.
    pub set: Timestamp,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub expires: Option<Date>,
    /// Whole days since `set`.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub days: i64,
    /// Why the key wants replacing soon, for a person; `None` while it does not.
    pub warning: Option<String>,
}

impl KeyAge {
    /// The key's standing at `now` (dates in the system's time zone).
    pub fn at(set: Timestamp, expires: Option<Date>, now: Timestamp) -> Self {
        let zone = TimeZone::system();
        let today = now.to_zoned(zone.clone()).date();
        let days = (now.as_second() - set.as_second()).max(0) / 86_400;
        let left = expires.and_then(|date| today.until(date).ok()).map(|span| i64::from(span.get_days()));
        let warning = match (expires, left) {
            (Some(date), Some(left)) if left < 0 => Some(format!("its key expired on {date}")),
            (Some(_), Some(0)) => Some("its key expires today".to_owned()),
            (Some(date), Some(left)) if left <= WARN_BEFORE_DAYS => {
                Some(format!("its key expires in {left} day{}, on {date}", if left == 1 { "" } else { "s" }))
            }
            _ if days >= ROTATE_AFTER_DAYS => Some(format!(
                "its key is {days} days old; the Runtype docs advise a new key every {ROTATE_AFTER_DAYS} days"
            )),
            _ => None,
        };
        KeyAge { set, expires, days, warning }
    }
}

#[cfg(test)]
mod tests {
    use jiff::ToSpan;

    use super::*;

    fn day(n: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + n * 86_400).unwrap()
    }

    fn today_plus(n: i64) -> Date {
        day(0).to_zoned(TimeZone::system()).date().checked_add(n.days()).unwrap()
    }

    #[test]
    fn warns_from_fourteen_days_before_expiry_and_after_ninety_days() {
        let now = day(0);
        assert_eq!(KeyAge::at(day(-10), None, now).warning, None);
        assert_eq!(KeyAge::at(day(-10), Some(today_plus(15)), now).warning, None);
        let soon = KeyAge::at(day(-10), Some(today_plus(14)), now).warning.unwrap();
        assert!(soon.contains("expires in 14 days"), "{soon}");
        assert!(KeyAge::at(day(-10), Some(today_plus(1)), now).warning.unwrap().contains("in 1 day,"));
        assert_eq!(KeyAge::at(day(-10), Some(today_plus(0)), now).warning.unwrap(), "its key expires today");
        assert!(KeyAge::at(day(-10), Some(today_plus(-3)), now).warning.unwrap().contains("expired on"));
        assert_eq!(KeyAge::at(day(-89), None, now).warning, None);
        let old = KeyAge::at(day(-90), None, now);
        assert_eq!(old.days, 90);
        assert!(old.warning.unwrap().contains("90 days old"));
    }

    #[test]
    fn a_provider_or_product_key_pasted_for_a_runtype_key_is_named() {
        use super::super::Kind;
        check_token_for(Kind::Runtype, &"rt_live_abc123".into()).unwrap();
        check_token_for(Kind::Runtype, &"some-other-shape".into()).unwrap();
        check_token_for(Kind::Runloop, &"sk-proj-abc".into()).unwrap();
        for (token, what) in [
            ("sk-proj-abc123", "an OpenAI provider key"),
            ("sk-ant-api03-abc", "an Anthropic provider key"),
            ("rt_eu_eyJhbGciOi", "a Runtype end-user access token"),
            ("a2a_abc", "a Runtype A2A surface (product) key"),
        ] {
            let err = check_token_for(Kind::Runtype, &token.into()).unwrap_err().to_string();
            assert!(err.contains(what) && err.contains("rt_live_"), "{err}");
            assert!(!err.contains(token), "the key itself is never quoted: {err}");
        }
    }

    #[test]
    fn tokens_are_one_printable_line() {
        check_token(&"rt_live_abc123".into()).unwrap();
        for bad in ["", "two words", "line\nbreak", "ключ", &"x".repeat(4097)] {
            let err = check_token(&bad.into()).unwrap_err().to_string();
            assert!(err.contains("printable ASCII"), "{err}");
        }
    }
}
