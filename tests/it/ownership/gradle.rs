//! `gradle:` selectors against Gradle itself: on an okhttp-shaped build
//! (renames, moved and nested projects, an included build), every project
//! Gradle lists resolves to the directory Gradle gives it, git-split knows
//! no other project, and a path from before a rename is an error naming the
//! project Gradle lists for that directory.
//!
//! The oracle is Debian's Gradle 4.4 (`bash .ci/test` installs it), which
//! reads no Kotlin settings: it lists a copy of the tree whose
//! `settings.gradle.kts` files are renamed `settings.gradle` (the fixture's
//! Kotlin is also Groovy) and whose Kotlin build scripts are removed, while
//! git-split reads the `.kts` files themselves.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::{fixture, split};

/// A plain copy of the fixture's tree, as Gradle 4.4 can read it.
fn groovy_checkout(repo: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let archive = crate::support::git(repo, &["archive", "--format=tar", "HEAD"]);
    let mut tar =
        Command::new("tar").arg("-x").arg("-C").arg(tmp.path()).stdin(Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(tar.stdin.as_mut().unwrap(), &archive.stdout).unwrap();
    assert!(tar.wait().unwrap().success());
    let files = crate::support::z_list(&crate::support::git(repo, &["ls-files", "-z"]));
    for f in files.iter().filter(|f| f.ends_with(".gradle.kts")) {
        let path = tmp.path().join(f);
        if f.ends_with("settings.gradle.kts") {
            std::fs::rename(&path, path.with_extension("")).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
    }
    tmp
}

/// Gradle's projects of the build at `tree` and of its included builds:
/// build-tree path (the root project by its name) -> directory relative to
/// `tree` (`""` for the root).
fn gradle_projects(tree: &Path) -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("oracle-cache/gradle");
    let out = Command::new("gradle")
        .args(["--offline", "--no-daemon", "--quiet", "--init-script"])
        .arg(root.join("tests/oracles/gradle_projects.gradle"))
        .arg("help")
        .current_dir(tree)
        .env("GRADLE_USER_HOME", home)
        // Takes the fixture's conditional include.
        .env("ANDROID_HOME", "/nonexistent")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the oracle `gradle` ({e}); `bash .ci/test` installs it"));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "gradle failed:\n{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let tree = tree.canonicalize().unwrap();
    let rel = |dir: &str| -> String {
        let dir = PathBuf::from(dir);
        dir.strip_prefix(&tree)
            .unwrap_or_else(|_| panic!("{} outside the tree", dir.display()))
            .display()
            .to_string()
    };
    let fields: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    // Included builds are named by their directory (Gradle 6 and later); Gradle
    // 4.4 names them by their root project, which the fixture keeps equal.
    let mut build_path = BTreeMap::from([(String::new(), String::new())]);
    for f in fields.iter().filter(|f| f[0] == "BUILD") {
        let dir = rel(f[1]);
        assert_eq!(Some(f[2]), dir.rsplit('/').next(), "the build {dir} is named after its directory");
        build_path.insert(dir, format!(":{}", f[2]));
    }
    let mut projects = BTreeMap::new();
    for f in fields.iter().filter(|f| f[0] == "PROJECT") {
        let build = &build_path[&rel(f[1])];
        let path = match (build.as_str(), f[2]) {
            ("", ":") => continue,
            (build, ":") => build.to_string(),
            (build, path) => format!("{build}{path}"),
        };
        projects.insert(path, rel(f[3]));
    }
    assert!(projects.len() > 10, "the oracle listed too few projects:\n{stdout}");
    projects
}

/// `split plan` with one team owning `packages`; the run and its JSON.
fn plan(repo: &Path, packages: &[String]) -> (crate::support::Run, Option<serde_json::Value>) {
    let manifest = tempfile::NamedTempFile::new().unwrap();
    let list: String = packages.iter().map(|p| format!("      - {p:?}\n")).collect();
    std::fs::write(manifest.path(), format!("version: 1\nteams:\n  all:\n    packages:\n{list}")).unwrap();
    let run = split(repo, &["plan", "--format", "json", "--manifest", manifest.path().to_str().unwrap()]);
    let json = serde_json::from_str(&run.stdout).ok();
    (run, json)
}

#[test]
fn gradle_selectors_resolve_to_the_projects_gradle_lists() {
    let repo = fixture("gradle");
    let tree = groovy_checkout(&repo);
    let theirs = gradle_projects(tree.path());
    assert_eq!(theirs.get(":mockwebserver").map(String::as_str), Some("mockwebserver-deprecated"));

    let mut selectors: Vec<String> = theirs.keys().map(|p| format!("gradle:{p}")).collect();
    selectors.push("gradle:okhttp-parent".to_string());
    let (run, json) = plan(&repo, &selectors);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = json.unwrap();
    let packages = json["teams"][0]["packages"].as_array().unwrap();
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
    };
    let mut ours = BTreeMap::new();
    let mut root_carve_outs = BTreeSet::new();
    for p in packages {
        let name = p["package"].as_str().unwrap().strip_prefix("gradle:").unwrap().to_string();
        if name == "okhttp-parent" {
            assert_eq!(strings(&p["paths"]), [""]);
            root_carve_outs.extend(strings(&p["carve_outs"]));
            continue;
        }
        let paths = strings(&p["paths"]);
        assert_eq!(paths.len(), 1, "{name}: {paths:?}");
        ours.insert(name, paths[0].clone());
    }
    assert_eq!(ours, theirs, "git-split (left) and Gradle (right) disagree");
    // The root project gives up exactly the other projects' directories:
    // git-split knows no project Gradle does not.
    let dirs: BTreeSet<String> = theirs.values().cloned().collect();
    assert_eq!(root_carve_outs, dirs);
}

#[test]
fn a_path_from_before_a_rename_is_an_error_naming_the_project_gradle_lists() {
    let repo = fixture("gradle");
    let tree = groovy_checkout(&repo);
    let theirs = gradle_projects(tree.path());
    // The paths the settings scripts include, before their renames, and the
    // directory each was included with.
    let renamed = [
        (":mockwebserver-deprecated", "mockwebserver-deprecated"),
        (":mockwebserver-junit5", "mockwebserver-junit5"),
        (":okhttp-logging-interceptor", "okhttp-logging-interceptor"),
        (":tools", "tools"),
        (":tools:okcurl-native", "tools/okcurl-native"),
        (":build-logic:conventions", "build-logic/conventions"),
    ];
    for (old, dir) in renamed {
        let now = theirs.iter().find(|(_, d)| d.as_str() == dir).map(|(p, _)| p).unwrap();
        let (run, _) = plan(&repo, &[format!("gradle:{old}")]);
        assert_ne!(run.code, 0, "gradle:{old} resolved");
        let want = format!("package `gradle:{old}` was renamed at ");
        assert!(run.stderr.contains(&want), "{old}: {}", run.stderr);
        assert!(run.stderr.contains(&format!(": it is now `gradle:{now}`")), "{old}: {}", run.stderr);
    }
}

#[test]
fn check_reports_a_renamed_gradle_path_with_the_current_one() {
    let repo = fixture("gradle");
    let manifest = tempfile::NamedTempFile::new().unwrap();
    let text = "version: 1\nteams:\n  net:\n    packages: [\"gradle::mockwebserver-deprecated\"]\n";
    std::fs::write(manifest.path(), text).unwrap();
    let run = split(&repo, &["check", "--manifest", manifest.path().to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let want = "package `gradle::mockwebserver-deprecated` was renamed at settings.gradle.kts:7: it is now `gradle::mockwebserver`";
    assert!(run.stdout.contains(want), "{}", run.stdout);
    assert!(
        run.stdout.contains("hint: write `gradle::mockwebserver` instead in the `packages` at "),
        "{}",
        run.stdout
    );
}

#[test]
fn hostile_settings_are_skipped_within_bounded_memory() {
    let repo = fixture("gradle_hostile");
    let manifest = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(manifest.path(), "version: 1\nteams:\n  a:\n    packages: [\"gradle::app\"]\n").unwrap();
    let args = ["plan", "--format", "json", "--manifest", manifest.path().to_str().unwrap()];
    let run = crate::support::bounded::split_bounded(&repo, &args, crate::support::bounded::MEM_LIMIT_KIB);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["teams"][0]["packages"][0]["paths"], serde_json::json!(["app"]));
    let skipped: Vec<String> = v["skipped_manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{}: {}", s["path"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    let want = [
        "deep/settings.gradle: line 1113: project paths and directories over 4 MiB in all",
        "long/settings.gradle: line 2: project paths and directories over 4 MiB in all",
        "renames/settings.gradle: line 125001: more than 1000000 tokens",
        "tokens/settings.gradle: line 1001: more than 1000000 tokens",
    ];
    assert_eq!(skipped, want);
}
