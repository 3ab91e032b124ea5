//! The integration tests, one binary: modules mirror `src/` (the layer each
//! exercises), and `support` holds what they share: fixture repositories,
//! the binary run with a clean environment, git runners, bounded runs and
//! the reference tools' wrappers. Run one area with `cargo test --test it
//! deps::`, one test by its name.

mod apply;
mod check;
mod cli;
mod codeowners;
mod compat;
mod deps;
mod examples;
mod fuzz_regressions;
mod layers;
mod lfs;
mod manifest;
mod odb;
mod ownership;
mod pattern;
mod picture;
mod push;
mod support;
mod verify;
