//! `check`: ownership drift findings, judged by the manifest's `policy`.
//!
//! A full check lists the tree of the checked ref once, resolves the
//! manifest against it and assigns every file its owners (as `plan` does,
//! without reading blob sizes). `--since REV` judges only what the change
//! from REV introduced: the findings at the ref that are not findings at REV.
//! When the ownership rules are the same on both sides (the common pull
//! request), that set comes from a tree-to-tree diff alone: an unchanged
//! path keeps its owners, so only added and renamed paths can be new debt,
//! and a pattern can only have gone stale if a deleted path matched it.
//! Nothing walks history, so a shallow clone holding the two commits works.
//! `--against DIR` compares the team repositories `apply` wrote in DIR with
//! what each team keeps at the ref.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid};
use serde::Serialize;

use crate::deps::{self, Violation};
use crate::git::{ctx, GitError, Repo, ResolvedRev, TreeListing};
use crate::manifest::{Level, Loc, Manifest, Rule};
use crate::ownership::packages::{is_package_manifest, MemoryFiles, PackageError};
use crate::ownership::{Owner, Owners, Ownership, OwnershipError, Reason, ResolvedPackage, TreeFiles};
use crate::pattern::{Pattern, State};

/// What a finding is about. The order is the order of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A file no team owns and that is not shared (`policy.unowned`).
    Unowned,
    /// A file two or more teams own (`policy.overlap`).
    Overlap,
    /// A `paths` (error) or `exclude` (warning) pattern matching no file.
    StalePattern,
    /// A package that resolves to nothing.
    StalePackage,
    /// A package that resolves, but every file it resolves to is carved out
    /// or excluded: it gives its owner nothing (a warning).
    EmptyPackage,
    /// A package manifest (`package.json`, ...) that could not be parsed.
    SkippedManifest,
    /// A reference from a team's file into a team outside its `depends_on`
    /// (`policy.dependencies`).
    Dependency,
    /// `--against`: a team has no repository in the directory.
    SplitMissingRepo,
    /// `--against`: a team repository holds a file its team does not keep.
    SplitExtra,
    /// `--against`: a team repository lacks a file its team keeps.
    SplitMissing,
}

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the check (exit 1).
    Error,
    /// Reported; the check still passes.
    Warning,
}

/// One piece of drift.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What it is about.
    pub kind: Kind,
    /// Whether it fails the check.
    pub severity: Severity,
    /// The file concerned (a path of the monolith).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The team concerned (`None` for the `shared` section).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The pattern or package concerned, as written in the manifest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// One sentence saying what is wrong.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The owning teams, for an overlap.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<String>,
    /// With `--since`: the path a renamed file had at the base.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// The line of `path` the finding is about (a dependency's reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_line: Option<u32>,
    /// The manifest line of the pattern or package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The manifest column of the pattern or package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
}

impl Finding {
    fn new(kind: Kind, severity: Severity, message: String) -> Finding {
        Finding {
            kind,
            severity,
            path: None,
            team: None,
            pattern: None,
            message,
            hint: None,
            teams: Vec::new(),
            renamed_from: None,
            path_line: None,
            line: None,
            column: None,
        }
    }

    /// What makes two findings the same, across commits (manifest lines move).
    fn key(&self) -> FindingKey<'_> {
        (
            self.kind,
            self.severity,
            self.path.as_deref(),
            self.team.as_deref(),
            self.pattern.as_deref(),
            &self.teams,
        )
    }
}

/// Kind, severity, path, team, pattern and teams: a finding's identity.
type FindingKey<'a> = (Kind, Severity, Option<&'a str>, Option<&'a str>, Option<&'a str>, &'a [String]);

/// The outcome of a check.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Every finding, sorted by kind, then path, team and pattern.
    pub findings: Vec<Finding>,
    /// Findings at error level.
    pub errors: usize,
    /// Findings at warning level.
    pub warnings: usize,
    /// The commit checked.
    #[serde(rename = "ref")]
    pub commit: String,
    /// The revision as named.
    pub ref_name: String,
    /// With `--since`: the base commit; only findings new since it are listed.
    pub since: Option<String>,
}

/// What to check besides the tree of the ref.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--since REV`: judge only what changed from REV to the ref.
    pub since: Option<String>,
    /// `--against DIR`: compare the team repositories `apply` wrote there
    /// (not with `since`, which judges a change, not a split).
    pub against: Option<PathBuf>,
    /// Where the manifest lives inside the repository (`ownership.yaml`),
    /// if it does: `--since` reads the base's version from there.
    pub manifest_in_repo: Option<String>,
}

/// Why the check could not run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Reading the repository failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The tree could not be read for package resolution.
    #[error(transparent)]
    Ownership(#[from] OwnershipError),
    /// `--since` names a commit this clone does not have.
    #[error("base revision `{rev}` is not in `{}`{}: {fetch}", .repo.display(), if *.shallow { " (a shallow clone)" } else { "" })]
    MissingBase {
        /// As given.
        rev: String,
        /// The repository.
        repo: PathBuf,
        /// Whether the clone is shallow.
        shallow: bool,
        /// What to run to get it.
        fetch: String,
    },
    /// A source file could not be read for the dependency check.
    #[error(transparent)]
    Blob(#[from] deps::BlobError),
    /// `--against` names something that is not an `apply` output directory.
    #[error("`--against {}`: {reason}", .dir.display())]
    Against {
        /// As given.
        dir: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// Checks `rev` against `manifest`.
pub fn check(
    repo: &Repo,
    manifest: &Manifest,
    rev: &ResolvedRev,
    opts: &Options,
) -> Result<Report, CheckError> {
    let (findings, since) = match &opts.since {
        None => {
            let head = Side::load(repo, manifest, rev.tree, true)?;
            let mut findings = head.findings(repo, manifest, true)?;
            if let Some(dir) = &opts.against {
                findings.extend(against(manifest, rev, &head, dir)?);
            }
            (findings, None)
        }
        Some(base_rev) => {
            let base = repo.resolve(base_rev).map_err(|_| missing_base(repo, base_rev))?;
            (since(repo, manifest, rev, &base, opts)?, Some(base.commit.to_string()))
        }
    };
    Ok(report(findings, rev, since))
}

fn report(mut findings: Vec<Finding>, rev: &ResolvedRev, since: Option<String>) -> Report {
    findings.sort_by(|a, b| {
        (a.kind, &a.path, &a.team, &a.pattern, &a.teams, a.severity)
            .cmp(&(b.kind, &b.path, &b.team, &b.pattern, &b.teams, b.severity))
    });
    findings.dedup();
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    Report {
        warnings: findings.len() - errors,
        errors,
        findings,
        commit: rev.commit.to_string(),
        ref_name: rev.name.clone(),
        since,
    }
}

/// What to fetch so that `rev` resolves.
fn missing_base(repo: &Repo, rev: &str) -> CheckError {
    let shallow = repo.is_shallow();
    let name =
        rev.strip_prefix("refs/remotes/origin/").or_else(|| rev.strip_prefix("origin/")).unwrap_or(rev);
    let fetch = if rev.contains(['~', '^', '@', ':']) {
        "fetch the base commit by its id (`git fetch --depth=1 origin <id>`) and pass that id, or deepen the clone (`git fetch --deepen=<n>`)".to_string()
    } else if shallow {
        // Only the base commit and its tree are read: depth 1 is enough.
        format!("fetch it first, for example `git fetch --depth=1 origin {name}`")
    } else {
        format!("fetch it first, for example `git fetch origin {name}`")
    };
    CheckError::MissingBase { rev: rev.to_string(), repo: repo.path().to_path_buf(), shallow, fetch }
}

fn lossy(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

fn level(l: Level) -> Option<Severity> {
    match l {
        Level::Error => Some(Severity::Error),
        Level::Warn => Some(Severity::Warning),
        Level::Allow => None,
    }
}

/// Names of the owner of a rule, for messages: `course`, or `shared`.
fn owner_name(manifest: &Manifest, owner: Owner) -> Option<String> {
    match owner {
        Owner::Shared => None,
        Owner::Team(t) => Some(manifest.teams[t].name.clone()),
    }
}

fn whose(team: &Option<String>) -> String {
    match team {
        Some(t) => format!("team `{t}`"),
        None => "`shared`".to_string(),
    }
}

/// One side of a check: a tree and the manifest's rules resolved in it.
struct Side {
    tree: Oid,
    /// The tree's files: all of them when `listed`, else only those
    /// package resolution reads.
    listing: TreeListing,
    listed: bool,
    /// Whether the manifest names packages (resolved against the tree).
    has_packages: bool,
    ownership: Ownership,
    /// Packages that resolve to nothing.
    unresolved: Vec<(Owner, OwnershipError)>,
}

impl Side {
    /// Resolves `manifest` in `tree`, listing every file when `list` is set.
    /// Otherwise only what package resolution reads is listed: every
    /// package manifest and one file per directory (which gives JVM
    /// packages every directory), or nothing when there are no packages.
    fn load(repo: &Repo, manifest: &Manifest, tree: Oid, list: bool) -> Result<Side, CheckError> {
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
    fn findings(&self, repo: &Repo, manifest: &Manifest, hints: bool) -> Result<Vec<Finding>, CheckError> {
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
    fn dependency_findings(
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

    fn stale_packages(&self, manifest: &Manifest) -> Vec<Finding> {
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

fn unowned(path: String, severity: Severity) -> Finding {
    let mut f = Finding::new(Kind::Unowned, severity, format!("`{path}` is owned by no team"));
    f.path = Some(path);
    f
}

fn overlap(path: String, teams: Vec<String>, severity: Severity) -> Finding {
    let list: Vec<String> = teams.iter().map(|t| format!("`{t}`")).collect();
    let mut f = Finding::new(Kind::Overlap, severity, format!("`{path}` is owned by {}", list.join(" and ")));
    f.path = Some(path);
    f.teams = teams;
    f
}

fn stale_pattern(team: Option<String>, pattern: &str, exclude: bool, loc: Loc) -> Finding {
    let (field, severity) = if exclude { ("exclude", Severity::Warning) } else { ("paths", Severity::Error) };
    let mut f = Finding::new(
        Kind::StalePattern,
        severity,
        format!("`{pattern}` in the `{field}` of {} matches no file", whose(&team)),
    );
    f.team = team;
    f.pattern = Some(pattern.to_string());
    f.line = Some(loc.line);
    f.column = Some(loc.col);
    f
}

fn dependency(manifest: &Manifest, v: Violation, severity: Severity) -> Finding {
    let team = &manifest.teams[v.team];
    let to = &manifest.teams[v.to_team].name;
    let what = match v.kind {
        deps::RefKind::Import => "references",
        deps::RefKind::Manifest => "declares a dependency on",
    };
    let mut f = Finding::new(
        Kind::Dependency,
        severity,
        format!(
            "`{}:{}` {what} `{}` of team `{to}`, which is not in team `{}`'s `depends_on`: `{}`",
            lossy(&v.from),
            v.line,
            lossy(&v.to_path),
            team.name,
            v.text
        ),
    );
    f.path = Some(lossy(&v.from));
    f.path_line = Some(v.line);
    f.team = Some(team.name.clone());
    f.pattern = Some(lossy(&v.to_path));
    f.teams = vec![to.clone()];
    let listed: Vec<&str> = team.depends_on.iter().flatten().map(|d| d.value.as_str()).collect();
    f.hint = Some(format!(
        "add `{to}` to `depends_on` (now [{}]), move the target into `shared`, or remove the reference",
        listed.join(", ")
    ));
    f
}

fn empty_package(manifest: &Manifest, p: &ResolvedPackage, file: &str) -> Finding {
    let team = owner_name(manifest, p.owner);
    let mut f = Finding::new(
        Kind::EmptyPackage,
        Severity::Warning,
        format!(
            "{}: package `{}` owns no file: every file it resolves to is carved out or excluded",
            whose(&team),
            p.spec
        ),
    );
    f.team = team;
    f.pattern = Some(p.spec.to_string());
    f.line = Some(p.loc.line);
    f.column = Some(p.loc.col);
    f.hint = Some(format!(
        "`git-split owners` on its directories says what took its files; remove the package at {file}:{}:{} or the rule that empties it",
        p.loc.line, p.loc.col
    ));
    f
}

fn skipped_manifest(path: &str, reason: &str) -> Finding {
    let mut f = Finding::new(
        Kind::SkippedManifest,
        Severity::Warning,
        format!("`{path}` could not be read as a package manifest: {reason}"),
    );
    f.path = Some(path.to_string());
    f.hint = Some("packages it declares cannot resolve while it cannot be read: fix it (or ignore this if it is no package)".into());
    f
}

/// For a file an `exclude` or a nested package took away: which one.
fn excluded_hint(manifest: &Manifest, o: &Ownership, path: &[u8]) -> Option<String> {
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
    e.reasons.iter().find_map(|(owner, reason)| match reason {
        Reason::Excluded(pattern) => Some(format!(
            "{} excludes it with `{pattern}`: narrow that exclude, or give the file to another team",
            whose(&owner_name(manifest, *owner))
        )),
        Reason::CarvedOut { package, dir } if dir.as_bytes() == path => Some(format!(
            "it is a source file of another package, carved out of `{package}` ({}): claim its package too",
            whose(&owner_name(manifest, *owner))
        )),
        Reason::CarvedOut { package, dir } => Some(format!(
            "it lies in `{dir}`, a nested package carved out of `{package}` ({}): claim that package too",
            whose(&owner_name(manifest, *owner))
        )),
        _ => None,
    })
}

fn overlap_hint(manifest: &Manifest, o: &Ownership, path: &[u8]) -> String {
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
fn stale_pattern_hint(repo: &Repo, tree: Oid, pattern: &str) -> Result<String, CheckError> {
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
                let close = crate::suggest::closest(seg, &refs);
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
const NEIGHBOURS_CAP: u64 = 2000;

/// The key under which [`Neighbours`] counts shared files.
const SHARED: u16 = u16::MAX;

fn count(counts: &mut BTreeMap<u16, u64>, own: &Owners) {
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
struct Neighbours {
    dirs: HashMap<Vec<u8>, Near>,
}

/// The files below one directory (the unowned file itself included) and
/// how many of them each team owns.
#[derive(Default)]
struct Near {
    total: u64,
    teams: BTreeMap<u16, u64>,
    /// Counting stopped early: `total` is a lower bound.
    capped: bool,
}

fn parent(path: &[u8]) -> Option<&[u8]> {
    path.iter().rposition(|&b| b == b'/').map(|i| &path[..i])
}

impl Neighbours {
    /// From a whole tree's assignment, for the ancestors of `paths`.
    fn from_listing(listing: &TreeListing, owners: &[Owners], paths: &[&[u8]]) -> Neighbours {
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
    fn add_around(
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
                    let _ = crate::git::walk_tree(git, &sub, |rel, e| {
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
    fn hint(&self, names: &[String], path: &[u8]) -> String {
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

/// The ownership rules of a manifest, as text, for comparing two versions.
fn rules_fingerprint(m: &Manifest) -> Vec<String> {
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

/// The manifest at the base, if it has one that loads.
fn base_manifest(repo: &Repo, base: &ResolvedRev, opts: &Options, head: &Manifest) -> Option<Manifest> {
    let Some(rel) = &opts.manifest_in_repo else {
        // A manifest from outside the repository judges both sides.
        return Some(head.clone());
    };
    let bytes = repo.read_path_max(base.tree, rel, crate::manifest::MAX_MANIFEST_BYTES as u64).ok()??;
    Manifest::from_bytes(Path::new(&format!("{}:{rel}", base.name)), &bytes).ok()
}

/// A change between the base tree and the head tree.
struct Change {
    old: Option<Vec<u8>>,
    new: Option<Vec<u8>>,
}

/// Rename candidates compared by content at most (git's default limit is
/// 1000 files on each side; this bounds the pairs instead).
const RENAME_LIMIT: usize = 250_000;

fn diff(repo: &Repo, base: Oid, head: Oid) -> Result<Vec<Change>, CheckError> {
    let changes = repo.diff_trees(base, head)?;
    let mut out = Vec::new();
    let (mut deleted, mut added) = (Vec::new(), Vec::new());
    for c in changes {
        match (c.old, c.new) {
            // Same path on both sides: its owners did not change.
            (Some(o), Some(_)) => out.push(Change { old: Some(o.path.clone()), new: Some(o.path) }),
            (Some(o), None) => deleted.push(o),
            (None, Some(n)) => added.push(n),
            (None, None) => {}
        }
    }
    let pairs = repo.pair_renames(&deleted, &added, RENAME_LIMIT)?;
    let mut old_used = vec![false; deleted.len()];
    let mut new_used = vec![false; added.len()];
    for (i, j) in pairs {
        old_used[i] = true;
        new_used[j] = true;
        out.push(Change { old: Some(deleted[i].path.clone()), new: Some(added[j].path.clone()) });
    }
    out.extend(
        deleted
            .into_iter()
            .zip(old_used)
            .filter(|(_, u)| !u)
            .map(|(f, _)| Change { old: Some(f.path), new: None }),
    );
    out.extend(
        added
            .into_iter()
            .zip(new_used)
            .filter(|(_, u)| !u)
            .map(|(f, _)| Change { old: None, new: Some(f.path) }),
    );
    Ok(out)
}

/// Does any file of `tree` match `pattern`? Descends only where the
/// pattern can still match, and stops at the first file.
fn matches_any(
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

fn since(
    repo: &Repo,
    manifest: &Manifest,
    rev: &ResolvedRev,
    base: &ResolvedRev,
    opts: &Options,
) -> Result<Vec<Finding>, CheckError> {
    let base_manifest = base_manifest(repo, base, opts, manifest);
    let same_rules =
        base_manifest.as_ref().is_some_and(|b| rules_fingerprint(b) == rules_fingerprint(manifest));
    let changes = diff(repo, base.tree, rev.tree)?;
    if !same_rules {
        return new_findings(repo, manifest, rev, base, base_manifest.as_ref(), &changes);
    }
    let head = Side::load(repo, manifest, rev.tree, false)?;
    // Package resolution can change with a package manifest, and then the
    // owners of unchanged files too: compare both sides' resolutions.
    let touches_packages = head.has_packages
        && changes.iter().flat_map(|c| c.old.iter().chain(&c.new)).any(|p| is_package_manifest(p));
    if touches_packages || !head.unresolved.is_empty() {
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
        if resolutions(&base_side) != resolutions(&head) {
            return new_findings(repo, manifest, rev, base, Some(manifest), &changes);
        }
    }

    let names = head.ownership.team_names();
    let o = &head.ownership;
    let mut out = Vec::new();
    // Shared by all new files, so a directory is walked once.
    let mut near = Neighbours::default();
    for c in &changes {
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

    // A pattern went stale only if a file it matched went away.
    let git = repo.raw();
    let head_tree = git.find_tree(rev.tree).map_err(ctx(format!("reading tree {}", rev.tree)))?;
    let gone: Vec<&Vec<u8>> =
        changes.iter().filter(|c| c.old.is_some() && c.old != c.new).filter_map(|c| c.old.as_ref()).collect();
    let mut rules: Vec<(Option<String>, &Rule)> = vec![(None, &manifest.shared)];
    rules.extend(manifest.teams.iter().map(|t| (Some(t.name.clone()), &t.rule)));
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
    // Same resolutions on both sides: an unresolved package was already so.
    let touched: BTreeSet<String> = changes.iter().filter_map(|c| c.new.as_ref()).map(|p| lossy(p)).collect();
    for (path, reason) in &o.skipped_manifests {
        if touched.contains(path) {
            out.push(skipped_manifest(path, reason));
        }
    }
    out.extend(new_dependency_findings(repo, manifest, rev.tree, base.tree)?);
    Ok(out)
}

/// The dependency findings at `head` that are not findings at `base`, both
/// judged by `manifest`. A reference is the same on both sides when the same
/// file refers to the same target from the same team, wherever its line moved.
fn new_dependency_findings(
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
fn new_findings(
    repo: &Repo,
    manifest: &Manifest,
    rev: &ResolvedRev,
    base: &ResolvedRev,
    base_manifest: Option<&Manifest>,
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
    let Some(bm) = base_manifest else { return Ok(findings) };
    let base_side = Side::load(repo, bm, base.tree, true)?;
    let old = base_side.findings(repo, bm, false)?;
    let old: BTreeSet<_> = old.iter().map(Finding::key).collect();
    findings.retain(|f| !old.contains(&f.key()));
    // A file that lost its owner in this change: say who had it.
    for f in findings.iter_mut().filter(|f| f.kind == Kind::Unowned) {
        let Some(path) = &f.path else { continue };
        let before = f.renamed_from.as_ref().unwrap_or(path);
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

/// `--against DIR`: each team repository's tip against what the team keeps.
fn against(
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
        let shown = path.display().to_string();
        let rerun = format!("re-run `git-split apply --team {name} --out {}`", dir.display());
        let Ok(team_repo) = Repo::open(&path) else {
            let mut f = Finding::new(
                Kind::SplitMissingRepo,
                Severity::Warning,
                format!("team `{name}` has no repository at `{shown}`"),
            );
            f.team = Some(name.clone());
            f.hint = Some(format!("run `git-split apply --team {name} --out {}`", dir.display()));
            out.push(f);
            continue;
        };
        found += 1;
        let git = team_repo.raw();
        // The branch named like the checked ref, else the repository's HEAD.
        let branch = format!("refs/heads/{}", rev.name.trim_start_matches("refs/heads/"));
        let tip =
            git.find_reference(&branch).or_else(|_| git.head()).and_then(|r| r.peel_to_commit()).map_err(
                |_| CheckError::Against {
                    dir: dir.to_path_buf(),
                    reason: format!("`{shown}` has neither a branch `{}` nor a HEAD commit", rev.name),
                },
            )?;
        // Which monolith commit the tip was split from, for the message.
        let source = std::fs::read_to_string(path.join("split").join("commit-map")).ok().and_then(|map| {
            let tip = tip.id().to_string();
            map.lines()
                .rev()
                .filter_map(|l| l.split_once(' '))
                .find(|(_, n)| *n == tip)
                .map(|(o, _)| o[..12.min(o.len())].to_string())
        });
        let rerun = match &source {
            Some(s) => format!("its tip was rewritten from monolith commit {s}; {rerun}"),
            None => rerun,
        };
        let actual: BTreeSet<Vec<u8>> =
            team_repo.list_tree_unsized(tip.tree_id())?.files.into_iter().map(|f| f.path).collect();
        let expected: BTreeSet<Vec<u8>> =
            crate::plan::team_paths(&head.listing, &owners, t, team.root.as_deref()).into_iter().collect();
        let prefix = team.root.as_ref().map(|r| format!("{}/", r.trim_matches('/'))).unwrap_or_default();
        for (kind, paths, verb) in [
            (Kind::SplitExtra, actual.difference(&expected), "holds"),
            (Kind::SplitMissing, expected.difference(&actual), "lacks"),
        ] {
            for p in paths {
                let monolith_path = format!("{prefix}{}", lossy(p));
                let mut f = Finding::new(
                    kind,
                    Severity::Error,
                    match kind {
                        Kind::SplitExtra => format!(
                            "`{name}.git` {verb} `{monolith_path}`, which team `{name}` does not keep at `{}`",
                            rev.name
                        ),
                        _ => format!(
                            "`{name}.git` {verb} `{monolith_path}`, which team `{name}` keeps at `{}`",
                            rev.name
                        ),
                    },
                );
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
