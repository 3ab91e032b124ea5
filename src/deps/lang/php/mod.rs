//! PHP: `use` imports, trait uses and namespaced names in `<?php` code,
//! resolved with the autoload rules of the tree's `composer.json` files.
//!
//! References are: `use` imports (plain, aliased, grouped; `use function`
//! and `use const` carry [`FUNCTION`] or [`CONST`] in [`Import::names`](super::Import::names)),
//! trait `use` in a class body, and qualified or fully qualified names in
//! code (`\App\Billing\Invoice`, or `Billing\Invoice` after `use App\Billing`).
//! Every spec is the fully qualified name without its leading `\`, resolved
//! against the file's `namespace` and `use` aliases as PHP resolves it. A
//! name followed by `(` is a function call, unless it follows `new` or names
//! an attribute. Unqualified names (`new Invoice`) are not references: the
//! `use` that brought them in is. A `use` whose alias the file puts in front
//! of other names (`use App\Billing;` then `Billing\Invoice`) imports a
//! namespace, not a file, and is dropped. Inline HTML, comments, strings,
//! heredocs and nowdocs are skipped; code inside `{$...}` interpolation is
//! read.
//!
//! Classes resolve as composer's `ClassLoader` finds them: the classmap
//! (`classmap` entries, scanned for declarations), then PSR-4 from the
//! longest prefix down, then PSR-0. Functions resolve to the `files`
//! autoload entry that declares them; functions are never autoloaded, so a
//! namespaced function nowhere declared there is only Unresolved.
//!
//! `lex` turns source into the few tokens that matter, skipping inline
//! HTML, comments and the text of strings (`strings` reads double-quoted
//! strings, heredocs and nowdocs); `scan` reads statements and names from
//! the tokens; `resolve` applies the autoload rules, and `manifest` reads
//! what `composer.json` files require.

mod lex;
mod manifest;
mod resolve;
mod scan;
mod strings;

pub use resolve::Resolver;
pub use scan::{declarations, scan, DeclKind, Declaration};

/// File name extensions this reader handles (without the dot).
pub const EXTENSIONS: &[&str] = &["php", "phtml"];

/// [`Import::names`](super::Import::names) of a `use function` import or a namespaced function call.
pub const FUNCTION: &str = "function";

/// [`Import::names`](super::Import::names) of a `use const` import.
pub const CONST: &str = "const";
