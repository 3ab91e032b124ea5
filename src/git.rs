//! Read-only access to the monolith: open it, resolve refs, list a tree.
//!
//! Nothing here writes to the repository. Objects are read directly (no
//! checkout), so bare and shallow repositories work.

use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

/// Git failures, each naming what it was looking at.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// `--repo` is not a git repository.
    #[error("`{}` is not a git repository", .path.display())]
    NotARepository {
        /// The path given.
        path: PathBuf,
    },
    /// A revision that does not resolve to a commit.
    #[error("ref `{rev}` not found in repository `{}`", .repo.display())]
    MissingRef {
        /// As given.
        rev: String,
        /// The repository.
        repo: PathBuf,
    },
    /// HEAD is unborn or detached where a branch is needed.
    #[error("HEAD of `{}` does not point to a commit", .repo.display())]
    NoHead {
        /// The repository.
        repo: PathBuf,
    },
    /// A lower-level libgit2 failure.
    #[error("{context}: {source}")]
    Git {
        /// What we were doing.
        context: String,
        /// libgit2's error.
        source: git2::Error,
    },
}

/// `map_err` helper: attach what we were doing to a libgit2 error.
pub(crate) fn ctx(context: impl Into<String>) -> impl FnOnce(git2::Error) -> GitError {
    let context = context.into();
    move |source| GitError::Git { context, source }
}

/// What kind of file a tree entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// Mode 100644.
    Blob,
    /// Mode 100755.
    Executable,
    /// Mode 120000.
    Symlink,
    /// Mode 160000: a submodule commit.
    Gitlink,
}

/// One file of a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeFile {
    /// `/`-separated path from the root.
    pub path: Vec<u8>,
    /// The object id (a commit id for a gitlink).
    pub oid: Oid,
    /// Blob, executable, symlink or gitlink.
    pub kind: FileKind,
    /// Size in bytes (0 for gitlinks).
    pub size: u64,
}

/// Every file of one tree, in git's tree-walk (pre-)order: a directory's
/// files follow it contiguously, which lets ownership keep a directory stack.
#[derive(Clone, Debug, Default)]
pub struct TreeListing {
    /// The files.
    pub files: Vec<TreeFile>,
}

/// A repository opened read-only.
pub struct Repo {
    repo: Repository,
    path: PathBuf,
}

/// A revision resolved to a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedRev {
    /// What the user wrote (or the branch HEAD points to).
    pub name: String,
    /// The commit.
    pub commit: Oid,
    /// Its root tree.
    pub tree: Oid,
}

impl Repo {
    /// Opens the repository at `path` exactly (no search upwards, so a
    /// mistyped `--repo` never lands in an enclosing repository).
    pub fn open(path: &Path) -> Result<Repo, GitError> {
        // libgit2 otherwise re-hashes every object it reads (a tenth of a
        // tree listing or a rewrite); git itself checks hashes in fsck, and
        // `verify` compares content independently.
        git2::opts::strict_hash_verification(false);
        // Every object is read about once: libgit2's object cache would only
        // hold hundreds of megabytes of parsed copies.
        git2::opts::enable_caching(false);
        let flags = git2::RepositoryOpenFlags::NO_SEARCH;
        let repo = Repository::open_ext(path, flags, std::iter::empty::<&std::ffi::OsStr>())
            .map_err(|_| GitError::NotARepository { path: path.to_path_buf() })?;
        Ok(Repo { repo, path: path.to_path_buf() })
    }

    /// The libgit2 handle.
    pub fn raw(&self) -> &Repository {
        &self.repo
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True for a shallow clone (history is cut; `apply` refuses these).
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// The work tree, if any.
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// Resolves a revision to a commit.
    pub fn resolve(&self, rev: &str) -> Result<ResolvedRev, GitError> {
        let missing = || GitError::MissingRef { rev: rev.to_string(), repo: self.path.clone() };
        let obj = self.repo.revparse_single(rev).map_err(|_| missing())?;
        let commit = obj.peel_to_commit().map_err(|_| missing())?;
        Ok(ResolvedRev { name: rev.to_string(), commit: commit.id(), tree: commit.tree_id() })
    }

    /// Resolves HEAD, named after its branch when it is on one.
    pub fn head(&self) -> Result<ResolvedRev, GitError> {
        let head = self.repo.head().map_err(|_| GitError::NoHead { repo: self.path.clone() })?;
        let name = head.shorthand().unwrap_or("HEAD").to_string();
        let commit = head.peel_to_commit().map_err(|_| GitError::NoHead { repo: self.path.clone() })?;
        Ok(ResolvedRev { name, commit: commit.id(), tree: commit.tree_id() })
    }

    /// Full names of the refs matching a glob such as `release/*` (tried
    /// under refs/heads, refs/tags and as written), sorted.
    pub fn refs_matching(&self, glob: &str) -> Result<Vec<String>, GitError> {
        let mut out = std::collections::BTreeSet::new();
        for prefix in ["refs/heads/", "refs/tags/", ""] {
            let full = format!("{prefix}{glob}");
            let refs = self.repo.references_glob(&full).map_err(ctx(format!("listing refs {full}")))?;
            for r in refs {
                let r = r.map_err(ctx("reading a ref"))?;
                if let Ok(name) = r.name() {
                    out.insert(name.to_string());
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Lists every file of a tree with its size, in tree-walk order.
    pub fn list_tree(&self, tree: Oid) -> Result<TreeListing, GitError> {
        let mut listing = self.list_tree_unsized(tree)?;
        let sizes = blob_sizes(self.repo.path(), &listing.files)?;
        for (f, size) in listing.files.iter_mut().zip(sizes) {
            f.size = size;
        }
        Ok(listing)
    }

    /// Like [`Repo::list_tree`], with every size 0: sizes cost an object
    /// header read each, which [`blob_sizes`] can do on other threads.
    pub fn list_tree_unsized(&self, tree: Oid) -> Result<TreeListing, GitError> {
        let tree = self.repo.find_tree(tree).map_err(ctx(format!("reading tree {tree}")))?;
        let mut files = Vec::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            let kind = match (entry.kind(), entry.filemode()) {
                (Some(ObjectType::Tree), _) => return TreeWalkResult::Ok,
                (Some(ObjectType::Commit), _) => FileKind::Gitlink,
                (_, 0o120000) => FileKind::Symlink,
                (_, 0o100755) => FileKind::Executable,
                _ => FileKind::Blob,
            };
            let mut path = Vec::with_capacity(dir.len() + entry.name_bytes().len());
            path.extend_from_slice(dir.as_bytes());
            path.extend_from_slice(entry.name_bytes());
            files.push(TreeFile { path, oid: entry.id(), kind, size: 0 });
            TreeWalkResult::Ok
        })
        .map_err(ctx("walking the tree"))?;
        Ok(TreeListing { files })
    }

    /// Reads a blob.
    pub fn read_blob(&self, oid: Oid) -> Result<Vec<u8>, GitError> {
        let blob = self.repo.find_blob(oid).map_err(ctx(format!("reading blob {oid}")))?;
        Ok(blob.content().to_vec())
    }

    /// Reads the blob at `path` in `tree`, if there is one.
    pub fn read_path(&self, tree: Oid, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let tree = self.repo.find_tree(tree).map_err(ctx(format!("reading tree {tree}")))?;
        match tree.get_path(Path::new(path)) {
            Ok(entry) if entry.kind() == Some(ObjectType::Blob) => self.read_blob(entry.id()).map(Some),
            _ => Ok(None),
        }
    }
}

/// The sizes of `files` (0 for gitlinks).
///
/// Sizes are read straight from the pack files of the repository at
/// `git_dir` and its alternates (module `git_pack`): an entry header each,
/// and for a delta the first bytes of its data, which state the size of the
/// result. Each distinct id is looked up once. What is not in a usable pack
/// (loose objects, say) is asked of libgit2, whose header reads are split
/// across threads when there are many, each with its own handle (a libgit2
/// repository is not shared across threads).
pub fn blob_sizes(git_dir: &Path, files: &[TreeFile]) -> Result<Vec<u64>, GitError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    // Distinct ids, ascending, each with the files that name it. An id is
    // sorted as two integers (its first 16 bytes and last 4), not as bytes.
    if u32::try_from(files.len()).is_err() {
        return odb_blob_sizes(git_dir, files, threads);
    }
    let mut wanted: Vec<(u128, u32, u32)> = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        if f.kind == FileKind::Gitlink {
            continue;
        }
        let Ok(id) = <[u8; 20]>::try_from(f.oid.as_bytes()) else {
            // Not SHA-1: libgit2 reads them all.
            return odb_blob_sizes(git_dir, files, threads);
        };
        let (head, tail) = id.split_at(16);
        let head = u128::from_be_bytes(head.try_into().expect("16 bytes"));
        wanted.push((head, u32::from_be_bytes(tail.try_into().expect("4 bytes")), i as u32));
    }
    wanted.sort_unstable();
    let mut ids: Vec<[u8; 20]> = Vec::with_capacity(wanted.len());
    let mut last = None;
    for &(head, tail, _) in &wanted {
        if last != Some((head, tail)) {
            last = Some((head, tail));
            let mut id = [0; 20];
            id[..16].copy_from_slice(&head.to_be_bytes());
            id[16..].copy_from_slice(&tail.to_be_bytes());
            ids.push(id);
        }
    }

    let packs = crate::git_pack::Packs::open(git_dir);
    let mut sizes = if packs.is_empty() { vec![None; ids.len()] } else { packs.sizes(&ids, threads) };
    // Unmapping the packs is milliseconds of page-table work for a large
    // repository: leave it to a thread of its own, beside the caller's next
    // step (or do it here if no thread can be had).
    if !packs.is_empty() {
        let _ = std::thread::Builder::new().name("unmap packs".into()).spawn(move || drop(packs));
    }
    let missing: Vec<usize> = (0..ids.len()).filter(|&k| sizes[k].is_none()).collect();
    if !missing.is_empty() {
        let oids: Vec<Oid> = missing.iter().map(|&k| Oid::from_bytes(&ids[k]).expect("20-byte id")).collect();
        for (&k, size) in missing.iter().zip(odb_sizes(git_dir, &oids, threads)?) {
            sizes[k] = Some(size);
        }
    }

    let mut out = vec![0; files.len()];
    let mut k = 0;
    let mut last = None;
    for (head, tail, i) in wanted {
        if last.is_some_and(|l| l != (head, tail)) {
            k += 1;
        }
        last = Some((head, tail));
        out[i as usize] = sizes[k].expect("every size read");
    }
    Ok(out)
}

/// [`blob_sizes`] read through libgit2 alone.
fn odb_blob_sizes(git_dir: &Path, files: &[TreeFile], threads: usize) -> Result<Vec<u64>, GitError> {
    let blobs: Vec<Oid> = files.iter().filter(|f| f.kind != FileKind::Gitlink).map(|f| f.oid).collect();
    let mut sizes = odb_sizes(git_dir, &blobs, threads)?.into_iter();
    Ok(files
        .iter()
        .map(|f| if f.kind == FileKind::Gitlink { 0 } else { sizes.next().expect("one size per blob") })
        .collect())
}

/// The sizes of `oids` from libgit2 object headers, on up to `threads`
/// threads when there are many.
fn odb_sizes(git_dir: &Path, oids: &[Oid], threads: usize) -> Result<Vec<u64>, GitError> {
    let chunk = oids.len().div_ceil(threads).max(4096);
    let results: Vec<Result<Vec<u64>, GitError>> = std::thread::scope(|s| {
        let handles: Vec<_> = oids
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || -> Result<Vec<u64>, GitError> {
                    let repo = Repository::open(git_dir).map_err(ctx("opening the repository"))?;
                    let odb = repo.odb().map_err(ctx("opening the object database"))?;
                    part.iter()
                        .map(|&oid| {
                            odb.read_header(oid)
                                .map(|(n, _)| n as u64)
                                .map_err(ctx(format!("reading blob {oid}")))
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("size reader panicked")).collect()
    });
    let mut sizes = Vec::with_capacity(oids.len());
    for r in results {
        sizes.extend(r?);
    }
    Ok(sizes)
}
