//! `git-split deps`: the references that cross team lines, i.e. what each
//! team's split breaks.

use std::collections::BTreeMap;
use std::io::Write;

use owo_colors::OwoColorize;

use git_split::deps::{self, Report, TeamBreaks};
use git_split::plan::{self, Snapshot};

use super::output::{self, count, plural, style};
use super::{CmdResult, Context, GlobalArgs};

/// Show what each team's split breaks: the imports and build dependencies
/// from files a team keeps into files it would lose.
///
/// Source files of Go, JavaScript/TypeScript, PHP, Python and Rust are read
/// from git objects at the ref (no checkout), their imports resolved as the
/// language resolves them, and each reference set against the teams:
/// grouped by the team that owns the target (or *unowned*), with example
/// places. References into `shared` files or into files the team also owns
/// break nothing (`--all` lists them too). Then the "duplicate or extract"
/// list: targets that two or more other teams reference, the candidates for
/// `shared` or for a library.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these teams (repeatable).
    #[arg(long = "team", value_name = "TEAM")]
    teams: Vec<String>,
    /// Output format: `dot` and `mermaid` draw the team graph (edge label =
    /// breaking references).
    #[arg(long, value_enum, default_value_t = DepsFormat::Text)]
    format: DepsFormat,
    /// Also list references that break nothing (into the team's own or
    /// shared files).
    #[arg(long)]
    all: bool,
    /// How many example places to show per broken dependency in text output.
    #[arg(long, default_value_t = 3, value_name = "N")]
    examples: usize,
}

/// `--format` of `deps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DepsFormat {
    /// For people.
    Text,
    /// Stable, documented fields for programs.
    Json,
    /// Graphviz: the team graph.
    Dot,
    /// Mermaid: the team graph, for Markdown.
    Mermaid,
}

/// Runs `deps`.
pub fn run(global: &GlobalArgs, args: &Args) -> CmdResult {
    let ctx = Context::load(global)?;
    let teams = plan::select_teams(&ctx.manifest, &args.teams)?;
    let snap = Snapshot::load(&ctx.repo, &ctx.manifest, ctx.rev.clone())?;
    let analysis = deps::analyse(&ctx.repo, &snap.listing)?;
    let report = deps::report(&ctx.manifest, &snap, &analysis, &teams, args.all);
    match args.format {
        DepsFormat::Json => output::json(&report)?,
        DepsFormat::Text => text(&report, args)?,
        DepsFormat::Dot => dot(&report)?,
        DepsFormat::Mermaid => mermaid(&report)?,
    }
    // The process ends next: freeing every listing entry and reference one
    // by one would only delay the exit.
    std::mem::forget((snap, analysis, report));
    Ok(())
}

fn text(report: &Report, args: &Args) -> std::io::Result<()> {
    let mut out = output::stdout();
    let found: u64 = report.languages.iter().map(|l| l.stats.resolved).sum();
    let langs: Vec<String> =
        report.languages.iter().map(|l| format!("{} {}", l.language, count(l.stats.files))).collect();
    writeln!(
        out,
        "{} {} ({}): {} resolved in the tree; files read: {}",
        "deps at".style(style::heading()),
        report.ref_name.style(style::heading()),
        &report.commit[..12],
        plural(found, "reference", "references"),
        if langs.is_empty() { "none".to_string() } else { langs.join(", ") }
    )?;
    for t in &report.teams {
        writeln!(out)?;
        team_text(&mut out, report, t, args)?;
    }
    writeln!(out)?;
    if report.duplicate_or_extract.is_empty() {
        writeln!(out, "duplicate or extract: none (no target is lost by two or more teams)")?;
    } else {
        writeln!(
            out,
            "{} (targets two or more other teams would lose):",
            "duplicate or extract".style(style::heading())
        )?;
        for d in &report.duplicate_or_extract {
            writeln!(
                out,
                "  {}  owned by {}, referenced by {} ({})",
                output::path(&d.path),
                d.owner.as_deref().unwrap_or("nobody"),
                d.from_teams.join(", ").style(style::team()),
                plural(d.references, "reference", "references")
            )?;
        }
    }
    for u in &report.unresolved {
        writeln!(out, "{} {} unresolved {}", "note:".style(style::warn()), count(u.count), u.language)?;
        for ex in u.examples.iter().take(args.examples) {
            writeln!(out, "  {}", output::message(ex))?;
        }
    }
    Ok(())
}

/// One team's block: its breaks by owner, with examples and the most
/// referenced targets; with `--all`, where its other references go.
fn team_text(out: &mut impl Write, report: &Report, t: &TeamBreaks, args: &Args) -> std::io::Result<()> {
    if t.references == 0 {
        writeln!(out, "{}: nothing breaks", t.name.style(style::team()))?;
    } else {
        writeln!(
            out,
            "{}: {} in {} break",
            t.name.style(style::team()),
            plural(t.references, "reference", "references"),
            plural(t.files, "file", "files")
        )?;
    }
    for b in &t.breaks {
        let into = match &b.to_team {
            Some(team) => team.style(style::team()).to_string(),
            None => "unowned".style(style::bad()).to_string(),
        };
        writeln!(
            out,
            "  into {into}: {} from {} to {}",
            plural(b.references, "reference", "references"),
            plural(b.files, "file", "files"),
            plural(b.target_files, "target", "targets"),
        )?;
        for &e in b.examples.iter().take(args.examples) {
            let e = &report.edges[e];
            let text = output::message(&e.text);
            writeln!(out, "    {}:{}  {}", output::path(&e.from_file), e.line, text.style(style::dim()))?;
        }
        let top: Vec<String> = b
            .targets
            .iter()
            .take(3)
            .map(|c| format!("{} ({})", output::path(&c.path), c.references))
            .collect();
        writeln!(out, "    {} {}", "most referenced:".style(style::dim()), top.join(", "))?;
    }
    if args.all {
        let mut kept: BTreeMap<&str, u64> = BTreeMap::new();
        for e in report.edges.iter().filter(|e| !e.breaks && e.from_team == t.name) {
            let into = if e.to_shared { "shared" } else { e.to_team.as_deref().unwrap_or("unowned") };
            *kept.entry(into).or_default() += 1;
        }
        let kept: Vec<String> = kept.iter().map(|(k, n)| format!("{k} ({n})")).collect();
        if !kept.is_empty() {
            writeln!(out, "  {} {}", "kept references into:".style(style::dim()), kept.join(", "))?;
        }
    }
    Ok(())
}

/// The breaking edges between teams, summed: `(from, to) -> references`
/// (`to` is `None` for unowned files).
fn team_graph(report: &Report) -> BTreeMap<(&str, Option<&str>), u64> {
    let mut graph = BTreeMap::new();
    for t in &report.teams {
        for b in &t.breaks {
            *graph.entry((t.name.as_str(), b.to_team.as_deref())).or_default() += b.references;
        }
    }
    graph
}

fn dot(report: &Report) -> std::io::Result<()> {
    let mut out = output::stdout();
    writeln!(out, "digraph deps {{")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(out, "  node [shape=box];")?;
    for t in &report.teams {
        writeln!(out, "  {:?};", t.name)?;
    }
    for ((from, to), n) in team_graph(report) {
        // No team name holds parentheses, so the unowned node is no team's.
        match to {
            Some(to) => writeln!(out, "  {from:?} -> {to:?} [label=\"{n}\"];")?,
            None => writeln!(out, "  {from:?} -> \"(unowned)\" [label=\"{n}\", style=dashed, color=red];")?,
        }
    }
    writeln!(out, "}}")
}

fn mermaid(report: &Report) -> std::io::Result<()> {
    let mut out = output::stdout();
    writeln!(out, "graph LR")?;
    // Team names are ASCII letters, digits, `-`, `_` and `.`; an id spells
    // the last three in hex, as Mermaid reads them as syntax.
    let id = |name: &str| -> String {
        let mut id = String::from("t_");
        for c in name.chars() {
            match c.is_ascii_alphanumeric() {
                true => id.push(c),
                false => id.push_str(&format!("_{:02x}", c as u32)),
            }
        }
        id
    };
    for t in &report.teams {
        writeln!(out, "  {}[\"{}\"]", id(&t.name), t.name)?;
    }
    for ((from, to), n) in team_graph(report) {
        let target = match to {
            Some(to) => format!("{}[\"{to}\"]", id(to)),
            None => "unowned((\"unowned\"))".to_string(),
        };
        writeln!(out, "  {} -->|{n}| {target}", id(from))?;
    }
    Ok(())
}
