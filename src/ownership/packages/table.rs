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
}

impl Entry {
    /// An entry known by a single name.
    pub fn new(key: impl Into<String>, dir: &[u8]) -> Entry {
        Entry { keys: vec![key.into()], dir: dir.to_vec() }
    }
}

/// What a manifest parser reports: the packages, or why the file was skipped.
pub(super) type Parsed = Result<Vec<Entry>, String>;

/// How one ecosystem finds and reads its manifests.
pub(super) struct ManifestKind {
    /// File names of the manifests (the last path component).
    pub file_names: &'static [&'static str],
    /// Manifests below a directory of this name are installed copies of
    /// dependencies, not packages of the tree.
    pub skip_component: Option<&'static str>,
    /// The ecosystem's own tool treats any directory holding a manifest as a
    /// separate package, whether or not it parses (Cargo, Go), so every such
    /// directory is a carve-out, not only the named ones.
    pub file_is_boundary: bool,
    /// Reads one manifest; gets the manifest's directory and its bytes.
    pub parse: fn(dir: &[u8], text: &[u8]) -> Parsed,
    /// Maps a name to the form compared for equality.
    pub normalize: fn(&str) -> String,
}

/// Every package of one kind in one tree.
pub(super) struct Table {
    entries: Vec<Entry>,
    by_key: HashMap<String, Vec<usize>>,
    /// Directories that start another package, sorted and deduplicated.
    boundaries: Vec<Vec<u8>>,
    normalize: fn(&str) -> String,
    /// Manifests that could not be used, as `(path, reason)`.
    pub skipped: Vec<(String, String)>,
}

impl Table {
    /// Scans the tree once, reading only the files named like a manifest.
    pub fn build(files: &dyn FileSource, kind: &ManifestKind) -> Result<Table, ReadError> {
        let mut entries = Vec::new();
        let mut boundaries = Vec::new();
        let mut skipped = Vec::new();
        for path in files.paths() {
            // Nearly no path is a manifest: test the name's tail before
            // searching for the last `/` (this runs per path and per kind).
            if !kind.file_names.iter().any(|n| path.ends_with(n.as_bytes())) {
                continue;
            }
            let (dir, name) = split_dir(path);
            if !kind.file_names.iter().any(|n| n.as_bytes() == name) {
                continue;
            }
            if let Some(skip) = kind.skip_component {
                if components(dir).any(|c| c == skip.as_bytes()) {
                    continue;
                }
            }
            if kind.file_is_boundary {
                boundaries.push(dir.to_vec());
            }
            if let Some(size) = files.too_large(path)? {
                skipped.push((lossy(path), format!("{size} bytes: larger than 8 MiB, not read")));
                continue;
            }
            let Some(text) = files.read(path)? else {
                skipped.push((lossy(path), "not a regular file".to_string()));
                continue;
            };
            match (kind.parse)(dir, &text) {
                Ok(found) => {
                    if !kind.file_is_boundary {
                        boundaries.extend(found.iter().map(|e| e.dir.clone()));
                    }
                    entries.extend(found);
                }
                Err(reason) => skipped.push((lossy(path), reason)),
            }
        }
        boundaries.sort();
        boundaries.dedup();
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            for k in &e.keys {
                let slot = by_key.entry((kind.normalize)(k)).or_default();
                // An entry whose spellings normalise alike must count once.
                if slot.last() != Some(&i) {
                    slot.push(i);
                }
            }
        }
        Ok(Table { entries, by_key, boundaries, normalize: kind.normalize, skipped })
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

    /// The spellings of every package, grouped per package.
    pub fn names(&self) -> impl Iterator<Item = &[String]> + '_ {
        self.entries.iter().map(|e| e.keys.as_slice())
    }
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
