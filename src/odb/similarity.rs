//! How much of one file's content another holds, scored as git's rename
//! detection scores it: content cut into spans and hashed as
//! `diffcore-delta.c` does, compared as `estimate_similarity` in
//! `diffcore-rename.c` does. Scores are on git's scale (`MAX_SCORE` is
//! 60000, printed as a percentage by `git diff -M`).

/// A perfect score: the content is the same (git's `MAX_SCORE`).
pub const MAX_SCORE: i32 = 60000;

/// `-M`'s default threshold, half of [`MAX_SCORE`] (git's
/// `DEFAULT_RENAME_SCORE`).
pub const DEFAULT_RENAME_SCORE: i32 = 30000;

/// The modulus of a span's hash (`HASHBASE` in `diffcore-delta.c`).
const HASHBASE: u32 = 107_927;

/// How far git looks for a NUL byte to call content binary
/// (`FIRST_FEW_BYTES` in `xdiff-interface.c`'s `buffer_is_binary`).
const FIRST_FEW_BYTES: usize = 8000;

/// Content reduced to git's span hashes: for each distinct hash, the bytes
/// of the spans that have it, sorted by hash (`hash_chars` then its sort by
/// `spanhash_cmp`). At most `HASHBASE` entries, whatever the content's size.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spans {
    spans: Vec<(u32, u32)>,
}

impl Spans {
    /// Hashes `data` as `hash_chars` does: a span ends at a newline or after
    /// 64 bytes; in text (no NUL in the first 8000 bytes) the CR of a CRLF
    /// is skipped; a last line without a newline is a span too (git 2.44
    /// and later: "diffcore-delta: avoid ignoring final 'line' of file").
    pub fn of(data: &[u8]) -> Spans {
        let is_text = !is_binary(data);
        let mut counts: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
        let (mut accum1, mut accum2, mut n) = (0u32, 0u32, 0u32);
        for (i, &byte) in data.iter().enumerate() {
            let c = u32::from(byte);
            if is_text && byte == b'\r' && data.get(i + 1) == Some(&b'\n') {
                continue;
            }
            let old1 = accum1;
            accum1 = (accum1 << 7) ^ (accum2 >> 25);
            accum2 = (accum2 << 7) ^ (old1 >> 25);
            accum1 = accum1.wrapping_add(c);
            n += 1;
            if n < 64 && byte != b'\n' {
                continue;
            }
            add(&mut counts, accum1, accum2, n);
            n = 0;
            accum1 = 0;
            accum2 = 0;
        }
        if n > 0 {
            add(&mut counts, accum1, accum2, n);
        }
        let mut spans: Vec<(u32, u32)> = counts.into_iter().collect();
        spans.sort_unstable();
        Spans { spans }
    }

    /// How many distinct hashes: the memory it holds, in entries.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when no span was counted.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

/// Counts a span of `n` bytes under its hash (`add_spanhash`).
fn add(counts: &mut std::collections::HashMap<u32, u32>, accum1: u32, accum2: u32, n: u32) {
    let hash = accum1.wrapping_add(accum2.wrapping_mul(0x61)) % HASHBASE;
    let slot = counts.entry(hash).or_insert(0);
    *slot = slot.wrapping_add(n);
}

/// Binary as git guesses it without attributes (`buffer_is_binary`): a NUL
/// byte among the first bytes.
pub fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(FIRST_FEW_BYTES)].contains(&0)
}

/// The bytes of `dst` that `src` holds too (`src_copied` of
/// `diffcore_count_changes`): per hash, the smaller of the two counts.
pub fn copied(src: &Spans, dst: &Spans) -> u64 {
    let (mut s, mut d) = (src.spans.iter().peekable(), dst.spans.iter().peekable());
    let mut copied = 0u64;
    while let (Some(&&(sh, sc)), Some(&&(dh, dc))) = (s.peek(), d.peek()) {
        match sh.cmp(&dh) {
            std::cmp::Ordering::Less => {
                s.next();
            }
            std::cmp::Ordering::Greater => {
                d.next();
            }
            std::cmp::Ordering::Equal => {
                copied += u64::from(sc.min(dc));
                s.next();
                d.next();
            }
        }
    }
    copied
}

/// True when the sizes alone rule the pair out: `estimate_similarity`'s
/// early exit, which needs no content. Computed in floating point, as git
/// does (its `MAX_SCORE` is a double).
pub fn sizes_rule_out(src_size: u64, dst_size: u64, minimum_score: i32) -> bool {
    let (max, base) = (src_size.max(dst_size), src_size.min(dst_size));
    let delta = max - base;
    (max as f64) * (f64::from(MAX_SCORE) - f64::from(minimum_score)) < (delta as f64) * f64::from(MAX_SCORE)
}

/// The score of a pair whose sizes passed [`sizes_rule_out`]: the share
/// of the larger size that `dst` copied from `src` (the end of
/// `estimate_similarity`; an empty destination scores 0).
pub fn score(src_size: u64, dst_size: u64, src: &Spans, dst: &Spans) -> i32 {
    if dst_size == 0 {
        return 0;
    }
    let max = src_size.max(dst_size);
    // git truncates the double to an int: the cast does the same.
    ((copied(src, dst) as f64) * f64::from(MAX_SCORE) / (max as f64)) as i32
}

/// The highest score a pair of these sizes can reach: [`score`] with
/// every byte of the smaller file copied (the span counts of a file add up
/// to at most its size, so no pair copies more), in the same arithmetic.
pub fn score_bound(src_size: u64, dst_size: u64) -> i32 {
    let max = src_size.max(dst_size);
    if max == 0 {
        return 0;
    }
    ((src_size.min(dst_size) as f64) * f64::from(MAX_SCORE) / (max as f64)) as i32
}

/// A score as `git diff -M` prints it after `R` (`similarity_index`).
pub fn percent(score: i32) -> u32 {
    (f64::from(score) * 100.0 / f64::from(MAX_SCORE)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_pair_scores_above_its_size_bound() {
        let cases: [(&[u8], &[u8]); 4] = [
            (b"a\nb\nc\n", b"a\nb\nc\nd\n"),
            (b"same\r\nlines\r\n", b"same\nlines\n"),
            (b"x\n", b"x\nx\nx\nx\n"),
            (b"", b"anything\n"),
        ];
        for (a, b) in cases {
            let (sa, sb) = (a.len() as u64, b.len() as u64);
            let s = score(sa, sb, &Spans::of(a), &Spans::of(b));
            assert!(s <= score_bound(sa, sb), "{a:?} {b:?}: {s} > {}", score_bound(sa, sb));
        }
        assert_eq!(score_bound(10, 10), MAX_SCORE);
        assert_eq!(score_bound(0, 0), 0);
    }

    #[test]
    fn a_last_line_without_newline_is_counted() {
        assert_eq!(Spans::of(b"no newline").spans.iter().map(|s| s.1).sum::<u32>(), 10);
        assert_eq!(Spans::of(b"a\nb").len(), 2);
        assert!(Spans::of(b"").is_empty());
    }

    #[test]
    fn crlf_counts_as_lf_in_text_only() {
        assert_eq!(Spans::of(b"line\r\n"), Spans::of(b"line\n"));
        assert_ne!(Spans::of(b"\0line\r\n"), Spans::of(b"\0line\n"));
    }

    #[test]
    fn a_long_line_is_cut_every_64_bytes() {
        let line = [b'x'; 128];
        let s = Spans::of(&line);
        assert_eq!(s.spans.len(), 1);
        assert_eq!(s.spans[0].1, 128);
    }

    #[test]
    fn the_size_exit_is_git_s() {
        // Half the size of the larger is the edge at the default threshold.
        assert!(!sizes_rule_out(100, 50, DEFAULT_RENAME_SCORE));
        assert!(sizes_rule_out(100, 49, DEFAULT_RENAME_SCORE));
        assert!(!sizes_rule_out(0, 0, DEFAULT_RENAME_SCORE));
        assert_eq!(percent(MAX_SCORE), 100);
        assert_eq!(percent(DEFAULT_RENAME_SCORE), 50);
    }
}
