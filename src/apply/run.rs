//! The phases of one `apply` run, in the order [`super::apply`] calls them:
//! read ahead (the split tree and, on a first run, the whole history, at
//! once), take the output directory, find each team's previous run, read
//! the history still to do, stage every team, rewrite them all in one pass
//! and finish each as soon as it is done, and report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use git2::{Oid, Repository};

use crate::compat;
use crate::manifest::Manifest;
use crate::odb::repo::ctx;
use crate::odb::{Repo, ResolvedRev, Source};
use crate::plan::{PlanError, Snapshot};
use crate::rewrite::graph::{PackedCommits, SourceGraph};
use crate::rewrite::history::{Lifetimes, PreviousCommon, PreviousDone};
use crate::rewrite::{self, HistoryError, Rewritten};
use crate::util::{fault, parallel};

use super::{
    finish, load_previous, lock, monolith_tags, prepare_out, rebuild, remove_staging, stage, state_path,
    tags_into, team_repo, unchanged, ApplyError, Event, HistoryMode, Lock, Options, Previous, Report,
    SkippedTag, SourceRef, Staged, TeamCtx, TeamError, TeamReport,
};

/// The whole history from `tips`: from the commit-graph when there is one,
/// else from the commits, read ahead from the packs on `jobs` threads.
pub(super) fn read_graph(
    source: &Source<'_>,
    git_dir: &Path,
    tips: &[Oid],
    jobs: usize,
) -> Result<SourceGraph, crate::odb::ObjectError> {
    match SourceGraph::from_commit_graph(git_dir, tips) {
        Some(graph) => Ok(graph),
        None => SourceGraph::read(source, tips, PackedCommits::read(source.packs(), jobs.max(1))),
    }
}

/// A team's outcome, and how long after the start of the run it came.
pub(super) type Finished = (usize, Result<TeamReport, TeamError>, Duration);

/// A team that could not be set up, and why.
pub(super) type Failed = (usize, TeamError);

/// What [`read_ahead`] reads.
pub(super) struct ReadAhead {
    /// The split ref's tree and its owners.
    pub(super) snap: Result<Snapshot, PlanError>,
    /// The whole history, on a first run.
    pub(super) early: Option<Result<SourceGraph, ApplyError>>,
    /// The monolith's tags, name to target.
    pub(super) tags: BTreeMap<String, Oid>,
}

/// Reads, on other threads, what does not depend on the output directory:
/// the split ref's tree and its owners, the monolith's tags and, on a
/// first run (no selected team has a state it might continue), the whole
/// history from `tips`. Meanwhile, unless every team may have nothing new,
/// the packs' entries are sorted for the copies.
pub(super) fn read_ahead(
    repo: &Repo,
    manifest: &Manifest,
    split: ResolvedRev,
    tips: &[Oid],
    opts: &Options,
) -> ReadAhead {
    let git_dir = repo.raw().path();
    let packs = repo.packs();
    let team_repos = || opts.teams.iter().map(|&t| team_repo(&opts.out, &manifest.teams[t].name));
    let fresh = !team_repos().any(|r| state_path(&r).exists());
    // Only a team without a record of its last run is sure to copy objects.
    let may_copy = opts.mode == HistoryMode::Prune || team_repos().any(|r| !unchanged::recorded(&r));
    let common_dir = repo.raw().commondir();
    std::thread::scope(|s| {
        let walk = || -> Result<SourceGraph, ApplyError> {
            let repo = Repository::open(git_dir).map_err(ctx("opening the monolith"))?;
            let source = Source::new(&repo, packs).map_err(ctx("opening the monolith's objects"))?;
            Ok(read_graph(&source, git_dir, tips, opts.jobs)?)
        };
        // If the system starts no thread, the walk happens later.
        let early = fresh.then(|| std::thread::Builder::new().spawn_scoped(s, walk).ok()).flatten();
        // Copying objects needs the packs' entries in order: sorted on a
        // thread of its own, while the split tree is listed.
        if may_copy {
            let _ = std::thread::Builder::new().spawn_scoped(s, || packs.prepare_entries());
        }
        let read_tags = || monolith_tags(common_dir, git_dir);
        let tags = std::thread::Builder::new().spawn_scoped(s, read_tags).ok();
        // Blob sizes are not needed: `apply` reports what the team
        // repositories hold.
        let snap = Snapshot::load_unsized(repo, manifest, split);
        let tags = tags.map_or_else(read_tags, joined);
        ReadAhead { snap, early: early.map(joined), tags }
    })
}

/// What a thread returned; its panic goes on here.
fn joined<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// Makes the output directory ready and locks it for this run: what an
/// earlier run left staged is removed.
pub(super) fn take_out_dir(repo: &Repo, opts: &Options) -> Result<Lock, ApplyError> {
    prepare_out(&opts.out, repo.raw().path())?;
    let lock = lock(&opts.out)?;
    remove_staging(&opts.out)?;
    fault::point("apply.locked");
    if opts.cancel.load(Ordering::SeqCst) {
        remove_staging(&opts.out)?;
        return Err(ApplyError::Interrupted);
    }
    Ok(lock)
}

/// The history this run rewrites.
pub(super) struct HistoryRead {
    /// Every commit reachable from the selected refs that is still to do,
    /// parents first.
    pub(super) graph: SourceGraph,
    /// Every team continues its previous run: only commits none of them
    /// did were read.
    pub(super) incremental: bool,
    /// The commits the teams' previous runs considered.
    pub(super) previous: PreviousDone,
}

impl HistoryRead {
    /// Was commit `c` done by every team's previous run, and left out of
    /// the graph for that?
    pub(super) fn done(&self, c: Oid) -> bool {
        self.incremental && self.previous.done(&c)
    }
}

/// What every phase after the lock shares.
pub(super) struct Run<'a> {
    repo: &'a Repo,
    manifest: &'a Manifest,
    opts: &'a Options,
    on_event: &'a (dyn Fn(Event) + Sync),
    snap: &'a Snapshot,
    /// The selected refs.
    refs: &'a [SourceRef],
    /// Their commits.
    tips: Vec<Oid>,
    /// The monolith's tags, name to target.
    tags: &'a BTreeMap<String, Oid>,
    /// The selected teams still to run (those with nothing new are not).
    pub(super) teams: Vec<usize>,
    /// Each selected team's [`unchanged::RunKey`], by manifest index.
    keys: Vec<Option<String>>,
    git_dir: PathBuf,
    /// The first selected branch: the team repositories' HEAD.
    head_branch: Option<String>,
    /// Files at the split ref that no team keeps.
    unowned: Vec<String>,
    /// Files each team keeps at the split ref.
    kept_files: Vec<u64>,
    /// Whether the split tree holds LFS pointers.
    lfs: bool,
    /// git subtree joins in the monolith, read once for all `compat: subtree` teams.
    joins: OnceLock<Result<compat::Joins, String>>,
    start: Instant,
}

impl<'a> Run<'a> {
    /// The run's shared context, once the output directory is locked.
    pub(super) fn new(
        repo: &'a Repo,
        manifest: &'a Manifest,
        opts: &'a Options,
        on_event: &'a (dyn Fn(Event) + Sync),
        snap: &'a Snapshot,
        refs: &'a [SourceRef],
        tags: &'a BTreeMap<String, Oid>,
    ) -> Run<'a> {
        let (unowned, kept_files) = tip_files(snap);
        Run {
            repo,
            manifest,
            opts,
            on_event,
            snap,
            refs,
            tips: refs.iter().map(|r| r.commit).collect(),
            tags,
            teams: opts.teams.clone(),
            keys: Vec::new(),
            git_dir: repo.raw().path().to_path_buf(),
            head_branch: refs.iter().find(|r| r.name.starts_with("refs/heads/")).map(|r| r.name.clone()),
            unowned,
            kept_files,
            lfs: crate::lfs::used_in(repo, &snap.listing),
            joins: OnceLock::new(),
            start: Instant::now(),
        }
    }

    /// Stops the run if it was asked to (Ctrl-C), leaving nothing staged.
    pub(super) fn interrupted(&self) -> Result<(), ApplyError> {
        if self.opts.cancel.load(Ordering::SeqCst) {
            remove_staging(&self.opts.out)?;
            return Err(ApplyError::Interrupted);
        }
        Ok(())
    }

    /// Team `t`'s context, for `graph` and the refs it writes.
    pub(super) fn team<'r>(&'r self, t: usize, graph: &'r SourceGraph, refs: &'r [SourceRef]) -> TeamCtx<'r> {
        let team = &self.manifest.teams[t];
        TeamCtx {
            manifest: self.manifest,
            lfs: self.lfs,
            git_dir: &self.git_dir,
            out: &self.opts.out,
            team: t,
            name: &team.name,
            root: team.root.as_deref(),
            labels: self.manifest.labels && team.compat.is_none(),
            snap: self.snap,
            kept_files: self.kept_files[t],
            graph,
            tips: &self.tips,
            packs: self.repo.packs(),
            refs,
            head_branch: self.head_branch.as_deref(),
            mode: self.opts.mode,
            on_event: self.on_event,
            joins: &self.joins,
            cancel: &self.opts.cancel,
        }
    }

    /// Where each selected team's previous run got to. A history engine
    /// team's state is opened, not read: its segments are checked and
    /// mapped, and the ids this run asks about are looked up in them.
    pub(super) fn previous_runs(&self) -> Vec<Option<Previous>> {
        let no_graph = SourceGraph::default();
        let wanted: Vec<_> = self
            .teams
            .iter()
            .map(|&t| {
                let ctx = self.team(t, &no_graph, &[]);
                (ctx.mode == HistoryMode::Rewrite)
                    .then(|| (ctx.final_path(), super::fingerprint(&ctx), ctx.compat()))
            })
            .collect();
        parallel::map_in_turn(
            &wanted,
            self.opts.jobs,
            || (),
            |_, w| {
                let (path, fingerprint, compat) = w.as_ref()?;
                load_previous(path, fingerprint, *compat)
            },
        )
    }

    /// Reads the history this run rewrites: when every team continues a
    /// previous run of the history engine, only what none of them did;
    /// else all of it (read ahead already on a first run).
    pub(super) fn read_history(
        &self,
        early: Option<Result<SourceGraph, ApplyError>>,
        previous: &[Option<Previous>],
    ) -> Result<HistoryRead, ApplyError> {
        let mut done = PreviousDone::default();
        for p in previous.iter().flatten() {
            if let Some(state) = &p.saved {
                done.add(state.clone());
            }
        }
        let continuing = self.opts.mode == HistoryMode::Rewrite
            && !previous.is_empty()
            && previous.iter().all(|p| p.as_ref().is_some_and(|p| p.compat.is_none()))
            && self.teams.iter().all(|&t| self.manifest.teams[t].compat.is_none());
        let (tips, jobs) = (&self.tips[..], self.opts.jobs);
        let source =
            Source::new(self.repo.raw(), self.repo.packs()).map_err(ctx("opening the monolith's objects"))?;
        let mut graph = match early {
            _ if continuing => SourceGraph::read_until(&source, tips, &|c| done.done(&c))?,
            Some(walked) => walked?,
            // Not read ahead (a team has a state it cannot continue, say):
            // the whole history still, read the fast way.
            None => read_graph(&source, &self.git_dir, tips, jobs)?,
        };
        // A ref moved back (or away) leaves commits that are done but no
        // longer selected: then the boundary does not describe what is
        // reachable, and the whole history is read as for a first run.
        if graph.partial
            && !previous.iter().flatten().all(|p| p.tips.iter().all(|t| graph.position(*t).is_some()))
        {
            graph = read_graph(&source, &self.git_dir, tips, jobs)?;
        }
        fault::point("apply.graph");
        self.interrupted()?;
        Ok(HistoryRead { incremental: graph.partial, graph, previous: done })
    }

    /// The selected refs and the tags that point into the history, by
    /// name; and the tags no team can take.
    /// A tag object's chain is followed only when no previous run saved
    /// where it ends.
    pub(super) fn refs_and_tags(
        &self,
        history: &HistoryRead,
        previous: &[Option<Previous>],
    ) -> (Vec<SourceRef>, Vec<SkippedTag>) {
        let mut all = self.refs.to_vec();
        let mut peeled = std::collections::HashMap::new();
        for p in previous.iter().flatten() {
            peeled.extend(p.tags.iter().map(|t| (t.tag, t.commit)));
        }
        let into = |c| history.graph.position(c).is_some() || history.done(c);
        let (tags, skipped) = tags_into(self.repo.raw(), self.tags, &into, &|t| peeled.get(&t).copied());
        let named: std::collections::HashSet<String> = all.iter().map(|r| r.name.clone()).collect();
        all.extend(tags.into_iter().filter(|t| !named.contains(&t.name)));
        all.sort_by(|a, b| a.name.cmp(&b.name));
        (all, skipped)
    }

    /// Rewrites the history engine's teams in one pass over history, each
    /// finished (refs, pack, publish) as soon as its objects are copied,
    /// while the others' still are; then finishes the compat and prune
    /// teams, whose history follows their own rules.
    pub(super) fn rewrite_and_finish(
        &self,
        ctxs: &[TeamCtx<'_>],
        staged: Vec<(usize, Staged)>,
        history: &HistoryRead,
    ) -> Vec<Finished> {
        let jobs = self.opts.jobs.max(1);
        // The threads below share these, not the repository handle.
        let (on_event, start, packs) = (self.on_event, self.start, self.repo.packs());
        let finished = Mutex::new(Vec::new());
        let finish_team = |(i, st): (usize, Staged), rewritten: Option<Result<Rewritten, HistoryError>>| {
            let outcome = finish_one(&ctxs[i], st, rewritten);
            on_event(Event::Finished { team: ctxs[i].name.to_string(), failed: outcome.is_err() });
            finished.lock().expect("finished").push((i, outcome, start.elapsed()));
        };
        let (engine, others): (Vec<_>, Vec<_>) = staged
            .into_iter()
            .partition(|(i, _)| self.opts.mode == HistoryMode::Rewrite && ctxs[*i].compat().is_none());
        if !engine.is_empty() {
            let mut engine = engine;
            let passes = engine.iter_mut().map(|(i, st)| ctxs[*i].pass(st)).collect();
            let slots: Vec<Mutex<Option<(usize, Staged)>>> =
                engine.into_iter().map(|t| Mutex::new(Some(t))).collect();
            let progress = |pos: usize, done: usize| {
                let i = slots[pos].lock().expect("slot").as_ref().map(|(i, _)| *i);
                if let Some(i) = i {
                    on_event(Event::Progress { team: ctxs[i].name.to_string(), done });
                }
            };
            // Finishing waits on the disk (every file is synced) more than
            // it computes: threads of its own keep those waits off the
            // copies' way. A first run's finishing also holds each team's
            // whole state, and each thread's allocator arena keeps its peak,
            // so it gets as many threads as the copies; an incremental
            // run's is nearly all waiting, and gets four times that.
            let finishers = if history.incremental { 4 * jobs } else { jobs };
            parallel::consume(
                finishers.min(slots.len()),
                rewrite::WORKER_STACK,
                |(team, rewritten)| finish_team(team, Some(rewritten)),
                |submit| {
                    let done = |pos: usize, rewritten: Result<Rewritten, HistoryError>| {
                        submit((
                            slots[pos].lock().expect("slot").take().expect("each team is done once"),
                            rewritten,
                        ));
                    };
                    rewrite::rewrite_teams(
                        &self.git_dir,
                        packs,
                        &history.graph,
                        passes,
                        super::package_history(self.manifest, self.snap).as_ref(),
                        jobs,
                        &progress,
                        &done,
                    );
                },
            );
        }
        parallel::drain(others, jobs.min(ctxs.len()), rewrite::WORKER_STACK, |team| finish_team(team, None));
        finished.into_inner().expect("finished")
    }

    /// Every team's outcome, by manifest index (those that could not even
    /// be set up last).
    pub(super) fn team_reports(
        &self,
        ctxs: &[TeamCtx<'_>],
        mut finished: Vec<Finished>,
        failed: Vec<Failed>,
        history: &HistoryRead,
    ) -> Vec<(usize, TeamReport)> {
        for (i, e) in failed {
            (self.on_event)(Event::Finished { team: ctxs[i].name.to_string(), failed: true });
            finished.push((i, Err(e), self.start.elapsed()));
        }
        finished
            .into_iter()
            .map(|(i, outcome, elapsed)| match outcome {
                Ok(mut r) => {
                    r.elapsed = elapsed;
                    (ctxs[i].team, r)
                }
                Err(e) => (ctxs[i].team, failed_team(self.repo, &ctxs[i], history, elapsed, e)),
            })
            .collect()
    }

    /// The run's report: the teams that ran and those that had nothing
    /// new, in the manifest's order.
    pub(super) fn report(
        &self,
        mut reports: Vec<(usize, TeamReport)>,
        unchanged: Vec<(usize, TeamReport)>,
        tags_skipped: Vec<SkippedTag>,
    ) -> Report {
        reports.extend(unchanged);
        reports.sort_by_key(|(t, _)| *t);
        let mut ignored = self.repo.refs_matching("refs/replace/*").unwrap_or_default();
        if self.git_dir.join("info/grafts").exists() {
            ignored.push("info/grafts".to_string());
        }
        Report {
            commit: self.snap.rev.commit.to_string(),
            teams: reports.into_iter().map(|(_, r)| r).collect(),
            unowned: self.unowned.clone(),
            ignored,
            tags_skipped,
        }
    }

    /// Team `t`'s [`unchanged::RunKey`]: its fingerprint, and all else its
    /// repository is made from.
    fn run_key(&self, t: usize, tags: &str) -> String {
        let no_graph = SourceGraph::default();
        let ctx = self.team(t, &no_graph, &[]);
        let team = &self.manifest.teams[t];
        let mut key = unchanged::RunKey::new(&super::fingerprint(&ctx));
        key.add(&format!(
            "mode {:?} head {:?} split {} lfs {}",
            self.opts.mode, self.head_branch, self.snap.rev.commit, self.lfs
        ));
        let t = &team.tags;
        key.add(&format!("tags changed_only={} prefix={}", t.changed_only, t.prefix));
        match &t.select {
            None => key.add("select every tag"),
            Some(globs) => globs.iter().for_each(|g| key.add(&format!("select {}", g.value.as_str()))),
        }
        // Packages carve out of each other, whoever names them.
        for p in &self.snap.ownership.packages {
            let r = &p.resolution;
            key.add(&format!("package {:?} {} {:?} {:?}", p.owner, p.spec, r.dirs, r.carve_outs));
        }
        for r in self.refs {
            key.add(&format!("ref {} {} {:?}", r.name, r.commit, r.tag));
        }
        key.add(tags);
        key.finish()
    }

    /// Takes out of the run every selected team with nothing new (see
    /// [`unchanged`]): its report, as its last run saved it, and the tags
    /// that run said no team gets.
    pub(super) fn take_unchanged(&mut self) -> (Vec<(usize, TeamReport)>, Option<Vec<SkippedTag>>) {
        if self.opts.mode != HistoryMode::Rewrite {
            return (Vec::new(), None);
        }
        let tags = unchanged::tags_digest(self.tags);
        self.keys = vec![None; self.manifest.teams.len()];
        for &t in &self.teams {
            self.keys[t] = Some(self.run_key(t, &tags));
        }
        let asked: Vec<(PathBuf, &str)> = (self.teams.iter())
            .map(|&t| {
                (
                    team_repo(&self.opts.out, &self.manifest.teams[t].name),
                    self.keys[t].as_deref().expect("computed above"),
                )
            })
            .collect();
        let found = parallel::map_in_turn(
            &asked,
            self.opts.jobs,
            || (),
            |_, (repo, key)| unchanged::unchanged(repo, key),
        );
        let (mut reports, mut tags_skipped, mut rest) = (Vec::new(), None, Vec::new());
        for (&t, saved) in self.teams.iter().zip(found) {
            let Some(mut saved) = saved else {
                rest.push(t);
                continue;
            };
            tags_skipped.get_or_insert(std::mem::take(&mut saved.tags_skipped));
            let name = &self.manifest.teams[t].name;
            (self.on_event)(Event::Started { team: name.clone(), total: 0 });
            (self.on_event)(Event::Finished { team: name.clone(), failed: false });
            let mut report = saved.report(name, &team_repo(&self.opts.out, name));
            report.elapsed = self.start.elapsed();
            reports.push((t, report));
        }
        self.teams = rest;
        (reports, tags_skipped)
    }

    /// Records, in each team repository this run wrote (or found up to
    /// date), what it was made from and what its report said, for the
    /// next run to skip it if nothing changes.
    pub(super) fn record(&self, reports: &[(usize, TeamReport)], tags_skipped: &[SkippedTag]) {
        let done: Vec<_> = reports
            .iter()
            .filter_map(|(t, r)| Some((self.keys.get(*t)?.as_deref()?, r)))
            .filter(|(_, r)| r.error.is_none())
            .collect();
        parallel::map_in_turn(
            &done,
            self.opts.jobs,
            || (),
            |_, (key, r)| unchanged::save(&r.path, key, r, tags_skipped),
        );
    }
}

/// Creates every team's staging repository (teams in parallel: it waits on
/// the file system), then opens each history engine team's history,
/// streaming a continuing team's state into its new one. Returns the teams
/// ready for the pass, and those that failed (nothing of theirs staged).
pub(super) fn stage_teams(
    ctxs: &[TeamCtx<'_>],
    previous: Vec<Option<Previous>>,
    history: &HistoryRead,
    jobs: usize,
) -> (Vec<(usize, Staged)>, Vec<Failed>) {
    let mut failed = Vec::new();
    for ctx in ctxs {
        (ctx.on_event)(Event::Started { team: ctx.name.to_string(), total: history.graph.commits.len() });
    }
    let previous: Vec<Mutex<Option<Previous>>> = previous.into_iter().map(Mutex::new).collect();
    let teams: Vec<usize> = (0..ctxs.len()).collect();
    let staged_or_not = parallel::map_in_turn(
        &teams,
        jobs,
        || (),
        |_, &i| stage(&ctxs[i], previous[i].lock().expect("previous").take()),
    );
    let mut staged = Vec::new();
    for (i, result) in staged_or_not.into_iter().enumerate() {
        match result {
            Ok(st) => staged.push((i, st)),
            Err(e) => {
                ctxs[i].remove_staging();
                failed.push((i, e));
            }
        }
    }
    // Shared by every team's pass: how long each mapping is read, and which
    // of the graph's commits every continuing team's previous runs did.
    let refs = ctxs.first().map_or(&[][..], |c| c.refs);
    let lifetimes = Arc::new(Lifetimes::new(&history.graph, refs.iter().map(|r| r.commit)));
    let common = (!history.previous.is_empty())
        .then(|| Arc::new(PreviousCommon::new(&history.graph, &|c| history.previous.done(c))));
    let mut opened = parallel::map_in_turn(
        &staged,
        jobs,
        || (),
        |_, (i, st)| {
            let ctx = &ctxs[*i];
            (ctx.mode == HistoryMode::Rewrite && ctx.compat().is_none()).then(|| {
                super::open_history(ctx, &st.staging, st.previous.as_ref(), &lifetimes, common.as_ref())
            })
        },
    );
    let mut k = 0;
    staged.retain_mut(|(i, st)| {
        let opened = opened[k].take();
        k += 1;
        match opened {
            Some(Err(e)) => {
                ctxs[*i].remove_staging();
                failed.push((*i, e));
                false
            }
            Some(Ok(h)) => {
                st.history = h;
                true
            }
            None => true,
        }
    });
    (staged, failed)
}

/// What `apply` says of a team rebuilt because a move into its paths
/// reaches back past its previous run.
pub const REBUILD_FOLLOW: &str = "rebuilt: a move into the team's paths reaches back past the previous run";

/// Finishes one team: refs, packing and publishing, or starts it over when
/// a monolith ref moved backwards; a failed team leaves nothing staged.
fn finish_one(
    ctx: &TeamCtx<'_>,
    st: Staged,
    rewritten: Option<Result<Rewritten, HistoryError>>,
) -> Result<TeamReport, TeamError> {
    let outcome = match rewritten {
        // The team's lineages changed what a previous run wrote.
        Some(Err(HistoryError::EarlierHistoryChanges)) => {
            (ctx.on_event)(Event::Phase { team: ctx.name.to_string(), phase: REBUILD_FOLLOW });
            rebuild(ctx).map(|r| TeamReport { rebuilt: Some(REBUILD_FOLLOW.to_string()), ..r })
        }
        Some(Err(e)) => Err(TeamError::from(e)),
        _ if ctx.cancelled() => Err(TeamError::Interrupted),
        rewritten => match finish(ctx, st, rewritten.map(|h| h.expect("checked"))) {
            // A monolith ref moved backwards (force-push): old objects
            // could linger unreachable, so start over.
            Err(TeamError::NotFastForward) => rebuild(ctx),
            other => other,
        },
    };
    if outcome.is_err() {
        // A full disk gets its space back.
        ctx.remove_staging();
    }
    outcome
}

/// The report of a team that failed; a missing monolith object is named
/// with where the history needs it and why it may be missing.
fn failed_team(
    repo: &Repo,
    ctx: &TeamCtx<'_>,
    history: &HistoryRead,
    elapsed: Duration,
    e: TeamError,
) -> TeamReport {
    let missing = e.missing_object();
    let error = match missing {
        Some(id) => repo.missing(id).to_string(),
        None => e.to_string(),
    };
    TeamReport {
        rebuilt: None,
        name: ctx.name.to_string(),
        path: ctx.final_path(),
        commits_considered: history.graph.commits.len(),
        commits_kept: 0,
        files: 0,
        bytes: 0,
        refs: BTreeMap::new(),
        tags: Default::default(),
        elapsed,
        error: Some(error),
        missing_object: missing.map(|id| id.to_string()),
        lfs_objects: Vec::new(),
        peak_live: 0,
    }
}

/// The files at the split ref no team keeps, and how many each team
/// (by manifest index) keeps.
fn tip_files(snap: &Snapshot) -> (Vec<String>, Vec<u64>) {
    let a = snap.ownership.assign(&snap.listing);
    let mut kept = vec![0u64; snap.ownership.team_names().len()];
    let mut unowned = Vec::new();
    for (f, o) in snap.listing.files.iter().zip(&a.owners) {
        if o.is_unowned() {
            unowned.push(String::from_utf8_lossy(&f.path).into_owned());
        } else if o.shared {
            kept.iter_mut().for_each(|k| *k += 1);
        } else {
            o.teams.iter().for_each(|&t| kept[usize::from(t)] += 1);
        }
    }
    (unowned, kept)
}
