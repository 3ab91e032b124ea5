//! A tree listed straight from the packs (`Repo::list_tree_unsized`) is the
//! listing git gives (`git ls-tree -r`), on every fixture, packed or loose:
//! odd names, symlinks, executables, gitlinks and deep trees included.

use crate::support::{fixture_copy, git};

use git_split::odb::{FileKind, Repo};

/// `git ls-tree -r -z HEAD` as (path, id, kind), in git's order.
fn ls_tree(repo: &std::path::Path) -> Vec<(Vec<u8>, String, FileKind)> {
    let out = deep_git(repo, &["ls-tree", "-r", "-z", "--full-tree", "HEAD"]);
    out.stdout
        .split(|&b| b == 0)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let tab = l.iter().position(|&b| b == b'\t').expect("a tab");
            let meta = String::from_utf8(l[..tab].to_vec()).unwrap();
            let mut f = meta.split(' ');
            let (mode, _, id) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
            let kind = match mode {
                "100644" => FileKind::Blob,
                "100755" => FileKind::Executable,
                "120000" => FileKind::Symlink,
                "160000" => FileKind::Gitlink,
                other => panic!("a mode the fixtures do not have: {other}"),
            };
            (l[tab + 1..].to_vec(), id.to_string(), kind)
        })
        .collect()
}

/// git, for the deep fixture too, which nests past git's default limit.
fn deep_git(repo: &std::path::Path, args: &[&str]) -> std::process::Output {
    git(repo, &[&["-c", "core.maxTreeDepth=100000"], args].concat())
}

fn listed(repo: &std::path::Path) -> Vec<(Vec<u8>, String, FileKind)> {
    let r = Repo::open(&repo.join(".git")).unwrap();
    let tree = r.raw().head().unwrap().peel_to_tree().unwrap().id();
    let listing = r.list_tree_unsized(tree).unwrap();
    listing.files.into_iter().map(|f| (f.path, f.oid.to_string(), f.kind)).collect()
}

#[test]
fn a_listing_from_the_packs_is_what_git_lists() {
    for name in ["monolith", "odd", "polyglot", "history", "deep"] {
        let (_tmp, repo) = fixture_copy(name);
        let want = ls_tree(&repo);
        assert!(!want.is_empty(), "{name}");
        assert_eq!(listed(&repo), want, "{name}, as the fixture stores it");
        deep_git(&repo, &["repack", "-adq"]);
        deep_git(&repo, &["prune", "--expire=now"]);
        let loose = std::fs::read_dir(repo.join(".git/objects"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().len() == 2)
            .count();
        assert_eq!(loose, 0, "{name}: every object packed");
        assert_eq!(listed(&repo), want, "{name}, packed");
    }
}
