//! A team repository reveals nothing of another team beyond what docs/apply.md's
//! "What a team repository reveals about the monolith" lists. The `markers`
//! fixture gives each team's files a marker and names only that team uses;
//! every object of each team repository (decompressed) and every other file
//! under it (raw) is scanned for the other teams' markers and names, and
//! for what the monolith keeps outside the split (an unselected branch,
//! stash, notes, replace ref, config, hooks...). Refs are exactly the
//! selected branch and the tags in its history.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{digest, fixture, git};

/// Team, the marker in its files, the prefix of every name only it uses.
const TEAMS: [(&str, &str, &str); 3] = [
    ("alpha", "ALPHA-SECRET", "alpha-"),
    ("beta", "BETA-SECRET", "beta-"),
    ("gamma", "GAMMA-SECRET", "gamma-"),
];

/// Markers of what never leaves the monolith, whatever the team.
const NEVER: [&str; 8] = [
    "BETA-SECRET-WIP",
    "BETA-SECRET-STASH",
    "BETA-SECRET-NOTE",
    "BETA-SECRET-REPLACE",
    "BETA-SECRET-CONFIG",
    "BETA-SECRET-DESCRIPTION",
    "BETA-SECRET-HOOK",
    "BETA-SECRET-EXCLUDE",
];

/// Markers of the machine running apply: its git configuration and templates.
const MACHINE: [&str; 2] = ["MACHINE-TEMPLATE-SECRET", "machine-user@example.invalid"];

/// Runs `apply` with a user configuration that would leak into the team
/// repositories if they were created from it: a template directory with a
/// hook, reflogs for every ref update, a user identity.
fn apply(repo: &Path, tmp: &Path, out: &Path, extra: &[&str]) {
    let home = tmp.join("home");
    let templates = home.join("templates");
    std::fs::create_dir_all(templates.join("hooks")).unwrap();
    std::fs::write(templates.join("hooks/pre-commit"), "#!/bin/sh\n# MACHINE-TEMPLATE-SECRET\n").unwrap();
    std::fs::write(templates.join("description"), "MACHINE-TEMPLATE-SECRET\n").unwrap();
    std::fs::write(
        home.join(".gitconfig"),
        format!(
            "[init]\n\ttemplateDir = {}\n[core]\n\tlogAllRefUpdates = always\n[user]\n\tname = Machine User\n\temail = machine-user@example.invalid\n",
            templates.display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_git-split"))
        .args(["apply", "-q", "--out", out.to_str().unwrap()])
        .args(extra)
        .current_dir(repo)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Every file under `dir`, as (path, bytes).
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    digest(dir).into_iter().filter(|(p, _)| dir.join(p).is_file()).map(|(p, (_, b))| (p, b)).collect()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Asserts nothing under `team_repo` names or holds what `forbidden` lists,
/// and that the scan sees the team's own `marker`.
fn scan(team_repo: &Path, marker: &str, forbidden: &[&str], what: &str) {
    let objects = git(team_repo, &["cat-file", "--batch-all-objects", "--batch"]).stdout;
    assert!(contains(&objects, marker), "{what}: the scan does not see the team's own files");
    let mut places: Vec<(String, Vec<u8>)> = vec![("objects (decompressed)".into(), objects)];
    for (p, bytes) in files(team_repo) {
        // The file's name too: a ref is a file named after it.
        places.push((format!("the name {}", p.display()), p.as_os_str().as_encoded_bytes().to_vec()));
        places.push((p.display().to_string(), bytes));
    }
    for (place, bytes) in &places {
        for f in forbidden {
            assert!(!contains(bytes, f), "{what}: `{f}` in {place}");
        }
    }
}

fn lines(out: std::process::Output) -> BTreeSet<String> {
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

/// A commit's raw message (after the header), replace refs ignored.
fn message(repo: &Path, commit: &str) -> String {
    let raw =
        String::from_utf8(git(repo, &["--no-replace-objects", "cat-file", "commit", commit]).stdout).unwrap();
    raw.split_once("\n\n").map(|(_, m)| m.to_string()).unwrap_or_default()
}

fn check_team(repo: &Path, out: &Path, team: &str, what: &str) {
    let t = out.join(format!("{team}.git"));
    let mut forbidden: Vec<&str> = NEVER.to_vec();
    forbidden.extend(MACHINE);
    let mut own = "";
    for (other, marker, prefix) in TEAMS {
        if other != team {
            forbidden.extend([marker, prefix]);
        } else {
            own = marker;
        }
    }
    scan(&t, own, &forbidden, &format!("{what}: {team}"));

    // Refs: the selected branch and the tags in its history, nothing else.
    let refs = lines(git(&t, &["for-each-ref", "--format=%(refname)"]));
    let mut expected: BTreeSet<String> = lines(git(repo, &["tag", "--merged", "main"]))
        .into_iter()
        .map(|t| format!("refs/tags/{t}"))
        .collect();
    expected.insert("refs/heads/main".into());
    assert_eq!(refs, expected, "{what}: {team}: refs");
    assert_eq!(std::fs::read_to_string(t.join("HEAD")).unwrap(), "ref: refs/heads/main\n");
    assert!(!t.join("logs").exists(), "{what}: {team}: reflogs written");
    assert!(!t.join("packed-refs").exists() || refs.len() == expected.len());

    // Each commit: the monolith commit's message plus one trailer naming it.
    let commits = lines(git(&t, &["rev-list", "--all"]));
    assert!(!commits.is_empty());
    for c in commits {
        let labels = lines(git(&t, &["log", "-1", "--format=%(trailers:key=Split-Source,valueonly)", &c]));
        let labels: Vec<&String> = labels.iter().filter(|l| !l.is_empty()).collect();
        assert_eq!(labels.len(), 1, "{what}: {team}: {c} has one label");
        let source = labels[0].trim();
        let ours = message(&t, &c);
        let theirs = message(repo, source);
        let stripped: String =
            ours.lines().filter(|l| !l.starts_with("Split-Source: ")).collect::<Vec<_>>().join("\n");
        assert_eq!(stripped.trim_end(), theirs.trim_end(), "{what}: {team}: {c}: message beyond the label");
        let header = |repo: &Path, c: &str| -> Vec<String> {
            String::from_utf8(
                git(repo, &["--no-replace-objects", "show", "-s", "--format=%an %ae %ad%n%cn %ce %cd", c])
                    .stdout,
            )
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
        };
        assert_eq!(header(&t, &c), header(repo, source), "{what}: {team}: {c}: author and committer");
    }

    // The commit map names monolith commits and this team's commits only.
    let ours = lines(git(&t, &["rev-list", "--all"]));
    let monolith = lines(git(repo, &["--no-replace-objects", "rev-list", "main"]));
    let map = std::fs::read_to_string(t.join("split/commit-map")).unwrap();
    for l in map.lines().skip(1) {
        let (old, new) = l.split_once(' ').unwrap();
        assert!(monolith.contains(old), "{what}: {team}: commit map names {old}");
        assert!(new == "0".repeat(40) || ours.contains(new), "{what}: {team}: commit map names {new}");
    }
}

#[test]
fn a_team_repository_holds_nothing_of_other_teams_or_of_the_monolith_outside_the_split() {
    let repo = fixture("markers");
    let tmp = tempfile::tempdir().unwrap();
    let before = digest(&repo);
    // The fixture can fail this test: every marker is in the monolith.
    let all = git(&repo, &["--no-replace-objects", "cat-file", "--batch-all-objects", "--batch"]).stdout;
    for m in NEVER.iter().chain(TEAMS.iter().map(|t| &t.1)) {
        let in_git_dir = files(&repo.join(".git")).iter().any(|(_, b)| contains(b, m));
        assert!(contains(&all, m) || in_git_dir, "{m} is not in the monolith");
    }

    let out = tmp.path().join("out");
    apply(&repo, tmp.path(), &out, &[]);
    for (team, ..) in TEAMS {
        check_team(&repo, &out, team, "first run");
    }
    // Rerun: nothing new; then over an output of the monolith two commits ago.
    apply(&repo, tmp.path(), &out, &[]);
    let grown = tmp.path().join("grown");
    apply(&repo, tmp.path(), &grown, &["--ref", "main~2"]);
    apply(&repo, tmp.path(), &grown, &[]);
    for (team, ..) in TEAMS {
        check_team(&repo, &out, team, "rerun");
        check_team(&repo, &grown, team, "incremental");
    }
    assert_eq!(before, digest(&repo), "the monolith changed");
}

/// By design (docs/apply.md): every tag in the selected history comes along, on
/// the nearest commit the team keeps, so its name and message reach teams
/// whose files the tagged commit did not touch.
#[test]
fn tags_on_other_teams_commits_come_along_as_documented() {
    let repo = fixture("markers");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    apply(&repo, tmp.path(), &out, &[]);
    // v0.1 tags a commit that touched only beta's files.
    let tagged = String::from_utf8(git(&repo, &["rev-parse", "v0.1^{commit}"]).stdout).unwrap();
    let touched = lines(git(&repo, &["show", "--format=", "--name-only", tagged.trim()]));
    assert!(touched.iter().all(|p| p.starts_with("beta-")), "{touched:?}");
    for (team, ..) in TEAMS {
        let t = out.join(format!("{team}.git"));
        let msg = String::from_utf8(git(&t, &["cat-file", "tag", "v0.1"]).stdout).unwrap();
        assert!(msg.contains("release 0.1"), "{team}: {msg}");
    }
}

/// A `compat: subtree` team is built another way (git subtree's rules, its
/// objects copied by `git pack-objects` through a temporary alternate): the
/// same scan applies.
#[test]
fn a_compat_team_holds_nothing_of_other_teams_either() {
    let repo = fixture("markers");
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("m.yaml");
    std::fs::write(
        &manifest,
        "version: 1\nmonolith: {refs: [main]}\nteams:\n  alpha: {paths: [\"alpha-storefront/**\"], root: alpha-storefront, compat: subtree}\n  beta: {paths: [\"beta-ledger/**\"]}\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    apply(&repo, tmp.path(), &out, &["--manifest", manifest.to_str().unwrap()]);
    let t = out.join("alpha.git");
    let mut forbidden: Vec<&str> = NEVER.to_vec();
    forbidden.extend(MACHINE);
    forbidden.extend(["BETA-SECRET", "beta-", "GAMMA-SECRET", "gamma-"]);
    scan(&t, "ALPHA-SECRET", &forbidden, "compat alpha");
    assert!(!t.join("objects/info/alternates").exists());
    let refs = lines(git(&t, &["for-each-ref", "--format=%(refname)"]));
    assert!(refs.iter().all(|r| r == "refs/heads/main" || r.starts_with("refs/tags/")), "{refs:?}");
}
