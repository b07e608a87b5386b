//! Streaming masking of secret values in a child's output, as `op run` does.
//! Bytes are held back only while they could still be the start of a value, so
//! prompts without a newline still appear at once.

use aho_corasick::{AhoCorasick, MatchKind};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

pub const MASK: &[u8] = b"<concealed by keyhaven>";

pub struct Masker {
    matcher: Option<AhoCorasick>,
    values: Vec<Zeroizing<Vec<u8>>>,
    pending: Zeroizing<Vec<u8>>,
}

impl Masker {
    /// Masks every non-empty value in `values`.
    pub fn new<'a>(values: impl IntoIterator<Item = &'a SecretString>) -> Self {
        let mut values: Vec<Zeroizing<Vec<u8>>> = values
            .into_iter()
            .map(|value| value.expose_secret().as_bytes())
            .filter(|bytes| !bytes.is_empty())
            .map(|bytes| Zeroizing::new(bytes.to_vec()))
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
        let Some(matcher) = &self.matcher else {
            return chunk.to_vec();
        };
        self.pending.extend_from_slice(chunk);
        let mut out = Vec::with_capacity(self.pending.len());
        let mut start = 0;
        for found in matcher.find_iter(self.pending.as_slice()) {
            // A longer value may still complete from the same start.
            if self.could_extend(&self.pending[found.start()..]) {
                break;
            }
            out.extend_from_slice(&self.pending[start..found.start()]);
            out.extend_from_slice(MASK);
            start = found.end();
        }
        let keep = self.held_back(&self.pending[start..]);
        let emit_to = self.pending.len() - keep;
        if emit_to > start {
            out.extend_from_slice(&self.pending[start..emit_to]);
            start = emit_to;
        }
        self.pending.drain(..start);
        out
    }

    /// Flushes the rest at end of stream, masking what matches.
    pub fn finish(&mut self) -> Vec<u8> {
        let rest = Zeroizing::new(std::mem::take(&mut *self.pending));
        match &self.matcher {
            None => rest.to_vec(),
            Some(matcher) => {
                let mut out = Vec::with_capacity(rest.len());
                matcher.replace_all_with_bytes(&rest, &mut out, |_, _, dst| {
                    dst.extend_from_slice(MASK);
                    true
                });
                out
            }
        }
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
        let input = b"token=s3cr3t-value and again s3cr3t-value; other=abc\n";
        for chunk in 1..=input.len() {
            assert_eq!(
                mask_in_chunks(&["s3cr3t-value", "abc"], input, chunk),
                "token=<concealed by keyhaven> and again <concealed by keyhaven>; other=<concealed by keyhaven>\n",
                "chunk size {chunk}"
            );
        }
    }

    #[test]
    fn the_longest_value_wins_when_one_is_a_prefix_of_another() {
        for chunk in 1..8 {
            assert_eq!(
                mask_in_chunks(&["abc", "abcdef"], b"xabcdefy abcz", chunk),
                "x<concealed by keyhaven>y <concealed by keyhaven>z"
            );
        }
    }

    #[test]
    fn text_that_cannot_start_a_value_is_not_held_back() {
        let secrets = [SecretString::from("secret".to_owned())];
        let mut masker = Masker::new(&secrets);
        assert_eq!(masker.push(b"Password: "), b"Password: ");
        assert_eq!(masker.push(b"sec"), b"");
        assert_eq!(masker.push(b"ond"), b"second");
    }
}
