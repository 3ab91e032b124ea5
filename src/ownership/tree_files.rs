//! The files of a git tree as a [`FileSource`] for package resolution.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::odb::{FileKind, ObjectKind, Repo, TreeListing};

use super::packages::{FileSource, ReadError, MAX_MANIFEST_FILE_BYTES};

/// A tree listing plus the repository to read its files from: what package
/// resolution needs.
pub struct TreeFiles<'a> {
    repo: &'a Repo,
    listing: &'a TreeListing,
    index: HashMap<&'a [u8], usize>,
}

impl<'a> TreeFiles<'a> {
    /// Wraps a listing of a tree of `repo`.
    pub fn new(repo: &'a Repo, listing: &'a TreeListing) -> Self {
        let index = listing.files.iter().enumerate().map(|(i, f)| (f.path.as_slice(), i)).collect();
        TreeFiles { repo, listing, index }
    }
}

impl FileSource for TreeFiles<'_> {
    fn paths(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        Box::new(self.listing.files.iter().map(|f| f.path.as_slice()))
    }

    fn read(&self, path: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        let Some(&i) = self.index.get(path) else { return Ok(None) };
        let f = &self.listing.files[i];
        if !matches!(f.kind, FileKind::Blob | FileKind::Executable) {
            return Ok(None);
        }
        self.repo.read_blob(f.oid).map(Some).map_err(|e| ReadError {
            path: String::from_utf8_lossy(path).into_owned(),
            message: e.to_string(),
        })
    }

    fn too_large(&self, path: &[u8]) -> Result<Option<u64>, ReadError> {
        let Some(&i) = self.index.get(path) else { return Ok(None) };
        let f = &self.listing.files[i];
        if !matches!(f.kind, FileKind::Blob | FileKind::Executable) {
            return Ok(None);
        }
        // Listings may be unsized (0): ask the object header then.
        let size = if f.size > 0 {
            f.size
        } else {
            self.repo.object_size(f.oid).map_err(|e| ReadError {
                path: String::from_utf8_lossy(path).into_owned(),
                message: e.to_string(),
            })?
        };
        Ok((size > MAX_MANIFEST_FILE_BYTES).then_some(size))
    }

    fn each_head(
        &self,
        paths: &[&[u8]],
        max: usize,
        each: &(dyn Fn(usize, &[u8]) + Sync),
    ) -> Result<(), ReadError> {
        // The packs read heads on several threads, inflating only what the
        // heads need; libgit2 reads the rest (loose objects, and entries the
        // packs cannot parse, whose damage it then reports).
        let mut ids: Vec<[u8; 20]> = Vec::new();
        let mut at: Vec<usize> = Vec::new();
        let mut rest: Vec<usize> = Vec::new();
        for (k, path) in paths.iter().enumerate() {
            let Some(&i) = self.index.get(path) else { continue };
            let f = &self.listing.files[i];
            if !matches!(f.kind, FileKind::Blob | FileKind::Executable) {
                continue;
            }
            match <[u8; 20]>::try_from(f.oid.as_bytes()) {
                Ok(id) => {
                    ids.push(id);
                    at.push(k);
                }
                Err(_) => rest.push(k),
            }
        }
        let missing = Mutex::new(Vec::new());
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS);
        self.repo.packs().each_prefix(&ids, max, threads, &|j, found| match found {
            // A blob, as the tree says; anything else is not read.
            Some((ObjectKind::Blob, head)) => each(at[j], head),
            Some(_) => {}
            None => missing.lock().unwrap_or_else(|p| p.into_inner()).push(at[j]),
        });
        rest.extend(missing.into_inner().unwrap_or_else(|p| p.into_inner()));
        rest.sort_unstable();
        for k in rest {
            if self.too_large(paths[k])?.is_some() {
                continue;
            }
            if let Some(data) = self.read(paths[k])? {
                each(k, &data[..data.len().min(max)]);
            }
        }
        Ok(())
    }
}

/// Threads reading file heads at most, as for blob sizes.
const MAX_THREADS: usize = 8;
