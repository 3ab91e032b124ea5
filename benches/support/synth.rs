//! A deterministic synthetic monolith for benchmarks.
//!
//! [`ensure`] returns a bare repository shaped like a company monolith:
//! Gradle services (`svc-<name>/src/main/java/com/acme/<name>/...`), npm
//! packages (`web/packages/<name>`, named `@acme/<name>`), Cargo crates
//! (`libs/<name>`), Go modules (`go/<name>`), root build files, docs, CI
//! workflows, executables and a few symlinks. Its history starts with one
//! commit holding the bulk of the tree; every later commit adds, modifies,
//! deletes or renames a few files, mostly inside one component, and a share
//! of the commits are merges of topic branches (some spanning components).
//!
//! The repository is written as a `git fast-import` stream, so generation
//! costs about what fast-import takes to compress and deltify the objects;
//! then a commit-graph is written, as `git gc` keeps one in a looked-after
//! repository. With [`Params::repack`] the pack is then rewritten by
//! `git repack`, as a clone or a server's maintenance would (see there).
//! Everything derives from [`Params`] through a small built-in PRNG: the
//! same parameters give the same commit ids on any machine. Repositories are
//! cached under `target/bench-repos/<params-hash>/` (built in a temporary
//! directory, then renamed into place) and reused by later runs.
//! [`Synth::write_manifest`] writes an `ownership.yaml` for the repository
//! with any number of teams.

// Each bench target uses a different part of this module.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Bumped whenever the output for given [`Params`] changes, so that cached
/// repositories made by an older generator are not reused.
pub const GENERATOR_VERSION: u32 = 4;

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Components: services, web packages, crates and Go modules.
    pub components: usize,
    /// Files in the tree of `main` at the end (met to within a few files).
    pub files: usize,
    /// Commits reachable from `main`: the initial one, topic-branch commits
    /// and merges included.
    pub commits: usize,
    /// About this fraction of the commits are merges of a topic branch.
    pub merge_fraction: f64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Repack with `git repack -a -d -F` after fast-import. fast-import
    /// deltifies each blob against the blob written just before it,
    /// whatever its path, and its own documentation asks for a repack
    /// afterwards; a repository people work in holds the deltas git's
    /// `pack-objects` chose (mostly a file against an earlier version of
    /// itself), since that is what clones, pushes and `git gc` write.
    pub repack: bool,
}

impl Default for Params {
    /// A 100k-file tree with a short history: the `plan` benchmark's input.
    fn default() -> Params {
        Params { components: 60, files: 100_000, commits: 300, merge_fraction: 0.1, seed: 1, repack: false }
    }
}

impl Params {
    /// A long history over a mid-sized tree: 70k commits, 14k files,
    /// packed by git.
    pub fn long_history() -> Params {
        Params { components: 60, files: 14_000, commits: 70_000, merge_fraction: 0.1, seed: 2, repack: true }
    }

    /// The scale run: 300k commits over a 100k-file tree.
    #[allow(dead_code)]
    pub fn scale() -> Params {
        Params {
            components: 60,
            files: 100_000,
            commits: 300_000,
            merge_fraction: 0.1,
            seed: 3,
            repack: false,
        }
    }

    /// Everything the output depends on, generator version included.
    /// (`repack` is named only when set, so that the repositories cached
    /// before it existed keep their names.)
    fn key(&self) -> String {
        format!(
            "v{GENERATOR_VERSION} components={} files={} commits={} merge_fraction={} seed={}{}",
            self.components,
            self.files,
            self.commits,
            self.merge_fraction,
            self.seed,
            if self.repack { " repack" } else { "" }
        )
    }

    /// A stable hash of [`key`](Self::key): the cache directory's name.
    pub fn hash(&self) -> String {
        format!("{:016x}", fnv1a(self.key().as_bytes()))
    }
}

/// FNV-1a: stable across Rust versions, unlike `DefaultHasher`.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// SplitMix64: tiny, fast and good enough for shaping test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift rather than modulo.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo)
    }

    /// Uniform in `[0, 1)`.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// A uniformly chosen element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// Fisher-Yates.
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            xs.swap(i, self.below(i + 1));
        }
    }
}

/// The ecosystem of a component, which fixes its layout and package manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `svc-<name>/`: Gradle project, Java package `com.acme.<name>`.
    Service,
    /// `web/packages/<name>/`: npm package `@acme/<name>`.
    Web,
    /// `libs/<name>/`: Cargo package `<name>`.
    Lib,
    /// `go/<name>/`: Go module `github.com/acme/<name>`.
    Go,
}

/// One component of the monolith.
#[derive(Clone, Debug)]
pub struct Component {
    /// A lowercase identifier, unique in the monolith.
    pub name: String,
    /// Its ecosystem.
    pub kind: Kind,
    /// Its directory.
    pub root: String,
    /// Its share of the files, relative to the other components.
    pub weight: f64,
    /// True when it holds a symlink at `<root>/gradlew` or `<root>/LICENSE`.
    pub symlink: bool,
}

impl Component {
    /// The package reference that resolves to this component, with its kind prefix.
    pub fn package_ref(&self) -> String {
        match self.kind {
            Kind::Service => format!("jvm:com.acme.{}", self.name),
            Kind::Web => format!("npm:@acme/{}", self.name),
            Kind::Lib => format!("cargo:{}", self.name),
            Kind::Go => format!("go:github.com/acme/{}", self.name),
        }
    }

    fn symlink_path(&self) -> Option<(String, &'static str)> {
        if !self.symlink {
            return None;
        }
        Some(match self.kind {
            Kind::Service => (format!("{}/gradlew", self.root), "../gradlew"),
            Kind::Web => (format!("{}/LICENSE", self.root), "../../../LICENSE"),
            Kind::Lib | Kind::Go => (format!("{}/LICENSE", self.root), "../../LICENSE"),
        })
    }
}

/// Domain words: component names, team names, file and directory names.
pub(crate) const WORDS: &[&str] = &[
    "account",
    "admin",
    "affiliate",
    "analytics",
    "audit",
    "auth",
    "badge",
    "banner",
    "batch",
    "billing",
    "cart",
    "catalog",
    "cert",
    "chat",
    "checkout",
    "community",
    "coupon",
    "course",
    "device",
    "email",
    "event",
    "export",
    "feed",
    "forum",
    "gateway",
    "geo",
    "importer",
    "invoice",
    "ledger",
    "lecture",
    "locale",
    "media",
    "mentor",
    "notify",
    "order",
    "partner",
    "payment",
    "pricing",
    "profile",
    "quiz",
    "ranking",
    "recommend",
    "refund",
    "report",
    "review",
    "roadmap",
    "scheduler",
    "search",
    "seo",
    "session",
    "shipping",
    "sitemap",
    "support",
    "survey",
    "tax",
    "ticket",
    "upload",
    "video",
    "wishlist",
    "inventory",
    "campaign",
    "onboarding",
    "settlement",
    "subscription",
];

/// Directory names below a component's source roots.
pub(crate) const DIR_WORDS: &[&str] = &[
    "api",
    "core",
    "domain",
    "model",
    "service",
    "repository",
    "controller",
    "dto",
    "mapper",
    "config",
    "util",
    "internal",
    "impl",
    "support",
    "validation",
    "security",
    "persistence",
    "web",
    "job",
    "client",
    "event",
    "handler",
    "adapter",
    "port",
    "infra",
    "common",
    "view",
    "components",
    "hooks",
    "store",
    "pages",
    "layout",
    "styles",
    "assets",
    "icons",
    "fixtures",
    "helpers",
    "v1",
    "v2",
    "legacy",
    "query",
    "command",
    "schema",
    "migration",
    "templates",
    "i18n",
    "db",
    "cache",
    "metrics",
    "worker",
    "queue",
];

/// Class-name suffixes for Java files.
const JAVA_SUFFIXES: &[&str] = &[
    "Service",
    "Controller",
    "Repository",
    "Mapper",
    "Dto",
    "Config",
    "Handler",
    "Client",
    "Util",
    "Factory",
    "Validator",
    "Event",
    "Listener",
    "Request",
    "Response",
    "Entity",
    "Policy",
    "Job",
];

/// Words of the filler text that blob contents are cut from.
const FILLER_WORDS: &[&str] = &[
    "return", "if", "else", "for", "let", "const", "value", "result", "items", "count", "name", "id",
    "request", "response", "null", "true", "false", "context", "error", "map", "list", "config", "user",
    "order", "price", "total", "index", "node", "next", "state", "props", "data", "key", "=", "+", "==",
    "&&", "||", "(", ")", "{", "}", ";", ",", ".get()", ".build()", "new", "this", "self", "async", "await",
];

/// Team-name words for the generated manifest.
const TEAM_WORDS: &[&str] = &[
    "platform",
    "growth",
    "commerce",
    "learning",
    "content",
    "identity",
    "data",
    "mobile",
    "search",
    "payments",
    "infra",
    "partners",
    "community",
    "media",
    "insights",
    "marketing",
    "support",
    "trust",
    "catalog",
    "checkout",
    "creator",
    "enterprise",
    "billing",
    "social",
];

/// The components for `params`: names, kinds, sizes. Drawn from a random
/// stream of their own, so the manifest can be made without generating the
/// repository.
pub fn components(params: &Params) -> Vec<Component> {
    let mut rng = Rng::new(params.seed ^ 0xc0ff_ee00_0000_0001);
    let mut words: Vec<&str> = WORDS.to_vec();
    rng.shuffle(&mut words);
    let mut taken = HashSet::new();
    let mut out = Vec::with_capacity(params.components);
    // Sizes follow a power law (a few huge components, a long tail); the
    // ranks are shuffled so size does not follow name or kind.
    let mut ranks: Vec<usize> = (0..params.components).collect();
    rng.shuffle(&mut ranks);
    for i in 0..params.components {
        let mut name = if i < words.len() {
            words[i].to_string()
        } else {
            format!("{}{}", words[i % words.len()], words[(i / words.len() + i) % words.len()])
        };
        while !taken.insert(name.clone()) {
            name.push_str(rng.pick::<&str>(&["x", "v", "z"]));
        }
        // The first component is a service, so the first team's `exclude`
        // (of generated Java) has something to exclude.
        let kind = if i == 0 {
            Kind::Service
        } else {
            match rng.below(100) {
                0..45 => Kind::Service,
                45..70 => Kind::Web,
                70..85 => Kind::Lib,
                _ => Kind::Go,
            }
        };
        let root = match kind {
            Kind::Service => format!("svc-{name}"),
            Kind::Web => format!("web/packages/{name}"),
            Kind::Lib => format!("libs/{name}"),
            Kind::Go => format!("go/{name}"),
        };
        let weight = 1.0 / (1.0 + ranks[i] as f64).powf(0.8);
        out.push(Component { name, kind, root, weight, symlink: i % 10 == 5 });
    }
    out
}

/// How file names of a pool are spelled.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Naming {
    /// `OrderService.java`.
    Java,
    /// `OrderServiceTest.java`.
    JavaTest,
    /// `orderCart.ts`.
    Camel,
    /// `order_cart.rs`.
    Snake,
    /// `order-cart.md`.
    Kebab,
    /// `OrderCart.php`.
    Pascal,
}

/// A directory subtree of a component that ordinary files go into.
#[derive(Clone, Debug)]
pub(crate) struct Pool {
    /// The subtree's root.
    base: String,
    /// Its directories, `base` first.
    dirs: Vec<String>,
    /// Share of the component's files.
    share: f64,
    /// Extensions, picked uniformly.
    exts: &'static [&'static str],
    naming: Naming,
    /// Files are executable (scripts).
    exec: bool,
}

pub(crate) fn pool(
    base: String,
    share: f64,
    exts: &'static [&'static str],
    naming: Naming,
    exec: bool,
) -> Pool {
    Pool { dirs: vec![base.clone()], base, share, exts, naming, exec }
}

/// The file subtrees of a component.
fn pools(c: &Component) -> Vec<Pool> {
    let r = &c.root;
    let n = &c.name;
    match c.kind {
        Kind::Service => vec![
            pool(format!("{r}/src/main/java/com/acme/{n}"), 0.68, &["java"], Naming::Java, false),
            pool(format!("{r}/src/test/java/com/acme/{n}"), 0.22, &["java"], Naming::JavaTest, false),
            pool(
                format!("{r}/src/main/resources"),
                0.08,
                &["yml", "sql", "properties", "xml"],
                Naming::Kebab,
                false,
            ),
            pool(format!("{r}/scripts"), 0.02, &["sh"], Naming::Kebab, true),
        ],
        Kind::Web => vec![
            pool(format!("{r}/src"), 0.75, &["ts", "tsx", "tsx", "scss"], Naming::Camel, false),
            pool(format!("{r}/test"), 0.15, &["ts"], Naming::Camel, false),
            pool(format!("{r}/public"), 0.10, &["svg", "json", "html"], Naming::Kebab, false),
        ],
        Kind::Lib => vec![
            pool(format!("{r}/src"), 0.80, &["rs"], Naming::Snake, false),
            pool(format!("{r}/tests"), 0.12, &["rs"], Naming::Snake, false),
            pool(format!("{r}/examples"), 0.05, &["rs"], Naming::Snake, false),
            pool(format!("{r}/benches"), 0.03, &["rs"], Naming::Snake, false),
        ],
        Kind::Go => vec![
            pool(format!("{r}/internal"), 0.55, &["go"], Naming::Snake, false),
            pool(format!("{r}/pkg"), 0.30, &["go"], Naming::Snake, false),
            pool(format!("{r}/cmd/{n}"), 0.05, &["go"], Naming::Snake, false),
            pool(format!("{r}/testdata"), 0.10, &["json", "txt"], Naming::Kebab, false),
        ],
    }
}

/// The root's file subtrees: docs and CI are shared in the manifest, `tools/`
/// is owned by nobody (the benchmark's unowned files).
fn root_pools() -> Vec<Pool> {
    vec![
        pool("docs".into(), 0.6, &["md"], Naming::Kebab, false),
        pool(".github/workflows".into(), 0.1, &["yml"], Naming::Kebab, false),
        pool("tools".into(), 0.3, &["sh", "py"], Naming::Kebab, true),
    ]
}

/// Package manifests and other files ops never touch (so they stay
/// parseable), with their content and mode.
fn component_specials(c: &Component) -> Vec<(String, Vec<u8>, &'static str)> {
    let r = &c.root;
    let n = &c.name;
    let mut out =
        vec![(format!("{r}/README.md"), format!("# {n}\n\nOwned by the {n} team.\n").into_bytes(), "100644")];
    match c.kind {
        Kind::Service => {
            let gradle =
                format!("plugins {{ id 'java' }}\n\ngroup = 'com.acme'\ndescription = '{n} service'\n");
            out.push((format!("{r}/build.gradle"), gradle.into_bytes(), "100644"));
            let info = format!("/** The {n} service. */\npackage com.acme.{n};\n");
            out.push((
                format!("{r}/src/main/java/com/acme/{n}/package-info.java"),
                info.into_bytes(),
                "100644",
            ));
        }
        Kind::Web => {
            let json = format!(
                "{{\n  \"name\": \"@acme/{n}\",\n  \"version\": \"1.0.0\",\n  \"private\": true,\n  \"main\": \"src/index.ts\"\n}}\n"
            );
            out.push((format!("{r}/package.json"), json.into_bytes(), "100644"));
        }
        Kind::Lib => {
            let toml = format!(
                "[package]\nname = \"{n}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n"
            );
            out.push((format!("{r}/Cargo.toml"), toml.into_bytes(), "100644"));
        }
        Kind::Go => {
            let gomod =
                format!("module github.com/acme/{n}\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n");
            out.push((format!("{r}/go.mod"), gomod.into_bytes(), "100644"));
        }
    }
    if let Some((path, target)) = c.symlink_path() {
        out.push((path, target.as_bytes().to_vec(), "120000"));
    }
    out
}

/// The root build files.
fn root_specials(comps: &[Component]) -> Vec<(String, Vec<u8>, &'static str)> {
    let mut settings = String::from("rootProject.name = 'acme'\n\n");
    for c in comps.iter().filter(|c| c.kind == Kind::Service) {
        let _ = writeln!(settings, "include '{}'", c.root);
    }
    let text = |s: &str| s.as_bytes().to_vec();
    vec![
        ("settings.gradle".into(), settings.into_bytes(), "100644"),
        ("build.gradle".into(), text("allprojects { repositories { mavenCentral() } }\n"), "100644"),
        ("gradlew".into(), text("#!/bin/sh\nexec java -jar gradle/wrapper/gradle-wrapper.jar \"$@\"\n"), "100755"),
        (
            "gradle/wrapper/gradle-wrapper.properties".into(),
            text("distributionUrl=https\\://services.gradle.org/distributions/gradle-8.7-bin.zip\n"),
            "100644",
        ),
        ("Cargo.toml".into(), text("[workspace]\nmembers = [\"libs/*\"]\nresolver = \"2\"\n"), "100644"),
        (
            "package.json".into(),
            text("{\n  \"name\": \"acme-monorepo\",\n  \"private\": true,\n  \"workspaces\": [\"web/packages/*\"]\n}\n"),
            "100644",
        ),
        ("README.md".into(), text("# Acme monolith\n"), "100644"),
        ("LICENSE".into(), text("Proprietary. All rights reserved.\n"), "100644"),
        (".gitignore".into(), text("target/\nbuild/\nnode_modules/\n"), "100644"),
    ]
}

/// Grows `pool.dirs` to `count` directories, at most `max_depth` below the
/// base: each new directory is a child of a uniformly chosen existing one,
/// which gives the bushy-near-the-top shape of real source trees.
pub(crate) fn grow_dirs(rng: &mut Rng, pool: &mut Pool, count: usize, max_depth: usize) {
    let mut seen: HashSet<String> = pool.dirs.iter().cloned().collect();
    let base_depth = pool.base.matches('/').count();
    let mut attempts = count * 20;
    while pool.dirs.len() < count && attempts > 0 {
        attempts -= 1;
        let parent = rng.pick(&pool.dirs).clone();
        if parent.matches('/').count() - base_depth >= max_depth {
            continue;
        }
        let dir = format!("{parent}/{}", rng.pick(DIR_WORDS));
        if seen.insert(dir.clone()) {
            pool.dirs.push(dir);
        }
    }
}

pub(crate) fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// A file name in a pool's style (not checked for uniqueness).
fn file_name(rng: &mut Rng, p: &Pool) -> String {
    let a = rng.pick(WORDS);
    let b = rng.pick(DIR_WORDS);
    let ext = rng.pick(p.exts);
    match p.naming {
        Naming::Java => format!("{}{}{}.java", capitalize(a), capitalize(b), rng.pick(JAVA_SUFFIXES)),
        Naming::JavaTest => format!("{}{}{}Test.java", capitalize(a), capitalize(b), rng.pick(JAVA_SUFFIXES)),
        Naming::Camel if *ext == "tsx" => format!("{}{}.{ext}", capitalize(a), capitalize(b)),
        Naming::Camel => format!("{a}{}.{ext}", capitalize(b)),
        Naming::Snake => format!("{a}_{b}.{ext}"),
        Naming::Kebab => format!("{a}-{b}.{ext}"),
        Naming::Pascal => format!("{}{}.{ext}", capitalize(a), capitalize(b)),
    }
}

/// A blob size: mostly small source files, a tail up to 64 KiB.
pub(crate) fn file_size(rng: &mut Rng) -> usize {
    match rng.below(100) {
        0..70 => rng.range(80, 2_500),
        70..92 => rng.range(2_500, 10_000),
        92..99 => rng.range(10_000, 32_000),
        _ => rng.range(32_000, 65_536),
    }
}

/// Size of the text that blob contents are sliced from; the largest blob
/// must fit in it.
const FILLER_LEN: usize = 256 << 10;

/// Code-like lines of random words: compresses like source code does.
pub(crate) fn filler(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::with_capacity(FILLER_LEN + 128);
    while out.len() < FILLER_LEN {
        out.resize(out.len() + 4 * rng.below(5), b' ');
        for i in 0..rng.range(2, 10) {
            if i > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(rng.pick(FILLER_WORDS).as_bytes());
        }
        out.push(b'\n');
    }
    out.truncate(FILLER_LEN);
    out
}

/// The content of an ordinary file: enough to write its bytes again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Content {
    /// Which file (kept across renames, so a renamed file keeps its bytes).
    uid: u32,
    version: u32,
    size: u32,
}

/// A live file that ops may touch.
#[derive(Clone, Debug)]
struct File {
    path: String,
    content: Content,
    exec: bool,
    /// Index into `Gen::comps`.
    comp: u32,
    /// Index into that component's `files`.
    pos: u32,
}

impl File {
    fn mode(&self) -> &'static str {
        if self.exec {
            "100755"
        } else {
            "100644"
        }
    }
}

/// A component while the history is written: its pools and live files.
pub(crate) struct Live {
    pub(crate) name: String,
    pub(crate) pools: Vec<Pool>,
    /// Slab indexes of its ordinary files.
    pub(crate) files: Vec<u32>,
}

/// What a topic branch did to each path it touched: `None` deleted, else
/// (mode, content) of its final version.
type Touched = BTreeMap<String, Option<(&'static str, Content)>>;

/// A topic branch: forked from `main`, later merged back.
struct Branch {
    /// Which `refs/heads/topic/<slot>` it uses (slots are reused).
    slot: usize,
    /// Components it alone may touch until merged.
    comps: Vec<usize>,
    /// Commits still to make on it.
    left: usize,
    /// Its tip's mark.
    tip: u32,
    touched: Touched,
    topic: String,
}

/// Counts of what was generated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Files in the tree of `main`.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// Commits reachable from `main`.
    pub commits: usize,
    /// Of which merges.
    pub merges: usize,
    /// Wall-clock seconds the generation took (when this repository was built).
    pub seconds: f64,
}

/// Writes the fast-import stream while keeping a model of `main`'s tree.
///
/// Blobs are written `inline` in the commits, so no blob needs a mark: a
/// file's content is a function of (uid, version, size) and can be written
/// again where a merge needs it. fast-import deltifies each blob against the
/// one before it in the stream, whatever its path; [`Params::repack`] has
/// git choose the deltas again.
///
/// Merges stay conflict-free by construction: while a topic branch is open,
/// the components it touches are reserved for it, so `main` and the branch
/// change disjoint sets of paths and the merge result is `main` plus the
/// branch's final version of each path it touched (written again; fast-import
/// stores an identical blob once).
pub(crate) struct Gen<W: Write> {
    rng: Rng,
    out: W,
    filler: Vec<u8>,
    next_mark: u32,
    next_uid: u32,
    time: u64,
    /// Ordinary files; `None` marks a free slot.
    slab: Vec<Option<File>>,
    free: Vec<u32>,
    /// Every live path, ordinary or not, so new names never collide.
    paths: HashSet<String>,
    /// The components, then the root as one more.
    comps: Vec<Live>,
    reserved: Vec<bool>,
    /// Files and bytes in `main`'s tree once all open branches are merged.
    live_files: usize,
    live_bytes: u64,
    /// While a branch commit is written: what the branch touched so far.
    touched: Option<Touched>,
    main_tip: u32,
    commits: usize,
    merges: usize,
}

const AUTHORS: &[(&str, &str)] = &[
    ("Ada Park", "ada"),
    ("Bo Chen", "bo"),
    ("Carla Diaz", "carla"),
    ("Dmitri Ivanov", "dmitri"),
    ("Eun-ji Kim", "eunji"),
    ("Femi Adeyemi", "femi"),
    ("Grace Liu", "grace"),
    ("Hiro Tanaka", "hiro"),
    ("Ines Moreau", "ines"),
    ("Jonas Berg", "jonas"),
    ("Kavya Rao", "kavya"),
    ("Luca Rossi", "luca"),
];

const VERBS: &[&str] =
    &["fix", "add", "refactor", "remove", "rename", "tune", "document", "test", "bump", "simplify"];

impl<W: Write> Gen<W> {
    /// A generator writing to `out`, drawing from `rng`, over `comps`.
    pub(crate) fn new(rng: Rng, out: W, filler: Vec<u8>, comps: Vec<Live>) -> Gen<W> {
        let n = comps.len();
        Gen {
            rng,
            out,
            filler,
            next_mark: 1,
            next_uid: 0,
            time: 1_500_000_000,
            slab: Vec::new(),
            free: Vec::new(),
            paths: HashSet::new(),
            comps,
            reserved: vec![false; n],
            live_files: 0,
            live_bytes: 0,
            touched: None,
            main_tip: 0,
            commits: 0,
            merges: 0,
        }
    }

    /// Starts the initial commit on `main`; its files follow.
    pub(crate) fn begin_initial(&mut self, msg: &str) -> io::Result<()> {
        self.main_tip = self.begin_commit("refs/heads/main", None, None, msg)?;
        Ok(())
    }

    /// Writes a file ops never touch (a package manifest, a symlink).
    pub(crate) fn put_special(&mut self, path: &str, data: &[u8], mode: &str) -> io::Result<()> {
        self.put_parts(path, mode, data, &[])?;
        self.paths.insert(path.to_string());
        self.live_files += 1;
        self.live_bytes += data.len() as u64;
        Ok(())
    }

    /// Fills component `c` with `count` files of the initial commit, spread
    /// over its pools by share, about 12 a directory.
    pub(crate) fn seed_component(&mut self, c: usize, count: usize) -> io::Result<()> {
        for p in 0..self.comps[c].pools.len() {
            let pool_files = ((count as f64 * self.comps[c].pools[p].share).round() as usize).max(1);
            // About 12 files a directory, at most 4 levels below the base.
            let mut pool = self.comps[c].pools[p].clone();
            grow_dirs(&mut self.rng, &mut pool, pool_files.div_ceil(12), 4);
            self.comps[c].pools[p] = pool;
            for _ in 0..pool_files {
                let dir = self.rng.pick(&self.comps[c].pools[p].dirs).clone();
                let (path, exec) = self.unique_in(&dir, p, c);
                let size = file_size(&mut self.rng);
                self.add_at(c, path, exec, size)?;
            }
        }
        Ok(())
    }

    /// Ends the initial commit.
    pub(crate) fn end_initial(&mut self) -> io::Result<()> {
        self.out.write_all(b"\n")
    }

    /// Files in `main`'s tree once all open branches are merged.
    pub(crate) fn live_files(&self) -> usize {
        self.live_files
    }

    /// A commit on `main` making one change in each of `comps`: a
    /// cross-cutting change (a coding-standard fix, a renamed interface).
    fn wide_commit(&mut self, comps: &[usize], grow: bool) -> io::Result<()> {
        let verb = *self.rng.pick(VERBS);
        let msg = format!("{verb} across {} components\n", comps.len());
        self.main_tip = self.begin_commit("refs/heads/main", None, None, &msg)?;
        for &c in comps {
            self.change(c, grow)?;
        }
        self.out.write_all(b"\n")
    }

    /// `M` with inline data made of a head and a tail (the tail is a filler
    /// slice, written without copying).
    fn put_parts(&mut self, path: &str, mode: &str, head: &[u8], tail: &[u8]) -> io::Result<()> {
        write!(self.out, "M {mode} inline {path}\ndata {}\n", head.len() + tail.len())?;
        self.out.write_all(head)?;
        self.out.write_all(tail)?;
        self.out.write_all(b"\n")
    }

    /// `M` for an ordinary file: a header line naming the file and version
    /// (so every version is a distinct blob) and a slice of the filler
    /// chosen by them. Recorded for the open branch, if any.
    fn put(&mut self, path: &str, mode: &'static str, c: Content) -> io::Result<()> {
        let head = format!("// file {} r{}\n", c.uid, c.version);
        let want = (c.size as usize).saturating_sub(head.len()).min(FILLER_LEN);
        let at = (fnv1a(head.as_bytes()) as usize) % (FILLER_LEN - want + 1);
        let filler = std::mem::take(&mut self.filler);
        let result = self.put_parts(path, mode, head.as_bytes(), &filler[at..at + want]);
        self.filler = filler;
        if let Some(t) = &mut self.touched {
            t.insert(path.to_string(), Some((mode, c)));
        }
        result
    }

    /// `D`, recorded for the open branch, if any.
    fn delete_cmd(&mut self, path: &str) -> io::Result<()> {
        writeln!(self.out, "D {path}")?;
        if let Some(t) = &mut self.touched {
            t.insert(path.to_string(), None);
        }
        Ok(())
    }

    /// A fresh path in `comp`: a random pool (by share) and directory.
    fn new_path(&mut self, comp: usize) -> (String, bool) {
        let live = &self.comps[comp];
        let mut r = self.rng.f64();
        let mut p = live.pools.len() - 1;
        for (i, pool) in live.pools.iter().enumerate() {
            if r < pool.share {
                p = i;
                break;
            }
            r -= pool.share;
        }
        let pool = &live.pools[p];
        let dir = self.rng.pick(&pool.dirs).clone();
        self.unique_in(&dir, p, comp)
    }

    /// A name in `dir` that no live file has, in pool `p`'s style, and
    /// whether the pool's files are executable.
    fn unique_in(&mut self, dir: &str, p: usize, comp: usize) -> (String, bool) {
        let pool = &self.comps[comp].pools[p];
        let exec = pool.exec;
        for attempt in 0.. {
            let mut name = file_name(&mut self.rng, pool);
            if attempt >= 4 {
                // Crowded directory: disambiguate like people do (`Foo2.java`).
                let dot = name.find('.').unwrap_or(name.len());
                name.insert_str(dot, &attempt.to_string());
            }
            let path = format!("{dir}/{name}");
            if !self.paths.contains(&path) {
                return (path, exec);
            }
        }
        unreachable!("the attempt number makes the name unique eventually")
    }

    /// Adds an ordinary file to `comp` at a fresh path.
    fn add(&mut self, comp: usize) -> io::Result<()> {
        let (path, exec) = self.new_path(comp);
        let size = file_size(&mut self.rng);
        self.add_at(comp, path, exec, size)
    }

    fn add_at(&mut self, comp: usize, path: String, exec: bool, size: usize) -> io::Result<()> {
        let content = Content { uid: self.next_uid, version: 0, size: size as u32 };
        self.next_uid += 1;
        let pos = self.comps[comp].files.len() as u32;
        let file = File { path: path.clone(), content, exec, comp: comp as u32, pos };
        self.put(&path, file.mode(), content)?;
        self.paths.insert(path);
        let id = match self.free.pop() {
            Some(id) => {
                self.slab[id as usize] = Some(file);
                id
            }
            None => {
                self.slab.push(Some(file));
                (self.slab.len() - 1) as u32
            }
        };
        self.comps[comp].files.push(id);
        self.live_files += 1;
        self.live_bytes += size as u64;
        Ok(())
    }

    fn file(&self, id: u32) -> &File {
        self.slab[id as usize].as_ref().expect("live file")
    }

    /// Rewrites a file with a new version of about the same size.
    fn modify(&mut self, id: u32) -> io::Result<()> {
        let f = self.file(id).clone();
        let old = f.content;
        let size = ((old.size as f64 * (0.8 + 0.45 * self.rng.f64())) as u32).clamp(16, 65_536);
        let new = Content { version: old.version + 1, size, ..old };
        self.put(&f.path, f.mode(), new)?;
        self.live_bytes = self.live_bytes - old.size as u64 + size as u64;
        self.slab[id as usize].as_mut().expect("live file").content = new;
        Ok(())
    }

    fn delete(&mut self, id: u32) -> io::Result<()> {
        let f = self.slab[id as usize].take().expect("live file");
        self.free.push(id);
        let files = &mut self.comps[f.comp as usize].files;
        files.swap_remove(f.pos as usize);
        if let Some(&moved) = files.get(f.pos as usize) {
            self.slab[moved as usize].as_mut().expect("live file").pos = f.pos;
        }
        self.paths.remove(&f.path);
        self.live_files -= 1;
        self.live_bytes -= f.content.size as u64;
        self.delete_cmd(&f.path)
    }

    /// Renames a file within its directory, or moves it to another directory
    /// of its component, content unchanged.
    fn rename(&mut self, id: u32) -> io::Result<()> {
        let f = self.file(id).clone();
        let comp = f.comp as usize;
        let (new, _) = if self.rng.chance(0.6) {
            let dir = f.path[..f.path.rfind('/').expect("files live in directories")].to_string();
            // The pool holding the directory, to keep its naming style.
            let p = self.comps[comp].pools.iter().position(|p| dir.starts_with(p.base.as_str())).unwrap_or(0);
            self.unique_in(&dir, p, comp)
        } else {
            self.new_path(comp)
        };
        writeln!(self.out, "R {} {new}", f.path)?;
        if let Some(t) = &mut self.touched {
            t.insert(f.path.clone(), None);
            t.insert(new.clone(), Some((f.mode(), f.content)));
        }
        self.paths.remove(&f.path);
        self.paths.insert(new.clone());
        self.slab[id as usize].as_mut().expect("live file").path = new;
        Ok(())
    }

    /// One random change inside `comp`. `grow` says whether the tree is
    /// below its planned size (so adds should outnumber deletes).
    fn change(&mut self, comp: usize, grow: bool) -> io::Result<()> {
        let n = self.comps[comp].files.len();
        let (p_add, p_delete) = if grow { (0.22, 0.04) } else { (0.04, 0.22) };
        let r = self.rng.f64();
        // Small components only grow, so none is ever emptied.
        if n < 4 || r < p_add {
            return self.add(comp);
        }
        let id = self.comps[comp].files[self.rng.below(n)];
        if r < p_add + p_delete {
            self.delete(id)
        } else if r < p_add + p_delete + 0.06 {
            self.rename(id)
        } else {
            self.modify(id)
        }
    }

    /// A component no open branch holds, or `None` if all are held.
    fn free_comp(&mut self) -> Option<usize> {
        for _ in 0..64 {
            let c = self.rng.below(self.comps.len());
            if !self.reserved[c] {
                return Some(c);
            }
        }
        (0..self.comps.len()).find(|&c| !self.reserved[c])
    }

    /// `first` and up to `extra` more free components.
    fn more_comps(&mut self, first: usize, extra: usize) -> Vec<usize> {
        let mut out = vec![first];
        for _ in 0..extra {
            if let Some(c) = self.free_comp().filter(|c| !out.contains(c)) {
                out.push(c);
            }
        }
        out
    }

    /// A whole ordinary commit: a message naming `comps`, then 1 to 6
    /// changes (mostly 1–3), 80% of them in `comps[0]`.
    fn change_commit(
        &mut self,
        refname: &str,
        from: Option<u32>,
        comps: &[usize],
        grow: bool,
    ) -> io::Result<u32> {
        let scope: Vec<&str> = comps.iter().map(|&c| self.comps[c].name.as_str()).collect();
        let scope = scope.join(", ");
        let verb = *self.rng.pick(VERBS);
        let noun = capitalize(self.rng.pick::<&str>(WORDS)) + *self.rng.pick(JAVA_SUFFIXES);
        let mark = self.begin_commit(refname, from, None, &format!("{scope}: {verb} {noun}\n"))?;
        let n = 1 + (self.rng.below(6) * self.rng.below(6)) / 5;
        for _ in 0..n {
            let c = if comps.len() > 1 && self.rng.chance(0.2) {
                comps[1 + self.rng.below(comps.len() - 1)]
            } else {
                comps[0]
            };
            self.change(c, grow)?;
        }
        self.out.write_all(b"\n")?;
        Ok(mark)
    }

    /// Writes a commit's header; its file commands follow, then a blank line.
    fn begin_commit(
        &mut self,
        refname: &str,
        from: Option<u32>,
        merge: Option<u32>,
        msg: &str,
    ) -> io::Result<u32> {
        let mark = self.next_mark;
        self.next_mark += 1;
        self.time += self.rng.range(60, 4 * 3600) as u64;
        let (name, login) = *self.rng.pick(AUTHORS);
        let who = format!("{name} <{login}@acme.example> {} +0000", self.time);
        write!(
            self.out,
            "commit {refname}\nmark :{mark}\nauthor {who}\ncommitter {who}\ndata {}\n{msg}\n",
            msg.len()
        )?;
        if let Some(f) = from {
            writeln!(self.out, "from :{f}")?;
        }
        if let Some(m) = merge {
            writeln!(self.out, "merge :{m}")?;
        }
        self.commits += 1;
        Ok(mark)
    }

    /// Merges `b` into `main`: its final version of every path it touched.
    fn merge(&mut self, b: Branch) -> io::Result<()> {
        let msg = format!("Merge branch '{}'\n", b.topic);
        self.main_tip = self.begin_commit("refs/heads/main", None, Some(b.tip), &msg)?;
        for (path, state) in &b.touched {
            match *state {
                Some((mode, c)) => self.put(path, mode, c)?,
                // A path the branch added and removed again is not in
                // `main`; fast-import ignores such a `D`.
                None => self.delete_cmd(path)?,
            }
        }
        self.out.write_all(b"\n")?;
        self.merges += 1;
        for &c in &b.comps {
            self.reserved[c] = false;
        }
        Ok(())
    }
}

/// Writes the whole history of `params` as a fast-import stream into `out`.
fn write_stream<W: Write>(params: &Params, out: W) -> io::Result<Stats> {
    let comps = components(params);
    let mut rng = Rng::new(params.seed);
    let filler = filler(&mut rng);
    let mut lives: Vec<Live> =
        comps.iter().map(|c| Live { name: c.name.clone(), pools: pools(c), files: Vec::new() }).collect();
    // The root directory's own files act as one more component.
    lives.push(Live { name: "build".into(), pools: root_pools(), files: Vec::new() });
    let n = lives.len();
    let mut g = Gen::new(rng, out, filler, lives);

    // The initial commit: package manifests, root files, then the bulk.
    g.begin_initial("Import the monolith\n")?;
    let mut specials = root_specials(&comps);
    for c in &comps {
        specials.extend(component_specials(c));
    }
    for (path, data, mode) in &specials {
        g.put_special(path, data, mode)?;
    }
    // Later commits add about 0.3 files each (net), up to a tenth of the
    // tree; the rest is there from the start.
    let growth = (params.files / 10).min(params.commits * 3 / 10);
    let initial = params.files.saturating_sub(growth).saturating_sub(specials.len());
    let root_files = (params.files / 2000).max(20);
    let comp_files = initial.saturating_sub(root_files);
    let total_weight: f64 = comps.iter().map(|c| c.weight).sum();
    for c in 0..n {
        let count = if c == comps.len() {
            root_files
        } else {
            ((comp_files as f64 * comps[c].weight / total_weight).round() as usize).max(4)
        };
        g.seed_component(c, count)?;
        // Code generators' output, which one team's manifest excludes.
        if c < comps.len() && comps[c].kind == Kind::Service {
            let base = g.comps[c].pools[0].base.clone();
            for i in 0..1 + g.rng.below(3) {
                let name = format!("{base}/{}Schema{i}.generated.java", capitalize(&comps[c].name));
                let size = file_size(&mut g.rng);
                g.add_at(c, name, false, size)?;
            }
        }
    }
    g.end_initial()?;
    evolve(
        &mut g,
        &History {
            commits: params.commits,
            files: params.files,
            merge_fraction: params.merge_fraction,
            wide: None,
        },
    )
}

/// The shape of the history [`evolve`] writes after the initial commit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct History {
    /// Commits reachable from `main` at the end, the initial one included.
    pub(crate) commits: usize,
    /// Files in the tree of `main` at the end (met to within a few files).
    pub(crate) files: usize,
    /// About this fraction of the commits are merges of a topic branch.
    pub(crate) merge_fraction: f64,
    /// This fraction of the commits on `main` touch many components at
    /// once, between the two counts given.
    pub(crate) wide: Option<(f64, usize, usize)>,
}

/// Writes the commits after the initial one: changes mostly inside one
/// component, topic branches merged back, and the final `done`.
pub(crate) fn evolve<W: Write>(g: &mut Gen<W>, h: &History) -> io::Result<Stats> {
    // The tree grows linearly from its initial size to a few files over the
    // target, so that random deletes near the end rarely leave it short.
    let initial_files = g.live_files;
    let target = h.files + 6;
    let mut open: Vec<Branch> = Vec::new();
    let mut free_slots: Vec<usize> = Vec::new();
    let mut next_slot = 0;
    let mut topics = 0;
    let f = h.merge_fraction;
    while g.commits < h.commits {
        let budget = h.commits - g.commits;
        let planned = initial_files + target.saturating_sub(initial_files) * g.commits / h.commits;
        let grow = g.live_files < planned;
        // The last commits merge whatever is still open; a finished branch
        // is merged soon, not at once.
        if budget <= open.len() {
            let b = open.remove(0);
            free_slots.push(b.slot);
            g.merge(b)?;
            continue;
        }
        if let Some(i) = open.iter().position(|b| b.left == 0) {
            if g.rng.chance(0.5) {
                let b = open.remove(i);
                free_slots.push(b.slot);
                g.merge(b)?;
                continue;
            }
        }
        // Branches are opened whenever merges (done and due) fall behind
        // the requested fraction, so it is met however long branches stay
        // open; at most 4 are open at a time.
        let behind = ((g.merges + open.len()) as f64) < f * (g.commits + 1) as f64;
        if behind && open.len() < 4 && budget > open.len() + 2 && g.rng.chance(0.5) {
            if let Some(first) = g.free_comp() {
                // A topic branch: 70% within one component, else 2–4.
                let extra = if g.rng.chance(0.7) { 0 } else { g.rng.range(1, 4) };
                let comps = g.more_comps(first, extra);
                for &c in &comps {
                    g.reserved[c] = true;
                }
                let slot = free_slots.pop().unwrap_or_else(|| {
                    next_slot += 1;
                    next_slot - 1
                });
                topics += 1;
                let topic = format!("topic/{}-{topics}", g.comps[comps[0]].name);
                g.touched = Some(Touched::new());
                let refname = format!("refs/heads/topic/{slot}");
                let tip = g.change_commit(&refname, Some(g.main_tip), &comps, grow)?;
                let touched = g.touched.take().expect("set above");
                let left = g.rng.below(5);
                open.push(Branch { slot, comps, left, tip, touched, topic });
                continue;
            }
        }
        // Branch commits come at about the rate branches need them (each
        // wants 2 on average after its first).
        let branch_turn = g.rng.chance((3.0 * f).min(0.5));
        if let (true, Some(i)) = (branch_turn, open.iter().position(|b| b.left > 0)) {
            g.touched = Some(std::mem::take(&mut open[i].touched));
            let comps = open[i].comps.clone();
            let refname = format!("refs/heads/topic/{}", open[i].slot);
            let tip = g.change_commit(&refname, None, &comps, grow)?;
            let b = &mut open[i];
            b.touched = g.touched.take().expect("set above");
            b.tip = tip;
            b.left -= 1;
            continue;
        }
        // A commit on main: 85% within one component, else 2–3; or, in
        // the histories that have them, a wide one.
        let Some(first) = g.free_comp() else { continue };
        if let Some((share, lo, hi)) = h.wide.filter(|_| budget > open.len() + 1) {
            if g.rng.chance(share) {
                let extra = g.rng.range(lo, hi);
                let comps = g.more_comps(first, extra);
                g.wide_commit(&comps, grow)?;
                continue;
            }
        }
        let extra = if g.rng.chance(0.85) { 0 } else { g.rng.range(1, 3) };
        let comps = g.more_comps(first, extra);
        g.main_tip = g.change_commit("refs/heads/main", None, &comps, grow)?;
    }
    g.out.write_all(b"done\n")?;
    g.out.flush()?;
    Ok(Stats { files: g.live_files, bytes: g.live_bytes, commits: g.commits, merges: g.merges, seconds: 0.0 })
}

/// `git` with the user's and the system's configuration ignored, so that
/// generation is the same everywhere.
pub fn git() -> Command {
    let mut cmd = Command::new("git");
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_ALTERNATE_OBJECT_DIRECTORIES");
    cmd
}

pub(crate) fn check(status: std::process::ExitStatus, what: &str) -> io::Result<()> {
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("{what} failed: {status}")))
    }
}

/// A generated repository.
#[derive(Clone, Debug)]
pub struct Synth {
    /// What it was generated from.
    pub params: Params,
    /// Its cache directory (`target/bench-repos/<hash>`).
    pub dir: PathBuf,
    /// The bare repository inside it; `main` is the generated branch.
    pub repo: PathBuf,
    /// What was generated.
    pub stats: Stats,
    /// True when it came from the cache rather than being built now.
    pub cached: bool,
}

/// Where generated repositories live: `$CARGO_TARGET_DIR/bench-repos`, else
/// `target/bench-repos` in the package.
pub fn cache_root() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench-repos")
}

/// The repository for `params`, from the cache or generated now.
pub fn ensure(params: &Params) -> io::Result<Synth> {
    let dir = cache_root().join(params.hash());
    if let Some(stats) = read_info(&dir) {
        return Ok(Synth { params: params.clone(), repo: dir.join("repo.git"), dir, stats, cached: true });
    }
    generate(params)
}

/// The cache directory `name` (under [`cache_root`]) holding a repository
/// built by `build` for `key`: reused when there, else built now (in a
/// temporary directory, then renamed into place). Returns the directory,
/// the counts and whether it came from the cache.
pub(crate) fn cached(
    name: &str,
    key: &str,
    fresh: bool,
    build: impl FnOnce(&Path) -> io::Result<Stats>,
) -> io::Result<(PathBuf, Stats, bool)> {
    let root = cache_root();
    let dir = root.join(name);
    if let Some(stats) = read_info(&dir).filter(|_| !fresh) {
        return Ok((dir, stats, true));
    }
    std::fs::create_dir_all(&root)?;
    let tmp = root.join(format!(".tmp-{name}-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    let start = Instant::now();
    let mut stats = build(&tmp.join("repo.git"))?;
    stats.seconds = start.elapsed().as_secs_f64();
    write_info(&tmp, key, &stats)?;
    // A concurrent run may have won the race; its repository is identical.
    if std::fs::rename(&tmp, &dir).is_err() {
        std::fs::remove_dir_all(&tmp)?;
    }
    Ok((dir, stats, false))
}

/// Generates the repository for `params` now, whether cached or not, and
/// caches it if it was not. (The benchmark of the generator itself.)
pub fn generate(params: &Params) -> io::Result<Synth> {
    let (dir, stats, _) = cached(&params.hash(), &params.key(), true, |repo| build(params, repo))?;
    Ok(Synth { params: params.clone(), repo: dir.join("repo.git"), dir, stats, cached: false })
}

/// `git init --bare` then pipe the stream into `git fast-import`.
fn build(params: &Params, repo: &Path) -> io::Result<Stats> {
    import(repo, params.repack, |out| write_stream(params, out))
}

/// Creates the bare repository `repo` from the fast-import stream `write`
/// writes, repacked by git when `repack` is set (see [`Params::repack`]),
/// with a commit-graph.
pub(crate) fn import(
    repo: &Path,
    repack: bool,
    write: impl FnOnce(BufWriter<std::process::ChildStdin>) -> io::Result<Stats>,
) -> io::Result<Stats> {
    check(
        git().args(["init", "--bare", "--quiet", "--initial-branch=main"]).arg(repo).status()?,
        "git init",
    )?;
    let mut child = git()
        .arg("--git-dir")
        .arg(repo)
        // zlib level 1 instead of 6 saves a quarter of the generation time
        // for a slightly bigger pack; tree deltas stay on (`--depth=0`
        // would double a long history's pack and save nothing).
        .args(["-c", "pack.compression=1", "fast-import", "--quiet", "--done"])
        .stdin(Stdio::piped())
        .spawn()?;
    let stdin = child.stdin.take().expect("piped");
    let result = write(BufWriter::with_capacity(1 << 20, stdin));
    // Wait even on a write error: fast-import's own message explains it.
    let status = child.wait()?;
    let stats = result?;
    check(status, "git fast-import")?;
    if repack {
        // Deltas searched afresh and every object compressed at git's
        // default level, as `pack-objects` writes them for a clone.
        let status = git().arg("--git-dir").arg(repo).args(["repack", "-a", "-d", "-F", "-q"]).status()?;
        check(status, "git repack")?;
    }
    write_commit_graph(repo)?;
    Ok(stats)
}

/// The commit-graph `git gc` and `git maintenance` keep in a monolith that
/// is looked after: git (rev-list, the fast-export under filter-repo) and
/// git-split read it alike.
fn write_commit_graph(repo: &Path) -> io::Result<()> {
    let status = git().arg("--git-dir").arg(repo).args(["commit-graph", "write", "--reachable"]).status()?;
    check(status, "git commit-graph write")
}

fn write_info(dir: &Path, key: &str, s: &Stats) -> io::Result<()> {
    let text = format!(
        "params={}\nfiles={}\nbytes={}\ncommits={}\nmerges={}\nseconds={:.3}\n",
        key, s.files, s.bytes, s.commits, s.merges, s.seconds
    );
    std::fs::write(dir.join("info.txt"), text)
}

fn read_info(dir: &Path) -> Option<Stats> {
    let text = std::fs::read_to_string(dir.join("info.txt")).ok()?;
    let get = |key: &str| {
        text.lines().find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('='))).map(str::to_string)
    };
    Some(Stats {
        files: get("files")?.parse().ok()?,
        bytes: get("bytes")?.parse().ok()?,
        commits: get("commits")?.parse().ok()?,
        merges: get("merges")?.parse().ok()?,
        seconds: get("seconds")?.parse().ok()?,
    })
}

impl Synth {
    /// Writes `ownership-<teams>.yaml` next to the repository and returns its path.
    pub fn write_manifest(&self, teams: usize) -> io::Result<PathBuf> {
        let path = self.dir.join(format!("ownership-{teams}.yaml"));
        let tmp = self.dir.join(format!(".ownership-{teams}.yaml.{}", std::process::id()));
        std::fs::write(&tmp, manifest_yaml(&self.params, teams))?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

/// An `ownership.yaml` for the repository of `params` with `teams` teams.
///
/// Components are dealt to teams round-robin; each is claimed in one of the
/// ways real manifests do (a path glob, a directory, a Gradle project, a
/// `jvm:`/`npm:`/`cargo:`/`go:` package, a bare Java package name). The
/// `shared` section holds the root build files, docs and CI. The first team
/// excludes generated Java (so those files are unowned), `tools/` is owned
/// by nobody, and the second and third teams each also claim a README of
/// the team before them (two overlaps).
pub fn manifest_yaml(params: &Params, teams: usize) -> String {
    let comps = components(params);
    assert!((1..=comps.len()).contains(&teams), "every team needs a component");
    let mut rng = Rng::new(params.seed ^ 0x7ea0_0000 ^ teams as u64);
    let names: Vec<String> = (0..teams)
        .map(|i| match (TEAM_WORDS.get(i), i / TEAM_WORDS.len()) {
            (Some(w), _) => w.to_string(),
            (None, round) => format!("{}{round}", TEAM_WORDS[i % TEAM_WORDS.len()]),
        })
        .collect();
    let mut paths: Vec<Vec<String>> = vec![Vec::new(); teams];
    let mut packages: Vec<Vec<String>> = vec![Vec::new(); teams];
    let mut first_root: Vec<Option<String>> = vec![None; teams];
    for (i, c) in comps.iter().enumerate() {
        let t = i % teams;
        first_root[t].get_or_insert_with(|| c.root.clone());
        let r = &c.root;
        match (c.kind, rng.below(4)) {
            (Kind::Service, 0) | (Kind::Web | Kind::Go, 0 | 1) => paths[t].push(format!("{r}/**")),
            (Kind::Lib, 0 | 1) => paths[t].push(r.clone()),
            (Kind::Service, 1) => packages[t].push(format!("gradle:{r}")),
            (Kind::Service, style) => {
                // A Java package covers the sources; the rest is listed.
                let java = c.package_ref();
                packages[t].push(if style == 2 { java } else { java.trim_start_matches("jvm:").to_string() });
                for rest in ["README.md", "build.gradle", "src/main/resources", "scripts"] {
                    paths[t].push(format!("{r}/{rest}"));
                }
                if let Some((link, _)) = c.symlink_path() {
                    paths[t].push(link);
                }
            }
            _ => packages[t].push(c.package_ref()),
        }
    }
    let mut y =
        String::from("# Generated by benches/support/synth.rs.\nversion: 1\nmonolith:\n  refs: [main]\n");
    y.push_str("shared:\n  paths:\n");
    for p in [
        "settings.gradle",
        "build.gradle",
        "gradlew",
        "gradle/**",
        ".github/**",
        "Cargo.toml",
        "package.json",
        "README.md",
        "LICENSE",
        ".gitignore",
        "docs/**",
    ] {
        let _ = writeln!(y, "    - \"{p}\"");
    }
    y.push_str("teams:\n");
    for t in 0..teams {
        let _ = writeln!(
            y,
            "  {}:\n    description: \"The {} team\"\n    owners: [\"@acme/{}\"]",
            names[t], names[t], names[t]
        );
        let mut own = paths[t].clone();
        if (1..=2).contains(&t) {
            if let Some(root) = &first_root[t - 1] {
                own.push(format!("{root}/README.md"));
            }
        }
        for (key, list) in [("paths", &own), ("packages", &packages[t])] {
            if !list.is_empty() {
                let _ = writeln!(y, "    {key}:");
                for item in list {
                    let _ = writeln!(y, "      - \"{item}\"");
                }
            }
        }
        if t == 0 {
            y.push_str("    exclude:\n      - \"**/*.generated.java\"\n");
        }
    }
    y.push_str("policy:\n  unowned: warn\n  overlap: warn\n");
    y
}

/// A bare copy of `repo` (objects hard-linked, so it costs seconds) whose
/// `main` has `commits` more commits on top: each changes one to three
/// files of the tip, and every tenth or so merges a topic branch (left behind as `grown-topic`).
/// The new history is a pure extension of the old, as a monolith that grew
/// between two runs is.
#[allow(dead_code)]
pub fn grow(repo: &Path, into: &Path, commits: usize, seed: u64) -> io::Result<()> {
    check(git().args(["clone", "--bare", "--quiet", "--local"]).arg(repo).arg(into).status()?, "git clone")?;
    let listing =
        git().arg("--git-dir").arg(into).args(["ls-tree", "-r", "--name-only", "-z", "main"]).output()?;
    let paths: Vec<String> = listing
        .stdout
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let mut rng = Rng::new(seed);
    let mut s = String::new();
    let mut when = 2_000_000_000u64;
    let mut commit = |s: &mut String,
                      branch: &str,
                      from: Option<&str>,
                      merge: Option<&str>,
                      rng: &mut Rng| {
        when += 60;
        s.push_str(&format!(
            "commit refs/heads/{branch}\ncommitter Grower <grow@example.com> {when} +0000\ndata <<EOM\ngrow {when}\nEOM\n"
        ));
        if let Some(f) = from {
            s.push_str(&format!("from {f}\n"));
        }
        if let Some(m) = merge {
            s.push_str(&format!("merge {m}\n"));
        }
        for _ in 0..rng.range(1, 4) {
            let p = rng.pick(&paths);
            s.push_str(&format!("M 100644 inline {p}\ndata <<EOD\ngrown {when} {}\nEOD\n", rng.next_u64()));
        }
    };
    commit(&mut s, "main", Some("refs/heads/main^0"), None, &mut rng);
    let mut made = 1;
    while made < commits {
        if made % 10 == 0 && made + 3 <= commits {
            commit(&mut s, "grown-topic", Some("refs/heads/main"), None, &mut rng);
            commit(&mut s, "main", None, None, &mut rng);
            commit(&mut s, "main", None, Some("refs/heads/grown-topic"), &mut rng);
            made += 3;
        } else {
            commit(&mut s, "main", None, None, &mut rng);
            made += 1;
        }
    }
    s.push_str("done\n");
    let mut child = git()
        .arg("--git-dir")
        .arg(into)
        .args(["fast-import", "--quiet", "--done", "--force"])
        .stdin(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let written = stdin.write_all(s.as_bytes());
    drop(stdin);
    check(child.wait()?, "git fast-import (grow)")?;
    written?;
    write_commit_graph(into)
}
