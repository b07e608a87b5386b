//! Streaming masking of secret values in a child's output, as `op run` does.
//! Bytes are held back only while they could still be the start of a value
//! (or of an escape sequence, or of "\r\n"), so prompts without a newline
//! still appear at once.
//!
//! Values are matched in the text as a terminal shows it: escape sequences
//! (CSI such as colours, OSC such as titles and links, and the rest of ECMA-48's
//! forms) are left out of the match, and "\r\n" reads as "\n". So a value that
//! `grep --color` highlights in part, or a multi-line value printed through a
//! terminal that turns "\n" into "\r\n", is still found; the escape sequences
//! inside a masked value go with it, those around it are kept byte for byte.
//! What masking cannot promise (docs/cli.md, `run`): a value the child transforms
//! (encodes, reverses, prints in pieces with other text between them, or
//! draws with cursor movements) is not recognised.

use aho_corasick::{AhoCorasick, MatchKind};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

pub const MASK: &[u8] = b"<concealed by keyhaven>";

/// Values shorter than this many characters are not masked: they turn up
/// inside ordinary words and paths (a one-letter value made `ls` print
/// `a.t<concealed by keyhaven>t`), so masking them wrecks the output and hides
/// little. `scan`'s floor, for the same reason; `run` names them on stderr.
pub const MIN_MASKED: usize = crate::scan::MIN_LEN;

/// Whether a value is long enough to be masked (see [`MIN_MASKED`]).
pub fn is_masked(value: &SecretString) -> bool {
    value.expose_secret().chars().count() >= MIN_MASKED
}

/// An escape sequence longer than this is not taken for one (its bytes are
/// text), so a stray ESC never holds output back for long.
const MAX_SEQUENCE: usize = 4096;

const ESC: u8 = 0x1b;

pub struct Masker {
    matcher: Option<AhoCorasick>,
    /// The values as matched (see `view`), longest first.
    values: Vec<Zeroizing<Vec<u8>>>,
    /// Bytes read and not yet passed on.
    pending: Zeroizing<Vec<u8>>,
}

/// `raw` as it is matched: escape sequences left out and "\r\n" read as
/// "\n". Returns the kept bytes, where each kept byte is in `raw`, and where
/// the part that can be judged ends: an escape sequence or a "\r" still open
/// at the end waits for more, unless `end` says no more will come.
fn view(raw: &[u8], end: bool) -> (Zeroizing<Vec<u8>>, Vec<usize>, usize) {
    let mut kept = Zeroizing::new(Vec::with_capacity(raw.len()));
    let mut places = Vec::with_capacity(raw.len());
    let mut at = 0;
    while at < raw.len() {
        let byte = raw[at];
        if byte == ESC {
            match sequence_length(&raw[at..]) {
                Some(Length::Whole(length)) => {
                    at += length;
                    continue;
                }
                Some(Length::Open) if !end => return (kept, places, at),
                // Too long, or unfinished at the end: text.
                _ => {}
            }
        } else if byte == b'\r' {
            match raw.get(at + 1) {
                Some(b'\n') => {
                    at += 1;
                    continue;
                }
                None if !end => return (kept, places, at),
                _ => {}
            }
        }
        kept.push(byte);
        places.push(at);
        at += 1;
    }
    (kept, places, raw.len())
}

enum Length {
    /// A whole sequence of this many bytes.
    Whole(usize),
    /// It may go on past what was read.
    Open,
}

/// The escape sequence at the start of `bytes` (which starts with ESC):
/// CSI (`ESC [` … a final byte), OSC (`ESC ]` … BEL or `ESC \`), the string
/// forms DCS, SOS, PM and APC (… `ESC \`), `ESC` + intermediates + a final
/// byte, or `ESC` + one byte. `None`: longer than [`MAX_SEQUENCE`], not one.
fn sequence_length(bytes: &[u8]) -> Option<Length> {
    let within = |length: usize| (length <= MAX_SEQUENCE).then_some(Length::Whole(length));
    let open = || (bytes.len() <= MAX_SEQUENCE).then_some(Length::Open);
    let Some(&kind) = bytes.get(1) else { return open() };
    match kind {
        b'[' => match bytes[2..].iter().position(|b| (0x40..=0x7e).contains(b)) {
            Some(final_at) => within(2 + final_at + 1),
            None => open(),
        },
        b']' | b'P' | b'X' | b'^' | b'_' => {
            let body = &bytes[2..];
            let bel = if kind == b']' { body.iter().position(|&b| b == 0x07).map(|at| at + 1) } else { None };
            let st = body.windows(2).position(|pair| pair == [ESC, b'\\']).map(|at| at + 2);
            match [bel, st].into_iter().flatten().min() {
                Some(length) => within(2 + length),
                None => open(),
            }
        }
        0x20..=0x2f => match bytes[2..].iter().position(|b| !(0x20..=0x2f).contains(b)) {
            Some(final_at) => within(2 + final_at + 1),
            None => open(),
        },
        _ => within(2),
    }
}

impl Masker {
    /// Masks every value in `values` of at least [`MIN_MASKED`] characters.
    pub fn new<'a>(values: impl IntoIterator<Item = &'a SecretString>) -> Self {
        let mut values: Vec<Zeroizing<Vec<u8>>> = values
            .into_iter()
            .filter(|value| is_masked(value))
            .map(|value| view(value.expose_secret().as_bytes(), true).0)
            .filter(|bytes| !bytes.is_empty())
            .collect();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        let matcher = (!values.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(values.iter().map(|value| value.as_slice()))
                .expect("literal patterns always build")
        });
        Self { matcher, values, pending: Zeroizing::new(Vec::new()) }
    }

    /// Feeds `chunk` and returns the bytes that are safe to show now.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        if self.matcher.is_none() {
            return chunk.to_vec();
        }
        self.pending.extend_from_slice(chunk);
        self.emit(false)
    }

    /// Flushes the rest at end of stream, masking what matches.
    pub fn finish(&mut self) -> Vec<u8> {
        if self.matcher.is_none() {
            return std::mem::take(&mut *self.pending);
        }
        self.emit(true)
    }

    /// Passes on what can be judged now: every match masked, up to where a
    /// value, an escape sequence or a "\r\n" may still be completing.
    fn emit(&mut self, end: bool) -> Vec<u8> {
        let matcher = self.matcher.as_ref().expect("checked by the callers");
        let (text, places, complete) = view(&self.pending, end);
        let raw = &self.pending;
        let mut out = Vec::with_capacity(raw.len());
        let (mut emitted, mut judged) = (0, 0);
        for found in matcher.find_iter(text.as_slice()) {
            // A longer value may still complete from the same start.
            if !end && self.could_extend(&text[found.start()..]) {
                break;
            }
            let (from, to) = (places[found.start()], places[found.end() - 1] + 1);
            out.extend_from_slice(&raw[emitted..from]);
            out.extend_from_slice(MASK);
            (emitted, judged) = (to, found.end());
        }
        let keep_from = if end {
            raw.len()
        } else {
            let held = self.held_back(&text[judged..]);
            let from = if held > 0 { places[text.len() - held] } else { complete };
            from.min(complete).max(emitted)
        };
        out.extend_from_slice(&raw[emitted..keep_from]);
        self.pending.drain(..keep_from);
        out
    }

    /// Whether `tail` is a proper prefix of some longer value.
    fn could_extend(&self, tail: &[u8]) -> bool {
        self.values.iter().any(|value| value.len() > tail.len() && value.starts_with(tail))
    }

    /// Length of the longest suffix of `text` that starts some value.
    fn held_back(&self, text: &[u8]) -> usize {
        let longest = self.values.first().map_or(0, |value| value.len());
        let from = text.len().saturating_sub(longest.saturating_sub(1));
        (from..text.len()).find(|&at| self.could_extend(&text[at..])).map_or(0, |at| text.len() - at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask_in_chunks(values: &[&str], input: &[u8], chunk: usize) -> String {
        let secrets: Vec<SecretString> = values.iter().map(|v| SecretString::from(v.to_string())).collect();
        let mut masker = Masker::new(&secrets);
        let mut out = Vec::new();
        for piece in input.chunks(chunk) {
            out.extend(masker.push(piece));
        }
        out.extend(masker.finish());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn masks_values_split_across_any_chunk_boundary() {
        let input = b"token=s3cr3t-value and again s3cr3t-value; other=abcdefgh\n";
        for chunk in 1..=input.len() {
            assert_eq!(
                mask_in_chunks(&["s3cr3t-value", "abcdefgh"], input, chunk),
                "token=<concealed by keyhaven> and again <concealed by keyhaven>; other=<concealed by keyhaven>\n",
                "chunk size {chunk}"
            );
        }
    }

    #[test]
    fn the_longest_value_wins_when_one_is_a_prefix_of_another() {
        for chunk in 1..8 {
            assert_eq!(
                mask_in_chunks(&["abcdefgh", "abcdefghijk"], b"xabcdefghijky abcdefghz", chunk),
                "x<concealed by keyhaven>y <concealed by keyhaven>z"
            );
        }
    }

    #[test]
    fn text_that_cannot_start_a_value_is_not_held_back() {
        let secrets = [SecretString::from("secret12".to_owned())];
        let mut masker = Masker::new(&secrets);
        assert_eq!(masker.push(b"Password: "), b"Password: ");
        assert_eq!(masker.push(b"sec"), b"");
        assert_eq!(masker.push(b"ond"), b"second");
    }

    #[test]
    fn values_below_the_floor_are_left_alone_so_output_stays_readable() {
        // A one-letter value would turn `a.txt` into `a.t<concealed by keyhaven>t`.
        for chunk in 1..8 {
            assert_eq!(
                mask_in_chunks(&["x", "1234567"], b"a.txt 1234567 mask-me-12", chunk),
                "a.txt 1234567 mask-me-12"
            );
            assert_eq!(
                mask_in_chunks(&["x", "mask-me-12"], b"a.txt mask-me-12", chunk),
                "a.txt <concealed by keyhaven>"
            );
        }
    }

    #[test]
    fn escape_sequences_inside_a_value_do_not_hide_it_at_any_chunk_size() {
        // grep --color highlighting part of it, a hyperlink (OSC 8) and a title around it.
        let input =
            b"\x1b]0;title\x07key=sk-\x1b[01;31m\x1b[Klive\x1b[m\x1b[K-123\x1b]8;;https://x\x1b\\ and more\n";
        for chunk in 1..=input.len() {
            assert_eq!(
                mask_in_chunks(&["sk-live-123"], input, chunk),
                "\x1b]0;title\x07key=<concealed by keyhaven>\x1b]8;;https://x\x1b\\ and more\n",
                "chunk size {chunk}"
            );
        }
    }

    #[test]
    fn a_multi_line_value_is_found_with_either_line_ending() {
        let value = "-----BEGIN KEY-----\nabc\ndef\n-----END KEY-----";
        for input in [value.to_owned(), value.replace('\n', "\r\n")] {
            let input = format!("key:\r\n{input}\r\nafter\r\n");
            for chunk in 1..=input.len() {
                assert_eq!(
                    mask_in_chunks(&[value], input.as_bytes(), chunk),
                    "key:\r\n<concealed by keyhaven>\r\nafter\r\n",
                    "chunk size {chunk}"
                );
            }
        }
    }

    #[test]
    fn colours_and_a_stray_escape_pass_through_byte_for_byte() {
        let input: &[u8] = b"\x1b[1;34mdir\x1b[0m  \x1b[01;36mlink\x1b[0m\r\nlone \x1b and \r done";
        for chunk in 1..=input.len() {
            let out = mask_in_chunks(&["nothing-here"], input, chunk);
            assert_eq!(out.as_bytes(), input, "chunk size {chunk}");
        }
    }
}
