//! Comparing a team repository with `git filter-repo`'s result on the same
//! monolith: the same kept commits, with the same trees and parents.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use super::git;

/// A dropped commit in a commit map.
pub const ZERO: &str = "0000000000000000000000000000000000000000";

/// A commit map (`old new` header, then one pair per line).
pub fn read_map(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["old", "new"], "{}", path.display());
    lines
        .map(|l| {
            let (a, b) = l.split_once(' ').unwrap();
            (a.to_string(), b.to_string())
        })
        .collect()
}

/// `tree parent...` of a commit.
pub fn shape(git_dir: &Path, commit: &str) -> (String, Vec<String>) {
    let out = git(git_dir, &["show", "-s", "--format=%T %P", commit]);
    let s = String::from_utf8(out.stdout).unwrap();
    let mut parts = s.split_whitespace().map(str::to_string);
    (parts.next().unwrap(), parts.collect())
}

/// `git filter-repo ARGS` on a fresh clone of `src`'s `main` at `dst`.
pub fn filter_repo<A: AsRef<OsStr>>(src: &Path, dst: &Path, args: &[A]) {
    let url = format!("file://{}", src.display());
    git(
        dst.parent().unwrap(),
        &["clone", "-q", "--no-local", "--single-branch", "--branch", "main", &url, dst.to_str().unwrap()],
    );
    let out = Command::new("git")
        .arg("filter-repo")
        .args(["--force", "--quiet"])
        .args(args)
        .current_dir(dst)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git filter-repo is installed (.ci/run installs it)");
    assert!(out.status.success(), "filter-repo failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Asserts that our team repository `ours` kept the monolith commits
/// filter-repo's clone `theirs` kept, with the same trees and parents
/// (mapped back to monolith commits). Returns those commits.
pub fn compare(team: &str, ours: &Path, theirs: &Path) -> BTreeSet<String> {
    let our_map = read_map(&ours.join("split/commit-map"));
    let their_map = read_map(&theirs.join(".git/filter-repo/commit-map"));
    let kept = |m: &BTreeMap<String, String>| -> BTreeSet<String> {
        m.iter().filter(|(_, n)| n.as_str() != ZERO).map(|(o, _)| o.clone()).collect()
    };
    let (our_kept, their_kept) = (kept(&our_map), kept(&their_map));
    assert_eq!(our_kept, their_kept, "{team}: kept monolith commits differ");
    let back = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        m.iter().filter(|(_, n)| n.as_str() != ZERO).map(|(o, n)| (n.clone(), o.clone())).collect()
    };
    let (our_back, their_back) = (back(&our_map), back(&their_map));
    for old in &our_kept {
        let (our_tree, our_parents) = shape(ours, &our_map[old]);
        let (their_tree, their_parents) = shape(theirs, &their_map[old]);
        assert_eq!(our_tree, their_tree, "{team}: tree of the rewrite of {old}");
        let ours_old: Vec<&String> = our_parents.iter().map(|p| &our_back[p]).collect();
        let theirs_old: Vec<&String> = their_parents.iter().map(|p| &their_back[p]).collect();
        assert_eq!(ours_old, theirs_old, "{team}: parents of the rewrite of {old}");
    }
    our_kept
}
