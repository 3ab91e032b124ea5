//! `verify`: re-derive team repositories from the monolith and compare.
//!
//! The expected content of a team commit is computed from a flat listing of
//! the monolith commit's tree and
//! [`Ownership::assign`](crate::ownership::Ownership::assign), not with the
//! history engine's memoised tree filter, so a bug in one is caught by the
//! other.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use git2::Oid;
use serde::Serialize;

use crate::manifest::Manifest;
use crate::odb::{FileKind, GitError, Repo, TreeListing};
use crate::ownership::{Owners, Ownership};
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

/// A team repository that is whole but behind the monolith: made from an
/// earlier state of the split ref, so `apply` has commits to add.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutOfDate {
    /// The team.
    pub team: String,
    /// Commits of the split ref its repository has not considered yet.
    pub behind: usize,
}

/// The outcome of `verify`.
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    /// Teams whose repository was found and checked.
    pub teams_checked: Vec<String>,
    /// Commits compared, over all teams.
    pub commits_checked: usize,
    /// Everything that differs: a missing, unreadable or foreign team
    /// repository included.
    pub differences: Vec<Difference>,
    /// Team repositories that are merely behind the monolith (their
    /// content is checked against the monolith commits they were made from).
    pub out_of_date: Vec<OutOfDate>,
}

impl Verification {
    /// True when every team repository is whole and up to date.
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty() && self.out_of_date.is_empty()
    }
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
    /// The packages of a monolith commit could not be resolved.
    #[error("resolving packages at commit {commit}: {message}")]
    Packages {
        /// The commit.
        commit: String,
        /// Why.
        message: String,
    },
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

/// Verifies the repositories of `teams` (indices into the manifest's) in
/// `out`.
pub fn verify(
    repo: &Repo,
    manifest: &Manifest,
    snap: &Snapshot,
    out: &Path,
    teams: &[usize],
) -> Result<Verification, VerifyError> {
    let mut v = Verification {
        teams_checked: Vec::new(),
        commits_checked: 0,
        differences: Vec::new(),
        out_of_date: Vec::new(),
    };
    let mut kept_somewhere: BTreeSet<Vec<u8>> = BTreeSet::new();
    let tip_listing = &snap.listing;
    // The split ref's owners serve every team and the final check.
    let tip_owners = snap.ownership.assign(tip_listing).owners;
    // Teams are checked in parallel: each sampled commit lists a whole
    // monolith tree, which at 100k files and 50 teams adds up. A libgit2
    // handle is not shared between threads: each opens its own.
    let monolith_path = repo.path();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let results = crate::util::parallel::map_in_turn(
        teams,
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
    let (mut all_current, mut found) = (true, false);
    for r in results {
        let c = r?;
        found |= c.found;
        if c.present {
            v.teams_checked.push(c.team.clone());
        }
        v.commits_checked += c.commits_checked;
        v.differences.extend(c.differences);
        all_current &= c.at_split_ref;
        if let Some(behind) = c.behind {
            v.out_of_date.push(OutOfDate { team: c.team, behind });
        }
        kept_somewhere.extend(c.kept_at_tip);
    }
    if !found {
        return Err(VerifyError::NothingToVerify(out.to_path_buf()));
    }
    // Nothing lost silently: every file at the split ref is in a team
    // repository made from it, or nobody owns it.
    if all_current && teams.len() == manifest.teams.len() {
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
    /// Something is at its repository's path.
    found: bool,
    /// Its repository opens.
    present: bool,
    commits_checked: usize,
    differences: Vec<Difference>,
    /// Made from the split ref as it is: its tip was compared with it.
    at_split_ref: bool,
    /// Commits of the split ref it has not considered, when behind.
    behind: Option<usize>,
    /// The files of the team's tip, as monolith paths.
    kept_at_tip: BTreeSet<Vec<u8>>,
}

impl TeamCheck {
    fn diff(&mut self, commit: Option<Oid>, message: String) {
        self.differences.push(Difference {
            team: self.team.clone(),
            commit: commit.map(|c| c.to_string()),
            message,
        })
    }
}

/// A team repository's `split/commit-map`, read.
struct CommitMap {
    /// Every monolith commit its runs considered, dropped ones included.
    considered: HashSet<Oid>,
    /// The kept ones, with their rewrites, in the map's order.
    kept: Vec<(Oid, Oid)>,
}

impl CommitMap {
    fn parse(text: &str) -> CommitMap {
        let mut map = CommitMap { considered: HashSet::new(), kept: Vec::new() };
        let pairs = text.lines().skip(1).filter_map(|l| l.split_once(' '));
        for (a, b) in pairs.filter_map(|(a, b)| Some((Oid::from_str(a).ok()?, Oid::from_str(b).ok()?))) {
            map.considered.insert(a);
            if !b.is_zero() {
                map.kept.push((a, b));
            }
        }
        map
    }
}

/// Opens team `name`'s repository in `out`, or says why it cannot be
/// verified: missing, unreadable, or not written by git-split.
fn open_team(c: &mut TeamCheck, out: &Path) -> Option<(Repo, PathBuf, String)> {
    let path = out.join(format!("{}.git", c.team));
    let shown = path.display().to_string();
    if !path.exists() {
        c.diff(None, format!("no repository at `{shown}`: run `git-split apply`"));
        return None;
    }
    c.found = true;
    let team_git = match Repo::open(&path) {
        Ok(r) => r,
        Err(e) => {
            c.diff(None, format!("`{shown}` cannot be read as a git repository: {e}"));
            return None;
        }
    };
    c.present = true;
    let map_path = path.join(crate::apply::MARKER_DIR).join(crate::rewrite::state::COMMIT_MAP);
    match std::fs::read_to_string(&map_path) {
        Ok(map) => Some((team_git, path, map)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            c.diff(None, format!("`{shown}` was not written by git-split: it has no split/commit-map"));
            None
        }
        Err(e) => {
            c.diff(None, format!("cannot read split/commit-map: {e}"));
            None
        }
    }
}

/// Checks team `t`'s repository in `out`.
fn check_team(
    repo: &Repo,
    manifest: &Manifest,
    snap: &Snapshot,
    tip_owners: &[Owners],
    out: &Path,
    t: usize,
) -> Result<TeamCheck, VerifyError> {
    let team = &manifest.teams[t];
    let mut c = TeamCheck {
        team: team.name.clone(),
        found: false,
        present: false,
        commits_checked: 0,
        differences: Vec::new(),
        at_split_ref: false,
        behind: None,
        kept_at_tip: BTreeSet::new(),
    };
    let Some((team_git, path, map_text)) = open_team(&mut c, out) else { return Ok(c) };
    if path.join("objects/info/alternates").exists() {
        c.diff(None, "the repository borrows objects through alternates".into());
    }
    // The saved history the next run continues from: whole, and the
    // commit map's twin.
    match crate::rewrite::state::check(&path.join(crate::apply::MARKER_DIR), map_text.as_bytes()) {
        Ok(Some(wrong)) => wrong.into_iter().for_each(|w| c.diff(None, format!("split/state: {w}"))),
        Ok(None) => {}
        Err(e) => c.diff(None, format!("split/state: {e}")),
    }
    let map = CommitMap::parse(&map_text);
    let odb = repo.raw().odb().map_err(crate::odb::repo::ctx("opening the monolith's objects"))?;
    if let Some(stranger) = map.considered.iter().filter(|&&o| !odb.exists(o)).min() {
        c.diff(
            None,
            format!("its commit map names {stranger}, which the monolith does not have: it was split from another repository"),
        );
        return Ok(c);
    }
    let Some(tip) = tip_source(&mut c, repo, &team_git, snap, &map)? else { return Ok(c) };
    // The tip, then a sample of the commit map.
    let mut checks: Vec<(Oid, Oid)> = vec![tip];
    let step = (map.kept.len() / SAMPLE).max(1);
    checks.extend(map.kept.iter().step_by(step).copied());
    checks.dedup();
    for (old, new) in checks {
        c.commits_checked += 1;
        let Some(actual) = team_files(&mut c, &team_git, old, new) else { continue };
        let at_tip = old == snap.rev.commit;
        let want = if at_tip {
            expected(&snap.listing, tip_owners, t, team.root.as_deref())
        } else {
            let source =
                repo.raw().find_commit(old).map_err(crate::odb::repo::ctx(format!("reading {old}")))?;
            let listing = repo.list_tree_unsized(source.tree_id())?;
            let own = commit_ownership(repo, manifest, snap, &listing, old)?;
            let owners = own.as_ref().unwrap_or(&snap.ownership).assign(&listing).owners;
            expected(&listing, &owners, t, team.root.as_deref())
        };
        if want != actual {
            c.diff(
                Some(old),
                format!("tree of {new} differs from the monolith's: {}", describe(&want, &actual)),
            );
        }
        if at_tip && c.at_split_ref {
            let prefix = team.root.as_ref().map(|r| format!("{r}/").into_bytes()).unwrap_or_default();
            c.kept_at_tip.extend(actual.keys().map(|k| [prefix.as_slice(), k].concat()));
        }
        if manifest.labels && team.compat.is_none() && map.kept.contains(&(old, new)) {
            let label = format!("{}: {old}", crate::rewrite::LABEL_KEY);
            let msg =
                team_git.raw().find_commit(new).map(|c| c.message_raw_bytes().to_vec()).unwrap_or_default();
            if !String::from_utf8_lossy(&msg).lines().any(|l| l == label) {
                c.diff(Some(old), format!("commit {new} lacks the trailer `{label}`"));
            }
        }
    }
    Ok(c)
}

/// The rules `apply` filtered monolith commit `commit` with, when the
/// manifest names packages: resolved in the commit's own tree (from its
/// whole listing, not the engine's layouts). `None`: the split ref's.
fn commit_ownership(
    repo: &Repo,
    manifest: &Manifest,
    snap: &Snapshot,
    listing: &TreeListing,
    commit: Oid,
) -> Result<Option<Ownership>, VerifyError> {
    if snap.ownership.packages.is_empty() {
        return Ok(None);
    }
    let files = crate::ownership::TreeFiles::new(repo, listing);
    Ownership::at_commit(manifest, &files, &snap.ownership)
        .map(Some)
        .map_err(|e| VerifyError::Packages { commit: commit.to_string(), message: e.to_string() })
}

/// The files of team commit `new`, the rewrite of monolith commit `old`.
fn team_files(c: &mut TeamCheck, team_git: &Repo, old: Oid, new: Oid) -> Option<Files> {
    match team_git.raw().find_commit(new).and_then(|c| c.tree()) {
        Ok(tree) => match team_git.list_tree_unsized(tree.id()) {
            Ok(l) => Some(listing_files(&l)),
            Err(e) => {
                c.diff(Some(old), format!("cannot list the tree of {new}: {e}"));
                None
            }
        },
        Err(e) => {
            c.diff(Some(old), format!("commit {new} of the commit map is missing: {e}"));
            None
        }
    }
}

/// The team repository's tip (HEAD) and the monolith commit to compare it
/// with: the split ref when the repository was made from it; else, when it
/// is behind, the commit it was made from (by its commit map, or the
/// `Split-Source` trailer of `--history prune`'s deletion commit).
fn tip_source(
    c: &mut TeamCheck,
    repo: &Repo,
    team_git: &Repo,
    snap: &Snapshot,
    map: &CommitMap,
) -> Result<Option<(Oid, Oid)>, VerifyError> {
    let Ok(head) = team_git.raw().head().and_then(|h| h.peel_to_commit()) else {
        c.diff(None, "the repository has no HEAD commit".into());
        return Ok(None);
    };
    let split = snap.rev.commit;
    let label = |commit: &git2::Commit<'_>| -> Option<Oid> {
        let key = format!("{}: ", crate::rewrite::LABEL_KEY);
        let msg = String::from_utf8_lossy(commit.message_raw_bytes()).into_owned();
        msg.lines().rev().find_map(|l| Oid::from_str(l.strip_prefix(&key)?).ok())
    };
    // `--history prune` considers every commit and maps none: its tip's
    // trailer names the commit it was made from.
    let prune = map.considered.is_empty();
    let made_from = match prune {
        true => label(&head),
        false => map.kept.iter().find(|(_, n)| *n == head.id()).map(|(o, _)| *o),
    };
    if (prune && made_from == Some(split)) || map.considered.contains(&split) {
        c.at_split_ref = true;
        return Ok(Some((split, head.id())));
    }
    let Some(old) = made_from else {
        c.diff(None, format!("its HEAD {} was not made from any monolith commit it records", head.id()));
        return Ok(None);
    };
    if repo.raw().find_commit(old).is_err() {
        c.diff(None, format!("its HEAD names {old}, which the monolith does not have: it was split from another repository"));
        return Ok(None);
    }
    c.behind = Some(match prune {
        true => behind_commit(repo, split, old)?,
        false => behind(repo, split, &map.considered)?,
    });
    Ok(Some((old, head.id())))
}

/// How many commits reachable from `tip` are not reachable from `old`.
fn behind_commit(repo: &Repo, tip: Oid, old: Oid) -> Result<usize, VerifyError> {
    let walk = || -> Result<usize, git2::Error> {
        let mut walk = repo.raw().revwalk()?;
        walk.push(tip)?;
        walk.hide(old)?;
        Ok(walk.count())
    };
    Ok(walk().map_err(crate::odb::repo::ctx(format!("walking {old}..{tip}")))?)
}

/// How many commits reachable from `tip` a team repository has not
/// `seen`: as every run considers the whole history of its refs, what it
/// has seen holds every ancestor of what it has seen, and the walk stops
/// there.
fn behind(repo: &Repo, tip: Oid, seen: &HashSet<Oid>) -> Result<usize, VerifyError> {
    let git = repo.raw();
    let mut stack = vec![tip];
    let mut visited: HashSet<Oid> = HashSet::new();
    while let Some(id) = stack.pop() {
        if seen.contains(&id) || !visited.insert(id) {
            continue;
        }
        let commit = git.find_commit(id).map_err(crate::odb::repo::ctx(format!("reading {id}")))?;
        stack.extend(commit.parent_ids());
    }
    Ok(visited.len())
}
