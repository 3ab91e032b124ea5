//! Workspace packages: the members of the tree's npm, pnpm and Yarn
//! workspaces by name, as the `npm:` selectors of the ownership manifest
//! see them (`ownership::packages`), and where a name leads from a file.
//!
//! An installed workspace links every member into the `node_modules` of
//! its root, so a file below a root reaches each member of that workspace
//! by name, the nearest root first (Node's climb through `node_modules`).
//! A root or member also reaches what its own dependencies link under
//! their names: an aliased `workspace:` range, a `file:` or `link:` path.
//! A package.json outside every workspace's members names nothing that an
//! install links: its name stays a registry package.

use std::collections::{BTreeMap, HashMap};

use crate::ownership::packages::{NpmPackages, WorkspaceTool};

use super::super::parent;

/// A workspace root's members by name.
struct Root {
    tool: WorkspaceTool,
    /// Member directory by name; `None` when two members share a name,
    /// which the package managers refuse to install.
    by_name: HashMap<String, Option<Vec<u8>>>,
}

/// The workspace members of one tree.
pub(super) struct Workspaces {
    roots: HashMap<Vec<u8>, Root>,
    /// Package directory -> the names its dependencies link into its
    /// `node_modules`, and the package directory each leads to.
    linked: HashMap<Vec<u8>, HashMap<String, Vec<u8>>>,
    /// The package.json directories read as packages of their own: every
    /// root and member, with the root whose member it is (itself for a root).
    packages: BTreeMap<Vec<u8>, Vec<u8>>,
}

/// Where a package name leads from a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Member<'a> {
    /// The member's directory.
    Dir(&'a [u8]),
    /// Two members of the nearest workspace holding the name share it.
    Ambiguous,
}

impl Workspaces {
    /// The members of `packages`' workspaces.
    pub(super) fn new(packages: &NpmPackages) -> Workspaces {
        let mut roots: HashMap<Vec<u8>, Root> = HashMap::new();
        let mut members: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for ws in &packages.workspaces {
            members.insert(ws.root.clone(), ws.root.clone());
            let root = roots
                .entry(ws.root.clone())
                .or_insert_with(|| Root { tool: ws.tool, by_name: HashMap::new() });
            // A root declared both ways is pnpm's when pnpm-workspace.yaml
            // is there: pnpm ignores `workspaces`.
            if ws.tool == WorkspaceTool::Pnpm {
                root.tool = WorkspaceTool::Pnpm;
            }
            for dir in &ws.members {
                members.entry(dir.clone()).or_insert_with(|| ws.root.clone());
                let Some(name) = packages.names.get(dir) else { continue };
                match root.by_name.get_mut(name) {
                    None => drop(root.by_name.insert(name.clone(), Some(dir.clone()))),
                    Some(Some(known)) if known == dir => {}
                    Some(slot) => *slot = None,
                }
            }
        }
        Workspaces { roots, linked: HashMap::new(), packages: members }
    }

    /// Records that the package in `package` links the package directory
    /// `target` under `name`.
    pub(super) fn link(&mut self, package: &[u8], name: &str, target: &[u8]) {
        let names = self.linked.entry(package.to_vec()).or_default();
        names.entry(name.to_owned()).or_insert_with(|| target.to_vec());
    }

    /// The package named `name` that a file in `dir` reaches: at the
    /// nearest directory at or above `dir` that links one by that name, a
    /// package's own dependency first, then a workspace root's member.
    pub(super) fn member(&self, dir: &[u8], name: &str) -> Option<Member<'_>> {
        let mut dir = dir;
        loop {
            if let Some(target) = self.linked.get(dir).and_then(|l| l.get(name)) {
                return Some(Member::Dir(target));
            }
            if let Some(found) = self.roots.get(dir).and_then(|r| r.by_name.get(name)) {
                return Some(match found {
                    Some(d) => Member::Dir(d),
                    None => Member::Ambiguous,
                });
            }
            if dir.is_empty() {
                return None;
            }
            dir = parent(dir);
        }
    }

    /// Every workspace root and member directory, sorted, each with the
    /// root and tool of the workspace it is in (a root is in its own).
    pub(super) fn packages(&self) -> impl Iterator<Item = (&[u8], &[u8], WorkspaceTool)> + '_ {
        self.packages
            .iter()
            .filter_map(|(dir, root)| Some((dir.as_slice(), root.as_slice(), self.roots.get(root)?.tool)))
    }
}

/// A bare specifier's package name and subpath (`.` or `./rest`):
/// `@scope/name/rest` or `name/rest`. `None` for what no package name
/// looks like.
pub(super) fn split_bare(spec: &str) -> Option<(&str, String)> {
    let name_end = if spec.starts_with('@') {
        let slash = spec.find('/')?;
        spec[slash + 1..].find('/').map_or(spec.len(), |i| slash + 1 + i)
    } else {
        spec.find('/').unwrap_or(spec.len())
    };
    let name = &spec[..name_end];
    if name.is_empty() || name.ends_with('/') || name.starts_with('.') {
        return None;
    }
    let rest = &spec[name_end..];
    let subpath = if rest.is_empty() { ".".to_owned() } else { format!(".{rest}") };
    Some((name, subpath))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ownership::packages::NpmWorkspace;

    fn packages() -> NpmPackages {
        let dirs = |list: &[&str]| list.iter().map(|d| d.as_bytes().to_vec()).collect::<Vec<_>>();
        NpmPackages {
            workspaces: vec![
                NpmWorkspace {
                    root: Vec::new(),
                    tool: WorkspaceTool::Npm,
                    members: dirs(&["packages/ui", "packages/utils", "packages/dup1", "packages/dup2"]),
                },
                NpmWorkspace {
                    root: b"apps".to_vec(),
                    tool: WorkspaceTool::Pnpm,
                    members: dirs(&["apps/ui"]),
                },
            ],
            names: [
                ("", "root"),
                ("packages/ui", "@acme/ui"),
                ("packages/utils", "shared-utils"),
                ("packages/dup1", "dup"),
                ("packages/dup2", "dup"),
                ("apps/ui", "@acme/ui"),
                ("vendor/kit", "@acme/kit"),
            ]
            .iter()
            .map(|(d, n)| (d.as_bytes().to_vec(), n.to_string()))
            .collect(),
        }
    }

    #[test]
    fn nearest_root_first_and_only_members() {
        let ws = Workspaces::new(&packages());
        assert_eq!(ws.member(b"packages/web/src", "@acme/ui"), Some(Member::Dir(b"packages/ui")));
        assert_eq!(ws.member(b"apps/web", "@acme/ui"), Some(Member::Dir(b"apps/ui")));
        assert_eq!(ws.member(b"apps/web", "shared-utils"), Some(Member::Dir(b"packages/utils")));
        assert_eq!(ws.member(b"", "dup"), Some(Member::Ambiguous));
        assert_eq!(ws.member(b"x", "@acme/kit"), None);
        assert_eq!(ws.member(b"x", "root"), None);
        let tools: Vec<(&[u8], &[u8], WorkspaceTool)> = ws.packages().collect();
        assert_eq!(tools[0], (&b""[..], &b""[..], WorkspaceTool::Npm));
        assert!(tools.contains(&(&b"apps/ui"[..], &b"apps"[..], WorkspaceTool::Pnpm)));
        assert_eq!(tools.len(), 7);
    }

    #[test]
    fn bare_specifiers_split_into_name_and_subpath() {
        assert_eq!(split_bare("@acme/ui"), Some(("@acme/ui", ".".to_owned())));
        assert_eq!(split_bare("@acme/ui/button/x"), Some(("@acme/ui", "./button/x".to_owned())));
        assert_eq!(split_bare("lodash/chunk"), Some(("lodash", "./chunk".to_owned())));
        assert_eq!(split_bare("react"), Some(("react", ".".to_owned())));
        assert_eq!(split_bare("@acme"), None);
        assert_eq!(split_bare("@acme/"), None);
    }
}
