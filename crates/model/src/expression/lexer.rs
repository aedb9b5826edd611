//! Splits an expression string into tokens.
//!
//! The token classes follow DynamoDB's expression lexer: operators, the nine keywords (matched
//! case-insensitively, and only as whole words: `ANDY` is a name), list indexes (`0` or a digit
//! string without a leading zero), names (`[A-Za-z][A-Za-z0-9_]*`), placeholders (`#` or `:`
//! followed by at least one `[A-Za-z0-9_]`), quoted strings (which no grammar rule accepts, so
//! they only ever appear in syntax errors) and, for anything else, a one-character `Unknown`
//! token. Lexing never fails: every problem surfaces as a syntax error at the parser, which
//! names the offending token and its neighbours the way DynamoDB does.

/// What kind of token a [`Token`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `,`
    Comma,
    /// `.`
    Dot,
    /// A keyword, matched case-insensitively.
    Keyword(Keyword),
    /// A list index: `0` or a digit string starting with `1`-`9`.
    Index,
    /// An attribute or function name.
    Name,
    /// `#name`: an expression attribute name placeholder.
    NamePlaceholder,
    /// `:name`: an expression attribute value placeholder.
    ValuePlaceholder,
    /// A single- or double-quoted string; never valid in DynamoDB's grammar.
    QuotedString,
    /// Any other character.
    Unknown,
    /// End of input; zero-width, rendered as `<EOF>`.
    Eof,
}

/// The words the lexer reserves for the grammar itself (not the long list of words that may not
/// be used as bare attribute names; see `reserved`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    And,
    Or,
    Not,
    Between,
    In,
    Set,
    Remove,
    Add,
    Delete,
}

impl Keyword {
    fn from_word(word: &str) -> Option<Keyword> {
        const WORDS: [(&str, Keyword); 9] = [
            ("AND", Keyword::And),
            ("OR", Keyword::Or),
            ("NOT", Keyword::Not),
            ("BETWEEN", Keyword::Between),
            ("IN", Keyword::In),
            ("SET", Keyword::Set),
            ("REMOVE", Keyword::Remove),
            ("ADD", Keyword::Add),
            ("DELETE", Keyword::Delete),
        ];
        WORDS
            .iter()
            .find(|(text, _)| text.eq_ignore_ascii_case(word))
            .map(|&(_, keyword)| keyword)
    }
}

/// One token: its kind and its byte range in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte; equal to `start` for [`TokenKind::Eof`].
    pub end: usize,
}

impl Token {
    /// The token's text as DynamoDB prints it in a syntax error.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        match self.kind {
            TokenKind::Eof => "<EOF>",
            _ => &source[self.start..self.end],
        }
    }
}

fn is_name_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic()
}

fn is_name_part(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Splits `source` into tokens, whitespace dropped, always ending with one [`TokenKind::Eof`].
pub(crate) fn tokenize(source: &str) -> Vec<Token> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::with_capacity(source.len() / 2 + 1);
    let mut pos = 0;
    while pos < bytes.len() {
        let byte = bytes[pos];
        if matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
            pos += 1;
            continue;
        }
        let (kind, len) = scan(source, pos);
        debug_assert!(len > 0, "every scan consumes input");
        tokens.push(Token {
            kind,
            start: pos,
            end: pos + len,
        });
        pos += len;
    }
    tokens.push(Token {
        kind: TokenKind::Eof,
        start: source.len(),
        end: source.len(),
    });
    tokens
}

/// Scans the token starting at `pos` (not whitespace): its kind and length in bytes.
fn scan(source: &str, pos: usize) -> (TokenKind, usize) {
    let bytes = source.as_bytes();
    let next = bytes.get(pos + 1).copied();
    let run = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|&&b| is_name_part(b))
            .count()
    };
    match bytes[pos] {
        b'=' => (TokenKind::Eq, 1),
        b'<' if next == Some(b'>') => (TokenKind::Ne, 2),
        b'<' if next == Some(b'=') => (TokenKind::Le, 2),
        b'<' => (TokenKind::Lt, 1),
        b'>' if next == Some(b'=') => (TokenKind::Ge, 2),
        b'>' => (TokenKind::Gt, 1),
        b'+' => (TokenKind::Plus, 1),
        b'-' => (TokenKind::Minus, 1),
        b'(' => (TokenKind::LParen, 1),
        b')' => (TokenKind::RParen, 1),
        b'[' => (TokenKind::LBracket, 1),
        b']' => (TokenKind::RBracket, 1),
        b',' => (TokenKind::Comma, 1),
        b'.' => (TokenKind::Dot, 1),
        b'0' => (TokenKind::Index, 1),
        b'1'..=b'9' => {
            let len = bytes[pos..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            (TokenKind::Index, len)
        }
        b'#' | b':' => match run(pos + 1) {
            0 => (TokenKind::Unknown, 1),
            len if bytes[pos] == b'#' => (TokenKind::NamePlaceholder, len + 1),
            len => (TokenKind::ValuePlaceholder, len + 1),
        },
        byte if is_name_start(byte) => {
            let len = run(pos);
            let kind = match Keyword::from_word(&source[pos..pos + len]) {
                Some(keyword) => TokenKind::Keyword(keyword),
                None => TokenKind::Name,
            };
            (kind, len)
        }
        quote @ (b'"' | b'\'') => match quoted_len(bytes, pos, quote) {
            Some(len) => (TokenKind::QuotedString, len),
            None => (TokenKind::Unknown, 1),
        },
        _ => {
            // One whole character, so that token boundaries stay on UTF-8 boundaries.
            let len = source[pos..].chars().next().map_or(1, char::len_utf8);
            (TokenKind::Unknown, len)
        }
    }
}

/// Length of the quoted string starting at `pos`, up to and including the first closing quote
/// not preceded by a backslash; `None` if it is never closed.
fn quoted_len(bytes: &[u8], pos: usize, quote: u8) -> Option<usize> {
    let mut i = pos + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if bytes.get(i + 1) == Some(&quote) => i += 2,
            b if b == quote => return Some(i + 1 - pos),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        tokenize(source).into_iter().map(|t| t.kind).collect()
    }

    fn texts(source: &str) -> Vec<&str> {
        tokenize(source).iter().map(|t| t.text(source)).collect()
    }

    #[test]
    fn operators_take_the_longest_match() {
        use TokenKind::*;
        assert_eq!(kinds("<><=>=<>=< >"), vec![Ne, Le, Ge, Ne, Eq, Lt, Gt, Eof]);
    }

    #[test]
    fn keywords_are_whole_words_in_any_case() {
        use TokenKind::*;
        assert_eq!(
            kinds("and AnD andy or_ NOT between In"),
            vec![
                Keyword(super::Keyword::And),
                Keyword(super::Keyword::And),
                Name,
                Name,
                Keyword(super::Keyword::Not),
                Keyword(super::Keyword::Between),
                Keyword(super::Keyword::In),
                Eof
            ]
        );
    }

    #[test]
    fn indexes_have_no_leading_zeros() {
        assert_eq!(texts("007 12a"), vec!["0", "0", "7", "12", "a", "<EOF>"]);
    }

    #[test]
    fn placeholders_need_at_least_one_character() {
        use TokenKind::*;
        assert_eq!(
            kinds("#a_1 :_ # : #-"),
            vec![
                NamePlaceholder,
                ValuePlaceholder,
                Unknown,
                Unknown,
                Unknown,
                Minus,
                Eof
            ]
        );
    }

    #[test]
    fn names_start_with_a_letter() {
        assert_eq!(texts("_abc a_b9"), vec!["_", "abc", "a_b9", "<EOF>"]);
    }

    #[test]
    fn quoted_strings_are_single_tokens() {
        assert_eq!(
            texts(r#"a = "x \" y" 'z"#),
            vec!["a", "=", r#""x \" y""#, "'", "z", "<EOF>"]
        );
    }

    #[test]
    fn non_ascii_characters_are_one_token_each() {
        assert_eq!(texts("ü>a"), vec!["ü", ">", "a", "<EOF>"]);
    }

    #[test]
    fn offsets_cover_the_source() {
        let source = "  SET a.b[12] = :v ";
        let tokens = tokenize(source);
        assert_eq!(&source[tokens[0].start..tokens[0].end], "SET");
        let eof = tokens.last().unwrap();
        assert_eq!((eof.start, eof.end), (source.len(), source.len()));
    }
}
