//! `.env` files in and out, and masking of values in a child's output for `run`.

mod dotenv;
pub mod inject;
mod mask;

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

pub use mask::{MIN_MASKED, Masker, is_masked};

use crate::{Error, Result, SecretMeta, SecretName, reference::Reference};

/// A parsed `.env` file: entries in file order, plus warnings by name.
/// (`Debug` is safe: values print as `[REDACTED]`.)
#[derive(Debug)]
pub struct EnvFile {
    /// One entry per name: a name assigned again takes its last value, as
    /// Node's dotenv, python-dotenv and Docker Compose read it.
    pub entries: Vec<(SecretName, SecretString)>,
    /// Names whose values used `$` expansion (dotenv rules): worth a look.
    pub expanded: Vec<SecretName>,
    /// Names assigned more than once, with the lines (the last one's value is kept).
    pub repeated: Vec<(SecretName, Vec<usize>)>,
}

/// Parses `.env` text with dotenvy's rules (see [`dotenv`]: `$NAME` reads
/// only names assigned on earlier lines, never this process's environment).
/// Any bad line fails the whole file with its line number; the message never
/// quotes the line (it may hold a value).
pub fn parse(text: &str) -> Result<EnvFile> {
    let mut entries: Vec<(SecretName, SecretString)> = Vec::new();
    let mut expanded = Vec::new();
    // Each name's entry and the lines that assign it.
    let mut seen: std::collections::HashMap<SecretName, (usize, Vec<usize>)> =
        std::collections::HashMap::new();
    for assignment in assignments(text)? {
        let name = SecretName::parse(&assignment.key)
            .map_err(|err| Error::EnvFile { line: assignment.line, reason: err.to_string() })?;
        if assignment.expanded && !expanded.contains(&name) {
            expanded.push(name.clone());
        }
        let value = SecretString::from(assignment.value.to_string());
        match seen.get_mut(&name) {
            Some((index, lines)) => {
                lines.push(assignment.line);
                entries[*index].1 = value;
            }
            None => {
                seen.insert(name.clone(), (entries.len(), vec![assignment.line]));
                entries.push((name, value));
            }
        }
    }
    let mut repeated: Vec<(SecretName, Vec<usize>)> = seen
        .into_iter()
        .filter(|(_, (_, lines))| lines.len() > 1)
        .map(|(name, (_, lines))| (name, lines))
        .collect();
    repeated.sort_by_key(|(_, lines)| lines[0]);
    Ok(EnvFile { entries, expanded, repeated })
}

/// The text's assignments, or its first problem as an [`Error::EnvFile`].
fn assignments(text: &str) -> Result<Vec<dotenv::Assignment>> {
    dotenv::parse(text).map_err(|problem| match problem {
        dotenv::Problem::Syntax { line } => {
            Error::EnvFile { line, reason: "this line is not NAME=value (check quotes and the name)".into() }
        }
        dotenv::Problem::Unclear { line, reason } => Error::EnvFile { line, reason: reason.to_owned() },
        dotenv::Problem::TooMany { line } => Error::EnvFile {
            line,
            reason: format!(
                "more than {} variables, more than a file of settings holds",
                dotenv::MAX_ASSIGNMENTS
            ),
        },
        dotenv::Problem::Reference { line, name, why } => Error::EnvFile {
            line,
            reason: format!(
                "${}: {why}; single-quote the value to keep the `$` literal",
                crate::text::printable(&name)
            ),
        },
    })
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
    let assignments = assignments(text).map_err(|err| match err {
        Error::EnvFile { line, reason } => in_file(line, reason),
        other => other,
    })?;
    assignments
        .into_iter()
        .map(|assignment| {
            let line = assignment.line;
            let name = SecretName::parse(&assignment.key).map_err(|err| in_file(line, err.to_string()))?;
            let value = if Reference::is_claimed(&assignment.value) {
                let reference = Reference::parse(&assignment.value);
                EnvValue::Reference(reference.map_err(|err| in_file(line, format!("{name}: {err}")))?)
            } else {
                EnvValue::Literal(SecretString::from(assignment.value.to_string()))
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
    fn a_key_assigned_twice_or_a_value_over_lines_never_reads_this_process_environment() {
        for (text, line) in [
            ("X='ok'\nX=${HOME}\n", 2),
            ("X='ok'\nexport X=$HOME\n", 2),
            ("X=\"first\nsecond $HOME\"\n", 1),
            ("X='a'\"$HOME\"\n", 1),
            ("A=1\nX=\"a=1\nB=${PATH}\"\n", 2),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(&format!("line {line}")), "{text:?}: {err}");
            assert!(err.contains("$HOME") || err.contains("$PATH"), "{text:?}: {err}");
        }
    }

    proptest::proptest! {
        /// Whatever the file's shape, no value is ever filled from this
        /// process's environment (PATH is set for every test process).
        #[test]
        fn no_shape_of_file_fills_a_value_from_the_environment(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "A=", "B=", "export ", "A", "=", "'", "\"", "\\", "\n", "\r\n", " ", "#", "$", "$PATH", "${PATH}",
                "${PATH", "}", "$A", "x", "\\$PATH",
            ]), 0..24),
        ) {
            let path = std::env::var("PATH").unwrap();
            let text = pieces.concat();
            if let Ok(file) = parse(&text) {
                for (_, value) in &file.entries {
                    proptest::prop_assert!(!value.expose_secret().contains(&path) || text.contains(&path));
                }
            }
        }
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
