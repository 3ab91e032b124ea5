//! `git-split check` on a 100k-file monolith with 20 teams.
//!
//! Times the release binary as CI runs it (`--format json`, output read in
//! full): a full check of `main`, and a `--since main` check of a pull
//! request that adds an owned file, adds an unowned one and renames a file
//! out of its team's directory. The pull request is committed with git
//! plumbing in a scratch repository that borrows the cached monolith's
//! objects through an alternate, so the cached repository is never written.
//! The library's own time for each is printed beside it.
//!
//! Run with `cargo bench --bench check` (the repository is generated on the
//! first run and cached under `target/bench-repos/`, shared with the other
//! benchmarks).

#[path = "support/synth.rs"]
mod synth;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use git_split::check::{self, Options};
use git_split::manifest::Manifest;
use git_split::odb::Repo;

/// A full check of 100k files, end to end.
const FULL_TARGET_SECS: f64 = 0.5;
/// A `--since` check of a small change, end to end.
const SINCE_TARGET_SECS: f64 = 0.1;
/// Timed runs of each measurement (after one untimed warm-up run).
const RUNS: usize = 11;
/// Teams in the generated manifest.
const TEAMS: usize = 20;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("check benchmark failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let params = synth::Params::default();
    let s = synth::ensure(&params)?;
    let manifest = s.write_manifest(TEAMS)?;
    if s.stats.files < 100_000 {
        return Err(format!("the generated tree has {} files, fewer than 100k", s.stats.files).into());
    }
    let scratch = tempfile::tempdir()?;
    let pr = pull_request(&s.repo, &scratch.path().join("pr.git"))?;

    let full_report = library(&s.repo, &manifest, None)?;
    let since_report = library(&pr.repo, &manifest, Some("main"))?;
    let full_lib = measure(|| library(&s.repo, &manifest, None).map(drop))?;
    let since_lib = measure(|| library(&pr.repo, &manifest, Some("main")).map(drop))?;
    let mut full_bytes = 0;
    let full_bin = measure(|| {
        full_bytes = binary(&s.repo, &manifest, &["--ref", "main"])?;
        Ok(())
    })?;
    let mut since_bytes = 0;
    let since_bin = measure(|| {
        since_bytes = binary(&pr.repo, &manifest, &["--ref", "pr", "--since", "main"])?;
        Ok(())
    })?;

    let origin =
        if s.cached { "cached".to_string() } else { format!("generated in {:.1} s", s.stats.seconds) };
    println!();
    println!("git-split check benchmark");
    println!("  repository  {} ({origin})", s.repo.display());
    println!("  tree        {} files; manifest {} teams ({})", s.stats.files, TEAMS, manifest.display());
    println!(
        "  full check  {} findings ({} errors, {} warnings)",
        full_report.findings.len(),
        full_report.errors,
        full_report.warnings
    );
    println!("  pull request {}: {}", &pr.commit[..12], pr.description);
    println!("  --since     {} findings: {}", since_report.findings.len(), kinds(&since_report));
    println!();
    println!("  {:<62} {:>9} {:>9}", format!("end to end ({RUNS} runs)"), "median", "min");
    let row = |label: &str, t: &Timing| println!("  {label:<62} {:>7.3} s {:>7.3} s", t.median, t.min);
    row(&format!("binary: check --format json ({} KiB out)", full_bytes / 1024), &full_bin);
    row("library: check::check", &full_lib);
    row(&format!("binary: check --since main --format json ({} B out)", since_bytes), &since_bin);
    row("library: check::check with since", &since_lib);
    println!();
    for (what, t, target) in [
        ("full check, binary", &full_bin, FULL_TARGET_SECS),
        ("--since check, binary", &since_bin, SINCE_TARGET_SECS),
    ] {
        let verdict = if t.median <= target { "met" } else { "NOT met" };
        println!("  target <= {target:.1} s ({what}, median {:.3} s): {verdict}", t.median);
    }
    Ok(())
}

fn kinds(r: &check::Report) -> String {
    r.findings
        .iter()
        .map(|f| format!("{:?} {}", f.kind, f.path.as_deref().or(f.pattern.as_deref()).unwrap_or("")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The check as a library caller makes it.
fn library(repo: &Path, manifest: &Path, since: Option<&str>) -> Result<check::Report> {
    let repo = Repo::open(repo)?;
    let manifest = Manifest::load(manifest)?;
    let rev = repo.resolve(if since.is_some() { "pr" } else { "main" })?;
    let opts = Options { since: since.map(str::to_string), ..Options::default() };
    Ok(check::check(&repo, &manifest, &rev, &opts)?)
}

/// Runs the release binary and returns how many bytes it printed; exit 1
/// (findings) is a normal outcome.
fn binary(repo: &Path, manifest: &Path, args: &[&str]) -> Result<usize> {
    let out = Command::new(env!("CARGO_BIN_EXE_git-split"))
        .arg("--repo")
        .arg(repo)
        .arg("--manifest")
        .arg(manifest)
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        .stdin(Stdio::null())
        .output()?;
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!(
            "git-split check failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(out.stdout.len())
}

/// The scratch repository holding the pull request.
struct PullRequest {
    repo: PathBuf,
    commit: String,
    description: String,
}

/// `git` on a bare repository, returning trimmed stdout.
fn git(repo: &Path, args: &[&str], env: &[(&str, &Path)], stdin: Option<&str>) -> Result<String> {
    let mut cmd = synth::git();
    cmd.arg("--git-dir").arg(repo).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .env("GIT_AUTHOR_DATE", "@1700000000 +0000")
        .env("GIT_COMMITTER_DATE", "@1700000000 +0000");
    let out = if let Some(input) = stdin {
        use std::io::Write;
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        child.stdin.take().expect("piped").write_all(input.as_bytes())?;
        child.wait_with_output()?
    } else {
        cmd.output()?
    };
    if !out.status.success() {
        return Err(format!("git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_string())
}

/// A bare repository borrowing `monolith`'s objects, with `main` and a
/// branch `pr` one commit ahead: a new file beside an owned one, a new file
/// in a new top-level directory, and a file renamed out of its directory.
fn pull_request(monolith: &Path, scratch: &Path) -> Result<PullRequest> {
    let status = synth::git().args(["init", "-q", "--bare"]).arg(scratch).status()?;
    if !status.success() {
        return Err("git init failed".into());
    }
    let objects = monolith.canonicalize()?.join("objects");
    std::fs::write(scratch.join("objects/info/alternates"), format!("{}\n", objects.display()))?;
    let main = git(monolith, &["rev-parse", "main"], &[], None)?;
    git(scratch, &["update-ref", "refs/heads/main", &main], &[], None)?;

    // Two files from the middle of the tree: one gets a sibling, one moves.
    let listing = git(scratch, &["ls-tree", "-r", "--name-only", "main"], &[], None)?;
    let java: Vec<&str> = listing.lines().filter(|p| p.ends_with(".java") && p.starts_with("svc-")).collect();
    let (sibling_of, moved) = (java[java.len() / 3], java[2 * java.len() / 3]);
    let new_owned = format!("{}/AddedInPr.java", sibling_of.rsplit_once('/').expect("a directory").0);
    let new_unowned = "scripts-pr/deploy.sh".to_string();
    let moved_to = format!("moved-out/{}", moved.rsplit('/').next().expect("a name"));

    let index = scratch.join("pr.index");
    let env: [(&str, &Path); 1] = [("GIT_INDEX_FILE", &index)];
    git(scratch, &["read-tree", "main"], &env, None)?;
    let blob = git(scratch, &["hash-object", "-w", "--stdin"], &[], Some("added in the pull request\n"))?;
    let moved_blob = git(scratch, &["rev-parse", &format!("main:{moved}")], &[], None)?;
    let info = format!(
        "100644 {blob}\t{new_owned}\n100644 {blob}\t{new_unowned}\n0 0000000000000000000000000000000000000000\t{moved}\n100644 {moved_blob}\t{moved_to}\n"
    );
    git(scratch, &["update-index", "--index-info"], &env, Some(&info))?;
    let tree = git(scratch, &["write-tree"], &env, None)?;
    let commit = git(scratch, &["commit-tree", &tree, "-p", &main, "-m", "A small pull request"], &[], None)?;
    git(scratch, &["update-ref", "refs/heads/pr", &commit], &[], None)?;
    Ok(PullRequest {
        repo: scratch.to_path_buf(),
        commit,
        description: format!("adds `{new_owned}` and `{new_unowned}`, renames `{moved}` to `{moved_to}`"),
    })
}

/// Median and minimum of the timed runs, in seconds.
struct Timing {
    median: f64,
    min: f64,
}

fn measure(mut f: impl FnMut() -> Result<()>) -> Result<Timing> {
    f()?;
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed());
    }
    let mut secs: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
    secs.sort_by(f64::total_cmp);
    Ok(Timing { median: secs[RUNS / 2], min: secs[0] })
}
