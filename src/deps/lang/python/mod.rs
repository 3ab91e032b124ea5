//! Python: `import` and `from ... import` statements, resolved the way
//! CPython's path-based finder resolves them with the tree's package roots
//! on `sys.path`.
//!
//! The lexer is one pass over the bytes. It tracks only what decides
//! whether `import`/`from` starts a statement: strings (every prefix,
//! triple quotes, f-strings nested the Python 3.12 way), comments, bracket
//! depth, backslash continuations and the `;`/`:` that start a new
//! statement on the same line.
//!
//! `lex` is that lexer, `fstring` reads f-strings and t-strings, `scan`
//! reads the import statements the lexer finds; `resolve` maps imports to
//! files, `manifest` reads `pyproject.toml`, and `stdlib` lists the
//! standard library's modules.

mod fstring;
mod lex;
mod manifest;
mod resolve;
mod scan;
mod stdlib;

pub use resolve::Resolver;
pub use scan::scan;

/// File name extensions this reader handles (without the dot).
pub const EXTENSIONS: &[&str] = &["py", "pyi"];
