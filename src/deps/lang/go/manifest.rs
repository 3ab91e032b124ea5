//! `go.mod` and `go.work`: their directives, read the way
//! golang.org/x/mod/modfile reads them, and the dependency entries of
//! `go.mod`.

use std::collections::BTreeSet;

use super::super::{join, parent, SourceTree};
use super::lex::Literal;

/// Configuration files larger than this are not read, as with package
/// manifests.
const MAX_CONFIG_BYTES: usize = 8 << 20;

/// One dependency entry of a `go.mod` file.
#[derive(Debug)]
pub(super) struct ModEntry {
    pub(super) manifest: Vec<u8>,
    pub(super) line: u32,
    pub(super) kind: EntryKind,
}

/// What a `go.mod` dependency entry says.
#[derive(Debug)]
pub(super) enum EntryKind {
    /// `require MODULE VERSION`.
    Require { module: String },
    /// `replace MODULE [VERSION] => ./dir`: the module is the directory.
    ReplaceWithDir { module: String, dir: String },
}

/// The module and directory of `replace MODULE [VERSION] => TARGET
/// [VERSION]` when its target is a directory path (the go command's rule:
/// it starts with `./` or `../`, or is `.` or `..`).
pub(super) fn replace_with_dir(args: &[String]) -> Option<EntryKind> {
    let arrow = args.iter().position(|a| a == "=>")?;
    let module = args.first().filter(|_| arrow > 0)?;
    let target = args.get(arrow + 1)?;
    let local = target == "." || target == ".." || target.starts_with("./") || target.starts_with("../");
    local.then(|| EntryKind::ReplaceWithDir { module: module.clone(), dir: target.clone() })
}

/// The directories the tree's `go.work` files `use`.
pub(super) fn workspace_dirs(tree: &SourceTree<'_>) -> BTreeSet<Vec<u8>> {
    let mut dirs = BTreeSet::new();
    for work in tree.named("go.work") {
        let Some(text) = read_config(tree, work) else { continue };
        for d in directives(&text) {
            if let ("use", [dir]) = (d.verb.as_str(), d.args.as_slice()) {
                dirs.extend(join(parent(work), dir.as_bytes()));
            }
        }
    }
    dirs
}

/// The content of a configuration file, unless it is too large to read.
pub(super) fn read_config(tree: &SourceTree<'_>, path: &[u8]) -> Option<Vec<u8>> {
    tree.read(path).filter(|text| text.len() <= MAX_CONFIG_BYTES)
}

/// One directive of a `go.mod` or `go.work` file: a line `verb args...`,
/// or one line of a `verb ( ... )` block.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Directive {
    pub(super) verb: String,
    pub(super) args: Vec<String>,
    pub(super) line: u32,
}

/// A token of the go.mod language (golang.org/x/mod/modfile's lexer, with
/// what dependencies need).
#[derive(Debug, PartialEq, Eq)]
enum ModToken {
    Word(String),
    Open,
    Close,
}

/// The directives of a `go.mod` or `go.work` file. Malformed lines are
/// skipped, never an error: the file is read for what it declares.
pub(super) fn directives(text: &[u8]) -> Vec<Directive> {
    let mut out = Vec::new();
    let mut block: Option<String> = None;
    let mut tokens = Vec::new();
    let (mut line, mut i) = (1u32, 0usize);
    while i <= text.len() {
        let Some(&b) = text.get(i).filter(|&&b| b != b'\n') else {
            end_line(std::mem::take(&mut tokens), line, &mut block, &mut out);
            line = line.saturating_add(1);
            i += 1;
            continue;
        };
        match b {
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if text.get(i + 1) == Some(&b'/') => {
                i += text[i..].iter().position(|&b| b == b'\n').unwrap_or(text.len() - i);
            }
            b'(' | b')' => {
                tokens.push(if b == b'(' { ModToken::Open } else { ModToken::Close });
                i += 1;
            }
            b'"' | b'`' => {
                let rest = &text[i + 1..];
                match quoted_len(rest, b) {
                    Some(end) => {
                        let literal = Literal { body: &rest[..end], raw: b == b'`' };
                        tokens.extend(literal.value().map(ModToken::Word));
                        i += 1 + end + 1;
                    }
                    // An unterminated string drops the rest of its line.
                    None => i += 1 + rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len()),
                }
            }
            _ => {
                let start = i;
                while text.get(i).is_some_and(|&b| is_mod_word_byte(b)) && !text[i..].starts_with(b"//") {
                    i += 1;
                }
                tokens.push(ModToken::Word(String::from_utf8_lossy(&text[start..i]).into_owned()));
            }
        }
    }
    out
}

/// The length of a quoted string's body in `rest` (after the opening
/// `quote`), if it closes on the same line.
fn quoted_len(rest: &[u8], quote: u8) -> Option<usize> {
    let mut i = 0;
    while let Some(&b) = rest.get(i) {
        match b {
            b'\n' => return None,
            // An escape may hide a quote, never a line break.
            b'\\' if quote == b'"' && rest.get(i + 1) != Some(&b'\n') => i += 2,
            _ if b == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// True for a byte of a bare go.mod word.
fn is_mod_word_byte(b: u8) -> bool {
    !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'(' | b')' | b'"' | b'`')
}

/// Turns one line's tokens into a directive, opening and closing blocks.
fn end_line(tokens: Vec<ModToken>, line: u32, block: &mut Option<String>, out: &mut Vec<Directive>) {
    let words = |ts: &[ModToken]| -> Option<Vec<String>> {
        ts.iter().map(|t| if let ModToken::Word(w) = t { Some(w.clone()) } else { None }).collect()
    };
    match (block.as_ref(), tokens.as_slice()) {
        (_, []) => {}
        (Some(_), [ModToken::Close]) => *block = None,
        (Some(verb), ts) => {
            if let Some(args) = words(ts) {
                out.push(Directive { verb: verb.clone(), args, line });
            }
        }
        (None, [ModToken::Word(verb), ModToken::Open]) => *block = Some(verb.clone()),
        (None, [ModToken::Word(verb), rest @ ..]) => {
            if let Some(args) = words(rest) {
                out.push(Directive { verb: verb.clone(), args, line });
            }
        }
        (None, _) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_mod_directives_and_blocks() {
        let text = b"module m // c\n\nrequire (\n\tx v1 // indirect\n\n\t\"y\" v2\n)\nreplace x => ./x\n";
        let got: Vec<(String, Vec<String>, u32)> =
            directives(text).into_iter().map(|d| (d.verb, d.args, d.line)).collect();
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            got,
            vec![
                ("module".into(), s(&["m"]), 1),
                ("require".into(), s(&["x", "v1"]), 4),
                ("require".into(), s(&["y", "v2"]), 6),
                ("replace".into(), s(&["x", "=>", "./x"]), 8),
            ]
        );
    }

    #[test]
    fn the_module_directive_in_a_block_names_the_module() {
        let text = b"module ( // the path\n\t\"example.com/m\"\n)\n";
        let got: Vec<(String, Vec<String>)> =
            directives(text).into_iter().map(|d| (d.verb, d.args)).collect();
        assert_eq!(got, vec![("module".to_string(), vec!["example.com/m".to_string()])]);
    }
}
