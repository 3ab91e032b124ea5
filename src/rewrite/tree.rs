//! Filtering one tree for one team, memoised by (directory, source tree id).
//!
//! A directory the team keeps whole is reused by id without being read; one
//! it cannot keep is skipped without being read; only "partly" directories
//! are read, and each (directory, tree id) pair is filtered once per run, so
//! a commit costs only the directories its change touched.

use std::collections::HashMap;

use std::sync::Arc;

use git2::Oid;

use crate::odb::bloom::Filter;
use crate::odb::id::{id_map, key, IdMap, IdSet, Key};
use crate::odb::pack::PackSink;
use crate::odb::tree::{RawTree, MODE_GITLINK};
use crate::odb::{ObjectError, ObjectKind, Source};

use super::below::Below;
use super::unchanged::KeptPaths;
use crate::ownership::{Cursor, Ownership};
use crate::pattern::DirMatch;

pub(crate) mod overlay;

/// Why the engine could not filter trees. Clone: one failure to read the
/// monolith's root trees is every team's.
#[derive(Clone, Debug, thiserror::Error)]
pub enum TreeError {
    /// An object could not be read or written.
    #[error(transparent)]
    Object(Arc<ObjectError>),
    /// A tree deeper than git allows.
    #[error("filtering tree {id}: it is nested more than {MAX_TREE_DEPTH} directories deep (git's core.maxTreeDepth)")]
    TooDeep {
        /// The tree.
        id: Oid,
    },
    /// The engine could not start: no thread, or no monolith to read.
    #[error("{context}: {message}")]
    Start {
        /// What it was doing.
        context: &'static str,
        /// Why it failed.
        message: String,
    },
}

impl From<ObjectError> for TreeError {
    fn from(e: ObjectError) -> TreeError {
        TreeError::Object(Arc::new(e))
    }
}

/// Filtered trees remembered per team and generation (about 1 MiB): enough
/// for the directories recent commits share.
const MEMO_ENTRIES: usize = 1 << 14;

/// Trees nested deeper are refused, as git refuses them (`core.maxTreeDepth`):
/// filtering recurses once per level, and a hostile tree must not overflow
/// a worker's stack.
pub const MAX_TREE_DEPTH: u32 = 2048;

struct DirNode {
    cursor: Cursor,
    class: DirMatch,
    depth: u32,
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
    /// Filtered trees, newest first: `memo[0]` fills up, then replaces
    /// `memo[1]`. A history of root trees that are all different would
    /// otherwise keep one entry per commit and team; what falls out is
    /// only filtered again if an old tree comes back.
    memo: [IdMap<(u32, Key), Option<Oid>>; 2],
    /// Does a change to this top-level name matter to the team?
    relevant: HashMap<Box<[u8]>, bool>,
    /// The paths every file the team keeps lies at or below, as tests
    /// of a Bloom filter; `None` inside when a rule may match anywhere.
    /// Made on first use.
    kept_paths: Option<Option<KeptPaths>>,
    /// Trees parsed already, by id (see [`TreeFilter::know`]).
    known: Vec<(Key, Arc<RawTree>)>,
    /// Monolith objects the filtered trees point at.
    pub needed: IdSet,
    /// Monolith trees kept whole without being read: everything below
    /// them is needed too.
    pub closure: Vec<Oid>,
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
            dirs: vec![DirNode { cursor, class, depth: 0, children: HashMap::new() }],
            memo: [id_map(), id_map()],
            relevant: HashMap::new(),
            kept_paths: None,
            known: Vec::new(),
            needed: IdSet::default(),
            closure: Vec::new(),
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
        let depth = self.dirs[dir as usize].depth + 1;
        self.dirs.push(DirNode { cursor, class, depth, children: HashMap::new() });
        self.dirs[dir as usize].children.insert(name.into(), id);
        id
    }

    /// Can a change to the top-level entry `name` (file or directory)
    /// change the team's tree? When no changed name is relevant, a commit's
    /// filtered tree is its parent's.
    pub fn relevant(&mut self, name: &[u8]) -> bool {
        if let Some(&r) = self.relevant.get(name) {
            return r;
        }
        let r = match self.root.first() {
            Some(first) => **first == *name,
            None => {
                let dir = self.child(0, name);
                self.dirs[dir as usize].class != DirMatch::None
                    || self.ownership.file_owners(&self.dirs[0].cursor, name).kept_by(self.team)
            }
        };
        self.relevant.insert(name.into(), r);
        r
    }

    /// Do a commit's changed-path filter `filter` (against its first
    /// parent, when the commit has one) and `below`, the changes the
    /// reader found below the top level, with `changed`, the top-level
    /// names that differ from the first parent's when known, rule out
    /// every path this team keeps? Then the team's tree is the first
    /// parent's, when both commits have these rules (see
    /// [`super::unchanged`] for why that is exact).
    pub fn rules_out(
        &mut self,
        filter: Option<&Filter<'_>>,
        below: &Below,
        changed: Option<&[Box<[u8]>]>,
    ) -> bool {
        let (ownership, team) = (self.ownership, self.team);
        let kept =
            self.kept_paths.get_or_insert_with(|| ownership.keep_prefixes(team).map(|p| KeptPaths::new(&p)));
        kept.as_mut().is_some_and(|k| k.rules_out(filter, below, changed))
    }

    /// Takes `trees`, parsed already, as the trees of their ids until
    /// [`TreeFilter::forget`]: filtering reads them from there.
    pub fn know(&mut self, trees: &[(Key, Arc<RawTree>)]) {
        self.known.clear();
        self.known.extend_from_slice(trees);
    }

    /// Lets go of the trees [`TreeFilter::know`] took: the thread that
    /// read them frees them.
    pub fn forget(&mut self) {
        self.known.clear();
    }

    /// Tree `id`, from the trees known or read now.
    fn read(&self, src: &Source<'_>, id: Oid) -> Result<Arc<RawTree>, TreeError> {
        let k = key(&id);
        match self.known.iter().find(|(known, _)| *known == k) {
            Some((_, tree)) => Ok(tree.clone()),
            None => Ok(Arc::new(RawTree::read(src, id)?)),
        }
    }

    /// The team's tree for the source root tree `tree`, or `None` when the
    /// team keeps nothing of it. New trees are written to `out`.
    pub fn filter(
        &mut self,
        src: &Source<'_>,
        out: &mut PackSink,
        tree: Oid,
    ) -> Result<Option<Oid>, TreeError> {
        let root = RawTree::read(src, tree)?;
        self.filter_root(src, out, tree, &root)
    }

    /// [`TreeFilter::filter`] for a root tree the caller already parsed.
    pub fn filter_root(
        &mut self,
        src: &Source<'_>,
        out: &mut PackSink,
        tree: Oid,
        parsed: &RawTree,
    ) -> Result<Option<Oid>, TreeError> {
        if self.root.is_empty() {
            return self.filter_dir(src, out, 0, tree, Some(parsed));
        }
        // Descend to the hoisted root through the source tree.
        let mut dir = 0u32;
        let mut oid = tree;
        let mut owned;
        let mut current = parsed;
        for k in 0..self.root.len() {
            let name = self.root[k].clone();
            let Some(entry) = current.find(&name) else { return Ok(None) };
            if !entry.is_tree() {
                return Ok(None);
            }
            oid = entry.id;
            dir = self.child(dir, &name);
            if k + 1 < self.root.len() {
                owned = RawTree::read(src, oid)?;
                current = &owned;
            }
        }
        self.filter_dir(src, out, dir, oid, None)
    }

    fn filter_dir(
        &mut self,
        src: &Source<'_>,
        out: &mut PackSink,
        dir: u32,
        oid: Oid,
        parsed: Option<&RawTree>,
    ) -> Result<Option<Oid>, TreeError> {
        match self.dirs[dir as usize].class {
            DirMatch::Whole => {
                if self.needed.insert(key(&oid)) {
                    self.closure.push(oid);
                }
                return Ok(Some(oid));
            }
            DirMatch::None => return Ok(None),
            DirMatch::Partial => {}
        }
        let memo_key = (dir, key(&oid));
        if let Some(r) = self.memo[0].get(&memo_key).or_else(|| self.memo[1].get(&memo_key)).copied() {
            self.stats.memo_hits += 1;
            return Ok(r);
        }
        if self.dirs[dir as usize].depth > MAX_TREE_DEPTH {
            return Err(TreeError::TooDeep { id: oid });
        }
        self.stats.trees_read += 1;
        let owned;
        let tree = match parsed {
            Some(t) => t,
            None => {
                owned = self.read(src, oid)?;
                &*owned
            }
        };
        let mut kept: Vec<(u32, &[u8], Oid)> = Vec::with_capacity(tree.len());
        let mut changed = false;
        for entry in tree.iter() {
            let keep = if entry.is_tree() {
                let child = self.child(dir, entry.name);
                self.filter_dir(src, out, child, entry.id, None)?
            } else {
                let cursor = &self.dirs[dir as usize].cursor;
                let kept = self.ownership.file_owners(cursor, entry.name).kept_by(self.team);
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
        let result = self.write_kept(out, oid, &kept, changed)?;
        if self.memo[0].len() >= MEMO_ENTRIES {
            self.memo[1] = std::mem::replace(&mut self.memo[0], id_map());
        }
        self.memo[0].insert(memo_key, result);
        Ok(result)
    }

    /// The tree of the `kept` entries of source tree `oid`: none when
    /// nothing is kept, `oid` itself when nothing `changed`, else a new
    /// tree written to `out`.
    fn write_kept(
        &mut self,
        out: &mut PackSink,
        oid: Oid,
        kept: &[(u32, &[u8], Oid)],
        changed: bool,
    ) -> Result<Option<Oid>, TreeError> {
        if kept.is_empty() {
            return Ok(None);
        }
        if !changed {
            // Everything below was recorded entry by entry.
            self.needed.insert(key(&oid));
            return Ok(Some(oid));
        }
        // Entries keep the source order, which is already git's order.
        let mut buf = Vec::with_capacity(kept.len() * 40);
        for (mode, name, id) in kept {
            buf.extend_from_slice(format!("{mode:o} ").as_bytes());
            buf.extend_from_slice(name);
            buf.push(0);
            buf.extend_from_slice(id.as_bytes());
        }
        self.stats.trees_written += 1;
        Ok(Some(out.write(ObjectKind::Tree, &buf)?))
    }
}
