//! The plan: a value saying what each team's repository keeps and loses at
//! one revision. `plan` prints it, `check` judges it, `apply` realises it.

use serde::Serialize;

use crate::manifest::{Loc, Manifest};
use crate::odb::{Repo, ResolvedRev, TreeFile, TreeListing};
use crate::ownership::{Assignment, Owner, Owners, Ownership, OwnershipErrors, TreeFiles};

/// Files and bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Number of files (blobs, symlinks, gitlinks).
    pub files: u64,
    /// Sum of blob sizes.
    pub bytes: u64,
}

impl Tally {
    fn add(&mut self, bytes: u64) {
        self.files += 1;
        self.bytes += bytes;
    }
}

/// One line of a collapsed list of files: a file, or a directory all of
/// whose files are in the list (what a team removes or keeps, what no team
/// owns).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Collapsed {
    /// The path (a directory ends with `/`).
    pub path: String,
    /// Files and bytes of the list under it.
    #[serde(flatten)]
    pub tally: Tally,
}

/// A package reference and the directories it resolved to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackagePlan {
    /// The package: the reference as written, or the name a glob matched.
    pub package: String,
    /// The selector as the manifest writes it (differs from `package` for a glob).
    pub selector: String,
    /// Notes on the choice: a Python project selected by a name that is
    /// also another project's import package.
    pub notes: Vec<String>,
    /// The kind it resolved as.
    pub kind: String,
    /// Directories holding it.
    pub paths: Vec<String>,
    /// Single files of it outside `paths` (JVM source files).
    pub files: Vec<String>,
    /// Nested packages' directories that it does not own.
    pub carve_outs: Vec<String>,
    /// Single files under `paths` that it does not own (JVM source files
    /// of other packages).
    pub carved_files: Vec<String>,
    /// Files it gives its owner: 0 when every file it resolves to is carved
    /// out or excluded, which `plan` warns about.
    pub owned_files: u64,
}

/// What one team keeps and loses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TeamPlan {
    /// Team name.
    pub name: String,
    /// Directory hoisted to the repository root, if any.
    pub root: Option<String>,
    /// Files kept (owned or shared).
    pub kept_files: u64,
    /// Bytes kept.
    pub kept_bytes: u64,
    /// Files removed.
    pub removed_files: u64,
    /// Bytes removed.
    pub removed_bytes: u64,
    /// Files the team owns itself (not through `shared`).
    pub owned_files: u64,
    /// Owned or shared files that `root` leaves out of the repository.
    pub outside_root_files: u64,
    /// Packages named by the team.
    pub packages: Vec<PackagePlan>,
    /// Removals collapsed to the highest directories removed whole, by path.
    pub removed: Vec<Collapsed>,
    /// What the team keeps, collapsed the same way (monolith paths).
    pub kept: Vec<Collapsed>,
    /// What the split breaks: references from kept files into removed ones
    /// (filled in by the dependency analysis; `None` until it has run).
    pub breaks: Option<BreakSummary>,
    /// What `history: {follow_renames}` adds to its history (filled in by
    /// a walk of history for `plan --team`; `None` until then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow: Option<FollowPlan>,
}

/// What following renames adds to a team's history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FollowPlan {
    /// Earlier paths kept for files moved into the team's (a file moved
    /// twice has two).
    pub earlier_paths: u64,
    /// Commits kept for those paths alone.
    pub extra_commits: u64,
    /// A rename search hit a bound: some history may stop early.
    pub limited: bool,
}

/// The references a team's split breaks, in figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BreakSummary {
    /// Breaking references.
    pub references: u64,
    /// Kept files that hold them.
    pub files: u64,
    /// Per owner of the targets (`team: None` for unowned files), most references first.
    pub into: Vec<BreakInto>,
}

/// The breaking references into one team's (or nobody's) files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BreakInto {
    /// The owning team; `None` for unowned files.
    pub team: Option<String>,
    /// References.
    pub references: u64,
}

/// A file two or more teams own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overlap {
    /// The path.
    pub path: String,
    /// The owning teams, sorted.
    pub teams: Vec<String>,
}

/// A pattern matching no file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stale {
    /// The team, or `null` for the `shared` section.
    pub team: Option<String>,
    /// As written.
    pub pattern: String,
    /// `paths` or `exclude`.
    pub field: &'static str,
    /// Manifest line.
    pub line: u64,
    /// Manifest column.
    pub column: u64,
}

/// A revision's split, team by team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The commit the plan was made for.
    #[serde(rename = "ref")]
    pub commit: String,
    /// The revision as named.
    pub ref_name: String,
    /// Every file of the tree.
    pub total: Tally,
    /// Teams (all, or those selected), in manifest order.
    pub teams: Vec<TeamPlan>,
    /// Packages of the `shared` section.
    pub shared_packages: Vec<PackagePlan>,
    /// Files that no team owns and that are not shared: lost by every team.
    pub unowned: Vec<String>,
    /// The same files, collapsed to the highest directories none of whose
    /// files any team owns.
    pub unowned_collapsed: Vec<Collapsed>,
    /// Files owned by several teams (duplicated on purpose, or by mistake).
    pub overlaps: Vec<Overlap>,
    /// Patterns that match nothing.
    pub stale_patterns: Vec<Stale>,
    /// Package manifests in the tree that could not be parsed.
    pub skipped_manifests: Vec<SkippedManifest>,
}

/// A package manifest that package resolution could not read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkippedManifest {
    /// Its path.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Reading the repository failed.
    #[error(transparent)]
    Git(#[from] crate::odb::GitError),
    /// A package did not resolve.
    #[error(transparent)]
    Ownership(#[from] OwnershipErrors),
    /// `--team` named a team the manifest does not define.
    #[error("unknown team `{team}`{}", crate::util::suggest::did_you_mean(.candidates))]
    UnknownTeam {
        /// As given.
        team: String,
        /// Close names.
        candidates: Vec<String>,
    },
}

/// The tree of a revision and the ownership rules compiled against it.
pub struct Snapshot {
    /// The revision.
    pub rev: ResolvedRev,
    /// Its files.
    pub listing: TreeListing,
    /// The rules, packages resolved in this tree.
    pub ownership: Ownership,
    /// Files whose blob the repository does not have (a partial clone),
    /// by index in `listing`: their size counts as 0.
    pub missing_blobs: Vec<usize>,
}

impl Snapshot {
    /// Lists `rev`'s tree and resolves the manifest against it, without
    /// reading blob sizes (every size is 0): for what needs no sizes.
    pub fn load_unsized(repo: &Repo, manifest: &Manifest, rev: ResolvedRev) -> Result<Snapshot, PlanError> {
        let listing = repo.list_tree_unsized(rev.tree)?;
        let ownership = Ownership::new(manifest, &TreeFiles::new(repo, &listing))?;
        Ok(Snapshot { rev, listing, ownership, missing_blobs: Vec::new() })
    }

    /// Lists `rev`'s tree with blob sizes and resolves the manifest against it.
    pub fn load(repo: &Repo, manifest: &Manifest, rev: ResolvedRev) -> Result<Snapshot, PlanError> {
        let mut listing = repo.list_tree_unsized(rev.tree)?;
        // Sizes (an object header each) are read on other threads while
        // packages resolve and patterns compile here.
        let git_dir = repo.raw().path().to_path_buf();
        let packs = repo.packs();
        let read = || crate::odb::blob_sizes(packs, &git_dir, &listing.files);
        let (sizes, ownership) = std::thread::scope(|s| {
            let read = &read;
            // One after the other when the system starts no thread.
            let reading = std::thread::Builder::new().spawn_scoped(s, read).ok();
            let ownership = Ownership::new(manifest, &TreeFiles::new(repo, &listing));
            let sizes = match reading {
                Some(h) => h.join().expect("size reader panicked"),
                None => read(),
            };
            (sizes, ownership)
        });
        let mut missing_blobs = Vec::new();
        for (i, (f, size)) in listing.files.iter_mut().zip(sizes?).enumerate() {
            match size {
                Some(size) => f.size = size,
                None => missing_blobs.push(i),
            }
        }
        Ok(Snapshot { rev, listing, ownership: ownership?, missing_blobs })
    }
}

/// Checks `--team` names against the manifest, returning their indices
/// (all teams when `selected` is empty).
pub fn select_teams(manifest: &Manifest, selected: &[String]) -> Result<Vec<usize>, PlanError> {
    if selected.is_empty() {
        return Ok((0..manifest.teams.len()).collect());
    }
    let mut out = Vec::new();
    for name in selected {
        match manifest.teams.iter().position(|t| &t.name == name) {
            Some(i) => out.push(i),
            None => {
                let names: Vec<&str> = manifest.teams.iter().map(|t| t.name.as_str()).collect();
                return Err(PlanError::UnknownTeam {
                    team: name.clone(),
                    candidates: crate::util::suggest::closest(name, &names),
                });
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The files a team's repository holds at a tree whose files have
/// `owners`: what the team keeps (its own files and shared ones), each with
/// its path there (`root` hoisted; what lies outside it left out).
pub fn team_files<'a>(
    listing: &'a TreeListing,
    owners: &'a [Owners],
    team: usize,
    root: Option<&str>,
) -> impl Iterator<Item = (Vec<u8>, &'a TreeFile)> + 'a {
    let prefix = root.map(|r| format!("{}/", r.trim_matches('/')).into_bytes());
    listing.files.iter().zip(owners).filter(move |(_, o)| o.kept_by(team)).filter_map(move |(f, _)| {
        match &prefix {
            Some(p) => f.path.strip_prefix(p.as_slice()).map(|rest| (rest.to_vec(), f)),
            None => Some((f.path.clone(), f)),
        }
    })
}

/// The paths of [`team_files`], sorted.
pub fn team_paths(listing: &TreeListing, owners: &[Owners], team: usize, root: Option<&str>) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = team_files(listing, owners, team, root).map(|(p, _)| p).collect();
    out.sort_unstable();
    out
}

fn lossy(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

fn package_plans(o: &Ownership, owner: Owner, owned: &[u64]) -> Vec<PackagePlan> {
    o.packages
        .iter()
        .zip(owned)
        .filter(|(p, _)| p.owner == owner)
        .map(|(p, &owned_files)| PackagePlan {
            package: p.spec.to_string(),
            selector: p.selector.to_string(),
            notes: p.notes.clone(),
            kind: p.resolution.kind.to_string(),
            paths: p.resolution.dirs.iter().map(|d| lossy(d)).collect(),
            files: p.resolution.files.iter().map(|d| lossy(d)).collect(),
            carve_outs: p.resolution.carve_outs.iter().map(|d| lossy(d)).collect(),
            carved_files: p.resolution.carved_files.iter().map(|d| lossy(d)).collect(),
            owned_files,
        })
        .collect()
}

fn under(path: &[u8], dir: &[u8]) -> bool {
    path.len() > dir.len() && path.starts_with(dir) && path[dir.len()] == b'/'
}

/// Computes the plan for `teams` (indices into the manifest's teams).
pub fn compute(manifest: &Manifest, snap: &Snapshot, teams: &[usize]) -> Plan {
    let o = &snap.ownership;
    let files = &snap.listing.files;
    let assignment: Assignment = o.assign(&snap.listing);
    let owned = if o.packages.is_empty() { Vec::new() } else { o.package_file_counts(&snap.listing) };
    let names = o.team_names();
    let (total, unowned, overlaps) = totals(files, &assignment.owners, names);
    let mut walk = walk_teams(manifest, files, &assignment.owners, teams);
    let team_plans = teams
        .iter()
        .zip(walk.stats)
        .enumerate()
        .map(|(k, (&t, st))| {
            let team = &manifest.teams[t];
            TeamPlan {
                name: team.name.clone(),
                root: team.root.clone(),
                kept_files: st.kept.files,
                kept_bytes: st.kept.bytes,
                removed_files: st.removed.files,
                removed_bytes: st.removed.bytes,
                owned_files: st.owned,
                outside_root_files: st.outside_root,
                packages: package_plans(o, Owner::Team(t), &owned),
                removed: std::mem::take(&mut walk.removed[k]),
                kept: std::mem::take(&mut walk.kept[k]),
                breaks: None,
                follow: None,
            }
        })
        .collect();
    Plan {
        commit: snap.rev.commit.to_string(),
        ref_name: snap.rev.name.clone(),
        total,
        teams: team_plans,
        shared_packages: package_plans(o, Owner::Shared, &owned),
        unowned,
        unowned_collapsed: walk.unowned,
        overlaps,
        stale_patterns: stale(o, &assignment, names),
        skipped_manifests: o
            .skipped_manifests
            .iter()
            .map(|(path, reason)| SkippedManifest { path: path.clone(), reason: reason.clone() })
            .collect(),
    }
}

/// The tree's total, the files no team owns, and those several own.
fn totals(files: &[TreeFile], owners: &[Owners], names: &[String]) -> (Tally, Vec<String>, Vec<Overlap>) {
    let mut total = Tally::default();
    let mut unowned = Vec::new();
    let mut overlaps = Vec::new();
    for (f, own) in files.iter().zip(owners) {
        total.add(f.size);
        if own.is_unowned() {
            unowned.push(lossy(&f.path));
        } else if own.teams.len() > 1 {
            overlaps.push(Overlap {
                path: lossy(&f.path),
                teams: own.teams.iter().map(|&t| names[t as usize].clone()).collect(),
            });
        }
    }
    (total, unowned, overlaps)
}

/// What one walk over the files gives every team (by position in `teams`).
struct TeamWalk {
    stats: Vec<TeamStats>,
    removed: Vec<Vec<Collapsed>>,
    kept: Vec<Vec<Collapsed>>,
    /// What no team owns, collapsed.
    unowned: Vec<Collapsed>,
}

/// One pass over the files serves every team: the tallies and the
/// collapsed lists (what each team removes and keeps, what no team owns)
/// share the directory walk.
fn walk_teams(manifest: &Manifest, files: &[TreeFile], owners: &[Owners], teams: &[usize]) -> TeamWalk {
    let roots: Vec<Option<&[u8]>> =
        teams.iter().map(|&t| manifest.teams[t].root.as_ref().map(|r| r.as_bytes())).collect();
    let mut stats = vec![TeamStats::default(); teams.len()];
    // Slots: what each team removes (k), what it keeps (teams + k), and
    // what no team owns (last).
    let n = teams.len();
    let mut preview = Collapser::new(2 * n + 1);
    let mut in_list = vec![false; 2 * n + 1];
    for (i, (f, own)) in files.iter().zip(owners).enumerate() {
        for (k, &t) in teams.iter().enumerate() {
            let st = &mut stats[k];
            let mut keep = own.kept_by(t);
            if own.teams.contains(&(t as u16)) {
                st.owned += 1;
            }
            if keep && roots[k].is_some_and(|r| !under(&f.path, r)) {
                keep = false;
                st.outside_root += 1;
            }
            if keep {
                st.kept.add(f.size);
            } else {
                st.removed.add(f.size);
            }
            in_list[k] = !keep;
            in_list[n + k] = keep;
        }
        in_list[2 * n] = own.is_unowned();
        preview.file(i as u32, &f.path, f.size, &in_list);
    }
    let mut removed = preview.finish(files);
    let unowned = removed.pop().expect("the unowned slot");
    let kept = removed.split_off(n);
    TeamWalk { stats, removed, kept, unowned }
}

/// The patterns that match no file, with where they are written.
fn stale(o: &Ownership, assignment: &Assignment, names: &[String]) -> Vec<Stale> {
    o.stale_patterns(assignment)
        .into_iter()
        .map(|s| {
            let Loc { line, col } = s.loc;
            Stale {
                team: match s.owner {
                    Owner::Shared => None,
                    Owner::Team(t) => Some(names[t].clone()),
                },
                pattern: s.pattern,
                field: if s.exclude { "exclude" } else { "paths" },
                line,
                column: col,
            }
        })
        .collect()
}

#[derive(Clone, Copy, Default)]
struct TeamStats {
    kept: Tally,
    removed: Tally,
    owned: u64,
    outside_root: u64,
}

/// A removal not yet turned into text: most files end up inside a
/// directory removed whole and are never printed.
enum Entry {
    File(u32, u64),
    Dir(Vec<u8>, Tally),
}

/// One open directory, with each team's view of it.
struct Frame {
    path: Vec<u8>,
    /// Per team: every file so far removed.
    all: Vec<bool>,
    /// Per team: what is removed below.
    tally: Vec<Tally>,
    /// Per team: removals below, not yet collapsed.
    entries: Vec<Vec<Entry>>,
}

/// Collapses a pre-order stream of files, for several teams at once, into
/// the highest directories whose every file is removed, plus loose files.
struct Collapser {
    teams: usize,
    stack: Vec<Frame>,
    done: Vec<Vec<Entry>>,
}

impl Collapser {
    fn new(teams: usize) -> Collapser {
        Collapser { teams, stack: Vec::new(), done: (0..teams).map(|_| Vec::new()).collect() }
    }

    fn file(&mut self, index: u32, path: &[u8], size: u64, removed: &[bool]) {
        let dir = match path.iter().rposition(|&b| b == b'/') {
            Some(i) => &path[..i],
            None => &path[..0],
        };
        while let Some(top) = self.stack.last() {
            if dir == top.path.as_slice() || under(dir, &top.path) {
                break;
            }
            self.close();
        }
        let mut start = self.stack.last().map_or(0, |t| t.path.len() + 1);
        while start <= dir.len() && !dir.is_empty() {
            let end = dir[start..].iter().position(|&b| b == b'/').map_or(dir.len(), |p| start + p);
            self.stack.push(Frame {
                path: dir[..end].to_vec(),
                all: vec![true; self.teams],
                tally: vec![Tally::default(); self.teams],
                entries: (0..self.teams).map(|_| Vec::new()).collect(),
            });
            start = end + 1;
        }
        for (k, &r) in removed.iter().enumerate() {
            match self.stack.last_mut() {
                Some(top) => {
                    top.all[k] &= r;
                    if r {
                        top.tally[k].add(size);
                        top.entries[k].push(Entry::File(index, size));
                    }
                }
                None if r => self.done[k].push(Entry::File(index, size)),
                None => {}
            }
        }
    }

    fn close(&mut self) {
        let frame = self.stack.pop().expect("close on an open directory");
        for (k, mut entries) in frame.entries.into_iter().enumerate() {
            let (all, tally) = (frame.all[k], frame.tally[k]);
            if all && tally.files > 0 {
                entries = vec![Entry::Dir(frame.path.clone(), tally)];
            }
            match self.stack.last_mut() {
                Some(parent) => {
                    parent.all[k] &= all;
                    parent.tally[k].files += tally.files;
                    parent.tally[k].bytes += tally.bytes;
                    parent.entries[k].extend(entries);
                }
                None => self.done[k].extend(entries),
            }
        }
    }

    fn finish(mut self, files: &[crate::odb::TreeFile]) -> Vec<Vec<Collapsed>> {
        while !self.stack.is_empty() {
            self.close();
        }
        self.done
            .into_iter()
            .map(|entries| {
                let mut out: Vec<Collapsed> = entries
                    .into_iter()
                    .map(|e| match e {
                        Entry::File(i, size) => Collapsed {
                            path: lossy(&files[i as usize].path),
                            tally: Tally { files: 1, bytes: size },
                        },
                        Entry::Dir(path, tally) => Collapsed { path: format!("{}/", lossy(&path)), tally },
                    })
                    .collect();
                out.sort_by(|a, b| a.path.cmp(&b.path));
                out
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collapse(files: &[(&str, bool)]) -> Vec<String> {
        let listing: Vec<crate::odb::TreeFile> = files
            .iter()
            .map(|(p, _)| crate::odb::TreeFile {
                path: p.as_bytes().to_vec(),
                oid: git2::Oid::ZERO_SHA1,
                kind: crate::odb::FileKind::Blob,
                size: 1,
            })
            .collect();
        // Two teams see the same stream, the second with every answer flipped.
        let mut c = Collapser::new(2);
        for (i, (p, r)) in files.iter().enumerate() {
            c.file(i as u32, p.as_bytes(), 1, &[*r, !*r]);
        }
        let mut out = c.finish(&listing);
        let flipped = out.pop().unwrap();
        let kept: Vec<&str> = files.iter().filter(|(_, r)| !*r).map(|(p, _)| *p).collect();
        let flipped_files: usize = flipped.iter().map(|r| r.tally.files as usize).sum();
        assert_eq!(flipped_files, kept.len(), "the flipped team removes exactly the kept files");
        out.pop().unwrap().into_iter().map(|r| format!("{} {}", r.path, r.tally.files)).collect()
    }

    #[test]
    fn collapses_to_highest_fully_removed_dirs() {
        let got = collapse(&[
            ("a/b/1", true),
            ("a/b/2", true),
            ("a/c/1", true),
            ("a/keep", false),
            ("d/e/f/1", true),
            ("d/e/g", true),
            ("top", true),
            ("z/1", false),
            ("z/y/2", true),
        ]);
        assert_eq!(got, ["a/b/ 2", "a/c/ 1", "d/ 2", "top 1", "z/y/ 1"]);
    }

    #[test]
    fn everything_removed_collapses_per_top_level_entry() {
        assert_eq!(collapse(&[("a/1", true), ("b", true)]), ["a/ 1", "b 1"]);
        assert!(collapse(&[("a/1", false)]).is_empty());
    }
}
