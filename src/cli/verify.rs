//! `git-split verify --out DIR`: check team repositories against the monolith.

use std::io::Write;
use std::path::PathBuf;

use owo_colors::OwoColorize;

use git_split::plan::Snapshot;
use git_split::verify::verify;

use super::output::{self, style};
use super::{CmdResult, Context, Failure, Format, GlobalArgs};

/// Re-derive each team repository's tip tree and a sample of its commits
/// from the monolith, independently of the history engine, and report any
/// difference; also check every owned file of the ref is in some team
/// repository.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory `apply` wrote.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Only these teams (repeatable): a team left out is not looked for.
    #[arg(long = "team", value_name = "TEAM")]
    teams: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs `verify`: exit 0 when everything matches, 1 on differences or an
/// out-of-date team repository.
pub fn run(global: &GlobalArgs, args: &Args) -> CmdResult {
    let ctx = Context::load(global)?;
    let snap = Snapshot::load_unsized(&ctx.repo, &ctx.manifest, ctx.rev.clone())?;
    let teams = git_split::plan::select_teams(&ctx.manifest, &args.teams)?;
    let v = verify(&ctx.repo, &ctx.manifest, &snap, &args.out, &teams)?;
    match args.format {
        Format::Json => output::json(&v)?,
        Format::Text => {
            let mut o = output::stdout();
            for d in &v.differences {
                let at = d.commit.as_deref().map(|c| format!(" at {}", &c[..12])).unwrap_or_default();
                writeln!(o, "{} {}{at}: {}", "differs:".style(style::bad()), d.team, d.message)?;
            }
            for d in &v.out_of_date {
                let commits = if d.behind == 1 { "commit" } else { "commits" };
                writeln!(
                    o,
                    "{} {} by {} {commits} of {}: run `git-split apply`",
                    "out of date:".style(style::warn()),
                    d.team,
                    d.behind,
                    ctx.rev.name
                )?;
            }
            if global.quiet {
                return if v.is_clean() { Ok(()) } else { Err(Failure::findings()) };
            }
            let mut verdict = match v.differences.len() {
                0 => "no difference".to_string(),
                1 => "1 difference".to_string(),
                n => format!("{n} differences"),
            };
            if !v.out_of_date.is_empty() {
                verdict.push_str(&format!(", {} out of date", v.out_of_date.len()));
            }
            writeln!(
                o,
                "verified {} team {} ({} {} compared): {verdict}",
                v.teams_checked.len(),
                if v.teams_checked.len() == 1 { "repository" } else { "repositories" },
                v.commits_checked,
                if v.commits_checked == 1 { "commit" } else { "commits" },
            )?;
        }
    }
    if v.is_clean() {
        Ok(())
    } else {
        Err(Failure::findings())
    }
}
