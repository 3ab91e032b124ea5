//! What the synthetic monolith's tree holds: its components and their
//! layouts, the pools of directories files are added to, the special files
//! (build manifests, symlinks, executables), file names, sizes and the
//! text file contents are sliced from.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::{Params, Rng};

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

    pub(crate) fn symlink_path(&self) -> Option<(String, &'static str)> {
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
pub(crate) const JAVA_SUFFIXES: &[&str] = &[
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
pub(crate) const FILLER_WORDS: &[&str] = &[
    "return", "if", "else", "for", "let", "const", "value", "result", "items", "count", "name", "id",
    "request", "response", "null", "true", "false", "context", "error", "map", "list", "config", "user",
    "order", "price", "total", "index", "node", "next", "state", "props", "data", "key", "=", "+", "==",
    "&&", "||", "(", ")", "{", "}", ";", ",", ".get()", ".build()", "new", "this", "self", "async", "await",
];

/// Team-name words for the generated manifest.
pub(crate) const TEAM_WORDS: &[&str] = &[
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
    pub(crate) base: String,
    /// Its directories, `base` first.
    pub(crate) dirs: Vec<String>,
    /// Share of the component's files.
    pub(crate) share: f64,
    /// Extensions, picked uniformly.
    exts: &'static [&'static str],
    naming: Naming,
    /// Files are executable (scripts).
    pub(crate) exec: bool,
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
pub(crate) fn pools(c: &Component) -> Vec<Pool> {
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
pub(crate) fn root_pools() -> Vec<Pool> {
    vec![
        pool("docs".into(), 0.6, &["md"], Naming::Kebab, false),
        pool(".github/workflows".into(), 0.1, &["yml"], Naming::Kebab, false),
        pool("tools".into(), 0.3, &["sh", "py"], Naming::Kebab, true),
    ]
}

/// Package manifests and other files ops never touch (so they stay
/// parseable), with their content and mode.
pub(crate) fn component_specials(c: &Component) -> Vec<(String, Vec<u8>, &'static str)> {
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
pub(crate) fn root_specials(comps: &[Component]) -> Vec<(String, Vec<u8>, &'static str)> {
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
pub(crate) fn file_name(rng: &mut Rng, p: &Pool) -> String {
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
pub(crate) const FILLER_LEN: usize = 256 << 10;

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
