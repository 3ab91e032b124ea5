//! Terminal manners: `--color never` reaches the progress bars (drawn on a
//! real terminal, a pty from `script`), `-q` leaves errors and the
//! requested output only, `git split <TAB>` completes through git's own
//! bash completion, and every command's `--help` and man page end with
//! examples.

use std::path::Path;
use std::process::Command;

use crate::support::{fixture, split, NoUserConfig};

const BIN: &str = env!("CARGO_BIN_EXE_git-split");

/// Everything the terminal received while `apply` ran on a pty (`script`
/// from util-linux), with `extra` flags and environment.
fn apply_on_a_terminal(repo: &Path, color: &str, env: &[(&str, &str)]) -> String {
    let out = tempfile::tempdir().unwrap();
    let line = format!("'{BIN}' apply --color {color} --out '{}'", out.path().join("out").display());
    let run = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .current_dir(repo)
        .without_user_config()
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .envs(env.iter().copied())
        .output()
        .expect("run `script` (util-linux; `bash .ci/test` installs it)");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    String::from_utf8(run.stdout).unwrap()
}

/// Select Graphic Rendition sequences: colour and bold, not cursor moves.
fn colour_codes(screen: &str) -> Vec<&str> {
    let mut codes = Vec::new();
    let mut rest = screen;
    while let Some(at) = rest.find("\x1b[") {
        let seq = &rest[at..];
        let end = seq[2..].find(|c: char| !(c.is_ascii_digit() || c == ';')).map_or(seq.len(), |e| e + 2);
        if seq[end..].starts_with('m') {
            codes.push(&seq[..=end]);
        }
        rest = &seq[2..];
    }
    codes
}

#[test]
fn color_never_reaches_the_progress_bars_on_a_terminal() {
    let repo = fixture("monolith");
    // The bars are drawn (one per team), in colour when colour is wanted...
    let auto = apply_on_a_terminal(&repo, "auto", &[]);
    assert!(auto.contains("11/11 commits"), "progress bars drawn:\n{auto:?}");
    assert!(colour_codes(&auto).contains(&"\x1b[36m"), "the team names in cyan:\n{auto:?}");
    // ... and without a single colour code under `--color never`, or
    // `NO_COLOR`, which `auto` honours.
    for (color, env) in [("never", &[][..]), ("auto", &[("NO_COLOR", "1")])] {
        let plain = apply_on_a_terminal(&repo, color, env);
        assert!(plain.contains("11/11 commits"), "progress bars drawn:\n{plain:?}");
        assert_eq!(colour_codes(&plain), Vec::<&str>::new(), "--color {color} {env:?}:\n{plain:?}");
    }
}

#[test]
fn quiet_leaves_errors_and_the_requested_output() {
    let repo = fixture("monolith");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let out = out.to_str().unwrap();
    // Commands whose output is what was asked for print it all the same.
    for args in [&["plan"][..], &["owners", "web"], &["log", "-n", "3"], &["check"]] {
        let loud = split(&repo, args);
        let quiet = split(&repo, &[&["-q"], args].concat());
        assert_eq!(quiet.stderr, "", "{args:?}");
        if args[0] == "check" {
            // Its findings, without the closing verdict.
            assert!(
                loud.stdout.starts_with(&quiet.stdout) && loud.stdout.contains("check of"),
                "{}",
                loud.stdout
            );
            assert!(!quiet.stdout.contains("check of"), "{}", quiet.stdout);
        } else {
            assert_eq!((quiet.code, &quiet.stdout), (loud.code, &loud.stdout), "{args:?}");
        }
    }
    // `apply` writes repositories: quiet, it says nothing, unowned files
    // and all; its report is there when asked for.
    let loud = split(&repo, &["apply", "--out", out]);
    assert!(loud.stdout.contains("unowned:"), "{}", loud.stdout);
    let quiet = split(&repo, &["apply", "-q", "--out", out]);
    assert_eq!((quiet.code, quiet.stdout.as_str(), quiet.stderr.as_str()), (0, "", ""));
    let json = split(&repo, &["apply", "-q", "--out", out, "--format", "json"]);
    assert!(serde_json::from_str::<serde_json::Value>(&json.stdout).is_ok(), "{}", json.stdout);
    for args in
        [&["verify", "--out", out][..], &["codeowners", "--output", "/dev/null"], &["init", "--output", "-"]]
    {
        let quiet = split(&repo, &[&["-q"], args].concat());
        assert_eq!(quiet.code, 0, "{args:?}: {}", quiet.stderr);
        assert_eq!(quiet.stderr, "", "{args:?}");
        if args[0] == "init" {
            assert!(quiet.stdout.starts_with("# Starting manifest"), "the draft itself: {}", quiet.stdout);
        } else {
            assert_eq!(quiet.stdout, "", "{args:?}");
        }
    }
}

/// The commands, as `git-split --help` lists them (a line of a command
/// starts with two spaces; its description may wrap onto more).
fn commands(repo: &Path) -> Vec<String> {
    let help = split(repo, &["--help"]).stdout;
    let listed = help.split("Commands:\n").nth(1).unwrap().split("\n\n").next().unwrap();
    let commands: Vec<String> = listed
        .lines()
        .filter(|l| !l.starts_with("   "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert!(commands.len() >= 10, "{help}");
    commands
}

/// What bash completes for `line` through git's own completion (bash-completion
/// and git's script, as a shell loads them), with the script `completions
/// bash` writes installed where bash-completion looks for `git-split`.
fn bash_completes(dir: &Path, line: &str) -> Vec<String> {
    let home = tempfile::tempdir().unwrap();
    let completions = home.path().join("completions");
    std::fs::create_dir_all(&completions).unwrap();
    let script = Command::new(BIN).args(["completions", "bash"]).output().unwrap();
    std::fs::write(completions.join("git-split"), script.stdout).unwrap();
    let harness = r#"
source /usr/share/bash-completion/bash_completion
source /usr/share/bash-completion/completions/git
COMP_LINE=$1
COMP_POINT=${#COMP_LINE}
read -ra COMP_WORDS <<< "$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
__git_wrap__git_main git "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = std::env::join_paths(
        std::iter::once(bin_dir.to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", harness, "bash", line])
        .current_dir(dir)
        .without_user_config()
        .env("PATH", path)
        .env("HOME", home.path())
        .env("BASH_COMPLETION_USER_DIR", home.path())
        .output()
        .expect("run bash");
    let mut words: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|w| w.trim().to_string())
        .filter(|w| !w.is_empty())
        .collect();
    words.sort();
    words
}

#[test]
fn git_split_tab_completes_commands_and_flags_in_bash() {
    assert!(
        Path::new("/usr/share/bash-completion/bash_completion").exists(),
        "bash-completion is missing: `bash .ci/test` installs it"
    );
    let repo = fixture("monolith");
    let commands = commands(&repo);
    let offered = bash_completes(&repo, "git split ");
    for c in &commands {
        assert!(offered.contains(c), "`git split <TAB>` offers `{c}`: {offered:?}");
    }
    assert_eq!(bash_completes(&repo, "git spl"), ["split"], "git completes the command itself");
    assert_eq!(bash_completes(&repo, "git split pl"), ["plan"]);
    assert_eq!(bash_completes(&repo, "git split plan --pre"), ["--preview"]);
    assert_eq!(bash_completes(&repo, "git -C web split ow"), ["owners"]);
    assert_eq!(bash_completes(&repo, "git split apply --history "), ["prune", "rewrite"]);
    assert_eq!(bash_completes(&repo, "git split --color "), ["always", "auto", "never"]);
}

#[test]
fn every_command_help_and_man_page_ends_with_examples() {
    let repo = fixture("monolith");
    for c in commands(&repo).iter().map(String::as_str).filter(|c| *c != "help") {
        let help = split(&repo, &[c, "--help"]).stdout;
        let examples = help.split("\nExamples:\n").nth(1).unwrap_or_else(|| panic!("`{c} --help`:\n{help}"));
        let count = examples.lines().filter(|l| l.starts_with("  # ")).count();
        assert!((2..=3).contains(&count), "`{c} --help` ends with 2 or 3 examples:\n{examples}");
        let lines: Vec<&str> =
            examples.lines().filter(|l| l.starts_with("  ") && !l.starts_with("  # ")).collect();
        assert_eq!(lines.len(), count, "{examples}");
        assert!(
            lines.iter().all(|l| l.split_whitespace().any(|w| w == c)),
            "`{c}`'s examples run it:\n{examples}"
        );
        let page = split(&repo, &["man", c]).stdout;
        let section = page.split(".SH EXAMPLES\n").nth(1).unwrap_or_else(|| panic!("`man {c}`:\n{page}"));
        assert_eq!(section.matches("\\fB").count(), lines.len(), "`man {c}`:\n{section}");
    }
}
