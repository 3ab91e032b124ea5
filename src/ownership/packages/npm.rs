//! npm: `package.json` top-level `name`; workspaces from `package.json`
//! `workspaces` (npm, Yarn) and `pnpm-workspace.yaml` `packages` (pnpm).

use std::collections::BTreeMap;

use super::table::{
    exact, utf8, Boundaries, Declared, Entry, IsMember, ManifestKind, Parsed, Table, Workspace,
    WorkspaceRules,
};
use super::workspace_glob::{names, Glob, TrailingGlobstar, MAX_DECLARED_SEGMENTS};
use super::{FileSource, ReadError};

/// How npm packages are found.
pub(super) const KIND: ManifestKind = ManifestKind {
    file_names: &["package.json"],
    skip_component: Some("node_modules"),
    // What a workspace tool treats as a package of its own is a workspace
    // root or member; any other package.json (a template, a test fixture, a
    // `{"type": "module"}` marker) is a file of the package around it, which
    // `npm pack` ships.
    boundaries: Boundaries::Workspaces(&RULES),
    parse,
    normalize: exact,
    link: super::table::unlinked,
};

/// pnpm's workspace declaration, found by its name.
const PNPM_WORKSPACE: &str = "pnpm-workspace.yaml";

const RULES: WorkspaceRules = WorkspaceRules { files: &[PNPM_WORKSPACE], read };

/// Which tool's declaration makes a directory a workspace root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkspaceTool {
    /// `package.json` `workspaces`, read by npm and Yarn.
    Npm,
    /// `pnpm-workspace.yaml`.
    Pnpm,
}

/// One workspace of the tree and the members its declaration selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpmWorkspace {
    /// The workspace root; `b""` is the tree root.
    pub root: Vec<u8>,
    /// The tool whose declaration this is.
    pub tool: WorkspaceTool,
    /// The member directories, sorted (never the root itself).
    pub members: Vec<Vec<u8>>,
}

/// The npm packages of one tree, as the `npm:` selectors see them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NpmPackages {
    /// Every workspace declared in the tree, nested ones too, in the order
    /// of the files declaring them.
    pub workspaces: Vec<NpmWorkspace>,
    /// The `name` of every `package.json` outside `node_modules` that has
    /// one, by directory.
    pub names: BTreeMap<Vec<u8>, String>,
}

/// Reads the npm packages and workspaces of a tree, exactly as the `npm:`
/// selectors resolve them.
pub fn npm_packages(files: &dyn FileSource) -> Result<NpmPackages, ReadError> {
    let table = Table::build(files, &KIND)?;
    let workspaces = table
        .workspaces()
        .iter()
        .map(|m| {
            let file = m.file.rsplit(|&b| b == b'/').next().unwrap_or(&m.file);
            let tool =
                if file == PNPM_WORKSPACE.as_bytes() { WorkspaceTool::Pnpm } else { WorkspaceTool::Npm };
            let mut members = m.members.clone();
            members.sort();
            NpmWorkspace { root: m.root.clone(), tool, members }
        })
        .collect();
    let names =
        table.entries().iter().filter_map(|e| Some((e.dir.clone(), e.keys.first()?.clone()))).collect();
    Ok(NpmPackages { workspaces, names })
}

fn parse(dir: &[u8], text: &[u8]) -> Parsed {
    read(b"package.json", dir, text).map(|(entries, _)| entries)
}

/// Reads a `package.json` (its name and `workspaces`) or a `pnpm-workspace.yaml`.
fn read(file: &[u8], dir: &[u8], text: &[u8]) -> Declared {
    // The file makes its directory a workspace root (pnpm looks for it by
    // name) even when its members cannot be read.
    if file == PNPM_WORKSPACE.as_bytes() {
        return Ok((Vec::new(), Some(workspace(dir, utf8(text).and_then(pnpm_members)))));
    }
    let top = json_object(text)?;
    let entries = name_entry(&top, dir)?;
    let declared =
        top.get("workspaces").map(|w| workspace(dir, workspace_patterns(w).and_then(|p| npm_members(&p))));
    Ok((entries, declared))
}

/// The workspace rooted at `dir`, from its members' test and that test's cost.
fn workspace(dir: &[u8], members: Result<(IsMember, usize), String>) -> Workspace {
    match members {
        Ok((members, cost)) => Workspace { dir: dir.to_vec(), members: Ok(members), cost },
        Err(reason) => Workspace { dir: dir.to_vec(), members: Err(reason), cost: 0 },
    }
}

/// The top-level string `name` of a JSON manifest (npm and Composer share the shape).
pub(super) fn json_name(dir: &[u8], text: &[u8]) -> Parsed {
    name_entry(&json_object(text)?, dir)
}

fn json_object(text: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let value: serde_json::Value =
        serde_json::from_str(utf8(text)?).map_err(|e| format!("invalid JSON: {e}"))?;
    match value {
        serde_json::Value::Object(top) => Ok(top),
        _ => Err("top level is not a JSON object".into()),
    }
}

fn name_entry(top: &serde_json::Map<String, serde_json::Value>, dir: &[u8]) -> Parsed {
    match top.get("name") {
        None => Ok(Vec::new()),
        Some(serde_json::Value::String(name)) if !name.is_empty() => Ok(vec![Entry::new(name.as_str(), dir)]),
        Some(serde_json::Value::String(_)) => Err("`name` is empty".into()),
        Some(_) => Err("`name` is not a string".into()),
    }
}

/// The patterns of `workspaces`: an array, or Yarn's `{"packages": [...]}`.
fn workspace_patterns(declared: &serde_json::Value) -> Result<Vec<String>, String> {
    let list = match declared {
        serde_json::Value::Object(o) if o.get("packages").is_some_and(|p| p.is_array()) => &o["packages"],
        other => other,
    };
    let Some(list) = list.as_array() else {
        return Err("`workspaces` is neither an array nor an object with a `packages` array".into());
    };
    list.iter()
        .map(|p| p.as_str().map(str::to_string).ok_or_else(|| "`workspaces` holds a non-string".to_string()))
        .collect()
}

/// A pattern's own text as the path minimatch tests against other patterns.
fn as_path(text: &str) -> Vec<&[u8]> {
    text.split('/').map(str::as_bytes).collect()
}

/// One pattern, without the `!`s and the leading `./` or `/` that npm strips.
struct Pattern {
    text: String,
    glob: Glob,
}

/// npm's members (`@npmcli/map-workspaces`): a later pattern cancels every
/// earlier negation that matches the pattern's own text, and a remaining
/// negation drops the patterns whose text it matches; then a directory is a
/// member when a pattern matches it (wildcards skip dot names), no negation
/// matches it, with or without a trailing `/` (dot names included), and it
/// is not in `node_modules`. Yarn reads the same field with the same globs.
fn npm_members(patterns: &[String]) -> Result<(IsMember, usize), String> {
    let mut positive: Vec<Pattern> = Vec::new();
    let mut negative: Vec<Pattern> = Vec::new();
    let mut budget = MAX_DECLARED_SEGMENTS;
    for raw in patterns {
        let bangs = raw.len() - raw.trim_start_matches('!').len();
        let rest = &raw[bangs..];
        let rest = rest.strip_prefix('.').filter(|r| r.starts_with('/')).unwrap_or(rest);
        let text = rest.trim_start_matches('/').to_string();
        if bangs % 2 == 1 {
            negative.push(Pattern { glob: Glob::new(&text, &mut budget)?, text });
        } else {
            let path = as_path(&text);
            negative.retain(|n| !n.glob.matches(&path, false, TrailingGlobstar::OneOrMore));
            // `glob` reads `dir/` as the directory `dir`.
            positive.push(Pattern { glob: Glob::new(text.trim_end_matches('/'), &mut budget)?, text });
        }
    }
    positive.retain(|p| {
        let path = as_path(&p.text);
        !negative.iter().any(|n| n.glob.matches(&path, false, TrailingGlobstar::OneOrMore))
    });
    let cost = MAX_DECLARED_SEGMENTS - budget;
    let members: IsMember = Box::new(move |dir: &[u8]| {
        let path = names(dir);
        let mut with_slash = path.clone();
        with_slash.push(b"");
        !path.contains(&b"node_modules".as_slice())
            && positive.iter().any(|p| p.glob.matches(&path, false, TrailingGlobstar::ZeroOrMore))
            && !negative.iter().any(|n| {
                n.glob.matches(&path, true, TrailingGlobstar::OneOrMore)
                    || n.glob.matches(&with_slash, true, TrailingGlobstar::OneOrMore)
            })
    });
    Ok((members, cost))
}

/// pnpm's members: `packages` globs (wildcards skip dot names), minus the
/// `!` ones (dot names included), whatever their order; never inside
/// `node_modules` or `bower_components`. Without `packages`, the root alone.
fn pnpm_members(text: &str) -> Result<(IsMember, usize), String> {
    #[derive(serde::Deserialize)]
    struct PnpmWorkspace {
        packages: Option<Vec<String>>,
    }
    let doc: Option<PnpmWorkspace> = serde_saphyr::from_str_with_options(text, yaml_options())
        .map_err(|e| format!("invalid YAML: {}", super::table::one_line(&e)))?;
    let mut positive = Vec::new();
    let mut negative = Vec::new();
    let mut budget = MAX_DECLARED_SEGMENTS;
    for raw in doc.and_then(|d| d.packages).unwrap_or_default() {
        let (list, pattern) = match raw.strip_prefix('!') {
            Some(p) => (&mut negative, p),
            None => (&mut positive, raw.as_str()),
        };
        let mut pattern = pattern.trim_start_matches('/');
        while let Some(p) = pattern.strip_prefix("./") {
            pattern = p;
        }
        list.push(Glob::new(pattern.trim_end_matches('/'), &mut budget)?);
    }
    let cost = MAX_DECLARED_SEGMENTS - budget;
    let members: IsMember = Box::new(move |dir: &[u8]| {
        let path = names(dir);
        !path.iter().any(|n| *n == b"node_modules" || *n == b"bower_components")
            && positive.iter().any(|g| g.matches(&path, false, TrailingGlobstar::ZeroOrMore))
            && !negative.iter().any(|g| g.matches(&path, true, TrailingGlobstar::ZeroOrMore))
    });
    Ok((members, cost))
}

/// A pnpm-workspace.yaml is a short list: refuse alias bombs, deep nesting
/// and node floods while parsing.
fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = 32;
    budget.flow_nesting_limit = 32;
    budget.max_documents = 1;
    budget.max_nodes = 100_000;
    budget.max_events = 200_000;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = 100_000;
    options.with_snippet = false;
    options
}
