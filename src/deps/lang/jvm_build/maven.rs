//! Maven: what each `pom.xml` names of the other modules of the tree, as
//! Maven's reactor links them.
//!
//! A module's `<parent>`, `<dependencies>`, build `<plugins>` (and their
//! dependencies) and build `<extensions>` lead to the module of the tree
//! with those coordinates: the parent is built and installed before its
//! children, a dependency before its dependents, as Maven's reactor orders
//! them. `<modules>` is not a reference: an aggregator lists what to build
//! and depends on none of it. Coordinates are interpolated as Maven does
//! for the properties that name modules: `${project.groupId}`,
//! `${project.version}` (and `project.parent.*`, `pom.*`, `parent.*`),
//! and `<properties>` of the pom and of its parents in the tree. A
//! dependency on a version the module does not have is a released
//! artifact, from a repository: Maven's reactor links only the same
//! version, or any version for a range or a version left to
//! `<dependencyManagement>`.

use std::collections::HashMap;

use crate::ownership::packages::{read_pom, Pom, PomRef};

use super::super::{parent, ManifestDep, Resolution, SourceTree};

/// Interpolation passes: a property may name another property, to this
/// depth (a cycle stops here).
const MAX_PASSES: usize = 8;

/// Parents followed up from a pom for inherited properties.
const MAX_PARENTS: usize = 16;

/// An interpolated coordinate longer than this is left as written: real
/// ones are short, and properties naming each other twice over would
/// otherwise double the text at every pass.
const MAX_COORDINATE_BYTES: usize = 1024;

/// One pom of the tree.
struct Module {
    path: Vec<u8>,
    pom: Pom,
}

/// The modules of one tree by coordinates.
struct Reactor {
    modules: Vec<Module>,
    /// `(groupId, artifactId)` -> indices into `modules`, in path order.
    by_coords: HashMap<(String, String), Vec<usize>>,
}

/// The references between the poms of `tree`, sorted by (manifest, line).
pub(super) fn manifest_deps(tree: &SourceTree<'_>) -> Vec<ManifestDep> {
    let modules: Vec<Module> = tree
        .named("pom.xml")
        .filter_map(|path| {
            let pom = read_pom(&tree.read(path)?).ok()?;
            Some(Module { path: path.to_vec(), pom })
        })
        .collect();
    let mut reactor = Reactor { modules, by_coords: HashMap::new() };
    // Literal groupIds first, so that a groupId naming a property finds
    // the parents that define it.
    for interpolated in [false, true] {
        for i in 0..reactor.modules.len() {
            let pom = &reactor.modules[i].pom;
            let Some(group) = pom.group.as_deref().filter(|g| g.contains("${") == interpolated) else {
                continue;
            };
            let key = (reactor.interpolate(i, group), pom.artifact.clone());
            reactor.by_coords.entry(key).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for (i, module) in reactor.modules.iter().enumerate() {
        let refs = module.pom.parent.iter().chain(&module.pom.references);
        for r in refs {
            let resolution = reactor.resolve(i, r);
            let name = format!("{}:{}", r.group.as_deref().unwrap_or(""), r.artifact);
            out.push(ManifestDep { manifest: module.path.clone(), line: r.line, name, resolution });
        }
    }
    out.sort_by(|a, b| (&a.manifest, a.line).cmp(&(&b.manifest, b.line)));
    out
}

impl Reactor {
    /// Module `i`'s interpolated version.
    fn version(&self, i: usize) -> Option<String> {
        self.modules[i].pom.version.as_deref().map(|v| self.interpolate(i, v))
    }

    /// Where reference `r` of module `i` leads: the module of the tree
    /// with its coordinates and, for a plain version, that version.
    fn resolve(&self, i: usize, r: &PomRef) -> Resolution {
        let Some(group) = r.group.as_deref().map(|g| self.interpolate(i, g)) else {
            return Resolution::External;
        };
        let artifact = self.interpolate(i, &r.artifact);
        let Some(candidates) = self.by_coords.get(&(group, artifact)) else {
            return Resolution::External;
        };
        let version = r.version.as_deref().map(|v| self.interpolate(i, v));
        let specific =
            version.as_deref().filter(|v| !v.starts_with('[') && !v.starts_with('(') && !v.contains("${"));
        let found = candidates.iter().copied().find(|&c| {
            let Some(want) = specific else { return true };
            match self.version(c) {
                Some(have) if !have.contains("${") => have == want,
                _ => true,
            }
        });
        match found {
            // A module naming itself is no reference to another.
            Some(c) if c == i => Resolution::External,
            Some(c) => {
                let manifest = self.modules[c].path.clone();
                let dir = parent(&manifest);
                let path = if dir.is_empty() { Vec::new() } else { [dir, b"/"].concat() };
                Resolution::Internal { path, files: vec![manifest] }
            }
            None => Resolution::External,
        }
    }

    /// `text` with the `${...}` properties of module `i` replaced.
    fn interpolate(&self, i: usize, text: &str) -> String {
        let mut text = text.to_owned();
        for _ in 0..MAX_PASSES {
            if !text.contains("${") {
                break;
            }
            let next = self.substitute(i, &text);
            if next == text || next.len() > MAX_COORDINATE_BYTES {
                break;
            }
            text = next;
        }
        text
    }

    /// One pass of replacing every `${name}` that module `i` knows.
    fn substitute(&self, i: usize, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find("${") {
            out.push_str(&rest[..at]);
            let Some(len) = rest[at + 2..].find('}') else {
                out.push_str(&rest[at..]);
                return out;
            };
            let name = &rest[at + 2..at + 2 + len];
            match self.property(i, name) {
                Some(value) => out.push_str(&value),
                None => out.push_str(&rest[at..at + 3 + len]),
            }
            if out.len() > MAX_COORDINATE_BYTES {
                return out;
            }
            rest = &rest[at + 3 + len..];
        }
        out.push_str(rest);
        out
    }

    /// The value module `i` gives property `name`, uninterpolated.
    fn property(&self, i: usize, name: &str) -> Option<String> {
        let pom = &self.modules[i].pom;
        let field = name.strip_prefix("project.").or_else(|| name.strip_prefix("pom."));
        let parent_field =
            field.and_then(|f| f.strip_prefix("parent.")).or_else(|| name.strip_prefix("parent."));
        if let Some(f) = parent_field {
            let p = pom.parent.as_ref()?;
            return match f {
                "groupId" => p.group.clone(),
                "artifactId" => Some(p.artifact.clone()),
                "version" => p.version.clone(),
                _ => None,
            };
        }
        match field {
            Some("groupId") => return pom.group.clone(),
            Some("artifactId") => return Some(pom.artifact.clone()),
            Some("version") => return pom.version.clone(),
            _ => {}
        }
        // A pom's own properties, then its parents' in the tree.
        let mut at = i;
        for _ in 0..MAX_PARENTS {
            let here = &self.modules[at].pom;
            if let Some((_, v)) = here.properties.iter().rev().find(|(k, _)| k == name) {
                return Some(v.clone());
            }
            at = self.parent_of(at)?;
        }
        None
    }

    /// The module of the tree that module `i` names as its parent, by its
    /// literal coordinates.
    fn parent_of(&self, i: usize) -> Option<usize> {
        let p = self.modules[i].pom.parent.as_ref()?;
        let key = (p.group.clone()?, p.artifact.clone());
        self.by_coords.get(&key)?.iter().copied().find(|&c| c != i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(files: &[(&str, &str)]) -> Vec<(String, u32, String, String)> {
        super::super::tests::shown(files, manifest_deps)
    }

    const ROOT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>acme-parent</artifactId>
  <version>2.0-SNAPSHOT</version>
  <packaging>pom</packaging>
  <properties><acme.group>com.acme</acme.group><core.version>${project.version}</core.version></properties>
  <modules><module>core</module><module>app</module></modules>
</project>"#;

    const CORE: &str = r#"<project>
  <parent>
    <groupId>com.acme</groupId>
    <artifactId>acme-parent</artifactId>
    <version>2.0-SNAPSHOT</version>
  </parent>
  <artifactId>core</artifactId>
</project>"#;

    const APP: &str = r#"<project>
  <parent><groupId>com.acme</groupId><artifactId>acme-parent</artifactId><version>2.0-SNAPSHOT</version></parent>
  <artifactId>app</artifactId>
  <dependencies>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>core</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency><groupId>${acme.group}</groupId><artifactId>core</artifactId><version>${core.version}</version></dependency>
    <dependency><groupId>com.acme</groupId><artifactId>core</artifactId><version>1.0</version></dependency>
    <dependency><groupId>com.acme</groupId><artifactId>core</artifactId><version>[1.0,)</version></dependency>
    <dependency><groupId>com.acme</groupId><artifactId>core</artifactId></dependency>
    <dependency><groupId>com.acme</groupId><artifactId>core-extra</artifactId><version>2.0-SNAPSHOT</version></dependency>
    <dependency><groupId>org.acme</groupId><artifactId>core</artifactId><version>2.0-SNAPSHOT</version></dependency>
  </dependencies>
  <profiles><profile><dependencies><dependency><groupId>com.acme</groupId><artifactId>core</artifactId></dependency></dependencies></profile></profiles>
  <build><plugins><plugin><artifactId>maven-jar-plugin</artifactId>
    <dependencies><dependency><groupId>com.acme</groupId><artifactId>core</artifactId></dependency></dependencies>
  </plugin></plugins></build>
</project>"#;

    #[test]
    fn reactor_references_with_interpolation_and_versions() {
        let files =
            [("pom.xml", ROOT), ("core/pom.xml", CORE), ("app/pom.xml", APP), ("bad/pom.xml", "<project>")];
        let e = |m: &str, line, name: &str, to: &str| (m.to_owned(), line, name.to_owned(), to.to_owned());
        assert_eq!(
            deps(&files),
            vec![
                e("app/pom.xml", 2, "com.acme:acme-parent", ""),
                e("app/pom.xml", 5, "${project.groupId}:core", "core/"),
                e("app/pom.xml", 10, "${acme.group}:core", "core/"),
                e("app/pom.xml", 11, "com.acme:core", "External"),
                e("app/pom.xml", 12, "com.acme:core", "core/"),
                e("app/pom.xml", 13, "com.acme:core", "core/"),
                e("app/pom.xml", 14, "com.acme:core-extra", "External"),
                e("app/pom.xml", 15, "org.acme:core", "External"),
                e("app/pom.xml", 18, "org.apache.maven.plugins:maven-jar-plugin", "External"),
                e("app/pom.xml", 19, "com.acme:core", "core/"),
                e("core/pom.xml", 2, "com.acme:acme-parent", ""),
            ]
        );
    }

    #[test]
    fn properties_that_double_stay_bounded() {
        let mut props = String::from("<p0>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx</p0>");
        for n in 1..40 {
            props.push_str(&format!("<p{n}>${{p{}}}${{p{}}}</p{n}>", n - 1, n - 1));
        }
        let pom = format!(
            "<project><groupId>g</groupId><artifactId>a</artifactId><properties>{props}</properties>\
             <dependencies><dependency><groupId>${{p39}}</groupId><artifactId>b</artifactId></dependency>\
             </dependencies></project>"
        );
        let got = deps(&[("pom.xml", pom.as_str())]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].3, "External");
    }
}
