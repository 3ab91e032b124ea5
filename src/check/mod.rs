//! `check`: ownership drift findings, judged by the manifest's `policy`.
//!
//! A full check lists the tree of the checked ref once, resolves the
//! manifest against it and assigns every file its owners (as `plan` does,
//! without reading blob sizes). `--since REV` judges only what the change
//! from REV introduced: the findings at the ref that are not findings at REV.
//! When the ownership rules are the same on both sides (the common pull
//! request), that set comes from a tree-to-tree diff alone: an unchanged
//! path keeps its owners, so only added and renamed paths can be new debt,
//! and a pattern can only have gone stale if a deleted path matched it.
//! Nothing walks history, so a shallow clone holding the two commits works.
//! `--against DIR` compares the team repositories `apply` wrote in DIR with
//! what each team keeps at the ref.

use std::path::PathBuf;

use serde::Serialize;

use crate::deps;
use crate::manifest::{Level, Manifest};
use crate::odb::{GitError, Repo, ResolvedRev};
use crate::ownership::{Owner, OwnershipError};

mod against;
mod finding;
mod hints;
mod side;
mod since;

use against::against;
use side::Side;
use since::since;

/// What a finding is about. The order is the order of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A file no team owns and that is not shared (`policy.unowned`).
    Unowned,
    /// A file two or more teams own (`policy.overlap`).
    Overlap,
    /// A `paths` (error) or `exclude` (warning) pattern matching no file.
    StalePattern,
    /// A package that resolves to nothing.
    StalePackage,
    /// A package that resolves, but every file it resolves to is carved out
    /// or excluded: it gives its owner nothing (a warning).
    EmptyPackage,
    /// A package manifest (`package.json`, ...) that could not be parsed.
    SkippedManifest,
    /// A reference from a team's file into a team outside its `depends_on`
    /// (`policy.dependencies`).
    Dependency,
    /// `--against`: a team has no repository in the directory.
    SplitMissingRepo,
    /// `--against`: a team repository holds a file its team does not keep.
    SplitExtra,
    /// `--against`: a team repository lacks a file its team keeps.
    SplitMissing,
}

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the check (exit 1).
    Error,
    /// Reported; the check still passes.
    Warning,
}

/// One piece of drift.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What it is about.
    pub kind: Kind,
    /// Whether it fails the check.
    pub severity: Severity,
    /// The file concerned (a path of the monolith).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The team concerned (`None` for the `shared` section).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The pattern or package concerned, as written in the manifest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// One sentence saying what is wrong.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The owning teams, for an overlap.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<String>,
    /// With `--since`: the path a renamed file had at the base.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// The line of `path` the finding is about (a dependency's reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_line: Option<u32>,
    /// The manifest line of the pattern or package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The manifest column of the pattern or package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
}

impl Finding {
    fn new(kind: Kind, severity: Severity, message: String) -> Finding {
        Finding {
            kind,
            severity,
            path: None,
            team: None,
            pattern: None,
            message,
            hint: None,
            teams: Vec::new(),
            renamed_from: None,
            path_line: None,
            line: None,
            column: None,
        }
    }

    /// What makes two findings the same, across commits (manifest lines move).
    fn key(&self) -> FindingKey<'_> {
        (
            self.kind,
            self.severity,
            self.path.as_deref(),
            self.team.as_deref(),
            self.pattern.as_deref(),
            &self.teams,
        )
    }
}

/// Kind, severity, path, team, pattern and teams: a finding's identity.
type FindingKey<'a> = (Kind, Severity, Option<&'a str>, Option<&'a str>, Option<&'a str>, &'a [String]);

/// The outcome of a check.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Every finding, sorted by kind, then path, team and pattern.
    pub findings: Vec<Finding>,
    /// Findings at error level.
    pub errors: usize,
    /// Findings at warning level.
    pub warnings: usize,
    /// The commit checked.
    #[serde(rename = "ref")]
    pub commit: String,
    /// The revision as named.
    pub ref_name: String,
    /// With `--since`: the base commit; only findings new since it are listed.
    pub since: Option<String>,
    /// With `--since`: the manifest that judged each side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since_manifests: Option<SinceManifests>,
    /// With `--since`: the rename search met its bound (git's
    /// `diff.renameLimit`), so a moved file may be judged as a new one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub renames_limited: bool,
}

/// With `--since`: which manifest judged the ref and which the base.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SinceManifests {
    /// The manifest that judged the ref, as loaded.
    pub head: String,
    /// The one that judged the base: its own version (`<commit>:<path>`),
    /// or the ref's when the base has none that loads.
    pub base: String,
    /// Why the base was judged by the ref's manifest, when its own version
    /// is missing or does not load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What to check besides the tree of the ref.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--since REV`: judge only what changed from REV to the ref.
    pub since: Option<String>,
    /// `--against DIR`: compare the team repositories `apply` wrote there
    /// (not with `since`, which judges a change, not a split).
    pub against: Option<PathBuf>,
    /// Where the manifest lives inside the repository (`ownership.yaml`),
    /// if it does: `--since` reads the base's version from there, and the
    /// file itself is no unowned finding.
    pub manifest_in_repo: Option<String>,
}

/// Why the check could not run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Reading the repository failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The tree could not be read for package resolution.
    #[error(transparent)]
    Ownership(#[from] OwnershipError),
    /// `--since` names a commit this clone does not have.
    #[error("base revision `{rev}` is not in `{}`{}: {fetch}", .repo.display(), if *.shallow { " (a shallow clone)" } else { "" })]
    MissingBase {
        /// As given.
        rev: String,
        /// The repository.
        repo: PathBuf,
        /// Whether the clone is shallow.
        shallow: bool,
        /// What to run to get it.
        fetch: String,
    },
    /// A source file could not be read for the dependency check.
    #[error(transparent)]
    Blob(#[from] deps::BlobError),
    /// `--against` names something that is not an `apply` output directory.
    #[error("`--against {}`: {reason}", .dir.display())]
    Against {
        /// As given.
        dir: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// Checks `rev` against `manifest`.
pub fn check(
    repo: &Repo,
    manifest: &Manifest,
    rev: &ResolvedRev,
    opts: &Options,
) -> Result<Report, CheckError> {
    let (mut findings, since, renames_limited) = match &opts.since {
        None => {
            let head = Side::load(repo, manifest, rev.tree, true)?;
            let mut findings = head.findings(repo, manifest, true)?;
            if let Some(dir) = &opts.against {
                findings.extend(against(manifest, rev, &head, dir)?);
            }
            (findings, None, false)
        }
        Some(base_rev) => {
            let base = repo.resolve(base_rev).map_err(|_| missing_base(repo, base_rev))?;
            let s = since(repo, manifest, rev, &base, opts)?;
            (s.findings, Some((base.commit.to_string(), s.judged)), s.renames_limited)
        }
    };
    // The manifest is the split's own configuration, not a file someone
    // forgot to give a team: unowned, no team repository gets it (it names
    // every team's paths), and that is no drift.
    if let Some(own) = &opts.manifest_in_repo {
        findings.retain(|f| !(f.kind == Kind::Unowned && f.path.as_ref() == Some(own)));
    }
    let mut report = report(findings, rev, since);
    report.renames_limited = renames_limited;
    Ok(report)
}

fn report(mut findings: Vec<Finding>, rev: &ResolvedRev, since: Option<(String, SinceManifests)>) -> Report {
    findings.sort_by(|a, b| {
        (a.kind, &a.path, &a.team, &a.pattern, &a.teams, a.severity)
            .cmp(&(b.kind, &b.path, &b.team, &b.pattern, &b.teams, b.severity))
    });
    findings.dedup();
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    Report {
        warnings: findings.len() - errors,
        errors,
        findings,
        commit: rev.commit.to_string(),
        ref_name: rev.name.clone(),
        since_manifests: since.as_ref().map(|(_, m)| m.clone()),
        since: since.map(|(c, _)| c),
        renames_limited: false,
    }
}

/// What to fetch so that `rev` resolves.
fn missing_base(repo: &Repo, rev: &str) -> CheckError {
    let shallow = repo.is_shallow();
    let name =
        rev.strip_prefix("refs/remotes/origin/").or_else(|| rev.strip_prefix("origin/")).unwrap_or(rev);
    let fetch = if rev.contains(['~', '^', '@', ':']) {
        "fetch the base commit by its id (`git fetch --depth=1 origin <id>`) and pass that id, or deepen the clone (`git fetch --deepen=<n>`)".to_string()
    } else if shallow {
        // Only the base commit and its tree are read: depth 1 is enough.
        format!("fetch it first, for example `git fetch --depth=1 origin {name}`")
    } else {
        format!("fetch it first, for example `git fetch origin {name}`")
    };
    CheckError::MissingBase { rev: rev.to_string(), repo: repo.path().to_path_buf(), shallow, fetch }
}

pub(super) fn lossy(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

pub(super) fn level(l: Level) -> Option<Severity> {
    match l {
        Level::Error => Some(Severity::Error),
        Level::Warn => Some(Severity::Warning),
        Level::Allow => None,
    }
}

/// Names of the owner of a rule, for messages: `course`, or `shared`.
pub(super) fn owner_name(manifest: &Manifest, owner: Owner) -> Option<String> {
    match owner {
        Owner::Shared => None,
        Owner::Team(t) => Some(manifest.teams[t].name.clone()),
    }
}

pub(super) fn whose(team: &Option<String>) -> String {
    match team {
        Some(t) => format!("team `{t}`"),
        None => "`shared`".to_string(),
    }
}
