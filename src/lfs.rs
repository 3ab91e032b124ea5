//! Git LFS pointer files: a team repository keeps them as they are (they
//! are ordinary blobs), but the large objects they name live on an LFS
//! server, and each team must fetch and push the ones its history points
//! to. This finds them: every blob of a repository small enough to be a
//! pointer (git-lfs never writes one of 1024 bytes or more) is read and
//! parsed as one, following the pointer spec
//! (<https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md>). The scan
//! runs only when the split ref's tree sets up LFS ([`used_in`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// Blobs of this size or more are never read: no LFS pointer is that big.
pub const MAX_POINTER_BYTES: u64 = 1024;

/// An object stored in LFS.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct LfsObject {
    /// `sha256:<64 hex>`, as the pointer writes it.
    pub oid: String,
    /// Size of the object in bytes.
    pub size: u64,
}

/// Does the tree use LFS: does a `.gitattributes` in it (each read only
/// if under 1 MiB) route files through `filter=lfs`? Only then are team
/// repositories scanned for pointers, which costs a pass over their objects.
/// The listing's sizes are not used: only these files' are read.
pub fn used_in(repo: &crate::odb::Repo, listing: &crate::odb::TreeListing) -> bool {
    let small = |id| repo.raw().odb().and_then(|o| o.read_header(id)).is_ok_and(|(size, _)| size < 1 << 20);
    listing.files.iter().any(|f| {
        let name = f.path.rsplit(|&b| b == b'/').next().unwrap_or(&f.path);
        name == b".gitattributes"
            && f.kind == crate::odb::FileKind::Blob
            && small(f.oid)
            && repo.read_blob(f.oid).is_ok_and(|b| b.windows(10).any(|w| w == b"filter=lfs"))
    })
}

/// Parses a pointer file; `None` for anything that is not exactly one.
pub fn parse_pointer(data: &[u8]) -> Option<LfsObject> {
    if data.len() as u64 >= MAX_POINTER_BYTES || !data.ends_with(b"\n") {
        return None;
    }
    let text = std::str::from_utf8(data).ok()?;
    let mut lines = text.lines();
    let version = lines.next()?;
    // git-lfs reads pointers of its pre-release (`hawser`) and alpha
    // (`git-media`) days as its current ones.
    let known = [
        "https://git-lfs.github.com/spec/v1",
        "https://hawser.github.com/spec/v1",
        "http://git-media.io/v/2",
    ];
    if !version.strip_prefix("version ").is_some_and(|v| known.contains(&v)) {
        return None;
    }
    let (mut oid, mut size) = (None, None);
    for line in lines {
        let (key, value) = line.split_once(' ')?;
        match key {
            "oid" => {
                let hex = value.strip_prefix("sha256:")?;
                if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                    return None;
                }
                oid = Some(value.to_string());
            }
            "size" => {
                if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                size = Some(value.parse().ok()?);
            }
            _ if key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-') => {}
            _ => return None,
        }
    }
    Some(LfsObject { oid: oid?, size: size? })
}

/// Why the objects of a repository could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("listing LFS pointers in {repo}: {message}")]
pub struct LfsError {
    /// The repository.
    pub repo: String,
    /// What went wrong.
    pub message: String,
}

/// The LFS objects the pointer files of a (self-contained) repository
/// name, sorted and without duplicates: every stored blob under
/// [`MAX_POINTER_BYTES`] is read, nothing bigger.
pub fn objects_in(git_dir: &Path) -> Result<Vec<LfsObject>, LfsError> {
    let fail = |message: String| LfsError { repo: git_dir.display().to_string(), message };
    let git = |args: &[&str]| {
        let mut c = Command::new("git");
        c.arg("--git-dir")
            .arg(git_dir)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_NO_REPLACE_OBJECTS", "1");
        c
    };
    let listing = git(&[
        "cat-file",
        "--batch-all-objects",
        "--unordered",
        "--batch-check=%(objecttype) %(objectsize) %(objectname)",
    ])
    .output()
    .map_err(|e| fail(format!("running git cat-file: {e}")))?;
    if !listing.status.success() {
        return Err(fail(String::from_utf8_lossy(&listing.stderr).trim().to_string()));
    }
    let small: Vec<&str> = std::str::from_utf8(&listing.stdout)
        .map_err(|_| fail("unexpected git cat-file output".into()))?
        .lines()
        .filter_map(|l| {
            let mut f = l.split(' ');
            let (kind, size, id) = (f.next()?, f.next()?.parse::<u64>().ok()?, f.next()?);
            (kind == "blob" && size < MAX_POINTER_BYTES).then_some(id)
        })
        .collect();
    let mut found = std::collections::BTreeSet::new();
    if small.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = git(&["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| fail(format!("running git cat-file: {e}")))?;
    let mut stdin = child.stdin.take().expect("piped");
    let ids = small.join("\n") + "\n";
    // Fed from another thread: git answers while we still write.
    let writer = std::thread::spawn(move || stdin.write_all(ids.as_bytes()));
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut header = String::new();
    for _ in 0..small.len() {
        header.clear();
        out.read_line(&mut header).map_err(|e| fail(e.to_string()))?;
        let size: usize = header
            .trim_end()
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| fail(format!("unexpected git cat-file answer `{}`", header.trim_end())))?;
        let mut data = vec![0; size + 1];
        out.read_exact(&mut data).map_err(|e| fail(e.to_string()))?;
        data.pop();
        if let Some(o) = parse_pointer(&data) {
            found.insert(o);
        }
    }
    writer.join().expect("writer").map_err(|e| fail(e.to_string()))?;
    let status = child.wait().map_err(|e| fail(e.to_string()))?;
    if !status.success() {
        return Err(fail(format!("git cat-file --batch failed: {status}")));
    }
    Ok(found.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OID: &str = "sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";

    #[test]
    fn pointers_and_look_alikes() {
        let ok = format!("version https://git-lfs.github.com/spec/v1\noid {OID}\nsize 12345\n");
        assert_eq!(parse_pointer(ok.as_bytes()), Some(LfsObject { oid: OID.into(), size: 12345 }));
        let ext = format!(
            "version https://git-lfs.github.com/spec/v1\next-0-foo sha256:{}\noid {OID}\nsize 1\n",
            "0".repeat(64)
        );
        assert_eq!(parse_pointer(ext.as_bytes()).map(|o| o.size), Some(1));
        for alias in ["https://hawser.github.com/spec/v1", "http://git-media.io/v/2"] {
            let old = format!("version {alias}\noid {OID}\nsize 7\n");
            assert_eq!(parse_pointer(old.as_bytes()).map(|o| o.size), Some(7), "{alias}");
        }
        for bad in [
            format!("version https://git-lfs.github.com/spec/v1\noid {OID}\n"),
            "version https://git-lfs.github.com/spec/v1\nsize 1\n".to_string(),
            format!("version https://git-lfs.github.com/spec/v1\noid {OID}\nsize 1"),
            format!("version https://example.com/v1\noid {OID}\nsize 1\n"),
            format!("version https://git-media.io/v/2\noid {OID}\nsize 1\n"),
            format!("version https://git-lfs.github.com/spec/v1\noid {}\nsize 1\n", OID.to_uppercase()),
            "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 1\n".to_string(),
            format!("version https://git-lfs.github.com/spec/v1\noid {OID}\nsize -1\n"),
            format!("version https://git-lfs.github.com/spec/v1\noid {OID}\nsize 1\n{}\n", "x".repeat(1024)),
            format!("oid {OID}\nversion https://git-lfs.github.com/spec/v1\nsize 1\n"),
        ] {
            assert_eq!(parse_pointer(bad.as_bytes()), None, "{bad:?}");
        }
    }
}
