//! Packages resolved per commit: the generations of a history's ownership.
//!
//! A team's `packages:` are resolved in each commit's own tree, not once at
//! the split ref: a nested package carves its directory out of the package
//! around it exactly in the commits where it exists (its manifest is there
//! and, for kinds whose membership is declared, it is a member there), and
//! a package owns its directories of that commit. The split ref still
//! decides which packages a team may name (they must resolve there), and
//! JVM packages, which come from every source file rather than from
//! manifests, keep their split-ref resolution in every commit.
//!
//! # Generations
//!
//! A *generation* is one [`Ownership`] view together with the set of
//! commits it is valid for. The pass filters each commit with its
//! generation's view; a team keeps one `TreeFilter` per generation it
//! meets, so the filter's memo (directory node, tree id) never mixes two
//! views, and a generation met again later finds its memo still warm. The
//! engine relies on two properties only: a commit's generation is decided
//! before the pass, from the commit alone (so a run from scratch, an
//! incremental run, one team or every team all agree), and two commits of
//! one generation filter every tree alike. Anything that varies ownership
//! between commits fits this shape; following renames (a file kept at its
//! earlier path before the commit that moved it) is another generation
//! source of the same kind: a key per commit (the renames still ahead of
//! it), a view per distinct key, handed to the engine through
//! [`Generations::from_views`]. Two sources combine by keying on the pair
//! and building each pair's view from both.
//!
//! Which commits share a generation is decided by their package layouts
//! (see [`crate::ownership::layouts`]): one view per distinct resolution,
//! so a dependency bump in a `go.mod` starts no generation.
//!
//! The view of a generation also answers which directories a team keeps
//! whole: a directory holding a nested package of that commit is never
//! "whole" there, so reusing whole directories by id stays exact.

use std::path::Path;
use std::sync::Arc;

use git2::{Oid, Repository};

use super::follow::Followed;
use super::graph::SourceGraph;
use super::tree::{TreeError, TreeFilter};
use super::Job;
use crate::manifest::{Manifest, PackageKind};
use crate::odb::id::{key, IdSet, Key};
use crate::odb::pack::{PackSink, Packs};
use crate::odb::tree::RawTree;
use crate::odb::Source;
use crate::ownership::layouts::{LayoutError, Layouts};
use crate::ownership::{Owner, Ownership};

/// What resolving packages per commit needs: the manifest and its rules at
/// the split ref.
#[derive(Clone, Copy)]
pub struct PackageHistory<'a> {
    /// The manifest.
    pub manifest: &'a Manifest,
    /// Its rules at the split ref, where every package was validated.
    pub split: &'a Ownership,
}

impl PackageHistory<'_> {
    /// Does `team`'s tree depend on packages resolved per commit (its own
    /// or shared ones, of any kind but JVM)?
    pub fn matters_to(&self, team: usize) -> bool {
        self.split.packages.iter().any(|p| {
            (p.owner == Owner::Team(team) || p.owner == Owner::Shared)
                && p.resolution.kind != PackageKind::Jvm
        })
    }
}

/// Runs of commits each thread takes, about: enough that a slow thread
/// does not hold the others up.
const RUNS_PER_THREAD: usize = 4;

/// Commits in a run at least: each run reads one whole tree first.
const MIN_RUN: usize = 1024;

/// The ownership view of every commit of a graph.
pub struct Generations {
    /// One view per generation.
    views: Vec<Ownership>,
    /// Per graph position, its generation.
    of_commit: Vec<u32>,
}

impl Generations {
    /// Resolves the packages of every commit of `graph`, once per distinct
    /// package layout, on up to `threads` threads: each takes a run of
    /// consecutive commits (whose trees it scans with a memo of its own,
    /// so a run costs one full tree plus what its commits changed), and
    /// the views found are merged, alike ones into one generation.
    pub fn read(
        git_dir: &Path,
        packs: &Packs,
        graph: &SourceGraph,
        h: &PackageHistory<'_>,
        threads: usize,
    ) -> Result<Generations, TreeError> {
        let runs: Vec<std::ops::Range<usize>> = {
            let n = graph.commits.len();
            let len = n.div_ceil(threads.max(1) * RUNS_PER_THREAD).max(MIN_RUN);
            (0..n).step_by(len).map(|start| start..(start + len).min(n)).collect()
        };
        let start =
            |context| move |e: git2::Error| TreeError::Start { context, message: e.message().to_string() };
        // The layout scan recurses once per tree level, as filtering does.
        let found = crate::util::parallel::map_in_turn_on(
            &runs,
            threads,
            Some(super::WORKER_STACK),
            || Repository::open(git_dir).map_err(start("opening the monolith")),
            |repo, run| -> Result<(Vec<Ownership>, Vec<u32>), TreeError> {
                let repo = repo.as_ref().map_err(Clone::clone)?;
                let src = Source::new(repo, packs).map_err(start("opening the monolith's objects"))?;
                let mut layouts = Layouts::new(h.manifest, h.split);
                let mut of_commit = Vec::with_capacity(run.len());
                for c in &graph.commits[run.clone()] {
                    of_commit.push(layouts.view_of(&src, c.id, c.tree).map_err(tree_error)?);
                }
                Ok((layouts.into_views(), of_commit))
            },
        );
        let mut views: Vec<Ownership> = Vec::new();
        let mut of_commit = Vec::with_capacity(graph.commits.len());
        for run in found {
            let (mine, local) = run?;
            let global: Vec<u32> = mine
                .into_iter()
                .map(|view| match views.iter().position(|v| v.same_packages(&view)) {
                    Some(g) => g as u32,
                    None => {
                        views.push(view);
                        views.len() as u32 - 1
                    }
                })
                .collect();
            of_commit.extend(local.into_iter().map(|v| global[v as usize]));
        }
        Ok(Generations { views, of_commit })
    }

    /// Generations made elsewhere: `of_commit[i]` indexes `views` for the
    /// commit at graph position `i`.
    pub fn from_views(views: Vec<Ownership>, of_commit: Vec<u32>) -> Generations {
        debug_assert!(of_commit.iter().all(|&g| (g as usize) < views.len()));
        Generations { views, of_commit }
    }

    /// Every generation's view.
    pub fn views(&self) -> &[Ownership] {
        &self.views
    }

    /// How many distinct views history has.
    pub fn len(&self) -> usize {
        self.views.len()
    }

    /// True for a graph without commits.
    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }

    /// The generation of the commit at graph position `i`.
    pub fn of_commit(&self, i: usize) -> u32 {
        self.of_commit[i]
    }

    /// The ownership view of the commit at graph position `i`.
    pub fn view(&self, i: usize) -> &Ownership {
        &self.views[self.of_commit[i] as usize]
    }
}

/// A layout failure as the engine reports it.
fn tree_error(e: LayoutError) -> TreeError {
    match e {
        LayoutError::Object(e) => TreeError::from(e),
        LayoutError::TooDeep { id } => TreeError::TooDeep { id },
        e @ LayoutError::Packages { .. } => {
            TreeError::Start { context: "resolving packages", message: e.to_string() }
        }
    }
}

/// Filters a team keeps at once: a generation left behind is rarely met
/// again, and each filter holds a memo and a set of needed objects.
const LIVE_FILTERS: usize = 4;

/// A team's tree filters, one per generation it meets (the most recently
/// used ones; one retired hands what it found needed to `retired`).
pub struct TeamFilters<'a> {
    /// Absent when the team's tree does not depend on packages (or the
    /// manifest names none): one filter with the split ref's rules.
    generations: Option<&'a Generations>,
    split: &'a Ownership,
    team: usize,
    root: Option<&'a str>,
    /// The team's extra paths per commit, when it follows renames.
    follow: Option<&'a Followed>,
    /// Live filters: (generation, last use, filter).
    filters: Vec<(u32, u64, TreeFilter<'a>)>,
    uses: u64,
    /// What retired filters found needed: objects, and trees kept whole.
    retired: (IdSet, Vec<Oid>),
}

impl<'a> TeamFilters<'a> {
    /// The filters of `job`'s team; `generations` when packages are
    /// resolved per commit,
    /// and `follow` when it follows renames.
    pub fn new(
        job: &Job<'a>,
        generations: Option<&'a Generations>,
        follow: Option<&'a Followed>,
    ) -> TeamFilters<'a> {
        TeamFilters {
            generations,
            follow,
            split: job.ownership,
            team: job.team,
            root: job.root,
            filters: Vec::new(),
            uses: 0,
            retired: Default::default(),
        }
    }

    /// The generation of the commit at graph position `i`.
    pub fn generation(&self, i: usize) -> u32 {
        self.generations.map_or(0, |g| g.of_commit(i))
    }

    /// The extra set of the commit at graph position `i` (0: none).
    pub fn extra(&self, i: usize) -> u32 {
        self.follow.map_or(0, |f| f.set_of(i))
    }

    /// Can a change to the top-level entry `name` change the team's tree
    /// under generation `g` and extra set `e`?
    pub fn relevant(&mut self, g: u32, e: u32, name: &[u8]) -> bool {
        let extra = match self.follow {
            Some(f) if e != 0 => f.set(e).tops.contains(name),
            _ => false,
        };
        extra || self.get(g).relevant(name)
    }

    /// The filter of generation `g`, made on first use.
    pub fn get(&mut self, g: u32) -> &mut TreeFilter<'a> {
        self.uses += 1;
        let k = match self.filters.iter().position(|f| f.0 == g) {
            Some(k) => k,
            None => {
                if self.filters.len() == LIVE_FILTERS {
                    let oldest = (0..self.filters.len()).min_by_key(|&k| self.filters[k].1).expect("full");
                    let mut old = self.filters.swap_remove(oldest).2;
                    self.retired.0.extend(std::mem::take(&mut old.needed));
                    self.retired.1.append(&mut old.closure);
                }
                let view = self.generations.map_or(self.split, |gens| &gens.views[g as usize]);
                self.filters.push((g, 0, TreeFilter::new(view, self.team, self.root)));
                self.filters.len() - 1
            }
        };
        self.filters[k].1 = self.uses;
        &mut self.filters[k].2
    }

    /// Every filter's monolith objects the team's pack needs, and the
    /// trees kept whole below which everything is needed too.
    pub fn take_needed(&mut self) -> (IdSet, Vec<Oid>) {
        let (mut needed, mut closure) = std::mem::take(&mut self.retired);
        for (_, _, f) in &mut self.filters {
            if needed.is_empty() {
                needed = std::mem::take(&mut f.needed);
            } else {
                needed.extend(std::mem::take(&mut f.needed));
            }
            closure.append(&mut f.closure);
        }
        // A tree kept whole by several generations is copied once.
        let mut seen = IdSet::default();
        closure.retain(|t| seen.insert(key(t)));
        (needed, closure)
    }

    /// Filters root tree `tree` (parsed as `parsed`) with generation `g`'s
    /// rules and extra set `e`'s paths; `known` are trees of the commit
    /// parsed already.
    pub fn filter_root(
        &mut self,
        (g, e): (u32, u32),
        src: &Source<'_>,
        out: &mut PackSink,
        (tree, parsed): (Oid, &RawTree),
        known: &[(Key, Arc<RawTree>)],
    ) -> Result<Option<Oid>, TreeError> {
        let follow = self.follow;
        let filter = self.get(g);
        filter.know(known);
        let filtered = match follow {
            Some(f) if e != 0 => filter.filter_root_with(src, out, tree, parsed, &f.set(e).spine),
            _ => filter.filter_root(src, out, tree, parsed),
        };
        filter.forget();
        filtered
    }
}
