//! The output directory: where each team repository lives
//! (`DIR/<team>.git`), its lock, the staging directories a run builds in, and
//! the atomic, synced swap that publishes a finished repository.

use std::fs;
use std::path::{Path, PathBuf};

use crate::rewrite::state;
use crate::util::fault;

use super::*;

/// Checks the output directory holds only git-split output, creating it if needed.
pub(super) fn prepare_out(out: &Path, monolith_git_dir: &Path) -> Result<(), ApplyError> {
    fs::create_dir_all(out).map_err(io_err(format!("creating {}", out.display())))?;
    let out_abs = out.canonicalize().map_err(io_err(format!("resolving {}", out.display())))?;
    if let Ok(git_dir) = monolith_git_dir.canonicalize() {
        if out_abs.starts_with(&git_dir) {
            return Err(ApplyError::OutputInsideGitDir(out.to_path_buf()));
        }
    }
    for entry in fs::read_dir(out).map_err(io_err(format!("reading {}", out.display())))? {
        let entry = entry.map_err(io_err(format!("reading {}", out.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name == LOCK_FILE
            || name.starts_with(STAGING_PREFIX)
            || name.starts_with(PUSH_STATE)
            || (name.ends_with(".git") && entry.path().join(MARKER_DIR).is_dir());
        if !ours {
            return Err(ApplyError::ForeignOutput { dir: out.to_path_buf(), entry: name });
        }
    }
    Ok(())
}

/// An exclusive advisory lock on the output directory, released on drop
/// (and by the kernel if the process dies). The file is removed on drop,
/// while still locked, so a finished or interrupted run leaves none.
pub(super) struct Lock {
    pub(super) file: fs::File,
    pub(super) path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        let _ = rustix::fs::flock(&self.file, rustix::fs::FlockOperation::Unlock);
    }
}

pub(super) fn lock(out: &Path) -> Result<Lock, ApplyError> {
    let path = out.join(LOCK_FILE);
    loop {
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err(format!("opening {}", path.display())))?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive)
            .map_err(|_| ApplyError::Locked { dir: out.to_path_buf() })?;
        // The holder before us removes the file as it unlocks: if ours is
        // no longer the one at `path`, a third run may lock a new one.
        let held = rustix::fs::fstat(&file).map_err(|e| io_err("checking the lock")(e.into()))?;
        match rustix::fs::stat(&path) {
            Ok(now) if now.st_ino == held.st_ino && now.st_dev == held.st_dev => {
                return Ok(Lock { file, path })
            }
            _ => continue,
        }
    }
}

/// Removes what interrupted or failed runs staged: never a finished repository.
pub(super) fn remove_staging(out: &Path) -> Result<(), ApplyError> {
    for entry in fs::read_dir(out).map_err(io_err("reading the output directory"))?.flatten() {
        if entry.file_name().to_string_lossy().starts_with(STAGING_PREFIX) {
            fs::remove_dir_all(entry.path())
                .map_err(io_err(format!("removing {}", entry.path().display())))?;
        }
    }
    Ok(())
}

/// Where team `name`'s repository is published under `out`.
pub(super) fn team_repo(out: &Path, name: &str) -> PathBuf {
    out.join(format!("{name}.git"))
}

/// Where a team repository keeps its state.
pub(super) fn state_path(repo: &Path) -> PathBuf {
    repo.join(MARKER_DIR).join(state::STATE)
}

/// Flushes every file and directory under `dir` to disk. A repository is
/// published by a rename that replaces the previous one: without this, a
/// power cut soon after could leave the rename done and the files empty
/// (git syncs its packs and refs for the same reason).
pub(super) fn sync_tree(dir: &Path) -> Result<(), TeamError> {
    let sync = |path: &Path| {
        fs::File::open(path).and_then(|f| f.sync_all()).map_err(tio(format!("syncing {}", path.display())))
    };
    for entry in fs::read_dir(dir).map_err(tio(format!("reading {}", dir.display())))? {
        let entry = entry.map_err(tio(format!("reading {}", dir.display())))?;
        let kind = entry.file_type().map_err(tio(format!("reading {}", dir.display())))?;
        if kind.is_dir() {
            sync_tree(&entry.path())?;
        } else if kind.is_file() {
            sync(&entry.path())?;
        }
    }
    sync(dir)
}

/// Swaps the finished staging repository into place: atomic for readers,
/// and the previous repository is complete until the exchange.
pub(super) fn publish(staging: &Path, final_path: &Path) -> Result<(), TeamError> {
    fault::io_point("publish").map_err(tio(format!("moving into {}", final_path.display())))?;
    if final_path.exists() {
        rustix::fs::renameat_with(
            rustix::fs::CWD,
            staging,
            rustix::fs::CWD,
            final_path,
            rustix::fs::RenameFlags::EXCHANGE,
        )
        .map_err(|e| TeamError::Io {
            context: format!("replacing {}", final_path.display()),
            source: e.into(),
        })?;
        // `staging` now holds the previous repository.
        fault::point("publish.exchanged");
        fs::remove_dir_all(staging).map_err(tio("removing the previous repository"))?;
    } else {
        fs::rename(staging, final_path).map_err(tio(format!("moving into {}", final_path.display())))?;
    }
    // The rename itself is an entry of the output directory.
    match final_path.parent() {
        Some(out) => {
            fs::File::open(out).and_then(|f| f.sync_all()).map_err(tio(format!("syncing {}", out.display())))
        }
        None => Ok(()),
    }
}

/// Do two files hold the same bytes? (False if either cannot be read.)
pub(super) fn same_file(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let (Ok(fa), Ok(fb)) = (fs::File::open(a), fs::File::open(b)) else { return false };
    match (fa.metadata(), fb.metadata()) {
        (Ok(ma), Ok(mb)) if ma.len() == mb.len() => {}
        _ => return false,
    }
    let (mut ra, mut rb) = (std::io::BufReader::new(fa), std::io::BufReader::new(fb));
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let Ok(n) = ra.read(&mut ba) else { return false };
        if n == 0 {
            return true;
        }
        if rb.read_exact(&mut bb[..n]).is_err() || ba[..n] != bb[..n] {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team_dir(out: &Path, name: &str) -> PathBuf {
        let repo = team_repo(out, name);
        fs::create_dir_all(repo.join(MARKER_DIR)).unwrap();
        repo
    }

    #[test]
    fn prepare_out_creates_the_directory_and_accepts_only_our_entries() {
        let tmp = tempfile::tempdir().unwrap();
        let monolith = tmp.path().join("mono/.git");
        fs::create_dir_all(&monolith).unwrap();
        let out = tmp.path().join("out/deeper");
        prepare_out(&out, &monolith).unwrap();
        assert!(out.is_dir());
        team_dir(&out, "a");
        fs::create_dir(out.join(format!("{STAGING_PREFIX}b"))).unwrap();
        fs::write(out.join(LOCK_FILE), "").unwrap();
        prepare_out(&out, &monolith).unwrap();
        // A `.git` directory without our marker is someone else's.
        fs::create_dir(out.join("theirs.git")).unwrap();
        match prepare_out(&out, &monolith) {
            Err(ApplyError::ForeignOutput { entry, .. }) => assert_eq!(entry, "theirs.git"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn prepare_out_refuses_a_directory_inside_the_monolith_git_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let monolith = tmp.path().join(".git");
        fs::create_dir_all(&monolith).unwrap();
        let inside = monolith.join("split-out");
        assert!(matches!(prepare_out(&inside, &monolith), Err(ApplyError::OutputInsideGitDir(_))));
    }

    #[test]
    fn one_run_holds_the_lock_and_leaves_no_file_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let held = lock(tmp.path()).unwrap();
        assert!(matches!(lock(tmp.path()), Err(ApplyError::Locked { .. })));
        drop(held);
        assert!(!tmp.path().join(LOCK_FILE).exists(), "the lock file goes with the lock");
        drop(lock(tmp.path()).unwrap());
    }

    #[test]
    fn remove_staging_never_removes_a_finished_repository() {
        let tmp = tempfile::tempdir().unwrap();
        let done = team_dir(tmp.path(), "a");
        let staged = tmp.path().join(format!("{STAGING_PREFIX}a"));
        fs::create_dir_all(staged.join("objects")).unwrap();
        remove_staging(tmp.path()).unwrap();
        assert!(!staged.exists());
        assert!(done.join(MARKER_DIR).is_dir());
    }

    #[test]
    fn publish_moves_then_exchanges_and_a_failed_publish_keeps_the_previous_repository() {
        let tmp = tempfile::tempdir().unwrap();
        let final_path = team_repo(tmp.path(), "a");
        let staging = tmp.path().join(format!("{STAGING_PREFIX}a"));
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join("HEAD"), "first").unwrap();
        sync_tree(&staging).unwrap();
        publish(&staging, &final_path).unwrap();
        assert_eq!(fs::read_to_string(final_path.join("HEAD")).unwrap(), "first");
        assert!(!staging.exists());

        fs::create_dir(&staging).unwrap();
        fs::write(staging.join("HEAD"), "second").unwrap();
        publish(&staging, &final_path).unwrap();
        assert_eq!(fs::read_to_string(final_path.join("HEAD")).unwrap(), "second");
        assert!(!staging.exists(), "the previous repository is removed after the exchange");

        // Nothing staged: the publish fails and the published repository stays whole.
        assert!(publish(&staging, &final_path).is_err());
        assert_eq!(fs::read_to_string(final_path.join("HEAD")).unwrap(), "second");
        assert!(sync_tree(&staging).is_err(), "syncing what is not there is an error");
    }

    #[test]
    fn same_file_compares_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b, c) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"));
        fs::write(&a, vec![7u8; 200_000]).unwrap();
        fs::write(&b, vec![7u8; 200_000]).unwrap();
        let mut other = vec![7u8; 200_000];
        other[150_000] = 8;
        fs::write(&c, other).unwrap();
        assert!(same_file(&a, &b));
        assert!(!same_file(&a, &c));
        assert!(!same_file(&a, &tmp.path().join("missing")));
    }
}
