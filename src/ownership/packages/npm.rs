//! npm: `package.json` top-level `name`.

use super::table::{exact, utf8, Entry, ManifestKind, Parsed};

/// How npm packages are found.
pub(super) const KIND: ManifestKind = ManifestKind {
    file_names: &["package.json"],
    skip_component: Some("node_modules"),
    // A nameless package.json is often only a marker (`{"type": "module"}` in
    // a build output folder), not a package of its own.
    file_is_boundary: false,
    parse,
    normalize: exact,
    link: super::table::unlinked,
};

fn parse(dir: &[u8], text: &[u8]) -> Parsed {
    json_name(dir, text)
}

/// The top-level string `name` of a JSON manifest (npm and Composer share the shape).
pub(super) fn json_name(dir: &[u8], text: &[u8]) -> Parsed {
    let value: serde_json::Value =
        serde_json::from_str(utf8(text)?).map_err(|e| format!("invalid JSON: {e}"))?;
    let serde_json::Value::Object(top) = value else {
        return Err("top level is not a JSON object".into());
    };
    match top.get("name") {
        None => Ok(Vec::new()),
        Some(serde_json::Value::String(name)) if !name.is_empty() => Ok(vec![Entry::new(name.as_str(), dir)]),
        Some(serde_json::Value::String(_)) => Err("`name` is empty".into()),
        Some(_) => Err("`name` is not a string".into()),
    }
}
