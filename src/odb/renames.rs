//! Rename detection as git does it (`diffcore_rename_extended` in
//! `diffcore-rename.c`, as git 2.33 and later run it for `git diff -M`):
//! exact renames first (same blob), then, for renames only, files whose
//! names match and that are three quarters the same, then every remaining
//! pair scored by content ([`super::similarity`]), best first, each source
//! used once. Copy mode is `--find-copies-harder`'s, which `git log
//! --follow` uses: every file of the old tree is a source, and one may be
//! used more than once.
//!
//! Bounded as git bounds it: the pairs scored by content are at most
//! `limit` squared (`diff.renameLimit`), and, past git, no blob over
//! [`MAX_SCORED_BLOB`] is read and the content work has a ceiling
//! ([`WORK_BUDGET`]); past a bound, only the renames found so far are
//! kept and [`Detected::limited`] says so, as git warns.

use std::cmp::Ordering;

use git2::Oid;

use super::repo::{FileKind, GitError, Repo, TreeChange, TreeFile};
use super::similarity::{self, Spans, DEFAULT_RENAME_SCORE, MAX_SCORE};

/// git's `diff.renameLimit` default: at most this many squared pairs are
/// scored by content.
pub const DEFAULT_RENAME_LIMIT: usize = 1000;

/// Blobs larger than this are only renamed exactly: scoring reads a blob
/// whole, and commands must run in little more memory than the largest
/// blob they copy.
pub const MAX_SCORED_BLOB: u64 = 16 << 20;

/// Ceiling on the content work of one detection (bytes hashed plus span
/// entries compared), so a hostile repository cannot keep it busy for
/// hours inside the rename limit.
pub const WORK_BUDGET: u64 = 8 << 30;

/// Ceiling on the span entries (8 bytes each) kept in memory for sources
/// between pairs; past it, a source's spans are recomputed when needed, so
/// a refactoring that deletes many large files costs time, not memory.
const CACHE_ENTRIES: usize = 4 << 20;

/// Candidates kept per destination (`NUM_CANDIDATE_PER_DST`).
const CANDIDATES: usize = 4;

/// Identical sources looked at per destination before one is picked.
const IDENTICAL_TRIES: usize = 100;

/// What became of a file that a rename can come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceState {
    /// Not in the new tree: a rename source.
    Deleted,
    /// Changed in place: a copy source only.
    Modified,
    /// The same in both trees: a copy source only.
    Unmodified,
}

/// A file a rename or copy can come from.
#[derive(Clone, Debug)]
pub struct Source<'a> {
    /// The file in the old tree.
    pub file: &'a TreeFile,
    /// What became of it.
    pub state: SourceState,
}

/// `files` of an old tree as sources, each in the state `changed` gives
/// its path (true: still there, changed; false: deleted; absent:
/// unchanged), as `--find-copies-harder` queues every file.
pub fn sources_by<'a>(
    files: impl IntoIterator<Item = &'a TreeFile>,
    changed: &std::collections::HashMap<Vec<u8>, bool>,
) -> Vec<Source<'a>> {
    files
        .into_iter()
        .map(|file| {
            let state = match changed.get(&file.path) {
                Some(true) => SourceState::Modified,
                Some(false) => SourceState::Deleted,
                None => SourceState::Unmodified,
            };
            Source { file, state }
        })
        .collect()
}

/// How to detect.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The least score of an inexact rename (`-M<n>`).
    pub minimum_score: i32,
    /// `diff.renameLimit` (`-l<n>`); 0 for no limit.
    pub limit: usize,
    /// Copy mode (`--find-copies-harder`): sources may stay and be reused.
    pub copies: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { minimum_score: DEFAULT_RENAME_SCORE, limit: DEFAULT_RENAME_LIMIT, copies: false }
    }
}

/// One destination paired with its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair {
    /// Index into the sources.
    pub src: usize,
    /// Index into the destinations.
    pub dst: usize,
    /// git's score, [`MAX_SCORE`] for an exact rename.
    pub score: i32,
}

/// What a detection found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detected {
    /// The pairs, in destination order.
    pub pairs: Vec<Pair>,
    /// True when a bound stopped the content comparison (git's "exhaustive
    /// rename detection was skipped").
    pub limited: bool,
}

/// A file renamed (or, in copy mode, copied) between two trees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renamed {
    /// The file in the old tree.
    pub old: TreeFile,
    /// The file in the new tree.
    pub new: TreeFile,
    /// git's score, [`MAX_SCORE`] for an exact rename.
    pub score: i32,
}

/// The changes between two trees, renames paired as `git diff -M` pairs
/// them.
#[derive(Clone, Debug, Default)]
pub struct TreeDiff {
    /// The renames, in the new paths' order.
    pub renamed: Vec<Renamed>,
    /// Every other change (added, deleted, changed in place), in path order.
    pub changed: Vec<TreeChange>,
    /// True when a bound stopped the content comparison.
    pub limited: bool,
}

/// The changes from tree `old` to tree `new` with renames detected
/// (`git diff-tree -r -M old new`).
pub fn diff_trees(repo: &Repo, old: Oid, new: Oid, opts: Options) -> Result<TreeDiff, GitError> {
    let (mut deleted, mut added, mut changed) = (Vec::new(), Vec::new(), Vec::new());
    for c in repo.diff_trees(old, new)? {
        match (c.old, c.new) {
            (Some(o), None) => deleted.push(o),
            (None, Some(n)) => added.push(n),
            (old, new) => changed.push(TreeChange { old, new }),
        }
    }
    let sources: Vec<Source<'_>> =
        deleted.iter().map(|file| Source { file, state: SourceState::Deleted }).collect();
    let dsts: Vec<&TreeFile> = added.iter().collect();
    let found = detect(repo, &sources, &dsts, Options { copies: false, ..opts })?;
    let (mut src_used, mut dst_used) = (vec![false; deleted.len()], vec![false; added.len()]);
    let mut renamed = Vec::new();
    for p in &found.pairs {
        src_used[p.src] = true;
        dst_used[p.dst] = true;
        renamed.push(Renamed { old: deleted[p.src].clone(), new: added[p.dst].clone(), score: p.score });
    }
    let unused = |files: Vec<TreeFile>, used: &[bool]| -> Vec<TreeFile> {
        files.into_iter().zip(used).filter(|(_, u)| !**u).map(|(f, _)| f).collect()
    };
    changed.extend(unused(deleted, &src_used).into_iter().map(|f| TreeChange { old: Some(f), new: None }));
    changed.extend(unused(added, &dst_used).into_iter().map(|f| TreeChange { old: None, new: Some(f) }));
    changed.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(TreeDiff { renamed, changed, limited: found.limited })
}

/// A slot of a destination's candidate list (`struct diff_score`).
#[derive(Clone, Copy, Debug)]
struct Scored {
    src: usize,
    dst: Option<usize>,
    score: i32,
    name_score: i32,
}

const EMPTY: Scored = Scored { src: 0, dst: None, score: 0, name_score: 0 };

/// `score_compare`: used slots first, higher scores first, then same
/// basenames first.
fn score_compare(a: &Scored, b: &Scored) -> Ordering {
    match (a.dst, b.dst) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        _ if a.score == b.score => b.name_score.cmp(&a.name_score),
        _ => b.score.cmp(&a.score),
    }
}

/// `record_if_better`: replaces the worst of the slots (the first of
/// equals) when `o` is better.
fn record_if_better(m: &mut [Scored], o: Scored) {
    let mut worst = 0;
    for i in 1..m.len() {
        if score_compare(&m[i], &m[worst]) == Ordering::Greater {
            worst = i;
        }
    }
    if score_compare(&m[worst], &o) == Ordering::Greater {
        m[worst] = o;
    }
}

/// `basename_same`: the last path components are equal.
fn basename_same(a: &[u8], b: &[u8]) -> bool {
    basename(a) == basename(b)
}

/// The part of a path after its last `/` (`get_basename`).
fn basename(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

/// A regular file, as `S_ISREG` sees a mode.
fn is_regular(kind: FileKind) -> bool {
    matches!(kind, FileKind::Blob | FileKind::Executable)
}

/// Finds the renames (and, in copy mode, copies) from `sources` to
/// `dsts`. Sources must be in path order, as git queues them; the result
/// does not depend on the order of `dsts` beyond git's own tie-breaking.
pub fn detect(
    repo: &Repo,
    sources: &[Source<'_>],
    dsts: &[&TreeFile],
    opts: Options,
) -> Result<Detected, GitError> {
    detect_with(repo, sources, dsts, opts, &mut SpanCache::default())
}

/// The span hashes of source blobs, kept from one detection to the next
/// (at most `CACHE_ENTRIES` entries): searches over the files of
/// neighbouring commits hash mostly the same blobs.
#[derive(Debug, Default)]
pub struct SpanCache {
    spans: std::collections::HashMap<Oid, std::sync::Arc<Spans>>,
    entries: usize,
}

/// [`detect`], with the source hashes of earlier detections in `cache`.
pub fn detect_with(
    repo: &Repo,
    sources: &[Source<'_>],
    dsts: &[&TreeFile],
    opts: Options,
    cache: &mut SpanCache,
) -> Result<Detected, GitError> {
    let mut d = Detector::new(repo, sources, dsts, opts, std::mem::take(cache));
    let found = d.run();
    *cache = std::mem::take(&mut d.cache);
    Ok(d.finish(found?))
}

impl Detector<'_, '_> {
    /// The phases; true when a bound stopped them.
    fn run(&mut self) -> Result<bool, GitError> {
        let d = self;
        let opts = d.opts;
        d.exact();
        if opts.minimum_score >= MAX_SCORE {
            return Ok(false);
        }
        if !opts.copies {
            d.cull();
            // `find_basename_matches`' threshold: halfway from the minimum
            // to a perfect score.
            let basename_score = opts.minimum_score + (MAX_SCORE - opts.minimum_score) / 2;
            if d.basenames(basename_score)?.is_none() {
                return Ok(true);
            }
            d.cull();
        }
        let Some(skip_unmodified) = d.within_limit() else { return Ok(true) };
        Ok(d.matrix(skip_unmodified)?.is_none())
    }
}

/// The state of one detection (git's `rename_src` and `rename_dst`).
struct Detector<'r, 'a> {
    repo: &'r Repo,
    sources: &'r [Source<'a>],
    dsts: &'r [&'a TreeFile],
    opts: Options,
    /// Indices of the sources still considered (culled as git culls).
    live: Vec<usize>,
    /// Times each source was used (`rename_used`).
    used: Vec<u32>,
    /// The source each destination was paired with, and the score.
    paired: Vec<Option<(usize, i32)>>,
    sizes: std::collections::HashMap<Oid, u64>,
    cache: SpanCache,
    work: u64,
    /// A pair went unscored for its size: the result is bounded.
    capped: bool,
}

impl<'r, 'a> Detector<'r, 'a> {
    fn new(
        repo: &'r Repo,
        sources: &'r [Source<'a>],
        dsts: &'r [&'a TreeFile],
        opts: Options,
        cache: SpanCache,
    ) -> Self {
        // A source that stays counts as used once already, so a deleted
        // one is preferred for an exact match.
        let used = sources.iter().map(|s| u32::from(s.state != SourceState::Deleted)).collect();
        Detector {
            repo,
            sources,
            dsts,
            opts,
            live: (0..sources.len()).collect(),
            used,
            paired: vec![None; dsts.len()],
            sizes: Default::default(),
            cache,
            work: 0,
            capped: false,
        }
    }

    fn finish(self, limited: bool) -> Detected {
        let pairs = self
            .paired
            .iter()
            .enumerate()
            .filter_map(|(dst, p)| p.map(|(src, score)| Pair { src, dst, score }))
            .collect();
        Detected { pairs, limited: limited || self.capped }
    }

    fn record(&mut self, dst: usize, src: usize, score: i32) {
        self.used[src] += 1;
        self.paired[dst] = Some((src, score));
    }

    /// `find_exact_renames` / `find_identical_files`: per destination, in
    /// order, the first identical source with the same basename that is
    /// not used yet, else the first not used yet (in copy mode, a used one
    /// when no other is left), looking at no more than a hundred.
    fn exact(&mut self) {
        let mut by_oid: std::collections::HashMap<Oid, Vec<usize>> = Default::default();
        for (i, s) in self.sources.iter().enumerate() {
            by_oid.entry(s.file.oid).or_default().push(i);
        }
        for (j, target) in self.dsts.iter().enumerate() {
            let Some(candidates) = by_oid.get(&target.oid) else { continue };
            let mut best: Option<(usize, u32)> = None;
            let mut tries = IDENTICAL_TRIES;
            for &i in candidates {
                let source = self.sources[i].file;
                if !(is_regular(source.kind) && is_regular(target.kind)) && source.kind != target.kind {
                    continue;
                }
                if self.used[i] > 0 && !self.opts.copies {
                    continue;
                }
                let score =
                    u32::from(self.used[i] == 0) + u32::from(basename_same(&source.path, &target.path));
                if best.is_none_or(|(_, b)| score > b) {
                    best = Some((i, score));
                    if score == 2 {
                        break;
                    }
                }
                tries -= 1;
                if tries == 0 {
                    break;
                }
            }
            if let Some((i, _)) = best {
                self.record(j, i, MAX_SCORE);
            }
        }
    }

    /// `remove_unneeded_paths_from_src`: renames drop used sources.
    fn cull(&mut self) {
        let used = &self.used;
        self.live.retain(|&i| used[i] == 0);
    }

    /// `find_basename_matches` without directory hints (git gives `diff`
    /// none): a source and a destination whose basenames are each unique
    /// among those left are paired when they score at least `min`.
    /// `None` when the work budget ran out.
    fn basenames(&mut self, min: i32) -> Result<Option<()>, GitError> {
        let mut srcs: std::collections::HashMap<&[u8], Option<usize>> = Default::default();
        for &i in &self.live {
            let base = basename(&self.sources[i].file.path);
            srcs.entry(base).and_modify(|e| *e = None).or_insert(Some(i));
        }
        let mut dsts: std::collections::HashMap<&[u8], Option<usize>> = Default::default();
        for (j, f) in self.dsts.iter().enumerate() {
            if self.paired[j].is_none() {
                dsts.entry(basename(&f.path)).and_modify(|e| *e = None).or_insert(Some(j));
            }
        }
        for i in self.live.clone() {
            let base = basename(&self.sources[i].file.path);
            let (Some(Some(src)), Some(Some(dst))) = (srcs.get(base), dsts.get(base)) else { continue };
            if self.paired[*dst].is_some() {
                continue;
            }
            let (src, dst) = (*src, *dst);
            let Some(score) = self.estimate(src, self.dsts[dst], None, min)? else { return Ok(None) };
            if score >= min {
                self.record(dst, src, score);
            }
        }
        Ok(Some(()))
    }

    /// `too_many_rename_candidates`: `Some(skip_unmodified)` when the
    /// content comparison may run, `None` when the limit forbids it.
    fn within_limit(&self) -> Option<bool> {
        let dsts = self.paired.iter().filter(|p| p.is_none()).count();
        let srcs = self.live.len();
        if dsts == 0 || srcs == 0 {
            return Some(false);
        }
        let limit = self.opts.limit;
        let fits = |n: usize| limit == 0 || (dsts as u128) * (n as u128) <= (limit as u128) * (limit as u128);
        if fits(srcs) {
            return Some(false);
        }
        if !self.opts.copies {
            return None;
        }
        let changed = self.live.iter().filter(|&&i| self.sources[i].state != SourceState::Unmodified).count();
        fits(changed).then_some(true)
    }

    /// The matrix of `diffcore_rename_extended`: each destination's best
    /// candidates, all sorted best first (stably), then taken in order,
    /// renames before copies. `None` when the work budget ran out.
    fn matrix(&mut self, skip_unmodified: bool) -> Result<Option<()>, GitError> {
        let mut mx: Vec<Scored> = Vec::new();
        for j in 0..self.dsts.len() {
            if self.paired[j].is_some() {
                continue;
            }
            let start = mx.len();
            mx.extend([EMPTY; CANDIDATES]);
            let mut dst_spans = None;
            for i in self.live.clone() {
                if skip_unmodified && self.sources[i].state == SourceState::Unmodified {
                    continue;
                }
                let target = self.dsts[j];
                let Some(score) = self.estimate(i, target, Some(&mut dst_spans), self.opts.minimum_score)?
                else {
                    return Ok(None);
                };
                let name_score = i32::from(basename_same(&self.sources[i].file.path, &target.path));
                record_if_better(&mut mx[start..], Scored { src: i, dst: Some(j), score, name_score });
            }
        }
        mx.sort_by(score_compare);
        self.take(&mx, false);
        if self.opts.copies {
            self.take(&mx, true);
        }
        Ok(Some(()))
    }

    /// `find_renames`: pairs in order down to the minimum score.
    fn take(&mut self, mx: &[Scored], copies: bool) {
        for m in mx {
            let Some(dst) = m.dst else { break };
            if m.score < self.opts.minimum_score {
                break;
            }
            if self.paired[dst].is_some() || (!copies && self.used[m.src] > 0) {
                continue;
            }
            self.record(dst, m.src, m.score);
        }
    }

    fn size(&mut self, oid: Oid) -> Result<u64, GitError> {
        if let Some(&s) = self.sizes.get(&oid) {
            return Ok(s);
        }
        let s = self.repo.object_size(oid)?;
        self.sizes.insert(oid, s);
        Ok(s)
    }

    /// Reads and hashes a blob, counting the work.
    fn hash(&mut self, oid: Oid) -> Result<Spans, GitError> {
        let data = self.repo.read_blob(oid)?;
        self.work += data.len() as u64;
        Ok(Spans::of(&data))
    }

    fn source_spans(&mut self, i: usize) -> Result<std::sync::Arc<Spans>, GitError> {
        let oid = self.sources[i].file.oid;
        if let Some(s) = self.cache.spans.get(&oid) {
            return Ok(s.clone());
        }
        let spans = std::sync::Arc::new(self.hash(self.sources[i].file.oid)?);
        if self.cache.entries + spans.len() <= CACHE_ENTRIES {
            self.cache.entries += spans.len();
            self.cache.spans.insert(oid, spans.clone());
        }
        Ok(spans)
    }

    /// `estimate_similarity` of source `i` and `dst`; `dst_spans` keeps the
    /// destination's spans between sources. `None` when the work budget
    /// ran out.
    fn estimate(
        &mut self,
        i: usize,
        dst: &TreeFile,
        dst_spans: Option<&mut Option<std::sync::Arc<Spans>>>,
        minimum_score: i32,
    ) -> Result<Option<i32>, GitError> {
        let src = self.sources[i].file;
        // Only regular files are renamed with edits.
        if !is_regular(src.kind) || !is_regular(dst.kind) {
            return Ok(Some(0));
        }
        let (ss, ds) = (self.size(src.oid)?, self.size(dst.oid)?);
        if similarity::sizes_rule_out(ss, ds, minimum_score) {
            return Ok(Some(0));
        }
        if ss > MAX_SCORED_BLOB || ds > MAX_SCORED_BLOB {
            self.capped = true;
            return Ok(Some(0));
        }
        if self.work > WORK_BUDGET {
            return Ok(None);
        }
        let s = self.source_spans(i)?;
        let d = match dst_spans {
            Some(slot) => match slot {
                Some(d) => d.clone(),
                None => slot.insert(std::sync::Arc::new(self.hash(dst.oid)?)).clone(),
            },
            None => std::sync::Arc::new(self.hash(dst.oid)?),
        };
        self.work += (s.len() + d.len()) as u64;
        Ok(Some(similarity::score(ss, ds, &s, &d)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(src: usize, score: i32, name_score: i32) -> Scored {
        Scored { src, dst: Some(0), score, name_score }
    }

    #[test]
    fn candidates_keep_the_best_four_and_sort_stably() {
        let mut m = [EMPTY; CANDIDATES];
        for (i, s) in [10, 50, 20, 40, 30, 50].into_iter().enumerate() {
            record_if_better(&mut m, slot(i, s, 0));
        }
        let mut v = m.to_vec();
        v.sort_by(score_compare);
        let order: Vec<usize> = v.iter().map(|s| s.src).collect();
        // Two 50s keep their slot order; 10 and 20 were pushed out.
        assert_eq!(order, [1, 5, 3, 4]);
    }

    #[test]
    fn same_basename_wins_a_tie() {
        assert_eq!(score_compare(&slot(0, 5, 1), &slot(1, 5, 0)), Ordering::Less);
        assert!(basename_same(b"a/x.c", b"b/c/x.c"));
        assert!(basename_same(b"x.c", b"b/x.c"));
        assert!(!basename_same(b"a/x.c", b"a/y.c"));
    }
}
