//! What a case is made of: the generated history (commits, side branches,
//! merges and the file operations in them) and team definitions, and the
//! `git fast-import` stream a history is written as.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use proptest::prelude::*;

pub(super) const ZERO: &str = "0000000000000000000000000000000000000000";

/// Every file path the histories use. None is a directory prefix of
/// another, so there are no file/directory conflicts. The last one is never
/// owned by any team.
pub(super) const FILES: [&str; 8] = ["a/f", "a/g", "a/x/f", "b/f", "b/h.txt", "c/f", "top.txt", "u.txt"];
pub(super) const UNOWNED: u8 = 7;
/// What a team's `paths` may name.
pub(super) const OWNABLE: [&str; 5] = ["a", "a/x", "b", "c", "top.txt"];
/// `root:` directories.
pub(super) const ROOTS: [&str; 2] = ["a", "a/x"];
/// Side branches are 1..BRANCHES; 0 is main.
pub(super) const BRANCHES: u8 = 4;

// ---------------------------------------------------------------------------
// The generated description

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    File,
    Exec,
    Symlink,
    Gitlink,
}

#[derive(Clone, Debug)]
pub(super) enum Op {
    /// Add or modify `FILES[path]` (content/target/commit chosen by `val`).
    Write { path: u8, kind: Kind, val: u8 },
    /// Delete the `nth` existing file (modulo), if any.
    Delete { nth: u8 },
    /// Rename the `from`-th existing file to the `to`-th missing path.
    Rename { from: u8, to: u8 },
}

#[derive(Clone, Debug)]
pub(super) enum Step {
    /// A commit on a branch (created at main's tip on first use); no ops is
    /// an empty commit.
    Commit { branch: u8, ops: Vec<Op> },
    /// A commit that only changes the path no team owns.
    Unowned { branch: u8, val: u8 },
    /// `reset` a side branch to main's tip `back` first-parent steps back.
    Fork { branch: u8, back: u8 },
    /// Merge branches `from` into `into` (3-way on the model; conflicts take
    /// ours), plus `extra` changes (an evil merge).
    Merge { into: u8, from: Vec<u8>, extra: Vec<Op> },
}

#[derive(Clone, Debug)]
pub(super) struct History {
    pub(super) root: Vec<Op>,
    pub(super) steps: Vec<Step>,
}

#[derive(Clone, Debug)]
pub(super) struct TeamDef {
    /// Indices into OWNABLE.
    pub(super) paths: Vec<u8>,
    /// Index into FILES.
    pub(super) exclude: Option<u8>,
    /// Index into ROOTS.
    pub(super) root: Option<u8>,
}

#[derive(Clone, Debug)]
pub(super) struct Teams {
    pub(super) teams: Vec<TeamDef>,
    pub(super) shared: bool,
}

pub(super) fn op() -> impl Strategy<Value = Op> {
    let kind = prop_oneof![
        6 => Just(Kind::File),
        2 => Just(Kind::Exec),
        1 => Just(Kind::Symlink),
        1 => Just(Kind::Gitlink),
    ];
    prop_oneof![
        6 => (0..UNOWNED, kind, 0u8..3).prop_map(|(path, kind, val)| Op::Write { path, kind, val }),
        2 => any::<u8>().prop_map(|nth| Op::Delete { nth }),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(from, to)| Op::Rename { from, to }),
    ]
}

pub(super) fn step() -> impl Strategy<Value = Step> {
    let branch = prop_oneof![3 => Just(0u8), 2 => 1..BRANCHES];
    prop_oneof![
        8 => (branch, prop::collection::vec(op(), 1..=3))
            .prop_map(|(branch, ops)| Step::Commit { branch, ops }),
        1 => (0..BRANCHES).prop_map(|branch| Step::Commit { branch, ops: vec![] }),
        1 => (0..BRANCHES, 0u8..3).prop_map(|(branch, val)| Step::Unowned { branch, val }),
        1 => (1..BRANCHES, 0u8..4).prop_map(|(branch, back)| Step::Fork { branch, back }),
        5 => (
            prop_oneof![4 => Just(0u8), 1 => 1..BRANCHES],
            prop::collection::vec(0..BRANCHES, 1..=2),
            prop_oneof![4 => Just(vec![]), 1 => prop::collection::vec(op(), 1..=1)],
        )
            .prop_map(|(into, from, extra)| Step::Merge { into, from, extra }),
    ]
}

pub(super) fn history() -> impl Strategy<Value = History> {
    (prop::collection::vec(op(), 0..=3), prop::collection::vec(step(), 4..=24))
        .prop_map(|(root, steps)| History { root, steps })
}

pub(super) fn teams() -> impl Strategy<Value = Teams> {
    let team = (
        prop::collection::btree_set(0..OWNABLE.len() as u8, 1..=2),
        prop::option::weighted(0.3, 0..UNOWNED),
        prop::option::weighted(0.25, 0..ROOTS.len() as u8),
    )
        .prop_map(|(paths, exclude, root)| TeamDef { paths: paths.into_iter().collect(), exclude, root });
    (prop::collection::vec(team, 1..=3), any::<bool>()).prop_map(|(teams, shared)| Teams { teams, shared })
}

// ---------------------------------------------------------------------------
// The model: builds the fast-import stream

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) mode: &'static str,
    /// A blob mark (`:N`) or, for a gitlink, a commit id.
    pub(super) data: String,
}

pub(super) type Tree = BTreeMap<&'static str, Entry>;

/// Blob marks: `v0..v2\n` contents at :1..:3, symlink targets at :4..:6.
pub(super) fn entry(kind: Kind, val: u8) -> Entry {
    match kind {
        Kind::File => Entry { mode: "100644", data: format!(":{}", 1 + val) },
        Kind::Exec => Entry { mode: "100755", data: format!(":{}", 1 + val) },
        Kind::Symlink => Entry { mode: "120000", data: format!(":{}", 4 + val) },
        Kind::Gitlink => Entry { mode: "160000", data: format!("{:x}", val + 1).repeat(40) },
    }
}

pub(super) const SYMLINK_TARGETS: [&str; 3] = ["../top.txt", "f", "x/f"];

pub(super) struct Model {
    /// Per commit (index = mark - FIRST_MARK): parents and tree.
    pub(super) commits: Vec<(Vec<usize>, Tree)>,
    pub(super) tips: [Option<usize>; BRANCHES as usize],
    pub(super) stream: String,
}

pub(super) const FIRST_MARK: usize = 10;

pub(super) fn branch_ref(b: u8) -> String {
    if b == 0 {
        "refs/heads/main".into()
    } else {
        format!("refs/heads/side{b}")
    }
}

/// Applies `op` to `tree`, returning the fast-import file command.
pub(super) fn apply_op(tree: &mut Tree, op: &Op) -> Option<String> {
    match op {
        Op::Write { path, kind, val } => {
            let p = FILES[*path as usize];
            let e = entry(*kind, *val);
            let line = format!("M {} {} {p}\n", e.mode, e.data);
            tree.insert(p, e);
            Some(line)
        }
        Op::Delete { nth } => {
            let existing: Vec<&'static str> = tree.keys().copied().collect();
            if existing.is_empty() {
                return None;
            }
            let p = existing[*nth as usize % existing.len()];
            tree.remove(p);
            Some(format!("D {p}\n"))
        }
        Op::Rename { from, to } => {
            let existing: Vec<&'static str> = tree.keys().copied().collect();
            let missing: Vec<&'static str> =
                FILES.iter().copied().filter(|p| !tree.contains_key(p)).collect();
            if existing.is_empty() || missing.is_empty() {
                return None;
            }
            let (src, dst) =
                (existing[*from as usize % existing.len()], missing[*to as usize % missing.len()]);
            let e = tree.remove(src).unwrap();
            tree.insert(dst, e);
            Some(format!("R {src} {dst}\n"))
        }
    }
}

impl Model {
    pub(super) fn ancestors(&self, c: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![c];
        while let Some(c) = stack.pop() {
            if seen.insert(c) {
                stack.extend(self.commits[c].0.iter().copied());
            }
        }
        seen
    }

    pub(super) fn merge_base(&self, a: usize, b: usize) -> Option<usize> {
        let common: BTreeSet<usize> = self.ancestors(a).intersection(&self.ancestors(b)).copied().collect();
        // The newest common ancestor that no other common ancestor descends from.
        common
            .iter()
            .rev()
            .copied()
            .find(|&c| !common.iter().any(|&o| o != c && self.ancestors(o).contains(&c)))
    }

    /// The tip of `b`, creating the branch at main's tip on first use.
    pub(super) fn tip(&mut self, b: u8) -> usize {
        if self.tips[b as usize].is_none() {
            self.tips[b as usize] = self.tips[0];
        }
        self.tips[b as usize].expect("main has a root commit")
    }

    pub(super) fn commit(&mut self, branch: u8, parents: Vec<usize>, tree: Tree, changes: &str) {
        let n = self.commits.len();
        let time = 1_700_000_000 + 60 * n;
        let msg = format!("c{n}\n");
        let s = &mut self.stream;
        writeln!(s, "commit {}", branch_ref(branch)).unwrap();
        writeln!(s, "mark :{}", FIRST_MARK + n).unwrap();
        writeln!(s, "author A <x@example.com> {time} +0000").unwrap();
        writeln!(s, "committer C <x@example.com> {time} +0000").unwrap();
        write!(s, "data {}\n{msg}", msg.len()).unwrap();
        for (i, p) in parents.iter().enumerate() {
            writeln!(s, "{} :{}", if i == 0 { "from" } else { "merge" }, FIRST_MARK + p).unwrap();
        }
        s.push_str(changes);
        s.push('\n');
        self.commits.push((parents, tree));
        self.tips[branch as usize] = Some(n);
    }

    pub(super) fn build(h: &History) -> String {
        let mut m = Model { commits: vec![], tips: [None; BRANCHES as usize], stream: String::new() };
        for (i, data) in ["v0\n", "v1\n", "v2\n"].iter().chain(SYMLINK_TARGETS.iter()).enumerate() {
            write!(m.stream, "blob\nmark :{}\ndata {}\n{data}\n", i + 1, data.len()).unwrap();
        }
        let mut tree = Tree::new();
        let changes: String = h.root.iter().filter_map(|op| apply_op(&mut tree, op)).collect();
        m.commit(0, vec![], tree, &changes);
        for step in &h.steps {
            match step {
                Step::Commit { branch, ops } => {
                    let parent = m.tip(*branch);
                    let mut tree = m.commits[parent].1.clone();
                    let changes: String = ops.iter().filter_map(|op| apply_op(&mut tree, op)).collect();
                    m.commit(*branch, vec![parent], tree, &changes);
                }
                Step::Unowned { branch, val } => {
                    let parent = m.tip(*branch);
                    let mut tree = m.commits[parent].1.clone();
                    let op = Op::Write { path: UNOWNED, kind: Kind::File, val: *val };
                    let changes = apply_op(&mut tree, &op).unwrap();
                    m.commit(*branch, vec![parent], tree, &changes);
                }
                Step::Fork { branch, back } => {
                    let mut c = m.tip(0);
                    for _ in 0..*back {
                        match m.commits[c].0.first() {
                            Some(&p) => c = p,
                            None => break,
                        }
                    }
                    m.tips[*branch as usize] = Some(c);
                    write!(m.stream, "reset {}\nfrom :{}\n\n", branch_ref(*branch), FIRST_MARK + c).unwrap();
                }
                Step::Merge { into, from, extra } => {
                    let first = m.tip(*into);
                    let mut parents = vec![first];
                    for b in from {
                        let t = m.tip(*b);
                        if !parents.contains(&t) {
                            parents.push(t);
                        }
                    }
                    if parents.len() < 2 {
                        continue;
                    }
                    let base_tree = |m: &Model, a: usize, b: usize| -> Tree {
                        m.merge_base(a, b).map(|c| m.commits[c].1.clone()).unwrap_or_default()
                    };
                    let mut tree = m.commits[first].1.clone();
                    for &theirs in &parents[1..] {
                        let base = base_tree(&m, first, theirs);
                        let other = &m.commits[theirs].1;
                        let paths: BTreeSet<&'static str> =
                            tree.keys().chain(other.keys()).chain(base.keys()).copied().collect();
                        for p in paths {
                            let (o, t, b) = (tree.get(p).cloned(), other.get(p).cloned(), base.get(p));
                            let merged = if t.as_ref() == b || o == t {
                                o
                            } else if o.as_ref() == b {
                                t
                            } else {
                                o
                            };
                            match merged {
                                Some(e) => tree.insert(p, e),
                                None => tree.remove(p),
                            };
                        }
                    }
                    // The merge's file commands: the difference from the first parent.
                    let old = &m.commits[first].1;
                    let mut changes = String::new();
                    for (p, e) in &tree {
                        if old.get(p) != Some(e) {
                            writeln!(changes, "M {} {} {p}", e.mode, e.data).unwrap();
                        }
                    }
                    for p in old.keys().filter(|p| !tree.contains_key(*p)) {
                        writeln!(changes, "D {p}").unwrap();
                    }
                    changes.extend(extra.iter().filter_map(|op| apply_op(&mut tree, op)));
                    m.commit(*into, parents, tree, &changes);
                }
            }
        }
        m.stream.push_str("done\n");
        m.stream
    }
}
