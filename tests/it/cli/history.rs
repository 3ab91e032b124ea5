//! `owners --history`: a file's earlier paths are the moves `git log
//! --follow` lists for it, each with the commit, its date and subject, and
//! the owners of the earlier path under the current manifest.

use crate::apply::follow_renames::{follow_log, sources};
use crate::support::{apply, digest, fixture, git, split};

/// The moves `git log --follow` lists for `path`: (commit author date, from, to).
fn git_moves(repo: &std::path::Path, path: &str) -> Vec<(String, String, String)> {
    let out = git(repo, &["log", "--follow", "--name-status", "--format=commit %H %aI", "--", path]);
    let mut commit = String::new();
    let mut moves = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        if let Some(c) = line.strip_prefix("commit ") {
            commit = c.to_string();
        } else if line.starts_with('R') || line.starts_with('C') {
            let f: Vec<&str> = line.split('\t').collect();
            moves.push((commit.clone(), f[1].to_string(), f[2].to_string()));
        }
    }
    moves
}

/// The files at HEAD, and `owners --history --format json` of them all.
fn every_file_s_history(repo: &std::path::Path) -> (Vec<String>, serde_json::Value) {
    let files = git(repo, &["ls-tree", "-r", "--name-only", "HEAD"]).stdout;
    let files: Vec<String> = String::from_utf8(files).unwrap().lines().map(str::to_string).collect();
    let mut args = vec!["owners", "--history", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let run = split(repo, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (files, serde_json::from_str(&run.stdout).unwrap())
}

#[test]
fn history_text_and_json() {
    let repo = fixture("moves");
    let before = digest(&repo);
    let paths = ["twice/three.txt", "app/copy.txt", "old/path.txt", "app"];
    let mut args = vec!["owners", "--history"];
    args.extend(paths);
    let text = split(&repo, &args);
    assert_eq!(text.code, 0, "{}", text.stderr);
    insta::assert_snapshot!("owners_history_text", text.snapshot(&repo));
    args.extend(["--format", "json"]);
    let json = split(&repo, &args);
    insta::assert_snapshot!("owners_history_json", json.snapshot(&repo));
    assert_eq!(before, digest(&repo), "owners --history wrote to the monolith");
}

#[test]
fn every_file_s_history_is_what_git_log_follow_lists() {
    let repo = fixture("moves");
    let (files, v) = every_file_s_history(&repo);
    let mut moves = 0;
    for (report, path) in v["paths"].as_array().unwrap().iter().zip(&files) {
        assert_eq!(report["path"], path.as_str());
        let ours: Vec<(String, String, String)> = report["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let s = |k: &str| m[k].as_str().unwrap().to_string();
                (format!("{} {}", s("commit"), s("date")), s("from"), s("to"))
            })
            .collect();
        let want = git_moves(&repo, path);
        assert_eq!(ours, want, "{path}");
        moves += want.len();
    }
    assert!(moves >= 40, "the fixture's moves were compared: {moves}");
}

/// A file moved with an edit whose blob is too large to score: git finds
/// the move, and `owners --history` says its search met a bound instead of
/// claiming the file has no earlier path.
#[test]
fn a_bounded_search_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    let id = ["-c", "user.name=A", "-c", "user.email=a@example.com"];
    git(repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("ownership.yaml"), "version: 1\nteams:\n  t:\n    paths: [\"**\"]\n").unwrap();
    let big: String = (0..(17 << 20) / 16).map(|i| format!("{i:015}\n")).collect();
    std::fs::write(repo.join("big.txt"), &big).unwrap();
    git(repo, &["add", "."]);
    git(repo, &[&id[..], &["commit", "-q", "-m", "big"]].concat());
    git(repo, &["mv", "big.txt", "moved.txt"]);
    std::fs::write(repo.join("moved.txt"), big + "one more line\n").unwrap();
    git(repo, &[&id[..], &["commit", "-q", "-am", "move and edit"]].concat());
    assert_eq!(git_moves(repo, "moved.txt").len(), 1, "git scores the pair");

    let run = split(repo, &["owners", "--history", "--format", "json", "moved.txt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["paths"][0]["history"], serde_json::json!([]));
    assert_eq!(v["paths"][0]["history_bounded"], true);
    let text = split(repo, &["owners", "--history", "moved.txt"]);
    assert!(text.stdout.contains("note: a rename search met its bound"), "{}", text.stdout);
}

/// `kept_by` against the team repositories: for every file at the tip and
/// every move `owners --history` lists for it, a team is marked exactly
/// when `git log --follow` of the file in that team's repository shows the
/// same move (the commit, through `Split-Source`, and the earlier path):
/// with `follow_renames` (fixture `follow`, team `home`) and without it
/// (fixture `moves`, moves within a team's paths).
#[test]
fn kept_by_is_what_the_team_repository_keeps() {
    for (name, min_kept, min_unkept) in [("follow", 8, 1), ("moves", 1, 1)] {
        let repo = fixture(name);
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        assert_eq!(apply(&repo, &out, &[]).code, 0, "{name}");
        let (files, v) = every_file_s_history(&repo);
        let teams: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .filter_map(|e| e.unwrap().file_name().to_str()?.strip_suffix(".git").map(str::to_string))
            .collect();
        let maps: Vec<_> = teams.iter().map(|t| sources(&out.join(format!("{t}.git")))).collect();
        let (mut kept, mut unkept) = (0, 0);
        for (report, path) in v["paths"].as_array().unwrap().iter().zip(&files) {
            let moves = report["history"].as_array().unwrap();
            assert_eq!(moves.len(), git_moves(&repo, path).len(), "{path}: the chain is git's");
            for (team, map) in teams.iter().zip(&maps) {
                let team_repo = out.join(format!("{team}.git"));
                let has = !git(&team_repo, &["ls-tree", "--name-only", "HEAD", "--", path]).stdout.is_empty();
                let shown: Vec<(String, Option<String>)> = match has {
                    true => follow_log(&team_repo, path)
                        .into_iter()
                        .map(|(c, _, from)| (map[&c].clone(), from))
                        .collect(),
                    false => Vec::new(),
                };
                for m in moves {
                    let marked = m["kept_by"].as_array().unwrap().iter().any(|t| t == team.as_str());
                    let step = (
                        m["commit"].as_str().unwrap().to_string(),
                        Some(m["from"].as_str().unwrap().to_string()),
                    );
                    assert_eq!(marked, shown.contains(&step), "{name}: {path} <- {} in {team}", m["from"]);
                    kept += usize::from(marked);
                    unkept += usize::from(!marked && has);
                }
            }
        }
        assert!(kept >= min_kept && unkept >= min_unkept, "{name}: {kept} kept, {unkept} not kept");
    }
}
