// Oracle for the JS/TS reader of `git-split deps`: prints the references of a
// checkout that lead to files of the checkout, one JSON object per line,
// sorted by (from, line, to):
//   {"from":"packages/a/x.ts","line":3,"to":"packages/b/y.ts"}
//
//   npm ci --prefix tests/oracles/js      # once; needs the npm registry
//   node tests/oracles/js/imports.mjs <checkout-dir>
//
// Two tools, each doing what it is the reference for:
// - TypeScript's parser finds the references and their lines: the module
//   references the compiler itself collects for a file (import/export
//   declarations, `import x = require()`, `import()` calls and types, and in
//   JavaScript files `require()` calls), type-only ones included. esbuild
//   would drop `import type` lines before resolving them.
// - esbuild's resolver (`build.resolve`) resolves each one as a bundle
//   would: tsconfig.json `paths`/`baseUrl` with `extends`, exact file first,
//   then extensions, the `.js` -> `.ts` rewrite, a directory's package.json
//   `main`, `index` files; package names through the checkout's
//   `node_modules` (installed, or linked by link_workspaces.mjs, before this
//   runs), a package's `exports` under the conditions `types`, `node`,
//   `import` or `require` (by the reference's kind) and `default`. A
//   `require()` call and TypeScript's `import x = require()` resolve as
//   require calls.
//
// One documented exclusion: TypeScript also collects `import("x")` types and
// `@import` tags written inside JSDoc comments of JavaScript files; comments
// are not references for `deps`, so those are left out.
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import * as esbuild from "esbuild";

const EXTENSIONS = [".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts"];
// The probing order of the reader (README): TypeScript's, then the other
// JavaScript flavours, then JSON.
const RESOLVE_EXTENSIONS = [".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".json"];

function sourceFiles(root) {
  const out = [];
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop();
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== ".git" && entry.name !== "node_modules") stack.push(full);
      } else if (entry.isFile() && EXTENSIONS.includes(path.extname(entry.name))) {
        out.push(full);
      }
    }
  }
  return out.sort();
}

function inJsDoc(node) {
  for (let n = node; n; n = n.parent) {
    if (n.flags & ts.NodeFlags.JSDoc) return true;
  }
  return false;
}

// The references TypeScript collects while building a program (`imports`
// of each source file), without resolving or type checking anything.
function references(files) {
  const program = ts.createProgram(files, {
    allowJs: true,
    noResolve: true,
    noLib: true,
    types: [],
    jsx: ts.JsxEmit.Preserve,
  });
  const out = [];
  for (const file of files) {
    const sf = program.getSourceFile(file);
    for (const lit of sf.imports) {
      if (inJsDoc(lit)) continue;
      const line = sf.getLineAndCharacterOfPosition(lit.getStart(sf)).line + 1;
      const call = lit.parent;
      const isRequire =
        ts.isExternalModuleReference(call) ||
        (ts.isCallExpression(call) && ts.isIdentifier(call.expression) && call.expression.text === "require");
      out.push({ file, spec: lit.text, line, kind: isRequire ? "require-call" : "import-statement" });
    }
  }
  return out;
}

async function resolveAll(root, refs) {
  const results = [];
  const resolver = {
    name: "resolve-references",
    setup(build) {
      build.onResolve({ filter: /^oracle:entry$/ }, () => ({ path: "entry", namespace: "oracle" }));
      build.onLoad({ filter: /.*/, namespace: "oracle" }, async () => {
        for (const ref of refs) {
          const r = await build.resolve(ref.spec, {
            kind: ref.kind,
            importer: ref.file,
            resolveDir: path.dirname(ref.file),
          });
          results.push({ ref, r });
        }
        return { contents: "", loader: "js" };
      });
    },
  };
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ["oracle:entry"],
    bundle: true,
    write: false,
    platform: "node",
    format: "esm",
    conditions: ["types"],
    resolveExtensions: RESOLVE_EXTENSIONS,
    mainFields: ["main", "types"],
    logLevel: "silent",
    plugins: [resolver],
  });
  return results;
}

const root = fs.realpathSync(process.argv[2] ?? ".");
const refs = references(sourceFiles(root));
const lines = [];
for (const { ref, r } of await resolveAll(root, refs)) {
  if (r.errors.length || r.external || r.namespace !== "file") continue;
  const to = path.relative(root, r.path);
  if (to.startsWith("..") || path.isAbsolute(to)) continue;
  lines.push({ from: path.relative(root, ref.file), line: ref.line, to });
}
const key = (l) => [l.from, String(l.line).padStart(10, "0"), l.to];
lines.sort((a, b) => {
  const [x, y] = [key(a), key(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
});
for (const l of lines) process.stdout.write(JSON.stringify(l) + "\n");
