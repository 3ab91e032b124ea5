//! Packages resolved per commit, on random histories: Go modules appear,
//! disappear and have their `go.mod` edited in place along a random
//! history with a side branch merged back; each team claims a module that
//! exists at the tip. Every team commit's tree must hold exactly the files
//! whose innermost `go.mod` directory, in that monolith commit, is the
//! team's module — computed here from `git ls-tree`, not by git-split.
//!
//! `PROPTEST_CASES` sets the number of cases (default 12).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use proptest::prelude::*;

use crate::support::{apply, git, NoUserConfig};

/// Directories that may hold a module besides the root one.
const MODULES: [&str; 3] = ["a", "a/b", "c"];
/// Files the commits edit (none named `go.mod`).
const FILES: [&str; 6] = ["r.go", "a/f.go", "a/b/f.go", "a/b/d/f.go", "c/f.go", "c/e/f.go"];

#[derive(Clone, Debug)]
enum Op {
    /// Add `MODULES[m]`'s `go.mod`, or remove it if it is there.
    Toggle(u8),
    /// Edit `MODULES[m]`'s `go.mod` (a dependency bump) if it is there.
    Bump(u8, u8),
    /// Edit `FILES[f]`.
    Edit(u8, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..MODULES.len() as u8).prop_map(Op::Toggle),
        (0..MODULES.len() as u8, any::<u8>()).prop_map(|(m, v)| Op::Bump(m, v)),
        (0..FILES.len() as u8, any::<u8>()).prop_map(|(f, v)| Op::Edit(f, v)),
    ]
}

/// Commits of `main`, then commits of a side branch forked at `fork` and
/// merged at the end.
#[derive(Clone, Debug)]
struct History {
    main: Vec<Vec<Op>>,
    side: Vec<Vec<Op>>,
    fork: usize,
}

fn commit() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op(), 1..4)
}

fn history() -> impl Strategy<Value = History> {
    (proptest::collection::vec(commit(), 1..8), proptest::collection::vec(commit(), 0..4), any::<usize>())
        .prop_map(|(main, side, fork)| {
            let fork = fork % main.len();
            History { main, side, fork }
        })
}

fn module_path(dir: &str) -> String {
    if dir.is_empty() {
        "example.com/m".into()
    } else {
        format!("example.com/m/{dir}")
    }
}

/// The files of one branch as the history goes: path -> content.
type Tree = BTreeMap<String, String>;

/// Applies `ops` to `tree`; returns the fast-import file commands.
fn apply_ops(tree: &mut Tree, ops: &[Op]) -> String {
    let mut out = String::new();
    for op in ops {
        let (path, content) = match *op {
            Op::Toggle(m) => {
                let path = format!("{}/go.mod", MODULES[m as usize]);
                if tree.remove(&path).is_some() {
                    writeln!(out, "D {path}").unwrap();
                    continue;
                }
                (path, format!("module {}\n", module_path(MODULES[m as usize])))
            }
            Op::Bump(m, v) => {
                let path = format!("{}/go.mod", MODULES[m as usize]);
                if !tree.contains_key(&path) {
                    continue;
                }
                (
                    path,
                    format!(
                        "module {}\n\nrequire example.com/dep v1.{v}.0\n",
                        module_path(MODULES[m as usize])
                    ),
                )
            }
            Op::Edit(f, v) => (FILES[f as usize].to_string(), format!("package x // {v}\n")),
        };
        write!(out, "M 100644 inline {path}\ndata {}\n{content}\n", content.len()).unwrap();
        tree.insert(path, content);
    }
    out
}

/// The fast-import stream of `h`, and the tree of `main`'s tip.
fn stream(h: &History) -> (String, Tree) {
    let mut s = String::new();
    let mut mark = 0;
    let mut time = 1_700_000_000;
    let mut commit =
        |s: &mut String, branch: &str, from: Option<usize>, merge: Option<usize>, files: &str| {
            mark += 1;
            time += 60;
            writeln!(s, "commit refs/heads/{branch}\nmark :{mark}").unwrap();
            writeln!(s, "author A <a@example.com> {time} +0000\ncommitter C <c@example.com> {time} +0000")
                .unwrap();
            let msg = format!("commit {mark}");
            write!(s, "data {}\n{msg}\n", msg.len()).unwrap();
            if let Some(f) = from {
                writeln!(s, "from :{f}").unwrap();
            }
            if let Some(m) = merge {
                writeln!(s, "merge :{m}").unwrap();
            }
            s.push_str(files);
            mark
        };
    let mut main: Tree = BTreeMap::new();
    let mut first = String::new();
    for (path, content) in [("go.mod", "module example.com/m\n"), ("r.go", "package m\n")] {
        write!(first, "M 100644 inline {path}\ndata {}\n{content}\n", content.len()).unwrap();
        main.insert(path.into(), content.into());
    }
    let mut last = commit(&mut s, "main", None, None, &first);
    let mut fork = (last, main.clone());
    for (i, ops) in h.main.iter().enumerate() {
        let files = apply_ops(&mut main, ops);
        last = commit(&mut s, "main", Some(last), None, &files);
        if i == h.fork {
            fork = (last, main.clone());
        }
    }
    let (mut side_last, mut side) = fork;
    for ops in &h.side {
        let files = apply_ops(&mut side, ops);
        side_last = commit(&mut s, "side", Some(side_last), None, &files);
    }
    if !h.side.is_empty() {
        // The merge takes main's tree, plus the side's files main lacks.
        let mut files = String::new();
        for (path, content) in &side {
            if !main.contains_key(path) && !path.ends_with("go.mod") {
                write!(files, "M 100644 inline {path}\ndata {}\n{content}\n", content.len()).unwrap();
                main.insert(path.clone(), content.clone());
            }
        }
        commit(&mut s, "main", Some(last), Some(side_last), &files);
    }
    (s, main)
}

/// The directory of `path` (`""` at the root).
fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn under(path: &str, dir: &str) -> bool {
    dir.is_empty() || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

/// `git ls-tree -r` of `rev`: path -> "mode type id".
fn files(repo: &Path, rev: &str) -> BTreeMap<String, String> {
    String::from_utf8(git(repo, &["ls-tree", "-r", rev]).stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (meta, path) = l.split_once('\t').unwrap();
            (path.to_string(), meta.to_string())
        })
        .collect()
}

/// The files of monolith commit `rev` in the module whose directory is `module`.
fn module_files(all: &BTreeMap<String, String>, module: &str) -> BTreeMap<String, String> {
    let modules: Vec<&str> = all.keys().filter(|p| p.ends_with("go.mod")).map(|p| dir_of(p)).collect();
    all.iter()
        .filter(|(p, _)| modules.iter().filter(|d| under(p, d)).max_by_key(|d| d.len()) == Some(&module))
        .map(|(p, m)| (p.clone(), m.clone()))
        .collect()
}

fn check(h: &History) -> Result<(), TestCaseError> {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    git(tmp.path(), &["init", "-q", "-b", "main", repo.to_str().unwrap()]);
    let (stream, tip) = stream(h);
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .clean_in(&repo)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stream.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    if !h.side.is_empty() {
        git(&repo, &["branch", "-q", "-D", "side"]);
    }
    // A team per module at the tip; `root` holds the root module.
    let mut teams: Vec<(String, &str)> = vec![("root".into(), "")];
    for m in MODULES.iter().filter(|m| tip.contains_key(&format!("{m}/go.mod"))) {
        teams.push((format!("t-{}", m.replace('/', "-")), *m));
    }
    let mut manifest = String::from("version: 1\nteams:\n");
    for (name, dir) in &teams {
        writeln!(manifest, "  {name}:\n    packages: [\"go:{}\"]", module_path(dir)).unwrap();
    }
    let manifest_path = tmp.path().join("ownership.yaml");
    std::fs::write(&manifest_path, &manifest).unwrap();
    let out = tmp.path().join("out");
    let run = apply(&repo, &out, &["--manifest", manifest_path.to_str().unwrap()]);
    prop_assert_eq!(run.code, 0, "{}", run.stderr);
    let commits = String::from_utf8(git(&repo, &["rev-list", "main"]).stdout).unwrap();
    for (name, dir) in &teams {
        let team = out.join(format!("{name}.git"));
        let map = std::fs::read_to_string(team.join("split/commit-map")).unwrap();
        let map: BTreeMap<&str, &str> = map.lines().skip(1).filter_map(|l| l.split_once(' ')).collect();
        for c in commits.lines() {
            let want = module_files(&files(&repo, c), dir);
            match map[c] {
                new if new.bytes().all(|b| b == b'0') => {
                    // Dropped: one of its parents had the same files.
                    let parents =
                        String::from_utf8(git(&repo, &["rev-parse", &format!("{c}^@")]).stdout).unwrap();
                    let same = parents.lines().any(|p| module_files(&files(&repo, p), dir) == want)
                        || (parents.trim().is_empty() && want.is_empty());
                    prop_assert!(same, "{name} dropped {c}, which changed {want:?}\n{manifest}");
                }
                new => prop_assert_eq!(files(&team, new), want, "{} at {}\n{}", name, c, manifest),
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(12),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn each_commit_keeps_the_files_of_its_own_modules(h in history()) {
        check(&h)?;
    }
}
