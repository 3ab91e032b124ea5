//! F-strings and t-strings: replacement fields may hold any expression,
//! other strings and f-strings included, read with an explicit stack.

use super::super::ScanError;
use super::lex::{is_ident, unterminated, Lexer, Prefix};

/// Deepest f-string nesting (string, field and format-spec frames together)
/// accepted; CPython gives up at a similar depth, and the cap bounds memory.
const MAX_FSTRING_FRAMES: usize = 600;

/// The literal part of an f-string being read.
#[derive(Clone, Copy, Debug)]
pub(super) struct Literal {
    pub(super) raw: bool,
    pub(super) quote: u8,
    pub(super) triple: bool,
    /// Where the string starts, for the error when it never ends.
    pub(super) line: u32,
}

/// One level of f-string nesting, innermost last on the lexer's stack.
#[derive(Clone, Copy, Debug)]
enum Frame {
    /// Text of an f-string, up to a `{` or its closing quote.
    Literal(Literal),
    /// A replacement field's expression; `depth` counts brackets opened in it.
    Field { depth: u32 },
    /// A format spec (after `:` in a field): text, until `}`.
    Spec,
}

impl Lexer<'_> {
    /// Steps past the end of an f-string (or t-string), whose replacement
    /// fields may hold any expression, other strings and f-strings included.
    /// An explicit stack keeps the nesting off the call stack.
    pub(super) fn fstring(&mut self, literal: Literal) -> Result<(), ScanError> {
        let mut frames = vec![Frame::Literal(literal)];
        while let Some(&top) = frames.last() {
            if frames.len() > MAX_FSTRING_FRAMES {
                return Err(ScanError { line: literal.line, message: "f-string nested too deeply".into() });
            }
            if self.i >= self.b.len() {
                return Err(unterminated(literal.line));
            }
            match top {
                Frame::Literal(lit) => self.fstring_literal(lit, &mut frames),
                Frame::Field { .. } => self.fstring_field(&mut frames)?,
                Frame::Spec => self.fstring_spec(&mut frames),
            }
        }
        Ok(())
    }

    /// Reads f-string text until a replacement field opens or the string ends.
    fn fstring_literal(&mut self, lit: Literal, frames: &mut Vec<Frame>) {
        while let Some(c) = self.peek(0) {
            match c {
                b'\\' => self.fstring_escape(lit),
                b'{' if self.peek(1) == Some(b'{') => self.i += 2,
                b'{' => {
                    self.i += 1;
                    frames.push(Frame::Field { depth: 0 });
                    return;
                }
                b'\n' | b'\r' if !lit.triple => {
                    frames.pop();
                    return;
                }
                b'\n' | b'\r' => self.newline(),
                _ if c == lit.quote && self.closes(lit) => {
                    self.i += if lit.triple { 3 } else { 1 };
                    frames.pop();
                    return;
                }
                _ => self.i += 1,
            }
        }
    }

    /// True if the quote at the cursor ends the string `lit`.
    fn closes(&self, lit: Literal) -> bool {
        self.peek(0) == Some(lit.quote)
            && (!lit.triple || (self.peek(1) == Some(lit.quote) && self.peek(2) == Some(lit.quote)))
    }

    /// Steps over a backslash escape in f-string text. `\{` leaves the
    /// brace to open a field; `\N{...}` names a character.
    fn fstring_escape(&mut self, lit: Literal) {
        self.i += 1;
        match self.peek(0) {
            Some(b'{' | b'}') | None => {}
            Some(b'\n' | b'\r') => self.newline(),
            Some(b'N') if !lit.raw && self.peek(1) == Some(b'{') => {
                self.i += 2;
                while let Some(c) = self.peek(0) {
                    if c == b'}' {
                        self.i += 1;
                        break;
                    }
                    if c == lit.quote || c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.i += 1;
                }
            }
            Some(_) => self.i += 1,
        }
    }

    /// Reads a replacement field's expression until it ends (`}`), its
    /// format spec starts (`:`), or a nested f-string opens.
    fn fstring_field(&mut self, frames: &mut Vec<Frame>) -> Result<(), ScanError> {
        while let Some(c) = self.peek(0) {
            let Some(Frame::Field { depth }) = frames.last_mut() else { return Ok(()) };
            match c {
                b'\n' | b'\r' => self.newline(),
                b'#' => self.skip_comment(),
                b'\\' => self.backslash(),
                b'(' | b'[' | b'{' => {
                    *depth = depth.saturating_add(1);
                    self.i += 1;
                }
                b')' | b']' => {
                    *depth = depth.saturating_sub(1);
                    self.i += 1;
                }
                b'}' | b':' if *depth == 0 => {
                    self.i += 1;
                    if c == b'}' {
                        frames.pop();
                    } else {
                        frames.push(Frame::Spec);
                    }
                    return Ok(());
                }
                b'}' => {
                    *depth -= 1;
                    self.i += 1;
                }
                b'"' | b'\'' => {
                    if self.nested_string(Prefix::default(), frames)? {
                        return Ok(());
                    }
                }
                c if is_ident(c) => {
                    let (len, word) = self.ident_at(self.i);
                    self.i += len;
                    let prefix = Prefix::parse(word.as_bytes());
                    if let (Some(b'"' | b'\''), Some(prefix)) = (self.peek(0), prefix) {
                        if self.nested_string(prefix, frames)? {
                            return Ok(());
                        }
                    }
                }
                _ => self.i += 1,
            }
        }
        Ok(())
    }

    /// Reads a string inside a replacement field: a plain one whole, an
    /// f-string by pushing its frame (then returns true).
    fn nested_string(&mut self, prefix: Prefix, frames: &mut Vec<Frame>) -> Result<bool, ScanError> {
        if !prefix.formatted {
            self.string(prefix)?;
            return Ok(false);
        }
        let quote = self.b[self.i];
        let triple = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        self.i += if triple { 3 } else { 1 };
        frames.push(Frame::Literal(Literal { raw: prefix.raw, quote, triple, line: self.line }));
        Ok(true)
    }

    /// Reads a format spec until its field ends (`}`) or a nested field
    /// opens (`{`). The enclosing string's closing quote, or a line break
    /// in a one-line string, ends the field early so a broken spec cannot
    /// swallow the file.
    fn fstring_spec(&mut self, frames: &mut Vec<Frame>) {
        let lit = frames.iter().rev().find_map(|f| match f {
            Frame::Literal(lit) => Some(*lit),
            _ => None,
        });
        while let Some(c) = self.peek(0) {
            let breaks = matches!(c, b'\n' | b'\r');
            if lit.is_some_and(|lit| (breaks && !lit.triple) || self.closes(lit)) {
                while !matches!(frames.last(), Some(Frame::Literal(_)) | None) {
                    frames.pop();
                }
                return;
            }
            match c {
                b'{' => {
                    self.i += 1;
                    frames.push(Frame::Field { depth: 0 });
                    return;
                }
                b'}' => {
                    self.i += 1;
                    frames.truncate(frames.len().saturating_sub(2));
                    return;
                }
                b'\\' if matches!(self.peek(1), Some(b'{' | b'}')) => self.i += 1,
                b'\\' => self.backslash(),
                _ if breaks => self.newline(),
                _ => self.i += 1,
            }
        }
    }
}
