//! Odd repositories through `apply` (and `check`), compared with
//! `git filter-repo --path ...` where it applies: file names that are not
//! UTF-8 or hold newlines, tabs, quotes and backslashes, names differing
//! only in case, a 100 MiB blob, submodules, Git LFS pointers, commits with
//! odd headers (`tests/fixtures/make_odd.sh`), and replace refs and grafts.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;

use crate::support::bounded::{split_bounded, MEM_LIMIT_KIB};
use crate::support::filter_repo::{compare, filter_repo, read_map};
use crate::support::NoUserConfig;
use crate::support::{apply_args, digest, fixture, fixture_copy, git, refs};

const MANIFEST: &str = r#"version: 1
monolith: {refs: [main]}
shared: {paths: [shared.txt, .gitmodules, .gitattributes]}
teams:
  weird: {paths: [weird]}
  other: {paths: [other]}
  bytes: {paths: ["raw*"]}
  big: {paths: [big]}
  other-root: {paths: [other], root: other}
policy: {unowned: warn, overlap: allow}
"#;

/// Applies `manifest` to `repo` (bounded), checks it succeeded and left
/// the monolith unchanged; returns the output directory's holder.
fn apply(repo: &Path, manifest: &str, extra: &[&str]) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let m = tmp.path().join("ownership.yaml");
    std::fs::write(&m, manifest).unwrap();
    let out = tmp.path().join("out");
    let before = digest(repo);
    let mut args = apply_args(&out, &["--format", "json", "--manifest", m.to_str().unwrap()]);
    args.extend(extra);
    let run = split_bounded(repo, &args, MEM_LIMIT_KIB);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(before, digest(repo), "apply modified the monolith");
    (tmp, run.stdout)
}

fn raw_git(dir: &Path, args: &[&OsStr]) -> Vec<u8> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .without_user_config()
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// `mode type id\tpath` lines (paths as raw bytes) of a tree.
fn ls_tree(git_dir: &Path, rev: &str) -> Vec<Vec<u8>> {
    let out = raw_git(git_dir, &[os("ls-tree"), os("-r"), os("-z"), os(rev)]);
    out.split(|&b| b == 0).filter(|l| !l.is_empty()).map(<[u8]>::to_vec).collect()
}

fn under(lines: &[Vec<u8>], prefixes: &[&[u8]]) -> Vec<Vec<u8>> {
    lines
        .iter()
        .filter(|l| {
            let path = &l[l.iter().position(|&b| b == b'\t').unwrap() + 1..];
            prefixes.iter().any(|p| path.starts_with(p))
        })
        .cloned()
        .collect()
}

/// `crate::support::assert_only_reachable` for object lists with non-UTF-8 paths.
fn only_reachable(repo: &Path, what: &str) {
    let ids = |out: Vec<u8>| -> BTreeSet<Vec<u8>> {
        out.split(|&b| b == b'\n').filter(|l| l.len() >= 40).map(|l| l[..40].to_vec()).collect()
    };
    let all =
        ids(raw_git(repo, &[os("cat-file"), os("--batch-all-objects"), os("--batch-check=%(objectname)")]));
    let reachable = ids(raw_git(repo, &[os("rev-list"), os("--objects"), os("--all")]));
    assert_eq!(all, reachable, "{what}: only reachable objects");
}

#[test]
fn odd_names_submodules_and_a_big_blob_match_filter_repo() {
    let repo = fixture("odd");
    let (tmp, _) = apply(&repo, MANIFEST, &[]);
    let out = tmp.path().join("out");
    let shared: [&[u8]; 3] = [b"shared.txt", b".gitmodules", b".gitattributes"];
    let cases: &[(&str, &[u8])] =
        &[("weird", b"weird/"), ("bytes", b"raw\xff/"), ("big", b"big/"), ("other", b"other/")];
    let monolith_tip = ls_tree(&repo, "main");
    for (team, dir) in cases {
        let ours = out.join(format!("{team}.git"));
        let theirs = tmp.path().join(format!("fr-{team}"));
        let mut args: Vec<&OsStr> = vec![os("--path"), OsStr::from_bytes(dir)];
        for s in shared {
            args.extend([os("--path"), OsStr::from_bytes(s)]);
        }
        filter_repo(&repo, &theirs, &args);
        compare(team, &ours, &theirs);
        // Byte-exact names, modes and ids: the monolith's own entries.
        let mut prefixes = shared.to_vec();
        prefixes.push(dir);
        assert_eq!(ls_tree(&ours, "main"), under(&monolith_tip, &prefixes), "{team}: tip tree entries");
        let fsck = Command::new("git")
            .args(["fsck", "--strict", "--no-progress"])
            .current_dir(&ours)
            .output()
            .unwrap();
        assert!(fsck.status.success(), "{team}: {}", String::from_utf8_lossy(&fsck.stderr));
        only_reachable(&ours, team);
    }
    let theirs = tmp.path().join("fr-other-root");
    filter_repo(&repo, &theirs, &[os("--subdirectory-filter"), os("other")]);
    compare("other-root", &out.join("other-root.git"), &theirs);

    let weird = out.join("weird.git");
    // Case-only collision: both names at the first commit, one after it dropped.
    let first = String::from_utf8(git(&weird, &["rev-list", "--max-parents=0", "main"]).stdout).unwrap();
    let names =
        String::from_utf8(git(&weird, &["ls-tree", "--name-only", first.trim(), "weird/"]).stdout).unwrap();
    assert!(
        names.lines().any(|l| l == "weird/A.txt") && names.lines().any(|l| l == "weird/a.txt"),
        "{names}"
    );
    // Submodules stay gitlinks, with their monolith ids, in every commit.
    let subs = String::from_utf8(
        git(&weird, &["log", "--format=", "--raw", "--no-abbrev", "main", "--", "weird/sub"]).stdout,
    )
    .unwrap();
    assert!(subs.contains(":160000 160000 1111111111111111111111111111111111111111 3333333333333333333333333333333333333333 M\tweird/sub"), "{subs}");
    assert!(subs.contains(":000000 160000 0000000000000000000000000000000000000000 1111111111111111111111111111111111111111 A\tweird/sub"), "{subs}");
    // The 100 MiB blob is the monolith's object, copied (never inflated: the run is under `ulimit -v`).
    let big_id = String::from_utf8(git(&repo, &["rev-parse", "main:big/blob.bin"]).stdout).unwrap();
    let size =
        String::from_utf8(git(&out.join("big.git"), &["cat-file", "-s", big_id.trim()]).stdout).unwrap();
    assert_eq!(size.trim(), "104857600");
}

/// Header by header, what a rewritten commit keeps: `encoding` and unknown
/// headers (and the message bytes) as they are, not the signatures. Where
/// filter-repo differs, the assertion on its result says how.
#[test]
fn odd_commit_headers() {
    let repo = fixture("odd");
    let (tmp, _) = apply(&repo, MANIFEST, &[]);
    let weird = tmp.path().join("out/weird.git");
    let theirs = tmp.path().join("fr");
    filter_repo(&repo, &theirs, &[os("--path"), os("weird/")]);
    let map = read_map(&weird.join("split/commit-map"));
    let their_map = read_map(&theirs.join(".git/filter-repo/commit-map"));
    let cat = |dir: &Path, id: &str| git(dir, &["cat-file", "commit", id]).stdout;
    let header = |c: &[u8]| -> Vec<u8> { c[..c.windows(2).position(|w| w == b"\n\n").unwrap() + 1].to_vec() };
    let body = |c: &[u8]| -> Vec<u8> { c[c.windows(2).position(|w| w == b"\n\n").unwrap() + 2..].to_vec() };
    let has = |c: &[u8], line: &[u8]| header(c).split(|&b| b == b'\n').any(|l| l.starts_with(line));

    for (rev, what) in [("main~2", "encoding"), ("main~1", "gpgsig"), ("main", "mergetag and unknown")] {
        let old = String::from_utf8(git(&repo, &["rev-parse", rev]).stdout).unwrap().trim().to_string();
        let src = cat(&repo, &old);
        let ours = cat(&weird, &map[&old]);
        let fr = cat(&theirs, &their_map[&old]);
        let label = format!("\n\nSplit-Source: {old}\n");
        assert_eq!(
            body(&ours),
            [body(&src).strip_suffix(b"\n").unwrap(), label.as_bytes()].concat(),
            "{what}: message bytes kept, trailer added"
        );
        for key in ["author ", "committer "] {
            let line = |c: &[u8]| {
                header(c).split(|&b| b == b'\n').find(|l| l.starts_with(key.as_bytes())).unwrap().to_vec()
            };
            assert_eq!(line(&ours), line(&src), "{what}: {key}");
        }
        match what {
            "encoding" => {
                assert!(has(&ours, b"encoding ISO-8859-1"), "kept");
                assert!(!has(&fr, b"encoding"), "filter-repo re-encodes to UTF-8 and drops the header");
            }
            "gpgsig" => {
                assert!(
                    has(&src, b"gpgsig ") && !has(&ours, b"gpgsig") && !has(&ours, b" iQEz"),
                    "signature dropped"
                );
                assert!(!has(&fr, b"gpgsig"), "filter-repo drops it too");
            }
            _ => {
                assert!(!has(&ours, b"mergetag") && !has(&ours, b" type commit"), "mergetag dropped");
                assert!(
                    has(&ours, b"x-unknown-header some value") && has(&ours, b" continued line"),
                    "unknown header kept"
                );
                assert!(has(&ours, b"change-id zzzz"), "change-id kept");
                assert!(
                    !has(&fr, b"x-unknown-header") && !has(&fr, b"change-id"),
                    "filter-repo drops unknown headers"
                );
            }
        }
    }
    let fsck =
        Command::new("git").args(["fsck", "--strict", "--no-progress"]).current_dir(&weird).output().unwrap();
    assert!(fsck.status.success(), "{}", String::from_utf8_lossy(&fsck.stderr));
}

/// Files nobody owns with a newline or a non-UTF-8 byte in their name are
/// still reported, by `apply` and by `check`, and nothing else is.
#[test]
fn unowned_odd_names_are_reported() {
    let repo = fixture("odd");
    let (_tmp, json) = apply(&repo, MANIFEST, &[]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["unowned"],
        serde_json::json!(["lost\nnewline.txt", "lost\u{1b}[2Jclear.txt", "lost\u{fffd}.txt"])
    );
    let tmp = tempfile::tempdir().unwrap();
    let m = tmp.path().join("ownership.yaml");
    std::fs::write(&m, MANIFEST).unwrap();
    let run = split_bounded(
        &repo,
        &["check", "--ref", "main", "--format", "json", "--manifest", m.to_str().unwrap()],
        MEM_LIMIT_KIB,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let paths: Vec<&str> =
        v["findings"].as_array().unwrap().iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(paths, ["lost\nnewline.txt", "lost\u{1b}[2Jclear.txt", "lost\u{fffd}.txt"]);

    // Text output quotes such names (even in colour): each stays on its
    // line, and a name cannot drive the terminal.
    let out = tmp.path().join("out");
    let (m, out) = (m.to_str().unwrap(), out.to_str().unwrap());
    let lost_nl = "lost\nnewline.txt";
    for args in [
        &["--color", "always", "apply", "--manifest", m, "--out", out][..],
        &["--color", "always", "plan", "--manifest", m],
        &["--color", "always", "check", "--ref", "main", "--manifest", m],
        &["--color", "always", "owners", "--manifest", m, lost_nl, "lost\x1b[2Jclear.txt"],
    ] {
        let run = split_bounded(&repo, args, MEM_LIMIT_KIB);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(
            !run.stdout.contains(lost_nl) && !run.stdout.contains("\x1b[2J"),
            "{args:?}:\n{}",
            run.stdout
        );
        assert!(
            run.stdout.contains(r"lost\nnewline.txt") && run.stdout.contains(r"lost\u{1b}[2Jclear.txt"),
            "{args:?}:\n{}",
            run.stdout
        );
    }
}

/// Replace refs and grafts are ignored: the split is of the objects as
/// stored, so it is the same on a clone (which never fetches them) and on
/// the repository that has them. `apply` with them equals `apply` without.
#[test]
fn replace_refs_and_grafts_are_ignored() {
    let clean = fixture("odd");
    let (_keep, dirty) = fixture_copy("odd");
    let rev = |r: &str| String::from_utf8(git(&dirty, &["rev-parse", r]).stdout).unwrap().trim().to_string();
    let (cut, skip, onto) = (rev("main~3"), rev("main~5"), rev("main~8"));
    let (blob, other) = (rev("main~8:weird/A.txt"), rev("main:shared.txt"));
    // A replaced commit with another parent, a replaced blob, a graft that cuts history.
    git(&dirty, &["replace", "--graft", &skip, &onto]);
    git(&dirty, &["replace", &blob, &other]);
    std::fs::write(dirty.join(".git/info/grafts"), format!("{cut}\n")).unwrap();
    assert_ne!(
        git(&dirty, &["rev-list", "--count", "main"]).stdout,
        git(&clean, &["rev-list", "--count", "main"]).stdout,
        "git itself sees another history"
    );
    let compat = MANIFEST
        .replace("policy:", "  other-subtree: {paths: [other], root: other, compat: subtree}\npolicy:");
    let mut replaced = vec![format!("refs/replace/{blob}"), format!("refs/replace/{skip}")];
    replaced.sort();
    replaced.push("info/grafts".into());
    for extra in [&[][..], &["--history", "prune"][..]] {
        let (a, a_json) = apply(&clean, &compat, extra);
        let (b, b_json) = apply(&dirty, &compat, extra);
        let ignored = |j: &str| serde_json::from_str::<serde_json::Value>(j).unwrap()["ignored"].clone();
        assert_eq!(ignored(&a_json), serde_json::json!([]));
        assert_eq!(ignored(&b_json), serde_json::json!(replaced), "the report names what was ignored");
        for team in ["weird", "other", "bytes", "big", "other-root", "other-subtree"] {
            let (x, y) = (a.path().join(format!("out/{team}.git")), b.path().join(format!("out/{team}.git")));
            assert_eq!(refs(&x), refs(&y), "{team} {extra:?}: same refs");
            assert_eq!(
                std::fs::read(x.join("split/commit-map")).unwrap(),
                std::fs::read(y.join("split/commit-map")).unwrap(),
                "{team} {extra:?}: same commit map"
            );
        }
    }
}

/// Every command runs with less address space than the 100 MiB blob
/// (`ulimit -v` 96 MiB): the blob is copied and sized, never read whole.
#[test]
fn a_blob_bigger_than_the_memory_limit_is_never_read_whole() {
    let repo = fixture("odd");
    let tmp = tempfile::tempdir().unwrap();
    let m = tmp.path().join("ownership.yaml");
    std::fs::write(&m, MANIFEST).unwrap();
    let (m, out) = (m.to_str().unwrap(), tmp.path().join("out"));
    let out = out.to_str().unwrap();
    let limit = 96 * 1024;
    for (args, code) in [
        (&["apply", "-q", "--team", "big", "--jobs", "2", "--manifest", m, "--out", out][..], 0),
        (&["verify", "--team", "big", "--manifest", m, "--out", out], 0),
        (
            &[
                "apply",
                "-q",
                "--team",
                "big",
                "--jobs",
                "2",
                "--history",
                "prune",
                "--manifest",
                m,
                "--out",
                out,
            ],
            0,
        ),
        (&["plan", "--manifest", m], 0),
        (&["check", "--ref", "main", "--manifest", m], 0),
        (&["log", "--manifest", m], 0),
        (&["owners", "--manifest", m, "big/blob.bin"], 0),
    ] {
        let run = split_bounded(&repo, args, limit);
        assert_eq!(run.code, code, "{args:?}: {}{}", run.stdout, run.stderr);
    }
    let size = git(&Path::new(out).join("big.git"), &["cat-file", "-s", "main:big/blob.bin"]).stdout;
    assert_eq!(String::from_utf8(size).unwrap().trim(), "104857600");
}

/// The LFS objects each team needs are listed (JSON and text): every
/// pointer file in its history, and nothing that only looks like one. The
/// expected oids are the ones `make_odd.sh` wrote; `weird/fake.bin` has no
/// `size` line.
#[test]
fn lfs_objects_each_team_needs_are_listed() {
    let repo = fixture("odd");
    let (tmp, json) = apply(&repo, MANIFEST, &[]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let lfs = |team: &str| -> Vec<(String, u64)> {
        let t = v["teams"].as_array().unwrap().iter().find(|t| t["name"] == team).unwrap();
        t["lfs_objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (o["oid"].as_str().unwrap().to_string(), o["size"].as_u64().unwrap()))
            .collect()
    };
    let oid = |c: char| format!("sha256:{}", c.to_string().repeat(64));
    assert_eq!(
        lfs("weird"),
        [(oid('1'), 1_000_000), (oid('3'), 2_000_000)],
        "both versions of weird/model.bin"
    );
    assert_eq!(lfs("other"), [(oid('2'), 42)]);
    assert_eq!(lfs("other-root"), [(oid('2'), 42)]);
    assert_eq!(lfs("big"), []);
    // The pointer files themselves are kept byte for byte.
    let weird = tmp.path().join("out/weird.git");
    assert_eq!(
        git(&weird, &["rev-parse", "main:weird/model.bin"]).stdout,
        git(&repo, &["rev-parse", "main:weird/model.bin"]).stdout
    );
    // A second run that finds nothing new reports the same, and so does text.
    let m = tmp.path().join("ownership.yaml");
    let out = tmp.path().join("out");
    let run = split_bounded(
        &repo,
        &["apply", "--manifest", m.to_str().unwrap(), "--out", out.to_str().unwrap()],
        MEM_LIMIT_KIB,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("git lfs: pointer files name objects each team must fetch and push"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["weird", "2", "objects,", "2.9", "MiB"]),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.lines().any(|l| l.trim_start().starts_with("big ") && l.contains("object")),
        "{}",
        run.stdout
    );
}

/// Trees nested 2040 directories deep split like any other; one nested 2100 deep, past git's own
/// `core.maxTreeDepth` (2048), fails the team that must read it with a
/// message naming the tree (exit 1), in both history modes, instead of
/// overflowing a thread's stack. A team keeping it whole copies it by id.
/// (`--history prune` copies the whole monolith, which git then refuses to
/// pack: every team fails, with git's message.)
#[test]
fn trees_deeper_than_git_allows_fail_the_team_cleanly() {
    let repo = fixture("deep");
    let manifest = r#"version: 1
monolith: {refs: [main]}
shared: {paths: [shared.txt]}
teams:
  ok: {paths: ["ok/**/f.txt"]}
  deeper-glob: {paths: ["deeper/**/f.txt"]}
  deeper-whole: {paths: [deeper]}
"#;
    let tmp = tempfile::tempdir().unwrap();
    let m = tmp.path().join("ownership.yaml");
    std::fs::write(&m, manifest).unwrap();
    for mode in ["rewrite", "prune"] {
        let out = tmp.path().join(format!("out-{mode}"));
        let args = [
            "apply",
            "--format",
            "json",
            "--jobs",
            "2",
            "--history",
            mode,
            "--manifest",
            m.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        let run = split_bounded(&repo, &args, MEM_LIMIT_KIB);
        assert_eq!(run.code, 1, "{mode}: {}{}", run.stdout, run.stderr);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let team =
            |name: &str| v["teams"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap().clone();
        let err = team("deeper-glob")["error"].as_str().unwrap_or_default().to_string();
        assert!(err.contains("nested more than 2048 directories deep"), "{mode}: {err}");
        if mode == "prune" {
            // A full copy of the monolith: git itself refuses to pack it.
            for name in ["ok", "deeper-whole"] {
                let err = team(name)["error"].as_str().unwrap_or_default().to_string();
                assert!(err.contains("exceeded maximum allowed tree depth"), "{mode}: {err}");
            }
            continue;
        }
        assert!(team("ok")["error"].is_null(), "{mode}: {}", team("ok")["error"]);
        assert!(team("deeper-whole")["error"].is_null(), "{mode}: {}", team("deeper-whole")["error"]);
        let whole = out.join("deeper-whole.git");
        assert_eq!(
            git(&whole, &["rev-parse", "main:deeper"]).stdout,
            git(&repo, &["rev-parse", "main:deeper"]).stdout
        );
    }
    // (No filter-repo here: git refuses to clone a repository this deep.)
    let deep_file = format!("main:ok/{}f.txt", "d/".repeat(2040));
    let ok = tmp.path().join("out-rewrite/ok.git");
    assert_eq!(git(&ok, &["rev-parse", &deep_file]).stdout, git(&repo, &["rev-parse", &deep_file]).stdout);
    assert_eq!(
        git(&ok, &["rev-list", "--count", "main"]).stdout,
        b"1\n",
        "the commit adding `deeper` is dropped"
    );
    for args in [&["plan"][..], &["owners", "deeper"], &["log"], &["codeowners"]] {
        let mut a = args.to_vec();
        a.extend(["--manifest", m.to_str().unwrap()]);
        let run = split_bounded(&repo, &a, MEM_LIMIT_KIB);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    }
    let run =
        split_bounded(&repo, &["check", "--ref", "main", "--manifest", m.to_str().unwrap()], MEM_LIMIT_KIB);
    assert!(run.code == 0 || run.code == 1, "check: {}", run.stderr);
}

/// Files that are read whole — package manifests, `ownership.yaml` from
/// the tree — are checked for size first: a commit pointing
/// `package.json`, `Cargo.toml` and `ownership.yaml` at the 100 MiB blob
/// cannot make a command inflate it (memory stays under 96 MiB). Package
/// manifests over 8 MiB are skipped and reported; an `ownership.yaml` over
/// 8 MiB in the tree is refused (exit 2) with its size.
#[test]
fn manifests_in_the_tree_are_sized_before_they_are_read() {
    let (_keep, repo) = fixture_copy("odd");
    let big = String::from_utf8(git(&repo, &["rev-parse", "main:big/blob.bin"]).stdout).unwrap();
    let big = big.trim();
    let small = Command::new("git")
        .args(["hash-object", "-w", "--stdin"])
        .current_dir(&repo)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut small.stdin.as_ref().unwrap(), br#"{"name": "foo"}"#).unwrap();
    let small = String::from_utf8(small.wait_with_output().unwrap().stdout).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut edits: Vec<Vec<String>> = ["big/package.json", "big/Cargo.toml", "ownership.yaml"]
        .into_iter()
        .map(|path| vec!["--cacheinfo".to_string(), format!("100644,{big},{path}")])
        .collect();
    edits.push(vec!["--cacheinfo".to_string(), format!("100644,{},other/package.json", small.trim())]);
    commit_on_main(&repo, &edits, "hostile manifests");

    let m = tmp.path().join("ownership.yaml");
    std::fs::write(
        &m,
        MANIFEST.replace(
            "  other: {paths: [other]}",
            "  other: {paths: [other], packages: [\"npm:foo\", \"cargo:bar-none\"]}",
        ),
    )
    .unwrap();
    let m = m.to_str().unwrap();
    let limit = 96 * 1024;
    let run = split_bounded(&repo, &["plan", "--format", "json", "--manifest", m], limit);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("package `cargo:bar-none` not found"), "{}", run.stderr);
    std::fs::write(
        m,
        MANIFEST.replace("  other: {paths: [other]}", "  other: {paths: [other], packages: [\"npm:foo\"]}"),
    )
    .unwrap();
    let run = split_bounded(&repo, &["plan", "--format", "json", "--manifest", m], limit);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        v["skipped_manifests"],
        serde_json::json!([{"path": "big/package.json", "reason": "104857600 bytes: larger than 8 MiB, not read"}])
    );
    let run = split_bounded(&repo, &["check", "--ref", "main", "--since", "main~1", "--manifest", m], limit);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    // No `--manifest`: the work tree has none, so the tree's is read — or not.
    let run = split_bounded(&repo, &["plan"], limit);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("`ownership.yaml` is 104857600 bytes; more than 8388608 is not read"),
        "{}",
        run.stderr
    );
}

/// The pointer scan runs only when the split ref sets LFS up (a
/// `.gitattributes` with `filter=lfs`): the same history with the
/// attributes removed at the tip reports no LFS objects.
#[test]
fn lfs_objects_are_looked_for_only_where_lfs_is_set_up() {
    let (_keep, repo) = fixture_copy("odd");
    commit_on_main(&repo, &[vec!["--force-remove".to_string(), ".gitattributes".to_string()]], "drop lfs");
    let (_out, json) = apply(&repo, MANIFEST, &[]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for t in v["teams"].as_array().unwrap() {
        assert_eq!(t["lfs_objects"], serde_json::json!([]), "{}", t["name"]);
    }
}

/// `init --top-level` drafts a manifest for a tree with odd names: a byte
/// that is not UTF-8 (which YAML cannot carry) becomes `?` in the pattern,
/// and the draft, checked file by file against the tree, loads and owns
/// every file. Its summary quotes names with control characters.
#[test]
fn init_drafts_odd_names() {
    let repo = fixture("odd");
    let tmp = tempfile::tempdir().unwrap();
    let draft = tmp.path().join("draft.yaml");
    let run = split_bounded(
        &repo,
        &["init", "--ref", "main", "--top-level", "--output", draft.to_str().unwrap()],
        MEM_LIMIT_KIB,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stdout.contains("lost\n") && run.stdout.contains(r#""lost\nnewline.txt""#),
        "{}",
        run.stdout
    );
    let text = std::fs::read_to_string(&draft).unwrap();
    assert!(text.contains(r#""raw?/""#) && text.contains(r#""lost?.txt""#), "{text}");
    let run = split_bounded(
        &repo,
        &["check", "--ref", "main", "--format", "json", "--manifest", draft.to_str().unwrap()],
        MEM_LIMIT_KIB,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

/// Commits on `main` its tree with `edits` made to it, each the arguments
/// of one `git update-index` (in a scratch index; the work tree is not
/// touched), and moves `main` there.
fn commit_on_main(repo: &Path, edits: &[Vec<String>], message: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("index");
    let with_index = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(repo)
            .env("GIT_INDEX_FILE", &index)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    with_index(&["read-tree", "main"]);
    for edit in edits {
        let mut args = vec!["update-index", "--add"];
        args.extend(edit.iter().map(String::as_str));
        with_index(&args);
    }
    let tree = with_index(&["write-tree"]);
    let user = ["-c", "user.name=a", "-c", "user.email=a@example.com"];
    let commit =
        with_index(&[&user[..], &["commit-tree", tree.trim(), "-p", "main", "-m", message]].concat());
    git(repo, &["update-ref", "refs/heads/main", commit.trim()]);
}
