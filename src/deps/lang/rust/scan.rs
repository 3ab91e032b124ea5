//! Finding references: the token stream of [`Lexer`] turned into paths,
//! `use` leaves, `extern crate` names and `mod` declarations, spelled as
//! [`reference`](super::reference) describes.

use std::borrow::Cow;
use std::collections::HashSet;

use super::super::{Import, ScanError};
use super::lex::{Lexer, Token};
use super::names::Names;
use super::reference::{module_spec, push_segment, push_segments, rebase, split_first};

/// Finds the references in one source file (already valid UTF-8).
pub fn scan(src: &str) -> Result<Vec<Import>, ScanError> {
    let mut lexer = Lexer::new(src);
    let mut collector = Collector::default();
    while let Some((token, line)) = lexer.next_token()? {
        collector.feed(token, line);
    }
    Ok(collector.finish())
}

/// The initial capacity of a path being read.
const PATH_CAPACITY: usize = 64;

/// Up to this many imports on one line, a new one is checked against them
/// one by one rather than through a set.
const FEW: usize = 16;

/// How an identifier behaves at the start of a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IdentClass {
    /// May name a crate.
    Plain,
    /// `crate`, `self`, `super`, `Self`: a path inside the same crate.
    PathKeyword,
    /// Any other keyword: never a path segment, and a `::` after it starts a
    /// global path (`impl ::serde::Serialize`).
    Keyword,
}

/// Classifies a non-raw identifier.
fn ident_class(text: &str) -> IdentClass {
    match text {
        "crate" | "self" | "super" | "Self" => IdentClass::PathKeyword,
        "as" | "async" | "await" | "break" | "const" | "continue" | "dyn" | "else" | "enum" | "extern"
        | "false" | "fn" | "for" | "if" | "impl" | "in" | "let" | "loop" | "match" | "mod" | "move"
        | "mut" | "pub" | "ref" | "return" | "static" | "struct" | "trait" | "true" | "type" | "unsafe"
        | "use" | "where" | "while" | "abstract" | "become" | "box" | "do" | "final" | "macro"
        | "override" | "priv" | "try" | "typeof" | "unsized" | "virtual" | "yield" => IdentClass::Keyword,
        _ => IdentClass::Plain,
    }
}

/// True if `text` can be a segment of a path into another crate.
fn is_plain(text: &str, raw: bool) -> bool {
    raw || ident_class(text) == IdentClass::Plain
}

/// True if `text` can start a path inside the crate (`Self` names a type).
fn is_crate_relative(text: &str, raw: bool) -> bool {
    !raw && matches!(text, "crate" | "self" | "super")
}

/// What the previous token means for a path that follows it.
#[derive(Clone, Copy, Debug, Default)]
enum Prev<'a> {
    /// Nothing that affects paths.
    #[default]
    Other,
    /// `.`, `$` or a `::` inside a path: an identifier after it is not the
    /// first segment of a path.
    Blocker,
    /// `>`: a `::` after it continues a path (`Vec::<u8>::new`).
    Gt,
    /// An identifier: a `::` after it continues a path, unless it is a keyword.
    Ident(&'a str, bool),
}

impl<'a> Prev<'a> {
    /// The state after `token`, which followed `self`.
    fn after(self, token: Token<'a>) -> Prev<'a> {
        match token {
            Token::Ident { text, raw } => Prev::Ident(text, raw),
            Token::Gt => Prev::Gt,
            Token::Dot | Token::Dollar => Prev::Blocker,
            Token::PathSep if self.continued_by_path_sep() => Prev::Blocker,
            _ => Prev::Other,
        }
    }

    /// True if a `::` after this token continues a path rather than starting
    /// a global one.
    fn continued_by_path_sep(self) -> bool {
        match self {
            Prev::Gt => true,
            Prev::Ident(text, raw) => raw || ident_class(text) != IdentClass::Keyword,
            Prev::Other | Prev::Blocker => false,
        }
    }
}

/// Where the collector is in the token stream.
#[derive(Debug, Default)]
enum State<'a> {
    /// Between references.
    #[default]
    Code,
    /// An identifier that starts a path if `::` follows.
    Candidate { first: &'a str, raw: bool, line: u32 },
    /// Inside `a::b::...`.
    Path(PathBuild),
    /// Inside a `use` declaration (boxed: rare, and it keeps `State` small).
    Use(Box<UseTree<'a>>),
    /// After `extern`, and after `extern crate` when `crate_seen`.
    Extern { crate_seen: bool },
    /// After `mod`.
    Mod(ModDecl<'a>),
}

/// A `mod` item being read.
#[derive(Clone, Copy, Debug)]
struct ModDecl<'a> {
    /// The module's name, once read.
    name: Option<&'a str>,
    /// The value of its `#[path]` attribute.
    path: Option<&'a str>,
    /// The line of `mod`.
    line: u32,
    /// True when declared outside any block (see [`Scope::at_module_level`]).
    module_level: bool,
}

/// A path being read in code.
#[derive(Debug)]
struct PathBuild {
    /// The segments so far, `::`-joined.
    text: String,
    /// The line of the first segment.
    line: u32,
    /// True right after a `::`.
    want_segment: bool,
    /// True while every segment is `self` or `super`, so `super` may follow.
    climbing: bool,
}

/// The new name of a `use` leaf.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Alias<'a> {
    /// No `as`: the leaf's last segment.
    #[default]
    None,
    /// After `as`, before the name.
    Pending,
    /// `as name` (`as _` included).
    Named(&'a str),
}

/// A `use` tree being read: `use a::{b, c::{self, d}};`.
#[derive(Debug, Default)]
struct UseTree<'a> {
    /// The current path, `::`-joined.
    path: String,
    /// The length of `path` at each open `{` (the prefix its leaves share),
    /// and the prefix's last segment.
    groups: Vec<(usize, Option<&'a str>)>,
    /// The last segment of `path`.
    last: Option<&'a str>,
    /// The line of the current leaf's first segment.
    leaf_line: u32,
    /// True when `path` holds a leaf not yet reported.
    leaf: bool,
    /// The current leaf's `as`.
    alias: Alias<'a>,
    /// True once a token after `use` was seen.
    started: bool,
    /// True when the `use` is outside any block (see [`Scope::at_module_level`]).
    module_level: bool,
}

impl<'a> UseTree<'a> {
    /// Where the current group's leaves start in `path`.
    fn group_start(&self) -> usize {
        self.groups.last().map_or(0, |g| g.0)
    }

    /// Opens a `{` group.
    fn open_group(&mut self) {
        self.groups.push((self.path.len(), self.last));
        self.leaf = false;
    }

    /// Adds a segment; `self` right after `{` names the group's prefix.
    fn push(&mut self, text: &'a str, line: u32) {
        let group = self.group_start();
        let fresh = self.path.len() == group;
        if fresh {
            self.leaf_line = line;
        }
        self.leaf = true;
        if fresh && group > 0 && text == "self" {
            return;
        }
        push_segment(&mut self.path, text);
        self.last = Some(text);
    }

    /// Drops the leaf just reported, back to the group's prefix.
    fn reset_to_group(&mut self) {
        self.path.truncate(self.group_start());
        self.last = self.groups.last().and_then(|g| g.1);
        self.leaf = false;
        self.alias = Alias::None;
    }
}

/// Braces and inline modules around the current token, and the `#[path]`
/// attribute waiting for its `mod`.
#[derive(Debug, Default)]
struct Scope<'a> {
    /// How many `{` are open.
    depth: usize,
    /// The inline modules open around the current token, outermost first.
    inline: Vec<&'a str>,
    /// For each of `inline`: the brace depth of its body, and its id for
    /// [`Names`] (the file's top level is 0).
    opened: Vec<(usize, u32)>,
    /// The last id given to an inline module.
    last_id: u32,
    /// How far the tokens so far match `#[path = "..."]`.
    attr: Attr<'a>,
    /// The value of a complete path attribute, until the item it decorates
    /// starts (`mod`) or an item ends without using it (`;`, `{`, `}`).
    path_attr: Option<&'a str>,
}

/// A `#[path = "value"]` attribute, matched one token at a time.
#[derive(Clone, Copy, Debug, Default)]
enum Attr<'a> {
    /// No match in progress.
    #[default]
    Idle,
    /// `#`.
    Pound,
    /// `#[`.
    Open,
    /// `#[path`.
    Key,
    /// `#[path =`.
    Eq,
    /// `#[path = "value"`.
    Value(&'a str),
}

impl<'a> Scope<'a> {
    /// Follows `token`: brace depth, inline modules closing, path attributes.
    fn track(&mut self, token: Token<'a>) {
        // Most tokens are neither in an attribute nor start one.
        if !matches!(self.attr, Attr::Idle) || token == Token::Pound {
            self.attr = self.attr_step(token);
        }
        match token {
            Token::OpenBrace => {
                self.depth += 1;
                self.path_attr = None;
            }
            Token::CloseBrace => {
                if self.opened.last().is_some_and(|&(depth, _)| depth == self.depth) {
                    self.inline.pop();
                    self.opened.pop();
                }
                self.depth = self.depth.saturating_sub(1);
                self.path_attr = None;
            }
            Token::Semi => self.path_attr = None,
            _ => {}
        }
    }

    /// The attribute match after `token`; a complete `#[path = "..."]`
    /// leaves its value in `path_attr`.
    fn attr_step(&mut self, token: Token<'a>) -> Attr<'a> {
        match (self.attr, token) {
            (_, Token::Pound) => Attr::Pound,
            (Attr::Pound, Token::OpenBracket) => Attr::Open,
            (Attr::Open, Token::Ident { text: "path", raw: false }) => Attr::Key,
            (Attr::Key, Token::Eq) => Attr::Eq,
            (Attr::Eq, Token::Str(value)) => Attr::Value(value),
            (Attr::Value(value), Token::CloseBracket) => {
                self.path_attr = Some(value);
                Attr::Idle
            }
            _ => Attr::Idle,
        }
    }

    /// Enters the body of `mod name {`, whose `{` was just tracked.
    fn open_module(&mut self, name: &'a str) {
        self.last_id = self.last_id.saturating_add(1);
        self.inline.push(name);
        self.opened.push((self.depth, self.last_id));
    }

    /// The id of the innermost inline module (0 for the file's top level).
    fn id(&self) -> u32 {
        self.opened.last().map_or(0, |&(_, id)| id)
    }

    /// True outside function bodies and other blocks: an item here is
    /// visible in its whole module.
    fn at_module_level(&self) -> bool {
        self.depth == self.opened.last().map_or(0, |&(depth, _)| depth)
    }
}

/// Turns tokens into imports.
#[derive(Debug, Default)]
struct Collector<'a> {
    imports: Vec<Import>,
    /// The line of the last import: a path counts once per line.
    seen_line: u32,
    /// Where the imports of `seen_line` start in `imports`.
    line_start: usize,
    /// Their specs, once there are [`FEW`] of them.
    seen: HashSet<String>,
    prev: Prev<'a>,
    state: State<'a>,
    scope: Scope<'a>,
    /// Local names of modules and imports, for the paths that start with one.
    names: Names<'a>,
}

impl<'a> Collector<'a> {
    /// Takes the next token of the file.
    fn feed(&mut self, token: Token<'a>, line: u32) {
        self.scope.track(token);
        // Most tokens are punctuation between references: skip the state
        // machine for them.
        if matches!(self.state, State::Code) && !matches!(token, Token::Ident { .. }) {
            self.prev = self.prev.after(token);
            return;
        }
        // A candidate is the common case and holds no heap data: copy it out
        // instead of moving the state.
        let leftover = if let State::Candidate { first, raw, line: at } = self.state {
            self.state = State::Code;
            self.candidate(first, raw, at, token)
        } else {
            self.step(token, line)
        };
        if let Some(token) = leftover {
            self.code(token, line);
        }
        self.prev = self.prev.after(token);
    }

    /// Feeds `token` to the reference in progress; returns it when it ends
    /// the reference and belongs to the code after it.
    fn step(&mut self, token: Token<'a>, line: u32) -> Option<Token<'a>> {
        match std::mem::take(&mut self.state) {
            State::Code | State::Candidate { .. } => Some(token),
            State::Path(path) => self.path(path, token),
            State::Use(tree) => self.use_tree(tree, token, line),
            State::Extern { crate_seen } => self.extern_crate(crate_seen, token, line),
            State::Mod(decl) => self.module(decl, token),
        }
    }

    /// A token outside any reference.
    fn code(&mut self, token: Token<'a>, line: u32) {
        let Token::Ident { text, raw } = token else { return };
        self.state = match text {
            "use" if !raw => {
                let module_level = self.scope.at_module_level();
                State::Use(Box::new(UseTree { module_level, ..UseTree::default() }))
            }
            "extern" if !raw => State::Extern { crate_seen: false },
            "mod" if !raw => {
                let path = self.scope.path_attr.take();
                let module_level = self.scope.at_module_level();
                State::Mod(ModDecl { name: None, path, line, module_level })
            }
            _ if matches!(self.prev, Prev::Blocker) => State::Code,
            _ => State::Candidate { first: text, raw, line },
        };
    }

    /// The token after a lone identifier: `::` makes it a path.
    fn candidate(&mut self, first: &str, raw: bool, line: u32, token: Token<'a>) -> Option<Token<'a>> {
        if token == Token::PathSep && (is_plain(first, raw) || is_crate_relative(first, raw)) {
            let climbing = first != "crate";
            // Room for a typical path, so that it grows without reallocating.
            let mut text = String::with_capacity(PATH_CAPACITY);
            text.push_str(first);
            self.state = State::Path(PathBuild { text, line, want_segment: true, climbing });
            return None;
        }
        Some(token)
    }

    /// A token inside a path: a segment, a `::`, or its end.
    fn path(&mut self, mut path: PathBuild, token: Token<'a>) -> Option<Token<'a>> {
        match token {
            Token::Ident { text, raw }
                if path.want_segment
                    && (is_plain(text, raw) || (path.climbing && text == "super" && !raw)) =>
            {
                push_segment(&mut path.text, text);
                path.climbing &= text == "super" && !raw;
                path.want_segment = false;
            }
            Token::PathSep if !path.want_segment => path.want_segment = true,
            _ => {
                self.end_path(path);
                return Some(token);
            }
        }
        self.state = State::Path(path);
        None
    }

    /// Reports a finished path; a lone identifier (`foo::<T>()`) is not one.
    fn end_path(&mut self, path: PathBuild) {
        if path.text.contains(':') {
            self.emit(path.line, &path.text);
        }
    }

    /// A token inside a `use` declaration.
    fn use_tree(&mut self, mut tree: Box<UseTree<'a>>, token: Token<'a>, line: u32) -> Option<Token<'a>> {
        if !tree.started {
            tree.started = true;
            if token == Token::Lt {
                // `impl Trait + use<'a>`: a capture list, not an import.
                return Some(token);
            }
        }
        match token {
            Token::Ident { text: "as", raw: false } => tree.alias = Alias::Pending,
            Token::Ident { text, .. } if tree.alias == Alias::Pending => tree.alias = Alias::Named(text),
            Token::Ident { text, .. } => tree.push(text, line),
            Token::PathSep => {}
            Token::OpenBrace => tree.open_group(),
            Token::Comma => {
                self.emit_leaf(&mut tree);
                tree.reset_to_group();
            }
            Token::CloseBrace => {
                self.emit_leaf(&mut tree);
                tree.groups.pop()?;
                tree.reset_to_group();
            }
            Token::Star => {
                if !tree.leaf {
                    tree.leaf_line = line;
                }
                tree.leaf = true;
                if let Some(source) = self.glob_source(&tree.path).filter(|_| tree.module_level) {
                    self.names.glob(self.scope.id(), source);
                }
                // A glob binds no name of its own.
                tree.alias = Alias::Named("_");
                self.emit_leaf(&mut tree);
            }
            Token::Semi => {
                self.emit_leaf(&mut tree);
                return None;
            }
            _ => {
                self.emit_leaf(&mut tree);
                return Some(token);
            }
        }
        self.state = State::Use(tree);
        None
    }

    /// Reports the leaf of `tree`, if any, and the name it binds.
    fn emit_leaf(&mut self, tree: &mut UseTree<'a>) {
        if !std::mem::take(&mut tree.leaf) {
            return;
        }
        let name = match tree.alias {
            Alias::Named(name) => name,
            Alias::None | Alias::Pending => tree.last.unwrap_or_default(),
        };
        if let Some(spec) = self.spelled(&tree.path) {
            self.record_path(tree.leaf_line, &spec);
            self.names.bind(self.scope.id(), name, &spec, tree.module_level);
        }
    }

    /// A token after `extern`: `crate name` names a crate.
    fn extern_crate(&mut self, crate_seen: bool, token: Token<'a>, line: u32) -> Option<Token<'a>> {
        match token {
            Token::Ident { text: "crate", raw: false } if !crate_seen => {
                self.state = State::Extern { crate_seen: true };
                None
            }
            Token::Ident { text, .. } if crate_seen => {
                self.emit(line, text);
                None
            }
            _ => Some(token),
        }
    }

    /// A token after `mod`: its name, then `;` (a file to load) or `{`
    /// (an inline module, whose body opens).
    fn module(&mut self, decl: ModDecl<'a>, token: Token<'a>) -> Option<Token<'a>> {
        match (decl.name, token) {
            (None, Token::Ident { text, raw }) if is_plain(text, raw) => {
                self.state = State::Mod(ModDecl { name: Some(text), ..decl });
            }
            (Some(name), Token::Semi) => {
                let spec = module_spec(&self.scope.inline, name, decl.path);
                if let Some(spec) = &spec {
                    self.record(decl.line, spec, false);
                }
                match spec.filter(|_| decl.path.is_some()) {
                    // Its file is not where its name leads: the name stands
                    // for the declaration itself.
                    Some(spec) => self.names.bind(self.scope.id(), name, &spec, decl.module_level),
                    None => self.bind_module(name, decl.module_level),
                }
            }
            (Some(name), Token::OpenBrace) => {
                // Bound in the scope that declares it, before its body opens.
                self.bind_module(name, decl.module_level);
                self.scope.open_module(name);
            }
            _ => return Some(token),
        }
        None
    }

    /// Binds the name of a module declared in the current scope.
    fn bind_module(&mut self, name: &'a str, module_level: bool) {
        let mut target = String::from("self");
        push_segments(&mut target, self.scope.inline.iter().copied().chain([name]));
        self.names.bind(self.scope.id(), name, &target, module_level);
    }

    /// The module whose names `use path::*` brings, when it is an enclosing
    /// module of the file (`super`, `super::super`).
    fn glob_source(&self, path: &str) -> Option<u32> {
        let segments = path.split(':').filter(|s| !s.is_empty());
        let up = segments.map(|s| s == "super").try_fold(0usize, |n, up| up.then_some(n + 1))?;
        let level = self.scope.opened.len().checked_sub(up).filter(|_| up > 0)?;
        Some(level.checked_sub(1).map_or(0, |i| self.scope.opened[i].1))
    }

    /// `spec` as references spell it: relative paths rebased on the file's
    /// module; `None` for the module itself and for `Self`.
    fn spelled<'s>(&self, spec: &'s str) -> Option<Cow<'s, str>> {
        match split_first(spec).0 {
            "" | "Self" => None,
            "self" | "super" => rebase(spec, &self.scope.inline).map(Cow::Owned),
            _ => Some(Cow::Borrowed(spec)),
        }
    }

    /// Records a path unless it names the file itself or `Self`.
    fn emit(&mut self, line: u32, spec: &str) {
        if let Some(spec) = self.spelled(spec) {
            self.record_path(line, &spec);
        }
    }

    /// Records a spelled path; one that starts with a name (rather than
    /// `crate`, `self`, `super`) may start with a local name.
    fn record_path(&mut self, line: u32, spec: &str) {
        let named = !matches!(split_first(spec).0, "crate" | "self" | "super");
        self.record(line, spec, named);
    }

    /// Records `spec` unless it was recorded on `line`; `named` as for
    /// [`Collector::record_path`].
    fn record(&mut self, line: u32, spec: &str, named: bool) {
        if self.is_new(line, spec) {
            if named {
                self.names.used(self.imports.len(), self.scope.id());
            }
            self.imports.push(Import::new(line, spec));
        }
    }

    /// True unless `spec` was recorded on `line`, which is the line of the
    /// last import or a later one.
    fn is_new(&mut self, line: u32, spec: &str) -> bool {
        if line != self.seen_line {
            self.seen.clear();
            self.seen_line = line;
            self.line_start = self.imports.len();
        }
        let on_line = &self.imports[self.line_start..];
        if on_line.len() < FEW {
            return on_line.iter().all(|i| i.spec != spec);
        }
        // A line of many references (generated or minified code): a set
        // keeps the check linear.
        if self.seen.is_empty() {
            self.seen.extend(on_line.iter().map(|i| i.spec.clone()));
        }
        self.seen.insert(spec.to_owned())
    }

    /// Ends the file: the reference in progress, then local names.
    fn finish(mut self) -> Vec<Import> {
        match std::mem::take(&mut self.state) {
            State::Path(path) => self.end_path(path),
            State::Use(mut tree) => self.emit_leaf(&mut tree),
            _ => {}
        }
        self.names.apply(&mut self.imports);
        self.imports
    }
}

#[cfg(test)]
mod tests;
