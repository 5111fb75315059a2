"""The change under review: each changed file's lines and its text at both refs, read from git."""
from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from checks.source import DEFAULT_MAX_FILE_SIZE

from .. import git
from ..git import Diff, changed_lines


@dataclass
class FileChange:
    path: str
    lines: set[int]  # changed lines, new numbering (a pure deletion marks its neighbours)
    old_path: str | None  # None: the file is new
    new_text: str | None
    old_text: str | None

    def touches(self, start: int, end: int) -> bool:
        return any(start <= n <= end for n in self.lines)


@dataclass
class ChangeSet:
    root: Path
    base: str  # the revision the old side was read from
    files: dict[str, FileChange] = field(default_factory=dict)
    deleted: dict[str, str] = field(default_factory=dict)  # path -> old text

    def python(self) -> Iterator[FileChange]:
        return (f for f in self.files.values() if f.path.endswith(".py"))


def load_changes(root: Path, base: str | None, *, staged: bool = False, diff: Diff | None = None) -> ChangeSet:
    """The changed files with both sides' text; `diff`: the run's own diff, when it has one (git is asked once)."""
    if diff is None:
        diff = changed_lines(root, base or None, staged=staged)
    cs = ChangeSet(root=root, base=diff.ref)
    tracked_old = set((git.text(root, "ls-tree", "-r", "--name-only", diff.ref) or "").splitlines())

    def old(path: str) -> str | None:
        return git.show(root, diff.ref, path) if path in tracked_old else None

    for path, lines in diff.changed.items():
        old_path = diff.renamed.get(path, path)
        if diff.staged:
            new_text = git.show(root, "", path)
        else:
            try:
                new_text = (root / path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                new_text = None
        old_text = old(old_path)
        cs.files[path] = FileChange(path=path, lines=set(lines), old_path=old_path if old_text is not None else None,
                                    new_text=new_text, old_text=old_text)
    for path in diff.deleted:
        text = old(path)
        if text is not None:
            cs.deleted[path] = text
    return cs


def parse(text: str | None) -> ast.Module | None:
    # Beyond the default max_file_size a file is not analysed (it fails "every Python file analysed"):
    # walking its tree here would only cost minutes.
    if text is None or len(text) > DEFAULT_MAX_FILE_SIZE:
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None
