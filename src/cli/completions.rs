//! `git-split completions SHELL`: a completion script, from the clap definitions.

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, CmdResult};

/// Print a shell completion script to stdout.
///
/// Bash: `git-split completions bash > ~/.local/share/bash-completion/completions/git-split`.
/// Zsh: save `git-split completions zsh` as `_git-split` in a directory on
/// `$fpath`. Fish: `git-split completions fish > ~/.config/fish/completions/git-split.fish`.
/// These complete `git-split ...`; `git split ...` is completed by git's own
/// completion, which lists the subcommand but not its flags.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell.
    #[arg(value_enum)]
    shell: Shell,
}

/// Runs `completions`.
pub fn run(args: &Args) -> CmdResult {
    let mut cmd = Cli::command();
    // Into memory first: clap_complete panics on a failed write (a closed
    // pipe), which main turns into a quiet exit.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "git-split", &mut script);
    std::io::Write::write_all(&mut std::io::stdout().lock(), &script)?;
    Ok(())
}
