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

#[cfg(test)]
mod tests {
    use super::super::{memory_tree, Resolution};
    use super::*;

    /// The dependencies `read` finds in a tree of `files`, as
    /// `(manifest, line, name, target or resolution)`.
    pub(super) fn shown(
        files: &[(&str, &str)],
        read: fn(&SourceTree<'_>) -> Vec<ManifestDep>,
    ) -> Vec<(String, u32, String, String)> {
        let files = memory_tree(files);
        let load = |p: &[u8]| files.get(p).cloned();
        let tree = SourceTree::new(files.keys().map(Vec::as_slice), &load);
        read(&tree)
            .into_iter()
            .map(|d| {
                let to = match d.resolution {
                    Resolution::Internal { path, .. } => String::from_utf8(path).unwrap(),
                    other => format!("{other:?}"),
                };
                (String::from_utf8(d.manifest).unwrap(), d.line, d.name, to)
            })
            .collect()
    }
}
