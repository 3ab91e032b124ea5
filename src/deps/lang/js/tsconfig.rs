//! tsconfig.json (and jsconfig.json): `baseUrl` and `paths`, with the
//! `extends` chain applied, in the JSON-with-comments dialect.

use std::collections::HashMap;

use super::super::{join, parent, SourceTree};
use super::lex::find2;

/// How many configuration files one `extends` chain may stack (a cycle or
/// a diamond repeats files).
const MAX_EXTENDS: usize = 32;
/// How deep `extends` may go.
const MAX_EXTENDS_DEPTH: usize = 8;

/// One `compilerOptions.paths` entry: `prefix*suffix` (or an exact
/// `prefix` when not `wildcard`) and its substitutions.
#[derive(Clone, Debug)]
pub(super) struct PathRule {
    prefix: String,
    suffix: String,
    wildcard: bool,
    pub(super) targets: Vec<String>,
}

impl PathRule {
    /// What `*` stands for when `spec` matches.
    fn capture<'s>(&self, spec: &'s str) -> Option<&'s str> {
        if !self.wildcard {
            return (spec == self.prefix).then_some("");
        }
        let rest = spec.strip_prefix(self.prefix.as_str())?;
        rest.strip_suffix(self.suffix.as_str())
    }
}

/// The module options of one tsconfig.json (or jsconfig.json), with its
/// `extends` chain applied.
#[derive(Clone, Debug, Default)]
pub(super) struct Config {
    /// The directory holding the configuration (`${configDir}`).
    pub(super) dir: Vec<u8>,
    /// `baseUrl`, as a tree directory.
    pub(super) base_url: Option<Vec<u8>>,
    /// `paths`, and the directory of the configuration that set them
    /// (their base when there is no `baseUrl`).
    pub(super) paths: Option<(Vec<PathRule>, Vec<u8>)>,
}

/// What one configuration file sets itself, before its `extends`.
#[derive(Clone, Debug, Default)]
pub(super) struct RawConfig {
    base_url: Option<Vec<u8>>,
    paths: Option<Vec<PathRule>>,
    extends: Vec<Vec<u8>>,
}

/// TypeScript's choice among `paths` patterns: an exact one, else the
/// wildcard one with the longest prefix; with what `*` matched.
pub(super) fn best_rule<'r, 's>(rules: &'r [PathRule], spec: &'s str) -> Option<(&'r PathRule, &'s str)> {
    if let Some(exact) = rules.iter().find(|r| !r.wildcard && r.prefix == spec) {
        return Some((exact, ""));
    }
    let mut best: Option<(&PathRule, &str)> = None;
    for rule in rules.iter().filter(|r| r.wildcard) {
        if let Some(star) = rule.capture(spec) {
            if best.is_none_or(|(b, _)| rule.prefix.len() > b.prefix.len()) {
                best = Some((rule, star));
            }
        }
    }
    best
}

/// A `paths` substitution with `*` replaced, as a tree path.
pub(super) fn substitute(config_dir: &[u8], base: &[u8], target: &str, star: &str) -> Option<Vec<u8>> {
    let target = target.replacen('*', star, 1);
    if let Some(rest) = target.strip_prefix("${configDir}") {
        return join(config_dir, rest.as_bytes());
    }
    if target.starts_with('/') {
        return None;
    }
    join(base, target.as_bytes())
}

/// The effective options of the configuration at `path`: its `extends`
/// chain applied in TypeScript's order (bases first, later ones and the
/// file itself overriding), walked with an explicit stack.
pub(super) fn load_config(
    tree: &SourceTree<'_>,
    path: &[u8],
    raw: &mut HashMap<Vec<u8>, Option<RawConfig>>,
) -> Option<Config> {
    read_raw(tree, path, raw)?;
    let dir = parent(path).to_vec();
    let mut config = Config { dir, ..Config::default() };
    let mut order: Vec<Vec<u8>> = Vec::new();
    let mut stack: Vec<(Vec<u8>, usize, bool)> = vec![(path.to_vec(), 0, false)];
    while let Some((file, depth, expanded)) = stack.pop() {
        if expanded {
            order.push(file);
            continue;
        }
        let Some(own) = read_raw(tree, &file, raw) else { continue };
        let bases = own.extends.clone();
        stack.push((file, depth, true));
        if depth < MAX_EXTENDS_DEPTH && order.len() + stack.len() < MAX_EXTENDS {
            stack.extend(bases.into_iter().rev().map(|base| (base, depth + 1, false)));
        }
    }
    for file in &order {
        let Some(Some(own)) = raw.get(file) else { continue };
        if own.base_url.is_some() {
            config.base_url.clone_from(&own.base_url);
        }
        if let Some(rules) = &own.paths {
            config.paths = Some((rules.clone(), parent(file).to_vec()));
        }
    }
    Some(config)
}

/// What the configuration file at `path` sets itself; `None` when it
/// cannot be read or parsed. Cached, as bases are shared.
fn read_raw<'m>(
    tree: &SourceTree<'_>,
    path: &[u8],
    raw: &'m mut HashMap<Vec<u8>, Option<RawConfig>>,
) -> Option<&'m RawConfig> {
    raw.entry(path.to_vec()).or_insert_with(|| parse_config(tree, path)).as_ref()
}

fn parse_config(tree: &SourceTree<'_>, path: &[u8]) -> Option<RawConfig> {
    let text = strip_jsonc(&tree.read(path)?);
    let json: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let dir = parent(path);
    let options = json.get("compilerOptions");
    let base_url = options.and_then(|o| o.get("baseUrl")?.as_str()).and_then(|b| {
        let rest = b.strip_prefix("${configDir}").unwrap_or(b);
        join(dir, rest.as_bytes())
    });
    let paths = options.and_then(|o| o.get("paths")?.as_object()).map(|map| {
        map.iter()
            .filter_map(|(pattern, targets)| {
                let targets: Vec<String> =
                    targets.as_array()?.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect();
                let (prefix, suffix, wildcard) = match pattern.split_once('*') {
                    Some((p, s)) => (p.to_owned(), s.to_owned(), true),
                    None => (pattern.clone(), String::new(), false),
                };
                Some(PathRule { prefix, suffix, wildcard, targets })
            })
            .collect()
    });
    let extends = match json.get("extends") {
        Some(serde_json::Value::String(s)) => vec![s.as_str()],
        Some(serde_json::Value::Array(list)) => list.iter().filter_map(|v| v.as_str()).collect(),
        _ => Vec::new(),
    };
    let extends = extends.into_iter().filter_map(|e| extends_path(tree, dir, e)).collect();
    Some(RawConfig { base_url, paths, extends })
}

/// The file an `extends` entry names, when it is a relative path (a
/// package's configuration lives in node_modules, outside the tree).
fn extends_path(tree: &SourceTree<'_>, dir: &[u8], entry: &str) -> Option<Vec<u8>> {
    if !(entry.starts_with("./") || entry.starts_with("../")) {
        return None;
    }
    let path = join(dir, entry.as_bytes())?;
    if tree.is_file(&path) || path.ends_with(b".json") {
        return Some(path);
    }
    Some([path.as_slice(), b".json"].concat())
}

/// JSON with comments and trailing commas (tsconfig.json's dialect) as
/// plain JSON: comments become spaces, a comma before `}` or `]` goes.
fn strip_jsonc(src: &[u8]) -> Vec<u8> {
    let src = src.strip_prefix("\u{feff}".as_bytes()).unwrap_or(src);
    let mut out = Vec::with_capacity(src.len());
    let mut i = 0;
    while i < src.len() {
        match src[i] {
            b'"' => {
                let mut end = i + 1;
                while end < src.len() && src[end] != b'"' {
                    end += if src[end] == b'\\' { 2 } else { 1 };
                }
                let end = (end + 1).min(src.len());
                out.extend_from_slice(&src[i..end]);
                i = end;
            }
            b'/' if src.get(i + 1) == Some(&b'/') => {
                i = find2(src, i, b'\n', b'\r').unwrap_or(src.len());
            }
            b'/' if src.get(i + 1) == Some(&b'*') => {
                let close = src[i + 2..].windows(2).position(|w| w == b"*/");
                i = close.map_or(src.len(), |k| i + 2 + k + 2);
                out.push(b' ');
            }
            b @ (b'}' | b']') => {
                if let Some(k) = out.iter().rposition(|b| !b.is_ascii_whitespace()) {
                    if out[k] == b',' {
                        out[k] = b' ';
                    }
                }
                out.push(b);
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonc_stripping() {
        let text = strip_jsonc(b"\xef\xbb\xbf{\"a\": \"//not\", // c\n \"b\": [1, 2, /* x */ ], }");
        let v: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(v, serde_json::json!({"a": "//not", "b": [1, 2]}));
    }
}
