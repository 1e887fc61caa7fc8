#!/usr/bin/python3
"""Checks that every #include in the tree points down the layer order.

The order is not kept here: it is the ```layers block of docs/ARCHITECTURE.md, so the page
that explains the layers is also the rule the build enforces. Usage:

    scripts/check-layers.py [--root DIR] [--all-files]

Every tracked .c, .h and .S file outside the unchecked directories (test/, bench/, build/...)
must have a rank, and each of its `#include "..."` lines must name a file of the tree that is
  - of a lower rank, or
  - of the same layer entry (lib/libc/ may include lib/), or
  - in the file's own directory, unless the order ranks that header higher;
and a file under a restricted entry (app/) may include only the entries named for it
(include/xenolith/ and lib/) and its own directory. Angle includes (<xen/...>, <stdint.h>)
are the compiler's and Xen's, not the tree's, and are not checked.

Prints one line per violation, `FILE:LINE: ...`, and exits 1 if there is any.
Standard library only: it runs in the test tier before anything is installed.
"""
import argparse
import fnmatch
import os
import re
import sys

from tree_files import tracked_files

ARCHITECTURE = "docs/ARCHITECTURE.md"
SOURCE_SUFFIXES = (".c", ".h", ".S")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


class Layer:
    """One path pattern of the order: a directory subtree (`net/tcp/`), the files directly in
    a directory (`net/*`), or one file (`platform/netdev.h`)."""

    def __init__(self, pattern, rank, lineno):
        self.pattern = pattern
        self.rank = rank
        self.lineno = lineno

    def matches(self, path):
        if self.pattern.endswith("/"):
            return path.startswith(self.pattern)
        if "*" in self.pattern:
            return (os.path.dirname(path) == os.path.dirname(self.pattern)
                    and fnmatch.fnmatchcase(os.path.basename(path),
                                            os.path.basename(self.pattern)))
        return path == self.pattern

    def specificity(self):
        # An exact file beats a pattern in its directory, which beats a shorter subtree.
        exact = 0 if ("*" in self.pattern or self.pattern.endswith("/")) else 1
        return (len(self.pattern.replace("*", "")), exact)


class Order:
    def __init__(self):
        self.layers = []
        self.only = {}          # restricted pattern -> list of patterns it may include
        self.unchecked = []     # directory prefixes not checked
        self.search = ["."]     # where "x.h" is looked up after the including file's directory

    def layer_of(self, path):
        best = None
        for layer in self.layers:
            if layer.matches(path) and (best is None or layer.specificity() > best.specificity()):
                best = layer
        return best

    def is_unchecked(self, path):
        # A directory prefix, or a pattern with '*' (an application's own tests: app/*/test_*).
        return any(fnmatch.fnmatchcase(path, p) if "*" in p else path.startswith(p)
                   for p in self.unchecked)


class OrderError(Exception):
    pass


def parse_order(text):
    """Reads the ```layers fenced block. Lines (after removing `# comments`):
         RANK PATTERN [PATTERN...]      a layer; a higher rank may include a lower one
         only PATTERN: PATTERN...       files of that layer may include only these (and their dir)
         unchecked: DIR/... PATTERN...  directories (and files matching a '*' pattern) the check skips
         search: DIR...                 include search roots after the file's own directory
    """
    lines = text.splitlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == "```layers")
    except StopIteration:
        raise OrderError(f"{ARCHITECTURE}: no ```layers block")
    order = Order()
    end = None
    for i in range(start + 1, len(lines)):
        raw = lines[i]
        if raw.strip() == "```":
            end = i
            break
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{ARCHITECTURE}:{i + 1}"
        words = line.split()
        if words[0] == "only":
            if len(words) < 3 or not words[1].endswith(":"):
                raise OrderError(f"{where}: expected 'only PATTERN: PATTERN...'")
            order.only[words[1][:-1]] = words[2:]
        elif words[0] == "unchecked:":
            order.unchecked.extend(words[1:])
        elif words[0] == "search:":
            order.search = [w.rstrip("/") or "." for w in words[1:]]
        elif words[0].isdigit():
            if len(words) < 2:
                raise OrderError(f"{where}: rank {words[0]} names no path")
            for pattern in words[1:]:
                if any(l.pattern == pattern for l in order.layers):
                    raise OrderError(f"{where}: {pattern} is placed twice")
                order.layers.append(Layer(pattern, int(words[0]), i + 1))
        else:
            raise OrderError(f"{where}: cannot read '{line}'")
    if end is None:
        raise OrderError(f"{ARCHITECTURE}: the ```layers block is not closed")
    if not order.layers:
        raise OrderError(f"{ARCHITECTURE}: the ```layers block places no path")
    known = {l.pattern for l in order.layers}
    for restricted, allowed in order.only.items():
        for pattern in [restricted] + allowed:
            if pattern not in known:
                raise OrderError(f"{ARCHITECTURE}: 'only' names {pattern}, which has no rank")
    return order


def resolve(root, files, including, name, search):
    """Where `#include "name"` in `including` lands, as gcc looks with -iquote: the including
    file's own directory first, then each search root. None if no file of the tree."""
    for base in [os.path.dirname(including)] + search:
        candidate = os.path.normpath(os.path.join(base, name))
        if candidate in files:
            return candidate
    return None


def describe(layer):
    return f"layer {layer.pattern}, rank {layer.rank}"


def check(root, all_files=False):
    """Returns the list of violation lines for the tree at root."""
    with open(os.path.join(root, ARCHITECTURE), encoding="utf-8") as f:
        order = parse_order(f.read())
    files = tracked_files(root, all_files)
    fileset = set(files)
    problems = []
    for path in files:
        if not path.endswith(SOURCE_SUFFIXES) or order.is_unchecked(path):
            continue
        own = order.layer_of(path)
        if own is None:
            problems.append(f"{path}:1: has no layer: place its directory in the ```layers "
                            f"block of {ARCHITECTURE}")
            continue
        allowed = order.only.get(own.pattern)
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                name = m.group(1)
                target = resolve(root, fileset, path, name, order.search)
                where = f"{path}:{lineno}"
                if target is None:
                    problems.append(f"{where}: includes {name}, which is no file of the tree")
                    continue
                theirs = order.layer_of(target)
                if theirs is None:
                    problems.append(f"{where}: includes {target}, which has no layer")
                    continue
                # A file's own directory is its own layer, unless the order ranks that header
                # higher (platform/platform.h may not include platform/netdev.h).
                if os.path.dirname(target) == os.path.dirname(path) and theirs.rank <= own.rank:
                    continue
                if allowed is not None:
                    if theirs.pattern not in allowed:
                        problems.append(
                            f"{where}: includes {target} ({describe(theirs)}), but layer "
                            f"{own.pattern} may include only {' and '.join(allowed)}")
                    continue
                if theirs.rank > own.rank:
                    problems.append(f"{where}: includes {target} ({describe(theirs)}) above its "
                                    f"own layer {own.pattern} (rank {own.rank})")
                elif theirs.rank == own.rank and theirs is not own:
                    problems.append(f"{where}: includes {target} ({describe(theirs)}) beside its "
                                    f"own layer {own.pattern} (rank {own.rank}): the same rank "
                                    f"in another directory")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."),
                        help="the tree to check (default: this repository)")
    parser.add_argument("--all-files", action="store_true",
                        help="check every file under the root, not only what git tracks")
    args = parser.parse_args()
    root = os.path.abspath(args.root)
    try:
        problems = check(root, args.all_files)
    except (OrderError, OSError) as e:
        print(f"check-layers: {e}", file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    if problems:
        print(f"check-layers: {len(problems)} include(s) break the layer order of "
              f"{ARCHITECTURE}", file=sys.stderr)
        return 1
    print(f"check-layers: every include points down the layer order of {ARCHITECTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
