//! Packages resolved in the tree of each commit, cheaply.
//!
//! Package resolutions change only where a package manifest (or a file
//! declaring workspace members) is added, removed, renamed or edited, so a
//! commit's *layout* is the set of those files with their blob ids, hashed
//! bottom-up per tree and memoised by tree id: a tree already seen costs a
//! lookup, and only trees new to history are read. Each distinct layout is
//! resolved once, from those files alone (every kind but JVM reads nothing
//! else; JVM packages keep the split ref's resolution, see
//! [`Ownership::at_commit`]), and layouts that place every package alike
//! (a dependency bump in a `go.mod`) share one view.

use std::collections::HashMap;
use std::sync::Arc;

use git2::Oid;
use sha1::{Digest, Sha1};

use super::packages::{is_package_manifest, FileSource, ReadError, MAX_MANIFEST_FILE_BYTES};
use super::{Ownership, OwnershipError};
use crate::manifest::Manifest;
use crate::odb::id::{id_map, key, IdMap, Key};
use crate::odb::tree::{RawTree, MODE_TREE};
use crate::odb::{ObjectError, ObjectKind, Source};

/// Trees nested deeper are refused, as git refuses them (`core.maxTreeDepth`).
const MAX_DEPTH: u32 = 2048;

/// Why a commit's packages could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// A tree or manifest could not be read.
    #[error(transparent)]
    Object(#[from] ObjectError),
    /// A tree deeper than git allows.
    #[error(
        "reading tree {id}: it is nested more than {MAX_DEPTH} directories deep (git's core.maxTreeDepth)"
    )]
    TooDeep {
        /// The tree.
        id: Oid,
    },
    /// The packages of a commit's tree do not resolve.
    #[error("resolving packages at commit {commit}: {error}")]
    Packages {
        /// The commit.
        commit: Oid,
        /// What failed.
        error: Box<OwnershipError>,
    },
}

/// The ownership views of the commits asked about, one per distinct
/// package resolution.
pub struct Layouts<'m> {
    manifest: &'m Manifest,
    split: &'m Ownership,
    /// Tree -> hash of the package manifests below it; `None` when it holds none.
    below: IdMap<Key, Option<Key>>,
    /// Manifest blobs read so far: most stay the same across layouts.
    blobs: HashMap<Key, Option<Arc<[u8]>>>,
    by_layout: HashMap<Option<Key>, u32>,
    by_root: IdMap<Key, u32>,
    views: Vec<Ownership>,
}

/// A package manifest of a layout: path, mode, blob.
type LayoutFile = (Vec<u8>, u32, Oid);

impl<'m> Layouts<'m> {
    /// For the rules of `manifest`, whose packages were validated at the
    /// split ref as `split`.
    pub fn new(manifest: &'m Manifest, split: &'m Ownership) -> Layouts<'m> {
        Layouts {
            manifest,
            split,
            below: id_map(),
            blobs: HashMap::new(),
            by_layout: HashMap::new(),
            by_root: id_map(),
            views: Vec::new(),
        }
    }

    /// The view of commit `commit`, whose root tree is `tree`, resolving it
    /// if its layout is new.
    pub fn view_of(&mut self, src: &Source<'_>, commit: Oid, tree: Oid) -> Result<u32, LayoutError> {
        if let Some(&v) = self.by_root.get(&key(&tree)) {
            return Ok(v);
        }
        let layout = self.layout(src, tree, 0)?;
        let v = match self.by_layout.get(&layout) {
            Some(&v) => v,
            None => {
                let view = self.resolve(src, tree, commit)?;
                let v = match self.views.iter().position(|o| o.same_packages(&view)) {
                    Some(v) => v as u32,
                    None => {
                        self.views.push(view);
                        self.views.len() as u32 - 1
                    }
                };
                self.by_layout.insert(layout, v);
                v
            }
        };
        self.by_root.insert(key(&tree), v);
        Ok(v)
    }

    /// View `v`.
    pub fn view(&self, v: u32) -> &Ownership {
        &self.views[v as usize]
    }

    /// Every view, indexed as [`Layouts::view_of`] answers.
    pub fn into_views(self) -> Vec<Ownership> {
        self.views
    }

    /// The hash of the package manifests (paths, modes, blob ids) below
    /// `tree`; `None` when there are none.
    fn layout(&mut self, src: &Source<'_>, tree: Oid, depth: u32) -> Result<Option<Key>, LayoutError> {
        if let Some(k) = self.below.get(&key(&tree)) {
            return Ok(*k);
        }
        if depth > MAX_DEPTH {
            return Err(LayoutError::TooDeep { id: tree });
        }
        let t = RawTree::read(src, tree)?;
        let mut h = Sha1::new();
        let mut any = false;
        for e in t.iter() {
            let part = if e.mode == MODE_TREE {
                match self.layout(src, e.id, depth + 1)? {
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
    fn files(
        &self,
        src: &Source<'_>,
        tree: Oid,
        prefix: &mut Vec<u8>,
        out: &mut Vec<LayoutFile>,
    ) -> Result<(), LayoutError> {
        let t = RawTree::read(src, tree)?;
        for e in t.iter() {
            let len = prefix.len();
            if !prefix.is_empty() {
                prefix.push(b'/');
            }
            prefix.extend_from_slice(e.name);
            if e.mode == MODE_TREE {
                if self.below.get(&key(&e.id)).is_some_and(Option::is_some) {
                    self.files(src, e.id, prefix, out)?;
                }
            } else if is_package_manifest(e.name) {
                out.push((prefix.clone(), e.mode, e.id));
            }
            prefix.truncate(len);
        }
        Ok(())
    }

    /// The rules of commit `commit`, whose root tree is `tree`.
    fn resolve(&mut self, src: &Source<'_>, tree: Oid, commit: Oid) -> Result<Ownership, LayoutError> {
        let mut files = Vec::new();
        self.files(src, tree, &mut Vec::new(), &mut files)?;
        let source = LayoutFiles::new(src, &self.blobs, files);
        let view = Ownership::at_commit(self.manifest, &source, self.split);
        // Blobs read for this layout stay for the next one.
        let read = source.read.into_inner();
        self.blobs.extend(read);
        view.map_err(|error| LayoutError::Packages { commit, error: Box::new(error) })
    }
}

/// The package manifests of one commit as a [`FileSource`]: what package
/// resolution reads of a tree (every kind but JVM looks only at files
/// named like manifests).
struct LayoutFiles<'a, 'r> {
    src: &'a Source<'r>,
    known: &'a HashMap<Key, Option<Arc<[u8]>>>,
    files: Vec<LayoutFile>,
    index: HashMap<Vec<u8>, usize>,
    /// Blobs read now, added to `known` afterwards.
    read: std::cell::RefCell<HashMap<Key, Option<Arc<[u8]>>>>,
}

impl<'a, 'r> LayoutFiles<'a, 'r> {
    fn new(src: &'a Source<'r>, known: &'a HashMap<Key, Option<Arc<[u8]>>>, files: Vec<LayoutFile>) -> Self {
        let index = files.iter().enumerate().map(|(i, f)| (f.0.clone(), i)).collect();
        LayoutFiles { src, known, files, index, read: Default::default() }
    }

    /// The blob at `path` when it is a regular file (plain or executable).
    fn blob(&self, path: &[u8]) -> Option<Oid> {
        let f = &self.files[*self.index.get(path)?];
        matches!(f.1, 0o100644 | 0o100755 | 0o100664).then_some(f.2)
    }

    fn error(path: &[u8], e: impl std::fmt::Display) -> ReadError {
        ReadError { path: String::from_utf8_lossy(path).into_owned(), message: e.to_string() }
    }
}

impl FileSource for LayoutFiles<'_, '_> {
    fn paths(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        Box::new(self.files.iter().map(|f| f.0.as_slice()))
    }

    fn read(&self, path: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        let Some(id) = self.blob(path) else { return Ok(None) };
        let k = key(&id);
        let known = self.known.get(&k).cloned().or_else(|| self.read.borrow().get(&k).cloned());
        let data = match known {
            Some(data) => data,
            None => {
                let data = match self.src.read(id).map_err(|e| Self::error(path, e))? {
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
        if let Some(Some(data)) = self.known.get(&key(&id)) {
            let size = data.len() as u64;
            return Ok((size > MAX_MANIFEST_FILE_BYTES).then_some(size));
        }
        // The header only: a huge blob named like a manifest is not inflated.
        let odb = self.src.repo().odb().map_err(|e| Self::error(path, e))?;
        let (size, _) = odb.read_header(id).map_err(|e| Self::error(path, e))?;
        let size = size as u64;
        Ok((size > MAX_MANIFEST_FILE_BYTES).then_some(size))
    }
}
