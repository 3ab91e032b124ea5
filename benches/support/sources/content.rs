//! Writing files: the one random stream every file's content is drawn
//! from (so that the tree is the same on every machine), and the imports
//! a source file chooses before its language writes them.

use crate::synth::Rng;

use super::companions::{png, text_doc};
use super::config::config;
use super::generated::generated;
use super::go::go_source;
use super::jvm::jvm_source;
use super::model::{Comp, Content, Doc, FileSpec, Lang, Model, Unit};
use super::php::{php_data, php_source};
use super::python::py_source;
use super::rust::rs_source;
use super::ts::ts_source;
use super::words::lognormal;

/// The writer of file contents: one random stream for the whole tree, so
/// the tree is the same on every machine.
pub(super) struct Gen<'m> {
    pub(super) m: &'m Model,
    pub(super) r: Rng,
    pub(super) o: String,
    /// Content that is not text (images).
    pub(super) bin: Vec<u8>,
}

impl Gen<'_> {
    /// The content of the last file written.
    pub(super) fn bytes(&self) -> &[u8] {
        if self.bin.is_empty() {
            self.o.as_bytes()
        } else {
            &self.bin
        }
    }

    /// Writes the content of `f`, a file of component `ci` (`None`: the root's).
    pub(super) fn file(&mut self, ci: Option<usize>, f: &FileSpec) {
        self.o.clear();
        self.bin.clear();
        let (m, r, o) = (self.m, &mut self.r, &mut self.o);
        match f.content {
            Content::Source { unit, test } => {
                let ci = ci.expect("hand-written sources belong to components");
                let c = &m.comps[ci];
                let target = source_size(r, c.median);
                let file = File { m, c, path: &f.path, unit, test, target };
                match c.lang.expect("components have a language") {
                    Lang::Go => go_source(&file, r, o),
                    Lang::Ts => ts_source(&file, r, o),
                    Lang::Py => py_source(&file, r, o),
                    Lang::Php => php_source(&file, r, o),
                    Lang::Rust => rs_source(&file, r, o),
                    Lang::Java | Lang::Kotlin => jvm_source(&file, r, o),
                }
            }
            Content::Generated { unit, size } => {
                let c = &m.comps[ci.expect("generated sources belong to components")];
                generated(c, &f.path, unit, size, r, o);
            }
            Content::Data(size) => php_data(size, r, o),
            Content::Config(k) => config(m, ci.map(|i| &m.comps[i]), k, r, o),
            Content::Doc(Doc::Png, size) => png(size, r, &mut self.bin),
            Content::Doc(doc, size) => text_doc(doc, size, &f.path, r, o),
            Content::Fixed(text) => o.push_str(text),
        }
    }
}

/// The size of a hand-written source file: log-normal around `median`,
/// and a few from a second, much larger mode: the long tail of big
/// modules real code has.
fn source_size(r: &mut Rng, median: f64) -> usize {
    if r.chance(1.0 / 30.0) {
        lognormal(r, median * 6.0, 0.6, 4_000, 110_000)
    } else {
        lognormal(r, median, 0.75, 150, 110_000)
    }
}

/// A source file being written.
pub(super) struct File<'a> {
    pub(super) m: &'a Model,
    pub(super) c: &'a Comp,
    pub(super) path: &'a str,
    pub(super) unit: Option<usize>,
    pub(super) test: bool,
    /// The size to reach.
    pub(super) target: usize,
}

impl File<'_> {
    pub(super) fn unit_of(&self, p: Pick) -> (&Comp, &Unit) {
        match p {
            Pick::Own(u) => (self.c, &self.c.units[u]),
            Pick::Dep(d, u) => (&self.m.comps[d], &self.m.comps[d].units[u]),
            Pick::Ext(_) => unreachable!("external imports have no unit"),
        }
    }

    /// The unit the file defines or tests.
    pub(super) fn own(&self) -> Option<&Unit> {
        self.unit.map(|u| &self.c.units[u])
    }
}

/// One import of a file, chosen before it is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Pick {
    /// A unit of the file's own component.
    Own(usize),
    /// A public unit of a component it depends on: `(component, unit)`.
    Dep(usize, usize),
    /// Outside the tree: an index into the language's list.
    Ext(usize),
}

/// Up to `n` distinct imports for `f`: mostly of its own component, most
/// of those close to it; then other teams' components, sibling components
/// of its team, and the standard library and vendor packages (a kind the
/// component lacks gives way to its own units).
pub(super) fn picks(f: &File, n: usize, externals: usize, r: &mut Rng) -> Vec<Pick> {
    let c = f.c;
    let mut out: Vec<Pick> = Vec::with_capacity(n);
    for _ in 0..n * 3 {
        if out.len() == n {
            break;
        }
        let roll = r.f64();
        let p = if roll < 0.18 {
            Pick::Ext(r.below(externals))
        } else if roll < 0.28 && !c.same_team.is_empty() {
            dep_pick(f.m, *r.pick(&c.same_team), r)
        } else if roll < 0.42 && !c.other_team.is_empty() {
            dep_pick(f.m, *r.pick(&c.other_team), r)
        } else {
            match own_pick(c, f.unit, r) {
                Some(p) => p,
                None => continue,
            }
        };
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// A public unit of component `d`; a few entry points take most of the
/// imports, as a library's main API does.
fn dep_pick(m: &Model, d: usize, r: &mut Rng) -> Pick {
    let public = &m.comps[d].public;
    let spread = r.below(public.len()) + 1;
    let k = r.below(spread);
    Pick::Dep(d, public[k])
}

/// A unit of the component other than `unit`: one laid out near it (so in
/// a nearby directory) more often than not.
pub(super) fn own_pick(c: &Comp, unit: Option<usize>, r: &mut Rng) -> Option<Pick> {
    let n = c.units.len();
    if n < 2 {
        return None;
    }
    let u = match unit {
        Some(base) if r.chance(0.6) => r.range(base.saturating_sub(12), (base + 13).min(n)),
        _ => r.below(n),
    };
    // Nor the barrel of the file's own directory, which re-exports it.
    let own_barrel = unit.is_some_and(|me| c.units[u].barrel && c.units[u].children.contains(&me));
    (Some(u) != unit && !own_barrel).then_some(Pick::Own(u))
}

/// Up to `n` distinct elements of `xs`, in their order.
pub(super) fn some_of<'a>(xs: &'a [String], n: usize, r: &mut Rng) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for _ in 0..n {
        if xs.is_empty() {
            break;
        }
        let x = r.pick(xs).as_str();
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}
