//! `follow_renames` on random histories: edits, moves into and out of the
//! following team's directory (some with edits), adds, deletes, paths
//! reused, and side branches merged back, compared with git itself as
//! `follow_renames.rs` compares the fixture; and split in two steps equals
//! split once.
//!
//! `git blame` is compared on every history; `git log --follow` on linear
//! ones. On branchy ones git's walk follows one path for the whole walk, in
//! date order: a commit on another branch that deletes or edits the
//! earlier path while the move happens elsewhere is listed in the monolith,
//! whereas the team repository keeps the earlier path along the moved
//! file's own ancestry only (as `git blame` follows it), so there that
//! branch shows the path ending where it leaves the ancestry. The fixture
//! checks `git log --follow` on a side branch merged back.
//!
//! `PROPTEST_CASES` sets the number of cases (default 16). A failure
//! prints the operations; the history is written with libgit2.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;

use super::follow_renames::compare_with_git;
use crate::odb::follow::body;
use crate::support::{apply, commit_files, git, refs};

/// Directories: the following team's, the other team's two, one nobody owns.
const DIRS: [&str; 4] = ["home", "old", "lib", "x"];

const MANIFEST: &str = "version: 1
teams:
  home:
    paths: [\"home/**\"]
    history: {follow_renames: true}
  legacy:
    paths: [\"old/**\", \"lib/**\"]
";

/// One change of a random history.
#[derive(Clone, Debug)]
enum Op {
    Edit(usize, u8),
    /// Move a file to a directory, keeping its name.
    Move(usize, u8),
    /// Move a file under a new name, with an edit.
    MoveChanged(usize, u8, u8),
    Add(u8, u8),
    Delete(usize),
    /// Start a side branch here, or merge it if one is open.
    Branch,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0usize..8, 0u8..4).prop_map(|(f, e)| Op::Edit(f, e)),
        3 => (0usize..8, 0u8..4).prop_map(|(f, d)| Op::Move(f, d)),
        1 => (0usize..8, 0u8..4, 0u8..4).prop_map(|(f, d, e)| Op::MoveChanged(f, d, e)),
        1 => (0u8..4, 0u8..8).prop_map(|(d, t)| Op::Add(d, t)),
        1 => (0usize..8).prop_map(Op::Delete),
        1 => Just(Op::Branch),
    ]
}

type Files = BTreeMap<String, Vec<u8>>;

fn apply_op(files: &mut Files, op: &Op, serial: usize) {
    let names: Vec<String> = files.keys().cloned().collect();
    let pick = |i: usize| names.get(i % names.len().max(1)).cloned();
    match *op {
        Op::Edit(f, e) => {
            if let Some(n) = pick(f) {
                files.get_mut(&n).unwrap().extend_from_slice(format!("more {e} at {serial}\n").as_bytes());
            }
        }
        Op::Move(f, d) | Op::MoveChanged(f, d, _) => {
            let Some(n) = pick(f) else { return };
            let base = n.rsplit('/').next().unwrap();
            let dir = DIRS[d as usize];
            let to = match op {
                Op::MoveChanged(..) => format!("{dir}/m{serial}.txt"),
                _ => format!("{dir}/{base}"),
            };
            if files.contains_key(&to) {
                return;
            }
            let mut data = files.remove(&n).unwrap();
            if let Op::MoveChanged(_, _, e) = *op {
                data.extend_from_slice(format!("moved and edited {e}\n").as_bytes());
            }
            files.insert(to, data);
        }
        Op::Add(d, t) => {
            files.insert(format!("{}/a{serial}.txt", DIRS[d as usize]), body(t + 10, 0));
        }
        Op::Delete(f) => {
            if let Some(n) = pick(f) {
                files.remove(&n);
            }
        }
        Op::Branch => {}
    }
}

/// A three-way merge of file sets, path by path: what one side changed
/// wins; where both changed a path differently, a deletion wins (a move
/// and an edit of the moved file's old path become the move), else ours.
/// Files a branch moved away are not brought back: merges as git makes
/// them, and git's own `log --follow` would see a copy in one that did.
fn merge(base: &Files, ours: &Files, theirs: &Files) -> Files {
    let paths: std::collections::BTreeSet<&String> =
        base.keys().chain(ours.keys()).chain(theirs.keys()).collect();
    let mut out = Files::new();
    for p in paths {
        let (b, o, t) = (base.get(p), ours.get(p), theirs.get(p));
        let kept = if o == t || t == b {
            o
        } else if o == b {
            t
        } else if o.is_none() || t.is_none() {
            None
        } else {
            o
        };
        if let Some(data) = kept {
            out.insert(p.clone(), data.clone());
        }
    }
    out
}

/// Writes the history of `ops` into a new repository at `dir`; returns
/// the commits of `main`, oldest first.
fn write_history(dir: &Path, ops: &[Op]) -> Vec<git2::Oid> {
    let raw = git2::Repository::init(dir).unwrap();
    let mut files: Files = (0..4u8).map(|t| (format!("{}/f{t}.txt", DIRS[t as usize]), body(t, 0))).collect();
    let mut time = 1_700_000_000;
    let mut head = commit_files(&raw, &files, &[], time);
    let mut main = vec![head];
    // An open side branch: its head, its files, and main's files where it
    // started.
    let mut side: Option<(git2::Oid, Files, Files)> = None;
    for (serial, op) in ops.iter().enumerate() {
        time += 60;
        match (op, side.take()) {
            (Op::Branch, None) => side = Some((head, files.clone(), files.clone())),
            (Op::Branch, Some((side_head, side_files, base))) => {
                files = merge(&base, &files, &side_files);
                head = commit_files(&raw, &files, &[head, side_head], time);
                main.push(head);
            }
            (op, Some((side_head, mut side_files, base))) if serial % 2 == 0 => {
                apply_op(&mut side_files, op, serial);
                side = Some((commit_files(&raw, &side_files, &[side_head], time), side_files, base));
            }
            (op, open) => {
                side = open;
                apply_op(&mut files, op, serial);
                head = commit_files(&raw, &files, &[head], time);
                main.push(head);
            }
        }
    }
    raw.reference("refs/heads/main", head, true, "tip").unwrap();
    raw.set_head("refs/heads/main").unwrap();
    main
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(16)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_histories_follow_as_git_follows(ops in proptest::collection::vec(op(), 1..28), cut in 0usize..100) {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        let main = write_history(&repo, &ops);
        let manifest = tmp.path().join("ownership.yaml");
        std::fs::write(&manifest, MANIFEST).unwrap();
        let m = manifest.to_str().unwrap();
        let once = tmp.path().join("once");
        let run = apply(&repo, &once, &["--manifest", m]);
        prop_assert_eq!(run.code, 0, "{}", run.stderr);
        let home = once.join("home.git");
        if home.exists() && !git(&home, &["rev-parse", "-q", "--verify", "HEAD"]).stdout.is_empty() {
            compare_with_git(&repo, &home, !ops.iter().any(|o| matches!(o, Op::Branch)));
        }
        // Halfway along main, then the rest: the ids of one run.
        let tip = *main.last().unwrap();
        let stop = main[cut % main.len()];
        let stepped = tmp.path().join("stepped");
        prop_assert!(git(&repo, &["update-ref", "refs/heads/main", &stop.to_string()]).status.success());
        prop_assert_eq!(apply(&repo, &stepped, &["--manifest", m]).code, 0);
        prop_assert!(git(&repo, &["update-ref", "refs/heads/main", &tip.to_string()]).status.success());
        prop_assert_eq!(apply(&repo, &stepped, &["--manifest", m]).code, 0);
        for team in ["home.git", "legacy.git"] {
            if once.join(team).exists() {
                prop_assert_eq!(refs(&once.join(team)), refs(&stepped.join(team)), "{}", team);
            }
        }
    }
}
