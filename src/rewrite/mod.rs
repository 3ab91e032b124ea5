//! The history engine: rewrites a monolith's commits for every team in one
//! pass.
//!
//! [`graph`] reads the commits to do, parents first; `tree` filters trees
//! (memoised, whole directories reused or skipped by id), and `unchanged`
//! tells from the commit-graph's Bloom filters when a team's tree cannot
//! have changed since the first parent, so none is read; `history`
//! decides which commits survive and with which parents (git filter-repo's
//! rules); [`trailer`] adds the `Split-Source` label; [`state`] saves a
//! team's mapping for the next run; [`lineage`] walks the history once
//! for `plan` and `owners` to tell what following renames keeps. New
//! objects are written straight into pack files (`odb::pack`): no loose
//! objects.

pub mod follow;
pub mod graph;
pub(crate) mod history;
pub mod layout;
pub mod lineage;
pub mod state;
pub mod tag_state;
pub mod trailer;
pub(crate) mod tree;
mod unchanged;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use git2::{Oid, Repository};

pub use history::{HistoryError, Mapping, Rewritten, EMPTY_TREE, LABEL_KEY};
pub use state::StateError;

use crate::odb::bloom::ChangedPaths;
use crate::odb::id::{id_map, key, IdMap, IdSet};
use crate::odb::object::RawCommit;
use crate::odb::pack::PackSink;
use crate::odb::pack::Packs;
use crate::odb::{ObjectKind, RawTree, Source};
use crate::ownership::Ownership;
use layout::{Generations, PackageHistory, TeamFilters};
use tree::TreeError;

/// Stack of a rewrite worker: room for `tree::MAX_TREE_DEPTH` levels of
/// filtering even in a debug build (the default 2 MiB holds fewer).
pub const WORKER_STACK: usize = 8 << 20;

/// One team's rewrite.
pub struct Job<'a> {
    /// Compiled ownership, packages resolved at the split ref (history
    /// gets each commit's own from `rewrite_teams`'s `packages`).
    pub ownership: &'a Ownership,
    /// The team's index.
    pub team: usize,
    /// A directory hoisted to the root.
    pub root: Option<&'a str>,
    /// Add `Split-Source` trailers.
    pub labels: bool,
    /// Keep the earlier paths of files moved into the team's (see [`follow`]).
    pub follow_renames: bool,
}

/// A team's part in a shared pass: what to do, where it got to, where new
/// objects go.
pub struct TeamPass<'a> {
    /// The team's rewrite.
    pub job: Job<'a>,
    /// Its history so far (empty for a first run); commits in it are skipped.
    pub history: Rewritten,
    /// The repository receiving its new objects.
    pub out: PathBuf,
    /// Set to stop the pass (Ctrl-C): the team's history ends in
    /// [`HistoryError::Interrupted`].
    pub cancel: Arc<AtomicBool>,
    /// A guess of the team's share of the pass (its files, say): teams are
    /// spread over the workers by it, since the slowest worker sets the pace.
    pub weight: u64,
}

/// One commit, read once and handed to every team.
struct Step {
    index: usize,
    root: Arc<RawTree>,
    /// Its top-level names that changed.
    changed: Changed,
    /// The commit object, read by the first team that keeps the commit and
    /// shared with the others.
    raw: std::sync::OnceLock<RawCommit>,
}

/// Root trees parsed lately, so a commit's first parent is rarely re-read.
struct RootCache {
    trees: IdMap<Oid, Arc<RawTree>>,
    order: VecDeque<Oid>,
}

impl RootCache {
    const SIZE: usize = 64;

    fn get(&mut self, odb: &Source<'_>, id: Oid) -> Result<Arc<RawTree>, TreeError> {
        if let Some(t) = self.trees.get(&id) {
            return Ok(t.clone());
        }
        Ok(self.put(id, Arc::new(RawTree::read(odb, id)?)))
    }

    /// Remembers tree `id`, read elsewhere; returns it.
    fn put(&mut self, id: Oid, tree: Arc<RawTree>) -> Arc<RawTree> {
        if self.trees.contains_key(&id) {
            return tree;
        }
        if self.order.len() == Self::SIZE {
            let old = self.order.pop_front().expect("full");
            self.trees.remove(&old);
        }
        self.order.push_back(id);
        self.trees.insert(id, tree.clone());
        tree
    }
}

/// Continues every team's history over the commits of `graph` in one pass:
/// each commit and root tree is read and parsed once, by one reader thread,
/// and handed to `threads` workers that each rewrite a share of the teams.
/// `src` is the monolith's git directory, `packs` its packs. `progress(team, done)` reports
/// commits done per team (its position in `teams`). Each team's history
/// goes to `done(team, history)` exactly once: as soon as every new object
/// of the team is in a pack of its `out` repository, on the thread that
/// copied them, so that finishing one team overlaps copying the others;
/// a team whose pass failed gets its error once the pass is over.
///
/// With `packages`, each commit's packages are resolved in its own tree
/// (see [`layout`]) before the pass; a failure there fails every team.
#[allow(clippy::too_many_arguments)]
pub fn rewrite_teams(
    src: &Path,
    packs: &Packs,
    graph: &graph::SourceGraph,
    teams: Vec<TeamPass<'_>>,
    packages: Option<&PackageHistory<'_>>,
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
    done: &(dyn Fn(usize, Result<Rewritten, HistoryError>) + Sync),
) {
    let generations = match packages.filter(|p| teams.iter().any(|t| p.matters_to(t.job.team))) {
        Some(p) => match Generations::read(src, packs, graph, p, threads.max(1)) {
            Ok(g) => Some(g),
            Err(e) => {
                for i in 0..teams.len() {
                    done(i, Err(HistoryError::Tree(e.clone())));
                }
                return;
            }
        },
        None => None,
    };
    let generations = generations.as_ref();
    // A commit-graph that cannot be read is as none: every tree is read.
    let changed_paths = ChangedPaths::open(&crate::odb::pack::common_dir(src).join("objects")).ok().flatten();
    let changed_paths = changed_paths.as_ref();
    let per_commit: Vec<bool> =
        teams.iter().map(|t| packages.is_some_and(|p| p.matters_to(t.job.team))).collect();
    let n = teams.len();
    // Lineages that cannot be followed fail only the teams that follow them.
    let (followed, follow_error) = match follow_teams(src, graph, &teams, generations, &per_commit) {
        Ok(f) => (f, None),
        Err(e) => ((0..n).map(|_| None).collect(), Some(e)),
    };
    let (teams, stopped): (Vec<_>, Vec<_>) = teams.into_iter().enumerate().partition(|(i, t)| {
        let back = followed[*i].as_ref().is_some_and(|f| f.reaches_back && graph.partial);
        let unfollowed = follow_error.is_some() && t.job.follow_renames;
        !(back || unfollowed)
    });
    for (i, _) in stopped {
        match &follow_error {
            Some(e) => done(i, Err(HistoryError::Tree(e.clone()))),
            None => done(i, Err(HistoryError::EarlierHistoryChanges)),
        }
    }
    let needed: Vec<bool> = (0..graph.commits.len())
        .map(|i| teams.iter().any(|(_, t)| !t.history.contains_at(graph, i)))
        .collect();
    let workers = threads.clamp(1, n.max(1));
    let mut buckets: Vec<Vec<Bucketed<'_>>> = (0..workers).map(|_| Vec::new()).collect();
    // Heaviest first, each to the lightest worker so far.
    let mut load = vec![0u64; workers];
    let mut teams: Vec<Bucketed<'_>> = teams
        .into_iter()
        .map(|(i, t)| (i, t, generations.filter(|_| per_commit[i]), followed[i].as_ref()))
        .collect();
    teams.sort_by_key(|(i, t, ..)| (std::cmp::Reverse(t.weight), *i));
    for (i, t, g, f) in teams {
        let w = (0..workers).min_by_key(|&w| (load[w], w)).expect("a worker");
        load[w] += t.weight.max(1);
        buckets[w].push((i, t, g, f));
    }
    let mut results: Vec<Option<Result<Rewritten, HistoryError>>> = (0..n).map(|_| None).collect();
    let read_error = std::thread::scope(|s| {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for bucket in buckets {
            let (tx, rx) = sync_channel::<Arc<Vec<Step>>>(256 / BATCH);
            let mine: Vec<usize> = bucket.iter().map(|(i, ..)| *i).collect();
            // Filtering recurses once per tree level, up to `tree::MAX_TREE_DEPTH`.
            let worker = std::thread::Builder::new().name("split-worker".into()).stack_size(WORKER_STACK);
            match worker.spawn_scoped(s, move || work(src, graph, bucket, rx, packs, changed_paths, progress))
            {
                Ok(h) => {
                    senders.push(tx);
                    handles.push(h);
                }
                Err(e) => {
                    for i in mine {
                        let e =
                            TreeError::Start { context: "starting a rewrite thread", message: e.to_string() };
                        results[i] = Some(Err(HistoryError::Tree(e)));
                    }
                }
            }
        }
        let read = read_steps(src, graph, &needed, packs, &senders, threads.max(1));
        drop(senders);
        let mut copies = Vec::new();
        for h in handles {
            match h.join() {
                Ok(done) => {
                    for (i, r) in done {
                        match r {
                            Ok(copy) => copies.push((i, copy)),
                            Err(e) => results[i] = Some(Err(e)),
                        }
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        if read.is_err() {
            return read.err();
        }
        // Then the copies, largest first, a team per thread, each also
        // spreading its own work over every thread: copies differ in size
        // by orders of magnitude, and one team per thread alone would leave
        // threads idle behind the largest, one team at a time would wait
        // on each team's sequential parts.
        copies.sort_by_key(|(_, c)| std::cmp::Reverse(c.needed.len() + c.closure.len()));
        let threads = threads.max(1);
        crate::util::parallel::drain(copies, threads, WORKER_STACK, |(i, copy)| {
            let r = copy.run(src, packs, threads);
            progress(i, graph.commits.len());
            done(i, r);
        });
        None
    });
    for (i, r) in results.into_iter().enumerate() {
        match (&read_error, r) {
            // The pass stopped early: no team's history is complete.
            (Some(e), _) => done(i, Err(HistoryError::Tree(e.clone()))),
            (None, Some(r)) => done(i, r),
            // Copied, and handed over already.
            (None, None) => {}
        }
    }
}

/// A team's place in the pass: its position, its pass, and its
/// generations and lineages when it has them.
type Bucketed<'a> = (usize, TeamPass<'a>, Option<&'a Generations>, Option<&'a follow::Followed>);

/// Every team's lineages when it follows renames (see [`follow`]), with
/// each commit's rules: its generation's where packages are resolved per
/// commit.
fn follow_teams(
    src: &Path,
    graph: &graph::SourceGraph,
    teams: &[TeamPass<'_>],
    generations: Option<&Generations>,
    per_commit: &[bool],
) -> Result<Vec<Option<follow::Followed>>, TreeError> {
    let follows: Vec<bool> = teams.iter().map(|t| t.job.follow_renames).collect();
    let view = |t: usize, i: usize| -> (&Ownership, usize) {
        let job = &teams[t].job;
        match generations.filter(|_| per_commit[t]) {
            Some(g) => (g.view(i), job.team),
            None => (job.ownership, job.team),
        }
    };
    follow::for_pass(src, graph, &follows, &view)
        .map_err(|e| TreeError::Start { context: "following renames", message: e.to_string() })
}

/// Commits whose root trees are read at once, while the previous window's
/// are handed out: large enough that starting threads costs nothing, small
/// enough that two windows of trees take little memory.
const WINDOW: usize = 2048;

/// Commits a read-ahead thread takes at a time. Root trees are deltas on
/// each other, often in long chains: a thread starting elsewhere in
/// history rebuilds a chain before its cache helps, so pieces are long.
const PIECE: usize = 512;

/// Commits handed to the workers at once: a channel message per commit
/// costs a wake-up per commit and worker.
const BATCH: usize = 32;

/// The reader: parses each needed commit's root tree once and sends it to
/// every worker. Root trees are read on up to `threads` threads, a window
/// ahead of the commits being handed out; this thread keeps the order.
fn read_steps(
    src: &Path,
    graph: &graph::SourceGraph,
    needed: &[bool],
    packs: &Packs,
    senders: &[SyncSender<Arc<Vec<Step>>>],
    threads: usize,
) -> Result<(), TreeError> {
    let start =
        |context| move |e: git2::Error| TreeError::Start { context, message: e.message().to_string() };
    let repo = Repository::open(src).map_err(start("opening the monolith"))?;
    let odb = Source::new(&repo, packs).map_err(start("opening the monolith's objects"))?;
    let mut cache = RootCache { trees: id_map(), order: VecDeque::new() };
    let order: Vec<u32> = (0..graph.commits.len() as u32).filter(|&i| needed[i as usize]).collect();
    let windows: Vec<&[u32]> = order.chunks(WINDOW).collect();
    // Straight from the packs, with the names changed since the first
    // parent; what is not there (or odd) is left to this thread's
    // `cache.get`, which asks libgit2 and reports errors.
    let read_window = |window: &[u32]| -> Vec<Option<(Arc<RawTree>, Changed)>> {
        let pieces: Vec<&[u32]> = window.chunks(PIECE).collect();
        crate::util::parallel::map_in_turn(
            &pieces,
            threads,
            crate::odb::pack::ReadState::new,
            |state, piece| {
                let mut read = |tree: &Oid| {
                    let (kind, data) = packs.read(&key(tree), state)?;
                    (kind == ObjectKind::Tree).then(|| RawTree::parse(data)).flatten().map(Arc::new)
                };
                // Mostly the previous commit's: kept, not read again.
                let mut last: Option<(Oid, Arc<RawTree>)> = None;
                piece
                    .iter()
                    .map(|&i| {
                        let c = &graph.commits[i as usize];
                        let root = read(&c.tree)?;
                        let parent_tree = c.parents.first().map(|&p| graph.commits[p as usize].tree);
                        let parent = match (parent_tree, &last) {
                            (Some(t), Some((l, tree))) if *l == t => Some(tree.clone()),
                            (Some(t), _) if t != c.tree => Some(read(&t)?),
                            _ => None,
                        };
                        let changed = changed_since(c, &root, parent.as_deref());
                        last = Some((c.tree, root.clone()));
                        Some((root, changed))
                    })
                    .collect::<Vec<_>>()
            },
        )
        .into_iter()
        .flatten()
        .collect()
    };
    let read_window = &read_window;
    let mut batch = Vec::with_capacity(BATCH);
    // Batches stay here until every worker is done with them and are freed
    // here: the trees were allocated on the read-ahead threads, and a
    // worker freeing them waited on those threads' malloc arena locks
    // (glibc), off the CPU for half of the pass.
    let mut sent: VecDeque<Arc<Vec<Step>>> = VecDeque::new();
    // False when every worker has stopped (each reported its own error).
    let mut send = |batch: &mut Vec<Step>| {
        let steps = Arc::new(std::mem::replace(batch, Vec::with_capacity(BATCH)));
        let alive = senders.iter().filter(|tx| tx.send(steps.clone()).is_ok()).count() > 0;
        sent.push_back(steps);
        while sent.front().is_some_and(|b| Arc::strong_count(b) == 1) {
            sent.pop_front();
        }
        alive
    };
    std::thread::scope(|s| {
        // Read on another thread, or here if the system will not start one.
        let windows = &windows;
        let ahead = |n: usize| {
            let w = windows[n];
            match std::thread::Builder::new().spawn_scoped(s, move || read_window(w)) {
                Ok(h) => Ahead::Reading(h),
                Err(_) => Ahead::Read(read_window(w)),
            }
        };
        let mut next = (!windows.is_empty()).then(|| ahead(0));
        for (n, &window) in windows.iter().enumerate() {
            let trees = match next.take().expect("read ahead") {
                Ahead::Reading(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                Ahead::Read(trees) => trees,
            };
            next = (n + 1 < windows.len()).then(|| ahead(n + 1));
            for (&index, read) in window.iter().zip(trees) {
                let c = &graph.commits[index as usize];
                let (root, changed) = match read {
                    Some(done) => done,
                    None => {
                        let root = cache.get(&odb, c.tree)?;
                        let parent = match c.parents.first() {
                            Some(&p) if graph.commits[p as usize].tree != c.tree => {
                                Some(cache.get(&odb, graph.commits[p as usize].tree)?)
                            }
                            _ => None,
                        };
                        let changed = changed_since(c, &root, parent.as_deref());
                        (root, changed)
                    }
                };
                batch.push(Step { index: index as usize, root, changed, raw: std::sync::OnceLock::new() });
                if batch.len() == BATCH && !send(&mut batch) {
                    return Ok(());
                }
            }
        }
        send(&mut batch);
        Ok(())
    })
}

/// A window of root trees being read on another thread, or read already.
enum Ahead<'s, T> {
    Reading(std::thread::ScopedJoinHandle<'s, T>),
    Read(T),
}

/// Top-level names of a commit's root tree that differ from its first
/// parent's; `None` for a root commit.
type Changed = Option<Vec<Box<[u8]>>>;

/// [`Changed`] for commit `c` with root tree `root`; `parent` is its first
/// parent's root tree, `None` when both are the same tree.
fn changed_since(c: &graph::SourceCommit, root: &RawTree, parent: Option<&RawTree>) -> Changed {
    c.parents.first()?;
    Some(match parent {
        Some(old) => root.changed_names(old).into_iter().map(Box::from).collect(),
        None => Vec::new(),
    })
}

/// A worker: rewrites its teams, commit by commit, as the reader sends them.
fn work<'a>(
    src: &Path,
    graph: &graph::SourceGraph,
    teams: Vec<Bucketed<'a>>,
    steps: Receiver<Arc<Vec<Step>>>,
    packs: &Packs,
    changed_paths: Option<&ChangedPaths>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<(usize, Result<PendingCopy, HistoryError>)> {
    let git = |context: &str| {
        let context = context.to_string();
        move |source: git2::Error| HistoryError::Git { context, source }
    };
    let repo = match Repository::open(src).map_err(git("opening the monolith")) {
        Ok(r) => r,
        Err(e) => {
            let msg = e.to_string();
            return teams
                .into_iter()
                .map(|(i, ..)| {
                    (
                        i,
                        Err(HistoryError::Tree(TreeError::Start {
                            context: "starting the rewrite",
                            message: msg.clone(),
                        })),
                    )
                })
                .collect();
        }
    };
    let odb = match Source::new(&repo, packs) {
        Ok(o) => o,
        Err(e) => {
            let msg = e.message().to_string();
            return teams
                .into_iter()
                .map(|(i, ..)| {
                    (
                        i,
                        Err(HistoryError::Tree(TreeError::Start {
                            context: "opening the monolith's objects",
                            message: msg.clone(),
                        })),
                    )
                })
                .collect();
        }
    };
    struct State<'a, 'r> {
        pos: usize,
        writer: Result<history::CommitWriter<'a, 'r>, HistoryError>,
        history: Rewritten,
        /// The packs the team's repository already holds.
        have: Packs,
        cancel: Arc<AtomicBool>,
    }
    let mut states: Vec<State<'_, '_>> = teams
        .into_iter()
        .map(|(pos, t, generations, followed)| State {
            pos,
            have: Packs::open(&t.out),
            writer: PackSink::new(&t.out).map_err(HistoryError::from).map(|sink| history::CommitWriter {
                src: &odb,
                graph,
                out: sink,
                filters: TeamFilters::new(&t.job, generations, followed),
                labels: t.job.labels,
                changed_paths,
            }),
            history: t.history,
            cancel: t.cancel,
        })
        .collect();
    'pass: for batch in steps {
        for step in batch.iter() {
            for st in &mut states {
                let Ok(writer) = &mut st.writer else { continue };
                if st.cancel.load(Ordering::Relaxed) {
                    st.writer = Err(HistoryError::Interrupted);
                    continue;
                }
                if st.history.contains_at(graph, step.index) {
                    continue;
                }
                if let Err(e) = writer.rewrite(
                    &mut st.history,
                    step.index,
                    &step.root,
                    step.changed.as_deref(),
                    &step.raw,
                ) {
                    st.writer = Err(e);
                }
                crate::util::fault::point("rewrite.commit");
            }
            if states.iter().all(|st| st.writer.is_err()) {
                // Nothing left to do: dropping the receiver stops the reader too.
                break 'pass;
            }
            let done = step.index + 1;
            if done % 256 == 0 {
                for st in &states {
                    progress(st.pos, done);
                }
            }
        }
    }
    states
        .into_iter()
        .map(|st| {
            let history = st.history;
            let have = st.have;
            let result = st.writer.map(|mut w| {
                let (needed, closure) = w.filters.take_needed();
                PendingCopy { history, needed, closure, out: w.out, have, cancel: st.cancel }
            });
            (st.pos, result)
        })
        .collect()
}

/// A team's pass is over; the monolith objects its pack needs are still to
/// be copied.
struct PendingCopy {
    history: Rewritten,
    out: PackSink,
    needed: IdSet,
    closure: Vec<Oid>,
    have: Packs,
    cancel: Arc<AtomicBool>,
}

impl PendingCopy {
    /// Copies the objects, on up to `threads` threads, and finishes the pack.
    fn run(mut self, src: &Path, packs: &Packs, threads: usize) -> Result<Rewritten, HistoryError> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(HistoryError::Interrupted);
        }
        let repo = Repository::open(src)
            .map_err(|source| HistoryError::Git { context: "opening the monolith".into(), source })?;
        let odb = Source::new(&repo, packs).map_err(|source| HistoryError::Git {
            context: "opening the monolith's objects".into(),
            source,
        })?;
        self.out.copy_from(&odb, packs, &self.have, self.needed, &self.closure, threads)?;
        self.out.finish()?;
        Ok(self.history)
    }
}
