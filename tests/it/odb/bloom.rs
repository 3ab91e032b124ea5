//! The commit-graph's changed-path Bloom filters against git: for every
//! commit of the `bloom` fixture, every path git says it changed (against
//! its first parent, as git builds the filters) and each leading directory
//! must test "maybe" in the filter git wrote, never "no"; for version 1
//! and version 2 filters, in one file and in a split chain. The share of
//! unchanged paths that test "maybe" (false positives) is printed, and
//! bounded so that a reader answering "maybe" to everything fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support::{fixture_copy, git, NoUserConfig};
use git_split::odb::bloom::{Answer, ChangedPaths, Key, Settings};

/// Each commit of every ref, with the paths git says it changed and their
/// leading directories.
fn changed_paths(repo: &Path) -> BTreeMap<[u8; 20], BTreeSet<Vec<u8>>> {
    let args = [
        "-c",
        "core.quotePath=false",
        "log",
        "--all",
        "--format=C %H",
        "--name-only",
        "--no-renames",
        "--diff-merges=first-parent",
        "--root",
    ];
    let out = git(repo, &args);
    let mut map = BTreeMap::new();
    let mut current: Option<[u8; 20]> = None;
    for line in out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if let Some(hex) = line.strip_prefix(b"C ") {
            let id = git2::Oid::from_str(std::str::from_utf8(hex).unwrap()).unwrap();
            let id: [u8; 20] = id.as_bytes().try_into().unwrap();
            map.insert(id, BTreeSet::new());
            current = Some(id);
            continue;
        }
        let paths = map.get_mut(&current.expect("a commit line first")).unwrap();
        let mut path = line.to_vec();
        loop {
            paths.insert(path.clone());
            match path.iter().rposition(|&b| b == b'/') {
                Some(slash) => path.truncate(slash),
                None => break,
            }
        }
    }
    map
}

/// What one graph's check found.
struct Found {
    settings: Settings,
    /// Changed paths tested.
    changed: usize,
    /// Unchanged paths tested, and how many of them tested "maybe".
    unchanged: usize,
    false_positives: usize,
    /// Changed paths with a high-bit byte that the other version's hashing rules out.
    other_version_misses: usize,
}

fn check(repo: &Path, label: &str) -> Found {
    let graph = ChangedPaths::open(&repo.join("objects"))
        .unwrap_or_else(|e| panic!("{label}: {e}"))
        .unwrap_or_else(|| panic!("{label}: no filters found"));
    let commits = changed_paths(repo);
    assert_eq!(graph.len(), commits.len(), "{label}: commits in the graph");
    let every: BTreeSet<&Vec<u8>> = commits.values().flatten().collect();
    let mut found = Found {
        settings: graph.filter(commits.keys().next().unwrap()).unwrap().settings(),
        changed: 0,
        unchanged: 0,
        false_positives: 0,
        other_version_misses: 0,
    };
    for (id, paths) in &commits {
        let filter = graph.filter(id).unwrap_or_else(|| panic!("{label}: no filter for a commit"));
        let other = Settings { hash_version: 3 - filter.settings().hash_version, ..filter.settings() };
        for path in paths {
            found.changed += 1;
            let name = String::from_utf8_lossy(path);
            assert_eq!(filter.test(path), Answer::Maybe, "{label}: {name} ruled out");
            if path.iter().any(|&b| b >= 0x80) && filter.test_key(&Key::new(path, other)) == Answer::No {
                found.other_version_misses += 1;
            }
        }
        // git stores a commit with more changes than a filter holds as a full filter.
        if paths.len() > 512 {
            assert!(every.iter().all(|p| filter.test(p) == Answer::Maybe), "{label}: full filter");
            continue;
        }
        for path in every.iter().filter(|p| !paths.contains(**p)) {
            found.unchanged += 1;
            found.false_positives += usize::from(filter.test(path) == Answer::Maybe);
        }
    }
    let rate = found.false_positives as f64 / found.unchanged as f64;
    println!(
        "{label}: {} changed paths all maybe; {} of {} unchanged maybe ({:.2}% false positives)",
        found.changed,
        found.false_positives,
        found.unchanged,
        100.0 * rate
    );
    assert!(rate < 0.1, "{label}: {:.1}% false positives", 100.0 * rate);
    found
}

/// `git commit-graph write --reachable --changed-paths` with filters of `version`.
fn write_graph(repo: &Path, version: &str, extra: &[&str]) {
    let setting = format!("commitGraph.changedPathsVersion={version}");
    let args = [&["-c", &setting, "commit-graph", "write", "--reachable", "--changed-paths"], extra].concat();
    git(repo, &args);
}

#[test]
fn version_1_and_2_filters_never_rule_out_a_changed_path() {
    for version in ["1", "2"] {
        let (_tmp, work) = fixture_copy("bloom");
        let repo = work.join(".git");
        write_graph(&repo, version, &[]);
        assert!(repo.join("objects/info/commit-graph").is_file());
        let found = check(&repo, &format!("version {version}"));
        assert_eq!(found.settings.hash_version.to_string(), version);
        // The fixture's high-bit names tell the versions apart, so a reader
        // hashing with the wrong one would fail above.
        assert!(found.other_version_misses > 0, "version {version}: the fixture tells versions apart");
    }
}

#[test]
fn a_split_chain_is_read_layer_by_layer() {
    let (_tmp, work) = fixture_copy("bloom");
    let repo = work.join(".git");
    // The older half of the history in a base layer, the rest on top.
    let base = git(&repo, &["rev-parse", "main~20"]);
    let setting = "commitGraph.changedPathsVersion=2";
    let mut cmd = std::process::Command::new("git");
    cmd.current_dir(&repo).without_user_config();
    cmd.args(["-c", setting, "commit-graph", "write", "--split", "--stdin-commits", "--changed-paths"]);
    let mut child = cmd.stdin(std::process::Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &base.stdout).unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    write_graph(&repo, "2", &["--split=no-merge"]);
    let chain = std::fs::read_to_string(repo.join("objects/info/commit-graphs/commit-graph-chain")).unwrap();
    assert_eq!(chain.lines().count(), 2, "two layers: {chain}");
    assert!(!repo.join("objects/info/commit-graph").exists());
    check(&repo, "split chain");
}

#[test]
fn no_commit_graph_is_no_filters_and_a_damaged_one_is_named() {
    let (_tmp, work) = fixture_copy("bloom");
    let objects = work.join(".git/objects");
    assert!(ChangedPaths::open(&objects).unwrap().is_none());
    // A graph without filters is none either.
    git(&work, &["commit-graph", "write", "--reachable"]);
    assert!(ChangedPaths::open(&objects).unwrap().is_none());
    let graph = objects.join("info/commit-graph");
    // One bit flipped anywhere, filters included, fails the checksum.
    git(&work, &["commit-graph", "write", "--reachable", "--changed-paths"]);
    let mut bytes = std::fs::read(&graph).unwrap();
    assert!(ChangedPaths::open(&objects).unwrap().is_some());
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::remove_file(&graph).unwrap();
    std::fs::write(&graph, &bytes).unwrap();
    let err = ChangedPaths::open(&objects).err().expect("a flipped bit is an error");
    assert!(err.to_string().contains("checksum"), "{err}");
    bytes.truncate(40);
    std::fs::write(&graph, bytes).unwrap();
    let err = ChangedPaths::open(&objects).err().expect("a cut-short graph is an error");
    assert!(err.to_string().contains("info/commit-graph"), "{err}");
}
