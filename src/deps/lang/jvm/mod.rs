//! Java, Kotlin and Scala: `import` statements and fully qualified names in
//! code, resolved through the tree's JVM packages — the files that declare
//! each package, as the `jvm:` selectors of the manifest see them
//! ([`JvmPackages`](crate::ownership::packages::jvm::JvmPackages)).
//!
//! References are:
//! - imports: Java `import a.b.C;`, `import a.b.*;`, `import static
//!   a.b.C.m;`; Kotlin `import a.b.C`, `import a.b.C as D`, `import a.b.*`;
//!   Scala `import a.b.C`, `import a.b.{C, D => E}`, `import a.b._` and
//!   `import a.b.*`. A wildcard carries [`WILDCARD`] in
//!   [`Import::names`](super::Import::names); a Scala selector hidden with
//!   `D => _` is no reference.
//! - qualified names in code (`new com.acme.billing.Invoice()`,
//!   `@com.acme.Audited`, `com.acme.util.formatMoney(x)`): a chain of
//!   identifiers that starts with a lower-case one and either has three
//!   segments or more or an upper-case segment after the first. They carry
//!   [`IN_CODE`], and lead somewhere only when they name a class (or a
//!   top-level declaration) of a package of the tree: any other chain is a
//!   field access or a call, no reference at all.
//!
//! Same-package references need no import and are not read: they never
//! leave their package (jdeps leaves them out by default too).
//!
//! `lex` turns source into identifiers and punctuation, skipping comments,
//! strings, text blocks and raw strings while reading the code inside
//! Kotlin and Scala string templates; `scan` reads imports, qualified names
//! and top-level declarations from the tokens; `resolve` maps names to the
//! files of the tree's packages.

mod lex;
mod resolve;
mod scan;

pub use resolve::Resolver;
pub use scan::{declarations, scan};

/// File name extensions of Java sources (without the dot).
pub const JAVA_EXTENSIONS: &[&str] = &["java"];
/// File name extensions of Kotlin sources and scripts.
pub const KOTLIN_EXTENSIONS: &[&str] = &["kt", "kts"];
/// File name extensions of Scala sources.
pub const SCALA_EXTENSIONS: &[&str] = &["scala"];

/// [`Import::names`](super::Import::names) of a wildcard import (`a.b.*`,
/// `a.b._`, a Scala `{_}` selector): every class of the package, or every
/// member of the class.
pub const WILDCARD: &str = "*";

/// [`Import::names`](super::Import::names) of a qualified name met in
/// code rather than in an import: a reference only if it names a class
/// of the tree.
pub const IN_CODE: &str = "code";

/// The JVM languages read; they differ in comments, strings and import
/// forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// `.java`
    Java,
    /// `.kt`, `.kts`
    Kotlin,
    /// `.scala`
    Scala,
}

impl Dialect {
    /// The dialect of a file, by its name's extension.
    pub fn of_path(path: &[u8]) -> Option<Dialect> {
        let ext = &path[path.iter().rposition(|&b| b == b'.')? + 1..];
        let ext = std::str::from_utf8(ext).ok()?;
        [
            (Dialect::Java, JAVA_EXTENSIONS),
            (Dialect::Kotlin, KOTLIN_EXTENSIONS),
            (Dialect::Scala, SCALA_EXTENSIONS),
        ]
        .into_iter()
        .find(|(_, exts)| exts.contains(&ext))
        .map(|(d, _)| d)
    }

    /// Kotlin and Scala block comments nest; Java's end at the first `*/`.
    fn nested_comments(self) -> bool {
        self != Dialect::Java
    }

    /// Kotlin and Scala quote identifiers in backticks (`` `fun` ``).
    fn backticks(self) -> bool {
        self != Dialect::Java
    }
}
