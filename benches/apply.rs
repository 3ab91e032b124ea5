//! `apply` on two 70k-commit synthetic monoliths, against `git filter-repo`
//! and `git rev-list --objects` on the same repository.
//!
//! The shallow monolith (`support/synth.rs`) keeps its 60 components at the
//! top level; the deep one (`support/deep.rs`) keeps 206 four levels down,
//! `src/<Vendor>/Component/<Name>/`, as PHP framework monorepos do, and
//! its teams claim them by path pattern, sharing the root files.
//!
//! `cargo bench --bench apply` prints, for each monolith, for one team and
//! for five teams in one run, git-split's wall time, peak memory and CPU
//! time, and the ratios the issue sets as targets; then the same runs on a
//! copy of the monolith whose commit-graph has changed-path Bloom filters
//! (cached beside it as `bench-repos/<name>-bloom`), alternating with the
//! plain ones. filter-repo runs on a fresh bare clone each time (it
//! refuses to rewrite anything else); the clone is not counted. Set
//! `APPLY_BENCH_FILTER_REPO=0` to skip it (it takes about 9 s per team).
//!
//! The incremental case grows the monolith by 1% (new commits appended with
//! fast-import on a copy) and times a second apply of the five teams into
//! the output of the first, against a full run on the grown monolith.
//!
//! The monoliths are packed by git, as a clone is (see `Params::repack`). The
//! `fast-import` case runs the same comparison on the pack fast-import wrote
//! for the shallow monolith, before the repack: many more objects have a delta base in another team's
//! files there, which git-split must rebuild rather than copy.
//!
//! The `tags` case gives a copy of the monolith tags as real repositories
//! have them (5,000: lightweight, annotated, tags of tags, SSH-signed, on
//! merges and on commits a team drops) and times a first run against one
//! without tags, a rerun with nothing new, and a rerun after 1% more
//! commits.
//!
//! `cargo bench --bench apply -- full` (git's pack), `-- fast-import`,
//! `-- incremental` and `-- tags` choose cases, `-- shallow` and `-- deep`
//! monoliths; all run by default.
//! `APPLY_BENCH_KEEP=1` keeps the outputs, manifests and the grown monolith
//! for a profiler; `APPLY_BENCH_BIN=PATH` times another build of git-split.

#[path = "support/synth.rs"]
mod synth;

#[path = "support/deep.rs"]
mod deep;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use deep::{DeepParams, Team};
use synth::Params;

/// The shallow monolith's teams: each a few top-level directories.
const TEAMS: [(&str, &[&str]); 5] = [
    ("pay", &["svc-payment", "svc-checkout", "svc-invoice"]),
    ("course", &["svc-course", "svc-media", "svc-upload"]),
    ("growth", &["svc-analytics", "svc-email", "svc-notify"]),
    ("web", &["web"]),
    ("libs", &["libs", "go"]),
];

/// A monolith the bench runs on, with the teams of its manifest.
struct Monolith {
    /// What the headings call it.
    label: &'static str,
    repo: PathBuf,
    commits: usize,
    /// Patterns every team shares, and the same as `filter-repo --path`s.
    shared: (Vec<String>, Vec<String>),
    /// Five teams; the first alone is the one-team case.
    teams: Vec<Team>,
}

impl Monolith {
    fn shallow(s: &synth::Synth) -> Monolith {
        let teams = TEAMS
            .iter()
            .map(|(name, dirs)| Team {
                name: name.to_string(),
                patterns: dirs.iter().map(|d| d.to_string()).collect(),
                filter_paths: dirs.iter().map(|d| d.to_string()).collect(),
            })
            .collect();
        let label = "shallow (60 top-level components)";
        Monolith { label, repo: s.repo.clone(), commits: s.params.commits, shared: (vec![], vec![]), teams }
    }

    fn deep(d: &deep::Deep) -> Monolith {
        Monolith {
            label: "deep (206 components under src/<Vendor>/<Kind>/)",
            repo: d.repo.clone(),
            commits: d.params.commits,
            shared: deep::shared(),
            teams: deep::teams(&d.params),
        }
    }

    /// A manifest of the first `n` teams, in `dir`.
    fn manifest(&self, dir: &Path, n: usize) -> PathBuf {
        let quoted = |ps: &[String]| ps.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(", ");
        let mut y = String::from("version: 1\nmonolith: {refs: [main]}\n");
        if !self.shared.0.is_empty() {
            y.push_str(&format!("shared: {{paths: [{}]}}\n", quoted(&self.shared.0)));
        }
        y.push_str("teams:\n");
        for t in &self.teams[..n] {
            y.push_str(&format!("  {}: {{paths: [{}]}}\n", t.name, quoted(&t.patterns)));
        }
        let p = dir.join(format!("teams-{n}.yaml"));
        std::fs::write(&p, y).expect("write manifest");
        p
    }
}

/// Wall seconds and peak RSS (KiB) of a command, via GNU time.
fn timed(cmd: &mut Command) -> (f64, u64) {
    let (wall, kib, _) = timed_cpu(cmd);
    (wall, kib)
}

/// [`timed`], and the CPU seconds (user and system) the command took.
fn timed_cpu(cmd: &mut Command) -> (f64, u64, f64) {
    let out = cmd.output().expect("run");
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().rev().find(|l| l.starts_with("BENCH ")).expect("time output");
    let f: Vec<&str> = line.split(' ').collect();
    let secs = |s: &str| -> f64 { s.parse().expect("seconds") };
    (secs(f[1]), f[2].parse().expect("kib"), secs(f[3]) + secs(f[4]))
}

fn gnu_time() -> Command {
    let mut c = Command::new("/usr/bin/time");
    c.args(["-f", "BENCH %e %M %U %S"]);
    c
}

/// A copy of the cached monolith `repo` whose commit-graph has changed-path
/// Bloom filters (`git commit-graph write --reachable --changed-paths`),
/// cached beside it (`bench-repos/<name>-bloom`) and made once: the same
/// pack, so the two differ only by the filters.
fn with_changed_paths(repo: &Path) -> PathBuf {
    let cache = repo.parent().expect("a cache directory");
    let name = format!("{}-bloom", cache.file_name().expect("named").to_string_lossy());
    let dir = synth::cache_root().join(&name);
    let done = dir.join("filters-written");
    if done.is_file() {
        return dir.join("repo.git");
    }
    let tmp = synth::cache_root().join(format!(".tmp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).expect("a cache directory");
    let ok = Command::new("cp").arg("-a").arg(repo).arg(tmp.join("repo.git")).status();
    assert!(ok.expect("cp").success(), "copying {}", repo.display());
    let ok = synth::git()
        .arg("--git-dir")
        .arg(tmp.join("repo.git"))
        .args(["commit-graph", "write", "--reachable", "--changed-paths"])
        .status();
    assert!(ok.expect("commit-graph").success());
    std::fs::write(tmp.join("filters-written"), "").expect("marker");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&tmp, &dir).expect("into the cache");
    dir.join("repo.git")
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; other arguments choose the cases.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let ensure = |params: Params| match synth::ensure(&params) {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("generating the monolith: {e}");
            None
        }
    };
    let pick = |name: &str| {
        let monoliths = ["shallow", "deep"];
        !args.iter().any(|a| monoliths.contains(&a.as_str())) || args.iter().any(|a| a == name)
    };
    let cases = ["full", "fast-import", "incremental", "tags"];
    let want =
        |case: &str| !args.iter().any(|a| cases.contains(&a.as_str())) || args.iter().any(|a| a == case);
    let tmp = tempfile::tempdir().expect("tempdir");
    // Another build to time (an older one, to compare): `APPLY_BENCH_BIN`.
    let bin_var = std::env::var("APPLY_BENCH_BIN").ok();
    let bin = bin_var.as_deref().unwrap_or(env!("CARGO_BIN_EXE_git-split"));
    if pick("shallow") {
        let Some(s) = ensure(Params::long_history()) else { return ExitCode::FAILURE };
        let m = Monolith::shallow(&s);
        println!("== {}", m.label);
        let dir = tempfile::tempdir_in(tmp.path()).expect("tempdir").keep();
        if want("full") {
            let bloom = with_changed_paths(&m.repo);
            compare(&m, &m.repo, Some(&bloom), "packed by git (`git repack -a -d -F`)", &dir, bin);
        }
        if want("fast-import") {
            // The worst case for git-split: a blob's delta base is whatever blob
            // fast-import wrote before it, often another team's, so many more
            // objects are rebuilt instead of copied.
            let Some(raw) = ensure(Params { repack: false, ..Params::long_history() }) else {
                return ExitCode::FAILURE;
            };
            compare(&m, &raw.repo, None, "as fast-import packed it, not repacked", &dir, bin);
        }
        cases_after(&m, &dir, bin, &want);
    }
    if pick("deep") {
        let d = match deep::ensure(&DeepParams::standard()) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("generating the deep monolith: {e}");
                return ExitCode::FAILURE;
            }
        };
        let m = Monolith::deep(&d);
        println!("== {}", m.label);
        let dir = tempfile::tempdir_in(tmp.path()).expect("tempdir").keep();
        if want("full") {
            let bloom = with_changed_paths(&m.repo);
            compare(&m, &m.repo, Some(&bloom), "packed by git (`git repack -a -d -F`)", &dir, bin);
        }
        cases_after(&m, &dir, bin, &want);
    }
    if std::env::var_os("APPLY_BENCH_KEEP").is_some() {
        println!("  kept: {}", tmp.keep().display());
    }
    ExitCode::SUCCESS
}

/// The `incremental` and `tags` cases of `m`, when wanted.
fn cases_after(m: &Monolith, tmp: &Path, bin: &str, want: &dyn Fn(&str) -> bool) {
    if want("incremental") {
        incremental(m, tmp, bin);
    }
    if want("tags") {
        tags(m, tmp, bin);
    }
}

/// One team and five against `git rev-list --objects` and filter-repo, on
/// `repo`, a packing of the monolith `m`; also on `bloom`, the same with
/// changed-path Bloom filters, when given.
fn compare(m: &Monolith, repo: &Path, bloom: Option<&Path>, packing: &str, tmp: &Path, bin: &str) {
    println!("monolith: {} ({} commits), {packing}", repo.display(), m.commits);
    let rev_list = median(
        (0..3)
            .map(|_| {
                let t = Instant::now();
                let ok = synth::git()
                    .arg("--git-dir")
                    .arg(repo)
                    .args(["rev-list", "--objects", "main"])
                    .stdout(std::process::Stdio::null())
                    .status()
                    .expect("rev-list");
                assert!(ok.success());
                t.elapsed().as_secs_f64()
            })
            .collect(),
    );
    println!("  git rev-list --objects main                 {rev_list:7.2} s");
    let with_filter_repo = std::env::var("APPLY_BENCH_FILTER_REPO").map_or(true, |v| v != "0");
    let kept = tmp;
    let tmp = tempfile::tempdir_in(tmp).expect("tempdir");
    for n in [1, 5] {
        // Beside what `APPLY_BENCH_KEEP` keeps, for a profiler.
        let manifest = m.manifest(kept, n);
        // Runs without and with the filters alternate, so that a busy
        // machine slows both alike.
        let mut runs = Vec::new();
        let mut bloom_runs = Vec::new();
        let mut peak = 0;
        for k in 0..3 {
            let out = tmp.path().join(format!("out-{n}-{k}"));
            let (t, kib, cpu) = apply_timed(bin, repo, &manifest, &out);
            runs.push((t, cpu));
            peak = peak.max(kib);
            if let Some(bloom) = bloom {
                let out = tmp.path().join(format!("bloom-{n}-{k}"));
                let (t, _, cpu) = apply_timed(bin, bloom, &manifest, &out);
                bloom_runs.push((t, cpu));
            }
        }
        let ours = median(runs.iter().map(|r| r.0).collect());
        let cpu = median(runs.iter().map(|r| r.1).collect());
        println!(
            "  git-split apply, {n} team(s)                  {ours:7.2} s  peak {:.0} MiB, CPU {cpu:.2} s",
            peak as f64 / 1024.0
        );
        if n == 5 {
            println!("    vs rev-list --objects: {:.2}x (target <= 1x)", ours / rev_list);
        }
        let with_bloom = (!bloom_runs.is_empty()).then(|| median(bloom_runs.iter().map(|r| r.0).collect()));
        if let Some(t) = with_bloom {
            let bloom_cpu = median(bloom_runs.iter().map(|r| r.1).collect());
            println!("  git-split apply, {n} team(s), Bloom filters   {t:7.2} s  CPU {bloom_cpu:.2} s");
            println!(
                "    with / without filters: {:+.0}% wall, {:+.0}% CPU",
                100.0 * (t / ours - 1.0),
                100.0 * (bloom_cpu / cpu - 1.0)
            );
            if n == 5 {
                println!("    vs rev-list --objects: {:.2}x (target <= 1x)", t / rev_list);
            }
        }
        if with_filter_repo {
            let mut total = 0.0;
            for team in &m.teams[..n] {
                let clone = tmp.path().join(format!("fr-{n}-{}.git", team.name));
                let ok =
                    synth::git().args(["clone", "-q", "--bare", "--no-local"]).arg(repo).arg(&clone).status();
                assert!(ok.expect("clone").success());
                let mut c = gnu_time();
                c.args(["git", "-C"]).arg(&clone).args(["filter-repo", "--force", "--quiet"]);
                for p in team.filter_paths.iter().chain(&m.shared.1) {
                    c.args(["--path", p]);
                }
                total += timed(&mut c).0;
            }
            println!("  git filter-repo, {n} run(s)                   {total:7.2} s");
            let target = if n == 1 { 10.0 } else { 25.0 };
            println!("    ratio: {:.1}x (target >= {target}x)", total / ours);
            if let Some(t) = with_bloom {
                println!("    ratio with Bloom filters: {:.1}x (target >= {target}x)", total / t);
            }
        }
    }
}

/// `apply -q` of `repo` with `manifest` into `out`: wall seconds, peak KiB
/// and CPU seconds.
fn apply_timed(bin: &str, repo: &Path, manifest: &Path, out: &Path) -> (f64, u64, f64) {
    timed_cpu(
        gnu_time()
            .arg(bin)
            .arg("--repo")
            .arg(repo)
            .arg("--manifest")
            .arg(manifest)
            .args(["apply", "-q", "--out"])
            .arg(out),
    )
}

/// A rerun after 1% new commits, against a full run on the same history.
fn incremental(m: &Monolith, tmp: &Path, bin: &str) {
    let grown = tmp.join("grown.git");
    synth::grow(&m.repo, &grown, m.commits / 100, 7).expect("growing the monolith");
    let manifest = m.manifest(tmp, m.teams.len());
    let run = |repo: &Path, out: &Path| apply_timed(bin, repo, &manifest, out);
    let (mut inc, mut full, mut peak) = (Vec::new(), Vec::new(), 0);
    for k in 0..3 {
        let out = tmp.join(format!("inc-{k}"));
        run(&m.repo, &out);
        let (t, kib, _) = run(&grown, &out);
        inc.push(t);
        peak = peak.max(kib);
        let fresh = tmp.join(format!("full-{k}"));
        full.push(run(&grown, &fresh).0);
        for team in m.teams.iter().map(|t| &t.name) {
            let refs = |dir: &Path| {
                let out = synth::git()
                    .arg("--git-dir")
                    .arg(dir.join(format!("{team}.git")))
                    .args(["show-ref"])
                    .output()
                    .expect("show-ref");
                out.stdout
            };
            assert_eq!(refs(&out), refs(&fresh), "{team}: incremental and full runs differ");
        }
    }
    let (inc, full) = (median(inc), median(full));
    println!("  grown by {} commits (1%), 5 teams:", m.commits / 100);
    println!(
        "  git-split apply, incremental                {inc:7.2} s  peak {:.0} MiB",
        peak as f64 / 1024.0
    );
    println!("  git-split apply, full                       {full:7.2} s");
    println!("    incremental / full: {:.1}% (target <= 10%)", 100.0 * inc / full);
}

/// How many tags the `tags` case adds, and which share of them is of each kind.
const TAGS: usize = 5000;

/// Adds [`TAGS`] tags to the bare repository `repo` along `main`: every
/// twentieth a tag of another tag, every twentieth signed with an SSH key
/// (when `ssh-keygen` is there), the rest lightweight and annotated half
/// and half; merges get their share. Returns a line saying what was made.
fn add_tags(repo: &Path, tmp: &Path) -> String {
    let list = synth::git()
        .arg("--git-dir")
        .arg(repo)
        .args(["rev-list", "--parents", "main"])
        .output()
        .expect("rev-list");
    let lines = String::from_utf8(list.stdout).expect("hex");
    let commits: Vec<(&str, bool)> = lines.lines().map(|l| (&l[..40], l.split(' ').count() > 2)).collect();
    let step = (commits.len() / TAGS).max(1);
    let chosen: Vec<(&str, bool)> = commits.iter().step_by(step).take(TAGS).copied().collect();
    let key = tmp.join("signing-key");
    let signing = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f"])
        .arg(&key)
        .status()
        .is_ok_and(|s| s.success());
    // Lightweight and annotated tags in one fast-import stream.
    let mut stream = String::new();
    let (mut light, mut annotated, mut nested, mut signed, mut on_merges) = (0, 0, Vec::new(), Vec::new(), 0);
    for (i, &(commit, merge)) in chosen.iter().enumerate() {
        on_merges += usize::from(merge);
        match i % 20 {
            0 => nested.push((i, commit)),
            1 if signing => signed.push((i, commit)),
            k if k % 2 == 0 => {
                light += 1;
                stream.push_str(&format!("reset refs/tags/l{i}\nfrom {commit}\n\n"));
            }
            _ => {
                annotated += 1;
                let msg = format!("release {i}\n");
                stream.push_str(&format!(
                    "tag a{i}\nfrom {commit}\ntagger Rel <rel@example.com> {} +0000\ndata {}\n{msg}\n",
                    1_900_000_000 + i,
                    msg.len()
                ));
            }
        }
    }
    let mut fi = synth::git()
        .arg("--git-dir")
        .arg(repo)
        .args(["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("fast-import");
    std::io::Write::write_all(fi.stdin.as_mut().expect("stdin"), stream.as_bytes())
        .expect("feed fast-import");
    assert!(fi.wait().expect("fast-import").success());
    let tag = |args: &[&str], signing: bool| {
        let mut c = synth::git();
        c.arg("--git-dir").arg(repo).args(["-c", "user.name=Rel", "-c", "user.email=rel@example.com"]);
        c.args(["-c", "advice.nestedTag=false"]);
        if signing {
            c.args(["-c", "gpg.format=ssh", "-c"]).arg(format!("user.signingkey={}", key.display()));
        }
        let ok = c
            .args(["tag"])
            .args(args)
            .env("GIT_COMMITTER_DATE", "@1900000000 +0000")
            .status()
            .expect("git tag");
        assert!(ok.success(), "git tag {args:?}");
    };
    // A tag of an annotated tag, as release tooling makes them.
    for &(i, commit) in &nested {
        tag(&["-a", "-m", "inner", &format!("inner{i}"), commit], false);
        tag(&["-a", "-m", "outer", &format!("outer{i}"), &format!("inner{i}")], false);
    }
    for &(i, commit) in &signed {
        tag(&["-s", "-m", "signed", &format!("s{i}"), commit], true);
    }
    let total = light + annotated + 2 * nested.len() + signed.len();
    format!(
        "{total}: {light} lightweight, {annotated} annotated, {} tags of ({0} more) annotated tags, {} SSH-signed; {on_merges} on merges",
        nested.len(),
        signed.len()
    )
}

/// The `tags` case: first runs with and without tags, a rerun with nothing
/// new, and one after 1% more commits, five teams, medians of three.
fn tags(m: &Monolith, tmp: &Path, bin: &str) {
    let tagged = tmp.join("tagged.git");
    let copied =
        synth::git().args(["clone", "--bare", "--quiet", "--local"]).arg(&m.repo).arg(&tagged).status();
    assert!(copied.expect("git clone").success(), "copying the monolith");
    let made = add_tags(&tagged, tmp);
    let grown = tmp.join("tagged-grown.git");
    synth::grow(&tagged, &grown, m.commits / 100, 13).expect("growing the monolith");
    let manifest = m.manifest(tmp, m.teams.len());
    let run = |repo: &Path, out: &Path| apply_timed(bin, repo, &manifest, out).0;
    let (mut plain, mut first, mut rerun, mut inc, mut full) = (vec![], vec![], vec![], vec![], vec![]);
    for k in 0..3 {
        plain.push(run(&m.repo, &tmp.join(format!("tags-plain-{k}"))));
        let out = tmp.join(format!("tags-{k}"));
        first.push(run(&tagged, &out));
        rerun.push(run(&tagged, &out));
        inc.push(run(&grown, &out));
        full.push(run(&grown, &tmp.join(format!("tags-full-{k}"))));
    }
    let (plain, first, rerun, inc, full) =
        (median(plain), median(first), median(rerun), median(inc), median(full));
    println!("tags: {made}");
    println!("  git-split apply, 5 teams, no tags            {plain:7.2} s");
    println!("  git-split apply, 5 teams, with the tags      {first:7.2} s");
    println!("    with / without tags: {:+.0}% (target <= +15%)", 100.0 * (first / plain - 1.0));
    println!("  rerun, nothing new                           {rerun:7.2} s");
    println!("    rerun / first run: {:.1}% (target <= 5%)", 100.0 * rerun / first);
    println!("  rerun after {} more commits (1%)            {inc:7.2} s", m.commits / 100);
    println!("    incremental / full ({full:.2} s): {:.1}% (target <= 10%)", 100.0 * inc / full);
}
