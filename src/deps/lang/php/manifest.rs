//! `composer.json` as a manifest: a package's name, the packages it
//! requires, its path repositories, and the lines that declare them.

use super::super::json_keys::{key_lines, Seg};
use super::super::{ManifestDep, Resolution};

/// One `composer.json` of the tree, as far as `manifest_deps` needs it.
pub(super) struct Package {
    pub(super) manifest: Vec<u8>,
    pub(super) dir: Vec<u8>,
    pub(super) name: Option<String>,
    /// `require` and `require-dev` entries: package name and line.
    pub(super) requires: Vec<(String, u32)>,
    /// `"type": "path"` repositories: url and line.
    pub(super) path_repos: Vec<(String, u32)>,
}

pub(super) fn dep(package: &Package, line: u32, name: &str, resolution: Resolution) -> ManifestDep {
    ManifestDep { manifest: package.manifest.clone(), line, name: name.to_owned(), resolution }
}

/// A package of the tree as a dependency target: its directory, owned as
/// its `composer.json` is. The root package's directory is the empty path.
pub(super) fn package_resolution(target: &Package) -> Resolution {
    let path = if target.dir.is_empty() { Vec::new() } else { [target.dir.as_slice(), b"/"].concat() };
    Resolution::Internal { path, files: vec![target.manifest.clone()] }
}

/// A path repository url (after joining) against a package directory;
/// `*` and `?` match within one path segment, as composer's glob does.
pub(super) fn dir_matches(pattern: &[u8], dir: &[u8]) -> bool {
    let pattern: Vec<&[u8]> = pattern.split(|&b| b == b'/').filter(|s| !s.is_empty()).collect();
    let dir: Vec<&[u8]> = dir.split(|&b| b == b'/').filter(|s| !s.is_empty()).collect();
    pattern.len() == dir.len() && pattern.iter().zip(&dir).all(|(p, d)| wildcard(p, d))
}

/// `*`/`?` matching of one segment: the greedy algorithm that backtracks
/// only to the last `*`.
fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == b'*')
}

/// What `manifest_deps` needs of one `composer.json`.
pub(super) fn package(manifest: &[u8], dir: Vec<u8>, json: &serde_json::Value, text: &[u8]) -> Package {
    let lines = key_lines(text);
    let line_of_key = |path: &[Seg]| lines.iter().find(|(p, _)| p.as_slice() == path).map_or(0, |&(_, l)| l);
    let mut requires = Vec::new();
    for section in ["require", "require-dev"] {
        let names = json.get(section).and_then(|v| v.as_object()).into_iter().flat_map(|o| o.keys());
        for name in names {
            let path = [Seg::Key(section.to_owned()), Seg::Key(name.clone())];
            requires.push((name.clone(), line_of_key(&path)));
        }
    }
    let repos: Vec<(Seg, &serde_json::Value)> = match json.get("repositories") {
        Some(serde_json::Value::Array(items)) => {
            items.iter().enumerate().map(|(i, v)| (Seg::Index(i), v)).collect()
        }
        Some(serde_json::Value::Object(map)) => map.iter().map(|(k, v)| (Seg::Key(k.clone()), v)).collect(),
        _ => Vec::new(),
    };
    let mut path_repos = Vec::new();
    for (seg, repo) in repos {
        let url = repo.get("url").and_then(|u| u.as_str());
        if let (Some("path"), Some(url)) = (repo.get("type").and_then(|t| t.as_str()), url) {
            let path = [Seg::Key("repositories".to_owned()), seg, Seg::Key("url".to_owned())];
            path_repos.push((url.to_owned(), line_of_key(&path)));
        }
    }
    let name = json.get("name").and_then(|n| n.as_str()).map(str::to_owned);
    Package { manifest: manifest.to_vec(), dir, name, requires, path_repos }
}
