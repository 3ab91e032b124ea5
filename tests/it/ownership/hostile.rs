//! Package manifests built to hurt their readers (nested a hundred
//! thousand levels, over the size limit, a go.mod of one endless line, of
//! a million lines, of millions of parentheses), next to sound ones of
//! each kind: `plan` reads them all within the bounded runner's memory and
//! hang guard, resolves the sound packages, and lists each manifest it
//! could not read with the reason.

use crate::support::bounded::{split_bounded, MEM_LIMIT_KIB};
use crate::support::fixture;

#[test]
fn hostile_manifests_are_skipped_with_a_reason_and_sound_ones_resolve() {
    let repo = fixture("hostile_inputs");
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("ownership.yaml");
    let sound = [
        ("cargo:ok-crate", "cargo/ok"),
        ("npm:ok-npm", "npm/ok"),
        ("npm:pnpm-root", "npm/pnpm"),
        ("composer:ok/composer", "composer/ok"),
        ("maven:g:ok-maven", "maven/ok"),
        ("python:ok-python", "python/ok"),
        ("go:example.com/ok", "go/ok"),
        // Deep, long or many, but well-formed: read all the same.
        ("maven:g:deep-maven", "maven/deep"),
        ("go:example.com/many", "go/many"),
        ("go:example.com/deep", "go/deep"),
    ];
    let mut yaml = String::from("version: 1\nteams:\n");
    for (i, (spec, _)) in sound.iter().enumerate() {
        yaml.push_str(&format!("  p{i}:\n    packages: [\"{spec}\"]\n"));
    }
    std::fs::write(&manifest, yaml).unwrap();
    let args = ["plan", "--no-deps", "--format", "json", "--manifest", manifest.to_str().unwrap()];
    let run = split_bounded(&repo, &args, MEM_LIMIT_KIB);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    for (team, (spec, dir)) in v["teams"].as_array().unwrap().iter().zip(sound) {
        assert_eq!(team["packages"][0]["package"], spec);
        assert_eq!(team["packages"][0]["paths"], serde_json::json!([dir]), "{spec}");
    }
    let skipped: Vec<(&str, &str)> = v["skipped_manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["path"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    let paths: Vec<&str> = skipped.iter().map(|s| s.0).collect();
    assert_eq!(
        paths,
        [
            "cargo/deep/Cargo.toml",
            "cargo/huge/Cargo.toml",
            "cargo/tables/Cargo.toml",
            "composer/deep/composer.json",
            "go/long/go.mod",
            "npm/deep/package.json",
            "npm/pnpm/pnpm-workspace.yaml",
            "python/deep/pyproject.toml",
        ]
    );
    for (path, reason) in skipped {
        let why = ["recursion", "larger than 8 MiB", "malformed module directive"];
        assert!(why.iter().any(|w| reason.contains(w)), "{path}: {reason}");
    }
}

/// A module nested deeper than a rule can hold, inside a claimed module:
/// `plan` and `apply` refuse the package by name and place (exit 2), they
/// neither panic nor match it wrongly.
#[test]
fn a_package_nested_deeper_than_rules_reach_is_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    crate::support::git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("go.mod"), "module example.com/root\n").unwrap();
    std::fs::write(repo.join("main.go"), "package main\n").unwrap();
    let deep: std::path::PathBuf = std::iter::repeat_n("d", 70).collect();
    std::fs::create_dir_all(repo.join(&deep)).unwrap();
    std::fs::write(repo.join(&deep).join("go.mod"), "module example.com/deep\n").unwrap();
    crate::support::git(&repo, &["add", "-A"]);
    crate::support::git(
        &repo,
        &["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "deep module"],
    );
    let manifest = tmp.path().join("ownership.yaml");
    std::fs::write(&manifest, "version: 1\nteams:\n  root:\n    packages: [\"go:example.com/root\"]\n")
        .unwrap();
    let out = tmp.path().join("out");
    for args in [
        vec!["plan", "--no-deps", "--manifest", manifest.to_str().unwrap()],
        vec!["apply", "--manifest", manifest.to_str().unwrap(), "--out", out.to_str().unwrap()],
    ] {
        let run = crate::support::split(&repo, &args);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains("ownership.yaml:4:"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("more than 63 directories deep"), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    assert!(!out.exists(), "apply wrote nothing");
}

/// A claimed module holding a tree 2,040 levels deep (git's limit is
/// 2,048), in a history long enough that the package layouts are read on
/// several threads: each of them has the stack for it (a thread with the
/// system's default aborted the process), and the team keeps the file.
#[test]
fn a_tree_nested_near_git_s_limit_in_a_claimed_module_is_split_on_every_thread() {
    use crate::support::NoUserConfig;
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    crate::support::git(tmp.path(), &["init", "-q", "-b", "main", repo.to_str().unwrap()]);
    let deep = vec!["d"; 2040].join("/") + "/f.go";
    let mut stream = String::from("blob\nmark :1\ndata 24\nmodule example.com/root\n\n");
    for i in 0..1100 {
        stream.push_str(&format!(
            "commit refs/heads/main\ncommitter T <t@e> {} +0000\ndata 2\nc\n",
            1_700_000_000 + i
        ));
        if i == 0 {
            stream.push_str("M 100644 :1 go.mod\n");
        }
        if i == 1090 {
            stream.push_str(&format!("M 100644 inline {deep}\ndata 5\ndeep\n"));
        }
        let n = i.to_string();
        stream.push_str(&format!("M 100644 inline main.go\ndata {}\n{n}\n\n", n.len() + 1));
    }
    let mut child = std::process::Command::new("git")
        .args(["fast-import", "--quiet"])
        .clean_in(&repo)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stream.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    let manifest = tmp.path().join("ownership.yaml");
    std::fs::write(&manifest, "version: 1\nteams:\n  root:\n    packages: [\"go:example.com/root\"]\n")
        .unwrap();
    let out = tmp.path().join("out");
    let run = crate::support::split(
        &repo,
        &["apply", "--jobs", "2", "--manifest", manifest.to_str().unwrap(), "--out", out.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let team = out.join("root.git");
    let kept = crate::support::git(&team, &["cat-file", "-p", &format!("main:{deep}")]);
    assert_eq!(kept.stdout, b"deep\n");
}
