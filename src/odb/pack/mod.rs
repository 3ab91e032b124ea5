//! The repository's pack files, read straight from memory maps.
//!
//! libgit2 reads an object with a per-pack lock, a zlib stream set up per
//! object and, for a delta, a walk down its chain just to learn the type.
//! The engine reads millions of trees and commits, and plan needs millions
//! of sizes: so this module maps the pack indexes (version 2) and packs,
//! finds each object's entry itself, and inflates only what is asked for
//! (a size needs at most the first bytes of a delta). Whatever it cannot
//! answer for certain (loose objects, version-1 indexes, anything that does
//! not parse) it leaves to the caller, which asks libgit2.
//!
//! - [`map`]: files mapped read-only;
//! - `index`: one pack and its index (finding ids, entries in pack order);
//! - `entry`: entry headers, typed ([`Stored`]), and raw entries;
//! - `delta`, `inflate`: git's delta format and zlib;
//! - `read`, `prefix`: whole objects, and an object's first bytes;
//! - `cache`: what a reading thread keeps ([`ReadState`]);
//! - [`write`]: new packs ([`PackSink`]); `copy`: copying the monolith's
//!   entries into one as stored.

use std::path::{Path, PathBuf};

mod cache;
mod copy;
mod delta;
mod entry;
mod index;
mod inflate;
pub mod map;
mod prefix;
mod read;
pub mod write;

pub use cache::ReadState;
pub use entry::{RawEntry, Stored};
pub use write::PackSink;

use index::Pack;
use inflate::Inflater;

/// Length of an object id (SHA-1).
const ID: usize = 20;
/// Pack index header: magic, version, 256-entry fanout.
const IDX_HEADER: usize = 8 + 256 * 4;
/// Pack and index trailers hold SHA-1 checksums.
const TRAILER: usize = 20;
/// How deep `objects/info/alternates` may nest (git's limit).
const MAX_ALTERNATE_DEPTH: usize = 5;

/// Entries a thread reads at a time (in pack order).
const PIECE: usize = 4096;
/// How many entries ahead of the one being read to prefetch.
const PREFETCH_AHEAD: usize = 8;

/// Where an object's entry is: which pack, at which offset, and its
/// position in that pack's index (which says where the entry ends).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    /// The pack, by its number in [`Packs`].
    pub pack: u32,
    /// Where the entry starts in the pack.
    pub offset: u64,
    /// The object's position in the pack's index.
    pub index: u32,
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
        let places = self.locate(ids);
        // Read entries in pack order: the mapped pages are touched in one
        // sweep instead of at random.
        let mut order: Vec<(Place, u32)> =
            (0..ids.len() as u32).filter_map(|k| places[k as usize].map(|l| (l, k))).collect();
        drop(places);
        order.sort_unstable_by_key(|&(l, _)| (l.pack, l.offset));
        // Threads take pieces in turn, so that one sharing its core with
        // other work does not hold the rest up.
        let pieces: Vec<&[(Place, u32)]> = order.chunks(piece.max(1)).collect();
        let parts = crate::util::parallel::map_in_turn(&pieces, threads, Inflater::new, |inflater, part| {
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

    /// Where `id`'s entry is, in the first pack that has it.
    pub fn locate_one(&self, id: &[u8; ID]) -> Option<Place> {
        self.packs.iter().enumerate().find_map(|(p, pack)| {
            let n = pack.find(id, 0).ok()?;
            Some(Place { pack: p as u32, offset: pack.offset(n)?, index: n as u32 })
        })
    }

    /// Every commit stored whole (not as a delta) in the packs, with its
    /// place and id, in pack order.
    pub fn whole_commits(&self) -> Vec<(Place, [u8; ID])> {
        let mut out = Vec::new();
        for (p, pack) in self.packs.iter().enumerate() {
            for &(offset, n) in &pack.order().by_offset {
                let whole_commit = pack
                    .header_at(offset)
                    .is_some_and(|h| h.stored == Stored::Whole(crate::odb::object::ObjectKind::Commit));
                if whole_commit {
                    let place = Place { pack: p as u32, offset, index: n };
                    out.push((place, pack.id(n as usize).try_into().expect("20 bytes")));
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
    /// to tell where an entry ends: worth doing on a thread that has
    /// nothing else to do rather than in the middle of the first copy.
    pub fn prepare_entries(&self) {
        for p in &self.packs {
            p.order();
        }
    }

    /// Hints that the entry at `place` is about to be read: its first bytes
    /// are then in cache when parsed.
    pub fn prefetch(&self, place: Place) {
        if let Some(p) = self.packs.get(place.pack as usize) {
            if place.offset < p.pack.len() as u64 {
                p.prefetch(place.offset);
            }
        }
    }

    /// The raw entry at `place`.
    pub fn entry(&self, place: Place) -> Option<RawEntry<'_>> {
        self.packs.get(place.pack as usize)?.entry(place.offset, place.index as usize)
    }

    /// The id of the object whose entry starts at `offset` in `pack`: an
    /// offset delta's base, for tests (the copy finds its bases' places
    /// among its own entries).
    #[cfg(test)]
    fn id_at(&self, pack: u32, offset: u64) -> Option<[u8; ID]> {
        self.packs.get(pack as usize)?.id_at(offset)
    }

    /// Finds each of `ids` (ascending) in the first pack that has it.
    fn locate(&self, ids: &[[u8; ID]]) -> Vec<Option<Place>> {
        let mut found: Vec<Option<Place>> = vec![None; ids.len()];
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
                        *slot =
                            pack.offset(n).map(|offset| Place { pack: p as u32, offset, index: n as u32 });
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

/// The directory holding the objects of `git_dir`: itself, or for a linked
/// work tree the main repository's, named by its `commondir` file.
pub(crate) fn common_dir(git_dir: &Path) -> PathBuf {
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

#[cfg(test)]
mod tests;
