//! Writing CODEOWNERS from the manifest, exact for every file of one tree.
//!
//! Manifest ownership (union of teams, `exclude`, packages, carve-outs)
//! has no faithful rendering as last-match-wins patterns in general, so the
//! file is computed from the tree: each file's expected owners are the
//! `owners` handles of the teams that own it, and the fewest lines that give
//! every file exactly those owners are found by dynamic programming over
//! the directory tree (a directory line `/dir/` sets a default for its
//! subtree, later and deeper lines override it). The forms written — `*`,
//! `/dir/`, `/file`, and for GitHub extension lines `/dir/**/*.ext` after
//! the others — are read alike by GitHub, GitLab and gitignore.

use std::collections::{BTreeMap, BTreeSet};

use crate::manifest::Manifest;
use crate::odb::TreeListing;
use crate::ownership::{Owner, Owners, Ownership};
use crate::pattern::DirMatch;

use super::{CodeOwners, Syntax};

/// Why no CODEOWNERS can be written.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A path whose name cannot be written as a pattern and whose owners
    /// differ from its directory's.
    #[error("cannot write a CODEOWNERS line for `{path}`: its name has characters CODEOWNERS cannot match exactly, and its owners differ from its directory's")]
    Unexpressible {
        /// The path.
        path: String,
    },
    /// GitLab merges sections whose names differ only in case.
    #[error("teams `{0}` and `{1}` differ only in case; GitLab would merge their CODEOWNERS sections")]
    SectionClash(String, String),
    /// The output read back disagrees with the manifest: a bug.
    #[error("internal error: the generated CODEOWNERS gives `{path}` the owners {got:?}, not {want:?}")]
    SelfCheck {
        /// The path.
        path: String,
        /// What the output gives.
        got: Vec<String>,
        /// What the manifest gives.
        want: Vec<String>,
    },
}

/// A generated CODEOWNERS file.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The file's text.
    pub text: String,
    /// Number of pattern lines.
    pub rules: usize,
    /// Teams that own files but have no `owners` handles: their files get
    /// no code owners from them.
    pub teams_without_owners: Vec<String>,
}

/// The handles a file should have: the `owners` of every team that owns
/// it, sorted and deduplicated (shared-only and unowned files: none).
pub fn expected_owners(manifest: &Manifest, owners: &Owners) -> Vec<String> {
    let set: BTreeSet<&String> =
        owners.teams.iter().flat_map(|&t| manifest.teams[t as usize].owners.iter()).collect();
    set.into_iter().cloned().collect()
}

/// Writes a CODEOWNERS file giving every file of `listing` the owners the
/// manifest gives it (`owners` is parallel to `listing.files`). `header`
/// lines become the leading comment.
pub fn generate(
    manifest: &Manifest,
    ownership: &Ownership,
    listing: &TreeListing,
    owners: &[Owners],
    syntax: Syntax,
    header: &[String],
) -> Result<Generated, GenerateError> {
    let tree = Tree::new(listing);
    let mut text = String::new();
    for h in header {
        text.push_str(&format!("# {h}\n").replace("# \n", "#\n"));
    }
    let without: BTreeSet<String> = owners
        .iter()
        .flat_map(|own| own.teams.iter())
        .map(|&t| &manifest.teams[t as usize])
        .filter(|team| team.owners.is_empty())
        .map(|team| team.name.clone())
        .collect();
    let rules = match syntax {
        Syntax::GitHub => github_body(manifest, ownership, &tree, owners, &mut text)?,
        Syntax::GitLab => gitlab_body(manifest, ownership, &tree, owners, &mut text)?,
    };
    self_check(manifest, listing, owners, &text, syntax)?;
    Ok(Generated { text, rules, teams_without_owners: without.into_iter().collect() })
}

/// GitHub's body: one section of lines, each file's owners all on the line
/// that matches it last. Returns the number of lines.
fn github_body(
    manifest: &Manifest,
    ownership: &Ownership,
    tree: &Tree,
    owners: &[Owners],
    text: &mut String,
) -> Result<usize, GenerateError> {
    // Label 0 is "no owners".
    let mut ids: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    let mut labels: Vec<Vec<String>> = vec![Vec::new()];
    ids.insert(Vec::new(), 0);
    let file_labels: Vec<usize> = owners
        .iter()
        .map(|o| {
            let e = expected_owners(manifest, o);
            *ids.entry(e.clone()).or_insert_with(|| {
                labels.push(e);
                labels.len() - 1
            })
        })
        .collect();
    // A directory line is sure (it is right for files added later too)
    // where the manifest's rules decide the whole directory.
    let sure: Vec<bool> = tree
        .nodes
        .iter()
        .map(|n| {
            (0..manifest.teams.len())
                .all(|t| ownership.classify_dir(Owner::Team(t), &n.path) != DirMatch::Partial)
        })
        .collect();
    let lines = github_lines(tree, &file_labels, labels.len(), &sure)?;
    if !lines.is_empty() {
        text.push('\n');
    }
    for (pattern, label) in &lines {
        let who = &labels[*label];
        if who.is_empty() {
            text.push_str(pattern);
        } else {
            text.push_str(&format!("{pattern} {}", who.join(" ")));
        }
        text.push('\n');
    }
    Ok(lines.len())
}

/// GitLab's body: one section per team with owners, whose lines cover
/// exactly the team's files. Returns the number of lines.
fn gitlab_body(
    manifest: &Manifest,
    ownership: &Ownership,
    tree: &Tree,
    owners: &[Owners],
    text: &mut String,
) -> Result<usize, GenerateError> {
    let mut rules = 0;
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    let patterns: Vec<Option<String>> = tree.nodes.iter().map(|n| n.pattern.clone()).collect();
    for (t, team) in manifest.teams.iter().enumerate() {
        if let Some(other) = seen.insert(team.name.to_ascii_lowercase(), &team.name) {
            return Err(GenerateError::SectionClash(other.to_string(), team.name.clone()));
        }
        if team.owners.is_empty() {
            continue;
        }
        let file_labels: Vec<usize> =
            owners.iter().map(|o| usize::from(o.teams.contains(&(t as u16)))).collect();
        if !file_labels.contains(&1) {
            continue;
        }
        // GitLab rejects lines without owners, so nothing may cover a file
        // the team does not own.
        let sure: Vec<bool> = tree
            .nodes
            .iter()
            .map(|n| ownership.classify_dir(Owner::Team(t), &n.path) == DirMatch::Whole)
            .collect();
        let care = vec![true; file_labels.len()];
        let spec = Spec {
            labels: &file_labels,
            k: 2,
            care: &care,
            no_empty_lines: true,
            patterns: &patterns,
            sure: &sure,
            base: None,
        };
        let lines = tree.solve(&spec)?.lines;
        text.push_str(&format!("\n[{}] {}\n", team.name, team.owners.join(" ")));
        for (pattern, _) in &lines {
            text.push_str(pattern);
            text.push('\n');
        }
        rules += lines.len();
    }
    Ok(rules)
}

/// Reads `text` back with the rules `--check` uses: a file whose owners
/// differ from the manifest's is a bug here, refused before it is written.
fn self_check(
    manifest: &Manifest,
    listing: &TreeListing,
    owners: &[Owners],
    text: &str,
    syntax: Syntax,
) -> Result<(), GenerateError> {
    let parsed = CodeOwners::parse(text, syntax);
    for (f, own) in listing.files.iter().zip(owners) {
        let path = String::from_utf8_lossy(&f.path);
        let want = expected_owners(manifest, own);
        let got = parsed.owners(&path);
        if got != want {
            return Err(GenerateError::SelfCheck { path: path.into_owned(), got, want });
        }
    }
    Ok(())
}

/// GitHub lines: directory and file lines, plus, where it makes the file
/// shorter, extension lines (`/dir/**/*.gen`, `*.gen`) placed after them for
/// files of one extension — the usual shape of an `exclude` such as
/// `**/*.generated.java`, which would otherwise cost a line per file.
fn github_lines(
    tree: &Tree,
    labels: &[usize],
    k: usize,
    sure: &[bool],
) -> Result<Vec<(String, usize)>, GenerateError> {
    let patterns: Vec<Option<String>> = tree.nodes.iter().map(|n| n.pattern.clone()).collect();
    let all = vec![true; labels.len()];
    let main_spec = |care: &[bool]| -> Result<Solution, GenerateError> {
        tree.solve(&Spec { labels, k, care, no_empty_lines: false, patterns: &patterns, sure, base: None })
    };
    let baseline = main_spec(&all)?;
    let (file_ext, candidates) = extension_candidates(tree, labels.len());
    let (mut best_cost, mut best_lines) = (baseline.cost, baseline.lines);
    let mut chosen: Vec<String> = Vec::new();
    for (_, e) in candidates {
        let mut trial = chosen.clone();
        trial.push(e);
        let care: Vec<bool> =
            file_ext.iter().map(|x| !x.as_ref().is_some_and(|x| trial.contains(x))).collect();
        let main = main_spec(&care)?;
        let mut cost = main.cost;
        let mut lines = main.lines.clone();
        for e in &trial {
            let tail = extension_tail(tree, &main, e, &file_ext, labels, k)?;
            cost = cost.saturating_add(tail.cost);
            lines.extend(tail.lines);
        }
        if cost < best_cost {
            (best_cost, best_lines, chosen) = (cost, lines, trial);
        }
    }
    Ok(best_lines)
}

/// Each file's extension, by label index, and the extensions worth an
/// extension line: the most common ones, of three files or more.
fn extension_candidates(tree: &Tree, files: usize) -> (Vec<Option<String>>, Vec<(usize, String)>) {
    let ext = |name: &[u8]| -> Option<String> {
        let name = std::str::from_utf8(name).ok()?;
        let (_, e) = name.rsplit_once('.')?;
        (!e.is_empty() && e.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+')))
            .then(|| e.to_string())
    };
    let mut file_ext: Vec<Option<String>> = vec![None; files];
    for node in &tree.nodes {
        for (name, i) in &node.files {
            file_ext[*i] = ext(name);
        }
    }
    // `*.E` would also own a directory named `x.E`, which GitLab reads otherwise.
    let dir_exts: BTreeSet<String> =
        tree.nodes.iter().filter_map(|n| n.path.rsplit(|&b| b == b'/').next().and_then(ext)).collect();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for e in file_ext.iter().flatten() {
        *counts.entry(e.clone()).or_default() += 1;
    }
    let mut candidates: Vec<(usize, String)> =
        counts.into_iter().filter(|(e, n)| *n >= 3 && !dir_exts.contains(e)).map(|(e, n)| (n, e)).collect();
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    candidates.truncate(MAX_EXTENSIONS);
    (file_ext, candidates)
}

/// The extension lines for `e` placed after `main`'s lines.
fn extension_tail(
    tree: &Tree,
    main: &Solution,
    e: &str,
    file_ext: &[Option<String>],
    labels: &[usize],
    k: usize,
) -> Result<Solution, GenerateError> {
    let care: Vec<bool> = file_ext.iter().map(|x| x.as_deref() == Some(e)).collect();
    let tail_patterns: Vec<Option<String>> = tree
        .nodes
        .iter()
        .enumerate()
        .map(|(d, n)| {
            // Extension lines refine a directory line, as people write
            // them (`/svc/` then `/svc/**/*.gen`); owning a directory
            // by one extension alone would leave its other files, and
            // those added later, to nobody.
            if !main.covered[d] {
                None
            } else if d == 0 {
                Some(format!("*.{e}"))
            } else {
                n.pattern.as_ref().map(|p| format!("{p}**/*.{e}"))
            }
        })
        .collect();
    let guesses = vec![false; tree.nodes.len()];
    tree.solve(&Spec {
        labels,
        k,
        care: &care,
        no_empty_lines: false,
        patterns: &tail_patterns,
        sure: &guesses,
        base: Some(&main.effective),
    })
}

/// Extensions tried for extension lines (each try is a few passes over the tree).
const MAX_EXTENSIONS: usize = 6;

/// The cost of a line. Costs count lines, then directory lines that are
/// guesses (the rules do not decide the whole directory): of two outputs
/// with as many lines, the one that guesses less is kept.
const LINE: u64 = 1 << 24;
/// What cannot be written.
const INF: u64 = u64::MAX / 4;

#[derive(Debug, Default)]
struct Node {
    /// Path from the root, without a trailing `/` (`""` for the root).
    path: Vec<u8>,
    /// Written pattern for this directory (`None`: cannot be written).
    pattern: Option<String>,
    dirs: BTreeMap<Vec<u8>, usize>,
    /// (name, index into the listing)
    files: Vec<(Vec<u8>, usize)>,
}

/// The directory tree of a listing.
struct Tree {
    nodes: Vec<Node>,
    /// Written pattern of each file of the listing (`None`: cannot be written).
    file_patterns: Vec<Option<String>>,
}

impl Tree {
    fn new(listing: &TreeListing) -> Tree {
        let mut nodes = vec![Node { pattern: Some("*".into()), ..Node::default() }];
        for (i, f) in listing.files.iter().enumerate() {
            let mut n = 0;
            let comps: Vec<&[u8]> = f.path.split(|&b| b == b'/').collect();
            let (name, dirs) = comps.split_last().expect("a path has a name");
            for d in dirs {
                n = match nodes[n].dirs.get(*d) {
                    Some(&k) => k,
                    None => {
                        let mut path = nodes[n].path.clone();
                        if !path.is_empty() {
                            path.push(b'/');
                        }
                        path.extend_from_slice(d);
                        nodes.push(Node { path, ..Node::default() });
                        let k = nodes.len() - 1;
                        nodes[n].dirs.insert(d.to_vec(), k);
                        k
                    }
                };
            }
            nodes[n].files.push((name.to_vec(), i));
        }
        let mut file_patterns = vec![None; listing.files.len()];
        // Patterns: each component written or `?`-substituted, checked
        // against its siblings.
        for k in 0..nodes.len() {
            let siblings: Vec<&[u8]> = nodes[k]
                .dirs
                .keys()
                .map(|d| d.as_slice())
                .chain(nodes[k].files.iter().map(|(n, _)| n.as_slice()))
                .collect();
            let prefix =
                nodes[k].pattern.clone().filter(|_| k != 0).or_else(|| (k == 0).then(|| "/".to_string()));
            let child_dirs: Vec<(usize, Option<String>)> = nodes[k]
                .dirs
                .iter()
                .map(|(name, &c)| {
                    let p = match (&prefix, component(name, &siblings)) {
                        (Some(pre), Some(comp)) => Some(format!("{pre}{comp}/")),
                        _ => None,
                    };
                    (c, p)
                })
                .collect();
            for (name, i) in &nodes[k].files {
                file_patterns[*i] = match (&prefix, component(name, &siblings)) {
                    (Some(pre), Some(comp)) => Some(format!("{pre}{comp}")),
                    _ => None,
                };
            }
            // Children are created after their parent, so this runs
            // before their own turn in the loop.
            for (c, p) in child_dirs {
                nodes[c].pattern = p;
            }
        }
        Tree { nodes, file_patterns }
    }

    /// The fewest lines (pattern, label) for `spec`: see [`Spec`].
    fn solve(&self, spec: &Spec<'_>) -> Result<Solution, GenerateError> {
        let n = self.nodes.len();
        let states = spec.k + 1;
        let none = spec.k;
        // best[d][s]: the cost of d's subtree entered in state s (a label,
        // or `none`: no line of this problem covers it yet).
        let mut best: Vec<Vec<u64>> = vec![Vec::new(); n];
        let mut fixed_all: Vec<Vec<u64>> = vec![Vec::new(); n];
        // Children have larger indices than parents: reverse order is post-order.
        for d in (0..n).rev() {
            let node = &self.nodes[d];
            let mut fixed = vec![0u64; states];
            for (s, slot) in fixed.iter_mut().enumerate() {
                let mut sum = 0u64;
                for &(_, i) in &node.files {
                    sum = sum.saturating_add(self.file_cost(spec, i, s));
                }
                for &sub in node.dirs.values() {
                    sum = sum.saturating_add(best[sub][s]);
                }
                *slot = sum.min(INF);
            }
            let line = self.line_cost(spec, d);
            let relabel = (0..spec.k).filter(|&c| spec.line_ok(c)).map(|c| fixed[c]).min().unwrap_or(INF);
            best[d] = fixed.iter().map(|&f| f.min(line.saturating_add(relabel).min(INF))).collect();
            fixed_all[d] = fixed;
        }
        let cost = best[0][none];
        if cost >= INF {
            return Err(GenerateError::Unexpressible { path: self.first_unexpressible(spec) });
        }
        let mut sol = Solution {
            lines: Vec::new(),
            cost,
            effective: vec![0; spec.labels.len()],
            covered: vec![false; n],
        };
        self.emit(spec, 0, none, &fixed_all, &mut sol);
        Ok(sol)
    }

    fn line_cost(&self, spec: &Spec<'_>, d: usize) -> u64 {
        match spec.patterns[d] {
            None => INF,
            Some(_) if spec.sure[d] => LINE,
            // A guess at the root would hand every new top-level directory
            // to one team: only when it saves a line.
            Some(_) if d == 0 => LINE + 2,
            Some(_) => LINE + 1,
        }
    }

    /// What file `i` ends with in state `s` when no line of its own fixes it.
    fn got(&self, spec: &Spec<'_>, i: usize, s: usize) -> usize {
        if s == spec.k {
            spec.base.map_or(0, |b| b[i])
        } else {
            s
        }
    }

    fn file_cost(&self, spec: &Spec<'_>, i: usize, s: usize) -> u64 {
        if !spec.care[i] || self.got(spec, i, s) == spec.labels[i] {
            0
        } else if self.file_patterns[i].is_none() || !spec.line_ok(spec.labels[i]) {
            INF
        } else {
            LINE
        }
    }

    fn emit(&self, spec: &Spec<'_>, d: usize, state: usize, fixed: &[Vec<u64>], sol: &mut Solution) {
        let node = &self.nodes[d];
        let mut eff = state;
        if let Some(p) = &spec.patterns[d] {
            let (c, cost) = (0..spec.k)
                .filter(|&c| spec.line_ok(c))
                .map(|c| (c, fixed[d][c]))
                .min_by_key(|&(c, f)| (f, c))
                .unwrap_or((0, INF));
            // On a tie, the directory line: it also covers files added later.
            if c != state && cost.saturating_add(self.line_cost(spec, d)) <= fixed[d][state] {
                sol.lines.push((p.clone(), c));
                eff = c;
            }
        }
        sol.covered[d] = eff != spec.k;
        // Files and subdirectories in name order; their lines are disjoint.
        let mut entries: Vec<(&[u8], Result<usize, usize>)> = node
            .files
            .iter()
            .map(|(name, i)| (name.as_slice(), Ok(*i)))
            .chain(node.dirs.iter().map(|(name, &c)| (name.as_slice(), Err(c))))
            .collect();
        entries.sort();
        for (_, e) in entries {
            match e {
                Ok(i) => {
                    sol.effective[i] = self.got(spec, i, eff);
                    if spec.care[i] && sol.effective[i] != spec.labels[i] {
                        let p = self.file_patterns[i].clone().expect("solve() ruled out unwritable files");
                        sol.lines.push((p, spec.labels[i]));
                        sol.effective[i] = spec.labels[i];
                    }
                }
                Err(c) => self.emit(spec, c, eff, fixed, sol),
            }
        }
    }

    /// A file no solution can express (for the error message).
    fn first_unexpressible(&self, spec: &Spec<'_>) -> String {
        for node in &self.nodes {
            for (name, i) in &node.files {
                if spec.care[*i] && (self.file_patterns[*i].is_none() || !spec.line_ok(spec.labels[*i])) {
                    let mut p = node.path.clone();
                    if !p.is_empty() {
                        p.push(b'/');
                    }
                    p.extend_from_slice(name);
                    return String::from_utf8_lossy(&p).into_owned();
                }
            }
        }
        String::new()
    }
}

/// A labelling problem over a [`Tree`]: lines (a directory's pattern with a
/// label, later and deeper lines winning) so that every file in `care` ends
/// with its label. A file no line covers gets `base[i]` (label 0 without
/// `base`).
struct Spec<'a> {
    /// The label each file of the listing must end with.
    labels: &'a [usize],
    /// Lines carry labels `0..k`.
    k: usize,
    /// Files whose label matters.
    care: &'a [bool],
    /// GitLab: no line may carry label 0 (no owners).
    no_empty_lines: bool,
    /// The pattern of each node's line (`None`: no line there).
    patterns: &'a [Option<String>],
    /// A line at the node is no guess.
    sure: &'a [bool],
    /// What a file no line of this problem covers ends with.
    base: Option<&'a [usize]>,
}

impl Spec<'_> {
    fn line_ok(&self, label: usize) -> bool {
        !(self.no_empty_lines && label == 0)
    }
}

/// Lines solving a [`Spec`].
struct Solution {
    /// (pattern, label), in file order.
    lines: Vec<(String, usize)>,
    /// Lines, and guesses among them (see [`LINE`]).
    cost: u64,
    /// The label each file ends with.
    effective: Vec<usize>,
    /// Per node: a line of the solution covers the directory.
    covered: Vec<bool>,
}

/// A path component as a pattern: as is when it has no character that
/// CODEOWNERS dialects read differently; otherwise each such character
/// becomes `?`, provided no sibling then matches too. `None` if neither.
fn component(name: &[u8], siblings: &[&[u8]]) -> Option<String> {
    let s = std::str::from_utf8(name).ok()?;
    let special =
        |c: char| c.is_whitespace() || c.is_control() || matches!(c, '*' | '?' | '[' | ']' | '\\' | '#');
    if !s.chars().any(special) {
        return Some(s.to_string());
    }
    let pattern: Vec<char> = s.chars().map(|c| if special(c) { '?' } else { c }).collect();
    for sib in siblings {
        if *sib == name {
            continue;
        }
        let sib: Vec<char> = String::from_utf8_lossy(sib).chars().collect();
        if sib.len() == pattern.len() && sib.iter().zip(&pattern).all(|(a, p)| *p == '?' || a == p) {
            return None;
        }
    }
    Some(pattern.into_iter().collect())
}

#[cfg(test)]
pub(super) fn component_for_test(name: &[u8], siblings: &[&[u8]]) -> Option<String> {
    component(name, siblings)
}
