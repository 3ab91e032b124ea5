//! Package references as written in the manifest (`kind:name` or a bare name).

use std::fmt;

/// The ecosystems a package reference can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PackageKind {
    /// Dotted Java/Kotlin/Scala package: every directory ending in its path.
    Jvm,
    /// `package.json` `name`.
    Npm,
    /// `Cargo.toml` `[package] name`.
    Cargo,
    /// `go.mod` module path.
    Go,
    /// `pom.xml` `artifactId`.
    Maven,
    /// Gradle project path from `settings.gradle(.kts)`.
    Gradle,
    /// `composer.json` `name`.
    Composer,
    /// `pyproject.toml` project name.
    Python,
}

impl PackageKind {
    /// Every kind, in the order bare names try the workspace kinds (JVM last).
    pub const ALL: [PackageKind; 8] = [
        PackageKind::Npm,
        PackageKind::Cargo,
        PackageKind::Go,
        PackageKind::Maven,
        PackageKind::Gradle,
        PackageKind::Composer,
        PackageKind::Python,
        PackageKind::Jvm,
    ];

    /// The prefix used in the manifest (`jvm`, `npm`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            PackageKind::Jvm => "jvm",
            PackageKind::Npm => "npm",
            PackageKind::Cargo => "cargo",
            PackageKind::Go => "go",
            PackageKind::Maven => "maven",
            PackageKind::Gradle => "gradle",
            PackageKind::Composer => "composer",
            PackageKind::Python => "python",
        }
    }

    /// Parses a kind prefix.
    pub fn from_prefix(s: &str) -> Option<PackageKind> {
        PackageKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for PackageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A package reference: an explicit kind, or a bare name tried as a workspace
/// package first and as a JVM package last.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageSpec {
    /// `None` for a bare name.
    pub kind: Option<PackageKind>,
    /// The name after the `kind:` prefix.
    pub name: String,
}

impl PackageSpec {
    /// Splits `kind:name`; a prefix that is not a known kind keeps the whole
    /// text as a bare name (so Gradle's `:app:core` stays bare).
    pub fn parse(text: &str) -> PackageSpec {
        if let Some((prefix, rest)) = text.split_once(':') {
            if let Some(kind) = PackageKind::from_prefix(prefix) {
                return PackageSpec { kind: Some(kind), name: rest.to_string() };
            }
        }
        PackageSpec { kind: None, name: text.to_string() }
    }
}

impl fmt::Display for PackageSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Some(k) => write!(f, "{k}:{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}
