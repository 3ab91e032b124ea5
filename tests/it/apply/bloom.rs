//! The commit-graph's changed-path Bloom filters change no id: every team
//! of a fixture gets the same refs and commit map with or without
//! `git commit-graph write --reachable --changed-paths`, with version 1
//! and version 2 filters, a split chain, a graph that misses newer commits,
//! filters git computed for only some commits, and damaged files (read as
//! no graph). A graph whose filters rule out everything, checksum
//! corrected, changes the ids: the filters are read, and these tests
//! would see a skip taken where it must not be.

use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};

use crate::support::{apply, fixture, fixture_copy, git, NoUserConfig};

/// Teams of the `bloom` fixture: brace lists, an exclude, a hoisted root,
/// names whose bytes tell filter versions apart, a glob in the middle of
/// a path, and one team whose pattern may match anywhere (never skips).
const BLOOM_MANIFEST: &str = r#"version: 1
monolith: {refs: [main, late, topic]}
shared: {paths: [composer.json]}
policy: {unowned: allow, overlap: allow}
teams:
  acme:
    paths: ["src/Acme/Component/{Cache,Cart}", src/Acme/Component/Lock]
    exclude: [src/Acme/Component/Cart/Tests]
  cafe: {paths: ["src/Acme/Component/Café", "src/Nimbus/*/€uro", "src/Nimbus/Component/Naïve"]}
  nimbus: {paths: [src/Nimbus/Component, src/Nimbus/Bridge/Mailer2]}
  bridges: {paths: ["src/{Acme,Nimbus}/Bridge/*/Tests"]}
  sdk: {paths: [src/Acme/Component/Cache], root: src/Acme/Component/Cache}
  docs: {paths: ["**/*.md", LICENSE]}
"#;

/// Each team repository's refs and commit map, one after the other.
fn ids(out: &Path) -> String {
    let mut teams: Vec<PathBuf> = std::fs::read_dir(out).unwrap().map(|e| e.unwrap().path()).collect();
    teams.sort();
    let mut s = String::new();
    for t in teams.iter().filter(|t| t.extension().is_some_and(|e| e == "git")) {
        let refs = git(t, &["for-each-ref", "--format=%(objectname) %(refname)"]);
        s.push_str(&format!("== {}\n{}", t.display(), String::from_utf8_lossy(&refs.stdout)));
        s.push_str(&std::fs::read_to_string(t.join("split/commit-map")).unwrap());
    }
    s.replace(&out.display().to_string(), "OUT")
}

/// `apply` of `repo` into a new directory; the ids it wrote.
fn split_ids(repo: &Path, extra: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let run = apply(repo, &out, extra);
    assert_eq!(run.code, 0, "{}", run.stderr);
    ids(&out)
}

/// git in `repo` with `input` on its standard input.
fn git_with_input(repo: &Path, args: &[&str], input: &[u8]) {
    let mut cmd = std::process::Command::new("git");
    cmd.current_dir(repo).without_user_config().args(args);
    let mut child = cmd.stdin(std::process::Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input).unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success(), "git {args:?}");
}

/// A commit-graph, as a test sets one up.
#[derive(Clone, Copy, Debug)]
enum Graph {
    /// `--reachable --changed-paths` with filters of version 1 or 2.
    Filters(&'static str),
    /// The older half of history in a base layer, the rest in a layer on top.
    Chain,
    /// Written half-way through history: later commits are not in it.
    Stale,
    /// git computed filters for a few commits only (`--max-new-filters`).
    Few,
    /// A byte of the filters flipped, the checksum left as it was.
    Flipped,
    /// The file cut in half.
    Truncated,
    /// A chain naming a layer that is not there.
    MissingLayer,
}

fn write_graph(repo: &Path, graph: Graph) {
    let write = |version: &str, extra: &[&str]| {
        let setting = format!("commitGraph.changedPathsVersion={version}");
        let args = [&["-c", &setting, "commit-graph", "write", "--changed-paths"], extra].concat();
        git(repo, &args);
    };
    let file = repo.join(".git/objects/info/commit-graph");
    // Half-way down the first parents: older commits, and newer ones.
    let count = git(repo, &["rev-list", "--count", "--first-parent", "main"]).stdout;
    let half = format!("main~{}", String::from_utf8(count).unwrap().trim().parse::<usize>().unwrap() / 2);
    match graph {
        Graph::Filters(v) => write(v, &["--reachable"]),
        Graph::Chain | Graph::MissingLayer => {
            let base = git(repo, &["rev-parse", &half]).stdout;
            let setting = "commitGraph.changedPathsVersion=2";
            let args =
                ["-c", setting, "commit-graph", "write", "--split", "--stdin-commits", "--changed-paths"];
            git_with_input(repo, &args, &base);
            write("2", &["--reachable", "--split=no-merge"]);
            let chain = repo.join(".git/objects/info/commit-graphs/commit-graph-chain");
            assert_eq!(std::fs::read_to_string(&chain).unwrap().lines().count(), 2);
            if matches!(graph, Graph::MissingLayer) {
                let text = std::fs::read_to_string(&chain).unwrap();
                std::fs::write(&chain, format!("{}\n{text}", "0".repeat(40))).unwrap();
            }
        }
        Graph::Stale => {
            let old = git(repo, &["rev-parse", &half]).stdout;
            let setting = "commitGraph.changedPathsVersion=2";
            git_with_input(
                repo,
                &["-c", setting, "commit-graph", "write", "--stdin-commits", "--changed-paths"],
                &old,
            );
        }
        Graph::Few => write("2", &["--reachable", "--max-new-filters=12"]),
        Graph::Flipped => {
            write("2", &["--reachable"]);
            let mut bytes = std::fs::read(&file).unwrap();
            let (start, end) = bdat(&bytes);
            bytes[(start + end) / 2] ^= 0x10;
            replace(&file, &bytes);
        }
        Graph::Truncated => {
            write("2", &["--reachable"]);
            let bytes = std::fs::read(&file).unwrap();
            replace(&file, &bytes[..bytes.len() / 2]);
        }
    }
}

/// Replaces a read-only file git wrote.
fn replace(file: &Path, bytes: &[u8]) {
    std::fs::remove_file(file).unwrap();
    std::fs::write(file, bytes).unwrap();
}

/// Where the filters of a commit-graph file are: its BDAT chunk past the
/// chunk's header.
fn bdat(b: &[u8]) -> (usize, usize) {
    let chunks = usize::from(b[6]);
    let entry = |i: usize| {
        let e = &b[8 + 12 * i..8 + 12 * (i + 1)];
        (&e[..4], u64::from_be_bytes(e[4..].try_into().unwrap()) as usize)
    };
    let i = (0..chunks).find(|&i| entry(i).0 == b"BDAT").expect("a BDAT chunk");
    (entry(i).1 + 12, entry(i + 1).1)
}

/// The ids of `fixture` split with `extra` arguments, without a graph and
/// with each kind of graph, must all be the same.
fn same_ids_with_every_graph(fixture_name: &str, extra: &[&str]) {
    let plain = split_ids(&fixture(fixture_name), extra);
    let graphs = [
        Graph::Filters("1"),
        Graph::Filters("2"),
        Graph::Chain,
        Graph::Stale,
        Graph::Few,
        Graph::Flipped,
        Graph::Truncated,
        Graph::MissingLayer,
    ];
    for graph in graphs {
        let (_tmp, repo) = fixture_copy(fixture_name);
        write_graph(&repo, graph);
        assert_eq!(split_ids(&repo, extra), plain, "{fixture_name} with {graph:?}");
    }
}

fn bloom_manifest() -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ownership.yaml");
    std::fs::write(&path, BLOOM_MANIFEST).unwrap();
    let path = path.to_str().unwrap().to_string();
    (tmp, path)
}

#[test]
fn deep_paths_renames_and_merges_get_the_same_ids() {
    let (_m, manifest) = bloom_manifest();
    same_ids_with_every_graph("bloom", &["--manifest", &manifest]);
}

#[test]
fn packages_resolved_per_commit_get_the_same_ids() {
    same_ids_with_every_graph("pkg_history", &[]);
}

/// A workspace member's package is only one in some commits, decided by a
/// file outside it: a skip must not reach across that.
#[test]
fn a_membership_change_outside_the_member_is_not_skipped() {
    same_ids_with_every_graph("bloom_packages", &[]);
}

#[test]
fn the_monolith_fixture_gets_the_same_ids() {
    same_ids_with_every_graph("monolith", &[]);
}

/// An incremental run over commits the graph does not have, after a first
/// run that used it, ends where a run from scratch without a graph does.
#[test]
fn an_incremental_run_past_the_graph_gets_the_same_ids() {
    let (_m, manifest) = bloom_manifest();
    let args = ["--manifest", manifest.as_str()];
    let plain = split_ids(&fixture("bloom"), &args);
    let (_tmp, repo) = fixture_copy("bloom");
    let tip = String::from_utf8(git(&repo, &["rev-parse", "main"]).stdout).unwrap();
    git(&repo, &["update-ref", "refs/heads/main", "main~5"]);
    write_graph(&repo, Graph::Filters("2"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert_eq!(apply(&repo, &out, &args).code, 0);
    git(&repo, &["update-ref", "refs/heads/main", tip.trim()]);
    let run = apply(&repo, &out, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(ids(&out), plain);
}

/// Filters that rule out every path (all zero, checksum corrected) make
/// every commit look unchanged: the ids must differ, or the filters were
/// never read and the tests above prove nothing.
#[test]
fn filters_that_rule_out_everything_are_believed() {
    let (_m, manifest) = bloom_manifest();
    let args = ["--manifest", manifest.as_str()];
    let plain = split_ids(&fixture("bloom"), &args);
    let (_tmp, repo) = fixture_copy("bloom");
    write_graph(&repo, Graph::Filters("2"));
    let file = repo.join(".git/objects/info/commit-graph");
    let mut bytes = std::fs::read(&file).unwrap();
    let (start, end) = bdat(&bytes);
    bytes[start..end].fill(0);
    let body = bytes.len() - 20;
    let sum = Sha1::digest(&bytes[..body]);
    bytes[body..].copy_from_slice(&sum);
    replace(&file, &bytes);
    assert_ne!(split_ids(&repo, &args), plain);
}
