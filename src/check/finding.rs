//! The findings, one constructor each, with the hint that goes with it.

use crate::deps::{self, Violation};
use crate::manifest::{Loc, Manifest};
use crate::ownership::ResolvedPackage;

use super::{lossy, owner_name, whose, Finding, Kind, Severity};

pub(super) fn unowned(path: String, severity: Severity) -> Finding {
    let mut f = Finding::new(Kind::Unowned, severity, format!("`{path}` is owned by no team"));
    f.path = Some(path);
    f
}

pub(super) fn overlap(path: String, teams: Vec<String>, severity: Severity) -> Finding {
    let list: Vec<String> = teams.iter().map(|t| format!("`{t}`")).collect();
    let mut f = Finding::new(Kind::Overlap, severity, format!("`{path}` is owned by {}", list.join(" and ")));
    f.path = Some(path);
    f.teams = teams;
    f
}

pub(super) fn stale_pattern(team: Option<String>, pattern: &str, exclude: bool, loc: Loc) -> Finding {
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

pub(super) fn dependency(manifest: &Manifest, v: Violation, severity: Severity) -> Finding {
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

pub(super) fn empty_package(manifest: &Manifest, p: &ResolvedPackage, file: &str) -> Finding {
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

pub(super) fn skipped_manifest(path: &str, reason: &str) -> Finding {
    let mut f = Finding::new(
        Kind::SkippedManifest,
        Severity::Warning,
        format!("`{path}` could not be read as a package manifest: {reason}"),
    );
    f.path = Some(path.to_string());
    f.hint = Some("packages it declares cannot resolve while it cannot be read: fix it (or ignore this if it is no package)".into());
    f
}
