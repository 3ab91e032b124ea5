//! `history: {follow_renames: true}` checked against git itself: for every
//! file a following team has at the tip, the monolith commits `git log
//! --follow` lists for it in the monolith are, through the `Split-Source`
//! trailers, the ones it lists in the team repository (the monolith's list
//! cut at its first copy git-split does not follow: git-split follows no
//! copy; git follows one in the team repository from a file the team has
//! there), and `git blame`
//! attributes every line to the same monolith commit in both.

use std::collections::HashMap;
use std::path::Path;

use crate::support::{apply, fixture, fixture_copy, git, refs, split};

fn text(out: std::process::Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Team commit -> the monolith commit its `Split-Source` trailer names.
pub fn sources(team: &Path) -> HashMap<String, String> {
    let log =
        text(git(team, &["log", "--all", "--format=%H %(trailers:key=Split-Source,valueonly,separator=)"]));
    log.lines()
        .map(|l| {
            let (new, old) = l.split_once(' ').unwrap();
            (new.to_string(), old.trim().to_string())
        })
        .collect()
}

/// One change `git log --follow --name-status` shows: the commit, its
/// status letter, and the earlier path of a move or copy.
pub type Step = (String, String, Option<String>);

/// `git log --follow --name-status -- path`, one step per change shown.
pub fn follow_log(repo: &Path, path: &str) -> Vec<Step> {
    let out =
        text(git(repo, &["log", "--follow", "--name-status", "--format=commit %H", "HEAD", "--", path]));
    let mut commit = String::new();
    let mut got = Vec::new();
    for line in out.lines() {
        if let Some(c) = line.strip_prefix("commit ") {
            commit = c.to_string();
        } else if !line.is_empty() {
            let fields: Vec<&str> = line.split('\t').collect();
            let from = (fields.len() == 3).then(|| fields[1].to_string());
            got.push((commit.clone(), line[..1].to_string(), from));
        }
    }
    got
}

/// The monolith's `git log --follow` commits for `path`, up to the first
/// copy git-split does not follow: a copy is followed in the team
/// repository only by git itself, when the team has the copy's source
/// there (`team`: the team's steps, in monolith ids).
fn monolith_follow(repo: &Path, path: &str, team: &[Step]) -> Vec<String> {
    let mut out = Vec::new();
    for (c, status, from) in follow_log(repo, path) {
        out.push(c.clone());
        if status == "C" && !team.iter().any(|t| t.0 == c && t.1 == "C" && t.2 == from) {
            break;
        }
    }
    out
}

/// Per line of `path` at HEAD, the commit `git blame` gives it.
fn blame(repo: &Path, path: &str) -> Vec<String> {
    let out = text(git(repo, &["blame", "--porcelain", "HEAD", "--", path]));
    let mut lines = Vec::new();
    for l in out.lines() {
        let mut f = l.split(' ');
        let (Some(id), Some(_), Some(fin)) = (f.next(), f.next(), f.next()) else { continue };
        if id.len() == 40 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
            let n: usize = fin.parse().unwrap();
            if lines.len() < n {
                lines.resize(n, String::new());
            }
            lines[n - 1] = id.to_string();
        }
    }
    lines
}

/// Compares every file of `team`'s repository at its HEAD with the
/// monolith, `git blame` always and `git log --follow` when `log` (see
/// `follow_random.rs` for when it is not); returns (files, files whose
/// history reaches past a move).
pub fn compare_with_git(monolith: &Path, team: &Path, log: bool) -> (usize, usize) {
    let map = sources(team);
    let back = |ids: Vec<String>| -> Vec<String> { ids.into_iter().map(|c| map[&c].clone()).collect() };
    let files = text(git(team, &["ls-tree", "-r", "--name-only", "HEAD"]));
    let (mut n, mut moved) = (0, 0);
    for path in files.lines() {
        let steps: Vec<Step> = follow_log(team, path)
            .into_iter()
            .map(|(c, status, from)| (map[&c].clone(), status, from))
            .collect();
        let want = monolith_follow(monolith, path, &steps);
        let got: Vec<String> = steps.into_iter().map(|s| s.0).collect();
        if log {
            assert_eq!(got, want, "git log --follow -- {path}");
        }
        let (want, got) = (blame(monolith, path), back(blame(team, path)));
        assert_eq!(got, want, "git blame -- {path}");
        n += 1;
        moved += usize::from(follow_log(monolith, path).iter().any(|s| s.1 == "R"));
    }
    (n, moved)
}

#[test]
fn a_following_team_s_files_have_their_monolith_history() {
    let repo = fixture("follow");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert_eq!(apply(&repo, &out, &[]).code, 0);
    let (files, moved) = compare_with_git(&repo, &out.join("home.git"), true);
    // Single files, the directory, the side branch, the double move.
    assert!(files >= 20 && moved >= 16, "{files} files, {moved} moved");
    // The team's repository keeps the earlier paths, where git had them.
    let team = out.join("home.git");
    let at = |rev: &str| text(git(&team, &["ls-tree", "-r", "--name-only", rev]));
    let first = text(git(&team, &["rev-list", "--max-parents=0", "HEAD"]));
    let root = at(first.trim());
    for p in ["src/a.txt", "src/b.txt", "lib/dir/f3.txt", "core/model.txt", "twice/one.txt", "old/path.txt"] {
        assert!(root.lines().any(|l| l == p), "{p} not in the team's first commit:\n{root}");
    }
    // Not taken along: a file that is no move, a copy's source, the other
    // team's later file at a reused path.
    for p in ["src/c.txt", "src/x.txt", "src/f.txt"] {
        let log = text(git(&team, &["log", "--all", "--format=%H", "--", p]));
        assert!(log.is_empty(), "{p} is in the team's history");
    }
    let reused = text(git(&team, &["log", "--all", "--format=%s", "--", "old/path.txt"]));
    assert!(!reused.contains("another file"), "{reused}");
}

#[test]
fn without_the_option_history_stops_at_the_move() {
    let (_tmp, repo) = fixture_copy("follow");
    let manifest = std::fs::read_to_string(repo.join("ownership.yaml")).unwrap();
    std::fs::write(
        repo.join("ownership.yaml"),
        manifest.replace("follow_renames: true", "follow_renames: false"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    assert_eq!(apply(&repo, out.path(), &[]).code, 0);
    let team = out.path().join("home.git");
    let log = text(git(&team, &["log", "--all", "--format=%H", "--", "src/a.txt", "core/model.txt"]));
    assert!(log.is_empty());
    // `false` and no key at all give the same ids.
    std::fs::write(
        repo.join("ownership.yaml"),
        manifest.replace("    history: {follow_renames: true}\n", ""),
    )
    .unwrap();
    let none = tempfile::tempdir().unwrap();
    assert_eq!(apply(&repo, none.path(), &[]).code, 0);
    assert_eq!(refs(&team), refs(&none.path().join("home.git")));
}

#[test]
fn one_team_alone_gets_the_ids_of_all_teams() {
    let repo = fixture("follow");
    let tmp = tempfile::tempdir().unwrap();
    let (all, one) = (tmp.path().join("all"), tmp.path().join("one"));
    assert_eq!(apply(&repo, &all, &[]).code, 0);
    assert_eq!(apply(&repo, &one, &["--team", "home", "--jobs", "1"]).code, 0);
    assert_eq!(refs(&all.join("home.git")), refs(&one.join("home.git")));
    assert_eq!(
        std::fs::read(all.join("home.git/split/commit-map")).unwrap(),
        std::fs::read(one.join("home.git/split/commit-map")).unwrap()
    );
}

/// Applies `repo` with `main` at `rev` first, then at its tip: returns
/// the second run's JSON report.
fn in_two_steps(repo: &Path, out: &Path, rev: &str) -> String {
    let tip = text(git(repo, &["rev-parse", "main"]));
    assert!(git(repo, &["update-ref", "refs/heads/main", rev]).status.success());
    assert_eq!(apply(repo, out, &[]).code, 0);
    assert!(git(repo, &["update-ref", "refs/heads/main", tip.trim()]).status.success());
    let second = split(repo, &["apply", "--out", out.to_str().unwrap(), "--format", "json"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    second.stdout
}

#[test]
fn two_steps_equal_one_and_a_move_reaching_back_is_a_reported_rebuild() {
    let (_tmp, repo) = fixture_copy("follow");
    let once = tempfile::tempdir().unwrap();
    assert_eq!(apply(&repo, once.path(), &[]).code, 0);
    let subject = |s: &str| text(git(&repo, &["log", "--format=%H", "-1", &format!("--grep=^{s}$"), "main"]));
    // Stopped before the move of old/path.txt: continuing moves a file the
    // earlier run wrote, so its history is written again.
    let before_move = subject("second move, home");
    let stepped = tempfile::tempdir().unwrap();
    let report = in_two_steps(&repo, stepped.path(), before_move.trim());
    let json: serde_json::Value = serde_json::from_str(&report).unwrap();
    let home = json["teams"].as_array().unwrap().iter().find(|t| t["name"] == "home").unwrap();
    assert!(home["rebuilt"].as_str().is_some_and(|r| r.contains("reaches back")), "{home}");
    let legacy = json["teams"].as_array().unwrap().iter().find(|t| t["name"] == "legacy").unwrap();
    assert!(legacy.get("rebuilt").is_none(), "{legacy}");
    // Stopped after the last move: continuing is incremental.
    let after = subject("recreate app/r.txt, unlike itself");
    let continued = tempfile::tempdir().unwrap();
    let report = in_two_steps(&repo, continued.path(), after.trim());
    assert!(!report.contains("rebuilt"), "{report}");
    for out in [stepped.path(), continued.path()] {
        for team in ["home", "legacy"] {
            let t = format!("{team}.git");
            assert_eq!(refs(&once.path().join(&t)), refs(&out.join(&t)), "{team}");
        }
    }
}

#[test]
fn plan_counts_the_earlier_paths_and_the_commits_they_add() {
    let (_tmp, repo) = fixture_copy("follow");
    let run = split(&repo, &["plan", "--team", "home", "--no-deps", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let follow = &json["teams"][0]["follow"];
    // git's earlier paths of the team's files: every move's source outside
    // the team's directories.
    let mut earlier = std::collections::BTreeSet::new();
    for path in
        text(git(&repo, &["ls-tree", "-r", "--name-only", "HEAD", "app", "course", "pkg", "new"])).lines()
    {
        for (_, status, from) in follow_log(&repo, path) {
            let from = from.filter(|f| {
                status == "R" && !["app/", "course/", "pkg/", "new/"].iter().any(|d| f.starts_with(d))
            });
            earlier.extend(from);
        }
    }
    assert_eq!(follow["earlier_paths"], earlier.len(), "{earlier:?}");
    // The team repository's commits that change earlier paths alone.
    let out = tempfile::tempdir().unwrap();
    assert_eq!(apply(&repo, out.path(), &["--team", "home"]).code, 0);
    let team = out.path().join("home.git");
    let commits = text(git(&team, &["rev-list", "--no-merges", "HEAD"]));
    let home = |p: &str| ["app/", "course/", "pkg/", "new/"].iter().any(|d| p.starts_with(d));
    let alone = commits
        .lines()
        .filter(|c| {
            let changed =
                text(git(&team, &["diff-tree", "--root", "--no-commit-id", "-r", "--name-only", c]));
            !changed.lines().any(home)
        })
        .count();
    assert_eq!(follow["extra_commits"], alone);
    assert!(alone >= 7, "{alone}");
    // Without the option, plan says nothing of it.
    let manifest = std::fs::read_to_string(repo.join("ownership.yaml")).unwrap();
    std::fs::write(
        repo.join("ownership.yaml"),
        manifest.replace("follow_renames: true", "follow_renames: false"),
    )
    .unwrap();
    let run = split(&repo, &["plan", "--team", "home", "--no-deps", "--format", "json"]);
    assert!(!run.stdout.contains("\"follow\""), "{}", run.stdout);
}

/// A blob only the rename search reads is lost: the team that follows
/// renames fails, naming it, and a team that does not is written as always.
#[test]
fn a_lost_blob_the_rename_search_needs_fails_only_the_following_team() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("repo.git");
    let repo = git2::Repository::init_bare(&path).unwrap();
    let lines: String = (0..40).map(|i| format!("line {i} of the model\n")).collect();
    let edited = lines.replace("line 7 of", "line seven of");
    let first = crate::support::commit_files(
        &repo,
        [("a/x.txt", lines.as_str()), ("b/y.txt", "y\n")],
        &[],
        1e9 as i64,
    );
    let moved = crate::support::commit_files(
        &repo,
        [("home/x.txt", edited.as_str()), ("b/y.txt", "y\n")],
        &[first],
        1e9 as i64 + 60,
    );
    repo.reference("refs/heads/main", moved, true, "").unwrap();
    repo.set_head("refs/heads/main").unwrap();
    let lost = repo.blob(lines.as_bytes()).unwrap().to_string();
    std::fs::remove_file(path.join("objects").join(&lost[..2]).join(&lost[2..])).unwrap();
    let manifest = tmp.path().join("ownership.yaml");
    std::fs::write(
        &manifest,
        "version: 1\nteams:\n  other: {paths: [\"b/**\"]}\n  home: {paths: [\"home/**\"], history: {follow_renames: true}}\n",
    )
    .unwrap();

    let run = apply(
        &path,
        &tmp.path().join("out"),
        &["--manifest", manifest.to_str().unwrap(), "--format", "json"],
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect(&run.stderr);
    let error = |name: &str| {
        let team = report["teams"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap();
        team["error"].as_str().map(str::to_string)
    };
    assert_eq!(error("other"), None, "{}", run.stdout);
    let home = error("home").expect("home fails");
    assert!(home.contains(&lost[..7]) || home.contains(&lost), "{home}");
}
