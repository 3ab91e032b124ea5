//! `git-split plan` on a 100k-file monolith with 20 teams.
//!
//! Measures the plan end to end twice: in-process through the library (open
//! the repository, load the manifest, `Snapshot::load`, `plan::compute` for
//! every team) and as the release binary (`git-split plan --format json`, a
//! subprocess whose output is read in full). Then times each library step on
//! its own, so a miss of the target says where the time went.
//!
//! Run with `cargo bench --bench plan` (the release profile; the repository
//! is generated on the first run and cached under `target/bench-repos/`).

#[path = "support/synth.rs"]
mod synth;

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use git_split::manifest::Manifest;
use git_split::odb::Repo;
use git_split::ownership::packages::PackageIndex;
use git_split::ownership::{Ownership, TreeFiles};
use git_split::plan::{self, Plan, Snapshot};

/// What `plan` should take on this repository, end to end.
const TARGET_SECS: f64 = 0.3;
/// Timed runs of each measurement (after one untimed warm-up run).
const RUNS: usize = 10;
/// Teams in the generated manifest.
const TEAMS: usize = 20;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("plan benchmark failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let params = synth::Params::default();
    let s = synth::ensure(&params)?;
    let manifest_path = s.write_manifest(TEAMS)?;
    if s.stats.files < 100_000 {
        return Err(format!("the generated tree has {} files, fewer than 100k", s.stats.files).into());
    }

    // Warm the OS page cache and check the inputs before timing anything.
    let plan = library_plan(&s.repo, &manifest_path)?;
    let manifest = Manifest::load(&manifest_path)?;
    let patterns: usize = manifest.teams.iter().map(|t| t.rule.paths.len() + t.rule.exclude.len()).sum();
    let packages: usize = manifest.teams.iter().map(|t| t.rule.packages.len()).sum();

    let library = measure(|| library_plan(&s.repo, &manifest_path).map(drop))?;
    let mut json_bytes = 0;
    let binary = measure(|| {
        json_bytes = binary_plan(&s.repo, &manifest_path)?;
        Ok(())
    })?;
    let steps = breakdown(&s.repo, &manifest_path)?;

    let origin =
        if s.cached { "cached".to_string() } else { format!("generated in {:.1} s", s.stats.seconds) };
    println!();
    println!("git-split plan benchmark");
    println!("  repository  {} ({origin})", s.repo.display());
    println!(
        "  tree        {} files, {:.1} MiB; {} commits ({} merges)",
        plan.total.files,
        plan.total.bytes as f64 / (1 << 20) as f64,
        s.stats.commits,
        s.stats.merges
    );
    println!(
        "  manifest    {} teams, {patterns} path/exclude patterns, {packages} packages ({})",
        manifest.teams.len(),
        manifest_path.display()
    );
    println!(
        "  plan        {} unowned, {} overlaps, {} stale patterns, {} skipped manifests",
        plan.unowned.len(),
        plan.overlaps.len(),
        plan.stale_patterns.len(),
        plan.skipped_manifests.len()
    );
    println!();
    println!("  {:<58} {:>9} {:>9}", format!("end to end ({RUNS} runs)"), "median", "min");
    let row = |label: &str, t: &Timing| println!("  {label:<58} {:>7.3} s {:>7.3} s", t.median, t.min);
    row("library: open, manifest, Snapshot::load, compute", &library);
    row(&format!("binary: git-split plan --format json ({} KiB out)", json_bytes / 1024), &binary);
    println!();
    println!("  {:<58} {:>9} {:>9}", format!("library steps (median of {RUNS})"), "seconds", "share");
    for (label, secs) in &steps {
        println!("  {label:<58} {secs:>7.3} s {:>8.1}%", 100.0 * secs / library.median);
    }
    println!("  (steps run one after another here; where Snapshot::load overlaps them,");
    println!("  the shares add up to more than 100%)");
    println!();
    for (what, t) in [("binary", &binary), ("library", &library)] {
        let verdict = if t.median <= TARGET_SECS { "met" } else { "NOT met" };
        println!("  target <= {TARGET_SECS:.1} s ({what}, median {:.3} s): {verdict}", t.median);
    }
    Ok(())
}

/// The plan as a library caller makes it, from paths to a [`Plan`].
fn library_plan(repo: &Path, manifest: &Path) -> Result<Plan> {
    let repo = Repo::open(repo)?;
    let manifest = Manifest::load(manifest)?;
    let rev = repo.resolve("main")?;
    let snap = Snapshot::load(&repo, &manifest, rev)?;
    let teams = plan::select_teams(&manifest, &[])?;
    Ok(plan::compute(&manifest, &snap, &teams))
}

/// Runs the release binary as a user would and returns how many bytes of
/// JSON it printed (read in full, as a consumer would).
fn binary_plan(repo: &Path, manifest: &Path) -> Result<usize> {
    let out = Command::new(env!("CARGO_BIN_EXE_git-split"))
        .arg("--repo")
        .arg(repo)
        .arg("--manifest")
        .arg(manifest)
        .args(["plan", "--format", "json"])
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "git-split plan failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(out.stdout.len())
}

/// Median and minimum of the timed runs, in seconds.
struct Timing {
    median: f64,
    min: f64,
}

fn measure(mut f: impl FnMut() -> Result<()>) -> Result<Timing> {
    f()?;
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed());
    }
    let secs = secs_sorted(times);
    Ok(Timing { median: median(&secs), min: secs[0] })
}

fn secs_sorted(times: Vec<Duration>) -> Vec<f64> {
    let mut secs: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
    secs.sort_by(f64::total_cmp);
    secs
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Times each step of the library path separately (median of [`RUNS`]).
///
/// The top-level lines add up to the library's end-to-end time as long as
/// `Snapshot::load` runs its parts one after another. It is split into listing the tree, indexing the listing for
/// package resolution and compiling the ownership rules (which resolves
/// packages); `plan::compute` into owner assignment, the whole-tree findings
/// (compute for no team, minus assignment) and the team work (compute
/// for all teams minus compute for none). JSON printing and building every
/// package table are shown for reference, outside that sum.
fn breakdown(repo_path: &Path, manifest_path: &Path) -> Result<Vec<(String, f64)>> {
    let mut runs: Vec<Steps> = Vec::with_capacity(RUNS);
    for run in 0..=RUNS {
        let mut t = Laps::start();
        let repo = Repo::open(repo_path)?;
        let manifest = Manifest::load(manifest_path)?;
        let rev = repo.resolve("main")?;
        let open = t.lap();
        let listing = repo.list_tree(rev.tree)?;
        let list_tree = t.lap();
        let files = TreeFiles::new(&repo, &listing);
        let index = t.lap();
        let ownership = Ownership::new(&manifest, &files)?;
        let compile = t.lap();
        PackageIndex::new(&files).build_all()?;
        let all_tables = t.lap();
        drop(files);
        drop(ownership.assign(&listing));
        let assign = t.lap();
        let snap = Snapshot { rev, listing, ownership, missing_blobs: Vec::new() };
        let teams = plan::select_teams(&manifest, &[])?;
        t.lap();
        drop(plan::compute(&manifest, &snap, &[]));
        let compute_none = t.lap();
        let plan = plan::compute(&manifest, &snap, &teams);
        let compute_all = t.lap();
        let mut sink = Vec::new();
        serde_json::to_writer_pretty(&mut sink, &plan)?;
        let json = t.lap();
        // The first run only warms up.
        if run > 0 {
            runs.push(Steps {
                open,
                list_tree,
                index,
                compile,
                assign,
                findings: compute_none.saturating_sub(assign),
                teams: compute_all.saturating_sub(compute_none),
                compute_all,
                json,
                all_tables,
            });
        }
    }
    let med = |f: fn(&Steps) -> Duration| median(&secs_sorted(runs.iter().map(f).collect()));
    Ok(vec![
        ("open repository, load manifest, resolve ref".into(), med(|s| s.open)),
        ("Snapshot::load: Repo::list_tree".into(), med(|s| s.list_tree)),
        ("Snapshot::load: TreeFiles::new (path index)".into(), med(|s| s.index)),
        ("Snapshot::load: Ownership::new (rules, packages)".into(), med(|s| s.compile)),
        (format!("plan::compute, all {TEAMS} teams"), med(|s| s.compute_all)),
        ("  of which Ownership::assign".into(), med(|s| s.assign)),
        ("  of which totals, unowned, overlaps, stale".into(), med(|s| s.findings)),
        ("  of which team work (all teams - no team)".into(), med(|s| s.teams)),
        ("    per team".into(), med(|s| s.teams) / TEAMS as f64),
        ("(ref.) serde_json::to_writer_pretty, as the binary".into(), med(|s| s.json)),
        ("(ref.) PackageIndex::build_all, every package table".into(), med(|s| s.all_tables)),
    ])
}

/// One breakdown run's step times.
struct Steps {
    open: Duration,
    list_tree: Duration,
    index: Duration,
    compile: Duration,
    assign: Duration,
    findings: Duration,
    teams: Duration,
    compute_all: Duration,
    json: Duration,
    all_tables: Duration,
}

/// Consecutive lap times.
struct Laps {
    last: Instant,
}

impl Laps {
    fn start() -> Laps {
        Laps { last: Instant::now() }
    }

    /// The time since the previous lap (or the start); starts the next.
    fn lap(&mut self) -> Duration {
        let now = Instant::now();
        let lap = now - self.last;
        self.last = now;
        lap
    }
}
