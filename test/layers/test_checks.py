#!/usr/bin/python3
"""Unit tests of scripts/check-layers.py and scripts/check-doc-refs.py.

Each case builds a small fake tree in a temporary directory, with its own ```layers block
in docs/ARCHITECTURE.md, runs the checker on it as `make test-layers` runs it on the real
tree, and checks the exit status and the exact report. Prints `PASS name` or
`FAIL name: why` per case and ends with `N passed, M failed`.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "..", "..", "scripts")
CHECK_LAYERS = os.path.join(SCRIPTS, "check-layers.py")
CHECK_DOC_REFS = os.path.join(SCRIPTS, "check-doc-refs.py")

ORDER = """# Fake architecture

```layers
0  lib/
1  include/xenolith/
1  platform/platform.h          # the machine seam
3  mm/
6  platform/netdev.h
10 net/udp/ net/tcp/
12 net/*
16 app/
only app/: include/xenolith/ lib/
unchecked: test/ app/*/test_*
search: . include/
```
"""

# A clean tree: every include points down, or stays in its own directory or layer entry.
CLEAN = {
    "docs/ARCHITECTURE.md": ORDER,
    "lib/string.h": "int k_strlen(const char *s);\n",
    "lib/log.h": '#include "lib/string.h"\n#include "string.h"\n',
    "lib/libc/string.c": '#include "lib/string.h"\n',
    "include/xenolith/net.h": '#include "lib/string.h"\n#include "xenolith/time.h"\n',
    "include/xenolith/time.h": "",
    "platform/platform.h": '#include "lib/log.h"\n',
    "platform/netdev.h": '#include "platform/platform.h"\n#include "mm/pbuf.h"\n',
    "mm/pbuf.h": '#include <stdint.h>\n#include "platform/platform.h"\n',
    "net/udp/udp.c": '#include "net/udp/udp.h"\n#include "platform/netdev.h"\n',
    "net/udp/udp.h": "",
    "net/tcp/tcp.c": '#include "tcp.h"\n#include <xen/xen.h>\n',
    "net/tcp/tcp.h": "",
    "net/stack.c": '#include "net/tcp/tcp.h"\n#include "net/udp/udp.h"\n#include "net/stack.h"\n',
    "net/stack.h": "",
    "app/demo/main.c": ('#include "xenolith/net.h"\n#include "lib/log.h"\n'
                        '#include "app/demo/demo.h"\n#include "demo.h"\n'),
    "app/demo/demo.h": "",
    "test/unit/test_tcp.c": '#include "net/stack.h"\n#include "app/demo/demo.h"\n',
}


def make_tree(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)


def run(script, files):
    """Runs the check on a fake tree. A tree with a .gitignore is made a git repository and
    checked as git sees it (new files included, ignored ones not); any other tree file by file."""
    with tempfile.TemporaryDirectory(prefix="xenolith-layers-") as root:
        make_tree(root, files)
        if ".gitignore" in files:
            subprocess.run(["git", "-C", root, "init", "-q"], check=True)
            subprocess.run(["git", "-C", root, "add", "docs"], check=True)
            argv = [script, "--root", root]
        else:
            argv = [script, "--root", root, "--all-files"]
        p = subprocess.run(["/usr/bin/python3"] + argv, capture_output=True, text=True)
        return p.returncode, p.stdout.splitlines(), p.stderr


def tree(extra):
    files = dict(CLEAN)
    files.update(extra)
    return files


def expect(name, script, files, status, lines):
    code, out, err = run(script, files)
    violations = [l for l in out if not l.startswith("check-")]
    if code != status:
        return f"{name}: exit status {code}, wanted {status}; output {out} {err.strip()}"
    if violations != lines:
        return f"{name}: reported {violations}, wanted {lines}"
    return None


CASES = [
    ("clean_tree_passes", CHECK_LAYERS, CLEAN, 0, []),
    ("upward_include_fails", CHECK_LAYERS,
     tree({"mm/pbuf.h": '#include <stdint.h>\n#include "net/stack.h"\n'}), 1,
     ["mm/pbuf.h:2: includes net/stack.h (layer net/*, rank 12) above its own layer mm/ "
      "(rank 3)"]),
    ("upward_include_from_lib_to_public_api_fails", CHECK_LAYERS,
     tree({"lib/string.h": '#include "xenolith/time.h"\n'}), 1,
     ["lib/string.h:1: includes include/xenolith/time.h (layer include/xenolith/, rank 1) "
      "above its own layer lib/ (rank 0)"]),
    ("sideways_include_fails", CHECK_LAYERS,
     tree({"net/tcp/tcp.c": '#include "tcp.h"\n#include "net/udp/udp.h"\n'}), 1,
     ["net/tcp/tcp.c:2: includes net/udp/udp.h (layer net/udp/, rank 10) beside its own layer "
      "net/tcp/ (rank 10): the same rank in another directory"]),
    ("same_rank_seams_in_two_directories_fail", CHECK_LAYERS,
     tree({"platform/platform.h": '#include "xenolith/time.h"\n'}), 1,
     ["platform/platform.h:1: includes include/xenolith/time.h (layer include/xenolith/, "
      "rank 1) beside its own layer platform/platform.h (rank 1): the same rank in another "
      "directory"]),
    ("own_directory_header_ranked_higher_fails", CHECK_LAYERS,
     tree({"platform/platform.h": '#include "netdev.h"\n'}), 1,
     ["platform/platform.h:1: includes platform/netdev.h (layer platform/netdev.h, rank 6) "
      "above its own layer platform/platform.h (rank 1)"]),
    ("app_including_internal_header_fails", CHECK_LAYERS,
     tree({"app/demo/main.c": '#include "xenolith/net.h"\n#include "net/tcp/tcp.h"\n'}), 1,
     ["app/demo/main.c:2: includes net/tcp/tcp.h (layer net/tcp/, rank 10), but layer app/ "
      "may include only include/xenolith/ and lib/"]),
    ("app_including_another_app_fails", CHECK_LAYERS,
     tree({"app/other/main.c": '#include "app/demo/demo.h"\n'}), 1,
     ["app/other/main.c:1: includes app/demo/demo.h (layer app/, rank 16), but layer app/ "
      "may include only include/xenolith/ and lib/"]),
    ("unknown_directory_fails", CHECK_LAYERS,
     tree({"net/dns/dns.c": '#include "net/udp/udp.h"\n'}), 1,
     ["net/dns/dns.c:1: has no layer: place its directory in the ```layers block of "
      "docs/ARCHITECTURE.md"]),
    ("include_of_no_file_fails", CHECK_LAYERS,
     tree({"net/stack.c": '#include "net/ipv6/ipv6.h"\n'}), 1,
     ["net/stack.c:1: includes net/ipv6/ipv6.h, which is no file of the tree"]),
    ("assembly_is_checked", CHECK_LAYERS,
     tree({"mm/copy.S": '#include "net/stack.h"\n'}), 1,
     ["mm/copy.S:1: includes net/stack.h (layer net/*, rank 12) above its own layer mm/ "
      "(rank 3)"]),
    ("tests_are_not_checked", CHECK_LAYERS,
     tree({"test/unit/test_app.c": '#include "app/demo/main.c"\n#include "nowhere.h"\n'}), 0, []),
    ("unchecked_patterns_skip_matching_files_only", CHECK_LAYERS,
     tree({"app/demo/test_x.c": '#include "test/unit/fixture.h"\n',
           "test/unit/fixture.h": "",
           "app/demo/main.c": '#include "test/unit/fixture.h"\n'}), 1,
     ["app/demo/main.c:1: includes test/unit/fixture.h, which has no layer"]),
    ("git_tree_checks_new_files_not_ignored_ones", CHECK_LAYERS,
     tree({".gitignore": "gen/\n", "gen/bad.c": '#include "nowhere.h"\n',
           "mm/heap.c": '#include "net/stack.h"\n'}), 1,
     ["mm/heap.c:1: includes net/stack.h (layer net/*, rank 12) above its own layer mm/ "
      "(rank 3)"]),
    ("missing_order_block_is_an_error", CHECK_LAYERS,
     tree({"docs/ARCHITECTURE.md": "# no block\n"}), 2, []),
    ("doc_refs_clean_tree_passes", CHECK_DOC_REFS,
     {"README.md": "See [docs/DESIGN.md](docs/DESIGN.md) and TESTING.md.\n",
      "docs/DESIGN.md": "[the map](ARCHITECTURE.md), ../README.md\n",
      "docs/ARCHITECTURE.md": "",
      "docs/TESTING.md": "",
      "net/README.md": "Beside: README.md; generated: $OUT/table.md, ${DIR}/x.md\n"}, 0, []),
    ("doc_refs_missing_document_fails", CHECK_DOC_REFS,
     {"README.md": "The design: DESIGN.md\n",
      "mk/config.mk": "# budget: see docs/NOTES.md\n"}, 1,
     ["README.md:1: refers to DESIGN.md, which is not in the repository",
      "mk/config.mk:1: refers to docs/NOTES.md, which is not in the repository"]),
    ("doc_refs_web_document_fails", CHECK_DOC_REFS,
     {"README.md": "Read https://example.org/x/GUIDE.md first.\n"}, 1,
     ["README.md:1: refers to https://example.org/x/GUIDE.md, a document outside the "
      "repository"]),
]


def main():
    passed = failed = 0
    for name, script, files, status, lines in CASES:
        problem = expect(name, script, files, status, lines)
        if problem:
            failed += 1
            print(f"FAIL {problem}")
        else:
            passed += 1
            print(f"PASS {name}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
