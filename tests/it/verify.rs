//! `verify` on real repositories: a team repository that is missing,
//! unreadable or not this monolith's split is a difference that names the
//! team; one that is merely behind the monolith is out of date, by as many
//! commits as `git rev-list --count` says, and its content is checked
//! against the commits it was made from, so nothing is called damaged.

use std::path::{Path, PathBuf};

use crate::support::{apply, fixture_copy, git, split, Run};

const MANIFEST: &str = "version: 1
monolith: {refs: [main]}
shared: {paths: [shared.txt]}
teams:
  a: {paths: [a]}
  b: {paths: [\"b/**\"]}
";

/// A copy of the `history` fixture with the manifest beside it.
struct Monolith {
    tmp: tempfile::TempDir,
    repo: PathBuf,
    manifest: String,
}

impl Monolith {
    fn new() -> Monolith {
        let (tmp, repo) = fixture_copy("history");
        let m = tmp.path().join("m.yaml");
        std::fs::write(&m, MANIFEST).unwrap();
        Monolith { manifest: m.to_str().unwrap().to_string(), tmp, repo }
    }

    fn apply(&self, out: &Path, extra: &[&str]) {
        let mut args = vec!["--manifest", self.manifest.as_str()];
        args.extend_from_slice(extra);
        let run = apply(&self.repo, out, &args);
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    }

    fn verify(&self, out: &Path, format: &str) -> Run {
        split(
            &self.repo,
            &["verify", "--manifest", &self.manifest, "--out", out.to_str().unwrap(), "--format", format],
        )
    }
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", run.stdout, run.stderr))
}

/// The teams and messages of a verification's differences.
fn differences(v: &serde_json::Value) -> Vec<(String, String)> {
    v["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["team"].as_str().unwrap().to_string(), d["message"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn missing_unreadable_and_foreign_team_repositories_are_differences() {
    let m = Monolith::new();
    let out = m.tmp.path().join("out");
    m.apply(&out, &[]);
    assert_eq!(m.verify(&out, "json").code, 0);

    // The split of another monolith, with the same teams.
    let other = m.tmp.path().join("other");
    git(m.tmp.path(), &["init", "-q", "-b", "main", other.to_str().unwrap()]);
    for f in ["a/x.txt", "b/y.txt", "shared.txt"] {
        std::fs::create_dir_all(other.join(f).parent().unwrap()).unwrap();
        std::fs::write(other.join(f), f).unwrap();
    }
    git(&other, &["add", "."]);
    git(&other, &["-c", "user.name=o", "-c", "user.email=o@o", "commit", "-q", "-m", "other"]);
    let other_out = m.tmp.path().join("other-out");
    let run = apply(&other, &other_out, &["--manifest", &m.manifest]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run =
        apply(&other, &m.tmp.path().join("other-prune"), &["--manifest", &m.manifest, "--history", "prune"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let b = out.join("b.git");
    let saved = m.tmp.path().join("b.git.saved");
    std::fs::rename(&b, &saved).unwrap();
    type Damage = fn(&Path, &Path);
    let cases: [(&str, Damage, &str); 5] = [
        ("missing", |_, _| {}, "no repository at `"),
        (
            "unreadable",
            |b, _| {
                std::fs::create_dir_all(b.join("objects")).unwrap();
                std::fs::write(b.join("HEAD"), "not a ref\n").unwrap();
            },
            "cannot be read as a git repository",
        ),
        (
            "not git-split's",
            |b, _| {
                git(b.parent().unwrap(), &["init", "-q", "--bare", b.to_str().unwrap()]);
            },
            "was not written by git-split",
        ),
        (
            "another monolith's",
            |b, other_out| {
                let st =
                    std::process::Command::new("cp").arg("-a").arg(other_out.join("b.git")).arg(b).status();
                assert!(st.unwrap().success());
            },
            "which the monolith does not have: it was split from another repository",
        ),
        (
            "another monolith's, pruned",
            |b, other_out| {
                let pruned = other_out.parent().unwrap().join("other-prune/b.git");
                let st = std::process::Command::new("cp").arg("-a").arg(pruned).arg(b).status();
                assert!(st.unwrap().success());
            },
            "which the monolith does not have: it was split from another repository",
        ),
    ];
    for (what, damage, says) in cases {
        let _ = std::fs::remove_dir_all(&b);
        damage(&b, &other_out);
        let run = m.verify(&out, "json");
        assert_eq!(run.code, 1, "{what}: {}{}", run.stdout, run.stderr);
        let found = differences(&json(&run));
        assert_eq!(found.len(), 1, "{what}: {found:?}");
        assert_eq!(found[0].0, "b", "{what}: the team is named");
        assert!(found[0].1.contains(says), "{what}: {}", found[0].1);
        let text = m.verify(&out, "text");
        assert_eq!(text.code, 1, "{what}");
        assert!(
            text.stdout.contains(&format!("differs: b: {}", &found[0].1[..10])),
            "{what}: {}",
            text.stdout
        );
    }
    // A team left out is not looked for.
    let run =
        split(&m.repo, &["verify", "--manifest", &m.manifest, "--out", out.to_str().unwrap(), "--team", "a"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // Alone, an unreadable repository is still a difference.
    std::fs::remove_dir_all(out.join("a.git")).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let run = m.verify(&out, "json");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(differences(&json(&run)).len(), 2, "{}", run.stdout);
    // Nothing of this manifest at all: nothing to verify.
    let run = m.verify(&m.tmp.path().join("nowhere"), "text");
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
}

#[test]
fn an_output_behind_the_monolith_is_out_of_date_not_different() {
    for mode in ["rewrite", "prune"] {
        let m = Monolith::new();
        let tip = String::from_utf8(git(&m.repo, &["rev-parse", "main"]).stdout).unwrap().trim().to_string();
        git(&m.repo, &["update-ref", "refs/heads/main", "main~6"]);
        let out = m.tmp.path().join("out");
        m.apply(&out, &["--history", mode]);
        let old = String::from_utf8(git(&m.repo, &["rev-parse", "main"]).stdout).unwrap().trim().to_string();
        git(&m.repo, &["update-ref", "refs/heads/main", &tip]);
        let count = String::from_utf8(git(&m.repo, &["rev-list", "--count", &format!("{old}..main")]).stdout)
            .unwrap()
            .trim()
            .parse::<u64>()
            .unwrap();
        assert!(count >= 6, "the fixture grew");

        let run = m.verify(&out, "json");
        assert_eq!(run.code, 1, "{mode}: {}{}", run.stdout, run.stderr);
        let v = json(&run);
        assert_eq!(differences(&v), [], "{mode}: nothing differs");
        assert_eq!(
            v["out_of_date"],
            serde_json::json!([{"team": "a", "behind": count}, {"team": "b", "behind": count}]),
            "{mode}"
        );
        let text = m.verify(&out, "text");
        assert_eq!(text.code, 1);
        assert!(
            text.stdout
                .contains(&format!("out of date: a by {count} commits of main: run `git-split apply`\n")),
            "{mode}: {}",
            text.stdout
        );
        assert!(text.stdout.ends_with(": no difference, 2 out of date\n"), "{mode}: {}", text.stdout);

        m.apply(&out, &["--history", mode]);
        let run = m.verify(&out, "text");
        assert_eq!(run.code, 0, "{mode}: {}{}", run.stdout, run.stderr);
    }
}
