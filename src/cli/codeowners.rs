//! `git-split codeowners [--check]`: write CODEOWNERS from the manifest, or
//! check the committed one against it.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::ValueEnum;
use owo_colors::OwoColorize;
use serde::Serialize;

use git_split::codeowners::{self, expected_owners, generate, CodeOwners, Generated, Syntax};
use git_split::odb::{FileKind, TreeFile};
use git_split::plan::Snapshot;

use super::output::{self, style};
use super::{tree_path, CmdResult, Context, Failure, GlobalArgs};

/// Write a CODEOWNERS file from the teams' `owners` handles, or check one.
///
/// Every file of the ref's tree gets the handles of the teams that own it;
/// shared-only and unowned files, and files of teams without `owners`, get
/// none. The output is computed from the tree (directory lines where a
/// whole directory has the same owners, file lines where needed), so it is
/// exact for every file at the ref; regenerate when files move, and run
/// `--check` in CI to catch drift.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write to PATH (relative to the current directory) instead of stdout.
    /// With --check: the CODEOWNERS file in the tree of the ref, relative to
    /// the current directory as git pathspecs are [default: the first that
    /// exists of the platform's locations]
    #[arg(long, short, value_name = "PATH")]
    output: Option<PathBuf>,
    /// The CODEOWNERS dialect: GitHub (one list, lines without owners take
    /// ownership away) or GitLab (one section per team).
    #[arg(long, value_enum, default_value_t = SyntaxArg::Github)]
    syntax: SyntaxArg,
    /// Check the committed CODEOWNERS in the tree of the ref instead of
    /// writing one: exit 1 if it gives any file other owners than the
    /// manifest does (compared per file, so an equivalent hand-edited file
    /// passes).
    #[arg(long)]
    check: bool,
    /// Output of --check: for people, JSON, or GitHub Actions annotations
    /// (`::error file=...::`) that show on the pull request.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text, requires = "check")]
    format: CheckFormat,
}

/// `--format` of `--check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// For people.
    Text,
    /// `{"file", "files", "mismatches": [{"path", "codeowners", "manifest"}], "problems": [{"line", "message"}], "fix"}`.
    Json,
    /// GitHub Actions workflow commands.
    Github,
}

/// `--syntax`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SyntaxArg {
    /// GitHub: `.github/CODEOWNERS`, `CODEOWNERS` or `docs/CODEOWNERS`.
    Github,
    /// GitLab: `CODEOWNERS`, `docs/CODEOWNERS` or `.gitlab/CODEOWNERS`.
    Gitlab,
}

impl SyntaxArg {
    pub fn syntax(self) -> Syntax {
        match self {
            SyntaxArg::Github => Syntax::GitHub,
            SyntaxArg::Gitlab => Syntax::GitLab,
        }
    }
}

/// Mismatches shown before the list is cut.
const SHOWN: usize = 50;

/// Runs `codeowners`.
pub fn run(global: &GlobalArgs, args: &Args) -> CmdResult {
    let ctx = Context::load(global)?;
    let syntax = args.syntax.syntax();
    let snap = Snapshot::load_unsized(&ctx.repo, &ctx.manifest, ctx.rev.clone())?;
    let assignment = snap.ownership.assign(&snap.listing);
    if args.check {
        return check(
            &ctx,
            global.manifest.as_deref(),
            &snap,
            &assignment.owners,
            args,
            syntax,
            global.quiet,
        );
    }
    // Where the file lies in the tree (none when written outside the work
    // tree): what the header's command names, so it works from the root.
    let own_path = match &args.output {
        None => Some(location_in_use(&snap.listing, syntax).to_string()),
        Some(p) => git_split::odb::discover::tree_path(&ctx.repo, p),
    };
    let header =
        header(&ctx, global.manifest.as_deref(), syntax, own_path.as_deref(), args.output.as_deref());
    // The CODEOWNERS file is a file of the tree once committed: it gets its
    // owners too, so that `--check` passes right after the first commit.
    let mut listing = snap.listing.clone();
    let mut owners = assignment.owners;
    if let Some(own_path) = own_path.filter(|p| !listing.files.iter().any(|f| f.path == p.as_bytes())) {
        owners.push(snap.ownership.owners(own_path.as_bytes()));
        listing.files.push(TreeFile {
            path: own_path.into_bytes(),
            oid: git2::Oid::ZERO_SHA1,
            kind: FileKind::Blob,
            size: 0,
        });
    }
    let generated = generate(&ctx.manifest, &snap.ownership, &listing, &owners, syntax, &header)?;
    write_out(&generated, args.output.as_deref(), global.quiet, || {
        format!(
            "{} for {} at {}",
            output::plural(generated.rules as u64, "rule", "rules"),
            output::plural(snap.listing.files.len() as u64, "file", "files"),
            ctx.rev.name
        )
    })?;
    if !global.quiet {
        warn_about(&generated, syntax)?;
    }
    Ok(())
}

/// The leading comment: where the file comes from, and the commands that
/// regenerate and check it, as they work when run from the root.
fn header(
    ctx: &Context,
    manifest: Option<&std::path::Path>,
    syntax: Syntax,
    own_path: Option<&str>,
    output: Option<&std::path::Path>,
) -> Vec<String> {
    let target =
        own_path.map(str::to_string).or_else(|| output.map(|p| p.display().to_string())).unwrap_or_default();
    let dialect = if syntax == Syntax::GitLab { " --syntax gitlab" } else { "" };
    let (manifest_name, manifest_arg) = manifest_for_header(ctx, manifest);
    vec![
        format!(
            "Generated by git-split from {manifest_name} at {} ({}). Do not edit:",
            ctx.rev.name,
            &ctx.rev.commit.to_string()[..12]
        ),
        format!("change {manifest_name}, then run `git split codeowners{dialect}{manifest_arg} --output {target}`."),
        format!("`git split codeowners{dialect}{manifest_arg} --check` fails when the two disagree."),
    ]
}

/// Writes the file to `output`, or to stdout; `what` describes it for the
/// line that says where it went.
fn write_out(
    generated: &Generated,
    output: Option<&std::path::Path>,
    quiet: bool,
    what: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    let Some(full) = output else {
        let mut out = std::io::stdout().lock();
        out.write_all(generated.text.as_bytes())?;
        out.flush()?;
        return Ok(());
    };
    if let Some(parent) = full.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(full, &generated.text).with_context(|| format!("writing {}", full.display()))?;
    if !quiet {
        writeln!(output::stdout(), "wrote {} ({})", full.display(), what())?;
    }
    Ok(())
}

/// Warns of what makes the file less useful than it looks.
fn warn_about(generated: &Generated, syntax: Syntax) -> std::io::Result<()> {
    let mut err = anstream::stderr();
    // GitHub ignores a CODEOWNERS file of 3 MB or more.
    if syntax == Syntax::GitHub && generated.text.len() >= 3_000_000 {
        writeln!(
            err,
            "{} the file is {}; GitHub ignores CODEOWNERS files of 3 MB or more",
            "warning:".style(style::warn()),
            output::size(generated.text.len() as u64)
        )?;
    }
    if !generated.teams_without_owners.is_empty() {
        writeln!(
            err,
            "{} {} no `owners` handles: their files get no code owners from them",
            "note:".style(style::warn()),
            match generated.teams_without_owners.as_slice() {
                [one] => format!("team `{one}` has"),
                many => format!(
                    "teams {} have",
                    many.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
                ),
            }
        )?;
    }
    Ok(())
}

/// Where the repository keeps its CODEOWNERS: the first of the platform's
/// locations that the tree has, else the first of them.
fn location_in_use(listing: &git_split::odb::TreeListing, syntax: Syntax) -> &'static str {
    let locations = syntax.locations();
    locations
        .iter()
        .find(|l| listing.files.iter().any(|f| f.path == l.as_bytes()))
        .copied()
        .unwrap_or(locations[0])
}

/// How a file meant to be committed names the manifest `--manifest` gave
/// (`None`: the default `ownership.yaml` at the root): by its path in the
/// work tree, with the `--manifest` the command then needs. A manifest
/// outside the work tree is named by its file name alone: no path of this
/// machine goes into the repository.
fn manifest_for_header(ctx: &Context, given: Option<&std::path::Path>) -> (String, String) {
    let Some(path) = given else { return ("ownership.yaml".into(), String::new()) };
    match git_split::odb::discover::tree_path(&ctx.repo, path) {
        Some(rel) if rel == "ownership.yaml" => (rel, String::new()),
        Some(rel) => (rel.clone(), format!(" --manifest {rel}")),
        None => {
            let name = path.file_name().map_or("the manifest".into(), |n| n.to_string_lossy().into_owned());
            (format!("{name} (kept outside the repository)"), format!(" --manifest <path to {name}>"))
        }
    }
}

fn check(
    ctx: &Context,
    manifest_given: Option<&std::path::Path>,
    snap: &Snapshot,
    owners: &[git_split::ownership::Owners],
    args: &Args,
    syntax: Syntax,
    quiet: bool,
) -> CmdResult {
    let candidates: Vec<String> = match &args.output {
        Some(p) => vec![tree_path(&ctx.repo, p)?],
        None => syntax.locations().iter().map(|s| s.to_string()).collect(),
    };
    let mut found = None;
    for c in &candidates {
        if let Some(bytes) = ctx.repo.read_path_max(ctx.rev.tree, c, codeowners::MAX_BYTES)? {
            found = Some((c.clone(), bytes));
            break;
        }
    }
    let Some((path, bytes)) = found else {
        let dialect = if syntax == Syntax::GitLab { " --syntax gitlab" } else { "" };
        return Err(anyhow::anyhow!(
            "no CODEOWNERS in the tree of {} (looked for {}); write one with `git split codeowners{dialect} --output {}` and commit it",
            ctx.rev.name,
            candidates.join(", "),
            candidates[0]
        )
        .into());
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{path} at {} is not UTF-8 text", ctx.rev.name))?;
    let co = CodeOwners::parse_bounded(&text, syntax)
        .map_err(|e| anyhow::anyhow!("{path} at {}: {e}", ctx.rev.name))?;
    let norm = |v: &[String]| -> Vec<String> {
        let mut v: Vec<String> = v.iter().map(|s| s.to_ascii_lowercase()).collect();
        v.sort();
        v.dedup();
        v
    };
    let mut mismatches = Vec::new();
    for (f, own) in snap.listing.files.iter().zip(owners) {
        let file = String::from_utf8_lossy(&f.path);
        let want = expected_owners(&ctx.manifest, own);
        let got = co.owners(&file);
        if norm(&got) != norm(&want) {
            mismatches.push(Mismatch { path: file.into_owned(), codeowners: got, manifest: want });
        }
    }
    let dialect = if syntax == Syntax::GitLab { " --syntax gitlab" } else { "" };
    let report = CheckReport {
        file: path.clone(),
        files: snap.listing.files.len(),
        problems: co.problems.iter().map(|p| Problem { line: p.line, message: p.message.clone() }).collect(),
        fix: format!(
            "git split codeowners{dialect}{} --output {path}",
            manifest_for_header(ctx, manifest_given).1
        ),
        mismatches,
    };
    match args.format {
        CheckFormat::Json => output::json(&report)?,
        CheckFormat::Github => github(&report)?,
        CheckFormat::Text => text_report(&report, ctx, quiet)?,
    }
    if report.mismatches.is_empty() {
        Ok(())
    } else {
        Err(Failure::findings())
    }
}

/// `--check --format json`.
#[derive(Serialize)]
struct CheckReport {
    /// The CODEOWNERS file checked (path in the tree).
    file: String,
    /// Files of the tree compared.
    files: usize,
    /// Files whose owners differ.
    mismatches: Vec<Mismatch>,
    /// Lines the platform would skip.
    problems: Vec<Problem>,
    /// The command that rewrites the file.
    fix: String,
}

#[derive(Serialize)]
struct Mismatch {
    path: String,
    codeowners: Vec<String>,
    manifest: Vec<String>,
}

#[derive(Serialize)]
struct Problem {
    line: usize,
    message: String,
}

fn show(v: &[String]) -> String {
    if v.is_empty() {
        "(no owners)".to_string()
    } else {
        v.join(" ")
    }
}

fn text_report(report: &CheckReport, ctx: &Context, quiet: bool) -> std::io::Result<()> {
    let mut out = output::stdout();
    let path = &report.file;
    for p in &report.problems {
        writeln!(out, "{} {path}:{}: {}", "warning:".style(style::warn()), p.line, p.message)?;
    }
    let manifest_name = ctx.manifest.path.display().to_string();
    if report.mismatches.is_empty() {
        if !quiet {
            writeln!(
                out,
                "{path} at {} agrees with {manifest_name} for all {}",
                ctx.rev.name,
                output::plural(report.files as u64, "file", "files")
            )?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "{} at {} disagrees with {manifest_name} for {}:",
        path.style(style::heading()),
        ctx.rev.name,
        output::plural(report.mismatches.len() as u64, "file", "files")
    )?;
    for m in report.mismatches.iter().take(SHOWN) {
        writeln!(out, "  {}", output::path(&m.path))?;
        writeln!(out, "    CODEOWNERS: {}", show(&m.codeowners).style(style::bad()))?;
        writeln!(out, "    manifest:   {}", show(&m.manifest))?;
    }
    if report.mismatches.len() > SHOWN {
        writeln!(
            out,
            "{}",
            output::more("  ", report.mismatches.len() - SHOWN, "regenerating fixes them all")
        )?;
    }
    writeln!(out, "Regenerate it: {}", report.fix)?;
    Ok(())
}

/// GitHub Actions workflow commands: one annotation per differing file, on
/// the file itself, so they show on the pull request's diff.
fn github(report: &CheckReport) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    // Workflow commands need `%`, CR and LF escaped in data, and also `:`
    // and `,` in properties.
    let data = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    let prop = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    for p in &report.problems {
        writeln!(out, "::warning file={},line={}::{}", prop(&report.file), p.line, data(&p.message))?;
    }
    for m in &report.mismatches {
        writeln!(
            out,
            "::error file={}::{} gives {}, the manifest gives {}; run `{}`",
            prop(&m.path),
            report.file,
            data(&show(&m.codeowners)),
            data(&show(&m.manifest)),
            report.fix
        )?;
    }
    out.flush()
}
