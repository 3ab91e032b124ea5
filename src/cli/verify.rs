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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs `verify`: exit 0 when everything matches, 1 on differences.
pub fn run(global: &GlobalArgs, args: &Args) -> CmdResult {
    let ctx = Context::load(global)?;
    let snap = Snapshot::load_unsized(&ctx.repo, &ctx.manifest, ctx.rev.clone())?;
    let v = verify(&ctx.repo, &ctx.manifest, &snap, &args.out)?;
    match args.format {
        Format::Json => output::json(&v)?,
        Format::Text => {
            let mut o = output::stdout();
            for d in &v.differences {
                let at = d.commit.as_deref().map(|c| format!(" at {}", &c[..12])).unwrap_or_default();
                writeln!(o, "{} {}{at}: {}", "differs:".style(style::bad()), d.team, d.message)?;
            }
            if global.quiet {
                return if v.differences.is_empty() { Ok(()) } else { Err(Failure::findings()) };
            }
            writeln!(
                o,
                "verified {} team {} ({} commits compared): {}",
                v.teams_checked.len(),
                if v.teams_checked.len() == 1 { "repository" } else { "repositories" },
                v.commits_checked,
                if v.differences.is_empty() {
                    "no difference".to_string()
                } else {
                    format!("{} differences", v.differences.len())
                }
            )?;
        }
    }
    if v.differences.is_empty() {
        Ok(())
    } else {
        Err(Failure::findings())
    }
}
