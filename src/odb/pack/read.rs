//! Whole objects read from the packs, deltas resolved.

use std::sync::Arc;

use super::cache::Cached;
use super::delta::apply_delta;
use super::entry::{Header, Stored};
use super::{Packs, Place, ReadState, ID};
use crate::odb::object::ObjectKind;

/// Deepest delta chain followed: git makes chains of at most 50 (250 for
/// `--aggressive`); a longer one is left to libgit2 rather than risk the
/// stack.
pub(super) const MAX_CHAIN: usize = 1000;

impl Packs {
    /// Reads object `id` whole: its kind and content, or `None` when it is
    /// not in a pack or its entry does not parse (the caller then asks
    /// libgit2, which reports the trouble properly).
    pub fn read(&self, id: &[u8; ID], state: &mut ReadState) -> Option<(ObjectKind, Arc<[u8]>)> {
        self.read_at(self.locate_one(id)?, state, 0)
    }

    /// [`Packs::read`] for an object [`Packs::locate_one`] found already.
    pub fn read_located(&self, place: Place, state: &mut ReadState) -> Option<(ObjectKind, Arc<[u8]>)> {
        self.read_at(place, state, 0)
    }

    /// The base of a delta stored as `stored` at `place`'s pack.
    pub(super) fn base_place(&self, place: Place, stored: Stored) -> Option<Place> {
        match stored {
            Stored::Whole(_) => None,
            // The index position is not needed to read it.
            Stored::OffsetDelta(offset) => Some(Place { pack: place.pack, offset, index: u32::MAX }),
            Stored::RefDelta(id) => self.locate_one(&id),
        }
    }

    /// The header of the entry at `place` and its zlib stream, `depth`
    /// deltas down a chain; `None` past [`MAX_CHAIN`] or when the entry
    /// does not parse.
    pub(super) fn stream_at(&self, place: Place, depth: usize) -> Option<(Header, &[u8])> {
        if depth > MAX_CHAIN {
            return None;
        }
        let p = &self.packs[place.pack as usize];
        let header = p.header_at(place.offset)?;
        Some((header, p.entries_bytes().get(header.data_at..)?))
    }

    fn read_at(&self, place: Place, state: &mut ReadState, depth: usize) -> Option<(ObjectKind, Arc<[u8]>)> {
        if let Some(Cached { kind, data, whole: true }) = state.get(place) {
            return Some((*kind, data.clone()));
        }
        let (header, stream) = self.stream_at(place, depth)?;
        let size = usize::try_from(header.size).ok()?;
        let (kind, data): (ObjectKind, Arc<[u8]>) = match header.stored {
            Stored::Whole(kind) => (kind, state.inflater.whole(stream, size)?.into()),
            stored => {
                let base = self.base_place(place, stored)?;
                let (base_kind, base_data) = self.read_at(base, state, depth + 1)?;
                let delta = state.inflater.whole(stream, size)?;
                (base_kind, apply_delta(&base_data, &delta)?.into())
            }
        };
        // Commits are read once; trees are read again as delta bases.
        if kind != ObjectKind::Commit {
            state.remember(place, Cached { kind, data: data.clone(), whole: true });
        }
        Some((kind, data))
    }
}
