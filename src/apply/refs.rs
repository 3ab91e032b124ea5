//! Which refs and tags `apply` splits, and writing them into a team
//! repository: branches as the monolith names them, tags recreated on
//! their rewritten targets.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use git2::{ObjectType, Oid, Repository};

use crate::manifest::{version_order, Manifest};
use crate::odb::id::push_hex;
use crate::odb::pack::PackSink;
use crate::odb::{GitError, Repo};
use crate::rewrite::tag_state::{SavedTag, TagState, TAGS};
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

/// The most tags one chain may hold (a tag of a tag of ... a commit): git
/// sets no limit, and a longer chain is only followed this far.
pub const MAX_TAG_CHAIN: usize = 64;

/// Why a monolith tag is in no team repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TagSkip {
    /// It tags a tree, which holds every team's files.
    Tree,
    /// It tags a blob, which no team's history places.
    Blob,
    /// An object of its chain is missing or cannot be read.
    Unreadable,
    /// Its chain of tags is longer than [`MAX_TAG_CHAIN`].
    ChainTooLong,
}

impl std::fmt::Display for TagSkip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TagSkip::Tree => "it tags a tree, which holds every team's files",
            TagSkip::Blob => "it tags a blob, which no team's history places",
            TagSkip::Unreadable => "an object of its chain cannot be read",
            TagSkip::ChainTooLong => "its chain of tags of tags is too long",
        })
    }
}

/// A monolith tag that no team repository gets, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkippedTag {
    /// The ref, `refs/tags/...`.
    pub name: String,
    /// Why.
    pub reason: TagSkip,
}

/// The commit a chain of tags starting at `id` ends on, following at most
/// [`MAX_TAG_CHAIN`] tags; a chain that ends elsewhere is why the tag
/// cannot come along.
fn peel_chain(odb: &git2::Odb<'_>, mut id: Oid) -> Result<Oid, TagSkip> {
    for _ in 0..=MAX_TAG_CHAIN {
        let (_, kind) = odb.read_header(id).map_err(|_| TagSkip::Unreadable)?;
        match kind {
            ObjectType::Commit => return Ok(id),
            ObjectType::Tree => return Err(TagSkip::Tree),
            ObjectType::Blob => return Err(TagSkip::Blob),
            _ => {
                let obj = odb.read(id).map_err(|_| TagSkip::Unreadable)?;
                id = tag_target(obj.data()).ok_or(TagSkip::Unreadable)?.0;
            }
        }
    }
    Err(TagSkip::ChainTooLong)
}

/// The `object` and `type` a tag object's header names.
fn tag_target(data: &[u8]) -> Option<(Oid, &[u8])> {
    let header = &data[..data.windows(2).position(|w| w == b"\n\n").unwrap_or(data.len())];
    let field = |name: &[u8]| header.split(|&b| b == b'\n').find_map(|l| l.strip_prefix(name));
    let object = Oid::from_str(std::str::from_utf8(field(b"object ")?).ok()?).ok()?;
    Some((object, field(b"type ")?))
}

/// The monolith's tags, name to the object each names: read from the ref
/// store's files, or through libgit2 when they hold what that reader does
/// not know (a symbolic tag is resolved then). A tag that cannot be read is
/// left out, as git leaves out a broken ref.
/// `common_dir` is the repository's common directory, `git_dir` its own.
pub(super) fn monolith_tags(common_dir: &Path, git_dir: &Path) -> BTreeMap<String, Oid> {
    if let Some(tags) = crate::odb::refs::direct_refs(common_dir, "refs/tags/") {
        return tags;
    }
    let mut out = BTreeMap::new();
    let Ok(repo) = Repository::open(git_dir) else { return out };
    let Ok(refs) = repo.references_glob("refs/tags/*") else { return out };
    for r in refs.flatten() {
        let Ok(name) = r.name().map(str::to_string) else { continue };
        if let Some(target) = r.target().or_else(|| r.resolve().ok().and_then(|r| r.target())) {
            out.insert(name, target);
        }
    }
    out
}

/// Of the monolith's `tags` (name to target), those pointing into the
/// history `into` says is selected: lightweight, annotated, and chains of
/// tags of tags ending on a commit of it. Also every tag that cannot come
/// along, whatever it points into.
/// `peeled` gives the commit a tag object ends on when a previous run
/// saved it: those chains are not read again.
pub(super) fn tags_into(
    repo: &Repository,
    tags: &BTreeMap<String, Oid>,
    into: &dyn Fn(Oid) -> bool,
    peeled: &dyn Fn(Oid) -> Option<Oid>,
) -> (Vec<SourceRef>, Vec<SkippedTag>) {
    let (mut out, mut skipped) = (Vec::new(), Vec::new());
    let Ok(odb) = repo.odb() else { return (out, skipped) };
    for (name, &target) in tags {
        match peeled(target).map_or_else(|| peel_chain(&odb, target), Ok) {
            Ok(commit) if into(commit) => {
                out.push(SourceRef { name: name.clone(), commit, tag: (target != commit).then_some(target) })
            }
            Ok(_) => {}
            Err(reason) => skipped.push(SkippedTag { name: name.clone(), reason }),
        }
    }
    (out, skipped)
}

/// What the manifest's `tags:` made of one team's tags.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TeamTags {
    /// Tags written, by their name in the team repository.
    pub written: Vec<String>,
    /// Monolith tags that `select` leaves out, by their monolith name.
    pub not_selected: Vec<String>,
    /// Selected monolith tags left out by `changed_only`: the team's tree
    /// at them equals its tree at the selected tag before them in version
    /// order. By their monolith name.
    pub unchanged: Vec<String>,
}

/// A ref the team repository gets.
pub(super) struct Chosen<'r> {
    /// The monolith's ref.
    pub(super) source: &'r SourceRef,
    /// Its name in the team repository.
    pub(super) name: String,
    /// The team's commit it points to, through its tags if it has any.
    pub(super) target: Oid,
}

/// The refs the team repository gets, by the manifest's `tags:`: every
/// branch that reaches the team's history, and the selected tags that do,
/// renamed with the prefix, less those `changed_only` leaves out.
/// `target_of` maps a monolith commit to the team's; `tree_of` gives the
/// team's tree at one of the team's commits (asked only for `changed_only`).
pub(super) fn choose_refs<'r>(
    ctx: &TeamCtx<'r>,
    target_of: &dyn Fn(Oid) -> Option<Oid>,
    tree_of: &mut dyn FnMut(Oid) -> Result<Oid, TeamError>,
) -> Result<(Vec<Chosen<'r>>, TeamTags), TeamError> {
    let tags = &ctx.manifest.teams[ctx.team].tags;
    let mut report = TeamTags::default();
    let mut chosen = Vec::new();
    let mut candidates = Vec::new();
    for r in ctx.refs {
        let Some(short) = r.name.strip_prefix("refs/tags/") else {
            if let Some(target) = target_of(r.commit) {
                chosen.push(Chosen { source: r, name: r.name.clone(), target });
            }
            continue;
        };
        if !tags.selects(short) {
            report.not_selected.push(r.name.clone());
        } else if let Some(target) = target_of(r.commit) {
            candidates.push((short, r, target));
        }
    }
    if tags.changed_only {
        // Version order of the names: the same for every run and every
        // choice of teams, since it depends on nothing but the selection.
        candidates.sort_by(|a, b| version_order(a.0, b.0));
        let mut previous = None;
        let mut kept = Vec::with_capacity(candidates.len());
        for c in candidates {
            let tree = tree_of(c.2)?;
            if previous.replace(tree) == Some(tree) {
                report.unchanged.push(c.1.name.clone());
            } else {
                kept.push(c);
            }
        }
        candidates = kept;
    }
    for (short, r, target) in candidates {
        let name = tags.team_name(short);
        if !tags.prefix.is_empty() && !git2::Reference::is_valid_name(&name) {
            return Err(TeamError::TagName { tag: r.name.clone(), name });
        }
        report.written.push(name.clone());
        chosen.push(Chosen { source: r, name, target });
    }
    report.written.sort();
    report.unchanged.sort();
    Ok((chosen, report))
}

/// Writes the refs `choose_refs` gives into the team repository `out`,
/// the monolith's tags recreated on the team's commits (or taken as
/// `saved` says a previous run made them), and saves what each became.
pub(super) fn write_refs(
    src: &Repository,
    out: &Repository,
    ctx: &TeamCtx<'_>,
    target_of: &dyn Fn(Oid) -> Option<Oid>,
    saved: &TagState,
    written: &mut BTreeMap<String, String>,
) -> Result<TeamTags, TeamError> {
    let mut tree_of = |c: Oid| {
        out.find_commit(c).map(|c| c.tree_id()).map_err(tgit(format!("reading the team's commit {c}")))
    };
    let (chosen, tags) = choose_refs(ctx, target_of, &mut tree_of)?;
    let prefix = &ctx.manifest.teams[ctx.team].tags.prefix;
    let mut sink = PackSink::new(out.path()).map_err(HistoryError::from)?;
    let odb = src.odb().map_err(tgit("opening the monolith odb"))?;
    let out_odb = out.odb().map_err(tgit("opening the staging odb"))?;
    let mut made = HashMap::new();
    let mut refs = Vec::with_capacity(chosen.len());
    let mut now = Vec::new();
    for c in chosen {
        let id = match c.source.tag {
            // A tag a previous run made is in the packs linked from it.
            Some(tag) => match saved.written(tag, c.target, prefix).filter(|&id| out_odb.exists(id)) {
                Some(id) => id,
                None => recreate_tag(&odb, &mut sink, tag, c.target, prefix, &mut made)?,
            },
            None => c.target,
        };
        if c.name.starts_with("refs/tags/") {
            let tag = c.source.tag.unwrap_or(c.source.commit);
            now.push(SavedTag { tag, commit: c.source.commit, target: c.target, written: id });
        }
        refs.push((c.name, id, c.target));
    }
    sink.finish().map_err(HistoryError::from)?;
    let marker = out.path().join(MARKER_DIR);
    TagState::write(&marker, prefix, &now)
        .map_err(tio(format!("writing {}", marker.join(TAGS).display())))?;
    write_packed_refs(out.path(), &refs, written)?;
    Ok(tags)
}

/// Writes `refs` (name, the object it names, the commit that peels to) as
/// the staging repository's `packed-refs`, sorted and fully peeled, as
/// `git pack-refs --all` writes it, and records each in `written`. One file
/// instead of one per ref: with thousands of tags, creating ref files was
/// most of what a run with nothing new did. The staging repository has no
/// ref yet.
pub(super) fn write_packed_refs(
    repo_dir: &Path,
    refs: &[(String, Oid, Oid)],
    written: &mut BTreeMap<String, String>,
) -> Result<(), TeamError> {
    let mut sorted: Vec<&(String, Oid, Oid)> = refs.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    sorted.dedup_by(|a, b| a.0 == b.0);
    let mut text = String::with_capacity(PACKED_REFS_HEADER.len() + sorted.len() * 100);
    text.push_str(PACKED_REFS_HEADER);
    for (name, id, peeled) in &sorted {
        push_hex(&mut text, id);
        text.push(' ');
        text.push_str(name);
        text.push('\n');
        if id != peeled {
            text.push('^');
            push_hex(&mut text, peeled);
            text.push('\n');
        }
    }
    let path = repo_dir.join("packed-refs");
    fault::io_point("finish.refs")
        .and_then(|_| std::fs::write(&path, text))
        .map_err(tio(format!("writing {}", path.display())))?;
    for (name, _, peeled) in sorted {
        written.insert(name.clone(), peeled.to_string());
    }
    Ok(())
}

/// The first line of the `packed-refs` file `write_packed_refs` writes.
const PACKED_REFS_HEADER: &str = "# pack-refs with: peeled fully-peeled sorted \n";

/// The refs `write_packed_refs` wrote into the staging repository
/// `repo_dir` (its only refs), name to the object each names: read back
/// from the file rather than through the ref store, which would parse and
/// sort thousands of tags again.
pub(super) fn read_packed_refs(repo_dir: &Path) -> Result<BTreeMap<String, Oid>, TeamError> {
    let path = repo_dir.join("packed-refs");
    let text = match std::fs::read_to_string(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        other => other.map_err(tio(format!("reading {}", path.display())))?,
    };
    let bad = || TeamError::Io {
        context: format!("reading {}", path.display()),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not as written"),
    };
    let mut refs = BTreeMap::new();
    for line in text.strip_prefix(PACKED_REFS_HEADER).ok_or_else(bad)?.lines() {
        if line.starts_with('^') {
            continue;
        }
        let (id, name) = line.split_once(' ').ok_or_else(bad)?;
        let id = crate::odb::id::parse_hex_key(id.as_bytes()).ok_or_else(bad)?;
        refs.insert(name.to_string(), crate::odb::id::oid(&id));
    }
    Ok(refs)
}

/// Recreates the chain of tags starting at `tag` on the rewritten commit
/// `target`: each tag keeps its name, tagger and message and tags the
/// rewrite of what it tagged, so a tag of a tag stays a tag of that
/// (rewritten) tag. Signatures cannot survive and are dropped; `prefix`
/// (the manifest's `tags.prefix`) is put before each tag's name. `made`
/// holds the tags recreated for this team so far.
pub(super) fn recreate_tag(
    odb: &git2::Odb<'_>,
    out: &mut PackSink,
    tag: Oid,
    target: Oid,
    prefix: &str,
    made: &mut HashMap<Oid, Oid>,
) -> Result<Oid, TeamError> {
    // The chain, outermost first, down to the tag of the commit or to a
    // tag recreated already (one the chain shares with another ref).
    let mut chain: Vec<(Oid, Vec<u8>)> = Vec::new();
    let (mut id, mut new) = (tag, target);
    loop {
        if let Some(&done) = made.get(&id) {
            new = done;
            break;
        }
        if chain.len() == MAX_TAG_CHAIN {
            return Err(TeamError::Tag { tag, problem: TagSkip::ChainTooLong });
        }
        let data = odb.read(id).map_err(tgit(format!("reading tag {id}")))?.data().to_vec();
        let (inner, kind) = tag_target(&data).ok_or(TeamError::Tag { tag, problem: TagSkip::Unreadable })?;
        let of_tag = kind == b"tag";
        chain.push((id, data));
        if !of_tag {
            break;
        }
        id = inner;
    }
    for (id, data) in chain.into_iter().rev() {
        new = out
            .write(crate::odb::ObjectKind::Tag, &retarget(&data, new, prefix))
            .map_err(HistoryError::from)?;
        made.insert(id, new);
    }
    Ok(new)
}

/// A tag object's bytes with its `object` replaced by `target` and
/// `prefix` put before its name, without a signature (a `gpgsig` header,
/// or one appended to the message).
fn retarget(data: &[u8], target: Oid, prefix: &str) -> Vec<u8> {
    let split = data.windows(2).position(|w| w == b"\n\n").map_or(data.len(), |p| p + 1);
    let (header, message) = data.split_at(split);
    let mut buf = Vec::with_capacity(data.len());
    let mut in_signature = false;
    for line in header.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        // A header's continuation lines start with a space.
        if in_signature && line.starts_with(b" ") {
            continue;
        }
        in_signature = line.starts_with(b"gpgsig");
        if in_signature {
            continue;
        }
        if line.starts_with(b"object ") {
            buf.extend_from_slice(format!("object {target}\n").as_bytes());
        } else if let Some(name) = line.strip_prefix(b"tag ").filter(|_| !prefix.is_empty()) {
            buf.extend_from_slice(b"tag ");
            buf.extend_from_slice(prefix.as_bytes());
            buf.extend_from_slice(name);
            buf.push(b'\n');
        } else {
            buf.extend_from_slice(line);
            buf.push(b'\n');
        }
    }
    buf.extend_from_slice(&message[..signature_start(message)]);
    buf
}

/// Where the signature appended to a tag message starts (its length when
/// it has none): the last line that opens a signature, as git's
/// `parse_signed_buffer` finds it.
fn signature_start(message: &[u8]) -> usize {
    const MARKERS: [&[u8]; 4] = [
        b"-----BEGIN PGP SIGNATURE-----",
        b"-----BEGIN PGP MESSAGE-----",
        b"-----BEGIN SIGNED MESSAGE-----",
        b"-----BEGIN SSH SIGNATURE-----",
    ];
    let mut at = message.len();
    let mut start = 0;
    while start < message.len() {
        let line = &message[start..];
        if MARKERS.iter().any(|m| line.starts_with(m)) {
            at = start;
        }
        start += line.iter().position(|&b| b == b'\n').map_or(line.len(), |p| p + 1);
    }
    at
}
