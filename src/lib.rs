//! git-split: split a monolith into one repository per team.
//!
//! The modules follow the data: [`manifest`] (YAML -> validated model, globs
//! compiled by [`pattern`]) -> [`ownership`] (path -> teams, packages resolved
//! in a tree read through [`git`]) -> [`plan`] (what each team keeps and
//! loses) and [`deps`] (the references between files, and what a split
//! breaks), drawn together by [`picture`] -> [`log`] (which teams each commit touched) -> [`codeowners`]
//! (CODEOWNERS read and written) -> [`init`] (a starting manifest), and
//! [`check`] (drift findings for CI). A module uses only those before it.
//! Beneath them all, [`git`] reads the repository, with [`git_pack`] (the
//! pack files, mapped) and [`raw_tree`] (tree objects parsed in place) for
//! what must go around libgit2 to be fast. The history engine
//! ([`rewrite`]), [`apply`] and [`verify`] come after [`plan`].
//! The library never prints; the binary owns the terminal.

pub mod apply;
pub mod check;
pub mod codeowners;
pub mod deps;
pub mod discover;
#[doc(hidden)]
pub mod fault;
pub mod git;
pub mod git_pack;
pub mod init;
pub mod lfs;
pub mod log;
pub mod manifest;
pub mod ownership;
pub mod parallel;
pub mod pattern;
pub mod picture;
pub mod plan;
pub mod raw_tree;
pub mod rewrite;
pub mod suggest;
pub mod verify;
