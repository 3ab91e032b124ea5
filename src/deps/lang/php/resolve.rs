//! Resolution: class and function names to files, by the autoload rules
//! of the tree's `composer.json` files as composer's `ClassLoader` applies
//! them.

use std::collections::{HashMap, HashSet};

use super::super::{join, parent, Import, ManifestDep, Resolution, SourceTree};
use super::manifest::{dep, dir_matches, package, package_resolution, Package};
use super::scan::{declarations, DeclKind, Symbol};

/// Files larger than this are not read: no real manifest or autoloaded
/// source is that big.
const MAX_READ: usize = 8 << 20;

/// Maps PHP imports to files of one tree by composer's autoload rules.
pub struct Resolver {
    /// PSR-4 prefix (ending in `\`) → directories, in manifest order.
    psr4: HashMap<String, Vec<Vec<u8>>>,
    /// PSR-4 directories of the empty prefix.
    psr4_fallback: Vec<Vec<u8>>,
    /// PSR-0 prefixes and directories, longest-sorting prefix first.
    psr0: Vec<(String, Vec<u8>)>,
    /// PSR-0 directories of the empty prefix.
    psr0_fallback: Vec<Vec<u8>>,
    /// Class → file, from `classmap` entries.
    classmap: HashMap<String, Vec<u8>>,
    /// Lower-cased function → file, from `files` entries.
    functions: HashMap<String, Vec<u8>>,
    /// Namespaces (ending in `\`) the tree's autoload rules claim.
    claimed: HashSet<String>,
    /// PSR-0 prefixes without a trailing `\` (`Twig_`, `Acme`).
    claimed_loose: Vec<String>,
    packages: Vec<Package>,
}

/// `dir/rel`, or `rel` at the root.
fn child(dir: &[u8], rel: &str) -> Vec<u8> {
    if dir.is_empty() {
        rel.as_bytes().to_vec()
    } else {
        [dir, b"/", rel.as_bytes()].concat()
    }
}

/// A directory of the manifest in `dir`, as the tree names it; `None` for
/// absolute paths and paths above the root.
fn tree_dir(dir: &[u8], rel: &str) -> Option<Vec<u8>> {
    if rel.starts_with('/') {
        return None;
    }
    join(dir, rel.as_bytes())
}

/// The string values of a JSON string-or-array.
fn strings(value: &serde_json::Value) -> Vec<&str> {
    match value {
        serde_json::Value::String(s) => vec![s.as_str()],
        serde_json::Value::Array(items) => items.iter().filter_map(|v| v.as_str()).collect(),
        _ => Vec::new(),
    }
}

/// True if a `vendor` directory holds `path` (composer's installed packages).
fn vendored(path: &[u8]) -> bool {
    let dir = parent(path);
    dir.split(|&b| b == b'/').any(|c| c == b"vendor")
}

impl Resolver {
    /// Reads every `composer.json` outside `vendor/` directories once.
    pub fn new(tree: &SourceTree<'_>) -> Resolver {
        let mut resolver = Resolver {
            psr4: HashMap::new(),
            psr4_fallback: Vec::new(),
            psr0: Vec::new(),
            psr0_fallback: Vec::new(),
            classmap: HashMap::new(),
            functions: HashMap::new(),
            claimed: HashSet::new(),
            claimed_loose: Vec::new(),
            packages: Vec::new(),
        };
        for manifest in tree.named("composer.json").filter(|p| !vendored(p)) {
            let Some(text) = tree.read(manifest).filter(|t| t.len() <= MAX_READ) else { continue };
            let Ok(json) = serde_json::from_slice::<serde_json::Value>(&text) else { continue };
            let dir = parent(manifest).to_vec();
            for section in ["autoload", "autoload-dev"] {
                if let Some(autoload) = json.get(section) {
                    resolver.add_autoload(tree, &dir, autoload);
                }
            }
            resolver.packages.push(package(manifest, dir, &json, &text));
        }
        // Composer's generated maps list PSR-0 prefixes in reverse order.
        resolver.psr0.sort_by(|a, b| b.0.cmp(&a.0));
        resolver.claim_declared();
        resolver
    }

    fn add_autoload(&mut self, tree: &SourceTree<'_>, dir: &[u8], autoload: &serde_json::Value) {
        let map = |key: &str| autoload.get(key).and_then(|v| v.as_object()).into_iter().flatten();
        for (prefix, dirs) in map("psr-4") {
            let prefix = prefix.trim_start_matches('\\');
            let dirs = strings(dirs).into_iter().filter_map(|d| tree_dir(dir, d));
            if prefix.is_empty() {
                self.psr4_fallback.extend(dirs);
                continue;
            }
            let prefix = if prefix.ends_with('\\') { prefix.to_owned() } else { format!("{prefix}\\") };
            self.claimed.insert(prefix.clone());
            self.psr4.entry(prefix).or_default().extend(dirs);
        }
        for (prefix, dirs) in map("psr-0") {
            let prefix = prefix.trim_start_matches('\\');
            let dirs: Vec<Vec<u8>> = strings(dirs).into_iter().filter_map(|d| tree_dir(dir, d)).collect();
            if prefix.is_empty() {
                self.psr0_fallback.extend(dirs);
                continue;
            }
            if prefix.ends_with('\\') {
                self.claimed.insert(prefix.to_owned());
            } else {
                self.claimed_loose.push(prefix.to_owned());
            }
            self.psr0.extend(dirs.into_iter().map(|d| (prefix.to_owned(), d)));
        }
        let list = |key: &str| autoload.get(key).map(strings).unwrap_or_default();
        for path in list("classmap").into_iter().filter_map(|p| tree_dir(dir, p)) {
            for file in classmap_files(tree, &path) {
                self.declare(tree, &file, DeclKind::Class);
            }
        }
        for path in list("files").into_iter().filter_map(|p| tree_dir(dir, p)) {
            self.declare(tree, &path, DeclKind::Function);
        }
    }

    /// Records what `file` declares of `kind`; the first declaration wins,
    /// as in composer's classmap.
    fn declare(&mut self, tree: &SourceTree<'_>, file: &[u8], kind: DeclKind) {
        let Some(bytes) = tree.read(file).filter(|b| b.len() <= MAX_READ) else { return };
        let Ok(src) = std::str::from_utf8(&bytes) else { return };
        for decl in declarations(src).into_iter().filter(|d| d.kind == kind) {
            let map = match kind {
                DeclKind::Class => &mut self.classmap,
                DeclKind::Function => &mut self.functions,
            };
            let key = match kind {
                DeclKind::Class => decl.name,
                DeclKind::Function => decl.name.to_ascii_lowercase(),
            };
            map.entry(key).or_insert_with(|| file.to_vec());
        }
    }

    /// The namespaces of classmap classes and `files` functions are the
    /// tree's too.
    fn claim_declared(&mut self) {
        let names = self.classmap.keys().chain(self.functions.keys());
        let namespaces: Vec<String> =
            names.filter_map(|name| name.rfind('\\').map(|i| name[..=i].to_owned())).collect();
        self.claimed.extend(namespaces);
    }

    /// Where `import`, found in the file at `from`, leads.
    pub fn resolve(&self, tree: &SourceTree<'_>, from: &[u8], import: &Import) -> Resolution {
        // PHP names are absolute once scanned: the importing file does not matter.
        let _ = from;
        let name = import.spec.trim_start_matches('\\');
        let found = match Symbol::of(import) {
            Symbol::Class => self.class_file(tree, name),
            Symbol::Function => self.functions.get(&name.to_ascii_lowercase()).cloned(),
            Symbol::Const => None,
        };
        match found {
            Some(file) => Resolution::file(file),
            None if self.claims(tree, name) => Resolution::Unresolved,
            None => Resolution::External,
        }
    }

    /// The file composer's `ClassLoader::findFile` would load for `class`.
    fn class_file(&self, tree: &SourceTree<'_>, class: &str) -> Option<Vec<u8>> {
        if class.is_empty() {
            return None;
        }
        if let Some(file) = self.classmap.get(class) {
            return Some(file.clone());
        }
        let existing = |dir: &[u8], rel: &str| Some(child(dir, rel)).filter(|p| tree.is_file(p));
        let mut end = class.len();
        while let Some(i) = class[..end].rfind('\\') {
            if let Some(dirs) = self.psr4.get(&class[..=i]) {
                let rest = format!("{}.php", class[i + 1..].replace('\\', "/"));
                if let Some(file) = dirs.iter().find_map(|d| existing(d, &rest)) {
                    return Some(file);
                }
            }
            end = i;
        }
        let psr4_path = format!("{}.php", class.replace('\\', "/"));
        if let Some(file) = self.psr4_fallback.iter().find_map(|d| existing(d, &psr4_path)) {
            return Some(file);
        }
        let psr0_path = match class.rfind('\\') {
            Some(i) => format!("{}{}.php", &psr4_path[..=i], class[i + 1..].replace('_', "/")),
            None => format!("{}.php", class.replace('_', "/")),
        };
        let prefixed = self.psr0.iter().filter(|(prefix, _)| class.starts_with(prefix.as_str()));
        let mut dirs = prefixed.map(|(_, dir)| dir).chain(&self.psr0_fallback);
        dirs.find_map(|d| existing(d, &psr0_path))
    }

    /// True if the tree's autoload rules claim `name`'s namespace, so a
    /// miss is a broken reference rather than a vendor package.
    fn claims(&self, tree: &SourceTree<'_>, name: &str) -> bool {
        let by_namespace = name.match_indices('\\').any(|(i, _)| self.claimed.contains(&name[..=i]));
        let by_psr0 = self.claimed_loose.iter().any(|prefix| {
            name.strip_prefix(prefix.as_str())
                .is_some_and(|rest| prefix.ends_with('_') || rest.is_empty() || rest.starts_with(['\\', '_']))
        });
        let by_fallback = name.split_once('\\').is_some_and(|(first, _)| {
            let mut dirs = self.psr4_fallback.iter().chain(&self.psr0_fallback);
            dirs.any(|d| tree.is_dir(&child(d, first)))
        });
        by_namespace || by_psr0 || by_fallback
    }

    /// Dependencies the tree's `composer.json` files declare on other
    /// packages of the tree: `require`/`require-dev` entries naming one, and
    /// `"type": "path"` repositories pointing into the tree (Unresolved when
    /// no `composer.json` is there). Sorted by (manifest, line).
    pub fn manifest_deps(&self, _tree: &SourceTree<'_>) -> Vec<ManifestDep> {
        let by_name: HashMap<String, &Package> = self
            .packages
            .iter()
            .filter_map(|p| p.name.as_ref().map(|n| (n.to_ascii_lowercase(), p)))
            .collect();
        let mut deps = Vec::new();
        for package in &self.packages {
            for (name, line) in &package.requires {
                let Some(target) = by_name.get(&name.to_ascii_lowercase()) else { continue };
                if target.manifest != package.manifest {
                    deps.push(dep(package, *line, name, package_resolution(target)));
                }
            }
            for (url, line) in &package.path_repos {
                let Some(path) = tree_dir(&package.dir, url) else { continue };
                let targets: Vec<&Package> =
                    self.packages.iter().filter(|p| dir_matches(path.as_slice(), &p.dir)).collect();
                if targets.is_empty() {
                    deps.push(dep(package, *line, url, Resolution::Unresolved));
                }
                for target in targets.into_iter().filter(|t| t.manifest != package.manifest) {
                    deps.push(dep(package, *line, url, package_resolution(target)));
                }
            }
        }
        deps.sort_by(|a, b| (&a.manifest, a.line, &a.name).cmp(&(&b.manifest, b.line, &b.name)));
        deps
    }
}

/// The tree files a `classmap` entry stands for: the file itself, or the
/// `.php`, `.inc` and `.hh` files below a directory.
fn classmap_files(tree: &SourceTree<'_>, path: &[u8]) -> Vec<Vec<u8>> {
    if tree.is_file(path) {
        return vec![path.to_vec()];
    }
    let prefix = child(path, "");
    let below = tree.paths().iter().filter(|p| p.starts_with(&prefix));
    let php = below.filter(|p| [&b".php"[..], b".inc", b".hh"].iter().any(|ext| p.ends_with(ext)));
    php.map(|p| p.to_vec()).collect()
}

#[cfg(test)]
mod tests {
    use super::super::super::memory_tree;
    use super::super::{CONST, FUNCTION};
    use super::*;

    fn resolve_all(files: &[(&str, &str)], imports: &[Import]) -> Vec<Resolution> {
        let map = memory_tree(files);
        let read = |p: &[u8]| map.get(p).cloned();
        let tree = SourceTree::new(map.keys().map(Vec::as_slice), &read);
        let resolver = Resolver::new(&tree);
        imports.iter().map(|i| resolver.resolve(&tree, b"x.php", i)).collect()
    }

    #[test]
    fn resolution_follows_composer() {
        let files = [
            (
                "composer.json",
                r#"{"autoload": {"psr-4": {"Acme\\": "src/Acme/", "Acme\\Shared\\": ["lib/shared/"]},
                    "psr-0": {"Old_": "legacy/"}, "classmap": ["maps/"], "files": ["src/helpers.php"]}}"#,
            ),
            ("src/Acme/Billing/Invoice.php", ""),
            ("lib/shared/Money.php", ""),
            ("src/Acme/Shared/Money.php", ""),
            ("legacy/Old/Thing/Part.php", ""),
            ("maps/x.inc", "<?php namespace Mapped; class Thing {}"),
            ("src/helpers.php", "<?php namespace Acme\\Support; function money() {}"),
            ("vendor/acme/x/composer.json", r#"{"autoload": {"psr-4": {"AcmeVendor\\": "src/"}}}"#),
        ];
        let imports = [
            Import::new(1, "Acme\\Billing\\Invoice"),
            Import::new(1, "Acme\\Shared\\Money"),
            Import::new(1, "Old_Thing_Part"),
            Import::new(1, "Mapped\\Thing"),
            Import { line: 1, spec: "Acme\\Support\\MONEY".into(), names: vec![FUNCTION.into()] },
            Import::new(1, "Acme\\Billing\\Gone"),
            Import { line: 1, spec: "Acme\\Support\\gone".into(), names: vec![FUNCTION.into()] },
            Import { line: 1, spec: "Acme\\LIMIT".into(), names: vec![CONST.into()] },
            Import::new(1, "AcmeVendor\\Client"),
            Import::new(1, "Exception"),
            Import::new(1, "Old_Missing"),
            Import::new(1, "Mapped\\Other"),
        ];
        let want = vec![
            Resolution::file("src/Acme/Billing/Invoice.php"),
            Resolution::file("lib/shared/Money.php"),
            Resolution::file("legacy/Old/Thing/Part.php"),
            Resolution::file("maps/x.inc"),
            Resolution::file("src/helpers.php"),
            Resolution::Unresolved,
            Resolution::Unresolved,
            Resolution::Unresolved,
            Resolution::External,
            Resolution::External,
            Resolution::Unresolved,
            Resolution::Unresolved,
        ];
        assert_eq!(resolve_all(&files, &imports), want);
    }

    #[test]
    fn fallback_prefix_claims_only_existing_top_directories() {
        let files =
            [("composer.json", r#"{"autoload": {"psr-4": {"": "src/"}}}"#), ("src/App/Kernel.php", "")];
        let imports =
            [Import::new(1, "App\\Kernel"), Import::new(1, "App\\Gone"), Import::new(1, "Symfony\\Kernel")];
        let want = vec![Resolution::file("src/App/Kernel.php"), Resolution::Unresolved, Resolution::External];
        assert_eq!(resolve_all(&files, &imports), want);
    }

    #[test]
    fn manifest_deps_name_packages_and_path_repositories() {
        let files = [
            (
                "composer.json",
                "{\n  \"name\": \"acme/app\",\n  \"require\": {\n    \"php\": \">=8.1\",\n    \
                 \"acme/kernel\": \"*\"\n  },\n  \"repositories\": [\n    \
                 {\"type\": \"vcs\", \"url\": \"x\"},\n    {\"type\": \"path\",\n     \
                 \"url\": \"packages/*\"},\n    {\"type\": \"path\", \"url\": \"gone/\"}\n  ]\n}",
            ),
            (
                "packages/kernel/composer.json",
                "{\"name\": \"Acme/Kernel\",\n\"require-dev\": {\"acme/app\": \"*\"}}",
            ),
            ("broken/composer.json", "{\"name\": "),
        ];
        let map = memory_tree(&files);
        let read = |p: &[u8]| map.get(p).cloned();
        let tree = SourceTree::new(map.keys().map(Vec::as_slice), &read);
        let got: Vec<(String, u32, String, Resolution)> = Resolver::new(&tree)
            .manifest_deps(&tree)
            .into_iter()
            .map(|d| (String::from_utf8(d.manifest).unwrap(), d.line, d.name, d.resolution))
            .collect();
        let kernel = Resolution::Internal {
            path: b"packages/kernel/".to_vec(),
            files: vec![b"packages/kernel/composer.json".to_vec()],
        };
        let root = Resolution::Internal { path: Vec::new(), files: vec![b"composer.json".to_vec()] };
        let want = vec![
            ("composer.json".to_owned(), 5, "acme/kernel".to_owned(), kernel.clone()),
            ("composer.json".to_owned(), 10, "packages/*".to_owned(), kernel),
            ("composer.json".to_owned(), 11, "gone/".to_owned(), Resolution::Unresolved),
            ("packages/kernel/composer.json".to_owned(), 2, "acme/app".to_owned(), root),
        ];
        assert_eq!(got, want);
    }
}
