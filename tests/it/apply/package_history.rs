//! Packages resolved per commit (`make_pkg_history.sh`): every team
//! commit's tree is checked against the owners of each monolith commit's
//! files, computed here from `git ls-tree` and the commit's own `go.mod`
//! and `package.json` files by the rules of Go and npm workspaces.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support::{apply, fixture, fixture_copy, git, refs, split};

const TEAMS: [&str; 6] = ["api", "core", "svc", "tools", "web", "web-a"];

fn text(out: std::process::Output) -> String {
    String::from_utf8(out.stdout).unwrap()
}

/// `git ls-tree -r` of `rev`: path -> "mode type id".
fn files(repo: &Path, rev: &str) -> BTreeMap<String, String> {
    text(git(repo, &["ls-tree", "-r", rev]))
        .lines()
        .map(|l| {
            let (meta, path) = l.split_once('\t').unwrap();
            (path.to_string(), meta.to_string())
        })
        .collect()
}

fn show(repo: &Path, rev: &str, path: &str) -> String {
    text(git(repo, &["show", &format!("{rev}:{path}")]))
}

/// The directory of `path` (`""` at the root).
fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Is `path` in directory `dir` or below it?
fn under(path: &str, dir: &str) -> bool {
    dir.is_empty() || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

/// The innermost directory of `dirs` holding `path`.
fn innermost<'a>(dirs: &'a [(String, String)], path: &str) -> Option<&'a (String, String)> {
    dirs.iter().filter(|(d, _)| under(path, d)).max_by_key(|(d, _)| d.len())
}

/// The teams owning each file of monolith commit `rev`, by the manifest
/// of the fixture: a Go file belongs to the module of the innermost
/// directory with a `go.mod`; a file under `web/` to the workspace member
/// holding it (a directory listed in `web/package.json`'s `workspaces`
/// with a `package.json`), else to `web`.
fn expected(repo: &Path, rev: &str) -> BTreeMap<&'static str, BTreeMap<String, String>> {
    let all = files(repo, rev);
    let modules: Vec<(String, String)> = all
        .keys()
        .filter(|p| p.ends_with("go.mod") && (p.as_str() == "go.mod" || p.ends_with("/go.mod")))
        .map(|p| {
            let first = show(repo, rev, p).lines().next().unwrap().to_string();
            (dir_of(p).to_string(), first.strip_prefix("module ").unwrap().trim().to_string())
        })
        .collect();
    let web: serde_json::Value = serde_json::from_str(&show(repo, rev, "web/package.json")).unwrap();
    let members: Vec<(String, String)> = web["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("web/{}", m.as_str().unwrap()))
        .filter(|d| all.contains_key(&format!("{d}/package.json")))
        .map(|d| {
            let pkg: serde_json::Value =
                serde_json::from_str(&show(repo, rev, &format!("{d}/package.json"))).unwrap();
            (d, pkg["name"].as_str().unwrap().to_string())
        })
        .collect();
    let mut out: BTreeMap<&str, BTreeMap<String, String>> =
        TEAMS.iter().map(|t| (*t, BTreeMap::new())).collect();
    for (path, meta) in &all {
        let mut owners: BTreeSet<&str> = BTreeSet::new();
        if path == "ownership.yaml" {
            owners.extend(TEAMS);
        }
        match innermost(&modules, path).map(|(_, m)| m.as_str()) {
            Some("example.com/mono") if !under(path, "web") => owners.insert("core"),
            Some("example.com/mono/svc") => owners.insert("svc"),
            Some("example.com/mono/svc/api") => owners.insert("api"),
            Some("example.com/mono/tools") => owners.insert("tools"),
            _ => false,
        };
        if under(path, "web") {
            match innermost(&members, path).map(|(_, n)| n.as_str()) {
                Some("@m/a") => owners.insert("web-a"),
                Some(_) => false,
                None => owners.insert("web"),
            };
        }
        for t in owners {
            out.get_mut(t).unwrap().insert(path.clone(), meta.clone());
        }
    }
    out
}

/// `split/commit-map` of a team repository: monolith commit -> new commit
/// (`None` when dropped).
fn commit_map(team: &Path) -> BTreeMap<String, Option<String>> {
    std::fs::read_to_string(team.join("split/commit-map"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let (old, new) = l.split_once(' ').unwrap();
            (old.to_string(), (!new.bytes().all(|b| b == b'0')).then(|| new.to_string()))
        })
        .collect()
}

#[test]
fn every_commit_is_filtered_with_the_packages_of_its_own_tree() {
    let repo = fixture("pkg_history");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let run = apply(&repo, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let commits: Vec<String> = text(git(&repo, &["rev-list", "--topo-order", "--reverse", "main"]))
        .lines()
        .map(str::to_string)
        .collect();
    let want: BTreeMap<&String, _> = commits.iter().map(|c| (c, expected(&repo, c))).collect();
    // The layout does change: otherwise this test proves nothing.
    let first = &want[&commits[0]];
    let last = &want[commits.last().unwrap()];
    assert!(first["core"].contains_key("svc/x.go") && !last["core"].contains_key("svc/x.go"));
    assert!(!first["svc"].contains_key("svc/x.go") && last["svc"].contains_key("svc/x.go"));
    for team in TEAMS {
        let dir = out.join(format!("{team}.git"));
        let map = commit_map(&dir);
        let mut kept = 0;
        for c in &commits {
            let wanted = &want[c][team];
            match &map[c] {
                Some(new) => {
                    kept += 1;
                    assert_eq!(&files(&dir, new), wanted, "{team} at monolith commit {c}");
                }
                // Dropped: the team's files are one of its parents' (a
                // merge folds into the side that has them).
                None => {
                    let parents = text(git(&repo, &["rev-parse", &format!("{c}^@")]));
                    let same = parents.lines().any(|p| &want[&p.to_string()][team] == wanted);
                    assert!(same, "{team} dropped {c}, which changed {wanted:?}");
                }
            }
        }
        assert!(kept > 0, "{team} kept nothing");
    }
    // `verify` resolves each sampled commit's packages on its own (from
    // the whole tree) and agrees.
    let verify = split(&repo, &["verify", "--out", out.to_str().unwrap()]);
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
    // An edit inside `exporters/old` while it was a module of its own (a
    // module gone at the tip) is not the root module team's.
    let bump = ["log", "--all", "--name-only", "--format=", "--grep=dependency bump"];
    assert_eq!(text(git(&out.join("core.git"), &bump)).trim(), "go.mod");
}

#[test]
fn one_team_alone_and_incremental_runs_give_the_same_ids() {
    let (tmp, repo) = fixture_copy("pkg_history");
    let all = tmp.path().join("all");
    assert_eq!(apply(&repo, &all, &[]).code, 0);
    for team in ["core", "web"] {
        let one = tmp.path().join(format!("one-{team}"));
        assert_eq!(apply(&repo, &one, &["--team", team]).code, 0);
        let name = format!("{team}.git");
        assert_eq!(refs(&all.join(&name)), refs(&one.join(&name)), "--team {team} alone differs");
    }
    // A first run before `b` joins the workspace, `exporters/old` stops
    // being a module and `tools` exists (its team is left out), then the
    // rest of history.
    let manifest = tmp.path().join("ownership.yaml");
    let full = std::fs::read_to_string(repo.join("ownership.yaml")).unwrap();
    let (without_tools, _) = full.split_once("  tools:").unwrap();
    std::fs::write(&manifest, without_tools).unwrap();
    let m = manifest.to_str().unwrap();
    let tip = text(git(&repo, &["rev-parse", "main"]));
    let early = text(git(&repo, &["rev-parse", "main~6"]));
    git(&repo, &["update-ref", "refs/heads/main", early.trim()]);
    let (inc, scratch) = (tmp.path().join("inc"), tmp.path().join("scratch"));
    assert_eq!(apply(&repo, &inc, &["--manifest", m]).code, 0);
    git(&repo, &["update-ref", "refs/heads/main", tip.trim()]);
    let second = apply(&repo, &inc, &["--manifest", m, "--format", "json"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(apply(&repo, &scratch, &["--manifest", m]).code, 0);
    for team in TEAMS.iter().filter(|t| **t != "tools") {
        let name = format!("{team}.git");
        assert_eq!(refs(&inc.join(&name)), refs(&scratch.join(&name)), "{team}: incremental differs");
    }
}

#[test]
fn log_resolves_each_commit_s_packages_in_its_own_tree() {
    let repo = fixture("pkg_history");
    let run = split(&repo, &["log", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let log: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let of = |subject: &str| {
        let c = log["commits"].as_array().unwrap().iter().find(|c| c["subject"] == subject).unwrap();
        let teams: Vec<&str> = c["teams"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        (teams, c["unowned"].as_bool().unwrap())
    };
    // `exporters/old/e.go` was in a module no team claims when it was
    // edited; at the tip its directory would be the root module's.
    assert_eq!(of("A dependency bump and an edit"), (vec!["core"], true));
    // `svc/x.go` was in the root module until `svc` became one.
    assert_eq!(of("svc becomes a module"), (vec!["svc"], false));
    assert_eq!(of("b joins the workspace"), (vec!["web"], true));
}

/// A package manifest of history that cannot be read fails only the teams
/// whose rules follow packages: a team of plain paths is written as from
/// the intact monolith.
#[test]
fn a_lost_package_manifest_fails_only_the_teams_of_packages() {
    let (tmp, repo) = fixture_copy("pkg_history");
    let manifest = tmp.path().join("two.yaml");
    let yaml = "version: 1\nshared: {paths: [ownership.yaml]}\nteams:\n  svc: {packages: [go:example.com/mono/svc]}\n  pages: {paths: [web]}\n";
    std::fs::write(&manifest, yaml).unwrap();
    let m = manifest.to_str().unwrap();
    let intact = tmp.path().join("intact");
    let run = apply(&repo, &intact, &["--manifest", m]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // `exporters/old/go.mod`, a package manifest only history has, is lost.
    let added = ["log", "-1", "--format=%H", "--diff-filter=A", "--", "exporters/old/go.mod"];
    let at = text(git(&repo, &added));
    let id = text(git(&repo, &["rev-parse", &format!("{}:exporters/old/go.mod", at.trim())]));
    let id = id.trim();
    std::fs::remove_file(repo.join(".git/objects").join(&id[..2]).join(&id[2..])).unwrap();

    let out = tmp.path().join("out");
    let run = apply(&repo, &out, &["--manifest", m, "--format", "json"]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let teams = report["teams"].as_array().unwrap();
    let failed: Vec<&str> =
        teams.iter().filter(|t| !t["error"].is_null()).map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(failed, ["svc"], "{}", run.stdout);
    let svc = teams.iter().find(|t| t["name"] == "svc").unwrap();
    assert!(svc["error"].as_str().unwrap().contains(id), "{}", svc["error"]);
    assert_eq!(refs(&out.join("pages.git")), refs(&intact.join("pages.git")));
}
