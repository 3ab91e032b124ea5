//! Reading the repository: tree listings and blob sizes against git, and
//! what commands say of objects the repository does not have.

mod blob_sizes;
mod follow;
mod missing;
mod renames;
mod tree_listing;
