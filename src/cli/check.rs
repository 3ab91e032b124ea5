//! `git-split check`: ownership drift findings for CI.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;
use owo_colors::OwoColorize;

use git_split::check::{self, Finding, Kind, Options, Report, Severity};
use git_split::manifest::ManifestError;

use super::output::{self, plural, style};
use super::{CmdResult, Context, Failure, GlobalArgs};

/// Fail when ownership drifts: files nobody owns, files several teams own,
/// patterns and packages that match nothing.
///
/// `policy` in the manifest decides whether unowned and overlapping files
/// are errors, warnings or allowed; a `paths` pattern or a package that
/// matches nothing is an error, an `exclude` that matches nothing a warning.
/// Without `--ref`, the commit checked out (HEAD) is checked.
/// Exit 0 when nothing is at error level (warnings allowed), 1 when
/// something is, 2 when the check could not run (bad manifest, unknown ref,
/// base commit missing, not a repository).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Judge only what changed since REV (a pull request's base commit):
    /// findings at the ref that were not findings at REV. Reads the two
    /// trees only, so a shallow clone works if it holds REV.
    #[arg(long, value_name = "REV")]
    since: Option<String>,
    /// Also compare the team repositories `apply` wrote in DIR
    /// (`DIR/<team>.git`) with what each team keeps at the ref.
    #[arg(long, value_name = "DIR", conflicts_with = "since")]
    against: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// How many findings of each kind to list in text output (0: all).
    #[arg(long, default_value_t = 20, value_name = "N")]
    limit: usize,
}

/// `check --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// For people: grouped by kind, with a hint per finding.
    Text,
    /// Stable fields for programs.
    Json,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
}

/// Runs `check`.
pub fn run(global: &GlobalArgs, args: &Args) -> CmdResult {
    let result = run_check(global, args);
    match (args.format, result) {
        // In a workflow, a check that could not run is an annotation too
        // (the runner reads workflow commands from stderr as well), placed
        // on the manifest line when the manifest is what is wrong.
        (CheckFormat::Github, Err(Failure { code: 2, error: Some(e) })) => {
            let mut props = Vec::new();
            if let Some(m) = e.downcast_ref::<ManifestError>() {
                let file =
                    global.manifest.as_ref().map_or("ownership.yaml".into(), |p| p.display().to_string());
                props.push(format!("file={}", escape_property(&file)));
                if let Some(l) = m.loc {
                    props.push(format!("line={},col={}", l.line, l.col));
                }
            }
            props.push("title=git-split check could not run".into());
            eprintln!("::error {}::{}", props.join(","), escape_data(&format!("{e:#}")));
            Err(Failure { code: 2, error: None })
        }
        (_, result) => result,
    }
}

fn run_check(global: &GlobalArgs, args: &Args) -> CmdResult {
    let ctx = Context::load_at_head(global)?;
    let opts = Options {
        since: args.since.clone(),
        against: args.against.clone(),
        manifest_in_repo: manifest_in_repo(global, &ctx),
    };
    let report = check::check(&ctx.repo, &ctx.manifest, &ctx.rev, &opts)?;
    match args.format {
        CheckFormat::Json => output::json(&report)?,
        CheckFormat::Github => github(&report, opts.manifest_in_repo.as_deref())?,
        CheckFormat::Text => {
            text(&report, &ctx.manifest.path.display().to_string(), args.limit, global.quiet)?
        }
    }
    if report.errors > 0 {
        return Err(Failure::findings());
    }
    Ok(())
}

/// The manifest's path inside the repository's work tree, if it is there.
fn manifest_in_repo(global: &GlobalArgs, ctx: &Context) -> Option<String> {
    let Some(given) = &global.manifest else { return Some("ownership.yaml".into()) };
    let workdir = ctx.repo.workdir()?.canonicalize().ok()?;
    let file = given.canonicalize().ok()?;
    let rel = file.strip_prefix(&workdir).ok()?;
    rel.to_str().map(str::to_string)
}

/// A heading per kind.
fn title(kind: Kind) -> &'static str {
    match kind {
        Kind::Unowned => "Files no team owns",
        Kind::Overlap => "Files several teams own",
        Kind::StalePattern => "Patterns that match nothing",
        Kind::StalePackage => "Packages that resolve to nothing",
        Kind::EmptyPackage => "Packages that own no file",
        Kind::SkippedManifest => "Package manifests that could not be read",
        Kind::Dependency => "References outside a team's `depends_on`",
        Kind::SplitMissingRepo => "Teams without a repository",
        Kind::SplitExtra => "Files a team repository holds but should not",
        Kind::SplitMissing => "Files a team repository lacks",
    }
}

fn text(report: &Report, manifest: &str, limit: usize, quiet: bool) -> std::io::Result<()> {
    let mut out = output::stdout();
    let mut first = true;
    for group in report.findings.chunk_by(|a, b| a.kind == b.kind) {
        if !first {
            writeln!(out)?;
        }
        first = false;
        let errors = group.iter().filter(|f| f.severity == Severity::Error).count() as u64;
        let warnings = group.len() as u64 - errors;
        let mut counts = Vec::new();
        if errors > 0 {
            counts.push(plural(errors, "error", "errors"));
        }
        if warnings > 0 {
            counts.push(plural(warnings, "warning", "warnings"));
        }
        writeln!(out, "{} ({})", title(group[0].kind).style(style::heading()), counts.join(", "))?;
        let shown = if limit == 0 { group.len() } else { limit.min(group.len()) };
        for f in &group[..shown] {
            finding_text(&mut out, f, manifest)?;
        }
        if shown < group.len() {
            writeln!(out, "{}", output::more("  ", group.len() - shown, "--limit 0 lists all"))?;
        }
    }
    let notes = notes(report);
    if !report.findings.is_empty() && (!notes.is_empty() || !quiet) {
        writeln!(out)?;
    }
    for note in &notes {
        writeln!(out, "{} {}", "note:".style(style::warn()), output::message(note))?;
    }
    if quiet {
        return Ok(());
    }
    let what = match &report.since {
        Some(base) => format!("{} ({}) since {}", report.ref_name, &report.commit[..12], &base[..12]),
        None => format!("{} ({})", report.ref_name, &report.commit[..12]),
    };
    let verdict = if report.findings.is_empty() {
        if report.since.is_some() {
            "no new findings".to_string()
        } else {
            "no findings".to_string()
        }
    } else {
        format!(
            "{}, {}",
            plural(report.errors as u64, "error", "errors"),
            plural(report.warnings as u64, "warning", "warnings")
        )
    };
    let verdict = if report.errors > 0 {
        verdict.style(style::bad()).to_string()
    } else if report.warnings > 0 {
        verdict.style(style::warn()).to_string()
    } else {
        verdict
    };
    writeln!(out, "{} {what}: {verdict}", "check of".style(style::heading()))
}

fn finding_text(out: &mut impl Write, f: &Finding, manifest: &str) -> std::io::Result<()> {
    let label = match f.severity {
        Severity::Error => "error:".style(style::bad().bold()).to_string(),
        Severity::Warning => "warning:".style(style::warn().bold()).to_string(),
    };
    let place = match (f.line, f.column) {
        (Some(l), Some(c)) => format!(" {}", format!("({manifest}:{l}:{c})").style(style::dim())),
        _ => String::new(),
    };
    writeln!(out, "  {label} {}{place}", output::message(&f.message))?;
    if let Some(h) = &f.hint {
        writeln!(out, "    {} {}", "hint:".style(style::dim()), output::message(h))?;
    }
    Ok(())
}

/// What the reader should know about how the report was made: which
/// manifest judged the base, and whether moves may have gone unseen.
fn notes(report: &Report) -> Vec<&str> {
    let mut notes: Vec<&str> = report.since_manifests.iter().filter_map(|m| m.note.as_deref()).collect();
    if report.renames_limited {
        notes.push(RENAMES_LIMITED);
    }
    notes
}

/// The note for [`Report::renames_limited`].
const RENAMES_LIMITED: &str = "the rename search met its bound (too many added and deleted files, git's diff.renameLimit, or a blob over 16 MiB): a file moved and edited may be judged as a new one";

/// `%`, CR and LF in a workflow command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Data escaping plus `:` and `,`, which end a property.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error` / `::warning` line per finding; GitHub shows each on the
/// file (and line) it names.
fn github(report: &Report, manifest: Option<&str>) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for note in notes(report) {
        writeln!(out, "::notice title=git-split check::{}", escape_data(note))?;
    }
    for f in &report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = Vec::new();
        match (&f.path, f.line, manifest) {
            (Some(path), _, _) => {
                props.push(format!("file={}", escape_property(path)));
                if let Some(line) = f.path_line {
                    props.push(format!("line={line}"));
                }
            }
            (None, Some(line), Some(m)) => {
                props.push(format!("file={}", escape_property(m)));
                props.push(format!("line={line}"));
                if let Some(c) = f.column {
                    props.push(format!("col={c}"));
                }
            }
            _ => {}
        }
        let kind = serde_json::to_value(f.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        props.push(format!("title={}", escape_property(&format!("git-split check: {kind}"))));
        let mut message = f.message.clone();
        if let Some(h) = &f.hint {
            message.push_str("\nhint: ");
            message.push_str(h);
        }
        writeln!(out, "::{command} {}::{}", props.join(","), escape_data(&message))?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(escape_data("50% done\r\nnext: a,b"), "50%25 done%0D%0Anext: a,b");
        assert_eq!(escape_property("dir,x/a:b%\n"), "dir%2Cx/a%3Ab%25%0A");
    }
}
