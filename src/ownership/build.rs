//! Building an [`Ownership`]: every rule of the manifest into one flat
//! list, packages resolved in the tree given (or, for a commit of history,
//! against the rules at the split ref).

use std::collections::HashMap;

use super::packages::{FileSource, PackageError, PackageIndex, Selected};
use super::{Item, Owner, Ownership, OwnershipError, Pat, ResolvedPackage, Role};
use crate::manifest::{Loc, Manifest, PackageKind, PackageSpec, Rule};
use crate::pattern::Pattern;

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
            for one in selected {
                self.add_package(owner, &spec.value, spec.loc, one, index)
                    .map_err(|error| OwnershipError { file: file.to_string(), loc: spec.loc, error })?;
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

    /// Adds the patterns of one selected package; a directory or file of
    /// it deeper than a rule holds refuses the package (a tree may nest
    /// deeper than any real layout: refused, not matched wrongly).
    fn add_package(
        &mut self,
        owner: Owner,
        selector: &PackageSpec,
        loc: Loc,
        selected: Selected,
        index: &PackageIndex<'_>,
    ) -> Result<(), PackageError> {
        let Selected { spec, resolution, notes } = selected;
        let compile = |path: &Vec<u8>| {
            Pattern::literal_dir(path).map_err(|_| PackageError::TooDeep {
                spec: selector.to_string(),
                path: String::from_utf8_lossy(path).into(),
            })
        };
        let carved: Vec<Pattern> = resolution
            .carve_outs
            .iter()
            .chain(&resolution.carved_files)
            .map(compile)
            .collect::<Result<_, _>>()?;
        // Directories own what is below them; single files only themselves.
        let owned: Vec<Pattern> =
            resolution.dirs.iter().chain(&resolution.files).map(compile).collect::<Result<_, _>>()?;
        let pkg = self.packages.len();
        let item = self.items.len();
        let mut carve_outs = Vec::new();
        for (k, pattern) in carved.into_iter().enumerate() {
            if k < resolution.carve_outs.len() {
                if let Some(name) = index.name_at(resolution.kind, &resolution.carve_outs[k]) {
                    self.nested.insert(self.pats.len() as u32, name);
                }
            }
            carve_outs.push(self.pats.len() as u32);
            self.pats.push(Pat { pattern, owner, role: Role::CarveOut(pkg), item: usize::MAX, loc });
        }
        let selects = (0..owned.len()).map(|k| (self.pats.len() + k) as u32).collect();
        self.items.push(Item { owner, selects, carve_outs });
        for pattern in owned {
            self.pats.push(Pat { pattern, owner, role: Role::Package(pkg), item, loc });
        }
        self.packages.push(ResolvedPackage {
            owner,
            spec,
            selector: selector.clone(),
            loc,
            resolution,
            notes,
        });
        Ok(())
    }
}

/// What adding one rule reads: the package index, the manifest's name for
/// messages, and, for a commit of history, the rules at the split ref.
#[derive(Clone, Copy)]
struct RuleCtx<'a, 'f> {
    index: &'a PackageIndex<'f>,
    file: &'a str,
    split: Option<&'a Ownership>,
}
