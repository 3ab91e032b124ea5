//! The import statements: `import a.b as c` and `from ..a import (b, c)`,
//! read where the lexer finds a statement beginning with either keyword.

use super::super::{Import, ScanError};
use super::lex::Lexer;

/// Finds the references in one source file (already valid UTF-8).
pub fn scan(src: &str) -> Result<Vec<Import>, ScanError> {
    let mut lexer = Lexer::new(src);
    lexer.run()?;
    Ok(lexer.imports)
}

impl<'a> Lexer<'a> {
    /// Skips blanks inside a statement: spaces, backslash continuations
    /// and, inside parentheses, line breaks and comments.
    fn skip_blank(&mut self, in_parens: bool) {
        while let Some(c) = self.peek(0) {
            match c {
                b' ' | b'\t' | b'\x0c' => self.i += 1,
                b'\\' if matches!(self.peek(1), Some(b'\n' | b'\r')) => self.backslash(),
                b'\n' | b'\r' if in_parens => self.newline(),
                b'#' if in_parens => self.skip_comment(),
                _ => return,
            }
        }
    }

    /// Takes the name at the cursor.
    fn ident(&mut self) -> Option<&'a str> {
        let (len, word) = self.ident_at(self.i);
        self.i += len;
        (!word.is_empty()).then_some(word)
    }

    /// True, stepping over it, if the keyword `kw` is at the cursor.
    fn keyword(&mut self, kw: &str) -> bool {
        let hit = self.ident_at(self.i).1 == kw;
        if hit {
            self.i += kw.len();
        }
        hit
    }

    /// Reads `a.b.c` (blanks allowed around the dots, as in Python).
    fn dotted_name(&mut self, in_parens: bool) -> Option<String> {
        let mut name = self.ident()?.to_owned();
        loop {
            let (i, line) = (self.i, self.line);
            self.skip_blank(in_parens);
            if self.peek(0) == Some(b'.') {
                self.i += 1;
                self.skip_blank(in_parens);
                if let Some(part) = self.ident() {
                    name.push('.');
                    name.push_str(part);
                    continue;
                }
            }
            (self.i, self.line) = (i, line);
            return Some(name);
        }
    }

    /// Skips `as NAME` if it follows.
    fn alias(&mut self, in_parens: bool) {
        self.skip_blank(in_parens);
        if self.keyword("as") {
            self.skip_blank(in_parens);
            self.ident();
            self.skip_blank(in_parens);
        }
    }

    /// `import a.b as c, d`: one reference per module, at its own line.
    /// On a syntax error the statement ends and the main loop reads on.
    pub(super) fn plain_import(&mut self) {
        loop {
            self.skip_blank(false);
            let line = self.line;
            let Some(name) = self.dotted_name(false) else { return };
            self.imports.push(Import::new(line, name));
            self.alias(false);
            if self.peek(0) != Some(b',') {
                return;
            }
            self.i += 1;
        }
    }

    /// `from ..a.b import (x as y, z)`, `from . import x`, `from m import *`:
    /// one reference per name, as each may be a submodule of its own.
    pub(super) fn import_from(&mut self) {
        let line = self.line;
        self.skip_blank(false);
        let mut spec = String::new();
        while self.peek(0) == Some(b'.') {
            spec.push('.');
            self.i += 1;
            self.skip_blank(false);
        }
        if self.ident_at(self.i).1 != "import" {
            let Some(module) = self.dotted_name(false) else { return };
            spec.push_str(&module);
            self.skip_blank(false);
        }
        if spec.is_empty() || !self.keyword("import") {
            return;
        }
        self.skip_blank(false);
        let names = match self.peek(0) {
            Some(b'*') => {
                self.i += 1;
                vec!["*".to_owned()]
            }
            Some(b'(') => {
                self.i += 1;
                let names = self.names(true);
                if self.peek(0) == Some(b')') {
                    self.i += 1;
                }
                names
            }
            _ => self.names(false),
        };
        for name in names {
            self.imports.push(Import { line, spec: spec.clone(), names: vec![name] });
        }
    }

    /// The names of a `from` import, aliases dropped; a trailing comma is
    /// fine inside parentheses.
    fn names(&mut self, in_parens: bool) -> Vec<String> {
        let mut names = Vec::new();
        loop {
            self.skip_blank(in_parens);
            let Some(name) = self.ident() else { return names };
            names.push(name.to_owned());
            self.alias(in_parens);
            if self.peek(0) != Some(b',') {
                return names;
            }
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(line, spec, names)` of every import `scan` finds.
    fn found(src: &str) -> Vec<(u32, String, Vec<String>)> {
        scan(src).unwrap().into_iter().map(|i| (i.line, i.spec, i.names)).collect()
    }

    fn specs(src: &str) -> Vec<String> {
        scan(src).unwrap().into_iter().map(|i| i.spec).collect()
    }

    fn imp(line: u32, spec: &str, names: &[&str]) -> (u32, String, Vec<String>) {
        (line, spec.to_owned(), names.iter().map(|n| n.to_string()).collect())
    }

    #[test]
    fn statement_forms() {
        let src = "import a.b.c\nimport a.b as x, c\nfrom a.b import x, y as z\nfrom . import x\n\
                   from ..a import (b,\n    c,  # why\n)\nfrom a import *\nfrom ... import q\nfrom . a import b\n";
        assert_eq!(
            found(src),
            vec![
                imp(1, "a.b.c", &[]),
                imp(2, "a.b", &[]),
                imp(2, "c", &[]),
                imp(3, "a.b", &["x"]),
                imp(3, "a.b", &["y"]),
                imp(4, ".", &["x"]),
                imp(5, "..a", &["b"]),
                imp(5, "..a", &["c"]),
                imp(8, "a", &["*"]),
                imp(9, "...", &["q"]),
                imp(10, ".a", &["b"]),
            ]
        );
    }

    #[test]
    fn continuations_and_nesting() {
        let src = "import a, \\\n    b\nfrom c \\\n  import d\nif x:\n    import e\ntry: import f\n\
                   except ImportError: import g\ndef h():\n\timport i; import j\nclass K: from l import m\n";
        assert_eq!(
            found(src),
            vec![
                imp(1, "a", &[]),
                imp(2, "b", &[]),
                imp(3, "c", &["d"]),
                imp(6, "e", &[]),
                imp(7, "f", &[]),
                imp(8, "g", &[]),
                imp(10, "i", &[]),
                imp(10, "j", &[]),
                imp(11, "l", &["m"]),
            ]
        );
    }

    #[test]
    fn not_statements() {
        let src = "x.import_ = 1\n__import__('a')\nimportlib.import_module('b')\ny = (\nimport_x)\n\
                   d = {k: v}\nraise E from err\nyield from gen\nprint(x, import_)\n";
        assert_eq!(specs(src), Vec::<String>::new());
    }

    #[test]
    fn comments_and_strings() {
        let src = "# import a\n'''\nimport b\n'''\n\"\"\"import c\"\"\"\ns = 'import d'; t = \"import e\"\n\
                   r'\\' import f'\nb\"import g\"\nRb'''\nimport h'''\nu'\\u0041 import i'\nimport ok\n";
        assert_eq!(found(src), vec![imp(12, "ok", &[])]);
    }

    #[test]
    fn fstrings_nested_the_312_way() {
        let src = concat!(
            "x = f\"{f\"{'import a'}\"}\" ; import b\n",
            "y = f\"{x:'>10} import c\" f'{x:\"^3}'\n",
            "z = f\"\\N{BULLET} {x!r:{width}} {{import d}}\"\n",
            "w = rf'''{\n  \"\"\"import e\"\"\"  # import f\n}'''\n",
            "v = f\"{d['k']}\" f'{\"}\"}' t\"{x}\"\n",
            "import g\n",
        );
        assert_eq!(found(src), vec![imp(1, "b", &[]), imp(8, "g", &[])]);
    }

    #[test]
    fn line_breaks_and_bom() {
        assert_eq!(
            found("\u{feff}import a\r\nimport b\rimport c\n"),
            vec![imp(1, "a", &[]), imp(2, "b", &[]), imp(3, "c", &[])]
        );
    }

    #[test]
    fn unterminated_strings() {
        let err = scan("import a\nx = '''\nimport b\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(scan("x = f'''{y}\n").unwrap_err().line, 1);
        // A one-line string left open ends at its line break.
        assert_eq!(specs("x = 'abc\nimport a\n"), vec!["a"]);
    }

    #[test]
    fn deep_fstring_nesting_is_an_error_not_a_crash() {
        let src = "f\"{".repeat(100_000);
        assert!(scan(&src).is_err());
        let brackets = "(".repeat(100_000) + "\nimport a";
        assert_eq!(specs(&brackets), Vec::<String>::new());
    }

    #[test]
    fn never_panics_on_odd_input() {
        let alphabet: &[&str] = &[
            "import ", "from ", ".", "\\", "\n", "\r", "'", "\"", "f", "r", "{", "}", "(", ")", ":", "#",
            "x", " ", ";", "é",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..2000 {
            let mut src = String::new();
            for _ in 0..40 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                src.push_str(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            let _ = scan(&src);
        }
    }
}
