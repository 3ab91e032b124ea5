//! Python source files: isort-style imports, relative and absolute,
//! functions, classes, dataclasses and tests.

use std::fmt::Write as _;

use crate::synth::Rng;

use super::content::{picks, some_of, File, Pick};
use super::words::{hex, import_count, noun, pascal, sentence, snake, verb};

/// Modules from outside the tree: module, names imported from it (none:
/// `import module`), alias, and whether it is the standard library.
const PY_EXT: &[(&str, &[&str], Option<&str>, bool)] = &[
    ("os", &[], None, true),
    ("sys", &[], None, true),
    ("json", &[], None, true),
    ("logging", &[], None, true),
    ("re", &[], None, true),
    ("typing", &["Any", "Optional", "Iterable", "Mapping"], None, true),
    ("dataclasses", &["dataclass", "field"], None, true),
    ("datetime", &["datetime", "timedelta", "timezone"], None, true),
    ("collections", &["defaultdict", "Counter"], None, true),
    ("functools", &["lru_cache", "partial"], None, true),
    ("pathlib", &["Path"], None, true),
    ("enum", &["Enum", "auto"], None, true),
    ("uuid", &[], None, true),
    ("asyncio", &[], None, true),
    ("contextlib", &["contextmanager", "suppress"], None, true),
    ("abc", &["ABC", "abstractmethod"], None, true),
    ("decimal", &["Decimal"], None, true),
    ("requests", &[], None, false),
    ("httpx", &[], None, false),
    ("pydantic", &["BaseModel", "Field", "field_validator"], None, false),
    ("sqlalchemy", &["select", "func"], None, false),
    ("sqlalchemy.orm", &["Session", "Mapped", "mapped_column"], None, false),
    ("fastapi", &["APIRouter", "Depends", "HTTPException"], None, false),
    ("celery", &["shared_task"], None, false),
    ("structlog", &[], None, false),
    ("boto3", &[], None, false),
    ("numpy", &[], Some("np"), false),
    ("pandas", &[], Some("pd"), false),
    ("attrs", &["define", "frozen"], None, false),
    ("click", &[], None, false),
];

/// `from <this> import ...` leading from package `from_pkg` to module
/// `target` by a relative import (`..models.invoice`); `None` when they
/// share no top-level package.
fn py_relative(from_pkg: &str, target: &str) -> Option<String> {
    let a: Vec<&str> = from_pkg.split('.').collect();
    let b: Vec<&str> = target.split('.').collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    (common > 0).then(|| format!("{}{}", ".".repeat(a.len() - common + 1), b[common..].join(".")))
}

pub(super) fn py_source(f: &File, r: &mut Rng, o: &mut String) {
    let init = f.path.ends_with("__init__.py");
    if f.unit.is_none() && !f.test && r.chance(0.6) {
        o.push_str("#!/usr/bin/env python3\n");
    }
    if r.chance(0.7) {
        w!(o, "\"\"\"{}\n\n{}\n", sentence(r), sentence(r));
        if r.chance(0.2) {
            // A doctest: an import inside a docstring.
            let (ns, item) = (&f.c.ns, pascal(r));
            w!(o, "\nExample:\n    >>> from {ns}.{} import {item}\n    >>> {item}().run()\n", noun(r));
        }
        o.push_str("\"\"\"\n\n");
    }
    if r.chance(0.4) {
        o.push_str("from __future__ import annotations\n\n");
    }
    let mut chosen = picks(f, import_count(r, f.test), PY_EXT.len(), r);
    if let (true, Some(u)) = (f.test, f.unit) {
        chosen.insert(0, Pick::Own(u));
    }
    let used = py_imports(f, &chosen, r, o);
    o.push_str("\n\n");
    if used.iter().any(|u| u == "logging") {
        o.push_str("logger = logging.getLogger(__name__)\n\n");
    }
    if let Some(u) = f.own().filter(|_| init) {
        w!(
            o,
            "__all__ = [{}]\n\n",
            u.items.iter().map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(", ")
        );
    }
    let own: Vec<String> = f.own().filter(|_| !f.test && !init).map(|u| u.items.clone()).unwrap_or_default();
    for item in &own {
        py_definition(item, &used, r, o);
    }
    while o.len() < f.target {
        match r.below(if f.test { 6 } else { 5 }) {
            0 => py_dataclass(&pascal(r), r, o),
            1 => py_constants(r, o),
            5 => py_test(&used, r, o),
            _ => py_definition(&format!("{}_{}", verb(r), snake(r)), &used, r, o),
        }
    }
}

/// Writes the imports isort-style (standard library, vendors, first party;
/// now and then a `TYPE_CHECKING` block or an optional dependency) and
/// returns the names they bind.
fn py_imports(f: &File, chosen: &[Pick], r: &mut Rng, o: &mut String) -> Vec<String> {
    let mut groups: [Vec<String>; 3] = Default::default();
    let mut used = Vec::new();
    if f.test {
        groups[1].push("import pytest".into());
    }
    for &p in chosen {
        match p {
            Pick::Ext(i) => {
                let (module, names, alias, std) = PY_EXT[i];
                let group = if std { 0 } else { 1 };
                let line = match (names.is_empty(), alias) {
                    (true, Some(a)) => format!("import {module} as {a}"),
                    (true, None) => format!("import {module}"),
                    (false, _) => {
                        format!("from {module} import {}", names[..r.range(1, names.len() + 1)].join(", "))
                    }
                };
                used.push(alias.map_or(module, |a| a).to_string());
                groups[group].push(line);
            }
            _ => {
                let (line, names) = py_internal(f, p, r);
                used.extend(names);
                groups[2].push(line);
            }
        }
    }
    let mut typing_only = Vec::new();
    if groups[2].len() > 2 && r.chance(0.12) {
        typing_only.push(groups[2].pop().unwrap_or_default());
    }
    for group in groups.iter_mut().filter(|g| !g.is_empty()) {
        group.sort();
        for line in group.iter() {
            w!(o, "{line}\n");
        }
        o.push('\n');
    }
    if r.chance(0.05) {
        o.push_str(
            "try:\n    import ujson as json\nexcept ImportError:  # pragma: no cover\n    import json\n\n",
        );
    }
    if !typing_only.is_empty() {
        w!(o, "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    {}\n", typing_only[0]);
    }
    used
}

/// The import of a unit of the tree: relative within the file's own
/// package now and then, absolute otherwise (a name, a submodule, an alias).
fn py_internal(f: &File, p: Pick, r: &mut Rng) -> (String, Vec<String>) {
    let (_, unit) = f.unit_of(p);
    let names = some_of(&unit.items, r.range(1, 4), r);
    let list = match names.len() > 2 && r.chance(0.5) {
        true => format!("(\n    {},\n)", names.join(",\n    ")),
        false => names.join(", "),
    };
    let own_pkg = f.own().filter(|_| !f.test).map(|u| match f.path.ends_with("__init__.py") {
        true => u.name.as_str(),
        false => u.name.rsplit_once('.').map_or(u.name.as_str(), |(pkg, _)| pkg),
    });
    if let (Pick::Own(_), Some(pkg)) = (p, own_pkg) {
        if r.chance(0.35) {
            // Relative imports climb a level or two, no more, in practice.
            if let Some(rel) = py_relative(pkg, &unit.name).filter(|rel| !rel.starts_with("...")) {
                return (format!("from {rel} import {list}"), names.iter().map(|s| s.to_string()).collect());
            }
        }
    }
    match (r.below(10), unit.name.rsplit_once('.')) {
        (0, Some((parent, last))) => (format!("from {parent} import {last}"), vec![last.to_string()]),
        (1, Some((_, last))) => (format!("import {} as {last}_mod", unit.name), vec![format!("{last}_mod")]),
        _ => (format!("from {} import {list}", unit.name), names.iter().map(|s| s.to_string()).collect()),
    }
}

fn py_definition(name: &str, used: &[String], r: &mut Rng, o: &mut String) {
    if name.starts_with(|c: char| c.is_ascii_uppercase()) {
        return py_class(name, used, r, o);
    }
    let arg = snake(r);
    w!(o, "def {name}({arg}: str, *, limit: int = {}) -> list[dict[str, Any]]:\n", r.range(10, 500));
    w!(o, "    \"\"\"{}\n\n    Args:\n        {arg}: {}\n        limit: {}\n\n    Returns:\n        {}\n    \"\"\"\n", sentence(r), sentence(r), sentence(r), sentence(r));
    o.push_str("    result: list[dict[str, Any]] = []\n");
    for _ in 0..r.range(2, 8) {
        py_statement(used, &arg, "    ", r, o);
    }
    o.push_str("    return result\n\n\n");
}

fn py_class(name: &str, used: &[String], r: &mut Rng, o: &mut String) {
    w!(o, "class {name}:\n    \"\"\"{}\n\n    {}\n    \"\"\"\n\n", sentence(r), sentence(r));
    w!(o, "    def __init__(self, session: Session, client: httpx.Client | None = None) -> None:\n        self._session = session\n        self._client = client\n        self._{}: dict[str, int] = {{}}\n\n", snake(r));
    for _ in 0..r.range(1, 5) {
        let arg = snake(r);
        w!(
            o,
            "    def {}_{}(self, {arg}: str) -> {name} | None:\n        \"\"\"{}\"\"\"\n",
            verb(r),
            snake(r),
            sentence(r)
        );
        for _ in 0..r.range(1, 6) {
            py_statement(used, &arg, "        ", r, o);
        }
        o.push_str("        return None\n\n");
    }
    o.push('\n');
}

fn py_statement(used: &[String], arg: &str, ind: &str, r: &mut Rng, o: &mut String) {
    match r.below(7) {
        0 if !used.is_empty() => w!(o, "{ind}{} = {}.{}({arg})\n", snake(r), r.pick(used), snake(r)),
        1 => w!(
            o,
            "{ind}if {arg} is None:\n{ind}    raise ValueError(f\"{} {{{arg}!r}} is missing\")\n",
            noun(r)
        ),
        2 => w!(
            o,
            "{ind}for item in {arg}.split(\",\"):\n{ind}    self_total = len(item) * {}\n",
            r.range(2, 9)
        ),
        3 => w!(o, "{ind}# {}\n", sentence(r)),
        4 => w!(
            o,
            "{ind}query = f\"SELECT id, status FROM {}s WHERE {}_id = {{{arg}}} LIMIT {}\"\n",
            noun(r),
            noun(r),
            r.range(1, 100)
        ),
        5 => w!(o, "{ind}snippet = f\"from {{{arg}}} import {}  # generated\"\n", pascal(r)),
        _ => w!(o, "{ind}result.append({{\"{}\": {arg}, \"{}\": {}}})\n", noun(r), noun(r), r.below(100)),
    }
}

fn py_dataclass(name: &str, r: &mut Rng, o: &mut String) {
    w!(
        o,
        "@dataclass(frozen=True, slots=True)\nclass {name}:\n    \"\"\"{}\"\"\"\n\n    id: str\n",
        sentence(r)
    );
    for _ in 0..r.range(2, 8) {
        let ty = *r.pick(&[
            "int = 0",
            "str = \"\"",
            "bool = False",
            "list[str] = field(default_factory=list)",
            "datetime | None = None",
        ]);
        w!(o, "    {}: {ty}\n", snake(r));
    }
    o.push_str("\n\n");
}

/// Module constants: SQL, and import syntax in strings and comments.
fn py_constants(r: &mut Rng, o: &mut String) {
    let n = noun(r).to_uppercase();
    w!(o, "{n}_QUERY = \"\"\"\nSELECT id, status, created_at\nFROM {}s\nWHERE tenant_id = %(tenant_id)s\n  AND created_at > %(since)s\nORDER BY created_at DESC\n\"\"\"\n\n", noun(r));
    match r.below(3) {
        0 => w!(o, "# from acme_legacy.{} import {}  -- removed with the v1 API\n", noun(r), pascal(r)),
        1 => o.push_str("IMPORT_TEMPLATE = \"from {module} import {name}\\n\"\n"),
        _ => w!(o, "PLUGIN = importlib.import_module(\"acme_{}.plugins\")\n", noun(r)),
    }
    w!(o, "DEFAULT_{n}_LIMIT = {}\n\n\n", r.range(10, 1000));
}

fn py_test(used: &[String], r: &mut Rng, o: &mut String) {
    let subject = used.last().cloned().unwrap_or_else(|| pascal(r));
    let n = noun(r);
    w!(
        o,
        "@pytest.fixture\ndef {n}() -> dict[str, Any]:\n    return {{\"id\": \"{}\", \"{}\": {}}}\n\n\n",
        hex(r, 8),
        noun(r),
        r.below(100)
    );
    w!(
        o,
        "@pytest.mark.parametrize((\"value\", \"expected\"), [(\"{}\", {}), (\"{}\", {})])\n",
        noun(r),
        r.below(9),
        noun(r),
        r.below(9)
    );
    w!(o, "def test_{}_{}({n}: dict[str, Any], value: str, expected: int) -> None:\n", verb(r), snake(r));
    w!(o, "    result = {subject}({n}, value)\n    assert result == expected, \"{}\"\n\n\n", sentence(r));
}
