//! `git-split completions SHELL`: a completion script, from the clap definitions.

use clap_complete::Shell;

use super::{command, CmdResult};

/// Print a shell completion script to stdout.
///
/// Bash: `git-split completions bash > ~/.local/share/bash-completion/completions/git-split`.
/// Zsh: save `git-split completions zsh` as `_git-split` in a directory on
/// `$fpath`. Fish: `git-split completions fish > ~/.config/fish/completions/git-split.fish`.
/// The bash and zsh scripts complete `git split ...` too: git's bash
/// completion calls `_git_split` (loading the file above to find it), and
/// zsh's calls `_git-split`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell.
    #[arg(value_enum)]
    shell: Shell,
}

/// Runs `completions`.
pub fn run(args: &Args) -> CmdResult {
    let mut cmd = command();
    // Into memory first: clap_complete panics on a failed write (a closed
    // pipe), which main turns into a quiet exit.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "git-split", &mut script);
    match args.shell {
        Shell::Bash => {
            // clap_complete spells the states of a hyphenated name two ways
            // (clap-rs/clap#6421), so no flag after a subcommand would
            // complete; one spelling makes them agree (and changes nothing
            // once clap agrees with itself).
            let text = String::from_utf8_lossy(&script).replace("git__subcmd__split", "git__split");
            script = text.into_bytes();
            script.extend_from_slice(GIT_SPLIT_BASH.as_bytes());
        }
        Shell::Zsh => script = zsh_described(&script),
        _ => {}
    }
    std::io::Write::write_all(&mut std::io::stdout().lock(), &script)?;
    Ok(())
}

/// `git split ...` in bash: git's completion (`__git_complete_command`)
/// calls `_git_split`, with its own `words`, `cword`, `cur` and the index
/// of `split` in `__git_cmd_idx`; the words from `split` on are handed to
/// clap's `git-split` completion as if typed after `git-split`.
const GIT_SPLIT_BASH: &str = r#"
# `git split ...`: git's completion calls _git_split (loading this file, as
# `git-split`, to find it); complete as for `git-split ...`.
_git_split() {
    local idx=${__git_cmd_idx:-}
    if [[ -z $idx ]]; then
        for ((idx = 1; idx < cword; idx++)); do
            [[ ${words[idx]} == split ]] && break
        done
    fi
    local COMP_WORDS=(git-split "${words[@]:idx+1}")
    local COMP_CWORD=$((cword - idx))
    _git__split git-split "$cur" "${COMP_WORDS[COMP_CWORD-1]}"
}
"#;

/// The zsh script with the `#description` line zsh's git completion shows
/// for a `git split` it finds as the function `_git-split`.
fn zsh_described(script: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    format!("{first}\n#description split a monolith into one repository per team\n{rest}").into_bytes()
}
