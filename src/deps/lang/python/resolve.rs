//! Resolution: module names looked up in the tree's package roots the
//! way CPython's `PathFinder` looks them up on `sys.path`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::super::{parent, Import, ManifestDep, Resolution, SourceTree};
use super::manifest::{read_pyproject, Declared, DepTarget, PROJECT_FILES};
use super::stdlib::STDLIB;

/// What a module name leads to in one search.
#[derive(Clone, Debug)]
enum Found {
    /// A plain module file (`a/b.py`, `a/b.pyi`).
    Module(Vec<u8>),
    /// A regular package: its `__init__` file and directory.
    Package { init: Vec<u8>, dir: Vec<u8> },
    /// A namespace package (PEP 420): its directories, in search order.
    Namespace(Vec<Vec<u8>>),
}

impl Found {
    /// Where its submodules are looked for (the package's `__path__`).
    fn search(&self) -> &[Vec<u8>] {
        match self {
            Found::Module(_) => &[],
            Found::Package { dir, .. } => std::slice::from_ref(dir),
            Found::Namespace(dirs) => dirs,
        }
    }

    /// False for a namespace package, which any regular module outranks.
    fn is_regular(&self) -> bool {
        !matches!(self, Found::Namespace(_))
    }
}

/// The outcome of looking a module up.
enum Lookup {
    Found(Found),
    External,
    Missing,
}

/// Maps Python imports to files of one tree.
pub struct Resolver {
    /// Package roots (directories put on `sys.path`), sorted; `""` is the tree root.
    roots: Vec<Vec<u8>>,
    /// Project directory (and `""`) → the roots it contributes.
    projects: HashMap<Vec<u8>, Vec<usize>>,
    /// Top-level name → the roots holding a file or directory of that name.
    tops: HashMap<Vec<u8>, Vec<usize>>,
    /// Project directory → its manifest file.
    manifests: BTreeMap<Vec<u8>, Vec<u8>>,
    /// `[project] name`, normalised → project directory.
    names: BTreeMap<String, Vec<u8>>,
    /// Every dependency declaration, in manifest order.
    declared: Vec<Declared>,
}

impl Resolver {
    /// Reads the tree's `pyproject.toml` files once and indexes its package roots.
    pub fn new(tree: &SourceTree<'_>) -> Resolver {
        let mut manifests = BTreeMap::new();
        for file in PROJECT_FILES.iter().rev() {
            for path in tree.named(file) {
                manifests.insert(parent(path).to_vec(), path.to_vec());
            }
        }
        let mut contributed: BTreeMap<Vec<u8>, BTreeSet<Vec<u8>>> = BTreeMap::new();
        contributed.entry(Vec::new()).or_default();
        let (mut names, mut declared) = (BTreeMap::new(), Vec::new());
        for (dir, manifest) in &manifests {
            let roots = contributed.entry(dir.clone()).or_default();
            if manifest.ends_with(b"pyproject.toml") {
                let project = read_pyproject(tree, manifest);
                roots.extend(project.roots.into_iter().filter(|r| r.is_empty() || tree.is_dir(r)));
                if let Some(name) = project.name {
                    names.entry(name).or_insert_with(|| dir.clone());
                }
                declared.extend(project.declared);
            }
        }
        for (dir, roots) in &mut contributed {
            roots.insert(dir.clone());
            let src = child(dir, b"src");
            if tree.is_dir(&src) {
                roots.insert(src);
            }
        }
        let roots: Vec<Vec<u8>> =
            contributed.values().flatten().cloned().collect::<BTreeSet<_>>().into_iter().collect();
        let index = |r: &Vec<u8>| roots.binary_search(r).unwrap_or_default();
        let projects =
            contributed.iter().map(|(d, rs)| (d.clone(), rs.iter().map(index).collect())).collect();
        let tops = top_level_index(tree, &roots);
        Resolver { roots, projects, tops, manifests, names, declared }
    }

    /// Where `import`, found in the file at `from`, leads.
    pub fn resolve(&self, tree: &SourceTree<'_>, from: &[u8], import: &Import) -> Resolution {
        let level = import.spec.bytes().take_while(|&c| c == b'.').count();
        let dotted = &import.spec[level..];
        let lookup = if level == 0 {
            self.absolute(tree, from, dotted)
        } else {
            self.relative(tree, from, level, dotted)
        };
        match lookup {
            Lookup::Found(module) => resolution(tree, &module, &import.names),
            Lookup::External => Resolution::External,
            Lookup::Missing => Resolution::Unresolved,
        }
    }

    /// `a.b.c` from the package roots, in the order `from` sees them. A
    /// regular module anywhere beats namespace directories; the standard
    /// library beats namespace directories too, as it sits on `sys.path`.
    fn absolute(&self, tree: &SourceTree<'_>, from: &[u8], dotted: &str) -> Lookup {
        let mut parts = dotted.split('.');
        let top = parts.next().unwrap_or_default();
        let candidates = self.tops.get(top.as_bytes()).map(Vec::as_slice).unwrap_or_default();
        let dirs = self.ordered_roots(from, candidates);
        let found = find_in(tree, &dirs, top);
        let mut module = match found {
            Some(found) if found.is_regular() => found,
            _ if STDLIB.binary_search(&top).is_ok() => return Lookup::External,
            Some(found) => found,
            None => return Lookup::External,
        };
        for part in parts {
            match find_in(tree, module.search(), part) {
                Some(found) => module = found,
                None => return Lookup::Missing,
            }
        }
        Lookup::Found(module)
    }

    /// `..a.b` from the directory of `from`: one dot is its own package,
    /// each further dot its parent, never above the package root it lies in.
    fn relative(&self, tree: &SourceTree<'_>, from: &[u8], level: usize, dotted: &str) -> Lookup {
        let mut dir = parent(from);
        let mut root = dir;
        while !root.is_empty() && self.roots.binary_search_by(|r| r.as_slice().cmp(root)).is_err() {
            root = parent(root);
        }
        let root_len = root.len();
        let depth = match dir.get(root_len..) {
            Some(b"") | None => 0,
            Some(rel) => rel.iter().filter(|&&c| c == b'/').count() + usize::from(root_len == 0),
        };
        if level > depth {
            return Lookup::Missing;
        }
        for _ in 1..level {
            dir = parent(dir);
        }
        let mut module = package_dir(tree, dir);
        for part in dotted.split('.').filter(|p| !p.is_empty()) {
            match find_in(tree, module.search(), part) {
                Some(found) => module = found,
                None => return Lookup::Missing,
            }
        }
        Lookup::Found(module)
    }

    /// The roots among `candidates` in the order a file at `from` searches
    /// them: its own project's roots (deepest first), then the roots it lies
    /// in (deepest first), then the others in path order.
    fn ordered_roots(&self, from: &[u8], candidates: &[usize]) -> Vec<Vec<u8>> {
        let mut dir = parent(from);
        let own = loop {
            if let Some(own) = self.projects.get(dir) {
                break own.as_slice();
            }
            if dir.is_empty() {
                break &[];
            }
            dir = parent(dir);
        };
        let mut ranked: Vec<(u8, usize, usize)> = candidates
            .iter()
            .map(|&r| {
                let root = &self.roots[r];
                let depth = usize::MAX - root.iter().filter(|&&c| c == b'/').count() - root.len().min(1);
                match (own.contains(&r), within(parent(from), root)) {
                    (true, _) => (0, depth, r),
                    (false, true) => (1, depth, r),
                    (false, false) => (2, 0, r),
                }
            })
            .collect();
        ranked.sort_unstable();
        ranked.into_iter().map(|(_, _, r)| self.roots[r].clone()).collect()
    }

    /// Dependencies the `pyproject.toml` files declare on other projects of
    /// the tree, sorted by (manifest, line).
    pub fn manifest_deps(&self, _tree: &SourceTree<'_>) -> Vec<ManifestDep> {
        let mut deps: Vec<ManifestDep> = self
            .declared
            .iter()
            .filter_map(|d| {
                let dir = match &d.target {
                    DepTarget::Name(name) => self.names.get(name)?,
                    DepTarget::Dir(dir) => dir,
                };
                let manifest = self.manifests.get(dir)?;
                if manifest == &d.manifest {
                    return None;
                }
                let path = if dir.is_empty() { Vec::new() } else { [dir, &b"/"[..]].concat() };
                let resolution = Resolution::Internal { path, files: vec![manifest.clone()] };
                Some(ManifestDep {
                    manifest: d.manifest.clone(),
                    line: d.line,
                    name: d.name.clone(),
                    resolution,
                })
            })
            .collect();
        deps.sort_by(|a, b| (&a.manifest, a.line, &a.name).cmp(&(&b.manifest, b.line, &b.name)));
        deps
    }
}

/// `dir/name` (`name` alone at the root).
fn child(dir: &[u8], name: &[u8]) -> Vec<u8> {
    if dir.is_empty() {
        name.to_vec()
    } else {
        [dir, b"/", name].concat()
    }
}

/// True if `path` is `dir` or lies below it (`""` holds everything).
fn within(path: &[u8], dir: &[u8]) -> bool {
    dir.is_empty() || path.strip_prefix(dir).is_some_and(|rest| rest.is_empty() || rest[0] == b'/')
}

/// The module name a root's child stands for: a directory, or a `.py` or
/// `.pyi` file without its extension.
fn module_name(rel: &[u8]) -> Option<&[u8]> {
    match rel.iter().position(|&c| c == b'/') {
        Some(slash) => Some(&rel[..slash]),
        None => rel.strip_suffix(b".py").or_else(|| rel.strip_suffix(b".pyi")),
    }
}

/// For every root, the top-level names it provides.
fn top_level_index(tree: &SourceTree<'_>, roots: &[Vec<u8>]) -> HashMap<Vec<u8>, Vec<usize>> {
    let mut tops: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
    let paths = tree.paths();
    for (r, root) in roots.iter().enumerate() {
        let prefix = if root.is_empty() { Vec::new() } else { [root, &b"/"[..]].concat() };
        let start = paths.partition_point(|p| *p < prefix.as_slice());
        for path in paths[start..].iter().take_while(|p| p.starts_with(&prefix)) {
            let Some(name) = module_name(&path[prefix.len()..]) else { continue };
            match tops.get_mut(name) {
                Some(rs) if rs.last() == Some(&r) => {}
                Some(rs) => rs.push(r),
                None => {
                    tops.insert(name.to_vec(), vec![r]);
                }
            }
        }
    }
    tops
}

/// Looks `name` up in `dirs` the way CPython's `FileFinder`s and
/// `PathFinder` do: in each directory a package (`name/__init__.py`, then
/// `.pyi`) beats a module (`name.py`, then `.pyi`); the first directory
/// with either wins; otherwise every `name/` directory makes one namespace
/// package.
fn find_in(tree: &SourceTree<'_>, dirs: &[Vec<u8>], name: &str) -> Option<Found> {
    let mut portions = Vec::new();
    for dir in dirs {
        let base = child(dir, name.as_bytes());
        for init in [&b"/__init__.py"[..], b"/__init__.pyi"] {
            let init = [&base, init].concat();
            if tree.is_file(&init) {
                return Some(Found::Package { init, dir: base });
            }
        }
        for ext in [&b".py"[..], b".pyi"] {
            let file = [&base, ext].concat();
            if tree.is_file(&file) {
                return Some(Found::Module(file));
            }
        }
        if tree.is_dir(&base) {
            portions.push(base);
        }
    }
    (!portions.is_empty()).then_some(Found::Namespace(portions))
}

/// The package a directory is: regular if it has an `__init__`, else a
/// namespace package of that one directory.
fn package_dir(tree: &SourceTree<'_>, dir: &[u8]) -> Found {
    for init in [&b"__init__.py"[..], b"__init__.pyi"] {
        let init = child(dir, init);
        if tree.is_file(&init) {
            return Found::Package { init, dir: dir.to_vec() };
        }
    }
    Found::Namespace(vec![dir.to_vec()])
}

/// A file or directory target and the files it stands for.
fn target(tree: &SourceTree<'_>, found: &Found) -> (Vec<u8>, Vec<Vec<u8>>) {
    match found {
        Found::Module(file) | Found::Package { init: file, .. } => (file.clone(), vec![file.clone()]),
        Found::Namespace(dirs) => {
            let files: BTreeSet<Vec<u8>> = dirs
                .iter()
                .flat_map(|d| tree.files_in(d))
                .filter(|f| f.ends_with(b".py") || f.ends_with(b".pyi"))
                .map(<[u8]>::to_vec)
                .collect();
            let path = [dirs.first().map_or(&b""[..], Vec::as_slice), b"/"].concat();
            (path, files.into_iter().collect())
        }
    }
}

/// The resolution of module `module` imported with `names`: a name that
/// is a submodule leads to it, any other name (or `*`) to the module
/// itself. Names leading to different modules (`scan` gives one name per
/// import, so only other callers ask) lead to the package's directory with
/// its own source files, the target a namespace package of that directory
/// would be, so that one path always stands for the same files.
fn resolution(tree: &SourceTree<'_>, module: &Found, names: &[String]) -> Resolution {
    let mut targets = BTreeMap::new();
    for name in names {
        let sub = if name == "*" { None } else { find_in(tree, module.search(), name) };
        let (path, files) = target(tree, sub.as_ref().unwrap_or(module));
        targets.insert(path, files);
    }
    let (path, files) = match targets.len() {
        0 => target(tree, module),
        1 => targets.into_iter().next().unwrap_or_default(),
        _ => target(tree, &Found::Namespace(module.search().to_vec())),
    };
    Resolution::Internal { path, files }
}

#[cfg(test)]
mod tests {
    use super::super::super::memory_tree;
    use super::*;

    /// Resolves `spec` (with `names`) imported from `from` in a tree of `files`.
    fn resolve_in(files: &[(&str, &str)], from: &str, spec: &str, names: &[&str]) -> Resolution {
        let map = memory_tree(files);
        let read = |p: &[u8]| map.get(p).cloned();
        let tree = SourceTree::new(map.keys().map(Vec::as_slice), &read);
        let resolver = Resolver::new(&tree);
        let import =
            Import { line: 1, spec: spec.to_owned(), names: names.iter().map(|n| n.to_string()).collect() };
        resolver.resolve(&tree, from.as_bytes(), &import)
    }

    fn internal(path: &str, files: &[&str]) -> Resolution {
        Resolution::Internal {
            path: path.as_bytes().to_vec(),
            files: files.iter().map(|f| f.as_bytes().to_vec()).collect(),
        }
    }

    const MONO: &[(&str, &str)] = &[
        ("pyproject.toml", "[project]\nname = \"mono\"\n"),
        ("billing/pyproject.toml", "[project]\nname = \"billing\"\n"),
        ("billing/src/billing/__init__.py", ""),
        ("billing/src/billing/models.py", ""),
        ("billing/src/billing/core.py", ""),
        ("billing/tests/test_core.py", ""),
        ("catalog/pyproject.toml", "[tool.setuptools.packages.find]\nwhere = [\"lib\"]\n"),
        ("catalog/lib/catalog/__init__.py", ""),
        ("catalog/lib/catalog/models.py", ""),
        ("catalog/lib/catalog/_speed.pyi", ""),
        ("tools/common/fmt.py", ""),
        ("tools/run.py", ""),
        ("logging/handlers.py", ""),
    ];

    #[test]
    fn absolute_imports() {
        let from = "billing/tests/test_core.py";
        assert_eq!(
            resolve_in(MONO, from, "billing.models", &[]),
            Resolution::file("billing/src/billing/models.py")
        );
        assert_eq!(
            resolve_in(MONO, from, "catalog", &[]),
            Resolution::file("catalog/lib/catalog/__init__.py")
        );
        assert_eq!(
            resolve_in(MONO, from, "catalog._speed", &[]),
            Resolution::file("catalog/lib/catalog/_speed.pyi")
        );
        assert_eq!(
            resolve_in(MONO, from, "tools.common", &[]),
            internal("tools/common/", &["tools/common/fmt.py"])
        );
        assert_eq!(resolve_in(MONO, from, "billing.nothing", &[]), Resolution::Unresolved);
        assert_eq!(resolve_in(MONO, from, "requests", &[]), Resolution::External);
        // A namespace directory does not shadow the standard library.
        assert_eq!(resolve_in(MONO, from, "logging.handlers", &[]), Resolution::External);
    }

    #[test]
    fn from_imports_prefer_submodules() {
        let from = "tools/run.py";
        assert_eq!(
            resolve_in(MONO, from, "billing", &["models"]),
            Resolution::file("billing/src/billing/models.py")
        );
        assert_eq!(
            resolve_in(MONO, from, "billing", &["Invoice"]),
            Resolution::file("billing/src/billing/__init__.py")
        );
        assert_eq!(
            resolve_in(MONO, from, "billing", &["*"]),
            Resolution::file("billing/src/billing/__init__.py")
        );
        assert_eq!(
            resolve_in(MONO, from, "billing", &["models", "Invoice"]),
            internal(
                "billing/src/billing/",
                &[
                    "billing/src/billing/__init__.py",
                    "billing/src/billing/core.py",
                    "billing/src/billing/models.py"
                ]
            )
        );
        assert_eq!(resolve_in(MONO, from, "tools.common", &["fmt"]), Resolution::file("tools/common/fmt.py"));
    }

    #[test]
    fn relative_imports() {
        let from = "billing/src/billing/core.py";
        assert_eq!(
            resolve_in(MONO, from, ".", &["models"]),
            Resolution::file("billing/src/billing/models.py")
        );
        assert_eq!(
            resolve_in(MONO, from, ".models", &["X"]),
            Resolution::file("billing/src/billing/models.py")
        );
        assert_eq!(resolve_in(MONO, from, ".", &["X"]), Resolution::file("billing/src/billing/__init__.py"));
        assert_eq!(resolve_in(MONO, from, ".gone", &["X"]), Resolution::Unresolved);
        // `billing/src` is a package root: nothing lies above the `billing` package.
        assert_eq!(resolve_in(MONO, from, "..", &["billing"]), Resolution::Unresolved);
        assert_eq!(resolve_in(MONO, "tools/common/fmt.py", "..", &["run"]), Resolution::file("tools/run.py"));
        assert_eq!(resolve_in(MONO, "tools/run.py", "..", &["x"]), Resolution::Unresolved);
    }

    #[test]
    fn own_project_root_comes_first() {
        let files = &[
            ("a/pyproject.toml", ""),
            ("a/src/models/__init__.py", ""),
            ("a/app.py", ""),
            ("b/pyproject.toml", ""),
            ("b/models/__init__.py", ""),
            ("b/app.py", ""),
        ];
        assert_eq!(
            resolve_in(files, "a/app.py", "models", &[]),
            Resolution::file("a/src/models/__init__.py")
        );
        assert_eq!(resolve_in(files, "b/app.py", "models", &[]), Resolution::file("b/models/__init__.py"));
    }

    #[test]
    fn manifest_dependencies() {
        let files = &[
            (
                "pyproject.toml",
                "[project]\nname = \"mono\"\n\n[dependency-groups]\ndev = [\n  \"Acme.HTTP>=1\",\n  \
                 { include-group = \"x\" },\n]\n\n[tool.uv.sources]\nacme-http = { workspace = true }\n",
            ),
            (
                "svc/pyproject.toml",
                "[project]\nname = \"svc\"\ndependencies = [\"requests\", \"acme_http[fast] ; python_version>'3'\", \
                 \"svc[x]\"]\n[project.optional-dependencies]\nx = [\n\"mono\"]\n\
                 [tool.poetry.dependencies]\nlib = { path = \"../libs/acme_http\" }\n",
            ),
            ("libs/acme_http/pyproject.toml", "[project]\nname = \"acme-http\"\n"),
            ("broken/pyproject.toml", "[project\nname = "),
        ];
        let map = memory_tree(files);
        let read = |p: &[u8]| map.get(p).cloned();
        let tree = SourceTree::new(map.keys().map(Vec::as_slice), &read);
        let deps = Resolver::new(&tree).manifest_deps(&tree);
        let got: Vec<(&str, u32, &str, Resolution)> = deps
            .iter()
            .map(|d| {
                (std::str::from_utf8(&d.manifest).unwrap(), d.line, d.name.as_str(), d.resolution.clone())
            })
            .collect();
        let lib = internal("libs/acme_http/", &["libs/acme_http/pyproject.toml"]);
        assert_eq!(
            got,
            vec![
                ("pyproject.toml", 6, "Acme.HTTP", lib.clone()),
                ("pyproject.toml", 11, "acme-http", lib.clone()),
                ("svc/pyproject.toml", 3, "acme_http", lib.clone()),
                ("svc/pyproject.toml", 6, "mono", internal("", &["pyproject.toml"])),
                ("svc/pyproject.toml", 8, "lib", lib),
            ]
        );
    }
}
