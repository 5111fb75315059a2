"""Path patterns with .gitignore semantics (through pathspec), for every list of paths in the config.

`include`, `exclude`, `allow_unanalysed`, suppression entries, approval and coverage paths all mean the same
thing by a pattern, so a user who knows .gitignore knows them all (docs/configuration.md, "Path patterns"):
a pattern without a `/` (`migrations`, `*.py`) matches at any depth, one with a `/` is anchored at the scan
root, `**` spans folders, `[0-9]` is a character class, and `!` re-includes what an earlier pattern matched
(the last pattern that matches decides). Paths are POSIX and relative to the scan root; a folder is written
with a trailing `/`.

It lives in `checks` (the lowest layer) so that `reports` and `wardgate` share it without `reports`
importing `wardgate`.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Annotated

import pathspec
from pydantic import AfterValidator


class PathPatterns:
    """A compiled list of patterns. Empty, or only `!` patterns: matches nothing."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._spec = pathspec.GitIgnoreSpec.from_lines(self.patterns)
        # Indices of the `!` patterns, which can take back what an earlier pattern matched.
        self._last_negation = max((i for i, p in enumerate(self._spec.patterns) if p.include is False), default=-1)
        # `*.py` and `**/*.py` (the default include) match a path one of whose parts ends so: the same answer as
        # pathspec's, without its cost on each of a large repository's files
        suffixes = [p.removeprefix("**/").removeprefix("*") for p in self.patterns]
        plain = all(p.startswith(("*.", "**/*.")) and not _GLOB.intersection(sfx) for p, sfx in zip(self.patterns, suffixes))
        self._suffixes = tuple(suffixes) if plain and self.patterns else None

    def matches(self, rel: str) -> bool:
        if self._suffixes is not None:
            return any(part.endswith(self._suffixes) for part in rel.split("/"))
        return bool(self._spec.match_file(rel))  # pathspec 0.12 returns None for "no pattern matched"

    def covers_folder(self, rel_folder: str) -> bool:
        """True when the folder and everything beneath it match, so a walk need not enter it.

        A pattern that matches a folder matches all paths under it too; only a later `!` pattern could take
        one of them back, so the folder is covered when the pattern that decided comes after every `!`."""
        result = self._spec.check_file(rel_folder.rstrip("/") + "/")
        return bool(result.include) and result.index is not None and result.index > self._last_negation


_GLOB = frozenset("*?[]!\\/")


@lru_cache(maxsize=256)
def path_patterns(patterns: tuple[str, ...]) -> PathPatterns:
    return PathPatterns(patterns)


def path_matches(rel: str, patterns: Iterable[str]) -> bool:
    """Whether the POSIX path `rel` (relative to the scan root) matches the pattern list."""
    return path_patterns(tuple(patterns)).matches(rel)


def _valid(pattern: str) -> str:
    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except ValueError as exc:  # pathspec's pattern errors are ValueErrors
        raise ValueError(f"{pattern!r} is not a .gitignore pattern ({exc})") from None
    return pattern


# A config field holding a path pattern: a bad one is a configuration error (exit 2), not a crash mid-run.
PathPattern = Annotated[str, AfterValidator(_valid)]
