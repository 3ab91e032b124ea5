//! `codeowners`, `init`, `completions` and `man` end to end: snapshots of
//! every message, exit codes, refusals, and the init round trip.

use std::path::Path;

use crate::support::NoUserConfig;
use crate::support::{digest, fixture, fixture_copy, git, split};
use git_split::codeowners::{CodeOwners, Syntax};
use git_split::manifest::Manifest;
use git_split::odb::Repo;
use git_split::plan::Snapshot;

/// Commits everything with pinned identity and dates: the commit ids
/// appear in snapshotted headers. (The fixture's submodule is not checked
/// out: `add -A` alone would record it deleted.)
fn commit_all(repo: &Path, msg: &str) {
    git(repo, &["add", "-A", "--", ".", ":(exclude)vendor/tool"]);
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", msg])
        .current_dir(repo)
        .without_user_config()
        .env("GIT_AUTHOR_DATE", "@1700009000 +0000")
        .env("GIT_COMMITTER_DATE", "@1700009000 +0000")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn codeowners_to_stdout_leaves_the_repository_alone() {
    let repo = fixture("monolith");
    let before = digest(&repo);
    for (name, args) in [
        ("codeowners_github", &["codeowners"][..]),
        ("codeowners_gitlab", &["codeowners", "--syntax", "gitlab"][..]),
    ] {
        let run = split(&repo, args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        insta::assert_snapshot!(name, run.snapshot(&repo));
    }
    // Checking and drafting to stdout read only, too.
    assert_eq!(split(&repo, &["codeowners", "--check"]).code, 2);
    let run = split(&repo, &["init", "--output", "-"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    Manifest::from_bytes(Path::new("stdout"), run.stdout.as_bytes()).unwrap();
    assert!(run.stderr.starts_with("drafted: "), "the summary goes to stderr: {}", run.stderr);
    assert_eq!(before, digest(&repo));
}

#[test]
fn codeowners_check_exit_codes() {
    let (_tmp, repo) = fixture_copy("monolith");
    // 2: nothing to check.
    let run = split(&repo, &["codeowners", "--check"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    insta::assert_snapshot!("codeowners_check_missing", run.snapshot(&repo));

    let run = split(&repo, &["codeowners", "--output", ".github/CODEOWNERS"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("codeowners_write", run.snapshot(&repo));
    // --check reads the tree of the ref, not the work tree.
    assert_eq!(split(&repo, &["codeowners", "--check"]).code, 2);
    commit_all(&repo, "CODEOWNERS");
    let run = split(&repo, &["codeowners", "--check", "--ref", "HEAD"]);
    assert_eq!(run.code, 0, "{}", run.stdout);

    // An equivalent hand-edited file passes: reordered owners, a redundant
    // line, comments, different case.
    let path = repo.join(".github/CODEOWNERS");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text
        .replace(
            "/docs/shared-notes.md @inflearn/course @inflearn/payment",
            "/docs/ @INFLEARN/payment @inflearn/course",
        )
        .replace(
            "/payment/ @inflearn/payment",
            "# payments\n/payment/ @inflearn/course\n/payment/ @inflearn/payment",
        );
    assert_ne!(edited, text);
    std::fs::write(&path, edited).unwrap();
    commit_all(&repo, "hand edit");
    let run = split(&repo, &["codeowners", "--check", "--ref", "HEAD"]);
    assert_eq!(run.code, 0, "{}", run.stdout);

    // 1: a file given to the wrong team, and a GitHub-invalid line.
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}/payment/src/ @inflearn/course\n!legacy/ @x\n")).unwrap();
    commit_all(&repo, "drift");
    let run = split(&repo, &["codeowners", "--check", "--ref", "HEAD"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("codeowners_check_drift", run.snapshot(&repo));
    let run = split(&repo, &["codeowners", "--check", "--ref", "HEAD", "--format", "github"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("codeowners_check_drift_github", run.snapshot(&repo));
    let run = split(&repo, &["codeowners", "--check", "--ref", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["file"], ".github/CODEOWNERS");
    assert_eq!(v["mismatches"].as_array().unwrap().len(), 2);
    assert_eq!(v["mismatches"][0]["codeowners"], serde_json::json!(["@inflearn/course"]));
    assert_eq!(v["mismatches"][0]["manifest"], serde_json::json!(["@inflearn/payment"]));
    assert_eq!(v["problems"][0]["line"], 16);
    assert_eq!(split(&repo, &["codeowners", "--format", "json"]).code, 2, "--format needs --check");

    // The same file read as GitLab is wrong in other ways; --output names it.
    let run = split(
        &repo,
        &["codeowners", "--check", "--ref", "HEAD", "--syntax", "gitlab", "--output", ".github/CODEOWNERS"],
    );
    assert_eq!(run.code, 1);
    let run = split(&repo, &["codeowners", "--check", "--ref", "HEAD", "--output", "nope/CODEOWNERS"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("codeowners_check_missing_output", run.snapshot(&repo));
}

/// The CODEOWNERS file is itself a file of the tree once committed: a
/// default line written before it existed must not hand it to a team the
/// manifest does not give it to.
#[test]
fn check_passes_right_after_the_first_commit() {
    let (_tmp, repo) = fixture_copy("monolith");
    std::fs::write(
        repo.join("all.yaml"),
        "version: 1\nteams:\n  all:\n    owners: [\"@org/all\"]\n    paths: [\"**\"]\n    exclude: [\".github/CODEOWNERS\", legacy]\n",
    )
    .unwrap();
    let run = split(&repo, &["--manifest", "all.yaml", "codeowners", "--output", ".github/CODEOWNERS"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(repo.join(".github/CODEOWNERS")).unwrap();
    assert!(text.contains("\n* @org/all\n") && text.contains("\n/.github/CODEOWNERS\n"), "{text}");
    commit_all(&repo, "CODEOWNERS");
    let run = split(&repo, &["--manifest", "all.yaml", "codeowners", "--check", "--ref", "HEAD"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn gitlab_output_checks_clean() {
    let (_tmp, repo) = fixture_copy("monolith");
    let run = split(&repo, &["codeowners", "--syntax", "gitlab", "--output", "CODEOWNERS"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    commit_all(&repo, "CODEOWNERS");
    let run = split(&repo, &["codeowners", "--syntax", "gitlab", "--check", "--ref", "HEAD"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn init_from_codeowners_and_refusals() {
    let (_tmp, repo) = fixture_copy("monolith");
    // Refuses to overwrite.
    let run = split(&repo, &["init"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    insta::assert_snapshot!("init_refuses_overwrite", run.snapshot(&repo));

    std::fs::create_dir_all(repo.join(".github")).unwrap();
    // Layered lines: a default, a directory taken away, a file given back,
    // GitHub's non-recursive `dir/*`, an unanchored name, a line without owners.
    std::fs::write(
        repo.join(".github/CODEOWNERS"),
        "* @inflearn/platform\n/payment/ @inflearn/payment\n/payment/build.gradle @inflearn/platform\n\
         web/* @inflearn/web\n*.java @inflearn/java\n/course-api/ @inflearn/course\n/legacy/\n",
    )
    .unwrap();
    commit_all(&repo, "CODEOWNERS");
    let run = split(&repo, &["init", "--output", "drafted.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("init_from_codeowners", run.snapshot(&repo));
    let text = std::fs::read_to_string(repo.join("drafted.yaml")).unwrap();
    insta::assert_snapshot!("init_from_codeowners_yaml", text);
    assert_round_trip(&repo, "drafted.yaml", ".github/CODEOWNERS", Syntax::GitHub);

    let run = split(&repo, &["init", "--output", "drafted.yaml"]);
    assert_eq!(run.code, 2, "refuses to overwrite --output too");
    let run = split(&repo, &["init", "--output", "drafted.yaml", "--force", "--top-level"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("init_top_level", run.snapshot(&repo));
    let text = std::fs::read_to_string(repo.join("drafted.yaml")).unwrap();
    insta::assert_snapshot!("init_top_level_yaml", text);
    Manifest::from_bytes(Path::new("drafted.yaml"), text.as_bytes()).unwrap();

    // The global --manifest names where init writes, and the manifest then
    // drives the other commands.
    let run = split(&repo, &["--manifest", "m.yaml", "init", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let run = split(&repo, &["--manifest", "m.yaml", "codeowners", "--check", "--ref", "HEAD"]);
    assert_eq!(run.code, 0, "a manifest drafted from CODEOWNERS agrees with it: {}", run.stdout);
}

/// CODEOWNERS -> init -> manifest: the manifest's owners (teams' handles)
/// equal what CODEOWNERS gives, for every file of the tree.
fn assert_round_trip(repo: &Path, manifest: &str, codeowners: &str, syntax: Syntax) {
    let manifest = Manifest::load(&repo.join(manifest)).unwrap();
    let r = Repo::open(repo).unwrap();
    let snap = Snapshot::load(&r, &manifest, r.resolve("HEAD").unwrap()).unwrap();
    let owners = snap.ownership.assign(&snap.listing).owners;
    let co = CodeOwners::parse(&std::fs::read_to_string(repo.join(codeowners)).unwrap(), syntax);
    for (f, o) in snap.listing.files.iter().zip(&owners) {
        let path = String::from_utf8_lossy(&f.path);
        assert!(o.teams.len() <= 1, "{path}: init makes no overlaps");
        assert_eq!(git_split::codeowners::expected_owners(&manifest, o), co.owners(&path), "{path}");
    }
}

#[test]
fn init_round_trips_generated_codeowners() {
    let (_tmp, repo) = fixture_copy("monolith");
    for (syntax, flag, path) in
        [(Syntax::GitHub, "github", ".github/CODEOWNERS"), (Syntax::GitLab, "gitlab", ".gitlab/CODEOWNERS")]
    {
        let run = split(&repo, &["codeowners", "--syntax", flag, "--output", path]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        commit_all(&repo, flag);
        let run = split(&repo, &["init", "--from", path, "--output", "round.yaml", "--force"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_round_trip(&repo, "round.yaml", path, syntax);
    }
}

#[test]
fn completions_and_man_pages_name_every_command() {
    let repo = fixture("monolith");
    let help = split(&repo, &["--help"]).stdout;
    let commands: Vec<&str> =
        ["plan", "apply", "owners", "log", "verify", "codeowners", "init", "completions", "man"]
            .into_iter()
            .filter(|c| help.contains(&format!("  {c} ")))
            .collect();
    assert_eq!(commands.len(), 9, "--help lists every command:\n{help}");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = split(&repo, &["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        for c in &commands {
            assert!(run.stdout.contains(c), "{shell} completion lacks `{c}`");
        }
        assert!(run.stdout.contains("syntax"), "{shell} completion lacks codeowners' flags");
    }
    let man = split(&repo, &["man"]);
    assert_eq!(man.code, 0, "{}", man.stderr);
    assert!(man.stdout.contains(".TH git-split 1"), "{}", man.stdout);
    for c in &commands {
        assert!(man.stdout.contains(&format!("git\\-split\\-{c}(1)")), "man lacks `{c}`");
    }
    let page = split(&repo, &["man", "codeowners"]);
    assert_eq!(page.code, 0);
    assert!(
        page.stdout.contains(".TH git-split-codeowners 1"),
        "{}",
        &page.stdout[..300.min(page.stdout.len())]
    );
    assert!(page.stdout.contains("\\-\\-check"));
    let bad = split(&repo, &["man", "nope"]);
    assert_eq!(bad.code, 2);
    insta::assert_snapshot!("man_unknown_command", bad.snapshot(&repo));
}

/// Every refusal, by its message: nothing on stdout, exit 2.
#[test]
fn refusals() {
    let (_tmp, repo) = fixture_copy("monolith");
    // GitLab merges sections whose names differ only in case.
    std::fs::write(
        repo.join("case.yaml"),
        "version: 1\nteams:\n  Web:\n    owners: [\"@a\"]\n    paths: [web]\n  web:\n    owners: [\"@b\"]\n    paths: [docs]\n",
    )
    .unwrap();
    // Two names CODEOWNERS cannot tell apart, with different owners.
    std::fs::create_dir(repo.join("odd")).unwrap();
    for name in ["odd/a b", "odd/a\tb"] {
        std::fs::write(repo.join(name), name).unwrap();
    }
    commit_all(&repo, "odd names");
    std::fs::write(
        repo.join("odd.yaml"),
        "version: 1\nteams:\n  x:\n    owners: [\"@x\"]\n    paths: [\"odd/a b\"]\n  y:\n    owners: [\"@y\"]\n    paths: [\"odd/a\\tb\"]\n",
    )
    .unwrap();
    let bare = repo.parent().unwrap().join("bare.git");
    git(repo.parent().unwrap(), &["clone", "-q", "--bare", repo.to_str().unwrap(), bare.to_str().unwrap()]);
    let cases: &[(&str, &[&str])] = &[
        ("refuse_gitlab_section_clash", &["--manifest", "case.yaml", "codeowners", "--syntax", "gitlab"]),
        ("refuse_unexpressible_names", &["--manifest", "odd.yaml", "--ref", "HEAD", "codeowners"]),
        ("refuse_init_missing_from", &["init", "--from", "nope/CODEOWNERS", "--output", "x.yaml"]),
        ("refuse_init_bare_without_output", &["--repo", "../bare.git", "init"]),
        ("refuse_bad_syntax", &["codeowners", "--syntax", "bitbucket"]),
        ("refuse_completions_unknown_shell", &["completions", "tcsh"]),
    ];
    for (name, args) in cases {
        let run = split(&repo, args);
        assert_eq!(run.code, 2, "{name}: {}{}", run.stdout, run.stderr);
        assert!(run.stdout.is_empty(), "{name}: no partial output");
        insta::assert_snapshot!(*name, run.snapshot(&repo));
    }
    assert!(!repo.join("x.yaml").exists());
}

#[test]
fn init_from_codeowners_shares_what_it_leaves_to_the_build_and_passes_its_own_check() {
    let (_tmp, repo) = fixture_copy("monolith");
    std::fs::remove_file(repo.join("ownership.yaml")).unwrap();
    std::fs::write(
        repo.join("CODEOWNERS"),
        "/course-api/ @inflearn/course\n/payment/ @inflearn/payment\n/web/ @inflearn/web\n",
    )
    .unwrap();
    commit_all(&repo, "CODEOWNERS without the build");
    let run = split(&repo, &["init", "--output", "drafted.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(repo.join("drafted.yaml")).unwrap();
    let manifest = Manifest::from_bytes(Path::new("drafted.yaml"), text.as_bytes()).unwrap();
    let shared: Vec<String> = manifest.shared.paths.iter().map(|p| p.value.as_str().to_string()).collect();
    for build in [
        "build.gradle",
        "settings.gradle",
        "gradle/wrapper/gradle-wrapper.properties",
        ".github/workflows/ci.yml",
        "CODEOWNERS",
    ] {
        assert!(shared.iter().any(|s| s == build), "{build} is not shared: {shared:?}");
    }
    assert!(!shared.iter().any(|s| s.starts_with("docs")), "docs are no build file: {shared:?}");
    assert!(run.stdout.contains("docs/shared-notes.md"), "what stays unowned is listed: {}", run.stdout);
    assert!(text.contains("unowned: warn"), "{text}");
    let check = split(&repo, &["check", "--manifest", "drafted.yaml"]);
    assert_eq!(check.code, 0, "the draft fails its own check:\n{}", check.stdout);
}

#[test]
fn init_commit_check_passes_though_the_manifest_is_unowned_and_a_change_adding_it_too() {
    let (_tmp, repo) = fixture_copy("monolith");
    std::fs::remove_file(repo.join("ownership.yaml")).unwrap();
    commit_all(&repo, "no manifest yet");
    let run = split(&repo, &["init", "--top-level"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    commit_all(&repo, "the drafted manifest");
    let check = split(&repo, &["check"]);
    assert_eq!(check.code, 0, "init, commit, check fails:\n{}", check.stdout);
    let since = split(&repo, &["check", "--since", "HEAD~1", "--format", "json"]);
    assert_eq!(since.code, 0, "{}", since.stdout);
    assert!(since.stdout.contains("\"findings\": []"), "{}", since.stdout);
    // Under another name, it is an unowned file like any other.
    std::fs::copy(repo.join("ownership.yaml"), repo.join("copy.yaml")).unwrap();
    commit_all(&repo, "a copy");
    let copy = split(&repo, &["check", "--format", "json"]);
    assert_eq!(copy.code, 1, "{}", copy.stdout);
    assert!(copy.stdout.contains("\"copy.yaml\""), "{}", copy.stdout);
    assert!(!copy.stdout.contains("\"ownership.yaml\""), "{}", copy.stdout);
}

/// `init` on a fixture without CODEOWNERS: the draft, and its own check.
fn draft_from_packages(fixture_name: &str) -> (String, crate::support::Run) {
    let (_tmp, repo) = fixture_copy(fixture_name);
    let run = split(&repo, &["init", "--output", "drafted.yaml", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("from the build's packages"), "{}", run.stdout);
    let text = std::fs::read_to_string(repo.join("drafted.yaml")).unwrap();
    let check = split(&repo, &["check", "--manifest", "drafted.yaml"]);
    assert_eq!(check.code, 0, "the {fixture_name} draft fails its own check:\n{}\n{text}", check.stdout);
    (text, check)
}

#[test]
fn init_drafts_a_team_per_gradle_project_group_and_shares_the_build() {
    let (text, _) = draft_from_packages("gradle");
    insta::assert_snapshot!("init_from_gradle_yaml", text);
}

#[test]
fn init_drafts_a_team_per_pnpm_workspace_member() {
    let (text, check) = draft_from_packages("ws_pnpm");
    assert!(check.stdout.contains("no findings"), "{}", check.stdout);
    insta::assert_snapshot!("init_from_pnpm_yaml", text);
}

#[test]
fn init_drafts_a_team_per_python_project() {
    let (text, _) = draft_from_packages("ws_uv");
    insta::assert_snapshot!("init_from_uv_yaml", text);
}

/// The header's command works when run as printed: it names the
/// CODEOWNERS location the repository uses and the manifest it came from,
/// and never a path of this machine (a manifest kept outside the work tree).
#[test]
fn the_regenerate_command_names_what_the_repository_uses() {
    let (tmp, repo) = fixture_copy("monolith");
    // The repository keeps its CODEOWNERS at the root, and its manifest in a subdirectory.
    std::fs::write(repo.join("CODEOWNERS"), "* @someone\n").unwrap();
    std::fs::create_dir_all(repo.join("meta")).unwrap();
    std::fs::rename(repo.join("ownership.yaml"), repo.join("meta/owners.yaml")).unwrap();
    commit_all(&repo, "codeowners at the root, manifest in meta/");
    let run = split(&repo, &["codeowners", "--manifest", "meta/owners.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let command = "git split codeowners --manifest meta/owners.yaml --output CODEOWNERS";
    assert!(run.stdout.contains(&format!("`{command}`")), "{}", run.stdout);
    // Run as printed, from the root: it writes the file, and --check then passes.
    let args: Vec<&str> = command.split(' ').skip(2).collect();
    assert_eq!(split(&repo, &args).code, 0);
    commit_all(&repo, "regenerated");
    let check = split(&repo, &["codeowners", "--manifest", "meta/owners.yaml", "--check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);

    // A manifest outside the work tree: named by its file name alone.
    let outside = tmp.path().join("private-owners.yaml");
    std::fs::copy(repo.join("meta/owners.yaml"), &outside).unwrap();
    let run = split(&repo, &["codeowners", "--manifest", outside.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains(&tmp.path().display().to_string()), "{}", run.stdout);
    assert!(run.stdout.contains("--manifest <path to private-owners.yaml>"), "{}", run.stdout);
}
