//! `jvm:` packages against the compilers: on an okhttp-shaped fixture
//! (`tests/fixtures/make_jvm.sh`), every Java and Kotlin file below a source
//! root is in the package `javac` and `kotlinc` put its class in, and
//! `jvm:P` owns exactly the source files of P and its sub-packages, plus
//! the resources named like P of the source sets whose code declares it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use crate::support::{fixture, split};
use git_split::odb::Repo;
use git_split::ownership::packages::{PackageIndex, Resolution};
use git_split::ownership::TreeFiles;

/// Source path -> package, as the compiler `program` says: it compiles
/// every file of `paths` into one directory, and each file's class (named
/// after the file) lands in its package's directory there.
fn compiled(program: &str, args: &[&str], repo: &Path, paths: &[String]) -> BTreeMap<String, String> {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(program)
        .args(args)
        .arg("-d")
        .arg(out.path())
        .args(paths)
        .current_dir(repo)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the oracle `{program}` ({e}); `bash .ci/test` installs it"));
    assert!(run.status.success(), "`{program}` failed:\n{}", String::from_utf8_lossy(&run.stderr));
    // Class file stem -> package directory.
    let mut classes: BTreeMap<String, String> = BTreeMap::new();
    let mut stack = vec![out.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "class") {
                let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
                let package = path.parent().unwrap().strip_prefix(out.path()).unwrap();
                let package = package.to_str().unwrap().replace('/', ".");
                assert!(classes.insert(stem.clone(), package).is_none(), "two classes named {stem}");
            }
        }
    }
    paths
        .iter()
        .map(|p| {
            let stem = Path::new(p).file_stem().unwrap().to_str().unwrap();
            let package = classes.get(stem).unwrap_or_else(|| panic!("`{program}` wrote no class for {p}"));
            (p.clone(), package.clone())
        })
        .collect()
}

fn tracked(repo: &Path, pattern: &str) -> Vec<String> {
    let out = crate::support::git(repo, &["ls-files", "-z", "--", pattern]);
    out.stdout
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into())
        .collect()
}

/// Does the resolution own `path`?
fn owns(r: &Resolution, path: &str) -> bool {
    let below = |dir: &[u8]| dir.is_empty() || path.as_bytes().starts_with(&[dir, b"/"].concat());
    let carved = r.carve_outs.iter().any(|d| below(d)) || r.carved_files.iter().any(|f| f == path.as_bytes());
    !carved && (r.dirs.iter().any(|d| below(d)) || r.files.iter().any(|f| f == path.as_bytes()))
}

#[test]
fn packages_are_what_javac_and_kotlinc_say() {
    let repo_dir = fixture("jvm");
    let java = tracked(&repo_dir, "*.java");
    let kotlin = tracked(&repo_dir, "*.kt");
    let mut oracle = compiled("javac", &["-proc:none", "-nowarn"], &repo_dir, &java);
    oracle.extend(compiled("kotlinc", &["-nowarn"], &repo_dir, &kotlin));

    let repo = Repo::open(&repo_dir).unwrap();
    let rev = repo.resolve("main").unwrap();
    let listing = repo.list_tree(rev.tree).unwrap();
    let files = TreeFiles::new(&repo, &listing);
    let index = PackageIndex::new(&files);
    let jvm = index.jvm().unwrap();
    let ours: BTreeMap<String, String> = jvm
        .files()
        .iter()
        .map(|f| (String::from_utf8_lossy(&f.path).into_owned(), f.package.clone()))
        .collect();

    // Every file below a source root, in the compilers' package; the one
    // outside every root is no package's.
    let outside = "scripts/okhttp3/Release.java";
    let mut below_roots = oracle.clone();
    below_roots.remove(outside);
    assert_eq!(ours, below_roots);
    assert_eq!(oracle[outside], "okhttp3", "javac compiles it, but it is below no source root");

    // `jvm:P` owns exactly the sources of P and its sub-packages, for every
    // package and every package a package is in.
    let mut names: BTreeSet<String> = BTreeSet::new();
    for p in below_roots.values() {
        let parts: Vec<&str> = p.split('.').collect();
        names.extend((1..=parts.len()).map(|n| parts[..n].join(".")));
    }
    for name in &names {
        let r = jvm.resolve(name).unwrap_or_else(|| panic!("jvm:{name} resolves"));
        let got: BTreeSet<&str> = below_roots.keys().map(String::as_str).filter(|p| owns(&r, p)).collect();
        let want: BTreeSet<&str> = below_roots
            .iter()
            .filter(|(_, p)| *p == name || p.starts_with(&format!("{name}.")))
            .map(|(f, _)| f.as_str())
            .collect();
        assert_eq!(got, want, "jvm:{name}");
        assert!(!owns(&r, outside), "jvm:{name} owns {outside}");
    }

    // Resources go with the source set whose code declares the package;
    // a path that only looks like a package does not.
    let notice = "okhttp/src/main/resources/okhttp3/internal/publicsuffix/NOTICE";
    let native = "okcurl/src/main/resources/META-INF/native-image/okhttp3/okcurl/reflect-config.json";
    for name in ["okhttp3", "okhttp3.internal"] {
        assert!(owns(&jvm.resolve(name).unwrap(), notice), "jvm:{name}");
    }
    assert!(!owns(&jvm.resolve("okhttp3").unwrap(), native));
    assert!(jvm.resolve("okcurl").is_none());
    // No package named by a directory suffix alone.
    assert!(jvm.resolve("squareup.okhttp3").is_none());
}

#[test]
fn plan_lists_package_directories_files_and_carve_outs() {
    let repo = fixture("jvm");
    let run = split(&repo, &["plan"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.snapshot(&repo));
}
