//! Resolution: import paths to the package directories of the tree's
//! modules, by the longest module path that prefixes them.

use std::collections::BTreeMap;

use super::super::{join, parent, Import, ManifestDep, Resolution, SourceTree};
use super::manifest::{directives, read_config, replace_with_dir, workspace_dirs, EntryKind, ModEntry};

/// Maps Go import paths to the packages of one tree, through the modules
/// its `go.mod` files declare.
#[derive(Debug)]
pub struct Resolver {
    /// Module path to the directory of its `go.mod` (`b""` for the root).
    modules: BTreeMap<String, Vec<u8>>,
    /// The `require` and `replace` entries of every `go.mod` read.
    entries: Vec<ModEntry>,
}

impl Resolver {
    /// Reads the tree's `go.mod` and `go.work` files once.
    pub fn new(tree: &SourceTree<'_>) -> Resolver {
        let workspace = workspace_dirs(tree);
        let mut modules: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut entries = Vec::new();
        for manifest in tree.named("go.mod") {
            // `go mod vendor` copies dependencies there; they are not
            // modules of the tree.
            if manifest.split(|&b| b == b'/').any(|c| c == b"vendor") {
                continue;
            }
            let Some(text) = read_config(tree, manifest) else { continue };
            let dir = parent(manifest);
            let mut named = false;
            for d in directives(&text) {
                match (d.verb.as_str(), d.args.as_slice()) {
                    // A repeated module directive is an error to the go
                    // command; the first one stands.
                    ("module", [path, ..]) if !path.is_empty() && !named => {
                        named = true;
                        // Two go.mod files claiming one path: the one the
                        // workspace uses wins, else the first in path order.
                        let taken = modules.get(path).is_some_and(|old| {
                            workspace.contains(old.as_slice()) || !workspace.contains(dir)
                        });
                        if !taken {
                            modules.insert(path.clone(), dir.to_vec());
                        }
                    }
                    ("require", [module, ..]) => {
                        let kind = EntryKind::Require { module: module.clone() };
                        entries.push(ModEntry { manifest: manifest.to_vec(), line: d.line, kind });
                    }
                    ("replace", args) => {
                        if let Some(kind) = replace_with_dir(args) {
                            entries.push(ModEntry { manifest: manifest.to_vec(), line: d.line, kind });
                        }
                    }
                    _ => {}
                }
            }
        }
        Resolver { modules, entries }
    }

    /// Where `import`, found in the file at `from`, leads.
    pub fn resolve(&self, tree: &SourceTree<'_>, from: &[u8], import: &Import) -> Resolution {
        let spec = import.spec.as_str();
        if spec == "." || spec == ".." || spec.starts_with("./") || spec.starts_with("../") {
            // GOPATH-era relative imports name a directory next to the file.
            return match join(parent(from), spec.as_bytes()) {
                Some(dir) => package(tree, &dir),
                None => Resolution::Unresolved,
            };
        }
        // The standard library, cgo's "C" and modules from elsewhere all
        // land here: no module of the tree holds them.
        let Some((module_dir, rest)) = self.module_of(spec) else {
            return Resolution::External;
        };
        // go/build rejects such paths; they are no directory of the module.
        if spec.split('/').any(|e| e.is_empty() || e == "." || e == "..") {
            return Resolution::Unresolved;
        }
        // A subdirectory holding its own go.mod is another module, even
        // when its module path does not continue this one's.
        let mut dir = module_dir.to_vec();
        for element in rest.split('/').filter(|e| !e.is_empty()) {
            if !dir.is_empty() {
                dir.push(b'/');
            }
            dir.extend_from_slice(element.as_bytes());
            if tree.is_file(&[dir.as_slice(), b"/go.mod"].concat()) {
                return Resolution::Unresolved;
            }
        }
        package(tree, &dir)
    }

    /// The in-tree module with the longest path that prefixes `spec`, and
    /// the rest of `spec` after it.
    fn module_of<'s>(&self, spec: &'s str) -> Option<(&[u8], &'s str)> {
        let mut end = spec.len();
        loop {
            if let Some(dir) = self.modules.get(&spec[..end]) {
                let rest = &spec[end..];
                return Some((dir, rest.strip_prefix('/').unwrap_or(rest)));
            }
            end = spec[..end].rfind('/')?;
        }
    }

    /// Dependencies the `go.mod` files declare on other modules of the tree
    /// (`require`, and `replace` by a directory of the tree), sorted by
    /// (manifest, line).
    pub fn manifest_deps(&self, tree: &SourceTree<'_>) -> Vec<ManifestDep> {
        let mut deps = Vec::new();
        for entry in &self.entries {
            let own_dir = parent(&entry.manifest);
            let (name, resolution) = match &entry.kind {
                EntryKind::Require { module } => {
                    let Some(dir) = self.modules.get(module) else { continue };
                    if dir.as_slice() == own_dir {
                        continue;
                    }
                    (module, module_target(dir))
                }
                EntryKind::ReplaceWithDir { module, dir } => {
                    // A directory outside the tree is not a dependency on it.
                    let Some(dir) = join(own_dir, dir.as_bytes()) else { continue };
                    if dir.as_slice() == own_dir {
                        continue;
                    }
                    let target = if tree.is_file(&manifest_in(&dir)) {
                        module_target(&dir)
                    } else {
                        Resolution::Unresolved
                    };
                    (module, target)
                }
            };
            deps.push(ManifestDep {
                manifest: entry.manifest.clone(),
                line: entry.line,
                name: name.clone(),
                resolution,
            });
        }
        deps.sort_by(|a, b| (&a.manifest, a.line).cmp(&(&b.manifest, b.line)));
        deps
    }
}

/// The package in `dir`: its Go files, tests left out as the go command
/// leaves them out of what importers build. No such file: unresolved.
fn package(tree: &SourceTree<'_>, dir: &[u8]) -> Resolution {
    let files: Vec<Vec<u8>> = tree
        .files_in(dir)
        .filter(|p| {
            let name = p.rsplit(|&b| b == b'/').next().unwrap_or(p);
            // The go command ignores files whose names start with `_` or `.`.
            name.ends_with(b".go")
                && !name.ends_with(b"_test.go")
                && !name.starts_with(b"_")
                && !name.starts_with(b".")
        })
        .map(<[u8]>::to_vec)
        .collect();
    if files.is_empty() {
        return Resolution::Unresolved;
    }
    Resolution::Internal { path: dir_path(dir), files }
}

/// A module, owned as its `go.mod` is.
fn module_target(dir: &[u8]) -> Resolution {
    Resolution::Internal { path: dir_path(dir), files: vec![manifest_in(dir)] }
}

/// `dir` as a directory target: with a trailing `/`, except the root (`b""`).
fn dir_path(dir: &[u8]) -> Vec<u8> {
    if dir.is_empty() {
        Vec::new()
    } else {
        [dir, b"/"].concat()
    }
}

/// The `go.mod` path of a module directory.
fn manifest_in(dir: &[u8]) -> Vec<u8> {
    if dir.is_empty() {
        b"go.mod".to_vec()
    } else {
        [dir, b"/go.mod"].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::memory_tree;
    use super::*;

    fn with_tree<T>(files: &[(&str, &str)], f: impl FnOnce(&SourceTree<'_>) -> T) -> T {
        let map = memory_tree(files);
        let read = |p: &[u8]| map.get(p).cloned();
        let tree = SourceTree::new(map.keys().map(Vec::as_slice), &read);
        f(&tree)
    }

    fn resolve_in(files: &[(&str, &str)], from: &str, spec: &str) -> Resolution {
        with_tree(files, |tree| Resolver::new(tree).resolve(tree, from.as_bytes(), &Import::new(1, spec)))
    }

    fn internal(path: &str, files: &[&str]) -> Resolution {
        Resolution::Internal {
            path: path.as_bytes().to_vec(),
            files: files.iter().map(|f| f.as_bytes().to_vec()).collect(),
        }
    }

    const MONOREPO: &[(&str, &str)] = &[
        ("go.mod", "module corp.example/root\n"),
        ("main.go", ""),
        ("billing/go.mod", "// Billing.\nmodule \"corp.example/billing\" // quoted\n\ngo 1.19\n"),
        ("billing/inv/inv.go", ""),
        ("billing/inv/inv_test.go", ""),
        ("billing/inv/_scratch.go", ""),
        ("billing/inv/README.md", ""),
        ("billing/only_tests/x_test.go", ""),
        ("billing/sdk/go.mod", "module corp.example/billing/sdk"),
        ("billing/sdk/client/c.go", ""),
        ("billing/tools/go.mod", "module corp.example/tools"),
        ("billing/tools/gen/gen.go", ""),
        ("web/go.mod", "module (\n\t`corp.example/web`\n)\n"),
        ("web/util/util.go", ""),
        ("web/vendor/corp.example/x/go.mod", "module corp.example/x"),
        ("web/vendor/corp.example/x/x.go", ""),
    ];

    #[test]
    fn imports_resolve_to_the_longest_module_prefix() {
        let r = |spec| resolve_in(MONOREPO, "web/util/util.go", spec);
        assert_eq!(r("corp.example/billing/inv"), internal("billing/inv/", &["billing/inv/inv.go"]));
        assert_eq!(
            r("corp.example/billing/sdk/client"),
            internal("billing/sdk/client/", &["billing/sdk/client/c.go"])
        );
        assert_eq!(r("corp.example/web/util"), internal("web/util/", &["web/util/util.go"]));
        assert_eq!(r("corp.example/root"), internal("", &["main.go"]));
    }

    #[test]
    fn what_no_module_of_the_tree_holds_is_external() {
        let r = |spec| resolve_in(MONOREPO, "main.go", spec);
        assert_eq!(r("fmt"), Resolution::External);
        assert_eq!(r("C"), Resolution::External);
        assert_eq!(r("corp.example/billingx/metrics"), Resolution::External);
        assert_eq!(r("github.com/x/y"), Resolution::External);
        // Vendored copies are third-party code, not modules of the tree.
        assert_eq!(r("corp.example/x"), Resolution::External);
    }

    #[test]
    fn a_module_without_the_package_is_unresolved() {
        let r = |spec| resolve_in(MONOREPO, "main.go", spec);
        assert_eq!(r("corp.example/billing/missing"), Resolution::Unresolved);
        assert_eq!(r("corp.example/billing/only_tests"), Resolution::Unresolved);
        assert_eq!(r("corp.example/billing"), Resolution::Unresolved);
        assert_eq!(r("corp.example/billing/../web/util"), Resolution::Unresolved);
        assert_eq!(r("corp.example/billing//inv"), Resolution::Unresolved);
        assert_eq!(r("corp.example/billing/inv/"), Resolution::Unresolved);
        // billing/tools holds its own go.mod: not part of the billing module.
        assert_eq!(r("corp.example/billing/tools/gen"), Resolution::Unresolved);
        assert_eq!(
            r("corp.example/tools/gen"),
            internal("billing/tools/gen/", &["billing/tools/gen/gen.go"])
        );
    }

    #[test]
    fn relative_imports_name_a_directory() {
        let r = |spec| resolve_in(MONOREPO, "billing/inv/inv.go", spec);
        assert_eq!(r("../sdk/client"), internal("billing/sdk/client/", &["billing/sdk/client/c.go"]));
        assert_eq!(r("../../../x"), Resolution::Unresolved);
        assert_eq!(r("./nothing"), Resolution::Unresolved);
    }

    #[test]
    fn the_workspace_picks_between_modules_of_one_path() {
        let files = &[
            ("go.work", "go 1.19\nuse (\n\t./b // the live one\n)\n"),
            ("a/go.mod", "module corp.example/dup"),
            ("a/p/p.go", ""),
            ("b/go.mod", "module corp.example/dup"),
            ("b/p/p.go", ""),
        ];
        assert_eq!(resolve_in(files, "x.go", "corp.example/dup/p"), internal("b/p/", &["b/p/p.go"]));
        let files = &files[1..];
        assert_eq!(resolve_in(files, "x.go", "corp.example/dup/p"), internal("a/p/", &["a/p/p.go"]));
    }

    #[test]
    fn malformed_go_mod_files_are_skipped() {
        let files = &[
            ("a/go.mod", "module \"corp.example/a"),
            ("a/p.go", ""),
            ("b/go.mod", "\u{0}\u{1}((( )) => \"\\"),
            ("c/go.mod", "module corp.example/c\nmodule corp.example/c2\n"),
            ("c/p.go", ""),
        ];
        assert_eq!(resolve_in(files, "x.go", "corp.example/a"), Resolution::External);
        assert_eq!(resolve_in(files, "x.go", "corp.example/c"), internal("c/", &["c/p.go"]));
        assert_eq!(resolve_in(files, "x.go", "corp.example/c2"), Resolution::External);
    }

    #[test]
    fn manifest_deps_are_requires_and_replaces_into_the_tree() {
        let files = &[
            ("go.work", "use ./web"),
            ("billing/go.mod", "module corp.example/billing\nrequire corp.example/billing v0.0.0\n"),
            (
                "web/go.mod",
                "module corp.example/web\n\nrequire (\n\tcorp.example/billing v0.0.0\n\
                 \tgithub.com/x/y v1.0.0\n\tcorp.example/gone v0.0.0\n)\n\n\
                 replace corp.example/billing v0.0.0 => ../billing\n\
                 replace corp.example/gone => ../gone\n\
                 replace corp.example/far => ../../outside\n\
                 replace github.com/x/y => github.com/fork/y v1.0.1\n",
            ),
        ];
        let deps = with_tree(files, |tree| Resolver::new(tree).manifest_deps(tree));
        let got: Vec<(&str, u32, &str, Resolution)> = deps
            .iter()
            .map(|d| {
                (std::str::from_utf8(&d.manifest).unwrap(), d.line, d.name.as_str(), d.resolution.clone())
            })
            .collect();
        let billing = internal("billing/", &["billing/go.mod"]);
        assert_eq!(
            got,
            vec![
                ("web/go.mod", 4, "corp.example/billing", billing.clone()),
                ("web/go.mod", 9, "corp.example/billing", billing),
                ("web/go.mod", 10, "corp.example/gone", Resolution::Unresolved),
            ]
        );
    }
}
