//! Appending a trailer to a raw commit message, byte for byte as
//! `git interpret-trailers --no-divider --trailer 'Key: value'` does with
//! default configuration (`where = end`, `ifExists = addIfDifferentNeighbor`,
//! `ifMissing = add`, separators `:`, comment character `#`).
//!
//! `--no-divider` is the mode git itself uses whenever it reads or writes the
//! trailers of a *commit message* (`git commit --trailer`, `git commit -s`,
//! the sequencer, `%(trailers)` in `git log` and `for-each-ref`): a `---`
//! line only starts a patch in a mailbox, in a commit it is ordinary text.
//! Using the same mode means the labels we write are exactly the ones
//! `git log --format=%(trailers)` reads back.
//!
//! The code restates git's `trailer.c` (2.47) step by step, quirks
//! included, because "looks like git" is not enough: two rewrites of the
//! same history must produce the same bytes as a user running git would.
//! Messages are treated like git treats them, as C strings: analysis stops
//! at the first NUL byte, and whatever follows it is copied after the
//! trailer block untouched.
//!
//! What git does, in order:
//!
//! 1. A non-empty message that does not end in `\n` gets one.
//! 2. The end of the log message is found: trailing comment lines (`#`),
//!    empty lines and an old-style `Conflicts:` block are ignored, as is
//!    everything below a `# ---- >8 ----` scissors line.
//! 3. The title (first paragraph, comment lines skipped) is never a trailer
//!    block. Scanning back from the end, the last paragraph is a trailer
//!    block if all its lines are trailers (`token: value`, with indented
//!    continuation lines), or if it has a git-generated line
//!    (`Signed-off-by: `, `(cherry picked from commit `) and at least 25%
//!    of its lines are trailers.
//! 4. The block is re-emitted normalised: comment lines are dropped, each
//!    trailer becomes `token: value\n` (token and value trimmed, so `\r`
//!    goes too), other lines are kept as they were.
//! 5. The new trailer goes at the end, unless the last item of the block is
//!    the same trailer (token compared case-insensitively on the shorter
//!    length, value case-insensitively). A blank line is inserted before it
//!    when the text before the block does not end with one.

/// The comment character git uses by default (`core.commentChar`).
const COMMENT: u8 = b'#';

/// Lines git wrote itself; one makes a mostly-free-form paragraph a trailer block.
const GIT_GENERATED_PREFIXES: [&[u8]; 2] = [b"Signed-off-by: ", b"(cherry picked from commit "];

/// The line `git commit -v` puts above the diff, after the comment character
/// and a space; the `\n` is part of it (a CRLF scissors line does not cut).
const CUT_LINE: &[u8] = b"------------------------ >8 ------------------------\n";

/// Returns `message` with the trailer `key: value` added as
/// `git interpret-trailers --no-divider --trailer 'key: value'` would.
///
/// `key` must be a trailer token (ASCII letters, digits and `-`), as git
/// would otherwise parse the `--trailer` argument differently.
pub fn add_trailer(message: &[u8], key: &str, value: &str) -> Vec<u8> {
    debug_assert!(
        !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
        "not a trailer token: {key:?}"
    );
    // git reads the whole input, then completes the last line (an empty
    // input stays empty).
    let mut sb = message.to_vec();
    if sb.last().is_some_and(|&b| b != b'\n') {
        sb.push(b'\n');
    }
    // All the analysis works on a C string: a NUL byte ends it.
    let text = &sb[..sb.iter().position(|&b| b == 0).unwrap_or(sb.len())];

    let end = text.len() - ignored_log_message_bytes(text, text.len());
    let start = find_trailer_block_start(text, end);
    let mut items = parse_block(&text[start..end]);

    let token = trim(key.as_bytes());
    let value = trim(value.as_bytes());
    // addIfDifferentNeighbor with where = end: the neighbour is the last item
    // of the block, whatever its kind. If it is not the same trailer, the new
    // one is appended whether or not the token already occurs (ifMissing = add).
    let same_as_last = matches!(items.last(), Some(Item::Trailer { token: t, value: v })
        if same_token(t, token) && v.eq_ignore_ascii_case(value));
    if !same_as_last {
        items.push(Item::Trailer { token: token.to_vec(), value: value.to_vec() });
    }

    let mut out = Vec::with_capacity(sb.len() + key.len() + value.len() + 4);
    out.extend_from_slice(&sb[..start]);
    if !ends_with_blank_line(text, start) {
        out.push(b'\n');
    }
    for item in &items {
        match item {
            Item::Trailer { token, value } => {
                // A token never ends in the separator here (it stops before
                // the first `:`), so git always adds ": ".
                out.extend_from_slice(token);
                out.extend_from_slice(b": ");
                out.extend_from_slice(value);
            }
            Item::Other(line) => out.extend_from_slice(line),
        }
        out.push(b'\n');
    }
    out.extend_from_slice(&sb[end..]);
    out
}

/// One element of a parsed trailer block.
enum Item {
    /// A `token: value` trailer (value possibly spanning continuation lines).
    Trailer { token: Vec<u8>, value: Vec<u8> },
    /// Any other line, without its final `\n`.
    Other(Vec<u8>),
}

/// git's `isspace`: its own ctype table, where only these four are spaces.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// git's `strbuf_trim`.
fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_space(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_space(b)).map_or(start, |i| i + 1);
    &s[start..end]
}

/// The offset just past the `\n` ending the line at `from`, or the end.
fn next_line(buf: &[u8], from: usize) -> usize {
    buf[from..].iter().position(|&b| b == b'\n').map_or(buf.len(), |i| from + i + 1)
}

/// The start of the last line of `buf[..len]` (a final `\n` belongs to it),
/// or `None` when `len` is 0.
fn last_line(buf: &[u8], len: usize) -> Option<usize> {
    if len == 0 {
        return None;
    }
    Some(buf[..len - 1].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1))
}

/// Whether the line starting `s` holds only spaces (the end of the string
/// counts as the end of a line).
fn is_blank_line(s: &[u8]) -> bool {
    s.iter().take_while(|&&b| b != b'\n').all(|&b| is_space(b))
}

/// Whether `buf[..len]` ends with a blank line.
fn ends_with_blank_line(buf: &[u8], len: usize) -> bool {
    last_line(buf, len).is_some_and(|l| is_blank_line(&buf[l..]))
}

/// The position of the separator if `line` is `token<spaces>:...`, where the
/// token is ASCII alphanumerics and `-`; `Some(0)` if it starts with `:`.
fn find_separator(line: &[u8]) -> Option<usize> {
    let mut whitespace_found = false;
    for (i, &c) in line.iter().enumerate() {
        if c == b':' {
            return Some(i);
        }
        if !whitespace_found && (c.is_ascii_alphanumeric() || c == b'-') {
            continue;
        }
        if i != 0 && (c == b' ' || c == b'\t') {
            whitespace_found = true;
            continue;
        }
        break;
    }
    None
}

/// Whether `line` is a `token: value` line (a token of at least one byte).
fn is_trailer_line(line: &[u8]) -> bool {
    find_separator(line).is_some_and(|p| p >= 1)
}

/// git's `same_token`: case-insensitive on the length of the shorter token,
/// each measured without trailing non-alphanumerics.
fn same_token(a: &[u8], b: &[u8]) -> bool {
    let len = |t: &[u8]| t.iter().rposition(|b| b.is_ascii_alphanumeric()).map_or(0, |i| i + 1);
    let n = len(a).min(len(b));
    a[..n].eq_ignore_ascii_case(&b[..n])
}

/// `wt_status_locate_end`: where a `# ---- >8 ----` scissors line cuts the
/// message (everything below it is `git commit -v`'s diff).
fn locate_cut(s: &[u8], len: usize) -> usize {
    let mut pattern = vec![b'\n', COMMENT, b' '];
    pattern.extend_from_slice(CUT_LINE);
    if s.starts_with(&pattern[1..]) {
        return 0;
    }
    match s.windows(pattern.len()).position(|w| w == pattern.as_slice()) {
        Some(p) if p + 1 < len => p + 1,
        _ => len,
    }
}

/// `ignored_log_message_bytes`: how many bytes at the end of `buf[..len]`
/// are trailing comment lines, empty lines, an old `Conflicts:` block, or
/// below a scissors line.
fn ignored_log_message_bytes(buf: &[u8], len: usize) -> usize {
    // `boc` is the start of the current run of ignorable lines; like git we
    // use 0 for "none", so a run starting at the very first line only
    // counts from its second line.
    let mut boc = 0;
    let mut bol = 0;
    let mut in_old_conflicts_block = false;
    let cutoff = locate_cut(buf, len);
    while bol < cutoff {
        let next = next_line(&buf[..len], bol);
        if buf[bol] == COMMENT || buf[bol] == b'\n' {
            if boc == 0 {
                boc = bol;
            }
        } else if buf[bol..].starts_with(b"Conflicts:\n") {
            in_old_conflicts_block = true;
            if boc == 0 {
                boc = bol;
            }
        } else if in_old_conflicts_block && buf[bol] == b'\t' {
            // A pathname in the conflicts block.
        } else if boc != 0 {
            boc = 0;
            in_old_conflicts_block = false;
        }
        bol = next;
    }
    if boc != 0 {
        len - boc
    } else {
        len - cutoff
    }
}

/// `find_trailer_block_start`: the start of the last paragraph of
/// `buf[..len]` if it is a trailer block, else `len`.
fn find_trailer_block_start(buf: &[u8], len: usize) -> usize {
    // The first paragraph is the title and cannot be trailers.
    let mut s = 0;
    while s < len {
        if buf[s] == COMMENT {
            s = next_line(buf, s);
            continue;
        }
        if is_blank_line(&buf[s..]) {
            break;
        }
        s = next_line(buf, s);
    }
    let end_of_title = s;

    let mut only_spaces = true;
    let mut recognized_prefix = false;
    let mut trailer_lines = 0usize;
    let mut non_trailer_lines = 0usize;
    // Indented lines count as continuations if a trailer comes above them,
    // as non-trailers otherwise.
    let mut possible_continuation_lines = 0usize;

    let mut l = last_line(buf, len);
    while let Some(bol) = l.filter(|&l| l >= end_of_title) {
        l = last_line(buf, bol);
        let line = &buf[bol..];
        if line[0] == COMMENT {
            non_trailer_lines += possible_continuation_lines;
            possible_continuation_lines = 0;
            continue;
        }
        if is_blank_line(line) {
            if only_spaces {
                continue;
            }
            non_trailer_lines += possible_continuation_lines;
            if (recognized_prefix && trailer_lines * 3 >= non_trailer_lines)
                || (trailer_lines > 0 && non_trailer_lines == 0)
            {
                return next_line(buf, bol);
            }
            return len;
        }
        only_spaces = false;
        if GIT_GENERATED_PREFIXES.iter().any(|p| line.starts_with(p)) {
            trailer_lines += 1;
            possible_continuation_lines = 0;
            recognized_prefix = true;
        } else if is_trailer_line(line) {
            // (git would also look the token up in the trailer.* config,
            // which is empty by default.)
            trailer_lines += 1;
            possible_continuation_lines = 0;
        } else if is_space(line[0]) {
            possible_continuation_lines += 1;
        } else {
            non_trailer_lines += 1 + possible_continuation_lines;
            possible_continuation_lines = 0;
        }
    }
    len
}

/// `trailer_info_get` + `parse_trailers`: the items of a trailer block.
fn parse_block(block: &[u8]) -> Vec<Item> {
    // Lines (each with its `\n`), indented ones glued to the trailer above.
    let mut strings: Vec<Vec<u8>> = Vec::new();
    let mut last_is_trailer = false;
    let mut pos = 0;
    while pos < block.len() {
        let next = next_line(block, pos);
        let line = &block[pos..next];
        pos = next;
        if last_is_trailer && is_space(line[0]) {
            strings.last_mut().expect("a trailer came before").extend_from_slice(line);
            continue;
        }
        last_is_trailer = is_trailer_line(line);
        strings.push(line.to_vec());
    }
    strings
        .into_iter()
        // Comment lines vanish from the rewritten block.
        .filter(|s| s[0] != COMMENT)
        .map(|s| match find_separator(&s) {
            Some(p) if p >= 1 => {
                Item::Trailer { token: trim(&s[..p]).to_vec(), value: trim(&s[p + 1..]).to_vec() }
            }
            _ => Item::Other(s.strip_suffix(b"\n").unwrap_or(&s).to_vec()),
        })
        .collect()
}

#[cfg(test)]
#[path = "../../tests/it/support/git_trailers.rs"]
mod git_trailers;

#[cfg(test)]
mod tests {
    use super::add_trailer;
    use super::git_trailers::git_interpret_trailers;
    use proptest::prelude::*;

    const KEY: &str = "Split-Source";
    const VALUE: &str = "0123456789abcdef0123456789abcdef01234567";

    fn git(message: &[u8]) -> Vec<u8> {
        git_interpret_trailers(message, &format!("{KEY}: {VALUE}"))
    }

    fn check(message: &[u8]) -> Result<(), String> {
        let ours = add_trailer(message, KEY, VALUE);
        let theirs = git(message);
        if ours == theirs {
            Ok(())
        } else {
            Err(format!(
                "message {:?}\n   ours {:?}\n    git {:?}",
                message.escape_ascii().to_string(),
                ours.escape_ascii().to_string(),
                theirs.escape_ascii().to_string()
            ))
        }
    }

    const SAME: &str = "Split-Source: 0123456789abcdef0123456789abcdef01234567";

    /// Messages covering each rule; the expected output is always git's.
    fn table() -> Vec<Vec<u8>> {
        let same = SAME;
        let mut t: Vec<Vec<u8>> = [
            // Empty and subject-only messages: the title is never a trailer block.
            "",
            "\n",
            "\n\n",
            "Fix bug",
            "Fix bug\n",
            "Fix bug\n\n",
            "Fix bug\n\n\n\n",
            "Key: value",
            "Key: value\n",
            "Signed-off-by: A <a@b>\n",
            same,
            // Body paragraphs.
            "Fix bug\n\nBody text.\n",
            "Fix bug\n\nBody text.",
            "Fix bug\n\nBody text.\n\n\n",
            "Fix bug\n\nBody\nmore body\n",
            "Fix bug\n\nBody: looks like a trailer but\nis prose\n",
            // Trailer blocks.
            "Fix bug\n\nKey: v\n",
            "Fix bug\n\nKey: v",
            "Fix bug\n\nKey: v\n\n\n",
            "Fix bug\n\nBody.\n\nKey: v\nOther-Key: w\n",
            "Fix bug\n\nKey:v\nKey2 :  spaced  \nKey3:\n",
            "Fix bug\n\nKey: v\n  continued\n\tand tabbed\n",
            "Fix bug\n\n  indented first\nKey: v\n",
            "Fix bug\n\nKey: v\n   \n",
            "Fix bug\n\nKey: v\n\nAfter: blank\n",
            "Fix bug\n\nBug #42: no\n",
            "Fix bug\n\nKey x: v\n",
            "Fix bug\n\n:no token\n",
            "Fix bug\n\n-: dash token\n",
            // Same trailer already present (addIfDifferentNeighbor).
            "Fix bug\n\nSplit-Source: 0123456789abcdef0123456789abcdef01234567\n",
            "Fix bug\n\nsplit-source:   0123456789ABCDEF0123456789ABCDEF01234567  \n",
            "Fix bug\n\nSplit-Source: 0123456789abcdef0123456789abcdef01234567\nKey: v\n",
            "Fix bug\n\nSplit-Source: 0000000000000000000000000000000000000000\n",
            "Fix bug\n\nSplit: 0123456789abcdef0123456789abcdef01234567\n",
            "Fix bug\n\nSplit-Source-Extra: 0123456789abcdef0123456789abcdef01234567\n",
            "Fix bug\n\nSplit-Source: 0123456789abcdef0123456789abcdef01234567\n# comment\n",
            "Fix bug\n\nSplit-Source: 0123456789abcdef0123456789abcdef01234567\nnot a trailer\nSigned-off-by: A <a@b>\n",
            // The 25% rule and git-generated prefixes.
            "Fix bug\n\nsome prose\nSigned-off-by: A <a@b>\n",
            "Fix bug\n\none\ntwo\nthree\nSigned-off-by: A <a@b>\n",
            "Fix bug\n\none\ntwo\nthree\nfour\nSigned-off-by: A <a@b>\n",
            "Fix bug\n\none\ntwo\nthree\nKey: v\n",
            "Fix bug\n\nprose\n(cherry picked from commit 0123456789abcdef0123456789abcdef01234567)\n",
            "Fix bug\n\n(cherry picked from commit 0123456789abcdef0123456789abcdef01234567)\n",
            "Fix bug\n\nSigned-off-by:A <a@b>\nprose\n",
            "Fix bug\n\nprose\n  indented\n  indented\nSigned-off-by: A <a@b>\n",
            "Fix bug\n\nSigned-off-by: A <a@b>\n  continuation\nprose\n",
            // `---` divider: plain text in a commit message.
            "Fix bug\n\n---\nKey: v\n",
            "Fix bug\n---\n\nKey: v\n",
            "---\n\nKey: v\n",
            "Fix bug\n\nKey: v\n---\n",
            "Fix bug\n\nBody\n--- a/file\n+++ b/file\n",
            // Comment lines.
            "# comment\n",
            "# one\n# two\n",
            "Fix bug\n# comment\n",
            "# comment\nFix bug\n\nKey: v\n",
            "Fix bug\n\nKey: v\n# comment\n",
            "Fix bug\n\nKey: v\n# comment\nKey2: w\n",
            "Fix bug\n\nKey: v\n\n# comment\n\n",
            "Fix bug\n\n# comment\n\nKey: v\n",
            "Fix bug\n\nBody\n# ------------------------ >8 ------------------------\nKey: v\n",
            "# ------------------------ >8 ------------------------\nKey: v\n",
            "# ------------------------ >8 ------------------------\r\n",
            "Fix bug\n\nKey: v\n# ------------------------ >8 ------------------------ trailing\nmore\n",
            "Fix bug\n\nBody\n\nConflicts:\n\tfile.c\n",
            "Fix bug\n\nKey: v\n\nConflicts:\n\tfile.c\n",
            // CRLF.
            "Fix bug\r\n",
            "Fix bug\r\n\r\nBody\r\n",
            "Fix bug\r\n\r\nKey: v\r\n",
            "Fix bug\r\n\r\nKey: v\r\n\r\n",
            "Fix bug\r\n\r\nKey: v\r\n  cont\r\n",
            "Fix bug\r\n\r\nSplit-Source: 0123456789abcdef0123456789abcdef01234567\r\n",
            "Fix bug\r\n\r\nprose\r\nSigned-off-by: A <a@b>\r\n",
            // Whitespace-only lines.
            "Fix bug\n   \nKey: v\n",
            "Fix bug\n\nBody\n \t \n",
            "  \n\nKey: v\n",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        // Non-UTF-8 messages (an `encoding` header commit) and NUL bytes.
        t.push(b"Caf\xe9\n\nR\xe9sum\xe9 du changement\n".to_vec());
        t.push(b"Caf\xe9\n\nKey: caf\xe9\n".to_vec());
        t.push(b"Fix\n\n\xe9t\xe9: v\n".to_vec());
        t.push(b"\xff\xfe\n".to_vec());
        t.push(b"Fix bug\n\nKey: v\0hidden\n".to_vec());
        t.push(b"Fix bug\0\n\nKey: v\n".to_vec());
        t.push(b"\0".to_vec());
        t
    }

    #[test]
    fn trailer_table_matches_git() {
        let table = table();
        assert!(table.len() >= 40);
        let failures: Vec<String> = table.iter().filter_map(|m| check(m).err()).collect();
        assert!(
            failures.is_empty(),
            "{} of {} differ from git:\n{}",
            failures.len(),
            table.len(),
            failures.join("\n")
        );
    }

    /// Lines random messages are made of: each rule's trigger.
    const LINES: &[&[u8]] = &[
        b"Fix",
        b"",
        b"Key: v",
        b"Signed-off-by: A <a@b>",
        b"  cont",
        b"# c",
        b"---",
        b"x y z",
        b"caf\xe9 \xff",
        b"Split-Source: 0123456789abcdef0123456789abcdef01234567",
        b"split-source: 0123456789ABCDEF0123456789ABCDEF01234567",
        b"(cherry picked from commit 0123456789abcdef0123456789abcdef01234567)",
        b" \t ",
        b"Conflicts:",
        b"\tpath",
        b"# ------------------------ >8 ------------------------",
    ];

    fn message() -> impl Strategy<Value = Vec<u8>> {
        (prop::collection::vec(prop::sample::select(LINES), 0..10), any::<bool>(), any::<bool>()).prop_map(
            |(lines, crlf, final_newline)| {
                let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
                let mut m = lines.join(eol);
                if final_newline && !lines.is_empty() {
                    m.extend_from_slice(eol);
                }
                m
            },
        )
    }

    proptest! {
        // Each case spawns git; PROPTEST_CASES raises the count for a longer
        // run. No regression files: this test must not write into src/.
        #![proptest_config(ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(200),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn trailer_random_messages_match_git(m in message()) {
            if let Err(e) = check(&m) {
                prop_assert!(false, "{}", e);
            }
        }
    }
}
