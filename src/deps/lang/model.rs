//! What every language reader hands back, and the view of the tree its
//! resolver reads. Kept free of the rest of the crate so a reader can be
//! built and tested on its own.

use std::collections::{BTreeMap, HashSet};

/// One reference found in a source file, before resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// 1-based line where the reference starts.
    pub line: u32,
    /// What is referenced, as the language spells it: a module path
    /// (`a.b.c`, Python relative ones keep their leading dots `..a`), an
    /// import path (`github.com/x/y`), a specifier (`./util`, `@acme/ui`),
    /// a class name (`App\Billing\Invoice`, `com.acme.Foo`), a Rust path
    /// (`other_crate::a::b`).
    pub spec: String,
    /// Python `from M import a, b`: the names, which may be submodules.
    /// Empty for every other form.
    pub names: Vec<String>,
}

impl Import {
    /// An import with no imported names.
    pub fn new(line: u32, spec: impl Into<String>) -> Import {
        Import { line, spec: spec.into(), names: Vec::new() }
    }
}

/// Why a source file could not be read for references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanError {
    /// 1-based line of the trouble.
    pub line: u32,
    /// What is wrong (an unterminated string, say).
    pub message: String,
}

/// What one [`Import`] refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Files of the tree. `path` is what the reference names: a file, or a
    /// directory ending in `/` when the language imports directories (a Go
    /// package); `files` are the files that make it up, sorted (one, for a
    /// file).
    Internal {
        /// A file, or a directory ending in `/`.
        path: Vec<u8>,
        /// The files it stands for.
        files: Vec<Vec<u8>>,
    },
    /// Outside the repository: the standard library, a vendor package.
    External,
    /// Looks internal or is unknown, and nothing in the tree matches.
    Unresolved,
    /// Not a reference after all: a dotted name in code that only looked
    /// like a qualified class name (a field access, a call chain) and names
    /// nothing of the tree. Counted nowhere.
    NotAReference,
}

impl Resolution {
    /// One file of the tree.
    pub fn file(path: impl Into<Vec<u8>>) -> Resolution {
        let path = path.into();
        Resolution::Internal { files: vec![path.clone()], path }
    }
}

/// Reads the content of a tree file; `None` when it is not a regular file,
/// is too large to read, or cannot be read.
pub type ReadFn<'a> = dyn Fn(&[u8]) -> Option<Vec<u8>> + Sync + 'a;

/// The files of one tree, as resolvers see them: every path, and a way to
/// read the small configuration files they need (`go.mod`, `tsconfig.json`,
/// `composer.json`, `Cargo.toml`, `pyproject.toml`).
pub struct SourceTree<'a> {
    /// Every file path, `/`-separated, sorted bytewise, no duplicates.
    paths: Vec<&'a [u8]>,
    /// The same paths, for the existence checks resolvers make by the
    /// dozen per import. std's hasher, keyed at random, because the paths
    /// come from the repository and must not be able to force collisions.
    files: HashSet<&'a [u8]>,
    /// Every directory holding a file, at any depth (not the root).
    dirs: HashSet<&'a [u8]>,
    read: &'a ReadFn<'a>,
}

impl<'a> SourceTree<'a> {
    /// A tree of `paths` (any order), whose files `read` returns.
    pub fn new(paths: impl IntoIterator<Item = &'a [u8]>, read: &'a ReadFn<'a>) -> SourceTree<'a> {
        let mut paths: Vec<&[u8]> = paths.into_iter().collect();
        paths.sort_unstable();
        paths.dedup();
        let files = paths.iter().copied().collect();
        let mut dirs = HashSet::new();
        for p in &paths {
            for (i, &b) in p.iter().enumerate() {
                if b == b'/' && i > 0 {
                    dirs.insert(&p[..i]);
                }
            }
        }
        SourceTree { paths, files, dirs, read }
    }

    /// Every file path, sorted.
    pub fn paths(&self) -> &[&'a [u8]] {
        &self.paths
    }

    /// True if `path` is a file of the tree.
    pub fn is_file(&self, path: &[u8]) -> bool {
        self.files.contains(path)
    }

    /// True if some file lies below `dir` (`b""` is the root; no trailing `/`).
    pub fn is_dir(&self, dir: &[u8]) -> bool {
        if dir.is_empty() {
            return !self.paths.is_empty();
        }
        self.dirs.contains(dir)
    }

    /// The files directly in `dir` (not in its subdirectories), sorted.
    pub fn files_in(&self, dir: &[u8]) -> impl Iterator<Item = &'a [u8]> + '_ {
        let prefix: Vec<u8> = if dir.is_empty() { Vec::new() } else { [dir, b"/"].concat() };
        let at = self.paths.partition_point(|p| *p < prefix.as_slice());
        let n = prefix.len();
        self.paths[at..]
            .iter()
            .take_while(move |p| p.starts_with(&prefix))
            .filter(move |p| !p[n..].contains(&b'/'))
            .copied()
    }

    /// Every file whose last component is `name` (`go.mod`, say), sorted.
    pub fn named(&self, name: &str) -> impl Iterator<Item = &'a [u8]> + '_ {
        let name = name.as_bytes().to_vec();
        self.paths.iter().copied().filter(move |p| {
            p.strip_suffix(name.as_slice()).is_some_and(|head| head.is_empty() || head.ends_with(b"/"))
        })
    }

    /// The content of a file, if it is a regular file that can be read.
    pub fn read(&self, path: &[u8]) -> Option<Vec<u8>> {
        (self.read)(path)
    }
}

/// The directory of a path (`b""` for a file at the root).
pub fn parent(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[..i],
        None => b"",
    }
}

/// `base` joined with a relative `rel` (`.` and `..` applied); `None` when
/// `..` climbs above the root.
pub fn join(base: &[u8], rel: &[u8]) -> Option<Vec<u8>> {
    let mut parts: Vec<&[u8]> = base.split(|&b| b == b'/').filter(|s| !s.is_empty()).collect();
    for seg in rel.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join(&b'/'))
}

/// In-memory files for readers' tests: `(path, content)` pairs.
pub fn memory_tree(files: &[(&str, &str)]) -> BTreeMap<Vec<u8>, Vec<u8>> {
    files.iter().map(|(p, c)| (p.as_bytes().to_vec(), c.as_bytes().to_vec())).collect()
}

/// A dependency that a build manifest (`Cargo.toml`, `go.mod`,
/// `composer.json`, `pyproject.toml`, ...) declares on another package of
/// the same tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestDep {
    /// The manifest that declares it.
    pub manifest: Vec<u8>,
    /// 1-based line of the declaration in that manifest.
    pub line: u32,
    /// The dependency as the manifest names it.
    pub name: String,
    /// Where it is: `Internal { path: b"dir/", files: vec![the target's manifest] }`,
    /// so the target package is owned as its manifest file is.
    pub resolution: Resolution,
}
