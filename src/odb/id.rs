//! Object ids as plain bytes, and the maps and sets keyed by them.
//!
//! Comparing or hashing a `git2::Oid` is a call into libgit2; the engine's
//! hottest maps hold millions of ids, so they hold [`Key`]s, hashed by
//! [`IdHasher`], and convert at the edges.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use git2::Oid;

/// A hasher for keys that are (or start with) object ids: their bytes are
/// already uniformly distributed, so SipHash's work buys nothing.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 =
                (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write(&n.to_le_bytes());
    }

    fn write_usize(&mut self, _: usize) {
        // Only slice lengths come through here, and ids all have one length.
    }
}

/// A map keyed by object ids.
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// An object id as its bytes: comparing `git2::Oid`s is a call into
/// libgit2, which the hottest sets and maps cannot afford.
pub type Key = [u8; 20];

/// The [`Key`] of `id`.
pub fn key(id: &Oid) -> Key {
    id.as_bytes().try_into().expect("SHA-1 ids are 20 bytes")
}

/// The id whose bytes are `k`: the inverse of [`key`].
pub fn oid(k: &Key) -> Oid {
    Oid::from_bytes(k).expect("20 bytes")
}

/// Appends `id` in hex: the state and commit-map files hold hundreds of
/// thousands of ids, and `Display` goes through the formatter for each.
pub fn push_hex(out: &mut String, id: &Oid) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 40];
    for (i, b) in id.as_bytes().iter().enumerate() {
        buf[2 * i] = DIGITS[usize::from(b >> 4)];
        buf[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
    }
    out.push_str(std::str::from_utf8(&buf).expect("hex digits"));
}

/// Reads 40 lowercase or uppercase hex digits.
pub fn parse_hex(s: &[u8]) -> Option<Oid> {
    parse_hex_key(s).map(|k| oid(&k))
}

/// [`parse_hex`] as raw bytes: no call into libgit2, for reading ids by
/// the hundred thousand.
pub fn parse_hex_key(s: &[u8]) -> Option<Key> {
    if s.len() != 40 {
        return None;
    }
    // 0xff marks a byte that is not a hex digit.
    const VALUE: [u8; 256] = {
        let mut t = [0xffu8; 256];
        let mut c = 0;
        while c < 256 {
            t[c] = match c as u8 {
                d @ b'0'..=b'9' => d - b'0',
                d @ b'a'..=b'f' => d - b'a' + 10,
                d @ b'A'..=b'F' => d - b'A' + 10,
                _ => 0xff,
            };
            c += 1;
        }
        t
    };
    let mut raw = [0u8; 20];
    let mut bad = 0u8;
    for (i, pair) in s.chunks_exact(2).enumerate() {
        let (hi, lo) = (VALUE[usize::from(pair[0])], VALUE[usize::from(pair[1])]);
        bad |= (hi | lo) & 0xf0;
        raw[i] = hi << 4 | (lo & 0x0f);
    }
    if bad != 0 {
        return None;
    }
    Some(raw)
}

/// A set of object ids.
pub type IdSet = std::collections::HashSet<Key, BuildHasherDefault<IdHasher>>;

/// A new, empty [`IdMap`].
pub fn id_map<K, V>() -> IdMap<K, V> {
    HashMap::with_hasher(BuildHasherDefault::default())
}

/// their bytes do wherever they differ there (almost always, ids being
/// random): one integer comparison instead of a `memcmp` call.
pub fn id_prefix(id: &[u8]) -> u64 {
    u64::from_be_bytes(id[..8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_what_git_would() {
        let id = Oid::from_str("0123456789abcdef0123456789abcdef01234567").expect("id");
        let mut s = String::new();
        push_hex(&mut s, &id);
        assert_eq!(s, id.to_string());
        assert_eq!(parse_hex(s.as_bytes()), Some(id));
        assert_eq!(parse_hex(s.to_uppercase().as_bytes()), Some(id));
        for bad in ["", "0123", &format!("{s}0"), &s.replace('a', "g"), &s.replace('0', " ")] {
            assert_eq!(parse_hex(bad.as_bytes()), None, "{bad:?}");
        }
        let mut non_ascii = s.into_bytes();
        non_ascii[7] = 0xc3;
        assert_eq!(parse_hex(&non_ascii), None);
    }
}
