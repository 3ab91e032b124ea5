//! Objects as git stores them: their kinds, reading them whole from the
//! packs or through libgit2 ([`Source`]), commits split in place
//! ([`RawCommit`]), and the one error every object read or write reports
//! ([`ObjectError`]).
//!
//! The engine reads every commit and root tree of the history once;
//! libgit2's object types would parse each into its own allocations and
//! cache them. These keep one buffer per object and find fields in place.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;

use git2::{ObjectType, Odb, Oid, Repository};

use super::id::parse_hex;
use super::pack::{Packs, ReadState};

/// The four kinds of object, with the type codes packs store them under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// A commit.
    Commit = 1,
    /// A tree (a directory listing).
    Tree = 2,
    /// A blob (a file's content).
    Blob = 3,
    /// An annotated tag.
    Tag = 4,
}

impl ObjectKind {
    /// The kind a pack entry's type code names; `None` for a delta or an
    /// invalid code.
    pub fn from_code(code: u8) -> Option<ObjectKind> {
        match code {
            1 => Some(ObjectKind::Commit),
            2 => Some(ObjectKind::Tree),
            3 => Some(ObjectKind::Blob),
            4 => Some(ObjectKind::Tag),
            _ => None,
        }
    }

    /// The type code a pack entry stores.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The name git uses in object headers and messages.
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::Commit => "commit",
            ObjectKind::Tree => "tree",
            ObjectKind::Blob => "blob",
            ObjectKind::Tag => "tag",
        }
    }

    /// libgit2's name for the kind; `None` for libgit2's pseudo-kinds (any,
    /// deltas), which no object read whole has.
    pub fn from_git2(kind: ObjectType) -> Option<ObjectKind> {
        match kind {
            ObjectType::Commit => Some(ObjectKind::Commit),
            ObjectType::Tree => Some(ObjectKind::Tree),
            ObjectType::Blob => Some(ObjectKind::Blob),
            ObjectType::Tag => Some(ObjectKind::Tag),
            _ => None,
        }
    }
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an object could not be read, parsed or written.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The repository does not have the object (a partial clone, or one
    /// with objects lost): see [`super::missing`] for what to tell the user.
    #[error("object {id} is missing from the repository")]
    Missing {
        /// The object.
        id: Oid,
    },
    /// libgit2 could not read the object (damaged).
    #[error("reading object {id}: {message}")]
    Read {
        /// The object.
        id: Oid,
        /// libgit2's message.
        message: String,
    },
    /// The object is not of the kind its reference says.
    #[error("reading {expected} {id}: it is a {found}")]
    Kind {
        /// The object.
        id: Oid,
        /// The kind asked for.
        expected: ObjectKind,
        /// The kind stored.
        found: String,
    },
    /// The object's content does not parse.
    #[error("reading {kind} {id}: malformed {kind} object ({what})")]
    Malformed {
        /// The object.
        id: Oid,
        /// Its kind.
        kind: ObjectKind,
        /// What is wrong.
        what: &'static str,
    },
    /// A file of the repository could not be created, written or named.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done: "creating", "writing", "naming" ...
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// Compressing an object failed.
    #[error("compressing an object: {0}")]
    Compress(String),
    /// A pack may hold at most 2^32 - 1 objects.
    #[error("writing a pack: too many objects")]
    TooManyObjects,
}

/// Reads monolith objects: straight from its packs where it can (no locks,
/// no parsing, recent delta bases kept), through libgit2 otherwise. One per
/// thread.
pub struct Source<'r> {
    repo: &'r Repository,
    odb: Odb<'r>,
    packs: &'r Packs,
    state: RefCell<ReadState>,
}

impl<'r> Source<'r> {
    /// Reads from `repo`, whose packs are `packs`.
    pub fn new(repo: &'r Repository, packs: &'r Packs) -> Result<Source<'r>, git2::Error> {
        Ok(Source { repo, odb: repo.odb()?, packs, state: RefCell::new(ReadState::new()) })
    }

    /// The monolith repository.
    pub fn repo(&self) -> &'r Repository {
        self.repo
    }

    /// The monolith's packs.
    pub fn packs(&self) -> &'r Packs {
        self.packs
    }

    /// The kind and content of object `id`.
    pub fn read(&self, id: Oid) -> Result<(ObjectKind, Arc<[u8]>), ObjectError> {
        let key: &[u8; 20] = id.as_bytes().try_into().expect("20 bytes");
        if let Some(found) = self.packs.read(key, &mut self.state.borrow_mut()) {
            return Ok(found);
        }
        let obj = self.odb.read(id).map_err(|e| match e.code() {
            git2::ErrorCode::NotFound => ObjectError::Missing { id },
            _ => ObjectError::Read { id, message: e.message().to_string() },
        })?;
        let kind = ObjectKind::from_git2(obj.kind()).ok_or_else(|| ObjectError::Read {
            id,
            message: format!("unknown object kind {}", obj.kind()),
        })?;
        Ok((kind, obj.data().into()))
    }

    /// The content of object `id`, which must be of kind `expected`.
    pub fn read_kind(&self, id: Oid, expected: ObjectKind) -> Result<Arc<[u8]>, ObjectError> {
        match self.read(id)? {
            (kind, data) if kind == expected => Ok(data),
            (found, _) => Err(ObjectError::Kind { id, expected, found: found.name().into() }),
        }
    }
}

/// A commit object's bytes, split into header and message.
pub struct RawCommit {
    data: Arc<[u8]>,
    /// Where the header ends (its last `\n` included).
    header: usize,
    /// Where the message starts (after the blank line).
    message: usize,
}

impl RawCommit {
    /// Reads commit `id`.
    pub fn read(src: &Source<'_>, id: Oid) -> Result<RawCommit, ObjectError> {
        Ok(RawCommit::new(src.read_kind(id, ObjectKind::Commit)?))
    }

    /// Splits a commit object's content.
    pub fn new(data: Arc<[u8]>) -> RawCommit {
        match data.windows(2).position(|w| w == b"\n\n") {
            Some(p) => RawCommit { data, header: p + 1, message: p + 2 },
            None => RawCommit { header: data.len(), message: data.len(), data },
        }
    }

    /// The header lines, each ending in `\n`.
    pub fn header(&self) -> &[u8] {
        &self.data[..self.header]
    }

    /// The raw message.
    pub fn message(&self) -> &[u8] {
        &self.data[self.message..]
    }

    /// The `tree` and `parent` ids of the header, or what is wrong with them.
    pub fn tree_and_parents(&self) -> Result<(Oid, Vec<Oid>), &'static str> {
        let mut tree = None;
        let mut parents = Vec::new();
        for line in self.header().split(|&b| b == b'\n') {
            // Read for every commit of history: no call into libgit2 for it.
            if let Some(hex) = line.strip_prefix(b"tree ") {
                tree = Some(parse_hex(hex).ok_or("bad tree id")?);
            } else if let Some(hex) = line.strip_prefix(b"parent ") {
                parents.push(parse_hex(hex).ok_or("bad parent id")?);
            } else if !line.is_empty() {
                // `tree` and `parent` lines come first.
                break;
            }
        }
        Ok((tree.ok_or("no tree line")?, parents))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_commits() {
        let c = RawCommit::new(
            format!(
                "tree {}\nparent {}\nauthor A <a> 1 +0000\n\nsubject\n\nbody\n",
                "1".repeat(40),
                "2".repeat(40)
            )
            .into_bytes()
            .into(),
        );
        assert_eq!(c.message(), b"subject\n\nbody\n");
        assert!(c.header().ends_with(b"+0000\n"));
        let bare = RawCommit::new(b"tree x\n"[..].into());
        assert_eq!((bare.header(), bare.message()), (&b"tree x\n"[..], &b""[..]));
        let (t, p) = c.tree_and_parents().expect("parses");
        assert_eq!(t.to_string(), "1".repeat(40));
        assert_eq!(p.len(), 1);
    }
}
