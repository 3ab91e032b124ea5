//! The name -> directory table shared by every manifest-based kind.

use std::collections::HashMap;

use super::{FileSource, ReadError, Resolution};
use crate::manifest::PackageKind;

/// One package declared by a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    /// The spellings a reference may use, as shown in suggestions.
    pub keys: Vec<String>,
    /// The package's directory; `b""` is the tree root.
    pub dir: Vec<u8>,
    /// Names the manifest gave the package and then changed: a reference to
    /// one is an error that names the current one.
    pub former: Vec<Former>,
    /// The entry stands for the manifests in `dir`, a build of their own that
    /// this manifest includes (Gradle's `includeBuild`): the kind's `link`
    /// names their packages through it.
    pub includes: bool,
}

/// A name a package had before its manifest renamed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Former {
    /// The old name, spelled like the entry's keys.
    pub name: String,
    /// The manifest that renames it (set by [`Table::build`]).
    pub manifest: String,
    /// The line of the rename, from 1.
    pub line: usize,
}

impl Entry {
    /// An entry known by a single name.
    pub fn new(key: impl Into<String>, dir: &[u8]) -> Entry {
        Entry::with_keys(vec![key.into()], dir)
    }

    /// An entry known by several spellings.
    pub fn with_keys(keys: Vec<String>, dir: &[u8]) -> Entry {
        Entry { keys, dir: dir.to_vec(), former: Vec::new(), includes: false }
    }
}

/// What a manifest parser reports: the packages, or why the file was skipped.
pub(super) type Parsed = Result<Vec<Entry>, String>;

/// Every parsed manifest's directory and entries, in path order.
pub(super) type Manifests = Vec<(Vec<u8>, Vec<Entry>)>;

/// How one ecosystem finds and reads its manifests.
pub(super) struct ManifestKind {
    /// File names of the manifests (the last path component).
    pub file_names: &'static [&'static str],
    /// Manifests below a directory of this name are installed copies of
    /// dependencies, not packages of the tree.
    pub skip_component: Option<&'static str>,
    /// Which directories below a package are packages of their own, cut
    /// out of it.
    pub boundaries: Boundaries,
    /// Reads one manifest; gets the manifest's directory and its bytes.
    pub parse: fn(dir: &[u8], text: &[u8]) -> Parsed,
    /// Maps a name to the form compared for equality.
    pub normalize: fn(&str) -> String,
    /// Joins what the manifests say about each other once all are read.
    pub link: fn(Manifests) -> Vec<Entry>,
}

/// The `link` of kinds whose manifests stand alone: every entry as parsed.
pub(super) fn unlinked(manifests: Manifests) -> Vec<Entry> {
    manifests.into_iter().flat_map(|(_, entries)| entries).collect()
}

/// What the ecosystem's own tool treats as a package of its own inside
/// another package's directory.
pub(super) enum Boundaries {
    /// Every directory holding a manifest, whether or not it parses or names
    /// a package: the tool cuts a package there (Cargo, Go).
    EveryManifest,
    /// Every directory of a package a manifest names.
    EveryPackage,
    /// Workspace roots and the members their declarations select; any other
    /// manifest's directory belongs to the package around it (npm, pnpm, Yarn).
    Workspaces(&'static WorkspaceRules),
}

/// How a kind's workspaces are declared.
pub(super) struct WorkspaceRules {
    /// Files that declare a workspace without being package manifests.
    pub files: &'static [&'static str],
    /// Reads a manifest or one of `files` (its file name comes first): the
    /// packages it names and the workspace it declares.
    pub read: fn(file: &[u8], dir: &[u8], text: &[u8]) -> Declared,
}

/// What a manifest or workspace file declares: its packages and its
/// workspace, or why the file was skipped.
pub(super) type Declared = Result<(Vec<Entry>, Option<Workspace>), String>;

/// Whether a directory (relative to its workspace root) is a member.
pub(super) type IsMember = Box<dyn Fn(&[u8]) -> bool>;

/// A workspace declared in the tree.
pub(super) struct Workspace {
    /// The workspace root.
    pub dir: Vec<u8>,
    /// Whether a directory holding a manifest, relative to `dir` (and
    /// strictly below it), is a member; or why the declaration cannot be
    /// read (then the root stands alone, and the file is reported).
    pub members: Result<IsMember, String>,
    /// How many pattern segments one membership test runs at most (per
    /// directory name): bounds the matching work a hostile tree can ask for.
    pub cost: usize,
}

/// Pattern segments times directory names that matching workspace members
/// may take in one tree (real trees need far less): past it, the remaining
/// workspaces stand alone and are reported.
const MAX_MATCH_WORK: usize = 50_000_000;

/// Every package of one kind in one tree.
pub(super) struct Table {
    entries: Vec<Entry>,
    by_key: ByKey,
    /// Former names -> `(entry, index in its former)`.
    by_former: ByFormer,
    /// Directories that start another package, sorted and deduplicated.
    boundaries: Vec<Vec<u8>>,
    /// Every workspace declared in the tree, with the members it selects
    /// (kinds whose boundaries are workspaces only).
    workspaces: Vec<Membership>,
    normalize: fn(&str) -> String,
    /// Manifests that could not be used, as `(path, reason)`.
    pub skipped: Vec<(String, String)>,
}

impl Table {
    /// Scans the tree once, reading only the files named like a manifest (or
    /// like a workspace declaration).
    pub fn build(files: &dyn FileSource, kind: &ManifestKind) -> Result<Table, ReadError> {
        let Scan { manifests, manifest_dirs, workspaces, mut skipped } = Scan::read(files, kind)?;
        let entries = (kind.link)(manifests);
        let mut memberships = Vec::new();
        let mut boundaries = match kind.boundaries {
            Boundaries::EveryManifest => manifest_dirs,
            Boundaries::EveryPackage => entries.iter().map(|e| e.dir.clone()).collect(),
            Boundaries::Workspaces(_) => {
                memberships = workspace_members(&workspaces, &manifest_dirs, &mut skipped);
                let roots = memberships.iter().map(|m| m.root.clone());
                roots.chain(memberships.iter().flat_map(|m| m.members.iter().cloned())).collect()
            }
        };
        boundaries.sort();
        boundaries.dedup();
        let (by_key, by_former) = index_names(&entries, kind.normalize);
        Ok(Table {
            entries,
            by_key,
            by_former,
            boundaries,
            workspaces: memberships,
            normalize: kind.normalize,
            skipped,
        })
    }

    /// The directories of `name` and the other packages' directories below
    /// them; `None` when no package has that name.
    pub fn lookup(&self, kind: PackageKind, name: &str) -> Option<Resolution> {
        let hits = self.by_key.get(&(self.normalize)(name))?;
        let mut dirs: Vec<Vec<u8>> = hits.iter().map(|&i| self.entries[i].dir.clone()).collect();
        dirs.sort();
        dirs.dedup();
        let carve_outs = carve_outs(&self.boundaries, &dirs);
        Some(Resolution { kind, dirs, files: Vec::new(), carve_outs, carved_files: Vec::new() })
    }

    /// When no package has `name` now but one had it before a rename: the
    /// current names (sorted) and the first rename's `file:line`.
    pub fn renamed(&self, name: &str) -> Option<(Vec<String>, String)> {
        let hits = self.by_former.get(&(self.normalize)(name))?;
        let mut now: Vec<String> = hits.iter().map(|&(i, _)| self.entries[i].keys[0].clone()).collect();
        now.sort();
        now.dedup();
        let at = hits
            .iter()
            .map(|&(i, j)| &self.entries[i].former[j])
            .map(|f| (f.manifest.as_str(), f.line))
            .min()
            .map(|(file, line)| format!("{file}:{line}"))?;
        Some((now, at))
    }

    /// The spellings of every package, grouped per package.
    pub fn names(&self) -> impl Iterator<Item = &[String]> + '_ {
        self.entries.iter().map(|e| e.keys.as_slice())
    }

    /// The spellings of every package its ecosystem's tool lists as one,
    /// grouped per package: a package that starts a boundary (a workspace
    /// root or member, for npm, pnpm and Yarn; every package otherwise), or
    /// one inside no other package. A named manifest inside another package
    /// that no workspace selects is a file of that package.
    pub fn listed_names(&self) -> impl Iterator<Item = &[String]> + '_ {
        self.listed().map(|e| e.keys.as_slice())
    }

    /// The packages of [`Table::listed_names`].
    pub fn listed(&self) -> impl Iterator<Item = &Entry> + '_ {
        let dirs: std::collections::HashSet<&[u8]> = self.entries.iter().map(|e| e.dir.as_slice()).collect();
        let enclosed = move |dir: &[u8]| {
            !dir.is_empty()
                && (dirs.contains(&b""[..])
                    || dir.iter().enumerate().any(|(i, &b)| b == b'/' && dirs.contains(&dir[..i])))
        };
        self.entries
            .iter()
            .filter(move |e| self.boundaries.binary_search(&e.dir).is_ok() || !enclosed(&e.dir))
    }

    /// Every package, as its manifest (and the kind's `link`) declares it.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// `name` in the form names are compared in.
    pub fn normalized(&self, name: &str) -> String {
        (self.normalize)(name)
    }

    /// Every workspace of the tree with its members, in the order of the
    /// files declaring them.
    pub fn workspaces(&self) -> &[Membership] {
        &self.workspaces
    }
}

/// One workspace and the manifest directories it selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Membership {
    /// The file declaring the workspace (a manifest or one of the kind's
    /// [`WorkspaceRules::files`]).
    pub file: Vec<u8>,
    /// The workspace root.
    pub root: Vec<u8>,
    /// The member directories, in the order of the tree's paths; empty
    /// when the declaration cannot be read.
    pub members: Vec<Vec<u8>>,
}

/// Every workspace with the manifest directories it selects as members;
/// `workspaces` pairs each with the path of the file declaring it.
fn workspace_members(
    workspaces: &[(Vec<u8>, Workspace)],
    manifest_dirs: &[Vec<u8>],
    skipped: &mut Vec<(String, String)>,
) -> Vec<Membership> {
    let mut out: Vec<Membership> = workspaces
        .iter()
        .map(|(file, w)| Membership { file: file.clone(), root: w.dir.clone(), members: Vec::new() })
        .collect();
    let mut work = 0usize;
    for ((path, w), membership) in workspaces.iter().zip(&mut out) {
        let Ok(is_member) = &w.members else { continue };
        for dir in manifest_dirs {
            let below = if w.dir.is_empty() {
                Some(dir.as_slice())
            } else {
                dir.strip_prefix(w.dir.as_slice()).and_then(|rest| rest.strip_prefix(b"/"))
            };
            let Some(rel) = below.filter(|rel| !rel.is_empty()) else { continue };
            work = work.saturating_add(w.cost.saturating_mul(components(rel).count()));
            if work > MAX_MATCH_WORK {
                let reason = "too many workspace patterns and packages to match: members not read";
                skipped.push((lossy(path), reason.to_string()));
                break;
            }
            if is_member(rel) {
                membership.members.push(dir.clone());
            }
        }
    }
    out
}

/// The boundaries strictly below one of `dirs` that are not themselves one of
/// `dirs` (two manifests with the same name are one package).
fn carve_outs(boundaries: &[Vec<u8>], dirs: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for d in dirs {
        let mut prefix = d.clone();
        if !prefix.is_empty() {
            prefix.push(b'/');
        }
        // Paths sharing a prefix are contiguous in sorted order.
        let start = boundaries.partition_point(|b| b.as_slice() < prefix.as_slice());
        for b in &boundaries[start..] {
            if !b.starts_with(&prefix) {
                break;
            }
            if dirs.binary_search(b).is_err() {
                out.push(b.clone());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The manifests and workspace declarations of one tree, read and parsed.
struct Scan {
    /// Each manifest's directory with the packages it declares.
    manifests: Vec<(Vec<u8>, Vec<Entry>)>,
    /// The directory of every manifest, parsed or not.
    manifest_dirs: Vec<Vec<u8>>,
    /// Each workspace declaration's path with what it declares.
    workspaces: Vec<(Vec<u8>, Workspace)>,
    /// Manifests that could not be used, as `(path, reason)`.
    skipped: Vec<(String, String)>,
}

impl Scan {
    /// Reads every file of the tree named like one of `kind`'s manifests or
    /// workspace declarations.
    fn read(files: &dyn FileSource, kind: &ManifestKind) -> Result<Scan, ReadError> {
        let rules = match &kind.boundaries {
            Boundaries::Workspaces(rules) => Some(*rules),
            _ => None,
        };
        let extra: &[&str] = rules.map_or(&[], |r| r.files);
        let mut manifests = Vec::new();
        let mut manifest_dirs = Vec::new();
        let mut workspaces = Vec::new();
        let mut skipped = Vec::new();
        for path in files.paths() {
            // Nearly no path is a manifest: test the name's tail before
            // searching for the last `/` (this runs per path and per kind).
            let named = |names: &[&str]| names.iter().any(|n| path.ends_with(n.as_bytes()));
            if !named(kind.file_names) && !named(extra) {
                continue;
            }
            let (dir, name) = split_dir(path);
            let is_manifest = kind.file_names.iter().any(|n| n.as_bytes() == name);
            if !is_manifest && !extra.iter().any(|n| n.as_bytes() == name) {
                continue;
            }
            if let Some(skip) = kind.skip_component {
                if components(dir).any(|c| c == skip.as_bytes()) {
                    continue;
                }
            }
            if is_manifest {
                manifest_dirs.push(dir.to_vec());
            }
            if let Some(size) = files.too_large(path)? {
                skipped.push((lossy(path), format!("{size} bytes: larger than 8 MiB, not read")));
                continue;
            }
            let Some(text) = files.read(path)? else {
                skipped.push((lossy(path), "not a regular file".to_string()));
                continue;
            };
            let parsed = match rules {
                Some(rules) => (rules.read)(name, dir, &text),
                None => (kind.parse)(dir, &text).map(|found| (found, None)),
            };
            match parsed {
                Ok((mut found, workspace)) => {
                    for former in found.iter_mut().flat_map(|e| e.former.iter_mut()) {
                        former.manifest = lossy(path);
                    }
                    manifests.push((dir.to_vec(), found));
                    if let Some(Workspace { members: Err(reason), .. }) = &workspace {
                        skipped.push((lossy(path), reason.clone()));
                    }
                    workspaces.extend(workspace.map(|w| (path.to_vec(), w)));
                }
                Err(reason) => skipped.push((lossy(path), reason)),
            }
        }
        Ok(Scan { manifests, manifest_dirs, workspaces, skipped })
    }
}

/// Normalised names -> entries.
type ByKey = HashMap<String, Vec<usize>>;
/// Normalised former names -> `(entry, index in its former)`.
type ByFormer = HashMap<String, Vec<(usize, usize)>>;

/// The entries by normalised name and by normalised former name.
fn index_names(entries: &[Entry], normalize: fn(&str) -> String) -> (ByKey, ByFormer) {
    let mut by_key = ByKey::new();
    for (i, e) in entries.iter().enumerate() {
        for k in &e.keys {
            let slot = by_key.entry(normalize(k)).or_default();
            // An entry whose spellings normalise alike must count once.
            if slot.last() != Some(&i) {
                slot.push(i);
            }
        }
    }
    let mut by_former = ByFormer::new();
    for (i, e) in entries.iter().enumerate() {
        for (j, f) in e.former.iter().enumerate() {
            by_former.entry(normalize(&f.name)).or_default().push((i, j));
        }
    }
    (by_key, by_former)
}

/// Splits `a/b/file` into (`a/b`, `file`); a top-level file has dir `b""`.
pub(super) fn split_dir(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (b"", path),
    }
}

/// The `/`-separated components of a directory (none for the root).
pub(super) fn components(dir: &[u8]) -> impl Iterator<Item = &[u8]> {
    dir.split(|&b| b == b'/').filter(|c| !c.is_empty())
}

/// A path for messages.
pub(super) fn lossy(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

/// The manifest as UTF-8 text, without a byte-order mark (editors on Windows
/// add one, and the JSON and TOML parsers refuse it).
pub(super) fn utf8(text: &[u8]) -> Result<&str, String> {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    std::str::from_utf8(text).map_err(|e| format!("not UTF-8: {e}"))
}

/// Joins `rel` (relative, `/`-separated, may hold `.` and `..`) onto `dir`;
/// `None` when it leaves the tree or is absolute.
pub(super) fn join(dir: &[u8], rel: &str) -> Option<Vec<u8>> {
    if rel.starts_with('/') || rel.contains('\\') || rel.as_bytes().get(1) == Some(&b':') {
        return None;
    }
    let mut parts: Vec<&[u8]> = components(dir).collect();
    for c in rel.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c.as_bytes()),
        }
    }
    Some(parts.join(&b'/'))
}

/// The first line of a parser's error (its position) and its last line (the
/// message): the parsers print a multi-line source excerpt in between.
pub(super) fn one_line(err: &impl std::fmt::Display) -> String {
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    match lines.as_slice() {
        [] => String::from("parse error"),
        [one] => one.to_string(),
        [first, .., last] => format!("{first}: {last}"),
    }
}

/// Identity normalisation: names compare exactly.
pub(super) fn exact(name: &str) -> String {
    name.to_string()
}
