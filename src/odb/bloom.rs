//! Changed-path Bloom filters from git's commit-graph.
//!
//! `git commit-graph write --reachable --changed-paths` stores, for each
//! commit, a Bloom filter of the paths that differ from its first parent
//! (every changed file and each of its leading directories). A filter that
//! says "no" for a path is certain: the commit did not change it. This
//! module reads those filters from `objects/info/commit-graph` or from a
//! split chain (`objects/info/commit-graphs/commit-graph-chain`), maps the
//! files, and answers "maybe" or "no" per commit and path, hashing paths
//! as git's `bloom.c` does: seeded murmur3, in version 1 (bytes taken as
//! signed `char`, git's original bug) or version 2.
//!
//! A file that does not parse, or whose checksum does not match, is an
//! error naming it; a commit the graph does not have, or whose layer
//! carries no filters, has no filter (the caller reads its trees).

use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};

use super::pack::map::Map;

/// Length of an object id (SHA-1).
const ID: usize = 20;
/// `CGPH`, version, hash version, chunk count, base count.
const HEADER: usize = 8;
/// A chunk table entry: id, then offset.
const CHUNK_ENTRY: usize = 12;
/// The BDAT chunk's header: hash version, hashes per path, bits per entry.
const BDAT_HEADER: usize = 12;
/// Layers a split chain may have before it is called damaged.
const MAX_LAYERS: usize = 4096;

const OIDF: u32 = u32::from_be_bytes(*b"OIDF");
const OIDL: u32 = u32::from_be_bytes(*b"OIDL");
const BIDX: u32 = u32::from_be_bytes(*b"BIDX");
const BDAT: u32 = u32::from_be_bytes(*b"BDAT");

/// Why the commit-graph could not be read.
#[derive(Debug, thiserror::Error)]
#[error("reading the commit-graph {path}: {what}")]
pub struct GraphError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub what: String,
}

/// How a layer's filters were made (its BDAT header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// 1: murmur3 over signed bytes (git before 2.45's fix); 2: over unsigned.
    pub hash_version: u32,
    /// Bits set per path.
    pub num_hashes: u32,
    /// Filter bits per changed path.
    pub bits_per_entry: u32,
}

/// One commit's filter.
#[derive(Clone, Copy, Debug)]
pub struct Filter<'a> {
    data: &'a [u8],
    settings: Settings,
}

/// Whether a path may have changed in a commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The filter rules it out: certain.
    No,
    /// It may have changed (or the filter is full: too many changes).
    Maybe,
}

impl Filter<'_> {
    /// The settings the filter was made with.
    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// Does the filter answer "maybe" for every path: one git did not
    /// compute (empty) or filled (too many changes)?
    pub fn rules_out_nothing(&self) -> bool {
        self.data.iter().all(|&b| b == 0xff)
    }

    /// May the commit have changed `path` (a file or directory, `/`-separated,
    /// no trailing slash)?
    pub fn test(&self, path: &[u8]) -> Answer {
        self.test_key(&Key::new(path, self.settings))
    }

    /// [`Filter::test`] with the path hashed already (for these settings).
    pub fn test_key(&self, key: &Key) -> Answer {
        // git stores an empty filter only for a commit it did not compute.
        let bits = self.data.len() as u64 * 8;
        if bits == 0 {
            return Answer::Maybe;
        }
        for i in 0..self.settings.num_hashes {
            let hash = key.h0.wrapping_add(i.wrapping_mul(key.h1));
            let bit = u64::from(hash) % bits;
            if self.data[(bit / 8) as usize] & (1 << (bit % 8)) == 0 {
                return Answer::No;
            }
        }
        Answer::Maybe
    }
}

/// A path hashed for one version of the filters.
#[derive(Clone, Copy, Debug)]
pub struct Key {
    h0: u32,
    h1: u32,
}

impl Key {
    /// `path` hashed as git's `fill_bloom_key` does for `settings`.
    pub fn new(path: &[u8], settings: Settings) -> Key {
        let signed = settings.hash_version == 1;
        Key { h0: murmur3(0x293a_e76f, path, signed), h1: murmur3(0x7e64_6e2c, path, signed) }
    }
}

/// git's seeded murmur3 (`murmur3_seeded_v1`/`_v2` in bloom.c); `signed`
/// widens bytes as a signed `char` does, as version 1 filters were made.
fn murmur3(mut seed: u32, data: &[u8], signed: bool) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let widen = |b: u8| if signed { b as i8 as i32 as u32 } else { u32::from(b) };
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let k = widen(c[0]) | widen(c[1]) << 8 | widen(c[2]) << 16 | widen(c[3]) << 24;
        seed ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        seed = seed.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, &b) in tail.iter().enumerate().rev() {
            k ^= widen(b) << (8 * i);
        }
        seed ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    seed ^= data.len() as u32;
    seed ^= seed >> 16;
    seed = seed.wrapping_mul(0x85eb_ca6b);
    seed ^= seed >> 13;
    seed = seed.wrapping_mul(0xc2b2_ae35);
    seed ^ (seed >> 16)
}

/// One commit-graph file: its commits, and their filters if it has them.
struct Layer {
    map: Map,
    /// Commits in this file.
    count: usize,
    fanout: usize,
    ids: usize,
    /// BIDX and BDAT offsets, and the filters' settings.
    filters: Option<(usize, usize, usize, Settings)>,
}

impl Layer {
    /// Opens the file `path`; `expected` is the checksum a chain names it by.
    fn open(path: &Path, expected: Option<&str>) -> Result<Layer, GraphError> {
        let bad = |what: &str| GraphError { path: path.to_path_buf(), what: what.to_string() };
        let map = Map::open(path).ok_or_else(|| bad("cannot be opened, or is empty"))?;
        let b = map.bytes();
        if b.len() < HEADER || &b[..4] != b"CGPH" {
            return Err(bad("not a commit-graph (no CGPH signature)"));
        }
        // git ends the file with the SHA-1 of what comes before (and names
        // a chain's layers by it): a filter with a flipped bit would rule
        // out a path that changed, so a file that does not hash is refused.
        if b.len() < HEADER + ID || Sha1::digest(&b[..b.len() - ID])[..] != b[b.len() - ID..] {
            return Err(bad("its checksum does not match: damaged"));
        }
        if let Some(name) = expected {
            if !hex_eq(&b[b.len() - ID..], name) {
                return Err(bad("its checksum is not the name the chain gives it"));
            }
        }
        if b[4] != 1 || b[5] != 1 {
            return Err(bad(&format!("version {} with hash version {} is not supported", b[4], b[5])));
        }
        let chunks = usize::from(b[6]);
        let mut table = Vec::with_capacity(chunks + 1);
        for i in 0..=chunks {
            let at = HEADER + i * CHUNK_ENTRY;
            let e = b.get(at..at + CHUNK_ENTRY).ok_or_else(|| bad("chunk table is cut short"))?;
            let id = u32::from_be_bytes(e[..4].try_into().expect("4 bytes"));
            let offset = u64::from_be_bytes(e[4..].try_into().expect("8 bytes"));
            let offset = usize::try_from(offset).ok().filter(|&o| o <= b.len());
            table.push((id, offset.ok_or_else(|| bad("a chunk lies past the end of the file"))?));
        }
        // A chunk runs to the next one's offset.
        let chunk = |want: u32| -> Option<(usize, usize)> {
            let i = table[..chunks].iter().position(|&(id, _)| id == want)?;
            let (start, end) = (table[i].1, table[i + 1].1);
            (start <= end).then_some((start, end - start))
        };
        let (fanout, fanout_len) = chunk(OIDF).ok_or_else(|| bad("no OIDF chunk"))?;
        if fanout_len != 256 * 4 {
            return Err(bad("OIDF chunk is not 256 entries"));
        }
        let count = be32(b, fanout + 255 * 4) as usize;
        let (ids, ids_len) = chunk(OIDL).ok_or_else(|| bad("no OIDL chunk"))?;
        if ids_len != count * ID {
            return Err(bad("OIDL chunk does not hold the fanout's count of ids"));
        }
        let filters = match (chunk(BIDX), chunk(BDAT)) {
            (Some((index, index_len)), Some((data, data_len))) => {
                if index_len != count * 4 || data_len < BDAT_HEADER {
                    return Err(bad("BIDX or BDAT chunk has the wrong size"));
                }
                let settings = Settings {
                    hash_version: be32(b, data),
                    num_hashes: be32(b, data + 4),
                    bits_per_entry: be32(b, data + 8),
                };
                if !matches!(settings.hash_version, 1 | 2) || settings.num_hashes == 0 {
                    return Err(bad(&format!("Bloom filter settings {settings:?} are not supported")));
                }
                Some((index, data + BDAT_HEADER, data_len - BDAT_HEADER, settings))
            }
            _ => None,
        };
        Ok(Layer { map, count, fanout, ids, filters })
    }

    /// `id`'s position among this file's commits.
    fn find(&self, id: &[u8; ID]) -> Option<usize> {
        let b = self.map.bytes();
        let first = usize::from(id[0]);
        let lo = if first == 0 { 0 } else { be32(b, self.fanout + (first - 1) * 4) as usize };
        let hi = (be32(b, self.fanout + first * 4) as usize).min(self.count);
        let (mut lo, mut hi) = (lo.min(hi), hi);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let at = self.ids + mid * ID;
            match b[at..at + ID].cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// The filter of the commit at `n`; `None` when this file has none or
    /// its index is damaged.
    fn filter(&self, n: usize) -> Option<Filter<'_>> {
        let (index, data, len, settings) = self.filters?;
        let b = self.map.bytes();
        let end = be32(b, index + n * 4) as usize;
        let start = if n == 0 { 0 } else { be32(b, index + (n - 1) * 4) as usize };
        if start > end || end > len {
            return None;
        }
        Some(Filter { data: &b[data + start..data + end], settings })
    }
}

/// Are `bytes` the ones the hex digits `hex` spell (either case)?
fn hex_eq(bytes: &[u8], hex: &str) -> bool {
    let digit = |c: u8| (c as char).to_digit(16);
    hex.len() == 2 * bytes.len()
        && bytes.iter().zip(hex.as_bytes().chunks(2)).all(|(&b, pair)| {
            matches!((digit(pair[0]), digit(pair[1])), (Some(hi), Some(lo)) if (hi * 16 + lo) as u8 == b)
        })
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// The commit-graph of a repository, for its changed-path filters.
pub struct ChangedPaths {
    layers: Vec<Layer>,
}

impl ChangedPaths {
    /// Opens the commit-graph of the objects directory `objects`: the
    /// split chain if there is one, else the single file. `Ok(None)` when
    /// there is no commit-graph or none of its files has filters.
    pub fn open(objects: &Path) -> Result<Option<ChangedPaths>, GraphError> {
        let info = objects.join("info");
        let chain = info.join("commit-graphs").join("commit-graph-chain");
        let paths: Vec<(PathBuf, Option<String>)> = match std::fs::read_to_string(&chain) {
            Ok(text) => {
                let bad = |what: &str| GraphError { path: chain.clone(), what: what.to_string() };
                let names: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
                if names.len() > MAX_LAYERS {
                    return Err(bad("more layers than any chain git writes"));
                }
                let mut out = Vec::with_capacity(names.len());
                for name in names {
                    if name.len() != 2 * ID || !name.bytes().all(|c| c.is_ascii_hexdigit()) {
                        return Err(bad(&format!("{name:?} is not a graph's hash")));
                    }
                    let path = info.join("commit-graphs").join(format!("graph-{name}.graph"));
                    out.push((path, Some(name.to_string())));
                }
                out
            }
            Err(_) if info.join("commit-graph").is_file() => vec![(info.join("commit-graph"), None)],
            Err(_) => return Ok(None),
        };
        let layers =
            paths.iter().map(|(p, name)| Layer::open(p, name.as_deref())).collect::<Result<Vec<_>, _>>()?;
        Ok(layers.iter().any(|l| l.filters.is_some()).then_some(ChangedPaths { layers }))
    }

    /// Commits in the graph, all layers together.
    pub fn len(&self) -> usize {
        self.layers.iter().map(|l| l.count).sum()
    }

    /// True when the graph has no commit.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The filter of commit `id`: `None` when the graph does not have the
    /// commit or its layer carries no filters.
    pub fn filter(&self, id: &[u8; ID]) -> Option<Filter<'_>> {
        self.layers.iter().find_map(|l| l.find(id).map(|n| (l, n))).and_then(|(l, n)| l.filter(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// git's own test vectors (t0095-bloom.sh): `test-tool bloom
    /// get_murmur3` with seed 0.
    #[test]
    fn murmur3_matches_gits_vectors() {
        assert_eq!(murmur3(0, b"", false), 0x0000_0000);
        assert_eq!(murmur3(0, b"Hello world!", false), 0x627b_0c2c);
        assert_eq!(murmur3(0, b"The quick brown fox jumps over the lazy dog", false), 0x2e4f_f723);
        // High-bit bytes are where version 1 and version 2 differ.
        let high = b"\x99\xaa\xbb\xcc\xdd\xee\xff";
        assert_ne!(murmur3(0, high, true), murmur3(0, high, false));
        assert_eq!(murmur3(0, b"plain/ascii", true), murmur3(0, b"plain/ascii", false));
    }

    /// Only an empty or filled filter rules out nothing, as its answers say.
    #[test]
    fn empty_and_full_filters_rule_out_nothing() {
        let settings = Settings { hash_version: 2, num_hashes: 7, bits_per_entry: 10 };
        let path = b"src/Acme";
        for (data, nothing) in
            [(&[][..], true), (&[0xff, 0xff], true), (&[0xff, 0x7f], false), (&[0; 2], false)]
        {
            let f = Filter { data, settings };
            assert_eq!(f.rules_out_nothing(), nothing, "{data:?}");
            if nothing {
                assert_eq!(f.test(path), Answer::Maybe);
            }
        }
        assert_eq!(Filter { data: &[0; 2], settings }.test(path), Answer::No);
    }
}
