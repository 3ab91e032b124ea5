//! The pure parts of the compat modes. Expected values are derived by hand
//! from splitsh-lite's `SplitMessage` (Go) and git's shell pipeline; the
//! ids themselves are checked against real `git subtree` in
//! `tests/it/compat.rs`.

use super::commit::{
    find_invalid_utf8, force_utf8, iconv_to_utf8, sh_read, splitsh_legacy_message, without_crud,
};
use super::*;

fn legacy(m: &str) -> String {
    String::from_utf8(splitsh_legacy_message(m.as_bytes())).unwrap()
}

#[test]
fn legacy_message_table() {
    let cases: &[(&str, &str, &str)] = &[
        ("subject only gains a blank line", "Fix bug\n", "Fix bug\n\n"),
        ("subject without newline", "Fix bug", "Fix bug\n\n"),
        ("multi-line subject joined", "Line one\nline two\n\nBody\n", "Line one line two\n\nBody\n"),
        ("whitespace before a newline goes with it", "Sub \t\nject\n\nBody", "Sub ject\n\nBody"),
        ("whitespace after a newline stays", "Sub\n  ject\n\nBody", "Sub   ject\n\nBody"),
        ("CRLF paragraph break", "Subject\r\n\r\nBody\r\n", "Subject\n\nBody\r\n"),
        ("CRLF inside the subject", "a\r\nb\r\n\r\nc\r\nd", "a b\n\nc\r\nd"),
        ("leading blank lines dropped", "\n\nSubject\n\nBody", "Subject\n\nBody"),
        ("leading CRLF is not a blank line for libgit2", "\r\nSubject", " Subject\n\n"),
        ("body keeps its blank lines", "S\n\n\n\nBody\n\nmore\n", "S\n\nBody\n\nmore\n"),
        ("trailing spaces of the subject trimmed", "Subject   \n\nBody", "Subject\n\nBody"),
        ("trailing tab is not a space", "Subject\t", "Subject\t\n\n"),
        // splitsh looks for the break only where four bytes remain.
        ("break too close to the end", "Subject\n\nX", "Subject X\n\n"),
        ("break at the very end", "Sub\n\n", "Sub\n\n"),
        ("break with two bytes after it", "Subject\n\nXY", "Subject\n\nXY"),
        ("NUL ends the message", "A\0\n\nhidden", "A\n\n"),
        ("empty", "", "\n\n"),
    ];
    for (what, input, want) in cases {
        assert_eq!(legacy(input), *want, "{what}: {input:?}");
    }
}

#[test]
fn dash_read() {
    let input = b"  a b  \n\\x\\\\y\nco\\\nnt\n\\ keep\\ \nrest";
    let mut pos = 0;
    let got: Vec<Vec<u8>> = (0..4).map(|_| sh_read(input, &mut pos)).collect();
    assert_eq!(got, vec![b"a b".to_vec(), b"x\\y".to_vec(), b"cont".to_vec(), b" keep ".to_vec()]);
    assert_eq!(&input[pos..], b"rest");
}

#[test]
fn crud_stripped_only_at_the_ends() {
    assert_eq!(without_crud(b" ,Odd, Name\x01 '"), b"Odd, Name");
    assert_eq!(without_crud(b""), b"");
    assert_eq!(without_crud(b"a<b>c"), b"abc");
}

#[test]
fn invalid_utf8_is_latin1() {
    assert_eq!(force_utf8(b"caf\xe9 \xc3\xa9".to_vec()), "café é".as_bytes());
    // A surrogate and a non-character are invalid to git.
    assert_eq!(find_invalid_utf8("a\u{fffd}".as_bytes()), None);
    assert_eq!(find_invalid_utf8(b"a\xed\xa0\x80"), Some(1));
    assert_eq!(find_invalid_utf8(b"\xef\xbf\xbf"), Some(0));
    assert_eq!(find_invalid_utf8(b"\xc0\x80"), Some(0));
}

#[test]
fn latin1_reencoded_like_git_log() {
    assert_eq!(iconv_to_utf8(b"caf\xe9", "ISO-8859-1").unwrap(), "café".as_bytes());
    assert_eq!(iconv_to_utf8(b"caf\xe9", "latin-1").unwrap(), "café".as_bytes());
    assert_eq!(iconv_to_utf8(b"x", "no-such-encoding"), None);
    // Invalid input: git keeps the bytes as they were.
    assert_eq!(iconv_to_utf8(b"\xff\xfe\xfd", "UTF-8"), None);
}

const TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

fn tree() -> Oid {
    Oid::from_str(TREE).unwrap()
}

#[test]
fn subtree_commit_drops_headers_and_normalises_idents() {
    let raw = b"tree 1111111111111111111111111111111111111111\n\
parent 2222222222222222222222222222222222222222\n\
author  Ada, <> 1700000000 -0000\n\
committer Cy <cy@x> 1700000060 +0530\n\
gpgsig -----BEGIN PGP SIGNATURE-----\n \n -----END PGP SIGNATURE-----\n\
\n\
msg";
    let got = subtree_commit(raw, tree(), &[]).unwrap();
    let want =
        format!("tree {TREE}\nauthor Ada <> 1700000000 +0000\ncommitter Cy <cy@x> 1700000060 +0530\n\nmsg");
    assert_eq!(String::from_utf8(got).unwrap(), want);
}

#[test]
fn subtree_commit_refusals() {
    let with_author =
        |a: &str| format!("tree {TREE}\nauthor {a}\ncommitter C <c@x> 1700000000 +0000\n\nm").into_bytes();
    assert!(subtree_commit(&with_author("<a@x> 1700000000 +0000"), tree(), &[])
        .unwrap_err()
        .contains("empty"));
    assert!(subtree_commit(&with_author("N\\ <a@x\\> 1700000000 +0000"), tree(), &[]).is_err());
    assert!(subtree_commit(&with_author("N <a@x> 1700000000 +0075"), tree(), &[]).is_err());
}

#[test]
fn splitsh_commit_empty_email_and_legacy_message() {
    let raw = format!(
        "tree {TREE}\nauthor  Ada  <> 1700000000 -0000\ncommitter Cy <cy@x> 1700000060 -0130\nencoding ISO-8859-1\n\n\nSub\nject"
    );
    let got = splitsh_commit(raw.as_bytes(), tree(), &[], true).unwrap();
    let want = format!(
        "tree {TREE}\nauthor Ada <nobody@example.com> 1700000000 +0000\ncommitter Cy <cy@x> 1700000060 -0130\n\nSub ject\n\n"
    );
    assert_eq!(String::from_utf8(got).unwrap(), want);
}

/// A monolith for the merge rules: commits with trees and parents.
struct Mono(HashMap<Oid, (Oid, Vec<Oid>, u32)>);

impl Monolith for Mono {
    fn tree(&self, c: Oid) -> Option<Oid> {
        self.0.get(&c).map(|n| n.0)
    }
    fn is_ancestor(&self, a: Oid, b: Oid) -> bool {
        a == b || self.0.get(&b).is_some_and(|n| n.1.iter().any(|p| self.is_ancestor(a, *p)))
    }
    fn generation(&self, c: Oid) -> u32 {
        self.0.get(&c).map_or(0, |n| n.2)
    }
}

fn oid(n: u8) -> Oid {
    Oid::from_bytes(&[n; 20]).unwrap()
}

fn commit_raw(msg: &str) -> Vec<u8> {
    format!("tree {TREE}\nauthor A <a@x> 1700000000 +0000\ncommitter A <a@x> 1700000000 +0000\n\n{msg}")
        .into_bytes()
}

/// Feeds a history of `(id, parents, DIR tree)` and returns the outcomes.
fn run(compat: Compat, commits: &[(u8, &[u8], Option<u8>)]) -> (CompatSplit, Vec<Outcome>) {
    let mut mono = Mono(HashMap::new());
    for (id, parents, _) in commits {
        let parents: Vec<Oid> = parents.iter().map(|p| oid(*p)).collect();
        let generation = parents.iter().map(|p| mono.0[p].2).max().unwrap_or(0) + 1;
        mono.0.insert(oid(*id), (oid(200 + id), parents, generation));
    }
    let mut split = CompatSplit::new(compat);
    let mut outcomes = Vec::new();
    for (id, parents, dir) in commits {
        let parents: Vec<Oid> = parents.iter().map(|p| oid(*p)).collect();
        let input = Input {
            id: oid(*id),
            parents: &parents,
            subtree: dir.map_or(Subtree::Missing, |t| Subtree::Tree(oid(100 + t))),
        };
        let mut raw = |c: Oid| -> Result<Vec<u8>, CompatError> { Ok(commit_raw(&c.to_string())) };
        let mut write = |b: &[u8]| -> Result<Oid, CompatError> {
            Ok(Oid::hash_object(git2::ObjectType::Commit, b).unwrap())
        };
        outcomes.push(split.process(&input, &mono, &mut raw, &mut write).unwrap());
    }
    (split, outcomes)
}

#[test]
fn merge_of_a_side_branch_that_did_not_touch_dir() {
    // 1 -> 2 (DIR changed) ; 1 -> 3 (DIR untouched) ; 4 = merge(2, 3) with 2's DIR.
    let h: &[(u8, &[u8], Option<u8>)] =
        &[(1, &[], Some(1)), (2, &[1], Some(2)), (3, &[1], Some(1)), (4, &[2, 3], Some(2))];
    for compat in [Compat::Subtree, Compat::SplitshLegacy] {
        let (_, o) = run(compat, h);
        let Outcome::Copied(c1) = o[0] else { panic!() };
        let Outcome::Copied(c2) = o[1] else { panic!() };
        assert_eq!(o[2], Outcome::Reused(c1));
        // 3 maps to 1's split, an ancestor of 2's: the merge is skipped.
        assert_eq!(o[3], Outcome::Reused(c2), "{compat:?}");
    }
}

#[test]
fn identical_parent_with_unmerged_history_on_the_other_side() {
    // 1 ; 2 = 1 + change A ; 3 = 1 + change B ; 4 = merge(2, 3) whose DIR
    // tree equals 2's (the merge took ours). git subtree copies the merge to
    // keep 3's history; splitsh legacy reuses 2's split.
    let h: &[(u8, &[u8], Option<u8>)] =
        &[(1, &[], Some(1)), (2, &[1], Some(2)), (3, &[1], Some(3)), (4, &[2, 3], Some(2))];
    let (_, o) = run(Compat::Subtree, h);
    let Outcome::Copied(m) = o[3] else { panic!("subtree copies: {o:?}") };
    let (s, _) = run(Compat::Subtree, h);
    assert_eq!(s.nodes[&m].parents, vec![o[1].target(oid(2)).unwrap(), o[2].target(oid(3)).unwrap()]);
    let (_, l) = run(Compat::SplitshLegacy, h);
    assert_eq!(l[3], Outcome::Reused(l[1].target(oid(2)).unwrap()));
}

#[test]
fn two_unrelated_identical_parents() {
    // Two roots with the same DIR tree, merged: subtree copies (no common
    // history), splitsh legacy reuses the last identical parent.
    let h: &[(u8, &[u8], Option<u8>)] = &[(1, &[], Some(1)), (2, &[], Some(1)), (3, &[1, 2], Some(1))];
    let (_, o) = run(Compat::Subtree, h);
    assert!(matches!(o[1], Outcome::Copied(_)) && o[0] != o[1]);
    assert!(matches!(o[2], Outcome::Copied(_)));
    let (_, l) = run(Compat::SplitshLegacy, h);
    assert_eq!(l[2], Outcome::Reused(l[1].target(oid(2)).unwrap()));
}

#[test]
fn dir_deleted_and_recreated() {
    // subtree: the commit without DIR stands for itself and becomes the
    // parent of the re-created split; splitsh: it maps to nothing and the
    // re-created split is a new root.
    let h: &[(u8, &[u8], Option<u8>)] = &[(1, &[], Some(1)), (2, &[1], None), (3, &[2], Some(1))];
    let (s, o) = run(Compat::Subtree, h);
    assert_eq!(o[1], Outcome::SelfMapped);
    let Outcome::Copied(c3) = o[2] else { panic!() };
    assert_eq!(s.nodes[&c3].parents, vec![oid(2)]);
    let (s, l) = run(Compat::SplitshLegacy, h);
    assert_eq!(l[1], Outcome::NoTree);
    let Outcome::Copied(c3) = l[2] else { panic!() };
    assert!(s.nodes[&c3].parents.is_empty());
    // A root without DIR maps to nothing in both.
    let (_, o) = run(Compat::Subtree, &[(1, &[], None), (2, &[1], Some(1))]);
    assert_eq!(o[0], Outcome::NoTree);
}

#[test]
fn state_round_trip() {
    let h: &[(u8, &[u8], Option<u8>)] =
        &[(1, &[], Some(1)), (2, &[1], None), (3, &[2], Some(1)), (4, &[3], Some(1)), (5, &[1, 4], Some(2))];
    let (s, _) = run(Compat::Subtree, h);
    let state = s.to_state("fp");
    assert_eq!(CompatSplit::state_fingerprint(&state), Some("fp"));
    let back = CompatSplit::from_state(Compat::Subtree, &state).unwrap();
    assert_eq!(back.to_state("fp"), state);
    assert_eq!(back.map, s.map);
    assert!(CompatSplit::from_state(Compat::Subtree, "x\ny\nc 1 2").is_err());
    let without_nodes: String =
        state.lines().filter(|l| !l.starts_with("n ")).map(|l| format!("{l}\n")).collect();
    assert!(CompatSplit::from_state(Compat::Subtree, &without_nodes).is_err());
}

#[test]
fn subtree_joins_are_recognised() {
    let dirs = |m: &str| subtree_join_dirs(&commit_raw(m));
    let rejoin =
        "Split 'd/' into commit 'x'\n\ngit-subtree-dir: d\ngit-subtree-mainline: a\ngit-subtree-split: b\n";
    assert_eq!(dirs(rejoin), vec![b"d".to_vec()]);
    assert_eq!(dirs("Squashed\n\ngit-subtree-dir: d/e//\ngit-subtree-split: b\n"), vec![b"d/e".to_vec()]);
    assert!(dirs("x\n\ngit-subtree-dir: d\n").is_empty(), "no split line: git subtree ignores it");
}
