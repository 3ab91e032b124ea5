//! Gradle: the project paths `gradle projects` prints, read from
//! `settings.gradle` / `settings.gradle.kts`.
//!
//! Settings scripts are programs (Groovy or Kotlin). The literal statements
//! real builds use are run in script order, as Gradle runs them: `include` /
//! `includeFlat` with string arguments, `project(':x').name = 'y'`,
//! `project(':x').projectDir = file('dir')` (or `File(rootDir, 'dir')`,
//! `rootDir.resolve('dir')`), `rootProject.name = 'name'` and
//! `includeBuild('dir')`. Anything computed is ignored, and conditions are not
//! evaluated: a project that some configuration of the build includes is a
//! project.
//!
//! An included build is a build of its own. Its projects are named by their
//! build-tree path, the build's path then the project's
//! (`:build-logic:plugins`, as Gradle's command line takes them). A build's
//! path is `:` and its directory name, or the `name` its `includeBuild` block
//! sets, below the path of the build whose directory encloses it (Gradle's
//! rule for nested included builds).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::table::{join, split_dir, utf8, Entry, Former, ManifestKind, Manifests, Parsed};
use super::{FileSource, ReadError};

/// How Gradle projects are found.
pub(super) const KIND: ManifestKind = ManifestKind {
    file_names: &["settings.gradle", "settings.gradle.kts"],
    skip_component: None,
    boundaries: super::table::Boundaries::EveryPackage,
    parse,
    normalize,
    link,
};

/// Project paths deeper than this are ignored: real builds nest a few
/// levels, and every level of every `include` costs a registry key.
const MAX_DEPTH: usize = 32;

/// A settings script with more tokens than this is not read: real ones have
/// a few thousand, and each token costs memory while the script is read.
const MAX_TOKENS: usize = 1_000_000;

/// A settings script creating more projects than this is not read: the
/// largest real builds have a few thousand.
const MAX_PROJECTS: usize = 50_000;

/// A settings script whose project paths and directories add up to more
/// bytes than this is not read: each is kept several times over, so a short
/// script of deep or long includes must not grow memory without end.
const MAX_PROJECT_BYTES: usize = 4 << 20;

/// `:libs:core` and `libs:core` name the same project.
fn normalize(name: &str) -> String {
    name.strip_prefix(':').unwrap_or(name).to_string()
}

/// A token of a Gradle script (settings or build).
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A name or keyword.
    Ident(String),
    /// A string literal; `None` when it interpolates (`"$x"`, `"${x}"`).
    Str(Option<String>),
    /// One punctuation character.
    Punct(char),
}

fn parse(dir: &[u8], text: &[u8]) -> Parsed {
    read_settings(utf8(text)?)?.entries(dir)
}

/// A project descriptor as the settings script leaves it.
#[derive(Debug)]
struct Project {
    /// Its parent; `None` under the root project. Always an earlier project.
    parent: Option<usize>,
    name: String,
    /// Its directory, relative to the settings directory.
    dir: String,
    /// Where Gradle's descriptor registry files it: the path it had when it
    /// was included or last renamed.
    key: String,
    /// The path it was included under.
    included_as: String,
    /// The line of its last rename.
    renamed_at: Option<usize>,
}

/// What a settings script declares.
#[derive(Debug, Default)]
struct Settings {
    projects: Vec<Project>,
    /// Gradle's descriptor registry, where `project(path)` looks. Renaming a
    /// project re-files only that project: its children stay filed under
    /// their old paths, as in Gradle.
    registry: HashMap<String, usize>,
    root_name: Option<String>,
    /// `includeBuild` directories relative to the settings directory, with
    /// the name the block sets, if any.
    builds: Vec<(String, Option<String>)>,
    /// The bytes of every project's path and directory, against
    /// [`MAX_PROJECT_BYTES`].
    bytes: usize,
}

impl Settings {
    /// `include ':a:b'`: finds or creates `:a`, then `:b` in it. A new
    /// project's directory is its parent's directory *now* plus its name, so
    /// moving the parent later leaves it where it is (as Gradle does).
    fn include(&mut self, text: &str) -> Result<(), String> {
        let Some(names) = project_path(text) else {
            return Ok(());
        };
        let mut parent: Option<usize> = None;
        let mut key = String::new();
        for name in names {
            key.push(':');
            key.push_str(name);
            parent = Some(match self.registry.get(&key) {
                Some(&i) => i,
                None => {
                    let dir = match parent {
                        Some(p) => format!("{}/{name}", self.projects[p].dir),
                        None => name.to_string(),
                    };
                    self.add(parent, name, dir, key.clone())?
                }
            });
        }
        Ok(())
    }

    /// `includeFlat 'a'`: a new project `:a` beside the settings directory.
    fn include_flat(&mut self, name: &str) -> Result<(), String> {
        if valid_name(name) {
            self.add(None, name, format!("../{name}"), format!(":{name}"))?;
        }
        Ok(())
    }

    fn add(&mut self, parent: Option<usize>, name: &str, dir: String, key: String) -> Result<usize, String> {
        if self.projects.len() == MAX_PROJECTS {
            return Err(format!("more than {MAX_PROJECTS} projects"));
        }
        self.spend(key.len() + dir.len())?;
        let i = self.projects.len();
        self.registry.insert(key.clone(), i);
        self.projects.push(Project {
            parent,
            name: name.to_string(),
            dir,
            included_as: key.clone(),
            key,
            renamed_at: None,
        });
        Ok(i)
    }

    /// `project(path).name = name`.
    fn rename(&mut self, path: &str, name: &str, line: usize) -> Result<(), String> {
        if !valid_name(name) {
            return Ok(());
        }
        let Some(i) = self.registry.remove(path) else {
            return Ok(());
        };
        let key = match self.projects[i].parent {
            Some(p) => format!("{}:{name}", self.projects[p].key),
            None => format!(":{name}"),
        };
        self.spend(key.len())?;
        let project = &mut self.projects[i];
        project.name = name.to_string();
        project.key = key.clone();
        project.renamed_at = Some(line);
        self.registry.insert(key, i);
        Ok(())
    }

    /// Counts `n` more bytes of paths and directories.
    fn spend(&mut self, n: usize) -> Result<(), String> {
        self.bytes += n;
        if self.bytes > MAX_PROJECT_BYTES {
            return Err(format!("project paths and directories over {} MiB in all", MAX_PROJECT_BYTES >> 20));
        }
        Ok(())
    }

    /// `project(path).projectDir = dir`.
    fn move_to(&mut self, path: &str, dir: String) -> Result<(), String> {
        if let Some(&i) = self.registry.get(path) {
            self.spend(dir.len())?;
            self.projects[i].dir = dir;
        }
        Ok(())
    }

    /// The projects under the paths Gradle gives them once the script has
    /// run, then the root project and the included builds.
    fn entries(&self, settings_dir: &[u8]) -> Result<Vec<Entry>, String> {
        let mut paths: Vec<String> = Vec::with_capacity(self.projects.len());
        let mut bytes = 0;
        for p in &self.projects {
            let parent = p.parent.map_or("", |i| paths[i].as_str());
            // A long name given to a parent lengthens every child's path.
            bytes += parent.len() + 1 + p.name.len();
            if bytes > MAX_PROJECT_BYTES {
                return Err(format!("project paths over {} MiB in all", MAX_PROJECT_BYTES >> 20));
            }
            paths.push(format!("{parent}:{}", p.name));
        }
        // Two projects renamed onto one path stay two entries, so the path
        // resolves to both directories: Gradle keeps one of them, and which
        // one depends on hash order, not on the script.
        let mut out = Vec::new();
        for (i, (p, path)) in self.projects.iter().zip(&paths).enumerate() {
            // A directory outside the tree holds nothing of it.
            let Some(dir) = join(settings_dir, &p.dir) else {
                continue;
            };
            let mut entry = Entry::new(path.as_str(), &dir);
            if p.included_as != *path {
                entry.former.push(Former {
                    name: p.included_as.clone(),
                    manifest: String::new(),
                    line: self.last_rename(i),
                });
            }
            out.push(entry);
        }
        if let Some(name) = &self.root_name {
            out.push(Entry::new(name.as_str(), settings_dir));
        }
        for (rel, name) in &self.builds {
            let Some(dir) = join(settings_dir, rel).filter(|d| d.as_slice() != settings_dir) else {
                continue;
            };
            let name = match name {
                Some(n) => n.clone(),
                None => {
                    String::from_utf8_lossy(dir.rsplit(|&b| b == b'/').next().unwrap_or(&dir)).into_owned()
                }
            };
            let mut entry = Entry::new(name, &dir);
            entry.includes = true;
            out.push(entry);
        }
        Ok(out)
    }

    /// The line of the last rename of project `i` or of one of its parents.
    fn last_rename(&self, mut i: usize) -> usize {
        let mut line = 0;
        loop {
            let p = &self.projects[i];
            line = line.max(p.renamed_at.unwrap_or(0));
            match p.parent {
                Some(parent) => i = parent,
                None => return line,
            }
        }
    }
}

/// `:a:b` or `a:b` -> `["a", "b"]`; `None` for an invalid name or a path
/// deeper than [`MAX_DEPTH`].
fn project_path(text: &str) -> Option<Vec<&str>> {
    let text = text.strip_prefix(':').unwrap_or(text);
    let names: Vec<&str> = text.split(':').collect();
    (names.len() <= MAX_DEPTH && names.iter().all(|n| valid_name(n))).then_some(names)
}

/// Gradle refuses these characters in project names.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '\\', ':', '<', '>', '"', '?', '*', '|'])
}

/// A settings script's tokens and where each line starts.
struct Script {
    toks: Vec<Tok>,
    starts: Vec<usize>,
    line_starts: Vec<usize>,
}

impl Script {
    /// The line of token `i`, from 1.
    fn line(&self, i: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= self.starts[i])
    }

    /// True if token `i` is the start of a settings call: not a member of
    /// something else, unless of `settings` itself.
    fn is_statement(&self, i: usize) -> bool {
        let t = &self.toks;
        match i.checked_sub(1).map(|j| &t[j]) {
            Some(Tok::Punct('.')) => {
                i >= 2 && t[i - 2] == Tok::Ident("settings".into()) && (i < 3 || t[i - 3] != Tok::Punct('.'))
            }
            _ => true,
        }
    }
}

fn read_settings(text: &str) -> Result<Settings, String> {
    let (toks, starts) = tokenize(text)?;
    let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let script = Script { toks, starts, line_starts };
    let toks = &script.toks;
    let mut s = Settings::default();
    let mut i = 0;
    while i < toks.len() {
        let Tok::Ident(w) = &toks[i] else {
            i += 1;
            continue;
        };
        if !script.is_statement(i) {
            i += 1;
            continue;
        }
        i = match w.as_str() {
            "include" | "includeFlat" => {
                let (args, next) = string_args(toks, i + 1);
                for arg in args.into_iter().flatten() {
                    match w.as_str() {
                        "include" => s.include(&arg),
                        _ => s.include_flat(&arg),
                    }
                    .map_err(|e| format!("line {}: {e}", script.line(i)))?;
                }
                next
            }
            "project" => project_statement(&script, i, &mut s)?,
            "rootProject" => {
                if let [Tok::Punct('.'), Tok::Ident(n), Tok::Punct('='), Tok::Str(Some(name)), ..] =
                    &toks[i + 1..]
                {
                    if n == "name" && !name.is_empty() {
                        s.root_name = Some(name.clone());
                    }
                }
                i + 1
            }
            "includeBuild" => include_build(toks, i + 1, &mut s),
            _ => i + 1,
        };
    }
    Ok(s)
}

/// The string arguments of a call at `i` (`(a, b)` or Groovy's `a, b`) and
/// the index after them; `None` for an interpolated string.
fn string_args(toks: &[Tok], mut i: usize) -> (Vec<Option<String>>, usize) {
    if toks.get(i) == Some(&Tok::Punct('(')) {
        i += 1;
    }
    let mut args = Vec::new();
    // Groovy continues an argument list onto the next line only after a
    // comma, so a missing comma ends the list.
    while let Some(Tok::Str(arg)) = toks.get(i) {
        args.push(arg.clone());
        i += 1;
        if toks.get(i) != Some(&Tok::Punct(',')) {
            break;
        }
        i += 1;
    }
    (args, i)
}

/// `project('path').name = 'n'` or `project('path').projectDir = <dir>` at
/// `i`; returns the index after what it read.
fn project_statement(script: &Script, i: usize, s: &mut Settings) -> Result<usize, String> {
    let toks = &script.toks;
    let [Tok::Punct('('), Tok::Str(Some(path)), Tok::Punct(')'), Tok::Punct('.'), Tok::Ident(prop), Tok::Punct('='), ..] =
        &toks[i + 1..]
    else {
        return Ok(i + 1);
    };
    let value = i + 7;
    match prop.as_str() {
        "name" => {
            if let Some(Tok::Str(Some(name))) = toks.get(value) {
                s.rename(path, name, script.line(i)).map_err(|e| format!("line {}: {e}", script.line(i)))?;
                return Ok(value + 1);
            }
        }
        "projectDir" => {
            if let Some((dir, n)) = dir_value(&toks[value..]) {
                s.move_to(path, dir).map_err(|e| format!("line {}: {e}", script.line(i)))?;
                return Ok(value + n);
            }
        }
        _ => {}
    }
    Ok(value)
}

/// A directory relative to the settings directory: `file('d')`,
/// `[new] File(settingsDir|rootDir, 'd')` or `settingsDir|rootDir.resolve('d')`.
/// Returns it and the number of tokens it took.
fn dir_value(toks: &[Tok]) -> Option<(String, usize)> {
    use Tok::{Ident, Punct, Str};
    match toks {
        [Ident(f), Punct('('), Str(Some(d)), Punct(')'), ..] if f == "file" => Some((d.clone(), 4)),
        [Ident(new), Ident(f), Punct('('), Ident(base), Punct(','), Str(Some(d)), Punct(')'), ..]
            if new == "new" && f == "File" && is_root_dir(base) =>
        {
            Some((d.clone(), 7))
        }
        [Ident(f), Punct('('), Ident(base), Punct(','), Str(Some(d)), Punct(')'), ..]
            if f == "File" && is_root_dir(base) =>
        {
            Some((d.clone(), 6))
        }
        [Ident(base), Punct('.'), Ident(f), Punct('('), Str(Some(d)), Punct(')'), ..]
            if f == "resolve" && is_root_dir(base) =>
        {
            Some((d.clone(), 6))
        }
        _ => None,
    }
}

/// The directories a settings script's relative paths are based on.
fn is_root_dir(name: &str) -> bool {
    name == "settingsDir" || name == "rootDir"
}

/// `includeBuild('dir')` or `includeBuild(file('dir'))` at `i` (after the
/// name), with an optional `{ name = 'n' }` block; returns the index after it.
fn include_build(toks: &[Tok], mut i: usize, s: &mut Settings) -> usize {
    let paren = toks.get(i) == Some(&Tok::Punct('('));
    if paren {
        i += 1;
    }
    let dir = match toks.get(i) {
        Some(Tok::Str(Some(d))) => Some((d.clone(), 1)),
        _ => toks.get(i..).and_then(dir_value),
    };
    let Some((dir, n)) = dir else {
        return i;
    };
    i += n;
    if paren {
        if toks.get(i) != Some(&Tok::Punct(')')) {
            return i;
        }
        i += 1;
    }
    let mut name = None;
    if toks.get(i) == Some(&Tok::Punct('{')) {
        let mut depth = 0usize;
        while let Some(t) = toks.get(i) {
            match t {
                Tok::Punct('{') => depth += 1,
                Tok::Punct('}') => depth -= 1,
                Tok::Ident(w) if depth == 1 && w == "name" => {
                    if let [Tok::Punct('='), Tok::Str(Some(n)), ..] = &toks[i + 1..] {
                        name = Some(n.clone());
                    }
                }
                _ => {}
            }
            i += 1;
            if depth == 0 {
                break;
            }
        }
    }
    s.builds.push((dir, name.filter(|n| valid_name(n))));
    i
}

/// Names every included build's projects through the build that includes it
/// (see the module docs); a build that no other build includes keeps its own
/// paths. A build several builds include is named through the first.
fn link(manifests: Manifests) -> Vec<Entry> {
    let builds = by_build(manifests);
    let mut out = Vec::new();
    for (dir, path) in build_paths(&builds) {
        if path.is_empty() {
            out.extend(builds[&dir].iter().filter(|e| !e.includes).cloned());
            continue;
        }
        out.push(Entry::new(path.as_str(), &dir));
        for e in builds.get(&dir).into_iter().flatten() {
            // A key without a leading `:` is the build's `rootProject.name`:
            // the build's path names its root project instead.
            if e.includes || !e.keys.iter().all(|k| k.starts_with(':')) {
                continue;
            }
            let mut e = e.clone();
            for k in &mut e.keys {
                k.insert_str(0, &path);
            }
            for f in &mut e.former {
                f.name.insert_str(0, &path);
            }
            out.push(e);
        }
    }
    out
}

/// The settings' entries by build directory: a directory may hold both
/// settings files, one build.
fn by_build(manifests: Manifests) -> BTreeMap<Vec<u8>, Vec<Entry>> {
    let mut builds: BTreeMap<Vec<u8>, Vec<Entry>> = BTreeMap::new();
    for (dir, entries) in manifests {
        builds.entry(dir).or_default().extend(entries);
    }
    builds
}

/// Every build's directory and path (`""` for a build no other build
/// includes), each build that no other includes followed by the builds it
/// includes.
fn build_paths(builds: &BTreeMap<Vec<u8>, Vec<Entry>>) -> Vec<(Vec<u8>, String)> {
    let included: HashSet<&[u8]> =
        builds.values().flatten().filter(|e| e.includes).map(|e| e.dir.as_slice()).collect();
    // Builds no other build includes first; then any only a cycle reaches.
    let roots: Vec<&Vec<u8>> =
        builds.keys().filter(|d| !included.contains(d.as_slice())).chain(builds.keys()).collect();
    let mut path_of: HashMap<Vec<u8>, String> = HashMap::new();
    let mut out = Vec::new();
    for root in roots {
        if path_of.contains_key(root) {
            continue;
        }
        path_of.insert(root.clone(), String::new());
        out.push((root.clone(), String::new()));
        out.extend(composite(builds, root, &mut path_of));
    }
    out
}

/// One Gradle project of the tree, as the `gradle:` selectors see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GradleProject {
    /// The path of its build: `""` for a build no other build includes,
    /// `:build-logic` for an included one.
    pub build: String,
    /// Its path in its build: `:` for the build's root project, `:libs:core`.
    pub path: String,
    /// Its directory.
    pub dir: Vec<u8>,
}

/// Every project of every build of the tree, from the settings scripts the
/// `gradle:` selectors read, in build order then script order.
pub fn gradle_projects(files: &dyn FileSource) -> Result<Vec<GradleProject>, ReadError> {
    let mut manifests = Vec::new();
    for path in files.paths() {
        let (dir, name) = split_dir(path);
        if !KIND.file_names.iter().any(|n| n.as_bytes() == name) || files.too_large(path)?.is_some() {
            continue;
        }
        // A script that cannot be read or parsed declares no project, as
        // for the selectors.
        if let Some(Ok(entries)) = files.read(path)?.map(|text| parse(dir, &text)) {
            manifests.push((dir.to_vec(), entries));
        }
    }
    let builds = by_build(manifests);
    let mut out = Vec::new();
    for (dir, build) in build_paths(&builds) {
        out.push(GradleProject { build: build.clone(), path: ":".to_owned(), dir: dir.clone() });
        for e in builds.get(&dir).into_iter().flatten().filter(|e| !e.includes) {
            if let Some(path) = e.keys.first().filter(|k| k.starts_with(':')) {
                out.push(GradleProject { build: build.clone(), path: path.clone(), dir: e.dir.clone() });
            }
        }
    }
    Ok(out)
}

/// The builds `root` includes, directly or through each other, not yet named
/// in `path_of`, with the build path each gets (recorded in `path_of`).
fn composite(
    builds: &BTreeMap<Vec<u8>, Vec<Entry>>,
    root: &[u8],
    path_of: &mut HashMap<Vec<u8>, String>,
) -> Vec<(Vec<u8>, String)> {
    let mut members: Vec<(Vec<u8>, String)> = Vec::new();
    let mut seen: HashSet<&[u8]> = HashSet::from([root]);
    let mut queue = vec![root];
    while let Some(dir) = queue.pop() {
        for e in builds.get(dir).into_iter().flatten().filter(|e| e.includes) {
            if path_of.contains_key(&e.dir) || !seen.insert(&e.dir) {
                continue;
            }
            members.push((e.dir.clone(), e.keys[0].clone()));
            queue.push(&e.dir);
        }
    }
    // Shallower builds first, so a build's enclosing build has its path.
    members.sort_by_cached_key(|(dir, _)| (dir.iter().filter(|&&b| b == b'/').count(), dir.clone()));
    let mut named = Vec::with_capacity(members.len());
    let mut in_composite: HashMap<Vec<u8>, String> = HashMap::from([(root.to_vec(), String::new())]);
    for (dir, name) in members {
        let base = ancestors(&dir).find_map(|a| in_composite.get(a)).cloned().unwrap_or_default();
        let path = format!("{base}:{name}");
        in_composite.insert(dir.clone(), path.clone());
        path_of.insert(dir.clone(), path.clone());
        named.push((dir, path));
    }
    named
}

/// The proper ancestors of a directory, nearest first, ending with the root `b""`.
fn ancestors(dir: &[u8]) -> impl Iterator<Item = &[u8]> {
    let cuts = dir.iter().enumerate().rev().filter(|&(_, &b)| b == b'/').map(|(i, _)| i);
    cuts.map(move |i| &dir[..i]).chain((!dir.is_empty()).then_some(&b""[..]))
}

/// Strings, identifiers and single-character punctuation, each with its byte
/// offset; comments and whitespace dropped. Good enough for both Groovy and
/// Kotlin settings.
pub fn tokenize(text: &str) -> Result<(Vec<Tok>, Vec<usize>), String> {
    let mut toks = Vec::new();
    let mut chars = text.char_indices().peekable();
    let line_of = |at: usize| text[..at].matches('\n').count() + 1;
    while let Some((at, c)) = chars.next() {
        if toks.len() == MAX_TOKENS {
            return Err(format!("line {}: more than {MAX_TOKENS} tokens", line_of(at)));
        }
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
                toks.push((Tok::Str(if interpolated { None } else { Some(s) }), at));
            }
            c if c.is_alphanumeric() || c == '_' || c == '$' => {
                let mut s = String::from(c);
                while let Some((_, c)) = chars.next_if(|&(_, c)| c.is_alphanumeric() || c == '_' || c == '$')
                {
                    s.push(c);
                }
                toks.push((Tok::Ident(s), at));
            }
            c => toks.push((Tok::Punct(c), at)),
        }
    }
    Ok(toks.into_iter().unzip())
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
