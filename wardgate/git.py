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

from unidiff.patch import PatchSet

from reports.stats import DiffStats

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class DiffError(Exception):
    """BASE is not a revision, or git failed (exit 2)."""


@dataclass
class Diff:
    base: str  # what was compared against, for the report
    ref: str = ""  # the revision the old side is read from: BASE, HEAD (--staged) or the empty tree
    changed: dict[str, set[int]] = field(default_factory=dict)  # path -> changed lines (new numbering)
    renamed: dict[str, str] = field(default_factory=dict)  # new path -> old path
    deleted: set[str] = field(default_factory=set)
    binary: set[str] = field(default_factory=set)
    note: str = ""
    staged: bool = False  # the new side is the index, not the working tree

    def touches(self, path: str, start: int, end: int) -> bool:
        return any(start <= n <= end for n in self.changed.get(path, ()))

    def stats(self) -> DiffStats:
        return DiffStats(base=self.base, files_changed=len(self.changed), renamed=len(self.renamed),
                         deleted=len(self.deleted), binary=len(self.binary), note=self.note)


# -- the one way wardgate runs git


def run(root: Path, *args: str, data: bytes | None = None, timeout: float = 300) -> bytes | None:
    """git's stdout, or None when git failed (or is missing, or timed out)."""
    try:
        proc = subprocess.run(["git", *args], cwd=root, input=data, capture_output=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 else None


def text(root: Path, *args: str, errors: str = "surrogateescape", timeout: float = 300) -> str | None:
    """git's stdout as text (paths keep undecodable bytes; pass errors="replace" for file contents)."""
    out = run(root, *args, timeout=timeout)
    return None if out is None else out.decode("utf-8", errors)


def show(root: Path, rev: str, rel: str) -> str | None:
    """The text of `rel` at `rev` (`:rel` for the index when rev is ""), or None when it is not there."""
    return text(root, "show", f"{rev}:{rel}", errors="replace")


def _checked(root: Path, *args: str) -> str:
    """git's stdout as text; DiffError (exit 2) when git failed."""
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise DiffError(f"git {' '.join(args)}: {proc.stderr.decode('utf-8', 'replace').strip() or proc.returncode}")
    return proc.stdout.decode("utf-8", "surrogateescape")


def has_commit(root: Path, rev: str = "HEAD") -> bool:
    return bool((text(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}") or "").strip())


def default_base(root: Path) -> str | None:
    """The merge base of HEAD with origin/HEAD, else main, else master; None without commits."""
    if not has_commit(root):
        return None
    for ref in ("origin/HEAD", "main", "master"):
        if has_commit(root, ref):
            mb = (text(root, "merge-base", ref, "HEAD") or "").strip()
            if mb:
                return mb
    return "HEAD"


def resolve_base(root: Path, base: str | None = None, *, staged: bool = False) -> tuple[str, str]:
    """(the revision the change is compared with, a note): `--staged` compares with HEAD, `--diff`
    with BASE or the default base; the empty tree before the first commit."""
    if (text(root, "rev-parse", "--is-inside-work-tree") or "").strip() != "true":
        raise DiffError(f"{root} is not inside a git repository: --diff/--staged need one")
    if staged:
        return ("HEAD" if has_commit(root) else EMPTY_TREE), ""
    if base is None:
        base = default_base(root)
        if base is None:
            return EMPTY_TREE, "no commits yet: every file is new"
    elif not has_commit(root, base):
        raise DiffError(f"--diff {base}: not a commit in this repository")
    return base, ""


def changed_lines(root: Path, base: str | None = None, *, staged: bool = False) -> Diff:
    base, note = resolve_base(root, base, staged=staged)
    if staged:
        patch = _checked(root, "diff", "--cached", "--unified=0", "-M", "--no-color", "--no-ext-diff", base)
        diff = _parse(patch, base="index vs " + ("HEAD" if base == "HEAD" else "empty tree"))
        diff.ref, diff.staged = base, True
        return diff
    patch = _checked(root, "diff", "--unified=0", "-M", "--no-color", "--no-ext-diff", base)
    diff = _parse(patch, base=base)
    diff.ref, diff.note = base, note
    for rel in (text(root, "ls-files", "-z", "--others", "--exclude-standard") or "").split("\0"):
        if rel and (root / rel).is_file():
            try:
                n = len((root / rel).read_bytes().splitlines())
            except OSError:
                continue
            diff.changed[rel] = set(range(1, n + 1))
    return diff


def _parse(patch: str, base: str) -> Diff:
    diff = Diff(base=base)
    for pf in PatchSet(patch):
        path = pf.path
        if pf.is_removed_file:
            diff.deleted.add(pf.source_file.removeprefix("a/"))
            continue
        if pf.is_binary_file:
            diff.binary.add(path)
            continue
        if pf.is_rename:
            src = pf.source_file.removeprefix("a/")
            diff.renamed[path] = src
        lines = diff.changed.setdefault(path, set())
        for hunk in pf:
            if hunk.target_length == 0:  # pure deletion after line target_start
                lines.update(n for n in (hunk.target_start, hunk.target_start + 1) if n >= 1)
            else:
                lines.update(range(hunk.target_start, hunk.target_start + hunk.target_length))
    return diff
