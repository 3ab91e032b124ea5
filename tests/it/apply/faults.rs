//! `apply` stopped at every step of a run, deterministically: killed
//! (SIGKILL), interrupted (SIGINT as Ctrl-C, SIGTERM as a cancelled CI job)
//! or failing a write (a full disk). The run is stopped through the hidden `GIT_SPLIT_FAULT` hook
//! (src/fault.rs): a first run traces the named points it passes, then one
//! run is stopped at each of them. After each stop every team repository is
//! its previous complete self or absent (the new one only once published),
//! passes `git fsck`, borrows nothing, and a rerun converges to the ids of
//! an uninterrupted run. The monolith is never touched.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::NoUserConfig;
use crate::support::{digest, fixture_copy, git, refs};

const MONOLITH_TEAMS: &[&str] = &["catalog-sdk", "course", "payment"];
const HISTORY_TEAMS: &[&str] = &["a", "b"];
const HISTORY_MANIFEST: &str = "version: 1\nmonolith: {refs: [main]}\nshared: {paths: [shared.txt]}\nteams:\n  a: {paths: [a]}\n  b: {paths: [\"b/**\"]}\n";

/// A monolith to split and how.
struct Setup {
    _tmp: tempfile::TempDir,
    repo: PathBuf,
    args: Vec<String>,
    teams: &'static [&'static str],
}

impl Setup {
    fn monolith(extra: &[&str]) -> Setup {
        let (tmp, repo) = fixture_copy("monolith");
        Setup { _tmp: tmp, repo, args: extra.iter().map(|s| s.to_string()).collect(), teams: MONOLITH_TEAMS }
    }

    fn history() -> Setup {
        Setup::history_with(HISTORY_MANIFEST)
    }

    fn history_with(manifest: &str) -> Setup {
        let (tmp, repo) = fixture_copy("history");
        let m = tmp.path().join("m.yaml");
        std::fs::write(&m, manifest).unwrap();
        let args = vec!["--manifest".to_string(), m.to_str().unwrap().to_string()];
        Setup { _tmp: tmp, repo, args, teams: HISTORY_TEAMS }
    }

    fn dir(&self) -> &Path {
        self.repo.parent().unwrap()
    }

    /// `git-split apply` into `out`, with `GIT_SPLIT_FAULT=fault` if given.
    fn apply(&self, out: &Path, fault: Option<&str>) -> Output {
        self.apply_with(out, fault, &[])
    }

    fn apply_with(&self, out: &Path, fault: Option<&str>, extra: &[&str]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_git-split"));
        c.args(["apply", "-q", "--out", out.to_str().unwrap()])
            .args(&self.args)
            .args(extra)
            .args(if self.args.iter().any(|a| a == "--jobs") { &[][..] } else { &["--jobs", "2"][..] })
            .current_dir(&self.repo)
            .without_user_config()
            .env_remove("GIT_SPLIT_FAULT");
        if let Some(f) = fault {
            c.env("GIT_SPLIT_FAULT", f);
        }
        c.output().unwrap()
    }

    fn apply_ok(&self, out: &Path) {
        self.apply_ok_with(out, &[]);
    }

    fn apply_ok_with(&self, out: &Path, extra: &[&str]) {
        let o = self.apply_with(out, None, extra);
        assert!(o.status.success(), "apply failed: {}", String::from_utf8_lossy(&o.stderr));
    }

    /// Each team's refs in `out` (absent teams left out).
    fn outputs(&self, out: &Path) -> BTreeMap<&'static str, String> {
        self.teams.iter().filter(|t| team(out, t).exists()).map(|t| (*t, refs(&team(out, t)))).collect()
    }

    /// The points an uninterrupted run from `start` passes: name -> passes.
    fn trace(&self, start: Option<&Path>, work: &Path) -> BTreeMap<String, usize> {
        let out = restore(start, work);
        let trace = work.with_extension("trace");
        let o = self.apply(&out, Some(&format!("trace:{}", trace.display())));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut counts = BTreeMap::new();
        for name in std::fs::read_to_string(&trace).unwrap().lines() {
            *counts.entry(name.to_string()).or_insert(0) += 1;
        }
        std::fs::remove_file(trace).unwrap();
        counts
    }
}

fn team(out: &Path, name: &str) -> PathBuf {
    out.join(format!("{name}.git"))
}

/// A fresh `work/out` holding `start` (nothing if `None`), its files hard
/// linked: cheap, and since `apply` must never write into a file it did not
/// create, a write in place would change `start` too, which the digests
/// taken before the first stop catch.
fn restore(start: Option<&Path>, work: &Path) -> PathBuf {
    if work.exists() {
        std::fs::remove_dir_all(work).unwrap();
    }
    std::fs::create_dir_all(work).unwrap();
    let out = work.join("out");
    if let Some(s) = start {
        link_tree(s, &out);
    }
    out
}

fn link_tree(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            link_tree(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::hard_link(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Every byte of each team repository in `out`.
fn digests(s: &Setup, out: &Path) -> BTreeMap<&'static str, Digest> {
    s.teams.iter().filter(|t| team(out, t).exists()).map(|t| (*t, digest(&team(out, t)))).collect()
}

type Digest = BTreeMap<PathBuf, (u32, Vec<u8>)>;

/// What decides each team's ids: its refs, HEAD, commit map and state
/// (pack files may differ between runs: `git pack-objects` picks deltas with
/// several threads).
fn ids(s: &Setup, out: &Path) -> BTreeMap<&'static str, Digest> {
    digests(s, out)
        .into_iter()
        .map(|(t, d)| {
            // The record of a team's last run holds its files' times and
            // inodes, which no two runs share.
            let keep = |p: &Path| {
                p.starts_with("refs")
                    || (p.starts_with("split") && p != Path::new("split/run"))
                    || p == Path::new("HEAD")
                    || p == Path::new("packed-refs")
            };
            (t, d.into_iter().filter(|(p, _)| keep(p)).collect())
        })
        .collect()
}

/// The (point, pass) pairs to stop at: every point, at its first and last
/// pass (for a point passed once per team: the first team there and the
/// last), and halfway for points passed per commit or per object. Every
/// pass of those would repeat the same states many times over, and keep
/// the suite from staying fast.
fn stops(counts: &BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (name, &n) in counts {
        let mut passes = vec![1, n];
        if n > 10 {
            passes.push(n / 2);
        }
        passes.sort();
        passes.dedup();
        out.extend(passes.into_iter().map(|k| (name.clone(), k)));
    }
    out
}

/// The output after a stop: each team is its previous complete repository
/// (byte for byte), the new complete one (it passes `git fsck` and has the
/// new refs), or absent when there was none before; never half.
fn assert_whole(
    s: &Setup,
    out: &Path,
    previous: &BTreeMap<&str, Digest>,
    expected: &BTreeMap<&str, String>,
    what: &str,
) {
    for t in s.teams {
        let r = team(out, t);
        if !r.exists() {
            assert!(!previous.contains_key(t), "{what}: {t}: a complete repository disappeared");
            continue;
        }
        if previous.get(t) == Some(&digest(&r)) {
            continue;
        }
        git(&r, &["fsck", "--full", "--no-dangling"]);
        let now = refs(&r);
        assert_eq!(expected.get(t), Some(&now), "{what}: {t} is neither the previous nor the new repository");
        assert!(!r.join("objects/info/alternates").exists(), "{what}: {t} borrows objects");
        assert!(r.join("split/commit-map").is_file(), "{what}: {t} has no commit map");
    }
}

/// What a finished run leaves besides team repositories: nothing.
fn assert_clean(out: &Path, what: &str) {
    let extra: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".git"))
        .collect();
    assert!(extra.is_empty(), "{what}: left behind {extra:?}");
}

/// Kills a run at every traced point from `start` (a previous output, or
/// nothing), checking the output after each kill and that a rerun from
/// there converges. Returns the number of kills.
fn kill_everywhere(s: &Setup, start: Option<&Path>, expected: &BTreeMap<&str, String>, what: &str) -> usize {
    let work = s.dir().join(format!("work-{}", what.replace(' ', "-")));
    let previous = start.map(|p| digests(s, p)).unwrap_or_default();
    // What an uninterrupted run from `start` writes, byte for byte.
    let uninterrupted = {
        let out = restore(start, &work);
        s.apply_ok(&out);
        assert_eq!(&s.outputs(&out), expected);
        ids(s, &out)
    };
    let monolith = digest(&s.repo);
    let points = stops(&s.trace(start, &work));
    for (name, k) in &points {
        let at = format!("{what}: SIGKILL at {name}:{k}");
        let out = restore(start, &work);
        let o = s.apply(&out, Some(&format!("{name}:{k}:kill")));
        assert_eq!(o.status.signal(), Some(9), "{at}: the run was not killed there: {o:?}");
        assert_whole(s, &out, &previous, expected, &at);
        s.apply_ok(&out);
        assert!(ids(s, &out) == uninterrupted, "{at}: a rerun does not converge to an uninterrupted run");
        assert_clean(&out, &at);
    }
    if let Some(p) = start {
        assert!(digests(s, p) == previous, "{what}: a run wrote into a previous repository's files");
    }
    assert_eq!(monolith, digest(&s.repo), "{what}: the monolith changed");
    points.len()
}

/// An uninterrupted run: its output directory and each team's refs.
fn reference(s: &Setup) -> (PathBuf, BTreeMap<&'static str, String>) {
    let out = s.dir().join("reference");
    s.apply_ok(&out);
    let r = s.outputs(&out);
    assert_eq!(r.len(), s.teams.len());
    (out, r)
}

#[test]
fn sigkill_at_every_point_of_a_rewrite_fresh_and_over_a_previous_output() {
    let s = Setup::monolith(&[]);
    let (_, expected) = reference(&s);
    let fresh = kill_everywhere(&s, None, &expected, "rewrite fresh");
    // A previous output without labels: every team is rebuilt and swapped.
    let m = std::fs::read_to_string(s.repo.join("ownership.yaml")).unwrap();
    let nolabels = s.dir().join("nolabels.yaml");
    std::fs::write(&nolabels, format!("{m}history:\n  labels: false\n")).unwrap();
    let old = s.dir().join("old");
    s.apply_ok_with(&old, &["--manifest", nolabels.to_str().unwrap()]);
    assert!(s.outputs(&old).iter().all(|(t, r)| &expected[t] != r), "the previous output differs");
    let over = kill_everywhere(&s, Some(&old), &expected, "rewrite over previous");
    println!("rewrite: {fresh} kill points on a fresh output, {over} over a previous one");
    assert!(fresh >= 30 && over >= 30, "{fresh} {over}");
}

#[test]
fn sigkill_at_every_point_of_a_prune_fresh_and_over_a_previous_output() {
    let s = Setup::monolith(&["--history", "prune"]);
    let old = grown(&s, 2);
    let (_, expected) = reference(&s);
    assert!(s.outputs(&old).iter().all(|(t, r)| &expected[t] != r), "the previous output differs");
    let fresh = kill_everywhere(&s, None, &expected, "prune fresh");
    let over = kill_everywhere(&s, Some(&old), &expected, "prune over previous");
    println!("prune: {fresh} kill points on a fresh output, {over} over a previous one");
    assert!(fresh >= 30 && over >= 30, "{fresh} {over}");
}

/// Processes whose command line names `dir`.
fn processes_naming(dir: &Path) -> Vec<String> {
    let needle = dir.to_str().unwrap().as_bytes();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|c| c.windows(needle.len()).any(|w| w == needle))
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .collect()
}

/// Regression: a killed run's `git pack-objects` lived on and wrote a pack
/// into the staging directory the next run was deleting. One team at a
/// time, so the only pack-objects running is the one whose parent dies.
#[test]
fn a_killed_run_leaves_no_git_pack_objects_behind() {
    let s = Setup::monolith(&["--history", "prune", "--jobs", "1"]);
    let out = s.dir().join("out");
    let o = s.apply(&out, Some("pack-objects.started:1:kill"));
    assert_eq!(o.status.signal(), Some(9), "{o:?}");
    // An orphan would see its input end and finish at once: wait for it.
    for _ in 0..1000 {
        if processes_naming(&out).is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(processes_naming(&out), Vec::<String>::new());
    let staged = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".staging-"));
    for e in staged {
        let packs: Vec<_> = std::fs::read_dir(e.path().join("objects/pack"))
            .unwrap()
            .flatten()
            .map(|p| p.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".pack"))
            .collect();
        // Only the pack apply itself wrote (the deletion commit's).
        assert!(packs.len() <= 1, "{}: {packs:?}", e.path().display());
    }
}

/// The output of a run when `main` was `back` commits behind.
fn grown(s: &Setup, back: usize) -> PathBuf {
    let tip = String::from_utf8(git(&s.repo, &["rev-parse", "main"]).stdout).unwrap().trim().to_string();
    git(&s.repo, &["update-ref", "refs/heads/main", &format!("main~{back}")]);
    let old = s.dir().join("old");
    s.apply_ok(&old);
    git(&s.repo, &["update-ref", "refs/heads/main", &tip]);
    old
}

/// The ids of an uninterrupted run over `old`.
fn from_old(s: &Setup, old: &Path) -> BTreeMap<&'static str, Digest> {
    let out = restore(Some(old), &s.dir().join("work-from-old"));
    s.apply_ok(&out);
    ids(s, &out)
}

/// [`kill_everywhere`] for an incremental rerun: the output of a run over
/// the monolith six commits back, continued over the whole of it.
fn kill_everywhere_over_a_grown_monolith(s: &Setup, what: &str) -> usize {
    let old = grown(s, 6);
    let (_, expected) = reference(s);
    assert_ne!(s.outputs(&old), expected, "the monolith grew for every team");
    kill_everywhere(s, Some(&old), &expected, what)
}

#[test]
fn sigkill_at_every_point_of_an_incremental_rerun() {
    let n = kill_everywhere_over_a_grown_monolith(&Setup::history(), "incremental");
    println!("incremental: {n} kill points");
    assert!(n >= 30, "{n}");
}

#[test]
fn sigkill_at_every_point_of_an_incremental_rerun_with_a_compat_team() {
    let s = Setup::history_with(
        &HISTORY_MANIFEST.replace("a: {paths: [a]}", "a: {paths: [a], root: a, compat: subtree}"),
    );
    let n = kill_everywhere_over_a_grown_monolith(&s, "compat incremental");
    println!("compat: {n} kill points");
    assert!(n >= 30, "{n}");
}

/// A rerun over the monolith grown by six commits, stopped by faults: what
/// each stopped run is checked against.
struct Rerun<'s> {
    s: &'s Setup,
    /// The output of a run six commits back.
    old: PathBuf,
    /// Its team repositories.
    previous: BTreeMap<&'static str, Digest>,
    /// Each team's refs from scratch.
    expected: BTreeMap<&'static str, String>,
    /// The ids of an uninterrupted rerun.
    uninterrupted: BTreeMap<&'static str, Digest>,
    monolith: Digest,
    /// Where each stopped run works.
    work: PathBuf,
    /// The named points a rerun passes, and how often.
    counts: BTreeMap<String, usize>,
}

impl<'s> Rerun<'s> {
    fn new(s: &'s Setup, work: &str) -> Rerun<'s> {
        let old = grown(s, 6);
        let work = s.dir().join(work);
        Rerun {
            s,
            previous: digests(s, &old),
            expected: reference(s).1,
            uninterrupted: from_old(s, &old),
            monolith: digest(&s.repo),
            counts: s.trace(Some(&old), &work),
            old,
            work,
        }
    }

    /// A rerun over a fresh copy of the old output, with `fault` injected.
    fn with_fault(&self, fault: &str) -> (PathBuf, Output) {
        let out = restore(Some(&self.old), &self.work);
        let o = self.s.apply(&out, Some(fault));
        (out, o)
    }

    fn assert_rerun_converges(&self, out: &Path, what: &str) {
        self.s.apply_ok(out);
        assert!(ids(self.s, out) == self.uninterrupted, "{what}: a rerun does not converge");
    }

    fn assert_monolith_unchanged(&self) {
        assert_eq!(self.monolith, digest(&self.s.repo), "the monolith changed");
    }
}

#[test]
fn sigint_or_sigterm_stops_cleanly_at_every_phase_with_exit_130_or_143() {
    let s = Setup::history();
    let r = Rerun::new(&s, "work-sigint");
    let counts = &r.counts;
    // Each named point at its first pass; at the last pass of those after
    // which a team is published (so some teams are new, some previous);
    // SIGTERM (a cancelled CI job) at a few.
    let mut points: Vec<(String, usize, &str)> = Vec::new();
    for (name, &n) in counts {
        points.push((name.clone(), 1, "int"));
        if n > 1 && (name.starts_with("publish") || name == "finish.published") {
            points.push((name.clone(), n, "int"));
        }
    }
    for name in ["apply.graph", "rewrite.commit", "finish.written"] {
        points.push((name.to_string(), 1, "term"));
    }
    for (name, k, signal) in &points {
        let at = format!("SIG{} at {name}:{k}", signal.to_uppercase());
        let (out, o) = r.with_fault(&format!("{name}:{k}:{signal}"));
        let stderr = String::from_utf8_lossy(&o.stderr);
        let code = if *signal == "int" { 130 } else { 143 };
        assert_eq!(o.status.code(), Some(code), "{at}: {o:?}");
        assert!(stderr.contains("interrupted"), "{at}: {stderr}");
        assert_clean(&out, &at);
        assert_whole(&s, &out, &r.previous, &r.expected, &at);
        r.assert_rerun_converges(&out, &at);
    }
    r.assert_monolith_unchanged();
    println!("{} SIGINT/SIGTERM points", points.len());
    assert!(points.len() >= 20, "{}", points.len());
}

/// Checks a run that failed for lack of space: the report names the file
/// it could not write, under `out`; the failed team keeps its previous
/// repository; nothing is left staged; a rerun (with space) converges.
fn assert_no_space_failure(
    s: &Setup,
    out: &Path,
    o: &Output,
    previous: &BTreeMap<&str, Digest>,
    expected: &BTreeMap<&str, String>,
    what: &str,
) {
    // `apply -q` tells only the failure, as an error.
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{what}: a team failed: exit 1\n{o:?}");
    assert!(o.stdout.is_empty(), "{what}: {o:?}");
    let failed: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: team ")).collect();
    assert_eq!(failed.len(), 1, "{what}: one team failed\n{stderr}");
    assert!(failed[0].contains("No space left on device"), "{what}: {}", failed[0]);
    assert!(
        failed[0].contains(&out.display().to_string()),
        "{what}: the error names the path: {}",
        failed[0]
    );
    let name = failed[0].split_whitespace().nth(2).unwrap();
    assert!(previous[name] == digest(&team(out, name)), "{what}: {name} kept its previous repository");
    assert_clean(out, what);
    assert_whole(s, out, previous, expected, what);
}

#[test]
fn a_failed_write_fails_the_team_with_its_path_and_keeps_the_previous_repository() {
    let s = Setup::history();
    let r = Rerun::new(&s, "work-enospc");
    let counts = &r.counts;
    let writes = [
        "pack.create",
        "pack.entry",
        "pack.finish",
        "pack.index",
        "finish.commit-map",
        "finish.state",
        "publish",
    ];
    for w in writes {
        assert!(counts.contains_key(w), "{w} is passed: {counts:?}");
        let mut passes = vec![1, counts[w]];
        passes.dedup();
        for k in passes {
            let what = format!("ENOSPC at {w}:{k}");
            let (out, o) = r.with_fault(&format!("{w}:{k}:enospc"));
            assert_no_space_failure(&s, &out, &o, &r.previous, &r.expected, &what);
            r.assert_rerun_converges(&out, &what);
        }
    }
    r.assert_monolith_unchanged();
}

/// A small tmpfs, unmounted however the test ends.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_file_system_fails_the_team_and_keeps_the_previous_repository() {
    let s = Setup::history();
    let mnt = s.dir().join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=2M", "tmpfs"]).arg(&mnt).output();
    let _mount = match mounted {
        Ok(o) if o.status.success() => Mount(mnt.clone()),
        Ok(o) => {
            println!(
                "skipping the tmpfs variant: mount failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return;
        }
        Err(e) => {
            println!("skipping the tmpfs variant: no mount: {e}");
            return;
        }
    };
    let out = mnt.join("out");
    s.apply_ok(&out);
    let previous = digests(&s, &out);
    let b_refs = refs(&team(&out, "b"));
    // Team a grows by more than the file system holds (incompressible bytes).
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let big: Vec<u8> = (0..3 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(s.repo.join("a/big.bin"), big).unwrap();
    git(&s.repo, &["add", "a/big.bin"]);
    git(&s.repo, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "a: big"]);
    let monolith = digest(&s.repo);
    let o = s.apply(&out, None);
    assert_eq!(monolith, digest(&s.repo), "the monolith changed");
    // Team b keeps its refs; it may be republished, as its commit map and
    // state now cover the new (dropped) commit.
    let b = BTreeMap::from([("b", b_refs)]);
    assert_no_space_failure(&s, &out, &o, &previous, &b, "tmpfs");
}
