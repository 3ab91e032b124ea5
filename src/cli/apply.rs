//! `git-split apply`: one repository per team.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};
use owo_colors::OwoColorize;

use git_split::apply::{self, Event, HistoryMode, Options};
use git_split::plan;

use super::output::{self, count, plural, size, style};
use super::{CmdResult, Context, Failure, Format, GlobalArgs};

/// Write one repository per team, with history rewritten to the team's files.
///
/// Each `DIR/<team>.git` is a bare repository holding only objects its own
/// refs reach. Every rewritten commit keeps author, committer, dates and
/// message, and gains a `Split-Source: <monolith sha>` trailer; the commit
/// map is in `<team>.git/split/commit-map`. The monolith is never modified.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output directory [default: `<monolith>-split` beside the repository]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Only these teams (repeatable).
    #[arg(long = "team", value_name = "TEAM")]
    teams: Vec<String>,
    /// Teams built at once [default: number of CPUs]
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// `rewrite`: every commit rewritten; `prune`: the monolith's history
    /// plus one commit deleting what the team does not own.
    #[arg(long, value_enum, default_value_t = HistoryArg::Rewrite)]
    history: HistoryArg,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// `--history`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum HistoryArg {
    /// Rewrite every commit.
    Rewrite,
    /// Keep history, delete on top.
    Prune,
}

/// `--out`, else `<monolith>-split` beside the repository (`push` reads
/// the same directory).
pub(super) fn out_dir(ctx: &Context, out: Option<&std::path::Path>) -> anyhow::Result<PathBuf> {
    if let Some(o) = out {
        return Ok(o.to_path_buf());
    }
    let base = ctx.repo.workdir().unwrap_or(ctx.repo.raw().path()).canonicalize()?;
    let name = base.file_name().map(|n| n.to_string_lossy().trim_end_matches(".git").to_string());
    Ok(base.with_file_name(format!("{}-split", name.unwrap_or_else(|| "monolith".into()))))
}

/// Runs `apply`.
pub fn run(global: &GlobalArgs, args: &Args) -> CmdResult {
    let ctx = Context::load(global)?;
    let teams = plan::select_teams(&ctx.manifest, &args.teams)?;
    let out = out_dir(&ctx, args.out.as_deref())?;
    let opts = Options {
        out,
        teams,
        jobs: args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        mode: match args.history {
            HistoryArg::Rewrite => HistoryMode::Rewrite,
            HistoryArg::Prune => HistoryMode::Prune,
        },
        cancel: Arc::new(AtomicBool::new(false)),
    };
    // Ctrl-C (or SIGTERM, what CI sends a cancelled job) asks the engine to
    // stop and remove what it staged; a second one exits at once, which is
    // as safe as a kill (the next run removes the staging directories).
    let terminated = output::cancel_on_signals(&opts.cancel)?;
    let bars = Bars::new(global.quiet);
    let result =
        apply::apply(&ctx.repo, &ctx.manifest, ctx.rev.clone(), global.rev.as_deref(), &opts, &|e| {
            bars.on_event(e)
        });
    bars.multi.clear().ok();
    let report = match result {
        Ok(r) => r,
        Err(e @ apply::ApplyError::Interrupted) => {
            // 128 + the signal, what a shell reports for a process it ended.
            let code = if terminated.load(std::sync::atomic::Ordering::SeqCst) { 143 } else { 130 };
            return Err(Failure { code, error: Some(e.into()) });
        }
        Err(e) => return Err(located(&ctx, global, e)),
    };
    match args.format {
        Format::Json => output::json(&report)?,
        // Quiet: the repositories are the output; only a failure is told.
        Format::Text if global.quiet => {
            for t in &report.teams {
                if let Some(e) = &t.error {
                    output::error(&anyhow::anyhow!("team {} failed: {e}", t.name));
                }
            }
        }
        Format::Text => print_report(&mut output::stdout(), &ctx, &opts, &report)?,
    }
    // Freeing the repository handle unmaps what libgit2 mapped of the
    // monolith's packs, page by page: tens of milliseconds the exit does
    // faster.
    std::mem::forget(ctx);
    if report.incomplete_monolith() {
        return Err(Failure::bad_input());
    }
    if report.failed() {
        return Err(Failure::findings());
    }
    Ok(())
}

/// One progress bar per team, fed by the engine's events.
struct Bars {
    multi: indicatif::MultiProgress,
    style: ProgressStyle,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Bars {
    fn new(quiet: bool) -> Bars {
        let style = ProgressStyle::with_template(
            "{prefix:>16.cyan.bold} {bar:30} {pos}/{len} commits {per_sec} {msg} ETA {eta}",
        )
        .expect("static template");
        Bars { multi: output::progress(quiet), style, bars: Mutex::new(HashMap::new()) }
    }

    fn on_event(&self, e: Event) {
        let mut bars = self.bars.lock().expect("bars");
        match e {
            Event::Started { team, total } => {
                let bar =
                    ProgressBar::new(total as u64).with_style(self.style.clone()).with_prefix(team.clone());
                bars.insert(team, self.multi.add(bar));
            }
            Event::Progress { team, done } => {
                if let Some(b) = bars.get(&team) {
                    b.set_position(done as u64);
                }
            }
            Event::Phase { team, phase } => {
                if let Some(b) = bars.get(&team) {
                    b.set_message(phase);
                }
            }
            Event::Finished { team, failed } => {
                if let Some(b) = bars.get(&team) {
                    b.finish_with_message(if failed { "failed" } else { "done" });
                }
            }
        }
    }
}

/// The error of a run that failed as a whole; a ref of `monolith.refs`
/// that does not resolve is located where the manifest writes it.
fn located(ctx: &Context, global: &GlobalArgs, e: apply::ApplyError) -> Failure {
    let missing = match &e {
        apply::ApplyError::NoSuchRef(r) => Some(r),
        apply::ApplyError::Git(git_split::odb::GitError::MissingRef { rev, .. }) => Some(rev),
        _ => None,
    };
    let written = missing.filter(|_| global.rev.is_none()).and_then(|m| {
        ctx.manifest.refs.iter().find(|r| &r.value == m || m.ends_with(&format!("/{}", r.value)))
    });
    match written {
        Some(r) => anyhow::Error::new(e)
            .context(format!(
                "{}:{}:{}: in `monolith.refs`",
                ctx.manifest.path.display(),
                r.loc.line,
                r.loc.col
            ))
            .into(),
        None => e.into(),
    }
}

/// The text report: one line per team, then what no team got.
fn print_report(
    o: &mut impl Write,
    ctx: &Context,
    opts: &Options,
    report: &apply::Report,
) -> std::io::Result<()> {
    writeln!(o, "{} {} ({})", "split of".style(style::heading()), ctx.rev.name, &report.commit[..12])?;
    writeln!(o, "{:<20} {:>17} {:>9} {:>10} {:>8}", "team", "commits kept", "files", "size", "time")?;
    for t in &report.teams {
        match &t.error {
            None => writeln!(
                o,
                "{:<20} {:>17} {:>9} {:>10} {:>7.2}s",
                t.name,
                format!("{}/{}", count(t.commits_kept as u64), count(t.commits_considered as u64)),
                count(t.files),
                size(t.bytes),
                t.elapsed.as_secs_f64()
            )?,
            Some(e) => writeln!(o, "{:<20} {} {e}", t.name, "failed:".style(style::bad()))?,
        }
    }
    writeln!(o, "written to {}", opts.out.display())?;
    for t in report.teams.iter().filter(|t| t.error.is_none()) {
        if let Some(why) = &t.rebuilt {
            writeln!(o, "{} {}: {why}", "note:".style(style::warn()), t.name)?;
        }
    }
    if !report.ignored.is_empty() {
        writeln!(
            o,
            "{} {} ignored: history is split as stored, as on a clone",
            "note:".style(style::warn()),
            report.ignored.join(", ")
        )?;
    }
    print_skipped_tags(o, report)?;
    print_chosen_tags(o, report)?;
    print_lfs(o, report)?;
    print_unowned(o, ctx, report)
}

/// The monolith tags no team repository got, and why.
fn print_skipped_tags(o: &mut impl Write, report: &apply::Report) -> std::io::Result<()> {
    if report.tags_skipped.is_empty() {
        return Ok(());
    }
    let n = report.tags_skipped.len() as u64;
    let verb = if n == 1 { "is" } else { "are" };
    writeln!(
        o,
        "{} {} {verb} in no team repository:",
        "note:".style(style::warn()),
        plural(n, "tag", "tags")
    )?;
    for t in &report.tags_skipped {
        writeln!(o, "  {}: {}", t.name.trim_start_matches("refs/tags/"), t.reason)?;
    }
    Ok(())
}

/// What the manifest's `tags:` kept out, per team, when it kept any out.
fn print_chosen_tags(o: &mut impl Write, report: &apply::Report) -> std::io::Result<()> {
    let chosen = |t: &apply::TeamReport| !t.tags.not_selected.is_empty() || !t.tags.unchanged.is_empty();
    if !report.teams.iter().any(chosen) {
        return Ok(());
    }
    writeln!(
        o,
        "{} the manifest's `tags:` chose (--format json names them):",
        "tags:".style(style::heading())
    )?;
    for t in report.teams.iter().filter(|t| t.error.is_none()) {
        writeln!(
            o,
            "  {:<20} {} written, {} not selected, {} unchanged",
            t.name,
            count(t.tags.written.len() as u64),
            count(t.tags.not_selected.len() as u64),
            count(t.tags.unchanged.len() as u64)
        )?;
    }
    Ok(())
}

/// The LFS objects each team must fetch and push, per team.
fn print_lfs(o: &mut impl Write, report: &apply::Report) -> std::io::Result<()> {
    let lfs: Vec<_> = report.teams.iter().filter(|t| !t.lfs_objects.is_empty()).collect();
    if lfs.is_empty() {
        return Ok(());
    }
    writeln!(
        o,
        "{} pointer files name objects each team must fetch and push (--format json lists them):",
        "git lfs:".style(style::heading())
    )?;
    for t in lfs {
        let bytes = t.lfs_objects.iter().map(|l| l.size).sum();
        let n = plural(t.lfs_objects.len() as u64, "object", "objects");
        writeln!(o, "  {:<20} {n}, {}", t.name, size(bytes))?;
    }
    Ok(())
}

/// The files at the split ref that no team keeps, the first few of them.
fn print_unowned(o: &mut impl Write, ctx: &Context, report: &apply::Report) -> std::io::Result<()> {
    if report.unowned.is_empty() {
        return Ok(());
    }
    writeln!(
        o,
        "{} {} at {} are in no team repository:",
        "unowned:".style(style::warn()),
        plural(report.unowned.len() as u64, "file", "files"),
        ctx.rev.name
    )?;
    const SHOWN: usize = 20;
    for p in report.unowned.iter().take(SHOWN) {
        writeln!(o, "  {}", output::path(p))?;
    }
    if report.unowned.len() > SHOWN {
        let how = "`plan` or --format json lists all";
        writeln!(o, "{}", output::more("  ", report.unowned.len() - SHOWN, how))?;
    }
    Ok(())
}
