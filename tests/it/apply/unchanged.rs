//! Reruns that skip the teams with nothing new, on a copy of the `tags`
//! fixture: a team whose inputs and repository are as its last run left
//! them is not touched (every file keeps its bytes, inode and time) and
//! reports what a rerun that rebuilt its staging reports; each input that
//! changes makes exactly the teams it concerns run, to what a run from
//! scratch writes.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{apply, digest, fixture_copy, git, refs, split, NoUserConfig};

const TEAMS: [&str; 2] = ["a", "b"];

/// `a` renames its tags; `b` takes them as they are.
const MANIFEST: &str = "version: 1
monolith: {refs: [main]}
shared: {paths: [shared.txt]}
teams:
  a: {paths: [a], tags: {prefix: \"a/\"}}
  b: {paths: [b]}
";

/// A copy of the fixture, its manifest and an output directory.
struct Case {
    _tmp: tempfile::TempDir,
    repo: PathBuf,
    manifest: PathBuf,
    out: PathBuf,
    /// Pinned commit times, one minute apart.
    tick: std::cell::Cell<i64>,
}

impl Case {
    fn new() -> Case {
        let (tmp, repo) = fixture_copy("tags");
        let (manifest, out) = (tmp.path().join("ownership.yaml"), tmp.path().join("out"));
        std::fs::write(&manifest, MANIFEST).unwrap();
        let case = Case { _tmp: tmp, repo, manifest, out, tick: std::cell::Cell::new(1_800_000_000) };
        case.run(&case.out);
        case
    }

    /// `apply` into `out`: its JSON report, less the times.
    fn run(&self, out: &Path) -> serde_json::Value {
        let r = apply(&self.repo, out, &["--manifest", self.manifest.to_str().unwrap(), "--format", "json"]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        let mut report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        for t in report["teams"].as_array_mut().unwrap() {
            t.as_object_mut().unwrap().remove("elapsed");
            t["path"] = "".into();
        }
        report
    }

    fn team(&self, name: &str) -> PathBuf {
        self.out.join(format!("{name}.git"))
    }

    /// `git` in the monolith, at the next pinned time.
    fn git(&self, args: &[&str]) {
        self.tick.set(self.tick.get() + 60);
        let date = format!("@{} +0000", self.tick.get());
        let ok = Command::new("git")
            .args(args)
            .current_dir(&self.repo)
            .without_user_config()
            .env("GIT_AUTHOR_NAME", "Ada Author")
            .env("GIT_AUTHOR_EMAIL", "ada@example.com")
            .env("GIT_COMMITTER_NAME", "Cy Committer")
            .env("GIT_COMMITTER_EMAIL", "cy@example.com")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .status()
            .unwrap();
        assert!(ok.success(), "git {args:?}");
    }

    /// Every file of every team repository, with its inode and time.
    fn stamps(&self) -> BTreeMap<&'static str, Stamps> {
        TEAMS.iter().map(|t| (*t, stamps(&self.team(t)))).collect()
    }

    /// Reruns, and asserts that exactly `touched` of the teams changed a
    /// file, and that every team has the refs of a run from scratch.
    fn rerun_touches(&self, touched: &[&str], what: &str) {
        let before = self.stamps();
        self.run(&self.out);
        let after = self.stamps();
        let ran: Vec<&str> = TEAMS.iter().copied().filter(|t| before.get(t) != after.get(t)).collect();
        assert_eq!(ran, touched, "{what}: the teams that ran");
        let scratch = self._tmp.path().join(format!("scratch-{}", self.tick.get()));
        self.run(&scratch);
        for t in TEAMS {
            let ours = self.team(t);
            assert_eq!(refs(&ours), refs(&scratch.join(format!("{t}.git"))), "{what}: {t}'s refs");
            assert!(git(&ours, &["fsck", "--no-dangling"]).status.success(), "{what}: {t}");
        }
    }
}

/// Path to (inode, modification time in ns, bytes).
type Stamps = BTreeMap<PathBuf, (u64, i128, Vec<u8>)>;

fn stamps(repo: &Path) -> Stamps {
    if !repo.exists() {
        return Stamps::new();
    }
    digest(repo)
        .into_iter()
        .map(|(path, (_, bytes))| {
            let meta = std::fs::symlink_metadata(repo.join(&path)).unwrap();
            let mtime = i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec());
            (path, (meta.ino(), mtime, bytes))
        })
        .collect()
}

#[test]
fn a_rerun_with_nothing_new_touches_nothing_and_reports_what_a_rebuilt_rerun_reports() {
    let c = Case::new();
    let before = c.stamps();
    let skipped = c.run(&c.out);
    assert_eq!(c.stamps(), before, "a team repository was touched");
    // Without the record of the last run, the rerun stages every team again.
    for t in TEAMS {
        std::fs::remove_file(c.team(t).join("split/run")).unwrap();
    }
    let rebuilt = c.run(&c.out);
    assert_eq!(skipped, rebuilt);
    assert!(before.values().all(|s| s.contains_key(Path::new("split/run"))));
    let a_tags = rebuilt["teams"][0]["tags"]["written"].as_array().unwrap();
    assert!(!a_tags.is_empty() && a_tags.iter().all(|n| n.as_str().unwrap().starts_with("refs/tags/a/")));
    assert_eq!(rebuilt["tags_skipped"].as_array().unwrap().len(), 2, "tags of a tree and a blob");
    // That rerun found nothing new either: the repositories kept their bytes.
    let bytes = |s: &BTreeMap<&str, Stamps>| -> Vec<Vec<(PathBuf, Vec<u8>)>> {
        s.values()
            .map(|f| {
                f.iter()
                    .filter(|(p, _)| *p != Path::new("split/run"))
                    .map(|(p, (_, _, b))| (p.clone(), b.clone()))
                    .collect()
            })
            .collect()
    };
    assert_eq!(bytes(&c.stamps()), bytes(&before));
    // And the text report is the same.
    let text = |c: &Case| {
        let (out, manifest) = (c.out.to_str().unwrap(), c.manifest.to_str().unwrap());
        let r = split(&c.repo, &["apply", "--out", out, "--manifest", manifest]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        // The time column differs.
        let lines = r.stdout.lines().map(|l| l.rsplit_once(' ').map_or(l, |(head, _)| head).to_string());
        lines.collect::<Vec<_>>()
    };
    let skipped_text = text(&c);
    assert!(skipped_text.len() > 4, "{skipped_text:?}");
    std::fs::remove_file(c.team("a").join("split/run")).unwrap();
    assert_eq!(text(&c), skipped_text);
}

#[test]
fn a_change_in_the_monolith_makes_every_team_run_as_from_scratch() {
    let c = Case::new();
    c.rerun_touches(&[], "nothing new");
    std::fs::write(c.repo.join("b/four.txt"), "four\n").unwrap();
    c.git(&["add", "b/four.txt"]);
    c.git(&["commit", "-q", "-m", "b: four"]);
    c.rerun_touches(&TEAMS, "a new commit");
    c.git(&["tag", "-a", "-m", "new", "v9"]);
    c.rerun_touches(&TEAMS, "a tag added");
    c.git(&["tag", "-f", "-a", "-m", "moved", "v0.1.0", "main~2"]);
    c.rerun_touches(&TEAMS, "a tag moved");
    c.git(&["tag", "-d", "b-only"]);
    c.rerun_touches(&TEAMS, "a tag deleted");
    c.git(&["pack-refs", "--all"]);
    c.rerun_touches(&[], "the same tags, packed");
}

#[test]
fn a_change_of_one_team_makes_only_that_team_run_as_from_scratch() {
    let c = Case::new();
    std::fs::write(&c.manifest, MANIFEST.replace("a: {paths: [a],", "a: {paths: [a], exclude: [a/two.txt],"))
        .unwrap();
    c.rerun_touches(&["a"], "a's rules changed");
    std::fs::write(
        &c.manifest,
        MANIFEST.replace("b: {paths: [b]}", "b: {paths: [b], tags: {prefix: \"b-\"}}"),
    )
    .unwrap();
    c.rerun_touches(&["a", "b"], "a's rules back, b's tags renamed");
    std::fs::write(
        &c.manifest,
        MANIFEST.replace("b: {paths: [b]}", "b: {paths: [b], tags: {prefix: \"b-\", select: [\"v*\"]}}"),
    )
    .unwrap();
    c.rerun_touches(&["b"], "b's tags selected");
}

#[test]
fn a_team_repository_changed_by_hand_runs_again_and_is_made_whole() {
    let c = Case::new();
    let (a, b) = (c.team("a"), c.team("b"));
    git(&a, &["update-ref", "refs/heads/main", "refs/heads/main~1"]);
    c.rerun_touches(&["a"], "a ref moved by hand");
    git(&b, &["update-ref", "-d", "refs/tags/v0.1.0"]);
    c.rerun_touches(&["b"], "a packed ref deleted by hand");
    git(&b, &["update-ref", "refs/heads/extra", "refs/heads/main"]);
    c.rerun_touches(&["b"], "a ref added by hand");
    let state = a.join("split/state");
    let mut bytes = std::fs::read(&state).unwrap();
    let at = bytes.len() - 2;
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&state, bytes).unwrap();
    c.rerun_touches(&["a"], "a damaged state");
    std::fs::write(b.join("split/run"), "git-split run 1\nkey nonsense\n").unwrap();
    c.rerun_touches(&["b"], "a damaged record");
    std::fs::remove_dir_all(&b).unwrap();
    c.rerun_touches(&["b"], "a missing team repository");
    c.rerun_touches(&[], "nothing new again");
}
