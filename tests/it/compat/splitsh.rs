//! `compat: splitsh` (splitsh-lite's default mode, `--git=latest`): checked
//! against git subtree where the two tools' rules coincide, and against
//! what splitsh's rules (docs/compat-splitsh.md) say of each commit of the
//! `subtree` fixture where they differ. There is no splitsh binary here:
//! the expected values come from the monolith's own objects and the rules.

use std::path::Path;

use super::{
    apply, assert_libgit2_identities, compat_state, expected_cache, find_commit, header, manifest, parts,
    rev_parse, run_script, subtree_split,
};
use crate::support::{fixture, git};

fn cat(repo: &Path, id: &str) -> Vec<u8> {
    git(repo, &["cat-file", "commit", id]).stdout
}

#[test]
fn splitsh_follows_its_rules_on_the_subtree_fixture() {
    let tmp = tempfile::tempdir().unwrap();
    let src = fixture("subtree");
    let m = manifest(
        tmp.path(),
        "main",
        &[
            ("sub", "lib/sub", Some("subtree")),
            ("legacy", "lib/sub", Some("splitsh-legacy")),
            ("latest", "lib/sub", Some("splitsh")),
        ],
    );
    let out = tmp.path().join("out");
    apply(&src, &m, &out);
    let latest = out.join("latest.git");
    git(&latest, &["fsck", "--strict", "--no-dangling"]);

    // Every written commit: the monolith commit's message bytes as they
    // are, its DIR tree, and no header but tree, parents, author and
    // committer (the signed commits, the mergetag merge and the declared
    // Latin-1 one lose theirs).
    let map = std::fs::read_to_string(latest.join("split/commit-map")).unwrap();
    let mut written = 0;
    for line in map.lines().skip(1) {
        let (old, new) = line.split_once(' ').unwrap();
        if new == "0".repeat(40) {
            continue;
        }
        written += 1;
        let (old_head, old_msg) = parts(&cat(&src, old));
        let (new_head, new_msg) = parts(&cat(&latest, new));
        assert_eq!(new_msg, old_msg, "message of {old}");
        assert_eq!(new_head[0], format!("tree {}", rev_parse(&src, &format!("{old}:lib/sub"))));
        let keys: Vec<&str> = new_head.iter().map(|l| l.split(' ').next().unwrap()).collect();
        let parents = keys.iter().filter(|k| **k == "parent").count();
        let mut want = vec!["tree"];
        want.extend(std::iter::repeat_n("parent", parents));
        want.extend(["author", "committer"]);
        assert_eq!(keys, want, "headers of {new}");
        // Plain idents go through unchanged.
        for key in ["author", "committer"] {
            let line = old_head.iter().find(|l| l.starts_with(&format!("{key} "))).unwrap();
            if line.ends_with(" +0000") && line.contains(" <ada@example.com> ") {
                assert!(new_head.contains(line), "{key} of {old}");
            }
        }
    }
    assert!(written > 20, "{map}");

    // Identities as libgit2 writes them: crud trimmed from the ends (the
    // `;`, the blanks around the e-mail), `-0000` as `+0000`, an empty
    // e-mail as nobody@example.com, a Latin-1 name as its bytes.
    assert_libgit2_identities(&latest);
    let i = super::git_log_commit(&latest, "before-delete", b"sub: caf\xe9 (Latin-1, declared)").1;
    assert!(i.windows(17).any(|w| w == b"\nauthor L\xe9on <leo"));
    let j = super::git_log_commit(&latest, "before-delete", b"sub: caf\xe9 (Latin-1, undeclared)").1;
    assert!(j.ends_with(b"no newline"));
    assert_eq!(header(&j, "author").unwrap(), "author Ada Author <ada@example.com> 1700100300 -0130");

    // The merge rule: the `-s ours` merge keeps lib/sub as main had it, but
    // the side's split is not an ancestor of main's: written, with both
    // parents (legacy reuses main's split; git subtree writes it too).
    let (_, ours) = find_commit(&latest, "before-delete", "Merge ours-side with -s ours").unwrap();
    assert_eq!(parts(&ours).0.iter().filter(|l| l.starts_with("parent ")).count(), 2);
    assert!(find_commit(&out.join("legacy.git"), "before-delete", "Merge ours-side with -s ours").is_none());
    // Two unrelated branches making the same change, no other parent: the
    // last identical parent stands for the merge (git subtree writes it).
    assert!(find_commit(&latest, "before-delete", "Merge same2 (identical lib/sub)").is_none());
    assert!(find_commit(&out.join("sub.git"), "before-delete", "Merge same2 (identical lib/sub)").is_some());
    // A merge of a branch that did not touch lib/sub is not written.
    assert!(find_commit(&latest, "before-delete", "Merge no-dir (did not touch lib/sub)").is_none());
    // The re-created directory starts a new root.
    let (_, r) = find_commit(&latest, "main", "sub: re-created").unwrap();
    assert!(header(&r, "parent").is_none());
}

/// Where the rules coincide (messages and e-mails git subtree keeps as they
/// are, the directory never deleted, no merge of two unrelated splits with
/// the same tree), splitsh's ids are git subtree's, commit for commit: its
/// merge rule is git subtree's `rev-list identical..nonidentical` test.
#[test]
fn splitsh_equals_git_subtree_where_rules_coincide() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let script = r#"
source "$1/lib.sh"
start "$2"
put d/a; put o; commit "root

body"
git checkout -q -b side; put o "o2"; commit "side: other only"
git checkout -q main; put d/b; commit "d: b"
merge side "Merge side (did not touch d)"
git checkout -q -b ours-side; put d/e; commit "d: e, dropped by -s ours"
git checkout -q main; put d/f; commit "d: f"
_tick=$((_tick + 60))
GIT_AUTHOR_DATE="@$_tick +0000" GIT_COMMITTER_DATE="@$_tick +0000" \
  git merge -q -s ours --no-edit -m "Merge ours-side with -s ours" ours-side
git checkout -q -b side2; put d/c; commit "d: c on side2"
git checkout -q main; put o "o3"; commit "main: other"
merge side2 "Merge side2 (touched d while main did not)"
git checkout -q -b oct-a; put d/oct; commit "d: oct"
git checkout -q main; git checkout -q -b oct-b; put o4; commit "other4"
git checkout -q main; put d/g; commit "d: g"
_tick=$((_tick + 60))
GIT_AUTHOR_DATE="@$_tick +0000" GIT_COMMITTER_DATE="@$_tick +0000" \
  git merge -q --no-edit -m "Octopus" oct-a oct-b >/dev/null
put d/h; commit "d: h

body with

paragraphs
"
"#;
    run_script(tmp.path(), &repo, script);
    let m = manifest(
        tmp.path(),
        "main",
        &[("latest", "d", Some("splitsh")), ("legacy", "d", Some("splitsh-legacy"))],
    );
    let out = tmp.path().join("out");
    apply(&repo, &m, &out);
    let (tip, cache) = subtree_split(&repo, "d", "main");
    assert_eq!(expected_cache(&compat_state(&out.join("latest.git"))), cache);
    assert_eq!(Some(rev_parse(&out.join("latest.git"), "main")), tip);
    // The `-s ours` merge is where splitsh's legacy mode parts from both.
    assert_ne!(Some(rev_parse(&out.join("legacy.git"), "main")), tip);
}

// Random histories against git subtree, restricted to where the two
// tools' rules coincide: the directory is never deleted, messages and
// e-mails are ones git subtree copies unchanged, and no merge has two
// parents whose directory is the merge's (git subtree picks the one that
// descends from the other, splitsh the last). Everything else the
// generator makes stays: merges of branches that did or did not touch the
// directory, `-s ours` and `-s theirs` merges, octopus merges, empty
// commits, forks at any point; so splitsh's merge rule meets git subtree's
// `rev-list identical..nonidentical` on each of them.

use super::{agrees_with_git_subtree, pstep, PModel, PStep};
use proptest::prelude::*;

fn coinciding_step() -> impl Strategy<Value = PStep> {
    pstep().prop_map(|s| match s {
        PStep::Commit { branch, files, msg, author, encoding } => PStep::Commit {
            branch,
            files: Some(files.unwrap_or_default()),
            // `plain\n` and `subject\n\nbody\n`; authors with an e-mail.
            msg: [0, 2][usize::from(msg % 2)],
            author: [0, 2][usize::from(author % 2)],
            encoding,
        },
        s => s,
    })
}

/// A merge with two parents whose directory is the merge's.
fn has_two_identical_parents(m: &PModel) -> bool {
    let dir = |n: usize| m.trees[n].iter().filter(|(p, _)| p.starts_with("d/")).collect::<Vec<_>>();
    m.parents
        .iter()
        .enumerate()
        .any(|(n, parents)| parents.iter().filter(|p| dir(**p) == dir(n)).count() >= 2)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(10),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_histories_agree_with_git_subtree_where_rules_coincide(
        steps in prop::collection::vec(coinciding_step(), 3..=22)
    ) {
        let model = PModel::build_model(&steps);
        prop_assume!(!has_two_identical_parents(&model));
        agrees_with_git_subtree(&model.stream, "splitsh")?;
    }
}
