//! JSX: telling an element from a comparison or a TypeScript type
//! assertion at `<`, and reading tags and children so that text and
//! attribute strings are not taken for code.

use std::collections::HashMap;

use super::super::ScanError;
use super::lex::{find, find2, is_ident_byte, Frame, Lexer, Mode, Prev, Tag};
use super::scan::Tok;

/// What a `<` where an operand may start turns out to be.
pub(super) enum Angle {
    /// The less-than operator, or a TypeScript type parameter list or type
    /// assertion, read on as code.
    Less,
    /// A JSX element with no attributes and no children; ends at the offset.
    SelfClosed(usize),
    /// A JSX element or fragment with no attributes; children from the offset.
    Open(usize),
    /// A JSX tag whose attributes start at the offset.
    Attributes(usize),
}

impl<'a> Lexer<'a> {
    /// `<` where an operand may start: JSX, or in TypeScript a type
    /// assertion (`<T>x`) or generic arrow function (`<T,>(x: T) => x`).
    /// The file's kind is unknown here, so an element with children counts
    /// as JSX only if its closing tag occurs later in the file.
    pub(super) fn angle(&mut self) {
        let start = self.pos;
        let name = (start + 1, jsx_name_end(self.src, start + 1));
        match self.classify_angle(start, name) {
            Angle::Less => self.punct(1, Prev::Start, Tok::Punct(b'<')),
            Angle::SelfClosed(end) => {
                self.matcher.reset();
                self.pos = end;
                self.prev = Prev::End;
            }
            Angle::Open(children) => {
                self.matcher.reset();
                self.open(Frame::JsxElement { start });
                self.mode = Mode::JsxText;
                self.pos = children;
            }
            Angle::Attributes(at) => {
                self.matcher.reset();
                self.tag = Tag { start, name, confirmed: false };
                self.mode = Mode::JsxTag;
                self.pos = at;
            }
        }
    }

    fn classify_angle(&mut self, start: usize, name: (usize, usize)) -> Angle {
        let after = skip_ws(self.src, name.1);
        let next = self.src.get(after).copied();
        if name.0 == name.1 {
            return match next {
                Some(b'>') if after == name.1 && self.has_closer(start, name) => Angle::Open(after + 1),
                _ => Angle::Less,
            };
        }
        match next {
            Some(b'/') if self.src.get(after + 1) == Some(&b'>') => Angle::SelfClosed(after + 2),
            Some(b'>') if self.has_closer(start, name) => Angle::Open(after + 1),
            Some(b'{') => Angle::Attributes(after),
            Some(b) if after > name.1 && is_ident_byte(b) && !self.src[after..].starts_with(b"extends") => {
                Angle::Attributes(after)
            }
            _ => Angle::Less,
        }
    }

    /// True if `</name>` occurs after offset `at`.
    fn has_closer(&mut self, at: usize, name: (usize, usize)) -> bool {
        let src = self.src;
        let closers = self.closers.get_or_insert_with(|| closing_tags(src));
        closers.get(&src[name.0..name.1]).is_some_and(|&last| last > at)
    }

    /// One step inside a JSX tag.
    pub(super) fn jsx_tag(&mut self) -> Result<(), ScanError> {
        let i = skip_ws(self.src, self.pos);
        self.pos = i;
        let Some(&b) = self.src.get(i) else { return Ok(()) };
        let next = self.src.get(i + 1).copied();
        match b {
            b'>' => {
                let tag = self.tag;
                if tag.confirmed || self.has_closer(i, tag.name) {
                    self.open(Frame::JsxElement { start: tag.start });
                    self.mode = Mode::JsxText;
                } else {
                    self.mode = Mode::Code;
                    self.prev = Prev::Start;
                }
                self.pos = i + 1;
            }
            b'/' if next == Some(b'>') => {
                self.pos = i + 2;
                self.after_element();
            }
            b'/' if next == Some(b'/') => self.line_comment(),
            b'/' if next == Some(b'*') => self.block_comment()?,
            b'{' => {
                self.open(Frame::JsxAttr { tag: self.tag });
                self.enter_code(i + 1);
            }
            // Attribute strings have no escapes.
            b'"' | b'\'' => self.pos = find(self.src, i + 1, b).map_or(self.src.len(), |k| k + 1),
            b'=' => self.pos = i + 1,
            _ if is_jsx_name_byte(b) => self.pos = jsx_name_end(self.src, i),
            _ if self.tag.confirmed => self.pos = i + 1,
            // Not a JSX tag after all: read on from here as code.
            _ => {
                self.mode = Mode::Code;
                self.prev = Prev::Start;
            }
        }
        Ok(())
    }

    /// JSX children: text up to a `{` expression or a `<` tag.
    pub(super) fn jsx_text(&mut self) {
        let Some(i) = find2(self.src, self.pos, b'{', b'<') else {
            self.pos = self.src.len();
            return;
        };
        if self.src[i] == b'{' {
            self.open(Frame::JsxChild);
            self.enter_code(i + 1);
            return;
        }
        match self.src.get(i + 1) {
            Some(b'/') => {
                self.pos = find(self.src, i + 2, b'>').map_or(self.src.len(), |k| k + 1);
                if matches!(self.stack.last(), Some(Frame::JsxElement { .. })) {
                    self.stack.pop();
                }
                self.after_element();
            }
            Some(b'>') => {
                self.open(Frame::JsxElement { start: i });
                self.pos = i + 2;
            }
            _ => {
                let name = (i + 1, jsx_name_end(self.src, i + 1));
                self.tag = Tag { start: i, name, confirmed: true };
                self.mode = Mode::JsxTag;
                self.pos = name.1;
            }
        }
    }

    /// After an element closed: back to its parent's children, or to code.
    fn after_element(&mut self) {
        if matches!(self.stack.last(), Some(Frame::JsxElement { .. })) {
            self.mode = Mode::JsxText;
        } else {
            self.mode = Mode::Code;
            self.prev = Prev::End;
        }
    }

    /// A JSX `{` expression starts at `at`.
    fn enter_code(&mut self, at: usize) {
        self.mode = Mode::Code;
        self.prev = Prev::Start;
        self.pos = at;
        self.matcher.reset();
    }
}

/// For each name of a closing tag (`</a.b>`, `</>`), its last offset.
fn closing_tags(src: &[u8]) -> HashMap<&[u8], usize> {
    let mut closers = HashMap::new();
    let mut i = 0;
    while let Some(k) = find(src, i, b'<') {
        if src.get(k + 1) == Some(&b'/') {
            let name_start = skip_ws(src, k + 2);
            let name_end = jsx_name_end(src, name_start);
            if src.get(skip_ws(src, name_end)) == Some(&b'>') {
                closers.insert(&src[name_start..name_end], k);
            }
        }
        i = k + 1;
    }
    closers
}

/// Bytes of JSX tag and attribute names, which may hold `-`, `:` and `.`.
fn is_jsx_name_byte(b: u8) -> bool {
    is_ident_byte(b) || matches!(b, b'-' | b':' | b'.')
}

fn jsx_name_end(src: &[u8], from: usize) -> usize {
    from + src.get(from..).unwrap_or_default().iter().take_while(|&&b| is_jsx_name_byte(b)).count()
}

fn skip_ws(src: &[u8], from: usize) -> usize {
    from + src.get(from..).unwrap_or_default().iter().take_while(|b| b.is_ascii_whitespace()).count()
}
