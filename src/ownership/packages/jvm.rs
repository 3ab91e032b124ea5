//! JVM: a dotted package names every directory whose path ends in its
//! components, under any source root (`src/main/java`, `src/test/kotlin`,
//! resources, or the tree root itself).

use std::collections::{BTreeSet, HashMap};

use super::table::components;
use super::FileSource;

/// Every directory of the tree that holds at least one file below it.
pub(super) struct JvmDirs {
    /// Sorted, deduplicated, never the root.
    dirs: Vec<Vec<u8>>,
    /// Last component -> indexes into `dirs`, so a lookup only tests the
    /// directories that can possibly match.
    by_last: HashMap<Vec<u8>, Vec<usize>>,
}

impl JvmDirs {
    /// Collects the directories in one pass over the paths, reading nothing.
    pub fn build(files: &dyn FileSource) -> JvmDirs {
        let mut dirs: Vec<Vec<u8>> = Vec::new();
        let mut prev: &[u8] = b"";
        for path in files.paths() {
            let common = path.iter().zip(prev).take_while(|(a, b)| a == b).count();
            // A directory ending before `common` is also a directory of the
            // previous path and was recorded then (sorted input); the final
            // sort and dedup keep this right for unsorted input too.
            for (i, &b) in path.iter().enumerate().skip(common) {
                if b == b'/' && i > 0 {
                    dirs.push(path[..i].to_vec());
                }
            }
            prev = path;
        }
        dirs.sort();
        dirs.dedup();
        let mut by_last: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        for (i, d) in dirs.iter().enumerate() {
            if let Some(last) = components(d).last() {
                by_last.entry(last.to_vec()).or_default().push(i);
            }
        }
        JvmDirs { dirs, by_last }
    }

    /// The directories of the dotted package `name`, sorted.
    pub fn lookup(&self, name: &str) -> Vec<Vec<u8>> {
        let parts: Vec<&str> = name.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Vec::new();
        }
        let suffix = parts.join("/");
        let suffix = suffix.as_bytes();
        let Some(hits) = self.by_last.get(parts[parts.len() - 1].as_bytes()) else {
            return Vec::new();
        };
        // `hits` ascend, so the result stays sorted.
        hits.iter()
            .map(|&i| &self.dirs[i])
            .filter(|d| {
                d.ends_with(suffix) && (d.len() == suffix.len() || d[d.len() - suffix.len() - 1] == b'/')
            })
            .cloned()
            .collect()
    }

    /// Dotted names near `name` in length (one component more or fewer),
    /// made of identifier-like components: the names worth suggesting.
    pub fn names_near(&self, name: &str) -> BTreeSet<String> {
        let n = name.split('.').count();
        let mut out = BTreeSet::new();
        for d in &self.dirs {
            let Ok(d) = std::str::from_utf8(d) else {
                continue;
            };
            let parts: Vec<&str> = d.split('/').collect();
            for len in n.saturating_sub(1).max(1)..=n + 1 {
                if len > parts.len() {
                    break;
                }
                let tail = &parts[parts.len() - len..];
                if tail.iter().all(|p| is_identifier(p)) {
                    out.insert(tail.join("."));
                }
            }
        }
        out
    }
}

/// A Java/Kotlin identifier (the only directory names a package can have).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}
