//! `git-split log [RANGE]`: each monolith commit with the teams it touched.

use std::io::Write;

use owo_colors::OwoColorize;
use serde::Serialize;

use git_split::log::{label, LabeledCommit};
use git_split::plan::Snapshot;

use super::output::{self, style};
use super::{CmdResult, Context, Format, GlobalArgs};

/// List monolith commits with the teams whose files each one changed.
///
/// A merge is compared with its first parent. The manifest is read at
/// `--ref`, where its packages must resolve; each commit's packages are
/// resolved in its own tree, as `apply` resolves them.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `A..B`, or one revision and its ancestors [default: the ref].
    #[arg(value_name = "RANGE")]
    range: Option<String>,
    /// At most this many commits.
    #[arg(short = 'n', long = "max-count", value_name = "N")]
    limit: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Serialize)]
struct Report {
    commits: Vec<LabeledCommit>,
}

/// Runs `log`.
pub fn run(global: &GlobalArgs, args: &Args) -> CmdResult {
    let ctx = Context::load(global)?;
    let snap = Snapshot::load_unsized(&ctx.repo, &ctx.manifest, ctx.rev.clone())?;
    let range = args.range.clone().unwrap_or_else(|| ctx.rev.commit.to_string());
    let commits = label(&ctx.repo, &ctx.manifest, &snap.ownership, &range, args.limit)?;
    match args.format {
        Format::Json => output::json(&Report { commits })?,
        Format::Text => {
            let mut out = output::stdout();
            for c in &commits {
                let mut labels: Vec<String> =
                    c.teams.iter().map(|t| t.style(style::team()).to_string()).collect();
                if c.shared {
                    labels.push("shared".style(style::dim()).to_string());
                }
                if c.unowned {
                    labels.push("unowned".style(style::bad()).to_string());
                }
                let labels = if labels.is_empty() { "-".to_string() } else { labels.join(", ") };
                writeln!(out, "{} [{labels}] {}", &c.sha[..10], c.subject)?;
            }
        }
    }
    Ok(())
}
