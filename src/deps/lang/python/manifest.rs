//! `pyproject.toml`: a project's name, the package roots its build
//! configuration adds, and the dependencies it declares.

use std::ops::Range;

use toml::de::{DeArray, DeTable, DeValue};
use toml::Spanned;

use super::super::{join, parent, SourceTree};

/// Files that make a directory a Python project, the first one preferred
/// as the manifest its dependents point at.
pub(super) const PROJECT_FILES: &[&str] = &["pyproject.toml", "setup.cfg", "setup.py"];

/// Where a dependency declared in a `pyproject.toml` points.
#[derive(Clone, Debug)]
pub(super) enum DepTarget {
    /// A distribution name, PEP 503-normalised.
    Name(String),
    /// A project directory (`path = "..."` sources).
    Dir(Vec<u8>),
}

/// One dependency declaration read from a manifest.
#[derive(Clone, Debug)]
pub(super) struct Declared {
    pub(super) manifest: Vec<u8>,
    pub(super) line: u32,
    pub(super) name: String,
    pub(super) target: DepTarget,
}

/// What the resolver keeps from one `pyproject.toml`.
#[derive(Default)]
pub(super) struct Pyproject {
    /// `[project] name` (else `[tool.poetry] name`), normalised.
    pub(super) name: Option<String>,
    /// Extra package roots its build configuration names.
    pub(super) roots: Vec<Vec<u8>>,
    pub(super) declared: Vec<Declared>,
}

/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` made one `-`.
fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The distribution name a PEP 508 requirement starts with.
fn requirement_name(req: &str) -> Option<&str> {
    let req = req.trim_start();
    let len =
        req.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))).unwrap_or(req.len());
    let name = &req[..len];
    name.starts_with(|c: char| c.is_ascii_alphanumeric()).then_some(name)
}

/// 1-based line numbers of byte offsets in one text.
struct Lines(Vec<usize>);

impl Lines {
    /// Indexes the line breaks of `text`.
    fn new(text: &str) -> Lines {
        Lines(text.bytes().enumerate().filter(|&(_, c)| c == b'\n').map(|(i, _)| i).collect())
    }

    /// The line holding byte `offset`.
    fn at(&self, offset: usize) -> u32 {
        u32::try_from(self.0.partition_point(|&nl| nl < offset) + 1).unwrap_or(u32::MAX)
    }
}

/// The table at `key`, if it is one.
fn table<'t, 'i>(t: &'t DeTable<'i>, key: &str) -> Option<&'t DeTable<'i>> {
    match t.get(key)?.get_ref() {
        DeValue::Table(t) => Some(t),
        _ => None,
    }
}

/// The array at `key`, if it is one.
fn array<'t, 'i>(t: &'t DeTable<'i>, key: &str) -> Option<&'t DeArray<'i>> {
    match t.get(key)?.get_ref() {
        DeValue::Array(a) => Some(a),
        _ => None,
    }
}

/// A string value and where it is in the file.
fn string<'t>(v: &'t Spanned<DeValue<'_>>) -> Option<(&'t str, Range<usize>)> {
    match v.get_ref() {
        DeValue::String(s) => Some((s, v.span())),
        _ => None,
    }
}

/// Reads what the resolver needs from one `pyproject.toml`; a file that
/// does not parse gives nothing.
pub(super) fn read_pyproject(tree: &SourceTree<'_>, manifest: &[u8]) -> Pyproject {
    let Some(bytes) = tree.read(manifest) else { return Pyproject::default() };
    let Ok(text) = std::str::from_utf8(&bytes) else { return Pyproject::default() };
    let Ok(doc) = DeTable::parse(text) else { return Pyproject::default() };
    let (doc, lines, dir) = (doc.get_ref(), Lines::new(text), parent(manifest));
    let mut out = Pyproject::default();
    let mut requirements = |list: &Spanned<DeValue<'_>>| {
        let DeValue::Array(list) = list.get_ref() else { return };
        for value in list.iter() {
            let Some((req, span)) = string(value) else { continue };
            let Some(name) = requirement_name(req) else { continue };
            let line = lines.at(span.start);
            let target = DepTarget::Name(normalize(name));
            out.declared.push(Declared { manifest: manifest.to_vec(), line, name: name.to_owned(), target });
        }
    };
    let project = table(doc, "project");
    project.and_then(|p| p.get("dependencies")).into_iter().for_each(&mut requirements);
    let extras = project.and_then(|p| table(p, "optional-dependencies"));
    extras.into_iter().flat_map(|t| t.values()).for_each(&mut requirements);
    let groups = table(doc, "dependency-groups");
    groups.into_iter().flat_map(|t| t.values()).for_each(&mut requirements);
    let tool = table(doc, "tool");
    let poetry = tool.and_then(|t| table(t, "poetry"));
    let name = project.or(poetry).and_then(|p| p.get("name")).and_then(string);
    out.name = name.map(|(n, _)| normalize(n));
    out.declared.extend(tool.map(|t| sources(t, manifest, &lines)).unwrap_or_default());
    out.roots = tool.map(|t| build_roots(t, dir)).unwrap_or_default();
    out
}

/// `[tool.uv.sources]` entries for workspace members or local paths, and
/// Poetry's `path` dependencies.
fn sources(tool: &DeTable<'_>, manifest: &[u8], lines: &Lines) -> Vec<Declared> {
    let mut tables = Vec::new();
    tables.extend(table(tool, "uv").and_then(|uv| table(uv, "sources")));
    if let Some(poetry) = table(tool, "poetry") {
        tables.extend(table(poetry, "dependencies"));
        let groups = table(poetry, "group").into_iter().flat_map(|g| g.values());
        tables.extend(groups.filter_map(|g| match g.get_ref() {
            DeValue::Table(g) => table(g, "dependencies"),
            _ => None,
        }));
    }
    let dir = parent(manifest);
    let mut out = Vec::new();
    for (key, value) in tables.into_iter().flat_map(|t| t.iter()) {
        let entries: Vec<&DeTable<'_>> = match value.get_ref() {
            DeValue::Table(t) => vec![t],
            DeValue::Array(a) => a
                .iter()
                .filter_map(|v| if let DeValue::Table(t) = v.get_ref() { Some(t) } else { None })
                .collect(),
            _ => continue,
        };
        for entry in entries {
            let workspace =
                matches!(entry.get("workspace").map(Spanned::get_ref), Some(DeValue::Boolean(true)));
            let target = match entry.get("path").and_then(string) {
                Some((path, _)) => join(dir, path.as_bytes()).map(DepTarget::Dir),
                None if workspace => Some(DepTarget::Name(normalize(key.get_ref()))),
                None => None,
            };
            let Some(target) = target else { continue };
            let line = lines.at(key.span().start);
            out.push(Declared { manifest: manifest.to_vec(), line, name: key.get_ref().to_string(), target });
        }
    }
    out
}

/// Package roots a project's build configuration names:
/// `[tool.setuptools.packages.find] where`, `[tool.setuptools] package-dir`
/// for the root package, and the parents of
/// `[tool.hatch.build.targets.wheel] packages`.
fn build_roots(tool: &DeTable<'_>, dir: &[u8]) -> Vec<Vec<u8>> {
    let mut roots = Vec::new();
    let mut add = |rel: &str| roots.extend(join(dir, rel.as_bytes()));
    if let Some(setuptools) = table(tool, "setuptools") {
        let find = table(setuptools, "packages").and_then(|p| table(p, "find"));
        let wheres = find.and_then(|f| array(f, "where")).into_iter().flat_map(|a| a.iter());
        wheres.filter_map(string).for_each(|(w, _)| add(w));
        if let Some((root, _)) = table(setuptools, "package-dir").and_then(|d| d.get("")).and_then(string) {
            add(root);
        }
    }
    let hatch = table(tool, "hatch").and_then(|h| table(h, "build"));
    let wheel = hatch.and_then(|b| table(b, "targets")).and_then(|t| table(t, "wheel"));
    let packages = wheel.and_then(|w| array(w, "packages")).into_iter().flat_map(|a| a.iter());
    for (package, _) in packages.filter_map(string) {
        let package = package.trim_end_matches('/');
        add(package.rsplit_once('/').map_or(".", |(head, _)| head));
    }
    roots
}
