//! A starting `ownership.yaml`: from an existing CODEOWNERS file, from the
//! tree's build system (module `packages`), or from the top-level
//! directories of a tree.
//!
//! From CODEOWNERS, every distinct set of owners (what the file gives each
//! file of the tree, last match winning) becomes one team. A team's
//! patterns are the CODEOWNERS patterns that gave it files, with the later
//! lines that take part of them away as `exclude`; where that does not give
//! the team exactly its files (GitHub's non-recursive `dir/*`, a file taken
//! away and given back, GitLab's sections), the team gets the directories
//! it owns whole and its other files, computed from the tree. Either way
//! the result is checked with the ownership engine against every file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::codeowners::{CodeOwners, Syntax};
use crate::manifest::{Manifest, ManifestError};
use crate::odb::{Repo, TreeListing};
use crate::ownership::{Ownership, OwnershipErrors, TreeFiles};

mod machinery;
mod packages;

use machinery::is_machinery;
pub use packages::from_packages;

/// Why no manifest could be drafted.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// There is nothing to make a team of.
    #[error("{0}")]
    NothingToOwn(String),
    /// The drafted manifest does not load: a bug.
    #[error("internal error: the drafted manifest does not load: {0}")]
    Manifest(#[from] ManifestError),
    /// The tree could not be read.
    #[error(transparent)]
    Read(#[from] crate::ownership::packages::ReadError),
    /// The drafted manifest does not resolve: a bug.
    #[error("internal error: the drafted manifest does not resolve: {0}")]
    Ownership(#[from] OwnershipErrors),
    /// The drafted manifest gives a file other owners than intended: a bug,
    /// or a path YAML cannot carry (not UTF-8).
    #[error("cannot draft ownership for `{path}`: the manifest would give it {got:?}, not {want:?}")]
    Mismatch {
        /// The path.
        path: String,
        /// Teams the draft gives it.
        got: Vec<String>,
        /// Teams it should have.
        want: Vec<String>,
    },
}

/// One drafted team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftTeam {
    /// Team name (valid as a manifest team name).
    pub name: String,
    /// Free text.
    pub description: String,
    /// CODEOWNERS handles.
    pub owners: Vec<String>,
    /// Package selectors.
    pub packages: Vec<String>,
    /// Path patterns.
    pub paths: Vec<String>,
    /// Exclude patterns.
    pub exclude: Vec<String>,
    /// True when the patterns came from CODEOWNERS lines, false when they
    /// list the tree's directories and files.
    pub from_patterns: bool,
    /// Files the team owns at the ref.
    pub files: usize,
}

impl DraftTeam {
    /// A team with no owners yet that owns one directory.
    fn of_dir(name: String, description: String, dir: &str, files: usize) -> DraftTeam {
        DraftTeam {
            name,
            description,
            owners: Vec::new(),
            packages: Vec::new(),
            paths: vec![format!("{dir}/")],
            exclude: Vec::new(),
            from_patterns: false,
            files,
        }
    }
}

/// A drafted manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    /// Teams, sorted by name.
    pub teams: Vec<DraftTeam>,
    /// `shared.paths`.
    pub shared: Vec<String>,
    /// Files no team owns and that are not shared.
    pub unowned: Vec<String>,
}

/// Drafts teams from a parsed CODEOWNERS file and the tree it governs.
pub fn from_codeowners(repo: &Repo, co: &CodeOwners, listing: &TreeListing) -> Result<Draft, InitError> {
    let paths: Vec<String> =
        listing.files.iter().map(|f| String::from_utf8_lossy(&f.path).into_owned()).collect();
    let want: Vec<Vec<String>> = paths.iter().map(|p| co.owners(p)).collect();
    let sets: BTreeSet<&Vec<String>> = want.iter().filter(|w| !w.is_empty()).collect();
    if sets.is_empty() {
        return Err(InitError::NothingToOwn("the CODEOWNERS file gives no file of the tree an owner".into()));
    }
    let mut teams = teams_of_owner_sets(sets, &want);
    // First try: the CODEOWNERS lines themselves (GitHub's flat list only).
    if co.syntax == Syntax::GitHub {
        rules_as_patterns(co, &paths, &mut teams);
    }
    // What CODEOWNERS leaves without an owner: the build's and CI's own
    // files every team's copy needs go to `shared`; the rest stays unowned.
    let (machinery, unowned): (Vec<&String>, Vec<&String>) =
        paths.iter().zip(&want).filter(|(_, w)| w.is_empty()).map(|(p, _)| p).partition(|p| is_machinery(p));
    let machinery: BTreeSet<&str> = machinery.into_iter().map(String::as_str).collect();
    let mut draft = Draft {
        teams: {
            let mut v: Vec<DraftTeam> = teams.iter().map(|(_, t)| t.clone()).collect();
            v.sort_by(|a, b| a.name.cmp(&b.name));
            v
        },
        shared: machinery.iter().map(|p| glob_of(p.as_bytes())).collect(),
        unowned: unowned.into_iter().cloned().collect(),
    };
    let shared_intended = |p: &[u8]| machinery.contains(String::from_utf8_lossy(p).as_ref());
    // Teams whose patterns do not give exactly their files list the tree.
    let intended: Vec<Option<String>> =
        want.iter().map(|w| teams.iter().find(|(s, _)| s == w).map(|(_, t)| t.name.clone())).collect();
    let from_tree = |t: &mut DraftTeam| {
        let owned: Vec<bool> = intended.iter().map(|i| i.as_deref() == Some(t.name.as_str())).collect();
        (t.paths, t.exclude) = tree_rules(listing, &owned);
        t.from_patterns = false;
    };
    for t in draft.teams.iter_mut().filter(|t| !t.from_patterns) {
        from_tree(t);
    }
    let wrong = if draft.teams.iter().any(|t| t.from_patterns) {
        wrong_teams(repo, &draft, listing, &intended)?
    } else {
        BTreeSet::new()
    };
    for t in draft.teams.iter_mut().filter(|t| wrong.contains(&t.name)) {
        from_tree(t);
    }
    if let Some(e) = mismatch(repo, &draft, listing, &intended, &shared_intended)? {
        return Err(e);
    }
    Ok(draft)
}

/// One draft team per distinct set of owners, named after its handles,
/// with the set it stands for.
fn teams_of_owner_sets(sets: BTreeSet<&Vec<String>>, want: &[Vec<String>]) -> Vec<(Vec<String>, DraftTeam)> {
    let mut used_names = BTreeSet::new();
    let mut teams = Vec::new();
    for set in sets {
        let base = set.iter().map(|h| handle_name(h)).collect::<Vec<_>>().join("-");
        let name = unique_name(&sanitize(&base), &mut used_names);
        let files = want.iter().filter(|w| *w == set).count();
        teams.push((
            set.clone(),
            DraftTeam {
                name,
                description: format!("From CODEOWNERS: {}", set.join(" ")),
                owners: set.clone(),
                packages: Vec::new(),
                paths: Vec::new(),
                exclude: Vec::new(),
                from_patterns: false,
                files,
            },
        ));
    }
    teams
}

/// Gives each team the CODEOWNERS lines of its owners as `paths`, and the
/// later lines of other owners that take files from them as `exclude`,
/// where every one of those lines translates to a manifest pattern.
fn rules_as_patterns(co: &CodeOwners, paths: &[String], teams: &mut [(Vec<String>, DraftTeam)]) {
    // Pairs of lines (earlier, later) that match a file in common.
    let mut together: BTreeSet<(usize, usize)> = BTreeSet::new();
    for p in paths {
        let m = co.matching_rules(p);
        for (k, &i) in m.iter().enumerate() {
            for &j in &m[k + 1..] {
                together.insert((i, j));
            }
        }
    }
    for (set, team) in teams {
        let mut paths_out = Vec::new();
        let mut exclude = Vec::new();
        let mut ok = true;
        for (i, rule) in co.rules.iter().enumerate() {
            if rule.owners != *set {
                continue;
            }
            let Some(p) = translate(&rule.pattern) else {
                ok = false;
                break;
            };
            push_unique(&mut paths_out, p);
            // Later lines with other owners that take files from this one.
            for (j, later) in co.rules.iter().enumerate().skip(i + 1) {
                if later.owners == *set || !together.contains(&(i, j)) {
                    continue;
                }
                match translate(&later.pattern) {
                    Some(x) => push_unique(&mut exclude, x),
                    None => ok = false,
                }
            }
        }
        if ok && !paths_out.is_empty() {
            team.paths = paths_out;
            team.exclude = exclude;
            team.from_patterns = true;
        }
    }
}

/// Drafts one team per top-level directory; top-level files and
/// directories whose names start with `.` (`.github`, ...) are shared.
pub fn from_top_level(repo: &Repo, listing: &TreeListing) -> Result<Draft, InitError> {
    let mut dirs: BTreeMap<String, usize> = BTreeMap::new();
    let mut shared = BTreeSet::new();
    // Names are kept as escaped globs: a byte that is not UTF-8 (which YAML
    // cannot carry) becomes `?`, which matches it.
    for f in &listing.files {
        let path = glob_of(&f.path);
        match path.split_once('/') {
            Some((top, _)) if !top.starts_with('.') => *dirs.entry(top.to_string()).or_default() += 1,
            Some((top, _)) => {
                shared.insert(format!("{top}/"));
            }
            None => {
                shared.insert(path);
            }
        }
    }
    if dirs.is_empty() {
        return Err(InitError::NothingToOwn("the tree has no top-level directory to make a team of".into()));
    }
    let mut used = BTreeSet::new();
    let names: BTreeMap<String, String> =
        dirs.keys().map(|d| (d.clone(), unique_name(&sanitize(d), &mut used))).collect();
    let mut teams: Vec<DraftTeam> = dirs
        .into_iter()
        .map(|(dir, files)| DraftTeam::of_dir(names[&dir].clone(), format!("Owns {dir}/"), &dir, files))
        .collect();
    teams.sort_by(|a, b| a.name.cmp(&b.name));
    let draft = Draft { teams, shared: shared.into_iter().collect(), unowned: Vec::new() };
    let intended: Vec<Option<String>> = listing
        .files
        .iter()
        .map(|f| match glob_of(&f.path).split_once('/') {
            Some((top, _)) => names.get(top).cloned(),
            None => None,
        })
        .collect();
    if let Some(e) = mismatch(repo, &draft, listing, &intended, &|p| top_level_shared(p))? {
        return Err(e);
    }
    Ok(draft)
}

/// The manifest text of a draft; `header` lines become leading comments.
pub fn render(draft: &Draft, refs: &[String], header: &[String]) -> String {
    let q = |s: &str| serde_json::to_string(s).expect("a string serialises");
    let list = |v: &[String]| v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ");
    let mut out = String::new();
    for h in header {
        out.push_str(&format!("# {h}\n").replace("# \n", "#\n"));
    }
    out.push_str("version: 1\n");
    if !refs.is_empty() {
        out.push_str(&format!("monolith:\n  refs: [{}]\n", list(refs)));
    }
    if !draft.shared.is_empty() {
        out.push_str("shared:\n  paths:\n");
        for p in &draft.shared {
            out.push_str(&format!("    - {}\n", q(p)));
        }
    }
    out.push_str("teams:\n");
    for t in &draft.teams {
        out.push_str(&format!("  {}:\n", q(&t.name)));
        out.push_str(&format!("    description: {}\n", q(&t.description)));
        if t.owners.is_empty() {
            out.push_str("    # owners: [\"@org/team\"]   # handles for `git split codeowners`\n");
        } else {
            out.push_str(&format!("    owners: [{}]\n", list(&t.owners)));
        }
        if !t.packages.is_empty() {
            out.push_str("    packages:\n");
            for p in &t.packages {
                out.push_str(&format!("      - {}\n", q(p)));
            }
        }
        if !t.paths.is_empty() {
            out.push_str("    paths:\n");
            for p in &t.paths {
                out.push_str(&format!("      - {}\n", q(p)));
            }
        }
        if !t.exclude.is_empty() {
            out.push_str("    exclude:\n");
            for p in &t.exclude {
                out.push_str(&format!("      - {}\n", q(p)));
            }
        }
    }
    // A draft passes its own first check: with files left unowned, the
    // policy warns about them until someone gives them an owner.
    if draft.unowned.is_empty() {
        out.push_str("policy:\n  unowned: error   # a file no team owns fails `git split check`\n");
    } else {
        out.push_str(&format!(
            "policy:\n  unowned: warn    # {} a team, then make this `error`\n",
            if draft.unowned.len() == 1 {
                "1 file is left unowned: give it".to_string()
            } else {
                format!("{} files are left unowned: give them", draft.unowned.len())
            }
        ));
    }
    out.push_str("  overlap: error   # a file two teams own fails `git split check`\n");
    out
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

/// A GitHub CODEOWNERS pattern as a manifest pattern, when the manifest's
/// rules read it the same way (the result is verified against the tree
/// anyway). `None` for GitHub's non-recursive `dir/*`.
pub fn translate(pattern: &str) -> Option<String> {
    let body = pattern.strip_suffix('/').unwrap_or(pattern);
    let anchored = body.starts_with('/') || body.trim_start_matches('/').contains('/');
    let body = body.trim_start_matches('/');
    if body.is_empty() || body.rsplit('/').next() == Some("*") && body.contains('/') {
        return None;
    }
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let n = chars.next()?;
                if matches!(n, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
                    out.push('\\');
                }
                out.push(n);
            }
            // Literal in GitHub CODEOWNERS, special in manifest globs.
            '[' | ']' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    let out = if anchored { out } else { format!("**/{out}") };
    crate::pattern::Pattern::new(&out).ok().map(|_| out)
}

/// A handle as a team name: `@org/team-a` → `team-a`, `@user` → `user`,
/// `dev@example.com` → `dev`.
fn handle_name(handle: &str) -> String {
    let h = handle.trim_start_matches('@');
    let h = h.rsplit('/').next().unwrap_or(h);
    h.split('@').next().unwrap_or(h).to_string()
}

/// A valid manifest team name close to `s`.
fn sanitize(s: &str) -> String {
    let mut n: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' })
        .collect();
    n = n.trim_start_matches(['.', '-']).to_string();
    loop {
        let before = n.len();
        for suffix in [".git", ".lock"] {
            if let Some(s) = n.strip_suffix(suffix) {
                n = s.to_string();
            }
        }
        n = n.trim_end_matches('.').to_string();
        if n.len() == before {
            break;
        }
    }
    n.truncate(90);
    if n.is_empty() {
        "team".to_string()
    } else {
        n
    }
}

fn unique_name(base: &str, used: &mut BTreeSet<String>) -> String {
    let mut name = base.to_string();
    let mut k = 2;
    while used.contains(&name) {
        name = format!("{base}-{k}");
        k += 1;
    }
    used.insert(name.clone());
    name
}

/// A literal path as a manifest pattern.
/// A path as a pattern matching exactly it: glob characters escaped, each
/// byte that is not UTF-8 written `?` (patterns match raw bytes).
fn glob_of(path: &[u8]) -> String {
    let mut out = String::new();
    for chunk in path.utf8_chunks() {
        out.push_str(&escape(chunk.valid()));
        out.extend(std::iter::repeat_n('?', chunk.invalid().len()));
    }
    out
}

fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A directory of a listing, for [`tree_rules`].
#[derive(Default)]
struct Dir {
    dirs: BTreeMap<String, Dir>,
    /// (name, owned)
    files: Vec<(String, bool)>,
    owned: usize,
    total: usize,
}

impl Dir {
    fn of(listing: &TreeListing, owned: &[bool]) -> Dir {
        let mut root = Dir::default();
        for (f, &o) in listing.files.iter().zip(owned) {
            let path = String::from_utf8_lossy(&f.path).into_owned();
            let mut parts: Vec<&str> = path.split('/').collect();
            let name = parts.pop().expect("a path has a name").to_string();
            let mut d = &mut root;
            d.total += 1;
            d.owned += usize::from(o);
            for p in parts {
                d = d.dirs.entry(p.to_string()).or_default();
                d.total += 1;
                d.owned += usize::from(o);
            }
            d.files.push((name, o));
        }
        root
    }

    /// Fewest patterns that exclude exactly the files not owned below here.
    fn out_cost(&self) -> usize {
        if self.owned == self.total {
            0
        } else if self.owned == 0 {
            1
        } else {
            self.inner_out_cost()
        }
    }

    fn inner_out_cost(&self) -> usize {
        self.files.iter().filter(|(_, o)| !o).count() + self.dirs.values().map(Dir::out_cost).sum::<usize>()
    }

    /// Fewest patterns (paths and excludes) that own exactly the owned files below here.
    fn in_cost(&self) -> usize {
        if self.owned == 0 {
            return 0;
        }
        let whole = 1 + self.inner_out_cost();
        let parts = self.files.iter().filter(|(_, o)| *o).count()
            + self.dirs.values().map(Dir::in_cost).sum::<usize>();
        whole.min(parts)
    }

    fn emit_in(&self, prefix: &str, paths: &mut Vec<String>, exclude: &mut Vec<String>) {
        if self.owned == 0 {
            return;
        }
        let parts = self.files.iter().filter(|(_, o)| *o).count()
            + self.dirs.values().map(Dir::in_cost).sum::<usize>();
        // On a tie the whole directory: it also covers files added later.
        if self.inner_out_cost() < parts {
            paths.push(if prefix.is_empty() { "**".to_string() } else { format!("{prefix}/") });
            self.emit_out(prefix, exclude);
            return;
        }
        for (name, o) in &self.files {
            if *o {
                paths.push(join(prefix, name));
            }
        }
        for (name, d) in &self.dirs {
            d.emit_in(&join(prefix, name), paths, exclude);
        }
    }

    fn emit_out(&self, prefix: &str, exclude: &mut Vec<String>) {
        for (name, o) in &self.files {
            if !o {
                exclude.push(join(prefix, name));
            }
        }
        for (name, d) in &self.dirs {
            let p = join(prefix, name);
            if d.owned == 0 {
                exclude.push(format!("{p}/"));
            } else if d.owned < d.total {
                d.emit_out(&p, exclude);
            }
        }
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        escape(name)
    } else {
        format!("{prefix}/{}", escape(name))
    }
}

/// Paths and excludes, read off the tree, that give a team exactly the
/// files marked `owned`: the fewest patterns, a directory with the few
/// files it does not own excluded where that is shorter than listing.
fn tree_rules(listing: &TreeListing, owned: &[bool]) -> (Vec<String>, Vec<String>) {
    let root = Dir::of(listing, owned);
    let (mut paths, mut exclude) = (Vec::new(), Vec::new());
    root.emit_in("", &mut paths, &mut exclude);
    (paths, exclude)
}

/// Loads the draft as a manifest and returns the teams that do not own
/// exactly their intended files.
fn wrong_teams(
    repo: &Repo,
    draft: &Draft,
    listing: &TreeListing,
    intended: &[Option<String>],
) -> Result<BTreeSet<String>, InitError> {
    let (manifest, own) = compile(repo, draft, listing)?;
    let assignment = own.assign(listing);
    let mut wrong = BTreeSet::new();
    for (o, want) in assignment.owners.iter().zip(intended) {
        let got: Vec<&str> = o.teams.iter().map(|&t| manifest.teams[t as usize].name.as_str()).collect();
        if got != want.iter().map(|s| s.as_str()).collect::<Vec<_>>() {
            wrong.extend(got.iter().map(|s| s.to_string()));
            wrong.extend(want.iter().cloned());
        }
    }
    Ok(wrong)
}

fn mismatch(
    repo: &Repo,
    draft: &Draft,
    listing: &TreeListing,
    intended: &[Option<String>],
    shared: &dyn Fn(&[u8]) -> bool,
) -> Result<Option<InitError>, InitError> {
    let (manifest, own) = compile(repo, draft, listing)?;
    let assignment = own.assign(listing);
    for ((f, o), want) in listing.files.iter().zip(&assignment.owners).zip(intended) {
        let got: Vec<String> = o.teams.iter().map(|&t| manifest.teams[t as usize].name.clone()).collect();
        let want: Vec<String> = want.iter().cloned().collect();
        if got != want || (want.is_empty() && o.shared != shared(&f.path)) {
            return Ok(Some(InitError::Mismatch {
                path: String::from_utf8_lossy(&f.path).into_owned(),
                got,
                want,
            }));
        }
    }
    Ok(None)
}

/// In a top-level draft, top-level files and dot-directories are shared.
fn top_level_shared(path: &[u8]) -> bool {
    match path.iter().position(|&b| b == b'/') {
        Some(i) => path[0] == b'.' && i > 0,
        None => true,
    }
}

fn compile(repo: &Repo, draft: &Draft, listing: &TreeListing) -> Result<(Manifest, Ownership), InitError> {
    let text = render(draft, &[], &[]);
    let manifest = Manifest::from_bytes(Path::new("ownership.yaml"), text.as_bytes())?;
    let own = Ownership::new(&manifest, &TreeFiles::new(repo, listing))?;
    Ok((manifest, own))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translation_table() {
        // (GitHub CODEOWNERS pattern, manifest pattern)
        let cases: &[(&str, Option<&str>)] = &[
            ("/docs/", Some("docs")),
            ("/docs", Some("docs")),
            ("docs/", Some("**/docs")),
            ("docs", Some("**/docs")),
            ("*.md", Some("**/*.md")),
            ("/*.md", Some("*.md")),
            ("docs/api", Some("docs/api")),
            ("**/logs", Some("**/logs")),
            ("/a/**/b", Some("a/**/b")),
            ("/a\\ b/", Some("a b")),
            ("/x[1]", Some("x\\[1\\]")),
            ("/x{a}", Some("x\\{a\\}")),
            ("/e\\*", Some("e\\*")),
            // GitHub's non-recursive `dir/*` has no manifest equivalent.
            ("docs/*", None),
            ("/*", Some("*")),
            ("a**", None),
        ];
        for (pattern, want) in cases {
            assert_eq!(translate(pattern).as_deref(), *want, "{pattern}");
        }
    }

    #[test]
    fn names_from_handles_and_directories() {
        for (handle, name) in
            [("@org/team-a", "team-a"), ("@user", "user"), ("dev@corp.io", "dev"), ("@a/b/c", "c")]
        {
            assert_eq!(handle_name(handle), name);
        }
        for (raw, name) in [
            ("web", "web"),
            ("my dir", "my-dir"),
            (".hidden", "hidden"),
            ("-x", "x"),
            ("repo.git", "repo"),
            ("x.lock.git", "x"),
            ("a.", "a"),
            ("é", "team"),
            ("", "team"),
        ] {
            assert_eq!(sanitize(raw), name, "{raw:?}");
        }
        let mut used = BTreeSet::new();
        assert_eq!(unique_name("a", &mut used), "a");
        assert_eq!(unique_name("a", &mut used), "a-2");
        assert_eq!(unique_name("a", &mut used), "a-3");
    }
}
