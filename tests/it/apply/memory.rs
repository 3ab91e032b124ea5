//! Memory follows what is live, not history's length: a team's history
//! holds a commit's mapping only until the last child of the commit is
//! rewritten (and, to the end, the commits refs point at), on a first run
//! and on an incremental one. Counted, not measured: each team reports the
//! most mappings it held at once.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::support::NoUserConfig;
use git_split::apply::{self, HistoryMode, Options, Report};
use git_split::manifest::Manifest;
use git_split::odb::Repo;

/// Two teams, one per top-level directory.
const MANIFEST: &str = "version: 1\nmonolith: {refs: [main]}\nteams:\n  a: {paths: [a]}\n  b: {paths: [b]}\n";

/// Most mappings a team may hold: the commit being rewritten, its parents'
/// and the branch tip's (a handful, whatever history's length).
const FRONTIER: usize = 4;

/// A fast-import stream of commits, pinned dates and names.
struct Stream {
    s: String,
    tick: u64,
}

impl Stream {
    fn new() -> Stream {
        Stream { s: String::new(), tick: 1_700_000_000 }
    }

    /// A commit on `branch` changing one file of `a/` or `b/` (by `n`),
    /// starting from `from` and merging `merge` when given.
    fn commit(&mut self, branch: &str, n: usize, from: Option<&str>, merge: Option<&str>) {
        self.tick += 60;
        let dir = if n % 3 == 0 { "b" } else { "a" };
        self.s.push_str(&format!(
            "commit refs/heads/{branch}\ncommitter Cy Committer <cy@example.com> {} +0000\ndata <<EOM\n{branch} {n}\nEOM\n",
            self.tick
        ));
        if let Some(f) = from {
            self.s.push_str(&format!("from {f}\n"));
        }
        if let Some(m) = merge {
            self.s.push_str(&format!("merge {m}\n"));
        }
        self.s.push_str(&format!("M 100644 inline {dir}/f{}\ndata <<EOD\n{branch} {n}\nEOD\n", n % 7));
    }

    fn import(self, repo: &Path) {
        let mut child = Command::new("git")
            .arg("--git-dir")
            .arg(repo)
            .args(["fast-import", "--quiet", "--force"])
            .without_user_config()
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(self.s.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success(), "git fast-import");
    }
}

fn bare(dir: &Path) -> PathBuf {
    let repo = dir.join("repo.git");
    crate::support::git(dir, &["init", "-q", "--bare", "-b", "main", repo.to_str().unwrap()]);
    repo
}

/// Applies every team of [`MANIFEST`] to `out`, through the library, where
/// the counts are.
fn run(repo: &Path, out: &Path) -> Report {
    run_teams(repo, out, &[0, 1])
}

/// [`run`] for the teams of [`MANIFEST`] at `teams`.
fn run_teams(repo: &Path, out: &Path, teams: &[usize]) -> Report {
    let manifest_path = out.with_extension("yaml");
    std::fs::write(&manifest_path, MANIFEST).unwrap();
    let manifest = Manifest::load(&manifest_path).unwrap();
    let repo = Repo::open(repo).unwrap();
    let opts = Options {
        out: out.to_path_buf(),
        teams: teams.to_vec(),
        jobs: 2,
        mode: HistoryMode::Rewrite,
        cancel: Arc::new(AtomicBool::new(false)),
    };
    let split = repo.resolve("main").unwrap();
    let report = apply::apply(&repo, &manifest, split, None, &opts, &|_| {}).unwrap();
    assert!(!report.failed(), "{report:?}");
    report
}

fn read(path: PathBuf) -> Vec<u8> {
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Adds commits `from..to` to `main`.
fn grow(repo: &Path, from: usize, to: usize) {
    let mut s = Stream::new();
    s.tick += from as u64 * 60;
    // A branch that exists already is continued from its tip.
    s.commit("main", from, (from > 0).then_some("refs/heads/main^0"), None);
    for n in from + 1..to {
        s.commit("main", n, None, None);
    }
    s.import(repo);
}

/// Every team considered `considered` commits, holding a few mappings at
/// most (at least one: the counter counts).
fn assert_frontier(report: &Report, considered: usize) {
    for t in &report.teams {
        assert_eq!(t.commits_considered, considered, "{}", t.name);
        assert!(
            t.peak_live >= 1 && t.peak_live <= FRONTIER,
            "{}: {} mappings held at once",
            t.name,
            t.peak_live
        );
    }
}

/// `out` holds what a run from scratch on `repo` (in `tmp`) writes.
fn assert_same_as_a_fresh_run(repo: &Path, out: &Path, tmp: &Path) {
    let fresh = tmp.join("fresh");
    run(repo, &fresh);
    assert_same_output(out, &fresh);
}

/// Both teams' commit maps and states are those of a run from scratch.
fn assert_same_output(a: &Path, b: &Path) {
    for team in ["a.git", "b.git"] {
        let map = "split/commit-map";
        assert!(read(a.join(team).join(map)) == read(b.join(team).join(map)), "{team} {map} differs");
        let state = |d: &Path| git_split::rewrite::state::dump(&d.join(team).join("split")).unwrap();
        assert!(state(a) == state(b), "{team} split/state differs");
    }
}

#[test]
fn a_long_linear_history_holds_a_few_mappings_on_a_first_and_an_incremental_run() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = bare(tmp.path());
    grow(&repo, 0, 3000);
    let out = tmp.path().join("out");
    assert_frontier(&run(&repo, &out), 3000);
    // 500 more commits: the continuation reads the earlier state through
    // and keeps only what the new commits ask (their boundary).
    grow(&repo, 3000, 3500);
    assert_frontier(&run(&repo, &out), 3500);
    assert_same_as_a_fresh_run(&repo, &out, tmp.path());
}

#[test]
fn a_team_ahead_of_another_continues_from_its_own_boundary() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = bare(tmp.path());
    grow(&repo, 0, 1000);
    let out = tmp.path().join("out");
    assert_frontier(&run(&repo, &out), 1000);
    // Team a alone goes 300 commits further; then both continue: a skips
    // the commits b still rewrites, and holds none of their mappings.
    grow(&repo, 1000, 1300);
    assert_frontier(&run_teams(&repo, &out, &[0]), 1300);
    grow(&repo, 1300, 1600);
    assert_frontier(&run(&repo, &out), 1600);
    assert_same_as_a_fresh_run(&repo, &out, tmp.path());
}

#[test]
fn a_branch_forked_a_thousand_commits_before_its_merge_holds_the_frontier() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = bare(tmp.path());
    let mut s = Stream::new();
    for n in 0..10 {
        s.commit("main", n, None, None);
    }
    // The fork point's mapping is read again only when the branch is
    // rewritten, after the thousand commits of main.
    s.commit("topic", 10, Some("refs/heads/main"), None);
    for n in 11..1011 {
        s.commit("main", n, None, None);
    }
    for n in 1011..1016 {
        s.commit("topic", n, None, None);
    }
    s.commit("main", 1016, None, Some("refs/heads/topic"));
    s.import(&repo);
    let out = tmp.path().join("out");
    let report = run(&repo, &out);
    assert_frontier(&report, 1017);
    for t in &report.teams {
        assert!(t.peak_live >= 2, "{}: the fork point and the commit rewritten are held", t.name);
    }
}
