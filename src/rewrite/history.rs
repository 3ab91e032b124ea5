//! Rewriting a team's history: which commits survive, with which parents.
//!
//! The rules are git filter-repo's (`--path ...`, default `--prune-empty
//! auto --prune-degenerate auto`), restated on snapshots instead of a
//! fast-export stream:
//!
//! * a commit's new tree is its tree filtered for the team;
//! * a parent that was dropped is replaced by what it was rewritten to (its
//!   nearest kept ancestor), or disappears if there is none;
//! * among several parents, duplicates that come from dropped parents are
//!   merged, and a parent that came from a dropped one and is now an
//!   ancestor of another parent is removed, unless it already was in the
//!   monolith (an intentional `--no-ff` merge keeps its shape);
//! * a commit that is still a merge is kept; any other commit is dropped when
//!   its tree equals its (new) first parent's, except that a commit that was
//!   already empty in the monolith is kept unless its parent was dropped.

use git2::{ObjectType, Oid};

use super::graph::SourceGraph;
use super::object::{key, parse_hex, push_hex, IdMap, Key, RawCommit, RawTree, Source};
use super::pack::{PackError, PackSink};
use super::trailer::add_trailer;
use super::tree::{TreeError, TreeFilter};

/// The tree of a commit with no files.
pub const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// The trailer key of labels.
pub const LABEL_KEY: &str = "Split-Source";

/// Header fields a rewrite cannot keep: signatures over the old content.
const DROPPED_HEADERS: [&[u8]; 3] = [b"gpgsig", b"gpgsig-sha256", b"mergetag"];

/// Errors of the history engine.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// A tree could not be filtered.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// New objects could not be written.
    #[error(transparent)]
    Pack(#[from] PackError),
    /// The pass was asked to stop (Ctrl-C).
    #[error("interrupted")]
    Interrupted,
    /// A commit could not be read or written.
    #[error("{context}: {source}")]
    Git {
        /// What we were doing.
        context: String,
        /// libgit2's error.
        source: git2::Error,
    },
}

fn git_err(context: impl Into<String>) -> impl FnOnce(git2::Error) -> HistoryError {
    let context = context.into();
    move |source| HistoryError::Git { context, source }
}

/// What happened to one monolith commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// The rewritten commit, or `None` when the commit was dropped.
    pub new: Option<Oid>,
    /// What references to this commit become: `new` if kept, else the
    /// nearest kept ancestor (or `None`: nothing of the team's before it).
    pub target: Option<Oid>,
}

/// The rewritten graph, kept for ancestry questions and incremental runs.
///
/// What an earlier run did is read back as a list (searched by id); what
/// this run does is kept per position in the run's [`SourceGraph`] in four
/// bytes. Both index one table of target commits, so a long history costs
/// little per commit and team.
#[derive(Default)]
pub struct History {
    /// Every commit an earlier run considered, in that order (parents
    /// first), with its mapping packed: 24 bytes each, not a hash map's
    /// hundred, as a long history is read back for every team.
    old: Vec<(Key, u32)>,
    /// Positions in `old`, sorted by commit id, for lookups.
    old_sorted: Vec<u32>,
    /// Per graph position, this run's mapping, packed (see [`Packed`]).
    now: Vec<u32>,
    /// The targets `now` refers to, and where each is in it.
    targets: Vec<Oid>,
    target_index: IdMap<Key, u32>,
    /// The monolith commits the selected refs pointed at when the history
    /// was saved: everything rewritten is reachable from them.
    pub tips: Vec<Oid>,
    /// New commit -> (tree, parents, generation).
    nodes: IdMap<Key, (Oid, Vec<Oid>, u32)>,
}

/// A mapping in four bytes: not considered, or a target index shifted
/// left once with the low bit set when the commit was kept.
struct Packed;

impl Packed {
    const UNSEEN: u32 = u32::MAX;
    const NOTHING: u32 = u32::MAX - 1;
}

/// A saved history that cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("split/state line {line}: {message}")]
pub struct StateError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Version 2 added the `t` lines: a state without them cannot tell an
/// incremental run which history it covers.
const STATE_HEADER: &str = "git-split-state 2";

impl History {
    /// Serialises the whole rewritten graph, so a later run can continue it.
    ///
    /// Lines: `t <commit>` per tip, sorted, then
    /// `c <old> <new|-> <target|->` per commit considered, in order,
    /// then `n <new> <tree> <generation> <parent>...` per rewritten commit,
    /// sorted (the file is deterministic).
    pub fn to_state(&self, graph: &SourceGraph, fingerprint: &str) -> String {
        let mut s = String::with_capacity(self.len() * 126 + self.nodes.len() * 130 + 64);
        s.push_str(STATE_HEADER);
        s.push_str(&format!("\nfingerprint {fingerprint}\n"));
        let mut tips = self.tips.clone();
        tips.sort_unstable_by_key(key);
        tips.dedup();
        for t in &tips {
            s.push_str("t ");
            push_hex(&mut s, t);
            s.push('\n');
        }
        let opt = |s: &mut String, o: Option<Oid>| match o {
            Some(o) => push_hex(s, &o),
            None => s.push('-'),
        };
        for (c, m) in self.considered(graph) {
            s.push_str("c ");
            push_hex(&mut s, &c);
            s.push(' ');
            opt(&mut s, m.new);
            s.push(' ');
            opt(&mut s, m.target);
            s.push('\n');
        }
        let mut nodes: Vec<_> = self.nodes.iter().collect();
        nodes.sort_unstable_by_key(|n| n.0);
        for (new, (tree, parents, generation)) in nodes {
            s.push_str("n ");
            push_hex(&mut s, &Oid::from_bytes(new).expect("20 bytes"));
            s.push(' ');
            push_hex(&mut s, tree);
            s.push_str(&format!(" {generation}"));
            for p in parents {
                s.push(' ');
                push_hex(&mut s, p);
            }
            s.push('\n');
        }
        s
    }

    /// The fingerprint recorded in a saved state, if it is one.
    pub fn state_fingerprint(state: &str) -> Option<&str> {
        let mut lines = state.lines();
        (lines.next()? == STATE_HEADER).then_some(())?;
        lines.next()?.strip_prefix("fingerprint ")
    }

    /// Reads back what [`History::to_state`] wrote.
    pub fn from_state(state: &str) -> Result<History, StateError> {
        let mut h = History::default();
        // Bytes, not `str::lines`: this reads a line per commit of history
        // and per team, and the char searcher costs a call per line.
        let lines = state.as_bytes().split(|&b| b == b'\n').filter(|l| !l.is_empty());
        let count = state.len() / 126;
        h.old.reserve(count);
        let oid = |s: &[u8], line: usize| -> Result<Option<Oid>, StateError> {
            if s == b"-" {
                return Ok(None);
            }
            parse_hex(s).map(Some).ok_or_else(|| StateError {
                line,
                message: format!("`{}` is not an id", String::from_utf8_lossy(s)),
            })
        };
        for (i, l) in lines.enumerate().skip(2) {
            let line = i + 1;
            let bad = || StateError { line, message: format!("unexpected `{}`", String::from_utf8_lossy(l)) };
            let mut f = l.split(|&b| b == b' ');
            match f.next() {
                Some(b"c") => {
                    let (Some(old), Some(new), Some(target), None) = (f.next(), f.next(), f.next(), f.next())
                    else {
                        return Err(bad());
                    };
                    let old = oid(old, line)?.ok_or_else(bad)?;
                    let m = Mapping { new: oid(new, line)?, target: oid(target, line)? };
                    if m.new.is_some() && m.new != m.target {
                        return Err(bad());
                    }
                    let packed = h.pack(m);
                    h.old.push((key(&old), packed));
                }
                Some(b"t") => {
                    let (Some(tip), None) = (f.next(), f.next()) else { return Err(bad()) };
                    h.tips.push(oid(tip, line)?.ok_or_else(bad)?);
                }
                Some(b"n") => {
                    let (Some(new), Some(tree), Some(generation)) = (f.next(), f.next(), f.next()) else {
                        return Err(bad());
                    };
                    let parents = f.map(|p| oid(p, line)?.ok_or_else(bad)).collect::<Result<Vec<_>, _>>()?;
                    let generation =
                        std::str::from_utf8(generation).ok().and_then(|g| g.parse().ok()).ok_or_else(bad)?;
                    h.nodes.insert(
                        key(&oid(new, line)?.ok_or_else(bad)?),
                        (oid(tree, line)?.ok_or_else(bad)?, parents, generation),
                    );
                }
                _ => return Err(bad()),
            }
        }
        let mut sorted: Vec<u32> = (0..h.old.len() as u32).collect();
        sorted.sort_unstable_by_key(|&i| h.old[i as usize].0);
        h.old_sorted = sorted;
        Ok(h)
    }

    /// An earlier run's mapping of commit `k`.
    fn old_get(&self, k: &Key) -> Option<Mapping> {
        let at = self.old_sorted.binary_search_by(|&i| self.old[i as usize].0.cmp(k)).ok()?;
        Some(self.unpack(self.old[self.old_sorted[at] as usize].1))
    }

    fn pack(&mut self, m: Mapping) -> u32 {
        match m.target {
            None => Packed::NOTHING,
            Some(t) => {
                let n = *self.target_index.entry(key(&t)).or_insert_with(|| {
                    self.targets.push(t);
                    (self.targets.len() - 1) as u32
                });
                n << 1 | u32::from(m.new.is_some())
            }
        }
    }

    fn unpack(&self, p: u32) -> Mapping {
        if p == Packed::NOTHING {
            return Mapping { new: None, target: None };
        }
        let target = self.targets[(p >> 1) as usize];
        Mapping { new: (p & 1 == 1).then_some(target), target: Some(target) }
    }

    /// What happened to monolith commit `c`, if it was considered (this
    /// run's commits are looked up in `graph`, the graph it ran over).
    pub fn get(&self, graph: &SourceGraph, c: &Oid) -> Option<Mapping> {
        match graph.position(*c) {
            Some(i) => self.at(graph, i),
            None => self.old_get(&key(c)),
        }
    }

    /// [`History::get`] for the commit at position `i` of `graph`.
    pub fn at(&self, graph: &SourceGraph, i: usize) -> Option<Mapping> {
        match self.now.get(i).copied().unwrap_or(Packed::UNSEEN) {
            Packed::UNSEEN => self.old_get(&key(&graph.commits[i].id)),
            p => Some(self.unpack(p)),
        }
    }

    /// Did an earlier run consider monolith commit `c`?
    pub fn done_before(&self, c: &Oid) -> bool {
        self.old_get(&key(c)).is_some()
    }

    /// Was the commit at position `i` of `graph` considered, now or before?
    pub fn contains_at(&self, graph: &SourceGraph, i: usize) -> bool {
        self.at(graph, i).is_some()
    }

    fn record(&mut self, graph: &SourceGraph, i: usize, m: Mapping) {
        if self.now.len() < graph.commits.len() {
            self.now.resize(graph.commits.len(), Packed::UNSEEN);
        }
        self.now[i] = self.pack(m);
    }

    /// Every commit considered, with its mapping: an earlier run's first,
    /// then this run's, each in the order they were considered.
    pub fn considered<'g>(&'g self, graph: &'g SourceGraph) -> impl Iterator<Item = (Oid, Mapping)> + 'g {
        let before = self.old.iter().map(|(k, p)| (Oid::from_bytes(k).expect("20 bytes"), self.unpack(*p)));
        let now = (0..self.now.len())
            .filter(|&i| self.now[i] != Packed::UNSEEN)
            .map(move |i| (graph.commits[i].id, self.at(graph, i).expect("considered")));
        before.chain(now)
    }

    /// How many commits were considered.
    pub fn len(&self) -> usize {
        self.old.len() + self.now.iter().filter(|&&p| p != Packed::UNSEEN).count()
    }

    /// Nothing considered yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many commits were kept.
    pub fn kept(&self) -> usize {
        let kept = |p: &u32| *p < Packed::NOTHING && p & 1 == 1;
        self.old.iter().filter(|(_, p)| kept(p)).count() + self.now.iter().filter(|p| kept(p)).count()
    }

    /// Is `a` an ancestor of (or equal to) `b` in the rewritten graph?
    fn is_ancestor(&self, a: Oid, b: Oid) -> bool {
        let Some(&(_, _, gen_a)) = self.nodes.get(&key(&a)) else { return false };
        let mut stack = vec![b];
        let mut seen = std::collections::HashSet::new();
        while let Some(c) = stack.pop() {
            if c == a {
                return true;
            }
            if !seen.insert(c) {
                continue;
            }
            if let Some((_, parents, gen)) = self.nodes.get(&key(&c)) {
                // Generation numbers bound the search: nothing below a's
                // generation can reach it.
                if *gen > gen_a {
                    stack.extend(parents.iter().copied());
                }
            }
        }
        false
    }

    /// The tree of a rewritten commit, `None` for no commit or an empty tree
    /// (the form [`TreeFilter::filter`] answers in).
    fn tree_of(&self, commit: Option<Oid>) -> Option<Oid> {
        let empty = Oid::from_str(EMPTY_TREE).expect("constant");
        commit.and_then(|c| self.nodes.get(&key(&c)).map(|n| n.0)).filter(|t| *t != empty)
    }
}

/// How a team's commits are written.
pub struct CommitWriter<'a, 'r> {
    /// The monolith's objects.
    pub src: &'r Source<'r>,
    /// Its commits, read once for all teams.
    pub graph: &'r SourceGraph,
    /// Where new objects go.
    pub out: PackSink,
    /// The team's tree filter.
    pub filter: TreeFilter<'a>,
    /// Append `Split-Source:` trailers.
    pub labels: bool,
}

impl CommitWriter<'_, '_> {
    /// Rewrites the graph's commit at `index` (whose parents were all
    /// rewritten before) into `h`. `root` is its parsed root tree;
    /// `changed`, when known, names the top-level entries that differ from
    /// its first parent's. `raw` holds the commit object once someone read it.
    pub fn rewrite(
        &mut self,
        h: &mut History,
        index: usize,
        root: &RawTree,
        changed: Option<&[Box<[u8]>]>,
        raw: &std::sync::OnceLock<RawCommit>,
    ) -> Result<Mapping, HistoryError> {
        let empty_tree = Oid::from_str(EMPTY_TREE).expect("constant");
        let graph = self.graph;
        let source = &graph.commits[index];
        let commit = source.id;
        let orig_parents: Vec<Oid> = source.parents.iter().map(|&p| graph.commits[p as usize].id).collect();
        let orig_tree = source.tree;
        let had_changes = match source.parents.first() {
            Some(&p) => graph.commits[p as usize].tree != orig_tree,
            None => orig_tree != empty_tree,
        };
        // Nothing the team can see changed since the first parent: its
        // filtered tree is the parent's, which is the tree of what the
        // parent was rewritten to (a dropped commit's tree equals its target's).
        let unchanged_parent = match (changed, orig_parents.first()) {
            (Some(names), Some(_)) if !names.iter().any(|n| self.filter.relevant(n)) => {
                h.at(graph, source.parents[0] as usize)
            }
            _ => None,
        };
        let new_tree = match unchanged_parent {
            Some(m) => h.tree_of(m.target),
            None => self.filter.filter_root(self.src, &mut self.out, orig_tree, root)?,
        };

        // Map parents; remember which ones come from dropped commits.
        let mut mapped: Vec<(Oid, Oid, bool)> = Vec::new(); // (new, orig, rewritten)
        let mut first_orig_dropped = false;
        for (i, p) in orig_parents.iter().enumerate() {
            let m = h.at(graph, source.parents[i] as usize).unwrap_or(Mapping { new: None, target: None });
            let rewritten = m.new.is_none();
            if i == 0 {
                first_orig_dropped = rewritten;
            }
            if let Some(t) = m.target {
                mapped.push((t, *p, rewritten));
            }
        }
        let (parents, new_first) = self.trim_parents(h, mapped)?;

        let prune = if parents.len() >= 2 && new_first.is_none() {
            false
        } else if parents.len() < 2 {
            let same = new_tree == h.tree_of(parents.first().copied());
            if had_changes {
                same
            } else {
                let parents_dropped =
                    parents.len() < orig_parents.len() || (orig_parents.len() == 1 && first_orig_dropped);
                same && parents_dropped
            }
        } else {
            new_tree == h.tree_of(new_first)
        };

        let mapping = if prune {
            Mapping { new: None, target: new_first.or(parents.first().copied()) }
        } else {
            let tree = match new_tree {
                Some(t) => t,
                None => self.out.write(ObjectType::Tree, &[])?,
            };
            let c = match raw.get() {
                Some(c) => c,
                None => {
                    let c = RawCommit::read(self.src, commit)
                        .map_err(git_err(format!("reading commit {commit}")))?;
                    raw.get_or_init(|| c)
                }
            };
            let raw = self.commit_bytes(commit, c, tree, &parents);
            let new = self.out.write(ObjectType::Commit, &raw)?;
            let generation =
                parents.iter().filter_map(|p| h.nodes.get(&key(p)).map(|n| n.2)).max().unwrap_or(0) + 1;
            h.nodes.insert(key(&new), (tree, parents, generation));
            Mapping { new: Some(new), target: Some(new) }
        };
        h.record(graph, index, mapping);
        Ok(mapping)
    }

    /// filter-repo's `_maybe_trim_extra_parents`: returns the parents and,
    /// when the commit would stop being a merge, its would-be first parent.
    fn trim_parents(
        &self,
        h: &History,
        mapped: Vec<(Oid, Oid, bool)>,
    ) -> Result<(Vec<Oid>, Option<Oid>), HistoryError> {
        if mapped.len() < 2 {
            return Ok((mapped.into_iter().map(|m| m.0).collect(), None));
        }
        let all: Vec<Oid> = mapped.iter().map(|m| m.0).collect();
        let mut seen = std::collections::HashSet::new();
        let uniq: Vec<(Oid, Oid, bool)> = mapped.into_iter().filter(|m| seen.insert(m.0) || !m.2).collect();
        if uniq.len() < 2 {
            return Ok((all, Some(uniq[0].0)));
        }
        let mut remove = Vec::new();
        for cur in 0..uniq.len() {
            if !uniq[cur].2 {
                continue;
            }
            for other in 0..uniq.len() {
                if cur == other || !h.is_ancestor(uniq[cur].0, uniq[other].0) {
                    continue;
                }
                if self.orig_is_ancestor(uniq[cur].1, uniq[other].1)? {
                    continue;
                }
                remove.push(cur);
                break;
            }
        }
        let kept: Vec<Oid> =
            uniq.iter().enumerate().filter(|(i, _)| !remove.contains(i)).map(|(_, m)| m.0).collect();
        if kept.len() < 2 {
            return Ok((all, Some(kept[0])));
        }
        Ok((kept, None))
    }

    fn orig_is_ancestor(&self, a: Oid, b: Oid) -> Result<bool, HistoryError> {
        // Below the graph's boundary (an incremental run), libgit2 walks.
        let older = |a: Oid, x: Oid| {
            self.src.repo().graph_descendant_of(x, a).map_err(git_err(format!("is {a} an ancestor of {x}")))
        };
        self.graph.is_ancestor(a, b, &older)
    }

    /// The new commit object: the source's headers and message, a new tree
    /// and parents, no signatures, and the label trailer.
    fn commit_bytes(&self, id: Oid, c: &RawCommit, tree: Oid, parents: &[Oid]) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(format!("tree {tree}\n").as_bytes());
        for p in parents {
            out.extend_from_slice(format!("parent {p}\n").as_bytes());
        }
        let mut skipping = false;
        for line in c.header().split(|&b| b == b'\n') {
            if line.is_empty() {
                continue;
            }
            if line[0] == b' ' {
                // A continuation line belongs to the header above it.
                if !skipping {
                    out.extend_from_slice(line);
                    out.push(b'\n');
                }
                continue;
            }
            let key = line.split(|&b| b == b' ').next().unwrap_or(b"");
            skipping = key == b"tree" || key == b"parent" || DROPPED_HEADERS.contains(&key);
            if !skipping {
                out.extend_from_slice(line);
                out.push(b'\n');
            }
        }
        out.push(b'\n');
        let message = c.message();
        if self.labels {
            out.extend_from_slice(&add_trailer(message, LABEL_KEY, &id.to_string()));
        } else {
            out.extend_from_slice(message);
        }
        out
    }
}
