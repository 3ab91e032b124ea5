//! The history engine: rewrites a monolith's commits for every team in one
//! pass.
//!
//! [`graph`] reads the commits to do, parents first; `reader` reads each
//! one's root tree once for every team, and `below` compares it with its
//! first parent's down the directories leading to what teams keep; `tree`
//! filters trees (memoised, whole directories reused or skipped by id),
//! and `unchanged` tells from those changes, or the commit-graph's Bloom
//! filters, when a team's tree cannot have changed since the first
//! parent, so none is read; `history` decides which commits survive and
//! with which parents (git filter-repo's rules); [`trailer`] adds the
//! `Split-Source` label; [`state`] saves a team's mapping for the next
//! run; [`follow`] keeps the earlier paths of files moved into a team's,
//! and [`lineage`] walks the history once for `plan` and `owners` to tell
//! what that keeps. New objects are written straight into pack files
//! (`odb::pack`): no loose objects.

mod below;
pub mod follow;
pub mod graph;
pub(crate) mod history;
pub mod layout;
pub mod lineage;
mod reader;
pub mod state;
pub mod tag_state;
pub mod trailer;
pub(crate) mod tree;
mod unchanged;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

use git2::{Oid, Repository};

pub use history::{HistoryError, Mapping, Rewritten, EMPTY_TREE, LABEL_KEY};
pub use state::StateError;

use crate::odb::bloom::ChangedPaths;
use crate::odb::id::IdSet;
use crate::odb::pack::PackSink;
use crate::odb::pack::Packs;
use crate::odb::Source;
use crate::ownership::Ownership;
use below::Explore;
use layout::{Generations, PackageHistory, TeamFilters};
use reader::{Reader, Step, BATCH};
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
/// (see [`layout`]) before the pass; a failure there fails the teams whose
/// trees depend on them ([`PackageHistory::matters_to`]), and only those.
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
    let per_commit: Vec<bool> =
        teams.iter().map(|t| packages.is_some_and(|p| p.matters_to(t.job.team))).collect();
    // Packages that cannot be resolved in some commit fail only the teams
    // whose trees depend on them.
    let (generations, unresolved) = match packages.filter(|_| per_commit.contains(&true)) {
        Some(p) => match Generations::read(src, packs, graph, p, threads.max(1)) {
            Ok(g) => (Some(g), None),
            Err(e) => (None, Some(e)),
        },
        None => (None, None),
    };
    let generations = generations.as_ref();
    let n = teams.len();
    let stop = Stop { unresolved: unresolved.as_ref(), per_commit: &per_commit };
    let (teams, followed) = start_following(src, graph, teams, generations, stop, done);
    let needed: Vec<bool> = (0..graph.commits.len())
        .map(|i| teams.iter().any(|(_, t)| !t.history.contains_at(graph, i)))
        .collect();
    let mut explore = Explore::default();
    for (i, t) in &teams {
        match generations.filter(|_| per_commit[*i]) {
            Some(g) => g.views().iter().for_each(|view| explore.add(view, t.job.team)),
            None => explore.add(t.job.ownership, t.job.team),
        }
    }
    let teams: Vec<Bucketed<'_>> = teams
        .into_iter()
        .map(|(i, t)| (i, t, generations.filter(|_| per_commit[i]), followed[i].as_ref()))
        .collect();
    // A commit-graph that cannot be read is as none: every tree is read.
    let changed_paths = ChangedPaths::open(&crate::odb::pack::common_dir(src).join("objects")).ok().flatten();
    let pass =
        Pass { src, packs, graph, changed_paths: changed_paths.as_ref(), threads: threads.max(1), progress };
    let mut results: Vec<Option<Result<Rewritten, HistoryError>>> = (0..n).map(|_| None).collect();
    let reader = Reader {
        src,
        graph,
        needed: &needed,
        packs,
        explore: &explore,
        changed_paths: pass.changed_paths,
        threads: pass.threads,
    };
    let read_error = pass.run(spread(teams, threads), &reader, &mut results, done);
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

/// Why teams stop before the pass: packages that could not be resolved in
/// history stop the teams whose trees depend on them (`per_commit`).
#[derive(Clone, Copy)]
struct Stop<'e> {
    unresolved: Option<&'e TreeError>,
    per_commit: &'e [bool],
}

/// Follows every team's renames that asks for it; the teams whose
/// packages could not be resolved (`stop`), whose lineages cannot be
/// followed, or whose lineages reach back past a previous run, get their
/// error now (only those: a lost blob stops only what needs it). Returns
/// the teams left, with their positions, and every team's lineages.
fn start_following<'a>(
    src: &Path,
    graph: &graph::SourceGraph,
    teams: Vec<TeamPass<'a>>,
    generations: Option<&Generations>,
    stop: Stop<'_>,
    done: &(dyn Fn(usize, Result<Rewritten, HistoryError>) + Sync),
) -> (Vec<(usize, TeamPass<'a>)>, Vec<Option<follow::Followed>>) {
    let unresolved = |i: usize| stop.unresolved.filter(|_| stop.per_commit[i]);
    // The teams that stop here are not followed.
    let follows: Vec<bool> =
        teams.iter().enumerate().map(|(i, t)| t.job.follow_renames && unresolved(i).is_none()).collect();
    let (followed, follow_error) =
        match follow_teams(src, graph, &teams, &follows, generations, stop.per_commit) {
            Ok(f) => (f, None),
            Err(e) => ((0..teams.len()).map(|_| None).collect(), Some(e)),
        };
    let (teams, stopped): (Vec<_>, Vec<_>) = teams.into_iter().enumerate().partition(|(i, _)| {
        let back = followed[*i].as_ref().is_some_and(|f| f.reaches_back && graph.partial);
        let unfollowed = follow_error.is_some() && follows[*i];
        !(unresolved(*i).is_some() || back || unfollowed)
    });
    for (i, _) in stopped {
        let e = match (unresolved(i), &follow_error) {
            (Some(e), _) => HistoryError::Tree(e.clone()),
            (None, Some(e)) if follows[i] => HistoryError::Tree(e.clone()),
            _ => HistoryError::EarlierHistoryChanges,
        };
        done(i, Err(e));
    }
    (teams, followed)
}

/// The teams spread over up to `threads` workers: heaviest first, each to
/// the lightest worker so far, since the slowest worker sets the pace.
fn spread(mut teams: Vec<Bucketed<'_>>, threads: usize) -> Vec<Vec<Bucketed<'_>>> {
    let workers = threads.clamp(1, teams.len().max(1));
    let mut buckets: Vec<Vec<Bucketed<'_>>> = (0..workers).map(|_| Vec::new()).collect();
    let mut load = vec![0u64; workers];
    teams.sort_by_key(|(i, t, ..)| (std::cmp::Reverse(t.weight), *i));
    for (i, t, g, f) in teams {
        let w = (0..workers).min_by_key(|&w| (load[w], w)).expect("a worker");
        load[w] += t.weight.max(1);
        buckets[w].push((i, t, g, f));
    }
    buckets
}

/// The lineages of the teams `follows` marks (see [`follow`]), with each
/// commit's rules: its generation's where packages are resolved per
/// commit.
fn follow_teams(
    src: &Path,
    graph: &graph::SourceGraph,
    teams: &[TeamPass<'_>],
    follows: &[bool],
    generations: Option<&Generations>,
    per_commit: &[bool],
) -> Result<Vec<Option<follow::Followed>>, TreeError> {
    let view = |t: usize, i: usize| -> (&Ownership, usize) {
        let job = &teams[t].job;
        match generations.filter(|_| per_commit[t]) {
            Some(g) => (g.view(i), job.team),
            None => (job.ownership, job.team),
        }
    };
    follow::for_pass(src, graph, follows, &view)
        .map_err(|e| TreeError::Start { context: "following renames", message: e.to_string() })
}

/// What every thread of a pass shares.
struct Pass<'p> {
    src: &'p Path,
    packs: &'p Packs,
    graph: &'p graph::SourceGraph,
    changed_paths: Option<&'p ChangedPaths>,
    /// Threads to take, at least one.
    threads: usize,
    progress: &'p (dyn Fn(usize, usize) + Sync),
}

/// One team's rewrite on a worker.
struct State<'a, 'r> {
    pos: usize,
    writer: Result<history::CommitWriter<'a, 'r>, HistoryError>,
    history: Rewritten,
    /// The packs the team's repository already holds.
    have: Packs,
    cancel: Arc<AtomicBool>,
}

impl Pass<'_> {
    /// Rewrites `buckets`, a worker's teams each, as `reader` hands them the
    /// commits, then copies each team's objects and hands its history to
    /// `done`. A team whose worker failed gets its error in `results`; a
    /// failure to read fails every team and is returned.
    fn run(
        &self,
        buckets: Vec<Vec<Bucketed<'_>>>,
        reader: &Reader<'_>,
        results: &mut [Option<Result<Rewritten, HistoryError>>],
        done: &(dyn Fn(usize, Result<Rewritten, HistoryError>) + Sync),
    ) -> Option<TreeError> {
        std::thread::scope(|s| {
            let mut senders = Vec::new();
            let mut handles = Vec::new();
            for bucket in buckets {
                let (tx, rx) = sync_channel::<Arc<Vec<Step>>>(256 / BATCH);
                let mine: Vec<usize> = bucket.iter().map(|(i, ..)| *i).collect();
                // Filtering recurses once per tree level, up to `tree::MAX_TREE_DEPTH`.
                let worker = std::thread::Builder::new().name("split-worker".into()).stack_size(WORKER_STACK);
                match worker.spawn_scoped(s, move || self.work(bucket, rx)) {
                    Ok(h) => {
                        senders.push(tx);
                        handles.push(h);
                    }
                    Err(e) => {
                        for i in mine {
                            let e = TreeError::Start {
                                context: "starting a rewrite thread",
                                message: e.to_string(),
                            };
                            results[i] = Some(Err(HistoryError::Tree(e)));
                        }
                    }
                }
            }
            let read = reader.run(&senders);
            drop(senders);
            let mut copies = Vec::new();
            for h in handles {
                let done = h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                for (i, r) in done {
                    match r {
                        Ok(copy) => copies.push((i, copy)),
                        Err(e) => results[i] = Some(Err(e)),
                    }
                }
            }
            if read.is_err() {
                return read.err();
            }
            self.copy(copies, done);
            None
        })
    }

    /// The copies, largest first, a team per thread, each also spreading
    /// its own work over every thread: copies differ in size by orders of
    /// magnitude, and one team per thread alone would leave threads idle
    /// behind the largest, one team at a time would wait on each team's
    /// sequential parts.
    fn copy(
        &self,
        mut copies: Vec<(usize, PendingCopy)>,
        done: &(dyn Fn(usize, Result<Rewritten, HistoryError>) + Sync),
    ) {
        copies.sort_by_key(|(_, c)| std::cmp::Reverse(c.needed.len() + c.closure.len()));
        crate::util::parallel::drain(copies, self.threads, WORKER_STACK, |(i, copy)| {
            let r = copy.run(self.src, self.packs, self.threads);
            (self.progress)(i, self.graph.commits.len());
            done(i, r);
        });
    }

    /// A worker: rewrites its teams, commit by commit, as the reader sends them.
    fn work(
        &self,
        teams: Vec<Bucketed<'_>>,
        steps: Receiver<Arc<Vec<Step>>>,
    ) -> Vec<(usize, Result<PendingCopy, HistoryError>)> {
        let start = |context: &'static str, message: String| {
            HistoryError::Tree(TreeError::Start { context, message })
        };
        let repo = match Repository::open(self.src) {
            Ok(r) => r,
            Err(source) => {
                let e = HistoryError::Git { context: "opening the monolith".into(), source };
                let msg = e.to_string();
                return teams
                    .into_iter()
                    .map(|(i, ..)| (i, Err(start("starting the rewrite", msg.clone()))))
                    .collect();
            }
        };
        let odb = match Source::new(&repo, self.packs) {
            Ok(o) => o,
            Err(e) => {
                let msg = e.message().to_string();
                return teams
                    .into_iter()
                    .map(|(i, ..)| (i, Err(start("opening the monolith's objects", msg.clone()))))
                    .collect();
            }
        };
        let mut states: Vec<State<'_, '_>> = teams.into_iter().map(|team| self.state(&odb, team)).collect();
        for batch in steps {
            if !self.rewrite_batch(&mut states, &batch) {
                // Nothing left to do: dropping the receiver stops the reader too.
                break;
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

    /// A team's rewrite, reading the monolith through `odb`.
    fn state<'a, 'r>(
        &'r self,
        odb: &'r Source<'r>,
        (pos, t, generations, followed): Bucketed<'a>,
    ) -> State<'a, 'r> {
        State {
            pos,
            have: Packs::open(&t.out),
            writer: PackSink::new(&t.out).map_err(HistoryError::from).map(|sink| history::CommitWriter {
                src: odb,
                graph: self.graph,
                out: sink,
                filters: TeamFilters::new(&t.job, generations, followed),
                labels: t.job.labels,
                changed_paths: self.changed_paths,
            }),
            history: t.history,
            cancel: t.cancel,
        }
    }

    /// Rewrites a batch of commits for every team still going; false when
    /// no team is.
    fn rewrite_batch(&self, states: &mut [State<'_, '_>], batch: &[Step]) -> bool {
        for step in batch {
            for st in states.iter_mut() {
                let Ok(writer) = &mut st.writer else { continue };
                if st.cancel.load(Ordering::Relaxed) {
                    st.writer = Err(HistoryError::Interrupted);
                    continue;
                }
                if st.history.contains_at(self.graph, step.index) {
                    continue;
                }
                if let Err(e) = writer.rewrite(&mut st.history, step.index, &step.seen) {
                    st.writer = Err(e);
                }
                crate::util::fault::point("rewrite.commit");
            }
            if states.iter().all(|st| st.writer.is_err()) {
                return false;
            }
            let done = step.index + 1;
            if done % 256 == 0 {
                for st in states.iter() {
                    (self.progress)(st.pos, done);
                }
            }
        }
        true
    }
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
