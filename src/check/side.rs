//! One side of a check: a tree with the manifest's rules resolved in it,
//! and the full check's findings about it.

use git2::Oid;

use crate::deps;
use crate::manifest::Manifest;
use crate::odb::{Repo, TreeListing};
use crate::ownership::packages::{is_package_manifest, MemoryFiles, PackageError};
use crate::ownership::{Owner, Owners, Ownership, OwnershipError, TreeFiles};

use super::finding::{dependency, empty_package, overlap, skipped_manifest, stale_pattern, unowned};
use super::hints::{excluded_hint, overlap_hint, stale_pattern_hint, Neighbours};
use super::{level, lossy, owner_name, whose, CheckError, Finding, Kind, Severity};

/// One side of a check: a tree and the manifest's rules resolved in it.
pub(super) struct Side {
    pub(super) tree: Oid,
    /// The tree's files: all of them when `listed`, else only those
    /// package resolution reads.
    pub(super) listing: TreeListing,
    pub(super) listed: bool,
    /// Whether the manifest names packages (resolved against the tree).
    pub(super) has_packages: bool,
    pub(super) ownership: Ownership,
    /// Packages that resolve to nothing.
    pub(super) unresolved: Vec<(Owner, OwnershipError)>,
}

impl Side {
    /// Resolves `manifest` in `tree`, listing every file when `list` is set.
    /// Otherwise only what package resolution reads is listed: every
    /// package manifest and one file per directory (which gives JVM
    /// packages every directory), or nothing when there are no packages.
    pub(super) fn load(repo: &Repo, manifest: &Manifest, tree: Oid, list: bool) -> Result<Side, CheckError> {
        let has_packages = !manifest.shared.packages.is_empty()
            || manifest.teams.iter().any(|t| !t.rule.packages.is_empty());
        let listing = if list {
            repo.list_tree_unsized(tree)?
        } else if has_packages {
            repo.list_tree_where(tree, |name, first| first || is_package_manifest(name))?
        } else {
            TreeListing::default()
        };
        let (ownership, unresolved) = if list || has_packages {
            Ownership::new_lenient(manifest, &TreeFiles::new(repo, &listing))?
        } else {
            Ownership::new_lenient(manifest, &MemoryFiles::new(std::iter::empty::<(&[u8], &[u8])>()))?
        };
        Ok(Side { tree, listing, listed: list, has_packages, ownership, unresolved })
    }

    /// Every finding of this side; `hints` adds how to fix each.
    pub(super) fn findings(
        &self,
        repo: &Repo,
        manifest: &Manifest,
        hints: bool,
    ) -> Result<Vec<Finding>, CheckError> {
        debug_assert!(self.listed);
        let o = &self.ownership;
        let assignment = o.assign(&self.listing);
        let names = o.team_names();
        let mut out = Vec::new();
        let mut unowned_paths: Vec<&[u8]> = Vec::new();
        for (f, own) in self.listing.files.iter().zip(&assignment.owners) {
            if own.is_unowned() {
                if let Some(sev) = level(manifest.policy.unowned) {
                    let mut finding = unowned(lossy(&f.path), sev);
                    if hints {
                        unowned_paths.push(&f.path);
                        finding.hint = excluded_hint(manifest, o, &f.path);
                    }
                    out.push(finding);
                }
            } else if own.teams.len() > 1 {
                if let Some(sev) = level(manifest.policy.overlap) {
                    let teams: Vec<String> = own.teams.iter().map(|&t| names[t as usize].clone()).collect();
                    let mut finding = overlap(lossy(&f.path), teams, sev);
                    if hints {
                        finding.hint = Some(overlap_hint(manifest, o, &f.path));
                    }
                    out.push(finding);
                }
            }
        }
        if hints && !unowned_paths.is_empty() {
            let near = Neighbours::from_listing(&self.listing, &assignment.owners, &unowned_paths);
            for f in out.iter_mut().filter(|f| f.kind == Kind::Unowned && f.hint.is_none()) {
                let path = f.path.as_deref().expect("unowned findings have a path");
                f.hint = Some(near.hint(names, path.as_bytes()));
            }
        }
        for s in o.stale_patterns(&assignment) {
            let team = owner_name(manifest, s.owner);
            let mut finding = stale_pattern(team, &s.pattern, s.exclude, s.loc);
            if hints {
                finding.hint = Some(stale_pattern_hint(repo, self.tree, &s.pattern)?);
            }
            out.push(finding);
        }
        out.extend(self.stale_packages(manifest));
        if !o.packages.is_empty() {
            let counts = o.package_file_counts(&self.listing);
            for (p, _) in o.packages.iter().zip(counts).filter(|(_, n)| *n == 0) {
                out.push(empty_package(manifest, p, &manifest.path.display().to_string()));
            }
        }
        for (path, reason) in &o.skipped_manifests {
            out.push(skipped_manifest(path, reason));
        }
        out.extend(self.dependency_findings(repo, manifest, &assignment.owners)?);
        Ok(out)
    }

    /// References across a `depends_on` boundary, when the policy asks for them.
    pub(super) fn dependency_findings(
        &self,
        repo: &Repo,
        manifest: &Manifest,
        owners: &[Owners],
    ) -> Result<Vec<Finding>, CheckError> {
        let Some(sev) = level(manifest.policy.dependencies) else { return Ok(Vec::new()) };
        if manifest.teams.iter().all(|t| t.depends_on.is_none()) {
            return Ok(Vec::new());
        }
        let analysis = deps::analyse(repo, &self.listing)?;
        let found = deps::violations(manifest, &self.listing, owners, &analysis);
        Ok(found.into_iter().map(|v| dependency(manifest, v, sev)).collect())
    }

    pub(super) fn stale_packages(&self, manifest: &Manifest) -> Vec<Finding> {
        self.unresolved
            .iter()
            .map(|(owner, e)| {
                let team = owner_name(manifest, *owner);
                let spec = e.error.stale_spec().map_or_else(|| e.error.to_string(), str::to_string);
                let mut f =
                    Finding::new(Kind::StalePackage, Severity::Error, format!("{}: {}", whose(&team), e.error));
                f.team = team;
                f.pattern = Some(spec);
                f.line = Some(e.loc.line);
                f.column = Some(e.loc.col);
                let at = format!("{}:{}:{}", e.file, e.loc.line, e.loc.col);
                f.hint = Some(match &e.error {
                    PackageError::Renamed { now, .. } => {
                        format!("write `{}` instead in the `packages` at {at}", now.join("` or `"))
                    }
                    _ => format!(
                        "the package was renamed, moved or deleted: update or remove it in the `packages` at {at}"
                    ),
                });
                f
            })
            .collect()
    }
}
