//! Git LFS pointers against git-lfs itself: the objects `apply` says a
//! team must fetch are the ones `git lfs ls-files --all` finds in the
//! history, under each version line git-lfs accepts, and none of the
//! look-alikes (an unknown version, a pointer padded past the size git-lfs
//! reads, a size past 64 bits, a pointer header on a large blob).

use std::collections::BTreeSet;

use crate::support::bounded::{split_bounded, MEM_LIMIT_KIB};
use crate::support::{fixture, git, NoUserConfig};

#[test]
fn the_objects_to_fetch_are_the_ones_git_lfs_finds() {
    let repo = fixture("lfs");
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("ownership.yaml");
    std::fs::write(&manifest, "version: 1\nteams:\n  all:\n    paths: [\"**\"]\n").unwrap();
    let out = tmp.path().join("out");
    let args = ["apply", "--format", "json", "--manifest", manifest.to_str().unwrap()];
    let run = split_bounded(&repo, &[&args[..], &["--out", out.to_str().unwrap()]].concat(), MEM_LIMIT_KIB);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let ours: BTreeSet<(String, u64)> = v["teams"][0]["lfs_objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["oid"].as_str().unwrap().to_string(), o["size"].as_u64().unwrap()))
        .collect();

    let listed = std::process::Command::new("git")
        .args(["lfs", "ls-files", "--all", "--long", "--size"])
        .current_dir(&repo)
        .without_user_config()
        .output()
        .expect("run git lfs (`bash .ci/test` installs git-lfs)");
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    // `OID - PATH (SIZE B)`, one line per pointer found.
    let theirs: BTreeSet<(String, u64)> = String::from_utf8(listed.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (oid, rest) = l.split_once(" - ").unwrap();
            let size = rest.rsplit_once(" (").unwrap().1.strip_suffix(" B)").unwrap();
            (format!("sha256:{oid}"), size.parse().unwrap())
        })
        .collect();
    // Every version line git-lfs accepts, the alpha one twice.
    assert_eq!(theirs.len(), 4, "{theirs:?}");
    assert_eq!(ours, theirs);
    // The pointer files themselves are carried as they are.
    let team = out.join("all.git");
    assert_eq!(
        git(&team, &["rev-parse", "main:git-media.bin"]).stdout,
        git(&repo, &["rev-parse", "main:git-media.bin"]).stdout
    );
}
