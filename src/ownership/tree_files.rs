//! The files of a git tree as a [`FileSource`] for package resolution.

use std::collections::HashMap;

use crate::git::{FileKind, Repo, TreeListing};

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
}
