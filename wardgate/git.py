"""Diff handling for diff-aware gating: which lines of which files changed.

`--diff BASE` compares BASE (default: the merge base of HEAD with the default branch:
origin/HEAD, else main, else master) with the working tree, plus untracked files; `--staged`
compares HEAD (or the empty tree before the first commit) with the index. Parsed with
`unidiff` from `git diff --unified=0 -M`: renamed files keep only their edited lines, deleted
and binary files drop out, and a pure deletion marks the lines around it (a function that lost
its audit call is changed).
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from unidiff import PatchSet

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class DiffError(Exception):
    """BASE is not a revision, or git failed (exit 2)."""


@dataclass
class Diff:
    base: str  # what was compared against, for the report
    changed: dict[str, set[int]] = field(default_factory=dict)  # path -> changed lines (new numbering)
    renamed: dict[str, str] = field(default_factory=dict)  # new path -> old path
    deleted: set[str] = field(default_factory=set)
    binary: set[str] = field(default_factory=set)
    note: str = ""

    def touches(self, path: str, start: int, end: int) -> bool:
        lines = self.changed.get(path)
        return bool(lines) and any(start <= n <= end for n in lines)

    def stats(self) -> dict[str, object]:
        return {"base": self.base, "files_changed": len(self.changed), "renamed": len(self.renamed),
                "deleted": len(self.deleted), "binary": len(self.binary), **({"note": self.note} if self.note else {})}


def _git(root: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, encoding="utf-8",
                          errors="surrogateescape", timeout=300)
    if check and proc.returncode != 0:
        raise DiffError(f"git {' '.join(args)}: {proc.stderr.strip() or proc.returncode}")
    return proc.stdout if proc.returncode == 0 else ""


def _has_commit(root: Path, rev: str = "HEAD") -> bool:
    return bool(_git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False).strip())


def default_base(root: Path) -> str | None:
    """The merge base of HEAD with origin/HEAD, else main, else master; None without commits."""
    if not _has_commit(root):
        return None
    for ref in ("origin/HEAD", "main", "master"):
        if _has_commit(root, ref):
            mb = _git(root, "merge-base", ref, "HEAD", check=False).strip()
            if mb:
                return mb
    return "HEAD"


def resolve_base(root: Path, base: str | None = None, *, staged: bool = False) -> tuple[str, str]:
    """(the revision the change is compared with, a note): `--staged` compares with HEAD, `--diff`
    with BASE or the default base; the empty tree before the first commit."""
    if _git(root, "rev-parse", "--is-inside-work-tree", check=False).strip() != "true":
        raise DiffError(f"{root} is not inside a git repository: --diff/--staged need one")
    if staged:
        return ("HEAD" if _has_commit(root) else EMPTY_TREE), ""
    if base is None:
        base = default_base(root)
        if base is None:
            return EMPTY_TREE, "no commits yet: every file is new"
    elif not _has_commit(root, base):
        raise DiffError(f"--diff {base}: not a commit in this repository")
    return base, ""


def changed_lines(root: Path, base: str | None = None, *, staged: bool = False) -> Diff:
    base, note = resolve_base(root, base, staged=staged)
    if staged:
        text = _git(root, "diff", "--cached", "--unified=0", "-M", "--no-color", "--no-ext-diff", base)
        diff = _parse(text, base="index vs " + ("HEAD" if base == "HEAD" else "empty tree"))
        return diff
    text = _git(root, "diff", "--unified=0", "-M", "--no-color", "--no-ext-diff", base)
    diff = _parse(text, base=base)
    diff.note = note
    for rel in _git(root, "ls-files", "-z", "--others", "--exclude-standard").split("\0"):
        if rel and (root / rel).is_file():
            try:
                n = len((root / rel).read_bytes().splitlines())
            except OSError:
                continue
            diff.changed[rel] = set(range(1, n + 1))
    return diff


def _parse(text: str, base: str) -> Diff:
    diff = Diff(base=base)
    for pf in PatchSet(text):
        path = pf.path
        if pf.is_removed_file:
            diff.deleted.add(pf.source_file[2:] if pf.source_file.startswith("a/") else pf.source_file)
            continue
        if pf.is_binary_file:
            diff.binary.add(path)
            continue
        if pf.is_rename:
            src = pf.source_file[2:] if pf.source_file.startswith("a/") else pf.source_file
            diff.renamed[path] = src
        lines = diff.changed.setdefault(path, set())
        for hunk in pf:
            if hunk.target_length == 0:  # pure deletion after line target_start
                lines.update(n for n in (hunk.target_start, hunk.target_start + 1) if n >= 1)
            else:
                lines.update(range(hunk.target_start, hunk.target_start + hunk.target_length))
    return diff
