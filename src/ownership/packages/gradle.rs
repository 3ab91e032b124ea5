//! Gradle: project paths declared by `settings.gradle` / `settings.gradle.kts`.
//!
//! Settings scripts are programs (Groovy or Kotlin); only the literal forms
//! real builds use are understood: `include` / `includeFlat` with string
//! arguments, `project(':x').projectDir = file('dir')` and
//! `rootProject.name = 'name'`. Anything computed is ignored.

use std::collections::{BTreeMap, BTreeSet};

use super::table::{join, utf8, Entry, ManifestKind, Parsed};

/// How Gradle projects are found.
pub(super) const KIND: ManifestKind = ManifestKind {
    file_names: &["settings.gradle", "settings.gradle.kts"],
    skip_component: None,
    file_is_boundary: false,
    parse,
    normalize,
};

/// `:libs:core` and `libs:core` name the same project.
fn normalize(name: &str) -> String {
    name.strip_prefix(':').unwrap_or(name).to_string()
}

/// A token of a Gradle script (settings or build).
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    /// A name or keyword.
    Ident(String),
    /// A string literal; `None` when it interpolates (`"$x"`, `"${x}"`).
    Str(Option<String>),
    /// One punctuation character.
    Punct(char),
}

fn parse(dir: &[u8], text: &[u8]) -> Parsed {
    let settings = read_settings(utf8(text)?)?;
    Ok(settings.entries(dir))
}

/// What a settings script declares.
#[derive(Debug, Default)]
struct Settings {
    /// Project paths as component lists, ancestors included.
    projects: BTreeSet<Vec<String>>,
    /// Explicit project directories, relative to the settings directory.
    dirs: BTreeMap<Vec<String>, String>,
    /// Projects from `includeFlat`, which live beside the settings directory.
    flat: BTreeSet<Vec<String>>,
    root_name: Option<String>,
}

impl Settings {
    fn include(&mut self, path: &str, flat: bool) {
        let Some(path) = project_path(path) else {
            return;
        };
        // Gradle creates the intermediate projects of `:a:b:c` too.
        for n in 1..=path.len() {
            self.projects.insert(path[..n].to_vec());
        }
        if flat {
            self.flat.insert(path);
        }
    }

    /// Where each project lives: its explicit directory, else its parent's
    /// directory plus its name (so moving `:libs` moves `:libs:core`).
    fn entries(&self, settings_dir: &[u8]) -> Vec<Entry> {
        let mut resolved: BTreeMap<&[String], Option<Vec<u8>>> = BTreeMap::new();
        let mut out = Vec::new();
        if let Some(name) = &self.root_name {
            out.push(Entry::new(name.as_str(), settings_dir));
        }
        // BTreeSet order visits every parent before its children.
        for path in &self.projects {
            let name = path.last().expect("project paths are never empty");
            let dir = if let Some(rel) = self.dirs.get(path) {
                join(settings_dir, rel)
            } else if self.flat.contains(path) {
                join(settings_dir, &format!("../{name}"))
            } else if path.len() == 1 {
                join(settings_dir, name)
            } else {
                resolved
                    .get(&path[..path.len() - 1])
                    .cloned()
                    .flatten()
                    .and_then(|parent| join(&parent, name))
            };
            resolved.insert(path, dir.clone());
            // A directory outside the tree holds nothing of it.
            if let Some(dir) = dir {
                out.push(Entry::new(format!(":{}", path.join(":")), &dir));
            }
        }
        out
    }
}

/// `:a:b` or `a:b` -> `["a", "b"]`; `None` for an empty component.
fn project_path(text: &str) -> Option<Vec<String>> {
    let text = text.strip_prefix(':').unwrap_or(text);
    let parts: Vec<String> = text.split(':').map(str::to_string).collect();
    if parts.iter().any(|p| p.is_empty() || p.contains('/')) {
        return None;
    }
    Some(parts)
}

fn read_settings(text: &str) -> Result<Settings, String> {
    let toks = tokenize(text)?;
    let mut s = Settings::default();
    let mut i = 0;
    while i < toks.len() {
        let after_dot = i > 0 && toks[i - 1] == Tok::Punct('.');
        match &toks[i] {
            Tok::Ident(w) if !after_dot && (w == "include" || w == "includeFlat") => {
                let flat = w == "includeFlat";
                i += 1;
                let paren = toks.get(i) == Some(&Tok::Punct('('));
                if paren {
                    i += 1;
                }
                // Groovy continues an argument list onto the next line only
                // after a comma, so a missing comma ends the list.
                while let Some(Tok::Str(arg)) = toks.get(i) {
                    if let Some(arg) = arg {
                        s.include(arg, flat);
                    }
                    i += 1;
                    if toks.get(i) != Some(&Tok::Punct(',')) {
                        break;
                    }
                    i += 1;
                }
            }
            Tok::Ident(w) if !after_dot && w == "project" => {
                if let Some((path, dir, next)) = project_dir(&toks, i + 1) {
                    if let Some(path) = project_path(&path) {
                        s.dirs.insert(path, dir);
                    }
                    i = next;
                    continue;
                }
                i += 1;
            }
            Tok::Ident(w) if !after_dot && w == "rootProject" => {
                if let [Tok::Punct('.'), Tok::Ident(n), Tok::Punct('='), Tok::Str(Some(name)), ..] =
                    &toks[i + 1..]
                {
                    if n == "name" && !name.is_empty() {
                        s.root_name = Some(name.clone());
                    }
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    Ok(s)
}

/// After `project`: `( 'path' ) . projectDir = <dir>` where `<dir>` is
/// `file('d')` or `[new] File(settingsDir|rootDir, 'd')`. Returns the project
/// path, the directory and the index after the statement.
fn project_dir(toks: &[Tok], i: usize) -> Option<(String, String, usize)> {
    let rest = toks.get(i..)?;
    let [Tok::Punct('('), Tok::Str(Some(path)), Tok::Punct(')'), Tok::Punct('.'), Tok::Ident(prop), Tok::Punct('='), rest @ ..] =
        rest
    else {
        return None;
    };
    if prop != "projectDir" {
        return None;
    }
    let used = toks.len() - i - rest.len();
    let rest_start = i + used;
    let (dir, n) = match rest {
        [Tok::Ident(f), Tok::Punct('('), Tok::Str(Some(d)), Tok::Punct(')'), ..] if f == "file" => {
            (d.clone(), 4)
        }
        [Tok::Ident(new), Tok::Ident(f), Tok::Punct('('), Tok::Ident(base), Tok::Punct(','), Tok::Str(Some(d)), Tok::Punct(')'), ..]
            if new == "new" && f == "File" && is_root_dir(base) =>
        {
            (d.clone(), 7)
        }
        [Tok::Ident(f), Tok::Punct('('), Tok::Ident(base), Tok::Punct(','), Tok::Str(Some(d)), Tok::Punct(')'), ..]
            if f == "File" && is_root_dir(base) =>
        {
            (d.clone(), 6)
        }
        _ => return None,
    };
    Some((path.clone(), dir, rest_start + n))
}

/// The directories a settings script's relative paths are based on.
fn is_root_dir(name: &str) -> bool {
    name == "settingsDir" || name == "rootDir"
}

/// Strings, identifiers and single-character punctuation; comments and
/// whitespace dropped. Good enough for both Groovy and Kotlin settings.
pub(super) fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let mut chars = text.char_indices().peekable();
    let line_of = |at: usize| text[..at].matches('\n').count() + 1;
    while let Some((at, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '/' if chars.peek().map(|p| p.1) == Some('/') => {
                while chars.next_if(|&(_, c)| c != '\n').is_some() {}
            }
            '/' if chars.peek().map(|p| p.1) == Some('*') => {
                chars.next();
                let mut prev = ' ';
                loop {
                    match chars.next() {
                        None => return Err(format!("line {}: unterminated comment", line_of(at))),
                        Some((_, '/')) if prev == '*' => break,
                        Some((_, c)) => prev = c,
                    }
                }
            }
            '\'' | '"' => {
                let triple = text[at..].starts_with(if c == '"' { "\"\"\"" } else { "'''" });
                let lit = if triple {
                    chars.next();
                    chars.next();
                    read_triple(&mut chars, c)
                } else {
                    read_string(&mut chars, c)
                };
                let Some((s, interpolated)) = lit else {
                    return Err(format!("line {}: unterminated string", line_of(at)));
                };
                // Single quotes never interpolate (Groovy) or hold one char (Kotlin).
                let interpolated = c == '"' && interpolated;
                toks.push(Tok::Str(if interpolated { None } else { Some(s) }));
            }
            c if c.is_alphanumeric() || c == '_' || c == '$' => {
                let mut s = String::from(c);
                while let Some((_, c)) = chars.next_if(|&(_, c)| c.is_alphanumeric() || c == '_' || c == '$')
                {
                    s.push(c);
                }
                toks.push(Tok::Ident(s));
            }
            c => toks.push(Tok::Punct(c)),
        }
    }
    Ok(toks)
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

/// Reads up to the closing `quote`; returns the text and whether it holds an
/// unescaped `$` (interpolation). `None` if the line or file ends first.
fn read_string(chars: &mut Chars<'_>, quote: char) -> Option<(String, bool)> {
    let mut s = String::new();
    let mut dollar = false;
    loop {
        match chars.next()?.1 {
            '\n' => return None,
            c if c == quote => return Some((s, dollar)),
            '\\' => match chars.next()?.1 {
                'n' => s.push('\n'),
                't' => s.push('\t'),
                c => s.push(c),
            },
            '$' => {
                dollar = true;
                s.push('$');
            }
            c => s.push(c),
        }
    }
}

/// Like [`read_string`] for `'''` / `"""` strings, which may span lines.
fn read_triple(chars: &mut Chars<'_>, quote: char) -> Option<(String, bool)> {
    let mut s = String::new();
    let mut dollar = false;
    let mut run = 0;
    loop {
        let c = chars.next()?.1;
        if c == quote {
            run += 1;
            if run == 3 {
                return Some((s, dollar));
            }
            continue;
        }
        for _ in 0..run {
            s.push(quote);
        }
        run = 0;
        dollar |= c == '$';
        s.push(c);
    }
}
