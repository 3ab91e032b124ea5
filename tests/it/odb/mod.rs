//! Reading the repository: tree listings and blob sizes against git.

mod blob_sizes;
mod tree_listing;
