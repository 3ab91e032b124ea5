//! `git-split init`: write a starting `ownership.yaml`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, Context as _};
use owo_colors::OwoColorize;

use git_split::codeowners::{self, CodeOwners, Syntax};
use git_split::init::{from_codeowners, from_packages, from_top_level, render, Draft};
use git_split::odb::{Repo, ResolvedRev, TreeListing};

use super::codeowners::SyntaxArg;
use super::output::{self, style};
use super::{open_repo, tree_path, CmdResult, GlobalArgs};

/// Where `init` looks for CODEOWNERS in the tree, in order.
const LOCATIONS: [&str; 4] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"];

/// Write a starting ownership.yaml from CODEOWNERS, the build system, or the
/// top-level directories.
///
/// With a CODEOWNERS file in the tree of the ref (`.github/CODEOWNERS`,
/// `CODEOWNERS`, `docs/CODEOWNERS`, `.gitlab/CODEOWNERS`), each distinct
/// set of owners it gives becomes a team, and the manifest gives every file
/// of the tree the owners CODEOWNERS gives it; build and CI files it gives
/// nobody are shared. Without one, where the tree has a build system (Gradle
/// projects, Maven modules, npm/pnpm/Yarn workspace members, Cargo crates,
/// Go modules, Python projects, composer packages: the one with the most
/// packages), each package becomes a team selected by `packages:` (Gradle
/// projects grouped by their first path segment), the build's machinery
/// (root manifests and lock files, wrappers, `gradle/`, `build-logic/`,
/// CI) is shared, and top-level directories without a package are teams of
/// their own. Otherwise, or with `--top-level`, each top-level directory
/// becomes a team and top-level files and dot-directories (`.github/`) are
/// shared. Lists what is left unowned (the draft's policy then warns about
/// it rather than failing). Reads the tree of `--ref` (default HEAD); no
/// manifest is needed.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write, relative to the current directory [default: the
    /// global --manifest, else ownership.yaml at the root of the work
    /// tree]; `-` for stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Overwrite an existing manifest.
    #[arg(long)]
    force: bool,
    /// The CODEOWNERS file to start from: a path in the tree of the ref,
    /// relative to the current directory as git pathspecs are.
    #[arg(long, value_name = "PATH", conflicts_with = "top_level")]
    from: Option<String>,
    /// Ignore any CODEOWNERS file and the build system: one team per
    /// top-level directory.
    #[arg(long)]
    top_level: bool,
    /// How to read CODEOWNERS [default: gitlab for `.gitlab/CODEOWNERS` or a
    /// file with `[Section]` headers, else github]
    #[arg(long, value_enum)]
    syntax: Option<SyntaxArg>,
}

/// Files listed under "left unowned" before the list is cut.
const SHOWN: usize = 30;

/// Runs `init`.
pub fn run(global: &GlobalArgs, args: &Args) -> CmdResult {
    let repo = open_repo(global)?;
    let rev = match &global.rev {
        Some(r) => repo.resolve(r)?,
        None => repo.head()?,
    };
    let to_stdout = args.output.as_deref() == Some(std::path::Path::new("-"));
    let target = target_file(global, args, &repo)?;
    if !to_stdout && target.exists() && !args.force {
        return Err(
            anyhow!("{} exists; pass --force to overwrite it, or --output FILE", target.display()).into()
        );
    }
    let listing = repo.list_tree_unsized(rev.tree)?;
    let (draft, origin) = match codeowners_source(args, &repo, &rev)? {
        Some((path, bytes)) => from_codeowners_file(global, args, &repo, &rev, &listing, &path, bytes)?,
        None if args.top_level => (from_top_level(&repo, &listing)?, "the top-level directories".to_string()),
        None => match from_packages(&repo, &listing)? {
            Some(draft) => (draft, "the build's packages".to_string()),
            None => (from_top_level(&repo, &listing)?, "the top-level directories".to_string()),
        },
    };
    let commit = rev.commit.to_string();
    let header = vec![
        format!(
            "Starting manifest written by `git split init` from {origin} at {} ({}).",
            rev.name,
            &commit[..12]
        ),
        "Review it: name the teams, merge them, replace listed files with patterns or packages;".to_string(),
        "`git split plan` shows what each team would keep.".to_string(),
    ];
    let refs = if global.rev.is_none() && rev.name != "HEAD" { vec![rev.name.clone()] } else { Vec::new() };
    let text = render(&draft, &refs, &header);
    if to_stdout {
        std::io::stdout().lock().write_all(text.as_bytes())?;
    } else {
        std::fs::write(&target, &text).with_context(|| format!("writing {}", target.display()))?;
    }
    if !global.quiet {
        // With the manifest on stdout, the summary goes to stderr.
        let mut out: Box<dyn Write> =
            if to_stdout { Box::new(anstream::stderr()) } else { Box::new(output::stdout()) };
        summary(
            &mut out,
            &draft,
            &origin,
            &rev.name,
            if to_stdout { "drafted".into() } else { format!("wrote {}", shown(&target, &repo)) },
        )?;
    }
    Ok(())
}

/// Where the manifest goes: `--output`, else `--manifest FILE` (the
/// manifest the other commands read, as given, like theirs), else
/// `ownership.yaml` at the top of the work tree.
fn target_file(global: &GlobalArgs, args: &Args, repo: &Repo) -> anyhow::Result<PathBuf> {
    Ok(match (&args.output, repo.workdir()) {
        (Some(p), _) => p.clone(),
        (None, _) if global.manifest.is_some() => global.manifest.clone().expect("checked"),
        (None, Some(w)) => w.join("ownership.yaml"),
        (None, None) => {
            return Err(anyhow!("{} has no work tree; pass --output FILE", repo.path().display()))
        }
    })
}

/// The CODEOWNERS file the draft starts from, with its path: `--from`,
/// else the first of the platforms' locations the tree has; none with
/// `--top-level`.
fn codeowners_source(
    args: &Args,
    repo: &Repo,
    rev: &ResolvedRev,
) -> anyhow::Result<Option<(String, Vec<u8>)>> {
    if args.top_level {
        return Ok(None);
    }
    if let Some(p) = &args.from {
        let p = tree_path(repo, std::path::Path::new(p))?;
        let bytes = repo
            .read_path_max(rev.tree, &p, codeowners::MAX_BYTES)?
            .with_context(|| format!("no file `{p}` in the tree of {}", rev.name))?;
        return Ok(Some((p, bytes)));
    }
    for l in LOCATIONS {
        if let Some(b) = repo.read_path_max(rev.tree, l, codeowners::MAX_BYTES)? {
            return Ok(Some((l.to_string(), b)));
        }
    }
    Ok(None)
}

/// The draft from the CODEOWNERS file at `path`, in the syntax given or
/// recognised, and what it was drafted from; the file's problems are
/// warnings.
fn from_codeowners_file(
    global: &GlobalArgs,
    args: &Args,
    repo: &Repo,
    rev: &ResolvedRev,
    listing: &TreeListing,
    path: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<(Draft, String)> {
    let text = String::from_utf8(bytes).map_err(|_| anyhow!("{path} at {} is not UTF-8 text", rev.name))?;
    let syntax = match args.syntax {
        Some(s) => s.syntax(),
        None if path.starts_with(".gitlab/") || has_sections(&text) => Syntax::GitLab,
        None => Syntax::GitHub,
    };
    let co = CodeOwners::parse_bounded(&text, syntax).map_err(|e| anyhow!("{path} at {}: {e}", rev.name))?;
    let mut err = anstream::stderr();
    for p in co.problems.iter().filter(|_| !global.quiet) {
        writeln!(err, "{} {path}:{}: {}", "warning:".style(style::warn()), p.line, p.message)?;
    }
    let dialect = if syntax == Syntax::GitLab { "GitLab" } else { "GitHub" };
    Ok((from_codeowners(repo, &co, listing)?, format!("{path} ({dialect} syntax)")))
}

fn shown(target: &std::path::Path, repo: &git_split::odb::Repo) -> String {
    match repo.workdir().and_then(|w| target.strip_prefix(w).ok()) {
        Some(rel) => rel.display().to_string(),
        None => target.display().to_string(),
    }
}

/// A GitLab file is recognised by its section headers.
fn has_sections(text: &str) -> bool {
    text.lines().map(str::trim).any(|l| {
        let l = l.strip_prefix('^').unwrap_or(l);
        l.starts_with('[') && l.contains(']')
    })
}

fn summary(
    out: &mut dyn Write,
    draft: &Draft,
    origin: &str,
    rev: &str,
    target: String,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{target}: {} from {origin} at {rev}",
        output::plural(draft.teams.len() as u64, "team", "teams")
    )?;
    let width = draft.teams.iter().map(|t| t.name.len()).max().unwrap_or(0);
    let counts: Vec<String> =
        draft.teams.iter().map(|t| output::plural(t.files as u64, "file", "files")).collect();
    let count_width = counts.iter().map(String::len).max().unwrap_or(0);
    for (t, count) in draft.teams.iter().zip(&counts) {
        let mut how = output::plural(t.paths.len() as u64, "path", "paths");
        if !t.exclude.is_empty() {
            how.push_str(&format!(", {} exclude", output::count(t.exclude.len() as u64)));
        }
        if !t.packages.is_empty() {
            how = output::plural(t.packages.len() as u64, "package", "packages");
            how.push_str(" of the build");
        } else {
            how.push_str(if t.from_patterns { " from its CODEOWNERS lines" } else { " read off the tree" });
        }
        writeln!(
            out,
            "  {}  {count:>count_width$}  {}",
            format!("{:<width$}", t.name).style(style::team()),
            how.style(style::dim())
        )?;
    }
    if !draft.shared.is_empty() {
        let shared: Vec<_> = draft.shared.iter().map(|p| output::path(p)).collect();
        writeln!(out, "shared (kept by every team): {}", shared.join(", "))?;
    }
    if draft.unowned.is_empty() {
        writeln!(out, "nothing is left unowned")?;
    } else {
        writeln!(
            out,
            "{}:",
            format!("left unowned: {}", output::plural(draft.unowned.len() as u64, "file", "files"))
                .style(style::bad())
        )?;
        for p in draft.unowned.iter().take(SHOWN) {
            writeln!(out, "  {}", output::path(p))?;
        }
        if draft.unowned.len() > SHOWN {
            writeln!(
                out,
                "{}",
                output::more("  ", draft.unowned.len() - SHOWN, "`git split plan` lists them all")
            )?;
        }
    }
    Ok(())
}
