//! Tags in the team repositories, compared with `git filter-repo` on the
//! `tags` fixture: each team gets the tags filter-repo keeps (but those of
//! a tree or a blob, which the report names instead), every chain of tags
//! of tags as long as the monolith's, each level with the type, tagger
//! and message filter-repo gives it and the name the monolith gives it,
//! ending on the rewrite of the same monolith commit; no signature left.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support::filter_repo::{filter_repo, read_map};
use crate::support::{apply, fixture, fixture_copy, git, refs};

const MANIFEST: &str = "version: 1
monolith: {refs: [main]}
shared: {paths: [shared.txt]}
teams:
  a: {paths: [a]}
  b: {paths: [b]}
";

/// One tag object of a chain, as git prints it.
#[derive(Debug, PartialEq, Eq)]
struct Level {
    id: String,
    kind: String,
    name: String,
    tagger: String,
    message: String,
}

fn text(repo: &Path, args: &[&str]) -> String {
    String::from_utf8(git(repo, args).stdout).unwrap()
}

/// The chain of tag objects `refs/tags/NAME` starts (empty for a
/// lightweight tag), and the commit it ends on.
fn chain(repo: &Path, name: &str) -> (Vec<Level>, String) {
    let mut id = text(repo, &["rev-parse", &format!("refs/tags/{name}")]).trim().to_string();
    let mut levels = Vec::new();
    while text(repo, &["cat-file", "-t", &id]).trim() == "tag" {
        let raw = text(repo, &["cat-file", "tag", &id]);
        let (header, message) = raw.split_once("\n\n").unwrap_or((&raw, ""));
        let field = |f: &str| {
            header.lines().find_map(|l| l.strip_prefix(&format!("{f} "))).unwrap_or_default().to_string()
        };
        let next = field("object");
        levels.push(Level {
            id,
            kind: field("type"),
            name: field("tag"),
            tagger: field("tagger"),
            message: message.to_string(),
        });
        id = next;
    }
    (levels, id)
}

/// `refs/tags/NAME`'s message without the signature git finds in it.
fn unsigned_message(repo: &Path, name: &str) -> String {
    let r = format!("refs/tags/{name}");
    let all = text(repo, &["for-each-ref", "--format=%(contents)", &r]);
    let signature = text(repo, &["for-each-ref", "--format=%(contents:signature)", &r]);
    // for-each-ref ends each record with a newline of its own.
    let (all, signature) = (&all[..all.len() - 1], &signature[..signature.len() - 1]);
    all.strip_suffix(signature).unwrap().to_string()
}

/// Tag names of a repository, without `refs/tags/`.
fn tag_names(repo: &Path) -> BTreeSet<String> {
    text(repo, &["for-each-ref", "--format=%(refname:strip=2)", "refs/tags"])
        .lines()
        .map(str::to_string)
        .collect()
}

/// The monolith's tags that end on something else than a commit, as git
/// peels them.
fn not_on_commits(repo: &Path) -> BTreeSet<String> {
    text(repo, &["for-each-ref", "--format=%(refname) %(objecttype) %(*objecttype)", "refs/tags"])
        .lines()
        .filter_map(|l| {
            let parts: Vec<&str> = l.split(' ').collect();
            let peeled = if parts[2].is_empty() { parts[1] } else { parts[2] };
            (peeled != "commit").then(|| parts[0].to_string())
        })
        .collect()
}

#[test]
fn tags_and_tags_of_tags_match_filter_repo() {
    let repo = fixture("tags");
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("ownership.yaml");
    std::fs::write(&manifest, MANIFEST).unwrap();
    let out = tmp.path().join("out");
    let run = apply(&repo, &out, &["--manifest", manifest.to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let skipped: BTreeSet<String> = report["tags_skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    let expected_skipped = not_on_commits(&repo);
    assert_eq!(skipped, expected_skipped, "the tags reported as left out");
    assert_eq!(expected_skipped.len(), 2, "the fixture tags a tree and a blob");

    for (team, path) in [("a", "a/"), ("b", "b/")] {
        let ours = out.join(format!("{team}.git"));
        let theirs = tmp.path().join(format!("fr-{team}"));
        filter_repo(&repo, &theirs, &["--path", path, "--path", "shared.txt"]);
        let our_map = read_map(&ours.join("split/commit-map"));
        let their_map = read_map(&theirs.join(".git/filter-repo/commit-map"));
        let back = |m: &BTreeMap<String, String>, new: &str| -> String {
            m.iter().find(|(_, n)| n.as_str() == new).map(|(o, _)| o.clone()).unwrap_or_default()
        };

        let theirs_names: BTreeSet<String> = tag_names(&theirs)
            .into_iter()
            .filter(|n| !expected_skipped.contains(&format!("refs/tags/{n}")))
            .collect();
        assert_eq!(tag_names(&ours), theirs_names, "{team}: tag names");
        for name in &theirs_names {
            let (our_levels, our_commit) = chain(&ours, name);
            let (their_levels, their_commit) = chain(&theirs, name);
            let (monolith_levels, _) = chain(&repo, name);
            assert_eq!(
                back(&our_map, &our_commit),
                back(&their_map, &their_commit),
                "{team} {name}: tagged commit"
            );
            assert_eq!(our_levels.len(), monolith_levels.len(), "{team} {name}: chain length");
            assert_eq!(our_levels.len(), their_levels.len(), "{team} {name}: chain length");
            for (k, ((o, t), m)) in our_levels.iter().zip(&their_levels).zip(&monolith_levels).enumerate() {
                let what = format!("{team} {name}, tag {k} of its chain");
                assert_eq!((&o.kind, &o.tagger), (&t.kind, &t.tagger), "{what}");
                // filter-repo names every tag of a chain after the ref; the
                // tags keep their own names here.
                assert_eq!(o.name, m.name, "{what}: name");
                if k == 0 {
                    // Signatures: filter-repo strips PGP ones and keeps an SSH
                    // one that no longer verifies; none is left here.
                    assert_eq!(o.message, unsigned_message(&repo, name), "{what}: message");
                    assert_eq!(o.message, unsigned_message(&theirs, name), "{what}: message");
                    assert_eq!(unsigned_message(&ours, name), o.message, "{what}: signature left");
                } else {
                    assert_eq!((&o.message, &o.message), (&t.message, &m.message), "{what}: message");
                }
            }
        }
        // A tag of a tag tags the tag itself: its rewrite, as the team has it.
        let id = |n: &str| text(&ours, &["rev-parse", &format!("refs/tags/{n}")]).trim().to_string();
        let (nested, _) = chain(&ours, "example/basic/v0.2.1");
        assert_eq!(nested[1].id, id("v0.2.1"), "{team}: example/basic/v0.2.1 tags v0.2.1");
        assert_eq!(id("light-nested"), id("example/basic/v0.2.1"), "{team}: a ref to a tag of a tag");
        assert!(git(&ours, &["fsck", "--strict", "--no-dangling"]).status.success());
    }

    // A rerun with nothing new writes the same tags.
    let before = refs(&out.join("a.git"));
    let run = apply(&repo, &out, &["--manifest", manifest.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(refs(&out.join("a.git")), before, "rerun");
}

#[test]
fn apply_names_the_tags_it_leaves_out() {
    let repo = fixture("tags");
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("ownership.yaml");
    std::fs::write(&manifest, MANIFEST).unwrap();
    let out = tmp.path().join("out");
    // Not quiet: `-q` leaves only errors and the requested output.
    let args = ["apply", "--out", out.to_str().unwrap(), "--manifest", manifest.to_str().unwrap()];
    let run = crate::support::split(&repo, &args);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let note = run.stdout.split_once("note: 2 tags are in no team repository:\n").map(|(_, rest)| rest);
    assert_eq!(
        note,
        Some(
            "  blob-tag: it tags a blob, which no team's history places\n  \
             tree-tag: it tags a tree, which holds every team's files\n"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn prune_keeps_the_monolith_tags_of_tags() {
    let repo = fixture("tags");
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("ownership.yaml");
    std::fs::write(&manifest, MANIFEST).unwrap();
    let out = tmp.path().join("out");
    let run =
        apply(&repo, &out, &["--manifest", manifest.to_str().unwrap(), "--history", "prune", "--team", "b"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let team = out.join("b.git");
    for name in ["example/basic/v0.2.1", "deep", "outer-of-hidden", "signed-nested"] {
        let id = |r: &Path| text(r, &["rev-parse", &format!("refs/tags/{name}")]);
        assert_eq!(id(&team), id(&repo), "{name}: the monolith's own tag");
    }
}

#[test]
fn a_chain_of_tags_too_long_to_follow_is_reported() {
    let (_keep, repo) = fixture_copy("tags");
    let mut id = text(&repo, &["rev-parse", "main"]).trim().to_string();
    let mut kind = "commit";
    for k in 0..=git_split::apply::MAX_TAG_CHAIN {
        let tag = format!(
            "object {id}\ntype {kind}\ntag t{k}\ntagger T <t@example.com> 1700000000 +0000\n\nt{k}\n"
        );
        let out = std::process::Command::new("git")
            .args(["hash-object", "-t", "tag", "-w", "--stdin"])
            .current_dir(&repo)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                std::io::Write::write_all(c.stdin.as_mut().unwrap(), tag.as_bytes())?;
                c.wait_with_output()
            })
            .unwrap();
        id = String::from_utf8(out.stdout).unwrap().trim().to_string();
        kind = "tag";
        if k + 1 == git_split::apply::MAX_TAG_CHAIN {
            git(&repo, &["update-ref", "refs/tags/longest", &id]);
        }
    }
    git(&repo, &["update-ref", "refs/tags/too-long", &id]);
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("ownership.yaml");
    std::fs::write(&manifest, MANIFEST).unwrap();
    let out = tmp.path().join("out");
    let run =
        apply(&repo, &out, &["--manifest", manifest.to_str().unwrap(), "--format", "json", "--team", "a"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let too_long =
        report["tags_skipped"].as_array().unwrap().iter().find(|t| t["name"] == "refs/tags/too-long");
    assert_eq!(too_long.map(|t| &t["reason"]), Some(&serde_json::json!("chain-too-long")));
    let (levels, _) = chain(&out.join("a.git"), "longest");
    assert_eq!(levels.len(), git_split::apply::MAX_TAG_CHAIN, "the longest chain followed comes along");
}

/// The pack files of a repository, by name.
fn packs(repo: &Path) -> BTreeSet<String> {
    std::fs::read_dir(repo.join("objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn reruns_take_the_saved_tags_and_agree_with_a_first_run() {
    let (_keep, repo) = fixture_copy("tags");
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("ownership.yaml");
    std::fs::write(&manifest, MANIFEST).unwrap();
    let m = ["--manifest", manifest.to_str().unwrap()];
    let (out, scratch) = (tmp.path().join("out"), tmp.path().join("scratch"));
    assert_eq!(apply(&repo, &out, &m).code, 0);
    let saved = |team: &str| std::fs::read_to_string(out.join(format!("{team}.git/split/tags"))).ok();
    let first = saved("a").expect("the tags are saved");
    assert!(first.starts_with("git-split tags 1\nprefix \n") && first.lines().count() > 10, "{first}");

    // Nothing new: no pack is written, the saved tags are as they were.
    let before = packs(&out.join("a.git"));
    assert_eq!(apply(&repo, &out, &m).code, 0);
    assert_eq!(packs(&out.join("a.git")), before, "nothing written");
    assert_eq!(saved("a").as_deref(), Some(first.as_str()));

    // Without saved tags (a repository an older version wrote), or with
    // damaged ones, the tags are made again to the same ids and saved.
    std::fs::remove_file(out.join("a.git/split/tags")).unwrap();
    std::fs::write(out.join("b.git/split/tags"), "git-split tags 1\nprefix \nnot an id\n").unwrap();
    let (a, b) = (refs(&out.join("a.git")), refs(&out.join("b.git")));
    assert_eq!(apply(&repo, &out, &m).code, 0);
    assert_eq!((refs(&out.join("a.git")), refs(&out.join("b.git"))), (a, b));
    assert_eq!(saved("a").as_deref(), Some(first.as_str()), "saved again");

    // New commits and tags, and a tag moved: the same as a first run.
    let mut script = String::from("set -e\n");
    script.push_str("export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_AUTHOR_NAME=A GIT_AUTHOR_EMAIL=a@b GIT_COMMITTER_NAME=C GIT_COMMITTER_EMAIL=c@d GIT_AUTHOR_DATE=@1800000000 GIT_COMMITTER_DATE=@1800000000\n");
    script.push_str(
        "echo more > a/more.txt && git add a && git commit -qm more && git tag -a -m new new-tag\n",
    );
    script.push_str("git tag -d v0.1.0 >/dev/null && git tag -a -m moved v0.1.0 HEAD~2\n");
    let ok = std::process::Command::new("bash").arg("-c").arg(&script).current_dir(&repo).status().unwrap();
    assert!(ok.success());
    assert_eq!(apply(&repo, &out, &m).code, 0);
    assert_eq!(apply(&repo, &scratch, &m).code, 0);
    for team in ["a", "b"] {
        let (o, s) = (out.join(format!("{team}.git")), scratch.join(format!("{team}.git")));
        assert_eq!(refs(&o), refs(&s), "{team}");
        assert_eq!(
            std::fs::read_to_string(o.join("split/tags")).unwrap(),
            std::fs::read_to_string(s.join("split/tags")).unwrap(),
            "{team}"
        );
    }

    // A rerun reads no tag object it saved: one gone from the monolith
    // (loose, as the fixture wrote it) is not missed.
    let id = text(&repo, &["rev-parse", "refs/tags/merged"]).trim().to_string();
    std::fs::remove_file(repo.join(".git/objects").join(&id[..2]).join(&id[2..])).unwrap();
    let before = refs(&out.join("a.git"));
    let run = apply(&repo, &out, &m);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(refs(&out.join("a.git")), before);
}
