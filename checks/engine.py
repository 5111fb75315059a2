"""Runs wardgate's own checks over a set of files, in two phases, across worker processes.

Phase 1 reads, decodes and parses each file (stdlib `ast`) and runs the fact collectors.
Phase 2 gives every check the merged project index and one shared walk of each file's tree.
Each worker keeps the files it parsed in phase 1 and runs phase 2 on those same files: the
merged index (about 1 MB pickled for a 1,000-file project) travels to each worker once, instead
of every file being read and parsed twice. Past a memory budget a worker re-parses instead.
libcst is only used where concrete syntax is needed (autofix).
"""
from __future__ import annotations

import ast
import contextlib
import gc
import hashlib
import os
import pickle
import select
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from . import processes
from .base import Check, FileContext
from .facts.environment import collect_environment, lookups_current
from .finding import Finding
from .index import Collector, FileFacts, ProjectIndex, merge_facts
from .names import ImportMap
from .processes import result_of
from .source import (
    DEFAULT_MAX_FILE_SIZE,
    SourceFile,
    load_source,
    python2_problem,
    read_source,
    rewritten_problem,
    syntax_problem,
)
from .vocabulary import Vocabulary
from .walk import memoized

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from .cache import Cache, _Store

# Below this many files worker processes cost more than they save.
POOL_THRESHOLD = 40
T = TypeVar("T")


@dataclass
class EngineResult:
    findings: list[Finding] = field(default_factory=list)
    file_problems: list[Finding] = field(default_factory=list)  # one per file that was not analysed
    parsed: list[str] = field(default_factory=list)  # stdlib ast parsed: every tool may see it
    newer_syntax: list[str] = field(default_factory=list)  # only libcst parses it: ruff/semgrep may see it
    python2: list[str] = field(default_factory=list)  # read through a Python 2 rewrite: no tool analysed it
    errors: list[str] = field(default_factory=list)  # a check crashed: the run must not pass
    project: ProjectIndex = field(default_factory=ProjectIndex)
    hashes: dict[str, str] = field(default_factory=dict)  # sha256 of each file, when a cache is used
    # Each parsed file's own facts, before merging: change-aware runs (checks/changes/) rebuild the
    # base's project model from these plus the base versions of the changed files.
    per_file: list[tuple[str, FileFacts]] = field(default_factory=list)
    # With a cache: path -> sha256 of its per-file facts, pickled (what the merged model is cached by).
    digests: dict[str, str] = field(default_factory=dict)


@dataclass
class _Settings:
    root: Path
    vocab: Vocabulary
    checks: tuple[type[Check], ...]
    collectors: tuple[Collector, ...]
    max_size: int
    project: ProjectIndex | None = None


_STATE: _Settings | None = None  # per worker process
# Parsed files a worker keeps from phase 1 for phase 2, up to KEEP_CHARS characters of source
# (a parsed tree takes about 30 bytes of memory per character of source).
_KEPT: dict[str, SourceFile] = {}
KEEP_CHARS = 16_000_000


def _init(settings: _Settings, niceness: int = 0) -> None:
    global _STATE
    _STATE = settings
    _KEPT.clear()
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)


def _phase1(rels: list[str]) -> list[tuple[str, str, Any]]:
    """-> [(path, "ok"|"unparsed"|"problem", facts | syntax error | Finding)]; parsed files are
    kept for phase 2."""
    st = _STATE
    assert st is not None
    kept = sum(len(s.text) for s in _KEPT.values())
    out = []
    for rel in rels:
        src = load_source(st.root, rel, st.max_size)
        out.append(_collect(st, rel, src))
        if isinstance(src, SourceFile) and src.tree is not None and kept + len(src.text) <= KEEP_CHARS:
            _KEPT[rel] = src
            kept += len(src.text)
            # Kept trees are long-lived and free of reference cycles: out of the cyclic GC's sight,
            # its full collections stop re-walking them all (half of phase 1's time on care).
            gc.freeze()
    return out


def _collect(st: _Settings, rel: str, src: SourceFile | Finding) -> tuple[str, str, Any]:
    if isinstance(src, Finding):
        return rel, "problem", src
    if src.tree is None:  # told apart from newer syntax by `_unparsed`, in the main process
        return rel, "unparsed", src.syntax_error
    imports = ImportMap.build(src.tree, src.module, src.is_package_init, src.nodes)
    facts: dict[str, Any] = {"__newer__": rewritten_problem(src)} if src.rewritten else \
        {"__python2__": python2_problem(src)} if src.python2 else {}
    with memoized():  # collectors walk the same functions
        for c in st.collectors:
            try:
                facts[c.name] = c.collect(src, imports, st.vocab)
            except Exception:  # noqa: BLE001 - reported as an engine error, the run goes on
                facts[c.name] = None
                facts.setdefault("__errors__", []).append(f"collector {c.name} failed on {rel}: {_tb()}")
    return rel, "ok", facts


def _phase2(project: ProjectIndex, rels: list[str]) -> tuple[list[Finding], list[str]]:
    st = _STATE
    assert st is not None
    st.project = project
    findings: list[Finding] = []
    errors: list[str] = []
    for rel in rels:
        src = _KEPT.pop(rel, None) or load_source(st.root, rel, st.max_size)
        if isinstance(src, Finding) or src.tree is None:
            continue
        found, errs = run_on_source(src, st.checks, project, st.vocab)
        findings.extend(found)
        errors.extend(errs)
    _KEPT.clear()
    return findings, errors


def run_on_source(
    src: SourceFile, checks: Sequence[type[Check]], project: ProjectIndex, vocab: Vocabulary
) -> tuple[list[Finding], list[str]]:
    """Run `checks` on one parsed file with a single shared walk of its tree."""
    assert src.tree is not None
    with memoized():  # checks walk the same functions
        return _run_on_source(src, checks, project, vocab)


def _run_on_source(
    src: SourceFile, checks: Sequence[type[Check]], project: ProjectIndex, vocab: Vocabulary
) -> tuple[list[Finding], list[str]]:
    assert src.tree is not None
    active = [c for c in checks if c.applies_to(src)]
    if not active:
        return [], []
    ctx = FileContext(src=src, imports=ImportMap.build(src.tree, src.module, src.is_package_init, src.nodes),
                      project=project, vocab=vocab)
    instances = [c(ctx) for c in active]
    errors: list[str] = []
    broken: set[int] = set()
    Handlers = dict[type, list[tuple[int, Callable[[Any], None]]]]
    enter: Handlers = {}
    leave: Handlers = {}
    for i, inst in enumerate(instances):
        for kind, prefix, method in _handled(type(inst)):
            (enter if prefix == "visit_" else leave).setdefault(kind, []).append((i, getattr(inst, method)))

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
        for i, fn in enter.get(kind, ()):
            call(i, fn, node)
        for name in node._fields:  # the children in `children`'s order, without building its list
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                walk(value)
            elif type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        walk(item)
        for i, fn in leave.get(kind, ()):
            call(i, fn, node)

    try:
        walk(src.tree)
    except RecursionError:
        errors.append(f"{src.path}: nesting too deep for wardgate's checks")
    findings: list[Finding] = []
    for i, inst in enumerate(instances):
        if i not in broken:
            call(i, _finisher(inst), None)
        if i not in broken:
            findings.extend(inst.findings)
    return findings, errors


def _finisher(check: Check) -> Callable[[Any], None]:
    """`check.finish` in the shape of a node handler, so that it crashes as safely as they do."""
    return lambda _node: check.finish()


_HANDLED: dict[type[Check], tuple[tuple[type, str, str], ...]] = {}


def _handled(check: type[Check]) -> tuple[tuple[type, str, str], ...]:
    """(node type, "visit_"|"leave_", method name) of each handler a check class defines (once per class)."""
    if check in _HANDLED:
        return _HANDLED[check]
    out = []
    for method in dir(check):
        prefix, _, kind = method.partition("_")
        node_type = getattr(ast, kind, None)
        if prefix in ("visit", "leave") and isinstance(node_type, type) and issubclass(node_type, ast.AST):
            out.append((node_type, prefix + "_", method))
    _HANDLED[check] = tuple(out)
    return _HANDLED[check]


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
    environment: Sequence[Path] = (),
    meanwhile: Callable[[EngineResult], None] | None = None,
) -> EngineResult:
    """Analyse `paths` (relative to `root`). `check_paths` limits phase 2 (diff-aware runs);
    phase 1 always sees every path so project-wide facts stay complete. `niceness` lowers the
    worker processes' priority (the pipeline runs the external tools beside them).
    With a `cache` (checks/cache.py), phase 1 runs only on files whose content it has not seen
    (no process pool at all when every file hit); the project facts are still merged every run.
    `meanwhile` is called with the result so far (the project model and per-file facts, no findings
    yet) while phase 2 runs: in the worker processes, or in one forked child when there are none."""
    settings = _Settings(root=root, vocab=vocab, checks=tuple(checks), collectors=tuple(collectors),
                         max_size=max_size)
    jobs = jobs or os.cpu_count() or 1
    result = EngineResult()
    done: dict[str, tuple[str, str, Any]] = {}  # rel -> (rel, phase-1 status, facts or problem)
    store, namespace = None, ""
    if cache is not None:
        from .cache import facts_namespace

        namespace = facts_namespace(settings.vocab, settings.max_size, settings.collectors)
        store = _cached_phase1(cache, root, paths, namespace, result, done)
    todo = [rel for rel in paths if rel not in done]
    wanted = None if check_paths is None else set(check_paths)
    work = max(len(todo), len(paths) if wanted is None else len(wanted))  # files in phase 1, or in phase 2
    workers = _Workers(jobs if work >= POOL_THRESHOLD else 1, settings, niceness, root)
    try:
        owner = workers.split(todo)  # worker index -> files; each keeps what it parsed for phase 2
        for batch in workers.map(_phase1, owner):
            for rel, status, payload in batch:
                if status == "unparsed":
                    status, payload = _unparsed(root, rel, max_size, payload)
                if store is not None and rel in result.hashes and _cacheable(status, payload):
                    entry = _cache_entry(status, payload)
                    store.put((rel, result.hashes[rel]), entry)
                    result.digests[rel] = _sha(entry[1])
                done[rel] = (rel, status, payload)
        per_file = _phase1_results([done[rel] for rel in paths if rel in done], result)  # missing: its worker died
        if environment:  # bases from installed packages: read them from the project's environment
            per_file += _environment_facts(settings, list(environment), per_file, result, cache, namespace)
        merge = partial(merge_facts, settings.collectors, per_file, vocab)
        project = merge() if cache is None else cache.merged(namespace, per_file, result.digests, merge)
        result.project = project
        result.per_file = per_file
        targets = [p for p in result.parsed if wanted is None or p in wanted]
        phase2 = workers.start(partial(_phase2, project), _phase2_plan(workers, owner, targets),
                               background=meanwhile is not None)
        if meanwhile is not None:
            meanwhile(result)
        for found, errors in phase2():
            result.findings.extend(found)
            result.errors.extend(errors)
    except BaseException:  # interrupted (SIGTERM, SIGINT): the workers stop now, not after their batch
        workers.kill()
        raise
    finally:
        workers.close()
    result.errors.extend(workers.errors)
    return result


def _cached_phase1(cache: Cache, root: Path, paths: Sequence[str], namespace: str, result: EngineResult,
                   done: dict[str, tuple[str, str, Any]]) -> _Store:
    """Fill `done` with the phase-1 results the cache holds for these files' contents; the store that
    takes the new ones."""
    result.hashes = cache.hashes(root, paths)
    store = cache.store(f"facts-{namespace}.pickle")
    for rel in paths:
        if rel in result.hashes:
            hit = store.get((rel, result.hashes[rel]))
            if hit is not None:  # stored pickled: merging can never alter the cached facts
                status, data, notes = hit
                # A file's facts are unpickled when first read: a warm run whose merged models come from the
                # cache (checks/cache.py) reads none of them.
                done[rel] = (rel, status, _Cached(_PickledFacts(data), notes) if status == "ok"
                             else pickle.loads(data))  # signed, see checks/cache.py
                result.digests[rel] = _sha(data)
    cache.stats["facts_hits"] += len(done)
    cache.stats["facts_misses"] += len(paths) - len(done)
    return store


class _PickledFacts(Mapping[str, Any]):
    """A cached file's facts, unpickled on first use (from a signed cache file, see checks/cache.py)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._facts: dict[str, Any] | None = None

    def _loaded(self) -> dict[str, Any]:
        if self._facts is None:
            self._facts = pickle.loads(self._data)
        return self._facts

    def __getitem__(self, key: str) -> Any:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())

    def __reduce__(self) -> tuple[Any, ...]:  # pickled as the plain dict of facts it stands for
        return dict, (self._loaded(),)


# What phase 1 notes beside a file's facts: the finding that says it was read through a rewrite (WG006, WG016).
_NOTES = ("__newer__", "__python2__")


class _Cached(NamedTuple):
    """Phase 1 of a file, from the cache: its facts and its notes (`_NOTES`)."""

    facts: FileFacts
    notes: dict[str, Finding]


def _split(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Finding]]:
    """A file's phase-1 payload -> (its facts, its notes)."""
    facts = {k: v for k, v in payload.items() if k != "__errors__" and k not in _NOTES}
    return facts, {k: payload[k] for k in _NOTES if k in payload}


def _cache_entry(status: str, payload: Any) -> tuple[str, bytes, dict[str, Finding]]:
    """(status, the pickled facts or problem, the notes): the notes are kept beside the facts so that the facts
    can stay pickled until they are used (`_PickledFacts`)."""
    if status != "ok":
        return status, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL), {}
    facts, notes = _split(payload)
    return status, pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL), notes


def _phase1_results(results: list[tuple[str, str, Any]], result: EngineResult) -> list[tuple[str, FileFacts]]:
    """Each file's facts (returned, in order), or its problem (unparsable, newer syntax...) in `result`."""
    per_file: list[tuple[str, FileFacts]] = []
    for rel, status, payload in results:
        if status == "ok":
            result.parsed.append(rel)
            if isinstance(payload, _Cached):  # never cached with collector errors
                facts, notes = payload.facts, payload.notes
            else:
                result.errors.extend(payload.get("__errors__", []))
                facts, notes = _split(payload)
            if "__newer__" in notes:  # read through a rewrite: the AST-bound tools still skip it
                result.file_problems.append(notes["__newer__"])
                result.newer_syntax.append(rel)
            if "__python2__" in notes:  # read through a rewrite: no tool parses it (stage 1 skips it)
                result.file_problems.append(notes["__python2__"])
                result.python2.append(rel)
            per_file.append((rel, facts))
        else:
            result.file_problems.append(payload)
            if status == "newer":
                result.newer_syntax.append(rel)
    return per_file


def _phase2_plan(workers: _Workers, owner: list[list[str]], targets: list[str]) -> list[list[str]]:
    """Files parsed in phase 1 stay with their worker (it kept their trees); files whose facts came from
    the cache are spread over the workers by size."""
    wanted = set(targets)
    plan = [[rel for rel in files if rel in wanted] for files in owner]
    planned = {rel for files in plan for rel in files}
    for i, extra in enumerate(workers.split([p for p in targets if p not in planned])):
        plan[i].extend(extra)
    return plan


class _Workers:
    """`n` single-process executors, so that a file's phase 2 runs where its phase 1 did
    (a shared pool cannot say which process runs a task). With n == 1 all runs in this process."""

    def __init__(self, n: int, settings: _Settings, niceness: int, root: Path) -> None:
        self.root = root
        self.pools: list[ProcessPoolExecutor] = []
        self.errors: list[str] = []  # workers that died: their files are not analysed
        self.child: int | None = None  # the forked child running phase 2 (`start`), until reaped
        if n <= 1:
            _init(settings)
            return
        # Imported here: a pre-commit run on a few files starts no pool, and these imports cost 10 ms.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("fork") if os.name == "posix" else None
        self.pools = [ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_init,
                                          initargs=(settings, niceness)) for _ in range(n)]

    def split(self, paths: Sequence[str]) -> list[list[str]]:
        """Balanced by file size: the biggest file first, each to the least-loaded worker."""
        n = max(1, len(self.pools))
        out: list[list[str]] = [[] for _ in range(n)]
        load = [0] * n
        for size, rel in sorted(((_size(self.root / rel), rel) for rel in paths), reverse=True):
            i = load.index(min(load))
            out[i].append(rel)
            load[i] += size + 2_000  # a file costs something however small
        return out

    def map(self, fn: Callable[[list[str]], T], batches: list[list[str]]) -> list[T]:
        """The results of the batches whose worker finished; a worker that died (out of memory,
        killed) is an error in `self.errors`, and so is every later batch sent to it."""
        return self.start(fn, batches)()

    def start(self, fn: Callable[[list[str]], T], batches: list[list[str]],
              background: bool = False) -> Callable[[], list[T]]:
        """Start the batches; -> the function that waits for their results (as `map`). Without worker
        processes, `background` runs them in a forked child, so that the caller can work meanwhile."""
        if not self.pools:
            if background and hasattr(os, "fork") and any(batches):
                return self._fork(fn, batches)
            return lambda: [fn(batch) for batch in batches]
        futures = self._submit(fn, batches)
        return lambda: self._collect(futures)

    def _submit(self, fn: Callable[[list[str]], T], batches: list[list[str]]) -> list[tuple[Any, list[str]]]:
        from concurrent.futures.process import BrokenProcessPool  # loaded with the pools (`__init__`)

        futures = []
        for pool, batch in zip(self.pools, batches):
            if batch:
                try:
                    futures.append((pool.submit(fn, batch), batch))
                except BrokenProcessPool:
                    self._died(batch)
        return futures

    def _collect(self, futures: list[tuple[Any, list[str]]]) -> list[Any]:
        from concurrent.futures.process import BrokenProcessPool  # loaded with the pools (`__init__`)

        out = []
        for future, batch in futures:
            try:
                out.append(result_of(future))
            except BrokenProcessPool:
                self._died(batch)
        return out

    def _fork(self, fn: Callable[[list[str]], T], batches: list[list[str]]) -> Callable[[], list[T]]:
        """The batches in one forked child, their results sent back pickled through a pipe. Should the
        child fail (killed, out of memory), they run here after all: never fewer findings."""
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns, never runs the parent's exit handlers
            code = 1
            try:
                os.close(read_fd)
                gc.freeze()  # the collector need not scan (and copy) the parent's objects
                data = pickle.dumps([fn(batch) for batch in batches], protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_fd, "wb") as out:
                    out.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write_fd)
        self.child = pid
        reader = os.fdopen(read_fd, "rb")  # closed when read, or when dropped after an interruption

        def result() -> list[T]:
            with reader:
                while not select.select([reader], [], [], 0.2)[0]:  # in slices: see processes.result_of
                    processes.raise_if_interrupted()
                data = reader.read()
            status = self._reap()
            if status == 0 and data:
                out: list[T] = pickle.loads(data)  # from our own child
                return out
            return [fn(batch) for batch in batches]
        return result

    def _reap(self) -> int | None:
        """Wait for the forked child; -> its wait status (None: there was none)."""
        pid, self.child = self.child, None
        if pid is None:
            return None
        with contextlib.suppress(ChildProcessError):
            return os.waitpid(pid, 0)[1]
        return None

    def _died(self, batch: list[str]) -> None:
        self.errors.append(f"a wardgate worker process died (killed, or out of memory?) with {len(batch)} "
                           f"file(s) to analyse, e.g. {batch[0]}: they were not analysed. Retry with "
                           "--jobs 1 to see why.")

    def kill(self) -> None:
        if self.child is not None:
            with contextlib.suppress(OSError):
                os.kill(self.child, signal.SIGKILL)
            self._reap()
        # ProcessPoolExecutor has no public way to stop a running task; its processes are in
        # `_processes` (pid -> Process) since Python 3.2.
        for pool in self.pools:
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                with contextlib.suppress(Exception):
                    proc.kill()
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self.child is not None:  # not waited for: the run was interrupted
            self.kill()
        _KEPT.clear()
        gc.unfreeze()  # in this process (no workers), the GC sees everything again
        for pool in self.pools:
            pool.shutdown(cancel_futures=True)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _unparsed(root: Path, rel: str, max_size: int, error: str) -> tuple[str, Finding]:
    """A file the stdlib parser rejected: broken, or newer syntax. Telling them apart takes
    libcst, whose import costs more than parsing a hundred files: so only here, once per run."""
    src = read_source(root, rel, max_size)
    if isinstance(src, Finding):  # changed since phase 1 read it
        return "problem", src
    src.syntax_error = error
    problem = syntax_problem(src)
    return ("newer" if problem.rule_id == "WG006" else "problem"), problem


def _environment_facts(st: _Settings, sites: list[Path], per_file: list[tuple[str, FileFacts]],
                       result: EngineResult, cache: Cache | None, namespace: str) -> list[tuple[str, FileFacts]]:
    """The facts of the installed package modules the project's classes build on (checks/facts/environment.py);
    cached, as finding them unpickles every file's facts and parses the package modules."""
    def collect(lookups: dict[str, Any]) -> list[tuple[str, FileFacts]]:
        return collect_environment(sites, _unresolved_bases, per_file, partial(_collect_package, st, result.digests),
                                   lookups)
    if cache is None:
        return collect({})
    return cache.environment(namespace, per_file, result.digests, sites, collect, partial(lookups_current, sites))


def _collect_package(st: _Settings, digests: dict[str, str], src: SourceFile, imports: ImportMap) -> dict[str, Any]:
    """The collectors' facts of an installed package's module (a collector that fails just adds nothing).
    They follow from its path and text: the text's digest stands for them in `digests`."""
    digests[src.path] = _sha(f"{src.path}\0{src.text}".encode("utf-8", "surrogatepass"))
    facts: dict[str, Any] = {}
    for c in st.collectors:
        try:
            facts[c.name] = c.collect(src, imports, st.vocab)
        except Exception:  # noqa: BLE001 - a package module we cannot read is simply not resolved
            facts[c.name] = None
    return facts


def _unresolved_bases(per_file: list[tuple[str, FileFacts]]) -> set[str]:
    """Base classes named by the project (and the package modules read so far) that none of them define."""
    defined: set[str] = set()
    bases: set[str] = set()
    for _path, facts in per_file:
        code = facts.get("django_code")
        for c in getattr(code, "classes", []) or []:
            defined.add(c.qualname)
            bases.update(b for b in c.bases if b)
        models = facts.get("django_models")
        for m in getattr(models, "models", []) or []:
            defined.add(m.qualname)
            bases.update(b for b in m.bases if b)
    names = {q.rsplit(".", 1)[-1] for q in defined}
    return {b for b in bases if b not in defined and b.rsplit(".", 1)[-1] not in names}


def _cacheable(status: str, payload: Any) -> bool:
    """Not a collector crash (reported every run) nor an unreadable file (may be readable next time)."""
    if status == "ok":
        return "__errors__" not in payload
    return getattr(payload, "rule_id", None) != "WG001"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tb() -> str:
    return traceback.format_exc(limit=3).strip().splitlines()[-1]
