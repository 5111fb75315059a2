"""Finding the scan root and the files to analyse."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from checks.config_files import is_config_file
from checks.env_files import is_env_file
from checks.pathmatch import path_matches, path_patterns

from . import git


def git_toplevel(path: Path) -> Path | None:
    top = (git.text(path if path.is_dir() else path.parent, "rev-parse", "--show-toplevel", timeout=30) or "").strip()
    return Path(top).resolve() if top else None


def scan_root(targets: Sequence[Path]) -> Path:
    """The git top-level of the first target; else the current directory if it contains the
    targets; else the first target itself (DESIGN.md: paths are relative to the scan root)."""
    first = (targets[0] if targets else Path(".")).resolve()
    top = git_toplevel(first)
    if top is not None:
        return top
    cwd = Path.cwd().resolve()
    if all(_within(t.resolve(), cwd) for t in targets):
        return cwd
    return first if first.is_dir() else first.parent


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def collect_files(root: Path, targets: Sequence[Path], include: Sequence[str], exclude: Sequence[str],
                  special: bool = True) -> list[str]:
    """POSIX paths relative to `root` of the Python files under `targets`, sorted.

    Inside git, untracked-but-ignored files (per .gitignore) are skipped, as every tool does. `special=False`
    skips looking for FIFOs, sockets and devices (a diff run analyses only changed files, which git never lists
    as such)."""
    rels: set[str] = set()
    in_git = (root / ".git").exists()
    included, excluded = path_patterns(tuple(include)), path_patterns(tuple(exclude))
    for target in targets:
        target = target.resolve()
        if target.is_file() or target.is_symlink():
            rel = target.relative_to(root).as_posix() if _within(target, root) else target.as_posix()
            rels.add(rel)  # an explicitly named file is analysed even if excluded
            continue
        if not target.exists():
            continue
        listed = _git_files(root, target, keep=included.matches) if in_git else None
        if listed is not None and special:  # git lists no FIFOs, sockets or devices: they are reported, not skipped
            listed += [rel for rel in _special_files(root, target, exclude) if included.matches(rel)]
        for rel in listed if listed is not None else _walk(root, target, exclude):
            if included.matches(rel) and not excluded.matches(rel):
                rels.add(rel)
    return sorted(rels)


def is_settings_file(rel: str) -> bool:
    """A file read for committed credentials besides Python: dotenv (WG107) and YAML configuration (WG110)."""
    return is_env_file(rel) or is_config_file(rel)


def collect_env_files(root: Path, targets: Sequence[Path], exclude: Sequence[str],
                      among: Iterable[str] | None = None) -> list[str]:
    """POSIX paths relative to `root` of the dotenv and YAML configuration files under `targets`
    (checks/env_files.py, checks/config_files.py), sorted. Inside
    git only committed or untracked-but-not-ignored ones: a `.env` in .gitignore is where it belongs. With
    `among` (a diff run's changed paths, which git already listed) only those are considered."""
    if among is not None:
        folders = [t.resolve() for t in targets]
        return sorted(rel for rel in among if is_settings_file(rel) and not path_matches(rel, exclude)
                      and (root / rel).is_file() and any(_within(root / rel, f) or root / rel == f for f in folders))
    rels: set[str] = set()
    in_git = (root / ".git").exists()
    for target in targets:
        target = target.resolve()
        if target.is_file() and _within(target, root):
            rel = target.relative_to(root).as_posix()
            if is_settings_file(rel):
                rels.add(rel)
            continue
        if not target.is_dir():
            continue
        listed = _git_files(root, target, _ENV_PATHSPECS, keep=is_settings_file) if in_git else None
        for rel in listed if listed is not None else _walk(root, target, exclude):
            if is_settings_file(rel) and not path_matches(rel, exclude):
                rels.add(rel)
    return sorted(rels)


def _special_files(root: Path, target: Path, exclude: Sequence[str]) -> list[str]:
    """The files under `target` (as `_walk` finds them) that are not regular files, folders or symlinks: FIFOs,
    sockets, devices. Told from the folder listings' own entry types (never opened, and not stat'ed one by
    one where the file system gives the type: a real repository has ten times more files than Python files)."""
    excluded = path_patterns(tuple(exclude))
    out: list[str] = []
    folders = [str(target)]
    while folders:
        folder = folders.pop()
        rel_folder = Path(folder).relative_to(root).as_posix()
        prefix = "" if rel_folder == "." else rel_folder + "/"
        try:
            with os.scandir(folder) as entries:
                listing = list(entries)
        except OSError:  # as os.walk: a folder that cannot be listed is skipped
            continue
        for entry in listing:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not excluded.covers_folder(f"{prefix}{entry.name}/"):
                        folders.append(entry.path)
                elif not (entry.is_file(follow_symlinks=False) or entry.is_symlink()):
                    out.append(f"{prefix}{entry.name}")
            except OSError:  # gone meanwhile
                continue
    return out


def _git_files(root: Path, target: Path, patterns: Sequence[str] = (),
               keep: Callable[[str], bool] | None = None) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files under `target` that still exist (only those `keep` accepts
    are checked: a real repository has ten times more files than Python files)."""
    specs = [f":(glob){(target.relative_to(root) / p).as_posix()}" if target != root else f":(glob){p}"
             for p in patterns] if patterns and _within(target, root) else [str(target)]
    listed = git.run(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *specs,
                     timeout=120)
    if listed is None:
        return None
    out = []
    for raw in listed.split(b"\0"):
        if raw:
            rel = raw.decode("utf-8", "surrogateescape")
            if (keep is None or keep(rel)) and os.path.lexists(os.path.join(root, rel)):  # not deleted while still in the index
                out.append(rel)
    return out


_ENV_PATHSPECS = ("**/.env", "**/.env.*", "**/*.env", "**/*.yml", "**/*.yaml")


def _walk(root: Path, target: Path, exclude: Sequence[str]) -> Iterable[str]:
    excluded = path_patterns(tuple(exclude))
    for folder, dirs, files in os.walk(target):
        rel_folder = Path(folder).relative_to(root).as_posix()
        prefix = "" if rel_folder == "." else rel_folder + "/"
        dirs[:] = sorted(d for d in dirs if not excluded.covers_folder(f"{prefix}{d}/"))
        for name in files:
            yield f"{prefix}{name}"
