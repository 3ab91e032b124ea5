//! Reading packs, checked against git and libgit2.

use super::delta::delta_varint;
use super::*;
use crate::odb::object::ObjectKind;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "gc.auto=0"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// git's reverse index gives the order sorting does, and one that is
/// wrong in any way is passed over.
#[test]
fn a_reverse_index_is_read_when_right() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main", "."]);
    for c in 0..20 {
        std::fs::write(dir.join(format!("f{}", c % 7)), format!("{c}\n").repeat(c + 1)).unwrap();
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", &format!("c{c}")]);
    }
    git(dir, &["-c", "pack.writeReverseIndex=true", "repack", "-q", "-a", "-d"]);
    let packs = Packs::open(&dir.join(".git"));
    let pack = &packs.packs[0];
    let sorted = pack.order_by_sorting();
    let read = pack.order_from_rev().expect("git's .rev is read");
    assert_eq!((&read.by_offset, &read.rank), (&sorted.by_offset, &sorted.rank));
    assert!(sorted.by_offset.len() > 40);
    let rev = pack.idx_path.with_extension("rev");
    let good = std::fs::read(&rev).unwrap();
    let mut perms = std::fs::metadata(&rev).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&rev, perms).unwrap();
    let damage = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = good.clone();
        f(&mut bytes);
        std::fs::write(&rev, bytes).unwrap();
        pack.order_from_rev()
    };
    // Two positions swapped; one repeated; one out of range; cut short.
    assert!(damage(&|b| b.swap(12 + 3, 12 + 4 * 5 + 3)).is_none());
    assert!(damage(&|b| b.copy_within(12..16, 16)).is_none());
    assert!(damage(&|b| b[12..16].copy_from_slice(&u32::MAX.to_be_bytes())).is_none());
    assert!(damage(&|b| b.truncate(b.len() - 4)).is_none());
    // Another pack's.
    assert!(damage(&|b| {
        let at = b.len() - 2 * TRAILER;
        b[at] ^= 1;
    })
    .is_none());
    assert!(damage(&|_| {}).is_some());
}

/// Every packed object is answered here (none left to libgit2), and
/// right: offset and ref deltas, whole objects, 64-bit offsets.
#[test]
fn every_packed_object_is_read_from_the_pack() {
    for (repack, index) in [
        (&["gc", "-q", "--aggressive"][..], None),
        (&["-c", "repack.useDeltaBaseOffset=false", "repack", "-q", "-a", "-d", "-f"][..], None),
        (&["repack", "-q", "-a", "-d"][..], Some("--index-version=2,100")),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q", "-b", "main", "."]);
        for c in 0..12 {
            for f in 0..6 {
                let text: String =
                    (0..200 * f + 3).map(|l| format!("{f} {l} {}\n", if l == c { c } else { 0 })).collect();
                std::fs::write(dir.join(format!("f{f}")), text).unwrap();
            }
            git(dir, &["add", "-A"]);
            git(dir, &["commit", "-q", "-m", &format!("c{c}")]);
        }
        git(dir, repack);
        if let Some(flag) = index {
            for e in std::fs::read_dir(dir.join(".git/objects/pack")).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|e| e == "pack") {
                    let idx = p.with_extension("idx");
                    std::fs::remove_file(&idx).unwrap();
                    git(dir, &["index-pack", flag, "-o", idx.to_str().unwrap(), p.to_str().unwrap()]);
                }
            }
        }
        let listing = git(
            dir,
            &["cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objectsize) %(deltabase)"],
        );
        let mut listed: Vec<([u8; ID], u64, bool)> = listing
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                let id = git2::Oid::from_str(f[0]).unwrap().as_bytes().try_into().unwrap();
                (id, f[1].parse().unwrap(), f[2].bytes().any(|b| b != b'0'))
            })
            .collect();
        listed.sort_unstable();
        assert!(listed.iter().filter(|w| w.2).count() > listed.len() / 3, "{repack:?}: deltas expected");
        let packs = Packs::open(&dir.join(".git"));
        assert_eq!(packs.len(), 1);
        let ids: Vec<[u8; ID]> = listed.iter().map(|w| w.0).collect();
        for (threads, piece) in [(1, PIECE), (2, PIECE), (3, 7), (2, 1)] {
            let got = packs.sizes_in_pieces(&ids, threads, piece);
            for (w, g) in listed.iter().zip(&got) {
                assert_eq!(*g, Some(w.1), "{repack:?}: {}", git2::Oid::from_bytes(&w.0).unwrap());
            }
        }
        // Whole reads (deltas resolved) and raw entries agree with libgit2.
        let repo = git2::Repository::open(dir).unwrap();
        let odb = repo.odb().unwrap();
        let mut state = ReadState::new();
        for (id, &(_, _, is_delta)) in ids.iter().zip(&listed) {
            let oid = git2::Oid::from_bytes(id).unwrap();
            let want = odb.read(oid).unwrap();
            let (kind, data) = packs.read(id, &mut state).expect("read from the pack");
            assert_eq!(&*data, want.data(), "{repack:?}: {oid}");
            let lean = packs.read_sparing_bases(packs.locate_one(id).unwrap(), &mut ReadState::new());
            assert_eq!(lean, Some((kind, data.clone())), "{repack:?}: {oid} read sparing its bases");
            for max in [0, 1, 5, 100, 1000, 5000, data.len(), data.len() + 1] {
                let (k, head) = packs.read_prefix(id, max, &mut state).expect("prefix read");
                assert_eq!((k, &head[..]), (kind, &data[..max.min(data.len())]), "{repack:?}: {oid}");
            }
            assert_eq!(ObjectKind::from_git2(want.kind()), Some(kind));
            let place = packs.locate_one(id).expect("located");
            let raw = packs.entry(place).expect("entry parses");
            // Stored as git says: whole (of the object's kind) or as a delta.
            match raw.stored {
                Stored::Whole(k) => assert!(!is_delta && k == kind, "{repack:?}: {oid}"),
                Stored::OffsetDelta(b) => {
                    assert!(is_delta, "{repack:?}: {oid}");
                    let base = packs.id_at(place.pack, b).expect("an offset delta's base is an entry");
                    let at = packs.locate_one(&base).expect("the base is located");
                    assert_eq!((at.pack, at.offset), (place.pack, b), "{repack:?}: {oid}'s base");
                }
                Stored::RefDelta(base) => {
                    assert!(is_delta, "{repack:?}: {oid}");
                    assert!(packs.contains(&base), "{repack:?}: {oid}'s base is packed");
                }
            }
        }
        let absent = [[0u8; ID], [0x7f; ID], [0xff; ID]];
        assert_eq!(packs.sizes(&absent, 1), vec![None; 3]);
        // Prefixes in bulk, in pack order, agree with whole reads.
        let all: Vec<[u8; ID]> = ids.iter().chain(&absent).copied().collect();
        let got = std::sync::Mutex::new(Vec::new());
        packs.each_prefix(&all, 300, 2, &|k, found| {
            got.lock().unwrap().push((k, found.map(|(kind, data)| (kind, data.to_vec()))));
        });
        let mut got = got.into_inner().unwrap();
        got.sort();
        assert_eq!(got.len(), all.len());
        for ((k, found), id) in got.into_iter().zip(&all) {
            let want = packs.read(id, &mut state).map(|(kind, d)| (kind, d[..d.len().min(300)].to_vec()));
            assert_eq!(found, want, "{repack:?}: {k}");
        }
    }
}

/// Deltas whose base stays behind are rebuilt whole, the others copied
/// as they are: git reads back every object copied, and finds each
/// entry's checksum and id right (`verify-pack`).
#[test]
fn a_copy_rebuilds_the_deltas_whose_base_stays_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("src");
    std::fs::create_dir(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main", "."]);
    for c in 0..12 {
        for f in 0..4 {
            let text: String =
                (0..300 * f + 40).map(|l| format!("{f} {l} {}\n", if l == c { c } else { 0 })).collect();
            std::fs::write(dir.join(format!("f{f}")), text).unwrap();
        }
        git(&dir, &["add", "-A"]);
        git(&dir, &["commit", "-q", "-m", &format!("c{c}")]);
    }
    git(&dir, &["gc", "-q", "--aggressive"]);
    let listing = git(
        &dir,
        &["cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype) %(deltabase)"],
    );
    // The blobs stored as deltas: those on a whole base go without it, the
    // rest with theirs.
    let blobs: Vec<(git2::Oid, bool)> = listing
        .lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .filter(|f| f[1] == "blob")
        .map(|f| (git2::Oid::from_str(f[0]).unwrap(), f[2].bytes().any(|b| b != b'0')))
        .collect();
    let needed: Vec<git2::Oid> = blobs.iter().filter(|b| b.1).map(|b| b.0).collect();
    let needed_set: std::collections::HashSet<git2::Oid> = needed.iter().copied().collect();
    let bases = git(&dir, &["cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(deltabase)"]);
    let left_behind = bases
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(id, base)| {
            needed_set.contains(&git2::Oid::from_str(id).unwrap())
                && base.bytes().any(|b| b != b'0')
                && !needed_set.contains(&git2::Oid::from_str(base).unwrap())
        })
        .count();
    assert!(left_behind > 3, "deltas whose base stays behind expected: {left_behind}");
    let repo = git2::Repository::open(&dir).unwrap();
    let packs = Packs::open(&dir.join(".git"));
    let src = crate::odb::object::Source::new(&repo, &packs).unwrap();
    for threads in [1, 2] {
        let out = tmp.path().join(format!("out{threads}"));
        let team = git2::Repository::init_bare(&out).unwrap();
        let mut sink = PackSink::new(&out).unwrap();
        let have = Packs::open(&out);
        let set = needed.iter().map(crate::odb::id::key).collect();
        sink.copy_from(&src, &packs, &have, set, &[], threads).unwrap();
        sink.finish().unwrap();
        let odb = team.odb().unwrap();
        for &id in &needed {
            assert_eq!(odb.read(id).unwrap().data(), repo.odb().unwrap().read(id).unwrap().data(), "{id}");
        }
        let idx = std::fs::read_dir(out.join("objects/pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "idx"))
            .unwrap();
        let verified = git(&out, &["verify-pack", "-v", idx.to_str().unwrap()]);
        let entries: Vec<&str> = verified.lines().filter(|l| l.contains(" blob ")).collect();
        assert_eq!(entries.len(), needed.len(), "{verified}");
        // verify-pack names a delta's base after its offset in the pack.
        let deltas = entries.iter().filter(|l| l.split_whitespace().count() > 5).count();
        assert_eq!(needed.len() - deltas, left_behind, "rebuilt whole: those whose base stays behind");
    }
}

#[test]
fn varints() {
    assert_eq!(delta_varint(&[0x05]), Some((5, 1)));
    assert_eq!(delta_varint(&[0x80 | 0x10, 0x01]), Some((0x90, 2)));
    assert_eq!(delta_varint(&[0x80]), None);
    assert_eq!(
        delta_varint(&[0xff; 9].iter().copied().chain([0x01]).collect::<Vec<_>>()),
        Some((u64::MAX, 10))
    );
    assert_eq!(delta_varint(&[0xff; 9].iter().copied().chain([0x02]).collect::<Vec<_>>()), None);
}
