//! The reference for trailer insertion: the real `git interpret-trailers`.
//! Shared by the unit tests of `src/rewrite/trailer.rs`,
//! `tests/it/fuzz_regressions.rs` and the trailer fuzz target.

use std::io::Write;
use std::process::{Command, Stdio};

/// `git interpret-trailers --no-divider --trailer TRAILER` (the mode git
/// uses for commit messages) on `message`: no configuration, in an empty
/// directory outside any repository, message on stdin.
pub fn git_interpret_trailers(message: &[u8], trailer: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let ceiling = dir.path().parent().expect("temp dir has a parent").to_path_buf();
    let mut child = Command::new("git")
        .args(["interpret-trailers", "--no-divider", "--trailer", trailer])
        .current_dir(dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", "/nonexistent")
        .env("LC_ALL", "C")
        // Never find a repository (and its config) above the temp dir.
        .env("GIT_CEILING_DIRECTORIES", ceiling)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_CONFIG")
        .env_remove("GIT_CONFIG_PARAMETERS")
        .env_remove("GIT_CONFIG_COUNT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running git");
    child.stdin.take().expect("stdin").write_all(message).expect("writing to git");
    let out = child.wait_with_output().expect("waiting for git");
    assert!(out.status.success(), "git interpret-trailers failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}
