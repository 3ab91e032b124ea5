//! Resolution: specifiers to files the way Node, TypeScript and esbuild
//! find them, relative ones from the importing file's directory and bare
//! ones through the nearest tsconfig.json, then the workspace members.

use std::collections::{BTreeMap, HashMap};

use crate::ownership::packages::npm_packages;

use super::super::packages::TreeFiles;
use super::super::{join, parent, Import, ManifestDep, Resolution, SourceTree};
use super::builtins::NODE_BUILTINS;
use super::exports::{self, Exported};
use super::tsconfig::{best_rule, load_config, substitute, Config};
use super::workspaces::{split_bare, Member, Workspaces};
use super::REQUIRE;

/// Extensions tried after a specifier, in TypeScript's order (its own
/// sources, then declarations), then the other JavaScript flavours, then
/// JSON.
const PROBE: &[&str] = &[".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".json"];

/// TypeScript's mapping of an emitted file's extension to its sources, so
/// `./a.js` names `a.ts` when only that exists.
const REWRITES: &[(&str, &[&str])] = &[
    (".js", &[".ts", ".tsx", ".d.ts"]),
    (".jsx", &[".ts", ".tsx", ".d.ts"]),
    (".mjs", &[".mts", ".d.mts"]),
    (".cjs", &[".cts", ".d.cts"]),
];

/// package.json fields naming a directory's entry file, in the order tried.
const ENTRY_FIELDS: &[&str] = &["main", "types", "typings"];

/// The `exports` conditions of an `import` (or `export ... from`,
/// `import()`): Node's, with TypeScript's `types` besides, which lets a
/// package point its TypeScript users at its sources. `default` always
/// applies.
const IMPORT_CONDITIONS: &[&str] = &["types", "node", "import"];

/// The conditions of a `require` call.
const REQUIRE_CONDITIONS: &[&str] = &["types", "node", "require"];

/// What esbuild tries when an exported target names an emitted file that
/// is not there: its TypeScript source.
const EXPORT_REWRITES: &[(&str, &[&str])] =
    &[(".js", &[".ts", ".tsx"]), (".jsx", &[".ts", ".tsx"]), (".mjs", &[".mts"]), (".cjs", &[".cts"])];

/// Maps imports of this language to files of one tree. Must be `Send + Sync`
/// (shared by reader threads), built once per tree.
pub struct Resolver {
    /// Directories holding a readable tsconfig.json (or, without one, a
    /// jsconfig.json), with its effective options.
    configs: BTreeMap<Vec<u8>, Config>,
    /// Directories holding a package.json that names entry files.
    entries: BTreeMap<Vec<u8>, Vec<String>>,
    /// Directories holding a package.json with an `exports` map.
    exports: HashMap<Vec<u8>, exports::Value>,
    /// The workspace members of the tree, by name.
    workspaces: Workspaces,
    /// What the package.json files of workspace roots and members declare.
    manifest_deps: Vec<ManifestDep>,
}

impl Resolver {
    /// Reads the tree's configuration files (tsconfig.json, jsconfig.json,
    /// package.json) once.
    pub fn new(tree: &SourceTree<'_>) -> Resolver {
        let mut raw = HashMap::new();
        let mut configs = BTreeMap::new();
        for name in ["tsconfig.json", "jsconfig.json"] {
            for path in tree.named(name) {
                let dir = parent(path).to_vec();
                if configs.contains_key(&dir) {
                    continue;
                }
                if let Some(config) = load_config(tree, path, &mut raw) {
                    configs.insert(dir, config);
                }
            }
        }
        let mut entries = BTreeMap::new();
        let mut exports = HashMap::new();
        for path in tree.named("package.json") {
            let Some(bytes) = tree.read(path) else { continue };
            let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes) else { continue };
            let fields: Vec<String> =
                ENTRY_FIELDS.iter().filter_map(|f| json.get(f)?.as_str().map(str::to_owned)).collect();
            if !fields.is_empty() {
                entries.insert(parent(path).to_vec(), fields);
            }
            if json.get("exports").is_some_and(|e| !e.is_null()) {
                // Read again for the order of its keys, which serde_json's
                // map does not keep.
                #[derive(serde::Deserialize)]
                struct Exports {
                    exports: exports::Value,
                }
                if let Ok(found) = serde_json::from_slice::<Exports>(&bytes) {
                    exports.insert(parent(path).to_vec(), found.exports);
                }
            }
        }
        // A tree that cannot be read has no workspace to resolve through.
        let mut workspaces = Workspaces::new(&npm_packages(&TreeFiles(tree)).unwrap_or_default());
        let manifest_deps = super::manifest::manifest_deps(tree, &workspaces);
        for dep in &manifest_deps {
            if let Resolution::Internal { files, .. } = &dep.resolution {
                let is_manifest =
                    |f: &&Vec<u8>| f.as_slice() == b"package.json" || f.ends_with(b"/package.json");
                if let Some(manifest) = files.first().filter(is_manifest) {
                    workspaces.link(parent(&dep.manifest), &dep.name, parent(manifest));
                }
            }
        }
        Resolver { configs, entries, exports, workspaces, manifest_deps }
    }

    /// Where `import`, found in the file at `from`, leads.
    pub fn resolve(&self, tree: &SourceTree<'_>, from: &[u8], import: &Import) -> Resolution {
        let spec = import.spec.as_str();
        if spec.starts_with("./") || spec.starts_with("../") || spec == "." || spec == ".." {
            return self.relative(tree, parent(from), spec);
        }
        if spec.is_empty() || spec.starts_with('/') {
            // A path outside any checkout names nothing of the tree.
            return Resolution::Unresolved;
        }
        if has_scheme(spec) || NODE_BUILTINS.binary_search(&spec).is_ok() {
            return Resolution::External;
        }
        if let Some(config) = self.config_for(from) {
            if let Some(found) = self.aliased(tree, config, spec) {
                return found;
            }
        }
        if spec.starts_with('#') {
            // A package.json `imports` alias, always the package's own
            // file; those maps are not read yet.
            return Resolution::Unresolved;
        }
        let conditions =
            if import.names.iter().any(|n| n == REQUIRE) { REQUIRE_CONDITIONS } else { IMPORT_CONDITIONS };
        self.workspace_package(tree, parent(from), spec, conditions).unwrap_or(Resolution::External)
    }

    /// Dependencies the package.json of every workspace root and member
    /// declares on packages of the tree, sorted by (manifest, line).
    pub fn manifest_deps(&self, _tree: &SourceTree<'_>) -> Vec<ManifestDep> {
        self.manifest_deps.clone()
    }

    /// A `./` or `../` specifier, from the importing file's directory. A
    /// `?query` (a bundler's loader hint, `./a.svg?raw`) is dropped when the
    /// whole specifier names nothing.
    fn relative(&self, tree: &SourceTree<'_>, dir: &[u8], spec: &str) -> Resolution {
        let found = self.load_spec(tree, dir, spec).or_else(|| {
            let (path, _query) = spec.split_once('?')?;
            self.load_spec(tree, dir, path)
        });
        found.map_or(Resolution::Unresolved, Resolution::file)
    }

    fn load_spec(&self, tree: &SourceTree<'_>, dir: &[u8], spec: &str) -> Option<Vec<u8>> {
        let path = join(dir, spec.as_bytes())?;
        let dir_only = matches!(spec, "." | "..")
            || spec.ends_with('/')
            || spec.ends_with("/.")
            || spec.ends_with("/..");
        self.load(tree, &path, dir_only)
    }

    /// The nearest configuration above the file at `from`.
    fn config_for(&self, from: &[u8]) -> Option<&Config> {
        let mut dir = parent(from);
        loop {
            if let Some(config) = self.configs.get(dir) {
                return Some(config);
            }
            if dir.is_empty() {
                return None;
            }
            dir = parent(dir);
        }
    }

    /// A bare specifier through `paths` or else `baseUrl`, as TypeScript
    /// does: when a `paths` pattern matches, `baseUrl` is not tried. `None`
    /// leaves the specifier to the package lookup.
    fn aliased(&self, tree: &SourceTree<'_>, config: &Config, spec: &str) -> Option<Resolution> {
        if let Some((rules, paths_dir)) = &config.paths {
            if let Some((rule, star)) = best_rule(rules, spec) {
                let base = config.base_url.as_deref().unwrap_or(paths_dir);
                let found = rule.targets.iter().find_map(|target| {
                    let path = substitute(&config.dir, base, target, star)?;
                    self.load(tree, &path, target.ends_with('/'))
                });
                return found.map(Resolution::file);
            }
        }
        let base = config.base_url.as_deref()?;
        let path = join(base, spec.as_bytes())?;
        self.load(tree, &path, spec.ends_with('/')).map(Resolution::file)
    }

    /// A package name (`@acme/ui`, `@acme/ui/button`) through the workspace
    /// members a file in `dir` reaches; `None` when no member has the name.
    /// A member's `exports` decide (Node refuses what they do not export);
    /// without them the subpath is a path in the member's directory, probed
    /// as a relative one. A member whose entry is not in the tree (a build
    /// output) is still the reference's target, as a whole.
    fn workspace_package(
        &self,
        tree: &SourceTree<'_>,
        dir: &[u8],
        spec: &str,
        conditions: &[&str],
    ) -> Option<Resolution> {
        let (name, subpath) = split_bare(spec)?;
        let member = match self.workspaces.member(dir, name)? {
            Member::Dir(d) => d,
            Member::Ambiguous => return Some(Resolution::Unresolved),
        };
        let found = match self.exports.get(member) {
            Some(map) => match exports::resolve(map, &subpath, conditions) {
                Exported::Target(target) => {
                    join(member, target.as_bytes()).and_then(|p| exported_file(tree, &p))
                }
                Exported::Refused => return Some(Resolution::Unresolved),
            },
            None => {
                let path = join(member, subpath.as_bytes())?;
                self.load(tree, &path, subpath == "." || subpath.ends_with('/'))
            }
        };
        Some(found.map_or_else(|| package_dir(member), Resolution::file))
    }

    /// The file `path` names: itself, with an extension, through
    /// TypeScript's extension mapping, or as a directory.
    fn load(&self, tree: &SourceTree<'_>, path: &[u8], dir_only: bool) -> Option<Vec<u8>> {
        if !dir_only {
            if let Some(file) = load_file(tree, path) {
                return Some(file);
            }
        }
        if let Some(fields) = self.entries.get(path) {
            for field in fields {
                let Some(entry) = join(path, field.as_bytes()) else { continue };
                if let Some(file) = load_file(tree, &entry).or_else(|| load_index(tree, &entry)) {
                    return Some(file);
                }
            }
        }
        load_index(tree, path)
    }
}

/// A package of the tree as a whole: its directory, owned as its
/// package.json is.
pub(super) fn package_dir(dir: &[u8]) -> Resolution {
    let path = if dir.is_empty() { Vec::new() } else { [dir, b"/"].concat() };
    Resolution::Internal { path, files: vec![join(dir, b"package.json").unwrap_or_default()] }
}

/// True for URLs and other scheme-prefixed specifiers (`node:fs`,
/// `https://esm.sh/x`, `virtual:pwa`), which no npm package name looks like.
fn has_scheme(spec: &str) -> bool {
    let Some((scheme, _)) = spec.split_once(':') else { return false };
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

fn load_file(tree: &SourceTree<'_>, path: &[u8]) -> Option<Vec<u8>> {
    if path.is_empty() {
        return None;
    }
    if tree.is_file(path) {
        return Some(path.to_vec());
    }
    let with = |ext: &str| -> Option<Vec<u8>> {
        let candidate = [path, ext.as_bytes()].concat();
        tree.is_file(&candidate).then_some(candidate)
    };
    if let Some(file) = PROBE.iter().find_map(|ext| with(ext)) {
        return Some(file);
    }
    let (emitted, sources) = REWRITES.iter().find(|(ext, _)| path.ends_with(ext.as_bytes()))?;
    let stem = &path[..path.len() - emitted.len()];
    sources.iter().find_map(|ext| {
        let candidate = [stem, ext.as_bytes()].concat();
        tree.is_file(&candidate).then_some(candidate)
    })
}

/// An exported target: the file itself, or the TypeScript source of the
/// emitted file it names.
fn exported_file(tree: &SourceTree<'_>, path: &[u8]) -> Option<Vec<u8>> {
    if tree.is_file(path) {
        return Some(path.to_vec());
    }
    let (emitted, sources) = EXPORT_REWRITES.iter().find(|(ext, _)| path.ends_with(ext.as_bytes()))?;
    let stem = &path[..path.len() - emitted.len()];
    sources.iter().map(|ext| [stem, ext.as_bytes()].concat()).find(|c| tree.is_file(c))
}

fn load_index(tree: &SourceTree<'_>, dir: &[u8]) -> Option<Vec<u8>> {
    let stem = if dir.is_empty() { b"index".to_vec() } else { [dir, b"/index"].concat() };
    PROBE.iter().find_map(|ext| {
        let candidate = [stem.as_slice(), ext.as_bytes()].concat();
        tree.is_file(&candidate).then_some(candidate)
    })
}

#[cfg(test)]
mod tests {
    use super::super::super::memory_tree;
    use super::*;

    fn with_tree<R>(files: &[(&str, &str)], f: impl FnOnce(&SourceTree<'_>, &Resolver) -> R) -> R {
        let files = memory_tree(files);
        let read = |p: &[u8]| files.get(p).cloned();
        let tree = SourceTree::new(files.keys().map(Vec::as_slice), &read);
        let resolver = Resolver::new(&tree);
        f(&tree, &resolver)
    }

    fn resolve(tree: &SourceTree<'_>, r: &Resolver, from: &str, spec: &str) -> Resolution {
        r.resolve(tree, from.as_bytes(), &Import::new(1, spec))
    }

    #[test]
    fn relative_specifiers() {
        let files = [
            ("src/a.js", ""),
            ("src/a.ts", ""),
            ("src/b.ts", ""),
            ("src/c.d.ts", ""),
            ("src/m.mts", ""),
            ("src/dir/index.tsx", ""),
            ("src/pkg/package.json", r#"{"main": "./lib/entry.js"}"#),
            ("src/pkg/lib/entry.ts", ""),
            ("src/pkg/index.ts", ""),
            ("src/gone/package.json", r#"{"main": "./missing.js", "types": "./t.d.ts"}"#),
            ("src/gone/t.d.ts", ""),
            ("src/logo.svg", ""),
            ("index.ts", ""),
        ];
        with_tree(&files, |tree, r| {
            let at = |spec: &str| resolve(tree, r, "src/main.ts", spec);
            assert_eq!(at("./a.js"), Resolution::file("src/a.js"));
            assert_eq!(at("./a"), Resolution::file("src/a.ts"));
            assert_eq!(at("./b.js"), Resolution::file("src/b.ts"));
            assert_eq!(at("./c.js"), Resolution::file("src/c.d.ts"));
            assert_eq!(at("./m.mjs"), Resolution::file("src/m.mts"));
            assert_eq!(at("./dir"), Resolution::file("src/dir/index.tsx"));
            assert_eq!(at("./dir/"), Resolution::file("src/dir/index.tsx"));
            assert_eq!(at("./pkg"), Resolution::file("src/pkg/lib/entry.ts"));
            assert_eq!(at("./gone"), Resolution::file("src/gone/t.d.ts"));
            assert_eq!(at("./logo.svg"), Resolution::file("src/logo.svg"));
            assert_eq!(at("./logo.svg?raw"), Resolution::file("src/logo.svg"));
            assert_eq!(at(".."), Resolution::file("index.ts"));
            assert_eq!(at("../index"), Resolution::file("index.ts"));
            assert_eq!(at("./nothing"), Resolution::Unresolved);
            assert_eq!(at("../../above"), Resolution::Unresolved);
            assert_eq!(at("/abs/path"), Resolution::Unresolved);
            assert_eq!(at(""), Resolution::Unresolved);
        });
    }

    #[test]
    fn bare_specifiers_and_builtins() {
        let files = [("fs/index.ts", ""), ("tsconfig.json", r#"{"compilerOptions": {"baseUrl": "."}}"#)];
        with_tree(&files, |tree, r| {
            for spec in ["fs", "node:fs", "node:test", "fs/promises", "react", "@acme/ui", "lodash/chunk"] {
                assert_eq!(resolve(tree, r, "a.ts", spec), Resolution::External, "{spec}");
            }
            assert_eq!(resolve(tree, r, "a.ts", "https://esm.sh/react"), Resolution::External);
            assert_eq!(resolve(tree, r, "a.ts", "#internal/x"), Resolution::Unresolved);
        });
    }

    #[test]
    fn tsconfig_paths_and_base_url() {
        let base = r#"{
  // comments and trailing commas
  "compilerOptions": {
    "baseUrl": "./src", /* the base */
    "paths": {
      "@a/*": ["a/*"],
      "@a/x/*": ["x/*", "y/*",],
      "exact": ["e/index.ts"],
      "cfg/*": ["${configDir}/cfg/*"],
    },
  },
}"#;
        let files = [
            ("tsconfig.base.json", base),
            ("app/tsconfig.json", r#"{"extends": "../tsconfig.base"}"#),
            ("app/cfg/k.ts", ""),
            ("app/main.ts", ""),
            ("src/a/one.ts", ""),
            ("src/y/two.ts", ""),
            ("src/e/index.ts", ""),
            ("src/lib/three.js", ""),
            ("src/a/missing/index.ts", ""),
            ("other/tsconfig.json", "{ not json"),
        ];
        with_tree(&files, |tree, r| {
            let at = |spec: &str| resolve(tree, r, "app/main.ts", spec);
            assert_eq!(at("@a/one"), Resolution::file("src/a/one.ts"));
            assert_eq!(at("@a/x/two"), Resolution::file("src/y/two.ts"));
            assert_eq!(at("exact"), Resolution::file("src/e/index.ts"));
            assert_eq!(at("lib/three"), Resolution::file("src/lib/three.js"));
            assert_eq!(at("cfg/k"), Resolution::file("app/cfg/k.ts"));
            // A matched pattern with no file is left to the package lookup.
            assert_eq!(at("@a/x/none"), Resolution::External);
            // No configuration above `other/` parses: no aliases there.
            assert_eq!(resolve(tree, r, "other/m.ts", "@a/one"), Resolution::External);
            assert_eq!(resolve(tree, r, "main.ts", "@a/one"), Resolution::External);
        });
    }

    #[test]
    fn paths_without_base_url_and_extends_cycles() {
        let files = [
            ("tsconfig.json", r#"{"extends": ["./a.json", "./b.json"], "compilerOptions": {}}"#),
            ("a.json", r#"{"extends": "./b.json", "compilerOptions": {"paths": {"~/*": ["./pkg/*"]}}}"#),
            ("b.json", r#"{"extends": "./a.json"}"#),
            ("pkg/x.ts", ""),
            ("jsconfig.json", r#"{"compilerOptions": {"paths": {"~/*": ["./nowhere/*"]}}}"#),
        ];
        with_tree(&files, |tree, r| {
            assert_eq!(resolve(tree, r, "src/m.ts", "~/x"), Resolution::file("pkg/x.ts"));
        });
    }

    #[test]
    fn workspace_package_names() {
        let files = [
            ("package.json", r#"{"name": "acme", "workspaces": ["packages/*", "!packages/legacy"]}"#),
            (
                "packages/ui/package.json",
                r#"{"name": "@acme/ui", "exports": {
                    ".": {"types": "./src/index.ts", "default": "./dist/index.js"},
                    "./button": {"import": "./src/button.js", "require": "./src/button.cjs"},
                    "./icons/*": "./src/icons/*.tsx",
                    "./internal/*": null,
                    "./built": "./dist/built.js"
                }}"#,
            ),
            ("packages/ui/src/index.ts", ""),
            ("packages/ui/src/button.ts", ""),
            ("packages/ui/src/button.cjs", ""),
            ("packages/ui/src/icons/arrow.tsx", ""),
            ("packages/ui/src/internal/x.ts", ""),
            ("packages/utils/package.json", r#"{"name": "shared-utils", "main": "lib/main.js"}"#),
            ("packages/utils/lib/main.ts", ""),
            ("packages/utils/lib/fmt/index.js", ""),
            ("packages/dist-only/package.json", r#"{"name": "dist-only", "main": "dist/index.js"}"#),
            ("packages/legacy/package.json", r#"{"name": "legacy"}"#),
            ("packages/legacy/index.js", ""),
            ("vendor/kit/package.json", r#"{"name": "@acme/kit"}"#),
            ("vendor/kit/index.js", ""),
            (
                "tsconfig.json",
                r#"{"compilerOptions": {"paths": {"@acme/ui/aliased": ["./packages/utils/lib/main.ts"]}}}"#,
            ),
        ];
        with_tree(&files, |tree, r| {
            let at = |spec: &str| resolve(tree, r, "apps/web/main.ts", spec);
            let required = |spec: &str| {
                r.resolve(
                    tree,
                    b"apps/web/main.ts",
                    &Import { names: vec![REQUIRE.into()], ..Import::new(1, spec) },
                )
            };
            assert_eq!(at("@acme/ui"), Resolution::file("packages/ui/src/index.ts"));
            assert_eq!(at("@acme/ui/button"), Resolution::file("packages/ui/src/button.ts"));
            assert_eq!(required("@acme/ui/button"), Resolution::file("packages/ui/src/button.cjs"));
            assert_eq!(at("@acme/ui/icons/arrow"), Resolution::file("packages/ui/src/icons/arrow.tsx"));
            assert_eq!(at("@acme/ui/internal/x"), Resolution::Unresolved);
            assert_eq!(at("@acme/ui/src/index.ts"), Resolution::Unresolved);
            assert_eq!(at("@acme/ui/built"), package_dir(b"packages/ui"));
            assert_eq!(at("@acme/ui/aliased"), Resolution::file("packages/utils/lib/main.ts"));
            assert_eq!(at("shared-utils"), Resolution::file("packages/utils/lib/main.ts"));
            assert_eq!(at("shared-utils/lib/fmt"), Resolution::file("packages/utils/lib/fmt/index.js"));
            assert_eq!(at("shared-utils/nothing"), package_dir(b"packages/utils"));
            assert_eq!(at("dist-only"), package_dir(b"packages/dist-only"));
            assert_eq!(
                at("dist-only"),
                Resolution::Internal {
                    path: b"packages/dist-only/".to_vec(),
                    files: vec![b"packages/dist-only/package.json".to_vec()]
                }
            );
            // Not members: registry packages.
            for spec in ["legacy", "@acme/kit", "@acme/ui-kit", "@acme", "acme", "react"] {
                assert_eq!(at(spec), Resolution::External, "{spec}");
            }
        });
    }

    #[test]
    fn names_dependencies_link() {
        let files = [
            ("pnpm-workspace.yaml", "packages: [apps/*, libs/*]"),
            (
                "apps/api/package.json",
                r#"{"dependencies": {"logger": "workspace:@acme/log@*", "gen": "link:../../tools/gen",
                    "pkg": "file:../../tools/gen-1.0.0.tgz"}}"#,
            ),
            ("libs/log/package.json", r#"{"name": "@acme/log", "main": "index.js"}"#),
            ("libs/log/index.js", ""),
            ("tools/gen/package.json", r#"{"name": "gen-tool"}"#),
            ("tools/gen/index.js", ""),
            ("tools/gen-1.0.0.tgz", ""),
        ];
        with_tree(&files, |tree, r| {
            assert_eq!(
                resolve(tree, r, "apps/api/src/a.ts", "logger"),
                Resolution::file("libs/log/index.js")
            );
            assert_eq!(resolve(tree, r, "apps/api/src/a.ts", "gen"), Resolution::file("tools/gen/index.js"));
            assert_eq!(
                resolve(tree, r, "apps/api/src/a.ts", "@acme/log"),
                Resolution::file("libs/log/index.js")
            );
            assert_eq!(resolve(tree, r, "apps/api/src/a.ts", "pkg"), Resolution::External);
            // Another package does not see what this one links.
            assert_eq!(resolve(tree, r, "libs/log/a.ts", "logger"), Resolution::External);
            assert_eq!(resolve(tree, r, "libs/log/a.ts", "gen-tool"), Resolution::External);
        });
    }
}
