//! CODEOWNERS files built to stall a matcher, read from the tree of the
//! ref by `codeowners --check` and `init --from`: each finishes within the
//! bounded runner's memory and hang guard, matching as an independent
//! GitHub reader matches the same patterns; a file larger than GitHub reads, or with more wildcard
//! patterns than git-split tries on every file, is refused naming it.

use std::collections::BTreeMap;

use crate::support::bounded::{split_bounded, MEM_LIMIT_KIB};
use crate::support::{fixture, git, z_list};

/// A manifest giving every file to one team with one handle.
const ALL_TO_T: &str = "version: 1\nteams:\n  t:\n    owners: [\"@t\"]\n    paths: [\"**\"]\n";

#[test]
fn backtracking_patterns_are_matched_within_bounds_as_an_independent_reader_matches_them() {
    let repo = fixture("hostile_inputs");
    let text = String::from_utf8(git(&repo, &["show", "HEAD:.github/CODEOWNERS"]).stdout).unwrap();
    // The line from the report, with the file of 60 `a`s it almost matches.
    assert_eq!(text.lines().next(), Some("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b @x"));
    let paths = z_list(&git(&repo, &["ls-files", "-z"]));
    assert!(paths.contains(&"a".repeat(60)));
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("ownership.yaml");
    std::fs::write(&manifest, ALL_TO_T).unwrap();
    let m = manifest.to_str().unwrap();
    let run =
        split_bounded(&repo, &["codeowners", "--check", "--format", "json", "--manifest", m], MEM_LIMIT_KIB);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let ours: BTreeMap<String, Vec<String>> = v["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let owners = m["codeowners"].as_array().unwrap().iter().map(|o| o.as_str().unwrap().to_string());
            (m["path"].as_str().unwrap().to_string(), owners.collect())
        })
        .collect();
    // codeowners-rs (an independent GitHub reader, matching segment by
    // segment) decides. git is no judge here: its matcher takes minutes on
    // the line of thirty `**`. The line git-split skips for its length
    // matches no path of the tree (no name holds three thousand `a`s).
    let ruleset = codeowners_rs::parse(&text).into_ruleset();
    let theirs: BTreeMap<String, Vec<String>> = paths
        .iter()
        .map(|p| {
            let mut owners: Vec<String> =
                ruleset.owners(p).unwrap_or_default().iter().map(|o| o.value.clone()).collect();
            owners.sort();
            (p.clone(), owners)
        })
        .filter(|(_, owners)| owners != &["@t"])
        .collect();
    assert_eq!(ours, theirs);
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0]["message"].as_str().unwrap().contains("longer than any path"), "{problems:?}");

    // `init` reads the same file.
    let run = split_bounded(
        &repo,
        &["init", "--output", "-", "--from", ".github/CODEOWNERS", "--manifest", m],
        MEM_LIMIT_KIB,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn files_too_large_or_too_costly_to_match_are_refused() {
    let repo = fixture("hostile_inputs");
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("ownership.yaml");
    std::fs::write(&manifest, ALL_TO_T).unwrap();
    let m = manifest.to_str().unwrap();
    let size = git(&repo, &["cat-file", "-s", "HEAD:big/CODEOWNERS"]).stdout;
    let size = String::from_utf8(size).unwrap().trim().to_string();
    for (file, what) in [
        (
            "big/CODEOWNERS",
            format!("error: `big/CODEOWNERS` is {size} bytes; more than 3000000 is not read\n"),
        ),
        (
            "many/CODEOWNERS",
            "error: many/CODEOWNERS at main: 10001 patterns with wildcards; more than 10000 are not read, \
             as each is tried on every file\n"
                .to_string(),
        ),
    ] {
        for args in [
            &["codeowners", "--check", "--output", file, "--manifest", m][..],
            &["init", "--output", "-", "--from", file, "--manifest", m],
        ] {
            let run = split_bounded(&repo, args, MEM_LIMIT_KIB);
            assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{args:?}: {}", run.stderr);
            assert_eq!(run.stderr, what, "{args:?}");
        }
    }
}
