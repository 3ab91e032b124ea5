//! Double-quoted and backtick strings, heredocs and nowdocs: their text
//! is skipped, the code of their `{$...}` and `${...}` interpolations is
//! read as tokens.

use super::lex::{is_ident, is_ident_start, Frame, Kind, Lexer, Token};

impl Lexer<'_> {
    /// The text of a `"` or `` ` `` string up to its end (an `Other`
    /// token) or to an interpolation (its `{`).
    pub(super) fn quoted_body(&mut self) -> Option<Token> {
        let Some(&Frame::Quoted { close, start }) = self.frames.last() else { return None };
        let src = self.src;
        while let Some(i) =
            src[self.pos..].iter().position(|&b| matches!(b, b'\\' | b'{' | b'$') || b == close)
        {
            self.pos += i;
            let b = src[self.pos];
            if b == close {
                self.pos += 1;
                self.frames.pop();
                return Some(Token { kind: Kind::Other, start, end: self.pos });
            }
            if let Some(token) = self.interpolation(b) {
                return Some(token);
            }
            self.pos = (self.pos + if b == b'\\' { 2 } else { 1 }).min(src.len());
        }
        self.fail(start, "unterminated string")
    }

    /// At `{$` or `${`: opens an interpolation and returns its `{`.
    fn interpolation(&mut self, b: u8) -> Option<Token> {
        let next = self.byte(self.pos + 1);
        let len = match (b, next) {
            (b'{', b'$') => 1,
            (b'$', b'{') => 2,
            _ => return None,
        };
        let start = self.pos;
        self.pos += len;
        self.frames.push(Frame::Interp { depth: 0 });
        Some(Token { kind: Kind::Punct(b'{'), start, end: self.pos })
    }

    /// `<<<LABEL`, `<<<"LABEL"` or `<<<'LABEL'` and its newline. A heredoc
    /// pushes a frame (its body has interpolation); a nowdoc is skipped.
    /// Anything else is the `<<` operator and a `<`.
    pub(super) fn heredoc_open(&mut self) -> Option<Token> {
        let start = self.pos;
        let operator = Some(Token { kind: Kind::Other, start, end: start + 3 });
        let mut at = start + 3;
        while matches!(self.byte(at), b' ' | b'\t') {
            at += 1;
        }
        let quote = self.byte(at);
        let quoted = quote == b'\'' || quote == b'"';
        at += usize::from(quoted);
        let label_start = at;
        while is_ident(self.byte(at)) {
            at += 1;
        }
        let label = (label_start, at);
        let closed = !quoted || self.byte(at) == quote;
        at += usize::from(quoted);
        let body = match (self.byte(at), self.byte(at + 1)) {
            (b'\r', b'\n') => at + 2,
            (b'\n' | b'\r', _) => at + 1,
            _ => 0,
        };
        if !is_ident_start(self.byte(label_start)) || !closed || body == 0 {
            self.pos = start + 3;
            return operator;
        }
        self.pos = body;
        if quote == b'\'' {
            return self.nowdoc_body(label, start);
        }
        self.frames.push(Frame::Heredoc { label, body, start });
        None
    }

    /// The end of the closing label if one starts the line at `at`:
    /// indentation, the label, and no identifier byte after it.
    fn closing_label(&self, at: usize, label: (usize, usize)) -> Option<usize> {
        let mut at = at;
        while matches!(self.byte(at), b' ' | b'\t') {
            at += 1;
        }
        let label = &self.src[label.0..label.1];
        let end = at + label.len();
        (self.src.get(at..end) == Some(label) && !is_ident(self.byte(end))).then_some(end)
    }

    fn nowdoc_body(&mut self, label: (usize, usize), start: usize) -> Option<Token> {
        let src = self.src;
        let mut at = self.pos;
        loop {
            if let Some(end) = self.closing_label(at, label) {
                self.pos = end;
                return Some(Token { kind: Kind::Other, start, end });
            }
            match src[at..].iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(i) => at += i + 1,
                None => return self.fail(start, "unterminated nowdoc"),
            }
        }
    }

    /// The text of a heredoc up to its closing label (an `Other` token) or
    /// to an interpolation (its `{`).
    pub(super) fn heredoc_body(&mut self) -> Option<Token> {
        let Some(&Frame::Heredoc { label, body, start }) = self.frames.last() else { return None };
        let src = self.src;
        loop {
            let line_start = self.pos == body || matches!(src[self.pos - 1], b'\n' | b'\r');
            if line_start {
                if let Some(end) = self.closing_label(self.pos, label) {
                    self.pos = end;
                    self.frames.pop();
                    return Some(Token { kind: Kind::Other, start, end });
                }
            }
            let special = |b: &u8| matches!(b, b'\n' | b'\r' | b'\\' | b'{' | b'$');
            let Some(i) = src[self.pos..].iter().position(special) else {
                return self.fail(start, "unterminated heredoc");
            };
            self.pos += i;
            let b = src[self.pos];
            if let Some(token) = self.interpolation(b) {
                return Some(token);
            }
            self.pos = (self.pos + if b == b'\\' { 2 } else { 1 }).min(src.len());
        }
    }
}
