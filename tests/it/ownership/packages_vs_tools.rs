//! Package resolution against each ecosystem's own tool: on a fixture per
//! ecosystem, the files each package owns (`git-split owners`) are the ones
//! the tool puts in that package. pnpm lists a pnpm workspace's projects,
//! `npm query .workspace` an npm workspace's members, `npm pack` what a
//! package ships, `uv version` the project a directory belongs to, `cargo
//! package --list` a crate's files, and `go list -m` a directory's module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::{fixture, git, split, tools};

/// Which packages own each file: `file -> {kind:name}`.
type Owners = BTreeMap<String, BTreeSet<String>>;

/// A fixture repository, its tracked files, and a plain copy of its tree
/// for the tools, which may write lock files and caches where they run.
fn fixture_and_checkout(name: &str) -> (PathBuf, Vec<String>, tempfile::TempDir) {
    let repo = fixture(name);
    let tmp = crate::support::checkout(&repo);
    let files = crate::support::z_list(&git(&repo, &["ls-files", "-z"]));
    (repo, files, tmp)
}

/// Runs a tool in `dir`; its stdout, or its output as the error.
fn tool(program: &str, args: &[&str], dir: &Path) -> Result<String, String> {
    let cache = tools::cache_dir();
    let mut cmd = tools::command(program, dir);
    cmd.args(args)
        .env("UV_CACHE_DIR", cache.join("uv"))
        .env("UV_OFFLINE", "1")
        .env("GOMODCACHE", cache.join("gomod"))
        .env("GOWORK", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("CARGO_NET_OFFLINE", "true");
    tools::stdout_of(&mut cmd)
}

/// Like [`tool`], failing the test when the tool fails.
fn run(program: &str, args: &[&str], dir: &Path) -> String {
    tool(program, args, dir)
        .unwrap_or_else(|e| panic!("`{program} {}` in {}:\n{e}", args.join(" "), dir.display()))
}

/// What `owners --format json` says of every file, with a manifest that
/// gives each of `packages` a team of its own.
fn ours(repo: &Path, files: &[String], packages: &BTreeSet<String>) -> Owners {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("ownership.yaml");
    let specs: Vec<&String> = packages.iter().collect();
    let mut yaml = String::from("version: 1\nteams:\n");
    for (i, spec) in specs.iter().enumerate() {
        yaml.push_str(&format!("  p{i}:\n    packages: [{}]\n", serde_json::to_string(spec).unwrap()));
    }
    std::fs::write(&manifest, yaml).unwrap();
    let mut args = vec!["owners", "--format", "json", "--manifest", manifest.to_str().unwrap()];
    args.extend(files.iter().map(String::as_str));
    let out = split(repo, &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let mut owners = Owners::new();
    for p in v["paths"].as_array().unwrap() {
        let teams = p["teams"].as_array().unwrap().iter().map(|t| {
            let i: usize = t.as_str().unwrap()[1..].parse().unwrap();
            specs[i].clone()
        });
        owners.insert(p["path"].as_str().unwrap().to_string(), teams.collect());
    }
    owners
}

/// Each file's owner as the package whose directory is the nearest around it.
fn nearest(files: &[String], packages: &BTreeMap<String, String>) -> Owners {
    let mut owners = Owners::new();
    for f in files {
        let best = packages
            .iter()
            .filter(|(dir, _)| dir.is_empty() || f.starts_with(&format!("{dir}/")))
            .max_by_key(|(dir, _)| dir.len());
        owners.insert(f.clone(), best.map(|(_, spec)| spec.clone()).into_iter().collect());
    }
    owners
}

/// Asserts both maps are equal, listing each file where they differ.
fn assert_same(what: &str, ours: &Owners, theirs: &Owners) {
    let files: BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
    let empty = BTreeSet::new();
    let diffs: Vec<String> = files
        .into_iter()
        .filter_map(|f| {
            let (o, t) = (ours.get(f).unwrap_or(&empty), theirs.get(f).unwrap_or(&empty));
            (o != t).then(|| format!("{f}: git-split {o:?}, the tool {t:?}"))
        })
        .collect();
    assert!(diffs.is_empty(), "{what}: git-split and the tool disagree\n{}", diffs.join("\n"));
}

/// The directory of `path` relative to `root` (`""` for the root itself).
fn relative(root: &Path, path: &str) -> String {
    let root = root.canonicalize().unwrap();
    let path = Path::new(path).canonicalize().unwrap();
    path.strip_prefix(&root).unwrap().to_string_lossy().into_owned()
}

/// The files `npm pack --dry-run` ships for the package in `dir` (relative to the tree).
fn npm_pack(tree: &Path, dir: &str) -> BTreeSet<String> {
    let out = run("npm", &["pack", "--dry-run", "--json", "--ignore-scripts"], &tree.join(dir));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{dir}/{}", f["path"].as_str().unwrap()))
        .collect()
}

/// The files a package owns, by `ours`.
fn owned_by(owners: &Owners, spec: &str) -> BTreeSet<String> {
    owners.iter().filter(|(_, o)| o.contains(spec)).map(|(f, _)| f.clone()).collect()
}

#[test]
fn pnpm_workspace_projects_and_what_npm_pack_ships() {
    let (repo, files, tree) = fixture_and_checkout("ws_pnpm");
    let listed = run("pnpm", &["ls", "-r", "--json", "--depth", "-1"], tree.path());
    let v: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let projects: BTreeMap<String, String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                relative(tree.path(), p["path"].as_str().unwrap()),
                format!("npm:{}", p["name"].as_str().unwrap()),
            )
        })
        .collect();
    assert!(projects.contains_key("packages/create-vite") && projects.len() > 5, "{projects:?}");
    let specs: BTreeSet<String> = projects.values().cloned().collect();
    let owners = ours(&repo, &files, &specs);
    assert_same("pnpm", &owners, &nearest(&files, &projects));
    // The templates are files of create-vite: exactly what npm pack ships.
    let shipped = npm_pack(tree.path(), "packages/create-vite");
    assert!(shipped.contains("packages/create-vite/template-vue/package.json"));
    assert_eq!(owned_by(&owners, "npm:create-vite"), shipped);
}

#[test]
fn a_package_glob_selects_what_pnpm_filter_selects() {
    let (repo, _files, tree) = fixture_and_checkout("selectors");
    let plan = split(&repo, &["plan", "--format", "json", "--no-deps"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    for (team, glob) in [("web", "@acme/*"), ("labs", "@acme-labs/*")] {
        let listed = run("pnpm", &["ls", "-r", "--json", "--depth", "-1", "--filter", glob], tree.path());
        let v: serde_json::Value = serde_json::from_str(&listed).unwrap();
        let theirs: BTreeSet<String> =
            v.as_array().unwrap().iter().map(|p| format!("npm:{}", p["name"].as_str().unwrap())).collect();
        let team = plan["teams"].as_array().unwrap().iter().find(|t| t["name"] == team).unwrap();
        let ours: BTreeSet<String> = team["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["package"].as_str().unwrap().to_string())
            .collect();
        assert!(!theirs.is_empty(), "pnpm selects something for {glob}");
        assert_eq!(ours, theirs, "npm:{glob}");
    }
}

#[test]
fn npm_workspace_members_and_what_npm_pack_ships() {
    let (repo, files, tree) = fixture_and_checkout("ws_npm");
    // npm query reads the workspaces from a lock file, made here offline.
    run(
        "npm",
        &["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"],
        tree.path(),
    );
    let members = run("npm", &["query", ".workspace", "--package-lock-only"], tree.path());
    let v: serde_json::Value = serde_json::from_str(&members).unwrap();
    let mut packages: BTreeMap<String, String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (p["location"].as_str().unwrap().to_string(), format!("npm:{}", p["name"].as_str().unwrap()))
        })
        .collect();
    assert!(!packages.contains_key("packages/legacy"), "{packages:?}");
    let member_dirs: Vec<String> = packages.keys().cloned().collect();
    packages.insert(String::new(), "npm:acme".to_string());
    let specs: BTreeSet<String> = packages.values().cloned().collect();
    let owners = ours(&repo, &files, &specs);
    assert_same("npm", &owners, &nearest(&files, &packages));
    // A member ships what it owns, and the members below it besides.
    for dir in &member_dirs {
        let shipped: BTreeSet<String> = npm_pack(tree.path(), dir)
            .into_iter()
            .filter(|f| {
                let below = |m: &String| m.starts_with(&format!("{dir}/")) && f.starts_with(&format!("{m}/"));
                !member_dirs.iter().any(below)
            })
            .collect();
        assert_eq!(owned_by(&owners, &packages[dir]), shipped, "{dir}");
    }
}

#[test]
fn uv_names_the_project_of_every_directory() {
    let (repo, files, tree) = fixture_and_checkout("ws_uv");
    let mut theirs = Owners::new();
    let mut refused = Vec::new();
    for f in &files {
        let dir = Path::new(f).parent().unwrap();
        match tool("uv", &["version", "--offline", "--no-sync"], &tree.path().join(dir)) {
            Ok(out) => {
                let name = out.split_whitespace().next().expect("`uv version` prints a name");
                theirs.insert(f.clone(), BTreeSet::from([format!("python:{name}")]));
            }
            Err(_) => refused.push(f.as_str()),
        }
    }
    // A pyproject.toml without `[project]` stops uv's search: uv refuses
    // there, and git-split gives the directory to the project around it.
    assert_eq!(refused, ["tools/lint/pyproject.toml", "tools/lint/run.py"]);
    let specs: BTreeSet<String> = theirs.values().flatten().cloned().collect();
    for name in ["python:acme-legacy", "python:acme-demo", "python:acme-http"] {
        assert!(specs.contains(name), "{specs:?}");
    }
    let mut owners = ours(&repo, &files, &specs);
    for f in refused {
        assert_eq!(owners.remove(f).unwrap(), BTreeSet::from(["python:acme".to_string()]), "{f}");
    }
    assert_same("uv", &owners, &theirs);
}

#[test]
fn cargo_package_lists_the_files_of_each_crate() {
    let (repo, files, tree) = fixture_and_checkout("ws_cargo");
    let mut theirs: Owners = files.iter().map(|f| (f.clone(), BTreeSet::new())).collect();
    let mut packages = 0;
    for manifest in files.iter().filter(|f| f.ends_with("Cargo.toml")) {
        let dir = Path::new(manifest).parent().unwrap();
        let at = tree.path().join(dir);
        // The package this Cargo.toml declares, as cargo reads it (none for
        // a virtual or broken manifest).
        let Ok(meta) = tool("cargo", &["metadata", "--no-deps", "--offline", "--format-version", "1"], &at)
        else {
            continue;
        };
        let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
        let own = at.join("Cargo.toml").canonicalize().unwrap();
        let Some(name) = meta["packages"].as_array().unwrap().iter().find_map(|p| {
            let path = Path::new(p["manifest_path"].as_str().unwrap()).canonicalize().unwrap();
            (path == own).then(|| p["name"].as_str().unwrap().to_string())
        }) else {
            continue;
        };
        packages += 1;
        let listed = run("cargo", &["package", "--list", "--allow-dirty", "--offline", "-p", &name], &at);
        for file in listed.lines() {
            let path = if dir.as_os_str().is_empty() {
                file.to_string()
            } else {
                format!("{}/{file}", dir.display())
            };
            // Files cargo generates (Cargo.lock, Cargo.toml.orig) are not in the tree.
            if let Some(owners) = theirs.get_mut(&path) {
                owners.insert(format!("cargo:{name}"));
            }
        }
    }
    assert_eq!(packages, 5);
    let specs: BTreeSet<String> = theirs.values().flatten().cloned().collect();
    assert_same("cargo", &ours(&repo, &files, &specs), &theirs);
}

#[test]
fn go_list_names_the_module_of_every_directory() {
    let (repo, files, tree) = fixture_and_checkout("ws_go");
    let mut theirs = Owners::new();
    let mut refused = Vec::new();
    for f in &files {
        let dir = Path::new(f).parent().unwrap();
        match tool("go", &["list", "-m"], &tree.path().join(dir)) {
            Ok(out) => {
                theirs.insert(f.clone(), BTreeSet::from([format!("go:{}", out.trim())]));
            }
            Err(_) => refused.push(f.as_str()),
        }
    }
    // A go.mod that does not parse is still a module boundary: go refuses
    // to work there, and git-split gives its directory to no module.
    assert_eq!(refused, ["broken/b.go", "broken/go.mod"]);
    let specs: BTreeSet<String> = theirs.values().flatten().cloned().collect();
    // The root, tools, testdata's module and lib's (named in a `module (` block).
    assert_eq!(specs.len(), 4, "{specs:?}");
    let mut owners = ours(&repo, &files, &specs);
    for f in refused {
        assert_eq!(owners.remove(f).unwrap(), BTreeSet::new(), "{f}");
    }
    assert_same("go", &owners, &theirs);
}
