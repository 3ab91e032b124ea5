//! The lexer: identifiers and the punctuation imports and qualified names
//! are made of, with blanks, comments and the text of literals skipped.
//!
//! The code inside Kotlin `${...}` and Scala `s"${...}"` templates is read
//! as code (a qualified name there is a real reference); an explicit stack
//! of open templates keeps the lexer iterative, however deep they nest.

use super::super::ScanError;
use super::Dialect;

/// The tokens the scanner tells apart; everything else is `Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind<'a> {
    /// An identifier or keyword; `quoted` for a backticked one, which is
    /// never a keyword.
    Ident {
        text: &'a str,
        quoted: bool,
    },
    Dot,
    Star,
    LBrace,
    RBrace,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Lt,
    Gt,
    Eq,
    /// `=>`
    Arrow,
    /// A string, character or number literal, or where a template's code
    /// starts or ends: something no name runs through.
    Literal,
    Other,
    Eof,
}

impl<'a> Kind<'a> {
    /// The text of an identifier that is not backticked: a possible keyword.
    pub(super) fn word(self) -> Option<&'a str> {
        match self {
            Kind::Ident { text, quoted: false } => Some(text),
            _ => None,
        }
    }

    /// The text of any identifier.
    pub(super) fn ident(self) -> Option<&'a str> {
        match self {
            Kind::Ident { text, .. } => Some(text),
            _ => None,
        }
    }
}

/// A token and the line it starts on.
#[derive(Clone, Copy, Debug)]
pub(super) struct Token<'a> {
    pub(super) line: u32,
    pub(super) kind: Kind<'a>,
}

/// The string literal forms, as far as finding their end goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quote {
    /// Java's `"..."`: backslash escapes, no templates.
    Java,
    /// Java's `"""` text block: backslash escapes, ends at `"""`.
    TextBlock,
    /// Kotlin's `"..."`: backslash escapes and `${}` templates.
    KotlinLine,
    /// Kotlin's `"""` raw string: `${}` templates, no escapes.
    KotlinRaw,
    /// Scala's `"..."`; `interpolated` after an interpolator (`s"..."`).
    ScalaLine { interpolated: bool },
    /// Scala's `"""` raw string, interpolated or not.
    ScalaRaw { interpolated: bool },
}

impl Quote {
    /// Ends at `"""` rather than `"`.
    fn triple(self) -> bool {
        matches!(self, Quote::TextBlock | Quote::KotlinRaw | Quote::ScalaRaw { .. })
    }

    /// `\` escapes the next character.
    fn escapes(self) -> bool {
        !matches!(self, Quote::KotlinRaw | Quote::ScalaRaw { .. })
    }

    /// `$` starts a template (`$name` or `${code}`).
    fn templates(self) -> bool {
        match self {
            Quote::KotlinLine | Quote::KotlinRaw => true,
            Quote::ScalaLine { interpolated } | Quote::ScalaRaw { interpolated } => interpolated,
            Quote::Java | Quote::TextBlock => false,
        }
    }
}

/// How a string's text ended.
enum StringEnd {
    /// At its closing quote (or, for a one-line string, the end of the line).
    Closed,
    /// At `${`: code follows until the matching `}`.
    Template,
}

/// An open `${` template: the string to return to, and the braces opened
/// in its code so far.
struct Frame {
    quote: Quote,
    braces: u32,
}

/// A character literal is never longer than this (`'\uuuu0041'` is the
/// longest form); a `'` without its close within it is no literal.
const MAX_CHAR_LITERAL: usize = 16;

/// Splits JVM source into [`Kind`] tokens.
pub(super) struct Lexer<'a> {
    text: &'a str,
    src: &'a [u8],
    pos: usize,
    line: u32,
    dialect: Dialect,
    templates: Vec<Frame>,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `text`, past a byte order mark and a `#!` line.
    pub(super) fn new(text: &'a str, dialect: Dialect) -> Lexer<'a> {
        let src = text.as_bytes();
        let mut pos = if src.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        if src[pos..].starts_with(b"#!") {
            pos += src[pos..].iter().position(|&b| b == b'\n').unwrap_or(src.len() - pos);
        }
        Lexer { text, src, pos, line: 1, dialect, templates: Vec::new() }
    }

    /// The next token; `Eof` at the end, over and over.
    pub(super) fn next(&mut self) -> Result<Token<'a>, ScanError> {
        self.trivia()?;
        let line = self.line;
        let Some(&c) = self.src.get(self.pos) else {
            return Ok(Token { line, kind: Kind::Eof });
        };
        let kind = match c {
            b'"' => {
                self.string(false)?;
                Kind::Literal
            }
            b'\'' => self.quote(),
            b'`' if self.dialect.backticks() => self.backticked(),
            b'0'..=b'9' => {
                self.number();
                Kind::Literal
            }
            c if is_ident_start(c) => {
                let ident = self.ident();
                // Scala's `s"..."`: an interpolator and its string.
                if self.dialect == Dialect::Scala && self.src.get(self.pos) == Some(&b'"') {
                    self.string(true)?;
                    Kind::Literal
                } else {
                    ident
                }
            }
            b'{' => {
                self.pos += 1;
                if let Some(frame) = self.templates.last_mut() {
                    frame.braces += 1;
                }
                Kind::LBrace
            }
            b'}' => {
                self.pos += 1;
                match self.templates.last_mut() {
                    Some(frame) if frame.braces == 0 => {
                        let quote = frame.quote;
                        self.templates.pop();
                        self.string_rest(quote, line)?;
                        Kind::Literal
                    }
                    Some(frame) => {
                        frame.braces -= 1;
                        Kind::RBrace
                    }
                    None => Kind::RBrace,
                }
            }
            _ => self.punct(c),
        };
        Ok(Token { line, kind })
    }

    fn punct(&mut self, c: u8) -> Kind<'a> {
        let next = self.src.get(self.pos + 1).copied();
        self.pos += 1;
        match c {
            b'.' => Kind::Dot,
            b'*' => Kind::Star,
            b'(' => Kind::LParen,
            b')' => Kind::RParen,
            b'[' => Kind::LBracket,
            b']' => Kind::RBracket,
            b',' => Kind::Comma,
            b'<' => Kind::Lt,
            b'>' => Kind::Gt,
            b'=' if next == Some(b'>') => {
                self.pos += 1;
                Kind::Arrow
            }
            b'=' => Kind::Eq,
            b':' if next == Some(b':') => {
                self.pos += 1;
                Kind::Other
            }
            b':' => Kind::Colon,
            _ => Kind::Other,
        }
    }

    /// An identifier.
    fn ident(&mut self) -> Kind<'a> {
        let start = self.pos;
        while self.src.get(self.pos).is_some_and(|&b| is_ident_part(b)) {
            self.pos += 1;
        }
        let text = self.text.get(start..self.pos).unwrap_or("");
        Kind::Ident { text, quoted: false }
    }

    /// `` `name` `` in Kotlin and Scala: the name, quoted. A backtick
    /// without its close on the line is `Other`.
    fn backticked(&mut self) -> Kind<'a> {
        let start = self.pos + 1;
        let len = self.src[start..].iter().position(|&b| b == b'`' || b == b'\n');
        match len {
            Some(n) if n > 0 && self.src[start + n] == b'`' => {
                self.pos = start + n + 1;
                Kind::Ident { text: self.text.get(start..start + n).unwrap_or(""), quoted: true }
            }
            _ => {
                self.pos += 1;
                Kind::Other
            }
        }
    }

    /// A number: digits, letters and `_` (`0x1F`, `1_000L`), and a `.`
    /// followed by a digit (`1.5`, but `1..n` is a range).
    fn number(&mut self) {
        while let Some(&b) = self.src.get(self.pos) {
            let fraction = b == b'.' && self.src.get(self.pos + 1).is_some_and(u8::is_ascii_digit);
            if !(b.is_ascii_alphanumeric() || b == b'_' || fraction) {
                break;
            }
            self.pos += 1;
        }
    }

    /// After `'`: a character literal, else (a Scala symbol `'name`, a
    /// stray quote) the quote alone.
    fn quote(&mut self) -> Kind<'a> {
        let start = self.pos + 1;
        let end = (start + MAX_CHAR_LITERAL).min(self.src.len());
        let mut i = start;
        while i < end {
            match self.src[i] {
                b'\\' if self.src.get(i + 1) != Some(&b'\n') => i += 2,
                b'\n' | b'\\' => break,
                b'\'' if i > start => {
                    // Scala's `'a` symbol is not closed right after one character.
                    let one_char = self.text.get(start..i).is_some_and(|s| s.chars().count() == 1);
                    if self.dialect == Dialect::Scala && !one_char && self.src[start] != b'\\' {
                        break;
                    }
                    self.pos = i + 1;
                    return Kind::Literal;
                }
                _ => i += 1,
            }
        }
        self.pos += 1;
        Kind::Other
    }

    /// Reads a string literal from its opening quote(s) at `pos`;
    /// `interpolated` after a Scala interpolator (`s"..."`).
    fn string(&mut self, interpolated: bool) -> Result<(), ScanError> {
        let line = self.line;
        let triple = self.src[self.pos..].starts_with(b"\"\"\"");
        let quote = match (self.dialect, triple) {
            (Dialect::Java, false) => Quote::Java,
            (Dialect::Java, true) => Quote::TextBlock,
            (Dialect::Kotlin, false) => Quote::KotlinLine,
            (Dialect::Kotlin, true) => Quote::KotlinRaw,
            (Dialect::Scala, false) => Quote::ScalaLine { interpolated },
            (Dialect::Scala, true) => Quote::ScalaRaw { interpolated },
        };
        self.pos += if triple { 3 } else { 1 };
        self.string_rest(quote, line)
    }

    /// Reads the rest of a string of `quote`, opened on line `line`, up to
    /// its end or to a template's code (then entered).
    fn string_rest(&mut self, quote: Quote, line: u32) -> Result<(), ScanError> {
        match self.string_body(quote) {
            Some(StringEnd::Closed) => Ok(()),
            Some(StringEnd::Template) => {
                self.templates.push(Frame { quote, braces: 0 });
                Ok(())
            }
            // A one-line string ends at the end of the file, as at the end of a line.
            None if !quote.triple() => Ok(()),
            None => Err(ScanError { line, message: "unterminated multi-line string".into() }),
        }
    }

    /// Skips string text; `None` when the file ends first.
    fn string_body(&mut self, quote: Quote) -> Option<StringEnd> {
        loop {
            let &c = self.src.get(self.pos)?;
            match c {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                    if !quote.triple() {
                        return Some(StringEnd::Closed);
                    }
                }
                b'\\' if quote.escapes() => {
                    if self.src.get(self.pos + 1) == Some(&b'\n') {
                        self.line += 1;
                    }
                    self.pos = (self.pos + 2).min(self.src.len());
                }
                b'"' if !quote.triple() => {
                    self.pos += 1;
                    return Some(StringEnd::Closed);
                }
                b'"' if self.src[self.pos..].starts_with(b"\"\"\"") => {
                    // Quotes beyond the closing three belong to the text.
                    while self.src.get(self.pos) == Some(&b'"') {
                        self.pos += 1;
                    }
                    return Some(StringEnd::Closed);
                }
                b'$' if quote.templates() => match self.src.get(self.pos + 1) {
                    Some(b'{') => {
                        self.pos += 2;
                        return Some(StringEnd::Template);
                    }
                    // Scala's `$$` is a dollar sign, not a template.
                    Some(b'$') => self.pos += 2,
                    _ => self.pos += 1,
                },
                _ => self.pos += 1,
            }
        }
    }

    /// Skips blanks and comments.
    fn trivia(&mut self) -> Result<(), ScanError> {
        loop {
            match self.src.get(self.pos) {
                Some(b'\n') => {
                    self.line += 1;
                    self.pos += 1;
                }
                Some(b' ' | b'\t' | b'\r' | b'\x0c') => self.pos += 1,
                Some(b'/') => match self.src.get(self.pos + 1) {
                    Some(b'/') => {
                        let rest = &self.src[self.pos..];
                        self.pos += rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                    }
                    Some(b'*') => self.block_comment()?,
                    _ => return Ok(()),
                },
                _ => return Ok(()),
            }
        }
    }

    /// Skips a block comment, nested ones too in Kotlin and Scala.
    fn block_comment(&mut self) -> Result<(), ScanError> {
        let line = self.line;
        self.pos += 2;
        let nested = self.dialect.nested_comments();
        let mut depth = 1usize;
        while let Some(&c) = self.src.get(self.pos) {
            let next = self.src.get(self.pos + 1).copied();
            match c {
                b'*' if next == Some(b'/') => {
                    self.pos += 2;
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                b'/' if nested && next == Some(b'*') => {
                    self.pos += 2;
                    depth += 1;
                }
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
        Err(ScanError { line, message: "unterminated comment".into() })
    }
}

/// Identifiers are ASCII letters, digits, `_`, `$` and any non-ASCII
/// character (its UTF-8 bytes, so a name is always whole characters).
fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_ident_part(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str, dialect: Dialect) -> Vec<String> {
        let mut lexer = Lexer::new(src, dialect);
        let mut out = Vec::new();
        loop {
            let token = lexer.next().unwrap();
            match token.kind {
                Kind::Eof => return out,
                Kind::Ident { text, .. } => out.push(format!("{}:{text}", token.line)),
                Kind::Literal => out.push(format!("{}:lit", token.line)),
                Kind::Dot => out.push(".".into()),
                _ => {}
            }
        }
    }

    #[test]
    fn java_comments_strings_and_text_blocks_are_skipped() {
        let src = "a /* b\n c */ d // e\n\"f \\\" g\" 'h' '\\'' \"\"\"\n i \\\"\"\" j\n\"\"\" k 1.5e3 l";
        assert_eq!(
            kinds(src, Dialect::Java),
            ["1:a", "2:d", "3:lit", "3:lit", "3:lit", "3:lit", "5:k", "5:lit", "5:l"]
        );
        // Java block comments do not nest.
        assert_eq!(kinds("/* /* */ a", Dialect::Java), ["1:a"]);
        assert!(Lexer::new("a /* b", Dialect::Java).next().is_ok());
        let mut lexer = Lexer::new("a\n\"\"\"\nb", Dialect::Java);
        lexer.next().unwrap();
        assert_eq!(lexer.next().unwrap_err().line, 2);
    }

    #[test]
    fn kotlin_templates_are_code_and_comments_nest() {
        let src = "/* a /* b */ c */ d \"e ${f.g} $h\" \"\"\"\n${ \"${i}\" } j\"\"\"\" k";
        assert_eq!(
            kinds(src, Dialect::Kotlin),
            ["1:d", "1:lit", "1:f", ".", "1:g", "1:lit", "1:lit", "2:lit", "2:i", "2:lit", "2:lit", "2:k"]
        );
        // Braces inside a template's code do not close it.
        assert_eq!(kinds("\"${ {x} }y\" z", Dialect::Kotlin), ["1:lit", "1:x", "1:lit", "1:z"]);
        assert_eq!(kinds("`a b`.c", Dialect::Kotlin), ["1:a b", ".", "1:c"]);
        assert!(Lexer::new("/* /* */", Dialect::Kotlin).next().is_err());
    }

    #[test]
    fn scala_interpolation_symbols_and_chars() {
        let src = "s\"a $$ ${b.c} $d\" \"${e}\" 'sym 'x' '\\n' raw\"\"\"${f}\n\"\"\"";
        assert_eq!(
            kinds(src, Dialect::Scala),
            [
                "1:lit", "1:b", ".", "1:c", "1:lit", "1:lit", "1:sym", "1:lit", "1:lit", "1:lit", "1:f",
                "1:lit"
            ]
        );
    }

    #[test]
    fn hostile_input_never_panics() {
        for src in
            ["'", "\"", "`", "\"\"\"", "$", "\"${", "\"${\"${", "}", "'\\", "\u{e9}'", "#!x", "\u{feff}"]
        {
            for dialect in [Dialect::Java, Dialect::Kotlin, Dialect::Scala] {
                let mut lexer = Lexer::new(src, dialect);
                for _ in 0..10 {
                    if matches!(lexer.next(), Ok(Token { kind: Kind::Eof, .. }) | Err(_)) {
                        break;
                    }
                }
            }
        }
    }
}
