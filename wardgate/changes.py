"""Change-aware checks in diff mode: read each changed file's base version from git and run the change
rules (checks/changes/) on base vs head.

The head's project model is the one the run already built. The base's is rebuilt from it: every
unchanged file keeps the head's per-file facts, and each changed file's base version is collected
afresh, or taken from the cache keyed by its git blob id (`.wardgate-cache/change-facts-*.pickle`):
a pull request's base blobs are the same on every push, so later runs of the same PR collect nothing.
Base blobs are read with one `git cat-file --batch`, never one process per file.
"""
from __future__ import annotations

import hashlib
import pickle
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks.changes import DATA_SUFFIXES, ChangeRun, Version, collect_text, compare
from checks.engine import run_on_source
from checks.facts import COLLECTORS
from checks.index import FileFacts, ProjectIndex, merge_facts
from checks.source import SourceFile, decode_python
from reports.stats import ChangeStats

from . import git
from .git import EMPTY_TREE, Diff

if TYPE_CHECKING:
    from checks.base import Check
    from checks.cache import Cache
    from checks.engine import EngineResult
    from checks.finding import Finding

    from .config import Config


def blob_ids(root: Path, ref: str, paths: list[str]) -> dict[str, str]:
    """path -> blob id at `ref` (paths absent there are left out)."""
    if not paths or ref == EMPTY_TREE:
        return {}
    out = git.run(root, "ls-tree", "-r", "-z", ref, "--", *paths) or b""
    ids: dict[str, str] = {}
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            ids[path.decode("utf-8", "surrogateescape")] = parts[2].decode()
    return ids


def read_blobs(root: Path, names: list[str]) -> dict[str, bytes]:
    """Object name (blob id, or `:path` for the index) -> content, with one `git cat-file --batch`."""
    if not names:
        return {}
    out = git.run(root, "cat-file", "--batch", data="".join(f"{n}\n" for n in names).encode()) or b""
    blobs: dict[str, bytes] = {}
    pos = 0
    for name in names:
        nl = out.find(b"\n", pos)
        if nl < 0:
            break
        header = out[pos:nl].split()
        pos = nl + 1
        if len(header) != 3 or header[1] != b"blob":
            continue  # "<name> missing"
        size = int(header[2])
        blobs[name] = out[pos:pos + size]
        pos += size + 1
    return blobs


def _text(data: bytes | None, max_size: int) -> str | None:
    if data is None or len(data) > max_size or b"\x00" in data[:8192]:
        return None
    try:
        return decode_python(data)
    except (UnicodeDecodeError, SyntaxError, LookupError):
        return None


def change_findings(root: Path, diff: Diff, engine: EngineResult, config: Config, cache: Cache | None,
                    files: list[str], *, staged: bool) -> tuple[ChangeRun, ChangeStats]:
    """-> (the change rules' run: findings, errors, both refs' facts; stats) for the diff."""
    started = time.perf_counter()
    ref = diff.ref
    wanted_suffixes = (".py", *DATA_SUFFIXES)
    py_changed = {p: lines for p, lines in diff.changed.items() if p.endswith(wanted_suffixes)}
    deleted = sorted(p for p in diff.deleted if p.endswith(wanted_suffixes))
    old_paths = {p: diff.renamed.get(p, p) for p in py_changed}
    ids = blob_ids(root, ref, sorted({*old_paths.values(), *deleted}))
    wanted = sorted(set(ids.values()))
    heads = [f":{p}" for p in py_changed] if staged else []
    blobs = read_blobs(root, wanted + heads)
    max_size = config.max_file_size
    versions: list[Version] = []
    for path, lines in py_changed.items():
        old = old_paths[path]
        before = _text(blobs.get(ids[old]), max_size) if old in ids else None
        if staged:
            after = _text(blobs.get(f":{path}"), max_size)
        else:
            try:
                after = _text((root / path).read_bytes(), max_size)
            except OSError:
                after = None
        versions.append(Version(path=path, old_path=old if before is not None else None, before=before,
                                after=after, lines=set(lines)))
    for path in deleted:
        before = _text(blobs.get(ids[path]), max_size) if path in ids else None
        if before is not None:
            versions.append(Version(path=path, old_path=path, before=before, after=None, lines=set()))

    store, namespace = None, ""
    if cache is not None:
        from checks.cache import facts_namespace

        namespace = facts_namespace(config.domain, max_size, COLLECTORS)
        store = cache.store(f"change-facts-{namespace}.pickle")
    counts = {"base_facts_cached": 0, "base_facts_collected": 0}
    by_path = {v.old_path: ids.get(v.old_path or "") for v in versions if v.old_path}
    # The digests of the base's per-file facts (the merged base model's cache key): the head's for the
    # unchanged files; each changed file's own, once its base facts are known to the cache.
    digests = dict(engine.digests)

    def base_facts(src: SourceFile) -> dict[str, Any] | None:
        blob = by_path.get(src.path)
        key = (src.path, blob)
        digests.pop(src.path, None)  # never the head version's digest for the base version's facts
        if store is not None and blob:
            hit = store.get(key)
            if hit is not None:
                counts["base_facts_cached"] += 1
                digests[src.path] = hashlib.sha256(hit).hexdigest()
                cached: dict[str, Any] = pickle.loads(hit)  # signed, see checks/cache.py
                return cached
        facts = collect_text(src, COLLECTORS, config.domain)
        counts["base_facts_collected"] += 1
        if store is not None and blob and facts is not None:
            data = pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL)
            store.put(key, data)
            digests[src.path] = hashlib.sha256(data).hexdigest()
        return facts

    def merge(per_file: list[tuple[str, FileFacts]]) -> ProjectIndex:
        def fresh() -> ProjectIndex:
            return merge_facts(tuple(COLLECTORS), per_file, config.domain)
        return fresh() if cache is None else cache.merged(namespace, per_file, digests, fresh)

    def read_head(rel: str) -> str | None:
        try:
            return (root / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    done = compare(root, versions, head=engine.project, head_per_file=engine.per_file,
                               vocab=config.domain, collectors=COLLECTORS, files=files, read_head=read_head,
                               base_facts=base_facts, merge=merge)
    stats = ChangeStats(base=ref, files=len(versions), **counts, findings=len(done.findings),
                        seconds=round(time.perf_counter() - started, 3))
    return done, stats


def mark_found_at_base(findings: list[Finding], run: ChangeRun | None, checks: Sequence[type[Check]]) -> list[Finding]:
    """Findings of wardgate's own checks that the base version of the same file has too (same rule,
    same message: a reformat or a move put an old problem on changed lines) get
    `properties.at_base`. They still count for the gate; approval routing skips them, because the
    change did not cause them."""
    if run is None or not findings:
        return findings
    changes = run.changes
    # Only the checks that reported on a changed file run on its base version: every finding of a
    # check carries its code as rule_id, and checks do not depend on one another.
    reported: dict[str, set[str]] = {}
    for f in findings:
        if f.tool == "wardgate":
            reported.setdefault(f.path, set()).add(f.rule_id)
    seen: set[tuple[str, str, str]] = set()
    for d in changes.deltas.values():
        if d.before is None or d.before.tree is None or d.after is None:
            continue
        wanted = [c for c in checks if c.code in reported.get(d.path, ())]
        if not wanted:
            continue
        found, _errors = run_on_source(d.before, wanted, changes.base, changes.vocab)
        seen.update((f.rule_id, d.path, f.message) for f in found)
    if not seen:
        return findings
    return [f.model_copy(update={"properties": {**f.properties, "at_base": True}})
            if f.tool == "wardgate" and (f.rule_id, f.path, f.message) in seen else f for f in findings]
