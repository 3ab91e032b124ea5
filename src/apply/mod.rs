//! `apply`: one repository per team, written beside the monolith, never in it.
//!
//! Each team is built in `DIR/.staging-<team>`, a bare repository. One pass
//! over history rewrites every team; each team's new commits and trees, and
//! the monolith objects they reach (copied as stored, deltas kept where the
//! base comes along), go into one pack with its index. `--history prune`
//! and `compat` teams instead borrow the monolith's objects through a
//! temporary alternate until `git pack-objects` copies in what their refs
//! reach. The finished repository is swapped into `DIR/<team>.git` with one
//! atomic `renameat2(EXCHANGE)`.
//! A run that dies leaves only a staging directory, which the next run
//! deletes; the previous `<team>.git` stays complete until the swap.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use git2::{Oid, Repository};
use serde::Serialize;

use crate::fault;
use crate::git::{GitError, Repo, ResolvedRev};
use crate::manifest::Compat;
use crate::manifest::Manifest;
use crate::plan::Snapshot;
use crate::rewrite::graph::{PackedCommits, SourceGraph};
use crate::rewrite::history::{DoneIndex, Earlier, Lifetimes};
use crate::rewrite::object::Source;
use crate::rewrite::{self, History, HistoryError};

mod finish;
mod out_dir;
mod refs;
mod team;

use finish::*;
use out_dir::*;
use refs::*;
use team::*;

/// The marker directory inside every team repository git-split writes.
pub const MARKER_DIR: &str = "split";
const LOCK_FILE: &str = ".git-split.lock";
const STAGING_PREFIX: &str = ".staging-";
const ALTERNATES: &str = "objects/info/alternates";

/// Why `apply` refused to run or failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Reading the monolith failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The tree at the split ref could not be listed or its owners found.
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    /// History is cut: a rewrite would silently lose it.
    #[error("`{}` is a shallow clone: apply needs the full history (run `git fetch --unshallow`)", .0.display())]
    Shallow(PathBuf),
    /// The output directory holds something we did not write.
    #[error("output directory `{}` holds `{}`, which git-split did not write; use an empty directory or one holding only git-split output", .dir.display(), .entry)]
    ForeignOutput {
        /// The output directory.
        dir: PathBuf,
        /// The unexpected entry.
        entry: String,
    },
    /// The output directory is inside the monolith's git directory.
    #[error("output directory `{}` is inside the monolith's git directory", .0.display())]
    OutputInsideGitDir(PathBuf),
    /// Another apply holds the lock.
    #[error("another git-split apply is writing to `{}` (lock: {})", .dir.display(), LOCK_FILE)]
    Locked {
        /// The output directory.
        dir: PathBuf,
    },
    /// A selected ref does not exist.
    #[error("no ref matches `{0}` in the monolith")]
    NoSuchRef(String),
    /// Stopped by [`Options::cancel`] (Ctrl-C): staging directories removed,
    /// every team repository either its previous self or, if it finished
    /// before the stop, the new one.
    #[error("interrupted: no team repository was left half written")]
    Interrupted,
    /// File system trouble in the output directory.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// The error.
        source: std::io::Error,
    },
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ApplyError {
    let context = context.into();
    move |source| ApplyError::Io { context, source }
}

/// The file `push` records what it pushed in, in the output directory, and
/// the prefix of the temporary file it is written through: `apply` leaves
/// both alone.
pub const PUSH_STATE: &str = ".git-split-push.json";

/// The output directory's lock, as `apply` holds it; released on drop.
pub struct OutDirLock(#[allow(dead_code)] Lock);

/// Takes the lock `apply` takes on `out`, so that `push` never reads a
/// directory an `apply` is writing, nor two pushes record at once.
pub fn lock_out_dir(out: &Path) -> Result<OutDirLock, ApplyError> {
    Ok(OutDirLock(lock(out)?))
}

/// How history is produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryMode {
    /// Every commit rewritten to the team's files.
    Rewrite,
    /// The monolith's history as is, plus one commit deleting what the team does not own.
    Prune,
}

/// What to apply.
pub struct Options {
    /// Where `<team>.git` repositories go.
    pub out: PathBuf,
    /// Team indices to apply.
    pub teams: Vec<usize>,
    /// Teams built at once.
    pub jobs: usize,
    /// Rewrite or prune.
    pub mode: HistoryMode,
    /// Set (by a Ctrl-C handler) to stop soon: checked between commits and
    /// between phases.
    pub cancel: Arc<AtomicBool>,
}

/// Progress reported while applying.
#[derive(Clone, Debug)]
pub enum Event {
    /// A team started; `total` commits to consider.
    Started {
        /// Team name.
        team: String,
        /// Commits to consider.
        total: usize,
    },
    /// Commits considered so far.
    Progress {
        /// Team name.
        team: String,
        /// Done so far.
        done: usize,
    },
    /// A phase after the rewrite (packing, ...).
    Phase {
        /// Team name.
        team: String,
        /// What is happening.
        phase: &'static str,
    },
    /// A team is done (or failed).
    Finished {
        /// Team name.
        team: String,
        /// True if it failed.
        failed: bool,
    },
}

/// One team's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct TeamReport {
    /// Team name.
    pub name: String,
    /// The repository written.
    pub path: PathBuf,
    /// Monolith commits considered.
    pub commits_considered: usize,
    /// Monolith commits the team repository keeps (`--history prune`'s
    /// deletion commits are not monolith commits).
    pub commits_kept: usize,
    /// Files in the tip tree of the first branch.
    pub files: u64,
    /// Bytes of those files.
    pub bytes: u64,
    /// Refs written: name -> commit.
    pub refs: BTreeMap<String, String>,
    /// Wall time.
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
    /// Why the team failed, if it did.
    pub error: Option<String>,
    /// The Git LFS objects its pointer files name, across its history.
    pub lfs_objects: Vec<crate::lfs::LfsObject>,
    /// The most commit mappings its history held at once (tests prove
    /// memory follows the frontier of the pass, not history's length).
    #[doc(hidden)]
    #[serde(skip)]
    pub peak_live: usize,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// The whole run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The split revision.
    #[serde(rename = "ref")]
    pub commit: String,
    /// Teams, in manifest order.
    pub teams: Vec<TeamReport>,
    /// Files at the split ref that no team repository holds.
    pub unowned: Vec<String>,
    /// Replace refs and the grafts file of the monolith, which the split
    /// ignores: history is split as stored, as a clone (which fetches
    /// neither) would split it.
    pub ignored: Vec<String>,
}

impl Report {
    /// True if any team failed.
    pub fn failed(&self) -> bool {
        self.teams.iter().any(|t| t.error.is_some())
    }
}

/// The whole history from `tips`: from the commit-graph when there is one,
/// else from the commits, read ahead from the packs on `jobs` threads.
fn whole_history(
    source: &Source<'_>,
    git_dir: &Path,
    tips: &[Oid],
    jobs: usize,
) -> Result<SourceGraph, git2::Error> {
    match SourceGraph::from_commit_graph(git_dir, tips) {
        Some(graph) => Ok(graph),
        None => SourceGraph::read(source, tips, PackedCommits::read(source.packs(), jobs.max(1))),
    }
}

/// Runs `apply`.
pub fn apply(
    repo: &Repo,
    manifest: &Manifest,
    split: ResolvedRev,
    rev: Option<&str>,
    opts: &Options,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<Report, ApplyError> {
    if repo.is_shallow() {
        return Err(ApplyError::Shallow(repo.path().to_path_buf()));
    }
    let git_dir = repo.raw().path().to_path_buf();
    let refs = select_refs(repo, manifest, rev)?;
    // Mapped once: the tree listing, the size reader and every pass share them.
    let packs = repo.packs();
    let tips: Vec<Oid> = refs.iter().map(|r| r.commit).collect();
    // A first run reads nearly every commit and walks the whole history:
    // that starts now, on other threads, while the tree at the split ref is
    // listed and its owners found; nothing in it depends on the lock or on
    // the states read below. (A team with a state is likely to continue it,
    // reading only new commits.)
    let fresh =
        !opts.teams.iter().any(|&t| state_path(&team_repo(&opts.out, &manifest.teams[t].name)).exists());
    let (snap, early) = std::thread::scope(|s| {
        let walk = || -> Result<SourceGraph, git2::Error> {
            let repo = Repository::open(&git_dir)?;
            let source = Source::new(&repo, packs)?;
            whole_history(&source, &git_dir, &tips, opts.jobs)
        };
        // If the system starts no thread, the walk happens below.
        let early = fresh.then(|| std::thread::Builder::new().spawn_scoped(s, walk).ok()).flatten();
        // Copying objects needs the packs' entries in order: sorted here,
        // on a thread of its own, while the split tree is listed.
        let _ = std::thread::Builder::new().spawn_scoped(s, || packs.prepare_entries());
        let snap = Snapshot::load(repo, manifest, split);
        (snap, early.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))))
    });
    let snap = &snap?;
    prepare_out(&opts.out, &git_dir)?;
    let _lock = lock(&opts.out)?;
    remove_staging(&opts.out)?;
    fault::point("apply.locked");
    let interrupted = || -> Result<(), ApplyError> {
        if opts.cancel.load(Ordering::SeqCst) {
            remove_staging(&opts.out)?;
            return Err(ApplyError::Interrupted);
        }
        Ok(())
    };
    interrupted()?;

    let git = repo.raw();
    let head_branch = refs.iter().find(|r| r.name.starts_with("refs/heads/")).map(|r| r.name.clone());
    let (unowned, kept_files) = tip_files(snap);
    let start = Instant::now();
    let joins = std::sync::OnceLock::new();
    let lfs = crate::lfs::used_in(repo, &snap.listing);
    let team_ctx = |t: usize, graph, refs| {
        let team = &manifest.teams[t];
        TeamCtx {
            manifest,
            lfs,
            git_dir: &git_dir,
            out: &opts.out,
            team: t,
            name: &team.name,
            root: team.root.as_deref(),
            labels: manifest.labels && team.compat.is_none(),
            snap,
            kept_files: kept_files[t],
            graph,
            tips: &tips,
            packs,
            refs,
            head_branch: head_branch.as_deref(),
            mode: opts.mode,
            on_event,
            joins: &joins,
            cancel: &opts.cancel,
        }
    };

    // Where each team's earlier run got to.
    let no_graph = SourceGraph::default();
    let wanted: Vec<Option<(PathBuf, String, Option<Compat>)>> = opts
        .teams
        .iter()
        .map(|&t| {
            let ctx = team_ctx(t, &no_graph, &[]);
            (ctx.mode == HistoryMode::Rewrite).then(|| (ctx.final_path(), fingerprint(&ctx), ctx.compat()))
        })
        .collect();
    // A history engine team's state is opened, not read: its segments are
    // checked and mapped, and the ids this run asks about are looked up in
    // them (which commits every team considered already, and the mappings
    // and commits the pass reads).
    let previous: Vec<Option<Previous>> = crate::parallel::map_in_turn(
        &wanted,
        opts.jobs,
        || (),
        |_, w| {
            let (path, fp, compat) = w.as_ref()?;
            load_previous(path, fp, *compat)
        },
    );
    let mut index = DoneIndex::default();
    for p in previous.iter().flatten() {
        if let Some(saved) = &p.saved {
            index.add(saved.clone());
        }
    }
    // When every team continues an earlier run of the history engine, the
    // history all of them have rewritten already is not read again.
    let incremental = opts.mode == HistoryMode::Rewrite
        && !previous.is_empty()
        && previous.iter().all(|p| p.as_ref().is_some_and(|p| p.compat.is_none()))
        && opts.teams.iter().all(|&t| manifest.teams[t].compat.is_none());
    let done = |c: Oid| incremental && index.done(&c);

    // Every commit reachable from the selected refs, parents first.
    let source = Source::new(git, packs).map_err(crate::git::ctx("opening the monolith's objects"))?;
    let mut graph = match early {
        _ if incremental => SourceGraph::read_until(&source, &tips, &done),
        Some(walked) => walked,
        // Not read ahead (a team has a state it cannot continue, say): the
        // whole history still, read the fast way.
        None => whole_history(&source, &git_dir, &tips, opts.jobs),
    }
    .map_err(crate::git::ctx("reading history"))?;
    // A ref moved back (or away) leaves commits that are done but no longer
    // selected: then the boundary does not describe what is reachable, and
    // the whole history is read as for a first run.
    if graph.partial
        && !previous.iter().flatten().all(|p| p.tips.iter().all(|t| graph.position(*t).is_some()))
    {
        graph =
            whole_history(&source, &git_dir, &tips, opts.jobs).map_err(crate::git::ctx("reading history"))?;
    }
    let incremental = graph.partial;
    let done = |c: Oid| incremental && done(c);
    drop(source);
    fault::point("apply.graph");
    interrupted()?;
    let mut all_refs = refs.clone();
    for t in tags_into(git, &|c| graph.position(c).is_some() || done(c)) {
        if !all_refs.iter().any(|r| r.name == t.name) {
            all_refs.push(t);
        }
    }
    all_refs.sort_by(|a, b| a.name.cmp(&b.name));
    // Shared by every team's pass: how long each mapping is read, and which
    // of the graph's commits every continuing team's earlier runs did.
    let lifetimes = Arc::new(Lifetimes::new(&graph, all_refs.iter().map(|r| r.commit)));
    let earlier = (!index.is_empty()).then(|| Arc::new(Earlier::new(&graph, &|c| index.done(c))));

    let ctxs: Vec<TeamCtx<'_>> = opts.teams.iter().map(|&t| team_ctx(t, &graph, &all_refs)).collect();
    let jobs = opts.jobs.max(1);

    // Set every team up, then rewrite them all in one pass over history.
    let mut outcomes: Vec<Option<Result<TeamReport, TeamError>>> = ctxs.iter().map(|_| None).collect();
    let mut staged: Vec<(usize, Staged)> = Vec::new();
    for ctx in &ctxs {
        on_event(Event::Started { team: ctx.name.to_string(), total: graph.commits.len() });
    }
    // Creating repositories and linking packs waits on the file system:
    // teams in parallel.
    let previous: Vec<std::sync::Mutex<Option<Previous>>> =
        previous.into_iter().map(std::sync::Mutex::new).collect();
    let teams: Vec<usize> = (0..ctxs.len()).collect();
    let staged_or_not = crate::parallel::map_in_turn(
        &teams,
        jobs,
        || (),
        |_, &i| stage(&ctxs[i], previous[i].lock().expect("previous").take()),
    );
    for (i, result) in staged_or_not.into_iter().enumerate() {
        match result {
            Ok(st) => staged.push((i, st)),
            Err(e) => {
                ctxs[i].remove_staging();
                outcomes[i] = Some(Err(e));
            }
        }
    }
    // Each continuing team's state, streamed into its new one: in parallel.
    let mut opened = crate::parallel::map_in_turn(
        &staged,
        jobs,
        || (),
        |_, (i, st)| {
            let ctx = &ctxs[*i];
            (ctx.mode == HistoryMode::Rewrite && ctx.compat().is_none())
                .then(|| open_history(ctx, &st.staging, st.previous.as_ref(), &lifetimes, earlier.as_ref()))
        },
    );
    let mut k = 0;
    staged.retain_mut(|(i, st)| {
        let opened = opened[k].take();
        k += 1;
        match opened {
            Some(Err(e)) => {
                ctxs[*i].remove_staging();
                outcomes[*i] = Some(Err(e));
                false
            }
            Some(Ok(h)) => {
                st.history = h;
                true
            }
            None => true,
        }
    });
    interrupted()?;
    // Refs, packing and publishing, teams in parallel.
    let finished = std::sync::Mutex::new(Vec::new());
    let finish_team = |(i, st): (usize, Staged), history: Option<Result<History, HistoryError>>| {
        let ctx = &ctxs[i];
        let outcome = match history {
            Some(Err(e)) => Err(TeamError::from(e)),
            _ if ctx.cancelled() => Err(TeamError::Interrupted),
            history => match finish(ctx, st, history.map(|h| h.expect("checked"))) {
                // A monolith ref moved backwards (force-push): old
                // objects could linger unreachable, so start over.
                Err(TeamError::NotFastForward) => rebuild(ctx),
                other => other,
            },
        };
        if outcome.is_err() {
            // A failed team leaves nothing staged (a full disk gets its space back).
            ctx.remove_staging();
        }
        on_event(Event::Finished { team: ctx.name.to_string(), failed: outcome.is_err() });
        finished.lock().expect("finished").push((i, outcome, start.elapsed()));
    };
    // Compat teams follow their tool's rules, and `--history prune` filters
    // tip trees, in `finish`, as deep as the workers do; the others' are
    // rewritten in one pass over history, each finished as soon as its
    // objects are copied, while the others' still are.
    let (engine, others): (Vec<_>, Vec<_>) = staged
        .into_iter()
        .partition(|(i, _)| opts.mode == HistoryMode::Rewrite && ctxs[*i].compat().is_none());
    if !engine.is_empty() {
        let mut engine = engine;
        let passes = engine.iter_mut().map(|(i, st)| ctxs[*i].pass(st)).collect();
        let slots: Vec<std::sync::Mutex<Option<(usize, Staged)>>> =
            engine.into_iter().map(|t| std::sync::Mutex::new(Some(t))).collect();
        let progress = |pos: usize, done: usize| {
            let i = slots[pos].lock().expect("slot").as_ref().map(|(i, _)| *i);
            if let Some(i) = i {
                on_event(Event::Progress { team: ctxs[i].name.to_string(), done });
            }
        };
        // Finishing waits on the disk (every file is synced) more than it
        // computes: threads of its own keep those waits off the copies'
        // way. A first run's finishing also holds each team's whole state,
        // and each thread's allocator arena keeps its peak (glibc): eight
        // threads raised the anonymous memory of the 300k-commit, 50-team
        // bench from about 700 to 850 MiB, so it gets as many as the copies. An
        // incremental run's is nearly all waiting: it gets four times that
        // (five teams finish in one round instead of three on the
        // 70k-commit bench: 15 ms of 150 ms).
        let finishers = if incremental { 4 * jobs } else { jobs };
        crate::parallel::consume(
            finishers.min(slots.len()),
            crate::rewrite::WORKER_STACK,
            |(team, history)| finish_team(team, Some(history)),
            |submit| {
                let done = |pos: usize, history: Result<History, HistoryError>| {
                    submit((
                        slots[pos].lock().expect("slot").take().expect("each team is done once"),
                        history,
                    ));
                };
                rewrite::rewrite_teams(&git_dir, packs, &graph, passes, jobs, &progress, &done);
            },
        );
    }
    crate::parallel::drain(others, jobs.min(ctxs.len()), crate::rewrite::WORKER_STACK, |team| {
        finish_team(team, None)
    });
    // Teams that finished before a Ctrl-C stay published; the rest were not.
    interrupted()?;
    let mut finished = finished.into_inner().expect("finished");
    // Teams that could not even be set up.
    for (i, o) in outcomes.into_iter().enumerate() {
        if let Some(o) = o {
            on_event(Event::Finished { team: ctxs[i].name.to_string(), failed: true });
            finished.push((i, o, start.elapsed()));
        }
    }
    let mut reports: Vec<(usize, TeamReport)> = Vec::new();
    for (i, outcome, elapsed) in finished {
        let ctx = &ctxs[i];
        let report = match outcome {
            Ok(mut r) => {
                r.elapsed = elapsed;
                r
            }
            Err(e) => TeamReport {
                name: ctx.name.to_string(),
                path: ctx.final_path(),
                commits_considered: graph.commits.len(),
                commits_kept: 0,
                files: 0,
                bytes: 0,
                refs: BTreeMap::new(),
                elapsed,
                error: Some(e.to_string()),
                lfs_objects: Vec::new(),
                peak_live: 0,
            },
        };
        reports.push((i, report));
    }
    reports.sort_by_key(|(i, _)| *i);
    let mut ignored = repo.refs_matching("refs/replace/*").unwrap_or_default();
    if git_dir.join("info/grafts").exists() {
        ignored.push("info/grafts".to_string());
    }
    Ok(Report {
        commit: snap.rev.commit.to_string(),
        teams: reports.into_iter().map(|(_, r)| r).collect(),
        unowned,
        ignored,
    })
}

/// The files at the split ref no team keeps, and how many each team
/// (by manifest index) keeps.
fn tip_files(snap: &Snapshot) -> (Vec<String>, Vec<u64>) {
    let a = snap.ownership.assign(&snap.listing);
    let mut kept = vec![0u64; snap.ownership.team_names().len()];
    let mut unowned = Vec::new();
    for (f, o) in snap.listing.files.iter().zip(&a.owners) {
        if o.is_unowned() {
            unowned.push(String::from_utf8_lossy(&f.path).into_owned());
        } else if o.shared {
            kept.iter_mut().for_each(|k| *k += 1);
        } else {
            o.teams.iter().for_each(|&t| kept[usize::from(t)] += 1);
        }
    }
    (unowned, kept)
}
