//! Finding the repository as git does: `git -C DIR split`, `git
//! --git-dir=… split`, `GIT_DIR`, `GIT_WORK_TREE`, a subdirectory and
//! `GIT_CEILING_DIRECTORIES` all reach the repository git itself finds
//! there (its `rev-parse --show-toplevel` is the answer), and the command
//! then says what it says at the root. Paths on the command line are
//! relative to the current directory, as git's pathspecs are.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{fixture, fixture_copy, NoUserConfig};

const BIN: &str = env!("CARGO_BIN_EXE_git-split");

/// `program` in `dir` with a clean environment and the binary under test
/// first on PATH, so that `git split` runs it.
fn cmd(program: &str, dir: &Path) -> Command {
    let bin_dir = Path::new(BIN).parent().unwrap().to_path_buf();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(&path))).unwrap();
    let mut c = Command::new(program);
    c.current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir)
        .env("LC_ALL", "C")
        .without_user_config();
    c
}

/// Exit code, stdout, stderr.
fn run(mut c: impl std::borrow::BorrowMut<Command>) -> (i32, String, String) {
    let out = c.borrow_mut().output().expect("run");
    let s = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.code().unwrap_or(-1), s(out.stdout), s(out.stderr))
}

/// One way to start a git command: where, with which variables, with
/// which options before the subcommand.
struct Way {
    what: &'static str,
    dir: PathBuf,
    env: Vec<(&'static str, PathBuf)>,
    git_args: Vec<String>,
}

impl Way {
    /// `git [git_args] SUBCOMMAND ARGS` started this way.
    fn git(&self, sub: &[&str]) -> Command {
        let mut c = cmd("git", &self.dir);
        c.envs(self.env.iter().map(|(k, v)| (k, v))).args(&self.git_args).args(sub);
        c
    }
}

/// The ways to reach the monolith fixture at `repo` that git resolves to it.
fn ways(repo: &Path, elsewhere: &Path) -> Vec<Way> {
    let git_dir = repo.join(".git");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let name = PathBuf::from(repo.file_name().unwrap());
    vec![
        Way { what: "at the top", dir: repo.into(), env: vec![], git_args: vec![] },
        Way {
            what: "git -C course-api",
            dir: repo.into(),
            env: vec![],
            git_args: vec!["-C".into(), "course-api".into()],
        },
        Way { what: "in a subdirectory", dir: repo.join("course-api/src"), env: vec![], git_args: vec![] },
        Way {
            what: "git --git-dir at the top",
            dir: repo.into(),
            env: vec![],
            git_args: vec![format!("--git-dir={}", s(&git_dir))],
        },
        Way {
            what: "GIT_DIR at the top",
            dir: repo.into(),
            env: vec![("GIT_DIR", git_dir.clone())],
            git_args: vec![],
        },
        Way {
            what: "git --git-dir --work-tree from elsewhere",
            dir: elsewhere.into(),
            env: vec![],
            git_args: vec![format!("--git-dir={}", s(&git_dir)), format!("--work-tree={}", s(repo))],
        },
        Way {
            what: "GIT_DIR and a relative GIT_WORK_TREE from beside it",
            dir: repo.parent().unwrap().into(),
            env: vec![("GIT_DIR", git_dir.clone()), ("GIT_WORK_TREE", name)],
            git_args: vec![],
        },
        Way {
            what: "a ceiling above the repository",
            dir: repo.join("course-api"),
            env: vec![("GIT_CEILING_DIRECTORIES", repo.parent().unwrap().into())],
            git_args: vec![],
        },
    ]
}

#[test]
fn every_way_git_reaches_the_repository_gives_the_answer_at_its_top() {
    let repo = fixture("monolith");
    let elsewhere = tempfile::tempdir().unwrap();
    let top = repo.canonicalize().unwrap();
    let at_top = run(cmd(BIN, &repo).args(["plan", "--no-deps"]));
    assert_eq!(at_top.0, 0, "{}", at_top.2);
    let owners_at_top =
        run(cmd(BIN, &repo).args(["owners", "--format", "json", "course-api", "web/package.json"]));
    assert_eq!(owners_at_top.0, 0, "{}", owners_at_top.2);
    for way in ways(&repo, elsewhere.path()) {
        // git's own answer: this way leads to the fixture's work tree.
        let (code, shown, err) = run(way.git(&["rev-parse", "--show-toplevel"]));
        assert_eq!((code, Path::new(shown.trim())), (0, top.as_path()), "{}: {err}", way.what);
        assert_eq!(run(way.git(&["split", "plan", "--no-deps"])), at_top, "{}", way.what);
        // The same paths, as seen from where this way runs, when that is
        // inside the work tree (outside it, git takes no pathspec either).
        if run(way.git(&["rev-parse", "--is-inside-work-tree"])).1.trim() == "true" {
            let prefix = run(way.git(&["rev-parse", "--show-prefix"])).1;
            let up = "../".repeat(prefix.matches('/').count());
            let (a, b) = (format!("{up}course-api"), format!("{up}web/package.json"));
            let owners = run(way.git(&["split", "owners", "--format", "json", &a, &b]));
            assert_eq!(owners, owners_at_top, "{}: owners {a} {b}", way.what);
        }
    }
}

#[test]
fn the_binary_alone_finds_the_repository_from_a_subdirectory() {
    let repo = fixture("monolith");
    let at_top = run(cmd(BIN, &repo).args(["owners", "course-api/src", "web"]));
    let below = run(cmd(BIN, &repo.join("course-api")).args(["owners", "src", "../web/"]));
    assert_eq!(at_top.0, 0, "{}", at_top.2);
    assert_eq!(below, at_top);
    // An absolute path inside the work tree is a path of the tree too.
    let abs = repo.join("web");
    let absolute = run(cmd(BIN, &repo.join("course-api")).args(["owners", "course-api/src"]).arg(&abs));
    let expected = run(cmd(BIN, &repo).args(["owners", "course-api/course-api/src", "web"]));
    assert_eq!(absolute, expected);
}

/// Where git finds no repository, neither does git-split (exit 2, git's
/// wording), and an explicit `--repo` is opened exactly, never searched
/// upwards from.
#[test]
fn no_repository_where_git_finds_none() {
    let repo = fixture("monolith");
    let sub = repo.join("course-api");
    let ceiling = |c: &mut Command| {
        c.env("GIT_CEILING_DIRECTORIES", &repo);
    };
    let mut git = cmd("git", &sub);
    ceiling(git.args(["rev-parse", "--git-dir"]));
    let (code, _, err) = run(&mut git);
    assert_ne!(code, 0, "git finds none below a ceiling at the top: {err}");
    let mut ours = cmd(BIN, &sub);
    ceiling(ours.arg("plan"));
    let (code, out, err) = run(&mut ours);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    let canonical = sub.canonicalize().unwrap();
    assert_eq!(
        err,
        format!("error: not a git repository (or any of the parent directories): {}\n", canonical.display())
    );

    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) =
        run(cmd(BIN, empty.path()).args(["--ref", "HEAD", "plan"]).env("GIT_DIR", empty.path()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("GIT_DIR={} is not a git repository", empty.path().display())), "{err}");

    let (code, _, err) = run(cmd(BIN, &repo).args(["--repo", "course-api", "plan"]));
    assert_eq!((code, err.as_str()), (2, "error: `course-api` is not a git repository\n"));

    let (code, out, err) = run(cmd(BIN, &sub).args(["owners", "../../elsewhere"]));
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.starts_with("error: `../../elsewhere` is outside the repository at "), "{err}");
}

/// With `GIT_DIR` and no work tree named, git takes the current directory
/// as the top of the work tree: the default manifest is the one there.
#[test]
fn git_dir_alone_makes_the_current_directory_the_top() {
    let repo = fixture("monolith");
    let here = tempfile::tempdir().unwrap();
    let manifest = here.path().join("ownership.yaml");
    std::fs::write(&manifest, "version: 1\nteams:\n  everything:\n    paths: [\"**\"]\n").unwrap();
    let git_dir = format!("--git-dir={}", repo.join(".git").display());
    let (code, top, err) =
        run(cmd("git", here.path()).args([git_dir.as_str(), "rev-parse", "--show-toplevel"]));
    assert_eq!((code, Path::new(top.trim())), (0, here.path().canonicalize().unwrap().as_path()), "{err}");
    let ours = run(cmd("git", here.path()).args([
        git_dir.as_str(),
        "split",
        "plan",
        "--no-deps",
        "--format",
        "json",
    ]));
    let named = run(cmd(BIN, here.path()).args([
        "--repo",
        repo.to_str().unwrap(),
        "--manifest",
        "ownership.yaml",
        "plan",
        "--no-deps",
        "--format",
        "json",
    ]));
    assert_eq!(named.0, 0, "{}", named.2);
    assert_eq!(ours, named);
}

/// `--manifest`, `--output` and tree paths given in a subdirectory are
/// read relative to it.
#[test]
fn files_named_in_a_subdirectory_are_relative_to_it() {
    let (_tmp, repo) = fixture_copy("monolith");
    let sub = repo.join("course-api");
    let in_sub = |args: &[&str]| {
        let r = run(cmd("git", &repo).args(["-C", "course-api", "split"]).args(args));
        assert_eq!(r.0, 0, "{args:?}: {}", r.2);
        r
    };
    let at_top = |args: &[&str]| {
        let r = run(cmd(BIN, &repo).args(args));
        assert_eq!(r.0, 0, "{args:?}: {}", r.2);
        r
    };
    in_sub(&["--manifest", "../ownership.yaml", "plan", "--format", "json", "--output", "plan.json"]);
    at_top(&["plan", "--format", "json", "--output", "plan.json"]);
    assert_eq!(std::fs::read(sub.join("plan.json")).unwrap(), std::fs::read(repo.join("plan.json")).unwrap());

    in_sub(&["codeowners", "--output", "CODEOWNERS"]);
    let written = std::fs::read_to_string(sub.join("CODEOWNERS")).unwrap();
    let printed = at_top(&["codeowners", "--output", "course-api/CODEOWNERS"]);
    assert!(printed.1.starts_with("wrote course-api/CODEOWNERS ("), "{}", printed.1);
    assert_eq!(written, std::fs::read_to_string(sub.join("CODEOWNERS")).unwrap());
    assert!(
        written.contains("--output course-api/CODEOWNERS`"),
        "the command works from the top:\n{written}"
    );

    in_sub(&["init", "--output", "draft.yaml", "--top-level"]);
    at_top(&["init", "--output", "course-api/top.yaml", "--top-level"]);
    assert_eq!(
        std::fs::read_to_string(sub.join("draft.yaml")).unwrap(),
        std::fs::read_to_string(sub.join("top.yaml")).unwrap()
    );
    // `--from` names a file of the tree as a pathspec does.
    let (code, _, err) = run(cmd("git", &repo).args([
        "-C",
        "course-api",
        "split",
        "init",
        "--output",
        "-",
        "--from",
        "CODEOWNERS",
    ]));
    assert_eq!((code, err.as_str()), (2, "error: no file `course-api/CODEOWNERS` in the tree of main\n"));
}
