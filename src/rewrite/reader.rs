//! The pass's reader: reads each needed commit's root tree once, compares
//! it with its first parent's (the top-level names, and below them the
//! directories of [`Explore`]), and hands the commit to every worker.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::mpsc::SyncSender;
use std::sync::Arc;

use git2::{Oid, Repository};

use super::below::{Below, Comparer, Explore};
use super::graph::{SourceCommit, SourceGraph};
use super::history::Seen;
use super::tree::TreeError;
use crate::odb::bloom::ChangedPaths;
use crate::odb::id::key;
use crate::odb::pack::{Packs, ReadState};
use crate::odb::tree::RecentTrees;
use crate::odb::{ObjectKind, RawTree, Source};

/// One commit, read once and handed to every team.
pub(super) struct Step {
    /// Its position in the graph.
    pub index: usize,
    /// What the reader saw of it.
    pub seen: Seen,
}

/// Commits handed to the workers at once: a channel message per commit
/// costs a wake-up per commit and worker.
pub(super) const BATCH: usize = 32;

/// Commits whose root trees are read at once, while the previous window's
/// are handed out: large enough that starting threads costs nothing, small
/// enough that two windows of trees take little memory.
const WINDOW: usize = 2048;

/// Commits a read-ahead thread takes at a time. Root trees are deltas on
/// each other, often in long chains: a thread starting elsewhere in
/// history rebuilds a chain before its cache helps, so pieces are long.
const PIECE: usize = 512;

/// What the reader needs: the monolith, which of its commits to read,
/// which directories to compare, and the threads it may take.
pub(super) struct Reader<'a> {
    pub src: &'a Path,
    pub graph: &'a SourceGraph,
    /// Per graph position: some team still rewrites the commit.
    pub needed: &'a [bool],
    pub packs: &'a Packs,
    pub explore: &'a Explore,
    /// The monolith's changed-path Bloom filters, when it has them.
    pub changed_paths: Option<&'a ChangedPaths>,
    pub threads: usize,
}

impl Reader<'_> {
    /// Reads every needed commit and sends it to every worker, in the
    /// graph's order. Root trees are read on up to `threads` threads, a
    /// window ahead of the commits being handed out; this thread keeps
    /// the order. Stops early, without an error, when every worker has.
    pub fn run(&self, senders: &[SyncSender<Arc<Vec<Step>>>]) -> Result<(), TreeError> {
        let start =
            |context| move |e: git2::Error| TreeError::Start { context, message: e.message().to_string() };
        let repo = Repository::open(self.src).map_err(start("opening the monolith"))?;
        let odb = Source::new(&repo, self.packs).map_err(start("opening the monolith's objects"))?;
        let mut slow = (RecentTrees::new(ROOT_TREES), Comparer::new(self.explore));
        let order: Vec<u32> =
            (0..self.graph.commits.len() as u32).filter(|&i| self.needed[i as usize]).collect();
        let windows: Vec<&[u32]> = order.chunks(WINDOW).collect();
        let mut out = Out { senders, batch: Vec::with_capacity(BATCH), sent: VecDeque::new() };
        std::thread::scope(|s| {
            // Read on another thread, or here if the system will not start one.
            let windows = &windows;
            let ahead = |n: usize| {
                let w = windows[n];
                match std::thread::Builder::new().spawn_scoped(s, move || self.read_window(w)) {
                    Ok(h) => Ahead::Reading(h),
                    Err(_) => Ahead::Read(self.read_window(w)),
                }
            };
            let mut next = (!windows.is_empty()).then(|| ahead(0));
            for (n, &window) in windows.iter().enumerate() {
                let seen = match next.take().expect("read ahead") {
                    Ahead::Reading(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                    Ahead::Read(seen) => seen,
                };
                next = (n + 1 < windows.len()).then(|| ahead(n + 1));
                for (&index, seen) in window.iter().zip(seen) {
                    let seen = match seen {
                        Some(seen) => seen,
                        None => self.read_slowly(&odb, &mut slow, &self.graph.commits[index as usize])?,
                    };
                    if !out.push(Step { index: index as usize, seen }) {
                        return Ok(());
                    }
                }
            }
            out.send();
            Ok(())
        })
    }

    /// The commits of `window`, straight from the packs, on up to
    /// `threads` threads; what is not there (or odd) is `None`, left to
    /// [`Reader::read_slowly`].
    fn read_window(&self, window: &[u32]) -> Vec<Option<Seen>> {
        let pieces: Vec<&[u32]> = window.chunks(PIECE).collect();
        crate::util::parallel::map_in_turn(&pieces, self.threads, ReadState::new, |state, piece| {
            self.read_piece(state, piece)
        })
        .into_iter()
        .flatten()
        .collect()
    }

    /// [`Reader::read_window`] for one thread's consecutive commits.
    fn read_piece(&self, state: &mut ReadState, piece: &[u32]) -> Vec<Option<Seen>> {
        let mut read = |tree: &Oid| {
            let (kind, data) = self.packs.read(&key(tree), state)?;
            (kind == ObjectKind::Tree).then(|| RawTree::parse(data)).flatten().map(Arc::new)
        };
        let mut comparer = Comparer::new(self.explore);
        // Mostly the previous commit's: kept, not read again.
        let mut last: Option<(Oid, Arc<RawTree>)> = None;
        piece
            .iter()
            .map(|&i| {
                let c = &self.graph.commits[i as usize];
                let mut known = |t: Oid| match &last {
                    Some((l, tree)) if *l == t => Some(tree.clone()),
                    _ => read(&t),
                };
                let root = known(c.tree)?;
                let parent = match c.parents.first().map(|&p| self.graph.commits[p as usize].tree) {
                    Some(t) if t != c.tree => Some(known(t)?),
                    _ => None,
                };
                let seen = compare(
                    c,
                    (root.clone(), parent.as_deref()),
                    &mut comparer,
                    &mut read,
                    self.changed_paths,
                );
                last = Some((c.tree, root));
                Some(seen)
            })
            .collect()
    }

    /// Commit `c` read through libgit2, which reports what is wrong with
    /// its root trees (a tree below them that cannot be read is left
    /// uncompared, for the teams that need it to report).
    fn read_slowly(
        &self,
        odb: &Source<'_>,
        (cache, comparer): &mut (RecentTrees, Comparer<'_>),
        c: &SourceCommit,
    ) -> Result<Seen, TreeError> {
        let mut get =
            |id: Oid| cache.get_or_read(&id, || Ok::<_, TreeError>(Arc::new(RawTree::read(odb, id)?)));
        let root = get(c.tree)?;
        let parent = match c.parents.first() {
            Some(&p) if self.graph.commits[p as usize].tree != c.tree => {
                Some(get(self.graph.commits[p as usize].tree)?)
            }
            _ => None,
        };
        let mut read = |id: &Oid| RawTree::read(odb, *id).ok().map(Arc::new);
        Ok(compare(c, (root, parent.as_deref()), comparer, &mut read, self.changed_paths))
    }
}

/// What commit `c` with root tree `root` looks like to the teams; `parent`
/// is its first parent's root tree, `None` when both are the same tree.
fn compare(
    c: &SourceCommit,
    (root, parent): (Arc<RawTree>, Option<&RawTree>),
    comparer: &mut Comparer<'_>,
    read: &mut dyn FnMut(&Oid) -> Option<Arc<RawTree>>,
    changed_paths: Option<&ChangedPaths>,
) -> Seen {
    let (changed, below) = match (c.parents.first(), parent) {
        (None, _) => (None, Below::default()),
        (Some(_), None) => (Some(Vec::new()), Below::default()),
        (Some(_), Some(old)) => {
            let names = root.changed_names(old);
            // With a Bloom filter, teams ask it instead: comparing costs
            // reading the first parent's trees too, which the filter spares.
            let filtered =
                || changed_paths.and_then(|g| g.filter(&key(&c.id))).is_some_and(|f| !f.rules_out_nothing());
            let below = match comparer.idle() || filtered() {
                true => Below::default(),
                false => comparer.below(read, &root, old, &names),
            };
            (Some(names.into_iter().map(Box::from).collect()), below)
        }
    };
    Seen { root, changed, below, raw: std::sync::OnceLock::new() }
}

/// Steps on their way to the workers.
struct Out<'s> {
    senders: &'s [SyncSender<Arc<Vec<Step>>>],
    batch: Vec<Step>,
    /// Batches stay here until every worker is done with them and are
    /// freed here: the trees were allocated on the read-ahead threads, and
    /// a worker freeing them waited on those threads' malloc arena locks
    /// (glibc), off the CPU for half of the pass.
    sent: VecDeque<Arc<Vec<Step>>>,
}

impl Out<'_> {
    /// Adds `step`, sending a full batch; false when every worker has
    /// stopped (each reported its own error).
    fn push(&mut self, step: Step) -> bool {
        self.batch.push(step);
        self.batch.len() < BATCH || self.send()
    }

    /// Sends the batch so far; false when every worker has stopped.
    fn send(&mut self) -> bool {
        let steps = Arc::new(std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH)));
        let alive = self.senders.iter().filter(|tx| tx.send(steps.clone()).is_ok()).count() > 0;
        self.sent.push_back(steps);
        while self.sent.front().is_some_and(|b| Arc::strong_count(b) == 1) {
            self.sent.pop_front();
        }
        alive
    }
}

/// A window of commits being read on another thread, or read already.
enum Ahead<'s, T> {
    Reading(std::thread::ScopedJoinHandle<'s, T>),
    Read(T),
}

/// Root trees parsed lately, so a commit's first parent is rarely re-read.
const ROOT_TREES: usize = 64;
