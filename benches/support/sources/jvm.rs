//! Java and Kotlin components of a Gradle build: packages under
//! `com.acme.<component>` (Kotlin modules often drop the `com/acme/...`
//! directories their packages spell), and their source files: imports
//! (single, wildcard, static; Kotlin aliases and top-level functions),
//! javadoc and KDoc naming classes, text blocks and raw strings holding
//! import-like text, and fully qualified names in code.

use std::fmt::Write as _;

use crate::synth::Rng;

use super::content::{picks, File, Pick};
use super::model::{Comp, Config, Content, Doc, Lang, Unit};
use super::words::{camel, cap, import_count, noun, pascal, sentence, verb};

/// Classes of the JDK and vendor libraries (not in the tree).
const JVM_EXT: &[&str] = &[
    "java.util.List",
    "java.util.Map",
    "java.util.Optional",
    "java.util.UUID",
    "java.time.Instant",
    "java.math.BigDecimal",
    "java.util.concurrent.CompletableFuture",
    "java.io.IOException",
    "org.springframework.stereotype.Service",
    "org.springframework.transaction.annotation.Transactional",
    "org.springframework.web.bind.annotation.RestController",
    "org.slf4j.Logger",
    "org.slf4j.LoggerFactory",
    "com.fasterxml.jackson.databind.ObjectMapper",
    "jakarta.persistence.Entity",
    "io.micrometer.core.instrument.MeterRegistry",
    "com.google.common.collect.ImmutableList",
    "org.apache.commons.lang3.StringUtils",
    "kotlinx.coroutines.flow.Flow",
    "kotlinx.serialization.Serializable",
];

/// Sub-packages of a layered service.
const LAYERS: &[&str] = &[
    "domain",
    "model",
    "repository",
    "service",
    "api",
    "web",
    "config",
    "events",
    "persistence",
    "dto",
    "mapper",
    "client",
    "internal",
    "util",
    "security",
    "messaging",
];

/// Class name suffixes, by how often they come.
const SUFFIXES: &[&str] =
    &["", "", "", "Service", "Repository", "Controller", "Dto", "Mapper", "Event", "Client"];

/// Lays out a Gradle subproject of Java or Kotlin classes and their tests.
pub(super) fn layout_jvm(c: &mut Comp, budget: usize, r: &mut Rng) {
    let kotlin = c.lang == Some(Lang::Kotlin);
    c.ns = format!("com.acme.{}", c.name.replace('-', "."));
    let root = c.root.clone();
    c.add(format!("{root}/build.gradle.kts"), Content::Config(Config::GradleBuild));
    c.doc(format!("{root}/README.md"), Doc::Markdown, r);
    let flat = kotlin && r.chance(0.5);
    let mut packages: Vec<String> = vec![String::new()];
    while c.files.len() < budget {
        if packages.len() < 3 || r.chance(0.12) {
            let parents: Vec<&String> = packages.iter().filter(|p| p.matches('.').count() < 2).collect();
            let parent = (*r.pick(&parents)).clone();
            let seg = if r.chance(0.6) { r.pick(LAYERS).to_string() } else { noun(r).to_string() };
            let p = if parent.is_empty() { seg } else { format!("{parent}.{seg}") };
            if !packages.contains(&p) {
                packages.push(p);
            }
            continue;
        }
        let p = match r.chance(0.6) {
            true => packages[packages.len() - 1 - r.below(packages.len().min(4))].clone(),
            false => r.pick(&packages).clone(),
        };
        jvm_file(c, &p, flat, r);
    }
}

/// A class (or, in Kotlin, a file of top-level functions) in sub-package
/// `p` of the component, and now and then its test.
fn jvm_file(c: &mut Comp, p: &str, flat: bool, r: &mut Rng) {
    let kotlin = c.lang == Some(Lang::Kotlin);
    let (lang_dir, ext) = if kotlin { ("kotlin", ".kt") } else { ("java", ".java") };
    let package = if p.is_empty() { c.ns.clone() } else { format!("{}.{p}", c.ns) };
    let rel = if flat { p.replace('.', "/") } else { package.replace('.', "/") };
    let dir = |set: &str| {
        let base = format!("{}/src/{set}/{lang_dir}", c.root);
        if rel.is_empty() {
            base
        } else {
            format!("{base}/{rel}")
        }
    };
    let (main, test) = (dir("main"), dir("test"));
    let functions = kotlin && r.chance(0.15);
    let base = if functions { format!("{}Extensions", cap(noun(r))) } else { pascal(r) + *r.pick(SUFFIXES) };
    let stem = c.fresh(&main, &base, ext);
    let (name, items) = if functions {
        let items: Vec<String> = (0..r.range(2, 6)).map(|_| format!("{}{}", verb(r), pascal(r))).collect();
        (format!("{package}.{}", items[0]), items)
    } else {
        (format!("{package}.{stem}"), vec![stem.clone()])
    };
    let path = format!("{main}/{stem}{ext}");
    let u = c.unit(name, path.clone(), items, true);
    c.source(path, Some(u), false);
    if !functions && r.chance(0.3) {
        let t = c.fresh(&test, &format!("{stem}Test"), ext);
        c.source(format!("{test}/{t}{ext}"), Some(u), true);
    }
}

/// The package of a unit: its name without the last segment.
fn package_of(u: &Unit) -> &str {
    u.name.rsplit_once('.').map_or("", |(p, _)| p)
}

/// An import chosen for a file: the line to write and the name the code
/// then uses.
struct Imported {
    line: String,
    name: String,
    /// A class of the tree, for fully qualified uses in code.
    fqcn: Option<String>,
}

pub(super) fn jvm_source(f: &File, r: &mut Rng, o: &mut String) {
    let kotlin = f.c.lang == Some(Lang::Kotlin);
    let semi = if kotlin { "" } else { ";" };
    let package = f.own().map_or(f.c.ns.as_str(), package_of).to_string();
    if r.chance(0.5) {
        o.push_str("/*\n * Copyright 2024 Acme Corp.\n *\n * Licensed under the Apache License, Version 2.0 (the \"License\").\n */\n\n");
    }
    w!(o, "package {package}{semi}\n\n");
    let chosen = picks(f, import_count(r, f.test) + 4, JVM_EXT.len(), r);
    let mut imports: Vec<Imported> =
        chosen.iter().filter_map(|&p| import(f, p, &package, kotlin, r)).collect();
    if f.test {
        imports.push(Imported {
            line: format!("import org.junit.jupiter.api.Test{semi}"),
            name: "Test".into(),
            fqcn: None,
        });
    }
    let mut lines: Vec<&str> = imports.iter().map(|i| i.line.as_str()).collect();
    lines.sort_unstable();
    lines.dedup();
    for line in lines {
        w!(o, "{line}\n");
    }
    o.push('\n');
    let used: Vec<&Imported> = imports.iter().filter(|i| !i.name.is_empty()).collect();
    let own = f.own();
    if kotlin
        && own.is_some_and(|u| u.name.ends_with(&u.items[0]) && u.items[0].starts_with(char::is_lowercase))
    {
        return kotlin_functions(f, &used, r, o);
    }
    let class = match (f.test, own) {
        (false, Some(u)) => u.items[0].clone(),
        _ => f.path.rsplit('/').next().unwrap_or("X").split('.').next().unwrap_or("X").to_string(),
    };
    jvm_class_body(f, &class, &used, kotlin, r, o);
}

/// The import of `p` from a file of `package`: none for a class of the
/// same package (it needs none).
fn import(f: &File, p: Pick, package: &str, kotlin: bool, r: &mut Rng) -> Option<Imported> {
    let semi = if kotlin { "" } else { ";" };
    let (name, fqcn) = match p {
        Pick::Ext(i) => {
            let fq = JVM_EXT[i];
            let java_only = !kotlin && fq.starts_with("kotlinx.");
            return (!java_only).then(|| Imported {
                line: format!("import {fq}{semi}"),
                name: fq.rsplit('.').next().unwrap_or(fq).to_string(),
                fqcn: None,
            });
        }
        _ => {
            let (_, u) = f.unit_of(p);
            if package_of(u) == package {
                return Some(Imported { line: String::new(), name: u.items[0].clone(), fqcn: None });
            }
            (u.items[0].clone(), u.name.clone())
        }
    };
    let class = name.starts_with(char::is_uppercase);
    let unit_package = fqcn.rsplit_once('.').map_or("", |(p, _)| p);
    let line = match r.below(100) {
        0..8 => format!("import {unit_package}.*{semi}"),
        8..13 if !kotlin && class => format!("import static {fqcn}.{}{semi}", verb(r)),
        13..18 if kotlin && class => {
            let alias = format!("{}{name}", cap(noun(r)));
            return Some(Imported {
                line: format!("import {fqcn} as {alias}"),
                name: alias,
                fqcn: Some(fqcn),
            });
        }
        _ => format!("import {fqcn}{semi}"),
    };
    Some(Imported { line, name, fqcn: class.then_some(fqcn) })
}

/// A Kotlin file of top-level functions, each named after the unit's items.
fn kotlin_functions(f: &File, used: &[&Imported], r: &mut Rng, o: &mut String) {
    let items = f.own().map_or(&[][..], |u| u.items.as_slice());
    let mut k = 0;
    while o.len() < f.target || k < items.len() {
        let name = items.get(k).cloned().unwrap_or_else(|| format!("{}{}", verb(r), pascal(r)));
        k += 1;
        w!(o, "/**\n * {}\n *\n * See [{}].\n */\n", sentence(r), any_fqcn(used, r));
        w!(o, "fun String.{name}(limit: Int = {}): String {{\n", r.range(1, 100));
        for _ in 0..r.range(2, 7) {
            statement(used, true, r, o);
        }
        o.push_str("    return this.take(limit)\n}\n\n");
    }
}

/// A class (or interface, data class, object) named `class`.
fn jvm_class_body(f: &File, class: &str, used: &[&Imported], kotlin: bool, r: &mut Rng, o: &mut String) {
    if kotlin {
        w!(o, "/**\n * {}\n *\n * Works with [{}].\n */\n", sentence(r), any_fqcn(used, r));
    } else {
        w!(o, "/**\n * {}\n *\n * @see {{@link {}}}\n */\n", sentence(r), any_fqcn(used, r));
    }
    if let Some(fq) = used.iter().find_map(|i| i.fqcn.as_ref()).filter(|_| r.chance(0.1)) {
        w!(o, "@{fq}\n");
    }
    let field = camel(r);
    let dep =
        used.iter().find(|i| i.name.starts_with(char::is_uppercase)).map_or("Object", |i| i.name.as_str());
    match (kotlin, f.test) {
        (true, true) => w!(o, "class {class} {{\n"),
        (true, false) => w!(o, "class {class}(\n    private val {field}: {dep},\n) {{\n"),
        (false, true) => w!(o, "class {class} {{\n"),
        (false, false) => w!(
            o,
            "public class {class} {{\n    private final {dep} {field};\n\n    public {class}({dep} {field}) {{\n        this.{field} = {field};\n    }}\n\n"
        ),
    }
    while o.len() < f.target {
        method(f, used, kotlin, r, o);
    }
    o.push_str("}\n");
}

fn method(f: &File, used: &[&Imported], kotlin: bool, r: &mut Rng, o: &mut String) {
    let name = format!("{}{}", verb(r), pascal(r));
    let arg = camel(r);
    if f.test {
        o.push_str("    @Test\n");
    } else {
        w!(o, "    /**\n     * {}\n     */\n", sentence(r));
    }
    match kotlin {
        true => w!(o, "    fun {name}({arg}: String): String {{\n"),
        false => w!(o, "    public String {name}(String {arg}) {{\n"),
    }
    for _ in 0..r.range(2, 9) {
        statement(used, kotlin, r, o);
    }
    w!(o, "        return {arg}{}\n    }}\n\n", if kotlin { "" } else { ";" });
}

fn statement(used: &[&Imported], kotlin: bool, r: &mut Rng, o: &mut String) {
    let (decl, semi) = if kotlin { ("val", "") } else { ("var", ";") };
    let name = used.get(r.below(used.len().max(1))).map_or("Object", |i| i.name.as_str());
    match r.below(10) {
        0 | 1 if kotlin => w!(o, "        val {} = {name}(\"{}\")\n", camel(r), noun(r)),
        0 | 1 => w!(o, "        var {} = new {name}(\"{}\");\n", camel(r), noun(r)),
        2 => w!(o, "        {decl} {} = {name}.of({}){semi}\n", camel(r), r.range(1, 100)),
        3 => match used.iter().find_map(|i| i.fqcn.as_ref()) {
            Some(fq) if kotlin => w!(o, "        val {} = {fq}.from(\"{}\")\n", camel(r), noun(r)),
            Some(fq) => w!(o, "        {fq} {} = {fq}.from(\"{}\");\n", camel(r), noun(r)),
            None => w!(o, "        // {}\n", sentence(r)),
        },
        4 if kotlin => w!(
            o,
            "        val sql = \"\"\"\n            SELECT * FROM {} WHERE id = ${{{}.id}}\n            -- import {}\n        \"\"\".trimIndent()\n",
            noun(r),
            camel(r),
            any_fqcn(used, r)
        ),
        4 => w!(
            o,
            "        String sql = \"\"\"\n            SELECT * FROM {}\n            -- import {};\n            \"\"\";\n",
            noun(r),
            any_fqcn(used, r)
        ),
        5 => w!(o, "        // {}\n", sentence(r)),
        6 if kotlin => w!(o, "        log.info(\"{} ${{{}}} import {}\")\n", noun(r), camel(r), any_fqcn(used, r)),
        6 => w!(o, "        log.info(\"{} {{}} import {};\", {});\n", noun(r), any_fqcn(used, r), camel(r)),
        7 => w!(
            o,
            "        if ({}.isEmpty()) {{\n            throw {}IllegalStateException(\"{}\"){semi}\n        }}\n",
            camel(r),
            if kotlin { "" } else { "new " },
            sentence(r)
        ),
        _ => w!(o, "        {decl} {} = this.{}.{}({}){semi}\n", camel(r), camel(r), verb(r), camel(r)),
    }
}

/// Some class name the file could name, fully qualified.
fn any_fqcn(used: &[&Imported], r: &mut Rng) -> String {
    let named: Vec<&String> = used.iter().filter_map(|i| i.fqcn.as_ref()).collect();
    if named.is_empty() {
        return format!("com.acme.{}.{}", noun(r), pascal(r));
    }
    (*r.pick(&named)).clone()
}
