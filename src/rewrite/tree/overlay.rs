//! A tree filtered with extra paths: the team's rules, plus exact file
//! paths kept whatever the rules say (the earlier paths of files that
//! follow renames, see [`crate::rewrite::follow`]).
//!
//! Only the directories on the way to an extra path (its spine) are
//! filtered apart; every other directory goes through the filter's memo as
//! without extras, so the memo is shared by every extra set.

use std::collections::{BTreeMap, BTreeSet};

use git2::Oid;

use super::{TreeError, TreeFilter, MAX_TREE_DEPTH};
use crate::odb::id::key;
use crate::odb::pack::PackSink;
use crate::odb::tree::{RawTree, MODE_GITLINK};
use crate::odb::Source;
use crate::pattern::DirMatch;

/// Extra paths as a tree of names: the directories to go through, the
/// files to keep.
#[derive(Debug, Default)]
pub struct Spine {
    dirs: BTreeMap<Box<[u8]>, Spine>,
    files: BTreeSet<Box<[u8]>>,
}

impl Spine {
    /// The spine of `paths` (`/`-separated file paths).
    pub fn of(paths: &[Vec<u8>]) -> Spine {
        let mut root = Spine::default();
        for p in paths {
            let mut node = &mut root;
            let mut parts = p.split(|&b| b == b'/').peekable();
            while let Some(name) = parts.next() {
                if parts.peek().is_none() {
                    node.files.insert(name.into());
                } else {
                    node = node.dirs.entry(name.into()).or_default();
                }
            }
        }
        root
    }
}

impl TreeFilter<'_> {
    /// [`TreeFilter::filter_root`], also keeping the files of `spine`.
    pub fn filter_root_with(
        &mut self,
        src: &Source<'_>,
        out: &mut PackSink,
        tree: Oid,
        parsed: &RawTree,
        spine: &Spine,
    ) -> Result<Option<Oid>, TreeError> {
        // A hoisted root has no place for paths outside it (the manifest
        // refuses the combination).
        debug_assert!(self.root.is_empty());
        self.filter_spine(src, out, 0, tree, Some(parsed), spine)
    }

    fn filter_spine(
        &mut self,
        src: &Source<'_>,
        out: &mut PackSink,
        dir: u32,
        oid: Oid,
        parsed: Option<&RawTree>,
        spine: &Spine,
    ) -> Result<Option<Oid>, TreeError> {
        if self.dirs[dir as usize].class == DirMatch::Whole {
            // Everything below is kept anyway.
            return self.filter_dir(src, out, dir, oid, parsed);
        }
        if self.dirs[dir as usize].depth > MAX_TREE_DEPTH {
            return Err(TreeError::TooDeep { id: oid });
        }
        self.stats.trees_read += 1;
        let owned;
        let tree = match parsed {
            Some(t) => t,
            None => {
                owned = RawTree::read(src, oid)?;
                &owned
            }
        };
        let mut kept: Vec<(u32, &[u8], Oid)> = Vec::with_capacity(tree.len());
        let mut changed = false;
        for entry in tree.iter() {
            let keep = if entry.is_tree() {
                let child = self.child(dir, entry.name);
                match spine.dirs.get(entry.name) {
                    Some(below) => self.filter_spine(src, out, child, entry.id, None, below)?,
                    None => self.filter_dir(src, out, child, entry.id, None)?,
                }
            } else {
                let cursor = &self.dirs[dir as usize].cursor;
                let kept = spine.files.contains(entry.name)
                    || self.ownership.file_owners(cursor, entry.name).kept_by(self.team);
                if kept && entry.mode != MODE_GITLINK {
                    self.needed.insert(key(&entry.id));
                }
                kept.then_some(entry.id)
            };
            match keep {
                Some(id) => {
                    changed |= id != entry.id;
                    kept.push((entry.mode, entry.name, id));
                }
                None => changed = true,
            }
        }
        self.write_kept(out, oid, &kept, changed)
    }
}
