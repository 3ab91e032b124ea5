//! What `push` last pushed, per team: `DIR/.git-split-push.json`, beside
//! the team repositories. A rerun pushes only the refs that differ from it,
//! and leases each update on it, so a remote someone else changed since is
//! refused rather than overwritten. Written whole or not at all.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use git2::Oid;
use serde::{Deserialize, Serialize};

use super::PushError;

/// The state file's name in the output directory.
pub const STATE_FILE: &str = crate::apply::PUSH_STATE;

/// The format this build writes and reads.
const VERSION: u32 = 1;

/// A state file larger than this is not ours: refused before it is read
/// whole (a real one is tens of bytes per ref).
const MAX_STATE_BYTES: u64 = 256 << 20;

/// Every team's last push.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    version: u32,
    /// By team name.
    pub teams: BTreeMap<String, Pushed>,
}

/// What one team's remote held after its last push that git-split made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pushed {
    /// The remote, credentials masked: a push to another remote starts over.
    pub remote: String,
    /// Ref name -> the id pushed (a commit, or an annotated tag).
    pub refs: BTreeMap<String, String>,
}

impl Pushed {
    /// The ids, parsed (checked when the state was loaded).
    pub fn ids(&self) -> BTreeMap<String, Oid> {
        self.refs.iter().filter_map(|(r, id)| Some((r.clone(), Oid::from_str(id).ok()?))).collect()
    }
}

/// Where the state of `out` lives.
pub fn path(out: &Path) -> PathBuf {
    out.join(STATE_FILE)
}

/// The state in `out`; empty when there is none yet. Temporary files a
/// killed run left are removed (the caller holds the directory's lock).
pub fn load(out: &Path) -> Result<State, PushError> {
    let path = path(out);
    for entry in fs::read_dir(out).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(STATE_FILE) && name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
    let bad = |reason: String| PushError::BadState { path: path.clone(), reason };
    let file = match fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
        Err(e) => return Err(bad(e.to_string())),
    };
    let mut bytes = Vec::new();
    file.take(MAX_STATE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| bad(e.to_string()))?;
    if bytes.len() as u64 > MAX_STATE_BYTES {
        return Err(bad("larger than 256 MiB".into()));
    }
    let state: State = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    if state.version != VERSION {
        return Err(bad(format!("version {} (this git-split reads {VERSION})", state.version)));
    }
    for (team, pushed) in &state.teams {
        for (name, id) in &pushed.refs {
            if id.len() != 40 || Oid::from_str(id).is_err() {
                return Err(bad(format!("team `{team}`, ref `{name}`: `{id}` is not an object id")));
            }
        }
    }
    Ok(state)
}

/// Writes `state` into `out` through a temporary file renamed over the
/// previous one, both synced: a crash leaves the old state or the new one.
pub fn save(out: &Path, state: &State) -> Result<(), PushError> {
    let path = path(out);
    let tmp = out.join(format!("{STATE_FILE}.{}.tmp", std::process::id()));
    let io = |e: std::io::Error| PushError::Io { context: format!("writing {}", path.display()), source: e };
    let mut text = serde_json::to_vec_pretty(state).expect("the state serializes");
    text.push(b'\n');
    let written = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&text)?;
        f.sync_all()?;
        fs::rename(&tmp, &path)?;
        fs::File::open(out)?.sync_all()
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written.map_err(io)
}

impl Default for State {
    /// A fresh state of this format.
    fn default() -> State {
        State { version: VERSION, teams: BTreeMap::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_missing_is_empty() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(load(tmp.path()).unwrap(), State::default());
        let mut s = State::default();
        s.teams.insert(
            "a".into(),
            Pushed {
                remote: "https://***@h/a.git".into(),
                refs: [("refs/heads/main".to_string(), "1".repeat(40))].into(),
            },
        );
        save(tmp.path(), &s).unwrap();
        fs::write(tmp.path().join(format!("{STATE_FILE}.1.tmp")), "half").unwrap();
        assert_eq!(load(tmp.path()).unwrap(), s);
        let names: Vec<_> = fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, [STATE_FILE], "no temporary file is left, nor one a killed run left");
    }

    #[test]
    fn a_damaged_state_is_refused_naming_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        for bad in [
            "{",
            r#"{"version": 9, "teams": {}}"#,
            r#"{"version": 1, "teams": {}, "extra": 1}"#,
            r#"{"version": 1, "teams": {"a": {"remote": "r", "refs": {"refs/heads/x": "zz"}}}}"#,
        ] {
            fs::write(path(tmp.path()), bad).unwrap();
            let e = load(tmp.path()).unwrap_err();
            assert!(matches!(e, PushError::BadState { .. }), "{bad}: {e}");
            assert!(e.to_string().contains(STATE_FILE), "{e}");
        }
    }
}
