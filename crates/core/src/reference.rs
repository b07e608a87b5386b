//! References: `keyhaven:NAME`, or `keyhaven:NAME@VERSION` for one version,
//! written where a value would go (a `.env` file, a template) and resolved
//! only in the process that needs the value. Parsed here and nowhere else. A
//! reference is not a link: `keyhaven://…` is refused here, and the link
//! parser refuses references.

use std::{fmt, ops::Range};

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::{Error, Result, SecretName};

/// What every reference starts with.
pub const PREFIX: &str = "keyhaven:";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    pub name: SecretName,
    /// `None`: the current version.
    pub version: Option<u32>,
}

impl Reference {
    /// Whether `text` claims to be a reference: it starts with `keyhaven:`.
    /// Such text is a reference or an error, never a literal value.
    pub fn is_claimed(text: &str) -> bool {
        text.starts_with(PREFIX)
    }

    /// The reason never quotes `text`: what follows `keyhaven:` in a file
    /// may be a value someone pasted there.
    pub fn parse(text: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::invalid("reference", reason.to_owned());
        let Some(rest) = text.strip_prefix(PREFIX) else {
            return Err(invalid("it does not start with keyhaven:"));
        };
        if rest.starts_with("//") {
            return Err(invalid("keyhaven://… is a link, not a reference (write keyhaven:NAME)"));
        }
        let (name, version) = match rest.split_once('@') {
            Some((name, version)) => (name, Some(version)),
            None => (rest, None),
        };
        let name = SecretName::parse(name)
            .map_err(|_| invalid("the name after keyhaven: is not a secret name (letters, digits and _)"))?;
        let version = match version {
            None => None,
            Some(text) => match text.parse::<u32>() {
                Ok(version) if version > 0 && text.bytes().all(|b| b.is_ascii_digit()) => Some(version),
                _ => return Err(invalid("the version after @ must be a number from 1")),
            },
        };
        Ok(Reference { name, version })
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}", self.name)?;
        if let Some(version) = self.version {
            write!(f, "@{version}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Reference {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Reference::parse(text)
    }
}

/// A `{{ keyhaven:NAME }}` placeholder in a template: where it is and what it names.
#[derive(Debug, Clone)]
pub struct Placeholder {
    pub range: Range<usize>,
    /// 1-based.
    pub line: usize,
    pub reference: Reference,
}

/// Every `{{ keyhaven:… }}` in `text`, spaces inside the braces optional.
/// Braces around anything else are left alone (the file may be a template of
/// another language too); a `keyhaven:` placeholder that is not a valid
/// reference, or not closed on its line, is an error naming `file` and the line.
pub fn placeholders(text: &str, file: &str) -> Result<Vec<Placeholder>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|at| from + at) {
        let line = text[..open].matches('\n').count() + 1;
        let inner_start = open + 2;
        let rest = &text[inner_start..];
        let end_of_line = rest.find('\n').unwrap_or(rest.len());
        let close = rest[..end_of_line].find("}}");
        let inner = &rest[..close.unwrap_or(end_of_line)];
        if !Reference::is_claimed(inner.trim_start()) {
            from = inner_start;
            continue;
        }
        let error = |reason: String| Error::InFile { file: file.to_owned(), line, reason };
        let Some(close) = close else {
            return Err(error("a {{ keyhaven:… }} placeholder is not closed on its line".into()));
        };
        let reference = Reference::parse(inner.trim()).map_err(|err| error(err.to_string()))?;
        let end = inner_start + close + 2;
        found.push(Placeholder { range: open..end, line, reference });
        from = end;
    }
    Ok(found)
}

/// `text` with each placeholder replaced by its value (`values` in the same
/// order), in a buffer wiped when dropped.
pub fn fill(text: &str, placeholders: &[Placeholder], values: &[SecretString]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    let mut at = 0;
    for (placeholder, value) in placeholders.iter().zip(values) {
        out.push_str(&text[at..placeholder.range.start]);
        out.push_str(value.expose_secret());
        at = placeholder.range.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions() {
        let plain = Reference::parse("keyhaven:OPENAI_API_KEY").unwrap();
        assert_eq!((plain.name.as_str(), plain.version), ("OPENAI_API_KEY", None));
        let pinned = Reference::parse("keyhaven:DB_URL@3").unwrap();
        assert_eq!((pinned.name.as_str(), pinned.version), ("DB_URL", Some(3)));
        assert_eq!(pinned.to_string(), "keyhaven:DB_URL@3");
        assert_eq!(plain.to_string().parse::<Reference>().unwrap(), plain);
    }

    #[test]
    fn anything_else_after_the_prefix_is_an_error_that_quotes_nothing() {
        for bad in [
            "keyhaven:",
            "keyhaven://open?name=X",
            "keyhaven:not a name",
            "keyhaven:sk-live-1234",
            "keyhaven:KEY@",
            "keyhaven:KEY@0",
            "keyhaven:KEY@+3",
            "keyhaven:KEY@3@4",
            "keyhaven:KEY@99999999999",
            "Keyhaven:KEY",
            "KEY",
        ] {
            let err = Reference::parse(bad).unwrap_err().to_string();
            let rest = bad.strip_prefix(PREFIX).unwrap_or(bad);
            assert!(rest.is_empty() || !err.contains(rest), "{bad}: {err}");
        }
        assert!(Reference::is_claimed("keyhaven:x y") && !Reference::is_claimed("my keyhaven:X"));
    }

    #[test]
    fn placeholders_in_a_template_of_another_language_too() {
        let text = "url: {{ .Values.url }}\nkey: {{keyhaven:API_KEY}}\r\nold: \"{{  keyhaven:API_KEY@2 }}\" {{ x }}\n";
        let found = placeholders(text, "t.yaml").unwrap();
        let refs: Vec<(usize, String)> = found.iter().map(|p| (p.line, p.reference.to_string())).collect();
        assert_eq!(refs, [(2, "keyhaven:API_KEY".into()), (3, "keyhaven:API_KEY@2".into())]);
        let values = [SecretString::from("new"), SecretString::from("old")];
        assert_eq!(
            fill(text, &found, &values).as_str(),
            "url: {{ .Values.url }}\nkey: new\r\nold: \"old\" {{ x }}\n"
        );
    }

    #[test]
    fn a_bad_placeholder_names_the_file_and_line_only() {
        for (text, expected) in [
            ("a\n{{ keyhaven:sk-live-9 }}", "t.txt, line 2: invalid reference"),
            ("{{ keyhaven:KEY\n}}", "t.txt, line 1: a {{ keyhaven:… }} placeholder is not closed"),
        ] {
            let err = placeholders(text, "t.txt").unwrap_err().to_string();
            assert!(err.starts_with(expected) && !err.contains("sk-live-9"), "{err}");
        }
    }
}
