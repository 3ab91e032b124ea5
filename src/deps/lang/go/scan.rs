//! Finding references: the import declarations after the package clause.

use super::super::{Import, ScanError};
use super::lex::{Kind, Lexer, Token};

/// Finds the references in one source file (already valid UTF-8).
pub fn scan(src: &str) -> Result<Vec<Import>, ScanError> {
    let mut lexer = Lexer::new(src.as_bytes());
    let mut imports = Vec::new();
    // A file without a package clause is not Go the compiler reads, and
    // holds no import to find.
    if lexer.next()?.kind != Kind::Ident(b"package") || !matches!(lexer.next()?.kind, Kind::Ident(_)) {
        return Ok(imports);
    }
    loop {
        match lexer.next()?.kind {
            Kind::Semi => continue,
            Kind::Ident(b"import") => {}
            // The first other declaration ends the imports.
            _ => return Ok(imports),
        }
        let first = lexer.next()?;
        let complete = match first.kind {
            Kind::LParen => import_group(&mut lexer, &mut imports)?,
            _ => import_spec(&mut lexer, first, &mut imports)?,
        };
        // A malformed import declaration is a syntax error: what follows
        // it is not read as imports.
        if !complete {
            return Ok(imports);
        }
    }
}

/// Reads the specs of `import ( ... )` up to its `)`; false if the group is
/// malformed.
fn import_group(lexer: &mut Lexer<'_>, imports: &mut Vec<Import>) -> Result<bool, ScanError> {
    loop {
        let token = lexer.next()?;
        match token.kind {
            Kind::RParen => return Ok(true),
            Kind::Semi => {}
            _ => {
                if !import_spec(lexer, token, imports)? {
                    return Ok(false);
                }
            }
        }
    }
}

/// Reads one `[name] "path"` spec starting at `first`; false if it is
/// malformed.
fn import_spec(
    lexer: &mut Lexer<'_>,
    first: Token<'_>,
    imports: &mut Vec<Import>,
) -> Result<bool, ScanError> {
    let path = match first.kind {
        Kind::Ident(_) | Kind::Dot => lexer.next()?,
        _ => first,
    };
    let Kind::Str(literal) = path.kind else {
        return Ok(false);
    };
    // A path with a bad escape or character is a compile error in that one
    // spec; the rest of the file still reads.
    if let Some(spec) = literal.value().filter(|p| valid_path(p)) {
        imports.push(Import::new(path.line, spec));
    }
    Ok(true)
}

/// go/parser's test for an import path: not empty, and no control, space
/// or punctuation character that no path may hold.
fn valid_path(path: &str) -> bool {
    !path.is_empty()
        && path.chars().all(|c| match u8::try_from(c) {
            Ok(b) if b.is_ascii() => LEGAL_ASCII >> b & 1 == 1,
            _ => c != '\u{fffd}' && !c.is_control() && !c.is_whitespace(),
        })
}

/// The ASCII characters an import path may hold, one bit each: the
/// printable ones but `!"#$%&'()*,:;<=>?[\]^`{|}`.
const LEGAL_ASCII: u128 = {
    let mut set = 0u128;
    let mut b = b'!';
    while b <= b'~' {
        set |= 1 << b;
        b += 1;
    }
    let illegal = b"!\"#$%&'()*,:;<=>?[\\]^`{|}";
    let mut i = 0;
    while i < illegal.len() {
        set &= !(1 << illegal[i]);
        i += 1;
    }
    set
};

#[cfg(test)]
mod tests {
    use super::super::manifest::directives;
    use super::*;

    fn specs(src: &str) -> Vec<(u32, String)> {
        scan(src).unwrap().into_iter().map(|i| (i.line, i.spec)).collect()
    }

    fn at(line: u32, spec: &str) -> (u32, String) {
        (line, spec.to_string())
    }

    #[test]
    fn every_import_form() {
        let src = "// Package x.\npackage x\n\nimport \"fmt\"\nimport alias \"a/b\"\nimport . \"dot/x\"\n\
                   import _ \"embed\"\nimport (\n\t\"one\" // trailing\n\t/* \"not\" */ two \"two\"\n\
                   \t// \"not/either\"\n\t`raw/path`; _ \"three\"\n)\nimport \"C\"\n\nfunc main() {}\n";
        assert_eq!(
            specs(src),
            vec![
                at(4, "fmt"),
                at(5, "a/b"),
                at(6, "dot/x"),
                at(7, "embed"),
                at(9, "one"),
                at(10, "two"),
                at(12, "raw/path"),
                at(12, "three"),
                at(14, "C"),
            ]
        );
    }

    #[test]
    fn stops_at_the_first_other_declaration() {
        let src = "package x\nimport \"a\"\nvar s = `\nimport \"b\"\n`\nimport \"c\"\n";
        assert_eq!(specs(src), vec![at(2, "a")]);
        // An unterminated literal after the imports is never reached.
        assert_eq!(specs("package x\nimport \"a\"\nfunc f() { s := \"x\n}"), vec![at(2, "a")]);
    }

    #[test]
    fn comments_and_literals_are_not_imports() {
        let src = "/* import \"a\"\n*/ // import \"b\"\npackage /* c */ x // import \"d\"\n\
                   /*\nimport \"e\"\n*/\nimport \"f\"\n";
        assert_eq!(specs(src), vec![at(7, "f")]);
    }

    #[test]
    fn lines_count_through_multiline_comments_and_raw_strings() {
        let src = "package x\nimport (\n\t`a\nb`\n\t/*\n\n*/ \"c\"\n)\n";
        assert_eq!(specs(src), vec![at(7, "c")]);
    }

    #[test]
    fn escapes_in_paths_are_decoded() {
        let src = "package x\nimport (\n\"\\x66mt\"\n\"\\u0061/\\142\"\n\"bad\\q\"\n\"after\"\n)\n";
        assert_eq!(specs(src), vec![at(3, "fmt"), at(4, "a/b"), at(6, "after")]);
        assert_eq!(specs("\u{feff}package x\nimport `r\r/s`\n"), vec![at(2, "r/s")]);
        // Paths go/parser rejects are no references.
        assert_eq!(
            specs("package x\nimport (\n\"\"\n\"a!b\"\n`a\nb`\n\"a b\"\n\"\\x00\"\n\"ok\"\n)"),
            vec![at(9, "ok")]
        );
    }

    #[test]
    fn malformed_headers_yield_what_precedes_them() {
        assert_eq!(specs("no package clause\nimport \"a\"\n"), vec![]);
        assert_eq!(specs("package\nimport \"a\"\n"), vec![]);
        assert_eq!(specs("package x\nimport \"a\"\nimport 7\nimport \"b\"\n"), vec![at(2, "a")]);
        assert_eq!(specs("package x\nimport (\"a\"\n{ \"b\" }\n"), vec![at(2, "a")]);
        assert_eq!(specs("package x\nimport (\"a\""), vec![at(2, "a")]);
        assert_eq!(specs(""), vec![]);
    }

    #[test]
    fn unterminated_comments_and_strings_are_errors() {
        let err = |src: &str| scan(src).unwrap_err().line;
        assert_eq!(err("package x\n\n/* never closed\nimport \"a\"\n"), 3);
        assert_eq!(err("package x\nimport \"a\nimport \"b\"\n"), 2);
        assert_eq!(err("package x\nimport \"a\\\n\"\n"), 2);
        assert_eq!(err("package x\nimport (\n\n`a\n"), 4);
    }

    #[test]
    fn lexers_never_panic() {
        // Random mixes of the bytes the lexers react to.
        let alphabet: &[&str] = &[
            "package", " x", "import", "module", "require", "(", ")", "\"", "`", "\\", "/", "*", "\n", ".",
            ";", "_", "é", "a", "\r", "=>",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            let mut src = String::new();
            for _ in 0..(seed % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                src.push_str(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            let _ = scan(&src);
            let _ = directives(src.as_bytes());
        }
    }
}
