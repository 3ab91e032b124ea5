//! The bytes of the commits each tool writes: git subtree's shell pipeline
//! (`git log --format`, `read`, `git commit-tree`) and splitsh's libgit2
//! calls, each rule with the tool's own handling of identities, dates,
//! encodings and messages.

use std::ffi::CString;

use git2::Oid;

/// A raw commit object split into its header lines and its message.
pub(super) struct RawCommit<'a> {
    headers: Vec<&'a [u8]>,
    pub(super) message: &'a [u8],
}

pub(super) fn parse_raw(raw: &[u8]) -> RawCommit<'_> {
    let end = raw.windows(2).position(|w| w == b"\n\n");
    let (head, message) = match end {
        Some(p) => (&raw[..p], &raw[p + 2..]),
        None => (raw.strip_suffix(b"\n").unwrap_or(raw), &b""[..]),
    };
    RawCommit { headers: head.split(|&b| b == b'\n').collect(), message }
}

impl RawCommit<'_> {
    /// The first header `key` (git's `find_commit_header`).
    fn header(&self, key: &[u8]) -> Option<&[u8]> {
        self.headers.iter().find_map(|l| l.strip_prefix(key)?.strip_prefix(b" "))
    }
}

/// Up to the first NUL byte: git and libgit2 read messages as C strings.
fn c_str(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

/// A timestamp and `±hhmm` offset, as both tools can round-trip it.
fn parse_when(ts: &[u8], tz: &[u8]) -> Result<(u64, i32), String> {
    let bad =
        || format!("unsupported date `{} {}`", String::from_utf8_lossy(ts), String::from_utf8_lossy(tz));
    if ts.is_empty() || !ts.iter().all(u8::is_ascii_digit) || ts.len() > 12 {
        return Err(bad());
    }
    let t: u64 = std::str::from_utf8(ts).map_err(|_| bad())?.parse().map_err(|_| bad())?;
    // git's date parser only knows 1970-2099: a copy would fail or change.
    if t == 0 || t >= 4_102_444_800 {
        return Err(bad());
    }
    if tz.len() != 5 || !matches!(tz[0], b'+' | b'-') || !tz[1..].iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let hhmm: i32 = std::str::from_utf8(&tz[1..]).map_err(|_| bad())?.parse().map_err(|_| bad())?;
    if hhmm / 100 >= 24 || hhmm % 100 >= 60 {
        return Err(bad());
    }
    Ok((t, if tz[0] == b'-' { -hhmm } else { hhmm }))
}

/// Name, e-mail, timestamp and offset (`±hhmm` as a number) of an ident line.
type Ident<'a> = (&'a [u8], &'a [u8], u64, i32);

/// git's `split_ident_line` on a well-formed `name <email> time tz`.
fn git_ident(line: &[u8]) -> Result<Ident<'_>, String> {
    let bad = || format!("malformed ident `{}`", String::from_utf8_lossy(line));
    let lt = line.iter().position(|&b| b == b'<').ok_or_else(bad)?;
    let gt = lt + 1 + line[lt + 1..].iter().position(|&b| b == b'>').ok_or_else(bad)?;
    let name = trim_end(&line[..lt], |b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    let email = &line[lt + 1..gt];
    // The date follows the last `>` (git looks for it from the end).
    let last_gt = line.iter().rposition(|&b| b == b'>').ok_or_else(bad)?;
    let rest = trim_start(&line[last_gt + 1..], |b| b == b' ');
    let (ts, tz) = split_date(rest).ok_or_else(bad)?;
    let (t, tz) = parse_when(ts, tz)?;
    Ok((name, email, t, tz))
}

fn split_date(rest: &[u8]) -> Option<(&[u8], &[u8])> {
    let sp = rest.iter().position(|&b| b == b' ')?;
    Some((&rest[..sp], trim_start(&rest[sp + 1..], |b| b == b' ')))
}

fn trim_start(b: &[u8], f: impl Fn(u8) -> bool) -> &[u8] {
    let s = b.iter().position(|&c| !f(c)).unwrap_or(b.len());
    &b[s..]
}

pub(super) fn trim_end(b: &[u8], f: impl Fn(u8) -> bool) -> &[u8] {
    let e = b.iter().rposition(|&c| !f(c)).map_or(0, |p| p + 1);
    &b[..e]
}

/// git's `crud()`: what `fmt_ident` strips from both ends of a name or e-mail.
fn crud(c: u8) -> bool {
    c <= 32 || matches!(c, b',' | b':' | b';' | b'<' | b'>' | b'"' | b'\\' | b'\'')
}

/// git's `strbuf_addstr_without_crud`.
pub(super) fn without_crud(s: &[u8]) -> Vec<u8> {
    let s = trim_end(trim_start(s, crud), crud);
    s.iter().copied().filter(|&c| !matches!(c, b'\n' | b'<' | b'>')).collect()
}

/// One `read VAR` of dash (no `-r`, default IFS) from `input` at `pos`: a
/// backslash escapes the next byte (and joins lines before a newline);
/// unescaped blanks at both ends are dropped.
pub(super) fn sh_read(input: &[u8], pos: &mut usize) -> Vec<u8> {
    let mut out: Vec<(u8, bool)> = Vec::new();
    while *pos < input.len() {
        let c = input[*pos];
        *pos += 1;
        match c {
            b'\\' if *pos < input.len() => {
                let n = input[*pos];
                *pos += 1;
                if n != b'\n' {
                    out.push((n, true));
                }
            }
            b'\\' => {}
            b'\n' => break,
            _ => out.push((c, false)),
        }
    }
    let blank = |&(c, esc): &(u8, bool)| !esc && matches!(c, b' ' | b'\t' | b'\n');
    let start = out.iter().position(|c| !blank(c)).unwrap_or(out.len());
    let end = out.iter().rposition(|c| !blank(c)).map_or(start, |p| p + 1);
    out[start..end.max(start)].iter().map(|&(c, _)| c).collect()
}

/// glibc's iconv to UTF-8, as git's `reencode_string_len` calls it: `None`
/// when the encoding is unknown or the text does not convert.
pub(super) fn iconv_to_utf8(input: &[u8], from: &str) -> Option<Vec<u8>> {
    let to = CString::new("UTF-8").ok()?;
    let open = |name: &str| {
        let from = CString::new(name).ok()?;
        // SAFETY: both arguments are NUL-terminated strings that outlive the call.
        let cd = unsafe { libc::iconv_open(to.as_ptr(), from.as_ptr()) };
        (cd as usize != usize::MAX).then_some(cd)
    };
    let fallback = if from.eq_ignore_ascii_case("latin-1") { "ISO-8859-1" } else { from };
    let cd = open(from).or_else(|| open(fallback))?;
    let mut out = vec![0u8; input.len() * 4 + 32];
    let mut inbuf = input.as_ptr() as *mut libc::c_char;
    let mut inleft = input.len();
    let mut outbuf = out.as_mut_ptr() as *mut libc::c_char;
    let mut outleft = out.len();
    // SAFETY: the pointers and lengths describe `input` and `out`, which
    // live across the call; iconv advances them within those buffers.
    let r = unsafe { libc::iconv(cd, &mut inbuf, &mut inleft, &mut outbuf, &mut outleft) };
    // SAFETY: `cd` came from a successful iconv_open.
    unsafe { libc::iconv_close(cd) };
    // Four output bytes per input byte always suffice for UTF-8, so any
    // failure is a conversion error, where git keeps the original bytes.
    if r == usize::MAX {
        return None;
    }
    out.truncate(out.len() - outleft);
    Some(out)
}

/// git's `is_encoding_utf8` (`utf-8`, `utf8`, any case).
fn is_utf8_name(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"utf-8") || name.eq_ignore_ascii_case(b"utf8")
}

/// git's `find_invalid_utf8`: the offset of the first byte that does not
/// start a valid UTF-8 character (surrogates and non-characters excluded).
pub(super) fn find_invalid_utf8(buf: &[u8]) -> Option<usize> {
    const MAX: [u32; 4] = [0x7f, 0x7ff, 0xffff, 0x10ffff];
    let mut i = 0;
    while i < buf.len() {
        let mut c = buf[i];
        let start = i;
        i += 1;
        if c < 0x80 {
            continue;
        }
        let mut bytes = 0usize;
        while c & 0x40 != 0 {
            c <<= 1;
            bytes += 1;
        }
        if !(1..=3).contains(&bytes) || buf.len() - i < bytes {
            return Some(start);
        }
        let mut cp = u32::from((c & 0x7f) >> bytes);
        let (min, max) = (MAX[bytes - 1] + 1, MAX[bytes]);
        for _ in 0..bytes {
            let b = buf[i];
            i += 1;
            cp = (cp << 6) | u32::from(b & 0x3f);
            if b & 0xc0 != 0x80 {
                return Some(start);
            }
        }
        if cp < min
            || cp > max
            || cp & 0x1ff800 == 0xd800
            || cp & 0xfffe == 0xfffe
            || (0xfdd0..=0xfdef).contains(&cp)
        {
            return Some(start);
        }
    }
    None
}

/// git's `verify_utf8` in `commit_tree_extended`: every byte that is not
/// valid UTF-8 is taken for Latin-1 and converted.
pub(super) fn force_utf8(mut buf: Vec<u8>) -> Vec<u8> {
    let mut pos = 0;
    while let Some(bad) = find_invalid_utf8(&buf[pos..]) {
        pos += bad;
        let c = buf[pos];
        buf.splice(pos..pos + 1, [0xc0 + (c >> 6), 0x80 + (c & 0x3f)]);
        pos += 2;
    }
    buf
}

/// The commit `git subtree split` writes for monolith commit `raw` on
/// `tree` and `parents`, or why git subtree would fail on it.
///
/// git subtree's `copy_commit` runs `git log -1 --format='%an%n%ae%n%aD%n
/// %cn%n%ce%n%cD%n%B'`, `read`s six lines into `GIT_AUTHOR_*` /
/// `GIT_COMMITTER_*` and pipes the rest to `git commit-tree`. So: the
/// message is re-encoded to UTF-8 when an `encoding` header names another
/// encoding (and the header goes); `read` drops blanks around names and
/// e-mails and eats backslashes; `commit-tree` strips "crud" (`,:;<>"\'`
/// and control characters) from their ends, keeps an empty e-mail empty,
/// refuses an empty name, writes `+0000` for `-0000`, drops every other
/// header (`gpgsig`, `mergetag`, ...) and converts any byte that is not
/// UTF-8 as Latin-1.
pub fn subtree_commit(raw: &[u8], tree: Oid, parents: &[Oid]) -> Result<Vec<u8>, String> {
    // `git log` reads the object as a C string.
    let raw = c_str(raw);
    let parsed = parse_raw(raw);
    let reencoded = parsed
        .header(b"encoding")
        .filter(|e| !is_utf8_name(e))
        .and_then(|e| iconv_to_utf8(raw, &String::from_utf8_lossy(e)));
    let buf = reencoded.as_deref().unwrap_or(raw);
    let c = parse_raw(buf);
    let ident = |key: &[u8]| -> Result<Ident<'_>, String> {
        let line = c.header(key).ok_or_else(|| format!("no {} line", String::from_utf8_lossy(key)))?;
        git_ident(line)
    };
    let (an, ae, at, atz) = ident(b"author")?;
    let (cn, ce, ct, ctz) = ident(b"committer")?;

    // The `git log` output as the shell reads it; dates stand in as `D`,
    // which `read` passes through unless a backslash shifted the lines.
    let mut stream = Vec::with_capacity(buf.len() + 16);
    for field in [an, ae, b"D", cn, ce, b"D"] {
        stream.extend_from_slice(field);
        stream.push(b'\n');
    }
    stream.extend_from_slice(c.message);
    let mut pos = 0;
    let vars: Vec<Vec<u8>> = (0..6).map(|_| sh_read(&stream, &mut pos)).collect();
    if vars[2] != b"D" || vars[5] != b"D" {
        return Err("a name or e-mail ending in a backslash shifts the fields `read` gets".into());
    }
    let message = &stream[pos..];

    let mut out = Vec::with_capacity(buf.len() + 128);
    out.extend_from_slice(format!("tree {tree}\n").as_bytes());
    for p in parents {
        out.extend_from_slice(format!("parent {p}\n").as_bytes());
    }
    for (key, name, email, t, tz) in
        [(&b"author"[..], &vars[0], &vars[1], at, atz), (b"committer", &vars[3], &vars[4], ct, ctz)]
    {
        if name.is_empty() {
            return Err(format!(
                "empty {} name (`git commit-tree` refuses it)",
                String::from_utf8_lossy(key)
            ));
        }
        if name.iter().all(|&b| crud(b)) {
            return Err(format!("{} name has only disallowed characters", String::from_utf8_lossy(key)));
        }
        out.extend_from_slice(key);
        out.push(b' ');
        out.extend_from_slice(&without_crud(name));
        out.extend_from_slice(b" <");
        out.extend_from_slice(&without_crud(email));
        out.extend_from_slice(format!("> {t} {tz:+05}\n").as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(message);
    Ok(force_utf8(out))
}

/// libgit2 1.5's `is_crud` (`signature.c`): what `extract_trimmed` strips
/// from both ends of a name or e-mail; git's `crud()` and `.` too (libgit2
/// dropped the `.` later, in a version splitsh-lite does not build with).
fn libgit2_crud(c: u8) -> bool {
    c <= 32 || matches!(c, b'.' | b',' | b':' | b';' | b'<' | b'>' | b'"' | b'\\' | b'\'')
}

/// libgit2's `extract_trimmed`, then read back as a C string (`git2go`'s
/// `C.GoString`) and trimmed again by `git_signature_new`.
fn libgit2_trimmed(b: &[u8]) -> &[u8] {
    fn trim(b: &[u8]) -> &[u8] {
        trim_end(trim_start(b, libgit2_crud), libgit2_crud)
    }
    trim(c_str(trim(b)))
}

/// libgit2's `git__strntol64` in base 10 (`util.c`): blanks, a sign, then
/// at least one digit; the value and the bytes read, or `None` where libgit2
/// fails (no digit, or a value beyond `max`).
fn strntol(b: &[u8], max: i64) -> Option<(i64, usize)> {
    let space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    let mut i = b.iter().position(|&c| !space(c)).unwrap_or(b.len());
    let neg = b.get(i) == Some(&b'-');
    if matches!(b.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let mut n: i64 = 0;
    for &c in &b[i..i + digits] {
        let v = i64::from(c - b'0');
        n = n.checked_mul(10).and_then(|n| if neg { n.checked_sub(v) } else { n.checked_add(v) })?;
        if n > max || n < -max - 1 {
            return None;
        }
    }
    Some((n, i + digits))
}

/// A signature as splitsh-lite hands it to `git_signature_new`: name,
/// e-mail, the timestamp libgit2 prints (`%u` of its `(unsigned)` cast) and
/// the offset in minutes.
type Libgit2Ident<'a> = (&'a [u8], &'a [u8], u32, i32);

/// libgit2's `git_signature__parse` on an ident line: the e-mail between the
/// last `<` and the last `>`, the name before that `<`, both trimmed of
/// crud; the timestamp two bytes after the `>`; the offset one byte after
/// the timestamp, zero when it is not `±` and a number or is out of range
/// (more than 14 hours or 59 minutes); no date at all is time 0, `+0000`.
fn libgit2_ident(line: &[u8]) -> Result<Libgit2Ident<'_>, String> {
    let bad = || format!("malformed signature `{}` (libgit2 cannot read it)", String::from_utf8_lossy(line));
    let lt = line.iter().rposition(|&b| b == b'<').ok_or_else(bad)?;
    let gt = line.iter().rposition(|&b| b == b'>').ok_or_else(bad)?;
    if gt <= lt {
        return Err(bad());
    }
    let name = libgit2_trimmed(&line[..lt]);
    let email = libgit2_trimmed(&line[lt + 1..gt]);
    let (mut time, mut offset) = (0i64, 0i32);
    if gt + 2 < line.len() {
        let (t, used) = strntol(&line[gt + 2..], i64::MAX).ok_or_else(bad)?;
        time = t;
        let tz_start = gt + 2 + used + 1;
        if tz_start < line.len() {
            let tz = &line[tz_start..];
            let raw = match tz[0] {
                b'+' | b'-' => strntol(&tz[1..], i64::from(i32::MAX)).map_or(0, |(v, _)| v as i32),
                _ => 0,
            };
            let (hours, mins) = (raw / 100, raw % 100);
            if hours <= 14 && mins <= 59 {
                offset = hours * 60 + mins;
                if tz[0] == b'-' {
                    offset = -offset;
                }
            }
        }
    }
    // `git_signature__writebuf` prints `(unsigned)sig->when.time`.
    Ok((name, email, time as u32, offset))
}

/// The commit splitsh-lite writes for monolith commit `raw` on `tree` and
/// `parents` (`legacy`: `--git="<1.8.2"`, whose message is rebuilt by
/// [`splitsh_legacy_message`]; otherwise the raw message), or why it would
/// fail.
///
/// splitsh copies the author and committer through git2go and libgit2
/// (`copyCommit`, `git_signature__parse`, `git_signature_new`,
/// `git_signature__writebuf`): names and e-mails trimmed of crud (blanks,
/// control bytes and `.,:;<>"\'`), an empty e-mail replaced by
/// `nobody@example.com`, an empty name or an angle bracket left inside
/// refused, the offset re-signed from its value (`-0000` is `+0000`) and
/// zeroed when libgit2 does not take it; `git_commit_create` writes no
/// header other than tree, parents, author and committer (no `encoding`,
/// `gpgsig`, `mergetag`) and the message bytes as they are (up to a NUL).
pub fn splitsh_commit(raw: &[u8], tree: Oid, parents: &[Oid], legacy: bool) -> Result<Vec<u8>, String> {
    let c = parse_raw(raw);
    let mut out = Vec::with_capacity(raw.len() + 64);
    out.extend_from_slice(format!("tree {tree}\n").as_bytes());
    for p in parents {
        out.extend_from_slice(format!("parent {p}\n").as_bytes());
    }
    for key in [&b"author"[..], b"committer"] {
        let line = c.header(key).ok_or_else(|| format!("no {} line", String::from_utf8_lossy(key)))?;
        let (name, email, t, tz) = libgit2_ident(line)?;
        let email = if email.is_empty() { &b"nobody@example.com"[..] } else { email };
        if name.is_empty() {
            return Err(format!("empty {} name (libgit2 refuses it)", String::from_utf8_lossy(key)));
        }
        if [name, email].iter().any(|s| s.iter().any(|&b| b == b'<' || b == b'>')) {
            return Err(format!("angle bracket in {} (libgit2 refuses it)", String::from_utf8_lossy(key)));
        }
        out.extend_from_slice(key);
        out.push(b' ');
        out.extend_from_slice(name);
        out.extend_from_slice(b" <");
        out.extend_from_slice(email);
        let sign = if tz < 0 { '-' } else { '+' };
        let tz = tz.unsigned_abs();
        out.extend_from_slice(format!("> {t} {sign}{:02}{:02}\n", tz / 60, tz % 60).as_bytes());
    }
    out.push(b'\n');
    let message = c_str(c.message);
    if legacy {
        out.extend_from_slice(&splitsh_legacy_message(message));
    } else {
        out.extend_from_slice(message);
    }
    Ok(out)
}

/// splitsh-lite's message in `--git="<1.8.2"` mode: *subject* `\n\n` *body*.
///
/// libgit2's `git_commit_message` first drops leading `\n`s. The message is
/// cut at the first `\n\n` or `\r\n\r\n` that starts at least four bytes
/// before its end (splitsh's loop bound; a later one is not seen). In the
/// subject, each run of whitespace that ends in a newline (`\s*\r?\n`)
/// becomes one space, and trailing spaces go; the body loses leading `\r`
/// and `\n` bytes. A subject-only message thus ends in `\n\n`.
pub fn splitsh_legacy_message(raw: &[u8]) -> Vec<u8> {
    let message = trim_start(c_str(raw), |b| b == b'\n');
    let mut split = None;
    let mut i = 0;
    while i + 4 <= message.len() {
        if message[i] == b'\n' && message[i + 1] == b'\n' {
            split = Some((i, i + 2));
            break;
        }
        if &message[i..i + 4] == b"\r\n\r\n" {
            split = Some((i, i + 4));
            break;
        }
        i += 1;
    }
    let (subject, body) = match split {
        Some((s, b)) => (&message[..s], &message[b..]),
        None => (message, &b""[..]),
    };
    // Go's `\s` is [\t\n\f\r ]; a match of `\s*\r?\n` from position i runs
    // to the last newline of the whitespace run starting at i.
    let ws = |b: u8| matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ');
    let mut norm = Vec::with_capacity(subject.len());
    let mut i = 0;
    while i < subject.len() {
        let run_end = subject[i..].iter().position(|&b| !ws(b)).map_or(subject.len(), |p| i + p);
        match subject[i..run_end].iter().rposition(|&b| b == b'\n') {
            Some(nl) => {
                norm.push(b' ');
                i += nl + 1;
            }
            None => {
                norm.push(subject[i]);
                i += 1;
            }
        }
    }
    let subject = trim_end(&norm, |b| b == b' ');
    let body = trim_start(body, |b| b == b'\r' || b == b'\n');
    let mut out = Vec::with_capacity(subject.len() + body.len() + 2);
    out.extend_from_slice(subject);
    out.extend_from_slice(b"\n\n");
    out.extend_from_slice(body);
    out
}
