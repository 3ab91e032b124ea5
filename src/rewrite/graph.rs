//! The monolith's commit graph, read once and shared by every team.
//!
//! Each commit is parsed once (tree, parents, generation number); teams ask
//! this table instead of re-reading commits, and ancestry questions are
//! answered with generation numbers instead of libgit2's merge-base search.

use std::collections::{HashMap, HashSet};

use git2::{Oid, Repository};

/// One monolith commit.
#[derive(Clone, Debug)]
pub struct SourceCommit {
    /// Its id.
    pub id: Oid,
    /// Its root tree.
    pub tree: Oid,
    /// Its parents, as indices into [`SourceGraph::commits`] (parents that
    /// are not part of the graph are left out).
    pub parents: Vec<u32>,
    /// 1 + the largest generation of its parents.
    pub generation: u32,
}

/// The commits to rewrite, parents before children.
#[derive(Debug, Default)]
pub struct SourceGraph {
    /// In processing order.
    pub commits: Vec<SourceCommit>,
    index: HashMap<Oid, u32>,
}

impl SourceGraph {
    /// Reads `order` (parents before children) from `repo`, one commit at a time.
    pub fn read(repo: &Repository, order: &[Oid]) -> Result<SourceGraph, git2::Error> {
        let mut g = SourceGraph {
            commits: Vec::with_capacity(order.len()),
            index: HashMap::with_capacity(order.len()),
        };
        for &id in order {
            let c = repo.find_commit(id)?;
            let parents: Vec<u32> = c.parent_ids().filter_map(|p| g.index.get(&p).copied()).collect();
            let generation = parents.iter().map(|&p| g.commits[p as usize].generation).max().unwrap_or(0) + 1;
            g.index.insert(id, g.commits.len() as u32);
            g.commits.push(SourceCommit { id, tree: c.tree_id(), parents, generation });
        }
        Ok(g)
    }

    /// The commit with this id.
    pub fn get(&self, id: Oid) -> Option<&SourceCommit> {
        self.index.get(&id).map(|&i| &self.commits[i as usize])
    }

    /// Is `a` an ancestor of (or equal to) `b`?
    pub fn is_ancestor(&self, a: Oid, b: Oid) -> bool {
        let (Some(&ia), Some(&ib)) = (self.index.get(&a), self.index.get(&b)) else { return a == b };
        let ga = self.commits[ia as usize].generation;
        let mut stack = vec![ib];
        let mut seen = HashSet::new();
        while let Some(c) = stack.pop() {
            if c == ia {
                return true;
            }
            let commit = &self.commits[c as usize];
            // Nothing at or below a's generation (other than a) can reach a.
            if commit.generation <= ga || !seen.insert(c) {
                continue;
            }
            stack.extend(commit.parents.iter().copied());
        }
        false
    }
}
