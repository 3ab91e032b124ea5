//! `git-split plan --format html` on the 100k-file polyglot tree of the
//! `deps` bench (see `support/sources/`): how long the page takes to write,
//! how big it is, and how long headless Chromium takes to show its first
//! interactive view (from navigation to the page's `ready` mark, as
//! tests/browser/plan_page.mjs reports it). Also writes a screenshot of the
//! first view to `target/plan-page-100k.png`.
//!
//! Needs what the browser test needs (Debian's `chromium`, and
//! tests/browser's `npm ci`; `bash .ci/test` installs both). Run with
//! `cargo bench --bench plan_page`; a missed target prints `MISSED`.

// Shared with the deps bench, which uses all of it (the PHP tree too).
#[allow(dead_code)]
#[path = "support/sources/mod.rs"]
mod sources;
#[path = "support/synth.rs"]
mod synth;

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use sources::Params;

/// Timed runs of each measurement (after one untimed warm-up run).
const RUNS: usize = 5;
/// The page for 100k files, at most.
const SIZE_TARGET_MIB: f64 = 10.0;
/// The first interactive view, at most.
const READY_TARGET_SECS: f64 = 2.0;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("plan page benchmark failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let tree = sources::ensure(&Params::polyglot())?;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("git-split plan --format html benchmark ({cpus} CPUs, {RUNS} timed runs after a warm-up)");
    println!("  tree: {} files, {} teams ({})", tree.stats.files, tree.stats.teams, tree.repo.display());
    let out = tempfile::tempdir()?;
    let page = out.path().join("plan.html");
    let write = |extra: &[&str]| -> Result<f64> {
        let started = Instant::now();
        let status = Command::new(env!("CARGO_BIN_EXE_git-split"))
            .arg("--repo")
            .arg(&tree.repo)
            .arg("--manifest")
            .arg(&tree.manifest)
            .args(["plan", "--format", "html", "--output"])
            .arg(&page)
            .args(extra)
            .stdin(Stdio::null())
            .status()?;
        if !status.success() {
            return Err(format!("git-split plan --format html {} failed: {status}", extra.join(" ")).into());
        }
        Ok(started.elapsed().as_secs_f64())
    };
    let no_deps = median(|| write(&["--no-deps"]))?;
    let with_deps = median(|| write(&[]))?;
    let bytes = std::fs::metadata(&page)?.len() as f64 / (1 << 20) as f64;
    let shot = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/plan-page-100k.png");
    let ready = median(|| open(&page, &shot))?;

    println!();
    println!("  {:<44} {:>9}   target", "measure", "median");
    println!("  {:<44} {:>7.3} s", "write the page, --no-deps", no_deps);
    println!("  {:<44} {:>7.3} s   (reads every source file for the graph)", "write the page", with_deps);
    println!("  {:<44} {:>5.1} MiB   {}", "page size", bytes, verdict(bytes <= SIZE_TARGET_MIB, "<= 10 MiB"));
    println!(
        "  {:<44} {:>7.3} s   {}",
        "first interactive view in headless Chromium",
        ready,
        verdict(ready <= READY_TARGET_SECS, "<= 2 s")
    );
    println!("  screenshot: {}", shot.display());
    Ok(())
}

/// Opens the page in headless Chromium; seconds to its first interactive view.
fn open(page: &Path, shot: &Path) -> Result<f64> {
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/plan_page.mjs");
    let out = Command::new("node").arg(driver).arg(page).arg("--screenshot").arg(shot).output()?;
    if !out.status.success() {
        return Err(format!("plan_page.mjs failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    for key in ["requests", "blocked", "errors"] {
        if seen[key].as_array().is_some_and(|a| !a.is_empty()) {
            return Err(format!("the page {key}: {}", seen[key]).into());
        }
    }
    let ms = seen["ready_ms"].as_f64().ok_or("plan_page.mjs reported no ready_ms")?;
    Ok(ms / 1000.0)
}

/// The median of [`RUNS`] timed runs after one untimed warm-up.
fn median(mut f: impl FnMut() -> Result<f64>) -> Result<f64> {
    f()?;
    let mut runs = (0..RUNS).map(|_| f()).collect::<Result<Vec<f64>>>()?;
    runs.sort_by(f64::total_cmp);
    Ok(runs[RUNS / 2])
}

fn verdict(met: bool, target: &str) -> String {
    format!("{target}: {}", if met { "met" } else { "MISSED" })
}
