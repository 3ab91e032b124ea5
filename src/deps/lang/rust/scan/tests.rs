//! What `scan` finds, each rule on a small source.

use super::super::reference::MAX_SPEC;
use super::*;

/// `(line, spec)` of every import of `src`.
fn specs(src: &str) -> Vec<(u32, String)> {
    scan(src).unwrap().into_iter().map(|i| (i.line, i.spec)).collect()
}

fn list(items: &[(u32, &str)]) -> Vec<(u32, String)> {
    items.iter().map(|&(l, s)| (l, s.to_owned())).collect()
}

#[test]
fn use_trees_give_one_import_per_leaf() {
    let src = "use a::b;\nuse ::c::d as e;\nuse f::{g, h::{self, i}, j::*};\npub(crate) use {k::l, m};\n\
               use n::{\n    o,\n    p as _,\n};\nuse q::*;";
    let want = [
        (1, "a::b"),
        (2, "c::d"),
        (3, "f::g"),
        (3, "f::h"),
        (3, "f::h::i"),
        (3, "f::j"),
        (4, "k::l"),
        (4, "m"),
        (6, "n::o"),
        (7, "n::p"),
        (9, "q"),
    ];
    assert_eq!(specs(src), list(&want));
}

#[test]
fn paths_inside_the_crate_are_references() {
    let src = "use crate::a;\nuse self::b::{c};\nuse super::d;\nfn f() { crate::x::y(); self::z(); \
               Self::new(); super::w::v(); }\nuse {crate::q, r::s};\nsuper::super::u::t(); self::super::v;\n\
               $crate::k::l; crate::super::m; super::self::n;";
    let want = [
        (1, "crate::a"),
        (2, "self::b::c"),
        (3, "super::d"),
        (4, "crate::x::y"),
        (4, "self::z"),
        (4, "super::w::v"),
        (5, "crate::q"),
        (5, "r::s"),
        (6, "super::super::u::t"),
        (6, "super::v"),
    ];
    assert_eq!(specs(src), list(&want));
}

#[test]
fn visibility_paths_are_not_paths_but_in_paths_are() {
    let src =
        "pub(crate) fn a() {}\npub(super) struct B;\npub(self) const C: u8 = 0;\npub(in crate::d) fn e() {}";
    assert_eq!(specs(src), list(&[(4, "crate::d")]));
}

#[test]
fn inline_modules_rebase_self_and_super_on_the_file() {
    let src = "mod tests {\n    use super::*;\n    use self::x;\n    fn f() { super::g(); }\n    \
               mod deep { use super::super::h; use super::super::super::i; }\n}\nuse super::j;\n\
               mod k { use crate::l; }";
    let want = [
        (3, "self::tests::x"),
        (4, "self::g"),
        (5, "self::h"),
        (5, "super::i"),
        (7, "super::j"),
        (8, "crate::l"),
    ];
    assert_eq!(specs(src), list(&want));
}

#[test]
fn module_declarations_name_their_files() {
    let src = "mod a;\npub mod b;\nmod c {\n    pub(crate) mod d;\n    fn f() {}\n    mod e { mod g; }\n}\n\
               #[path = \"x/y.rs\"]\nmod h;\n#[cfg(test)]\n#[path = r\"t.rs\"] pub(crate) mod i;\n\
               #[path = \"unused.rs\"] fn j() {}\nmod k;\nmod r#type;\n#[path = \"p\"] mod l { mod m; }";
    let want = [
        (1, "mod a"),
        (2, "mod b"),
        (4, "mod c::d"),
        (6, "mod c::e::g"),
        (9, "#[path = \"x/y.rs\"] mod h"),
        (11, "#[path = \"t.rs\"] mod i"),
        (13, "mod k"),
        (14, "mod type"),
        (15, "mod l::m"),
    ];
    assert_eq!(specs(src), list(&want));
}

#[test]
fn local_names_expand_to_the_paths_they_stand_for() {
    let src = "mod plan;\nuse crate::deps;\nuse git_split::x::{self as y};\nuse anyhow::anyhow;\n\
               fn f() { plan::Plan::new(); deps::report(); y::z(); anyhow::Result::Ok(()); }\n\
               fn g() { use other::q; q::r(); }\nuse crate::s::q;\nfn h() { q::t(); }\n\
               mod tests { use super::*; fn t() { plan::u(); } }\nmod bare { fn t() { plan::v(); } }\n\
               use super::w; w::a(); use self::plan::P; P::b();";
    let want = [
        (1, "mod plan"),
        (2, "crate::deps"),
        (3, "git_split::x"),
        (4, "anyhow::anyhow"),
        (5, "self::plan::Plan::new"),
        (5, "crate::deps::report"),
        (5, "git_split::x::z"),
        (5, "anyhow::Result::Ok"),
        (6, "other::q"),
        (6, "q::r"),
        (7, "crate::s::q"),
        (8, "q::t"),
        (9, "self::plan::u"),
        (10, "plan::v"),
        (11, "super::w"),
        (11, "super::w::a"),
        (11, "self::plan::P"),
        (11, "P::b"),
    ];
    assert_eq!(specs(src), list(&want));
}

#[test]
fn a_module_with_a_path_attribute_stands_for_its_declaration() {
    let src = "#[path = \"support/synth.rs\"]\nmod synth;\nfn f() { synth::git::run(); }";
    let decl = "#[path = \"support/synth.rs\"] mod synth";
    assert_eq!(specs(src), list(&[(2, decl), (3, decl)]));
}

#[test]
fn extern_crate_names_the_crate() {
    let src =
        "extern crate alpha;\nextern crate beta as gamma;\nextern crate self as me;\nextern \"C\" fn f();";
    assert_eq!(specs(src), list(&[(1, "alpha"), (2, "beta")]));
}

#[test]
fn paths_in_code_start_at_their_first_segment() {
    let src = "fn f() -> ::g::T { a::b::c(x.m::<d::E>()); }\nlet v = Vec::<u8>::new();\n\
               impl<T> h::Tr for T {}\n<T as i::Tr>::call();\nj::mac!();\n$crate::k::l; $m::n;\n\
               o::p::q::<R>::r(); Vec::<u8>::new();\nlet r = 0..s::MAX;\nmatch x { _ => ::t::u() }\ndyn ::w::X";
    let want = [
        (1, "g::T"),
        (1, "a::b::c"),
        (1, "d::E"),
        (3, "h::Tr"),
        (4, "i::Tr"),
        (5, "j::mac"),
        (7, "o::p::q"),
        (8, "s::MAX"),
        (9, "t::u"),
        (10, "w::X"),
    ];
    assert_eq!(specs(src), list(&want));
}

#[test]
fn a_path_counts_once_per_line() {
    let src = "a::f(); a::f(); a::g();\na::f();";
    assert_eq!(specs(src), list(&[(1, "a::f"), (1, "a::g"), (2, "a::f")]));
}

#[test]
fn paths_may_span_lines_and_comments() {
    let src = "let x = a\n    ::b /* c::d */\n    ::e();";
    assert_eq!(specs(src), list(&[(1, "a::b::e")]));
}

#[test]
fn comments_and_literals_hide_paths() {
    let src = r####"// a::b
/// c::d
//! e::f
/* g::h /* nested i::j */ still k::l mod m; */
let s = "m::n \" o::p mod q;";
let r = r#"q::r "still" s::t"#;
let r2 = r##"u::v "# w::x"##;
let b = b"y::z"; let c = c"aa::bb"; let br = br#"cc::dd"#;
let ch = '"'; let ap = '\''; let by = b'"';
let after = real::path;"####;
    assert_eq!(specs(src), list(&[(10, "real::path")]));
}

#[test]
fn raw_identifiers_and_precise_captures() {
    let src = "r#match::f();\nfn g() -> impl Sized + use<'a> { h::i }\nuse r#type::x;";
    assert_eq!(specs(src), list(&[(1, "match::f"), (2, "h::i"), (3, "type::x")]));
}

#[test]
fn never_panics_on_junk() {
    let alphabet: &[&str] = &[
        "r#", "b'", "'", "\"", "#", "::", ":", "a", "é", "\\", "/*", "*/", "//", "\n", "{", "}", "use", " ",
        "<", ">", "$", "mod", "super", "self", "crate", "[", "]", "=", "path", ";", "*", "as",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..20_000 {
        let mut src = String::new();
        for _ in 0..(seed % 24) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            src.push_str(alphabet[(seed % alphabet.len() as u64) as usize]);
        }
        let _ = scan(&src);
    }
}

#[test]
fn long_use_groups_and_deep_modules_stay_linear() {
    let prefix = vec!["seg"; 100_000].join("::");
    let leaves = vec!["x"; 100_000].join(",\n");
    let imports = scan(&format!("use {prefix}::{{{leaves}}};")).unwrap();
    assert_eq!(imports.len(), 100_000);
    assert!(imports.iter().all(|i| i.spec.len() <= MAX_SPEC && i.spec.starts_with("seg::seg::")));
    let nested = format!("{}use super::x;{}", "mod m {".repeat(100_000), "}".repeat(100_000));
    let imports = scan(&nested).unwrap();
    assert_eq!(imports.len(), 1);
    assert!(imports[0].spec.len() <= MAX_SPEC && imports[0].spec.starts_with("self::m::m::"));
}
