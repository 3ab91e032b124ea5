//! Shared test support: fixture repositories built by `tests/fixtures/make_*.sh`
//! (cached under `target/fixtures`, keyed by the scripts' content), running
//! the binary with a clean environment, and proving a repository unchanged.

pub mod bounded;
pub mod filter_repo;
pub mod git_servers;
pub mod git_trailers;
pub mod tools;

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The fixtures directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Builds (once) and returns the repository made by `make_<name>.sh`.
/// Tests must not modify it; copy it first if they need to.
pub fn fixture(name: &str) -> PathBuf {
    let script = fixtures_dir().join(format!("make_{name}.sh"));
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::fs::read(&script).expect("fixture script").hash(&mut h);
    std::fs::read(fixtures_dir().join("lib.sh")).expect("lib.sh").hash(&mut h);
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixtures");
    let dest = root.join(format!("{name}-{:016x}", h.finish()));
    if dest.exists() {
        return dest;
    }
    std::fs::create_dir_all(&root).unwrap();
    // Build beside the destination and rename: concurrent test binaries
    // either see the finished repository or build their own copy.
    let tmp = tempfile::tempdir_in(&root).unwrap();
    let work = tmp.path().join("repo");
    let out = Command::new("bash")
        .arg(&script)
        .arg(&work)
        .env("TMPDIR", tmp.path())
        .output()
        .expect("run fixture script");
    assert!(
        out.status.success(),
        "{} failed:\n{}{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match std::fs::rename(&work, &dest) {
        Ok(()) => {}
        Err(_) if dest.exists() => {}
        Err(e) => panic!("rename fixture: {e}"),
    }
    dest
}

/// A copy of a fixture that the test may change.
pub fn fixture_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let src = fixture(name);
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("repo");
    let st = Command::new("cp").arg("-a").arg(&src).arg(&dst).status().unwrap();
    assert!(st.success());
    (tmp, dst)
}

/// A plain copy of the files at `repo`'s HEAD, in a temporary directory:
/// for reference tools that may write caches or lock files where they run.
pub fn checkout(repo: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let archive = git(repo, &["archive", "--format=tar", "HEAD"]);
    let mut tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(tmp.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("run tar");
    std::io::Write::write_all(tar.stdin.as_mut().unwrap(), &archive.stdout).unwrap();
    assert!(tar.wait().unwrap().success());
    tmp
}

/// Git's own configuration files closed off (no system file, no user
/// file), so the settings of whoever runs the tests never change what a
/// test sees.
pub trait NoUserConfig {
    /// Sets the environment that makes git read no configuration file.
    fn without_user_config(&mut self) -> &mut Self;

    /// Runs in `dir` with an empty environment but `PATH`, no git
    /// configuration, and `dir` as `HOME`: how the tests run git-split.
    fn clean_in(&mut self, dir: &Path) -> &mut Self;
}

impl NoUserConfig for Command {
    fn without_user_config(&mut self) -> &mut Self {
        self.env("GIT_CONFIG_NOSYSTEM", "1").env("GIT_CONFIG_GLOBAL", "/dev/null")
    }

    fn clean_in(&mut self, dir: &Path) -> &mut Self {
        self.current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .without_user_config()
            .env("HOME", dir)
    }
}

/// `git` with no user or system configuration and no optional locks (so
/// read-only commands never refresh the index of the repository they read).
pub fn git(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .without_user_config()
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("LC_ALL", "C")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The NUL-separated fields of git's `-z` output.
pub fn z_list(out: &Output) -> Vec<String> {
    out.stdout
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// `refname sha` of every ref of a repository, one per line.
pub fn refs(repo: &Path) -> String {
    String::from_utf8(git(repo, &["for-each-ref", "--format=%(refname) %(objectname)"]).stdout).unwrap()
}

/// Asserts that every object stored in `repo` is reachable from its refs.
pub fn assert_only_reachable(repo: &Path, what: &str) {
    let ids = |out: Output| -> std::collections::BTreeSet<String> {
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| l.split(' ').next().unwrap().to_string())
            .collect()
    };
    let all = ids(git(repo, &["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"]));
    let reachable = ids(git(repo, &["rev-list", "--objects", "--all"]));
    assert_eq!(all, reachable, "{what}");
}

/// What running the binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// `exit: N`, stdout and stderr, with `dir` replaced by `[REPO]`.
    pub fn snapshot(&self, dir: &Path) -> String {
        let norm = |s: &str| s.replace(&dir.display().to_string(), "[REPO]");
        let mut s = format!("exit: {}\n", self.code);
        if !self.stdout.is_empty() {
            s.push_str(&format!("--- stdout\n{}", norm(&self.stdout)));
        }
        if !self.stderr.is_empty() {
            s.push_str(&format!("--- stderr\n{}", norm(&self.stderr)));
        }
        s
    }
}

/// Runs `git-split ARGS` in `dir` with an empty environment (no colour, no
/// user configuration).
pub fn split(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_git-split"))
        .args(args)
        .clean_in(dir)
        .output()
        .expect("run git-split");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The arguments of `git-split apply -q --out OUT EXTRA...`.
pub fn apply_args<'a>(out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["apply", "-q", "--out", out.to_str().expect("UTF-8 path")];
    args.extend_from_slice(extra);
    args
}

/// Runs `git-split apply -q --out OUT EXTRA...` in `repo`, as [`split`] does.
pub fn apply(repo: &Path, out: &Path, extra: &[&str]) -> Run {
    split(repo, &apply_args(out, extra))
}

/// Every file under `dir` (the work tree and `.git`) with its bytes and
/// mode: equal digests before and after a command prove it wrote nothing.
pub fn digest(dir: &Path) -> BTreeMap<PathBuf, (u32, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d).unwrap().map(|e| e.unwrap()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(dir).unwrap().to_path_buf();
            if meta.is_dir() {
                out.insert(rel, (meta.permissions().mode(), Vec::new()));
                stack.push(p);
            } else if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&p).unwrap();
                out.insert(rel, (meta.permissions().mode(), target.into_os_string().into_encoded_bytes()));
            } else {
                out.insert(rel, (meta.permissions().mode(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

/// Writes a commit of `files` (path -> content, regular files) with
/// libgit2 on `parents`, authored and committed at `time` by a fixed
/// identity: random histories built without a work tree.
pub fn commit_files<P: AsRef<str>, C: AsRef<[u8]>>(
    repo: &git2::Repository,
    files: impl IntoIterator<Item = (P, C)>,
    parents: &[git2::Oid],
    time: i64,
) -> git2::Oid {
    let mut index = git2::Index::new().unwrap();
    for (path, data) in files {
        let path = path.as_ref();
        let entry = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            file_size: 0,
            id: repo.blob(data.as_ref()).unwrap(),
            flags: u16::try_from(path.len().min(0xfff)).unwrap(),
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        };
        index.add(&entry).unwrap();
    }
    let tree = repo.find_tree(index.write_tree_to(repo).unwrap()).unwrap();
    let sig = git2::Signature::new("A", "a@example.com", &git2::Time::new(time, 0)).unwrap();
    let parents: Vec<git2::Commit<'_>> = parents.iter().map(|&p| repo.find_commit(p).unwrap()).collect();
    let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
    repo.commit(None, &sig, &sig, "c", &tree, &parents).unwrap()
}
