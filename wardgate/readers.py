"""Reading the scanned files' text for the report: never blocking on a FIFO, never outside the root."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from checks.finding import Finding
from checks.source import read_regular

_NO_LIMIT = 1 << 40  # the report reads any size; the checks applied max_file_size already


def text_reader(root: Path) -> Callable[[str], str | None]:
    def read(rel: str) -> str | None:  # never blocks on a FIFO, never reads outside the root
        data = read_regular(root, rel, _NO_LIMIT)
        return None if isinstance(data, Finding) else data.decode("utf-8", "replace")

    return read


def line_reader(root: Path) -> Callable[[str], list[str] | None]:
    read_text = text_reader(root)

    def read(rel: str) -> list[str] | None:
        text = read_text(rel)
        return text.splitlines() if text is not None else None

    return read
