//! Finding references: the import matcher recognizes `import`, `export`,
//! `require` and `import()` patterns in the lexer's tokens.

use super::super::{Import, ScanError};
use super::lex::{Lexer, LineCounter};
use super::unescape::unescape;
use super::REQUIRE;

/// Finds the references in one source file (already valid UTF-8).
pub fn scan(src: &str) -> Result<Vec<Import>, ScanError> {
    let mut lexer = Lexer::new(src.as_bytes());
    lexer.run()?;
    let mut lines = LineCounter::default();
    let found = std::mem::take(&mut lexer.matcher.found);
    Ok(found
        .into_iter()
        .map(|lit| {
            let raw = &src[lit.start..lit.end];
            let spec = if raw.contains('\\') { unescape(raw) } else { raw.to_owned() };
            let mut import = Import::new(lines.line_at(src.as_bytes(), lit.start), spec);
            if lit.require {
                import.names.push(REQUIRE.to_owned());
            }
            import
        })
        .collect())
}

/// A word the import matcher tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Word {
    Import,
    Export,
    Require,
    From,
    Type,
    Other,
}

/// A token, as the import matcher sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    /// An identifier or keyword that is not a property name.
    Word(Word),
    /// A string literal, or a template literal without substitutions
    /// (`template`); `start..end` is its content.
    Lit { start: usize, end: usize, template: bool },
    /// A one-byte punctuator.
    Punct(u8),
    /// Anything else: numbers, regexes, longer operators, templates with
    /// substitutions.
    Other,
}

/// Where the import matcher is in the token patterns it recognizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    Idle,
    /// After `import`: a string, `(` or a clause follows.
    Import,
    /// After `export`: `*`, `{` or `type` starts a re-export clause.
    Export,
    /// After `export type`.
    ExportType,
    /// Inside an import or export clause; `braces` inside `{ }`.
    Clause {
        braces: bool,
    },
    /// After `from` outside braces: the module string may follow.
    From,
    /// After `import x =`: `require` may follow.
    Equals,
    /// After `require`: `(` must follow.
    Require,
    /// After `require(` or `import(`.
    CallOpen {
        dynamic: bool,
    },
    /// After `require("s"` or `import("s"`: `)` completes it, and for
    /// `import` also `,` (import attributes).
    CallArg {
        dynamic: bool,
        start: usize,
        end: usize,
    },
}

/// The content range of a module string.
#[derive(Clone, Copy, Debug)]
pub(super) struct Found {
    pub(super) start: usize,
    pub(super) end: usize,
    /// A `require` call (or `import x = require`), which packages resolve
    /// under the `require` condition rather than `import`.
    pub(super) require: bool,
}

/// Recognizes references in the stream of code tokens.
pub(super) struct Matcher {
    pub(super) state: State,
    pub(super) found: Vec<Found>,
}

impl Matcher {
    /// Advances on `tok`; a token that breaks the pattern in progress starts
    /// over from `Idle`, where it may begin a new one.
    pub(super) fn feed(&mut self, tok: Tok) {
        if let Some(next) = self.step(tok) {
            self.state = next;
        } else {
            self.state = self.step_idle(tok);
        }
    }

    /// Forgets any pattern in progress.
    pub(super) fn reset(&mut self) {
        self.state = State::Idle;
    }

    fn step_idle(&self, tok: Tok) -> State {
        match tok {
            Tok::Word(Word::Import) => State::Import,
            Tok::Word(Word::Export) => State::Export,
            Tok::Word(Word::Require) => State::Require,
            _ => State::Idle,
        }
    }

    /// The state after `tok`, or `None` when `tok` breaks the pattern.
    fn step(&mut self, tok: Tok) -> Option<State> {
        use State::*;
        let next = match (self.state, tok) {
            (Idle, _) => return None,
            (Import | From, Tok::Lit { start, end, template: false }) => self.emit(start, end, false),
            (Import, Tok::Punct(b'(')) => CallOpen { dynamic: true },
            (Import, Tok::Word(_) | Tok::Punct(b'*')) => Clause { braces: false },
            (Import | Export | ExportType, Tok::Punct(b'{')) => Clause { braces: true },
            (Export | ExportType, Tok::Punct(b'*')) => Clause { braces: false },
            (Export, Tok::Word(Word::Type)) => ExportType,
            (Export, Tok::Word(Word::Import)) => Import,
            (Clause { braces: true }, Tok::Word(_) | Tok::Punct(b',') | Tok::Lit { template: false, .. }) => {
                Clause { braces: true }
            }
            (Clause { braces: true }, Tok::Punct(b'}')) => Clause { braces: false },
            // A new statement's keyword ends a clause that had no `from`
            // (`export { a }` followed by `require(...)` on the next line).
            (Clause { braces: false }, Tok::Word(Word::Import | Word::Export | Word::Require)) => {
                return None
            }
            (Clause { braces: false } | From, Tok::Word(Word::From)) => From,
            (Clause { braces: false }, Tok::Word(_) | Tok::Punct(b'*')) => Clause { braces: false },
            (Clause { braces: false }, Tok::Punct(b'{')) => Clause { braces: true },
            (Clause { braces: false } | From, Tok::Punct(b',')) => Clause { braces: false },
            (Clause { braces: false } | From, Tok::Punct(b'=')) => Equals,
            (Equals, Tok::Word(Word::Require)) => Require,
            (Require, Tok::Punct(b'(')) => CallOpen { dynamic: false },
            (CallOpen { dynamic }, Tok::Lit { start, end, .. }) => CallArg { dynamic, start, end },
            (CallArg { dynamic, start, end }, Tok::Punct(b')'))
            | (CallArg { dynamic: dynamic @ true, start, end }, Tok::Punct(b',')) => {
                self.emit(start, end, !dynamic)
            }
            _ => return None,
        };
        Some(next)
    }

    fn emit(&mut self, start: usize, end: usize, require: bool) -> State {
        self.found.push(Found { start, end, require });
        State::Idle
    }
}

#[cfg(test)]
mod tests {
    use super::super::lex::MAX_NESTING;
    use super::*;

    fn specs(src: &str) -> Vec<(u32, String)> {
        scan(src).unwrap().into_iter().map(|i| (i.line, i.spec)).collect()
    }

    fn one(line: u32, spec: &str) -> Vec<(u32, String)> {
        vec![(line, spec.to_owned())]
    }

    #[test]
    fn import_and_export_forms() {
        let src = r#"import a from "a";
import {b, c as d} from 'b';
import * as n from "c";
import "d";
import type { T } from "e";
import e, { f } from "f";
import {
  g,
} from "g";
export { h } from "h";
export * from "i";
export * as ns from "j";
export type { U } from "k";
import x = require("l");
const m = require("m");
const o = await import("n");
const p = import(`o`);
import from from "p";
import { "q-r" as qr } from "q";
import json from "./r.json" with { type: "json" };
const s = import("s", { with: { type: "json" } });
export import y = require("t");
"#;
        let got: Vec<String> = specs(src).into_iter().map(|(_, s)| s).collect();
        let want: Vec<String> =
            "a b c d e f g h i j k l m n o p q ./r.json s t".split(' ').map(str::to_owned).collect();
        assert_eq!(got, want);
        assert_eq!(specs(src)[6], (9, "g".to_owned()));
        let required: Vec<String> =
            scan(src).unwrap().into_iter().filter(|i| i.names == [REQUIRE]).map(|i| i.spec).collect();
        assert_eq!(required, ["l", "m", "t"]);
    }

    #[test]
    fn not_references() {
        let src = r#"// import a from "a";
/* require("b") */
/** @type {import("c").T} */
const s = "import d from 'd'";
const t = 'require("e")';
const u = `import("f") ${ `nested ${ "require('g')" } import("h")` } tail`;
const r = /import("i")/;
x.require("j");
x?.require("k");
const dyn = import(`./${name}.js`);
const sum = require("l" + m);
const two = require("n", o);
export { p };
export const from = "q";
import.meta.url;
class C { import() {} require(x) {} }
"#;
        assert_eq!(specs(src), vec![]);
    }

    #[test]
    fn substitutions_hold_code() {
        let src = "const a = `x ${ `y ${ await import(\"deep\") }` }`;\nrequire(\"after\");";
        assert_eq!(specs(src), vec![(1, "deep".to_owned()), (2, "after".to_owned())]);
    }

    #[test]
    fn regex_or_division() {
        let src = "let q = a / b / c; require(\"a\");\n\
                   let t = /'/.test(s); require(\"b\");\n\
                   if (x) /require(\"c\")/.test(y);\n\
                   let u = (a) / 2 / (b); require(\"d\");\n\
                   let v = [1] / 2 / [1]; require(\"e\");\n\
                   return /[/]require(\"f\")/;\n\
                   x = y\n/ 2 / require(\"g\");";
        let got: Vec<String> = specs(src).into_iter().map(|(_, s)| s).collect();
        assert_eq!(got, ["a", "b", "d", "e", "g"]);
    }

    #[test]
    fn unterminated_regex_is_a_division() {
        // `a.b / c` after a property: division, not a regex that would run
        // to the end of the line.
        assert_eq!(specs("x = a.return / 2; require('a')"), one(1, "a"));
        // A `/` misjudged as a regex gives way at the end of its line.
        assert_eq!(specs("x = {} / 2; require('b')"), one(1, "b"));
    }

    #[test]
    fn jsx_text_is_not_code() {
        let src = r#"import A from "./a";
export const V = () => (
  <div className="x" title='require("t")'>
    Don't import("./nope") here, it's {name}'s.
    <span>{cond ? import("./yes") : null}</span>
    <br />
    <>fragment's text</>
  </div>
);
const after = require("./after");
"#;
        assert_eq!(specs(src), vec![(1, "./a".into()), (5, "./yes".into()), (10, "./after".into())]);
    }

    #[test]
    fn typescript_angles_are_not_jsx() {
        let src = r#"const f = <T,>(x: T) => x;
const g = <T extends object>(x: T) => x;
const h = <T>(x: T): T => x;
const n = <string>value;
const k = <const T>(x: T) => x;
if (a < b && c > d) {}
const m = "<b>it's</b>";
const lazy = () => import("./lazy");
"#;
        assert_eq!(specs(src), one(8, "./lazy"));
    }

    #[test]
    fn jsx_attribute_expressions_are_code() {
        let src = "const b = <Button onClick={() => import(\"./routes\")} label={`a${b}`}>x</Button>;";
        assert_eq!(specs(src), one(1, "./routes"));
        let src = "const b = <Outer render={<Inner x={require('./i')} />}>{a / b}</Outer>; require('./o');";
        assert_eq!(specs(src), vec![(1, "./i".into()), (1, "./o".into())]);
    }

    #[test]
    fn escapes_in_specifiers() {
        assert_eq!(specs(r#"import a from "./a\x2ejs";"#), one(1, "./a.js"));
        assert_eq!(specs(r#"require("\u{1F600}\uD83D\uDE00\'");"#), one(1, "\u{1F600}\u{1F600}'"));
        assert_eq!(specs("import b from \"./b\\\nc\";"), one(1, "./bc"));
    }

    #[test]
    fn line_terminators_end_line_comments() {
        assert_eq!(specs("// note\rrequire('a')"), one(1, "a"));
        assert_eq!(specs("// note\u{2028}require('b')"), one(1, "b"));
        assert_eq!(specs("#!/usr/bin/env node\nrequire('c')"), one(2, "c"));
    }

    #[test]
    fn errors_name_the_line() {
        let err = scan("a;\n/* open\nrequire('x')").unwrap_err();
        assert_eq!(err.line, 2);
        let err = scan("a;\nb;\nconst t = `open ${x}\n").unwrap_err();
        assert_eq!(err.line, 3);
        let err = scan("x = <div>\n<p>text\n</div>\n").unwrap_err();
        assert_eq!((err.line, err.message.as_str()), (1, "unterminated JSX element"));
        // An unterminated string ends at its line and hides nothing.
        assert_eq!(specs("x = 'open\nrequire('a')"), one(2, "a"));
    }

    #[test]
    fn hostile_input_neither_panics_nor_recurses() {
        let deep = "(".repeat(100_000) + &"{".repeat(100_000) + &"`${".repeat(50_000);
        assert!(scan(&deep).is_err());
        let deep = "x = 1;\n".to_owned() + &"[{(".repeat(MAX_NESTING);
        assert_eq!(scan(&deep).unwrap_err().line, 2);
        let nested = "(".repeat(MAX_NESTING - 1) + "require('a')" + &")".repeat(MAX_NESTING - 1);
        assert_eq!(specs(&nested), one(1, "a"));
        let slashes = "(/[".repeat(50_000);
        assert!(scan(&slashes).is_ok());
        let angles = "x = <a b c ".repeat(20_000);
        assert!(scan(&angles).is_ok());
        for src in ["\\", "'\\", "`\\", "/\\", "<", "</", "x=<a>", "import(", "require(`", "#", "?.", "1."] {
            let _ = scan(src);
        }
    }
}
