//! Table-driven tests: one tree per ecosystem, one line per reference.
//!
//! Expected results are written `kind: dir dir - carve_out carve_out` (the
//! root is `.`), `? kind:name kind:name` for `NotFound` and its candidates,
//! or `renamed at file:line: kind:name` for `Renamed`.

use super::*;

fn render(result: Result<Resolution, PackageError>) -> String {
    let dirs = |ds: &[Vec<u8>]| {
        ds.iter()
            .map(|d| if d.is_empty() { ".".to_string() } else { String::from_utf8_lossy(d).into_owned() })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let both = |a: &[Vec<u8>], b: &[Vec<u8>]| dirs(&[a, b].concat());
    match result {
        Ok(r) if r.carve_outs.is_empty() && r.carved_files.is_empty() => {
            format!("{}: {}", r.kind, both(&r.dirs, &r.files))
        }
        Ok(r) => {
            format!("{}: {} - {}", r.kind, both(&r.dirs, &r.files), both(&r.carve_outs, &r.carved_files))
        }
        Err(PackageError::NotFound { candidates, .. }) => {
            format!("? {}", candidates.join(" ")).trim_end().to_string()
        }
        Err(PackageError::Renamed { now, at, .. }) => format!("renamed at {at}: {}", now.join(" ")),
        Err(e @ PackageError::Glob { .. }) => format!("glob error: {e}"),
        Err(e @ PackageError::TooDeep { .. }) => format!("too deep: {e}"),
        Err(PackageError::Read(e)) => format!("read error: {e}"),
    }
}

/// Resolves every case against one tree and reports all mismatches at once.
fn check(files: &[(&str, &str)], cases: &[(&str, &str)]) {
    let tree = MemoryFiles::new(files.iter().copied());
    let index = PackageIndex::new(&tree);
    let mut failures = Vec::new();
    for (spec, want) in cases {
        let got = render(index.resolve(&PackageSpec::parse(spec)));
        if got != *want {
            failures.push(format!("{spec}\n   want: {want}\n    got: {got}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The `(path, reason)` pairs of every unusable manifest, reasons cut to `len` chars.
fn skipped(files: &[(&str, &str)], len: usize) -> Vec<(String, String)> {
    let tree = MemoryFiles::new(files.iter().copied());
    let index = PackageIndex::new(&tree);
    index.build_all().unwrap();
    index.skipped().into_iter().map(|(p, r)| (p, r.chars().take(len).collect())).collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

const NPM: &[(&str, &str)] = &[
    (
        "package.json",
        r#"{"name": "root", "private": true, "workspaces": ["packages/*"], "dependencies": {"dep-only": "1"}}"#,
    ),
    ("packages/web/package.json", r#"{"name": "@inflearn/course-web", "dependencies": {"react": "18"}}"#),
    ("packages/web/src/index.ts", ""),
    ("packages/web/node_modules/react/package.json", r#"{"name": "react"}"#),
    ("node_modules/left-pad/package.json", r#"{"name": "left-pad"}"#),
    ("packages/api/package.json", "\u{feff}{\"name\": \"api\"}"),
    ("packages/api/test/fixture/package.json", r#"{"name": "fixture"}"#),
    ("packages/web/dist/esm/package.json", r#"{"type": "module"}"#),
    ("bad/package.json", "{not json"),
    ("array/package.json", "[1, 2]"),
    ("numeric/package.json", r#"{"name": 3}"#),
];

#[test]
fn npm() {
    check(
        NPM,
        &[
            // Only workspace members are carved out: `packages/*` does not
            // reach the test fixture, a file of `api` as `npm pack` ships it.
            ("npm:root", "npm: . - packages/api packages/web"),
            ("npm:@inflearn/course-web", "npm: packages/web"),
            ("npm:api", "npm: packages/api"),
            // Named, it is still found, and owns its own directory.
            ("npm:fixture", "npm: packages/api/test/fixture"),
            // Only a dependency, or only installed under node_modules.
            ("npm:dep-only", "? npm:api npm:root npm:@inflearn/course-web npm:fixture"),
            ("npm:react", "? npm:root npm:@inflearn/course-web npm:fixture npm:api"),
            ("npm:left-pad", "? npm:fixture npm:@inflearn/course-web npm:root npm:api"),
            ("npm:course-web", "? npm:@inflearn/course-web npm:fixture npm:root npm:api"),
        ],
    );
    assert_eq!(
        skipped(NPM, 20),
        pairs(&[
            ("array/package.json", "top level is not a J"),
            ("bad/package.json", "invalid JSON: key mu"),
            ("numeric/package.json", "`name` is not a stri"),
        ])
    );
}

const CARGO: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        "[package]\nname = \"app\"\n\n[workspace]\nmembers = [\"crates/*\"]\n\n[dependencies]\nserde = \"1\"\n\n[[bin]]\nname = \"cli\"\npath = \"src/main.rs\"\n",
    ),
    ("src/main.rs", ""),
    ("crates/cli/Cargo.toml", "[package]\nname = \"cli\"\n"),
    ("crates/foo/Cargo.toml", "[package]\nname = \"foo_core\"\n[lib]\nname = \"foo\"\n"),
    ("tools/Cargo.toml", "[workspace]\nmembers = [\"x\"]\n"),
    ("tools/x/Cargo.toml", "[package]\nname = \"tools-x\"\n\n[dependencies.app]\npath = \"../..\"\n"),
    ("broken/Cargo.toml", "[package\nname = \"broken\""),
    ("noname/Cargo.toml", "[package]\nversion = \"1.0.0\"\n"),
];

#[test]
fn cargo() {
    check(
        CARGO,
        &[
            // A workspace root that is a package: every manifest below is carved out,
            // even the virtual and the broken one (cargo's own packaging rule).
            ("cargo:app", "cargo: . - broken crates/cli crates/foo noname tools tools/x"),
            // `[[bin]] name = "cli"` in the root does not make the root `cli`.
            ("cargo:cli", "cargo: crates/cli"),
            ("cargo:foo_core", "cargo: crates/foo"),
            ("cargo:tools-x", "cargo: tools/x"),
            // Exact names only; the other spelling comes first among the suggestions.
            ("cargo:foo-core", "? cargo:foo_core cargo:tools-x cargo:cli cargo:app"),
            // `[lib] name`, a dependency key, a virtual manifest: not packages.
            ("cargo:foo", "? cargo:foo_core cargo:tools-x cargo:app cargo:cli"),
            ("cargo:serde", "? cargo:foo_core cargo:app cargo:cli cargo:tools-x"),
            ("cargo:tools", "? cargo:tools-x cargo:foo_core cargo:cli cargo:app"),
        ],
    );
    assert_eq!(
        skipped(CARGO, 20),
        pairs(&[
            ("broken/Cargo.toml", "invalid TOML: TOML p"),
            ("noname/Cargo.toml", "[package] has no nam"),
        ])
    );
}

const GO: &[(&str, &str)] = &[
    (
        "go.mod",
        "module example.com/mono // the root\n\ngo 1.22\n\nrequire (\n\texample.com/dep v1.0.0\n\tmodule v0.1.0\n)\n",
    ),
    ("main.go", ""),
    ("tools/go.mod", "module \"example.com/mono/tools\"\n"),
    ("tools/gen/go.mod", "// generated code lives in its own module\nmodule `example.com/mono/tools/gen`\n"),
    ("tools/gen/x/y.go", ""),
    ("vendor/example.com/dep/go.mod", "module example.com/dep\n"),
    ("broken/go.mod", "go 1.22\n"),
    ("block/go.mod", "module (\n\texample.com/block\n)\n"),
];

#[test]
fn go() {
    check(
        GO,
        &[
            // Every go.mod below cuts the module, even ones that do not parse.
            ("go:example.com/mono", "go: . - block broken tools tools/gen"),
            ("go:example.com/mono/tools", "go: tools - tools/gen"),
            ("go:example.com/mono/tools/gen", "go: tools/gen"),
            // Vendored, or only required.
            (
                "go:example.com/dep",
                "? go:example.com/mono go:example.com/block go:example.com/mono/tools/gen go:example.com/mono/tools",
            ),
            // The block form of the module directive.
            ("go:example.com/block", "go: block"),
            (
                "go:module",
                "? go:example.com/mono/tools go:example.com/mono/tools/gen go:example.com/mono go:example.com/block",
            ),
        ],
    );
    assert_eq!(skipped(GO, 40), pairs(&[("broken/go.mod", "no module directive")]));
}

#[test]
fn go_module_directive() {
    let cases: &[(&str, Result<&str, &str>)] = &[
        ("module a.b/c", Ok("a.b/c")),
        ("module a.b/c// trailing comment", Ok("a.b/c")),
        ("\n\n  module   a.b/c   \r\n", Ok("a.b/c")),
        ("module \"a.b/c\"", Ok("a.b/c")),
        ("module \"a.b/\\\"q\\\"\"", Ok("a.b/\"q\"")),
        ("module `a.b/raw`", Ok("a.b/raw")),
        ("// module commented.out\nmodule real", Ok("real")),
        ("go 1.21\nrequire x v1\nmodule late.example", Ok("late.example")),
        ("replace (\n  module => ../x\n)\nmodule m", Ok("m")),
        // The block form, as `go mod edit -json` reads it.
        ("module (\n  a.b/c\n)", Ok("a.b/c")),
        ("module ( // the path\n\n  \"a.b/c\" // quoted\n)\ngo 1.21", Ok("a.b/c")),
        ("module ()\nmodule m", Ok("m")),
        ("module (\n)\nmodule m", Ok("m")),
        ("module (\n  a\n  b\n)", Err("line 3: repeated module directive")),
        ("module (\n  a b\n)", Err("line 2: malformed module directive")),
        ("module ( a )", Err("line 1: malformed module directive")),
        ("require (\n  x v1\n)\nmodule (\n  m\n)", Ok("m")),
        ("module", Err("line 1: malformed module directive")),
        ("module a b", Err("line 1: malformed module directive")),
        ("module \"\"", Err("line 1: malformed module directive")),
        ("module a\nmodule b", Err("line 2: repeated module directive")),
        ("module \"a.b", Err("unterminated string")),
        ("module `a.b\n`", Err("unterminated raw string")),
        ("", Err("no module directive")),
    ];
    for (text, want) in cases {
        let got = go::module_path(text);
        assert_eq!(got.as_deref().map_err(String::as_str), *want, "{text:?}");
    }
}

const MAVEN: &[(&str, &str)] = &[
    (
        "pom.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.inflearn</groupId>
  <artifactId> parent </artifactId>
  <packaging>pom</packaging>
  <modules><module>course</module><module>other</module></modules>
  <dependencies>
    <dependency><groupId>org.x</groupId><artifactId>dep-only</artifactId></dependency>
  </dependencies>
  <build><plugins><plugin><artifactId>maven-compiler-plugin</artifactId></plugin></plugins></build>
</project>"#,
    ),
    (
        "course/pom.xml",
        r#"<project xmlns="http://maven.apache.org/POM/4.0.0"><parent><groupId>com.inflearn</groupId><artifactId>parent</artifactId></parent><artifactId>course</artifactId></project>"#,
    ),
    (
        "other/pom.xml",
        "<project><groupId>org.other</groupId><parent><groupId>com.inflearn</groupId><artifactId>parent</artifactId></parent><artifactId>caf\u{e9}</artifactId></project>",
    ),
    ("lone/pom.xml", "<project><artifactId>lone</artifactId></project>"),
    ("bad/pom.xml", "<project><artifactId>x</project>"),
    ("settings/pom.xml", "<settings/>"),
    ("noartifact/pom.xml", "<project><parent><artifactId>parent</artifactId></parent></project>"),
];

#[test]
fn maven() {
    check(
        MAVEN,
        &[
            ("maven:parent", "maven: . - course lone other"),
            ("maven:com.inflearn:parent", "maven: . - course lone other"),
            // groupId inherited from <parent>.
            ("maven:com.inflearn:course", "maven: course"),
            ("maven:course", "maven: course"),
            // An own groupId wins over the parent's.
            ("maven:org.other:café", "maven: other"),
            (
                "maven:com.inflearn:café",
                "? maven:com.inflearn:course maven:com.inflearn:parent maven:lone maven:org.other:café",
            ),
            ("maven:lone", "maven: lone"),
            // Dependency, plugin and parent artifactIds are not modules.
            ("maven:dep-only", "? maven:lone maven:parent maven:course maven:café"),
            ("maven:maven-compiler-plugin", "? maven:lone maven:parent maven:course maven:café"),
        ],
    );
    assert_eq!(
        skipped(MAVEN, 40),
        pairs(&[
            ("bad/pom.xml", "invalid XML: expected 'artifactId' tag, "),
            ("noartifact/pom.xml", "no <project><artifactId>"),
            ("settings/pom.xml", "root element is <settings>, not <project"),
        ])
    );
}

#[test]
fn maven_latin1() {
    let mut tree = MemoryFiles::default();
    tree.files.insert(
        b"pom.xml".to_vec(),
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><project><name>Caf\xe9</name><artifactId>latin</artifactId></project>".to_vec(),
    );
    let index = PackageIndex::new(&tree);
    assert_eq!(render(index.resolve(&PackageSpec::parse("maven:latin"))), "maven: .");
}

const GRADLE: &[(&str, &str)] = &[
    (
        "settings.gradle",
        r#"
rootProject.name = 'mono'
// include ':commented'
/* include ':blocked'
   still a comment */
include ':app', ':libs:core'
include 'web'
include(':a', ':b')
include ':x',
        ':y'
include ':app:feature' // nested in :app
include ":${dynamic}"
include ":interp$x"
includeFlat 'outside'
project(':libs:core').projectDir = file('modules/core-impl')
project(":b").projectDir = new File(settingsDir, "bee")
include ':z'
':not-included'
def s = "include ':fake'"
"#,
    ),
    (
        "build-logic/settings.gradle.kts",
        r#"
rootProject.name = "build-logic"
include("conventions",)
project(":conventions").projectDir = file("../conventions-src")
include(
    ":plugins",
    ":plugins:kotlin",
)
"#,
    ),
    (
        "sub/settings.gradle",
        "include ':lib:util'\nproject(':lib').projectDir = file('libraries')\nincludeFlat 'flat'\n",
    ),
    ("bad/settings.gradle", "include 'unterminated\n"),
];

#[test]
fn gradle() {
    check(
        GRADLE,
        &[
            ("gradle::app", "gradle: app - app/feature"),
            ("gradle:app", "gradle: app - app/feature"),
            ("gradle::app:feature", "gradle: app/feature"),
            ("gradle:libs:core", "gradle: modules/core-impl"),
            ("gradle::libs:core", "gradle: modules/core-impl"),
            // The intermediate project Gradle creates for `:libs:core`.
            ("gradle::libs", "gradle: libs"),
            ("gradle:web", "gradle: web"),
            ("gradle::a", "gradle: a"),
            ("gradle::b", "gradle: bee"),
            ("gradle::x", "gradle: x"),
            ("gradle::y", "gradle: y"),
            ("gradle::z", "gradle: z"),
            ("gradle:mono", "gradle: . - a app app/feature bee build-logic build-logic/plugins build-logic/plugins/kotlin conventions-src flat libs modules/core-impl sub/lib/util sub/libraries web x y z"),
            ("gradle:build-logic", "gradle: build-logic - build-logic/plugins build-logic/plugins/kotlin"),
            ("gradle::conventions", "gradle: conventions-src"),
            ("gradle::plugins:kotlin", "gradle: build-logic/plugins/kotlin"),
            // Moving a parent leaves the children it already has in place.
            ("gradle::lib", "gradle: sub/libraries"),
            ("gradle::lib:util", "gradle: sub/lib/util"),
            ("gradle::flat", "gradle: flat"),
            ("gradle::commented", "?"),
            ("gradle::blocked", "?"),
            ("gradle::fake", "?"),
            ("gradle::outside", "?"),
            ("gradle::not-included", "?"),
        ],
    );
    assert_eq!(skipped(GRADLE, 40), pairs(&[("bad/settings.gradle", "line 1: unterminated string")]));
}

/// Renames, moves and included builds, statement order mattering.
const GRADLE_RENAMES: &[(&str, &str)] = &[
    (
        "settings.gradle.kts",
        r#"rootProject.name = "okhttp-parent"
pluginManagement {
  includeBuild("build-logic")
}
include(":mockwebserver")
project(":mockwebserver").name = "mockwebserver3"
include(":mockwebserver-deprecated")
project(":mockwebserver-deprecated").name = "mockwebserver"
include(":tools:okcurl")
project(":tools").name = "cli"
include(":cli:extra")
project(":tools:okcurl").name = "curl" // Gradle still files it under its old path
include(":a", ":b")
project(":a").name = "b"
include(":moved", ":res")
project(":moved").projectDir = File(rootDir, "elsewhere/moved")
project(":res").projectDir = rootDir.resolve("resources-dir")
project(":unknown").projectDir = file("nowhere")
project("res").name = "needs-a-colon"
settings.include(":qualified")
other.include(":not-settings")
includeBuild("tools/composite") { name = "comp" }
includeBuild(".")
includeBuild("../outside")
"#,
    ),
    (
        "build-logic/settings.gradle.kts",
        r#"rootProject.name = "logic"
include(":conventions")
project(":conventions").name = "convention"
includeBuild("nested")
"#,
    ),
    ("build-logic/nested/settings.gradle", "include 'inner'\n"),
    (
        "tools/composite/settings.gradle",
        "include ':core'\nincludeBuild file('../../groovy') { name = 'g' }\n",
    ),
    ("groovy/settings.gradle", "includeBuild 'deep/er'\n"),
    ("other/settings.gradle", "include ':solo'\n"),
    ("x/settings.gradle", "includeBuild('../y')\n"),
    ("y/settings.gradle", "includeBuild('../x')\ninclude ':yy'\n"),
];

#[test]
fn gradle_renames_and_included_builds() {
    check(
        GRADLE_RENAMES,
        &[
            ("gradle::mockwebserver3", "gradle: mockwebserver"),
            // The path the other project was renamed to, not the directory name.
            ("gradle::mockwebserver", "gradle: mockwebserver-deprecated"),
            ("gradle::mockwebserver-deprecated", "renamed at settings.gradle.kts:8: gradle::mockwebserver"),
            ("gradle::cli", "gradle: tools - tools/composite tools/composite/core tools/extra tools/okcurl"),
            ("gradle::cli:extra", "gradle: tools/extra"),
            ("gradle::cli:curl", "gradle: tools/okcurl"),
            ("gradle::tools", "renamed at settings.gradle.kts:10: gradle::cli"),
            ("gradle::tools:okcurl", "renamed at settings.gradle.kts:12: gradle::cli:curl"),
            // Two projects renamed onto one path: both directories.
            ("gradle::b", "gradle: a b"),
            ("gradle::a", "renamed at settings.gradle.kts:14: gradle::b"),
            ("gradle::moved", "gradle: elsewhere/moved"),
            ("gradle::res", "gradle: resources-dir"),
            ("gradle::needs-a-colon", "?"),
            ("gradle::qualified", "gradle: qualified"),
            ("gradle::not-settings", "?"),
            ("gradle:okhttp-parent", "gradle: . - a b build-logic build-logic/conventions build-logic/nested build-logic/nested/inner elsewhere/moved groovy groovy/deep/er mockwebserver mockwebserver-deprecated other/solo qualified resources-dir tools tools/composite tools/composite/core tools/extra tools/okcurl y y/yy"),
            // An included build: its root by its path, its projects below it.
            ("gradle::build-logic", "gradle: build-logic - build-logic/conventions build-logic/nested build-logic/nested/inner"),
            ("gradle::build-logic:convention", "gradle: build-logic/conventions"),
            ("gradle::build-logic:conventions", "renamed at build-logic/settings.gradle.kts:3: gradle::build-logic:convention"),
            ("gradle::convention", "? gradle::build-logic:convention"),
            ("gradle:logic", "? gradle::build-logic gradle::build-logic:convention gradle::build-logic:nested gradle::build-logic:nested:inner"),
            // Nested in the including build's directory: below its path.
            ("gradle::build-logic:nested", "gradle: build-logic/nested - build-logic/nested/inner"),
            ("gradle::build-logic:nested:inner", "gradle: build-logic/nested/inner"),
            ("gradle::comp", "gradle: tools/composite - tools/composite/core"),
            ("gradle::comp:core", "gradle: tools/composite/core"),
            ("gradle::composite", "? gradle::comp gradle::comp:core"),
            // Outside the including build's directory: below the root build.
            ("gradle::g", "gradle: groovy - groovy/deep/er"),
            ("gradle::g:er", "gradle: groovy/deep/er"),
            ("gradle::solo", "gradle: other/solo"),
            // Builds only a cycle includes: the first in path order is the root.
            ("gradle::y", "gradle: y - y/yy"),
            ("gradle::y:yy", "gradle: y/yy"),
            ("gradle::x", "?"),
        ],
    );
}

const COMPOSER: &[(&str, &str)] = &[
    ("composer.json", r#"{"name": "inflearn/shop", "require": {"symfony/console": "^6"}}"#),
    ("vendor/symfony/console/composer.json", r#"{"name": "symfony/console"}"#),
    ("packages/lib/composer.json", r#"{"name": "inflearn/lib"}"#),
    ("packages/lib/vendor/x/composer.json", r#"{"name": "x/x"}"#),
    ("broken/composer.json", r#"{"name": "#),
];

#[test]
fn composer() {
    check(
        COMPOSER,
        &[
            ("composer:inflearn/shop", "composer: . - packages/lib"),
            ("composer:inflearn/lib", "composer: packages/lib"),
            ("composer:symfony/console", "? composer:inflearn/shop composer:inflearn/lib"),
            ("composer:x/x", "? composer:inflearn/lib composer:inflearn/shop"),
        ],
    );
    assert_eq!(skipped(COMPOSER, 12), pairs(&[("broken/composer.json", "invalid JSON")]));
}

const PYTHON: &[(&str, &str)] = &[
    ("pyproject.toml", "[project]\nname = \"My_Package.Core\"\ndependencies = [\"requests\"]\n"),
    (
        "tools/pyproject.toml",
        "[tool.poetry]\nname = \"tool-x\"\n[tool.poetry.dependencies]\nrequests = \"*\"\n",
    ),
    ("both/pyproject.toml", "[project]\nname = \"both\"\n[tool.poetry]\nname = \"Both\"\n"),
    ("config-only/pyproject.toml", "[tool.black]\nline-length = 100\n"),
    ("bad/pyproject.toml", "[project\nname = 1"),
    ("typed/pyproject.toml", "[project]\nname = 1\n"),
];

#[test]
fn python() {
    check(
        PYTHON,
        &[
            ("python:My_Package.Core", "python: . - both tools"),
            ("python:my-package-core", "python: . - both tools"),
            ("python:MY__package-._core", "python: . - both tools"),
            ("python:tool_x", "python: tools"),
            ("python:Tool.X", "python: tools"),
            ("python:both", "python: both"),
            ("python:requests", "? python:My_Package.Core python:both python:tool-x"),
            ("python:mypackagecore", "? python:My_Package.Core python:both python:tool-x"),
            ("python:black", "? python:My_Package.Core python:both python:tool-x"),
        ],
    );
    assert_eq!(
        skipped(PYTHON, 40),
        pairs(&[
            ("bad/pyproject.toml", "invalid TOML: TOML parse error at line 1"),
            ("typed/pyproject.toml", "[project] name is not a non-empty string"),
        ])
    );
}

const JVM: &[(&str, &str)] = &[
    ("course-api/src/main/java/com/inflearn/course/CourseService.java", "package com.inflearn.course;"),
    ("course-api/src/main/java/com/inflearn/course/api/Controller.java", "package com.inflearn.course.api;"),
    // No `package` clause: the directory names the package.
    ("course-api/src/test/java/com/inflearn/course/CourseServiceTest.java", ""),
    ("course-api/src/main/kotlin/com/inflearn/course/Ext.kt", "package com.inflearn.course"),
    ("course-api/src/main/kotlin/com/inflearn/course/Moved.kt", "package com.inflearn.catalog"),
    ("course-api/src/main/resources/com/inflearn/course/messages.properties", ""),
    // Not below a source root.
    ("xcom/inflearn/course/Nope.java", "package com.inflearn.course;"),
    ("com/x/Top.java", "package com.x;"),
    ("payment/src/main/java/com/inflearn/payment/Pay.java", "package com.inflearn.payment;"),
];

#[test]
fn jvm() {
    let course = "course-api/src/main/java/com/inflearn/course course-api/src/main/kotlin/com/inflearn/course \
                  course-api/src/main/resources/com/inflearn/course course-api/src/test/java/com/inflearn/course";
    check(
        JVM,
        &[
            (
                "jvm:com.inflearn.course",
                &format!("jvm: {course} - course-api/src/main/kotlin/com/inflearn/course/Moved.kt"),
            ),
            ("jvm:com.inflearn.catalog", "jvm: course-api/src/main/kotlin/com/inflearn/course/Moved.kt"),
            ("jvm:com.inflearn.course.api", "jvm: course-api/src/main/java/com/inflearn/course/api"),
            // Directory names are no package: a package is what declares it.
            ("jvm:inflearn.course", "? jvm:com.inflearn.course jvm:com.inflearn.payment jvm:com.inflearn jvm:com.inflearn.catalog jvm:com"),
            ("jvm:com.x", "? jvm:com jvm:com.inflearn jvm:com.inflearn.course jvm:com.inflearn.catalog jvm:com.inflearn.payment"),
            ("jvm:com", "jvm: course-api/src/main/java/com course-api/src/main/kotlin/com course-api/src/main/resources/com course-api/src/test/java/com payment/src/main/java/com"),
            ("jvm:com.inflearn.cours", "? jvm:com.inflearn.course jvm:com.inflearn.course.api jvm:com.inflearn jvm:com.inflearn.catalog jvm:com.inflearn.payment"),
            ("jvm:com..x", "? jvm:com.inflearn jvm:com.inflearn.course jvm:com.inflearn.catalog jvm:com.inflearn.payment jvm:com.inflearn.course.api"),
        ],
    );
}

#[test]
fn bare_names_try_workspace_kinds_in_order_then_jvm() {
    let files: &[(&str, &str)] = &[
        ("web/package.json", r#"{"name": "shared"}"#),
        ("rust/Cargo.toml", "[package]\nname = \"shared\"\n"),
        ("rust/core/Cargo.toml", "[package]\nname = \"core\"\n"),
        ("py/pyproject.toml", "[project]\nname = \"core\"\n"),
        ("src/main/java/com/acme/core/A.java", ""),
        ("src/main/java/com/acme/shared/A.java", ""),
        ("settings.gradle", "include ':app'\n"),
        ("go.mod", "module example.com/acme\n"),
    ];
    check(
        files,
        &[
            ("shared", "npm: web"),
            ("cargo:shared", "cargo: rust - rust/core"),
            ("core", "cargo: rust/core"),
            ("python:core", "python: py"),
            ("com.acme.core", "jvm: src/main/java/com/acme/core"),
            (":app", "gradle: app"),
            ("example.com/acme", "go: ."),
            // A JVM package is named in full; suggestions come from every kind.
            ("acme.shared", "? jvm:com.acme.shared npm:shared cargo:shared"),
            ("jvm:shared", "? jvm:com.acme jvm:com"),
            ("sharde", "? npm:shared cargo:shared"),
            ("com.acme.cor", "? jvm:com.acme.core jvm:com.acme jvm:com.acme.shared"),
        ],
    );
}

#[test]
fn candidates_rank_and_cut() {
    let groups =
        |names: &[&str]| names.iter().map(|n| (PackageKind::Npm, vec![n.to_string()])).collect::<Vec<_>>();
    let cases: &[(&str, &[&str], &[&str])] = &[
        // Few names: all of them, best first, even the far ones.
        ("zzz", &["b", "a"], &["npm:a", "npm:b"]),
        // Many names: only the close ones, at most five.
        (
            "course",
            &["course-web", "courses", "payment", "catalog", "auth", "search", "billing"],
            &["npm:courses", "npm:course-web"],
        ),
        ("x", &["a1", "a2", "a3", "a4", "a5", "a6"], &[]),
        // Case and separators only: first.
        (
            "Foo_Bar",
            &["foo-bar", "foo-baz", "foo-bar-x", "a", "b", "c"],
            &["npm:foo-bar", "npm:foo-bar-x", "npm:foo-baz"],
        ),
        (
            "ab",
            &["ab1", "ab2", "ab3", "ab4", "ab5", "ab6", "ab7"],
            &["npm:ab1", "npm:ab2", "npm:ab3", "npm:ab4", "npm:ab5"],
        ),
    ];
    for (query, names, want) in cases {
        assert_eq!(rank(query, groups(names)), *want, "{query}");
    }
}

/// A tree whose manifest cannot be read.
struct Unreadable(MemoryFiles);

impl FileSource for Unreadable {
    fn paths(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        self.0.paths()
    }
    fn read(&self, path: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        Err(ReadError { path: String::from_utf8_lossy(path).into_owned(), message: "disk on fire".into() })
    }
}

#[test]
fn read_errors_fail_resolution_and_non_blobs_are_skipped() {
    let tree = Unreadable(MemoryFiles::new([("a/package.json", "{}"), ("src/main/java/com/x/A.java", "")]));
    let index = PackageIndex::new(&tree);
    assert_eq!(
        render(index.resolve(&PackageSpec::parse("npm:a"))),
        "read error: cannot read a/package.json: disk on fire"
    );
    // JVM packages are read from their source files.
    assert_eq!(
        render(index.resolve(&PackageSpec::parse("jvm:com.x"))),
        "read error: cannot read src/main/java/com/x/A.java: disk on fire"
    );

    struct NotBlob;
    impl FileSource for NotBlob {
        fn paths(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
            Box::new([b"link/package.json".as_slice()].into_iter())
        }
        fn read(&self, _: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
            Ok(None)
        }
    }
    let index = PackageIndex::new(&NotBlob);
    assert_eq!(render(index.resolve(&PackageSpec::parse("npm:a"))), "?");
    assert_eq!(index.skipped(), pairs(&[("link/package.json", "not a regular file")]));
}

#[test]
fn each_manifest_is_read_once() {
    use std::cell::RefCell;
    struct Counting(MemoryFiles, RefCell<Vec<String>>);
    impl FileSource for Counting {
        fn paths(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
            self.0.paths()
        }
        fn read(&self, path: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
            self.1.borrow_mut().push(String::from_utf8_lossy(path).into_owned());
            self.0.read(path)
        }
    }
    let tree = Counting(
        MemoryFiles::new([
            ("package.json", r#"{"name": "a"}"#),
            ("b/package.json", r#"{"name": "b"}"#),
            ("b/index.js", ""),
            ("Cargo.toml", "[package]\nname = \"c\"\n"),
        ]),
        RefCell::new(Vec::new()),
    );
    let index = PackageIndex::new(&tree);
    for spec in ["npm:a", "npm:b", "npm:zz", "a", "c", "nothing"] {
        let _ = index.resolve(&PackageSpec::parse(spec));
    }
    let mut reads = tree.1.borrow().clone();
    reads.sort();
    assert_eq!(reads, ["Cargo.toml", "b/package.json", "package.json"]);
}

#[test]
fn jvm_sources_are_collected_from_unsorted_paths_too() {
    struct Unsorted;
    impl FileSource for Unsorted {
        fn paths(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
            Box::new(
                [
                    b"a/src/main/java/com/x/B.java".as_slice(),
                    b"b/c.txt",
                    b"a/src/main/java/com/x/A.java",
                    b"a/src/main/java/com/y/C.java",
                ]
                .into_iter(),
            )
        }
        fn read(&self, _: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
            Ok(None)
        }
    }
    let index = PackageIndex::new(&Unsorted);
    assert_eq!(render(index.resolve(&PackageSpec::parse("jvm:com"))), "jvm: a/src/main/java/com");
    assert_eq!(render(index.resolve(&PackageSpec::parse("jvm:com.y"))), "jvm: a/src/main/java/com/y");
}

#[test]
fn not_found_message_names_the_closest() {
    let tree = MemoryFiles::new([("package.json", r#"{"name": "course-web"}"#)]);
    let err = PackageIndex::new(&tree).resolve(&PackageSpec::parse("npm:course-wbe")).unwrap_err();
    assert_eq!(err.to_string(), "package `npm:course-wbe` not found in the tree; closest: npm:course-web");
}

#[path = "tests_workspaces.rs"]
mod workspaces;

#[path = "tests_select.rs"]
mod select;
