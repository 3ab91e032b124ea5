//! Running the binary with its memory bounded: `ulimit -v` (RLIMIT_AS) set
//! by a `sh` wrapper, so an input that makes memory grow with it (an alias
//! bomb, a regex blow-up, a blob read whole) fails the test instead of the
//! machine. A wall-clock guard kills a hung run; it is a hang guard only,
//! far above any expected time, never a speed assertion.

use crate::support::NoUserConfig;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Address space given to the binary: far below what an amplifying input
/// would need, far above what a real run of these tests uses.
pub const MEM_LIMIT_KIB: u64 = 1 << 20;

/// A run still going after this has hung.
pub const HANG_GUARD: Duration = Duration::from_secs(120);

/// What a bounded run produced.
pub struct Bounded {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `git-split ARGS` in `dir` under `ulimit -v limit_kib`, with the
/// clean environment of `support::split`.
pub fn split_bounded(dir: &Path, args: &[&str], limit_kib: u64) -> Bounded {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {limit_kib} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_git-split"))
        .args(args)
        .clean_in(dir)
        // glibc reserves 64 MiB of address space for each extra malloc
        // arena (one per thread that meets a busy one), never touched but
        // counted by `ulimit -v`: with them, whether a thread starts would
        // depend on timing, not on what the run needs.
        .env("MALLOC_ARENA_MAX", "1");
    let run = run_guarded(&mut cmd, args);
    Bounded { code: run.code, stdout: run.stdout, stderr: run.stderr }
}

/// Runs `cmd` (git-split with `args`, for the message) with no input and
/// its output in files, killing it past [`HANG_GUARD`].
pub fn run_guarded(cmd: &mut Command, args: &[&str]) -> crate::support::Run {
    let tmp = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (tmp.path().join("stdout"), tmp.path().join("stderr"));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("run git-split");
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let _ = child.wait();
            panic!("git-split {args:?} still running after {HANG_GUARD:?}: hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    crate::support::Run {
        code: status.code().unwrap_or(-1),
        stdout: read(&out_path),
        stderr: read(&err_path),
    }
}
