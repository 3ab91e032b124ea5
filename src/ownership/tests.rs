use std::path::Path;

use proptest::prelude::*;

use super::packages::MemoryFiles;
use super::*;
use crate::odb::{FileKind, TreeFile};

fn manifest(yaml: &str) -> Manifest {
    Manifest::from_bytes(Path::new("ownership.yaml"), yaml.as_bytes()).unwrap()
}

fn listing(paths: &[&str]) -> TreeListing {
    let mut paths: Vec<&str> = paths.to_vec();
    paths.sort();
    TreeListing {
        files: paths
            .iter()
            .map(|p| TreeFile {
                path: p.as_bytes().to_vec(),
                oid: git2::Oid::ZERO_SHA1,
                kind: FileKind::Blob,
                size: 1,
            })
            .collect(),
    }
}

/// `teams,+shared` as a short string: `a,b` or `a+shared` or `-` for unowned.
fn show(o: &Ownership, owners: &Owners) -> String {
    let mut s: Vec<&str> = owners.teams.iter().map(|&t| o.team_names()[t as usize].as_str()).collect();
    if owners.shared {
        s.push("+shared");
    }
    if s.is_empty() {
        "-".into()
    } else {
        s.join(",")
    }
}

const YAML: &str = r#"
version: 1
shared:
  paths: [build.gradle, "gradle/**"]
  exclude: ["gradle/local/**"]
teams:
  course:
    paths: ["course/**", "docs"]
    packages: ["npm:web"]
    exclude: ["**/*.gen.java"]
  payment:
    paths: ["payment", "docs/**"]
"#;

const TREE: &[(&str, &str)] = &[
    ("build.gradle", ""),
    ("gradle/wrapper.jar", ""),
    ("gradle/local/cache", ""),
    ("course/A.java", ""),
    ("course/A.gen.java", ""),
    ("course/sub/B.java", ""),
    ("payment/P.java", ""),
    ("docs/notes.md", ""),
    ("web/package.json", r#"{"name": "web", "workspaces": ["packages/*"]}"#),
    ("web/src/index.js", ""),
    ("web/packages/admin/package.json", r#"{"name": "admin"}"#),
    ("web/packages/admin/index.js", ""),
    ("tools/x.sh", ""),
];

/// (path, owners): the rules of DESIGN.md in one table.
const OWNERS: &[(&str, &str)] = &[
    ("build.gradle", "+shared"),
    ("gradle/wrapper.jar", "+shared"),
    ("gradle/local/cache", "-"), // shared's exclude wins
    ("course/A.java", "course"),
    ("course/A.gen.java", "-"), // the team's exclude wins
    ("course/sub/B.java", "course"),
    ("payment/P.java", "payment"),
    ("docs/notes.md", "course,payment"), // an overlap
    ("web/package.json", "course"),
    ("web/src/index.js", "course"),
    ("web/packages/admin/index.js", "-"), // a workspace member carved out of `web`
    ("tools/x.sh", "-"),
    ("not/in/tree", "-"),
    ("payment", "payment"), // the directory itself
];

fn fixture() -> (Manifest, MemoryFiles) {
    (manifest(YAML), MemoryFiles::new(TREE.iter().copied()))
}

#[test]
fn owners_table() {
    let (m, files) = fixture();
    let o = Ownership::new(&m, &files).unwrap();
    for &(path, want) in OWNERS {
        assert_eq!(show(&o, &o.owners(path.as_bytes())), want, "owners of {path}");
    }
}

#[test]
fn tree_walk_agrees_with_per_path_answers_and_finds_stale_patterns() {
    let (m, files) = fixture();
    let o = Ownership::new(&m, &files).unwrap();
    let paths: Vec<&str> = TREE.iter().map(|(p, _)| *p).collect();
    let l = listing(&paths);
    let a = o.assign(&l);
    for (f, owners) in l.files.iter().zip(&a.owners) {
        assert_eq!(owners, &o.owners(&f.path), "{}", String::from_utf8_lossy(&f.path));
    }
    let explained = o.explain_all(&l);
    for (f, &id) in l.files.iter().zip(&explained.of_file) {
        assert_eq!(
            explained.explanations[id as usize],
            o.explain(&f.path),
            "{}",
            String::from_utf8_lossy(&f.path)
        );
    }
    assert!(explained.explanations.len() < l.files.len(), "files ruled alike share an explanation");
    let stale: Vec<String> = o.stale_patterns(&a).into_iter().map(|s| s.pattern).collect();
    assert!(stale.is_empty(), "{stale:?}");
    let fewer = listing(&["course/A.java", "build.gradle"]);
    let stale: Vec<String> = o.stale_patterns(&o.assign(&fewer)).into_iter().map(|s| s.pattern).collect();
    // In manifest order; `course/**` and shared `build.gradle` matched.
    assert_eq!(stale, ["gradle/**", "gradle/local/**", "docs", "**/*.gen.java", "payment", "docs/**"]);
}

#[test]
fn explain_names_every_rule() {
    let (m, files) = fixture();
    let o = Ownership::new(&m, &files).unwrap();
    let e = o.explain(b"course/A.gen.java");
    assert_eq!(
        e.reasons,
        [
            (Owner::Team(0), Reason::Pattern("course/**".into())),
            (Owner::Team(0), Reason::Excluded("**/*.gen.java".into())),
        ]
    );
    assert_eq!(e.taken_by, Some((Owner::Team(0), Reason::Excluded("**/*.gen.java".into()))));
    let e = o.explain(b"web/packages/admin/index.js");
    let carved = Reason::CarvedOut {
        package: "npm:web".into(),
        dir: "web/packages/admin".into(),
        nested: Some("npm:admin".into()),
    };
    assert_eq!(e.reasons, [(Owner::Team(0), carved.clone())]);
    assert_eq!(e.taken_by, Some((Owner::Team(0), carved)));
    assert_eq!(
        o.why_not(b"web/packages/admin/index.js", &e).as_deref(),
        Some("it lies in `web/packages/admin/`, the package `npm:admin`, carved out of `npm:web` (team `course`)")
    );
}

/// (owner, dir, class) — what the history engine will use to skip or reuse subtrees.
#[test]
fn directory_classes() {
    let (m, files) = fixture();
    let o = Ownership::new(&m, &files).unwrap();
    let course = Owner::Team(0);
    let cases: &[(Owner, &str, DirMatch)] = &[
        (course, "course", DirMatch::Partial),  // an exclude glob reaches inside
        (course, "web", DirMatch::Partial),     // a nested package is carved out
        (course, "web/src", DirMatch::Partial), // `**/*.gen.java` reaches here too
        (course, "web/packages/admin", DirMatch::None),
        (course, "payment", DirMatch::None),
        (course, "docs", DirMatch::Partial), // `**/*.gen.java` could appear there
        (Owner::Team(1), "payment", DirMatch::Whole),
        (Owner::Team(1), "docs", DirMatch::Whole),
        (Owner::Shared, "gradle", DirMatch::Partial),
        (Owner::Shared, "gradle/local", DirMatch::None),
        (Owner::Shared, "gradle/other", DirMatch::Whole),
    ];
    for &(owner, dir, want) in cases {
        assert_eq!(o.classify_dir(owner, dir.as_bytes()), want, "{owner:?} on {dir}");
    }
    assert_eq!(o.keep_class(1, b"gradle/other"), DirMatch::Whole);
}

fn seg() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["a", "b", "ab", "x.md"])
}

fn path_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(seg(), 1..5).prop_map(|v| v.join("/"))
}

fn pattern_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(vec!["a", "b", "ab", "*", "**", "*.md", "a*"]), 1..4)
        .prop_map(|v| v.join("/"))
        .prop_filter("a lone `**` is fine, `**/**` is too", |_| true)
}

fn yaml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// The directory-stack walk gives every file the owners a per-path
    /// evaluation gives, and `classify_dir` never says Whole or None wrongly
    /// about the files actually below a directory.
    #[test]
    fn walk_and_directory_classes_are_sound(
        paths in prop::collection::btree_set(path_strategy(), 1..40),
        teams in prop::collection::vec(
            (prop::collection::vec(pattern_strategy(), 1..3), prop::collection::vec(pattern_strategy(), 0..2)),
            1..4,
        ),
        shared in prop::collection::vec(pattern_strategy(), 0..2),
    ) {
        // A path cannot be both a file and a directory in one tree.
        let paths: Vec<String> = paths
            .iter()
            .filter(|p| !paths.iter().any(|q| q.len() > p.len() && q.starts_with(p.as_str()) && q.as_bytes()[p.len()] == b'/'))
            .cloned()
            .collect();
        let mut yaml = String::from("version: 1\n");
        if !shared.is_empty() {
            yaml.push_str(&format!("shared:\n  paths: {}\n", yaml_list(&shared)));
        }
        yaml.push_str("teams:\n");
        for (i, (inc, exc)) in teams.iter().enumerate() {
            yaml.push_str(&format!("  t{i}:\n    paths: {}\n    exclude: {}\n", yaml_list(inc), yaml_list(exc)));
        }
        let m = manifest(&yaml);
        let o = Ownership::new(&m, &MemoryFiles::default()).unwrap();
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let l = listing(&refs);
        let a = o.assign(&l);
        for (f, owners) in l.files.iter().zip(&a.owners) {
            prop_assert_eq!(owners, &o.owners(&f.path), "{}", String::from_utf8_lossy(&f.path));
        }
        let explained = o.explain_all(&l);
        for (f, &id) in l.files.iter().zip(&explained.of_file) {
            prop_assert_eq!(&explained.explanations[id as usize], &o.explain(&f.path));
        }
        // Every directory of the tree, and the root.
        let mut dirs = std::collections::BTreeSet::new();
        dirs.insert(String::new());
        for p in &paths {
            let mut acc = String::new();
            for part in p.split('/').collect::<Vec<_>>().split_last().unwrap().1 {
                if !acc.is_empty() { acc.push('/'); }
                acc.push_str(part);
                dirs.insert(acc.clone());
            }
        }
        for t in 0..teams.len() {
            for d in &dirs {
                let mut cursor = o.root_cursor();
                for part in d.split('/').filter(|s| !s.is_empty()) {
                    cursor = o.enter(&cursor, part.as_bytes());
                }
                prop_assert_eq!(o.cursor_keep_class(&cursor, t), o.keep_class(t, d.as_bytes()), "cursor vs path on {:?}", d);
                let below: Vec<bool> = l.files.iter().zip(&a.owners)
                    .filter(|(f, _)| d.is_empty() || (f.path.starts_with(d.as_bytes()) && f.path.get(d.len()) == Some(&b'/')))
                    .map(|(_, o)| o.kept_by(t))
                    .collect();
                match o.keep_class(t, d.as_bytes()) {
                    DirMatch::Whole => prop_assert!(below.iter().all(|k| *k), "Whole but not all kept: t{} {:?}", t, d),
                    DirMatch::None => prop_assert!(below.iter().all(|k| !*k), "None but some kept: t{} {:?}", t, d),
                    DirMatch::Partial => {}
                }
            }
        }
    }
}

/// A commit's rules: Go modules resolved in the commit's files (the nested
/// module it lacks carves nothing out, the module it lacks owns nothing),
/// JVM packages kept as the split ref resolved them.
#[test]
fn at_commit_resolves_manifest_packages_in_the_commit_and_keeps_jvm_ones() {
    let m = manifest(
        "version: 1\nteams:\n  root: {packages: [go:example.com/m]}\n  sub: {packages: [go:example.com/m/sub]}\n  \
         java: {packages: [jvm:com.acme]}\n",
    );
    let split_files = MemoryFiles::new([
        ("go.mod", "module example.com/m\n"),
        ("sub/go.mod", "module example.com/m/sub\n"),
        ("sub/x.go", "package sub\n"),
        ("src/main/java/com/acme/A.java", "package com.acme;\n"),
    ]);
    let split = Ownership::new(&m, &split_files).unwrap();
    // The commit: no `sub` module yet, and no Java file at all.
    let commit = MemoryFiles::new([("go.mod", "module example.com/m\n"), ("sub/x.go", "package sub\n")]);
    let at = Ownership::at_commit(&m, &commit, &split).unwrap();
    assert_eq!(show(&split, &split.owners(b"sub/x.go")), "sub");
    assert_eq!(show(&at, &at.owners(b"sub/x.go")), "root");
    assert_eq!(show(&at, &at.owners(b"src/main/java/com/acme/A.java")), "java,root");
    assert!(!at.same_packages(&split));
    // The split ref's own files give the split ref's rules.
    assert!(Ownership::at_commit(&m, &split_files, &split).unwrap().same_packages(&split));
}

#[test]
fn keep_prefixes_are_the_team_s_and_shared_includes() {
    let m = manifest(
        r#"version: 1
shared: {paths: [composer.json, "docs/{api,guide}/*.md"]}
teams:
  a:
    paths: ["src/Acme/Component/[A-M]*", src/Acme/Bundle, src/Acme/Bundle/Inner]
    exclude: ["**/Tests"]
  b: {paths: [src/Nimbus]}
  c: {paths: ["**/*.proto"]}
  d: {packages: ["npm:@m/d"]}
"#,
    );
    let files = MemoryFiles::new([("libs/d/package.json", r#"{"name": "@m/d"}"#), ("libs/d/i.js", "")]);
    let o = Ownership::new(&m, &files).unwrap();
    let team = |name: &str| o.team_names().iter().position(|t| t == name).unwrap();
    let text = |p: Option<Vec<Vec<u8>>>| {
        p.map(|v| v.into_iter().map(|b| String::from_utf8(b).unwrap()).collect::<Vec<_>>())
    };
    // The exclude adds nothing; a prefix below another is left out.
    assert_eq!(
        text(o.keep_prefixes(team("a"))).unwrap(),
        ["composer.json", "docs/api", "docs/guide", "src/Acme/Bundle", "src/Acme/Component"]
    );
    assert_eq!(
        text(o.keep_prefixes(team("b"))).unwrap(),
        ["composer.json", "docs/api", "docs/guide", "src/Nimbus"]
    );
    assert_eq!(text(o.keep_prefixes(team("c"))), None);
    assert_eq!(
        text(o.keep_prefixes(team("d"))).unwrap(),
        ["composer.json", "docs/api", "docs/guide", "libs/d"]
    );
}
