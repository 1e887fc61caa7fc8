"""The files of a source tree as git sees them, shared by the tree checks (check-layers.py,
check-doc-refs.py)."""
import os
import subprocess


def tracked_files(root, all_files=False):
    """Tracked files and new ones not yet added, but not ignored ones (build/) nor those deleted
    from the work tree. With all_files, or outside a git tree, every file below root except
    hidden directories and build/."""
    if not all_files:
        try:
            out = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others",
                                  "--exclude-standard"], check=True, capture_output=True).stdout
            return sorted({p for p in out.decode().split("\0")
                           if p and os.path.isfile(os.path.join(root, p))})
        except (OSError, subprocess.CalledProcessError):
            pass
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "build"]
        for name in filenames:
            found.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(found)
