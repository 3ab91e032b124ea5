//! `ownership.yaml`: YAML -> raw serde structs -> validated model.
//!
//! Everything that can be wrong with a manifest is found here, before any git
//! object is read: syntax, unknown keys, bad globs, bad team names. Errors
//! carry `file:line:col`.

mod keys;
mod package;
mod raw;
mod remote;
mod tags;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

pub use package::{PackageKind, PackageSpec};
pub use remote::{mask_userinfo, RemoteTemplate, TEAM_PLACEHOLDER};
pub use tags::{version_order, TagGlob, Tags, MAX_GLOB_STARS};

use crate::pattern::{shown, Pattern, PatternError};

/// The only manifest version this build understands.
pub const VERSION: u32 = 1;

/// Larger manifests are refused before parsing; a real one is a few KiB.
pub const MAX_MANIFEST_BYTES: usize = 8 << 20;

/// YAML nesting deeper than this is refused while parsing (a manifest needs 4).
pub const MAX_DEPTH: usize = 16;

/// More YAML nodes than this is refused while parsing (each team is a few).
pub const MAX_NODES: usize = 1_000_000;

/// More teams than this is refused: each is a repository written in one run.
pub const MAX_TEAMS: usize = 10_000;

/// A line and column in the manifest (1-based).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub col: u64,
}

impl Loc {
    fn of<T>(s: &Spanned<T>) -> Loc {
        Loc { line: s.referenced.line(), col: s.referenced.column() }
    }
}

/// A value and where the manifest says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub loc: Loc,
}

/// How a policy judges a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The finding fails `check`.
    Error,
    /// The finding is reported but passes.
    Warn,
    /// The finding is not reported.
    Allow,
}

/// Commit-id compatibility with an existing split pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compat {
    /// `git subtree split --prefix=ROOT`.
    Subtree,
    /// splitsh-lite `--git="<1.8.2"`.
    SplitshLegacy,
    /// splitsh-lite's default mode, `--git=latest`.
    Splitsh,
}

/// Paths and packages that select files, minus exclusions.
#[derive(Clone, Debug, Default)]
pub struct Rule {
    /// Path patterns.
    pub paths: Vec<Located<Pattern>>,
    /// Package references, resolved against a tree later.
    pub packages: Vec<Located<PackageSpec>>,
    /// Patterns that win over `paths` and `packages`.
    pub exclude: Vec<Located<Pattern>>,
}

impl Rule {
    /// True when the rule selects nothing by construction.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.packages.is_empty()
    }
}

/// One purpose team.
#[derive(Clone, Debug)]
pub struct Team {
    /// The team name (also its repository directory name).
    pub name: String,
    /// Where the team is defined.
    pub loc: Loc,
    /// Free text.
    pub description: Option<String>,
    /// Handles for CODEOWNERS (`@org/team`, `user@example.com`).
    pub owners: Vec<String>,
    /// What the team owns.
    pub rule: Rule,
    /// A directory hoisted to the root of the team repository.
    pub root: Option<String>,
    /// Commit-id compatibility mode.
    pub compat: Option<Compat>,
    /// The teams whose files this team's code may reference (`depends_on`);
    /// `None` when not declared: then any.
    pub depends_on: Option<Vec<Located<String>>>,
    /// Where `push` sends the team's repository, overriding `publish.remote`.
    pub remote: Option<Located<RemoteTemplate>>,
    /// Which monolith tags the team's repository gets, and their names.
    pub tags: Tags,
    /// `history: {follow_renames}`, the team's or the manifest's: keep a
    /// moved-in file's earlier paths and their commits.
    pub follow_renames: bool,
}

/// What `check` and `plan` make of unowned and overlapping files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// A file no team owns.
    pub unowned: Level,
    /// A file two or more teams own.
    pub overlap: Level,
    /// A reference from a team's file into a team outside its `depends_on`.
    pub dependencies: Level,
}

/// A validated manifest.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// Where it was read from, as given (used in messages).
    pub path: PathBuf,
    /// Branches and tags to split (globs allowed); empty means HEAD.
    pub refs: Vec<Located<String>>,
    /// Kept in every team repository.
    pub shared: Rule,
    /// Teams, sorted by name.
    pub teams: Vec<Team>,
    /// Whether rewritten commits get a `Split-Source` trailer.
    pub labels: bool,
    /// Finding levels.
    pub policy: Policy,
    /// `publish.remote`: where `push` sends each team's repository.
    pub remote: Option<Located<RemoteTemplate>>,
}

impl Manifest {
    /// Reads and validates a manifest file.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        Manifest::from_bytes(path, &Manifest::read(path)?)
    }

    /// Reads a manifest file's bytes, at most one byte more than
    /// [`MAX_MANIFEST_BYTES`] (enough for [`Manifest::from_bytes`] to refuse
    /// it): `--manifest /dev/zero` or a huge file cannot exhaust memory.
    pub fn read(path: &Path) -> Result<Vec<u8>, ManifestError> {
        use std::io::Read as _;
        let err = |e: std::io::Error| ManifestError {
            file: path.to_path_buf(),
            loc: None,
            kind: ErrorKind::Read(e.to_string()),
        };
        let file = std::fs::File::open(path).map_err(err)?;
        let mut bytes = Vec::new();
        file.take(MAX_MANIFEST_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(err)?;
        Ok(bytes)
    }

    /// Validates manifest text; `path` is only used in messages.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let err = |loc: Option<Loc>, kind| ManifestError { file: path.to_path_buf(), loc, kind };
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(err(None, ErrorKind::TooLarge(bytes.len())));
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|e| err(Some(loc_of_offset(bytes, e.valid_up_to())), ErrorKind::NotUtf8))?;
        if let Some(r) = keys::first_repeat(text, yaml_options()) {
            let msg =
                format!("duplicate key `{}` (first at line {}, column {})", r.key, r.first.line, r.first.col);
            return Err(err(Some(r.again), ErrorKind::Yaml(msg)));
        }
        let raw: raw::RawManifest =
            serde_saphyr::from_str_with_options(text, yaml_options()).map_err(|e| {
                let loc = e.location().map(|l| Loc { line: l.line(), col: l.column() });
                let mut msg = e.render_with_formatter(&serde_saphyr::UserMessageFormatter);
                if let Some(l) = loc {
                    // The crate appends the position; we lead with it instead.
                    let suffix = format!(" at line {}, column {}", l.line, l.col);
                    if let Some(stripped) = msg.strip_suffix(&suffix) {
                        msg = stripped.to_string();
                    }
                }
                err(loc.filter(|l| l.line > 0), ErrorKind::Yaml(msg))
            })?;
        validate(path, raw)
    }

    /// The team with this name.
    pub fn team(&self, name: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.name == name)
    }

    /// The remote `push` sends a team to: its own `remote`, else
    /// `publish.remote`, with `{team}` expanded. `None` when neither is set.
    pub fn remote_of(&self, team: &Team) -> Option<String> {
        team.remote.as_ref().or(self.remote.as_ref()).map(|r| r.value.expand(&team.name))
    }
}

/// The YAML budget, set explicitly rather than trusting the crate's
/// defaults: a manifest is a few levels deep (top, `teams`, a team, a list),
/// so anything deeper, any alias bomb or any node flood is refused while
/// parsing, before memory grows with it.
fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_documents = 1;
    budget.max_nodes = MAX_NODES;
    budget.max_events = 2 * MAX_NODES;
    budget.max_total_scalar_bytes = MAX_MANIFEST_BYTES;
    budget.max_anchors = 10_000;
    budget.max_aliases = 10_000;
    budget.max_merge_keys = 10_000;
    budget.max_recorded_anchor_events = MAX_NODES;
    budget.max_recorded_anchor_bytes = MAX_MANIFEST_BYTES;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = MAX_NODES;
    options.alias_limits.max_replay_stack_depth = MAX_DEPTH;
    options.duplicate_keys = serde_saphyr::options::DuplicateKeyPolicy::Error;
    options.with_snippet = false;
    options
}

fn loc_of_offset(bytes: &[u8], offset: usize) -> Loc {
    // Lines break where YAML breaks them (`\n`, `\r\n`, a lone `\r`), so
    // this agrees with the parser's positions for the other errors.
    let mut line = 1;
    let mut line_start = 0;
    for (i, &b) in bytes[..offset].iter().enumerate() {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            line += 1;
            line_start = i + 1;
        }
    }
    let col = String::from_utf8_lossy(&bytes[line_start..offset]).chars().count() as u64 + 1;
    Loc { line, col }
}

fn validate(path: &Path, raw: raw::RawManifest) -> Result<Manifest, ManifestError> {
    let err = |loc: Loc, kind| ManifestError { file: path.to_path_buf(), loc: Some(loc), kind };
    if raw.version.value != VERSION {
        return Err(err(Loc::of(&raw.version), ErrorKind::UnsupportedVersion(raw.version.value)));
    }
    let refs = monolith_refs(path, raw.monolith)?;
    let shared = match raw.shared {
        Some(r) => rule(path, r.paths, r.packages, r.exclude)?,
        None => Rule::default(),
    };
    let defaults = Defaults {
        tags: tags::TagKeys::check(path, raw.tags)?,
        follow_renames: raw
            .history
            .as_ref()
            .and_then(|h| h.follow_renames.as_ref())
            .map(|f| (Loc::of(f), f.value)),
    };
    if raw.teams.value.is_empty() {
        return Err(err(Loc::of(&raw.teams), ErrorKind::NoTeams));
    }
    if raw.teams.value.len() > MAX_TEAMS {
        return Err(err(Loc::of(&raw.teams), ErrorKind::TooManyTeams(raw.teams.value.len())));
    }
    let mut raw_teams: Vec<_> = raw.teams.value.into_iter().collect();
    raw_teams.sort_by(|a, b| a.0.value.cmp(&b.0.value));
    let mut teams: Vec<Team> = Vec::with_capacity(raw_teams.len());
    let mut folded = std::collections::HashMap::new();
    for (name, t) in raw_teams {
        let loc = Loc::of(&name);
        let name = name.value;
        if let Some(reason) = bad_team_name(&name) {
            return Err(err(loc, ErrorKind::BadTeamName { name, reason }));
        }
        // `A` and `a` would be one directory on macOS and Windows.
        if let Some(&i) = folded.get(&name.to_ascii_lowercase()) {
            let other: &Team = &teams[i];
            return Err(err(
                loc,
                ErrorKind::TeamCaseClash { name, other: other.name.clone(), other_loc: other.loc },
            ));
        }
        folded.insert(name.to_ascii_lowercase(), teams.len());
        teams.push(team(path, loc, name, t, &defaults)?);
    }
    check_depends_on(path, &teams)?;
    let policy = raw.policy.map_or(
        Policy { unowned: Level::Error, overlap: Level::Error, dependencies: Level::Allow },
        |p| Policy {
            unowned: p.unowned.unwrap_or(Level::Error),
            overlap: p.overlap.unwrap_or(Level::Error),
            dependencies: p.dependencies.unwrap_or(Level::Allow),
        },
    );
    Ok(Manifest {
        path: path.to_path_buf(),
        refs,
        shared,
        teams,
        labels: raw.history.is_none_or(|h| h.labels),
        policy,
        remote: raw.publish.and_then(|p| p.remote).map(|r| remote_template(path, r)).transpose()?,
    })
}

/// What a team takes from the top level unless it sets its own.
struct Defaults {
    /// The top-level `tags:` keys.
    tags: tags::TagKeys,
    /// The top-level `history: {follow_renames}`, where it is.
    follow_renames: Option<(Loc, bool)>,
}

/// `monolith: {refs}`, each non-empty.
fn monolith_refs(path: &Path, raw: Option<raw::RawMonolith>) -> Result<Vec<Located<String>>, ManifestError> {
    let refs = raw.map(|m| m.refs).unwrap_or_default();
    refs.into_iter()
        .map(|r| {
            let loc = Loc::of(&r);
            if r.value.trim().is_empty() {
                Err(ManifestError { file: path.to_path_buf(), loc: Some(loc), kind: ErrorKind::EmptyRef })
            } else {
                Ok(Located { loc, value: r.value })
            }
        })
        .collect()
}

/// Team `name`, declared at `loc`, checked; its unset keys from `defaults`.
fn team(
    path: &Path,
    loc: Loc,
    name: String,
    t: raw::RawTeam,
    defaults: &Defaults,
) -> Result<Team, ManifestError> {
    let err = |loc: Loc, kind| ManifestError { file: path.to_path_buf(), loc: Some(loc), kind };
    let rule = rule(path, t.paths, t.packages, t.exclude)?;
    if rule.is_empty() {
        return Err(err(loc, ErrorKind::EmptyTeam(name)));
    }
    let root = match t.root {
        Some(r) => Some(
            root_dir(&r.value)
                .map_err(|reason| err(Loc::of(&r), ErrorKind::BadRoot { root: r.value.clone(), reason }))?,
        ),
        None => None,
    };
    let compat = t.compat.map(|c| (Loc::of(&c), c.value));
    if let Some((cloc, c)) = compat {
        let Some(dir) = &root else {
            return Err(err(cloc, ErrorKind::CompatNeedsRoot { team: name, compat: c }));
        };
        if !compat_takes_root_only(&rule, dir) {
            return Err(err(cloc, ErrorKind::CompatPaths { team: name, compat: c, root: dir.clone() }));
        }
    }
    let own_follow = t.history.and_then(|h| h.follow_renames).map(|f| (Loc::of(&f), f.value));
    let follow_renames = match own_follow.or(defaults.follow_renames) {
        Some((floc, true)) if compat.is_some() || root.is_some() => {
            return Err(err(floc, ErrorKind::FollowRefused { team: name, compat: compat.map(|c| c.1) }));
        }
        Some((_, on)) => on,
        None => false,
    };
    let remote = t.remote.map(|r| remote_template(path, r)).transpose()?;
    let tags = tags::TagKeys::for_team(path, &tags::TagKeys::check(path, t.tags)?, &defaults.tags, &name)?;
    let depends_on = t
        .depends_on
        .map(|d| d.value.into_iter().map(|n| Located { loc: Loc::of(&n), value: n.value }).collect());
    Ok(Team {
        name,
        loc,
        description: t.description,
        owners: t.owners.into_iter().map(|o| o.value).collect(),
        rule,
        root,
        compat: compat.map(|c| c.1),
        depends_on,
        remote,
        tags,
        follow_renames,
    })
}

/// Does `rule` select exactly the directory `dir`? A compat split takes
/// the directory as it is: ownership that selects anything else would
/// make plan and verify disagree with it.
fn compat_takes_root_only(rule: &Rule, dir: &str) -> bool {
    let is_dir = |p: &Pattern| {
        let t = p.as_str().trim_start_matches("./").trim_start_matches('/');
        let t = t.strip_suffix("/**").unwrap_or(t).trim_end_matches('/');
        t == dir
    };
    rule.packages.is_empty() && rule.exclude.is_empty() && rule.paths.iter().all(|p| is_dir(&p.value))
}

/// A `remote` or `publish.remote` value, checked; its error points at it.
fn remote_template(path: &Path, r: Spanned<String>) -> Result<Located<RemoteTemplate>, ManifestError> {
    let loc = Loc::of(&r);
    match RemoteTemplate::parse(&r.value) {
        Ok(value) => Ok(Located { value, loc }),
        Err(reason) => Err(ManifestError {
            file: path.to_path_buf(),
            loc: Some(loc),
            kind: ErrorKind::BadRemote { remote: mask_userinfo(&r.value).into_owned(), reason },
        }),
    }
}

/// Every `depends_on` entry names another team, once.
fn check_depends_on(path: &Path, teams: &[Team]) -> Result<(), ManifestError> {
    let err = |loc: Loc, kind| ManifestError { file: path.to_path_buf(), loc: Some(loc), kind };
    let names: Vec<&str> = teams.iter().map(|t| t.name.as_str()).collect();
    for t in teams {
        let mut seen = std::collections::BTreeSet::new();
        for d in t.depends_on.iter().flatten() {
            if d.value == t.name {
                return Err(err(d.loc, ErrorKind::DependsOnItself(t.name.clone())));
            }
            if !names.contains(&d.value.as_str()) {
                let candidates = crate::util::suggest::closest(&d.value, &names);
                return Err(err(d.loc, ErrorKind::DependsOnUnknown { team: d.value.clone(), candidates }));
            }
            if !seen.insert(d.value.as_str()) {
                return Err(err(d.loc, ErrorKind::DependsOnTwice(d.value.clone())));
            }
        }
    }
    Ok(())
}

fn rule(
    path: &Path,
    paths: Vec<Spanned<String>>,
    packages: Vec<Spanned<String>>,
    exclude: Vec<Spanned<String>>,
) -> Result<Rule, ManifestError> {
    let pattern = |s: Spanned<String>| {
        let loc = Loc::of(&s);
        Pattern::new(&s.value).map(|value| Located { value, loc }).map_err(|error| ManifestError {
            file: path.to_path_buf(),
            loc: Some(loc),
            kind: ErrorKind::BadPattern { pattern: s.value.clone(), error },
        })
    };
    let package = |s: Spanned<String>| {
        let loc = Loc::of(&s);
        let spec = PackageSpec::parse(s.value.trim());
        if spec.name.trim().is_empty() {
            return Err(ManifestError {
                file: path.to_path_buf(),
                loc: Some(loc),
                kind: ErrorKind::BadPackage(s.value.clone()),
            });
        }
        Ok(Located { value: spec, loc })
    };
    Ok(Rule {
        paths: paths.into_iter().map(pattern).collect::<Result<_, _>>()?,
        packages: packages.into_iter().map(package).collect::<Result<_, _>>()?,
        exclude: exclude.into_iter().map(pattern).collect::<Result<_, _>>()?,
    })
}

/// Team names become directory names (`<team>.git`) and ref-safe labels.
fn bad_team_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 100 {
        Some("it is longer than 100 characters")
    } else if name.starts_with(['.', '-']) {
        Some("it starts with `.` or `-`")
    } else if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
        Some("only ASCII letters, digits, `-`, `_` and `.` are allowed")
    } else if name.ends_with(".git") || name.ends_with(".lock") || name.ends_with('.') {
        Some("it ends with `.git`, `.lock` or `.`")
    } else if is_windows_reserved(name) {
        Some("it is a reserved device name on Windows (`CON`, `NUL`, `COM1`, ...)")
    } else {
        None
    }
}

/// `<team>.git` cannot be created on Windows when the part before the first
/// `.` is a DOS device name, whatever its case.
fn is_windows_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit())
}

/// `root` must be a plain directory path inside the repository.
fn root_dir(root: &str) -> Result<String, &'static str> {
    let trimmed = root.trim_matches('/');
    if trimmed.is_empty() {
        return Err("it names the repository root");
    }
    if trimmed.contains(['*', '?', '[', ']', '{', '}', '\\']) {
        return Err("it must be a plain directory, not a glob");
    }
    if trimmed.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        return Err("it has an empty, `.` or `..` segment");
    }
    Ok(trimmed.to_string())
}

/// A manifest that cannot be used, and where.
#[derive(Debug, thiserror::Error)]
pub struct ManifestError {
    /// The manifest file as given.
    pub file: PathBuf,
    /// Where in the file, when known.
    pub loc: Option<Loc>,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.loc {
            Some(l) => write!(f, "{}:{}:{}: {}", self.file.display(), l.line, l.col, self.kind),
            None => write!(f, "{}: {}", self.file.display(), self.kind),
        }
    }
}

/// The ways a manifest can be wrong.
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// The file could not be read.
    #[error("cannot read the manifest: {0}")]
    Read(String),
    /// Over [`MAX_MANIFEST_BYTES`] (the bytes read, at least that many).
    #[error("the manifest is larger than 8 MiB: more than that is not a manifest")]
    TooLarge(usize),
    /// Not UTF-8 text.
    #[error("the manifest is not valid UTF-8")]
    NotUtf8,
    /// YAML syntax, unknown key, wrong type, duplicate key, unknown enum value.
    #[error("{}", shown(.0, 500))]
    Yaml(String),
    /// `version` other than 1.
    #[error("unsupported manifest version {0}; this git-split reads version 1")]
    UnsupportedVersion(u32),
    /// `teams: {}`.
    #[error("`teams` is empty: define at least one team")]
    NoTeams,
    /// A team with neither paths nor packages.
    #[error("team `{}` owns nothing: give it `paths` or `packages`", shown(.0, 80))]
    EmptyTeam(String),
    /// A team name that cannot be a directory name.
    #[error("team name `{}` is not allowed: {reason}", shown(name, 80))]
    BadTeamName {
        /// The name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// A pattern that does not compile.
    #[error("bad pattern `{}`: {error}", shown(pattern, 80))]
    BadPattern {
        /// The pattern as written.
        pattern: String,
        /// Why.
        error: PatternError,
    },
    /// `npm:` with no name, or an empty entry.
    #[error("bad package reference `{}`: expected `kind:name` or a bare name", shown(.0, 80))]
    BadPackage(String),
    /// `follow_renames` for a team that cannot keep earlier paths.
    #[error("team `{team}` cannot have `history: {{follow_renames: true}}`: {}", follow_refusal(*.compat))]
    FollowRefused {
        /// The team.
        team: String,
        /// Its compat mode, if that is why.
        compat: Option<Compat>,
    },
    /// An unusable `root`.
    #[error("bad root `{}`: {reason}", shown(root, 80))]
    BadRoot {
        /// As written.
        root: String,
        /// Why.
        reason: &'static str,
    },
    /// `compat` without `root`.
    #[error("team `{team}` has `compat: {}` but no `root`: compat modes split one directory", compat_name(*.compat))]
    CompatNeedsRoot {
        /// The team.
        team: String,
        /// The mode.
        compat: Compat,
    },
    /// A compat team owning something other than its root directory.
    #[error("team `{team}` has `compat: {}`, which splits `{root}` as it is: its only `paths` entry must be `{root}`, with no `packages` or `exclude`", compat_name(*.compat))]
    CompatPaths {
        /// The team.
        team: String,
        /// The mode.
        compat: Compat,
        /// Its root.
        root: String,
    },
    /// Over [`MAX_TEAMS`].
    #[error("{0} teams; more than 10000 is not supported (each is a repository)")]
    TooManyTeams(usize),
    /// Two team names that differ only in case.
    #[error("team name `{name}` differs from `{other}` (line {}, column {}) only in case: they would be one directory on case-insensitive file systems", other_loc.line, other_loc.col)]
    TeamCaseClash {
        /// The later name in sort order.
        name: String,
        /// The other name.
        other: String,
        /// Where the other is defined.
        other_loc: Loc,
    },
    /// An empty entry in `monolith.refs`.
    #[error("empty ref in `monolith.refs`")]
    EmptyRef,
    /// `depends_on` names a team the manifest does not define.
    #[error(
        "`depends_on` names unknown team `{}`{}",
        shown(team, 80),
        crate::util::suggest::did_you_mean(candidates)
    )]
    DependsOnUnknown {
        /// As written.
        team: String,
        /// Close names.
        candidates: Vec<String>,
    },
    /// `depends_on` names the team itself.
    #[error("team `{0}` lists itself in `depends_on`: a team's own files are always allowed")]
    DependsOnItself(String),
    /// `depends_on` names a team twice.
    #[error("`depends_on` names team `{0}` twice")]
    DependsOnTwice(String),
    /// A `tags.select` glob that cannot be used.
    #[error("bad tag glob `{}`: {reason}", shown(glob, 80))]
    BadTagGlob {
        /// As written.
        glob: String,
        /// Why.
        reason: String,
    },
    /// A `tags.prefix` that cannot start tag names.
    #[error("bad tag prefix `{}`: {reason}", shown(prefix, 80))]
    BadTagPrefix {
        /// As written.
        prefix: String,
        /// Why.
        reason: String,
    },
    /// A `remote` or `publish.remote` that is no usable template.
    #[error("bad remote `{}`: {reason}", shown(remote, 200))]
    BadRemote {
        /// As written, credentials masked.
        remote: String,
        /// Why.
        reason: String,
    },
}

/// Why a team refuses `follow_renames`: compat ids are published ids, and a
/// hoisted `root` has no place for a path outside it.
fn follow_refusal(compat: Option<Compat>) -> String {
    match compat {
        Some(c) => format!(
            "`compat: {}` promises the ids that tool publishes, and following renames changes them (set `follow_renames: false` on the team to override a global `true`)",
            compat_name(c)
        ),
        None => "its `root` is hoisted, and a file's earlier paths outside it have no place in the team repository (set `follow_renames: false` on the team to override a global `true`)".to_string(),
    }
}

fn compat_name(c: Compat) -> &'static str {
    match c {
        Compat::Subtree => "subtree",
        Compat::SplitshLegacy => "splitsh-legacy",
        Compat::Splitsh => "splitsh",
    }
}

#[cfg(test)]
mod tests;
