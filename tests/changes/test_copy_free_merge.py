"""The base's project model shares the head's per-file facts instead of copying them
(checks/changes/__init__.py `_base_index`). That is safe only while nothing mutates them: no collector's
merge, no change rule, no check run on either model. This runs all of them on a real-sized project
with changes that alter facts, and asserts the per-file facts are byte-for-byte what they were."""
from __future__ import annotations

import pickle
import re
from pathlib import Path

from checks.changes import Version, compare
from checks.engine import run_checks, run_on_source
from checks.facts import COLLECTORS
from checks.index import merge_facts
from checks.registry import ALL_CHECKS
from checks.vocabulary import Vocabulary

CORPUS = Path(__file__).resolve().parents[1] / "corpora" / "riverside_hospital"
# Lines whose removal changes facts the change rules compare: permissions, audit registration, limits.
DROPPED = re.compile(r"permission_classes|permission_required|login_required|auditlog|register|max_value|"
                     r"MaxValueValidator|fields = ")


def _versions(paths: list[str]) -> list[Version]:
    out = []
    for rel in paths:
        after = (CORPUS / rel).read_text(encoding="utf-8")
        before = "".join(line for line in after.splitlines(keepends=True) if not DROPPED.search(line))
        if before != after:  # the change adds those lines back: every rule has something to compare
            out.append(Version(path=rel, old_path=rel, before=before, after=after, lines=set()))
    return out


def test_merges_rules_and_checks_leave_the_per_file_facts_alone() -> None:
    vocab = Vocabulary()
    paths = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.py"))
    head = run_checks(CORPUS, paths, vocab=vocab, checks=ALL_CHECKS, collectors=COLLECTORS, jobs=1)
    snapshot = pickle.dumps(head.per_file, protocol=pickle.HIGHEST_PROTOCOL)
    versions = _versions(paths)
    assert len(versions) >= 5

    def run() -> list[tuple[str, str, int, str]]:
        done = compare(CORPUS, versions, head=head.project, head_per_file=head.per_file, vocab=vocab,
                       collectors=COLLECTORS, files=paths)
        assert done.errors == []
        found = list(done.findings)
        for d in done.changes.deltas.values():  # every check on both versions, as mark_found_at_base does
            for src, project in ((d.before, done.changes.base), (d.after, head.project)):
                if src is not None and src.tree is not None:
                    found.extend(run_on_source(src, ALL_CHECKS, project, vocab)[0])
        merge_facts(COLLECTORS, head.per_file, vocab)
        return sorted((f.rule_id, f.path, f.start_line, f.message) for f in found)

    first = run()
    assert any(f[0].startswith("WG8") for f in first), "the changes should trigger change rules"
    assert pickle.dumps(head.per_file, protocol=pickle.HIGHEST_PROTOCOL) == snapshot
    assert run() == first  # and a second run, on the same shared facts, finds the same
