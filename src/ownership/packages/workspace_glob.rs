//! The globs of JavaScript workspace declarations (`workspaces` in
//! `package.json`, `packages` in `pnpm-workspace.yaml`), matched against
//! directories as npm's `minimatch`/`glob` and pnpm match them.
//!
//! `{a,b}` alternatives are expanded first (they may hold `/`); then each
//! `/`-separated segment is `**` (any number of directories), a literal name,
//! or a wildcard segment (`*`, `?`, `[...]`) that never crosses `/`. Outside
//! `dot` mode a wildcard or `**` does not match a name starting with `.`
//! unless the segment itself starts with a literal `.`. Extended globs
//! (`+(a|b)`) are read literally.

use globset::{GlobBuilder, GlobMatcher};

/// At most this many patterns come out of one pattern's `{a,b}`
/// alternatives: a hostile pattern must not expand exponentially.
const MAX_EXPANSIONS: usize = 256;

/// Longer patterns are refused: no real workspace glob comes close.
const MAX_PATTERN_BYTES: usize = 4096;

/// Path segments that one workspace's patterns may hold, alternatives
/// expanded (real ones hold far fewer): counted before compiling, so a
/// hostile declaration costs neither time nor memory.
pub(super) const MAX_DECLARED_SEGMENTS: usize = 1000;

/// One `/`-separated piece of a pattern.
#[derive(Debug)]
enum Segment {
    /// `**`: zero or more whole directory names.
    Globstar,
    /// A name without wildcards (escapes removed).
    Literal(Vec<u8>),
    /// A name with wildcards; `literal_dot` when it starts with a literal `.`.
    Wild { matcher: GlobMatcher, literal_dot: bool },
}

/// How a `**` at the very end of a pattern counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TrailingGlobstar {
    /// Zero or more names, as a directory walk (`glob`, pnpm) treats it.
    ZeroOrMore,
    /// One or more, as `minimatch` tests a given path (`a/**` does not match `a`).
    OneOrMore,
}

/// A compiled workspace pattern.
#[derive(Debug)]
pub(super) struct Glob {
    /// One segment list per `{a,b}` alternative.
    alternatives: Vec<Vec<Segment>>,
}

impl Glob {
    /// Compiles `pattern` (without a leading `!`), taking its segments from
    /// `budget` (what is left of [`MAX_DECLARED_SEGMENTS`] for its workspace);
    /// the error says why it cannot be read.
    pub fn new(pattern: &str, budget: &mut usize) -> Result<Glob, String> {
        if pattern.len() > MAX_PATTERN_BYTES {
            return Err(format!("pattern longer than {MAX_PATTERN_BYTES} bytes"));
        }
        let expanded = expand_braces(pattern)?;
        let segments: usize = expanded.iter().map(|p| p.split('/').count()).sum();
        *budget = budget.checked_sub(segments).ok_or_else(|| {
            format!("the workspace's patterns hold more than {MAX_DECLARED_SEGMENTS} path segments")
        })?;
        let alternatives = expanded
            .iter()
            .map(|p| p.split('/').map(segment).collect::<Result<Vec<_>, _>>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("pattern `{pattern}`: {e}"))?;
        Ok(Glob { alternatives })
    }

    /// Whether the path made of `names` matches.
    pub fn matches(&self, names: &[&[u8]], dot: bool, end: TrailingGlobstar) -> bool {
        self.alternatives.iter().any(|segs| matches(segs, names, dot, end))
    }
}

/// The `/`-separated names of a relative path (none for `b""`).
pub(super) fn names(path: &[u8]) -> Vec<&[u8]> {
    if path.is_empty() {
        Vec::new()
    } else {
        path.split(|&b| b == b'/').collect()
    }
}

fn segment(text: &str) -> Result<Segment, String> {
    if text == "**" {
        return Ok(Segment::Globstar);
    }
    let mut literal = Vec::with_capacity(text.len());
    let mut escaped = false;
    let mut wild = false;
    for b in text.bytes() {
        match b {
            _ if escaped => {
                literal.push(b);
                escaped = false;
            }
            b'\\' => escaped = true,
            b'*' | b'?' | b'[' => wild = true,
            _ => literal.push(b),
        }
    }
    if !wild {
        return Ok(Segment::Literal(literal));
    }
    // Braces were expanded already: any left are literal characters, which
    // globset would read as alternatives.
    let mut glob = String::with_capacity(text.len() + 4);
    let mut escaped = false;
    for c in text.chars() {
        if !escaped && matches!(c, '{' | '}') {
            glob.push('\\');
        }
        escaped = !escaped && c == '\\';
        glob.push(c);
    }
    // `**` inside a longer segment is two stars: what minimatch makes of it.
    let matcher = GlobBuilder::new(&glob)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| e.kind().to_string())?
        .compile_matcher();
    Ok(Segment::Wild { matcher, literal_dot: text.starts_with('.') })
}

/// Whether one wildcard or `**` may stand for `name`.
fn wildcard_may_match(name: &[u8], dot: bool, literal_dot: bool) -> bool {
    !name.is_empty() && (dot || literal_dot || !name.starts_with(b".")) && name != b"." && name != b".."
}

fn segment_matches(seg: &Segment, name: &[u8], dot: bool) -> bool {
    match seg {
        Segment::Globstar => wildcard_may_match(name, dot, false),
        Segment::Literal(l) => l == name,
        Segment::Wild { matcher, literal_dot } => {
            wildcard_may_match(name, dot, *literal_dot)
                && std::str::from_utf8(name).is_ok_and(|n| matcher.is_match(n))
        }
    }
}

/// Runs the pattern as an automaton over `names`: the states are how many
/// segments have been matched, so the time is segments times names.
fn matches(segs: &[Segment], names: &[&[u8]], dot: bool, end: TrailingGlobstar) -> bool {
    let last = segs.len().checked_sub(1);
    let final_star = |i: usize| Some(i) == last && end == TrailingGlobstar::OneOrMore;
    // A `**` may match nothing: its state also stands for the next one.
    let close = |states: &mut [bool]| {
        for i in 0..segs.len() {
            if states[i] && matches!(segs[i], Segment::Globstar) && !final_star(i) {
                states[i + 1] = true;
            }
        }
    };
    let mut states = vec![false; segs.len() + 1];
    let mut next = states.clone();
    states[0] = true;
    close(&mut states);
    for name in names {
        next.fill(false);
        for (i, seg) in segs.iter().enumerate() {
            if !states[i] || !segment_matches(seg, name, dot) {
                continue;
            }
            if matches!(seg, Segment::Globstar) {
                next[i] = true;
                next[i + 1] |= final_star(i);
            } else {
                next[i + 1] = true;
            }
        }
        close(&mut next);
        if !next.contains(&true) {
            return false;
        }
        std::mem::swap(&mut states, &mut next);
    }
    states[segs.len()]
}

/// Expands `{a,b}` alternatives (nested ones too) as brace-expansion does;
/// a brace without a top-level comma is literal.
fn expand_braces(pattern: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut work = vec![pattern.to_string()];
    while let Some(p) = work.pop() {
        match first_group(&p) {
            None => out.push(p),
            Some((open, close, commas)) => {
                let mut bounds = vec![open];
                bounds.extend(commas);
                bounds.push(close);
                for w in bounds.windows(2) {
                    work.push(format!("{}{}{}", &p[..open], &p[w[0] + 1..w[1]], &p[close + 1..]));
                }
            }
        }
        if out.len() + work.len() > MAX_EXPANSIONS {
            return Err(format!("`{pattern}` expands to more than {MAX_EXPANSIONS} patterns"));
        }
    }
    out.reverse();
    Ok(out)
}

/// The first `{...}` group holding a top-level comma: byte offsets of its
/// braces and of those commas.
fn first_group(p: &str) -> Option<(usize, usize, Vec<usize>)> {
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'{' => {
                let mut depth = 0usize;
                let mut commas = Vec::new();
                let mut j = i;
                while j < b.len() {
                    match b[j] {
                        b'\\' => j += 1,
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        b',' if depth == 1 => commas.push(j),
                        _ => {}
                    }
                    j += 1;
                }
                if j < b.len() && !commas.is_empty() {
                    return Some((i, j, commas));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::TrailingGlobstar::{OneOrMore, ZeroOrMore};
    use super::*;

    fn glob(pattern: &str) -> Result<Glob, String> {
        Glob::new(pattern, &mut MAX_DECLARED_SEGMENTS.clone())
    }

    fn m(pattern: &str, path: &str, dot: bool, end: TrailingGlobstar) -> bool {
        glob(pattern).unwrap().matches(&names(path.as_bytes()), dot, end)
    }

    #[test]
    fn segments_and_globstars() {
        assert!(m("packages/*", "packages/a", false, ZeroOrMore));
        assert!(!m("packages/*", "packages/a/b", false, ZeroOrMore));
        assert!(!m("packages/*", "packages", false, ZeroOrMore));
        assert!(m("playground/**", "playground", false, ZeroOrMore));
        assert!(!m("playground/**", "playground", false, OneOrMore));
        assert!(m("playground/**", "playground/a/b", false, OneOrMore));
        assert!(m("**/test/**", "a/b/test/c", true, ZeroOrMore));
        assert!(m("a/**/b", "a/b", false, ZeroOrMore));
        assert!(m("a/**/b", "a/x/y/b", false, OneOrMore));
        assert!(m("p/[a-c]*", "p/beta", false, ZeroOrMore));
        assert!(!m("p/[a-c]*", "p/delta", false, ZeroOrMore));
        assert!(m("p/a?c", "p/abc", false, ZeroOrMore));
        assert!(m(r"p/a\*", "p/a*", false, ZeroOrMore));
        assert!(!m(r"p/a\*", "p/ab", false, ZeroOrMore));
        // A segment that is only `*` never matches an empty name.
        assert!(!m("a/*", "a/", false, OneOrMore));
        assert!(m("a/", "a/", false, OneOrMore));
    }

    #[test]
    fn dot_names_need_dot_mode_or_a_literal_dot() {
        assert!(!m("playground/*", "playground/.hidden", false, ZeroOrMore));
        assert!(!m("**", "a/.git/b", false, ZeroOrMore));
        assert!(m("playground/*", "playground/.hidden", true, ZeroOrMore));
        assert!(m("playground/.h*", "playground/.hidden", false, ZeroOrMore));
        assert!(m("playground/.hidden", "playground/.hidden", false, ZeroOrMore));
    }

    #[test]
    fn braces_expand_across_slashes_and_nest() {
        assert!(m("{packages,apps}/*", "apps/x", false, ZeroOrMore));
        assert!(m("{a/b,c}/d", "a/b/d", false, ZeroOrMore));
        assert!(m("p/{x,y{1,2}}", "p/y2", false, ZeroOrMore));
        assert!(m("p/{x}", "p/{x}", false, ZeroOrMore));
        assert!(m("p/{x}*", "p/{x}yz", false, ZeroOrMore));
        assert_eq!(expand_braces("{a,b}{c,d}").unwrap(), ["ac", "ad", "bc", "bd"]);
        let bomb = "{a,b}".repeat(20);
        assert!(glob(&bomb).unwrap_err().contains("more than 256"));
        // Within the expansion limit, the segments still count against the budget.
        let wide = "{a,b}/".repeat(7) + "x";
        assert!(glob(&wide).unwrap_err().contains("more than 1000 path segments"));
        let mut budget = 5;
        assert!(Glob::new("a/b/c", &mut budget).is_ok() && budget == 2);
        assert!(Glob::new("a/b/c", &mut budget).is_err());
    }

    #[test]
    fn many_globstars_stay_linear() {
        let pattern = vec!["**"; 600].join("/") + "/x";
        let path = vec!["a"; 600].join("/") + "/y";
        assert!(!m(&pattern, &path, false, ZeroOrMore));
    }
}
