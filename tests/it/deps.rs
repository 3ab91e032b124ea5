//! `deps` against each language's own tooling: on a fixture repository per
//! language, the references `git-split deps --all` resolves are exactly the
//! ones the language's tools see (`tests/oracles/`), traps included.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::{digest, fixture, split, tools};

/// One reference: referencing file, line (`None` where the tool gives no
/// positions), target.
type Ref = (String, Option<u64>, String);

/// Runs a tool in `dir` with the oracles' environment; its stdout.
fn tool(program: &str, args: &[&std::ffi::OsStr], dir: &Path) -> String {
    let cache = tools::cache_dir();
    let mut cmd = tools::command(program, dir);
    cmd.args(args)
        .env("COMPOSER_HOME", cache.join("composer"))
        .env("npm_config_store_dir", cache.join("pnpm-store"));
    let shown: Vec<_> = args.iter().map(|a| a.to_string_lossy()).collect();
    tools::stdout_of(&mut cmd)
        .unwrap_or_else(|e| panic!("oracle `{program} {}` failed:\n{e}", shown.join(" ")))
}

/// Runs an oracle (`program args... <checkout>`, from the repository root)
/// and reads its JSON lines.
fn oracle(program: &str, args: &[&str], checkout: &Path, with_lines: bool) -> BTreeSet<Ref> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    all.push(checkout.as_os_str());
    parse_refs(program, &tool(program, &all, root), with_lines)
}

/// An oracle's JSON lines, as references.
fn parse_refs(program: &str, text: &str, with_lines: bool) -> BTreeSet<Ref> {
    let refs: BTreeSet<Ref> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("oracle line {l:?}: {e}"));
            let line = if with_lines { v["line"].as_u64() } else { None };
            (v["from"].as_str().unwrap().to_string(), line, v["to"].as_str().unwrap().to_string())
        })
        .collect();
    assert!(!refs.is_empty(), "the oracle `{program}` found no reference at all");
    refs
}

/// The references `deps --all --format json` reports for `language`, of `kind`.
fn ours(repo: &Path, language: &str, kind: &str, with_lines: bool) -> BTreeSet<Ref> {
    let before = digest(repo);
    let run = split(repo, &["deps", "--all", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(before, digest(repo), "`deps` modified the repository");
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["language"] == language && e["kind"] == kind)
        .map(|e| {
            let line = if with_lines { e["line"].as_u64() } else { None };
            (e["from_file"].as_str().unwrap().to_string(), line, e["to_path"].as_str().unwrap().to_string())
        })
        .collect()
}

/// Asserts both sets are equal, listing what each side alone has.
fn assert_same(language: &str, ours: &BTreeSet<Ref>, theirs: &BTreeSet<Ref>) {
    let only_ours: Vec<_> = ours.difference(theirs).collect();
    let only_theirs: Vec<_> = theirs.difference(ours).collect();
    assert!(
        only_ours.is_empty() && only_theirs.is_empty(),
        "{language}: git-split and the language's tooling disagree\n only git-split: {only_ours:#?}\n only the tool: {only_theirs:#?}"
    );
}

/// A fixture repository and a plain copy of its tree for the oracle, which
/// may write caches or lock files where it runs.
fn fixture_and_checkout(name: &str) -> (PathBuf, tempfile::TempDir) {
    let repo = fixture(name);
    let tmp = crate::support::checkout(&repo);
    (repo, tmp)
}

#[test]
fn go_imports_resolve_as_the_go_command_resolves_them() {
    let (repo, tree) = fixture_and_checkout("deps_go");
    let theirs = oracle("go", &["run", "tests/oracles/go_imports.go"], tree.path(), true);
    assert_same("go", &ours(&repo, "go", "import", true), &theirs);
}

#[test]
fn npm_workspace_packages_resolve_as_npm_installs_them() {
    let (repo, tree) = fixture_and_checkout("deps_npm");
    install(tree.path(), "npm", &["install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"]);
    let theirs = oracle("node", &["tests/oracles/js/imports.mjs"], tree.path(), true);
    assert!(theirs.iter().any(|(_, _, to)| to == "packages/ui/src/icons/arrow.tsx"), "{theirs:#?}");
    assert_same("javascript", &ours(&repo, "javascript", "import", true), &theirs);
    let theirs = oracle("node", &["tests/oracles/js/workspace_deps.mjs"], tree.path(), false);
    assert_same("npm manifests", &ours(&repo, "javascript", "manifest", false), &theirs);
}

#[test]
fn pnpm_workspace_packages_resolve_as_pnpm_installs_them() {
    let (repo, tree) = fixture_and_checkout("deps_pnpm");
    install(tree.path(), "pnpm", &["install", "--offline", "--ignore-scripts"]);
    let theirs = oracle("node", &["tests/oracles/js/imports.mjs"], tree.path(), true);
    assert_same("javascript", &ours(&repo, "javascript", "import", true), &theirs);
    let theirs = oracle("node", &["tests/oracles/js/workspace_deps.mjs"], tree.path(), false);
    assert!(theirs.contains(&("package.json".into(), None, "tools/codegen/".into())), "{theirs:#?}");
    assert_same("pnpm manifests", &ours(&repo, "javascript", "manifest", false), &theirs);
}

#[test]
fn maven_poms_link_modules_as_the_maven_reactor_does() {
    let (repo, tree) = fixture_and_checkout("deps_maven");
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let jar = maven_oracle(&tmp.join("maven-oracle"));
    let out = tempfile::NamedTempFile::new().unwrap();
    let arg = |name: &str, value: &Path| std::ffi::OsString::from(format!("-D{name}={}", value.display()));
    let args = [
        "-o".into(),
        "-q".into(),
        "-B".into(),
        arg("maven.repo.local", &tmp.join("oracle-cache/m2")),
        arg("maven.ext.class.path", &jar),
        arg("gitsplit.out", out.path()),
        "validate".into(),
    ];
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    tool("mvn", &args, tree.path());
    let theirs = parse_refs("mvn", &std::fs::read_to_string(out.path()).unwrap(), true);
    assert!(theirs.contains(&("orders/pom.xml".into(), Some(17), "platform/commons/".into())), "{theirs:#?}");
    assert_same("maven", &ours(&repo, "jvm", "manifest", true), &theirs);
}

#[test]
fn gradle_scripts_name_projects_as_gradle_configures_them() {
    let (repo, tree) = fixture_and_checkout("deps_gradle");
    // Debian's Gradle 4.4 reads no Kotlin: the fixture's Kotlin scripts,
    // written in the subset Groovy shares, are read as Groovy.
    let mut kotlin = BTreeSet::new();
    for f in crate::support::z_list(&crate::support::git(&repo, &["ls-files", "-z", "*.gradle.kts"])) {
        let path = tree.path().join(&f);
        std::fs::rename(&path, path.with_extension("")).unwrap();
        kotlin.insert(f.trim_end_matches(".kts").to_string());
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("oracle-cache/gradle");
    let script = root.join("tests/oracles/gradle_deps.gradle");
    let args = ["--offline".as_ref(), "--no-daemon".as_ref(), "--quiet".as_ref(), "--init-script".as_ref()];
    let mut args: Vec<&std::ffi::OsStr> = args.to_vec();
    args.extend([script.as_os_str(), "-g".as_ref(), home.as_os_str(), "help".as_ref()]);
    let out = tool("gradle", &args, tree.path());
    let json: String = out.lines().filter(|l| l.starts_with('{')).map(|l| format!("{l}\n")).collect();
    let theirs: BTreeSet<Ref> = parse_refs("gradle", &json, false)
        .into_iter()
        .map(
            |(from, line, to)| {
                if kotlin.contains(&from) {
                    (format!("{from}.kts"), line, to)
                } else {
                    (from, line, to)
                }
            },
        )
        .collect();
    assert!(theirs.contains(&("app/build.gradle.kts".into(), None, "libs/core/".into())), "{theirs:#?}");
    assert_same("gradle", &ours(&repo, "jvm", "manifest", false), &theirs);
}

/// Builds the Maven oracle extension (tests/oracles/maven) against the
/// installed Maven's own libraries; the jar's path.
fn maven_oracle(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mvn = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("mvn"))
        .find(|p| p.is_file())
        .expect("mvn on PATH; `bash .ci/test` installs it");
    let home = mvn.canonicalize().unwrap().parent().unwrap().parent().unwrap().to_path_buf();
    let classes = dir.join("classes");
    std::fs::create_dir_all(classes.join("META-INF/plexus")).unwrap();
    let source = root.join("tests/oracles/maven");
    let classpath = home.join("lib/*");
    let file = source.join("ReactorDeps.java");
    let javac = ["-d".as_ref(), classes.as_os_str(), "-cp".as_ref(), classpath.as_os_str(), file.as_os_str()];
    tool("javac", &javac, root);
    std::fs::copy(
        source.join("META-INF/plexus/components.xml"),
        classes.join("META-INF/plexus/components.xml"),
    )
    .unwrap();
    let jar = dir.join("reactor-deps.jar");
    tool("jar", &["cf".as_ref(), jar.as_os_str(), "-C".as_ref(), classes.as_os_str(), ".".as_ref()], root);
    jar
}

/// Installs a checkout with its package manager, offline.
fn install(checkout: &Path, program: &str, args: &[&str]) {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    tool(program, &args, checkout);
}

/// Links the pnpm workspace members of a checkout into its `node_modules`.
fn oracle_links(checkout: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/oracles/js/link_workspaces.mjs");
    tool("node", &[script.as_os_str(), checkout.as_os_str()], root);
}

/// The directory (ending in `/`) of the Cargo package holding `file`: the
/// nearest ancestor with a `Cargo.toml` that has `[package]`.
fn cargo_package(tree: &Path, file: &str) -> String {
    let mut dir = Path::new(file).parent();
    while let Some(d) = dir {
        let manifest = tree.join(d).join("Cargo.toml");
        if std::fs::read_to_string(&manifest).is_ok_and(|t| t.lines().any(|l| l.trim() == "[package]")) {
            return if d.as_os_str().is_empty() { String::new() } else { format!("{}/", d.display()) };
        }
        dir = d.parent();
    }
    panic!("{file} is in no Cargo package");
}

#[test]
fn rust_crate_references_are_the_dependencies_rustc_finds_used() {
    let (repo, tree) = fixture_and_checkout("deps_rust");
    // Cargo gives crates, not lines: our references, package to package.
    let by_package = |refs: BTreeSet<Ref>| -> BTreeSet<Ref> {
        refs.into_iter()
            .map(|(from, _, to)| (cargo_package(tree.path(), &from), None, cargo_package(tree.path(), &to)))
            .filter(|(from, _, to)| from != to)
            .collect()
    };
    let theirs = oracle("python3", &["tests/oracles/rust_deps.py"], tree.path(), false);
    assert_same("rust", &by_package(ours(&repo, "rust", "import", false)), &theirs);
    // Build manifests: the path dependencies cargo metadata reads.
    let theirs = oracle("python3", &["tests/oracles/rust_deps.py", "--manifest"], tree.path(), false);
    assert_same("rust manifests", &ours(&repo, "rust", "manifest", false), &theirs);
}

#[test]
fn javascript_imports_resolve_as_typescript_and_esbuild_resolve_them() {
    let (repo, tree) = fixture_and_checkout("deps_js");
    // The registry packages cannot be installed offline: the workspace
    // members pnpm lists are linked as an install would link them.
    oracle_links(tree.path());
    let theirs = oracle("node", &["tests/oracles/js/imports.mjs"], tree.path(), true);
    assert_same("javascript", &ours(&repo, "javascript", "import", true), &theirs);
}

#[test]
fn php_names_resolve_as_php_tokens_and_composer_autoload_resolve_them() {
    let (repo, tree) = fixture_and_checkout("deps_php");
    let theirs = oracle("php", &["tests/oracles/php_imports.php"], tree.path(), true);
    assert_same("php", &ours(&repo, "php", "import", true), &theirs);
}

#[test]
fn python_imports_resolve_as_pythons_ast_and_path_finder_resolve_them() {
    let (repo, tree) = fixture_and_checkout("deps_python");
    let theirs = oracle("python3", &["tests/oracles/python_imports.py"], tree.path(), true);
    assert_same("python", &ours(&repo, "python", "import", true), &theirs);
}

/// The source files a reference target stands for: a file, or the JVM
/// source files directly in a package's directory (ending in `/`).
fn jvm_files(tree: &Path, target: &str) -> Vec<String> {
    if !target.ends_with('/') {
        return vec![target.to_string()];
    }
    let mut files: Vec<String> = std::fs::read_dir(tree.join(target))
        .unwrap_or_else(|e| panic!("{target}: {e}"))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| [".java", ".kt", ".scala"].iter().any(|ext| name.ends_with(ext)))
        .map(|name| format!("{target}{name}"))
        .collect();
    files.sort();
    files
}

#[test]
fn jvm_imports_resolve_as_jdeps_sees_them() {
    let (repo, tree) = fixture_and_checkout("deps_jvm");
    let theirs = oracle("python3", &["tests/oracles/jvm_deps.py"], tree.path(), false);
    // jdeps gives classes, not lines; a wildcard import leads to its
    // package's files, each of which the fixture's importer uses.
    let mut ours_by_file = BTreeSet::new();
    for language in ["java", "kotlin", "scala"] {
        for (from, _, to) in ours(&repo, language, "import", false) {
            ours_by_file.extend(jvm_files(tree.path(), &to).into_iter().map(|to| (from.clone(), None, to)));
        }
    }
    assert_same("jvm", &ours_by_file, &theirs);
}

/// Runs `git-split ARGS` on the `deps` fixture, snapshots what it printed,
/// and checks the repository is untouched.
fn snap(name: &str, args: &[&str]) -> crate::support::Run {
    let repo = fixture("deps");
    let before = digest(&repo);
    let run = split(&repo, args);
    assert_eq!(before, digest(&repo), "`git-split {}` modified the repository", args.join(" "));
    insta::assert_snapshot!(name, run.snapshot(&repo));
    run
}

#[test]
fn deps_text_groups_breaks_by_owner_and_ranks_shared_targets() {
    assert_eq!(snap("deps_text", &["deps"]).code, 0);
    snap("deps_text_one_team_all", &["deps", "--team", "web", "--all", "--examples", "1"]);
}

#[test]
fn deps_graphs() {
    snap("deps_dot", &["deps", "--format", "dot"]);
    snap("deps_mermaid", &["deps", "--format", "mermaid"]);
}

#[test]
fn deps_json_has_every_documented_field() {
    let run = snap("deps_json", &["deps", "--format", "json", "--team", "reports"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    for key in ["ref", "teams", "edges", "duplicate_or_extract", "unresolved", "languages"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let brk = &v["teams"][0]["breaks"][0];
    for key in ["to_team", "references", "files", "targets"] {
        assert!(brk.get(key).is_some(), "missing teams[].breaks[].{key}");
    }
    for key in ["from_team", "from_file", "line", "to_team", "to_path", "kind", "language", "text"] {
        assert!(v["edges"][0].get(key).is_some(), "missing edges[].{key}");
    }
}

#[test]
fn deps_unknown_team_is_an_error() {
    assert_eq!(snap("deps_unknown_team", &["deps", "--team", "webb"]).code, 2);
}

#[test]
fn plan_shows_what_each_split_breaks() {
    let run = snap("deps_plan_text", &["plan", "--preview", "2"]);
    assert!(run.stdout.contains("breaks: 5 references in 2 files into billing (3)"), "{}", run.stdout);
    let run = split(&fixture("deps"), &["plan", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let web = v["teams"].as_array().unwrap().iter().find(|t| t["name"] == "web").unwrap();
    assert_eq!(web["breaks"]["references"], 5);
    assert_eq!(web["breaks"]["into"][0], serde_json::json!({"team": "billing", "references": 3}));
}

#[test]
fn check_reports_references_outside_depends_on() {
    assert_eq!(snap("deps_check_text", &["check"]).code, 1);
    // Only what the last commit added: web's import of payments.
    assert_eq!(
        snap("deps_check_since_github", &["check", "--since", "HEAD~1", "--format", "github"]).code,
        1
    );
}

#[test]
fn hostile_sources_are_skipped_or_counted_within_bounded_memory() {
    let repo = fixture("deps_hostile");
    let run = crate::support::bounded::split_bounded(
        &repo,
        &["deps", "--format", "json"],
        crate::support::bounded::MEM_LIMIT_KIB,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let lang = |name: &str| -> serde_json::Value {
        v["languages"].as_array().unwrap().iter().find(|l| l["language"] == name).cloned().unwrap()
    };
    // The 50 MB file and the binary one are skipped, unread.
    assert_eq!(lang("python")["skipped"], 2, "{:#}", lang("python"));
    assert_eq!(lang("php")["skipped"], 1, "not UTF-8");
    // A file that does not lex is named among the unresolved.
    let examples = lang("python")["examples"].to_string();
    assert!(examples.contains("app/unterminated.py: does not parse"), "{examples}");
    let examples = lang("javascript")["examples"].to_string();
    assert!(examples.contains("app/deep.ts: does not parse"), "{examples}");
    // The 4 MB import block is read whole: every import is external.
    assert!(lang("go")["external"].as_u64().unwrap() > 100_000, "{:#}", lang("go"));
    // `import gen.many` names a module the namespace package `gen/` lacks
    // (`many` is a Go file): unresolved, beside the file that does not lex.
    assert_eq!(lang("python")["references"], 1);
    assert_eq!(lang("python")["unresolved"], 2);
}

#[test]
fn plan_without_deps_reads_no_source() {
    let run = split(&fixture("deps"), &["plan", "--no-deps", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(v["teams"].as_array().unwrap().iter().all(|t| t["breaks"].is_null()), "{v:#}");
    let text = split(&fixture("deps"), &["plan", "--no-deps"]);
    assert!(!text.stdout.contains("breaks:"), "{}", text.stdout);
}
