//! The scanner: imports and qualified names read from the lexer's tokens,
//! and the names a file declares at its top level.

use super::super::{Import, ScanError};
use super::lex::{Kind, Lexer, Token};
use super::{Dialect, IN_CODE, WILDCARD};

/// Finds the references in one source file (already valid UTF-8) of `dialect`.
pub fn scan(src: &str, dialect: Dialect) -> Result<Vec<Import>, ScanError> {
    let mut scanner = Scanner {
        lexer: Lexer::new(src, dialect),
        dialect,
        back: None,
        imports: Vec::new(),
        buffer: Vec::new(),
    };
    scanner.run()?;
    Ok(scanner.imports)
}

/// Words after which a qualified name is no package path: `this.a.B`.
const NOT_PACKAGES: [&str; 3] = ["this", "super", "it"];

struct Scanner<'a> {
    lexer: Lexer<'a>,
    dialect: Dialect,
    /// A token read ahead and put back.
    back: Option<Token<'a>>,
    imports: Vec<Import>,
    /// The segments of the last name read in code, kept for the next.
    buffer: Vec<&'a str>,
}

/// A dotted name as read: its segments and what followed it.
struct Dotted<'a> {
    segments: Vec<&'a str>,
    /// The line of its last segment.
    line: u32,
    /// It ended in `.*`.
    star: bool,
    /// It ended in `.{` (a Scala selector list, now open).
    selectors: bool,
}

impl<'a> Scanner<'a> {
    fn next(&mut self) -> Result<Token<'a>, ScanError> {
        match self.back.take() {
            Some(token) => Ok(token),
            None => self.lexer.next(),
        }
    }

    fn run(&mut self) -> Result<(), ScanError> {
        // Kotlin's `import` is a soft keyword, one only in the file header.
        let mut header = true;
        let mut prev = Kind::Other;
        loop {
            let token = self.next()?;
            let after_dot = prev == Kind::Dot;
            prev = token.kind;
            match token.kind {
                Kind::Eof => return Ok(()),
                Kind::Ident { .. } if after_dot => {}
                Kind::Ident { text: "package", quoted: false } => {
                    self.dotted(Vec::new())?;
                    prev = Kind::Other;
                }
                Kind::Ident { text: "import", quoted: false }
                    if header || self.dialect != Dialect::Kotlin =>
                {
                    match self.dialect {
                        Dialect::Java | Dialect::Kotlin => self.import(token.line)?,
                        Dialect::Scala => self.scala_import()?,
                    }
                    prev = Kind::Other;
                }
                Kind::Ident { text, quoted } => {
                    let declaring = matches!(text, "class" | "interface" | "object" | "fun" | "val" | "var");
                    if declaring && !quoted {
                        header = false;
                    }
                    prev = self.code_name(token)?;
                }
                // A file annotation's arguments (`@file:Suppress(names = [..])`)
                // hold no brace; a declaration's body does.
                Kind::LBrace => header = false,
                _ => {}
            }
        }
    }

    /// Reads `a.b.c` after its first segment(s) `segments`: more `.name`
    /// segments, and a closing `.*` or `.{`. The token after it is put back.
    fn dotted(&mut self, mut segments: Vec<&'a str>) -> Result<Dotted<'a>, ScanError> {
        let mut line = 0;
        if segments.is_empty() {
            let first = self.next()?;
            match first.kind.ident() {
                Some(name) => {
                    segments.push(name);
                    line = first.line;
                }
                None => {
                    self.back = Some(first);
                    return Ok(Dotted { segments, line: first.line, star: false, selectors: false });
                }
            }
        }
        loop {
            let token = self.next()?;
            if token.kind != Kind::Dot {
                self.back = Some(token);
                return Ok(Dotted { segments, line, star: false, selectors: false });
            }
            let after = self.next()?;
            match after.kind {
                Kind::Ident { text, .. } => {
                    segments.push(text);
                    line = after.line;
                }
                Kind::Star => return Ok(Dotted { segments, line: after.line, star: true, selectors: false }),
                Kind::LBrace => return Ok(Dotted { segments, line, star: false, selectors: true }),
                _ => {
                    self.back = Some(after);
                    return Ok(Dotted { segments, line, star: false, selectors: false });
                }
            }
        }
    }

    /// Java's `import [static] a.b.C[.*];` and Kotlin's `import a.b.C[.*]
    /// [as D]`, after `import` on `line`.
    fn import(&mut self, line: u32) -> Result<(), ScanError> {
        let first = self.next()?;
        let first = match first.kind.word() {
            Some("static") if self.dialect == Dialect::Java => self.next()?,
            _ => first,
        };
        let Some(name) = first.kind.ident() else {
            self.back = Some(first);
            return Ok(());
        };
        let dotted = self.dotted(vec![name])?;
        self.push(line, &dotted.segments, dotted.star);
        Ok(())
    }

    /// Scala's `import a.b.C, d.e._, f.{G, H => I, J => _}` after `import`.
    fn scala_import(&mut self) -> Result<(), ScanError> {
        loop {
            let mut dotted = self.dotted(Vec::new())?;
            if dotted.segments.first() == Some(&"_root_") {
                dotted.segments.remove(0);
            }
            if dotted.selectors {
                self.selectors(&dotted.segments)?;
            } else if let Some(&last) = dotted.segments.last() {
                // `a._` and Scala 3's `a.given` import every (given) member.
                let wildcard = dotted.star || matches!(last, "_" | "given");
                if matches!(last, "_" | "given") {
                    dotted.segments.pop();
                }
                self.push(dotted.line, &dotted.segments, wildcard);
                // Scala 3's `import a.B as C`.
                let after = self.next()?;
                if after.kind.word() == Some("as") {
                    self.next()?;
                } else {
                    self.back = Some(after);
                }
            }
            let after = self.next()?;
            if after.kind != Kind::Comma {
                self.back = Some(after);
                return Ok(());
            }
        }
    }

    /// The selectors of `prefix.{...}` after its `{`, through its `}`.
    fn selectors(&mut self, prefix: &[&'a str]) -> Result<(), ScanError> {
        let mut path = prefix.to_vec();
        loop {
            let token = self.next()?;
            let name = match token.kind {
                Kind::RBrace | Kind::Eof => return Ok(()),
                Kind::Star => None,
                Kind::Ident { text: "given", quoted: false } => {
                    self.skip_selector()?;
                    None
                }
                Kind::Ident { text: "_", quoted: false } => None,
                Kind::Ident { text, .. } => Some(text),
                _ => continue,
            };
            // `D => E` and `D as E` rename; `D => _` hides D.
            let after = self.next()?;
            let renamed = after.kind == Kind::Arrow || after.kind.word() == Some("as");
            let hidden = renamed && self.next()?.kind.word() == Some("_");
            if !renamed {
                self.back = Some(after);
            }
            if hidden {
                continue;
            }
            match name {
                Some(name) => {
                    path.push(name);
                    self.push(token.line, &path, false);
                    path.pop();
                }
                None => self.push(token.line, &path, true),
            }
        }
    }

    /// Skips a `given Type[A, B]` selector up to the `,` or `}` after it.
    fn skip_selector(&mut self) -> Result<(), ScanError> {
        let mut depth = 0usize;
        loop {
            let token = self.next()?;
            match token.kind {
                Kind::LBracket => depth += 1,
                Kind::RBracket => depth = depth.saturating_sub(1),
                Kind::Comma | Kind::RBrace | Kind::Eof if depth == 0 => {
                    self.back = Some(token);
                    return Ok(());
                }
                _ => {}
            }
        }
    }

    /// A name in code starting at `first`: a reference when it looks like
    /// a package path (see the module doc). Returns the kind of the last
    /// token it took.
    fn code_name(&mut self, first: Token<'a>) -> Result<Kind<'a>, ScanError> {
        let Some(name) = first.kind.ident() else { return Ok(first.kind) };
        // Most names stand alone: nothing to collect.
        let next = self.next()?;
        self.back = Some(next);
        if next.kind != Kind::Dot {
            return Ok(first.kind);
        }
        let mut segments = std::mem::take(&mut self.buffer);
        segments.clear();
        segments.push(name);
        let mut dotted = self.dotted(segments)?;
        self.candidate(&mut dotted, first.line);
        self.buffer = dotted.segments;
        Ok(first.kind)
    }

    /// Takes the name in code `dotted`, from `line`, if it looks like a
    /// package path.
    fn candidate(&mut self, dotted: &mut Dotted<'a>, line: u32) {
        if dotted.star || dotted.selectors {
            return;
        }
        if dotted.segments.first() == Some(&"_root_") && self.dialect == Dialect::Scala {
            dotted.segments.remove(0);
        }
        let segments = &dotted.segments;
        let lower = segments.first().is_some_and(|s| s.starts_with(|c: char| c.is_ascii_lowercase()));
        let upper_after = segments.iter().skip(1).any(|s| s.starts_with(|c: char| c.is_uppercase()));
        if segments.len() >= 2
            && lower
            && (segments.len() >= 3 || upper_after)
            && !NOT_PACKAGES.contains(&segments[0])
        {
            let spec = segments.join(".");
            // The same name twice on a line (`a.B x = new a.B()`) is one reference.
            let repeated = self.imports.last().is_some_and(|i| i.line == line && i.spec == spec);
            if !repeated {
                let names = vec![IN_CODE.to_owned()];
                self.imports.push(Import { line, spec, names });
            }
        }
    }

    fn push(&mut self, line: u32, segments: &[&str], wildcard: bool) {
        if segments.is_empty() || segments.iter().any(|s| s.is_empty()) {
            return;
        }
        let names = if wildcard { vec![WILDCARD.to_owned()] } else { Vec::new() };
        self.imports.push(Import { line, spec: segments.join("."), names });
    }
}

/// What a top-level declaration keyword introduces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    /// A class, interface, object, trait, record, enum or type alias: its
    /// name is the next identifier.
    Type,
    /// A function or property: its name is the last identifier before its
    /// parameters, type or value (after a receiver `String.name`).
    Member { angles: u32 },
}

/// The keywords of top-level declarations in `dialect`.
fn declaration_keyword(dialect: Dialect, word: &str) -> Option<Pending> {
    let member = Pending::Member { angles: 0 };
    match (dialect, word) {
        (_, "class" | "interface") => Some(Pending::Type),
        (Dialect::Java, "enum" | "record") => Some(Pending::Type),
        (Dialect::Kotlin, "object" | "typealias") => Some(Pending::Type),
        (Dialect::Kotlin, "fun" | "val" | "var") => Some(member),
        (Dialect::Scala, "object" | "trait" | "enum" | "type") => Some(Pending::Type),
        (Dialect::Scala, "def" | "val" | "var" | "given") => Some(member),
        _ => None,
    }
}

/// The names `src` declares at its top level (outside every brace and
/// parenthesis), in order: classes and the like, and Kotlin's (and Scala
/// 3's) top-level functions and properties. A file that does not lex
/// declares what came before the trouble.
pub fn declarations(src: &str, dialect: Dialect) -> Vec<String> {
    let mut lexer = Lexer::new(src, dialect);
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut pending: Option<Pending> = None;
    let mut last: Option<&str> = None;
    let mut after_dot = false;
    while let Ok(token) = lexer.next() {
        let kind = token.kind;
        let was_after_dot = std::mem::replace(&mut after_dot, kind == Kind::Dot);
        if depth > 0 {
            match kind {
                Kind::LBrace | Kind::LParen => depth += 1,
                Kind::RBrace | Kind::RParen => depth -= 1,
                Kind::Eof => break,
                _ => {}
            }
            continue;
        }
        // A member's name is the identifier before what ends its head.
        let ends_member =
            matches!(kind, Kind::LParen | Kind::LBrace | Kind::Colon | Kind::Eq | Kind::LBracket)
                || matches!(kind.word(), Some("by" | "get"));
        if let (Some(Pending::Member { angles: 0 }), true) = (pending, ends_member) {
            out.extend(last.take().map(str::to_owned));
            pending = None;
        }
        match kind {
            Kind::Eof => break,
            Kind::LBrace | Kind::LParen => depth += 1,
            Kind::Lt => {
                if let Some(Pending::Member { angles }) = &mut pending {
                    *angles += 1;
                }
            }
            Kind::Gt => {
                if let Some(Pending::Member { angles }) = &mut pending {
                    *angles = angles.saturating_sub(1);
                }
            }
            Kind::Ident { text, quoted } => {
                let keyword = if quoted || was_after_dot { None } else { declaration_keyword(dialect, text) };
                match (keyword, pending) {
                    (Some(k), _) => {
                        pending = Some(k);
                        last = None;
                    }
                    (None, Some(Pending::Type)) => {
                        out.push(text.to_owned());
                        pending = None;
                    }
                    (None, Some(Pending::Member { angles: 0 })) => last = Some(text),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(src: &str, dialect: Dialect) -> Vec<String> {
        scan(src, dialect)
            .unwrap()
            .into_iter()
            .map(|i| {
                let tag = match i.names.first().map(String::as_str) {
                    Some(WILDCARD) => " *",
                    Some(IN_CODE) => " code",
                    _ => "",
                };
                format!("{}:{}{tag}", i.line, i.spec)
            })
            .collect()
    }

    #[test]
    fn java_imports_and_qualified_names() {
        let src = r#"package com.acme.billing;

import com.acme.core.Money;
import com.acme.core.*;
import static com.acme.core.Rates.TAX;
import static com.acme.core.Rates.*;
// import com.acme.InComment;
/** {@link com.acme.InJavadoc} */
@com.acme.audit.Audited
class Invoice extends com.acme.core.Base {
    String s = """
        import com.acme.InTextBlock;
        """;
    char c = '"'; String t = "import com.acme.InString;";
    com.acme.core.Money m = new com.acme.core.Money(); Money.of(1).add(x.y); this.a.b.C = 1;
    java.util.List<com.acme.core.Cents> l; a.b.c.d(); items.stream().map(Item::name);
}
"#;
        assert_eq!(
            specs(src, Dialect::Java),
            [
                "3:com.acme.core.Money",
                "4:com.acme.core *",
                "5:com.acme.core.Rates.TAX",
                "6:com.acme.core.Rates *",
                "9:com.acme.audit.Audited code",
                "10:com.acme.core.Base code",
                "15:com.acme.core.Money code",
                "16:java.util.List code",
                "16:com.acme.core.Cents code",
                "16:a.b.c.d code",
            ]
        );
    }

    #[test]
    fn kotlin_imports_templates_and_soft_keywords() {
        let src = r#"@file:JvmName("Billing")
@file:Suppress(names = ["unused"])
package com.acme.billing

import com.acme.core.Money
import com.acme.core.Money as Cash
import com.acme.`fun`.Thing
import com.acme.util.*
import com.acme.util.formatMoney

/* outer /* nested import com.acme.Nested */ still comment */
val label = "${com.acme.core.Labels.NAME} $x import com.acme.InString"
val raw = """
  import com.acme.InRaw ${com.acme.core.Raw.x}
"""
fun import(x: Int) = x
class A { fun f() { import(1); x.import(2) } }
"#;
        assert_eq!(
            specs(src, Dialect::Kotlin),
            [
                "5:com.acme.core.Money",
                "6:com.acme.core.Money",
                "7:com.acme.fun.Thing",
                "8:com.acme.util *",
                "9:com.acme.util.formatMoney",
                "12:com.acme.core.Labels.NAME code",
                "14:com.acme.core.Raw.x code",
            ]
        );
    }

    #[test]
    fn scala_imports_selectors_and_interpolation() {
        let src = r#"package com.acme
package billing

import com.acme.core.{Money, Rate => R, Hidden => _, _}
import com.acme.util._, com.acme.more.*
import _root_.com.acme.core.Base
import com.acme.core.given
import com.acme.core.{given Ordering[Int], Cents}
import com.acme.core.Money as Cash

object Invoice {
  import com.acme.inner.Helper
  val s = s"${com.acme.core.Fmt.x} $y import com.acme.InString"
  val t = 'sym
}
"#;
        assert_eq!(
            specs(src, Dialect::Scala),
            [
                "4:com.acme.core.Money",
                "4:com.acme.core.Rate",
                "4:com.acme.core *",
                "5:com.acme.util *",
                "5:com.acme.more *",
                "6:com.acme.core.Base",
                "7:com.acme.core *",
                "8:com.acme.core *",
                "8:com.acme.core.Cents",
                "9:com.acme.core.Money",
                "12:com.acme.inner.Helper",
                "13:com.acme.core.Fmt.x code",
            ]
        );
    }

    #[test]
    fn unterminated_text_blocks_and_comments_do_not_scan() {
        assert_eq!(scan("class A {\n String s = \"\"\"\n", Dialect::Java).unwrap_err().line, 2);
        assert_eq!(scan("/* a /* b */", Dialect::Kotlin).unwrap_err().line, 1);
        assert!(scan("/* a /* b */", Dialect::Java).is_ok());
    }

    #[test]
    fn random_input_never_panics() {
        const ALPHABET: &[&str] = &[
            "import ", "package ", "a", "B", ".", "*", "{", "}", "\"", "\"\"\"", "'", "`", "$", "${", "\\",
            "/*", "*/", "//", "\n", " ", "=>", "_", ",", "é", "class ", "fun ", "(",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2_000 {
            let mut src = String::new();
            for _ in 0..40 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                src.push_str(ALPHABET[(state % ALPHABET.len() as u64) as usize]);
            }
            for dialect in [Dialect::Java, Dialect::Kotlin, Dialect::Scala] {
                let _ = scan(&src, dialect);
                let _ = declarations(&src, dialect);
            }
        }
    }

    #[test]
    fn top_level_declarations() {
        let kotlin = r#"package a
import b.C
typealias Cents = Long
fun formatMoney(x: Int): String = "$x"
fun <T> List<T>.second(): T = this[1]
val String.cents: Long get() = 0
val rate by lazy { 1 }
data class Invoice(val id: Int) { fun inner() {} }
enum class Color { RED }
fun interface Pricer { fun price(): Int }
object Registry
private const val LIMIT = 3
"#;
        let want = [
            "Cents",
            "formatMoney",
            "second",
            "cents",
            "rate",
            "Invoice",
            "Color",
            "Pricer",
            "Registry",
            "LIMIT",
        ];
        assert_eq!(declarations(kotlin, Dialect::Kotlin), want);
        let java = "package a;\n@interface Ann {}\npublic class A { class Inner {} Object o = A.class; }\nrecord R(int x) {}\nenum E { X }";
        assert_eq!(declarations(java, Dialect::Java), ["Ann", "A", "R", "E"]);
        let scala = "package a\ncase class Money(c: Long)\nobject Money { def zero = 0 }\ntrait T\ndef top[A](a: A) = a";
        assert_eq!(declarations(scala, Dialect::Scala), ["Money", "Money", "T", "top"]);
    }
}
