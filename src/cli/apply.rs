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
    let multi = output::progress(global.quiet);
    let bars: Mutex<HashMap<String, ProgressBar>> = Mutex::new(HashMap::new());
    let style = ProgressStyle::with_template(
        "{prefix:>16.cyan.bold} {bar:30} {pos}/{len} commits {per_sec} {msg} ETA {eta}",
    )
    .expect("static template");
    let on_event = |e: Event| {
        let mut bars = bars.lock().expect("bars");
        match e {
            Event::Started { team, total } => {
                let bar = multi
                    .add(ProgressBar::new(total as u64).with_style(style.clone()).with_prefix(team.clone()));
                bars.insert(team, bar);
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
    };
    let report = match apply::apply(
        &ctx.repo,
        &ctx.manifest,
        ctx.rev.clone(),
        global.rev.as_deref(),
        &opts,
        &on_event,
    ) {
        Err(e @ apply::ApplyError::Interrupted) => {
            multi.clear().ok();
            // 128 + the signal, what a shell reports for a process it ended.
            let code = if terminated.load(std::sync::atomic::Ordering::SeqCst) { 143 } else { 130 };
            return Err(Failure { code, error: Some(e.into()) });
        }
        Ok(r) => r,
        Err(e) => {
            // A ref of `monolith.refs` that does not resolve: say where it is written.
            let missing = match &e {
                apply::ApplyError::NoSuchRef(r) => Some(r),
                apply::ApplyError::Git(git_split::odb::GitError::MissingRef { rev, .. }) => Some(rev),
                _ => None,
            };
            let written = missing.filter(|_| global.rev.is_none()).and_then(|m| {
                ctx.manifest.refs.iter().find(|r| &r.value == m || m.ends_with(&format!("/{}", r.value)))
            });
            return Err(match written {
                Some(r) => anyhow::Error::new(e)
                    .context(format!(
                        "{}:{}:{}: in `monolith.refs`",
                        ctx.manifest.path.display(),
                        r.loc.line,
                        r.loc.col
                    ))
                    .into(),
                None => e.into(),
            });
        }
    };
    multi.clear().ok();
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
        Format::Text => {
            let mut o = output::stdout();
            writeln!(
                o,
                "{} {} ({})",
                "split of".style(style::heading()),
                ctx.rev.name,
                &report.commit[..12]
            )?;
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
            if !report.ignored.is_empty() {
                writeln!(
                    o,
                    "{} {} ignored: history is split as stored, as on a clone",
                    "note:".style(style::warn()),
                    report.ignored.join(", ")
                )?;
            }
            if !report.tags_skipped.is_empty() {
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
            }
            let chosen =
                |t: &&apply::TeamReport| !t.tags.not_selected.is_empty() || !t.tags.unchanged.is_empty();
            if report.teams.iter().any(|t| chosen(&t)) {
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
            }
            let lfs: Vec<_> = report.teams.iter().filter(|t| !t.lfs_objects.is_empty()).collect();
            if !lfs.is_empty() {
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
            }
            if !report.unowned.is_empty() {
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
            }
        }
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
