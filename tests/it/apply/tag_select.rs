//! The manifest's `tags:` on the `tag_select` fixture: which tags each team
//! gets and under which names, worked out by hand from the fixture's
//! script; `select` against `git tag --list` and the version order against
//! `git tag --sort=version:refname`; the same refs and objects for one team
//! alone, and after a change of `tags:` as from scratch.

use std::collections::BTreeSet;
use std::path::Path;

use git_split::manifest::{version_order, TagGlob};

use crate::support::{apply, fixture, git, refs};

/// `api` takes the top level's keys; `lib` overrides the prefix only;
/// `web` overrides `select`, `changed_only` and the prefix (a template).
const MANIFEST: &str = r#"version: 1
monolith: {refs: [main]}
shared: {paths: [shared.txt]}
tags: {select: ["v*"], changed_only: true}
teams:
  api: {paths: [api]}
  lib:
    paths: [lib]
    tags: {prefix: "lib/"}
  web:
    paths: [web]
    tags: {select: ["web/*", "v1.1*"], changed_only: false, prefix: "{team}-"}
"#;

/// No `tags:`: every tag, as before the key existed.
const DEFAULT: &str = "version: 1
monolith: {refs: [main]}
shared: {paths: [shared.txt]}
teams:
  api: {paths: [api]}
  lib: {paths: [lib]}
  web: {paths: [web]}
";

fn text(repo: &Path, args: &[&str]) -> String {
    String::from_utf8(git(repo, args).stdout).unwrap()
}

fn tag_names(repo: &Path) -> Vec<String> {
    text(repo, &["for-each-ref", "--format=%(refname:strip=2)", "refs/tags"])
        .lines()
        .map(str::to_string)
        .collect()
}

/// Every object a repository stores, by id and type.
fn objects(repo: &Path) -> String {
    text(repo, &["cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)"])
}

fn run(repo: &Path, out: &Path, manifest: &str, extra: &[&str]) -> serde_json::Value {
    let dir = out.parent().unwrap();
    let path = dir.join(format!("m-{:x}.yaml", manifest.len()));
    std::fs::write(&path, manifest).unwrap();
    let mut args = vec!["--manifest", path.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    let r = apply(repo, out, &args);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect()
}

fn team<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["teams"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap()
}

/// A team, and the tags it writes, leaves unselected and finds unchanged.
type Expected = (&'static str, &'static [&'static str], &'static [&'static str], &'static [&'static str]);

#[test]
fn each_team_gets_the_tags_its_keys_choose() {
    let repo = fixture("tag_select");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let report = run(&repo, &out, MANIFEST, &[]);

    // api: `v*` selects v1.9 v1.10 v1.11 v1.11-final v1.11-rc1 v1.12 (in
    // version order), with api's trees A1 A1 A2 A2 A2 A2: changed_only
    // writes the first of each run, v1.9 and v1.11. (In byte order v1.10
    // would come first and be written instead of v1.9.)
    // lib: the same selection and trees (L1 L1 L2 L2 L2 L2), its prefix.
    // web: `web/*` and `v1.1*` select all but api/v1.0.0 and v1.9, all
    // written (changed_only: false), named `web-` + the monolith's name.
    let expected: [Expected; 3] = [
        (
            "api",
            &["v1.11", "v1.9"],
            &["api/v1.0.0", "web/v1.0.0"],
            &["v1.10", "v1.11-final", "v1.11-rc1", "v1.12"],
        ),
        (
            "lib",
            &["lib/v1.11", "lib/v1.9"],
            &["api/v1.0.0", "web/v1.0.0"],
            &["v1.10", "v1.11-final", "v1.11-rc1", "v1.12"],
        ),
        (
            "web",
            &["web-v1.10", "web-v1.11", "web-v1.11-final", "web-v1.11-rc1", "web-v1.12", "web-web/v1.0.0"],
            &["api/v1.0.0", "v1.9"],
            &[],
        ),
    ];
    let full = |ns: &[&str]| -> Vec<String> { ns.iter().map(|n| format!("refs/tags/{n}")).collect() };
    for (name, written, not_selected, unchanged) in expected {
        let t = team(&report, name);
        let repo_dir = out.join(format!("{name}.git"));
        let mut want: Vec<String> = written.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(tag_names(&repo_dir), want, "{name}: tags in the repository");
        assert_eq!(names(&t["tags"]["written"]), full(written), "{name}: written");
        assert_eq!(names(&t["tags"]["not_selected"]), full(not_selected), "{name}: not selected");
        assert_eq!(names(&t["tags"]["unchanged"]), full(unchanged), "{name}: unchanged");
    }

    // web's selection is the tags `git tag --list` lists for its globs.
    let listed: BTreeSet<String> =
        text(&repo, &["tag", "--list", "web/*", "v1.1*"]).lines().map(str::to_string).collect();
    let web: BTreeSet<String> =
        tag_names(&out.join("web.git")).iter().map(|n| n.strip_prefix("web-").unwrap().to_string()).collect();
    assert_eq!(web, listed);

    // The tag of a tag stays one, on the renamed tag; each tag object
    // carries the name its ref has; a lightweight tag stays lightweight.
    let web_repo = out.join("web.git");
    let outer = text(&web_repo, &["cat-file", "tag", "refs/tags/web-v1.11-final"]);
    let inner = text(&web_repo, &["rev-parse", "refs/tags/web-v1.11"]);
    assert!(outer.starts_with(&format!("object {inner}type tag\ntag web-v1.11-final\n")), "{outer}");
    assert!(text(&web_repo, &["cat-file", "tag", inner.trim()]).contains("\ntag web-v1.11\n"));
    assert_eq!(text(&web_repo, &["cat-file", "-t", "refs/tags/web-v1.12"]), "commit\n");
    // v1.11-final sits on C4, which web drops: it tags C3's rewrite.
    for (tag, subject) in [("web-v1.11-final", "C3: web w2\n"), ("web-v1.12", "C5: web w3\n")] {
        assert_eq!(
            text(&web_repo, &["log", "-1", "--format=%s", &format!("{tag}^{{commit}}")]),
            subject,
            "{tag}"
        );
    }
    // api's v1.9 sits on C2, which api drops: it tags C1's rewrite.
    let api_repo = out.join("api.git");
    assert_eq!(text(&api_repo, &["log", "-1", "--format=%s", "v1.9^{commit}"]), "C1: api, lib, shared\n");
}

#[test]
fn no_tags_key_brings_every_tag() {
    let repo = fixture("tag_select");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let report = run(&repo, &out, DEFAULT, &[]);
    let all: Vec<String> = tag_names(&repo);
    for name in ["api", "lib", "web"] {
        assert_eq!(tag_names(&out.join(format!("{name}.git"))), all, "{name}");
        let t = team(&report, name);
        assert!(names(&t["tags"]["not_selected"]).is_empty() && names(&t["tags"]["unchanged"]).is_empty());
    }
}

#[test]
fn one_team_alone_a_changed_config_and_prune_agree_with_a_run_from_scratch() {
    let repo = fixture("tag_select");
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("scratch");
    run(&repo, &scratch, MANIFEST, &[]);
    let default_scratch = tmp.path().join("default");
    run(&repo, &default_scratch, DEFAULT, &[]);

    let alone = tmp.path().join("alone");
    for name in ["api", "lib", "web"] {
        run(&repo, &alone, MANIFEST, &["--team", name]);
        let (a, s) = (alone.join(format!("{name}.git")), scratch.join(format!("{name}.git")));
        assert_eq!(refs(&a), refs(&s), "{name} alone");
    }

    // Every tag first, then the selection, then every tag again: each
    // rerun leaves what a run from scratch leaves, objects included.
    let rerun = tmp.path().join("rerun");
    for (manifest, expected) in
        [(DEFAULT, &default_scratch), (MANIFEST, &scratch), (DEFAULT, &default_scratch)]
    {
        run(&repo, &rerun, manifest, &[]);
        for name in ["api", "lib", "web"] {
            let (r, s) = (rerun.join(format!("{name}.git")), expected.join(format!("{name}.git")));
            assert_eq!(refs(&r), refs(&s), "{name}: refs after a change of `tags:`");
            assert_eq!(objects(&r), objects(&s), "{name}: objects after a change of `tags:`");
        }
    }

    // --history prune: the same tag names; changed_only compares the trees
    // its deletion commits would have.
    let pruned = tmp.path().join("pruned");
    run(&repo, &pruned, MANIFEST, &["--history", "prune"]);
    for name in ["api", "lib", "web"] {
        let (p, s) = (pruned.join(format!("{name}.git")), scratch.join(format!("{name}.git")));
        assert_eq!(tag_names(&p), tag_names(&s), "{name} pruned");
    }
}

/// A scratch repository with one commit and lightweight tags `names`.
fn tagged(dir: &Path, names: &[&str]) {
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-q", "--allow-empty", "-m", "x"]);
    for n in names {
        git(dir, &["tag", n]);
    }
}

/// Names chosen to hit every rule of git's versioncmp: numbers of
/// different lengths, leading zeros (fractions), suffixes after a number,
/// prefixes, and digits at the start.
const TRICKY: &[&str] = &[
    "v1.9",
    "v1.10",
    "v1.10-rc1",
    "v1.10-rc2",
    "v1.10-rc10",
    "v1.10.0",
    "v1.2",
    "v1.02",
    "v1.002",
    "v1.020",
    "v01",
    "v1",
    "v1.0",
    "v1.00",
    "1.0",
    "01.0",
    "api-v1.9",
    "api-v1.10",
    "web/v2",
    "web/v10",
    "v1.1a",
    "v1.1b",
    "v1.9a",
    "v1.10a",
    "v2.0-beta",
    "v2.0-beta.2",
    "v2.0-beta.10",
    "v2.0",
    "0.9",
    "x10",
    "x9",
    "x09",
    "x009",
    "x0",
    "x00",
    "a0b",
    "a00b",
    "a1b",
    "a01b",
    "a10b",
    "release-2024.1",
    "release-2024.10",
    "release-2024.9",
    "v1.0.0-alpha",
    "v1.0.0-alpha.1",
    "v1.0.0",
    "v1.0.0+build",
    "V1.0",
    "v1_0",
    "v1-0",
];

#[test]
fn version_order_is_gits() {
    let tmp = tempfile::tempdir().unwrap();
    tagged(tmp.path(), TRICKY);
    let git_order: Vec<String> =
        text(tmp.path(), &["tag", "--sort=version:refname"]).lines().map(str::to_string).collect();
    let mut ours: Vec<String> = TRICKY.iter().map(|s| s.to_string()).collect();
    ours.sort_by(|a, b| version_order(a, b));
    assert_eq!(ours, git_order);
}

#[test]
fn select_globs_list_what_git_tag_list_lists() {
    let tmp = tempfile::tempdir().unwrap();
    tagged(tmp.path(), TRICKY);
    for glob in [
        "v*",
        "v1.1?",
        "*/v1*",
        "web/*",
        "*",
        "v[12].*",
        "v[!1]*",
        "[[:alpha:]]1*",
        "*-rc*",
        "v1.\\1*",
        "*0",
        "a*b",
        "v1.0.0?*",
        "x0*",
        "**",
        "*/*",
        "[a-c]*",
        "v1.1[0-9]*",
    ] {
        let listed: BTreeSet<String> =
            text(tmp.path(), &["tag", "--list", glob]).lines().map(str::to_string).collect();
        let g = TagGlob::parse(glob).unwrap();
        let ours: BTreeSet<String> = TRICKY.iter().filter(|n| g.matches(n)).map(|s| s.to_string()).collect();
        assert_eq!(ours, listed, "{glob}");
    }
}
