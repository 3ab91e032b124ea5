//! Rewriting a team's history: which commits survive, with which parents.
//!
//! The rules are git filter-repo's (`--path ...`, default `--prune-empty
//! auto --prune-degenerate auto`), restated on snapshots instead of a
//! fast-export stream:
//!
//! * a commit's new tree is its tree filtered for the team;
//! * a parent that was dropped is replaced by what it was rewritten to (its
//!   nearest kept ancestor), or disappears if there is none;
//! * among several parents, duplicates that come from dropped parents are
//!   merged, and a parent that came from a dropped one and is now an
//!   ancestor of another parent is removed, unless it already was in the
//!   monolith (an intentional `--no-ff` merge keeps its shape);
//! * a commit that is still a merge is kept; any other commit is dropped when
//!   its tree equals its (new) first parent's, except that a commit that was
//!   already empty in the monolith is kept unless its parent was dropped.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use git2::{ObjectType, Oid};

use super::graph::SourceGraph;
use super::object::{key, oid, parse_hex_key, push_hex, IdMap, IdSet, Key, RawCommit, RawTree, Source};
use super::pack::{PackError, PackSink};
use super::trailer::add_trailer;
use super::tree::{TreeError, TreeFilter};

/// The tree of a commit with no files.
pub const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// The trailer key of labels.
pub const LABEL_KEY: &str = "Split-Source";

/// Header fields a rewrite cannot keep: signatures over the old content.
const DROPPED_HEADERS: [&[u8]; 3] = [b"gpgsig", b"gpgsig-sha256", b"mergetag"];

/// Errors of the history engine.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// A tree could not be filtered.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// New objects could not be written.
    #[error(transparent)]
    Pack(#[from] PackError),
    /// The commit map or state could not be written.
    #[error("writing {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// An earlier run's state could not be read back.
    #[error("reading {}: {source}", .path.display())]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: StateError,
    },
    /// The pass was asked to stop (Ctrl-C).
    #[error("interrupted")]
    Interrupted,
    /// A commit could not be read or written.
    #[error("{context}: {source}")]
    Git {
        /// What we were doing.
        context: String,
        /// libgit2's error.
        source: git2::Error,
    },
}

fn git_err(context: impl Into<String>) -> impl FnOnce(git2::Error) -> HistoryError {
    let context = context.into();
    move |source| HistoryError::Git { context, source }
}

/// What happened to one monolith commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// The rewritten commit, or `None` when the commit was dropped.
    pub new: Option<Oid>,
    /// What references to this commit become: `new` if kept, else the
    /// nearest kept ancestor (or `None`: nothing of the team's before it).
    pub target: Option<Oid>,
}

impl Mapping {
    /// The mapping whose ids' bytes are `new` and `target`.
    fn of_keys(new: Option<Key>, target: Option<Key>) -> Mapping {
        Mapping { new: new.as_ref().map(oid), target: target.as_ref().map(oid) }
    }
}

/// The rewritten graph, kept for ancestry questions and incremental runs.
///
/// A mapping is held only while it can still be read: until the last child
/// of its commit is rewritten ([`Lifetimes`]), or for the whole run when a
/// ref points at it. Each mapping goes to the team's commit map and state
/// ([`Journal`]) as it is decided, so memory follows the frontier of the
/// pass, not the length of history. Of an earlier run, only the mappings
/// this run can read are loaded ([`History::resume`]).
#[derive(Default)]
pub struct History {
    /// For each graph position, when its mapping stops being read (shared
    /// by every team); `None` keeps every mapping.
    lifetimes: Option<Arc<Lifetimes>>,
    /// What the continuing teams' earlier runs did (shared); `None` when
    /// this team starts from nothing.
    earlier: Option<Arc<Earlier>>,
    /// Graph positions this team's earlier run considered that not every
    /// continuing team did (those are in [`Earlier`]).
    before: IdMap<u32, ()>,
    /// The earlier run's mappings this run may read.
    old: IdMap<Key, Mapping>,
    /// This run's mappings still to be read, by graph position.
    now: IdMap<u32, Mapping>,
    /// Commits considered and kept, now and before.
    considered: usize,
    kept: usize,
    /// The most mappings held at once.
    peak: usize,
    /// Where the commit map and state are written.
    journal: Option<Journal>,
    /// New commit -> (tree, parents, generation).
    nodes: IdMap<Key, (Oid, Vec<Oid>, u32)>,
}

/// Per graph position, the last position whose rewrite reads its mapping
/// (its last child, in the graph's order), or forever for the commits refs
/// point at. Computed once per graph and shared by every team: teams go
/// through the commits in the same order, each at its own speed.
pub struct Lifetimes {
    last: Vec<u32>,
}

impl Lifetimes {
    const FOREVER: u32 = u32::MAX;

    /// The lifetimes of `graph`'s mappings; those of `keep` (the commits
    /// refs point at, read after the pass) are kept to the end.
    pub fn new(graph: &SourceGraph, keep: impl IntoIterator<Item = Oid>) -> Lifetimes {
        let mut last: Vec<u32> = (0..graph.commits.len() as u32).collect();
        for (i, c) in graph.commits.iter().enumerate() {
            for &p in &c.parents {
                last[p as usize] = last[p as usize].max(i as u32);
            }
        }
        for k in keep {
            if let Some(i) = graph.position(k) {
                last[i] = Self::FOREVER;
            }
        }
        Lifetimes { last }
    }
}

/// Which commits several saved states all considered: the first state's
/// commits, sorted, with a count per commit of the other states holding
/// it. One for all teams, so an incremental run holds one history's ids,
/// not one per team.
pub struct DoneIndex {
    keys: Vec<Key>,
    /// For the first state's n-th commit, where it is in `keys`: states
    /// saved by the same runs list their commits in the same order, and
    /// then finding each is one comparison, not a binary search.
    order: Vec<u32>,
    counts: Vec<AtomicU32>,
    /// States added after the first.
    others: AtomicU32,
}

impl DoneIndex {
    /// Reads the state at `path`, saved for `fingerprint`; its commits
    /// start the index. Returns the index and the state's tips, or `None`
    /// when it is not a readable state for `fingerprint`.
    pub fn first(path: &Path, fingerprint: &str) -> Option<(DoneIndex, Vec<Oid>)> {
        let mut listed = Vec::new();
        let tips = scan_state(path, fingerprint, &mut |k| listed.push(*k)).ok()??;
        let mut by_key: Vec<u32> = (0..listed.len() as u32).collect();
        by_key.sort_unstable_by_key(|&i| listed[i as usize]);
        let keys: Vec<Key> = by_key.iter().map(|&i| listed[i as usize]).collect();
        drop(listed);
        // A commit listed twice has two entries; each is counted where it
        // is found, so it may not count as done: reading it again is safe.
        let mut order = vec![0u32; keys.len()];
        for (at, &i) in by_key.iter().enumerate() {
            order[i as usize] = at as u32;
        }
        let counts = keys.iter().map(|_| AtomicU32::new(0)).collect();
        Some((DoneIndex { keys, order, counts, others: AtomicU32::new(0) }, tips))
    }

    /// Reads another state through and counts its commits (once it proved
    /// whole: a state that is not readable counts for nothing). Returns its
    /// tips, or `None` when it is not a readable state for `fingerprint`.
    pub fn add(&self, path: &Path, fingerprint: &str) -> Option<Vec<Oid>> {
        // One bit per commit of the index, counted in at the end: the
        // memory of a state being read, not of every state.
        let mut seen = vec![0u64; self.keys.len().div_ceil(64)];
        let mut n = 0;
        let tips = scan_state(path, fingerprint, &mut |k| {
            let at = match self.order.get(n) {
                Some(&i) if self.keys[i as usize] == *k => Some(i as usize),
                _ => self.keys.binary_search(k).ok(),
            };
            n += 1;
            if let Some(i) = at {
                seen[i / 64] |= 1 << (i % 64);
            }
        })
        .ok()??;
        for (w, bits) in seen.iter().enumerate() {
            let mut bits = *bits;
            while bits != 0 {
                let b = bits.trailing_zeros() as usize;
                self.counts[w * 64 + b].fetch_add(1, Ordering::Relaxed);
                bits &= bits - 1;
            }
        }
        self.others.fetch_add(1, Ordering::Relaxed);
        Some(tips)
    }

    /// Did every state of the index consider commit `c`?
    pub fn done(&self, c: &Oid) -> bool {
        match self.keys.binary_search(&key(c)) {
            Ok(i) => self.counts[i].load(Ordering::Relaxed) == self.others.load(Ordering::Relaxed),
            Err(_) => false,
        }
    }
}

/// What the continuing teams' earlier runs share for this run's graph,
/// computed once from a [`DoneIndex`].
pub struct Earlier {
    /// Per graph position: every continuing team considered it before.
    everyone: Vec<bool>,
    /// The commits whose earlier mapping this run may read: the parents of
    /// the commits some team still rewrites, and the commits refs point at.
    wanted: IdSet,
    /// The commits refs point at.
    refs: IdSet,
}

impl Earlier {
    /// For `graph`: `done(c)` says whether every continuing team considered
    /// `c` before; `refs` are the commits refs point at.
    pub fn new(
        graph: &SourceGraph,
        done: &dyn Fn(&Oid) -> bool,
        refs: impl IntoIterator<Item = Oid>,
    ) -> Earlier {
        let everyone: Vec<bool> = graph.commits.iter().map(|c| done(&c.id)).collect();
        let mut wanted = IdSet::default();
        for (i, c) in graph.commits.iter().enumerate() {
            if !everyone[i] {
                wanted.extend(c.parents.iter().map(|&p| key(&graph.commits[p as usize].id)));
            }
        }
        let refs: IdSet = refs.into_iter().map(|r| key(&r)).collect();
        wanted.extend(refs.iter().copied());
        Earlier { everyone, wanted, refs }
    }
}

/// A saved history that cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("split/state line {line}: {message}")]
pub struct StateError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Version 2 added the `t` lines: a state without them cannot tell an
/// incremental run which history it covers.
const STATE_HEADER: &str = "git-split-state 2";

/// The commit map's file name, in the team repository's `split` directory.
pub const COMMIT_MAP: &str = "commit-map";
/// The state's file name, in the team repository's `split` directory.
pub const STATE: &str = "state";
/// Appended to a file's name until it is whole.
const PARTIAL: &str = ".partial";

/// filter-repo's commit-map header, padding included, so tools reading its
/// maps read ours.
pub fn commit_map_header() -> String {
    format!("{:<40} new\n", "old")
}

/// One line of a saved state, checked whole.
enum StateLine<'a> {
    Tip(Oid),
    /// A commit, what it became, what references to it become, and the line.
    Commit(Key, Option<Key>, Option<Key>, &'a [u8]),
    /// A commit of the team's graph, parsed when wanted ([`parse_node`]).
    Node(&'a [u8]),
}

fn bad_line(l: &[u8], line: usize) -> StateError {
    StateError { line, message: format!("unexpected `{}`", String::from_utf8_lossy(l)) }
}

/// An id, or `-` for none.
fn parse_id(s: &[u8], line: usize) -> Result<Option<Key>, StateError> {
    if s == b"-" {
        return Ok(None);
    }
    parse_hex_key(s)
        .map(Some)
        .ok_or_else(|| StateError { line, message: format!("`{}` is not an id", String::from_utf8_lossy(s)) })
}

fn parse_line(l: &[u8], line: usize) -> Result<StateLine<'_>, StateError> {
    let bad = || bad_line(l, line);
    let mut f = l.split(|&b| b == b' ');
    match f.next() {
        Some(b"c") => {
            let (Some(old), Some(new), Some(target), None) = (f.next(), f.next(), f.next(), f.next()) else {
                return Err(bad());
            };
            let old = parse_id(old, line)?.ok_or_else(bad)?;
            let (new, target) = (parse_id(new, line)?, parse_id(target, line)?);
            if new.is_some() && new != target {
                return Err(bad());
            }
            Ok(StateLine::Commit(old, new, target, l))
        }
        Some(b"t") => {
            let (Some(tip), None) = (f.next(), f.next()) else { return Err(bad()) };
            let tip = parse_id(tip, line)?.ok_or_else(bad)?;
            Ok(StateLine::Tip(oid(&tip)))
        }
        Some(b"n") => {
            let (Some(new), Some(tree), Some(generation)) = (f.next(), f.next(), f.next()) else {
                return Err(bad());
            };
            for id in [new, tree].into_iter().chain(f) {
                parse_id(id, line)?.ok_or_else(bad)?;
            }
            std::str::from_utf8(generation).ok().and_then(|g| g.parse::<u32>().ok()).ok_or_else(bad)?;
            Ok(StateLine::Node(l))
        }
        _ => Err(bad()),
    }
}

/// A node line [`parse_line`] checked: the commit, its tree, parents and generation.
fn parse_node(l: &[u8]) -> (Key, (Oid, Vec<Oid>, u32)) {
    let mut f = l.split(|&b| b == b' ').skip(1);
    let id = |s: Option<&[u8]>| parse_hex_key(s.expect("checked")).expect("checked");
    let new = id(f.next());
    let tree = oid(&id(f.next()));
    let generation = f.next().and_then(|g| std::str::from_utf8(g).ok()?.parse().ok()).expect("checked");
    let parents = f.map(|p| oid(&id(Some(p)))).collect();
    (new, (tree, parents, generation))
}

/// Reads the state at `path` line by line, handing each to `each`.
/// `Ok(None)` when the file is missing or is not a state saved for
/// `fingerprint`.
fn read_state(
    path: &Path,
    fingerprint: &str,
    each: &mut dyn FnMut(StateLine<'_>) -> Result<(), StateError>,
) -> Result<Option<()>, StateError> {
    let Ok(file) = File::open(path) else { return Ok(None) };
    let mut r = BufReader::with_capacity(1 << 16, file);
    let mut l = Vec::with_capacity(256);
    let io = |e: std::io::Error| StateError { line: 0, message: e.to_string() };
    let mut line = 0;
    let mut next = |l: &mut Vec<u8>| -> Result<bool, StateError> {
        l.clear();
        let n = r.read_until(b'\n', l).map_err(io)?;
        if l.last() == Some(&b'\n') {
            l.pop();
        }
        line += 1;
        Ok(n > 0)
    };
    if !next(&mut l)? || l != STATE_HEADER.as_bytes() {
        return Ok(None);
    }
    if !next(&mut l)? || l.strip_prefix(b"fingerprint ") != Some(fingerprint.as_bytes()) {
        return Ok(None);
    }
    let mut at = 2;
    while next(&mut l)? {
        at += 1;
        if !l.is_empty() {
            each(parse_line(&l, at)?)?;
        }
    }
    Ok(Some(()))
}

/// Reads a saved state through, checking every line: `each(commit)` for
/// every commit it considered. Returns its tips.
pub fn scan_state(
    path: &Path,
    fingerprint: &str,
    each: &mut dyn FnMut(&Key),
) -> Result<Option<Vec<Oid>>, StateError> {
    let mut tips = Vec::new();
    let read = read_state(path, fingerprint, &mut |l| {
        match l {
            StateLine::Tip(t) => tips.push(t),
            StateLine::Commit(k, ..) => each(&k),
            StateLine::Node(..) => {}
        }
        Ok(())
    })?;
    Ok(read.map(|_| tips))
}

/// The fingerprint recorded in a saved state, if it is one.
pub fn state_fingerprint(state: &str) -> Option<&str> {
    let mut lines = state.lines();
    (lines.next()? == STATE_HEADER).then_some(())?;
    lines.next()?.strip_prefix("fingerprint ")
}

/// A team's commit map and state, written line by line as mappings are
/// decided (an earlier run's first), so neither is ever held in memory.
/// Both are written under names marking them unfinished, and renamed when
/// closed.
pub struct Journal {
    dir: PathBuf,
    map: Option<BufWriter<File>>,
    state: Option<BufWriter<File>>,
    line: String,
}

impl Journal {
    /// Starts the commit map and state of a history saved for
    /// `fingerprint`, covering what `tips` reach, in directory `dir`.
    pub fn create(dir: &Path, fingerprint: &str, tips: &[Oid]) -> Result<Journal, HistoryError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let open = |name: &str| -> Result<BufWriter<File>, HistoryError> {
            let path = dir.join(format!("{name}{PARTIAL}"));
            Ok(BufWriter::with_capacity(1 << 15, File::create(&path).map_err(io_err(&path))?))
        };
        let mut j = Journal {
            dir: dir.to_path_buf(),
            map: Some(open(COMMIT_MAP)?),
            state: Some(open(STATE)?),
            line: String::new(),
        };
        let mut tips = tips.to_vec();
        tips.sort_unstable_by_key(key);
        tips.dedup();
        let mut s = format!("{STATE_HEADER}\nfingerprint {fingerprint}\n");
        for t in &tips {
            s.push_str("t ");
            push_hex(&mut s, t);
            s.push('\n');
        }
        j.write_state(s.as_bytes())?;
        j.write_map(commit_map_header().as_bytes())?;
        Ok(j)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}{PARTIAL}"))
    }

    fn write_state(&mut self, bytes: &[u8]) -> Result<(), HistoryError> {
        let w = self.state.as_mut().expect("the state is open while commits are considered");
        w.write_all(bytes)
            .map_err(|e| HistoryError::Io { path: self.dir.join(format!("{STATE}{PARTIAL}")), source: e })
    }

    fn write_map(&mut self, bytes: &[u8]) -> Result<(), HistoryError> {
        let w = self.map.as_mut().expect("the commit map is open while commits are considered");
        w.write_all(bytes).map_err(|e| HistoryError::Io {
            path: self.dir.join(format!("{COMMIT_MAP}{PARTIAL}")),
            source: e,
        })
    }

    /// Commit `c` was considered: a `c` line in the state, a line in the map.
    fn push(&mut self, c: &Oid, m: Mapping) -> Result<(), HistoryError> {
        let mut s = std::mem::take(&mut self.line);
        s.clear();
        push_hex(&mut s, c);
        s.push(' ');
        push_hex(&mut s, &m.new.unwrap_or(Oid::ZERO_SHA1));
        s.push('\n');
        let map_result = self.write_map(s.as_bytes());
        s.clear();
        s.push_str("c ");
        push_hex(&mut s, c);
        for o in [m.new, m.target] {
            s.push(' ');
            match o {
                Some(o) => push_hex(&mut s, &o),
                None => s.push('-'),
            }
        }
        s.push('\n');
        let state_result = self.write_state(s.as_bytes());
        self.line = s;
        map_result.and(state_result)
    }

    /// An earlier run's `c` line for commit `c`, as [`parse_line`] read it
    /// from `line`: copied as it is (and its commit map line cut from it),
    /// unless it spells ids in capitals, which are written as [`Journal::push`] would.
    fn copy(
        &mut self,
        line: &[u8],
        c: &Key,
        new: Option<Key>,
        target: Option<Key>,
    ) -> Result<(), HistoryError> {
        if line.iter().any(u8::is_ascii_uppercase) {
            return self.push(&oid(c), Mapping::of_keys(new, target));
        }
        // `c OLD NEW TARGET`: OLD at 2..42, NEW (40 digits or `-`) from 43.
        let mut map = [b'0'; 82];
        map[..40].copy_from_slice(&line[2..42]);
        map[40] = b' ';
        if new.is_some() {
            map[41..81].copy_from_slice(&line[43..83]);
        }
        map[81] = b'\n';
        let map_result = self.write_map(&map);
        let state_result = self.write_state(line).and_then(|()| self.write_state(b"\n"));
        map_result.and(state_result)
    }

    /// Flushes `w` and gives the file its final name.
    fn close(&self, w: Option<BufWriter<File>>, name: &str) -> Result<PathBuf, HistoryError> {
        let partial = self.path(name);
        let file = w
            .expect("closed once")
            .into_inner()
            .map_err(|e| HistoryError::Io { path: partial.clone(), source: e.into_error() })?;
        drop(file);
        let path = self.dir.join(name);
        std::fs::rename(&partial, &path).map_err(io_err(&path))?;
        Ok(path)
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> HistoryError {
    let path = path.to_path_buf();
    move |source| HistoryError::Io { path, source }
}

impl History {
    /// An empty history whose mappings live as long as `lifetimes` say,
    /// written to `journal`.
    pub fn new(lifetimes: Arc<Lifetimes>, journal: Journal) -> History {
        History { lifetimes: Some(lifetimes), journal: Some(journal), ..History::default() }
    }

    /// Continues the history saved at `state` (for `fingerprint`), for a
    /// run over `graph`: its commit map and state lines are copied to
    /// `journal` as they are read, and only what this run can ask is kept:
    /// the mappings [`Earlier`] wants, which of the graph's commits it
    /// considered (where not every team did), counts, and the rewritten
    /// graph. One pass over the file.
    pub fn resume(
        state: &Path,
        fingerprint: &str,
        graph: &SourceGraph,
        earlier: Arc<Earlier>,
        lifetimes: Arc<Lifetimes>,
        journal: Journal,
    ) -> Result<History, HistoryError> {
        let mut h = History::new(lifetimes, journal);
        let mut failed = None;
        let read = read_state(state, fingerprint, &mut |l| {
            match l {
                StateLine::Tip(_) => {}
                StateLine::Commit(k, new, target, raw) => {
                    if let Err(e) = h.journal.as_mut().expect("open").copy(raw, &k, new, target) {
                        failed = Some(e);
                        return Err(StateError { line: 0, message: "stopped".into() });
                    }
                    h.considered += 1;
                    h.kept += usize::from(new.is_some());
                    if let Some(i) = graph.key_position(&k) {
                        if !earlier.everyone[i] {
                            h.before.insert(i as u32, ());
                        }
                    }
                    if earlier.wanted.contains(&k) {
                        h.old.insert(k, Mapping::of_keys(new, target));
                    }
                }
                StateLine::Node(l) => {
                    let (k, n) = parse_node(l);
                    h.nodes.insert(k, n);
                }
            }
            Ok(())
        });
        if let Some(e) = failed {
            return Err(e);
        }
        match read {
            Ok(Some(())) => {}
            Ok(None) => {
                return Err(HistoryError::State {
                    path: state.to_path_buf(),
                    source: StateError { line: 1, message: "no longer a state for this team".into() },
                })
            }
            Err(source) => return Err(HistoryError::State { path: state.to_path_buf(), source }),
        }
        h.earlier = Some(earlier);
        // Of what some team may read, keep what this one will: a team
        // ahead of others skips commits they rewrite, and needs no mapping
        // of their parents.
        let mut need = IdSet::default();
        for (i, c) in graph.commits.iter().enumerate() {
            if !h.contains_at(graph, i) {
                need.extend(c.parents.iter().map(|&p| key(&graph.commits[p as usize].id)));
            }
        }
        let refs = &h.earlier.as_ref().expect("set").refs;
        h.old.retain(|k, _| need.contains(k) || refs.contains(k));
        h.peak = h.old.len();
        Ok(h)
    }

    /// What happened to monolith commit `c`, if this run may ask (this
    /// run's commits are looked up in `graph`, the graph it ran over).
    pub fn get(&self, graph: &SourceGraph, c: &Oid) -> Option<Mapping> {
        match graph.position(*c) {
            Some(i) => self.at(graph, i),
            None => self.old.get(&key(c)).copied(),
        }
    }

    /// [`History::get`] for the commit at position `i` of `graph`.
    pub fn at(&self, graph: &SourceGraph, i: usize) -> Option<Mapping> {
        if let Some(m) = self.now.get(&(i as u32)) {
            return Some(*m);
        }
        if !self.contains_at(graph, i) {
            return None;
        }
        let m = self.old.get(&key(&graph.commits[i].id)).copied();
        debug_assert!(m.is_some(), "the earlier mapping of {} was not kept", graph.commits[i].id);
        m
    }

    /// Did an earlier run consider the commit at position `i` of `graph`?
    /// (This run's commits are asked before they are rewritten.)
    pub fn contains_at(&self, _graph: &SourceGraph, i: usize) -> bool {
        match &self.earlier {
            Some(e) => e.everyone[i] || self.before.contains_key(&(i as u32)),
            None => false,
        }
    }

    fn record(&mut self, graph: &SourceGraph, i: usize, m: Mapping) -> Result<(), HistoryError> {
        let c = &graph.commits[i];
        if let Some(j) = &mut self.journal {
            j.push(&c.id, m)?;
        }
        self.considered += 1;
        self.kept += usize::from(m.new.is_some());
        match &self.lifetimes {
            Some(l) => {
                let at = i as u32;
                if l.last[i] != at {
                    self.now.insert(at, m);
                }
                // The last child read its parents' mappings: drop them.
                for &p in &c.parents {
                    if l.last[p as usize] == at {
                        self.now.remove(&p);
                    }
                }
            }
            None => {
                self.now.insert(i as u32, m);
            }
        }
        self.peak = self.peak.max(self.live());
        Ok(())
    }

    /// Mappings held now.
    #[doc(hidden)]
    pub fn live(&self) -> usize {
        self.now.len() + self.old.len()
    }

    /// The most mappings held at once.
    #[doc(hidden)]
    pub fn peak_live(&self) -> usize {
        self.peak
    }

    /// How many commits were considered.
    pub fn len(&self) -> usize {
        self.considered
    }

    /// Nothing considered yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many commits were kept.
    pub fn kept(&self) -> usize {
        self.kept
    }

    /// Finishes the commit map; returns where it is.
    pub fn close_map(&mut self) -> Result<PathBuf, HistoryError> {
        let j = self.journal.as_mut().expect("a journal");
        let w = j.map.take();
        j.close(w, COMMIT_MAP)
    }

    /// Finishes the state: the rewritten graph, sorted (the file is
    /// deterministic), after the commits; returns where it is.
    ///
    /// Lines: `t <commit>` per tip, sorted, then
    /// `c <old> <new|-> <target|->` per commit considered, in order,
    /// then `n <new> <tree> <generation> <parent>...` per rewritten commit.
    pub fn close_state(&mut self) -> Result<PathBuf, HistoryError> {
        let mut nodes: Vec<_> = self.nodes.iter().collect();
        nodes.sort_unstable_by_key(|n| n.0);
        let j = self.journal.as_mut().expect("a journal");
        let mut s = String::with_capacity(1 << 16);
        for (new, (tree, parents, generation)) in nodes {
            s.push_str("n ");
            push_hex(&mut s, &oid(new));
            s.push(' ');
            push_hex(&mut s, tree);
            s.push_str(&format!(" {generation}"));
            for p in parents {
                s.push(' ');
                push_hex(&mut s, p);
            }
            s.push('\n');
            if s.len() > 1 << 15 {
                j.write_state(s.as_bytes())?;
                s.clear();
            }
        }
        j.write_state(s.as_bytes())?;
        let w = j.state.take();
        j.close(w, STATE)
    }

    /// Is `a` an ancestor of (or equal to) `b` in the rewritten graph?
    fn is_ancestor(&self, a: Oid, b: Oid) -> bool {
        let Some(&(_, _, gen_a)) = self.nodes.get(&key(&a)) else { return false };
        let mut stack = vec![b];
        let mut seen = std::collections::HashSet::new();
        while let Some(c) = stack.pop() {
            if c == a {
                return true;
            }
            if !seen.insert(c) {
                continue;
            }
            if let Some((_, parents, gen)) = self.nodes.get(&key(&c)) {
                // Generation numbers bound the search: nothing below a's
                // generation can reach it.
                if *gen > gen_a {
                    stack.extend(parents.iter().copied());
                }
            }
        }
        false
    }

    /// The tree of a rewritten commit, `None` for no commit or an empty tree
    /// (the form [`TreeFilter::filter`] answers in).
    fn tree_of(&self, commit: Option<Oid>) -> Option<Oid> {
        let empty = Oid::from_str(EMPTY_TREE).expect("constant");
        commit.and_then(|c| self.nodes.get(&key(&c)).map(|n| n.0)).filter(|t| *t != empty)
    }
}

/// How a team's commits are written.
pub struct CommitWriter<'a, 'r> {
    /// The monolith's objects.
    pub src: &'r Source<'r>,
    /// Its commits, read once for all teams.
    pub graph: &'r SourceGraph,
    /// Where new objects go.
    pub out: PackSink,
    /// The team's tree filter.
    pub filter: TreeFilter<'a>,
    /// Append `Split-Source:` trailers.
    pub labels: bool,
}

impl CommitWriter<'_, '_> {
    /// Rewrites the graph's commit at `index` (whose parents were all
    /// rewritten before) into `h`. `root` is its parsed root tree;
    /// `changed`, when known, names the top-level entries that differ from
    /// its first parent's. `raw` holds the commit object once someone read it.
    pub fn rewrite(
        &mut self,
        h: &mut History,
        index: usize,
        root: &RawTree,
        changed: Option<&[Box<[u8]>]>,
        raw: &std::sync::OnceLock<RawCommit>,
    ) -> Result<Mapping, HistoryError> {
        let empty_tree = Oid::from_str(EMPTY_TREE).expect("constant");
        let graph = self.graph;
        let source = &graph.commits[index];
        let commit = source.id;
        let orig_parents: Vec<Oid> = source.parents.iter().map(|&p| graph.commits[p as usize].id).collect();
        let orig_tree = source.tree;
        let had_changes = match source.parents.first() {
            Some(&p) => graph.commits[p as usize].tree != orig_tree,
            None => orig_tree != empty_tree,
        };
        // Nothing the team can see changed since the first parent: its
        // filtered tree is the parent's, which is the tree of what the
        // parent was rewritten to (a dropped commit's tree equals its target's).
        let unchanged_parent = match (changed, orig_parents.first()) {
            (Some(names), Some(_)) if !names.iter().any(|n| self.filter.relevant(n)) => {
                h.at(graph, source.parents[0] as usize)
            }
            _ => None,
        };
        let new_tree = match unchanged_parent {
            Some(m) => h.tree_of(m.target),
            None => self.filter.filter_root(self.src, &mut self.out, orig_tree, root)?,
        };

        // Map parents; remember which ones come from dropped commits.
        let mut mapped: Vec<(Oid, Oid, bool)> = Vec::new(); // (new, orig, rewritten)
        let mut first_orig_dropped = false;
        for (i, p) in orig_parents.iter().enumerate() {
            let m = h.at(graph, source.parents[i] as usize).unwrap_or(Mapping { new: None, target: None });
            let rewritten = m.new.is_none();
            if i == 0 {
                first_orig_dropped = rewritten;
            }
            if let Some(t) = m.target {
                mapped.push((t, *p, rewritten));
            }
        }
        let (parents, new_first) = self.trim_parents(h, mapped)?;

        let prune = if parents.len() >= 2 && new_first.is_none() {
            false
        } else if parents.len() < 2 {
            let same = new_tree == h.tree_of(parents.first().copied());
            if had_changes {
                same
            } else {
                let parents_dropped =
                    parents.len() < orig_parents.len() || (orig_parents.len() == 1 && first_orig_dropped);
                same && parents_dropped
            }
        } else {
            new_tree == h.tree_of(new_first)
        };

        let mapping = if prune {
            Mapping { new: None, target: new_first.or(parents.first().copied()) }
        } else {
            let tree = match new_tree {
                Some(t) => t,
                None => self.out.write(ObjectType::Tree, &[])?,
            };
            let c = match raw.get() {
                Some(c) => c,
                None => {
                    let c = RawCommit::read(self.src, commit)
                        .map_err(git_err(format!("reading commit {commit}")))?;
                    raw.get_or_init(|| c)
                }
            };
            let raw = self.commit_bytes(commit, c, tree, &parents);
            let new = self.out.write(ObjectType::Commit, &raw)?;
            let generation =
                parents.iter().filter_map(|p| h.nodes.get(&key(p)).map(|n| n.2)).max().unwrap_or(0) + 1;
            h.nodes.insert(key(&new), (tree, parents, generation));
            Mapping { new: Some(new), target: Some(new) }
        };
        h.record(graph, index, mapping)?;
        Ok(mapping)
    }

    /// filter-repo's `_maybe_trim_extra_parents`: returns the parents and,
    /// when the commit would stop being a merge, its would-be first parent.
    fn trim_parents(
        &self,
        h: &History,
        mapped: Vec<(Oid, Oid, bool)>,
    ) -> Result<(Vec<Oid>, Option<Oid>), HistoryError> {
        if mapped.len() < 2 {
            return Ok((mapped.into_iter().map(|m| m.0).collect(), None));
        }
        let all: Vec<Oid> = mapped.iter().map(|m| m.0).collect();
        let mut seen = std::collections::HashSet::new();
        let uniq: Vec<(Oid, Oid, bool)> = mapped.into_iter().filter(|m| seen.insert(m.0) || !m.2).collect();
        if uniq.len() < 2 {
            return Ok((all, Some(uniq[0].0)));
        }
        let mut remove = Vec::new();
        for cur in 0..uniq.len() {
            if !uniq[cur].2 {
                continue;
            }
            for other in 0..uniq.len() {
                if cur == other || !h.is_ancestor(uniq[cur].0, uniq[other].0) {
                    continue;
                }
                if self.orig_is_ancestor(uniq[cur].1, uniq[other].1)? {
                    continue;
                }
                remove.push(cur);
                break;
            }
        }
        let kept: Vec<Oid> =
            uniq.iter().enumerate().filter(|(i, _)| !remove.contains(i)).map(|(_, m)| m.0).collect();
        if kept.len() < 2 {
            return Ok((all, Some(kept[0])));
        }
        Ok((kept, None))
    }

    fn orig_is_ancestor(&self, a: Oid, b: Oid) -> Result<bool, HistoryError> {
        // Below the graph's boundary (an incremental run), libgit2 walks.
        let older = |a: Oid, x: Oid| {
            self.src.repo().graph_descendant_of(x, a).map_err(git_err(format!("is {a} an ancestor of {x}")))
        };
        self.graph.is_ancestor(a, b, &older)
    }

    /// The new commit object: the source's headers and message, a new tree
    /// and parents, no signatures, and the label trailer.
    fn commit_bytes(&self, id: Oid, c: &RawCommit, tree: Oid, parents: &[Oid]) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(format!("tree {tree}\n").as_bytes());
        for p in parents {
            out.extend_from_slice(format!("parent {p}\n").as_bytes());
        }
        let mut skipping = false;
        for line in c.header().split(|&b| b == b'\n') {
            if line.is_empty() {
                continue;
            }
            if line[0] == b' ' {
                // A continuation line belongs to the header above it.
                if !skipping {
                    out.extend_from_slice(line);
                    out.push(b'\n');
                }
                continue;
            }
            let key = line.split(|&b| b == b' ').next().unwrap_or(b"");
            skipping = key == b"tree" || key == b"parent" || DROPPED_HEADERS.contains(&key);
            if !skipping {
                out.extend_from_slice(line);
                out.push(b'\n');
            }
        }
        out.push(b'\n');
        let message = c.message();
        if self.labels {
            out.extend_from_slice(&add_trailer(message, LABEL_KEY, &id.to_string()));
        } else {
            out.extend_from_slice(message);
        }
        out
    }
}
