//! The teams' rules per commit and, for those that follow renames, their
//! lineages, over the history of the split ref as `apply` computes them:
//! what `plan --team` counts and `owners --history` marks.

use git2::Oid;

use super::follow::{self, Followed};
use super::tree::TreeError;
use super::{graph, layout, HistoryError};
use crate::manifest::Manifest;
use crate::odb::Repo;
use crate::ownership::Ownership;
use crate::plan::Snapshot;

/// The history of the split ref, for some teams.
pub struct Lineages<'s> {
    graph: graph::SourceGraph,
    /// The package view of every commit, when a team's rules need it.
    generations: Option<layout::Generations>,
    /// Per selected team: do its rules change with the packages of history?
    per_commit: Vec<bool>,
    /// The selected teams' indices in the manifest.
    teams: Vec<usize>,
    /// The rules at the split ref.
    split: &'s Ownership,
    /// Per selected team, its `root:` with a trailing `/`.
    roots: Vec<Option<String>>,
    /// Per selected team, its lineages when it follows renames.
    pub followed: Vec<Option<Followed>>,
}

impl<'s> Lineages<'s> {
    /// Reads the history of `tip`, the split ref's commit, for `teams`
    /// (manifest indices), with `snap` the rules at `tip`.
    pub fn read(
        repo: &Repo,
        manifest: &Manifest,
        snap: &'s Snapshot,
        tip: Oid,
        teams: &[usize],
    ) -> Result<Lineages<'s>, HistoryError> {
        let follows: Vec<bool> = teams.iter().map(|&t| manifest.teams[t].follow_renames).collect();
        let git_dir = repo.raw().path();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let history = match graph::SourceGraph::from_commit_graph(git_dir, &[tip]) {
            Some(g) => g,
            None => {
                let src = crate::odb::Source::new(repo.raw(), repo.packs()).map_err(|source| {
                    HistoryError::Git { context: "opening the monolith's objects".into(), source }
                })?;
                graph::SourceGraph::read(&src, &[tip], graph::PackedCommits::read(repo.packs(), threads))?
            }
        };
        let packages = layout::PackageHistory { manifest, split: &snap.ownership };
        let per_commit: Vec<bool> =
            teams.iter().map(|&t| !snap.ownership.packages.is_empty() && packages.matters_to(t)).collect();
        let generations = match per_commit.contains(&true) {
            true => Some(layout::Generations::read(git_dir, repo.packs(), &history, &packages, threads)?),
            false => None,
        };
        let mut out = Lineages {
            graph: history,
            generations,
            per_commit,
            teams: teams.to_vec(),
            split: &snap.ownership,
            roots: teams.iter().map(|&t| manifest.teams[t].root.as_ref().map(|r| format!("{r}/"))).collect(),
            followed: Vec::new(),
        };
        let view = |k: usize, i: usize| out.view(k, i);
        let followed = follow::for_pass(git_dir, &out.graph, &follows, &view)
            .map_err(|e| TreeError::Start { context: "following renames", message: e.to_string() })?;
        out.followed = followed;
        Ok(out)
    }

    /// Selected team `k`'s rules at graph position `i`, and its index in them.
    fn view(&self, k: usize, i: usize) -> (&Ownership, usize) {
        match self.generations.as_ref().filter(|_| self.per_commit[k]) {
            Some(g) => (g.view(i), self.teams[k]),
            None => (self.split, self.teams[k]),
        }
    }

    /// Does selected team `k`'s repository hold `path`, a file of commit
    /// `id`, in its tree for that commit: by its rules there, or as an
    /// earlier path its lineages keep? `None` for a commit not in history.
    pub fn keeps(&self, k: usize, id: Oid, path: &[u8]) -> Option<bool> {
        let i = self.graph.position(id)?;
        // A `root:` team holds nothing outside its root.
        if self.roots[k].as_ref().is_some_and(|r| !path.starts_with(r.as_bytes())) {
            return Some(false);
        }
        let (rules, team) = self.view(k, i);
        let earlier = || {
            self.followed[k].as_ref().is_some_and(|f| {
                let set = f.set_of(i);
                set != follow::UNKNOWN && f.set(set).paths.binary_search_by(|p| p[..].cmp(path)).is_ok()
            })
        };
        Some(rules.owners(path).kept_by(team) || earlier())
    }
}
