//! The manifest exactly as YAML spells it: every key known, nothing checked
//! beyond types. Validation into the model happens in `super`.

use std::collections::HashMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawManifest {
    pub version: Spanned<u32>,
    #[serde(default)]
    pub monolith: Option<RawMonolith>,
    #[serde(default)]
    pub shared: Option<RawRule>,
    // Keyed by the spanned name so errors can point at the team's key;
    // duplicates are refused by the parser, order is fixed by sorting later.
    pub teams: Spanned<HashMap<Spanned<String>, RawTeam>>,
    #[serde(default)]
    pub history: Option<RawHistory>,
    #[serde(default)]
    pub policy: Option<RawPolicy>,
    #[serde(default)]
    pub publish: Option<RawPublish>,
    #[serde(default)]
    pub tags: Option<super::tags::RawTags>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPublish {
    #[serde(default)]
    pub remote: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMonolith {
    #[serde(default)]
    pub refs: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    #[serde(default)]
    pub packages: Vec<Spanned<String>>,
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTeam {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub owners: Vec<Spanned<String>>,
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    #[serde(default)]
    pub packages: Vec<Spanned<String>>,
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    #[serde(default)]
    pub root: Option<Spanned<String>>,
    #[serde(default)]
    pub compat: Option<Spanned<super::Compat>>,
    #[serde(default)]
    pub depends_on: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub remote: Option<Spanned<String>>,
    #[serde(default)]
    pub tags: Option<super::tags::RawTags>,
    #[serde(default)]
    pub history: Option<RawTeamHistory>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHistory {
    #[serde(default = "yes")]
    pub labels: bool,
    #[serde(default)]
    pub follow_renames: Option<Spanned<bool>>,
}

/// A team's own `history:` (labels are the manifest's alone).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTeamHistory {
    #[serde(default)]
    pub follow_renames: Option<Spanned<bool>>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    #[serde(default)]
    pub unowned: Option<super::Level>,
    #[serde(default)]
    pub overlap: Option<super::Level>,
    #[serde(default)]
    pub dependencies: Option<super::Level>,
}
