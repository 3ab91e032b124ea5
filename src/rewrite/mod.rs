//! The history engine: rewrites a monolith's commits for one team.
//!
//! [`tree`] filters trees (memoised, whole directories reused or skipped by
//! id), [`history`] decides which commits survive and with which parents
//! (git filter-repo's rules), [`trailer`] adds the `Split-Source` label. New
//! objects are written straight into pack files by [`pack`]: no loose objects.

pub mod compat;
pub mod graph;
pub mod history;
pub mod pack;
pub mod trailer;
pub mod tree;

use git2::Repository;

pub use history::{History, HistoryError, Mapping, StateError, EMPTY_TREE, LABEL_KEY};

use crate::ownership::Ownership;
use pack::PackSink;
use tree::TreeFilter;

/// One team's rewrite.
pub struct Job<'a> {
    /// Compiled ownership (packages resolved at the split ref).
    pub ownership: &'a Ownership,
    /// The team's index.
    pub team: usize,
    /// A directory hoisted to the root.
    pub root: Option<&'a str>,
    /// Add `Split-Source` trailers.
    pub labels: bool,
}

/// Continues `history` over the commits of `graph` (those already in
/// `history` are skipped) for `job`, writing into `out` and
/// reading from `src`. `progress` is called with the number of commits done.
/// Every new object is in a pack of `out` when this returns.
pub fn rewrite(
    src: &Repository,
    out: &Repository,
    job: &Job<'_>,
    mut history: History,
    graph: &graph::SourceGraph,
    progress: &mut dyn FnMut(usize),
) -> Result<History, HistoryError> {
    let mut writer = history::CommitWriter {
        src,
        graph,
        out: PackSink::new(out)?,
        filter: TreeFilter::new(job.ownership, job.team, job.root),
        labels: job.labels,
    };
    for (i, c) in graph.commits.iter().enumerate() {
        if !history.map.contains_key(&c.id) {
            writer.rewrite(&mut history, c.id)?;
        }
        if (i + 1) % 256 == 0 {
            progress(i + 1);
        }
    }
    writer.out.flush()?;
    progress(graph.commits.len());
    Ok(history)
}
