//! Reading the repository: tree listings, blob sizes and changed-path
//! Bloom filters against git, and what commands say of objects the
//! repository does not have.

mod blob_sizes;
mod bloom;
mod missing;
mod tree_listing;
