//! `git-split man [COMMAND]`: a roff man page, from the clap definitions.

use anyhow::anyhow;

use super::{command, examples, CmdResult};

/// Print a man page (roff) to stdout.
///
/// `git-split man > git-split.1` gives the main page, which `git split
/// --help` opens once it is installed (say in `~/.local/share/man/man1/`);
/// `git-split man plan > git-split-plan.1` gives a command's page.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A command whose page to print instead of the main page.
    #[arg(value_name = "COMMAND")]
    command: Option<String>,
}

/// Runs `man`.
pub fn run(args: &Args) -> CmdResult {
    let mut cmd = command();
    // Building propagates the version to the subcommands.
    cmd.build();
    let name = args.command.clone().unwrap_or_default();
    let page = match &args.command {
        None => cmd,
        Some(name) => {
            let names: Vec<String> = cmd.get_subcommands().map(|c| c.get_name().to_string()).collect();
            let sub = cmd
                .find_subcommand(name)
                .cloned()
                .ok_or_else(|| anyhow!("unknown command `{name}`; the commands are: {}", names.join(", ")))?;
            // The page of `plan` is `git-split-plan(1)`, git's convention.
            // A one-shot command: leaking the name is how clap takes a
            // computed `&'static str` without its `string` feature.
            let full: &'static str = Box::leak(format!("git-split-{}", sub.get_name()).into_boxed_str());
            sub.name(full).bin_name(full)
        }
    };
    // The examples get a section of their own, unfilled, instead of the
    // end of `--help` run together as one paragraph.
    let page = page.after_long_help(None::<&str>);
    let mut out = Vec::new();
    clap_mangen::Man::new(page).render(&mut out)?;
    let mut text = String::from_utf8(out)?;
    let at = text.find("\n.SH VERSION").map_or(text.len(), |i| i + 1);
    text.insert_str(at, &examples::roff(examples::of(&name)));
    std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
    Ok(())
}
