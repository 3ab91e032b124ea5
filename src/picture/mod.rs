//! The picture of a split: everything `plan --format html` draws, gathered
//! from a plan, the tree's ownership and (optionally) the dependency report,
//! and rendered as one self-contained page ([`page`]).
//!
//! The tree travels as columns of small integers (a directory table and,
//! per file, its directory, name, size, owner class and explanation) rather
//! than as nested objects: a 100k-file tree stays a few megabytes and the
//! page rebuilds the hierarchy in one pass.

pub mod page;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::deps::Report;
use crate::manifest::Manifest;
use crate::odb::FileKind;
use crate::ownership::{Explained, Explanation, Owner, Owners, Reason};
use crate::plan::{BreakSummary, PackagePlan, Plan, Snapshot};

/// How many referencing places the page keeps per team-to-team edge.
pub const MAX_PLACES_PER_EDGE: usize = 100;
/// How many referencing places the page keeps in all: with many teams the
/// edges share them, so the page stays a few megabytes however many teams
/// reference each other.
pub const MAX_PLACES: usize = 20_000;
/// How many "duplicate or extract" targets the page lists.
pub const MAX_DUPLICATE_OR_EXTRACT: usize = 100;

/// Everything the page shows.
#[derive(Clone, Debug, Serialize)]
pub struct Picture {
    /// What the page is of.
    pub header: Header,
    /// Every team of the manifest, in manifest order; `Owners` indexes it.
    pub teams: Vec<TeamView>,
    /// The files of the tree and who owns them.
    pub tree: Tree,
    /// The distinct owner sets; `Tree::file_owners` indexes them.
    pub owner_classes: Vec<OwnerClass>,
    /// The distinct explanations, each a list of `owner: rule` lines;
    /// `Tree::file_why` indexes them.
    pub reasons: Vec<Vec<String>>,
    /// The team dependency graph, when the analysis ran.
    pub deps: Option<DepsView>,
}

/// What a page says it shows, so a copy in a wiki explains itself.
#[derive(Clone, Debug, Serialize)]
pub struct Header {
    /// The repository's directory name.
    pub repository: String,
    /// The revision as named.
    pub ref_name: String,
    /// Its commit.
    pub commit: String,
    /// The manifest's path.
    pub manifest: String,
    /// The git-split version that drew it.
    pub version: String,
}

/// One team as the page lists it.
#[derive(Clone, Debug, Serialize)]
pub struct TeamView {
    /// The team's name.
    pub name: String,
    /// Its `owners` handles.
    pub owners: Vec<String>,
    /// Its description, if the manifest gives one.
    pub description: Option<String>,
    /// Its plan, when the team was selected (`--team`).
    pub plan: Option<TeamFigures>,
}

/// A selected team's figures.
#[derive(Clone, Debug, Serialize)]
pub struct TeamFigures {
    /// Files its repository keeps.
    pub kept_files: u64,
    /// Their bytes.
    pub kept_bytes: u64,
    /// Files its repository loses.
    pub removed_files: u64,
    /// Their bytes.
    pub removed_bytes: u64,
    /// Its packages and where they resolved.
    pub packages: Vec<PackagePlan>,
    /// What its split breaks, when the analysis ran.
    pub breaks: Option<BreakSummary>,
}

/// The tree, as columns.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Tree {
    /// Each directory's parent (the root, index 0, is its own parent).
    pub dir_parent: Vec<u32>,
    /// Each directory's name (`""` for the root).
    pub dir_name: Vec<String>,
    /// Each file's directory.
    pub file_dir: Vec<u32>,
    /// Each file's name.
    pub file_name: Vec<String>,
    /// Each file's size in bytes.
    pub file_bytes: Vec<u64>,
    /// Each file's owner class (index into [`Picture::owner_classes`]).
    pub file_owners: Vec<u32>,
    /// Each file's explanation (index into [`Picture::reasons`]).
    pub file_why: Vec<u32>,
}

/// A set of owners several files share.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct OwnerClass {
    /// Owning teams, as indices into [`Picture::teams`].
    pub teams: Vec<u16>,
    /// In `shared`.
    pub shared: bool,
}

/// The team graph: who references whom.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DepsView {
    /// Team to team (or unowned), most references first.
    pub edges: Vec<TeamEdge>,
    /// Targets several teams would lose, most shared first.
    pub duplicate_or_extract: Vec<crate::deps::DuplicateOrExtract>,
    /// Targets beyond [`MAX_DUPLICATE_OR_EXTRACT`] left off.
    pub duplicate_or_extract_left_off: usize,
}

/// The breaking references from one team into one owner.
#[derive(Clone, Debug, Serialize)]
pub struct TeamEdge {
    /// The referencing team (index into [`Picture::teams`]).
    pub from: usize,
    /// The target's owner; `None` for unowned.
    pub to: Option<usize>,
    /// References in all.
    pub references: u64,
    /// Referencing files.
    pub files: u64,
    /// The first places, by file and line.
    pub places: Vec<Place>,
}

/// One referencing place.
#[derive(Clone, Debug, Serialize)]
pub struct Place {
    /// The referencing file.
    pub file: String,
    /// Its line.
    pub line: u32,
    /// The line's text.
    pub text: String,
    /// What it references.
    pub to_path: String,
}

/// Gathers the page's data. `report` is the dependency report of the
/// same tree for every team, when the analysis ran.
pub fn gather(
    manifest: &Manifest,
    snap: &Snapshot,
    plan: &Plan,
    report: Option<&Report>,
    repository: String,
) -> Picture {
    let o = &snap.ownership;
    let explained = o.explain_all(&snap.listing);
    let names = o.team_names();
    let reasons = explained.explanations.iter().map(|e| reason_lines(e, names)).collect();
    let (tree, owner_classes) = tree(snap, &explained);
    let planned: HashMap<&str, _> = plan.teams.iter().map(|t| (t.name.as_str(), t)).collect();
    let teams = manifest
        .teams
        .iter()
        .map(|t| TeamView {
            name: t.name.clone(),
            owners: t.owners.clone(),
            description: t.description.clone(),
            plan: planned.get(t.name.as_str()).map(|p| TeamFigures {
                kept_files: p.kept_files,
                kept_bytes: p.kept_bytes,
                removed_files: p.removed_files,
                removed_bytes: p.removed_bytes,
                packages: p.packages.clone(),
                breaks: p.breaks.clone(),
            }),
        })
        .collect();
    let header = Header {
        repository,
        ref_name: plan.ref_name.clone(),
        commit: plan.commit.clone(),
        manifest: manifest.path.display().to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let deps = report.map(|r| deps_view(r, names));
    Picture { header, teams, tree, owner_classes, reasons, deps }
}

/// The tree's columns, and the owner classes they index.
/// Each file's owners are its explanation's: the walk that explains them
/// has already decided them.
fn tree(snap: &Snapshot, explained: &Explained) -> (Tree, Vec<OwnerClass>) {
    let mut t = Tree { dir_parent: vec![0], dir_name: vec![String::new()], ..Tree::default() };
    let mut dirs: HashMap<&[u8], u32> = HashMap::new();
    let mut classes: HashMap<&Owners, u32> = HashMap::new();
    let mut class_list = Vec::new();
    for (f, &why) in snap.listing.files.iter().zip(&explained.of_file) {
        let own = &explained.explanations[why as usize].owners;
        if f.kind == FileKind::Gitlink {
            continue;
        }
        let (dir, name) = match f.path.iter().rposition(|&b| b == b'/') {
            Some(i) => (&f.path[..i], &f.path[i + 1..]),
            None => (&f.path[..0], &f.path[..]),
        };
        let d = dir_id(&mut t, &mut dirs, dir);
        let next = class_list.len() as u32;
        let class = *classes.entry(own).or_insert(next);
        if class == next {
            class_list.push(OwnerClass { teams: own.teams.to_vec(), shared: own.shared });
        }
        t.file_dir.push(d);
        t.file_name.push(String::from_utf8_lossy(name).into_owned());
        t.file_bytes.push(f.size);
        t.file_owners.push(class);
        t.file_why.push(why);
    }
    (t, class_list)
}

/// The index of directory `dir`, adding it and its missing ancestors.
fn dir_id<'a>(t: &mut Tree, dirs: &mut HashMap<&'a [u8], u32>, dir: &'a [u8]) -> u32 {
    if dir.is_empty() {
        return 0;
    }
    if let Some(&d) = dirs.get(dir) {
        return d;
    }
    // Ancestors first, without recursion: the depth comes from the tree.
    let mut missing = vec![dir];
    let mut parent = 0;
    while let Some(i) = missing.last().expect("non-empty").iter().rposition(|&b| b == b'/') {
        let up = &missing.last().expect("non-empty")[..i];
        if let Some(&d) = dirs.get(up) {
            parent = d;
            break;
        }
        missing.push(up);
    }
    for path in missing.into_iter().rev() {
        let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
        let d = t.dir_parent.len() as u32;
        t.dir_parent.push(parent);
        t.dir_name.push(String::from_utf8_lossy(name).into_owned());
        dirs.insert(path, d);
        parent = d;
    }
    parent
}

/// An explanation as `owner: rule` lines, as `git-split owners` says them.
fn reason_lines(e: &Explanation, names: &[String]) -> Vec<String> {
    e.reasons
        .iter()
        .map(|(owner, reason)| {
            let who = match owner {
                Owner::Shared => "shared".to_string(),
                Owner::Team(t) => names[*t].clone(),
            };
            let why = match reason {
                Reason::Pattern(p) => format!("pattern `{p}`"),
                Reason::Package(p) => format!("package {p}"),
                Reason::Excluded(p) => format!("excluded by `{p}`"),
                Reason::CarvedOut { package, dir, .. } => format!("not {package}: carved out by {dir}"),
            };
            format!("{who}: {why}")
        })
        .collect()
}

/// The team graph of a dependency report.
fn deps_view(r: &Report, names: &[String]) -> DepsView {
    let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
    let mut edges: BTreeMap<(usize, Option<usize>), TeamEdge> = BTreeMap::new();
    for t in &r.teams {
        let Some(&from) = index.get(t.name.as_str()) else { continue };
        for b in &t.breaks {
            let to = b.to_team.as_deref().and_then(|n| index.get(n).copied());
            edges.insert(
                (from, to),
                TeamEdge { from, to, references: b.references, files: b.files, places: Vec::new() },
            );
        }
    }
    let per_edge = (MAX_PLACES / edges.len().max(1)).clamp(1, MAX_PLACES_PER_EDGE);
    for e in r.edges.iter().filter(|e| e.breaks) {
        let Some(&from) = index.get(e.from_team.as_str()) else { continue };
        let to = e.to_team.as_deref().and_then(|n| index.get(n).copied());
        if let Some(edge) = edges.get_mut(&(from, to)) {
            if edge.places.len() < per_edge {
                edge.places.push(Place {
                    file: e.from_file.clone(),
                    line: e.line,
                    text: e.text.clone(),
                    to_path: e.to_path.clone(),
                });
            }
        }
    }
    let mut edges: Vec<TeamEdge> = edges.into_values().collect();
    edges.sort_by(|a, b| b.references.cmp(&a.references).then((a.from, a.to).cmp(&(b.from, b.to))));
    let shown = r.duplicate_or_extract.len().min(MAX_DUPLICATE_OR_EXTRACT);
    DepsView {
        edges,
        duplicate_or_extract: r.duplicate_or_extract[..shown].to_vec(),
        duplicate_or_extract_left_off: r.duplicate_or_extract.len() - shown,
    }
}

#[cfg(test)]
mod tests;
