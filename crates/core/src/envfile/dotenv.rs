//! The `.env` syntax as dotenvy 0.15 reads it: `export`, comments, single
//! and double quotes, backslash escapes, values over several lines inside
//! quotes, and `$NAME` / `${NAME}` expansion. Ported from dotenvy 0.15.7
//! (MIT; `iter.rs` and `parse.rs`) with two changes: expansion reads only
//! what earlier lines of the same text assigned, never the process
//! environment; and `$NAME` runs over `_` as in a shell.
//! dotenvy always tries `std::env::var` first, with no way to turn it off, so
//! a committed file could pull Keyhaven's own environment (a cloud key, a
//! token) into the vault or into a child's variables, whatever guard looked
//! at the file's shape beforehand (security round 2, item 11).

use std::collections::HashMap;

use zeroize::Zeroizing;

/// One `KEY=value` of the text, with the line it starts on (1-based).
pub(crate) struct Assignment {
    pub key: String,
    pub value: Zeroizing<String>,
    pub line: usize,
    /// The value used `$NAME` expansion.
    pub expanded: bool,
}

/// Why the text was refused, by line; never quotes the text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Not `KEY=value` as the syntax allows (quotes, escapes, the key).
    Syntax { line: usize },
    /// `$name` names something expansion may not use.
    Reference { line: usize, name: String, why: &'static str },
    /// More than [`MAX_ASSIGNMENTS`].
    TooMany { line: usize },
    /// A value other tools read another way, with why.
    Unclear { line: usize, reason: &'static str },
}

/// The most assignments one text may hold: an import stops there.
pub(crate) const MAX_ASSIGNMENTS: usize = crate::import::MAX_ITEMS;

/// Every assignment of `text`, in order (a key assigned twice appears twice).
pub(crate) fn parse(text: &str) -> Result<Vec<Assignment>, Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut earlier: HashMap<String, Zeroizing<String>> = HashMap::new();
    let mut out = Vec::new();
    for (line, logical) in logical_lines(text)? {
        let mut expand = Expansion { earlier: &earlier, line, used: false };
        if let Some((key, value)) = parse_line(&logical, line, &mut expand)? {
            if out.len() == MAX_ASSIGNMENTS {
                return Err(Problem::TooMany { line });
            }
            let expanded = expand.used;
            earlier.insert(key.clone(), value.clone());
            out.push(Assignment { key, value, line, expanded });
        }
    }
    Ok(out)
}

/// What `$NAME` may read: names assigned on earlier lines, and nothing that
/// the process environment also sets (other tools would take its value
/// instead, so the file would mean two things) or that is Keyhaven's own.
struct Expansion<'a> {
    earlier: &'a HashMap<String, Zeroizing<String>>,
    line: usize,
    used: bool,
}

impl Expansion<'_> {
    fn apply(&mut self, name: &str, output: &mut String) -> Result<(), Problem> {
        if name.is_empty() {
            return Ok(());
        }
        let refuse = |why| Err(Problem::Reference { line: self.line, name: name.to_owned(), why });
        if name.starts_with("KEYHAVEN_") {
            return refuse("Keyhaven's own variables are never read into a vault");
        }
        let Some(value) = self.earlier.get(name) else {
            return refuse("only names defined on an earlier line of the same file can be used");
        };
        // Whether it is set, never its value.
        if std::env::var_os(name).is_some() {
            return refuse("this process's environment sets it too, and other tools would take that instead");
        }
        self.used = true;
        output.push_str(value);
        Ok(())
    }
}

/// The text's logical lines with the line each starts on: a quote left open
/// at the end of a physical line continues onto the next; a `#` after
/// whitespace outside quotes ends the line.
fn logical_lines(text: &str) -> Result<Vec<(usize, Zeroizing<String>)>, Problem> {
    let mut out = Vec::new();
    let mut buf = Zeroizing::new(String::new());
    let mut state = State::Complete;
    let mut start = 0;
    for (index, physical) in text.split_inclusive('\n').enumerate() {
        if buf.is_empty() {
            start = index + 1;
            if physical.trim_start().starts_with('#') {
                continue;
            }
        }
        let (at, end) = end_state(state, physical);
        state = end;
        if out.len() > MAX_ASSIGNMENTS {
            return Err(Problem::TooMany { line: start });
        }
        match state {
            State::Complete if buf.is_empty() && physical.trim().is_empty() => {}
            State::Complete => {
                buf.push_str(physical.trim_end_matches('\n').trim_end_matches('\r'));
                out.push((start, std::mem::take(&mut buf)));
            }
            State::Comment => {
                buf.push_str(&physical[..at]);
                out.push((start, std::mem::take(&mut buf)));
                state = State::Complete;
            }
            _ => buf.push_str(physical),
        }
    }
    match state {
        State::Complete => {}
        _ if buf.is_empty() => {}
        // A quote or escape never closed before the end.
        _ => return Err(Problem::Syntax { line: start }),
    }
    Ok(out)
}

#[derive(Clone, Copy)]
enum State {
    Complete,
    Escape,
    StrongOpen,
    StrongOpenEscape,
    WeakOpen,
    WeakOpenEscape,
    Comment,
    WhiteSpace,
}

/// dotenvy's `eval_end_state`: where a physical line leaves the quoting.
fn end_state(previous: State, line: &str) -> (usize, State) {
    let mut state = previous;
    let mut at = 0;
    for (pos, c) in line.char_indices() {
        at = pos;
        state = match state {
            State::WhiteSpace => match c {
                '#' => return (at, State::Comment),
                '\\' => State::Escape,
                '"' => State::WeakOpen,
                '\'' => State::StrongOpen,
                _ => State::Complete,
            },
            State::Escape => State::Complete,
            State::Complete => match c {
                c if c.is_whitespace() && c != '\n' && c != '\r' => State::WhiteSpace,
                '\\' => State::Escape,
                '"' => State::WeakOpen,
                '\'' => State::StrongOpen,
                _ => State::Complete,
            },
            State::WeakOpen => match c {
                '\\' => State::WeakOpenEscape,
                '"' => State::Complete,
                _ => State::WeakOpen,
            },
            State::WeakOpenEscape => State::WeakOpen,
            State::StrongOpen => match c {
                '\\' => State::StrongOpenEscape,
                '\'' => State::Complete,
                _ => State::StrongOpen,
            },
            State::StrongOpenEscape => State::StrongOpen,
            State::Comment => unreachable!("returned above"),
        };
    }
    (at, state)
}

/// One logical line: `None` for a blank line or a comment.
fn parse_line(
    line: &str,
    number: usize,
    expand: &mut Expansion<'_>,
) -> Result<Option<(String, Zeroizing<String>)>, Problem> {
    let syntax = || Problem::Syntax { line: number };
    let mut rest = line.trim_end().trim_start();
    if rest.is_empty() || rest.starts_with('#') {
        return Ok(None);
    }
    let key_of = |rest: &mut &str| -> Result<String, Problem> {
        if !rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            return Err(syntax());
        }
        let end =
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')).unwrap_or(rest.len());
        let key = rest[..end].to_owned();
        *rest = rest[end..].trim_start();
        Ok(key)
    };
    let mut key = key_of(&mut rest)?;
    // `export` is an optional prefix, or a key itself.
    if key == "export" && !rest.starts_with('=') {
        key = key_of(&mut rest)?;
    }
    rest = rest.strip_prefix('=').ok_or_else(syntax)?.trim_start();
    if rest.is_empty() || rest.starts_with('#') {
        return Ok(Some((key, Zeroizing::new(String::new()))));
    }
    Ok(Some((key, parse_value(rest, number, expand)?)))
}

#[derive(PartialEq, Eq)]
enum Substitution {
    None,
    Block,
    EscapedBlock,
}

/// dotenvy's `parse_value`, expanding through `expand`.
fn parse_value(input: &str, line: usize, expand: &mut Expansion<'_>) -> Result<Zeroizing<String>, Problem> {
    let syntax = || Problem::Syntax { line };
    let unclear = |reason| Problem::Unclear { line, reason };
    let (mut strong_quote, mut weak_quote, mut escaped, mut quoted) = (false, false, false, false);
    let mut output = Zeroizing::new(String::new());
    let mut substitution = Substitution::None;
    let mut name = String::new();
    // Whitespace outside quotes, kept once more of the value follows it (as
    // Node's dotenv, python-dotenv and Docker Compose read `K=hello world`),
    // dropped before a `#` comment or the end of the line.
    let mut gap = String::new();
    for c in input.chars() {
        if !gap.is_empty() {
            match c {
                ' ' | '\t' => {
                    gap.push(c);
                    continue;
                }
                '#' => break,
                // `K="a" b`, `K=a "b"`: the three tools read these differently.
                _ if quoted || c == '"' || c == '\'' => {
                    return Err(unclear(
                        "quotes and unquoted words mixed in one value are read differently by different tools; quote the whole value",
                    ));
                }
                _ => output.push_str(&std::mem::take(&mut gap)),
            }
        }
        if escaped {
            match c {
                '\\' | '\'' | '"' | '$' | ' ' => output.push(c),
                'n' => output.push('\n'),
                _ => return Err(syntax()),
            }
            escaped = false;
        } else if strong_quote {
            if c == '\'' {
                strong_quote = false;
            } else {
                output.push(c);
            }
        } else if substitution != Substitution::None {
            // A name runs over letters, digits and `_`, as in a shell
            // (dotenvy 0.15 stops at `_`: `$DB_HOST` was `$DB` then "_HOST").
            if c.is_alphanumeric() || c == '_' {
                name.push(c);
            } else if substitution == Substitution::Block {
                if c == '{' && name.is_empty() {
                    substitution = Substitution::EscapedBlock;
                } else {
                    expand.apply(&std::mem::take(&mut name), &mut output)?;
                    if c == '$' {
                        substitution = Substitution::Block;
                    } else {
                        substitution = Substitution::None;
                        output.push(c);
                    }
                }
            } else if c == '}' {
                substitution = Substitution::None;
                expand.apply(&std::mem::take(&mut name), &mut output)?;
            } else {
                name.push(c);
            }
        } else if c == '$' {
            substitution = Substitution::Block;
        } else if weak_quote {
            match c {
                '"' => weak_quote = false,
                '\\' => escaped = true,
                _ => output.push(c),
            }
        } else {
            match c {
                '\'' => (strong_quote, quoted) = (true, true),
                '"' => (weak_quote, quoted) = (true, true),
                // Node's dotenv and python-dotenv keep it, dotenvy escapes with it.
                '\\' => {
                    return Err(unclear(
                        "a backslash outside quotes is read differently by different tools; quote the value",
                    ));
                }
                ' ' | '\t' => gap.push(c),
                _ => output.push(c),
            }
        }
    }
    if substitution == Substitution::EscapedBlock || strong_quote || weak_quote {
        return Err(syntax());
    }
    expand.apply(&name, &mut output)?;
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text).unwrap().into_iter().map(|a| (a.key, a.value.to_string())).collect()
    }

    /// dotenvy 0.15.7's own test of its syntax (parse.rs `test_parse_line_env`).
    #[test]
    fn reads_what_dotenvy_reads() {
        let text = "\nKEY=1\nKEY2=\"2\"\nKEY3='3'\nKEY4='fo ur'\nKEY5=\"fi ve\"\nKEY7=\nKEY8=     \n\
                    KEY9=   # foo\nKEY10  =\"whitespace before =\"\nKEY11=    \"whitespace after =\"\n\
                    export=\"export as key\"\nexport   SHELL_LOVER=1\n";
        let expected = [
            ("KEY", "1"),
            ("KEY2", "2"),
            ("KEY3", "3"),
            ("KEY4", "fo ur"),
            ("KEY5", "fi ve"),
            ("KEY7", ""),
            ("KEY8", ""),
            ("KEY9", ""),
            ("KEY10", "whitespace before ="),
            ("KEY11", "whitespace after ="),
            ("export", "export as key"),
            ("SHELL_LOVER", "1"),
        ];
        let expected: Vec<(String, String)> =
            expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(pairs(text), expected);
    }

    /// What Node's dotenv, python-dotenv and Docker Compose agree on is
    /// read as they read it; what they disagree on is refused by line.
    #[test]
    fn what_the_common_tools_agree_on_is_read_and_the_rest_refused() {
        let text =
            "PLAIN=hello world\nexport SPACED=  two  words  \nNOTE=value # a comment\nHASH=a#b\nTAB=a\tb\n";
        let expected = [
            ("PLAIN", "hello world"),
            ("SPACED", "two  words"),
            ("NOTE", "value"),
            ("HASH", "a#b"),
            ("TAB", "a\tb"),
        ];
        let expected: Vec<(String, String)> =
            expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(pairs(text), expected);
        for (text, line) in [("A=1\nB=\"a\" b\n", 2), ("B=a \"b\"\n", 1), ("A=1\nB=C:\\Users\n", 2)] {
            let Err(Problem::Unclear { line: at, reason }) = parse(text) else {
                panic!("{text:?} not refused")
            };
            assert_eq!(at, line, "{text:?}");
            assert!(reason.contains("read differently by different tools"), "{reason}");
        }
    }

    #[test]
    fn multi_line_values_comments_and_line_numbers() {
        let text = "# top\nA=\"one\ntwo\"\nB='x' # note\n\nC=\"say \\\"hi\\\"\"\n";
        let parsed = parse(text).unwrap();
        let shown: Vec<(String, String, usize)> =
            parsed.iter().map(|a| (a.key.clone(), a.value.to_string(), a.line)).collect();
        let expected = [("A", "one\ntwo", 2), ("B", "x", 4), ("C", "say \"hi\"", 6)];
        let expected: Vec<_> = expected.iter().map(|(k, v, l)| (k.to_string(), v.to_string(), *l)).collect();
        assert_eq!(shown, expected);
        assert_eq!(parse("A=1\nB=\"open\n").err(), Some(Problem::Syntax { line: 2 }));
        assert_eq!(parse("A=1\nB='a\n").err(), Some(Problem::Syntax { line: 2 }));
    }

    #[test]
    fn expansion_reads_earlier_lines_only() {
        let parsed = parse("BASE_7F=abc\nA=${BASE_7F}/x\nB='$BASE_7F'\nC=\"${BASE_7F}\"\n").unwrap();
        let shown: Vec<(String, bool)> = parsed.iter().map(|a| (a.value.to_string(), a.expanded)).collect();
        let expected = [("abc", false), ("abc/x", true), ("$BASE_7F", false), ("abc", true)];
        assert_eq!(shown, expected.map(|(v, e)| (v.to_owned(), e)));
        let later = parse("A=$LATER_7F\nLATER_7F=1\n").err().unwrap();
        assert!(matches!(later, Problem::Reference { line: 1, ref name, .. } if name == "LATER_7F"));
    }
}
