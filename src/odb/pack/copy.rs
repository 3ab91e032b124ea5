//! Copying the monolith's objects into a new pack as they are stored.
//!
//! [`PackSink::copy_from`] runs in four steps: walk the trees kept whole
//! down to everything below them ([`PackSink::walk_closure`]); find every
//! object's place, in pack order ([`in_pack_order`]); copy the entries
//! that can go as stored, deltas included when their base comes along
//! ([`PackSink::copy_stored`]); and rebuild, in parallel, those whose delta
//! base stays behind ([`PackSink::rebuild`]). What no pack holds is read
//! through libgit2 and written whole.

use git2::Oid;

use super::entry::{Stored, OFS_DELTA, REF_DELTA};
use super::write::{compress, compressor, entry_header, ofs_delta_offset};
use super::{PackSink, Packs, Place, ReadState};
use crate::odb::id::{id_prefix, key, oid, IdSet, Key};
use crate::odb::object::{ObjectError, ObjectKind, Source};
use crate::odb::tree::{RawTree, MODE_GITLINK, MODE_TREE};
use crate::util::parallel::map_in_turn;

/// Objects per piece of work handed to a thread.
const PIECE: usize = 256;

/// How many entries ahead of the one being read to ask for.
const PREFETCH_AHEAD: usize = 8;

/// An object's place in the packs, and its id.
type Placed = (Place, Key);

impl PackSink {
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
    ) -> Result<(), ObjectError> {
        let walked = walk_closure(src, packs, have, &mut needed, closure, threads)?;
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
        located.sort_unstable_by_key(|(at, _)| (at.pack, at.offset));
        loose.sort_unstable();
        // Every entry still to come is known now (one per object, copied,
        // rebuilt or read whole): the pack's checksum can be taken as they
        // are written, instead of by reading the whole pack back.
        let more =
            located.iter().map(|(_, k)| k).chain(&loose).filter(|k| !self.written.contains(*k)).count();
        self.expect_more(more)?;
        let rebuild = self.copy_stored(packs, &located, &needed)?;
        drop(located);
        loose.extend(self.rebuild(packs, &rebuild, threads)?);
        loose.sort_unstable();
        for k in loose {
            self.copy_whole(src, oid(&k))?;
        }
        Ok(())
    }

    /// Copies the entries of `located` (sorted by place) that can go as
    /// stored; returns those whose delta base stays behind, to rebuild.
    fn copy_stored(
        &mut self,
        packs: &Packs,
        located: &[Placed],
        needed: &IdSet,
    ) -> Result<Vec<Placed>, ObjectError> {
        let mut rebuild = Vec::new();
        let mut header = Vec::with_capacity(32);
        // Where each of `located` went in this pack, once written (0, where
        // no entry starts, until then).
        let mut placed_at: Vec<u64> = vec![0; located.len()];
        for (i, &(place, k)) in located.iter().enumerate() {
            // The entries are scattered among other teams' objects, too far
            // apart for the hardware to guess the next.
            if let Some(&(ahead, _)) = located.get(i + PREFETCH_AHEAD) {
                packs.prefetch(ahead);
            }
            if self.written.contains(&k) {
                continue;
            }
            let Some(e) = packs.entry(place) else {
                rebuild.push((place, k));
                continue;
            };
            header.clear();
            // A delta is copied when its base is written here too: an
            // offset delta's base is then among the entries before it and,
            // unless it is rebuilt below, already in this pack, where the
            // delta points back at it as git's own packs do.
            match e.stored {
                Stored::Whole(kind) => entry_header(kind.code(), e.size, &mut header),
                Stored::OffsetDelta(b) => {
                    let base =
                        located[..i].binary_search_by_key(&(place.pack, b), |(p, _)| (p.pack, p.offset));
                    let Ok(j) = base else {
                        rebuild.push((place, k));
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
                Stored::RefDelta(b) if needed.contains(&b) => {
                    entry_header(REF_DELTA, e.size, &mut header);
                    header.extend_from_slice(&b);
                }
                Stored::RefDelta(_) => {
                    rebuild.push((place, k));
                    continue;
                }
            }
            self.written.insert(k);
            placed_at[i] = self.entry(k, &header, e.data)?;
        }
        Ok(rebuild)
    }

    /// Writes the objects of `rebuild` whole, read and compressed on
    /// `threads` threads a window at a time (so that they are not all held
    /// at once); returns those the packs could not read after all.
    fn rebuild(
        &mut self,
        packs: &Packs,
        rebuild: &[Placed],
        threads: usize,
    ) -> Result<Vec<Key>, ObjectError> {
        let mut unread = Vec::new();
        for window in rebuild.chunks(PIECE * 16) {
            let pieces: Vec<&[Placed]> = window.chunks(PIECE / 4).collect();
            let built = map_in_turn(
                &pieces,
                threads,
                || (ReadState::new(), compressor()),
                |(state, z), piece| {
                    piece
                        .iter()
                        .map(|&(place, k)| {
                            // Its base stays behind: only what it copies
                            // from that is read.
                            let Some((kind, data)) = packs.read_sparing_bases(place, state) else {
                                return Ok((k, None));
                            };
                            let mut header = Vec::with_capacity(10);
                            entry_header(kind.code(), data.len() as u64, &mut header);
                            Ok((k, Some((header, compress(z, kind, &data)?))))
                        })
                        .collect::<Result<Vec<_>, ObjectError>>()
                },
            );
            for part in built {
                for (k, entry) in part? {
                    match entry {
                        Some((header, data)) if self.written.insert(k) => {
                            self.entry(k, &header, &data)?;
                        }
                        Some(_) => {}
                        None => unread.push(k),
                    }
                }
            }
        }
        Ok(unread)
    }

    /// Writes object `id` whole, as libgit2 reads it.
    fn copy_whole(&mut self, src: &Source<'_>, id: Oid) -> Result<(), ObjectError> {
        let (kind, data) = src.read(id)?;
        self.write_as(id, kind, &data)
    }
}

/// Walks the trees of `closure` down, level by level: each level's trees
/// are read in parallel, and what they hold that is new (not in `needed`,
/// not in `have`) goes into `needed` and makes the next level. Returns the
/// trees walked, with their places, so that they are not looked up again.
fn walk_closure(
    src: &Source<'_>,
    packs: &Packs,
    have: &Packs,
    needed: &mut IdSet,
    closure: &[Oid],
    threads: usize,
) -> Result<Vec<Placed>, ObjectError> {
    let mut level: Vec<Key> = closure.iter().map(key).filter(|t| !have.contains(t)).collect();
    let mut walked: Vec<Placed> = Vec::new();
    while !level.is_empty() {
        // Read in pack order: a directory's versions are delta chains
        // stored side by side, so each thread's cache then holds the
        // bases the next trees need.
        let (order, mut missed) = in_pack_order(packs, &level, threads);
        let (mut found, odd) = read_level(packs, have, needed, &order, threads);
        missed.extend(odd);
        // Not in a pack, or not as expected: libgit2 reads it, or says why not.
        let mut slow: Vec<(Key, bool)> = Vec::new();
        for t in &missed {
            let tree = RawTree::read(src, oid(t))?;
            slow.extend(tree.iter().filter(|e| e.mode != MODE_GITLINK).map(|e| (key(&e.id), e.is_tree())));
        }
        found.push(slow);
        // A tree read by libgit2 is copied as it is read below too.
        let missed: IdSet = missed.into_iter().collect();
        walked.extend(order.into_iter().filter(|(_, k)| !missed.contains(k)));
        let mut next = Vec::new();
        for (k, is_tree) in found.into_iter().flatten() {
            if !have.contains(&k) && needed.insert(k) && is_tree {
                next.push(k);
            }
        }
        level = next;
    }
    Ok(walked)
}

/// Reads the trees of one level (`order`, in pack order) on `threads`
/// threads: per piece, the entries that are new (id, is a tree), sorted
/// and without repeats; and the trees the packs could not read.
fn read_level(
    packs: &Packs,
    have: &Packs,
    known: &IdSet,
    order: &[Placed],
    threads: usize,
) -> (Vec<Vec<(Key, bool)>>, Vec<Key>) {
    let pieces: Vec<&[Placed]> = order.chunks(PIECE).collect();
    let read = map_in_turn(&pieces, threads, ReadState::new, |state, piece| {
        let mut found: Vec<(Key, bool)> = Vec::new();
        let mut odd: Vec<Key> = Vec::new();
        for (j, &(place, k)) in piece.iter().enumerate() {
            if let Some(&(ahead, _)) = piece.get(j + PREFETCH_AHEAD) {
                packs.prefetch(ahead);
            }
            let before = found.len();
            // Versions of a directory share most entries: only what is new
            // comes back, so a level costs what it adds.
            let walked = packs
                .read_located(place, state)
                .filter(|(kind, _)| *kind == ObjectKind::Tree)
                .and_then(|(_, data)| {
                    RawTree::each_id(&data, |mode, id| {
                        if mode != MODE_GITLINK && !known.contains(id) && !have.contains(id) {
                            found.push((*id, mode == MODE_TREE));
                        }
                    })
                });
            if walked.is_none() {
                found.truncate(before);
                odd.push(k);
            }
        }
        // Sorted by the ids' first eight bytes, which almost always decide
        // and compare as one integer; a duplicate left apart by a tie is
        // dropped when the level is merged.
        found.sort_unstable_by_key(|(k, _)| id_prefix(k));
        found.dedup();
        (found, odd)
    });
    let mut found = Vec::with_capacity(read.len() + 1);
    let mut missed = Vec::new();
    for (f, odd) in read {
        found.push(f);
        missed.extend(odd);
    }
    (found, missed)
}

/// Where each of `ids` is stored, sorted by pack and offset (bases before
/// their offset deltas, pages read in order), looked up on `threads`
/// threads; and the ids no pack holds.
fn in_pack_order(packs: &Packs, ids: &[Key], threads: usize) -> (Vec<Placed>, Vec<Key>) {
    let pieces: Vec<&[Key]> = ids.chunks(PIECE).collect();
    let found = map_in_turn(
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
    located.sort_unstable_by_key(|(at, _)| (at.pack, at.offset));
    (located, loose)
}
