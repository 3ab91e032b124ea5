//! A draft from the tree's build system: one team per package it lists
//! (a workspace member, a module, a crate, a project; Gradle projects
//! grouped by their first path segment), named after it and selected by
//! `packages:`; the build's own machinery shared; top-level directories
//! without a package a team each, as `--top-level` drafts them.

use std::collections::{BTreeMap, BTreeSet};

use super::machinery::{is_machinery, ROOT_DIRS};
use super::{compile, glob_of, sanitize, unique_name, Draft, DraftTeam, InitError};
use crate::manifest::PackageKind;
use crate::odb::{Repo, TreeListing};
use crate::ownership::packages::{Listed, PackageIndex};
use crate::ownership::{Owner, TreeFiles};

/// The build systems a draft is made from, in the order a tie is broken.
const KINDS: [PackageKind; 7] = [
    PackageKind::Gradle,
    PackageKind::Maven,
    PackageKind::Npm,
    PackageKind::Cargo,
    PackageKind::Go,
    PackageKind::Python,
    PackageKind::Composer,
];

/// One team to be: its name before it is made unique, and its selectors.
struct Planned {
    name: String,
    description: String,
    packages: Vec<String>,
}

/// Drafts teams from the build system with the most packages (at least
/// two, besides the root); `None` when the tree has none.
pub fn from_packages(repo: &Repo, listing: &TreeListing) -> Result<Option<Draft>, InitError> {
    let files = TreeFiles::new(repo, listing);
    let index = PackageIndex::new(&files);
    let mut best: Option<(PackageKind, Vec<Listed>, Vec<Vec<u8>>)> = None;
    for kind in KINDS {
        let (packages, builds) = packages_of(&index, kind)?;
        if packages.len() >= 2 && best.as_ref().is_none_or(|(_, b, _)| packages.len() > b.len()) {
            best = Some((kind, packages, builds));
        }
    }
    let Some((kind, packages, builds)) = best else { return Ok(None) };
    let mut used = BTreeSet::new();
    let mut teams: Vec<DraftTeam> = plan_teams(kind, &packages)
        .into_iter()
        .map(|p| DraftTeam {
            name: unique_name(&sanitize(&p.name), &mut used),
            description: p.description,
            owners: Vec::new(),
            packages: p.packages,
            paths: Vec::new(),
            exclude: Vec::new(),
            from_patterns: false,
            files: 0,
        })
        .collect();
    let shared = shared_paths(listing, &builds);
    // Top-level directories without a package of the build are teams of
    // their own (`docs/`), as `--top-level` makes them.
    let with_packages: BTreeSet<&[u8]> =
        packages.iter().map(|p| p.dir.split(|&b| b == b'/').next().unwrap_or(b"")).collect();
    let mut plain: BTreeSet<String> = BTreeSet::new();
    for f in &listing.files {
        let path = glob_of(&f.path);
        if let Some((top, _)) = path.split_once('/') {
            if !top.starts_with('.') && !is_machinery(&path) && !with_packages.contains(top.as_bytes()) {
                plain.insert(top.to_string());
            }
        }
    }
    for dir in plain {
        let name = unique_name(&sanitize(&dir), &mut used);
        teams.push(DraftTeam::of_dir(name, format!("Owns {dir}/ (no {kind} package in it)"), &dir, 0));
    }
    teams.sort_by(|a, b| a.name.cmp(&b.name));
    let mut draft = Draft { teams, shared, unowned: Vec::new() };
    settle(repo, &mut draft, listing)?;
    Ok(Some(draft))
}

/// The packages of `kind` that make teams (not the root, not what Gradle's
/// included builds hold), and the included builds' directories.
fn packages_of(
    index: &PackageIndex<'_>,
    kind: PackageKind,
) -> Result<(Vec<Listed>, Vec<Vec<u8>>), InitError> {
    let listed = index.listed(kind)?;
    let builds: Vec<Vec<u8>> = listed.iter().filter(|p| p.build).map(|p| p.dir.clone()).collect();
    let inside =
        |dir: &[u8], of: &[u8]| dir == of || (dir.starts_with(of) && dir.get(of.len()) == Some(&b'/'));
    let packages = listed
        .into_iter()
        .filter(|p| !p.build && !p.dir.is_empty())
        .filter(|p| !builds.iter().any(|b| inside(&p.dir, b)))
        .filter(|p| !ROOT_DIRS.iter().any(|m| inside(&p.dir, m.as_bytes())))
        .collect();
    Ok((packages, builds))
}

/// One team per package; Gradle projects by their first path segment
/// (`:samples:guide` and `:samples:crawler` are one team, `samples`).
fn plan_teams(kind: PackageKind, packages: &[Listed]) -> Vec<Planned> {
    let show = |dir: &[u8]| format!("{}/", String::from_utf8_lossy(dir));
    if kind != PackageKind::Gradle {
        return packages
            .iter()
            .map(|p| Planned {
                name: short_name(kind, &p.name),
                description: format!("The {kind} package {} ({})", p.name, show(&p.dir)),
                packages: vec![format!("{kind}:{}", p.name)],
            })
            .collect();
    }
    let mut groups: BTreeMap<&str, Vec<&Listed>> = BTreeMap::new();
    for p in packages {
        let first = p.name.trim_start_matches(':').split(':').next().unwrap_or("");
        groups.entry(first).or_default().push(p);
    }
    groups
        .into_iter()
        .map(|(first, projects)| {
            let top = format!(":{first}");
            if projects.len() == 1 && projects[0].name == top {
                let p = projects[0];
                return Planned {
                    name: first.to_string(),
                    description: format!("The Gradle project {} ({})", p.name, show(&p.dir)),
                    packages: vec![format!("gradle:{}", p.name)],
                };
            }
            let mut selectors = Vec::new();
            if projects.iter().any(|p| p.name == top) {
                selectors.push(format!("gradle:{top}"));
            }
            selectors.push(format!("gradle:{top}:**"));
            Planned {
                name: first.to_string(),
                description: format!("The Gradle projects {top} and below ({} projects)", projects.len()),
                packages: selectors,
            }
        })
        .collect()
}

/// A team name from a package name: the last part that names something
/// (`@acme/ui` -> `ui`, `github.com/acme/api/v2` -> `api`).
fn short_name(kind: PackageKind, name: &str) -> String {
    let sep = match kind {
        PackageKind::Maven => ':',
        _ => '/',
    };
    let mut parts = name.rsplit(sep).filter(|p| !p.is_empty());
    let last = parts.next().unwrap_or(name);
    let is_version = last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit());
    if kind == PackageKind::Go && is_version {
        parts.next().unwrap_or(last).to_string()
    } else {
        last.to_string()
    }
}

/// Shared: top-level files, dot-directories, the machinery directories and
/// Gradle's included builds.
fn shared_paths(listing: &TreeListing, builds: &[Vec<u8>]) -> Vec<String> {
    let mut shared = BTreeSet::new();
    for f in &listing.files {
        let path = glob_of(&f.path);
        match path.split_once('/') {
            None => {
                shared.insert(path);
            }
            Some((top, _)) if top.starts_with('.') || ROOT_DIRS.contains(&top) => {
                shared.insert(format!("{top}/"));
            }
            Some(_) => {}
        }
    }
    for b in builds.iter().filter(|b| !b.is_empty()) {
        shared.insert(format!("{}/", glob_of(b)));
    }
    shared.into_iter().collect()
}

/// Loads the draft: counts each team's files, drops teams that own none,
/// lists what is left unowned, and refuses a draft where two teams own a
/// file (the package model carves nested packages out, so that is a bug).
fn settle(repo: &Repo, draft: &mut Draft, listing: &TreeListing) -> Result<(), InitError> {
    let (manifest, own) = compile(repo, draft, listing)?;
    let assignment = own.assign(listing);
    let mut counts = vec![0usize; manifest.teams.len()];
    draft.unowned.clear();
    for (f, o) in listing.files.iter().zip(&assignment.owners) {
        if o.teams.len() > 1 {
            return Err(InitError::Mismatch {
                path: String::from_utf8_lossy(&f.path).into_owned(),
                got: o.teams.iter().map(|&t| manifest.teams[t as usize].name.clone()).collect(),
                want: Vec::new(),
            });
        }
        for &t in o.teams.iter() {
            counts[t as usize] += 1;
        }
        if o.is_unowned() {
            draft.unowned.push(String::from_utf8_lossy(&f.path).into_owned());
        }
    }
    let by_name: BTreeMap<&str, usize> =
        manifest.teams.iter().zip(&counts).map(|(t, &n)| (t.name.as_str(), n)).collect();
    // A selector that gives its team nothing (a Gradle group's parent
    // project whose files are all its children's) would only draw a
    // warning from `plan` and `check`.
    let mut given: BTreeMap<(usize, String), u64> = BTreeMap::new();
    for (p, n) in own.packages.iter().zip(own.package_file_counts(listing)) {
        if let Owner::Team(t) = p.owner {
            *given.entry((t, p.selector.to_string())).or_default() += n;
        }
    }
    let index: BTreeMap<&str, usize> =
        manifest.teams.iter().enumerate().map(|(i, t)| (t.name.as_str(), i)).collect();
    for t in &mut draft.teams {
        t.files = by_name.get(t.name.as_str()).copied().unwrap_or(0);
        let i = index[t.name.as_str()];
        t.packages.retain(|s| given.get(&(i, s.clone())).copied().unwrap_or(0) > 0);
    }
    draft.teams.retain(|t| t.files > 0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_names_come_from_the_last_part_that_names_something() {
        assert_eq!(short_name(PackageKind::Npm, "@acme/ui"), "ui");
        assert_eq!(short_name(PackageKind::Go, "github.com/acme/api/v2"), "api");
        assert_eq!(short_name(PackageKind::Go, "github.com/acme/v"), "v");
        assert_eq!(short_name(PackageKind::Maven, "com.acme:billing"), "billing");
        assert_eq!(short_name(PackageKind::Composer, "acme/billing-bundle"), "billing-bundle");
        assert_eq!(short_name(PackageKind::Cargo, "acme-core"), "acme-core");
    }
}
