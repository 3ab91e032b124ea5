//! The byte-level lexer: PHP source as the few tokens the scanner needs,
//! with inline HTML, comments and the text of strings skipped.

use super::super::ScanError;

pub(super) fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

pub(super) fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// The 1-based line of byte `pos`, counting `\n`, `\r\n` and a lone `\r`
/// as PHP does.
fn line_of(src: &[u8], pos: usize) -> u32 {
    LineCounter::default().line_at(src, pos)
}

/// Lines of positions asked for in increasing order, so the file is
/// counted once.
#[derive(Default)]
pub(super) struct LineCounter {
    pos: usize,
    newlines: u32,
}

impl LineCounter {
    pub(super) fn line_at(&mut self, src: &[u8], pos: usize) -> u32 {
        let pos = pos.min(src.len());
        if pos < self.pos {
            *self = LineCounter::default();
        }
        for i in self.pos..pos {
            let newline = match src[i] {
                b'\n' => true,
                b'\r' => src.get(i + 1) != Some(&b'\n'),
                _ => false,
            };
            self.newlines = self.newlines.saturating_add(u32::from(newline));
        }
        self.pos = pos;
        self.newlines.saturating_add(1)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// An identifier: `Foo`, `use`.
    Name,
    /// A namespaced name: `A\B`, `\A\B`, `\A`, `namespace\A`.
    Qualified,
    /// One byte of punctuation: `{ } ( ) [ ] ; , & \`; `?>` comes as `;`.
    Punct(u8),
    /// `->`, `?->` or `::`: the next name is a member, never a keyword.
    Member,
    /// `#[`, which opens an attribute.
    AttrOpen,
    /// A variable, number, string, operator.
    Other,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Token {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
}

impl Token {
    pub(super) fn is_name(self) -> bool {
        matches!(self.kind, Kind::Name | Kind::Qualified)
    }
}

/// Where the lexer is inside strings: an explicit stack, so nesting
/// (`"{$a["b"]}"`, a heredoc inside interpolation) costs no recursion.
pub(super) enum Frame {
    /// Code of a `{$...}` or `${...}` interpolation; `depth` counts the
    /// braces opened inside it.
    Interp { depth: u32 },
    /// The rest of a `"` or `` ` `` string that started at `start`.
    Quoted { close: u8, start: usize },
    /// The rest of a heredoc started at `start`, whose body starts at `body`
    /// and whose closing label is `src[label.0..label.1]`.
    Heredoc { label: (usize, usize), body: usize, start: usize },
}

/// Turns PHP source into the few tokens the scanner needs, skipping
/// inline HTML, comments and the text of strings. The first error ends the
/// token stream and stays in `error`, so tokens pass by value, unwrapped.
pub(super) struct Lexer<'a> {
    pub(super) src: &'a [u8],
    pub(super) pos: usize,
    html: bool,
    pub(super) frames: Vec<Frame>,
    peeked: Option<Token>,
    pub(super) error: Option<ScanError>,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl<'a> Lexer<'a> {
    pub(super) fn new(src: &'a [u8]) -> Lexer<'a> {
        Lexer { src, pos: 0, html: true, frames: Vec::new(), peeked: None, error: None }
    }

    pub(super) fn text(&self, token: Token) -> &'a [u8] {
        &self.src[token.start..token.end]
    }

    /// Records the error at `at` and ends the token stream.
    pub(super) fn fail(&mut self, at: usize, message: &str) -> Option<Token> {
        if self.error.is_none() {
            self.error = Some(ScanError { line: line_of(self.src, at), message: message.to_owned() });
        }
        self.pos = self.src.len();
        self.frames.clear();
        self.html = false;
        None
    }

    pub(super) fn next(&mut self) -> Option<Token> {
        match self.peeked.take() {
            Some(token) => Some(token),
            None => self.lex(),
        }
    }

    pub(super) fn peek(&mut self) -> Option<Token> {
        if self.peeked.is_none() {
            self.peeked = self.lex();
        }
        self.peeked
    }

    pub(super) fn byte(&self, at: usize) -> u8 {
        self.src.get(at).copied().unwrap_or(0)
    }

    fn lex(&mut self) -> Option<Token> {
        loop {
            if self.html {
                if !self.skip_html() {
                    return None;
                }
                continue;
            }
            match self.frames.last() {
                Some(Frame::Quoted { .. }) => match self.quoted_body() {
                    Some(token) => return Some(token),
                    None => continue,
                },
                Some(Frame::Heredoc { .. }) => match self.heredoc_body() {
                    Some(token) => return Some(token),
                    None => continue,
                },
                _ => {}
            }
            let rest = &self.src[self.pos..];
            self.pos += rest.iter().position(|&b| !is_space(b)).unwrap_or(rest.len());
            if self.pos >= self.src.len() {
                return match self.open_string() {
                    Some(start) => self.fail(start, "unterminated string"),
                    None => None,
                };
            }
            if let Some(token) = self.code_token() {
                return Some(token);
            }
        }
    }

    /// Where the innermost string that is still open started.
    fn open_string(&self) -> Option<usize> {
        self.frames.iter().rev().find_map(|frame| match frame {
            Frame::Quoted { start, .. } | Frame::Heredoc { start, .. } => Some(*start),
            Frame::Interp { .. } => None,
        })
    }

    /// Moves past the next `<?php` or `<?=`; false at the end of the file.
    /// Short `<?` tags are inline HTML, as with PHP's default
    /// `short_open_tag=Off`.
    fn skip_html(&mut self) -> bool {
        let src = self.src;
        while let Some(at) = src[self.pos..].iter().position(|&b| b == b'<') {
            let lt = self.pos + at;
            self.pos = lt + 1;
            if self.byte(lt + 1) != b'?' {
                continue;
            }
            if self.byte(lt + 2) == b'=' {
                self.pos = lt + 3;
                self.html = false;
                return true;
            }
            let php = src.get(lt + 2..lt + 5).is_some_and(|s| s.eq_ignore_ascii_case(b"php"));
            if php && (lt + 5 == src.len() || is_space(src[lt + 5])) {
                self.pos = (lt + 6).min(src.len());
                self.html = false;
                return true;
            }
        }
        self.pos = src.len();
        false
    }

    /// One token of code at `self.pos` (not whitespace); `None` for what
    /// yields no token (a comment, the opening quote of a string).
    fn code_token(&mut self) -> Option<Token> {
        let start = self.pos;
        let b = self.src[start];
        let next = self.byte(start + 1);
        let kind = match b {
            _ if is_ident_start(b) => self.name_tail(),
            b'\\' if is_ident_start(next) => {
                self.pos += 1;
                self.name_tail();
                Kind::Qualified
            }
            b'$' | b'0'..=b'9' => {
                self.pos += 1;
                self.skip_ident();
                Kind::Other
            }
            b'\'' => {
                self.single_quoted();
                Kind::Other
            }
            b'"' | b'`' => {
                self.frames.push(Frame::Quoted { close: b, start });
                self.pos += 1;
                return None;
            }
            b'/' if next == b'/' => return self.line_comment(),
            b'#' if next != b'[' => return self.line_comment(),
            b'/' if next == b'*' => return self.block_comment(),
            b'<' if next == b'<' && self.byte(start + 2) == b'<' => return self.heredoc_open(),
            _ => self.punctuation(b, next),
        };
        Some(Token { kind, start, end: self.pos })
    }

    /// Operators and punctuation: moves past them and says which.
    fn punctuation(&mut self, b: u8, next: u8) -> Kind {
        let (kind, len) = match (b, next) {
            (b'#', b'[') => (Kind::AttrOpen, 2),
            (b'?', b'>') => {
                self.close_tag();
                return Kind::Punct(b';');
            }
            (b'?', b'-') if self.byte(self.pos + 2) == b'>' => (Kind::Member, 3),
            (b'-', b'>') | (b':', b':') => (Kind::Member, 2),
            (b'{', _) => {
                if let Some(Frame::Interp { depth }) = self.frames.last_mut() {
                    *depth += 1;
                }
                (Kind::Punct(b), 1)
            }
            (b'}', _) => {
                match self.frames.last_mut() {
                    Some(Frame::Interp { depth: 0 }) => drop(self.frames.pop()),
                    Some(Frame::Interp { depth }) => *depth -= 1,
                    _ => {}
                }
                (Kind::Punct(b), 1)
            }
            (b'(' | b')' | b'[' | b']' | b';' | b',' | b'&' | b'\\', _) => (Kind::Punct(b), 1),
            _ => (Kind::Other, 1),
        };
        self.pos += len;
        kind
    }

    fn skip_ident(&mut self) {
        let rest = &self.src[self.pos..];
        self.pos += rest.iter().position(|&b| !is_ident(b)).unwrap_or(rest.len());
    }

    /// The rest of a name: PHP 8 lexes `A\B\C` as one token.
    fn name_tail(&mut self) -> Kind {
        let mut kind = Kind::Name;
        self.skip_ident();
        while self.byte(self.pos) == b'\\' && is_ident_start(self.byte(self.pos + 1)) {
            kind = Kind::Qualified;
            self.pos += 1;
            self.skip_ident();
        }
        kind
    }

    /// `?>` ends PHP mode and eats one newline right after it.
    fn close_tag(&mut self) {
        self.pos += 2;
        match self.byte(self.pos) {
            b'\n' => self.pos += 1,
            b'\r' => self.pos += if self.byte(self.pos + 1) == b'\n' { 2 } else { 1 },
            _ => {}
        }
        self.html = true;
    }

    /// A `//` or `#` comment ends at a newline, or before a `?>`.
    fn line_comment(&mut self) -> Option<Token> {
        let src = self.src;
        let rest = &src[self.pos..];
        let mut at = 0;
        while let Some(i) = rest[at..].iter().position(|&b| matches!(b, b'\n' | b'\r' | b'?')) {
            at += i;
            if rest[at] != b'?' || rest.get(at + 1) == Some(&b'>') {
                self.pos += at;
                return None;
            }
            at += 1;
        }
        self.pos = src.len();
        None
    }

    fn block_comment(&mut self) -> Option<Token> {
        let start = self.pos;
        let mut at = start + 2;
        while let Some(i) = self.src[at..].iter().position(|&b| b == b'*') {
            at += i + 1;
            if self.byte(at) == b'/' {
                self.pos = at + 1;
                return None;
            }
        }
        self.fail(start, "unterminated comment")
    }

    fn single_quoted(&mut self) {
        let start = self.pos;
        let mut at = start + 1;
        while let Some(i) = self.src[at..].iter().position(|&b| b == b'\'' || b == b'\\') {
            at += i;
            if self.src[at] == b'\'' {
                self.pos = at + 1;
                return;
            }
            at = (at + 2).min(self.src.len());
        }
        self.fail(start, "unterminated string");
    }
}
