//! The Symfony-like PHP tree: vendors' components, bundles and bridges
//! under `src/`, each with its own `composer.json`, and the root files
//! that tie them together.

use crate::synth::Rng;

use super::config::PHP_CS_FIXER;
use super::layout::{layout_php, php_class, FRAMEWORK};
use super::model::{assign_deps, split_budget, Comp, Config, Content, Doc, Lang, Lock, Model};
use super::polyglot::companions;
use super::words::{lognormal, noun, pascal, snake, TEAMS};
use super::Params;

/// Vendors: name, then how many components, bundles and bridges.
pub(super) const PHP_VENDORS: [(&str, usize, usize, usize); 3] =
    [("Acme", 42, 10, 8), ("Nimbus", 12, 3, 3), ("Orbit", 8, 2, 2)];

const PHP_COMPONENTS: &[&str] = &[
    "Intl",
    "Billing",
    "Invoicing",
    "Money",
    "Tax",
    "Cart",
    "Checkout",
    "Catalog",
    "Pricing",
    "Inventory",
    "Shipping",
    "Customer",
    "Identity",
    "Security",
    "Messenger",
    "Mailer",
    "Notifier",
    "Scheduler",
    "Workflow",
    "Serializer",
    "Validator",
    "Routing",
    "HttpKernel",
    "HttpFoundation",
    "Cache",
    "Lock",
    "RateLimiter",
    "Translation",
    "Form",
    "Console",
    "EventDispatcher",
    "DependencyInjection",
    "Config",
    "Filesystem",
    "Finder",
    "Process",
    "Uid",
    "Clock",
    "Search",
    "Reporting",
    "Analytics",
    "Media",
    "Cms",
    "Review",
    "Loyalty",
    "Promotion",
    "Subscription",
    "Payment",
    "Refund",
    "Fraud",
    "Ledger",
    "Audit",
    "Importer",
    "Exporter",
    "Webhook",
    "Feed",
    "Sitemap",
    "Asset",
    "PropertyAccess",
    "PropertyInfo",
    "OptionsResolver",
    "ExpressionLanguage",
    "Stopwatch",
    "VarDumper",
    "Yaml",
    "Dotenv",
    "ErrorHandler",
    "Mime",
    "Storage",
];

const PHP_BUNDLES: &[&str] = &[
    "FrameworkBundle",
    "SecurityBundle",
    "TwigBundle",
    "WebProfilerBundle",
    "DebugBundle",
    "AdminBundle",
    "ApiBundle",
    "BillingBundle",
    "CatalogBundle",
    "MonitoringBundle",
    "SearchBundle",
    "MediaBundle",
];

const PHP_BRIDGES: &[&str] = &[
    "Doctrine", "Twig", "Monolog", "PhpUnit", "Psr", "Redis", "Stripe", "Elastic", "Sentry", "Aws", "Kafka",
];

pub(super) fn php_monorepo(params: &Params) -> Model {
    let mut r = Rng::new(params.seed);
    let mut m = Model { teams: TEAMS.iter().map(|t| t.to_string()).collect(), ..Model::default() };
    // Contracts come first: the interfaces most components depend on,
    // kept by every team.
    let mut specs: Vec<(&str, &str, String)> =
        ["Cache", "EventDispatcher", "Service", "Translation", "HttpClient"]
            .iter()
            .map(|n| ("Acme", "Contracts", n.to_string()))
            .collect();
    let mut rest = Vec::new();
    for (vendor, comps, bundles, bridges) in PHP_VENDORS {
        for (kind, list, n) in [
            ("Component", PHP_COMPONENTS, comps),
            ("Bundle", PHP_BUNDLES, bundles),
            ("Bridge", PHP_BRIDGES, bridges),
        ] {
            let mut pool = list.to_vec();
            if vendor != "Acme" || kind != "Component" {
                r.shuffle(&mut pool);
            }
            rest.extend(pool.into_iter().take(n).map(|name| (vendor, kind, name.to_string())));
        }
    }
    r.shuffle(&mut rest);
    let budgets = split_budget(&mut r, rest.len(), params.files as f64 * 0.982);
    specs.extend(rest);
    for (i, (vendor, kind, name)) in specs.into_iter().enumerate() {
        let (team, budget) = match kind {
            "Contracts" => (None, 40),
            _ => (Some((i * 7) % TEAMS.len()), budgets[i - 5]),
        };
        m.comps.push(layout_php_component(vendor, kind, &name, team, budget, &mut r));
    }
    assign_deps(&mut m, &mut r);
    php_root(&mut m, &mut r);
    m
}

/// `src/<Vendor>/<Kind>/<Name>/`: its own composer.json, docs, tests in
/// `Tests/`, resources for bundles, locale data for Intl.
fn layout_php_component(
    vendor: &str,
    kind: &str,
    name: &str,
    team: Option<usize>,
    budget: usize,
    r: &mut Rng,
) -> Comp {
    let root = format!("src/{vendor}/{kind}/{name}");
    let mut c = Comp::new(Lang::Php, name, root.clone(), team, 4_800.0);
    c.ns = format!("{vendor}\\{kind}\\{name}");
    c.tests = Some((format!("{root}/Tests"), format!("{}\\Tests", c.ns)));
    c.add(format!("{root}/composer.json"), Content::Config(Config::Composer));
    for (file, doc) in [
        ("README.md", Doc::Markdown),
        ("CHANGELOG.md", Doc::Markdown),
        ("LICENSE", Doc::Text),
        ("phpunit.xml.dist", Doc::Xml),
        (".gitattributes", Doc::Text),
    ] {
        c.doc(format!("{root}/{file}"), doc, r);
    }
    if kind == "Bundle" {
        php_class(&mut c, "", Some(name), r);
        let short = name.trim_end_matches("Bundle");
        php_class(&mut c, "DependencyInjection", Some(&format!("{short}Extension")), r);
        php_class(&mut c, "DependencyInjection", Some("Configuration"), r);
        c.source(format!("{root}/Resources/config/services.php"), None, false);
        for _ in 0..r.range(2, 14) {
            let dir = format!("{root}/Resources/views/{}", noun(r));
            let stem = c.fresh(&dir, &snake(r), ".html.twig");
            c.doc(format!("{dir}/{stem}.html.twig"), Doc::Twig, r);
        }
    }
    if kind == "Bundle" || r.chance(0.3) {
        for lang in ["en", "de", "fr", "es", "it", "nl", "pl"].iter().take(r.range(1, 8)) {
            c.doc(format!("{root}/Resources/translations/{}.{lang}.xlf", name.to_lowercase()), Doc::Xliff, r);
        }
    }
    if r.chance(0.25) {
        c.doc(format!("{root}/Resources/doc/index.rst"), Doc::Rst, r);
    }
    if name == "Intl" {
        intl_data(&mut c, budget / 2, r);
    }
    for _ in 0..r.range(0, 6) {
        let stem = c.fresh(&format!("{root}/Tests/Fixtures"), &pascal(r), ".php");
        c.source(format!("{root}/Tests/Fixtures/{stem}.php"), None, true);
        let data = c.fresh(&format!("{root}/Tests/Fixtures"), &snake(r), ".yaml");
        c.doc(format!("{root}/Tests/Fixtures/{data}.yaml"), Doc::Yaml, r);
    }
    // Fixtures, views, service definitions and translations: about a
    // tenth of a framework component's files.
    layout_php(&mut c, budget * 9 / 10, FRAMEWORK, 4, r);
    companions(&mut c, budget, r);
    c
}

/// Locale tables, `Resources/data/<table>/<locale>.php`, as Symfony's Intl has.
fn intl_data(c: &mut Comp, n: usize, r: &mut Rng) {
    let tables = ["locales", "languages", "regions", "currencies", "scripts", "timezones"];
    let mut made = 0;
    'outer: for a in b'a'..=b'z' {
        for b in b'a'..=b'z' {
            for table in tables {
                if made >= n {
                    break 'outer;
                }
                if r.chance(0.7) {
                    continue;
                }
                let locale = format!("{}{}", a as char, b as char);
                let size = lognormal(r, 9_000.0, 0.6, 800, 120_000);
                c.add(format!("{}/Resources/data/{table}/{locale}.php", c.root), Content::Data(size));
                made += 1;
            }
        }
    }
}

fn php_root(m: &mut Model, r: &mut Rng) {
    let mut root = Comp::default();
    root.add("composer.json".into(), Content::Config(Config::RootComposer));
    root.add("composer.lock".into(), Content::Doc(Doc::Lock(Lock::Composer), 520_000));
    root.add(".php-cs-fixer.dist.php".into(), Content::Fixed(PHP_CS_FIXER));
    for (path, doc) in [
        ("README.md", Doc::Markdown),
        ("CONTRIBUTING.md", Doc::Markdown),
        ("CHANGELOG-7.2.md", Doc::Markdown),
        ("UPGRADE-8.0.md", Doc::Markdown),
        ("LICENSE", Doc::Text),
        ("phpunit.xml.dist", Doc::Xml),
        ("psalm.xml", Doc::Xml),
        (".gitattributes", Doc::Text),
        (".gitignore", Doc::Text),
        (".github/PULL_REQUEST_TEMPLATE.md", Doc::Markdown),
    ] {
        root.doc(path.into(), doc, r);
    }
    for name in
        ["unit-tests", "integration-tests", "static-analysis", "psalm", "phpunit-bridge", "package-tests"]
    {
        root.doc(format!(".github/workflows/{name}.yml"), Doc::Yaml, r);
    }
    m.root = root.files;
    m.shared = [
        "ownership.yaml",
        "composer.json",
        "composer.lock",
        ".php-cs-fixer.dist.php",
        "README.md",
        "CONTRIBUTING.md",
        "CHANGELOG-*.md",
        "UPGRADE-*.md",
        "LICENSE",
        "phpunit.xml.dist",
        "psalm.xml",
        ".gitattributes",
        ".gitignore",
        ".github/**",
        "src/*/Contracts/**",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
}
