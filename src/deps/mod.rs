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

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::odb::pack::ReadState;
use crate::odb::{FileKind, Repo, TreeListing};
use lang::{Import, Language, Resolution, Resolvers, SourceTree};

pub use boundaries::{violations, Violation};
pub use report::{
    report, Break, DuplicateOrExtract, Edge, LanguageSummary, Report, TargetCount, TeamBreaks, Unresolved,
};
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
    /// The files it stands for, as indices into the analysed listing; its
    /// owners are theirs.
    pub files: Vec<u32>,
}

/// One reference that resolved to the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// The referencing file, as an index into the analysed listing.
    pub from: u32,
    /// 1-based line in it.
    pub line: u32,
    /// That line, trimmed and cut to [`MAX_TEXT_CHARS`].
    pub text: Box<str>,
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
    /// The first unresolved references (`file:line: spec`) and unparsable
    /// files, in path and line order.
    pub examples: Vec<String>,
}

/// Every resolved reference of one tree listing, and how each language fared.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// Sorted by referencing file, line, target.
    pub references: Vec<Reference>,
    /// What references lead to, sorted by path.
    pub targets: Vec<Target>,
    /// Per language, for every language with a file in the tree.
    pub languages: BTreeMap<Language, LanguageStats>,
}

/// What one reference of a source file led to, as much as the collector needs.
enum Found {
    External,
    Unresolved { line: u32, spec: String },
    Internal { line: u32, text: Box<str>, path: Vec<u8>, files: Vec<Vec<u8>> },
}

/// What one source file gave.
struct FileResult {
    language: Language,
    found: Vec<Found>,
    outcome: Outcome,
}

enum Outcome {
    Read,
    Skipped,
    Unparsable(String),
}

impl FileResult {
    fn skipped(language: Language) -> FileResult {
        FileResult { language, found: Vec::new(), outcome: Outcome::Skipped }
    }
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
    // Each file's references are merged as soon as it is read, so what is
    // held at once is the references kept, not every import of the tree.
    let out = std::sync::Mutex::new(Collector::new(listing));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let results =
        crate::util::parallel::map_in_turn(&sources, threads, ReadState::new, |state, &(i, language)| {
            let f = &listing.files[i];
            let result = if f.size > MAX_SOURCE_BYTES {
                FileResult::skipped(language)
            } else {
                let data = blobs.read(f.oid, state).map_err(|e| e.at(&f.path))?;
                read_file(&resolvers, &tree, &f.path, language, &data)
            };
            out.lock().unwrap_or_else(|p| p.into_inner()).file(i as u32, result);
            Ok(())
        });
    results.into_iter().collect::<Result<(), BlobError>>().map_err(|e| e.explained(repo))?;
    let mut out = out.into_inner().unwrap_or_else(|p| p.into_inner());
    for (language, dep) in resolvers.manifest_deps(&tree) {
        let Some(from) = out.index_of(&dep.manifest) else { continue };
        let text = tree.read(&dep.manifest).map(|m| line_text(&m, dep.line)).unwrap_or_default();
        if let Some(found) = found(Import::new(dep.line, dep.name), dep.resolution, text) {
            out.reference(from, language, RefKind::Manifest, found);
        }
    }
    Ok(out.finish())
}

/// A resolution, reduced to what the collector keeps of it; `None` for
/// what turned out to be no reference.
fn found(import: Import, resolution: Resolution, text: Box<str>) -> Option<Found> {
    Some(match resolution {
        Resolution::NotAReference => return None,
        Resolution::External => Found::External,
        Resolution::Unresolved => Found::Unresolved { line: import.line, spec: import.spec },
        Resolution::Internal { path, files } => Found::Internal { line: import.line, text, path, files },
    })
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
        _ => return FileResult::skipped(language),
    };
    match language.scan(text) {
        Err(e) => FileResult {
            language,
            found: Vec::new(),
            outcome: Outcome::Unparsable(format!("line {}: {}", e.line, e.message)),
        },
        Ok(mut imports) => {
            // Line texts are found in one forward pass.
            imports.sort_by_key(|i| i.line);
            let mut lines = LineTexts::new(text);
            let found = imports
                .into_iter()
                .filter_map(|import| {
                    let resolution = resolvers.resolve(language, tree, path, &import);
                    // Only a reference into the tree shows its line.
                    let text = match resolution {
                        Resolution::Internal { .. } => lines.get(import.line),
                        _ => Box::default(),
                    };
                    found(import, resolution, text)
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
    fn get(&mut self, n: u32) -> Box<str> {
        while self.next < n {
            match self.rest.find('\n') {
                Some(at) => self.rest = &self.rest[at + 1..],
                None => return Box::default(),
            }
            self.next += 1;
        }
        if self.next != n {
            return Box::default();
        }
        let line = self.rest.split('\n').next().unwrap_or("");
        shorten(line)
    }
}

/// A line of a file read whole: for manifests, whose dependencies are few.
fn line_text(content: &[u8], n: u32) -> Box<str> {
    let text = String::from_utf8_lossy(content);
    let line = text.split('\n').nth(n.saturating_sub(1) as usize).unwrap_or("");
    shorten(line)
}

fn shorten(line: &str) -> Box<str> {
    let line = line.trim();
    match line.char_indices().nth(MAX_TEXT_CHARS) {
        Some((at, _)) => format!("{}…", &line[..at]).into(),
        None => line.into(),
    }
}

/// The first [`MAX_EXAMPLES`] examples of a language in (path, line)
/// order, whatever order the reading threads meet them in.
#[derive(Default)]
struct Examples(BTreeSet<(Vec<u8>, u32, String)>);

impl Examples {
    fn add(&mut self, path: &[u8], line: u32, what: impl FnOnce() -> String) {
        if self.0.len() == MAX_EXAMPLES
            && self.0.last().is_some_and(|(p, l, _)| (p.as_slice(), *l) < (path, line))
        {
            return;
        }
        self.0.insert((path.to_vec(), line, what()));
        if self.0.len() > MAX_EXAMPLES {
            self.0.pop_last();
        }
    }
}

/// Gathers references and statistics, interning targets.
struct Collector<'a> {
    listing: &'a TreeListing,
    /// Listing index of every path, for the files of targets.
    index: HashMap<&'a [u8], u32>,
    references: Vec<Reference>,
    /// Target path -> (its number as met, its files).
    targets: HashMap<Vec<u8>, (u32, Vec<u32>)>,
    languages: BTreeMap<Language, (LanguageStats, Examples)>,
}

impl<'a> Collector<'a> {
    fn new(listing: &'a TreeListing) -> Collector<'a> {
        let index = listing.files.iter().enumerate().map(|(i, f)| (f.path.as_slice(), i as u32)).collect();
        Collector {
            listing,
            index,
            references: Vec::new(),
            targets: HashMap::new(),
            languages: BTreeMap::new(),
        }
    }

    fn index_of(&self, path: &[u8]) -> Option<u32> {
        self.index.get(path).copied()
    }

    fn file(&mut self, from: u32, result: FileResult) {
        let path = &self.listing.files[from as usize].path;
        let (stats, examples) = self.languages.entry(result.language).or_default();
        match result.outcome {
            Outcome::Read => stats.files += 1,
            Outcome::Skipped => stats.skipped += 1,
            Outcome::Unparsable(why) => {
                stats.files += 1;
                stats.unresolved += 1;
                examples.add(path, 0, || format!("{}: does not parse: {why}", String::from_utf8_lossy(path)));
            }
        }
        for found in result.found {
            self.reference(from, result.language, RefKind::Import, found);
        }
    }

    fn reference(&mut self, from: u32, language: Language, kind: RefKind, found: Found) {
        let path = &self.listing.files[from as usize].path;
        let (stats, examples) = self.languages.entry(language).or_default();
        stats.references += 1;
        let (line, text, target, files) = match found {
            Found::External => {
                stats.external += 1;
                return;
            }
            Found::Unresolved { line, spec } => {
                stats.unresolved += 1;
                examples.add(path, line, || format!("{}:{line}: {spec}", String::from_utf8_lossy(path)));
                return;
            }
            Found::Internal { line, text, path, files } => (line, text, path, files),
        };
        stats.resolved += 1;
        // A file naming itself (a Rust `self::` path) joins nothing.
        if files.len() == 1 && files[0] == *path {
            return;
        }
        // A package at the root of the tree is `./`, as a directory.
        let target = if target.is_empty() { b"./".to_vec() } else { target };
        let next = self.targets.len() as u32;
        let target = match self.targets.get(&target) {
            Some(&(n, _)) => n,
            None => {
                let files = files.iter().filter_map(|f| self.index.get(f.as_slice()).copied()).collect();
                self.targets.insert(target, (next, files));
                next
            }
        };
        self.references.push(Reference { from, line, text, language, kind, target });
    }

    fn finish(self) -> Analysis {
        // Targets were numbered as met; renumber them in path order.
        let mut targets: Vec<_> = self.targets.into_iter().collect();
        targets.sort_unstable_by(|a: &(Vec<u8>, _), b| a.0.cmp(&b.0));
        let mut renumber = vec![0u32; targets.len()];
        let targets: Vec<Target> = targets
            .into_iter()
            .enumerate()
            .map(|(k, (path, (first, files)))| {
                renumber[first as usize] = k as u32;
                Target { path, files }
            })
            .collect();
        let mut references = self.references;
        for r in &mut references {
            r.target = renumber[r.target as usize];
        }
        let key = |r: &Reference| (r.from, r.line, r.target, r.kind);
        references.sort_unstable_by_key(key);
        references.dedup_by(|a, b| key(a) == key(b));
        let languages = self
            .languages
            .into_iter()
            .map(|(language, (mut stats, examples))| {
                stats.examples = examples.0.into_iter().map(|(_, _, e)| e).collect();
                (language, stats)
            })
            .collect();
        Analysis { references, targets, languages }
    }
}
