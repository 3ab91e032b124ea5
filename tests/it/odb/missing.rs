//! Objects the repository does not have: a partial clone (made by git,
//! `--filter=blob:none`) and a repository that lost one blob. Commands
//! that need no content work; those that do fail (exit 2) naming the
//! object, a path and commit where git itself finds it, and the cause.

use std::path::Path;

use crate::support::{apply, fixture, git, split};

/// The manifest of the monolith fixture without package selectors, which
/// read package manifests (blobs) to resolve.
fn paths_only_manifest(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(fixture("monolith").join("ownership.yaml")).unwrap();
    let kept: String = text.lines().filter(|l| !l.contains("packages:")).map(|l| format!("{l}\n")).collect();
    let path = dir.join("ownership.yaml");
    std::fs::write(&path, kept).unwrap();
    path
}

/// A bare partial clone of the monolith fixture: every blob is missing.
fn partial_clone(dir: &Path) -> std::path::PathBuf {
    let url = format!("file://{}", fixture("monolith").display());
    let clone = dir.join("partial.git");
    let upload = "git -c uploadpack.allowFilter=true upload-pack";
    let args = ["clone", "-q", "--bare", "--filter=blob:none", "--upload-pack", upload, &url];
    git(dir, &[&args[..], &[clone.to_str().unwrap()]].concat());
    let missing = git(&clone, &["rev-list", "--objects", "--all", "--missing=print"]);
    assert!(
        String::from_utf8_lossy(&missing.stdout).lines().any(|l| l.starts_with('?')),
        "blobs are missing"
    );
    clone
}

/// Asserts git's tree at `commit` holds `id` at `path`: git, not git-split, says where it is.
fn git_has_at(repo: &Path, commit: &str, path: &str, id: &str) {
    let out = git(repo, &["ls-tree", commit, "--", path]);
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(line.contains(id), "git's tree at {commit} has no {id} at {path}: {line:?}");
}

#[test]
fn a_partial_clone_plans_without_contents_and_apply_names_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = partial_clone(tmp.path());
    let manifest = paths_only_manifest(tmp.path());
    let m = manifest.to_str().unwrap();

    // Ownership needs no content: plan (sizes unknown, said once), owners, log.
    let plan = split(&repo, &["plan", "--no-deps", "--manifest", m]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(plan.stderr.contains("have no content here"), "{}", plan.stderr);
    assert!(plan.stderr.contains("partial clone of `origin` (filter `blob:none`)"), "{}", plan.stderr);
    assert!(plan.stderr.contains("git fetch --refetch origin"), "{}", plan.stderr);
    for args in [&["owners", "payment/x"][..], &["log"]] {
        let run = split(&repo, &[args, &["--manifest", m]].concat());
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    }

    // `deps` reads sources: it stops, naming a file and the cause.
    let deps = split(&repo, &["plan", "--manifest", m]);
    assert_eq!(deps.code, 2, "{}", deps.stderr);
    assert!(
        deps.stderr.contains("cannot read `") && deps.stderr.contains("partial clone"),
        "{}",
        deps.stderr
    );

    // apply needs history's blobs: every team fails, exit 2, each naming an
    // object, a path and a commit where git finds that object.
    let out = tmp.path().join("out");
    let run = apply(&repo, &out, &["--manifest", m, "--format", "json"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    for team in report["teams"].as_array().unwrap() {
        let id = team["missing_object"].as_str().expect("a missing object");
        let error = team["error"].as_str().unwrap();
        let (path, commit) = located(error);
        git_has_at(&repo, commit, path, id);
        assert!(error.contains("partial clone"), "{error}");
    }
}

/// `` `PATH` at commit ID `` out of an error message.
fn located(error: &str) -> (&str, &str) {
    let (_, rest) = error.split_once("(`").expect("a path");
    let (path, rest) = rest.split_once("` at commit ").expect("a commit");
    (path, &rest[..40])
}

#[test]
fn a_lost_blob_fails_only_the_teams_that_need_it() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            "--no-local",
            fixture("monolith").to_str().unwrap(),
            repo.to_str().unwrap(),
        ],
    );
    // Loose objects, so that one can be lost.
    let pack = std::fs::read_dir(repo.join("objects/pack"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap();
    std::fs::rename(&pack, tmp.path().join("all.pack")).unwrap();
    std::fs::remove_file(pack.with_extension("idx")).unwrap();
    let st = std::process::Command::new("git")
        .args(["unpack-objects", "-q"])
        .current_dir(&repo)
        .stdin(std::fs::File::open(tmp.path().join("all.pack")).unwrap())
        .status()
        .unwrap();
    assert!(st.success());
    // The blob of a file only `payment` owns, in the first commit.
    let root = String::from_utf8(git(&repo, &["rev-list", "--max-parents=0", "HEAD"]).stdout).unwrap();
    let root = root.trim();
    let ls = String::from_utf8(git(&repo, &["ls-tree", root, "--", "payment/build.gradle"]).stdout).unwrap();
    let id = ls.split_whitespace().nth(2).expect("payment/build.gradle in the first commit").to_string();
    std::fs::remove_file(repo.join("objects").join(&id[..2]).join(&id[2..])).unwrap();

    let manifest = paths_only_manifest(tmp.path());
    let m = manifest.to_str().unwrap();
    // A team that never owned the file is written as always.
    let course = apply(&repo, &tmp.path().join("course"), &["--manifest", m, "--team", "course"]);
    assert_eq!(course.code, 0, "{}", course.stderr);
    // `payment` fails with the object, where git has it, and the cause.
    let out = tmp.path().join("out");
    let run = apply(&repo, &out, &["--manifest", m, "--format", "json"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let teams = report["teams"].as_array().unwrap();
    let failed: Vec<&str> =
        teams.iter().filter(|t| !t["error"].is_null()).map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(failed, ["payment"]);
    let payment = teams.iter().find(|t| t["name"] == "payment").unwrap();
    assert_eq!(payment["missing_object"], id.as_str());
    let error = payment["error"].as_str().unwrap();
    let (path, commit) = located(error);
    git_has_at(&repo, commit, path, &id);
    assert!(error.contains("damaged or incomplete") && error.contains("git fsck"), "{error}");
}
