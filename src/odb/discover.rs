//! Finding the repository as git does when none is named: from the current
//! directory upwards (stopping at `GIT_CEILING_DIRECTORIES` and at file
//! system boundaries unless `GIT_DISCOVERY_ACROSS_FILESYSTEM`), or where
//! `GIT_DIR` says, with the work tree `GIT_WORK_TREE` or `core.worktree`
//! names. `git -C DIR split` and `git --git-dir=… split` reach the command
//! through these: git changes directory, or sets the variables.
//!
//! The variables are read here, not by libgit2 (whose `open_from_env`
//! places the work tree differently from git): a relative `GIT_WORK_TREE`
//! is relative to the current directory, and with `GIT_DIR` set but no
//! work tree named, the current directory is the top of the work tree
//! (git's setup.c rules).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use git2::Repository;

use super::repo::Repo;

/// Why no repository was found.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// The search found none.
    #[error("not a git repository (or any of the parent directories): {}", .cwd.display())]
    NotFound {
        /// Where the search started.
        cwd: PathBuf,
    },
    /// `GIT_DIR` names something that is not a repository.
    #[error("GIT_DIR={} is not a git repository", .git_dir.to_string_lossy())]
    NotAGitDir {
        /// The variable's value.
        git_dir: OsString,
    },
    /// The current directory cannot be read (it was removed).
    #[error("cannot read the current directory: {0}")]
    Cwd(#[source] std::io::Error),
    /// libgit2 failed otherwise (a broken repository, a bad variable).
    #[error("opening the repository: {0}")]
    Git(#[source] git2::Error),
}

/// Opens the repository git would use in the current directory, with the
/// work tree git would use.
pub fn discover() -> Result<Repo, DiscoverError> {
    let cwd = std::env::current_dir().map_err(DiscoverError::Cwd)?;
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let git_dir = var("GIT_DIR");
    let work_tree = var("GIT_WORK_TREE");
    let ceilings: Vec<PathBuf> = var("GIT_CEILING_DIRECTORIES")
        .map(|v| std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect())
        .unwrap_or_default();
    let mut flags = git2::RepositoryOpenFlags::empty();
    let across = var("GIT_DISCOVERY_ACROSS_FILESYSTEM");
    if across.as_deref().and_then(|v| v.to_str()).is_some_and(is_true) {
        flags |= git2::RepositoryOpenFlags::CROSS_FS;
    }
    let start = match &git_dir {
        // Exactly that directory: no search, no `.git` appended.
        Some(d) => {
            flags |= git2::RepositoryOpenFlags::NO_SEARCH | git2::RepositoryOpenFlags::NO_DOTGIT;
            cwd.join(d)
        }
        None => cwd.clone(),
    };
    let raw = Repository::open_ext(&start, flags, &ceilings).map_err(|e| match (e.code(), &git_dir) {
        (git2::ErrorCode::NotFound, Some(d)) => DiscoverError::NotAGitDir { git_dir: d.clone() },
        (git2::ErrorCode::NotFound, None) => DiscoverError::NotFound { cwd: cwd.clone() },
        _ => DiscoverError::Git(e),
    })?;
    let top = match (&work_tree, &git_dir) {
        // A named work tree wins over `core.bare` and `core.worktree`.
        (Some(w), _) => Some(cwd.join(w)),
        // `GIT_DIR` alone: the current directory is the top, unless the
        // repository is bare or its configuration names a work tree.
        (None, Some(_)) if !raw.is_bare() && !names_work_tree(&raw) => Some(cwd.clone()),
        _ => None,
    };
    if let Some(top) = top {
        raw.set_workdir(&top, false).map_err(DiscoverError::Git)?;
    }
    let path = raw.workdir().unwrap_or_else(|| raw.path()).to_path_buf();
    Ok(Repo::from_git2(raw, trim_slash(path)))
}

/// Git's spellings of a true boolean: `true`, `yes`, `on`, or a number
/// other than zero.
fn is_true(v: &str) -> bool {
    ["true", "yes", "on"].iter().any(|t| v.eq_ignore_ascii_case(t)) || v.parse::<i64>().is_ok_and(|n| n != 0)
}

/// True when the repository's configuration sets `core.worktree`.
fn names_work_tree(repo: &Repository) -> bool {
    repo.config().is_ok_and(|c| c.get_path("core.worktree").is_ok())
}

/// libgit2 gives directories with a trailing `/`; messages show them without.
fn trim_slash(p: PathBuf) -> PathBuf {
    match p.to_str() {
        Some(s) if s.len() > 1 && s.ends_with('/') => PathBuf::from(&s[..s.len() - 1]),
        _ => p,
    }
}

/// A path given on the command line as a path in the tree: relative to the
/// current directory, as git reads pathspecs, so in a subdirectory `x`
/// means `<subdirectory>/x`; an absolute path inside the work tree is
/// accepted too. `.` and `..` are resolved by name. In a bare repository
/// (no work tree), paths are from the root. `None` when the path lies
/// outside the work tree (or is not UTF-8, as no tree path of ours is).
pub fn tree_path(repo: &Repo, arg: &Path) -> Option<String> {
    let (base, top) = match repo.workdir() {
        Some(w) => {
            let top = w.canonicalize().unwrap_or_else(|_| w.to_path_buf());
            let cwd = std::env::current_dir().ok()?;
            (cwd.join(arg), top)
        }
        None => (Path::new("/").join(arg), PathBuf::from("/")),
    };
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for c in base.components() {
        match c {
            // Above the file system's root: outside any work tree.
            std::path::Component::ParentDir => {
                parts.pop()?;
            }
            std::path::Component::Normal(n) => parts.push(n),
            _ => {}
        }
    }
    let normal: PathBuf = std::iter::once(std::ffi::OsStr::new("/")).chain(parts).collect();
    let rel = normal.strip_prefix(&top).ok()?;
    rel.to_str().map(str::to_string)
}
