//! The model of a tree: components, the units other code imports from
//! them, and their files with what to write into each. The tree shapes
//! fill it in and the writers read it, so that a file's imports can name
//! units laid out anywhere in the tree. Dependencies between components
//! and the manifest of who owns what are derived from it here too.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::synth::Rng;

use super::words::lognormal;

/// A language `deps` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Lang {
    Go,
    Ts,
    Py,
    Php,
    Rust,
    Java,
    Kotlin,
}

impl Lang {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Lang::Go => "go",
            Lang::Ts => "ts",
            Lang::Py => "python",
            Lang::Php => "php",
            Lang::Rust => "rust",
            Lang::Java => "java",
            Lang::Kotlin => "kotlin",
        }
    }

    /// Java and Kotlin code import each other's classes: one family.
    pub(super) fn family(self) -> Lang {
        match self {
            Lang::Kotlin => Lang::Java,
            other => other,
        }
    }

    /// The language of a file by its extension, as `deps` tells them.
    pub(super) fn of(path: &str) -> Option<Lang> {
        let name = path.rsplit('/').next().unwrap_or(path);
        match name.rsplit_once('.')?.1 {
            "go" => Some(Lang::Go),
            "ts" | "tsx" | "js" | "jsx" | "mjs" | "cjs" | "mts" | "cts" => Some(Lang::Ts),
            "py" | "pyi" => Some(Lang::Py),
            "php" => Some(Lang::Php),
            "rs" => Some(Lang::Rust),
            "java" => Some(Lang::Java),
            "kt" | "kts" => Some(Lang::Kotlin),
            _ => None,
        }
    }
}

/// A whole tree: components, the files outside them, the manifest's shape.
#[derive(Default)]
pub(super) struct Model {
    /// Team names.
    pub(super) teams: Vec<String>,
    pub(super) comps: Vec<Comp>,
    /// Files outside every component: root build files, docs, CI.
    pub(super) root: Vec<FileSpec>,
    /// What `shared.paths` lists.
    pub(super) shared: Vec<String>,
}

/// One component: a Go module, an npm package, a Python project, a PHP
/// module or framework component, a crate.
#[derive(Default)]
pub(super) struct Comp {
    pub(super) lang: Option<Lang>,
    pub(super) name: String,
    pub(super) root: String,
    /// The owning team; `None` for unowned or shared components.
    pub(super) team: Option<usize>,
    /// The globs its team claims it with.
    pub(super) globs: Vec<String>,
    /// How other code names it: Go module path, npm package name, Python
    /// package, PHP namespace, Rust crate name.
    pub(super) ns: String,
    /// Earlier components of its language it depends on, its team's first.
    pub(super) same_team: Vec<usize>,
    pub(super) other_team: Vec<usize>,
    pub(super) units: Vec<Unit>,
    /// Units other components import.
    pub(super) public: Vec<usize>,
    pub(super) files: Vec<FileSpec>,
    pub(super) taken: HashSet<String>,
    /// Median size of its source files.
    pub(super) median: f64,
    /// TypeScript: its tsconfig maps `@/*` to `src/*`. Rust: it depends on
    /// siblings through `workspace = true` rather than `path`.
    pub(super) alias: bool,
    /// PHP: the tests' directory and namespace.
    pub(super) tests: Option<(String, String)>,
}

/// Something code imports: a Go package, a TS/Python/Rust module, a PHP class.
#[derive(Default)]
pub(super) struct Unit {
    /// Go import path, TS module path below `src/` without extension,
    /// dotted Python module, PHP class name, Rust module path below the
    /// crate (`""` for the crate root).
    pub(super) name: String,
    /// Its file (a Go package: its directory).
    pub(super) path: String,
    /// Names it exports.
    pub(super) items: Vec<String>,
    /// Re-exported units (TS barrels), submodules (Rust, Python packages).
    pub(super) children: Vec<usize>,
    pub(super) public: bool,
    /// TS: an `index.ts` that only re-exports.
    pub(super) barrel: bool,
    /// TS: the CSS module its component imports.
    pub(super) companion: Option<String>,
}

/// A file of the tree and what to write into it.
pub(super) struct FileSpec {
    pub(super) path: String,
    pub(super) content: Content,
}

#[derive(Clone, Copy)]
pub(super) enum Content {
    /// Hand-written source. `unit` is what it defines (a Go file: its
    /// package; a test: what it tests); `None` for entry points, scripts
    /// and configuration in code.
    Source { unit: Option<usize>, test: bool },
    /// Generated source of about `size` bytes (protobuf, GraphQL types,
    /// tables; past `deps`' limit for the giants).
    Generated { unit: Option<usize>, size: usize },
    /// Source that is data (PHP locale tables): no imports.
    Data(usize),
    /// A build manifest or configuration file written from the model.
    Config(Config),
    /// Not source, of about `size` bytes.
    Doc(Doc, usize),
    /// Fixed text.
    Fixed(&'static str),
}

#[derive(Clone, Copy)]
pub(super) enum Config {
    GoMod,
    GoWork,
    PackageJson,
    RootPackageJson,
    PnpmWorkspace,
    Tsconfig,
    TsconfigBase,
    Pyproject,
    RootPyproject,
    /// A framework component's `composer.json`.
    Composer,
    /// The polyglot tree's application `php/composer.json`.
    AppComposer,
    RootComposer,
    CargoToml,
    CargoWorkspace,
    /// A Gradle subproject's `build.gradle.kts`.
    GradleBuild,
    /// The root `settings.gradle.kts`.
    GradleSettings,
}

#[derive(Clone, Copy)]
pub(super) enum Doc {
    Markdown,
    Json,
    Yaml,
    Css,
    Svg,
    Png,
    Sql,
    Proto,
    Snapshot,
    Twig,
    Xliff,
    Xml,
    Rst,
    Text,
    Shell,
    Dockerfile,
    Makefile,
    Lock(Lock),
}

#[derive(Clone, Copy)]
pub(super) enum Lock {
    GoSum,
    Pnpm,
    Cargo,
    Uv,
    Composer,
}

/// A size for a file of kind `doc`, like such files run.
fn doc_size(doc: Doc, r: &mut Rng) -> usize {
    let (median, sigma, lo, hi) = match doc {
        Doc::Markdown | Doc::Rst => (2_500.0, 0.9, 200, 60_000),
        Doc::Json => (1_200.0, 1.1, 60, 300_000),
        Doc::Yaml | Doc::Xml => (1_200.0, 0.7, 100, 30_000),
        Doc::Css | Doc::Twig => (1_400.0, 0.7, 100, 30_000),
        Doc::Svg => (1_800.0, 1.0, 200, 80_000),
        Doc::Png => (6_000.0, 1.0, 300, 400_000),
        Doc::Sql | Doc::Proto => (2_500.0, 0.8, 200, 40_000),
        Doc::Snapshot => (3_000.0, 1.0, 200, 120_000),
        Doc::Xliff => (5_000.0, 0.8, 500, 80_000),
        Doc::Text | Doc::Shell | Doc::Dockerfile | Doc::Makefile => (800.0, 0.8, 20, 12_000),
        Doc::Lock(Lock::GoSum) => (6_000.0, 0.8, 500, 60_000),
        Doc::Lock(_) => (300_000.0, 0.3, 100_000, 1_000_000),
    };
    lognormal(r, median, sigma, lo, hi)
}

impl Comp {
    pub(super) fn new(lang: Lang, name: &str, root: String, team: Option<usize>, median: f64) -> Comp {
        Comp {
            lang: Some(lang),
            name: name.to_string(),
            globs: vec![format!("{root}/**")],
            root,
            team,
            median,
            ..Comp::default()
        }
    }

    pub(super) fn add(&mut self, path: String, content: Content) {
        self.taken.insert(path.clone());
        self.files.push(FileSpec { path, content });
    }

    pub(super) fn source(&mut self, path: String, unit: Option<usize>, test: bool) {
        self.add(path, Content::Source { unit, test });
    }

    pub(super) fn doc(&mut self, path: String, doc: Doc, r: &mut Rng) {
        let size = doc_size(doc, r);
        self.add(path, Content::Doc(doc, size));
    }

    /// `stem`, or `stem2`, `stem3`...: the first with no file `dir/<it><ext>` yet.
    pub(super) fn fresh(&self, dir: &str, stem: &str, ext: &str) -> String {
        let mut k = 1;
        let mut s = stem.to_string();
        while self.taken.contains(&format!("{dir}/{s}{ext}")) {
            k += 1;
            s = format!("{stem}{k}");
        }
        s
    }

    pub(super) fn unit(&mut self, name: String, path: String, items: Vec<String>, public: bool) -> usize {
        self.units.push(Unit { name, path, items, public, ..Unit::default() });
        let u = self.units.len() - 1;
        if public {
            self.public.push(u);
        }
        u
    }
}

/// `n` names made by `f`.
pub(super) fn names(r: &mut Rng, lo: usize, hi: usize, f: fn(&mut Rng) -> String) -> Vec<String> {
    let n = r.range(lo, hi);
    (0..n).map(|_| f(r)).collect()
}

/// Splits `total` files over `count` components by a power law (a few
/// big ones, a long tail); the first, the hub, is among the biggest.
pub(super) fn split_budget(r: &mut Rng, count: usize, total: f64) -> Vec<usize> {
    let mut ranks: Vec<usize> = (0..count).collect();
    r.shuffle(&mut ranks);
    if let Some(at) = ranks.iter().position(|&k| k == 2) {
        ranks.swap(0, at);
    }
    let weights: Vec<f64> = ranks.iter().map(|&k| 1.0 / (1.0 + k as f64).powf(0.8)).collect();
    let sum: f64 = weights.iter().sum();
    weights.iter().map(|w| ((total * w / sum) as usize).max(30)).collect()
}

/// Each component depends on a few earlier ones of its language (Java and
/// Kotlin count as one): up to two
/// of its team's, the hub, and one to three of other teams'.
pub(super) fn assign_deps(m: &mut Model, r: &mut Rng) {
    for i in 0..m.comps.len() {
        let (lang, team) = (m.comps[i].lang, m.comps[i].team);
        let family = lang.map(Lang::family);
        let earlier: Vec<usize> = (0..i)
            .filter(|&j| m.comps[j].lang.map(Lang::family) == family && !m.comps[j].public.is_empty())
            .collect();
        let Some(&hub) = earlier.first() else { continue };
        let same: Vec<usize> =
            earlier.iter().copied().filter(|&j| team.is_some() && m.comps[j].team == team).collect();
        let other: Vec<usize> = earlier.iter().copied().filter(|&j| m.comps[j].team != team).collect();
        let mut deps = std::collections::BTreeSet::new();
        for _ in 0..same.len().min(2) {
            deps.insert(*r.pick(&same));
        }
        if m.comps[hub].team != team {
            deps.insert(hub);
        }
        for _ in 0..other.len().min(r.range(1, 4)) {
            deps.insert(*r.pick(&other));
        }
        let (same, other) = deps.into_iter().partition(|&j| team.is_some() && m.comps[j].team == team);
        (m.comps[i].same_team, m.comps[i].other_team) = (same, other);
    }
}

/// `ownership.yaml`: every team claims its components by path globs;
/// shared files are listed; components with no team are left unowned
/// (`tools/`) or covered by `shared` (the PHP contracts).
pub(super) fn ownership_yaml(m: &Model) -> String {
    let mut y = String::from("# Generated by benches/support/sources/.\nversion: 1\nmonolith:\n  refs: [main]\nshared:\n  paths:\n");
    for p in &m.shared {
        w!(y, "    - \"{p}\"\n");
    }
    y.push_str("teams:\n");
    for (t, name) in m.teams.iter().enumerate() {
        let globs: Vec<&String> =
            m.comps.iter().filter(|c| c.team == Some(t)).flat_map(|c| &c.globs).collect();
        if globs.is_empty() {
            continue;
        }
        w!(
            y,
            "  {name}:\n    description: \"The {name} team\"\n    owners: [\"@acme/{name}\"]\n    paths:\n"
        );
        for g in globs {
            w!(y, "      - \"{g}\"\n");
        }
    }
    y.push_str("policy:\n  unowned: warn\n  overlap: warn\n");
    y
}
