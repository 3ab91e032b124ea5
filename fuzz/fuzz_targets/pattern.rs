//! The pattern and ownership engine against a slow reference written here.
//!
//! Input: a few rules (owner, include or exclude pattern, or an npm package)
//! and a few paths, spelled from a small alphabet rich in glob syntax, and
//! `package.json` files placed in some of their directories. Checked:
//!
//! * `Pattern::new` accepts exactly what the reference grammar accepts, and
//!   `is_match` agrees with the reference matcher on every path;
//! * `Pattern::classify_dir` is sound: `Whole` only if every probed path
//!   below the directory matches, `None` only if none does;
//! * ownership (`owners`, `explain`, the one-pass `assign`, the cursor walk)
//!   agrees with "included by a path pattern or package of the owner and
//!   not excluded by one of its excludes" (a package: the directories
//!   holding its `package.json`, minus those below them holding another's;
//!   one without any owns nothing), and the directory answers (`classify_dir`,
//!   `keep_class`, `cursor_keep_class`) agree with those per-file answers
//!   for every file below the directory.
//!
//! The reference is the documented dialect, matched on bytes like git's
//! wildmatch: `*` any bytes and `?` one byte, never `/`; `[..]` one byte of
//! a set (`!`/`^` negates, `a-z` ranges, a leading `]` or a leading or
//! trailing `-` is literal); `{a,b}` alternatives, nested, empty ones
//! allowed (shell brace expansion); `\` escapes; `**` a whole segment;
//! a pattern matching a leading directory of a path matches the path.
//! A class holding `\` or a non-ASCII character is refused (git reads them
//! byte by byte and as escapes, globset does not). POSIX classes (`[:`) and
//! a range right after a range are outside what the reference judges;
//! patterns with them are still checked for self-consistency.
#![no_main]

use std::collections::BTreeSet;

use arbitrary::Arbitrary;
use git_split::manifest::{Level, Loc, Located, Manifest, PackageSpec, Policy, Rule, Team};
use git_split::odb::{FileKind, TreeFile, TreeListing};
use git_split::ownership::packages::{MemoryFiles, PackageError};
use git_split::ownership::{Owner, Owners, Ownership};
use git_split::pattern::{DirMatch, Pattern};
use libfuzzer_sys::fuzz_target;

const ALPHABET: &[&str] =
    &["a", "b", "c", "-", "/", "*", "?", "[", "]", "\\", ".", "!", "{", "}", ",", "^", "é", "/", "a", "b"];
const TEAMS: usize = 2;

#[derive(Arbitrary, Debug)]
struct RuleInput {
    /// 0: shared, else a team.
    owner: u8,
    exclude: bool,
    /// A package reference `npm:p<n>` instead of a pattern.
    package: Option<u8>,
    text: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    rules: Vec<RuleInput>,
    /// `package.json` files: (directory choice, name `p<n>`).
    packages: Vec<(u8, u8)>,
    paths: Vec<Vec<u8>>,
}

const PACKAGE_NAMES: u8 = 3;

enum RuleKind {
    Include(Pattern),
    Exclude(Pattern),
    Package(String),
}

fn spell(bytes: &[u8], max: usize) -> String {
    bytes.iter().take(max).map(|&b| ALPHABET[b as usize % ALPHABET.len()]).collect()
}

// ---------------------------------------------------------------------------
// The reference
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Tok {
    Byte(u8),
    Any,
    Star,
    Class { negated: bool, ranges: Vec<(u8, u8)> },
    Alt(Vec<Vec<Tok>>),
}

#[derive(Clone, Debug)]
enum RefSeg {
    DoubleStar,
    Glob(Vec<Tok>),
}

/// What the reference makes of a pattern text.
enum Verdict {
    Invalid,
    /// Outside what the reference judges.
    Unknown,
    Valid(Vec<RefSeg>),
}

fn ref_compile(text: &str) -> Verdict {
    if text.starts_with('!') {
        return Verdict::Invalid;
    }
    let mut t = text;
    while let Some(rest) = t.strip_prefix("./") {
        t = rest;
    }
    let t = t.trim_matches('/');
    if t.is_empty() {
        return Verdict::Invalid;
    }
    let mut segs = Vec::new();
    let mut unknown = false;
    for seg in t.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." {
            return Verdict::Invalid;
        }
        if seg == "**" {
            segs.push(RefSeg::DoubleStar);
            continue;
        }
        if seg.contains("**") {
            return Verdict::Invalid;
        }
        match parse_glob(seg) {
            Err(()) => return Verdict::Invalid,
            Ok(None) => unknown = true,
            Ok(Some(toks)) => segs.push(RefSeg::Glob(toks)),
        }
    }
    if segs.len() > 63 {
        return Verdict::Invalid;
    }
    if unknown {
        Verdict::Unknown
    } else {
        Verdict::Valid(segs)
    }
}

/// `Err` for a syntax error, `Ok(None)` for a class the reference does not judge.
fn parse_glob(seg: &str) -> Result<Option<Vec<Tok>>, ()> {
    let chars: Vec<char> = seg.chars().collect();
    // The branches of each open `{`, innermost last; `stack[0]` is the top level.
    let mut stack: Vec<Vec<Vec<Tok>>> = vec![vec![vec![]]];
    let mut i = 0;
    let push = |stack: &mut Vec<Vec<Vec<Tok>>>, t: Tok| stack.last_mut().unwrap().last_mut().unwrap().push(t);
    let push_char = |stack: &mut Vec<Vec<Vec<Tok>>>, c: char| {
        let mut buf = [0; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            stack.last_mut().unwrap().last_mut().unwrap().push(Tok::Byte(b));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '?' => push(&mut stack, Tok::Any),
            '*' => push(&mut stack, Tok::Star),
            '\\' => {
                let Some(&e) = chars.get(i) else { return Err(()) };
                i += 1;
                push_char(&mut stack, e);
            }
            '{' => stack.push(vec![vec![]]),
            '}' => {
                if stack.len() == 1 {
                    return Err(());
                }
                let branches = stack.pop().unwrap();
                push(&mut stack, Tok::Alt(branches));
            }
            ',' if stack.len() > 1 => stack.last_mut().unwrap().push(vec![]),
            '[' => {
                let mut negated = false;
                if matches!(chars.get(i), Some('!' | '^')) {
                    negated = true;
                    i += 1;
                }
                let mut ranges: Vec<(u8, u8)> = Vec::new();
                let mut last_is_range = false;
                let mut first = true;
                let mut bad = false;
                loop {
                    let Some(&c) = chars.get(i) else { return Err(()) };
                    i += 1;
                    if c == ']' && !first {
                        if bad {
                            return Err(());
                        }
                        break;
                    }
                    if c == '[' && chars.get(i) == Some(&':') {
                        return Ok(None);
                    }
                    // git reads `\` in a class as an escape and a non-ASCII
                    // character as its bytes; the dialect refuses both.
                    bad |= c == '\\' || !c.is_ascii();
                    if c == '-' && !first && chars.get(i) != Some(&']') {
                        // A range from the previous character.
                        let Some(&hi) = chars.get(i) else { return Err(()) };
                        if hi == '\\' || !hi.is_ascii() {
                            bad = true;
                            i += 1;
                            first = false;
                            continue;
                        }
                        if last_is_range {
                            return Ok(None);
                        }
                        i += 1;
                        let lo = ranges.last().unwrap().0;
                        if (hi as u8) < lo {
                            return Err(());
                        }
                        *ranges.last_mut().unwrap() = (lo, hi as u8);
                        last_is_range = true;
                    } else {
                        ranges.push((c as u8, c as u8));
                        last_is_range = false;
                    }
                    first = false;
                }
                push(&mut stack, Tok::Class { negated, ranges });
            }
            c => push_char(&mut stack, c),
        }
    }
    if stack.len() != 1 {
        return Err(());
    }
    Ok(Some(stack.pop().unwrap().pop().unwrap()))
}

fn tok_match(toks: &[Tok], name: &[u8]) -> bool {
    let Some((t, rest)) = toks.split_first() else { return name.is_empty() };
    match t {
        Tok::Byte(b) => name.first() == Some(b) && tok_match(rest, &name[1..]),
        Tok::Any => !name.is_empty() && tok_match(rest, &name[1..]),
        Tok::Star => (0..=name.len()).any(|k| tok_match(rest, &name[k..])),
        Tok::Class { negated, ranges } => {
            !name.is_empty()
                && ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&name[0])) != *negated
                && tok_match(rest, &name[1..])
        }
        Tok::Alt(branches) => branches.iter().any(|b| tok_match(&[b.as_slice(), rest].concat(), name)),
    }
}

/// The segments against exactly these names; a final `**` takes one or more.
fn ref_full(segs: &[RefSeg], names: &[&[u8]]) -> bool {
    match segs.split_first() {
        None => names.is_empty(),
        Some((RefSeg::DoubleStar, [])) => !names.is_empty(),
        Some((RefSeg::DoubleStar, rest)) => {
            ref_full(rest, names) || (!names.is_empty() && ref_full(segs, &names[1..]))
        }
        Some((RefSeg::Glob(toks), rest)) => {
            !names.is_empty() && tok_match(toks, names[0]) && ref_full(rest, &names[1..])
        }
    }
}

fn ref_match(segs: &[RefSeg], path: &[u8]) -> bool {
    let names: Vec<&[u8]> = path.split(|&b| b == b'/').collect();
    (1..=names.len()).any(|k| ref_full(segs, &names[..k]))
}

// ---------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------

fn below(dir: &[u8], path: &[u8]) -> bool {
    dir.is_empty() || (path.starts_with(dir) && path.get(dir.len()) == Some(&b'/'))
}

fn assert_sound(class: DirMatch, dir: &[u8], files: &[Vec<u8>], owned: impl Fn(usize) -> bool, what: &str) {
    for (k, f) in files.iter().enumerate() {
        if !below(dir, f) {
            continue;
        }
        match class {
            DirMatch::Whole => assert!(owned(k), "{what}: {:?} is Whole but {:?} is not", esc(dir), esc(f)),
            DirMatch::None => assert!(!owned(k), "{what}: {:?} is None but {:?} is", esc(dir), esc(f)),
            DirMatch::Partial => {}
        }
    }
}

fn esc(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn owner_of(o: u8) -> Owner {
    match o as usize % (TEAMS + 1) {
        0 => Owner::Shared,
        t => Owner::Team(t - 1),
    }
}

fuzz_target!(|input: Input| {
    // The files: the input paths, and in each of their directories a probe
    // name no literal of the alphabet spells, so directory answers are
    // tested on a name the patterns did not foresee.
    let mut files: BTreeSet<Vec<u8>> = BTreeSet::new();
    for p in input.paths.iter().take(6) {
        let text = spell(p, 16);
        let names: Vec<&str> = text.split('/').filter(|n| !n.is_empty() && *n != "." && *n != "..").collect();
        if names.is_empty() {
            continue;
        }
        for k in 0..names.len() {
            let mut probe = names[..k].to_vec();
            probe.push("zz");
            files.insert(probe.join("/").into_bytes());
        }
        files.insert(names.join("/").into_bytes());
    }
    // A tree cannot hold both `a` and `a/b`: the directory wins.
    let all: Vec<Vec<u8>> = files.iter().cloned().collect();
    files.retain(|f| !all.iter().any(|g| below(f, g) && g != f));
    let files: Vec<Vec<u8>> = files.into_iter().collect();
    let mut dirs: BTreeSet<Vec<u8>> = BTreeSet::from([Vec::new()]);
    for f in &files {
        for (i, &b) in f.iter().enumerate() {
            if b == b'/' {
                dirs.insert(f[..i].to_vec());
            }
        }
    }

    // npm packages in some of those directories (the alphabet cannot spell
    // `package.json`, so these files are new). A package owns the
    // directories holding its `package.json`, minus any directory strictly
    // below them holding another package's.
    let mut packages: Vec<(Vec<u8>, String)> = Vec::new();
    let dir_list: Vec<Vec<u8>> = dirs.iter().cloned().collect();
    for &(d, n) in input.packages.iter().take(4) {
        let dir = dir_list[d as usize % dir_list.len()].clone();
        if !packages.iter().any(|(e, _)| *e == dir) {
            packages.push((dir, format!("p{}", n % PACKAGE_NAMES)));
        }
    }
    let manifest_path = |dir: &[u8]| -> Vec<u8> {
        if dir.is_empty() {
            b"package.json".to_vec()
        } else {
            [dir, b"/package.json"].concat()
        }
    };
    let mut files = files;
    for (dir, _) in &packages {
        files.push(manifest_path(dir));
    }
    files.sort();
    let tree = MemoryFiles::new(files.iter().map(|f| {
        let name = packages.iter().find(|(d, _)| manifest_path(d) == *f).map(|(_, n)| n.as_str());
        let content = name.map_or("x".to_string(), |n| format!("{{\"name\": \"{n}\"}}"));
        (f.clone(), content)
    }));
    let within = |dir: &[u8], f: &[u8]| below(dir, f) || dir == f;
    // The generated `package.json` files declare no workspace, and npm
    // carves only workspace roots and members out of a package: a package
    // owns everything below its directories, nested named packages included.
    let package_selects =
        |name: &str, f: &[u8]| packages.iter().filter(|(_, n)| n == name).any(|(d, _)| within(d, f));

    // Patterns against the reference, one by one.
    let mut rules: Vec<(Owner, RuleKind)> = Vec::new();
    for r in input.rules.iter().take(6) {
        if let Some(n) = r.package {
            rules.push((owner_of(r.owner), RuleKind::Package(format!("p{}", n % PACKAGE_NAMES))));
            continue;
        }
        let text = spell(&r.text, 12);
        let ours = Pattern::new(&text);
        let verdict = ref_compile(&text);
        match (&ours, &verdict) {
            (Ok(_), Verdict::Invalid) => panic!("{text:?} accepted, the reference refuses it"),
            (Err(e), Verdict::Valid(_)) => panic!("{text:?} refused ({e}), the reference accepts it"),
            _ => {}
        }
        let Ok(p) = ours else { continue };
        let matched: Vec<bool> = files.iter().map(|f| p.is_match(f)).collect();
        if let Verdict::Valid(segs) = &verdict {
            for (f, &m) in files.iter().zip(&matched) {
                assert_eq!(m, ref_match(segs, f), "pattern {text:?} on {:?}", esc(f));
            }
        }
        for d in &dirs {
            assert_sound(p.classify_dir(d), d, &files, |k| matched[k], &format!("pattern {text:?}"));
        }
        let kind = if r.exclude { RuleKind::Exclude(p) } else { RuleKind::Include(p) };
        rules.push((owner_of(r.owner), kind));
    }

    // Ownership against "an owner's include matches and none of its excludes".
    let mut shared = Rule::default();
    let mut team_rules: Vec<Rule> = vec![Rule::default(); TEAMS];
    for (owner, kind) in &rules {
        let rule = match owner {
            Owner::Shared => &mut shared,
            Owner::Team(t) => &mut team_rules[*t],
        };
        let loc = Loc::default();
        match kind {
            RuleKind::Include(p) => rule.paths.push(Located { value: p.clone(), loc }),
            RuleKind::Exclude(p) => rule.exclude.push(Located { value: p.clone(), loc }),
            RuleKind::Package(n) => {
                rule.packages.push(Located { value: PackageSpec::parse(&format!("npm:{n}")), loc })
            }
        }
    }
    let manifest = Manifest {
        path: "ownership.yaml".into(),
        refs: Vec::new(),
        shared,
        teams: team_rules
            .into_iter()
            .enumerate()
            .map(|(i, rule)| Team {
                name: format!("t{i}"),
                loc: Loc::default(),
                description: None,
                owners: Vec::new(),
                rule,
                root: None,
                compat: None,
                depends_on: None,
                remote: None,
                tags: Default::default(),
                follow_renames: false,
            })
            .collect(),
        labels: true,
        policy: Policy { unowned: Level::Error, overlap: Level::Error, dependencies: Level::Allow },
        remote: None,
    };
    let (o, unresolved) = Ownership::new_lenient(&manifest, &tree).expect("the tree reads");
    // A package with no `package.json` resolves to nothing and owns nothing.
    let mut want_unresolved: Vec<String> = rules
        .iter()
        .filter_map(|(_, k)| match k {
            RuleKind::Package(n) if !packages.iter().any(|(_, m)| m == n) => Some(n.clone()),
            _ => None,
        })
        .collect();
    want_unresolved.sort();
    let mut got_unresolved: Vec<String> = unresolved
        .iter()
        .map(|(_, e)| match &e.error {
            PackageError::NotFound { spec, .. } => spec.trim_start_matches("npm:").to_string(),
            other => panic!("unexpected package error: {other}"),
        })
        .collect();
    got_unresolved.sort();
    assert_eq!(got_unresolved, want_unresolved, "unresolved packages");
    let owns = |owner: Owner, f: &[u8]| {
        let mut included = false;
        let mut excluded = false;
        for (ow, kind) in &rules {
            if *ow != owner {
                continue;
            }
            match kind {
                RuleKind::Include(p) => included |= p.is_match(f),
                RuleKind::Exclude(p) => excluded |= p.is_match(f),
                RuleKind::Package(n) => included |= package_selects(n, f),
            }
        }
        included && !excluded
    };
    let want: Vec<Owners> = files
        .iter()
        .map(|f| Owners {
            teams: (0..TEAMS).filter(|&t| owns(Owner::Team(t), f)).map(|t| t as u16).collect(),
            shared: owns(Owner::Shared, f),
        })
        .collect();
    let listing = TreeListing {
        files: files
            .iter()
            .map(|f| TreeFile { path: f.clone(), oid: git2::Oid::ZERO_SHA1, kind: FileKind::Blob, size: 0 })
            .collect(),
    };
    let assigned = o.assign(&listing);
    for (k, f) in files.iter().enumerate() {
        assert_eq!(o.owners(f), want[k], "owners of {:?}", esc(f));
        assert_eq!(o.explain(f).owners, want[k], "explain of {:?}", esc(f));
        assert_eq!(assigned.owners[k], want[k], "assign of {:?}", esc(f));
        let (dir, name) = match f.iter().rposition(|&b| b == b'/') {
            Some(i) => (&f[..i], &f[i + 1..]),
            None => (&f[..0], &f[..]),
        };
        let mut c = o.root_cursor();
        for n in dir.split(|&b| b == b'/').filter(|n| !n.is_empty()) {
            c = o.enter(&c, n);
        }
        assert_eq!(o.file_owners(&c, name), want[k], "cursor owners of {:?}", esc(f));
    }
    for d in &dirs {
        let mut c = o.root_cursor();
        for n in d.split(|&b| b == b'/').filter(|n| !n.is_empty()) {
            c = o.enter(&c, n);
        }
        for owner in std::iter::once(Owner::Shared).chain((0..TEAMS).map(Owner::Team)) {
            let what = format!("{owner:?} classify_dir");
            assert_sound(o.classify_dir(owner, d), d, &files, |k| owns(owner, &files[k]), &what);
        }
        for t in 0..TEAMS {
            let class = o.keep_class(t, d);
            assert_sound(class, d, &files, |k| want[k].kept_by(t), &format!("team {t} keep_class"));
            assert_eq!(o.cursor_keep_class(&c, t), class, "cursor_keep_class vs keep_class of {:?}", esc(d));
        }
    }
});
