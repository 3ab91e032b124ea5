//! Local names that start paths. A path's first segment may be a module the
//! file declares (`mod plan;` then `plan::Plan`) or a name it imports (`use
//! crate::deps;` then `deps::report`): such paths are rewritten to the full
//! path the name stands for, so the resolver sees `self::plan::Plan` and
//! `crate::deps::report` instead of a crate named `plan` or `deps`.
//!
//! Only names that may be modules are bound: those that start with a lower
//! case letter, as Rust's naming rules have it. And only certain bindings
//! are used: a name bound once per module, outside blocks. A name also
//! bound inside a block (a `use` in a function body, which shadows the
//! module's one there) or bound twice (`#[cfg]` alternatives) is left
//! alone, and so is `use x::x;` (a macro or function named like its crate,
//! which does not shadow the crate in paths).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::super::Import;
use super::reference::{is_module_spec, push_segments, split_first};

/// How many bindings one rewrite may follow (`use crate::a; use a::b;`
/// then `b::c`), so cyclic imports end.
const MAX_HOPS: usize = 8;

/// The local names of one file and the paths that may start with them.
#[derive(Debug, Default)]
pub(super) struct Names<'a> {
    /// Every binding, in file order; by (module, name) once settled.
    bindings: Vec<Binding<'a>>,
    /// The targets of `bindings`, one after the other: one buffer rather
    /// than a string each, since most bindings are never used.
    targets: String,
    /// Module → glob source: `use super::*` in a module makes the names of
    /// the enclosing module (its source) visible in it. The first one wins.
    globs: HashMap<u32, u32>,
    /// `(import index, module)` of every path whose first segment is a name.
    uses: Vec<(usize, u32)>,
}

/// One name bound in one module of the file.
#[derive(Clone, Debug)]
struct Binding<'a> {
    /// The module: 0 for the file's top level, else an inline module's id.
    module: u32,
    name: &'a str,
    /// The path it stands for, as `scan` spells references: a range of
    /// [`Names::targets`]; `None` once the name is found uncertain.
    target: Option<Range<usize>>,
    /// False for a binding inside a block.
    module_level: bool,
}

impl<'a> Names<'a> {
    /// Binds `name` to `target` in `module`, if `name` may be a module:
    /// Rust's naming rules (which rustc lints) start types, traits and
    /// constants with a capital, and a path through those (`Plan::new`)
    /// repeats a reference that the `use` itself already counts.
    pub(super) fn bind(&mut self, module: u32, name: &'a str, target: &str, module_level: bool) {
        let module_like = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_' || !c.is_ascii());
        let bindable = module_like && !matches!(name, "_" | "self" | "super" | "crate");
        if bindable && (is_module_spec(target) || split_first(target).0 != name) {
            let start = self.targets.len();
            self.targets.push_str(target);
            let target = Some(start..self.targets.len());
            self.bindings.push(Binding { module, name, target, module_level });
        }
    }

    /// Notes a glob import of the names of the enclosing module `source`
    /// into `module`.
    pub(super) fn glob(&mut self, module: u32, source: u32) {
        self.globs.entry(module).or_insert(source);
    }

    /// Notes that `imports[index]`, found in `module`, starts with a name.
    pub(super) fn used(&mut self, index: usize, module: u32) {
        self.uses.push((index, module));
    }

    /// Rewrites the paths that start with a bound name, then drops the
    /// duplicates on one line that this makes.
    pub(super) fn apply(mut self, imports: &mut Vec<Import>) {
        if self.bindings.is_empty() || self.uses.is_empty() {
            return;
        }
        self.settle();
        let mut changed = Vec::new();
        for &(index, module) in &self.uses {
            if let Some(spec) = self.expand(module, &imports[index].spec) {
                imports[index].spec = spec;
                changed.push(index);
            }
        }
        dedup_lines(imports, &changed);
    }

    /// Sorts the bindings by (module, name) and keeps one per name: its
    /// target, or `None` when it is bound twice differently or in a block.
    fn settle(&mut self) {
        self.bindings.sort_by(|a, b| (a.module, a.name).cmp(&(b.module, b.name)));
        let targets = &self.targets;
        let text = |b: &Binding<'_>| b.target.clone().map(|r| &targets[r]);
        let mut kept: Vec<Binding<'a>> = Vec::with_capacity(self.bindings.len());
        for b in &self.bindings {
            match kept.last_mut() {
                Some(last) if (last.module, last.name) == (b.module, b.name) => {
                    if !b.module_level || text(last) != text(b) {
                        last.target = None;
                    }
                }
                _ => kept.push(Binding { target: b.target.clone().filter(|_| b.module_level), ..b.clone() }),
            }
        }
        self.bindings = kept;
    }

    /// `spec` with its bound first segment replaced, as often as bindings
    /// lead; `None` when its first segment is bound to nothing.
    fn expand(&self, module: u32, spec: &str) -> Option<String> {
        let mut out: Option<String> = None;
        for _ in 0..MAX_HOPS {
            let (first, rest) = split_first(out.as_deref().unwrap_or(spec));
            let Some(target) = self.lookup(module, first) else { break };
            if is_module_spec(target) {
                // A module with a `#[path]`: its file, whatever the rest.
                return Some(target.to_owned());
            }
            let mut next = String::with_capacity(target.len() + 2 + rest.len());
            next.push_str(target);
            push_segments(&mut next, rest.split(':').filter(|s| !s.is_empty()));
            out = Some(next);
        }
        out
    }

    /// What `name` stands for in `module`: its own binding, else one that a
    /// glob import brings from an enclosing module.
    fn lookup(&self, mut module: u32, name: &str) -> Option<&str> {
        // Glob sources are enclosing modules, so this climbs at most the
        // file's inline nesting; the hop count bounds it all the same.
        for _ in 0..=MAX_HOPS {
            let found = self.bindings.binary_search_by(|b| (b.module, b.name).cmp(&(module, name)));
            if let Ok(i) = found {
                return self.bindings[i].target.clone().map(|r| &self.targets[r]);
            }
            module = *self.globs.get(&module)?;
        }
        None
    }
}

/// Drops the imports that repeat an earlier one of their line, looking only
/// at the lines of the `changed` ones (imports are in line order).
fn dedup_lines(imports: &mut Vec<Import>, changed: &[usize]) {
    let mut drop = vec![false; imports.len()];
    let mut any = false;
    let mut done = None;
    for &index in changed {
        let line = imports[index].line;
        if done.replace(line) == Some(line) {
            continue;
        }
        let start = imports[..index].partition_point(|i| i.line < line);
        let mut seen: HashSet<&str> = HashSet::new();
        for (i, import) in imports.iter().enumerate().skip(start).take_while(|(_, i)| i.line == line) {
            if !seen.insert(&import.spec) {
                drop[i] = true;
                any = true;
            }
        }
    }
    if any {
        let mut flags = drop.into_iter();
        imports.retain(|_| !flags.next().unwrap_or(false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(names: Names<'_>, specs: &[&str]) -> Vec<String> {
        let mut imports: Vec<Import> = specs.iter().map(|s| Import::new(1, *s)).collect();
        names.apply(&mut imports);
        imports.into_iter().map(|i| i.spec).collect()
    }

    #[test]
    fn bound_first_segments_are_replaced_through_chains() {
        let mut names = Names::default();
        names.bind(0, "deps", "crate::deps", true);
        names.bind(0, "report", "deps::report", true);
        (0..3).for_each(|i| names.used(i, 0));
        let got = rewrite(names, &["deps::x", "report::y", "other::z"]);
        assert_eq!(got, ["crate::deps::x", "crate::deps::report::y", "other::z"]);
    }

    #[test]
    fn uncertain_names_are_left_alone() {
        let mut names = Names::default();
        names.bind(0, "a", "crate::a", true);
        names.bind(0, "a", "crate::b", true);
        names.bind(0, "c", "crate::c", true);
        names.bind(0, "c", "x::c", false);
        names.bind(0, "anyhow", "anyhow::anyhow", true);
        names.bind(1, "d", "crate::d", true);
        (0..4).for_each(|i| names.used(i, 0));
        assert_eq!(
            rewrite(names, &["a::f", "c::f", "anyhow::Result", "d::f"]),
            ["a::f", "c::f", "anyhow::Result", "d::f"]
        );
    }

    #[test]
    fn globs_bring_the_enclosing_names_and_cycles_end() {
        let mut names = Names::default();
        names.bind(0, "plan", "self::plan", true);
        names.bind(0, "p", "q::x", true);
        names.bind(0, "q", "p::y", true);
        names.glob(1, 0);
        names.used(0, 1);
        names.used(1, 2);
        names.used(2, 0);
        let got = rewrite(names, &["plan::Plan", "plan::Other", "p::z"]);
        assert_eq!(got[..2], ["self::plan::Plan", "plan::Other"]);
        assert!(got[2].ends_with("::z"));
    }
}
