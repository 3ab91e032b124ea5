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
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use git2::Oid;
use serde::Serialize;

use crate::manifest::Manifest;
use crate::odb::{GitError, Repo, ResolvedRev};

mod finish;
mod out_dir;
mod refs;
mod run;
mod team;
mod unchanged;

use finish::*;
use out_dir::*;
use refs::*;
pub use refs::{SkippedTag, TagSkip, TeamTags, MAX_TAG_CHAIN};
use run::{read_graph, Run};
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
    /// A monolith object could not be read.
    #[error(transparent)]
    Object(#[from] crate::odb::ObjectError),
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
    /// What the manifest's `tags:` made of the monolith's tags.
    pub tags: TeamTags,
    /// Wall time.
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
    /// Why the team failed, if it did.
    pub error: Option<String>,
    /// The monolith object whose absence failed the team (a partial
    /// clone, say), if that is why: the input is incomplete.
    pub missing_object: Option<String>,
    /// The Git LFS objects its pointer files name, across its history.
    pub lfs_objects: Vec<crate::lfs::LfsObject>,
    /// Why the team was built again from nothing when the run could have
    /// continued its previous one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebuilt: Option<String>,
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
    /// The monolith's tags that no team repository gets (a tag of a tree,
    /// say), by name: a tag is never left out without saying so.
    pub tags_skipped: Vec<SkippedTag>,
}

impl Report {
    /// True if any team failed.
    pub fn failed(&self) -> bool {
        self.teams.iter().any(|t| t.error.is_some())
    }

    /// True if a team failed for an object the monolith does not have.
    pub fn incomplete_monolith(&self) -> bool {
        self.teams.iter().any(|t| t.missing_object.is_some())
    }
}

/// Runs `apply`: the phases of module `run`, in order.
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
    let refs = select_refs(repo, manifest, rev)?;
    let tips: Vec<Oid> = refs.iter().map(|r| r.commit).collect();
    let ahead = run::read_ahead(repo, manifest, split, &tips, opts);
    let snap = ahead.snap?;
    let _lock = run::take_out_dir(repo, opts)?;
    let mut run = Run::new(repo, manifest, opts, on_event, &snap, &refs, &ahead.tags);
    let (unchanged, saved_skipped) = run.take_unchanged();
    if run.teams.is_empty() {
        return Ok(run.report(Vec::new(), unchanged, saved_skipped.unwrap_or_default()));
    }
    let previous = run.previous_runs();
    let history = run.read_history(ahead.early, &previous)?;
    let (all_refs, tags_skipped) = run.refs_and_tags(&history, &previous);
    let ctxs: Vec<TeamCtx<'_>> = run.teams.iter().map(|&t| run.team(t, &history.graph, &all_refs)).collect();
    let (staged, failed) = run::stage_teams(&ctxs, previous, &history, opts.jobs.max(1));
    run.interrupted()?;
    let finished = run.rewrite_and_finish(&ctxs, staged, &history);
    let reports = run.team_reports(&ctxs, finished, failed, &history);
    run.record(&reports, &tags_skipped);
    // Teams that finished before a Ctrl-C stay published; the rest were not.
    run.interrupted()?;
    Ok(run.report(reports, unchanged, tags_skipped))
}
