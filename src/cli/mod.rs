//! The command line: one file per subcommand, each with its clap `Args`
//! (whose doc comments are the `--help` text) and one `run` function.

mod apply;
mod check;
mod codeowners;
mod completions;
mod deps;
mod examples;
mod init;
mod log;
mod man;
mod output;
mod owners;
mod plan;
mod push;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use git_split::manifest::Manifest;
use git_split::odb::{GitError, Repo, ResolvedRev};

/// Split a monolith into one repository per team, with traceable history.
///
/// Ownership is described in `ownership.yaml` at the repository root; `plan`
/// previews what each team keeps and loses, `owners` and `log` explain who
/// owns what. Exit codes: 0 success, 1 findings, 2 the command could not run.
#[derive(Debug, Parser)]
#[command(name = "git-split", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Flags every subcommand takes.
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// The monolith repository (a work tree or a bare repository), opened
    /// exactly as given [default: the one git finds: from the current
    /// directory upwards, or where GIT_DIR and GIT_WORK_TREE say]
    #[arg(long, global = true, value_name = "PATH")]
    repo: Option<PathBuf>,
    /// The ownership manifest, relative to the current directory
    /// [default: ownership.yaml at the root of the work tree, else in the
    /// tree of the ref]
    #[arg(long, global = true, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// The revision to read [default: the first of the manifest's
    /// `monolith.refs`, else HEAD]
    #[arg(long = "ref", global = true, value_name = "REV")]
    rev: Option<String>,
    /// Print nothing but errors and the requested output.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// When to colour the output.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    color: ColorWhen,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Colour when writing to a terminal.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// `--format` for commands with text and JSON output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// Stable, documented fields for programs.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    Plan(plan::Args),
    Deps(deps::Args),
    Apply(apply::Args),
    Push(push::Args),
    Check(check::Args),
    Owners(owners::Args),
    Log(log::Args),
    Verify(verify::Args),
    Codeowners(codeowners::Args),
    Init(init::Args),
    Completions(completions::Args),
    Man(man::Args),
}

/// A failed command and the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    code: u8,
    error: Option<anyhow::Error>,
}

impl Failure {
    /// Findings (exit 1) that were already reported on stdout.
    pub fn findings() -> Failure {
        Failure { code: 1, error: None }
    }

    /// Bad input (exit 2) that was already reported.
    pub fn bad_input() -> Failure {
        Failure { code: 2, error: None }
    }
}

/// Any library error is "the command could not run": exit 2.
impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure { code: 2, error: Some(e.into()) }
    }
}

/// The result of a subcommand.
pub type CmdResult = Result<(), Failure>;

/// The command line's definition, each command's examples at the end of
/// its `--help`.
pub fn command() -> clap::Command {
    examples::attach(Cli::command())
}

/// Parses the command line, runs the command, returns the exit code.
pub fn main() -> ExitCode {
    let mut cmd = command();
    let mut matches = cmd.clone().get_matches();
    let cli = Cli::from_arg_matches_mut(&mut matches).unwrap_or_else(|e| e.format(&mut cmd).exit());
    output::init_color(cli.global.color);
    let result = match &cli.command {
        Command::Plan(args) => plan::run(&cli.global, args),
        Command::Deps(args) => deps::run(&cli.global, args),
        Command::Apply(args) => apply::run(&cli.global, args),
        Command::Push(args) => push::run(&cli.global, args),
        Command::Check(args) => check::run(&cli.global, args),
        Command::Owners(args) => owners::run(&cli.global, args),
        Command::Log(args) => log::run(&cli.global, args),
        Command::Verify(args) => verify::run(&cli.global, args),
        Command::Codeowners(args) => codeowners::run(&cli.global, args),
        Command::Init(args) => init::run(&cli.global, args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { code, error }) => {
            if let Some(e) = error {
                if output::is_broken_pipe(&e) {
                    output::die_of_broken_pipe();
                }
                output::error(&e);
            }
            ExitCode::from(code)
        }
    }
}

/// The repository, its manifest and the revision a command works on.
pub struct Context {
    repo: Repo,
    manifest: Manifest,
    rev: ResolvedRev,
}

impl Context {
    /// Opens `--repo`, resolves `--ref` and loads the manifest.
    pub fn load(global: &GlobalArgs) -> anyhow::Result<Context> {
        Context::load_with(global, false)
    }

    /// Like [`Context::load`], but without `--ref` the revision is HEAD, the
    /// commit checked out (a pull request in CI), not `monolith.refs`.
    pub fn load_at_head(global: &GlobalArgs) -> anyhow::Result<Context> {
        Context::load_with(global, true)
    }

    fn load_with(global: &GlobalArgs, head: bool) -> anyhow::Result<Context> {
        let repo = open_repo(global)?;
        // Where no file is given and there is no work tree, the manifest is
        // read from the tree of the ref (bare mirrors in CI).
        let manifest = match &global.manifest {
            Some(path) => Manifest::load(path)?,
            None => match repo.workdir().map(|w| w.join("ownership.yaml")) {
                Some(p) if p.exists() => {
                    let text = Manifest::read(&p)?;
                    Manifest::from_bytes(Path::new("ownership.yaml"), &text)?
                }
                _ => {
                    let rev = match &global.rev {
                        Some(r) => repo.resolve(r)?,
                        None => repo.head()?,
                    };
                    let max = git_split::manifest::MAX_MANIFEST_BYTES as u64;
                    let text = repo.read_path_max(rev.tree, "ownership.yaml", max)?.with_context(|| {
                        format!(
                            "no ownership.yaml in {} or in the tree of {}; pass --manifest FILE",
                            repo.path().display(),
                            rev.name
                        )
                    })?;
                    Manifest::from_bytes(Path::new(&format!("{}:ownership.yaml", rev.name)), &text)?
                }
            },
        };
        let rev = match (&global.rev, head) {
            (None, true) => repo.head()?,
            (rev, _) => {
                let resolved = default_rev(&repo, &manifest, rev.as_deref());
                match (rev, manifest.refs.first()) {
                    // The ref comes from the manifest: say where.
                    (None, Some(first)) => resolved.with_context(|| {
                        let l = first.loc;
                        format!("{}:{}:{}: in `monolith.refs`", manifest.path.display(), l.line, l.col)
                    })?,
                    _ => resolved?,
                }
            }
        };
        Ok(Context { repo, manifest, rev })
    }
}

/// `--repo`, opened exactly as given (a mistyped path never lands in an
/// enclosing repository), else the repository git would use here.
pub fn open_repo(global: &GlobalArgs) -> anyhow::Result<Repo> {
    Ok(match &global.repo {
        Some(path) => Repo::open(path)?,
        None => git_split::odb::discover::discover()?,
    })
}

/// A path given on the command line (relative to the current directory,
/// as git reads pathspecs) as a path in the tree of `repo`.
pub fn tree_path(repo: &Repo, arg: &Path) -> anyhow::Result<String> {
    git_split::odb::discover::tree_path(repo, arg).ok_or_else(|| {
        anyhow::anyhow!("`{}` is outside the repository at {}", arg.display(), repo.path().display())
    })
}

/// `--ref`, else the first of `monolith.refs` (a glob picks its first match
/// in name order), else HEAD.
fn default_rev(repo: &Repo, manifest: &Manifest, rev: Option<&str>) -> Result<ResolvedRev, GitError> {
    if let Some(r) = rev {
        return repo.resolve(r);
    }
    let Some(first) = manifest.refs.first() else { return repo.head() };
    let name = &first.value;
    if name.contains(['*', '?', '[']) {
        let matches = repo.refs_matching(name)?;
        let Some(m) = matches.first() else {
            return Err(GitError::MissingRef { rev: name.clone(), repo: repo.path().to_path_buf() });
        };
        let mut r = repo.resolve(m)?;
        r.name = m.trim_start_matches("refs/heads/").trim_start_matches("refs/tags/").to_string();
        return Ok(r);
    }
    repo.resolve(name)
}
