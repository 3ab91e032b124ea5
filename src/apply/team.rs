//! One team's run: its context, the fingerprint that says whether the
//! previous run's state still applies, that previous state, and staging.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use git2::{Oid, Repository};

use crate::compat::{self, CompatSplit};
use crate::manifest::Compat;
use crate::manifest::Manifest;
use crate::odb::pack::Packs;
use crate::odb::GitError;
use crate::odb::Source;
use crate::plan::Snapshot;
use crate::rewrite::graph::SourceGraph;
use crate::rewrite::history::{Lifetimes, PreviousCommon};
use crate::rewrite::state::{self, Journal, PreviousState};
use crate::rewrite::tag_state::TagState;
use crate::rewrite::{self, HistoryError, Job, Rewritten};
use crate::util::fault;

use super::*;

#[derive(Clone, Copy)]
pub(super) struct TeamCtx<'a> {
    pub(super) manifest: &'a Manifest,
    /// Whether to list the LFS objects of the team's pointer files.
    pub(super) lfs: bool,
    pub(super) git_dir: &'a Path,
    pub(super) out: &'a Path,
    pub(super) team: usize,
    pub(super) name: &'a str,
    pub(super) root: Option<&'a str>,
    pub(super) labels: bool,
    pub(super) snap: &'a Snapshot,
    /// Files the team keeps at the split ref: a guess of its share of the work.
    pub(super) kept_files: u64,
    pub(super) graph: &'a SourceGraph,
    /// The commits of the selected refs (tags found pointing into them aside).
    pub(super) tips: &'a [Oid],
    pub(super) packs: &'a Packs,
    pub(super) refs: &'a [SourceRef],
    pub(super) head_branch: Option<&'a str>,
    pub(super) mode: HistoryMode,
    pub(super) on_event: &'a (dyn Fn(Event) + Sync),
    pub(super) cancel: &'a Arc<AtomicBool>,
    /// git subtree joins in the monolith, read once for all `compat: subtree` teams.
    pub(super) joins: &'a std::sync::OnceLock<Result<compat::Joins, String>>,
}

/// Why one team failed (reported, other teams go on).
#[derive(Debug, thiserror::Error)]
pub(super) enum TeamError {
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Compat(#[from] compat::CompatError),
    #[error(transparent)]
    Repo(#[from] GitError),
    #[error(transparent)]
    Object(#[from] crate::odb::ObjectError),
    #[error("{context}: {source}")]
    Git { context: String, source: git2::Error },
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("`git {args}` failed: {stderr}")]
    Command { args: String, stderr: String },
    #[error(transparent)]
    Lfs(#[from] crate::lfs::LfsError),
    #[error("tag {tag}: {problem}")]
    Tag { tag: Oid, problem: TagSkip },
    #[error(
        "tag {tag} would be `{name}` in the team repository, which is no valid ref name (`tags.prefix`)"
    )]
    TagName { tag: String, name: String },
    /// Internal: the previous output cannot be continued.
    #[error("a monolith ref moved backwards")]
    NotFastForward,
    /// Stopped by [`Options::cancel`].
    #[error("interrupted")]
    Interrupted,
}

impl TeamError {
    /// The monolith object whose absence failed the team, if that is why.
    pub(super) fn missing_object(&self) -> Option<git2::Oid> {
        use crate::odb::ObjectError;
        use crate::rewrite::tree::TreeError;
        let object = match self {
            TeamError::Object(e) => e,
            TeamError::History(HistoryError::Object(e)) => e,
            TeamError::History(HistoryError::Tree(TreeError::Object(e))) => e,
            TeamError::Compat(compat::CompatError::Object(e)) => e,
            _ => return None,
        };
        match object {
            ObjectError::Missing { id } => Some(*id),
            _ => None,
        }
    }
}

pub(super) fn tgit(context: impl Into<String>) -> impl FnOnce(git2::Error) -> TeamError {
    let context = context.into();
    move |source| TeamError::Git { context, source }
}

pub(super) fn tio(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> TeamError {
    let context = context.into();
    move |source| TeamError::Io { context, source }
}

/// Bumped whenever the engine would produce different ids for the same
/// input, so saved states from older versions are not continued.
pub(super) const ENGINE_VERSION: &str = "git-split history 1";

/// Everything that decides a team's rewritten ids, hashed: a saved state is
/// continued only while this is unchanged.
pub(super) fn fingerprint(ctx: &TeamCtx<'_>) -> String {
    use sha1::{Digest, Sha1};
    let team = &ctx.manifest.teams[ctx.team];
    let mut h = Sha1::new();
    let mut add = |s: &str| {
        h.update(s.as_bytes());
        h.update(b"\0");
    };
    add(ENGINE_VERSION);
    add(&format!("labels={} root={:?} compat={:?}", ctx.labels, team.root, team.compat));
    for (who, rule) in [("shared", &ctx.manifest.shared), ("team", &team.rule)] {
        add(who);
        for p in &rule.paths {
            add(&format!("path {}", p.value.as_str()));
        }
        for p in &rule.exclude {
            add(&format!("exclude {}", p.value.as_str()));
        }
    }
    if team.follow_renames {
        // Earlier paths kept give other ids than the rules alone. Version 2:
        // a merge's other parents no longer keep the earlier paths of files
        // it takes whole from its first parent.
        add("follow renames 2");
    }
    let per_commit = package_history(ctx.manifest, ctx.snap).is_some_and(|p| p.matters_to(ctx.team));
    if per_commit {
        // Packages resolved per commit give other ids than resolved once.
        add("packages resolved per commit");
    }
    for p in &ctx.snap.ownership.packages {
        if p.owner == crate::ownership::Owner::Team(ctx.team) || p.owner == crate::ownership::Owner::Shared {
            let shared = p.owner == crate::ownership::Owner::Shared;
            // Where a package resolved at the split ref decides ids only
            // for what history does not resolve per commit (JVM packages).
            if per_commit && p.resolution.kind != crate::manifest::PackageKind::Jvm {
                add(&format!("package {shared:?} {}", p.spec));
                continue;
            }
            add(&format!(
                "package {shared:?} {} {:?} {:?}",
                p.spec, p.resolution.dirs, p.resolution.carve_outs
            ));
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What resolving the packages of every commit needs, when the manifest
/// names packages at all.
pub(super) fn package_history<'a>(
    manifest: &'a Manifest,
    snap: &'a Snapshot,
) -> Option<rewrite::layout::PackageHistory<'a>> {
    (!snap.ownership.packages.is_empty())
        .then_some(rewrite::layout::PackageHistory { manifest, split: &snap.ownership })
}

/// What the previous run left for this team, if it can be continued.
pub(super) struct Previous {
    /// The commits its refs pointed at (history engine).
    pub(super) tips: Vec<Oid>,
    /// Its state (history engine).
    pub(super) saved: Option<Arc<PreviousState>>,
    /// The saved split of a `compat` team.
    pub(super) compat: Option<CompatSplit>,
    pub(super) refs: BTreeMap<String, Oid>,
    /// What its tags became.
    pub(super) tags: TagState,
}

/// The previous run of a team, if it can be continued: a history engine
/// team's state is opened, a `compat` team's is loaded. A state that
/// cannot be read is no state: the team is built again.
pub(super) fn load_previous(
    final_path: &Path,
    fingerprint: &str,
    compat: Option<Compat>,
) -> Option<Previous> {
    let (saved, compat) = match compat {
        Some(c) => {
            let state = fs::read_to_string(state_path(final_path)).ok()?;
            (CompatSplit::state_fingerprint(&state)? == fingerprint).then_some(())?;
            (None, Some(CompatSplit::from_state(c, &state).ok()?))
        }
        None => {
            let dir = final_path.join(MARKER_DIR);
            // Continuing copies the commit map: it must be there.
            dir.join(state::COMMIT_MAP).is_file().then_some(())?;
            (Some(Arc::new(PreviousState::open(&dir, fingerprint).ok()??)), None)
        }
    };
    let tips = saved.as_ref().map_or_else(Vec::new, |s| s.tips().to_vec());
    let repo = Repository::open_bare(final_path).ok()?;
    // Read from the files, unless they hold what only libgit2 reads.
    let refs = match crate::odb::refs::direct_refs(final_path, "refs/") {
        Some(refs) => refs,
        None => {
            let mut refs = BTreeMap::new();
            for r in repo.references().ok()?.flatten() {
                if let (Ok(name), Some(target)) = (r.name(), r.target()) {
                    refs.insert(name.to_string(), target);
                }
            }
            refs
        }
    };
    let tags = TagState::read(&final_path.join(MARKER_DIR));
    Some(Previous { tips, saved, compat, refs, tags })
}

/// A team's staging repository, ready for the history engine.
pub(super) struct Staged {
    pub(super) staging: PathBuf,
    /// Pack files linked from the previous repository.
    pub(super) linked: Vec<std::ffi::OsString>,
    /// The previous repository's refs (empty on a first run).
    pub(super) old_refs: BTreeMap<String, Oid>,
    /// The previous run's state, for the history engine.
    pub(super) previous: Option<Arc<PreviousState>>,
    /// The team's history, once opened (see `open_history`).
    pub(super) history: Rewritten,
    /// Where the previous run got to, for a `compat` team.
    pub(super) compat: Option<CompatSplit>,
    /// What the previous run's tags became (empty on a first run).
    pub(super) tags: TagState,
}

impl TeamCtx<'_> {
    pub(super) fn compat(&self) -> Option<Compat> {
        self.manifest.teams[self.team].compat
    }

    /// Does the team's repository get its monolith objects from
    /// `git pack-objects` (borrowing them through alternates meanwhile)?
    pub(super) fn packs_with_git(&self) -> bool {
        self.mode == HistoryMode::Prune || self.compat().is_some()
    }

    pub(super) fn final_path(&self) -> PathBuf {
        team_repo(self.out, self.name)
    }

    pub(super) fn staging_path(&self) -> PathBuf {
        self.out.join(format!("{STAGING_PREFIX}{}", self.name))
    }

    /// Best effort: the next run removes whatever is left anyway.
    pub(super) fn remove_staging(&self) {
        let _ = fs::remove_dir_all(self.staging_path());
    }

    pub(super) fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// Between phases: stop here if asked to.
    pub(super) fn check(&self) -> Result<(), TeamError> {
        if self.cancelled() {
            return Err(TeamError::Interrupted);
        }
        Ok(())
    }

    pub(super) fn pass(&self, st: &mut Staged) -> rewrite::TeamPass<'_> {
        rewrite::TeamPass {
            job: Job {
                ownership: &self.snap.ownership,
                team: self.team,
                root: self.root,
                labels: self.labels,
                follow_renames: self.manifest.teams[self.team].follow_renames,
            },
            history: std::mem::take(&mut st.history),
            out: st.staging.clone(),
            cancel: self.cancel.clone(),
            weight: self.kept_files,
        }
    }
}

/// Creates the team's staging repository: borrowing the monolith's objects
/// and, when continuing, the previous repository's packs.
pub(super) fn stage(ctx: &TeamCtx<'_>, previous: Option<Previous>) -> Result<Staged, TeamError> {
    let staging = ctx.staging_path();
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(tio(format!("removing {}", staging.display())))?;
    }
    // Not from git's templates: those are the machine's (init.templateDir,
    // /usr/share/git-core/templates), hooks included, and would be published.
    let mut init = git2::RepositoryInitOptions::new();
    init.bare(true).external_template(false);
    Repository::init_opts(&staging, &init).map_err(tgit(format!("creating {}", staging.display())))?;
    if ctx.packs_with_git() {
        // Borrow the monolith's objects until `git pack-objects` copies
        // in what the refs reach.
        let objects =
            ctx.git_dir.join("objects").canonicalize().map_err(tio("resolving the monolith's objects"))?;
        fs::write(staging.join(ALTERNATES), format!("{}\n", objects.display()))
            .map_err(tio("writing alternates"))?;
    }
    // The previous repository's packs are complete and immutable: link them.
    let mut linked = Vec::new();
    if previous.is_some() {
        let old_packs = ctx.final_path().join("objects/pack");
        for e in fs::read_dir(&old_packs).map_err(tio("listing the previous packs"))?.flatten() {
            let name = e.file_name();
            let dest = staging.join("objects/pack").join(&name);
            fs::hard_link(e.path(), &dest)
                .or_else(|_| fs::copy(e.path(), &dest).map(|_| ()))
                .map_err(tio(format!("linking {}", e.path().display())))?;
            linked.push(name);
        }
    }
    let (previous, compat, old_refs, tags) = match previous {
        Some(p) => (p.saved, p.compat, p.refs, p.tags),
        None => Default::default(),
    };
    fault::point("apply.staged");
    Ok(Staged { staging, linked, old_refs, previous, history: Rewritten::default(), compat, tags })
}

/// A history engine team's history: its commit map and state started in
/// the staging repository, continuing the `previous` state if there is one.
pub(super) fn open_history(
    ctx: &TeamCtx<'_>,
    staging: &Path,
    previous: Option<&Arc<PreviousState>>,
    lifetimes: &Arc<Lifetimes>,
    earlier: Option<&Arc<PreviousCommon>>,
) -> Result<Rewritten, TeamError> {
    let fp = fingerprint(ctx);
    let dir = staging.join(MARKER_DIR);
    Ok(match (previous, earlier) {
        (Some(saved), Some(earlier)) => {
            let map = ctx.final_path().join(MARKER_DIR).join(state::COMMIT_MAP);
            let journal = Journal::create(&dir, &fp, ctx.tips, Some(&map)).map_err(HistoryError::from)?;
            Rewritten::resume(saved.clone(), ctx.graph, earlier.clone(), lifetimes.clone(), journal)
        }
        _ => Rewritten::new(
            lifetimes.clone(),
            Journal::create(&dir, &fp, ctx.tips, None).map_err(HistoryError::from)?,
        ),
    })
}

/// Builds a team again from nothing, alone.
pub(super) fn rebuild(ctx: &TeamCtx<'_>) -> Result<TeamReport, TeamError> {
    // An incremental run read only the grown history; this team needs all.
    let whole;
    let ctx = &if ctx.graph.partial {
        let repo = Repository::open(ctx.git_dir).map_err(tgit("opening the monolith"))?;
        let source = Source::new(&repo, ctx.packs).map_err(tgit("opening the monolith's objects"))?;
        // Other teams may be finishing alongside: one thread.
        whole = read_graph(&source, ctx.git_dir, ctx.tips, 1)?;
        TeamCtx { graph: &whole, ..*ctx }
    } else {
        *ctx
    };
    let mut st = stage(ctx, None)?;
    let history = match ctx.mode {
        HistoryMode::Rewrite if ctx.compat().is_some() => None,
        HistoryMode::Rewrite => {
            let lifetimes = Arc::new(Lifetimes::new(ctx.graph, ctx.refs.iter().map(|r| r.commit)));
            st.history = open_history(ctx, &st.staging, None, &lifetimes, None)?;
            let progress =
                |_: usize, done: usize| (ctx.on_event)(Event::Progress { team: ctx.name.to_string(), done });
            let pass = vec![ctx.pass(&mut st)];
            let history = std::sync::Mutex::new(None);
            let packages = package_history(ctx.manifest, ctx.snap);
            rewrite::rewrite_teams(
                ctx.git_dir,
                ctx.packs,
                ctx.graph,
                pass,
                packages.as_ref(),
                1,
                &progress,
                &|_, h| {
                    *history.lock().expect("history") = Some(h);
                },
            );
            Some(history.into_inner().expect("history").expect("one team")?)
        }
        HistoryMode::Prune => None,
    };
    finish(ctx, st, history)
}
