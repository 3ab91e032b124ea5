//! Build manifests and configuration, written from the model: `go.mod`,
//! `package.json`, `tsconfig.json`, `pyproject.toml`, `composer.json`,
//! `Cargo.toml` and their workspace roots.

use std::fmt::Write as _;

use crate::synth::Rng;

use super::model::{Comp, Config, Lang, Model};
use super::php_monorepo::PHP_VENDORS;
use super::words::noun;

pub(super) fn config(m: &Model, c: Option<&Comp>, kind: Config, r: &mut Rng, o: &mut String) {
    let comps = |lang: Lang| m.comps.iter().filter(move |c| c.lang == Some(lang) && c.team.is_some());
    match (kind, c) {
        (Config::GoMod, Some(c)) => go_mod(m, c, r, o),
        (Config::PackageJson, Some(c)) => package_json(m, c, o),
        (Config::Tsconfig, Some(c)) => tsconfig(m, c, o),
        (Config::Pyproject, Some(c)) => pyproject(m, c, o),
        (Config::Composer, Some(c)) => composer(m, c, o),
        (Config::CargoToml, Some(c)) => cargo_toml(m, c, o),
        (Config::GradleBuild, Some(c)) => gradle_build(m, c, o),
        (Config::GradleSettings, _) => {
            o.push_str("rootProject.name = \"acme\"\n\npluginManagement {\n    repositories { gradlePluginPortal() }\n}\n\n");
            let jvm = m.comps.iter().filter(|c| c.lang.map(Lang::family) == Some(Lang::Java));
            for c in jvm {
                w!(
                    o,
                    "include(\":{}\")\nproject(\":{}\").projectDir = file(\"{}\")\n",
                    c.name,
                    c.name,
                    c.root
                );
            }
        }
        (Config::GoWork, _) => {
            o.push_str("go 1.22.5\n\nuse (\n");
            for c in comps(Lang::Go) {
                w!(o, "\t./{}\n", c.root);
            }
            o.push_str(")\n");
        }
        (Config::RootPackageJson, _) => o.push_str(ROOT_PACKAGE_JSON),
        (Config::PnpmWorkspace, _) => o.push_str("packages:\n  - \"web/packages/*\"\n"),
        (Config::TsconfigBase, _) => {
            o.push_str(TSCONFIG_BASE_HEAD);
            let entries: Vec<String> = comps(Lang::Ts)
                .flat_map(|c| {
                    [
                        format!("      \"{}\": [\"{}/src/index.ts\"]", c.ns, c.root),
                        format!("      \"{}/*\": [\"{}/src/*\"]", c.ns, c.root),
                    ]
                })
                .collect();
            w!(
                o,
                "{}\n    }}\n  }},\n  \"exclude\": [\"**/node_modules\", \"**/dist\"]\n}}\n",
                entries.join(",\n")
            );
        }
        (Config::RootPyproject, _) => {
            o.push_str("[project]\nname = \"acme-monorepo\"\nversion = \"0\"\nrequires-python = \">=3.11\"\n\n[tool.uv.workspace]\nmembers = [\"python/*\"]\n\n");
            o.push_str(
                "[tool.ruff]\nline-length = 100\ntarget-version = \"py311\"\n\n[tool.mypy]\nstrict = true\n",
            );
        }
        (Config::AppComposer, _) => o.push_str(APP_COMPOSER),
        (Config::RootComposer, _) => root_composer(m, o),
        (Config::CargoWorkspace, _) => {
            o.push_str("[workspace]\nresolver = \"2\"\nmembers = [\"crates/*\"]\n\n[workspace.package]\nedition = \"2021\"\nlicense = \"Apache-2.0\"\n\n[workspace.dependencies]\n");
            for (name, version) in CRATES {
                w!(o, "{name} = \"{version}\"\n");
            }
            for c in comps(Lang::Rust) {
                w!(o, "acme-{} = {{ path = \"{}\" }}\n", c.name, c.root);
            }
        }
        _ => unreachable!("a component's configuration without its component"),
    }
}

/// Components `c` depends on.
fn deps_of<'m>(m: &'m Model, c: &'m Comp) -> impl Iterator<Item = &'m Comp> {
    c.same_team.iter().chain(&c.other_team).map(|&d| &m.comps[d])
}

fn go_mod(m: &Model, c: &Comp, r: &mut Rng, o: &mut String) {
    w!(o, "module {}\n\ngo 1.22.5\n\nrequire (\n", c.ns);
    for d in deps_of(m, c) {
        w!(o, "\t{} v0.0.0-00010101000000-000000000000\n", d.ns);
    }
    for module in GO_MODULES {
        w!(o, "\t{module} v1.{}.{}\n", r.below(30), r.below(10));
    }
    o.push_str(")\n\nrequire (\n");
    for _ in 0..r.range(5, 25) {
        w!(o, "\tgithub.com/{}/{} v0.{}.{} // indirect\n", noun(r), noun(r), r.below(20), r.below(10));
    }
    o.push_str(")\n");
    for d in deps_of(m, c) {
        w!(o, "\nreplace {} => ../{}\n", d.ns, d.name);
    }
}

fn package_json(m: &Model, c: &Comp, o: &mut String) {
    w!(
        o,
        "{{\n  \"name\": \"{}\",\n  \"version\": \"0.0.0\",\n  \"private\": true,\n  \"type\": \"module\",\n",
        c.ns
    );
    o.push_str("  \"main\": \"./src/index.ts\",\n  \"types\": \"./src/index.ts\",\n  \"exports\": {\n    \".\": \"./src/index.ts\",\n    \"./*\": \"./src/*.ts\"\n  },\n");
    o.push_str("  \"scripts\": {\n    \"build\": \"tsc -b\",\n    \"test\": \"vitest run\",\n    \"lint\": \"eslint src\"\n  },\n  \"dependencies\": {\n");
    let mut deps: Vec<String> = deps_of(m, c).map(|d| format!("    \"{}\": \"workspace:*\"", d.ns)).collect();
    deps.extend(
        ["react", "react-dom", "zod", "date-fns"].iter().map(|p| format!("    \"{p}\": \"^18.3.1\"")),
    );
    w!(o, "{}\n  }},\n  \"devDependencies\": {{\n    \"typescript\": \"^5.5.4\",\n    \"vitest\": \"^2.0.5\"\n  }}\n}}\n", deps.join(",\n"));
}

fn tsconfig(m: &Model, c: &Comp, o: &mut String) {
    o.push_str("{\n  // Inherits the workspace's compiler options and package paths.\n  \"extends\": \"../../../tsconfig.base.json\",\n  \"compilerOptions\": {\n    \"outDir\": \"dist\",\n    \"rootDir\": \"src\"");
    if c.alias {
        // A package's own `paths` replaces the base's: imports of other
        // packages then go through the workspace's node_modules links.
        o.push_str(",\n    \"baseUrl\": \".\",\n    \"paths\": {\n      \"@/*\": [\"./src/*\"]\n    }");
    }
    o.push_str("\n  },\n  \"include\": [\"src\"],\n  \"references\": [");
    let refs: Vec<String> = deps_of(m, c).map(|d| format!("{{ \"path\": \"../{}\" }}", d.name)).collect();
    w!(o, "{}]\n}}\n", refs.join(", "));
}

fn pyproject(m: &Model, c: &Comp, o: &mut String) {
    w!(o, "[project]\nname = \"acme-{}\"\nversion = \"0.1.0\"\ndescription = \"The {} project.\"\nrequires-python = \">=3.11\"\ndependencies = [\n", c.name, c.name);
    for d in deps_of(m, c) {
        w!(o, "    \"acme-{}\",\n", d.name);
    }
    o.push_str("    \"httpx>=0.27\",\n    \"pydantic>=2.7\",\n    \"sqlalchemy>=2.0\",\n]\n\n[project.optional-dependencies]\ndev = [\"pytest>=8\", \"mypy>=1.10\"]\n\n[tool.uv.sources]\n");
    for d in deps_of(m, c) {
        w!(o, "acme-{} = {{ workspace = true }}\n", d.name);
    }
    w!(o, "\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n[tool.hatch.build.targets.wheel]\npackages = [\"src/{}\"]\n\n[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\n", c.ns);
}

/// `acme/http-kernel` for `Acme\Component\HttpKernel`, `acme/framework-bundle`...
fn composer_name(c: &Comp) -> String {
    let mut parts = c.ns.split('\\');
    let vendor = parts.next().unwrap_or("acme").to_lowercase();
    let kind = parts.next().unwrap_or("");
    let mut kebab = String::new();
    for (i, ch) in c.name.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            kebab.push('-');
        }
        kebab.push(ch.to_ascii_lowercase());
    }
    match kind {
        "Bridge" => format!("{vendor}/{kebab}-bridge"),
        "Contracts" => format!("{vendor}/{kebab}-contracts"),
        _ => format!("{vendor}/{kebab}"),
    }
}

fn composer(m: &Model, c: &Comp, o: &mut String) {
    w!(o, "{{\n    \"name\": \"{}\",\n    \"type\": \"{}\",\n    \"description\": \"Provides the {} features\",\n", composer_name(c), if c.ns.contains("\\Bundle\\") { "symfony-bundle" } else { "library" }, c.name);
    o.push_str("    \"license\": \"MIT\",\n    \"authors\": [\n        {\n            \"name\": \"Acme Corp\",\n            \"email\": \"dev@acme.example\"\n        }\n    ],\n    \"require\": {\n        \"php\": \">=8.2\"");
    for d in deps_of(m, c) {
        w!(o, ",\n        \"{}\": \"^7.2\"", composer_name(d));
    }
    o.push_str(",\n        \"psr/log\": \"^1|^2|^3\"\n    },\n    \"require-dev\": {\n        \"symfony/phpunit-bridge\": \"^7.1\"\n    },\n");
    w!(o, "    \"autoload\": {{\n        \"psr-4\": {{ \"{}\\\\\": \"\" }},\n        \"exclude-from-classmap\": [\n            \"/Tests/\"\n        ]\n    }},\n    \"minimum-stability\": \"dev\"\n}}\n", c.ns.replace('\\', "\\\\"));
}

fn root_composer(m: &Model, o: &mut String) {
    o.push_str("{\n    \"name\": \"acme/acme\",\n    \"type\": \"library\",\n    \"license\": \"MIT\",\n    \"require\": {\n        \"php\": \">=8.2\",\n        \"psr/log\": \"^1|^2|^3\",\n        \"psr/container\": \"^1.1|^2.0\",\n        \"doctrine/orm\": \"^3.2\",\n        \"twig/twig\": \"^3.10\"\n    },\n    \"replace\": {\n");
    let names: Vec<String> =
        m.comps.iter().map(|c| format!("        \"{}\": \"self.version\"", composer_name(c))).collect();
    o.push_str(&names.join(",\n"));
    o.push_str("\n    },\n    \"autoload\": {\n        \"psr-4\": {\n");
    // Bridges first, mapped one by one as Symfony's root composer.json
    // does, then every vendor prefix.
    let mut entries: Vec<String> = m
        .comps
        .iter()
        .filter(|c| c.ns.contains("\\Bridge\\"))
        .map(|c| format!("            \"{}\\\\\": \"{}/\"", c.ns.replace('\\', "\\\\"), c.root))
        .collect();
    for (vendor, ..) in PHP_VENDORS {
        entries.push(format!("            \"{vendor}\\\\\": \"src/{vendor}/\""));
    }
    o.push_str(&entries.join(",\n"));
    o.push_str("\n        },\n        \"exclude-from-classmap\": [\n            \"**/Tests/\"\n        ]\n    },\n    \"minimum-stability\": \"dev\"\n}\n");
}

fn cargo_toml(m: &Model, c: &Comp, o: &mut String) {
    w!(o, "[package]\nname = \"acme-{}\"\nversion = \"0.1.0\"\nedition.workspace = true\nlicense.workspace = true\npublish = false\n\n[dependencies]\n", c.name);
    for d in deps_of(m, c) {
        match c.alias {
            true => w!(o, "acme-{} = {{ workspace = true }}\n", d.name),
            false => w!(o, "acme-{} = {{ path = \"../{}\" }}\n", d.name, d.name),
        }
    }
    for (name, _) in CRATES.iter().take(9) {
        w!(o, "{name} = {{ workspace = true }}\n");
    }
    o.push_str("\n[dev-dependencies]\nproptest = \"1\"\ncriterion = \"0.5\"\n");
}

/// The modules [`GO_EXT`]'s packages come from.
const GO_MODULES: &[&str] = &[
    "github.com/go-chi/chi/v5",
    "github.com/google/uuid",
    "github.com/jackc/pgx/v5",
    "github.com/prometheus/client_golang",
    "github.com/redis/go-redis/v9",
    "go.opentelemetry.io/otel",
    "go.uber.org/zap",
    "golang.org/x/sync",
    "google.golang.org/grpc",
    "google.golang.org/protobuf",
];

/// Vendor crates of the workspace.
const CRATES: &[(&str, &str)] = &[
    ("serde", "1"),
    ("anyhow", "1"),
    ("thiserror", "1"),
    ("tokio", "1"),
    ("tracing", "0.1"),
    ("uuid", "1"),
    ("chrono", "0.4"),
    ("sqlx", "0.8"),
    ("axum", "0.7"),
    ("futures", "0.3"),
    ("bytes", "1"),
    ("prost", "0.13"),
];

const ROOT_PACKAGE_JSON: &str = "{\n  \"name\": \"acme-monorepo\",\n  \"private\": true,\n  \"packageManager\": \"pnpm@9.6.0\",\n  \"scripts\": {\n    \"build\": \"pnpm -r build\",\n    \"test\": \"pnpm -r test\"\n  },\n  \"devDependencies\": {\n    \"eslint\": \"^9.8.0\",\n    \"prettier\": \"^3.3.3\",\n    \"typescript\": \"^5.5.4\"\n  }\n}\n";

const TSCONFIG_BASE_HEAD: &str = "{\n  \"compilerOptions\": {\n    \"target\": \"ES2022\",\n    \"module\": \"ESNext\",\n    \"moduleResolution\": \"bundler\",\n    \"jsx\": \"react-jsx\",\n    \"strict\": true,\n    \"skipLibCheck\": true,\n    \"baseUrl\": \".\",\n    \"paths\": {\n";

const APP_COMPOSER: &str = "{\n    \"name\": \"acme/shop\",\n    \"type\": \"project\",\n    \"license\": \"proprietary\",\n    \"require\": {\n        \"php\": \">=8.2\",\n        \"ext-ctype\": \"*\",\n        \"doctrine/orm\": \"^3.2\",\n        \"symfony/framework-bundle\": \"7.1.*\",\n        \"symfony/messenger\": \"7.1.*\",\n        \"psr/log\": \"^3.0\"\n    },\n    \"require-dev\": {\n        \"phpunit/phpunit\": \"^11.2\"\n    },\n    \"autoload\": {\n        \"psr-4\": {\n            \"Acme\\\\\": \"src/Acme/\"\n        }\n    },\n    \"autoload-dev\": {\n        \"psr-4\": {\n            \"Acme\\\\Tests\\\\\": \"tests/\"\n        }\n    },\n    \"config\": {\n        \"sort-packages\": true\n    }\n}\n";

pub(super) const PHP_CONSOLE: &str = "#!/usr/bin/env php\n<?php\n\nuse Acme\\Platform\\Kernel;\nuse Symfony\\Bundle\\FrameworkBundle\\Console\\Application;\n\nrequire_once dirname(__DIR__).'/vendor/autoload_runtime.php';\n\nreturn function (array $context) {\n    $kernel = new Kernel($context['APP_ENV'], (bool) $context['APP_DEBUG']);\n\n    return new Application($kernel);\n};\n";

pub(super) const ESLINT_CONFIG: &str = "// @ts-check\nimport js from '@eslint/js';\nimport tseslint from 'typescript-eslint';\nimport react from 'eslint-plugin-react';\n\nexport default tseslint.config(\n  js.configs.recommended,\n  ...tseslint.configs.recommended,\n  {\n    plugins: { react },\n    rules: {\n      'no-restricted-imports': ['error', { patterns: ['../../*/src/*'] }],\n    },\n  },\n);\n";

pub(super) const PHP_CS_FIXER: &str = "<?php\n\n$finder = (new PhpCsFixer\\Finder())\n    ->in(__DIR__.'/src')\n    ->exclude(['Resources/data'])\n    ->notPath('#/Fixtures/#');\n\nreturn (new PhpCsFixer\\Config())\n    ->setRules([\n        '@Symfony' => true,\n        'native_function_invocation' => ['include' => ['@compiler_optimized'], 'scope' => 'namespaced'],\n        'header_comment' => ['header' => 'This file is part of the Acme package.'],\n    ])\n    ->setRiskyAllowed(true)\n    ->setFinder($finder);\n";

/// A subproject's `build.gradle.kts`: its plugins and its dependencies on
/// the subprojects it imports from.
fn gradle_build(m: &Model, c: &Comp, o: &mut String) {
    let plugin = if c.lang == Some(Lang::Kotlin) { "kotlin(\"jvm\")" } else { "`java-library`" };
    w!(o, "import org.gradle.api.tasks.testing.logging.TestExceptionFormat\n\nplugins {{\n    {plugin}\n}}\n\ndependencies {{\n");
    for &d in c.same_team.iter().chain(&c.other_team) {
        w!(o, "    implementation(project(\":{}\"))\n", m.comps[d].name);
    }
    o.push_str("    implementation(\"org.springframework.boot:spring-boot-starter-web:3.3.2\")\n    testImplementation(\"org.junit.jupiter:junit-jupiter:5.10.3\")\n}\n\n");
    o.push_str("tasks.test {\n    useJUnitPlatform()\n    testLogging { exceptionFormat = TestExceptionFormat.FULL }\n}\n");
}
