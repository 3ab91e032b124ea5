//! New objects go out as pack files, never as loose objects.
//!
//! A [`PackSink`] streams entries into one pack file and writes its version-2
//! index itself when finished: it knows every id, offset and checksum, so
//! nothing has to be inflated and hashed again, as an indexer would.
//! Objects that come from the monolith are copied as stored, compressed
//! bytes and deltas included, as long as a delta's base goes into the same
//! pack; otherwise they are written whole. New objects are never deltified.
//! Trees written whole below [`STORE_BELOW`] bytes go in stored
//! (uncompressed) zlib blocks: they are mostly object ids, which do not
//! compress. A copied delta whose base is already in the pack points back
//! at it by offset, as git's own packs do.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use flate2::{Compress, Compression, FlushCompress, Status};
use git2::{ObjectType, Oid};
use sha1::{Digest, Sha1};

use super::object::{key, oid, IdSet, Key, RawTree, Source};
use crate::git_pack::{id_prefix as prefix, Base, Packs, ReadState};

/// Write failures.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {message}")]
pub struct PackError {
    /// What we were doing.
    pub context: String,
    /// Why it failed.
    pub message: String,
}

/// A write failure naming the file, so a full disk says where. Formats
/// only on failure: it guards every object written.
fn io_at<'a>(context: &'a str, path: &'a Path) -> impl FnOnce(std::io::Error) -> PackError + 'a {
    move |e| PackError { context: format!("{context} {}", path.display()), message: e.to_string() }
}

/// Objects per piece of work handed to a thread.
const PIECE: usize = 256;

/// How many entries ahead of the one being read to ask for.
const PREFETCH_AHEAD: usize = 8;

const OFS_DELTA: u8 = 6;
const REF_DELTA: u8 = 7;
const GITLINK: u32 = 0o160000;
const TREE: u32 = 0o40000;

/// Writes objects into one pack of a repository.
pub struct PackSink {
    dir: PathBuf,
    tmp: PathBuf,
    file: Option<BufWriter<File>>,
    offset: u64,
    /// (id, crc32 of the entry, offset), in writing order.
    entries: Vec<([u8; 20], u32, u64)>,
    /// Objects in this pack (so a repeated tree is stored once).
    written: IdSet,
    /// Objects written so far.
    pub objects: u64,
    /// Reset for every object: a new one clears hundreds of KiB of tables.
    z: Compress,
    /// The pack's checksum so far, and the object count it starts with,
    /// once that is known (see [`PackSink::expect_more`]).
    running: Option<(Sha1, u32)>,
}

/// Trees written whole (new ones, and monolith ones whose delta base stays
/// behind) smaller than this are stored, not compressed. Measured on
/// the 70k-commit bench (`benches/apply.rs`, team `web`): the 45k trees a
/// run writes, 105 bytes on average, compressed to 98% of their size, and
/// each compression started by clearing the compressor's 128 KiB hash
/// table, 6% of the run's CPU time.
const STORE_BELOW: usize = 4096;

/// A new compressor, as every object is compressed.
fn compressor() -> Compress {
    Compress::new(Compression::fast(), true)
}

/// `data` as one zlib stream, with `z` (reset first).
fn deflate(z: &mut Compress, data: &[u8]) -> Result<Vec<u8>, PackError> {
    z.reset();
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    loop {
        let used = z.total_in() as usize;
        let status = z
            .compress_vec(&data[used..], &mut out, FlushCompress::Finish)
            .map_err(|e| PackError { context: "compressing an object".into(), message: e.to_string() })?;
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

/// An object of type code `kind` as written whole: small trees stored (see
/// [`STORE_BELOW`]), everything else compressed with `z`.
fn compress(z: &mut Compress, kind: u8, data: &[u8]) -> Result<Vec<u8>, PackError> {
    if kind == 2 && data.len() < STORE_BELOW {
        Ok(stored(data))
    } else {
        deflate(z, data)
    }
}

fn type_code(kind: ObjectType) -> u8 {
    match kind {
        ObjectType::Commit => 1,
        ObjectType::Tree => 2,
        ObjectType::Blob => 3,
        ObjectType::Tag => 4,
        _ => unreachable!("only base object types are written"),
    }
}

/// An offset delta's distance back to its base, in git's encoding: 7 bits
/// a byte, most significant first, each continuation adding one.
fn ofs_delta_offset(mut back: u64, out: &mut Vec<u8>) {
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

/// An entry header: type and size, 4 bits then 7 bits per byte.
fn entry_header(kind: u8, mut size: u64, out: &mut Vec<u8>) {
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
    pub fn new(git_dir: &Path) -> Result<PackSink, PackError> {
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

    fn out(&mut self) -> Result<&mut BufWriter<File>, PackError> {
        if self.file.is_none() {
            crate::fault::io_point("pack.create").map_err(io_at("creating", &self.tmp))?;
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
    fn entry(&mut self, id: [u8; 20], header: &[u8], data: &[u8]) -> Result<u64, PackError> {
        let mut crc = crc32fast::Hasher::new();
        crc.update(header);
        crc.update(data);
        crate::fault::io_point("pack.entry").map_err(io_at("writing", &self.tmp))?;
        self.out()?;
        let (f, tmp) = (self.file.as_mut().expect("opened"), &self.tmp);
        f.write_all(header).and_then(|_| f.write_all(data)).map_err(io_at("writing", tmp))?;
        if let Some((h, _)) = &mut self.running {
            h.update(header);
            h.update(data);
        }
        let offset = self.offset;
        self.offset += (header.len() + data.len()) as u64;
        self.entries.push((id, crc.finalize(), offset));
        self.objects += 1;
        Ok(offset)
    }

    /// Adds an object; returns its id.
    pub fn write(&mut self, kind: ObjectType, data: &[u8]) -> Result<Oid, PackError> {
        // The id of an object we made, so plain SHA-1: libgit2's hash
        // detects collision attacks, which costs several times as much and
        // guards against nothing here.
        let mut h = Sha1::new();
        h.update(format!("{} {}\0", kind.str(), data.len()).as_bytes());
        h.update(data);
        let id = Oid::from_bytes(&h.finalize()).expect("20 bytes");
        self.write_as(id, kind, data)?;
        Ok(id)
    }

    /// Adds an object under an id known already: a monolith object read
    /// by its id is not hashed again, as the entries copied raw are not.
    fn write_as(&mut self, id: Oid, kind: ObjectType, data: &[u8]) -> Result<(), PackError> {
        if !self.written.insert(key(&id)) {
            return Ok(());
        }
        let mut header = Vec::with_capacity(10);
        entry_header(type_code(kind), data.len() as u64, &mut header);
        let compressed = compress(&mut self.z, type_code(kind), data)?;
        self.entry(key(&id), &header, &compressed).map(|_| ())
    }

    /// Adds the monolith objects in `needed`, and everything below the
    /// trees in `closure` (trees kept whole, whose content was not looked
    /// at), except what `have` (the packs the repository already holds)
    /// has: those packs are complete, so nothing below one of their trees
    /// is needed either. Trees are read, and objects whose delta base stays
    /// behind are rebuilt, on up to `threads` threads.
    pub fn copy_from(
        &mut self,
        src: &Source<'_>,
        packs: &Packs,
        have: &Packs,
        mut needed: IdSet,
        closure: &[Oid],
        threads: usize,
    ) -> Result<(), PackError> {
        let err = |e: super::tree::TreeError| PackError { context: e.context, message: e.message };
        // Level by level: each level's trees are read in parallel, and what
        // they hold that is new makes the next level.
        let mut level: Vec<Key> = closure.iter().map(key).filter(|t| !have.contains(t)).collect();
        // The trees walked, with their places: not looked up again below.
        let mut walked: Vec<Placed> = Vec::new();
        while !level.is_empty() {
            // Read in pack order: a directory's versions are delta chains
            // stored side by side, so each thread's cache then holds the
            // bases the next trees need.
            let (order, mut missed) = in_pack_order(packs, &level, threads);
            let pieces: Vec<&[Placed]> = order.chunks(PIECE).collect();
            let known = &needed;
            let read = crate::parallel::map_in_turn(&pieces, threads, ReadState::new, |state, piece| {
                let mut found: Vec<(Key, bool)> = Vec::new();
                let mut odd: Vec<Key> = Vec::new();
                for (j, &((pack, off, _), k)) in piece.iter().enumerate() {
                    if let Some(&((p, o, _), _)) = piece.get(j + PREFETCH_AHEAD) {
                        packs.prefetch(p, o);
                    }
                    let before = found.len();
                    // Versions of a directory share most entries: only what
                    // is new comes back, so a level costs what it adds.
                    let walked = packs
                        .read_located(pack, off, state)
                        .filter(|(kind, _)| *kind == 2)
                        .and_then(|(_, data)| {
                            RawTree::each_id(&data, |mode, id| {
                                if mode != GITLINK && !known.contains(id) && !have.contains(id) {
                                    found.push((*id, mode == TREE));
                                }
                            })
                        });
                    if walked.is_none() {
                        found.truncate(before);
                        odd.push(k);
                    }
                }
                // Sorted by the ids' first eight bytes, which almost always
                // decide and compare as one integer; a duplicate left apart
                // by a tie is dropped when the level is merged.
                found.sort_unstable_by_key(|(k, _)| prefix(k));
                found.dedup();
                (found, odd)
            });
            let mut found: Vec<Vec<(Key, bool)>> = Vec::with_capacity(read.len() + 1);
            for (f, odd) in read {
                found.push(f);
                missed.extend(odd);
            }
            // Not in a pack, or not as expected: libgit2 reads it, or says why not.
            let mut slow: Vec<(Key, bool)> = Vec::new();
            for t in &missed {
                let tree = RawTree::read(src, oid(t)).map_err(err)?;
                slow.extend(tree.iter().filter(|e| e.mode != GITLINK).map(|e| (key(&e.id), e.is_tree())));
            }
            found.push(slow);
            // A tree read by libgit2 is copied as it is read below too.
            let missed: IdSet = missed.into_iter().collect();
            walked.extend(order.into_iter().filter(|(_, k)| !missed.contains(k)));
            let mut next = Vec::new();
            for found in found {
                for (k, is_tree) in found {
                    if have.contains(&k) || !needed.insert(k) {
                        continue;
                    }
                    if is_tree {
                        next.push(k);
                    }
                }
            }
            level = next;
        }
        // A delta is kept only when its base is written here too.
        needed.retain(|k| !have.contains(k));
        // The rest are looked up: taken out of `needed` for a moment, the
        // trees walked leave only them (no second set, on a history of
        // millions of objects).
        for (_, k) in &walked {
            needed.remove(k);
        }
        let ids: Vec<Key> = needed.iter().copied().collect();
        needed.extend(walked.iter().map(|(_, k)| *k));
        let (found, mut loose) = in_pack_order(packs, &ids, threads);
        drop(ids);
        let mut located = walked;
        located.extend(found);
        located.sort_unstable_by_key(|((pack, off, _), _)| (*pack, *off));
        loose.sort_unstable();
        // Every entry still to come is known now (one per object, copied,
        // rebuilt or read whole): the pack's checksum can be taken as they
        // are written, instead of by reading the whole pack back.
        let more =
            located.iter().map(|(_, k)| k).chain(&loose).filter(|k| !self.written.contains(*k)).count();
        self.expect_more(more)?;
        // Entries that can be copied as stored are, now; the rest, whose
        // delta base stays behind, are rebuilt in parallel below.
        let mut rebuild: Vec<((u32, u64), Key)> = Vec::new();
        let mut header = Vec::with_capacity(32);
        // Where each of `located` went in this pack, once written (0, where
        // no entry starts, until then).
        let mut placed_at: Vec<u64> = vec![0; located.len()];
        for (i, &((pack, off, n), k)) in located.iter().enumerate() {
            // The entries are scattered among other teams' objects, too far
            // apart for the hardware to guess the next.
            if let Some(&((p, o, _), _)) = located.get(i + PREFETCH_AHEAD) {
                packs.prefetch(p, o);
            }
            if self.written.contains(&k) {
                continue;
            }
            let Some(e) = packs.entry(pack, off, n) else {
                rebuild.push(((pack, off), k));
                continue;
            };
            header.clear();
            // A delta is copied when its base is written here too: an
            // offset delta's base is then among the entries before it and,
            // unless it is rebuilt below, already in this pack, where the
            // delta points back at it as git's own packs do.
            match e.base {
                Base::None => entry_header(e.kind, e.size, &mut header),
                Base::Offset(b) => {
                    let Ok(j) = located[..i].binary_search_by_key(&(pack, b), |((p, o, _), _)| (*p, *o))
                    else {
                        rebuild.push(((pack, off), k));
                        continue;
                    };
                    match placed_at[j] {
                        0 => {
                            entry_header(REF_DELTA, e.size, &mut header);
                            header.extend_from_slice(&located[j].1);
                        }
                        // The pack is open: its base is in it.
                        at => {
                            entry_header(OFS_DELTA, e.size, &mut header);
                            ofs_delta_offset(self.offset - at, &mut header);
                        }
                    }
                }
                Base::Id(b) if needed.contains(&b) => {
                    entry_header(REF_DELTA, e.size, &mut header);
                    header.extend_from_slice(&b);
                }
                Base::Id(_) => {
                    rebuild.push(((pack, off), k));
                    continue;
                }
            }
            self.written.insert(k);
            placed_at[i] = self.entry(k, &header, e.data)?;
        }
        // A window at a time, so that rebuilt objects are not all held at once.
        for window in rebuild.chunks(PIECE * 16) {
            let pieces: Vec<&[((u32, u64), Key)]> = window.chunks(PIECE / 4).collect();
            let built = crate::parallel::map_in_turn(
                &pieces,
                threads,
                || (ReadState::new(), compressor()),
                |(state, z), piece| {
                    piece
                        .iter()
                        .map(|&((pack, off), k)| {
                            let Some((kind, data)) = packs.read_located(pack, off, state) else {
                                return Ok((k, None));
                            };
                            let mut header = Vec::with_capacity(10);
                            entry_header(kind, data.len() as u64, &mut header);
                            Ok((k, Some((header, compress(z, kind, &data)?))))
                        })
                        .collect::<Result<Vec<_>, PackError>>()
                },
            );
            for part in built {
                for (k, entry) in part? {
                    match entry {
                        Some((header, data)) if self.written.insert(k) => {
                            self.entry(k, &header, &data)?;
                        }
                        Some(_) => {}
                        None => loose.push(k),
                    }
                }
            }
        }
        loose.sort_unstable();
        for k in loose {
            self.copy_whole(src, oid(&k))?;
        }
        Ok(())
    }

    fn copy_whole(&mut self, src: &Source<'_>, id: Oid) -> Result<(), PackError> {
        let (kind, data) = src.read(id).map_err(|e| PackError {
            context: format!("reading object {id}"),
            message: e.message().to_string(),
        })?;
        self.write_as(id, kind, &data)
    }

    /// Says that exactly `more` entries follow those written so far, so the
    /// pack's checksum, which starts with the object count, is taken from
    /// here on as entries are written: only what is written already is read
    /// back. Should the count turn out wrong, [`PackSink::finish`] reads the
    /// whole pack instead.
    fn expect_more(&mut self, more: usize) -> Result<(), PackError> {
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
    pub fn finish(&mut self) -> Result<(), PackError> {
        let Some(file) = self.file.take() else { return Ok(()) };
        crate::fault::io_point("pack.finish").map_err(io_at("writing", &self.tmp))?;
        let mut file = file.into_inner().map_err(|e| io_at("writing", &self.tmp)(e.into_error()))?;
        let count = u32::try_from(self.entries.len()).map_err(|_| PackError {
            context: "writing a pack".into(),
            message: "too many objects".into(),
        })?;
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
        crate::fault::io_point("pack.index").map_err(io_at("writing", &idx_tmp))?;
        std::fs::write(&idx_tmp, idx).map_err(io_at("writing", &idx_tmp))?;
        // The index last: git looks for packs by their index.
        std::fs::rename(&self.tmp, base.with_extension("pack")).map_err(io_at("naming", &self.tmp))?;
        crate::fault::point("pack.named");
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
fn index_v2(entries: &mut [([u8; 20], u32, u64)], checksum: &[u8; 20]) -> Vec<u8> {
    entries.sort_unstable_by(|a, b| prefix(&a.0).cmp(&prefix(&b.0)).then_with(|| a.0.cmp(&b.0)));
    let mut out = Vec::with_capacity(8 + 1024 + entries.len() * 28 + 40);
    out.extend_from_slice(b"\xfftOc\0\0\0\x02");
    let mut fanout = [0u32; 256];
    for e in entries.iter() {
        fanout[e.0[0] as usize] += 1;
    }
    let mut total = 0;
    for f in fanout {
        total += f;
        out.extend_from_slice(&total.to_be_bytes());
    }
    for e in entries.iter() {
        out.extend_from_slice(&e.0);
    }
    for e in entries.iter() {
        out.extend_from_slice(&e.1.to_be_bytes());
    }
    let mut large = Vec::new();
    for e in entries.iter() {
        if e.2 < 0x8000_0000 {
            out.extend_from_slice(&(e.2 as u32).to_be_bytes());
        } else {
            out.extend_from_slice(&(0x8000_0000 | large.len() as u32).to_be_bytes());
            large.push(e.2);
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

/// An object's place in the packs (pack, offset, position in the index)
/// and its id.
type Placed = ((u32, u64, u32), Key);

/// Where each of `ids` is stored, sorted by pack and offset (bases before
/// their offset deltas, pages read in order), looked up on `threads`
/// threads; and the ids no pack holds.
fn in_pack_order(packs: &Packs, ids: &[Key], threads: usize) -> (Vec<Placed>, Vec<Key>) {
    let pieces: Vec<&[Key]> = ids.chunks(PIECE).collect();
    let found = crate::parallel::map_in_turn(
        &pieces,
        threads,
        || (),
        |_, piece| piece.iter().map(|k| (packs.locate_one(k), *k)).collect::<Vec<_>>(),
    );
    let mut located = Vec::with_capacity(ids.len());
    let mut loose = Vec::new();
    for (at, k) in found.into_iter().flatten() {
        match at {
            Some(at) => located.push((at, k)),
            None => loose.push(k),
        }
    }
    located.sort_unstable_by_key(|(at, _)| (at.0, at.1));
    (located, loose)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Offsets back to a base read back as git reads them (each
    /// continuation adds one before shifting), as `git_pack` decodes them.
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
        let blob = sink.write(ObjectType::Blob, &big).unwrap();
        let empty = sink.write(ObjectType::Blob, b"").unwrap();
        let mut tree = b"100644 f\0".to_vec();
        tree.extend_from_slice(blob.as_bytes());
        let tree_id = sink.write(ObjectType::Tree, &tree).unwrap();
        // A tree too large to be stored, and the empty tree.
        let mut large = Vec::new();
        for i in 0..STORE_BELOW / 20 {
            large.extend_from_slice(format!("100644 file-{i:05}\0").as_bytes());
            large.extend_from_slice(blob.as_bytes());
        }
        let large_id = sink.write(ObjectType::Tree, &large).unwrap();
        let empty_tree = sink.write(ObjectType::Tree, b"").unwrap();
        let commit = format!("tree {tree_id}\nauthor A <a@b> 1 +0000\ncommitter A <a@b> 1 +0000\n\nm\n");
        let commit_id = sink.write(ObjectType::Commit, commit.as_bytes()).unwrap();
        let tag = format!("object {commit_id}\ntype commit\ntag v\ntagger A <a@b> 1 +0000\n\nt\n");
        let tag_id = sink.write(ObjectType::Tag, tag.as_bytes()).unwrap();
        sink.finish().unwrap();
        let odb = repo.odb().unwrap();
        for (id, kind, data) in [
            (blob, ObjectType::Blob, &big[..]),
            (empty, ObjectType::Blob, &b""[..]),
            (tree_id, ObjectType::Tree, &tree[..]),
            (large_id, ObjectType::Tree, &large[..]),
            (empty_tree, ObjectType::Tree, &b""[..]),
            (commit_id, ObjectType::Commit, commit.as_bytes()),
            (tag_id, ObjectType::Tag, tag.as_bytes()),
        ] {
            assert_eq!(id, Oid::hash_object(kind, data).unwrap());
            let back = odb.read(id).unwrap();
            assert_eq!((back.kind(), back.data()), (kind, data));
        }
    }
}
