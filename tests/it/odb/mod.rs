//! Reading the repository against git: tree listings, blob sizes,
//! changed-path Bloom filters, renames and `log --follow`; and what
//! commands say of objects the repository does not have.

mod blob_sizes;
mod bloom;
pub(crate) mod follow;
mod missing;
mod renames;
mod tree_listing;
