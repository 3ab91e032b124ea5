#!/usr/bin/env python3
"""Oracle for the JVM readers of `git-split deps`: the file-to-file
references of a checkout's Java, Kotlin and Scala code, as jdeps sees them
in the compiled classes.

    python3 tests/oracles/jvm_deps.py CHECKOUT_DIR

Needs a JDK (javac, jdeps), kotlinc and scalac (Debian: `apt-get install
default-jdk-headless kotlin scala`). Offline.

Every `.java`, `.kt` and `.scala` file of the checkout is compiled, as one
build would: kotlinc first (reading the Java sources for their symbols),
then javac against the Kotlin classes, then scalac against both. The
third-party libraries the build declares (which Gradle would download) are
stubbed below and compiled apart, as a library on the class path.

`jdeps -verbose:class` then lists every class's dependencies. jdeps
leaves out dependencies within one package by default, as `deps` does
(they need no import). Each class is mapped back to its source file by its
`SourceFile` attribute (read from the class file) and its package; a target
class compiled from no file of the checkout (the JDK, the Kotlin and Scala
libraries, the stubs) is external and not printed, and neither is a file's
reference to itself.

What jdeps cannot see, the fixture avoids rather than this script filters:
an unused import, a constant the compiler inlines, an import used only in
javadoc, a type that appears in a called method's signature without being
imported.

Prints one JSON object per line, sorted: {"from":..,"line":null,"to":..}.
"""

import json
import os
import re
import struct
import subprocess
import sys
import tempfile

# The build's third-party dependencies, as the classes it compiles against.
LIBRARY_STUBS = {
    "com/acmetools/http/Client.java": """package com.acmetools.http;
public final class Client {
    public static String describe() { return "acmetools"; }
}
""",
}

SOURCE_EXTENSIONS = (".java", ".kt", ".scala")


def fail(message):
    sys.stderr.write(f"jvm_deps.py: {message}\n")
    sys.exit(1)


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"{' '.join(cmd[:3])}... failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def sources(root):
    """Every source file below root, relative, sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            if name.endswith(SOURCE_EXTENSIONS):
                out.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(out)


PACKAGE_LINE = re.compile(r"^\s*package\s+([\w.]+)\s*;?\s*$")


def declared_package(path):
    """The package a source file declares: its leading `package` lines,
    joined (Scala chains them)."""
    parts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            stripped = line.strip()
            if not stripped or stripped.startswith("//"):
                continue
            m = PACKAGE_LINE.match(line)
            if not m:
                break
            parts.append(m.group(1))
    return ".".join(parts)


def class_files(directory):
    for dirpath, _, filenames in os.walk(directory):
        for name in filenames:
            if name.endswith(".class"):
                yield os.path.join(dirpath, name)


def class_name_and_source(path):
    """(binary class name with dots, SourceFile attribute or None)."""
    with open(path, "rb") as f:
        data = f.read()
    pos = 8
    (count,) = struct.unpack_from(">H", data, pos)
    pos += 2
    utf8, classes = {}, {}
    i = 1
    while i < count:
        tag = data[pos]
        pos += 1
        if tag == 1:
            (n,) = struct.unpack_from(">H", data, pos)
            utf8[i] = data[pos + 2 : pos + 2 + n].decode("utf-8", "replace")
            pos += 2 + n
        elif tag == 7:
            (classes[i],) = struct.unpack_from(">H", data, pos)
            pos += 2
        elif tag in (8, 16, 19, 20):
            pos += 2
        elif tag == 15:
            pos += 3
        elif tag in (3, 4, 9, 10, 11, 12, 17, 18):
            pos += 4
        elif tag in (5, 6):
            pos += 8
            i += 1
        else:
            fail(f"{path}: constant pool tag {tag}")
        i += 1
    _, this_class = struct.unpack_from(">HH", data, pos)
    pos += 6
    (interfaces,) = struct.unpack_from(">H", data, pos)
    pos += 2 + 2 * interfaces

    def skip_attributes(pos):
        (n,) = struct.unpack_from(">H", data, pos)
        pos += 2
        for _ in range(n):
            (length,) = struct.unpack_from(">I", data, pos + 2)
            pos += 6 + length
        return pos

    for _ in range(2):  # fields, then methods
        (n,) = struct.unpack_from(">H", data, pos)
        pos += 2
        for _ in range(n):
            pos = skip_attributes(pos + 6)
    source = None
    (n,) = struct.unpack_from(">H", data, pos)
    pos += 2
    for _ in range(n):
        name_index, length = struct.unpack_from(">HI", data, pos)
        if utf8.get(name_index) == "SourceFile":
            (index,) = struct.unpack_from(">H", data, pos + 6)
            source = utf8[index]
        pos += 6 + length
    return utf8[classes[this_class]].replace("/", "."), source


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.stderr.write("usage: python3 jvm_deps.py CHECKOUT_DIR\n")
        sys.exit(2)
    root = os.path.abspath(sys.argv[1])
    files = sources(root)
    by_language = {ext: [os.path.join(root, f) for f in files if f.endswith(ext)] for ext in SOURCE_EXTENSIONS}
    tmp = tempfile.mkdtemp(prefix="jvm-deps-oracle-")
    out = {name: os.path.join(tmp, name) for name in ("lib", "kotlin", "java", "scala")}
    for d in out.values():
        os.makedirs(d)

    stubs = []
    for rel, text in LIBRARY_STUBS.items():
        path = os.path.join(tmp, "lib-src", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        stubs.append(path)
    run(["javac", "-nowarn", "-d", out["lib"], *stubs])

    java, kotlin, scala = by_language[".java"], by_language[".kt"], by_language[".scala"]
    if kotlin:
        run(["kotlinc", "-nowarn", "-cp", out["lib"], "-d", out["kotlin"], *kotlin, *java])
    classpath = f"{out['lib']}:{out['kotlin']}"
    if java:
        run(["javac", "-proc:none", "-nowarn", "-cp", classpath, "-d", out["java"], *java])
    classpath += f":{out['java']}"
    if scala:
        run(["scalac", "-nowarn", "-cp", classpath, "-d", out["scala"], *scala])
    classpath += f":{out['scala']}"

    # (package, source file name) -> the checkout's file.
    by_name = {}
    for rel in files:
        key = (declared_package(os.path.join(root, rel)), os.path.basename(rel))
        if key in by_name:
            fail(f"{rel} and {by_name[key]} are both {key}")
        by_name[key] = rel
    compiled = [out["kotlin"], out["java"], out["scala"]]
    source_of = {}
    for directory in compiled:
        for path in class_files(directory):
            name, source = class_name_and_source(path)
            package = name.rpartition(".")[0]
            if source is None or (package, source) not in by_name:
                fail(f"{name}: no source file {source} in package {package}")
            source_of[name] = by_name[(package, source)]

    report = run(["jdeps", "-verbose:class", "-cp", classpath, *compiled])
    edges = set()
    for line in report.splitlines():
        # Class lines are indented: `   a.B   -> c.D   archive`.
        if not line.startswith(" ") or "->" not in line:
            continue
        source, _, rest = line.strip().partition("->")
        target = rest.split()[0]
        origin, dest = source_of.get(source.strip()), source_of.get(target)
        if origin is None:
            fail(f"jdeps names {source.strip()}, compiled from no known file")
        if dest is not None and dest != origin:
            edges.add((origin, dest))
    for origin, dest in sorted(edges):
        print(json.dumps({"from": origin, "line": None, "to": dest}, separators=(",", ":")))


if __name__ == "__main__":
    main()
