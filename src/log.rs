//! Which teams each monolith commit touched: the labels of a mixed log.

use git2::{DiffOptions, Oid, Sort};
use serde::Serialize;

use crate::manifest::Manifest;
use crate::odb::repo::ctx;
use crate::odb::{GitError, Repo, Source};
use crate::ownership::layouts::{LayoutError, Layouts};
use crate::ownership::Ownership;

/// Why `log` failed.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// Reading the repository failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// A commit's packages could not be resolved.
    #[error(transparent)]
    Layout(#[from] LayoutError),
}

/// One commit and the teams whose files it changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LabeledCommit {
    /// Full commit id.
    pub sha: String,
    /// First line of the message.
    pub subject: String,
    /// Teams owning any changed path, sorted by name.
    pub teams: Vec<String>,
    /// True if a shared path changed.
    pub shared: bool,
    /// True if a path nobody owns changed.
    pub unowned: bool,
}

/// Labels the commits of `range` (`A..B`, or one revision and its ancestors),
/// newest first, at most `limit` of them. A merge is compared with its first
/// parent, a root commit with the empty tree. `ownership` holds `manifest`'s
/// rules at the split ref; packages are resolved in each commit's own tree,
/// as `apply` resolves them: a changed file's owners are those of the
/// commit that has it (the parent for a removed file).
pub fn label(
    repo: &Repo,
    manifest: &Manifest,
    ownership: &Ownership,
    range: &str,
    limit: Option<usize>,
) -> Result<Vec<LabeledCommit>, LogError> {
    let git = repo.raw();
    let walk = walk(repo, range)?;
    let mut labeler = Labeler {
        git,
        ownership,
        names: ownership.team_names(),
        src: Source::new(git, repo.packs()).map_err(ctx("opening the repository's objects"))?,
        layouts: (!ownership.packages.is_empty()).then(|| Layouts::new(manifest, ownership)),
    };
    let mut out = Vec::new();
    for oid in walk {
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        out.push(labeler.label(oid.map_err(ctx("walking commits"))?)?);
    }
    Ok(out)
}

/// The commits of `range`, newest first.
fn walk<'r>(repo: &'r Repo, range: &str) -> Result<git2::Revwalk<'r>, LogError> {
    let mut walk = repo.raw().revwalk().map_err(ctx("starting a revision walk"))?;
    walk.set_sorting(Sort::TIME).map_err(ctx("sorting the walk"))?;
    if let Some((from, to)) = range.split_once("..") {
        let to = if to.is_empty() { "HEAD" } else { to };
        walk.push(repo.resolve(to)?.commit).map_err(ctx(format!("walking {to}")))?;
        if !from.is_empty() {
            walk.hide(repo.resolve(from)?.commit).map_err(ctx(format!("walking {from}")))?;
        }
    } else {
        walk.push(repo.resolve(range)?.commit).map_err(ctx(format!("walking {range}")))?;
    }
    Ok(walk)
}

/// What labelling a commit reads.
struct Labeler<'a> {
    git: &'a git2::Repository,
    /// The rules at the split ref.
    ownership: &'a Ownership,
    names: &'a [String],
    src: Source<'a>,
    /// Each commit's own package resolution, when the rules name packages.
    layouts: Option<Layouts<'a>>,
}

impl Labeler<'_> {
    /// The package view of a commit, when the rules name packages.
    fn view_of(&mut self, commit: Oid, tree: Oid) -> Result<Option<u32>, LogError> {
        Ok(match &mut self.layouts {
            Some(l) => Some(l.view_of(&self.src, commit, tree)?),
            None => None,
        })
    }

    /// The teams whose files `oid` changed against its first parent.
    fn label(&mut self, oid: Oid) -> Result<LabeledCommit, LogError> {
        let git = self.git;
        let commit = git.find_commit(oid).map_err(ctx(format!("reading commit {oid}")))?;
        let tree = commit.tree().map_err(ctx(format!("reading the tree of {oid}")))?;
        let parent_tree = match commit.parent(0) {
            Ok(p) => Some(p.tree().map_err(ctx(format!("reading the tree of {}", p.id())))?),
            Err(_) => None,
        };
        let mut opts = DiffOptions::new();
        opts.skip_binary_check(true).ignore_submodules(false);
        let diff = git
            .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut opts))
            .map_err(ctx(format!("diffing {oid}")))?;
        let views = [
            match commit.parent(0) {
                Ok(p) => self.view_of(p.id(), p.tree_id())?,
                Err(_) => None,
            },
            self.view_of(oid, tree.id())?,
        ];
        let mut teams = std::collections::BTreeSet::new();
        let mut shared = false;
        let mut unowned = false;
        for delta in diff.deltas() {
            for (file, view) in [delta.old_file(), delta.new_file()].into_iter().zip(views) {
                let Some(path) = file.path_bytes() else { continue };
                if !file.exists() {
                    continue;
                }
                let rules = match (&self.layouts, view) {
                    (Some(l), Some(v)) => l.view(v),
                    _ => self.ownership,
                };
                let owners = rules.owners(path);
                shared |= owners.shared;
                unowned |= owners.is_unowned();
                teams.extend(owners.teams.iter().map(|&t| self.names[t as usize].clone()));
            }
        }
        let subject =
            String::from_utf8_lossy(commit.message_bytes()).lines().next().unwrap_or("").to_string();
        Ok(LabeledCommit {
            sha: oid.to_string(),
            subject,
            teams: teams.into_iter().collect(),
            shared,
            unowned,
        })
    }
}
