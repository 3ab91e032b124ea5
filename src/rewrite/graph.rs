//! The monolith's commit graph, read once and shared by every team.
//!
//! Each commit is parsed once (tree, parents, generation number); teams ask
//! this table instead of re-reading commits, and ancestry questions are
//! answered with generation numbers instead of libgit2's merge-base search.

use std::collections::HashSet;
use std::path::Path;

use git2::Oid;

use crate::odb::id::{id_map, key, IdMap, Key};
use crate::odb::object::{ObjectError, ObjectKind, RawCommit, Source};
use crate::odb::pack::{Packs, ReadState};

/// One monolith commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceCommit {
    /// Its id.
    pub id: Oid,
    /// Its root tree.
    pub tree: Oid,
    /// Its parents, as indices into [`SourceGraph::commits`].
    pub parents: Vec<u32>,
    /// 1 + the largest generation of its parents (0 for a boundary commit).
    pub generation: u32,
    /// Read for its tree only: its own history was rewritten by an earlier
    /// run, and its parents are left out.
    pub boundary: bool,
}

/// The commits to rewrite, parents before children.
#[derive(Debug, Default)]
pub struct SourceGraph {
    /// In processing order.
    pub commits: Vec<SourceCommit>,
    index: IdMap<Key, u32>,
    /// Some commits are boundary commits: the graph is only the history
    /// grown since an previous run.
    pub partial: bool,
}

impl SourceGraph {
    /// Reads every commit reachable from `tips`, parents before children.
    ///
    /// The order is a depth-first post-order (first parents first), which
    /// is deterministic for the same tips; any parents-first order gives the
    /// same rewritten ids.
    ///
    /// Commits in `known` are not read again (see [`PackedCommits`]).
    pub fn read(src: &Source<'_>, tips: &[Oid], known: PackedCommits) -> Result<SourceGraph, ObjectError> {
        SourceGraph::read_with(src, tips, &|_| false, &std::cell::RefCell::new(known.0))
    }

    /// [`SourceGraph::read`], except that a commit for which `done` says
    /// true (and whose ancestors all must be done too) is kept as a
    /// boundary commit: its tree is read, its parents are not. An
    /// incremental run reads only the history grown since the last one.
    pub fn read_until(
        src: &Source<'_>,
        tips: &[Oid],
        done: &dyn Fn(Oid) -> bool,
    ) -> Result<SourceGraph, ObjectError> {
        SourceGraph::read_with(src, tips, done, &std::cell::RefCell::new(id_map()))
    }

    /// [`SourceGraph::read`] from the repository's commit-graph
    /// (`objects/info/commit-graph` or a chain of them, as `git gc` and
    /// `git maintenance` write), when there is one that verifies (checksums,
    /// parent positions, generations) and holds every one of `tips`; `None`
    /// sends the caller to [`SourceGraph::read`].
    ///
    /// The walk goes by the graph's positions: no commit is inflated and no
    /// id hashed until a commit takes its place, which makes a 70k-commit
    /// history a few milliseconds' work at the start of every first run.
    /// git writes no commit-graph while grafts or replace refs are in use,
    /// so its entries are the commit objects as stored, as `apply` reads them.
    pub fn from_commit_graph(git_dir: &Path, tips: &[Oid]) -> Option<SourceGraph> {
        use gix_commitgraph::Position;
        let graph = gix_commitgraph::at(git_dir.join("objects").join("info")).ok()?;
        if graph.object_hash() != gix_hash::Kind::Sha1 {
            return None;
        }
        graph.verify_integrity(|_| Ok::<(), Unreadable>(())).ok()?;
        let oid = |id: &gix_hash::oid| Oid::from_bytes(id.as_bytes()).ok();
        // Per graph position: not reached, on the stack, or the commit's
        // place in `commits`, as `read_with`'s index.
        const UNSEEN: u32 = u32::MAX;
        const ON_STACK: u32 = u32::MAX - 1;
        let mut at = vec![UNSEEN; graph.num_commits() as usize];
        struct Open {
            pos: u32,
            parents: Vec<u32>,
            next: usize,
        }
        let open = |pos: u32| -> Option<Open> {
            let parents = graph
                .commit_at(Position(pos))
                .iter_parents()
                .map(|p| p.ok().map(|p| p.0))
                .collect::<Option<Vec<u32>>>()?;
            Some(Open { pos, parents, next: 0 })
        };
        let mut g = SourceGraph::default();
        g.commits.reserve(at.len());
        g.index.reserve(at.len());
        let mut stack: Vec<Open> = Vec::new();
        // The same walk as `read_with`, so the same order.
        for tip in tips {
            let pos = graph.lookup(gix_hash::oid::from_bytes_unchecked(tip.as_bytes()))?.0;
            if at[pos as usize] != UNSEEN {
                continue;
            }
            at[pos as usize] = ON_STACK;
            stack.push(open(pos)?);
            while let Some(top) = stack.last_mut() {
                if let Some(&p) = top.parents.get(top.next) {
                    top.next += 1;
                    if *at.get(p as usize)? == UNSEEN {
                        at[p as usize] = ON_STACK;
                        stack.push(open(p)?);
                    }
                    continue;
                }
                let Open { pos, mut parents, .. } = stack.pop().expect("on the stack");
                for p in &mut parents {
                    *p = at[*p as usize];
                    // A parent still on the stack is a cycle: not a graph
                    // git wrote, whatever its checksum says.
                    if *p >= ON_STACK {
                        return None;
                    }
                }
                let generation =
                    parents.iter().map(|&p| g.commits[p as usize].generation).max().unwrap_or(0) + 1;
                let commit = graph.commit_at(Position(pos));
                let (id, tree) = (oid(commit.id())?, oid(commit.root_tree_id())?);
                at[pos as usize] = g.commits.len() as u32;
                g.index.insert(key(&id), at[pos as usize]);
                g.commits.push(SourceCommit { id, tree, parents, generation, boundary: false });
            }
        }
        Some(g)
    }

    /// [`SourceGraph::read_until`], taking commits from `known` (tree and
    /// parents by id) before reading them.
    fn read_with(
        src: &Source<'_>,
        tips: &[Oid],
        done: &dyn Fn(Oid) -> bool,
        known: &std::cell::RefCell<IdMap<Key, (Oid, Vec<Oid>)>>,
    ) -> Result<SourceGraph, ObjectError> {
        let mut g = SourceGraph::default();
        // Commits read but not yet emitted are on the stack with what was
        // read of them; the index marks them `ON_STACK` until they are.
        const ON_STACK: u32 = u32::MAX;
        struct Open {
            id: Oid,
            tree: Oid,
            parents: Vec<Oid>,
            /// Done by an previous run: its parents are left out.
            boundary: bool,
            next: usize,
        }
        let read = |id: Oid| -> Result<Open, ObjectError> {
            let known = known.borrow_mut().remove(&key(&id));
            let (tree, parents) = match known {
                Some(k) => k,
                None => RawCommit::read(src, id)?
                    .tree_and_parents()
                    .map_err(|what| ObjectError::Malformed { id, kind: ObjectKind::Commit, what })?,
            };
            let boundary = done(id);
            Ok(Open { id, tree, parents: if boundary { Vec::new() } else { parents }, boundary, next: 0 })
        };
        let mut stack: Vec<Open> = Vec::new();
        for &tip in tips {
            if g.index.contains_key(&key(&tip)) {
                continue;
            }
            g.index.insert(key(&tip), ON_STACK);
            stack.push(read(tip)?);
            while let Some(top) = stack.last_mut() {
                if let Some(&p) = top.parents.get(top.next) {
                    top.next += 1;
                    if let std::collections::hash_map::Entry::Vacant(e) = g.index.entry(key(&p)) {
                        e.insert(ON_STACK);
                        stack.push(read(p)?);
                    }
                    continue;
                }
                let c = stack.pop().expect("on the stack");
                g.partial |= c.boundary;
                let parents: Vec<u32> = c.parents.iter().map(|p| g.index[&key(p)]).collect();
                let generation = if c.boundary {
                    0
                } else {
                    parents.iter().map(|&p| g.commits[p as usize].generation).max().unwrap_or(0) + 1
                };
                *g.index.get_mut(&key(&c.id)).expect("marked") = g.commits.len() as u32;
                g.commits.push(SourceCommit {
                    id: c.id,
                    tree: c.tree,
                    parents,
                    generation,
                    boundary: c.boundary,
                });
            }
        }
        Ok(g)
    }

    /// The position of commit `id` in [`SourceGraph::commits`].
    pub fn position(&self, id: Oid) -> Option<usize> {
        self.key_position(&key(&id))
    }

    /// [`SourceGraph::position`] by the id's bytes.
    pub fn key_position(&self, id: &Key) -> Option<usize> {
        self.index.get(id).map(|&i| i as usize)
    }

    /// The commit with this id.
    pub fn get(&self, id: Oid) -> Option<&SourceCommit> {
        self.index.get(&key(&id)).map(|&i| &self.commits[i as usize])
    }

    /// Is `a` an ancestor of (or equal to) `b`? Both are commits of the
    /// graph. Below boundary commits, `older(a, x)` answers whether `a` is
    /// an ancestor of boundary commit `x`: the graph does not know.
    pub fn is_ancestor<E>(
        &self,
        a: Oid,
        b: Oid,
        older: &dyn Fn(Oid, Oid) -> Result<bool, E>,
    ) -> Result<bool, E> {
        let (Some(&ia), Some(&ib)) = (self.index.get(&key(&a)), self.index.get(&key(&b))) else {
            return Ok(a == b);
        };
        let ga = self.commits[ia as usize].generation;
        let a_boundary = self.commits[ia as usize].boundary;
        let mut stack = vec![ib];
        let mut seen = HashSet::new();
        while let Some(c) = stack.pop() {
            if c == ia {
                return Ok(true);
            }
            let commit = &self.commits[c as usize];
            if !seen.insert(c) {
                continue;
            }
            if commit.boundary {
                // Generations start again at boundary commits; only an
                // older commit can be below one.
                if a_boundary && older(a, commit.id)? {
                    return Ok(true);
                }
                continue;
            }
            // Nothing at or below a's generation (other than a) can reach a.
            if commit.generation <= ga {
                continue;
            }
            stack.extend(commit.parents.iter().copied());
        }
        Ok(false)
    }
}

/// Past this many commits in the packs, reading them all ahead would hold
/// too much at once (about 100 bytes each); they are read as found.
const MAX_PREFETCH: usize = 4 << 20;

/// Tree and parents of commits read ahead from the packs. A whole history
/// is nearly every commit in them: reading those in pack order on several
/// threads beats reading one at a time as the walk finds parents.
#[derive(Default)]
pub struct PackedCommits(IdMap<Key, (Oid, Vec<Oid>)>);

impl PackedCommits {
    /// How many commits are known.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no commit is known.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Tree and parents of commit `id`, when known.
    pub fn get(&self, id: &Oid) -> Option<&(Oid, Vec<Oid>)> {
        self.0.get(&key(id))
    }

    /// Every commit stored whole in `packs`, read on up to `threads`
    /// threads. One that does not parse is left out: reading it as it is
    /// found reports why.
    pub fn read(packs: &Packs, threads: usize) -> PackedCommits {
        let commits = packs.whole_commits();
        if commits.len() > MAX_PREFETCH {
            return PackedCommits::default();
        }
        let pieces: Vec<_> = commits.chunks(1024).collect();
        let parsed = crate::util::parallel::map_in_turn(&pieces, threads, ReadState::new, |state, piece| {
            piece
                .iter()
                .filter_map(|&(place, id)| {
                    let (kind, data) = packs.read_located(place, state)?;
                    let parsed = (kind == ObjectKind::Commit)
                        .then(|| RawCommit::new(data).tree_and_parents().ok())
                        .flatten()?;
                    Some((id, parsed))
                })
                .collect::<Vec<_>>()
        });
        let mut known = id_map();
        known.reserve(commits.len());
        known.extend(parsed.into_iter().flatten());
        PackedCommits(known)
    }
}

/// A commit-graph entry that does not read: the graph is not used.
#[derive(Debug, thiserror::Error)]
#[error("unreadable commit-graph entry")]
struct Unreadable;
