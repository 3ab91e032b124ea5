//! Objects a repository does not have: where one is needed (a path at a
//! commit) and the likely cause, so that the error says what to do. In a
//! partial clone (`--filter=blob:none`) the objects are on the promisor
//! remote; libgit2 never fetches them, and git-split does not either.

use git2::{Oid, Repository};

use super::repo::Repo;

/// How many commits are searched for the path of a missing object: the
/// search runs only on the way to an error, but must not keep it waiting.
const SEARCH_COMMITS: usize = 20_000;

/// A missing object, where the history names it, and why it may be missing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// The object.
    pub id: Oid,
    /// A commit whose tree holds it, and its path there, when found.
    pub at: Option<(Oid, String)>,
    /// The promisor remote and its filter, when the repository is a
    /// partial clone.
    pub partial: Option<(String, String)>,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "object {} is missing from the repository", self.id)?;
        if let Some((commit, path)) = &self.at {
            write!(f, " (`{path}` at commit {commit})")?;
        }
        match &self.partial {
            Some((remote, filter)) => write!(
                f,
                ": it is a partial clone of `{remote}` (filter `{filter}`), whose missing objects git-split does not fetch; fetch them all with `git config --unset remote.{remote}.partialclonefilter && git fetch --refetch {remote}`, then run again"
            ),
            None => write!(
                f,
                ": the repository is damaged or incomplete (`git fsck` lists what is missing); fetch the object again from a complete clone"
            ),
        }
    }
}

impl Repo {
    /// Explains object `id`, which the repository does not have.
    pub fn missing(&self, id: Oid) -> Missing {
        Missing { id, at: find(self.raw(), id), partial: partial_clone(self.raw()) }
    }

    /// Explains object `id`, which the repository does not have, where the
    /// caller names the path already.
    pub fn missing_here(&self, id: Oid) -> Missing {
        Missing { id, at: None, partial: partial_clone(self.raw()) }
    }

    /// Explains object `id`, which the repository does not have and which
    /// is at `path` in `commit`'s tree.
    pub fn missing_at(&self, id: Oid, commit: Oid, path: String) -> Missing {
        Missing { id, at: Some((commit, path)), partial: partial_clone(self.raw()) }
    }
}

/// The promisor remote and filter of a partial clone, as git records them
/// (`extensions.partialClone`, `remote.<name>.partialclonefilter`).
fn partial_clone(repo: &Repository) -> Option<(String, String)> {
    let config = repo.config().ok()?;
    let remote = config.get_string("extensions.partialclone").ok().or_else(|| {
        let mut entries = config.entries(Some(r"remote\..*\.promisor")).ok()?;
        let mut found = None;
        while let Some(Ok(e)) = entries.next() {
            if e.value().ok().is_some_and(|v| v.eq_ignore_ascii_case("true")) {
                let name = e.name().ok()?.strip_prefix("remote.")?.strip_suffix(".promisor")?.to_string();
                found = Some(name);
            }
        }
        found
    })?;
    let filter = config
        .get_string(&format!("remote.{remote}.partialclonefilter"))
        .unwrap_or_else(|_| "unknown".to_string());
    Some((remote, filter))
}

/// A commit whose tree names `id`, and the path there: HEAD first, then
/// the commits of every ref, newest first, each compared with its first
/// parent, up to [`SEARCH_COMMITS`].
fn find(repo: &Repository, id: Oid) -> Option<(Oid, String)> {
    let mut walk = repo.revwalk().ok()?;
    walk.set_sorting(git2::Sort::TIME).ok()?;
    let _ = walk.push_head();
    let _ = walk.push_glob("refs/*");
    for commit in walk.take(SEARCH_COMMITS).flatten() {
        let Ok(c) = repo.find_commit(commit) else { continue };
        let Ok(tree) = c.tree() else { continue };
        let parent = c.parent(0).ok().and_then(|p| p.tree().ok());
        let mut opts = git2::DiffOptions::new();
        opts.skip_binary_check(true);
        let Ok(diff) = repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), Some(&mut opts)) else {
            continue;
        };
        let found = diff
            .deltas()
            .find(|d| d.new_file().id() == id)
            .and_then(|d| Some(d.new_file().path()?.to_string_lossy().into_owned()));
        if let Some(path) = found {
            return Some((commit, path));
        }
    }
    None
}
