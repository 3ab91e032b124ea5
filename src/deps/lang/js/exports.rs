//! A package.json `exports` map, read as Node's `PACKAGE_EXPORTS_RESOLVE`
//! reads it: the subpath's key (exact, else the most specific `*`
//! pattern), then its target through conditions, in the order the map
//! lists them, and fallback arrays. The result is a path relative to the
//! package directory; whether a file is there is the caller's question, as
//! Node does not probe extensions of an exported target.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// An `exports` value, with its objects' keys in the order the file lists
/// them: the order that decides between conditions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Value {
    /// A target path.
    String(String),
    /// `null`: excluded.
    Null,
    /// Fallbacks, tried in turn.
    Array(Vec<Value>),
    /// Subpaths or conditions, in file order.
    Object(Vec<(String, Value)>),
    /// A number or boolean: an invalid target.
    Invalid,
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a package.json exports value")
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Value, E> {
        Ok(Value::Invalid)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Value, E> {
        Ok(Value::Invalid)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Value, E> {
        Ok(Value::Invalid)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Value, E> {
        Ok(Value::Invalid)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: Vec<(String, Value)> = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            // A repeated key keeps its first place and its last value, as
            // JavaScript objects do.
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => entries.push((key, value)),
            }
        }
        Ok(Value::Object(entries))
    }
}

/// What `exports` makes of one subpath.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Exported {
    /// The target, relative to the package directory (`./src/a.ts`).
    Target(String),
    /// The map does not export the subpath, excludes it (`null`), or names
    /// an invalid target: Node refuses the import.
    Refused,
}

/// Resolves `subpath` (`.` or `./x`) through `exports` under `conditions`
/// (`default` always applies).
pub(super) fn resolve(exports: &Value, subpath: &str, conditions: &[&str]) -> Exported {
    let (target, star) = match exports {
        Value::Object(map) if map.iter().any(|(k, _)| k.starts_with('.')) => {
            // A map mixing subpaths with conditions is invalid.
            if map.iter().any(|(k, _)| !k.starts_with('.')) {
                return Exported::Refused;
            }
            match subpath_key(map, subpath) {
                Some(found) => found,
                None => return Exported::Refused,
            }
        }
        // A string, array or conditions object is the `.` export alone.
        _ if subpath == "." => (exports, None),
        _ => return Exported::Refused,
    };
    match target_of(target, star, conditions) {
        Some(target) => Exported::Target(target),
        None => Exported::Refused,
    }
}

/// The value of the key matching `subpath` and what its `*` stands for:
/// an exact key without `*` first, then the pattern key with the longest
/// prefix before its `*` (then the longest key).
fn subpath_key<'v>(map: &'v [(String, Value)], subpath: &'v str) -> Option<(&'v Value, Option<&'v str>)> {
    if !subpath.contains('*') {
        if let Some((_, v)) = map.iter().find(|(k, _)| k == subpath) {
            return Some((v, None));
        }
    }
    let mut best: Option<(&str, &Value, &str)> = None;
    for (key, value) in map {
        let Some((base, trailer)) = key.split_once('*') else { continue };
        if trailer.contains('*') || !subpath.starts_with(base) || subpath == base {
            continue;
        }
        if !trailer.is_empty() && (!subpath.ends_with(trailer) || subpath.len() < key.len()) {
            continue;
        }
        let better = best.is_none_or(|(b, ..)| {
            let (b_base, k_base) = (b.find('*').unwrap_or(b.len()), base.len());
            k_base > b_base || (k_base == b_base && key.len() > b.len())
        });
        if better {
            best = Some((key, value, &subpath[base.len()..subpath.len() - trailer.len()]));
        }
    }
    best.map(|(_, value, star)| (value, Some(star)))
}

/// One level of the walk through nested conditions and fallback arrays.
enum Frame<'v> {
    Conditions(std::slice::Iter<'v, (String, Value)>),
    Fallbacks(std::slice::Iter<'v, Value>),
}

/// Node's `PACKAGE_TARGET_RESOLVE`, on an explicit stack: the first valid
/// string target met in order, where a conditions object tries the keys
/// that apply in the order it lists them and an array its items in turn,
/// passing over invalid targets; `null` (or an empty array) excludes.
fn target_of(target: &Value, star: Option<&str>, conditions: &[&str]) -> Option<String> {
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut next = Some(target);
    loop {
        if let Some(value) = next.take() {
            match value {
                Value::String(s) => match substitute(s, star) {
                    Some(path) => return Some(path),
                    // An invalid target gives way to the next item of the
                    // nearest fallback array, if there is one.
                    None => unwind_to_fallbacks(&mut stack)?,
                },
                Value::Null => return None,
                Value::Array(items) if items.is_empty() => return None,
                Value::Array(items) => stack.push(Frame::Fallbacks(items.iter())),
                Value::Object(map) => stack.push(Frame::Conditions(map.iter())),
                Value::Invalid => unwind_to_fallbacks(&mut stack)?,
            }
        }
        match stack.last_mut()? {
            Frame::Conditions(keys) => {
                match keys.find(|(k, _)| *k == "default" || conditions.contains(&k.as_str())) {
                    Some((_, v)) => next = Some(v),
                    // No condition applies: the object gives way to what follows it.
                    None => drop(stack.pop()),
                }
            }
            Frame::Fallbacks(items) => match items.next() {
                Some(v) => next = Some(v),
                None => drop(stack.pop()),
            },
        }
    }
}

/// Drops frames down to the nearest fallback array; `None` when there is
/// none, and the invalid target fails the whole resolution.
fn unwind_to_fallbacks(stack: &mut Vec<Frame<'_>>) -> Option<()> {
    while let Some(frame) = stack.last() {
        if matches!(frame, Frame::Fallbacks(_)) {
            return Some(());
        }
        stack.pop();
    }
    None
}

/// A target with its `*`s replaced, if Node accepts it: it starts with
/// `./` and neither it nor the substitution climbs out or into
/// `node_modules`.
fn substitute(target: &str, star: Option<&str>) -> Option<String> {
    let rest = target.strip_prefix("./")?;
    if !valid_segments(rest) {
        return None;
    }
    match star {
        None => Some(target.to_owned()),
        Some(star) => valid_segments(star).then(|| target.replace('*', star)),
    }
}

/// No segment (split at `/` or `\`) is empty, `.`, `..` or `node_modules`.
fn valid_segments(path: &str) -> bool {
    path.split(['/', '\\'])
        .all(|seg| !matches!(seg, "" | "." | "..") && !seg.eq_ignore_ascii_case("node_modules"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMPORT: &[&str] = &["types", "node", "import"];
    const REQUIRE: &[&str] = &["types", "node", "require"];

    fn at(exports: &str, subpath: &str, conditions: &[&str]) -> Option<String> {
        let exports: Value = serde_json::from_str(exports).unwrap();
        match resolve(&exports, subpath, conditions) {
            Exported::Target(t) => Some(t),
            Exported::Refused => None,
        }
    }

    #[test]
    fn main_export_forms() {
        assert_eq!(at(r#""./a.js""#, ".", IMPORT).as_deref(), Some("./a.js"));
        assert_eq!(at(r#""./a.js""#, "./a", IMPORT), None);
        assert_eq!(
            at(r#"{"import": "./m.mjs", "require": "./c.cjs"}"#, ".", REQUIRE).as_deref(),
            Some("./c.cjs")
        );
        assert_eq!(at(r#"{".": ["./x/", "./a.js"]}"#, ".", IMPORT).as_deref(), Some("./a.js"));
        assert_eq!(at(r#"{".": "./a.js", "import": "./b.js"}"#, ".", IMPORT), None);
        assert_eq!(at(r#""a.js""#, ".", IMPORT), None);
        assert_eq!(at(r#""./../a.js""#, ".", IMPORT), None);
        assert_eq!(at(r#""./node_modules/a.js""#, ".", IMPORT), None);
    }

    #[test]
    fn conditions_apply_in_the_order_the_map_lists_them() {
        let map = r#"{".": {"browser": "./b.js", "import": {"types": "./i.d.ts", "default": "./i.js"},
                      "require": "./r.cjs", "default": "./d.js"}}"#;
        assert_eq!(at(map, ".", IMPORT).as_deref(), Some("./i.d.ts"));
        assert_eq!(at(map, ".", &["import"]).as_deref(), Some("./i.js"));
        assert_eq!(at(map, ".", REQUIRE).as_deref(), Some("./r.cjs"));
        assert_eq!(at(map, ".", &[]).as_deref(), Some("./d.js"));
        // A nested object where nothing applies gives way to the next key.
        let map = r#"{"node": {"worker": "./w.js"}, "default": "./d.js"}"#;
        assert_eq!(at(map, ".", IMPORT).as_deref(), Some("./d.js"));
        // `null` excludes, even with later keys.
        assert_eq!(at(r#"{"import": null, "default": "./d.js"}"#, ".", IMPORT), None);
        assert_eq!(at(r#"[]"#, ".", IMPORT), None);
        assert_eq!(at(r#"[7, {"import": 1}, "./ok.js"]"#, ".", IMPORT).as_deref(), Some("./ok.js"));
    }

    #[test]
    fn subpath_patterns() {
        let map = r#"{
            ".": "./index.js",
            "./button": "./src/button.tsx",
            "./*": "./src/*.ts",
            "./icons/*": "./src/icons/*/index.ts",
            "./icons/*.svg": "./assets/*.svg",
            "./internal/*": null,
            "./two/*/x/*": "./never.ts",
            "./package.json": "./package.json"
        }"#;
        assert_eq!(at(map, ".", IMPORT).as_deref(), Some("./index.js"));
        assert_eq!(at(map, "./button", IMPORT).as_deref(), Some("./src/button.tsx"));
        assert_eq!(at(map, "./util/format", IMPORT).as_deref(), Some("./src/util/format.ts"));
        assert_eq!(at(map, "./icons/arrow", IMPORT).as_deref(), Some("./src/icons/arrow/index.ts"));
        assert_eq!(at(map, "./icons/arrow.svg", IMPORT).as_deref(), Some("./assets/arrow.svg"));
        assert_eq!(at(map, "./internal/x", IMPORT), None);
        assert_eq!(at(map, "./two/a/x/b", IMPORT).as_deref(), Some("./src/two/a/x/b.ts"));
        assert_eq!(at(map, "./package.json", IMPORT).as_deref(), Some("./package.json"));
        assert_eq!(at(map, "./a/../../x", IMPORT), None);
        assert_eq!(at(r#"{"./a": "./a.js"}"#, "./b", IMPORT), None);
        assert_eq!(at(r#"{"./a": "./a.js"}"#, ".", IMPORT), None);
    }

    #[test]
    fn deep_nesting_is_walked_without_recursion() {
        let mut map = String::from("\"./deep.js\"");
        for _ in 0..60 {
            map = format!("{{\"import\": [{map}]}}");
        }
        assert_eq!(at(&map, ".", IMPORT).as_deref(), Some("./deep.js"));
        // Deeper than serde_json's recursion limit: not read at all.
        let deep = format!("{}\"./a.js\"{}", "[".repeat(1000), "]".repeat(1000));
        assert!(serde_json::from_str::<Value>(&deep).is_err());
    }
}
