//! The byte-level lexer: one pass that tells code from comments and
//! strings, counts brackets and knows where a statement may begin, handing
//! `import` and `from` there to the statement readers of `scan`.

use super::super::{Import, ScanError};
use super::fstring::Literal;

/// What a string prefix (`rb`, `f`, `Rt`, ...) changes for the lexer.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Prefix {
    /// `r`: backslashes are literal (`\N{...}` is not an escape).
    pub(super) raw: bool,
    /// `f` or `t`: `{...}` holds expressions.
    pub(super) formatted: bool,
}

impl Prefix {
    /// The prefix `word` spells, if it is one Python accepts: at most one
    /// of `b`, `f` and `t`, `r` with it or alone, `u` only alone, no letter
    /// twice, in any case and order.
    pub(super) fn parse(word: &[u8]) -> Option<Prefix> {
        if word.is_empty() || word.len() > 2 {
            return None;
        }
        let mut prefix = Prefix::default();
        let (mut kinds, mut seen) = (0, 0u8);
        for &c in word {
            let bit = match c.to_ascii_lowercase() {
                b'r' => 1,
                b'u' if word.len() == 1 => 2,
                b'b' => 4,
                b'f' | b't' => 8,
                _ => return None,
            };
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            kinds += u8::from(bit >= 4);
            prefix.raw |= bit == 1;
            prefix.formatted |= bit == 8;
        }
        (kinds <= 1).then_some(prefix)
    }
}

/// The scanner's state: a cursor over the source and what it has found.
pub(super) struct Lexer<'a> {
    src: &'a str,
    pub(super) b: &'a [u8],
    pub(super) i: usize,
    pub(super) line: u32,
    /// Brackets open in the current logical line.
    pub(super) depth: u32,
    /// True where a statement may begin: start of a logical line, after `;`,
    /// or after the `:` of a one-line compound statement.
    stmt_start: bool,
    pub(super) imports: Vec<Import>,
}

/// Bytes that can be part of a Python name (non-ASCII counts, as Python
/// accepts Unicode identifiers), as a table: names are most of the input.
static IDENT: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
        c += 1;
    }
    table
};

/// True for bytes that can be part of a Python name.
pub(super) fn is_ident(c: u8) -> bool {
    IDENT[usize::from(c)]
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `src`, past a byte-order mark.
    pub(super) fn new(src: &'a str) -> Lexer<'a> {
        let b = src.as_bytes();
        let i = if b.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        Lexer { src, b, i, line: 1, depth: 0, stmt_start: true, imports: Vec::new() }
    }

    /// The byte `ahead` bytes past the cursor.
    pub(super) fn peek(&self, ahead: usize) -> Option<u8> {
        self.b.get(self.i + ahead).copied()
    }

    /// Steps over one line break (`\n`, `\r\n` or a lone `\r`).
    pub(super) fn newline(&mut self) {
        if self.b.get(self.i) == Some(&b'\r') && self.peek(1) == Some(b'\n') {
            self.i += 1;
        }
        self.i += 1;
        self.line += 1;
    }

    /// Steps to the end of a comment, leaving the line break to the caller.
    pub(super) fn skip_comment(&mut self) {
        let rest = &self.b[self.i..];
        self.i += rest.iter().position(|&c| c == b'\n' || c == b'\r').unwrap_or(rest.len());
    }

    /// Steps over a backslash, and the line break after it (a continuation).
    pub(super) fn backslash(&mut self) {
        self.i += 1;
        if matches!(self.peek(0), Some(b'\n' | b'\r')) {
            self.newline();
        }
    }

    /// Reads the whole source, collecting imports.
    pub(super) fn run(&mut self) -> Result<(), ScanError> {
        while let Some(c) = self.peek(0) {
            match c {
                b'\n' | b'\r' => {
                    self.newline();
                    self.stmt_start |= self.depth == 0;
                }
                b' ' | b'\t' | b'\x0c' => {
                    let rest = &self.b[self.i..];
                    self.i += rest.iter().position(|&c| c != b' ').unwrap_or(rest.len()).max(1);
                }
                b'#' => self.skip_comment(),
                b'\\' => self.backslash(),
                b'"' | b'\'' => {
                    self.string(Prefix::default())?;
                    self.stmt_start = false;
                }
                b'(' | b'[' | b'{' => self.bracket(1),
                b')' | b']' | b'}' => self.bracket(-1),
                b';' => {
                    self.stmt_start = self.depth == 0;
                    self.i += 1;
                }
                b':' => {
                    self.stmt_start = self.depth == 0 && self.peek(1) != Some(b'=');
                    self.i += 1;
                }
                c if is_ident(c) => self.word()?,
                _ => {
                    self.stmt_start = false;
                    self.i += 1;
                }
            }
        }
        Ok(())
    }

    /// Steps over an opening (`delta` > 0) or closing bracket.
    fn bracket(&mut self, delta: i8) {
        self.depth = if delta > 0 { self.depth.saturating_add(1) } else { self.depth.saturating_sub(1) };
        self.stmt_start = false;
        self.i += 1;
    }

    /// Reads a name, a keyword or a number; a string prefix starts a string.
    fn word(&mut self) -> Result<(), ScanError> {
        let start = self.i;
        let (len, word) = self.ident_at(start);
        self.i += len;
        if matches!(self.peek(0), Some(b'"' | b'\'')) {
            if let Some(prefix) = Prefix::parse(word.as_bytes()) {
                self.string(prefix)?;
                self.stmt_start = false;
                return Ok(());
            }
        }
        if self.stmt_start && self.depth == 0 {
            match word {
                "import" => self.plain_import(),
                "from" => self.import_from(),
                _ => {}
            }
        }
        self.stmt_start = false;
        Ok(())
    }

    /// The run of name bytes starting at `at`: its length, and its text
    /// (empty if the run starts inside a character, which the lexer never
    /// lets happen, but a wrong guess must not stall it).
    pub(super) fn ident_at(&self, at: usize) -> (usize, &'a str) {
        let len = self.b[at..].iter().position(|&c| !is_ident(c)).unwrap_or(self.b.len() - at);
        (len, self.src.get(at..at + len).unwrap_or(""))
    }

    /// Reads a string whose opening quote is at the cursor.
    pub(super) fn string(&mut self, prefix: Prefix) -> Result<(), ScanError> {
        let quote = self.b[self.i];
        let triple = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        let line = self.line;
        self.i += if triple { 3 } else { 1 };
        if prefix.formatted {
            self.fstring(Literal { raw: prefix.raw, quote, triple, line })
        } else {
            self.plain_string(quote, triple, line)
        }
    }

    /// Steps past the end of a string without replacement fields. A
    /// one-line string left open ends at its line break: the rest of the
    /// file is still read (CPython rejects the file anyway).
    fn plain_string(&mut self, quote: u8, triple: bool, line: u32) -> Result<(), ScanError> {
        loop {
            let rest = &self.b[self.i..];
            let Some(at) = rest.iter().position(|&c| matches!(c, b'\\' | b'\n' | b'\r') || c == quote) else {
                self.i = self.b.len();
                return if triple { Err(unterminated(line)) } else { Ok(()) };
            };
            self.i += at;
            match rest[at] {
                b'\\' => {
                    self.i += 1;
                    match self.peek(0) {
                        Some(b'\n' | b'\r') => self.newline(),
                        Some(_) => self.i += 1,
                        None => {}
                    }
                }
                b'\n' | b'\r' if !triple => return Ok(()),
                b'\n' | b'\r' => self.newline(),
                _ if !triple => {
                    self.i += 1;
                    return Ok(());
                }
                _ if self.peek(1) == Some(quote) && self.peek(2) == Some(quote) => {
                    self.i += 3;
                    return Ok(());
                }
                _ => self.i += 1,
            }
        }
    }
}

/// The error for a string that runs to the end of the file.
pub(super) fn unterminated(line: u32) -> ScanError {
    ScanError { line, message: "unterminated string".into() }
}
