//! JVM build manifests: the dependencies Maven's `pom.xml` and Gradle's
//! build scripts declare between the modules and projects of the tree,
//! read through the package model of the ownership manifest (the same
//! poms and settings scripts the `maven:` and `gradle:` selectors read).
//! Java, Kotlin and Scala sources are another reader's.

mod gradle;
mod maven;

use super::{ManifestDep, SourceTree};

/// Reads the JVM build manifests of one tree.
pub struct Manifests;

impl Manifests {
    /// The dependencies every `pom.xml` and Gradle build script declares
    /// on other modules or projects of the tree, sorted by (manifest, line).
    pub fn manifest_deps(tree: &SourceTree<'_>) -> Vec<ManifestDep> {
        let mut out = maven::manifest_deps(tree);
        out.extend(gradle::manifest_deps(tree));
        out.sort_by(|a, b| (&a.manifest, a.line).cmp(&(&b.manifest, b.line)));
        out
    }
}
