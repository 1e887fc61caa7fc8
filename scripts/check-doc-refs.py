#!/usr/bin/python3
"""Checks that no file of the project points to a document that is not in the repository.

Every `NAME.md` mentioned in a tracked text file (a Markdown link, a path in a comment, a
script's default) must be a file of the tree, found relative to the mentioning file's own
directory, to docs/, or to the root. A `.md` address on the web (`https://.../X.md`) is a
document outside the repository and is reported too. A name built from a variable
(`$OUT/table.md`) is a file a script writes, not a reference, and is skipped.

    scripts/check-doc-refs.py [--root DIR] [--all-files]

Prints `FILE:LINE: refers to NAME, which is not in the repository` per dangling reference
and exits 1 if there is any. Standard library only.
"""
import argparse
import os
import re
import sys

from tree_files import tracked_files

# A .md name not glued to something before it: `$R/table.md` and `x/y.md` inside a longer
# path are not separate names (the whole path is matched from its start instead).
MD_NAME_RE = re.compile(r"(?<![A-Za-z0-9_./$}])([A-Za-z0-9_.][A-Za-z0-9_./-]*\.md)(?![A-Za-z0-9_])")
WEB_MD_RE = re.compile(r"\b(?:https?|ftp)://[^\s)>\]\"']*\.md\b")
# This check and its tests name made-up documents on purpose, as examples and test input.
EXAMPLE_FILES = {"scripts/check-doc-refs.py", "test/layers/test_checks.py"}


def read_text(path):
    """The file's text, or None for a binary file (fuzz corpora, images)."""
    with open(path, "rb") as f:
        data = f.read()
    if b"\0" in data:
        return None
    return data.decode("utf-8", errors="replace")


def check(root, all_files=False):
    files = tracked_files(root, all_files)
    fileset = set(files)
    problems = []
    for path in files:
        full = os.path.join(root, path)
        if path in EXAMPLE_FILES or not os.path.isfile(full):
            continue
        text = read_text(full)
        if text is None:
            continue
        here = os.path.dirname(path)
        for lineno, line in enumerate(text.splitlines(), 1):
            for m in WEB_MD_RE.finditer(line):
                problems.append(f"{path}:{lineno}: refers to {m.group(0)}, a document outside "
                                f"the repository")
            seen = set()
            for m in MD_NAME_RE.finditer(WEB_MD_RE.sub(" ", line)):
                name = m.group(1)
                if name in seen:        # [X.md](X.md): one mention
                    continue
                seen.add(name)
                bases = [here, "docs", "."]
                if not any(os.path.normpath(os.path.join(b, name)) in fileset for b in bases):
                    problems.append(f"{path}:{lineno}: refers to {name}, which is not in the "
                                    f"repository")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    parser.add_argument("--all-files", action="store_true",
                        help="check every file under the root, not only what git tracks")
    args = parser.parse_args()
    problems = check(os.path.abspath(args.root), args.all_files)
    for p in problems:
        print(p)
    if problems:
        print(f"check-doc-refs: {len(problems)} reference(s) to documents not in the repository",
              file=sys.stderr)
        return 1
    print("check-doc-refs: every document the project mentions is in the repository")
    return 0


if __name__ == "__main__":
    sys.exit(main())
