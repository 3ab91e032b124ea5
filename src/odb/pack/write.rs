//! New objects go out as pack files, never as loose objects.
//!
//! A [`PackSink`] streams entries into one pack file and writes its version-2
//! index itself when finished: it knows every id, offset and checksum, so
//! nothing has to be inflated and hashed again, as an indexer would.
//! Objects that come from the monolith are copied as stored, compressed
//! bytes and deltas included, as long as a delta's base goes into the same
//! pack; otherwise they are written whole. New objects are never deltified.
//! Trees and commits written whole below [`STORE_BELOW`] bytes go in
//! stored (uncompressed) zlib blocks (see there). A copied delta whose base
//! is already in the pack points back at it by offset, as git's own packs
//! do.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use flate2::{Compress, Compression, FlushCompress, Status};
use git2::Oid;
use sha1::{Digest, Sha1};

use crate::odb::id::{id_prefix, key, IdSet};
use crate::odb::object::{ObjectError, ObjectKind};
use crate::util::fault;

/// A write failure naming the file, so a full disk says where.
fn io_at<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> ObjectError + 'a {
    move |source| ObjectError::Io { action, path: path.to_path_buf(), source }
}

/// Writes objects into one pack of a repository.
pub struct PackSink {
    dir: PathBuf,
    tmp: PathBuf,
    file: Option<BufWriter<File>>,
    /// Where the next entry starts.
    pub(super) offset: u64,
    /// The entries written, in writing order.
    entries: Vec<Written>,
    /// Objects in this pack (so a repeated tree is stored once).
    pub(super) written: IdSet,
    /// Objects written so far.
    pub objects: u64,
    /// Reset for every object: a new one clears hundreds of KiB of tables.
    z: Compress,
    /// The pack's checksum so far, and the object count it starts with,
    /// once that is known (see [`PackSink::expect_more`]).
    running: Option<(Sha1, u32)>,
}

/// An entry written: what the index records of it.
struct Written {
    id: [u8; 20],
    /// The CRC-32 of the entry as stored.
    crc32: u32,
    offset: u64,
}

/// Trees and commits written whole (new ones, and monolith ones whose delta
/// base stays behind) smaller than this are stored, not compressed:
/// starting each compression clears the compressor's hash table, which
/// costs more than the bytes it saves on such objects. A tree is mostly
/// object ids, which do not compress; a commit is a few of them in hex and
/// short lines of text, on which the fastest level, coding with fixed
/// Huffman tables, saves little.
const STORE_BELOW: usize = 4096;

/// A new compressor, as every object is compressed.
pub(super) fn compressor() -> Compress {
    Compress::new(Compression::fast(), true)
}

/// `data` as one zlib stream, with `z` (reset first).
fn deflate(z: &mut Compress, data: &[u8]) -> Result<Vec<u8>, ObjectError> {
    z.reset();
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    loop {
        let used = z.total_in() as usize;
        let status = z
            .compress_vec(&data[used..], &mut out, FlushCompress::Finish)
            .map_err(|e| ObjectError::Compress(e.to_string()))?;
        if status == Status::StreamEnd {
            return Ok(out);
        }
        out.reserve(out.capacity().max(64));
    }
}

/// `data` as a zlib stream of stored (uncompressed) deflate blocks, which
/// every inflater reads: no compressor state to set up.
fn stored(data: &[u8]) -> Vec<u8> {
    const MAX_BLOCK: usize = 0xffff;
    let blocks = data.len().div_ceil(MAX_BLOCK).max(1);
    let mut out = Vec::with_capacity(2 + 5 * blocks + data.len() + 4);
    // CMF: deflate with a 32 KiB window; FLG: no dictionary, fastest level,
    // and the check bits that make the pair a multiple of 31.
    out.extend_from_slice(&[0x78, 0x01]);
    for n in 0..blocks {
        let block = &data[(n * MAX_BLOCK).min(data.len())..((n + 1) * MAX_BLOCK).min(data.len())];
        let len = block.len() as u16;
        // BFINAL on the last block; BTYPE 00, stored.
        out.push(u8::from(n + 1 == blocks));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler2::adler32_slice(data).to_be_bytes());
    out
}

/// An object of kind `kind` as written whole: small trees and commits
/// stored (see [`STORE_BELOW`]), everything else compressed with `z`.
pub(super) fn compress(z: &mut Compress, kind: ObjectKind, data: &[u8]) -> Result<Vec<u8>, ObjectError> {
    if matches!(kind, ObjectKind::Tree | ObjectKind::Commit) && data.len() < STORE_BELOW {
        Ok(stored(data))
    } else {
        deflate(z, data)
    }
}

/// An offset delta's distance back to its base, in git's encoding: 7 bits
/// a byte, most significant first, each continuation adding one.
pub(super) fn ofs_delta_offset(mut back: u64, out: &mut Vec<u8>) {
    let mut bytes = [0u8; 10];
    let mut at = bytes.len() - 1;
    bytes[at] = (back & 0x7f) as u8;
    back >>= 7;
    while back != 0 {
        back -= 1;
        at -= 1;
        bytes[at] = 0x80 | (back & 0x7f) as u8;
        back >>= 7;
    }
    out.extend_from_slice(&bytes[at..]);
}

/// `n` in decimal, written at the end of `buf`: an object header's size,
/// without going through a formatter for every object.
fn decimal(mut n: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

/// An entry header: type code and size, 4 bits then 7 bits per byte.
pub(super) fn entry_header(kind: u8, mut size: u64, out: &mut Vec<u8>) {
    let mut byte = (kind << 4) | (size & 0x0f) as u8;
    size >>= 4;
    while size > 0 {
        out.push(byte | 0x80);
        byte = (size & 0x7f) as u8;
        size >>= 7;
    }
    out.push(byte);
}

impl PackSink {
    /// A sink writing a pack into the repository whose git directory is `git_dir`.
    pub fn new(git_dir: &Path) -> Result<PackSink, ObjectError> {
        let dir = git_dir.join("objects/pack");
        static SINKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = SINKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!("tmp_git_split_{}_{n}.pack", std::process::id()));
        Ok(PackSink {
            dir,
            tmp,
            file: None,
            offset: 0,
            entries: Vec::new(),
            written: IdSet::default(),
            objects: 0,
            z: compressor(),
            running: None,
        })
    }

    fn out(&mut self) -> Result<&mut BufWriter<File>, ObjectError> {
        if self.file.is_none() {
            fault::io_point("pack.create").map_err(io_at("creating", &self.tmp))?;
            let file = File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&self.tmp)
                .map_err(io_at("creating", &self.tmp))?;
            let mut f = BufWriter::with_capacity(1 << 20, file);
            // The object count is filled in when the pack is finished.
            f.write_all(b"PACK\0\0\0\x02\0\0\0\0").map_err(io_at("writing", &self.tmp))?;
            self.file = Some(f);
            self.offset = 12;
        }
        Ok(self.file.as_mut().expect("just opened"))
    }

    /// Writes one entry; returns where it starts.
    pub(super) fn entry(&mut self, id: [u8; 20], header: &[u8], data: &[u8]) -> Result<u64, ObjectError> {
        let mut crc = crc32fast::Hasher::new();
        crc.update(header);
        crc.update(data);
        fault::io_point("pack.entry").map_err(io_at("writing", &self.tmp))?;
        self.out()?;
        let (f, tmp) = (self.file.as_mut().expect("opened"), &self.tmp);
        f.write_all(header).and_then(|_| f.write_all(data)).map_err(io_at("writing", tmp))?;
        if let Some((h, _)) = &mut self.running {
            h.update(header);
            h.update(data);
        }
        let offset = self.offset;
        self.offset += (header.len() + data.len()) as u64;
        self.entries.push(Written { id, crc32: crc.finalize(), offset });
        self.objects += 1;
        Ok(offset)
    }

    /// Adds an object; returns its id.
    pub fn write(&mut self, kind: ObjectKind, data: &[u8]) -> Result<Oid, ObjectError> {
        // The id of an object we made, so plain SHA-1: libgit2's hash
        // detects collision attacks, which costs several times as much and
        // guards against nothing here.
        let mut h = Sha1::new();
        h.update(kind.name().as_bytes());
        h.update(b" ");
        h.update(decimal(data.len(), &mut [0; 20]));
        h.update(b"\0");
        h.update(data);
        let id = Oid::from_bytes(&h.finalize()).expect("20 bytes");
        self.write_as(id, kind, data)?;
        Ok(id)
    }

    /// Adds an object under an id known already: a monolith object read
    /// by its id is not hashed again, as the entries copied raw are not.
    pub(super) fn write_as(&mut self, id: Oid, kind: ObjectKind, data: &[u8]) -> Result<(), ObjectError> {
        if !self.written.insert(key(&id)) {
            return Ok(());
        }
        let mut header = Vec::with_capacity(10);
        entry_header(kind.code(), data.len() as u64, &mut header);
        let compressed = compress(&mut self.z, kind, data)?;
        self.entry(key(&id), &header, &compressed).map(|_| ())
    }

    /// Says that exactly `more` entries follow those written so far, so the
    /// pack's checksum, which starts with the object count, is taken from
    /// here on as entries are written: only what is written already is read
    /// back. Should the count turn out wrong, [`PackSink::finish`] reads the
    /// whole pack instead.
    pub(super) fn expect_more(&mut self, more: usize) -> Result<(), ObjectError> {
        let Ok(count) = u32::try_from(self.entries.len() + more) else { return Ok(()) };
        let mut h = Sha1::new();
        h.update(b"PACK\0\0\0\x02");
        h.update(count.to_be_bytes());
        if let Some(f) = &mut self.file {
            f.flush().map_err(io_at("writing", &self.tmp))?;
            hash_range(f.get_ref(), 12..self.offset, &mut h).map_err(io_at("checksumming", &self.tmp))?;
        }
        self.running = Some((h, count));
        Ok(())
    }

    /// Finishes the pack: object count, checksum, index, in place under
    /// git's names. Nothing is written when no object was.
    pub fn finish(&mut self) -> Result<(), ObjectError> {
        let Some(file) = self.file.take() else { return Ok(()) };
        fault::io_point("pack.finish").map_err(io_at("writing", &self.tmp))?;
        let mut file = file.into_inner().map_err(|e| io_at("writing", &self.tmp)(e.into_error()))?;
        let count = u32::try_from(self.entries.len()).map_err(|_| ObjectError::TooManyObjects)?;
        file.seek(SeekFrom::Start(8))
            .and_then(|_| file.write_all(&count.to_be_bytes()))
            .map_err(io_at("writing", &self.tmp))?;
        let running = self.running.take();
        // A wrong count is a bug in the caller; the reread below covers it.
        debug_assert!(running.as_ref().is_none_or(|(_, planned)| *planned == count), "count as expected");
        let checksum: [u8; 20] = match running {
            Some((h, planned)) if planned == count => h.finalize().into(),
            _ => {
                let mut hasher = Sha1::new();
                hash_range(&file, 0..self.offset, &mut hasher).map_err(io_at("checksumming", &self.tmp))?;
                hasher.finalize().into()
            }
        };
        file.seek(SeekFrom::End(0))
            .and_then(|_| file.write_all(&checksum))
            .map_err(io_at("writing", &self.tmp))?;
        drop(file);

        let name: String = checksum.iter().map(|b| format!("{b:02x}")).collect();
        let idx = index_v2(&mut self.entries, &checksum);
        let base = self.dir.join(format!("pack-{name}"));
        let idx_tmp = self.tmp.with_extension("idx");
        fault::io_point("pack.index").map_err(io_at("writing", &idx_tmp))?;
        std::fs::write(&idx_tmp, idx).map_err(io_at("writing", &idx_tmp))?;
        // The index last: git looks for packs by their index.
        std::fs::rename(&self.tmp, base.with_extension("pack")).map_err(io_at("naming", &self.tmp))?;
        fault::point("pack.named");
        std::fs::rename(&idx_tmp, base.with_extension("idx")).map_err(io_at("naming", &idx_tmp))?;
        self.entries.clear();
        self.written.clear();
        Ok(())
    }
}

impl Drop for PackSink {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Feeds bytes `range` of `file` to `h`.
fn hash_range(file: &File, range: std::ops::Range<u64>, h: &mut Sha1) -> std::io::Result<()> {
    let mut buf = vec![0u8; (1 << 20).min(range.end.saturating_sub(range.start)) as usize];
    let mut at = range.start;
    while at < range.end {
        let want = buf.len().min((range.end - at) as usize);
        let n = std::os::unix::fs::FileExt::read_at(file, &mut buf[..want], at)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        h.update(&buf[..n]);
        at += n as u64;
    }
    Ok(())
}

/// A version-2 pack index for `entries` of the pack with trailer `checksum`.
fn index_v2(entries: &mut [Written], checksum: &[u8; 20]) -> Vec<u8> {
    entries.sort_unstable_by(|a, b| id_prefix(&a.id).cmp(&id_prefix(&b.id)).then_with(|| a.id.cmp(&b.id)));
    let mut out = Vec::with_capacity(8 + 1024 + entries.len() * 28 + 40);
    out.extend_from_slice(b"\xfftOc\0\0\0\x02");
    let mut fanout = [0u32; 256];
    for e in entries.iter() {
        fanout[e.id[0] as usize] += 1;
    }
    let mut total = 0;
    for f in fanout {
        total += f;
        out.extend_from_slice(&total.to_be_bytes());
    }
    for e in entries.iter() {
        out.extend_from_slice(&e.id);
    }
    for e in entries.iter() {
        out.extend_from_slice(&e.crc32.to_be_bytes());
    }
    let mut large = Vec::new();
    for e in entries.iter() {
        if e.offset < 0x8000_0000 {
            out.extend_from_slice(&(e.offset as u32).to_be_bytes());
        } else {
            out.extend_from_slice(&(0x8000_0000 | large.len() as u32).to_be_bytes());
            large.push(e.offset);
        }
    }
    for l in large {
        out.extend_from_slice(&l.to_be_bytes());
    }
    out.extend_from_slice(checksum);
    let digest: [u8; 20] = Sha1::digest(&out).into();
    out.extend_from_slice(&digest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Offsets back to a base read back as git reads them (each
    /// continuation adds one before shifting), as `entry` decodes them.
    #[test]
    fn offset_delta_distances_round_trip() {
        for back in [1u64, 127, 128, 129, 16_511, 16_512, 1 << 30, u64::MAX >> 1] {
            let mut bytes = Vec::new();
            ofs_delta_offset(back, &mut bytes);
            let mut c = bytes[0];
            let mut got = u64::from(c & 0x7f);
            for &b in &bytes[1..] {
                assert!(c & 0x80 != 0, "{back}: a continuation bit on all but the last byte");
                c = b;
                got = ((got + 1) << 7) | u64::from(c & 0x7f);
            }
            assert_eq!(c & 0x80, 0, "{back}");
            assert_eq!(got, back);
        }
    }

    /// Stored streams, across the 64 KiB block limit, inflate back to their
    /// data with zlib's checks.
    #[test]
    fn stored_streams_inflate_to_their_data() {
        for len in [0usize, 1, 0xffff, 0x10000, 200_001] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 253) as u8).collect();
            let mut back = Vec::new();
            flate2::read::ZlibDecoder::new(&stored(&data)[..]).read_to_end(&mut back).unwrap();
            assert_eq!(back, data, "{len} bytes");
        }
    }

    /// Ids are git's for every kind and size (the header counts bytes),
    /// and git reads the finished pack back through its own index.
    #[test]
    fn written_objects_have_git_ids_and_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init_bare(tmp.path()).unwrap();
        let mut sink = PackSink::new(tmp.path()).unwrap();
        let big: Vec<u8> = (0..200_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let blob = sink.write(ObjectKind::Blob, &big).unwrap();
        let empty = sink.write(ObjectKind::Blob, b"").unwrap();
        let mut tree = b"100644 f\0".to_vec();
        tree.extend_from_slice(blob.as_bytes());
        let tree_id = sink.write(ObjectKind::Tree, &tree).unwrap();
        // A tree too large to be stored, and the empty tree.
        let mut large = Vec::new();
        for i in 0..STORE_BELOW / 20 {
            large.extend_from_slice(format!("100644 file-{i:05}\0").as_bytes());
            large.extend_from_slice(blob.as_bytes());
        }
        let large_id = sink.write(ObjectKind::Tree, &large).unwrap();
        let empty_tree = sink.write(ObjectKind::Tree, b"").unwrap();
        let commit = format!("tree {tree_id}\nauthor A <a@b> 1 +0000\ncommitter A <a@b> 1 +0000\n\nm\n");
        let commit_id = sink.write(ObjectKind::Commit, commit.as_bytes()).unwrap();
        // A commit too large to be stored.
        let long = format!("{commit}{}", "a long message line\n".repeat(STORE_BELOW / 16));
        let long_id = sink.write(ObjectKind::Commit, long.as_bytes()).unwrap();
        let tag = format!("object {commit_id}\ntype commit\ntag v\ntagger A <a@b> 1 +0000\n\nt\n");
        let tag_id = sink.write(ObjectKind::Tag, tag.as_bytes()).unwrap();
        sink.finish().unwrap();
        let odb = repo.odb().unwrap();
        for (id, kind, data) in [
            (blob, ObjectKind::Blob, &big[..]),
            (empty, ObjectKind::Blob, &b""[..]),
            (tree_id, ObjectKind::Tree, &tree[..]),
            (large_id, ObjectKind::Tree, &large[..]),
            (empty_tree, ObjectKind::Tree, &b""[..]),
            (commit_id, ObjectKind::Commit, commit.as_bytes()),
            (long_id, ObjectKind::Commit, long.as_bytes()),
            (tag_id, ObjectKind::Tag, tag.as_bytes()),
        ] {
            let git_kind = git2::ObjectType::from_str(kind.name()).unwrap();
            assert_eq!(id, Oid::hash_object(git_kind, data).unwrap());
            let back = odb.read(id).unwrap();
            assert_eq!((back.kind(), back.data()), (git_kind, data));
        }
    }
}
