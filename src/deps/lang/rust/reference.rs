//! The references `scan` reports, spelled as [`Import::spec`](super::super::Import)
//! strings, and their typed reading for the resolver.
//!
//! One spelling per kind, all valid Rust:
//! - `name::a::b`: a path whose first segment names a crate (a dependency,
//!   or the package's own library from its tests and binaries);
//! - `crate::a::b`: a path from the root of the file's own crate;
//! - `self::a`, `super::super::a`: a path from the FILE's module. Paths
//!   written inside inline modules (`mod tests { use super::*; }`) are
//!   rebased on the file's module when scanned, since the resolver sees
//!   files, not inline modules;
//! - `mod a::x`: the declaration `mod x;` inside the file's inline module
//!   `a` (the declaration is at the file's top level when there is no
//!   `a::`); `#[path = "p"] mod a::x` when a path attribute names its file.

/// Paths grow no longer than this: every leaf of a `use` group repeats the
/// group's prefix, so an unbounded prefix would make the output quadratic
/// in the input. Real paths are far shorter.
pub(super) const MAX_SPEC: usize = 256;

/// The spelling of a declaration with a path attribute, around the path.
const PATH_ATTR: (&str, &str) = ("#[path = \"", "\"] mod ");

/// One reference, read back from its spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Reference<'s> {
    /// A path into the crate `name` (or a local name the scanner could not
    /// rule out): the segments after it.
    Named {
        /// The first segment.
        name: &'s str,
        /// The segments after it.
        rest: Vec<&'s str>,
    },
    /// `crate::...`: the segments after `crate`.
    Crate(Vec<&'s str>),
    /// `self::...` (`up` 0) or `super::...` (`up` times): from the file's
    /// module.
    Relative {
        /// How many modules up from the file's module.
        up: usize,
        /// The segments after the last `super`.
        rest: Vec<&'s str>,
    },
    /// `mod x;` in the file's inline modules `inline`.
    Module {
        /// The inline modules around the declaration, outermost first.
        inline: Vec<&'s str>,
        /// The declared module.
        name: &'s str,
        /// The `#[path]` attribute's value, as written.
        path: Option<&'s str>,
    },
}

impl<'s> Reference<'s> {
    /// Reads a spec that `scan` wrote; `None` for an empty one.
    pub(super) fn parse(spec: &'s str) -> Option<Reference<'s>> {
        if let Some(decl) = spec.strip_prefix("mod ") {
            return Some(module(decl, None));
        }
        if let Some(attr) = spec.strip_prefix(PATH_ATTR.0) {
            let (path, decl) = attr.rsplit_once(PATH_ATTR.1)?;
            return Some(module(decl, Some(path)));
        }
        let mut segments = spec.split("::");
        let first = segments.next().filter(|s| !s.is_empty())?;
        Some(match first {
            "crate" => Reference::Crate(segments.collect()),
            "self" | "super" => {
                let mut up = usize::from(first == "super");
                let mut rest: Vec<&str> = segments.collect();
                let supers = rest.iter().take_while(|&&s| s == "super").count();
                up += supers;
                rest.drain(..supers);
                Reference::Relative { up, rest }
            }
            name => Reference::Named { name, rest: segments.collect() },
        })
    }
}

/// A declaration's `a::b::x` as inline modules and name.
fn module<'s>(decl: &'s str, path: Option<&'s str>) -> Reference<'s> {
    let mut inline: Vec<&str> = decl.split("::").collect();
    let name = inline.pop().unwrap_or_default();
    Reference::Module { inline, name, path }
}

/// The spec of `mod name;` inside the inline modules `inline`, with the
/// value of its `#[path]` attribute; `None` when the modules are too long
/// to spell (a truncated list would name another file).
pub(super) fn module_spec(inline: &[&str], name: &str, path: Option<&str>) -> Option<String> {
    let mut spec = String::new();
    if let Some(path) = path {
        spec.push_str(PATH_ATTR.0);
        spec.push_str(path);
        spec.push_str(PATH_ATTR.1);
    } else {
        spec.push_str("mod ");
    }
    let mut modules = String::new();
    if !push_segments(&mut modules, inline.iter().copied().chain([name])) {
        return None;
    }
    spec.push_str(&modules);
    Some(spec)
}

/// True for the spec of a `mod` declaration (see [`module_spec`]).
pub(super) fn is_module_spec(spec: &str) -> bool {
    spec.starts_with("mod ") || spec.starts_with(PATH_ATTR.0)
}

/// Rebases `spec`, a `self::`/`super::` path written inside the inline
/// modules `inline` of a file, on the file's own module: inside `mod a {
/// mod b { ... } }`, `super::x` is `self::a::x` and `super::super::super::x`
/// is `super::x`. `None` when it names the file's module itself (`self`).
/// A path too long to spell keeps the segments that fit: an enclosing
/// module, as for any long path.
pub(super) fn rebase(spec: &str, inline: &[&str]) -> Option<String> {
    let mut segments = spec.split("::").peekable();
    segments.next_if_eq(&"self");
    let mut up = 0;
    while segments.next_if_eq(&"super").is_some() {
        up += 1;
    }
    let mut out = String::new();
    let head_fits = match inline.len().checked_sub(up) {
        Some(keep) => {
            out.push_str("self");
            push_segments(&mut out, inline[..keep].iter().copied())
        }
        None => push_segments(&mut out, std::iter::repeat_n("super", up - inline.len())),
    };
    if head_fits {
        push_segments(&mut out, segments);
    }
    (out != "self").then_some(out)
}

/// The first segment of a path spec and what follows its `::` (empty when
/// nothing does). A byte search, since identifiers never hold `:`.
pub(super) fn split_first(spec: &str) -> (&str, &str) {
    match spec.find(':') {
        Some(i) => (&spec[..i], spec.get(i + 2..).unwrap_or_default()),
        None => (spec, ""),
    }
}

/// Appends `::segment` to `path` (just `segment` to an empty one), unless
/// that makes it longer than [`MAX_SPEC`]; false when it does not fit.
pub(super) fn push_segment(path: &mut String, segment: &str) -> bool {
    let sep = if path.is_empty() { 0 } else { 2 };
    if path.len() + sep + segment.len() > MAX_SPEC {
        return false;
    }
    if sep > 0 {
        path.push_str("::");
    }
    path.push_str(segment);
    true
}

/// Appends `segments` while they fit, so the cost stays bounded however
/// long the list (the inline modules of a deeply nested file, say); false
/// when some did not fit.
pub(super) fn push_segments<'s>(path: &mut String, segments: impl IntoIterator<Item = &'s str>) -> bool {
    segments.into_iter().all(|segment| push_segment(path, segment))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_read_back_as_what_they_spell() {
        let named = Reference::Named { name: "a", rest: vec!["b", "c"] };
        assert_eq!(Reference::parse("a::b::c"), Some(named));
        assert_eq!(Reference::parse("crate::x"), Some(Reference::Crate(vec!["x"])));
        assert_eq!(Reference::parse("crate"), Some(Reference::Crate(vec![])));
        let relative = |up, rest: &[&'static str]| Some(Reference::Relative { up, rest: rest.to_vec() });
        assert_eq!(Reference::parse("self::x::y"), relative(0, &["x", "y"]));
        assert_eq!(Reference::parse("super"), relative(1, &[]));
        assert_eq!(Reference::parse("super::super::super::x"), relative(3, &["x"]));
        assert_eq!(Reference::parse(""), None);
    }

    #[test]
    fn module_specs_round_trip() {
        for (inline, path) in [(&[][..], None), (&["a", "b"][..], None), (&[][..], Some("../x] mod y.rs"))] {
            let spec = module_spec(inline, "m", path).unwrap();
            let want = Reference::Module { inline: inline.to_vec(), name: "m", path };
            assert_eq!(Reference::parse(&spec), Some(want), "{spec}");
        }
        assert_eq!(module_spec(&["a"], "m", None).unwrap(), "mod a::m");
        assert_eq!(module_spec(&[], "m", Some("x/m.rs")).unwrap(), "#[path = \"x/m.rs\"] mod m");
        assert_eq!(module_spec(&["a"; MAX_SPEC][..], "m", None), None);
    }

    #[test]
    fn rebase_climbs_inline_modules_first() {
        let cases = [
            ("self::x", &[][..], Some("self::x")),
            ("self::x", &["t"][..], Some("self::t::x")),
            ("super::x", &["t"][..], Some("self::x")),
            ("super", &["t"][..], None),
            ("self", &[][..], None),
            ("super::super::x", &["a", "b"][..], Some("self::x")),
            ("super::super::super::x", &["a", "b"][..], Some("super::x")),
            ("self::super::x", &[][..], Some("super::x")),
            ("super::super", &[][..], Some("super::super")),
        ];
        for (spec, inline, want) in cases {
            assert_eq!(rebase(spec, inline).as_deref(), want, "{spec} in {inline:?}");
        }
    }
}
