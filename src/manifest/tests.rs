use std::path::Path;

use super::*;

fn load(yaml: &str) -> Result<Manifest, ManifestError> {
    Manifest::from_bytes(Path::new("ownership.yaml"), yaml.as_bytes())
}

#[test]
fn full_example_loads() {
    let m = load(
        r#"version: 1
monolith:
  refs: [main, "release/*"]
shared:
  paths: [build.gradle, "gradle/**"]
  packages: [com.inflearn.common.util]
teams:
  payment:
    paths: ["payment/**"]
    packages: [com.inflearn.payment]
  course:
    description: Course purpose team
    owners: ["@inflearn/course"]
    paths: ["course-api/**", "web/templates/course/**"]
    packages: [com.inflearn.course, "npm:@inflearn/course-web"]
    exclude: ["**/*.generated.java"]
  catalog-sdk:
    paths: ["libs/catalog-sdk/"]
    root: libs/catalog-sdk/
    compat: splitsh-legacy
history:
  labels: false
policy:
  unowned: warn
"#,
    )
    .unwrap();
    let names: Vec<_> = m.teams.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["catalog-sdk", "course", "payment"], "teams sorted by name");
    assert_eq!(m.refs.len(), 2);
    assert!(!m.labels);
    assert_eq!(m.policy, Policy { unowned: Level::Warn, overlap: Level::Error, dependencies: Level::Allow });
    let course = m.team("course").unwrap();
    assert_eq!(course.rule.packages[1].value.kind, Some(PackageKind::Npm));
    assert_eq!(course.rule.packages[1].value.name, "@inflearn/course-web");
    assert_eq!(course.rule.exclude[0].loc, Loc { line: 16, col: 15 });
    let sdk = m.team("catalog-sdk").unwrap();
    assert_eq!(sdk.root.as_deref(), Some("libs/catalog-sdk"));
    assert_eq!(sdk.compat, Some(Compat::SplitshLegacy));
    assert_eq!(m.shared.packages[0].value.kind, None);
}

#[test]
fn compat_paths_may_spell_the_root_directory_any_way() {
    let m = load("version: 1\nteams:\n  a:\n    paths: [\"x/y\", \"x/y/\", \"/x/y/**\"]\n    root: x/y\n    compat: subtree\n")
        .unwrap();
    assert_eq!(m.teams[0].compat, Some(Compat::Subtree));
    let m = load("version: 1\nteams:\n  a: {paths: [x], root: x, compat: splitsh}\n").unwrap();
    assert_eq!(m.teams[0].compat, Some(Compat::Splitsh));
}

#[test]
fn depends_on_and_its_policy() {
    let m = load("version: 1\nteams:\n  web:\n    paths: [w]\n    depends_on: [core]\n  core: {paths: [c], depends_on: []}\n  free: {paths: [f]}\npolicy:\n  dependencies: warn\n").unwrap();
    let web = m.team("web").unwrap();
    let listed: Vec<&str> = web.depends_on.iter().flatten().map(|d| d.value.as_str()).collect();
    assert_eq!(listed, ["core"]);
    assert_eq!(web.depends_on.as_ref().unwrap()[0].loc, Loc { line: 5, col: 18 });
    assert_eq!(
        m.team("core").unwrap().depends_on.as_deref().map(<[_]>::len),
        Some(0),
        "declared empty: no team"
    );
    assert!(m.team("free").unwrap().depends_on.is_none(), "not declared: any team");
    assert_eq!(m.policy.dependencies, Level::Warn);
}

#[test]
fn remotes_template_and_override() {
    let m = load("version: 1\npublish:\n  remote: \"git@github.com:acme/{team}.git\"\nteams:\n  web: {paths: [w]}\n  core:\n    paths: [c]\n    remote: https://git.example.com/core-{team}.git\n").unwrap();
    assert_eq!(m.remote.as_ref().unwrap().loc, Loc { line: 3, col: 11 });
    assert_eq!(m.remote_of(m.team("web").unwrap()).as_deref(), Some("git@github.com:acme/web.git"));
    assert_eq!(
        m.remote_of(m.team("core").unwrap()).as_deref(),
        Some("https://git.example.com/core-core.git"),
        "a team's own remote wins, and is a template too"
    );
    let bare = load("version: 1\nteams:\n  a: {paths: [a]}\n").unwrap();
    assert!(bare.remote_of(&bare.teams[0]).is_none(), "no remote unless the manifest says one");
}

#[test]
fn defaults() {
    let m = load("version: 1\nteams:\n  a:\n    paths: [a]\n").unwrap();
    assert!(m.labels);
    assert!(m.refs.is_empty());
    assert_eq!(m.policy, Policy { unowned: Level::Error, overlap: Level::Error, dependencies: Level::Allow });
}

#[test]
fn follow_renames_is_the_team_s_else_the_manifest_s_else_off() {
    let m = load("version: 1\nhistory: {follow_renames: true}\nteams:\n  a: {paths: [a]}\n  b:\n    paths: [b]\n    history: {follow_renames: false}\n  c: {paths: [c], root: c, compat: subtree, history: {follow_renames: false}}\n").unwrap();
    let on: Vec<bool> = m.teams.iter().map(|t| t.follow_renames).collect();
    assert_eq!(on, [true, false, false]);
    let m = load(
        "version: 1\nteams:\n  a: {paths: [a]}\n  b:\n    paths: [b]\n    history: {follow_renames: true}\n",
    )
    .unwrap();
    let on: Vec<bool> = m.teams.iter().map(|t| t.follow_renames).collect();
    assert_eq!(on, [false, true]);
}

/// Every refusal a user can meet, with its message, in one snapshot.
#[test]
fn error_messages() {
    let cases: &[(&str, &[u8])] = &[
        ("bad yaml", b"version: 1\nteams:\n  a: {paths: [a]\n"),
        ("teams is a list", b"version: 1\nteams: [a]\n"),
        ("unknown top-level key", b"version: 1\nteams:\n  a: {paths: [a]}\nbranches: [main]\n"),
        ("unknown team key", b"version: 1\nteams:\n  a:\n    pathz: [a]\n"),
        ("missing version", b"teams:\n  a: {paths: [a]}\n"),
        ("unsupported version", b"version: 2\nteams:\n  a: {paths: [a]}\n"),
        ("version not a number", b"version: one\nteams:\n  a: {paths: [a]}\n"),
        ("missing teams", b"version: 1\n"),
        ("no teams", b"version: 1\nteams: {}\n"),
        ("duplicate team", b"version: 1\nteams:\n  a: {paths: [a]}\n  a: {paths: [b]}\n"),
        ("empty team", b"version: 1\nteams:\n  a:\n    description: nothing\n"),
        ("bad glob", b"version: 1\nteams:\n  a:\n    paths: [\"src/[abc\"]\n"),
        ("negation", b"version: 1\nteams:\n  a:\n    paths: [a]\n    exclude: [\"!a/keep\"]\n"),
        ("partial double star", b"version: 1\nteams:\n  a:\n    paths: [\"src/**.java\"]\n"),
        ("dot dot", b"version: 1\nshared:\n  paths: [\"../etc\"]\nteams:\n  a: {paths: [a]}\n"),
        ("empty pattern", b"version: 1\nteams:\n  a:\n    paths: [\"\"]\n"),
        ("unknown policy value", b"version: 1\nteams:\n  a: {paths: [a]}\npolicy:\n  unowned: fatal\n"),
        ("unknown compat", b"version: 1\nteams:\n  a: {paths: [a], root: a, compat: splitsh-latest}\n"),
        ("compat without root", b"version: 1\nteams:\n  a:\n    paths: [a]\n    compat: subtree\n"),
        ("glob root", b"version: 1\nteams:\n  a:\n    paths: [a]\n    root: \"a/*\"\n"),
        ("compat with other paths", b"version: 1\nteams:\n  a:\n    paths: [a, b]\n    root: a\n    compat: subtree\n"),
        ("compat with exclude", b"version: 1\nteams:\n  a:\n    paths: [a/]\n    exclude: [a/x]\n    root: a\n    compat: subtree\n"),
        ("follow_renames with compat", b"version: 1\nteams:\n  a:\n    paths: [a]\n    root: a\n    compat: subtree\n    history: {follow_renames: true}\n"),
        ("follow_renames reaching a compat team", b"version: 1\nhistory: {follow_renames: true}\nteams:\n  a: {paths: [a], root: a, compat: splitsh}\n"),
        ("follow_renames with root", b"version: 1\nteams:\n  a:\n    paths: [a]\n    root: a\n    history: {follow_renames: true}\n"),
        ("unknown team history key", b"version: 1\nteams:\n  a:\n    paths: [a]\n    history: {labels: false}\n"),
        ("bad team name", b"version: 1\nteams:\n  ../evil:\n    paths: [a]\n"),
        ("team name with slash", b"version: 1\nteams:\n  a/b:\n    paths: [a]\n"),
        ("empty package", b"version: 1\nteams:\n  a:\n    packages: [\"npm:\"]\n"),
        ("paths not a list", b"version: 1\nteams:\n  a:\n    paths: a\n"),
        ("not utf-8", b"version: 1\nteams:\n  a:\n    paths: [caf\xe9]\n"),
        ("empty ref", b"version: 1\nmonolith:\n  refs: [\"\"]\nteams:\n  a: {paths: [a]}\n"),
        ("depends_on unknown team", b"version: 1\nteams:\n  web: {paths: [w]}\n  payment: {paths: [p]}\n  app:\n    paths: [a]\n    depends_on: [paymnet]\n"),
        ("depends_on itself", b"version: 1\nteams:\n  a:\n    paths: [a]\n    depends_on: [a]\n"),
        ("depends_on twice", b"version: 1\nteams:\n  b: {paths: [b]}\n  a:\n    paths: [a]\n    depends_on: [b, b]\n"),
        ("depends_on not a list", b"version: 1\nteams:\n  b: {paths: [b]}\n  a:\n    paths: [a]\n    depends_on: b\n"),
        ("unknown dependencies policy", b"version: 1\nteams:\n  a: {paths: [a]}\npolicy:\n  dependencies: strict\n"),
        ("unknown publish key", b"version: 1\nteams:\n  a: {paths: [a]}\npublish:\n  url: x\n"),
        ("unknown placeholder, token masked", b"version: 1\nteams:\n  a: {paths: [a]}\npublish:\n  remote: \"https://ci:s3cr3t@git.example.com/{org}/{team}.git\"\n"),
        ("unclosed placeholder in a team remote", b"version: 1\nteams:\n  a:\n    paths: [a]\n    remote: git@host:acme/{team.git\n"),
        ("empty remote", b"version: 1\nteams:\n  a:\n    paths: [a]\n    remote: \"\"\n"),
        ("remote not a string", b"version: 1\nteams:\n  a: {paths: [a]}\npublish:\n  remote: [x]\n"),
    ];
    let mut out = String::new();
    for (name, yaml) in cases {
        let e = Manifest::from_bytes(Path::new("ownership.yaml"), yaml).expect_err(name);
        assert!(e.loc.is_some(), "{name}: every manifest error has a location: {e}");
        out.push_str(&format!("{name}:\n  {e}\n"));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn anchors_and_aliases_are_fine_but_bombs_are_not() {
    let ok = load("version: 1\nteams:\n  a: &t\n    paths: [x]\n  b: *t\n").unwrap();
    assert_eq!(ok.teams.len(), 2);
    // Billion laughs: nine levels of nine aliases.
    let mut y = String::from("version: 1\nx0: &x0 [a, a, a, a, a, a, a, a, a]\n");
    for i in 1..10 {
        let p = i - 1;
        y.push_str(&format!("x{i}: &x{i} [*x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}]\n"));
    }
    y.push_str("teams:\n  a: {paths: [a]}\n");
    let e = load(&y).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Yaml(_)), "{e}");
}

#[test]
fn too_large() {
    let big = vec![b'#'; MAX_MANIFEST_BYTES + 1];
    let e = Manifest::from_bytes(Path::new("m.yaml"), &big).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::TooLarge(_)));
}

#[test]
fn tags_keys_override_the_top_level_one_by_one() {
    let m = load(
        "version: 1\ntags: {select: [\"v*\"], changed_only: true, prefix: \"{team}/\"}\nteams:\n  a: {paths: [a]}\n  b:\n    paths: [b]\n    tags: {prefix: \"\"}\n  c:\n    paths: [c]\n    tags: {select: [], changed_only: false}\n",
    )
    .unwrap();
    let (a, b, c) = (&m.teams[0].tags, &m.teams[1].tags, &m.teams[2].tags);
    assert_eq!((a.changed_only, a.prefix.as_str()), (true, "a/"));
    assert!(a.selects("v1") && !a.selects("w1"));
    assert_eq!((b.changed_only, b.prefix.as_str()), (true, ""), "an empty prefix overrides");
    assert!(b.selects("v1") && !b.selects("w1"));
    assert_eq!((c.changed_only, c.prefix.as_str()), (false, "c/"));
    assert!(!c.selects("v1"), "`select: []` selects nothing");
    let none = load("version: 1\nteams:\n  a: {paths: [a]}\n").unwrap();
    assert_eq!(none.teams[0].tags, Tags::default());
    assert!(none.teams[0].tags.selects("anything"), "no `select`: every tag");
}

#[test]
fn bad_tags_keys_are_located() {
    for (yaml, loc, what) in [
        ("tags: {select: [\"refs/tags/v*\"]}\nteams:\n  a: {paths: [a]}\n", (2, 17), "without `refs/tags/`"),
        ("teams:\n  a:\n    paths: [a]\n    tags: {select: [\"\"]}\n", (5, 21), "empty"),
        ("tags: {prefix: \"{name}-\"}\nteams:\n  a: {paths: [a]}\n", (2, 16), "unknown placeholder `{name}`"),
        ("tags: {prefix: \"a..b\"}\nteams:\n  a: {paths: [a]}\n", (2, 16), "valid ref name"),
        ("teams:\n  a:\n    paths: [a]\n    tags: {prefix: \"x:\"}\n", (5, 20), "valid ref name"),
    ] {
        let e = load(&format!("version: 1\n{yaml}")).unwrap_err();
        assert_eq!(e.loc, Some(Loc { line: loc.0, col: loc.1 }), "{yaml}: {e}");
        assert!(e.to_string().contains(what), "{yaml}: {e}");
    }
    let e = load("version: 1\ntags: {chosen: true}\nteams:\n  a: {paths: [a]}\n").unwrap_err();
    assert!(e.to_string().contains("chosen"), "{e}");
}
