//! The Rust lexer: one pass over the bytes that tells code from comments
//! and literals, and reduces code to the few token kinds that paths, `use`
//! trees, `mod` declarations and `#[path]` attributes are made of.

use super::super::ScanError;

/// One token, reduced to what finding references needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Token<'a> {
    /// An identifier or keyword; `raw` for `r#name`, which is never a keyword.
    Ident { text: &'a str, raw: bool },
    /// `::`.
    PathSep,
    /// `.` of a field or method access (`..` and `...` are `Other`).
    Dot,
    /// `$` of a macro metavariable.
    Dollar,
    /// `>` (`->` and `=>` are `Other`).
    Gt,
    /// `<`.
    Lt,
    /// `{`.
    OpenBrace,
    /// `}`.
    CloseBrace,
    /// `,`.
    Comma,
    /// `;`.
    Semi,
    /// `*`.
    Star,
    /// `#`.
    Pound,
    /// `[`.
    OpenBracket,
    /// `]`.
    CloseBracket,
    /// `=` (`=>` is `Other`; `==` is two of these).
    Eq,
    /// A string literal (`"..."` or `r#"..."#`): its text between the
    /// quotes, escapes left as written.
    Str(&'a str),
    /// Any other literal, a lifetime, or other punctuation.
    Other,
}

/// A one-pass lexer that skips comments and literals.
pub(super) struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: u32,
}

// The per-token methods are `#[inline(always)]`: `scan` calls them for
// every token, and out of line (the compiler's choice across modules) they
// cost the call and the `Result` passed through memory each time.
impl<'a> Lexer<'a> {
    /// A lexer at the start of `src`, past a byte order mark and a shebang.
    pub(super) fn new(src: &'a str) -> Lexer<'a> {
        // A byte order mark would otherwise read as the start of an identifier.
        let pos = if src.starts_with('\u{feff}') { 3 } else { 0 };
        let mut lexer = Lexer { src, bytes: src.as_bytes(), pos, line: 1 };
        lexer.skip_shebang();
        lexer
    }

    /// The next token and the line it starts on; `None` at the end.
    #[inline(always)]
    pub(super) fn next_token(&mut self) -> Result<Option<(Token<'a>, u32)>, ScanError> {
        self.skip_trivia()?;
        let Some(&b) = self.bytes.get(self.pos) else { return Ok(None) };
        let line = self.line;
        let token = match b {
            b'"' => self.string()?,
            b'\'' => {
                self.quote();
                Token::Other
            }
            b'0'..=b'9' => {
                self.number();
                Token::Other
            }
            _ if is_ident_start(b) => self.word()?,
            _ => self.punct(b),
        };
        Ok(Some((token, line)))
    }

    /// Counts a line break (saturating: a file of 2^32 lines must not panic).
    fn newline(&mut self) {
        self.line = self.line.saturating_add(1);
    }

    /// Skips a `#!` line unless it starts an inner attribute (`#![...]`).
    fn skip_shebang(&mut self) {
        if let Some(rest) = self.bytes[self.pos..].strip_prefix(b"#!") {
            if rest.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'[') {
                self.line_comment();
            }
        }
    }

    /// Skips whitespace and comments, counting lines.
    #[inline(always)]
    fn skip_trivia(&mut self) -> Result<(), ScanError> {
        loop {
            match self.bytes.get(self.pos) {
                Some(b'\n') => {
                    self.newline();
                    self.pos += 1;
                }
                Some(b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c') => self.pos += 1,
                Some(b'/') => match self.bytes.get(self.pos + 1) {
                    Some(b'/') => self.line_comment(),
                    Some(b'*') => self.block_comment()?,
                    _ => return Ok(()),
                },
                _ => return Ok(()),
            }
        }
    }

    /// Moves to the end of the line (its `\n` is left for `skip_trivia`).
    fn line_comment(&mut self) {
        let rest = &self.bytes[self.pos..];
        self.pos += rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    }

    /// Skips a block comment; they nest, so a counter tracks the depth.
    fn block_comment(&mut self) -> Result<(), ScanError> {
        let start = self.line;
        let b = self.bytes;
        let mut depth = 1usize;
        let mut i = self.pos + 2;
        while i < b.len() {
            match (b[i], b.get(i + 1)) {
                (b'\n', _) => self.newline(),
                (b'*', Some(b'/')) => {
                    i += 1;
                    depth -= 1;
                    if depth == 0 {
                        self.pos = i + 1;
                        return Ok(());
                    }
                }
                (b'/', Some(b'*')) => {
                    i += 1;
                    depth += 1;
                }
                _ => {}
            }
            i += 1;
        }
        self.pos = b.len();
        Err(unterminated(start, "block comment"))
    }

    /// Reads a string literal whose opening `"` is at `pos`.
    fn string(&mut self) -> Result<Token<'a>, ScanError> {
        let start = self.line;
        let b = self.bytes;
        let from = self.pos + 1;
        let mut i = from;
        while i < b.len() {
            match b[i] {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(self.text(from, i));
                }
                b'\\' => {
                    if b.get(i + 1) == Some(&b'\n') {
                        self.newline();
                    }
                    i += 1;
                }
                b'\n' => self.newline(),
                _ => {}
            }
            i += 1;
        }
        self.pos = b.len();
        Err(unterminated(start, "string literal"))
    }

    /// Reads a raw string whose opening `"` is at `pos`, closed by `"` and
    /// `hashes` times `#`.
    fn raw_string(&mut self, hashes: usize) -> Result<Token<'a>, ScanError> {
        let start = self.line;
        let b = self.bytes;
        let from = self.pos + 1;
        let mut i = from;
        while i < b.len() {
            match b[i] {
                b'\n' => self.newline(),
                // The hash runs checked after distinct quotes do not overlap,
                // so the whole scan stays linear.
                b'"' if b[i + 1..].iter().take(hashes).take_while(|&&c| c == b'#').count() == hashes => {
                    self.pos = i + 1 + hashes;
                    return Ok(self.text(from, i));
                }
                _ => {}
            }
            i += 1;
        }
        self.pos = b.len();
        Err(unterminated(start, "raw string literal"))
    }

    /// Skips a character literal (`'a'`, `'\''`) or a lifetime or label
    /// (`'a`) whose `'` is at `pos`.
    fn quote(&mut self) {
        let b = self.bytes;
        let i = self.pos + 1;
        match b.get(i) {
            Some(b'\\') => {
                // The escaped byte cannot close the literal; the longest
                // escape is `\u{10FFFF}`.
                let from = (i + 2).min(b.len());
                let window = &b[from..(i + 12).min(b.len())];
                self.pos = match window.iter().position(|&c| c == b'\'' || c == b'\n') {
                    Some(n) if window[n] == b'\'' => from + n + 1,
                    _ => i,
                };
            }
            Some(&c) if c != b'\'' && b.get(i + utf8_len(c)) == Some(&b'\'') => {
                if c == b'\n' {
                    self.newline();
                }
                self.pos = i + utf8_len(c) + 1;
            }
            _ => self.pos = self.ident_end(i),
        }
    }

    /// Skips a number literal, suffix and fraction included.
    fn number(&mut self) {
        let b = self.bytes;
        let mut i = self.pos + 1;
        loop {
            match b.get(i) {
                Some(c) if c.is_ascii_alphanumeric() || *c == b'_' => i += 1,
                Some(b'.') if b.get(i + 1).is_some_and(u8::is_ascii_digit) => i += 2,
                _ => break,
            }
        }
        self.pos = i;
    }

    /// An identifier, or a literal with a prefix (`b"`, `r#"`, `c"`, `b'`).
    #[inline(always)]
    fn word(&mut self) -> Result<Token<'a>, ScanError> {
        let start = self.pos;
        self.pos = self.ident_end(start);
        match (&self.bytes[start..self.pos], self.bytes.get(self.pos)) {
            (b"b", Some(b'\'')) => {
                self.quote();
                Ok(Token::Other)
            }
            (b"b" | b"c", Some(b'"')) => {
                self.string()?;
                Ok(Token::Other)
            }
            (b"r", Some(b'"' | b'#')) => self.raw(start, false),
            (b"br" | b"cr", Some(b'"' | b'#')) => self.raw(start, true),
            _ => Ok(self.ident(start, self.pos, false)),
        }
    }

    /// After an `r`, `br` or `cr` followed by `"` or `#`: a raw string (a
    /// `Str` unless `prefixed` by `b` or `c`), a raw identifier (`r#match`),
    /// or the plain identifier.
    fn raw(&mut self, start: usize, prefixed: bool) -> Result<Token<'a>, ScanError> {
        let hashes = self.bytes[self.pos..].iter().take_while(|&&c| c == b'#').count();
        match self.bytes.get(self.pos + hashes) {
            Some(b'"') => {
                self.pos += hashes;
                let text = self.raw_string(hashes)?;
                Ok(if prefixed { Token::Other } else { text })
            }
            Some(&c) if hashes == 1 && self.pos - start == 1 && is_ident_start(c) => {
                let from = self.pos + 1;
                self.pos = self.ident_end(from);
                Ok(self.ident(from, self.pos, true))
            }
            _ => Ok(self.ident(start, self.pos, false)),
        }
    }

    /// Punctuation; only the kinds that matter to paths are told apart.
    #[inline(always)]
    fn punct(&mut self, b: u8) -> Token<'a> {
        let next = self.bytes.get(self.pos + 1).copied();
        let (token, len) = match (b, next) {
            (b':', Some(b':')) => (Token::PathSep, 2),
            (b'.', Some(b'.')) => {
                (Token::Other, if self.bytes.get(self.pos + 2) == Some(&b'.') { 3 } else { 2 })
            }
            (b'-' | b'=', Some(b'>')) => (Token::Other, 2),
            (b'.', _) => (Token::Dot, 1),
            (b'$', _) => (Token::Dollar, 1),
            (b'>', _) => (Token::Gt, 1),
            (b'<', _) => (Token::Lt, 1),
            (b'{', _) => (Token::OpenBrace, 1),
            (b'}', _) => (Token::CloseBrace, 1),
            (b',', _) => (Token::Comma, 1),
            (b';', _) => (Token::Semi, 1),
            (b'*', _) => (Token::Star, 1),
            (b'#', _) => (Token::Pound, 1),
            (b'[', _) => (Token::OpenBracket, 1),
            (b']', _) => (Token::CloseBracket, 1),
            (b'=', _) => (Token::Eq, 1),
            _ => (Token::Other, 1),
        };
        self.pos += len;
        token
    }

    /// The end of the identifier characters starting at `from`.
    #[inline(always)]
    fn ident_end(&self, from: usize) -> usize {
        let rest = self.bytes.get(from..).unwrap_or_default();
        from + rest.iter().position(|&b| !is_ident_continue(b)).unwrap_or(rest.len())
    }

    /// The identifier `start..end`; identifiers end on ASCII bytes, so the
    /// slice is on character boundaries, and `Other` guards it anyway.
    #[inline(always)]
    fn ident(&self, start: usize, end: usize, raw: bool) -> Token<'a> {
        match self.src.get(start..end) {
            Some(text) => Token::Ident { text, raw },
            None => Token::Other,
        }
    }

    /// The string literal text `start..end`, between ASCII quotes.
    fn text(&self, start: usize, end: usize) -> Token<'a> {
        self.src.get(start..end).map_or(Token::Other, Token::Str)
    }
}

/// The error for a literal or comment that runs to the end of the file.
fn unterminated(line: u32, what: &str) -> ScanError {
    ScanError { line, message: format!("unterminated {what}") }
}

/// Byte classes for the lexer's inner loops: one table load per byte.
const IDENT_START: u8 = 1;
/// See [`IDENT_START`].
const IDENT_CONTINUE: u8 = 2;

/// Non-ASCII bytes count as identifier characters: outside comments and
/// literals, valid Rust has them only in identifiers.
static CLASSES: [u8; 256] = {
    let mut classes = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            classes[b] = IDENT_START | IDENT_CONTINUE;
        } else if c.is_ascii_digit() {
            classes[b] = IDENT_CONTINUE;
        }
        b += 1;
    }
    classes
};

/// True if an identifier can start with `b`.
fn is_ident_start(b: u8) -> bool {
    CLASSES[usize::from(b)] & IDENT_START != 0
}

/// True if an identifier can continue with `b`.
fn is_ident_continue(b: u8) -> bool {
    CLASSES[usize::from(b)] & IDENT_CONTINUE != 0
}

/// The length of the UTF-8 sequence that `lead` starts.
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(line, text)` of every identifier and string literal of `src`.
    fn words(src: &str) -> Vec<(u32, String)> {
        let mut lexer = Lexer::new(src);
        let mut out = Vec::new();
        while let Some((token, line)) = lexer.next_token().unwrap() {
            match token {
                Token::Ident { text, raw } => {
                    out.push((line, format!("{}{text}", if raw { "r#" } else { "" })))
                }
                Token::Str(text) => out.push((line, format!("{text:?}"))),
                _ => {}
            }
        }
        out
    }

    fn list(items: &[(u32, &str)]) -> Vec<(u32, String)> {
        items.iter().map(|&(l, s)| (l, s.to_owned())).collect()
    }

    #[test]
    fn comments_hide_words_and_strings_keep_their_text() {
        let src = r####"// a
/// b
/* c /* nested d */ still e */
let s = "m \" o";
let r = r#"q "still" s"#;
let b = b"y"; let c = c"aa"; let br = br#"cc"#;
let ch = '"'; let ap = '\''; let by = b'"';"####;
        let want = [
            (4, "let"),
            (4, "s"),
            (4, r#""m \\\" o""#),
            (5, "let"),
            (5, "r"),
            (5, r#""q \"still\" s""#),
            (6, "let"),
            (6, "b"),
            (6, "let"),
            (6, "c"),
            (6, "let"),
            (6, "br"),
            (7, "let"),
            (7, "ch"),
            (7, "let"),
            (7, "ap"),
            (7, "let"),
            (7, "by"),
        ];
        assert_eq!(words(src), list(&want));
    }

    #[test]
    fn lifetimes_are_not_char_literals() {
        let src = "fn f<'a>(x: &'a str) { 'outer: loop { break 'outer; } }\nlet c = 'é'; z";
        let got: Vec<String> = words(src).into_iter().map(|(_, w)| w).collect();
        assert_eq!(got, ["fn", "f", "x", "str", "loop", "break", "let", "c", "z"]);
    }

    #[test]
    fn raw_identifiers_are_marked() {
        assert_eq!(words("r#match r #x"), list(&[(1, "r#match"), (1, "r"), (1, "x")]));
    }

    #[test]
    fn punctuation_that_paths_and_attributes_need() {
        let mut lexer = Lexer::new("#[path = \"x.rs\"] a::b.c $d -> => .. < > == ;");
        let mut got = Vec::new();
        while let Some((token, _)) = lexer.next_token().unwrap() {
            got.push(token);
        }
        let ident = |text| Token::Ident { text, raw: false };
        use Token::*;
        let want = [
            Pound,
            OpenBracket,
            ident("path"),
            Eq,
            Str("x.rs"),
            CloseBracket,
            ident("a"),
            PathSep,
            ident("b"),
            Dot,
            ident("c"),
            Dollar,
            ident("d"),
            Other,
            Other,
            Other,
            Lt,
            Gt,
            Eq,
            Eq,
            Semi,
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn lines_count_newlines_inside_literals_and_comments() {
        assert_eq!(
            words("/*\n\n*/ \"\n\n\" r#\"\n\"# '\\n' a"),
            list(&[(3, "\"\\n\\n\""), (5, "\"\\n\""), (6, "a")])
        );
    }

    #[test]
    fn shebang_lines_are_skipped_but_inner_attributes_are_not() {
        assert_eq!(words("#!/usr/bin/env run a\nc"), list(&[(2, "c")]));
        assert_eq!(words("#![allow(x)]"), list(&[(1, "allow"), (1, "x")]));
        assert_eq!(words("\u{feff}use a;"), list(&[(1, "use"), (1, "a")]));
    }

    #[test]
    fn unterminated_input_is_an_error_at_its_start() {
        for (src, line) in [("a;\n/* x", 2), ("\n\n\"abc", 3), ("r##\"x\"#", 1), ("/* /* */", 1)] {
            let mut lexer = Lexer::new(src);
            let err = loop {
                match lexer.next_token() {
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("{src:?} lexed"),
                    Err(err) => break err,
                }
            };
            assert_eq!(err.line, line, "{src:?}");
        }
    }
}
