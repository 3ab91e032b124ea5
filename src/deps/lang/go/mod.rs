//! Go: the import declarations of a source file, resolved through the
//! modules (`go.mod`) of the tree.
//!
//! Go puts every import right after the package clause, so the lexer reads
//! only a file's header and stops at the first other declaration.
//!
//! `lex` turns the header into tokens, `scan` reads its import
//! declarations, `resolve` maps import paths to package directories, and
//! `manifest` reads `go.mod` and `go.work`.

mod lex;
mod manifest;
mod resolve;
mod scan;

pub use resolve::Resolver;
pub use scan::scan;

/// File name extensions this reader handles (without the dot).
pub const EXTENSIONS: &[&str] = &["go"];
