//! Package resolution: `kind:name` -> the directories that hold the package,
//! read from the real package manifests in one tree.
//!
//! One resolver per ecosystem. Each parses its manifest format with a real
//! parser (TOML, JSON, XML; a small tokenizer for Gradle's and Go's DSLs),
//! never with regexes. Tables are built lazily, once per kind, and shared by
//! every team that names a package of that kind.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use crate::manifest::{PackageKind, PackageSpec};

mod cargo;
mod composer;
mod go;
mod gradle;
pub mod jvm;
mod maven;
mod npm;
mod python;
mod select;
mod table;
#[cfg(test)]
mod tests;
mod workspace_glob;

pub use gradle::{gradle_projects, tokenize as gradle_tokens, GradleProject, Tok as GradleTok};
pub use maven::{read_pom, Pom, PomRef, PomRefKind};
pub use npm::{npm_packages, NpmPackages, NpmWorkspace, WorkspaceTool};
pub use select::{is_glob, Selected};
use table::{ManifestKind, Table};

/// A read-only view of the files of one tree (blobs, symlinks, gitlinks).
pub trait FileSource {
    /// Every file path, `/`-separated, sorted bytewise.
    fn paths(&self) -> Box<dyn Iterator<Item = &[u8]> + '_>;
    /// The content of the regular file at `path` (`None` if it is not a blob).
    fn read(&self, path: &[u8]) -> Result<Option<Vec<u8>>, ReadError>;
    /// The size of the file at `path` when it is over [`MAX_MANIFEST_FILE_BYTES`]
    /// (so it is skipped, not read); `None` to read it.
    fn too_large(&self, _path: &[u8]) -> Result<Option<u64>, ReadError> {
        Ok(None)
    }
    /// Calls `each(k, head)` with the first `max` bytes of `paths[k]` (all
    /// of it when smaller) for every path that is a regular file, maybe from
    /// several threads: for reading the heads of many files at once.
    fn each_head(
        &self,
        paths: &[&[u8]],
        max: usize,
        each: &(dyn Fn(usize, &[u8]) + Sync),
    ) -> Result<(), ReadError> {
        for (k, path) in paths.iter().enumerate() {
            if self.too_large(path)?.is_some() {
                continue;
            }
            if let Some(data) = self.read(path)? {
                each(k, &data[..data.len().min(max)]);
            }
        }
        Ok(())
    }
}

/// Package manifests larger than this are skipped unread: a real one is a
/// few KiB, and a hostile tree must not make us inflate gigabytes.
pub const MAX_MANIFEST_FILE_BYTES: u64 = 8 << 20;

/// Reading a file from the tree failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {message}")]
pub struct ReadError {
    /// The path that could not be read (lossy UTF-8).
    pub path: String,
    /// Why.
    pub message: String,
}

/// An in-memory tree, for tests and for callers that already hold the files.
#[derive(Clone, Debug, Default)]
pub struct MemoryFiles {
    /// path -> content
    pub files: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl MemoryFiles {
    /// Builds a tree from `(path, content)` pairs.
    pub fn new<P: AsRef<[u8]>, C: AsRef<[u8]>>(files: impl IntoIterator<Item = (P, C)>) -> Self {
        MemoryFiles {
            files: files.into_iter().map(|(p, c)| (p.as_ref().to_vec(), c.as_ref().to_vec())).collect(),
        }
    }
}

impl FileSource for MemoryFiles {
    fn paths(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        Box::new(self.files.keys().map(|k| k.as_slice()))
    }
    fn read(&self, path: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        Ok(self.files.get(path).cloned())
    }
}

/// Where a package lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// The kind that matched (for a bare name, the one it resolved as).
    pub kind: PackageKind,
    /// The directories holding the package, sorted; `b""` is the tree root.
    pub dirs: Vec<Vec<u8>>,
    /// Single files of the package outside `dirs`, sorted: JVM source files
    /// whose directory holds other packages' too.
    pub files: Vec<Vec<u8>>,
    /// Directories under `dirs` that belong to *other* packages of the same
    /// kind (nested workspace members, nested Go modules, other JVM
    /// packages' directories); not part of this package. Sorted.
    pub carve_outs: Vec<Vec<u8>>,
    /// Single files under `dirs` that belong to other packages (JVM source
    /// files declaring another package). Sorted.
    pub carved_files: Vec<Vec<u8>>,
}

/// A package its ecosystem's tool lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// Its fullest name (Maven's `groupId:artifactId`, Gradle's `:a:b`).
    pub name: String,
    /// Its directory.
    pub dir: Vec<u8>,
    /// True for a Gradle included build: a build of its own, not a project.
    pub build: bool,
}

/// Resolution failures.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// Nothing in the tree has that name.
    #[error("package `{spec}` not found in the tree{}", suggest(.candidates))]
    NotFound {
        /// The reference as written.
        spec: String,
        /// The closest existing names (with their kind prefix), best first, at most 5.
        candidates: Vec<String>,
    },
    /// The name is one the package had before its manifest renamed it.
    #[error("package `{spec}` was renamed at {at}: it is now {}", quoted(.now))]
    Renamed {
        /// The reference as written.
        spec: String,
        /// The package's current names (with their kind prefix), sorted.
        now: Vec<String>,
        /// `file:line` of the rename.
        at: String,
    },
    /// A glob selector that cannot be used.
    #[error("package glob `{spec}`: {message}")]
    Glob {
        /// The selector as written.
        spec: String,
        /// What is wrong with it.
        message: String,
    },
    /// The tree could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// A directory of the package lies deeper than patterns reach.
    #[error(
        "package `{spec}`: `{path}` lies more than {} directories deep, deeper than git-split's rules reach",
        crate::pattern::MAX_SEGMENTS
    )]
    TooDeep {
        /// The reference as written.
        spec: String,
        /// The directory or file, as in the tree.
        path: String,
    },
}

impl PackageError {
    /// The reference as written, when the error is about the name (not a
    /// failed read): a stale entry of the manifest.
    pub fn stale_spec(&self) -> Option<&str> {
        match self {
            PackageError::NotFound { spec, .. } | PackageError::Renamed { spec, .. } => Some(spec),
            PackageError::Glob { .. } | PackageError::Read(_) | PackageError::TooDeep { .. } => None,
        }
    }
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" and ")
}

fn suggest(c: &[String]) -> String {
    if c.is_empty() {
        String::new()
    } else {
        format!("; closest: {}", c.join(", "))
    }
}

/// The workspace kinds, in the order a bare name tries them.
const WORKSPACE_KINDS: [PackageKind; 7] = [
    PackageKind::Npm,
    PackageKind::Cargo,
    PackageKind::Go,
    PackageKind::Maven,
    PackageKind::Gradle,
    PackageKind::Composer,
    PackageKind::Python,
];

/// The manifest reader of a workspace kind (`None` for JVM packages, which
/// come from source files, not manifests).
fn manifest_kind(kind: PackageKind) -> Option<&'static ManifestKind> {
    Some(match kind {
        PackageKind::Npm => &npm::KIND,
        PackageKind::Cargo => &cargo::KIND,
        PackageKind::Go => &go::KIND,
        PackageKind::Maven => &maven::KIND,
        PackageKind::Gradle => &gradle::KIND,
        PackageKind::Composer => &composer::KIND,
        PackageKind::Python => &python::KIND,
        PackageKind::Jvm => return None,
    })
}

/// True if `path` names a package manifest of a workspace kind
/// (`package.json`, `Cargo.toml`, `go.mod`, ...) or a workspace declaration
/// (`pnpm-workspace.yaml`): changing one can change where packages resolve.
pub fn is_package_manifest(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    WORKSPACE_KINDS.iter().filter_map(|&k| manifest_kind(k)).any(|m| {
        let declarations = match &m.boundaries {
            table::Boundaries::Workspaces(rules) => rules.files,
            _ => &[],
        };
        m.file_names.iter().chain(declarations).any(|f| f.as_bytes() == name)
    })
}

/// All package tables of one tree, built lazily per kind and cached.
pub struct PackageIndex<'a> {
    files: &'a dyn FileSource,
    /// Indexed like [`WORKSPACE_KINDS`].
    tables: [OnceCell<Table>; 7],
    jvm: OnceCell<jvm::JvmPackages>,
    imports: OnceCell<select::ImportPackages>,
}

impl<'a> PackageIndex<'a> {
    /// An index over `files`; nothing is read until a reference needs it.
    pub fn new(files: &'a dyn FileSource) -> Self {
        PackageIndex {
            files,
            tables: std::array::from_fn(|_| OnceCell::new()),
            jvm: OnceCell::new(),
            imports: OnceCell::new(),
        }
    }

    /// Resolves one reference. A bare name is tried as every workspace kind
    /// in [`PackageKind::ALL`] order (the first kind with a match wins), then
    /// as a JVM package.
    pub fn resolve(&self, spec: &PackageSpec) -> Result<Resolution, PackageError> {
        let kinds: &[PackageKind] = match &spec.kind {
            Some(kind) => std::slice::from_ref(kind),
            None => &PackageKind::ALL,
        };
        for &kind in kinds {
            if let Some(found) = self.lookup(kind, &spec.name)? {
                return Ok(found);
            }
        }
        for &kind in kinds.iter().filter(|&&k| k != PackageKind::Jvm) {
            if let Some((now, at)) = self.table(kind)?.renamed(&spec.name) {
                let now = now.into_iter().map(|n| format!("{kind}:{n}")).collect();
                return Err(PackageError::Renamed { spec: spec.to_string(), now, at });
            }
        }
        Err(PackageError::NotFound {
            spec: spec.to_string(),
            candidates: self.candidates(kinds, &spec.name)?,
        })
    }

    /// The packages of a workspace kind that its tool lists (see
    /// [`is_glob`] for which), sorted by directory.
    pub fn listed(&self, kind: PackageKind) -> Result<Vec<Listed>, ReadError> {
        let mut out: Vec<Listed> = self
            .table(kind)?
            .listed()
            .map(|e| Listed {
                name: e.keys.last().cloned().unwrap_or_default(),
                dir: e.dir.clone(),
                build: e.includes,
            })
            .collect();
        out.sort_by(|a, b| a.dir.cmp(&b.dir).then_with(|| a.name.cmp(&b.name)));
        Ok(out)
    }

    /// The package of `kind` whose directory is `dir`, as `kind:name`; `None`
    /// for a JVM package, a directory of no package, or a manifest without
    /// a name.
    pub fn name_at(&self, kind: PackageKind, dir: &[u8]) -> Option<String> {
        if kind == PackageKind::Jvm {
            return None;
        }
        let entry = self.table(kind).ok()?.entries().iter().find(|e| e.dir == dir)?;
        Some(format!("{kind}:{}", entry.keys.last()?))
    }

    /// Manifests that could not be parsed, as (path, reason), sorted — reported, not fatal.
    ///
    /// Only the kinds built so far (by [`resolve`](Self::resolve) or
    /// [`build_all`](Self::build_all)) have been looked at.
    pub fn skipped(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> =
            self.tables.iter().filter_map(OnceCell::get).flat_map(|t| t.skipped.clone()).collect();
        out.sort();
        out
    }

    /// Builds every kind's table now, so that [`skipped`](Self::skipped)
    /// covers the whole tree.
    pub fn build_all(&self) -> Result<(), ReadError> {
        for kind in WORKSPACE_KINDS {
            self.table(kind)?;
        }
        self.jvm()?;
        Ok(())
    }

    fn lookup(&self, kind: PackageKind, name: &str) -> Result<Option<Resolution>, ReadError> {
        if kind == PackageKind::Jvm {
            return Ok(self.jvm()?.resolve(name));
        }
        Ok(self.table(kind)?.lookup(kind, name))
    }

    fn table(&self, kind: PackageKind) -> Result<&Table, ReadError> {
        let slot = WORKSPACE_KINDS.iter().position(|&k| k == kind).expect("a workspace kind");
        let cell = &self.tables[slot];
        if let Some(table) = cell.get() {
            return Ok(table);
        }
        // Built outside the cell so a read error is returned, not cached: the
        // next call tries again.
        let table = Table::build(self.files, manifest_kind(kind).expect("a workspace kind"))?;
        Ok(cell.get_or_init(|| table))
    }

    /// The JVM packages of the tree, read on first use.
    pub fn jvm(&self) -> Result<&jvm::JvmPackages, ReadError> {
        if let Some(packages) = self.jvm.get() {
            return Ok(packages);
        }
        // As for the tables: a read error is returned, not cached.
        let packages = jvm::JvmPackages::build(self.files)?;
        Ok(self.jvm.get_or_init(|| packages))
    }

    /// The closest existing names of `kinds` to `name`, as `kind:name`.
    fn candidates(&self, kinds: &[PackageKind], name: &str) -> Result<Vec<String>, ReadError> {
        let mut groups: Vec<(PackageKind, Vec<String>)> = Vec::new();
        for &kind in kinds {
            if kind == PackageKind::Jvm {
                groups.extend(self.jvm()?.names_near(name).into_iter().map(|n| (kind, vec![n])));
            } else {
                groups.extend(self.table(kind)?.names().map(|keys| (kind, keys.to_vec())));
            }
        }
        Ok(rank(name, groups))
    }
}

/// How many suggestions a `NotFound` carries at most.
const MAX_CANDIDATES: usize = 5;
/// Below this similarity a name is noise, unless there are few names at all.
const MIN_SIMILARITY: f64 = 0.8;

/// Ranks candidate packages (each a kind and its spellings) by similarity to
/// `query`; best first, ties by name, then by kind in [`PackageKind::ALL`] order.
fn rank(query: &str, groups: Vec<(PackageKind, Vec<String>)>) -> Vec<String> {
    let colons = |s: &str| s.trim_start_matches(':').matches(':').count();
    let mut scored: Vec<(f64, String, usize)> = Vec::new();
    for (kind, keys) in groups {
        // Show a package in the shape the user wrote (`artifactId` or
        // `groupId:artifactId`), so suggestions read like the reference.
        let same_shape = keys.iter().any(|k| colons(k) == colons(query));
        let best = keys
            .into_iter()
            .filter(|k| !same_shape || colons(k) == colons(query))
            .map(|k| (similarity(query, &k), k))
            .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(&a.1)));
        if let Some((score, key)) = best {
            let order = PackageKind::ALL.iter().position(|&k| k == kind).expect("ALL lists every kind");
            scored.push((score, key, order));
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    scored.dedup_by(|a, b| a.1 == b.1 && a.2 == b.2);
    // With only a handful of names, the best of them is still worth showing.
    let few = scored.len() <= MAX_CANDIDATES;
    scored
        .into_iter()
        .filter(|(score, ..)| few || *score >= MIN_SIMILARITY)
        .take(MAX_CANDIDATES)
        .map(|(_, key, order)| format!("{}:{key}", PackageKind::ALL[order]))
        .collect()
}

/// String similarity, about 0..=1; raised when one name contains the other,
/// and above every other score when they differ only in case or separators
/// (`foo_bar`/`Foo-Bar`), so the other spelling is suggested first.
fn similarity(query: &str, name: &str) -> f64 {
    let q = fold(query);
    let n = fold(name);
    if q == n {
        return 2.0;
    }
    let mut score = strsim::jaro_winkler(&q, &n).max(strsim::normalized_levenshtein(&q, &n));
    let (short, long) = if q.len() <= n.len() { (&q, &n) } else { (&n, &q) };
    if short.len() >= 3 && long.contains(short.as_str()) {
        score = score.max(MIN_SIMILARITY) + 0.1;
    }
    score
}

/// Lowercase, one `-` for every run of separators, no leading `:` or `@`.
fn fold(name: &str) -> String {
    let name = name.trim_start_matches([':', '@']);
    python::normalize(name)
}
