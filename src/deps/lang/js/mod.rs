//! JavaScript and TypeScript: the module references of a source file, and
//! where they lead the way Node, TypeScript and bundlers resolve them.
//!
//! A reference is the module string of `import ... from "s"`, `import "s"`,
//! `export ... from "s"`, TypeScript's `import x = require("s")`, a
//! `require("s")` call and an `import("s")` call or type (a template
//! literal without `${}` counts as a string there). The scanner is one pass
//! over the bytes that knows just enough of the grammar to skip what is not
//! code: comments, strings, template literals (substitutions nest, on an
//! explicit stack), regular expressions (told from division by the token
//! before them) and JSX text. `require` counts in every file, as bundlers
//! count it (TypeScript only looks for it in JavaScript files); a
//! reference's line is the line of its module string, where TypeScript's
//! parser puts it. `scan` does not know the file's extension, and `<T>` is
//! a type assertion in `.ts` but an element in `.tsx`: an element with
//! children counts as JSX only if its closing tag occurs later in the file.
//!
//! Resolution follows Node, TypeScript and esbuild: relative specifiers
//! against the importing file's directory (the exact file, then extensions,
//! then `.js` -> `.ts`, then a directory's package.json `main`/`types` or
//! its `index`); bare ones through `compilerOptions.paths` and `baseUrl` of
//! the nearest tsconfig.json (or jsconfig.json), with `extends`; Node's
//! built-in modules and packages outside the tree are external.
//!
//! `lex` reads code, `jsx` JSX elements, and `scan` matches the tokens of
//! references; `unescape` spells their module strings; `resolve` maps
//! specifiers to files, `tsconfig` reads the `paths` and `baseUrl` of
//! tsconfig.json, and `builtins` lists Node's modules.

mod builtins;
mod exports;
mod jsx;
mod lex;
mod manifest;
mod resolve;
mod scan;
mod tsconfig;
mod unescape;
mod workspaces;

pub use resolve::Resolver;
pub use scan::scan;

/// [`Import::names`](super::Import::names) of a `require` call or an
/// `import x = require()`: packages resolve it under the `require`
/// condition, every other reference under `import`.
pub const REQUIRE: &str = "require";

/// File name extensions this reader handles (without the dot).
pub const EXTENSIONS: &[&str] = &["js", "jsx", "mjs", "cjs", "ts", "tsx", "mts", "cts"];
