//! Resolution: imported and qualified names to the files of the tree's JVM
//! packages, read once through the package model the `jvm:` selectors use.
//!
//! A name `a.b.C.D` is split at its longest prefix that some file of the
//! tree declares as its package (`a.b`); the next segment is a class of it
//! (`C`): the file of that package named `C.java`, `C.kt`, `C.scala` or
//! `C.groovy`, else the file that declares `C` at its top level (Kotlin
//! and Scala put several classes, functions and properties in one file).
//! A name that is the package itself (a wildcard import) leads to every
//! file of the package.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::super::{parent, Import, Resolution, SourceTree};
use super::{declarations, Dialect, IN_CODE};
use crate::ownership::packages::jvm::{JvmPackages, SourceFile};
use crate::ownership::packages::{FileSource, ReadError};

/// Top-level names of one package's files: name -> the first file (in
/// path order) declaring it.
type Declared = HashMap<String, Vec<u8>>;

/// Maps JVM imports and qualified names to the files of one tree.
pub struct Resolver {
    packages: JvmPackages,
    /// The first segment of every package name (`com`, `org`): a name
    /// starting with anything else is no package of the tree.
    first_segments: HashSet<String>,
    /// `package.Stem` -> index into the package files: the file named
    /// after a class (the first in path order).
    by_stem: HashMap<String, u32>,
    /// Some package name has a segment starting upper-case.
    upper_packages: bool,
    /// Package -> its top-level declarations, read on first need.
    declared: Mutex<HashMap<String, Arc<Declared>>>,
}

/// The tree as the package model reads it.
struct TreeFiles<'t, 'a>(&'t SourceTree<'a>);

impl FileSource for TreeFiles<'_, '_> {
    fn paths(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        Box::new(self.0.paths().iter().copied())
    }

    fn read(&self, path: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        Ok(self.0.read(path))
    }

    fn each_head(
        &self,
        paths: &[&[u8]],
        max: usize,
        each: &(dyn Fn(usize, &[u8]) + Sync),
    ) -> Result<(), ReadError> {
        // Every source file's head is read: on several threads, as the
        // sources themselves are.
        let indices: Vec<usize> = (0..paths.len()).collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        crate::util::parallel::map_in_turn(
            &indices,
            threads,
            || (),
            |_, &k| {
                if let Some(data) = self.0.read(paths[k]) {
                    each(k, &data[..data.len().min(max)]);
                }
            },
        );
        Ok(())
    }
}

impl Resolver {
    /// Finds the tree's source roots and reads the package clause of each
    /// JVM source file.
    pub fn new(tree: &SourceTree<'_>) -> Resolver {
        // Reading through the tree never fails: an unreadable file is absent.
        let packages = JvmPackages::build(&TreeFiles(tree)).unwrap_or_default();
        let mut by_stem = HashMap::new();
        let mut first_segments = HashSet::new();
        let mut upper_packages = false;
        for (i, file) in packages.files().iter().enumerate() {
            if file.package.is_empty() {
                continue;
            }
            upper_packages |= upper_start(&file.package) < file.package.len();
            let first = file.package.split('.').next().unwrap_or_default();
            if !first_segments.contains(first) {
                first_segments.insert(first.to_owned());
            }
            let Some(stem) = stem(&file.path) else { continue };
            by_stem.entry(format!("{}.{stem}", file.package)).or_insert(i as u32);
        }
        Resolver { packages, first_segments, by_stem, upper_packages, declared: Mutex::new(HashMap::new()) }
    }

    /// Where `import`, found in the file at `from`, leads.
    pub fn resolve(&self, tree: &SourceTree<'_>, from: &[u8], import: &Import) -> Resolution {
        // A wildcard resolves as its name does: `a.b.*` to the package,
        // `a.b.C.*` to the class.
        let in_code = import.names.first().is_some_and(|t| t == IN_CODE);
        // Scala resolves a name against the enclosing packages first,
        // innermost first (`package a; package b` encloses in `a.b` and `a`).
        if Dialect::of_path(from) == Some(Dialect::Scala) {
            let own = self.package_of(from).unwrap_or_default();
            let ends = own.match_indices('.').map(|(i, _)| i).rev();
            for end in std::iter::once(own.len()).chain(ends).filter(|&e| e > 0) {
                let relative = format!("{}.{}", &own[..end], import.spec);
                if let found @ Resolution::Internal { .. } = self.absolute(tree, &relative, in_code) {
                    return found;
                }
            }
        }
        self.absolute(tree, &import.spec, in_code)
    }

    /// Where the fully qualified `name` leads. A name in code that is no
    /// class of the tree is no reference.
    fn absolute(&self, tree: &SourceTree<'_>, name: &str, in_code: bool) -> Resolution {
        let miss = if in_code { Resolution::NotAReference } else { Resolution::External };
        let first = name.split('.').next().unwrap_or_default();
        if !self.first_segments.contains(first) {
            return miss;
        }
        // Packages are lower-case by convention: where the tree keeps to
        // it, no prefix reaching an upper-case segment is one.
        let longest = if self.upper_packages { name.len() } else { upper_start(name) };
        // The ends of the name's prefixes, longest first.
        let ends = name.match_indices('.').map(|(i, _)| i).rev();
        let mut in_package = false;
        for end in std::iter::once(name.len()).chain(ends).filter(|&end| end <= longest) {
            let package = &name[..end];
            if self.packages.declaring(package).next().is_none() {
                continue;
            }
            in_package = true;
            if end == name.len() {
                return if in_code { miss } else { self.package_target(package) };
            }
            let class = name[end + 1..].split('.').next().unwrap_or_default();
            let key = &name[..end + 1 + class.len()];
            if let Some(file) = self.class_file(tree, package, key) {
                return Resolution::file(file);
            }
        }
        match in_package {
            true if !in_code => Resolution::Unresolved,
            _ => miss,
        }
    }

    /// The file of `package` that holds the class (or top-level member)
    /// `key` names: `package.Name`.
    fn class_file(&self, tree: &SourceTree<'_>, package: &str, key: &str) -> Option<Vec<u8>> {
        let name = &key[package.len() + 1..];
        if name.is_empty() {
            return None;
        }
        let file = |key: &str| {
            let i = *self.by_stem.get(key)?;
            Some(&self.packages.files()[i as usize].path)
        };
        if let Some(path) = file(key) {
            return Some(path.clone());
        }
        // `MoneyKt`: the class the top-level members of `Money.kt` compile
        // into, as Java code names it.
        let facade = key.strip_suffix("Kt").and_then(file);
        if let Some(path) = facade.filter(|p| Dialect::of_path(p) == Some(Dialect::Kotlin)) {
            return Some(path.clone());
        }
        self.declared(tree, package).get(name).cloned()
    }

    /// The top-level declarations of the files of `package`, read once.
    fn declared(&self, tree: &SourceTree<'_>, package: &str) -> Arc<Declared> {
        if let Some(found) = self.lock().get(package) {
            return Arc::clone(found);
        }
        // Read without the lock held: another thread may read the same
        // package meanwhile, and the first to finish is kept.
        let mut declared = Declared::new();
        for file in self.packages.declaring(package) {
            let Some(bytes) = tree.read(&file.path) else { continue };
            let Ok(src) = std::str::from_utf8(&bytes) else { continue };
            // Groovy reads close enough to Java for its declarations.
            let dialect = Dialect::of_path(&file.path).unwrap_or(Dialect::Java);
            for name in declarations(src, dialect) {
                declared.entry(name).or_insert_with(|| file.path.clone());
            }
        }
        Arc::clone(self.lock().entry(package.to_owned()).or_insert_with(|| Arc::new(declared)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Declared>>> {
        self.declared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every file of `package`, under the directory that holds them when
    /// they are alone there, else under the package's directory in the
    /// source root of its first file (`src/main/kotlin/com/acme/billing/`):
    /// a path that names this package only, so no two packages share a
    /// target.
    fn package_target(&self, package: &str) -> Resolution {
        let files: Vec<&SourceFile> = self.packages.declaring(package).collect();
        let dirs: HashSet<&[u8]> = files.iter().map(|f| parent(&f.path)).collect();
        let dir = match dirs.into_iter().collect::<Vec<_>>().as_slice() {
            [dir] if self.only_package_in(dir, package) => dir.to_vec(),
            _ => {
                let root = &self.packages.roots()[files[0].root as usize].dir;
                let rel = package.replace('.', "/");
                if root.is_empty() {
                    rel.into_bytes()
                } else {
                    [root.as_slice(), b"/", rel.as_bytes()].concat()
                }
            }
        };
        let mut path = dir;
        path.push(b'/');
        Resolution::Internal { path, files: files.iter().map(|f| f.path.clone()).collect() }
    }

    /// True if every JVM source file directly in `dir` is in `package`.
    fn only_package_in(&self, dir: &[u8], package: &str) -> bool {
        let files = self.packages.files();
        let prefix = if dir.is_empty() { Vec::new() } else { [dir, b"/"].concat() };
        let at = files.partition_point(|f| f.path.as_slice() < prefix.as_slice());
        files[at..]
            .iter()
            .take_while(|f| f.path.starts_with(&prefix))
            .filter(|f| !f.path[prefix.len()..].contains(&b'/'))
            .all(|f| f.package == package)
    }

    /// The package the JVM source file `path` is in.
    fn package_of(&self, path: &[u8]) -> Option<&str> {
        let files = self.packages.files();
        let at = files.binary_search_by(|f| f.path.as_slice().cmp(path)).ok()?;
        Some(&files[at].package)
    }
}

/// Where the first segment of dotted `name` that starts upper-case begins,
/// less one (the end of the prefix before it); `name.len()` when none does.
fn upper_start(name: &str) -> usize {
    let mut at = 0usize;
    for segment in name.split('.') {
        if segment.starts_with(|c: char| c.is_uppercase()) {
            return at.saturating_sub(1);
        }
        at += segment.len() + 1;
    }
    name.len()
}

/// The file name of `path` without its extension.
fn stem(path: &[u8]) -> Option<&str> {
    let name = &path[path.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1)..];
    let dot = name.iter().rposition(|&b| b == b'.')?;
    std::str::from_utf8(&name[..dot]).ok()
}

#[cfg(test)]
mod tests {
    use super::super::super::memory_tree;
    use super::super::WILDCARD;
    use super::*;

    fn resolve_all(files: &[(&str, &str)], from: &str, imports: &[Import]) -> Vec<Resolution> {
        let map = memory_tree(files);
        let read = |p: &[u8]| map.get(p).cloned();
        let tree = SourceTree::new(map.keys().map(Vec::as_slice), &read);
        let resolver = Resolver::new(&tree);
        imports.iter().map(|i| resolver.resolve(&tree, from.as_bytes(), i)).collect()
    }

    fn tagged(spec: &str, tag: &str) -> Import {
        Import { line: 1, spec: spec.into(), names: vec![tag.into()] }
    }

    const TREE: &[(&str, &str)] = &[
        (
            "billing/src/main/java/com/acme/billing/Invoice.java",
            "package com.acme.billing;\nclass Invoice {}",
        ),
        ("billing/src/main/java/com/acme/billing/Tax.java", "package com.acme.billing;\nclass Tax {}"),
        ("core/src/main/kotlin/util/Money.kt", "package com.acme.util\nfun formatMoney() = 1\nclass Cents"),
        ("core/src/main/kotlin/util/Alias.kt", "package com.acme.util\ntypealias Amount = Long"),
        ("core/src/main/kotlin/other/Rates.kt", "package com.acme.util\nobject Rates"),
        ("ship/src/main/scala/com/acme/ship/Parcel.scala", "package com.acme\npackage ship\nclass Parcel"),
        ("ship/src/main/scala/com/acme/ship/Crate.scala", "package com.acme.ship\nclass Crate"),
        ("ship/src/main/scala/com/acme/ship/box/Box.scala", "package com.acme.ship.box\nclass Box"),
    ];

    #[test]
    fn names_resolve_by_package_then_class() {
        let from = "app/src/main/java/com/acme/app/App.java";
        let imports = [
            Import::new(1, "com.acme.billing.Invoice"),
            Import::new(1, "com.acme.billing.Invoice.Line"),
            tagged("com.acme.billing", WILDCARD),
            Import::new(1, "com.acme.util.formatMoney"),
            Import::new(1, "com.acme.util.Cents"),
            Import::new(1, "com.acme.util.MoneyKt.formatMoney"),
            Import::new(1, "com.acme.util.Amount"),
            tagged("com.acme.util", WILDCARD),
            Import::new(1, "com.acme.billing.Gone"),
            Import::new(1, "com.acmetools.Client"),
            Import::new(1, "java.util.List"),
            tagged("com.acme.billing.Tax.rate", IN_CODE),
            tagged("com.acme.billing.gone", IN_CODE),
            tagged("invoice.total.amount", IN_CODE),
        ];
        let billing = |f: &str| format!("billing/src/main/java/com/acme/billing/{f}").into_bytes();
        let want = vec![
            Resolution::file(billing("Invoice.java")),
            Resolution::file(billing("Invoice.java")),
            Resolution::Internal {
                path: billing(""),
                files: vec![billing("Invoice.java"), billing("Tax.java")],
            },
            Resolution::file("core/src/main/kotlin/util/Money.kt"),
            Resolution::file("core/src/main/kotlin/util/Money.kt"),
            Resolution::file("core/src/main/kotlin/util/Money.kt"),
            Resolution::file("core/src/main/kotlin/util/Alias.kt"),
            // Two directories: the package's own directory names it.
            Resolution::Internal {
                path: b"core/src/main/kotlin/com/acme/util/".to_vec(),
                files: vec![
                    b"core/src/main/kotlin/other/Rates.kt".to_vec(),
                    b"core/src/main/kotlin/util/Alias.kt".to_vec(),
                    b"core/src/main/kotlin/util/Money.kt".to_vec(),
                ],
            },
            Resolution::Unresolved,
            Resolution::External,
            Resolution::External,
            Resolution::file(billing("Tax.java")),
            Resolution::NotAReference,
            Resolution::NotAReference,
        ];
        assert_eq!(resolve_all(TREE, from, &imports), want);
    }

    #[test]
    fn upper_case_packages_are_still_found() {
        let files =
            [("src/main/java/com/Acme/Billing/Invoice.java", "package com.Acme.Billing;\nclass Invoice {}")];
        let imports =
            [Import::new(1, "com.Acme.Billing.Invoice"), tagged("com.Acme.Billing.Invoice.of", IN_CODE)];
        let want = Resolution::file("src/main/java/com/Acme/Billing/Invoice.java");
        assert_eq!(resolve_all(&files, "A.java", &imports), vec![want.clone(), want]);
    }

    #[test]
    fn scala_names_resolve_in_the_enclosing_package_first() {
        let from = "ship/src/main/scala/com/acme/ship/Parcel.scala";
        let imports = [
            Import::new(1, "box.Box"),
            Import::new(1, "com.acme.ship.box.Box"),
            Import::new(1, "ship.Crate"),
            Import::new(1, "box2.X"),
        ];
        let want = vec![
            Resolution::file("ship/src/main/scala/com/acme/ship/box/Box.scala"),
            Resolution::file("ship/src/main/scala/com/acme/ship/box/Box.scala"),
            Resolution::file("ship/src/main/scala/com/acme/ship/Crate.scala"),
            Resolution::External,
        ];
        assert_eq!(resolve_all(TREE, from, &imports), want);
    }
}
