//! The references of an [`Analysis`] set against the teams: what each
//! team's split breaks, and which targets several teams would lose.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Analysis, LanguageStats, RefKind, MAX_EXAMPLES};
use crate::deps::lang::Language;
use crate::manifest::Manifest;
use crate::plan::Snapshot;

/// The `deps` report of one revision.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The commit analysed.
    #[serde(rename = "ref")]
    pub commit: String,
    /// The revision as named.
    pub ref_name: String,
    /// The selected teams, in manifest order.
    pub teams: Vec<TeamBreaks>,
    /// Every breaking reference (every reference, with `all`), by team then place.
    pub edges: Vec<Edge>,
    /// Targets that two or more teams other than their owner would lose, most shared first.
    pub duplicate_or_extract: Vec<DuplicateOrExtract>,
    /// Per language, references that look internal but resolve to nothing.
    pub unresolved: Vec<Unresolved>,
    /// Per language: files read, references found, resolved, external, unresolved.
    pub languages: Vec<LanguageSummary>,
}

/// What one team's split breaks.
#[derive(Clone, Debug, Serialize)]
pub struct TeamBreaks {
    /// The team.
    pub name: String,
    /// Breaking references in all.
    pub references: u64,
    /// Files the team keeps that hold them.
    pub files: u64,
    /// By the team that owns the target, most references first.
    pub breaks: Vec<Break>,
}

impl TeamBreaks {
    /// The figures `plan` shows for the team.
    pub fn summary(&self) -> crate::plan::BreakSummary {
        crate::plan::BreakSummary {
            references: self.references,
            files: self.files,
            into: self
                .breaks
                .iter()
                .map(|b| crate::plan::BreakInto { team: b.to_team.clone(), references: b.references })
                .collect(),
        }
    }
}

/// The references from one team's files into what another team (or nobody) owns.
#[derive(Clone, Debug, Serialize)]
pub struct Break {
    /// The owner of the target; `None` for unowned files.
    pub to_team: Option<String>,
    /// References.
    pub references: u64,
    /// Referencing files (the team's side).
    pub files: u64,
    /// Distinct targets (the other side).
    pub target_files: u64,
    /// Each target with its references, most referenced first.
    pub targets: Vec<TargetCount>,
    /// A few of the references, as indices into [`Report::edges`].
    #[serde(skip)]
    pub examples: Vec<usize>,
}

/// A target and how often it is referenced.
#[derive(Clone, Debug, Serialize)]
pub struct TargetCount {
    /// A file, or a directory ending in `/`.
    pub path: String,
    /// References to it.
    pub references: u64,
}

/// One reference as seen by one team.
#[derive(Clone, Debug, Serialize)]
pub struct Edge {
    /// The team whose split the reference is looked at for.
    pub from_team: String,
    /// The referencing file.
    pub from_file: String,
    /// Its line.
    pub line: u32,
    /// The owner of the target (`None`: unowned, or shared only).
    pub to_team: Option<String>,
    /// True if the target is in `shared`.
    pub to_shared: bool,
    /// The target: a file, or a directory ending in `/`.
    pub to_path: String,
    /// Import or manifest dependency.
    pub kind: RefKind,
    /// The language, or the ecosystem of the manifest.
    pub language: Language,
    /// The referencing line.
    pub text: String,
    /// True if the team loses the target.
    pub breaks: bool,
}

/// A target several teams would lose: a candidate for `shared` or a library.
#[derive(Clone, Debug, Serialize)]
pub struct DuplicateOrExtract {
    /// The target.
    pub path: String,
    /// Its owner (`None`: unowned).
    pub owner: Option<String>,
    /// The teams that lose it and reference it, sorted.
    pub from_teams: Vec<String>,
    /// Their references to it.
    pub references: u64,
}

/// Unresolved references of one language.
#[derive(Clone, Debug, Serialize)]
pub struct Unresolved {
    /// The language.
    pub language: Language,
    /// References (and unparsable files) that resolved to nothing.
    pub count: u64,
    /// A few of them, `file:line: spec`.
    pub examples: Vec<String>,
}

/// How one language's references fared.
#[derive(Clone, Debug, Serialize)]
pub struct LanguageSummary {
    /// The language.
    pub language: Language,
    /// The figures.
    #[serde(flatten)]
    pub stats: LanguageStats,
}

/// What one team keeps: its files and the shared ones, within its `root`.
struct Keeper<'a> {
    team: usize,
    root: Option<Vec<u8>>,
    owners: &'a [crate::ownership::Owners],
    files: &'a [crate::odb::TreeFile],
}

impl Keeper<'_> {
    /// Whether the team keeps file `i` of the listing.
    fn keeps(&self, i: u32) -> bool {
        let i = i as usize;
        let path = &self.files[i].path;
        self.owners[i].kept_by(self.team)
            && self
                .root
                .as_ref()
                .is_none_or(|r| path.len() > r.len() && path.starts_with(r) && path[r.len()] == b'/')
    }
}

/// Sets `analysis` against `teams` (indices into the manifest's teams);
/// with `all`, [`Report::edges`] also lists references that break nothing.
pub fn report(
    manifest: &Manifest,
    snap: &Snapshot,
    analysis: &Analysis,
    teams: &[usize],
    all: bool,
) -> Report {
    let assignment = snap.ownership.assign(&snap.listing);
    let places = Places::new(snap, &assignment.owners);
    let mut edges = Vec::new();
    let mut lost = Lost::new();
    let team_reports = teams
        .iter()
        .map(|&t| {
            let keeper = Keeper {
                team: t,
                root: manifest.teams[t].root.as_ref().map(|r| r.trim_matches('/').as_bytes().to_vec()),
                owners: places.owners,
                files: &snap.listing.files,
            };
            team_breaks(&places, analysis, &keeper, all, &mut edges, &mut lost)
        })
        .collect();
    let unresolved = analysis
        .languages
        .iter()
        .filter(|(_, s)| s.unresolved > 0)
        .map(|(&language, s)| Unresolved { language, count: s.unresolved, examples: s.examples.clone() })
        .collect();
    let languages = analysis
        .languages
        .iter()
        .map(|(&language, stats)| LanguageSummary { language, stats: stats.clone() })
        .collect();
    Report {
        commit: snap.rev.commit.to_string(),
        ref_name: snap.rev.name.clone(),
        teams: team_reports,
        edges,
        duplicate_or_extract: duplicate_or_extract(&places, analysis, lost),
        unresolved,
        languages,
    }
}

/// Per target (index into [`Analysis::targets`]): the teams that lose it
/// and reference it, and their references.
type Lost = BTreeMap<u32, (BTreeSet<usize>, u64)>;

/// The listing's files and owners, and the team names.
struct Places<'a> {
    owners: &'a [crate::ownership::Owners],
    files: &'a [crate::odb::TreeFile],
    names: &'a [String],
}

impl<'a> Places<'a> {
    fn new(snap: &'a Snapshot, owners: &'a [crate::ownership::Owners]) -> Places<'a> {
        Places { owners, files: &snap.listing.files, names: snap.ownership.team_names() }
    }

    fn path(&self, i: u32) -> String {
        lossy(&self.files[i as usize].path)
    }

    /// The first owning team of listing file `i`, and whether it is shared.
    fn owner_of(&self, i: u32) -> (Option<u16>, bool) {
        let o = &self.owners[i as usize];
        (o.teams.first().copied(), o.shared)
    }

    /// A team's name, `None` staying `None` (unowned).
    fn name(&self, team: Option<u16>) -> Option<String> {
        team.map(|t| self.names[t as usize].clone())
    }
}

/// What one team's split breaks; its edges go to `edges` (all of its
/// references with `all`), its lost targets to `lost`.
fn team_breaks(
    places: &Places<'_>,
    analysis: &Analysis,
    keeper: &Keeper<'_>,
    all: bool,
    edges: &mut Vec<Edge>,
    lost: &mut Lost,
) -> TeamBreaks {
    let name = &places.names[keeper.team];
    let mut by_team: BTreeMap<Option<u16>, BreakBuilder> = BTreeMap::new();
    let mut files = BTreeSet::new();
    let mut total = 0;
    for r in &analysis.references {
        if !keeper.keeps(r.from) {
            continue;
        }
        let target = &analysis.targets[r.target as usize];
        let Some(&first) = target.files.first() else { continue };
        let first_lost = target.files.iter().copied().find(|&i| !keeper.keeps(i));
        let (to_team, to_shared) = places.owner_of(first_lost.unwrap_or(first));
        let breaks = first_lost.is_some();
        if breaks || all {
            edges.push(Edge {
                from_team: name.clone(),
                from_file: places.path(r.from),
                line: r.line,
                to_team: places.name(to_team),
                to_shared,
                to_path: lossy(&target.path),
                kind: r.kind,
                language: r.language,
                text: r.text.to_string(),
                breaks,
            });
        }
        if !breaks {
            continue;
        }
        total += 1;
        files.insert(r.from);
        let entry = lost.entry(r.target).or_default();
        entry.0.insert(keeper.team);
        entry.1 += 1;
        by_team.entry(to_team).or_default().add(r.from, r.target, edges.len() - 1);
    }
    let mut breaks: Vec<Break> =
        by_team.into_iter().map(|(to_team, b)| b.finish(places.name(to_team), analysis)).collect();
    breaks.sort_by(|a, b| b.references.cmp(&a.references).then_with(|| a.to_team.cmp(&b.to_team)));
    TeamBreaks { name: name.clone(), references: total, files: files.len() as u64, breaks }
}

/// The targets two or more teams lose, most teams first, then most references.
fn duplicate_or_extract(places: &Places<'_>, analysis: &Analysis, lost: Lost) -> Vec<DuplicateOrExtract> {
    let mut out: Vec<DuplicateOrExtract> = lost
        .into_iter()
        .filter(|(_, (teams, _))| teams.len() >= 2)
        .map(|(k, (teams, references))| {
            let k = k as usize;
            DuplicateOrExtract {
                path: lossy(&analysis.targets[k].path),
                owner: places.name(analysis.targets[k].files.first().and_then(|&i| places.owner_of(i).0)),
                from_teams: teams.into_iter().map(|t| places.names[t].clone()).collect(),
                references,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (b.from_teams.len(), b.references)
            .cmp(&(a.from_teams.len(), a.references))
            .then_with(|| a.path.cmp(&b.path))
    });
    out
}

/// One [`Break`] as its references are met.
#[derive(Default)]
struct BreakBuilder {
    references: u64,
    files: BTreeSet<u32>,
    targets: BTreeMap<u32, u64>,
    examples: Vec<usize>,
}

impl BreakBuilder {
    fn add(&mut self, from: u32, target: u32, edge: usize) {
        self.references += 1;
        self.files.insert(from);
        *self.targets.entry(target).or_default() += 1;
        if self.examples.len() < MAX_EXAMPLES {
            self.examples.push(edge);
        }
    }

    fn finish(self, to_team: Option<String>, analysis: &Analysis) -> Break {
        let mut targets: Vec<TargetCount> = self
            .targets
            .iter()
            .map(|(&t, &references)| TargetCount {
                path: lossy(&analysis.targets[t as usize].path),
                references,
            })
            .collect();
        targets.sort_by(|a, b| b.references.cmp(&a.references).then_with(|| a.path.cmp(&b.path)));
        Break {
            to_team,
            references: self.references,
            files: self.files.len() as u64,
            target_files: self.targets.len() as u64,
            targets,
            examples: self.examples,
        }
    }
}

fn lossy(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}
