//! `git-split push`: the team repositories `apply` wrote, sent to their remotes.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use owo_colors::OwoColorize;

use git_split::push::{self, Event, Options, RefStatus, Report, TeamPush, TeamStatus};

use super::output::{self, style};
use super::{CmdResult, Context, Failure, Format, GlobalArgs};

/// Push each team repository `apply` wrote to its remote.
///
/// The manifest says where: `publish: {remote: "git@github.com:acme/{team}.git"}`,
/// or a team's own `remote`. Each team's branches and tags go in one
/// `git push --atomic`, run by your own git (credential helpers, SSH
/// configuration and `insteadOf` apply), several teams at once. What was
/// pushed is recorded in `DIR/.git-split-push.json`: a rerun pushes only
/// what changed, and a remote that someone else changed since is refused,
/// never overwritten. Credentials in a remote URL are never shown.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory `apply` wrote [default: `<monolith>-split` beside the repository]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Only these teams (repeatable); each must have been applied.
    #[arg(long = "team", value_name = "TEAM")]
    teams: Vec<String>,
    /// Ask each remote what it would do; change and record nothing.
    #[arg(long)]
    dry_run: bool,
    /// Replace refs that no longer contain what was pushed (a team rebuilt
    /// from scratch, a moved tag). Never what someone else pushed since.
    #[arg(long)]
    force: bool,
    /// Teams pushed at once.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 4)]
    jobs: usize,
    /// Stop a push that shows no progress for this many seconds (its team fails).
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout: u64,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs `push`.
pub fn run(global: &GlobalArgs, args: &Args) -> CmdResult {
    let ctx = Context::load(global)?;
    let teams = git_split::plan::select_teams(&ctx.manifest, &args.teams)?;
    let opts = Options {
        out: super::apply::out_dir(&ctx, args.out.as_deref())?,
        teams,
        named: !args.teams.is_empty(),
        jobs: args.jobs,
        dry_run: args.dry_run,
        force: args.force,
        timeout: Duration::from_secs(args.timeout),
        cancel: Arc::new(AtomicBool::new(false)),
    };
    // As for `apply`: the first Ctrl-C (or SIGTERM) stops the pushes under
    // way, the second exits at once.
    let terminated = output::cancel_on_signals(&opts.cancel)?;
    let multi = output::progress(global.quiet);
    let spinners: Mutex<HashMap<String, ProgressBar>> = Mutex::new(HashMap::new());
    let spinner =
        ProgressStyle::with_template("{prefix:>16.cyan.bold} {spinner} {msg}").expect("static template");
    let on_event = |e: Event| {
        let mut spinners = spinners.lock().expect("spinners");
        match e {
            Event::Started { team } => {
                let s = multi
                    .add(ProgressBar::new_spinner().with_style(spinner.clone()).with_prefix(team.clone()));
                s.set_message("pushing");
                s.enable_steady_tick(Duration::from_millis(120));
                spinners.insert(team, s);
            }
            Event::Finished { team, status } => {
                if let Some(s) = spinners.remove(&team) {
                    s.finish_with_message(status_word(status));
                }
            }
        }
    };
    let report = match push::push(&ctx.manifest, &opts, &on_event) {
        Ok(r) => r,
        Err(e @ push::PushError::Interrupted) => {
            multi.clear().ok();
            let code = if terminated.load(Ordering::SeqCst) { 143 } else { 130 };
            return Err(Failure { code, error: Some(e.into()) });
        }
        Err(e) => return Err(e.into()),
    };
    multi.clear().ok();
    match args.format {
        Format::Json => output::json(&report)?,
        Format::Text => text(&report)?,
    }
    if report.failed() {
        return Err(Failure::findings());
    }
    Ok(())
}

fn status_word(s: TeamStatus) -> &'static str {
    match s {
        TeamStatus::Pushed => "pushed",
        TeamStatus::UpToDate => "up to date",
        TeamStatus::Rejected => "rejected",
        TeamStatus::Failed => "failed",
        TeamStatus::NotApplied => "not applied",
    }
}

/// The summary table: a line per team, then what went wrong under it.
fn text(report: &Report) -> anyhow::Result<()> {
    let mut o = output::stdout();
    if report.dry_run {
        writeln!(o, "{} nothing was pushed or recorded", "dry run:".style(style::heading()))?;
    }
    writeln!(
        o,
        "{:<20} {:<12} {:>7} {:>10} {:>8}  remote",
        "team", "status", "updated", "up to date", "rejected"
    )?;
    for t in &report.teams {
        let updated = t.count(RefStatus::New) + t.count(RefStatus::Updated) + t.count(RefStatus::Forced);
        let plain = match t.status {
            TeamStatus::Pushed if report.dry_run => "would push",
            s => status_word(s),
        };
        let word = match t.status {
            TeamStatus::Rejected | TeamStatus::Failed => format!("{}", plain.style(style::bad())),
            TeamStatus::NotApplied => format!("{}", plain.style(style::warn())),
            _ => plain.to_string(),
        };
        // Padding counts the visible word, not its colour codes.
        let pad = " ".repeat(12usize.saturating_sub(plain.len()));
        writeln!(
            o,
            "{:<20} {word}{pad} {:>7} {:>10} {:>8}  {}",
            t.name,
            updated,
            t.count(RefStatus::UpToDate),
            t.count(RefStatus::Rejected),
            output::message(&t.remote)
        )?;
        problems(&mut o, t)?;
    }
    Ok(())
}

/// The refused refs of a team and why, or why its push failed.
fn problems(o: &mut impl Write, t: &TeamPush) -> anyhow::Result<()> {
    for r in t.refs.iter().filter(|r| r.status == RefStatus::Rejected) {
        let why = r.reason.as_deref().unwrap_or("rejected");
        writeln!(o, "  {}: {}", output::path(&r.name), output::message(why))?;
    }
    if let Some(e) = &t.error {
        writeln!(o, "  {} {}", "error:".style(style::bad()), output::message(e))?;
    }
    Ok(())
}
