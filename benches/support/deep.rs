//! The deep synthetic monolith: a long history over the tree of a PHP
//! framework monorepo.
//!
//! Where [`synth`](crate::synth)'s monolith keeps its components at the top
//! level, real monoliths often keep them four levels down: here 206
//! components under `src/<Vendor>/Component/<Name>/`, with `Bridge/` and
//! `Bundle/` siblings, each with its own `composer.json`, tests and
//! resources. Directories hold tens of entries, not hundreds. Nearly every
//! commit changes something under `src/`, so every commit changes the trees
//! `src`, `src/<Vendor>` and `src/<Vendor>/<Kind>` too; most commits stay
//! inside one component, some span two or three, a few touch tens at once
//! (a coding-standard fix), and a tenth are merges of topic branches. The
//! commits are written by [`synth`](crate::synth)'s generator (see
//! `evolve` there), so both monoliths change files the same way.
//!
//! [`teams`] gives the manifest users write for such a tree: five teams
//! claiming components by path pattern (a vendor whole, a kind of every
//! vendor, brace lists of components), root files shared; the first team
//! is the one-team case.

#![allow(dead_code)]

use std::io;
use std::path::PathBuf;

use crate::synth::{
    self, cached, capitalize, evolve, filler, pool, Gen, History, Live, Naming, Pool, Rng, Stats, WORDS,
};

/// Bumped whenever the output for given [`DeepParams`] changes, so that
/// cached repositories made by an older generator are not reused.
pub const GENERATOR_VERSION: u32 = 1;

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct DeepParams {
    /// Files in the tree of `main` at the end (met to within a few files).
    pub files: usize,
    /// Commits reachable from `main`, merges included.
    pub commits: usize,
    /// About this fraction of the commits are merges of a topic branch.
    pub merge_fraction: f64,
    /// This fraction of the commits on `main` each touch 10 to 60 components.
    pub wide: f64,
    /// Seed of every random choice.
    pub seed: u64,
}

impl DeepParams {
    /// The bench's monolith: 72k commits over 13k files, as the PHP
    /// monolith the issue was measured on.
    pub fn standard() -> DeepParams {
        DeepParams { files: 13_000, commits: 72_000, merge_fraction: 0.1, wide: 0.01, seed: 5 }
    }

    fn key(&self) -> String {
        format!(
            "deep v{GENERATOR_VERSION} files={} commits={} merge_fraction={} wide={} seed={}",
            self.files, self.commits, self.merge_fraction, self.wide, self.seed
        )
    }
}

/// Vendors under `src/`: name, then how many components, bridges and bundles.
const VENDORS: [(&str, usize, usize, usize); 4] =
    [("Acme", 60, 14, 10), ("Nimbus", 40, 8, 6), ("Orbit", 30, 6, 5), ("Zephyr", 20, 4, 3)];

/// Which sibling directory of a vendor a component lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    /// `src/<Vendor>/Component/<Name>`.
    Component,
    /// `src/<Vendor>/Bridge/<Name>`.
    Bridge,
    /// `src/<Vendor>/Bundle/<Name>Bundle`.
    Bundle,
}

impl Sort {
    fn dir(self) -> &'static str {
        match self {
            Sort::Component => "Component",
            Sort::Bridge => "Bridge",
            Sort::Bundle => "Bundle",
        }
    }
}

/// One component of the deep monolith.
#[derive(Clone, Debug)]
pub struct DeepComp {
    /// Index into [`VENDORS`].
    pub vendor: usize,
    pub sort: Sort,
    /// Its directory name (`Cache`, `CacheBundle`).
    pub name: String,
    /// Its directory: `src/<Vendor>/<Sort>/<name>`.
    pub root: String,
    /// Its share of the files, relative to the others.
    pub weight: f64,
}

/// The components, in vendor then sort order. Drawn from a random stream
/// of their own, so the manifest can be made without the repository.
pub fn components(params: &DeepParams) -> Vec<DeepComp> {
    let mut rng = Rng::new(params.seed ^ 0xdee9_0000_0000_0001);
    let mut out = Vec::new();
    for (v, &(vendor, comps, bridges, bundles)) in VENDORS.iter().enumerate() {
        for (sort, count) in [(Sort::Component, comps), (Sort::Bridge, bridges), (Sort::Bundle, bundles)] {
            let mut words: Vec<&str> = WORDS.to_vec();
            rng.shuffle(&mut words);
            for i in 0..count {
                let mut name = capitalize(words[i % words.len()]);
                if i >= words.len() {
                    name.push_str(&capitalize(words[(i * 7 + 3) % words.len()]));
                }
                if sort == Sort::Bundle {
                    name.push_str("Bundle");
                }
                let root = format!("src/{vendor}/{}/{name}", sort.dir());
                out.push(DeepComp { vendor: v, sort, name, root, weight: 0.0 });
            }
        }
    }
    // Sizes follow a power law over shuffled ranks, as in `synth`.
    let mut ranks: Vec<usize> = (0..out.len()).collect();
    rng.shuffle(&mut ranks);
    for (c, rank) in out.iter_mut().zip(ranks) {
        c.weight = 1.0 / (1.0 + rank as f64).powf(0.8);
    }
    out
}

/// The file subtrees of a component, as a PHP package lays them out.
fn pools(c: &DeepComp) -> Vec<Pool> {
    let r = &c.root;
    vec![
        pool(r.clone(), 0.45, &["php"], Naming::Pascal, false),
        pool(format!("{r}/Tests"), 0.33, &["php"], Naming::Pascal, false),
        pool(format!("{r}/Resources/config"), 0.08, &["xml", "php", "yaml"], Naming::Kebab, false),
        pool(format!("{r}/DependencyInjection"), 0.08, &["php"], Naming::Pascal, false),
        pool(format!("{r}/Exception"), 0.06, &["php"], Naming::Pascal, false),
    ]
}

/// The root's own subtrees: CI (shared) and maintainer tools (unowned).
fn root_pools() -> Vec<Pool> {
    vec![
        pool(".github/workflows".into(), 0.4, &["yml"], Naming::Kebab, false),
        pool("utils".into(), 0.6, &["php", "sh"], Naming::Kebab, true),
    ]
}

/// The files of a component ops never touch: package manifest and metadata.
fn component_specials(c: &DeepComp) -> Vec<(String, Vec<u8>)> {
    let r = &c.root;
    let package = format!("{}/{}", VENDORS[c.vendor].0.to_lowercase(), c.name.to_lowercase());
    let composer = format!(
        "{{\n    \"name\": \"{package}\",\n    \"type\": \"library\",\n    \"license\": \"MIT\",\n    \"autoload\": {{ \"psr-4\": {{ \"{}\\\\{}\\\\{}\\\\\": \"\" }} }}\n}}\n",
        VENDORS[c.vendor].0,
        c.sort.dir(),
        c.name
    );
    let text = |s: String| s.into_bytes();
    vec![
        (format!("{r}/composer.json"), text(composer)),
        (format!("{r}/README.md"), text(format!("{} {}\n====\n", c.name, c.sort.dir()))),
        (format!("{r}/LICENSE"), text("MIT License\n".into())),
        (format!("{r}/CHANGELOG.md"), text("CHANGELOG\n=========\n".into())),
        (format!("{r}/phpunit.xml.dist"), text("<phpunit bootstrap=\"vendor/autoload.php\"/>\n".into())),
        (format!("{r}/.gitattributes"), text("/Tests export-ignore\n".into())),
    ]
}

/// The root files every team shares.
const ROOT_FILES: [&str; 6] =
    ["composer.json", "README.md", "LICENSE", "phpunit.xml.dist", ".php-cs-fixer.dist.php", ".gitignore"];

/// Writes the whole history of `params` as a fast-import stream into `out`.
fn write_stream<W: io::Write>(params: &DeepParams, out: W) -> io::Result<Stats> {
    let comps = components(params);
    let mut rng = Rng::new(params.seed);
    let filler = filler(&mut rng);
    let mut lives: Vec<Live> =
        comps.iter().map(|c| Live { name: c.name.clone(), pools: pools(c), files: Vec::new() }).collect();
    lives.push(Live { name: "root".into(), pools: root_pools(), files: Vec::new() });
    let mut g = Gen::new(rng, out, filler, lives);
    g.begin_initial("Import the monolith\n")?;
    let mut specials = 0;
    for path in ROOT_FILES {
        g.put_special(path, format!("{path}\n").as_bytes(), "100644")?;
        specials += 1;
    }
    for c in &comps {
        for (path, data) in component_specials(c) {
            g.put_special(&path, &data, "100644")?;
            specials += 1;
        }
    }
    let growth = (params.files / 10).min(params.commits * 3 / 10);
    let initial = params.files.saturating_sub(growth).saturating_sub(specials);
    let root_files = 30;
    let comp_files = initial.saturating_sub(root_files);
    let total_weight: f64 = comps.iter().map(|c| c.weight).sum();
    for (i, c) in comps.iter().enumerate() {
        g.seed_component(i, ((comp_files as f64 * c.weight / total_weight).round() as usize).max(4))?;
    }
    g.seed_component(comps.len(), root_files)?;
    g.end_initial()?;
    let history = History {
        commits: params.commits,
        files: params.files,
        merge_fraction: params.merge_fraction,
        wide: Some((params.wide, 10, 60)),
    };
    evolve(&mut g, &history)
}

/// A generated deep monolith.
#[derive(Clone, Debug)]
pub struct Deep {
    pub params: DeepParams,
    /// The bare repository; `main` is the generated branch.
    pub repo: PathBuf,
    pub stats: Stats,
    /// True when it came from the cache rather than being built now.
    pub cached: bool,
}

/// The deep monolith for `params`, from the cache (`bench-repos/deep-<hash>`)
/// or generated now: fast-import, then `git repack -a -d -F`, as a clone is
/// packed, then a commit-graph.
pub fn ensure(params: &DeepParams) -> io::Result<Deep> {
    let key = params.key();
    let name = format!("deep-{:016x}", synth::fnv1a(key.as_bytes()));
    let (dir, stats, cached) =
        cached(&name, &key, false, |repo| synth::import(repo, true, |out| write_stream(params, out)))?;
    Ok(Deep { params: params.clone(), repo: dir.join("repo.git"), stats, cached })
}

/// A team of the bench's manifest: the patterns it claims, and the same
/// paths as `git filter-repo --path` arguments.
#[derive(Clone, Debug)]
pub struct Team {
    pub name: String,
    /// Manifest `paths:` patterns.
    pub patterns: Vec<String>,
    /// Directories and files for `filter-repo --path`, covering exactly
    /// what the patterns claim.
    pub filter_paths: Vec<String>,
}

/// The root files and directories every team shares: manifest patterns
/// and `filter-repo --path` arguments.
pub fn shared() -> (Vec<String>, Vec<String>) {
    let mut patterns: Vec<String> = ROOT_FILES.iter().map(|s| s.to_string()).collect();
    let mut paths = patterns.clone();
    patterns.push(".github/**".into());
    paths.push(".github/".into());
    (patterns, paths)
}

/// A manifest pattern, and the `filter-repo --path`s it amounts to.
type Claim = (String, Vec<String>);

/// Five teams as users write them for this tree: `commerce` (a brace list
/// of Acme components and bundles), `platform` (the Nimbus vendor whole),
/// `integrations` (the bridges of the other vendors), `content` (Orbit's
/// components and bundles) and `identity` (another Acme list, and Zephyr's
/// components). The rest of the components are owned by nobody.
pub fn teams(params: &DeepParams) -> Vec<Team> {
    let comps = components(params);
    let of = |v: usize, sort: Sort| -> Vec<&DeepComp> {
        comps.iter().filter(|c| c.vendor == v && c.sort == sort).collect()
    };
    let brace = |list: &[&DeepComp]| -> Claim {
        let names: Vec<&str> = list.iter().map(|c| c.name.as_str()).collect();
        let root = &list[0].root;
        let parent = &root[..root.rfind('/').expect("components are nested")];
        (
            format!("{parent}/{{{}}}/**", names.join(",")),
            list.iter().map(|c| format!("{}/", c.root)).collect(),
        )
    };
    let whole = |dir: String| -> Claim { (format!("{dir}/**"), vec![format!("{dir}/")]) };
    let acme = of(0, Sort::Component);
    let acme_bundles = of(0, Sort::Bundle);
    let claims: Vec<(&str, Vec<Claim>)> = vec![
        ("commerce", vec![brace(&acme[..16]), brace(&acme_bundles[..3])]),
        ("platform", vec![whole("src/Nimbus".into())]),
        ("integrations", [0, 2, 3].iter().map(|&v| whole(format!("src/{}/Bridge", VENDORS[v].0))).collect()),
        ("content", vec![whole("src/Orbit/Component".into()), whole("src/Orbit/Bundle".into())]),
        ("identity", vec![brace(&acme[16..40]), whole("src/Zephyr/Component".into())]),
    ];
    claims
        .into_iter()
        .map(|(name, claims)| {
            let (patterns, paths): (Vec<String>, Vec<Vec<String>>) = claims.into_iter().unzip();
            Team { name: name.into(), patterns, filter_paths: paths.concat() }
        })
        .collect()
}
