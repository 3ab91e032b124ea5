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

use std::path::PathBuf;
use std::sync::Arc;

use git2::Oid;

use super::below::Below;
use super::graph::SourceGraph;
use super::layout::TeamFilters;
use super::state::{Journal, NewNode, PreviousState, StateError};
use super::trailer::add_trailer;
use super::tree::TreeError;
use crate::odb::bloom::ChangedPaths;
use crate::odb::id::{key, oid, IdMap, Key};
use crate::odb::object::RawCommit;
use crate::odb::pack::PackSink;
use crate::odb::{ObjectError, ObjectKind, RawTree, Source};

/// The tree of a commit with no files.
pub const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// [`EMPTY_TREE`]'s bytes: parsing the hex is a libgit2 call, and the
/// pass asks once or twice per commit and team.
const EMPTY_TREE_ID: Key = [
    0x4b, 0x82, 0x5d, 0xc6, 0x42, 0xcb, 0x6e, 0xb9, 0xa0, 0x60, 0xe5, 0x4b, 0xf8, 0xd6, 0x92, 0x88, 0xfb,
    0xee, 0x49, 0x04,
];

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
    /// An object could not be read or written.
    #[error(transparent)]
    Object(#[from] ObjectError),
    /// The commit map or state could not be written or read back.
    #[error(transparent)]
    State(#[from] StateError),
    /// A move into the team's paths reaches back past the previous run:
    /// its earlier history changes, and the team must be built again.
    #[error("a move into the team's paths reaches back past the previous run")]
    EarlierHistoryChanges,
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

/// The context is made only on failure: both callers run once per commit.
fn git_err(context: impl FnOnce() -> String) -> impl FnOnce(git2::Error) -> HistoryError {
    move |source| HistoryError::Git { context: context(), source }
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

impl Mapping {
    /// The mapping whose ids' bytes are `new` and `target`.
    fn of_keys(new: Option<Key>, target: Option<Key>) -> Mapping {
        Mapping { new: new.as_ref().map(oid), target: target.as_ref().map(oid) }
    }
}

/// The rewritten graph, kept for ancestry questions and incremental runs.
///
/// A mapping is held only while it can still be read: until the last child
/// of its commit is rewritten (`Lifetimes`), or for the whole run when a
/// ref points at it. Each mapping goes to the team's commit map and state
/// ([`Journal`]) as it is decided, so memory follows the frontier of the
/// pass, not the length of history. An previous run's mappings and commits
/// are looked up in its saved state ([`PreviousState`]) when asked for.
#[derive(Default)]
pub struct Rewritten {
    /// For each graph position, when its mapping stops being read (shared
    /// by every team); `None` keeps every mapping.
    lifetimes: Option<Arc<Lifetimes>>,
    /// What the continuing teams' previous runs did (shared); `None` when
    /// this team starts from nothing.
    earlier: Option<Arc<PreviousCommon>>,
    /// This team's previous runs.
    saved: Option<Arc<PreviousState>>,
    /// Graph positions this team's previous run considered that not every
    /// continuing team did (those are in [`PreviousCommon`]).
    before: IdMap<u32, ()>,
    /// This run's mappings still to be read, by graph position.
    now: IdMap<u32, Mapping>,
    /// Commits considered and kept, now and before.
    considered: usize,
    kept: usize,
    /// The most mappings held at once.
    peak: usize,
    /// Where the commit map and state are written.
    journal: Option<Journal>,
    /// This run's new commits, their parents in `parents`.
    nodes: IdMap<Key, Written>,
    /// The parents of this run's new commits, one after the other: one
    /// allocation, not one per commit (freeing those, commit by commit, on
    /// another thread than allocated them cost more than writing them).
    parents: Vec<Key>,
}

/// A commit this run wrote.
#[derive(Clone, Copy, Debug)]
struct Written {
    tree: Oid,
    generation: u32,
    /// Where its parents are in [`Rewritten::parents`], and how many.
    start: usize,
    count: usize,
}

/// Per graph position, the last position whose rewrite reads its mapping
/// (its last child, in the graph's order), or forever for the commits refs
/// point at. Computed once per graph and shared by every team: teams go
/// through the commits in the same order, each at its own speed.
pub struct Lifetimes {
    last: Vec<u32>,
}

impl Lifetimes {
    const FOREVER: u32 = u32::MAX;

    /// The lifetimes of `graph`'s mappings; those of `keep` (the commits
    /// refs point at, read after the pass) are kept to the end.
    pub fn new(graph: &SourceGraph, keep: impl IntoIterator<Item = Oid>) -> Lifetimes {
        let mut last: Vec<u32> = (0..graph.commits.len() as u32).collect();
        for (i, c) in graph.commits.iter().enumerate() {
            for &p in &c.parents {
                last[p as usize] = last[p as usize].max(i as u32);
            }
        }
        for k in keep {
            if let Some(i) = graph.position(k) {
                last[i] = Self::FOREVER;
            }
        }
        Lifetimes { last }
    }
}

/// Which commits the previous runs of several teams all considered, asked of
/// their saved states: one of each set of teams that always ran together.
#[derive(Default)]
pub struct PreviousDone {
    states: Vec<Arc<PreviousState>>,
}

impl PreviousDone {
    /// Adds a continuing team's saved state.
    pub fn add(&mut self, saved: Arc<PreviousState>) {
        if !self.states.iter().any(|s| s.same_commits(&saved)) {
            self.states.push(saved);
        }
    }

    /// No state was added.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// Did every state of the index consider commit `c`?
    pub fn done(&self, c: &Oid) -> bool {
        let k = key(c);
        !self.states.is_empty() && self.states.iter().all(|s| s.contains(&k))
    }
}

/// What the continuing teams' previous runs share for this run's graph,
/// computed once from a [`PreviousDone`].
pub struct PreviousCommon {
    /// Per graph position: every continuing team considered it before.
    everyone: Vec<bool>,
}

impl PreviousCommon {
    /// For `graph`: `done(c)` says whether every continuing team considered
    /// `c` before.
    pub fn new(graph: &SourceGraph, done: &dyn Fn(&Oid) -> bool) -> PreviousCommon {
        PreviousCommon { everyone: graph.commits.iter().map(|c| done(&c.id)).collect() }
    }
}

impl Rewritten {
    /// An empty history whose mappings live as long as `lifetimes` say,
    /// written to `journal`.
    pub fn new(lifetimes: Arc<Lifetimes>, journal: Journal) -> Rewritten {
        Rewritten { lifetimes: Some(lifetimes), journal: Some(journal), ..Rewritten::default() }
    }

    /// Continues the history `saved` for a run over `graph`: of it, only
    /// which of the graph's commits it considered (where not every team
    /// did) is read now; mappings and commits are looked up when asked for.
    pub fn resume(
        saved: Arc<PreviousState>,
        graph: &SourceGraph,
        earlier: Arc<PreviousCommon>,
        lifetimes: Arc<Lifetimes>,
        journal: Journal,
    ) -> Rewritten {
        let mut h = Rewritten::new(lifetimes, journal);
        h.considered = saved.considered();
        h.kept = saved.kept();
        for (i, c) in graph.commits.iter().enumerate() {
            if !earlier.everyone[i] && saved.contains(&key(&c.id)) {
                h.before.insert(i as u32, ());
            }
        }
        h.earlier = Some(earlier);
        h.saved = Some(saved);
        h
    }

    /// An previous run's mapping of monolith commit `c`.
    fn saved_mapping(&self, c: &Key) -> Option<Mapping> {
        let (new, target) = self.saved.as_ref()?.mapping(c)?;
        Some(Mapping::of_keys(new, target))
    }

    /// What happened to monolith commit `c`, if this run may ask (this
    /// run's commits are looked up in `graph`, the graph it ran over).
    pub fn get(&self, graph: &SourceGraph, c: &Oid) -> Option<Mapping> {
        match graph.position(*c) {
            Some(i) => self.at(graph, i),
            None => self.saved_mapping(&key(c)),
        }
    }

    /// [`Rewritten::get`] for the commit at position `i` of `graph`.
    pub fn at(&self, graph: &SourceGraph, i: usize) -> Option<Mapping> {
        if let Some(m) = self.now.get(&(i as u32)) {
            return Some(*m);
        }
        if !self.contains_at(graph, i) {
            return None;
        }
        let m = self.saved_mapping(&key(&graph.commits[i].id));
        debug_assert!(m.is_some(), "no earlier mapping of {}", graph.commits[i].id);
        m
    }

    /// Did an previous run consider the commit at position `i` of `graph`?
    /// (This run's commits are asked before they are rewritten.)
    pub fn contains_at(&self, _graph: &SourceGraph, i: usize) -> bool {
        match &self.earlier {
            Some(e) => e.everyone[i] || self.before.contains_key(&(i as u32)),
            None => false,
        }
    }

    fn record(&mut self, graph: &SourceGraph, i: usize, m: Mapping) -> Result<(), HistoryError> {
        let c = &graph.commits[i];
        if let Some(j) = &mut self.journal {
            j.push(&c.id, m.new, m.target)?;
        }
        self.considered += 1;
        self.kept += usize::from(m.new.is_some());
        match &self.lifetimes {
            Some(l) => {
                let at = i as u32;
                if l.last[i] != at {
                    self.now.insert(at, m);
                }
                // The last child read its parents' mappings: drop them.
                for &p in &c.parents {
                    if l.last[p as usize] == at {
                        self.now.remove(&p);
                    }
                }
            }
            None => {
                self.now.insert(i as u32, m);
            }
        }
        self.peak = self.peak.max(self.live());
        Ok(())
    }

    /// Mappings held now.
    #[doc(hidden)]
    pub fn live(&self) -> usize {
        self.now.len()
    }

    /// The most mappings held at once.
    #[doc(hidden)]
    pub fn peak_live(&self) -> usize {
        self.peak
    }

    /// How many commits were considered.
    pub fn len(&self) -> usize {
        self.considered
    }

    /// Nothing considered yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many commits were kept.
    pub fn kept(&self) -> usize {
        self.kept
    }

    /// Finishes the commit map; returns where it is.
    pub fn close_map(&mut self) -> Result<PathBuf, HistoryError> {
        Ok(self.journal.as_mut().expect("a journal").close_map()?)
    }

    /// Finishes the state (see [`Journal::close_state`]); returns where it is.
    pub fn close_state(&mut self) -> Result<PathBuf, HistoryError> {
        let nodes = self
            .nodes
            .iter()
            .map(|(id, w)| NewNode {
                id: *id,
                tree: key(&w.tree),
                generation: w.generation,
                parents: &self.parents[w.start..w.start + w.count],
            })
            .collect();
        let j = self.journal.as_mut().expect("a journal");
        Ok(j.close_state(self.saved.as_deref(), nodes)?)
    }

    /// The tree and generation of rewritten commit `c`, this run's or an
    /// earlier one's.
    fn tree_and_generation(&self, c: &Key) -> Option<(Oid, u32)> {
        match self.nodes.get(c) {
            Some(w) => Some((w.tree, w.generation)),
            None => self.saved.as_ref()?.node(c).map(|n| (oid(&n.tree), n.generation)),
        }
    }

    /// Is `a` an ancestor of (or equal to) `b` in the rewritten graph?
    fn is_ancestor(&self, a: Oid, b: Oid) -> bool {
        let Some((_, gen_a)) = self.tree_and_generation(&key(&a)) else { return false };
        let mut stack = vec![b];
        let mut seen = std::collections::HashSet::new();
        while let Some(c) = stack.pop() {
            if c == a {
                return true;
            }
            if !seen.insert(c) {
                continue;
            }
            let k = key(&c);
            // Generation numbers bound the search: nothing below a's
            // generation can reach it.
            match self.nodes.get(&k) {
                Some(w) if w.generation > gen_a => {
                    stack.extend(self.parents[w.start..w.start + w.count].iter().map(oid));
                }
                Some(_) => {}
                None => match self.saved.as_ref().and_then(|s| s.node(&k)) {
                    Some(n) if n.generation > gen_a => stack.extend(n.parents.iter().map(oid)),
                    _ => {}
                },
            }
        }
        false
    }

    /// The tree of a rewritten commit, `None` for no commit or an empty tree
    /// (the form [`TreeFilter::filter`] answers in).
    fn tree_of(&self, commit: Option<Oid>) -> Option<Oid> {
        let empty = oid(&EMPTY_TREE_ID);
        commit.and_then(|c| self.tree_and_generation(&key(&c)).map(|n| n.0)).filter(|t| *t != empty)
    }
}

/// A commit as the reader read it, once for every team.
pub struct Seen {
    /// Its root tree, parsed.
    pub root: Arc<RawTree>,
    /// The top-level names that differ from its first parent's; `None`
    /// for a root commit.
    pub changed: Option<Vec<Box<[u8]>>>,
    /// What differs below them.
    pub below: Below,
    /// The commit object, read by the first team that keeps the commit
    /// and shared with the others.
    pub raw: std::sync::OnceLock<RawCommit>,
}

/// How a team's commits are written.
pub struct CommitWriter<'a, 'r> {
    /// The monolith's objects.
    pub src: &'r Source<'r>,
    /// Its commits, read once for all teams.
    pub graph: &'r SourceGraph,
    /// Where new objects go.
    pub out: PackSink,
    /// The team's tree filters, one per generation of its rules.
    pub filters: TeamFilters<'a>,
    /// Append `Split-Source:` trailers.
    pub labels: bool,
    /// The monolith's changed-path Bloom filters, when its commit-graph
    /// has them.
    pub changed_paths: Option<&'r ChangedPaths>,
}

impl CommitWriter<'_, '_> {
    /// Rewrites the graph's commit at `index` (whose parents were all
    /// rewritten before), as the reader saw it, into `h`.
    pub fn rewrite(&mut self, h: &mut Rewritten, index: usize, seen: &Seen) -> Result<Mapping, HistoryError> {
        let empty_tree = oid(&EMPTY_TREE_ID);
        let graph = self.graph;
        let source = &graph.commits[index];
        let commit = source.id;
        let orig_parents: Vec<Oid> = source.parents.iter().map(|&p| graph.commits[p as usize].id).collect();
        let orig_tree = source.tree;
        let had_changes = match source.parents.first() {
            Some(&p) => graph.commits[p as usize].tree != orig_tree,
            None => orig_tree != empty_tree,
        };
        // Nothing the team can see changed since the first parent, whose
        // rules are this commit's: its filtered tree is the parent's, which
        // is the tree of what the parent was rewritten to (a dropped
        // commit's tree equals its target's). The top-level names that
        // changed say so when none is the team's; else the changes the
        // reader found below them, or the commit's Bloom filter, may (see
        // `TreeFilter::rules_out`), without a tree read. Those are asked
        // only without followed earlier paths: they know the rules' paths,
        // not those.
        let rules = (self.filters.generation(index), self.filters.extra(index));
        let same_rules = source
            .parents
            .first()
            .is_some_and(|&p| (self.filters.generation(p as usize), self.filters.extra(p as usize)) == rules);
        let changed = seen.changed.as_deref();
        let unchanged = same_rules
            && (changed
                .is_some_and(|names| !names.iter().any(|n| self.filters.relevant(rules.0, rules.1, n)))
                || rules.1 == 0 && self.rules_out(commit, rules.0, seen));
        let unchanged_parent = if unchanged { h.at(graph, source.parents[0] as usize) } else { None };
        let new_tree = match unchanged_parent {
            Some(m) => h.tree_of(m.target),
            None => self.filters.filter_root(
                rules,
                self.src,
                &mut self.out,
                (orig_tree, &seen.root),
                &seen.below.trees,
            )?,
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
                None => self.out.write(ObjectKind::Tree, &[])?,
            };
            let c = match seen.raw.get() {
                Some(c) => c,
                None => {
                    let c = RawCommit::read(self.src, commit)?;
                    seen.raw.get_or_init(|| c)
                }
            };
            let raw = self.commit_bytes(commit, c, tree, &parents);
            let new = self.out.write(ObjectKind::Commit, &raw)?;
            let generation =
                parents.iter().filter_map(|p| h.tree_and_generation(&key(p)).map(|n| n.1)).max().unwrap_or(0)
                    + 1;
            let start = h.parents.len();
            h.parents.extend(parents.iter().map(key));
            h.nodes.insert(key(&new), Written { tree, generation, start, count: parents.len() });
            Mapping { new: Some(new), target: Some(new) }
        };
        h.record(graph, index, mapping)?;
        Ok(mapping)
    }

    /// Do commit `id`'s changed-path filter and the changes below the top
    /// level the reader found (with the top-level names that changed) rule
    /// out every path the team keeps with generation `g`'s rules? `false`
    /// with neither: the reader compared nothing below the top level, and
    /// the graph has no filter for the commit (written before it), or git
    /// did not compute one or filled it (too many changes).
    fn rules_out(&mut self, id: Oid, g: u32, seen: &Seen) -> bool {
        let filter = self.changed_paths.and_then(|c| c.filter(&key(&id)));
        if filter.is_none() && seen.below.is_empty() {
            return false;
        }
        self.filters.get(g).rules_out(filter.as_ref(), &seen.below, seen.changed.as_deref())
    }

    /// filter-repo's `_maybe_trim_extra_parents`: returns the parents and,
    /// when the commit would stop being a merge, its would-be first parent.
    fn trim_parents(
        &self,
        h: &Rewritten,
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
            self.src
                .repo()
                .graph_descendant_of(x, a)
                .map_err(git_err(|| format!("is {a} an ancestor of {x}")))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_tree_id_is_git_s() {
        assert_eq!(oid(&EMPTY_TREE_ID), Oid::from_str(EMPTY_TREE).unwrap());
        assert_eq!(oid(&EMPTY_TREE_ID), Oid::hash_object(git2::ObjectType::Tree, b"").unwrap());
    }
}
