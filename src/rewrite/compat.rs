//! Commit-id compatible splits: `git subtree split --prefix=DIR` and
//! splitsh-lite `--git="<1.8.2"`.
//!
//! Both tools walk the monolith parents first and decide each commit from
//! the DIR subtree of its tree and from what its parents were mapped to
//! (git 2.39's `contrib/subtree/git-subtree.sh`: `process_split_commit`,
//! `copy_or_skip`, `copy_commit`; splitsh-lite's `splitter/state.go`:
//! `splitRev`, `copyOrSkip`, `copyCommit`):
//!
//! * a commit without a DIR directory is not copied. git subtree maps it to
//!   *itself* when one of its parents was mapped (so a DIR that is deleted
//!   and re-created links the re-created split to the monolith commit,
//!   history and all); splitsh maps it to nothing;
//! * mapped parents are de-duplicated (first occurrence wins the position);
//! * a mapped parent whose tree is the commit's DIR tree can stand in for the
//!   commit. git subtree keeps, among several such parents, the one that
//!   descends from the others (two unrelated ones force a copy), and copies
//!   anyway when the *last* parent with a different tree is not an ancestor
//!   of it (ancestry in the split graph: `git merge-base`, `git rev-list`).
//!   splitsh's legacy mode reuses the last identical parent unconditionally;
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
use std::ffi::CString;

use git2::Oid;

use crate::manifest::Compat;

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
    /// New objects could not be written.
    #[error(transparent)]
    Pack(#[from] super::pack::PackError),
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
        Compat::SplitshLegacy => "splitsh-lite",
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

impl Monolith for super::graph::SourceGraph {
    fn tree(&self, commit: Oid) -> Option<Oid> {
        self.get(commit).map(|c| c.tree)
    }
    fn is_ancestor(&self, a: Oid, b: Oid) -> bool {
        // Compat teams are always given the whole graph: no boundary.
        debug_assert!(!self.partial);
        let whole = |_: Oid, _: Oid| Ok::<bool, std::convert::Infallible>(false);
        match super::graph::SourceGraph::is_ancestor(self, a, b, &whole) {
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
        if self.compat == Compat::Subtree {
            if let (Some(i), Some(n)) = (identical, nonidentical) {
                // `git rev-list --count $identical..$nonidentical` is not 0.
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
    graph: &super::graph::SourceGraph,
    joins: Option<&Joins>,
    progress: &mut dyn FnMut(usize),
) -> Result<CompatSplit, CompatError> {
    let git = |context: String| move |source| CompatError::Git { context, source };
    let mut sink = super::pack::PackSink::new(out.path())?;
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
                &mut |bytes| Ok(sink.write(git2::ObjectType::Commit, bytes)?),
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
        Compat::SplitshLegacy => {
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
pub fn subtree_joins(
    src: &git2::Repository,
    graph: &super::graph::SourceGraph,
) -> Result<Joins, CompatError> {
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

// ---------------------------------------------------------------------------
// Commit objects

/// A raw commit object split into its header lines and its message.
struct RawCommit<'a> {
    headers: Vec<&'a [u8]>,
    message: &'a [u8],
}

fn parse_raw(raw: &[u8]) -> RawCommit<'_> {
    let end = raw.windows(2).position(|w| w == b"\n\n");
    let (head, message) = match end {
        Some(p) => (&raw[..p], &raw[p + 2..]),
        None => (raw.strip_suffix(b"\n").unwrap_or(raw), &b""[..]),
    };
    RawCommit { headers: head.split(|&b| b == b'\n').collect(), message }
}

impl RawCommit<'_> {
    /// The first header `key` (git's `find_commit_header`).
    fn header(&self, key: &[u8]) -> Option<&[u8]> {
        self.headers.iter().find_map(|l| l.strip_prefix(key)?.strip_prefix(b" "))
    }
}

/// Up to the first NUL byte: git and libgit2 read messages as C strings.
fn c_str(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

/// A timestamp and `±hhmm` offset, as both tools can round-trip it.
fn parse_when(ts: &[u8], tz: &[u8]) -> Result<(u64, i32), String> {
    let bad =
        || format!("unsupported date `{} {}`", String::from_utf8_lossy(ts), String::from_utf8_lossy(tz));
    if ts.is_empty() || !ts.iter().all(u8::is_ascii_digit) || ts.len() > 12 {
        return Err(bad());
    }
    let t: u64 = std::str::from_utf8(ts).map_err(|_| bad())?.parse().map_err(|_| bad())?;
    // git's date parser only knows 1970-2099: a copy would fail or change.
    if t == 0 || t >= 4_102_444_800 {
        return Err(bad());
    }
    if tz.len() != 5 || !matches!(tz[0], b'+' | b'-') || !tz[1..].iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let hhmm: i32 = std::str::from_utf8(&tz[1..]).map_err(|_| bad())?.parse().map_err(|_| bad())?;
    if hhmm / 100 >= 24 || hhmm % 100 >= 60 {
        return Err(bad());
    }
    Ok((t, if tz[0] == b'-' { -hhmm } else { hhmm }))
}

/// Name, e-mail, timestamp and offset (`±hhmm` as a number) of an ident line.
type Ident<'a> = (&'a [u8], &'a [u8], u64, i32);

/// git's `split_ident_line` on a well-formed `name <email> time tz`.
fn git_ident(line: &[u8]) -> Result<Ident<'_>, String> {
    let bad = || format!("malformed ident `{}`", String::from_utf8_lossy(line));
    let lt = line.iter().position(|&b| b == b'<').ok_or_else(bad)?;
    let gt = lt + 1 + line[lt + 1..].iter().position(|&b| b == b'>').ok_or_else(bad)?;
    let name = trim_end(&line[..lt], |b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    let email = &line[lt + 1..gt];
    // The date follows the last `>` (git looks for it from the end).
    let last_gt = line.iter().rposition(|&b| b == b'>').ok_or_else(bad)?;
    let rest = trim_start(&line[last_gt + 1..], |b| b == b' ');
    let (ts, tz) = split_date(rest).ok_or_else(bad)?;
    let (t, tz) = parse_when(ts, tz)?;
    Ok((name, email, t, tz))
}

fn split_date(rest: &[u8]) -> Option<(&[u8], &[u8])> {
    let sp = rest.iter().position(|&b| b == b' ')?;
    Some((&rest[..sp], trim_start(&rest[sp + 1..], |b| b == b' ')))
}

fn trim_start(b: &[u8], f: impl Fn(u8) -> bool) -> &[u8] {
    let s = b.iter().position(|&c| !f(c)).unwrap_or(b.len());
    &b[s..]
}

fn trim_end(b: &[u8], f: impl Fn(u8) -> bool) -> &[u8] {
    let e = b.iter().rposition(|&c| !f(c)).map_or(0, |p| p + 1);
    &b[..e]
}

/// git's `crud()`: what `fmt_ident` strips from both ends of a name or e-mail.
fn crud(c: u8) -> bool {
    c <= 32 || matches!(c, b',' | b':' | b';' | b'<' | b'>' | b'"' | b'\\' | b'\'')
}

/// git's `strbuf_addstr_without_crud`.
fn without_crud(s: &[u8]) -> Vec<u8> {
    let s = trim_end(trim_start(s, crud), crud);
    s.iter().copied().filter(|&c| !matches!(c, b'\n' | b'<' | b'>')).collect()
}

/// One `read VAR` of dash (no `-r`, default IFS) from `input` at `pos`: a
/// backslash escapes the next byte (and joins lines before a newline);
/// unescaped blanks at both ends are dropped.
fn sh_read(input: &[u8], pos: &mut usize) -> Vec<u8> {
    let mut out: Vec<(u8, bool)> = Vec::new();
    while *pos < input.len() {
        let c = input[*pos];
        *pos += 1;
        match c {
            b'\\' if *pos < input.len() => {
                let n = input[*pos];
                *pos += 1;
                if n != b'\n' {
                    out.push((n, true));
                }
            }
            b'\\' => {}
            b'\n' => break,
            _ => out.push((c, false)),
        }
    }
    let blank = |&(c, esc): &(u8, bool)| !esc && matches!(c, b' ' | b'\t' | b'\n');
    let start = out.iter().position(|c| !blank(c)).unwrap_or(out.len());
    let end = out.iter().rposition(|c| !blank(c)).map_or(start, |p| p + 1);
    out[start..end.max(start)].iter().map(|&(c, _)| c).collect()
}

/// glibc's iconv to UTF-8, as git's `reencode_string_len` calls it: `None`
/// when the encoding is unknown or the text does not convert.
fn iconv_to_utf8(input: &[u8], from: &str) -> Option<Vec<u8>> {
    let to = CString::new("UTF-8").ok()?;
    let open = |name: &str| {
        let from = CString::new(name).ok()?;
        // SAFETY: both arguments are NUL-terminated strings that outlive the call.
        let cd = unsafe { libc::iconv_open(to.as_ptr(), from.as_ptr()) };
        (cd as usize != usize::MAX).then_some(cd)
    };
    let fallback = if from.eq_ignore_ascii_case("latin-1") { "ISO-8859-1" } else { from };
    let cd = open(from).or_else(|| open(fallback))?;
    let mut out = vec![0u8; input.len() * 4 + 32];
    let mut inbuf = input.as_ptr() as *mut libc::c_char;
    let mut inleft = input.len();
    let mut outbuf = out.as_mut_ptr() as *mut libc::c_char;
    let mut outleft = out.len();
    // SAFETY: the pointers and lengths describe `input` and `out`, which
    // live across the call; iconv advances them within those buffers.
    let r = unsafe { libc::iconv(cd, &mut inbuf, &mut inleft, &mut outbuf, &mut outleft) };
    // SAFETY: `cd` came from a successful iconv_open.
    unsafe { libc::iconv_close(cd) };
    // Four output bytes per input byte always suffice for UTF-8, so any
    // failure is a conversion error, where git keeps the original bytes.
    if r == usize::MAX {
        return None;
    }
    out.truncate(out.len() - outleft);
    Some(out)
}

/// git's `is_encoding_utf8` (`utf-8`, `utf8`, any case).
fn is_utf8_name(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"utf-8") || name.eq_ignore_ascii_case(b"utf8")
}

/// git's `find_invalid_utf8`: the offset of the first byte that does not
/// start a valid UTF-8 character (surrogates and non-characters excluded).
fn find_invalid_utf8(buf: &[u8]) -> Option<usize> {
    const MAX: [u32; 4] = [0x7f, 0x7ff, 0xffff, 0x10ffff];
    let mut i = 0;
    while i < buf.len() {
        let mut c = buf[i];
        let start = i;
        i += 1;
        if c < 0x80 {
            continue;
        }
        let mut bytes = 0usize;
        while c & 0x40 != 0 {
            c <<= 1;
            bytes += 1;
        }
        if !(1..=3).contains(&bytes) || buf.len() - i < bytes {
            return Some(start);
        }
        let mut cp = u32::from((c & 0x7f) >> bytes);
        let (min, max) = (MAX[bytes - 1] + 1, MAX[bytes]);
        for _ in 0..bytes {
            let b = buf[i];
            i += 1;
            cp = (cp << 6) | u32::from(b & 0x3f);
            if b & 0xc0 != 0x80 {
                return Some(start);
            }
        }
        if cp < min
            || cp > max
            || cp & 0x1ff800 == 0xd800
            || cp & 0xfffe == 0xfffe
            || (0xfdd0..=0xfdef).contains(&cp)
        {
            return Some(start);
        }
    }
    None
}

/// git's `verify_utf8` in `commit_tree_extended`: every byte that is not
/// valid UTF-8 is taken for Latin-1 and converted.
fn force_utf8(mut buf: Vec<u8>) -> Vec<u8> {
    let mut pos = 0;
    while let Some(bad) = find_invalid_utf8(&buf[pos..]) {
        pos += bad;
        let c = buf[pos];
        buf.splice(pos..pos + 1, [0xc0 + (c >> 6), 0x80 + (c & 0x3f)]);
        pos += 2;
    }
    buf
}

/// The commit `git subtree split` writes for monolith commit `raw` on
/// `tree` and `parents`, or why git subtree would fail on it.
///
/// git subtree's `copy_commit` runs `git log -1 --format='%an%n%ae%n%aD%n
/// %cn%n%ce%n%cD%n%B'`, `read`s six lines into `GIT_AUTHOR_*` /
/// `GIT_COMMITTER_*` and pipes the rest to `git commit-tree`. So: the
/// message is re-encoded to UTF-8 when an `encoding` header names another
/// encoding (and the header goes); `read` drops blanks around names and
/// e-mails and eats backslashes; `commit-tree` strips "crud" (`,:;<>"\'`
/// and control characters) from their ends, keeps an empty e-mail empty,
/// refuses an empty name, writes `+0000` for `-0000`, drops every other
/// header (`gpgsig`, `mergetag`, ...) and converts any byte that is not
/// UTF-8 as Latin-1.
pub fn subtree_commit(raw: &[u8], tree: Oid, parents: &[Oid]) -> Result<Vec<u8>, String> {
    // `git log` reads the object as a C string.
    let raw = c_str(raw);
    let parsed = parse_raw(raw);
    let reencoded = parsed
        .header(b"encoding")
        .filter(|e| !is_utf8_name(e))
        .and_then(|e| iconv_to_utf8(raw, &String::from_utf8_lossy(e)));
    let buf = reencoded.as_deref().unwrap_or(raw);
    let c = parse_raw(buf);
    let ident = |key: &[u8]| -> Result<Ident<'_>, String> {
        let line = c.header(key).ok_or_else(|| format!("no {} line", String::from_utf8_lossy(key)))?;
        git_ident(line)
    };
    let (an, ae, at, atz) = ident(b"author")?;
    let (cn, ce, ct, ctz) = ident(b"committer")?;

    // The `git log` output as the shell reads it; dates stand in as `D`,
    // which `read` passes through unless a backslash shifted the lines.
    let mut stream = Vec::with_capacity(buf.len() + 16);
    for field in [an, ae, b"D", cn, ce, b"D"] {
        stream.extend_from_slice(field);
        stream.push(b'\n');
    }
    stream.extend_from_slice(c.message);
    let mut pos = 0;
    let vars: Vec<Vec<u8>> = (0..6).map(|_| sh_read(&stream, &mut pos)).collect();
    if vars[2] != b"D" || vars[5] != b"D" {
        return Err("a name or e-mail ending in a backslash shifts the fields `read` gets".into());
    }
    let message = &stream[pos..];

    let mut out = Vec::with_capacity(buf.len() + 128);
    out.extend_from_slice(format!("tree {tree}\n").as_bytes());
    for p in parents {
        out.extend_from_slice(format!("parent {p}\n").as_bytes());
    }
    for (key, name, email, t, tz) in
        [(&b"author"[..], &vars[0], &vars[1], at, atz), (b"committer", &vars[3], &vars[4], ct, ctz)]
    {
        if name.is_empty() {
            return Err(format!(
                "empty {} name (`git commit-tree` refuses it)",
                String::from_utf8_lossy(key)
            ));
        }
        if name.iter().all(|&b| crud(b)) {
            return Err(format!("{} name has only disallowed characters", String::from_utf8_lossy(key)));
        }
        out.extend_from_slice(key);
        out.push(b' ');
        out.extend_from_slice(&without_crud(name));
        out.extend_from_slice(b" <");
        out.extend_from_slice(&without_crud(email));
        out.extend_from_slice(format!("> {t} {tz:+05}\n").as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(message);
    Ok(force_utf8(out))
}

/// libgit2's signature parse: name before the last `<`, e-mail up to the
/// last `>`, both trimmed.
fn libgit2_ident(line: &[u8]) -> Result<Ident<'_>, String> {
    let bad = || format!("malformed signature `{}`", String::from_utf8_lossy(line));
    let lt = line.iter().rposition(|&b| b == b'<').ok_or_else(bad)?;
    let gt = line.iter().rposition(|&b| b == b'>').ok_or_else(bad)?;
    if gt <= lt {
        return Err(bad());
    }
    let space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    let name = trim_end(trim_start(&line[..lt], space), space);
    let email = trim_end(trim_start(&line[lt + 1..gt], space), space);
    let (ts, tz) = split_date(line.get(gt + 2..).unwrap_or(b"")).ok_or_else(bad)?;
    let (t, tz) = parse_when(ts, tz)?;
    Ok((name, email, t, tz))
}

/// The commit splitsh-lite writes for monolith commit `raw` on `tree` and
/// `parents` (`legacy`: `--git="<1.8.2"`, whose message is rebuilt by
/// [`splitsh_legacy_message`]; otherwise the raw message), or why it would
/// fail.
///
/// splitsh copies the author and committer through libgit2: names and
/// e-mails trimmed, an empty e-mail replaced by `nobody@example.com`, `-0000`
/// written `+0000`; no header other than tree, parents, author and
/// committer; the message bytes as they are (up to a NUL byte).
pub fn splitsh_commit(raw: &[u8], tree: Oid, parents: &[Oid], legacy: bool) -> Result<Vec<u8>, String> {
    let c = parse_raw(raw);
    let mut out = Vec::with_capacity(raw.len() + 64);
    out.extend_from_slice(format!("tree {tree}\n").as_bytes());
    for p in parents {
        out.extend_from_slice(format!("parent {p}\n").as_bytes());
    }
    for key in [&b"author"[..], b"committer"] {
        let line = c.header(key).ok_or_else(|| format!("no {} line", String::from_utf8_lossy(key)))?;
        let (name, email, t, tz) = libgit2_ident(line)?;
        let email = if email.is_empty() { &b"nobody@example.com"[..] } else { email };
        if name.is_empty() {
            return Err(format!("empty {} name (libgit2 refuses it)", String::from_utf8_lossy(key)));
        }
        if [name, email].iter().any(|s| s.iter().any(|&b| b == b'<' || b == b'>')) {
            return Err(format!("angle bracket in {} (libgit2 refuses it)", String::from_utf8_lossy(key)));
        }
        out.extend_from_slice(key);
        out.push(b' ');
        out.extend_from_slice(name);
        out.extend_from_slice(b" <");
        out.extend_from_slice(email);
        let sign = if tz < 0 { '-' } else { '+' };
        out.extend_from_slice(format!("> {t} {sign}{:04}\n", tz.abs()).as_bytes());
    }
    out.push(b'\n');
    let message = c_str(c.message);
    if legacy {
        out.extend_from_slice(&splitsh_legacy_message(message));
    } else {
        out.extend_from_slice(message);
    }
    Ok(out)
}

/// splitsh-lite's message in `--git="<1.8.2"` mode: *subject* `\n\n` *body*.
///
/// libgit2's `git_commit_message` first drops leading `\n`s. The message is
/// cut at the first `\n\n` or `\r\n\r\n` that starts at least four bytes
/// before its end (splitsh's loop bound; a later one is not seen). In the
/// subject, each run of whitespace that ends in a newline (`\s*\r?\n`)
/// becomes one space, and trailing spaces go; the body loses leading `\r`
/// and `\n` bytes. A subject-only message thus ends in `\n\n`.
pub fn splitsh_legacy_message(raw: &[u8]) -> Vec<u8> {
    let message = trim_start(c_str(raw), |b| b == b'\n');
    let mut split = None;
    let mut i = 0;
    while i + 4 <= message.len() {
        if message[i] == b'\n' && message[i + 1] == b'\n' {
            split = Some((i, i + 2));
            break;
        }
        if &message[i..i + 4] == b"\r\n\r\n" {
            split = Some((i, i + 4));
            break;
        }
        i += 1;
    }
    let (subject, body) = match split {
        Some((s, b)) => (&message[..s], &message[b..]),
        None => (message, &b""[..]),
    };
    // Go's `\s` is [\t\n\f\r ]; a match of `\s*\r?\n` from position i runs
    // to the last newline of the whitespace run starting at i.
    let ws = |b: u8| matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ');
    let mut norm = Vec::with_capacity(subject.len());
    let mut i = 0;
    while i < subject.len() {
        let run_end = subject[i..].iter().position(|&b| !ws(b)).map_or(subject.len(), |p| i + p);
        match subject[i..run_end].iter().rposition(|&b| b == b'\n') {
            Some(nl) => {
                norm.push(b' ');
                i += nl + 1;
            }
            None => {
                norm.push(subject[i]);
                i += 1;
            }
        }
    }
    let subject = trim_end(&norm, |b| b == b' ');
    let body = trim_start(body, |b| b == b'\r' || b == b'\n');
    let mut out = Vec::with_capacity(subject.len() + body.len() + 2);
    out.extend_from_slice(subject);
    out.extend_from_slice(b"\n\n");
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests;
