//! Synthetic source trees for the `deps` benchmark.
//!
//! [`ensure`] returns a bare repository with one commit, `main`, whose tree
//! has the shape of one of two kinds of real repository ([`Shape`]):
//!
//! - a polyglot monorepo: Go services with their own `go.mod` under
//!   `services/` (tied by a `go.work`), TypeScript packages of a pnpm
//!   workspace under `web/packages/` (`tsconfig` paths, barrels, CSS
//!   modules), Python projects in the `src` layout under `python/` (a uv
//!   workspace), a composer application under `php/`, a Cargo workspace
//!   under `crates/` and Java and Kotlin subprojects of a Gradle build
//!   under `jvm/`; next to them the READMEs, docs, JSON fixtures,
//!   images, deployment YAML, CI workflows and lock files such a repository
//!   holds, a few generated sources, and some generated past the size
//!   `deps` reads;
//! - a Symfony-like PHP monorepo: `src/<Vendor>/{Component,Bundle,Bridge}/<Name>/`,
//!   each with its own `composer.json` requiring its siblings, under a root
//!   `composer.json` that maps every vendor prefix.
//!
//! Every source file is written in its language's real syntax, sized like
//! real ones (most of a few KiB, a long tail), with the imports a file of
//! its kind has: mostly of its own component, some of sibling components
//! of its team, some of other teams' components (each component depends on
//! a few earlier ones, the first of each language being the hub most
//! depend on, as a platform library is), and some of the standard library
//! or vendor packages. Comments, doc blocks, strings, templates and
//! heredocs hold import-like text that is not an import, as real code does.
//! Each component is owned by one of the teams of the generated
//! `ownership.yaml`, committed at the root and kept next to the repository.
//!
//! The tree is written as one `git fast-import` stream, then repacked with
//! `git repack -a -d -F` so that blobs sit in the delta chains a clone has
//! (reading those is part of what `deps` costs). Everything derives from
//! [`Params`] through the seeded [`Rng`]; trees are cached under
//! `target/bench-repos/<shape>-<params-hash>/`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Instant;

use crate::synth::{cache_root, git, Rng};

use content::Gen;
use model::{ownership_yaml, Lang, Model};
use php_monorepo::php_monorepo;
use polyglot::polyglot;

/// Bumped whenever the output for given [`Params`] changes, so that cached
/// trees made by an older generator are not reused.
pub const GENERATOR_VERSION: u32 = 3;

/// Source files larger than this are skipped by `deps` (its
/// `MAX_SOURCE_BYTES`); the generated giants are made larger.
const DEPS_MAX_SOURCE: usize = 4 << 20;

/// Appends formatted text to a `String` (writing to one cannot fail).
macro_rules! w {
    ($o:expr, $($t:tt)*) => {{
        let _ = write!($o, $($t)*);
    }};
}

// The children come after `w!`: a macro is in scope only below its
// definition.
mod companions;
mod config;
mod content;
mod generated;
mod go;
mod jvm;
mod layout;
mod model;
mod php;
mod php_monorepo;
mod polyglot;
mod python;
mod rust;
mod ts;
mod words;

/// The kind of repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Go, TypeScript, Python, PHP, Rust, Java and Kotlin side by side.
    Polyglot,
    /// Components, bundles and bridges of a PHP framework.
    Php,
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Params {
    /// The kind of repository.
    pub shape: Shape,
    /// Files in the tree, at least.
    pub files: usize,
    /// Seed of every random choice.
    pub seed: u64,
}

impl Params {
    /// The polyglot monorepo the issue asks for.
    pub fn polyglot() -> Params {
        Params { shape: Shape::Polyglot, files: 100_000, seed: 1 }
    }

    /// The PHP monorepo the issue asks for.
    pub fn php() -> Params {
        Params { shape: Shape::Php, files: 13_000, seed: 2 }
    }

    /// `polyglot` or `php`.
    pub fn name(&self) -> &'static str {
        match self.shape {
            Shape::Polyglot => "polyglot",
            Shape::Php => "php",
        }
    }

    /// Everything the output depends on, generator version included.
    fn key(&self) -> String {
        format!("sources v{GENERATOR_VERSION} shape={} files={} seed={}", self.name(), self.files, self.seed)
    }

    /// A stable hash of [`key`](Self::key), for the cache directory's name.
    fn hash(&self) -> String {
        let h = self
            .key()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
        format!("{h:016x}")
    }
}

/// A generated tree.
#[derive(Clone, Debug)]
pub struct Tree {
    /// What it was generated from.
    pub params: Params,
    /// The bare repository; `main` is the commit.
    pub repo: PathBuf,
    /// The `ownership.yaml` (the same as the one committed at the root).
    pub manifest: PathBuf,
    /// What was generated.
    pub stats: Stats,
    /// True when it came from the cache rather than being built now.
    pub cached: bool,
}

/// The figures of a generated tree.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Files in the tree.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
    /// Per language (`go`, `ts`, `python`, `php`, `rust`, `java`, `kotlin`):
    /// source files and their bytes.
    pub sources: BTreeMap<String, (u64, u64)>,
    /// Source files over the size `deps` reads.
    pub oversized: u64,
    /// Teams of the manifest.
    pub teams: u64,
    /// Components (modules, packages, projects, crates).
    pub components: u64,
    /// Wall-clock seconds the generation took, repack included.
    pub seconds: f64,
    /// Size of the repository's pack.
    pub pack_bytes: u64,
}

/// The tree for `params`, from the cache or generated now.
pub fn ensure(params: &Params) -> io::Result<Tree> {
    let root = cache_root();
    let dir = root.join(format!("{}-{}", params.name(), params.hash()));
    let tree = |stats: Stats, cached: bool| Tree {
        params: params.clone(),
        repo: dir.join("repo.git"),
        manifest: dir.join("ownership.yaml"),
        stats,
        cached,
    };
    if let Some(stats) = read_info(&dir) {
        return Ok(tree(stats, true));
    }
    std::fs::create_dir_all(&root)?;
    let tmp = root.join(format!(".tmp-{}-{}-{}", params.name(), params.hash(), std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    let start = Instant::now();
    let mut stats = build(params, &tmp)?;
    stats.seconds = start.elapsed().as_secs_f64();
    write_info(&tmp, params, &stats)?;
    // A concurrent run may have won the race; its tree is identical.
    if std::fs::rename(&tmp, &dir).is_err() {
        std::fs::remove_dir_all(&tmp)?;
    }
    Ok(tree(stats, false))
}

fn check(status: ExitStatus, what: &str) -> io::Result<()> {
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("{what} failed: {status}")))
    }
}

/// Lays the tree out, streams it into `git fast-import`, repacks.
fn build(params: &Params, dir: &Path) -> io::Result<Stats> {
    let repo = dir.join("repo.git");
    check(
        git().args(["init", "--bare", "--quiet", "--initial-branch=main"]).arg(&repo).status()?,
        "git init",
    )?;
    let model = match params.shape {
        Shape::Polyglot => polyglot(params),
        Shape::Php => php_monorepo(params),
    };
    let manifest = ownership_yaml(&model);
    std::fs::write(dir.join("ownership.yaml"), &manifest)?;
    let mut child = git()
        .arg("--git-dir")
        .arg(&repo)
        // The repack below compresses and deltifies everything afresh, so
        // fast-import neither compresses nor looks for deltas (a blob over
        // the big-file threshold is stored whole).
        .args(["-c", "pack.compression=0", "fast-import", "--quiet", "--done", "--big-file-threshold=1"])
        .stdin(Stdio::piped())
        .spawn()?;
    let stdin = child.stdin.take().expect("piped");
    let result =
        write_tree(&model, params.seed, manifest.as_bytes(), BufWriter::with_capacity(1 << 20, stdin));
    // Wait even on a write error: fast-import's own message explains it.
    let status = child.wait()?;
    let mut stats = result?;
    check(status, "git fast-import")?;
    // fast-import deltifies each blob against the one written before it;
    // a clone holds the deltas `pack-objects` searches for.
    check(
        git().arg("--git-dir").arg(&repo).args(["repack", "-a", "-d", "-F", "-q"]).status()?,
        "git repack",
    )?;
    stats.pack_bytes = pack_size(&repo)?;
    Ok(stats)
}

fn pack_size(repo: &Path) -> io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(repo.join("objects/pack"))? {
        let entry = entry?;
        if entry.path().extension().is_some_and(|e| e == "pack") {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

fn write_info(dir: &Path, params: &Params, s: &Stats) -> io::Result<()> {
    let mut text = format!(
        "params={}\nfiles={}\nbytes={}\noversized={}\nteams={}\ncomponents={}\nseconds={:.3}\npack_bytes={}\n",
        params.key(),
        s.files,
        s.bytes,
        s.oversized,
        s.teams,
        s.components,
        s.seconds,
        s.pack_bytes
    );
    for (lang, (files, bytes)) in &s.sources {
        w!(text, "source.{lang}={files} {bytes}\n");
    }
    std::fs::write(dir.join("info.txt"), text)
}

fn read_info(dir: &Path) -> Option<Stats> {
    let text = std::fs::read_to_string(dir.join("info.txt")).ok()?;
    let mut s = Stats::default();
    for line in text.lines() {
        let (key, value) = line.split_once('=')?;
        let int = || value.parse::<u64>().ok();
        match key {
            "files" => s.files = int()?,
            "bytes" => s.bytes = int()?,
            "oversized" => s.oversized = int()?,
            "teams" => s.teams = int()?,
            "components" => s.components = int()?,
            "seconds" => s.seconds = value.parse().ok()?,
            "pack_bytes" => s.pack_bytes = int()?,
            _ => {
                if let Some(lang) = key.strip_prefix("source.") {
                    let (f, b) = value.split_once(' ')?;
                    s.sources.insert(lang.to_string(), (f.parse().ok()?, b.parse().ok()?));
                }
            }
        }
    }
    (s.files > 0).then_some(s)
}

/// The fast-import stream of the one commit: every file inline.
struct Stream<W: Write> {
    out: W,
    stats: Stats,
}

impl<W: Write> Stream<W> {
    fn new(mut out: W) -> io::Result<Stream<W>> {
        let msg = "Synthetic tree for the deps benchmark\n";
        let who = "Bench <bench@example.com> 1700000000 +0000";
        write!(out, "commit refs/heads/main\nauthor {who}\ncommitter {who}\ndata {}\n{msg}\n", msg.len())?;
        Ok(Stream { out, stats: Stats::default() })
    }

    fn file(&mut self, path: &str, data: &[u8], lang: Option<Lang>) -> io::Result<()> {
        let mode = if path.ends_with(".sh") || path.ends_with("/console") { "100755" } else { "100644" };
        write!(self.out, "M {mode} inline {path}\ndata {}\n", data.len())?;
        self.out.write_all(data)?;
        self.out.write_all(b"\n")?;
        self.stats.files += 1;
        self.stats.bytes += data.len() as u64;
        if let Some(lang) = lang {
            let e = self.stats.sources.entry(lang.as_str().to_string()).or_default();
            e.0 += 1;
            e.1 += data.len() as u64;
            self.stats.oversized += u64::from(data.len() > DEPS_MAX_SOURCE);
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<Stats> {
        self.out.write_all(b"done\n")?;
        self.out.flush()?;
        Ok(self.stats)
    }
}

/// Writes every file of `m`, the manifest at the root first.
fn write_tree<W: Write>(m: &Model, seed: u64, manifest: &[u8], out: W) -> io::Result<Stats> {
    let mut s = Stream::new(out)?;
    let mut g =
        Gen { m, r: Rng::new(seed ^ 0x5eed_c0de), o: String::with_capacity(1 << 20), bin: Vec::new() };
    s.file("ownership.yaml", manifest, None)?;
    for f in &m.root {
        g.file(None, f);
        s.file(&f.path, g.bytes(), Lang::of(&f.path))?;
    }
    for (ci, c) in m.comps.iter().enumerate() {
        for f in &c.files {
            g.file(Some(ci), f);
            s.file(&f.path, g.bytes(), Lang::of(&f.path))?;
        }
    }
    let mut stats = s.finish()?;
    stats.teams = m.teams.len() as u64;
    stats.components = m.comps.len() as u64;
    Ok(stats)
}
