//! The history generator: [`Gen`] writes the fast-import stream of the
//! commits (changes, renames, topic branches and their merges) while
//! keeping a model of `main`'s tree; [`evolve`] drives it over a whole
//! history, for this monolith and for the deep one.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};

use super::tree::*;
use super::{fnv1a, Params, Rng};

/// The content of an ordinary file: enough to write its bytes again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Content {
    /// Which file (kept across renames, so a renamed file keeps its bytes).
    uid: u32,
    version: u32,
    size: u32,
}

/// A live file that ops may touch.
#[derive(Clone, Debug)]
struct File {
    path: String,
    content: Content,
    exec: bool,
    /// Index into `Gen::comps`.
    comp: u32,
    /// Index into that component's `files`.
    pos: u32,
}

impl File {
    fn mode(&self) -> &'static str {
        if self.exec {
            "100755"
        } else {
            "100644"
        }
    }
}

/// A component while the history is written: its pools and live files.
pub(crate) struct Live {
    pub(crate) name: String,
    pub(crate) pools: Vec<Pool>,
    /// Slab indexes of its ordinary files.
    pub(crate) files: Vec<u32>,
}

/// What a topic branch did to each path it touched: `None` deleted, else
/// (mode, content) of its final version.
type Touched = BTreeMap<String, Option<(&'static str, Content)>>;

/// A topic branch: forked from `main`, later merged back.
struct Branch {
    /// Which `refs/heads/topic/<slot>` it uses (slots are reused).
    slot: usize,
    /// Components it alone may touch until merged.
    comps: Vec<usize>,
    /// Commits still to make on it.
    left: usize,
    /// Its tip's mark.
    tip: u32,
    touched: Touched,
    topic: String,
}

/// Counts of what was generated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Files in the tree of `main`.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// Commits reachable from `main`.
    pub commits: usize,
    /// Of which merges.
    pub merges: usize,
    /// Wall-clock seconds the generation took (when this repository was built).
    pub seconds: f64,
}

/// Writes the fast-import stream while keeping a model of `main`'s tree.
///
/// Blobs are written `inline` in the commits, so no blob needs a mark: a
/// file's content is a function of (uid, version, size) and can be written
/// again where a merge needs it. fast-import deltifies each blob against the
/// one before it in the stream, whatever its path; [`Params::repack`] has
/// git choose the deltas again.
///
/// Merges stay conflict-free by construction: while a topic branch is open,
/// the components it touches are reserved for it, so `main` and the branch
/// change disjoint sets of paths and the merge result is `main` plus the
/// branch's final version of each path it touched (written again; fast-import
/// stores an identical blob once).
pub(crate) struct Gen<W: Write> {
    rng: Rng,
    out: W,
    filler: Vec<u8>,
    next_mark: u32,
    next_uid: u32,
    time: u64,
    /// Ordinary files; `None` marks a free slot.
    slab: Vec<Option<File>>,
    free: Vec<u32>,
    /// Every live path, ordinary or not, so new names never collide.
    paths: HashSet<String>,
    /// The components, then the root as one more.
    comps: Vec<Live>,
    reserved: Vec<bool>,
    /// Files and bytes in `main`'s tree once all open branches are merged.
    live_files: usize,
    live_bytes: u64,
    /// While a branch commit is written: what the branch touched so far.
    touched: Option<Touched>,
    main_tip: u32,
    commits: usize,
    merges: usize,
}

const AUTHORS: &[(&str, &str)] = &[
    ("Ada Park", "ada"),
    ("Bo Chen", "bo"),
    ("Carla Diaz", "carla"),
    ("Dmitri Ivanov", "dmitri"),
    ("Eun-ji Kim", "eunji"),
    ("Femi Adeyemi", "femi"),
    ("Grace Liu", "grace"),
    ("Hiro Tanaka", "hiro"),
    ("Ines Moreau", "ines"),
    ("Jonas Berg", "jonas"),
    ("Kavya Rao", "kavya"),
    ("Luca Rossi", "luca"),
];

const VERBS: &[&str] =
    &["fix", "add", "refactor", "remove", "rename", "tune", "document", "test", "bump", "simplify"];

impl<W: Write> Gen<W> {
    /// A generator writing to `out`, drawing from `rng`, over `comps`.
    pub(crate) fn new(rng: Rng, out: W, filler: Vec<u8>, comps: Vec<Live>) -> Gen<W> {
        let n = comps.len();
        Gen {
            rng,
            out,
            filler,
            next_mark: 1,
            next_uid: 0,
            time: 1_500_000_000,
            slab: Vec::new(),
            free: Vec::new(),
            paths: HashSet::new(),
            comps,
            reserved: vec![false; n],
            live_files: 0,
            live_bytes: 0,
            touched: None,
            main_tip: 0,
            commits: 0,
            merges: 0,
        }
    }

    /// Starts the initial commit on `main`; its files follow.
    pub(crate) fn begin_initial(&mut self, msg: &str) -> io::Result<()> {
        self.main_tip = self.begin_commit("refs/heads/main", None, None, msg)?;
        Ok(())
    }

    /// Writes a file ops never touch (a package manifest, a symlink).
    pub(crate) fn put_special(&mut self, path: &str, data: &[u8], mode: &str) -> io::Result<()> {
        self.put_parts(path, mode, data, &[])?;
        self.paths.insert(path.to_string());
        self.live_files += 1;
        self.live_bytes += data.len() as u64;
        Ok(())
    }

    /// Fills component `c` with `count` files of the initial commit, spread
    /// over its pools by share, about 12 a directory.
    pub(crate) fn seed_component(&mut self, c: usize, count: usize) -> io::Result<()> {
        for p in 0..self.comps[c].pools.len() {
            let pool_files = ((count as f64 * self.comps[c].pools[p].share).round() as usize).max(1);
            // About 12 files a directory, at most 4 levels below the base.
            let mut pool = self.comps[c].pools[p].clone();
            grow_dirs(&mut self.rng, &mut pool, pool_files.div_ceil(12), 4);
            self.comps[c].pools[p] = pool;
            for _ in 0..pool_files {
                let dir = self.rng.pick(&self.comps[c].pools[p].dirs).clone();
                let (path, exec) = self.unique_in(&dir, p, c);
                let size = file_size(&mut self.rng);
                self.add_at(c, path, exec, size)?;
            }
        }
        Ok(())
    }

    /// Ends the initial commit.
    pub(crate) fn end_initial(&mut self) -> io::Result<()> {
        self.out.write_all(b"\n")
    }

    /// Files in `main`'s tree once all open branches are merged.
    pub(crate) fn live_files(&self) -> usize {
        self.live_files
    }

    /// A commit on `main` making one change in each of `comps`: a
    /// cross-cutting change (a coding-standard fix, a renamed interface).
    fn wide_commit(&mut self, comps: &[usize], grow: bool) -> io::Result<()> {
        let verb = *self.rng.pick(VERBS);
        let msg = format!("{verb} across {} components\n", comps.len());
        self.main_tip = self.begin_commit("refs/heads/main", None, None, &msg)?;
        for &c in comps {
            self.change(c, grow)?;
        }
        self.out.write_all(b"\n")
    }

    /// `M` with inline data made of a head and a tail (the tail is a filler
    /// slice, written without copying).
    fn put_parts(&mut self, path: &str, mode: &str, head: &[u8], tail: &[u8]) -> io::Result<()> {
        write!(self.out, "M {mode} inline {path}\ndata {}\n", head.len() + tail.len())?;
        self.out.write_all(head)?;
        self.out.write_all(tail)?;
        self.out.write_all(b"\n")
    }

    /// `M` for an ordinary file: a header line naming the file and version
    /// (so every version is a distinct blob) and a slice of the filler
    /// chosen by them. Recorded for the open branch, if any.
    fn put(&mut self, path: &str, mode: &'static str, c: Content) -> io::Result<()> {
        let head = format!("// file {} r{}\n", c.uid, c.version);
        let want = (c.size as usize).saturating_sub(head.len()).min(FILLER_LEN);
        let at = (fnv1a(head.as_bytes()) as usize) % (FILLER_LEN - want + 1);
        let filler = std::mem::take(&mut self.filler);
        let result = self.put_parts(path, mode, head.as_bytes(), &filler[at..at + want]);
        self.filler = filler;
        if let Some(t) = &mut self.touched {
            t.insert(path.to_string(), Some((mode, c)));
        }
        result
    }

    /// `D`, recorded for the open branch, if any.
    fn delete_cmd(&mut self, path: &str) -> io::Result<()> {
        writeln!(self.out, "D {path}")?;
        if let Some(t) = &mut self.touched {
            t.insert(path.to_string(), None);
        }
        Ok(())
    }

    /// A fresh path in `comp`: a random pool (by share) and directory.
    fn new_path(&mut self, comp: usize) -> (String, bool) {
        let live = &self.comps[comp];
        let mut r = self.rng.f64();
        let mut p = live.pools.len() - 1;
        for (i, pool) in live.pools.iter().enumerate() {
            if r < pool.share {
                p = i;
                break;
            }
            r -= pool.share;
        }
        let pool = &live.pools[p];
        let dir = self.rng.pick(&pool.dirs).clone();
        self.unique_in(&dir, p, comp)
    }

    /// A name in `dir` that no live file has, in pool `p`'s style, and
    /// whether the pool's files are executable.
    fn unique_in(&mut self, dir: &str, p: usize, comp: usize) -> (String, bool) {
        let pool = &self.comps[comp].pools[p];
        let exec = pool.exec;
        for attempt in 0.. {
            let mut name = file_name(&mut self.rng, pool);
            if attempt >= 4 {
                // Crowded directory: disambiguate like people do (`Foo2.java`).
                let dot = name.find('.').unwrap_or(name.len());
                name.insert_str(dot, &attempt.to_string());
            }
            let path = format!("{dir}/{name}");
            if !self.paths.contains(&path) {
                return (path, exec);
            }
        }
        unreachable!("the attempt number makes the name unique eventually")
    }

    /// Adds an ordinary file to `comp` at a fresh path.
    fn add(&mut self, comp: usize) -> io::Result<()> {
        let (path, exec) = self.new_path(comp);
        let size = file_size(&mut self.rng);
        self.add_at(comp, path, exec, size)
    }

    fn add_at(&mut self, comp: usize, path: String, exec: bool, size: usize) -> io::Result<()> {
        let content = Content { uid: self.next_uid, version: 0, size: size as u32 };
        self.next_uid += 1;
        let pos = self.comps[comp].files.len() as u32;
        let file = File { path: path.clone(), content, exec, comp: comp as u32, pos };
        self.put(&path, file.mode(), content)?;
        self.paths.insert(path);
        let id = match self.free.pop() {
            Some(id) => {
                self.slab[id as usize] = Some(file);
                id
            }
            None => {
                self.slab.push(Some(file));
                (self.slab.len() - 1) as u32
            }
        };
        self.comps[comp].files.push(id);
        self.live_files += 1;
        self.live_bytes += size as u64;
        Ok(())
    }

    fn file(&self, id: u32) -> &File {
        self.slab[id as usize].as_ref().expect("live file")
    }

    /// Rewrites a file with a new version of about the same size.
    fn modify(&mut self, id: u32) -> io::Result<()> {
        let f = self.file(id).clone();
        let old = f.content;
        let size = ((old.size as f64 * (0.8 + 0.45 * self.rng.f64())) as u32).clamp(16, 65_536);
        let new = Content { version: old.version + 1, size, ..old };
        self.put(&f.path, f.mode(), new)?;
        self.live_bytes = self.live_bytes - old.size as u64 + size as u64;
        self.slab[id as usize].as_mut().expect("live file").content = new;
        Ok(())
    }

    fn delete(&mut self, id: u32) -> io::Result<()> {
        let f = self.slab[id as usize].take().expect("live file");
        self.free.push(id);
        let files = &mut self.comps[f.comp as usize].files;
        files.swap_remove(f.pos as usize);
        if let Some(&moved) = files.get(f.pos as usize) {
            self.slab[moved as usize].as_mut().expect("live file").pos = f.pos;
        }
        self.paths.remove(&f.path);
        self.live_files -= 1;
        self.live_bytes -= f.content.size as u64;
        self.delete_cmd(&f.path)
    }

    /// Renames a file within its directory, or moves it to another directory
    /// of its component, content unchanged.
    fn rename(&mut self, id: u32) -> io::Result<()> {
        let f = self.file(id).clone();
        let comp = f.comp as usize;
        let (new, _) = if self.rng.chance(0.6) {
            let dir = f.path[..f.path.rfind('/').expect("files live in directories")].to_string();
            // The pool holding the directory, to keep its naming style.
            let p = self.comps[comp].pools.iter().position(|p| dir.starts_with(p.base.as_str())).unwrap_or(0);
            self.unique_in(&dir, p, comp)
        } else {
            self.new_path(comp)
        };
        writeln!(self.out, "R {} {new}", f.path)?;
        if let Some(t) = &mut self.touched {
            t.insert(f.path.clone(), None);
            t.insert(new.clone(), Some((f.mode(), f.content)));
        }
        self.paths.remove(&f.path);
        self.paths.insert(new.clone());
        self.slab[id as usize].as_mut().expect("live file").path = new;
        Ok(())
    }

    /// One random change inside `comp`. `grow` says whether the tree is
    /// below its planned size (so adds should outnumber deletes).
    fn change(&mut self, comp: usize, grow: bool) -> io::Result<()> {
        let n = self.comps[comp].files.len();
        let (p_add, p_delete) = if grow { (0.22, 0.04) } else { (0.04, 0.22) };
        let r = self.rng.f64();
        // Small components only grow, so none is ever emptied.
        if n < 4 || r < p_add {
            return self.add(comp);
        }
        let id = self.comps[comp].files[self.rng.below(n)];
        if r < p_add + p_delete {
            self.delete(id)
        } else if r < p_add + p_delete + 0.06 {
            self.rename(id)
        } else {
            self.modify(id)
        }
    }

    /// A component no open branch holds, or `None` if all are held.
    fn free_comp(&mut self) -> Option<usize> {
        for _ in 0..64 {
            let c = self.rng.below(self.comps.len());
            if !self.reserved[c] {
                return Some(c);
            }
        }
        (0..self.comps.len()).find(|&c| !self.reserved[c])
    }

    /// `first` and up to `extra` more free components.
    fn more_comps(&mut self, first: usize, extra: usize) -> Vec<usize> {
        let mut out = vec![first];
        for _ in 0..extra {
            if let Some(c) = self.free_comp().filter(|c| !out.contains(c)) {
                out.push(c);
            }
        }
        out
    }

    /// A whole ordinary commit: a message naming `comps`, then 1 to 6
    /// changes (mostly 1–3), 80% of them in `comps[0]`.
    fn change_commit(
        &mut self,
        refname: &str,
        from: Option<u32>,
        comps: &[usize],
        grow: bool,
    ) -> io::Result<u32> {
        let scope: Vec<&str> = comps.iter().map(|&c| self.comps[c].name.as_str()).collect();
        let scope = scope.join(", ");
        let verb = *self.rng.pick(VERBS);
        let noun = capitalize(self.rng.pick::<&str>(WORDS)) + *self.rng.pick(JAVA_SUFFIXES);
        let mark = self.begin_commit(refname, from, None, &format!("{scope}: {verb} {noun}\n"))?;
        let n = 1 + (self.rng.below(6) * self.rng.below(6)) / 5;
        for _ in 0..n {
            let c = if comps.len() > 1 && self.rng.chance(0.2) {
                comps[1 + self.rng.below(comps.len() - 1)]
            } else {
                comps[0]
            };
            self.change(c, grow)?;
        }
        self.out.write_all(b"\n")?;
        Ok(mark)
    }

    /// Writes a commit's header; its file commands follow, then a blank line.
    fn begin_commit(
        &mut self,
        refname: &str,
        from: Option<u32>,
        merge: Option<u32>,
        msg: &str,
    ) -> io::Result<u32> {
        let mark = self.next_mark;
        self.next_mark += 1;
        self.time += self.rng.range(60, 4 * 3600) as u64;
        let (name, login) = *self.rng.pick(AUTHORS);
        let who = format!("{name} <{login}@acme.example> {} +0000", self.time);
        write!(
            self.out,
            "commit {refname}\nmark :{mark}\nauthor {who}\ncommitter {who}\ndata {}\n{msg}\n",
            msg.len()
        )?;
        if let Some(f) = from {
            writeln!(self.out, "from :{f}")?;
        }
        if let Some(m) = merge {
            writeln!(self.out, "merge :{m}")?;
        }
        self.commits += 1;
        Ok(mark)
    }

    /// Merges `b` into `main`: its final version of every path it touched.
    fn merge(&mut self, b: Branch) -> io::Result<()> {
        let msg = format!("Merge branch '{}'\n", b.topic);
        self.main_tip = self.begin_commit("refs/heads/main", None, Some(b.tip), &msg)?;
        for (path, state) in &b.touched {
            match *state {
                Some((mode, c)) => self.put(path, mode, c)?,
                // A path the branch added and removed again is not in
                // `main`; fast-import ignores such a `D`.
                None => self.delete_cmd(path)?,
            }
        }
        self.out.write_all(b"\n")?;
        self.merges += 1;
        for &c in &b.comps {
            self.reserved[c] = false;
        }
        Ok(())
    }
}

/// Writes the whole history of `params` as a fast-import stream into `out`.
pub(crate) fn write_stream<W: Write>(params: &Params, out: W) -> io::Result<Stats> {
    let comps = components(params);
    let mut rng = Rng::new(params.seed);
    let filler = filler(&mut rng);
    let mut lives: Vec<Live> =
        comps.iter().map(|c| Live { name: c.name.clone(), pools: pools(c), files: Vec::new() }).collect();
    // The root directory's own files act as one more component.
    lives.push(Live { name: "build".into(), pools: root_pools(), files: Vec::new() });
    let n = lives.len();
    let mut g = Gen::new(rng, out, filler, lives);

    // The initial commit: package manifests, root files, then the bulk.
    g.begin_initial("Import the monolith\n")?;
    let mut specials = root_specials(&comps);
    for c in &comps {
        specials.extend(component_specials(c));
    }
    for (path, data, mode) in &specials {
        g.put_special(path, data, mode)?;
    }
    // Later commits add about 0.3 files each (net), up to a tenth of the
    // tree; the rest is there from the start.
    let growth = (params.files / 10).min(params.commits * 3 / 10);
    let initial = params.files.saturating_sub(growth).saturating_sub(specials.len());
    let root_files = (params.files / 2000).max(20);
    let comp_files = initial.saturating_sub(root_files);
    let total_weight: f64 = comps.iter().map(|c| c.weight).sum();
    for c in 0..n {
        let count = if c == comps.len() {
            root_files
        } else {
            ((comp_files as f64 * comps[c].weight / total_weight).round() as usize).max(4)
        };
        g.seed_component(c, count)?;
        // Code generators' output, which one team's manifest excludes.
        if c < comps.len() && comps[c].kind == Kind::Service {
            let base = g.comps[c].pools[0].base.clone();
            for i in 0..1 + g.rng.below(3) {
                let name = format!("{base}/{}Schema{i}.generated.java", capitalize(&comps[c].name));
                let size = file_size(&mut g.rng);
                g.add_at(c, name, false, size)?;
            }
        }
    }
    g.end_initial()?;
    evolve(
        &mut g,
        &History {
            commits: params.commits,
            files: params.files,
            merge_fraction: params.merge_fraction,
            wide: None,
        },
    )
}

/// The shape of the history [`evolve`] writes after the initial commit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct History {
    /// Commits reachable from `main` at the end, the initial one included.
    pub(crate) commits: usize,
    /// Files in the tree of `main` at the end (met to within a few files).
    pub(crate) files: usize,
    /// About this fraction of the commits are merges of a topic branch.
    pub(crate) merge_fraction: f64,
    /// This fraction of the commits on `main` touch many components at
    /// once, between the two counts given.
    pub(crate) wide: Option<(f64, usize, usize)>,
}

/// Writes the commits after the initial one: changes mostly inside one
/// component, topic branches merged back, and the final `done`.
pub(crate) fn evolve<W: Write>(g: &mut Gen<W>, h: &History) -> io::Result<Stats> {
    // The tree grows linearly from its initial size to a few files over the
    // target, so that random deletes near the end rarely leave it short.
    let initial_files = g.live_files;
    let target = h.files + 6;
    let mut open: Vec<Branch> = Vec::new();
    let mut free_slots: Vec<usize> = Vec::new();
    let mut next_slot = 0;
    let mut topics = 0;
    let f = h.merge_fraction;
    while g.commits < h.commits {
        let budget = h.commits - g.commits;
        let planned = initial_files + target.saturating_sub(initial_files) * g.commits / h.commits;
        let grow = g.live_files < planned;
        // The last commits merge whatever is still open; a finished branch
        // is merged soon, not at once.
        if budget <= open.len() {
            let b = open.remove(0);
            free_slots.push(b.slot);
            g.merge(b)?;
            continue;
        }
        if let Some(i) = open.iter().position(|b| b.left == 0) {
            if g.rng.chance(0.5) {
                let b = open.remove(i);
                free_slots.push(b.slot);
                g.merge(b)?;
                continue;
            }
        }
        // Branches are opened whenever merges (done and due) fall behind
        // the requested fraction, so it is met however long branches stay
        // open; at most 4 are open at a time.
        let behind = ((g.merges + open.len()) as f64) < f * (g.commits + 1) as f64;
        if behind && open.len() < 4 && budget > open.len() + 2 && g.rng.chance(0.5) {
            if let Some(first) = g.free_comp() {
                // A topic branch: 70% within one component, else 2–4.
                let extra = if g.rng.chance(0.7) { 0 } else { g.rng.range(1, 4) };
                let comps = g.more_comps(first, extra);
                for &c in &comps {
                    g.reserved[c] = true;
                }
                let slot = free_slots.pop().unwrap_or_else(|| {
                    next_slot += 1;
                    next_slot - 1
                });
                topics += 1;
                let topic = format!("topic/{}-{topics}", g.comps[comps[0]].name);
                g.touched = Some(Touched::new());
                let refname = format!("refs/heads/topic/{slot}");
                let tip = g.change_commit(&refname, Some(g.main_tip), &comps, grow)?;
                let touched = g.touched.take().expect("set above");
                let left = g.rng.below(5);
                open.push(Branch { slot, comps, left, tip, touched, topic });
                continue;
            }
        }
        // Branch commits come at about the rate branches need them (each
        // wants 2 on average after its first).
        let branch_turn = g.rng.chance((3.0 * f).min(0.5));
        if let (true, Some(i)) = (branch_turn, open.iter().position(|b| b.left > 0)) {
            g.touched = Some(std::mem::take(&mut open[i].touched));
            let comps = open[i].comps.clone();
            let refname = format!("refs/heads/topic/{}", open[i].slot);
            let tip = g.change_commit(&refname, None, &comps, grow)?;
            let b = &mut open[i];
            b.touched = g.touched.take().expect("set above");
            b.tip = tip;
            b.left -= 1;
            continue;
        }
        // A commit on main: 85% within one component, else 2–3; or, in
        // the histories that have them, a wide one.
        let Some(first) = g.free_comp() else { continue };
        if let Some((share, lo, hi)) = h.wide.filter(|_| budget > open.len() + 1) {
            if g.rng.chance(share) {
                let extra = g.rng.range(lo, hi);
                let comps = g.more_comps(first, extra);
                g.wide_commit(&comps, grow)?;
                continue;
            }
        }
        let extra = if g.rng.chance(0.85) { 0 } else { g.rng.range(1, 3) };
        let comps = g.more_comps(first, extra);
        g.main_tip = g.change_commit("refs/heads/main", None, &comps, grow)?;
    }
    g.out.write_all(b"done\n")?;
    g.out.flush()?;
    Ok(Stats { files: g.live_files, bytes: g.live_bytes, commits: g.commits, merges: g.merges, seconds: 0.0 })
}
