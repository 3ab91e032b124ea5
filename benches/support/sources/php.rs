//! PHP source files: PSR-4 classes with their `use` statements,
//! docblocks and heredocs, scripts and locale tables.

use std::fmt::Write as _;

use crate::synth::Rng;

use super::content::{own_pick, picks, File, Pick};
use super::words::{camel, cap, import_count, noun, pascal, sentence, verb};

/// Classes of vendor packages (not in the tree).
const PHP_EXT: &[&str] = &[
    "Symfony\\Component\\HttpFoundation\\Request",
    "Symfony\\Component\\HttpFoundation\\Response",
    "Symfony\\Component\\HttpFoundation\\JsonResponse",
    "Symfony\\Component\\Routing\\Attribute\\Route",
    "Symfony\\Component\\EventDispatcher\\EventSubscriberInterface",
    "Symfony\\Contracts\\Translation\\TranslatorInterface",
    "Symfony\\Component\\Messenger\\Attribute\\AsMessageHandler",
    "Psr\\Log\\LoggerInterface",
    "Psr\\Container\\ContainerInterface",
    "Psr\\EventDispatcher\\EventDispatcherInterface",
    "Psr\\Clock\\ClockInterface",
    "Doctrine\\ORM\\EntityManagerInterface",
    "Doctrine\\Common\\Collections\\ArrayCollection",
    "Doctrine\\Common\\Collections\\Collection",
    "Doctrine\\DBAL\\Connection",
    "Ramsey\\Uuid\\UuidInterface",
    "Carbon\\CarbonImmutable",
    "GuzzleHttp\\ClientInterface",
    "Webmozart\\Assert\\Assert",
    "Twig\\Environment",
];

const PHP_HEADER: &str = "/*\n * This file is part of the Acme package.\n *\n * (c) Acme Corp <dev@acme.example>\n *\n * For the full copyright and license information, please view the LICENSE\n * file that was distributed with this source code.\n */\n\n";

/// The namespace a file at `path` has: its class's, or for tests and
/// fixtures the one its directory maps to.
fn php_namespace(f: &File) -> String {
    if let (false, Some(u)) = (f.test, f.own()) {
        return u.name.rsplit_once('\\').map_or(String::new(), |(ns, _)| ns.to_string());
    }
    let dir = f.path.rsplit_once('/').map_or("", |(d, _)| d);
    match &f.c.tests {
        Some((tests, ns)) if dir.starts_with(tests.as_str()) => {
            let rel = dir[tests.len()..].trim_start_matches('/');
            if rel.is_empty() {
                ns.clone()
            } else {
                format!("{ns}\\{}", rel.replace('/', "\\"))
            }
        }
        _ => f.c.ns.clone(),
    }
}

pub(super) fn php_source(f: &File, r: &mut Rng, o: &mut String) {
    o.push_str("<?php\n\n");
    if r.chance(0.6) {
        o.push_str(PHP_HEADER);
    }
    if r.chance(0.6) {
        o.push_str("declare(strict_types=1);\n\n");
    }
    let script = f.unit.is_none() && !f.test;
    if !script {
        w!(o, "namespace {};\n\n", php_namespace(f));
    }
    let mut chosen = picks(f, import_count(r, f.test) + 2, PHP_EXT.len(), r);
    if let (true, Some(u)) = (f.test, f.unit) {
        chosen.insert(0, Pick::Own(u));
    }
    let used = php_uses(f, &chosen, r, o);
    if script {
        return php_script(&used, r, o);
    }
    let class = match (f.test, f.own()) {
        (false, Some(u)) => u.items[0].clone(),
        _ => f.path.rsplit('/').next().unwrap_or("X.php").trim_end_matches(".php").to_string(),
    };
    php_class_body(f, &class, &used, r, o);
}

/// Writes the `use` statements (grouped now and then, aliased where short
/// names clash) and returns the short names they bind.
fn php_uses(f: &File, chosen: &[Pick], r: &mut Rng, o: &mut String) -> Vec<String> {
    let mut fqcns: Vec<String> = chosen
        .iter()
        .map(|&p| match p {
            Pick::Ext(i) => PHP_EXT[i].to_string(),
            _ => f.unit_of(p).1.name.clone(),
        })
        .collect();
    if f.test {
        fqcns.push("PHPUnit\\Framework\\TestCase".into());
    } else if f.unit.is_none() {
        fqcns.push(
            "Symfony\\Component\\DependencyInjection\\Loader\\Configurator\\ContainerConfigurator".into(),
        );
    }
    fqcns.sort();
    fqcns.dedup();
    let mut shorts: Vec<String> = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    let mut k = 0;
    while k < fqcns.len() {
        let (ns, _) = fqcns[k].rsplit_once('\\').unwrap_or(("", &fqcns[k]));
        let run = fqcns[k..].iter().take_while(|c| c.rsplit_once('\\').is_some_and(|(n, _)| n == ns)).count();
        let mut names = Vec::new();
        for fq in &fqcns[k..k + run] {
            let short = fq.rsplit('\\').next().unwrap_or(fq).to_string();
            let bound = match shorts.contains(&short) {
                true => format!("{}{short}", ns.rsplit('\\').next().unwrap_or("X")),
                false => short.clone(),
            };
            names.push(if bound == short { short } else { format!("{short} as {bound}") });
            shorts.push(bound);
        }
        if run > 1 && r.chance(0.3) {
            lines.push(format!("use {ns}\\{{{}}};", names.join(", ")));
        } else {
            lines.extend(names.iter().map(|n| format!("use {ns}\\{n};")));
        }
        k += run;
    }
    for line in &lines {
        w!(o, "{line}\n");
    }
    if r.chance(0.1) {
        o.push_str("\nuse function sprintf;\nuse function array_map;\n");
    }
    o.push('\n');
    shorts
}

/// A class, interface, trait or enum named `class`, with docblocks that
/// name classes (not references), fully qualified names in code (which
/// are) and heredocs holding PHP.
fn php_class_body(f: &File, class: &str, used: &[String], r: &mut Rng, o: &mut String) {
    let see = php_any_class(f, r);
    w!(
        o,
        "/**\n * {}\n *\n * @author {} {} <{}@acme.example>\n *\n * @see \\{see}\n */\n",
        sentence(r),
        cap(noun(r)),
        cap(noun(r)),
        noun(r)
    );
    let kind = if f.test {
        "final class"
    } else if class.ends_with("Interface") {
        "interface"
    } else if class.ends_with("Trait") {
        "trait"
    } else if class.ends_with("Status") {
        return php_enum(class, r, o);
    } else {
        *r.pick(&["final class", "class", "abstract class", "final class"])
    };
    let parent = match (f.test, used.first()) {
        (true, _) => " extends TestCase".to_string(),
        (false, Some(p)) if kind.ends_with("class") && r.chance(0.3) => format!(" extends {p}"),
        _ => String::new(),
    };
    w!(o, "{kind} {class}{parent}\n{{\n");
    if kind == "interface" {
        for _ in 0..r.range(2, 7) {
            w!(
                o,
                "    /**\n     * {}\n     */\n    public function {}{}(array $options = []): mixed;\n\n",
                sentence(r),
                verb(r),
                pascal(r)
            );
        }
        o.push_str("}\n");
        return;
    }
    w!(o, "    private const DEFAULT_{} = {};\n\n", noun(r).to_uppercase(), r.range(1, 1000));
    if let Some(dep) = used.iter().find(|_| !f.test) {
        w!(o, "    public function __construct(\n        private readonly {dep} ${},\n        private readonly ?\\Psr\\Log\\LoggerInterface $logger = null,\n    ) {{\n    }}\n\n", noun(r));
    }
    while o.len() < f.target {
        php_method(f, used, r, o);
    }
    o.push_str("}\n");
}

fn php_enum(class: &str, r: &mut Rng, o: &mut String) {
    w!(o, "enum {class}: string\n{{\n");
    for _ in 0..r.range(3, 9) {
        let n = noun(r);
        w!(o, "    case {} = '{n}';\n", cap(n));
    }
    o.push_str(
        "\n    public function isFinal(): bool\n    {\n        return match ($this) {\n            self::",
    );
    w!(o, "{} => true,\n            default => false,\n        }};\n    }}\n}}\n", cap(noun(r)));
}

/// The name of some class of the file's component, often one near it.
fn php_any_class(f: &File, r: &mut Rng) -> String {
    for _ in 0..8 {
        if let Some(Pick::Own(u)) = own_pick(f.c, f.unit, r) {
            return f.c.units[u].name.clone();
        }
    }
    f.c.units.first().map_or_else(|| "Stringable".to_string(), |u| u.name.clone())
}

fn php_method(f: &File, used: &[String], r: &mut Rng, o: &mut String) {
    let arg = camel(r);
    let ty = used.get(r.below(used.len().max(1))).cloned().unwrap_or_else(|| "array".into());
    let name = if f.test {
        format!("test{}{}", cap(verb(r)), pascal(r))
    } else {
        format!("{}{}", verb(r), pascal(r))
    };
    w!(
        o,
        "    /**\n     * {}\n     *\n     * @param \\{} ${arg} {}\n",
        sentence(r),
        php_any_class(f, r),
        sentence(r)
    );
    o.push_str("     *\n     * @return array<string, mixed>\n     *\n     * @throws \\InvalidArgumentException\n     */\n");
    w!(o, "    public function {name}({ty} ${arg}, array $options = []): array\n    {{\n");
    for _ in 0..r.range(2, 9) {
        php_statement(f, used, &arg, r, o);
    }
    o.push_str("        return $options;\n    }\n\n");
}

fn php_statement(f: &File, used: &[String], arg: &str, r: &mut Rng, o: &mut String) {
    match r.below(9) {
        0 | 1 if !used.is_empty() => w!(o, "        ${} = new {}(${arg}, $options['{}'] ?? null);\n", camel(r), r.pick(used), noun(r)),
        2 if !used.is_empty() => w!(o, "        ${} = {}::create(${arg}->getId());\n", camel(r), r.pick(used)),
        3 => w!(o, "        if (null === ${arg}) {{\n            throw new \\InvalidArgumentException(sprintf('The \"%s\" {} is missing.', ${arg}));\n        }}\n", noun(r)),
        4 => w!(o, "        foreach (${arg}->all() as $key => $value) {{\n            $this->{}s[$key] = $value;\n        }}\n", noun(r)),
        5 => w!(o, "        // {}\n", sentence(r)),
        6 => w!(o, "        $handler = new \\{}();\n", php_any_class(f, r)),
        7 => {
            let class = php_any_class(f, r);
            let ns = class.rsplit_once('\\').map_or("", |(n, _)| n);
            w!(o, "        $stub = <<<PHP\n            <?php\n            namespace {ns};\n\n            use {class};\n            PHP;\n");
        }
        _ => w!(o, "        $this->logger?->info('{}', ['{}' => ${arg}, 'class' => '{}']);\n", sentence(r), noun(r), php_any_class(f, r).replace('\\', "\\\\")),
    }
}

/// A file that returns configuration or boots the application.
fn php_script(used: &[String], r: &mut Rng, o: &mut String) {
    o.push_str("use function Symfony\\Component\\DependencyInjection\\Loader\\Configurator\\service;\n\n");
    o.push_str("return static function (ContainerConfigurator $container): void {\n    $services = $container->services()\n        ->defaults()\n        ->autowire()\n        ->autoconfigure();\n\n");
    for name in used {
        w!(o, "    $services->set('acme.{}', {name}::class)\n        ->args([service('logger'), '%kernel.{}%'])\n        ->tag('acme.{}');\n\n", noun(r), noun(r), noun(r));
    }
    o.push_str("};\n");
}

/// A locale table: `return [...]` and nothing to import.
pub(super) fn php_data(size: usize, r: &mut Rng, o: &mut String) {
    o.push_str("<?php\n\nreturn [\n    'Names' => [\n");
    while o.len() < size {
        let code: String = (0..r.range(2, 4)).map(|_| (b'a' + r.below(26) as u8) as char).collect();
        w!(o, "        '{code}' => '{} {}',\n", cap(noun(r)), cap(noun(r)));
    }
    o.push_str("    ],\n];\n");
}
