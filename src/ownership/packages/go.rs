//! Go: the `module` directive of `go.mod`.

use super::table::{utf8, Entry, ManifestKind, Parsed};

/// How Go modules are found.
pub(super) const KIND: ManifestKind = ManifestKind {
    file_names: &["go.mod"],
    // `go mod vendor` copies dependencies there; they are not modules of the tree.
    skip_component: Some("vendor"),
    // Go cuts a module at every subdirectory holding a go.mod file, valid or
    // not (golang.org/x/mod/zip skips such directories).
    boundaries: super::table::Boundaries::EveryManifest,
    parse,
    normalize: super::table::exact,
    link: super::table::unlinked,
};

fn parse(dir: &[u8], text: &[u8]) -> Parsed {
    let path = module_path(utf8(text)?)?;
    Ok(vec![Entry::new(path, dir)])
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Open,
    Close,
}

/// The module path declared by a go.mod file, read as
/// golang.org/x/mod/modfile reads it: `module PATH`, or one line of a
/// `module (` ... `)` block.
pub(super) fn module_path(text: &str) -> Result<String, String> {
    let mut module = None;
    // The verb of the open block: a line `verb (` opens one, a line
    // starting with `)` closes it, and the lines between are `verb`
    // directives. Blocks do not nest.
    let mut block: Option<Option<&str>> = None;
    let lines = lines(text)?;
    for (n, line) in lines.iter().enumerate() {
        let line_no = n + 1;
        let args = match (block, line.as_slice()) {
            (_, []) => continue,
            (Some(_), [Token::Close, ..]) => {
                block = None;
                continue;
            }
            (Some(Some("module")), args) => args,
            (Some(_), _) => continue,
            // `verb ( )`: an empty block.
            (None, [Token::Word(_), Token::Open, Token::Close]) => continue,
            (None, [Token::Word(verb), Token::Open]) => {
                block = Some(Some(verb.as_str()));
                continue;
            }
            // A block of several words: not one go accepts, and not `module`.
            (None, [.., Token::Open]) => {
                block = Some(None);
                continue;
            }
            (None, [Token::Word(verb), args @ ..]) if verb == "module" => args,
            (None, _) => continue,
        };
        match args {
            [Token::Word(p) | Token::Quoted(p)] if !p.is_empty() => {
                if module.is_some() {
                    return Err(format!("line {line_no}: repeated module directive"));
                }
                module = Some(p.clone());
            }
            _ => return Err(format!("line {line_no}: malformed module directive")),
        }
    }
    module.ok_or_else(|| "no module directive".to_string())
}

/// Splits go.mod text into lines of tokens, dropping `//` comments (the
/// lexing rules of golang.org/x/mod/modfile, reduced to what `module` needs).
fn lines(text: &str) -> Result<Vec<Vec<Token>>, String> {
    let b = text.as_bytes();
    let mut out = vec![Vec::new()];
    let mut i = 0;
    while i < b.len() {
        let line = out.last_mut().expect("never empty");
        match b[i] {
            b'\n' => {
                out.push(Vec::new());
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' => {
                line.push(Token::Open);
                i += 1;
            }
            b')' => {
                line.push(Token::Close);
                i += 1;
            }
            b'"' => {
                let mut s = String::new();
                let mut chars = text[i + 1..].char_indices();
                loop {
                    match chars.next() {
                        None | Some((_, '\n')) => return Err("unterminated string".into()),
                        Some((j, '"')) => {
                            i += 1 + j + 1;
                            break;
                        }
                        Some((_, '\\')) => match chars.next() {
                            Some((_, 'n')) => s.push('\n'),
                            Some((_, 't')) => s.push('\t'),
                            Some((_, c @ ('\\' | '"'))) => s.push(c),
                            _ => return Err("unsupported escape in string".into()),
                        },
                        Some((_, c)) => s.push(c),
                    }
                }
                line.push(Token::Quoted(s));
            }
            b'`' => {
                let rest = &text[i + 1..];
                let end = rest.find(['`', '\n']).filter(|&j| rest.as_bytes()[j] == b'`');
                let Some(end) = end else {
                    return Err("unterminated raw string".into());
                };
                line.push(Token::Quoted(rest[..end].to_string()));
                i += 1 + end + 1;
            }
            _ => {
                let start = i;
                while i < b.len()
                    && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n' | b'(' | b')' | b'"' | b'`')
                    && !(b[i] == b'/' && b.get(i + 1) == Some(&b'/'))
                {
                    i += 1;
                }
                line.push(Token::Word(text[start..i].to_string()));
            }
        }
    }
    Ok(out)
}
