//! Reading a tree's source files from the object database, on several
//! threads, bounded in size.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use git2::{Oid, Repository};

use crate::odb::pack::{Packs, ReadState};
use crate::odb::{FileKind, ObjectKind, TreeFile, TreeListing};

/// Source files larger than this are skipped unread: hand-written code is
/// far smaller, and a generated file of tens of megabytes must not be held
/// in memory once per thread.
pub const MAX_SOURCE_BYTES: u64 = 4 << 20;

/// Configuration files (`go.mod`, `tsconfig.json`, ...) larger than this are
/// not read, as with package manifests.
pub const MAX_CONFIG_BYTES: u64 = crate::ownership::packages::MAX_MANIFEST_FILE_BYTES;

/// Reads blobs from the packs, and through libgit2 what is not packed
/// (loose objects), from any thread.
pub struct Blobs<'a> {
    packs: &'a Packs,
    git_dir: PathBuf,
    /// libgit2's handle for what the packs do not hold; opened on first
    /// need, one at a time (a libgit2 repository is not shared by threads).
    fallback: Mutex<Option<Repository>>,
}

/// Why a blob could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {message}", self.what())]
pub struct BlobError {
    /// The blob.
    pub oid: Oid,
    /// Its path in the tree, once known.
    pub path: Option<String>,
    /// The repository does not have it.
    pub missing: bool,
    /// What went wrong.
    pub message: String,
}

impl BlobError {
    /// The blob, by path when known.
    fn what(&self) -> String {
        match &self.path {
            Some(p) => format!("`{p}` (blob {})", self.oid),
            None => format!("blob {}", self.oid),
        }
    }

    /// The error for the blob at `path`.
    pub fn at(mut self, path: &[u8]) -> BlobError {
        self.path = Some(String::from_utf8_lossy(path).into_owned());
        self
    }

    /// The error with a missing blob's likely cause, from `repo`.
    pub fn explained(mut self, repo: &crate::odb::Repo) -> BlobError {
        if self.missing {
            self.message = repo.missing_here(self.oid).to_string();
        }
        self
    }
}

impl<'a> Blobs<'a> {
    /// A reader of the repository at `git_dir`, whose packs are `packs`.
    pub fn new(packs: &'a Packs, git_dir: &Path) -> Blobs<'a> {
        Blobs { packs, git_dir: git_dir.to_path_buf(), fallback: Mutex::new(None) }
    }

    /// The content of blob `oid`; `state` is the calling thread's own.
    pub fn read(&self, oid: Oid, state: &mut ReadState) -> Result<Arc<[u8]>, BlobError> {
        if let Ok(id) = <&[u8; 20]>::try_from(oid.as_bytes()) {
            if let Some((ObjectKind::Blob, data)) = self.packs.read(id, state) {
                return Ok(data);
            }
        }
        let fail = |e: git2::Error| BlobError {
            oid,
            path: None,
            missing: e.code() == git2::ErrorCode::NotFound,
            message: e.message().to_string(),
        };
        let mut slot = self.fallback.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(Repository::open(&self.git_dir).map_err(fail)?);
        }
        let repo = slot.as_ref().expect("just opened");
        let blob = repo.find_blob(oid).map_err(fail)?;
        Ok(blob.content().into())
    }
}

/// The regular files of a listing by path, for reading configuration files.
pub struct ConfigFiles<'a> {
    blobs: &'a Blobs<'a>,
    by_path: HashMap<&'a [u8], &'a TreeFile>,
}

impl<'a> ConfigFiles<'a> {
    /// Indexes the regular files of `listing`.
    pub fn new(blobs: &'a Blobs<'a>, listing: &'a TreeListing) -> ConfigFiles<'a> {
        let by_path = listing
            .files
            .iter()
            .filter(|f| matches!(f.kind, FileKind::Blob | FileKind::Executable))
            .map(|f| (f.path.as_slice(), f))
            .collect();
        ConfigFiles { blobs, by_path }
    }

    /// The content of a regular file of at most [`MAX_CONFIG_BYTES`], if it
    /// can be read. A file that cannot be read is treated as absent: a
    /// resolver then finds nothing there, and the imports that needed it
    /// are counted unresolved.
    pub fn read(&self, path: &[u8]) -> Option<Vec<u8>> {
        let f = self.by_path.get(path)?;
        if f.size > MAX_CONFIG_BYTES {
            return None;
        }
        let data = self.blobs.read(f.oid, &mut ReadState::new()).ok()?;
        (data.len() as u64 <= MAX_CONFIG_BYTES).then(|| data.to_vec())
    }
}
