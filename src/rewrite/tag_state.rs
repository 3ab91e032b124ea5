//! What a team's tags became, saved beside its state (`split/tags`), so
//! that a rerun reads and writes no tag object it handled before.
//!
//! A recreated tag depends only on the monolith tag object (its bytes, so
//! its id), the team commit its chain ends on, and the prefix of the tag
//! names: each line keeps that key and the tag it gave. The monolith commit
//! each tag object peels to is kept too (a tag object never changes), so a
//! rerun need not follow the chains again. A file that is missing, of
//! another version or damaged is no file: the tags are made again, to the
//! same ids.

use std::collections::HashMap;
use std::path::Path;

use git2::Oid;

use crate::odb::id::{oid, parse_hex_key, push_hex};

/// The file's name, in the team repository's `split` directory.
pub const TAGS: &str = "tags";

/// The first line of the file; another is not read.
const HEADER: &str = "git-split tags 1";

/// A tag the team repository holds: the monolith tag object a ref names,
/// the monolith commit it peels to, the team commit the recreated chain
/// ends on, and the recreated outermost tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SavedTag {
    /// The monolith's tag object (outermost of its chain).
    pub tag: Oid,
    /// The monolith commit its chain ends on.
    pub commit: Oid,
    /// The team's commit the recreated chain ends on.
    pub target: Oid,
    /// The recreated outermost tag.
    pub written: Oid,
}

/// The tags a previous run wrote for one team, by monolith tag object.
#[derive(Debug, Default)]
pub struct TagState {
    prefix: String,
    by_tag: HashMap<Oid, SavedTag>,
}

impl TagState {
    /// Reads `dir/tags`; anything unreadable gives an empty state.
    pub fn read(dir: &Path) -> TagState {
        std::fs::read_to_string(dir.join(TAGS)).ok().and_then(|t| TagState::parse(&t)).unwrap_or_default()
    }

    fn parse(text: &str) -> Option<TagState> {
        let mut lines = text.lines();
        (lines.next()? == HEADER).then_some(())?;
        let prefix = lines.next()?.strip_prefix("prefix ")?.to_string();
        let mut by_tag = HashMap::new();
        for line in lines {
            let mut ids = line.split(' ').map(|h| parse_hex_key(h.as_bytes()).map(|k| oid(&k)));
            let mut next = || ids.next().flatten();
            let saved = SavedTag { tag: next()?, commit: next()?, target: next()?, written: next()? };
            if ids.next().is_some() {
                return None;
            }
            by_tag.insert(saved.tag, saved);
        }
        Some(TagState { prefix, by_tag })
    }

    /// The monolith commit tag object `tag` peels to, if saved.
    pub fn peeled(&self, tag: Oid) -> Option<Oid> {
        self.by_tag.get(&tag).map(|s| s.commit)
    }

    /// The tag written for monolith tag `tag` ending on team commit
    /// `target` under `prefix`, if a previous run wrote that one.
    pub fn written(&self, tag: Oid, target: Oid, prefix: &str) -> Option<Oid> {
        let s = self.by_tag.get(&tag).filter(|s| s.target == target && self.prefix == prefix)?;
        Some(s.written)
    }

    /// Saved tags, any order.
    pub fn iter(&self) -> impl Iterator<Item = &SavedTag> {
        self.by_tag.values()
    }

    /// Writes `tags` (written under `prefix`) as `dir/tags`, sorted.
    pub fn write(dir: &Path, prefix: &str, tags: &[SavedTag]) -> std::io::Result<()> {
        let mut sorted: Vec<&SavedTag> = tags.iter().collect();
        sorted.sort_by_key(|s| s.tag);
        sorted.dedup_by_key(|s| s.tag);
        let mut text = String::with_capacity(40 + prefix.len() + 164 * sorted.len());
        text.push_str(&format!("{HEADER}\nprefix {prefix}\n"));
        for s in sorted {
            for (i, id) in [s.tag, s.commit, s.target, s.written].iter().enumerate() {
                if i > 0 {
                    text.push(' ');
                }
                push_hex(&mut text, id);
            }
            text.push('\n');
        }
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join(TAGS), text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).unwrap()
    }

    #[test]
    fn written_back_as_read() {
        let tmp = tempfile::tempdir().unwrap();
        let a = SavedTag { tag: id(1), commit: id(2), target: id(3), written: id(4) };
        let b = SavedTag { tag: id(5), commit: id(2), target: id(3), written: id(6) };
        TagState::write(tmp.path(), "web-", &[b, a]).unwrap();
        let s = TagState::read(tmp.path());
        assert_eq!(s.peeled(id(1)), Some(id(2)));
        assert_eq!(s.written(id(5), id(3), "web-"), Some(id(6)));
        assert_eq!(s.written(id(5), id(3), ""), None, "another prefix");
        assert_eq!(s.written(id(5), id(7), "web-"), None, "another target");
        assert_eq!(s.written(id(9), id(3), "web-"), None);
    }

    #[test]
    fn anything_unreadable_is_no_state() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(TagState::read(tmp.path()).iter().count(), 0, "missing");
        let good = format!("{HEADER}\nprefix \n{} {} {} {}\n", id(1), id(2), id(3), id(4));
        for bad in [
            good.replace("tags 1", "tags 0"),
            good.replace("prefix ", "prefi "),
            good.replace(&format!(" {}\n", id(4)), "\n"),
            good.replace(&id(3).to_string(), "xyz"),
            format!("{good}{} {} {} {} {}\n", id(1), id(2), id(3), id(4), id(5)),
        ] {
            std::fs::write(tmp.path().join(TAGS), bad).unwrap();
            assert_eq!(TagState::read(tmp.path()).iter().count(), 0);
        }
        std::fs::write(tmp.path().join(TAGS), good).unwrap();
        assert_eq!(TagState::read(tmp.path()).iter().count(), 1);
    }
}
