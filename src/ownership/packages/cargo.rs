//! Cargo: `Cargo.toml` `[package] name`.

use super::table::{exact, one_line, utf8, Entry, ManifestKind, Parsed};

/// How Cargo packages are found.
pub(super) const KIND: ManifestKind = ManifestKind {
    file_names: &["Cargo.toml"],
    skip_component: None,
    // `cargo package` leaves out every subdirectory holding a Cargo.toml,
    // virtual workspace roots and broken manifests included.
    boundaries: super::table::Boundaries::EveryManifest,
    parse,
    // Cargo itself keeps `-` and `_` distinct in package names; the other
    // spelling is offered as a suggestion instead.
    normalize: exact,
    link: super::table::unlinked,
};

fn parse(dir: &[u8], text: &[u8]) -> Parsed {
    let doc: toml::Table = utf8(text)?.parse().map_err(|e| format!("invalid TOML: {}", one_line(&e)))?;
    match doc.get("package") {
        // A virtual manifest (`[workspace]` only) declares no package.
        None => Ok(Vec::new()),
        Some(toml::Value::Table(package)) => match package.get("name") {
            Some(toml::Value::String(name)) if !name.is_empty() => Ok(vec![Entry::new(name.as_str(), dir)]),
            Some(toml::Value::String(_)) => Err("[package] name is empty".into()),
            Some(_) => Err("[package] name is not a string".into()),
            None => Err("[package] has no name".into()),
        },
        Some(_) => Err("`package` is not a table".into()),
    }
}
