//! CODEOWNERS files: read one (GitHub or GitLab dialect) and say who owns a
//! path; write one from the manifest ([`generate`]).
//!
//! Both dialects are "last matching line wins", with patterns close to
//! `.gitignore`'s, but they differ in ways that matter (see docs/codeowners.md):
//!
//! * **GitHub** follows gitignore: a leading or middle `/` anchors a pattern
//!   at the root, otherwise it matches at any depth; a trailing `/` matches
//!   directories only; a pattern that matches a directory owns everything
//!   below it — except that a final `*` segment (`docs/*`) matches only
//!   direct children (GitHub's documented difference from gitignore). No
//!   `!` negation (such a line is skipped, as GitHub does) and no `[...]`
//!   classes (`[` is literal). A line may list no owners: it takes
//!   ownership away.
//! * **GitLab** matches with Ruby's `File.fnmatch` (`FNM_PATHNAME |
//!   FNM_DOTMATCH`) after normalising: `*` alone is everything, a pattern not
//!   starting with `/` gets `/**/` in front, a trailing `/` gets `**/*`
//!   after. So `/docs` is only a file named `docs`; `docs/` is every file
//!   below any `docs` directory. `[Section] @owner...` headers start
//!   sections; within a section the last match wins, and a file's owners
//!   are the union over sections. An entry without owners takes the
//!   section's default owners; `!pattern` (GitLab 17.10+) takes ownership
//!   away within its section.
//!
//! In both, `*` and `?` never cross `/`, `**` as a whole segment matches any
//! number of directories, and `\` escapes the next character.

mod generate;

use std::collections::{BTreeSet, HashMap};

pub use generate::{expected_owners, generate, GenerateError, Generated};

/// The CODEOWNERS dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Syntax {
    /// GitHub CODEOWNERS (gitignore-style patterns).
    GitHub,
    /// GitLab CODEOWNERS, with sections.
    GitLab,
}

impl Syntax {
    /// Where the platform looks for the file, in its order of preference.
    pub fn locations(self) -> &'static [&'static str] {
        match self {
            Syntax::GitHub => &[".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"],
            Syntax::GitLab => &["CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"],
        }
    }
}

/// CODEOWNERS files larger than this are not read: GitHub ignores them (its
/// limit is 3 MB), and a file from the tree under review must not make us
/// read without end.
pub const MAX_BYTES: u64 = 3_000_000;

/// Longer patterns are skipped (and reported): no path is longer
/// (`PATH_MAX`), and each pattern is tried on every file.
pub const MAX_PATTERN_BYTES: usize = 4096;

/// A file with more patterns holding wildcards than this is refused: each
/// is tried on every file of the tree (literal patterns are looked up, so
/// any number of them costs little).
pub const MAX_WILDCARD_PATTERNS: usize = 10_000;

/// A CODEOWNERS file too costly to match.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{count} patterns with wildcards; more than {MAX_WILDCARD_PATTERNS} are not read, as each is tried on every file")]
pub struct TooManyWildcards {
    /// How many the file has.
    pub count: usize,
}

/// A line that the platform would not use, and why.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One pattern line.
#[derive(Clone, Debug)]
pub struct Rule {
    /// 1-based line number.
    pub line: usize,
    /// The pattern as written.
    pub pattern: String,
    /// The owners on the line (for GitLab, the section's defaults when the
    /// line has none).
    pub owners: Vec<String>,
    /// GitLab `!pattern`: matching files lose the section's ownership.
    pub negated: bool,
    /// Index into [`CodeOwners::sections`].
    pub section: usize,
    matcher: Matcher,
}

/// A parsed CODEOWNERS file.
#[derive(Clone, Debug)]
pub struct CodeOwners {
    /// The dialect it was read as.
    pub syntax: Syntax,
    /// Pattern lines, in file order.
    pub rules: Vec<Rule>,
    /// Section names (GitLab); the first is the unnamed default section.
    pub sections: Vec<String>,
    /// Lines the platform would skip or reject.
    pub problems: Vec<Problem>,
    /// The rules that take part in matching, in precedence order (GitLab
    /// drops a repeated pattern's earlier owners but keeps its place).
    slots: Vec<usize>,
    /// Slots of literal patterns, by the path they name: most lines of a
    /// real file, looked up per path component instead of tried one by one.
    literal: HashMap<String, Vec<(usize, Literal)>>,
    /// Slots of the other patterns.
    general: Vec<usize>,
}

impl CodeOwners {
    /// Parses CODEOWNERS text. Never fails: lines the platform would skip
    /// are skipped and listed in `problems`.
    pub fn parse(text: &str, syntax: Syntax) -> CodeOwners {
        let mut co = CodeOwners {
            syntax,
            rules: Vec::new(),
            sections: vec![String::new()],
            problems: Vec::new(),
            slots: Vec::new(),
            literal: HashMap::new(),
            general: Vec::new(),
        };
        let mut section = 0usize;
        let mut defaults: Vec<Vec<String>> = vec![Vec::new()];
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if syntax == Syntax::GitLab {
                if let Some((name, owners)) = section_header(trimmed) {
                    // Section names are compared without case; repeated
                    // headers continue one section.
                    section = match co.sections.iter().position(|s| s.eq_ignore_ascii_case(&name)) {
                        Some(k) if k > 0 => k,
                        _ => {
                            co.sections.push(name);
                            defaults.push(Vec::new());
                            co.sections.len() - 1
                        }
                    };
                    if !owners.is_empty() {
                        defaults[section] = owners;
                    }
                    continue;
                }
            }
            let tokens = tokenize(trimmed);
            let Some(first) = tokens.first() else { continue };
            match parse_rule(syntax, line, first, &tokens[1..], section, &defaults[section]) {
                Ok(rule) => co.rules.push(rule),
                Err(message) => co.problems.push(Problem { line, message }),
            }
        }
        co.index();
        co
    }

    /// [`CodeOwners::parse`] for a file read from a tree under review:
    /// refuses one whose wildcard patterns are too many to try on every file.
    pub fn parse_bounded(text: &str, syntax: Syntax) -> Result<CodeOwners, TooManyWildcards> {
        let co = CodeOwners::parse(text, syntax);
        match co.general.len() {
            count if count > MAX_WILDCARD_PATTERNS => Err(TooManyWildcards { count }),
            _ => Ok(co),
        }
    }

    fn index(&mut self) {
        let mut first: HashMap<(usize, &str), usize> = HashMap::new();
        for (i, r) in self.rules.iter().enumerate() {
            if self.syntax == Syntax::GitLab {
                // GitLab keeps entries in a hash keyed by the normalised
                // pattern: a repeated pattern keeps the first one's place
                // and the last one's owners.
                if let Some(&slot) = first.get(&(r.section, r.matcher.normalized.as_str())) {
                    self.slots[slot] = i;
                    continue;
                }
                first.insert((r.section, r.matcher.normalized.as_str()), self.slots.len());
            }
            self.slots.push(i);
        }
        for (slot, &i) in self.slots.iter().enumerate() {
            match self.rules[i].matcher.literal() {
                Some((key, kind)) => self.literal.entry(key).or_default().push((slot, kind)),
                None => self.general.push(slot),
            }
        }
    }

    /// Slots of the rules matching `comps`, unordered.
    fn matching_slots(&self, comps: &[&str]) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .general
            .iter()
            .copied()
            .filter(|&s| self.rules[self.slots[s]].matcher.matches(comps))
            .collect();
        if !self.literal.is_empty() {
            let mut key = String::new();
            for (k, c) in comps.iter().enumerate() {
                if k > 0 {
                    key.push('/');
                }
                key.push_str(c);
                let whole = k + 1 == comps.len();
                for &(slot, kind) in self.literal.get(&key).into_iter().flatten() {
                    let hit = match kind {
                        Literal::Exact => whole,
                        Literal::Below => !whole,
                        Literal::ExactOrBelow => true,
                    };
                    if hit {
                        out.push(slot);
                    }
                }
            }
        }
        out
    }

    /// The indices of every rule matching `path` that takes part in
    /// matching, in file order.
    pub fn matching_rules(&self, path: &str) -> Vec<usize> {
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let mut v: Vec<usize> = self.matching_slots(&comps).into_iter().map(|s| self.slots[s]).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The rule that decides `path` in each section (GitHub: one section).
    pub fn deciding_rules(&self, path: &str) -> Vec<&Rule> {
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        // Last match wins within a section: the highest slot per section.
        let mut best: Vec<Option<usize>> = vec![None; self.sections.len()];
        for slot in self.matching_slots(&comps) {
            let r = &self.rules[self.slots[slot]];
            let b = &mut best[r.section];
            if b.is_none_or(|x| slot > x) {
                *b = Some(slot);
            }
        }
        best.into_iter().flatten().map(|slot| &self.rules[self.slots[slot]]).collect()
    }

    /// Does rule `i` match `path`, whatever the other rules say?
    pub fn rule_matches(&self, i: usize, path: &str) -> bool {
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        self.rules[i].matcher.matches(&comps)
    }

    /// The owners of `path`, sorted and deduplicated; empty when no line
    /// gives it owners.
    pub fn owners(&self, path: &str) -> Vec<String> {
        let mut set = BTreeSet::new();
        for r in self.deciding_rules(path) {
            if !r.negated {
                set.extend(r.owners.iter().cloned());
            }
        }
        set.into_iter().collect()
    }
}

/// The rule of one CODEOWNERS line (`first` its pattern, `owners` the rest),
/// or why the platform skips the line.
fn parse_rule(
    syntax: Syntax,
    line: usize,
    first: &str,
    owners: &[String],
    section: usize,
    section_defaults: &[String],
) -> Result<Rule, String> {
    let mut owners = owners.to_vec();
    let mut pattern = first.to_string();
    let mut negated = false;
    if let Some(rest) = pattern.strip_prefix('!') {
        if syntax == Syntax::GitHub {
            return Err(format!("`{pattern}`: GitHub does not support `!` negation; the line is skipped"));
        }
        negated = true;
        pattern = rest.to_string();
    }
    if syntax == Syntax::GitLab && owners.is_empty() && !negated {
        owners = section_defaults.to_vec();
        if owners.is_empty() {
            return Err(format!(
                "`{pattern}` has no owners and its section no default owners; GitLab rejects it"
            ));
        }
    }
    if pattern.len() > MAX_PATTERN_BYTES {
        return Err(format!(
            "a pattern of {} bytes, longer than any path; git-split skips the line",
            pattern.len()
        ));
    }
    let matcher = Matcher::new(&pattern, syntax).map_err(|message| format!("`{pattern}`: {message}"))?;
    Ok(Rule { line, pattern: first.to_string(), owners, negated, section, matcher })
}

/// `[Name]`, `^[Name]`, `[Name][2]`, each optionally followed by owners.
fn section_header(line: &str) -> Option<(String, Vec<String>)> {
    let rest = line.strip_prefix('^').unwrap_or(line);
    let rest = rest.strip_prefix('[')?;
    let end = rest.find(']')?;
    let name = rest[..end].trim().to_string();
    if name.is_empty() {
        return None;
    }
    let mut after = &rest[end + 1..];
    if let Some(a) = after.strip_prefix('[') {
        let close = a.find(']')?;
        if !a[..close].chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        after = &a[close + 1..];
    }
    if !after.is_empty() && !after.starts_with(char::is_whitespace) {
        return None;
    }
    let owners = tokenize(after.trim());
    Some((name, owners))
}

/// Splits on unescaped whitespace; a token starting with an unescaped `#`
/// starts a comment. Escapes are kept (the pattern compiler reads them).
fn tokenize(line: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cur.push('\\');
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
            }
            '#' => {
                // A comment, also when it follows a pattern without a space.
                break;
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    tokens
}

/// One piece of a path segment's pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Lit(char),
    /// `*`: any run of characters.
    Star,
    /// `?`: one character.
    One,
    /// `[...]`: one character in (or, negated, not in) the ranges.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    /// `**`: any number of whole segments.
    DoubleStar,
    Toks(Vec<Tok>),
}

/// Which paths a literal pattern naming `key` matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Literal {
    /// `key` itself (GitLab `/a/b`).
    Exact,
    /// Paths below the directory `key` (`/a/b/`).
    Below,
    /// `key` and paths below it (GitHub `/a/b`).
    ExactOrBelow,
}

/// A compiled CODEOWNERS pattern.
#[derive(Clone, Debug)]
struct Matcher {
    segs: Vec<Seg>,
    /// GitHub: match a leading part of the path (a directory owns its
    /// subtree). GitLab: match the whole path.
    prefix: bool,
    /// GitHub trailing `/`: only a directory (never the file itself) matches.
    dir_only: bool,
    /// GitLab's normalised pattern text (its entries are keyed by it).
    normalized: String,
}

impl Matcher {
    fn new(pattern: &str, syntax: Syntax) -> Result<Matcher, String> {
        match syntax {
            Syntax::GitHub => {
                let dir_only = pattern.ends_with('/') && !pattern.ends_with("\\/");
                let body = pattern.strip_suffix('/').unwrap_or(pattern);
                let anchored = body.starts_with('/') || body.trim_start_matches('/').contains('/');
                let body = body.trim_start_matches('/');
                if body.is_empty() {
                    return Err("empty pattern".into());
                }
                let mut segs = Vec::new();
                if !anchored {
                    segs.push(Seg::DoubleStar);
                }
                for s in body.split('/') {
                    segs.push(compile_seg(s, false)?);
                }
                Ok(Matcher { segs, prefix: true, dir_only, normalized: pattern.to_string() })
            }
            Syntax::GitLab => {
                let mut p = pattern.to_string();
                if let Some(rest) = p.strip_prefix("\\#") {
                    p = format!("#{rest}");
                }
                let p = if p == "*" {
                    "/**/*".to_string()
                } else {
                    let mut p = if p.starts_with('/') { p } else { format!("/**/{p}") };
                    if p.ends_with('/') {
                        p.push_str("**/*");
                    }
                    p
                };
                let mut segs = Vec::new();
                let body = &p[1..];
                let parts: Vec<&str> = body.split('/').collect();
                for (i, s) in parts.iter().enumerate() {
                    // fnmatch: `**/` is any number of directories; a `**`
                    // not followed by `/` is a plain `*`.
                    if *s == "**" && i + 1 < parts.len() {
                        segs.push(Seg::DoubleStar);
                    } else {
                        segs.push(compile_seg(s, true)?);
                    }
                }
                Ok(Matcher { segs, prefix: false, dir_only: false, normalized: p })
            }
        }
    }

    /// For a pattern of literal segments only: the path it names and how.
    fn literal(&self) -> Option<(String, Literal)> {
        let lit = |seg: &Seg| match seg {
            Seg::Toks(t) => t
                .iter()
                .map(|t| if let Tok::Lit(c) = t { Some(*c) } else { None })
                .collect::<Option<String>>(),
            Seg::DoubleStar => None,
        };
        let (segs, kind) = if self.prefix {
            let kind = if self.dir_only { Literal::Below } else { Literal::ExactOrBelow };
            (&self.segs[..], kind)
        } else {
            // GitLab `/a/b/` is normalised to `/a/b/**/*`.
            match self.segs.as_slice() {
                [head @ .., Seg::DoubleStar, Seg::Toks(t)] if t == &[Tok::Star] && !head.is_empty() => {
                    (head, Literal::Below)
                }
                all => (all, Literal::Exact),
            }
        };
        let parts: Option<Vec<String>> = segs.iter().map(lit).collect();
        parts.map(|p| (p.join("/"), kind))
    }

    fn matches(&self, comps: &[&str]) -> bool {
        if comps.is_empty() {
            return false;
        }
        if !self.prefix {
            return match_segs(&self.segs, comps, false, comps.len(), comps.len());
        }
        // GitHub: `docs/*` matches only what is directly in `docs`.
        let last_is_star = matches!(self.segs.last(), Some(Seg::Toks(t)) if t == &[Tok::Star]);
        if last_is_star && !self.dir_only {
            return match_segs(&self.segs, comps, true, comps.len(), comps.len());
        }
        // A directory owns its subtree: a match of any leading part of the
        // path (only of a directory, for a trailing `/`).
        let max = if self.dir_only { comps.len() - 1 } else { comps.len() };
        match_segs(&self.segs, comps, true, 1, max)
    }
}

fn compile_seg(s: &str, classes: bool) -> Result<Seg, String> {
    if s == "**" {
        return Ok(Seg::DoubleStar);
    }
    let mut toks = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                i += 1;
                match chars.get(i) {
                    Some(&c) => toks.push(Tok::Lit(c)),
                    None => return Err("trailing `\\`".into()),
                }
            }
            '*' => {
                if toks.last() != Some(&Tok::Star) {
                    toks.push(Tok::Star);
                }
            }
            '?' => toks.push(Tok::One),
            '[' if classes => {
                let (tok, next) = compile_class(&chars, i)?;
                toks.push(tok);
                i = next;
                continue;
            }
            c => toks.push(Tok::Lit(c)),
        }
        i += 1;
    }
    if toks.is_empty() {
        return Err("empty path segment".into());
    }
    Ok(Seg::Toks(toks))
}

/// `[...]` starting at `chars[start]`; returns the token and the index after `]`.
fn compile_class(chars: &[char], start: usize) -> Result<(Tok, usize), String> {
    let mut i = start + 1;
    let negated = matches!(chars.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let Some(&c) = chars.get(i) else { return Err("unclosed `[`".into()) };
        if c == ']' && !first {
            return Ok((Tok::Class { negated, ranges }, i + 1));
        }
        first = false;
        let lo = if c == '\\' {
            i += 1;
            *chars.get(i).ok_or("unclosed `[`")?
        } else {
            c
        };
        i += 1;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&n| n != ']') {
            let hi = chars[i + 1];
            ranges.push((lo, hi));
            i += 2;
        } else {
            ranges.push((lo, lo));
        }
    }
}

/// Do `segs` match exactly the first `k` components of `comps`, for some
/// `k` in `min..=max`? `final_dstar_needs_one`: gitignore's trailing `/**`
/// matches "everything inside", never nothing.
///
/// Runs the pattern as an automaton over the components, the set of
/// segments reached so far advanced one component at a time, so the time
/// is linear in the path (times the pattern's size) whatever the pattern:
/// a CODEOWNERS file comes from the tree under review, and a backtracking
/// matcher would let one line stall the check.
fn match_segs(segs: &[Seg], comps: &[&str], final_dstar_needs_one: bool, min: usize, max: usize) -> bool {
    let n = segs.len();
    let last = n.saturating_sub(1);
    // `**` may match no component, except a final one that needs one.
    let close = |set: &mut [bool]| {
        for i in 0..n {
            if set[i] && segs[i] == Seg::DoubleStar && (i < last || !final_dstar_needs_one) {
                set[i + 1] = true;
            }
        }
    };
    let mut now = vec![false; n + 1];
    now[0] = true;
    close(&mut now);
    let mut next = vec![false; n + 1];
    let mut chars = Vec::new();
    for (k, comp) in comps.iter().enumerate().take(max) {
        next.fill(false);
        chars.clear();
        chars.extend(comp.chars());
        for i in (0..n).filter(|&i| now[i]) {
            match &segs[i] {
                Seg::DoubleStar => {
                    next[i] = true;
                    // Having matched one component, a final `**` is done.
                    if i == last {
                        next[n] = true;
                    }
                }
                Seg::Toks(t) => next[i + 1] |= match_toks(t, &chars),
            }
        }
        close(&mut next);
        std::mem::swap(&mut now, &mut next);
        if k + 1 >= min && now[n] {
            return true;
        }
        if !now.iter().any(|&b| b) {
            return false;
        }
    }
    false
}

/// Does the path segment `name` match `toks` whole? The same automaton
/// over characters: the set of token positions reached, one character at a
/// time, a `*` staying where it is while it takes characters.
fn match_toks(toks: &[Tok], name: &[char]) -> bool {
    let n = toks.len();
    // `*` may take no character (`compile_seg` never puts two in a row).
    let close = |set: &mut [bool]| {
        for i in 0..n {
            if set[i] && toks[i] == Tok::Star {
                set[i + 1] = true;
            }
        }
    };
    let mut now = vec![false; n + 1];
    now[0] = true;
    close(&mut now);
    let mut next = vec![false; n + 1];
    for &c in name {
        next.fill(false);
        let mut alive = false;
        for i in (0..n).filter(|&i| now[i]) {
            let (to, ok) = match &toks[i] {
                Tok::Star => (i, true),
                Tok::Lit(l) => (i + 1, *l == c),
                Tok::One => (i + 1, true),
                Tok::Class { negated, ranges } => {
                    (i + 1, ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated)
                }
            };
            next[to] |= ok;
            alive |= ok;
        }
        if !alive {
            return false;
        }
        close(&mut next);
        std::mem::swap(&mut now, &mut next);
    }
    now[n]
}

#[cfg(test)]
mod tests;
