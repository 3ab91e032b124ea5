//! End-to-end tests of the binary on fixture repositories: every message a
//! user can see is in a snapshot, every refusal has a test, and every
//! command leaves the monolith byte-for-byte unchanged.

mod discovery;
mod history;
mod pipes;
mod terminal;

use crate::support::{digest, fixture, fixture_copy, git, split};

/// Runs the command, snapshots its output, and checks the monolith is untouched.
fn snap(name: &str, args: &[&str]) -> crate::support::Run {
    let repo = fixture("monolith");
    let before = digest(&repo);
    let run = split(&repo, args);
    assert_eq!(before, digest(&repo), "`git-split {}` modified the monolith", args.join(" "));
    insta::assert_snapshot!(name, run.snapshot(&repo));
    run
}

#[test]
fn plan_text() {
    assert_eq!(snap("plan_text", &["plan"]).code, 0);
}

#[test]
fn plan_json() {
    let run = snap("plan_json", &["plan", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // The fields DESIGN.md promises.
    for key in ["ref", "teams", "unowned", "overlaps", "stale_patterns"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    for key in ["name", "kept_files", "kept_bytes", "removed_files", "removed_bytes", "packages"] {
        assert!(v["teams"][0].get(key).is_some(), "missing teams[].{key}");
    }
}

/// Each team's kept and removed lists, and the unowned files, add up to the
/// tree, file for file; `--preview` cuts the unowned list too.
#[test]
fn plan_lists_add_up_and_preview_cuts_every_list() {
    let repo = fixture("monolith");
    let run = split(&repo, &["plan", "--format", "json", "--no-deps"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let files = |list: &serde_json::Value| {
        list.as_array().unwrap().iter().map(|c| c["files"].as_u64().unwrap()).sum::<u64>()
    };
    let total = v["total"]["files"].as_u64().unwrap();
    for t in v["teams"].as_array().unwrap() {
        assert_eq!(files(&t["kept"]), t["kept_files"].as_u64().unwrap(), "{}", t["name"]);
        assert_eq!(files(&t["kept"]) + files(&t["removed"]), total, "{}", t["name"]);
    }
    let unowned = v["unowned"].as_array().unwrap().len() as u64;
    assert_eq!(files(&v["unowned_collapsed"]), unowned);
    let text = split(&repo, &["plan", "--no-deps", "--preview", "2"]).stdout;
    let after = text.split_once("unowned: ").unwrap().1;
    let listed: Vec<&str> = after.lines().skip(1).take_while(|l| l.starts_with("  ")).collect();
    assert_eq!(listed.len(), 3, "two lines and a `more` line:\n{after}");
    assert!(listed[2].contains("--preview 0"), "{after}");
}

#[test]
fn plan_one_team_full_preview() {
    snap("plan_team_payment", &["plan", "--team", "payment", "--preview", "0"]);
}

#[test]
fn plan_unknown_team() {
    assert_eq!(snap("plan_unknown_team", &["plan", "--team", "paymnet"]).code, 2);
}

#[test]
fn owners_text_and_json() {
    let paths = [
        "docs/shared-notes.md",
        "course-api/src/main/java/com/inflearn/course/Course.generated.java",
        "web/packages/course-web/index.js",
        "web/package.json",
        "common/src/main/java/com/inflearn/common/util/Text.java",
        "web",
        "not/in/tree.txt",
    ];
    let mut args = vec!["owners"];
    args.extend(paths);
    snap("owners_text", &args);
    args.extend(["--format", "json"]);
    snap("owners_json", &args);
}

#[test]
fn log_text_and_json() {
    snap("log_text", &["log"]);
    snap("log_json_range", &["log", "--format", "json", "HEAD~3..HEAD"]);
}

#[test]
fn refusals() {
    let repo = fixture("monolith");
    let before = digest(&repo);
    let cases: &[(&str, &[&str])] = &[
        ("refuse_missing_ref", &["plan", "--ref", "no-such-branch"]),
        ("refuse_missing_manifest", &["plan", "--manifest", "nope.yaml"]),
        ("refuse_not_a_repo", &["plan", "--repo", "course-api"]),
        ("refuse_bad_format", &["plan", "--format", "xml"]),
        ("refuse_owners_without_paths", &["owners"]),
    ];
    for (name, args) in cases {
        let run = split(&repo, args);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{name}: no partial output on refusal");
        insta::assert_snapshot!(*name, run.snapshot(&repo));
    }
    assert_eq!(before, digest(&repo));
}

#[test]
fn bad_manifest_is_exit_2_with_location() {
    let (_tmp, repo) = fixture_copy("monolith");
    std::fs::write(repo.join("bad.yaml"), "version: 1\nteams:\n  a:\n    paths: [\"src/[x\"]\n").unwrap();
    let run = split(&repo, &["plan", "--manifest", "bad.yaml"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.snapshot(&repo));
}

#[test]
fn unknown_package_names_the_closest() {
    let (_tmp, repo) = fixture_copy("monolith");
    std::fs::write(
        repo.join("pkg.yaml"),
        "version: 1\nteams:\n  a:\n    packages: [\"npm:@inflearn/course-wbe\"]\n  b:\n    packages: [com.inflearn.paymnt]\n",
    )
    .unwrap();
    let run = split(&repo, &["plan", "--manifest", "pkg.yaml"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.snapshot(&repo));
}

#[test]
fn a_package_that_owns_no_file_is_warned_about_by_plan_and_check() {
    let (_tmp, repo) = fixture_copy("monolith");
    std::fs::write(
        repo.join("pkg.yaml"),
        "version: 1\nshared:\n  paths: [\"**\"]\n  exclude: [\"web/packages/**\"]\nteams:\n  web:\n    packages: [\"npm:@inflearn/course-web\"]\n    exclude: [\"web/packages/course-web/**\"]\n",
    )
    .unwrap();
    let plan = split(&repo, &["plan", "--manifest", "pkg.yaml", "--no-deps", "--team", "web"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    insta::assert_snapshot!("empty_package_plan", plan.snapshot(&repo));
    let json = split(&repo, &["plan", "--manifest", "pkg.yaml", "--no-deps", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["teams"][0]["packages"][0]["owned_files"], 0);
    let check = split(&repo, &["check", "--manifest", "pkg.yaml", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&check.stdout).unwrap();
    let empty: Vec<&serde_json::Value> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "empty-package").collect();
    assert_eq!(empty.len(), 1, "{}", check.stdout);
    assert_eq!(empty[0]["severity"], "warning");
    assert_eq!(empty[0]["line"], 7);
}

#[test]
fn owners_of_a_directory_are_the_teams_that_own_a_file_in_it() {
    let (_tmp, repo) = fixture_copy("monolith");
    std::fs::write(
        repo.join("ex.yaml"),
        "version: 1\nteams:\n  keeper:\n    paths: [\"docs/**\"]\n  emptied:\n    paths: [docs]\n    exclude: [\"docs/*.md\"]\n",
    )
    .unwrap();
    let run = split(&repo, &["owners", "--manifest", "ex.yaml", "--format", "json", "docs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let files = git(&repo, &["ls-files", "docs"]).stdout;
    assert!(
        files.split(|&b| b == b'\n').filter(|l| !l.is_empty()).all(|l| l.ends_with(b".md")),
        "every docs file is .md"
    );
    assert_eq!(v["paths"][0]["teams"], serde_json::json!(["keeper"]), "{}", run.stdout);
}

#[test]
fn plan_lists_what_a_glob_selects_and_notes_an_import_name() {
    let repo = fixture("selectors");
    let run = split(&repo, &["plan", "--no-deps"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("plan_selectors", run.snapshot(&repo));
}

#[test]
fn bare_repository_reads_manifest_from_the_ref() {
    let src = fixture("monolith");
    let tmp = tempfile::tempdir().unwrap();
    let bare = tmp.path().join("bare.git");
    git(tmp.path(), &["clone", "-q", "--bare", src.to_str().unwrap(), bare.to_str().unwrap()]);
    let before = digest(&bare);
    let from_bare = split(&bare, &["plan", "--format", "json"]);
    assert_eq!(from_bare.code, 0, "{}", from_bare.stderr);
    assert_eq!(before, digest(&bare));
    let from_worktree = split(&src, &["plan", "--format", "json"]);
    assert_eq!(from_bare.stdout, from_worktree.stdout);
}

#[test]
fn shallow_clone_plans() {
    let src = fixture("monolith");
    let tmp = tempfile::tempdir().unwrap();
    let shallow = tmp.path().join("shallow");
    let url = format!("file://{}", src.display());
    git(tmp.path(), &["clone", "-q", "--depth", "1", &url, shallow.to_str().unwrap()]);
    assert!(shallow.join(".git/shallow").exists());
    let run = split(&shallow, &["plan", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let full = split(&src, &["plan", "--format", "json"]);
    assert_eq!(run.stdout, full.stdout);
}

/// Every package kind resolved from real git blobs, traps included.
#[test]
fn packages_of_every_kind_resolve_in_a_real_tree() {
    let repo = crate::support::fixture("polyglot");
    let manifest = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        manifest.path(),
        r#"version: 1
teams:
  everything:
    packages:
      - "cargo:ingest-core"
      - "cargo:tool"
      - "go:corp.example/ingest/agent"
      - "maven:com.corp:analytics-api"
      - "gradle::billing"
      - "gradle:libs:core"
      - "composer:corp/portal"
      - "python:analytics-jobs"
      - "npm:@corp/web"
      - "com.corp.analytics"
      - "corp"
"#,
    )
    .unwrap();
    let before = digest(&repo);
    let run = split(&repo, &["plan", "--format", "json", "--manifest", manifest.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(before, digest(&repo));
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let got: Vec<String> = v["teams"][0]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} ({}) -> {} - {}",
                p["package"].as_str().unwrap(),
                p["kind"].as_str().unwrap(),
                p["paths"],
                p["carve_outs"]
            )
        })
        .collect();
    let expected = [
        r#"cargo:ingest-core (cargo) -> ["crates/ingest-core"] - []"#,
        r#"cargo:tool (cargo) -> [""] - ["crates/ingest-core"]"#,
        r#"go:corp.example/ingest/agent (go) -> ["agent"] - ["agent/plugins"]"#,
        r#"maven:com.corp:analytics-api (maven) -> ["analytics"] - []"#,
        r#"gradle::billing (gradle) -> ["services/billing-svc"] - []"#,
        r#"gradle:libs:core (gradle) -> ["libs/core"] - []"#,
        r#"composer:corp/portal (composer) -> ["portal"] - []"#,
        r#"python:analytics-jobs (python) -> ["jobs"] - []"#,
        r#"npm:@corp/web (npm) -> ["web"] - ["web/packages/ui"]"#,
        r#"com.corp.analytics (jvm) -> ["analytics/src/main/java/com/corp/analytics","analytics/src/test/java/com/corp/analytics"] - []"#,
        // Gradle creates the intermediate project `:libs` for `:libs:core`.
        r#"corp (gradle) -> [""] - ["libs","libs/core","services/billing-svc"]"#,
    ];
    assert_eq!(got, expected);
    let skipped = &v["skipped_manifests"];
    assert_eq!(skipped[0]["path"], "web/broken/package.json", "{skipped}");

    // Names that exist only as a dependency, a [[bin]] or a vendored copy are not packages.
    for trap in
        ["cargo:ghost", "go:corp.example/phantom", "maven:jackson", "composer:corp/vendored", "npm:ghost"]
    {
        std::fs::write(manifest.path(), format!("version: 1\nteams:\n  t:\n    packages: [\"{trap}\"]\n"))
            .unwrap();
        let run = split(&repo, &["plan", "--manifest", manifest.path().to_str().unwrap()]);
        assert_eq!(run.code, 2, "{trap} must not resolve: {}", run.stdout);
        assert!(run.stderr.contains("not found"), "{trap}: {}", run.stderr);
    }
}

/// `owners .` at the top of the work tree names the root `.`, as git's
/// pathspecs do, not an empty path.
#[test]
fn owners_of_the_root_is_shown_as_dot() {
    let repo = fixture("monolith");
    let run = split(&repo, &["owners", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with(". (directory): "), "{}", run.stdout);
}
