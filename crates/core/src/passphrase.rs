//! How strong a new master passphrase is. The whole vault rests on it, so
//! `init` and `passwd` (CLI and app) refuse a weak one unless the user says so
//! explicitly. Strength is zxcvbn's estimate (pattern matching against common
//! passwords, names, words, dates and keyboard walks), not composition rules.

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::{Error, Result};

/// The weakest zxcvbn score accepted without `--allow-weak` (3: "safely
/// unguessable: moderate protection from offline slow-hash scenario").
pub const MIN_SCORE: u8 = 3;
/// The fewest characters accepted without `--allow-weak`.
pub const MIN_CHARS: usize = 12;

/// An estimate, with zxcvbn's advice. Holds nothing of the passphrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Strength {
    /// 0 (guessed at once) to 4 (very unlikely to be guessed).
    pub score: u8,
    pub chars: usize,
    /// Why it is weak, when it is ("This is a top-10 common password").
    pub warning: Option<String>,
    pub suggestions: Vec<String>,
    /// At least [`MIN_SCORE`] and [`MIN_CHARS`].
    pub strong_enough: bool,
}

/// Estimates `passphrase`'s strength. `context` are words an attacker would
/// try first (the vault's file name, the user name).
pub fn strength(passphrase: &SecretString, context: &[&str]) -> Strength {
    let text = passphrase.expose_secret();
    let chars = text.chars().count();
    // zxcvbn's cost grows with length; past 100 characters a passphrase is long enough.
    let estimate = zxcvbn::zxcvbn(&text.chars().take(100).collect::<String>(), context);
    let score = u8::from(estimate.score());
    let feedback = estimate.feedback();
    Strength {
        score,
        chars,
        warning: feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
        suggestions: feedback
            .map(|f| f.suggestions().iter().map(ToString::to_string).collect())
            .unwrap_or_default(),
        strong_enough: score >= MIN_SCORE && chars >= MIN_CHARS,
    }
}

/// Checks a new master passphrase: never empty; weak only with `allow_weak`.
pub fn check_new(passphrase: &SecretString, allow_weak: bool) -> Result<Strength> {
    if passphrase.expose_secret().is_empty() {
        return Err(Error::invalid("passphrase", "the passphrase must not be empty"));
    }
    let strength = strength(passphrase, &["keyhaven", "vault"]);
    if !strength.strong_enough && !allow_weak {
        return Err(Error::WeakPassphrase {
            score: strength.score,
            chars: strength.chars,
            advice: strength.warning.clone().or_else(|| strength.suggestions.first().cloned()),
        });
    }
    Ok(strength)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_and_short_passphrases_are_refused_unless_allowed() {
        for weak in ["hunter2", "password1234", "qwertyuiop123", "iloveyou1234", "Password2026!"] {
            let err = check_new(&SecretString::from(weak), false).unwrap_err();
            assert!(matches!(err, Error::WeakPassphrase { .. }), "{weak}: {err}");
            assert!(!err.to_string().contains(weak), "{err}");
            check_new(&SecretString::from(weak), true).unwrap();
        }
        let strong = check_new(&SecretString::from("tangerine-oboe-glacier-41-quietly"), false).unwrap();
        assert!(strong.score >= MIN_SCORE && strong.strong_enough);
        assert!(check_new(&SecretString::from(""), true).is_err());
    }
}
