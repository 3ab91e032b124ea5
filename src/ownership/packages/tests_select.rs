//! Selectors as people type them: globs expanded at the ref, and notes on
//! Python names that are another project's import package.

use super::super::*;

/// `select` on one tree: each match as `name: dirs`, or the error.
fn selected(files: &[(&str, &str)], spec: &str) -> Vec<String> {
    let tree = MemoryFiles::new(files.iter().copied());
    let index = PackageIndex::new(&tree);
    match index.select(&PackageSpec::parse(spec)) {
        Ok(all) => all
            .into_iter()
            .map(|s| {
                let dirs: Vec<String> =
                    s.resolution.dirs.iter().map(|d| String::from_utf8_lossy(d).into_owned()).collect();
                let notes = s.notes.iter().map(|n| format!(" [{n}]")).collect::<String>();
                format!("{}: {}{notes}", s.spec, dirs.join(" "))
            })
            .collect(),
        Err(e) => vec![format!("error: {e}")],
    }
}

const NPM: &[(&str, &str)] = &[
    ("package.json", r#"{"name": "root", "private": true, "workspaces": ["packages/*", "tools/*"]}"#),
    ("packages/ui/package.json", r#"{"name": "@acme/ui"}"#),
    ("packages/api/package.json", r#"{"name": "@acme/api"}"#),
    ("packages/api-mock/package.json", r#"{"name": "@acme-labs/api-mock"}"#),
    ("tools/lint/package.json", r#"{"name": "lint-rules"}"#),
    // No workspace selects it: a file of @acme/ui, as `npm pack` ships it.
    ("packages/ui/template/package.json", r#"{"name": "@acme/ui-template"}"#),
];

#[test]
fn npm_globs_stay_within_one_part_of_the_name() {
    assert_eq!(selected(NPM, "npm:@acme/*"), ["npm:@acme/api: packages/api", "npm:@acme/ui: packages/ui"]);
    assert_eq!(selected(NPM, "npm:@acme*/*").len(), 3);
    assert_eq!(selected(NPM, "npm:*"), ["npm:lint-rules: tools/lint", "npm:root: "]);
    assert_eq!(
        selected(NPM, "npm:**"),
        selected(NPM, "npm:*/*")
            .into_iter()
            .chain(selected(NPM, "npm:*"))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
    assert_eq!(selected(NPM, "npm:@acme/?i"), ["npm:@acme/ui: packages/ui"]);
    assert_eq!(selected(NPM, "npm:@acme/ui-*"), ["error: package `npm:@acme/ui-*` not found in the tree"]);
}

#[test]
fn without_a_workspace_every_package_inside_no_other_is_listed() {
    let files = [
        ("web/package.json", r#"{"name": "@acme/web"}"#),
        ("admin/package.json", r#"{"name": "@acme/admin"}"#),
        ("admin/fixtures/package.json", r#"{"name": "@acme/admin-fixture"}"#),
    ];
    assert_eq!(selected(&files, "npm:@acme/*"), ["npm:@acme/admin: admin", "npm:@acme/web: web"]);
}

#[test]
fn a_glob_needs_a_kind_a_valid_pattern_and_a_match() {
    assert_eq!(
        selected(NPM, "@acme/*"),
        ["error: package glob `@acme/*`: a glob needs its kind, as in `npm:@acme/*`"]
    );
    assert!(selected(NPM, "npm:@acme/[ui")[0].starts_with("error: package glob `npm:@acme/[ui`: "));
    assert_eq!(selected(NPM, "npm:@other/*"), ["error: package `npm:@other/*` not found in the tree"]);
    let tree = MemoryFiles::new(NPM.iter().copied());
    let err = PackageIndex::new(&tree).select(&PackageSpec::parse("npm:@other/*")).unwrap_err();
    assert_eq!(
        err.stale_spec(),
        Some("npm:@other/*"),
        "a glob that matches nothing is drift, like a stale name"
    );
}

#[test]
fn go_globs_match_modules_and_nested_modules_stay_carved_out() {
    let files = [
        ("go.mod", "module go.acme.io/otel\n"),
        ("exporters/otlp/otlptrace/go.mod", "module go.acme.io/otel/exporters/otlp/otlptrace\n"),
        (
            "exporters/otlp/otlptrace/otlptracegrpc/go.mod",
            "module go.acme.io/otel/exporters/otlp/otlptrace/otlptracegrpc\n",
        ),
        ("exporters/otlp/otlpmetric/go.mod", "module go.acme.io/otel/exporters/otlp/otlpmetric\n"),
        ("exporters/stdout/go.mod", "module go.acme.io/otel/exporters/stdout\n"),
    ];
    assert_eq!(
        selected(&files, "go:go.acme.io/otel/exporters/otlp/*"),
        [
            "go:go.acme.io/otel/exporters/otlp/otlpmetric: exporters/otlp/otlpmetric",
            "go:go.acme.io/otel/exporters/otlp/otlptrace: exporters/otlp/otlptrace",
        ]
    );
    assert_eq!(selected(&files, "go:go.acme.io/otel/exporters/otlp/**").len(), 3);
    let tree = MemoryFiles::new(files.iter().copied());
    let trace = PackageIndex::new(&tree)
        .select(&PackageSpec::parse("go:go.acme.io/otel/exporters/otlp/otlptrace*"))
        .unwrap();
    assert_eq!(trace[0].resolution.carve_outs, [b"exporters/otlp/otlptrace/otlptracegrpc".to_vec()]);
}

#[test]
fn jvm_globs_take_each_package_once_with_its_sub_packages() {
    let files = [
        ("billing/src/main/java/com/acme/billing/Invoice.java", "package com.acme.billing;"),
        ("billing/src/main/java/com/acme/billing/tax/Vat.java", "package com.acme.billing.tax;"),
        ("search/src/main/kotlin/Index.kt", "package com.acme.search.index"),
        ("other/src/main/java/org/acme/X.java", "package org.acme;"),
    ];
    assert_eq!(
        selected(&files, "jvm:com.acme.*"),
        ["jvm:com.acme.billing: billing/src/main/java/com/acme/billing", "jvm:com.acme.search: ",]
    );
    assert_eq!(selected(&files, "jvm:com.acme.**").len(), 2, "sub-packages of a match add nothing");
}

#[test]
fn gradle_and_maven_globs_split_names_at_colons() {
    let gradle = [
        ("settings.gradle.kts", "include(\":libs:core\", \":libs:net\", \":apps:web\")"),
        ("libs/core/build.gradle.kts", ""),
        ("libs/net/build.gradle.kts", ""),
        ("apps/web/build.gradle.kts", ""),
    ];
    assert_eq!(
        selected(&gradle, "gradle::libs:*"),
        ["gradle::libs:core: libs/core", "gradle::libs:net: libs/net"]
    );
    let maven = [
        ("pom.xml", "<project><groupId>com.acme</groupId><artifactId>parent</artifactId><modules><module>billing</module></modules></project>"),
        ("billing/pom.xml", "<project><parent><groupId>com.acme</groupId></parent><artifactId>billing</artifactId></project>"),
        ("vendor/pom.xml", "<project><groupId>org.other</groupId><artifactId>billing-client</artifactId></project>"),
    ];
    assert_eq!(
        selected(&maven, "maven:com.acme:*"),
        ["maven:com.acme:billing: billing", "maven:com.acme:parent: "]
    );
    assert_eq!(selected(&maven, "maven:billing*").len(), 2);
}

/// pydantic-ai's shape: the root project `pydantic-ai` has no code of its
/// own; `pydantic-ai-slim` ships the import package `pydantic_ai`.
const PYDANTIC: &[(&str, &str)] = &[
    ("pyproject.toml", "[project]\nname = \"pydantic-ai\"\n"),
    ("pydantic_ai_slim/pyproject.toml", "[project]\nname = \"pydantic-ai-slim\"\n"),
    ("pydantic_ai_slim/pydantic_ai/__init__.py", ""),
    ("pydantic_graph/pyproject.toml", "[project]\nname = \"pydantic-graph\"\n"),
    ("pydantic_graph/src/pydantic_graph/__init__.py", ""),
    ("clai/pyproject.toml", "[project]\nname = \"clai\"\n"),
    ("clai/clai/__init__.py", ""),
];

#[test]
fn a_python_project_named_like_another_projects_import_package_gets_a_note() {
    assert_eq!(
        selected(PYDANTIC, "python:pydantic_ai"),
        ["python:pydantic_ai:  [`python:pydantic_ai` is the project `pydantic-ai` by name; the import package `pydantic_ai` is in project `pydantic-ai-slim` (pydantic_ai_slim/): write `python:pydantic-ai-slim` for that code]"]
    );
    assert_eq!(selected(PYDANTIC, "python:pydantic-ai-slim"), ["python:pydantic-ai-slim: pydantic_ai_slim"]);
    assert_eq!(
        selected(PYDANTIC, "python:clai"),
        ["python:clai: clai"],
        "a project's own import package is no news"
    );
}

#[test]
fn an_import_package_that_is_no_project_suggests_its_project_first() {
    let mut files = PYDANTIC.to_vec();
    files.retain(|(p, _)| *p != "pyproject.toml");
    files.push(("pydantic_evals/pyproject.toml", "[project]\nname = \"pydantic-evals\"\n"));
    files.push(("pydantic_evals/pydantic_evals/__init__.py", ""));
    let got = selected(&files, "python:pydantic_ai");
    assert!(
        got[0].starts_with("error: package `python:pydantic_ai` not found in the tree; closest: python:pydantic-ai-slim (its import package `pydantic_ai`)"),
        "{got:?}"
    );
    // Under src/ too.
    let got = selected(&files, "pydantic_graph");
    assert_eq!(got, ["pydantic_graph: pydantic_graph"], "a bare name that is a project resolves as one");
}
