//! Hostile manifests: each is refused with exit 2 and a message naming the
//! place (`file:line:col` where there is one), prints nothing on stdout,
//! writes nothing, and runs in bounded memory (`ulimit -v`, see
//! `support/bounded.rs`): huge files, floods of teams or nodes, deep
//! nesting, alias bombs, duplicate keys, non-UTF-8 bytes, globs built to
//! blow up a regex, and team names that cannot be directory names.

use std::path::Path;

use crate::support::bounded::{split_bounded, MEM_LIMIT_KIB};
use crate::support::{digest, fixture};

/// Runs `git-split ARGS --manifest M PATHS` on the history fixture,
/// bounded, with `manifest` written to M.
fn bounded_with(manifest: &str, args: &[&str], paths: &[&str]) -> crate::support::bounded::Bounded {
    let repo = fixture("history");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ownership.yaml");
    std::fs::write(&path, manifest).unwrap();
    let mut all = args.to_vec();
    all.extend(["--manifest", path.to_str().unwrap()]);
    all.extend(paths);
    split_bounded(&repo, &all, MEM_LIMIT_KIB)
}

/// Runs `plan` and `apply` with `manifest` on the history fixture and
/// checks the refusal: exit 2, nothing on stdout, the error on stderr
/// starting with `ownership.yaml:` + `loc` (when given) and containing
/// `what`; apply creates no output directory; the monolith is unchanged.
fn refused(manifest: &[u8], loc: Option<&str>, what: &str) {
    let repo = fixture("history");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ownership.yaml");
    std::fs::write(&path, manifest).unwrap();
    let out = tmp.path().join("out");
    let before = digest(&repo);
    let path_s = path.to_str().unwrap();
    for args in [
        vec!["plan", "--manifest", path_s],
        vec!["check", "--manifest", path_s],
        vec!["apply", "-q", "--manifest", path_s, "--out", out.to_str().unwrap()],
    ] {
        let run = split_bounded(&repo, &args, MEM_LIMIT_KIB);
        let shown = format!("{args:?}: exit {}\n{}{}", run.code, run.stdout, run.stderr);
        assert_eq!(run.code, 2, "{shown}");
        assert!(run.stdout.is_empty(), "{shown}");
        let prefix = match loc {
            Some(l) if l.ends_with(':') => format!("error: {path_s}:{l}"),
            Some(l) => format!("error: {path_s}:{l}: "),
            None => format!("error: {path_s}: "),
        };
        assert!(run.stderr.starts_with(&prefix), "expected `{prefix}`; {shown}");
        assert!(run.stderr.contains(what), "expected `{what}`; {shown}");
        assert_eq!(run.stderr.lines().count(), 1, "one line; {shown}");
        assert!(run.stderr.len() < 1000, "a short message; {shown}");
        assert!(!run.stderr.contains('\x1b'), "no terminal escapes; {shown}");
        assert!(!out.exists(), "nothing written; {shown}");
    }
    assert_eq!(before, digest(&repo), "the monolith is unchanged");
}

const HEAD: &str = "version: 1\nteams:\n";

fn with_teams(body: &str) -> Vec<u8> {
    format!("{HEAD}{body}").into_bytes()
}

#[test]
fn over_8_mib_is_refused_before_parsing() {
    let mut m = with_teams("  a: {paths: [a]}\n");
    m.extend(std::iter::repeat_n(b'#', 9 << 20));
    refused(&m, None, "larger than 8 MiB");
}

/// Reading stops after 8 MiB: an endless `--manifest` is refused, not read.
#[test]
fn an_endless_manifest_is_not_read_to_its_end() {
    let repo = fixture("history");
    for args in [&["plan", "--manifest", "/dev/zero"][..], &["check", "--manifest", "/dev/urandom"]] {
        let run = split_bounded(&repo, args, MEM_LIMIT_KIB);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("larger than 8 MiB"), "{}", run.stderr);
    }
}

/// Decision: at most 10,000 teams (each is a repository written in one
/// run); 100k teams in 3.8 MB is refused by count, pointing at `teams`.
#[test]
fn a_hundred_thousand_teams_are_refused_by_count() {
    let mut body = String::new();
    for i in 0..100_000 {
        body.push_str(&format!("  t{i:06}: {{paths: [d{i:06}]}}\n"));
    }
    refused(&with_teams(&body), Some("3:3"), "100000 teams; more than 10000");
}

/// Ten thousand teams are accepted, and `plan` answers for all of them.
#[test]
fn ten_thousand_teams_are_accepted() {
    let mut m =
        String::from("version: 1\npolicy: {unowned: allow}\nteams:\n  a: {paths: [a, b, shared.txt]}\n");
    for i in 1..10_000 {
        m.push_str(&format!("  t{i:05}: {{paths: [d{i:05}]}}\n"));
    }
    let run = bounded_with(&m, &["plan", "--format", "json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["teams"].as_array().unwrap().len(), 10_000);
}

#[test]
fn a_flood_of_nodes_is_refused_while_parsing() {
    // 1.2 million list entries in 2.4 MB: under the size limit, over the node budget.
    let list = vec!["a"; 1_200_000].join(",");
    refused(&with_teams(&format!("  a: {{paths: [{list}]}}\n")), Some("3:"), "too large or too complex");
}

#[test]
fn a_second_document_is_refused() {
    refused(
        &with_teams("  a: {paths: [a]}\n---\nversion: 1\nteams:\n  b: {paths: [b]}\n"),
        Some("4:1"),
        "Documents",
    );
}

#[test]
fn deep_flow_sequences_are_refused() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    refused(&with_teams(&format!("  a: {{paths: {deep}}}\n")), Some("3:"), "recursion limit");
}

#[test]
fn deep_flow_mappings_are_refused() {
    let deep = format!("{}x{}", "{a: ".repeat(100_000), "}".repeat(100_000));
    refused(&with_teams(&format!("  a: {deep}\n")), Some("3:"), "");
    refused(format!("version: 1\nteams: {deep}\n").as_bytes(), Some("2:"), "");
}

#[test]
fn deep_block_sequences_are_refused() {
    let deep = "- ".repeat(50_000);
    refused(&with_teams(&format!("  a:\n    paths:\n      {deep}x\n")), Some("5:"), "");
}

/// The classic billion laughs, first where nothing reads it (an unknown
/// key stops the parse), then under a key that is read.
#[test]
fn billion_laughs_are_refused() {
    let mut bomb = String::from("lol0: &l0 [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
    for i in 1..10 {
        bomb.push_str(&format!("lol{i}: &l{i} [{}]\n", vec![format!("*l{}", i - 1); 10].join(",")));
    }
    refused(format!("{bomb}{HEAD}  a: {{paths: *l9}}\n").as_bytes(), Some("1:1"), "unknown field `lol0`");

    let mut typed = String::from("version: 1\nmonolith: {refs: &l0 [x,x,x,x,x,x,x,x,x,x]}\nteams:\n  a:\n");
    typed.push_str("    paths: [a]\n");
    for (i, key) in ["owners", "exclude", "packages"].iter().enumerate() {
        let prev = format!("*l{i}");
        typed.push_str(&format!("    {key}: &l{} [{}]\n", i + 1, vec![prev; 10].join(",")));
    }
    refused(typed.as_bytes(), Some("6:18"), "expected string scalar (defined at line 2, column 22)");
}

#[test]
fn a_flood_of_aliases_is_refused() {
    let aliases = vec!["*x"; 20_000].join(", ");
    refused(
        &with_teams(&format!("  a: {{paths: [a], owners: [&x o, {aliases}]}}\n")),
        Some("3:"),
        "too large or too complex",
    );
}

#[test]
fn merge_keys_are_read_and_bounded() {
    // `<<` is allowed (teams sharing settings), within the same budget.
    let m = "version: 1\nteams:\n  a: &base {paths: [a], owners: [\"@x\"]}\n  b: {<<: *base, paths: [b, shared.txt]}\n";
    let run = bounded_with(m, &["plan", "--format", "json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["teams"][1]["name"], "b");
}

#[test]
fn duplicate_team_names_both_locations() {
    refused(
        &with_teams("  a: {paths: [a]}\n  b: {paths: [b]}\n  a: {paths: [shared.txt]}\n"),
        Some("5:3"),
        "duplicate key `a` (first at line 3, column 3)",
    );
}

#[test]
fn duplicate_top_level_keys_both_locations() {
    refused(
        b"version: 1\nteams:\n  a: {paths: [a]}\nversion: 1\n",
        Some("4:1"),
        "duplicate key `version` (first at line 1, column 1)",
    );
}

#[test]
fn duplicate_flow_keys_both_locations() {
    refused(
        &with_teams("  a: {paths: [a], paths: [b]}\n"),
        Some("3:19"),
        "duplicate key `paths` (first at line 3, column 7)",
    );
}

#[test]
fn non_utf8_bytes_are_located() {
    refused(b"version: 1\nteams:\n  a: {paths: [caf\xe9]}\n", Some("3:18"), "not valid UTF-8");
    refused(b"\xff\xfeversion: 1\n", Some("1:1"), "not valid UTF-8");
}

#[test]
fn globs_built_to_blow_up_are_refused_at_load() {
    let long = format!("{}{}b", "**/".repeat(62), "a*".repeat(100_000));
    refused(&with_teams(&format!("  a: {{paths: [\"{long}\"]}}\n")), Some("3:15"), "longer than 4096 bytes");
    let nested = format!("{}b{}", "{a,".repeat(1000), "}".repeat(1000));
    refused(&with_teams(&format!("  a: {{paths: [\"{nested}\"]}}\n")), Some("3:15"), "bad glob");
    refused(
        &with_teams(&format!("  a: {{paths: [{}x]}}\n", "d/".repeat(64))),
        Some("3:15"),
        "more than 63 path segments",
    );
}

/// The worst glob that loads (62 `**` and a segment of 1,000 `a*` before a
/// `b`), against paths of 200 components of 250 `a`s: a backtracking
/// matcher would never finish; the automaton (one state per segment, each
/// segment a regex without backtracking) answers at once.
#[test]
fn pathological_glob_matching_stays_linear() {
    let glob = format!("{}{}b", "**/".repeat(62), "a*".repeat(1000));
    assert!(glob.len() < 4096);
    let m = format!("version: 1\nteams:\n  a: {{paths: [a, \"{glob}\"]}}\n");
    let comp = "a".repeat(250);
    let miss = vec![comp.as_str(); 200].join("/");
    let hit = format!("{miss}/{}b", "a".repeat(1500));
    let run = bounded_with(&m, &["owners", "--format", "json"], &[&miss, &hit]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["paths"][0]["teams"], serde_json::json!([]), "no `b` at the end: no match");
    assert_eq!(v["paths"][1]["teams"], serde_json::json!(["a"]));
}

/// Every name that cannot be a directory (or a ref-safe label) is refused
/// where it is written; none reaches `apply`, so no output path can leave
/// `--out`.
#[test]
fn team_names_that_are_not_directory_names() {
    let long = "x".repeat(101);
    let cases: &[(&str, &str)] = &[
        ("\"..\"", "starts with `.`"),
        ("\".\"", "starts with `.`"),
        ("\"/\"", "only ASCII letters"),
        ("\"a/b\"", "only ASCII letters"),
        ("\"../escape\"", "starts with `.`"),
        ("\"a/../../escape\"", "only ASCII letters"),
        ("\"\"", "it is empty"),
        ("\".git\"", "starts with `.`"),
        ("x.git", "ends with `.git`"),
        ("x.lock", "ends with `.git`, `.lock`"),
        ("\"x.\"", "ends with"),
        ("CON", "reserved device name"),
        ("nul", "reserved device name"),
        ("Com1", "reserved device name"),
        ("lpt9.team", "reserved device name"),
        ("aux.x", "reserved device name"),
        ("-rf", "starts with `.` or `-`"),
        ("\"--help\"", "starts with `.` or `-`"),
        ("\"a\\tb\"", "only ASCII letters"),
        ("\"a\\u001b[31mred\"", "only ASCII letters"),
        ("\"a\\0b\"", "only ASCII letters"),
        ("\"caf\u{e9}\"", "only ASCII letters"),
        ("\"a b\"", "only ASCII letters"),
        ("\"a\\\\b\"", "only ASCII letters"),
        (&long, "longer than 100 characters"),
    ];
    for (name, why) in cases {
        refused(&with_teams(&format!("  {name}: {{paths: [a]}}\n")), Some("3:3"), why);
    }
    refused(
        &with_teams("  Web: {paths: [a]}\n  web: {paths: [b]}\n"),
        Some("4:3"),
        "differs from `Web` (line 3, column 3) only in case",
    );
    // A null or non-string key is a type error, still located.
    refused(&with_teams("  ~: {paths: [a]}\n"), Some("3:"), "");
    refused(&with_teams("  [a]: {paths: [a]}\n"), Some("3:"), "");
}

/// `--team` names a manifest team or nothing: a path-like value is refused.
#[test]
fn team_flag_cannot_name_a_path() {
    let repo = fixture("history");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ownership.yaml");
    std::fs::write(&path, "version: 1\nteams:\n  a: {paths: [a]}\n").unwrap();
    let out = tmp.path().join("out");
    for team in ["../a", "a/../../x", "/tmp/x", ""] {
        let run = split_bounded(
            &repo,
            &[
                "apply",
                "-q",
                "--manifest",
                path.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--team",
                team,
            ],
            MEM_LIMIT_KIB,
        );
        assert_eq!(run.code, 2, "{team}: {}", run.stderr);
        assert!(run.stderr.contains("team"), "{}", run.stderr);
        assert!(!out.exists(), "{team}: nothing written");
        assert!(!tmp.path().join("x").exists() && !Path::new("/tmp/x.git").exists());
    }
}

/// A `monolith.refs` entry that does not resolve (an option-looking name,
/// a path, a revision past the root) is refused naming where it is
/// written, by `plan` (the first ref) and `apply` (any ref); nothing is
/// written.
#[test]
fn refs_that_do_not_resolve_are_located() {
    let repo = fixture("history");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ownership.yaml");
    let out = tmp.path().join("out");
    let p = path.to_str().unwrap();
    for (refs, loc, cmds) in [
        (r#"["--output=/tmp/x"]"#, "2:19", &["plan", "apply"][..]),
        (r#"["../../etc/passwd"]"#, "2:19", &["plan", "apply"]),
        (r#"["main~1000"]"#, "2:19", &["plan", "apply"]),
        (r#"[main, "no-such-branch"]"#, "2:25", &["apply"]),
        (r#"[main, "release/*"]"#, "2:25", &["apply"]),
    ] {
        std::fs::write(
            &path,
            format!("version: 1\nmonolith: {{refs: {refs}}}\nteams:\n  a: {{paths: [a]}}\n"),
        )
        .unwrap();
        for cmd in cmds {
            let run = split_bounded(
                &repo,
                &[cmd, "-q", "--manifest", p, "--out", out.to_str().unwrap()]
                    [..if *cmd == "apply" { 6 } else { 4 }],
                MEM_LIMIT_KIB,
            );
            assert_eq!(run.code, 2, "{refs} {cmd}: {}", run.stderr);
            assert!(
                run.stderr.starts_with(&format!("error: {p}:{loc}: in `monolith.refs`: ")),
                "{refs} {cmd}: {}",
                run.stderr
            );
            assert!(!out.exists() && !Path::new("/tmp/x").exists(), "{refs} {cmd}: nothing written");
        }
    }
}

#[test]
fn bad_tags_keys_are_refused_where_written() {
    refused(
        b"version: 1\ntags: {prefix: \"{org}/\"}\nteams:\n  a: {paths: [a]}\n",
        Some("2:16"),
        "unknown placeholder `{org}`",
    );
    refused(
        &with_teams("  a:\n    paths: [a]\n    tags: {select: [\"refs/tags/v*\"]}\n"),
        Some("5:21"),
        "without `refs/tags/`",
    );
    refused(&with_teams("  a:\n    paths: [a]\n    tags: {prefix: \"~\"}\n"), Some("5:20"), "valid ref name");
}
