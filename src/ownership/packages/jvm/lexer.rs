//! The `package` clause at the head of a Java, Kotlin, Scala or Groovy
//! source file, read by a small lexer: comments, a `#!` line and
//! annotations (`@file:JvmName("x")`, `@Deprecated`) before the clause are
//! skipped; the first other token ends the search.

/// The languages whose files declare packages; they differ in comments,
/// identifiers and clause forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// `.java`
    Java,
    /// `.kt`, `.kts`
    Kotlin,
    /// `.scala`
    Scala,
    /// `.groovy`
    Groovy,
}

impl Dialect {
    /// The dialect of a file, by its name's extension.
    pub fn of(path: &[u8]) -> Option<Dialect> {
        let ext = &path[path.iter().rposition(|&b| b == b'.')? + 1..];
        Some(match ext {
            b"java" => Dialect::Java,
            b"kt" | b"kts" => Dialect::Kotlin,
            b"scala" => Dialect::Scala,
            b"groovy" => Dialect::Groovy,
            _ => return None,
        })
    }

    /// Kotlin and Scala block comments nest; Java's and Groovy's end at the first `*/`.
    fn nested_comments(self) -> bool {
        matches!(self, Dialect::Kotlin | Dialect::Scala)
    }

    /// Kotlin and Scala quote identifiers in backticks (`` `fun` ``).
    fn backticks(self) -> bool {
        matches!(self, Dialect::Kotlin | Dialect::Scala)
    }
}

/// What the head of a source file says about its package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Header {
    /// A `package` clause: the dotted name and the line of its `package`
    /// keyword (from 1).
    Package(String, u32),
    /// The file starts with something else (or a malformed clause): it is
    /// in the unnamed package.
    Unnamed,
    /// The text given ends before the answer is known: a longer head is needed.
    Incomplete,
}

/// The package `text` declares. `whole` says `text` is the whole file, not
/// only its first bytes (so its end ends a name or a comment).
pub fn declared_package(text: &[u8], whole: bool, dialect: Dialect) -> Header {
    let mut lx = Lexer { s: text, i: 0, line: 1, dialect, whole };
    lx.header().unwrap_or(Header::Incomplete)
}

/// The head given ended before the answer was known.
struct Cut;

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
    line: u32,
    dialect: Dialect,
    /// The end of `s` is the end of the file.
    whole: bool,
}

impl Lexer<'_> {
    fn header(&mut self) -> Result<Header, Cut> {
        if self.s.starts_with(b"\xEF\xBB\xBF") {
            self.i = 3;
        }
        if self.s[self.i..].starts_with(b"#!") {
            self.skip_line();
        } else if &self.s[self.i..] == b"#" && !self.whole {
            // A `#` ending a head may start a `#!` line.
            return Err(Cut);
        }
        loop {
            self.trivia()?;
            if self.peek()? == Some(b'@') {
                if !self.annotation()? {
                    return Ok(Header::Unnamed);
                }
                continue;
            }
            let line = self.line;
            return match self.ident()? {
                Some(w) if w == b"package" => self.clause(line),
                _ => Ok(Header::Unnamed),
            };
        }
    }

    /// After `package`: the dotted name; in Scala, the names of further
    /// `package` clauses joined on (`package a; package b` is `a.b`).
    fn clause(&mut self, line: u32) -> Result<Header, Cut> {
        let mut parts: Vec<String> = Vec::new();
        loop {
            self.trivia()?;
            let Some(word) = self.ident()? else {
                return Ok(Header::Unnamed);
            };
            let Ok(word) = std::str::from_utf8(word) else {
                return Ok(Header::Unnamed);
            };
            parts.push(word.to_string());
            self.trivia()?;
            if self.peek()? == Some(b'.') {
                self.i += 1;
            } else if !(self.dialect == Dialect::Scala && self.another_clause()?) {
                return Ok(Header::Package(parts.join("."), line));
            }
        }
    }

    /// In Scala, after a clause's name: steps over `;` and the next
    /// `package` keyword if another clause follows. `package object x` and
    /// `package x { ... }` do not: they are members of the package so far.
    fn another_clause(&mut self) -> Result<bool, Cut> {
        let save = (self.i, self.line);
        if self.peek()? == Some(b';') {
            self.i += 1;
            self.trivia()?;
        }
        if self.ident()? == Some(b"package") {
            self.trivia()?;
            let next = (self.i, self.line);
            if self.ident()? != Some(b"object") {
                (self.i, self.line) = next;
                return Ok(true);
            }
        }
        (self.i, self.line) = save;
        Ok(false)
    }

    /// Skips one annotation (`@a.B`, `@B(args)`, `@file:B(...)`,
    /// `@file:[A B]`); false when what follows `@` is not one.
    fn annotation(&mut self) -> Result<bool, Cut> {
        self.i += 1;
        self.trivia()?;
        let save = (self.i, self.line);
        // A Kotlin use-site target: `file:`.
        if self.ident()?.is_some() {
            self.trivia()?;
            if self.peek()? == Some(b':') {
                self.i += 1;
                self.trivia()?;
            } else {
                (self.i, self.line) = save;
            }
        }
        if self.peek()? == Some(b'[') {
            return self.balanced(b'[', b']');
        }
        loop {
            if self.ident()?.is_none() {
                return Ok(false);
            }
            self.trivia()?;
            if self.peek()? != Some(b'.') {
                break;
            }
            self.i += 1;
            self.trivia()?;
        }
        if self.peek()? == Some(b'(') {
            return self.balanced(b'(', b')');
        }
        Ok(true)
    }

    /// Skips from an `open` bracket to its matching `close`, over strings
    /// and comments; false when the file ends first.
    fn balanced(&mut self, open: u8, close: u8) -> Result<bool, Cut> {
        let mut depth = 0usize;
        loop {
            self.trivia()?;
            let Some(c) = self.peek()? else { return Ok(false) };
            if c == b'"' || c == b'\'' {
                self.string()?;
                continue;
            }
            self.i += 1;
            if c == open {
                depth += 1;
            } else if c == close {
                depth -= 1;
                if depth == 0 {
                    return Ok(true);
                }
            }
        }
    }

    /// Skips a string or character literal, `"""` text blocks included.
    fn string(&mut self) -> Result<(), Cut> {
        let quote = self.s[self.i];
        if self.s[self.i..].starts_with(b"\"\"\"") {
            self.i += 3;
            while !self.s[self.i..].starts_with(b"\"\"\"") {
                if self.bump()?.is_none() {
                    return Ok(());
                }
            }
            self.i += 3;
            return Ok(());
        }
        self.i += 1;
        loop {
            match self.bump()? {
                None => return Ok(()),
                Some(b'\\') => {
                    self.bump()?;
                }
                Some(c) if c == quote => return Ok(()),
                Some(_) => {}
            }
        }
    }

    /// An identifier (a backticked one's content), or `None` (nothing consumed).
    fn ident(&mut self) -> Result<Option<&[u8]>, Cut> {
        let Some(c) = self.peek()? else { return Ok(None) };
        if c == b'`' && self.dialect.backticks() {
            let start = self.i + 1;
            let Some(len) = self.s[start..].iter().position(|&b| b == b'`' || b == b'\n') else {
                return if self.whole { Ok(None) } else { Err(Cut) };
            };
            if self.s[start + len] != b'`' || len == 0 {
                return Ok(None);
            }
            self.i = start + len + 1;
            return Ok(Some(&self.s[start..start + len]));
        }
        if !is_ident_start(c) {
            return Ok(None);
        }
        let start = self.i;
        while self.i < self.s.len() && is_ident_part(self.s[self.i]) {
            self.i += 1;
        }
        // An identifier that reaches the end of a head may go on past it.
        if self.i == self.s.len() && !self.whole {
            return Err(Cut);
        }
        Ok(Some(&self.s[start..self.i]))
    }

    /// Skips whitespace and comments.
    fn trivia(&mut self) -> Result<(), Cut> {
        loop {
            match self.peek()? {
                Some(b'\n') => {
                    self.line += 1;
                    self.i += 1;
                }
                Some(b' ' | b'\t' | b'\r' | b'\x0c') => self.i += 1,
                Some(b'/') => match self.s.get(self.i + 1) {
                    Some(b'/') => self.skip_line(),
                    Some(b'*') => self.block_comment()?,
                    // A `/` ending a head may start a comment.
                    None if !self.whole => return Err(Cut),
                    _ => return Ok(()),
                },
                _ => return Ok(()),
            }
        }
    }

    /// Skips a block comment (to the end of a whole file if unterminated).
    fn block_comment(&mut self) -> Result<(), Cut> {
        self.i += 2;
        let mut depth = 1usize;
        loop {
            if self.s[self.i..].starts_with(b"*/") {
                self.i += 2;
                depth -= 1;
                if depth == 0 {
                    return Ok(());
                }
            } else if self.dialect.nested_comments() && self.s[self.i..].starts_with(b"/*") {
                self.i += 2;
                depth += 1;
            } else if self.bump()?.is_none() {
                return Ok(());
            }
        }
    }

    fn skip_line(&mut self) {
        match self.s[self.i..].iter().position(|&b| b == b'\n') {
            Some(n) => self.i += n,
            None => self.i = self.s.len(),
        }
    }

    /// The next byte; `None` at the end of a whole file, `Cut` at the end of a head.
    fn peek(&self) -> Result<Option<u8>, Cut> {
        match self.s.get(self.i) {
            Some(&c) => Ok(Some(c)),
            None if self.whole => Ok(None),
            None => Err(Cut),
        }
    }

    /// Takes one byte, counting lines.
    fn bump(&mut self) -> Result<Option<u8>, Cut> {
        let c = self.peek()?;
        if c.is_some() {
            self.i += 1;
        }
        if c == Some(b'\n') {
            self.line += 1;
        }
        Ok(c)
    }
}

/// Identifiers are ASCII letters, digits, `_`, `$` and any non-ASCII
/// character (its UTF-8 bytes): the name is checked as UTF-8 once read.
fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_ident_part(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit()
}
