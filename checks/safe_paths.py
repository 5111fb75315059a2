"""Writing under the scan root without following symlinks.

A repository can commit a symlink where wardgate writes (`.wardgate-cache -> /home/ci/.ssh`): every
folder between the root and a file wardgate writes must be a real folder, and the file itself is
created without following a link. Paths from configuration must also stay inside the root (the
check is in wardgate/paths.py); explicit command-line paths are the user's choice and not checked.
"""
from __future__ import annotations

import os
from pathlib import Path


def symlink_on_path(root: Path, path: Path) -> Path | None:
    """The first existing symlink on the way from `root` down to `path` (inclusive), or None.
    A path outside `root` counts as the root itself being left: it is returned as is."""
    try:
        rel = Path(os.path.normpath(path)).relative_to(os.path.normpath(root))
    except ValueError:
        return path
    current = Path(os.path.normpath(root))
    for part in rel.parts:
        current = current / part
        if current.is_symlink():
            return current
    return None


def append_line(path: Path, line: str) -> None:
    """Append to `path`, never through a symlink at `path` itself (O_NOFOLLOW)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(line)


def create_once(path: Path, text: str) -> None:
    """Create `path` with `text` unless something (even a dangling symlink) is there already."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
