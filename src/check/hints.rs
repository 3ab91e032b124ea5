//! Hints: what took a file away, who else claims it, and for a stale
//! pattern, what nearby paths it may have meant.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use git2::{ObjectType, Oid};

use crate::manifest::Manifest;
use crate::odb::repo::ctx;
use crate::odb::{Repo, TreeListing};
use crate::ownership::{Owner, Owners, Ownership, Reason};

use super::{lossy, CheckError};

/// For a file an `exclude` or a nested package took away: which one (as
/// `owners` says it), and what to do.
pub(super) fn excluded_hint(manifest: &Manifest, o: &Ownership, path: &[u8]) -> Option<String> {
    // Explaining costs every pattern; most manifests cannot take files away.
    let can_exclude = !manifest.shared.exclude.is_empty()
        || manifest.teams.iter().any(|t| !t.rule.exclude.is_empty())
        || o.packages
            .iter()
            .any(|p| !p.resolution.carve_outs.is_empty() || !p.resolution.carved_files.is_empty());
    if !can_exclude {
        return None;
    }
    let e = o.explain(path);
    let why = o.why_not(path, &e)?;
    let advice = match &e.taken_by {
        Some((_, Reason::Excluded(_))) => "narrow that exclude, or give the file to another team".to_string(),
        Some((_, Reason::CarvedOut { dir, .. })) if dir.as_bytes() == path => {
            "claim its package too".to_string()
        }
        Some((_, Reason::CarvedOut { nested: Some(_), .. })) => {
            "add that package to the `packages` of the team that should own it".to_string()
        }
        _ => "claim that package too".to_string(),
    };
    Some(format!("{why}: {advice}"))
}

pub(super) fn overlap_hint(manifest: &Manifest, o: &Ownership, path: &[u8]) -> String {
    let e = o.explain(path);
    let mut by: Vec<String> = Vec::new();
    for (owner, reason) in &e.reasons {
        let Owner::Team(t) = owner else { continue };
        let what = match reason {
            Reason::Pattern(p) => format!("pattern `{p}`"),
            Reason::Package(p) => format!("package `{p}`"),
            _ => continue,
        };
        if e.owners.teams.contains(&(*t as u16)) {
            by.push(format!("`{}` by {what}", manifest.teams[*t].name));
        }
    }
    format!(
        "claimed by {}: keep it in one team (an `exclude` in the others), or move it to `shared` if every team needs it",
        by.join(", ")
    )
}

/// What to suggest for a pattern that matches nothing: the nearest name in
/// the tree where its literal prefix stops existing.
pub(super) fn stale_pattern_hint(repo: &Repo, tree: Oid, pattern: &str) -> Result<String, CheckError> {
    let git = repo.raw();
    let mut dir = git.find_tree(tree).map_err(ctx(format!("reading tree {tree}")))?;
    let segments: Vec<&str> = pattern.trim_start_matches("./").trim_matches('/').split('/').collect();
    let mut walked: Vec<&str> = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        if seg.contains(['*', '?', '[', '{']) {
            let at = if walked.is_empty() {
                "the repository root".to_string()
            } else {
                format!("`{}/`", walked.join("/"))
            };
            return Ok(format!(
                "nothing under {at} matches `{}`: fix the pattern or remove it",
                segments[i..].join("/")
            ));
        }
        let found = dir.get_name(seg).map(|e| (e.kind(), e.id()));
        match found {
            Some((Some(ObjectType::Tree), id)) if i + 1 < segments.len() => {
                dir = git.find_tree(id).map_err(ctx(format!("reading tree {id}")))?;
                walked.push(seg);
            }
            Some(_) => break,
            None => {
                let names: Vec<String> = dir.iter().map(|e| lossy(e.name_bytes())).collect();
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                let close = crate::util::suggest::closest(seg, &refs);
                let mut fixed = segments.clone();
                let at = if walked.is_empty() {
                    "the repository root".to_string()
                } else {
                    format!("`{}/`", walked.join("/"))
                };
                return Ok(match close.first() {
                    Some(c) => {
                        fixed[i] = c;
                        format!(
                            "{at} has no `{seg}`; did you mean `{}`? Otherwise remove the pattern",
                            fixed.join("/")
                        )
                    }
                    None => format!(
                        "{at} has no `{seg}`: the files moved or were deleted; update or remove the pattern"
                    ),
                });
            }
        }
    }
    Ok("the files it named moved or were deleted: update or remove the pattern".into())
}

/// Files counted per directory when `--since` looks around an unowned file.
pub(super) const NEIGHBOURS_CAP: u64 = 2000;

/// The key under which [`Neighbours`] counts shared files.
pub(super) const SHARED: u16 = u16::MAX;

pub(super) fn count(counts: &mut BTreeMap<u16, u64>, own: &Owners) {
    for &t in own.teams.iter() {
        *counts.entry(t).or_default() += 1;
    }
    if own.shared && own.teams.is_empty() {
        *counts.entry(SHARED).or_default() += 1;
    }
}

/// Per directory near unowned files: how many files are below it and how
/// many of those each team owns.
#[derive(Default)]
pub(super) struct Neighbours {
    pub(super) dirs: HashMap<Vec<u8>, Near>,
}

/// The files below one directory (the unowned file itself included) and
/// how many of them each team owns.
#[derive(Default)]
pub(super) struct Near {
    pub(super) total: u64,
    pub(super) teams: BTreeMap<u16, u64>,
    /// Counting stopped early: `total` is a lower bound.
    pub(super) capped: bool,
}

pub(super) fn parent(path: &[u8]) -> Option<&[u8]> {
    path.iter().rposition(|&b| b == b'/').map(|i| &path[..i])
}

impl Neighbours {
    /// From a whole tree's assignment, for the ancestors of `paths`.
    pub(super) fn from_listing(listing: &TreeListing, owners: &[Owners], paths: &[&[u8]]) -> Neighbours {
        let mut dirs: HashMap<Vec<u8>, Near> = HashMap::new();
        for p in paths {
            let mut d = parent(p);
            while let Some(dir) = d {
                if dirs.insert(dir.to_vec(), Default::default()).is_some() {
                    break;
                }
                d = parent(dir);
            }
        }
        // Files of one directory are contiguous: their candidate ancestors
        // are looked up once per directory.
        let mut last_dir: Option<&[u8]> = None;
        let mut ancestors: Vec<Vec<u8>> = Vec::new();
        for (f, own) in listing.files.iter().zip(owners) {
            let dir = parent(&f.path);
            if dir != last_dir {
                last_dir = dir;
                ancestors.clear();
                let mut d = dir;
                while let Some(x) = d {
                    if dirs.contains_key(x) {
                        ancestors.push(x.to_vec());
                    }
                    d = parent(x);
                }
            }
            for a in &ancestors {
                let near = dirs.get_mut(a).expect("a candidate");
                near.total += 1;
                count(&mut near.teams, own);
            }
        }
        Neighbours { dirs }
    }

    /// Adds the directories around `path` that are not known yet, from the
    /// subtrees of `tree` (for `--since`, which has no listing of the whole
    /// tree), up to the nearest one where a team owns something. Counting
    /// in a directory stops after `cap` files, enough to name its main owner.
    pub(super) fn add_around(
        &mut self,
        repo: &Repo,
        tree: Oid,
        o: &Ownership,
        path: &[u8],
        cap: u64,
    ) -> Result<(), CheckError> {
        let git = repo.raw();
        let root = git.find_tree(tree).map_err(ctx(format!("reading tree {tree}")))?;
        let mut d = parent(path);
        while let Some(dir) = d {
            if !self.dirs.contains_key(dir) {
                let mut n = Near::default();
                let entry = root.get_path(Path::new(std::ffi::OsStr::from_bytes(dir)));
                if let Ok(sub) = entry.and_then(|e| git.find_tree(e.id())) {
                    // An aborted walk is the cap reached, not an error.
                    let _ = crate::odb::walk_tree(git, &sub, |rel, e| {
                        if e.kind() == Some(ObjectType::Tree) {
                            return true;
                        }
                        if n.total >= cap {
                            n.capped = true;
                            return false;
                        }
                        n.total += 1;
                        count(&mut n.teams, &o.owners(&[dir, b"/", rel, e.name_bytes()].concat()));
                        true
                    });
                }
                self.dirs.insert(dir.to_vec(), n);
            }
            if self.dirs[dir].teams.keys().any(|&t| t != SHARED) {
                break;
            }
            d = parent(dir);
        }
        Ok(())
    }

    /// Which team's pattern would cover `path`: the team owning most files
    /// in its nearest directory where any team owns something.
    pub(super) fn hint(&self, names: &[String], path: &[u8]) -> String {
        let p = lossy(path);
        let mut d = parent(path);
        // The nearest directory holding shared files, if no team is nearer.
        let mut shared_dir = None;
        while let Some(dir) = d {
            if let Some(near) = self.dirs.get(dir) {
                // Highest count; the first team in name order on a tie.
                let best = near
                    .teams
                    .iter()
                    .filter(|(&t, _)| t != SHARED)
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)));
                if best.is_none() && shared_dir.is_none() && near.teams.contains_key(&SHARED) {
                    shared_dir = Some(lossy(dir));
                }
                if let Some((&t, &n)) = best {
                    let team = &names[t as usize];
                    let dir = lossy(dir);
                    let others = near.total.saturating_sub(1);
                    return if near.capped {
                        format!("team `{team}` owns most files in `{dir}/` ({n} of the first {}): add `{p}` to its `paths`, or to the team that should own it", near.total)
                    } else if n >= others {
                        format!("team `{team}` owns every other file in `{dir}/`: add `{dir}/**` (or `{p}`) to its `paths`")
                    } else {
                        format!(
                            "team `{team}` owns {n} of the {others} other files in `{dir}/`: add `{p}` to its `paths`, or to the team that should own it"
                        )
                    };
                }
            }
            d = parent(dir);
        }
        match shared_dir {
            Some(dir) => format!(
                "no team owns anything in `{dir}/`, only `shared` files are there: add `{p}` to `shared` or to the `paths` of the team that should own it"
            ),
            None => format!(
                "no team owns anything near it: add `{p}` to the `paths` of the team that should own it, or to `shared`"
            ),
        }
    }
}
