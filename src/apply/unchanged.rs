//! Teams with nothing new. A team whose inputs are all as its last
//! successful run saw them, and whose repository is still exactly what that
//! run left, is not staged at all: its repository is not touched, and its
//! report is the one that run saved.
//!
//! After each successful run of a team, `split/run` records the key of its
//! inputs ([`RunKey`]), every file of the repository as the run left it
//! (size, modification time and inode; and the bytes, by digest, of every
//! file that holds refs or state rather than objects), and what the report
//! said. Anything missing, unreadable, of another format or different from
//! what is found means a normal run: this only ever saves work.
//!
//! The file is lines of `<field> <value>`; a value that may hold spaces
//! (a name, a path) comes last on its line, and none may hold a newline.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use git2::Oid;
use sha1::{Digest, Sha1};

use super::{SkippedTag, TagSkip, TeamReport, TeamTags, MARKER_DIR};
use crate::lfs::LfsObject;

/// The file's name, in the team repository's `split` directory.
pub const RUN_FILE: &str = "run";
/// Its name while it is written.
const RUN_PARTIAL: &str = "run.partial";
/// The file's first line; a file with another is not read.
const FORMAT: &str = "git-split run 1";

/// A file of the team repository, as a run left it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    /// Its path in the repository, `/`-separated.
    path: String,
    size: u64,
    /// Its modification time, in nanoseconds.
    mtime: i128,
    inode: u64,
    /// The SHA-1 of its bytes, for files that are not objects.
    digest: Option<String>,
}

/// What a team's report says, saved for a run that skips the team.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct SavedReport {
    considered: usize,
    kept: usize,
    files: u64,
    bytes: u64,
    refs: BTreeMap<String, String>,
    tags: TeamTags,
    lfs_objects: Vec<LfsObject>,
    /// The monolith tags that no team gets: they depend only on the
    /// monolith's tags, which the key covers.
    pub(super) tags_skipped: Vec<SkippedTag>,
}

impl SavedReport {
    /// The report of team `name`, whose repository is at `path`.
    pub(super) fn report(self, name: &str, path: &Path) -> TeamReport {
        TeamReport {
            name: name.to_string(),
            path: path.to_path_buf(),
            commits_considered: self.considered,
            commits_kept: self.kept,
            files: self.files,
            bytes: self.bytes,
            refs: self.refs,
            tags: self.tags,
            elapsed: std::time::Duration::ZERO,
            error: None,
            missing_object: None,
            lfs_objects: self.lfs_objects,
            peak_live: 0,
            rebuilt: None,
        }
    }
}

/// Everything a team's repository is made from, hashed: the definition of
/// the team, the selected refs and every monolith tag, by id.
pub(super) struct RunKey(Sha1);

impl RunKey {
    /// A key of this format and build, for a team of `fingerprint`.
    pub(super) fn new(fingerprint: &str) -> RunKey {
        let mut key = RunKey(Sha1::new());
        key.add(FORMAT);
        key.add(env!("CARGO_PKG_VERSION"));
        key.add(fingerprint);
        key
    }

    /// Adds one input.
    pub(super) fn add(&mut self, s: &str) {
        self.0.update(s.as_bytes());
        self.0.update(b"\0");
    }

    /// The key, in hex.
    pub(super) fn finish(self) -> String {
        hex(&self.0.finalize())
    }
}

/// The digest of the monolith's tags (name to target), which every team's
/// key holds.
pub(super) fn tags_digest(tags: &BTreeMap<String, Oid>) -> String {
    let mut h = Sha1::new();
    for (name, target) in tags {
        h.update(name.as_bytes());
        h.update(b"\0");
        h.update(target.as_bytes());
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Has the team repository at `repo` a record of its last run?
pub(super) fn recorded(repo: &Path) -> bool {
    repo.join(MARKER_DIR).join(RUN_FILE).is_file()
}

/// The saved report of the team repository at `repo`, if its last run had
/// the inputs of `key` and the repository is still exactly as that run
/// left it.
pub(super) fn unchanged(repo: &Path, key: &str) -> Option<SavedReport> {
    let text = fs::read_to_string(repo.join(MARKER_DIR).join(RUN_FILE)).ok()?;
    let mut lines = text.lines();
    (lines.next()? == FORMAT && lines.next()?.strip_prefix("key ")? == key).then_some(())?;
    let (saved, report) = parse(lines)?;
    // A tag object the monolith could not read may be there now (a
    // partial clone fetched it): only a normal run would bring it along.
    if report.tags_skipped.iter().any(|t| t.reason == TagSkip::Unreadable) {
        return None;
    }
    let now = stamps(repo, false)?;
    let same_stat = now.len() == saved.len()
        && now
            .iter()
            .zip(&saved)
            .all(|(n, s)| (&n.path, n.size, n.mtime, n.inode) == (&s.path, s.size, s.mtime, s.inode));
    // Stat data misses a change made without changing the size within the
    // clock's resolution of the run: what holds refs and state is compared
    // byte for byte.
    let same_bytes = || {
        saved
            .iter()
            .all(|s| s.digest.as_ref().is_none_or(|d| digest(&repo.join(&s.path)).as_ref() == Some(d)))
    };
    (same_stat && same_bytes()).then_some(report)
}

/// The files and report of a record, after its key.
fn parse<'a>(lines: impl Iterator<Item = &'a str>) -> Option<(Vec<Stamp>, SavedReport)> {
    let (mut files, mut r) = (Vec::new(), SavedReport::default());
    for line in lines {
        let (field, value) = line.split_once(' ')?;
        let mut words = value.splitn(5, ' ');
        let mut word = || words.next();
        match field {
            "considered" => r.considered = value.parse().ok()?,
            "kept" => r.kept = value.parse().ok()?,
            "files" => r.files = value.parse().ok()?,
            "bytes" => r.bytes = value.parse().ok()?,
            "file" => {
                let (size, mtime, inode) =
                    (word()?.parse().ok()?, word()?.parse().ok()?, word()?.parse().ok()?);
                let digest = Some(word()?).filter(|d| *d != "-").map(str::to_string);
                files.push(Stamp { size, mtime, inode, digest, path: word()?.to_string() });
            }
            "ref" => {
                let (commit, name) = value.split_once(' ')?;
                r.refs.insert(name.to_string(), commit.to_string());
            }
            "written" => r.tags.written.push(value.to_string()),
            "not-selected" => r.tags.not_selected.push(value.to_string()),
            "unchanged" => r.tags.unchanged.push(value.to_string()),
            "lfs" => {
                let (size, oid) = value.split_once(' ')?;
                r.lfs_objects.push(LfsObject { oid: oid.to_string(), size: size.parse().ok()? });
            }
            "skipped" => {
                let (reason, name) = value.split_once(' ')?;
                let reason = SKIPS.iter().find(|s| skip_name(**s) == reason)?;
                r.tags_skipped.push(SkippedTag { name: name.to_string(), reason: *reason });
            }
            _ => return None,
        }
    }
    Some((files, r))
}

/// Every reason a tag is skipped, for [`skip_name`] read back.
const SKIPS: [TagSkip; 4] = [TagSkip::Tree, TagSkip::Blob, TagSkip::Unreadable, TagSkip::ChainTooLong];

fn skip_name(s: TagSkip) -> &'static str {
    match s {
        TagSkip::Tree => "tree",
        TagSkip::Blob => "blob",
        TagSkip::Unreadable => "unreadable",
        TagSkip::ChainTooLong => "chain-too-long",
    }
}

/// Records, in the team repository at `repo` that a run just left, the key
/// of its inputs, its files and `report`. Best effort: without the record,
/// the next run is a normal one.
pub(super) fn save(repo: &Path, key: &str, report: &TeamReport, tags_skipped: &[SkippedTag]) {
    let marker = repo.join(MARKER_DIR);
    let (path, partial) = (marker.join(RUN_FILE), marker.join(RUN_PARTIAL));
    // Whatever a previous run recorded no longer describes the repository.
    let _ = fs::remove_file(&path);
    let Some(text) = stamps(repo, true).and_then(|files| format(key, &files, report, tags_skipped)) else {
        return;
    };
    if fs::write(&partial, text).and_then(|()| fs::rename(&partial, &path)).is_err() {
        let _ = fs::remove_file(&partial);
    }
}

/// The record's text; `None` if a value holds a newline.
fn format(key: &str, files: &[Stamp], r: &TeamReport, tags_skipped: &[SkippedTag]) -> Option<String> {
    let mut s = String::with_capacity(128 * (files.len() + r.refs.len()) + 64 * r.tags.written.len());
    let _ = writeln!(s, "{FORMAT}\nkey {key}");
    let _ = writeln!(s, "considered {}\nkept {}", r.commits_considered, r.commits_kept);
    let _ = writeln!(s, "files {}\nbytes {}", r.files, r.bytes);
    for f in files {
        let _ = writeln!(
            s,
            "file {} {} {} {} {}",
            f.size,
            f.mtime,
            f.inode,
            f.digest.as_deref().unwrap_or("-"),
            f.path
        );
    }
    for (name, commit) in &r.refs {
        let _ = writeln!(s, "ref {commit} {name}");
    }
    for (field, names) in [
        ("written", &r.tags.written),
        ("not-selected", &r.tags.not_selected),
        ("unchanged", &r.tags.unchanged),
    ] {
        names.iter().for_each(|n| {
            let _ = writeln!(s, "{field} {n}");
        });
    }
    for o in &r.lfs_objects {
        let _ = writeln!(s, "lfs {} {}", o.size, o.oid);
    }
    for t in tags_skipped {
        let _ = writeln!(s, "skipped {} {}", skip_name(t.reason), t.name);
    }
    // Each line holds one record: a newline in a value would end it early.
    let lines = 6
        + files.len()
        + r.refs.len()
        + r.tags.written.len()
        + r.tags.not_selected.len()
        + r.tags.unchanged.len()
        + r.lfs_objects.len()
        + tags_skipped.len();
    (s.lines().count() == lines).then_some(s)
}

/// Every file under `repo` but the record itself, sorted by path; `None`
/// if one cannot be read or named. With `digests`, the digest of each file
/// that is not an object.
fn stamps(repo: &Path, digests: bool) -> Option<Vec<Stamp>> {
    let mut out = Vec::new();
    walk(repo, "", digests, &mut out)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Some(out)
}

fn walk(dir: &Path, prefix: &str, digests: bool, out: &mut Vec<Stamp>) -> Option<()> {
    for entry in fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        let path = format!("{prefix}{}", entry.file_name().to_str()?);
        let meta = entry.metadata().ok()?;
        if meta.is_dir() {
            walk(&entry.path(), &format!("{path}/"), digests, out)?;
            continue;
        }
        if path
            .strip_prefix(MARKER_DIR)
            .and_then(|p| p.strip_prefix('/'))
            .is_some_and(|p| p == RUN_FILE || p == RUN_PARTIAL)
        {
            continue;
        }
        let digest = match digests && holds_refs_or_state(&path) {
            true => Some(digest(&entry.path())?),
            false => None,
        };
        out.push(Stamp {
            size: meta.len(),
            mtime: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            inode: meta.ino(),
            digest,
            path,
        });
    }
    Some(())
}

/// Files whose bytes are compared, not just their stat data: all but the
/// objects (named by their content), the state's segments (named by their
/// checksum) and the commit map (which a run only ever copies forward).
fn holds_refs_or_state(path: &str) -> bool {
    let in_marker = path.strip_prefix(MARKER_DIR).and_then(|p| p.strip_prefix('/'));
    !(path.starts_with("objects/")
        || in_marker.is_some_and(|p| p == crate::rewrite::state::COMMIT_MAP || p.ends_with(".seg")))
}

fn digest(path: &Path) -> Option<String> {
    Some(hex(&Sha1::digest(fs::read(path).ok()?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> TeamReport {
        let mut r = SavedReport {
            considered: 9,
            kept: 5,
            files: 3,
            bytes: 70,
            tags: TeamTags {
                written: vec!["refs/tags/web-v1".into()],
                not_selected: vec!["refs/tags/x".into()],
                unchanged: vec!["refs/tags/v0".into()],
            },
            lfs_objects: vec![LfsObject { oid: format!("sha256:{}", "a".repeat(64)), size: 12 }],
            tags_skipped: Vec::new(),
            ..Default::default()
        };
        r.refs.insert("refs/heads/main".into(), "1".repeat(40));
        r.report("web", Path::new("web.git"))
    }

    #[test]
    fn a_record_reads_back_as_written_and_only_for_its_key() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path();
        fs::create_dir_all(repo.join("split")).unwrap();
        fs::write(repo.join("packed-refs"), "refs").unwrap();
        let skipped = vec![SkippedTag { name: "refs/tags/t".into(), reason: TagSkip::ChainTooLong }];
        save(repo, "k", &report(), &skipped);
        let saved = unchanged(repo, "k").expect("unchanged");
        assert_eq!(saved.tags_skipped, skipped);
        let back = saved.report("web", Path::new("web.git"));
        assert_eq!(format!("{back:?}"), format!("{:?}", report()));
        assert!(unchanged(repo, "another key").is_none());
        let unreadable = vec![SkippedTag { name: "refs/tags/t".into(), reason: TagSkip::Unreadable }];
        save(repo, "k", &report(), &unreadable);
        assert!(unchanged(repo, "k").is_none(), "a tag that could not be read");
        save(repo, "k", &report(), &skipped);
        // The same size, inode and time: only the bytes tell.
        let refs = repo.join("packed-refs");
        let mtime = fs::metadata(&refs).unwrap().modified().unwrap();
        fs::write(&refs, "REFS").unwrap();
        fs::File::options().write(true).open(&refs).unwrap().set_modified(mtime).unwrap();
        assert!(unchanged(repo, "k").is_none(), "a ref file changed");
        save(repo, "k", &report(), &skipped);
        fs::write(repo.join("split/new"), "").unwrap();
        assert!(unchanged(repo, "k").is_none(), "a file added");
        save(repo, "k", &report(), &skipped);
        fs::write(repo.join("split/run"), fs::read_to_string(repo.join("split/run")).unwrap() + "odd line\n")
            .unwrap();
        assert!(unchanged(repo, "k").is_none(), "a line it does not know");
    }

    #[test]
    fn a_name_holding_a_newline_is_not_recorded() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("split")).unwrap();
        save(tmp.path(), "k", &report(), &[]);
        assert!(recorded(tmp.path()));
        let mut r = report();
        r.refs.insert("refs/heads/a\nfile 1 2 3 - x".into(), "2".repeat(40));
        save(tmp.path(), "k", &r, &[]);
        assert!(!recorded(tmp.path()));
    }
}
