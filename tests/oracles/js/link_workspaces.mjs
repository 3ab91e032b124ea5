// Links the members of a checkout's pnpm workspace into the root's
// `node_modules`, as a hoisted install does (npm, Yarn, pnpm's
// `node-linker=hoisted`), for a fixture whose registry dependencies cannot
// be installed offline. The members are the projects pnpm itself lists.
//
//   node tests/oracles/js/link_workspaces.mjs <checkout-dir>
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = fs.realpathSync(process.argv[2] ?? ".");
const pnpm = path.join(import.meta.dirname, "../workspaces/node_modules/.bin/pnpm");
const listed = JSON.parse(
  execFileSync(pnpm, ["ls", "-r", "--json", "--depth", "-1"], { cwd: root, encoding: "utf8" }),
);
for (const project of listed) {
  if (!project.name || fs.realpathSync(project.path) === root) continue;
  const link = path.join(root, "node_modules", project.name);
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(path.relative(path.dirname(link), project.path), link, "dir");
}
