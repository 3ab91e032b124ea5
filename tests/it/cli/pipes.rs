//! A reader that goes away (`git split plan | head -1`): the command stops
//! as git does, killed by SIGPIPE without a word, whatever it was writing.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{fixture, NoUserConfig};

/// Runs `cmd` with its stdout read for one byte and then closed; returns
/// the signal that ended it and its stderr. Callers make it write more
/// than a pipe holds, so it is still writing when the reader goes away.
fn with_reader_gone(cmd: &mut Command) -> (Option<i32>, String) {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let mut stdout = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    stdout.read_exact(&mut one).expect("some output first");
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    (out.status.signal(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn split_in(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_git-split"));
    c.current_dir(dir).without_user_config();
    c
}

#[test]
fn a_closed_stdout_ends_the_command_as_it_ends_git() {
    let repo = fixture("monolith");
    // About 200 KiB of output from either command: more than a pipe holds.
    let paths: Vec<String> = (0..6000).map(|i| format!("not/in/the/tree/file-{i:05}.txt")).collect();
    let git = with_reader_gone(
        Command::new("git")
            .arg("rev-parse")
            .arg("--sq-quote")
            .args(&paths)
            .current_dir(&repo)
            .without_user_config(),
    );
    assert_eq!(git, (Some(libc::SIGPIPE), String::new()), "git's own way");
    for format in ["text", "json"] {
        let ours = with_reader_gone(split_in(&repo).args(["owners", "--format", format]).args(&paths));
        assert_eq!(ours, git, "owners --format {format}");
    }
}
