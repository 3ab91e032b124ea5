//! A deterministic synthetic monolith for benchmarks.
//!
//! [`ensure`] returns a bare repository shaped like a company monolith:
//! Gradle services (`svc-<name>/src/main/java/com/acme/<name>/...`), npm
//! packages (`web/packages/<name>`, named `@acme/<name>`), Cargo crates
//! (`libs/<name>`), Go modules (`go/<name>`), root build files, docs, CI
//! workflows, executables and a few symlinks. Its history starts with one
//! commit holding the bulk of the tree; every later commit adds, modifies,
//! deletes or renames a few files, mostly inside one component, and a share
//! of the commits are merges of topic branches (some spanning components).
//!
//! The repository is written as a `git fast-import` stream, so generation
//! costs about what fast-import takes to compress and deltify the objects;
//! then a commit-graph is written, as `git gc` keeps one in a looked-after
//! repository. With [`Params::repack`] the pack is then rewritten by
//! `git repack`, as a clone or a server's maintenance would (see there).
//! Everything derives from [`Params`] through a small built-in PRNG: the
//! same parameters give the same commit ids on any machine. Repositories are
//! cached under `target/bench-repos/<params-hash>/` (built in a temporary
//! directory, then renamed into place) and reused by later runs.
//! [`Synth::write_manifest`] writes an `ownership.yaml` for the repository
//! with any number of teams.
//!
//! This file holds the parameters, the cache and the manifest; `tree`
//! what the tree holds, `history` the commit generator.

// Each bench target uses a different part of this module.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

#[path = "synth/history.rs"]
mod history;
#[path = "synth/tree.rs"]
mod tree;

pub(crate) use history::*;
pub(crate) use tree::*;

/// Bumped whenever the output for given [`Params`] changes, so that cached
/// repositories made by an older generator are not reused.
pub const GENERATOR_VERSION: u32 = 4;

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Components: services, web packages, crates and Go modules.
    pub components: usize,
    /// Files in the tree of `main` at the end (met to within a few files).
    pub files: usize,
    /// Commits reachable from `main`: the initial one, topic-branch commits
    /// and merges included.
    pub commits: usize,
    /// About this fraction of the commits are merges of a topic branch.
    pub merge_fraction: f64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Repack with `git repack -a -d -F` after fast-import. fast-import
    /// deltifies each blob against the blob written just before it,
    /// whatever its path, and its own documentation asks for a repack
    /// afterwards; a repository people work in holds the deltas git's
    /// `pack-objects` chose (mostly a file against an earlier version of
    /// itself), since that is what clones, pushes and `git gc` write.
    pub repack: bool,
}

impl Default for Params {
    /// A 100k-file tree with a short history: the `plan` benchmark's input.
    fn default() -> Params {
        Params { components: 60, files: 100_000, commits: 300, merge_fraction: 0.1, seed: 1, repack: false }
    }
}

impl Params {
    /// A long history over a mid-sized tree: 70k commits, 14k files,
    /// packed by git.
    pub fn long_history() -> Params {
        Params { components: 60, files: 14_000, commits: 70_000, merge_fraction: 0.1, seed: 2, repack: true }
    }

    /// The scale run: 300k commits over a 100k-file tree.
    #[allow(dead_code)]
    pub fn scale() -> Params {
        Params {
            components: 60,
            files: 100_000,
            commits: 300_000,
            merge_fraction: 0.1,
            seed: 3,
            repack: false,
        }
    }

    /// Everything the output depends on, generator version included.
    /// (`repack` is named only when set, so that the repositories cached
    /// before it existed keep their names.)
    fn key(&self) -> String {
        format!(
            "v{GENERATOR_VERSION} components={} files={} commits={} merge_fraction={} seed={}{}",
            self.components,
            self.files,
            self.commits,
            self.merge_fraction,
            self.seed,
            if self.repack { " repack" } else { "" }
        )
    }

    /// A stable hash of [`key`](Self::key): the cache directory's name.
    pub fn hash(&self) -> String {
        format!("{:016x}", fnv1a(self.key().as_bytes()))
    }
}

/// FNV-1a: stable across Rust versions, unlike `DefaultHasher`.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// SplitMix64: tiny, fast and good enough for shaping test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift rather than modulo.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo)
    }

    /// Uniform in `[0, 1)`.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// A uniformly chosen element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// Fisher-Yates.
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            xs.swap(i, self.below(i + 1));
        }
    }
}

/// `git` with the user's and the system's configuration ignored, so that
/// generation is the same everywhere.
pub fn git() -> Command {
    let mut cmd = Command::new("git");
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_ALTERNATE_OBJECT_DIRECTORIES");
    cmd
}

pub(crate) fn check(status: std::process::ExitStatus, what: &str) -> io::Result<()> {
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("{what} failed: {status}")))
    }
}

/// A generated repository.
#[derive(Clone, Debug)]
pub struct Synth {
    /// What it was generated from.
    pub params: Params,
    /// Its cache directory (`target/bench-repos/<hash>`).
    pub dir: PathBuf,
    /// The bare repository inside it; `main` is the generated branch.
    pub repo: PathBuf,
    /// What was generated.
    pub stats: Stats,
    /// True when it came from the cache rather than being built now.
    pub cached: bool,
}

/// Where generated repositories live: `$CARGO_TARGET_DIR/bench-repos`, else
/// `target/bench-repos` in the package.
pub fn cache_root() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench-repos")
}

/// The repository for `params`, from the cache or generated now.
pub fn ensure(params: &Params) -> io::Result<Synth> {
    let dir = cache_root().join(params.hash());
    if let Some(stats) = read_info(&dir) {
        return Ok(Synth { params: params.clone(), repo: dir.join("repo.git"), dir, stats, cached: true });
    }
    generate(params)
}

/// The cache directory `name` (under [`cache_root`]) holding a repository
/// built by `build` for `key`: reused when there, else built now (in a
/// temporary directory, then renamed into place). Returns the directory,
/// the counts and whether it came from the cache.
pub(crate) fn cached(
    name: &str,
    key: &str,
    fresh: bool,
    build: impl FnOnce(&Path) -> io::Result<Stats>,
) -> io::Result<(PathBuf, Stats, bool)> {
    let root = cache_root();
    let dir = root.join(name);
    if let Some(stats) = read_info(&dir).filter(|_| !fresh) {
        return Ok((dir, stats, true));
    }
    std::fs::create_dir_all(&root)?;
    let tmp = root.join(format!(".tmp-{name}-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    let start = Instant::now();
    let mut stats = build(&tmp.join("repo.git"))?;
    stats.seconds = start.elapsed().as_secs_f64();
    write_info(&tmp, key, &stats)?;
    // A concurrent run may have won the race; its repository is identical.
    if std::fs::rename(&tmp, &dir).is_err() {
        std::fs::remove_dir_all(&tmp)?;
    }
    Ok((dir, stats, false))
}

/// Generates the repository for `params` now, whether cached or not, and
/// caches it if it was not. (The benchmark of the generator itself.)
pub fn generate(params: &Params) -> io::Result<Synth> {
    let (dir, stats, _) = cached(&params.hash(), &params.key(), true, |repo| build(params, repo))?;
    Ok(Synth { params: params.clone(), repo: dir.join("repo.git"), dir, stats, cached: false })
}

/// `git init --bare` then pipe the stream into `git fast-import`.
fn build(params: &Params, repo: &Path) -> io::Result<Stats> {
    import(repo, params.repack, |out| write_stream(params, out))
}

/// Creates the bare repository `repo` from the fast-import stream `write`
/// writes, repacked by git when `repack` is set (see [`Params::repack`]),
/// with a commit-graph.
pub(crate) fn import(
    repo: &Path,
    repack: bool,
    write: impl FnOnce(BufWriter<std::process::ChildStdin>) -> io::Result<Stats>,
) -> io::Result<Stats> {
    check(
        git().args(["init", "--bare", "--quiet", "--initial-branch=main"]).arg(repo).status()?,
        "git init",
    )?;
    let mut child = git()
        .arg("--git-dir")
        .arg(repo)
        // zlib level 1 instead of 6 saves a quarter of the generation time
        // for a slightly bigger pack; tree deltas stay on (`--depth=0`
        // would double a long history's pack and save nothing).
        .args(["-c", "pack.compression=1", "fast-import", "--quiet", "--done"])
        .stdin(Stdio::piped())
        .spawn()?;
    let stdin = child.stdin.take().expect("piped");
    let result = write(BufWriter::with_capacity(1 << 20, stdin));
    // Wait even on a write error: fast-import's own message explains it.
    let status = child.wait()?;
    let stats = result?;
    check(status, "git fast-import")?;
    if repack {
        // Deltas searched afresh and every object compressed at git's
        // default level, as `pack-objects` writes them for a clone.
        let status = git().arg("--git-dir").arg(repo).args(["repack", "-a", "-d", "-F", "-q"]).status()?;
        check(status, "git repack")?;
    }
    write_commit_graph(repo)?;
    Ok(stats)
}

/// The commit-graph `git gc` and `git maintenance` keep in a monolith that
/// is looked after: git (rev-list, the fast-export under filter-repo) and
/// git-split read it alike.
fn write_commit_graph(repo: &Path) -> io::Result<()> {
    let status = git().arg("--git-dir").arg(repo).args(["commit-graph", "write", "--reachable"]).status()?;
    check(status, "git commit-graph write")
}

fn write_info(dir: &Path, key: &str, s: &Stats) -> io::Result<()> {
    let text = format!(
        "params={}\nfiles={}\nbytes={}\ncommits={}\nmerges={}\nseconds={:.3}\n",
        key, s.files, s.bytes, s.commits, s.merges, s.seconds
    );
    std::fs::write(dir.join("info.txt"), text)
}

fn read_info(dir: &Path) -> Option<Stats> {
    let text = std::fs::read_to_string(dir.join("info.txt")).ok()?;
    let get = |key: &str| {
        text.lines().find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('='))).map(str::to_string)
    };
    Some(Stats {
        files: get("files")?.parse().ok()?,
        bytes: get("bytes")?.parse().ok()?,
        commits: get("commits")?.parse().ok()?,
        merges: get("merges")?.parse().ok()?,
        seconds: get("seconds")?.parse().ok()?,
    })
}

impl Synth {
    /// Writes `ownership-<teams>.yaml` next to the repository and returns its path.
    pub fn write_manifest(&self, teams: usize) -> io::Result<PathBuf> {
        let path = self.dir.join(format!("ownership-{teams}.yaml"));
        let tmp = self.dir.join(format!(".ownership-{teams}.yaml.{}", std::process::id()));
        std::fs::write(&tmp, manifest_yaml(&self.params, teams))?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

/// An `ownership.yaml` for the repository of `params` with `teams` teams.
///
/// Components are dealt to teams round-robin; each is claimed in one of the
/// ways real manifests do (a path glob, a directory, a Gradle project, a
/// `jvm:`/`npm:`/`cargo:`/`go:` package, a bare Java package name). The
/// `shared` section holds the root build files, docs and CI. The first team
/// excludes generated Java (so those files are unowned), `tools/` is owned
/// by nobody, and the second and third teams each also claim a README of
/// the team before them (two overlaps).
pub fn manifest_yaml(params: &Params, teams: usize) -> String {
    let comps = components(params);
    assert!((1..=comps.len()).contains(&teams), "every team needs a component");
    let mut rng = Rng::new(params.seed ^ 0x7ea0_0000 ^ teams as u64);
    let names: Vec<String> = (0..teams)
        .map(|i| match (TEAM_WORDS.get(i), i / TEAM_WORDS.len()) {
            (Some(w), _) => w.to_string(),
            (None, round) => format!("{}{round}", TEAM_WORDS[i % TEAM_WORDS.len()]),
        })
        .collect();
    let mut paths: Vec<Vec<String>> = vec![Vec::new(); teams];
    let mut packages: Vec<Vec<String>> = vec![Vec::new(); teams];
    let mut first_root: Vec<Option<String>> = vec![None; teams];
    for (i, c) in comps.iter().enumerate() {
        let t = i % teams;
        first_root[t].get_or_insert_with(|| c.root.clone());
        let r = &c.root;
        match (c.kind, rng.below(4)) {
            (Kind::Service, 0) | (Kind::Web | Kind::Go, 0 | 1) => paths[t].push(format!("{r}/**")),
            (Kind::Lib, 0 | 1) => paths[t].push(r.clone()),
            (Kind::Service, 1) => packages[t].push(format!("gradle:{r}")),
            (Kind::Service, style) => {
                // A Java package covers the sources; the rest is listed.
                let java = c.package_ref();
                packages[t].push(if style == 2 { java } else { java.trim_start_matches("jvm:").to_string() });
                for rest in ["README.md", "build.gradle", "src/main/resources", "scripts"] {
                    paths[t].push(format!("{r}/{rest}"));
                }
                if let Some((link, _)) = c.symlink_path() {
                    paths[t].push(link);
                }
            }
            _ => packages[t].push(c.package_ref()),
        }
    }
    let mut y =
        String::from("# Generated by benches/support/synth.rs.\nversion: 1\nmonolith:\n  refs: [main]\n");
    y.push_str("shared:\n  paths:\n");
    for p in [
        "settings.gradle",
        "build.gradle",
        "gradlew",
        "gradle/**",
        ".github/**",
        "Cargo.toml",
        "package.json",
        "README.md",
        "LICENSE",
        ".gitignore",
        "docs/**",
    ] {
        let _ = writeln!(y, "    - \"{p}\"");
    }
    y.push_str("teams:\n");
    for t in 0..teams {
        let _ = writeln!(
            y,
            "  {}:\n    description: \"The {} team\"\n    owners: [\"@acme/{}\"]",
            names[t], names[t], names[t]
        );
        let mut own = paths[t].clone();
        if (1..=2).contains(&t) {
            if let Some(root) = &first_root[t - 1] {
                own.push(format!("{root}/README.md"));
            }
        }
        for (key, list) in [("paths", &own), ("packages", &packages[t])] {
            if !list.is_empty() {
                let _ = writeln!(y, "    {key}:");
                for item in list {
                    let _ = writeln!(y, "      - \"{item}\"");
                }
            }
        }
        if t == 0 {
            y.push_str("    exclude:\n      - \"**/*.generated.java\"\n");
        }
    }
    y.push_str("policy:\n  unowned: warn\n  overlap: warn\n");
    y
}

/// A bare copy of `repo` (objects hard-linked, so it costs seconds) whose
/// `main` has `commits` more commits on top: each changes one to three
/// files of the tip, and every tenth or so merges a topic branch (left behind as `grown-topic`).
/// The new history is a pure extension of the old, as a monolith that grew
/// between two runs is.
#[allow(dead_code)]
pub fn grow(repo: &Path, into: &Path, commits: usize, seed: u64) -> io::Result<()> {
    check(git().args(["clone", "--bare", "--quiet", "--local"]).arg(repo).arg(into).status()?, "git clone")?;
    let listing =
        git().arg("--git-dir").arg(into).args(["ls-tree", "-r", "--name-only", "-z", "main"]).output()?;
    let paths: Vec<String> = listing
        .stdout
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let mut rng = Rng::new(seed);
    let mut s = String::new();
    let mut when = 2_000_000_000u64;
    let mut commit = |s: &mut String,
                      branch: &str,
                      from: Option<&str>,
                      merge: Option<&str>,
                      rng: &mut Rng| {
        when += 60;
        s.push_str(&format!(
            "commit refs/heads/{branch}\ncommitter Grower <grow@example.com> {when} +0000\ndata <<EOM\ngrow {when}\nEOM\n"
        ));
        if let Some(f) = from {
            s.push_str(&format!("from {f}\n"));
        }
        if let Some(m) = merge {
            s.push_str(&format!("merge {m}\n"));
        }
        for _ in 0..rng.range(1, 4) {
            let p = rng.pick(&paths);
            s.push_str(&format!("M 100644 inline {p}\ndata <<EOD\ngrown {when} {}\nEOD\n", rng.next_u64()));
        }
    };
    commit(&mut s, "main", Some("refs/heads/main^0"), None, &mut rng);
    let mut made = 1;
    while made < commits {
        if made % 10 == 0 && made + 3 <= commits {
            commit(&mut s, "grown-topic", Some("refs/heads/main"), None, &mut rng);
            commit(&mut s, "main", None, None, &mut rng);
            commit(&mut s, "main", None, Some("refs/heads/grown-topic"), &mut rng);
            made += 3;
        } else {
            commit(&mut s, "main", None, None, &mut rng);
            made += 1;
        }
    }
    s.push_str("done\n");
    let mut child = git()
        .arg("--git-dir")
        .arg(into)
        .args(["fast-import", "--quiet", "--done", "--force"])
        .stdin(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let written = stdin.write_all(s.as_bytes());
    drop(stdin);
    check(child.wait()?, "git fast-import (grow)")?;
    written?;
    write_commit_graph(into)
}
