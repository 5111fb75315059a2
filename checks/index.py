"""The project index: facts gathered from every file before any check runs.

Registration often lives far from what it registers (`auditlog.register(LabResult)` in
`clinic/auditing.py`, DRF defaults in settings). So the engine runs in two phases:
1. each file's collectors extract small, picklable facts (in the process pool);
2. the facts are merged into one `ProjectIndex`, which every check then sees.

A collector is a plain object with `name`, `collect(src, imports)` and `merge(per_file)`;
`checks/facts/` holds them and `COLLECTORS` in `checks/facts/__init__.py` lists them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .names import ImportMap
    from .source import SourceFile
    from .vocabulary import Vocabulary


# One file's facts by collector name: a dict, or a cached file's facts still pickled (checks/engine.py).
FileFacts = Mapping[str, Any]


class Collector(Protocol):
    name: str

    def collect(self, src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> Any:
        """Facts of one file (picklable), or None when the file has none."""

    def merge(self, per_file: dict[str, Any], vocab: Vocabulary) -> Any:
        """Combine the facts of all files (keyed by path) into the project-wide fact."""


@dataclass
class ProjectIndex:
    facts: dict[str, Any] = field(default_factory=dict)

    def fact(self, name: str) -> Any:
        return self.facts.get(name)


def merge_facts(
    collectors: tuple[Collector, ...], per_file: list[tuple[str, FileFacts]], vocab: Vocabulary
) -> ProjectIndex:
    index = ProjectIndex()
    for c in collectors:
        items = {path: facts[c.name] for path, facts in per_file if facts.get(c.name) is not None}
        index.facts[c.name] = c.merge(items, vocab)
    return index
