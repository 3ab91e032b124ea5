//! One reader per language: a lexer that finds the references of a source
//! file ([`Import`]) and a resolver that maps them to files of the tree
//! ([`Resolution`]).
//!
//! The readers are hand lexers rather than tree-sitter grammars: imports sit
//! in a handful of token shapes per language, and a single pass that only
//! tells code from comments and strings reads a tree far faster than a full
//! parse (the `deps` bench prints the rate). Each reader is tested against
//! its language's own tooling (`tests/it/deps.rs`).

mod json_keys;
mod model;
mod packages;

pub mod go;
pub mod js;
pub mod jvm;
pub mod jvm_build;
pub mod php;
pub mod python;
pub mod rust;

pub use model::{join, memory_tree, parent, Import, ManifestDep, ReadFn, Resolution, ScanError, SourceTree};

use serde::Serialize;

/// A language `deps` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Go, through the tree's `go.mod` modules.
    Go,
    /// Java, through the tree's JVM packages.
    Java,
    /// JavaScript and TypeScript, as Node and TypeScript resolve them.
    #[serde(rename = "javascript")]
    JavaScript,
    /// Kotlin, through the tree's JVM packages.
    Kotlin,
    /// Maven and Gradle builds: the dependencies their manifests declare
    /// between projects of the tree (no source file is this language).
    Jvm,
    /// PHP, through composer autoload maps.
    Php,
    /// Python, through the tree's package roots.
    Python,
    /// Rust, through each crate's Cargo dependencies.
    Rust,
    /// Scala, through the tree's JVM packages.
    Scala,
}

impl Language {
    /// Every language, in output order.
    pub const ALL: [Language; 9] = [
        Language::Go,
        Language::Java,
        Language::JavaScript,
        Language::Jvm,
        Language::Kotlin,
        Language::Php,
        Language::Python,
        Language::Rust,
        Language::Scala,
    ];

    /// The name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Go => "go",
            Language::Java => "java",
            Language::JavaScript => "javascript",
            Language::Kotlin => "kotlin",
            Language::Jvm => "jvm",
            Language::Php => "php",
            Language::Python => "python",
            Language::Rust => "rust",
            Language::Scala => "scala",
        }
    }

    /// The language of a file, by its extension.
    pub fn of_path(path: &[u8]) -> Option<Language> {
        let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
        let dot = name.iter().rposition(|&b| b == b'.')?;
        let ext = std::str::from_utf8(&name[dot + 1..]).ok()?;
        Language::ALL.into_iter().find(|l| l.extensions().contains(&ext))
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            Language::Go => go::EXTENSIONS,
            Language::Java => jvm::JAVA_EXTENSIONS,
            Language::JavaScript => js::EXTENSIONS,
            Language::Kotlin => jvm::KOTLIN_EXTENSIONS,
            // Build manifests only: no source file is read as `jvm`.
            Language::Jvm => &[],
            Language::Php => php::EXTENSIONS,
            Language::Python => python::EXTENSIONS,
            Language::Rust => rust::EXTENSIONS,
            Language::Scala => jvm::SCALA_EXTENSIONS,
        }
    }

    /// Finds the references of one source file.
    pub fn scan(self, src: &str) -> Result<Vec<Import>, ScanError> {
        match self {
            Language::Go => go::scan(src),
            Language::Java => jvm::scan(src, jvm::Dialect::Java),
            Language::JavaScript => js::scan(src),
            Language::Kotlin => jvm::scan(src, jvm::Dialect::Kotlin),
            Language::Jvm => Ok(Vec::new()),
            Language::Php => php::scan(src),
            Language::Python => python::scan(src),
            Language::Rust => rust::scan(src),
            Language::Scala => jvm::scan(src, jvm::Dialect::Scala),
        }
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every language's resolver for one tree.
pub struct Resolvers {
    go: go::Resolver,
    js: js::Resolver,
    /// Java, Kotlin and Scala share one resolver: they share packages.
    jvm: jvm::Resolver,
    php: php::Resolver,
    python: python::Resolver,
    rust: rust::Resolver,
}

impl Resolvers {
    /// Builds every language's resolver; each reads only its own
    /// configuration files of `tree`.
    pub fn new(tree: &SourceTree<'_>) -> Resolvers {
        Resolvers {
            go: go::Resolver::new(tree),
            js: js::Resolver::new(tree),
            jvm: jvm::Resolver::new(tree),
            php: php::Resolver::new(tree),
            python: python::Resolver::new(tree),
            rust: rust::Resolver::new(tree),
        }
    }

    /// Where `import`, found in `from` (a file of `language`), leads.
    pub fn resolve(
        &self,
        language: Language,
        tree: &SourceTree<'_>,
        from: &[u8],
        import: &Import,
    ) -> Resolution {
        match language {
            Language::Go => self.go.resolve(tree, from, import),
            Language::JavaScript => self.js.resolve(tree, from, import),
            Language::Java | Language::Kotlin | Language::Scala => self.jvm.resolve(tree, from, import),
            Language::Jvm => Resolution::Unresolved,
            Language::Php => self.php.resolve(tree, from, import),
            Language::Python => self.python.resolve(tree, from, import),
            Language::Rust => self.rust.resolve(tree, from, import),
        }
    }

    /// The dependencies every build manifest of the tree declares on other
    /// packages of it, with the language whose ecosystem reads the manifest.
    pub fn manifest_deps(&self, tree: &SourceTree<'_>) -> Vec<(Language, ManifestDep)> {
        let mut out = Vec::new();
        let tagged = |l: Language, deps: Vec<ManifestDep>| deps.into_iter().map(move |d| (l, d));
        out.extend(tagged(Language::Go, self.go.manifest_deps(tree)));
        out.extend(tagged(Language::JavaScript, self.js.manifest_deps(tree)));
        out.extend(tagged(Language::Jvm, jvm_build::Manifests::manifest_deps(tree)));
        out.extend(tagged(Language::Php, self.php.manifest_deps(tree)));
        out.extend(tagged(Language::Python, self.python.manifest_deps(tree)));
        out.extend(tagged(Language::Rust, self.rust.manifest_deps(tree)));
        out
    }
}
