//! `apply` with `history: {follow_renames: true}` against the same run
//! without it, on the shallow 70k-commit monolith (`support/synth.rs`)
//! grown by one commit that moves files of another team into the `pay`
//! team's directories: as many as a tenth of `pay`'s files, each moved
//! once, with its whole history behind it.
//!
//! `cargo bench --bench follow` prints both wall times (median of three),
//! the ratio, peak memory, and what `plan --team pay` counts. The grown
//! monolith is a copy: the cached one is never written to.
//! `APPLY_BENCH_BIN=PATH` times another build of git-split.

#[path = "support/synth.rs"]
mod synth;

use std::path::Path;
use std::process::{Command, ExitCode};

use synth::Params;

/// The team timed, and its directories.
const PAY: [&str; 3] = ["svc-payment", "svc-checkout", "svc-invoice"];

/// Where the moved files come from: another team's directory.
const FROM: &str = "svc-course";

fn git(repo: &Path, args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write as _;
    let mut cmd = synth::git();
    cmd.arg("--git-dir").arg(repo).args(args);
    cmd.env("GIT_AUTHOR_DATE", "@1800000000 +0000").env("GIT_COMMITTER_DATE", "@1800000000 +0000");
    cmd.env("GIT_AUTHOR_NAME", "Bench").env("GIT_AUTHOR_EMAIL", "bench@example.com");
    cmd.env("GIT_COMMITTER_NAME", "Bench").env("GIT_COMMITTER_EMAIL", "bench@example.com");
    cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("git");
    if let Some(s) = stdin {
        child.stdin.take().expect("stdin").write_all(s.as_bytes()).expect("write");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("git");
    assert!(out.status.success(), "git {args:?} failed");
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Copies `repo` to `to` and commits on its `main` the move of a tenth of
/// `pay`'s files' count from [`FROM`] into `svc-payment/moved/`; returns
/// how many moved.
fn grow(repo: &Path, to: &Path) -> usize {
    let ok = Command::new("cp").arg("-a").arg(repo).arg(to).status().expect("cp");
    assert!(ok.success());
    let files = git(to, &["ls-tree", "-r", "main"], None);
    let pay = files.lines().filter(|l| PAY.iter().any(|d| l.contains(&format!("\t{d}/")))).count();
    let n = pay / 10;
    let index = to.join("bench-index");
    let with_index = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = synth::git();
        cmd.arg("--git-dir").arg(to).args(args).env("GIT_INDEX_FILE", &index);
        cmd.stdin(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("git");
        if let Some(s) = stdin {
            use std::io::Write as _;
            child.stdin.take().expect("stdin").write_all(s.as_bytes()).expect("write");
        }
        drop(child.stdin.take());
        assert!(child.wait().expect("git").success(), "git {args:?}");
    };
    with_index(&["read-tree", "main"], None);
    let mut info = String::new();
    for (k, line) in files.lines().filter(|l| l.contains(&format!("\t{FROM}/"))).take(n).enumerate() {
        let (meta, path) = line.split_once('\t').expect("ls-tree line");
        let f: Vec<&str> = meta.split(' ').collect();
        let name = path.rsplit('/').next().expect("a name");
        info.push_str(&format!("0 {}\t{path}\n", "0".repeat(40)));
        info.push_str(&format!("{} {}\tsvc-payment/moved/{k}-{name}\n", f[0], f[2]));
    }
    with_index(&["update-index", "--index-info"], Some(&info));
    let mut cmd = synth::git();
    let tree =
        cmd.arg("--git-dir").arg(to).arg("write-tree").env("GIT_INDEX_FILE", &index).output().expect("git");
    let tree = String::from_utf8(tree.stdout).expect("UTF-8");
    let head = git(to, &["rev-parse", "main"], None);
    let commit =
        git(to, &["commit-tree", tree.trim(), "-p", head.trim()], Some("move course files to payment\n"));
    git(to, &["update-ref", "refs/heads/main", commit.trim()], None);
    std::fs::remove_file(&index).expect("index");
    n
}

/// Wall seconds and peak RSS (KiB) of `apply --team pay`.
fn apply(bin: &str, repo: &Path, manifest: &Path, out: &Path) -> (f64, u64) {
    let _ = std::fs::remove_dir_all(out);
    let run = Command::new("/usr/bin/time")
        .args(["-f", "BENCH %e %M", bin, "--repo"])
        .arg(repo)
        .arg("--manifest")
        .arg(manifest)
        .args(["apply", "-q", "--team", "pay", "--out"])
        .arg(out)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    let line = err.lines().rev().find(|l| l.starts_with("BENCH ")).expect("time output");
    let f: Vec<&str> = line.split(' ').collect();
    (f[1].parse().expect("seconds"), f[2].parse().expect("kib"))
}

fn main() -> ExitCode {
    let s = match synth::ensure(&Params::long_history()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("generating the monolith: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bin_var = std::env::var("APPLY_BENCH_BIN").ok();
    let bin = bin_var.as_deref().unwrap_or(env!("CARGO_BIN_EXE_git-split"));
    let tmp = tempfile::tempdir().expect("tempdir");
    let grown = tmp.path().join("grown.git");
    let moved = grow(&s.repo, &grown);
    let paths = PAY.iter().map(|d| format!("\"{d}/**\"")).collect::<Vec<_>>().join(", ");
    let manifest = |follow: bool| {
        let p = tmp.path().join(format!("follow-{follow}.yaml"));
        let y = format!(
            "version: 1\nteams:\n  pay:\n    paths: [{paths}]\n    history: {{follow_renames: {follow}}}\n"
        );
        std::fs::write(&p, y).expect("manifest");
        p
    };
    let mut times = [Vec::new(), Vec::new()];
    let mut peak = [0, 0];
    for _ in 0..3 {
        for (k, follow) in [false, true].into_iter().enumerate() {
            let (t, kib) = apply(bin, &grown, &manifest(follow), &tmp.path().join("out"));
            times[k].push(t);
            peak[k] = peak[k].max(kib);
        }
    }
    let median = |xs: &mut Vec<f64>| {
        xs.sort_by(|a, b| a.total_cmp(b));
        xs[xs.len() / 2]
    };
    let (off, on) = (median(&mut times[0]), median(&mut times[1]));
    let plan = Command::new(bin)
        .arg("--repo")
        .arg(&grown)
        .arg("--manifest")
        .arg(manifest(true))
        .args(["plan", "--team", "pay", "--no-deps"])
        .output()
        .expect("plan");
    println!("== shallow monolith, {} commits, {moved} files moved into pay", s.params.commits + 1);
    println!("  apply --team pay, follow_renames off   {off:7.2} s  peak {:.0} MiB", peak[0] as f64 / 1024.0);
    println!("  apply --team pay, follow_renames on    {on:7.2} s  peak {:.0} MiB", peak[1] as f64 / 1024.0);
    println!("    on / off: {:.2}", on / off);
    for line in String::from_utf8_lossy(&plan.stdout).lines().filter(|l| l.contains("follows renames")) {
        println!("  plan:{line}");
    }
    ExitCode::SUCCESS
}
