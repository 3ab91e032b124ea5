//! git's delta format: two size varints, then copy and insert
//! instructions against a base object.

use super::inflate::Inflater;

/// `size | (c & 0x7f) << shift`, or `None` when bits would be lost.
pub(super) fn add_bits(size: u64, c: u8, shift: u32) -> Option<u64> {
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
pub(super) fn copy_op(op: u8, delta: &[u8], p: &mut usize) -> Option<(usize, usize)> {
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
pub(super) fn delta_varint(buf: &[u8]) -> Option<(u64, usize)> {
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
pub(super) fn delta_result_size(stream: &[u8], inflater: &mut Inflater) -> Option<u64> {
    let mut out = [0u8; 20];
    let n = inflater.prefix(stream, &mut out)?;
    let out = &out[..n];
    let (_base, k) = delta_varint(out)?;
    let (result, _) = delta_varint(&out[k..])?;
    Some(result)
}

/// Applies git delta `delta` to `base`; `None` when it does not fit.
pub(super) fn apply_delta(base: &[u8], delta: &[u8]) -> Option<Vec<u8>> {
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
