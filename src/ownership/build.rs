//! Building an [`Ownership`]: every rule of the manifest into one flat
//! list, packages resolved in the tree given (or, for a commit of history,
//! against the rules at the split ref).

use std::collections::HashMap;

use super::packages::{FileSource, PackageError, PackageIndex, Selected};
use super::{Item, Owner, Ownership, OwnershipError, Pat, ResolvedPackage, Role};
use crate::manifest::{Loc, Manifest, PackageKind, PackageSpec, Rule};
use crate::pattern::{Pattern, MAX_SEGMENTS};

impl Ownership {
    /// The rules of `manifest` with packages resolved in `files`, and the
    /// packages whose names do not resolve there (the lenient callers
    /// report those; the others fail on the first).
    pub(super) fn build(
        manifest: &Manifest,
        files: &dyn FileSource,
        split: Option<&Ownership>,
    ) -> Result<(Ownership, Vec<(Owner, OwnershipError)>), OwnershipError> {
        let index = PackageIndex::new(files);
        let mut o = Ownership {
            team_names: manifest.teams.iter().map(|t| t.name.clone()).collect(),
            pats: Vec::new(),
            items: Vec::new(),
            packages: Vec::new(),
            nested: HashMap::new(),
            skipped_manifests: Vec::new(),
        };
        let file = manifest.path.display().to_string();
        let mut unresolved = Vec::new();
        let mut add = |o: &mut Ownership, owner, rule| {
            let ctx = RuleCtx { index: &index, file: &file, split };
            o.add_rule(owner, rule, &ctx, &mut unresolved)
        };
        add(&mut o, Owner::Shared, &manifest.shared)?;
        for (i, team) in manifest.teams.iter().enumerate() {
            add(&mut o, Owner::Team(i), &team.rule)?;
        }
        o.skipped_manifests = index.skipped();
        Ok((o, unresolved))
    }

    fn add_rule(
        &mut self,
        owner: Owner,
        rule: &Rule,
        ctx: &RuleCtx<'_, '_>,
        unresolved: &mut Vec<(Owner, OwnershipError)>,
    ) -> Result<(), OwnershipError> {
        let RuleCtx { index, file, split } = *ctx;
        for p in &rule.paths {
            let item = self.items.len();
            self.items.push(Item { owner, selects: vec![self.pats.len() as u32], carve_outs: Vec::new() });
            self.pats.push(Pat { pattern: p.value.clone(), owner, role: Role::Path, item, loc: p.loc });
        }
        for spec in &rule.packages {
            let selected = match split.and_then(|o| o.kept_from_split(owner, spec.loc, &spec.value)) {
                Some(kept) => kept,
                None => match index.select(&spec.value) {
                    Ok(selected) => selected,
                    Err(error) if error.stale_spec().is_some() => {
                        unresolved
                            .push((owner, OwnershipError { file: file.to_string(), loc: spec.loc, error }));
                        continue;
                    }
                    Err(error) => {
                        return Err(OwnershipError { file: file.to_string(), loc: spec.loc, error })
                    }
                },
            };
            if let Some(path) = selected.iter().find_map(too_deep) {
                let error = PackageError::TooDeep {
                    spec: spec.value.to_string(),
                    path: String::from_utf8_lossy(path).into(),
                };
                return Err(OwnershipError { file: file.to_string(), loc: spec.loc, error });
            }
            for one in selected {
                self.add_package(owner, &spec.value, spec.loc, one, index);
            }
        }
        for p in &rule.exclude {
            self.pats.push(Pat {
                pattern: p.value.clone(),
                owner,
                role: Role::Exclude,
                item: usize::MAX,
                loc: p.loc,
            });
        }
        Ok(())
    }

    /// What the selector `spec` that `owner` names at `loc` selected here,
    /// when it names JVM packages: those are resolved from every source
    /// file of the tree, not from package manifests, so history keeps the
    /// split ref's resolution.
    fn kept_from_split(&self, owner: Owner, loc: Loc, spec: &PackageSpec) -> Option<Vec<Selected>> {
        let mine: Vec<&ResolvedPackage> =
            self.packages.iter().filter(|p| p.owner == owner && p.loc == loc).collect();
        let jvm = spec.kind == Some(PackageKind::Jvm)
            || (!mine.is_empty() && mine.iter().all(|p| p.resolution.kind == PackageKind::Jvm));
        jvm.then(|| {
            mine.into_iter()
                .map(|p| Selected {
                    spec: p.spec.clone(),
                    resolution: p.resolution.clone(),
                    notes: p.notes.clone(),
                })
                .collect()
        })
    }

    /// Adds the patterns of one selected package.
    fn add_package(
        &mut self,
        owner: Owner,
        selector: &PackageSpec,
        loc: Loc,
        selected: Selected,
        index: &PackageIndex<'_>,
    ) {
        let Selected { spec, resolution, notes } = selected;
        let pkg = self.packages.len();
        let item = self.items.len();
        let mut carve_outs = Vec::new();
        for (k, path) in resolution.carve_outs.iter().chain(&resolution.carved_files).enumerate() {
            if k < resolution.carve_outs.len() {
                if let Some(name) = index.name_at(resolution.kind, path) {
                    self.nested.insert(self.pats.len() as u32, name);
                }
            }
            carve_outs.push(self.pats.len() as u32);
            self.pats.push(Pat {
                pattern: Pattern::literal_dir(path),
                owner,
                role: Role::CarveOut(pkg),
                item: usize::MAX,
                loc,
            });
        }
        // Directories own what is below them; single files only themselves.
        let paths: Vec<&Vec<u8>> = resolution.dirs.iter().chain(&resolution.files).collect();
        let selects = (0..paths.len()).map(|k| (self.pats.len() + k) as u32).collect();
        self.items.push(Item { owner, selects, carve_outs });
        for path in paths {
            self.pats.push(Pat {
                pattern: Pattern::literal_dir(path),
                owner,
                role: Role::Package(pkg),
                item,
                loc,
            });
        }
        self.packages.push(ResolvedPackage {
            owner,
            spec,
            selector: selector.clone(),
            loc,
            resolution,
            notes,
        });
    }
}

/// A directory or file of `selected` with more components than a rule can
/// hold: a tree may nest deeper than any real layout, and its package must
/// be refused, not matched wrongly.
fn too_deep(selected: &Selected) -> Option<&Vec<u8>> {
    let r = &selected.resolution;
    let depth = |p: &&Vec<u8>| p.split(|&b| b == b'/').filter(|c| !c.is_empty()).count();
    r.dirs
        .iter()
        .chain(&r.files)
        .chain(&r.carve_outs)
        .chain(&r.carved_files)
        .find(|p| depth(p) > MAX_SEGMENTS)
}

/// What adding one rule reads: the package index, the manifest's name for
/// messages, and, for a commit of history, the rules at the split ref.
#[derive(Clone, Copy)]
struct RuleCtx<'a, 'f> {
    index: &'a PackageIndex<'f>,
    file: &'a str,
    split: Option<&'a Ownership>,
}
