//! Filtering one tree for one team, memoised by (directory, source tree id).
//!
//! A directory the team keeps whole is reused by id without being read; one
//! it cannot keep is skipped without being read; only "partly" directories
//! are read, and each (directory, tree id) pair is filtered once per run, so
//! a commit costs only the directories its change touched.

use std::collections::HashMap;

use git2::{ObjectType, Oid, Repository};

use super::pack::PackSink;

use crate::ownership::{Cursor, Ownership};
use crate::pattern::DirMatch;

/// Errors reading or writing trees.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {message}")]
pub struct TreeError {
    /// What we were doing.
    pub context: String,
    /// Why it failed.
    pub message: String,
}

struct DirNode {
    cursor: Cursor,
    class: DirMatch,
    children: HashMap<Box<[u8]>, u32>,
}

/// Statistics of a filter's work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TreeStats {
    /// Trees read and filtered entry by entry.
    pub trees_read: u64,
    /// New trees written.
    pub trees_written: u64,
    /// Lookups answered by the memo.
    pub memo_hits: u64,
}

/// Filters trees for one team: its own files plus shared ones.
pub struct TreeFilter<'a> {
    ownership: &'a Ownership,
    team: usize,
    /// Path components of `root:`, if the team hoists a directory.
    root: Vec<Box<[u8]>>,
    dirs: Vec<DirNode>,
    memo: HashMap<(u32, Oid), Option<Oid>>,
    /// Statistics so far.
    pub stats: TreeStats,
}

impl<'a> TreeFilter<'a> {
    /// A filter for `team`, hoisting `root` (a `/`-separated directory) if given.
    pub fn new(ownership: &'a Ownership, team: usize, root: Option<&str>) -> TreeFilter<'a> {
        let cursor = ownership.root_cursor();
        let class = ownership.cursor_keep_class(&cursor, team);
        TreeFilter {
            ownership,
            team,
            root: root
                .map(|r| r.split('/').filter(|s| !s.is_empty()).map(|s| s.as_bytes().into()).collect())
                .unwrap_or_default(),
            dirs: vec![DirNode { cursor, class, children: HashMap::new() }],
            memo: HashMap::new(),
            stats: TreeStats::default(),
        }
    }

    fn child(&mut self, dir: u32, name: &[u8]) -> u32 {
        if let Some(&c) = self.dirs[dir as usize].children.get(name) {
            return c;
        }
        let cursor = self.ownership.enter(&self.dirs[dir as usize].cursor, name);
        let class = match self.dirs[dir as usize].class {
            // A decided directory decides its subdirectories.
            DirMatch::Whole => DirMatch::Whole,
            DirMatch::None => DirMatch::None,
            DirMatch::Partial => self.ownership.cursor_keep_class(&cursor, self.team),
        };
        let id = self.dirs.len() as u32;
        self.dirs.push(DirNode { cursor, class, children: HashMap::new() });
        self.dirs[dir as usize].children.insert(name.into(), id);
        id
    }

    /// The team's tree for the source root tree `tree`, or `None` when the
    /// team keeps nothing of it. New trees are written to `out`.
    pub fn filter(
        &mut self,
        src: &Repository,
        out: &mut PackSink<'_>,
        tree: Oid,
    ) -> Result<Option<Oid>, TreeError> {
        // Descend to the hoisted root through the source tree.
        let mut dir = 0u32;
        let mut oid = tree;
        for k in 0..self.root.len() {
            let name = self.root[k].clone();
            let t = src.find_tree(oid).map_err(|e| err(format!("reading tree {oid}"), e))?;
            let Some(entry) = t.iter().find(|e| e.name_bytes() == &*name) else { return Ok(None) };
            if entry.kind() != Some(ObjectType::Tree) {
                return Ok(None);
            }
            oid = entry.id();
            dir = self.child(dir, &name);
        }
        self.filter_dir(src, out, dir, oid)
    }

    fn filter_dir(
        &mut self,
        src: &Repository,
        out: &mut PackSink<'_>,
        dir: u32,
        oid: Oid,
    ) -> Result<Option<Oid>, TreeError> {
        match self.dirs[dir as usize].class {
            DirMatch::Whole => return Ok(Some(oid)),
            DirMatch::None => return Ok(None),
            DirMatch::Partial => {}
        }
        if let Some(&r) = self.memo.get(&(dir, oid)) {
            self.stats.memo_hits += 1;
            return Ok(r);
        }
        self.stats.trees_read += 1;
        let tree = src.find_tree(oid).map_err(|e| err(format!("reading tree {oid}"), e))?;
        let mut kept: Vec<(i32, Box<[u8]>, Oid)> = Vec::with_capacity(tree.len());
        let mut changed = false;
        for entry in tree.iter() {
            let name = entry.name_bytes();
            let mode = entry.filemode_raw();
            let keep = if entry.kind() == Some(ObjectType::Tree) {
                let child = self.child(dir, name);
                self.filter_dir(src, out, child, entry.id())?
            } else {
                let cursor = &self.dirs[dir as usize].cursor;
                self.ownership.file_owners(cursor, name).kept_by(self.team).then_some(entry.id())
            };
            match keep {
                Some(id) => {
                    changed |= id != entry.id();
                    kept.push((mode, name.into(), id));
                }
                None => changed = true,
            }
        }
        let result = if kept.is_empty() {
            None
        } else if !changed {
            Some(oid)
        } else {
            // Entries keep the source order, which is already git's order.
            let mut buf = Vec::with_capacity(kept.len() * 40);
            for (mode, name, id) in &kept {
                buf.extend_from_slice(format!("{mode:o} ").as_bytes());
                buf.extend_from_slice(name);
                buf.push(0);
                buf.extend_from_slice(id.as_bytes());
            }
            self.stats.trees_written += 1;
            Some(
                out.write(ObjectType::Tree, &buf)
                    .map_err(|e| TreeError { context: e.context, message: e.message })?,
            )
        };
        self.memo.insert((dir, oid), result);
        Ok(result)
    }
}

fn err(context: String, source: git2::Error) -> TreeError {
    TreeError { context, message: source.to_string() }
}
