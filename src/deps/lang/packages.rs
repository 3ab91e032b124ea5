//! The package model of the ownership manifest (`ownership::packages`),
//! read through a [`SourceTree`]: readers resolve workspace members and
//! build projects exactly as the `packages:` selectors do.

use crate::ownership::packages::{FileSource, ReadError};

use super::SourceTree;

/// A [`SourceTree`] as the package model reads trees.
pub(crate) struct TreeFiles<'t, 'a>(pub &'t SourceTree<'a>);

impl FileSource for TreeFiles<'_, '_> {
    fn paths(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        Box::new(self.0.paths().iter().copied())
    }

    /// A file the tree cannot read (too large, not a regular file) reads
    /// as absent, and the model skips it.
    fn read(&self, path: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        Ok(self.0.read(path))
    }
}
