//! Which secrets go to a remote: names and globs to include, categories to
//! include, names and globs to leave out. A new remote has chosen nothing, so
//! nothing is sent until the user chooses (RunTools: "Use --org-wide only for
//! credentials meant to be shared by the organization"). The most exact rule
//! wins: a name given exactly (excluded before included), then patterns and
//! categories (an exclude pattern wins). Rules match names without regard to
//! case, as RunTools upper-cases them.

use serde::{Deserialize, Serialize};

use crate::{Error, Result, SecretName, secret::SecretKind, text::printable};

/// At most this many rules of each kind, each at most this long.
const MAX_RULES: usize = 256;
const MAX_RULE_LEN: usize = 128;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// Names or globs (`OPENAI_*`; `?` is one character).
    #[serde(default)]
    pub include: Vec<String>,
    /// Categories whose secrets are chosen.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Names or globs never sent, even when chosen above.
    #[serde(default)]
    pub exclude: Vec<String>,
}

impl Selection {
    /// Checks every rule: a pattern is a name with `*` or `?` in it, a
    /// category is printable text. Empty rules are dropped, repeats kept once.
    pub fn new(include: Vec<String>, categories: Vec<String>, exclude: Vec<String>) -> Result<Self> {
        let clean = |rules: Vec<String>, what: &str, check: fn(&str) -> bool| -> Result<Vec<String>> {
            let mut out: Vec<String> = Vec::new();
            for rule in rules.iter().map(|rule| rule.trim()).filter(|rule| !rule.is_empty()) {
                if rule.len() > MAX_RULE_LEN || !check(rule) {
                    return Err(Error::invalid(
                        format!("{what} {:?}", printable(rule)),
                        "give a secret name, or a pattern of name characters with * and ? \
                         (such as OPENAI_*); categories are words of up to 128 characters",
                    ));
                }
                if !out.iter().any(|known| known.eq_ignore_ascii_case(rule)) {
                    out.push(rule.to_owned());
                }
            }
            if out.len() > MAX_RULES {
                return Err(Error::invalid(what, format!("at most {MAX_RULES} rules")));
            }
            Ok(out)
        };
        Ok(Selection {
            include: clean(include, "include pattern", is_pattern)?,
            categories: clean(categories, "category", |c| printable(c) == c)?,
            exclude: clean(exclude, "exclude pattern", is_pattern)?,
        })
    }

    /// Every secret (`--include '*'`).
    pub fn everything() -> Self {
        Selection { include: vec!["*".into()], ..Selection::default() }
    }

    /// Chooses nothing.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.categories.is_empty()
    }

    /// Whether a secret called `name`, in `category` (empty: none), of
    /// `kind`, goes to the remote. An SSH key or a program's item goes only
    /// to a remote that names it exactly, never through a pattern or a category.
    pub fn selects(&self, name: &str, category: &str, kind: SecretKind) -> bool {
        let exactly = |rules: &[String]| rules.iter().any(|rule| rule.eq_ignore_ascii_case(name));
        let matched = |rules: &[String]| rules.iter().any(|pattern| glob(pattern, name));
        if exactly(&self.exclude) {
            return false;
        }
        if exactly(&self.include) {
            return true;
        }
        let in_category =
            !category.is_empty() && self.categories.iter().any(|c| c.eq_ignore_ascii_case(category));
        kind == SecretKind::Text && (matched(&self.include) || in_category) && !matched(&self.exclude)
    }

    /// The selection with `name` chosen or not, whatever chose it before: the
    /// exact rules for it are dropped, and one added if patterns and
    /// categories alone decide otherwise.
    pub fn with(&self, name: &SecretName, category: &str, kind: SecretKind, chosen: bool) -> Self {
        let mut next = self.clone();
        let same = |rule: &String| rule.eq_ignore_ascii_case(name.as_str());
        next.include.retain(|rule| !same(rule));
        next.exclude.retain(|rule| !same(rule));
        if next.selects(name.as_str(), category, kind) != chosen {
            let rules = if chosen { &mut next.include } else { &mut next.exclude };
            rules.push(name.to_string());
        }
        next
    }
}

/// The live secrets of `secrets` split into those `selection` chooses and the rest.
pub fn partition(selection: &Selection, secrets: &[crate::SecretMeta]) -> (Vec<SecretName>, Vec<SecretName>) {
    let (chosen, rest): (Vec<_>, Vec<_>) = secrets
        .iter()
        .filter(|meta| meta.deleted.is_none())
        .partition(|meta| selection.selects(meta.name.as_str(), &meta.category, meta.kind));
    let names = |metas: Vec<&crate::SecretMeta>| metas.into_iter().map(|meta| meta.name.clone()).collect();
    (names(chosen), names(rest))
}

/// A rule is a name's characters, with `*` and `?` wildcards.
fn is_pattern(rule: &str) -> bool {
    rule.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '*' | '?'))
}

/// Whether `name` matches `pattern` (`*`: any run, `?`: one character),
/// ignoring ASCII case. Linear backtracking to the last `*`, so no pattern
/// can make it slow.
pub fn glob(pattern: &str, name: &str) -> bool {
    let (pattern, name) = (pattern.as_bytes(), name.as_bytes());
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || c.eq_ignore_ascii_case(&name[n]) => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selection(include: &[&str], categories: &[&str], exclude: &[&str]) -> Selection {
        let own = |rules: &[&str]| rules.iter().map(|r| r.to_string()).collect();
        Selection::new(own(include), own(categories), own(exclude)).unwrap()
    }

    #[test]
    fn globs_match_whole_names_ignoring_case() {
        for (pattern, name, expected) in [
            ("OPENAI_*", "OPENAI_API_KEY", true),
            ("openai_*", "OPENAI_API_KEY", true),
            ("OPENAI_*", "MY_OPENAI_KEY", false),
            ("*_KEY", "OPENAI_API_KEY", true),
            ("A?C", "ABC", true),
            ("A?C", "AC", false),
            ("*", "X", true),
            ("DB", "DB_URL", false),
            ("*A*A*A*A*A*A*A*A*B", &"A".repeat(5000), false),
        ] {
            assert_eq!(glob(pattern, name), expected, "{pattern} ~ {name}");
        }
    }

    #[test]
    fn nothing_is_chosen_until_chosen_and_an_exclude_wins() {
        assert!(!Selection::default().selects("ANY", "provider", SecretKind::Text));
        let chosen = selection(&["OPENAI_*"], &["provider"], &["*_PERSONAL"]);
        assert!(chosen.selects("OPENAI_KEY", "", SecretKind::Text));
        assert!(chosen.selects("ANTHROPIC_KEY", "Provider", SecretKind::Text));
        assert!(!chosen.selects("OPENAI_PERSONAL", "", SecretKind::Text));
        assert!(!chosen.selects("GITHUB_TOKEN", "tool", SecretKind::Text));
    }

    #[test]
    fn one_name_is_added_or_taken_out_whatever_chose_it() {
        let chosen = selection(&["OPENAI_*"], &[], &["*_PERSONAL"]);
        let name = SecretName::parse("OPENAI_KEY").unwrap();
        let out = chosen.with(&name, "", SecretKind::Text, false);
        assert!(
            !out.selects("OPENAI_KEY", "", SecretKind::Text)
                && out.selects("OPENAI_ORG", "", SecretKind::Text)
        );
        assert!(out.with(&name, "", SecretKind::Text, true).selects("OPENAI_KEY", "", SecretKind::Text));
        // A name given exactly wins over the exclude pattern, which still holds for the rest.
        let personal = SecretName::parse("OPENAI_PERSONAL").unwrap();
        let with_personal = chosen.with(&personal, "", SecretKind::Text, true);
        assert!(with_personal.selects("OPENAI_PERSONAL", "", SecretKind::Text));
        assert!(!with_personal.selects("OPENAI_OTHER_PERSONAL", "", SecretKind::Text));
        assert_eq!(with_personal.exclude, ["*_PERSONAL"]);
        assert_eq!(Selection::default().with(&name, "", SecretKind::Text, true).include, ["OPENAI_KEY"]);
    }

    #[test]
    fn rules_are_checked_trimmed_and_kept_once() {
        let kept = selection(&[" A_* ", "a_*", ""], &["provider"], &[]);
        assert_eq!(kept.include, ["A_*"]);
        for bad in ["A B", "A/B", "A\u{1b}[31m"] {
            let err = Selection::new(vec![bad.into()], vec![], vec![]).unwrap_err().to_string();
            assert!(err.contains("include pattern") && !err.contains('\u{1b}'), "{err}");
        }
    }
}
