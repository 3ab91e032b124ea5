//! `apply` killed with SIGKILL at many points leaves, for every team, either
//! the previous complete repository or none, and a rerun converges to the
//! same ids as an uninterrupted run.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{fixture, git, refs};

fn apply_cmd(repo: &Path, out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_git-split"));
    c.args(["apply", "-q", "--out", out.to_str().unwrap(), "--jobs", "2"])
        .current_dir(repo)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

#[test]
fn sigkill_at_any_point_leaves_complete_repositories_and_a_rerun_converges() {
    let repo = fixture("monolith");
    let tmp = tempfile::tempdir().unwrap();
    let reference = tmp.path().join("reference");
    assert!(apply_cmd(&repo, &reference).status().unwrap().success());
    let teams = ["catalog-sdk", "course", "payment"];
    let expected: Vec<String> = teams.iter().map(|t| refs(&reference.join(format!("{t}.git")))).collect();

    let out = tmp.path().join("out");
    let mut kills = 0;
    // Kill points spread over a whole run (tens of milliseconds here), first
    // on an empty output directory, then over a previous complete output.
    for round in 0..2 {
        if round == 1 {
            assert!(apply_cmd(&repo, &out).status().unwrap().success());
        }
        for delay_us in (0..24).map(|i| i * 2_500) {
            let mut child = apply_cmd(&repo, &out).spawn().unwrap();
            std::thread::sleep(Duration::from_micros(delay_us));
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
            kills += 1;
            for (t, want) in teams.iter().zip(&expected) {
                let team_repo = out.join(format!("{t}.git"));
                if team_repo.exists() {
                    // Whatever exists is a complete repository.
                    git(&team_repo, &["fsck", "--full", "--no-dangling"]);
                    assert_eq!(&refs(&team_repo), want, "{t} after a kill at {delay_us}us");
                    assert!(!team_repo.join("objects/info/alternates").exists());
                } else {
                    assert_eq!(
                        round, 0,
                        "{t}: a complete repository disappeared after a kill at {delay_us}us"
                    );
                }
            }
        }
    }
    assert!(kills >= 48);
    assert!(apply_cmd(&repo, &out).status().unwrap().success(), "a rerun after the kills succeeds");
    for (t, want) in teams.iter().zip(&expected) {
        assert_eq!(&refs(&out.join(format!("{t}.git"))), want, "{t} converged");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".staging-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
