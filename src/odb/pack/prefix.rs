//! The first bytes of an object, inflated and un-deltified only as far as
//! they need: what reading a file's header (a source file's `package`
//! line) costs, instead of its whole content and its delta bases'.

use std::sync::Arc;

use super::cache::Cached;
use super::delta::{copy_op, delta_varint};
use super::entry::Stored;
use super::{Packs, Place, ReadState, ID, PIECE};
use crate::odb::object::ObjectKind;

/// What [`Packs::each_prefix`] calls for each object: its index, and its
/// kind and first bytes (`None` when the packs cannot read it).
pub type EachPrefix<'a> = dyn Fn(usize, Option<(ObjectKind, &[u8])>) + Sync + 'a;

/// One delta instruction, cut to the wanted part of the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// Bytes `start..start + len` of the base.
    Copy(usize, usize),
    /// Bytes `start..start + len` of the delta data itself.
    Insert(usize, usize),
}

/// The instructions making the first bytes of a delta's result.
#[derive(Debug, PartialEq, Eq)]
enum Walk {
    /// The instructions, how much of the base they read, and whether
    /// they make the whole result.
    Ready { ops: Vec<Op>, base_extent: usize, whole: bool },
    /// The delta data read so far ends before the wanted bytes are made.
    Short,
}

impl Packs {
    /// The kind and first `max` bytes of object `id` (all of it when it is
    /// smaller); `None` when it is not in a pack or its entry does not
    /// parse, as with [`Packs::read`].
    pub fn read_prefix(
        &self,
        id: &[u8; ID],
        max: usize,
        state: &mut ReadState,
    ) -> Option<(ObjectKind, Vec<u8>)> {
        let (kind, data, _) = self.prefix_at(self.locate_one(id)?, max, state, 0)?;
        Some((kind, data[..max.min(data.len())].to_vec()))
    }

    /// The object at `place`, whole, its delta bases inflated and rebuilt
    /// only as far as its deltas copy from them: for an object whose bases
    /// are not wanted themselves (another file's version that it happens
    /// to be stored against). `None` as with [`Packs::read_located`].
    pub(super) fn read_sparing_bases(
        &self,
        place: Place,
        state: &mut ReadState,
    ) -> Option<(ObjectKind, Arc<[u8]>)> {
        let (kind, data, whole) = self.prefix_at(place, usize::MAX, state, 0)?;
        whole.then_some((kind, data))
    }

    /// [`Packs::read_prefix`] for each of `ids`, on up to `threads`
    /// threads, in pack order (a delta's base is then mostly read just
    /// before it, and still cached): `each(k, found)` is called once for
    /// `ids[k]`, from any of the threads, with the kind and bytes or `None`.
    pub fn each_prefix(&self, ids: &[[u8; ID]], max: usize, threads: usize, each: &EachPrefix<'_>) {
        let mut order: Vec<(Place, usize)> = Vec::with_capacity(ids.len());
        for (k, id) in ids.iter().enumerate() {
            match self.locate_one(id) {
                Some(place) => order.push((place, k)),
                None => each(k, None),
            }
        }
        order.sort_unstable();
        let pieces: Vec<&[(Place, usize)]> = order.chunks(PIECE).collect();
        crate::util::parallel::map_in_turn(&pieces, threads, ReadState::new, |state, part| {
            for &(place, k) in *part {
                match self.prefix_at(place, max, state, 0) {
                    Some((kind, data, _)) => each(k, Some((kind, &data[..max.min(data.len())]))),
                    None => each(k, None),
                }
            }
        });
    }

    /// The kind, first bytes (at least `max`, or all) and whether that is
    /// the whole object, of the entry at `place`.
    fn prefix_at(
        &self,
        place: Place,
        max: usize,
        state: &mut ReadState,
        depth: usize,
    ) -> Option<(ObjectKind, Arc<[u8]>, bool)> {
        if let Some(c) = state.get(place) {
            if c.whole || c.data.len() >= max {
                return Some((c.kind, c.data.clone(), c.whole));
            }
        }
        let (header, stream) = self.stream_at(place, depth)?;
        // For a delta, the size of its own data.
        let size = usize::try_from(header.size).ok()?;
        let (kind, data, whole) = match header.stored {
            Stored::Whole(kind) => {
                let mut out = vec![0; size.min(max)];
                if state.inflater.head(stream, &mut out)? != out.len() {
                    return None;
                }
                (kind, out, size <= max)
            }
            stored => {
                let base = self.base_place(place, stored)?;
                self.delta_prefix(base, stream, size, max, state, depth)?
            }
        };
        let data: Arc<[u8]> = data.into();
        state.remember(place, Cached { kind, data: data.clone(), whole });
        Some((kind, data, whole))
    }

    /// [`Packs::prefix_at`] for a delta whose data (`size` bytes) starts
    /// the zlib `stream`, on the object at `base`.
    fn delta_prefix(
        &self,
        base: Place,
        stream: &[u8],
        size: usize,
        max: usize,
        state: &mut ReadState,
        depth: usize,
    ) -> Option<(ObjectKind, Vec<u8>, bool)> {
        // Enough delta data for `max` inserted bytes and their opcodes;
        // more when copies leave that short.
        let mut cap = max.saturating_mul(2).saturating_add(64).min(size);
        loop {
            let mut delta = vec![0; cap];
            if state.inflater.head(stream, &mut delta)? != cap {
                return None;
            }
            let Walk::Ready { ops, base_extent, whole } = walk(&delta, max, cap == size)? else {
                cap = cap.saturating_mul(4).min(size);
                continue;
            };
            let (kind, base_data, _) = self.prefix_at(base, base_extent, state, depth + 1)?;
            return Some((kind, apply(&ops, &base_data, &delta)?, whole));
        }
    }
}

/// Reads the instructions of `delta` (its data from the start, whole when
/// `complete`) that make the first `max` bytes of the result. `None` when
/// the data is malformed.
fn walk(delta: &[u8], max: usize, complete: bool) -> Option<Walk> {
    let short = || if complete { None } else { Some(Walk::Short) };
    let Some((_base_len, a)) = delta_varint(delta) else { return short() };
    let Some((len, b)) = delta_varint(&delta[a..]) else { return short() };
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    let want = len.min(max);
    let (mut ops, mut made, mut base_extent) = (Vec::new(), 0usize, 0usize);
    let mut p = a + b;
    while made < want {
        let Some(&op) = delta.get(p) else { return short() };
        p += 1;
        if op & 0x80 != 0 {
            let Some((offset, size)) = copy_op(op, delta, &mut p) else { return short() };
            let take = size.min(want - made);
            ops.push(Op::Copy(offset, take));
            base_extent = base_extent.max(offset.checked_add(take)?);
            made += take;
        } else if op != 0 {
            let size = usize::from(op);
            if delta.len() < p + size.min(want - made) {
                return short();
            }
            let take = size.min(want - made);
            ops.push(Op::Insert(p, take));
            p += size;
            made += take;
        } else {
            return None;
        }
    }
    Some(Walk::Ready { ops, base_extent, whole: want == len })
}

/// Runs the instructions over the base's first bytes and the delta data.
fn apply(ops: &[Op], base: &[u8], delta: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for &op in ops {
        let part = match op {
            Op::Copy(start, len) => base.get(start..start.checked_add(len)?)?,
            Op::Insert(start, len) => delta.get(start..start.checked_add(len)?)?,
        };
        out.extend_from_slice(part);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A delta: base size, result size, then the instructions.
    fn delta(base_len: u8, len: u8, ops: &[u8]) -> Vec<u8> {
        [&[base_len, len][..], ops].concat()
    }

    #[test]
    fn walk_stops_at_the_wanted_bytes() {
        // Insert "abc", copy 4 bytes from base offset 2, insert "z".
        let d = delta(10, 8, &[3, b'a', b'b', b'c', 0x80 | 0x01 | 0x10, 2, 4, 1, b'z']);
        let all = walk(&d, 100, true).unwrap();
        let Walk::Ready { ops, base_extent, whole: true } = &all else { panic!("{all:?}") };
        assert_eq!(ops, &[Op::Insert(3, 3), Op::Copy(2, 4), Op::Insert(10, 1)]);
        assert_eq!(*base_extent, 6);
        assert_eq!(apply(ops, b"0123456789", &d).unwrap(), b"abc2345z");
        // Only two bytes: the base is not needed.
        assert_eq!(
            walk(&d, 2, true),
            Some(Walk::Ready { ops: vec![Op::Insert(3, 2)], base_extent: 0, whole: false })
        );
        assert_eq!(
            walk(&d, 5, true),
            Some(Walk::Ready { ops: vec![Op::Insert(3, 3), Op::Copy(2, 2)], base_extent: 4, whole: false })
        );
        // Cut short: more data is asked for, unless the data was whole.
        assert_eq!(walk(&d[..6], 8, false), Some(Walk::Short));
        assert_eq!(walk(&d[..6], 8, true), None);
        assert_eq!(walk(&d[..1], 8, false), Some(Walk::Short));
        // Opcode 0 is reserved.
        assert_eq!(walk(&delta(1, 1, &[0]), 1, true), None);
    }
}
