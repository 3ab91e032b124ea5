//! `apply` compared with `git filter-repo` on random histories and random
//! team definitions: the same monolith commits kept, with the same trees and
//! the same parents (mapped back to monolith ids), as
//! `tests/it/apply/vs_filter_repo.rs` checks on fixtures.
//!
//! Each case writes one `git fast-import` stream (linear work, side branches,
//! 2- and 3-parent merges, merges of ancestors and of descendants, criss-cross
//! and evil merges, modes, symlinks, gitlinks, deletions, renames, empty
//! commits, commits touching only an unowned path) and a manifest of 1–3
//! teams. Which paths a team keeps is asked of git (`git ls-files` with
//! pathspecs over a scratch index), never of git-split's ownership code, and
//! handed to filter-repo as a literal path list (`--subdirectory-filter`, or
//! the list plus `--path-rename DIR/:`, for a `root:` team).
//!
//! Every tree git-split writes is also checked against the monolith's tree
//! filtered to that list (`git ls-tree`), which is how a filter-repo bug is
//! told apart from ours: where filter-repo's tree is not the filtered
//! monolith tree (its merge bug, see the test at the end), that commit and
//! its descendants are left out of the comparison.
//!
//! Each case also splits the monolith as it was halfway along `main`, then
//! all of it incrementally, and checks that this gives a run from scratch.
//!
//! `PROPTEST_CASES` sets the number of cases (default 24, about 20 s). A
//! failure prints the manifest, the history and the fast-import stream:
//! `git init -b main r && git -C r fast-import < stream` rebuilds the monolith.
//!
//! `model` generates the cases and writes their streams; this file runs
//! them and compares.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::support::NoUserConfig;
use proptest::prelude::*;

use model::*;

mod model;

// ---------------------------------------------------------------------------
// Teams: the manifest and the expected paths

struct Team {
    name: String,
    /// Pathspecs whose selection (over every path in history) the team owns.
    specs: Vec<String>,
    /// Pathspecs of the shared files it keeps besides. Selected separately:
    /// a team's `exclude` applies to its own `paths`, not to `shared`
    /// (shared files go to every team; `shared` has its own `exclude`).
    shared: Vec<String>,
    root: Option<&'static str>,
}

fn resolve(t: &Teams) -> (String, Vec<Team>) {
    let mut yaml = String::from("version: 1\nmonolith: {refs: [main]}\n");
    if t.shared {
        yaml.push_str("shared: {paths: [top.txt]}\n");
    }
    yaml.push_str("teams:\n");
    let mut out = vec![];
    for (i, def) in t.teams.iter().enumerate() {
        let name = format!("t{i}");
        let root = def.root.map(|r| ROOTS[r as usize]);
        let mut paths: Vec<&str> = def.paths.iter().map(|&p| OWNABLE[p as usize]).collect();
        if let Some(r) = root {
            // A root team owns something under its root.
            paths.retain(|p| *p == r || p.starts_with(&format!("{r}/")));
            if paths.is_empty() {
                paths.push(r);
            }
        }
        let exclude = def.exclude.map(|e| FILES[e as usize]);
        write!(yaml, "  {name}: {{paths: [{}]", paths.join(", ")).unwrap();
        if let Some(e) = exclude {
            write!(yaml, ", exclude: [{e}]").unwrap();
        }
        if let Some(r) = root {
            write!(yaml, ", root: {r}").unwrap();
        }
        yaml.push_str("}\n");
        let mut specs: Vec<String> = paths.iter().map(|p| format!(":(glob){p}")).collect();
        if let Some(e) = exclude {
            specs.push(format!(":(glob,exclude){e}"));
        }
        // A root team keeps only what it owns under its root.
        let shared = if t.shared && root.is_none() { vec![":(glob)top.txt".to_string()] } else { vec![] };
        out.push(Team { name, specs, shared, root });
    }
    (yaml, out)
}

// ---------------------------------------------------------------------------
// Running things (errors are returned, not panicked, so a failing case can
// report its stream and manifest)

fn run(cmd: &mut Command, input: Option<&[u8]>) -> Result<Output, String> {
    cmd.without_user_config()
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("LC_ALL", "C")
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("{cmd:?}: {e}"))?;
    if let Some(input) = input {
        child.stdin.take().unwrap().write_all(input).map_err(|e| format!("{cmd:?}: {e}"))?;
    }
    let out = child.wait_with_output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out)
}

fn git(dir: &Path, args: &[&str]) -> Result<Output, String> {
    run(Command::new("git").args(args).current_dir(dir), None)
}

fn text(out: Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every path that ever existed in the history of `main`.
fn all_paths(repo: &Path) -> Result<Vec<String>, String> {
    let out = git(repo, &["log", "main", "-z", "--format=", "--name-only", "--no-renames", "-m", "--root"])?;
    let set: BTreeSet<String> = crate::support::z_list(&out).into_iter().collect();
    Ok(set.into_iter().collect())
}

/// The subset of `paths` that git's pathspecs select.
fn select(repo: &Path, scratch: &Path, paths: &[String], specs: &[String]) -> Result<Vec<String>, String> {
    let index = scratch.join("index");
    let _ = std::fs::remove_file(&index);
    let empty_blob = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";
    let info: String = paths.iter().map(|p| format!("100644 {empty_blob} 0\t{p}\0")).collect();
    run(
        Command::new("git")
            .args(["update-index", "-z", "--add", "--index-info"])
            .current_dir(repo)
            .env("GIT_INDEX_FILE", &index),
        Some(info.as_bytes()),
    )?;
    let out = run(
        Command::new("git")
            .args(["ls-files", "-z", "--"])
            .args(specs)
            .current_dir(repo)
            .env("GIT_INDEX_FILE", &index),
        None,
    )?;
    Ok(crate::support::z_list(&out))
}

/// old -> new from a commit-map file (filter-repo's format, also ours).
fn read_map(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    if !lines.next().is_some_and(|h| h.split_whitespace().eq(["old", "new"])) {
        return Err(format!("{}: bad header", path.display()));
    }
    Ok(lines.filter_map(|l| l.split_once(' ')).map(|(a, b)| (a.to_string(), b.to_string())).collect())
}

/// `tree parent...` of a commit.
fn shape(git_dir: &Path, commit: &str) -> Result<(String, Vec<String>), String> {
    let s = text(git(git_dir, &["show", "-s", "--format=%T %P", commit])?);
    let mut parts = s.split_whitespace().map(str::to_string);
    Ok((parts.next().unwrap_or_default(), parts.collect()))
}

/// Runs filter-repo on a fresh clone of `src`'s main at `dst`.
fn filter_repo(src: &Path, dst: &Path, args: &[&str]) -> Result<(), String> {
    let url = format!("file://{}", src.display());
    git(
        dst.parent().unwrap(),
        &["clone", "-q", "--no-local", "--single-branch", "--branch", "main", &url, dst.to_str().unwrap()],
    )?;
    run(Command::new("git").args(["filter-repo", "--force", "--quiet"]).args(args).current_dir(dst), None)?;
    Ok(())
}

/// A `--paths-from-file` file of literal paths (one that never exists when
/// the team selects nothing: an empty file would mean no filtering).
fn path_list(dir: &Path, team: &str, selected: &[String]) -> std::path::PathBuf {
    let list = dir.join(format!("{team}.paths"));
    let lines: String = if selected.is_empty() {
        "literal:nothing/at/all\n".into()
    } else {
        selected.iter().map(|p| format!("literal:{p}\n")).collect()
    };
    std::fs::write(&list, lines).unwrap();
    list
}

/// The monolith as the comparison needs it: each commit's name (`cN`),
/// parents, and file listing (`mode type id\tpath`, from `git ls-tree -r`).
struct Monolith {
    /// Commits of main, parents first.
    order: Vec<String>,
    name: BTreeMap<String, String>,
    parents: BTreeMap<String, Vec<String>>,
    files: BTreeMap<String, Vec<(String, String)>>,
}

impl Monolith {
    fn read(repo: &Path) -> Result<Monolith, String> {
        let mut m = Monolith {
            order: vec![],
            name: BTreeMap::new(),
            parents: BTreeMap::new(),
            files: BTreeMap::new(),
        };
        for l in text(git(repo, &["log", "--topo-order", "--reverse", "--format=%H %s%n%P", "main"])?)
            .lines()
            .collect::<Vec<_>>()
            .chunks(2)
        {
            let (h, s) = l[0].split_once(' ').ok_or("bad log line")?;
            let listing = text(git(repo, &["ls-tree", "-r", "--full-tree", h])?);
            let files = listing
                .lines()
                .filter_map(|f| f.split_once('\t'))
                .map(|(meta, path)| (path.to_string(), meta.to_string()))
                .collect();
            m.order.push(h.to_string());
            m.name.insert(h.to_string(), s.to_string());
            m.parents.insert(
                h.to_string(),
                l.get(1).unwrap_or(&"").split_whitespace().map(str::to_string).collect(),
            );
            m.files.insert(h.to_string(), files);
        }
        Ok(m)
    }

    fn name(&self, c: &str) -> String {
        self.name.get(c).cloned().unwrap_or_else(|| c.to_string())
    }

    /// What the rewrite of `c` must hold: the monolith tree restricted to
    /// `selected`, hoisted out of `root` — independent of both tools.
    fn expected(&self, c: &str, selected: &BTreeSet<String>, root: Option<&str>) -> BTreeSet<String> {
        self.files[c]
            .iter()
            .filter(|(p, _)| selected.contains(p))
            .map(|(p, meta)| {
                let p = match root {
                    Some(r) => p.strip_prefix(&format!("{r}/")).unwrap_or(p),
                    None => p,
                };
                format!("{meta}\t{p}")
            })
            .collect()
    }
}

/// A rewritten commit's file listing.
fn listing(git_dir: &Path, commit: &str) -> Result<BTreeSet<String>, String> {
    Ok(text(git(git_dir, &["ls-tree", "-r", commit])?).lines().map(str::to_string).collect())
}

/// Compares our team repository with filter-repo's result, commit by commit.
///
/// Every tree of ours must be the monolith's tree filtered (checked against
/// git's listing, not against filter-repo). filter-repo 2.47 has a bug that
/// writes a wrong tree for some merges (see
/// `filter_repo_drops_side_branch_files_from_merge_whose_first_parent_history_was_pruned`);
/// a commit where filter-repo's tree is not the filtered monolith tree is
/// not compared, nor are its descendants (filter-repo builds on the wrong
/// tree); the rest is compared as usual. Returns how many commits were left
/// out that way.
fn compare(
    team: &Team,
    selected: &[String],
    ours: &Path,
    theirs: &Path,
    mono: &Monolith,
) -> Result<usize, String> {
    let t = &team.name;
    // A team with nothing in history may have no repository at all (docs/apply.md:
    // "a ref whose history has nothing of the team is not written").
    let our_map = if ours.exists() { read_map(&ours.join("split/commit-map"))? } else { BTreeMap::new() };
    let their_map = read_map(&theirs.join(".git/filter-repo/commit-map"))?;
    let selected: BTreeSet<String> = selected.iter().cloned().collect();
    let new_of = |m: &BTreeMap<String, String>, c: &str| m.get(c).filter(|n| n.as_str() != ZERO).cloned();
    let back = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        m.iter().filter(|(_, n)| n.as_str() != ZERO).map(|(o, n)| (n.clone(), o.clone())).collect()
    };
    let (our_back, their_back) = (back(&our_map), back(&their_map));

    // Trees against the oracle; filter-repo's wrong ones taint their descendants.
    let mut wrong: BTreeSet<&str> = BTreeSet::new();
    let mut tainted: BTreeSet<&str> = BTreeSet::new();
    for c in &mono.order {
        if mono.parents[c].iter().any(|p| wrong.contains(p.as_str()) || tainted.contains(p.as_str())) {
            tainted.insert(c);
        }
        let expected = mono.expected(c, &selected, team.root);
        if let Some(n) = new_of(&our_map, c) {
            let got = listing(ours, &n)?;
            if got != expected {
                return Err(format!(
                    "{t}: git-split's tree for {} is not the monolith's tree filtered\n  \
                     expected:\n{}\n  git-split:\n{}",
                    mono.name(c),
                    expected.iter().cloned().collect::<Vec<_>>().join("\n"),
                    got.iter().cloned().collect::<Vec<_>>().join("\n"),
                ));
            }
        }
        if let Some(n) = new_of(&their_map, c) {
            if listing(theirs, &n)? != expected {
                wrong.insert(c);
            }
        }
    }

    let mut diverged = Vec::new();
    for c in &mono.order {
        if tainted.contains(c.as_str()) {
            continue;
        }
        let (our_new, their_new) = (new_of(&our_map, c), new_of(&their_map, c));
        let (our_new, their_new) = match (our_new, their_new) {
            (None, None) => continue,
            (Some(a), Some(b)) => (a, b),
            (a, _) => {
                diverged.push(format!(
                    "{}: kept by {}",
                    mono.name(c),
                    if a.is_some() { "git-split only" } else { "filter-repo only" }
                ));
                continue;
            }
        };
        let (our_tree, our_parents) = shape(ours, &our_new)?;
        let (their_tree, their_parents) = shape(theirs, &their_new)?;
        if our_tree != their_tree && !wrong.contains(c.as_str()) {
            diverged.push(format!("{}: trees differ", mono.name(c)));
        }
        let to_old = |ps: &[String], back: &BTreeMap<String, String>| -> Vec<String> {
            ps.iter().map(|p| back.get(p).map(|o| mono.name(o)).unwrap_or_else(|| format!("?{p}"))).collect()
        };
        let (ours_old, theirs_old) = (to_old(&our_parents, &our_back), to_old(&their_parents, &their_back));
        if ours_old != theirs_old {
            diverged.push(format!(
                "{}: parents of the rewrite: git-split {ours_old:?}, filter-repo {theirs_old:?}",
                mono.name(c)
            ));
        }
    }
    if !diverged.is_empty() {
        return Err(format!("{t}: git-split and filter-repo disagree\n  {}", diverged.join("\n  ")));
    }
    Ok(wrong.len() + tainted.len())
}

/// One case: returns the readable history (for the failure message) and the
/// first disagreement, if any, or how many commits were left out of the
/// comparison because filter-repo's tree for them is wrong.
fn check(stream: &str, manifest: &str, teams: &[Team]) -> (String, Result<usize, String>) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let mut graph = String::new();
    let result = (|| -> Result<usize, String> {
        let mut skipped = 0;
        git(tmp.path(), &["init", "-q", "-b", "main", repo.to_str().unwrap()])?;
        run(
            Command::new("git").args(["fast-import", "--quiet"]).current_dir(&repo),
            Some(stream.as_bytes()),
        )?;
        graph =
            text(git(&repo, &["log", "--graph", "--format=%s %h", "--stat=100", "--no-renames", "main"])?);
        // Monolith ids are printed as their messages (`cN`, N = mark - 10).
        let mono = Monolith::read(&repo)?;
        let manifest_path = tmp.path().join("ownership.yaml");
        std::fs::write(&manifest_path, manifest).unwrap();
        let out = tmp.path().join("out");
        let run = crate::support::split(
            &repo,
            &["apply", "-q", "--manifest", manifest_path.to_str().unwrap(), "--out", out.to_str().unwrap()],
        );
        if run.code != 0 {
            return Err(format!("git-split apply exited {}:\n{}{}", run.code, run.stdout, run.stderr));
        }
        incremental_matches(&repo, tmp.path(), &manifest_path, &out, teams)?;
        let paths = all_paths(&repo)?;
        for team in teams {
            let mut selected = select(&repo, tmp.path(), &paths, &team.specs)?;
            if !team.shared.is_empty() {
                selected.extend(select(&repo, tmp.path(), &paths, &team.shared)?);
                selected.sort();
                selected.dedup();
            }
            let ours = out.join(format!("{}.git", team.name));
            let theirs = tmp.path().join(format!("fr-{}", team.name));
            match team.root {
                Some(root) => {
                    let under: Vec<&String> =
                        paths.iter().filter(|p| p.starts_with(&format!("{root}/"))).collect();
                    if selected.iter().collect::<Vec<_>>() == under {
                        filter_repo(&repo, &theirs, &["--subdirectory-filter", root])?;
                    } else {
                        let list = path_list(tmp.path(), &team.name, &selected);
                        let rename = format!("{root}/:");
                        filter_repo(
                            &repo,
                            &theirs,
                            &["--paths-from-file", list.to_str().unwrap(), "--path-rename", &rename],
                        )?;
                    }
                }
                None => {
                    let list = path_list(tmp.path(), &team.name, &selected);
                    filter_repo(&repo, &theirs, &["--paths-from-file", list.to_str().unwrap()])?;
                }
            }
            skipped += compare(team, &selected, &ours, &theirs, &mono)?;
        }
        Ok(skipped)
    })();
    (graph, result)
}

/// A run on the monolith as it was halfway along `main`'s first parents,
/// then a run on all of it into the same output (which reads only the
/// grown history), gives the ids, commit maps and states of a run from
/// scratch in `full`.
fn incremental_matches(
    repo: &Path,
    tmp: &Path,
    manifest: &Path,
    full: &Path,
    teams: &[Team],
) -> Result<(), String> {
    let tip = text(git(repo, &["rev-parse", "main"])?).trim().to_string();
    let len: usize =
        text(git(repo, &["rev-list", "--first-parent", "--count", "main"])?).trim().parse().unwrap();
    if len < 2 {
        return Ok(());
    }
    let out = tmp.join("out-incremental");
    let apply = |what: &str| -> Result<(), String> {
        let run = crate::support::split(
            repo,
            &["apply", "-q", "--manifest", manifest.to_str().unwrap(), "--out", out.to_str().unwrap()],
        );
        if run.code != 0 {
            return Err(format!(
                "git-split apply ({what}) exited {}:\n{}{}",
                run.code, run.stdout, run.stderr
            ));
        }
        Ok(())
    };
    git(repo, &["update-ref", "refs/heads/main", &format!("main~{}", len / 2)])?;
    let first = apply("the first half");
    git(repo, &["update-ref", "refs/heads/main", &tip])?;
    first?;
    apply("continued")?;
    for team in teams {
        let name = format!("{}.git", team.name);
        let (inc, whole) = (out.join(&name), full.join(&name));
        if inc.exists() != whole.exists() {
            return Err(format!("{}: incremental run and run from scratch disagree on existing", team.name));
        }
        if !whole.exists() {
            continue;
        }
        let refs = |d: &Path| git(d, &["for-each-ref"]).map(text);
        if refs(&inc)? != refs(&whole)? {
            return Err(format!("{}: incremental run gives other ids than a run from scratch", team.name));
        }
        let read = |d: &Path| std::fs::read(d.join("split/commit-map")).map_err(|e| e.to_string());
        let (a, b) = (read(&inc)?, read(&whole)?);
        let sorted = |x: &[u8]| {
            let mut l: Vec<&[u8]> = x.split(|&c| c == b'\n').collect();
            l.sort();
            l.into_iter().map(<[u8]>::to_vec).collect::<Vec<_>>()
        };
        // The order of lines follows the order commits were met in.
        if sorted(&a) != sorted(&b) {
            return Err(format!("{}: the commit map of the incremental run differs", team.name));
        }
        let state = |d: &Path| git_split::rewrite::state::dump(&d.join("split")).map_err(|e| e.to_string());
        if state(&inc)? != state(&whole)? {
            return Err(format!("{}: the state of the incremental run differs", team.name));
        }
    }
    Ok(())
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(24);
    ProptestConfig {
        cases,
        failure_persistence: None,
        // Each case costs a second or so; bound shrinking unless asked for more.
        max_shrink_iters: std::env::var("PROPTEST_MAX_SHRINK_ITERS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(200),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn apply_matches_filter_repo_on_random_histories(h in history(), t in teams()) {
        let stream = Model::build(&h);
        let (manifest, resolved) = resolve(&t);
        let (graph, result) = check(&stream, &manifest, &resolved);
        if let Ok(n @ 1..) = result {
            eprintln!(
                "{n} commit(s) not compared (filter-repo's merge bug: wrong tree there or in an ancestor)"
            );
        }
        if let Err(e) = result {
            prop_assert!(
                false,
                "{e}\n--- manifest\n{manifest}--- history (git log --graph main)\n{graph}\
                 --- fast-import stream (git init -b main r && git -C r fast-import < stream)\n{stream}"
            );
        }
    }
}

/// The smallest history the proptest found where filter-repo (2.47.0,
/// `a40bce548d2c`) writes a wrong tree: `c3` merges side branch `c1` (which
/// added `a/f`) into `c2` (nothing of the team) and itself deletes `a/g`.
/// `--path a` prunes `c2`, so the merge's first parent becomes `c0`, an
/// ancestor of `c1'`. `_maybe_trim_extra_parents` answers "would become a
/// non-merge, new first parent `c1'`", `_tweak_commit` recomputes the file
/// changes relative to `c1` (`D a/g`), `_prunable` finds `a/g` in `c1'` so
/// keeps the commit, which is written with parents `[c0', c1']` and those
/// changes applied on `from c0'`: its tree lacks `a/f`, although the
/// monolith's `c3` has it. git-split writes `c3` with the same parents and
/// the correct tree `{a/f, a/x/f}`; the comparison checks that against git's
/// own listing and leaves filter-repo's wrong tree out.
#[test]
fn filter_repo_drops_side_branch_files_from_merge_whose_first_parent_history_was_pruned() {
    let h = History {
        root: vec![
            Op::Write { path: 2, kind: Kind::File, val: 0 }, // a/x/f
            Op::Write { path: 1, kind: Kind::File, val: 0 }, // a/g
        ],
        steps: vec![
            Step::Commit { branch: 1, ops: vec![Op::Write { path: 0, kind: Kind::File, val: 0 }] }, // c1: a/f
            Step::Commit { branch: 0, ops: vec![Op::Write { path: 3, kind: Kind::File, val: 0 }] }, // c2: b/f
            // c3: merge side1, and delete a/g (existing: a/f a/g a/x/f b/f).
            Step::Merge { into: 0, from: vec![1], extra: vec![Op::Delete { nth: 1 }] },
        ],
    };
    let stream = Model::build(&h);
    assert!(stream.contains("merge :11\nM 100644 :1 a/f\nD a/g\n"), "{stream}");
    let t = Teams { teams: vec![TeamDef { paths: vec![0], exclude: None, root: None }], shared: false };
    let (manifest, resolved) = resolve(&t);
    let (graph, result) = check(&stream, &manifest, &resolved);
    match result {
        Ok(n) => eprintln!("filter-repo trees left out of the comparison: {n}"),
        Err(e) => panic!("{e}\n{manifest}{graph}"),
    }
}
