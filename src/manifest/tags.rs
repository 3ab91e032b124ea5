//! `tags:` — which monolith tags a team repository gets, and under which
//! names: at the top level and per team, a team's keys overriding the top
//! level's one by one.
//!
//! `select` globs match a tag's name (without `refs/tags/`) as `git tag
//! --list` does: git's wildmatch without flags, so `*` also matches `/`.
//! `changed_only` compares each selected tag with the one before it in
//! version order, the order of `git tag --sort=version:refname`.

use std::cmp::Ordering;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::remote::check_placeholders;
use super::{ErrorKind, Loc, Located, ManifestError, TEAM_PLACEHOLDER};

/// More `*` than this in one `select` glob is refused: the matcher stops
/// looking past that many nested stars, where git would go on.
pub const MAX_GLOB_STARS: usize = 32;

/// Longer `select` globs and prefixes are refused (no tag name is longer).
pub const MAX_TAG_TEXT: usize = 1024;

/// `tags:` as YAML spells it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTags {
    #[serde(default)]
    pub select: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub changed_only: Option<bool>,
    #[serde(default)]
    pub prefix: Option<Spanned<String>>,
}

/// A `select` glob, matched against a tag's name as `git tag --list` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagGlob(String);

impl TagGlob {
    /// Checks a glob; the error says why it is refused.
    pub fn parse(text: &str) -> Result<TagGlob, String> {
        if text.is_empty() {
            return Err("it is empty".into());
        }
        if text.len() > MAX_TAG_TEXT {
            return Err(format!("it is longer than {MAX_TAG_TEXT} bytes"));
        }
        if text.chars().any(char::is_control) {
            return Err("it holds a control character".into());
        }
        if text.starts_with("refs/") {
            return Err("globs match tag names without `refs/tags/` (`v*`, not `refs/tags/v*`)".into());
        }
        if text.matches('*').count() > MAX_GLOB_STARS {
            return Err(format!("it holds more than {MAX_GLOB_STARS} `*`"));
        }
        Ok(TagGlob(text.to_string()))
    }

    /// The glob as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Does tag `name` (without `refs/tags/`) match, as `git tag --list
    /// GLOB` would list it?
    pub fn matches(&self, name: &str) -> bool {
        gix_glob::wildmatch(
            self.0.as_bytes().into(),
            name.as_bytes().into(),
            gix_glob::wildmatch::Mode::empty(),
        )
    }
}

/// What one team's repository gets of the monolith's tags.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tags {
    /// `select`: a tag is brought along when its name matches one of
    /// these; `None` (no `select`) brings every tag.
    pub select: Option<Vec<Located<TagGlob>>>,
    /// `changed_only`: a selected tag whose team tree equals that of the
    /// selected tag before it in version order is not written.
    pub changed_only: bool,
    /// `prefix`, `{team}` expanded: put before every tag name in the team
    /// repository (empty: none).
    pub prefix: String,
}

impl Tags {
    /// Is the monolith tag `name` (without `refs/tags/`) selected?
    pub fn selects(&self, name: &str) -> bool {
        self.select.as_ref().is_none_or(|globs| globs.iter().any(|g| g.value.matches(name)))
    }

    /// The name tag `name` (without `refs/tags/`) gets in the team
    /// repository, `refs/tags/` included.
    pub fn team_name(&self, name: &str) -> String {
        format!("refs/tags/{}{name}", self.prefix)
    }
}

/// One `tags:` mapping, checked, before a team's keys meet the top level's.
#[derive(Debug, Default)]
pub(super) struct TagKeys {
    select: Option<Vec<Located<TagGlob>>>,
    changed_only: Option<bool>,
    prefix: Option<Located<String>>,
}

impl TagKeys {
    /// Checks a `tags:` mapping: every glob, and the prefix's placeholders.
    pub(super) fn check(path: &Path, raw: Option<RawTags>) -> Result<TagKeys, ManifestError> {
        let Some(raw) = raw else { return Ok(TagKeys::default()) };
        let err = |loc, kind| ManifestError { file: path.to_path_buf(), loc: Some(loc), kind };
        let select = raw
            .select
            .map(|globs| {
                globs
                    .into_iter()
                    .map(|g| {
                        let loc = Loc::of(&g);
                        TagGlob::parse(&g.value).map(|value| Located { value, loc }).map_err(|reason| {
                            err(loc, ErrorKind::BadTagGlob { glob: g.value.clone(), reason })
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let prefix = match raw.prefix {
            Some(p) => {
                let loc = Loc::of(&p);
                let bad =
                    |reason: String| err(loc, ErrorKind::BadTagPrefix { prefix: p.value.clone(), reason });
                if p.value.len() > MAX_TAG_TEXT {
                    return Err(bad(format!("it is longer than {MAX_TAG_TEXT} bytes")));
                }
                if p.value.chars().any(char::is_control) {
                    return Err(bad("it holds a control character".into()));
                }
                check_placeholders(&p.value).map_err(bad)?;
                Some(Located { value: p.value, loc })
            }
            None => None,
        };
        Ok(TagKeys { select, changed_only: raw.changed_only, prefix })
    }

    /// Team `team`'s tags: its own keys, else the top level's, else the
    /// defaults; the prefix expanded for it and checked to make ref names.
    pub(super) fn for_team(
        path: &Path,
        team: &TagKeys,
        top: &TagKeys,
        name: &str,
    ) -> Result<Tags, ManifestError> {
        let prefix = match team.prefix.as_ref().or(top.prefix.as_ref()) {
            Some(p) => {
                let expanded = p.value.replace(TEAM_PLACEHOLDER, name);
                // Any tag name git accepts must make a ref name after it.
                if !expanded.is_empty() && !git2::Reference::is_valid_name(&format!("refs/tags/{expanded}x"))
                {
                    return Err(ManifestError {
                        file: path.to_path_buf(),
                        loc: Some(p.loc),
                        kind: ErrorKind::BadTagPrefix {
                            prefix: p.value.clone(),
                            reason: format!(
                                "`refs/tags/{expanded}` does not start a valid ref name (see `git check-ref-format`)"
                            ),
                        },
                    });
                }
                expanded
            }
            None => String::new(),
        };
        Ok(Tags {
            select: team.select.clone().or_else(|| top.select.clone()),
            changed_only: team.changed_only.or(top.changed_only).unwrap_or(false),
            prefix,
        })
    }
}

/// The order `git tag --sort=version:refname` gives two tag names, as
/// git's `versioncmp` (glibc's `strverscmp`) decides it without a
/// `versionsort.suffix` setting: runs of digits compare as numbers
/// (`v1.9` < `v1.10`), a run with leading zeros as a fraction, and
/// anything else byte by byte (`v1.0` < `v1.0-rc1`).
pub fn version_order(a: &str, b: &str) -> Ordering {
    // The states and tables are git's: S_N (normal), S_I (in an integer),
    // S_F (in a fraction), S_Z (in leading zeros); each row takes the class
    // of the next character: other, digit 1-9, zero.
    const S_N: usize = 0;
    const S_I: usize = 3;
    const S_F: usize = 6;
    const S_Z: usize = 9;
    const CMP: i8 = 2;
    const LEN: i8 = 3;
    const NEXT_STATE: [usize; 12] = [S_N, S_I, S_Z, S_N, S_I, S_I, S_N, S_F, S_F, S_N, S_F, S_Z];
    #[rustfmt::skip]
    const RESULT_TYPE: [i8; 36] = [
        CMP, CMP, CMP, CMP, LEN, CMP, CMP, CMP, CMP,
        CMP, -1, -1, 1, LEN, LEN, 1, LEN, LEN,
        CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP,
        CMP, 1, 1, -1, CMP, CMP, -1, CMP, CMP,
    ];
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // A C string's terminating NUL, past the end.
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let class = |c: u8| usize::from(c == b'0') + usize::from(c.is_ascii_digit());
    let (mut i, mut c1, mut c2) = (0, at(a, 0), at(b, 0));
    let mut state = S_N + class(c1);
    let mut diff = i32::from(c1) - i32::from(c2);
    while diff == 0 {
        if c1 == 0 {
            return Ordering::Equal;
        }
        state = NEXT_STATE[state];
        i += 1;
        c1 = at(a, i);
        c2 = at(b, i);
        state += class(c1);
        diff = i32::from(c1) - i32::from(c2);
    }
    let result = match RESULT_TYPE[state * 3 + class(c2)] {
        CMP => diff,
        LEN => {
            // Whichever run of digits is longer is the larger number.
            let mut j = i + 1;
            loop {
                if !at(a, j).is_ascii_digit() {
                    break if at(b, j).is_ascii_digit() { -1 } else { diff };
                }
                if !at(b, j).is_ascii_digit() {
                    break 1;
                }
                j += 1;
            }
        }
        other => i32::from(other),
    };
    result.cmp(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_wildmatch_without_flags() {
        let g = |s: &str| TagGlob::parse(s).unwrap();
        assert!(g("v*").matches("v1.0"));
        assert!(g("v*").matches("v1/beta"), "`*` crosses `/` as in `git tag --list`");
        assert!(g("api/*").matches("api/v1/x"));
        assert!(!g("api/*").matches("web/api/v1"));
        assert!(g("v[0-9].*").matches("v1.2"));
        assert!(g("v{1,2}").matches("v{1,2}"), "no brace expansion");
        assert!(!g("v{1,2}").matches("v1"));
        for (bad, why) in [
            ("", "empty"),
            ("refs/tags/v*", "without `refs/tags/`"),
            ("a\tb", "control"),
            (&"*a".repeat(33), "more than 32"),
        ] {
            assert!(TagGlob::parse(bad).unwrap_err().contains(why), "{bad:?}");
        }
    }
}
