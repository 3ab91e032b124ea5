//! Read-only access to the monolith: open it, resolve refs, list a tree.
//!
//! Nothing here writes to the repository. Objects are read directly (no
//! checkout), so bare and shallow repositories work.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use git2::{ObjectType, Oid, Repository};

use super::pack::{Packs, ReadState};
use super::tree::{Entry as TreeEntry, RawTree};

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
    /// A file too big to be what it should be (a manifest), left unread.
    #[error("`{path}` is {size} bytes; more than {max} is not read")]
    TooLarge {
        /// The path in the tree.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// An object the repository does not have.
    #[error("{0}")]
    Missing(super::missing::Missing),
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

/// A file that differs between two trees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeChange {
    /// The file in the old tree, if it is there.
    pub old: Option<TreeFile>,
    /// The file in the new tree, if it is there.
    pub new: Option<TreeFile>,
}

impl TreeChange {
    /// The path (the new one's, else the old one's).
    pub fn path(&self) -> &[u8] {
        match (&self.new, &self.old) {
            (Some(f), _) | (None, Some(f)) => &f.path,
            (None, None) => b"",
        }
    }
}

/// The kind of a tree entry, `None` for a subtree.
/// Walks `root` in pre-order, as `Tree::walk` does, handing `visit` each
/// entry with its directory (`""` or ending in `/`); `visit` returns false
/// to stop. Written out because git2's walk passes the directory as `&str`
/// and fails the whole walk at the first directory name that is not UTF-8.
/// An explicit stack, so a hostile tree nested thousands deep cannot
/// overflow a thread's stack.
pub fn walk_tree(
    repo: &Repository,
    root: &git2::Tree<'_>,
    mut visit: impl FnMut(&[u8], &git2::TreeEntry<'_>) -> bool,
) -> Result<(), git2::Error> {
    let mut dir: Vec<u8> = Vec::new();
    // (tree, next entry, length of `dir` before this tree's name)
    let mut stack: Vec<(git2::Tree<'_>, usize, usize)> = vec![(root.clone(), 0, 0)];
    while let Some((tree, next, _)) = stack.last_mut() {
        let Some(entry) = tree.get(*next).map(|e| e.to_owned()) else {
            let (_, _, len) = stack.pop().expect("not empty");
            dir.truncate(len);
            continue;
        };
        *next += 1;
        if !visit(&dir, &entry) {
            return Ok(());
        }
        if entry.kind() == Some(ObjectType::Tree) {
            let sub = repo.find_tree(entry.id())?;
            let len = dir.len();
            dir.extend_from_slice(entry.name_bytes());
            dir.push(b'/');
            stack.push((sub, 0, len));
        }
    }
    Ok(())
}

/// What a tree entry of `mode` (as stored) is, by libgit2's rules: its
/// type from the mode's type bits, then its normalised mode; `None` for a
/// directory. One answer for entries libgit2 parsed and trees parsed here.
pub(crate) fn mode_kind(mode: u32) -> Option<FileKind> {
    let kind = mode & 0o170000;
    Some(match kind {
        0o160000 => FileKind::Gitlink,
        0o040000 => return None,
        // libgit2 calls any mode with the owner's x bit executable, first.
        _ if mode & 0o100 != 0 => FileKind::Executable,
        0o120000 => FileKind::Symlink,
        _ => FileKind::Blob,
    })
}

/// A tree entry's mode as libgit2 normalises it (`normalize_filemode`):
/// two entries of one id and one normalised mode are the same file.
pub(crate) fn normalised(mode: u32) -> u32 {
    match mode & 0o170000 {
        0o040000 => 0o040000,
        _ if mode & 0o100 != 0 => 0o100755,
        0o160000 => 0o160000,
        0o120000 => 0o120000,
        _ => 0o100644,
    }
}

/// The changes from tree `old` to tree `new`, as [`Repo::diff_trees`]
/// lists them, below the top-level names `top` accepts; trees are read
/// by `read` (through a cache, or straight from the packs).
pub(crate) fn diff_trees_by(
    read: &mut dyn FnMut(Oid) -> Result<Arc<RawTree>, GitError>,
    old: Oid,
    new: Oid,
    top: &dyn Fn(&[u8]) -> bool,
) -> Result<Vec<TreeChange>, GitError> {
    let mut out = Vec::new();
    if old != new {
        diff_dirs(read, &mut Vec::new(), (Some(old), Some(new)), &mut out, top)?;
    }
    out.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(out)
}

/// The entry called `name` in `tree`, the last of several (as a map by
/// name would keep it).
fn named<'t>(tree: &'t RawTree, name: &[u8]) -> Option<TreeEntry<'t>> {
    tree.iter().filter(|e| e.name == name).last()
}

fn diff_dirs(
    read: &mut dyn FnMut(Oid) -> Result<Arc<RawTree>, GitError>,
    prefix: &mut Vec<u8>,
    (old, new): (Option<Oid>, Option<Oid>),
    out: &mut Vec<TreeChange>,
    top: &dyn Fn(&[u8]) -> bool,
) -> Result<(), GitError> {
    let mut entries = |id: Option<Oid>| match id {
        Some(id) => read(id),
        None => Ok(Arc::new(RawTree::parse(Arc::from(Vec::new())).expect("the empty tree parses"))),
    };
    let (a, b) = (entries(old)?, entries(new)?);
    for name in b.changed_names(&a) {
        if prefix.is_empty() && !top(name) {
            continue;
        }
        let (x, y) = (named(&a, name), named(&b, name));
        if let (Some(x), Some(y)) = (x, y) {
            if x.id == y.id && normalised(x.mode) == normalised(y.mode) {
                continue;
            }
        }
        let len = prefix.len();
        prefix.extend_from_slice(name);
        let file = |e: Option<TreeEntry<'_>>| {
            e.and_then(|e| {
                mode_kind(e.mode).map(|kind| TreeFile { path: prefix.clone(), oid: e.id, kind, size: 0 })
            })
        };
        let (fa, fb) = (file(x), file(y));
        if fa.is_some() && fb.is_some() {
            out.push(TreeChange { old: fa, new: fb });
        } else {
            if fa.is_some() {
                out.push(TreeChange { old: fa, new: None });
            }
            if fb.is_some() {
                out.push(TreeChange { old: None, new: fb });
            }
            let dir = |e: Option<TreeEntry<'_>>| e.filter(|e| mode_kind(e.mode).is_none()).map(|e| e.id);
            let (da, db) = (dir(x), dir(y));
            if da.is_some() || db.is_some() {
                prefix.push(b'/');
                diff_dirs(read, prefix, (da, db), out, top)?;
            }
        }
        prefix.truncate(len);
    }
    Ok(())
}

fn entry_kind(entry: &git2::TreeEntry<'_>) -> Option<FileKind> {
    // libgit2 keeps the mode as a 16-bit number: never negative.
    mode_kind(u32::try_from(entry.filemode_raw()).unwrap_or(0))
}

/// A repository opened read-only.
pub struct Repo {
    repo: Repository,
    path: PathBuf,
    /// Its pack files, mapped once for every reader that goes around libgit2.
    packs: std::sync::OnceLock<Packs>,
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
        Ok(Repo { repo, path: path.to_path_buf(), packs: std::sync::OnceLock::new() })
    }

    /// Wraps a repository libgit2 has already opened (as
    /// [`super::discover`] finds one), with the settings [`Repo::open`]
    /// applies; `path` is how messages name it.
    pub fn from_git2(repo: Repository, path: PathBuf) -> Repo {
        git2::opts::strict_hash_verification(false);
        git2::opts::enable_caching(false);
        Repo { repo, path, packs: std::sync::OnceLock::new() }
    }

    /// The libgit2 handle.
    pub fn raw(&self) -> &Repository {
        &self.repo
    }

    /// Its pack files (and its alternates'), mapped on first use.
    pub fn packs(&self) -> &Packs {
        self.packs.get_or_init(|| Packs::open(self.repo.path()))
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
        let sizes = super::blob_sizes(self.packs(), self.repo.path(), &listing.files)?;
        for (f, size) in listing.files.iter_mut().zip(sizes) {
            f.size = size.ok_or_else(|| GitError::Missing(self.missing(f.oid)))?;
        }
        Ok(listing)
    }

    /// Like [`Repo::list_tree`], with every size 0: sizes cost an object
    /// header read each, which [`super::blob_sizes`] can do on other threads.
    pub fn list_tree_unsized(&self, tree: Oid) -> Result<TreeListing, GitError> {
        if let Some(listing) = self.list_packed_tree(tree) {
            return Ok(listing);
        }
        let tree = self.repo.find_tree(tree).map_err(ctx(format!("reading tree {tree}")))?;
        let mut files = Vec::new();
        walk_tree(&self.repo, &tree, |dir, entry| {
            let Some(kind) = entry_kind(entry) else { return true };
            let mut path = Vec::with_capacity(dir.len() + entry.name_bytes().len());
            path.extend_from_slice(dir);
            path.extend_from_slice(entry.name_bytes());
            files.push(TreeFile { path, oid: entry.id(), kind, size: 0 });
            true
        })
        .map_err(ctx("walking the tree"))?;
        Ok(TreeListing { files })
    }

    /// [`Repo::list_tree_unsized`] read straight from the packs, each tree
    /// parsed in place (libgit2 makes a tree object for each and a copy of
    /// every entry, and maps the packs apart from [`Repo::packs`], paying
    /// their page faults again). `None` when a tree is not in a pack
    /// or is one libgit2 might refuse (an empty or overlong name, a mode
    /// of 0 or out of range): libgit2 then lists the tree, or says what is
    /// wrong with it.
    fn list_packed_tree(&self, root: Oid) -> Option<TreeListing> {
        let packs = self.packs();
        let mut state = ReadState::new();
        let mut read = |id: Oid| -> Option<RawTree> {
            let (kind, data) = packs.read(id.as_bytes().try_into().ok()?, &mut state)?;
            let tree = RawTree::parse((kind == super::ObjectKind::Tree).then_some(data)?)?;
            // Mode 0 may have been no digits at all, which libgit2 refuses.
            let usual = tree
                .iter()
                .all(|e| !e.name.is_empty() && e.name.len() <= 0xffff && (1..=0o177777).contains(&e.mode));
            usual.then_some(tree)
        };
        let mut files = Vec::new();
        let mut dir: Vec<u8> = Vec::new();
        // (tree, next entry, length of `dir` before this tree's name)
        let mut stack: Vec<(RawTree, usize, usize)> = vec![(read(root)?, 0, 0)];
        while let Some((tree, next, _)) = stack.last_mut() {
            if *next == tree.len() {
                let (_, _, len) = stack.pop().expect("not empty");
                dir.truncate(len);
                continue;
            }
            let e = tree.get(*next);
            *next += 1;
            let (mode, id, len) = (e.mode, e.id, dir.len());
            dir.extend_from_slice(e.name);
            match mode_kind(mode) {
                Some(kind) => {
                    files.push(TreeFile { path: dir.clone(), oid: id, kind, size: 0 });
                    dir.truncate(len);
                }
                None => {
                    dir.push(b'/');
                    stack.push((read(id)?, 0, len));
                }
            }
        }
        Some(TreeListing { files })
    }

    /// The files that differ between two trees, in path order: added ones
    /// (`old` is `None`), deleted ones (`new` is `None`) and changed ones
    /// (both, same path). Only subtrees whose ids differ are read, so the
    /// cost follows the size of the change, not of the trees. No rename
    /// detection: see [`super::renames`].
    pub fn diff_trees(&self, old: Oid, new: Oid) -> Result<Vec<TreeChange>, GitError> {
        self.diff_trees_under(old, new, &|_| true)
    }

    /// [`Repo::diff_trees`] below the top-level names `top` accepts only:
    /// the others are not read.
    pub fn diff_trees_under(
        &self,
        old: Oid,
        new: Oid,
        top: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Vec<TreeChange>, GitError> {
        let mut read = |id: Oid| -> Result<Arc<RawTree>, GitError> {
            let context = || format!("reading tree {id}");
            let odb = self.repo.odb().map_err(ctx(context()))?;
            let object = odb.read(id).map_err(ctx(context()))?;
            match (object.kind() == ObjectType::Tree)
                .then(|| RawTree::parse(Arc::from(object.data())))
                .flatten()
            {
                Some(tree) => Ok(Arc::new(tree)),
                // libgit2 names what is wrong, as every other reader does.
                None => {
                    self.repo.find_tree(id).map_err(ctx(context()))?;
                    let source = git2::Error::from_str("the tree does not parse");
                    Err(GitError::Git { context: context(), source })
                }
            }
        };
        diff_trees_by(&mut read, old, new, top)
    }

    /// Like [`Repo::list_tree_unsized`], keeping only the files `keep`
    /// accepts; it sees each file's name and whether it is the first file
    /// of its directory in the walk. Paths are only built for kept files.
    pub fn list_tree_where(
        &self,
        tree: Oid,
        mut keep: impl FnMut(&[u8], bool) -> bool,
    ) -> Result<TreeListing, GitError> {
        let tree = self.repo.find_tree(tree).map_err(ctx(format!("reading tree {tree}")))?;
        let mut files = Vec::new();
        let mut last_dir: Vec<u8> = vec![b'/'];
        walk_tree(&self.repo, &tree, |dir, entry| {
            let Some(kind) = entry_kind(entry) else { return true };
            let first = dir != last_dir.as_slice();
            if first {
                last_dir.clear();
                last_dir.extend_from_slice(dir);
            }
            if keep(entry.name_bytes(), first) {
                let path = [dir, entry.name_bytes()].concat();
                files.push(TreeFile { path, oid: entry.id(), kind, size: 0 });
            }
            true
        })
        .map_err(ctx("walking the tree"))?;
        Ok(TreeListing { files })
    }

    /// `map_err` helper for reading object `oid`: a missing object says so,
    /// with the likely cause ([`super::missing`]).
    fn object_err(&self, oid: Oid, doing: &'static str) -> impl FnOnce(git2::Error) -> GitError + '_ {
        move |source| match source.code() {
            git2::ErrorCode::NotFound => GitError::Missing(self.missing_here(oid)),
            _ => GitError::Git { context: format!("{doing} {oid}"), source },
        }
    }

    /// The size of an object, from its header: nothing is inflated beyond it.
    pub fn object_size(&self, oid: Oid) -> Result<u64, GitError> {
        let odb = self.repo.odb().map_err(ctx("opening the object database"))?;
        let (size, _) = odb.read_header(oid).map_err(self.object_err(oid, "reading the header of"))?;
        Ok(size as u64)
    }

    /// [`Repo::read_path`] for a file that must be small (a manifest): a
    /// blob over `max` bytes is not read but refused ([`GitError::TooLarge`]),
    /// so a hostile tree cannot make us inflate gigabytes.
    pub fn read_path_max(&self, tree: Oid, path: &str, max: u64) -> Result<Option<Vec<u8>>, GitError> {
        let tree = self.repo.find_tree(tree).map_err(ctx(format!("reading tree {tree}")))?;
        match tree.get_path(Path::new(path)) {
            Ok(entry) if entry.kind() == Some(ObjectType::Blob) => {
                let size = self.object_size(entry.id())?;
                if size > max {
                    return Err(GitError::TooLarge { path: path.to_string(), size, max });
                }
                self.read_blob(entry.id()).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Reads a blob.
    pub fn read_blob(&self, oid: Oid) -> Result<Vec<u8>, GitError> {
        let blob = self.repo.find_blob(oid).map_err(self.object_err(oid, "reading blob"))?;
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
