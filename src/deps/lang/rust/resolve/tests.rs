//! The resolver's rules, each on a small in-memory tree.

use std::collections::BTreeMap;

use super::super::super::memory_tree;
use super::*;

/// A workspace with a renamed, a `workspace = true`, a dev-only and a
/// registry dependency.
fn workspace() -> BTreeMap<Vec<u8>, Vec<u8>> {
    memory_tree(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/*\"]\n\n[workspace.dependencies]\nutil = { path = \"crates/util\" }\n",
        ),
        (
            "crates/app/Cargo.toml",
            "[package]\nname = \"app\"\n\n[dependencies]\ncore_x = { package = \"billing-core\", path = \"../core\" }\n\
             util.workspace = true\nserde = \"1\"\nghost = { path = \"../nowhere\" }\n\n\
             [target.'cfg(unix)'.dev-dependencies]\n[dev-dependencies.kit]\npath = \"../kit\"\n",
        ),
        ("crates/app/src/lib.rs", ""),
        ("crates/app/src/main.rs", ""),
        ("crates/app/src/util.rs", ""),
        ("crates/core/Cargo.toml", "[package]\nname = \"billing-core\"\n"),
        ("crates/core/src/lib.rs", ""),
        ("crates/core/src/invoice.rs", ""),
        ("crates/core/src/tax/mod.rs", ""),
        ("crates/core/src/inline/deep.rs", ""),
        ("crates/util/Cargo.toml", "[package]\nname = \"util\"\n[lib]\npath = \"lib/root.rs\"\n"),
        ("crates/util/lib/root.rs", ""),
        ("crates/util/lib/ids.rs", ""),
        ("crates/kit/Cargo.toml", "[package]\nname = \"platform-kit\"\n[lib]\nname = \"kit\"\n"),
        ("crates/kit/src/lib.rs", ""),
        ("crates/bin-only/Cargo.toml", "[package]\nname = \"bin-only\"\n"),
        ("crates/bin-only/src/main.rs", ""),
        ("crates/broken/Cargo.toml", "[package\nname = "),
        ("crates/broken/src/lib.rs", ""),
    ])
}

fn resolve_all(files: &BTreeMap<Vec<u8>, Vec<u8>>, from: &str, specs: &[&str]) -> Vec<Resolution> {
    let read = |p: &[u8]| files.get(p).cloned();
    let tree = SourceTree::new(files.keys().map(Vec::as_slice), &read);
    let resolver = Resolver::new(&tree);
    specs.iter().map(|s| resolver.resolve(&tree, from.as_bytes(), &Import::new(1, *s))).collect()
}

#[test]
fn dependencies_resolve_to_the_deepest_module_file() {
    let files = workspace();
    let got = resolve_all(
        &files,
        "crates/app/src/api/handlers.rs",
        &[
            "core_x",
            "core_x::Invoice",
            "core_x::invoice::Invoice",
            "core_x::tax::vat",
            "core_x::inline::deep::f",
            "util::ids::Id",
            "kit::sample",
            "app::api",
        ],
    );
    let want = [
        "crates/core/src/lib.rs",
        "crates/core/src/lib.rs",
        "crates/core/src/invoice.rs",
        "crates/core/src/tax/mod.rs",
        "crates/core/src/inline/deep.rs",
        "crates/util/lib/ids.rs",
        "crates/kit/src/lib.rs",
        "crates/app/src/lib.rs",
    ];
    assert_eq!(got, want.map(Resolution::file));
}

#[test]
fn non_dependencies_are_external_and_broken_paths_unresolved() {
    let files = workspace();
    let got = resolve_all(
        &files,
        "crates/app/src/lib.rs",
        &["std::fs", "serde::Serialize", "billing_core::x", "platform_kit::x", "ghost::x", "Ordering::Less"],
    );
    use Resolution::{External, Unresolved};
    assert_eq!(got, [External, External, External, External, Unresolved, External]);
    // A local module named like a crate of the tree that is no dependency.
    let got = resolve_all(&files, "crates/kit/src/lib.rs", &["util::ids", "core_x::tax"]);
    assert_eq!(got, [External, External]);
    // Files outside any package, and packages with a broken manifest.
    assert_eq!(resolve_all(&files, "scripts/x.rs", &["util::ids"]), [External]);
    assert_eq!(resolve_all(&files, "crates/broken/src/lib.rs", &["util::ids"]), [External]);
}

#[test]
fn a_dependency_without_a_library_is_unresolved() {
    let mut files = workspace();
    let manifest = "[package]\nname = \"x\"\n[dependencies]\nbin-only = { path = \"../bin-only\" }\n";
    files.insert(b"crates/x/Cargo.toml".to_vec(), manifest.as_bytes().to_vec());
    let got = resolve_all(&files, "crates/x/src/lib.rs", &["bin_only::f"]);
    assert_eq!(got, [Resolution::Unresolved]);
}

#[test]
fn manifest_deps_list_in_tree_dependencies_with_their_lines() {
    let files = workspace();
    let read = |p: &[u8]| files.get(p).cloned();
    let tree = SourceTree::new(files.keys().map(Vec::as_slice), &read);
    let deps = Resolver::new(&tree).manifest_deps(&tree);
    let got: Vec<(String, u32, String, Resolution)> = deps
        .into_iter()
        .map(|d| (String::from_utf8(d.manifest).unwrap(), d.line, d.name, d.resolution))
        .collect();
    let dir = |d: &str| Resolution::Internal {
        path: format!("{d}/").into_bytes(),
        files: vec![format!("{d}/Cargo.toml").into_bytes()],
    };
    let app = "crates/app/Cargo.toml".to_owned();
    let want = vec![
        (app.clone(), 5, "core_x".to_owned(), dir("crates/core")),
        (app.clone(), 6, "util".to_owned(), dir("crates/util")),
        (app, 11, "kit".to_owned(), dir("crates/kit")),
    ];
    assert_eq!(got, want);
}

#[test]
fn explicit_workspace_roots_and_workspace_renames() {
    let files = memory_tree(&[
        ("ws/Cargo.toml", "[workspace]\n[workspace.dependencies]\nmoney = { package = \"fin-money\", path = \"../lib/money\" }\n"),
        ("app/Cargo.toml", "[package]\nname = \"app\"\nworkspace = \"../ws\"\n[dependencies]\nmoney = { workspace = true }\n"),
        ("lib/money/Cargo.toml", "[package]\nname = \"fin-money\"\n"),
        ("lib/money/src/lib.rs", ""),
    ]);
    let got = resolve_all(&files, "app/src/main.rs", &["money::Cents", "fin_money::Cents"]);
    assert_eq!(got, [Resolution::file("lib/money/src/lib.rs"), Resolution::External]);
}

/// One package with a library, binaries, tests, benches, an example, a
/// build script, and targets at paths the manifest names.
fn package() -> BTreeMap<Vec<u8>, Vec<u8>> {
    let manifest = "[package]\nname = \"shop-core\"\nbuild = \"gen/build.rs\"\n\n[[bin]]\nname = \"tool\"\n\
                    path = \"tools/tool.rs\"\n\n[[test]]\nname = \"odd\"\npath = \"checks/odd.rs\"\n";
    let files = [
        "src/lib.rs",
        "src/main.rs",
        "src/plan.rs",
        "src/cli/mod.rs",
        "src/cli/plan.rs",
        "src/a.rs",
        "src/a/b.rs",
        "src/a/b/c.rs",
        "src/a/inner/z.rs",
        "src/inline/deep.rs",
        "src/bin/x.rs",
        "src/bin/y/main.rs",
        "src/bin/y/util.rs",
        "tests/it.rs",
        "tests/other.rs",
        "tests/common/mod.rs",
        "tests/common/helpers.rs",
        "tests/suite/main.rs",
        "tests/suite/cases.rs",
        "benches/speed.rs",
        "benches/support/synth.rs",
        "examples/demo.rs",
        "gen/build.rs",
        "tools/tool.rs",
        "tools/helper.rs",
        "checks/odd.rs",
    ];
    let mut tree: Vec<(&str, &str)> = files.iter().map(|f| (*f, "")).collect();
    tree.push(("Cargo.toml", manifest));
    memory_tree(&tree)
}

/// `(root, dir)` of the context of each file.
fn contexts(files: &BTreeMap<Vec<u8>, Vec<u8>>, paths: &[&str]) -> Vec<(Option<String>, String)> {
    let read = |p: &[u8]| files.get(p).cloned();
    let tree = SourceTree::new(files.keys().map(Vec::as_slice), &read);
    let resolver = Resolver::new(&tree);
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
    paths
        .iter()
        .map(|p| {
            let cx = resolver.context(p.as_bytes());
            (cx.root.map(text), text(cx.dir))
        })
        .collect()
}

#[test]
fn every_file_belongs_to_the_target_whose_directory_is_nearest() {
    let files = package();
    let cases = [
        ("src/lib.rs", Some("src/lib.rs"), "src"),
        ("src/main.rs", Some("src/main.rs"), "src"),
        ("src/plan.rs", Some("src/lib.rs"), "src"),
        ("src/cli/plan.rs", Some("src/lib.rs"), "src"),
        ("src/bin/x.rs", Some("src/bin/x.rs"), "src/bin"),
        ("src/bin/y/util.rs", Some("src/bin/y/main.rs"), "src/bin/y"),
        ("tests/it.rs", Some("tests/it.rs"), "tests"),
        ("tests/common/helpers.rs", None, "tests"),
        ("tests/suite/cases.rs", Some("tests/suite/main.rs"), "tests/suite"),
        ("benches/support/synth.rs", Some("benches/speed.rs"), "benches"),
        ("examples/demo.rs", Some("examples/demo.rs"), "examples"),
        ("gen/build.rs", Some("gen/build.rs"), "gen"),
        ("tools/helper.rs", Some("tools/tool.rs"), "tools"),
        ("checks/odd.rs", Some("checks/odd.rs"), "checks"),
        ("loose/x.rs", Some("loose/x.rs"), "loose"),
    ];
    let paths: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let want: Vec<(Option<String>, String)> =
        cases.iter().map(|c| (c.1.map(str::to_owned), c.2.to_owned())).collect();
    assert_eq!(contexts(&files, &paths), want);
    // Without a library, the files of `src/` are the binary's.
    let files =
        memory_tree(&[("Cargo.toml", "[package]\nname = \"b\"\n"), ("src/main.rs", ""), ("src/x.rs", "")]);
    assert_eq!(contexts(&files, &["src/x.rs"]), [(Some("src/main.rs".to_owned()), "src".to_owned())]);
}

#[test]
fn module_paths_of_every_file_shape() {
    let text = |m: Vec<&[u8]>| m.iter().map(|s| String::from_utf8(s.to_vec()).unwrap()).collect::<Vec<_>>();
    let lib = Context { root: Some(b"src/lib.rs"), dir: b"src" };
    assert!(module_path(&lib, b"src/lib.rs").is_empty());
    assert_eq!(text(module_path(&lib, b"src/a.rs")), ["a"]);
    assert_eq!(text(module_path(&lib, b"src/a/b.rs")), ["a", "b"]);
    assert_eq!(text(module_path(&lib, b"src/a/b/mod.rs")), ["a", "b"]);
    let root = Context { root: None, dir: b"" };
    assert_eq!(text(module_path(&root, b"mod.rs")), ["mod"]);
    assert_eq!(text(module_path(&root, b"x/mod.rs")), ["x"]);
}

fn expect(files: &BTreeMap<Vec<u8>, Vec<u8>>, from: &str, cases: &[(&str, Option<&str>)]) {
    let specs: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let got = resolve_all(files, from, &specs);
    for ((spec, want), got) in cases.iter().zip(got) {
        let want = match want {
            Some("external") => Resolution::External,
            Some(file) => Resolution::file(*file),
            None => Resolution::Unresolved,
        };
        assert_eq!(got, want, "{spec} from {from}");
    }
}

#[test]
fn crate_paths_lead_to_the_deepest_module_file_of_the_own_crate() {
    let files = package();
    expect(
        &files,
        "src/cli/plan.rs",
        &[
            ("crate::plan::Plan", Some("src/plan.rs")),
            ("crate::a::b::c::f", Some("src/a/b/c.rs")),
            ("crate::a::nothing::x", Some("src/a.rs")),
            ("crate::Thing", Some("src/lib.rs")),
            ("crate::inline::deep::f", Some("src/inline/deep.rs")),
            ("crate::cli::plan::f", Some("external")),
        ],
    );
    expect(
        &files,
        "src/lib.rs",
        &[("crate::Thing", Some("external")), ("crate::cli", Some("src/cli/mod.rs"))],
    );
    expect(&files, "tests/suite/cases.rs", &[("crate::Setup", Some("tests/suite/main.rs"))]);
    // A module several tests share: only its own modules are known.
    expect(
        &files,
        "tests/common/helpers.rs",
        &[("crate::common::f", Some("tests/common/mod.rs")), ("crate::Thing", None)],
    );
}

#[test]
fn self_and_super_climb_the_module_path_and_not_out_of_the_crate() {
    let files = package();
    expect(
        &files,
        "src/cli/plan.rs",
        &[
            ("super::Args", Some("src/cli/mod.rs")),
            ("super::super::plan::Plan", Some("src/plan.rs")),
            ("super::super::Thing", Some("src/lib.rs")),
            ("super::super::super::x", None),
            ("self::Local", Some("external")),
        ],
    );
    expect(
        &files,
        "src/a.rs",
        &[
            ("self::b::c::f", Some("src/a/b/c.rs")),
            ("self::b", Some("src/a/b.rs")),
            ("super::plan", Some("src/plan.rs")),
        ],
    );
    expect(
        &files,
        "src/a/b/c.rs",
        &[("super::super::T", Some("src/a.rs")), ("super::super::super::x", Some("src/lib.rs"))],
    );
    expect(&files, "src/lib.rs", &[("super::x", None)]);
    expect(
        &files,
        "tests/common/helpers.rs",
        &[("super::git", Some("tests/common/mod.rs")), ("super::super::x", None)],
    );
    expect(&files, "src/bin/y/util.rs", &[("super::main_item", Some("src/bin/y/main.rs"))]);
}

#[test]
fn module_declarations_load_files_next_to_or_under_the_declaring_file() {
    let files = package();
    expect(
        &files,
        "src/lib.rs",
        &[
            ("mod plan", Some("src/plan.rs")),
            ("mod cli", Some("src/cli/mod.rs")),
            ("mod inline::deep", Some("src/inline/deep.rs")),
            ("mod missing", None),
        ],
    );
    expect(&files, "src/a.rs", &[("mod b", Some("src/a/b.rs")), ("mod plan", None)]);
    expect(&files, "src/a/b.rs", &[("mod c", Some("src/a/b/c.rs"))]);
    expect(&files, "src/cli/mod.rs", &[("mod plan", Some("src/cli/plan.rs"))]);
    expect(&files, "src/bin/y/main.rs", &[("mod util", Some("src/bin/y/util.rs"))]);
    expect(&files, "tests/it.rs", &[("mod common", Some("tests/common/mod.rs"))]);
    expect(&files, "tests/common/mod.rs", &[("mod helpers", Some("tests/common/helpers.rs"))]);
}

#[test]
fn path_attributes_are_relative_to_the_declaring_files_directory() {
    let files = package();
    expect(
        &files,
        "tests/it.rs",
        &[
            ("#[path = \"common/helpers.rs\"] mod h", Some("tests/common/helpers.rs")),
            ("#[path = \"../src/plan.rs\"] mod p", Some("src/plan.rs")),
            ("#[path = \"/tmp/stubs/x.rs\"] mod x", Some("external")),
            ("#[path = \"../../x.rs\"] mod x", None),
            ("#[path = \"nowhere.rs\"] mod x", None),
        ],
    );
    // Top level of a non-mod-rs file: its own directory; inside an inline
    // module: the directory of its module's children.
    expect(
        &files,
        "src/a.rs",
        &[
            ("#[path = \"plan.rs\"] mod q", Some("src/plan.rs")),
            ("#[path = \"z.rs\"] mod inner::m", Some("src/a/inner/z.rs")),
        ],
    );
}

#[test]
fn the_own_library_from_tests_binaries_and_examples() {
    let files = package();
    for from in ["tests/it.rs", "src/main.rs", "src/bin/x.rs", "examples/demo.rs", "tools/tool.rs"] {
        expect(
            &files,
            from,
            &[("shop_core::cli::plan::run", Some("src/cli/plan.rs")), ("shop_core::X", Some("src/lib.rs"))],
        );
    }
}

#[test]
fn odd_specs_never_panic() {
    let files = package();
    let specs = [
        "",
        "::",
        "a::",
        "crate",
        "self",
        "super::super::super::super::super",
        "mod ",
        "mod a::",
        "#[path = \"\"] mod ",
        "#[path = \"/\"] mod x",
        "#[path = \"../../../..\"] mod m",
        "#[path = \"é\"] mod a::b",
    ];
    for from in ["src/lib.rs", "src/a/b/c.rs", "tests/common/helpers.rs", "loose.rs", ""] {
        let got = resolve_all(&files, from, &specs);
        assert_eq!(got.len(), specs.len());
    }
}
