//! The lexer of a Go file's header: identifiers, string literals and the
//! punctuation of import declarations, with blanks and comments skipped.

use super::super::ScanError;

/// A Go string literal, as written between its quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Literal<'a> {
    /// The bytes between the quotes.
    pub(super) body: &'a [u8],
    /// A raw (backquoted) literal, whose body holds no escapes.
    pub(super) raw: bool,
}

impl Literal<'_> {
    /// The string the literal stands for; `None` for a bad escape or a
    /// value that is not UTF-8.
    pub(super) fn value(&self) -> Option<String> {
        if self.raw {
            // Go drops carriage returns from raw literals.
            let bytes: Vec<u8> = self.body.iter().copied().filter(|&b| b != b'\r').collect();
            String::from_utf8(bytes).ok()
        } else {
            unquote(self.body)
        }
    }
}

/// The tokens an import header is made of; everything else is `Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind<'a> {
    Ident(&'a [u8]),
    Str(Literal<'a>),
    Dot,
    LParen,
    RParen,
    Semi,
    Other,
    Eof,
}

/// A token and the line it starts on.
#[derive(Clone, Copy, Debug)]
pub(super) struct Token<'a> {
    pub(super) line: u32,
    pub(super) kind: Kind<'a>,
}

/// Splits Go source into the tokens of [`Kind`], skipping blanks and
/// comments.
pub(super) struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: u32,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `src`.
    pub(super) fn new(src: &'a [u8]) -> Lexer<'a> {
        // Go ignores a byte order mark at the start of a file.
        let pos = if src.starts_with("\u{feff}".as_bytes()) { 3 } else { 0 };
        Lexer { src, pos, line: 1 }
    }

    /// The next token; `Eof` at the end, forever.
    pub(super) fn next(&mut self) -> Result<Token<'a>, ScanError> {
        self.skip_blanks()?;
        let line = self.line;
        let Some(&b) = self.src.get(self.pos) else {
            return Ok(Token { line, kind: Kind::Eof });
        };
        let kind = match b {
            b'"' => self.interpreted()?,
            b'`' => self.raw()?,
            b if is_ident_start(b) => {
                let start = self.pos;
                let len = self.src[start..].iter().position(|&b| !is_ident_byte(b));
                self.pos = len.map_or(self.src.len(), |n| start + n);
                Kind::Ident(&self.src[start..self.pos])
            }
            _ => {
                self.pos += 1;
                match b {
                    b'.' => Kind::Dot,
                    b'(' => Kind::LParen,
                    b')' => Kind::RParen,
                    b';' => Kind::Semi,
                    _ => Kind::Other,
                }
            }
        };
        Ok(Token { line, kind })
    }

    /// Skips white space and comments.
    fn skip_blanks(&mut self) -> Result<(), ScanError> {
        while let Some(&b) = self.src.get(self.pos) {
            match b {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.line = self.line.saturating_add(1);
                }
                b'/' if self.src.get(self.pos + 1) == Some(&b'/') => {
                    let rest = &self.src[self.pos..];
                    self.pos += rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                }
                b'/' if self.src.get(self.pos + 1) == Some(&b'*') => {
                    let body = &self.src[self.pos + 2..];
                    let end = body.windows(2).position(|w| w == b"*/").ok_or_else(|| ScanError {
                        line: self.line,
                        message: "comment not terminated".to_string(),
                    })?;
                    self.count_lines(&body[..end]);
                    self.pos += 2 + end + 2;
                }
                _ => break,
            }
        }
        Ok(())
    }

    /// Reads a `"..."` literal; a line break or the end of the file before
    /// the closing quote is an error.
    fn interpreted(&mut self) -> Result<Kind<'a>, ScanError> {
        let start = self.pos + 1;
        let mut i = start;
        while let Some(&b) = self.src.get(i) {
            match b {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(Kind::Str(Literal { body: &self.src[start..i], raw: false }));
                }
                b'\n' => break,
                // An escape may hide a quote; a line break is never escaped.
                b'\\' if self.src.get(i + 1).is_some_and(|&n| n != b'\n') => i += 2,
                _ => i += 1,
            }
        }
        Err(ScanError { line: self.line, message: "string literal not terminated".to_string() })
    }

    /// Reads a backquoted literal, which may span lines.
    fn raw(&mut self) -> Result<Kind<'a>, ScanError> {
        let start = self.pos + 1;
        let body = &self.src[start..];
        let end = body.iter().position(|&b| b == b'`').ok_or_else(|| ScanError {
            line: self.line,
            message: "raw string literal not terminated".to_string(),
        })?;
        self.count_lines(&body[..end]);
        self.pos = start + end + 1;
        Ok(Kind::Str(Literal { body: &body[..end], raw: true }))
    }

    /// Advances the line count past the line breaks in `text`.
    fn count_lines(&mut self, text: &[u8]) {
        let n = text.iter().filter(|&&b| b == b'\n').count();
        self.line = self.line.saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
    }
}

/// True for a byte that starts an identifier; bytes of a non-ASCII
/// character count as letters, since only keywords and names matter here.
fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// True for a byte that continues an identifier.
fn is_ident_byte(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit()
}

/// The value of an interpreted string literal's body, with Go's escapes.
fn unquote(body: &[u8]) -> Option<String> {
    if !body.contains(&b'\\') {
        return String::from_utf8(body.to_vec()).ok();
    }
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while let Some(&b) = body.get(i) {
        if b == b'\\' {
            i += 1 + escape(&body[i + 1..], &mut out)?;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Appends what the escape at the start of `text` (just after its `\`)
/// stands for; returns its length, or `None` if it is not a valid escape.
fn escape(text: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    let (&kind, rest) = text.split_first()?;
    let byte = match kind {
        b'a' => 0x07,
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'v' => 0x0b,
        b'\\' | b'"' => kind,
        b'x' => u8::try_from(digits(rest.get(..2)?, 16)?).ok()?,
        b'0'..=b'7' => u8::try_from(digits(text.get(..3)?, 8)?).ok()?,
        b'u' | b'U' => {
            let width = if kind == b'u' { 4 } else { 8 };
            let c = char::from_u32(digits(rest.get(..width)?, 16)?)?;
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            return Some(1 + width);
        }
        _ => return None,
    };
    out.push(byte);
    Some(match kind {
        b'x' | b'0'..=b'7' => 3,
        _ => 1,
    })
}

/// The number written by `text` in `radix`; `None` if any byte is not a
/// digit of it.
fn digits(text: &[u8], radix: u32) -> Option<u32> {
    text.iter().try_fold(0u32, |n, &b| Some(n * radix + char::from(b).to_digit(radix)?))
}
