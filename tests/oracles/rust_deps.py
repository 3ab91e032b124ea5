#!/usr/bin/env python3
"""Crate-level dependency edges of a checkout, as Cargo and rustc see them.

    python3 tests/oracles/rust_deps.py [--manifest] CHECKOUT_DIR

Prints one JSON object per line, sorted, for every dependency of a package
of CHECKOUT_DIR on another package of it (registry and git dependencies are
not printed):

  default     {"from":"crates/a/","line":null,"to":"crates/b/"}
              the dependencies the code USES: rustc's own
              `unused_crate_dependencies` lint, run by `cargo check
              --all-targets`, tells which declared dependencies no target
              of the package uses (a dependency only named in comments or
              strings is unused); every other one is used.
  --manifest  {"from":"crates/a/Cargo.toml","line":null,"to":"crates/b/"}
              the dependencies the manifests DECLARE (`cargo metadata
              --no-deps`): every table, dev/build/target-specific included.

Cargo gives no line numbers, so `line` is null. How to compare with
`git-split deps`: map each Internal source reference to (the package
directory of its file, the package directory of its target), drop the
pairs where both are the same package, and compare the set with the
default output; compare `(manifest, target dir)` of `manifest_deps` with
the `--manifest` output.

Needs cargo and rustc (any stable since 1.77) and no network: `cargo
metadata --no-deps` reads manifests only, and the workspaces that have
in-tree path dependencies are checked offline in a temporary copy, so they
must not need registry crates.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile


def run(args, cwd=None, env=None):
    """Runs a command; exits with its stderr when it fails."""
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(f"rust_deps.py: {' '.join(args)} failed:\n{proc.stderr}")
        sys.exit(1)
    return proc.stdout


def clean_env():
    """The environment without the settings of an enclosing cargo run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARGO_") or k == "CARGO_HOME"}
    for key in ("RUSTFLAGS", "RUSTDOCFLAGS", "RUSTC", "RUSTC_WRAPPER", "RUSTC_WORKSPACE_WRAPPER"):
        env.pop(key, None)
    return env


def manifests(root):
    """Every Cargo.toml under root, shallowest first."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in (".git", "target"))
        if "Cargo.toml" in filenames:
            found.append(os.path.join(dirpath, "Cargo.toml"))
    return sorted(found, key=lambda p: (p.count(os.sep), p))


def workspaces(root, env):
    """(workspace root dir, [package]) for every workspace of the checkout."""
    seen, result = set(), []
    for manifest in manifests(root):
        if manifest in seen:
            continue
        meta = json.loads(run(["cargo", "metadata", "--format-version", "1", "--offline", "--no-deps",
                               "--manifest-path", manifest], env=env))
        seen.add(os.path.join(meta["workspace_root"], "Cargo.toml"))
        seen.update(p["manifest_path"] for p in meta["packages"])
        result.append((meta["workspace_root"], meta["packages"]))
    return result


def rel_dir(root, path):
    """A directory of the checkout as a tree path ending in `/`."""
    rel = os.path.relpath(path, root).replace(os.sep, "/")
    return "" if rel == "." else rel + "/"


def manifest_edges(root, packages, package_dirs):
    """(manifest, dep dir) for every in-tree path dependency."""
    edges = set()
    for package in packages:
        manifest = os.path.relpath(package["manifest_path"], root).replace(os.sep, "/")
        for dep in package["dependencies"]:
            path = dep.get("path")
            if path and os.path.realpath(path) in package_dirs:
                edges.add((manifest, rel_dir(root, os.path.realpath(path))))
    return edges


def used_edges(copy, ws_root, env):
    """(package dir, dep dir) for every in-tree dependency some target uses."""
    manifest = os.path.join(ws_root, "Cargo.toml")
    host = next(l.split()[1] for l in run(["rustc", "-vV"], env=env).splitlines() if l.startswith("host:"))
    meta = json.loads(run(["cargo", "metadata", "--format-version", "1", "--offline", "--filter-platform",
                           host, "--manifest-path", manifest], env=env))
    dirs = {p["id"]: os.path.dirname(p["manifest_path"]) for p in meta["packages"]}
    deps = {node["id"]: node["deps"] for node in meta["resolve"]["nodes"]}
    env = dict(env, RUSTFLAGS="-W unused-crate-dependencies", CARGO_TARGET_DIR=os.path.join(copy, ".target"))
    # One job at a time, so each unit's messages come right before its artifact.
    out = run(["cargo", "check", "--offline", "--workspace", "--all-targets", "--message-format", "json",
               "-j1", "--manifest-path", manifest], env=env)
    edges, unused = set(), set()
    for line in out.splitlines():
        msg = json.loads(line)
        if msg["reason"] == "compiler-message":
            code = (msg["message"].get("code") or {}).get("code")
            if code == "unused_crate_dependencies":
                unused.add(msg["message"]["message"].split("`")[1])
        elif msg["reason"] == "compiler-artifact":
            kinds = available_kinds(msg["target"]["kind"], msg["profile"]["test"])
            for dep in deps.get(msg["package_id"], []):
                if dep["name"] in unused or not any(k["kind"] in kinds for k in dep["dep_kinds"]):
                    continue
                edges.add((dirs[msg["package_id"]], dirs[dep["pkg"]]))
            unused = set()
    return edges


def available_kinds(target_kinds, test):
    """The dependency kinds Cargo passes to a compilation unit."""
    if "custom-build" in target_kinds:
        return {"build"}
    if test or any(k in ("test", "bench", "example") for k in target_kinds):
        return {None, "dev"}
    return {None}


def main():
    args = sys.argv[1:]
    manifest_mode = "--manifest" in args
    args = [a for a in args if a != "--manifest"]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        sys.exit(2)
    root = os.path.realpath(args[0])
    env = clean_env()
    found = workspaces(root, env)
    package_dirs = {os.path.dirname(os.path.realpath(p["manifest_path"])) for _, ps in found for p in ps}
    records = set()
    for ws_root, packages in found:
        edges = manifest_edges(root, packages, package_dirs)
        if manifest_mode:
            records |= edges
        elif edges:
            with tempfile.TemporaryDirectory() as tmp:
                copy = os.path.join(tmp, "checkout")
                shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".git", "target"))
                ws_copy = os.path.join(copy, os.path.relpath(ws_root, root))
                for src, dst in used_edges(copy, ws_copy, env):
                    if src != dst and dst.startswith(copy + os.sep):
                        records.add((rel_dir(copy, src), rel_dir(copy, dst)))
    for src, dst in sorted(records):
        print(json.dumps({"from": src, "line": None, "to": dst}, separators=(",", ":")))


if __name__ == "__main__":
    main()
