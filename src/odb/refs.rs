//! Refs read straight from the files of git's ref store: `packed-refs` and
//! the loose refs under a prefix, a loose ref winning over a packed one, as
//! git reads them. Thousands of tags cost one small read each, with none of
//! the ref store's sorting and lookups. Whatever this reader does not know
//! (a symbolic ref, a reftable store, a line or name it cannot parse) gives
//! `None`, and the caller asks libgit2 instead.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use git2::Oid;

use super::id::{oid, parse_hex_key};

/// The refs under `prefix` (`refs/tags/`, say, or `refs/`) in the
/// repository whose common directory is `common_dir`, name to the object
/// each names, sorted by name; `None` when the store holds anything this
/// reader does not know.
pub(crate) fn direct_refs(common_dir: &Path, prefix: &str) -> Option<BTreeMap<String, Oid>> {
    if !prefix.starts_with("refs/") || !prefix.ends_with('/') || common_dir.join("reftable").exists() {
        return None;
    }
    let mut refs = BTreeMap::new();
    match std::fs::read(common_dir.join("packed-refs")) {
        Ok(text) => packed(&text, prefix, &mut refs)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(_) => return None,
    }
    let mut buf = Vec::with_capacity(64);
    loose(&common_dir.join(prefix.trim_end_matches('/')), prefix, &mut buf, &mut refs)?;
    Some(refs)
}

/// The entries of a `packed-refs` file under `prefix`.
fn packed(text: &[u8], prefix: &str, refs: &mut BTreeMap<String, Oid>) -> Option<()> {
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        // The header names the file's traits; `^` lines peel the ref above.
        if line[0] == b'#' || line[0] == b'^' {
            continue;
        }
        let id = line.get(..40).and_then(parse_hex_key)?;
        let name = std::str::from_utf8(line.get(41..)?).ok()?;
        (line[40] == b' ').then_some(())?;
        // git checks a name before it packs it.
        if name.starts_with(prefix) {
            refs.insert(name.to_string(), oid(&id));
        }
    }
    Some(())
}

/// The loose refs under directory `dir`, named `name_prefix` + their path.
/// Each file is opened relative to its directory: a path looked up from the
/// root for each of thousands of tags costs more than reading it.
fn loose(dir: &Path, name_prefix: &str, buf: &mut Vec<u8>, refs: &mut BTreeMap<String, Oid>) -> Option<()> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let fd = match rustix::fs::open(dir, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Some(()),
        Err(_) => return None,
    };
    at(&fd, name_prefix, buf, refs, 0)
}

/// Most directory levels below the prefix read here. Directories are opened
/// relative to their parent, so no path length bounds the depth: a deeper
/// store is libgit2's, which a path too long for the system stops.
const MAX_DEPTH: usize = 64;

/// The loose refs in the open directory `dir`, `depth` levels below the
/// prefix.
fn at(
    dir: &rustix::fd::OwnedFd,
    name_prefix: &str,
    buf: &mut Vec<u8>,
    refs: &mut BTreeMap<String, Oid>,
    depth: usize,
) -> Option<()> {
    use rustix::fs::{FileType, Mode, OFlags};
    (depth < MAX_DEPTH).then_some(())?;
    let mut entries = rustix::fs::Dir::read_from(dir).ok()?;
    while let Some(entry) = entries.read() {
        let entry = entry.ok()?;
        let file_name = entry.file_name();
        if file_name == c"." || file_name == c".." {
            continue;
        }
        let name = format!("{name_prefix}{}", file_name.to_str().ok()?);
        let kind = match entry.file_type() {
            FileType::Unknown => FileType::from_raw_mode(
                rustix::fs::statat(dir, file_name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW).ok()?.st_mode,
            ),
            kind => kind,
        };
        if kind == FileType::Directory {
            let sub = rustix::fs::openat(
                dir,
                file_name,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .ok()?;
            at(&sub, &format!("{name}/"), buf, refs, depth + 1)?;
            continue;
        }
        // A lock file, or anything that is no plain file, is git's business.
        (kind == FileType::RegularFile).then_some(())?;
        valid(&name)?;
        let file = rustix::fs::openat(
            dir,
            file_name,
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
        )
        .ok()?;
        buf.clear();
        std::fs::File::from(file).take(128).read_to_end(buf).ok()?;
        let hex = buf.strip_suffix(b"\n")?;
        (hex.len() == 40).then_some(())?;
        refs.insert(name, oid(&parse_hex_key(hex)?));
    }
    Some(())
}

/// `Some` for a name git could have written (so no lock file either).
fn valid(name: &str) -> Option<()> {
    git2::Reference::is_valid_name(name).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).unwrap()
    }

    #[test]
    fn a_loose_ref_wins_over_a_packed_one_and_odd_stores_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(
            dir.join("packed-refs"),
            format!(
                "# pack-refs with: peeled fully-peeled sorted \n{} refs/heads/main\n{} refs/tags/a\n^{}\n{} refs/tags/b\n",
                id(1),
                id(2),
                id(3),
                id(4)
            ),
        )
        .unwrap();
        std::fs::create_dir_all(dir.join("refs/tags/rel")).unwrap();
        std::fs::write(dir.join("refs/tags/b"), format!("{}\n", id(5))).unwrap();
        std::fs::write(dir.join("refs/tags/rel/c"), format!("{}\n", id(6))).unwrap();
        let tags = direct_refs(dir, "refs/tags/").unwrap();
        let want: BTreeMap<String, Oid> =
            [("refs/tags/a", id(2)), ("refs/tags/b", id(5)), ("refs/tags/rel/c", id(6))]
                .into_iter()
                .map(|(n, i)| (n.to_string(), i))
                .collect();
        assert_eq!(tags, want);
        assert_eq!(direct_refs(dir, "refs/").unwrap().len(), 4);

        std::fs::write(dir.join("refs/tags/d"), "ref: refs/tags/a\n").unwrap();
        assert_eq!(direct_refs(dir, "refs/tags/"), None, "a symbolic ref");
        std::fs::remove_file(dir.join("refs/tags/d")).unwrap();
        std::fs::write(dir.join("refs/tags/e.lock"), format!("{}\n", id(7))).unwrap();
        assert_eq!(direct_refs(dir, "refs/tags/"), None, "a lock file");
        std::fs::remove_file(dir.join("refs/tags/e.lock")).unwrap();
        std::fs::write(dir.join("refs/tags/f"), "").unwrap();
        assert_eq!(direct_refs(dir, "refs/tags/"), None, "a ref being written");
        std::fs::remove_file(dir.join("refs/tags/f")).unwrap();
        let deep: std::path::PathBuf = std::iter::repeat_n("d", MAX_DEPTH).collect();
        std::fs::create_dir_all(dir.join("refs/tags").join(&deep)).unwrap();
        std::fs::write(dir.join("refs/tags").join(&deep).join("g"), format!("{}\n", id(8))).unwrap();
        assert_eq!(direct_refs(dir, "refs/tags/"), None, "deeper than this reader goes");
        std::fs::remove_dir_all(dir.join("refs/tags/d")).unwrap();
        assert_eq!(direct_refs(dir, "refs/tags/").unwrap().len(), 3);
        std::fs::create_dir(dir.join("reftable")).unwrap();
        assert_eq!(direct_refs(dir, "refs/tags/"), None, "reftable");
    }
}
