"""`--shard I/N`: a deterministic partition of the files, by a hash of each path, so parallel
runs (a CI matrix) cover every file exactly once; `wardgate merge` joins their reports."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable


def parse(spec: str) -> tuple[int, int]:
    """"2/4" -> (2, 4); raises ValueError with a readable message."""
    i, sep, n = spec.partition("/")
    try:
        index, total = int(i), int(n)
    except ValueError:
        raise ValueError(f"--shard {spec!r}: expected I/N, e.g. 1/4") from None
    if not sep or total < 1 or not 1 <= index <= total:
        raise ValueError(f"--shard {spec!r}: need 1 <= I <= N")
    return index, total


def shard_of(path: str, total: int) -> int:
    """1-based shard of a POSIX path."""
    return int(hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:12], 16) % total + 1


def select(paths: Iterable[str], index: int, total: int) -> list[str]:
    return [p for p in paths if shard_of(p, total) == index]
