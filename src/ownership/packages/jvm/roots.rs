//! Source roots: the directories below which a directory path is a package
//! path (`<root>/com/acme/billing`).
//!
//! By convention, `src/<set>/{java,kotlin,scala,groovy}` at any depth: the
//! layout of Maven and Gradle source sets, Android variants (`src/debug/java`)
//! and Kotlin Multiplatform source sets (`src/commonMain/kotlin`) alike. Beside
//! those, what builds declare: Maven's `<sourceDirectory>` and
//! `<testSourceDirectory>`, and Gradle's `srcDir` / `srcDirs` / `setSrcDirs`
//! on a `java`, `kotlin`, `groovy` or `scala` directory set, with literal
//! string arguments (the forms real builds use; computed paths are ignored).

use super::super::gradle::{tokenize, Tok};
use super::super::maven::{child, decode, text_of};
use super::super::table::join;

/// The languages whose directory sets hold packages, as directory names and
/// as Gradle's names for them.
const LANGS: [&str; 4] = ["java", "kotlin", "scala", "groovy"];

/// File names of the build files that may declare roots.
pub(super) const BUILD_FILES: [&str; 3] = ["pom.xml", "build.gradle", "build.gradle.kts"];

/// The innermost conventional root holding the file `path`, as the length
/// of that prefix of `path`: `a/src/main/java` of `a/src/main/java/x/Y.java`.
pub(super) fn conventional_root(path: &[u8]) -> Option<usize> {
    conventional(path, |c| LANGS.iter().any(|l| l.as_bytes() == c))
}

/// The innermost conventional resources directory (`src/<set>/resources`)
/// holding the file `path`, as the length of that prefix.
pub(super) fn resources_root(path: &[u8]) -> Option<usize> {
    conventional(path, |c| c == b"resources")
}

/// The resources directory of the same source set as a conventional root
/// (`a/src/main/resources` for `a/src/main/java`); `None` for another root.
pub(super) fn resources_of(root: &[u8]) -> Option<Vec<u8>> {
    let cut = root.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    conventional_root(&[root, b"/x"].concat())
        .filter(|&n| n == root.len())
        .map(|_| [&root[..cut], b"resources"].concat())
}

/// The end of the innermost `src/<set>/<last>` directory holding the file
/// `path`, where `last` passes `is_last`.
fn conventional(path: &[u8], is_last: impl Fn(&[u8]) -> bool) -> Option<usize> {
    // The components of the file's directory, as (start, end).
    let mut comps: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for (i, &b) in path.iter().enumerate() {
        if b == b'/' {
            comps.push((start, i));
            start = i + 1;
        }
    }
    let name = |k: usize| &path[comps[k].0..comps[k].1];
    (0..comps.len().saturating_sub(2))
        .rev()
        .find(|&k| name(k) == b"src" && !name(k + 1).is_empty() && is_last(name(k + 2)))
        .map(|k| comps[k + 2].1)
}

/// The source roots the build file `name` in directory `dir` declares,
/// joined to `dir`; nothing when it does not parse.
pub(super) fn declared(dir: &[u8], name: &[u8], text: &[u8]) -> Vec<Vec<u8>> {
    let rels = match name {
        b"pom.xml" => maven(text),
        _ => std::str::from_utf8(text)
            .ok()
            .and_then(|t| tokenize(t).ok())
            .map(|(toks, _)| gradle(&toks))
            .unwrap_or_default(),
    };
    rels.iter().filter_map(|r| join(dir, r)).collect()
}

/// `<build><sourceDirectory>` and `<testSourceDirectory>`, relative to the pom.
fn maven(text: &[u8]) -> Vec<String> {
    let text = decode(text);
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    let Ok(doc) = roxmltree::Document::parse_with_options(&text, options) else {
        return Vec::new();
    };
    let Some(build) = child(doc.root_element(), "build") else {
        return Vec::new();
    };
    ["sourceDirectory", "testSourceDirectory"]
        .iter()
        .filter_map(|tag| text_of(child(build, tag)))
        .filter_map(|d| {
            // The project's own directory is the one they are relative to.
            let d = match ["${project.basedir}", "${basedir}"].iter().find_map(|p| d.strip_prefix(p)) {
                Some(rest) => rest.trim_start_matches('/'),
                None => d,
            };
            (!d.contains("${")).then(|| if d.is_empty() { ".".to_string() } else { d.to_string() })
        })
        .collect()
}

/// Literal arguments of `srcDir` / `srcDirs` / `setSrcDirs` on a language's
/// directory set: `java.srcDirs = ['src']`, `kotlin.srcDir("gen")`,
/// `java { srcDir 'src' }`, `java.setSrcDirs(listOf("src"))`.
fn gradle(toks: &[Tok]) -> Vec<String> {
    let is_lang = |t: Option<&Tok>| matches!(t, Some(Tok::Ident(w)) if LANGS.contains(&w.as_str()));
    let mut out = Vec::new();
    // The name before each open `{`: the block a statement is in.
    let mut blocks: Vec<bool> = Vec::new();
    for (i, tok) in toks.iter().enumerate() {
        match tok {
            Tok::Punct('{') => blocks.push(i > 0 && is_lang(toks.get(i - 1))),
            Tok::Punct('}') => {
                blocks.pop();
            }
            Tok::Ident(w) if matches!(w.as_str(), "srcDir" | "srcDirs" | "setSrcDirs") => {
                let qualified = i >= 1 && toks[i - 1] == Tok::Punct('.');
                let on_lang =
                    if qualified { i >= 2 && is_lang(toks.get(i - 2)) } else { blocks.last() == Some(&true) };
                if on_lang {
                    out.extend(arguments(&toks[i + 1..]));
                }
            }
            _ => {}
        }
    }
    out
}

/// The literal strings of the argument list at the start of `toks`: after
/// an optional `=` / `+=`, a bracketed or parenthesised list (strings at any
/// depth, as in `listOf("a")` or `file("a")`) or Groovy's bare `'a', 'b'`.
fn arguments(toks: &[Tok]) -> Vec<String> {
    let mut i = 0;
    if toks.first() == Some(&Tok::Punct('+')) {
        i += 1;
    }
    if toks.get(i) == Some(&Tok::Punct('=')) {
        i += 1;
    }
    // `listOf(`, `files(`, `setOf(`: a call wrapping the list.
    if matches!(toks.get(i), Some(Tok::Ident(_))) && toks.get(i + 1) == Some(&Tok::Punct('(')) {
        i += 1;
    }
    let mut out = Vec::new();
    match toks.get(i) {
        Some(Tok::Punct(open @ ('(' | '['))) => {
            let close = if *open == '(' { ')' } else { ']' };
            let mut depth = 0usize;
            for t in &toks[i..] {
                match t {
                    Tok::Punct(c) if c == open => depth += 1,
                    Tok::Punct(c) if *c == close => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Tok::Str(Some(s)) => out.push(s.clone()),
                    _ => {}
                }
            }
        }
        Some(Tok::Str(_)) => {
            for t in toks[i..].chunks(2) {
                if let Tok::Str(Some(s)) = &t[0] {
                    out.push(s.clone());
                }
                if t.get(1) != Some(&Tok::Punct(',')) {
                    break;
                }
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(path: &str) -> Option<&str> {
        conventional_root(path.as_bytes()).map(|n| &path[..n])
    }

    #[test]
    fn conventional_roots() {
        assert_eq!(root("src/main/java/com/a/B.java"), Some("src/main/java"));
        assert_eq!(root("m/src/commonMain/kotlin/a/B.kt"), Some("m/src/commonMain/kotlin"));
        assert_eq!(root("m/src/androidTest/kotlin/B.kt"), Some("m/src/androidTest/kotlin"));
        // The innermost one.
        assert_eq!(root("src/main/java/src/test/scala/B.scala"), Some("src/main/java/src/test/scala"));
        // A file named like the root's last component is not below it.
        assert_eq!(root("src/main/java"), None);
        assert_eq!(root("src/java/B.java"), None);
        assert_eq!(root("src//java/B.java"), None);
        assert_eq!(root("source/main/java/B.java"), None);
        assert_eq!(resources_of(b"a/src/main/kotlin"), Some(b"a/src/main/resources".to_vec()));
        assert_eq!(resources_of(b"src/test/java"), Some(b"src/test/resources".to_vec()));
        assert_eq!(resources_of(b"a/gen"), None);
        assert_eq!(resources_root(b"a/src/main/resources/META-INF/x"), Some("a/src/main/resources".len()));
    }

    fn gradle_roots(text: &str) -> Vec<String> {
        declared(b"m", b"build.gradle.kts", text.as_bytes())
            .into_iter()
            .map(|d| String::from_utf8(d).unwrap())
            .collect()
    }

    #[test]
    fn gradle_declared_roots() {
        let groovy = r#"
            sourceSets {
                main {
                    java.srcDirs = ['src', "gen/java"]   // a comment: 'x'
                    resources.srcDirs = ['res']
                    java { srcDir 'more' }
                }
                test.groovy.srcDir "tests"
            }
            android.sourceSets.main.res.srcDirs = ['r']
            kotlin.srcDir("$buildDir/generated")
        "#;
        assert_eq!(gradle_roots(groovy), ["m/src", "m/gen/java", "m/more", "m/tests"]);
        let kts = r#"
            kotlin { sourceSets { val commonMain by getting { kotlin.srcDir("common") } } }
            sourceSets["main"].java.setSrcDirs(listOf("j1", "j2"))
            sourceSets.main { java.srcDirs(file("../shared/java")) }
            java.srcDirs += "extra"
        "#;
        assert_eq!(gradle_roots(kts), ["m/common", "m/j1", "m/j2", "shared/java", "m/extra"]);
        assert!(gradle_roots("java.srcDirs = [").is_empty());
        assert!(gradle_roots("'unterminated").is_empty());
    }

    #[test]
    fn maven_declared_roots() {
        let pom = br#"<project xmlns="http://maven.apache.org/POM/4.0.0"><artifactId>a</artifactId>
            <build><sourceDirectory>${project.basedir}/src/java</sourceDirectory>
            <testSourceDirectory>test</testSourceDirectory></build></project>"#;
        assert_eq!(declared(b"m", b"pom.xml", pom), [b"m/src/java".to_vec(), b"m/test".to_vec()]);
        let odd = br#"<project><build><sourceDirectory>${gen}/x</sourceDirectory>
            <testSourceDirectory>/abs</testSourceDirectory></build></project>"#;
        assert!(declared(b"m", b"pom.xml", odd).is_empty());
        assert!(declared(b"m", b"pom.xml", b"<project").is_empty());
        let here = br#"<project><build><sourceDirectory>.</sourceDirectory></build></project>"#;
        assert_eq!(declared(b"", b"pom.xml", here), [b"".to_vec()]);
    }
}
