//! Commit-id compatible splits: `git subtree split --prefix=DIR` and
//! splitsh-lite, in its default mode (`--git=latest`) and in its
//! `--git="<1.8.2"` mode.
//!
//! The tools walk the monolith parents first and decide each commit from
//! the DIR subtree of its tree and from what its parents were mapped to
//! (git 2.39's `contrib/subtree/git-subtree.sh`: `process_split_commit`,
//! `copy_or_skip`, `copy_commit`; splitsh-lite's `splitter/state.go`:
//! `splitRev`, `copyOrSkip`, `copyCommit`; `docs/compat-splitsh.md` lists
//! splitsh's rules and where each comes from):
//!
//! * a commit without a DIR directory is not copied. git subtree maps it to
//!   *itself* when one of its parents was mapped (so a DIR that is deleted
//!   and re-created links the re-created split to the monolith commit,
//!   history and all); splitsh maps it to nothing;
//! * mapped parents are de-duplicated (first occurrence wins the position);
//! * a mapped parent whose tree is the commit's DIR tree can stand in for the
//!   commit. git subtree keeps, among several such parents, the one that
//!   descends from the others (two unrelated ones force a copy); splitsh
//!   keeps the last one. git subtree and splitsh's default mode copy anyway
//!   when the *last* parent with a different tree is not an ancestor of it
//!   (ancestry in the split graph: `git merge-base`, `git rev-list`;
//!   splitsh's revision walk `identical..nonIdentical`); splitsh's legacy
//!   mode reuses it unconditionally;
//! * otherwise the commit is copied onto the DIR tree and the mapped parents.
//!
//! How a copy is written differs, and the ids depend on every byte:
//! [`subtree_commit`] replays git subtree's `git log --format | read |
//! git commit-tree` pipeline, [`splitsh_commit`] splitsh's libgit2 calls.
//!
//! [`CompatSplit`] holds the mapping and the split graph (for ancestry
//! questions and incremental runs); it is fed monolith commits parents
//! first and writes new commits through a closure, so it sits on whatever
//! object sink the engine uses.

use std::collections::{HashMap, HashSet};

use git2::Oid;

use crate::manifest::Compat;
use crate::rewrite::graph::SourceGraph;

mod commit;

use commit::{parse_raw, trim_end};
pub use commit::{splitsh_commit, subtree_commit};

/// Why a commit cannot be split the way the reference tool splits it.
#[derive(Debug, thiserror::Error)]
pub enum CompatError {
    /// The reference tool would fail on this commit; we refuse rather than
    /// invent ids it never produces.
    #[error("commit {commit}: {} cannot split it: {reason}", tool(*.compat))]
    Unsplittable {
        /// The monolith commit.
        commit: Oid,
        /// The mode.
        compat: Compat,
        /// Why.
        reason: String,
    },
    /// A saved state that cannot be read back.
    #[error("split/state line {line}: {message}")]
    State {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An object could not be read or written.
    #[error(transparent)]
    Object(#[from] crate::odb::ObjectError),
    /// A failure already reported as text (shared by teams, or from a git command).
    #[error("{0}")]
    Failed(String),
    /// A monolith object could not be read.
    #[error("{context}: {source}")]
    Git {
        /// What we were doing.
        context: String,
        /// libgit2's error.
        source: git2::Error,
    },
}

fn tool(c: Compat) -> &'static str {
    match c {
        Compat::Subtree => "git subtree split",
        Compat::SplitshLegacy | Compat::Splitsh => "splitsh-lite",
    }
}

/// What the split needs to know about the monolith's commits.
pub trait Monolith {
    /// The root tree of a monolith commit.
    fn tree(&self, commit: Oid) -> Option<Oid>;
    /// Is `a` an ancestor of (or equal to) `b`?
    fn is_ancestor(&self, a: Oid, b: Oid) -> bool;
    /// A generation number: larger than each parent's.
    fn generation(&self, commit: Oid) -> u32;
}

impl Monolith for SourceGraph {
    fn tree(&self, commit: Oid) -> Option<Oid> {
        self.get(commit).map(|c| c.tree)
    }
    fn is_ancestor(&self, a: Oid, b: Oid) -> bool {
        // Compat teams are always given the whole graph: no boundary.
        debug_assert!(!self.partial);
        let whole = |_: Oid, _: Oid| Ok::<bool, std::convert::Infallible>(false);
        match SourceGraph::is_ancestor(self, a, b, &whole) {
            Ok(r) => r,
            Err(never) => match never {},
        }
    }
    fn generation(&self, commit: Oid) -> u32 {
        self.get(commit).map_or(0, |c| c.generation)
    }
}

/// What became of one monolith commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No DIR directory, and nothing stands for the commit.
    NoTree,
    /// No DIR directory; git subtree lets the monolith commit stand for
    /// itself because a parent was mapped.
    SelfMapped,
    /// A new commit was written for it.
    Copied(Oid),
    /// An already split commit (an identical parent) stands for it.
    Reused(Oid),
}

impl Outcome {
    /// The split commit a child of `commit` sees as its parent.
    pub fn target(self, commit: Oid) -> Option<Oid> {
        match self {
            Outcome::NoTree => None,
            Outcome::SelfMapped => Some(commit),
            Outcome::Copied(c) | Outcome::Reused(c) => Some(c),
        }
    }

    /// The commit written for this one, if any (the commit map's `new`).
    pub fn new_commit(self) -> Option<Oid> {
        match self {
            Outcome::Copied(c) => Some(c),
            _ => None,
        }
    }
}

/// One monolith commit to split.
pub struct Input<'a> {
    /// Its id.
    pub id: Oid,
    /// Its parents, in order.
    pub parents: &'a [Oid],
    /// The DIR entry of its tree, see [`Subtree`].
    pub subtree: Subtree,
}

/// The DIR entry of a commit's tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subtree {
    /// No entry (or a path through a non-directory).
    Missing,
    /// A directory.
    Tree(Oid),
    /// A submodule: both tools treat it as missing.
    Gitlink,
    /// A file or symlink: git subtree fails, splitsh treats it as missing.
    File,
}

#[derive(Clone, Debug)]
struct Node {
    tree: Oid,
    parents: Vec<Oid>,
    generation: u32,
}

/// A compat split of one directory, continued commit by commit.
pub struct CompatSplit {
    compat: Compat,
    /// Monolith commit -> outcome, for every commit considered.
    pub map: HashMap<Oid, Outcome>,
    /// Monolith commits in the order they were considered.
    pub order: Vec<Oid>,
    nodes: HashMap<Oid, Node>,
}

const STATE_HEADER: &str = "git-split-compat-state 1";

impl CompatSplit {
    /// An empty split in mode `compat`.
    pub fn new(compat: Compat) -> CompatSplit {
        CompatSplit { compat, map: HashMap::new(), order: Vec::new(), nodes: HashMap::new() }
    }

    /// Decides `c` (whose parents were all fed before), writing a new commit
    /// object through `write` when one is needed; `raw` gives the monolith
    /// commit's object bytes, asked only when a copy is made.
    pub fn process<E: From<CompatError>>(
        &mut self,
        c: &Input<'_>,
        monolith: &dyn Monolith,
        raw: &mut dyn FnMut(Oid) -> Result<Vec<u8>, E>,
        write: &mut dyn FnMut(&[u8]) -> Result<Oid, E>,
    ) -> Result<Outcome, E> {
        if let Some(&o) = self.map.get(&c.id) {
            return Ok(o);
        }
        let new_parents: Vec<Oid> =
            c.parents.iter().filter_map(|p| self.map.get(p).and_then(|o| o.target(*p))).collect();
        let tree = match (c.subtree, self.compat) {
            (Subtree::Tree(t), _) => Some(t),
            (Subtree::File, Compat::Subtree) => {
                return Err(CompatError::Unsplittable {
                    commit: c.id,
                    compat: self.compat,
                    reason: "the prefix is a file, not a directory (`git ls-tree` assertion)".into(),
                }
                .into())
            }
            _ => None,
        };
        let outcome = match tree {
            None if self.compat == Compat::Subtree && !new_parents.is_empty() => Outcome::SelfMapped,
            None => Outcome::NoTree,
            Some(tree) => self.copy_or_skip(c.id, tree, &new_parents, monolith, raw, write)?,
        };
        self.map.insert(c.id, outcome);
        self.order.push(c.id);
        Ok(outcome)
    }

    fn copy_or_skip<E: From<CompatError>>(
        &mut self,
        id: Oid,
        tree: Oid,
        new_parents: &[Oid],
        monolith: &dyn Monolith,
        raw: &mut dyn FnMut(Oid) -> Result<Vec<u8>, E>,
        write: &mut dyn FnMut(&[u8]) -> Result<Oid, E>,
    ) -> Result<Outcome, E> {
        let mut identical: Option<Oid> = None;
        let mut nonidentical: Option<Oid> = None;
        let mut copy = false;
        let mut parents: Vec<Oid> = Vec::with_capacity(new_parents.len());
        for &p in new_parents {
            let ptree = match self.nodes.get(&p) {
                Some(n) => Some(n.tree),
                None => monolith.tree(p),
            };
            let Some(ptree) = ptree else { continue };
            if ptree == tree {
                match (self.compat, identical) {
                    (Compat::Subtree, Some(i)) => {
                        // `git merge-base $identical $parent`
                        if self.is_ancestor(i, p, monolith) {
                            identical = Some(p);
                        } else if !self.is_ancestor(p, i, monolith) {
                            copy = true;
                        }
                    }
                    _ => identical = Some(p),
                }
            } else {
                nonidentical = Some(p);
            }
            if !parents.contains(&p) {
                parents.push(p);
            }
        }
        if matches!(self.compat, Compat::Subtree | Compat::Splitsh) {
            if let (Some(i), Some(n)) = (identical, nonidentical) {
                // `git rev-list --count $identical..$nonidentical` is not 0
                // (splitsh: its walk of that range yields a commit).
                if !self.is_ancestor(n, i, monolith) {
                    copy = true;
                }
            }
        }
        if let (Some(i), false) = (identical, copy) {
            return Ok(Outcome::Reused(i));
        }
        let source = raw(id)?;
        let bytes = match self.compat {
            Compat::Subtree => subtree_commit(&source, tree, &parents),
            Compat::SplitshLegacy => splitsh_commit(&source, tree, &parents, true),
            Compat::Splitsh => splitsh_commit(&source, tree, &parents, false),
        }
        .map_err(|reason| CompatError::Unsplittable { commit: id, compat: self.compat, reason })?;
        let new = write(&bytes)?;
        let generation = parents
            .iter()
            .map(|p| self.nodes.get(p).map_or_else(|| monolith.generation(*p), |n| n.generation))
            .max()
            .unwrap_or(0)
            + 1;
        self.nodes.insert(new, Node { tree, parents, generation });
        Ok(Outcome::Copied(new))
    }

    /// Is `a` an ancestor of (or equal to) `b`, in the graph of split commits
    /// and the monolith commits that stand for themselves?
    fn is_ancestor(&self, a: Oid, b: Oid, monolith: &dyn Monolith) -> bool {
        if a == b {
            return true;
        }
        let a_node = self.nodes.get(&a);
        if !self.nodes.contains_key(&b) {
            // A monolith commit never descends from a split commit.
            return a_node.is_none() && monolith.is_ancestor(a, b);
        }
        let gen_a = a_node.map_or_else(|| monolith.generation(a), |n| n.generation);
        let mut stack = vec![b];
        let mut seen = HashSet::new();
        while let Some(c) = stack.pop() {
            if c == a {
                return true;
            }
            if !seen.insert(c) {
                continue;
            }
            match self.nodes.get(&c) {
                // Generation numbers bound the search: nothing at or below
                // a's generation (other than a) reaches it.
                Some(n) if n.generation > gen_a => stack.extend(n.parents.iter().copied()),
                Some(_) => {}
                None if a_node.is_none() && monolith.is_ancestor(a, c) => return true,
                None => {}
            }
        }
        false
    }

    /// What a ref on monolith commit `tip` points to in the split: the split
    /// of `tip` if it has the directory; else the split of the first commit
    /// of `order` that has one (each tool prints the last commit it split,
    /// in its own walk order: `order` is that walk, newest first).
    pub fn ref_target(&self, tip: Oid, order: impl FnOnce() -> Vec<Oid>) -> Option<Oid> {
        let split = |c: &Oid| match self.map.get(c)? {
            Outcome::Copied(n) | Outcome::Reused(n) => Some(*n),
            Outcome::NoTree | Outcome::SelfMapped => None,
        };
        split(&tip).or_else(|| order().iter().find_map(split))
    }

    /// The written commits reachable from `tips` (a split commit orphaned
    /// by a deleted directory, or on no selected ref, is not).
    pub fn reachable(&self, tips: impl IntoIterator<Item = Oid>) -> HashSet<Oid> {
        let mut seen = HashSet::new();
        let mut stack: Vec<Oid> = tips.into_iter().collect();
        while let Some(c) = stack.pop() {
            if let Some(n) = self.nodes.get(&c) {
                if seen.insert(c) {
                    stack.extend(n.parents.iter().copied());
                }
            }
        }
        seen
    }

    /// The parents, missing from `has`, of the commits written for the
    /// monolith commits considered after the first `since`: a split
    /// continued onto a repository that lacks them would be incomplete.
    pub fn missing_parents(&self, since: usize, has: &dyn Fn(Oid) -> bool) -> Vec<Oid> {
        let mut missing = Vec::new();
        for c in &self.order[since.min(self.order.len())..] {
            if let Some(Outcome::Copied(n)) = self.map.get(c) {
                let parents = self.nodes.get(n).map_or(&[][..], |n| &n.parents[..]);
                missing.extend(parents.iter().copied().filter(|p| !has(*p)));
            }
        }
        missing
    }

    /// Serialises the split, so a later run can continue it.
    ///
    /// Lines: `c <old> <n|s|c|r> <new|->` per commit considered, in order,
    /// then `n <new> <tree> <generation> <parent>...` per written commit,
    /// sorted.
    pub fn to_state(&self, fingerprint: &str) -> String {
        let mut s = String::with_capacity(self.order.len() * 90 + self.nodes.len() * 140 + 64);
        s.push_str(STATE_HEADER);
        s.push_str(&format!("\nfingerprint {fingerprint}\n"));
        for c in &self.order {
            let line = match self.map[c] {
                Outcome::NoTree => format!("c {c} n -\n"),
                Outcome::SelfMapped => format!("c {c} s -\n"),
                Outcome::Copied(n) => format!("c {c} c {n}\n"),
                Outcome::Reused(n) => format!("c {c} r {n}\n"),
            };
            s.push_str(&line);
        }
        let mut nodes: Vec<_> = self.nodes.iter().collect();
        nodes.sort_by_key(|(k, _)| **k);
        for (new, n) in nodes {
            s.push_str(&format!("n {new} {} {}", n.tree, n.generation));
            for p in &n.parents {
                s.push_str(&format!(" {p}"));
            }
            s.push('\n');
        }
        s
    }

    /// The fingerprint recorded in a saved compat state, if it is one.
    pub fn state_fingerprint(state: &str) -> Option<&str> {
        let mut lines = state.lines();
        (lines.next()? == STATE_HEADER).then_some(())?;
        lines.next()?.strip_prefix("fingerprint ")
    }

    /// Reads back what [`CompatSplit::to_state`] wrote.
    pub fn from_state(compat: Compat, state: &str) -> Result<CompatSplit, CompatError> {
        let mut s = CompatSplit::new(compat);
        for (i, l) in state.lines().enumerate().skip(2) {
            let line = i + 1;
            let bad = || CompatError::State { line, message: format!("unexpected `{l}`") };
            let oid = |t: &str| Oid::from_str(t).map_err(|_| bad());
            let f: Vec<&str> = l.split(' ').collect();
            match f.as_slice() {
                ["c", old, kind, new] => {
                    let outcome = match (*kind, *new) {
                        ("n", "-") => Outcome::NoTree,
                        ("s", "-") => Outcome::SelfMapped,
                        ("c", n) => Outcome::Copied(oid(n)?),
                        ("r", n) => Outcome::Reused(oid(n)?),
                        _ => return Err(bad()),
                    };
                    let old = oid(old)?;
                    s.map.insert(old, outcome);
                    s.order.push(old);
                }
                ["n", new, tree, generation, parents @ ..] => {
                    let parents = parents.iter().map(|p| oid(p)).collect::<Result<Vec<_>, _>>()?;
                    let generation = generation.parse().map_err(|_| bad())?;
                    s.nodes.insert(oid(new)?, Node { tree: oid(tree)?, parents, generation });
                }
                _ => return Err(bad()),
            }
        }
        // A written commit must come with its node, or ancestry and trees
        // would silently be wrong: such a state is not continued.
        if let Some(c) =
            s.order.iter().find(|c| matches!(s.map[c], Outcome::Copied(n) if !s.nodes.contains_key(&n)))
        {
            return Err(CompatError::State { line: 0, message: format!("no node for the split of {c}") });
        }
        Ok(s)
    }
}

/// Continues `split` over the commits of `graph` (those already in it are
/// skipped), splitting directory `dir` of `src` and writing new commits into
/// packs of `out`. With `joins` (see [`subtree_joins`]), a commit recording
/// an earlier split of `dir` is refused. `progress` is called with the
/// number of commits done.
pub fn run(
    src: &git2::Repository,
    out: &git2::Repository,
    dir: &str,
    mut split: CompatSplit,
    graph: &SourceGraph,
    joins: Option<&Joins>,
    progress: &mut dyn FnMut(usize),
) -> Result<CompatSplit, CompatError> {
    let git = |context: String| move |source| CompatError::Git { context, source };
    let mut sink = crate::odb::pack::PackSink::new(out.path())?;
    let odb = src.odb().map_err(git("opening the monolith odb".into()))?;
    let mut parents = Vec::new();
    for (i, c) in graph.commits.iter().enumerate() {
        if !split.map.contains_key(&c.id) {
            parents.clear();
            parents.extend(c.parents.iter().map(|&p| graph.commits[p as usize].id));
            if let Some(joins) = joins {
                if joins.get(&c.id).is_some_and(|dirs| dirs.iter().any(|d| d == dir.as_bytes())) {
                    return Err(CompatError::Unsplittable {
                        commit: c.id,
                        compat: Compat::Subtree,
                        reason: format!(
                            "it records an earlier split of `{dir}` (`git-subtree-dir:` and \
                             `git-subtree-split:`, from `git subtree add` or `split --rejoin`), \
                             which git subtree takes as a shortcut; git-split does not reproduce that"
                        ),
                    });
                }
            }
            let subtree =
                subtree_of(src, c.tree, dir).map_err(git(format!("reading the tree of {}", c.id)))?;
            let input = Input { id: c.id, parents: &parents, subtree };
            split.process::<CompatError>(
                &input,
                graph,
                &mut |id| {
                    let o = odb.read(id).map_err(git(format!("reading commit {id}")))?;
                    Ok(o.data().to_vec())
                },
                &mut |bytes| Ok(sink.write(crate::odb::ObjectKind::Commit, bytes)?),
            )?;
        }
        if (i + 1) % 256 == 0 {
            progress(i + 1);
        }
    }
    sink.finish()?;
    progress(graph.commits.len());
    Ok(split)
}

/// `tip`'s history, newest first, in the order the compat tool walks it
/// (`git rev-list --topo-order`, run on the monolith at `git_dir`, for git
/// subtree; libgit2's topological walk for splitsh).
pub fn tool_walk(
    src: &git2::Repository,
    git_dir: &std::path::Path,
    compat: Compat,
    tip: Oid,
) -> Result<Vec<Oid>, CompatError> {
    let git = |context: &str| {
        let context = context.to_string();
        move |source| CompatError::Git { context, source }
    };
    match compat {
        Compat::Subtree => {
            let out = std::process::Command::new("git")
                .arg("--git-dir")
                .arg(git_dir)
                .args(["rev-list", "--topo-order", &tip.to_string()])
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .output()
                .map_err(|e| CompatError::Failed(format!("running git rev-list: {e}")))?;
            if !out.status.success() {
                let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
                return Err(CompatError::Failed(format!("`git rev-list --topo-order` failed: {stderr}")));
            }
            Ok(String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| Oid::from_str(l).ok()).collect())
        }
        Compat::SplitshLegacy | Compat::Splitsh => {
            let mut walk = src.revwalk().map_err(git("starting a revision walk"))?;
            walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
                .map_err(git("sorting the walk"))?;
            walk.push(tip).map_err(git("walking the tip's history"))?;
            let mut order: Vec<Oid> = walk.collect::<Result<_, _>>().map_err(git("walking history"))?;
            order.reverse();
            Ok(order)
        }
    }
}

/// Commit -> the directories its message records an earlier split of.
pub type Joins = HashMap<Oid, Vec<Vec<u8>>>;

/// The directories whose earlier split the commit object `raw` records in
/// the lines git subtree's `find_existing_splits` acts on: each
/// `git-subtree-dir: DIR` (trailing slashes dropped), when a
/// `git-subtree-split:` line is there too.
pub fn subtree_join_dirs(raw: &[u8]) -> Vec<Vec<u8>> {
    let message = parse_raw(raw).message;
    let mut dirs = Vec::new();
    let mut has_split = false;
    for line in message.split(|&b| b == b'\n') {
        if let Some(d) = line.strip_prefix(b"git-subtree-dir: ") {
            dirs.push(trim_end(d, |b| b == b'/').to_vec());
        }
        has_split |= line.starts_with(b"git-subtree-split:");
    }
    if !has_split {
        dirs.clear();
    }
    dirs
}

/// Every commit of `graph` that records an earlier git subtree split:
/// read once, for all `compat: subtree` teams.
pub fn subtree_joins(src: &git2::Repository, graph: &SourceGraph) -> Result<Joins, CompatError> {
    let odb = src
        .odb()
        .map_err(|source| CompatError::Git { context: "opening the monolith odb".into(), source })?;
    let mut joins = Joins::new();
    for c in &graph.commits {
        let o = odb
            .read(c.id)
            .map_err(|source| CompatError::Git { context: format!("reading commit {}", c.id), source })?;
        let dirs = subtree_join_dirs(o.data());
        if !dirs.is_empty() {
            joins.insert(c.id, dirs);
        }
    }
    Ok(joins)
}

/// The DIR entry of `tree` in `repo` (`dir` is `/`-separated).
pub fn subtree_of(repo: &git2::Repository, tree: Oid, dir: &str) -> Result<Subtree, git2::Error> {
    let tree = repo.find_tree(tree)?;
    let entry = match tree.get_path(std::path::Path::new(dir)) {
        Ok(e) => e,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(Subtree::Missing),
        Err(e) => return Err(e),
    };
    Ok(match entry.kind() {
        Some(git2::ObjectType::Tree) => Subtree::Tree(entry.id()),
        Some(git2::ObjectType::Commit) => Subtree::Gitlink,
        _ => Subtree::File,
    })
}

#[cfg(test)]
mod tests;
