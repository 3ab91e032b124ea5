//! `push`: each team repository `apply` wrote, sent to its remote.
//!
//! The manifest names the remote (`publish.remote`, a template of `{team}`,
//! or a team's own `remote`). Each team's branches and tags go out in one
//! `git push --atomic` run by the user's own git, so credential helpers, SSH
//! configuration and `insteadOf` rewrites apply; several teams at once.
//! What was pushed is recorded in the output directory ([`state`]): a rerun
//! pushes only refs that changed, and leases every update on the recorded
//! id, so a remote that someone else changed since is refused, never
//! overwritten. A ref that no longer descends from what was pushed (a team
//! rebuilt from scratch, a tag moved) is refused unless forced. Credentials
//! in a remote URL never reach a report, an error or the state
//! ([`remote::Redactor`]).

mod remote;
mod run;
pub mod state;
mod team;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::manifest::Manifest;

pub use remote::Redactor;

/// The remote name git is given for the URL (through its environment, so
/// the URL is not on a command line other users can read).
const REMOTE_NAME: &str = "git-split";

/// Why `push` could not run (exit 2): nothing was pushed.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// Selected teams without a remote.
    #[error("{}: no remote for team{} {}: set `publish.remote` (a template such as \"git@github.com:acme/{{team}}.git\") or the team's `remote`", .manifest.display(), if .teams.len() == 1 { "" } else { "s" }, .teams.join(", "))]
    NoRemote {
        /// The manifest.
        manifest: PathBuf,
        /// The teams, in manifest order.
        teams: Vec<String>,
    },
    /// Teams named with `--team` that `apply` has not written.
    #[error("no repository for team{} {} in {}: run `git split apply` first", if .teams.len() == 1 { "" } else { "s" }, .teams.join(", "), .dir.display())]
    NotApplied {
        /// The output directory.
        dir: PathBuf,
        /// The teams.
        teams: Vec<String>,
    },
    /// No selected team has a repository in the output directory.
    #[error("{} holds no team repository to push: run `git split apply` first (or pass its --out)", .0.display())]
    NothingApplied(PathBuf),
    /// Another `apply` or `push` holds the output directory.
    #[error("another git-split apply or push is using {}", .0.display())]
    Locked(PathBuf),
    /// The state file cannot be used.
    #[error("{}: not a push state git-split can read ({reason}); remove it to push as for the first time", .path.display())]
    BadState {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Stopped by [`Options::cancel`]; teams finished before are recorded.
    #[error("interrupted: the teams pushed so far are recorded")]
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

/// What to push.
pub struct Options {
    /// Where `apply` wrote `<team>.git`.
    pub out: PathBuf,
    /// Team indices.
    pub teams: Vec<usize>,
    /// Whether the teams were named (`--team`): then each must have a repository.
    pub named: bool,
    /// Teams pushed at once.
    pub jobs: usize,
    /// Ask each remote what it would do, change nothing, record nothing.
    pub dry_run: bool,
    /// Replace refs that no longer descend from what was pushed.
    pub force: bool,
    /// A git that shows no progress for this long is stopped; its team fails.
    pub timeout: Duration,
    /// Set (by a Ctrl-C handler) to stop: running pushes are stopped.
    pub cancel: Arc<AtomicBool>,
}

/// Progress reported while pushing.
#[derive(Clone, Debug)]
pub enum Event {
    /// A team's push started.
    Started {
        /// Team name.
        team: String,
    },
    /// A team's push ended.
    Finished {
        /// Team name.
        team: String,
        /// How.
        status: TeamStatus,
    },
}

/// How a team's push ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TeamStatus {
    /// Refs were updated (or, with `--dry-run`, would be).
    Pushed,
    /// Nothing to push.
    UpToDate,
    /// Refused, by git-split or by the remote: nothing changed there.
    Rejected,
    /// The push did not happen (remote unreachable, authentication, timeout).
    Failed,
    /// `apply` has written no repository for the team.
    NotApplied,
}

/// What became of one ref.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefStatus {
    /// Created on the remote.
    New,
    /// Fast-forwarded.
    Updated,
    /// Replaced (`--force`).
    Forced,
    /// Already there.
    UpToDate,
    /// Refused; `reason` says why.
    Rejected,
    /// To be sent, but the push failed (the team's `error` says why).
    NotPushed,
}

/// One ref of a team's push.
#[derive(Clone, Debug, Serialize)]
pub struct RefPush {
    /// Full ref name.
    #[serde(rename = "ref")]
    pub name: String,
    /// What the remote held after the last push, if it was recorded.
    pub old: Option<String>,
    /// What the team repository holds (a commit, or an annotated tag).
    pub new: String,
    /// What became of it.
    pub status: RefStatus,
    /// Why it was refused.
    pub reason: Option<String>,
}

/// One team's push.
#[derive(Clone, Debug, Serialize)]
pub struct TeamPush {
    /// Team name.
    pub name: String,
    /// The remote, credentials masked.
    pub remote: String,
    /// How it ended.
    pub status: TeamStatus,
    /// Its refs, by name.
    pub refs: Vec<RefPush>,
    /// Why it failed (git's own message, credentials masked).
    pub error: Option<String>,
}

impl TeamPush {
    /// Refs in `status`.
    pub fn count(&self, status: RefStatus) -> usize {
        self.refs.iter().filter(|r| r.status == status).count()
    }
}

/// The whole run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Nothing was changed or recorded.
    pub dry_run: bool,
    /// Teams, in manifest order.
    pub teams: Vec<TeamPush>,
}

impl Report {
    /// True when a team was rejected or failed.
    pub fn failed(&self) -> bool {
        self.teams.iter().any(|t| matches!(t.status, TeamStatus::Rejected | TeamStatus::Failed))
    }
}

/// A team to push: its repository and remote.
struct Job {
    team: String,
    repo: PathBuf,
    url: String,
    /// Whether `apply` wrote its repository.
    applied: bool,
}

/// Pushes the selected teams' repositories to their remotes.
pub fn push(
    manifest: &Manifest,
    opts: &Options,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<Report, PushError> {
    let jobs = jobs(manifest, opts)?;
    let _lock = crate::apply::lock_out_dir(&opts.out).map_err(|e| match e {
        crate::apply::ApplyError::Locked { dir } => PushError::Locked(dir),
        other => PushError::Io {
            context: format!("locking {}", opts.out.display()),
            source: std::io::Error::other(other.to_string()),
        },
    })?;
    let redactor = Redactor::new(jobs.iter().map(|j| j.url.as_str()));
    let state = Mutex::new(state::load(&opts.out)?);
    let recorded: BTreeMap<String, state::Pushed> = state.lock().expect("state").teams.clone();
    let results = crate::util::parallel::map_in_turn(
        &jobs,
        opts.jobs,
        || (),
        |(), job| {
            let shown = redactor.redact(&job.url);
            let skipped = |status, error: Option<&str>| TeamPush {
                name: job.team.clone(),
                remote: shown.clone(),
                status,
                refs: Vec::new(),
                error: error.map(str::to_string),
            };
            if !job.applied {
                return skipped(TeamStatus::NotApplied, None);
            }
            if opts.cancel.load(Ordering::Relaxed) {
                return skipped(TeamStatus::Failed, Some("interrupted"));
            }
            on_event(Event::Started { team: job.team.clone() });
            // A record of another remote says nothing about this one.
            let earlier = recorded.get(&job.team).filter(|p| p.remote == shown);
            let ctx = team::Ctx { job, shown: &shown, earlier, opts, redactor: &redactor };
            let (mut report, record) = team::push_team(&ctx);
            let record = record.filter(|r| !opts.dry_run && earlier != Some(r));
            if let Some(record) = record {
                let mut st = state.lock().expect("state");
                st.teams.insert(job.team.clone(), record);
                if let Err(e) = state::save(&opts.out, &st) {
                    report.status = TeamStatus::Failed;
                    report.error =
                        Some(format!("pushed, but not recorded: {}", redactor.redact(&e.to_string())));
                }
            }
            on_event(Event::Finished { team: job.team.clone(), status: report.status });
            report
        },
    );
    if opts.cancel.load(Ordering::Relaxed) {
        return Err(PushError::Interrupted);
    }
    Ok(Report { dry_run: opts.dry_run, teams: results })
}

/// The selected teams, each with its remote and repository; refused
/// before anything runs when a team has no remote, a named team was not
/// applied, or none was.
fn jobs(manifest: &Manifest, opts: &Options) -> Result<Vec<Job>, PushError> {
    let mut no_remote = Vec::new();
    let mut jobs = Vec::new();
    for &i in &opts.teams {
        let team = &manifest.teams[i];
        let Some(url) = manifest.remote_of(team) else {
            no_remote.push(team.name.clone());
            continue;
        };
        let repo = team_repo(&opts.out, &team.name);
        let applied = repo.join(crate::apply::MARKER_DIR).is_dir();
        jobs.push(Job { team: team.name.clone(), repo, url, applied });
    }
    if !no_remote.is_empty() {
        return Err(PushError::NoRemote { manifest: manifest.path.clone(), teams: no_remote });
    }
    let missing: Vec<String> = jobs.iter().filter(|j| !j.applied).map(|j| j.team.clone()).collect();
    if opts.named && !missing.is_empty() {
        return Err(PushError::NotApplied { dir: opts.out.clone(), teams: missing });
    }
    if missing.len() == jobs.len() {
        return Err(PushError::NothingApplied(opts.out.clone()));
    }
    Ok(jobs)
}

/// Where `<team>.git` lives in `out`.
pub fn team_repo(out: &Path, team: &str) -> PathBuf {
    out.join(format!("{team}.git"))
}
