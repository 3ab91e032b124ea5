//! Following a file is `git log --follow`: for every file at the tip of
//! fixtures with moves, merges, copies and reused paths, the commits and
//! the path at each are the ones git lists, with the same change letters
//! and scores.

use std::path::Path;

use crate::support::{fixture, git};

use git_split::odb::follow::{follow, StepKind};
use git_split::odb::Repo;

/// (commit, path at that commit, status as `--name-status` prints it).
type Line = (String, String, String);

/// `git log --follow --name-status -- path`, one line per change shown.
fn git_follow(repo: &Path, path: &str) -> Vec<Line> {
    let out = git(repo, &["log", "--follow", "--name-status", "--format=commit %H", "--", path]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut commit = String::new();
    let mut got = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        if let Some(c) = line.strip_prefix("commit ") {
            commit = c.to_string();
        } else if !line.is_empty() {
            let fields: Vec<&str> = line.split('\t').collect();
            got.push((commit.clone(), fields.last().unwrap().to_string(), fields[0].to_string()));
        }
    }
    got
}

fn ours(repo: &Repo, path: &str) -> Vec<Line> {
    let tip = repo.head().unwrap().commit;
    let followed = follow(repo, tip, path.as_bytes()).unwrap();
    assert!(!followed.limited);
    followed
        .steps
        .iter()
        .map(|s| {
            let status = match &s.kind {
                StepKind::Added => "A".to_string(),
                StepKind::Modified => "M".to_string(),
                StepKind::Deleted => "D".to_string(),
                StepKind::Renamed { score, .. } => format!("R{score:03}"),
                StepKind::Copied { score, .. } => format!("C{score:03}"),
            };
            (s.commit.to_string(), String::from_utf8(s.path.clone()).unwrap(), status)
        })
        .collect()
}

/// Every file at the tip of `name`, followed by git and by us.
fn compare(name: &str) -> (usize, usize) {
    let dir = fixture(name);
    let repo = Repo::open(&dir.join(".git")).unwrap();
    let files = git(&dir, &["ls-tree", "-r", "--name-only", "HEAD"]);
    let (mut lines, mut moves) = (0, 0);
    for path in String::from_utf8(files.stdout).unwrap().lines() {
        let want = git_follow(&dir, path);
        assert_eq!(ours(&repo, path), want, "{name}: {path}");
        lines += want.len();
        moves += want.iter().filter(|l| l.2.starts_with('R') || l.2.starts_with('C')).count();
    }
    (lines, moves)
}

#[test]
fn every_file_of_the_moves_fixture_is_followed_as_git_follows_it() {
    let (lines, moves) = compare("moves");
    // Renames and a copy are among them: the comparison is not only of
    // files that never moved.
    assert!(moves >= 40 && lines > moves, "{lines} lines, {moves} moves");
}

#[test]
fn the_move_cases_are_the_ones_the_fixture_names() {
    let dir = fixture("moves");
    let repo = Repo::open(&dir.join(".git")).unwrap();
    let froms = |path: &str| -> Vec<String> {
        let f = follow(&repo, repo.head().unwrap().commit, path.as_bytes()).unwrap();
        f.moves().map(|s| String::from_utf8(s.from().unwrap().to_vec()).unwrap()).collect()
    };
    assert_eq!(froms("twice/three.txt"), ["twice/two.txt", "twice/one.txt"]);
    assert_eq!(froms("course/model.txt"), ["core/model.txt"]);
    assert_eq!(froms("app/g.txt"), ["src/g.txt"]);
    // Not taken along: the file now at the reused path, and a recreation.
    assert_eq!(froms("old/path.txt"), Vec::<String>::new());
    assert_eq!(froms("unrelated.txt"), Vec::<String>::new());
    assert_eq!(froms("new/path.txt"), ["old/path.txt"]);
}

#[test]
fn every_file_of_the_history_fixtures_is_followed_as_git_follows_it() {
    for name in ["history", "monolith"] {
        let (lines, _) = compare(name);
        assert!(lines > 0, "{name}");
    }
}
