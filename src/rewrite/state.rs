//! A team's saved history ("state"), for the next run to continue.
//!
//! `split/state` is a short text file: its format, the fingerprint of the
//! team definition it was saved for, the monolith commits the run's refs
//! pointed at (`t` lines) and the segments holding the history (`s` lines,
//! oldest first). A segment, `split/<sha1>.seg`, is what one run added:
//! every monolith commit it considered with what the commit became and what
//! references to it become, and every commit it wrote with its tree,
//! generation and parents. Both tables are sorted by id, so the next run
//! looks ids up in the memory-mapped file instead of reading history back,
//! and a run costs what it adds, not what came before. Segments are never
//! changed once written: the next run links them into its repository, as
//! it does packs, and adds its own; past [`MAX_SEGMENTS`] they are folded
//! into one.
//!
//! The commit map (`split/commit-map`) is filter-repo's single file: each
//! run copies the previous one and appends to it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use git2::Oid;
use sha1::{Digest, Sha1};

use crate::odb::id::{key, oid, parse_hex_key, push_hex, Key};
use crate::odb::pack::map::Map;

/// The state's file name, in the team repository's `split` directory.
pub const STATE: &str = "state";
/// The commit map's file name, in the same directory.
pub const COMMIT_MAP: &str = "commit-map";
/// More segments than this are folded into one.
pub const MAX_SEGMENTS: usize = 16;
/// Version 3 keeps the history in segments; earlier states are not read
/// (the team is built again, to the same ids).
const STATE_HEADER: &str = "git-split-state 3";
/// Appended to a file's name until it is whole.
const PARTIAL: &str = ".partial";
/// This run's considered commits, unsorted, until the segment is written.
const RECORDS: &str = "records.partial";
const SEGMENT_EXT: &str = "seg";

const MAGIC: &[u8; 8] = b"GSPLSEG1";
const ID: usize = 20;
/// Where the header's digest of the commits' ids starts, after the magic
/// and four counts (commits, kept, nodes, parents; u32 each).
const DIGEST_AT: usize = 8 + 4 * 4;
const HEADER: usize = DIGEST_AT + ID;
/// A considered commit: its id, what it became, what references to it
/// become (all zeros: none).
const RECORD: usize = 3 * ID;
/// A written commit: its id, tree, generation, and where its parents start.
const NODE: usize = 2 * ID + 4 + 4;
const TRAILER: usize = ID;

/// A saved state that cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", .path.display())]
pub struct StateError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

fn state_err(path: &Path, message: impl Into<String>) -> StateError {
    StateError { path: path.to_path_buf(), message: message.into() }
}

/// filter-repo's commit-map header, padding included, so tools reading its
/// maps read ours.
pub fn commit_map_header() -> String {
    format!("{:<40} new\n", "old")
}

fn le32(b: &[u8], at: usize) -> usize {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes")) as usize
}

fn id_at(b: &[u8], at: usize) -> Key {
    b[at..at + ID].try_into().expect("20 bytes")
}

/// An id, or `None` for all zeros.
fn some_id(k: Key) -> Option<Key> {
    (k != [0; ID]).then_some(k)
}

/// The position of `k` in a table of `n` rows of `width` bytes that start
/// with their id, sorted by it.
fn search(table: &[u8], width: usize, n: usize, k: &Key) -> Option<usize> {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match table[mid * width..mid * width + ID].cmp(&k[..]) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Some(mid),
        }
    }
    None
}

/// One run's part of a state, mapped.
struct Segment {
    name: String,
    path: PathBuf,
    map: Map,
    commits: usize,
    kept: usize,
    nodes: usize,
    parents: usize,
}

impl Segment {
    /// Opens the segment `name` in `dir`, checking what costs nothing: its
    /// format, its size and that it is named after its checksum. Its
    /// content is trusted, as git trusts a pack's, and every byte is checked
    /// before segments are folded ([`PreviousState::open`]): a run reads only the
    /// entries it looks up.
    fn open(dir: &Path, name: &str) -> Result<Segment, StateError> {
        let path = dir.join(format!("{name}.{SEGMENT_EXT}"));
        let bad = |m: &str| state_err(&path, m);
        let map = Map::open(&path).ok_or_else(|| bad("missing or empty"))?;
        let b = map.bytes();
        if b.len() < HEADER + TRAILER || &b[..8] != MAGIC {
            return Err(bad("not a segment"));
        }
        let (commits, kept, nodes, parents) = (le32(b, 8), le32(b, 12), le32(b, 16), le32(b, 20));
        let size = (commits as u64 * RECORD as u64)
            + (nodes as u64 * NODE as u64)
            + (parents as u64 * ID as u64)
            + (HEADER + TRAILER) as u64;
        if b.len() as u64 != size {
            return Err(bad("has the wrong size"));
        }
        let mut trailer = String::with_capacity(40);
        push_hex(&mut trailer, &oid(&id_at(b, b.len() - TRAILER)));
        if trailer != name {
            return Err(bad("does not match its name"));
        }
        Ok(Segment { name: name.to_string(), path: path.clone(), map, commits, kept, nodes, parents })
    }

    fn records(&self) -> &[u8] {
        &self.map.bytes()[HEADER..HEADER + self.commits * RECORD]
    }

    fn node_table(&self) -> &[u8] {
        let at = HEADER + self.commits * RECORD;
        &self.map.bytes()[at..at + self.nodes * NODE]
    }

    fn parent_table(&self) -> &[u8] {
        let at = HEADER + self.commits * RECORD + self.nodes * NODE;
        &self.map.bytes()[at..at + self.parents * ID]
    }

    fn mapping(&self, k: &Key) -> Option<(Option<Key>, Option<Key>)> {
        let r = self.records();
        let i = search(r, RECORD, self.commits, k)?;
        Some((some_id(id_at(r, i * RECORD + ID)), some_id(id_at(r, i * RECORD + 2 * ID))))
    }

    fn node(&self, k: &Key) -> Option<Node> {
        let t = self.node_table();
        search(t, NODE, self.nodes, k).map(|i| self.node_at(i))
    }

    fn node_at(&self, i: usize) -> Node {
        let t = self.node_table();
        let row = &t[i * NODE..(i + 1) * NODE];
        // Within the parent table whatever the bytes say (see `open`).
        let end = if i + 1 < self.nodes { le32(t, (i + 1) * NODE + 2 * ID + 4) } else { self.parents };
        let end = end.min(self.parents);
        let start = le32(row, 2 * ID + 4).min(end);
        let p = self.parent_table();
        Node {
            id: id_at(row, 0),
            tree: id_at(row, ID),
            generation: le32(row, 2 * ID) as u32,
            parents: (start..end).map(|j| id_at(p, j * ID)).collect(),
        }
    }

    /// Every byte against the checksum the segment is named after.
    fn verify(&self) -> bool {
        let b = self.map.bytes();
        let digest: [u8; ID] = Sha1::digest(&b[..b.len() - TRAILER]).into();
        digest[..] == b[b.len() - TRAILER..]
    }
}

/// A commit a run wrote, as a segment keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The new commit.
    pub id: Key,
    /// Its tree.
    pub tree: Key,
    /// 1 + the highest generation of its parents.
    pub generation: u32,
    /// Its parents.
    pub parents: Vec<Key>,
}

/// A commit a run wrote, as [`Journal::close_state`] is given it: its
/// parents borrowed, so that a run's thousands of commits are not copied
/// one allocation each.
#[derive(Clone, Copy, Debug)]
pub struct NewNode<'a> {
    /// The new commit.
    pub id: Key,
    /// Its tree.
    pub tree: Key,
    /// 1 + the highest generation of its parents.
    pub generation: u32,
    /// Its parents.
    pub parents: &'a [Key],
}

impl Node {
    fn as_new(&self) -> NewNode<'_> {
        NewNode { id: self.id, tree: self.tree, generation: self.generation, parents: &self.parents }
    }
}

/// A team's state as an previous run saved it, opened for lookups.
pub struct PreviousState {
    tips: Vec<Oid>,
    segments: Vec<Segment>,
}

impl PreviousState {
    /// Opens the state in `dir` (a team repository's `split` directory)
    /// saved for `fingerprint`. `Ok(None)` when there is none, or it was
    /// saved for another fingerprint or by another format.
    pub fn open(dir: &Path, fingerprint: &str) -> Result<Option<PreviousState>, StateError> {
        let path = dir.join(STATE);
        let Ok(text) = std::fs::read(&path) else { return Ok(None) };
        let mut lines = text.split(|&b| b == b'\n');
        if lines.next() != Some(STATE_HEADER.as_bytes())
            || lines.next().and_then(|l| l.strip_prefix(b"fingerprint ")) != Some(fingerprint.as_bytes())
        {
            return Ok(None);
        }
        let mut saved = PreviousState { tips: Vec::new(), segments: Vec::new() };
        for (n, l) in lines.enumerate().filter(|(_, l)| !l.is_empty()) {
            let bad =
                || state_err(&path, format!("line {}: unexpected `{}`", n + 3, String::from_utf8_lossy(l)));
            let id = l.get(2..).and_then(parse_hex_key).ok_or_else(bad)?;
            match &l[..2] {
                b"t " => saved.tips.push(oid(&id)),
                b"s " => {
                    let name = std::str::from_utf8(&l[2..]).expect("hex digits").to_ascii_lowercase();
                    saved.segments.push(Segment::open(dir, &name)?);
                }
                _ => return Err(bad()),
            }
        }
        // The next run folds these: all their bytes are read then anyway,
        // and a damaged one is better found now, when the team can start
        // over, than when it is written.
        if saved.segments.len() >= MAX_SEGMENTS {
            if let Some(s) = saved.segments.iter().find(|s| !s.verify()) {
                return Err(state_err(&s.path, "is damaged"));
            }
        }
        Ok(Some(saved))
    }

    /// The monolith commits the run's refs pointed at.
    pub fn tips(&self) -> &[Oid] {
        &self.tips
    }

    /// How many monolith commits its runs considered.
    pub fn considered(&self) -> usize {
        self.segments.iter().map(|s| s.commits).sum()
    }

    /// How many of them were kept.
    pub fn kept(&self) -> usize {
        self.segments.iter().map(|s| s.kept).sum()
    }

    /// Did its runs consider monolith commit `k`?
    pub fn contains(&self, k: &Key) -> bool {
        self.mapping(k).is_some()
    }

    /// What monolith commit `k` became and what references to it become,
    /// if its runs considered it.
    pub fn mapping(&self, k: &Key) -> Option<(Option<Key>, Option<Key>)> {
        self.segments.iter().rev().find_map(|s| s.mapping(k))
    }

    /// The commit `k` its runs wrote.
    pub fn node(&self, k: &Key) -> Option<Node> {
        self.segments.iter().rev().find_map(|s| s.node(k))
    }

    /// Has this state the same commits as `other`? (Teams that always ran
    /// together have: their segments list the same commits.)
    pub fn same_commits(&self, other: &PreviousState) -> bool {
        fn digest(s: &Segment) -> &[u8] {
            &s.map.bytes()[DIGEST_AT..HEADER]
        }
        self.segments.len() == other.segments.len()
            && self.segments.iter().zip(&other.segments).all(|(a, b)| digest(a) == digest(b))
    }
}

/// A team's commit map and state, written as mappings are decided, so
/// neither is held in memory: the commit map line by line (after the
/// previous run's, copied), this run's commits to a scratch file sorted
/// into a segment at the end. Files are written under names marking them
/// unfinished and renamed when closed.
pub struct Journal {
    dir: PathBuf,
    fingerprint: String,
    tips: Vec<Oid>,
    map: Option<BufWriter<File>>,
    records: Option<BufWriter<File>>,
    line: String,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |e| state_err(path, format!("cannot write: {e}"))
}

fn read_err(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |e| state_err(path, format!("cannot read: {e}"))
}

impl Journal {
    /// Starts the commit map and state of a history saved for
    /// `fingerprint`, covering what `tips` reach, in directory `dir`,
    /// continuing the commit map at `previous_map`.
    pub fn create(
        dir: &Path,
        fingerprint: &str,
        tips: &[Oid],
        previous_map: Option<&Path>,
    ) -> Result<Journal, StateError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let map_path = dir.join(format!("{COMMIT_MAP}{PARTIAL}"));
        let mut map = File::create(&map_path).map_err(io_err(&map_path))?;
        match previous_map {
            // Copied in the kernel (`copy_file_range`: a reflink where the
            // file system has them), into a file of our own making, whatever
            // the previous one's permissions.
            Some(p) => {
                let mut from = File::open(p).map_err(read_err(p))?;
                std::io::copy(&mut from, &mut map).map_err(io_err(&map_path))?;
            }
            None => map.write_all(commit_map_header().as_bytes()).map_err(io_err(&map_path))?,
        }
        let records_path = dir.join(RECORDS);
        let records = File::create(&records_path).map_err(io_err(&records_path))?;
        let mut tips = tips.to_vec();
        tips.sort_unstable_by_key(key);
        tips.dedup();
        Ok(Journal {
            dir: dir.to_path_buf(),
            fingerprint: fingerprint.to_string(),
            tips,
            map: Some(BufWriter::with_capacity(1 << 15, map)),
            records: Some(BufWriter::with_capacity(1 << 15, records)),
            line: String::new(),
        })
    }

    /// Commit `c` was considered: it became `new`, references to it become
    /// `target`.
    pub fn push(&mut self, c: &Oid, new: Option<Oid>, target: Option<Oid>) -> Result<(), StateError> {
        let mut s = std::mem::take(&mut self.line);
        s.clear();
        push_hex(&mut s, c);
        s.push(' ');
        push_hex(&mut s, &new.unwrap_or(Oid::ZERO_SHA1));
        s.push('\n');
        let map = self.map.as_mut().expect("the commit map is open while commits are considered");
        let map_result = map.write_all(s.as_bytes());
        self.line = s;
        let mut record = [0u8; RECORD];
        record[..ID].copy_from_slice(c.as_bytes());
        for (at, id) in [(ID, new), (2 * ID, target)] {
            if let Some(id) = id {
                record[at..at + ID].copy_from_slice(id.as_bytes());
            }
        }
        let records = self.records.as_mut().expect("the state is open while commits are considered");
        // Paths are joined only on failure: this runs once per commit and team.
        map_result
            .map_err(|e| io_err(&self.dir.join(format!("{COMMIT_MAP}{PARTIAL}")))(e))
            .and_then(|()| records.write_all(&record).map_err(|e| io_err(&self.dir.join(RECORDS))(e)))
    }

    /// Finishes the commit map; returns where it is.
    pub fn close_map(&mut self) -> Result<PathBuf, StateError> {
        let partial = self.dir.join(format!("{COMMIT_MAP}{PARTIAL}"));
        let w = self.map.take().expect("closed once");
        w.into_inner().map_err(|e| state_err(&partial, format!("cannot write: {}", e.error())))?;
        let path = self.dir.join(COMMIT_MAP);
        std::fs::rename(&partial, &path).map_err(io_err(&path))?;
        Ok(path)
    }

    /// Finishes the state: the previous run's segments (`earlier`) linked,
    /// this run's written from its considered commits and `nodes` (the
    /// commits it wrote), and the state naming them; returns where it is.
    pub fn close_state(
        &mut self,
        earlier: Option<&PreviousState>,
        nodes: Vec<NewNode<'_>>,
    ) -> Result<PathBuf, StateError> {
        let records_path = self.dir.join(RECORDS);
        let w = self.records.take().expect("closed once");
        w.into_inner().map_err(|e| state_err(&records_path, format!("cannot write: {}", e.error())))?;
        // Read straight into records: one copy of them in memory, which
        // on a long history and many teams finishing at once adds up.
        let mut records = {
            let mut file = File::open(&records_path).map_err(read_err(&records_path))?;
            let len = file.metadata().map_err(read_err(&records_path))?.len() as usize;
            let mut records = vec![[0u8; RECORD]; len / RECORD];
            std::io::Read::read_exact(&mut file, records.as_flattened_mut())
                .map_err(read_err(&records_path))?;
            records
        };
        std::fs::remove_file(&records_path).map_err(io_err(&records_path))?;
        let mut nodes = nodes;
        let old: &[Segment] = earlier.map_or(&[], |s| &s.segments);
        let mut folded: Vec<Node> = Vec::new();
        let mut names = Vec::new();
        if old.len() + usize::from(!records.is_empty() || !nodes.is_empty()) > MAX_SEGMENTS {
            // Fold: one segment holding them all, as a run from scratch
            // writes it. (`PreviousState::open` checked every byte of them.)
            for s in old {
                records.extend(
                    s.records().chunks_exact(RECORD).map(|r| <[u8; RECORD]>::try_from(r).expect("a record")),
                );
                folded.extend((0..s.nodes).map(|i| s.node_at(i)));
            }
            nodes.extend(folded.iter().map(Node::as_new));
        } else {
            for s in old {
                let (from, to) = (s.path.clone(), self.dir.join(format!("{}.{SEGMENT_EXT}", s.name)));
                std::fs::hard_link(&from, &to)
                    .or_else(|_| std::fs::copy(&from, &to).map(|_| ()))
                    .map_err(io_err(&to))?;
                names.push(s.name.clone());
            }
        }
        if !records.is_empty() || !nodes.is_empty() {
            names.push(write_segment(&self.dir, records, nodes)?);
        }
        let mut s = format!("{STATE_HEADER}\nfingerprint {}\n", self.fingerprint);
        for t in &self.tips {
            s.push_str("t ");
            push_hex(&mut s, t);
            s.push('\n');
        }
        for n in &names {
            s.push_str(&format!("s {n}\n"));
        }
        let path = self.dir.join(STATE);
        let partial = self.dir.join(format!("{STATE}{PARTIAL}"));
        std::fs::write(&partial, s).map_err(io_err(&partial))?;
        std::fs::rename(&partial, &path).map_err(io_err(&path))?;
        Ok(path)
    }
}

/// Writes a segment of `records` and `nodes` into `dir`, each sorted (and
/// rid of repeats); returns its name.
fn write_segment(
    dir: &Path,
    mut records: Vec<[u8; RECORD]>,
    mut nodes: Vec<NewNode<'_>>,
) -> Result<String, StateError> {
    records.sort_unstable_by(|a, b| a[..ID].cmp(&b[..ID]));
    records.dedup_by(|a, b| a[..ID] == b[..ID]);
    nodes.sort_unstable_by_key(|n| n.id);
    nodes.dedup_by(|a, b| a.id == b.id);
    let parents: usize = nodes.iter().map(|n| n.parents.len()).sum();
    let count = |n: usize| -> Result<[u8; 4], StateError> {
        u32::try_from(n)
            .map(u32::to_le_bytes)
            .map_err(|_| state_err(dir, "more than 2^32 entries in a segment"))
    };
    let kept = records.iter().filter(|r| r[ID..2 * ID] != [0; ID]).count();
    // Written as it is hashed, not built in memory first: it is named
    // after its checksum once that is known.
    let partial = dir.join(format!("segment.{SEGMENT_EXT}{PARTIAL}"));
    let file = File::create(&partial).map_err(io_err(&partial))?;
    let mut out = Hashed { file: BufWriter::with_capacity(1 << 20, file), hash: Sha1::new() };
    let mut write = |bytes: &[u8]| out.write(bytes).map_err(io_err(&partial));
    write(MAGIC)?;
    for n in [records.len(), kept, nodes.len(), parents] {
        write(&count(n)?)?;
    }
    // Which commits the segment holds: teams whose segments all agree on it
    // considered the same commits (`PreviousState::same_commits`).
    let mut digest = Sha1::new();
    for r in &records {
        digest.update(&r[..ID]);
    }
    write(&digest.finalize())?;
    for r in &records {
        write(r)?;
    }
    let mut start = 0;
    for n in &nodes {
        write(&n.id)?;
        write(&n.tree)?;
        write(&n.generation.to_le_bytes())?;
        write(&count(start)?)?;
        start += n.parents.len();
    }
    for n in &nodes {
        for p in n.parents {
            write(p)?;
        }
    }
    let trailer: [u8; ID] = out.hash.clone().finalize().into();
    out.file.write_all(&trailer).and_then(|()| out.file.flush()).map_err(io_err(&partial))?;
    drop(out);
    let mut name = String::with_capacity(40);
    push_hex(&mut name, &oid(&trailer));
    let path = dir.join(format!("{name}.{SEGMENT_EXT}"));
    std::fs::rename(&partial, &path).map_err(io_err(&path))?;
    Ok(name)
}

/// A file written through a buffer, hashing what goes in.
struct Hashed {
    file: BufWriter<File>,
    hash: Sha1,
}

impl Hashed {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hash.update(bytes);
        self.file.write_all(bytes)
    }
}

/// The history engine's state in `dir`, whatever fingerprint it was saved
/// for (to look at, not to continue); `Ok(None)` when there is none.
fn open_as_saved(dir: &Path) -> Result<Option<PreviousState>, StateError> {
    let Ok(text) = std::fs::read_to_string(dir.join(STATE)) else { return Ok(None) };
    let mut lines = text.lines();
    if lines.next() != Some(STATE_HEADER) {
        return Ok(None);
    }
    let fingerprint = lines.next().and_then(|l| l.strip_prefix("fingerprint ")).unwrap_or_default();
    PreviousState::open(dir, fingerprint)
}

/// Checks the state in `dir` whole, against `commit_map` (the commit map
/// beside it): every segment's bytes against its checksum, and every line
/// of the commit map against the state (each commit considered once,
/// mapped alike). Returns what is wrong, if anything; `Ok(None)` when there
/// is no history engine state there.
pub fn check(dir: &Path, commit_map: &[u8]) -> Result<Option<Vec<String>>, StateError> {
    let Some(saved) = open_as_saved(dir)? else { return Ok(None) };
    let mut wrong: Vec<String> = saved
        .segments
        .iter()
        .filter(|s| !s.verify())
        .map(|s| format!("{} does not match its checksum", s.path.display()))
        .collect();
    let mut lines = 0;
    for l in commit_map.split(|&b| b == b'\n').skip(1).filter(|l| !l.is_empty()) {
        lines += 1;
        let (Some(old), Some(new)) =
            (l.get(..40).and_then(parse_hex_key), l.get(41..).and_then(parse_hex_key))
        else {
            wrong.push(format!("commit map line {}: `{}`", lines + 1, String::from_utf8_lossy(l)));
            continue;
        };
        match saved.mapping(&old) {
            Some((saved_new, _)) if saved_new == some_id(new) => {}
            _ => wrong.push(format!("the state does not map {} as the commit map does", oid(&old))),
        }
        if wrong.len() > 20 {
            break;
        }
    }
    if wrong.is_empty() && lines != saved.considered() {
        wrong.push(format!("the commit map has {lines} commits, the state {}", saved.considered()));
    }
    Ok(Some(wrong))
}

/// A state's content whatever its segments: `t` lines, then
/// `c <old> <new|-> <target|->` per commit considered, sorted, then
/// `n <new> <tree> <generation> <parent>...` per commit written, sorted.
/// Two states are the same history when their dumps are equal.
pub fn dump(dir: &Path) -> Result<String, StateError> {
    let saved = open_as_saved(dir)?.ok_or_else(|| state_err(&dir.join(STATE), "no history engine state"))?;
    let hex = |k: Option<Key>| match k {
        Some(k) => oid(&k).to_string(),
        None => "-".to_string(),
    };
    let mut commits = Vec::new();
    let mut nodes = Vec::new();
    for s in &saved.segments {
        for r in s.records().chunks_exact(RECORD) {
            let (old, new, target) = (id_at(r, 0), some_id(id_at(r, ID)), some_id(id_at(r, 2 * ID)));
            commits.push(format!("c {} {} {}", hex(Some(old)), hex(new), hex(target)));
        }
        for i in 0..s.nodes {
            let n = s.node_at(i);
            let mut l = format!("n {} {} {}", hex(Some(n.id)), hex(Some(n.tree)), n.generation);
            for p in n.parents {
                l.push(' ');
                l.push_str(&hex(Some(p)));
            }
            nodes.push(l);
        }
    }
    commits.sort();
    nodes.sort();
    let mut out = String::new();
    for l in saved.tips.iter().map(|t| format!("t {t}")).chain(commits).chain(nodes) {
        out.push_str(&l);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).unwrap()
    }

    /// A state of commits 3, 1, 2 (2 dropped onto 1) and two written
    /// commits, one a merge, saved in `dir`.
    fn save(dir: &Path, earlier: Option<&PreviousState>, tips: &[Oid]) -> PreviousState {
        let mut j = Journal::create(dir, "fp", tips, None).unwrap();
        j.push(&id(3), Some(id(103)), Some(id(103))).unwrap();
        j.push(&id(1), Some(id(101)), Some(id(101))).unwrap();
        j.push(&id(2), None, Some(id(101))).unwrap();
        let node = |n: u8, parents: &[u8]| Node {
            id: [n; 20],
            tree: [n + 100; 20],
            generation: u32::from(n),
            parents: parents.iter().map(|&p| [p; 20]).collect(),
        };
        j.close_map().unwrap();
        let nodes = [node(103, &[101, 90]), node(101, &[])];
        j.close_state(earlier, nodes.iter().map(Node::as_new).collect()).unwrap();
        PreviousState::open(dir, "fp").unwrap().expect("a state")
    }

    #[test]
    fn a_saved_state_answers_from_its_segments() {
        let tmp = tempfile::tempdir().unwrap();
        let s = save(tmp.path(), None, &[id(3)]);
        assert_eq!((s.considered(), s.kept(), s.tips()), (3, 2, &[id(3)][..]));
        assert_eq!(s.mapping(&[2; 20]), Some((None, Some([101; 20]))));
        assert_eq!(s.mapping(&[3; 20]), Some((Some([103; 20]), Some([103; 20]))));
        assert!(!s.contains(&[4; 20]));
        let merge = s.node(&[103; 20]).unwrap();
        assert_eq!(
            (merge.tree, merge.generation, merge.parents),
            ([203; 20], 103, vec![[101; 20], [90; 20]])
        );
        assert_eq!(s.node(&[101; 20]).unwrap().parents, Vec::<Key>::new());
        assert!(s.node(&[3; 20]).is_none());
        assert!(PreviousState::open(tmp.path(), "another fingerprint").unwrap().is_none());
        let map = std::fs::read_to_string(tmp.path().join(COMMIT_MAP)).unwrap();
        assert_eq!(map.lines().count(), 4, "{map}");
        assert!(!tmp.path().join(RECORDS).exists(), "the scratch file is gone");
    }

    #[test]
    fn teams_that_ran_together_have_the_same_commits() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        let sa = save(&a, None, &[id(3)]);
        let sb = save(&b, None, &[id(3)]);
        assert!(sa.same_commits(&sb));
        let mut j = Journal::create(&tmp.path().join("c"), "fp", &[], None).unwrap();
        j.push(&id(1), None, None).unwrap();
        j.close_map().unwrap();
        j.close_state(None, Vec::new()).unwrap();
        let sc = PreviousState::open(&tmp.path().join("c"), "fp").unwrap().unwrap();
        assert!(!sa.same_commits(&sc));
    }

    #[test]
    fn a_segment_not_named_after_its_checksum_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        save(tmp.path(), None, &[]);
        let state = std::fs::read_to_string(tmp.path().join(STATE)).unwrap();
        let name = state.lines().find_map(|l| l.strip_prefix("s ")).unwrap().to_string();
        let other = format!("{}{}", &name[..39], if name.ends_with('0') { '1' } else { '0' });
        std::fs::rename(
            tmp.path().join(format!("{name}.{SEGMENT_EXT}")),
            tmp.path().join(format!("{other}.{SEGMENT_EXT}")),
        )
        .unwrap();
        std::fs::write(tmp.path().join(STATE), state.replace(&name, &other)).unwrap();
        let err = PreviousState::open(tmp.path(), "fp").err().expect("refused");
        assert!(err.to_string().ends_with("does not match its name"), "{err}");
    }

    #[test]
    fn a_damaged_segment_is_found_before_it_is_folded() {
        let tmp = tempfile::tempdir().unwrap();
        let first = tmp.path().join("0");
        let seg = save(&first, None, &[]).segments[0].path.clone();
        // A byte of an id changed: the segment still opens (its content is
        // trusted), until the next run would fold it and reads it all.
        let mut b = std::fs::read(&seg).unwrap();
        b[HEADER + ID] ^= 1;
        std::fs::write(&seg, &b).unwrap();
        let mut prev = first;
        for n in 1..MAX_SEGMENTS as u8 {
            let saved = PreviousState::open(&prev, "fp").unwrap().expect("opens");
            let dir = tmp.path().join(n.to_string());
            let mut j = Journal::create(&dir, "fp", &[], Some(&prev.join(COMMIT_MAP))).unwrap();
            j.push(&id(10 + n), None, None).unwrap();
            j.close_map().unwrap();
            j.close_state(Some(&saved), Vec::new()).unwrap();
            prev = dir;
        }
        let err = PreviousState::open(&prev, "fp").err().expect("refused once it would be folded");
        assert!(err.to_string().ends_with("is damaged"), "{err}");
    }

    #[test]
    fn segments_past_the_limit_are_folded_into_one() {
        let tmp = tempfile::tempdir().unwrap();
        let mut prev = tmp.path().join("0");
        let mut saved = save(&prev, None, &[]);
        for n in 1..=MAX_SEGMENTS as u8 {
            let dir = tmp.path().join(n.to_string());
            let mut j = Journal::create(&dir, "fp", &[], Some(&prev.join(COMMIT_MAP))).unwrap();
            j.push(&id(10 + n), None, None).unwrap();
            j.close_map().unwrap();
            j.close_state(Some(&saved), Vec::new()).unwrap();
            saved = PreviousState::open(&dir, "fp").unwrap().unwrap();
            prev = dir;
        }
        assert_eq!(saved.segments.len(), 1, "folded");
        assert_eq!(saved.considered(), 3 + MAX_SEGMENTS);
        assert!(saved.contains(&[3; 20]) && saved.contains(&[10 + MAX_SEGMENTS as u8; 20]));
        assert_eq!(saved.node(&[103; 20]).unwrap().parents, vec![[101; 20], [90; 20]]);
        let seg = std::fs::read_dir(&prev)
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "seg"))
            .count();
        assert_eq!(seg, 1, "only the folded segment is written");
        let map = std::fs::read_to_string(prev.join(COMMIT_MAP)).unwrap();
        assert_eq!(map.lines().count(), 4 + MAX_SEGMENTS, "the commit map grows by one line a run");
    }
}
