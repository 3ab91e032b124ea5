//! The crate's layers, as `src/lib.rs` lists them, hold: a module uses only
//! modules of its own layer or of the layers below it. A new top-level
//! module must be given its layer here, which is the prompt to say where it
//! sits in `src/lib.rs` too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module of the library and its layer, lowest first.
const LAYERS: &[(&str, u8)] = &[
    ("util", 0),
    ("odb", 0),
    ("manifest", 1),
    ("pattern", 1),
    ("ownership", 2),
    ("lfs", 2),
    ("plan", 3),
    ("deps", 3),
    ("log", 3),
    ("codeowners", 3),
    ("init", 3),
    ("picture", 3),
    ("rewrite", 4),
    ("compat", 4),
    ("apply", 5),
    ("check", 5),
    ("verify", 5),
    ("push", 5),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `line` without its string literals and its `//` comment (test data may
/// spell any path).
fn code_of(line: &str) -> String {
    let mut code = String::new();
    // A quote as a character literal opens no string.
    let line = line.replace("'\"'", "' '");
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        match (in_string, c) {
            (true, '\\') => {
                chars.next();
            }
            (true, '"') | (false, '"') => in_string = !in_string,
            (true, _) => {}
            (false, '/') if chars.peek() == Some(&'/') => break,
            (false, c) => code.push(c),
        }
    }
    code
}

/// The modules `crate::NAME` names in `source`'s code.
fn crate_uses(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in source.lines() {
        let code = code_of(line);
        for (at, _) in code.match_indices("crate::") {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &code[at + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
            out.push(name);
        }
    }
    out
}

#[test]
fn every_module_uses_only_its_layer_and_those_below() {
    let layer: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let declared = lib.lines().filter_map(|l| {
        let l = l.strip_prefix("pub mod ").or_else(|| l.strip_prefix("pub(crate) mod "))?;
        l.strip_suffix(';')
    });
    for name in declared {
        assert!(layer.contains_key(name), "src/lib.rs declares `{name}`, which has no layer in LAYERS");
    }
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel.components().next().unwrap().as_os_str().to_str().unwrap();
        let top = top.strip_suffix(".rs").unwrap_or(top);
        // The binary (`main.rs`, `cli/`) may use everything.
        let Some(&own) = layer.get(top) else { continue };
        for used in crate_uses(&std::fs::read_to_string(&file).unwrap()) {
            match layer.get(used.as_str()) {
                Some(&l) if l > own => wrong.push(format!("{}: crate::{used}", rel.display())),
                _ => {}
            }
        }
    }
    wrong.dedup();
    assert!(wrong.is_empty(), "modules using a layer above their own:\n{}", wrong.join("\n"));
}
