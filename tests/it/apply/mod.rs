//! What `apply` guarantees beyond agreeing with filter-repo: determinism,
//! self-contained output, labels, refusals that write nothing, reruns that
//! replace the previous output.

mod bloom;
mod faults;
mod follow_random;
pub(crate) mod follow_renames;
mod kill;
mod memory;
mod odd_repos;
mod package_history;
mod package_history_random;
mod privacy;
mod random_histories;
mod tag_select;
mod tags;
mod unchanged;
mod vs_filter_repo;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::{apply, assert_only_reachable, digest, fixture, fixture_copy, git, refs, split};

fn lines(out: std::process::Output) -> BTreeSet<String> {
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

#[test]
fn same_ids_across_runs_and_for_one_team_alone() {
    let repo = fixture("monolith");
    let tmp = tempfile::tempdir().unwrap();
    let (all1, all2, one) = (tmp.path().join("all1"), tmp.path().join("all2"), tmp.path().join("one"));
    assert_eq!(apply(&repo, &all1, &[]).code, 0);
    assert_eq!(apply(&repo, &all2, &["--jobs", "1"]).code, 0);
    assert_eq!(apply(&repo, &one, &["--team", "payment"]).code, 0);
    for team in ["course", "payment", "catalog-sdk"] {
        let a = all1.join(format!("{team}.git"));
        let b = all2.join(format!("{team}.git"));
        assert_eq!(refs(&a), refs(&b), "{team}: refs differ between runs");
        assert_eq!(
            std::fs::read(a.join("split/commit-map")).unwrap(),
            std::fs::read(b.join("split/commit-map")).unwrap()
        );
    }
    assert_eq!(refs(&all1.join("payment.git")), refs(&one.join("payment.git")), "--team alone differs");
    assert!(!one.join("course.git").exists(), "--team writes only that team");
}

#[test]
fn team_repositories_are_self_contained_and_hold_only_reachable_objects() {
    let repo = fixture("monolith");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert_eq!(apply(&repo, &out, &[]).code, 0);
    for team in ["course", "payment", "catalog-sdk"] {
        let t = out.join(format!("{team}.git"));
        assert!(!t.join("objects/info/alternates").exists(), "{team}: alternates left behind");
        git(&t, &["fsck", "--full", "--strict", "--no-dangling"]);
        assert_only_reachable(&t, &format!("{team}: objects not reachable from its refs"));
        // No loose objects: everything is packed.
        let loose = lines(git(&t, &["count-objects"]));
        assert!(loose.iter().any(|l| l.starts_with("0 objects")), "{team}: {loose:?}");
    }
    // No other team's files anywhere in a team repository.
    let payment_blobs = lines(git(&out.join("payment.git"), &["rev-list", "--objects", "--all"]));
    assert!(!payment_blobs.iter().any(|l| l.contains("course-api/")), "course files leaked into payment");
}

#[test]
fn every_commit_is_labelled_with_its_monolith_commit() {
    let repo = fixture("monolith");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert_eq!(apply(&repo, &out, &["--team", "course"]).code, 0);
    let t = out.join("course.git");
    let labels = String::from_utf8(
        git(&t, &["log", "--format=%s%x00%(trailers:key=Split-Source,valueonly)%x01", "main"]).stdout,
    )
    .unwrap();
    let map = std::fs::read_to_string(t.join("split/commit-map")).unwrap();
    let mut n = 0;
    for entry in labels.split('\x01').map(str::trim).filter(|l| !l.is_empty()) {
        let (subject, sha) = entry.split_once('\0').unwrap_or_else(|| panic!("no label on {entry:?}"));
        let sha = sha.trim();
        assert_eq!(sha.len(), 40, "{subject}: {sha}");
        let original = String::from_utf8(git(&repo, &["show", "-s", "--format=%s", sha]).stdout).unwrap();
        assert_eq!(original.trim(), subject, "label points at the commit it came from");
        assert!(map.contains(sha), "label {sha} is in the commit map");
        n += 1;
    }
    assert!(n >= 3);
}

#[test]
fn labels_false_adds_no_trailer() {
    let (_tmp, repo) = fixture_copy("monolith");
    let m = std::fs::read_to_string(repo.join("ownership.yaml")).unwrap();
    std::fs::write(repo.join("nolabels.yaml"), format!("{m}history:\n  labels: false\n")).unwrap();
    let out = repo.parent().unwrap().join("out");
    assert_eq!(apply(&repo, &out, &["--manifest", "nolabels.yaml", "--team", "payment"]).code, 0);
    let log =
        String::from_utf8(git(&out.join("payment.git"), &["log", "--format=%B", "main"]).stdout).unwrap();
    assert!(!log.contains("Split-Source"), "{log}");
}

#[test]
fn rerun_replaces_previous_output_and_cleans_staging_leftovers() {
    let repo = fixture("monolith");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert_eq!(apply(&repo, &out, &[]).code, 0);
    let before = refs(&out.join("course.git"));
    // What an interrupted run leaves behind.
    std::fs::create_dir_all(out.join(".staging-course/objects")).unwrap();
    let run = apply(&repo, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!out.join(".staging-course").exists());
    assert_eq!(before, refs(&out.join("course.git")));
}

#[test]
fn refusals_write_nothing() {
    let repo = fixture("monolith");
    let tmp = tempfile::tempdir().unwrap();

    // An output directory holding something else.
    let foreign = tmp.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let run = apply(&repo, &foreign, &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("notes.txt"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(&foreign).unwrap().count(), 1, "nothing written");

    // A missing ref.
    let out = tmp.path().join("out");
    let run = apply(&repo, &out, &["--ref", "no-such-branch"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no-such-branch"), "{}", run.stderr);
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().count() == 0);

    // A shallow clone.
    let shallow = tmp.path().join("shallow");
    let url = format!("file://{}", repo.display());
    git(tmp.path(), &["clone", "-q", "--depth", "2", &url, shallow.to_str().unwrap()]);
    let before = digest(&shallow);
    let out2: PathBuf = tmp.path().join("out2");
    let run = apply(&shallow, &out2, &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("shallow"), "{}", run.stderr);
    assert!(!out2.exists(), "nothing written for a shallow clone");
    assert_eq!(before, digest(&shallow));

    // An output directory inside the monolith's git directory.
    let (_t, copy) = fixture_copy("monolith");
    let run = apply(&copy, &copy.join(".git/split-out"), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn a_held_lock_refuses_a_second_apply() {
    let repo = fixture("monolith");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let lock = std::fs::File::create(out.join(".git-split.lock")).unwrap();
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive).unwrap();
    let run = apply(&repo, &out, &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("another git-split apply"), "{}", run.stderr);
    drop(lock);
    assert_eq!(apply(&repo, &out, &[]).code, 0, "the lock is released with its holder");
}

#[test]
fn prune_mode_keeps_history_and_deletes_on_top() {
    let repo = fixture("monolith");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let run = apply(&repo, &out, &["--history", "prune", "--team", "payment", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let history = String::from_utf8(git(&repo, &["rev-list", "--count", "main"]).stdout).unwrap();
    let history: u64 = history.trim().parse().unwrap();
    let team = &report["teams"][0];
    assert_eq!(
        (&team["commits_considered"], &team["commits_kept"]),
        (&history.into(), &history.into()),
        "{team}"
    );
    let t = out.join("payment.git");
    let monolith_main = String::from_utf8(git(&repo, &["rev-parse", "main"]).stdout).unwrap();
    let parent = String::from_utf8(git(&t, &["rev-parse", "main^"]).stdout).unwrap();
    assert_eq!(parent, monolith_main, "one commit on top of the monolith's history");
    let files = lines(git(&t, &["ls-tree", "-r", "--name-only", "main"]));
    let expected = lines(git(
        &repo,
        &[
            "ls-files",
            "--",
            "payment",
            "web/templates/payment",
            "payment-build",
            "docs",
            "build.gradle",
            "settings.gradle",
            "gradle",
            ".github",
            "common/src/main/java/com/inflearn/common/util",
        ],
    ));
    assert_eq!(files, expected);
    git(&t, &["fsck", "--full", "--no-dangling"]);
}

#[test]
fn verify_passes_on_apply_output_and_catches_a_tampered_repository() {
    let repo = fixture("monolith");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert_eq!(apply(&repo, &out, &[]).code, 0);
    let ok = split(&repo, &["verify", "--out", out.to_str().unwrap()]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains("no difference"), "{}", ok.stdout);

    // Slip another team's file into course's tip.
    let course = out.join("course.git");
    let tip = String::from_utf8(git(&course, &["rev-parse", "main"]).stdout).unwrap().trim().to_string();
    let blob = String::from_utf8(git(&repo, &["rev-parse", "main:payment/build.gradle"]).stdout).unwrap();
    let tmp_index = tmp.path().join("index");
    let env_git = |args: &[&str]| {
        let o = std::process::Command::new("git")
            .args(args)
            .current_dir(&course)
            .env("GIT_INDEX_FILE", &tmp_index)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "x")
            .env("GIT_AUTHOR_EMAIL", "x@x")
            .env("GIT_COMMITTER_NAME", "x")
            .env("GIT_COMMITTER_EMAIL", "x@x")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    // The payment blob is not in course.git; copy it in first.
    let content = git(&repo, &["cat-file", "blob", blob.trim()]).stdout;
    std::fs::write(tmp.path().join("leak"), content).unwrap();
    env_git(&["hash-object", "-w", tmp.path().join("leak").to_str().unwrap()]);
    env_git(&["read-tree", &tip]);
    env_git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("100644,{},payment/build.gradle", blob.trim()),
    ]);
    let tree = env_git(&["write-tree"]);
    let commit = env_git(&["commit-tree", &tree, "-p", &tip, "-m", "leak"]);
    env_git(&["update-ref", "refs/heads/main", &commit]);

    let bad = split(&repo, &["verify", "--out", out.to_str().unwrap(), "--format", "json"]);
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
    let v: serde_json::Value = serde_json::from_str(&bad.stdout).unwrap();
    let msgs = v["differences"].to_string();
    assert!(msgs.contains("payment/build.gradle"), "{msgs}");
}

fn map_lines(team_repo: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(team_repo.join("split/commit-map"))
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

fn packs(team_repo: &Path) -> usize {
    std::fs::read_dir(team_repo.join("objects/pack"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "pack"))
        .count()
}

const HISTORY_MANIFEST: &str = "version: 1\nmonolith: {refs: [main]}\nshared: {paths: [shared.txt]}\nteams:\n  a: {paths: [a]}\n  b: {paths: [\"b/**\"]}\n";

/// A copy of the `history` fixture and the path of [`HISTORY_MANIFEST`] beside it.
fn history() -> (tempfile::TempDir, PathBuf, String) {
    let (tmp, repo) = fixture_copy("history");
    let m = tmp.path().join("m.yaml");
    std::fs::write(&m, HISTORY_MANIFEST).unwrap();
    let m = m.to_str().unwrap().to_string();
    (tmp, repo, m)
}

/// The `history` fixture split as it was six commits ago into `inc`; `grow`
/// brings `main` back to its tip, and `full` is where a run from scratch goes.
struct Grown {
    /// Holds the directories.
    _tmp: tempfile::TempDir,
    repo: PathBuf,
    manifest: String,
    tip: String,
    inc: PathBuf,
    full: PathBuf,
}

impl Grown {
    fn new() -> Grown {
        let (tmp, repo, manifest) = history();
        let tip = String::from_utf8(git(&repo, &["rev-parse", "main"]).stdout).unwrap().trim().to_string();
        let (inc, full) = (tmp.path().join("inc"), tmp.path().join("full"));
        git(&repo, &["update-ref", "refs/heads/main", "main~6"]);
        let g = Grown { _tmp: tmp, repo, manifest, tip, inc, full };
        assert_eq!(g.apply(&g.inc).code, 0);
        g
    }

    fn apply(&self, out: &Path) -> crate::support::Run {
        apply(&self.repo, out, &["--manifest", &self.manifest])
    }

    fn grow(&self) {
        git(&self.repo, &["update-ref", "refs/heads/main", &self.tip]);
    }
}

#[test]
fn incremental_run_equals_a_run_from_scratch() {
    // The monolith as it was a few commits ago, split once.
    let g = Grown::new();
    let (repo, inc, full) = (&g.repo, &g.inc, &g.full);
    let first_pack_count = packs(&inc.join("a.git"));
    let earlier: std::collections::BTreeMap<&str, PathBuf> =
        ["a", "b"].map(|t| (t, segments(&inc.join(format!("{t}.git"))).remove(0))).into();

    // It grew; the rerun continues from the saved state.
    g.grow();
    let before = digest(repo);
    let run = g.apply(inc);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(before, digest(repo));
    assert_eq!(g.apply(full).code, 0);
    for team in ["a", "b"] {
        let (i, f) = (inc.join(format!("{team}.git")), full.join(format!("{team}.git")));
        assert_eq!(refs(&i), refs(&f), "{team}: incremental refs differ from a full run");
        assert_eq!(map_lines(&i), map_lines(&f), "{team}: commit maps differ");
        assert_eq!(state(&i), state(&f), "{team}: states differ");
        // The earlier run's segment is kept as it was; this run adds one.
        let now = segments(&i);
        assert_eq!(now.len(), 2, "{team}");
        assert!(now.contains(&earlier[team]), "{team}: {now:?} lost {:?}", earlier[team]);
        git(&i, &["fsck", "--full", "--strict", "--no-dangling"]);
        assert_only_reachable(&i, &format!("{team}: only reachable objects after an incremental run"));
    }
    assert!(packs(&inc.join("a.git")) > first_pack_count, "the previous packs were reused, not rewritten");
}

/// A team repository's state, whatever its segments.
fn state(team_repo: &Path) -> String {
    git_split::rewrite::state::dump(&team_repo.join("split")).unwrap()
}

fn segments(team_repo: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(team_repo.join("split"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    found.sort();
    found
}

/// A team repository written by an earlier git-split, whose state is the
/// version-2 text file, is built again on upgrading: same ids, a state in
/// segments.
#[test]
fn a_state_of_an_earlier_version_is_rebuilt_to_the_same_ids() {
    let g = Grown::new();
    let a = g.inc.join("a.git");
    let v3 = std::fs::read_to_string(a.join("split/state")).unwrap();
    let fingerprint = v3.lines().nth(1).unwrap();
    for seg in segments(&a) {
        std::fs::remove_file(seg).unwrap();
    }
    std::fs::write(a.join("split/state"), format!("git-split-state 2\n{fingerprint}\n")).unwrap();
    g.grow();
    let run = g.apply(&g.inc);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(g.apply(&g.full).code, 0);
    let f = g.full.join("a.git");
    assert_eq!(refs(&a), refs(&f));
    assert_eq!(std::fs::read(a.join("split/state")).unwrap(), std::fs::read(f.join("split/state")).unwrap());
    assert_eq!(segments(&a).len(), 1);
}

/// A segment that is cut short, gone, or not a segment is no state: the
/// team is built again, to the ids and state of a run from scratch.
#[test]
fn a_damaged_or_missing_segment_makes_the_team_start_over() {
    type Damage = fn(&Path);
    let damages: [(&str, Damage); 3] = [
        ("cut short", |p| {
            let len = std::fs::metadata(p).unwrap().len();
            std::fs::OpenOptions::new().write(true).open(p).unwrap().set_len(len - 7).unwrap();
        }),
        ("removed", |p| std::fs::remove_file(p).unwrap()),
        ("overwritten", |p| std::fs::write(p, b"GSPLSEG1 but nothing else").unwrap()),
    ];
    for (what, damage) in damages {
        let g = Grown::new();
        let a = g.inc.join("a.git");
        let seg = segments(&a);
        assert_eq!(seg.len(), 1, "a first run writes one segment");
        damage(&seg[0]);
        g.grow();
        let run = g.apply(&g.inc);
        assert_eq!(run.code, 0, "{what}: {}", run.stderr);
        assert_eq!(g.apply(&g.full).code, 0);
        let f = g.full.join("a.git");
        assert_eq!(refs(&a), refs(&f), "{what}");
        assert_eq!(segments(&a).len(), 1, "{what}: a run from scratch writes one segment");
        for file in ["split/commit-map", "split/state"] {
            let read = |repo: &Path| std::fs::read(repo.join(file)).unwrap();
            assert!(read(&a) == read(&f), "{what}: {file} differs from a run from scratch's");
        }
    }
}

/// `verify` reads the saved state whole: a segment whose bytes changed, or
/// a commit map that lost a line, is reported.
#[test]
fn verify_reports_a_damaged_state() {
    let g = Grown::new();
    let verify = || split(&g.repo, &["verify", "--manifest", &g.manifest, "--out", g.inc.to_str().unwrap()]);
    let ok = verify();
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);

    let a = g.inc.join("a.git");
    let seg = segments(&a).remove(0);
    let mut bytes = std::fs::read(&seg).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    std::fs::write(&seg, &bytes).unwrap();
    let bad = verify();
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
    assert!(bad.stdout.contains("split/state") && bad.stdout.contains("checksum"), "{}", bad.stdout);

    let b = g.inc.join("b.git/split/commit-map");
    let map = std::fs::read_to_string(&b).unwrap();
    let shorter = &map[..map.trim_end().rfind('\n').unwrap() + 1];
    std::fs::write(&b, shorter).unwrap();
    let bad = verify();
    assert_eq!(bad.code, 1);
    assert!(bad.stdout.contains("the commit map has"), "{}", bad.stdout);
}

#[test]
fn packs_of_many_incremental_runs_are_folded_into_one() {
    let (tmp, repo, m) = history();
    let m = m.as_str();
    let out = tmp.path().join("out");
    assert_eq!(apply(&repo, &out, &["--manifest", m]).code, 0);
    let mut most = packs(&out.join("a.git"));
    // Every run gives team a a new commit, hence a new pack.
    for i in 0..20 {
        std::fs::write(repo.join("a/grown.txt"), format!("{i}\n")).unwrap();
        git(&repo, &["add", "a/grown.txt"]);
        git(
            &repo,
            &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", &format!("grow {i}")],
        );
        let run = apply(&repo, &out, &["--manifest", m]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        most = most.max(packs(&out.join("a.git")));
    }
    let a = out.join("a.git");
    assert!(most <= 17, "packs pile up: {most}");
    assert!(packs(&a) < 17, "{}", packs(&a));
    // So do the state's segments, one per run.
    let n = segments(&a).len();
    assert!((1..=16).contains(&n) && n < 21, "{n} segments");
    git(&a, &["fsck", "--full", "--strict", "--no-dangling"]);
    assert_only_reachable(&a, "a: only reachable objects after folding packs");
    let fresh = tmp.path().join("fresh");
    assert_eq!(apply(&repo, &fresh, &["--manifest", m]).code, 0);
    assert_eq!(refs(&a), refs(&fresh.join("a.git")), "folding packs changed ids");
    assert_eq!(state(&a), state(&fresh.join("a.git")), "folding segments changed the state");
}

#[test]
fn a_changed_team_rebuilds_only_that_team_and_a_rewound_ref_rebuilds_from_scratch() {
    use std::os::unix::fs::MetadataExt;
    let (tmp, repo, m) = history();
    let m = m.as_str();
    let out = tmp.path().join("out");
    assert_eq!(apply(&repo, &out, &["--manifest", m]).code, 0);
    let a_inode = std::fs::metadata(out.join("a.git")).unwrap().ino();
    let b_refs = refs(&out.join("b.git"));

    // Team b now excludes a file: b is rebuilt, a is left as it was.
    std::fs::write(
        m,
        HISTORY_MANIFEST.replace("b: {paths: [\"b/**\"]}", "b: {paths: [\"b/**\"], exclude: [b/three.txt]}"),
    )
    .unwrap();
    assert_eq!(apply(&repo, &out, &["--manifest", m]).code, 0);
    assert_eq!(std::fs::metadata(out.join("a.git")).unwrap().ino(), a_inode, "team a was not rewritten");
    assert_ne!(refs(&out.join("b.git")), b_refs, "team b was rebuilt");

    // The monolith's main moves backwards: the output must equal a fresh run.
    git(&repo, &["update-ref", "refs/heads/main", "main~3"]);
    assert_eq!(apply(&repo, &out, &["--manifest", m]).code, 0);
    let fresh = tmp.path().join("fresh");
    assert_eq!(apply(&repo, &fresh, &["--manifest", m]).code, 0);
    for team in ["a", "b"] {
        assert_eq!(
            refs(&out.join(format!("{team}.git"))),
            refs(&fresh.join(format!("{team}.git"))),
            "{team}"
        );
        let t = out.join(format!("{team}.git"));
        assert_only_reachable(&t, &format!("{team}: nothing unreachable left after a rewind"));
    }
}

/// Tree and parents of every commit reachable from `tips`, as git reads them.
fn git_commits(repo: &Path) -> Vec<(git2::Oid, git2::Oid, Vec<git2::Oid>)> {
    let out = git(repo, &["log", "--all", "--format=%H %T %P"]);
    let oid = |s: &str| git2::Oid::from_str(s).unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut w = l.split(' ');
            (oid(w.next().unwrap()), oid(w.next().unwrap()), w.filter(|p| !p.is_empty()).map(oid).collect())
        })
        .collect()
}

/// A commit-graph (as `git gc` and `git maintenance` write) is read instead
/// of the commits: it must say what git says of every commit, give the same
/// output, and be passed over when a tip is newer than it or it is damaged.
#[test]
fn a_commit_graph_is_read_when_it_holds_the_tips_and_verifies() {
    use git_split::odb::Source;
    use git_split::rewrite::graph::{PackedCommits, SourceGraph};
    let (_keep, repo) = fixture_copy("monolith");
    let git_dir = repo.join(".git");
    let tmp = tempfile::tempdir().unwrap();
    let (without, with) = (tmp.path().join("without"), tmp.path().join("with"));
    assert_eq!(apply(&repo, &without, &[]).code, 0);
    git(&repo, &["commit-graph", "write", "--reachable"]);
    let commits = git_commits(&repo);
    assert!(commits.iter().any(|c| c.2.len() > 1), "the fixture has merges");
    let tips: Vec<git2::Oid> = lines(git(&repo, &["for-each-ref", "--format=%(objectname)", "refs/heads"]))
        .iter()
        .map(|t| git2::Oid::from_str(t).unwrap())
        .collect();
    let from_graph = SourceGraph::from_commit_graph(&git_dir, &tips).expect("a fresh commit-graph is read");
    assert_eq!(from_graph.commits.len(), commits.len());
    for (id, tree, parents) in &commits {
        let c = from_graph.get(*id).unwrap_or_else(|| panic!("commit {id} is in the graph"));
        let ids: Vec<git2::Oid> = c.parents.iter().map(|&p| from_graph.commits[p as usize].id).collect();
        assert_eq!((c.tree, &ids), (*tree, parents), "commit {id}");
    }
    // Walked in the same order, with the same generations, as reading the
    // commits themselves.
    let monolith = git_split::odb::Repo::open(&repo).unwrap();
    let source = Source::new(monolith.raw(), monolith.packs()).unwrap();
    let read = SourceGraph::read(&source, &tips, PackedCommits::default()).unwrap();
    assert_eq!(from_graph.commits, read.commits);
    assert_eq!(apply(&repo, &with, &[]).code, 0);
    for team in ["course", "payment", "catalog-sdk"] {
        let (a, b) = (without.join(format!("{team}.git")), with.join(format!("{team}.git")));
        assert_eq!(refs(&a), refs(&b), "{team}: the commit-graph changed the output");
        assert_eq!(map_lines(&a), map_lines(&b), "{team}");
    }

    // A commit made after the graph was written: the graph does not hold it.
    let head = git(&repo, &["rev-parse", "HEAD^{tree}"]);
    let tree = String::from_utf8(head.stdout).unwrap();
    let id = ["-c", "user.name=T", "-c", "user.email=t@example.com"];
    let newer =
        git(&repo, &[&id[..], &["commit-tree", "-p", "HEAD", "-m", "after the graph", tree.trim()]].concat());
    let newer = git2::Oid::from_str(String::from_utf8(newer.stdout).unwrap().trim()).unwrap();
    assert!(SourceGraph::from_commit_graph(&git_dir, &[newer]).is_none(), "a stale graph is passed over");

    // One flipped byte in the middle of the commit data: the checksum fails.
    let file = git_dir.join("objects/info/commit-graph");
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    std::fs::write(&file, bytes).unwrap();
    assert!(SourceGraph::from_commit_graph(&git_dir, &tips).is_none(), "a damaged graph is passed over");
    let damaged = tmp.path().join("damaged");
    assert_eq!(apply(&repo, &damaged, &[]).code, 0);
    assert_eq!(refs(&without.join("payment.git")), refs(&damaged.join("payment.git")));
}
