//! Component layouts, one per language: where a Go module, an npm package,
//! a Python project, a PHP module or component and a crate put their
//! files, and which units they define.

use std::collections::BTreeMap;

use crate::synth::Rng;

use super::model::{names, Comp, Config, Content, Doc, Lock};
use super::words::{camel, cap, hex, lognormal, noun, pascal, snake, verb};

/// A Go module: `cmd/`, `internal/` and `pkg/` packages two to four deep,
/// tests beside the code, and the protobuf API other teams call.
pub(super) fn layout_go(c: &mut Comp, budget: usize, r: &mut Rng) {
    let root = c.root.clone();
    c.ns = format!("github.com/acme/mono/{root}");
    c.add(format!("{root}/go.mod"), Content::Config(Config::GoMod));
    c.doc(format!("{root}/go.sum"), Doc::Lock(Lock::GoSum), r);
    for (name, doc) in [
        ("README.md", Doc::Markdown),
        ("Dockerfile", Doc::Dockerfile),
        ("Makefile", Doc::Makefile),
        (".golangci.yml", Doc::Yaml),
        ("deploy/k8s/deployment.yaml", Doc::Yaml),
        ("deploy/k8s/service.yaml", Doc::Yaml),
    ] {
        c.doc(format!("{root}/{name}"), doc, r);
    }
    c.source(format!("{root}/cmd/{}/main.go", c.name), None, false);
    if r.chance(0.5) {
        for k in 1..r.range(3, 16) {
            c.doc(format!("{root}/migrations/{k:04}_{}.up.sql", snake(r)), Doc::Sql, r);
        }
    }
    go_api(c, r);
    let mut dirs: BTreeMap<String, usize> = BTreeMap::new();
    while c.files.len() < budget {
        let public = r.chance(0.3);
        let base = if public { "pkg" } else { "internal" };
        let parents: Vec<&String> =
            dirs.keys().filter(|d| d.starts_with(base) && d.matches('/').count() < 3).collect();
        let parent = match parents.is_empty() || r.chance(0.45) {
            true => base.to_string(),
            false => (*r.pick(&parents)).clone(),
        };
        let dir = format!("{parent}/{}", noun(r));
        let unit = match dirs.get(&dir) {
            Some(&u) => u,
            None => {
                let u = c.unit(
                    format!("{}/{dir}", c.ns),
                    format!("{root}/{dir}"),
                    names(r, 3, 7, pascal),
                    public,
                );
                dirs.insert(dir.clone(), u);
                u
            }
        };
        go_files(c, &format!("{root}/{dir}"), unit, r);
    }
}

/// A few files of the package in `dir`, tests and test data beside them.
fn go_files(c: &mut Comp, dir: &str, unit: usize, r: &mut Rng) {
    let spread = r.range(1, 9);
    for _ in 0..1 + r.below(spread) {
        let stem = c.fresh(dir, &snake(r), ".go");
        c.source(format!("{dir}/{stem}.go"), Some(unit), false);
        if r.chance(0.45) {
            c.source(format!("{dir}/{stem}_test.go"), Some(unit), true);
        }
    }
    if r.chance(0.2) {
        for _ in 0..r.range(1, 4) {
            let stem = c.fresh(&format!("{dir}/testdata"), &snake(r), ".json");
            c.doc(format!("{dir}/testdata/{stem}.json"), Doc::Json, r);
        }
    }
}

/// `api/gen/<svc>/v1`: code generated from the service's protobuf files.
fn go_api(c: &mut Comp, r: &mut Rng) {
    let root = c.root.clone();
    let short = c.name.replace('-', "");
    let dir = format!("api/gen/{short}/v1");
    let u = c.unit(format!("{}/{dir}", c.ns), format!("{root}/{dir}"), names(r, 4, 9, pascal), true);
    for _ in 0..r.range(1, 4) {
        let stem = c.fresh(&format!("{root}/{dir}"), &snake(r), ".pb.go");
        c.doc(format!("{root}/api/proto/{short}/v1/{stem}.proto"), Doc::Proto, r);
        let size = lognormal(r, 60_000.0, 0.8, 8_000, 900_000);
        c.add(format!("{root}/{dir}/{stem}.pb.go"), Content::Generated { unit: Some(u), size });
        if r.chance(0.5) {
            c.add(
                format!("{root}/{dir}/{stem}_grpc.pb.go"),
                Content::Generated { unit: Some(u), size: size / 3 },
            );
        }
    }
}

/// An npm package of the pnpm workspace: components with their barrels,
/// tests, stories and CSS modules; hooks, lib, api, utils, types, pages.
pub(super) fn layout_ts(c: &mut Comp, budget: usize, r: &mut Rng) {
    let root = c.root.clone();
    c.ns = format!("@acme/{}", c.name);
    c.alias = r.chance(0.5);
    c.add(format!("{root}/package.json"), Content::Config(Config::PackageJson));
    c.add(format!("{root}/tsconfig.json"), Content::Config(Config::Tsconfig));
    c.doc(format!("{root}/README.md"), Doc::Markdown, r);
    if r.chance(0.6) {
        c.doc(format!("{root}/CHANGELOG.md"), Doc::Markdown, r);
    }
    let config = if r.chance(0.6) { "vite.config.ts" } else { "jest.config.js" };
    c.source(format!("{root}/{config}"), None, false);
    let index = ts_barrel(c, String::new(), format!("{root}/src/index.ts"), None);
    let components =
        ts_barrel(c, "components".into(), format!("{root}/src/components/index.ts"), Some(index));
    let app = r.chance(0.35);
    while c.files.len() < budget {
        match r.below(100) {
            0..28 => ts_component(c, components, r),
            28..40 => {
                let hook = format!("use{}", pascal(r));
                ts_module(c, "hooks", &hook, "ts", Some(index), vec![hook.clone()], r);
            }
            40..58 => {
                let dir = if r.chance(0.4) { format!("lib/{}", noun(r)) } else { "lib".to_string() };
                let top = (dir == "lib" && r.chance(0.5)).then_some(index);
                let items = vec![format!("{}{}", verb(r), pascal(r)), pascal(r), camel(r)];
                ts_module(c, &dir, &camel(r), "ts", top, items, r);
            }
            58..66 => {
                let name = format!("{}Client", camel(r));
                ts_module(
                    c,
                    "api",
                    &name,
                    "ts",
                    Some(index),
                    vec![cap(&name), format!("create{}", cap(&name))],
                    r,
                );
            }
            66..74 => {
                let items = vec![format!("{}{}", verb(r), pascal(r)), format!("{}{}", verb(r), pascal(r))];
                ts_module(c, "utils", &camel(r), "ts", None, items, r);
            }
            74..80 => {
                ts_module(c, "types", &camel(r), "ts", Some(index), vec![pascal(r), pascal(r), pascal(r)], r);
            }
            80..88 if app => ts_page(c, r),
            88..93 => {
                let name = format!("{}Slice", camel(r));
                ts_module(
                    c,
                    "store",
                    &name,
                    "ts",
                    None,
                    vec![name.clone(), format!("select{}", pascal(r))],
                    r,
                );
            }
            _ => ts_asset(c, r),
        }
    }
    // A barrel exports what the modules it re-exports export; children
    // come after their barrel, so walking backwards sees them first.
    for u in (0..c.units.len()).rev() {
        if c.units[u].barrel {
            let items: Vec<String> =
                c.units[u].children.iter().flat_map(|&k| c.units[k].items.clone()).take(48).collect();
            c.units[u].items = items;
        }
    }
}

fn ts_barrel(c: &mut Comp, name: String, path: String, parent: Option<usize>) -> usize {
    let public = parent.is_none();
    let u = c.unit(name, path.clone(), Vec::new(), public);
    c.units[u].barrel = true;
    if let Some(p) = parent {
        c.units[p].children.push(u);
    }
    c.source(path, Some(u), false);
    u
}

/// `src/<dir>/<stem>.<ext>`, re-exported by `barrel`, now and then tested.
fn ts_module(
    c: &mut Comp,
    dir: &str,
    stem: &str,
    ext: &str,
    barrel: Option<usize>,
    items: Vec<String>,
    r: &mut Rng,
) -> usize {
    let full = format!("{}/src/{dir}", c.root);
    let stem = c.fresh(&full, stem, &format!(".{ext}"));
    let path = format!("{full}/{stem}.{ext}");
    // `exports: {"./*": "./src/*.ts"}` lets other packages import lib modules.
    let public = dir.starts_with("lib") && ext == "ts";
    let u = c.unit(format!("{dir}/{stem}"), path.clone(), items, public);
    c.source(path, Some(u), false);
    if let Some(b) = barrel {
        c.units[b].children.push(u);
    }
    if r.chance(0.3) {
        c.source(format!("{full}/{stem}.test.{ext}"), Some(u), true);
    }
    u
}

/// `components/[<group>/]<Name>/`: the component, its barrel, test,
/// snapshot, story and CSS module.
fn ts_component(c: &mut Comp, barrel: usize, r: &mut Rng) {
    let name = pascal(r);
    let rel = match r.chance(0.3) {
        true => format!("components/{}/{name}", noun(r)),
        false => format!("components/{name}"),
    };
    let dir = format!("{}/src/{rel}", c.root);
    if c.taken.contains(&format!("{dir}/index.ts")) {
        return;
    }
    let module = c.unit(
        format!("{rel}/{name}"),
        format!("{dir}/{name}.tsx"),
        vec![name.clone(), format!("{name}Props")],
        false,
    );
    let index = ts_barrel(c, rel, format!("{dir}/index.ts"), Some(barrel));
    c.units[index].children.push(module);
    c.source(format!("{dir}/{name}.tsx"), Some(module), false);
    if r.chance(0.6) {
        c.units[module].companion = Some(format!("./{name}.module.css"));
        c.doc(format!("{dir}/{name}.module.css"), Doc::Css, r);
    }
    if r.chance(0.7) {
        c.source(format!("{dir}/{name}.test.tsx"), Some(module), true);
        if r.chance(0.35) {
            c.doc(format!("{dir}/__snapshots__/{name}.test.tsx.snap"), Doc::Snapshot, r);
        }
    }
    if r.chance(0.35) {
        c.source(format!("{dir}/{name}.stories.tsx"), Some(module), true);
    }
}

fn ts_page(c: &mut Comp, r: &mut Rng) {
    let route = pascal(r);
    let rel = format!("pages/{route}");
    let dir = format!("{}/src/{rel}", c.root);
    let stem = c.fresh(&dir, &format!("{route}Page"), ".tsx");
    let u = c.unit(format!("{rel}/{stem}"), format!("{dir}/{stem}.tsx"), vec![stem.clone()], false);
    c.source(format!("{dir}/{stem}.tsx"), Some(u), false);
    if r.chance(0.4) && !c.taken.contains(&format!("{dir}/loader.ts")) {
        let l =
            c.unit(format!("{rel}/loader"), format!("{dir}/loader.ts"), vec![format!("load{route}")], false);
        c.source(format!("{dir}/loader.ts"), Some(l), false);
    }
}

fn ts_asset(c: &mut Comp, r: &mut Rng) {
    let src = format!("{}/src", c.root);
    let (dir, ext, doc) = match r.below(4) {
        0 => (format!("{src}/assets/icons"), ".svg", Doc::Svg),
        1 => (format!("{src}/assets/images"), ".png", Doc::Png),
        2 => (format!("{src}/locales"), ".json", Doc::Json),
        _ => (format!("{src}/__fixtures__"), ".json", Doc::Json),
    };
    let stem = c.fresh(&dir, &format!("{}-{}", noun(r), noun(r)), ext);
    c.doc(format!("{dir}/{stem}{ext}"), doc, r);
}

/// A Python project in the `src` layout: subpackages up to three deep,
/// `tests/` beside `src/`, sometimes alembic migrations.
pub(super) fn layout_py(c: &mut Comp, budget: usize, r: &mut Rng) {
    let root = c.root.clone();
    let pkg = format!("acme_{}", c.name.replace('-', "_"));
    c.ns = pkg.clone();
    c.add(format!("{root}/pyproject.toml"), Content::Config(Config::Pyproject));
    c.doc(format!("{root}/README.md"), Doc::Markdown, r);
    let base = format!("{root}/src/{pkg}");
    let top = py_package(c, pkg.clone(), &base, None, r);
    c.add(format!("{base}/py.typed"), Content::Fixed(""));
    if r.chance(0.4) {
        c.source(format!("{base}/__main__.py"), None, false);
    }
    c.source(format!("{root}/tests/conftest.py"), None, true);
    if r.chance(0.35) {
        c.source(format!("{base}/migrations/env.py"), None, false);
        for _ in 0..r.range(2, 12) {
            c.source(format!("{base}/migrations/versions/{}_{}.py", hex(r, 12), snake(r)), None, false);
        }
    }
    let mut packages = vec![(top, base)];
    while c.files.len() < budget {
        let roll = r.below(100);
        if roll < 10 {
            let parents: Vec<usize> = (0..packages.len())
                .filter(|&k| c.units[packages[k].0].name.matches('.').count() < 3)
                .collect();
            let (p, dir) = packages[*r.pick(&parents)].clone();
            let name = noun(r);
            let dir = format!("{dir}/{name}");
            if !c.taken.contains(&format!("{dir}/__init__.py")) {
                let dotted = format!("{}.{name}", c.units[p].name);
                packages.push((py_package(c, dotted, &dir, Some(p), r), dir));
            }
        } else if roll < 72 {
            let k = packages.len() - 1 - r.below(packages.len().min(4));
            let (p, dir) = if r.chance(0.7) { packages[k].clone() } else { r.pick(&packages).clone() };
            py_module(c, p, &dir, r);
        } else if roll < 96 {
            py_test_file(c, &pkg, r);
        } else {
            let stem = c.fresh(&format!("{root}/tests/fixtures"), &snake(r), ".json");
            c.doc(format!("{root}/tests/fixtures/{stem}.json"), Doc::Json, r);
        }
    }
}

pub(super) fn py_package(
    c: &mut Comp,
    dotted: String,
    dir: &str,
    parent: Option<usize>,
    r: &mut Rng,
) -> usize {
    let path = format!("{dir}/__init__.py");
    let u = c.unit(dotted, path.clone(), vec![pascal(r), snake(r)], true);
    if let Some(p) = parent {
        c.units[p].children.push(u);
    }
    c.source(path, Some(u), false);
    u
}

pub(super) fn py_module(c: &mut Comp, package: usize, dir: &str, r: &mut Rng) {
    let stem = c.fresh(dir, &snake(r), ".py");
    let dotted = format!("{}.{stem}", c.units[package].name);
    let items = vec![pascal(r), format!("{}_{}", verb(r), snake(r)), pascal(r)];
    let u = c.unit(dotted, format!("{dir}/{stem}.py"), items, true);
    c.units[package].children.push(u);
    c.source(format!("{dir}/{stem}.py"), Some(u), false);
}

/// `tests/unit/<subpackages>/test_<module>.py` for a module of the project.
fn py_test_file(c: &mut Comp, pkg: &str, r: &mut Rng) {
    let candidates: Vec<usize> =
        (0..c.units.len()).filter(|&u| !c.units[u].path.ends_with("__init__.py")).collect();
    let Some(&u) = (!candidates.is_empty()).then(|| r.pick(&candidates)) else { return };
    let name = &c.units[u].name;
    let rel: Vec<&str> =
        name.strip_prefix(pkg).unwrap_or(name).split('.').filter(|s| !s.is_empty()).collect();
    let (last, dirs) = rel.split_last().expect("a module has a name");
    let kind = if r.chance(0.75) { "unit" } else { "integration" };
    let dir = [format!("{}/tests/{kind}", c.root)]
        .into_iter()
        .chain(dirs.iter().map(|d| d.to_string()))
        .collect::<Vec<_>>()
        .join("/");
    let stem = c.fresh(&dir, &format!("test_{last}"), ".py");
    c.source(format!("{dir}/{stem}.py"), Some(u), true);
}

/// A module of the polyglot tree's composer application:
/// `php/src/Acme/<Name>/` in hexagonal layers, tests in `php/tests/<Name>/`.
pub(super) fn layout_php_module(c: &mut Comp, budget: usize, hub: bool, r: &mut Rng) {
    let name = c.name.clone();
    c.ns = format!("Acme\\{name}");
    c.tests = Some((format!("php/tests/{name}"), format!("Acme\\Tests\\{name}")));
    c.globs.push(format!("php/tests/{name}/**"));
    if hub {
        // The application's entry points and wiring are the platform's.
        c.globs.extend(["php/config/**".to_string(), "php/public/**".to_string()]);
        c.source("php/public/index.php".into(), None, false);
        c.source("php/config/bundles.php".into(), None, false);
        c.source("php/config/services.php".into(), None, false);
        for name in ["framework", "doctrine", "messenger", "security", "monolog", "cache"] {
            c.doc(format!("php/config/packages/{name}.yaml"), Doc::Yaml, r);
        }
    }
    layout_php(c, budget, HEXAGONAL, 4, r);
}

/// Namespace segments of a hexagonal PHP application.
const HEXAGONAL: &[&str] = &[
    "Domain",
    "Model",
    "Repository",
    "Event",
    "Application",
    "Command",
    "Query",
    "Handler",
    "Infrastructure",
    "Persistence",
    "Doctrine",
    "Http",
    "Controller",
    "Messaging",
    "Console",
    "Exception",
    "Service",
    "Dto",
    "Factory",
    "Security",
    "Voter",
    "Form",
    "Type",
    "Validator",
];

/// Namespace segments of framework components.
pub(super) const FRAMEWORK: &[&str] = &[
    "Attribute",
    "Command",
    "DependencyInjection",
    "Compiler",
    "Event",
    "EventListener",
    "EventSubscriber",
    "Exception",
    "Internal",
    "Loader",
    "Dumper",
    "Normalizer",
    "Encoder",
    "Transport",
    "Middleware",
    "Message",
    "Handler",
    "Storage",
    "Provider",
    "Factory",
    "Builder",
    "Util",
    "Extension",
    "Resolver",
    "Debug",
    "DataCollector",
    "Constraint",
    "Validator",
    "Formatter",
    "Profiler",
    "Adapter",
    "Store",
];

/// Classes under the component's namespace until it has `budget` files:
/// nested up to `max_depth` directories, each class in its PSR-4 file,
/// some of them tested.
pub(super) fn layout_php(c: &mut Comp, budget: usize, words: &[&str], max_depth: usize, r: &mut Rng) {
    let mut dirs: Vec<String> = vec![String::new()];
    while c.files.len() < budget {
        if dirs.len() < 3 || r.chance(0.15) {
            let parents: Vec<&String> =
                dirs.iter().filter(|d| d.matches('/').count() + 1 < max_depth).collect();
            let parent = (*r.pick(&parents)).clone();
            let seg = if r.chance(0.55) { r.pick(words).to_string() } else { cap(noun(r)) };
            let d = if parent.is_empty() { seg } else { format!("{parent}/{seg}") };
            if !dirs.contains(&d) {
                dirs.push(d);
            }
            continue;
        }
        let d = match r.chance(0.6) {
            true => dirs[dirs.len() - 1 - r.below(dirs.len().min(5))].clone(),
            false => r.pick(&dirs).clone(),
        };
        php_class(c, &d, None, r);
    }
}

/// A class in the namespace directory `d` (relative to the component);
/// named `name`, or after what the directory holds.
pub(super) fn php_class(c: &mut Comp, d: &str, name: Option<&str>, r: &mut Rng) -> usize {
    let last = d.rsplit('/').next().unwrap_or("");
    let base = name.map_or_else(|| class_name(last, r), str::to_string);
    let dir = if d.is_empty() { c.root.clone() } else { format!("{}/{d}", c.root) };
    let class = c.fresh(&dir, &base, ".php");
    let ns = if d.is_empty() { c.ns.clone() } else { format!("{}\\{}", c.ns, d.replace('/', "\\")) };
    let u = c.unit(format!("{ns}\\{class}"), format!("{dir}/{class}.php"), vec![class.clone()], true);
    c.source(format!("{dir}/{class}.php"), Some(u), false);
    if let Some((tests, _)) = c.tests.clone() {
        if r.chance(0.35) {
            let tdir = if d.is_empty() { tests } else { format!("{tests}/{d}") };
            c.source(format!("{tdir}/{class}Test.php"), Some(u), true);
        }
    }
    u
}

/// A class name fitting the directory it is in (`FooRepository` in
/// `Repository/`), else a noun with a common suffix.
fn class_name(dir: &str, r: &mut Rng) -> String {
    let suffix = match dir {
        "Repository" | "Controller" | "Exception" | "Event" | "Command" | "Query" | "Handler"
        | "Normalizer" | "Voter" | "Type" | "Validator" | "Middleware" | "Factory" | "Provider"
        | "Message" | "Transport" | "Extension" | "Loader" | "Dumper" | "Encoder" | "Resolver"
        | "Builder" | "Adapter" | "Formatter" | "Store" | "Dto" => dir,
        "EventListener" => "Listener",
        "EventSubscriber" => "Subscriber",
        "Compiler" => "Pass",
        "DataCollector" => "DataCollector",
        _ => r.pick(&[
            "",
            "",
            "",
            "Service",
            "Manager",
            "Interface",
            "Trait",
            "Collection",
            "Status",
            "Helper",
        ]),
    };
    format!("{}{suffix}", pascal(r))
}

/// A crate of the workspace: a module tree below `lib.rs` (2018 style or
/// `mod.rs` files), integration tests, benches, examples, sometimes a
/// binary and a build script.
pub(super) fn layout_rust(c: &mut Comp, budget: usize, r: &mut Rng) {
    let root = c.root.clone();
    c.ns = format!("acme_{}", c.name.replace('-', "_"));
    c.alias = r.chance(0.5);
    c.add(format!("{root}/Cargo.toml"), Content::Config(Config::CargoToml));
    c.doc(format!("{root}/README.md"), Doc::Markdown, r);
    let top = c.unit(String::new(), format!("{root}/src/lib.rs"), names(r, 3, 7, pascal), true);
    c.source(format!("{root}/src/lib.rs"), Some(top), false);
    if r.chance(0.35) {
        c.source(format!("{root}/src/bin/{}.rs", c.name), None, false);
    }
    if r.chance(0.15) {
        c.source(format!("{root}/build.rs"), None, false);
    }
    let mod_rs = r.chance(0.3);
    let mut holders = vec![(top, format!("{root}/src"))];
    while c.files.len() < budget {
        let (dir, ext) = match r.below(100) {
            0..82 => {
                rust_module(c, &mut holders, mod_rs, r);
                continue;
            }
            82..92 => ("tests", ".rs"),
            92..95 => ("benches", ".rs"),
            95..98 => ("examples", ".rs"),
            _ => ("tests/fixtures", ".json"),
        };
        let dir = format!("{root}/{dir}");
        let stem = c.fresh(&dir, &snake(r), ext);
        match ext {
            ".rs" => c.source(format!("{dir}/{stem}{ext}"), None, true),
            _ => c.doc(format!("{dir}/{stem}{ext}"), Doc::Json, r),
        }
    }
}

/// A module below one of `holders` (modules that may have children, with
/// the directory their children's files go in).
fn rust_module(c: &mut Comp, holders: &mut Vec<(usize, String)>, mod_rs: bool, r: &mut Rng) {
    let (parent, dir) = if r.chance(0.35) { holders[0].clone() } else { r.pick(holders).clone() };
    let pname = c.units[parent].name.clone();
    let depth = if pname.is_empty() { 0 } else { pname.matches("::").count() + 1 };
    let name = c.fresh(&dir, &snake(r), ".rs");
    if c.taken.contains(&format!("{dir}/{name}/mod.rs")) {
        return;
    }
    let holder = depth < 3 && r.chance(0.3);
    let path = if holder && mod_rs { format!("{dir}/{name}/mod.rs") } else { format!("{dir}/{name}.rs") };
    let uname = if pname.is_empty() { name.clone() } else { format!("{pname}::{name}") };
    let public = c.units[parent].public && r.chance(0.8);
    let items = vec![pascal(r), pascal(r), format!("{}_{}", verb(r), snake(r))];
    let u = c.unit(uname, path.clone(), items, public);
    c.units[parent].children.push(u);
    c.source(path, Some(u), false);
    if holder {
        // `a.rs` and `a/mod.rs` would both be module `a`.
        c.taken.insert(format!("{dir}/{name}.rs"));
        holders.push((u, format!("{dir}/{name}")));
    }
}
