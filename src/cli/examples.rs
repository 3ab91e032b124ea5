//! Two or three examples per command, in one place: the end of the
//! command's `--help` and the EXAMPLES section of its man page.

/// One example: what it does, and the command line.
pub struct Example {
    /// What it does, one line.
    pub what: &'static str,
    /// The command line, as typed.
    pub line: &'static str,
}

/// An [`Example`] literal (a plain struct literal, so the tables below are
/// constants).
macro_rules! ex {
    ($what:expr, $line:expr $(,)?) => {
        Example { what: $what, line: $line }
    };
}

/// The examples of `command` (`""` for `git-split` itself).
pub fn of(command: &str) -> &'static [Example] {
    match command {
        "" => &[
            ex!("Preview the split, from anywhere in the work tree", "git split plan"),
            ex!("Explain who owns a path of the current directory", "git split owners Makefile"),
            ex!("Write one repository per team beside the monolith", "git split apply"),
        ],
        "plan" => &[
            ex!("What each team would keep and lose", "git split plan"),
            ex!("One team, with every removal listed", "git split plan --team payment --preview 0"),
            ex!(
                "The split drawn on one page, to open in a browser",
                "git split plan --format html --output plan.html",
            ),
        ],
        "deps" => &[
            ex!("What each team's split breaks, by the team that owns the target", "git split deps"),
            ex!("One team's broken references, for a program", "git split deps --team payment --format json"),
            ex!(
                "The team graph as a picture (Graphviz)",
                "git split deps --format dot | dot -Tsvg -o teams.svg",
            ),
        ],
        "apply" => &[
            ex!("One bare repository per team, in ../splits", "git split apply --out ../splits"),
            ex!(
                "Only payment's, keeping the monolith's history and deleting the rest on top",
                "git split apply --team payment --history prune",
            ),
            ex!(
                "Quietly, with the report as JSON for a script",
                "git split -q apply --format json > report.json",
            ),
        ],
        "push" => &[
            ex!("Each team repository apply wrote, to its remote", "git split push --out ../splits"),
            ex!("What would be pushed, without pushing", "git split push --out ../splits --dry-run"),
            ex!(
                "Replace a rebuilt team's published history (still leased)",
                "git split push --out ../splits --team payment --force",
            ),
        ],
        "check" => &[
            ex!("Ownership drift at the commit checked out (exit 1 on an error)", "git split check"),
            ex!(
                "In a pull request: only what the change adds, as annotations",
                "git split check --since origin/main --format github",
            ),
            ex!("Also compare the repositories apply wrote", "git split check --against ../splits"),
        ],
        "owners" => &[
            ex!("Who owns a file, and the rule that says so", "git split owners payment/build.gradle"),
            ex!("From inside a directory: the teams owning files below it", "cd web && git split owners ."),
            ex!("Several paths, for a program", "git split owners --format json docs README.md"),
        ],
        "log" => &[
            ex!("The last 20 commits, each with the teams it touched", "git split log -n 20"),
            ex!("The commits of a release, for a program", "git split log --format json v1.0..v1.1"),
        ],
        "verify" => &[
            ex!(
                "Check the repositories apply wrote against the monolith",
                "git split verify --out ../splits"
            ),
            ex!("The differences, for a program", "git split verify --out ../splits --format json"),
        ],
        "codeowners" => &[
            ex!(
                "Write GitHub's CODEOWNERS from the manifest",
                "git split codeowners --output .github/CODEOWNERS",
            ),
            ex!(
                "In CI: fail when the committed CODEOWNERS drifts, with annotations",
                "git split codeowners --check --format github",
            ),
            ex!(
                "GitLab's, one section per team",
                "git split codeowners --syntax gitlab --output .gitlab/CODEOWNERS",
            ),
        ],
        "init" => &[
            ex!("A starting ownership.yaml at the top of the work tree", "git split init"),
            ex!(
                "From a given CODEOWNERS file, to stdout",
                "git split init --from .github/CODEOWNERS --output -",
            ),
            ex!(
                "One team per top-level directory, over the existing file",
                "git split init --top-level --force",
            ),
        ],
        "completions" => &[
            ex!(
                "Bash, for git-split and git split alike",
                "git-split completions bash > ~/.local/share/bash-completion/completions/git-split",
            ),
            ex!("Zsh, with ~/.zfunc on $fpath", "git-split completions zsh > ~/.zfunc/_git-split"),
        ],
        "man" => &[
            ex!(
                "The main page, which git split --help then opens",
                "git-split man > ~/.local/share/man/man1/git-split.1",
            ),
            ex!("A command's page", "git-split man plan > ~/.local/share/man/man1/git-split-plan.1"),
        ],
        _ => &[],
    }
}

/// The examples as the end of `--help`.
pub fn help(examples: &[Example]) -> String {
    let mut out = String::from("Examples:\n");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("  # {}\n  {}\n", e.what, e.line));
    }
    out
}

/// The command with its examples, and its subcommands with theirs, at the
/// end of `--help`.
pub fn attach(cmd: clap::Command) -> clap::Command {
    let names: Vec<String> = cmd.get_subcommands().map(|c| c.get_name().to_string()).collect();
    let mut cmd = cmd.after_long_help(help(of("")));
    for name in names {
        if !of(&name).is_empty() {
            cmd = cmd.mut_subcommand(&name, |c| c.after_long_help(help(of(&name))));
        }
    }
    cmd
}

/// The EXAMPLES section of a man page (roff): each description, then its
/// command line in bold, unfilled.
pub fn roff(examples: &[Example]) -> String {
    let mut out = String::from(".SH EXAMPLES\n");
    for e in examples {
        out.push_str(&format!(
            ".PP\n{}\n.RS 4\n.nf\n\\fB{}\\fR\n.fi\n.RE\n",
            roff_text(e.what),
            roff_text(e.line)
        ));
    }
    out
}

/// Text as roff prints it literally: backslashes and hyphens escaped, and a
/// leading `.` or `'` kept from reading as a request.
fn roff_text(s: &str) -> String {
    let escaped = s.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example names flags and values the command takes: the part of
    /// its line that runs git-split parses.
    #[test]
    fn every_example_parses() {
        let cmd = attach(<super::super::Cli as clap::CommandFactory>::command());
        let mut names: Vec<String> = cmd.get_subcommands().map(|c| c.get_name().to_string()).collect();
        names.push(String::new());
        for name in names.iter().filter(|n| *n != "help") {
            let examples = of(name);
            assert!((2..=3).contains(&examples.len()), "`{name}` has {} examples", examples.len());
            for e in examples {
                let words: Vec<&str> = e.line.split_whitespace().collect();
                let start = words.iter().position(|w| *w == "git-split" || *w == "split").expect(e.line);
                let argv: Vec<&str> = std::iter::once("git-split")
                    .chain(words[start + 1..].iter().copied().take_while(|w| !["|", ">", "&&"].contains(w)))
                    .collect();
                if let Err(err) = cmd.clone().try_get_matches_from(&argv) {
                    panic!("`{}`: {err}", e.line);
                }
            }
        }
    }

    #[test]
    fn roff_escapes_what_roff_would_read() {
        assert_eq!(roff_text("git split plan --team a\\b"), "git split plan \\-\\-team a\\eb");
        assert_eq!(roff_text(".hidden"), "\\&.hidden");
    }
}
