//! Path patterns: compiled once when the manifest loads, matched per path
//! component so that the same automaton answers "does this file match" and
//! "is this whole directory matched, not at all, or partly".
//!
//! Rules (docs/manifest.md repeats them): patterns are relative to the repository
//! root; `*`, `?`, `[..]` and `{a,b}` never cross `/`; a `**` segment matches
//! zero or more whole segments (a final `**` one or more: `docs/**` is what
//! is inside `docs`, `*/**` no top-level file); a pattern that matches a
//! directory owns everything below it. That is git's `:(glob)` pathspec
//! magic, except that git lets only literal pathspecs own a directory's
//! subtree; here a glob that matches a directory owns it too (`src/*.d`
//! owns `src/conf.d/x`), as in `.gitignore`. `tests/it/pattern.rs`
//! compares with git, asking it for `P` and `P/**`.

use std::os::unix::ffi::OsStrExt;

use globset::{GlobBuilder, GlobSet};

/// More segments than this is refused at load time; it keeps a state set in one `u64`.
pub const MAX_SEGMENTS: usize = 63;

/// Longer patterns are refused at load time (`PATH_MAX`): no real path is
/// longer, and it bounds the size of the compiled automaton.
pub const MAX_PATTERN_BYTES: usize = 4096;

/// Why a pattern is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// Nothing left once slashes are trimmed.
    #[error("empty pattern")]
    Empty,
    /// `.` or `..` segments would make patterns escape or alias the root.
    #[error("`{0}` segments are not allowed: patterns are relative to the repository root")]
    DotSegment(String),
    /// `//` inside a pattern.
    #[error("empty path segment (`//`)")]
    EmptySegment,
    /// `a**b`: ambiguous, git treats it as `*`; we make the user say what they mean.
    #[error("`**` must be a whole path segment (`a/**/b`), not part of `{0}`")]
    PartialDoubleStar(String),
    /// `!negation` is not supported.
    #[error("`!` negation is not supported: use `exclude`")]
    Negation,
    /// `[...]` holding `\` or a non-ASCII character: git reads `\` there
    /// as an escape and a non-ASCII character as its separate bytes; globset
    /// does neither, so the same pattern would select other files than git's.
    #[error(
        "`[...]` in `{0}` holds `\\` or a non-ASCII character, which git reads differently: \
         put `]` first to include it, escape outside brackets (`a\\*`), or spell choices out (`{{é,e}}`)"
    )]
    ClassCharacter(String),
    /// Too deep to be a real pattern.
    #[error("more than {MAX_SEGMENTS} path segments")]
    TooManySegments,
    /// Too long to be a real pattern.
    #[error("longer than {MAX_PATTERN_BYTES} bytes")]
    TooLong,
    /// The glob syntax of one segment is wrong.
    #[error("bad glob in segment `{}`: {message}", shown(segment, 80))]
    Glob {
        /// The offending segment.
        segment: String,
        /// globset's explanation.
        message: String,
    },
}

/// `text` as it may be shown in a message: control characters escaped (a
/// manifest must not drive the terminal) and at most `max` characters.
pub(crate) fn shown(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push_str(&format!("...({} bytes)", text.len()));
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Clone, Debug)]
enum Seg {
    Literal(Box<[u8]>),
    /// `*` alone: any one name.
    Any,
    /// `**`: zero or more names (one or more as the last segment).
    DoubleStar,
    // A one-glob set rather than a `GlobMatcher`: building a set reports a
    // regex over its size limit as an error, `compile_matcher` panics.
    // The segment as written comes along for its brace lists.
    Glob(Box<GlobSet>, Box<str>),
}

impl Seg {
    fn matches(&self, name: &[u8]) -> bool {
        match self {
            Seg::Literal(l) => **l == *name,
            Seg::Any | Seg::DoubleStar => true,
            Seg::Glob(g, _) => g.is_match(std::ffi::OsStr::from_bytes(name)),
        }
    }
}

/// A set of automaton positions; bit `i` set = "segments `..i` consumed".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct State(u64);

impl State {
    /// No way to continue: nothing below can match.
    pub fn is_dead(self) -> bool {
        self.0 == 0
    }
}

/// How a pattern (or a whole team) relates to a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DirMatch {
    /// Nothing below the directory is matched.
    None,
    /// Some paths below may be matched and some not: descend to know.
    Partial,
    /// Every path below the directory is matched.
    Whole,
}

/// A compiled path pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    text: String,
    segs: Vec<Seg>,
    /// Start state, closed over `**`'s empty match.
    start: State,
    /// True when the pattern is only literal segments (a plain path).
    literal: bool,
}

impl Pattern {
    /// Compiles a manifest pattern.
    pub fn new(text: &str) -> Result<Pattern, PatternError> {
        if text.starts_with('!') {
            return Err(PatternError::Negation);
        }
        if text.len() > MAX_PATTERN_BYTES {
            return Err(PatternError::TooLong);
        }
        // `/payment` and `payment/` are both the directory `payment`.
        let trimmed = text.trim_start_matches("./").trim_matches('/');
        if trimmed.is_empty() {
            return Err(PatternError::Empty);
        }
        let mut segs = Vec::new();
        for seg in trimmed.split('/') {
            segs.push(compile_segment(seg)?);
        }
        if segs.len() > MAX_SEGMENTS {
            return Err(PatternError::TooManySegments);
        }
        let literal = segs.iter().all(|s| matches!(s, Seg::Literal(_)));
        let mut p = Pattern { text: text.to_string(), segs, start: State(0), literal };
        p.start = p.close(1);
        Ok(p)
    }

    /// A pattern naming one directory (or file) exactly, as resolved
    /// packages do; a path deeper than [`MAX_SEGMENTS`] is refused, as a
    /// written pattern is.
    pub fn literal_dir(path: &[u8]) -> Result<Pattern, PatternError> {
        let segs: Vec<Seg> =
            path.split(|&b| b == b'/').filter(|s| !s.is_empty()).map(|s| Seg::Literal(s.into())).collect();
        if segs.len() > MAX_SEGMENTS {
            return Err(PatternError::TooManySegments);
        }
        // The empty path is the root: `**` matches every path.
        let segs = if segs.is_empty() { vec![Seg::DoubleStar] } else { segs };
        let mut p = Pattern {
            text: String::from_utf8_lossy(path).into_owned(),
            segs,
            start: State(0),
            literal: true,
        };
        p.start = p.close(1);
        Ok(p)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True for a plain path without glob characters.
    pub fn is_literal(&self) -> bool {
        self.literal
    }

    /// The state before any component is read.
    pub fn start(&self) -> State {
        self.start
    }

    fn accept_bit(&self) -> u64 {
        1u64 << self.segs.len()
    }

    /// True if reading the components so far matched the pattern; since a
    /// matched directory owns its subtree, the path and all below it match.
    pub fn is_accepting(&self, s: State) -> bool {
        s.0 & self.accept_bit() != 0
    }

    /// Adds the positions reachable by letting `**` match nothing. A final
    /// `**` must match at least one name, as git's trailing `/**` ("everything
    /// inside"): `*/**` selects files in subdirectories, not top-level files.
    fn close(&self, mut bits: u64) -> State {
        let last = self.segs.len() - 1;
        for (i, seg) in self.segs.iter().enumerate() {
            if i != last && bits & (1 << i) != 0 && matches!(seg, Seg::DoubleStar) {
                bits |= 1 << (i + 1);
            }
        }
        State(bits)
    }

    /// Reads one path component.
    pub fn step(&self, s: State, name: &[u8]) -> State {
        let mut next = 0u64;
        let mut bits = s.0 & !self.accept_bit();
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let seg = &self.segs[i];
            if matches!(seg, Seg::DoubleStar) {
                next |= 1 << i;
            }
            if seg.matches(name) {
                next |= 1 << (i + 1);
            }
        }
        self.close(next)
    }

    /// Runs the automaton over `path`'s components, stopping early once the
    /// outcome is known. Returns the state after the components read.
    pub fn run(&self, path: &[u8]) -> State {
        let mut s = self.start;
        for name in path.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            if self.is_accepting(s) || s.is_dead() {
                break;
            }
            s = self.step(s, name);
        }
        s
    }

    /// Does the pattern match `path` (a file, or a directory it then owns whole)?
    pub fn is_match(&self, path: &[u8]) -> bool {
        self.is_accepting(self.run(path))
    }

    /// How the pattern covers what lies below a directory in state `s`.
    ///
    /// `Whole` and `None` are exact. `Partial` is exact too except for globs
    /// that match every name in a roundabout way (`?*`), which are answered
    /// `Partial`; that only costs a descent, never a wrong answer.
    pub fn classify(&self, s: State) -> DirMatch {
        if self.is_accepting(s) {
            return DirMatch::Whole;
        }
        if s.is_dead() {
            return DirMatch::None;
        }
        // Every child matches if a state waits on a segment any name matches
        // and that segment completes the pattern.
        let mut bits = s.0;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if matches!(self.segs[i], Seg::Any | Seg::DoubleStar)
                && self.is_accepting(self.close(1 << (i + 1)))
            {
                return DirMatch::Whole;
            }
        }
        DirMatch::Partial
    }

    /// Paths every path the pattern matches lies at or below: its leading
    /// literal segments, a segment that is only brace lists of plain names
    /// (`{Acme,Orbit}`) spelled out, up to [`MAX_PREFIXES`] of them. A
    /// pattern whose first segment is any other glob or `**` gives the
    /// empty path (the root): it may match anywhere. A matched directory
    /// owns what is below it, so a match is always below one of these.
    pub fn literal_prefixes(&self) -> Vec<Vec<u8>> {
        let mut prefixes: Vec<Vec<u8>> = vec![Vec::new()];
        for seg in &self.segs {
            let names: Vec<Vec<u8>> = match seg {
                Seg::Literal(name) => vec![name.to_vec()],
                Seg::Glob(_, text) => match expand_braces(text) {
                    // A spelled-out name the glob does not match would mean
                    // the expansion misread it: stop here rather than guess.
                    Some(names)
                        if !names.is_empty()
                            && names.len() * prefixes.len() <= MAX_PREFIXES
                            && names.iter().all(|n| seg.matches(n)) =>
                    {
                        names
                    }
                    _ => break,
                },
                Seg::Any | Seg::DoubleStar => break,
            };
            prefixes = prefixes
                .iter()
                .flat_map(|p| {
                    names.iter().map(move |n| {
                        let mut path = p.clone();
                        if !path.is_empty() {
                            path.push(b'/');
                        }
                        path.extend_from_slice(n);
                        path
                    })
                })
                .collect();
        }
        prefixes
    }

    /// How the pattern covers the directory `dir` (`b""` is the root).
    pub fn classify_dir(&self, dir: &[u8]) -> DirMatch {
        self.classify(self.run(dir))
    }
}

/// Most paths [`Pattern::literal_prefixes`] spells out for one pattern;
/// past that it stops at a shorter prefix.
pub const MAX_PREFIXES: usize = 64;

/// The names a glob segment made only of plain characters and brace lists
/// (`{a,b}`, not nested, several allowed) matches, empty names left out
/// (no file has one); `None` for any other glob.
fn expand_braces(seg: &str) -> Option<Vec<Vec<u8>>> {
    let mut names: Vec<Vec<u8>> = vec![Vec::new()];
    let mut rest = seg;
    while !rest.is_empty() {
        let (choices, next): (Vec<&str>, &str) = match rest.strip_prefix('{') {
            Some(inner) => {
                let end = inner.find('}')?;
                (inner[..end].split(',').collect(), &inner[end + 1..])
            }
            None => {
                let end = rest.find('{').unwrap_or(rest.len());
                (vec![&rest[..end]], &rest[end..])
            }
        };
        if choices.iter().any(|c| c.contains(['*', '?', '[', ']', '{', '}', '\\'])) {
            return None;
        }
        if names.len() * choices.len() > MAX_PREFIXES {
            return None;
        }
        names = names
            .iter()
            .flat_map(|n| {
                choices.iter().map(move |c| {
                    let mut name = n.clone();
                    name.extend_from_slice(c.as_bytes());
                    name
                })
            })
            .collect();
        rest = next;
    }
    names.retain(|n| !n.is_empty());
    names.sort();
    names.dedup();
    Some(names)
}

fn compile_segment(seg: &str) -> Result<Seg, PatternError> {
    match seg {
        "" => return Err(PatternError::EmptySegment),
        "." | ".." => return Err(PatternError::DotSegment(seg.to_string())),
        "*" => return Ok(Seg::Any),
        "**" => return Ok(Seg::DoubleStar),
        _ => {}
    }
    if seg.contains("**") {
        return Err(PatternError::PartialDoubleStar(seg.to_string()));
    }
    if !seg.contains(['*', '?', '[', ']', '{', '}', '\\']) {
        return Ok(Seg::Literal(seg.as_bytes().into()));
    }
    if class_with_escape_or_non_ascii(seg) {
        return Err(PatternError::ClassCharacter(seg.to_string()));
    }
    let bad =
        |e: globset::Error| PatternError::Glob { segment: seg.to_string(), message: e.kind().to_string() };
    let glob = GlobBuilder::new(seg)
        .literal_separator(true)
        .backslash_escape(true)
        // `config{,.local}.yaml` names `config.yaml` too, as shell brace
        // expansion does; globset would drop the empty alternative.
        .empty_alternates(true)
        .build()
        .map_err(bad)?;
    let set = GlobSet::builder().add(glob).build().map_err(bad)?;
    Ok(Seg::Glob(Box::new(set), seg.into()))
}

/// True if a closed `[...]` class of `seg` holds `\` or a non-ASCII
/// character (scanned as globset parses classes: `!`/`^` first negates, a
/// first `]` is a member, `[:name:]` is a POSIX class).
fn class_with_escape_or_non_ascii(seg: &str) -> bool {
    let chars: Vec<char> = seg.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '[' => {
                i += 1;
                if matches!(chars.get(i), Some('!' | '^')) {
                    i += 1;
                }
                let mut first = true;
                let mut bad = false;
                while let Some(&c) = chars.get(i) {
                    i += 1;
                    if c == ']' && !first {
                        if bad {
                            return true;
                        }
                        break;
                    }
                    first = false;
                    if c == '[' && chars.get(i) == Some(&':') {
                        if let Some(end) = chars[i..].windows(2).position(|w| w == [':', ']']) {
                            i += end + 2;
                            continue;
                        }
                    }
                    bad |= c == '\\' || !c.is_ascii();
                }
            }
            _ => i += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (pattern, path, matches?) — the rules in one screen.
    const MATCHES: &[(&str, &str, bool)] = &[
        ("payment", "payment/a.java", true),
        ("payment", "payment/x/y/z", true),
        ("payment", "payment", true),
        ("payment/", "payment/a", true),
        ("/payment", "payment/a", true),
        ("payment", "paymentx/a", false),
        ("payment", "src/payment/a", false),
        ("*.md", "README.md", true),
        ("*.md", "docs/README.md", false),
        ("**/*.md", "docs/README.md", true),
        ("**/*.md", "README.md", true),
        ("docs/*", "docs/a/b/c", true),
        ("docs/*.md", "docs/a/b.md", false),
        ("docs/**", "docs/a/b.md", true),
        ("docs/**/b.md", "docs/b.md", true),
        ("docs/**/b.md", "docs/x/y/b.md", true),
        ("docs/**/b.md", "docs/x/y/c.md", false),
        ("a/*/c", "a/b/c", true),
        ("a/*/c", "a/b/x/c", false),
        ("a/?/c", "a/b/c/d", true),
        ("a/?/c", "a/bb/c", false),
        ("a/[bc]/d", "a/c/d", true),
        ("a/[!bc]/d", "a/c/d", false),
        ("a/{x,y}.txt", "a/y.txt", true),
        ("a/{x,y}.txt", "a/z.txt", false),
        ("a/c{,.local}.yaml", "a/c.yaml", true),
        ("a/c{,.local}.yaml", "a/c.local.yaml", true),
        ("*", "anything/at/all", true),
        ("*/**", "README.md", false),
        ("*/**", "docs/README.md", true),
        ("**", "anything/at/all", true),
        ("*.java", ".hidden.java", true),
        ("Payment", "payment/a", false),
        ("a\\*b", "a*b", true),
        ("a\\*b", "axb", false),
        // A glob naming a directory owns it whole, as git pathspecs do.
        ("src/*.d", "src/conf.d/x/y", true),
    ];

    #[test]
    fn match_table() {
        for &(pat, path, want) in MATCHES {
            let p = Pattern::new(pat).unwrap();
            assert_eq!(p.is_match(path.as_bytes()), want, "{pat} vs {path}");
        }
    }

    /// (pattern, directory, class)
    const DIRS: &[(&str, &str, DirMatch)] = &[
        ("payment", "payment", DirMatch::Whole),
        ("payment", "payment/sub", DirMatch::Whole),
        ("payment", "", DirMatch::Partial),
        ("payment", "course", DirMatch::None),
        ("payment/api", "payment", DirMatch::Partial),
        ("docs/*", "docs", DirMatch::Whole),
        ("docs/**", "docs", DirMatch::Whole),
        ("docs/**/x", "docs", DirMatch::Partial),
        ("**/*.java", "anything", DirMatch::Partial),
        ("src/*.java", "src/sub", DirMatch::None),
        ("src/*.java", "src", DirMatch::Partial),
        ("*", "", DirMatch::Whole),
        ("**", "", DirMatch::Whole),
        ("a/**/**", "a", DirMatch::Whole),
        ("*/**", "", DirMatch::Partial),
        ("a/*/b", "a", DirMatch::Partial),
        ("a/*/b", "a/x", DirMatch::Partial),
        ("a/*/b", "a/x/b", DirMatch::Whole),
        ("a/*/b", "a/x/c", DirMatch::None),
    ];

    #[test]
    fn dir_table() {
        for &(pat, dir, want) in DIRS {
            let p = Pattern::new(pat).unwrap();
            assert_eq!(p.classify_dir(dir.as_bytes()), want, "{pat} on dir {dir:?}");
        }
    }

    #[test]
    fn refusals() {
        let cases: &[(&str, PatternError)] = &[
            ("", PatternError::Empty),
            ("/", PatternError::Empty),
            ("a//b", PatternError::EmptySegment),
            ("../x", PatternError::DotSegment("..".into())),
            ("a/./b", PatternError::DotSegment(".".into())),
            ("a**", PatternError::PartialDoubleStar("a**".into())),
            ("!a", PatternError::Negation),
            ("[\\]]", PatternError::ClassCharacter("[\\]]".into())),
            ("a/x[é]", PatternError::ClassCharacter("x[é]".into())),
            ("[!a-é]", PatternError::ClassCharacter("[!a-é]".into())),
            ("[]é]", PatternError::ClassCharacter("[]é]".into())),
        ];
        for (pat, want) in cases {
            assert_eq!(Pattern::new(pat).unwrap_err(), *want, "{pat}");
        }
        assert!(matches!(Pattern::new("a/[b"), Err(PatternError::Glob { .. })));
        assert!(matches!(Pattern::new("{a,b"), Err(PatternError::Glob { .. })));
        // Only inside a closed class: escapes and non-ASCII are fine elsewhere.
        assert!(matches!(Pattern::new("[é"), Err(PatternError::Glob { .. })));
        for ok in ["\\[é]", "é*", "\\\\", "[[:alpha:]]é", "x]é"] {
            assert!(Pattern::new(ok).is_ok(), "{ok}");
        }
        let deep = vec!["a"; 64].join("/");
        assert_eq!(Pattern::new(&deep).unwrap_err(), PatternError::TooManySegments);
    }

    #[test]
    fn literal_prefixes_spell_out_brace_lists_and_stop_at_other_globs() {
        let prefixes = |p: &str| -> Vec<String> {
            let mut v: Vec<String> = Pattern::new(p)
                .unwrap()
                .literal_prefixes()
                .into_iter()
                .map(|b| String::from_utf8(b).unwrap())
                .collect();
            v.sort();
            v
        };
        assert_eq!(prefixes("src/Nimbus"), ["src/Nimbus"]);
        assert_eq!(prefixes("/payment/"), ["payment"]);
        assert_eq!(prefixes("src/Acme/Component/[A-M]*"), ["src/Acme/Component"]);
        assert_eq!(prefixes("src/{Acme,Orbit}/Bridge"), ["src/Acme/Bridge", "src/Orbit/Bridge"]);
        assert_eq!(prefixes("{a,b}/x-{1,2}/*.c"), ["a/x-1", "a/x-2", "b/x-1", "b/x-2"]);
        assert_eq!(prefixes("config{,.local}.yaml"), ["config.local.yaml", "config.yaml"]);
        // A brace list holding a glob, or nested, is a glob like any other.
        assert_eq!(prefixes("src/{Acme,Or*}/Bridge"), ["src"]);
        assert_eq!(prefixes("src/**/x"), ["src"]);
        // Past the most spelled-out paths, they stop at the segment before.
        let many = prefixes("s/{a,b,c,d,e,f,g,h}/{a,b,c,d,e,f,g,h}/{1,2}");
        assert_eq!(many.len(), MAX_PREFIXES);
        assert!(many.iter().all(|p| p.len() == "s/a/a".len()), "{many:?}");
        // May match anywhere: the root.
        assert_eq!(prefixes("**/*.md"), [""]);
        assert_eq!(prefixes("*.md"), [""]);
        assert_eq!(prefixes("{a,*}/x"), [""]);
        assert_eq!(Pattern::literal_dir(b"").unwrap().literal_prefixes(), [b""]);
        assert_eq!(Pattern::literal_dir(b"libs/core").unwrap().literal_prefixes(), [b"libs/core"]);
    }

    /// Every path of the match table that a pattern matches lies at or
    /// below one of its prefixes.
    #[test]
    fn every_match_is_below_a_literal_prefix() {
        for (pattern, path, matches) in MATCHES {
            if !matches {
                continue;
            }
            let prefixes = Pattern::new(pattern).unwrap().literal_prefixes();
            let below = |p: &Vec<u8>| {
                p.is_empty()
                    || path.as_bytes() == &p[..]
                    || path.as_bytes().starts_with(p) && path.as_bytes().get(p.len()) == Some(&b'/')
            };
            assert!(prefixes.iter().any(below), "{pattern} matches {path}, outside {prefixes:?}");
        }
    }

    #[test]
    fn literal_dir_root_owns_everything() {
        let p = Pattern::literal_dir(b"").unwrap();
        assert!(p.is_match(b"x/y"));
        assert_eq!(p.classify_dir(b""), DirMatch::Whole);
        let q = Pattern::literal_dir(b"libs/core").unwrap();
        assert!(q.is_match(b"libs/core/src/lib.rs"));
        assert!(!q.is_match(b"libs/corex/a"));
        let deep = vec!["a"; MAX_SEGMENTS + 1].join("/");
        assert_eq!(Pattern::literal_dir(deep.as_bytes()).unwrap_err(), PatternError::TooManySegments);
        assert!(Pattern::literal_dir(vec!["a"; MAX_SEGMENTS].join("/").as_bytes()).is_ok());
    }
}
