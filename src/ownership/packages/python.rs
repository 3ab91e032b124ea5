//! Python: `pyproject.toml` `[project] name` or `[tool.poetry] name`.

use super::table::{one_line, utf8, Entry, ManifestKind, Parsed};

/// How Python projects are found.
pub(super) const KIND: ManifestKind = ManifestKind {
    file_names: &["pyproject.toml"],
    skip_component: None,
    // Many pyproject.toml files only configure tools; they are not projects.
    boundaries: super::table::Boundaries::EveryPackage,
    parse,
    normalize,
    link: super::table::unlinked,
};

fn parse(dir: &[u8], text: &[u8]) -> Parsed {
    let doc: toml::Table = utf8(text)?.parse().map_err(|e| format!("invalid TOML: {}", one_line(&e)))?;
    let poetry = doc.get("tool").and_then(|t| t.get("poetry"));
    let mut keys: Vec<String> = Vec::new();
    for (table, label) in [(doc.get("project"), "[project]"), (poetry, "[tool.poetry]")] {
        let Some(table) = table else { continue };
        let Some(table) = table.as_table() else {
            return Err(format!("{label} is not a table"));
        };
        match table.get("name") {
            None => {}
            Some(toml::Value::String(name)) if !name.is_empty() => keys.push(name.clone()),
            Some(_) => return Err(format!("{label} name is not a non-empty string")),
        }
    }
    // `[project]` and `[tool.poetry]` often repeat the name.
    keys.dedup_by(|a, b| normalize(a) == normalize(b));
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![Entry::with_keys(keys, dir)])
}

/// PEP 503: lowercase, every run of `-`, `_` and `.` is one `-`.
pub(super) fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}
