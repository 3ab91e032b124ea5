//! Composer: `composer.json` top-level `name`.

use super::table::{exact, ManifestKind, Parsed};

/// How Composer packages are found.
pub(super) const KIND: ManifestKind = ManifestKind {
    file_names: &["composer.json"],
    skip_component: Some("vendor"),
    boundaries: super::table::Boundaries::EveryPackage,
    parse,
    normalize: exact,
    link: super::table::unlinked,
};

fn parse(dir: &[u8], text: &[u8]) -> Parsed {
    super::npm::json_name(dir, text)
}
