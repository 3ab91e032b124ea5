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
    // A line `verb (` opens a block, a line starting with `)` closes it, and
    // the lines between are `verb` directives. Blocks do not nest.
    let mut block = Block::None;
    lines(text, |line_no, line| {
        let args = match (block, line) {
            (_, []) => return Ok(()),
            (Block::Module | Block::Other, [Token::Close, ..]) => {
                block = Block::None;
                return Ok(());
            }
            (Block::Module, args) => args,
            (Block::Other, _) => return Ok(()),
            // `verb ( )`: an empty block.
            (Block::None, [Token::Word(_), Token::Open, Token::Close]) => return Ok(()),
            (Block::None, [Token::Word(verb), Token::Open]) => {
                block = if verb == "module" { Block::Module } else { Block::Other };
                return Ok(());
            }
            // A block of several words: not one go accepts, and not `module`.
            (Block::None, [.., Token::Open]) => {
                block = Block::Other;
                return Ok(());
            }
            (Block::None, [Token::Word(verb), args @ ..]) if verb == "module" => args,
            (Block::None, _) => return Ok(()),
        };
        match args {
            [Token::Word(p) | Token::Quoted(p)] if !p.is_empty() => {
                if module.is_some() {
                    return Err(format!("line {line_no}: repeated module directive"));
                }
                module = Some(p.clone());
                Ok(())
            }
            _ => Err(format!("line {line_no}: malformed module directive")),
        }
    })?;
    module.ok_or_else(|| "no module directive".to_string())
}

/// The block a go.mod line is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Block {
    None,
    Module,
    Other,
}

/// Adds a token to a line, keeping its first three and its last: all that
/// decides what a line is (a longer one is never a module directive), so a
/// line of millions of tokens takes no memory.
fn push(line: &mut Vec<Token>, token: Token) {
    if line.len() == 4 {
        line[3] = token;
    } else {
        line.push(token);
    }
}

/// Splits go.mod text into lines of tokens, dropping `//` comments (the
/// lexing rules of golang.org/x/mod/modfile, reduced to what `module`
/// needs), and hands each line to `each` with its number, one at a time.
fn lines(text: &str, mut each: impl FnMut(usize, &[Token]) -> Result<(), String>) -> Result<(), String> {
    let b = text.as_bytes();
    let mut line = Vec::new();
    let mut line_no = 1;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => {
                each(line_no, &line)?;
                line.clear();
                line_no += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' => {
                push(&mut line, Token::Open);
                i += 1;
            }
            b')' => {
                push(&mut line, Token::Close);
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
                push(&mut line, Token::Quoted(s));
            }
            b'`' => {
                let rest = &text[i + 1..];
                let end = rest.find(['`', '\n']).filter(|&j| rest.as_bytes()[j] == b'`');
                let Some(end) = end else {
                    return Err("unterminated raw string".into());
                };
                push(&mut line, Token::Quoted(rest[..end].to_string()));
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
                push(&mut line, Token::Word(text[start..i].to_string()));
            }
        }
    }
    each(line_no, &line)
}
