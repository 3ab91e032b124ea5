//! Ten `compat: subtree` splits in one `git-split apply` against ten
//! `git subtree split` runs, on a synthetic monolith.
//!
//! git subtree is a shell script that forks several git processes per
//! commit, so the history is kept small: `COMPAT_BENCH_COMMITS` commits
//! (default 2000) over a few thousand files. The ten directories are the
//! ten largest components. Each split tip git subtree prints is compared
//! with the team's `main` (they must be equal); the figures are measured,
//! nothing is extrapolated.
//!
//! Run with `cargo bench --bench compat` (release build; the repository is
//! generated on the first run and cached under `target/bench-repos/`).
//! `COMPAT_BENCH_SUBTREE=0` times git-split alone (for long histories,
//! where ten git subtree runs would take hours).

#[path = "support/synth.rs"]
mod synth;

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Directories split.
const DIRS: usize = 10;
/// Timed `git-split apply` runs (git subtree runs once: it is slow).
const RUNS: usize = 3;
/// The git that ships `git subtree`.
const SUBTREE_GIT: &str = "/usr/bin/git";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compat benchmark failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let commits = std::env::var("COMPAT_BENCH_COMMITS").ok().map(|c| c.parse()).transpose()?.unwrap_or(2000);
    let params =
        synth::Params { components: 30, files: 3000, commits, merge_fraction: 0.1, seed: 5, repack: false };
    let s = synth::ensure(&params)?;
    let mut comps = synth::components(&params);
    comps.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.root.cmp(&b.root)));
    let dirs: Vec<String> =
        comps.iter().take(DIRS).map(|c| c.root.trim_end_matches('/').to_string()).collect();

    let tmp = tempfile::tempdir()?;
    let mut yaml = String::from("version: 1\nmonolith:\n  refs: [main]\nteams:\n");
    for (i, d) in dirs.iter().enumerate() {
        yaml.push_str(&format!("  t{i}:\n    paths: [\"{d}\"]\n    root: \"{d}\"\n    compat: subtree\n"));
    }
    yaml.push_str("policy: {unowned: allow, overlap: allow}\n");
    let manifest = tmp.path().join("ownership.yaml");
    std::fs::write(&manifest, yaml)?;

    // git-split: one run, ten teams, from scratch; the median of a few runs.
    let mut times = Vec::new();
    for run in 0..RUNS {
        let out = tmp.path().join(format!("out{run}"));
        let start = Instant::now();
        let st = Command::new(env!("CARGO_BIN_EXE_git-split"))
            .arg("--repo")
            .arg(&s.repo)
            .arg("--manifest")
            .arg(&manifest)
            .args(["apply", "-q", "--out"])
            .arg(&out)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdout(std::process::Stdio::null())
            .status()?;
        times.push(start.elapsed().as_secs_f64());
        if !st.success() {
            return Err(format!("git-split apply failed: {st}").into());
        }
    }
    times.sort_by(f64::total_cmp);
    let ours = times[RUNS / 2];
    let out = tmp.path().join("out0");
    println!();
    println!("compat: subtree benchmark");
    println!(
        "  repository   {} ({} commits, {} merges, {} files)",
        s.repo.display(),
        s.stats.commits,
        s.stats.merges,
        s.stats.files
    );
    println!("  directories  {}", dirs.join(", "));
    println!("  git-split    {ours:8.2} s  one apply, {DIRS} compat teams (median of {RUNS}: {times:.2?})");
    if std::env::var("COMPAT_BENCH_SUBTREE").is_ok_and(|v| v == "0") {
        return Ok(());
    }

    // git subtree needs a work tree holding the prefix: a shared clone.
    let work = tmp.path().join("work");
    let st =
        synth::git().args(["clone", "-q", "--shared", "--no-checkout"]).arg(&s.repo).arg(&work).status()?;
    if !st.success() {
        return Err("git clone failed".into());
    }
    let mut theirs = 0.0;
    let mut mismatches = Vec::new();
    for (i, d) in dirs.iter().enumerate() {
        std::fs::create_dir_all(work.join(d))?;
        let start = Instant::now();
        let o = Command::new(SUBTREE_GIT)
            .args(["subtree", "split", "-q", &format!("--prefix={d}"), "origin/main"])
            .current_dir(&work)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", tmp.path())
            .output()?;
        theirs += start.elapsed().as_secs_f64();
        if !o.status.success() {
            return Err(format!("git subtree split {d}: {}", String::from_utf8_lossy(&o.stderr)).into());
        }
        let tip = String::from_utf8(o.stdout)?.trim().to_string();
        let mine = rev_parse(&out.join(format!("t{i}.git")), "main")?;
        if tip != mine {
            mismatches.push(format!("{d}: git subtree {tip}, git-split {mine}"));
        }
    }

    println!("  git subtree  {theirs:8.2} s  {DIRS} runs of `git subtree split`");
    println!("  ratio        {:8.1}x", theirs / ours);
    if !mismatches.is_empty() {
        return Err(format!("split tips differ:\n  {}", mismatches.join("\n  ")).into());
    }
    println!("  all {DIRS} split tips equal git subtree's");
    Ok(())
}

fn rev_parse(repo: &Path, rev: &str) -> Result<String> {
    let o = synth::git().arg("--git-dir").arg(repo).args(["rev-parse", rev]).output()?;
    Ok(String::from_utf8(o.stdout)?.trim().to_string())
}
