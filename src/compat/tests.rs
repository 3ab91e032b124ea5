//! The pure parts of the compat modes. Expected values are derived by hand
//! from splitsh-lite's `SplitMessage` (Go) and git's shell pipeline; the
//! ids themselves are checked against real `git subtree` in
//! `tests/it/compat/`.

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

// splitsh-lite's default mode (`--git=latest`). Each expected commit is
// written out by hand from `copyCommit` (splitter/state.go), git2go's
// signature round trip and libgit2's `git_signature__parse`,
// `git_signature_new`, `git_signature__writebuf` and
// `git_commit__create_buffer_internal`; see docs/compat-splitsh.md.

const P1: &str = "1111111111111111111111111111111111111111";
const P2: &str = "2222222222222222222222222222222222222222";

fn splitsh_raw(author: &str, committer: &str, extra: &[u8], message: &[u8]) -> Vec<u8> {
    let mut raw = format!("tree {TREE}\nparent {P1}\nauthor {author}\ncommitter {committer}\n").into_bytes();
    raw.extend_from_slice(extra);
    raw.push(b'\n');
    raw.extend_from_slice(message);
    raw
}

fn latest(raw: &[u8]) -> Result<Vec<u8>, String> {
    let parents = [Oid::from_str(P1).unwrap(), Oid::from_str(P2).unwrap()];
    splitsh_commit(raw, tree(), &parents, false)
}

/// The header lines (up to the blank line) of a written commit.
fn head(commit: &[u8]) -> String {
    let p = commit.windows(2).position(|w| w == b"\n\n").unwrap();
    String::from_utf8(commit[..p + 1].to_vec()).unwrap()
}

#[test]
fn splitsh_writes_the_raw_message_and_drops_other_headers() {
    let sig = b"gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEz\n -----END PGP SIGNATURE-----\n";
    let mergetag =
        format!("mergetag object {P2}\n type commit\n tag v1\n tagger T <t@x> 1700000000 +0000\n \n v1\n");
    let messages: &[&[u8]] = &[
        b"Subject\n\nBody\n",
        b"no trailing newline",
        b"\n\nleading blank lines\nkept\n",
        b"CRLF\r\n\r\nbody\r\n",
        b"caf\xe9, Latin-1\n\nbody \xff",
        b"",
    ];
    let extras: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"encoding ISO-8859-1\n".to_vec(),
        sig.to_vec(),
        [mergetag.as_bytes(), &sig[..]].concat(),
    ];
    for message in messages {
        for extra in &extras {
            let raw = splitsh_raw("A <a@x> 1700000000 +0100", "C <c@x> 1700000060 +0200", extra, message);
            let mut want = format!(
                "tree {TREE}\nparent {P1}\nparent {P2}\nauthor A <a@x> 1700000000 +0100\n\
                 committer C <c@x> 1700000060 +0200\n\n"
            )
            .into_bytes();
            want.extend_from_slice(message);
            assert_eq!(
                latest(&raw).unwrap(),
                want,
                "{:?} with {:?}",
                message,
                String::from_utf8_lossy(extra)
            );
        }
    }
    // libgit2 keeps the message up to a NUL byte (C strings); a commit with
    // no blank line after its headers has an empty message.
    let raw = splitsh_raw("A <a@x> 1 +0000", "A <a@x> 1 +0000", b"", b"before\0after");
    assert!(latest(&raw).unwrap().ends_with(b"+0000\n\nbefore"));
    let raw = format!("tree {TREE}\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n");
    assert!(latest(raw.as_bytes()).unwrap().ends_with(b"committer A <a@x> 1 +0000\n\n"));
}

#[test]
fn splitsh_signatures_as_libgit2_writes_them() {
    // (author line, the author line libgit2 writes)
    let cases: &[(&str, &str)] = &[
        ("Ada <ada@x> 1700000000 +0100", "Ada <ada@x> 1700000000 +0100"),
        // Blanks and crud (`.,:;<>"\'`, control bytes) trimmed from both
        // ends of name and e-mail, kept inside.
        ("  Ada Lovelace   <  ada@x  > 1700000000 +0000", "Ada Lovelace <ada@x> 1700000000 +0000"),
        (".Ada, Jr. <ada@x.> 1700000000 +0000", "Ada, Jr <ada@x> 1700000000 +0000"),
        ("\"Ada\" 'L' <'ada@x'> 1700000000 +0000", "Ada\" 'L <ada@x> 1700000000 +0000"),
        ("Odd\\Name; <;odd@x:> 1700000000 +0000", "Odd\\Name <odd@x> 1700000000 +0000"),
        ("Tab\tName\t <a@x> 1700000000 +0000", "Tab\tName <a@x> 1700000000 +0000"),
        // An empty e-mail, or one that is all crud, is nobody@example.com.
        ("Ada <> 1700000000 +0000", "Ada <nobody@example.com> 1700000000 +0000"),
        ("Ada < .; > 1700000000 +0000", "Ada <nobody@example.com> 1700000000 +0000"),
        // The offset is re-signed from its value: -0000 is +0000; an offset
        // over 14 hours or 59 minutes, or not a number, is zero.
        ("Ada <a@x> 1700000000 -0000", "Ada <a@x> 1700000000 +0000"),
        ("Ada <a@x> 1700000000 -1400", "Ada <a@x> 1700000000 -1400"),
        ("Ada <a@x> 1700000000 +1500", "Ada <a@x> 1700000000 +0000"),
        ("Ada <a@x> 1700000000 +0075", "Ada <a@x> 1700000000 +0000"),
        ("Ada <a@x> 1700000000 -0930", "Ada <a@x> 1700000000 -0930"),
        ("Ada <a@x> 1700000000 Z", "Ada <a@x> 1700000000 +0000"),
        ("Ada <a@x> 1700000000", "Ada <a@x> 1700000000 +0000"),
        // No date at all is time 0; a timestamp past 32 bits wraps (`%u`).
        ("Ada <a@x>", "Ada <a@x> 0 +0000"),
        ("Ada <a@x> 0 +0000", "Ada <a@x> 0 +0000"),
        ("Ada <a@x> 4294967297 +0000", "Ada <a@x> 1 +0000"),
    ];
    for (line, want) in cases {
        let raw = splitsh_raw(line, "C <c@x> 1700000060 +0000", b"", b"m\n");
        let got = latest(&raw).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        let want = format!(
            "tree {TREE}\nparent {P1}\nparent {P2}\nauthor {want}\ncommitter C <c@x> 1700000060 +0000\n"
        );
        assert_eq!(head(&got), want, "{line:?}");
    }
    // A name with a byte that is not UTF-8 goes through untouched.
    let raw = splitsh_raw("L\u{e9}on <l@x> 1 +0000", "C <c@x> 1 +0000", b"", b"m");
    let mut raw = raw.clone();
    let at = raw.windows(2).position(|w| w == "\u{e9}".as_bytes()).unwrap();
    raw.splice(at..at + 2, [0xe9]);
    let want = b"\nauthor L\xe9on <l@x> 1 +0000\n";
    assert!(latest(&raw).unwrap().windows(want.len()).any(|w| w == want));
}

#[test]
fn splitsh_refuses_what_libgit2_refuses() {
    for line in [
        // An empty name, or one that is all crud (`git_signature_new`).
        "<a@x> 1700000000 +0000",
        " . <a@x> 1700000000 +0000",
        // An angle bracket left inside the name or e-mail.
        "A <B <b@x> 1700000000 +0000",
        // The e-mail runs from the last `<` to the last `>`: the name keeps
        // `<x` once its trailing `>` is trimmed as crud.
        "Ada <x> <ada@x> 1700000000 +0000",
        "Ann <a>b> 1700000000 +0000",
        // No e-mail brackets, or a timestamp that is not a number.
        "Ada a@x 1700000000 +0000",
        "Ada >a@x< 1700000000 +0000",
        "Ada <a@x> never +0000",
    ] {
        let raw = splitsh_raw(line, "C <c@x> 1700000060 +0000", b"", b"m\n");
        assert!(latest(&raw).is_err(), "{line:?}");
        let raw = splitsh_raw("C <c@x> 1700000060 +0000", line, b"", b"m\n");
        assert!(latest(&raw).is_err(), "committer {line:?}");
    }
}

#[test]
fn splitsh_legacy_signatures_follow_the_same_libgit2_rules() {
    // The legacy mode copies idents the same way: crud trimmed (a trailing
    // `;` or `.` too), out-of-range offsets zeroed.
    let raw =
        splitsh_raw("Odd\\Name; <odd@x.> 1700000000 +0075", "Cy. <cy@x> 1700000060 -0000", b"", b"S\nT");
    let got = splitsh_commit(&raw, tree(), &[], true).unwrap();
    let want = format!(
        "tree {TREE}\nauthor Odd\\Name <odd@x> 1700000000 +0000\ncommitter Cy <cy@x> 1700000060 +0000\n\nS T\n\n"
    );
    assert_eq!(String::from_utf8(got).unwrap(), want);
}

fn copied(o: Outcome) -> Oid {
    match o {
        Outcome::Copied(c) => c,
        o => panic!("not copied: {o:?}"),
    }
}

#[test]
fn splitsh_merge_rule() {
    // 1 ; 2 = 1 + change A ; 3 = 1 + change B ; 4 = merge(2, 3) whose DIR
    // tree equals 2's: 3's split is not an ancestor of 2's, the walk
    // `identical..nonIdentical` yields it, the merge is written.
    let h: &[(u8, &[u8], Option<u8>)] =
        &[(1, &[], Some(1)), (2, &[1], Some(2)), (3, &[1], Some(3)), (4, &[2, 3], Some(2))];
    let (s, o) = run(Compat::Splitsh, h);
    let m = copied(o[3]);
    assert_eq!(s.nodes[&m].parents, vec![copied(o[1]), copied(o[2])]);
    // The same with the identical parent second: parents keep their order.
    let h: &[(u8, &[u8], Option<u8>)] =
        &[(1, &[], Some(1)), (2, &[1], Some(2)), (3, &[1], Some(3)), (4, &[3, 2], Some(2))];
    let (s, o) = run(Compat::Splitsh, h);
    assert_eq!(s.nodes[&copied(o[3])].parents, vec![copied(o[2]), copied(o[1])]);

    // A side branch that did not touch DIR maps to 1's split, an ancestor
    // of 2's: the walk is empty, 2's split stands for the merge.
    let h: &[(u8, &[u8], Option<u8>)] =
        &[(1, &[], Some(1)), (2, &[1], Some(2)), (3, &[1], Some(1)), (4, &[2, 3], Some(2))];
    let (_, o) = run(Compat::Splitsh, h);
    assert_eq!(o[2], Outcome::Reused(copied(o[0])));
    assert_eq!(o[3], Outcome::Reused(copied(o[1])));

    // A side branch without DIR maps to nothing: no non-identical parent.
    let h: &[(u8, &[u8], Option<u8>)] = &[(1, &[], Some(1)), (2, &[], None), (3, &[1, 2], Some(1))];
    let (_, o) = run(Compat::Splitsh, h);
    assert_eq!(o[1], Outcome::NoTree);
    assert_eq!(o[2], Outcome::Reused(copied(o[0])));

    // Two unrelated parents with the same DIR tree and no other: the last
    // one stands for the merge (git subtree would copy).
    let h: &[(u8, &[u8], Option<u8>)] = &[(1, &[], Some(1)), (2, &[], Some(1)), (3, &[1, 2], Some(1))];
    let (_, o) = run(Compat::Splitsh, h);
    assert_eq!(o[2], Outcome::Reused(copied(o[1])));

    // A merge whose tree is neither parent's is written.
    let h: &[(u8, &[u8], Option<u8>)] =
        &[(1, &[], Some(1)), (2, &[1], Some(2)), (3, &[1], Some(3)), (4, &[2, 3], Some(4))];
    let (s, o) = run(Compat::Splitsh, h);
    assert_eq!(s.nodes[&copied(o[3])].parents, vec![copied(o[1]), copied(o[2])]);
}

#[test]
fn splitsh_octopus_looks_at_the_last_parent_of_each_kind() {
    // 1 ; 2 = 1 + A ; 3 = 1 + B ; 4 = 2 + C. Octopus 5 with 4's DIR tree.
    // Parents (3, 2, 4): the last non-identical one, 2, is an ancestor of
    // 4: 4's split stands for the octopus although 3 brings history.
    let base: Vec<(u8, &[u8], Option<u8>)> =
        vec![(1, &[], Some(1)), (2, &[1], Some(2)), (3, &[1], Some(3)), (4, &[2], Some(4))];
    let mut h = base.clone();
    h.push((5, &[3, 2, 4], Some(4)));
    let (_, o) = run(Compat::Splitsh, &h);
    assert_eq!(o[4], Outcome::Reused(copied(o[3])));
    // Parents (2, 3, 4): the last non-identical one, 3, is not: written.
    let mut h = base;
    h.push((5, &[2, 3, 4], Some(4)));
    let (s, o) = run(Compat::Splitsh, &h);
    assert_eq!(s.nodes[&copied(o[4])].parents, vec![copied(o[1]), copied(o[2]), copied(o[3])]);
}

#[test]
fn splitsh_state_round_trip_and_messages() {
    let h: &[(u8, &[u8], Option<u8>)] =
        &[(1, &[], Some(1)), (2, &[1], Some(2)), (3, &[1], Some(3)), (4, &[2, 3], Some(2)), (5, &[4], None)];
    let (s, o) = run(Compat::Splitsh, h);
    let back = CompatSplit::from_state(Compat::Splitsh, &s.to_state("fp")).unwrap();
    assert_eq!(back.map, s.map);
    assert_eq!(o[4], Outcome::NoTree);
    // The copy of 4 carries 4's message as it is (the test monolith's
    // message is the commit id, without a trailing newline).
    let want = format!(
        "tree {}\nparent {}\nparent {}\nauthor A <a@x> 1700000000 +0000\ncommitter A <a@x> 1700000000 +0000\n\n{}",
        oid(102),
        copied(o[1]),
        copied(o[2]),
        oid(4)
    );
    assert_eq!(copied(o[3]), Oid::hash_object(git2::ObjectType::Commit, want.as_bytes()).unwrap());
}
