//! Path -> owning teams, with packages resolved against one tree.
//!
//! Every pattern of every team (paths, the directories of resolved packages
//! and their carve-outs, excludes, shared) goes into one flat list. A tree is
//! walked with a directory stack: each directory's automaton states are
//! computed once from its parent's, so a file costs one step per pattern that
//! is still undecided in its directory, and nothing for the others.

mod build;
pub mod layouts;
pub mod packages;
mod tree_files;

use std::collections::{BTreeSet, HashMap};

pub use tree_files::TreeFiles;

use crate::manifest::{Loc, Manifest, PackageSpec};
use crate::odb::TreeListing;
use crate::pattern::{DirMatch, Pattern, State};
use packages::{FileSource, PackageError, Resolution};

/// Who a rule belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Owner {
    /// The manifest's `shared` section: every team keeps it.
    Shared,
    /// A team, by index into [`Ownership::team_names`].
    Team(usize),
}

/// Why a pattern is in the matcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// A `paths` entry.
    Path,
    /// A directory of a resolved package (index into `packages`).
    Package(usize),
    /// A nested package carved out of package `.0`.
    CarveOut(usize),
    /// An `exclude` entry.
    Exclude,
}

#[derive(Debug)]
struct Pat {
    pattern: Pattern,
    owner: Owner,
    role: Role,
    /// Include item this pattern selects for; `usize::MAX` for carve-outs and excludes.
    item: usize,
    /// Manifest location (packages: where the package is named).
    loc: Loc,
}

/// One include: a path pattern, or a package's directories minus its carve-outs.
#[derive(Debug)]
struct Item {
    owner: Owner,
    /// The patterns selecting for this item.
    selects: Vec<u32>,
    carve_outs: Vec<u32>,
}

/// A package reference and where it resolved.
#[derive(Clone, Debug)]
pub struct ResolvedPackage {
    /// The team (or shared) that named it.
    pub owner: Owner,
    /// The package (for a glob, the name it matched).
    pub spec: PackageSpec,
    /// The selector as the manifest writes it (a glob, or `spec`).
    pub selector: PackageSpec,
    /// What the plan should say about the choice (see [`packages::Selected::notes`]).
    pub notes: Vec<String>,
    /// Where in the manifest.
    pub loc: Loc,
    /// Its directories.
    pub resolution: Resolution,
}

/// A package that could not be resolved, with its place in the manifest.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{}:{}: {error}", .loc.line, .loc.col)]
pub struct OwnershipError {
    /// The manifest file.
    pub file: String,
    /// Where the package is named.
    pub loc: Loc,
    /// What went wrong (shown in the message, so not a `source`).
    pub error: PackageError,
}

/// Every package of a manifest that could not be resolved (at least one),
/// in manifest order.
#[derive(Debug, thiserror::Error)]
#[error("{}", list_errors(.0))]
pub struct OwnershipErrors(pub Vec<OwnershipError>);

/// One error as itself; several as a count, then one per line.
fn list_errors(errors: &[OwnershipError]) -> String {
    match errors {
        [one] => one.to_string(),
        many => {
            let lines: Vec<String> = many.iter().map(|e| format!("  {e}")).collect();
            format!("{} packages do not resolve:\n{}", many.len(), lines.join("\n"))
        }
    }
}

/// The owners of one path.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Owners {
    /// Owning teams, sorted by index.
    pub teams: Box<[u16]>,
    /// True if the `shared` section selects it.
    pub shared: bool,
}

impl Owners {
    /// True if `team` keeps this file (it owns it, or it is shared).
    pub fn kept_by(&self, team: usize) -> bool {
        self.shared || self.teams.contains(&(team as u16))
    }

    /// True if nobody owns it and it is not shared.
    pub fn is_unowned(&self) -> bool {
        !self.shared && self.teams.is_empty()
    }
}

/// What made a team own (or not own) a path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// A path pattern matched.
    Pattern(String),
    /// A package's directory holds the path.
    Package(String),
    /// An exclude pattern took it away.
    Excluded(String),
    /// The path is in a nested package carved out of this one.
    CarvedOut {
        /// The package that would have owned it.
        package: String,
        /// The innermost nested package directory holding the path, or the
        /// path itself when it is a file of another package (a JVM source
        /// file).
        dir: String,
        /// The nested package, as `kind:name`, when its manifest names it.
        nested: Option<String>,
    },
}

/// Why each owner holds a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// Who owns it.
    pub owners: Owners,
    /// Every rule that matched, by owner, sorted.
    pub reasons: Vec<(Owner, Reason)>,
    /// The rule that took the path from the rules that matched it, when
    /// one did: the innermost nested package holding it (carved out of the
    /// innermost package around it), else the first exclude. See
    /// [`Ownership::why_not`].
    pub taken_by: Option<(Owner, Reason)>,
}

/// Why every file of a tree is owned as it is.
#[derive(Clone, Debug, Default)]
pub struct Explained {
    /// Parallel to the listing's files: an index into `explanations`.
    pub of_file: Vec<u32>,
    /// The distinct explanations, in the order first met.
    pub explanations: Vec<Explanation>,
}

/// A pattern that matched no file of the tree.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StalePattern {
    /// Whose.
    pub owner: Owner,
    /// As written.
    pub pattern: String,
    /// True for an `exclude` entry.
    pub exclude: bool,
    /// Where.
    pub loc: Loc,
}

/// The owners of every file of a tree listing.
#[derive(Debug)]
pub struct Assignment {
    /// Parallel to the listing's files.
    pub owners: Vec<Owners>,
    used: Vec<bool>,
}

/// The compiled ownership rules of a manifest against one tree.
#[derive(Debug)]
pub struct Ownership {
    team_names: Vec<String>,
    pats: Vec<Pat>,
    items: Vec<Item>,
    /// Every package reference with its resolution, in manifest order.
    pub packages: Vec<ResolvedPackage>,
    /// The nested package each carve-out pattern (by index) is, as
    /// `kind:name`, when its manifest names it.
    nested: HashMap<u32, String>,
    /// Package manifests in the tree that could not be parsed: (path, reason).
    pub skipped_manifests: Vec<(String, String)>,
}

impl Ownership {
    /// Compiles the manifest, resolving packages against `files`; every
    /// package that does not resolve is in the error, so one run says
    /// all there is to fix.
    pub fn new(manifest: &Manifest, files: &dyn FileSource) -> Result<Ownership, OwnershipErrors> {
        let (o, unresolved) =
            Ownership::new_lenient(manifest, files).map_err(|e| OwnershipErrors(vec![e]))?;
        match unresolved.is_empty() {
            true => Ok(o),
            false => Err(OwnershipErrors(unresolved.into_iter().map(|(_, e)| e).collect())),
        }
    }

    /// Like [`Ownership::new`], but a package that resolves to nothing is
    /// left out (it owns nothing) and returned, with whose it is, beside the
    /// rules instead of failing: `check` reports it as drift. A tree that
    /// cannot be read still fails.
    pub fn new_lenient(
        manifest: &Manifest,
        files: &dyn FileSource,
    ) -> Result<(Ownership, Vec<(Owner, OwnershipError)>), OwnershipError> {
        Ownership::build(manifest, files, None)
    }

    /// The rules of `manifest` for one commit of history, `files` holding
    /// (at least) the commit's package manifests: every package of a
    /// workspace kind is resolved in `files`, leniently (one the commit
    /// lacks owns nothing there), while JVM packages, which come from every
    /// source file rather than from manifests, keep their resolution in
    /// `split` (the rules at the split ref).
    pub fn at_commit(
        manifest: &Manifest,
        files: &dyn FileSource,
        split: &Ownership,
    ) -> Result<Ownership, OwnershipError> {
        Ownership::build(manifest, files, Some(split)).map(|(o, _)| o)
    }

    /// True if `other` resolved every package as `self` did: then both
    /// give every path the same owners.
    pub fn same_packages(&self, other: &Ownership) -> bool {
        self.packages.len() == other.packages.len()
            && self.packages.iter().zip(&other.packages).all(|(a, b)| {
                (a.owner, a.loc, &a.spec, &a.resolution) == (b.owner, b.loc, &b.spec, &b.resolution)
            })
    }

    /// Team names, in manifest (sorted) order; `Owner::Team(i)` indexes this.
    pub fn team_names(&self) -> &[String] {
        &self.team_names
    }

    /// Decides ownership from the set of patterns that match a path.
    fn evaluate(&self, matched: &[u32]) -> Owners {
        let mut included: BTreeSet<Owner> = BTreeSet::new();
        let mut excluded: BTreeSet<Owner> = BTreeSet::new();
        for &p in matched {
            let pat = &self.pats[p as usize];
            match pat.role {
                Role::Path | Role::Package(_) => {
                    let item = &self.items[pat.item];
                    if !item.carve_outs.iter().any(|c| matched.contains(c)) {
                        included.insert(pat.owner);
                    }
                }
                Role::Exclude => {
                    excluded.insert(pat.owner);
                }
                Role::CarveOut(_) => {}
            }
        }
        let mut owners = Owners::default();
        let mut teams = Vec::new();
        for o in included.difference(&excluded) {
            match o {
                Owner::Shared => owners.shared = true,
                Owner::Team(t) => teams.push(*t as u16),
            }
        }
        owners.teams = teams.into_boxed_slice();
        owners
    }

    fn matched_by_path(&self, path: &[u8]) -> Vec<u32> {
        (0..self.pats.len() as u32).filter(|&p| self.pats[p as usize].pattern.is_match(path)).collect()
    }

    /// Who owns `path`.
    pub fn owners(&self, path: &[u8]) -> Owners {
        self.evaluate(&self.matched_by_path(path))
    }

    /// Who owns `path`, and every rule that says so (or says otherwise).
    pub fn explain(&self, path: &[u8]) -> Explanation {
        self.explain_matched(&self.matched_by_path(path))
    }

    /// The explanation of a path that exactly the patterns `matched` match.
    fn explain_matched(&self, matched: &[u32]) -> Explanation {
        let owners = self.evaluate(matched);
        let mut reasons = BTreeSet::new();
        // The innermost carve-out, then the innermost package around it:
        // (carve-out length, package directory length, the reason).
        let mut innermost: Option<(usize, usize, (Owner, Reason))> = None;
        for &p in matched {
            let pat = &self.pats[p as usize];
            let reason = match pat.role {
                Role::Path => Reason::Pattern(pat.pattern.as_str().to_string()),
                Role::Package(k) => {
                    let item = &self.items[pat.item];
                    let spec = self.packages[k].spec.to_string();
                    // The deepest carve-out holding the path is the package
                    // it is a file of.
                    let carved = item
                        .carve_outs
                        .iter()
                        .filter(|c| matched.contains(c))
                        .max_by_key(|&&c| self.pats[c as usize].pattern.as_str().len());
                    match carved {
                        Some(&c) => {
                            let dir = self.pats[c as usize].pattern.as_str().to_string();
                            let nested = self.nested.get(&c).cloned();
                            let reason = Reason::CarvedOut { package: spec, dir, nested };
                            let depth =
                                (self.pats[c as usize].pattern.as_str().len(), pat.pattern.as_str().len());
                            if innermost.as_ref().is_none_or(|(a, b, _)| depth > (*a, *b)) {
                                innermost = Some((depth.0, depth.1, (pat.owner, reason.clone())));
                            }
                            reason
                        }
                        None => Reason::Package(spec),
                    }
                }
                Role::Exclude => Reason::Excluded(pat.pattern.as_str().to_string()),
                Role::CarveOut(_) => continue,
            };
            reasons.insert((pat.owner, reason));
        }
        let reasons: Vec<(Owner, Reason)> = reasons.into_iter().collect();
        let taken_by = innermost
            .map(|(_, _, r)| r)
            .or_else(|| reasons.iter().find(|(_, r)| matches!(r, Reason::Excluded(_))).cloned());
        Explanation { owners, reasons, taken_by }
    }

    /// Why the rules that match a path do not give it to their owners, as
    /// one sentence (`None` when nothing took it away): the exclude, or the
    /// nested package holding it and the package it is carved out of. What
    /// `owners` says and what `check`'s hint starts with.
    pub fn why_not(&self, path: &[u8], e: &Explanation) -> Option<String> {
        let (owner, reason) = e.taken_by.as_ref()?;
        let whose = match owner {
            Owner::Shared => "`shared`".to_string(),
            Owner::Team(t) => format!("team `{}`", self.team_names[*t]),
        };
        Some(match reason {
            Reason::Excluded(pattern) => format!("{whose} excludes it with `{pattern}`"),
            Reason::CarvedOut { package, dir, .. } if dir.as_bytes() == path => {
                format!("it is a source file of another package, carved out of `{package}` ({whose})")
            }
            Reason::CarvedOut { package, dir, nested: Some(nested) } => {
                format!("it lies in `{dir}/`, the package `{nested}`, carved out of `{package}` ({whose})")
            }
            Reason::CarvedOut { package, dir, nested: None } => {
                format!("it lies in `{dir}/`, a nested package carved out of `{package}` ({whose})")
            }
            Reason::Pattern(_) | Reason::Package(_) => return None,
        })
    }

    /// Combines per-pattern coverages into `owner`'s coverage of a directory.
    fn owner_class(&self, owner: Owner, class: impl Fn(u32) -> DirMatch) -> DirMatch {
        let mut include = DirMatch::None;
        for item in self.items.iter().filter(|i| i.owner == owner) {
            let selected = union(item.selects.iter().map(|&p| class(p)));
            let carved = union(item.carve_outs.iter().map(|&p| class(p)));
            include = union([include, minus(selected, carved)]);
            if include == DirMatch::Whole {
                break;
            }
        }
        if include == DirMatch::None {
            return DirMatch::None;
        }
        let excluded = union(
            self.pats
                .iter()
                .enumerate()
                .filter(|(_, p)| p.owner == owner && p.role == Role::Exclude)
                .map(|(i, _)| class(i as u32)),
        );
        minus(include, excluded)
    }

    /// How `owner`'s rules cover a directory: every path below it, none, or some.
    pub fn classify_dir(&self, owner: Owner, dir: &[u8]) -> DirMatch {
        self.owner_class(owner, |p| self.pats[p as usize].pattern.classify_dir(dir))
    }

    /// How a team's repository covers a directory: its own files plus shared ones.
    pub fn keep_class(&self, team: usize, dir: &[u8]) -> DirMatch {
        union([self.classify_dir(Owner::Team(team), dir), self.classify_dir(Owner::Shared, dir)])
    }

    /// Paths every file `team` keeps (its own or a shared one) lies at or
    /// below: the literal prefixes of each including rule (paths and
    /// package directories) of the team and of `shared`. Excludes and
    /// carve-outs only take files away, so they add none. `None` when a
    /// rule may match anywhere (its first segment is a glob or `**`, or a
    /// package is the whole repository).
    pub fn keep_prefixes(&self, team: usize) -> Option<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        for p in &self.pats {
            let keeps = matches!(p.owner, Owner::Shared) || p.owner == Owner::Team(team);
            if keeps && matches!(p.role, Role::Path | Role::Package(_)) {
                for prefix in p.pattern.literal_prefixes() {
                    if prefix.is_empty() {
                        return None;
                    }
                    out.push(prefix);
                }
            }
        }
        // One below another adds nothing: keep the shorter.
        out.sort();
        out.dedup();
        let all: std::collections::HashSet<&[u8]> = out.iter().map(Vec::as_slice).collect();
        let above = |p: &[u8]| p.iter().enumerate().any(|(i, &b)| b == b'/' && all.contains(&p[..i]));
        let minimal = out.iter().filter(|p| !above(p)).cloned().collect();
        Some(minimal)
    }

    /// Owners of every file of a tree, in one pass with a directory stack.
    pub fn assign(&self, listing: &TreeListing) -> Assignment {
        let mut used = vec![false; self.pats.len()];
        let mut owners = Vec::with_capacity(listing.files.len());
        let mut matched = Vec::new();
        self.walk(listing, |frame, name| {
            if frame.alive.is_empty() {
                // Every file of this directory has the same owners.
                if frame.settled.is_none() {
                    for &p in &frame.accepted {
                        used[p as usize] = true;
                    }
                    frame.settled = Some(self.evaluate(&frame.accepted));
                }
                owners.push(frame.settled.clone().expect("just set"));
                return;
            }
            frame.file_matches(self, name, &mut matched);
            for &p in &matched {
                used[p as usize] = true;
            }
            owners.push(self.evaluate(&matched));
        });
        Assignment { owners, used }
    }

    /// Why every file of a tree is owned as it is, in one pass: files whose
    /// rules match alike share one [`Explanation`].
    pub fn explain_all(&self, listing: &TreeListing) -> Explained {
        let mut ids: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut out =
            Explained { of_file: Vec::with_capacity(listing.files.len()), explanations: Vec::new() };
        let mut matched = Vec::new();
        self.walk(listing, |frame, name| {
            frame.file_matches(self, name, &mut matched);
            matched.sort_unstable();
            let id = match ids.get(matched.as_slice()) {
                Some(&id) => id,
                None => {
                    let id = ids.len() as u32;
                    ids.insert(matched.clone(), id);
                    out.explanations.push(self.explain_matched(&matched));
                    id
                }
            };
            out.of_file.push(id);
        });
        out
    }

    /// How many files of `listing` each package (indexed as
    /// [`Ownership::packages`]) gives its owner: files it selects that are
    /// neither carved out of it nor excluded by its owner.
    pub fn package_file_counts(&self, listing: &TreeListing) -> Vec<u64> {
        let mut counts = vec![0u64; self.packages.len()];
        let mut matched = Vec::new();
        let mut counted: Vec<usize> = Vec::new();
        self.walk(listing, |frame, name| {
            frame.file_matches(self, name, &mut matched);
            counted.clear();
            for &p in &matched {
                let pat = &self.pats[p as usize];
                let Role::Package(k) = pat.role else { continue };
                let carved = self.items[pat.item].carve_outs.iter().any(|c| matched.contains(c));
                let excluded = matched.iter().any(|&q| {
                    let q = &self.pats[q as usize];
                    q.role == Role::Exclude && q.owner == pat.owner
                });
                // A package of several directories counts a file once.
                if !carved && !excluded && !counted.contains(&k) {
                    counted.push(k);
                    counts[k] += 1;
                }
            }
        });
        counts
    }

    /// Calls `each` with the automaton frame of its directory and its name,
    /// for every file of `listing` in order.
    fn walk(&self, listing: &TreeListing, mut each: impl FnMut(&mut Frame, &[u8])) {
        let root = Frame::root(self);
        // stack[i] describes the directory made of the first i components.
        let mut stack: Vec<(Vec<u8>, Frame)> = vec![(Vec::new(), root)];
        for f in &listing.files {
            let (dir, name) = split_parent(&f.path);
            // Pop frames that are not ancestors of this file's directory.
            while stack.len() > 1 {
                let top = &stack.last().expect("root frame").0;
                if dir.len() >= top.len()
                    && dir.starts_with(top)
                    && (dir.len() == top.len() || dir[top.len()] == b'/')
                {
                    break;
                }
                stack.pop();
            }
            // Push the missing components.
            loop {
                let top_len = stack.last().expect("root frame").0.len();
                if top_len == dir.len() {
                    break;
                }
                let start = if top_len == 0 { 0 } else { top_len + 1 };
                let end = dir[start..].iter().position(|&b| b == b'/').map_or(dir.len(), |p| start + p);
                let frame = stack.last().expect("root frame").1.enter(self, &dir[start..end]);
                stack.push((dir[..end].to_vec(), frame));
            }
            each(&mut stack.last_mut().expect("root frame").1, name);
        }
    }

    /// The cursor at the repository root, for walking trees directory by directory.
    pub fn root_cursor(&self) -> Cursor {
        Cursor(Frame::root(self))
    }

    /// The cursor of the subdirectory `name` of `c`'s directory.
    pub fn enter(&self, c: &Cursor, name: &[u8]) -> Cursor {
        Cursor(c.0.enter(self, name))
    }

    /// The owners of the file `name` in `c`'s directory.
    pub fn file_owners(&self, c: &Cursor, name: &[u8]) -> Owners {
        let mut matched = Vec::new();
        c.0.file_matches(self, name, &mut matched);
        self.evaluate(&matched)
    }

    /// How a team's repository (its files plus shared ones) covers `c`'s
    /// directory; the same answer as [`Ownership::keep_class`], from the
    /// cursor's states instead of the path.
    pub fn cursor_keep_class(&self, c: &Cursor, team: usize) -> DirMatch {
        let class = |p: u32| -> DirMatch {
            if c.0.accepted.binary_search(&p).is_ok() {
                return DirMatch::Whole;
            }
            match c.0.alive.binary_search_by_key(&p, |&(q, _)| q) {
                Ok(k) => self.pats[p as usize].pattern.classify(c.0.alive[k].1),
                Err(_) => DirMatch::None,
            }
        };
        union([self.owner_class(Owner::Team(team), class), self.owner_class(Owner::Shared, class)])
    }

    /// Path and exclude patterns that matched no file in the assignment's tree.
    pub fn stale_patterns(&self, assignment: &Assignment) -> Vec<StalePattern> {
        let mut out: Vec<StalePattern> = self
            .pats
            .iter()
            .zip(&assignment.used)
            .filter(|(p, used)| !**used && matches!(p.role, Role::Path | Role::Exclude))
            .map(|(p, _)| StalePattern {
                owner: p.owner,
                pattern: p.pattern.as_str().to_string(),
                exclude: p.role == Role::Exclude,
                loc: p.loc,
            })
            .collect();
        // Manifest order: the report reads top to bottom like the file.
        out.sort_by(|a, b| (a.loc, &a.pattern).cmp(&(b.loc, &b.pattern)));
        out
    }
}

/// Where a tree walk is: the automaton states of one directory.
#[derive(Clone, Debug)]
pub struct Cursor(Frame);

/// Automaton states of every undecided pattern in one directory.
#[derive(Clone, Debug)]
struct Frame {
    alive: Vec<(u32, State)>,
    accepted: Vec<u32>,
    settled: Option<Owners>,
}

impl Frame {
    fn root(o: &Ownership) -> Frame {
        let mut f = Frame { alive: Vec::new(), accepted: Vec::new(), settled: None };
        for (i, p) in o.pats.iter().enumerate() {
            let s = p.pattern.start();
            if p.pattern.is_accepting(s) {
                f.accepted.push(i as u32);
            } else {
                f.alive.push((i as u32, s));
            }
        }
        f
    }

    /// The patterns matching the file `name` of this directory, into `out`.
    fn file_matches(&self, o: &Ownership, name: &[u8], out: &mut Vec<u32>) {
        out.clear();
        out.extend_from_slice(&self.accepted);
        for &(p, s) in &self.alive {
            let pat = &o.pats[p as usize].pattern;
            if pat.is_accepting(pat.step(s, name)) {
                out.push(p);
            }
        }
    }

    fn enter(&self, o: &Ownership, name: &[u8]) -> Frame {
        let mut f = Frame { alive: Vec::new(), accepted: self.accepted.clone(), settled: None };
        for &(p, s) in &self.alive {
            let pat = &o.pats[p as usize].pattern;
            let next = pat.step(s, name);
            if pat.is_accepting(next) {
                f.accepted.push(p);
            } else if !next.is_dead() {
                f.alive.push((p, next));
            }
        }
        f.accepted.sort_unstable();
        f
    }
}

fn split_parent(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (&[], path),
    }
}

/// Union of coverages: Whole if any is whole, None if all are none.
fn union(classes: impl IntoIterator<Item = DirMatch>) -> DirMatch {
    classes.into_iter().max().unwrap_or(DirMatch::None)
}

/// `a` minus `b`.
fn minus(a: DirMatch, b: DirMatch) -> DirMatch {
    match (a, b) {
        (_, DirMatch::Whole) | (DirMatch::None, _) => DirMatch::None,
        (DirMatch::Whole, DirMatch::None) => DirMatch::Whole,
        _ => DirMatch::Partial,
    }
}

#[cfg(test)]
mod tests;
