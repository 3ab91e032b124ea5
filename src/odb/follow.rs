//! A file's history back through its moves, as `git log --follow -- PATH`
//! gives it: the commits walked in git's default order (newest committer
//! date first, `commit_list_insert_by_date`), merges shown with no change
//! (as `git log` shows them without `-m`), and, at a commit that creates
//! the followed path, a search for where it came from as
//! `try_to_follow_renames` (tree-diff.c) does it: the whole tree diffed
//! with `--find-copies-harder` and only the followed path as destination,
//! so a copy is followed as a rename is. From then on the walk follows the
//! earlier path, on every branch the walk reaches later, as git does.

use std::collections::{BinaryHeap, HashMap, HashSet};

use git2::{ObjectType, Oid};

use super::renames::{self, Options, SourceState};
use super::repo::{ctx, FileKind, GitError, Repo, TreeFile};
use super::similarity::percent;

/// How a commit changed the followed file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// Created, from nothing git could find.
    Added,
    /// Changed in place.
    Modified,
    /// Changed in place to another type: file, symlink or submodule (`T`).
    TypeChanged,
    /// Removed.
    Deleted,
    /// Moved here from `from` (`R` in `git log --name-status`).
    Renamed {
        /// The earlier path.
        from: Vec<u8>,
        /// Similarity in percent, as git prints it.
        score: u32,
    },
    /// Copied here from `from`, which stayed (`C`): followed all the same.
    Copied {
        /// The earlier path.
        from: Vec<u8>,
        /// Similarity in percent, as git prints it.
        score: u32,
    },
}

/// One commit of a followed file's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The commit.
    pub commit: Oid,
    /// The path the commit changed: the followed path as it was named there.
    pub path: Vec<u8>,
    /// What it did to it.
    pub kind: StepKind,
}

impl Step {
    /// The earlier path, for a step that moved (or copied) the file here.
    pub fn from(&self) -> Option<&[u8]> {
        match &self.kind {
            StepKind::Renamed { from, .. } | StepKind::Copied { from, .. } => Some(from),
            _ => None,
        }
    }
}

/// A followed file's history, newest first.
#[derive(Clone, Debug, Default)]
pub struct Followed {
    /// The commits `git log --follow` lists, in its order.
    pub steps: Vec<Step>,
    /// True when a rename search hit a bound (see [`super::renames`]).
    pub limited: bool,
}

impl Followed {
    /// The steps that moved the file: its earlier paths, newest first.
    pub fn moves(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.from().is_some())
    }
}

/// A tree entry found at a path: a file, or a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum At {
    File(FileKind, Oid, i32),
    Dir,
}

/// Follows `path` from commit `tip` back as `git log --follow` does.
pub fn follow(repo: &Repo, tip: Oid, path: &[u8]) -> Result<Followed, GitError> {
    let git = repo.raw();
    let mut out = Followed::default();
    let mut path = path.to_vec();
    // git's date-ordered list: newest first, first queued first among equals.
    let mut queue: BinaryHeap<(i64, std::cmp::Reverse<u64>, Oid)> = BinaryHeap::new();
    let mut seen: HashSet<Oid> = HashSet::new();
    let mut seq = 0u64;
    let mut push = |queue: &mut BinaryHeap<_>, id: Oid| -> Result<(), GitError> {
        if seen.insert(id) {
            let c = git.find_commit(id).map_err(ctx(format!("reading commit {id}")))?;
            queue.push((c.time().seconds(), std::cmp::Reverse(seq), id));
            seq += 1;
        }
        Ok(())
    };
    push(&mut queue, tip)?;
    while let Some((_, _, id)) = queue.pop() {
        let commit = git.find_commit(id).map_err(ctx(format!("reading commit {id}")))?;
        let parents: Vec<Oid> = commit.parent_ids().collect();
        for &p in &parents {
            push(&mut queue, p)?;
        }
        // Without `-m`, `git log` shows no change for a merge.
        if parents.len() > 1 {
            continue;
        }
        let old_tree = match parents.first() {
            Some(&p) => Some(git.find_commit(p).map_err(ctx(format!("reading commit {p}")))?.tree_id()),
            None => None,
        };
        let new_tree = commit.tree_id();
        if let Some(step) = step(repo, id, old_tree, new_tree, &path, &mut out.limited)? {
            if let Some(from) = step.from() {
                path = from.to_vec();
            }
            out.steps.push(step);
        }
    }
    Ok(out)
}

/// What commit `id` did to `path`, the pathspec git limits its diff to.
fn step(
    repo: &Repo,
    id: Oid,
    old_tree: Option<Oid>,
    new_tree: Oid,
    path: &[u8],
    limited: &mut bool,
) -> Result<Option<Step>, GitError> {
    let old = match old_tree {
        Some(t) => entry_at(repo, t, path)?,
        None => None,
    };
    let new = entry_at(repo, new_tree, path)?;
    let here = |kind| Step { commit: id, path: path.to_vec(), kind };
    match (old, new) {
        (a, b) if a == b && a != Some(At::Dir) => Ok(None),
        (Some(At::File(a, ..)), Some(At::File(b, ..))) if same_type(a, b) => {
            Ok(Some(here(StepKind::Modified)))
        }
        (Some(At::File(..)), Some(At::File(..))) => Ok(Some(here(StepKind::TypeChanged))),
        (Some(At::File(..)), None) => Ok(Some(here(StepKind::Deleted))),
        (_, Some(At::File(kind, oid, _))) => {
            // The path is created here: `try_to_follow_renames`.
            let dst = TreeFile { path: path.to_vec(), oid, kind, size: 0 };
            if let Some(t) = old_tree {
                if let Some(kind) = origin(repo, t, new_tree, &dst, limited)? {
                    return Ok(Some(here(kind)));
                }
            }
            Ok(Some(here(StepKind::Added)))
        }
        // A directory at the followed path: what git shows for it (the
        // first file its pathspec matches) is not a move of the file.
        _ => dir_step(repo, id, old_tree, new_tree, path),
    }
}

/// Regular files (executable or not) are one type to git; a symlink and a
/// submodule are each their own.
fn same_type(a: FileKind, b: FileKind) -> bool {
    let regular = |k| matches!(k, FileKind::Blob | FileKind::Executable);
    a == b || (regular(a) && regular(b))
}

/// The first change below a followed path that is (on one side) a
/// directory, as git's pathspec-limited diff lists it first.
fn dir_step(
    repo: &Repo,
    id: Oid,
    old_tree: Option<Oid>,
    new_tree: Oid,
    path: &[u8],
) -> Result<Option<Step>, GitError> {
    let prefix = [path, b"/"].concat();
    let under = |p: &[u8]| p == path || p.starts_with(&prefix);
    let (path, kind) = match old_tree {
        Some(old) => {
            let Some(c) = repo.diff_trees(old, new_tree)?.into_iter().find(|c| under(c.path())) else {
                return Ok(None);
            };
            let kind = match (&c.old, &c.new) {
                (Some(_), Some(_)) => StepKind::Modified,
                (Some(_), None) => StepKind::Deleted,
                _ => StepKind::Added,
            };
            (c.path().to_vec(), kind)
        }
        None => {
            let files = repo.list_tree_unsized(new_tree)?.files;
            let Some(f) = files.into_iter().find(|f| under(&f.path)) else { return Ok(None) };
            (f.path, StepKind::Added)
        }
    };
    Ok(Some(Step { commit: id, path, kind }))
}

/// Where `dst`, created between `old_tree` and `new_tree`, came from: git's
/// rename search with every file of the old tree as a source and `dst`
/// the only destination.
fn origin(
    repo: &Repo,
    old_tree: Oid,
    new_tree: Oid,
    dst: &TreeFile,
    limited: &mut bool,
) -> Result<Option<StepKind>, GitError> {
    let files = repo.list_tree_unsized(old_tree)?.files;
    let changed: HashMap<Vec<u8>, bool> = repo
        .diff_trees(old_tree, new_tree)?
        .into_iter()
        .filter_map(|c| c.old.map(|o| (o.path, c.new.is_some())))
        .collect();
    let sources = renames::sources_by(&files, &changed);
    let found = renames::detect(repo, &sources, &[dst], Options { copies: true, ..Options::default() })?;
    *limited |= found.limited;
    let Some(pair) = found.pairs.first() else { return Ok(None) };
    let source = &sources[pair.src];
    let (from, score) = (source.file.path.clone(), percent(pair.score));
    Ok(Some(match source.state {
        SourceState::Deleted => StepKind::Renamed { from, score },
        _ => StepKind::Copied { from, score },
    }))
}

/// The entry at `path` in `tree`, if there is one.
fn entry_at(repo: &Repo, tree: Oid, path: &[u8]) -> Result<Option<At>, GitError> {
    let git = repo.raw();
    let mut tree = git.find_tree(tree).map_err(ctx(format!("reading tree {tree}")))?;
    let mut parts = path.split(|&b| b == b'/').peekable();
    while let Some(name) = parts.next() {
        let (is_tree, id, mode, raw) = match tree.get_name_bytes(name) {
            Some(e) => (e.kind() == Some(ObjectType::Tree), e.id(), e.filemode(), e.filemode_raw()),
            None => return Ok(None),
        };
        if parts.peek().is_none() {
            if is_tree {
                return Ok(Some(At::Dir));
            }
            let kind = super::repo::mode_kind(u32::try_from(raw).unwrap_or(0));
            return Ok(kind.map(|k| At::File(k, id, mode)));
        }
        if !is_tree {
            return Ok(None);
        }
        tree = git.find_tree(id).map_err(ctx(format!("reading tree {id}")))?;
    }
    Ok(None)
}
