//! Cargo manifests: the packages of a tree, their library and target
//! roots, and where each dependency they declare leads.

use std::collections::{BTreeMap, HashMap};

use toml::de::{DeTable, DeValue};

use super::super::{join, parent, SourceTree};

/// Manifests larger than this are not read.
const MAX_MANIFEST: usize = 8 << 20;

/// The dependency tables of a manifest, also found under `[target.X]`.
/// The underscore spellings are the legacy ones Cargo still reads.
const DEP_TABLES: &[&str] =
    &["dependencies", "dev-dependencies", "dev_dependencies", "build-dependencies", "build_dependencies"];

/// The target tables whose entries may give a root file with `path`.
const TARGET_TABLES: &[&str] = &["bin", "test", "bench", "example"];

/// One package of the tree, as its manifest (and workspace) declare it.
#[derive(Debug)]
pub(super) struct Package {
    /// Its directory (`b""` for the root).
    pub(super) dir: Vec<u8>,
    /// Its `Cargo.toml`.
    pub(super) manifest: Vec<u8>,
    /// The name its own tests and binaries use for its library.
    pub(super) lib_name: String,
    /// Where its library root would be: `[lib] path`, else `src/lib.rs`;
    /// `None` when the path climbs out of the tree.
    pub(super) lib_path: Option<Vec<u8>>,
    /// The root files its manifest names: `[[bin]]`, `[[test]]`,
    /// `[[bench]]`, `[[example]]` paths and `package.build`.
    pub(super) targets: Vec<Vec<u8>>,
    /// Its dependency declarations, in manifest order.
    pub(super) deps: Vec<Dep>,
    /// Extern crate name → index in `deps`; the first declaration wins.
    pub(super) by_name: HashMap<String, usize>,
}

/// Reads every `Cargo.toml` of the tree once and ties the dependencies of
/// each package to the packages of the tree; unreadable or malformed
/// manifests are skipped.
pub(super) fn packages(tree: &SourceTree<'_>) -> Vec<Package> {
    let manifests: Vec<Manifest> = tree.named("Cargo.toml").filter_map(|p| read_manifest(tree, p)).collect();
    let workspaces: BTreeMap<&[u8], &[RawDep]> =
        manifests.iter().filter_map(|m| Some((m.dir.as_slice(), m.workspace.as_deref()?))).collect();
    let lib_names: BTreeMap<&[u8], String> =
        manifests.iter().filter_map(|m| Some((m.dir.as_slice(), lib_name(m.package.as_ref()?)))).collect();
    let mut packages = Vec::new();
    for manifest in &manifests {
        let Some(package) = &manifest.package else { continue };
        let ws = workspace_of(manifest, package, &workspaces);
        let deps: Vec<Dep> =
            package.deps.iter().map(|raw| dep_of(raw, &manifest.dir, ws, &lib_names)).collect();
        let mut by_name = HashMap::new();
        for (i, dep) in deps.iter().enumerate() {
            by_name.entry(extern_name(dep, &lib_names)).or_insert(i);
        }
        let lib_path = match &package.lib_path {
            Some(path) => join(&manifest.dir, path.as_bytes()),
            None => Some(child(&manifest.dir, b"src/lib.rs")),
        };
        let targets = package.targets.iter().filter_map(|t| join(&manifest.dir, t.as_bytes())).collect();
        packages.push(Package {
            dir: manifest.dir.clone(),
            manifest: manifest.path.clone(),
            lib_name: lib_name(package),
            lib_path,
            targets,
            deps,
            by_name,
        });
    }
    packages
}

/// `dir/name`, or `name` at the root.
pub(super) fn child(dir: &[u8], name: &[u8]) -> Vec<u8> {
    if dir.is_empty() {
        name.to_vec()
    } else {
        [dir, b"/", name].concat()
    }
}

/// One dependency declaration.
#[derive(Debug)]
pub(super) struct Dep {
    /// The key as written (`billing_core`, `platform-testkit`).
    pub(super) key: String,
    /// 1-based line of the key.
    pub(super) line: u32,
    /// Where the dependency comes from.
    pub(super) source: DepSource,
    /// True when `package = "..."` renames it, so code names it by the key.
    renamed: bool,
}

/// Where a dependency comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DepSource {
    /// The package in this directory of the tree.
    Tree(Vec<u8>),
    /// A registry, a git repository: outside the tree.
    Registry,
    /// A path (or workspace entry) that leads to no package of the tree.
    Missing,
}

/// A dependency entry as a manifest writes it.
#[derive(Debug, Default)]
struct RawDep {
    key: String,
    line: u32,
    path: Option<String>,
    package: Option<String>,
    workspace: bool,
}

/// The `[package]` side of a manifest.
#[derive(Debug, Default)]
struct PackageInfo {
    name: String,
    lib_name: Option<String>,
    lib_path: Option<String>,
    /// `package.workspace`: the workspace root, when not an ancestor.
    workspace: Option<String>,
    /// Root files of targets, as written (see [`Package::targets`]).
    targets: Vec<String>,
    deps: Vec<RawDep>,
}

/// What one `Cargo.toml` declares.
#[derive(Debug)]
struct Manifest {
    dir: Vec<u8>,
    path: Vec<u8>,
    package: Option<PackageInfo>,
    /// `[workspace.dependencies]`; `Some` (maybe empty) when `[workspace]` exists.
    workspace: Option<Vec<RawDep>>,
}

/// The name code uses for a package's library: `[lib] name`, else the
/// package name with `-` as `_`.
fn lib_name(package: &PackageInfo) -> String {
    package.lib_name.clone().unwrap_or_else(|| package.name.replace('-', "_"))
}

/// The name a dependency goes by in code: the key when renamed, else the
/// library name of the package it leads to.
fn extern_name(dep: &Dep, lib_names: &BTreeMap<&[u8], String>) -> String {
    match &dep.source {
        DepSource::Tree(dir) if !dep.renamed => {
            lib_names.get(dir.as_slice()).cloned().unwrap_or_else(|| dep.key.replace('-', "_"))
        }
        _ => dep.key.replace('-', "_"),
    }
}

/// The `[workspace.dependencies]` that `workspace = true` entries of a
/// package refer to: `package.workspace`, else the nearest enclosing
/// workspace root (the package's own directory included).
fn workspace_of<'m>(
    manifest: &Manifest,
    package: &PackageInfo,
    workspaces: &BTreeMap<&'m [u8], &'m [RawDep]>,
) -> Option<(&'m [u8], &'m [RawDep])> {
    if let Some(root) = &package.workspace {
        let dir = join(&manifest.dir, root.as_bytes())?;
        return workspaces.get_key_value(dir.as_slice()).map(|(k, v)| (*k, *v));
    }
    let mut dir = manifest.dir.as_slice();
    loop {
        if let Some((k, v)) = workspaces.get_key_value(dir) {
            return Some((*k, *v));
        }
        if dir.is_empty() {
            return None;
        }
        dir = parent(dir);
    }
}

/// Ties one dependency entry of the package in `dir` to its source.
fn dep_of(
    raw: &RawDep,
    dir: &[u8],
    workspace: Option<(&[u8], &[RawDep])>,
    packages: &BTreeMap<&[u8], String>,
) -> Dep {
    let mut renamed = raw.package.is_some();
    let (base, path) = if raw.workspace {
        match workspace.and_then(|(ws, deps)| Some((ws, deps.iter().find(|d| d.key == raw.key)?))) {
            Some((ws, entry)) => {
                renamed |= entry.package.is_some();
                (ws, entry.path.as_deref())
            }
            None => return Dep { key: raw.key.clone(), line: raw.line, source: DepSource::Missing, renamed },
        }
    } else {
        (dir, raw.path.as_deref())
    };
    let source = match path {
        None => DepSource::Registry,
        Some(path) => match join(base, path.as_bytes()) {
            Some(target) if packages.contains_key(target.as_slice()) => DepSource::Tree(target),
            _ => DepSource::Missing,
        },
    };
    Dep { key: raw.key.clone(), line: raw.line, source, renamed }
}

/// Reads and parses one manifest; `None` when it cannot be read or parsed.
fn read_manifest(tree: &SourceTree<'_>, path: &[u8]) -> Option<Manifest> {
    let bytes = tree.read(path).filter(|b| b.len() <= MAX_MANIFEST)?;
    let text = String::from_utf8(bytes).ok()?;
    let doc = DeTable::parse(&text).ok()?;
    let root = doc.get_ref();
    let lines = LineIndex::new(&text);
    let workspace = table(root, "workspace")
        .map(|ws| table(ws, "dependencies").map(|t| entries(t, &lines)).unwrap_or_default());
    let package = table(root, "package").map(|pkg| {
        let lib = table(root, "lib");
        PackageInfo {
            name: string(pkg, "name").unwrap_or_default().to_owned(),
            lib_name: lib.and_then(|l| string(l, "name")).map(str::to_owned),
            lib_path: lib.and_then(|l| string(l, "path")).map(str::to_owned),
            workspace: string(pkg, "workspace").map(str::to_owned),
            targets: target_paths(root, pkg),
            deps: package_deps(root, &lines),
        }
    });
    Some(Manifest { dir: parent(path).to_vec(), path: path.to_vec(), package, workspace })
}

/// The root files that the target tables and `package.build` name.
fn target_paths(root: &DeTable<'_>, package: &DeTable<'_>) -> Vec<String> {
    let tables = TARGET_TABLES
        .iter()
        .filter_map(|name| root.get(*name)?.get_ref().as_array())
        .flat_map(|targets| targets.iter().filter_map(|t| t.get_ref().as_table()));
    tables.filter_map(|t| string(t, "path")).chain(string(package, "build")).map(str::to_owned).collect()
}

/// Every dependency entry of a package manifest, platform-specific ones
/// included, in manifest order.
fn package_deps(root: &DeTable<'_>, lines: &LineIndex) -> Vec<RawDep> {
    let platforms =
        table(root, "target").into_iter().flat_map(|t| t.values()).filter_map(|v| v.get_ref().as_table());
    let mut deps: Vec<RawDep> = std::iter::once(root)
        .chain(platforms)
        .flat_map(|t| DEP_TABLES.iter().filter_map(move |name| table(t, name)))
        .flat_map(|t| entries(t, lines))
        .collect();
    deps.sort_by_key(|d| d.line);
    deps
}

/// The entries of one dependency table.
fn entries(deps: &DeTable<'_>, lines: &LineIndex) -> Vec<RawDep> {
    deps.iter()
        .filter_map(|(key, value)| {
            let line = lines.line_of(key.span().start);
            let key = key.get_ref().to_string();
            match value.get_ref() {
                DeValue::String(_) => Some(RawDep { key, line, ..RawDep::default() }),
                DeValue::Table(t) => Some(RawDep {
                    key,
                    line,
                    path: string(t, "path").map(str::to_owned),
                    package: string(t, "package").map(str::to_owned),
                    workspace: t.get("workspace").and_then(|v| v.get_ref().as_bool()) == Some(true),
                }),
                _ => None,
            }
        })
        .collect()
}

/// The sub-table `key` of `t`.
fn table<'t, 'i>(t: &'t DeTable<'i>, key: &str) -> Option<&'t DeTable<'i>> {
    t.get(key).and_then(|v| v.get_ref().as_table())
}

/// The string `key` of `t`.
fn string<'t>(t: &'t DeTable<'_>, key: &str) -> Option<&'t str> {
    t.get(key).and_then(|v| v.get_ref().as_str())
}

/// Byte offsets to 1-based lines.
struct LineIndex {
    /// Offsets of every `\n`.
    newlines: Vec<usize>,
}

impl LineIndex {
    /// The index of `text`.
    fn new(text: &str) -> LineIndex {
        LineIndex {
            newlines: text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i).collect(),
        }
    }

    /// The line of the byte at `offset`.
    fn line_of(&self, offset: usize) -> u32 {
        u32::try_from(self.newlines.partition_point(|&n| n < offset) + 1).unwrap_or(u32::MAX)
    }
}
