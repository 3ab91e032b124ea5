//! One pack and its version-2 index, mapped: finding an id's entry, and
//! the entries in pack order (git's `.rev`, or sorted here).

use std::path::{Path, PathBuf};

use super::map::Map;
use super::{ID, IDX_HEADER, TRAILER};
use crate::odb::id::id_prefix;

pub(super) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn be64(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// One pack with its version-2 index, both checked for shape on opening.
pub(super) struct Pack {
    /// Where the index is: its `.rev` is beside it.
    pub(super) idx_path: PathBuf,
    pub(super) idx: Map,
    pub(super) pack: Map,
    /// Objects in the pack.
    pub(super) count: usize,
    /// Entries of the large-offset table.
    pub(super) large: usize,
    /// The entries in pack order, built on first need: where an entry
    /// ends, and which object an offset delta's base is.
    pub(super) order: std::sync::OnceLock<Order>,
}

/// A pack's entries by place, and the way back.
pub(super) struct Order {
    /// (offset, index position), by offset.
    pub(super) by_offset: Vec<(u64, u32)>,
    /// Each index position's place in `by_offset` (`u32::MAX` for an entry
    /// whose offset is impossible): what git keeps in a `.rev` file, so
    /// that finding where an entry ends is one lookup, not a search.
    pub(super) rank: Vec<u32>,
}

impl Pack {
    /// Opens `<name>.idx` and `<name>.pack`, or `None` when either is
    /// missing, not version 2, or they do not belong together.
    pub(super) fn open(idx_path: &Path) -> Option<Pack> {
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

    pub(super) fn id(&self, n: usize) -> &[u8] {
        let at = IDX_HEADER + n * ID;
        &self.idx.bytes()[at..at + ID]
    }

    /// The position of `id` in the index, searching from `from` on (ids are
    /// looked up in ascending order, so earlier positions are behind us).
    pub(super) fn find(&self, id: &[u8; ID], from: usize) -> Result<usize, usize> {
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
    pub(super) fn offset(&self, n: usize) -> Option<u64> {
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
        (off >= 12 && off < (self.pack.len() - TRAILER) as u64).then_some(off)
    }

    /// Hints that the entry at `off` (a valid offset) is about to be read.
    #[inline]
    pub(super) fn prefetch(&self, off: u64) {
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

    /// The entries in pack order, from git's `.rev` or sorted here on first need.
    pub(super) fn order(&self) -> &Order {
        self.order.get_or_init(|| self.order_from_rev().unwrap_or_else(|| self.order_by_sorting()))
    }

    pub(super) fn order_by_sorting(&self) -> Order {
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
    pub(super) fn order_from_rev(&self) -> Option<Order> {
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

    /// The id of the object whose entry starts at `off`.
    #[cfg(test)]
    pub(super) fn id_at(&self, off: u64) -> Option<[u8; ID]> {
        let by_offset = &self.order().by_offset;
        let k = by_offset.binary_search_by_key(&off, |e| e.0).ok()?;
        Some(self.id(by_offset[k].1 as usize).try_into().expect("20 bytes"))
    }
}
