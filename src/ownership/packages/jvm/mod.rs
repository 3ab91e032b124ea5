//! JVM packages: a package is the set of source files that declare it.
//!
//! Source files are the `.java`, `.kt`, `.kts`, `.scala` and `.groovy` files
//! below a source root (module `roots`). Each is in the package its
//! `package` clause names (module `lexer`). One without a clause, which a
//! compiler puts in the unnamed package (no selector can name it), goes
//! with the package its directory names below its root: it is part of the
//! code around it. In a root itself, or in a directory that is no package
//! name (`x-y`), it stays in the unnamed package.
//!
//! `jvm:P` owns, with sub-packages (`P.x`) included:
//! - in each root holding files of P, the directory `<root>/<P as a path>`
//!   (`src/main/java/com/acme`), minus the files below it of other packages
//!   (and their subdirectories holding no file of P);
//! - the files of P elsewhere in their root (Kotlin lets the directory
//!   differ from the package), each as the highest directory below the root
//!   whose source files are all of P, else as the file alone;
//! - `src/<set>/resources/<P as a path>` of each source set whose code
//!   declares P.
//!
//! The same table maps a package to the files declaring it for the
//! dependency analysis.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Mutex;

use super::table::{components, split_dir};
use super::{FileSource, ReadError, Resolution};
use crate::manifest::PackageKind;

pub mod lexer;
mod roots;

use lexer::{declared_package, Dialect, Header};

/// The head of a source file read first: enough for a `package` clause
/// after a short comment.
const FIRST_HEAD: usize = 1 << 10;
/// The head read when the first did not settle the package (a long licence
/// header); a file whose clause is later than this is read as having none.
const LONG_HEAD: usize = 64 << 10;

/// A source root: a directory whose subdirectories are package paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Root {
    /// The directory (`b""` is the tree root).
    pub dir: Vec<u8>,
    /// The resources directory of the same source set (`src/main/resources`
    /// for `src/main/java`); `None` for a root a build declares.
    pub resources: Option<Vec<u8>>,
}

/// One source file below a source root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// Its path.
    pub path: Vec<u8>,
    /// Its root, by index into [`JvmPackages::roots`].
    pub root: u32,
    /// The package it is in; empty for the unnamed package.
    pub package: String,
    /// The line of its `package` clause; `None` when it has none (its
    /// directory names its package).
    pub line: Option<u32>,
}

/// Every JVM package of one tree.
#[derive(Debug, Default)]
pub struct JvmPackages {
    roots: Vec<Root>,
    /// Sorted by path.
    files: Vec<SourceFile>,
    /// Package -> indexes into `files`, ascending.
    by_package: BTreeMap<String, Vec<u32>>,
    /// The files below conventional resources directories, sorted.
    resources: Vec<Vec<u8>>,
}

/// A directory or a single file, of a package or carved out of one.
enum Part {
    Dir(Vec<u8>),
    File(Vec<u8>),
}

impl JvmPackages {
    /// Finds the source roots and reads the head of every source file below
    /// them (on several threads where `files` can).
    pub fn build(files: &dyn FileSource) -> Result<JvmPackages, ReadError> {
        let mut candidates: Vec<&[u8]> = Vec::new();
        let mut builds: Vec<&[u8]> = Vec::new();
        let mut resources: Vec<Vec<u8>> = Vec::new();
        for path in files.paths() {
            let (_, name) = split_dir(path);
            if Dialect::of(name).is_some() {
                candidates.push(path);
            } else if roots::BUILD_FILES.iter().any(|b| b.as_bytes() == name) {
                builds.push(path);
            } else if roots::resources_root(path).is_some() {
                resources.push(path.to_vec());
            }
        }
        let declared = declared_roots(files, &builds)?;
        let mut by_dir: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
        let mut roots: Vec<Root> = Vec::new();
        let mut sources: Vec<(Vec<u8>, u32)> = Vec::new();
        for path in candidates {
            let Some(root) = root_of(path, &declared) else { continue };
            let next = roots.len() as u32;
            let r = *by_dir.entry(path[..root].to_vec()).or_insert(next);
            if r == next {
                let dir = path[..root].to_vec();
                roots.push(Root { resources: roots::resources_of(&dir), dir });
            }
            sources.push((path.to_vec(), r));
        }
        sources.sort();
        let headers = read_headers(files, &sources)?;
        let mut out = JvmPackages { roots, files: Vec::with_capacity(sources.len()), ..Default::default() };
        for ((path, root), header) in sources.into_iter().zip(headers) {
            let (package, line) = match header {
                Header::Package(name, line) => (name, Some(line)),
                Header::Unnamed | Header::Incomplete => {
                    (directory_package(&out.roots[root as usize].dir, &path), None)
                }
            };
            out.files.push(SourceFile { path, root, package, line });
        }
        for (i, f) in out.files.iter().enumerate() {
            if !f.package.is_empty() {
                out.by_package.entry(f.package.clone()).or_default().push(i as u32);
            }
        }
        resources.sort();
        out.resources = resources;
        Ok(out)
    }

    /// The source roots, in the order first met.
    pub fn roots(&self) -> &[Root] {
        &self.roots
    }

    /// Every source file, sorted by path.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// Every package some source file is in, sorted.
    pub fn package_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.by_package.keys().map(String::as_str)
    }

    /// The files in exactly package `name` (not its sub-packages), sorted by path.
    pub fn declaring<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a SourceFile> + 'a {
        let hits = self.by_package.get(name).map_or(&[][..], Vec::as_slice);
        hits.iter().map(move |&i| &self.files[i as usize])
    }

    /// Where package `name` (sub-packages included) lives; `None` when no
    /// source file is in it.
    pub fn resolve(&self, name: &str) -> Option<Resolution> {
        if name.split('.').any(str::is_empty) {
            return None;
        }
        let mine: Vec<u32> = self
            .by_package
            .range(name.to_string()..)
            .take_while(|(p, _)| p.starts_with(name))
            .filter(|(p, _)| in_package(p, name))
            .flat_map(|(_, files)| files.iter().copied())
            .collect();
        if mine.is_empty() {
            return None;
        }
        let mut by_root: BTreeMap<u32, Vec<&SourceFile>> = BTreeMap::new();
        for &i in &mine {
            let f = &self.files[i as usize];
            by_root.entry(f.root).or_default().push(f);
        }
        let rel = name.replace('.', "/");
        let mut found = Resolution {
            kind: PackageKind::Jvm,
            dirs: Vec::new(),
            files: Vec::new(),
            carve_outs: Vec::new(),
            carved_files: Vec::new(),
        };
        for (root, mut files) in by_root {
            let root = &self.roots[root as usize];
            let home = child(&root.dir, rel.as_bytes());
            files.sort_by(|a, b| a.path.cmp(&b.path));
            let (inside, outside): (Vec<&SourceFile>, Vec<&SourceFile>) =
                files.into_iter().partition(|f| below(&f.path, &home));
            if !inside.is_empty() {
                for other in self.others_below(&home, name) {
                    match other {
                        Part::Dir(d) => found.carve_outs.push(d),
                        Part::File(f) => found.carved_files.push(f),
                    }
                }
                found.dirs.push(home.clone());
            }
            for claim in self.claims(&outside, &root.dir, &home, name) {
                match claim {
                    Part::Dir(d) => found.dirs.push(d),
                    Part::File(f) => found.files.push(f),
                }
            }
            if let Some(res) = &root.resources {
                let res = child(res, rel.as_bytes());
                if any_below(&self.resources, &res) {
                    found.dirs.push(res);
                }
            }
        }
        for list in [&mut found.dirs, &mut found.files, &mut found.carve_outs, &mut found.carved_files] {
            list.sort();
            list.dedup();
        }
        Some(found)
    }

    /// Below the directory of package `name`, what belongs to other
    /// packages: each subdirectory holding source files but none of `name`
    /// (the highest such), and the other source files beside its own.
    fn others_below(&self, home: &[u8], name: &str) -> Vec<Part> {
        let all = self.below(home);
        let own: Vec<&[u8]> =
            all.iter().filter(|f| in_package(&f.package, name)).map(|f| f.path.as_slice()).collect();
        let others: Vec<&[u8]> =
            all.iter().filter(|f| !in_package(&f.package, name)).map(|f| f.path.as_slice()).collect();
        highest(&others, home, |dir| !any_below(&own, dir))
    }

    /// The files of package `name` outside its directory `home` in their
    /// root, each as the highest directory below the root (and not on the
    /// way to `home`) whose source files are all of `name`, else alone.
    fn claims(&self, outside: &[&SourceFile], root: &[u8], home: &[u8], name: &str) -> Vec<Part> {
        let paths: Vec<&[u8]> = outside.iter().map(|f| f.path.as_slice()).collect();
        highest(&paths, root, |dir| {
            !(home == dir || below(home, dir)) && self.below(dir).iter().all(|g| in_package(&g.package, name))
        })
    }

    /// The source files below `dir`.
    fn below(&self, dir: &[u8]) -> &[SourceFile] {
        let range = range_below(&self.files, dir, |f| &f.path);
        &self.files[range]
    }

    /// Package names near `name` in length (one component more or fewer):
    /// the packages of the tree and the packages they are in.
    pub fn names_near(&self, name: &str) -> BTreeSet<String> {
        let n = name.split('.').count();
        let mut out = BTreeSet::new();
        for p in self.by_package.keys() {
            let parts: Vec<&str> = p.split('.').collect();
            for len in n.saturating_sub(1).max(1)..=(n + 1).min(parts.len()) {
                out.insert(parts[..len].join("."));
            }
        }
        out
    }
}

/// The roots the build files declare.
fn declared_roots(files: &dyn FileSource, builds: &[&[u8]]) -> Result<HashSet<Vec<u8>>, ReadError> {
    let mut out = HashSet::new();
    for path in builds {
        if files.too_large(path)?.is_some() {
            continue;
        }
        let Some(text) = files.read(path)? else { continue };
        let (dir, name) = split_dir(path);
        out.extend(roots::declared(dir, name, &text));
    }
    Ok(out)
}

/// The length of the innermost root holding `path`, conventional or declared.
fn root_of(path: &[u8], declared: &HashSet<Vec<u8>>) -> Option<usize> {
    let conventional = roots::conventional_root(path);
    let mut declared_len = None;
    if !declared.is_empty() {
        let mut dir = split_dir(path).0;
        loop {
            if declared.contains(dir) {
                declared_len = Some(dir.len());
                break;
            }
            if dir.is_empty() {
                break;
            }
            dir = split_dir(dir).0;
        }
    }
    conventional.max(declared_len)
}

/// The `package` headers of the source files, from their heads: a short
/// one first, a long one for those it leaves undecided.
fn read_headers(files: &dyn FileSource, sources: &[(Vec<u8>, u32)]) -> Result<Vec<Header>, ReadError> {
    let paths: Vec<&[u8]> = sources.iter().map(|(p, _)| p.as_slice()).collect();
    let headers: Vec<Mutex<Header>> = paths.iter().map(|_| Mutex::new(Header::Unnamed)).collect();
    let read = |which: &[usize], max: usize| -> Result<(), ReadError> {
        let these: Vec<&[u8]> = which.iter().map(|&k| paths[k]).collect();
        files.each_head(&these, max, &|j, head| {
            let k = which[j];
            let dialect = Dialect::of(paths[k]).expect("sources are named by dialect");
            let whole = head.len() < max;
            *headers[k].lock().unwrap_or_else(|p| p.into_inner()) = declared_package(head, whole, dialect);
        })
    };
    read(&(0..paths.len()).collect::<Vec<_>>(), FIRST_HEAD)?;
    let undecided: Vec<usize> = (0..paths.len())
        .filter(|&k| *headers[k].lock().unwrap_or_else(|p| p.into_inner()) == Header::Incomplete)
        .collect();
    if !undecided.is_empty() {
        read(&undecided, LONG_HEAD)?;
    }
    Ok(headers.into_iter().map(|h| h.into_inner().unwrap_or_else(|p| p.into_inner())).collect())
}

/// The package a file's directory names below its root; empty (the unnamed
/// package) when a component is not an identifier.
fn directory_package(root: &[u8], path: &[u8]) -> String {
    let dir = split_dir(path).0;
    let rel = if root.is_empty() { dir } else { dir.get(root.len() + 1..).unwrap_or_default() };
    let parts: Vec<&str> = components(rel).map(|c| std::str::from_utf8(c).unwrap_or("")).collect();
    if parts.iter().all(|p| is_identifier(p)) {
        parts.join(".")
    } else {
        String::new()
    }
}

/// `package` is `name` or one of its sub-packages.
fn in_package(package: &str, name: &str) -> bool {
    package.strip_prefix(name).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// `path` lies strictly below `dir` (everything does below the root `b""`).
fn below(path: &[u8], dir: &[u8]) -> bool {
    dir.is_empty() && !path.is_empty()
        || path.len() > dir.len() && path.starts_with(dir) && path[dir.len()] == b'/'
}

/// Where the items of `sorted` (by `path`) below `dir` are: paths sharing
/// the prefix `dir/` are contiguous in sorted order.
fn range_below<T>(sorted: &[T], dir: &[u8], path: impl Fn(&T) -> &[u8]) -> std::ops::Range<usize> {
    let prefix = if dir.is_empty() { Vec::new() } else { [dir, b"/"].concat() };
    let start = sorted.partition_point(|t| path(t) < prefix.as_slice());
    let len = sorted[start..].iter().take_while(|t| path(t).starts_with(&prefix)).count();
    start..start + len
}

/// Some path of `sorted` lies below `dir`.
/// Each of `files` (sorted) as the highest directory below `top` that
/// passes `fits`, climbing from the file's own directory; a file none of
/// whose directories fits stands alone. Files below a directory already
/// given are not repeated.
fn highest(files: &[&[u8]], top: &[u8], fits: impl Fn(&[u8]) -> bool) -> Vec<Part> {
    let mut out = Vec::new();
    let mut last: Option<&[u8]> = None;
    for &f in files {
        if last.is_some_and(|d| below(f, d)) {
            continue;
        }
        let mut best = None;
        let mut dir = split_dir(f).0;
        while dir.len() > top.len() && fits(dir) {
            best = Some(dir);
            dir = split_dir(dir).0;
        }
        last = best;
        out.push(match best {
            Some(d) => Part::Dir(d.to_vec()),
            None => Part::File(f.to_vec()),
        });
    }
    out
}

fn any_below<P: AsRef<[u8]>>(sorted: &[P], dir: &[u8]) -> bool {
    !range_below(sorted, dir, |p| p.as_ref()).is_empty()
}

/// `dir/rel` (`rel` alone below the root).
fn child(dir: &[u8], rel: &[u8]) -> Vec<u8> {
    if dir.is_empty() {
        rel.to_vec()
    } else {
        [dir, b"/", rel].concat()
    }
}

/// A Java/Kotlin identifier (the only directory names a package can have).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

#[cfg(test)]
mod tests;
