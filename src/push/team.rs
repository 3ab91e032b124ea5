//! One team's push: its refs compared with what was pushed before, the
//! refusals git-split makes itself (a ref that no longer descends from what
//! was pushed), then one `git push --atomic` with a lease on every recorded
//! ref, and git's porcelain report read back ref by ref.

use std::collections::BTreeMap;
use std::process::Command;

use git2::{Oid, Repository};

use super::run::{self, Stopped};
use super::state::Pushed;
use super::{Job, Options, Redactor, RefPush, RefStatus, TeamPush, TeamStatus, REMOTE_NAME};

/// What one team's push works from.
pub(super) struct Ctx<'a> {
    pub job: &'a Job,
    /// The remote, credentials masked.
    pub shown: &'a str,
    /// What the last push to this remote left there.
    pub earlier: Option<&'a Pushed>,
    pub opts: &'a Options,
    pub redactor: &'a Redactor,
}

/// A ref to send, and the id the remote must hold for it to be replaced.
struct Update {
    name: String,
    new: Oid,
    /// `Some(None)`: the remote must not have the ref; `None`: no lease (a
    /// ref never pushed, which git itself only fast-forwards).
    lease: Option<Option<Oid>>,
}

/// Pushes one team. Returns its report, and what to record when the
/// remote now holds every ref of the team repository.
pub(super) fn push_team(ctx: &Ctx<'_>) -> (TeamPush, Option<Pushed>) {
    let report = TeamPush {
        name: ctx.job.team.clone(),
        remote: ctx.shown.to_string(),
        status: TeamStatus::UpToDate,
        refs: Vec::new(),
        error: None,
    };
    let opened = Repository::open_bare(&ctx.job.repo).and_then(|repo| Ok((local_refs(&repo)?, repo)));
    let (local, repo) = match opened {
        Ok(r) => r,
        Err(e) => {
            return fail(ctx, report, format!("cannot read {}: {}", ctx.job.repo.display(), e.message()))
        }
    };
    let record = Pushed {
        remote: ctx.shown.to_string(),
        refs: local.iter().map(|(n, id)| (n.clone(), id.to_string())).collect(),
    };
    let (report, updates) = compare(ctx, report, &repo, &local);
    if report.status == TeamStatus::Rejected {
        return (report, None);
    }
    if updates.is_empty() {
        return (report, Some(record));
    }
    send(ctx, report, updates, record)
}

/// Each local ref against what was pushed: up to date, to send (with its
/// lease), or refused. One refusal refuses the team's whole push, as
/// `--atomic` would.
fn compare(
    ctx: &Ctx<'_>,
    mut report: TeamPush,
    repo: &Repository,
    local: &BTreeMap<String, Oid>,
) -> (TeamPush, Vec<Update>) {
    let earlier = ctx.earlier.map(Pushed::ids).unwrap_or_default();
    let mut updates = Vec::new();
    let mut refused = BTreeMap::new();
    for (name, &new) in local {
        let old = earlier.get(name).copied();
        let mut status = RefStatus::UpToDate;
        if old != Some(new) {
            if let Some(old) = old.filter(|&old| !ctx.opts.force && !descends(repo, name, new, old)) {
                refused.insert(name.clone(), moved_reason(name, old, new));
            }
            // A ref never pushed from here goes without a lease: the
            // remote takes it only as a fast-forward.
            updates.push(Update { name: name.clone(), new, lease: old.map(Some) });
            status = RefStatus::Updated;
        }
        let (old, new) = (old.map(|o| o.to_string()), new.to_string());
        report.refs.push(RefPush { name: name.clone(), old, new, status, reason: None });
    }
    if !refused.is_empty() {
        for r in report.refs.iter_mut().filter(|r| r.status == RefStatus::Updated) {
            r.status = RefStatus::Rejected;
            r.reason = Some(refused.remove(&r.name).unwrap_or_else(|| ATOMIC.to_string()));
        }
        report.status = TeamStatus::Rejected;
    }
    (report, updates)
}

/// One `git push --atomic` of `updates`, and git's answer ref by ref.
fn send(
    ctx: &Ctx<'_>,
    mut report: TeamPush,
    mut updates: Vec<Update>,
    record: Pushed,
) -> (TeamPush, Option<Pushed>) {
    if ctx.opts.force && updates.iter().any(|u| u.lease.is_none()) {
        // Never pushed from here, and forced: leased on what the remote holds now.
        let names: Vec<&str> =
            updates.iter().filter(|u| u.lease.is_none()).map(|u| u.name.as_str()).collect();
        match ls_remote(ctx, &names) {
            Ok(there) => {
                for u in updates.iter_mut().filter(|u| u.lease.is_none()) {
                    u.lease = Some(there.get(&u.name).copied());
                }
            }
            Err(e) => return fail(ctx, report, e),
        }
    }
    let finished = match run::run(push_command(ctx, &updates), ctx.opts.timeout, &ctx.opts.cancel) {
        Ok(f) => f,
        Err(stopped) => return fail(ctx, report, stopped_reason(stopped)),
    };
    let statuses = porcelain(&finished.stdout);
    for r in report.refs.iter_mut().filter(|r| r.status == RefStatus::Updated) {
        if let Some((status, reason)) = statuses.get(&r.name) {
            r.status = *status;
            r.reason = reason.as_deref().map(|why| ctx.redactor.redact(&explain(why)));
        }
    }
    if report.refs.iter().any(|r| r.status == RefStatus::Rejected) {
        report.status = TeamStatus::Rejected;
        return (report, None);
    }
    if !finished.status.success() {
        return fail(ctx, report, failure(&finished));
    }
    let sent = [RefStatus::New, RefStatus::Updated, RefStatus::Forced];
    let changed = report.refs.iter().any(|r| sent.contains(&r.status));
    report.status = if changed { TeamStatus::Pushed } else { TeamStatus::UpToDate };
    (report, Some(record))
}

/// A team whose push did not happen: the refs it was to send are not pushed.
fn fail(ctx: &Ctx<'_>, mut report: TeamPush, error: String) -> (TeamPush, Option<Pushed>) {
    report.status = TeamStatus::Failed;
    for r in report.refs.iter_mut().filter(|r| r.status == RefStatus::Updated) {
        r.status = RefStatus::NotPushed;
    }
    report.error = Some(ctx.redactor.redact(&error));
    (report, None)
}

/// Why a ref is sent in the same push as a refused one, and so refused too.
const ATOMIC: &str = "not pushed: another ref of this team was refused, and each remote is pushed atomically";

/// The branches and tags `apply` wrote: everything under `refs/heads/`
/// and `refs/tags/`, by name.
fn local_refs(repo: &Repository) -> Result<BTreeMap<String, Oid>, git2::Error> {
    let mut out = BTreeMap::new();
    for r in repo.references()? {
        let r = r?;
        let (Ok(name), Some(id)) = (r.name(), r.target()) else { continue };
        if name.starts_with("refs/heads/") || name.starts_with("refs/tags/") {
            out.insert(name.to_string(), id);
        }
    }
    Ok(out)
}

/// Whether `new` keeps everything `old` had: a branch that fast-forwards.
/// A tag that moved does not; nor does a branch whose old tip is gone from
/// the repository (a team rebuilt from scratch, which kept only what its
/// refs reach).
fn descends(repo: &Repository, name: &str, new: Oid, old: Oid) -> bool {
    name.starts_with("refs/heads/") && repo.graph_descendant_of(new, old).unwrap_or(false)
}

fn moved_reason(name: &str, old: Oid, new: Oid) -> String {
    let (o, n) = (&old.to_string()[..12], &new.to_string()[..12]);
    if name.starts_with("refs/tags/") {
        format!("the tag moved: it was {o} when pushed and is {n} now; --force replaces it")
    } else {
        format!("not a fast-forward: {n} does not contain {o}, which was pushed (the team's history was rewritten: rebuilt, or its branch moved back); --force replaces it")
    }
}

/// The user's git, in the team repository, with the remote URL given
/// through git's environment as remote `git-split`.
fn git(ctx: &Ctx<'_>) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("--git-dir").arg(&ctx.job.repo);
    // Configuration given through the environment is added to, not replaced.
    let n: usize = std::env::var("GIT_CONFIG_COUNT").ok().and_then(|c| c.trim().parse().ok()).unwrap_or(0);
    cmd.env("GIT_CONFIG_COUNT", (n + 1).to_string())
        .env(format!("GIT_CONFIG_KEY_{n}"), format!("remote.{REMOTE_NAME}.url"))
        .env(format!("GIT_CONFIG_VALUE_{n}"), &ctx.job.url)
        // Fail rather than ask: there is no one to answer in CI, and
        // several teams push at once.
        .env("GIT_TERMINAL_PROMPT", "0")
        // The porcelain reasons and the messages shown are git's English.
        .env("LC_ALL", "C");
    cmd
}

fn push_command(ctx: &Ctx<'_>, updates: &[Update]) -> Command {
    let mut cmd = git(ctx);
    cmd.args(["push", "--atomic", "--porcelain", "--progress", "--no-follow-tags"]);
    if ctx.opts.dry_run {
        cmd.arg("--dry-run");
    }
    for u in updates {
        if let Some(expected) = u.lease {
            let expected = expected.map(|e| e.to_string()).unwrap_or_default();
            cmd.arg(format!("--force-with-lease={}:{expected}", u.name));
        }
    }
    cmd.arg(REMOTE_NAME);
    cmd.args(updates.iter().map(|u| format!("{}:{}", u.new, u.name)));
    cmd
}

/// What the remote holds for `names` now.
fn ls_remote(ctx: &Ctx<'_>, names: &[&str]) -> Result<BTreeMap<String, Oid>, String> {
    let mut cmd = git(ctx);
    cmd.args(["ls-remote", "--refs", REMOTE_NAME]).args(names);
    let f = run::run(cmd, ctx.opts.timeout, &ctx.opts.cancel).map_err(stopped_reason)?;
    if !f.status.success() {
        return Err(failure(&f));
    }
    Ok(String::from_utf8_lossy(&f.stdout)
        .lines()
        .filter_map(|l| {
            let (id, name) = l.split_once('\t')?;
            Some((name.to_string(), Oid::from_str(id).ok()?))
        })
        .filter(|(n, _)| names.contains(&n.as_str()))
        .collect())
}

fn stopped_reason(s: Stopped) -> String {
    match s {
        Stopped::Spawn(e) => format!("cannot run git: {e}"),
        Stopped::Stalled(after, lines) => {
            let last = message(&lines);
            let then = if last.is_empty() { String::new() } else { format!(" (last: {last})") };
            format!("no progress for {}s: stopped (--timeout){then}", after.as_secs())
        }
        Stopped::Cancelled => "interrupted".to_string(),
    }
}

/// Why a git that ran failed: its own message, or the signal that ended it.
fn failure(f: &run::Finished) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match f.status.signal() {
        // git writes to the connection without ignoring SIGPIPE.
        Some(libc::SIGPIPE) => "the remote closed the connection (git died of SIGPIPE)".to_string(),
        Some(signal) => format!("git was killed by signal {signal}"),
        None => message(&f.stderr),
    }
}

/// git's error, from its last lines: the `fatal:` and `error:` ones when
/// there are any, else the last three; hints left out.
fn message(lines: &[String]) -> String {
    let errors: Vec<&str> = lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| l.starts_with("fatal:") || l.starts_with("error:") || l.starts_with("remote: error"))
        .collect();
    let picked = if errors.is_empty() {
        let rest: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| !l.starts_with("hint:")).collect();
        rest[rest.len().saturating_sub(3)..].to_vec()
    } else {
        errors
    };
    if picked.is_empty() {
        return "git push failed and said nothing".to_string();
    }
    picked.join("; ")
}

/// Each ref's status from `git push --porcelain`: `flag \t from:to \t
/// summary (reason)`, by destination ref.
fn porcelain(stdout: &[u8]) -> BTreeMap<String, (RefStatus, Option<String>)> {
    let mut out = BTreeMap::new();
    for line in String::from_utf8_lossy(stdout).lines() {
        let mut fields = line.splitn(3, '\t');
        let (Some(flag), Some(refs), summary) = (fields.next(), fields.next(), fields.next().unwrap_or(""))
        else {
            continue;
        };
        let Some((_, to)) = refs.rsplit_once(':') else { continue };
        let status = match flag {
            "*" => RefStatus::New,
            " " => RefStatus::Updated,
            "+" => RefStatus::Forced,
            "=" => RefStatus::UpToDate,
            "!" => RefStatus::Rejected,
            _ => continue,
        };
        let reason = (status == RefStatus::Rejected).then(|| {
            let why = summary.rfind(" (").map_or(summary, |p| summary[p + 2..].trim_end_matches(')'));
            if summary.starts_with("[remote rejected]") {
                format!("the remote refused it: {why}")
            } else {
                why.to_string()
            }
        });
        out.insert(to.to_string(), (status, reason));
    }
    out
}

/// git's short reasons, said in full.
fn explain(why: &str) -> String {
    match why {
        "stale info" => {
            "the remote changed since git-split last pushed it (someone else pushed): nothing was overwritten"
                .into()
        }
        "non-fast-forward" | "fetch first" => {
            "the remote holds commits this push does not contain: nothing was overwritten".into()
        }
        "already exists" => "the remote has another tag of this name: nothing was overwritten".into(),
        "atomic push failed" => ATOMIC.into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_lines_give_each_ref_its_status() {
        let out = b"To git://h/a.git\n*\tabc:refs/heads/new\t[new branch]\n \tabc:refs/heads/main\t1c6712d..5294e97\n+\tabc:refs/heads/f\t1c6712d...5294e97 (forced update)\n=\tabc:refs/tags/v1\t[up to date]\n!\tabc:refs/heads/x\t[rejected] (stale info)\n!\tabc:refs/heads/y\t[remote rejected] (pre-receive hook declined)\nDone\n";
        let s = porcelain(out);
        assert_eq!(s["refs/heads/new"], (RefStatus::New, None));
        assert_eq!(s["refs/heads/main"], (RefStatus::Updated, None));
        assert_eq!(s["refs/heads/f"], (RefStatus::Forced, None));
        assert_eq!(s["refs/tags/v1"], (RefStatus::UpToDate, None));
        assert_eq!(s["refs/heads/x"], (RefStatus::Rejected, Some("stale info".into())));
        assert_eq!(s["refs/heads/y"].1.as_deref(), Some("the remote refused it: pre-receive hook declined"));
        assert_eq!(s.len(), 6);
    }

    #[test]
    fn the_message_is_git_s_errors_without_hints() {
        let lines: Vec<String> = [
            "Delta compression using up to 2 threads",
            "fatal: unable to access 'x': 401",
            "hint: try again",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(message(&lines), "fatal: unable to access 'x': 401");
        let lines: Vec<String> = ["a", "b", "c", "d", "hint: h"].map(String::from).to_vec();
        assert_eq!(message(&lines), "b; c; d");
        assert_eq!(message(&[]), "git push failed and said nothing");
    }
}
