//! npm, pnpm and Yarn workspaces: which package.json directories are
//! carved out of the packages around them.

use super::*;

/// A pnpm workspace shaped like vite's, a Yarn workspace object, npm's
/// negations, and workspace roots nested in other packages.
const NPM_WORKSPACES: &[(&str, &str)] = &[
    ("package.json", r#"{"name": "vite-monorepo", "private": true}"#),
    (
        "pnpm-workspace.yaml",
        "# the vite layout\npackages:\n  - packages/*\n  - ./playground/**\n  - '!**/test/**'\n",
    ),
    ("packages/create-vite/package.json", r#"{"name": "create-vite"}"#),
    ("packages/create-vite/template-vue/package.json", r#"{"name": "vite-vue-starter"}"#),
    ("packages/create-vite/template-react/package.json", r#"{"name": "vite-react-starter"}"#),
    ("packages/vite/package.json", r#"{"name": "vite"}"#),
    ("packages/vite/src/node/__tests__/fixture/package.json", r#"{"name": "fixture"}"#),
    ("playground/package.json", r#"{"name": "playground"}"#),
    ("playground/alias/package.json", r#"{"name": "@vitejs/test-alias"}"#),
    ("playground/alias/dir/package.json", r#"{"name": "@vitejs/test-alias-dir"}"#),
    ("playground/.hidden/package.json", r#"{"name": "hidden"}"#),
    ("playground/bower_components/b/package.json", r#"{"name": "bower"}"#),
    ("playground/test/package.json", r#"{"name": "under-test"}"#),
    // npm: a yarn-style object, a negation, a later pattern cancelling one.
    (
        "yarn/package.json",
        r#"{"name": "yarn-root", "workspaces": {"packages": ["libs/*"], "nohoist": ["**"]}}"#,
    ),
    ("yarn/libs/a/package.json", r#"{"name": "yarn-a"}"#),
    (
        "npm/package.json",
        r#"{"name": "npm-root", "workspaces": ["pkgs/*", "!pkgs/legacy", "tools/**", "!tools/x/**", "tools/x/keep"]}"#,
    ),
    ("npm/pkgs/a/package.json", r#"{"name": "npm-a"}"#),
    ("npm/pkgs/legacy/package.json", r#"{"name": "npm-legacy"}"#),
    ("npm/pkgs/.dot/package.json", r#"{"name": "npm-dot"}"#),
    ("npm/tools/x/package.json", r#"{"name": "npm-x"}"#),
    ("npm/tools/x/keep/package.json", r#"{"name": "npm-keep"}"#),
    ("npm/tools/node_modules/y/package.json", r#"{"name": "npm-nm"}"#),
    // A member without a name is still a member.
    ("npm/pkgs/nameless/package.json", "{}"),
    ("npm/pkgs/broken/package.json", "{"),
    ("bad-ws/package.json", r#"{"name": "bad", "workspaces": "packages/*"}"#),
    ("bad-yaml/pnpm-workspace.yaml", "packages: [\n"),
];

#[test]
fn npm_workspaces_decide_what_is_carved_out() {
    check(
        NPM_WORKSPACES,
        &[
            // The root of every workspace below is carved out, as are the
            // members; the templates are files of create-vite.
            (
                "npm:vite-monorepo",
                "npm: . - bad-ws bad-yaml npm npm/pkgs/a npm/pkgs/broken npm/pkgs/nameless npm/tools/x npm/tools/x/keep \
                 packages/create-vite packages/vite playground playground/alias playground/alias/dir yarn yarn/libs/a",
            ),
            ("npm:create-vite", "npm: packages/create-vite"),
            ("npm:vite-vue-starter", "npm: packages/create-vite/template-vue"),
            ("npm:vite", "npm: packages/vite"),
            // `playground/**` holds `playground` itself and every depth, but
            // not dot names, bower_components or (by `!**/test/**`) test.
            ("npm:playground", "npm: playground - playground/alias playground/alias/dir"),
            ("npm:@vitejs/test-alias", "npm: playground/alias - playground/alias/dir"),
            ("yarn-root", "npm: yarn - yarn/libs/a"),
            // npm: `!pkgs/legacy` drops legacy; `tools/x/keep` cancels `!tools/x/**`.
            ("npm:npm-root", "npm: npm - npm/pkgs/a npm/pkgs/broken npm/pkgs/nameless npm/tools/x npm/tools/x/keep"),
            ("npm:npm-legacy", "npm: npm/pkgs/legacy"),
            // A root whose `workspaces` cannot be read still has its name.
            ("npm:bad", "npm: bad-ws"),
        ],
    );
    assert_eq!(
        skipped(NPM_WORKSPACES, 24),
        pairs(&[
            ("bad-ws/package.json", "`workspaces` is neither "),
            ("bad-yaml/pnpm-workspace.yaml", "invalid YAML: unclosed b"),
            ("npm/pkgs/broken/package.json", "invalid JSON: EOF while "),
        ])
    );
}

#[test]
fn pnpm_workspace_without_packages_is_the_root_alone() {
    let files: &[(&str, &str)] = &[
        ("package.json", r#"{"name": "root"}"#),
        ("pnpm-workspace.yaml", "onlyBuiltDependencies: [esbuild]\n"),
        ("a/package.json", r#"{"name": "a"}"#),
        ("empty/pnpm-workspace.yaml", ""),
        ("empty/b/package.json", r#"{"name": "b"}"#),
    ];
    check(files, &[("npm:root", "npm: . - empty"), ("npm:a", "npm: a")]);
    assert!(is_package_manifest(b"x/pnpm-workspace.yaml"));
}

#[test]
fn hostile_workspaces_are_bounded_and_reported() {
    let deep = vec!["d"; 900].join("/");
    let mut files: Vec<(String, String)> = Vec::new();
    for r in 0..200 {
        files.push((
            format!("r{r}/package.json"),
            format!(r#"{{"name": "r{r}", "workspaces": ["{deep}", "*/*"]}}"#),
        ));
        for m in 0..200 {
            files.push((format!("r{r}/m{m}/x/package.json"), "{}".into()));
        }
    }
    let wide = format!(r#"{{"workspaces": ["{}x"]}}"#, "{a,b}/".repeat(7));
    files.push(("wide/package.json".into(), wide));
    let tree = MemoryFiles::new(files);
    let index = PackageIndex::new(&tree);
    let started = std::time::Instant::now();
    index.build_all().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let skipped = index.skipped();
    let over_budget = skipped.iter().filter(|(_, r)| r.starts_with("too many workspace patterns")).count();
    assert!(over_budget > 0 && over_budget < 200, "{skipped:?}");
    assert!(skipped.contains(&(
        "wide/package.json".to_string(),
        "the workspace's patterns hold more than 1000 path segments".to_string()
    )));
    // The roots matched before the budget ran out have their members.
    assert_eq!(render(index.resolve(&PackageSpec::parse("npm:r0"))).matches("/x").count(), 200);
}

#[test]
fn npm_packages_give_each_workspace_its_tool_and_members() {
    let found = npm_packages(&MemoryFiles::new(NPM_WORKSPACES.iter().copied())).unwrap();
    let shown: Vec<String> = found
        .workspaces
        .iter()
        .map(|w| {
            let members: Vec<String> =
                w.members.iter().map(|m| String::from_utf8_lossy(m).into_owned()).collect();
            format!("{:?} {:?}: {}", String::from_utf8_lossy(&w.root), w.tool, members.join(" "))
        })
        .collect();
    assert_eq!(
        shown,
        [
            r#""bad-ws" Npm: "#,
            r#""bad-yaml" Pnpm: "#,
            r#""npm" Npm: npm/pkgs/a npm/pkgs/broken npm/pkgs/nameless npm/tools/x npm/tools/x/keep"#,
            r#""" Pnpm: packages/create-vite packages/vite playground playground/alias playground/alias/dir"#,
            r#""yarn" Npm: yarn/libs/a"#,
        ]
    );
    assert_eq!(found.names.get(b"npm/pkgs/legacy".as_slice()).map(String::as_str), Some("npm-legacy"));
    assert_eq!(found.names.get(b"npm/pkgs/nameless".as_slice()), None);
}
