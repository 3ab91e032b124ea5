//! `git-split owners PATH...`: who owns each path, and why.

use std::io::Write;

use owo_colors::OwoColorize;
use serde::Serialize;

use git_split::ownership::{Owner, Reason};
use git_split::plan::Snapshot;

use super::output::{self, style};
use super::{tree_path, CmdResult, Context, Format, GlobalArgs};

/// Show which teams own each path and the pattern or package that matched.
///
/// Paths are relative to the current directory, as git reads pathspecs (in
/// a subdirectory, `x` is `<subdirectory>/x`), and need not exist; each is
/// shown as its path from the repository root. For a directory of the
/// tree, also shows how much of it each team owns.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Paths to explain.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Serialize)]
struct Report {
    paths: Vec<PathReport>,
}

#[derive(Serialize)]
struct PathReport {
    path: String,
    /// `file`, `directory` or `missing` in the tree of the ref.
    kind: &'static str,
    teams: Vec<String>,
    shared: bool,
    matched_by: Vec<Match>,
    excluded_by: Vec<Match>,
    /// For a file no team owns: what took it from the rules that match it
    /// (the sentence `check`'s hint starts with).
    #[serde(skip_serializing_if = "Option::is_none")]
    why_unowned: Option<String>,
    /// For a directory: files below it each team keeps, of `files`.
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    coverage: Vec<Coverage>,
}

#[derive(Serialize)]
struct Match {
    /// The team, or null for `shared`.
    team: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    carved_out: Option<String>,
    /// The nested package at `carved_out`, as `kind:name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    nested_package: Option<String>,
}

#[derive(Serialize)]
struct Coverage {
    team: String,
    owned_files: u64,
}

/// Runs `owners`.
pub fn run(global: &GlobalArgs, args: &Args) -> CmdResult {
    let ctx = Context::load(global)?;
    let paths: Vec<String> =
        args.paths.iter().map(|p| tree_path(&ctx.repo, std::path::Path::new(p))).collect::<Result<_, _>>()?;
    let snap = Snapshot::load_unsized(&ctx.repo, &ctx.manifest, ctx.rev.clone())?;
    let o = &snap.ownership;
    let names = o.team_names();
    let team_name = |owner: Owner| match owner {
        Owner::Shared => None,
        Owner::Team(t) => Some(names[t].clone()),
    };
    let assignment = o.assign(&snap.listing);
    let mut reports = Vec::new();
    for path in paths {
        let exp = o.explain(path.as_bytes());
        let why_not = o.why_not(path.as_bytes(), &exp);
        let mut matched_by = Vec::new();
        let mut excluded_by = Vec::new();
        for (owner, reason) in exp.reasons {
            let mut m = Match {
                team: team_name(owner),
                pattern: None,
                package: None,
                carved_out: None,
                nested_package: None,
            };
            match reason {
                Reason::Pattern(p) => m.pattern = Some(p),
                Reason::Package(p) => m.package = Some(p),
                Reason::Excluded(p) => {
                    m.pattern = Some(p);
                    excluded_by.push(m);
                    continue;
                }
                Reason::CarvedOut { package, dir, nested } => {
                    m.package = Some(package);
                    m.carved_out = Some(dir);
                    m.nested_package = nested;
                    excluded_by.push(m);
                    continue;
                }
            }
            matched_by.push(m);
        }
        let prefix = format!("{path}/");
        let mut kind = "missing";
        let mut files = 0u64;
        let mut per_team = vec![0u64; names.len()];
        let mut any_shared = false;
        for (f, own) in snap.listing.files.iter().zip(&assignment.owners) {
            if f.path == path.as_bytes() {
                kind = "file";
            } else if path.is_empty() || f.path.starts_with(prefix.as_bytes()) {
                kind = "directory";
                files += 1;
                any_shared |= own.shared;
                for &t in own.teams.iter() {
                    per_team[t as usize] += 1;
                }
            }
        }
        let is_dir = kind == "directory";
        // A directory's owners are those of its files: a team whose rules
        // match the directory but whose `exclude` takes every file in it
        // owns nothing there.
        let (teams, shared) = if is_dir {
            let teams: Vec<String> =
                (0..names.len()).filter(|&t| per_team[t] > 0).map(|t| names[t].clone()).collect();
            (teams, any_shared)
        } else {
            (exp.owners.teams.iter().map(|&t| names[t as usize].clone()).collect(), exp.owners.shared)
        };
        let why_unowned = why_not.filter(|_| !is_dir && teams.is_empty() && !shared);
        reports.push(PathReport {
            path,
            kind,
            teams,
            shared,
            matched_by,
            excluded_by,
            why_unowned,
            files: is_dir.then_some(files),
            coverage: if is_dir {
                per_team
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .map(|(t, n)| Coverage { team: names[t].clone(), owned_files: *n })
                    .collect()
            } else {
                Vec::new()
            },
        });
    }
    let report = Report { paths: reports };
    match args.format {
        Format::Json => output::json(&report)?,
        Format::Text => text(&report)?,
    }
    Ok(())
}

fn text(report: &Report) -> std::io::Result<()> {
    let mut out = output::stdout();
    for p in &report.paths {
        let mut owners: Vec<String> = p.teams.iter().map(|t| t.style(style::team()).to_string()).collect();
        if p.shared {
            owners.push("shared (every team)".to_string());
        }
        let who =
            if owners.is_empty() { "unowned".style(style::bad()).to_string() } else { owners.join(", ") };
        let kind = match p.kind {
            "missing" => " (not in the tree)",
            "directory" => " (directory)",
            _ => "",
        };
        // The root, asked for as `.` from the top of the work tree.
        let shown = if p.path.is_empty() { "." } else { p.path.as_str() };
        writeln!(out, "{}{}: {who}", output::path(shown), kind.style(style::dim()))?;
        for m in &p.matched_by {
            writeln!(out, "  {} {}", m.team.as_deref().unwrap_or("shared"), describe(m))?;
        }
        for m in &p.excluded_by {
            writeln!(
                out,
                "  {} {} {}",
                m.team.as_deref().unwrap_or("shared"),
                "not:".style(style::warn()),
                describe(m)
            )?;
        }
        if let Some(why) = &p.why_unowned {
            writeln!(out, "  {} {why}", "why:".style(style::warn()))?;
        }
        if let Some(total) = p.files {
            for c in &p.coverage {
                let how = if c.owned_files == total {
                    "all".to_string()
                } else {
                    format!("{} of {total}", c.owned_files)
                };
                writeln!(out, "  {} owns {how} files below", c.team)?;
            }
        }
    }
    Ok(())
}

fn describe(m: &Match) -> String {
    match (&m.pattern, &m.package, &m.carved_out) {
        (Some(p), _, _) => format!("pattern `{p}`"),
        (_, Some(p), Some(dir)) => match &m.nested_package {
            Some(nested) => format!("package `{p}`, but `{dir}/` is the package `{nested}`"),
            None => format!("package `{p}`, but `{dir}/` is a nested package"),
        },
        (_, Some(p), None) => format!("package `{p}`"),
        _ => String::new(),
    }
}
