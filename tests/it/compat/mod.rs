//! `compat: subtree` teams compared with real `git subtree split`, and
//! `compat: splitsh-legacy` teams checked against git subtree where the two
//! tools' rules coincide and against hand-derived values where they differ.
//!
//! git subtree leaves its whole mapping in `.git/subtree-cache/<pid>/`: one
//! file per monolith commit it mapped, holding the split commit (or the
//! commit itself, for a commit without the directory whose parent was
//! mapped). The tests compare that mapping, commit by commit, with the
//! `split/state` git-split saved, and the split tip with the team's branch.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{digest, fixture, fixture_copy, git, split};

/// The git that ships `git subtree` (the one first on PATH may not).
pub const SUBTREE_GIT: &str = "/usr/bin/git";

/// Runs `git subtree split --prefix=PREFIX REV` in `repo` (a work tree it
/// may write to); returns the split tip (None when git subtree finds no
/// commit) and its mapping `old -> new`.
pub fn subtree_split(repo: &Path, prefix: &str, rev: &str) -> (Option<String>, BTreeMap<String, String>) {
    let cache = repo.join(".git/subtree-cache");
    let _ = std::fs::remove_dir_all(&cache);
    // git subtree wants the prefix in the work tree, whatever the revision.
    std::fs::create_dir_all(repo.join(prefix)).unwrap();
    let out = Command::new(SUBTREE_GIT)
        .args(["subtree", "split", "-q", &format!("--prefix={prefix}"), rev])
        .current_dir(repo)
        .without_user_config()
        .env("HOME", repo)
        .env("LC_ALL", "C")
        .output()
        .expect("run git subtree");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tip = if out.status.success() {
        Some(String::from_utf8(out.stdout).unwrap().trim().to_string())
    } else {
        assert!(stderr.contains("no new revisions were found"), "git subtree split failed: {stderr}");
        None
    };
    let mut map = BTreeMap::new();
    for run in std::fs::read_dir(&cache).unwrap() {
        for f in std::fs::read_dir(run.unwrap().path()).unwrap() {
            let f = f.unwrap();
            let name = f.file_name().to_string_lossy().into_owned();
            if name.len() == 40 {
                map.insert(name, std::fs::read_to_string(f.path()).unwrap().trim().to_string());
            }
        }
    }
    (tip, map)
}

/// What git-split saved for a compat team: `old -> (kind, new)`.
pub fn compat_state(team_repo: &Path) -> Vec<(String, char, Option<String>)> {
    let state = std::fs::read_to_string(team_repo.join("split/state")).unwrap();
    assert!(state.starts_with("git-split-compat-state 1\n"), "{state}");
    state
        .lines()
        .filter_map(|l| l.strip_prefix("c "))
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f[0].to_string(), f[1].chars().next().unwrap(), (f[2] != "-").then(|| f[2].to_string()))
        })
        .collect()
}

/// git subtree's mapping as git-split's state predicts it.
pub fn expected_cache(state: &[(String, char, Option<String>)]) -> BTreeMap<String, String> {
    state
        .iter()
        .filter_map(|(old, kind, new)| match kind {
            'n' => None,
            's' => Some((old.clone(), old.clone())),
            _ => Some((old.clone(), new.clone().unwrap())),
        })
        .collect()
}

fn manifest(dir: &Path, refs: &str, teams: &[(&str, &str, Option<&str>)]) -> PathBuf {
    let mut y = format!("version: 1\nmonolith:\n  refs: [{refs}]\nteams:\n");
    for (name, root, compat) in teams {
        y.push_str(&format!("  {name}:\n    paths: [\"{root}\"]\n    root: \"{root}\"\n"));
        if let Some(c) = compat {
            y.push_str(&format!("    compat: {c}\n"));
        }
    }
    y.push_str("policy: {unowned: allow, overlap: allow}\n");
    let path = dir.join("ownership.yaml");
    std::fs::write(&path, y).unwrap();
    path
}

/// Runs a fixture `script` (bash, with `$1` the fixtures directory, for
/// `lib.sh`, and `$2` the repository).
fn run_script(tmp: &Path, repo: &Path, script: &str) {
    let st = Command::new("bash")
        .args(["-c", script, "x", crate::support::fixtures_dir().to_str().unwrap(), repo.to_str().unwrap()])
        .env("TMPDIR", tmp)
        .status()
        .unwrap();
    assert!(st.success(), "fixture script failed");
}

/// A manifest splitting `d` on `main` twice: as git subtree and as splitsh's legacy mode do.
fn sub_and_legacy(dir: &Path) -> PathBuf {
    manifest(dir, "main", &[("sub", "d", Some("subtree")), ("legacy", "d", Some("splitsh-legacy"))])
}

fn apply(repo: &Path, manifest: &Path, out: &Path) {
    let r = crate::support::apply(repo, out, &["--manifest", manifest.to_str().unwrap()]);
    assert_eq!(r.code, 0, "apply failed: {}{}", r.stdout, r.stderr);
}

fn rev_parse(repo: &Path, rev: &str) -> String {
    String::from_utf8(git(repo, &["rev-parse", rev]).stdout).unwrap().trim().to_string()
}

/// The raw object of the commit with this subject, reachable from `rev`.
fn find_commit(repo: &Path, rev: &str, subject: &str) -> Option<(String, Vec<u8>)> {
    let out = git(repo, &["log", "--format=%H %s", rev]);
    let line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| &l[41..] == subject)
        .map(|l| l[..40].to_string())?;
    let raw = git(repo, &["cat-file", "commit", &line]).stdout;
    Some((line, raw))
}

fn assert_same_as_subtree(monolith: &Path, team_repo: &Path, prefix: &str, refs: &[&str]) {
    let state = compat_state(team_repo);
    for rev in refs {
        let (tip, cache) = subtree_split(monolith, prefix, rev);
        // git subtree maps only the commits of `rev`; ours cover every ref.
        let ours: BTreeMap<String, String> =
            expected_cache(&state).into_iter().filter(|(old, _)| cache.contains_key(old)).collect();
        assert_eq!(ours, cache, "{prefix} at {rev}: mapping differs from git subtree's");
        let dropped: Vec<&String> = state
            .iter()
            .filter(|(old, k, _)| *k == 'n' && cache.contains_key(old))
            .map(|(old, _, _)| old)
            .collect();
        assert!(dropped.is_empty(), "git subtree mapped commits we dropped: {dropped:?}");
        let ref_name = format!("refs/heads/{rev}");
        let team_tip = Command::new("git")
            .args(["rev-parse", "--verify", "-q", &ref_name])
            .current_dir(team_repo)
            .output()
            .unwrap();
        let team_tip = String::from_utf8(team_tip.stdout).unwrap().trim().to_string();
        assert_eq!(Some(team_tip), tip, "{prefix} at {rev}: split tip");
    }
}

#[test]
fn fixture_splits_agree_with_git_subtree() {
    let tmp = tempfile::tempdir().unwrap();
    let src = fixture("subtree");
    let before = digest(&src);
    let m = manifest(
        tmp.path(),
        "main, deleted-tip",
        &[("sub", "lib/sub", Some("subtree")), ("lib", "lib", Some("subtree")), ("plain", "lib/sub", None)],
    );
    let out = tmp.path().join("out");
    apply(&src, &m, &out);
    assert_eq!(before, digest(&src), "the monolith is unchanged");

    let (_keep, work) = fixture_copy("subtree");
    assert_same_as_subtree(&work, &out.join("sub.git"), "lib/sub", &["main", "deleted-tip"]);
    assert_same_as_subtree(&work, &out.join("lib.git"), "lib", &["main"]);

    // No labels on compat teams, labels on the others in the same run.
    let log = |team: &str| {
        let o =
            git(&out.join(format!("{team}.git")), &["log", "--format=%(trailers:key=Split-Source)", "main"]);
        String::from_utf8(o.stdout).unwrap()
    };
    assert!(!log("sub").contains("Split-Source"));
    assert!(log("plain").contains("Split-Source"));
    // The commit map lists every commit considered, zeros for those with no
    // commit of their own.
    let map = std::fs::read_to_string(out.join("sub.git/split/commit-map")).unwrap();
    let state = compat_state(&out.join("sub.git"));
    assert_eq!(map.lines().count(), state.len() + 1);
    for ((old, kind, new), line) in state.iter().zip(map.lines().skip(1)) {
        let want = match kind {
            'c' => new.clone().unwrap(),
            _ => "0".repeat(40),
        };
        assert_eq!(line, format!("{old} {want}"));
    }
    // git subtree links the re-created directory to the monolith commit
    // that had none; the team repository carries that history, complete.
    let recreated = find_commit(&out.join("sub.git"), "main", "sub: re-created").unwrap();
    let parent = String::from_utf8_lossy(&recreated.1).lines().nth(1).unwrap().to_string();
    assert_eq!(parent, format!("parent {}", rev_parse(&src, "main~2")));
    git(&out.join("sub.git"), &["fsck", "--strict", "--no-dangling"]);
}

#[test]
fn splitsh_legacy_differs_where_its_rules_do() {
    let tmp = tempfile::tempdir().unwrap();
    let src = fixture("subtree");
    let m = manifest(
        tmp.path(),
        "main",
        &[("sub", "lib/sub", Some("subtree")), ("legacy", "lib/sub", Some("splitsh-legacy"))],
    );
    let out = tmp.path().join("out");
    apply(&src, &m, &out);
    let legacy = out.join("legacy.git");
    let subtree = out.join("sub.git");
    let msg = |raw: &[u8]| parts(raw).1;

    // A subject-only message gains a blank line; a subject + body message
    // is kept as it is.
    let (_, c) = find_commit(&legacy, "before-delete", "sub: c").unwrap();
    assert_eq!(msg(&c), b"sub: c\n\n");
    let (_, b) = find_commit(&legacy, "before-delete", "sub: b").unwrap();
    assert_eq!(msg(&b), b"sub: b\n\nWith a body.\n\nSigned-off-by: Ada Author <ada@example.com>\n");
    // Leading blank lines go, the two subject lines are joined (the spaces
    // before the newline with it), the body loses its leading newlines.
    let (_, k) =
        find_commit(&legacy, "before-delete", "subject after blank lines second subject line").unwrap();
    assert_eq!(msg(&k), b"subject after blank lines second subject line\n\nbody\r\n");
    // An empty e-mail becomes nobody@example.com (git subtree keeps `<>`);
    // libgit2 trims crud from the ends of names (the `;`) and keeps the
    // rest (git subtree's `read` ate the backslash too).
    assert_libgit2_identities(&legacy);
    let (_, f) = find_commit(&subtree, "before-delete", "sub: f by someone without e-mail").unwrap();
    assert_eq!(header(&f, "author").unwrap(), "author Ada Author <> 1700001560 +0000");
    let (_, g) = find_commit(&subtree, "before-delete", "sub: g, odd idents").unwrap();
    assert_eq!(header(&g, "author").unwrap(), "author OddName <odd@example.com> 1700100000 +0000");
    // A declared Latin-1 message: splitsh copies the bytes and drops the
    // header; git subtree re-encodes to UTF-8.
    let (_, i) = git_log_commit(&legacy, "before-delete", b"sub: caf\xe9 (Latin-1, declared)");
    assert!(header(&i, "encoding").is_none());
    assert_eq!(msg(&i), b"sub: caf\xe9 (Latin-1, declared)\n\nbody \xff\n");
    let (_, i) = git_log_commit(&subtree, "before-delete", "sub: café (Latin-1, declared)".as_bytes());
    assert_eq!(msg(&i), "sub: café (Latin-1, declared)\n\nbody \u{ff}\n".as_bytes());
    // `-s ours` merge: no ancestry check, the identical parent is reused;
    // git subtree copies the merge to keep the side's history.
    assert!(find_commit(&legacy, "before-delete", "Merge ours-side with -s ours").is_none());
    assert!(find_commit(&subtree, "before-delete", "Merge ours-side with -s ours").is_some());
    // Two branches with the same change: the last identical parent is reused.
    assert!(find_commit(&legacy, "before-delete", "Merge same2 (identical lib/sub)").is_none());
    assert!(find_commit(&subtree, "before-delete", "Merge same2 (identical lib/sub)").is_some());
    // The re-created directory starts a new root (splitsh maps a commit
    // without the directory to nothing).
    let (_, r) = find_commit(&legacy, "main", "sub: re-created").unwrap();
    assert!(header(&r, "parent").is_none(), "{}", String::from_utf8_lossy(&r));
    assert!(
        git(&legacy, &["rev-list", "main"]).stdout.len() < git(&subtree, &["rev-list", "main"]).stdout.len()
    );
}

/// Header lines and message of a raw commit.
fn parts(raw: &[u8]) -> (Vec<String>, Vec<u8>) {
    let p = raw.windows(2).position(|w| w == b"\n\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..p]).lines().map(str::to_string).collect();
    (head, raw[p + 2..].to_vec())
}

/// The header line of a raw commit that starts with `key`.
fn header(raw: &[u8], key: &str) -> Option<String> {
    parts(raw).0.into_iter().find(|l| l.starts_with(&format!("{key} ")))
}

/// The identities libgit2 writes, as both splitsh modes have them on the
/// `subtree` fixture: crud trimmed from the ends of names (the `;`, the
/// blanks around the e-mail), `-0000` as `+0000`, an empty e-mail as
/// nobody@example.com.
fn assert_libgit2_identities(repo: &Path) {
    let (_, g) = find_commit(repo, "before-delete", "sub: g, odd idents").unwrap();
    assert_eq!(header(&g, "author").unwrap(), "author Odd\\Name <odd@example.com> 1700100000 +0000");
    assert_eq!(
        header(&g, "committer").unwrap(),
        "committer Cy \"C\" Committer <cy@example.com> 1700100060 +0530"
    );
    let (_, f) = find_commit(repo, "before-delete", "sub: f by someone without e-mail").unwrap();
    assert_eq!(header(&f, "author").unwrap(), "author Ada Author <nobody@example.com> 1700001560 +0000");
}

/// Like [`find_commit`], for a subject that is not UTF-8.
fn git_log_commit(repo: &Path, rev: &str, subject: &[u8]) -> (String, Vec<u8>) {
    let out = git(repo, &["rev-list", rev]);
    for id in String::from_utf8(out.stdout).unwrap().lines() {
        let raw = git(repo, &["cat-file", "commit", id]).stdout;
        let p = raw.windows(2).position(|w| w == b"\n\n").unwrap();
        if raw[p + 2..].starts_with(subject) {
            return (id.to_string(), raw);
        }
    }
    panic!("no commit {}", String::from_utf8_lossy(subject));
}

/// Where the two tools' rules coincide (messages already `subject\n\nbody`,
/// e-mails present, no merge of unrelated or unmerged split history, the
/// directory never deleted), splitsh-legacy ids are git subtree's.
#[test]
fn splitsh_legacy_equals_git_subtree_where_rules_coincide() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let script = r#"
source "$1/lib.sh"
start "$2"
put d/a; put o; commit "root

body of root"
git checkout -q -b side; put o "o2"; commit "side: other only

body"
git checkout -q main; put d/b; commit "d: b

body"
merge side "Merge side

A branch that did not touch d."
git checkout -q -b side2; put d/c; commit "d: c on side2

body"
git checkout -q main; put o "o3"; commit "main: other

body"
merge side2 "Merge side2

A branch that touched d while main did not."
put d/e; commit "d: e

body with

paragraphs
"
"#;
    run_script(tmp.path(), &repo, script);
    let m = sub_and_legacy(tmp.path());
    let out = tmp.path().join("out");
    apply(&repo, &m, &out);
    let (tip, _) = subtree_split(&repo, "d", "main");
    let tip = tip.unwrap();
    assert_eq!(rev_parse(&out.join("legacy.git"), "main"), tip);
    assert_eq!(rev_parse(&out.join("sub.git"), "main"), tip);
}

/// Growing the monolith and re-running continues the saved split and gives
/// the ids of a run from scratch, for compat and normal teams together.
#[test]
fn incremental_runs_give_from_scratch_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let (_keep, work) = fixture_copy("subtree");
    let full = rev_parse(&work, "main");
    let teams = [
        ("sub", "lib/sub", Some("subtree")),
        ("legacy", "lib/sub", Some("splitsh-legacy")),
        ("latest", "lib/sub", Some("splitsh")),
        ("plain", "lib/sub", None),
    ];
    let m = manifest(tmp.path(), "main", &teams);
    let inc = tmp.path().join("inc");
    // Three steps: before the criss-cross, before the directory is deleted,
    // and the whole history.
    let log =
        String::from_utf8_lossy(&git(&work, &["log", "--first-parent", "--format=%H %s", "main"]).stdout)
            .into_owned();
    let at = |subject: &str| log.lines().find(|l| &l[41..] == subject).unwrap()[..40].to_string();
    let mut states = Vec::new();
    for step in [at("Merge same2 (identical lib/sub)"), at("delete lib/sub"), full.clone()] {
        git(&work, &["update-ref", "refs/heads/main", &step]);
        apply(&work, &m, &inc);
        states.push(std::fs::read_to_string(inc.join("sub.git/split/state")).unwrap());
    }
    let scratch = tmp.path().join("scratch");
    apply(&work, &m, &scratch);
    // One team alone gets the ids it gets among others.
    let alone = tmp.path().join("alone");
    let r = split(
        &work,
        &[
            "apply",
            "-q",
            "--team",
            "sub",
            "--manifest",
            m.to_str().unwrap(),
            "--out",
            alone.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(crate::support::refs(&alone.join("sub.git")), crate::support::refs(&scratch.join("sub.git")));
    for (team, _, _) in teams {
        let a = inc.join(format!("{team}.git"));
        let b = scratch.join(format!("{team}.git"));
        assert_eq!(crate::support::refs(&a), crate::support::refs(&b), "{team}");
        assert_eq!(
            std::fs::read_to_string(a.join("split/commit-map")).unwrap().lines().count(),
            std::fs::read_to_string(b.join("split/commit-map")).unwrap().lines().count(),
            "{team}"
        );
        crate::support::assert_only_reachable(&a, team);
    }
    // Each run continued the previous one: its commits come first, unchanged.
    let commits = |s: &str| s.lines().filter(|l| l.starts_with("c ")).map(str::to_string).collect::<Vec<_>>();
    for w in states.windows(2) {
        let (a, b) = (commits(&w[0]), commits(&w[1]));
        assert!(a.len() < b.len() && b.starts_with(&a));
    }
    assert_same_as_subtree(&work, &inc.join("sub.git"), "lib/sub", &["main"]);
}

// ---------------------------------------------------------------------------
// Random histories against git subtree.
//
// Each case writes a `git fast-import` stream: commits on main and on side
// branches that write files inside and outside `d`, delete `d`, or change
// nothing; merges of one or two branches whose tree is ours, theirs, or
// the union (so merges with identical, unrelated and unmerged sides all
// occur); authors with and without e-mail; messages with and without a
// trailing newline, with blank lines, Latin-1 with and without an
// `encoding` header. `PROPTEST_CASES` sets the number of cases (default
// 10: git subtree is a slow shell script). A failure prints the stream:
// `git init -b main r && git -C r fast-import < stream` rebuilds it.

use crate::support::NoUserConfig;
use proptest::prelude::*;

const PFILES: [&str; 5] = ["d/a", "d/b", "d/x/c", "o", "e/f"];
const PBRANCHES: u8 = 3;
const MESSAGES: [&[u8]; 7] = [
    b"plain\n",
    b"no newline",
    b"subject\n\nbody\n",
    b"\n\nleading blank lines\n",
    b"two\nline subject  \n\n\nbody\r\n",
    b"caf\xe9 latin-1\n",
    b"",
];
const AUTHORS: [&str; 3] = ["Ada <ada@example.com>", "No Mail <>", "Cy C <cy@example.com>"];

#[derive(Clone, Debug)]
enum PStep {
    /// Write `files` (index, value) on a branch; `None` deletes `d`.
    Commit { branch: u8, files: Option<Vec<(u8, u8)>>, msg: u8, author: u8, encoding: bool },
    /// Reset a side branch to main's tip.
    Fork { branch: u8 },
    /// Merge `from` into `into`; `how`: 0 union, 1 ours, 2 theirs.
    Merge { into: u8, from: Vec<u8>, how: u8 },
}

fn pstep() -> impl Strategy<Value = PStep> {
    let files = prop::option::weighted(0.9, prop::collection::vec((0u8..5, 0u8..3), 0..=2));
    prop_oneof![
        6 => (0..PBRANCHES, files, 0..MESSAGES.len() as u8, 0u8..3, any::<bool>())
            .prop_map(|(branch, files, msg, author, encoding)| PStep::Commit { branch, files, msg, author, encoding }),
        1 => (1..PBRANCHES).prop_map(|branch| PStep::Fork { branch }),
        3 => (0..PBRANCHES, prop::collection::vec(0..PBRANCHES, 1..=2), 0u8..3)
            .prop_map(|(into, from, how)| PStep::Merge { into, from, how }),
    ]
}

struct PModel {
    trees: Vec<BTreeMap<&'static str, u8>>,
    parents: Vec<Vec<usize>>,
    tips: [Option<usize>; PBRANCHES as usize],
    stream: Vec<u8>,
}

impl PModel {
    fn commit(
        &mut self,
        branch: u8,
        parents: &[usize],
        tree: BTreeMap<&'static str, u8>,
        msg: &[u8],
        author: &str,
        encoding: bool,
    ) {
        let n = self.trees.len();
        let t = 1_700_000_000 + 60 * n;
        let s = &mut self.stream;
        let refname =
            if branch == 0 { "refs/heads/main".to_string() } else { format!("refs/heads/s{branch}") };
        s.extend_from_slice(format!("commit {refname}\nmark :{}\n", 100 + n).as_bytes());
        s.extend_from_slice(
            format!("author {author} {t} +0100\ncommitter Cy C <cy@example.com> {t} -0000\n").as_bytes(),
        );
        if encoding && msg.contains(&0xe9) {
            s.extend_from_slice(b"encoding ISO-8859-1\n");
        }
        s.extend_from_slice(format!("data {}\n", msg.len()).as_bytes());
        s.extend_from_slice(msg);
        s.push(b'\n');
        for (i, p) in parents.iter().enumerate() {
            s.extend_from_slice(
                format!("{} :{}\n", if i == 0 { "from" } else { "merge" }, 100 + p).as_bytes(),
            );
        }
        s.extend_from_slice(b"deleteall\n");
        for (path, v) in &tree {
            s.extend_from_slice(format!("M 100644 :{} {path}\n", v + 1).as_bytes());
        }
        s.push(b'\n');
        self.trees.push(tree);
        self.parents.push(parents.to_vec());
        self.tips[branch as usize] = Some(n);
    }

    fn build(steps: &[PStep]) -> Vec<u8> {
        PModel::build_model(steps).stream
    }

    fn build_model(steps: &[PStep]) -> PModel {
        let mut m =
            PModel { trees: vec![], parents: vec![], tips: [None; PBRANCHES as usize], stream: vec![] };
        for v in 0..3 {
            m.stream.extend_from_slice(format!("blob\nmark :{}\ndata 3\nv{v}\n\n", v + 1).as_bytes());
        }
        m.commit(0, &[], [("d/a", 0), ("o", 0)].into_iter().collect(), b"root\n", AUTHORS[0], false);
        for step in steps {
            match step {
                PStep::Commit { branch, files, msg, author, encoding } => {
                    let parent = *m.tips[*branch as usize].get_or_insert(m.tips[0].unwrap());
                    let mut tree = m.trees[parent].clone();
                    match files {
                        Some(files) => {
                            for (f, v) in files {
                                tree.insert(PFILES[*f as usize], *v);
                            }
                        }
                        None => tree.retain(|p, _| !p.starts_with("d/")),
                    }
                    let (msg, author) = (MESSAGES[*msg as usize], AUTHORS[*author as usize]);
                    m.commit(*branch, &[parent], tree, msg, author, *encoding);
                }
                PStep::Fork { branch } => {
                    let tip = m.tips[0].unwrap();
                    m.tips[*branch as usize] = Some(tip);
                    m.stream.extend_from_slice(
                        format!("reset refs/heads/s{branch}\nfrom :{}\n\n", 100 + tip).as_bytes(),
                    );
                }
                PStep::Merge { into, from, how } => {
                    let first = *m.tips[*into as usize].get_or_insert(m.tips[0].unwrap());
                    let mut parents = vec![first];
                    for b in from {
                        let t = *m.tips[*b as usize].get_or_insert(m.tips[0].unwrap());
                        if !parents.contains(&t) {
                            parents.push(t);
                        }
                    }
                    if parents.len() < 2 {
                        continue;
                    }
                    let tree = match how {
                        1 => m.trees[first].clone(),
                        2 => m.trees[parents[1]].clone(),
                        _ => {
                            let mut t = m.trees[first].clone();
                            for p in &parents[1..] {
                                for (k, v) in &m.trees[*p] {
                                    t.entry(k).or_insert(*v);
                                }
                            }
                            t
                        }
                    };
                    m.commit(*into, &parents, tree, b"Merge\n\nbody\n", AUTHORS[0], false);
                }
            }
        }
        m
    }
}

/// `git fast-import`s `stream` into a new repository `repo` in `tmp`.
fn import(tmp: &Path, stream: &[u8]) -> PathBuf {
    let repo = tmp.join("repo");
    git(tmp, &["init", "-q", "-b", "main", repo.to_str().unwrap()]);
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(&repo)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), stream).unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success(), "fast-import failed");
    repo
}

/// Splits `d` of the history `stream` as a `compat` team and compares the
/// mapping and the tip with git subtree's.
fn agrees_with_git_subtree(stream: &[u8], compat: &str) -> Result<(), TestCaseError> {
    let tmp = tempfile::tempdir().unwrap();
    let repo = import(tmp.path(), stream);
    let m = manifest(tmp.path(), "main", &[("sub", "d", Some(compat))]);
    let out = tmp.path().join("out");
    apply(&repo, &m, &out);
    let state = compat_state(&out.join("sub.git"));
    let (tip, cache) = subtree_split(&repo, "d", "main");
    let ours = expected_cache(&state);
    let stream_text = String::from_utf8_lossy(stream);
    prop_assert_eq!(&ours, &cache, "{}: mapping differs; stream:\n{}", compat, stream_text);
    let team_tip = Command::new("git")
        .args(["rev-parse", "--verify", "-q", "refs/heads/main"])
        .current_dir(out.join("sub.git"))
        .output()
        .unwrap();
    let team_tip = String::from_utf8(team_tip.stdout).unwrap().trim().to_string();
    prop_assert_eq!(
        Some(team_tip).filter(|t| !t.is_empty()),
        tip,
        "{}: tip differs; stream:\n{}",
        compat,
        stream_text
    );
    Ok(())
}

fn random_case(steps: &[PStep]) -> Result<(), TestCaseError> {
    agrees_with_git_subtree(&PModel::build(steps), "subtree")
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(10),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_histories_agree_with_git_subtree(steps in prop::collection::vec(pstep(), 3..=22)) {
        random_case(&steps)?;
    }
}

/// A split commit that no ref reached (orphaned when the directory was
/// deleted and re-created) is not in the team repository; when a later
/// merge brings it back into history, the next run rebuilds the team
/// instead of writing a commit onto a parent the repository lacks.
#[test]
fn incremental_run_revives_an_orphaned_split() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let script = r#"
source "$1/lib.sh"
start "$2"
put d/a; put o; commit "root"
put d/b; commit "d: b"
git branch old
git rm -q -r d; commit "delete d"
put d/c; commit "d: re-created"
git checkout -q old; put d/old; commit "d: on the old branch"; git checkout -q main
"#;
    run_script(tmp.path(), &repo, script);
    let m = sub_and_legacy(tmp.path());
    let out = tmp.path().join("out");
    apply(&repo, &m, &out);
    let map = std::fs::read_to_string(out.join("sub.git/split/commit-map")).unwrap();
    let b = rev_parse(&repo, "main~2");
    assert!(map.contains(&format!("{b} {}", "0".repeat(40))), "the orphaned split is not listed:\n{map}");

    run_script(tmp.path(), &repo, r#"source "$1/lib.sh"; cd "$2"; merge old "Merge the old branch""#);
    apply(&repo, &m, &out);
    let scratch = tmp.path().join("scratch");
    apply(&repo, &m, &scratch);
    for team in ["sub", "legacy"] {
        let repo = out.join(format!("{team}.git"));
        git(&repo, &["fsck", "--strict", "--no-dangling"]);
        assert_eq!(crate::support::refs(&repo), crate::support::refs(&scratch.join(format!("{team}.git"))));
    }
    let (_, cache) = subtree_split(&repo, "d", "main");
    assert_eq!(expected_cache(&compat_state(&out.join("sub.git"))), cache);
    let map = std::fs::read_to_string(out.join("sub.git/split/commit-map")).unwrap();
    assert!(!map.contains(&format!("{b} {}", "0".repeat(40))), "now reachable:\n{map}");
}

/// A history with a `git subtree split --rejoin` commit is one git subtree
/// splits with a shortcut git-split does not reproduce: the team fails,
/// naming the commit, rather than publish different ids.
#[test]
fn rejoin_history_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let script = r#"
source "$1/lib.sh"
start "$2"
put d/a; put o; commit "root"
"#;
    run_script(tmp.path(), &repo, script);
    let out = Command::new(SUBTREE_GIT)
        .args(["subtree", "split", "-q", "--prefix=d", "--rejoin", "main"])
        .current_dir(&repo)
        .without_user_config()
        .env("HOME", tmp.path())
        .env("GIT_AUTHOR_NAME", "A")
        .env("GIT_AUTHOR_EMAIL", "a@example.com")
        .env("GIT_COMMITTER_NAME", "A")
        .env("GIT_COMMITTER_EMAIL", "a@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rejoin = rev_parse(&repo, "main");
    let m = sub_and_legacy(tmp.path());
    let r = split(
        &repo,
        &[
            "apply",
            "--format",
            "json",
            "--manifest",
            m.to_str().unwrap(),
            "--out",
            tmp.path().join("out").to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let error = |team: &str| {
        report["teams"].as_array().unwrap().iter().find(|t| t["name"] == team).unwrap()["error"].clone()
    };
    let e = error("sub");
    assert!(e.as_str().unwrap().contains(&rejoin) && e.as_str().unwrap().contains("git-subtree-dir"), "{e}");
    // splitsh has no such shortcut.
    assert!(error("legacy").is_null());
}

mod splitsh;
