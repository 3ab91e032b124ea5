//! End-to-end tests of the binary on fixture repositories: every message a
//! user can see is in a snapshot, every refusal has a test, and every
//! command leaves the monolith byte-for-byte unchanged.

mod common;

use common::{digest, fixture, fixture_copy, git, split};

/// Runs the command, snapshots its output, and checks the monolith is untouched.
fn snap(name: &str, args: &[&str]) -> common::Run {
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
