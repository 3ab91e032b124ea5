//! Go source files: goimports-style import blocks, structs, constants,
//! interfaces, functions and table tests.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::synth::Rng;

use super::content::{picks, File, Pick};
use super::words::{camel, cap, import_count, noun, pascal, sentence, snake, verb};

/// Standard library packages and a name each exports.
const GO_STD: &[(&str, &str)] = &[
    ("context", "Background"),
    ("errors", "New"),
    ("fmt", "Errorf"),
    ("io", "ReadAll"),
    ("net/http", "NewRequest"),
    ("encoding/json", "Marshal"),
    ("strings", "TrimSpace"),
    ("strconv", "Itoa"),
    ("sync", "OnceFunc"),
    ("time", "Now"),
    ("sort", "Slice"),
    ("os", "Getenv"),
    ("bytes", "NewBuffer"),
    ("log/slog", "Info"),
    ("database/sql", "Open"),
    ("crypto/sha256", "Sum256"),
    ("path/filepath", "Join"),
    ("math", "Max"),
    ("regexp", "MustCompile"),
    ("net/url", "Parse"),
    ("unicode/utf8", "RuneCountInString"),
];

/// Vendor modules: path, package name, a name it exports.
const GO_EXT: &[(&str, &str, &str)] = &[
    ("github.com/google/uuid", "uuid", "NewString"),
    ("go.uber.org/zap", "zap", "String"),
    ("google.golang.org/grpc", "grpc", "NewServer"),
    ("google.golang.org/grpc/codes", "codes", "NotFound"),
    ("google.golang.org/grpc/status", "status", "Errorf"),
    ("google.golang.org/protobuf/proto", "proto", "Marshal"),
    ("github.com/jackc/pgx/v5/pgxpool", "pgxpool", "New"),
    ("github.com/prometheus/client_golang/prometheus", "prometheus", "NewCounter"),
    ("golang.org/x/sync/errgroup", "errgroup", "WithContext"),
    ("github.com/go-chi/chi/v5", "chi", "NewRouter"),
    ("github.com/redis/go-redis/v9", "redis", "NewClient"),
    ("go.opentelemetry.io/otel", "otel", "Tracer"),
];

/// The package name of the directory `dir` (`billingv1` for `.../billing/v1`).
pub(super) fn go_package_name(dir: &str) -> String {
    let mut segs = dir.rsplit('/');
    let last = segs.next().unwrap_or("main");
    let versioned = last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit());
    match (versioned, segs.next()) {
        (true, Some(prev)) => format!("{prev}{last}"),
        _ => last.to_string(),
    }
}

pub(super) fn go_source(f: &File, r: &mut Rng, o: &mut String) {
    if f.unit.is_none() && f.path.ends_with("/main.go") {
        return go_main(f, r, o);
    }
    let pkg = f.own().map_or_else(|| "main".to_string(), |u| go_package_name(&u.path));
    if r.chance(0.6) {
        o.push_str("// Copyright 2024 Acme Corp. All rights reserved.\n");
        o.push_str("// Use of this source code is governed by the license in the LICENSE file.\n\n");
    }
    if r.chance(0.2) {
        w!(o, "// Package {pkg} handles {}s.\n//\n// {}\n", noun(r), sentence(r));
    }
    let external_test = f.test && r.chance(0.3);
    w!(o, "package {pkg}{}\n\n", if external_test { "_test" } else { "" });
    let mut chosen = picks(f, import_count(r, f.test), GO_STD.len() + GO_EXT.len(), r);
    if let (true, Some(u)) = (external_test, f.unit) {
        chosen.insert(0, Pick::Own(u));
    }
    let names = go_imports(f, &chosen, r, o);
    while o.len() < f.target {
        match r.below(if f.test { 7 } else { 6 }) {
            0 => go_struct(r, o),
            1 => go_consts(r, o),
            2 => go_interface(r, o),
            6 => go_test(&names, r, o),
            _ => go_func(&names, r, o),
        }
    }
}

fn go_main(f: &File, r: &mut Rng, o: &mut String) {
    o.push_str("// Command ");
    w!(o, "{} serves the {} API.\npackage main\n\n", f.c.name, f.c.name);
    let chosen = picks(f, import_count(r, false), GO_STD.len() + GO_EXT.len(), r);
    let names = go_imports(f, &chosen, r, o);
    o.push_str("func main() {\n\tctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)\n\tdefer cancel()\n");
    for (local, item) in &names {
        w!(o, "\tif err := {local}.{item}(ctx); err != nil {{\n\t\tlog.Fatalf(\"{local}: %v\", err)\n\t}}\n");
    }
    o.push_str("}\n");
}

/// Writes the import declaration goimports-style (standard library,
/// vendors, the monorepo) and returns `(package name, exported name)` of
/// each import for the code to call.
fn go_imports(f: &File, chosen: &[Pick], r: &mut Rng, o: &mut String) -> Vec<(String, String)> {
    let mut groups: [Vec<String>; 3] = Default::default();
    let mut names = Vec::new();
    let mut locals = HashSet::new();
    if f.test {
        groups[0].push("\"testing\"".into());
        locals.insert("testing".to_string());
    }
    for &p in chosen {
        let (group, spec, local, item) = match p {
            Pick::Ext(i) if i < GO_STD.len() => {
                let (path, item) = GO_STD[i];
                (
                    0,
                    format!("\"{path}\""),
                    path.rsplit('/').next().unwrap_or(path).to_string(),
                    item.to_string(),
                )
            }
            Pick::Ext(i) => {
                let (path, local, item) = GO_EXT[i - GO_STD.len()];
                (1, format!("\"{path}\""), local.to_string(), item.to_string())
            }
            _ => {
                let (_, unit) = f.unit_of(p);
                let mut local = go_package_name(&unit.path);
                let mut spec = format!("\"{}\"", unit.name);
                if locals.contains(&local) || local.ends_with(|c: char| c.is_ascii_digit()) {
                    let parent = unit.path.rsplit('/').nth(1).unwrap_or("x").replace('-', "");
                    local = format!("{parent}{local}");
                    spec = format!("{local} {spec}");
                }
                (2, spec, local, r.pick(&unit.items).clone())
            }
        };
        if locals.insert(local.clone()) {
            groups[group].push(spec);
            names.push((local, item));
        }
    }
    if !f.test && locals.insert("context".to_string()) {
        groups[0].push("\"context\"".into());
    }
    if r.chance(0.05) {
        groups[0].push("_ \"embed\"".into());
    }
    for g in &mut groups {
        g.sort_by(|a, b| {
            a.trim_start_matches(|c: char| c != '"').cmp(b.trim_start_matches(|c: char| c != '"'))
        });
    }
    if r.chance(0.08) {
        // A commented-out import, as refactorings leave them.
        groups[2].push(format!("// \"{}/internal/legacy/{}\" is gone since the v2 API.", f.c.ns, noun(r)));
    }
    let specs: Vec<&Vec<String>> = groups.iter().filter(|g| !g.is_empty()).collect();
    if specs.len() == 1 && specs[0].len() == 1 && !specs[0][0].starts_with("//") {
        w!(o, "import {}\n\n", specs[0][0]);
        return names;
    }
    o.push_str("import (\n");
    for (k, group) in specs.iter().enumerate() {
        if k > 0 {
            o.push('\n');
        }
        for spec in group.iter() {
            w!(o, "\t{spec}\n");
        }
    }
    o.push_str(")\n\n");
    names
}

fn go_struct(r: &mut Rng, o: &mut String) {
    let name = pascal(r);
    w!(
        o,
        "// {name} {}\ntype {name} struct {{\n\tID        string    `json:\"id\" db:\"id\"`\n",
        sentence(r).to_lowercase()
    );
    for _ in 0..r.range(2, 9) {
        let field = snake(r);
        let ty =
            *r.pick(&["string", "int64", "bool", "time.Time", "[]string", "*Money", "map[string]string"]);
        w!(o, "\t{} {ty} `json:\"{field},omitempty\" db:\"{field}\"`\n", to_pascal(&field));
    }
    o.push_str("\tCreatedAt time.Time `json:\"created_at\" db:\"created_at\"`\n}\n\n");
}

pub(super) fn to_pascal(snake: &str) -> String {
    snake.split('_').map(cap).collect()
}

fn go_consts(r: &mut Rng, o: &mut String) {
    let n = pascal(r);
    let table = snake(r);
    w!(o, "const (\n\tdefault{n}Limit = {}\n\t{}Table = \"{table}s\"\n)\n\n", r.range(10, 500), camel(r));
    w!(
        o,
        "// query{n} {}\nconst query{n} = `\nSELECT id, {table}_id, status, created_at\n",
        sentence(r).to_lowercase()
    );
    w!(o, "FROM {table}s\nWHERE tenant_id = $1 AND status = 'active'\n-- {}\nORDER BY created_at DESC\nLIMIT $2`\n\n", sentence(r));
    if r.chance(0.15) {
        // Text that looks like an import to a naive reader.
        w!(o, "const stubTemplate = `package {{{{.Package}}}}\n\nimport (\n\t\"context\"\n\t\"github.com/acme/mono/services/{}/pkg/{}\"\n)\n`\n\n", noun(r), noun(r));
    }
}

fn go_interface(r: &mut Rng, o: &mut String) {
    let n = pascal(r);
    w!(o, "// {n}Store {}\ntype {n}Store interface {{\n", sentence(r).to_lowercase());
    for _ in 0..r.range(2, 6) {
        w!(o, "\t{}{}(ctx context.Context, id string) (*{n}, error)\n", cap(verb(r)), pascal(r));
    }
    o.push_str("}\n\n");
}

fn go_func(names: &[(String, String)], r: &mut Rng, o: &mut String) {
    let (v, n) = (cap(verb(r)), pascal(r));
    let recv = pascal(r);
    let arg = camel(r);
    w!(o, "// {v}{n} {}\n// {}\n", sentence(r).to_lowercase(), sentence(r));
    w!(o, "func (s *{recv}) {v}{n}(ctx context.Context, {arg} *{n}) (*{n}, error) {{\n");
    w!(o, "\tif {arg} == nil {{\n\t\treturn nil, errors.New(\"{}: nil {arg}\")\n\t}}\n", n.to_lowercase());
    for _ in 0..r.range(2, 9) {
        go_statement(names, &arg, r, o);
    }
    w!(o, "\treturn {arg}, nil\n}}\n\n");
}

fn go_statement(names: &[(String, String)], arg: &str, r: &mut Rng, o: &mut String) {
    match r.below(6) {
        0 | 1 if !names.is_empty() => {
            let (local, item) = r.pick(names);
            let v = camel(r);
            w!(o, "\t{v}, err := {local}.{item}(ctx, {arg}.ID)\n\tif err != nil {{\n");
            w!(o, "\t\treturn nil, fmt.Errorf(\"{} {}: %w\", err)\n\t}}\n\t_ = {v}\n", verb(r), noun(r));
        }
        2 => {
            let field = to_pascal(&snake(r));
            w!(o, "\tfor i, item := range {arg}.Items {{\n\t\tif item.{field} == \"\" {{\n\t\t\tcontinue\n\t\t}}\n");
            w!(o, "\t\t{arg}.Total += int64(i) * item.Quantity\n\t}}\n");
        }
        3 => w!(o, "\t// {}\n", sentence(r)),
        4 => w!(
            o,
            "\ts.logger.Info(\"{} {}\", \"{}\", {arg}.ID, \"attempt\", {})\n",
            verb(r),
            noun(r),
            noun(r),
            r.below(5)
        ),
        _ => {
            let state = pascal(r);
            w!(o, "\tswitch {arg}.Status {{\n\tcase Status{state}:\n\t\t{arg}.UpdatedAt = time.Now()\n");
            w!(o, "\tcase StatusPending, StatusFailed:\n\t\treturn nil, ErrNot{state}\n\tdefault:\n\t\ts.metrics.Inc(\"{}\")\n\t}}\n", noun(r));
        }
    }
}

fn go_test(names: &[(String, String)], r: &mut Rng, o: &mut String) {
    let (v, n) = (cap(verb(r)), pascal(r));
    w!(o, "func Test{v}{n}(t *testing.T) {{\n\ttests := []struct {{\n\t\tname string\n\t\tin   string\n\t\twant int\n\t}}{{\n");
    for _ in 0..r.range(2, 7) {
        w!(o, "\t\t{{name: \"{} {}\", in: \"{}\", want: {}}},\n", noun(r), verb(r), noun(r), r.below(1000));
    }
    let call = match names.is_empty() {
        true => format!("{v}{n}"),
        false => {
            let (local, item) = r.pick(names);
            format!("{local}.{item}")
        }
    };
    w!(o, "\t}}\n\tfor _, tt := range tests {{\n\t\tt.Run(tt.name, func(t *testing.T) {{\n\t\t\tgot := {call}(tt.in)\n");
    o.push_str("\t\t\tif got != tt.want {\n\t\t\t\tt.Errorf(\"got %v, want %v\", got, tt.want)\n\t\t\t}\n\t\t})\n\t}\n}\n\n");
}
