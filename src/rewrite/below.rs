//! What changed below the top level since the first parent, told by tree
//! ids, without a commit-graph.
//!
//! The reader compares each commit's tree with its first parent's down the
//! directories that lead to some team's kept paths ([`Explore`]): where an
//! entry's mode and id are the same on both sides, nothing below it
//! changed. A path whose directory was compared and which is not among the
//! names that differ there is ruled out as a Bloom filter's "no" rules it
//! out (see `unchanged`), but exactly and for every history. The trees read
//! on the way are handed to the teams ([`Below::trees`]), so a team that
//! filters the commit does not read them again.

use std::collections::HashSet;
use std::sync::Arc;

use git2::Oid;

use crate::odb::id::{key, Key};
use crate::odb::tree::{RawTree, RecentTrees};
use crate::ownership::Ownership;
use crate::pattern::DirMatch;

/// The directories worth comparing: those above a path some team keeps
/// (where a team's rules are decided by the names that differ), and the
/// kept paths a team keeps only part of (whose trees that team reads).
#[derive(Debug, Default)]
pub struct Explore {
    dirs: HashSet<Box<[u8]>>,
}

impl Explore {
    /// Adds what `team` keeps under the rules `ownership`; a team whose
    /// rules may keep a file anywhere adds nothing (it is never ruled out).
    pub fn add(&mut self, ownership: &Ownership, team: usize) {
        for prefix in ownership.keep_prefixes(team).unwrap_or_default() {
            let slashes = prefix.iter().enumerate().filter(|(_, &b)| b == b'/').map(|(i, _)| i);
            for end in slashes {
                self.dirs.insert(prefix[..end].into());
            }
            let mut cursor = ownership.root_cursor();
            for name in prefix.split(|&b| b == b'/') {
                cursor = ownership.enter(&cursor, name);
            }
            if ownership.cursor_keep_class(&cursor, team) == DirMatch::Partial {
                self.dirs.insert(prefix.into());
            }
        }
    }

    /// Nothing to compare below the top level.
    pub fn is_empty(&self) -> bool {
        self.dirs.is_empty()
    }
}

/// One commit's changes below the top level.
#[derive(Debug, Default)]
pub struct Below {
    /// Directories compared entry by entry with the first parent's, sorted.
    explored: Vec<Box<[u8]>>,
    /// The paths of the entries that differ in those directories, sorted.
    changed: Vec<Box<[u8]>>,
    /// The commit's trees read on the way, by id.
    pub trees: Vec<(Key, Arc<RawTree>)>,
}

impl Below {
    /// Is `path` (below the top level, `/`-separated) certainly the same
    /// as in the first parent? `false` when not known.
    pub fn rules_out(&self, path: &[u8]) -> bool {
        let Some(slash) = path.iter().rposition(|&b| b == b'/') else { return false };
        let dir = &path[..slash];
        self.explored.binary_search_by(|e| (**e).cmp(dir)).is_ok()
            && self.changed.binary_search_by(|e| (**e).cmp(path)).is_err()
    }

    /// No directory below the top level was compared.
    pub fn is_empty(&self) -> bool {
        self.explored.is_empty()
    }
}

/// Compares commits' trees with their first parents', commit after commit,
/// keeping the trees it read lately (a commit's parent is mostly the
/// commit before it).
pub struct Comparer<'e> {
    explore: &'e Explore,
    cache: RecentTrees,
}

impl<'e> Comparer<'e> {
    /// Trees kept for the commits that follow.
    const CACHE: usize = 256;

    /// A comparer of the directories of `explore`.
    pub fn new(explore: &'e Explore) -> Comparer<'e> {
        Comparer { explore, cache: RecentTrees::new(Self::CACHE) }
    }

    /// There is nothing to compare below the top level.
    pub fn idle(&self) -> bool {
        self.explore.is_empty()
    }

    /// The changes below the top level of a commit whose root tree `root`
    /// differs from its first parent's, `parent`, in the top-level
    /// `names`. `read` reads a tree, `None` when it cannot: what it cannot
    /// read is left uncompared (a team filtering the commit reads it, and
    /// reports why it cannot).
    pub fn below(
        &mut self,
        read: &mut dyn FnMut(&Oid) -> Option<Arc<RawTree>>,
        root: &RawTree,
        parent: &RawTree,
        names: &[&[u8]],
    ) -> Below {
        let mut below = Below::default();
        if !self.explore.is_empty() {
            let mut path = Vec::new();
            self.compare(read, &mut path, root, parent, names, &mut below);
            below.explored.sort_unstable();
            below.changed.sort_unstable();
        }
        below
    }

    /// Compares, in directory `path` (`new` against `old`), the entries
    /// called `names` that differ and are worth it.
    fn compare(
        &mut self,
        read: &mut dyn FnMut(&Oid) -> Option<Arc<RawTree>>,
        path: &mut Vec<u8>,
        new: &RawTree,
        old: &RawTree,
        names: &[&[u8]],
        below: &mut Below,
    ) {
        let len = path.len();
        for name in names {
            if len > 0 {
                path.push(b'/');
            }
            path.extend_from_slice(name);
            if self.explore.dirs.contains(&path[..]) {
                if let Some((id, n, o)) = self.pair(read, new, old, name) {
                    let differ = n.changed_names(&o);
                    below.explored.push(path[..].into());
                    for d in &differ {
                        let mut p = path.clone();
                        p.push(b'/');
                        p.extend_from_slice(d);
                        below.changed.push(p.into());
                    }
                    self.compare(read, path, &n, &o, &differ, below);
                    below.trees.push((key(&id), n));
                }
            }
            path.truncate(len);
        }
    }

    /// The trees called `name` in `new` (with its id) and `old`, when
    /// both are directories that can be read.
    fn pair(
        &mut self,
        read: &mut dyn FnMut(&Oid) -> Option<Arc<RawTree>>,
        new: &RawTree,
        old: &RawTree,
        name: &[u8],
    ) -> Option<(Oid, Arc<RawTree>, Arc<RawTree>)> {
        let (n, o) = (new.find(name)?, old.find(name)?);
        if !n.is_tree() || !o.is_tree() {
            return None;
        }
        Some((n.id, self.get(read, &n.id)?, self.get(read, &o.id)?))
    }

    fn get(&mut self, read: &mut dyn FnMut(&Oid) -> Option<Arc<RawTree>>, id: &Oid) -> Option<Arc<RawTree>> {
        self.cache.get_or_read(id, || read(id).ok_or(())).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn below(explored: &[&str], changed: &[&str]) -> Below {
        let boxed = |v: &[&str]| {
            let mut b: Vec<Box<[u8]>> = v.iter().map(|s| s.as_bytes().into()).collect();
            b.sort();
            b
        };
        Below { explored: boxed(explored), changed: boxed(changed), trees: Vec::new() }
    }

    #[test]
    fn rules_out_only_what_a_compared_directory_shows_unchanged() {
        let b = below(&["src", "src/Acme"], &["src/Acme", "src/Acme/Cart"]);
        // Compared, and the same.
        assert!(b.rules_out(b"src/Nimbus"));
        assert!(b.rules_out(b"src/Acme/Cache"));
        // Compared, and different.
        assert!(!b.rules_out(b"src/Acme"));
        assert!(!b.rules_out(b"src/Acme/Cart"));
        // Its directory was not compared: not known.
        assert!(!b.rules_out(b"src/Acme/Cart/Tests"));
        assert!(!b.rules_out(b"docs/x"));
        assert!(!b.rules_out(b"src"));
    }
}
