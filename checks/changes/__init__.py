"""Change-aware rules: judge what a change does, compared with its base (`--diff BASE`, `--staged`).

`compare()` is the pure part: given the changed files' texts at both refs and the head's per-file
facts, it rebuilds the base's project model (unchanged files share the head's facts; the changed
files' base versions are collected afresh, or come from `base_facts`, which wardgate/changes.py
backs with a cache keyed by git blob hash) and runs every change rule. Reading git is the driver's
job (wardgate/changes.py); nothing here runs a process.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..finding import Finding
from ..index import Collector, FileFacts, ProjectIndex, merge_facts
from ..names import ImportMap
from ..rulemeta import RuleMeta
from ..source import SourceFile, import_root_depth, parse_into
from ..vocabulary import Vocabulary
from ..walk import memoized
from . import (
    audit_removed,
    authorization_weakened,
    breaking_change,
    destructive_migration,
    phi_exposure_added,
    safety_limit_loosened,
)
from .base import ChangeRule, ChangeSet, Dangerous, FileDelta, Refactor

__all__ = ["ALL_CHANGE_RULES", "DATA_SUFFIXES", "ChangeRule", "ChangeRun", "ChangeSet", "Dangerous", "FileDelta", "Refactor", "Version",
           "change_meta", "collect_text", "compare", "source_of"]

ALL_CHANGE_RULES: tuple[type[ChangeRule], ...] = (
    safety_limit_loosened.SafetyLimitLoosened,
    authorization_weakened.AuthorizationWeakened,
    audit_removed.AuditRemoved,
    phi_exposure_added.PhiExposureAdded,
    destructive_migration.DestructiveMigration,
    breaking_change.BreakingChange,
)


DATA_SUFFIXES = (".json", ".yaml", ".yml")  # formulary and other clinical data files


@dataclass
class ChangeRun:
    findings: list[Finding]
    errors: list[str]  # a rule that crashed: the run fails closed
    changes: ChangeSet  # both refs' facts, for approval routing (wardgate/approvals/)


@dataclass
class Version:
    """A changed file as the driver read it: paths and texts at both refs, changed head lines."""

    path: str
    old_path: str | None
    before: str | None
    after: str | None
    lines: set[int]


def change_meta(rule: type[ChangeRule]) -> RuleMeta:
    return RuleMeta(id=rule.code, name=rule.name, category=rule.category, severity=rule.severity, tool="wardgate",
                    summary=rule.summary, doc=rule.documentation(), cwe=rule.cwe, hipaa=rule.hipaa,
                    confidence=rule.confidence.value, tags=("change",))


def source_of(root: Path, rel: str, text: str | None) -> SourceFile | None:
    if text is None:
        return None
    src = SourceFile(path=rel, text=text, package_depth=import_root_depth(root, rel))
    parse_into(src)
    return src


def collect_text(src: SourceFile | None, collectors: Sequence[Collector], vocab: Vocabulary) -> dict[str, Any] | None:
    """The per-file facts of one version of a file (None when it does not parse)."""
    if src is None or src.tree is None:
        return None
    imports = ImportMap.build(src.tree, src.module, src.is_package_init, src.nodes)
    facts: dict[str, Any] = {}
    for c in collectors:
        try:
            facts[c.name] = c.collect(src, imports, vocab)
        except Exception:  # noqa: BLE001 - a collector failing on the base leaves that fact unknown
            facts[c.name] = None
    return facts


BaseFacts = Callable[[SourceFile], "dict[str, Any] | None"]
Merge = Callable[[list[tuple[str, FileFacts]]], ProjectIndex]


def compare(root: Path, versions: Sequence[Version], *, head: ProjectIndex,
            head_per_file: Sequence[tuple[str, FileFacts]], vocab: Vocabulary,
            collectors: Sequence[Collector], files: Sequence[str] = (),
            read_head: Callable[[str], str | None] | None = None, base_facts: BaseFacts | None = None,
            rules: Sequence[type[ChangeRule]] = ALL_CHANGE_RULES, merge: Merge | None = None) -> ChangeRun:
    """Run the change rules; a rule that crashes is an error, never silence. `merge` merges the base's
    per-file facts (default: merge_facts; the driver's may take the model from its cache)."""
    py = [v for v in versions if (v.old_path or v.path).endswith(".py") or v.path.endswith(".py")]
    data: dict[str, FileDelta] = {}
    for v in versions:
        if v.path.endswith(DATA_SUFFIXES):
            before = SourceFile(path=v.old_path, text=v.before) if v.old_path and v.before is not None else None
            after = SourceFile(path=v.path, text=v.after) if v.after is not None else None
            data[v.path] = FileDelta(path=v.path, old_path=v.old_path, before=before, after=after, lines=set(v.lines))
    deltas: dict[str, FileDelta] = {}
    for v in py:
        before = source_of(root, v.old_path, v.before) if v.old_path else None
        after = source_of(root, v.path, v.after)
        deltas[v.path] = FileDelta(path=v.path, old_path=v.old_path, before=before, after=after, lines=set(v.lines))
    base = _base_index(deltas, head_per_file, vocab, collectors, base_facts, merge)
    changes = ChangeSet(deltas=deltas, base=base, head=head, vocab=vocab, files=list(files),
                        read_head=read_head or (lambda rel: None), data=data)
    findings: list[Finding] = []
    errors: list[str] = []
    with memoized():  # the rules walk the same functions of the same trees
        for rule in rules:
            try:
                findings.extend(rule(changes).run())
            except Exception as exc:  # noqa: BLE001 - reported; the run then fails closed (exit 3)
                import traceback

                errors.append(f"change rule {rule.code} crashed: {exc!r}\n{traceback.format_exc(limit=6)}")
    return ChangeRun(findings, errors, changes)


def _base_index(deltas: dict[str, FileDelta], head_per_file: Sequence[tuple[str, FileFacts]],
                vocab: Vocabulary, collectors: Sequence[Collector], base_facts: BaseFacts | None,
                merge: Merge | None = None) -> ProjectIndex:
    """The base's project model: the head's facts of every unchanged file, the base facts of the changed ones."""
    changed_head = set(deltas)
    changed_base = {d.old_path for d in deltas.values() if d.old_path}
    # Shared with the head's model, not copied: no merge, change rule or check mutates per-file facts
    # (tests/changes/test_copy_free_merge.py).
    per_file = [(p, f) for p, f in head_per_file if p not in changed_head and p not in changed_base]
    for d in deltas.values():
        if d.before is None or d.before.tree is None or d.old_path is None:
            continue
        facts = base_facts(d.before) if base_facts is not None else collect_text(d.before, collectors, vocab)
        if facts:
            per_file.append((d.old_path, facts))
    return merge(per_file) if merge is not None else merge_facts(tuple(collectors), per_file, vocab)
