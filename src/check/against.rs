//! `--against DIR`: the team repositories `apply` wrote, compared with
//! what each team keeps at the ref.

use std::collections::BTreeSet;
use std::path::Path;

use git2::Oid;

use crate::manifest::Manifest;
use crate::odb::{Repo, ResolvedRev};

use super::{lossy, CheckError, Finding, Kind, Severity, Side};

/// `--against DIR`: each team repository's tip against what the team keeps.
pub(super) fn against(
    manifest: &Manifest,
    rev: &ResolvedRev,
    head: &Side,
    dir: &Path,
) -> Result<Vec<Finding>, CheckError> {
    if !dir.is_dir() {
        return Err(CheckError::Against { dir: dir.to_path_buf(), reason: "no such directory".into() });
    }
    let owners = head.ownership.assign(&head.listing).owners;
    let mut out = Vec::new();
    let mut found = 0;
    for (t, team) in manifest.teams.iter().enumerate() {
        let name = &team.name;
        let path = dir.join(format!("{name}.git"));
        let Ok(team_repo) = Repo::open(&path) else {
            out.push(missing_repo(name, &path, dir));
            continue;
        };
        found += 1;
        let tip = Tip::read(&team_repo, &path, rev, dir)?;
        let rerun = format!("re-run `git-split apply --team {name} --out {}`", dir.display());
        let rerun = match &tip.source {
            Some(s) => format!("its tip was rewritten from monolith commit {s}; {rerun}"),
            None => rerun,
        };
        let actual: BTreeSet<Vec<u8>> =
            team_repo.list_tree_unsized(tip.tree)?.files.into_iter().map(|f| f.path).collect();
        let expected: BTreeSet<Vec<u8>> =
            crate::plan::team_paths(&head.listing, &owners, t, team.root.as_deref()).into_iter().collect();
        let prefix = team.root.as_ref().map(|r| format!("{}/", r.trim_matches('/'))).unwrap_or_default();
        for (kind, paths) in [
            (Kind::SplitExtra, actual.difference(&expected)),
            (Kind::SplitMissing, expected.difference(&actual)),
        ] {
            for p in paths {
                let monolith_path = format!("{prefix}{}", lossy(p));
                let what = match kind {
                    Kind::SplitExtra => format!("holds `{monolith_path}`, which team `{name}` does not keep"),
                    _ => format!("lacks `{monolith_path}`, which team `{name}` keeps"),
                };
                let mut f =
                    Finding::new(kind, Severity::Error, format!("`{name}.git` {what} at `{}`", rev.name));
                f.path = Some(monolith_path);
                f.team = Some(name.clone());
                f.hint = Some(rerun.clone());
                out.push(f);
            }
        }
    }
    if found == 0 {
        return Err(CheckError::Against {
            dir: dir.to_path_buf(),
            reason: "holds no team repository of this manifest (`<team>.git`)".into(),
        });
    }
    Ok(out)
}

/// A team with no repository under `dir`.
fn missing_repo(name: &str, path: &Path, dir: &Path) -> Finding {
    let mut f = Finding::new(
        Kind::SplitMissingRepo,
        Severity::Warning,
        format!("team `{name}` has no repository at `{}`", path.display()),
    );
    f.team = Some(name.to_string());
    f.hint = Some(format!("run `git-split apply --team {name} --out {}`", dir.display()));
    f
}

/// The commit of a team repository that is compared.
struct Tip {
    /// Its tree.
    tree: Oid,
    /// The monolith commit it was split from, abbreviated, when the commit
    /// map says.
    source: Option<String>,
}

impl Tip {
    /// The branch named like the checked ref, else the repository's HEAD.
    fn read(team_repo: &Repo, path: &Path, rev: &ResolvedRev, dir: &Path) -> Result<Tip, CheckError> {
        let git = team_repo.raw();
        let branch = format!("refs/heads/{}", rev.name.trim_start_matches("refs/heads/"));
        let tip = git
            .find_reference(&branch)
            .or_else(|_| git.head())
            .and_then(|r| r.peel_to_commit())
            .map_err(|_| CheckError::Against {
                dir: dir.to_path_buf(),
                reason: format!("`{}` has neither a branch `{}` nor a HEAD commit", path.display(), rev.name),
            })?;
        let source = std::fs::read_to_string(path.join("split").join("commit-map")).ok().and_then(|map| {
            let tip = tip.id().to_string();
            map.lines()
                .rev()
                .filter_map(|l| l.split_once(' '))
                .find(|(_, n)| *n == tip)
                .map(|(o, _)| o[..12.min(o.len())].to_string())
        });
        Ok(Tip { tree: tip.tree_id(), source })
    }
}
