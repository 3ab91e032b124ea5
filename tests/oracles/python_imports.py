"""The internal imports of a Python checkout, as CPython itself sees them.

Oracle for the Python reader of `git-split deps`:

    python3 tests/oracles/python_imports.py CHECKOUT_DIR

prints one JSON object per internal reference, sorted:
{"from":"a/b.py","line":3,"to":"c/d.py"}. Needs CPython 3.11 or later
(`ast`, `tomllib`, `importlib`); nothing else, no network.

Imports are found with `ast` (every Import and ImportFrom node, nested ones
included). An `import a.b` names the module `a.b`, at its own line; a
`from M import x, y` names, at the statement's line, each `M.x` that is a
module, and M itself for any other name (and for `*`).

Modules are found by CPython's own finders, searching the package roots the
way `sys.path` entries are searched, and never executing the code:
`importlib.machinery.PathFinder` (its `_get_spec`, which finds without
importing parents) over a `FileFinder` per directory for `.py` and `.pyi`
files. So in each directory a package's `__init__` beats a module file, a
regular module anywhere beats namespace directories, and a namespace
package gathers every portion (PEP 420).

The package roots are: the checkout's root; every directory holding a
`pyproject.toml`, `setup.cfg` or `setup.py` (a project), and its `src/` if
there is one; the root's `src/`; and the directories a `pyproject.toml`
names in `[tool.setuptools.packages.find] where`, `[tool.setuptools]
package-dir` (the root package) and, as their parents,
`[tool.hatch.build.targets.wheel] packages`. A file searches the roots of
its own project (the deepest project directory holding it) first, deepest
first; then the other roots it lies in, deepest first; then the rest in
path order.

The standard library (`sys.stdlib_module_names`) beats a namespace
directory of the same name; a top-level name no root provides is external.
A relative import starts from the importing file's directory, and may not
climb above the deepest package root holding that file.
"""

import ast
import json
import os
import posixpath
import sys
import tomllib
from importlib.machinery import FileFinder, PathFinder, SourceFileLoader

PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")


def tree_files(top):
    """Every file of the checkout, as sorted '/'-separated relative paths."""
    files = []
    for here, dirs, names in os.walk(top):
        dirs[:] = [d for d in dirs if d != ".git"]
        rel = os.path.relpath(here, top)
        for name in names:
            files.append(name if rel == "." else posixpath.join(rel.replace(os.sep, "/"), name))
    return sorted(files)


def table(doc, *keys):
    for key in keys:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


def tree_join(base, rel):
    """`base/rel` normalised, or None when it climbs above the root."""
    path = posixpath.normpath(posixpath.join(base, rel)) if base else posixpath.normpath(rel)
    if path == ".":
        return ""
    return None if path == ".." or path.startswith("../") else path


def build_roots(top, manifest, project):
    """The roots a pyproject.toml's build configuration names."""
    base = posixpath.dirname(manifest)
    roots = []
    where = table(project, "tool", "setuptools", "packages", "find", "where")
    roots += [w for w in where if isinstance(w, str)] if isinstance(where, list) else []
    package_dir = table(project, "tool", "setuptools", "package-dir")
    if isinstance(package_dir, dict) and isinstance(package_dir.get(""), str):
        roots.append(package_dir[""])
    packages = table(project, "tool", "hatch", "build", "targets", "wheel", "packages")
    for package in packages if isinstance(packages, list) else []:
        if isinstance(package, str):
            roots.append(posixpath.dirname(package.rstrip("/")) or ".")
    joined = (tree_join(base, r) for r in roots)
    return [r for r in joined if r is not None and (r == "" or os.path.isdir(os.path.join(top, r)))]


def package_roots(top, files):
    """{project dir: set of its roots}, the root directory "" always included."""
    projects = {"": set()}
    for path in files:
        if posixpath.basename(path) in PROJECT_FILES:
            projects.setdefault(posixpath.dirname(path), set())
    for path in files:
        if posixpath.basename(path) == "pyproject.toml":
            try:
                with open(os.path.join(top, path), "rb") as f:
                    project = tomllib.load(f)
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            projects[posixpath.dirname(path)].update(build_roots(top, path, project))
    for project, roots in projects.items():
        roots.add(project)
        src = posixpath.join(project, "src") if project else "src"
        if os.path.isdir(os.path.join(top, src)):
            roots.add(src)
    return projects


def within(path, directory):
    return directory == "" or path == directory or path.startswith(directory + "/")


def depth(directory):
    return 0 if directory == "" else directory.count("/") + 1


def ordered_roots(projects, roots, source):
    """The roots, in the order the file `source` searches them."""
    here = posixpath.dirname(source)
    own_dir = here
    while own_dir not in projects:
        own_dir = posixpath.dirname(own_dir)
    own = projects[own_dir]

    def rank(root):
        if root in own:
            return (0, -depth(root), root)
        if within(here, root):
            return (1, -depth(root), root)
        return (2, 0, root)

    return sorted(roots, key=rank)


class Finder:
    """Module lookups in one checkout, by CPython's PathFinder."""

    def __init__(self, top):
        self.top = os.path.abspath(top)

    def find(self, name, dirs):
        """`name` searched in `dirs`: ('module', file, its __path__),
        ('namespace', portions, portions), or None."""
        entries = [os.path.join(self.top, d) for d in dirs]
        for entry in entries:
            # The finder sys.path_hooks would make, but for source files only;
            # the hooks themselves stay as they are for the oracle's own imports.
            if entry not in sys.path_importer_cache:
                finder = FileFinder(entry, (SourceFileLoader, [".py", ".pyi"]))
                sys.path_importer_cache[entry] = finder if os.path.isdir(entry) else None
        spec = PathFinder._get_spec(name, entries)
        if spec is None:
            return None
        if spec.loader is not None:
            return ("module", self.rel(spec.origin), [self.rel(d) for d in spec.submodule_search_locations or []])
        portions = [self.rel(d) for d in spec.submodule_search_locations or []]
        return ("namespace", portions, portions) if portions else None

    def rel(self, path):
        rel = os.path.relpath(path, self.top).replace(os.sep, "/")
        return "" if rel == "." else rel


def target(found):
    kind, where, _ = found
    return where if kind == "module" else where[0] + "/"


def package_of_dir(top, directory):
    """A directory as the package a relative import starts from."""
    for init in ("__init__.py", "__init__.pyi"):
        init = posixpath.join(directory, init) if directory else init
        if os.path.isfile(os.path.join(top, init)):
            return ("module", init, [directory])
    return ("namespace", [directory], [directory])


def lookup(finder, top, order, source, module, level):
    """The module an import statement names, or None (external or missing)."""
    parts = module.split(".") if module else []
    if level:
        here = posixpath.dirname(source)
        own_root = max((r for r in order if within(here, r)), key=len)
        if level > depth(here) - depth(own_root):
            return None
        for _ in range(level - 1):
            here = posixpath.dirname(here)
        found = package_of_dir(top, here)
    else:
        found = finder.find(parts[0], order)
        if found is None or (found[0] == "namespace" and parts[0] in sys.stdlib_module_names):
            return None
        parts = parts[1:]
    for part in parts:
        found = finder.find(part, found[2])
        if found is None:
            return None
    return found


def references(finder, top, order, source, node):
    """(line, target) pairs for one import statement."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            found = lookup(finder, top, order, source, alias.name, 0)
            if found:
                yield alias.lineno, target(found)
        return
    found = lookup(finder, top, order, source, node.module, node.level)
    if found is None:
        return
    for alias in node.names:
        sub = finder.find(alias.name, found[2]) if alias.name != "*" else None
        yield node.lineno, target(sub or found)


def main():
    top = sys.argv[1]
    files = tree_files(top)
    projects = package_roots(top, files)
    roots = sorted(set().union(*projects.values()))
    finder = Finder(top)
    out = set()
    for source in files:
        if not source.endswith((".py", ".pyi")):
            continue
        with open(os.path.join(top, source), "rb") as f:
            tree = ast.parse(f.read(), source)
        order = ordered_roots(projects, roots, source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                out.update((source, line, to) for line, to in references(finder, top, order, source, node))
    for source, line, to in sorted(out):
        print(json.dumps({"from": source, "line": line, "to": to}, separators=(",", ":")))


if __name__ == "__main__":
    main()
