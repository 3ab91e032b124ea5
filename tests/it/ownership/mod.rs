//! Ownership and `log` labels on the monolith fixture, compared with answers
//! computed by git itself: `git ls-tree` with `:(glob)` and `:(exclude)`
//! pathspecs for who owns what, `git diff --quiet` for which commits touch a
//! team. Package directories are written out by hand from the fixture script.

mod gradle;
mod hostile;
mod jvm;
mod packages_vs_tools;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::support::NoUserConfig;
use crate::support::{fixture, git, z_list};
use git_split::manifest::Manifest;
use git_split::odb::Repo;
use git_split::ownership::Owner;
use git_split::plan::Snapshot;

/// A team's rules as git pathspecs: its paths, its packages' directories
/// (by hand, from make_monolith.sh), and its excludes.
fn pathspecs(who: &str) -> Vec<String> {
    let (paths, package_dirs, excludes): (&[&str], &[&str], &[&str]) = match who {
        "shared" => (
            &["build.gradle", "settings.gradle", "gradle/**", ".github/**"],
            &["common/src/main/java/com/inflearn/common/util"],
            &[],
        ),
        "course" => (
            &["course-api/**", "web/templates/course/**", "docs"],
            &[
                "course-api/src/main/java/com/inflearn/course",
                "course-api/src/test/java/com/inflearn/course",
                "web/packages/course-web",
            ],
            &["**/*.generated.java"],
        ),
        "payment" => (
            &["payment/**", "web/templates/payment", "payment-build", "docs/**", "billing/**"],
            &["payment/src/main/java/com/inflearn/payment"],
            &[],
        ),
        "catalog-sdk" => (&["libs/catalog-sdk"], &[], &[]),
        other => panic!("no pathspecs for {other}"),
    };
    let mut specs: Vec<String> = paths.iter().map(|p| format!(":(glob){p}")).collect();
    specs.extend(package_dirs.iter().map(|d| format!(":(literal){d}")));
    specs.extend(excludes.iter().map(|e| format!(":(glob,exclude){e}")));
    specs
}

/// `git ls-files` (ls-tree takes no pathspec magic) on the fixture's index,
/// which the fixture leaves equal to `main`'s tree.
fn git_owned(repo: &Path, who: &str) -> BTreeSet<String> {
    let mut args = vec!["ls-files", "-z", "--"];
    let specs = pathspecs(who);
    args.extend(specs.iter().map(String::as_str));
    z_list(&git(repo, &args)).into_iter().collect()
}

#[test]
fn owners_of_every_file_match_git_pathspecs() {
    let repo_dir = fixture("monolith");
    let manifest = Manifest::load(&repo_dir.join("ownership.yaml")).unwrap();
    let repo = Repo::open(&repo_dir).unwrap();
    let snap = Snapshot::load(&repo, &manifest, repo.resolve("main").unwrap()).unwrap();
    let assignment = snap.ownership.assign(&snap.listing);
    let names = snap.ownership.team_names().to_vec();
    let all: BTreeSet<String> =
        z_list(&git(&repo_dir, &["ls-tree", "-r", "-z", "--name-only", "main"])).into_iter().collect();
    let ours: Vec<String> =
        snap.listing.files.iter().map(|f| String::from_utf8(f.path.clone()).unwrap()).collect();
    assert_eq!(ours.iter().cloned().collect::<BTreeSet<_>>(), all, "the listing is the tree");
    git(&repo_dir, &["diff", "--cached", "--quiet", "main"]);

    let mut union = BTreeSet::new();
    for (owner, who) in std::iter::once((Owner::Shared, "shared".to_string()))
        .chain(names.iter().enumerate().map(|(i, n)| (Owner::Team(i), n.clone())))
    {
        let expected = git_owned(&repo_dir, &who);
        let got: BTreeSet<String> = ours
            .iter()
            .zip(&assignment.owners)
            .filter(|(_, o)| match owner {
                Owner::Shared => o.shared,
                Owner::Team(t) => o.teams.contains(&(t as u16)),
            })
            .map(|(p, _)| p.clone())
            .collect();
        assert_eq!(got, expected, "files owned by {who}");
        assert!(!expected.is_empty(), "{who} owns something in the fixture");
        // The one-path answer agrees with the tree walk.
        for p in &all {
            let o = snap.ownership.owners(p.as_bytes());
            let one = match owner {
                Owner::Shared => o.shared,
                Owner::Team(t) => o.teams.contains(&(t as u16)),
            };
            assert_eq!(one, expected.contains(p), "owners({p}) for {who}");
        }
        union.extend(expected);
    }
    let unowned: BTreeSet<String> =
        ours.iter().zip(&assignment.owners).filter(|(_, o)| o.is_unowned()).map(|(p, _)| p.clone()).collect();
    assert_eq!(unowned, all.difference(&union).cloned().collect(), "unowned = tree minus every pathspec");
}

#[test]
fn log_labels_match_git_diff() {
    let repo_dir = fixture("monolith");
    let manifest = Manifest::load(&repo_dir.join("ownership.yaml")).unwrap();
    let repo = Repo::open(&repo_dir).unwrap();
    let snap = Snapshot::load(&repo, &manifest, repo.resolve("main").unwrap()).unwrap();
    let labeled = git_split::log::label(&repo, &manifest, &snap.ownership, "main", None).unwrap();
    let commits = String::from_utf8(git(&repo_dir, &["rev-list", "main"]).stdout).unwrap();
    let commits: Vec<&str> = commits.lines().collect();
    assert_eq!(labeled.len(), commits.len());
    const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    for c in &labeled {
        let parents =
            String::from_utf8(git(&repo_dir, &["rev-parse", &format!("{}^@", c.sha)]).stdout).unwrap();
        let base = parents.lines().next().map(str::to_string).unwrap_or_else(|| EMPTY_TREE.to_string());
        let touched = |who: &str| {
            let mut cmd = Command::new("git");
            cmd.current_dir(&repo_dir)
                .without_user_config()
                .env("GIT_OPTIONAL_LOCKS", "0")
                .args(["diff", "--quiet", "--no-renames", &base, &c.sha, "--"])
                .args(pathspecs(who));
            match cmd.status().unwrap().code() {
                Some(0) => false,
                Some(1) => true,
                other => panic!("git diff exit {other:?}"),
            }
        };
        let expected: Vec<String> = ["catalog-sdk", "course", "payment"]
            .into_iter()
            .filter(|t| touched(t))
            .map(str::to_string)
            .collect();
        assert_eq!(c.teams, expected, "teams of {} {}", c.sha, c.subject);
        assert_eq!(c.shared, touched("shared"), "shared flag of {} {}", c.sha, c.subject);
    }
    assert!(labeled.iter().any(|c| c.teams.len() >= 2), "the fixture has a mixed commit");
}
