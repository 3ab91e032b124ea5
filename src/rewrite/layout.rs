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
//! generation's view; a team keeps one [`TreeFilter`] per generation it
//! meets, so the filter's memo (directory node, tree id) never mixes two
//! views, and a generation met again later finds its memo still warm. The
//! engine relies on two properties only: a commit's generation is decided
//! before the pass, from the commit alone (so a run from scratch, an
//! incremental run, one team or every team all agree), and two commits of
//! one generation filter every tree alike. Anything that varies ownership
//! between commits fits this shape; following renames (a file kept at its
//! earlier path before the commit that moved it) is another generation
//! source of the same kind: a key per commit, a view per distinct key.
//!
//! Package resolutions change only where a package manifest (or a file
//! declaring workspace members) is added, removed, renamed or edited, so a
//! commit's *layout* is the set of those files with their blob ids, hashed
//! bottom-up per tree and memoised by tree id: a tree already seen in an
//! earlier commit costs a lookup, and only trees new to history are read.
//! Each distinct layout is resolved once; layouts that resolve alike
//! (a dependency bump in a `go.mod` moves no package) share a generation.
//!
//! The view of a generation also answers which directories a team keeps
//! whole: a directory holding a nested package of that commit is never
//! "whole" there, so reusing whole directories by id stays exact.

use std::collections::HashMap;

use git2::Oid;
use sha1::{Digest, Sha1};

use super::graph::SourceGraph;
use super::tree::{TreeError, TreeFilter, MAX_TREE_DEPTH};
use super::Job;
use crate::manifest::Manifest;
use crate::odb::id::{id_map, key, IdMap, IdSet, Key};
use crate::odb::pack::PackSink;
use crate::odb::tree::{RawTree, MODE_TREE};
use crate::odb::{ObjectKind, Source};
use crate::ownership::packages::{is_package_manifest, FileSource, ReadError, MAX_MANIFEST_FILE_BYTES};
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
    /// Does `team`'s tree depend on packages (its own or shared ones)?
    pub fn matters_to(&self, team: usize) -> bool {
        self.split.packages.iter().any(|p| p.owner == Owner::Team(team) || p.owner == Owner::Shared)
    }
}

/// The ownership view of every commit of a graph.
pub struct Generations {
    /// One view per generation.
    views: Vec<Ownership>,
    /// Per graph position, its generation.
    of_commit: Vec<u32>,
}

impl Generations {
    /// Resolves the packages of every commit of `graph`, once per distinct
    /// package layout.
    pub fn read(
        src: &Source<'_>,
        graph: &SourceGraph,
        h: &PackageHistory<'_>,
    ) -> Result<Generations, TreeError> {
        let mut scan = Scan { src, below: id_map(), blobs: HashMap::new() };
        let mut by_layout: HashMap<Option<Key>, u32> = HashMap::new();
        let mut of_tree: IdMap<Key, u32> = id_map();
        let mut views: Vec<Ownership> = Vec::new();
        let mut of_commit = Vec::with_capacity(graph.commits.len());
        for c in &graph.commits {
            if let Some(&g) = of_tree.get(&key(&c.tree)) {
                of_commit.push(g);
                continue;
            }
            let layout = scan.layout(c.tree, 0)?;
            let g = match by_layout.get(&layout) {
                Some(&g) => g,
                None => {
                    let view = scan.resolve(c.tree, c.id, h)?;
                    let g = match views.iter().position(|v| v.same_packages(&view)) {
                        Some(g) => g as u32,
                        None => {
                            views.push(view);
                            views.len() as u32 - 1
                        }
                    };
                    by_layout.insert(layout, g);
                    g
                }
            };
            of_tree.insert(key(&c.tree), g);
            of_commit.push(g);
        }
        Ok(Generations { views, of_commit })
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
}

/// The package layouts of trees, memoised by tree id.
struct Scan<'s, 'r> {
    src: &'s Source<'r>,
    /// Tree -> hash of the package manifests below it; `None` when it holds none.
    below: IdMap<Key, Option<Key>>,
    /// Manifest blobs read so far: most stay the same across layouts.
    blobs: HashMap<Key, Option<std::sync::Arc<[u8]>>>,
}

/// A package manifest of a layout: path, mode, blob.
type LayoutFile = (Vec<u8>, u32, Oid);

impl Scan<'_, '_> {
    /// The hash of the package manifests (paths, modes, blob ids) below
    /// `tree`; `None` when there are none.
    fn layout(&mut self, tree: Oid, depth: u32) -> Result<Option<Key>, TreeError> {
        if let Some(k) = self.below.get(&key(&tree)) {
            return Ok(*k);
        }
        if depth > MAX_TREE_DEPTH {
            return Err(TreeError::TooDeep { id: tree });
        }
        let t = RawTree::read(self.src, tree)?;
        let mut h = Sha1::new();
        let mut any = false;
        for e in t.iter() {
            let part = if e.mode == MODE_TREE {
                match self.layout(e.id, depth + 1)? {
                    Some(k) => k,
                    None => continue,
                }
            } else if is_package_manifest(e.name) {
                key(&e.id)
            } else {
                continue;
            };
            any = true;
            h.update(e.mode.to_be_bytes());
            h.update(e.name);
            h.update([0]);
            h.update(part);
        }
        let k = any.then(|| h.finalize().into());
        self.below.insert(key(&tree), k);
        Ok(k)
    }

    /// The package manifests of `tree`, in tree-walk order (the order of a
    /// full listing); only directories holding some are read.
    fn files(&self, tree: Oid, prefix: &mut Vec<u8>, out: &mut Vec<LayoutFile>) -> Result<(), TreeError> {
        let t = RawTree::read(self.src, tree)?;
        for e in t.iter() {
            let len = prefix.len();
            if !prefix.is_empty() {
                prefix.push(b'/');
            }
            prefix.extend_from_slice(e.name);
            if e.mode == MODE_TREE {
                if self.below.get(&key(&e.id)).is_some_and(Option::is_some) {
                    self.files(e.id, prefix, out)?;
                }
            } else if is_package_manifest(e.name) {
                out.push((prefix.clone(), e.mode, e.id));
            }
            prefix.truncate(len);
        }
        Ok(())
    }

    /// The rules of commit `commit`, whose root tree is `tree`.
    fn resolve(&mut self, tree: Oid, commit: Oid, h: &PackageHistory<'_>) -> Result<Ownership, TreeError> {
        let mut files = Vec::new();
        self.files(tree, &mut Vec::new(), &mut files)?;
        let source = LayoutFiles::new(self, files);
        let view = Ownership::at_commit(h.manifest, &source, h.split);
        // Blobs read for this layout stay for the next one.
        let read = source.read.into_inner();
        self.blobs.extend(read);
        view.map_err(|e| TreeError::Start {
            context: "resolving packages",
            message: format!("at commit {commit}: {e}"),
        })
    }
}

/// The package manifests of one commit as a [`FileSource`]: what package
/// resolution reads of a tree (every kind but JVM looks only at files
/// named like manifests).
struct LayoutFiles<'a, 's, 'r> {
    scan: &'a Scan<'s, 'r>,
    files: Vec<LayoutFile>,
    index: HashMap<Vec<u8>, usize>,
    /// Blobs read now, added to the scan's afterwards.
    read: std::cell::RefCell<HashMap<Key, Option<std::sync::Arc<[u8]>>>>,
}

impl<'a, 's, 'r> LayoutFiles<'a, 's, 'r> {
    fn new(scan: &'a Scan<'s, 'r>, files: Vec<LayoutFile>) -> Self {
        let index = files.iter().enumerate().map(|(i, f)| (f.0.clone(), i)).collect();
        LayoutFiles { scan, files, index, read: Default::default() }
    }

    /// The file at `path` when it is a regular file (blob or executable).
    fn blob(&self, path: &[u8]) -> Option<Oid> {
        let f = &self.files[*self.index.get(path)?];
        matches!(f.1, 0o100644 | 0o100755 | 0o100664).then_some(f.2)
    }

    fn error(path: &[u8], e: impl std::fmt::Display) -> ReadError {
        ReadError { path: String::from_utf8_lossy(path).into_owned(), message: e.to_string() }
    }
}

impl FileSource for LayoutFiles<'_, '_, '_> {
    fn paths(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        Box::new(self.files.iter().map(|f| f.0.as_slice()))
    }

    fn read(&self, path: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        let Some(id) = self.blob(path) else { return Ok(None) };
        let k = key(&id);
        let known = self.scan.blobs.get(&k).cloned().or_else(|| self.read.borrow().get(&k).cloned());
        let data = match known {
            Some(data) => data,
            None => {
                let data = match self.scan.src.read(id).map_err(|e| Self::error(path, e))? {
                    (ObjectKind::Blob, data) => Some(data),
                    _ => None,
                };
                self.read.borrow_mut().insert(k, data.clone());
                data
            }
        };
        Ok(data.map(|d| d.to_vec()))
    }

    fn too_large(&self, path: &[u8]) -> Result<Option<u64>, ReadError> {
        let Some(id) = self.blob(path) else { return Ok(None) };
        if let Some(Some(data)) = self.scan.blobs.get(&key(&id)) {
            return Ok((data.len() as u64 > MAX_MANIFEST_FILE_BYTES).then_some(data.len() as u64));
        }
        // The header only: a huge blob named like a manifest is not inflated.
        let odb = self.scan.src.repo().odb().map_err(|e| Self::error(path, e))?;
        let (size, _) = odb.read_header(id).map_err(|e| Self::error(path, e))?;
        let size = size as u64;
        Ok((size > MAX_MANIFEST_FILE_BYTES).then_some(size))
    }
}

/// A team's tree filters, one per generation it meets.
pub struct TeamFilters<'a> {
    /// Absent when the team's tree does not depend on packages (or the
    /// manifest names none): one filter with the split ref's rules.
    generations: Option<&'a Generations>,
    split: &'a Ownership,
    team: usize,
    root: Option<&'a str>,
    filters: Vec<Option<TreeFilter<'a>>>,
}

impl<'a> TeamFilters<'a> {
    /// The filters of `job`'s team; `generations` when packages are
    /// resolved per commit.
    pub fn new(job: &Job<'a>, generations: Option<&'a Generations>) -> TeamFilters<'a> {
        TeamFilters { generations, split: job.ownership, team: job.team, root: job.root, filters: Vec::new() }
    }

    /// The generation of the commit at graph position `i`.
    pub fn generation(&self, i: usize) -> u32 {
        self.generations.map_or(0, |g| g.of_commit(i))
    }

    /// The filter of generation `g`, made on first use.
    pub fn get(&mut self, g: u32) -> &mut TreeFilter<'a> {
        let g = g as usize;
        if self.filters.len() <= g {
            self.filters.resize_with(g + 1, || None);
        }
        let (generations, split, team, root) = (self.generations, self.split, self.team, self.root);
        self.filters[g].get_or_insert_with(|| {
            let view = generations.map_or(split, |gens| &gens.views[g]);
            TreeFilter::new(view, team, root)
        })
    }

    /// Every filter's monolith objects the team's pack needs, and the
    /// trees kept whole below which everything is needed too.
    pub fn take_needed(&mut self) -> (IdSet, Vec<Oid>) {
        let mut filters = self.filters.iter_mut().flatten();
        let Some(first) = filters.next() else { return Default::default() };
        let mut needed = std::mem::take(&mut first.needed);
        let mut closure = std::mem::take(&mut first.closure);
        let mut whole: IdSet = closure.iter().map(key).collect();
        for f in filters {
            needed.extend(std::mem::take(&mut f.needed));
            closure.extend(f.closure.drain(..).filter(|t| whole.insert(key(t))));
        }
        (needed, closure)
    }

    /// Filters root tree `tree` (parsed as `parsed`) with generation `g`'s rules.
    pub fn filter_root(
        &mut self,
        g: u32,
        src: &Source<'_>,
        out: &mut PackSink,
        tree: Oid,
        parsed: &RawTree,
    ) -> Result<Option<Oid>, TreeError> {
        self.get(g).filter_root(src, out, tree, parsed)
    }
}
