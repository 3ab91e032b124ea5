//! References between the files of one tree — imports and build-manifest
//! dependencies — and what a split does to them.
//!
//! [`analyse`] reads every source file of a known language from the object
//! database (no checkout), finds its references with the language's reader
//! ([`lang`]) and resolves them to files of the tree. [`report`] then sets
//! them against the teams: a reference from a file a team keeps to one it
//! loses is a break, the work the split leaves that team.

mod boundaries;
pub mod lang;
mod report;
mod source;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::git::{FileKind, Repo, TreeListing};
use crate::git_pack::ReadState;
use lang::{Import, Language, Resolution, Resolvers, SourceTree};

pub use boundaries::{violations, Violation};
pub use report::{report, Break, DuplicateOrExtract, Edge, Report, TargetCount, TeamBreaks, Unresolved};
pub use source::{BlobError, MAX_SOURCE_BYTES};

/// What makes one file refer to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RefKind {
    /// An import, `use`, `require` or qualified name in source code.
    Import,
    /// A dependency declared by a build manifest.
    Manifest,
}

/// A file or package of the tree that references lead to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// A file, or a directory ending in `/` (a Go package, a manifest's package).
    pub path: Vec<u8>,
    /// The files it stands for; its owners are theirs.
    pub files: Vec<Vec<u8>>,
}

/// One reference that resolved to the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// The referencing file.
    pub from: Vec<u8>,
    /// 1-based line in it.
    pub line: u32,
    /// That line, trimmed and cut to [`MAX_TEXT_CHARS`].
    pub text: String,
    /// The language (for a manifest, the ecosystem that reads it).
    pub language: Language,
    /// Import or manifest.
    pub kind: RefKind,
    /// Index into [`Analysis::targets`].
    pub target: u32,
}

/// A source line shown with a reference is cut to this many characters.
pub const MAX_TEXT_CHARS: usize = 200;
/// How many unresolved examples are kept per language.
pub const MAX_EXAMPLES: usize = 10;

/// How the references of one language fared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LanguageStats {
    /// Source files read.
    pub files: u64,
    /// References found (imports and manifest dependencies).
    pub references: u64,
    /// Those that resolved to files of the tree.
    pub resolved: u64,
    /// Those that lead outside the repository (standard library, vendor packages).
    pub external: u64,
    /// Those that look internal but match nothing, plus files that do not parse.
    pub unresolved: u64,
    /// Files not read: larger than [`MAX_SOURCE_BYTES`], binary, or not UTF-8.
    pub skipped: u64,
    /// A few unresolved references (`file:line: spec`) and unparsable files.
    pub examples: Vec<String>,
}

/// Every resolved reference of one tree, and how each language fared.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// Sorted by referencing file, line, target.
    pub references: Vec<Reference>,
    /// What references lead to, sorted by path.
    pub targets: Vec<Target>,
    /// Per language, for every language with a file in the tree.
    pub languages: BTreeMap<Language, LanguageStats>,
}

/// What one source file gave.
struct FileResult {
    language: Language,
    /// `(import, where it leads, the line's text)`.
    found: Vec<(Import, Resolution, String)>,
    outcome: Outcome,
}

enum Outcome {
    Read,
    Skipped,
    Unparsable(String),
}

/// Reads and resolves every reference of `listing` (a tree of `repo`).
pub fn analyse(repo: &Repo, listing: &TreeListing) -> Result<Analysis, BlobError> {
    let blobs = source::Blobs::new(repo.packs(), repo.raw().path());
    let config = source::ConfigFiles::new(&blobs, listing);
    let read = |p: &[u8]| config.read(p);
    let tree = SourceTree::new(
        listing.files.iter().filter(|f| f.kind != FileKind::Gitlink).map(|f| f.path.as_slice()),
        &read,
    );
    let resolvers = Resolvers::new(&tree);
    let sources: Vec<(usize, Language)> = listing
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.kind, FileKind::Blob | FileKind::Executable))
        .filter_map(|(i, f)| Language::of_path(&f.path).map(|l| (i, l)))
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let results = crate::parallel::map_in_turn(&sources, threads, ReadState::new, |state, &(i, language)| {
        let f = &listing.files[i];
        if f.size > MAX_SOURCE_BYTES {
            return Ok(FileResult { language, found: Vec::new(), outcome: Outcome::Skipped });
        }
        let data = blobs.read(f.oid, state)?;
        Ok(read_file(&resolvers, &tree, &f.path, language, &data))
    });

    let mut out = Collector::default();
    for (&(i, _), result) in sources.iter().zip(results) {
        out.file(&listing.files[i].path, result?);
    }
    for (language, dep) in resolvers.manifest_deps(&tree) {
        let text = tree.read(&dep.manifest).map(|m| line_text(&m, dep.line)).unwrap_or_default();
        let import = Import::new(dep.line, dep.name);
        out.reference(&dep.manifest, language, RefKind::Manifest, &import, dep.resolution, text);
    }
    Ok(out.finish())
}

/// Scans and resolves one file's content.
fn read_file(
    resolvers: &Resolvers,
    tree: &SourceTree<'_>,
    path: &[u8],
    language: Language,
    data: &[u8],
) -> FileResult {
    // git's rule for binary content: a NUL in the first 8000 bytes.
    let binary = data[..data.len().min(8000)].contains(&0);
    let text = match std::str::from_utf8(data) {
        Ok(text) if !binary => text,
        _ => return FileResult { language, found: Vec::new(), outcome: Outcome::Skipped },
    };
    match language.scan(text) {
        Err(e) => FileResult {
            language,
            found: Vec::new(),
            outcome: Outcome::Unparsable(format!("line {}: {}", e.line, e.message)),
        },
        Ok(imports) => {
            let mut lines = LineTexts::new(text);
            let found = imports
                .into_iter()
                .map(|import| {
                    let resolution = resolvers.resolve(language, tree, path, &import);
                    let text = lines.get(import.line);
                    (import, resolution, text)
                })
                .collect();
            FileResult { language, found, outcome: Outcome::Read }
        }
    }
}

/// The texts of lines asked for in rising order, found in one pass.
struct LineTexts<'a> {
    rest: &'a str,
    /// The number of the line `rest` starts with.
    next: u32,
}

impl<'a> LineTexts<'a> {
    fn new(text: &'a str) -> LineTexts<'a> {
        LineTexts { rest: text, next: 1 }
    }

    /// Line `n` (1-based), trimmed and cut; empty when `n` was passed already.
    fn get(&mut self, n: u32) -> String {
        while self.next < n {
            match self.rest.find('\n') {
                Some(at) => self.rest = &self.rest[at + 1..],
                None => return String::new(),
            }
            self.next += 1;
        }
        if self.next != n {
            return String::new();
        }
        let line = self.rest.split('\n').next().unwrap_or("");
        shorten(line)
    }
}

/// A line of a file read whole: for manifests, whose dependencies are few.
fn line_text(content: &[u8], n: u32) -> String {
    let text = String::from_utf8_lossy(content);
    let line = text.split('\n').nth(n.saturating_sub(1) as usize).unwrap_or("");
    shorten(line)
}

fn shorten(line: &str) -> String {
    let line = line.trim();
    match line.char_indices().nth(MAX_TEXT_CHARS) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

/// Gathers references and statistics, interning targets.
#[derive(Default)]
struct Collector {
    references: Vec<Reference>,
    targets: BTreeMap<Vec<u8>, (u32, Vec<Vec<u8>>)>,
    languages: BTreeMap<Language, LanguageStats>,
}

impl Collector {
    fn file(&mut self, path: &[u8], result: FileResult) {
        let stats = self.languages.entry(result.language).or_default();
        match result.outcome {
            Outcome::Read => stats.files += 1,
            Outcome::Skipped => stats.skipped += 1,
            Outcome::Unparsable(why) => {
                stats.files += 1;
                stats.unresolved += 1;
                if stats.examples.len() < MAX_EXAMPLES {
                    stats.examples.push(format!("{}: does not parse: {why}", String::from_utf8_lossy(path)));
                }
            }
        }
        for (import, resolution, text) in result.found {
            self.reference(path, result.language, RefKind::Import, &import, resolution, text);
        }
    }

    fn reference(
        &mut self,
        from: &[u8],
        language: Language,
        kind: RefKind,
        import: &Import,
        resolution: Resolution,
        text: String,
    ) {
        let stats = self.languages.entry(language).or_default();
        stats.references += 1;
        match resolution {
            Resolution::External => stats.external += 1,
            Resolution::Unresolved => {
                stats.unresolved += 1;
                if stats.examples.len() < MAX_EXAMPLES {
                    let from = String::from_utf8_lossy(from);
                    stats.examples.push(format!("{from}:{}: {}", import.line, import.spec));
                }
            }
            Resolution::Internal { path, files } => {
                stats.resolved += 1;
                // A file naming itself (a Rust `self::` path) joins nothing.
                if files.len() == 1 && files[0] == from {
                    return;
                }
                // A package at the root of the tree is `./`, as a directory.
                let path = if path.is_empty() { b"./".to_vec() } else { path };
                let next = self.targets.len() as u32;
                let target = self.targets.entry(path).or_insert((next, files)).0;
                self.references.push(Reference {
                    from: from.to_vec(),
                    line: import.line,
                    text,
                    language,
                    kind,
                    target,
                });
            }
        }
    }

    fn finish(self) -> Analysis {
        // Targets were numbered as met; renumber them in path order.
        let mut renumber = vec![0u32; self.targets.len()];
        let mut targets = Vec::with_capacity(self.targets.len());
        for (k, (path, (first, files))) in self.targets.into_iter().enumerate() {
            renumber[first as usize] = k as u32;
            targets.push(Target { path, files });
        }
        let mut references = self.references;
        for r in &mut references {
            r.target = renumber[r.target as usize];
        }
        references
            .sort_by(|a, b| (&a.from, a.line, a.target, a.kind).cmp(&(&b.from, b.line, b.target, b.kind)));
        references
            .dedup_by(|a, b| (&a.from, a.line, a.target, a.kind) == (&b.from, b.line, b.target, b.kind));
        Analysis { references, targets, languages: self.languages }
    }
}
