//! Finding vault values where they should not be (`keyhaven scan`): each
//! version of each secret, as written and in the forms a value takes on its
//! way into files (base64 in either alphabet, at any alignment inside a
//! longer encoded blob, and percent-encoding), searched in one pass of an
//! Aho-Corasick automaton over a stream, so a file of any size is read a
//! chunk at a time. A finding names the secret and version, never the value.

use std::io::{self, Read};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use base64::{
    Engine,
    engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD},
};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::SecretName;

/// Values shorter than this would match everywhere ("true", "8080"): not
/// looked for, and said so.
pub const MIN_LEN: usize = 8;

/// How a value appeared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    Plain,
    Base64,
    UrlEncoded,
    /// As a JSON string holds it (`\"`, `\\`, `\/`, `\n`…).
    JsonEscaped,
}

impl Form {
    pub fn label(self) -> &'static str {
        match self {
            Form::Plain => "as written",
            Form::Base64 => "base64-encoded",
            Form::UrlEncoded => "URL-encoded",
            Form::JsonEscaped => "JSON-escaped",
        }
    }
}

/// Whose value was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Whose {
    /// A version of a secret.
    Secret { name: SecretName, version: u32 },
    /// A remote's own API key (the platforms' first rule: never commit one).
    RemoteKey { remote: String },
}

/// One value found: whose, how, and on which line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    #[serde(flatten)]
    pub whose: Whose,
    pub form: Form,
    /// 1-based.
    pub line: u64,
}

impl Finding {
    /// What was found, for a person: never the value.
    pub fn describe(&self) -> String {
        match &self.whose {
            Whose::Secret { name, version } => format!("{name} (version {version}, {})", self.form.label()),
            Whose::RemoteKey { remote } => format!("the API key of remote {remote} ({})", self.form.label()),
        }
    }
}

/// What one value is looked for as.
struct Owner {
    whose: Whose,
    form: Form,
}

/// Every pattern to look for, with whose value each one is.
pub struct Needles {
    matcher: Option<AhoCorasick>,
    owners: Vec<Owner>,
    /// The patterns themselves, wiped when dropped.
    _patterns: Vec<Zeroizing<Vec<u8>>>,
    longest: usize,
    /// The shortest pattern's length, and a bitmap of the hashed 4-byte runs
    /// each pattern starts with up to there: text is sampled every
    /// `shortest - 3` bytes, and only a hit there is searched in full (see
    /// `Needles::candidates`).
    shortest: usize,
    grams: Zeroizing<Vec<u64>>,
    /// Secrets with a version too short to look for.
    pub too_short: Vec<SecretName>,
}

/// 4-byte runs, hashed into 2^23 bits (1 MiB): with a few thousand patterns
/// about 1% of samples are false alarms.
const GRAM: usize = 4;
const GRAM_BITS: u32 = 23;

fn gram_bit(bytes: &[u8]) -> usize {
    let run = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    (run.wrapping_mul(0x9E37_79B1) >> (32 - GRAM_BITS)) as usize
}

impl Needles {
    pub fn new(values: &[(SecretName, u32, SecretString)]) -> Self {
        Self::with_remote_keys(values, &[])
    }

    /// Every version of every value, and each remote's own API key `(remote, key)`.
    pub fn with_remote_keys(
        values: &[(SecretName, u32, SecretString)],
        keys: &[(String, SecretString)],
    ) -> Self {
        let mut patterns: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        let mut owners = Vec::new();
        let mut too_short = Vec::new();
        let secrets = values
            .iter()
            .map(|(name, version, value)| (Whose::Secret { name: name.clone(), version: *version }, value));
        let keys = keys.iter().map(|(remote, key)| (Whose::RemoteKey { remote: remote.clone() }, key));
        for (whose, value) in secrets.chain(keys) {
            let value = value.expose_secret().as_bytes();
            if value.len() < MIN_LEN {
                if let Whose::Secret { name, .. } = &whose
                    && !too_short.contains(name)
                {
                    too_short.push(name.clone());
                }
                continue;
            }
            for (form, pattern) in forms(value) {
                if pattern.len() >= MIN_LEN && !patterns.contains(&pattern) {
                    patterns.push(pattern);
                    owners.push(Owner { whose: whose.clone(), form });
                }
            }
        }
        // The automaton runs only where the 4-byte sample says a pattern may
        // be (`candidates`): the contiguous NFA, quick to build for thousands
        // of patterns, rather than a DFA that takes longer to build than most
        // scans take to run.
        let matcher = (!patterns.is_empty()).then(|| {
            AhoCorasick::builder()
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .match_kind(MatchKind::LeftmostLongest)
                .build(patterns.iter().map(|pattern| pattern.as_slice()))
                .expect("literal patterns always build")
        });
        let longest = patterns.iter().map(|pattern| pattern.len()).max().unwrap_or(0);
        let shortest = patterns.iter().map(|pattern| pattern.len()).min().unwrap_or(MIN_LEN);
        let mut grams = Zeroizing::new(vec![0u64; (1 << GRAM_BITS) / 64]);
        for pattern in &patterns {
            for start in 0..=shortest - GRAM {
                let bit = gram_bit(&pattern[start..]);
                grams[bit / 64] |= 1 << (bit % 64);
            }
        }
        Needles { matcher, owners, _patterns: patterns, longest, shortest, grams, too_short }
    }

    /// How many patterns (values times forms) are looked for.
    pub fn len(&self) -> usize {
        self.owners.len()
    }

    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }

    /// The stretches of `window` that may hold a pattern, in order and not
    /// overlapping. Every pattern is at least `shortest` long, so any
    /// occurrence covers one of the positions sampled every `shortest - 3`
    /// bytes, and the 4 bytes there are among those the patterns hold in
    /// their first `shortest` bytes: only around such a sample does the
    /// automaton run. Most text is never searched in full.
    fn candidates(&self, window: &[u8]) -> Vec<(usize, usize)> {
        let (back, stride) = (self.shortest - GRAM, self.shortest - GRAM + 1);
        let mut stretches: Vec<(usize, usize)> = Vec::new();
        let mut at = 0;
        while at + GRAM <= window.len() {
            let bit = gram_bit(&window[at..]);
            if self.grams[bit / 64] & (1 << (bit % 64)) != 0 {
                let (from, to) = (at.saturating_sub(back), (at + self.longest).min(window.len()));
                match stretches.last_mut() {
                    Some(last) if from <= last.1 => last.1 = last.1.max(to),
                    _ => stretches.push((from, to)),
                }
            }
            at += stride;
        }
        stretches
    }

    /// A scanner with its own buffer, for many files or blobs in a row (a
    /// buffer per blob would cost more than the search for small ones).
    pub fn scanner(&self) -> Scanner<'_> {
        Scanner { needles: self, buffer: Zeroizing::new(Vec::new()) }
    }

    /// Reads `from` to its end and reports each finding ([`Scanner::scan`]).
    pub fn scan(&self, from: impl Read, found: impl FnMut(Finding)) -> io::Result<()> {
        self.scanner().scan(from, found)
    }
}

/// Searches one stream after another with the same buffer.
pub struct Scanner<'a> {
    needles: &'a Needles,
    buffer: Zeroizing<Vec<u8>>,
}

impl Scanner<'_> {
    /// Reads `from` to its end a chunk at a time and reports each finding.
    /// A value across two chunks is found: each chunk is searched with the
    /// tail of the one before it.
    pub fn scan(&mut self, mut from: impl Read, mut found: impl FnMut(Finding)) -> io::Result<()> {
        let needles = self.needles;
        let Some(matcher) = &needles.matcher else {
            return io::copy(&mut from, &mut io::sink()).map(|_| ());
        };
        const CHUNK: usize = 1 << 20;
        let keep = needles.longest.saturating_sub(1);
        if self.buffer.len() < keep + CHUNK {
            self.buffer.resize(keep + CHUNK, 0);
        }
        let buffer = &mut self.buffer;
        // Bytes of the previous chunk kept at the front, and the line their start is on.
        let (mut carried, mut line) = (0usize, 1u64);
        loop {
            let read = read_full(&mut from, &mut buffer[carried..])?;
            if read == 0 {
                return Ok(());
            }
            let filled = carried + read;
            let window = &buffer[..filled];
            let mut counted = (0usize, line);
            for (from, to) in needles.candidates(window) {
                for hit in matcher.find_iter(&window[from..to]) {
                    let (start, end) = (from + hit.start(), from + hit.end());
                    // A match entirely inside the carried bytes was reported already.
                    if end <= carried {
                        continue;
                    }
                    let (at, lines) = counted;
                    counted = (start, lines + count_lines(&window[at..start]));
                    let owner = &needles.owners[hit.pattern().as_usize()];
                    found(Finding { whose: owner.whose.clone(), form: owner.form, line: counted.1 });
                }
            }
            let next = filled.saturating_sub(keep);
            line += count_lines(&window[..next]);
            buffer.copy_within(next..filled, 0);
            carried = filled - next;
        }
    }
}

/// Fills `buffer` as far as `from` goes (a pipe gives a little at a time).
fn read_full(from: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match from.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

fn count_lines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// The value as written, percent-encoded where that differs, and base64 in
/// both alphabets at each of the three alignments a value can have inside a
/// longer encoded blob (only the characters that depend on the value alone).
fn forms(value: &[u8]) -> Vec<(Form, Zeroizing<Vec<u8>>)> {
    let mut out = vec![(Form::Plain, Zeroizing::new(value.to_vec()))];
    let mut add = |form, pattern: Zeroizing<Vec<u8>>| {
        if pattern.as_slice() != value && !out.iter().any(|(_, known)| *known == pattern) {
            out.push((form, pattern));
        }
    };
    // Percent-encoding as each common encoder writes it: HTML forms and
    // Rust's url (`*-._` kept, space as `+` or `%20`), RFC 3986's unreserved
    // set (`-._~`), Python's `quote` (those and `/`), JavaScript's
    // `encodeURIComponent` (`-_.!~*'()`); hex digits in either case.
    let form: fn(u8) -> bool = |b| b.is_ascii_alphanumeric() || b"*-._".contains(&b);
    let unreserved: fn(u8) -> bool = |b| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    let python: fn(u8) -> bool = |b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b);
    let javascript: fn(u8) -> bool = |b| b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b);
    for keep in [form, unreserved, python, javascript] {
        for lower in [false, true] {
            add(Form::UrlEncoded, percent(value, keep, lower, None));
        }
    }
    add(Form::UrlEncoded, percent(value, form, false, Some(b'+')));
    // In a JSON string, with and without `/` escaped (PHP escapes it).
    if let Ok(text) = std::str::from_utf8(value) {
        let json = Zeroizing::new(serde_json::to_string(text).expect("strings serialise"));
        let inner = &json.as_bytes()[1..json.len() - 1];
        add(Form::JsonEscaped, Zeroizing::new(inner.to_vec()));
        let slashes = Zeroizing::new(String::from_utf8_lossy(inner).replace('/', "\\/"));
        add(Form::JsonEscaped, Zeroizing::new(slashes.as_bytes().to_vec()));
    }
    for offset in 0..3usize {
        let mut shifted = Zeroizing::new(vec![0u8; offset]);
        shifted.extend_from_slice(value);
        // Characters before `skip` also depend on the unknown bytes ahead of
        // the value; those after the last whole group, on the bytes after it.
        let skip = [0, 2, 3][offset];
        let whole = shifted.len() / 3 * 4;
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let text = Zeroizing::new(engine.encode(&*shifted));
            if whole > skip {
                out.push((Form::Base64, Zeroizing::new(text.as_bytes()[skip..whole].to_vec())));
            }
        }
    }
    out
}

/// `value` percent-encoded: bytes `keep` allows as they are, a space as
/// `space` when given, every other byte as `%XX` in upper or lower case.
fn percent(value: &[u8], keep: fn(u8) -> bool, lower: bool, space: Option<u8>) -> Zeroizing<Vec<u8>> {
    let digits: &[u8; 16] = if lower { b"0123456789abcdef" } else { b"0123456789ABCDEF" };
    let mut out = Zeroizing::new(Vec::with_capacity(value.len() * 3));
    for &byte in value {
        match (keep(byte), space) {
            (true, _) => out.push(byte),
            (false, Some(plus)) if byte == b' ' => out.push(plus),
            _ => {
                out.extend_from_slice(&[b'%', digits[usize::from(byte >> 4)], digits[usize::from(byte & 15)]])
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needles(values: &[(&str, u32, &str)]) -> Needles {
        let values: Vec<_> = values
            .iter()
            .map(|&(name, version, value)| {
                (SecretName::parse(name).unwrap(), version, SecretString::from(value))
            })
            .collect();
        Needles::new(&values)
    }

    fn found(needles: &Needles, text: &[u8]) -> Vec<(String, u32, Form, u64)> {
        let mut out = Vec::new();
        needles
            .scan(text, |f| {
                let Whose::Secret { name, version } = f.whose else { panic!("{f:?}") };
                out.push((name.to_string(), version, f.form, f.line))
            })
            .unwrap();
        out
    }

    #[test]
    fn plain_base64_at_every_alignment_and_url_encoded() {
        let value = "sk-live-4f9a/b+c==x";
        let n = needles(&[("API_KEY", 2, value)]);
        assert_eq!(
            found(&n, format!("a\nkey={value}\n").as_bytes()),
            [("API_KEY".into(), 2, Form::Plain, 2)]
        );
        for prefix in ["", "x", "xy", "xyz"] {
            for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
                let blob = engine.encode(format!("{prefix}token:{value};more"));
                let hits = found(&n, blob.as_bytes());
                assert_eq!(hits.len(), 1, "{prefix:?}: {blob}");
                assert_eq!(hits[0].2, Form::Base64);
            }
        }
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        assert_eq!(found(&n, format!("https://x/?k={encoded}").as_bytes())[0].2, Form::UrlEncoded);
        assert!(found(&n, b"nothing here, sk-live-4f9a").is_empty());
    }

    #[test]
    fn every_common_percent_encoding_and_json_escaping_is_found() {
        let value = "sk/live 4f9a~b+c'd\"e";
        let n = needles(&[("API_KEY", 1, value)]);
        let python_quote = "sk/live%204f9a~b%2Bc%27d%22e";
        let lower = "sk%2flive%204f9a%7eb%2bc%27d%22e";
        let javascript = "sk%2Flive%204f9a~b%2Bc'd%22e";
        let form_plus = "sk%2Flive+4f9a%7Eb%2Bc%27d%22e";
        for text in [python_quote, lower, javascript, form_plus] {
            let hits = found(&n, format!("url={text}&x").as_bytes());
            assert_eq!(hits.iter().map(|h| h.2).collect::<Vec<_>>(), [Form::UrlEncoded], "{text}");
        }
        for text in [r#"{"k":"sk/live 4f9a~b+c'd\"e"}"#, r#"{"k":"sk\/live 4f9a~b+c'd\"e"}"#] {
            let hits = found(&n, text.as_bytes());
            assert_eq!(hits.iter().map(|h| h.2).collect::<Vec<_>>(), [Form::JsonEscaped], "{text}");
        }
    }

    #[test]
    fn a_value_across_chunks_is_found_once_with_its_line() {
        let n = needles(&[("TOKEN", 1, "0123456789abcdef")]);
        let mut text = "line\n".repeat(300_000).into_bytes(); // 1.5 MB: crosses the 1 MiB chunk
        let at = (1 << 20) - 7;
        text.splice(at..at + 16, *b"0123456789abcdef");
        let lines = text[..at].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        assert_eq!(found(&n, &text), [("TOKEN".into(), 1, Form::Plain, lines)]);
    }

    #[test]
    fn short_values_are_not_looked_for_and_are_named() {
        let n = needles(&[("PORT", 1, "8080"), ("OK", 1, "long-enough-value")]);
        assert_eq!(n.too_short.iter().map(SecretName::as_str).collect::<Vec<_>>(), ["PORT"]);
        assert!(found(&n, b"port 8080").is_empty());
    }

    #[test]
    fn the_sampling_never_misses_a_planted_value() {
        // A small deterministic generator: no dependency, same cases every run.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below as u64) as usize
        };
        for round in 0..60 {
            let values: Vec<String> = (0..1 + next(6))
                .map(|_| (0..MIN_LEN + next(30)).map(|_| char::from(b'a' + next(26) as u8)).collect())
                .collect();
            let named: Vec<(&str, u32, &str)> = values.iter().map(|value| ("K", 1, value.as_str())).collect();
            let n = needles(&named);
            let mut text: Vec<u8> = (0..next(3 << 19)).map(|_| b"ab \n"[next(4)]).collect();
            let mut planted = 0;
            for value in &values {
                for _ in 0..1 + next(3) {
                    let at = next(text.len() + 1);
                    text.splice(at..at, value.bytes().chain(*b" "));
                    planted += 1;
                }
            }
            let hits = found(&n, &text).len();
            assert!(hits >= planted, "round {round}: {hits} found of {planted} planted");
        }
    }
}
