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
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use git2::{ObjectType, Oid, Repository};
use serde::Serialize;

use crate::fault;
use crate::git::{GitError, Repo, ResolvedRev};
use crate::git_pack::Packs;
use crate::manifest::Compat;
use crate::manifest::Manifest;
use crate::plan::Snapshot;
use crate::rewrite::compat::{self, CompatSplit};
use crate::rewrite::graph::{PackedCommits, SourceGraph};
use crate::rewrite::history::{DoneIndex, Earlier, Lifetimes};
use crate::rewrite::object::Source;
use crate::rewrite::pack::PackSink;
use crate::rewrite::state::{self, Journal, Saved};
use crate::rewrite::{self, History, HistoryError, Job};

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

/// A ref to carry into team repositories.
#[derive(Clone, Debug)]
struct SourceRef {
    name: String,
    /// The commit it (eventually) points to.
    commit: Oid,
    /// The annotated tag object, for tags.
    tag: Option<Oid>,
}

/// The selected refs: the manifest's `monolith.refs` (or `--ref`, or HEAD's
/// branch), plus every tag pointing into their history.
fn select_refs(repo: &Repo, manifest: &Manifest, rev: Option<&str>) -> Result<Vec<SourceRef>, ApplyError> {
    let git = repo.raw();
    let mut names: Vec<String> = Vec::new();
    let wanted: Vec<String> = match rev {
        Some(r) => vec![r.to_string()],
        None if manifest.refs.is_empty() => {
            let head = git.head().map_err(|_| GitError::NoHead { repo: repo.path().to_path_buf() })?;
            vec![head.name().unwrap_or("HEAD").to_string()]
        }
        None => manifest.refs.iter().map(|r| r.value.clone()).collect(),
    };
    for w in &wanted {
        if w.contains(['*', '?', '[']) {
            let found = repo.refs_matching(w)?;
            if found.is_empty() {
                return Err(ApplyError::NoSuchRef(w.clone()));
            }
            names.extend(found);
        } else if let Ok(r) = git.resolve_reference_from_short_name(w) {
            names.push(r.name().map_err(|_| ApplyError::NoSuchRef(w.clone()))?.to_string());
        } else {
            // A revision that is not a ref: split it as a branch named `split`.
            repo.resolve(w)?;
            names.push(format!("refs/heads/split:{w}"));
        }
    }
    let mut out = Vec::new();
    for name in names {
        if let Some((branch, revision)) = name.split_once(':') {
            let r = repo.resolve(revision)?;
            out.push(SourceRef { name: branch.to_string(), commit: r.commit, tag: None });
            continue;
        }
        let r = git.find_reference(&name).map_err(|_| ApplyError::NoSuchRef(name.clone()))?;
        let target = r.target().ok_or_else(|| ApplyError::NoSuchRef(name.clone()))?;
        let commit = r.peel_to_commit().map_err(|_| ApplyError::NoSuchRef(name.clone()))?.id();
        let tag = (target != commit).then_some(target);
        out.push(SourceRef { name, commit, tag });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    Ok(out)
}

/// Tags (lightweight or annotated on a commit) pointing into `commits`.
fn tags_into(repo: &Repository, into: &dyn Fn(Oid) -> bool) -> Vec<SourceRef> {
    let mut out = Vec::new();
    let Ok(refs) = repo.references_glob("refs/tags/*") else { return out };
    for r in refs.flatten() {
        let (Ok(name), Some(target)) = (r.name(), r.target()) else { continue };
        let Ok(commit) = r.peel_to_commit() else { continue };
        if !into(commit.id()) {
            continue;
        }
        let tag = match repo.find_object(target, None).map(|o| o.kind()) {
            Ok(Some(ObjectType::Tag)) => {
                // Only tags directly on a commit are recreated; a tag of a tag is rare
                // and its signature chain cannot survive anyway.
                match repo.find_tag(target) {
                    Ok(t) if t.target_id() == commit.id() => Some(target),
                    _ => continue,
                }
            }
            _ => None,
        };
        out.push(SourceRef { name: name.to_string(), commit: commit.id(), tag });
    }
    out
}

/// Checks the output directory holds only git-split output, creating it if needed.
fn prepare_out(out: &Path, monolith_git_dir: &Path) -> Result<(), ApplyError> {
    fs::create_dir_all(out).map_err(io_err(format!("creating {}", out.display())))?;
    let out_abs = out.canonicalize().map_err(io_err(format!("resolving {}", out.display())))?;
    if let Ok(git_dir) = monolith_git_dir.canonicalize() {
        if out_abs.starts_with(&git_dir) {
            return Err(ApplyError::OutputInsideGitDir(out.to_path_buf()));
        }
    }
    for entry in fs::read_dir(out).map_err(io_err(format!("reading {}", out.display())))? {
        let entry = entry.map_err(io_err(format!("reading {}", out.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name == LOCK_FILE
            || name.starts_with(STAGING_PREFIX)
            || (name.ends_with(".git") && entry.path().join(MARKER_DIR).is_dir());
        if !ours {
            return Err(ApplyError::ForeignOutput { dir: out.to_path_buf(), entry: name });
        }
    }
    Ok(())
}

/// An exclusive advisory lock on the output directory, released on drop
/// (and by the kernel if the process dies). The file is removed on drop,
/// while still locked, so a finished or interrupted run leaves none.
struct Lock {
    file: fs::File,
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        let _ = rustix::fs::flock(&self.file, rustix::fs::FlockOperation::Unlock);
    }
}

fn lock(out: &Path) -> Result<Lock, ApplyError> {
    let path = out.join(LOCK_FILE);
    loop {
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err(format!("opening {}", path.display())))?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive)
            .map_err(|_| ApplyError::Locked { dir: out.to_path_buf() })?;
        // The holder before us removes the file as it unlocks: if ours is
        // no longer the one at `path`, a third run may lock a new one.
        let held = rustix::fs::fstat(&file).map_err(|e| io_err("checking the lock")(e.into()))?;
        match rustix::fs::stat(&path) {
            Ok(now) if now.st_ino == held.st_ino && now.st_dev == held.st_dev => {
                return Ok(Lock { file, path })
            }
            _ => continue,
        }
    }
}

/// Removes what interrupted or failed runs staged: never a finished repository.
fn remove_staging(out: &Path) -> Result<(), ApplyError> {
    for entry in fs::read_dir(out).map_err(io_err("reading the output directory"))?.flatten() {
        if entry.file_name().to_string_lossy().starts_with(STAGING_PREFIX) {
            fs::remove_dir_all(entry.path())
                .map_err(io_err(format!("removing {}", entry.path().display())))?;
        }
    }
    Ok(())
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

#[derive(Clone, Copy)]
struct TeamCtx<'a> {
    manifest: &'a Manifest,
    /// Whether to list the LFS objects of the team's pointer files.
    lfs: bool,
    git_dir: &'a Path,
    out: &'a Path,
    team: usize,
    name: &'a str,
    root: Option<&'a str>,
    labels: bool,
    snap: &'a Snapshot,
    /// Files the team keeps at the split ref: a guess of its share of the work.
    kept_files: u64,
    graph: &'a SourceGraph,
    /// The commits of the selected refs (tags found pointing into them aside).
    tips: &'a [Oid],
    packs: &'a Packs,
    refs: &'a [SourceRef],
    head_branch: Option<&'a str>,
    mode: HistoryMode,
    on_event: &'a (dyn Fn(Event) + Sync),
    cancel: &'a Arc<AtomicBool>,
    /// git subtree joins in the monolith, read once for all `compat: subtree` teams.
    joins: &'a std::sync::OnceLock<Result<compat::Joins, String>>,
}

/// Why one team failed (reported, other teams go on).
#[derive(Debug, thiserror::Error)]
enum TeamError {
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Compat(#[from] compat::CompatError),
    #[error(transparent)]
    Repo(#[from] GitError),
    #[error("{context}: {source}")]
    Git { context: String, source: git2::Error },
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("`git {args}` failed: {stderr}")]
    Command { args: String, stderr: String },
    #[error(transparent)]
    Lfs(#[from] crate::lfs::LfsError),
    /// Internal: the previous output cannot be continued.
    #[error("a monolith ref moved backwards")]
    NotFastForward,
    /// Stopped by [`Options::cancel`].
    #[error("interrupted")]
    Interrupted,
}

fn tgit(context: impl Into<String>) -> impl FnOnce(git2::Error) -> TeamError {
    let context = context.into();
    move |source| TeamError::Git { context, source }
}

fn tio(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> TeamError {
    let context = context.into();
    move |source| TeamError::Io { context, source }
}

/// Bumped whenever the engine would produce different ids for the same
/// input, so saved states from older versions are not continued.
const ENGINE_VERSION: &str = "git-split history 1";

/// Everything that decides a team's rewritten ids, hashed: a saved state is
/// continued only while this is unchanged.
fn fingerprint(ctx: &TeamCtx<'_>) -> String {
    use sha1::{Digest, Sha1};
    let team = &ctx.manifest.teams[ctx.team];
    let mut h = Sha1::new();
    let mut add = |s: &str| {
        h.update(s.as_bytes());
        h.update(b"\0");
    };
    add(ENGINE_VERSION);
    add(&format!("labels={} root={:?} compat={:?}", ctx.labels, team.root, team.compat));
    for (who, rule) in [("shared", &ctx.manifest.shared), ("team", &team.rule)] {
        add(who);
        for p in &rule.paths {
            add(&format!("path {}", p.value.as_str()));
        }
        for p in &rule.exclude {
            add(&format!("exclude {}", p.value.as_str()));
        }
    }
    for p in &ctx.snap.ownership.packages {
        if p.owner == crate::ownership::Owner::Team(ctx.team) || p.owner == crate::ownership::Owner::Shared {
            add(&format!(
                "package {:?} {} {:?} {:?}",
                p.owner == crate::ownership::Owner::Shared,
                p.spec,
                p.resolution.dirs,
                p.resolution.carve_outs
            ));
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Where team `name`'s repository is published under `out`.
fn team_repo(out: &Path, name: &str) -> PathBuf {
    out.join(format!("{name}.git"))
}

/// What the previous run left for this team, if it can be continued.
struct Previous {
    /// The commits its refs pointed at (history engine).
    tips: Vec<Oid>,
    /// Its state (history engine).
    saved: Option<Arc<Saved>>,
    /// The saved split of a `compat` team.
    compat: Option<CompatSplit>,
    refs: BTreeMap<String, Oid>,
}

/// Where a team repository keeps its state.
fn state_path(repo: &Path) -> PathBuf {
    repo.join(MARKER_DIR).join(state::STATE)
}

/// The previous run of a team, if it can be continued: a history engine
/// team's state is opened, a `compat` team's is loaded. A state that
/// cannot be read is no state: the team is built again.
fn load_previous(final_path: &Path, fingerprint: &str, compat: Option<Compat>) -> Option<Previous> {
    let (saved, compat) = match compat {
        Some(c) => {
            let state = fs::read_to_string(state_path(final_path)).ok()?;
            (CompatSplit::state_fingerprint(&state)? == fingerprint).then_some(())?;
            (None, Some(CompatSplit::from_state(c, &state).ok()?))
        }
        None => {
            let dir = final_path.join(MARKER_DIR);
            // Continuing copies the commit map: it must be there.
            dir.join(state::COMMIT_MAP).is_file().then_some(())?;
            (Some(Arc::new(Saved::open(&dir, fingerprint).ok()??)), None)
        }
    };
    let tips = saved.as_ref().map_or_else(Vec::new, |s| s.tips().to_vec());
    let repo = Repository::open_bare(final_path).ok()?;
    let mut refs = BTreeMap::new();
    for r in repo.references().ok()?.flatten() {
        if let (Ok(name), Some(target)) = (r.name(), r.target()) {
            refs.insert(name.to_string(), target);
        }
    }
    Some(Previous { tips, saved, compat, refs })
}

/// A team's staging repository, ready for the history engine.
struct Staged {
    staging: PathBuf,
    /// Pack files linked from the previous repository.
    linked: Vec<std::ffi::OsString>,
    /// The previous repository's refs (empty on a first run).
    old_refs: BTreeMap<String, Oid>,
    /// The previous run's state, for the history engine.
    previous: Option<Arc<Saved>>,
    /// The team's history, once opened (see `open_history`).
    history: History,
    /// Where the previous run got to, for a `compat` team.
    compat: Option<CompatSplit>,
}

impl TeamCtx<'_> {
    fn compat(&self) -> Option<Compat> {
        self.manifest.teams[self.team].compat
    }

    /// Does the team's repository get its monolith objects from
    /// `git pack-objects` (borrowing them through alternates meanwhile)?
    fn packs_with_git(&self) -> bool {
        self.mode == HistoryMode::Prune || self.compat().is_some()
    }

    fn final_path(&self) -> PathBuf {
        team_repo(self.out, self.name)
    }

    fn staging_path(&self) -> PathBuf {
        self.out.join(format!("{STAGING_PREFIX}{}", self.name))
    }

    /// Best effort: the next run removes whatever is left anyway.
    fn remove_staging(&self) {
        let _ = fs::remove_dir_all(self.staging_path());
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// Between phases: stop here if asked to.
    fn check(&self) -> Result<(), TeamError> {
        if self.cancelled() {
            return Err(TeamError::Interrupted);
        }
        Ok(())
    }

    fn pass(&self, st: &mut Staged) -> rewrite::TeamPass<'_> {
        rewrite::TeamPass {
            job: Job {
                ownership: &self.snap.ownership,
                team: self.team,
                root: self.root,
                labels: self.labels,
            },
            history: std::mem::take(&mut st.history),
            out: st.staging.clone(),
            cancel: self.cancel.clone(),
            weight: self.kept_files,
        }
    }
}

/// Creates the team's staging repository: borrowing the monolith's objects
/// and, when continuing, the previous repository's packs.
fn stage(ctx: &TeamCtx<'_>, previous: Option<Previous>) -> Result<Staged, TeamError> {
    let staging = ctx.staging_path();
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(tio(format!("removing {}", staging.display())))?;
    }
    // Not from git's templates: those are the machine's (init.templateDir,
    // /usr/share/git-core/templates), hooks included, and would be published.
    let mut init = git2::RepositoryInitOptions::new();
    init.bare(true).external_template(false);
    Repository::init_opts(&staging, &init).map_err(tgit(format!("creating {}", staging.display())))?;
    if ctx.packs_with_git() {
        // Borrow the monolith's objects until `git pack-objects` copies
        // in what the refs reach.
        let objects =
            ctx.git_dir.join("objects").canonicalize().map_err(tio("resolving the monolith's objects"))?;
        fs::write(staging.join(ALTERNATES), format!("{}\n", objects.display()))
            .map_err(tio("writing alternates"))?;
    }
    // The previous repository's packs are complete and immutable: link them.
    let mut linked = Vec::new();
    if previous.is_some() {
        let old_packs = ctx.final_path().join("objects/pack");
        for e in fs::read_dir(&old_packs).map_err(tio("listing the previous packs"))?.flatten() {
            let name = e.file_name();
            let dest = staging.join("objects/pack").join(&name);
            fs::hard_link(e.path(), &dest)
                .or_else(|_| fs::copy(e.path(), &dest).map(|_| ()))
                .map_err(tio(format!("linking {}", e.path().display())))?;
            linked.push(name);
        }
    }
    let (previous, compat, old_refs) = match previous {
        Some(p) => (p.saved, p.compat, p.refs),
        None => Default::default(),
    };
    fault::point("apply.staged");
    Ok(Staged { staging, linked, old_refs, previous, history: History::default(), compat })
}

/// A history engine team's history: its commit map and state started in
/// the staging repository, continuing the `previous` state if there is one.
fn open_history(
    ctx: &TeamCtx<'_>,
    staging: &Path,
    previous: Option<&Arc<Saved>>,
    lifetimes: &Arc<Lifetimes>,
    earlier: Option<&Arc<Earlier>>,
) -> Result<History, TeamError> {
    let fp = fingerprint(ctx);
    let dir = staging.join(MARKER_DIR);
    Ok(match (previous, earlier) {
        (Some(saved), Some(earlier)) => {
            let map = ctx.final_path().join(MARKER_DIR).join(state::COMMIT_MAP);
            let journal = Journal::create(&dir, &fp, ctx.tips, Some(&map)).map_err(HistoryError::from)?;
            History::resume(saved.clone(), ctx.graph, earlier.clone(), lifetimes.clone(), journal)
        }
        _ => History::new(
            lifetimes.clone(),
            Journal::create(&dir, &fp, ctx.tips, None).map_err(HistoryError::from)?,
        ),
    })
}

/// Builds a team again from nothing, alone.
fn rebuild(ctx: &TeamCtx<'_>) -> Result<TeamReport, TeamError> {
    // An incremental run read only the grown history; this team needs all.
    let whole;
    let ctx = &if ctx.graph.partial {
        let repo = Repository::open(ctx.git_dir).map_err(tgit("opening the monolith"))?;
        let source = Source::new(&repo, ctx.packs).map_err(tgit("opening the monolith's objects"))?;
        // Other teams may be finishing alongside: one thread.
        whole = whole_history(&source, ctx.git_dir, ctx.tips, 1).map_err(tgit("reading history"))?;
        TeamCtx { graph: &whole, ..*ctx }
    } else {
        *ctx
    };
    let mut st = stage(ctx, None)?;
    let history = match ctx.mode {
        HistoryMode::Rewrite if ctx.compat().is_some() => None,
        HistoryMode::Rewrite => {
            let lifetimes = Arc::new(Lifetimes::new(ctx.graph, ctx.refs.iter().map(|r| r.commit)));
            st.history = open_history(ctx, &st.staging, None, &lifetimes, None)?;
            let progress =
                |_: usize, done: usize| (ctx.on_event)(Event::Progress { team: ctx.name.to_string(), done });
            let pass = vec![ctx.pass(&mut st)];
            let history = std::sync::Mutex::new(None);
            rewrite::rewrite_teams(ctx.git_dir, ctx.packs, ctx.graph, pass, 1, &progress, &|_, h| {
                *history.lock().expect("history") = Some(h);
            });
            Some(history.into_inner().expect("history").expect("one team")?)
        }
        HistoryMode::Prune => None,
    };
    finish(ctx, st, history)
}

/// Writes refs, the commit map and state, packs and publishes a team whose
/// history (`None` for `--history prune`) is written into its staging
/// repository.
fn finish(ctx: &TeamCtx<'_>, st: Staged, history: Option<History>) -> Result<TeamReport, TeamError> {
    let emit = |e| (ctx.on_event)(e);
    ctx.check()?;
    let Staged { staging, linked, old_refs, compat, .. } = st;
    let final_path = ctx.final_path();
    let out = Repository::open_bare(&staging).map_err(tgit("reopening the staging repository"))?;
    let src = Repository::open(ctx.git_dir).map_err(tgit("opening the monolith"))?;

    let mut written_refs = BTreeMap::new();
    let mut peak_live = 0;
    // The commit map and state to write, unless they are written already.
    let (considered, kept, map_lines, state) = match history {
        None if ctx.mode == HistoryMode::Rewrite => {
            let (considered, kept, map, state) =
                compat_history(&src, &out, ctx, &fingerprint(ctx), compat, &mut written_refs)?;
            (considered, kept, Some(map), state)
        }
        Some(mut history) => {
            write_refs(
                &src,
                &out,
                ctx,
                &|c| history.get(ctx.graph, &c).and_then(|m| m.target),
                &mut written_refs,
            )?;
            // Both were written as the pass went; they are finished (and
            // named) here, in the staging repository.
            let marker = staging.join(MARKER_DIR);
            let map_path = marker.join(state::COMMIT_MAP);
            fault::io_point("finish.commit-map").map_err(tio(format!("writing {}", map_path.display())))?;
            history.close_map()?;
            let state_path = marker.join(state::STATE);
            fault::io_point("finish.state").map_err(tio(format!("writing {}", state_path.display())))?;
            history.close_state()?;
            peak_live = history.peak_live();
            (history.len(), history.kept(), None, None)
        }
        None => {
            let kept = prune_history(&src, &out, ctx, &mut written_refs)?;
            (ctx.graph.commits.len(), kept, Some(state::commit_map_header()), None)
        }
    };
    // Every previous ref must still be reachable from the new ones, or the
    // linked packs would carry objects no ref reaches.
    let new_refs: BTreeMap<String, Oid> = out
        .references()
        .map_err(tgit("listing refs"))?
        .flatten()
        .filter_map(|r| Some((r.name().ok()?.to_string(), r.target()?)))
        .collect();
    let new_ids: Vec<Oid> = new_refs.values().copied().collect();
    for old in old_refs.values() {
        let still = new_ids.iter().any(|n| n == old || out.graph_descendant_of(*n, *old).unwrap_or(false));
        if !still {
            drop(out);
            fs::remove_dir_all(&staging).map_err(tio("removing the staging repository"))?;
            return Err(TeamError::NotFastForward);
        }
    }
    let same_state = || match &state {
        Some(s) => fs::read_to_string(state_path(&final_path)).ok().as_ref() == Some(s),
        None => same_file(&state_path(&staging), &state_path(&final_path)),
    };
    if !linked.is_empty() && new_refs == old_refs && same_state() {
        // Nothing new for this team: keep the previous repository as it is.
        // (New commits that all were dropped still change the commit map.)
        drop(out);
        fs::remove_dir_all(&staging).map_err(tio("removing the staging repository"))?;
        return report_existing(ctx, &final_path, considered, kept, written_refs, peak_live);
    }
    if let Some(head) = ctx.head_branch.filter(|h| written_refs.contains_key(*h)) {
        out.set_head(head).map_err(tgit("setting HEAD"))?;
    }
    fault::point("finish.refs");
    ctx.check()?;
    let marker = staging.join(MARKER_DIR);
    fs::create_dir_all(&marker).map_err(tio("creating the split directory"))?;
    if let Some(map_lines) = map_lines {
        let map_path = marker.join(state::COMMIT_MAP);
        fault::io_point("finish.commit-map")
            .and_then(|_| fs::write(&map_path, map_lines))
            .map_err(tio(format!("writing {}", map_path.display())))?;
    }
    if let Some(state) = state {
        let state_path = marker.join(state::STATE);
        fault::io_point("finish.state")
            .and_then(|_| fs::write(&state_path, state))
            .map_err(tio(format!("writing {}", state_path.display())))?;
    }
    fault::point("finish.written");
    ctx.check()?;

    emit(Event::Phase { team: ctx.name.to_string(), phase: "packing" });
    if ctx.packs_with_git() {
        pack_reachable(&staging, &new_ids, &[], &[])?;
        fault::point("finish.packed");
        fs::remove_file(staging.join(ALTERNATES)).map_err(tio("removing alternates"))?;
    } else if pack_count(&staging)? > MAX_PACKS {
        // Each incremental run adds a pack (two with tags); git slows down
        // with hundreds. Fold them into one now and then.
        pack_reachable(&staging, &new_ids, &[], &[])?;
        fault::point("finish.packed");
    }
    drop(out);
    // Reflogs appear when the user's config asks for them on every ref
    // (core.logAllRefUpdates=always); they would publish who ran apply, when.
    match fs::remove_dir_all(staging.join("logs")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(tio("removing reflogs")(e)),
        _ => {}
    }
    let (files, bytes) = tip_stats(ctx, &staging, &written_refs)?;
    let lfs_objects = if ctx.lfs { crate::lfs::objects_in(&staging)? } else { Vec::new() };
    fault::point("finish.ready");
    ctx.check()?;

    emit(Event::Phase { team: ctx.name.to_string(), phase: "publishing" });
    sync_tree(&staging)?;
    publish(&staging, &final_path)?;
    fault::point("finish.published");
    Ok(TeamReport {
        name: ctx.name.to_string(),
        path: final_path,
        commits_considered: considered,
        commits_kept: kept,
        files,
        bytes,
        refs: written_refs,
        elapsed: Duration::ZERO,
        error: None,
        lfs_objects,
        peak_live,
    })
}

fn tip_stats(
    ctx: &TeamCtx<'_>,
    repo: &Path,
    refs: &BTreeMap<String, String>,
) -> Result<(u64, u64), TeamError> {
    let Some(tip) = ctx.head_branch.and_then(|h| refs.get(h)) else { return Ok((0, 0)) };
    let team = Repo::open(repo)?;
    let tree = team.resolve(tip)?.tree;
    let listing = team.list_tree(tree)?;
    Ok((listing.files.len() as u64, listing.files.iter().map(|f| f.size).sum()))
}

fn report_existing(
    ctx: &TeamCtx<'_>,
    final_path: &Path,
    considered: usize,
    kept: usize,
    refs: BTreeMap<String, String>,
    peak_live: usize,
) -> Result<TeamReport, TeamError> {
    let (files, bytes) = tip_stats(ctx, final_path, &refs)?;
    let lfs_objects = if ctx.lfs { crate::lfs::objects_in(final_path)? } else { Vec::new() };
    Ok(TeamReport {
        name: ctx.name.to_string(),
        path: final_path.to_path_buf(),
        commits_considered: considered,
        commits_kept: kept,
        files,
        bytes,
        refs,
        elapsed: Duration::ZERO,
        error: None,
        lfs_objects,
        peak_live,
    })
}

/// Packs every object the new refs reach that the old refs did not (those
/// are in the linked packs), copying monolith objects in through the
/// alternate and reusing their deltas; then drops every other unlinked pack.
/// Packs a team repository may gather over incremental runs before they
/// are folded into one.
const MAX_PACKS: usize = 16;

fn pack_count(repo: &Path) -> Result<usize, TeamError> {
    Ok(fs::read_dir(repo.join("objects/pack"))
        .map_err(tio("listing packs"))?
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "pack"))
        .count())
}

fn pack_reachable(
    staging: &Path,
    new: &[Oid],
    old: &[Oid],
    linked: &[std::ffi::OsString],
) -> Result<(), TeamError> {
    let pack_dir = staging.join("objects/pack");
    let before: Vec<PathBuf> = fs::read_dir(&pack_dir)
        .map_err(tio("listing packs"))?
        .flatten()
        .filter(|e| !linked.contains(&e.file_name()))
        .map(|e| e.path())
        .collect();
    let mut input = String::new();
    for n in new {
        input.push_str(&format!("{n}\n"));
    }
    for o in old {
        input.push_str(&format!("^{o}\n"));
    }
    let mut cmd = Command::new("git");
    cmd.arg("--git-dir")
        .arg(staging)
        .args(["pack-objects", "--revs", "-q", "--delta-base-offset"])
        .arg(pack_dir.join("pack"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    die_with_parent(&mut cmd);
    let mut child = cmd.spawn().map_err(tio("running git pack-objects"))?;
    fault::point("pack-objects.started");
    std::io::Write::write_all(child.stdin.as_mut().expect("piped"), input.as_bytes())
        .map_err(tio("feeding git pack-objects"))?;
    drop(child.stdin.take());
    let out = child.wait_with_output().map_err(tio("running git pack-objects"))?;
    if !out.status.success() {
        return Err(TeamError::Command {
            args: "pack-objects --revs".into(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
    fault::point("pack-objects.done");
    for p in before {
        if !p.to_string_lossy().contains(&name) {
            fs::remove_file(&p).map_err(tio(format!("removing {}", p.display())))?;
        }
    }
    Ok(())
}

/// Makes a child writing into a staging directory die with us. Otherwise a
/// killed run leaves `git pack-objects` writing a pack into the staging
/// directory the next run is deleting (and fails it: "Directory not empty").
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: only async-signal-safe calls between fork and exec; no allocation.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent died before the prctl: nobody will wait for us.
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// Swaps the finished staging repository into place: atomic for readers,
/// and the previous repository is complete until the exchange.
/// Flushes every file and directory under `dir` to disk. A repository is
/// published by a rename that replaces the previous one: without this, a
/// power cut soon after could leave the rename done and the files empty
/// (git syncs its packs and refs for the same reason).
fn sync_tree(dir: &Path) -> Result<(), TeamError> {
    let sync = |path: &Path| {
        fs::File::open(path).and_then(|f| f.sync_all()).map_err(tio(format!("syncing {}", path.display())))
    };
    for entry in fs::read_dir(dir).map_err(tio(format!("reading {}", dir.display())))? {
        let entry = entry.map_err(tio(format!("reading {}", dir.display())))?;
        let kind = entry.file_type().map_err(tio(format!("reading {}", dir.display())))?;
        if kind.is_dir() {
            sync_tree(&entry.path())?;
        } else if kind.is_file() {
            sync(&entry.path())?;
        }
    }
    sync(dir)
}

fn publish(staging: &Path, final_path: &Path) -> Result<(), TeamError> {
    fault::io_point("publish").map_err(tio(format!("moving into {}", final_path.display())))?;
    if final_path.exists() {
        rustix::fs::renameat_with(
            rustix::fs::CWD,
            staging,
            rustix::fs::CWD,
            final_path,
            rustix::fs::RenameFlags::EXCHANGE,
        )
        .map_err(|e| TeamError::Io {
            context: format!("replacing {}", final_path.display()),
            source: e.into(),
        })?;
        // `staging` now holds the previous repository.
        fault::point("publish.exchanged");
        fs::remove_dir_all(staging).map_err(tio("removing the previous repository"))?;
    } else {
        fs::rename(staging, final_path).map_err(tio(format!("moving into {}", final_path.display())))?;
    }
    // The rename itself is an entry of the output directory.
    match final_path.parent() {
        Some(out) => {
            fs::File::open(out).and_then(|f| f.sync_all()).map_err(tio(format!("syncing {}", out.display())))
        }
        None => Ok(()),
    }
}

/// Do two files hold the same bytes? (False if either cannot be read.)
fn same_file(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let (Ok(fa), Ok(fb)) = (fs::File::open(a), fs::File::open(b)) else { return false };
    match (fa.metadata(), fb.metadata()) {
        (Ok(ma), Ok(mb)) if ma.len() == mb.len() => {}
        _ => return false,
    }
    let (mut ra, mut rb) = (std::io::BufReader::new(fa), std::io::BufReader::new(fb));
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let Ok(n) = ra.read(&mut ba) else { return false };
        if n == 0 {
            return true;
        }
        if rb.read_exact(&mut bb[..n]).is_err() || ba[..n] != bb[..n] {
            return false;
        }
    }
}

/// A `compat` team: the split, its refs, commit map and state.
fn compat_history(
    src: &Repository,
    out: &Repository,
    ctx: &TeamCtx<'_>,
    fp: &str,
    start: Option<CompatSplit>,
    written: &mut BTreeMap<String, String>,
) -> Result<(usize, usize, String, Option<String>), TeamError> {
    let team = &ctx.manifest.teams[ctx.team];
    let (Some(c), Some(dir)) = (team.compat, team.root.as_deref()) else {
        unreachable!("the manifest gives every compat team a root")
    };
    let continued = start.is_some();
    let start = start.unwrap_or_else(|| CompatSplit::new(c));
    let before = start.order.len();
    let joins = match c {
        Compat::Subtree => Some(
            ctx.joins
                .get_or_init(|| compat::subtree_joins(src, ctx.graph).map_err(|e| e.to_string()))
                .as_ref()
                .map_err(|e| compat::CompatError::Failed(e.clone()))?,
        ),
        Compat::SplitshLegacy => None,
    };
    let split = compat::run(src, out, dir, start, ctx.graph, joins, &mut |done| {
        (ctx.on_event)(Event::Progress { team: ctx.name.to_string(), done })
    })?;
    let mut targets = std::collections::HashMap::new();
    for r in ctx.refs {
        let mut failed = None;
        let target = split.ref_target(r.commit, || {
            compat::tool_walk(src, ctx.git_dir, c, r.commit).unwrap_or_else(|e| {
                failed = Some(e);
                Vec::new()
            })
        });
        if let Some(e) = failed {
            return Err(e.into());
        }
        targets.insert(r.commit, target);
    }
    // A previous run kept only what its refs reached: a new commit onto a
    // split commit it dropped (an old branch merged again) needs a rebuild.
    if continued {
        let odb = out.odb().map_err(tgit("opening the staging odb"))?;
        if !split.missing_parents(before, &|p| odb.exists(p)).is_empty() {
            return Err(TeamError::NotFastForward);
        }
    }
    write_refs(src, out, ctx, &|tip| targets.get(&tip).copied().flatten(), written)?;
    // Commits no ref reaches are not kept: the map says so with zeros.
    let reachable = split.reachable(targets.values().flatten().copied());
    let zero = "0".repeat(40);
    let mut map = state::commit_map_header();
    for c in &split.order {
        let new = split.map[c]
            .new_commit()
            .filter(|n| reachable.contains(n))
            .map_or(zero.clone(), |n| n.to_string());
        map.push_str(&format!("{c} {new}\n"));
    }
    Ok((split.order.len(), reachable.len(), map, Some(split.to_state(fp))))
}

fn write_refs(
    src: &Repository,
    out: &Repository,
    ctx: &TeamCtx<'_>,
    target_of: &dyn Fn(Oid) -> Option<Oid>,
    written: &mut BTreeMap<String, String>,
) -> Result<(), TeamError> {
    let mut sink = PackSink::new(out.path()).map_err(HistoryError::from)?;
    let mut ids = Vec::new();
    for r in ctx.refs {
        let Some(target) = target_of(r.commit) else { continue };
        let id = match r.tag {
            Some(tag) => recreate_tag(src, &mut sink, tag, target)?,
            None => target,
        };
        ids.push((r, id, target));
    }
    sink.finish().map_err(HistoryError::from)?;
    for (r, id, target) in ids {
        out.reference(&r.name, id, true, "git-split apply").map_err(tgit(format!("writing {}", r.name)))?;
        fault::point("finish.ref");
        written.insert(r.name.clone(), target.to_string());
    }
    Ok(())
}

/// An annotated tag with the same name, tagger and message on the rewritten
/// commit; a signature cannot survive and is dropped.
fn recreate_tag(src: &Repository, out: &mut PackSink, tag: Oid, target: Oid) -> Result<Oid, TeamError> {
    let odb = src.odb().map_err(tgit("opening the monolith odb"))?;
    let obj = odb.read(tag).map_err(tgit(format!("reading tag {tag}")))?;
    let data = obj.data();
    let split = data.windows(2).position(|w| w == b"\n\n").map_or(data.len(), |p| p + 1);
    let (header, message) = data.split_at(split);
    let mut buf = Vec::with_capacity(data.len());
    for line in header.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if line.starts_with(b"object ") {
            buf.extend_from_slice(format!("object {target}\n").as_bytes());
        } else {
            buf.extend_from_slice(line);
            buf.push(b'\n');
        }
    }
    let mut message = message.to_vec();
    for marker in [
        &b"-----BEGIN PGP SIGNATURE-----"[..],
        b"-----BEGIN SSH SIGNATURE-----",
        b"-----BEGIN SIGNED MESSAGE-----",
    ] {
        if let Some(p) = message.windows(marker.len()).position(|w| w == marker) {
            message.truncate(p);
        }
    }
    buf.extend_from_slice(&message);
    Ok(out.write(ObjectType::Tag, &buf).map_err(HistoryError::from)?)
}

/// `--history prune`: the monolith's history as is, plus one commit on top
/// of each branch deleting every file the team does not keep.
fn prune_history(
    src: &Repository,
    out: &Repository,
    ctx: &TeamCtx<'_>,
    written: &mut BTreeMap<String, String>,
) -> Result<usize, TeamError> {
    let mut filter = crate::rewrite::tree::TreeFilter::new(&ctx.snap.ownership, ctx.team, ctx.root);
    let mut sink = PackSink::new(out.path()).map_err(HistoryError::from)?;
    let odb = Source::new(src, ctx.packs).map_err(tgit("opening the monolith's objects"))?;
    let mut ids = Vec::new();
    {
        for r in ctx.refs {
            let tip = src.find_commit(r.commit).map_err(tgit(format!("reading {}", r.commit)))?;
            if !r.name.starts_with("refs/heads/") {
                ids.push((r, r.tag.unwrap_or(r.commit), r.commit));
                continue;
            }
            let tree = match filter.filter(&odb, &mut sink, tip.tree_id()).map_err(HistoryError::from)? {
                Some(t) => t,
                None => sink.write(ObjectType::Tree, &[]).map_err(HistoryError::from)?,
            };
            // The committer of the tip signs the deletion: deterministic, unlike "now".
            let mut raw = format!("tree {tree}\nparent {}\n", tip.id()).into_bytes();
            for line in tip.raw_header_bytes().split(|&b| b == b'\n') {
                if line.starts_with(b"committer ") {
                    raw.extend_from_slice(b"author ");
                    raw.extend_from_slice(&line[b"committer ".len()..]);
                    raw.push(b'\n');
                    raw.extend_from_slice(line);
                    raw.push(b'\n');
                }
            }
            raw.extend_from_slice(
                format!(
                    "\nSplit for team {}: keep only what it owns\n\n{}: {}\n",
                    ctx.name,
                    crate::rewrite::LABEL_KEY,
                    tip.id()
                )
                .as_bytes(),
            );
            let id = sink.write(ObjectType::Commit, &raw).map_err(HistoryError::from)?;
            ids.push((r, id, id));
        }
    }
    sink.finish().map_err(HistoryError::from)?;
    for (r, id, peeled) in ids {
        out.reference(&r.name, id, true, "git-split apply").map_err(tgit(format!("writing {}", r.name)))?;
        fault::point("finish.ref");
        written.insert(r.name.clone(), peeled.to_string());
    }
    // Every monolith commit is kept; the deletions on top are not monolith
    // commits, and counting them would report more kept than considered.
    Ok(ctx.graph.commits.len())
}
