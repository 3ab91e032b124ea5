//! What the fuzz targets in `fuzz/` found, one test per finding, named
//! after it; and the committed fuzz corpora replayed against their oracles
//! (the fuzz runs themselves need libFuzzer: see `fuzz/run`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use git_split::manifest::{ErrorKind, Manifest};
use git_split::pattern::{Pattern, PatternError};
use git_split::rewrite::trailer::add_trailer;

use crate::support::git_trailers::git_interpret_trailers;
use crate::support::NoUserConfig;

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// The words bash's brace expansion makes of `text`: the reference for `{..}`.
fn bash_braces(text: &str) -> Vec<String> {
    let out = Command::new("bash").args(["-c", &format!("printf '%s\\n' {text}")]).output().expect("bash");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

/// Found by `fuzz/fuzz_targets/pattern.rs` as `*{,,b}` not matching `zz`:
/// globset drops empty alternatives, so `config{,.local}.yaml` missed
/// `config.yaml`.
#[test]
fn fuzz_regression_pattern_empty_brace_alternative() {
    for (pattern, other) in [("config{,.local}.yaml", "config.json"), ("a{,,b}", "c"), ("{x,}y", "zy")] {
        let p = Pattern::new(pattern).unwrap();
        let names = bash_braces(pattern);
        assert!(names.len() >= 2, "{pattern}: {names:?}");
        for name in &names {
            assert!(p.is_match(name.as_bytes()), "{pattern} should match {name} (bash: {names:?})");
        }
        assert!(!p.is_match(other.as_bytes()), "{pattern} should not match {other}");
    }
}

/// The files among `names` (one per name, at the root of a fresh
/// repository) that `git ls-files ':(glob)PATTERN'` selects.
fn git_glob(pattern: &str, names: &[&str]) -> BTreeSet<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    for n in names {
        std::fs::write(dir.path().join(n), "x").unwrap();
    }
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .without_user_config()
            .env("HOME", "/nonexistent")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_GLOB_PATHSPECS")
            .env_remove("GIT_LITERAL_PATHSPECS")
            .output()
            .expect("running git");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    git(&["init", "-q", "."]);
    git(&["add", "-A"]);
    let out = git(&["ls-files", "-z", "--", &format!(":(glob){pattern}")]);
    out.split(|&b| b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8(s.to_vec()).unwrap()).collect()
}

/// Found while writing the pattern fuzz target's reference matcher: in a
/// `[...]` class git reads `\` as an escape and a non-ASCII character as its
/// separate bytes, globset reads `\` as a member and matches a non-ASCII
/// member against one byte of that value (Latin-1). The same pattern would
/// select other files than git's, so such classes are refused at load time.
#[test]
fn fuzz_regression_pattern_class_with_backslash_or_non_ascii_is_refused() {
    let names = ["]", "\\", "\\]", "é", "a"];
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    // git: the class {]}; globset: the class {\} then a literal `]`.
    assert_eq!(git_glob("[\\]]", &names), set(&["]"]));
    // git: one byte of é's two, so only `[é][é]` selects `é`.
    assert_eq!(git_glob("[é]", &names), set(&[]));
    assert_eq!(git_glob("[é][é]", &names), set(&["é"]));
    for p in ["[\\]]", "[é]", "[é][é]", "x/[!é]*", "[a-é]"] {
        assert!(matches!(Pattern::new(p), Err(PatternError::ClassCharacter(_))), "{p} is not refused");
    }
    // Outside a class both are fine: `\]` is `]`, `é` is `é`.
    // (git also selects `\]` by its literal text: a documented divergence,
    // see tests/it/pattern.rs.)
    assert!(git_glob("\\]", &names).contains("]"));
    assert!(Pattern::new("\\]").unwrap().is_match(b"]"));
    assert_eq!(git_glob("é", &names), set(&["é"]));
    assert!(Pattern::new("{é,a}").unwrap().is_match("é".as_bytes()));
}

/// Every message of the trailer fuzz corpus gets, from `add_trailer`,
/// exactly the bytes `git interpret-trailers --trailer 'Split-Source: <sha>'` gives.
#[test]
fn trailer_fuzz_corpus_agrees_with_git() {
    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
    let files = corpus("trailer");
    assert!(files.len() >= 10, "fuzz/corpus/trailer holds the seeds");
    let mut failures = Vec::new();
    for f in &files {
        let message = std::fs::read(f).unwrap();
        let ours = add_trailer(&message, "Split-Source", SHA);
        let git = git_interpret_trailers(&message, &format!("Split-Source: {SHA}"));
        if ours != git {
            failures.push(format!(
                "{}:\n   ours {:?}\n    git {:?}",
                f.display(),
                ours.escape_ascii().to_string(),
                git.escape_ascii().to_string()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every manifest of the manifest fuzz corpus loads, or fails naming a place.
#[test]
fn manifest_fuzz_corpus_loads_or_fails_with_a_location() {
    let files = corpus("manifest");
    assert!(files.len() >= 5, "fuzz/corpus/manifest holds the seeds");
    let mut loaded = 0;
    for f in &files {
        match Manifest::load(f) {
            Ok(_) => loaded += 1,
            Err(e) if matches!(e.kind, ErrorKind::TooLarge(_)) => {}
            Err(e) => assert!(e.loc.is_some(), "{e}"),
        }
    }
    assert!(loaded >= 4, "the example manifests and ownership.yaml load");
}

/// The label the trailer regressions add, as a `--trailer` argument.
const TRAILER: &str = "Split-Source: 0123456789abcdef0123456789abcdef01234567";

/// Labelling `message` gives git's bytes, which are `once`; labelling that
/// again gives git's bytes too, which differ: git's own rules are not
/// idempotent for these messages, so ours must not be either.
fn labelled_twice_like_git(message: &[u8], once: &[u8]) {
    let sha = &TRAILER["Split-Source: ".len()..];
    let first = add_trailer(message, "Split-Source", sha);
    assert_eq!(first, git_interpret_trailers(message, TRAILER));
    assert_eq!(first, once);
    let twice = add_trailer(&first, "Split-Source", sha);
    assert_eq!(twice, git_interpret_trailers(&first, TRAILER));
    assert_ne!(twice, first);
}

/// Found by `fuzz/fuzz_targets/trailer.rs` as "labelling twice differs from
/// once" for `+\x01\0...`: after a NUL byte git sees a one-line title without
/// its `\n`, puts the trailer right below it with no blank line, and a second
/// run then finds no trailer block and adds another. That is git's
/// behaviour, so ours too: both runs must give git's bytes.
#[test]
fn fuzz_regression_trailer_nul_right_after_title() {
    labelled_twice_like_git(
        b"+\x01\0\0\0\0\0\0se",
        &[b"+\x01\n", TRAILER.as_bytes(), b"\n\0\0\0\0\0\0se\n"].concat(),
    );
}

/// Found by `fuzz/fuzz_targets/trailer.rs` as "labelling twice differs from
/// once" for a message whose title starts with an old `Conflicts:` line:
/// git takes the `\t` line after the blank line for part of that block and
/// puts the trailer above it; the next run sees the block interrupted by the
/// trailer and adds another. git's behaviour again, so ours: both runs
/// must give git's bytes.
#[test]
fn fuzz_regression_trailer_conflicts_title_like_git() {
    let message = b"Conflicts:\nFix\n\n\tx\n";
    labelled_twice_like_git(message, &[b"Conflicts:\nFix\n\n", TRAILER.as_bytes(), b"\n\n\tx\n"].concat());
}

/// Found by `fuzz/fuzz_targets/manifest.rs` as "column 16 past the end of
/// line 2": the position of a non-UTF-8 byte counted only `\n` as a line
/// break, while the YAML parser (which places every other error) also
/// breaks lines at a lone `\r`. Both must now name the same line.
#[test]
fn fuzz_regression_manifest_not_utf8_location_counts_lone_cr() {
    let loc = |text: &[u8]| Manifest::from_bytes(Path::new("m.yaml"), text).unwrap_err().loc.unwrap();
    for eol in ["\n", "\r\n", "\r"] {
        let yaml_error = loc(format!("version: 1{eol}{eol}teams: {{}}{eol}bogus: 1{eol}").as_bytes());
        let utf8_error =
            loc(&[format!("version: 1{eol}{eol}teams: {{}}{eol}").as_bytes(), b"\xff: 1\n"].concat());
        assert_eq!((yaml_error.line, yaml_error.col), (4, 1), "the parser's position, {eol:?}");
        assert_eq!((utf8_error.line, utf8_error.col), (4, 1), "the UTF-8 error's position, {eol:?}");
    }
}

/// Found by `fuzz/fuzz_targets/manifest.rs` as "error without a location:
/// duplicate field `version`" for `!A version: 1 … version: 1`: the parser
/// compares keys with their tags, so it let `!A version` and `version` both
/// through, and serde's derived struct refused the second without saying
/// where. The same hole let `!x a` and `a` in `teams` collapse into one team
/// (reported only as a case clash). Keys are now compared by their text,
/// whatever their tags or quotes, and both places are named.
#[test]
fn fuzz_regression_manifest_tagged_duplicate_key() {
    let cases: &[(&[u8], (u64, u64), &str)] = &[
        (
            b"!A version: 1\nmonolith:\n  refs: [main]\nversion: 1\nteamack.rs,rship_vs_git.rs,  t",
            (4, 1),
            "duplicate key `version` (first at line 1, column 4)",
        ),
        (
            b"version: 1\nteams:\n  a: {paths: [a]}\n  !x a: {paths: [b]}\n",
            (4, 6),
            "duplicate key `a` (first at line 3, column 3)",
        ),
        (
            b"version: 1\nteams:\n  a: {paths: [a]}\n  !!str a: {paths: [b]}\n",
            (4, 9),
            "duplicate key `a` (first at line 3, column 3)",
        ),
        (
            b"version: 1\nteams:\n  a: {paths: [a], !t paths: [b]}\n",
            (3, 22),
            "duplicate key `paths` (first at line 3, column 7)",
        ),
    ];
    for (yaml, (line, col), message) in cases {
        let e = Manifest::from_bytes(Path::new("m.yaml"), yaml).unwrap_err();
        let loc = e.loc.unwrap_or_else(|| panic!("no location: {e}"));
        assert_eq!((loc.line, loc.col), (*line, *col), "{e}");
        assert_eq!(e.to_string(), format!("m.yaml:{line}:{col}: {message}"));
    }
}
