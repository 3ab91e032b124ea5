//! The README's five-minute walkthrough works as written: its ```` ```sh
//! walkthrough ```` blocks run, line by line and in order, in a copy of the
//! `monolith` fixture whose manifest is removed (a monolith before `init`),
//! with the binary under test on PATH as `git-split`, so `git split` reaches
//! it through git's own PATH lookup. A line exits as its comment says
//! (`# exit N: ...`), else 0.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{fixture_copy, git, refs, NoUserConfig};
use git_split::manifest::Manifest;

/// One command line of the walkthrough and the exit code the README gives it.
#[derive(Debug, PartialEq)]
struct Step {
    line: String,
    exit: i32,
}

/// The command lines of the ```` ```sh walkthrough ```` blocks of `readme`,
/// in order: blank and comment lines skipped, `\` continuations joined.
fn walkthrough(readme: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut inside = false;
    let mut pending = String::new();
    for line in readme.lines() {
        let trimmed = line.trim();
        if !inside {
            inside = trimmed == "```sh walkthrough";
            continue;
        }
        if trimmed == "```" {
            assert!(pending.is_empty(), "a walkthrough block ends in a `\\` continuation");
            inside = false;
            continue;
        }
        if pending.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(trimmed);
        let line = std::mem::take(&mut pending);
        let exit = expected_exit(&line);
        steps.push(Step { line, exit });
    }
    assert!(!inside, "a walkthrough block is not closed");
    steps
}

/// The exit code a line's comment names (`cmd  # exit 1: findings`), else 0.
fn expected_exit(line: &str) -> i32 {
    let Some((_, comment)) = line.split_once(" # ") else { return 0 };
    let Some(rest) = comment.trim_start().strip_prefix("exit ") else { return 0 };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("`# exit` without a number: {line}"))
}

#[test]
fn walkthrough_blocks_are_read_in_order_with_their_exit_codes() {
    let text = "intro\n```sh\ngit split apply\n```\n```sh walkthrough\n# a comment\n\
                git split init\n\ngit split check   # exit 1: findings\n\
                git split apply \\\n  --out ../x   # one repository per team\n```\n\
                ```sh walkthrough\ngit split verify  # exit 0: nothing differs\n```\n";
    let step = |line: &str, exit| Step { line: line.to_string(), exit };
    assert_eq!(
        walkthrough(text),
        [
            step("git split init", 0),
            step("git split check   # exit 1: findings", 1),
            step("git split apply --out ../x   # one repository per team", 0),
            step("git split verify  # exit 0: nothing differs", 0),
        ]
    );
}

/// Runs one walkthrough line in bash, in `repo`, as a user's shell would.
fn run(repo: &Path, bin: &Path, line: &str) -> Output {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    Command::new("bash")
        .args(["--noprofile", "--norc", "-o", "pipefail", "-c", line])
        .clean_in(repo)
        .env("PATH", path)
        .env("HOME", repo.parent().unwrap())
        .output()
        .expect("run bash")
}

#[test]
fn the_readme_walkthrough_runs_on_a_monolith() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let steps = walkthrough(&readme);
    for sub in ["init", "plan", "owners", "check", "apply", "verify"] {
        let prefix = format!("git split {sub}");
        assert!(
            steps.iter().any(|s| s.line.starts_with(&prefix)),
            "the walkthrough runs `{prefix}`: {steps:?}"
        );
    }

    let (tmp, repo) = fixture_copy("monolith");
    git(&repo, &["rm", "-q", "ownership.yaml"]);
    git(
        &repo,
        &["-c", "user.name=Walk", "-c", "user.email=walk@example.com", "commit", "-q", "-m", "no manifest"],
    );
    let refs_before = refs(&repo);
    let status = |repo: &Path| {
        let out = git(repo, &["status", "--porcelain", "--untracked-files=all"]);
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect::<Vec<_>>()
    };
    // The fixture's gitlink has no checkout: git already lists it as deleted.
    let mut status_after = status(&repo);
    status_after.push("?? ownership.yaml".to_string());
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_git-split"), bin.join("git-split")).unwrap();

    for step in &steps {
        let out = run(&repo, &bin, &step.line);
        assert_eq!(
            out.status.code(),
            Some(step.exit),
            "`{}` exits {}, as the README says\n--- stdout\n{}--- stderr\n{}",
            step.line,
            step.exit,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // What the walkthrough promises: the monolith unchanged but for the
    // drafted manifest, and one bare repository per team of that draft.
    assert_eq!(refs(&repo), refs_before, "the walkthrough moved no ref of the monolith");
    assert_eq!(status(&repo), status_after, "the work tree gained ownership.yaml, nothing else");
    let page = std::fs::read_to_string(tmp.path().join("plan.html")).unwrap();
    assert!(page.trim_start().to_ascii_lowercase().starts_with("<!doctype html"), "plan.html is a page");
    let manifest = Manifest::load(&repo.join("ownership.yaml")).unwrap();
    assert!(manifest.teams.len() >= 2, "init drafted teams: {:?}", manifest.teams.len());
    for team in &manifest.teams {
        let dir = tmp.path().join("teams").join(format!("{}.git", team.name));
        let bare = git(&dir, &["rev-parse", "--is-bare-repository"]);
        assert_eq!(String::from_utf8_lossy(&bare.stdout), "true\n", "{}", dir.display());
        git(&dir, &["rev-parse", "--verify", "-q", "refs/heads/main"]);
    }
}
