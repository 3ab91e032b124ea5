//! `apply` compared with `git filter-repo` on the same fixtures: the same
//! monolith commits kept, with the same trees and the same parents.
//!
//! Which paths a team keeps is asked of git itself (pathspecs evaluated by
//! `git ls-files` over a scratch index of every path in history) and handed
//! to filter-repo as a literal path list, so neither side of the comparison
//! uses git-split's ownership code.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::support::filter_repo::{compare, filter_repo};
use crate::support::{digest, fixture, git, split, z_list};

/// Every path that ever existed in the history of `main`.
fn all_paths(repo: &Path) -> Vec<String> {
    let out = git(repo, &["log", "main", "-z", "--format=", "--name-only", "--no-renames", "-m", "--root"]);
    let set: BTreeSet<String> = z_list(&out).into_iter().collect();
    set.into_iter().collect()
}

/// The subset of `paths` that git's pathspecs select.
fn select(repo: &Path, paths: &[String], specs: &[&str]) -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("index");
    let empty_blob = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";
    let mut info = String::new();
    for p in paths {
        info.push_str(&format!("100644 {empty_blob} 0\t{p}\0"));
    }
    let mut child = Command::new("git")
        .args(["update-index", "-z", "--add", "--index-info"])
        .current_dir(repo)
        .env("GIT_INDEX_FILE", &index)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), info.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    let out = Command::new("git")
        .args(["ls-files", "-z", "--"])
        .args(specs)
        .current_dir(repo)
        .env("GIT_INDEX_FILE", &index)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success());
    z_list(&out)
}

fn run_case(fixture_name: &str, manifest: &str, teams: &[(&str, &[&str], Option<&str>)]) {
    let repo = fixture(fixture_name);
    let tmp = tempfile::tempdir().unwrap();
    let manifest_path = tmp.path().join("ownership.yaml");
    std::fs::write(&manifest_path, manifest).unwrap();
    let out = tmp.path().join("out");
    let before = digest(&repo);
    let run = split(
        &repo,
        &["apply", "-q", "--manifest", manifest_path.to_str().unwrap(), "--out", out.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(before, digest(&repo), "apply modified the monolith");
    let paths = all_paths(&repo);
    for (team, specs, root) in teams {
        let theirs = tmp.path().join(format!("fr-{team}"));
        match root {
            Some(dir) => filter_repo(&repo, &theirs, &["--subdirectory-filter", dir]),
            None => {
                let list = tmp.path().join(format!("{team}.paths"));
                let selected = select(&repo, &paths, specs);
                assert!(!selected.is_empty(), "{team} selects something");
                std::fs::write(&list, selected.iter().map(|p| format!("literal:{p}\n")).collect::<String>())
                    .unwrap();
                filter_repo(&repo, &theirs, &["--paths-from-file", list.to_str().unwrap()]);
            }
        }
        let kept = compare(team, &out.join(format!("{team}.git")), &theirs);
        assert!(!kept.is_empty(), "{team}: keeps no commit");
    }
}

#[test]
fn history_shapes_match_filter_repo() {
    run_case(
        "history",
        r#"version: 1
monolith: {refs: [main]}
shared: {paths: [shared.txt]}
teams:
  a: {paths: [a]}
  b: {paths: ["b/**"], exclude: [b/three.txt]}
  a-root: {paths: [a], root: a}
"#,
        &[
            ("a", &[":(glob)a", ":(glob)shared.txt"], None),
            ("b", &[":(glob)b/**", ":(glob,exclude)b/three.txt", ":(glob)shared.txt"], None),
            ("a-root", &[], Some("a")),
        ],
    );
}

#[test]
fn monolith_fixture_matches_filter_repo() {
    let repo = fixture("monolith");
    let manifest = std::fs::read_to_string(repo.join("ownership.yaml")).unwrap();
    run_case(
        "monolith",
        &manifest,
        &[
            (
                "course",
                &[
                    ":(glob)course-api/**",
                    ":(glob)web/templates/course/**",
                    ":(glob)docs",
                    ":(literal)course-api/src/main/java/com/inflearn/course",
                    ":(literal)course-api/src/test/java/com/inflearn/course",
                    ":(literal)web/packages/course-web",
                    ":(glob,exclude)**/*.generated.java",
                    ":(glob)build.gradle",
                    ":(glob)settings.gradle",
                    ":(glob)gradle/**",
                    ":(glob).github/**",
                    ":(literal)common/src/main/java/com/inflearn/common/util",
                ],
                None,
            ),
            ("catalog-sdk", &[], Some("libs/catalog-sdk")),
        ],
    );
}

/// Components four levels down, most commits changing some other team's:
/// a team skips a commit when the directories above its paths show it
/// changed none of them, and must keep exactly what filter-repo keeps
/// (an exclude, a hoisted root and globs make directories partly kept).
/// No team keeps `Cart`, where a file becomes a directory: the scratch
/// index that selects filter-repo's paths cannot hold both.
#[test]
fn deep_components_match_filter_repo() {
    run_case(
        "bloom",
        r#"version: 1
monolith: {refs: [main]}
shared: {paths: [composer.json]}
policy: {unowned: allow, overlap: allow}
teams:
  acme:
    paths: ["src/Acme/Component/{Cache,Lock}", src/Acme/Component/Café]
    exclude: [src/Acme/Component/Cache/Tests]
  nimbus: {paths: [src/Nimbus/Component, src/Nimbus/Bridge/Mailer2]}
  bridges: {paths: ["src/{Acme,Nimbus}/Bridge/*/Tests"]}
  sdk: {paths: [src/Acme/Component/Cache], root: src/Acme/Component/Cache}
"#,
        &[
            (
                "acme",
                &[
                    ":(literal)src/Acme/Component/Cache",
                    ":(literal)src/Acme/Component/Lock",
                    ":(literal)src/Acme/Component/Café",
                    ":(exclude,literal)src/Acme/Component/Cache/Tests",
                    ":(literal)composer.json",
                ],
                None,
            ),
            (
                "nimbus",
                &[
                    ":(literal)src/Nimbus/Component",
                    ":(literal)src/Nimbus/Bridge/Mailer2",
                    ":(literal)composer.json",
                ],
                None,
            ),
            (
                "bridges",
                &[
                    ":(glob)src/Acme/Bridge/*/Tests/**",
                    ":(glob)src/Nimbus/Bridge/*/Tests/**",
                    ":(literal)composer.json",
                ],
                None,
            ),
            ("sdk", &[], Some("src/Acme/Component/Cache")),
        ],
    );
}
