//! `git-split owners PATH...`: who owns each path, and why.

use std::io::Write;

use owo_colors::OwoColorize;
use serde::Serialize;

use git_split::odb::follow::{follow, Followed, StepKind};
use git_split::odb::TreeFile;
use git_split::ownership::{Owner, Owners, Reason};
use git_split::plan::Snapshot;
use git_split::rewrite::lineage::Lineages;

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
    /// Also show each file's earlier paths, as `git log --follow` finds
    /// them, with the commit that moved it and who owns each path now.
    #[arg(long)]
    history: bool,
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
    /// With `--history`, for a file: its earlier paths, newest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<Vec<Move>>,
    /// True when a rename search met a bound (a blob too large to score,
    /// too many candidates): the history may stop earlier than git's.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    history_bounded: bool,
}

/// A commit that moved (or copied) a file to where it is next.
#[derive(Serialize)]
struct Move {
    /// The path before the commit.
    from: String,
    /// The path after it.
    to: String,
    /// `renamed`, or `copied` (the earlier file stayed).
    how: &'static str,
    /// Similarity in percent, as `git diff -M` prints it.
    similarity: u32,
    commit: String,
    /// The author date, ISO 8601 with the commit's offset.
    date: String,
    subject: String,
    /// Who owns `from` under the current manifest.
    teams: Vec<String>,
    shared: bool,
    /// The teams keeping the file now whose repository holds `from`
    /// before this commit and every later move: the file's history there
    /// reaches back past this move (`follow_renames` follows renames, not
    /// copies).
    kept_by: Vec<String>,
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
    let histories = match args.history {
        true => Histories::read(&ctx, &snap, &paths)?,
        false => Histories::default(),
    };
    let mut reports = Vec::new();
    for path in paths {
        let exp = o.explain(path.as_bytes());
        let why_not = o.why_not(path.as_bytes(), &exp);
        let (matched_by, excluded_by) = matches(exp.reasons, &team_name);
        let Scope { kind, files, per_team, any_shared } =
            Scope::of(&path, &snap.listing.files, &assignment.owners, names.len());
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
        let (history, history_bounded) = match histories.of.get(&path) {
            Some(followed) if kind == "file" => {
                (Some(histories.moves(&ctx, &snap, &path, followed)?), followed.limited)
            }
            _ => (None, false),
        };
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
            history,
            history_bounded,
        });
    }
    let report = Report { paths: reports };
    match args.format {
        Format::Json => output::json(&report)?,
        Format::Text => text(&report)?,
    }
    Ok(())
}

/// The rules that match a path, split into those that give it an owner
/// and those that take it away (an `exclude`, a carve-out).
fn matches(
    reasons: Vec<(Owner, Reason)>,
    team_name: &dyn Fn(Owner) -> Option<String>,
) -> (Vec<Match>, Vec<Match>) {
    let mut matched_by = Vec::new();
    let mut excluded_by = Vec::new();
    for (owner, reason) in reasons {
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
    (matched_by, excluded_by)
}

/// What a path names in the listing, and for a directory who owns its files.
struct Scope {
    /// "file", "directory" or "missing".
    kind: &'static str,
    /// A directory's files.
    files: u64,
    /// A directory's files owned by each team, by team index.
    per_team: Vec<u64>,
    /// Whether any of a directory's files is shared.
    any_shared: bool,
}

impl Scope {
    /// The scope of `path` (the root when empty) among `files`.
    fn of(path: &str, files: &[TreeFile], owners: &[Owners], teams: usize) -> Scope {
        let prefix = format!("{path}/");
        let mut scope = Scope { kind: "missing", files: 0, per_team: vec![0; teams], any_shared: false };
        for (f, own) in files.iter().zip(owners) {
            if f.path == path.as_bytes() {
                scope.kind = "file";
            } else if path.is_empty() || f.path.starts_with(prefix.as_bytes()) {
                scope.kind = "directory";
                scope.files += 1;
                scope.any_shared |= own.shared;
                for &t in own.teams.iter() {
                    scope.per_team[t as usize] += 1;
                }
            }
        }
        scope
    }
}

/// The histories of the files asked about, and what the teams keeping
/// them keep of their earlier paths.
#[derive(Default)]
struct Histories<'s> {
    /// Per file asked about, what `git log --follow` finds.
    of: std::collections::HashMap<String, Followed>,
    /// The teams keeping some file that has an earlier path (manifest
    /// indices), and their history.
    teams: Vec<usize>,
    lineages: Option<Lineages<'s>>,
}

impl<'s> Histories<'s> {
    /// Follows each of `paths` that is a file at the split ref.
    fn read(ctx: &Context, snap: &'s Snapshot, paths: &[String]) -> anyhow::Result<Histories<'s>> {
        let o = &snap.ownership;
        let files: std::collections::HashSet<&[u8]> =
            snap.listing.files.iter().map(|f| &f.path[..]).collect();
        let mut out = Histories::default();
        let mut teams = std::collections::BTreeSet::new();
        for path in paths.iter().filter(|p| files.contains(p.as_bytes())) {
            let followed = follow(&ctx.repo, ctx.rev.commit, path.as_bytes())?;
            if followed.moves().next().is_some() {
                let owners = o.owners(path.as_bytes());
                teams.extend((0..o.team_names().len()).filter(|&t| owners.kept_by(t)));
            }
            out.of.insert(path.clone(), followed);
        }
        out.teams = teams.into_iter().collect();
        if !out.teams.is_empty() {
            let (repo, manifest) = (&ctx.repo, &ctx.manifest);
            out.lineages = Some(Lineages::read(repo, manifest, snap, ctx.rev.commit, &out.teams)?);
        }
        Ok(out)
    }

    /// The moves of the file at `path`, each earlier path with its owners
    /// under the current manifest and the teams whose history keeps it.
    fn moves(
        &self,
        ctx: &Context,
        snap: &Snapshot,
        path: &str,
        followed: &Followed,
    ) -> anyhow::Result<Vec<Move>> {
        let (repo, o) = (&ctx.repo, &snap.ownership);
        let names = o.team_names();
        let now = o.owners(path.as_bytes());
        // The teams whose history of the file has reached this far.
        let mut keeping: Vec<usize> = (0..self.teams.len()).filter(|&k| now.kept_by(self.teams[k])).collect();
        let mut out = Vec::new();
        for step in followed.moves() {
            let (from, how, similarity) = match &step.kind {
                StepKind::Renamed { from, score } => (from, "renamed", *score),
                StepKind::Copied { from, score } => (from, "copied", *score),
                _ => continue,
            };
            let commit = repo.raw().find_commit(step.commit)?;
            if let (Some(lineages), Ok(parent)) = (&self.lineages, commit.parent_id(0)) {
                keeping.retain(|&k| {
                    lineages.keeps(k, step.commit, &step.path) == Some(true)
                        && lineages.keeps(k, parent, from) == Some(true)
                });
            } else {
                keeping.clear();
            }
            let owners = o.explain(from).owners;
            let when = commit.author().when();
            out.push(Move {
                from: String::from_utf8_lossy(from).into_owned(),
                to: String::from_utf8_lossy(&step.path).into_owned(),
                how,
                similarity,
                commit: step.commit.to_string(),
                date: iso_date(when.seconds(), when.offset_minutes()),
                subject: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned(),
                teams: owners.teams.iter().map(|&t| names[t as usize].clone()).collect(),
                shared: owners.shared,
                kept_by: keeping.iter().map(|&k| names[self.teams[k]].clone()).collect(),
            });
        }
        Ok(out)
    }
}

/// `seconds` since the epoch at `offset` minutes from UTC, as ISO 8601
/// the way `git log --format=%aI` writes it (`Z` for UTC).
fn iso_date(seconds: i64, offset: i32) -> String {
    let local = seconds + i64::from(offset) * 60;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    // Days to a civil date (Howard Hinnant's `civil_from_days`).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let sign = if offset < 0 { '-' } else { '+' };
    let (h, m) = (offset.unsigned_abs() / 60, offset.unsigned_abs() % 60);
    let zone = if offset == 0 { "Z".to_string() } else { format!("{sign}{h:02}:{m:02}") };
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{zone}", secs / 3600, secs / 60 % 60, secs % 60)
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
        if let Some(moves) = &p.history {
            history_text(&mut out, moves)?;
        }
        if p.history_bounded {
            let note = "a rename search met its bound (a blob over 16 MiB, or too many candidates): the history may stop sooner than git's";
            writeln!(out, "  {} {note}", "note:".style(style::warn()))?;
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

fn history_text(out: &mut impl Write, moves: &[Move]) -> std::io::Result<()> {
    if moves.is_empty() {
        return writeln!(out, "  {}", "history: no earlier path".style(style::dim()));
    }
    writeln!(out, "  history:")?;
    for m in moves {
        let mut owners = m.teams.clone();
        if m.shared {
            owners.push("shared".to_string());
        }
        let who = if owners.is_empty() { "unowned".to_string() } else { owners.join(", ") };
        let how = if m.how == "copied" {
            format!("copied, {}%", m.similarity)
        } else {
            format!("{}%", m.similarity)
        };
        let kept = match m.kept_by.is_empty() {
            true => "kept by no team".to_string(),
            false => format!("kept by {}", m.kept_by.join(", ")),
        };
        writeln!(out, "    {} <- {} ({how}; now {who}; {kept})", m.to, output::path(&m.from))?;
        let date = m.date.get(..10).unwrap_or(&m.date);
        writeln!(out, "      {} {date} {}", (&m.commit[..12]).style(style::dim()), m.subject)?;
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
