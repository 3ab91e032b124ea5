//! `depends_on`: the teams a team's code may reference. A reference from a
//! file a team owns into a file owned only by teams outside that list is a
//! violation, judged by `policy.dependencies`.

use super::{Analysis, RefKind};
use crate::deps::lang::Language;
use crate::manifest::Manifest;
use crate::odb::TreeListing;
use crate::ownership::Owners;

/// A reference that crosses a declared boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The team owning the referencing file (index into the manifest's teams).
    pub team: usize,
    /// The referencing file.
    pub from: Vec<u8>,
    /// Its line.
    pub line: u32,
    /// That line's text.
    pub text: String,
    /// The team owning the target, not in `team`'s `depends_on`.
    pub to_team: usize,
    /// The target: a file, or a directory ending in `/`.
    pub to_path: Vec<u8>,
    /// The language, or the ecosystem of a manifest.
    pub language: Language,
    /// Import or manifest dependency.
    pub kind: RefKind,
}

/// Every reference of `analysis` from a file a team owns into a team its
/// `depends_on` leaves out. Teams without `depends_on` may reference any
/// team; `shared` and unowned targets are never violations (unowned files
/// are `policy.unowned`'s business).
pub fn violations(
    manifest: &Manifest,
    listing: &TreeListing,
    owners: &[Owners],
    analysis: &Analysis,
) -> Vec<Violation> {
    let allowed: Vec<Option<Vec<usize>>> = manifest
        .teams
        .iter()
        .map(|t| {
            t.depends_on.as_ref().map(|d| {
                d.iter().filter_map(|n| manifest.teams.iter().position(|u| u.name == n.value)).collect()
            })
        })
        .collect();
    if allowed.iter().all(Option::is_none) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for r in &analysis.references {
        let from = &owners[r.from as usize];
        let target = &analysis.targets[r.target as usize];
        for &t in from.teams.iter() {
            let t = t as usize;
            let Some(allowed) = &allowed[t] else { continue };
            let outside = target.files.iter().map(|&f| &owners[f as usize]).find_map(|o| {
                if o.shared || o.teams.contains(&(t as u16)) {
                    return None;
                }
                o.teams.iter().map(|&u| u as usize).find(|u| !allowed.contains(u))
            });
            if let Some(to_team) = outside {
                out.push(Violation {
                    team: t,
                    from: listing.files[r.from as usize].path.clone(),
                    line: r.line,
                    text: r.text.to_string(),
                    to_team,
                    to_path: target.path.clone(),
                    language: r.language,
                    kind: r.kind,
                });
            }
        }
    }
    out
}
