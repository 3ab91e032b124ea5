//! `plan --format html` in a real browser: the page generated for a fixture
//! repository (tests/fixtures/make_plan_page.sh) is opened in Debian's
//! headless Chromium by tests/browser/plan_page.mjs (Playwright), which
//! clicks, types and reports what the page showed and requested.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{fixture, git, split, z_list};

/// What tests/browser/plan_page.mjs saw.
#[derive(serde::Deserialize)]
struct Seen {
    requests: Vec<String>,
    blocked: Vec<String>,
    errors: Vec<String>,
    title: String,
    text: String,
    crumbs: String,
    click: Option<Click>,
    search: Option<Search>,
}

#[derive(serde::Deserialize)]
struct Click {
    drawn: bool,
    tooltip: Option<String>,
    crumbs: Option<String>,
    current: Option<String>,
    back_crumbs: Option<String>,
    back_current: Option<String>,
}

#[derive(serde::Deserialize)]
struct Search {
    count: String,
    listed: Vec<String>,
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Opens `page` in headless Chromium and does what `args` ask.
fn open(page: &Path, args: &[&str]) -> Seen {
    assert!(
        browser_dir().join("node_modules/playwright-core").is_dir()
            && Path::new("/usr/bin/chromium").exists(),
        "the browser test needs Debian's chromium and tests/browser's playwright-core: run `bash .ci/test`"
    );
    let out = Command::new("node")
        .arg(browser_dir().join("plan_page.mjs"))
        .arg(page)
        .args(args)
        .output()
        .expect("run node");
    assert!(out.status.success(), "plan_page.mjs failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("plan_page.mjs prints JSON")
}

fn page_of(repo: &Path, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("plan.html");
    let mut args = vec!["plan", "--format", "html", "--output", page.to_str().unwrap()];
    args.extend_from_slice(extra);
    let run = split(repo, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "--output writes nothing to stdout");
    (dir, page)
}

/// The directories of the files the plan says nobody owns.
fn unowned_dirs(repo: &Path) -> BTreeSet<String> {
    let run = split(repo, &["plan", "--format", "json", "--no-deps"]);
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let unowned = plan["unowned"].as_array().unwrap();
    assert!(!unowned.is_empty(), "the fixture has unowned files");
    unowned
        .iter()
        .map(|p| {
            let p = p.as_str().unwrap();
            format!("{}/", &p[..p.rfind('/').unwrap_or(0)])
        })
        .collect()
}

#[test]
fn the_page_shows_every_team_and_unowned_directory_zooms_searches_and_stays_offline() {
    let repo = fixture("plan_page");
    let (_dir, page) = page_of(&repo, &[]);
    let seen = open(&page, &["--click", "src/acme", "--search", "basket"]);

    assert_eq!(seen.requests, Vec::<String>::new(), "the page requested something");
    assert_eq!(seen.blocked, Vec::<String>::new(), "the page tried to load something");
    assert_eq!(seen.errors, Vec::<String>::new(), "the page logged errors");
    assert!(seen.title.contains("main"), "{}", seen.title);
    let text = &seen.text;
    let head = git(&repo, &["rev-parse", "HEAD"]);
    assert!(text.contains(String::from_utf8_lossy(&head.stdout).trim()), "the header names the commit");
    assert!(text.contains("ownership.yaml"), "the header names the manifest");
    for team in ["payments", "checkout", "catalog", "platform"] {
        assert!(text.contains(team), "team {team} is not on the page");
    }
    for handle in ["@acme/payments", "@acme/sre"] {
        assert!(text.contains(handle), "owners handle {handle} is not on the page");
    }
    for dir in unowned_dirs(&repo) {
        assert!(text.contains(&dir), "unowned directory {dir} is not on the page");
    }
    assert!(text.contains("src/acme/services/payments/api/"), "the overlap's directory is listed");
    assert!(text.contains("checkout, payments"), "the overlap names both teams");
    // The graph's table and the "duplicate or extract" list, from `deps`.
    assert!(text.contains("What the split breaks"));
    assert!(text.contains("src/acme/libs/money/amount.py"), "a target two teams lose is listed");

    // The breadcrumb starts at the repository's directory name.
    let name = repo.file_name().unwrap().to_str().unwrap();
    assert_eq!(seen.crumbs, name);
    let click = seen.click.expect("clicked");
    assert!(click.drawn, "src/acme is drawn on the first view");
    let tooltip = click.tooltip.unwrap();
    assert!(tooltip.contains("src/acme/"), "hover names the path: {tooltip}");
    assert_eq!(click.current.as_deref(), Some("src/acme"));
    assert_eq!(click.crumbs, Some(format!("{name}/src/acme")));
    assert_eq!(click.back_current.as_deref(), Some(""), "Escape zooms out");
    assert_eq!(click.back_crumbs.as_deref(), Some(name));

    let search = seen.search.expect("searched");
    let paths = z_list(&git(&repo, &["ls-tree", "-r", "-z", "--name-only", "HEAD"]));
    let hits: Vec<&String> = paths.iter().filter(|p| p.to_lowercase().contains("basket")).collect();
    assert_eq!(search.count, format!("{} files match", hits.len()));
    assert_eq!(search.listed.iter().collect::<Vec<_>>(), hits);
}

#[test]
fn file_names_stay_text_and_hovering_a_file_says_why_it_is_owned() {
    let repo = fixture("plan_page");
    let (_dir, page) = page_of(&repo, &["--no-deps"]);
    let seen = open(&page, &["--click", "src/acme/libs/money/amount.py", "--search", "</script>"]);
    assert_eq!(seen.errors, Vec::<String>::new(), "a file name ran as script or broke the page");
    assert_eq!(seen.requests, Vec::<String>::new());
    assert_eq!(seen.blocked, Vec::<String>::new(), "a file name loaded as markup");
    let search = seen.search.unwrap();
    assert_eq!(search.listed, ["docs/</script><script>alert(1)</script>.md"]);
    let tooltip = seen.click.unwrap().tooltip.unwrap();
    assert!(tooltip.contains("payments: pattern `src/acme/libs/money/**`"), "{tooltip}");
    assert!(seen.text.contains("Source files were not read"), "--no-deps says the graph is missing");
}

#[test]
fn output_is_refused_for_text_and_never_left_half_written() {
    let repo = fixture("plan_page");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("plan.txt");
    let run = split(&repo, &["plan", "--output", page.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--output takes --format json or --format html"), "{}", run.stderr);
    let missing = dir.path().join("no/such/dir/plan.html");
    let run = split(&repo, &["plan", "--format", "html", "--output", missing.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no/such/dir/plan.html"), "{}", run.stderr);
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing is left behind: {left:?}");
}

#[test]
fn json_output_to_a_file_is_the_json_on_stdout() {
    let repo = fixture("plan_page");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    let run = split(&repo, &["plan", "--format", "json", "--output", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stdout = split(&repo, &["plan", "--format", "json"]).stdout;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout);
}
