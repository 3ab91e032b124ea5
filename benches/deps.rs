//! `git-split deps` on two synthetic trees: a polyglot monorepo of 100k
//! files (Go, TypeScript, Python, PHP, Rust) and a Symfony-like PHP
//! monorepo of 13k files (see `support/sources/` for their shapes).
//!
//! For each tree, `cargo bench --bench deps` runs the release binary as a
//! user would, `git-split --repo R --manifest M deps --format json` with
//! its output discarded: one warm-up run (whose JSON says what was read,
//! per language), then timed runs, median and minimum wall time and the
//! peak RSS over them (GNU time's `%M`). `plan` on the same tree is timed
//! for context: it runs the same analysis for its break summary. Then the
//! figures are set against the targets; a miss is printed as
//! `MISSED`, never a failure of the bench.
//!
//! `cargo bench --bench deps -- polyglot` or `-- php` runs one tree. Trees
//! are generated on the first run and cached under `target/bench-repos/`.

#[path = "support/sources/mod.rs"]
mod sources;
#[path = "support/synth.rs"]
mod synth;

use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use sources::{Params, Tree};

/// Timed runs of each command (after one untimed warm-up run).
const RUNS: usize = 5;
/// Peak memory of a `deps` run, at most.
const PEAK_TARGET_MIB: f64 = 500.0;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; other arguments choose the trees.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let want = |name: &str| args.is_empty() || args.iter().any(|a| a == name);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("git-split deps benchmark ({cpus} CPUs, {RUNS} timed runs after a warm-up)");
    let mut failed = false;
    for (params, target) in [(Params::polyglot(), 3.0), (Params::php(), 1.0)] {
        if !want(params.name()) {
            continue;
        }
        if let Err(e) = bench(&params, target) {
            eprintln!("{} tree: {e}", params.name());
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Generates (or finds) the tree of `params`, then measures and reports.
fn bench(params: &Params, target_secs: f64) -> Result<()> {
    let tree = sources::ensure(params)?;
    describe(&tree);
    let deps_args = ["deps", "--format", "json"];
    let report = warm_up(&tree, &deps_args)?;
    print_languages(&report, &tree);
    let deps = measure(&tree, &deps_args)?;
    let plan = measure(&tree, &["plan", "--format", "json"])?;

    println!();
    println!("  {:<34} {:>9} {:>9} {:>10}   target", "command", "median", "min", "peak RSS");
    let row = |label: &str, m: &Measure, target: &str| {
        println!("  {label:<34} {:>7.3} s {:>7.3} s {:>6.0} MiB   {target}", m.median, m.min, m.peak_mib);
    };
    row(
        "git-split deps --format json",
        &deps,
        &verdict(deps.median <= target_secs, &format!("<= {target_secs:.1} s")),
    );
    row("git-split plan --format json", &plan, "(context: plan reads the same references)");
    let source_mib: f64 = tree.stats.sources.values().map(|&(_, b)| b as f64).sum::<f64>() / MIB;
    println!("  deps reads {:.0} MiB of source per second (median run)", source_mib / deps.median);
    let peak = deps.peak_mib.max(plan.peak_mib);
    println!(
        "  peak memory {peak:.0} MiB: {}",
        verdict(peak <= PEAK_TARGET_MIB, &format!("<= {PEAK_TARGET_MIB:.0} MiB"))
    );
    Ok(())
}

const MIB: f64 = (1 << 20) as f64;

fn verdict(met: bool, target: &str) -> String {
    format!("{target}: {}", if met { "met" } else { "MISSED" })
}

/// Prints what the tree holds.
fn describe(tree: &Tree) {
    let s = &tree.stats;
    let origin = if tree.cached { "cached".to_string() } else { format!("generated in {:.1} s", s.seconds) };
    println!();
    println!("{} tree: {} ({origin})", tree.params.name(), tree.repo.display());
    println!(
        "  {} files, {:.1} MiB (pack {:.1} MiB); {} components, {} teams ({})",
        s.files,
        s.bytes as f64 / MIB,
        s.pack_bytes as f64 / MIB,
        s.components,
        s.teams,
        tree.manifest.display()
    );
    let sources: u64 = s.sources.values().map(|&(n, _)| n).sum();
    let by_lang: Vec<String> =
        s.sources.iter().map(|(l, &(n, b))| format!("{l} {n} ({:.1} MiB)", b as f64 / MIB)).collect();
    println!(
        "  source files: {sources} ({:.0}% of files): {}; {} over the size deps reads",
        100.0 * sources as f64 / s.files as f64,
        by_lang.join(", "),
        s.oversized
    );
}

/// The binary, on `tree`, with `args` after the global options.
fn git_split(tree: &Tree, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_git-split"));
    c.arg("--repo").arg(&tree.repo).arg("--manifest").arg(&tree.manifest).args(args).stdin(Stdio::null());
    c
}

/// One untimed run, warming the page cache; its JSON output, parsed.
fn warm_up(tree: &Tree, args: &[&str]) -> Result<serde_json::Value> {
    let out = git_split(tree, args).output()?;
    if !out.status.success() {
        return Err(format!(
            "git-split {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// What each language's reader made of the tree, and the breaks found.
fn print_languages(report: &serde_json::Value, tree: &Tree) {
    let n = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_u64()).unwrap_or(0);
    println!();
    println!(
        "  {:<11} {:>8} {:>8} {:>11} {:>9} {:>9} {:>11}",
        "language", "files", "skipped", "references", "resolved", "external", "unresolved"
    );
    let languages = report.get("languages").and_then(|l| l.as_array()).cloned().unwrap_or_default();
    if languages.is_empty() {
        println!("  (no source file read: are the language readers in?)");
    }
    for l in &languages {
        println!(
            "  {:<11} {:>8} {:>8} {:>11} {:>9} {:>9} {:>11}",
            l.get("language").and_then(|x| x.as_str()).unwrap_or("?"),
            n(l, "files"),
            n(l, "skipped"),
            n(l, "references"),
            n(l, "resolved"),
            n(l, "external"),
            n(l, "unresolved")
        );
    }
    for l in &languages {
        let examples = l.get("examples").and_then(|x| x.as_array()).cloned().unwrap_or_default();
        for e in examples.iter().take(2).filter_map(|e| e.as_str()) {
            println!("    unresolved {}: {e}", l.get("language").and_then(|x| x.as_str()).unwrap_or("?"));
        }
    }
    let teams = report.get("teams").and_then(|t| t.as_array()).cloned().unwrap_or_default();
    let breaking: u64 = teams.iter().map(|t| n(t, "references")).sum();
    let extract = report.get("duplicate_or_extract").and_then(|d| d.as_array()).map_or(0, Vec::len);
    println!(
        "  {breaking} references break across {} teams' splits; {extract} duplicate-or-extract targets (manifest: {} teams)",
        teams.len(),
        tree.stats.teams
    );
}

/// Median and minimum wall time of the timed runs, and their peak RSS.
struct Measure {
    median: f64,
    min: f64,
    peak_mib: f64,
}

/// One warm-up and [`RUNS`] timed runs of the binary, output discarded.
fn measure(tree: &Tree, args: &[&str]) -> Result<Measure> {
    timed(tree, args)?;
    let mut secs = Vec::with_capacity(RUNS);
    let mut peak_kib = 0;
    for _ in 0..RUNS {
        let (s, kib) = timed(tree, args)?;
        secs.push(s);
        peak_kib = peak_kib.max(kib);
    }
    secs.sort_by(f64::total_cmp);
    Ok(Measure { median: secs[RUNS / 2], min: secs[0], peak_mib: peak_kib as f64 / 1024.0 })
}

/// Wall seconds and peak RSS (KiB) of one run. GNU time reports the RSS;
/// the wall time is taken here, as its `%e` has only centiseconds.
fn timed(tree: &Tree, args: &[&str]) -> Result<(f64, u64)> {
    let inner = git_split(tree, args);
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "BENCH %M"]).arg(inner.get_program()).args(inner.get_args());
    let start = Instant::now();
    let out = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).output()?;
    let secs = start.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("git-split {} failed ({}): {err}", args.join(" "), out.status).into());
    }
    let kib = err
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("BENCH "))
        .and_then(|k| k.trim().parse().ok())
        .ok_or("no GNU time output")?;
    Ok((secs, kib))
}
