//! The byte-level lexer: one pass that tells code from comments, strings,
//! template literals and regular expressions, feeding the tokens of code to
//! the import matcher of `scan`.

use std::collections::HashMap;

use super::super::ScanError;
use super::scan::{Matcher, State, Tok, Word};

/// 1-based line numbers of increasing positions, counted incrementally so a
/// file's newlines are counted once.
#[derive(Default)]
pub(super) struct LineCounter {
    pos: usize,
    newlines: usize,
}

impl LineCounter {
    /// The line of `at`, which is not before the previous position asked.
    pub(super) fn line_at(&mut self, src: &[u8], at: usize) -> u32 {
        let at = at.max(self.pos);
        self.newlines += src[self.pos..at].iter().filter(|&&b| b == b'\n').count();
        self.pos = at;
        u32::try_from(self.newlines + 1).unwrap_or(u32::MAX)
    }
}

/// What the lexer is reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// Plain code.
    Code,
    /// Between the name of a JSX tag and its `>` or `/>`.
    JsxTag,
    /// The children of a JSX element: text, up to a `{` or `<`.
    JsxText,
}

/// The previous significant token, as far as the next `/` or `<` cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Prev {
    /// An operand may start here: `/` starts a regex, `<` may start JSX.
    Start,
    /// An operand just ended: `/` divides, `<` compares.
    End,
    /// A `.` or `?.`: the next word is a property name, not a keyword.
    Dot,
    /// `if`, `while`, `for`, `with`: the `)` closing their `(` ends no
    /// operand, so a regex may follow it.
    Cond,
}

/// A JSX tag being read.
#[derive(Clone, Copy, Debug)]
pub(super) struct Tag {
    /// Offset of its `<`.
    pub(super) start: usize,
    /// Byte range of its name.
    pub(super) name: (usize, usize),
    /// False for a tag opened in code, which may yet turn out to be a
    /// TypeScript type parameter list or type assertion.
    pub(super) confirmed: bool,
}

/// An open bracket, and what its closing bracket returns to.
#[derive(Clone, Copy, Debug)]
pub(super) enum Frame {
    /// `(`; `regex_after` when it follows `if`, `while`, `for` or `with`.
    Paren { regex_after: bool },
    /// `{` of a block or an object.
    Brace,
    /// `${` of the template literal whose backtick is at `start`.
    TemplateSub { start: usize },
    /// `{` in a JSX tag, which returns to reading that tag.
    JsxAttr { tag: Tag },
    /// `{` among JSX children.
    JsxChild,
    /// An element whose children are being read; its `<` is at `start`.
    JsxElement { start: usize },
}

/// How deep brackets, template substitutions and JSX elements may nest.
pub(super) const MAX_NESTING: usize = 100_000;

/// The scanner's state over one file.
pub(super) struct Lexer<'a> {
    pub(super) src: &'a [u8],
    pub(super) pos: usize,
    pub(super) mode: Mode,
    pub(super) prev: Prev,
    pub(super) stack: Vec<Frame>,
    /// The JSX tag being read in `Mode::JsxTag`.
    pub(super) tag: Tag,
    /// A `/` before this offset divides: a regex attempted earlier on the
    /// same line ran into its end, and trying again from every later `/`
    /// of that line could make the scan quadratic.
    no_regex_before: usize,
    /// For each JSX closing tag name (`</name>`), the offset of its last
    /// occurrence; computed when the first possible JSX element shows up.
    pub(super) closers: Option<HashMap<&'a [u8], usize>>,
    /// Where nesting went past [`MAX_NESTING`].
    too_deep: Option<usize>,
    pub(super) matcher: Matcher,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(src: &'a [u8]) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            mode: Mode::Code,
            prev: Prev::Start,
            stack: Vec::new(),
            tag: Tag { start: 0, name: (0, 0), confirmed: false },
            no_regex_before: 0,
            closers: None,
            too_deep: None,
            matcher: Matcher { state: State::Idle, found: Vec::new() },
        }
    }

    pub(super) fn run(&mut self) -> Result<(), ScanError> {
        if self.src.starts_with(b"#!") {
            self.line_comment();
        }
        while self.pos < self.src.len() && self.too_deep.is_none() {
            match self.mode {
                Mode::Code => self.code_token()?,
                Mode::JsxTag => self.jsx_tag()?,
                Mode::JsxText => self.jsx_text(),
            }
        }
        self.finish()
    }

    /// Reads one token of code (or a run of whitespace).
    fn code_token(&mut self) -> Result<(), ScanError> {
        let b = self.src[self.pos];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                self.pos +=
                    1 + self.src[self.pos + 1..].iter().take_while(|b| b.is_ascii_whitespace()).count();
            }
            0xc2 | 0xe2 | 0xef if unicode_space(&self.src[self.pos..]) > 0 => {
                self.pos += unicode_space(&self.src[self.pos..]);
            }
            b'/' => match self.src.get(self.pos + 1) {
                Some(b'/') => self.line_comment(),
                Some(b'*') => self.block_comment()?,
                _ if self.regex_allowed() => self.regex(),
                _ => self.punct(1, Prev::Start, Tok::Other),
            },
            b'"' | b'\'' => self.string(b),
            b'`' => {
                self.pos += 1;
                self.template(self.pos - 1, true)?;
            }
            b'0'..=b'9' => self.number(),
            b'.' if self.src.get(self.pos + 1).is_some_and(u8::is_ascii_digit) => self.number(),
            b'.' if self.src[self.pos..].starts_with(b"...") => self.punct(3, Prev::Start, Tok::Other),
            b'.' => self.punct(1, Prev::Dot, Tok::Punct(b'.')),
            b'?' if self.src.get(self.pos + 1) == Some(&b'.')
                && !self.src.get(self.pos + 2).is_some_and(u8::is_ascii_digit) =>
            {
                self.punct(2, Prev::Dot, Tok::Other)
            }
            b'+' | b'-' if self.src.get(self.pos + 1) == Some(&b) => self.punct(2, Prev::End, Tok::Other),
            b'=' if self.src.get(self.pos + 1) == Some(&b'>') => self.punct(2, Prev::Start, Tok::Other),
            b'(' => {
                self.open(Frame::Paren { regex_after: self.prev == Prev::Cond });
                self.punct(1, Prev::Start, Tok::Punct(b))
            }
            b')' => self.close_paren(),
            b'{' => {
                self.open(Frame::Brace);
                self.punct(1, Prev::Start, Tok::Punct(b))
            }
            b'}' => self.close_brace()?,
            b']' => self.punct(1, Prev::End, Tok::Punct(b)),
            b'<' if self.operand_may_start() => self.angle(),
            _ if is_ident_byte(b) || b == b'#' || b == b'\\' => self.word(),
            _ => self.punct(1, Prev::Start, Tok::Punct(b)),
        }
        Ok(())
    }

    /// Pushes a bracket. Nesting deeper than [`MAX_NESTING`] ends the scan
    /// (reported by `finish`): the language's own parsers give up far
    /// sooner, and the stack stays bounded.
    pub(super) fn open(&mut self, frame: Frame) {
        if self.stack.len() < MAX_NESTING {
            self.stack.push(frame);
        } else {
            self.too_deep.get_or_insert(self.pos);
        }
    }

    /// True where an operand may start, so `/` starts a regex and `<` may
    /// start JSX.
    fn operand_may_start(&self) -> bool {
        matches!(self.prev, Prev::Start | Prev::Dot | Prev::Cond)
    }

    fn regex_allowed(&self) -> bool {
        self.operand_may_start() && self.pos >= self.no_regex_before
    }

    /// Consumes an `n`-byte punctuator.
    pub(super) fn punct(&mut self, n: usize, prev: Prev, tok: Tok) {
        self.pos += n;
        self.prev = prev;
        self.matcher.feed(tok);
    }

    fn close_paren(&mut self) {
        let regex_after = match self.stack.last() {
            Some(&Frame::Paren { regex_after }) => {
                self.stack.pop();
                regex_after
            }
            _ => false,
        };
        self.punct(1, if regex_after { Prev::Start } else { Prev::End }, Tok::Punct(b')'));
    }

    fn close_brace(&mut self) -> Result<(), ScanError> {
        // Parentheses left open inside the braces are a syntax error; they
        // must not keep this `}` from closing what it closes.
        while matches!(self.stack.last(), Some(Frame::Paren { .. })) {
            self.stack.pop();
        }
        match self.stack.last().copied() {
            Some(Frame::TemplateSub { start }) => {
                self.stack.pop();
                self.pos += 1;
                self.template(start, false)?;
            }
            Some(Frame::JsxAttr { tag }) => {
                self.stack.pop();
                self.pos += 1;
                self.tag = tag;
                self.mode = Mode::JsxTag;
            }
            Some(Frame::JsxChild) => {
                self.stack.pop();
                self.pos += 1;
                self.mode = Mode::JsxText;
            }
            Some(Frame::Brace) => {
                self.stack.pop();
                self.punct(1, Prev::Start, Tok::Punct(b'}'));
            }
            // A stray `}`: nothing to close.
            Some(Frame::JsxElement { .. } | Frame::Paren { .. }) | None => {
                self.punct(1, Prev::Start, Tok::Punct(b'}'))
            }
        }
        Ok(())
    }

    /// An identifier or keyword (also `#private` names and `\u` escapes).
    fn word(&mut self) {
        let start = self.pos;
        let mut end = start + 1;
        loop {
            end += self.src[end.min(self.src.len())..].iter().take_while(|&&b| is_ident_byte(b)).count();
            if self.src.get(end) != Some(&b'\\') {
                break;
            }
            end += 2;
        }
        self.pos = end.min(self.src.len());
        if self.prev == Prev::Dot {
            self.prev = Prev::End;
            self.matcher.feed(Tok::Word(Word::Other));
            return;
        }
        let (word, prev) = match &self.src[start..self.pos] {
            b"import" => (Word::Import, Prev::Start),
            b"export" => (Word::Export, Prev::Start),
            b"require" => (Word::Require, Prev::End),
            b"from" => (Word::From, Prev::End),
            b"type" => (Word::Type, Prev::End),
            b"if" | b"while" | b"for" | b"with" => (Word::Other, Prev::Cond),
            b"return" | b"typeof" | b"instanceof" | b"in" | b"of" | b"new" | b"delete" | b"void"
            | b"throw" | b"case" | b"do" | b"else" | b"yield" | b"await" => (Word::Other, Prev::Start),
            _ => (Word::Other, Prev::End),
        };
        self.prev = prev;
        self.matcher.feed(Tok::Word(word));
    }

    fn number(&mut self) {
        let len = self.src[self.pos + 1..]
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'.'))
            .unwrap_or(self.src.len() - self.pos - 1);
        self.punct(1 + len, Prev::End, Tok::Other);
    }

    /// `//` to the end of the line (any of JavaScript's line terminators).
    pub(super) fn line_comment(&mut self) {
        let mut i = self.pos + 2;
        while let Some(k) = find3(self.src, i, b'\n', b'\r', 0xe2) {
            if self.src[k] != 0xe2 || matches!(self.src.get(k + 1..k + 3), Some([0x80, 0xa8 | 0xa9])) {
                self.pos = k;
                return;
            }
            i = k + 1;
        }
        self.pos = self.src.len();
    }

    pub(super) fn block_comment(&mut self) -> Result<(), ScanError> {
        let start = self.pos;
        let mut i = start + 2;
        while let Some(k) = find(self.src, i, b'*') {
            if self.src.get(k + 1) == Some(&b'/') {
                self.pos = k + 2;
                return Ok(());
            }
            i = k + 1;
        }
        Err(self.error(start, "unterminated comment"))
    }

    /// A `'` or `"` string. One that runs into the end of its line is a
    /// syntax error that hides nothing after it, so the line ends it.
    fn string(&mut self, quote: u8) {
        let start = self.pos + 1;
        let mut i = start;
        let end = loop {
            match find4(self.src, i, quote, b'\\', b'\n', b'\r') {
                Some(k) if self.src[k] == b'\\' => {
                    i = k + 2;
                    if self.src.get(k + 1..k + 3) == Some(b"\r\n") {
                        i += 1;
                    }
                }
                Some(k) => break k,
                None => break self.src.len(),
            }
        };
        let end = end.min(self.src.len());
        self.pos = if self.src.get(end) == Some(&quote) { end + 1 } else { end };
        self.prev = Prev::End;
        self.matcher.feed(Tok::Lit { start, end, template: false });
    }

    /// Template characters from `self.pos`, just after the opening backtick
    /// (`fresh`) or the `}` of a substitution, to the closing backtick or the
    /// next `${`.
    fn template(&mut self, start: usize, fresh: bool) -> Result<(), ScanError> {
        let from = self.pos;
        let mut i = from;
        while let Some(k) = find3(self.src, i, b'`', b'\\', b'$') {
            match self.src[k] {
                b'\\' => i = k + 2,
                b'`' => {
                    self.pos = k + 1;
                    self.prev = Prev::End;
                    let tok =
                        if fresh { Tok::Lit { start: from, end: k, template: true } } else { Tok::Other };
                    self.matcher.feed(tok);
                    return Ok(());
                }
                _ if self.src.get(k + 1) == Some(&b'{') => {
                    self.open(Frame::TemplateSub { start });
                    self.matcher.feed(Tok::Other);
                    self.pos = k + 2;
                    self.prev = Prev::Start;
                    return Ok(());
                }
                _ => i = k + 1,
            }
        }
        Err(self.error(start, "unterminated template literal"))
    }

    /// A regular expression literal; if it runs into the end of its line,
    /// the `/` was a division after all.
    fn regex(&mut self) {
        let start = self.pos;
        let mut i = start + 1;
        let mut class = false;
        loop {
            match self.src.get(i) {
                None | Some(b'\n' | b'\r') => {
                    self.no_regex_before = i;
                    self.punct(1, Prev::Start, Tok::Other);
                    return;
                }
                Some(b'\\') if !matches!(self.src.get(i + 1), None | Some(b'\n' | b'\r')) => i += 2,
                Some(b'\\') => i += 1,
                Some(b'[') => (class, i) = (true, i + 1),
                Some(b']') => (class, i) = (false, i + 1),
                Some(b'/') if !class => break,
                Some(_) => i += 1,
            }
        }
        let flags = self.src[i + 1..].iter().take_while(|&&b| is_ident_byte(b)).count();
        self.pos = start;
        self.punct(i + 1 + flags - start, Prev::End, Tok::Other);
    }

    fn error(&self, at: usize, message: &str) -> ScanError {
        let line = LineCounter::default().line_at(self.src, at);
        ScanError { line, message: message.to_owned() }
    }

    /// At the end of the file: a template literal or JSX element still
    /// open swallowed the rest of it.
    fn finish(&self) -> Result<(), ScanError> {
        if let Some(at) = self.too_deep {
            return Err(self.error(at, "brackets nested too deep"));
        }
        let open = self.stack.iter().find_map(|f| match *f {
            Frame::TemplateSub { start } => Some((start, "unterminated template literal")),
            Frame::JsxElement { start } => Some((start, "unterminated JSX element")),
            _ => None,
        });
        match open {
            Some((at, message)) => Err(self.error(at, message)),
            None => Ok(()),
        }
    }
}

/// The length of the non-ASCII space or line terminator `s` starts with
/// (no-break space, line and paragraph separators, byte order mark), or 0.
fn unicode_space(s: &[u8]) -> usize {
    match s {
        [0xc2, 0xa0, ..] => 2,
        [0xe2, 0x80, 0xa8 | 0xa9, ..] | [0xef, 0xbb, 0xbf, ..] => 3,
        _ => 0,
    }
}

/// Bytes of identifiers: ASCII letters, digits, `_`, `$`, and every byte of
/// a non-ASCII character (letters beyond ASCII are rare enough in code that
/// treating all of them as such costs nothing).
pub(super) fn is_ident_byte(b: u8) -> bool {
    IDENT_BYTES[usize::from(b)]
}

/// [`is_ident_byte`] as a table, as it decides every byte of every word.
static IDENT_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
        b += 1;
    }
    table
};

pub(super) fn find(src: &[u8], from: usize, a: u8) -> Option<usize> {
    src.get(from..)?.iter().position(|&b| b == a).map(|k| from + k)
}

pub(super) fn find2(src: &[u8], from: usize, a: u8, b: u8) -> Option<usize> {
    src.get(from..)?.iter().position(|&x| x == a || x == b).map(|k| from + k)
}

fn find3(src: &[u8], from: usize, a: u8, b: u8, c: u8) -> Option<usize> {
    src.get(from..)?.iter().position(|&x| x == a || x == b || x == c).map(|k| from + k)
}

fn find4(src: &[u8], from: usize, a: u8, b: u8, c: u8, d: u8) -> Option<usize> {
    src.get(from..)?.iter().position(|&x| x == a || x == b || x == c || x == d).map(|k| from + k)
}
