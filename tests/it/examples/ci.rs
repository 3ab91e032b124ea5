//! The CI workflows in `examples/github` and `examples/gitlab` work: each
//! file parses as YAML, and its jobs run as the CI service would run them,
//! in bash, against clones of the `make_check.sh` fixture, with `git-split`
//! on PATH being the binary under test. Checkouts are emulated with `git
//! clone` at the depth the workflow asks for; `${{ ... }}` expressions and
//! CI variables get fixture values; pushes go to local bare repositories
//! (git's `url.<base>.insteadOf`). Only the step that installs git-split is
//! skipped, and every `git-split` command line of a file must be in a step
//! that runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::NoUserConfig;
use crate::support::{fixture, git, refs};
use serde_json::Value;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn load(rel: &str) -> Value {
    let text = std::fs::read_to_string(examples().join(rel)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The `git-split <subcommand> ...` invocations in a text, up to the end
/// of the shell command.
fn invocations(text: &str) -> Vec<String> {
    const SUBCOMMANDS: [&str; 6] = ["check", "apply", "plan", "owners", "log", "verify"];
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("git-split ") {
        let tail = &rest[i..];
        let sub = tail["git-split ".len()..].split_whitespace().next().unwrap_or("");
        if SUBCOMMANDS.contains(&sub) {
            let end = tail.find(['|', ')', '>', '\n', ';']).unwrap_or(tail.len());
            out.push(tail[..end].trim().to_string());
        }
        rest = &tail["git-split ".len()..];
    }
    out
}

/// A scratch area with `git-split` on PATH and bare "remote" repositories
/// that pushes are redirected to.
struct Runner {
    tmp: tempfile::TempDir,
    /// Per URL prefix used by a workflow: where its pushes land.
    redirects: Vec<(String, PathBuf)>,
}

impl Runner {
    fn new() -> Runner {
        let tmp = tempfile::tempdir().unwrap();
        let bin = tmp.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_git-split"), bin.join("git-split")).unwrap();
        Runner { tmp, redirects: Vec::new() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Pushes to URLs starting with `url` go to bare repositories under a
    /// local directory, which is returned.
    fn redirect(&mut self, url: &str) -> PathBuf {
        let dir = self.path(&format!("remote-{}", self.redirects.len()));
        std::fs::create_dir_all(&dir).unwrap();
        self.redirects.push((url.to_string(), dir.clone()));
        dir
    }

    /// `git clone` of the fixture: depth 1 of one branch, or everything.
    fn clone(&self, name: &str, branch: &str, shallow: bool) -> PathBuf {
        let url = format!("file://{}", fixture("check").display());
        let mut args = vec!["clone", "-q", "--branch", branch];
        if shallow {
            args.push("--depth=1");
        }
        args.extend([url.as_str(), name]);
        git(self.tmp.path(), &args);
        self.path(name)
    }

    /// Runs a script as CI does (`bash -e`), in `dir`, with `env`.
    fn bash(&self, dir: &Path, script: &str, env: &BTreeMap<String, String>) -> Output {
        let path = format!("{}:{}", self.path("bin").display(), std::env::var("PATH").unwrap_or_default());
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-e", "-c", script])
            .current_dir(dir)
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.tmp.path())
            .without_user_config()
            .env("GIT_CONFIG_COUNT", self.redirects.len().to_string());
        for (i, (url, dir)) in self.redirects.iter().enumerate() {
            cmd.env(format!("GIT_CONFIG_KEY_{i}"), format!("url.file://{}/.insteadOf", dir.display()));
            cmd.env(format!("GIT_CONFIG_VALUE_{i}"), url);
        }
        cmd.envs(env);
        cmd.output().unwrap()
    }
}

/// Replaces every `${{ expression }}` by its value; an expression the test
/// does not know fails it.
fn expand(text: &str, vars: &BTreeMap<&str, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("${{") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find("}}").expect("closed expression") + i;
        let expr = rest[i + 3..end].trim();
        out.push_str(vars.get(expr).unwrap_or_else(|| panic!("unknown expression `{expr}`")));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn installs(script: &str) -> bool {
    script.contains("cargo install")
}

/// Runs a GitHub job's `run` steps in `dir`; returns each step's output.
fn github_job(
    runner: &Runner,
    job: &Value,
    dir: &Path,
    vars: &BTreeMap<&str, String>,
) -> Vec<(String, Output)> {
    let mut outputs = Vec::new();
    for step in job["steps"].as_array().unwrap() {
        let Some(script) = step["run"].as_str() else {
            assert_eq!(
                step["uses"].as_str().map(|u| u.starts_with("actions/checkout@")),
                Some(true),
                "{step}"
            );
            continue;
        };
        if installs(script) {
            continue;
        }
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        if let Some(e) = step["env"].as_object() {
            for (k, v) in e {
                env.insert(k.clone(), expand(v.as_str().unwrap(), vars));
            }
        }
        let output = vars.get("GITHUB_OUTPUT").cloned();
        if let Some(o) = output {
            env.insert("GITHUB_OUTPUT".into(), o);
        }
        let script = expand(script, vars);
        outputs.push((script.clone(), runner.bash(dir, &script, &env)));
    }
    outputs
}

/// The shell text of every `run`, `script`, `before_script` and
/// `after_script` in a workflow.
fn shell_text(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("run" | "script" | "before_script" | "after_script", Value::String(s)) => {
                        out.push_str(s);
                        out.push('\n');
                    }
                    ("script" | "before_script" | "after_script", Value::Array(lines)) => {
                        for l in lines {
                            out.push_str(l.as_str().unwrap());
                            out.push('\n');
                        }
                    }
                    _ => shell_text(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| shell_text(v, out)),
        _ => {}
    }
}

/// Every `git-split` command of the workflow is in a step the test runs.
fn all_invocations_run(wf: &Value, ran: &[String]) {
    let mut text = String::new();
    shell_text(wf, &mut text);
    let all = invocations(&text);
    assert!(!all.is_empty());
    let ran: Vec<String> = ran.iter().flat_map(|s| invocations(s)).collect();
    for inv in &all {
        let stem = inv.split("${{").next().unwrap().split('"').next().unwrap().trim();
        assert!(ran.iter().any(|r| r.starts_with(stem)), "`{inv}` is never run; ran {ran:?}");
    }
}

fn ok(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn main_sha() -> String {
    stdout(&git(&fixture("check"), &["rev-parse", "main"]))
}

fn fixture_teams() -> Vec<String> {
    let text = git(&fixture("check"), &["show", "main:ownership.yaml"]).stdout;
    let m = git_split::manifest::Manifest::from_bytes(Path::new("ownership.yaml"), &text).unwrap();
    m.teams.iter().map(|t| t.name.clone()).collect()
}

#[test]
fn github_check_workflow() {
    let wf = load("github/check.yml");
    assert!(wf["on"].get("pull_request").is_some(), "runs on pull requests");
    let job = &wf["jobs"]["check"];
    assert_eq!(job["steps"][0]["with"]["fetch-depth"], 1, "a shallow checkout");
    let mut ran = Vec::new();
    for (branch, code) in [("pr-clean", 0), ("pr-unowned", 1)] {
        let runner = Runner::new();
        let dir = runner.clone("work", branch, true);
        let vars = BTreeMap::from([("github.event.pull_request.base.sha", main_sha())]);
        let outputs = github_job(&runner, job, &dir, &vars);
        let (last, rest) = outputs.split_last().unwrap();
        for (script, out) in rest {
            ok(script, out);
        }
        assert!(last.0.contains("git-split check"), "the check is the last step");
        assert_eq!(last.1.status.code(), Some(code), "{branch}: {}", String::from_utf8_lossy(&last.1.stderr));
        let annotations = stdout(&last.1);
        if code == 1 {
            assert!(annotations.contains("::error file=tools/deploy.sh,"), "{annotations}");
            assert!(annotations.lines().all(|l| l.starts_with("::")), "{annotations}");
        } else {
            assert!(annotations.is_empty(), "{annotations}");
        }
        ran.extend(outputs.into_iter().map(|(s, _)| s));
    }
    all_invocations_run(&wf, &ran);
}

#[test]
fn github_apply_matrix_workflow() {
    let wf = load("github/apply.yml");
    let mut runner = Runner::new();
    let remotes = runner.redirect("https://x-access-token:s3cret@github.com/acme/");
    let mut ran = Vec::new();

    // The job listing the teams.
    let dir = runner.clone("teams", "main", true);
    let gh_output = runner.path("github-output");
    let vars = BTreeMap::from([("GITHUB_OUTPUT", gh_output.display().to_string())]);
    for (script, out) in github_job(&runner, &wf["jobs"]["teams"], &dir, &vars) {
        ok(&script, &out);
        ran.push(script);
    }
    let written = std::fs::read_to_string(&gh_output).unwrap();
    let teams: Vec<String> = serde_json::from_str(written.trim().strip_prefix("teams=").unwrap()).unwrap();
    assert_eq!(teams, fixture_teams());
    let apply = &wf["jobs"]["apply"];
    assert_eq!(apply["strategy"]["matrix"]["team"], "${{ fromJSON(needs.teams.outputs.teams) }}");

    // One runner per team, each from a fresh full clone.
    let mut out_refs = BTreeMap::new();
    for (k, team) in teams.iter().enumerate() {
        git(&remotes, &["init", "-q", "--bare", &format!("{team}.git")]);
        let dir = runner.clone(&format!("runner-{k}"), "main", false);
        let vars = BTreeMap::from([
            ("matrix.team", team.clone()),
            ("secrets.SPLIT_PUSH_TOKEN", "s3cret".to_string()),
            ("github.repository_owner", "acme".to_string()),
        ]);
        for (script, out) in github_job(&runner, apply, &dir, &vars) {
            ok(&script, &out);
            ran.push(script);
        }
        let local = refs(&dir.join(format!("out/{team}.git")));
        assert!(local.contains("refs/heads/main "), "{local}");
        assert_eq!(refs(&remotes.join(format!("{team}.git"))), local, "{team}: pushed every ref");
        out_refs.insert(team.clone(), local);
    }
    // Another runner building the same team agrees on every id.
    let dir = runner.clone("runner-again", "main", false);
    let vars = BTreeMap::from([
        ("matrix.team", teams[0].clone()),
        ("secrets.SPLIT_PUSH_TOKEN", "s3cret".to_string()),
        ("github.repository_owner", "acme".to_string()),
    ]);
    for (script, out) in github_job(&runner, apply, &dir, &vars) {
        ok(&script, &out);
    }
    assert_eq!(refs(&dir.join(format!("out/{}.git", teams[0]))), out_refs[&teams[0]]);
    all_invocations_run(&wf, &ran);
}

/// A GitLab job's `script` (and `after_script`) as one bash script each.
fn gitlab_scripts(job: &Value) -> (String, Option<String>) {
    let join = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Array(a) => {
                Some(a.iter().map(|l| l.as_str().unwrap().to_string()).collect::<Vec<_>>().join("\n"))
            }
            _ => None,
        }
    };
    (join(&job["script"]).expect("a script"), join(&job["after_script"]))
}

#[test]
fn gitlab_check_pipeline() {
    let wf = load("gitlab/check.gitlab-ci.yml");
    let job = &wf["ownership-check"];
    assert!(job["rules"][0]["if"].as_str().unwrap().contains("merge_request_event"));
    assert_eq!(job["variables"]["GIT_DEPTH"], "1");
    let (script, after) = gitlab_scripts(job);
    let after = after.expect("an after_script");
    for (branch, code) in [("pr-clean", 0), ("pr-unowned", 1)] {
        let runner = Runner::new();
        let dir = runner.clone("work", branch, true);
        let env = BTreeMap::from([
            ("CI_MERGE_REQUEST_DIFF_BASE_SHA".to_string(), main_sha()),
            ("CI_PIPELINE_SOURCE".to_string(), "merge_request_event".to_string()),
        ]);
        let out = runner.bash(&dir, &script, &env);
        assert_eq!(out.status.code(), Some(code), "{branch}: {}", String::from_utf8_lossy(&out.stderr));
        if code == 1 {
            assert!(stdout(&out).contains("tools/deploy.sh"), "{}", stdout(&out));
        }
        ok("after_script", &runner.bash(&dir, &after, &env));
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("ownership-findings.json")).unwrap())
                .unwrap();
        assert_eq!(report["errors"].as_u64().unwrap() > 0, code == 1, "{report}");
    }
    all_invocations_run(&wf, &[script, after]);
}

#[test]
fn gitlab_apply_matrix_pipeline() {
    let wf = load("gitlab/apply.gitlab-ci.yml");
    let mut runner = Runner::new();
    let remotes = runner.redirect("https://split-bot:s3cret@gitlab.example.com/acme/split/");
    let sha = main_sha();
    let mut ran = Vec::new();

    // The guard: the static matrix names the manifest's teams.
    let listed = &wf["split-teams-listed"];
    let (script, _) = gitlab_scripts(listed);
    let dir = runner.clone("guard", "main", true);
    let teams_var = listed["variables"]["TEAMS"].as_str().unwrap().to_string();
    ok(
        "split-teams-listed",
        &runner.bash(&dir, &script, &BTreeMap::from([("TEAMS".to_string(), teams_var)])),
    );
    let wrong = runner.bash(&dir, &script, &BTreeMap::from([("TEAMS".to_string(), "course".to_string())]));
    assert!(!wrong.status.success(), "the guard fails when the matrix misses a team");
    ran.push(script);

    let job = &wf["split"];
    let matrix: Vec<String> = job["parallel"]["matrix"][0]["TEAM"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    assert_eq!(matrix, fixture_teams());
    assert_eq!(job["variables"]["GIT_DEPTH"], "0");
    let (script, _) = gitlab_scripts(job);
    for (k, team) in matrix.iter().enumerate() {
        git(&remotes, &["init", "-q", "--bare", &format!("{team}.git")]);
        // GitLab's checkout: a full clone on a detached HEAD, no local branch.
        let dir = runner.clone(&format!("job-{k}"), "main", false);
        git(&dir, &["checkout", "-q", "--detach", &sha]);
        git(&dir, &["branch", "-q", "-D", "main"]);
        let env = BTreeMap::from([
            ("TEAM".to_string(), team.clone()),
            ("CI_DEFAULT_BRANCH".to_string(), "main".to_string()),
            ("CI_COMMIT_BRANCH".to_string(), "main".to_string()),
            ("CI_COMMIT_SHA".to_string(), sha.clone()),
            ("SPLIT_PUSH_TOKEN".to_string(), "s3cret".to_string()),
        ]);
        ok(&format!("split {team}"), &runner.bash(&dir, &script, &env));
        let local = refs(&dir.join(format!("out/{team}.git")));
        assert!(local.contains("refs/heads/main "), "{local}");
        assert_eq!(refs(&remotes.join(format!("{team}.git"))), local, "{team}: pushed every ref");
    }
    ran.push(script);
    all_invocations_run(&wf, &ran);
}

#[test]
fn invocations_are_found() {
    assert_eq!(
        invocations("echo \"t=$(git-split plan --format json | jq .)\"\n  git-split check --since \"$X\" --format github\n"),
        ["git-split plan --format json", "git-split check --since \"$X\" --format github"]
    );
    assert!(invocations("cargo install --git https://github.com/git-split/git-split git-split").is_empty());
}
