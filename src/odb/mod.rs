//! The object database: every git object read or written, and nothing of
//! teams.
//!
//! - `repo`: the monolith opened read-only (refs, tree listings and
//!   diffs, blobs), mostly through libgit2;
//! - `id`: object ids as bytes, and the maps and sets keyed by them;
//! - `object`: object kinds, whole objects read fast ([`Source`]), raw
//!   commits, and the error every object read or write reports;
//! - `tree`: tree objects parsed in place;
//! - `pack`: pack files read from memory maps, and new packs written;
//! - [`discover`]: the repository found as git finds it;
//! - `sizes`: many blob sizes at once;
//! - [`similarity`]: how alike two files are, scored as git scores them;
//! - [`renames`]: rename detection as `git diff -M` does it;
//! - [`follow`]: a file's history through its moves, as `git log --follow`;
//! - [`missing`]: what to say of an object the repository does not have;
//! - `refs`: refs read straight from the ref store's files;
//! - [`bloom`]: the commit-graph's changed-path Bloom filters.
//!
//! What must go around libgit2 to be fast (the history engine's reads, the
//! new packs) goes through `pack`; the rest is libgit2's.

pub mod bloom;
pub mod discover;
pub mod follow;
pub(crate) mod id;
pub mod missing;
pub(crate) mod object;
pub(crate) mod pack;
pub(crate) mod refs;
pub mod renames;
pub(crate) mod repo;
pub mod similarity;
pub(crate) mod sizes;
pub(crate) mod tree;

pub use object::{ObjectError, ObjectKind, Source};
pub use repo::{walk_tree, FileKind, GitError, Repo, ResolvedRev, TreeChange, TreeFile, TreeListing};
pub use sizes::blob_sizes;
pub use tree::RawTree;
