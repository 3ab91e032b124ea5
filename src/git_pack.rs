//! Object sizes read straight from the repository's pack files.
//!
//! libgit2 reads an object header with a per-pack lock, a zlib stream set up
//! per object and, for a delta, a walk down its chain just to learn the
//! type. A size needs none of that: a whole object's pack entry states its
//! size, and a delta's data starts with two varints, the base's size and the
//! result's. So this module maps the pack indexes (version 2) and packs,
//! finds each object's entry and inflates at most the first few bytes of a
//! delta. Whatever it cannot answer for certain (loose objects, version-1
//! indexes, anything that does not parse) it leaves to the caller, which
//! asks libgit2.

use std::fs::File;
use std::path::{Path, PathBuf};

mod prefix;

pub use prefix::EachPrefix;

/// Length of an object id (SHA-1).
const ID: usize = 20;
/// Pack index header: magic, version, 256-entry fanout.
const IDX_HEADER: usize = 8 + 256 * 4;
/// Pack and index trailers hold SHA-1 checksums.
const TRAILER: usize = 20;
/// How deep `objects/info/alternates` may nest (git's limit).
const MAX_ALTERNATE_DEPTH: usize = 5;

/// A read-only, private memory map of a whole file.
///
/// Git never rewrites a pack or an index in place (new ones are written
/// aside and renamed; old ones are unlinked), nor does git-split a state's
/// segment, so the mapped bytes cannot change or shrink under us: an
/// unlinked file stays mapped until dropped.
pub(crate) struct Map {
    ptr: *mut std::ffi::c_void,
    len: usize,
}

// SAFETY: the mapping is read-only and owned; sharing `&[u8]` views of it
// across threads is like sharing any immutable buffer.
unsafe impl Send for Map {}
unsafe impl Sync for Map {}

impl Map {
    pub(crate) fn open(path: &Path) -> Option<Map> {
        let file = File::open(path).ok()?;
        let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
        if len == 0 {
            return None;
        }
        // SAFETY: a fresh mapping chosen by the kernel (null hint), read-only
        // and private; see the type's comment on why the file is stable.
        let ptr = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                len,
                rustix::mm::ProtFlags::READ,
                rustix::mm::MapFlags::PRIVATE,
                &file,
                0,
            )
        }
        .ok()?;
        Some(Map { ptr, len })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes for as long as `self` lives.
        unsafe { std::slice::from_raw_parts(self.ptr as *const u8, self.len) }
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `open` mapped; no view outlives `self`.
        unsafe {
            let _ = rustix::mm::munmap(self.ptr, self.len);
        }
    }
}

/// The first eight bytes of an id as an integer, which orders ids as
/// their bytes do wherever they differ there (almost always, ids being
/// random): one integer comparison instead of a `memcmp` call.
pub(crate) fn id_prefix(id: &[u8]) -> u64 {
    u64::from_be_bytes(id[..8].try_into().expect("8 bytes"))
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn be64(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// One pack with its version-2 index, both checked for shape on opening.
struct Pack {
    /// Where the index is: its `.rev` is beside it.
    idx_path: PathBuf,
    idx: Map,
    pack: Map,
    /// Objects in the pack.
    count: usize,
    /// Entries of the large-offset table.
    large: usize,
    /// The entries in pack order, built on first need: where an entry
    /// ends, and which object an offset delta's base is.
    order: std::sync::OnceLock<Order>,
}

/// A packed object's entry as stored, for copying it into another pack
/// without inflating it.
pub struct RawEntry<'a> {
    /// 1 to 4 for a whole commit, tree, blob or tag; 6 or 7 for a delta.
    pub kind: u8,
    /// The size the entry header states: the object's, or the delta data's.
    pub size: u64,
    /// A delta's base, as the entry names it.
    pub base: Base,
    /// The compressed data (a zlib stream).
    pub data: &'a [u8],
}

/// A pack's entries by place, and the way back.
struct Order {
    /// (offset, index position), by offset.
    by_offset: Vec<(u64, u32)>,
    /// Each index position's place in `by_offset` (`u32::MAX` for an entry
    /// whose offset is impossible): what git keeps in a `.rev` file, so
    /// that finding where an entry ends is one lookup, not a search.
    rank: Vec<u32>,
}

impl Pack {
    /// Opens `<name>.idx` and `<name>.pack`, or `None` when either is
    /// missing, not version 2, or they do not belong together.
    fn open(idx_path: &Path) -> Option<Pack> {
        let idx = Map::open(idx_path)?;
        let pack = Map::open(&idx_path.with_extension("pack"))?;
        let (i, p) = (idx.bytes(), pack.bytes());
        if i.len() < IDX_HEADER + 2 * TRAILER || i[..4] != *b"\xfftOc" || be32(i, 4) != 2 {
            return None;
        }
        let mut prev = 0;
        for b in 0..256 {
            let n = be32(i, 8 + 4 * b);
            if n < prev {
                return None;
            }
            prev = n;
        }
        let count = prev as usize;
        let fixed = IDX_HEADER.checked_add(count.checked_mul(ID + 4 + 4)?)?.checked_add(2 * TRAILER)?;
        let extra = i.len().checked_sub(fixed)?;
        if extra % 8 != 0 {
            return None;
        }
        if p.len() < 12 + TRAILER
            || p[..4] != *b"PACK"
            || !matches!(be32(p, 4), 2 | 3)
            || be32(p, 8) as usize != count
            || p[p.len() - TRAILER..] != i[i.len() - 2 * TRAILER..i.len() - TRAILER]
        {
            return None;
        }
        Some(Pack {
            idx_path: idx_path.to_path_buf(),
            idx,
            pack,
            count,
            large: extra / 8,
            order: std::sync::OnceLock::new(),
        })
    }

    fn fanout(&self, byte: usize) -> usize {
        be32(self.idx.bytes(), 8 + 4 * byte) as usize
    }

    fn id(&self, n: usize) -> &[u8] {
        let at = IDX_HEADER + n * ID;
        &self.idx.bytes()[at..at + ID]
    }

    /// The position of `id` in the index, searching from `from` on (ids are
    /// looked up in ascending order, so earlier positions are behind us).
    fn find(&self, id: &[u8; ID], from: usize) -> Result<usize, usize> {
        let b = id[0] as usize;
        let lo = if b == 0 { 0 } else { self.fanout(b - 1) }.max(from);
        let hi = self.fanout(b);
        if lo >= hi {
            return Err(lo.min(hi));
        }
        // Ids are random: the first eight bytes almost always decide, and
        // one integer comparison of them is cheaper than a `memcmp` call.
        let want = id_prefix(id);
        let prefix = id_prefix;
        let cmp = |n: usize| {
            let got = self.id(n);
            prefix(got).cmp(&want).then_with(|| got[8..].cmp(&id[8..]))
        };
        let (mut lo, mut hi) = (lo, hi);
        // Being random, ids are also evenly spread: guessing `id`'s place
        // from the ids at the range's ends lands within a few dozen entries
        // of it in a range of thousands, so the search touches a few cache
        // lines instead of a dozen scattered ones. The guesses are bounded;
        // a range of ids chosen to be uneven only falls back to halving.
        for _ in 0..3 {
            if hi - lo <= 16 {
                break;
            }
            let (first, last) = (prefix(self.id(lo)), prefix(self.id(hi - 1)));
            if want <= first || want >= last {
                break;
            }
            let guess =
                lo + ((u128::from(want - first) * (hi - 1 - lo) as u128) / u128::from(last - first)) as usize;
            match cmp(guess) {
                std::cmp::Ordering::Less => lo = guess + 1,
                std::cmp::Ordering::Greater => hi = guess,
                std::cmp::Ordering::Equal => return Ok(guess),
            }
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match cmp(mid) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// The pack offset of index entry `n`, if it is a possible one.
    fn offset(&self, n: usize) -> Option<u64> {
        let i = self.idx.bytes();
        let small = be32(i, IDX_HEADER + self.count * (ID + 4) + 4 * n);
        let off = if small & 0x8000_0000 == 0 {
            u64::from(small)
        } else {
            let k = (small & 0x7fff_ffff) as usize;
            if k >= self.large {
                return None;
            }
            be64(i, IDX_HEADER + self.count * (ID + 8) + 8 * k)
        };
        (off >= 12 && off < (self.pack.len - TRAILER) as u64).then_some(off)
    }

    /// Hints that the entry at `off` (a valid offset) is about to be read.
    #[inline]
    fn prefetch(&self, off: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let p = self.pack.bytes()[off as usize..].as_ptr();
            // SAFETY: a prefetch never faults and changes no state; `p` is
            // inside the mapping anyway.
            #[allow(unused_unsafe)]
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(p as *const i8)
            };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = off;
    }

    /// The size of the object whose entry starts at `off`: stated in the
    /// entry header of a whole object, in the delta data's header for a
    /// delta. `None` when the entry does not parse.
    fn size_at(&self, off: u64, inflater: &mut Inflater) -> Option<u64> {
        let (kind, size, _, start) = self.header_at(off)?;
        match kind {
            // Commit, tree, blob, tag: the header states the size.
            1..=4 => Some(size),
            // A delta: its data starts with the base's size and the result's.
            _ => delta_result_size(self.pack.bytes()[..self.pack.len - TRAILER].get(start..)?, inflater),
        }
    }
}

/// Where a delta's base is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    /// Not a delta.
    None,
    /// At this offset in the same pack.
    Offset(u64),
    /// The object with this id.
    Id([u8; ID]),
}

impl Pack {
    /// The entry header at `off`: kind, stated size, base, where the zlib
    /// stream starts.
    fn header_at(&self, off: u64) -> Option<(u8, u64, Base, usize)> {
        let data = &self.pack.bytes()[..self.pack.len - TRAILER];
        let mut p = usize::try_from(off).ok()?;
        let mut c = *data.get(p)?;
        p += 1;
        let kind = (c >> 4) & 7;
        let mut size = u64::from(c & 0x0f);
        let mut shift = 4;
        while c & 0x80 != 0 {
            c = *data.get(p)?;
            p += 1;
            size = add_bits(size, c, shift)?;
            shift += 7;
        }
        let base = match kind {
            1..=4 => Base::None,
            6 => {
                // git's offset encoding: each continuation adds one before shifting.
                let mut c = *data.get(p)?;
                p += 1;
                let mut back = u64::from(c & 0x7f);
                while c & 0x80 != 0 {
                    c = *data.get(p)?;
                    p += 1;
                    back = back.checked_add(1)?.checked_mul(128)? | u64::from(c & 0x7f);
                }
                Base::Offset(off.checked_sub(back)?)
            }
            7 => {
                let id = data.get(p..p + ID)?.try_into().expect("20 bytes");
                p += ID;
                Base::Id(id)
            }
            _ => return None,
        };
        Some((kind, size, base, p))
    }

    fn order(&self) -> &Order {
        self.order.get_or_init(|| self.order_from_rev().unwrap_or_else(|| self.order_by_sorting()))
    }

    fn order_by_sorting(&self) -> Order {
        let mut by_offset: Vec<(u64, u32)> =
            (0..self.count).filter_map(|n| Some((self.offset(n)?, n as u32))).collect();
        by_offset.sort_unstable();
        let mut rank = vec![u32::MAX; self.count];
        for (at, &(_, n)) in by_offset.iter().enumerate() {
            rank[n as usize] = at as u32;
        }
        Order { by_offset, rank }
    }

    /// The order git keeps beside the pack (`pack-*.rev`, written by
    /// default since git 2.41), read instead of sorting a million offsets.
    /// It is checked as it is read, every position once and offsets rising,
    /// which makes it the sorted order whatever its checksum says; `None`
    /// when it is absent, of another pack, or not right.
    fn order_from_rev(&self) -> Option<Order> {
        let rev = Map::open(&self.idx_path.with_extension("rev"))?;
        let (r, p) = (rev.bytes(), self.pack.bytes());
        if r.len() != 12 + 4 * self.count + 2 * TRAILER
            || r[..4] != *b"RIDX"
            || be32(r, 4) != 1
            // The hash function: 1 is SHA-1.
            || be32(r, 8) != 1
            || r[r.len() - 2 * TRAILER..r.len() - TRAILER] != p[p.len() - TRAILER..]
        {
            return None;
        }
        let mut by_offset = Vec::with_capacity(self.count);
        let mut rank = vec![u32::MAX; self.count];
        let mut last = 0;
        for at in 0..self.count {
            let n = be32(r, 12 + 4 * at);
            let slot = rank.get_mut(n as usize)?;
            let off = self.offset(n as usize)?;
            if *slot != u32::MAX || off <= last {
                return None;
            }
            *slot = at as u32;
            last = off;
            by_offset.push((off, n));
        }
        Some(Order { by_offset, rank })
    }

    /// The entry at `off`, index position `n`, or `None` when it does not parse.
    fn entry(&self, off: u64, n: usize) -> Option<RawEntry<'_>> {
        let (kind, size, base, start) = self.header_at(off)?;
        let Order { by_offset, rank } = self.order();
        let at = rank.get(n).copied().filter(|&r| r != u32::MAX)? as usize;
        // The caller's offset and position must name one entry.
        if by_offset.get(at)?.0 != off {
            return None;
        }
        let end = by_offset.get(at + 1).map_or((self.pack.len - TRAILER) as u64, |e| e.0);
        let data = self.pack.bytes().get(start..usize::try_from(end).ok()?)?;
        Some(RawEntry { kind, size, base, data })
    }

    /// The id of the object whose entry starts at `off`.
    #[cfg(test)]
    fn id_at(&self, off: u64) -> Option<[u8; ID]> {
        let by_offset = &self.order().by_offset;
        let k = by_offset.binary_search_by_key(&off, |e| e.0).ok()?;
        Some(self.id(by_offset[k].1 as usize).try_into().expect("20 bytes"))
    }
}

/// `size | (c & 0x7f) << shift`, or `None` when bits would be lost.
fn add_bits(size: u64, c: u8, shift: u32) -> Option<u64> {
    let bits = u64::from(c & 0x7f);
    if bits == 0 {
        return Some(size);
    }
    if shift >= 64 || (bits << shift) >> shift != bits {
        return None;
    }
    Some(size | bits << shift)
}

/// The base offset and size of a delta's copy instruction, whose opcode `op`
/// was just read: `p` is past it, and moves past the fields the opcode's
/// bits say follow. `None` when the delta ends inside them.
fn copy_op(op: u8, delta: &[u8], p: &mut usize) -> Option<(usize, usize)> {
    let mut field = |bits: u8, shift: u32| -> Option<usize> {
        let mut v = 0usize;
        for i in 0..bits {
            if op & (1 << (shift + u32::from(i))) != 0 {
                v |= usize::from(*delta.get(*p)?) << (8 * i);
                *p += 1;
            }
        }
        Some(v)
    };
    let offset = field(4, 0)?;
    let size = field(3, 4)?;
    // A size of 0 stands for 64 KiB, the most one instruction copies.
    Some((offset, if size == 0 { 0x10000 } else { size }))
}

/// Reads a delta-header varint from `buf`: the value and the bytes it took,
/// or `None` when it is incomplete or too large.
fn delta_varint(buf: &[u8]) -> Option<(u64, usize)> {
    let mut size = 0;
    let mut shift = 0;
    for (n, &c) in buf.iter().enumerate() {
        size = add_bits(size, c, shift)?;
        shift += 7;
        if c & 0x80 == 0 {
            return Some((size, n + 1));
        }
    }
    None
}

/// The result size stated by the zlib-compressed delta data at the start of
/// `stream`: the second of its two leading varints. Inflates only as far as
/// those need (two varints of at most 10 bytes each).
fn delta_result_size(stream: &[u8], inflater: &mut Inflater) -> Option<u64> {
    let mut out = [0u8; 20];
    let n = inflater.prefix(stream, &mut out)?;
    let out = &out[..n];
    let (_base, k) = delta_varint(out)?;
    let (result, _) = delta_varint(&out[k..])?;
    Some(result)
}

/// Entries a thread reads at a time (in pack order).
const PIECE: usize = 4096;
/// How many entries ahead of the one being read to prefetch.
const PREFETCH_AHEAD: usize = 8;

/// Where an object was found: which pack, at which offset.
#[derive(Clone, Copy)]
struct Location {
    pack: u32,
    offset: u64,
}

/// The packs of a repository and of its alternates.
pub struct Packs {
    packs: Vec<Pack>,
}

impl Packs {
    /// Opens every usable pack of the repository whose git directory is
    /// `git_dir` (none is not an error: everything falls back).
    pub fn open(git_dir: &Path) -> Packs {
        let mut dirs = Vec::new();
        object_dirs(&common_dir(git_dir).join("objects"), 0, &mut dirs);
        let mut packs = Vec::new();
        for dir in &dirs {
            let Ok(entries) = std::fs::read_dir(dir.join("pack")) else { continue };
            let mut idxs: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "idx"))
                .collect();
            idxs.sort();
            packs.extend(idxs.iter().filter_map(|p| Pack::open(p)));
        }
        Packs { packs }
    }

    /// How many packs are usable.
    pub fn len(&self) -> usize {
        self.packs.len()
    }

    /// True when no pack is usable.
    pub fn is_empty(&self) -> bool {
        self.packs.is_empty()
    }

    /// The size of each of `ids` (ascending, distinct) that is in a pack,
    /// `None` for the rest. Parts are looked up on up to `threads` threads.
    pub fn sizes(&self, ids: &[[u8; ID]], threads: usize) -> Vec<Option<u64>> {
        self.sizes_in_pieces(ids, threads, PIECE)
    }

    /// [`Packs::sizes`], the threads taking `piece` entries at a time.
    fn sizes_in_pieces(&self, ids: &[[u8; ID]], threads: usize, piece: usize) -> Vec<Option<u64>> {
        if self.packs.is_empty() {
            return vec![None; ids.len()];
        }
        let locations = self.locate(ids);
        // Read entries in pack order: the mapped pages are touched in one
        // sweep instead of at random.
        let mut order: Vec<(Location, u32)> =
            (0..ids.len() as u32).filter_map(|k| locations[k as usize].map(|l| (l, k))).collect();
        drop(locations);
        order.sort_unstable_by_key(|&(l, _)| (l.pack, l.offset));
        // Threads take pieces in turn, so that one sharing its core with
        // other work does not hold the rest up.
        let pieces: Vec<&[(Location, u32)]> = order.chunks(piece.max(1)).collect();
        let parts = crate::parallel::map_in_turn(&pieces, threads, Inflater::new, |inflater, part| {
            let mut out = Vec::with_capacity(part.len());
            for (j, &(l, k)) in part.iter().enumerate() {
                // Ask for an entry a few ahead: its first bytes are then in
                // cache by the time they are parsed.
                if let Some((ahead, _)) = part.get(j + PREFETCH_AHEAD) {
                    self.packs[ahead.pack as usize].prefetch(ahead.offset);
                }
                out.push((k, self.packs[l.pack as usize].size_at(l.offset, inflater)));
            }
            out
        });
        let mut sizes = vec![None; ids.len()];
        for (k, size) in parts.into_iter().flatten() {
            sizes[k as usize] = size;
        }
        sizes
    }

    /// Which pack holds `id`, at which offset: `(pack, offset, index position)`.
    pub fn locate_one(&self, id: &[u8; ID]) -> Option<(u32, u64, u32)> {
        self.packs.iter().enumerate().find_map(|(p, pack)| {
            let n = pack.find(id, 0).ok()?;
            Some((p as u32, pack.offset(n)?, n as u32))
        })
    }

    /// Every commit stored whole (not as a delta) in the packs, as
    /// `(pack, offset, id)`, in pack order.
    pub fn whole_commits(&self) -> Vec<(u32, u64, [u8; ID])> {
        let mut out = Vec::new();
        for (p, pack) in self.packs.iter().enumerate() {
            for &(off, n) in &pack.order().by_offset {
                if let Some((1, ..)) = pack.header_at(off) {
                    out.push((p as u32, off, pack.id(n as usize).try_into().expect("20 bytes")));
                }
            }
        }
        out
    }

    /// Is `id` in one of the packs?
    pub fn contains(&self, id: &[u8; ID]) -> bool {
        self.packs.iter().any(|p| p.find(id, 0).is_ok())
    }

    /// Sorts every pack's entries by place, which [`Packs::entry`] needs
    /// to tell where an entry ends: a second or so per ten million
    /// objects, better spent on a thread that has nothing else to do than
    /// in the middle of the first copy.
    pub fn prepare_entries(&self) {
        for p in &self.packs {
            p.order();
        }
    }

    /// Hints that the entry at a place [`Packs::locate_one`] gave is about
    /// to be read: its first bytes are then in cache when parsed.
    pub fn prefetch(&self, pack: u32, off: u64) {
        if let Some(p) = self.packs.get(pack as usize) {
            if off < p.pack.len as u64 {
                p.prefetch(off);
            }
        }
    }

    /// The raw entry at a place [`Packs::locate_one`] gave.
    pub fn entry(&self, pack: u32, off: u64, n: u32) -> Option<RawEntry<'_>> {
        self.packs.get(pack as usize)?.entry(off, n as usize)
    }

    /// The id of the object whose entry starts at `off` in `pack`: an
    /// offset delta's base, for tests (the copy finds its bases' places
    /// among its own entries).
    #[cfg(test)]
    fn id_at(&self, pack: u32, off: u64) -> Option<[u8; ID]> {
        self.packs.get(pack as usize)?.id_at(off)
    }

    /// Reads object `id` whole: its kind (1 to 4) and content, or `None`
    /// when it is not in a pack or its entry does not parse (the caller
    /// then asks libgit2, which reports the trouble properly).
    pub fn read(&self, id: &[u8; ID], state: &mut ReadState) -> Option<(u8, std::sync::Arc<[u8]>)> {
        let (pack, off, _) = self.locate_one(id)?;
        self.read_at(pack, off, state, 0)
    }

    /// [`Packs::read`] for an object [`Packs::locate_one`] found already.
    pub fn read_located(
        &self,
        pack: u32,
        off: u64,
        state: &mut ReadState,
    ) -> Option<(u8, std::sync::Arc<[u8]>)> {
        self.read_at(pack, off, state, 0)
    }

    fn read_at(
        &self,
        pack: u32,
        off: u64,
        state: &mut ReadState,
        depth: usize,
    ) -> Option<(u8, std::sync::Arc<[u8]>)> {
        if let Some(&(kind, ref data, true)) = state.cache.get(&(pack, off)) {
            return Some((kind, data.clone()));
        }
        // git makes chains of at most 50 (250 for --aggressive); a longer
        // one is left to libgit2 rather than risk the stack.
        if depth > 1000 {
            return None;
        }
        let p = &self.packs[pack as usize];
        let (kind, size, base, start) = p.header_at(off)?;
        let stream = p.pack.bytes().get(start..p.pack.len - TRAILER)?;
        let size = usize::try_from(size).ok()?;
        let (kind, data): (u8, std::sync::Arc<[u8]>) = match base {
            Base::None => (kind, state.inflater.whole(stream, size)?.into()),
            base => {
                let (base_kind, base_data) = match base {
                    Base::Offset(o) => self.read_at(pack, o, state, depth + 1)?,
                    Base::Id(b) => {
                        let (bp, bo, _) = self.locate_one(&b)?;
                        self.read_at(bp, bo, state, depth + 1)?
                    }
                    Base::None => unreachable!(),
                };
                let delta = state.inflater.whole(stream, size)?;
                (base_kind, apply_delta(&base_data, &delta)?.into())
            }
        };
        // Commits are read once; trees are read again as delta bases.
        if kind != 1 {
            state.remember((pack, off), kind, data.clone(), true);
        }
        Some((kind, data))
    }

    /// Finds each of `ids` (ascending) in the first pack that has it.
    fn locate(&self, ids: &[[u8; ID]]) -> Vec<Option<Location>> {
        let mut found: Vec<Option<Location>> = vec![None; ids.len()];
        for (p, pack) in self.packs.iter().enumerate() {
            let mut from = 0;
            let mut missing = 0;
            for (id, slot) in ids.iter().zip(found.iter_mut()) {
                if slot.is_some() {
                    continue;
                }
                match pack.find(id, from) {
                    Ok(n) => {
                        from = n + 1;
                        *slot = pack.offset(n).map(|offset| Location { pack: p as u32, offset });
                        missing += usize::from(slot.is_none());
                    }
                    Err(n) => {
                        from = n;
                        missing += 1;
                    }
                }
            }
            if missing == 0 {
                break;
            }
        }
        found
    }
}

/// An object read before: kind, content, and whether that is all of it
/// (else its first bytes, from [`Packs::read_prefix`]).
type Cached = (u8, std::sync::Arc<[u8]>, bool);

/// What one reading thread keeps between reads: a decompressor and the
/// objects read lately, which are likely delta bases of the next ones.
pub struct ReadState {
    inflater: Inflater,
    cache: std::collections::HashMap<(u32, u64), Cached>,
    order: std::collections::VecDeque<(u32, u64)>,
    bytes: usize,
}

impl Default for ReadState {
    fn default() -> ReadState {
        ReadState::new()
    }
}

impl ReadState {
    /// Bytes of objects kept for later reads.
    const CACHE_BYTES: usize = 32 << 20;

    /// A fresh state.
    pub fn new() -> ReadState {
        ReadState {
            inflater: Inflater::new(),
            cache: std::collections::HashMap::new(),
            order: std::collections::VecDeque::new(),
            bytes: 0,
        }
    }

    fn remember(&mut self, at: (u32, u64), kind: u8, data: std::sync::Arc<[u8]>, whole: bool) {
        if data.len() > Self::CACHE_BYTES / 8 {
            return;
        }
        while self.bytes + data.len() > Self::CACHE_BYTES {
            let Some(old) = self.order.pop_front() else { break };
            if let Some((_, d, _)) = self.cache.remove(&old) {
                self.bytes -= d.len();
            }
        }
        self.bytes += data.len();
        self.order.push_back(at);
        if let Some((_, old, _)) = self.cache.insert(at, (kind, data, whole)) {
            self.bytes -= old.len();
        }
    }
}

/// Applies git delta `delta` to `base`; `None` when it does not fit.
fn apply_delta(base: &[u8], delta: &[u8]) -> Option<Vec<u8>> {
    let (base_len, a) = delta_varint(delta)?;
    let (len, b) = delta_varint(&delta[a..])?;
    if base_len != base.len() as u64 {
        return None;
    }
    let mut out = Vec::with_capacity(usize::try_from(len).ok()?);
    let mut p = a + b;
    while p < delta.len() {
        let op = delta[p];
        p += 1;
        if op & 0x80 != 0 {
            let (offset, size) = copy_op(op, delta, &mut p)?;
            out.extend_from_slice(base.get(offset..offset.checked_add(size)?)?);
        } else if op != 0 {
            out.extend_from_slice(delta.get(p..p + usize::from(op))?);
            p += usize::from(op);
        } else {
            return None;
        }
    }
    (out.len() as u64 == len).then_some(out)
}

/// The directory holding the objects of `git_dir`: itself, or for a linked
/// work tree the main repository's, named by its `commondir` file.
fn common_dir(git_dir: &Path) -> PathBuf {
    match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(s) if !s.trim_end_matches(['\n', '\r']).is_empty() => {
            git_dir.join(s.trim_end_matches(['\n', '\r']))
        }
        _ => git_dir.to_path_buf(),
    }
}

/// `objects` and, recursively, the object directories it borrows from
/// (`info/alternates`: one per line, relative ones relative to `objects`).
fn object_dirs(objects: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let key = std::fs::canonicalize(objects).unwrap_or_else(|_| objects.to_path_buf());
    if out.contains(&key) {
        return;
    }
    out.push(key);
    if depth >= MAX_ALTERNATE_DEPTH {
        return;
    }
    let Ok(list) = std::fs::read_to_string(objects.join("info/alternates")) else { return };
    for line in list.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        object_dirs(&objects.join(line), depth + 1, out);
    }
}

/// Inflates the start of a zlib stream: a delta's header is its first few
/// bytes. miniz_oxide's core decompressor is used directly: it writes into a
/// small buffer and its state re-initialises cheaply, where flate2's
/// `reset` clears a 32 KiB window for every object (three times slower here).
struct Inflater(Box<miniz_oxide::inflate::core::DecompressorOxide>, flate2::Decompress);

impl Inflater {
    fn new() -> Inflater {
        Inflater(Box::default(), flate2::Decompress::new(true))
    }

    /// Inflates the whole of `stream`, which must give exactly `size` bytes.
    /// (zlib proper here: for whole objects it is faster than miniz_oxide,
    /// whose per-block table set-up dominates on small streams.)
    fn whole(&mut self, stream: &[u8], size: usize) -> Option<Vec<u8>> {
        self.1.reset(true);
        let mut out = Vec::with_capacity(size);
        let status = self.1.decompress_vec(stream, &mut out, flate2::FlushDecompress::Finish).ok()?;
        (status == flate2::Status::StreamEnd && out.len() == size).then_some(out)
    }

    /// Inflates `stream` until `out` is full or the stream ends, with zlib
    /// proper: past the first few bytes it is faster than miniz_oxide.
    /// Returns the bytes produced, or `None` for a damaged stream.
    fn head(&mut self, stream: &[u8], out: &mut [u8]) -> Option<usize> {
        self.1.reset(true);
        match self.1.decompress(stream, out, flate2::FlushDecompress::None) {
            Ok(_) => Some(self.1.total_out() as usize),
            Err(_) => None,
        }
    }

    /// Inflates `stream` until `out` is full or the stream ends; returns the
    /// bytes produced, or `None` for a damaged stream.
    fn prefix(&mut self, stream: &[u8], out: &mut [u8]) -> Option<usize> {
        use miniz_oxide::inflate::core::{decompress, inflate_flags};
        use miniz_oxide::inflate::TINFLStatus;
        self.0.init();
        let flags = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER
            | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF
            | inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
        let (status, _, written) = decompress(&mut self.0, stream, out, 0, flags);
        match status {
            TINFLStatus::Done | TINFLStatus::HasMoreOutput | TINFLStatus::NeedsMoreInput => Some(written),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(["-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "gc.auto=0"])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .expect("run git");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// git's reverse index gives the order sorting does, and one that is
    /// wrong in any way is passed over.
    #[test]
    fn a_reverse_index_is_read_when_right() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q", "-b", "main", "."]);
        for c in 0..20 {
            std::fs::write(dir.join(format!("f{}", c % 7)), format!("{c}\n").repeat(c + 1)).unwrap();
            git(dir, &["add", "-A"]);
            git(dir, &["commit", "-q", "-m", &format!("c{c}")]);
        }
        git(dir, &["-c", "pack.writeReverseIndex=true", "repack", "-q", "-a", "-d"]);
        let packs = Packs::open(&dir.join(".git"));
        let pack = &packs.packs[0];
        let sorted = pack.order_by_sorting();
        let read = pack.order_from_rev().expect("git's .rev is read");
        assert_eq!((&read.by_offset, &read.rank), (&sorted.by_offset, &sorted.rank));
        assert!(sorted.by_offset.len() > 40);
        let rev = pack.idx_path.with_extension("rev");
        let good = std::fs::read(&rev).unwrap();
        let mut perms = std::fs::metadata(&rev).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&rev, perms).unwrap();
        let damage = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut bytes = good.clone();
            f(&mut bytes);
            std::fs::write(&rev, bytes).unwrap();
            pack.order_from_rev()
        };
        // Two positions swapped; one repeated; one out of range; cut short.
        assert!(damage(&|b| b.swap(12 + 3, 12 + 4 * 5 + 3)).is_none());
        assert!(damage(&|b| b.copy_within(12..16, 16)).is_none());
        assert!(damage(&|b| b[12..16].copy_from_slice(&u32::MAX.to_be_bytes())).is_none());
        assert!(damage(&|b| b.truncate(b.len() - 4)).is_none());
        // Another pack's.
        assert!(damage(&|b| {
            let at = b.len() - 2 * TRAILER;
            b[at] ^= 1;
        })
        .is_none());
        assert!(damage(&|_| {}).is_some());
    }

    /// Every packed object is answered here (none left to libgit2), and
    /// right: offset and ref deltas, whole objects, 64-bit offsets.
    #[test]
    fn every_packed_object_is_read_from_the_pack() {
        for (repack, index) in [
            (&["gc", "-q", "--aggressive"][..], None),
            (&["-c", "repack.useDeltaBaseOffset=false", "repack", "-q", "-a", "-d", "-f"][..], None),
            (&["repack", "-q", "-a", "-d"][..], Some("--index-version=2,100")),
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path();
            git(dir, &["init", "-q", "-b", "main", "."]);
            for c in 0..12 {
                for f in 0..6 {
                    let text: String = (0..200 * f + 3)
                        .map(|l| format!("{f} {l} {}\n", if l == c { c } else { 0 }))
                        .collect();
                    std::fs::write(dir.join(format!("f{f}")), text).unwrap();
                }
                git(dir, &["add", "-A"]);
                git(dir, &["commit", "-q", "-m", &format!("c{c}")]);
            }
            git(dir, repack);
            if let Some(flag) = index {
                for e in std::fs::read_dir(dir.join(".git/objects/pack")).unwrap() {
                    let p = e.unwrap().path();
                    if p.extension().is_some_and(|e| e == "pack") {
                        let idx = p.with_extension("idx");
                        std::fs::remove_file(&idx).unwrap();
                        git(dir, &["index-pack", flag, "-o", idx.to_str().unwrap(), p.to_str().unwrap()]);
                    }
                }
            }
            let listing = git(
                dir,
                &[
                    "cat-file",
                    "--batch-all-objects",
                    "--batch-check=%(objectname) %(objectsize) %(deltabase)",
                ],
            );
            let mut want: Vec<([u8; ID], u64, bool)> = listing
                .lines()
                .map(|l| {
                    let f: Vec<&str> = l.split(' ').collect();
                    let id = git2::Oid::from_str(f[0]).unwrap().as_bytes().try_into().unwrap();
                    (id, f[1].parse().unwrap(), f[2].bytes().any(|b| b != b'0'))
                })
                .collect();
            want.sort_unstable();
            assert!(want.iter().filter(|w| w.2).count() > want.len() / 3, "{repack:?}: deltas expected");
            let packs = Packs::open(&dir.join(".git"));
            assert_eq!(packs.len(), 1);
            let ids: Vec<[u8; ID]> = want.iter().map(|w| w.0).collect();
            for (threads, piece) in [(1, PIECE), (2, PIECE), (3, 7), (2, 1)] {
                let got = packs.sizes_in_pieces(&ids, threads, piece);
                for (w, g) in want.iter().zip(&got) {
                    assert_eq!(*g, Some(w.1), "{repack:?}: {}", git2::Oid::from_bytes(&w.0).unwrap());
                }
            }
            // Whole reads (deltas resolved) and raw entries agree with libgit2.
            let repo = git2::Repository::open(dir).unwrap();
            let odb = repo.odb().unwrap();
            let mut state = ReadState::new();
            for id in &ids {
                let oid = git2::Oid::from_bytes(id).unwrap();
                let want = odb.read(oid).unwrap();
                let (kind, data) = packs.read(id, &mut state).expect("read from the pack");
                assert_eq!(&*data, want.data(), "{repack:?}: {oid}");
                for max in [0, 1, 5, 100, 1000, 5000, data.len(), data.len() + 1] {
                    let (k, head) = packs.read_prefix(id, max, &mut state).expect("prefix read");
                    assert_eq!((k, &head[..]), (kind, &data[..max.min(data.len())]), "{repack:?}: {oid}");
                }
                let kinds = [
                    git2::ObjectType::Commit,
                    git2::ObjectType::Tree,
                    git2::ObjectType::Blob,
                    git2::ObjectType::Tag,
                ];
                assert_eq!(kinds[kind as usize - 1], want.kind());
                let (p, off, n) = packs.locate_one(id).expect("located");
                let raw = packs.entry(p, off, n).expect("entry parses");
                assert_eq!(raw.base != Base::None, raw.kind >= 6);
                if let Base::Offset(b) = raw.base {
                    let base = packs.id_at(p, b).expect("an offset delta's base is an entry");
                    let (bp, boff, _) = packs.locate_one(&base).expect("the base is located");
                    assert_eq!((bp, boff), (p, b), "{repack:?}: {oid}'s base");
                }
            }
            let absent = [[0u8; ID], [0x7f; ID], [0xff; ID]];
            assert_eq!(packs.sizes(&absent, 1), vec![None; 3]);
            // Prefixes in bulk, in pack order, agree with whole reads.
            let all: Vec<[u8; ID]> = ids.iter().chain(&absent).copied().collect();
            let got = std::sync::Mutex::new(Vec::new());
            packs.each_prefix(&all, 300, 2, &|k, found| {
                got.lock().unwrap().push((k, found.map(|(kind, data)| (kind, data.to_vec()))));
            });
            let mut got = got.into_inner().unwrap();
            got.sort();
            assert_eq!(got.len(), all.len());
            for ((k, found), id) in got.into_iter().zip(&all) {
                let want = packs.read(id, &mut state).map(|(kind, d)| (kind, d[..d.len().min(300)].to_vec()));
                assert_eq!(found, want, "{repack:?}: {k}");
            }
        }
    }

    #[test]
    fn varints() {
        assert_eq!(delta_varint(&[0x05]), Some((5, 1)));
        assert_eq!(delta_varint(&[0x80 | 0x10, 0x01]), Some((0x90, 2)));
        assert_eq!(delta_varint(&[0x80]), None);
        assert_eq!(
            delta_varint(&[0xff; 9].iter().copied().chain([0x01]).collect::<Vec<_>>()),
            Some((u64::MAX, 10))
        );
        assert_eq!(delta_varint(&[0xff; 9].iter().copied().chain([0x02]).collect::<Vec<_>>()), None);
    }
}
