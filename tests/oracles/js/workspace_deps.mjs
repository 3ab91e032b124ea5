// Oracle for the package.json dependencies `git-split deps` reads: after
// the package manager has installed the checkout (offline), prints the
// dependencies it linked from one package of the checkout to another, one
// JSON object per line, sorted:
//   {"from":"packages/a/package.json","line":null,"to":"packages/b/"}
//
//   node tests/oracles/js/workspace_deps.mjs <checkout-dir>
//
// A checkout with a pnpm-workspace.yaml is pnpm's: `pnpm ls -r --json
// --depth 0` gives each project's dependencies with the directory each
// resolved to (peer dependencies among `dependencies`, as pnpm installs
// them). Otherwise it is npm's: `npm query .workspace` gives every
// workspace member's resolved edges (`to`), each the location of the link
// npm made in node_modules. npm's root node links every member as a
// workspace edge, which no dependency declares: the root is left out.
// Neither tool gives lines.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = fs.realpathSync(process.argv[2] ?? ".");
const pnpm = path.join(import.meta.dirname, "../workspaces/node_modules/.bin/pnpm");

function run(program, args) {
  return JSON.parse(execFileSync(program, args, { cwd: root, encoding: "utf8" }));
}

// A directory of the checkout, as `deps` names a package: relative, with a
// trailing `/` (`./` for the root); null outside the checkout or when it
// is not a package directory.
function packageDir(dir) {
  const rel = path.relative(root, fs.realpathSync(dir));
  if (rel.startsWith("..") || path.isAbsolute(rel) || rel.split(path.sep).includes("node_modules")) return null;
  return rel === "" ? "./" : rel + "/";
}

const edges = [];
function edge(fromDir, toDir) {
  const from = packageDir(fromDir);
  const to = packageDir(toDir);
  if (from === null || to === null || from === to) return;
  edges.push({ from: (from === "./" ? "" : from) + "package.json", line: null, to });
}

if (fs.existsSync(path.join(root, "pnpm-workspace.yaml"))) {
  for (const project of run(pnpm, ["ls", "-r", "--json", "--depth", "0"])) {
    for (const section of ["dependencies", "devDependencies", "optionalDependencies"]) {
      for (const dep of Object.values(project[section] ?? {})) {
        if (dep.path && fs.existsSync(dep.path)) edge(project.path, dep.path);
      }
    }
  }
} else {
  for (const member of run("npm", ["query", ".workspace"])) {
    for (const location of member.to ?? []) {
      const link = path.join(root, location);
      if (fs.existsSync(link)) edge(member.realpath, link);
    }
  }
}
const key = (e) => `${e.from}\u0000${e.to}`;
const seen = new Set();
for (const e of edges.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))) {
  if (seen.has(key(e))) continue;
  seen.add(key(e));
  process.stdout.write(JSON.stringify(e) + "\n");
}
