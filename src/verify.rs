//! `verify`: re-derive team repositories from the monolith and compare.
//!
//! The expected content of a team commit is computed from a flat listing of
//! the monolith commit's tree and
//! [`Ownership::assign`](crate::ownership::Ownership::assign), not with the
//! history engine's memoised tree filter, so a bug in one is caught by the
//! other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use git2::Oid;
use serde::Serialize;

use crate::manifest::Manifest;
use crate::odb::{FileKind, GitError, Repo, TreeListing};
use crate::ownership::Owners;
use crate::plan::Snapshot;

/// Commits checked per team besides the tips.
pub const SAMPLE: usize = 24;

/// One difference found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The team.
    pub team: String,
    /// The monolith commit concerned, if any.
    pub commit: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// The outcome of `verify`.
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    /// Teams whose repository was found and checked.
    pub teams_checked: Vec<String>,
    /// Commits compared, over all teams.
    pub commits_checked: usize,
    /// Everything that differs.
    pub differences: Vec<Difference>,
}

/// Why verify could not run.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Reading the monolith failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// No team repository in the directory.
    #[error("no team repository of this manifest in `{}`", .0.display())]
    NothingToVerify(PathBuf),
}

type Files = BTreeMap<Vec<u8>, (FileKind, Oid)>;

fn listing_files(l: &TreeListing) -> Files {
    l.files.iter().map(|f| (f.path.clone(), (f.kind, f.oid))).collect()
}

/// The files a team keeps of a monolith tree (whose owners are `owners`),
/// with `root` hoisted.
fn expected(listing: &TreeListing, owners: &[Owners], team: usize, root: Option<&str>) -> Files {
    crate::plan::team_files(listing, owners, team, root).map(|(path, f)| (path, (f.kind, f.oid))).collect()
}

fn describe(expected: &Files, actual: &Files) -> String {
    let missing: Vec<String> = expected
        .keys()
        .filter(|k| !actual.contains_key(*k))
        .take(3)
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect();
    let extra: Vec<String> = actual
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .take(3)
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect();
    let changed: Vec<String> = expected
        .iter()
        .filter(|(k, v)| actual.get(*k).is_some_and(|a| a != *v))
        .take(3)
        .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
        .collect();
    format!("missing {missing:?}, unexpected {extra:?}, different {changed:?}")
}

/// Verifies every team repository of `manifest` found in `out`.
pub fn verify(
    repo: &Repo,
    manifest: &Manifest,
    snap: &Snapshot,
    out: &Path,
) -> Result<Verification, VerifyError> {
    let mut v = Verification { teams_checked: Vec::new(), commits_checked: 0, differences: Vec::new() };
    let mut kept_somewhere: BTreeSet<Vec<u8>> = BTreeSet::new();
    let tip_listing = &snap.listing;
    // The split ref's owners serve every team and the final check.
    let tip_owners = snap.ownership.assign(tip_listing).owners;
    // Teams are checked in parallel: each sampled commit lists a whole
    // monolith tree, which at 100k files and 50 teams adds up. A libgit2
    // handle is not shared between threads: each opens its own.
    let monolith_path = repo.path();
    let teams: Vec<usize> = (0..manifest.teams.len()).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let results = crate::util::parallel::map_in_turn(
        &teams,
        threads,
        || None,
        |monolith: &mut Option<Repo>, &t| {
            let monolith = match monolith {
                Some(m) => m,
                None => monolith.insert(Repo::open(monolith_path)?),
            };
            check_team(monolith, manifest, snap, &tip_owners, out, t)
        },
    );
    for r in results {
        let Some(c) = r? else { continue };
        v.teams_checked.push(c.team);
        v.commits_checked += c.commits_checked;
        v.differences.extend(c.differences);
        kept_somewhere.extend(c.kept_at_tip);
    }
    if v.teams_checked.is_empty() {
        return Err(VerifyError::NothingToVerify(out.to_path_buf()));
    }
    // Nothing lost silently: every file at the split ref is in a checked
    // team repository, or nobody owns it.
    if v.teams_checked.len() == manifest.teams.len() {
        for (f, o) in tip_listing.files.iter().zip(&tip_owners) {
            if !o.is_unowned() && !kept_somewhere.contains(&f.path) {
                let owner_root_only = manifest
                    .teams
                    .iter()
                    .enumerate()
                    .filter(|(t, _)| o.kept_by(*t))
                    .all(|(_, team)| team.root.is_some());
                // A file kept only by root teams outside their root is reported by plan.
                if !owner_root_only {
                    v.differences.push(Difference {
                        team: "-".into(),
                        commit: Some(snap.rev.commit.to_string()),
                        message: format!(
                            "{} is owned but in no team repository",
                            String::from_utf8_lossy(&f.path)
                        ),
                    });
                }
            }
        }
    }
    Ok(v)
}

/// What checking one team found.
struct TeamCheck {
    team: String,
    commits_checked: usize,
    differences: Vec<Difference>,
    /// The files of the team's tip, as monolith paths.
    kept_at_tip: BTreeSet<Vec<u8>>,
}

/// Checks team `t`'s repository in `out`; `None` when there is none.
fn check_team(
    repo: &Repo,
    manifest: &Manifest,
    snap: &Snapshot,
    tip_owners: &[Owners],
    out: &Path,
    t: usize,
) -> Result<Option<TeamCheck>, VerifyError> {
    let team = &manifest.teams[t];
    let tip_listing = &snap.listing;
    let mut c = TeamCheck {
        team: team.name.clone(),
        commits_checked: 0,
        differences: Vec::new(),
        kept_at_tip: BTreeSet::new(),
    };
    let (v, kept_somewhere) = (&mut c.commits_checked, &mut c.kept_at_tip);
    let path = out.join(format!("{}.git", team.name));
    let Ok(team_git) = Repo::open(&path) else { return Ok(None) };
    let team_repo = team_git.raw();
    let differences = &mut c.differences;
    let mut diff = |commit: Option<Oid>, message: String| {
        differences.push(Difference {
            team: team.name.clone(),
            commit: commit.map(|c| c.to_string()),
            message,
        })
    };
    if path.join("objects/info/alternates").exists() {
        diff(None, "the repository borrows objects through alternates".into());
    }
    let map = match std::fs::read_to_string(path.join(crate::apply::MARKER_DIR).join("commit-map")) {
        Ok(m) => m,
        Err(e) => {
            diff(None, format!("cannot read split/commit-map: {e}"));
            return Ok(Some(c));
        }
    };
    // The saved history the next run continues from: whole, and the
    // commit map's twin.
    match crate::rewrite::state::check(&path.join(crate::apply::MARKER_DIR), map.as_bytes()) {
        Ok(Some(wrong)) => wrong.into_iter().for_each(|w| diff(None, format!("split/state: {w}"))),
        Ok(None) => {}
        Err(e) => diff(None, format!("split/state: {e}")),
    }
    let pairs: Vec<(Oid, Oid)> = map
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(' '))
        .filter_map(|(a, b)| Some((Oid::from_str(a).ok()?, Oid::from_str(b).ok()?)))
        .filter(|(_, b)| !b.is_zero())
        .collect();
    // The tip the split ref became (HEAD of the team repository), then a sample.
    let mut checks: Vec<(Oid, Oid)> = Vec::new();
    if let Ok(head) = team_repo.head().and_then(|h| h.peel_to_commit()) {
        checks.push((snap.rev.commit, head.id()));
    }
    let step = (pairs.len() / SAMPLE).max(1);
    checks.extend(pairs.iter().step_by(step).copied());
    checks.dedup();
    for (old, new) in checks {
        *v += 1;
        let actual = match team_repo.find_commit(new).and_then(|c| c.tree()) {
            Ok(tree) => match team_git.list_tree_unsized(tree.id()) {
                Ok(l) => listing_files(&l),
                Err(e) => {
                    diff(Some(old), format!("cannot list the tree of {new}: {e}"));
                    continue;
                }
            },
            Err(e) => {
                diff(Some(old), format!("commit {new} of the commit map is missing: {e}"));
                continue;
            }
        };
        let want = if old == snap.rev.commit {
            expected(tip_listing, tip_owners, t, team.root.as_deref())
        } else {
            let source =
                repo.raw().find_commit(old).map_err(crate::odb::repo::ctx(format!("reading {old}")))?;
            let listing = repo.list_tree_unsized(source.tree_id())?;
            let owners = snap.ownership.assign(&listing).owners;
            expected(&listing, &owners, t, team.root.as_deref())
        };
        if want != actual {
            diff(
                Some(old),
                format!("tree of {new} differs from the monolith's: {}", describe(&want, &actual)),
            );
        }
        if old == snap.rev.commit {
            let prefix = team.root.as_ref().map(|r| format!("{r}/").into_bytes()).unwrap_or_default();
            kept_somewhere.extend(actual.keys().map(|k| [prefix.as_slice(), k].concat()));
        }
        if manifest.labels && team.compat.is_none() && pairs.contains(&(old, new)) {
            let label = format!("{}: {old}", crate::rewrite::LABEL_KEY);
            let msg = team_repo.find_commit(new).map(|c| c.message_raw_bytes().to_vec()).unwrap_or_default();
            if !String::from_utf8_lossy(&msg).lines().any(|l| l == label) {
                diff(Some(old), format!("commit {new} lacks the trailer `{label}`"));
            }
        }
    }
    Ok(Some(c))
}
