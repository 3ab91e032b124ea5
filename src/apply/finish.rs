//! Finishing a team: packing what its refs reach, the commit map and
//! state, and the compat and prune histories, which borrow the monolith's
//! objects until `git pack-objects` copies them in.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use git2::{Oid, Repository};

use crate::compat::{self, CompatSplit};
use crate::manifest::Compat;
use crate::odb::pack::PackSink;
use crate::odb::Repo;
use crate::odb::{ObjectKind, Source};
use crate::rewrite::state;
use crate::rewrite::tag_state::{TagState, TAGS};
use crate::rewrite::{HistoryError, Rewritten};
use crate::util::fault;

use super::*;

/// Writes refs, the commit map and state, packs and publishes a team whose
/// history (`None` for `--history prune`) is written into its staging
/// repository.
pub(super) fn finish(
    ctx: &TeamCtx<'_>,
    st: Staged,
    history: Option<Rewritten>,
) -> Result<TeamReport, TeamError> {
    ctx.check()?;
    let Staged { staging, linked, old_refs, compat, tags, .. } = st;
    let final_path = ctx.final_path();
    let out = Repository::open_bare(&staging).map_err(tgit("reopening the staging repository"))?;
    let src = Repository::open(ctx.git_dir).map_err(tgit("opening the monolith"))?;
    let mut written_refs = BTreeMap::new();
    let written = write_history(ctx, &src, &out, history, compat, &tags, &mut written_refs)?;
    let new_refs = still_reachable(&out, &staging, &old_refs)?;
    let new_ids: Vec<Oid> = new_refs.values().copied().collect();
    let same_state = || match &written.state {
        Some(s) => fs::read_to_string(state_path(&final_path)).ok().as_ref() == Some(s),
        None => same_file(&state_path(&staging), &state_path(&final_path)),
    };
    if !linked.is_empty() && new_refs == old_refs && same_state() {
        // Nothing new for this team: keep the previous repository as it is.
        // (New commits that all were dropped still change the commit map.)
        // Its saved tags are brought up to date, though: a repository an
        // older version wrote has none, and a rename replaces them whole.
        drop(out);
        let (now, before) = (staging.join(MARKER_DIR).join(TAGS), final_path.join(MARKER_DIR).join(TAGS));
        if fs::read(&now).is_ok_and(|now_bytes| fs::read(&before).ok() != Some(now_bytes)) {
            fs::rename(&now, &before).map_err(tio(format!("writing {}", before.display())))?;
        }
        fs::remove_dir_all(&staging).map_err(tio("removing the staging repository"))?;
        let Written { considered, kept, peak_live, tags, .. } = written;
        return report_existing(ctx, &final_path, considered, kept, written_refs, tags, peak_live);
    }
    if let Some(head) = ctx.head_branch.filter(|h| written_refs.contains_key(*h)) {
        // Written as git writes a symbolic ref: libgit2's `set_head` would
        // load every packed ref first, to check the name against them.
        let path = staging.join("HEAD");
        fs::write(&path, format!("ref: {head}\n")).map_err(tio(format!("writing {}", path.display())))?;
    }
    fault::point("finish.refs");
    ctx.check()?;
    write_marker(&staging, written.map_lines, written.state)?;
    fault::point("finish.written");
    ctx.check()?;
    drop(out);
    pack(ctx, &staging, &new_ids)?;
    let (files, bytes) = tip_stats(ctx, &staging, &written_refs)?;
    let lfs_objects = if ctx.lfs { crate::lfs::objects_in(&staging)? } else { Vec::new() };
    fault::point("finish.ready");
    ctx.check()?;

    (ctx.on_event)(Event::Phase { team: ctx.name.to_string(), phase: "publishing" });
    sync_tree(&staging)?;
    publish(&staging, &final_path)?;
    fault::point("finish.published");
    Ok(TeamReport {
        rebuilt: None,
        name: ctx.name.to_string(),
        path: final_path,
        commits_considered: written.considered,
        commits_kept: written.kept,
        files,
        bytes,
        refs: written_refs,
        tags: written.tags,
        elapsed: Duration::ZERO,
        error: None,
        missing_object: None,
        lfs_objects,
        peak_live: written.peak_live,
    })
}

/// What writing a team's history left to finish.
struct Written {
    /// Commits considered and kept.
    considered: usize,
    kept: usize,
    /// The commit map and state to write, unless they are written already.
    map_lines: Option<String>,
    state: Option<String>,
    /// The most mappings the pass held at once.
    peak_live: usize,
    /// What the manifest's `tags:` made of the team's tags.
    tags: TeamTags,
}

/// Writes the team's refs, and the history they point at for compat and
/// prune teams; for a history engine team, whose commits the pass wrote,
/// closes the commit map and state it wrote as it went.
fn write_history(
    ctx: &TeamCtx<'_>,
    src: &Repository,
    out: &Repository,
    history: Option<Rewritten>,
    compat: Option<CompatSplit>,
    saved_tags: &TagState,
    written_refs: &mut BTreeMap<String, String>,
) -> Result<Written, TeamError> {
    Ok(match history {
        None if ctx.mode == HistoryMode::Rewrite => {
            let (considered, kept, map, state, tags) =
                write_compat(src, out, ctx, &fingerprint(ctx), compat, saved_tags, written_refs)?;
            Written { considered, kept, map_lines: Some(map), state, peak_live: 0, tags }
        }
        Some(mut history) => {
            let target = |c| history.get(ctx.graph, &c).and_then(|m| m.target);
            let tags = write_refs(src, out, ctx, &target, saved_tags, written_refs)?;
            // Both were written as the pass went; they are finished (and
            // named) here, in the staging repository.
            let marker = out.path().join(MARKER_DIR);
            let map_path = marker.join(state::COMMIT_MAP);
            fault::io_point("finish.commit-map").map_err(tio(format!("writing {}", map_path.display())))?;
            history.close_map()?;
            let state_path = marker.join(state::STATE);
            fault::io_point("finish.state").map_err(tio(format!("writing {}", state_path.display())))?;
            history.close_state()?;
            let peak_live = history.peak_live();
            Written {
                considered: history.len(),
                kept: history.kept(),
                map_lines: None,
                state: None,
                peak_live,
                tags,
            }
        }
        None => {
            let (kept, tags) = write_pruned(src, out, ctx, written_refs)?;
            let considered = ctx.graph.commits.len();
            Written {
                considered,
                kept,
                map_lines: Some(state::commit_map_header()),
                state: None,
                peak_live: 0,
                tags,
            }
        }
    })
}

/// The staging repository's refs, once every previous ref is checked to
/// be still reachable from them: otherwise the linked packs would carry
/// objects no ref reaches, and the team is rebuilt (`NotFastForward`,
/// nothing left staged).
fn still_reachable(
    out: &Repository,
    staging: &Path,
    old_refs: &BTreeMap<String, Oid>,
) -> Result<BTreeMap<String, Oid>, TeamError> {
    let new_refs = read_packed_refs(staging)?;
    // Most refs are unchanged, and a moved one mostly moved forward under
    // its own name: only the rest asks every new ref, so thousands of tags
    // cost a set lookup each, not a history walk per pair.
    let new_ids: HashSet<Oid> = new_refs.values().copied().collect();
    let descends = |n: &Oid, old: &Oid| out.graph_descendant_of(*n, *old).unwrap_or(false);
    for (name, old) in old_refs {
        let still = new_ids.contains(old)
            || new_refs.get(name).is_some_and(|n| descends(n, old))
            || new_refs.values().any(|n| descends(n, old));
        if !still {
            fs::remove_dir_all(staging).map_err(tio("removing the staging repository"))?;
            return Err(TeamError::NotFastForward);
        }
    }
    Ok(new_refs)
}

/// Writes the commit map and state that are not written yet into the
/// staging repository's marker directory.
fn write_marker(staging: &Path, map_lines: Option<String>, state: Option<String>) -> Result<(), TeamError> {
    let marker = staging.join(MARKER_DIR);
    fs::create_dir_all(&marker).map_err(tio("creating the split directory"))?;
    if let Some(map_lines) = map_lines {
        let map_path = marker.join(state::COMMIT_MAP);
        fault::io_point("finish.commit-map")
            .and_then(|_| fs::write(&map_path, map_lines))
            .map_err(tio(format!("writing {}", map_path.display())))?;
    }
    if let Some(state) = state {
        let state_path = marker.join(state::STATE);
        fault::io_point("finish.state")
            .and_then(|_| fs::write(&state_path, state))
            .map_err(tio(format!("writing {}", state_path.display())))?;
    }
    Ok(())
}

/// Packs what the team's refs (`new_ids`) reach where git must (compat and
/// prune teams, borrowing the monolith's objects) or where packs pile up;
/// drops the reflogs a user's configuration may have made.
fn pack(ctx: &TeamCtx<'_>, staging: &Path, new_ids: &[Oid]) -> Result<(), TeamError> {
    (ctx.on_event)(Event::Phase { team: ctx.name.to_string(), phase: "packing" });
    if ctx.packs_with_git() {
        pack_reachable(staging, new_ids)?;
        fault::point("finish.packed");
        fs::remove_file(staging.join(ALTERNATES)).map_err(tio("removing alternates"))?;
    } else if pack_count(staging)? > MAX_PACKS {
        // Each incremental run adds a pack (two with tags); git slows down
        // with hundreds. Fold them into one now and then.
        pack_reachable(staging, new_ids)?;
        fault::point("finish.packed");
    }
    // Reflogs appear when the user's config asks for them on every ref
    // (core.logAllRefUpdates=always); they would publish who ran apply, when.
    match fs::remove_dir_all(staging.join("logs")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(tio("removing reflogs")(e)),
        _ => Ok(()),
    }
}

pub(super) fn tip_stats(
    ctx: &TeamCtx<'_>,
    repo: &Path,
    refs: &BTreeMap<String, String>,
) -> Result<(u64, u64), TeamError> {
    let Some(tip) = ctx.head_branch.and_then(|h| refs.get(h)) else { return Ok((0, 0)) };
    let team = Repo::open(repo)?;
    let tree = team.resolve(tip)?.tree;
    let listing = team.list_tree(tree)?;
    Ok((listing.files.len() as u64, listing.files.iter().map(|f| f.size).sum()))
}

pub(super) fn report_existing(
    ctx: &TeamCtx<'_>,
    final_path: &Path,
    considered: usize,
    kept: usize,
    refs: BTreeMap<String, String>,
    tags: TeamTags,
    peak_live: usize,
) -> Result<TeamReport, TeamError> {
    let (files, bytes) = tip_stats(ctx, final_path, &refs)?;
    let lfs_objects = if ctx.lfs { crate::lfs::objects_in(final_path)? } else { Vec::new() };
    Ok(TeamReport {
        rebuilt: None,
        name: ctx.name.to_string(),
        path: final_path.to_path_buf(),
        commits_considered: considered,
        commits_kept: kept,
        files,
        bytes,
        refs,
        tags,
        elapsed: Duration::ZERO,
        error: None,
        missing_object: None,
        lfs_objects,
        peak_live,
    })
}

/// Packs a team repository may gather over incremental runs before they
/// are folded into one.
pub(super) const MAX_PACKS: usize = 16;

pub(super) fn pack_count(repo: &Path) -> Result<usize, TeamError> {
    Ok(fs::read_dir(repo.join("objects/pack"))
        .map_err(tio("listing packs"))?
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "pack"))
        .count())
}

/// Packs every object the new refs reach into one pack, copying monolith
/// objects in through the alternate and reusing their deltas, then drops
/// every other pack.
pub(super) fn pack_reachable(staging: &Path, new: &[Oid]) -> Result<(), TeamError> {
    let pack_dir = staging.join("objects/pack");
    let before: Vec<PathBuf> =
        fs::read_dir(&pack_dir).map_err(tio("listing packs"))?.flatten().map(|e| e.path()).collect();
    let mut input = String::new();
    for n in new {
        input.push_str(&format!("{n}\n"));
    }
    let mut cmd = Command::new("git");
    cmd.arg("--git-dir")
        .arg(staging)
        .args(["pack-objects", "--revs", "-q", "--delta-base-offset"])
        .arg(pack_dir.join("pack"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    die_with_parent(&mut cmd);
    let mut child = cmd.spawn().map_err(tio("running git pack-objects"))?;
    fault::point("pack-objects.started");
    std::io::Write::write_all(child.stdin.as_mut().expect("piped"), input.as_bytes())
        .map_err(tio("feeding git pack-objects"))?;
    drop(child.stdin.take());
    let out = child.wait_with_output().map_err(tio("running git pack-objects"))?;
    if !out.status.success() {
        return Err(TeamError::Command {
            args: "pack-objects --revs".into(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
    fault::point("pack-objects.done");
    for p in before {
        if !p.to_string_lossy().contains(&name) {
            fs::remove_file(&p).map_err(tio(format!("removing {}", p.display())))?;
        }
    }
    Ok(())
}

/// Makes a child writing into a staging directory die with us. Otherwise a
/// killed run leaves `git pack-objects` writing a pack into the staging
/// directory the next run is deleting (and fails it: "Directory not empty").
pub(super) fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: only async-signal-safe calls between fork and exec; no allocation.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent died before the prctl: nobody will wait for us.
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// A `compat` team: the split, its refs, commit map and state.
pub(super) fn write_compat(
    src: &Repository,
    out: &Repository,
    ctx: &TeamCtx<'_>,
    fp: &str,
    start: Option<CompatSplit>,
    saved_tags: &TagState,
    written: &mut BTreeMap<String, String>,
) -> Result<(usize, usize, String, Option<String>, TeamTags), TeamError> {
    let team = &ctx.manifest.teams[ctx.team];
    let (Some(c), Some(dir)) = (team.compat, team.root.as_deref()) else {
        unreachable!("the manifest gives every compat team a root")
    };
    let continued = start.is_some();
    let start = start.unwrap_or_else(|| CompatSplit::new(c));
    let before = start.order.len();
    let joins = match c {
        Compat::Subtree => Some(
            ctx.joins
                .get_or_init(|| compat::subtree_joins(src, ctx.graph).map_err(|e| e.to_string()))
                .as_ref()
                .map_err(|e| compat::CompatError::Failed(e.clone()))?,
        ),
        Compat::SplitshLegacy | Compat::Splitsh => None,
    };
    let split = compat::run(src, out, dir, start, ctx.graph, joins, &mut |done| {
        (ctx.on_event)(Event::Progress { team: ctx.name.to_string(), done })
    })?;
    let mut targets = std::collections::HashMap::new();
    for r in ctx.refs {
        let mut failed = None;
        let target = split.ref_target(r.commit, || {
            compat::tool_walk(src, ctx.git_dir, c, r.commit).unwrap_or_else(|e| {
                failed = Some(e);
                Vec::new()
            })
        });
        if let Some(e) = failed {
            return Err(e.into());
        }
        targets.insert(r.commit, target);
    }
    // A previous run kept only what its refs reached: a new commit onto a
    // split commit it dropped (an old branch merged again) needs a rebuild.
    if continued {
        let odb = out.odb().map_err(tgit("opening the staging odb"))?;
        if !split.missing_parents(before, &|p| odb.exists(p)).is_empty() {
            return Err(TeamError::NotFastForward);
        }
    }
    let target = |tip| targets.get(&tip).copied().flatten();
    let tags = write_refs(src, out, ctx, &target, saved_tags, written)?;
    // Commits no ref reaches are not kept: the map says so with zeros.
    let reachable = split.reachable(targets.values().flatten().copied());
    let zero = "0".repeat(40);
    let mut map = state::commit_map_header();
    for c in &split.order {
        let new = split.map[c]
            .new_commit()
            .filter(|n| reachable.contains(n))
            .map_or(zero.clone(), |n| n.to_string());
        map.push_str(&format!("{c} {new}\n"));
    }
    Ok((split.order.len(), reachable.len(), map, Some(split.to_state(fp)), tags))
}

/// `--history prune`: the monolith's history as is, plus one commit on top
/// of each branch deleting every file the team does not keep. Tags keep
/// the monolith's objects, unless `tags.prefix` renames them.
pub(super) fn write_pruned(
    src: &Repository,
    out: &Repository,
    ctx: &TeamCtx<'_>,
    written: &mut BTreeMap<String, String>,
) -> Result<(usize, TeamTags), TeamError> {
    let mut filter = crate::rewrite::tree::TreeFilter::new(&ctx.snap.ownership, ctx.team, ctx.root);
    let mut sink = PackSink::new(out.path()).map_err(HistoryError::from)?;
    let odb = Source::new(src, ctx.packs).map_err(tgit("opening the monolith's objects"))?;
    let team_tree = |filter: &mut crate::rewrite::tree::TreeFilter<'_>, sink: &mut PackSink, commit: Oid| {
        let tree = src.find_commit(commit).map_err(tgit(format!("reading {commit}")))?.tree_id();
        Ok::<_, TeamError>(match filter.filter(&odb, sink, tree).map_err(HistoryError::from)? {
            Some(t) => t,
            None => sink.write(ObjectKind::Tree, &[]).map_err(HistoryError::from)?,
        })
    };
    // The team's tree at a tagged commit is what the deletion would leave.
    let (chosen, tags) = choose_refs(ctx, &Some, &mut |c| team_tree(&mut filter, &mut sink, c))?;
    let prefix = &ctx.manifest.teams[ctx.team].tags.prefix;
    let tag_odb = src.odb().map_err(tgit("opening the monolith odb"))?;
    let mut made = std::collections::HashMap::new();
    let mut ids = Vec::new();
    for c in chosen {
        let r = c.source;
        if !r.name.starts_with("refs/heads/") {
            let id = match r.tag {
                Some(tag) if !prefix.is_empty() => {
                    recreate_tag(&tag_odb, &mut sink, tag, r.commit, prefix, &mut made)?
                }
                tag => tag.unwrap_or(r.commit),
            };
            ids.push((c.name, id, r.commit));
            continue;
        }
        let tip = src.find_commit(r.commit).map_err(tgit(format!("reading {}", r.commit)))?;
        let tree = team_tree(&mut filter, &mut sink, r.commit)?;
        // The committer of the tip signs the deletion: deterministic, unlike "now".
        let mut raw = format!("tree {tree}\nparent {}\n", tip.id()).into_bytes();
        for line in tip.raw_header_bytes().split(|&b| b == b'\n') {
            if line.starts_with(b"committer ") {
                raw.extend_from_slice(b"author ");
                raw.extend_from_slice(&line[b"committer ".len()..]);
                raw.push(b'\n');
                raw.extend_from_slice(line);
                raw.push(b'\n');
            }
        }
        raw.extend_from_slice(
            format!(
                "\nSplit for team {}: keep only what it owns\n\n{}: {}\n",
                ctx.name,
                crate::rewrite::LABEL_KEY,
                tip.id()
            )
            .as_bytes(),
        );
        let id = sink.write(ObjectKind::Commit, &raw).map_err(HistoryError::from)?;
        ids.push((c.name, id, id));
    }
    sink.finish().map_err(HistoryError::from)?;
    write_packed_refs(out.path(), &ids, written)?;
    // Every monolith commit is kept; the deletions on top are not monolith
    // commits, and counting them would report more kept than considered.
    Ok((ctx.graph.commits.len(), tags))
}
