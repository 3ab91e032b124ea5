//! CODEOWNERS against independent readers.
//!
//! The generated file, read back with last-match-wins semantics, must give
//! every file of the tree the owners the manifest gives it. The readers:
//!
//! 1. git itself: each line's pattern alone in an excludes file, asked of
//!    `git check-ignore --no-index` for every path (one pattern at a time,
//!    because git stops at an ignored directory and would hide the later,
//!    deeper lines); the last line git says matches decides.
//! 2. `codeowners-rs`, a GitHub CODEOWNERS matcher written independently.
//!
//! And the reader used by `--check` is compared with git on a table of
//! patterns, with GitHub's documented differences from gitignore pinned.

mod cli;
mod hostile;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::NoUserConfig;
use git_split::codeowners::{expected_owners, generate, CodeOwners, Syntax};
use git_split::manifest::Manifest;
use git_split::odb::Repo;
use git_split::plan::Snapshot;
use proptest::prelude::*;

/// Paths (of `paths`) that `pattern` matches as a gitignore pattern, per git.
fn git_matches(pattern: &str, paths: &[String]) -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    let excludes = dir.path().join("excludes");
    std::fs::write(&excludes, format!("{pattern}\n")).unwrap();
    crate::support::git(dir.path(), &["init", "-q"]);
    let mut child = Command::new("git")
        .args(["-c", &format!("core.excludesFile={}", excludes.display())])
        .args(["check-ignore", "--no-index", "-z", "-v", "-n", "--stdin"])
        .current_dir(dir.path())
        .without_user_config()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = Vec::new();
    for p in paths {
        input.extend_from_slice(p.as_bytes());
        input.push(0);
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    // -z -v -n: source, line, pattern, path, each NUL-terminated.
    let fields: Vec<&[u8]> = out.stdout.split(|&b| b == 0).collect();
    let mut matched = BTreeSet::new();
    for rec in fields.chunks(4).filter(|c| c.len() == 4) {
        if !rec[0].is_empty() {
            matched.insert(String::from_utf8_lossy(rec[3]).into_owned());
        }
    }
    matched
}

/// Owners per path of a generated GitHub file, lines decided by git.
fn github_owners_per_git(text: &str, paths: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = paths.iter().map(|p| (p.clone(), Vec::new())).collect();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let mut words = line.split(' ');
        let pattern = words.next().unwrap();
        let mut owners: Vec<String> = words.map(str::to_string).collect();
        owners.sort();
        // Later lines overwrite earlier ones: last match wins.
        for p in git_matches(pattern, paths) {
            out.insert(p, owners.clone());
        }
    }
    out
}

/// Owners per path of a generated GitLab file: the union over sections of
/// the sections with a matching line (git decides the matches).
fn gitlab_owners_per_git(text: &str, paths: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> =
        paths.iter().map(|p| (p.clone(), BTreeSet::new())).collect();
    let mut section: Vec<String> = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        if let Some(rest) = line.strip_prefix('[') {
            let (_, owners) = rest.split_once("] ").unwrap();
            section = owners.split(' ').map(str::to_string).collect();
            continue;
        }
        assert!(!line.contains(' '), "GitLab lines carry no owners of their own: {line}");
        for p in git_matches(line, paths) {
            out.get_mut(&p).unwrap().extend(section.iter().cloned());
        }
    }
    out.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect()
}

struct Case {
    manifest: Manifest,
    snap: Snapshot,
    paths: Vec<String>,
    expected: BTreeMap<String, Vec<String>>,
}

fn load(repo: &Path, manifest_text: Option<&str>, rev: &str) -> Case {
    let r = Repo::open(repo).unwrap();
    let manifest = match manifest_text {
        Some(t) => Manifest::from_bytes(Path::new("test.yaml"), t.as_bytes()).unwrap(),
        None => Manifest::load(&repo.join("ownership.yaml")).unwrap(),
    };
    let snap = Snapshot::load(&r, &manifest, r.resolve(rev).unwrap()).unwrap();
    let owners = snap.ownership.assign(&snap.listing).owners;
    let paths: Vec<String> =
        snap.listing.files.iter().map(|f| String::from_utf8(f.path.clone()).unwrap()).collect();
    let expected = paths.iter().cloned().zip(owners.iter().map(|o| expected_owners(&manifest, o))).collect();
    Case { manifest, snap, paths, expected }
}

fn generated(case: &Case, syntax: Syntax) -> String {
    let owners = case.snap.ownership.assign(&case.snap.listing).owners;
    generate(&case.manifest, &case.snap.ownership, &case.snap.listing, &owners, syntax, &["header".into()])
        .unwrap()
        .text
}

fn assert_agrees(case: &Case, what: &str) {
    let gh = generated(case, Syntax::GitHub);
    assert_eq!(github_owners_per_git(&gh, &case.paths), case.expected, "{what}: GitHub file per git:\n{gh}");
    let ruleset = codeowners_rs::parse(&gh).into_ruleset();
    for p in &case.paths {
        let mut got: Vec<String> =
            ruleset.owners(p).unwrap_or_default().iter().map(|o| o.value.clone()).collect();
        got.sort();
        assert_eq!(got, case.expected[p], "{what}: {p} per codeowners-rs:\n{gh}");
    }
    let gl = generated(case, Syntax::GitLab);
    assert_eq!(gitlab_owners_per_git(&gl, &case.paths), case.expected, "{what}: GitLab file per git:\n{gl}");
}

#[test]
fn monolith_fixture() {
    let case = load(&crate::support::fixture("monolith"), None, "main");
    // The fixture has what makes this hard: an exclude inside an owned
    // directory, an overlap, shared and unowned files, a package.
    assert!(case.expected.values().any(|o| o.len() == 2));
    assert!(case.expected.values().any(|o| o.is_empty()));
    assert_agrees(&case, "monolith");
}

#[test]
fn polyglot_fixture_with_packages_and_carve_outs() {
    let manifest = r#"version: 1
shared:
  paths: [Cargo.toml, settings.gradle.kts]
teams:
  ingest:
    owners: ["@corp/ingest", "lead@corp.io"]
    packages: ["cargo:ingest-core", "go:corp.example/ingest/agent", "tool"]
  plugins:
    owners: ["@corp/plugins"]
    packages: ["go:corp.example/ingest/agent/plugins"]
  web:
    owners: ["@corp/web"]
    packages: ["npm:@corp/web"]
    exclude: ["**/*.json"]
  ui:
    packages: ["npm:@corp/ui"]
  analytics:
    owners: ["@corp/analytics"]
    paths: ["analytics", "jobs/**", "**/*.php"]
    exclude: ["analytics/src/test/**"]
  everyone:
    owners: ["@corp/all"]
    paths: ["web/index.js", "portal/**"]
"#;
    let case = load(&crate::support::fixture("polyglot"), Some(manifest), "HEAD");
    assert_agrees(&case, "polyglot");
}

#[test]
fn this_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Ok(repo) = Repo::open(root) else { return };
    if repo.head().is_err() {
        return;
    }
    let text = std::fs::read_to_string(root.join("ownership.yaml")).unwrap();
    let case = load(root, Some(&text), "HEAD");
    assert_agrees(&case, "this repository");
}

/// (pattern, path) pairs the GitHub reader must answer like git, over a
/// set of paths; and the places GitHub differs from gitignore.
const PATTERNS: &[&str] = &[
    "*",
    "*.md",
    "/*.md",
    "docs",
    "docs/",
    "/docs/",
    "/docs",
    "docs/api",
    "/docs/api/",
    "**/api",
    "**/api/",
    "docs/**",
    "docs/**/v1",
    "**/*.java",
    "a/**/b",
    "/a/*/x",
    "a?",
    "*.y.z",
    ".github/",
    "/src/main/",
    "Payment",
    "x*",
];

const PATHS: &[&str] = &[
    "README.md",
    "a",
    "ab",
    "a/b",
    "a/b/x/c",
    "a/x/y/b",
    "a/q/x",
    "docs/README.md",
    "docs/api/v1/index.md",
    "docs/api/v2/x.java",
    "docs/b.md",
    "x/docs/c.md",
    "x/docs",
    "src/main/java/A.java",
    "src/docs/api/x",
    "Payment/p",
    "payment/p",
    ".github/workflows/ci.yml",
    "x.y.z",
    "xy/z",
];

#[test]
fn github_reader_agrees_with_git() {
    let paths: Vec<String> = PATHS.iter().map(|s| s.to_string()).collect();
    for pattern in PATTERNS {
        let co = CodeOwners::parse(&format!("{pattern} @o"), Syntax::GitHub);
        let ours: BTreeSet<String> = paths.iter().filter(|p| co.rule_matches(0, p)).cloned().collect();
        assert_eq!(ours, git_matches(pattern, &paths), "`{pattern}`");
    }
}

#[test]
fn github_differs_from_gitignore_where_documented() {
    let paths: Vec<String> = PATHS.iter().map(|s| s.to_string()).collect();
    // A final `*` segment: git owns `docs/api/...` through the directory
    // `docs/api`; GitHub (and codeowners-rs) only direct children.
    let co = CodeOwners::parse("docs/* @o", Syntax::GitHub);
    let rs = codeowners_rs::parse("docs/* @o").into_ruleset();
    for p in &paths {
        assert_eq!(co.rule_matches(0, p), rs.owners(p).is_some(), "{p}");
    }
    assert!(git_matches("docs/*", &paths).contains("docs/api/v1/index.md"));
    assert!(!co.rule_matches(0, "docs/api/v1/index.md"));
    assert!(co.rule_matches(0, "docs/README.md"));
    // `[ab]` is a class in gitignore, literal in GitHub.
    let co = CodeOwners::parse("/[ab] @o", Syntax::GitHub);
    assert!(co.rule_matches(0, "[ab]") && !co.rule_matches(0, "a"));
    assert!(git_matches("/[ab]", &paths).contains("a"));
}

/// A slow, obviously correct reader for the only forms the generator
/// writes: `*`, `/dir/`, `/file` (with `?` for a character), and the
/// extension lines `*.E` and `/dir/**/*.E`.
fn simple_owner(text: &str, path: &str) -> Vec<String> {
    let mut owners = Vec::new();
    let eq = |pat: &str, p: &str| {
        let (a, b): (Vec<char>, Vec<char>) = (pat.chars().collect(), p.chars().collect());
        a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x == y || (*x == '?' && *y != '/'))
    };
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let mut words = line.split(' ');
        let pattern = words.next().unwrap();
        let under = |dir: &str| {
            path.len() > dir.len() && eq(dir, &path[..dir.len()]) && path.as_bytes()[dir.len()] == b'/'
        };
        let name = path.rsplit('/').next().unwrap();
        let matched = if pattern == "*" {
            true
        } else if let Some(e) = pattern.strip_prefix("*.") {
            name.ends_with(&format!(".{e}"))
        } else if let Some((dir, e)) = pattern.strip_prefix('/').and_then(|p| p.split_once("/**/*.")) {
            under(dir) && name.ends_with(&format!(".{e}"))
        } else if let Some(dir) = pattern.strip_prefix('/').and_then(|p| p.strip_suffix('/')) {
            path.len() > dir.len() && eq(dir, &path[..dir.len()]) && path.as_bytes()[dir.len()] == b'/'
        } else {
            let file = pattern.strip_prefix('/').expect("only *, /dir/ and /file are written");
            eq(file, path)
        };
        if matched {
            owners = words.map(str::to_string).collect();
        }
    }
    owners.sort();
    owners
}

fn arb_tree() -> impl Strategy<Value = Vec<String>> {
    let dir = prop::sample::select(vec!["a", "b", "c d", "e*", "src", "z#", "d.gen"]);
    let file =
        prop::sample::select(vec!["a", "b", "c d", "x.md", "y.java", "f.gen", "g.gen", "h.gen", ".gen"]);
    let path = (prop::collection::vec(dir, 0..4), file).prop_map(|(mut dirs, file)| {
        dirs.push(file);
        dirs.join("/")
    });
    prop::collection::btree_set(path, 1..40).prop_map(|set| {
        // No path may be both a file and a directory.
        let all: Vec<String> = set.into_iter().collect();
        all.iter().filter(|p| !all.iter().any(|q| q.starts_with(&format!("{p}/")))).cloned().collect()
    })
}

fn arb_manifest() -> impl Strategy<Value = String> {
    let pat = prop::sample::select(vec![
        "a",
        "b",
        "a/b",
        "src",
        "**/*.md",
        "*.java",
        "**/*.gen",
        "a/**",
        "**/src/**",
        "c d",
        "*/b",
        "e\\*",
        "**",
    ]);
    // Excludes by extension are common (generated code): give them weight.
    let exclude = prop_oneof![pat.clone(), Just("**/*.gen")];
    let team = (prop::collection::vec(pat.clone(), 1..3), prop::collection::vec(exclude, 0..2), 0..3usize);
    (prop::collection::vec(team, 1..4), prop::collection::vec(pat, 0..2)).prop_map(|(teams, shared)| {
        let q = |v: &[&str]| v.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ");
        let mut m = format!("version: 1\nshared:\n  paths: [{}]\nteams:\n", q(&shared));
        for (i, (paths, exclude, owners)) in teams.iter().enumerate() {
            let handles: Vec<String> = (0..*owners).map(|k| format!("@org/t{i}-{k}")).collect();
            m.push_str(&format!(
                "  t{i}:\n    paths: [{}]\n    exclude: [{}]\n    owners: [{}]\n",
                q(paths),
                q(exclude),
                handles.iter().map(|h| format!("{h:?}")).collect::<Vec<_>>().join(", ")
            ));
        }
        m
    })
}

fn repo_with(paths: &[String]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    crate::support::git(dir.path(), &["init", "-q"]);
    for p in paths {
        let full = dir.path().join(p);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, p).unwrap();
    }
    crate::support::git(dir.path(), &["add", "-A"]);
    crate::support::git(
        dir.path(),
        &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "t"],
    );
    dir
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random trees (names with spaces, `*`, `#`) and manifests (overlaps,
    /// excludes, shared, teams without owners): both dialects give every
    /// file its owners, read by the simple reader above.
    #[test]
    fn random_trees_and_manifests(paths in arb_tree(), manifest in arb_manifest()) {
        both_dialects(&paths, &manifest)?;
    }

    /// Dense trees, where directory lines with extension lines after them
    /// pay off.
    #[test]
    fn dense_trees_with_extension_excludes(paths in arb_dense_tree(), manifest in arb_manifest()) {
        both_dialects(&paths, &manifest)?;
    }
}

fn arb_dense_tree() -> impl Strategy<Value = Vec<String>> {
    let dir = prop::sample::select(vec!["a", "b"]);
    let file = prop::sample::select(vec!["x.md", "y.java", "z.java", "f.gen", "g.gen", "h.gen"]);
    prop::collection::btree_set((prop::collection::vec(dir, 0..3), file), 8..40).prop_map(|set| {
        set.into_iter()
            .map(|(dirs, f)| format!("{}{f}", dirs.iter().map(|d| format!("{d}/")).collect::<String>()))
            .collect()
    })
}

fn both_dialects(paths: &[String], manifest: &str) -> Result<(), TestCaseError> {
    let dir = repo_with(paths);
    let case = load(dir.path(), Some(manifest), "HEAD");
    let gh = generated(&case, Syntax::GitHub);
    for p in &case.paths {
        prop_assert_eq!(&simple_owner(&gh, p), &case.expected[p], "{} in\n{}", p, gh);
    }
    if gh.contains("**/*.") || gh.contains("\n*.") {
        // Extension lines: also ask git (slower, so only for these).
        prop_assert_eq!(github_owners_per_git(&gh, &case.paths), case.expected.clone(), "per git:\n{}", gh);
    }
    let gl = generated(&case, Syntax::GitLab);
    let parsed = CodeOwners::parse(&gl, Syntax::GitLab);
    prop_assert!(parsed.problems.is_empty());
    for p in &case.paths {
        prop_assert_eq!(&parsed.owners(p), &case.expected[p], "{} in\n{}", p, gl);
    }
    Ok(())
}

fn arb_codeowners() -> impl Strategy<Value = String> {
    let pattern = prop::sample::select(vec![
        "*",
        "/a/",
        "a",
        "b/",
        "/a/b",
        "/src/",
        "*.md",
        "/*.java",
        "a/*",
        "/c?d/",
        "**/src",
        "/a/**/x.md",
        "e\\*",
        "/z\\#/",
    ]);
    let owners = prop::sample::select(vec!["", "@org/a", "@org/b", "@org/a @org/b", "dev@corp.io"]);
    prop::collection::vec((pattern, owners), 1..8).prop_map(|lines| {
        lines
            .into_iter()
            .map(|(p, o)| if o.is_empty() { format!("{p}\n") } else { format!("{p} {o}\n") })
            .collect()
    })
}

fn arb_gitlab_codeowners() -> impl Strategy<Value = String> {
    let pattern = prop::sample::select(vec!["*", "/a/", "a", "b/", "/a/b", "*.md", "/a/*", "/src/", "x.md"]);
    let section = prop::sample::select(vec!["", "[Docs] @org/docs", "[Web]", "^[Opt][2] @org/opt"]);
    let owners = prop::sample::select(vec!["", "@org/a", "@org/b @org/a"]);
    prop::collection::vec((section, pattern, owners), 1..8).prop_map(|lines| {
        let mut text = String::new();
        for (s, p, o) in lines {
            if !s.is_empty() {
                text.push_str(&format!("{s}\n"));
            }
            text.push_str(&format!("{p} {o}\n"));
        }
        text
    })
}

/// CODEOWNERS -> `init` -> manifest: the manifest's owners (the handles of
/// the one team owning each file) equal the CODEOWNERS owners, every file.
fn init_round_trip(paths: &[String], text: &str, syntax: Syntax) -> Result<(), TestCaseError> {
    let dir = repo_with(paths);
    let repo = Repo::open(dir.path()).unwrap();
    let rev = repo.resolve("HEAD").unwrap();
    let listing = repo.list_tree_unsized(rev.tree).unwrap();
    let co = CodeOwners::parse(text, syntax);
    let draft = match git_split::init::from_codeowners(&repo, &co, &listing) {
        Ok(d) => d,
        Err(git_split::init::InitError::NothingToOwn(_)) => {
            prop_assert!(paths.iter().all(|p| co.owners(p).is_empty()));
            return Ok(());
        }
        Err(e) => return Err(TestCaseError::fail(format!("{e}\n{text}"))),
    };
    let yaml = git_split::init::render(&draft, &[], &["header".into()]);
    let manifest = Manifest::from_bytes(Path::new("drafted.yaml"), yaml.as_bytes()).unwrap();
    let snap = Snapshot::load(&repo, &manifest, rev).unwrap();
    let owners = snap.ownership.assign(&snap.listing).owners;
    for (f, o) in snap.listing.files.iter().zip(&owners) {
        let p = String::from_utf8_lossy(&f.path);
        prop_assert!(o.teams.len() <= 1);
        prop_assert_eq!(expected_owners(&manifest, o), co.owners(&p), "{} with\n{}\n{}", p, text, yaml);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn init_round_trips_random_github_files(paths in arb_tree(), text in arb_codeowners()) {
        init_round_trip(&paths, &text, Syntax::GitHub)?;
    }

    #[test]
    fn init_round_trips_random_gitlab_files(paths in arb_tree(), text in arb_gitlab_codeowners()) {
        init_round_trip(&paths, &text, Syntax::GitLab)?;
    }
}

/// An `exclude` by extension costs a line per directory, not per file:
/// GitHub output gets `/dir/**/*.gen` lines (GitLab cannot take ownership
/// away, so it lists files), and both agree with git and codeowners-rs.
#[test]
fn extension_lines_for_excluded_generated_files() {
    let mut paths = Vec::new();
    for d in ["svc/a", "svc/b/c", "svc/d", "web"] {
        for f in ["One.java", "Two.java", "Three.gen", "Four.gen"] {
            paths.push(format!("{d}/{f}"));
        }
    }
    let dir = repo_with(&paths);
    let manifest = "version: 1\nteams:\n  svc:\n    owners: [\"@org/svc\"]\n    paths: [svc]\n    exclude: [\"**/*.gen\"]\n  web:\n    owners: [\"@org/web\"]\n    paths: [web]\n";
    let case = load(dir.path(), Some(manifest), "HEAD");
    let gh = generated(&case, Syntax::GitHub);
    let rules: Vec<&str> = gh.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    assert_eq!(rules, ["/svc/ @org/svc", "/web/ @org/web", "/svc/**/*.gen"], "{gh}");
    assert_agrees(&case, "generated files");
}
