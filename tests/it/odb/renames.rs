//! Rename detection is git's: for every commit of the moves fixture and of
//! random edits, the renames and their scores are the ones `git diff-tree
//! -M` prints, under git's default rename limit and under small ones.

use std::path::Path;

use git2::Oid;
use proptest::prelude::*;

use crate::support::{fixture, git};

use git_split::odb::renames::{self, Options};
use git_split::odb::similarity::percent;
use git_split::odb::Repo;

/// A rename as `git diff -M --name-status` prints it: score, old, new.
type Rename = (u32, Vec<u8>, Vec<u8>);

/// `git diff-tree -r -M -l<limit> --name-status -z old new`, R lines only.
fn git_renames(repo: &Path, old: &str, new: &str, limit: usize) -> Vec<Rename> {
    let l = format!("-l{limit}");
    let out = git(repo, &["diff-tree", "-r", "-M", &l, "--name-status", "-z", old, new]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut fields = out.stdout.split(|&b| b == 0).filter(|f| !f.is_empty());
    let mut got = Vec::new();
    while let Some(status) = fields.next() {
        let path = fields.next().expect("a path").to_vec();
        if let Some(score) = status.strip_prefix(b"R") {
            let score = std::str::from_utf8(score).unwrap().parse().unwrap();
            got.push((score, path, fields.next().expect("a new path").to_vec()));
        } else {
            assert!(!status.starts_with(b"C"), "no copies without -C");
        }
    }
    got.sort();
    got
}

/// Ours, between the trees of two commits.
fn our_renames(repo: &Repo, old: Oid, new: Oid, limit: usize) -> Vec<Rename> {
    let tree = |c: Oid| repo.raw().find_commit(c).unwrap().tree_id();
    let d = renames::diff_trees(repo, tree(old), tree(new), Options { limit, ..Options::default() }).unwrap();
    let mut got: Vec<Rename> =
        d.renamed.into_iter().map(|r| (percent(r.score), r.old.path, r.new.path)).collect();
    got.sort();
    got
}

/// Every (parent, commit) pair of the repository's history.
fn edges(repo: &Repo) -> Vec<(Oid, Oid)> {
    let mut walk = repo.raw().revwalk().unwrap();
    walk.push_head().unwrap();
    let mut out = Vec::new();
    for id in walk {
        let c = repo.raw().find_commit(id.unwrap()).unwrap();
        out.extend(c.parent_ids().map(|p| (p, c.id())));
    }
    out
}

#[test]
fn every_commit_of_the_moves_fixture_renames_as_git_does() {
    let dir = fixture("moves");
    let repo = Repo::open(&dir.join(".git")).unwrap();
    let mut renames = 0;
    for (p, c) in edges(&repo) {
        for limit in [1000, 0, 1, 2, 5] {
            let want = git_renames(&dir, &p.to_string(), &c.to_string(), limit);
            assert_eq!(our_renames(&repo, p, c, limit), want, "{p}..{c} -l{limit}");
            renames += want.len();
        }
    }
    // Every case of the fixture was reached (exact, edited, directory, empty,
    // binary, CRLF, same name): a fixture that stopped moving files would
    // make this test vacuous.
    assert!(renames > 5 * 40, "{renames}");
}

/// A small text file for the random histories: lines from a short
/// vocabulary, so edits keep some lines and change others.
fn text() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        (0u8..12).prop_map(|i| format!("line {i}\n").into_bytes()),
        (0u8..6).prop_map(|i| format!("crlf {i}\r\n").into_bytes()),
        Just(b"\0binary\n".to_vec()),
        (0usize..100).prop_map(|n| [vec![b'x'; n], b"\n".to_vec()].concat()),
        Just(Vec::new()),
    ];
    (proptest::collection::vec(line, 0..14), proptest::option::of(0usize..8))
        .prop_map(|(ls, tail)| [ls.concat(), tail.map(|n| vec![b't'; n]).unwrap_or_default()].concat())
}

/// One random edit of a file: kept, deleted, moved, moved with an edit,
/// rewritten in place, or a new file beside it.
#[derive(Clone, Debug)]
enum Edit {
    Keep,
    Delete,
    Move(u8),
    MoveChanged(u8, usize, Vec<u8>),
    Rewrite(Vec<u8>),
    Add(u8, Vec<u8>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        Just(Edit::Keep),
        Just(Edit::Delete),
        (0u8..6).prop_map(Edit::Move),
        (0u8..6, 0usize..40, text()).prop_map(|(d, at, t)| Edit::MoveChanged(d, at, t)),
        text().prop_map(Edit::Rewrite),
        (0u8..6, text()).prop_map(|(d, t)| Edit::Add(d, t)),
    ]
}

/// Writes a commit of `files` (path -> content) on `parent`.
fn commit(
    repo: &git2::Repository,
    files: &std::collections::BTreeMap<String, Vec<u8>>,
    parent: Option<Oid>,
) -> Oid {
    crate::support::commit_files(repo, files, parent.as_slice(), 1_700_000_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random files, then one commit of random deletes, moves (with and
    /// without edits), rewrites and additions: our renames are git's.
    #[test]
    fn random_edits_rename_as_git_does(
        start in proptest::collection::vec(text(), 1..12),
        edits in proptest::collection::vec(edit(), 12),
        limit in prop_oneof![Just(1000usize), Just(2), Just(3)],
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let raw = git2::Repository::init_bare(tmp.path()).unwrap();
        let before: std::collections::BTreeMap<String, Vec<u8>> =
            start.iter().enumerate().map(|(i, t)| (format!("d{}/f{i}.txt", i % 3), t.clone())).collect();
        let mut after = before.clone();
        for (i, e) in edits.iter().enumerate() {
            let path = format!("d{}/f{i}.txt", i % 3);
            let Some(data) = before.get(&path).cloned() else { continue };
            match e {
                Edit::Keep => {}
                Edit::Delete => { after.remove(&path); }
                Edit::Move(d) => {
                    after.remove(&path);
                    after.insert(format!("m{d}/f{i}.txt"), data);
                }
                Edit::MoveChanged(d, at, t) => {
                    after.remove(&path);
                    let at = (*at).min(data.len());
                    after.insert(format!("m{d}/g{i}.txt"), [&data[..at], t, &data[at..]].concat());
                }
                Edit::Rewrite(t) => { after.insert(path, t.clone()); }
                Edit::Add(d, t) => { after.insert(format!("n{d}/f{i}.txt"), t.clone()); }
            }
        }
        let a = commit(&raw, &before, None);
        let b = commit(&raw, &after, Some(a));
        let repo = Repo::open(tmp.path()).unwrap();
        let want = git_renames(tmp.path(), &a.to_string(), &b.to_string(), limit);
        prop_assert_eq!(our_renames(&repo, a, b, limit), want);
    }
}

/// More candidates than git's rename limit: git keeps the exact renames and
/// skips the content comparison, and so do we, saying so.
#[test]
fn past_the_rename_limit_only_exact_renames_are_kept_as_git_keeps_them() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = git2::Repository::init_bare(tmp.path()).unwrap();
    let content = |i: usize, edited: bool| {
        let mut s: String = (0..8).map(|l| format!("file {i} line {l}\n")).collect();
        if edited {
            s.push_str("edited\n");
        }
        s.into_bytes()
    };
    // 1002 left after the exact ones: past 1000 squared pairs.
    let n = 1012;
    let before: std::collections::BTreeMap<String, Vec<u8>> =
        (0..n).map(|i| (format!("old/f{i}.txt"), content(i, false))).collect();
    // Every file moves; the first ten unchanged, the rest with an edit, and
    // under a new name, so neither exact nor same-name matching pairs them.
    let after: std::collections::BTreeMap<String, Vec<u8>> = (0..n)
        .map(|i| {
            if i < 10 {
                (format!("new/f{i}.txt"), content(i, false))
            } else {
                (format!("new/g{i}.txt"), content(i, true))
            }
        })
        .collect();
    let a = commit(&raw, &before, None);
    let b = commit(&raw, &after, Some(a));
    let repo = Repo::open(tmp.path()).unwrap();
    let want = git_renames(tmp.path(), &a.to_string(), &b.to_string(), 1000);
    assert_eq!(want.len(), 10, "git paired only the exact renames");
    assert_eq!(our_renames(&repo, a, b, 1000), want);
    let tree = |c: Oid| repo.raw().find_commit(c).unwrap().tree_id();
    let d = renames::diff_trees(&repo, tree(a), tree(b), Options::default()).unwrap();
    assert!(d.limited, "the skipped comparison is reported");
    // Without a limit every edited move is found.
    assert_eq!(our_renames(&repo, a, b, 0), git_renames(tmp.path(), &a.to_string(), &b.to_string(), 0));
}

/// A blob too large to score is renamed only when unchanged, and the
/// result says that a bound applied; small files beside it are scored.
#[test]
fn a_blob_over_the_scoring_bound_is_renamed_only_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = git2::Repository::init_bare(tmp.path()).unwrap();
    let big: Vec<u8> = (0..(renames::MAX_SCORED_BLOB as usize / 16 + 1))
        .flat_map(|i| format!("{i:015}\n").into_bytes())
        .collect();
    let small: Vec<u8> = (0..20).flat_map(|i| format!("small line {i}\n").into_bytes()).collect();
    let before = std::collections::BTreeMap::from([
        ("big.bin".to_string(), big.clone()),
        ("s.txt".to_string(), small.clone()),
    ]);
    let after = std::collections::BTreeMap::from([
        ("moved/big2.bin".to_string(), [big.as_slice(), b"one more line\n"].concat()),
        ("moved/t.txt".to_string(), [small.as_slice(), b"edited\n"].concat()),
    ]);
    let a = commit(&raw, &before, None);
    let b = commit(&raw, &after, Some(a));
    let repo = Repo::open(tmp.path()).unwrap();
    let tree = |c: Oid| repo.raw().find_commit(c).unwrap().tree_id();
    let d = renames::diff_trees(&repo, tree(a), tree(b), Options::default()).unwrap();
    let pairs: Vec<(&[u8], &[u8])> = d.renamed.iter().map(|r| (&r.old.path[..], &r.new.path[..])).collect();
    assert_eq!(pairs, [(&b"s.txt"[..], &b"moved/t.txt"[..])]);
    assert!(d.limited);
}
