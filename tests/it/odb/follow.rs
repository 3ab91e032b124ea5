//! Following a file is `git log --follow`: for every file at the tip of
//! fixtures with moves, merges, copies and reused paths, and of random
//! histories with merged side branches, the commits and the path at each
//! are the ones git lists, with the same change letters and scores.

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
                StepKind::TypeChanged => "T".to_string(),
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

/// One change of a random history.
#[derive(Clone, Debug)]
enum Op {
    Edit(usize, u8),
    Move(usize, u8),
    MoveChanged(usize, u8, u8),
    Copy(usize, u8),
    Add(u8, u8),
    Delete(usize),
    /// Start a side branch here, or merge it if one is open.
    Branch,
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        (0usize..8, 0u8..4).prop_map(|(f, e)| Op::Edit(f, e)),
        (0usize..8, 0u8..6).prop_map(|(f, d)| Op::Move(f, d)),
        (0usize..8, 0u8..6, 0u8..4).prop_map(|(f, d, e)| Op::MoveChanged(f, d, e)),
        (0usize..8, 0u8..6).prop_map(|(f, d)| Op::Copy(f, d)),
        (0u8..6, 0u8..8).prop_map(|(d, t)| Op::Add(d, t)),
        (0usize..8).prop_map(Op::Delete),
        Just(Op::Branch),
    ]
}

type Files = std::collections::BTreeMap<String, Vec<u8>>;

/// Twenty lines of text `t`, one in seven changed by edit `e`.
pub fn body(t: u8, e: u8) -> Vec<u8> {
    (0..20u8)
        .map(|l| {
            if l % 7 == e % 7 && e > 0 {
                format!("edit {e} of {l}\n")
            } else {
                format!("text {t} line {l}\n")
            }
        })
        .collect::<String>()
        .into_bytes()
}

fn apply_op(files: &mut Files, op: &Op, serial: usize) {
    let names: Vec<String> = files.keys().cloned().collect();
    let pick = |i: usize| names.get(i % names.len().max(1)).cloned();
    match *op {
        Op::Edit(f, e) => {
            if let Some(n) = pick(f) {
                let mut d = files[&n].clone();
                d.extend_from_slice(format!("more {e}\n").as_bytes());
                files.insert(n, d);
            }
        }
        Op::Move(f, d) | Op::MoveChanged(f, d, _) | Op::Copy(f, d) => {
            if let Some(n) = pick(f) {
                let base = n.rsplit('/').next().unwrap().to_string();
                let to = if matches!(op, Op::MoveChanged(..)) {
                    format!("d{d}/m{serial}.txt")
                } else {
                    format!("d{d}/{base}")
                };
                if files.contains_key(&to) {
                    return;
                }
                let mut data =
                    if matches!(op, Op::Copy(..)) { files[&n].clone() } else { files.remove(&n).unwrap() };
                if let Op::MoveChanged(_, _, e) = *op {
                    data.extend_from_slice(&body(200, e + 1)[..40]);
                }
                files.insert(to, data);
            }
        }
        Op::Add(d, t) => {
            files.insert(format!("d{d}/a{serial}.txt"), body(t, 0));
        }
        Op::Delete(f) => {
            if let Some(n) = pick(f) {
                files.remove(&n);
            }
        }
        Op::Branch => {}
    }
}

fn write_commit(repo: &git2::Repository, files: &Files, parents: &[git2::Oid], time: i64) -> git2::Oid {
    crate::support::commit_files(repo, files, parents, time)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, ..Default::default() })]

    /// Random histories of edits, moves, copies, deletes and merged side
    /// branches: every file at the tip is followed as `git log --follow`
    /// follows it.
    #[test]
    fn random_histories_are_followed_as_git_follows_them(ops in proptest::collection::vec(op(), 1..30)) {
        let tmp = tempfile::tempdir().unwrap();
        let raw = git2::Repository::init(tmp.path()).unwrap();
        let mut files: Files = (0..4u8).map(|t| (format!("d{t}/f{t}.txt"), body(t, 0))).collect();
        let mut time = 1_700_000_000;
        let mut head = write_commit(&raw, &files, &[], time);
        // An open side branch: its head and files; while open, ops alternate
        // between it and main.
        let mut side: Option<(git2::Oid, Files)> = None;
        for (serial, op) in ops.iter().enumerate() {
            time += 60;
            match (op, side.take()) {
                (Op::Branch, None) => side = Some((head, files.clone())),
                (Op::Branch, Some((side_head, side_files))) => {
                    // The side's files over main's.
                    files.extend(side_files);
                    head = write_commit(&raw, &files, &[head, side_head], time);
                }
                (op, Some((side_head, mut side_files))) if serial % 2 == 0 => {
                    apply_op(&mut side_files, op, serial);
                    let h = write_commit(&raw, &side_files, &[side_head], time);
                    side = Some((h, side_files));
                }
                (op, open) => {
                    side = open;
                    apply_op(&mut files, op, serial);
                    head = write_commit(&raw, &files, &[head], time);
                }
            }
        }
        raw.reference("refs/heads/main", head, true, "tip").unwrap();
        raw.set_head("refs/heads/main").unwrap();
        let repo = Repo::open(&tmp.path().join(".git")).unwrap();
        for path in files.keys() {
            proptest::prop_assert_eq!(ours(&repo, path), git_follow(tmp.path(), path), "{}", path);
        }
    }
}
