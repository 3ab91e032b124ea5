//! `git-split check` on the drift scenarios of `make_check.sh`: every
//! finding kind, exit code and format in snapshots; what `--since` and
//! `--against` report compared with what git says changed.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::{digest, fixture, git, split, Run};
use serde_json::Value;

/// Runs `git-split ARGS` on the check fixture, snapshots the output, and
/// checks the repository is untouched.
fn snap(name: &str, args: &[&str]) -> Run {
    let repo = fixture("check");
    let before = digest(&repo);
    let run = split(&repo, args);
    assert_eq!(before, digest(&repo), "`git-split {}` modified the monolith", args.join(" "));
    insta::assert_snapshot!(name, run.snapshot(&repo));
    run
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.stdout))
}

/// `(kind, path or pattern)` of every finding of a JSON report.
fn findings(v: &Value) -> BTreeSet<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let what = f.get("path").or_else(|| f.get("pattern")).and_then(Value::as_str).unwrap_or("");
            (f["kind"].as_str().unwrap().to_string(), what.to_string())
        })
        .collect()
}

fn lines(out: std::process::Output) -> Vec<String> {
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

/// The manifest of `make_check.sh` at main, spelled as git pathspecs: the
/// files git lists outside all of them are the unowned ones.
const OWNED_AT_MAIN: &[&str] = &[
    ":(exclude)build.gradle",
    ":(exclude)settings.gradle",
    ":(exclude)ownership.yaml",
    ":(exclude,glob)course/**",
    ":(exclude,glob)reports/**",
    ":(exclude,glob)docs/**",
    ":(exclude)web/course",
    ":(exclude)payment-svc/build.gradle",
    ":(exclude)payment-svc/src/main/java/com/acme/billing",
];

const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// Files of `rev` (or only those `rev` added since `base`) outside the pathspecs.
fn unowned_by_git(repo: &Path, base: Option<&str>, rev: &str) -> BTreeSet<String> {
    let mut args = vec!["diff", "--name-only", "--no-renames", "--diff-filter=AM"];
    args.push(base.unwrap_or(EMPTY_TREE));
    args.extend([rev, "--", "."]);
    args.extend(OWNED_AT_MAIN);
    lines(git(repo, &args)).into_iter().collect()
}

#[test]
fn full_check_text_json_github_exit_1() {
    let run = snap("full_main_text", &["check"]);
    assert_eq!(run.code, 1, "old debt at error level fails a full check");
    let run = snap("full_main_json", &["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let v = json(&run);
    // The fields DESIGN.md promises.
    for key in ["findings", "errors", "warnings"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    for f in v["findings"].as_array().unwrap() {
        for key in ["kind", "severity", "message"] {
            assert!(f.get(key).is_some(), "missing findings[].{key}");
        }
    }
    assert_eq!(v["errors"], 1);
    assert_eq!(v["warnings"], 2);
    let repo = fixture("check");
    let unowned: BTreeSet<String> =
        findings(&v).into_iter().filter(|(k, _)| k == "unowned").map(|(_, p)| p).collect();
    assert_eq!(unowned, unowned_by_git(&repo, None, "main"));
    let run = snap("full_main_github", &["check", "--format", "github"]);
    assert_eq!(run.code, 1);
}

#[test]
fn warnings_alone_pass_exit_0() {
    for (name, format) in
        [("full_tidy_text", "text"), ("full_tidy_json", "json"), ("full_tidy_github", "github")]
    {
        let run = snap(name, &["check", "--ref", "tidy", "--format", format]);
        assert_eq!(run.code, 0, "{format}: warnings do not fail the check");
        assert!(!run.stdout.is_empty(), "{format}: warnings are still reported");
    }
}

#[test]
fn colour_when_asked() {
    let run = snap("full_tidy_color", &["check", "--ref", "tidy", "--color", "always"]);
    assert!(run.stdout.contains("\u{1b}["), "ANSI colours with --color always");
    let quiet = split(&fixture("check"), &["check", "--ref", "tidy", "-q"]);
    assert!(!quiet.stdout.contains("check of"), "-q leaves out the summary line");
}

#[test]
fn since_ignores_old_debt() {
    // pr-clean even edits the unowned legacy script: still old debt.
    let run = snap("since_clean", &["check", "--ref", "pr-clean", "--since", "main"]);
    assert_eq!(run.code, 0);
    assert!(!run.stdout.contains("legacy/old.sh"));
    let full = split(&fixture("check"), &["check", "--ref", "pr-clean", "--format", "json"]);
    assert_eq!(full.code, 1, "without --since the old debt fails");
    assert!(findings(&json(&full)).contains(&("unowned".into(), "legacy/old.sh".into())));
}

#[test]
fn since_names_new_unowned_files() {
    snap("since_unowned_text", &["check", "--ref", "pr-unowned", "--since", "main"]);
    snap("since_unowned_github", &["check", "--ref", "pr-unowned", "--since", "main", "--format", "github"]);
    let run =
        snap("since_unowned_json", &["check", "--ref", "pr-unowned", "--since", "main", "--format", "json"]);
    assert_eq!(run.code, 1);
    let repo = fixture("check");
    let got: BTreeSet<String> = findings(&json(&run)).into_iter().map(|(_, p)| p).collect();
    let want = unowned_by_git(&repo, Some("main"), "pr-unowned");
    assert_eq!(want.len(), 2, "the fixture adds two unowned files");
    assert_eq!(got, want);
}

#[test]
fn since_file_moved_out_of_an_owned_directory() {
    let run =
        snap("since_move_out", &["check", "--ref", "pr-move-out", "--since", "main", "--format", "json"]);
    assert_eq!(run.code, 1);
    let repo = fixture("check");
    let status = lines(git(&repo, &["diff", "--name-status", "-M", "main", "pr-move-out"]));
    assert_eq!(status.len(), 1, "{status:?}");
    let fields: Vec<&str> = status[0].split('\t').collect();
    assert!(fields[0].starts_with('R'), "git sees a rename: {status:?}");
    let v = json(&run);
    let f = &v["findings"][0];
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(f["kind"], "unowned");
    assert_eq!(f["renamed_from"], fields[1]);
    assert_eq!(f["path"], fields[2]);
    assert!(f["hint"].as_str().unwrap().contains("`course`"), "{f}");
}

#[test]
fn since_renamed_java_package() {
    let run = snap(
        "since_rename_package",
        &["check", "--ref", "pr-rename-package", "--since", "main", "--format", "json"],
    );
    assert_eq!(run.code, 1);
    let v = json(&run);
    let repo = fixture("check");
    let renames: BTreeSet<(String, String)> =
        lines(git(&repo, &["diff", "--name-status", "-M", "main", "pr-rename-package"]))
            .iter()
            .filter(|l| l.starts_with('R'))
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f[1].to_string(), f[2].to_string())
            })
            .collect();
    assert!(!renames.is_empty());
    let got: BTreeSet<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "unowned")
        .map(|f| (f["renamed_from"].as_str().unwrap().to_string(), f["path"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(got, renames, "every file of the renamed package is named, with where it came from");
    assert!(findings(&v).contains(&("stale-package".into(), "com.acme.billing".into())));
    snap("since_rename_npm_package", &["check", "--ref", "pr-npm-rename", "--since", "main"]);
}

#[test]
fn since_edited_move_is_a_rename_as_git_says() {
    let run =
        snap("since_move_edit", &["check", "--ref", "pr-move-edit", "--since", "main", "--format", "json"]);
    assert_eq!(run.code, 1);
    let repo = fixture("check");
    let renamed: BTreeSet<(String, String)> =
        lines(git(&repo, &["diff", "--name-status", "-M", "main", "pr-move-edit"]))
            .iter()
            .filter(|l| l.starts_with('R'))
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f[2].to_string(), f[1].to_string())
            })
            .collect();
    let got: BTreeSet<(String, String)> = json(&run)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| Some((f["path"].as_str()?.to_string(), f["renamed_from"].as_str()?.to_string())))
        .collect();
    assert_eq!(got, renamed);
    assert!(json(&run).get("renames_limited").is_none(), "git paired every move");
    assert_eq!(
        findings(&json(&run)).len(),
        2,
        "the edited move and the rewritten readme (an unowned new file, not a rename)"
    );
}

/// A change with more moved-and-edited files than git's `diff.renameLimit`
/// lets it pair by content: git warns that it skipped the search and lists
/// the moves as additions, and so does the report, in every format.
#[test]
fn since_past_the_rename_limit_says_so_as_git_does() {
    let repo = fixture("rename_limit");
    let diff = git(&repo, &["diff", "-M", "--name-status", "main", "pr"]);
    let warning = String::from_utf8_lossy(&diff.stderr);
    assert!(warning.contains("rename detection was skipped due to too many files"), "{warning}");
    let added: BTreeSet<(String, String)> = lines(diff)
        .iter()
        .filter_map(|l| l.strip_prefix("A\t"))
        .map(|p| ("unowned".to_string(), p.to_string()))
        .collect();
    assert_eq!(added.len(), 1001, "git pairs none of the moves");

    let run = split(&repo, &["check", "--ref", "pr", "--since", "main", "--format", "json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert_eq!(v["renames_limited"], true, "{}", run.stdout);
    assert!(findings(&v) == added, "the findings are the files git lists as added");
    assert!(v["findings"].as_array().unwrap().iter().all(|f| f.get("renamed_from").is_none()));

    let text = split(&repo, &["check", "--ref", "pr", "--since", "main", "--limit", "1"]);
    assert!(text.stdout.contains("\nnote: the rename search met its bound ("), "{}", text.stdout);
    let github = split(&repo, &["check", "--ref", "pr", "--since", "main", "--format", "github"]);
    assert!(
        github.stdout.starts_with("::notice title=git-split check::the rename search met"),
        "{}",
        github.stdout
    );
}

#[test]
fn since_pattern_that_went_stale() {
    let run = snap("since_stale_pattern", &["check", "--ref", "pr-stale-pattern", "--since", "main"]);
    assert_eq!(run.code, 1);
    let repo = fixture("check");
    let matching =
        |rev: &str| lines(git(&repo, &["diff", "--name-only", EMPTY_TREE, rev, "--", ":(glob)reports/**"]));
    assert!(!matching("main").is_empty() && matching("pr-stale-pattern").is_empty());
    assert!(run.stdout.contains("`reports/**`"));
    // The stale exclude `**/*.tmp` is old debt: not reported.
    assert!(!run.stdout.contains("*.tmp"));
}

#[test]
fn since_changed_manifest() {
    let run =
        snap("since_manifest", &["check", "--ref", "pr-manifest", "--since", "main", "--format", "json"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        findings(&json(&run)),
        BTreeSet::from([
            ("unowned".to_string(), "reports/weekly.csv".to_string()),
            ("stale-pattern".to_string(), "billing-old/**".to_string()),
        ])
    );
}

#[test]
fn since_new_overlap_and_unreadable_package_manifest_warn() {
    assert_eq!(snap("since_overlap", &["check", "--ref", "pr-overlap", "--since", "main"]).code, 0);
    assert_eq!(
        snap("since_skipped_manifest", &["check", "--ref", "pr-broken-package-json", "--since", "main"]).code,
        0
    );
}

#[test]
fn could_not_run_exit_2() {
    let cases: &[(&str, &[&str])] = &[
        ("refuse_bad_manifest", &["check", "--ref", "pr-bad-manifest"]),
        ("refuse_bad_manifest_github", &["check", "--ref", "pr-bad-manifest", "--format", "github"]),
        ("refuse_missing_base", &["check", "--since", "no-such-base"]),
        ("refuse_missing_base_github", &["check", "--since", "no-such-base", "--format", "github"]),
        ("refuse_missing_ref", &["check", "--ref", "no-such-ref"]),
        ("refuse_against_missing_dir", &["check", "--against", "no-such-dir"]),
        ("refuse_since_with_against", &["check", "--since", "main", "--against", "out"]),
    ];
    for (name, args) in cases {
        let run = snap(name, args);
        assert_eq!(run.code, 2, "{name}");
        assert!(run.stdout.is_empty(), "{name}: no partial output");
    }
}

/// A shallow CI checkout: without the base commit, exit 2 saying what to
/// fetch; with it fetched at depth 1, the same findings as a full clone.
#[test]
fn since_in_a_shallow_clone() {
    let repo = fixture("check");
    let base = lines(git(&repo, &["rev-parse", "main"])).remove(0);
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.display());
    git(tmp.path(), &["clone", "-q", "--depth=1", "--branch", "pr-unowned", &url, "clone"]);
    let clone = tmp.path().join("clone");
    assert_eq!(lines(git(&clone, &["rev-parse", "--is-shallow-repository"])), ["true"]);

    let run = split(&clone, &["check", "--since", &base]);
    assert_eq!(run.code, 2);
    let fetch = format!("git fetch --depth=1 origin {base}");
    assert!(run.stderr.contains(&fetch), "says what to fetch: {}", run.stderr);
    assert!(run.stderr.contains("shallow"), "{}", run.stderr);

    // Do what it says; the clone stays shallow (HEAD's parent is still absent).
    let args: Vec<&str> = fetch.split(' ').skip(1).collect();
    git(&clone, &args);
    assert_eq!(lines(git(&clone, &["rev-parse", "--is-shallow-repository"])), ["true"]);
    let parent = std::process::Command::new("git")
        .args(["cat-file", "-e", "HEAD~1^{commit}"])
        .current_dir(&clone)
        .output()
        .unwrap();
    assert!(!parent.status.success(), "the fetched base is not HEAD's parent in this clone");

    let shallow = split(&clone, &["check", "--since", &base, "--format", "json"]);
    let full = split(&repo, &["check", "--ref", "pr-unowned", "--since", &base, "--format", "json"]);
    assert_eq!(shallow.code, 1, "{}", shallow.stderr);
    assert_eq!(json(&shallow)["findings"], json(&full)["findings"]);
    assert!(!json(&shallow)["findings"].as_array().unwrap().is_empty());
}

#[test]
fn against_team_repositories() {
    let repo = fixture("check");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let out_s = out.to_str().unwrap();
    let applied = split(&repo, &["apply", "--ref", "tidy", "--out", out_s, "-q"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);

    // Fresh output: nothing stale.
    let run = split(&repo, &["check", "--ref", "tidy", "--against", out_s, "--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(!findings(&json(&run)).iter().any(|(k, _)| k.starts_with("split-")), "{}", run.stdout);

    // The monolith grew a file and moved docs to course alone.
    let run = split(&repo, &["check", "--ref", "tidy-grown", "--against", out_s, "--format", "json"]);
    assert_eq!(run.code, 1);
    let got: BTreeSet<(String, String, String)> = json(&run)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"].as_str().unwrap().starts_with("split-"))
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            (s("kind"), s("team"), s("path"))
        })
        .collect();
    // What git says: the file tidy-grown added, and the docs payment's repository holds.
    let added = lines(git(&repo, &["diff", "--name-only", "--diff-filter=A", "tidy", "tidy-grown"]));
    let payment_docs =
        lines(git(&out.join("payment.git"), &["ls-tree", "-r", "--name-only", "HEAD", "docs"]));
    let mut want = BTreeSet::new();
    for p in added.iter().filter(|p| p.starts_with("course/")) {
        want.insert(("split-missing".to_string(), "course".to_string(), p.clone()));
    }
    for p in payment_docs {
        want.insert(("split-extra".to_string(), "payment".to_string(), p));
    }
    assert_eq!(want.len(), 2, "{want:?}");
    assert_eq!(got, want);
    let mut shown = split(&repo, &["check", "--ref", "tidy-grown", "--against", out_s]);
    shown.stdout = shown.stdout.replace(out_s, "[OUT]");
    insta::assert_snapshot!("against_stale", shown.snapshot(&repo));

    // A team whose repository is missing is a warning.
    let partial = tmp.path().join("partial");
    let partial_s = partial.to_str().unwrap();
    assert_eq!(
        split(&repo, &["apply", "--ref", "tidy", "--team", "course", "--out", partial_s, "-q"]).code,
        0
    );
    let run = split(&repo, &["check", "--ref", "tidy", "--against", partial_s, "--format", "json"]);
    assert_eq!(run.code, 0);
    assert!(findings(&json(&run)).contains(&("split-missing-repo".into(), String::new())), "{}", run.stdout);
    let mut shown = split(&repo, &["check", "--ref", "tidy", "--against", partial_s, "--format", "github"]);
    shown.stdout = shown.stdout.replace(partial_s, "[OUT]");
    insta::assert_snapshot!("against_missing_repo_github", shown.snapshot(&repo));

    // A directory without any team repository cannot be checked against.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let mut run = split(&repo, &["check", "--ref", "tidy", "--against", empty.to_str().unwrap()]);
    run.stderr = run.stderr.replace(empty.to_str().unwrap(), "[EMPTY]");
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("refuse_against_empty_dir", run.snapshot(&repo));
}

/// `A path`, `D path`, `M path` or `R old new` for each change git-split
/// sees between two revisions (the tree diff plus rename pairing `check
/// --since` uses).
fn our_changes(repo: &git_split::odb::Repo, a: &str, b: &str) -> BTreeSet<String> {
    let (a, b) = (repo.resolve(a).unwrap().tree, repo.resolve(b).unwrap().tree);
    let s = |p: &[u8]| String::from_utf8_lossy(p).into_owned();
    let mut out = BTreeSet::new();
    let d = git_split::odb::renames::diff_trees(repo, a, b, Default::default()).unwrap();
    for r in d.renamed {
        out.insert(format!("R\t{}\t{}", s(&r.old.path), s(&r.new.path)));
    }
    for c in d.changed {
        let line = match (c.old, c.new) {
            (Some(o), Some(_)) => format!("M\t{}", s(&o.path)),
            (Some(o), None) => format!("D\t{}", s(&o.path)),
            (None, Some(n)) => format!("A\t{}", s(&n.path)),
            (None, None) => unreachable!(),
        };
        out.insert(line);
    }
    out
}

/// The same from `git diff --name-status -M` (a type change counts as `M`).
fn git_changes(repo: &Path, a: &str, b: &str) -> BTreeSet<String> {
    lines(git(repo, &["diff", "--name-status", "-M", a, b]))
        .into_iter()
        .map(|l| {
            let (status, rest) = l.split_once('\t').unwrap();
            match &status[..1] {
                "T" => format!("M\t{rest}"),
                s => format!("{s}\t{rest}"),
            }
        })
        .collect()
}

/// The tree diff reads only subtrees that differ and pairs renames itself;
/// on every fixture commit (against its first parent) and every drift
/// scenario (against main) it agrees with git.
#[test]
fn tree_diff_and_renames_agree_with_git() {
    let mut compared = 0;
    for name in ["check", "history", "monolith"] {
        let path = fixture(name);
        let repo = git_split::odb::Repo::open(&path).unwrap();
        let mut pairs: Vec<(String, String)> = Vec::new();
        for l in lines(git(&path, &["rev-list", "--all", "--parents"])) {
            let ids: Vec<&str> = l.split(' ').collect();
            if ids.len() > 1 {
                pairs.push((ids[1].to_string(), ids[0].to_string()));
            }
        }
        if name == "check" {
            for b in lines(git(&path, &["for-each-ref", "--format=%(refname:short)", "refs/heads"])) {
                pairs.push(("main".into(), b));
            }
        }
        for (a, b) in pairs {
            assert_eq!(our_changes(&repo, &a, &b), git_changes(&path, &a, &b), "{name}: {a}..{b}");
            compared += 1;
        }
    }
    assert!(compared > 30, "compared {compared} pairs");
    let path = fixture("check");
    let inexact = git_changes(&path, "main", "pr-move-edit");
    assert!(inexact.contains("R\tcourse/src/Catalog.java\tmisc/Catalog.java"), "{inexact:?}");
}

/// `check --since` resolves packages from a partial listing (package
/// manifests and one file per directory): on every fixture it resolves
/// every package exactly as the full listing does.
#[test]
fn package_resolution_from_the_partial_listing_is_the_full_one() {
    use git_split::manifest::Manifest;
    use git_split::odb::Repo;
    use git_split::ownership::packages::is_package_manifest;
    use git_split::ownership::{Ownership, TreeFiles};
    let mut resolved = 0;
    for name in ["check", "monolith", "polyglot"] {
        let path = fixture(name);
        let repo = Repo::open(&path).unwrap();
        for b in lines(git(&path, &["for-each-ref", "--format=%(refname:short)", "refs/heads"])) {
            let rev = repo.resolve(&b).unwrap();
            let Ok(Some(text)) = repo.read_path(rev.tree, "ownership.yaml") else { continue };
            let Ok(manifest) = Manifest::from_bytes(Path::new("ownership.yaml"), &text) else { continue };
            let full = repo.list_tree_unsized(rev.tree).unwrap();
            let part = repo.list_tree_where(rev.tree, |n, first| first || is_package_manifest(n)).unwrap();
            assert!(part.files.len() < full.files.len());
            let (a, ua) = Ownership::new_lenient(&manifest, &TreeFiles::new(&repo, &full)).unwrap();
            let (b2, ub) = Ownership::new_lenient(&manifest, &TreeFiles::new(&repo, &part)).unwrap();
            assert_eq!(format!("{:?}", a.packages), format!("{:?}", b2.packages), "{name} {b}");
            assert_eq!(a.skipped_manifests, b2.skipped_manifests, "{name} {b}");
            assert_eq!(format!("{ua:?}"), format!("{ub:?}"), "{name} {b}");
            resolved += a.packages.len();
        }
    }
    assert!(resolved > 10, "{resolved} packages compared");
}

/// `--since` is "the findings at the ref that are not findings at the
/// base": on every scenario, its answer (from a tree diff when the rules
/// did not change) equals the difference of two full checks.
#[test]
fn since_equals_the_difference_of_two_full_checks() {
    let repo = fixture("check");
    let keys = |run: &Run| -> BTreeSet<String> {
        json(run)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let s = |k: &str| f.get(k).map(|v| v.to_string()).unwrap_or_default();
                [s("kind"), s("severity"), s("path"), s("team"), s("pattern"), s("teams")].join(" ")
            })
            .collect()
    };
    let base = split(&repo, &["check", "--ref", "main", "--format", "json"]);
    let base = keys(&base);
    let mut compared = 0;
    for b in lines(git(&repo, &["for-each-ref", "--format=%(refname:short)", "refs/heads/pr-*"])) {
        let full = split(&repo, &["check", "--ref", &b, "--format", "json"]);
        if full.code == 2 {
            continue;
        }
        let since = split(&repo, &["check", "--ref", &b, "--since", "main", "--format", "json"]);
        let want: BTreeSet<String> = keys(&full).difference(&base).cloned().collect();
        assert_eq!(keys(&since), want, "{b}");
        compared += 1;
    }
    assert!(compared >= 9, "{compared} scenarios");
}

/// A manifest in no commit yet (untracked, being written) judges the base
/// too: only what the change adds is new, as git's diff says, and the
/// report says which manifest judged which side.
#[test]
fn since_with_an_untracked_manifest_judges_the_base_by_it_too() {
    let repo = fixture("since_untracked");
    let before = digest(&repo);
    let run = split(&repo, &["check", "--since", "main", "--format", "json"]);
    assert_eq!(before, digest(&repo), "check modified the repository");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    let added_unowned: BTreeSet<(String, String)> = lines(git(
        &repo,
        &[
            "diff",
            "--name-only",
            "--diff-filter=A",
            "main",
            "HEAD",
            "--",
            ".",
            ":(exclude)api",
            ":(exclude)web",
        ],
    ))
    .into_iter()
    .map(|p| ("unowned".to_string(), p))
    .collect();
    assert_eq!(findings(&v), added_unowned);
    let judged = &v["since_manifests"];
    assert_eq!(judged["base"], judged["head"], "{judged}");
    let note = judged["note"].as_str().unwrap();
    assert!(note.starts_with("`ownership.yaml` is not in the tree of main ("), "{note}");

    let text = split(&repo, &["check", "--since", "main"]);
    assert!(text.stdout.contains(&format!("note: {note}\n")), "{}", text.stdout);
    let github = split(&repo, &["check", "--since", "main", "--format", "github"]);
    assert!(
        github.stdout.starts_with("::notice title=git-split check::`ownership.yaml` is not"),
        "{}",
        github.stdout
    );
}

/// A base whose manifest does not load is judged by the ref's.
#[test]
fn since_a_base_whose_manifest_does_not_load() {
    let repo = fixture("check");
    let run = split(&repo, &["check", "--ref", "pr-clean", "--since", "pr-bad-manifest", "--format", "json"]);
    let v = json(&run);
    let note = v["since_manifests"]["note"].as_str().unwrap_or_default();
    assert!(note.contains(":ownership.yaml` does not load ("), "{}", run.stdout);
    assert_eq!(v["since_manifests"]["head"], "pr-clean:ownership.yaml", "{}", run.stdout);
}

/// A file the change adds never had an owner at the base, whatever the
/// base's rules would have said: the hint does not claim it had one. A
/// file the base had keeps the hint that names its old owner.
#[test]
fn since_hint_names_no_file_at_a_commit_without_it() {
    let run = snap(
        "since_manifest_new_file",
        &["check", "--ref", "pr-manifest-new-file", "--since", "main", "--format", "json"],
    );
    let repo = fixture("check");
    let main = lines(git(&repo, &["rev-parse", "main"])).remove(0);
    let v = json(&run);
    let hint = |path: &str| -> String {
        let f = v["findings"].as_array().unwrap().iter().find(|f| f["path"] == path);
        f.and_then(|f| f["hint"].as_str()).unwrap_or_else(|| panic!("{path}: {}", run.stdout)).to_string()
    };
    let weekly = hint("reports/weekly.csv");
    assert!(
        weekly.starts_with(&format!("at {} team `course` owned `reports/weekly.csv`", &main[..12])),
        "{weekly}"
    );
    let monthly = hint("reports/monthly.csv");
    assert!(!monthly.contains(&main[..12]) && !monthly.contains("owned"), "{monthly}");
}

/// A file of a Go module nested in a module nested in the root module (as
/// opentelemetry-go's `log/logtest` in `log`): the hint names the module the
/// file is in and the innermost claimed module it is carved out of, and
/// says what `owners` says. Expected answers read off
/// `make_go_nested.sh`: (file, its module's directory and path, the
/// module around that, its team).
#[test]
fn nested_module_hint_is_what_owners_says() {
    let repo = fixture("go_nested");
    let expected = [
        ("log/logtest/README.md", "log/logtest", "log/logtest", "log", "logs"),
        ("metric/x/go.mod", "metric/x", "metric/x", "metric", "metrics"),
        ("sdk/log/logtest/doc.go", "sdk/log/logtest", "sdk/log/logtest", "sdk/log", "logs"),
        (
            "trace/internal/telemetry/test/doc.go",
            "trace/internal/telemetry/test",
            "trace/internal/telemetry/test",
            "trace",
            "tracing",
        ),
    ];
    let check = json(&split(&repo, &["check", "--format", "json"]));
    for (file, dir, module, around, team) in expected {
        let why = format!(
            "it lies in `{dir}/`, the package `go:go.opentelemetry.io/otel/{module}`, carved out of \
             `go:go.opentelemetry.io/otel/{around}` (team `{team}`)"
        );
        let finding = check["findings"].as_array().unwrap().iter().find(|f| f["path"] == file);
        let hint = finding.and_then(|f| f["hint"].as_str()).unwrap_or_else(|| panic!("{file}: {check}"));
        assert_eq!(hint, format!("{why}: add that package to the `packages` of the team that should own it"));
        let owners = json(&split(&repo, &["owners", "--format", "json", file]));
        assert_eq!(owners["paths"][0]["why_unowned"], why.as_str(), "{file}: owners says otherwise");
        let text = split(&repo, &["owners", file]);
        assert!(text.stdout.contains(&format!("  why: {why}\n")), "{}", text.stdout);
    }
}
