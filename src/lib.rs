//! git-split: split a monolith into one repository per team.
//!
//! The layers, each using only those above it in this list:
//!
//! - [`odb`]: every git object read or written (the repository through
//!   libgit2, pack files mapped and written directly); knows nothing of
//!   teams. `util` holds the thread helpers every layer uses.
//! - [`manifest`] (YAML to a validated model) and [`pattern`] (its globs).
//! - [`ownership`]: path to teams, packages resolved in a tree (and, per
//!   package layout, in each commit of a history).
//! - [`plan`] (what each team keeps and loses), [`deps`] (the references
//!   between files, and what a split breaks), [`log`] (which teams each
//!   commit touched), drawn together by [`picture`]; [`codeowners`]
//!   (CODEOWNERS read and written) and [`init`] (a starting manifest).
//! - [`rewrite`]: the history engine, one pass for all teams; `compat`
//!   holds git subtree's and splitsh's rules.
//! - [`apply`] (the team repositories, written atomically), [`check`]
//!   (drift findings for CI) and [`verify`]; [`push`] sends what `apply`
//!   wrote to the teams' remotes.
//!
//! The library never prints; the binary owns the terminal.

pub mod apply;
pub mod check;
pub mod codeowners;
pub(crate) mod compat;
pub mod deps;
pub mod init;
pub(crate) mod lfs;
pub mod log;
pub mod manifest;
pub mod odb;
pub mod ownership;
pub mod pattern;
pub mod picture;
pub mod plan;
pub mod push;
pub mod rewrite;
pub(crate) mod util;
pub mod verify;
