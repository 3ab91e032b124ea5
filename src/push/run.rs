//! Running the user's git for one remote, so that nothing can hang `push`:
//! git runs in a session of its own (no terminal to prompt on, and one
//! signal stops it with its helpers: `git-remote-https`, `ssh`,
//! `pack-objects`), is stopped when it shows no progress for the timeout or
//! when the run is cancelled, and what it prints is kept within bounds.

use std::collections::VecDeque;
use std::io::Read;
use std::os::unix::process::CommandExt as _;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Standard output kept: porcelain lines, a hundred bytes per ref.
const MAX_STDOUT: usize = 16 << 20;

/// The last lines of standard error kept, for the error message.
const KEPT_LINES: usize = 40;

/// A kept line longer than this is cut: a message, not a payload.
const MAX_LINE: usize = 1000;

/// How often a running git is checked on.
const POLL: Duration = Duration::from_millis(20);

/// After git exits, its output is awaited this long: a helper that
/// escaped with the pipes open cannot hold the run.
const DRAIN: Duration = Duration::from_secs(5);

/// What a git command printed and how it ended.
#[derive(Debug)]
pub(super) struct Finished {
    /// Its exit status.
    pub status: ExitStatus,
    /// Standard output (up to [`MAX_STDOUT`]).
    pub stdout: Vec<u8>,
    /// The last lines of standard error, progress lines left out.
    pub stderr: Vec<String>,
}

/// Why a git command did not finish.
#[derive(Debug)]
pub(super) enum Stopped {
    /// It could not start.
    Spawn(std::io::Error),
    /// It showed no progress for this long and was stopped, with its last lines.
    Stalled(Duration, Vec<String>),
    /// The run was cancelled.
    Cancelled,
}

/// Output read by a thread of its own, shared with the caller, which may
/// stop waiting for it.
#[derive(Default)]
struct Captured {
    stdout: Vec<u8>,
    /// Standard error as it comes: complete lines, and the one being written.
    lines: VecDeque<String>,
    partial: Vec<u8>,
    /// When anything last arrived.
    last: Option<Instant>,
    /// Readers still running.
    open: usize,
}

impl Captured {
    fn stderr_bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            // Progress rewrites its line with `\r`: each state is a line
            // here, and progress lines are dropped when kept.
            if b == b'\n' || b == b'\r' {
                let line = String::from_utf8_lossy(&self.partial).into_owned();
                self.partial.clear();
                if !line.trim().is_empty() && !is_progress(&line) {
                    if self.lines.len() == KEPT_LINES {
                        self.lines.pop_front();
                    }
                    self.lines.push_back(line);
                }
            } else if self.partial.len() < MAX_LINE {
                self.partial.push(b);
            }
        }
    }
}

/// git's progress meters (`Writing objects:  45% (9/20)`), local or relayed
/// from the remote: noise in an error message.
fn is_progress(line: &str) -> bool {
    let l = line.trim_start_matches("remote:").trim();
    let words = l.split(':').next().unwrap_or("");
    let meter = l.contains("% (") || l.ends_with(", done.");
    let message = ["fatal", "error", "warning", "hint"].contains(&words.trim());
    meter && !message && !words.is_empty() && words.chars().all(|c| c.is_ascii_alphabetic() || c == ' ')
}

/// Runs `cmd` to its end, unless it prints nothing for `idle` or `cancel`
/// is set: then it is stopped with every process it started.
pub(super) fn run(mut cmd: Command, idle: Duration, cancel: &AtomicBool) -> Result<Finished, Stopped> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    // SAFETY: `setsid` is async-signal-safe and touches no memory of ours.
    // A session of its own: git has no terminal to ask for a password on
    // (it fails instead, which is what CI needs), and its process group is
    // ours to signal.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(Stopped::Spawn)?;
    let captured =
        Arc::new(Mutex::new(Captured { open: 2, last: Some(Instant::now()), ..Default::default() }));
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    spawn_reader(stdout, captured.clone(), |c, b| {
        let room = MAX_STDOUT.saturating_sub(c.stdout.len());
        c.stdout.extend_from_slice(&b[..b.len().min(room)]);
    });
    spawn_reader(stderr, captured.clone(), Captured::stderr_bytes);
    let group = child.id() as libc::pid_t;
    // Stops the whole session; git is not reaped yet, so its id still
    // names its group.
    let stop = |child: &mut std::process::Child| {
        // SAFETY: a plain system call on a process group we created.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = child.wait();
    };
    let mut exited: Option<(ExitStatus, Instant)> = None;
    loop {
        if cancel.load(Ordering::Relaxed) {
            if exited.is_none() {
                stop(&mut child);
            }
            return Err(Stopped::Cancelled);
        }
        if exited.is_none() {
            match child.try_wait() {
                Ok(Some(status)) => exited = Some((status, Instant::now())),
                Ok(None) => {}
                Err(e) => {
                    stop(&mut child);
                    return Err(Stopped::Spawn(e));
                }
            }
        }
        let mut c = captured.lock().expect("captured");
        if let Some((status, at)) = exited {
            if c.open == 0 || at.elapsed() > DRAIN {
                return Ok(Finished {
                    status,
                    stdout: std::mem::take(&mut c.stdout),
                    stderr: c.lines.drain(..).collect(),
                });
            }
        } else if c.last.is_some_and(|t| t.elapsed() > idle) {
            let lines = c.lines.drain(..).collect();
            drop(c);
            stop(&mut child);
            return Err(Stopped::Stalled(idle, lines));
        }
        drop(c);
        std::thread::sleep(POLL);
    }
}

/// Reads `pipe` to its end on a thread of its own, handing each read to
/// `take` and marking the time.
fn spawn_reader<R: Read + Send + 'static>(
    mut pipe: R,
    captured: Arc<Mutex<Captured>>,
    take: fn(&mut Captured, &[u8]),
) {
    let read = move || {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let mut c = captured.lock().expect("captured");
            c.last = Some(Instant::now());
            take(&mut c, &buf[..n]);
        }
        let mut c = captured.lock().expect("captured");
        let rest = std::mem::take(&mut c.partial);
        c.stderr_bytes(&rest);
        if !rest.is_empty() {
            c.stderr_bytes(b"\n");
        }
        c.open -= 1;
    };
    // A reader that cannot start would leave its pipe full and git
    // blocked on it: the idle timeout then stops git.
    let _ = std::thread::Builder::new().name("git-output".into()).spawn(read);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.arg("-c").arg(script);
        c
    }

    #[test]
    fn output_and_status_are_kept_and_progress_is_dropped() {
        let cancel = AtomicBool::new(false);
        let script = "echo out; printf 'Writing objects:  50%% (1/2)\\rWriting objects: 100%% (2/2), done.\\n' >&2; echo 'fatal: nope' >&2; exit 3";
        let f = run(sh(script), Duration::from_secs(30), &cancel).unwrap();
        assert_eq!(f.status.code(), Some(3));
        assert_eq!(f.stdout, b"out\n");
        assert_eq!(f.stderr, ["fatal: nope"]);
    }

    #[test]
    fn a_silent_command_is_stopped_with_what_it_started() {
        let cancel = AtomicBool::new(false);
        let tmp = tempfile::tempdir().unwrap();
        let pid = tmp.path().join("pid");
        // A child of the command that would outlive it if only the
        // command were stopped.
        let script = format!("echo 'error: hanging' >&2; sleep 600 & echo $! > {}; wait", pid.display());
        match run(sh(&script), Duration::from_millis(300), &cancel) {
            Err(Stopped::Stalled(_, lines)) => assert_eq!(lines, ["error: hanging"]),
            other => panic!("{other:?}"),
        }
        let pid: i32 = std::fs::read_to_string(&pid).unwrap().trim().parse().unwrap();
        // SAFETY: signal 0 only asks whether the process exists.
        let alive = || unsafe { libc::kill(pid, 0) } == 0 && !zombie(pid);
        let until = Instant::now() + Duration::from_secs(30);
        while alive() && Instant::now() < until {
            std::thread::sleep(POLL);
        }
        assert!(!alive(), "the command's own child is stopped too");
    }

    /// A process that died but whose parent (init, here) has not reaped it yet.
    fn zombie(pid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map_or(true, |s| s.rsplit(')').next().is_some_and(|r| r.trim_start().starts_with('Z')))
    }

    #[test]
    fn cancel_stops_a_running_command() {
        let cancel = AtomicBool::new(true);
        assert!(matches!(run(sh("sleep 600"), Duration::from_secs(600), &cancel), Err(Stopped::Cancelled)));
    }

    #[test]
    fn progress_meters_are_told_from_messages() {
        assert!(is_progress("Counting objects: 100% (3/3), done."));
        assert!(is_progress("remote: Resolving deltas:  50% (1/2)"));
        assert!(is_progress("Writing objects: 100% (3/3), 250 bytes | 250.00 KiB/s, done."));
        assert!(!is_progress("fatal: unable to access 'x': 100% (1/1)"));
        assert!(!is_progress("error: failed to push some refs to 'x'"));
    }
}
