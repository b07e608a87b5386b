//! `.env` files in and out, and masking of values in a child's output for `run`.

pub mod inject;
mod mask;

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

pub use mask::Masker;

use crate::{Error, Result, SecretMeta, SecretName, reference::Reference};

/// A parsed `.env` file: entries in file order, plus warnings by name.
/// (`Debug` is safe: values print as `[REDACTED]`.)
#[derive(Debug)]
pub struct EnvFile {
    pub entries: Vec<(SecretName, SecretString)>,
    /// Names whose values used `$` expansion (dotenv rules): worth a look.
    pub expanded: Vec<SecretName>,
}

/// Parses `.env` text with dotenvy's rules. Any bad line fails the whole file
/// with its line number; the message never quotes the line (it may hold a value).
pub fn parse(text: &str) -> Result<EnvFile> {
    let mut entries = Vec::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok((key, value)) => {
                let value = SecretString::from(value);
                let name = SecretName::parse(&key).map_err(|err| Error::EnvFile {
                    line: line_of_key(text, &key),
                    reason: err.to_string(),
                })?;
                entries.push((name, value));
            }
            Err(dotenvy::Error::LineParse(line, _)) => {
                let line = Zeroizing::new(line);
                return Err(Error::EnvFile {
                    line: line_of_text(text, &line),
                    reason: "this line is not NAME=value (check quotes and the name)".into(),
                });
            }
            Err(_) => {
                return Err(Error::EnvFile { line: 0, reason: "the file could not be read as text".into() });
            }
        }
    }
    let expanding = keys_with_expansion(text);
    check_references(text, &entries, &expanding)?;
    let expanded = entries
        .iter()
        .filter(|(name, _)| expanding.contains(name.as_str()))
        .map(|(name, _)| name.clone())
        .collect();
    Ok(EnvFile { entries, expanded })
}

/// A `.env` value as `run --env-file` takes it: passed through as written,
/// or resolved from the vault.
#[derive(Debug)]
pub enum EnvValue {
    Literal(SecretString),
    Reference(Reference),
}

/// One entry of a `.env` file given to `run --env-file`, with its line.
#[derive(Debug)]
pub struct EnvEntry {
    pub name: SecretName,
    pub line: usize,
    pub value: EnvValue,
}

/// `.env` text whose values may be references (`keyhaven:NAME`). A value
/// that starts with `keyhaven:` must be a valid reference: it is an error,
/// with `file` and its line, never a literal. dotenvy's rules otherwise, as
/// for `import` (quotes, `export`, comments, `$NAME` from earlier lines only).
pub fn parse_with_references(text: &str, file: &str) -> Result<Vec<EnvEntry>> {
    let in_file = |line, reason| Error::InFile { file: file.to_owned(), line, reason };
    let parsed = parse(text).map_err(|err| match err {
        Error::EnvFile { line, reason } => in_file(line, reason),
        other => other,
    })?;
    parsed
        .entries
        .into_iter()
        .map(|(name, value)| {
            let line = line_of_key(text, name.as_str());
            let value = if Reference::is_claimed(value.expose_secret()) {
                let reference = Reference::parse(value.expose_secret());
                EnvValue::Reference(reference.map_err(|err| in_file(line, format!("{name}: {err}")))?)
            } else {
                EnvValue::Literal(value)
            };
            Ok(EnvEntry { name, line, value })
        })
        .collect()
}

/// Renders `NAME=value` lines that dotenvy reads back to the same values
/// (single quotes keep `$` literal; values holding `'` or `\` use escaped double quotes).
pub fn render(values: &[(SecretName, SecretString)]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::new());
    for (name, value) in values {
        let value = value.expose_secret();
        out.push_str(name.as_str());
        out.push('=');
        if !value.contains(['\'', '\\']) {
            out.push('\'');
            out.push_str(value);
            out.push('\'');
        } else {
            out.push('"');
            for c in value.chars() {
                match c {
                    '"' | '\\' | '$' => {
                        out.push('\\');
                        out.push(c);
                    }
                    '\n' => out.push_str("\\n"),
                    _ => out.push(c),
                }
            }
            out.push('"');
        }
        out.push('\n');
    }
    out
}

/// A `.env.example`-style template: names with empty values.
pub fn render_template(secrets: &[SecretMeta]) -> String {
    let mut out = String::from("# Exported by keyhaven without values (pass --reveal to include them)\n");
    for meta in secrets {
        if !meta.description.is_empty() {
            out.push_str(&format!("# {}\n", meta.description.replace('\n', " ")));
        }
        out.push_str(&format!("{}=\n", meta.name));
    }
    out
}

/// 1-based line of the first occurrence of `fragment` (dotenvy reports the
/// failing line or value text, not its number).
fn line_of_text(text: &str, fragment: &str) -> usize {
    let needle = fragment.trim_end_matches(['\n', '\r']);
    match text.find(needle).filter(|_| !needle.is_empty()) {
        Some(offset) => text[..offset].matches('\n').count() + 1,
        None => text.lines().count().max(1),
    }
}

fn line_of_key(text: &str, key: &str) -> usize {
    text.lines().position(|line| assignment_value(line, key).is_some()).map_or(0, |index| index + 1)
}

/// The raw text after `KEY=` when `line` assigns `key`.
fn assignment_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").map_or(line, str::trim_start);
    let rest = line.strip_prefix(key)?.trim_start();
    rest.strip_prefix('=').map(str::trim_start)
}

/// `$NAME` may only refer to a name defined on an earlier line of the same
/// file. dotenvy looks in the process environment first, so a reference to
/// anything else would import this process's environment (`$HOME`, a cloud
/// key, `$KEYHAVEN_…`) instead of what the file says: refused, by line.
fn check_references(
    text: &str,
    entries: &[(SecretName, SecretString)],
    expanding: &std::collections::HashSet<&str>,
) -> Result<()> {
    let mut earlier = std::collections::HashSet::new();
    for (name, _) in entries {
        if expanding.contains(name.as_str()) {
            let line = line_of_key(text, name.as_str());
            let raw =
                text.lines().nth(line.saturating_sub(1)).and_then(|l| assignment_value(l, name.as_str()));
            for reference in references(raw.unwrap_or_default()) {
                let problem = if reference.starts_with("KEYHAVEN_") {
                    Some("Keyhaven's own variables are never read into a vault")
                } else if !earlier.contains(reference) {
                    Some("only names defined on an earlier line of the same file can be used")
                } else if std::env::var_os(reference).is_some() {
                    Some("this process's environment sets it too, and would win over the file")
                } else {
                    None
                };
                if let Some(problem) = problem {
                    return Err(Error::EnvFile {
                        line,
                        reason: format!(
                            "${reference}: {problem}; single-quote the value to keep the `$` literal"
                        ),
                    });
                }
            }
        }
        earlier.insert(name.as_str());
    }
    Ok(())
}

/// The names `$NAME` and `${NAME}` refer to in a raw value, as dotenvy reads
/// it: nothing inside single quotes, nothing escaped with a backslash.
fn references(raw: &str) -> Vec<&str> {
    let (mut out, mut quote, mut at) = (Vec::new(), None, 0);
    let bytes = raw.as_bytes();
    while at < bytes.len() {
        match (quote, bytes[at]) {
            (Some(b'\''), b'\'') | (Some(b'"'), b'"') => quote = None,
            (None, q @ (b'\'' | b'"')) => quote = Some(q),
            (Some(b'\''), _) => {}
            (_, b'\\') => at += 1,
            (_, b'$') => {
                let start = at + 1 + usize::from(bytes.get(at + 1) == Some(&b'{'));
                let len =
                    raw[start..].bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
                if len > 0 {
                    out.push(&raw[start..start + len]);
                }
                at = start + len;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    out
}

/// Keys whose raw assignment has a `$` outside single quotes, in one pass.
fn keys_with_expansion(text: &str) -> std::collections::HashSet<&str> {
    text.lines()
        .filter(|line| line.contains('$'))
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line.strip_prefix("export ").map_or(line, str::trim_start);
            let (key, raw) = line.split_once('=')?;
            let key = key.trim_end();
            (!raw.trim_start().starts_with('\'')).then_some(key)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(file: &EnvFile) -> Vec<(String, String)> {
        file.entries
            .iter()
            .map(|(name, value)| (name.to_string(), value.expose_secret().to_owned()))
            .collect()
    }

    #[test]
    fn parses_the_usual_forms() {
        let file = parse("# comment\nA=1\nexport B='two words'\nC=\"line\\nbreak\"\n\nD=\n").unwrap();
        assert_eq!(
            values(&file),
            [("A", "1"), ("B", "two words"), ("C", "line\nbreak"), ("D", "")]
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
    }

    #[test]
    fn a_malformed_line_is_named_by_number_and_not_quoted() {
        let err = parse("A=1\nB=2\nC='plantedsecret\n").unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(!err.contains("plantedsecret"), "{err}");
        let err = parse("A=1\nnot an assignment plantedsecret\n").unwrap_err().to_string();
        assert!(err.contains("line 2") && !err.contains("plantedsecret"), "{err}");
    }

    #[test]
    fn an_invalid_name_fails_the_file() {
        for bad in ["GOOD=1\nBAD-NAME=2\n", "GOOD=1\nBAD.NAME=2\n"] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains("line 2"), "{err}");
        }
    }

    #[test]
    fn rendered_env_reads_back_identically() {
        let tricky = ["plain", "with $dollar", "it's", "both ' and \" and \\ and $x", "multi\nline", ""];
        let original: Vec<(SecretName, SecretString)> = tricky
            .iter()
            .enumerate()
            .map(|(i, v)| (SecretName::parse(&format!("K{i}")).unwrap(), SecretString::from(v.to_string())))
            .collect();
        let text = render(&original);
        let back = parse(&text).unwrap();
        let expected: Vec<(String, String)> =
            original.iter().map(|(n, v)| (n.to_string(), v.expose_secret().to_owned())).collect();
        assert_eq!(values(&back), expected);
    }

    #[test]
    fn debug_output_never_shows_a_value() {
        let file = parse("TOKEN=planted-debug-value\n").unwrap();
        let shown = format!("{file:?} {:?}", file.entries[0]);
        assert!(shown.contains("TOKEN") && shown.contains("REDACTED"), "{shown}");
        assert!(!shown.contains("planted-debug-value"), "{shown}");
    }

    #[test]
    fn dollar_expansion_is_reported() {
        let file = parse("KH_BASE_7F=abc\nA=${KH_BASE_7F}/x\nB='lit$eral'\nC=none\n").unwrap();
        let names: Vec<_> = file.expanded.iter().map(|n| n.to_string()).collect();
        assert_eq!(names, ["A"]);
        assert_eq!(values(&file)[1].1, "abc/x");
    }

    #[test]
    fn expansion_never_reads_this_process_environment() {
        // PATH and HOME are set for every test process; KEYHAVEN_VAULT may be.
        for (text, line, named) in [
            ("A=1\nB=$HOME/x\n", 2, "$HOME"),
            ("A=\"pre ${PATH}\"\n", 1, "$PATH"),
            ("PATH=/bin\nB=$PATH\n", 2, "environment sets it too"),
            ("B=$KEYHAVEN_PASSPHRASE\n", 1, "never read into a vault"),
            ("B=$LATER\nLATER=1\n", 1, "earlier line"),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(&format!("line {line}")) && err.contains(named), "{text:?}: {err}");
        }
        // Literal dollars stay literal, and are no references.
        let file = parse("A='$HOME'\nB=\"\\$HOME\"\n").unwrap();
        assert_eq!(values(&file)[0].1, "$HOME");
    }

    #[test]
    fn references_beside_literals_with_quotes_comments_crlf_and_equals() {
        let text = "# app settings\r\nOPENAI_API_KEY=keyhaven:OPENAI_API_KEY\r\nexport DB=\"keyhaven:DB_URL@2\"\r\n\
                    QUOTED='keyhaven:TOKEN' # the CI token\r\nPLAIN=a=b=c\r\nEMPTY=\r\nLIKE=\"my keyhaven:X\"\r\n";
        let entries = parse_with_references(text, ".env").unwrap();
        let shown: Vec<(String, usize, String)> = entries
            .iter()
            .map(|entry| {
                let value = match &entry.value {
                    EnvValue::Reference(reference) => format!("ref {reference}"),
                    EnvValue::Literal(value) => format!("literal {}", value.expose_secret()),
                };
                (entry.name.to_string(), entry.line, value)
            })
            .collect();
        let expected = [
            ("OPENAI_API_KEY", 2, "ref keyhaven:OPENAI_API_KEY"),
            ("DB", 3, "ref keyhaven:DB_URL@2"),
            ("QUOTED", 4, "ref keyhaven:TOKEN"),
            ("PLAIN", 5, "literal a=b=c"),
            ("EMPTY", 6, "literal "),
            ("LIKE", 7, "literal my keyhaven:X"),
        ];
        let expected: Vec<(String, usize, String)> =
            expected.iter().map(|(n, l, v)| (n.to_string(), *l, v.to_string())).collect();
        assert_eq!(shown, expected);
    }

    #[test]
    fn a_value_that_only_looks_like_a_reference_is_an_error_with_its_line() {
        for (text, line) in [
            ("A=1\nB=keyhaven:sk-live-secret\n", 2),
            ("A='keyhaven:KEY@0'\n", 1),
            ("X=keyhaven://open?name=A\n", 1),
        ] {
            let err = parse_with_references(text, "prod.env").unwrap_err();
            let message = err.to_string();
            assert!(message.starts_with(&format!("prod.env, line {line}: ")), "{message}");
            assert!(!message.contains("sk-live-secret"), "{message}");
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        }
        let err = parse_with_references("A=1\nnot a line\n", "prod.env").unwrap_err().to_string();
        assert!(err.starts_with("prod.env, line 2: "), "{err}");
    }
}
