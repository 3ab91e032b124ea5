//! The sizes of many blobs at once, for `plan`'s size figures.

use std::path::Path;

use git2::{Oid, Repository};

use super::pack::Packs;
use super::repo::{ctx, FileKind, GitError, TreeFile};

/// The sizes of `files` (0 for gitlinks; `None` for a blob the repository
/// does not have, as in a partial clone).
///
/// Sizes are read straight from the pack files of the repository at
/// `git_dir` and its alternates (module `odb::pack`): an entry header each,
/// and for a delta the first bytes of its data, which state the size of the
/// result. Each distinct id is looked up once. What is not in a usable pack
/// (loose objects, say) is asked of libgit2, whose header reads are split
/// across threads when there are many, each with its own handle (a libgit2
/// repository is not shared across threads).
pub fn blob_sizes(packs: &Packs, git_dir: &Path, files: &[TreeFile]) -> Result<Vec<Option<u64>>, GitError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    // Distinct ids, ascending, each with the files that name it. An id is
    // sorted as two integers (its first 16 bytes and last 4), not as bytes.
    if u32::try_from(files.len()).is_err() {
        return odb_blob_sizes(git_dir, files, threads);
    }
    let mut wanted: Vec<(u128, u32, u32)> = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        if f.kind == FileKind::Gitlink {
            continue;
        }
        let Ok(id) = <[u8; 20]>::try_from(f.oid.as_bytes()) else {
            // Not SHA-1: libgit2 reads them all.
            return odb_blob_sizes(git_dir, files, threads);
        };
        let (head, tail) = id.split_at(16);
        let head = u128::from_be_bytes(head.try_into().expect("16 bytes"));
        wanted.push((head, u32::from_be_bytes(tail.try_into().expect("4 bytes")), i as u32));
    }
    wanted.sort_unstable();
    let mut ids: Vec<[u8; 20]> = Vec::with_capacity(wanted.len());
    let mut last = None;
    for &(head, tail, _) in &wanted {
        if last != Some((head, tail)) {
            last = Some((head, tail));
            let mut id = [0; 20];
            id[..16].copy_from_slice(&head.to_be_bytes());
            id[16..].copy_from_slice(&tail.to_be_bytes());
            ids.push(id);
        }
    }

    let mut sizes = if packs.is_empty() { vec![None; ids.len()] } else { packs.sizes(&ids, threads) };
    let missing: Vec<usize> = (0..ids.len()).filter(|&k| sizes[k].is_none()).collect();
    if !missing.is_empty() {
        let oids: Vec<Oid> = missing.iter().map(|&k| Oid::from_bytes(&ids[k]).expect("20-byte id")).collect();
        for (&k, size) in missing.iter().zip(odb_sizes(git_dir, &oids, threads)?) {
            sizes[k] = size;
        }
    }

    let mut out = vec![Some(0); files.len()];
    let mut k = 0;
    let mut last = None;
    for (head, tail, i) in wanted {
        if last.is_some_and(|l| l != (head, tail)) {
            k += 1;
        }
        last = Some((head, tail));
        out[i as usize] = sizes[k];
    }
    Ok(out)
}

/// [`blob_sizes`] read through libgit2 alone.
fn odb_blob_sizes(git_dir: &Path, files: &[TreeFile], threads: usize) -> Result<Vec<Option<u64>>, GitError> {
    let blobs: Vec<Oid> = files.iter().filter(|f| f.kind != FileKind::Gitlink).map(|f| f.oid).collect();
    let mut sizes = odb_sizes(git_dir, &blobs, threads)?.into_iter();
    Ok(files
        .iter()
        .map(|f| if f.kind == FileKind::Gitlink { Some(0) } else { sizes.next().expect("one size per blob") })
        .collect())
}

/// The sizes of `oids` from libgit2 object headers (`None` for an object
/// the repository does not have), on up to `threads` threads when there
/// are many.
fn odb_sizes(git_dir: &Path, oids: &[Oid], threads: usize) -> Result<Vec<Option<u64>>, GitError> {
    let chunk = oids.len().div_ceil(threads).max(4096);
    let results: Vec<Result<Vec<Option<u64>>, GitError>> = std::thread::scope(|s| {
        let handles: Vec<_> = oids
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || -> Result<Vec<Option<u64>>, GitError> {
                    let repo = Repository::open(git_dir).map_err(ctx("opening the repository"))?;
                    let odb = repo.odb().map_err(ctx("opening the object database"))?;
                    part.iter()
                        .map(|&oid| match odb.read_header(oid) {
                            Ok((n, _)) => Ok(Some(n as u64)),
                            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
                            Err(e) => Err(ctx(format!("reading blob {oid}"))(e)),
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("size reader panicked")).collect()
    });
    let mut sizes = Vec::with_capacity(oids.len());
    for r in results {
        sizes.extend(r?);
    }
    Ok(sizes)
}
