//! Whether a commit left every path a team keeps as its first parent had
//! it, told from the commit's changed-path Bloom filter, the top-level
//! names that changed and the changes the reader found below them
//! ([`Below`]), without the team reading a tree.
//!
//! # Why a "no" is exact
//!
//! The team's tree is a function of the files it keeps, each with its mode
//! and id. A file is kept by its path alone (the rules of one generation:
//! the caller compares only commits of one; excludes and carve-outs only
//! take files away), and every kept file lies at or below one of
//! [`Ownership::keep_prefixes`](crate::ownership::Ownership::keep_prefixes).
//! A directory kept whole is reused by id, and its id is a function of the
//! files below it; a partly kept one is written from its kept entries, or
//! reused by id when it keeps them all, which is the same bytes. With
//! `root:`, the tree is that of the kept files below the root, a function
//! of the same files.
//!
//! git's filter holds every path that differs between the commit's tree
//! and its first parent's (added, deleted or modified files, mode or type
//! changes, submodule moves) and each of their leading directories. So a
//! kept file that changed puts its prefix and each directory above it in
//! the filter: a "no" for the prefix, or for any directory above it, means
//! nothing below it changed. Testing the directories above first is what
//! keeps false positives down: one test rules out a whole vendor's
//! components. A top-level name, and a path in a directory the reader
//! compared ([`Below`]), is answered exactly by the names that changed
//! there, compared entry by entry (the mode as written, and the id).
//!
//! What git's diff does not see, a filter cannot rule out: a tree holding
//! an empty subtree, or a mode git never writes (`100664`, zero-padded).
//! No git command writes those; the README says to leave the filters out
//! for history that has them.

use std::collections::HashMap;

use super::below::Below;
use crate::odb::bloom::{Answer, Filter, Key, Settings};

/// The paths a team's tree depends on, and the directories above them,
/// as a tree of tests.
pub struct KeptPaths {
    /// Each path once, a directory before what is below it.
    nodes: Vec<Node>,
    /// The keys of `nodes`, per filter settings met.
    keys: Vec<(Settings, Vec<Key>)>,
    /// Per node, during one question: ruled out or not.
    out: Vec<bool>,
}

struct Node {
    path: Box<[u8]>,
    /// The directory above, `None` at the top level.
    parent: Option<u32>,
    /// One of the team's prefixes (else only a directory above some).
    prefix: bool,
}

impl KeptPaths {
    /// The tests for `prefixes` (no one below another, none empty).
    pub fn new(prefixes: &[Vec<u8>]) -> KeptPaths {
        let mut nodes: Vec<Node> = Vec::new();
        let mut index: HashMap<Box<[u8]>, u32> = HashMap::new();
        for p in prefixes {
            let mut parent = None;
            let ends = p.iter().enumerate().filter(|(_, &b)| b == b'/').map(|(i, _)| i).chain([p.len()]);
            for end in ends {
                let path: Box<[u8]> = p[..end].into();
                let n = *index.entry(path.clone()).or_insert_with(|| {
                    nodes.push(Node { path, parent, prefix: false });
                    nodes.len() as u32 - 1
                });
                parent = Some(n);
            }
            nodes[parent.expect("a prefix is not empty") as usize].prefix = true;
        }
        let out = vec![false; nodes.len()];
        KeptPaths { nodes, keys: Vec::new(), out }
    }

    /// Do `filter`, when the commit has one, and `below` (with `changed`,
    /// the top-level names that differ from the first parent, when known)
    /// rule out every prefix? A path is ruled out when either rules it
    /// out, or a directory above it is.
    pub fn rules_out(
        &mut self,
        filter: Option<&Filter<'_>>,
        below: &Below,
        changed: Option<&[Box<[u8]>]>,
    ) -> bool {
        let keys = filter.map(|f| self.keys_for(f.settings()));
        // Directories come before what is below them: one pass.
        for (i, n) in self.nodes.iter().enumerate() {
            let out = match (n.parent, changed) {
                (Some(p), _) if self.out[p as usize] => true,
                (None, Some(names)) => !names.iter().any(|c| **c == *n.path),
                _ => {
                    below.rules_out(&n.path)
                        || filter.zip(keys).is_some_and(|(f, k)| f.test_key(&self.keys[k].1[i]) == Answer::No)
                }
            };
            if n.prefix && !out {
                return false;
            }
            self.out[i] = out;
        }
        true
    }

    /// Where the keys of the nodes hashed for `settings` are, hashed now
    /// if they were not yet.
    fn keys_for(&mut self, settings: Settings) -> usize {
        match self.keys.iter().position(|(s, _)| *s == settings) {
            Some(k) => k,
            None => {
                let keys = self.nodes.iter().map(|n| Key::new(&n.path, settings)).collect();
                self.keys.push((settings, keys));
                self.keys.len() - 1
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_above_come_first_and_once() {
        let k = KeptPaths::new(&[
            b"src/Acme/Component/Cart".to_vec(),
            b"src/Acme/Bundle".to_vec(),
            b"x".to_vec(),
        ]);
        let paths: Vec<(&[u8], Option<u32>, bool)> =
            k.nodes.iter().map(|n| (&n.path[..], n.parent, n.prefix)).collect();
        assert_eq!(
            paths,
            [
                (&b"src"[..], None, false),
                (b"src/Acme", Some(0), false),
                (b"src/Acme/Component", Some(1), false),
                (b"src/Acme/Component/Cart", Some(2), true),
                (b"src/Acme/Bundle", Some(1), true),
                (b"x", None, true),
            ]
        );
    }
}
