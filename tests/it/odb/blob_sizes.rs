//! `git::blob_sizes` against `git cat-file --batch-check`, for every blob of
//! the fixture repositories and of repositories stored every way git stores
//! objects: loose, packed whole, as offset deltas (`gc --aggressive`), as
//! ref deltas, with 64-bit index offsets, behind a version-1 index, mixed
//! loose and packed, and borrowed through `objects/info/alternates`.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use crate::support::NoUserConfig;
use crate::support::{fixture, git};
use git2::Oid;
use git_split::odb::{blob_sizes, FileKind, Repo, TreeFile};

/// What one repository's check compared.
#[derive(Debug, Default)]
struct Counts {
    /// Distinct blobs compared.
    blobs: usize,
    /// Of which stored as deltas in a pack.
    deltas: usize,
    /// Files compared through `Repo::list_tree`, over every commit.
    listed: usize,
}

/// `git cat-file` on every object: id -> (type, size, delta base or none).
fn all_objects(repo: &Path) -> HashMap<Oid, (String, u64, bool)> {
    let out = git(
        repo,
        &[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objectname) %(objecttype) %(objectsize) %(deltabase)",
        ],
    );
    let mut map = HashMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let delta = f[3].bytes().any(|b| b != b'0');
        map.insert(Oid::from_str(f[0]).unwrap(), (f[1].to_string(), f[2].parse().unwrap(), delta));
    }
    map
}

/// Sizes of `oids` per `git cat-file --batch-check='%(objectname) %(objectsize)'`.
fn cat_file_sizes(repo: &Path, oids: &[Oid]) -> HashMap<Oid, u64> {
    use std::io::Write;
    let mut child = Command::new("git")
        .args(["cat-file", "--batch-check=%(objectname) %(objectsize)"])
        .current_dir(repo)
        .without_user_config()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = String::new();
    for oid in oids {
        input.push_str(&format!("{oid}\n"));
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (id, size) = l.split_once(' ').expect("object found");
            (Oid::from_str(id).unwrap(), size.parse().unwrap())
        })
        .collect()
}

/// Compares `blob_sizes` with git for every blob in `repo` (as one listing,
/// in object order and reversed, with duplicates) and for the listing of
/// every commit's tree (which brings gitlinks and repeated ids).
fn check(repo: &Path) -> Counts {
    let objects = all_objects(repo);
    let blobs: Vec<Oid> = objects.iter().filter(|(_, o)| o.0 == "blob").map(|(id, _)| *id).collect();
    let expected = cat_file_sizes(repo, &blobs);
    for (id, (_, size, _)) in objects.iter().filter(|(_, o)| o.0 == "blob") {
        assert_eq!(expected[id], *size, "cat-file disagrees with itself on {id}");
    }
    let r = Repo::open(repo).unwrap();
    let git_dir = r.raw().path().to_path_buf();

    let mut files: Vec<TreeFile> = blobs
        .iter()
        .map(|&oid| TreeFile { path: oid.to_string().into_bytes(), oid, kind: FileKind::Blob, size: 0 })
        .collect();
    let doubled: Vec<TreeFile> = files.iter().rev().cloned().collect();
    files.extend(doubled);
    let sizes = blob_sizes(r.packs(), &git_dir, &files).unwrap();
    assert_eq!(sizes.len(), files.len());
    for (f, size) in files.iter().zip(&sizes) {
        assert_eq!(*size, Some(expected[&f.oid]), "size of blob {} in {}", f.oid, repo.display());
    }

    let (nblobs, deltas) = (blobs.len(), objects.values().filter(|o| o.0 == "blob" && o.2).count());
    if std::env::var_os("BLOB_SIZES_SKIP_LISTINGS").is_some() {
        return Counts { blobs: nblobs, deltas, listed: 0 };
    }
    let r = Repo::open(repo).unwrap();
    let commits = git(repo, &["rev-list", "--all"]);
    let mut listed = 0;
    for line in String::from_utf8(commits.stdout).unwrap().lines() {
        let rev = r.resolve(line).unwrap();
        let listing = r.list_tree(rev.tree).unwrap();
        for f in &listing.files {
            let want = if f.kind == FileKind::Gitlink { 0 } else { expected[&f.oid] };
            assert_eq!(f.size, want, "size of {} at {line}", String::from_utf8_lossy(&f.path));
        }
        listed += listing.files.len();
    }
    Counts { blobs: blobs.len(), deltas: objects.values().filter(|o| o.0 == "blob" && o.2).count(), listed }
}

fn git_env(repo: &Path, args: &[&str]) {
    let mut all = vec!["-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "gc.auto=0"];
    all.extend_from_slice(args);
    git(repo, &all);
}

/// A small deterministic byte stream (so "binary" files delta poorly).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A history whose files change a little each commit, so that a repack
/// stores most blobs as deltas: text files of many sizes (some above 1 MiB,
/// so sizes take several varint bytes), an empty file, a file that grows
/// and shrinks, and binary files.
fn make_history(dir: &Path, commits: usize) {
    git(dir, &["init", "-q", "-b", "main", "."]);
    for c in 0..commits {
        for f in 0..24usize {
            let lines = [3usize, 40, 700, 5000, 30_000][f % 5];
            let mut text = String::new();
            for l in 0..lines {
                // Each commit edits a few lines of each file.
                let v = if l % 97 == c % 97 || l == c { c } else { 0 };
                text.push_str(&format!("file {f} line {l} version {v}\n"));
            }
            if f % 7 == 3 {
                text.push_str(&"grow\n".repeat((c * 37) % 400));
            }
            std::fs::write(dir.join(format!("t{f}.txt")), text).unwrap();
        }
        let mut bin = noise(7, 50_000);
        bin[c * 100..c * 100 + 100].copy_from_slice(&noise(c as u64 + 100, 100));
        std::fs::write(dir.join("data.bin"), bin).unwrap();
        std::fs::write(dir.join(format!("fresh{}.bin", c % 3)), noise(c as u64, 3000 + c)).unwrap();
        std::fs::write(dir.join("empty"), "").unwrap();
        git_env(dir, &["add", "-A"]);
        git_env(dir, &["commit", "-q", "-m", &format!("c{c}")]);
    }
}

fn pack_files(repo: &Path, ext: &str) -> Vec<std::path::PathBuf> {
    let dir = repo.join(".git/objects/pack");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}

/// Rewrites every pack index with `git index-pack --index-version=<v>`.
fn reindex(repo: &Path, version: &str) {
    for pack in pack_files(repo, "pack") {
        let idx = pack.with_extension("idx");
        std::fs::remove_file(&idx).unwrap();
        let p = pack.to_str().unwrap();
        git(repo, &["index-pack", &format!("--index-version={version}"), "-o", idx.to_str().unwrap(), p]);
    }
}

fn report(name: &str, c: &Counts) {
    eprintln!("{name}: {} blobs ({} deltas), {} listed files", c.blobs, c.deltas, c.listed);
}

#[test]
fn fixtures_match_git() {
    for name in ["monolith", "history", "polyglot"] {
        let c = check(&fixture(name));
        assert!(c.blobs > 0);
        report(name, &c);
    }
}

#[test]
fn loose_objects_match_git() {
    let tmp = tempfile::tempdir().unwrap();
    make_history(tmp.path(), 6);
    assert!(pack_files(tmp.path(), "pack").is_empty());
    let c = check(tmp.path());
    report("loose", &c);
}

#[test]
fn aggressive_gc_deltas_match_git() {
    let tmp = tempfile::tempdir().unwrap();
    make_history(tmp.path(), 40);
    git_env(tmp.path(), &["gc", "-q", "--aggressive", "--prune=now"]);
    let c = check(tmp.path());
    report("gc --aggressive", &c);
    assert!(c.deltas * 2 > c.blobs, "most blobs should be deltas: {c:?}");
}

#[test]
fn ref_deltas_match_git() {
    let tmp = tempfile::tempdir().unwrap();
    make_history(tmp.path(), 25);
    git_env(tmp.path(), &["-c", "repack.useDeltaBaseOffset=false", "repack", "-q", "-a", "-d", "-f"]);
    let c = check(tmp.path());
    report("ref deltas", &c);
    assert!(c.deltas * 2 > c.blobs, "most blobs should be deltas: {c:?}");
}

#[test]
fn large_offset_table_matches_git() {
    let tmp = tempfile::tempdir().unwrap();
    make_history(tmp.path(), 15);
    git_env(tmp.path(), &["repack", "-q", "-a", "-d"]);
    // Every offset past 64 goes to the 8-byte table.
    reindex(tmp.path(), "2,64");
    let c = check(tmp.path());
    report("large offsets", &c);
    assert!(c.deltas > 0);
}

#[test]
fn version_one_index_falls_back() {
    let tmp = tempfile::tempdir().unwrap();
    make_history(tmp.path(), 10);
    git_env(tmp.path(), &["repack", "-q", "-a", "-d"]);
    reindex(tmp.path(), "1");
    let idx = std::fs::read(&pack_files(tmp.path(), "idx")[0]).unwrap();
    assert_ne!(idx[..4], *b"\xfftOc", "a version-1 index has no magic");
    let c = check(tmp.path());
    report("v1 index", &c);
}

#[test]
fn loose_and_packed_mixed_match_git() {
    let tmp = tempfile::tempdir().unwrap();
    make_history(tmp.path(), 20);
    git_env(tmp.path(), &["gc", "-q", "--aggressive"]);
    // A second, incremental pack (`repack -d` without `-a`), then loose
    // objects on top.
    std::fs::write(tmp.path().join("t0.txt"), "rewritten\n").unwrap();
    git_env(tmp.path(), &["commit", "-q", "-a", "-m", "second pack"]);
    git_env(tmp.path(), &["repack", "-q", "-d"]);
    for c in 0..3 {
        std::fs::write(tmp.path().join(format!("t{c}.txt")), format!("loose {c}\n")).unwrap();
        std::fs::write(tmp.path().join(format!("new{c}.txt")), noise(c, 777)).unwrap();
        git_env(tmp.path(), &["add", "-A"]);
        git_env(tmp.path(), &["commit", "-q", "-m", &format!("loose {c}")]);
    }
    assert!(pack_files(tmp.path(), "pack").len() >= 2);
    let loose = String::from_utf8(git(tmp.path(), &["count-objects"]).stdout).unwrap();
    assert!(!loose.starts_with("0 objects"), "{loose}");
    let c = check(tmp.path());
    report("packed + loose", &c);
    assert!(c.deltas > 0);
}

#[test]
fn alternates_match_git() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin");
    std::fs::create_dir(&origin).unwrap();
    make_history(&origin, 20);
    git_env(&origin, &["gc", "-q", "--aggressive"]);
    let clone = tmp.path().join("clone");
    git(tmp.path(), &["clone", "-q", "--shared", "origin", "clone"]);
    assert!(clone.join(".git/objects/info/alternates").exists());
    std::fs::write(clone.join("t1.txt"), "only in the clone\n").unwrap();
    git_env(&clone, &["commit", "-q", "-a", "-m", "clone only"]);
    let c = check(&clone);
    report("alternates", &c);
    assert!(c.deltas > 0);
}

/// Any repository: `BLOB_SIZES_REPO=path cargo test --release --test
/// blob_sizes -- --ignored` (with `BLOB_SIZES_SKIP_LISTINGS=1` to compare
/// each distinct blob once instead of every commit's listing).
#[test]
#[ignore]
fn given_repository_matches_git() {
    let repo = std::env::var_os("BLOB_SIZES_REPO").expect("BLOB_SIZES_REPO");
    let c = check(Path::new(&repo));
    report(&repo.to_string_lossy(), &c);
}
