//! `Pattern` against its reference semantics.
//!
//! 1. git itself: a temp repository with a few hundred index paths, and for
//!    every pattern of a table the set `git ls-files` selects with `:(glob)`
//!    magic must equal the set `Pattern::is_match` selects.
//! 2. `classify_dir` soundness on every directory of that fixture.
//! 3. A proptest against a slow, obviously correct matcher written here.
//!
//! Two deliberate differences from plain `git ls-files ':(glob)P'`, both
//! pinned by `documented_divergences_from_plain_git` below:
//!
//! * Directory ownership. Git gives the "matches a leading directory, so
//!   everything below it" rule only to the *literal* text of a pathspec; a
//!   wildcard pathspec is wildmatched against the whole file path, so
//!   `:(glob)*` selects only top-level files and `:(glob)etc/*.d` selects
//!   nothing below `etc/conf.d/`. Our rule is that a pattern matching a
//!   directory owns it whole, for globs too. The git oracle therefore asks
//!   for `:(glob)P` *and* `:(glob)P/**` in one call: the second pathspec is
//!   git's own wildmatch saying "P matches some leading directory".
//! * Literal fallback. Git first compares a pathspec's text literally, so
//!   `:(glob)meta/[ab]` selects a file named `meta/[ab]` as well as `meta/a`.
//!   We require escaping (`meta/\[ab\]`); the table never names a
//!   metacharacter path with its unescaped text unless the glob matches it
//!   anyway (`meta/a*b`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::support::NoUserConfig;
use git_split::pattern::{DirMatch, Pattern};
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// The fixture repository
// ---------------------------------------------------------------------------

/// Directories the fixture files are spread over (`""` is the root).
const BASES: &[&str] = &[
    "",
    "src",
    "src/main",
    "src/main/java/com/acme",
    "src/test",
    "docs",
    "docs/api",
    "docs/api/v1",
    "docs/api/v2",
    "conf.d",
    "etc/conf.d",
    "etc/nginx/sites.d",
    "payment",
    "payment/api",
    "Payment",
    "paymentx",
    "libs/core/src",
    "libs/corex",
    ".github/workflows",
    ".hidden",
    "with space",
    "with space/in dir",
    "meta",
    "deep/a/b/c/d/e/f/g",
    "a",
    "a/b",
    "a/b/x",
    "x/a/b",
    "b/a",
    "ab/ab",
];

/// File names put in every base directory (minus those that would collide
/// with a directory of the same path).
const NAMES: &[&str] = &[
    "README.md",
    "readme.md",
    "Makefile",
    ".gitignore",
    "main.rs",
    "lib.rs",
    "a.java",
    "B.java",
    "b.java",
    "x.y.z",
    "b.md",
    "a",
    "b",
    "ab",
    "ba",
    "c",
    "notes.txt",
    "file with space.txt",
];

/// Names with glob metacharacters (and their look-alikes), only in `meta/`.
const META_NAMES: &[&str] = &[
    "a*b",
    "axb",
    "[ab]",
    "q?x",
    "qzx",
    "star*",
    "stars",
    "back\\slash",
    "x]y",
    "{x,y}.txt",
    "x.txt",
    "1",
    "42.txt",
    "é.txt",
    "ü",
];

fn fixture_paths() -> Vec<String> {
    let mut files = BTreeSet::new();
    for base in BASES {
        for name in NAMES {
            files.insert(join(base, name));
        }
    }
    for name in META_NAMES {
        files.insert(format!("meta/{name}"));
    }
    // A file and a directory cannot share a path: drop the files.
    let dirs: BTreeSet<String> = files.iter().flat_map(|f| ancestors(f)).collect();
    files.retain(|f| !dirs.contains(f));
    files.into_iter().collect()
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Proper ancestor directories of a path, without the root.
fn ancestors(path: &str) -> Vec<String> {
    path.match_indices('/').map(|(i, _)| path[..i].to_string()).collect()
}

/// `git` with a pinned environment: no system/global config, no inherited
/// `GIT_*` variables (pathspec flags such as `GIT_GLOB_PATHSPECS` included).
fn git(home: &Path, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let mut cmd = Command::new("git");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .without_user_config()
        .env("GIT_AUTHOR_NAME", "Pattern Test")
        .env("GIT_AUTHOR_EMAIL", "pattern@example.invalid")
        .env("GIT_AUTHOR_DATE", "2000-01-01T00:00:00Z")
        .env("GIT_COMMITTER_NAME", "Pattern Test")
        .env("GIT_COMMITTER_EMAIL", "pattern@example.invalid")
        .env("GIT_COMMITTER_DATE", "2000-01-01T00:00:00Z")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .current_dir(home)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run `git {args:?}`: {e}"));
    // Inputs are small (a few tens of KiB); write then wait.
    {
        use std::io::Write;
        let mut w = child.stdin.take().unwrap();
        w.write_all(stdin).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "`git {args:?}` failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn split_z(out: &[u8]) -> BTreeSet<String> {
    out.split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8(s.to_vec()).expect("fixture paths are UTF-8"))
        .collect()
}

/// The same trimming `Pattern::new` applies before splitting segments.
fn trimmed(text: &str) -> &str {
    text.trim_start_matches("./").trim_matches('/')
}

struct Fixture {
    paths: Vec<String>,
    /// Pattern text → the paths git selects (with directory ownership).
    git: BTreeMap<&'static str, BTreeSet<String>>,
    /// Plain `:(glob)P` for the few patterns the divergence test looks at.
    plain: BTreeMap<&'static str, BTreeSet<String>>,
}

/// Patterns of `documented_divergences_from_plain_git`, asked of git without
/// the `/**` companion.
const PLAIN_PROBES: &[&str] = &["*", "*/*.d", "etc/*.d", "docs/*", "meta/[ab]"];

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("temp dir");
        let home = tmp.path();
        let paths = fixture_paths();
        git(home, &["-c", "init.defaultBranch=main", "init", "-q", "repo"], b"");
        let repo = home.join("repo");
        let repo_s = repo.to_str().expect("UTF-8 temp path");
        let blob = git(home, &["-C", repo_s, "hash-object", "-w", "--stdin"], b"content\n");
        let blob = String::from_utf8(blob).unwrap().trim().to_string();
        let mut info = Vec::new();
        for p in &paths {
            info.extend_from_slice(format!("100644 {blob}\t{p}\0").as_bytes());
        }
        git(home, &["-C", repo_s, "update-index", "-z", "--index-info"], &info);

        // The index holds exactly our paths.
        let all = split_z(&git(home, &["-C", repo_s, "ls-files", "-z"], b""));
        let want: BTreeSet<String> = paths.iter().cloned().collect();
        assert_eq!(all, want, "the fixture index does not hold the fixture paths");

        let ls = |pathspecs: &[String]| {
            let mut args = vec!["-C", repo_s, "ls-files", "-z", "--"];
            args.extend(pathspecs.iter().map(String::as_str));
            split_z(&git(home, &args, b""))
        };
        let mut by_pattern = BTreeMap::new();
        for &pat in PATTERNS {
            let t = trimmed(pat);
            let set = ls(&[format!(":(glob){t}"), format!(":(glob){t}/**")]);
            by_pattern.insert(pat, set);
        }
        let mut plain = BTreeMap::new();
        for &pat in PLAIN_PROBES {
            plain.insert(pat, ls(&[format!(":(glob){}", trimmed(pat))]));
        }
        Fixture { paths, git: by_pattern, plain }
    })
}

// ---------------------------------------------------------------------------
// The pattern table
// ---------------------------------------------------------------------------

const PATTERNS: &[&str] = &[
    // Literal directories and files, with the accepted decorations.
    "src",
    "src/",
    "/src",
    "/src/",
    "./docs",
    "src/main",
    "src/main/lib.rs",
    "payment",
    "Payment",
    "payment/api",
    "paymentx",
    "conf.d",
    "etc/conf.d",
    "libs/core",
    ".github",
    ".gitignore",
    "with space",
    "with space/in dir/file with space.txt",
    "README.md",
    "deep/a/b/c/d/e/f/g/README.md",
    "a/b",
    "nonexistent",
    // `*`
    "*",
    "*.md",
    "*.d",
    "*/*.d",
    "etc/*.d",
    "*/*/*.d",
    "src/*",
    "src/*.rs",
    "src/main/*.rs",
    "*/main",
    "*/*/lib.rs",
    "docs/*.md",
    "docs/*/v1",
    "*ment",
    "pay*",
    "pay*/api",
    ".*",
    "*/.gitignore",
    "*.java",
    "x.*",
    "*.*.*",
    "with space/*",
    "* *",
    "*/* *",
    "meta/a*b",
    "meta/star*",
    "*/*/*/*/*/*/*/*/*",
    // `?`
    "?",
    "??",
    "a/?",
    "*/?/c",
    "?ayment",
    "src/ma?n",
    "?.java",
    "meta/q?x",
    // `?` is one byte, as in git: `é` takes two.
    "meta/?.txt",
    "meta/??.txt",
    "meta/?",
    "meta/??",
    // Classes.
    "[ab]",
    "[Pp]ayment",
    "[!p]*",
    "[^.]*",
    "*.[jm]*",
    "[a-c]*",
    "[A-Z]*",
    "docs/api/v[0-9]",
    "docs/api/v[!1]",
    "[.]*",
    "meta/*[]]*",
    "meta/[[]ab]",
    "meta/[!a-z]*",
    "meta/[[:digit:]]*",
    "[[:upper:]]*",
    "*/[[:upper:][:digit:]]*",
    // Escaped metacharacters.
    "meta/\\[ab\\]",
    "meta/a\\*b",
    "meta/q\\?x",
    "meta/star\\*",
    "meta/back\\\\slash",
    "meta/x\\]y",
    // `**` at the start, in the middle, at the end.
    "**",
    "**/README.md",
    "**/readme.md",
    "**/conf.d",
    "**/*.d",
    "**/b",
    "**/a/b",
    "**/ab",
    "a/**",
    "a/**/c",
    "deep/**/g",
    "deep/**/README.md",
    "deep/**/**/g",
    "deep/**/e/**/c",
    "**/src/**",
    "**/api/**/*.md",
    "src/**/*.rs",
    "**/**/lib.rs",
    "**/x/**",
    "libs/**/src",
    "**/.github/**",
    "**/with space/**",
    "**/*ment/*",
    "*/**",
    "**/*",
    "**/[ab]/**/?",
    "docs/**/",
    "/**/lib.rs",
];

#[test]
fn table_is_well_formed() {
    let paths = fixture_paths();
    assert!(paths.len() >= 300, "only {} fixture paths", paths.len());
    assert!(PATTERNS.len() >= 80, "only {} patterns", PATTERNS.len());
    for pat in PATTERNS {
        Pattern::new(pat).unwrap_or_else(|e| panic!("table pattern {pat:?} refused: {e}"));
        // Braces are ours (globset's); git has no alternation. A brace in a
        // pattern is only fine where it never reaches a glob segment.
        if pat.contains(['{', '}']) {
            assert!(
                !pat.contains(['*', '?', '[']) && Pattern::new(pat).unwrap().is_literal(),
                "brace pattern {pat:?} cannot be compared with git"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 1. is_match == git ls-files ':(glob)P' ∪ ':(glob)P/**'
// ---------------------------------------------------------------------------

#[test]
fn is_match_equals_git_glob_pathspec() {
    let fx = fixture();
    let mut report = String::new();
    let mut compared = 0usize;
    for &pat in PATTERNS {
        let p = Pattern::new(pat).unwrap();
        let ours: BTreeSet<String> = fx.paths.iter().filter(|f| p.is_match(f.as_bytes())).cloned().collect();
        let theirs = &fx.git[pat];
        compared += fx.paths.len();
        if &ours != theirs {
            report += &format!("\npattern {pat:?} (git pathspec `:(glob){}`):\n", trimmed(pat));
            for f in theirs.difference(&ours) {
                report += &format!("    git matches, Pattern::is_match does not: {f:?}\n");
            }
            for f in ours.difference(theirs) {
                report += &format!("    Pattern::is_match matches, git does not: {f:?}\n");
            }
        }
    }
    assert!(report.is_empty(), "Pattern disagrees with git ({compared} pairs compared):{report}");
    // The table must exercise something: most patterns select a proper,
    // non-empty subset.
    let interesting = fx.git.values().filter(|s| !s.is_empty() && s.len() < fx.paths.len()).count();
    assert!(interesting >= PATTERNS.len() * 3 / 4, "only {interesting} patterns select a proper subset");
}

// ---------------------------------------------------------------------------
// 2. classify_dir soundness on the fixture's directories
// ---------------------------------------------------------------------------

#[test]
fn classify_dir_is_sound_on_fixture() {
    let fx = fixture();
    let mut dirs: BTreeSet<String> = fx.paths.iter().flat_map(|f| ancestors(f)).collect();
    dirs.insert(String::new());
    let mut report = String::new();
    let mut checked = 0usize;
    for &pat in PATTERNS {
        let p = Pattern::new(pat).unwrap();
        let selected = &fx.git[pat];
        for dir in &dirs {
            let under: Vec<&String> = fx
                .paths
                .iter()
                .filter(|f| {
                    dir.is_empty() || f.strip_prefix(dir.as_str()).is_some_and(|r| r.starts_with('/'))
                })
                .collect();
            assert!(!under.is_empty(), "directory {dir:?} has no files");
            let hits = under.iter().filter(|f| selected.contains(f.as_str())).count();
            let class = p.classify_dir(dir.as_bytes());
            checked += 1;
            let ok = match class {
                DirMatch::Whole => hits == under.len(),
                DirMatch::None => hits == 0,
                // `Partial` is always sound; mixed directories must get it.
                DirMatch::Partial => true,
            };
            let mixed = hits != 0 && hits != under.len();
            if !ok || (mixed && class != DirMatch::Partial) {
                let example = under
                    .iter()
                    .find(|f| selected.contains(f.as_str()) != (class == DirMatch::Whole))
                    .unwrap();
                report += &format!(
                    "\npattern {pat:?} dir {dir:?}: classify_dir = {class:?} but {hits}/{} files below match (e.g. {example:?} {})",
                    under.len(),
                    if selected.contains(example.as_str()) { "matches" } else { "does not match" },
                );
            }
        }
    }
    assert!(report.is_empty(), "classify_dir unsound ({checked} pattern×dir pairs checked):{report}");
}

// ---------------------------------------------------------------------------
// The two differences from plain `:(glob)`, pinned so they stay deliberate.
// ---------------------------------------------------------------------------

#[test]
fn documented_divergences_from_plain_git() {
    let fx = fixture();
    let ours = |pat: &str| -> BTreeSet<String> {
        let p = Pattern::new(pat).unwrap();
        fx.paths.iter().filter(|f| p.is_match(f.as_bytes())).cloned().collect()
    };

    // Directory ownership: plain git is a strict subset of ours, and the
    // extra paths are exactly those below a directory the glob matches.
    for pat in ["*", "*/*.d", "etc/*.d", "docs/*"] {
        let plain = &fx.plain[pat];
        let mine = ours(pat);
        assert!(plain.is_subset(&mine), "{pat:?}: plain git {plain:?} not within ours");
        assert!(plain.len() < mine.len(), "{pat:?}: expected git to leave out directories it does not own");
        let p = Pattern::new(pat).unwrap();
        for f in mine.difference(plain) {
            assert!(
                ancestors(f)
                    .iter()
                    .any(|d| p.is_match(d.as_bytes()) && p.classify_dir(d.as_bytes()) == DirMatch::Whole),
                "{pat:?}: {f:?} is ours but below no directory the pattern owns"
            );
        }
    }
    assert!(
        fx.plain["etc/*.d"].is_empty(),
        "git's plain `:(glob)etc/*.d` selects files: {:?}",
        fx.plain["etc/*.d"]
    );
    assert!(ours("etc/*.d").contains("etc/conf.d/README.md"));

    // Literal fallback: git selects `meta/[ab]` by its text; we need escaping.
    let plain = &fx.plain["meta/[ab]"];
    let mine = ours("meta/[ab]");
    let extra: Vec<&String> = plain.difference(&mine).collect();
    assert_eq!(extra, ["meta/[ab]"], "git {plain:?} vs ours {mine:?}");
    assert!(mine.is_subset(plain));
    assert_eq!(ours("meta/\\[ab\\]"), BTreeSet::from(["meta/[ab]".to_string()]));
}

// ---------------------------------------------------------------------------
// 3. Proptest against a slow reference matcher
// ---------------------------------------------------------------------------

const SEG_ALPHABET: &[&str] = &["a", "b", "ab", "*", "?", "a*", "*b", "[ab]", "**"];
const NAME_ALPHABET: &[&str] = &["a", "b", "ab", "ba"];

/// One name against one glob segment: `*`, `?`, `[..]` (a plain list) and literals.
fn ref_segment(pat: &[u8], name: &[u8]) -> bool {
    match pat.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|k| ref_segment(rest, &name[k..])),
        Some((b'?', rest)) => !name.is_empty() && ref_segment(rest, &name[1..]),
        Some((b'[', _)) => {
            let close = pat.iter().position(|&c| c == b']').expect("closed class");
            let set = &pat[1..close];
            !name.is_empty() && set.contains(&name[0]) && ref_segment(&pat[close + 1..], &name[1..])
        }
        Some((c, rest)) => name.first() == Some(c) && ref_segment(rest, &name[1..]),
    }
}

/// The whole pattern against exactly these names. `**` takes zero or more
/// names, except as the last segment where it takes one or more (git's
/// trailing `/**`: "everything inside").
fn ref_full(segs: &[&str], names: &[&str]) -> bool {
    match segs.split_first() {
        None => names.is_empty(),
        Some((&"**", [])) => !names.is_empty(),
        Some((&"**", rest)) => ref_full(rest, names) || (!names.is_empty() && ref_full(segs, &names[1..])),
        Some((seg, rest)) => {
            !names.is_empty()
                && ref_segment(seg.as_bytes(), names[0].as_bytes())
                && ref_full(rest, &names[1..])
        }
    }
}

/// A path matches if the pattern matches it or one of its leading directories.
fn ref_match(segs: &[&str], names: &[&str]) -> bool {
    (1..=names.len()).any(|k| ref_full(segs, &names[..k]))
}

fn seg_strategy() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(prop::sample::select(SEG_ALPHABET), 1..=4)
}

fn names_strategy(len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(prop::sample::select(NAME_ALPHABET), len)
}

/// Every path of 1..=depth names over `alphabet`.
fn all_suffixes(alphabet: &[&'static str], depth: usize) -> Vec<Vec<&'static str>> {
    let mut out = Vec::new();
    let mut layer: Vec<Vec<&'static str>> = vec![vec![]];
    for _ in 0..depth {
        layer = layer
            .iter()
            .flat_map(|p| {
                alphabet.iter().map(move |n| {
                    let mut q = p.clone();
                    q.push(*n);
                    q
                })
            })
            .collect();
        out.extend(layer.iter().cloned());
    }
    out
}

fn suffixes() -> &'static [Vec<&'static str>] {
    static S: OnceLock<Vec<Vec<&'static str>>> = OnceLock::new();
    S.get_or_init(|| {
        // Depth 4 so that a 4-segment pattern has a matching witness below
        // the root; `zz` matches no literal, `?`, class or `a*`/`*b` segment.
        let mut s = all_suffixes(NAME_ALPHABET, 4);
        s.push(vec!["zz"]);
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn is_match_equals_reference(segs in seg_strategy(), names in names_strategy(1..=5)) {
        let text = segs.join("/");
        let p = Pattern::new(&text).unwrap();
        let path = names.join("/");
        prop_assert_eq!(
            p.is_match(path.as_bytes()),
            ref_match(&segs, &names),
            "pattern {:?} path {:?}", text, path
        );
    }

    #[test]
    fn classify_dir_matches_reference(segs in seg_strategy(), dir in names_strategy(0..=3)) {
        let text = segs.join("/");
        let p = Pattern::new(&text).unwrap();
        let dir_s = dir.join("/");
        let class = p.classify_dir(dir_s.as_bytes());
        // Soundness is judged on the {a,b,ab,ba} paths up to depth 3 (plus
        // `zz`); the depth-4 paths only serve as witnesses for exactness.
        let mut hit3: Option<String> = None;
        let mut miss3: Option<String> = None;
        let mut hit: Option<String> = None;
        for suffix in suffixes() {
            let names: Vec<&str> = dir.iter().chain(suffix).copied().collect();
            let path = names.join("/");
            let want = ref_match(&segs, &names);
            prop_assert_eq!(p.is_match(path.as_bytes()), want, "pattern {:?} path {:?}", text, path);
            if want && hit.is_none() {
                hit = Some(path.clone());
            }
            if suffix.len() <= 3 {
                if want && hit3.is_none() {
                    hit3 = Some(path.clone());
                }
                if !want && miss3.is_none() {
                    miss3 = Some(path.clone());
                }
            }
            match class {
                DirMatch::Whole => prop_assert!(want, "pattern {:?} dir {:?}: Whole, but {:?} does not match", text, dir_s, path),
                DirMatch::None => prop_assert!(!want, "pattern {:?} dir {:?}: None, but {:?} matches", text, dir_s, path),
                DirMatch::Partial => {}
            }
        }
        if hit3.is_some() && miss3.is_some() {
            prop_assert_eq!(class, DirMatch::Partial, "pattern {:?} dir {:?}: mixed ({:?} matches, {:?} does not)", text, dir_s, hit3, miss3);
        }
        // This alphabet has no roundabout match-everything glob (`?*`), so
        // `Partial` is exact: a match exists within depth 4 and `zz` misses.
        if class == DirMatch::Partial {
            let zz = if dir_s.is_empty() { "zz".to_string() } else { format!("{dir_s}/zz") };
            prop_assert!(hit.is_some(), "pattern {:?} dir {:?}: Partial, but nothing below matches", text, dir_s);
            prop_assert!(!p.is_match(zz.as_bytes()), "pattern {:?} dir {:?}: Partial, but even {:?} matches", text, dir_s, zz);
        }
    }
}
