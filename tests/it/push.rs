//! `git split push` against real git servers on loopback, started here:
//! `git daemon` and `git http-backend` behind basic authentication (see
//! `support/git_servers.rs`). The remote's refs after each push are read
//! with git itself and compared with the team repository's; the user's git
//! configuration (a credential helper) is a file each test writes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::bounded::{run_guarded, HANG_GUARD};
use crate::support::git_servers::GitServer;
use crate::support::{digest, fixture_copy, git, refs, NoUserConfig, Run};

/// Credentials the HTTP server accepts, and the credential helper hands out.
const HTTP_USER: &str = "ci";
const HTTP_PASSWORD: &str = "helper-password-7d1f";

/// The history fixture, its teams' remotes on two servers, and the user's
/// git configuration.
struct Setup {
    tmp: tempfile::TempDir,
    repo: PathBuf,
    out: PathBuf,
    daemon: GitServer,
    http: GitServer,
    /// Where `main` was before the setup moved it back.
    tip: String,
    /// `GIT_CONFIG_GLOBAL`: a credential helper for the HTTP server.
    gitconfig: PathBuf,
}

impl Setup {
    /// Team `a` on the git daemon, `b` over HTTP (credentials from the
    /// helper); the monolith's `main` six commits back, applied.
    fn new() -> Setup {
        let (tmp, repo) = fixture_copy("history");
        let daemon = GitServer::daemon(&tmp.path().join("daemon"));
        let http = GitServer::http(&tmp.path().join("http"), HTTP_USER, HTTP_PASSWORD);
        daemon.create("a");
        http.create("b");
        let gitconfig = tmp.path().join("gitconfig");
        std::fs::write(
            &gitconfig,
            format!(
                "[credential]\n\thelper = \"!f() {{ test \\\"$1\\\" = get && echo username={HTTP_USER} && echo password={HTTP_PASSWORD}; }}; f\"\n"
            ),
        )
        .unwrap();
        let out = tmp.path().join("out");
        let tip = String::from_utf8(git(&repo, &["rev-parse", "main"]).stdout).unwrap().trim().to_string();
        let s = Setup { tmp, repo, out, daemon, http, tip, gitconfig };
        s.write_manifest("");
        // A second branch, which stays where it is.
        git(&s.repo, &["branch", "keep", "main~8"]);
        git(&s.repo, &["update-ref", "refs/heads/main", "main~6"]);
        s.apply();
        s
    }

    fn manifest(&self) -> PathBuf {
        self.tmp.path().join("m.yaml")
    }

    /// The manifest, with `extra` in team `a`'s definition.
    fn write_manifest(&self, extra: &str) {
        let yaml = format!(
            "version: 1\nmonolith: {{refs: [main, keep]}}\nshared: {{paths: [shared.txt]}}\npublish:\n  remote: \"{}{{team}}.git\"\nteams:\n  a: {{paths: [a]{extra}}}\n  b:\n    paths: [\"b/**\"]\n    remote: {}b.git\n",
            self.daemon.url("git", None),
            self.http.url("http", None),
        );
        std::fs::write(self.manifest(), yaml).unwrap();
    }

    fn apply(&self) {
        let m = self.manifest();
        let run = run(
            &self.repo,
            &["apply", "-q", "--manifest", m.to_str().unwrap(), "--out", self.out.to_str().unwrap()],
            Path::new("/dev/null"),
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
    }

    /// `git split push --out OUT ARGS`.
    fn push(&self, args: &[&str]) -> Run {
        let m = self.manifest();
        let mut all = vec!["push", "--manifest", m.to_str().unwrap(), "--out", self.out.to_str().unwrap()];
        all.extend(args);
        run(&self.repo, &all, &self.gitconfig)
    }

    fn grow(&self) {
        git(&self.repo, &["update-ref", "refs/heads/main", &self.tip]);
    }

    /// The team repository's refs.
    fn team_refs(&self, team: &str) -> String {
        refs(&self.out.join(format!("{team}.git")))
    }

    /// The refs of the remote repository `a` (daemon) or `b` (HTTP).
    fn remote_refs(&self, team: &str) -> String {
        let server = if team == "a" { &self.daemon } else { &self.http };
        refs(&server.root.join(format!("{team}.git")))
    }

    fn state(&self) -> Option<Vec<u8>> {
        std::fs::read(self.out.join(".git-split-push.json")).ok()
    }

    /// What the state records of `team`.
    fn record(&self, team: &str) -> serde_json::Value {
        let state: serde_json::Value = serde_json::from_slice(&self.state().unwrap()).unwrap();
        state["teams"][team].clone()
    }

    /// The output with the servers' ports and the temporary directory made stable.
    fn snapshot(&self, run: &Run) -> String {
        let text = run.snapshot(self.tmp.path());
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("127.0.0.1:") {
            out.push_str(&rest[..i + 10]);
            rest = rest[i + 10..].trim_start_matches(|c: char| c.is_ascii_digit());
            out.push_str("[PORT]");
        }
        out.push_str(rest);
        out
    }
}

/// Runs `git-split ARGS` in `dir` with a clean environment whose git
/// configuration is `gitconfig`, stopping a hung run.
fn run(dir: &Path, args: &[&str], gitconfig: &Path) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_git-split"));
    // The clean environment, with this git configuration instead of none.
    cmd.args(args).clean_in(dir).env("GIT_CONFIG_GLOBAL", gitconfig);
    run_guarded(&mut cmd, args)
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// `status` of team `team` in a JSON report.
fn status(v: &serde_json::Value, team: &str) -> String {
    let t = v["teams"].as_array().unwrap().iter().find(|t| t["name"] == team).unwrap();
    t["status"].as_str().unwrap().to_string()
}

#[test]
fn first_push_then_nothing_then_only_what_changed() {
    let s = Setup::new();
    let monolith = digest(&s.repo);
    let run = s.push(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(digest(&s.repo), monolith, "the monolith is untouched");
    insta::assert_snapshot!("first_push", s.snapshot(&run));
    for team in ["a", "b"] {
        assert!(!s.team_refs(team).is_empty());
        assert_eq!(s.remote_refs(team), s.team_refs(team), "the remote of {team} holds what apply wrote");
    }

    // Nothing changed: nothing is sent, so the servers need not even be up.
    s.daemon.set_up(false);
    s.http.set_up(false);
    let run = s.push(&["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let v = json(&run);
    assert_eq!((status(&v, "a"), status(&v, "b")), ("up-to-date".into(), "up-to-date".into()));
    s.daemon.set_up(true);
    s.http.set_up(true);

    // The monolith grows: main moves on and the release tags appear.
    let before = s.remote_refs("a");
    s.grow();
    s.apply();
    assert_ne!(s.team_refs("a"), before);
    let run = s.push(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("incremental_push", s.snapshot(&run));
    for team in ["a", "b"] {
        assert_eq!(s.remote_refs(team), s.team_refs(team));
    }
    let v = json(&s.push(&["--format", "json"]));
    assert_eq!(status(&v, "a"), "up-to-date");

    // Without its record, a push asks the remote, which has it all.
    let state = s.state().unwrap();
    std::fs::remove_file(s.out.join(".git-split-push.json")).unwrap();
    let v = json(&s.push(&["--format", "json"]));
    assert_eq!((status(&v, "a"), status(&v, "b")), ("up-to-date".into(), "up-to-date".into()), "{v}");
    assert_eq!(s.state().unwrap(), state, "the same record again");
}

#[test]
fn a_rebuilt_team_is_refused_until_forced() {
    let s = Setup::new();
    assert_eq!(s.push(&[]).code, 0);
    let pushed = s.remote_refs("a");
    let record = s.record("a");
    // Another definition of `a`: apply rebuilds it, every id changes;
    // and the monolith grows, bringing tags never pushed.
    s.write_manifest(", exclude: [a/two.txt]");
    s.grow();
    s.apply();
    assert_ne!(s.team_refs("a"), pushed);
    let run = s.push(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!("rebuilt_refused", s.snapshot(&run));
    assert_eq!(s.remote_refs("a"), pushed, "nothing changed on the remote");
    assert_eq!(s.record("a"), record, "nothing recorded");

    let run = s.push(&["--force", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("rebuilt_forced_dry_run", s.snapshot(&run));
    assert_eq!(s.remote_refs("a"), pushed, "a dry run changes nothing");
    assert_eq!(s.record("a"), record, "a dry run records nothing");

    let run = s.push(&["--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.lines().any(|l| l.starts_with("a ") && l.contains("pushed")), "{}", run.stdout);
    assert_eq!(s.remote_refs("a"), s.team_refs("a"));
    assert_eq!(status(&json(&s.push(&["--format", "json"])), "a"), "up-to-date");
}

#[test]
fn a_remote_down_fails_its_team_only_and_the_rerun_finishes() {
    let s = Setup::new();
    s.daemon.set_up(false);
    let run = s.push(&["--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = json(&run);
    assert_eq!((status(&v, "a"), status(&v, "b")), ("failed".into(), "pushed".into()));
    let a = &v["teams"][0];
    // git dies of SIGPIPE or reads a reset, as the timing falls.
    let error = a["error"].as_str().unwrap();
    assert!(error.contains("closed the connection") || error.contains("fatal: read error"), "{a}");
    assert!(a["refs"].as_array().unwrap().iter().all(|r| r["status"] == "not-pushed"), "{a}");
    assert_eq!(s.remote_refs("a"), "", "nothing reached the remote");
    assert_eq!(s.remote_refs("b"), s.team_refs("b"), "the other team is pushed");

    s.daemon.set_up(true);
    let v = json(&s.push(&["--format", "json"]));
    assert_eq!((status(&v, "a"), status(&v, "b")), ("pushed".into(), "up-to-date".into()));
    assert_eq!(s.remote_refs("a"), s.team_refs("a"));
}

#[test]
fn what_someone_else_pushed_is_never_overwritten() {
    let s = Setup::new();
    assert_eq!(s.push(&[]).code, 0);
    // Someone rewrites the remote's main: a commit of its own, with no parent.
    let remote = s.daemon.root.join("a.git");
    let theirs = {
        let tree = String::from_utf8(git(&remote, &["rev-parse", "main^{tree}"]).stdout).unwrap();
        let mut c = Command::new("git");
        c.args(["commit-tree", tree.trim(), "-m", "theirs"]).current_dir(&remote);
        let out = crate::support::NoUserConfig::without_user_config(&mut c)
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    git(&remote, &["update-ref", "refs/heads/main", &theirs]);
    let on_remote = s.remote_refs("a");

    s.grow();
    s.apply();
    let team = digest(&s.out.join("a.git"));
    let record = s.record("a");
    for args in [&[][..], &["--force"][..]] {
        let run = s.push(args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stdout);
        if args.is_empty() {
            insta::assert_snapshot!("someone_else_pushed", s.snapshot(&run));
        }
        assert!(run.stdout.contains("someone else pushed"), "{}", run.stdout);
        assert_eq!(s.remote_refs("a"), on_remote, "{args:?}: their commit stays");
        assert_eq!(digest(&s.out.join("a.git")), team, "{args:?}: the team repository is untouched");
    }
    assert_eq!(s.remote_refs("b"), s.team_refs("b"), "the other team is pushed");
    assert_eq!(s.record("a"), record, "a's record is what it was");
}

#[test]
fn a_remote_that_never_answers_is_stopped() {
    let s = Setup::new();
    let hole = GitServer::black_hole(&s.tmp.path().join("hole"));
    let m = std::fs::read_to_string(s.manifest()).unwrap();
    std::fs::write(s.manifest(), m.replace(&s.daemon.url("git", None), &hole.url("git", None))).unwrap();
    let run = s.push(&["--timeout", "2", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = json(&run);
    assert_eq!((status(&v, "a"), status(&v, "b")), ("failed".into(), "pushed".into()));
    let error = v["teams"][0]["error"].as_str().unwrap();
    assert!(error.starts_with("no progress for 2s: stopped (--timeout)"), "{error}");
}

#[test]
fn ctrl_c_stops_a_push_under_way() {
    let s = Setup::new();
    let hole = GitServer::black_hole(&s.tmp.path().join("hole"));
    let m = std::fs::read_to_string(s.manifest()).unwrap();
    std::fs::write(s.manifest(), m.replace(&s.daemon.url("git", None), &hole.url("git", None))).unwrap();
    let manifest = s.manifest();
    let mut child = Command::new(env!("CARGO_BIN_EXE_git-split"))
        .args([
            "push",
            "--manifest",
            manifest.to_str().unwrap(),
            "--out",
            s.out.to_str().unwrap(),
            "--team",
            "a",
        ])
        .current_dir(&s.repo)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once git has connected, the push is under way.
    let start = Instant::now();
    while hole.accepted() == 0 {
        assert!(start.elapsed() < HANG_GUARD, "git never connected");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: a signal to the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(start.elapsed() < HANG_GUARD, "Ctrl-C did not stop the push");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(s.state().is_none(), "nothing was pushed, nothing recorded");
}

#[test]
fn credentials_in_a_remote_url_are_shown_nowhere() {
    const TOKEN: &str = "FAKE-TOKEN-ghp_0123456789abcdef";
    let (tmp, repo) = fixture_copy("history");
    let http = GitServer::http(&tmp.path().join("http"), "x-access-token", TOKEN);
    http.create("a");
    let userinfo = format!("x-access-token:{TOKEN}");
    // `a` is pushed with the token; `b`'s repository does not exist (an
    // error quoting the URL); `c`'s host cannot be looked up with the
    // userinfo in it (an error quoting the userinfo alone).
    let yaml = format!(
        "version: 1\nmonolith: {{refs: [main]}}\npublish: {{remote: \"{}{{team}}.git\"}}\nteams:\n  a: {{paths: [a]}}\n  b: {{paths: [\"b/**\"]}}\n  c: {{paths: [c], remote: \"git://{userinfo}@127.0.0.1:1/c.git\"}}\n",
        http.url("http", Some(&userinfo))
    );
    let m = tmp.path().join("m.yaml");
    std::fs::write(&m, &yaml).unwrap();
    let (m, out) = (m.to_str().unwrap(), tmp.path().join("out"));
    let out_s = out.to_str().unwrap();
    let no_config = Path::new("/dev/null");
    assert_eq!(run(&repo, &["apply", "-q", "--manifest", m, "--out", out_s], no_config).code, 0);

    let mut runs = Vec::new();
    for args in [&[][..], &["--format", "json"], &["--dry-run"], &["--force"]] {
        let mut all = vec!["push", "--manifest", m, "--out", out_s];
        all.extend(args);
        runs.push(run(&repo, &all, no_config));
    }
    let first = &runs[0];
    assert_eq!(first.code, 1, "{}", first.stdout);
    assert!(first.stdout.contains("http://***@127.0.0.1"), "the remote is shown masked: {}", first.stdout);
    assert_eq!(refs(&http.root.join("a.git")), refs(&out.join("a.git")), "the token was used: a is pushed");
    let v = json(&runs[1]);
    assert_eq!(
        [status(&v, "a"), status(&v, "b"), status(&v, "c")],
        ["up-to-date", "failed", "failed"],
        "{v}"
    );
    assert!(v["teams"][2]["error"].as_str().unwrap().contains("***@127.0.0.1"), "{v}");

    // A manifest error quotes the template, masked.
    std::fs::write(tmp.path().join("m.yaml"), yaml.replace("{team}.git", "{org}/{team}.git")).unwrap();
    runs.push(run(&repo, &["push", "--manifest", m, "--out", out_s], no_config));
    assert_eq!(runs.last().unwrap().code, 2);

    for r in &runs {
        for (what, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            assert!(!text.contains(TOKEN), "the token is in {what}:\n{text}");
        }
    }
    for (path, (_, bytes)) in digest(&out) {
        let found = bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes());
        assert!(!found, "the token is in {}", path.display());
        assert!(!path.to_string_lossy().contains(TOKEN));
    }
}

#[test]
fn without_credentials_git_fails_at_once_instead_of_asking() {
    let s = Setup::new();
    // No credential helper, and a terminal git must not prompt on.
    let m = s.manifest();
    let args = [
        "push",
        "--manifest",
        m.to_str().unwrap(),
        "--out",
        s.out.to_str().unwrap(),
        "--team",
        "b",
        "--format",
        "json",
    ];
    let run = run(&s.repo, &args, Path::new("/dev/null"));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = json(&run);
    let error = v["teams"][0]["error"].as_str().unwrap();
    assert!(error.contains("terminal prompts disabled"), "{error}");
}

#[test]
fn refusals_push_nothing() {
    let s = Setup::new();
    let m = s.manifest();
    let yaml = std::fs::read_to_string(&m).unwrap();
    let no_publish: String = yaml
        .lines()
        .filter(|l| !l.starts_with("publish:") && !l.starts_with("  remote:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let cases: &[(&str, String, &[&str])] = &[
        ("a team without a remote", no_publish, &[]),
        ("an unknown placeholder", yaml.replace("{team}.git", "{tema}.git"), &[]),
        ("a named team not applied", yaml.replace("  b:\n", "  c: {paths: [c]}\n  b:\n"), &["--team", "c"]),
        ("an unknown team", yaml.clone(), &["--team", "z"]),
        ("a zero timeout", yaml.clone(), &["--timeout", "0"]),
    ];
    let mut shown = String::new();
    for (what, manifest, args) in cases {
        std::fs::write(&m, manifest).unwrap();
        let run = s.push(args);
        assert_eq!(run.code, 2, "{what}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{what}");
        shown.push_str(&format!("{what}:\n{}", s.snapshot(&run)));
    }
    std::fs::write(&m, &yaml).unwrap();
    let empty = s.tmp.path().join("empty");
    let run = run(
        &s.repo,
        &["push", "--manifest", m.to_str().unwrap(), "--out", empty.to_str().unwrap()],
        &s.gitconfig,
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("holds no team repository"), "{}", run.stderr);
    insta::assert_snapshot!("refusals", shown);
    assert_eq!((s.remote_refs("a"), s.remote_refs("b")), (String::new(), String::new()));
    assert!(s.state().is_none());
}

#[test]
fn the_tags_apply_chose_are_pushed_under_their_names() {
    let s = Setup::new();
    s.grow();
    // Team a takes `v*` only, prefixed; the fixture has `v1.0` and `light`.
    s.write_manifest(", tags: {select: [\"v*\"], prefix: \"{team}-\"}");
    s.apply();
    let run = s.push(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(s.remote_refs("a"), s.team_refs("a"));
    let tags: Vec<String> = s
        .remote_refs("a")
        .lines()
        .filter_map(|l| l.strip_prefix("refs/tags/"))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(tags, ["a-v1.0"]);
    assert!(s.record("a")["refs"].get("refs/tags/a-v1.0").is_some());
    assert!(s.record("a")["refs"].get("refs/tags/light").is_none());
}
