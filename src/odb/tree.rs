//! Tree objects parsed in place: one pass over the bytes records where
//! each entry is, and entries are read from the bytes when asked for. The
//! history engine parses every root tree of history this way, and listings
//! read through the packs do too.

use std::collections::VecDeque;
use std::sync::Arc;

use git2::Oid;

use super::id::{id_map, key, IdMap, Key};
use super::object::{ObjectError, ObjectKind, Source};

/// The mode of a tree entry that is a directory.
pub const MODE_TREE: u32 = 0o40000;
/// The mode of a submodule's commit: not an object of this repository.
pub const MODE_GITLINK: u32 = 0o160000;

/// One entry of a [`RawTree`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The mode as git stores it (`0o40000` for a directory).
    pub mode: u32,
    /// The file or directory name.
    pub name: &'a [u8],
    /// The object it points at.
    pub id: Oid,
}

impl Entry<'_> {
    /// Is this a subdirectory?
    pub fn is_tree(&self) -> bool {
        self.mode == MODE_TREE
    }
}

#[derive(Clone, Copy, Debug)]
struct Span {
    mode: u32,
    name: u32,
    name_len: u32,
    id: u32,
}

/// Calls `f` with where each entry of tree content `data` is; `None` if
/// the content is malformed.
fn each_span(data: &[u8], mut f: impl FnMut(Span)) -> Option<()> {
    let mut at = 0;
    while at < data.len() {
        let space = at + data[at..].iter().position(|&b| b == b' ')?;
        let mut mode = 0u32;
        for &d in &data[at..space] {
            if !(b'0'..=b'7').contains(&d) {
                return None;
            }
            mode = mode.checked_mul(8)? + u32::from(d - b'0');
        }
        let nul = space + 1 + data[space + 1..].iter().position(|&b| b == 0)?;
        let id = nul + 1;
        if id + 20 > data.len() {
            return None;
        }
        f(Span { mode, name: (space + 1) as u32, name_len: (nul - space - 1) as u32, id: id as u32 });
        at = id + 20;
    }
    Some(())
}

/// A tree object's bytes and where each entry is inside them.
#[derive(Debug)]
pub struct RawTree {
    data: Arc<[u8]>,
    spans: Vec<Span>,
}

impl RawTree {
    /// Reads and parses tree `id`.
    pub fn read(src: &Source<'_>, id: Oid) -> Result<RawTree, ObjectError> {
        let data = src.read_kind(id, ObjectKind::Tree)?;
        RawTree::parse(data).ok_or(ObjectError::Malformed { id, kind: ObjectKind::Tree, what: "entry" })
    }

    /// Parses a tree object's content; `None` if it is malformed.
    pub fn parse(data: Arc<[u8]>) -> Option<RawTree> {
        let mut spans = Vec::with_capacity(data.len() / 40);
        each_span(&data, |span| spans.push(span))?;
        Some(RawTree { data, spans })
    }

    /// Calls `f(mode, id)` for each entry of a tree object's content, in
    /// order, without keeping anything: for walks that want only the ids.
    /// `None` if it is malformed (`f` may have seen some entries by then).
    pub fn each_id(data: &[u8], mut f: impl FnMut(u32, &[u8; 20])) -> Option<()> {
        each_span(data, |s| {
            let id = data[s.id as usize..s.id as usize + 20].try_into().expect("20 bytes");
            f(s.mode, id)
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True for the empty tree.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    fn name(&self, i: usize) -> &[u8] {
        let s = self.spans[i];
        &self.data[s.name as usize..(s.name + s.name_len) as usize]
    }

    /// The mode as written: `040000` and `40000` are one mode to git's
    /// diff, but two different trees.
    fn raw_mode(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.spans[i - 1].id as usize + 20 };
        &self.data[start..self.spans[i].name as usize - 1]
    }

    fn raw_id(&self, i: usize) -> &[u8] {
        let at = self.spans[i].id as usize;
        &self.data[at..at + 20]
    }

    /// The `i`th entry, in git's order.
    pub fn get(&self, i: usize) -> Entry<'_> {
        Entry {
            mode: self.spans[i].mode,
            name: self.name(i),
            id: Oid::from_bytes(self.raw_id(i)).expect("20 bytes"),
        }
    }

    /// The entries, in git's order.
    pub fn iter(&self) -> impl Iterator<Item = Entry<'_>> + '_ {
        (0..self.spans.len()).map(|i| self.get(i))
    }

    /// The entry called `name`.
    pub fn find(&self, name: &[u8]) -> Option<Entry<'_>> {
        self.iter().find(|e| e.name == name)
    }

    /// Names whose entry differs between `old` and `self` (added, removed
    /// or changed), each once.
    pub fn changed_names<'a>(&'a self, old: &'a RawTree) -> Vec<&'a [u8]> {
        // Both lists are in git's order: a name sorts as if a directory's
        // name ended in `/`. Walk them side by side, on the raw bytes: this
        // runs for every commit, and an `Oid` compares by a call into libgit2.
        let key = |t: &'a RawTree, k: usize, i: usize| -> u8 {
            let name = t.name(k);
            match name.get(i) {
                Some(&b) => b,
                None if t.spans[k].mode == 0o40000 && i == name.len() => b'/',
                None => 0,
            }
        };
        let cmp = |i: usize, j: usize| {
            let n = self.name(i).len().max(old.name(j).len()) + 1;
            (0..n)
                .map(|k| (key(self, i, k), key(old, j, k)))
                .find(|(x, y)| x != y)
                .map_or(std::cmp::Ordering::Equal, |(x, y)| x.cmp(&y))
        };
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < self.len() || j < old.len() {
            if i == self.len() {
                out.push(old.name(j));
                j += 1;
                continue;
            }
            if j == old.len() {
                out.push(self.name(i));
                i += 1;
                continue;
            }
            if self.name(i) == old.name(j) {
                if self.raw_mode(i) != old.raw_mode(j) || self.raw_id(i) != old.raw_id(j) {
                    out.push(self.name(i));
                }
                i += 1;
                j += 1;
                continue;
            }
            match cmp(i, j) {
                std::cmp::Ordering::Less => {
                    out.push(self.name(i));
                    i += 1;
                }
                _ => {
                    out.push(old.name(j));
                    j += 1;
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Parsed trees read lately, by id, the oldest forgotten first: a commit's
/// trees are mostly the commit's before it, so a few hundred spare most
/// reads.
pub struct RecentTrees {
    trees: IdMap<Key, Arc<RawTree>>,
    order: VecDeque<Key>,
    size: usize,
}

impl RecentTrees {
    /// Room for `size` trees.
    pub fn new(size: usize) -> RecentTrees {
        RecentTrees { trees: id_map(), order: VecDeque::new(), size: size.max(1) }
    }

    /// Tree `id`, remembered, or else `read` and remembered.
    pub fn get_or_read<E>(
        &mut self,
        id: &Oid,
        read: impl FnOnce() -> Result<Arc<RawTree>, E>,
    ) -> Result<Arc<RawTree>, E> {
        let k = key(id);
        if let Some(t) = self.trees.get(&k) {
            return Ok(t.clone());
        }
        let tree = read()?;
        if self.order.len() == self.size {
            let old = self.order.pop_front().expect("full");
            self.trees.remove(&old);
        }
        self.order.push_back(k);
        self.trees.insert(k, tree.clone());
        Ok(tree)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::odb::id::key;

    fn tree_bytes(entries: &[(&str, &str, u8)]) -> Vec<u8> {
        let mut data = Vec::new();
        for (mode, name, fill) in entries {
            data.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            data.extend_from_slice(&[*fill; 20]);
        }
        data
    }

    fn tree(entries: &[(&str, &str, u8)]) -> RawTree {
        RawTree::parse(tree_bytes(entries).into()).expect("well-formed")
    }

    #[test]
    fn parses_entries_in_place() {
        let t = tree(&[("100644", "a", 1), ("40000", "b", 2), ("120000", "c", 3)]);
        let e: Vec<_> = t.iter().map(|e| (e.mode, e.name.to_vec(), e.is_tree())).collect();
        assert_eq!(
            e,
            vec![
                (0o100644, b"a".to_vec(), false),
                (0o40000, b"b".to_vec(), true),
                (0o120000, b"c".to_vec(), false)
            ]
        );
        assert_eq!(t.get(1).id.as_bytes(), &[2; 20]);
    }

    #[test]
    fn rejects_truncated_trees() {
        for bad in [&b"100644 a\0short"[..], b"100644 a", b"10x644 a\0aaaaaaaaaaaaaaaaaaaa"] {
            assert!(RawTree::parse(bad.into()).is_none());
            assert!(RawTree::each_id(bad, |_, _| {}).is_none());
        }
    }

    /// The walk that keeps nothing sees what the parse keeps.
    #[test]
    fn each_id_sees_the_parsed_entries() {
        let bytes = tree_bytes(&[("100644", "a", 1), ("40000", "b", 2), ("160000", "c", 3)]);
        let mut seen = Vec::new();
        RawTree::each_id(&bytes, |mode, id| seen.push((mode, *id))).expect("well-formed");
        let parsed: Vec<_> =
            RawTree::parse(bytes.into()).unwrap().iter().map(|e| (e.mode, key(&e.id))).collect();
        assert_eq!(seen, parsed);
    }

    #[test]
    fn changed_names_follow_git_order_with_directories() {
        // "a.b" sorts before the directory "a" (as "a/") but after a file "a".
        let old = tree(&[("100644", "a.b", 1), ("40000", "a", 2), ("100644", "z", 3)]);
        let new = tree(&[("100644", "a.b", 1), ("40000", "a", 9), ("100644", "m", 4)]);
        assert_eq!(new.changed_names(&old), vec![&b"a"[..], b"m", b"z"]);
        assert!(new.changed_names(&new).is_empty());
        // A file replaced by a directory of the same name.
        let file = tree(&[("100644", "a", 1)]);
        let dir = tree(&[("40000", "a", 1)]);
        assert_eq!(dir.changed_names(&file), vec![&b"a"[..]]);
        // The same mode, written with a leading zero: a different tree.
        let padded = tree(&[("040000", "a", 1)]);
        assert_eq!(padded.changed_names(&dir), vec![&b"a"[..]]);
    }

    #[test]
    fn recent_trees_reads_each_tree_once_and_forgets_the_oldest() {
        let mut recent = RecentTrees::new(2);
        let reads = std::cell::Cell::new(0);
        let mut get = |n: u8| {
            let id = Oid::from_bytes(&[n; 20]).unwrap();
            recent
                .get_or_read(&id, || {
                    reads.set(reads.get() + 1);
                    Ok::<_, ()>(Arc::new(tree(&[("100644", "f", n)])))
                })
                .unwrap()
        };
        assert_eq!(get(1).iter().next().unwrap().id, Oid::from_bytes(&[1; 20]).unwrap());
        get(2);
        get(1);
        assert_eq!(reads.get(), 2, "remembered trees are not read again");
        get(3);
        get(2);
        assert_eq!(reads.get(), 3, "the two newest are remembered");
        get(1);
        assert_eq!(reads.get(), 4, "the oldest was forgotten");
        let failed = recent.get_or_read(&Oid::from_bytes(&[9; 20]).unwrap(), || Err("unreadable"));
        assert_eq!(failed.err(), Some("unreadable"));
    }
}
