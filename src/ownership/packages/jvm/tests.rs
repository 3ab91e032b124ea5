//! The `package` lexer line by line, and packages resolved in small trees.

use super::lexer::{declared_package, Dialect, Header};
use super::*;
use crate::ownership::packages::table::lossy;
use crate::ownership::packages::MemoryFiles;

fn pkg(text: &str, dialect: Dialect) -> Header {
    declared_package(text.as_bytes(), true, dialect)
}

fn named(name: &str, line: u32) -> Header {
    Header::Package(name.to_string(), line)
}

#[test]
fn package_clauses() {
    use Dialect::*;
    let cases: &[(&str, Dialect, Header)] = &[
        ("package com.acme;\nclass A {}", Java, named("com.acme", 1)),
        (
            "/* Licence\n * package fake;\n */\n// package fake2;\npackage a . b /* x */ . c;",
            Java,
            named("a.b.c", 5),
        ),
        ("\u{feff}package a;", Java, named("a", 1)),
        ("@Deprecated\n@Ann(value = \")\", x = {1, 2})\npackage a.b;", Java, named("a.b", 3)),
        ("@a.b.C(\"x\") package p;", Java, named("p", 1)),
        ("import x.Y;\npackage a;", Java, Header::Unnamed),
        ("class A {}", Java, Header::Unnamed),
        ("", Java, Header::Unnamed),
        ("package ;", Java, Header::Unnamed),
        ("@interface A {}", Java, Header::Unnamed),
        // Java block comments do not nest: `*/` ends the first.
        ("/* /* */ package a;", Java, named("a", 1)),
        ("/* unterminated package a;", Java, Header::Unnamed),
        (
            "@file:JvmName(\"Util\")\n@file:Suppress(\"A\", \"B\")\n\npackage okhttp3.android\n\nimport x",
            Kotlin,
            named("okhttp3.android", 4),
        ),
        ("@file:[JvmName(\"x\") Suppress(\"]\")]\npackage a", Kotlin, named("a", 2)),
        ("/* outer /* inner */ package fake */ package a.b", Kotlin, named("a.b", 1)),
        ("#!/usr/bin/env kotlin\npackage scripts.x\n", Kotlin, named("scripts.x", 2)),
        ("package `fun`.x", Kotlin, named("fun.x", 1)),
        ("package a\n.b", Kotlin, named("a.b", 1)),
        ("package a.b\npackage c\n\nimport x._", Scala, named("a.b.c", 1)),
        ("package a; package b; class X", Scala, named("a.b", 1)),
        ("package a\npackage object b { }", Scala, named("a", 1)),
        ("package a.b {\n  package c { class X }\n}", Scala, named("a.b", 1)),
        ("package a.b:\n  class X", Scala, named("a.b", 1)),
        ("/* a /* nested */ comment */ package s", Scala, named("s", 1)),
        ("package g.h\nclass A", Groovy, named("g.h", 1)),
        ("package a\npackage b", Groovy, named("a", 1)),
        ("package caf\u{e9}.x;", Java, named("caf\u{e9}.x", 1)),
    ];
    let mut failures = Vec::new();
    for (text, dialect, want) in cases {
        let got = pkg(text, *dialect);
        if got != *want {
            failures.push(format!("{dialect:?} {text:?}\n   want: {want:?}\n    got: {got:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn heads_cut_short_ask_for_more() {
    let text = "// licence\npackage com.acme.billing;\n";
    for cut in 0..text.len() {
        let got = declared_package(&text.as_bytes()[..cut], false, Dialect::Java);
        // Until the name is followed by something, it may go on.
        let settled = cut > text.find(';').unwrap();
        let want = if settled { named("com.acme.billing", 2) } else { Header::Incomplete };
        assert_eq!(got, want, "cut at {cut}");
    }
    // A head that already shows another token is enough.
    assert_eq!(declared_package(b"import a.B;\nclass C { /* ...", false, Dialect::Java), Header::Unnamed);
    // `#` may start a `#!` line, `/` a comment.
    assert_eq!(declared_package(b"#", false, Dialect::Kotlin), Header::Incomplete);
    assert_eq!(declared_package(b"/", false, Dialect::Java), Header::Incomplete);
    // Scala must see whether another clause follows.
    assert_eq!(declared_package(b"package a\n", false, Dialect::Scala), Header::Incomplete);
    assert_eq!(declared_package(b"package a\nimport", false, Dialect::Scala), Header::Incomplete);
    assert_eq!(declared_package(b"package a\nimport ", false, Dialect::Scala), named("a", 1));
}

#[test]
fn hostile_heads_do_not_panic() {
    for text in
        ["@", "@(", "@file:", "@file:[", "`", "package `", "package `x", "'", "\"\"\"", "/*", "#!", "@a(\"\\"]
    {
        for dialect in [Dialect::Java, Dialect::Kotlin, Dialect::Scala, Dialect::Groovy] {
            for whole in [true, false] {
                let got = declared_package(text.as_bytes(), whole, dialect);
                assert!(whole || got == Header::Incomplete || got == Header::Unnamed, "{text:?} {got:?}");
            }
        }
    }
    assert_eq!(declared_package(&[0xff, 0xfe], true, Dialect::Java), Header::Unnamed);
    assert_eq!(declared_package(b"package \xff\xfe;", true, Dialect::Java), Header::Unnamed);
}

/// Resolves `name` in a tree of `(path, content)` and renders it as
/// `dirs | files - carve_outs | carved_files` (empty parts left out).
fn resolve(files: &[(&str, &str)], name: &str) -> String {
    let tree = MemoryFiles::new(files.iter().copied());
    let packages = JvmPackages::build(&tree).unwrap();
    let Some(r) = packages.resolve(name) else { return "?".into() };
    let show = |ps: &[Vec<u8>]| ps.iter().map(|p| lossy(p)).collect::<Vec<_>>().join(" ");
    let mut out = show(&r.dirs);
    if !r.files.is_empty() {
        out = format!("{out} | {}", show(&r.files)).trim_start().to_string();
    }
    if !r.carve_outs.is_empty() || !r.carved_files.is_empty() {
        out = format!("{out} - {}", show(&r.carve_outs));
        if !r.carved_files.is_empty() {
            out = format!("{} | {}", out.trim_end(), show(&r.carved_files));
        }
    }
    out
}

/// The okhttp shapes of issue 22: `com/squareup/okhttp3` beside an
/// `okhttp3` package, resources named like a package, a Kotlin file whose
/// directory is not its package.
const OKHTTP: &[(&str, &str)] = &[
    ("okhttp/src/main/kotlin/okhttp3/Call.kt", "package okhttp3\n"),
    (
        "okhttp/src/main/kotlin/okhttp3/internal/Util.kt",
        "@file:JvmName(\"Util\")\npackage okhttp3.internal\n",
    ),
    ("okhttp/src/main/resources/okhttp3/internal/publicsuffix/list.gz", "gz"),
    ("okhttp/src/test/java/okhttp3/CallTest.java", "/* licence */\npackage okhttp3;\n"),
    ("okhttp/src/jvmTest/kotlin/okhttp3/JvmTest.kt", "package okhttp3\n"),
    (
        "maven-tests/src/main/java/com/squareup/okhttp3/maventest/App.java",
        "package com.squareup.okhttp3.maventest;\n",
    ),
    ("okcurl/src/main/kotlin/okhttp3/curl/Main.kt", "package okhttp3.curl\n"),
    ("okcurl/src/main/resources/META-INF/native-image/okhttp3/okcurl/reflect-config.json", "{}"),
    ("android-test/src/androidTest/kotlin/okhttp/android/testapp/OkTest.kt", "package okhttp3.android\n"),
    ("android-test/src/androidTest/kotlin/okhttp/android/testapp/README.md", "notes"),
    ("android-test/src/androidTest/kotlin/okhttp/android/Other.kt", "package okhttp.android\n"),
    ("okhttp-android/src/main/kotlin/okhttp3/android/AndroidLog.kt", "package okhttp3.android\n"),
    // Not below a source root: no package.
    ("samples/okhttp3/Sample.java", "package okhttp3;\n"),
    ("okhttp3/Top.java", "package okhttp3;\n"),
];

#[test]
fn okhttp_packages_are_what_declares_them() {
    let cases: &[(&str, &str)] = &[
        // The Kotlin file in `okhttp/android/testapp` is all of its
        // directory's code: the directory goes with it.
        (
            "okhttp3",
            "android-test/src/androidTest/kotlin/okhttp/android/testapp okcurl/src/main/kotlin/okhttp3 \
             okhttp-android/src/main/kotlin/okhttp3 okhttp/src/jvmTest/kotlin/okhttp3 \
             okhttp/src/main/kotlin/okhttp3 okhttp/src/main/resources/okhttp3 okhttp/src/test/java/okhttp3",
        ),
        (
            "okhttp3.android",
            "android-test/src/androidTest/kotlin/okhttp/android/testapp okhttp-android/src/main/kotlin/okhttp3/android",
        ),
        ("okhttp3.internal", "okhttp/src/main/kotlin/okhttp3/internal okhttp/src/main/resources/okhttp3/internal"),
        ("com.squareup.okhttp3", "maven-tests/src/main/java/com/squareup/okhttp3"),
        ("com.squareup", "maven-tests/src/main/java/com/squareup"),
        // `okhttp/android` holds another package's directory: carved out.
        (
            "okhttp.android",
            "android-test/src/androidTest/kotlin/okhttp/android - android-test/src/androidTest/kotlin/okhttp/android/testapp",
        ),
        ("okhttp3.curl", "okcurl/src/main/kotlin/okhttp3/curl"),
        ("okcurl", "?"),
        ("squareup.okhttp3", "?"),
        ("okhttp3.", "?"),
        ("", "?"),
    ];
    let mut failures = Vec::new();
    for (name, want) in cases {
        let got = resolve(OKHTTP, name);
        if got != *want {
            failures.push(format!("{name}\n   want: {want}\n    got: {got}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn files_of_other_packages_are_carved_out() {
    let files: &[(&str, &str)] = &[
        ("src/main/kotlin/com/acme/A.kt", "package com.acme\n"),
        ("src/main/kotlin/com/acme/Stray.kt", "package org.other\n"),
        ("src/main/kotlin/com/acme/moved/B.kt", "package org.moved\n"),
        ("src/main/kotlin/com/acme/moved/notes.txt", ""),
        ("src/main/kotlin/com/acme/mixed/C.kt", "package org.moved\n"),
        ("src/main/kotlin/com/acme/mixed/D.kt", "package com.acme.mixed\n"),
        // No clause: the directory names the package.
        ("src/main/kotlin/com/acme/plain/E.kt", "fun main() {}\n"),
        ("src/main/kotlin/Top.kt", "fun top() {}\n"),
        ("src/main/kotlin/com/acme/x-y/F.kt", "val x = 1\n"),
    ];
    assert_eq!(
        resolve(files, "com.acme"),
        "src/main/kotlin/com/acme - src/main/kotlin/com/acme/moved src/main/kotlin/com/acme/x-y \
         | src/main/kotlin/com/acme/Stray.kt src/main/kotlin/com/acme/mixed/C.kt"
    );
    assert_eq!(
        resolve(files, "org.moved"),
        "src/main/kotlin/com/acme/moved | src/main/kotlin/com/acme/mixed/C.kt"
    );
    assert_eq!(resolve(files, "org"), "src/main/kotlin/com/acme/moved | src/main/kotlin/com/acme/Stray.kt src/main/kotlin/com/acme/mixed/C.kt");
    assert_eq!(resolve(files, "com.acme.plain"), "src/main/kotlin/com/acme/plain");
    let packages = JvmPackages::build(&MemoryFiles::new(files.iter().copied())).unwrap();
    let top = packages.files().iter().find(|f| f.path == b"src/main/kotlin/Top.kt").unwrap();
    assert_eq!((top.package.as_str(), top.line), ("", None));
    let declaring: Vec<String> = packages.declaring("org.moved").map(|f| lossy(&f.path)).collect();
    assert_eq!(declaring, ["src/main/kotlin/com/acme/mixed/C.kt", "src/main/kotlin/com/acme/moved/B.kt"]);
}

#[test]
fn builds_declare_roots() {
    let files: &[(&str, &str)] = &[
        ("legacy/build.gradle", "sourceSets { main { java.srcDirs = ['src'] } }"),
        ("legacy/src/com/acme/Old.java", "package com.acme;"),
        ("legacy/src/com/acme/res.properties", ""),
        ("mvn/pom.xml", "<project><build><sourceDirectory>java</sourceDirectory></build></project>"),
        ("mvn/java/com/acme/M.java", "package com.acme;"),
        // Not declared, not conventional.
        ("other/src/com/acme/N.java", "package com.acme;"),
    ];
    assert_eq!(resolve(files, "com.acme"), "legacy/src/com/acme mvn/java/com/acme");
}

#[test]
fn resources_go_with_the_source_set_that_declares_the_package() {
    let files: &[(&str, &str)] = &[
        ("a/src/main/java/com/acme/A.java", "package com.acme;"),
        ("a/src/main/resources/com/acme/messages.properties", ""),
        ("a/src/test/resources/com/acme/fixture.json", ""),
        ("b/src/main/resources/com/acme/other.properties", ""),
    ];
    assert_eq!(resolve(files, "com.acme"), "a/src/main/java/com/acme a/src/main/resources/com/acme");
}

#[test]
fn names_near_are_packages_and_their_parents() {
    let packages = JvmPackages::build(&MemoryFiles::new(OKHTTP.iter().copied())).unwrap();
    let near: Vec<String> = packages.names_near("okhttp3.androd").into_iter().collect();
    assert_eq!(
        near,
        [
            "com",
            "com.squareup",
            "com.squareup.okhttp3",
            "okhttp",
            "okhttp.android",
            "okhttp3",
            "okhttp3.android",
            "okhttp3.curl",
            "okhttp3.internal"
        ]
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

    /// A head that settles the package settles it as the whole file does:
    /// reading more never changes an answer given.
    #[test]
    fn a_settled_head_agrees_with_the_whole_file(
        before in proptest::collection::vec(proptest::sample::select(TOKENS), 0..6),
        clause in proptest::sample::select(CLAUSES),
        after in proptest::collection::vec(proptest::sample::select(TOKENS), 0..4),
        dialect in proptest::sample::select(&[Dialect::Java, Dialect::Kotlin, Dialect::Scala, Dialect::Groovy][..]),
    ) {
        let text = [before.concat(), clause.to_string(), after.concat()].concat();
        let whole = declared_package(text.as_bytes(), true, dialect);
        proptest::prop_assert_ne!(&whole, &Header::Incomplete);
        for cut in 0..text.len() {
            let head = declared_package(&text.as_bytes()[..cut], false, dialect);
            if head != Header::Incomplete {
                proptest::prop_assert_eq!(&head, &whole, "cut at {} of {:?}", cut, text);
            }
        }
    }
}

/// What precedes and follows a clause in the generated heads, and what
/// breaks one.
const TOKENS: &[&str] = &[
    " ", "\n", ".", ";", "a", "object", "`x`", "`", "/*", "*/", "/", "//", "@", "@file:", "@A", "(", ")",
    "[", "]", "{", "\"", "\"\"\"", "'", "\\", "#!", "import", "package", "\u{e9}",
];

/// Clauses, whole and broken.
const CLAUSES: &[&str] = &[
    "",
    "package a.b;",
    "package a\npackage b\n",
    "package `x`.y\n",
    "package a.b {",
    "package a.",
    "package",
];
