//! Monolith objects read as raw bytes and parsed by hand.
//!
//! The engine reads every commit and root tree of the history once; libgit2's
//! object types would parse each into its own allocations and cache them.
//! These parsers keep one buffer per object and find fields in place.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use std::cell::RefCell;
use std::sync::Arc;

use git2::{ObjectType, Odb, Oid, Repository};

use super::tree::TreeError;
use crate::git_pack::{Packs, ReadState};
pub use crate::raw_tree::{Entry, RawTree};

/// Reads monolith objects: straight from its packs where it can (no locks,
/// no parsing, recent delta bases kept), through libgit2 otherwise. One per
/// thread.
pub struct Source<'r> {
    repo: &'r Repository,
    odb: Odb<'r>,
    packs: &'r Packs,
    state: RefCell<ReadState>,
}

impl<'r> Source<'r> {
    /// Reads from `repo`, whose packs are `packs`.
    pub fn new(repo: &'r Repository, packs: &'r Packs) -> Result<Source<'r>, git2::Error> {
        Ok(Source { repo, odb: repo.odb()?, packs, state: RefCell::new(ReadState::new()) })
    }

    /// The monolith repository.
    pub fn repo(&self) -> &'r Repository {
        self.repo
    }

    /// The monolith's packs.
    pub fn packs(&self) -> &'r Packs {
        self.packs
    }

    /// The kind and content of object `id`.
    pub fn read(&self, id: Oid) -> Result<(ObjectType, Arc<[u8]>), git2::Error> {
        let key: &[u8; 20] = id.as_bytes().try_into().expect("20 bytes");
        if let Some((kind, data)) = self.packs.read(key, &mut self.state.borrow_mut()) {
            let kind = match kind {
                1 => ObjectType::Commit,
                2 => ObjectType::Tree,
                3 => ObjectType::Blob,
                _ => ObjectType::Tag,
            };
            return Ok((kind, data));
        }
        let obj = self.odb.read(id)?;
        Ok((obj.kind(), obj.data().into()))
    }
}

/// A hasher for keys that are (or start with) object ids: their bytes are
/// already uniformly distributed, so SipHash's work buys nothing.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 =
                (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write(&n.to_le_bytes());
    }

    fn write_usize(&mut self, _: usize) {
        // Only slice lengths come through here, and ids all have one length.
    }
}

/// A map keyed by object ids.
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// An object id as its bytes: comparing `git2::Oid`s is a call into
/// libgit2, which the hottest sets and maps cannot afford.
pub type Key = [u8; 20];

/// The [`Key`] of `id`.
pub fn key(id: &Oid) -> Key {
    id.as_bytes().try_into().expect("SHA-1 ids are 20 bytes")
}

/// The id whose bytes are `k`: the inverse of [`key`].
pub fn oid(k: &Key) -> Oid {
    Oid::from_bytes(k).expect("20 bytes")
}

/// Appends `id` in hex: the state and commit-map files hold hundreds of
/// thousands of ids, and `Display` goes through the formatter for each.
pub fn push_hex(out: &mut String, id: &Oid) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 40];
    for (i, b) in id.as_bytes().iter().enumerate() {
        buf[2 * i] = DIGITS[usize::from(b >> 4)];
        buf[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
    }
    out.push_str(std::str::from_utf8(&buf).expect("hex digits"));
}

/// Reads 40 lowercase or uppercase hex digits.
pub fn parse_hex(s: &[u8]) -> Option<Oid> {
    parse_hex_key(s).map(|k| oid(&k))
}

/// [`parse_hex`] as raw bytes: no call into libgit2, for reading ids by
/// the hundred thousand.
pub fn parse_hex_key(s: &[u8]) -> Option<Key> {
    if s.len() != 40 {
        return None;
    }
    // 0xff marks a byte that is not a hex digit.
    const VALUE: [u8; 256] = {
        let mut t = [0xffu8; 256];
        let mut c = 0;
        while c < 256 {
            t[c] = match c as u8 {
                d @ b'0'..=b'9' => d - b'0',
                d @ b'a'..=b'f' => d - b'a' + 10,
                d @ b'A'..=b'F' => d - b'A' + 10,
                _ => 0xff,
            };
            c += 1;
        }
        t
    };
    let mut raw = [0u8; 20];
    let mut bad = 0u8;
    for (i, pair) in s.chunks_exact(2).enumerate() {
        let (hi, lo) = (VALUE[usize::from(pair[0])], VALUE[usize::from(pair[1])]);
        bad |= (hi | lo) & 0xf0;
        raw[i] = hi << 4 | (lo & 0x0f);
    }
    if bad != 0 {
        return None;
    }
    Some(raw)
}

/// A set of object ids.
pub type IdSet = std::collections::HashSet<Key, BuildHasherDefault<IdHasher>>;

/// A new, empty [`IdMap`].
pub fn id_map<K, V>() -> IdMap<K, V> {
    HashMap::with_hasher(BuildHasherDefault::default())
}

/// Reading a tree from the monolith's objects.
impl RawTree {
    /// Reads and parses tree `id`.
    pub fn read(src: &Source<'_>, id: Oid) -> Result<RawTree, TreeError> {
        let (kind, data) =
            src.read(id).map_err(|e| TreeError::new(format!("reading tree {id}"), e.message()))?;
        if kind != ObjectType::Tree {
            return Err(TreeError::new(format!("reading tree {id}"), format!("it is a {kind}")));
        }
        RawTree::parse(data)
            .ok_or_else(|| TreeError::new(format!("reading tree {id}"), "malformed tree object"))
    }
}

/// A commit object's bytes, split into header and message.
pub struct RawCommit {
    data: Arc<[u8]>,
    /// Where the header ends (its last `\n` included).
    header: usize,
    /// Where the message starts (after the blank line).
    message: usize,
}

impl RawCommit {
    /// Reads commit `id`.
    pub fn read(src: &Source<'_>, id: Oid) -> Result<RawCommit, git2::Error> {
        let (kind, data) = src.read(id)?;
        if kind != ObjectType::Commit {
            return Err(git2::Error::from_str(&format!("{id} is a {kind}, not a commit")));
        }
        Ok(RawCommit::new(data))
    }

    /// Splits a commit object's content.
    pub fn new(data: Arc<[u8]>) -> RawCommit {
        match data.windows(2).position(|w| w == b"\n\n") {
            Some(p) => RawCommit { data, header: p + 1, message: p + 2 },
            None => RawCommit { header: data.len(), message: data.len(), data },
        }
    }

    /// The header lines, each ending in `\n`.
    pub fn header(&self) -> &[u8] {
        &self.data[..self.header]
    }

    /// The raw message.
    pub fn message(&self) -> &[u8] {
        &self.data[self.message..]
    }

    /// The `tree` and `parent` ids of the header.
    pub fn tree_and_parents(&self) -> Result<(Oid, Vec<Oid>), git2::Error> {
        let mut tree = None;
        let mut parents = Vec::new();
        for line in self.header().split(|&b| b == b'\n') {
            if let Some(hex) = line.strip_prefix(b"tree ") {
                tree = Some(hex_oid(hex)?);
            } else if let Some(hex) = line.strip_prefix(b"parent ") {
                parents.push(hex_oid(hex)?);
            } else if !line.is_empty() {
                // `tree` and `parent` lines come first.
                break;
            }
        }
        let tree = tree.ok_or_else(|| git2::Error::from_str("commit without a tree"))?;
        Ok((tree, parents))
    }
}

fn hex_oid(hex: &[u8]) -> Result<Oid, git2::Error> {
    // Read for every commit of history: no call into libgit2 for it.
    parse_hex(hex).ok_or_else(|| git2::Error::from_str("bad object id"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn splits_commits() {
        let c = RawCommit::new(
            format!(
                "tree {}\nparent {}\nauthor A <a> 1 +0000\n\nsubject\n\nbody\n",
                "1".repeat(40),
                "2".repeat(40)
            )
            .into_bytes()
            .into(),
        );
        assert_eq!(c.message(), b"subject\n\nbody\n");
        assert!(c.header().ends_with(b"+0000\n"));
        let bare = RawCommit::new(b"tree x\n"[..].into());
        assert_eq!((bare.header(), bare.message()), (&b"tree x\n"[..], &b""[..]));
        let (t, p) = c.tree_and_parents().expect("parses");
        assert_eq!(t.to_string(), "1".repeat(40));
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn hex_round_trips_and_rejects_what_git_would() {
        let id = Oid::from_str("0123456789abcdef0123456789abcdef01234567").expect("id");
        let mut s = String::new();
        push_hex(&mut s, &id);
        assert_eq!(s, id.to_string());
        assert_eq!(parse_hex(s.as_bytes()), Some(id));
        assert_eq!(parse_hex(s.to_uppercase().as_bytes()), Some(id));
        for bad in ["", "0123", &format!("{s}0"), &s.replace('a', "g"), &s.replace('0', " ")] {
            assert_eq!(parse_hex(bad.as_bytes()), None, "{bad:?}");
        }
        let mut non_ascii = s.into_bytes();
        non_ascii[7] = 0xc3;
        assert_eq!(parse_hex(&non_ascii), None);
    }
}
