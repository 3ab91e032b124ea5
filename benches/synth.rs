//! Times the synthetic-monolith generator and checks what it produced.
//!
//! `cargo bench --bench synth` generates (afresh, ignoring the cache) the
//! `plan` benchmark's 100k-file repository and the 70k-commit history, and
//! prints each one's generation time and shape as git sees it. Pass `plan`
//! or `history` to generate only one. Fresh repositories are cached for the
//! other benchmarks.

#[path = "support/synth.rs"]
mod synth;

use std::process::ExitCode;

use synth::{Params, Synth};

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; the other arguments choose presets.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let want = |name: &str| args.is_empty() || args.iter().any(|a| a == name);
    let mut presets = Vec::new();
    if want("plan") {
        presets.push(("plan (100k files)", Params::default()));
    }
    if want("history") {
        presets.push(("history (70k commits)", Params::long_history()));
    }
    for (label, params) in presets {
        match synth::generate(&params).and_then(|s| describe(label, &s)) {
            Ok(()) => {}
            Err(e) => {
                eprintln!("{label}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// Prints the generator's counts next to git's own, so a wrong stream shows.
fn describe(label: &str, s: &Synth) -> std::io::Result<()> {
    let git = |args: &[&str]| -> std::io::Result<String> {
        let out = synth::git().arg("--git-dir").arg(&s.repo).args(args).output()?;
        if !out.status.success() {
            return Err(std::io::Error::other(format!(
                "git {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let tree_files = git(&["ls-tree", "-r", "--name-only", "main"])?.lines().count();
    let commits = git(&["rev-list", "--count", "main"])?;
    let merges = git(&["rev-list", "--count", "--merges", "main"])?;
    let pack = git(&["count-objects", "-vH"])?;
    let pack_size = pack.lines().find_map(|l| l.strip_prefix("size-pack: ")).unwrap_or("?").to_string();
    let p = &s.params;
    println!("{label}: {}", s.repo.display());
    println!(
        "  params: components={} files={} commits={} merge_fraction={} seed={}",
        p.components, p.files, p.commits, p.merge_fraction, p.seed
    );
    println!("  generated in {:.2} s", s.stats.seconds);
    println!(
        "  generator: {} files ({:.1} MiB), {} commits, {} merges",
        s.stats.files,
        s.stats.bytes as f64 / (1 << 20) as f64,
        s.stats.commits,
        s.stats.merges
    );
    println!("  git: {tree_files} files in main, {commits} commits, {merges} merges, pack {pack_size}");
    if tree_files != s.stats.files
        || commits != s.stats.commits.to_string()
        || merges != s.stats.merges.to_string()
    {
        return Err(std::io::Error::other("git disagrees with the generator's counts"));
    }
    Ok(())
}
