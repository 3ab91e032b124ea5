use super::*;

/// (dialect, pattern, path, matches?) — the rules in one screen. Where
/// GitHub and gitignore agree, `tests/it/codeowners/mod.rs` checks the same
/// kinds of pattern against git itself.
const MATCHES: &[(Syntax, &str, &str, bool)] = &[
    (Syntax::GitHub, "*", "a/b/c", true),
    (Syntax::GitHub, "*.md", "docs/x/README.md", true),
    (Syntax::GitHub, "/*.md", "docs/README.md", false),
    (Syntax::GitHub, "/*", "README.md", true),
    (Syntax::GitHub, "/*", "docs/README.md", false),
    (Syntax::GitHub, "docs", "x/docs/a.md", true),
    (Syntax::GitHub, "docs/", "x/docs/a.md", true),
    (Syntax::GitHub, "docs/", "docs", false),
    (Syntax::GitHub, "/docs/", "x/docs/a.md", false),
    (Syntax::GitHub, "docs/a", "x/docs/a", false),
    (Syntax::GitHub, "docs/a", "docs/a/b/c", true),
    // GitHub's documented difference from gitignore.
    (Syntax::GitHub, "docs/*", "docs/a.md", true),
    (Syntax::GitHub, "docs/*", "docs/sub/a.md", false),
    (Syntax::GitHub, "docs/**", "docs/sub/a.md", true),
    (Syntax::GitHub, "docs/**", "docs", false),
    (Syntax::GitHub, "**/logs", "a/b/logs/x", true),
    (Syntax::GitHub, "a/**/b", "a/b", true),
    (Syntax::GitHub, "a/**/b", "a/x/y/b/z", true),
    (Syntax::GitHub, "a?c", "abc", true),
    (Syntax::GitHub, "a?c", "a/c", false),
    (Syntax::GitHub, "[ab]", "[ab]", true),
    (Syntax::GitHub, "[ab]", "a", false),
    (Syntax::GitHub, "a\\ b", "a b", true),
    (Syntax::GitHub, "foo*", "foobar/x", true),
    (Syntax::GitHub, ".github/", ".github/workflows/ci.yml", true),
    (Syntax::GitLab, "*", "a/b/c", true),
    (Syntax::GitLab, "/docs", "docs/a.md", false),
    (Syntax::GitLab, "/docs", "docs", true),
    (Syntax::GitLab, "/docs/", "docs/a/b.md", true),
    (Syntax::GitLab, "docs/", "x/docs/a/b.md", true),
    (Syntax::GitLab, "/docs/*", "docs/a.md", true),
    (Syntax::GitLab, "/docs/*", "docs/a/b.md", false),
    (Syntax::GitLab, "/docs/**/*.md", "docs/a.md", true),
    (Syntax::GitLab, "/docs/**/*.md", "docs/a/b/c.md", true),
    (Syntax::GitLab, "*.rb", "a/b.rb", true),
    (Syntax::GitLab, "*.rb", ".x.rb", true),
    (Syntax::GitLab, "/a/[bc]", "a/c", true),
    (Syntax::GitLab, "/a/[!bc]", "a/c", false),
    (Syntax::GitLab, "path\\ with\\ spaces/", "path with spaces/x", true),
    (Syntax::GitLab, "\\#file", "x/#file", true),
];

#[test]
fn match_table() {
    for &(syntax, pattern, path, want) in MATCHES {
        let co = CodeOwners::parse(&format!("{pattern} @o"), syntax);
        assert!(co.problems.is_empty(), "{pattern}: {:?}", co.problems);
        let got = !co.owners(path).is_empty();
        assert_eq!(got, want, "{syntax:?} `{pattern}` vs `{path}`");
    }
}

#[test]
fn last_match_wins_and_empty_lines_reset() {
    let co = CodeOwners::parse(
        "# comment\n* @all\n/apps/ @apps # trailing comment\n/apps/github\n/apps/x.md @x @a\n",
        Syntax::GitHub,
    );
    assert_eq!(co.owners("README"), ["@all"]);
    assert_eq!(co.owners("apps/a/b"), ["@apps"]);
    assert!(co.owners("apps/github/a").is_empty());
    assert_eq!(co.owners("apps/x.md"), ["@a", "@x"]);
}

#[test]
fn github_skips_negation() {
    let co = CodeOwners::parse("* @a\n!b @b\n", Syntax::GitHub);
    assert_eq!(co.problems.len(), 1);
    assert_eq!(co.problems[0].line, 2);
    assert_eq!(co.owners("b"), ["@a"]);
}

#[test]
fn gitlab_sections_union_and_defaults() {
    let text = "* @everyone\n\n[Docs] @docs\n/docs/\n/docs/api/ @api\n\n^[Optional][2] @opt\n*.md\n!/docs/keep.md\n\n[docs]\n/extra/\n";
    let co = CodeOwners::parse(text, Syntax::GitLab);
    assert!(co.problems.is_empty(), "{:?}", co.problems);
    assert_eq!(co.sections, ["", "Docs", "Optional"]);
    assert_eq!(co.owners("docs/a.md"), ["@docs", "@everyone", "@opt"]);
    assert_eq!(co.owners("docs/api/x.rs"), ["@api", "@everyone"]);
    assert_eq!(co.owners("docs/keep.md"), ["@docs", "@everyone"]);
    // A repeated header (any case) continues the section and its defaults.
    assert_eq!(co.owners("extra/x"), ["@docs", "@everyone"]);
}

#[test]
fn gitlab_entry_without_owners_is_rejected() {
    let co = CodeOwners::parse("/docs/\n", Syntax::GitLab);
    assert_eq!(co.problems.len(), 1);
    assert!(co.owners("docs/a").is_empty());
}

#[test]
fn gitlab_repeated_pattern_keeps_first_place_last_owners() {
    let co = CodeOwners::parse("/a/ @first\n/a/b/ @b\n/a/ @second\n", Syntax::GitLab);
    assert_eq!(co.owners("a/b/c"), ["@b"]);
    assert_eq!(co.owners("a/c"), ["@second"]);
}

#[test]
fn question_mark_substitution_needs_unique_siblings() {
    assert_eq!(generate::component_for_test(b"a b", &[b"a b", b"ab"]), Some("a?b".to_string()));
    assert_eq!(generate::component_for_test(b"a b", &[b"a b", b"a_b"]), None);
    assert_eq!(generate::component_for_test(b"plain.rs", &[]), Some("plain.rs".to_string()));
    assert_eq!(generate::component_for_test(b"\xff", &[]), None);
}

/// The literal-path index answers like trying every rule.
#[test]
fn index_agrees_with_trying_every_rule() {
    let patterns = [
        "*",
        "/a",
        "/a/",
        "a",
        "a/",
        "/a/b",
        "/a/b/",
        "a/b",
        "/a/*",
        "**/b",
        "/a/**",
        "*.md",
        "/x.md",
        "/a/b/c.md",
        "/a\\ b/",
        "\\#c",
        "/a/b/c.md",
    ];
    let paths = ["a", "a/b", "a/b/c.md", "a/x.md", "x.md", "b/a/b", "a b/c", "#c", "q/#c", "a/b/c.md/d"];
    for syntax in [Syntax::GitHub, Syntax::GitLab] {
        let text: String = patterns.iter().enumerate().map(|(i, p)| format!("{p} @o{i}\n")).collect();
        let co = CodeOwners::parse(&text, syntax);
        assert!(co.problems.is_empty());
        for path in paths {
            let brute: Vec<usize> = (0..co.rules.len())
                .filter(|&i| co.rule_matches(i, path))
                // GitLab: the earlier of two equal patterns does not take part.
                .filter(|&i| syntax == Syntax::GitHub || i != 13)
                .collect();
            assert_eq!(co.matching_rules(path), brute, "{syntax:?} {path}");
        }
    }
}

/// Patterns that make a backtracking matcher take exponential time: each
/// answer here would take minutes if a `*` or a `**` backtracked.
#[test]
fn backtracking_patterns_match_in_linear_time() {
    let a60 = "a".repeat(60);
    let deep = format!("{}/{a60}", vec![a60.as_str(); 30].join("/"));
    let cases: &[(Syntax, String, &str, bool)] = &[
        // The line from the report, and a file of 60 `a`s.
        (Syntax::GitHub, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b".into(), &a60, false),
        (Syntax::GitHub, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b".into(), &format!("{a60}b"), true),
        (Syntax::GitHub, format!("/{}/*a*a*a*a*a*a*a*a*a*a*c", vec!["**"; 30].join("/")), &deep, false),
        (Syntax::GitHub, format!("/{}/*a*a*a*a*a*a*a*a*a*a", vec!["**"; 30].join("/")), &deep, true),
        (Syntax::GitHub, format!("{}b", "?*".repeat(40)), &a60, false),
        (Syntax::GitLab, format!("{}b", "[a]*".repeat(20)), &deep, false),
        (Syntax::GitLab, format!("{}a", "[a]*".repeat(20)), &deep, true),
        (Syntax::GitLab, format!("{}*", "**/".repeat(40)), &deep, true),
    ];
    for (syntax, pattern, path, want) in cases {
        let co = CodeOwners::parse(&format!("{pattern} @o"), *syntax);
        assert!(co.problems.is_empty(), "{pattern}: {:?}", co.problems);
        assert_eq!(
            !co.owners(path).is_empty(),
            *want,
            "{syntax:?} `{pattern}` vs a path of {} bytes",
            path.len()
        );
    }
}

#[test]
fn too_many_wildcard_patterns_are_refused_and_literal_ones_are_not() {
    let lines = |n: usize, f: fn(usize) -> String| (0..n).map(f).collect::<Vec<_>>().join("\n");
    let wild = |i: usize| format!("*.x{i} @o");
    assert!(CodeOwners::parse_bounded(&lines(MAX_WILDCARD_PATTERNS, wild), Syntax::GitHub).is_ok());
    assert_eq!(
        CodeOwners::parse_bounded(&lines(MAX_WILDCARD_PATTERNS + 1, wild), Syntax::GitHub).unwrap_err(),
        TooManyWildcards { count: MAX_WILDCARD_PATTERNS + 1 }
    );
    let literal = |i: usize| format!("/src/m{i}/ @o");
    assert!(CodeOwners::parse_bounded(&lines(5 * MAX_WILDCARD_PATTERNS, literal), Syntax::GitHub).is_ok());
    // A pattern longer than any path is skipped, and said so.
    let co = CodeOwners::parse(&format!("{} @o\n/a @b", "a*".repeat(MAX_PATTERN_BYTES)), Syntax::GitHub);
    assert_eq!(co.rules.len(), 1);
    assert_eq!(co.problems[0].line, 1);
}
