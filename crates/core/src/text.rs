//! Text from outside (a remote's form titles, item names, keys, URLs) made
//! safe to print: no control characters, so no terminal escape sequences, no
//! line breaks that fake another line, no bidirectional overrides; bounded.

/// At most this many characters of any one outside string are shown.
const MAX_CHARS: usize = 200;

/// `text` without control, format (bidi) or line-separator characters, cut
/// to [`MAX_CHARS`] with an ellipsis.
pub fn printable(text: &str) -> String {
    let mut kept = text.chars().filter(|c| !is_hidden(*c));
    let mut out: String = kept.by_ref().take(MAX_CHARS).collect();
    if kept.next().is_some() {
        out.push('…');
    }
    out
}

/// `text` without control, format (bidi) or line-separator characters, at
/// any length: for whole lines a host prints (a table row, a finding, an
/// error) that may carry a name read from the vault file, a path or a
/// remote's words. Borrowed when there is nothing to remove, as is usual.
pub fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(is_hidden) {
        std::borrow::Cow::Owned(text.chars().filter(|c| !is_hidden(*c)).collect())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A calendar date as typed (`YYYY-MM-DD`); empty is none. `what` names the
/// field in the error (a rotation date, a key's expiry).
pub fn parse_date(what: &str, text: &str) -> crate::Result<Option<jiff::civil::Date>> {
    match text.trim() {
        "" => Ok(None),
        date => date
            .parse()
            .map(Some)
            .map_err(|_| crate::Error::invalid(what, "expected a date as YYYY-MM-DD, such as 2027-03-31")),
    }
}

fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_line_breaks_and_bidi_overrides_are_removed() {
        assert_eq!(printable("OPENAI\x1b[31m_KEY\x1b]0;pwned\x07"), "OPENAI[31m_KEY]0;pwned");
        assert_eq!(printable("a\nb\r\u{9b}c\u{202e}d\u{2028}"), "abcd");
        assert_eq!(printable(&"x".repeat(500)).chars().count(), MAX_CHARS + 1);
    }

    #[test]
    fn clean_lines_keep_their_length_and_borrow_when_nothing_is_hidden() {
        assert!(matches!(clean("NAME  provider"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(clean("EVIL\x1b[2J\x1b]0;t\x07\u{202e}X"), "EVIL[2J]0;tX");
        assert_eq!(clean(&"x".repeat(500)).len(), 500);
    }

    #[test]
    fn dates_are_year_month_day_or_nothing() {
        assert_eq!(parse_date("d", " 2027-03-31 ").unwrap(), Some(jiff::civil::date(2027, 3, 31)));
        assert_eq!(parse_date("d", "").unwrap(), None);
        for bad in ["31/03/2027", "2027-02-30", "tomorrow"] {
            let err = parse_date("rotation date", bad).unwrap_err().to_string();
            assert!(err.contains("rotation date") && err.contains("YYYY-MM-DD"), "{err}");
        }
    }
}

/// The one of `candidates` closest to `typed`, if close enough to be what
/// was meant ("did you mean"): the same but for case, or a Damerau-Levenshtein
/// distance (case aside) of at most a quarter of the name's length, and at
/// least one edit for names of three characters or more (a typo or two).
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let typed_upper = typed.to_ascii_uppercase();
    candidates
        .into_iter()
        .filter(|candidate| *candidate != typed)
        .map(|candidate| {
            let distance = strsim::damerau_levenshtein(&typed_upper, &candidate.to_ascii_uppercase());
            let shorter = typed.chars().count().min(candidate.chars().count());
            let allowed = if shorter < 3 { 0 } else { (shorter / 4).max(1) };
            (candidate, distance, allowed)
        })
        .filter(|(_, distance, allowed)| distance <= allowed)
        .min_by_key(|(_, distance, _)| *distance)
        .map(|(candidate, ..)| candidate)
}

#[cfg(test)]
mod closest_tests {
    use super::closest;

    #[test]
    fn a_typo_or_the_wrong_case_finds_the_name_and_nothing_far_does() {
        let names = ["OPENAI_API_KEY", "DB_PASSWORD", "STRIPE_KEY"];
        assert_eq!(closest("OPENAI_APIKEY", names), Some("OPENAI_API_KEY"));
        assert_eq!(closest("db_password", names), Some("DB_PASSWORD"));
        assert_eq!(closest("STRIPE_KYE", names), Some("STRIPE_KEY"));
        assert_eq!(closest("GITHUB_TOKEN", names), None);
        assert_eq!(closest("X", names), None);
        assert_eq!(closest("dve", ["dev", "prod"]), Some("dev"));
        assert_eq!(closest("A", ["B"]), None);
    }
}
