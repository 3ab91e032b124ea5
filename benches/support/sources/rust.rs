//! Rust source files: `use` declarations within and across crates,
//! items, and tests.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::synth::Rng;

use super::content::{picks, some_of, File, Pick};
use super::words::{import_count, noun, pascal, sentence, snake, verb};

/// Crates from outside: a path and names `use`d from it.
const RS_EXT: &[(&str, &[&str])] = &[
    ("std::collections", &["HashMap", "BTreeMap", "HashSet"]),
    ("std::sync", &["Arc", "Mutex"]),
    ("std::fmt", &["self", "Display"]),
    ("std::io", &["self", "Read", "Write"]),
    ("std::path", &["Path", "PathBuf"]),
    ("std::time", &["Duration", "Instant"]),
    ("core::ops", &["Range"]),
    ("serde", &["Deserialize", "Serialize"]),
    ("tokio::sync", &["mpsc", "RwLock"]),
    ("anyhow", &["Context", "Result"]),
    ("thiserror", &["Error"]),
    ("tracing", &["debug", "info", "instrument"]),
    ("uuid", &["Uuid"]),
    ("chrono", &["DateTime", "Utc"]),
    ("sqlx", &["PgPool"]),
    ("axum", &["Router", "extract::State", "routing::get"]),
    ("futures", &["StreamExt"]),
    ("bytes", &["Bytes"]),
];

/// The path of unit `p` as the file writes it in a `use`: `crate::`,
/// `super::` or `self::` within the crate, the crate's name from outside
/// its `src/` and for other crates.
fn rs_path(f: &File, p: Pick, r: &mut Rng) -> String {
    let (c, unit) = f.unit_of(p);
    let join =
        |head: &str, rest: &str| if rest.is_empty() { head.to_string() } else { format!("{head}::{rest}") };
    let Some(me) = f.own().filter(|_| matches!(p, Pick::Own(_))) else {
        return join(&c.ns, &unit.name);
    };
    let parent = |n: &str| n.rsplit_once("::").map_or(String::new(), |(p, _)| p.to_string());
    if !me.name.is_empty() {
        if let Some(rest) = unit.name.strip_prefix(&format!("{}::", me.name)) {
            return format!("self::{rest}");
        }
        if !unit.name.is_empty() && parent(&me.name) == parent(&unit.name) && r.chance(0.5) {
            return format!("super::{}", unit.name.rsplit("::").next().unwrap_or(&unit.name));
        }
    }
    join("crate", &unit.name)
}

pub(super) fn rs_source(f: &File, r: &mut Rng, o: &mut String) {
    let root = f.own().is_some_and(|u| u.name.is_empty() && u.path == f.path);
    if r.chance(0.6) {
        w!(o, "//! {}\n//!\n//! {}\n", sentence(r), sentence(r));
        if r.chance(0.2) {
            // A doc test: a `use` inside a comment.
            w!(o, "//!\n//! ```\n//! use {}::{}::{};\n//! ```\n", f.c.ns, noun(r), pascal(r));
        }
        o.push('\n');
    }
    if root && r.chance(0.4) {
        o.push_str("#![forbid(unsafe_code)]\n#![warn(missing_docs)]\n\n");
    }
    if let Some(u) = f.own().filter(|u| u.path == f.path) {
        for &k in &u.children {
            let child = &f.c.units[k];
            let name = child.name.rsplit("::").next().unwrap_or(&child.name);
            w!(o, "/// {}\n{}mod {name};\n", sentence(r), if child.public { "pub " } else { "" });
        }
        if !u.children.is_empty() {
            o.push('\n');
        }
    }
    let chosen = picks(f, import_count(r, f.test), RS_EXT.len(), r);
    let used = rs_uses(f, &chosen, r, o);
    let own: Vec<String> = f.own().filter(|u| u.path == f.path).map(|u| u.items.clone()).unwrap_or_default();
    for item in &own {
        rs_item(item, &used, r, o);
    }
    while o.len() < f.target {
        match r.below(6) {
            0 => rs_trap(r, o),
            1 if f.test => rs_test_fn(&used, r, o),
            _ => rs_item(&pascal(r), &used, r, o),
        }
    }
    if f.unit.is_some() && r.chance(0.5) {
        o.push_str("#[cfg(test)]\nmod tests {\n    use super::*;\n\n");
        rs_test_fn(&used, r, o);
        o.push_str("}\n");
    }
}

/// Writes the `use` declarations (standard library, vendors, the
/// workspace) and returns the names they bind.
fn rs_uses(f: &File, chosen: &[Pick], r: &mut Rng, o: &mut String) -> Vec<String> {
    let mut groups: [Vec<String>; 2] = Default::default();
    let mut used = Vec::new();
    for &p in chosen {
        let (group, path, names): (usize, String, Vec<String>) = match p {
            Pick::Ext(i) => {
                let (path, names) = RS_EXT[i];
                (
                    0,
                    path.to_string(),
                    names.iter().take(r.range(1, names.len() + 1)).map(|s| s.to_string()).collect(),
                )
            }
            _ => {
                let items = some_of(&f.unit_of(p).1.items, r.range(1, 4), r);
                (1, rs_path(f, p, r), items.iter().map(|s| s.to_string()).collect())
            }
        };
        used.extend(names.iter().map(|n| n.rsplit("::").next().unwrap_or(n).to_string()));
        let vis = if group == 1 && r.chance(0.05) { "pub " } else { "" };
        groups[group].push(match names.len() {
            1 => format!("{vis}use {path}::{};", names[0]),
            _ => format!("{vis}use {path}::{{{}}};", names.join(", ")),
        });
    }
    for group in groups.iter_mut().filter(|g| !g.is_empty()) {
        group.sort();
        for line in group.iter() {
            w!(o, "{line}\n");
        }
        o.push('\n');
    }
    used.retain(|u| u != "self");
    used
}

/// A struct with its impl, an enum, or a function named `name`.
fn rs_item(name: &str, used: &[String], r: &mut Rng, o: &mut String) {
    if !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        w!(o, "/// {}\npub fn {name}(input: &str) -> Result<Vec<String>, Error> {{\n", sentence(r));
        for _ in 0..r.range(2, 7) {
            rs_statement(used, "input", r, o);
        }
        o.push_str("    Ok(Vec::new())\n}\n\n");
        return;
    }
    if r.chance(0.25) {
        w!(o, "/// {}\n#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]\npub enum {name} {{\n", sentence(r));
        let mut variants = HashSet::new();
        for _ in 0..r.range(2, 7) {
            let v = pascal(r);
            if variants.insert(v.clone()) {
                w!(o, "    /// {}\n    {v},\n", sentence(r));
            }
        }
        o.push_str("}\n\n");
        return;
    }
    w!(o, "/// {}\n#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]\npub struct {name} {{\n    pub id: Uuid,\n", sentence(r));
    for _ in 0..r.range(2, 7) {
        let ty = *r.pick(&[
            "String",
            "u64",
            "bool",
            "Option<DateTime<Utc>>",
            "Vec<String>",
            "HashMap<String, u32>",
        ]);
        w!(o, "    /// {}\n    pub {}: {ty},\n", sentence(r), snake(r));
    }
    w!(o, "}}\n\nimpl {name} {{\n");
    for _ in 0..r.range(1, 4) {
        let arg = snake(r);
        w!(
            o,
            "    /// {}\n    pub fn {}_{}(&mut self, {arg}: &str) -> Result<&Self, Error> {{\n",
            sentence(r),
            verb(r),
            snake(r)
        );
        for _ in 0..r.range(1, 6) {
            rs_statement(used, &arg, r, o);
        }
        o.push_str("        Ok(self)\n    }\n\n");
    }
    o.push_str("}\n\n");
}

fn rs_statement(used: &[String], arg: &str, r: &mut Rng, o: &mut String) {
    match r.below(6) {
        0 if !used.is_empty() => w!(o, "        let {} = {}::from({arg});\n", snake(r), r.pick(used)),
        1 => w!(o, "        if {arg}.is_empty() {{\n            return Err(Error::Empty(\"{}\"));\n        }}\n", noun(r)),
        2 => w!(o, "        for (i, part) in {arg}.split(',').enumerate() {{\n            tracing::debug!(index = i, part, \"{} {}\");\n        }}\n", verb(r), noun(r)),
        3 => w!(o, "        // {}\n", sentence(r)),
        4 => w!(o, "        let url = format!(\"/api/v1/{}s/{{}}?limit={{}}\", {arg}, {});\n", noun(r), r.range(1, 100)),
        _ => w!(o, "        let {} = {arg}.len() as u64 * {};\n", snake(r), r.range(2, 64)),
    }
}

/// `use` and `mod` in strings and comments, and `$crate` paths in a macro.
fn rs_trap(r: &mut Rng, o: &mut String) {
    match r.below(3) {
        0 => {
            w!(o, "const TEMPLATE: &str = r#\"use crate::{}::{};\nmod generated;\"#;\n\n", noun(r), pascal(r))
        }
        1 => w!(o, "// use crate::legacy::{}; -- removed in 0.4\n\n", noun(r)),
        _ => {
            let n = snake(r);
            w!(o, "macro_rules! {n}_fields {{\n    ($($name:ident),*) => {{\n        $(pub const $name: &str = $crate::{n}::prefix(stringify!($name));)*\n    }};\n}}\n\n");
        }
    }
}

fn rs_test_fn(used: &[String], r: &mut Rng, o: &mut String) {
    let ty = used
        .iter()
        .find(|u| u.starts_with(|c: char| c.is_ascii_uppercase()))
        .cloned()
        .unwrap_or_else(|| pascal(r));
    w!(o, "    #[test]\n    fn {}_{}() {{\n        let value = {ty}::default();\n        assert_eq!(value, {ty}::default(), \"{}\");\n    }}\n\n", verb(r), snake(r), sentence(r));
}
