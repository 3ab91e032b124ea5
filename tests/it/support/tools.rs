//! The reference tools the tests compare with (go, npm, pnpm, composer, uv,
//! cargo, mvn, gradle, ...), run as the oracles need them: the pinned npm
//! tools first on `PATH`, caches that outlive the run but stay out of the
//! user's home, and nothing reaching a network. Each caller adds what its
//! own tool needs on top.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the tools keep their caches between runs.
pub fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("oracle-cache")
}

/// `program` in `dir`, with the environment every oracle shares.
pub fn command(program: &str, dir: &Path) -> Command {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = std::env::join_paths(
        std::iter::once(root.join("tests/oracles/workspaces/node_modules/.bin"))
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH entries join");
    let cache = cache_dir();
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .env("PATH", path)
        .env("GOCACHE", cache.join("go"))
        .env("npm_config_cache", cache.join("npm"))
        .env("npm_config_offline", "true");
    cmd
}

/// Runs `cmd`: its stdout, or its stderr as the error. A tool that cannot
/// start fails the test, naming what installs it.
pub fn stdout_of(cmd: &mut Command) -> Result<String, String> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out =
        cmd.output().unwrap_or_else(|e| panic!("cannot run `{program}` ({e}); `bash .ci/test` installs it"));
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).expect("the tool's output is UTF-8"))
    } else {
        Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}
