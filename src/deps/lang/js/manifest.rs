//! `package.json` as a manifest: the dependencies each workspace root and
//! member declares on packages of the tree, at the line of their key.
//!
//! A dependency leads into the tree when the install links it there: a
//! `workspace:` range (pnpm, Yarn) names a member; a `file:` or `link:`
//! path names a directory (or tarball) of the tree; and a plain range
//! (`^1.2.0`, `*`) names the member of that name in an npm or Yarn
//! workspace, while pnpm fetches it from the registry unless the root's
//! `.npmrc` sets `link-workspace-packages`.

use crate::ownership::packages::WorkspaceTool;

use super::super::json_keys::{key_lines, Seg};
use super::super::{join, ManifestDep, Resolution, SourceTree};
use super::resolve::package_dir;
use super::workspaces::{Member, Workspaces};

/// The sections of package.json whose packages an install links.
const SECTIONS: &[&str] = &["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"];

/// The dependencies every workspace root and member declares on packages
/// of the tree, sorted by (manifest, line).
pub(super) fn manifest_deps(tree: &SourceTree<'_>, workspaces: &Workspaces) -> Vec<ManifestDep> {
    let mut out = Vec::new();
    for (dir, root, tool) in workspaces.packages() {
        let Some(manifest) = join(dir, b"package.json") else { continue };
        let Some(text) = tree.read(&manifest) else { continue };
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(&text) else { continue };
        let lines = key_lines(&text);
        let links_ranges = tool == WorkspaceTool::Npm || pnpm_links_ranges(tree, root);
        for section in SECTIONS {
            let Some(deps) = json.get(section).and_then(|d| d.as_object()) else { continue };
            for (name, spec) in deps {
                let Some(spec) = spec.as_str() else { continue };
                let resolution = match dependency(tree, workspaces, dir, name, spec) {
                    Target::Range if links_ranges => {
                        member_package(workspaces, dir, name, Resolution::External)
                    }
                    Target::Range => Resolution::External,
                    Target::Found(r) => r,
                };
                let path = [Seg::Key((*section).to_owned()), Seg::Key(name.clone())];
                let line = lines.iter().find(|(p, _)| p.as_slice() == path).map_or(0, |&(_, l)| l);
                out.push(ManifestDep { manifest: manifest.clone(), line, name: name.clone(), resolution });
            }
        }
    }
    out.sort_by(|a, b| (&a.manifest, a.line).cmp(&(&b.manifest, b.line)));
    out
}

/// What one dependency's spec names.
enum Target {
    /// A version range or tag: the member of that name, if the tool links
    /// ranges to members.
    Range,
    /// Decided by the spec alone.
    Found(Resolution),
}

/// Reads the spec of dependency `name` of the package in `dir`.
fn dependency(tree: &SourceTree<'_>, workspaces: &Workspaces, dir: &[u8], name: &str, spec: &str) -> Target {
    let spec = spec.trim();
    if let Some(range) = spec.strip_prefix("workspace:") {
        if range.starts_with('.') || range.starts_with('/') {
            return Target::Found(path_dep(tree, dir, range));
        }
        // `workspace:other@^1` (pnpm) installs the member `other` under
        // this name.
        let target = match range.rfind('@') {
            Some(at) if at > 0 => &range[..at],
            _ => name,
        };
        return Target::Found(member_package(workspaces, dir, target, Resolution::Unresolved));
    }
    if let Some(path) = spec.strip_prefix("file:").or_else(|| spec.strip_prefix("link:")) {
        return Target::Found(path_dep(tree, dir, path));
    }
    if spec.starts_with("./") || spec.starts_with("../") {
        return Target::Found(path_dep(tree, dir, spec));
    }
    // Registry aliases, git and tarball URLs, GitHub shorthands.
    if spec.contains(':') || spec.contains('/') {
        return Target::Found(Resolution::External);
    }
    Target::Range
}

/// The member `name` reached from `dir`, or `absent` when none has it.
fn member_package(workspaces: &Workspaces, dir: &[u8], name: &str, absent: Resolution) -> Resolution {
    match workspaces.member(dir, name) {
        Some(Member::Dir(member)) => package_dir(member),
        Some(Member::Ambiguous) => Resolution::Unresolved,
        None => absent,
    }
}

/// A path dependency, relative to the package's directory: a directory of
/// the tree holding a package.json, or a file (a tarball). A path above
/// the tree's root is outside the repository.
fn path_dep(tree: &SourceTree<'_>, dir: &[u8], path: &str) -> Resolution {
    let path = path.strip_prefix("//").unwrap_or(path);
    if path.starts_with('/') {
        return Resolution::External;
    }
    let Some(target) = join(dir, path.as_bytes()) else { return Resolution::External };
    if tree.is_file(&target) {
        return Resolution::file(target);
    }
    match join(&target, b"package.json") {
        Some(manifest) if tree.is_file(&manifest) => package_dir(&target),
        _ => Resolution::Unresolved,
    }
}

/// True when the root's `.npmrc` makes pnpm link a plain range to the
/// member of that name (`link-workspace-packages`, `true` or `deep`).
fn pnpm_links_ranges(tree: &SourceTree<'_>, root: &[u8]) -> bool {
    let Some(text) = join(root, b".npmrc").and_then(|p| tree.read(&p)) else { return false };
    let text = String::from_utf8_lossy(&text);
    let mut links = false;
    for line in text.lines() {
        let line = line.trim();
        let Some((key, value)) = line.split_once('=') else { continue };
        if key.trim() == "link-workspace-packages" {
            // The last setting wins, as in any ini file.
            links = matches!(value.trim(), "true" | "deep");
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::super::super::memory_tree;
    use super::*;
    use crate::deps::lang::packages::TreeFiles;
    use crate::ownership::packages::npm_packages;

    fn deps(files: &[(&str, &str)]) -> Vec<(String, u32, String, Resolution)> {
        let files = memory_tree(files);
        let read = |p: &[u8]| files.get(p).cloned();
        let tree = SourceTree::new(files.keys().map(Vec::as_slice), &read);
        let workspaces = Workspaces::new(&npm_packages(&TreeFiles(&tree)).unwrap());
        manifest_deps(&tree, &workspaces)
            .into_iter()
            .map(|d| (String::from_utf8(d.manifest).unwrap(), d.line, d.name, d.resolution))
            .collect()
    }

    fn dir(d: &str) -> Resolution {
        package_dir(d.as_bytes())
    }

    #[test]
    fn npm_members_by_any_range_and_paths() {
        let app = r#"{
  "name": "@acme/app",
  "dependencies": {
    "@acme/ui": "^1.0.0",
    "shared-utils": "*",
    "@acme/kit": "file:../../vendor/kit",
    "logo": "file:../../assets/logo-1.0.0.tgz"
  },
  "devDependencies": { "@acme/ui-kit": "^2.0.0", "react": "^18.0.0", "gone": "link:../gone" },
  "peerDependencies": { "@acme/legacy": "*", "lodash": "npm:lodash-es@^4" },
  "optionalDependencies": { "far": "file:../../../../outside", "gh": "acme/ui" }
}"#;
        let files = [
            (
                "package.json",
                r#"{"name": "acme", "workspaces": ["packages/*"], "devDependencies": {"@acme/ui": "*"}}"#,
            ),
            ("packages/app/package.json", app),
            ("packages/ui/package.json", r#"{"name": "@acme/ui"}"#),
            (
                "packages/utils/package.json",
                r#"{"name": "shared-utils", "dependencies": {"shared-utils": "*"}}"#,
            ),
            ("vendor/kit/package.json", r#"{"name": "@acme/kit"}"#),
            ("assets/logo-1.0.0.tgz", ""),
            ("legacy/package.json", r#"{"name": "@acme/legacy"}"#),
        ];
        let app = "packages/app/package.json".to_owned();
        let utils = "packages/utils/package.json".to_owned();
        assert_eq!(
            deps(&files),
            vec![
                ("package.json".to_owned(), 1, "@acme/ui".to_owned(), dir("packages/ui")),
                (app.clone(), 4, "@acme/ui".to_owned(), dir("packages/ui")),
                (app.clone(), 5, "shared-utils".to_owned(), dir("packages/utils")),
                (app.clone(), 6, "@acme/kit".to_owned(), dir("vendor/kit")),
                (app.clone(), 7, "logo".to_owned(), Resolution::file("assets/logo-1.0.0.tgz")),
                (app.clone(), 9, "@acme/ui-kit".to_owned(), Resolution::External),
                (app.clone(), 9, "gone".to_owned(), Resolution::Unresolved),
                (app.clone(), 9, "react".to_owned(), Resolution::External),
                (app.clone(), 10, "@acme/legacy".to_owned(), Resolution::External),
                (app.clone(), 10, "lodash".to_owned(), Resolution::External),
                (app.clone(), 11, "far".to_owned(), Resolution::External),
                (app, 11, "gh".to_owned(), Resolution::External),
                (utils, 1, "shared-utils".to_owned(), dir("packages/utils")),
            ]
        );
    }

    #[test]
    fn pnpm_links_workspace_ranges_only() {
        let files = [
            ("pnpm-workspace.yaml", "packages: ['packages/*']\n"),
            (
                "packages/app/package.json",
                r#"{"dependencies": {"ui": "workspace:*", "u2": "workspace:ui@^1", "utils": "^1.0.0",
                    "lib": "workspace:../lib", "nope": "workspace:*"}}"#,
            ),
            ("packages/ui/package.json", r#"{"name": "ui"}"#),
            ("packages/utils/package.json", r#"{"name": "utils"}"#),
            ("packages/lib/package.json", r#"{"name": "lib"}"#),
            ("ranges/pnpm-workspace.yaml", "packages: ['*']\n"),
            ("ranges/.npmrc", "link-workspace-packages = false\nlink-workspace-packages=deep\n"),
            ("ranges/a/package.json", r#"{"dependencies": {"b": "^1"}}"#),
            ("ranges/b/package.json", r#"{"name": "b"}"#),
        ];
        let got: Vec<(String, Resolution)> = deps(&files).into_iter().map(|(_, _, n, r)| (n, r)).collect();
        assert_eq!(
            got,
            vec![
                ("u2".to_owned(), dir("packages/ui")),
                ("ui".to_owned(), dir("packages/ui")),
                ("utils".to_owned(), Resolution::External),
                ("lib".to_owned(), dir("packages/lib")),
                ("nope".to_owned(), Resolution::Unresolved),
                ("b".to_owned(), dir("ranges/b")),
            ]
        );
    }
}
