//! `--since BASE`: the findings a change introduces, judged from a
//! tree-to-tree diff when the ownership rules are the same on both sides.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use git2::{ObjectType, Oid};

use crate::manifest::{Manifest, Rule};
use crate::odb::renames;
use crate::odb::repo::ctx;
use crate::odb::{GitError, Repo, ResolvedRev};
use crate::ownership::packages::is_package_manifest;
use crate::ownership::{Owner, Ownership, Reason};
use crate::pattern::{Pattern, State};

use super::finding::{overlap, skipped_manifest, stale_pattern, unowned};
use super::hints::{excluded_hint, overlap_hint, stale_pattern_hint, Neighbours, NEIGHBOURS_CAP};
use super::{level, lossy, CheckError, Finding, Kind, Options, Side, SinceManifests};

/// The ownership rules of a manifest, as text, for comparing two versions.
pub(super) fn rules_fingerprint(m: &Manifest) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |who: &str, rule: &Rule| {
        for p in &rule.paths {
            out.push(format!("{who}\0paths\0{}", p.value.as_str()));
        }
        for p in &rule.packages {
            out.push(format!("{who}\0packages\0{}", p.value));
        }
        for p in &rule.exclude {
            out.push(format!("{who}\0exclude\0{}", p.value.as_str()));
        }
    };
    add("", &m.shared);
    for t in &m.teams {
        add(&format!("team {}", t.name), &t.rule);
    }
    out.push(format!("policy {:?} {:?}", m.policy.unowned, m.policy.overlap));
    out
}

/// The manifest that judges the base: its own version when it has one
/// that loads, else the ref's (so an untracked or newly added manifest
/// does not make every old finding new), and which one it was.
pub(super) fn base_manifest(
    repo: &Repo,
    base: &ResolvedRev,
    opts: &Options,
    head: &Manifest,
) -> (Manifest, SinceManifests) {
    let head_name = head.path.display().to_string();
    let judged = |base_name: String, note: Option<String>| SinceManifests {
        head: head_name.clone(),
        base: base_name,
        note,
    };
    let Some(rel) = &opts.manifest_in_repo else {
        // A manifest from outside the repository judges both sides.
        return (head.clone(), judged(head_name.clone(), None));
    };
    let at = format!("{}:{rel}", &base.commit.to_string()[..12]);
    let by_head = |why: String| {
        let note = format!("{why}: the base is judged by the ref's manifest, `{head_name}`, too");
        (head.clone(), judged(head_name.clone(), Some(note)))
    };
    let max = crate::manifest::MAX_MANIFEST_BYTES as u64;
    match repo.read_path_max(base.tree, rel, max) {
        Ok(Some(bytes)) => match Manifest::from_bytes(Path::new(&at), &bytes) {
            Ok(m) => (m, judged(at, None)),
            Err(e) => by_head(format!("`{at}` does not load ({e})")),
        },
        Ok(None) => by_head(format!("`{rel}` is not in the tree of {} ({})", base.name, &at[..12])),
        Err(e) => by_head(format!("`{at}` cannot be read ({e})")),
    }
}

/// A change between the base tree and the head tree.
pub(super) struct Change {
    pub(super) old: Option<Vec<u8>>,
    pub(super) new: Option<Vec<u8>>,
}

/// The changes from `base` to `head`, with renames paired as `git diff
/// -M` pairs them; true when the rename search met its bound (git's
/// `diff.renameLimit`, or a blob too large to score), so that some moves
/// are listed as a deletion and an addition.
pub(super) fn diff(repo: &Repo, base: Oid, head: Oid) -> Result<(Vec<Change>, bool), CheckError> {
    let d = renames::diff_trees(repo, base, head, renames::Options::default())?;
    let renamed = d.renamed.into_iter().map(|r| Change { old: Some(r.old.path), new: Some(r.new.path) });
    // A change in place keeps its path, and so its owners.
    let changed =
        d.changed.into_iter().map(|c| Change { old: c.old.map(|f| f.path), new: c.new.map(|f| f.path) });
    Ok((renamed.chain(changed).collect(), d.limited))
}

/// What `--since` found.
pub(super) struct Since {
    /// The findings the change introduces.
    pub(super) findings: Vec<Finding>,
    /// The manifest that judged each side.
    pub(super) judged: SinceManifests,
    /// The rename search met its bound: a moved file may be judged as new.
    pub(super) renames_limited: bool,
}

/// Does any file of `tree` match `pattern`? Descends only where the
/// pattern can still match, and stops at the first file.
pub(super) fn matches_any(
    git: &git2::Repository,
    tree: &git2::Tree<'_>,
    pattern: &Pattern,
    s: State,
) -> Result<bool, GitError> {
    for entry in tree.iter() {
        let next = pattern.step(s, entry.name_bytes());
        if pattern.is_accepting(next) {
            return Ok(true);
        }
        if next.is_dead() || entry.kind() != Some(ObjectType::Tree) {
            continue;
        }
        let sub = git.find_tree(entry.id()).map_err(ctx(format!("reading tree {}", entry.id())))?;
        if matches_any(git, &sub, pattern, next)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The findings the change from `base` to `rev` introduces, and the
/// manifests that judged each side.
pub(super) fn since(
    repo: &Repo,
    manifest: &Manifest,
    rev: &ResolvedRev,
    base: &ResolvedRev,
    opts: &Options,
) -> Result<Since, CheckError> {
    let (base_manifest, judged) = base_manifest(repo, base, opts, manifest);
    let same_rules = rules_fingerprint(&base_manifest) == rules_fingerprint(manifest);
    let (changes, renames_limited) = diff(repo, base.tree, rev.tree)?;
    let done = |findings| Ok(Since { findings, judged, renames_limited });
    if !same_rules {
        return done(new_findings(repo, manifest, rev, base, &base_manifest, &changes)?);
    }
    let head = Side::load(repo, manifest, rev.tree, false)?;
    if resolutions_differ(repo, manifest, base, &head, &changes)? {
        return done(new_findings(repo, manifest, rev, base, manifest, &changes)?);
    }
    let o = &head.ownership;
    let mut out = changed_file_findings(repo, manifest, rev, o, &changes)?;
    out.extend(stale_pattern_findings(repo, manifest, rev, &changes)?);
    // Same resolutions on both sides: an unresolved package was already so.
    let touched: BTreeSet<String> = changes.iter().filter_map(|c| c.new.as_ref()).map(|p| lossy(p)).collect();
    for (path, reason) in &o.skipped_manifests {
        if touched.contains(path) {
            out.push(skipped_manifest(path, reason));
        }
    }
    out.extend(new_dependency_findings(repo, manifest, rev.tree, base.tree)?);
    done(out)
}

/// Whether package resolution differs between the two sides. It can change
/// with a package manifest, and then the owners of unchanged files change
/// too, so a change that touches one compares both sides' resolutions.
fn resolutions_differ(
    repo: &Repo,
    manifest: &Manifest,
    base: &ResolvedRev,
    head: &Side,
    changes: &[Change],
) -> Result<bool, CheckError> {
    let touches_packages = head.has_packages
        && changes.iter().flat_map(|c| c.old.iter().chain(&c.new)).any(|p| is_package_manifest(p));
    if !touches_packages && head.unresolved.is_empty() {
        return Ok(false);
    }
    let base_side = Side::load(repo, manifest, base.tree, false)?;
    let resolutions = |s: &Side| -> Vec<String> {
        let mut v: Vec<String> = s
            .ownership
            .packages
            .iter()
            .map(|p| {
                format!("{:?} {} {:?} {:?}", p.owner, p.spec, p.resolution.dirs, p.resolution.carve_outs)
            })
            .collect();
        v.extend(s.unresolved.iter().map(|(o, e)| format!("{o:?} {e}")));
        v
    };
    Ok(resolutions(&base_side) != resolutions(head))
}

/// The unowned and overlap findings of the files the change adds or
/// modifies, each with its hint.
fn changed_file_findings(
    repo: &Repo,
    manifest: &Manifest,
    rev: &ResolvedRev,
    o: &Ownership,
    changes: &[Change],
) -> Result<Vec<Finding>, CheckError> {
    let names = o.team_names();
    let mut out = Vec::new();
    // Shared by all new files, so a directory is walked once.
    let mut near = Neighbours::default();
    for c in changes {
        let Some(new) = &c.new else { continue };
        if c.old.as_ref() == Some(new) {
            continue;
        }
        let own = o.owners(new);
        let renamed_from = c.old.as_ref().map(|p| lossy(p));
        let moved = |f: &mut Finding| {
            if let Some(old) = &renamed_from {
                f.message = format!("{} (renamed from `{old}`)", f.message);
                f.renamed_from = Some(old.clone());
            }
        };
        if own.is_unowned() {
            let Some(sev) = level(manifest.policy.unowned) else { continue };
            let mut f = unowned(lossy(new), sev);
            moved(&mut f);
            let was = c.old.as_ref().map(|p| o.owners(p)).filter(|w| !w.teams.is_empty());
            f.hint = Some(match (&was, excluded_hint(manifest, o, new)) {
                (Some(w), _) => {
                    let team = &names[w.teams[0] as usize];
                    format!(
                        "it moved out of what team `{team}` owns: move it back, or add `{}` to `{team}`'s `paths`",
                        lossy(new)
                    )
                }
                (None, Some(h)) => h,
                (None, None) => {
                    near.add_around(repo, rev.tree, o, new, NEIGHBOURS_CAP)?;
                    near.hint(names, new)
                }
            });
            out.push(f);
        } else if own.teams.len() > 1 {
            let Some(sev) = level(manifest.policy.overlap) else { continue };
            let teams = own.teams.iter().map(|&t| names[t as usize].clone()).collect();
            let mut f = overlap(lossy(new), teams, sev);
            moved(&mut f);
            f.hint = Some(overlap_hint(manifest, o, new));
            out.push(f);
        }
    }
    Ok(out)
}

/// The patterns the change made stale: a pattern went stale only if a file
/// it matched went away and it matches nothing at the ref.
fn stale_pattern_findings(
    repo: &Repo,
    manifest: &Manifest,
    rev: &ResolvedRev,
    changes: &[Change],
) -> Result<Vec<Finding>, CheckError> {
    let git = repo.raw();
    let head_tree = git.find_tree(rev.tree).map_err(ctx(format!("reading tree {}", rev.tree)))?;
    let gone: Vec<&Vec<u8>> =
        changes.iter().filter(|c| c.old.is_some() && c.old != c.new).filter_map(|c| c.old.as_ref()).collect();
    let mut rules: Vec<(Option<String>, &Rule)> = vec![(None, &manifest.shared)];
    rules.extend(manifest.teams.iter().map(|t| (Some(t.name.clone()), &t.rule)));
    let mut out = Vec::new();
    for (team, rule) in rules {
        for (list, exclude) in [(&rule.paths, false), (&rule.exclude, true)] {
            for p in list {
                if !gone.iter().any(|g| p.value.is_match(g)) {
                    continue;
                }
                if !matches_any(git, &head_tree, &p.value, p.value.start())? {
                    let mut f = stale_pattern(team.clone(), p.value.as_str(), exclude, p.loc);
                    f.hint = Some(stale_pattern_hint(repo, rev.tree, p.value.as_str())?);
                    out.push(f);
                }
            }
        }
    }
    Ok(out)
}

/// The dependency findings at `head` that are not findings at `base`, both
/// judged by `manifest`. A reference is the same on both sides when the same
/// file refers to the same target from the same team, wherever its line moved.
pub(super) fn new_dependency_findings(
    repo: &Repo,
    manifest: &Manifest,
    head: Oid,
    base: Oid,
) -> Result<Vec<Finding>, CheckError> {
    if level(manifest.policy.dependencies).is_none() || manifest.teams.iter().all(|t| t.depends_on.is_none())
    {
        return Ok(Vec::new());
    }
    let at = |tree: Oid| -> Result<Vec<Finding>, CheckError> {
        let side = Side::load(repo, manifest, tree, true)?;
        let assignment = side.ownership.assign(&side.listing);
        side.dependency_findings(repo, manifest, &assignment.owners)
    };
    let old = at(base)?;
    let old: BTreeSet<_> = old.iter().map(Finding::key).collect();
    Ok(at(head)?.into_iter().filter(|f| !old.contains(&f.key())).collect())
}

/// The findings at the ref that are not findings at the base (when the
/// rules differ between the two, each side judged by its own manifest).
pub(super) fn new_findings(
    repo: &Repo,
    manifest: &Manifest,
    rev: &ResolvedRev,
    base: &ResolvedRev,
    bm: &Manifest,
    changes: &[Change],
) -> Result<Vec<Finding>, CheckError> {
    let head = Side::load(repo, manifest, rev.tree, true)?;
    let mut findings = head.findings(repo, manifest, true)?;
    let renamed: HashMap<String, String> = changes
        .iter()
        .filter_map(|c| match (&c.old, &c.new) {
            (Some(o), Some(n)) if o != n => Some((lossy(n), lossy(o))),
            _ => None,
        })
        .collect();
    for f in &mut findings {
        if let Some(old) = f.path.as_ref().and_then(|p| renamed.get(p)) {
            f.message = format!("{} (renamed from `{old}`)", f.message);
            f.renamed_from = Some(old.clone());
        }
    }
    let base_side = Side::load(repo, bm, base.tree, true)?;
    let old = base_side.findings(repo, bm, false)?;
    let old: BTreeSet<_> = old.iter().map(Finding::key).collect();
    findings.retain(|f| !old.contains(&f.key()));
    // A file that lost its owner in this change: say who had it. Only a
    // file the base has can have had an owner there.
    let at_base: HashSet<&[u8]> = base_side.listing.files.iter().map(|f| f.path.as_slice()).collect();
    for f in findings.iter_mut().filter(|f| f.kind == Kind::Unowned) {
        let Some(path) = &f.path else { continue };
        let before = f.renamed_from.as_ref().unwrap_or(path);
        if !at_base.contains(before.as_bytes()) {
            continue;
        }
        let e = base_side.ownership.explain(before.as_bytes());
        let Some(&t) = e.owners.teams.first() else { continue };
        let team = &bm.teams[t as usize].name;
        let by: Vec<String> = e
            .reasons
            .iter()
            .filter(|(o, _)| *o == Owner::Team(t as usize))
            .filter_map(|(_, r)| match r {
                Reason::Pattern(p) => Some(format!("pattern `{p}`")),
                Reason::Package(p) => Some(format!("package `{p}`")),
                _ => None,
            })
            .collect();
        f.hint = Some(format!(
            "at {} team `{team}` owned `{before}` (by {}): give it back to `{team}` (fix its `paths` or `packages`), or to the team that should own it now",
            &base.commit.to_string()[..12],
            by.join(", ")
        ));
    }
    Ok(findings)
}
