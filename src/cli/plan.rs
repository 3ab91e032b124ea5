//! `git-split plan`: what each team's repository would keep and lose.

use std::io::Write;

use owo_colors::OwoColorize;

use git_split::picture;
use git_split::plan::{self, Plan, Snapshot};
use git_split::rewrite::lineage::Lineages;

use super::output::{self, plural, size, style};
use super::{CmdResult, Context, GlobalArgs};

/// Preview, per team, the files and bytes kept and removed, before anything
/// is written.
///
/// Removals are collapsed to the highest directories removed whole. Also
/// lists the files nobody owns (every team loses them), collapsed the same
/// way, files several teams
/// own, patterns that match nothing, where each package resolved, and per
/// team the references from kept files into removed ones that the split
/// breaks (`git-split deps` lists them).
///
/// `--format html` draws it all on one self-contained page to open in a
/// browser: the tree as a zoomable map coloured by owner, each team's
/// figures, the unowned and overlapping files, and the team dependency graph.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these teams (repeatable).
    #[arg(long = "team", value_name = "TEAM")]
    teams: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    format: PlanFormat,
    /// Write the JSON or HTML output to FILE (relative to the current
    /// directory) instead of stdout; the file appears whole or not at all.
    #[arg(long, value_name = "FILE")]
    output: Option<std::path::PathBuf>,
    /// How many lines of each list (a team's removals, the unowned files)
    /// to show in text output (0: all).
    #[arg(long, default_value_t = 12, value_name = "N")]
    preview: usize,
    /// Do not read source files for what each split breaks (no `breaks:`
    /// line; JSON `breaks` is null): on a large tree, reading every source
    /// file takes most of the time `plan` takes.
    #[arg(long)]
    no_deps: bool,
}

/// How `plan` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum PlanFormat {
    /// For people, in a terminal.
    Text,
    /// For programs.
    Json,
    /// One self-contained page to open in a browser.
    Html,
}

/// Runs `plan`.
pub fn run(global: &GlobalArgs, args: &Args) -> CmdResult {
    if args.output.is_some() && args.format == PlanFormat::Text {
        return Err(anyhow::anyhow!("--output takes --format json or --format html").into());
    }
    let ctx = Context::load(global)?;
    let teams = plan::select_teams(&ctx.manifest, &args.teams)?;
    let snap = Snapshot::load(&ctx.repo, &ctx.manifest, ctx.rev.clone())?;
    if let Some(&first) = snap.missing_blobs.first() {
        let f = &snap.listing.files[first];
        let missing =
            ctx.repo.missing_at(f.oid, ctx.rev.commit, String::from_utf8_lossy(&f.path).into_owned());
        let n = snap.missing_blobs.len();
        output::warning(&format!(
            "{n} file(s) of the tree have no content here, so their sizes count as 0; {missing}"
        ));
    }
    let mut plan = plan::compute(&ctx.manifest, &snap, &teams);
    let mut report = None;
    if !args.no_deps {
        let analysis = git_split::deps::analyse(&ctx.repo, &snap.listing)?;
        // The page's graph shows every team, whichever are selected.
        let of: Vec<usize> = if args.format == PlanFormat::Html {
            (0..ctx.manifest.teams.len()).collect()
        } else {
            teams.clone()
        };
        let r = git_split::deps::report(&ctx.manifest, &snap, &analysis, &of, false);
        for t in plan.teams.iter_mut() {
            t.breaks = r.teams.iter().find(|b| b.name == t.name).map(|b| b.summary());
        }
        std::mem::forget(analysis);
        report = Some(r);
    }
    if !args.teams.is_empty() {
        follow_figures(&ctx, &snap, &teams, &mut plan)?;
    }
    match args.format {
        PlanFormat::Json => match &args.output {
            Some(path) => output::write_file(path, &output::json_string(&plan)?)?,
            None => output::json(&plan)?,
        },
        PlanFormat::Html => {
            let name = repository_name(&ctx);
            let page =
                picture::page::render(&picture::gather(&ctx.manifest, &snap, &plan, report.as_ref(), name));
            match &args.output {
                Some(path) => output::write_file(path, &page)?,
                None => std::io::stdout().lock().write_all(page.as_bytes())?,
            }
        }
        PlanFormat::Text => text(&plan, &ctx.manifest.path.display().to_string(), args.preview)?,
    }
    // The process ends next: freeing a 100k-file listing entry by entry
    // would only delay the exit (a tenth of a run on large trees).
    std::mem::forget((snap, plan, report));
    Ok(())
}

/// For the selected teams that follow renames, what that adds: one walk
/// of the split ref's history, as `apply` makes it.
fn follow_figures(ctx: &Context, snap: &Snapshot, teams: &[usize], plan: &mut Plan) -> anyhow::Result<()> {
    if !teams.iter().any(|&t| ctx.manifest.teams[t].follow_renames) {
        return Ok(());
    }
    let lineages = Lineages::read(&ctx.repo, &ctx.manifest, snap, ctx.rev.commit, teams)?;
    for (k, f) in lineages.followed.iter().enumerate() {
        let Some(f) = f else { continue };
        let name = &ctx.manifest.teams[teams[k]].name;
        if let Some(t) = plan.teams.iter_mut().find(|t| &t.name == name) {
            t.follow = Some(plan::FollowPlan {
                earlier_paths: f.followed_paths as u64,
                extra_commits: f.extra_commits as u64,
                limited: f.limited,
            });
        }
    }
    Ok(())
}

/// The repository's directory name (without `.git` for a bare one).
fn repository_name(ctx: &Context) -> String {
    let dir = ctx.repo.workdir().unwrap_or_else(|| ctx.repo.path());
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match name.strip_suffix(".git") {
        Some(stem) if !stem.is_empty() => stem.to_string(),
        _ => name,
    }
}

fn text(plan: &Plan, manifest: &str, preview: usize) -> std::io::Result<()> {
    let mut out = output::stdout();
    writeln!(
        out,
        "{} {} ({}): {}, {}",
        "plan for".style(style::heading()),
        plan.ref_name.style(style::heading()),
        &plan.commit[..12],
        plural(plan.total.files, "file", "files"),
        size(plan.total.bytes)
    )?;
    for t in &plan.teams {
        writeln!(out)?;
        team(&mut out, t, preview)?;
    }
    if !plan.shared_packages.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", "shared packages".style(style::heading()))?;
        for p in &plan.shared_packages {
            package(&mut out, p)?;
        }
    }
    writeln!(out)?;
    debts(&mut out, plan, manifest, preview)
}

/// One team: what it keeps and removes, what its split breaks, its packages.
fn team(out: &mut impl Write, t: &plan::TeamPlan, preview: usize) -> std::io::Result<()> {
    writeln!(
        out,
        "{}{}: keeps {} ({}), removes {} ({})",
        t.name.style(style::team()),
        t.root.as_ref().map(|r| format!(" (root: {r}/)")).unwrap_or_default(),
        plural(t.kept_files, "file", "files"),
        size(t.kept_bytes),
        plural(t.removed_files, "file", "files"),
        size(t.removed_bytes)
    )?;
    if t.outside_root_files > 0 {
        writeln!(
            out,
            "  {} {} owned or shared outside its root, left out",
            "note:".style(style::warn()),
            plural(t.outside_root_files, "file", "files")
        )?;
    }
    if let Some(b) = t.breaks.as_ref().filter(|b| b.references > 0) {
        let into: Vec<String> = b
            .into
            .iter()
            .map(|i| format!("{} ({})", i.team.as_deref().unwrap_or("unowned"), i.references))
            .collect();
        writeln!(
            out,
            "  {} {} in {} into {}",
            "breaks:".style(style::warn()),
            plural(b.references, "reference", "references"),
            plural(b.files, "file", "files"),
            into.join(", ")
        )?;
    }
    if let Some(f) = &t.follow {
        writeln!(
            out,
            "  follows renames: {} kept before the moves that brought files home, {} kept for them alone{}",
            plural(f.earlier_paths, "earlier path", "earlier paths"),
            plural(f.extra_commits, "commit", "commits"),
            if f.limited { " (a rename search hit a bound: some history may stop early)" } else { "" }
        )?;
    }
    for p in &t.packages {
        package(out, p)?;
    }
    if !t.removed.is_empty() {
        writeln!(out, "  removes:")?;
        collapsed(out, &t.removed, preview, "    ")?;
    }
    Ok(())
}

/// What the manifest leaves to fix: unowned and overlapping files, stale
/// patterns, package manifests that could not be read.
fn debts(out: &mut impl Write, plan: &Plan, manifest: &str, preview: usize) -> std::io::Result<()> {
    if plan.unowned.is_empty() {
        writeln!(out, "unowned: none")?;
    } else {
        writeln!(
            out,
            "{} {} (no team keeps these):",
            "unowned:".style(style::bad()),
            plural(plan.unowned.len() as u64, "file", "files")
        )?;
        collapsed(out, &plan.unowned_collapsed, preview, "  ")?;
    }
    if plan.overlaps.is_empty() {
        writeln!(out, "overlaps: none")?;
    } else {
        writeln!(
            out,
            "{} {} owned by several teams:",
            "overlaps:".style(style::warn()),
            plural(plan.overlaps.len() as u64, "file", "files")
        )?;
        for o in &plan.overlaps {
            writeln!(out, "  {}  {}", output::path(&o.path), o.teams.join(", ").style(style::team()))?;
        }
    }
    if plan.stale_patterns.is_empty() {
        writeln!(out, "stale patterns: none")?;
    } else {
        writeln!(out, "{} (match no file):", "stale patterns".style(style::warn()))?;
        for s in &plan.stale_patterns {
            let who = s.team.as_deref().map_or("shared".to_string(), |t| format!("team {t}"));
            writeln!(out, "  {manifest}:{}:{}: {who} {} `{}`", s.line, s.column, s.field, s.pattern)?;
        }
    }
    for s in &plan.skipped_manifests {
        writeln!(
            out,
            "{} skipped unreadable package manifest {}: {}",
            "note:".style(style::warn()),
            s.path,
            s.reason
        )?;
    }
    Ok(())
}

/// A collapsed list, its first `preview` lines (all for 0), each directory
/// with its files and bytes, each file with its bytes.
fn collapsed(
    out: &mut impl Write,
    list: &[plan::Collapsed],
    preview: usize,
    indent: &str,
) -> std::io::Result<()> {
    let shown = if preview == 0 { list.len() } else { preview.min(list.len()) };
    for r in &list[..shown] {
        let detail = if r.path.ends_with('/') {
            format!("{}, {}", plural(r.tally.files, "file", "files"), size(r.tally.bytes))
        } else {
            size(r.tally.bytes)
        };
        writeln!(out, "{indent}{} {}", output::path(&r.path), format!("({detail})").style(style::dim()))?;
    }
    if shown < list.len() {
        let how = "--preview 0 or --format json lists all";
        writeln!(out, "{}", output::more(indent, list.len() - shown, how))?;
    }
    Ok(())
}

/// One package: where it resolved, what is carved out of it, and what the
/// reader should know about it.
fn package(out: &mut impl Write, p: &plan::PackagePlan) -> std::io::Result<()> {
    writeln!(out, "  package {}: {}", package_label(p), listed(&p.paths, &p.files))?;
    if !p.carve_outs.is_empty() || !p.carved_files.is_empty() {
        // A JVM package's directory holds other packages' files, not
        // nested packages.
        let except = if p.kind == "jvm" { "except other packages:" } else { "except nested packages:" };
        // The outermost only: a nested package's own nested packages go with it.
        let dirs = outermost(&p.carve_outs);
        let files: Vec<String> =
            p.carved_files.iter().filter(|f| !dirs.iter().any(|d| under(f, d))).cloned().collect();
        writeln!(out, "    {} {}", except.style(style::dim()), listed(&dirs, &files))?;
    }
    // A package that gives its owner no file is almost always a mistake
    // that nothing else would show: its files all went to nested packages
    // or to an `exclude`.
    if p.owned_files == 0 {
        writeln!(
            out,
            "    {} package {} owns no file: every file it resolves to is carved out or excluded",
            "warning:".style(style::warn()),
            p.package
        )?;
    }
    for note in &p.notes {
        writeln!(out, "    {} {note}", "note:".style(style::warn()))?;
    }
    Ok(())
}

/// The directories of `dirs` that lie in no other of them (carve-out
/// lists are a package's nested packages: dozens, so each is checked
/// against every other).
fn outermost(dirs: &[String]) -> Vec<String> {
    dirs.iter().filter(|d| !dirs.iter().any(|o| under(d, o))).cloned().collect()
}

/// Is `path` below directory `dir` (`""` is the root)?
fn under(path: &str, dir: &str) -> bool {
    dir.is_empty() && !path.is_empty()
        || path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/'
}

/// Directories (shown with a trailing `/`), then single files.
fn listed(dirs: &[String], files: &[String]) -> String {
    let shown: Vec<String> = dirs
        .iter()
        .map(|p| if p.is_empty() { "./".into() } else { format!("{p}/") })
        .chain(files.iter().cloned())
        .collect();
    shown.join(", ")
}

/// A bare name says which kind it resolved as; `kind:name` already does.
/// A glob's match names its glob.
fn package_label(p: &plan::PackagePlan) -> String {
    let label = if p.package.starts_with(&format!("{}:", p.kind)) {
        p.package.clone()
    } else {
        format!("{} (as {})", p.package, p.kind)
    };
    if p.selector == p.package {
        label
    } else {
        format!("{label} (from {})", p.selector)
    }
}
