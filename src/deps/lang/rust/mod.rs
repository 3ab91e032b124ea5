//! Rust: `use` trees, `extern crate`, `a::b` paths and `mod` declarations,
//! resolved through the Cargo manifests of the tree to module files.
//!
//! A path into another crate (`billing_core::tax::vat`) leads to the module
//! files of a path dependency of the importing file's package, or of the
//! package's own library from its tests and binaries. A path inside the
//! crate (`crate::plan::Plan`, `super::Cents`, `self::x`), and a path that
//! starts with a module the file declares or a name it imports, leads to
//! the module files of the importing file's own crate; a `mod x;`
//! declaration (with or without `#[path]`) leads to the file it loads.
//! Everything else (the standard library, registry crates, types) resolves
//! to `External`, and so does a file's reference to itself.
//!
//! `lex` tells code from comments and literals, `scan` finds the
//! references, `names` rewrites paths that start with local names,
//! `reference` spells and reads them, `manifest` reads `Cargo.toml`, and
//! `resolve` maps references to files.

mod lex;
mod manifest;
mod names;
mod reference;
mod resolve;
mod scan;

pub use resolve::Resolver;
pub use scan::scan;

/// File name extensions this reader handles (without the dot).
pub const EXTENSIONS: &[&str] = &["rs"];
