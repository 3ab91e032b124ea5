//! The example manifests and the project's own manifest stay valid.

mod ci;
mod readme;
mod test_script;

use std::path::Path;

use git_split::manifest::Manifest;

#[test]
fn every_example_manifest_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            Manifest::load(&path).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 3, "examples/ holds the example manifests");
    Manifest::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("ownership.yaml")).unwrap();
}

/// The project eats its own cooking: every committed file of this
/// repository has exactly one owner in the root `ownership.yaml`.
#[test]
fn this_repository_is_fully_owned() {
    use git_split::odb::Repo;
    use git_split::plan::{compute, select_teams, Snapshot};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Ok(repo) = Repo::open(root) else {
        eprintln!("not a git checkout; skipping");
        return;
    };
    let Ok(head) = repo.head() else {
        eprintln!("no commit yet; skipping");
        return;
    };
    let manifest = Manifest::load(&root.join("ownership.yaml")).unwrap();
    let snap = Snapshot::load(&repo, &manifest, head).unwrap();
    let plan = compute(&manifest, &snap, &select_teams(&manifest, &[]).unwrap());
    assert!(plan.unowned.is_empty(), "unowned files in this repository: {:?}", plan.unowned);
    assert!(plan.overlaps.is_empty(), "overlapping files in this repository: {:?}", plan.overlaps);
}
