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
}
