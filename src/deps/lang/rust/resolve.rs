//! Resolution: references to the module files of the tree's crates.
//!
//! A path into another crate goes through the importing package's Cargo
//! dependencies to that crate's library root; a path inside the crate
//! (`crate::`, `self::`, `super::`) and a `mod` declaration go through the
//! module tree of the importing file's own crate, worked out from paths:
//! Rust maps module `a::b` of a crate whose root is in `dir` to
//! `dir/a/b.rs` or `dir/a/b/mod.rs`, and a `mod x;` to `x.rs` or
//! `x/mod.rs` in the declaring module's directory.

use std::collections::BTreeMap;

use super::super::{join, parent, Import, ManifestDep, Resolution, SourceTree};
use super::manifest::{child, packages, DepSource, Package};
use super::reference::Reference;

/// Maps Rust paths to the module files of the packages of one tree.
pub struct Resolver {
    /// Every package of the tree, by directory (`b""` for the root).
    crates: BTreeMap<Vec<u8>, Crate>,
}

/// One package and the root files of its targets.
#[derive(Debug)]
struct Crate {
    package: Package,
    /// The library's root module file, when the tree has it.
    lib_root: Option<Vec<u8>>,
    /// The root file of every target the tree has (library, binaries,
    /// tests, benches, examples, build script), by directory.
    roots: BTreeMap<Vec<u8>, Vec<Vec<u8>>>,
}

/// The crate whose module tree holds a file, as far as paths tell.
#[derive(Debug, PartialEq, Eq)]
struct Context<'a> {
    /// The crate's root file; `None` when several targets share the
    /// directory and none of them is the library (a module of `tests/`
    /// that several tests declare).
    root: Option<&'a [u8]>,
    /// The directory the crate's module files hang from.
    dir: &'a [u8],
}

impl Resolver {
    /// Reads every `Cargo.toml` of the tree once; unreadable or malformed
    /// manifests are skipped.
    pub fn new(tree: &SourceTree<'_>) -> Resolver {
        let crates = packages(tree)
            .into_iter()
            .map(|package| {
                let lib_root = package.lib_path.clone().filter(|p| tree.is_file(p));
                let roots = target_roots(tree, &package, lib_root.as_deref());
                (package.dir.clone(), Crate { package, lib_root, roots })
            })
            .collect();
        Resolver { crates }
    }

    /// Where `import`, found in the file at `from`, leads. A first segment
    /// that is no dependency of `from`'s package (the standard library, a
    /// type) is `External`, and so is a reference of a file to itself: a
    /// file's references to itself are not counted.
    pub fn resolve(&self, tree: &SourceTree<'_>, from: &[u8], import: &Import) -> Resolution {
        let resolution = match Reference::parse(&import.spec) {
            Some(Reference::Named { name, rest }) => self.named(tree, from, name, &rest),
            Some(Reference::Crate(rest)) => {
                let cx = self.context(from);
                found(module_file(tree, cx.root, cx.dir, rest.iter().map(|s| s.as_bytes())))
            }
            Some(Reference::Relative { up, rest }) => self.relative(tree, from, up, &rest),
            Some(Reference::Module { inline, name, path }) => self.module(tree, from, &inline, name, path),
            None => Resolution::External,
        };
        match resolution {
            Resolution::Internal { path, .. } if path == from => Resolution::External,
            other => other,
        }
    }

    /// Every dependency of a package on a package of the tree, sorted by
    /// (manifest, line).
    pub fn manifest_deps(&self, _tree: &SourceTree<'_>) -> Vec<ManifestDep> {
        let mut deps: Vec<ManifestDep> = self
            .crates
            .values()
            .flat_map(|krate| {
                let package = &krate.package;
                package.deps.iter().filter_map(move |dep| match &dep.source {
                    DepSource::Tree(dir) => Some(ManifestDep {
                        manifest: package.manifest.clone(),
                        line: dep.line,
                        name: dep.key.clone(),
                        resolution: package_dir(dir),
                    }),
                    DepSource::Registry | DepSource::Missing => None,
                })
            })
            .collect();
        deps.sort_by(|a, b| (&a.manifest, a.line).cmp(&(&b.manifest, b.line)));
        deps
    }

    /// `name::rest`: a dependency of `from`'s package, or the package's own
    /// library (which its tests, examples and binaries name).
    fn named(&self, tree: &SourceTree<'_>, from: &[u8], name: &str, rest: &[&str]) -> Resolution {
        let Some(krate) = self.crate_of(from) else { return Resolution::External };
        let package = &krate.package;
        let target = match package.by_name.get(name) {
            Some(&i) => match &package.deps[i].source {
                DepSource::Tree(dir) => self.crates.get(dir.as_slice()),
                DepSource::Registry => return Resolution::External,
                DepSource::Missing => return Resolution::Unresolved,
            },
            None if name == package.lib_name => Some(krate),
            None => return Resolution::External,
        };
        match target.and_then(|t| t.lib_root.as_deref()) {
            Some(root) => {
                found(module_file(tree, Some(root), parent(root), rest.iter().map(|s| s.as_bytes())))
            }
            None => Resolution::Unresolved,
        }
    }

    /// `self::rest` (`up` 0) or `super::rest`: from `from`'s module, `up`
    /// modules up; Unresolved when that climbs out of the crate.
    fn relative(&self, tree: &SourceTree<'_>, from: &[u8], up: usize, rest: &[&str]) -> Resolution {
        let cx = self.context(from);
        let modules = module_path(&cx, from);
        let Some(keep) = modules.len().checked_sub(up) else { return Resolution::Unresolved };
        let segments = modules[..keep].iter().copied().chain(rest.iter().map(|s| s.as_bytes()));
        found(module_file(tree, cx.root, cx.dir, segments))
    }

    /// `mod name;` in the inline modules `inline` of `from`, with its
    /// `#[path]`: the file it loads, which must exist. A path attribute is
    /// relative to the declaring file's directory (at the top level) or to
    /// the directory of its inline modules; an absolute one leaves the tree.
    fn module(
        &self,
        tree: &SourceTree<'_>,
        from: &[u8],
        inline: &[&str],
        name: &str,
        path: Option<&str>,
    ) -> Resolution {
        let cx = self.context(from);
        // Roots and `mod.rs` files own their directory; `a.rs` owns `a/`.
        let children = if cx.root == Some(from) || file_name(from) == b"mod.rs" {
            parent(from)
        } else {
            from.strip_suffix(b".rs").unwrap_or(from)
        };
        let mut dir = children.to_vec();
        for module in inline {
            dir = child(&dir, module.as_bytes());
        }
        let file = match path {
            Some(path) if path.starts_with('/') => return Resolution::External,
            Some(path) => join(if inline.is_empty() { parent(from) } else { &dir }, path.as_bytes()),
            None => {
                let module = child(&dir, name.as_bytes());
                let flat = [module.as_slice(), b".rs"].concat();
                Some(if tree.is_file(&flat) { flat } else { child(&module, b"mod.rs") })
            }
        };
        found(file.filter(|f| tree.is_file(f)))
    }

    /// The package a file belongs to: the nearest enclosing one.
    fn crate_of(&self, file: &[u8]) -> Option<&Crate> {
        let mut dir = parent(file);
        loop {
            if let Some(krate) = self.crates.get(dir) {
                return Some(krate);
            }
            if dir.is_empty() {
                return None;
            }
            dir = parent(dir);
        }
    }

    /// The crate whose module tree holds `from`: a target root is its own;
    /// any other file belongs to the targets whose directory is its nearest
    /// ancestor (the library when it is one of them: `src/main.rs` and the
    /// files of `src/` beside `src/lib.rs` are the library's). A file under
    /// no target is taken for a root of its own.
    fn context<'a>(&'a self, from: &'a [u8]) -> Context<'a> {
        let own = Context { root: Some(from), dir: parent(from) };
        let Some(krate) = self.crate_of(from) else { return own };
        if krate.roots.get(parent(from)).is_some_and(|roots| roots.iter().any(|r| r == from)) {
            return own;
        }
        let mut dir = parent(from);
        loop {
            if let Some((dir, roots)) = krate.roots.get_key_value(dir) {
                let lib = krate.lib_root.as_deref().filter(|lib| parent(lib) == dir.as_slice());
                let root = lib.or(match roots.as_slice() {
                    [only] => Some(only.as_slice()),
                    _ => None,
                });
                return Context { root, dir };
            }
            if dir == krate.package.dir.as_slice() || dir.is_empty() {
                return own;
            }
            dir = parent(dir);
        }
    }
}

/// The module path of `from` in its crate: `a/b.rs` and `a/b/mod.rs` are
/// both `a::b`, the root is the empty path.
fn module_path<'a>(cx: &Context<'_>, from: &'a [u8]) -> Vec<&'a [u8]> {
    if cx.root == Some(from) {
        return Vec::new();
    }
    let rel = if cx.dir.is_empty() {
        Some(from)
    } else {
        from.strip_prefix(cx.dir).and_then(|r| r.strip_prefix(b"/"))
    };
    let Some(rel) = rel else { return Vec::new() };
    let rel = rel.strip_suffix(b".rs").unwrap_or(rel);
    let mut modules: Vec<&[u8]> = rel.split(|&b| b == b'/').collect();
    if modules.len() > 1 && modules.last() == Some(&&b"mod"[..]) {
        modules.pop();
    }
    modules
}

/// The last component of a path.
fn file_name(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

/// A module file found, or Unresolved.
fn found(file: Option<Vec<u8>>) -> Resolution {
    file.map_or(Resolution::Unresolved, Resolution::file)
}

/// A package directory as a resolution: the directory, owned as its manifest.
fn package_dir(dir: &[u8]) -> Resolution {
    let path = if dir.is_empty() { Vec::new() } else { [dir, b"/"].concat() };
    Resolution::Internal { files: vec![child(dir, b"Cargo.toml")], path }
}

/// The deepest module file that `segments` reach from a crate's `root`
/// file, whose modules hang from `dir`: `x::y` is `x/y.rs` or
/// `x/y/mod.rs`, else `x.rs` or `x/mod.rs`, else the root itself (`None`
/// when there is no root). A directory without a module file (the module
/// is inline in its parent) is walked through.
fn module_file<'s>(
    tree: &SourceTree<'_>,
    root: Option<&[u8]>,
    dir: &[u8],
    segments: impl Iterator<Item = &'s [u8]>,
) -> Option<Vec<u8>> {
    let mut file = root.map(<[u8]>::to_vec);
    let mut dir = dir.to_vec();
    for segment in segments {
        dir = child(&dir, segment);
        let flat = [dir.as_slice(), b".rs"].concat();
        let nested = child(&dir, b"mod.rs");
        if tree.is_file(&flat) {
            file = Some(flat);
        } else if tree.is_file(&nested) {
            file = Some(nested);
        } else if !tree.is_dir(&dir) {
            break;
        }
    }
    file
}

/// The root files of a package's targets that the tree has, by directory:
/// the library, those the manifest names, and those Cargo finds itself
/// (`src/main.rs`, `src/bin/*.rs`, `src/bin/*/main.rs`, the same in
/// `tests/`, `benches/`, `examples/`, and `build.rs`).
fn target_roots(
    tree: &SourceTree<'_>,
    package: &Package,
    lib: Option<&[u8]>,
) -> BTreeMap<Vec<u8>, Vec<Vec<u8>>> {
    let dir = &package.dir;
    let mut files: Vec<Vec<u8>> = package.targets.clone();
    files.extend(lib.map(<[u8]>::to_vec));
    files.push(child(dir, b"src/main.rs"));
    files.push(child(dir, b"build.rs"));
    for auto in [&b"src/bin"[..], b"tests", b"benches", b"examples"] {
        files.extend(auto_roots(tree, &child(dir, auto)));
    }
    let mut roots: BTreeMap<Vec<u8>, Vec<Vec<u8>>> = BTreeMap::new();
    for file in files.into_iter().filter(|f| tree.is_file(f)) {
        roots.entry(parent(&file).to_vec()).or_default().push(file);
    }
    roots.values_mut().for_each(|r| {
        r.sort_unstable();
        r.dedup();
    });
    roots
}

/// `dir/*.rs` and `dir/*/main.rs`: the targets Cargo discovers in `dir`.
fn auto_roots<'t>(tree: &SourceTree<'t>, dir: &[u8]) -> Vec<Vec<u8>> {
    let prefix = [dir, b"/"].concat();
    let paths = tree.paths();
    let at = paths.partition_point(|p| *p < prefix.as_slice());
    paths[at..]
        .iter()
        .take_while(|p| p.starts_with(&prefix))
        .filter(|p| {
            let rest = &p[prefix.len()..];
            match rest.iter().position(|&b| b == b'/') {
                None => rest.ends_with(b".rs"),
                Some(slash) => &rest[slash..] == b"/main.rs",
            }
        })
        .map(|p| p.to_vec())
        .collect()
}

#[cfg(test)]
mod tests;
