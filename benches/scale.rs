//! The guarantees of `apply` at scale: a synthetic monolith of 300k commits
//! and 100k files split for 50 teams.
//!
//! `cargo bench --bench scale` generates the monolith once (cached under
//! `target/bench-repos`; several minutes), then prints wall time and peak
//! memory (resident, and its anonymous part) of each step and fails on the first broken guarantee:
//!
//! 1. `apply` of all 50 teams; the monolith is byte-for-byte unchanged;
//! 2. `verify --out` re-derives every team's tip tree and sampled commits;
//! 3. `git fsck --full --strict` passes on every team repository;
//! 4. `apply --team T` alone gives the same ids, for three teams;
//! 5. after 1% more commits, an incremental apply gives the ids of a run
//!    from scratch.

#[path = "support/synth.rs"]
mod synth;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use synth::Params;

const TEAMS: usize = 50;

/// What a run cost: wall seconds, peak resident memory, and the peak of its
/// anonymous part (KiB). The monolith's packs are mapped files, resident
/// while read but page cache, not memory the process owns; the anonymous
/// peak is polled every 50 ms from `/proc`.
struct Cost {
    seconds: f64,
    peak_kib: u64,
    anon_kib: u64,
}

impl std::fmt::Display for Cost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:8.1} s  peak {:6.0} MiB (anonymous {:5.0} MiB)",
            self.seconds,
            self.peak_kib as f64 / 1024.0,
            self.anon_kib as f64 / 1024.0
        )
    }
}

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn timed(cmd: &mut Command) -> Cost {
    let start = std::time::Instant::now();
    let mut child =
        cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().expect("run");
    let pid = child.id();
    let (mut peak_kib, mut anon_kib) = (0, 0);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        peak_kib = peak_kib.max(status_kib(pid, "VmHWM:").unwrap_or(0));
        anon_kib = anon_kib.max(status_kib(pid, "RssAnon:").unwrap_or(0));
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().expect("piped"), &mut err).expect("stderr");
    assert!(status.success(), "{cmd:?}: {err}");
    Cost { seconds: start.elapsed().as_secs_f64(), peak_kib, anon_kib }
}

fn split(bin: &str, repo: &Path, manifest: &Path) -> Command {
    let mut c = Command::new(bin);
    c.arg("--repo").arg(repo).arg("--manifest").arg(manifest);
    c
}

fn git_out(repo: &Path, args: &[&str]) -> String {
    let out = synth::git().arg("--git-dir").arg(repo).args(args).output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Fifty teams over the components: services, and each package of the
/// directories that hold several (`libs/*`, `web/packages/*`, ...).
fn manifest(repo: &Path, dir: &Path) -> PathBuf {
    let mut units: Vec<String> = Vec::new();
    let mut dirs: Vec<String> =
        git_out(repo, &["ls-tree", "-d", "--name-only", "main"]).lines().map(String::from).collect();
    while let Some(d) = dirs.pop() {
        let subs: Vec<String> = git_out(repo, &["ls-tree", "-d", "--name-only", &format!("main:{d}")])
            .lines()
            .map(|s| format!("{d}/{s}"))
            .collect();
        // `web/packages/*`, `libs/*`: a package is a unit; a service is one.
        if d.starts_with('.') || d == "docs" || d.starts_with("svc-") || subs.is_empty() {
            units.push(d);
        } else if subs.len() < 4 && d.matches('/').count() == 0 {
            dirs.extend(subs);
        } else if subs.len() >= 4 {
            units.extend(subs);
        } else {
            units.push(d);
        }
    }
    units.sort();
    let mut groups: Vec<Vec<String>> = vec![Vec::new(); TEAMS];
    for (i, u) in units.into_iter().enumerate() {
        groups[i % TEAMS].push(u);
    }
    let mut y = String::from("version: 1\nmonolith: {refs: [main]}\nteams:\n");
    for (i, g) in groups.iter().enumerate() {
        y.push_str(&format!("  team-{i:02}: {{paths: [{}]}}\n", g.join(", ")));
    }
    let p = dir.join("scale.yaml");
    std::fs::write(&p, y).expect("write manifest");
    p
}

/// Every ref and every file's size and time under the monolith's git dir.
fn digest(repo: &Path) -> String {
    let mut lines = vec![git_out(repo, &["show-ref"])];
    let mut stack = vec![repo.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let m = e.metadata().expect("metadata");
            if m.is_dir() {
                stack.push(e.path());
            } else {
                lines.push(format!("{} {} {:?}", e.path().display(), m.len(), m.modified().ok()));
            }
        }
    }
    lines.sort();
    lines.join("\n")
}

fn refs_of(out: &Path, team: &str) -> String {
    git_out(&out.join(format!("{team}.git")), &["show-ref"])
}

fn main() -> ExitCode {
    let s = match synth::ensure(&Params::scale()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("generating the monolith: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "monolith: {} ({} commits, {} files; generated in {:.0} s)",
        s.repo.display(),
        s.stats.commits,
        s.stats.files,
        s.stats.seconds
    );
    let bin = env!("CARGO_BIN_EXE_git-split");
    // `cargo bench --bench scale -- incremental` times the runs only, to
    // look at the incremental one; SCALE_BENCH_KEEP=1 keeps the outputs
    // and the grown monolith for a profiler.
    let only_runs = std::env::args().skip(1).any(|a| a == "incremental");
    let tmp = tempfile::tempdir().expect("tempdir");
    let m = manifest(&s.repo, tmp.path());
    let out = tmp.path().join("out");
    let before = digest(&s.repo);

    let c = timed(split(bin, &s.repo, &m).args(["apply", "-q", "--out"]).arg(&out));
    println!("  apply, {TEAMS} teams                  {c}");
    assert_eq!(before, digest(&s.repo), "the monolith changed");

    if !only_runs {
        guarantees(bin, &s.repo, &m, tmp.path(), &out);
    }

    let grown = tmp.path().join("grown.git");
    synth::grow(&s.repo, &grown, s.params.commits / 100, 11).expect("growing the monolith");
    let c = timed(split(bin, &grown, &m).args(["apply", "-q", "--out"]).arg(&out));
    println!("  apply after 1% more commits         {c}");
    let fresh = tmp.path().join("fresh");
    let c = timed(split(bin, &grown, &m).args(["apply", "-q", "--out"]).arg(&fresh));
    println!("  apply from scratch, grown           {c}");
    for i in 0..TEAMS {
        let team = format!("team-{i:02}");
        if fresh.join(format!("{team}.git")).exists() {
            assert_eq!(refs_of(&out, &team), refs_of(&fresh, &team), "{team}: incremental differs");
        }
    }
    if only_runs {
        println!("  (verify, fsck and --team skipped)");
    } else {
        println!("  every guarantee held");
    }
    if std::env::var_os("SCALE_BENCH_KEEP").is_some() {
        println!("  kept: {}", tmp.keep().display());
    }
    ExitCode::SUCCESS
}

/// What the bench checks besides times: `verify`, `git fsck` on every team,
/// and `--team` alone giving the same ids.
fn guarantees(bin: &str, repo: &Path, m: &Path, tmp: &Path, out: &Path) {
    let c = timed(split(bin, repo, m).args(["verify", "--out"]).arg(out));
    println!("  verify --out                        {c}");

    let start = std::time::Instant::now();
    for i in 0..TEAMS {
        let team = out.join(format!("team-{i:02}.git"));
        if team.exists() {
            git_out(&team, &["fsck", "--full", "--strict", "--no-dangling"]);
        }
    }
    println!("  git fsck, every team                {:8.1} s", start.elapsed().as_secs_f64());

    for i in [0, 17, 42] {
        let team = format!("team-{i:02}");
        let alone = tmp.join(format!("alone-{i}"));
        let c = timed(split(bin, repo, m).args(["apply", "-q", "--team", &team, "--out"]).arg(&alone));
        assert_eq!(refs_of(&alone, &team), refs_of(out, &team), "{team}: --team alone gives other ids");
        println!("  apply --team {team}                {c}");
    }
}
