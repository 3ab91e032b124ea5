//! Pack entries: the header that says how an object is stored (whole, or
//! as a delta on another entry), and an entry's bytes as stored.

use super::delta::{add_bits, delta_result_size};
use super::index::{Order, Pack};
use super::inflate::Inflater;
use super::{ID, TRAILER};
use crate::odb::id::Key;
use crate::odb::object::ObjectKind;

/// The type code of a delta on an entry at an earlier offset of the same pack.
pub(super) const OFS_DELTA: u8 = 6;
/// The type code of a delta on an object named by its id.
pub(super) const REF_DELTA: u8 = 7;

/// How a pack entry stores its object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// Whole, deflated.
    Whole(ObjectKind),
    /// As a delta on the entry at this offset of the same pack.
    OffsetDelta(u64),
    /// As a delta on the object with this id.
    RefDelta(Key),
}

/// An entry's header, parsed.
#[derive(Clone, Copy, Debug)]
pub(super) struct Header {
    /// How the object is stored.
    pub(super) stored: Stored,
    /// The size the header states: the object's, or the delta data's.
    pub(super) size: u64,
    /// Where the zlib stream starts in the pack.
    pub(super) data_at: usize,
}

/// A packed object's entry as stored, for copying it into another pack
/// without inflating it.
pub struct RawEntry<'a> {
    /// How the object is stored.
    pub stored: Stored,
    /// The size the entry header states: the object's, or the delta data's.
    pub size: u64,
    /// The compressed data (a zlib stream).
    pub data: &'a [u8],
}

impl Pack {
    /// The pack's bytes up to its trailer: where entries are.
    pub(super) fn entries_bytes(&self) -> &[u8] {
        &self.pack.bytes()[..self.pack.len() - TRAILER]
    }

    /// The entry header at `off`, or `None` when it does not parse.
    pub(super) fn header_at(&self, off: u64) -> Option<Header> {
        let data = self.entries_bytes();
        let mut p = usize::try_from(off).ok()?;
        let mut c = *data.get(p)?;
        p += 1;
        let code = (c >> 4) & 7;
        let mut size = u64::from(c & 0x0f);
        let mut shift = 4;
        while c & 0x80 != 0 {
            c = *data.get(p)?;
            p += 1;
            size = add_bits(size, c, shift)?;
            shift += 7;
        }
        let stored = match code {
            OFS_DELTA => {
                // git's offset encoding: each continuation adds one before shifting.
                let mut c = *data.get(p)?;
                p += 1;
                let mut back = u64::from(c & 0x7f);
                while c & 0x80 != 0 {
                    c = *data.get(p)?;
                    p += 1;
                    back = back.checked_add(1)?.checked_mul(128)? | u64::from(c & 0x7f);
                }
                Stored::OffsetDelta(off.checked_sub(back)?)
            }
            REF_DELTA => {
                let id = data.get(p..p + ID)?.try_into().expect("20 bytes");
                p += ID;
                Stored::RefDelta(id)
            }
            code => Stored::Whole(ObjectKind::from_code(code)?),
        };
        Some(Header { stored, size, data_at: p })
    }

    /// The size of the object whose entry starts at `off`: stated in the
    /// entry header of a whole object, in the delta data's header for a
    /// delta. `None` when the entry does not parse.
    pub(super) fn size_at(&self, off: u64, inflater: &mut Inflater) -> Option<u64> {
        let header = self.header_at(off)?;
        match header.stored {
            Stored::Whole(_) => Some(header.size),
            // A delta: its data starts with the base's size and the result's.
            _ => delta_result_size(self.entries_bytes().get(header.data_at..)?, inflater),
        }
    }

    /// The entry at `off`, index position `n`, or `None` when it does not parse.
    pub(super) fn entry(&self, off: u64, n: usize) -> Option<RawEntry<'_>> {
        let header = self.header_at(off)?;
        let Order { by_offset, rank } = self.order();
        let at = rank.get(n).copied().filter(|&r| r != u32::MAX)? as usize;
        // The caller's offset and position must name one entry.
        if by_offset.get(at)?.0 != off {
            return None;
        }
        let end = by_offset.get(at + 1).map_or(self.entries_bytes().len() as u64, |e| e.0);
        let data = self.pack.bytes().get(header.data_at..usize::try_from(end).ok()?)?;
        Some(RawEntry { stored: header.stored, size: header.size, data })
    }
}
