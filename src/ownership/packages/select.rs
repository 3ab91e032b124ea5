//! Selectors as people type them.
//!
//! - **Globs** over one kind's package names (`npm:@acme/*`,
//!   `go:go.opentelemetry.io/otel/exporters/otlp/*`, `jvm:com.acme.*`),
//!   expanded at the ref into every package whose name matches. `*` and `?`
//!   stay within one part of the name, as the kind separates parts (`/` for
//!   npm, Go and composer, `:` for Gradle and Maven, `.` for JVM packages;
//!   Cargo and Python names have no parts); `**` crosses parts; `[abc]`
//!   classes as in globs. A glob needs its kind: a bare one would mean
//!   different things in every ecosystem.
//! - **Import names** for Python: `python:pydantic_ai` names the project
//!   `pydantic-ai` by PEP 503, but people often type the import package,
//!   which may be another project's (`pydantic-ai-slim` ships
//!   `pydantic_ai`). When the name is a project and also another project's
//!   import package, the selection carries a note saying so; when it is only
//!   an import package, the not-found error suggests its project first.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{PackageError, PackageIndex, ReadError, Resolution};
use crate::manifest::{PackageKind, PackageSpec};

/// One package a selector selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selected {
    /// The package, by its own name (a glob's match; the selector itself otherwise).
    pub spec: PackageSpec,
    /// Where it is.
    pub resolution: Resolution,
    /// What the reader of the plan should know about the choice.
    pub notes: Vec<String>,
}

/// Python import packages of the tree's projects: normalized import name ->
/// the projects shipping it, as (project name, project directory).
pub(super) type ImportPackages = BTreeMap<String, Vec<(String, Vec<u8>)>>;

/// True if a selector's name is a glob.
pub fn is_glob(name: &str) -> bool {
    name.contains(['*', '?', '['])
}

/// What separates the parts of a kind's package names, if anything.
fn separator(kind: PackageKind) -> Option<char> {
    match kind {
        PackageKind::Npm | PackageKind::Go | PackageKind::Composer => Some('/'),
        PackageKind::Gradle | PackageKind::Maven => Some(':'),
        PackageKind::Jvm => Some('.'),
        PackageKind::Cargo | PackageKind::Python => None,
    }
}

/// A name with its kind's separator spelled `/`, as globset separates.
fn as_path(kind: PackageKind, name: &str) -> String {
    match separator(kind) {
        Some(sep) if sep != '/' => name.replace(sep, "/"),
        _ => name.to_string(),
    }
}

impl PackageIndex<'_> {
    /// Every package `spec` selects: the one it names, or each one its glob
    /// matches (sorted by name; an error when none does).
    pub fn select(&self, spec: &PackageSpec) -> Result<Vec<Selected>, PackageError> {
        if !is_glob(&spec.name) {
            let resolution = self.resolve(spec).map_err(|e| self.with_import_hint(spec, e))?;
            let notes = self.import_notes(spec, &resolution)?;
            return Ok(vec![Selected { spec: spec.clone(), resolution, notes }]);
        }
        let Some(kind) = spec.kind else {
            return Err(PackageError::Glob {
                spec: spec.to_string(),
                message: "a glob needs its kind, as in `npm:@acme/*`".into(),
            });
        };
        let normalize = |s: &str| self.normalize(kind, s);
        let pattern = as_path(kind, &normalize(&spec.name));
        let matcher = globset::GlobBuilder::new(&pattern)
            .literal_separator(separator(kind).is_some())
            .backslash_escape(true)
            .build()
            .map_err(|e| PackageError::Glob { spec: spec.to_string(), message: e.kind().to_string() })?
            .compile_matcher();
        let mut names: BTreeSet<String> = BTreeSet::new();
        for name in self.all_names(kind)? {
            if matcher.is_match(as_path(kind, &normalize(&name))) {
                names.insert(name);
            }
        }
        if kind == PackageKind::Jvm {
            // `jvm:P` holds its sub-packages: one matched below another adds nothing.
            let all = names.clone();
            names.retain(|n| {
                !all.iter()
                    .any(|a| n.len() > a.len() && n.starts_with(a.as_str()) && n.as_bytes()[a.len()] == b'.')
            });
        }
        if names.is_empty() {
            return Err(PackageError::NotFound { spec: spec.to_string(), candidates: Vec::new() });
        }
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for name in names {
            let one = PackageSpec { kind: Some(kind), name };
            let resolution = self.resolve(&one)?;
            // Several spellings of one package (Maven's `artifactId` and
            // `groupId:artifactId`) select it once.
            if seen.insert(resolution.dirs.clone()) || !resolution.files.is_empty() {
                out.push(Selected { spec: one, resolution, notes: Vec::new() });
            }
        }
        Ok(out)
    }

    /// Every name a package of `kind` that its tool lists answers to (JVM:
    /// every package with its enclosing packages, as `jvm:P` holds
    /// sub-packages).
    fn all_names(&self, kind: PackageKind) -> Result<Vec<String>, ReadError> {
        if kind == PackageKind::Jvm {
            let mut out = BTreeSet::new();
            for name in self.jvm()?.package_names() {
                let mut at = 0;
                while let Some(dot) = name[at..].find('.') {
                    out.insert(name[..at + dot].to_string());
                    at += dot + 1;
                }
                out.insert(name.to_string());
            }
            return Ok(out.into_iter().collect());
        }
        // What the tool would list: a named `package.json` that no
        // workspace selects is a file of the package around it.
        Ok(self.table(kind)?.listed_names().flat_map(|keys| keys.iter().cloned()).collect())
    }

    fn normalize(&self, kind: PackageKind, name: &str) -> String {
        match kind {
            PackageKind::Jvm => name.to_string(),
            _ => self.table(kind).map_or_else(|_| name.to_string(), |t| t.normalized(name)),
        }
    }

    /// The notes on a Python project chosen by name when the name is also
    /// another project's import package.
    fn import_notes(&self, spec: &PackageSpec, resolution: &Resolution) -> Result<Vec<String>, PackageError> {
        if resolution.kind != PackageKind::Python {
            return Ok(Vec::new());
        }
        let imports = self.import_packages()?;
        let Some(shippers) = imports.get(&super::python::normalize(&spec.name)) else {
            return Ok(Vec::new());
        };
        let notes = shippers
            .iter()
            .filter(|(_, dir)| !resolution.dirs.contains(dir))
            .map(|(project, dir)| {
                format!(
                    "`{spec}` is the project `{}` by name; the import package `{}` is in project `{project}` ({}): write `python:{project}` for that code",
                    self.python_project_at(&resolution.dirs).unwrap_or_else(|| spec.name.clone()),
                    spec.name,
                    show_dir(dir),
                )
            })
            .collect();
        Ok(notes)
    }

    /// A not-found Python name that is a project's import package suggests
    /// that project first.
    fn with_import_hint(&self, spec: &PackageSpec, e: PackageError) -> PackageError {
        let PackageError::NotFound { spec: s, mut candidates } = e else { return e };
        if matches!(spec.kind, None | Some(PackageKind::Python)) {
            if let Ok(imports) = self.import_packages() {
                if let Some(shippers) = imports.get(&super::python::normalize(&spec.name)) {
                    let first: Vec<String> = shippers
                        .iter()
                        .map(|(project, _)| format!("python:{project} (its import package `{}`)", spec.name))
                        .collect();
                    candidates.retain(|c| !shippers.iter().any(|(p, _)| c == &format!("python:{p}")));
                    candidates.splice(0..0, first);
                }
            }
        }
        PackageError::NotFound { spec: s, candidates }
    }

    fn python_project_at(&self, dirs: &[Vec<u8>]) -> Option<String> {
        let table = self.table(PackageKind::Python).ok()?;
        table.entries().iter().find(|e| dirs.first() == Some(&e.dir)).map(|e| e.keys[0].clone())
    }

    /// The import packages of the tree's Python projects, found once: a
    /// directory with an `__init__.py` directly in a project's directory or
    /// in its `src/`.
    pub(super) fn import_packages(&self) -> Result<&ImportPackages, ReadError> {
        if let Some(found) = self.imports.get() {
            return Ok(found);
        }
        let table = self.table(PackageKind::Python)?;
        let projects: HashMap<&[u8], &str> =
            table.entries().iter().map(|e| (e.dir.as_slice(), e.keys[0].as_str())).collect();
        let mut out = ImportPackages::new();
        if !projects.is_empty() {
            for path in self.files.paths() {
                let Some(package_dir) = path.strip_suffix(b"__init__.py") else { continue };
                let package_dir = package_dir.strip_suffix(b"/").unwrap_or(package_dir);
                if !path.ends_with(b"/__init__.py") && path != b"__init__.py" {
                    continue;
                }
                let (above, name) = super::table::split_dir(package_dir);
                let project_dir = match projects.get(above) {
                    Some(_) => above,
                    None => match above.strip_suffix(b"src").filter(|d| d.is_empty() || d.ends_with(b"/")) {
                        Some(d) => d.strip_suffix(b"/").unwrap_or(d),
                        None => continue,
                    },
                };
                let (Some(project), Ok(name)) = (projects.get(project_dir), std::str::from_utf8(name)) else {
                    continue;
                };
                let shippers = out.entry(super::python::normalize(name)).or_default();
                if !shippers.iter().any(|(p, _)| p == project) {
                    shippers.push((project.to_string(), project_dir.to_vec()));
                }
            }
        }
        Ok(self.imports.get_or_init(|| out))
    }
}

fn show_dir(dir: &[u8]) -> String {
    if dir.is_empty() {
        "./".to_string()
    } else {
        format!("{}/", String::from_utf8_lossy(dir))
    }
}
