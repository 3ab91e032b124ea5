//! The polyglot tree: how many components of each language, their names
//! and teams, the non-source files among their sources, and the files at
//! the root (workspace manifests, lock files, CI, docs, generated giants).

use std::collections::HashSet;

use crate::synth::Rng;

use super::config::{ESLINT_CONFIG, PHP_CONSOLE};
use super::jvm::layout_jvm;
use super::layout::{layout_go, layout_php_module, layout_py, layout_rust, layout_ts, py_module, py_package};
use super::model::{assign_deps, split_budget, Comp, Config, Content, Doc, Lang, Lock, Model};
use super::words::{camel, cap, lognormal, noun, pascal, snake, verb, TEAMS};
use super::Params;

/// Per language: components, share of the tree's files, median source size.
const POLYGLOT: [(Lang, usize, f64, f64); 7] = [
    (Lang::Go, 28, 0.23, 3_000.0),
    (Lang::Ts, 36, 0.25, 2_000.0),
    (Lang::Py, 18, 0.12, 2_800.0),
    (Lang::Php, 20, 0.12, 2_800.0),
    (Lang::Rust, 22, 0.10, 3_600.0),
    (Lang::Java, 18, 0.10, 3_400.0),
    (Lang::Kotlin, 14, 0.06, 2_400.0),
];

/// Share of a polyglot component's files that are not source (with what
/// its layout adds, about a third of the tree).
const COMPANION_SHARE: f64 = 0.27;

/// Adds the non-source files that live among a component's sources
/// (fixtures, snapshots, styles, images, templates, SQL) until it has
/// `budget` files, each near a random source file of it.
pub(super) fn companions(c: &mut Comp, budget: usize, r: &mut Rng) {
    let sources: Vec<String> = c
        .files
        .iter()
        .filter(|f| matches!(f.content, Content::Source { .. }))
        .map(|f| f.path.clone())
        .collect();
    if sources.is_empty() {
        return;
    }
    while c.files.len() < budget {
        let near = r.pick(&sources);
        let dir = near.rsplit_once('/').map_or("", |(d, _)| d);
        let (dir, stem, ext, doc) = companion(c, dir, r);
        let stem = c.fresh(&dir, &stem, ext);
        c.doc(format!("{dir}/{stem}{ext}"), doc, r);
    }
}

/// Where a non-source file near `dir` goes in `c`, and what it is.
fn companion(c: &Comp, dir: &str, r: &mut Rng) -> (String, String, &'static str, Doc) {
    let root = &c.root;
    let kebab = format!("{}-{}", noun(r), noun(r));
    let k = r.below(100);
    match c.lang {
        Some(Lang::Go) => match k {
            0..55 => (format!("{dir}/testdata"), snake(r), ".json", Doc::Json),
            55..70 => (format!("{dir}/testdata"), snake(r), ".golden", Doc::Text),
            70..80 => (
                format!("{root}/migrations"),
                format!("{:04}_{}", r.below(10_000), snake(r)),
                ".up.sql",
                Doc::Sql,
            ),
            80..90 => (format!("{root}/deploy/k8s"), kebab, ".yaml", Doc::Yaml),
            _ => (format!("{root}/docs"), kebab, ".md", Doc::Markdown),
        },
        Some(Lang::Ts) => match k {
            0..25 => (format!("{root}/src/assets/icons"), kebab, ".svg", Doc::Svg),
            25..35 => (format!("{root}/src/assets/images"), kebab, ".png", Doc::Png),
            35..50 => (
                format!("{root}/src/locales/{}", r.pick(&["en", "de", "fr", "ja", "ko", "es"])),
                noun(r).into(),
                ".json",
                Doc::Json,
            ),
            50..70 => (format!("{dir}/__fixtures__"), camel(r), ".json", Doc::Json),
            70..85 => {
                (format!("{dir}/__snapshots__"), format!("{}.test.tsx", pascal(r)), ".snap", Doc::Snapshot)
            }
            _ => (dir.to_string(), camel(r), ".module.scss", Doc::Css),
        },
        Some(Lang::Py) => match k {
            0..40 => (format!("{root}/tests/fixtures"), snake(r), ".json", Doc::Json),
            40..60 => (format!("{root}/src/{}/templates", c.ns), snake(r), ".html", Doc::Twig),
            60..75 => (format!("{root}/src/{}/sql", c.ns), snake(r), ".sql", Doc::Sql),
            75..90 => (format!("{root}/data"), snake(r), ".csv", Doc::Text),
            _ => (format!("{root}/docs"), kebab, ".md", Doc::Markdown),
        },
        Some(Lang::Java | Lang::Kotlin) => match k {
            0..35 => (format!("{root}/src/main/resources"), snake(r), ".yaml", Doc::Yaml),
            35..55 => (
                format!("{root}/src/main/resources/db/migration"),
                format!("V{}__{}", r.below(500), snake(r)),
                ".sql",
                Doc::Sql,
            ),
            55..80 => (format!("{root}/src/test/resources"), snake(r), ".json", Doc::Json),
            80..90 => (format!("{root}/src/main/resources/templates"), snake(r), ".html", Doc::Twig),
            _ => (format!("{root}/docs"), kebab, ".md", Doc::Markdown),
        },
        Some(Lang::Php) => {
            let tests = c.tests.as_ref().map_or_else(|| format!("{root}/Tests"), |(t, _)| t.clone());
            match k {
                0..35 => (format!("{tests}/Fixtures"), snake(r), ".yaml", Doc::Yaml),
                35..60 => (format!("{root}/Resources/views/{}", noun(r)), snake(r), ".html.twig", Doc::Twig),
                60..80 => (format!("{root}/Resources/config"), snake(r), ".xml", Doc::Xml),
                _ => (
                    format!("{root}/Resources/translations"),
                    format!("{}.{}", noun(r), r.pick(&["en", "de", "fr"])),
                    ".xlf",
                    Doc::Xliff,
                ),
            }
        }
        _ => match k {
            0..40 => (format!("{root}/tests/fixtures"), snake(r), ".json", Doc::Json),
            40..70 => {
                (format!("{root}/tests/snapshots"), format!("{}__{}", c.ns, snake(r)), ".snap", Doc::Snapshot)
            }
            70..85 => (format!("{root}/proto"), snake(r), ".proto", Doc::Proto),
            _ => (format!("{root}/docs"), kebab, ".md", Doc::Markdown),
        },
    }
}

pub(super) fn polyglot(params: &Params) -> Model {
    let mut r = Rng::new(params.seed);
    let mut m = Model { teams: TEAMS.iter().map(|t| t.to_string()).collect(), ..Model::default() };
    let total = params.files as f64 * 0.985;
    for (li, &(lang, count, share, median)) in POLYGLOT.iter().enumerate() {
        let mut taken = HashSet::new();
        for (i, budget) in split_budget(&mut r, count, total * share).into_iter().enumerate() {
            // The hub goes to the platform team; the others are dealt so
            // that every team has components in several languages.
            let team = if i == 0 { 0 } else { 1 + (i * 7 + li * 3) % (TEAMS.len() - 1) };
            let name = comp_name(lang, i, TEAMS[team], &mut taken, &mut r);
            let root = match lang {
                Lang::Go => format!("services/{name}"),
                Lang::Ts => format!("web/packages/{name}"),
                Lang::Py => format!("python/{name}"),
                Lang::Php => format!("php/src/Acme/{name}"),
                Lang::Rust => format!("crates/{name}"),
                Lang::Java | Lang::Kotlin => format!("jvm/{name}"),
            };
            let mut c = Comp::new(lang, &name, root, Some(team), median);
            let code = (budget as f64 * (1.0 - COMPANION_SHARE)) as usize;
            match lang {
                Lang::Go => layout_go(&mut c, code, &mut r),
                Lang::Ts => layout_ts(&mut c, code, &mut r),
                Lang::Py => layout_py(&mut c, code, &mut r),
                Lang::Php => layout_php_module(&mut c, code, i == 0, &mut r),
                Lang::Rust => layout_rust(&mut c, code, &mut r),
                Lang::Java | Lang::Kotlin => layout_jvm(&mut c, code, &mut r),
            }
            companions(&mut c, budget, &mut r);
            m.comps.push(c);
        }
    }
    m.comps.push(layout_tools(&mut r));
    assign_deps(&mut m, &mut r);
    polyglot_root(&mut m, params.files, &mut r);
    m
}

/// A component name: the hub's, else its team's with a suffix.
fn comp_name(lang: Lang, i: usize, team: &str, taken: &mut HashSet<String>, r: &mut Rng) -> String {
    let (hub, suffixes): (&str, &[&str]) = match lang {
        Lang::Go => {
            ("platform-kit", &["api", "worker", "gateway", "sync", "scheduler", "indexer", "events", "store"])
        }
        Lang::Ts => ("ui", &["ui", "app", "widgets", "sdk", "admin", "forms", "dashboard", "portal"]),
        Lang::Py => ("platform-common", &["etl", "reports", "ml", "jobs", "pipelines", "scoring", "exports"]),
        Lang::Php => ("Platform", &["", "Admin", "Api", "Sync", "Export", "Legacy", "Reporting"]),
        Lang::Rust => ("platform-core", &["core", "engine", "proto", "client", "codec", "store", "cli"]),
        Lang::Java => ("platform-jvm", &["service", "domain", "api", "batch", "integration", "adapter"]),
        Lang::Kotlin => ("platform-kt", &["app", "sdk", "flows", "android", "bff", "events"]),
    };
    if i == 0 {
        taken.insert(hub.to_string());
        return hub.to_string();
    }
    let mut k = 1;
    loop {
        let suffix = r.pick(suffixes);
        let mut name = match lang {
            Lang::Php => cap(team) + suffix,
            _ => format!("{team}-{suffix}"),
        };
        if k > 8 {
            name = format!("{name}{k}");
        }
        if taken.insert(name.clone()) {
            return name;
        }
        k += 1;
    }
}

/// `tools/`: release and maintenance scripts over a small library,
/// owned by no team.
fn layout_tools(r: &mut Rng) -> Comp {
    let mut c = Comp::new(Lang::Py, "tools", "tools".into(), None, 2_500.0);
    c.ns = "tools".into();
    let lib = py_package(&mut c, "tools.lib".into(), "tools/lib", None, r);
    for _ in 0..14 {
        py_module(&mut c, lib, "tools/lib", r);
    }
    for _ in 0..22 {
        let stem = c.fresh("tools", &format!("{}_{}", verb(r), snake(r)), ".py");
        c.source(format!("tools/{stem}.py"), None, false);
    }
    for _ in 0..10 {
        let stem = c.fresh("tools", &format!("{}-{}", verb(r), noun(r)), ".sh");
        c.doc(format!("tools/{stem}.sh"), Doc::Shell, r);
    }
    c
}

/// Files at the root of the polyglot tree: workspace manifests, lock
/// files, CI, docs; and the generated giants, inside components. Docs are
/// added until the tree has `files` files.
fn polyglot_root(m: &mut Model, files: usize, r: &mut Rng) {
    let mut root = Comp::default();
    root_build_files(&mut root, r);
    for name in ["go", "web", "python", "php", "rust", "release", "codeql", "lint", "e2e", "deploy-staging"] {
        root.doc(format!(".github/workflows/{name}.yml"), Doc::Yaml, r);
    }
    add_docs(&mut root, 60, "docs/adr", r);
    add_docs(&mut root, 80, "docs/guides", r);
    for _ in 0..40 {
        let stem = root.fresh("docs/images", &format!("{}-{}", noun(r), noun(r)), ".png");
        root.doc(format!("docs/images/{stem}.png"), Doc::Png, r);
    }
    for _ in 0..20 {
        let stem = root.fresh("docs/api", &format!("{}-api", noun(r)), ".yaml");
        root.doc(format!("docs/api/{stem}.yaml"), Doc::Yaml, r);
    }
    generated_sources(m, r);
    let mut total = 1 + root.files.len() + m.comps.iter().map(|c| c.files.len()).sum::<usize>();
    let areas = ["runbooks", "postmortems", "rfcs", "onboarding", "architecture"];
    while total < files {
        let dir = format!("docs/{}", areas[total % areas.len()]);
        add_docs(&mut root, 1, &dir, r);
        total += 1;
    }
    // Every team keeps the workspace's build files, docs and CI.
    let outside = |p: &&str| !p.starts_with("docs/") && !p.starts_with(".github/");
    let globs = ["ownership.yaml", "docs/**", ".github/**"];
    m.shared =
        root.files.iter().map(|f| f.path.as_str()).filter(outside).chain(globs).map(String::from).collect();
    m.root = root.files;
}

/// The workspace manifests, lock files and tool settings at the root.
fn root_build_files(root: &mut Comp, r: &mut Rng) {
    for (path, config) in [
        ("go.work", Config::GoWork),
        ("package.json", Config::RootPackageJson),
        ("pnpm-workspace.yaml", Config::PnpmWorkspace),
        ("tsconfig.base.json", Config::TsconfigBase),
        ("Cargo.toml", Config::CargoWorkspace),
        ("pyproject.toml", Config::RootPyproject),
        ("php/composer.json", Config::AppComposer),
        ("settings.gradle.kts", Config::GradleSettings),
    ] {
        root.add(path.into(), Content::Config(config));
    }
    for (path, lock, size) in [
        ("pnpm-lock.yaml", Lock::Pnpm, 2_600_000),
        ("Cargo.lock", Lock::Cargo, 350_000),
        ("uv.lock", Lock::Uv, 420_000),
        ("php/composer.lock", Lock::Composer, 380_000),
    ] {
        root.add(path.into(), Content::Doc(Doc::Lock(lock), size));
    }
    for (path, doc) in [
        ("README.md", Doc::Markdown),
        ("CONTRIBUTING.md", Doc::Markdown),
        ("SECURITY.md", Doc::Markdown),
        (".gitignore", Doc::Text),
        (".editorconfig", Doc::Text),
        ("Makefile", Doc::Makefile),
        ("renovate.json", Doc::Json),
        ("rust-toolchain.toml", Doc::Text),
        (".nvmrc", Doc::Text),
        (".python-version", Doc::Text),
        ("php/phpunit.xml.dist", Doc::Xml),
        ("php/.env", Doc::Text),
        ("php/symfony.lock", Doc::Json),
        ("gradle.properties", Doc::Text),
    ] {
        root.doc(path.into(), doc, r);
    }
    root.doc(".github/CODEOWNERS".into(), Doc::Text, r);
    root.doc(".github/pull_request_template.md".into(), Doc::Markdown, r);
    root.add("php/bin/console".into(), Content::Fixed(PHP_CONSOLE));
    root.add("eslint.config.mjs".into(), Content::Fixed(ESLINT_CONFIG));
}

fn add_docs(c: &mut Comp, n: usize, dir: &str, r: &mut Rng) {
    for _ in 0..n {
        let stem = c.fresh(dir, &format!("{}-{}-{}", verb(r), noun(r), noun(r)), ".md");
        c.doc(format!("{dir}/{stem}.md"), Doc::Markdown, r);
    }
}

/// Generated sources: GraphQL types and protobuf modules that `deps`
/// reads, and one giant per language past the size it reads.
fn generated_sources(m: &mut Model, r: &mut Rng) {
    let of = |m: &Model, lang: Lang| -> Vec<usize> {
        (0..m.comps.len()).filter(|&i| m.comps[i].lang == Some(lang) && m.comps[i].team.is_some()).collect()
    };
    for (k, &i) in of(m, Lang::Ts).iter().skip(1).step_by(7).enumerate() {
        let c = &mut m.comps[i];
        let size = if k == 0 { 7_400_000 } else { lognormal(r, 400_000.0, 0.7, 60_000, 2_000_000) };
        c.add(format!("{}/src/generated/graphql.ts", c.root), Content::Generated { unit: None, size });
    }
    for (k, &i) in of(m, Lang::Py).iter().skip(1).step_by(4).enumerate() {
        let c = &mut m.comps[i];
        let size = lognormal(r, 50_000.0, 0.6, 10_000, 200_000);
        let dir = format!("{}/src/{}/proto", c.root, c.ns);
        c.add(format!("{dir}/events_pb2.py"), Content::Generated { unit: None, size });
        c.add(format!("{dir}/events_pb2.pyi"), Content::Generated { unit: None, size: size / 2 });
        if k == 0 {
            c.add(
                format!("{}/src/{}/tables.py", c.root, c.ns),
                Content::Generated { unit: None, size: 5_400_000 },
            );
        }
    }
    if let Some(&i) = of(m, Lang::Go).get(1) {
        let c = &mut m.comps[i];
        c.add(
            format!("{}/internal/assets/bindata.go", c.root),
            Content::Generated { unit: None, size: 9_200_000 },
        );
    }
    if let Some(&i) = of(m, Lang::Rust).get(1) {
        let c = &mut m.comps[i];
        c.add(
            format!("{}/src/unicode_tables.rs", c.root),
            Content::Generated { unit: None, size: 6_100_000 },
        );
    }
}
