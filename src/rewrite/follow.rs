//! Following renames (`history: {follow_renames: true}`): which earlier
//! paths each commit keeps for a team, so that a file moved into the
//! team's files keeps its history.
//!
//! A commit C that adds a file Q the team owns (relative to a parent P,
//! merges included) is searched for Q's origin as `git log --follow`
//! searches (`--find-copies-harder`, the file as the only destination); a
//! source S that C deletes is a rename, and S is kept in P and up its
//! lineage: through every parent edge, children before parents, a kept
//! path stays kept while the parent has it, and a kept path the edge
//! creates is searched again (an earlier move). A source that stays in C
//! is a copy, which is not followed. What a commit keeps beyond its rules
//! is its *extra set*: the kept paths the team does not own there.
//!
//! Each team's sets depend only on the graph, the trees and the team's own
//! rules, and are a union computed in one fixed order, so they are the
//! same for one team alone or all teams, and whatever order branches were
//! walked in. A commit's set depends only on its descendants: an
//! incremental run computes it for the new commits, and a lineage that
//! reaches a boundary commit (history a previous run wrote) means that
//! history changes: [`Followed::reaches_back`], a rebuild of the team.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use git2::Oid;

use super::graph::{SourceCommit, SourceGraph};
use super::tree::overlay::Spine;
use crate::odb::id::{id_map, key, IdMap, Key};
use crate::odb::object::Source as Objects;
use crate::odb::renames::{self, Options, Source, SourceState, DEFAULT_RENAME_LIMIT, MAX_SCORED_BLOB};
use crate::odb::repo::{ctx, diff_trees_by, mode_kind, FileKind, GitError, Repo, TreeChange, TreeFile};
use crate::odb::similarity::{self, DEFAULT_RENAME_SCORE, MAX_SCORE};
use crate::odb::tree::{Entry as TreeEntry, RawTree};
use crate::ownership::Ownership;
use crate::pattern::DirMatch;

/// Paths kept along a lineage, sorted.
type Paths = Arc<BTreeSet<Vec<u8>>>;

/// A team's rules at the commit at a graph position: the ownership view,
/// and the team's index in it.
pub type View<'a, 'v> = dyn Fn(usize) -> (&'v Ownership, usize) + Sync + 'a;

/// Does the team keep the file `path` under `rules`?
fn owns((rules, team): (&Ownership, usize), path: &[u8]) -> bool {
    rules.owners(path).kept_by(team)
}

/// Can the team keep anything below (or at) the top-level name `name`
/// under `rules`?
fn reaches((rules, team): (&Ownership, usize), name: &[u8]) -> bool {
    rules.keep_class(team, name) != DirMatch::None || rules.owners(name).kept_by(team)
}

/// A team's extra paths, per commit.
#[derive(Debug, Default)]
pub struct Followed {
    /// Per graph position, its set (an index into `sets`; 0 is the empty set).
    of_commit: Vec<u32>,
    /// The distinct sets, sorted paths each.
    sets: Vec<Arc<Extra>>,
    /// A lineage reaches a boundary commit: the team's earlier history
    /// changes, so an incremental run cannot continue it.
    pub reaches_back: bool,
    /// A rename search hit a bound (see [`renames`]): some lineage may end
    /// earlier than git's would.
    pub limited: bool,
    /// Commits that change a kept earlier path (against their first
    /// parent) and nothing the team's rules keep: the commits following
    /// renames adds, merges that stay merges aside.
    pub extra_commits: usize,
    /// Distinct paths kept beyond the rules somewhere.
    pub followed_paths: usize,
}

/// One extra set.
#[derive(Debug, Default)]
pub struct Extra {
    /// The paths, sorted.
    pub paths: Vec<Vec<u8>>,
    /// Their top-level names: a change to one of them changes the team's tree.
    pub tops: BTreeSet<Box<[u8]>>,
    /// The paths as the tree filter walks them.
    pub spine: Spine,
}

/// The set of a boundary commit: what a previous run kept there is not
/// recomputed, so it equals no other commit's.
pub const UNKNOWN: u32 = u32::MAX;

impl Followed {
    /// The extra set id of the commit at graph position `i` (0: none).
    pub fn set_of(&self, i: usize) -> u32 {
        self.of_commit.get(i).copied().unwrap_or(0)
    }

    /// Extra set `id`.
    pub fn set(&self, id: u32) -> &Arc<Extra> {
        &self.sets[id as usize]
    }
}

/// The teams' lineages, one sweep over `graph` children first: each edge
/// is diffed once (below the top-level names some team's rules or lineage
/// reach) and each origin searched once for all of them. `views[t]` gives
/// team `t`'s rules per commit.
pub fn follow_teams(
    repo: &Repo,
    graph: &SourceGraph,
    views: &[&View<'_, '_>],
) -> Result<Vec<Followed>, GitError> {
    let n = graph.commits.len();
    let mut want: Vec<Vec<Option<Paths>>> = views.iter().map(|_| vec![None; n]).collect();
    let mut out: Vec<Followed> = views.iter().map(|_| Followed::default()).collect();
    let mut interned: Vec<HashMap<Vec<Vec<u8>>, u32>> = views.iter().map(|_| HashMap::new()).collect();
    let mut limited = false;
    let mut cache = Cache::new(repo)?;
    for f in &mut out {
        f.of_commit = vec![0; n];
        f.sets.push(Arc::new(Extra::default()));
    }
    for i in (0..n).rev() {
        let c = &graph.commits[i];
        let mine: Vec<Option<Paths>> = want.iter_mut().map(|w| w[i].take()).collect();
        if c.boundary {
            for (t, w) in mine.iter().enumerate() {
                out[t].of_commit[i] = UNKNOWN;
                out[t].reaches_back |= w.is_some();
            }
            continue;
        }
        for (t, w) in mine.iter().enumerate() {
            if let Some(w) = w {
                record_extras(repo, (i, c), views[t], w, &mut out[t], &mut interned[t])?;
            }
        }
        // The top-level names where some team keeps something or follows a path.
        let tops: BTreeSet<&[u8]> =
            mine.iter().flatten().flat_map(|w| w.iter()).map(|p| top_name(p)).collect();
        let top = |name: &[u8]| tops.contains(name) || views.iter().any(|v| reaches(v(i), name));
        // What the first parent's edge changed where the teams look. A file
        // the child has as its first parent has it gets every line from
        // there in `git blame`, so no other parent's edge searches where
        // it came from (those edges carry all the first parent's side did).
        let mut first_changed: Option<HashSet<Vec<u8>>> = None;
        for (k, &p) in c.parents.iter().enumerate() {
            let p = p as usize;
            if graph.commits[p].tree == c.tree {
                if k == 0 {
                    first_changed = Some(HashSet::new());
                }
                for (t, w) in mine.iter().enumerate() {
                    if let Some(w) = w {
                        merge(&mut want[t][p], w.clone());
                    }
                }
                continue;
            }
            let mut edge = Edge::new(repo, &mut cache, (graph.commits[p].tree, c.tree), &top)?;
            if k == 0 {
                first_changed = Some(edge.added.keys().chain(edge.touched.iter()).cloned().collect());
            }
            let as_first = |q: &[u8]| k > 0 && first_changed.as_ref().is_some_and(|f| !f.contains(q));
            for t in 0..views.len() {
                let e = out[t].of_commit[i];
                let owned = |path: &[u8]| owns(views[t](i), path);
                if k == 0 && e != 0 && edge.only_extra(&out[t].sets[e as usize].paths, &owned) {
                    out[t].extra_commits += 1;
                }
                let before = |s: &[u8]| owns(views[t](p), s);
                if let Some(w) = edge.lineage(&mut cache, mine[t].as_ref(), &owned, &before, &as_first)? {
                    merge(&mut want[t][p], w);
                }
            }
            limited |= edge.limited;
        }
    }
    for (f, names) in out.iter_mut().zip(&interned) {
        f.limited = limited;
        f.followed_paths = names.keys().flatten().collect::<BTreeSet<_>>().len();
    }
    Ok(out)
}

/// Records in `f` the paths of lineage `w` that commit `c`, at graph
/// position `i`, keeps beyond what `view`'s rules keep there.
fn record_extras(
    repo: &Repo,
    (i, c): (usize, &SourceCommit),
    view: &View<'_, '_>,
    w: &Paths,
    f: &mut Followed,
    interned: &mut HashMap<Vec<Vec<u8>>, u32>,
) -> Result<(), GitError> {
    let extra: Vec<Vec<u8>> = w.iter().filter(|p| !owns(view(i), p)).cloned().collect();
    if extra.is_empty() {
        return Ok(());
    }
    f.of_commit[i] = intern(f, interned, extra);
    // A root commit holding earlier paths and nothing the team owns.
    if c.parents.is_empty() && !repo.list_tree_unsized(c.tree)?.files.iter().any(|x| owns(view(i), &x.path)) {
        f.extra_commits += 1;
    }
    Ok(())
}

/// The last component of a `/`-separated path.
fn base_name(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

/// The empty blob's id.
fn empty_blob() -> Oid {
    Oid::from_str("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391").expect("a valid id")
}

/// The first component of a `/`-separated path.
fn top_name(path: &[u8]) -> &[u8] {
    path.split(|&b| b == b'/').next().unwrap_or(path)
}

/// The id of extra set `paths` (sorted) for `f`.
fn intern(f: &mut Followed, ids: &mut HashMap<Vec<Vec<u8>>, u32>, paths: Vec<Vec<u8>>) -> u32 {
    if let Some(&id) = ids.get(&paths) {
        return id;
    }
    let id = f.sets.len() as u32;
    let tops = paths.iter().map(|p| Box::from(top_name(p))).collect();
    let spine = Spine::of(&paths);
    f.sets.push(Arc::new(Extra { paths: paths.clone(), tops, spine }));
    ids.insert(paths, id);
    id
}

/// Adds `more` to the lineage paths of a commit.
fn merge(slot: &mut Option<Paths>, more: Paths) {
    match slot {
        None => *slot = Some(more),
        Some(have) if Arc::ptr_eq(have, &more) || **have == *more => {}
        Some(have) => Arc::make_mut(have).extend(more.iter().cloned()),
    }
}

/// An edge's changes over the whole tree, for a rename search.
struct Whole {
    /// The files the child deletes, in path order.
    deleted: Vec<TreeFile>,
    /// The state of every changed old path (true: still there, changed).
    changed: HashMap<Vec<u8>, bool>,
}

impl Whole {
    /// The deleted files as rename sources.
    fn deleted_sources(&self) -> Vec<Source<'_>> {
        self.deleted.iter().map(|file| Source { file, state: SourceState::Deleted }).collect()
    }
}

/// What the deleted files alone tell of a file's origin.
enum Probe {
    /// The origin (`None`: not a move).
    Found(Option<Vec<u8>>),
    /// Not a move, or a move from this deleted file, which scores this.
    Only(Vec<u8>, i32),
    /// Only the search over every file tells.
    Unknown,
}

/// One parent edge: its changes where the teams look, and the origins
/// searched on it.
struct Edge<'r> {
    repo: &'r Repo,
    old_tree: Oid,
    new_tree: Oid,
    /// Paths the child adds where the teams look, with the added file.
    added: HashMap<Vec<u8>, TreeFile>,
    /// Every other path changed where the teams look.
    touched: Vec<Vec<u8>>,
    /// The whole tree's changes, read for the first search.
    whole: Option<Whole>,
    /// Origins found: a deleted source's path, or `None`.
    origins: HashMap<Vec<u8>, Option<Vec<u8>>>,
    limited: bool,
}

impl<'r> Edge<'r> {
    /// The edge from `old_tree` to `new_tree`, diffed below the top-level
    /// names `top` accepts.
    fn new(
        repo: &'r Repo,
        cache: &mut Cache<'_>,
        (old_tree, new_tree): (Oid, Oid),
        top: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Edge<'r>, GitError> {
        let mut edge = Edge {
            repo,
            old_tree,
            new_tree,
            added: HashMap::new(),
            touched: Vec::new(),
            whole: None,
            origins: HashMap::new(),
            limited: false,
        };
        for TreeChange { old, new } in cache.diff(repo, old_tree, new_tree, top)? {
            match (old, new) {
                (None, Some(n)) => {
                    edge.added.insert(n.path.clone(), n);
                }
                (Some(o), _) => edge.touched.push(o.path),
                (None, None) => {}
            }
        }
        Ok(edge)
    }

    /// Does the edge change one of `extra` (sorted) and nothing `owned`?
    fn only_extra(&self, extra: &[Vec<u8>], owned: &dyn Fn(&[u8]) -> bool) -> bool {
        let mut changed = self.added.keys().chain(self.touched.iter());
        let any_extra = self.added.keys().chain(self.touched.iter()).any(|p| extra.binary_search(p).is_ok());
        any_extra && !changed.any(|p| owned(p))
    }

    /// What the parent keeps of a team's lineage through this edge: the
    /// child's lineage paths `want` the parent has, the origins of those it
    /// creates, and the origins of the files it adds that the team owns
    /// (`owned`) unless the team owned them already (`owned_before`) or
    /// the child has them as its first parent does (`as_first`). `None`
    /// when nothing.
    fn lineage(
        &mut self,
        cache: &mut Cache<'_>,
        want: Option<&Paths>,
        owned: &dyn Fn(&[u8]) -> bool,
        owned_before: &dyn Fn(&[u8]) -> bool,
        as_first: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Option<Paths>, GitError> {
        let mut found: BTreeSet<Vec<u8>> = BTreeSet::new();
        let mut created = Vec::new();
        if let Some(w) = want {
            for p in w.iter() {
                if self.added.contains_key(p) {
                    created.push(p.clone());
                }
            }
        }
        // The team's new files, in path order: moved in, or new.
        let mut starts: Vec<Vec<u8>> = self
            .added
            .keys()
            .filter(|q| !want.is_some_and(|w| w.contains(*q)) && owned(q) && !as_first(q))
            .cloned()
            .collect();
        starts.sort();
        for q in &created {
            if let Some(s) = self.origin(cache, q)? {
                found.insert(s);
            }
        }
        for q in &starts {
            if let Some(s) = self.origin_unless(cache, q, owned_before)? {
                found.insert(s);
            }
        }
        match want {
            // The common case: a lineage the edge leaves alone.
            Some(w) if created.is_empty() && found.is_empty() => Ok(Some(w.clone())),
            _ => {
                if let Some(w) = want {
                    found.extend(w.iter().filter(|p| !self.added.contains_key(*p)).cloned());
                }
                Ok((!found.is_empty()).then(|| Arc::new(found)))
            }
        }
    }

    /// Where the file the child creates at `path` came from, if it was
    /// moved: `git log --follow`'s search, a copy (its source stays) not
    /// followed.
    fn origin(&mut self, cache: &mut Cache<'_>, path: &[u8]) -> Result<Option<Vec<u8>>, GitError> {
        self.origin_unless(cache, path, &|_| false)
    }

    /// [`Edge::origin`] of `path`, `None` where `skip` takes it: a search
    /// that can end only in a rename from a file `skip` takes stops before
    /// the search over every file.
    fn origin_unless(
        &mut self,
        cache: &mut Cache<'_>,
        path: &[u8],
        skip: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Option<Vec<u8>>, GitError> {
        if let Some(o) = self.origins.get(path) {
            return Ok(o.clone().filter(|s| !skip(s)));
        }
        let dst = self.added.get(path).expect("an added path").clone();
        let found = self.with_whole(cache, |edge, cache, whole| match edge.probe(cache, whole, &dst)? {
            Probe::Found(o) => Ok(Some(o)),
            Probe::Only(source, _) if skip(&source) => Ok(None),
            Probe::Only(_, bound) => edge.search_all(cache, whole, &dst, Some(bound)).map(Some),
            Probe::Unknown => edge.search_all(cache, whole, &dst, None).map(Some),
        })?;
        let Some(o) = found else { return Ok(None) };
        self.origins.insert(path.to_vec(), o.clone());
        Ok(o.filter(|s| !skip(s)))
    }

    /// Runs `f` with the whole tree's changes, read on first use.
    fn with_whole<T>(
        &mut self,
        cache: &mut Cache<'_>,
        f: impl FnOnce(&mut Self, &mut Cache<'_>, &Whole) -> Result<T, GitError>,
    ) -> Result<T, GitError> {
        let whole = match self.whole.take() {
            Some(whole) => whole,
            None => {
                let (mut deleted, mut changed) = (Vec::new(), HashMap::new());
                for TreeChange { old, new } in
                    cache.diff(self.repo, self.old_tree, self.new_tree, &|_| true)?
                {
                    if let Some(o) = old {
                        changed.insert(o.path.clone(), new.is_some());
                        if new.is_none() {
                            deleted.push(o);
                        }
                    }
                }
                Whole { deleted, changed }
            }
        };
        let found = f(self, cache, &whole);
        self.whole = Some(whole);
        found
    }

    /// What the deleted files alone tell of `dst`'s origin.
    fn probe(&mut self, cache: &mut Cache<'_>, whole: &Whole, dst: &TreeFile) -> Result<Probe, GitError> {
        // A rename needs a deleted source: without one scoring, the search
        // over every file could only find a copy.
        let deleted = whole.deleted_sources();
        let renamed =
            renames::detect_with(self.repo, &deleted, &[dst], Options::default(), &mut cache.spans)?;
        self.limited |= renamed.limited;
        let Some(pair) = renamed.pairs.first() else { return Ok(Probe::Found(None)) };
        // An identical deleted file of the same name is also what the search
        // over every file takes first (it scores highest of identical ones),
        // unless identical files are so many that git looks at only some:
        // the empty file's.
        let source = deleted[pair.src].file;
        if pair.score == MAX_SCORE
            && base_name(&source.path) == base_name(&dst.path)
            && source.oid != empty_blob()
        {
            return Ok(Probe::Found(Some(source.path.clone())));
        }
        Ok(match self.best_deleted(cache, &deleted, dst)? {
            Some((src, bound)) => Probe::Only(deleted[src].file.path.clone(), bound),
            None => Probe::Unknown,
        })
    }

    /// The search over every file of the old tree; `bound`: the score of
    /// the only deleted file it can end in, from [`Edge::best_deleted`].
    fn search_all(
        &mut self,
        cache: &mut Cache<'_>,
        whole: &Whole,
        dst: &TreeFile,
        bound: Option<i32>,
    ) -> Result<Option<Vec<u8>>, GitError> {
        let Whole { deleted, changed } = whole;
        let narrowed = match bound {
            Some(bound) => cache.files_where(self.repo, self.old_tree, dst, bound)?,
            None => None,
        };
        let files = match narrowed {
            Some(files) => files,
            None => self.repo.list_tree_unsized(self.old_tree)?.files,
        };
        // The deleted files are sources whatever they score.
        let mut files: Vec<&TreeFile> =
            files.iter().filter(|f| changed.get(&f.path) != Some(&false)).chain(deleted.iter()).collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let sources = renames::sources_by(files, changed);
        let copies = Options { copies: true, ..Options::default() };
        let found = renames::detect_with(self.repo, &sources, &[dst], copies, &mut cache.spans)?;
        self.limited |= found.limited;
        Ok(found
            .pairs
            .first()
            .map(|pair| &sources[pair.src])
            .filter(|s| s.state == SourceState::Deleted)
            .map(|s| s.file.path.clone()))
    }

    /// The deleted file the search over every file ranks first of the
    /// deleted ones, and its score, when no other deleted file ranks equal
    /// (score and name alike); `None` when one does or a bound was hit.
    ///
    /// The search over every file ends in a rename only with that file,
    /// and only when fewer files than it keeps candidates for a
    /// destination rank above it; whatever else it finds (a copy, or
    /// nothing) ends the lineage alike. A file that cannot score as much
    /// ranks below it, so it can neither push it out of the candidates nor
    /// be taken before it: leaving such files out changes nothing, except
    /// where two deleted files rank equal, as git then takes the one in the
    /// earlier candidate slot, and which slot each lands in depends on
    /// every file scored before it.
    fn best_deleted(
        &self,
        cache: &mut Cache<'_>,
        deleted: &[Source<'_>],
        dst: &TreeFile,
    ) -> Result<Option<(usize, i32)>, GitError> {
        let copies = Options { copies: true, ..Options::default() };
        let first = renames::detect_with(self.repo, deleted, &[dst], copies, &mut cache.spans)?;
        let Some(best) = first.pairs.first().filter(|_| !first.limited) else { return Ok(None) };
        let rest: Vec<Source<'_>> =
            deleted.iter().enumerate().filter(|&(i, _)| i != best.src).map(|(_, s)| s.clone()).collect();
        let second = renames::detect_with(self.repo, &rest, &[dst], copies, &mut cache.spans)?;
        let same_name = |s: &Source<'_>| base_name(&s.file.path) == base_name(&dst.path);
        let tie = second.pairs.first().is_some_and(|next| {
            next.score == best.score && same_name(&rest[next.src]) == same_name(&deleted[best.src])
        });
        Ok((!tie && !second.limited).then_some((best.src, best.score)))
    }
}

/// What rename searches read, kept for every later edge: the trees and
/// files of one commit are mostly those of the next.
struct Cache<'r> {
    /// Reads trees straight from the packs.
    src: Objects<'r>,
    /// Blob sizes.
    sizes: IdMap<Key, u64>,
    /// Parsed trees.
    trees: IdMap<Key, Arc<RawTree>>,
    /// The entries of `trees`, counted.
    entries: usize,
    /// Source blobs' span hashes.
    spans: renames::SpanCache,
    /// The last tree listed whole, and its files.
    listing: Option<(Oid, Arc<[TreeFile]>)>,
}

/// Tree entries (and blob sizes) kept at most: past it, the cache starts
/// over, so a history of huge trees costs reading them again, not memory.
const CACHED_ENTRIES: usize = 1 << 20;

impl<'r> Cache<'r> {
    fn new(repo: &'r Repo) -> Result<Cache<'r>, GitError> {
        let src = Objects::new(repo.raw(), repo.packs()).map_err(ctx("opening the monolith's objects"))?;
        Ok(Cache {
            src,
            sizes: id_map(),
            trees: id_map(),
            entries: 0,
            spans: Default::default(),
            listing: None,
        })
    }

    /// The size of blob `oid`.
    fn size(&mut self, repo: &Repo, oid: Oid) -> Result<u64, GitError> {
        if let Some(&s) = self.sizes.get(&key(&oid)) {
            return Ok(s);
        }
        let s = repo.object_size(oid)?;
        if self.sizes.len() >= CACHED_ENTRIES {
            self.sizes.clear();
        }
        self.sizes.insert(key(&oid), s);
        Ok(s)
    }

    /// Tree `id`, parsed.
    fn tree(&mut self, repo: &Repo, id: Oid) -> Result<Arc<RawTree>, GitError> {
        if let Some(t) = self.trees.get(&key(&id)) {
            return Ok(t.clone());
        }
        let tree = match RawTree::read(&self.src, id) {
            Ok(tree) => Arc::new(tree),
            // libgit2 names what is wrong as every other reader does.
            Err(e) => {
                let context = format!("reading tree {id}");
                repo.raw().find_tree(id).map_err(ctx(context.clone()))?;
                let source = git2::Error::from_str(&e.to_string());
                return Err(GitError::Git { context, source });
            }
        };
        if self.entries + tree.len() > CACHED_ENTRIES {
            self.trees.clear();
            self.entries = 0;
        }
        self.entries += tree.len();
        self.trees.insert(key(&id), tree.clone());
        Ok(tree)
    }

    /// [`Repo::diff_trees_under`], reading trees through the cache.
    fn diff(
        &mut self,
        repo: &Repo,
        old: Oid,
        new: Oid,
        top: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Vec<TreeChange>, GitError> {
        diff_trees_by(&mut |id| self.tree(repo, id), old, new, top)
    }

    /// The files of tree `root`, in walk order (the last tree listed is
    /// kept: the files moved by one commit search the same tree).
    fn listing(&mut self, repo: &Repo, root: Oid) -> Result<Arc<[TreeFile]>, GitError> {
        if let Some((id, files)) = &self.listing {
            if *id == root {
                return Ok(files.clone());
            }
        }
        let mut files = Vec::new();
        let mut dir: Vec<u8> = Vec::new();
        // (tree, next entry, length of `dir` before this tree's name)
        let mut stack = vec![(self.tree(repo, root)?, 0usize, 0usize)];
        while let Some((tree, next, _)) = stack.last_mut() {
            if *next == tree.len() {
                let (_, _, len) = stack.pop().expect("not empty");
                dir.truncate(len);
                continue;
            }
            // The tree outlives the stack's borrow; an entry is not copied.
            let tree = tree.clone();
            let TreeEntry { name, id, mode } = tree.get(*next);
            *next += 1;
            let len = dir.len();
            let Some(kind) = mode_kind(mode) else {
                dir.extend_from_slice(name);
                dir.push(b'/');
                stack.push((self.tree(repo, id)?, 0, len));
                continue;
            };
            let mut path = dir.clone();
            path.extend_from_slice(name);
            files.push(TreeFile { path, oid: id, kind, size: 0 });
        }
        let files: Arc<[TreeFile]> = files.into();
        self.listing = Some((root, files.clone()));
        Ok(files)
    }

    /// The files of tree `root` that could score `bound` against `dst`
    /// (by their sizes, see [`similarity::score_bound`]) or are identical
    /// to it, in path order. `None` when leaving files out could change
    /// more than the result: past the rename limit (git then narrows the
    /// sources by their count) or where a file left out is one git would
    /// skip for its size, which it reports.
    fn files_where(
        &mut self,
        repo: &Repo,
        root: Oid,
        dst: &TreeFile,
        bound: i32,
    ) -> Result<Option<Vec<TreeFile>>, GitError> {
        let regular = |k: FileKind| matches!(k, FileKind::Blob | FileKind::Executable);
        let scored = regular(dst.kind);
        let dst_size = if scored { self.size(repo, dst.oid)? } else { 0 };
        let listing = self.listing(repo, root)?;
        let (mut files, count) = (Vec::new(), listing.len());
        for file in listing.iter() {
            let keep = file.oid == dst.oid || {
                let size = if scored && regular(file.kind) { self.size(repo, file.oid)? } else { 0 };
                if scored
                    && regular(file.kind)
                    && !similarity::sizes_rule_out(size, dst_size, DEFAULT_RENAME_SCORE)
                {
                    if size.max(dst_size) > MAX_SCORED_BLOB {
                        return Ok(None);
                    }
                    similarity::score_bound(size, dst_size) >= bound
                } else {
                    false
                }
            };
            if keep {
                files.push(file.clone());
            }
        }
        let limit = DEFAULT_RENAME_LIMIT as u128;
        Ok((count as u128 <= limit * limit).then_some(files))
    }
}

/// The lineages of the teams of a pass that follow renames (`None` for the
/// others): `view(t, i)` is team `t`'s rules at graph position `i`.
pub fn for_pass<'v>(
    src: &std::path::Path,
    graph: &SourceGraph,
    follows: &[bool],
    view: &(dyn Fn(usize, usize) -> (&'v Ownership, usize) + Sync),
) -> Result<Vec<Option<Followed>>, GitError> {
    let wanted: Vec<usize> = (0..follows.len()).filter(|&t| follows[t]).collect();
    let mut out: Vec<Option<Followed>> = follows.iter().map(|_| None).collect();
    if wanted.is_empty() {
        return Ok(out);
    }
    let repo = Repo::open(src)?;
    let views: Vec<Box<View<'_, 'v>>> =
        wanted.iter().map(|&t| Box::new(move |i: usize| view(t, i)) as Box<View<'_, 'v>>).collect();
    let refs: Vec<&View<'_, 'v>> = views.iter().map(|v| &**v).collect();
    for (t, f) in wanted.into_iter().zip(follow_teams(&repo, graph, &refs)?) {
        out[t] = Some(f);
    }
    Ok(out)
}
