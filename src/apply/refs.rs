//! Which refs and tags `apply` splits, and writing them into a team
//! repository: branches as the monolith names them, tags recreated on
//! their rewritten targets.

use std::collections::BTreeMap;

use git2::{ObjectType, Oid, Repository};

use crate::manifest::Manifest;
use crate::odb::pack::PackSink;
use crate::odb::{GitError, Repo};
use crate::rewrite::HistoryError;
use crate::util::fault;

use super::*;

/// A ref to carry into team repositories.
#[derive(Clone, Debug)]
pub(super) struct SourceRef {
    pub(super) name: String,
    /// The commit it (eventually) points to.
    pub(super) commit: Oid,
    /// The annotated tag object, for tags.
    pub(super) tag: Option<Oid>,
}

/// The selected refs: the manifest's `monolith.refs` (or `--ref`, or HEAD's
/// branch), plus every tag pointing into their history.
pub(super) fn select_refs(
    repo: &Repo,
    manifest: &Manifest,
    rev: Option<&str>,
) -> Result<Vec<SourceRef>, ApplyError> {
    let git = repo.raw();
    let mut names: Vec<String> = Vec::new();
    let wanted: Vec<String> = match rev {
        Some(r) => vec![r.to_string()],
        None if manifest.refs.is_empty() => {
            let head = git.head().map_err(|_| GitError::NoHead { repo: repo.path().to_path_buf() })?;
            vec![head.name().unwrap_or("HEAD").to_string()]
        }
        None => manifest.refs.iter().map(|r| r.value.clone()).collect(),
    };
    for w in &wanted {
        if w.contains(['*', '?', '[']) {
            let found = repo.refs_matching(w)?;
            if found.is_empty() {
                return Err(ApplyError::NoSuchRef(w.clone()));
            }
            names.extend(found);
        } else if let Ok(r) = git.resolve_reference_from_short_name(w) {
            names.push(r.name().map_err(|_| ApplyError::NoSuchRef(w.clone()))?.to_string());
        } else {
            // A revision that is not a ref: split it as a branch named `split`.
            repo.resolve(w)?;
            names.push(format!("refs/heads/split:{w}"));
        }
    }
    let mut out = Vec::new();
    for name in names {
        if let Some((branch, revision)) = name.split_once(':') {
            let r = repo.resolve(revision)?;
            out.push(SourceRef { name: branch.to_string(), commit: r.commit, tag: None });
            continue;
        }
        let r = git.find_reference(&name).map_err(|_| ApplyError::NoSuchRef(name.clone()))?;
        let target = r.target().ok_or_else(|| ApplyError::NoSuchRef(name.clone()))?;
        let commit = r.peel_to_commit().map_err(|_| ApplyError::NoSuchRef(name.clone()))?.id();
        let tag = (target != commit).then_some(target);
        out.push(SourceRef { name, commit, tag });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    Ok(out)
}

/// Tags (lightweight or annotated on a commit) pointing into `commits`.
pub(super) fn tags_into(repo: &Repository, into: &dyn Fn(Oid) -> bool) -> Vec<SourceRef> {
    let mut out = Vec::new();
    let Ok(refs) = repo.references_glob("refs/tags/*") else { return out };
    for r in refs.flatten() {
        let (Ok(name), Some(target)) = (r.name(), r.target()) else { continue };
        let Ok(commit) = r.peel_to_commit() else { continue };
        if !into(commit.id()) {
            continue;
        }
        let tag = match repo.find_object(target, None).map(|o| o.kind()) {
            Ok(Some(ObjectType::Tag)) => {
                // Only tags directly on a commit are recreated; a tag of a tag is rare
                // and its signature chain cannot survive anyway.
                match repo.find_tag(target) {
                    Ok(t) if t.target_id() == commit.id() => Some(target),
                    _ => continue,
                }
            }
            _ => None,
        };
        out.push(SourceRef { name: name.to_string(), commit: commit.id(), tag });
    }
    out
}

pub(super) fn write_refs(
    src: &Repository,
    out: &Repository,
    ctx: &TeamCtx<'_>,
    target_of: &dyn Fn(Oid) -> Option<Oid>,
    written: &mut BTreeMap<String, String>,
) -> Result<(), TeamError> {
    let mut sink = PackSink::new(out.path()).map_err(HistoryError::from)?;
    let mut ids = Vec::new();
    for r in ctx.refs {
        let Some(target) = target_of(r.commit) else { continue };
        let id = match r.tag {
            Some(tag) => recreate_tag(src, &mut sink, tag, target)?,
            None => target,
        };
        ids.push((r, id, target));
    }
    sink.finish().map_err(HistoryError::from)?;
    for (r, id, target) in ids {
        out.reference(&r.name, id, true, "git-split apply").map_err(tgit(format!("writing {}", r.name)))?;
        fault::point("finish.ref");
        written.insert(r.name.clone(), target.to_string());
    }
    Ok(())
}

/// An annotated tag with the same name, tagger and message on the rewritten
/// commit; a signature cannot survive and is dropped.
pub(super) fn recreate_tag(
    src: &Repository,
    out: &mut PackSink,
    tag: Oid,
    target: Oid,
) -> Result<Oid, TeamError> {
    let odb = src.odb().map_err(tgit("opening the monolith odb"))?;
    let obj = odb.read(tag).map_err(tgit(format!("reading tag {tag}")))?;
    let data = obj.data();
    let split = data.windows(2).position(|w| w == b"\n\n").map_or(data.len(), |p| p + 1);
    let (header, message) = data.split_at(split);
    let mut buf = Vec::with_capacity(data.len());
    for line in header.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if line.starts_with(b"object ") {
            buf.extend_from_slice(format!("object {target}\n").as_bytes());
        } else {
            buf.extend_from_slice(line);
            buf.push(b'\n');
        }
    }
    let mut message = message.to_vec();
    for marker in [
        &b"-----BEGIN PGP SIGNATURE-----"[..],
        b"-----BEGIN SSH SIGNATURE-----",
        b"-----BEGIN SIGNED MESSAGE-----",
    ] {
        if let Some(p) = message.windows(marker.len()).position(|w| w == marker) {
            message.truncate(p);
        }
    }
    buf.extend_from_slice(&message);
    Ok(out.write(crate::odb::ObjectKind::Tag, &buf).map_err(HistoryError::from)?)
}
