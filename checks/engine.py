"""Runs wardgate's own checks over a set of files, in two phases, across a process pool.

Phase 1 reads, decodes and parses each file (stdlib `ast`) and runs the fact collectors.
Phase 2 gives every check the merged project index and one shared walk of each file's tree.
The stdlib parser is ~20x cheaper than libcst with metadata (../shared/DESIGN.md), so parsing
again in phase 2 (in whichever worker gets the file) costs less than shipping trees between
processes; libcst is only used where concrete syntax is needed (autofix).
"""
from __future__ import annotations

import ast
import multiprocessing
import os
import pickle
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import Check, FileContext
from .finding import Finding
from .index import Collector, ProjectIndex, merge_facts
from .names import ImportMap
from .source import DEFAULT_MAX_FILE_SIZE, SourceFile, load_source, syntax_problem
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from .cache import Cache

# Below this many files a pool costs more than it saves.
POOL_THRESHOLD = 40


@dataclass
class EngineResult:
    findings: list[Finding] = field(default_factory=list)
    file_problems: list[Finding] = field(default_factory=list)  # one per file that was not analysed
    parsed: list[str] = field(default_factory=list)  # stdlib ast parsed: every tool may see it
    newer_syntax: list[str] = field(default_factory=list)  # only libcst parses it: ruff/semgrep may see it
    errors: list[str] = field(default_factory=list)  # a check crashed: the run must not pass
    project: ProjectIndex = field(default_factory=ProjectIndex)
    hashes: dict[str, str] = field(default_factory=dict)  # sha256 of each file, when a cache is used


@dataclass
class _Settings:
    root: Path
    vocab: Vocabulary
    checks: tuple[type[Check], ...]
    collectors: tuple[Collector, ...]
    max_size: int
    project: ProjectIndex | None = None


_STATE: _Settings | None = None  # per worker process


def _init(settings: _Settings, niceness: int = 0) -> None:
    global _STATE
    _STATE = settings
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)


def _phase1(rel: str) -> tuple[str, str, Any]:
    """-> (path, "ok"|"newer"|"problem", facts | Finding)."""
    st = _STATE
    assert st is not None
    src = load_source(st.root, rel, st.max_size)
    if isinstance(src, Finding):
        return rel, "problem", src
    if src.tree is None:
        problem = syntax_problem(src)
        return rel, ("newer" if problem.rule_id == "WG006" else "problem"), problem
    imports = ImportMap.build(src.tree, src.module, src.is_package_init, src.nodes)
    facts: dict[str, Any] = {}
    for c in st.collectors:
        try:
            facts[c.name] = c.collect(src, imports, st.vocab)
        except Exception:  # noqa: BLE001 - reported as an engine error, the run goes on
            facts[c.name] = None
            facts.setdefault("__errors__", []).append(f"collector {c.name} failed on {rel}: {_tb()}")
    return rel, "ok", facts


def _phase2(rel: str) -> tuple[list[Finding], list[str]]:
    st = _STATE
    assert st is not None and st.project is not None
    src = load_source(st.root, rel, st.max_size)
    if isinstance(src, Finding) or src.tree is None:
        return [], []
    return run_on_source(src, st.checks, st.project, st.vocab)


def run_on_source(
    src: SourceFile, checks: Sequence[type[Check]], project: ProjectIndex, vocab: Vocabulary
) -> tuple[list[Finding], list[str]]:
    """Run `checks` on one parsed file with a single shared walk of its tree."""
    assert src.tree is not None
    active = [c for c in checks if c.applies_to(src)]
    if not active:
        return [], []
    ctx = FileContext(src=src, imports=ImportMap.build(src.tree, src.module, src.is_package_init, src.nodes),
                      project=project, vocab=vocab)
    instances = [c(ctx) for c in active]
    errors: list[str] = []
    broken: set[int] = set()
    enter: dict[type, list[tuple[int, Callable[[Any], None]]]] = {}
    leave: dict[type, list[tuple[int, Callable[[Any], None]]]] = {}

    def handlers(table: dict[type, list[tuple[int, Callable[[Any], None]]]], kind: type, prefix: str):
        if kind not in table:
            table[kind] = [
                (i, getattr(inst, prefix + kind.__name__))
                for i, inst in enumerate(instances)
                if hasattr(inst, prefix + kind.__name__)
            ]
        return table[kind]

    def call(i: int, fn: Callable[[Any], None], node: Any) -> None:
        if i in broken:
            return
        try:
            fn(node)
        except Exception:  # noqa: BLE001 - one broken check must not hide the others' findings
            broken.add(i)
            errors.append(f"check {instances[i].code} crashed on {src.path}: {_tb()}")

    def walk(node: ast.AST) -> None:
        kind = type(node)
        for i, fn in handlers(enter, kind, "visit_"):
            call(i, fn, node)
        for child in ast.iter_child_nodes(node):
            walk(child)
        for i, fn in handlers(leave, kind, "leave_"):
            call(i, fn, node)

    try:
        walk(src.tree)
    except RecursionError:
        errors.append(f"{src.path}: nesting too deep for wardgate's checks")
    findings: list[Finding] = []
    for i, inst in enumerate(instances):
        if i not in broken:
            call(i, lambda _n, inst=inst: inst.finish(), None)
        if i not in broken:
            findings.extend(inst.findings)
    return findings, errors


def run_checks(
    root: Path,
    paths: Sequence[str],
    *,
    vocab: Vocabulary,
    checks: Sequence[type[Check]],
    collectors: Sequence[Collector],
    jobs: int | None = None,
    max_size: int = DEFAULT_MAX_FILE_SIZE,
    check_paths: Iterable[str] | None = None,
    cache: Cache | None = None,
    niceness: int = 0,
) -> EngineResult:
    """Analyse `paths` (relative to `root`). `check_paths` limits phase 2 (diff-aware runs);
    phase 1 always sees every path so project-wide facts stay complete. `niceness` lowers the
    worker processes' priority (the pipeline runs the external tools beside them).
    With a `cache` (checks/cache.py), phase 1 runs only on files whose content it has not seen
    (no process pool at all when every file hit); the project facts are still merged every run."""
    settings = _Settings(root=root, vocab=vocab, checks=tuple(checks), collectors=tuple(collectors),
                         max_size=max_size)
    jobs = jobs or os.cpu_count() or 1
    result = EngineResult()
    per_file: list[tuple[str, dict[str, Any]]] = []
    done: dict[str, tuple[str, str, Any]] = {}
    store = None
    if cache is not None:
        from .cache import facts_namespace

        result.hashes = cache.hashes(root, paths)
        store = cache.store(f"facts-{facts_namespace(vocab, max_size, settings.collectors)}.pickle")
        for rel in paths:
            if rel in result.hashes:
                hit = store.get((rel, result.hashes[rel]))
                if hit is not None:  # stored pickled: merging can never alter the cached facts
                    done[rel] = (rel, hit[0], pickle.loads(hit[1]))  # signed, see checks/cache.py
        cache.stats["facts_hits"] += len(done)
        cache.stats["facts_misses"] += len(paths) - len(done)
    todo = [rel for rel in paths if rel not in done]
    pool = _pool(jobs, len(todo), settings, niceness)
    try:
        mapper = (lambda fn, items: pool.map(fn, items, chunksize=8)) if pool else _inline(settings)
        for rel, status, payload in mapper(_phase1, todo):
            if store is not None and rel in result.hashes and _cacheable(status, payload):
                store.put((rel, result.hashes[rel]), (status, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)))
            done[rel] = (rel, status, payload)
        for rel in paths:
            rel, status, payload = done[rel]
            if status == "ok":
                result.parsed.append(rel)
                result.errors.extend(payload.get("__errors__", []))
                payload = {k: v for k, v in payload.items() if k != "__errors__"}
                per_file.append((rel, payload))
            else:
                result.file_problems.append(payload)
                if status == "newer":
                    result.newer_syntax.append(rel)
        project = merge_facts(settings.collectors, per_file, vocab)
        result.project = project
        settings.project = project
        wanted = None if check_paths is None else set(check_paths)
        targets = [p for p in result.parsed if wanted is None or p in wanted]
        if pool is not None:
            pool.shutdown()
            pool = _pool(jobs, len(targets), settings, niceness)
        mapper = (lambda fn, items: pool.map(fn, items, chunksize=8)) if pool else _inline(settings)
        for found, errors in mapper(_phase2, targets):
            result.findings.extend(found)
            result.errors.extend(errors)
    finally:
        if pool is not None:
            pool.shutdown()
    return result


def _cacheable(status: str, payload: Any) -> bool:
    """Not a collector crash (reported every run) nor an unreadable file (may be readable next time)."""
    if status == "ok":
        return "__errors__" not in payload
    return getattr(payload, "rule_id", None) != "WG001"


def _inline(settings: _Settings) -> Callable[[Callable[[str], Any], list[str]], Iterable[Any]]:
    _init(settings)
    return lambda fn, items: map(fn, items)


def _pool(jobs: int, n: int, settings: _Settings, niceness: int = 0) -> ProcessPoolExecutor | None:
    if jobs <= 1 or n < POOL_THRESHOLD:
        return None
    ctx = multiprocessing.get_context("fork") if os.name == "posix" else None
    return ProcessPoolExecutor(max_workers=min(jobs, n), mp_context=ctx, initializer=_init,
                               initargs=(settings, niceness))


def _tb() -> str:
    return traceback.format_exc(limit=3).strip().splitlines()[-1]
