//! TypeScript and JavaScript source files: imports by relative path, `@/`
//! alias or package name, barrels, React components and tests.

use std::fmt::Write as _;

use crate::synth::Rng;

use super::content::{picks, some_of, File, Pick};
use super::words::{camel, import_count, noun, pascal, sentence, verb};

/// npm packages: specifier, default export name, named exports.
const TS_EXT: &[(&str, Option<&str>, &[&str])] = &[
    ("react", Some("React"), &["useState", "useEffect", "useMemo", "useCallback", "useRef"]),
    ("react-router-dom", None, &["useNavigate", "useParams", "Link"]),
    ("@tanstack/react-query", None, &["useQuery", "useMutation", "useQueryClient"]),
    ("zod", None, &["z"]),
    ("lodash-es", None, &["debounce", "groupBy", "isEqual", "sortBy"]),
    ("date-fns", None, &["format", "addDays", "parseISO", "differenceInDays"]),
    ("clsx", Some("clsx"), &[]),
    ("axios", Some("axios"), &[]),
    ("node:path", None, &["join", "resolve"]),
    ("@mui/material", None, &["Box", "Stack", "Typography"]),
    ("i18next", Some("i18n"), &[]),
    ("rxjs", None, &["Observable", "map", "filter"]),
    ("@reduxjs/toolkit", None, &["createSlice", "createSelector"]),
    ("immer", None, &["produce"]),
    ("uuid", None, &["v4 as uuidv4"]),
];

/// The specifier from the file `from` to the module file `to`, as code
/// spells it: relative, no extension, an `index` file by its directory.
fn relative_spec(from: &str, to: &str) -> String {
    let to = to.rsplit_once('.').map_or(to, |(stem, _)| stem);
    // A module file is named; an index file is reached through its directory.
    let (to_dir, name) = match to.strip_suffix("/index") {
        Some(dir) => (dir, None),
        None => to.rsplit_once('/').map_or(("", Some(to)), |(d, n)| (d, Some(n))),
    };
    let from_dir: Vec<&str> =
        from.split('/').collect::<Vec<_>>().split_last().map_or(Vec::new(), |(_, d)| d.to_vec());
    let dirs: Vec<&str> = to_dir.split('/').collect();
    let common = from_dir.iter().zip(&dirs).take_while(|(a, b)| a == b).count();
    let ups = from_dir.len() - common;
    let rest: Vec<&str> = dirs[common..].iter().copied().chain(name).collect();
    let rest = rest.join("/");
    match (ups, rest.is_empty()) {
        (0, true) => ".".to_string(),
        (0, false) => format!("./{rest}"),
        (_, true) => "../".repeat(ups).trim_end_matches('/').to_string(),
        (_, false) => format!("{}{rest}", "../".repeat(ups)),
    }
}

/// How the file imports unit `p`: by path within its package (relative, or
/// through the `@/` alias), by package name across packages.
fn ts_spec(f: &File, p: Pick, r: &mut Rng) -> String {
    let (c, unit) = f.unit_of(p);
    match p {
        Pick::Own(_) if f.c.alias && !unit.name.is_empty() && r.chance(0.45) => format!("@/{}", unit.name),
        Pick::Own(_) => relative_spec(f.path, &unit.path),
        _ if unit.name.is_empty() => c.ns.clone(),
        _ => format!("{}/{}", c.ns, unit.name),
    }
}

pub(super) fn ts_source(f: &File, r: &mut Rng, o: &mut String) {
    let ext = f.path.rsplit('.').next().unwrap_or("ts");
    let script = matches!(ext, "js" | "cjs");
    if f.own().is_some_and(|u| u.barrel && u.path == f.path) {
        return ts_barrel_source(f, r, o);
    }
    if r.chance(0.25) {
        o.push_str("/**\n * Copyright (c) Acme Corp.\n *\n * This source code is licensed under the MIT license found in the\n * LICENSE file in the root directory of this source tree.\n */\n\n");
    }
    if r.chance(0.2) {
        // A usage example in a doc comment: import-like, not an import.
        let name = f.own().and_then(|u| u.items.first()).cloned().unwrap_or_else(|| pascal(r));
        w!(o, "/**\n * {}\n *\n * @example\n * import {{ {name} }} from '{}';\n *\n * const value = {name}(input);\n */\n", sentence(r), f.c.ns);
    }
    if ext == "tsx" && r.chance(0.15) {
        o.push_str("'use client';\n\n");
    }
    let chosen = picks(f, import_count(r, f.test), TS_EXT.len(), r);
    let used = ts_imports(f, &chosen, script, r, o);
    if f.test {
        o.push_str("import { describe, expect, it, vi } from 'vitest';\n");
        if ext == "tsx" {
            o.push_str("import { render, screen } from '@testing-library/react';\n");
        }
    }
    o.push('\n');
    let own: Vec<String> = f.own().filter(|_| !f.test).map(|u| u.items.clone()).unwrap_or_default();
    for item in &own {
        ts_definition(item, &used, ext == "tsx", r, o);
    }
    while o.len() < f.target {
        match r.below(if f.test { 8 } else { 7 }) {
            0 => ts_interface(r, o),
            1 => ts_trap(r, o),
            7 => ts_test(&used, f, r, o),
            _ => ts_definition(&pascal(r), &used, ext == "tsx", r, o),
        }
    }
}

/// Writes the imports; returns the names they bring in.
fn ts_imports(f: &File, chosen: &[Pick], script: bool, r: &mut Rng, o: &mut String) -> Vec<String> {
    let mut used = Vec::new();
    let (ext, int): (Vec<Pick>, Vec<Pick>) = chosen.iter().partition(|p| matches!(p, Pick::Ext(_)));
    for p in ext {
        let Pick::Ext(i) = p else { continue };
        let (spec, default, named) = TS_EXT[i];
        let named: Vec<&str> = named.iter().take(r.range(1, 4)).copied().collect();
        match (default, named.is_empty(), script) {
            (Some(d), _, true) => w!(o, "const {d} = require('{spec}');\n"),
            (_, false, true) => {
                w!(o, "const {{ {} }} = require('{spec}');\n", named.join(", ").replace(" as ", ": "))
            }
            (Some(d), true, false) => w!(o, "import {d} from '{spec}';\n"),
            (Some(d), false, false) => w!(o, "import {d}, {{ {} }} from '{spec}';\n", named.join(", ")),
            (None, _, false) => w!(o, "import {{ {} }} from '{spec}';\n", named.join(", ")),
            _ => {}
        }
        used.extend(named.iter().map(|n| n.rsplit(' ').next().unwrap_or(n).to_string()));
    }
    if !int.is_empty() {
        o.push('\n');
    }
    for p in int {
        let spec = ts_spec(f, p, r);
        let items = some_of(&f.unit_of(p).1.items, r.range(1, 4), r);
        if items.is_empty() {
            w!(o, "import '{spec}';\n");
            continue;
        }
        used.extend(items.iter().map(|s| s.to_string()));
        let list = items.join(", ");
        match (script, r.below(100)) {
            (true, _) => w!(o, "const {{ {list} }} = require('{spec}');\n"),
            (false, 0..62) => w!(o, "import {{ {list} }} from '{spec}';\n"),
            (false, 62..72) => w!(o, "import type {{ {list} }} from '{spec}';\n"),
            (false, 72..78) => w!(o, "import * as {}Module from '{spec}';\n", camel(r)),
            (false, 78..84) => w!(o, "export {{ {list} }} from '{spec}';\n"),
            (false, _) => w!(o, "import {{\n  {},\n}} from '{spec}';\n", items.join(",\n  ")),
        }
    }
    if let Some(css) = f.own().and_then(|u| u.companion.as_ref()).filter(|_| !f.test) {
        w!(o, "import styles from '{css}';\n");
    }
    used
}

/// An `index.ts` that re-exports its directory's modules.
fn ts_barrel_source(f: &File, r: &mut Rng, o: &mut String) {
    let unit = f.own().expect("a barrel is a unit");
    for &k in &unit.children {
        let child = &f.c.units[k];
        let spec = relative_spec(f.path, &child.path);
        match r.below(10) {
            0..6 => w!(o, "export * from '{spec}';\n"),
            6..8 => w!(o, "export {{ {} }} from '{spec}';\n", child.items.join(", ")),
            _ => {
                let types: Vec<&String> = child.items.iter().filter(|i| i.ends_with("Props")).collect();
                w!(o, "export * from '{spec}';\n");
                if !types.is_empty() {
                    w!(
                        o,
                        "export type {{ {} }} from '{spec}';\n",
                        types.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    );
                }
            }
        }
    }
}

fn ts_interface(r: &mut Rng, o: &mut String) {
    let n = pascal(r);
    w!(o, "/** {} */\nexport interface {n} {{\n  id: string;\n", sentence(r));
    for _ in 0..r.range(2, 8) {
        let ty = *r.pick(&["string", "number", "boolean", "Date", "string[]", "Record<string, unknown>"]);
        w!(o, "  {}{}: {ty};\n", camel(r), if r.chance(0.3) { "?" } else { "" });
    }
    w!(o, "}}\n\nexport type {n}Status = '{}' | '{}' | '{}';\n\n", noun(r), verb(r), noun(r));
}

/// Strings, templates, regular expressions and comments that hold import
/// syntax without importing.
fn ts_trap(r: &mut Rng, o: &mut String) {
    match r.below(4) {
        0 => w!(o, "const codegenHeader = `import {{ ${{name}} }} from '${{modulePath}}';\\nexport default ${{name}};`;\n\n"),
        1 => o.push_str("const IMPORT_RE = /^import\\s+(?:type\\s+)?\\{([^}]+)\\}\\s+from\\s+['\"]([^'\"]+)['\"]/m;\n\n"),
        2 => w!(o, "// import {{ legacy{} }} from '../legacy/{}';\n/* require('./{}') is resolved at runtime. */\n\n", pascal(r), noun(r), noun(r)),
        _ => w!(o, "const message = \"import {{ {} }} from './{}'\";\nconsole.debug(message);\n\n", pascal(r), noun(r)),
    }
}

/// A function, a React component or an arrow constant named `name`.
fn ts_definition(name: &str, used: &[String], jsx: bool, r: &mut Rng, o: &mut String) {
    let arg = camel(r);
    if name.ends_with("Props") {
        w!(o, "export interface {name} {{\n  {arg}: string;\n  onChange?: (value: string) => void;\n}}\n\n");
        return;
    }
    let component = jsx && name.starts_with(|c: char| c.is_ascii_uppercase());
    if component {
        w!(o, "export function {name}({{ {arg}, onChange }}: {name}Props) {{\n");
        w!(o, "  const [state, setState] = useState<string | null>(null);\n");
    } else {
        w!(o, "/**\n * {}\n *\n * @param {arg} - {}\n */\nexport {}function {name}({arg}: string, options: Options = {{}}) {{\n", sentence(r), sentence(r), if r.chance(0.3) { "async " } else { "" });
    }
    for _ in 0..r.range(2, 8) {
        ts_statement(used, &arg, r, o);
    }
    if component {
        w!(
            o,
            "  return (\n    <div className={{styles.{}}}>\n      <h2>{{t('{}.{}')}}</h2>\n",
            camel(r),
            noun(r),
            noun(r)
        );
        w!(o, "      {{items.map((item) => (\n        <Row key={{item.id}} {{...item}} onSelect={{() => onChange?.(item.id)}} />\n      ))}}\n    </div>\n  );\n}}\n\n");
    } else {
        w!(o, "  return {arg};\n}}\n\n");
    }
}

fn ts_statement(used: &[String], arg: &str, r: &mut Rng, o: &mut String) {
    match r.below(6) {
        0 if !used.is_empty() => w!(o, "  const {} = {}({arg});\n", camel(r), r.pick(used)),
        1 => w!(o, "  if (!{arg}) {{\n    throw new Error(`{} ${{{arg}}} not found`);\n  }}\n", noun(r)),
        2 => w!(
            o,
            "  const items = {arg}.split(',').map((item) => ({{ id: item, {}: item.length > {} }}));\n",
            camel(r),
            r.below(20)
        ),
        3 => w!(o, "  // {}\n", sentence(r)),
        4 => w!(
            o,
            "  const url = `/api/v1/{}s/${{encodeURIComponent({arg})}}?include={}`;\n",
            noun(r),
            noun(r)
        ),
        _ => w!(o, "  logger.debug('{} {}', {{ {arg}, attempt: {} }});\n", verb(r), noun(r), r.below(5)),
    }
}

fn ts_test(used: &[String], f: &File, r: &mut Rng, o: &mut String) {
    let subject = f.own().and_then(|u| u.items.first()).cloned().unwrap_or_else(|| pascal(r));
    w!(o, "describe('{subject}', () => {{\n");
    if r.chance(0.3) && !used.is_empty() {
        w!(o, "  vi.mock('./{}', () => ({{ {}: vi.fn() }}));\n\n", noun(r), r.pick(used));
    }
    for _ in 0..r.range(1, 5) {
        w!(
            o,
            "  it('{} {} when {}', () => {{\n",
            verb(r),
            noun(r),
            sentence(r).to_lowercase().trim_end_matches('.')
        );
        w!(o, "    const result = {subject}('{}');\n    expect(result).toEqual(expect.objectContaining({{ id: '{}' }}));\n  }});\n\n", noun(r), noun(r));
    }
    o.push_str("});\n\n");
}
