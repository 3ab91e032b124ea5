//! Gradle: the projects each build script names, through the settings
//! model of the ownership manifest (project paths, renames, `projectDir`,
//! included builds).
//!
//! A reference is a `project(...)` call with a literal path (`project(':x')`,
//! Groovy's `project(path: ':x')`, Kotlin's `project(path = ":x")`, Groovy's
//! `project ':x'`) and a type-safe accessor chain (`projects.libs.core`,
//! each name the camelCase of a project name as Gradle generates it:
//! `payments-api` is `paymentsApi`). A path resolves within the build of
//! the script's project: an absolute one from the build's root project, a
//! relative one from the script's project. The script of a project is the
//! `build.gradle` or `build.gradle.kts` in its directory; other scripts
//! name no project. Coordinates an included build substitutes
//! (`implementation("com.acme:lib")`) are not read. The tokens are those
//! of the settings reader: comments and other strings are skipped.

use std::collections::HashMap;

use crate::ownership::packages::{gradle_projects, gradle_tokens, GradleProject, GradleTok as Tok};

use super::super::packages::TreeFiles;
use super::super::{join, parent, ManifestDep, Resolution, SourceTree};

/// The names of a project's build script.
const SCRIPTS: &[&str] = &["build.gradle", "build.gradle.kts"];

/// The projects of the tree's builds.
struct Builds {
    /// `(build, path)` -> directory.
    dirs: HashMap<(String, String), Vec<u8>>,
    /// `(build, parent path)` -> the children's accessor names and paths.
    children: HashMap<(String, String), Vec<(String, String)>>,
    /// Directory -> the project there (its build and path).
    by_dir: HashMap<Vec<u8>, (String, String)>,
}

/// The references of every project's build script, sorted by (manifest, line).
pub(super) fn manifest_deps(tree: &SourceTree<'_>) -> Vec<ManifestDep> {
    let projects = gradle_projects(&TreeFiles(tree)).unwrap_or_default();
    if projects.is_empty() {
        return Vec::new();
    }
    let builds = Builds::new(projects);
    let mut out = Vec::new();
    for name in SCRIPTS {
        for script in tree.named(name) {
            let Some((build, path)) = builds.by_dir.get(parent(script)) else { continue };
            let Some(text) = tree.read(script).and_then(|t| String::from_utf8(t).ok()) else { continue };
            for (line, spec, target) in references(&text, &builds, build, path) {
                let resolution = match target {
                    Some(dir) => project_dir(tree, &dir),
                    None => Resolution::Unresolved,
                };
                out.push(ManifestDep { manifest: script.to_vec(), line, name: spec, resolution });
            }
        }
    }
    out.sort_by(|a, b| (&a.manifest, a.line).cmp(&(&b.manifest, b.line)));
    out
}

impl Builds {
    fn new(projects: Vec<GradleProject>) -> Builds {
        let mut builds = Builds { dirs: HashMap::new(), children: HashMap::new(), by_dir: HashMap::new() };
        for p in projects {
            let key = (p.build.clone(), p.path.clone());
            if let Some((up, name)) = p.path.rsplit_once(':') {
                let up = if up.is_empty() { ":".to_owned() } else { up.to_owned() };
                if !name.is_empty() {
                    let accessor = accessor_name(name);
                    builds
                        .children
                        .entry((p.build.clone(), up))
                        .or_default()
                        .push((accessor, p.path.clone()));
                }
            }
            builds.by_dir.entry(p.dir.clone()).or_insert_with(|| key.clone());
            builds.dirs.entry(key).or_insert(p.dir);
        }
        builds
    }

    /// The directory of the project at `path` in `build`, relative to the
    /// project `from` when it does not start with `:`.
    fn lookup(&self, build: &str, from: &str, path: &str) -> Option<Vec<u8>> {
        let absolute = match (path.strip_prefix(':'), from) {
            (Some(_), _) => path.to_owned(),
            (None, ":") => format!(":{path}"),
            (None, from) => format!("{from}:{path}"),
        };
        let absolute = if absolute.len() > 1 { absolute.trim_end_matches(':').to_owned() } else { absolute };
        self.dirs.get(&(build.to_owned(), absolute)).cloned()
    }

    /// The child of `path` in `build` whose accessor is `name`.
    fn child(&self, build: &str, path: &str, name: &str) -> Option<&str> {
        let children = self.children.get(&(build.to_owned(), path.to_owned()))?;
        children.iter().find(|(accessor, _)| accessor == name).map(|(_, p)| p.as_str())
    }
}

/// Gradle's accessor for a project name: the parts between `-`, `_` and
/// `.` capitalized and joined, the first letter lowercase (`payments-api`
/// is `paymentsApi`).
fn accessor_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for part in name.split(['-', '_', '.']) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    let mut chars = out.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => out,
    }
}

/// The project references of one script of the project `path` in `build`:
/// line, the reference as written, and the target's directory (`None`
/// for a path no project has).
fn references(text: &str, builds: &Builds, build: &str, path: &str) -> Vec<(u32, String, Option<Vec<u8>>)> {
    let Ok((toks, starts)) = gradle_tokens(text) else { return Vec::new() };
    let line_starts: Vec<usize> =
        std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let line = |i: usize| line_starts.partition_point(|&s| s <= starts[i]) as u32;
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let Tok::Ident(word) = &toks[i] else {
            i += 1;
            continue;
        };
        let member = i > 0 && toks[i - 1] == Tok::Punct('.');
        match word.as_str() {
            "project" => {
                if let Some((spec, next)) = project_call(&toks, i + 1) {
                    out.push((line(i), spec.clone(), builds.lookup(build, path, &spec)));
                    i = next;
                    continue;
                }
            }
            "projects" if !member => {
                let (found, next) = accessor_chain(&toks, i + 1, builds, build);
                if let Some((spec, target)) = found {
                    out.push((line(i), spec, builds.dirs.get(&(build.to_owned(), target)).cloned()));
                }
                i = next;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The path argument of `project(...)` at `i` (after the name): `(':x')`,
/// `(':x', 'configuration')`, `(path: ':x', ...)`, `(path = ":x", ...)`,
/// or Groovy's `project ':x'`. Returns the path and the index after it.
fn project_call(toks: &[Tok], i: usize) -> Option<(String, usize)> {
    let open = toks.get(i) == Some(&Tok::Punct('('));
    let at = if open { i + 1 } else { i };
    match toks.get(at..)? {
        [Tok::Str(Some(path)), ..] => Some((path.clone(), at + 1)),
        [Tok::Ident(name), Tok::Punct(':' | '='), Tok::Str(Some(path)), ..] if open && name == "path" => {
            Some((path.clone(), at + 3))
        }
        _ => None,
    }
}

/// `.a.b.c` after `projects` at `i`: the deepest project the chain names
/// from the build's root project, as its written form and path; and the
/// index after what was read.
fn accessor_chain(
    toks: &[Tok],
    mut i: usize,
    builds: &Builds,
    build: &str,
) -> (Option<(String, String)>, usize) {
    let mut spec = String::from("projects");
    let mut at = ":".to_owned();
    let mut found = false;
    while let [Tok::Punct('.'), Tok::Ident(name), ..] = toks.get(i..).unwrap_or(&[]) {
        let Some(child) = builds.child(build, &at, name) else { break };
        at = child.to_owned();
        spec.push('.');
        spec.push_str(name);
        found = true;
        i += 2;
    }
    (found.then_some((spec, at)), i)
}

/// A project of the tree as a dependency target: its directory, owned as
/// its build script is (or, without one, as its first file).
fn project_dir(tree: &SourceTree<'_>, dir: &[u8]) -> Resolution {
    let prefix = if dir.is_empty() { Vec::new() } else { [dir, b"/"].concat() };
    let script = SCRIPTS.iter().filter_map(|s| join(dir, s.as_bytes())).find(|p| tree.is_file(p));
    let file = script.or_else(|| {
        let paths = tree.paths();
        let at = paths.partition_point(|p| *p < prefix.as_slice());
        paths.get(at).filter(|p| p.starts_with(&prefix)).map(|p| p.to_vec())
    });
    match file {
        Some(file) => Resolution::Internal { path: prefix, files: vec![file] },
        None => Resolution::Unresolved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(files: &[(&str, &str)]) -> Vec<(String, u32, String, String)> {
        super::super::tests::shown(files, manifest_deps)
    }

    #[test]
    fn accessor_names_are_camel_case() {
        assert_eq!(accessor_name("payments-api"), "paymentsApi");
        assert_eq!(accessor_name("snake_case_1"), "snakeCase1");
        assert_eq!(accessor_name("camelCase"), "camelCase");
        assert_eq!(accessor_name("Core"), "core");
    }

    #[test]
    fn project_calls_and_accessors_through_the_settings() {
        let settings = "rootProject.name = 'shop'\n\
                        include ':app', ':libs:core', ':libs:payments-api', ':legacy'\n\
                        project(':legacy').projectDir = file('old/legacy')\n\
                        project(':libs:core').name = 'kernel'\n\
                        includeBuild('build-logic')\n";
        let app = r#"plugins { id 'java' }
// implementation project(':legacy')
dependencies {
    implementation project(':libs:kernel')
    implementation(project(path: ":libs:payments-api", configuration: "default"))
    api project(path = ":legacy")
    testImplementation projects.libs.paymentsApi
    runtimeOnly(projects.libs.kernel.dependencyProject)
    implementation project('sub')
    implementation project(':libs:core')
    implementation project(":gone")
    def note = "project(':legacy')"
    implementation "com.acme:plugins:1.0"
    implementation project(':')
}"#;
        let files = [
            ("settings.gradle", settings),
            ("build.gradle", ""),
            ("app/build.gradle", app),
            ("app/sub/README.md", ""),
            ("libs/core/build.gradle.kts", "dependencies { api(projects.libs.paymentsApi) }"),
            ("libs/payments-api/src/A.java", ""),
            ("old/legacy/build.gradle", ""),
            ("build-logic/settings.gradle", "include ':plugins'"),
            ("build-logic/plugins/build.gradle", "dependencies { implementation project(':') }"),
            ("stray/build.gradle", "dependencies { implementation project(':app') }"),
        ];
        let e = |m: &str, line, name: &str, to: &str| (m.to_owned(), line, name.to_owned(), to.to_owned());
        assert_eq!(
            deps(&files),
            vec![
                e("app/build.gradle", 4, ":libs:kernel", "libs/core/"),
                e("app/build.gradle", 5, ":libs:payments-api", "libs/payments-api/"),
                e("app/build.gradle", 6, ":legacy", "old/legacy/"),
                e("app/build.gradle", 7, "projects.libs.paymentsApi", "libs/payments-api/"),
                e("app/build.gradle", 8, "projects.libs.kernel", "libs/core/"),
                e("app/build.gradle", 9, "sub", "Unresolved"),
                e("app/build.gradle", 10, ":libs:core", "Unresolved"),
                e("app/build.gradle", 11, ":gone", "Unresolved"),
                e("app/build.gradle", 14, ":", ""),
                e("build-logic/plugins/build.gradle", 1, ":", "build-logic/"),
                e("libs/core/build.gradle.kts", 1, "projects.libs.paymentsApi", "libs/payments-api/"),
            ]
        );
    }
}
