//! Fault injection for tests, behind a hidden environment variable.
//!
//! `apply` promises that a run killed at any moment leaves every team's
//! previous repository complete and a rerun converging, and that a failed
//! write or a Ctrl-C leaves nothing half done. Killing after a delay hits
//! only a few moments of a run; named points let `tests/it/apply/faults.rs`
//! stop a run at every step, deterministically. Not a user feature: unset
//! (always, outside tests) a point costs one read of a `OnceLock`.
//!
//! `GIT_SPLIT_FAULT`:
//! * `trace:FILE` appends each point's name to FILE as the run passes it;
//! * `NAME:N:ACTION` acts when point NAME is passed the N-th time (from 1):
//!   `kill` raises SIGKILL, `int` raises SIGINT (as a Ctrl-C would), `term`
//!   raises SIGTERM (as a cancelled CI job would), and
//!   `enospc` makes a write point fail with "no space left on device".

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

enum Action {
    Kill,
    Interrupt,
    Terminate,
    NoSpace,
}

enum Spec {
    Trace(Mutex<std::fs::File>),
    At { name: String, n: u64, action: Action, hits: AtomicU64 },
}

static SPEC: OnceLock<Option<Spec>> = OnceLock::new();

fn spec() -> Option<&'static Spec> {
    SPEC.get_or_init(|| {
        let v = std::env::var("GIT_SPLIT_FAULT").ok()?;
        if let Some(file) = v.strip_prefix("trace:") {
            let f = std::fs::OpenOptions::new().create(true).append(true).open(file).ok()?;
            return Some(Spec::Trace(Mutex::new(f)));
        }
        let mut parts = v.rsplitn(3, ':');
        let action = match parts.next()? {
            "kill" => Action::Kill,
            "int" => Action::Interrupt,
            "term" => Action::Terminate,
            "enospc" => Action::NoSpace,
            _ => return None,
        };
        let n = parts.next()?.parse().ok()?;
        let name = parts.next()?.to_string();
        Some(Spec::At { name, n, action, hits: AtomicU64::new(0) })
    })
    .as_ref()
}

/// A point where a test may kill or interrupt the process.
pub fn point(name: &'static str) {
    let _ = io_point(name);
}

/// A point before a write, which a test may also make fail with ENOSPC.
pub fn io_point(name: &'static str) -> std::io::Result<()> {
    let Some(spec) = spec() else { return Ok(()) };
    match spec {
        Spec::Trace(f) => {
            // One write per line: lines stay whole even if the process is killed.
            let _ = f.lock().map(|mut f| f.write_all(format!("{name}\n").as_bytes()));
        }
        Spec::At { name: at, n, action, hits } => {
            if at != name || hits.fetch_add(1, Ordering::SeqCst) + 1 != *n {
                return Ok(());
            }
            match action {
                // SAFETY: raise has no preconditions.
                Action::Kill => unsafe {
                    libc::raise(libc::SIGKILL);
                },
                // SAFETY: as above; the handler the CLI installed runs before raise returns.
                Action::Interrupt => unsafe {
                    libc::raise(libc::SIGINT);
                },
                // SAFETY: as above.
                Action::Terminate => unsafe {
                    libc::raise(libc::SIGTERM);
                },
                Action::NoSpace => return Err(std::io::Error::from_raw_os_error(libc::ENOSPC)),
            }
        }
    }
    Ok(())
}
