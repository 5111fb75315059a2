"""A content-addressed cache for warm runs (pre-commit): `<scan root>/.wardgate-cache/`.

What is cached, and what a key is made of:
- phase-1 results of the engine (facts, or the file's problem): the file's path and sha256, in a
  namespace of wardgate's own source, the interpreter version, the domain config and max_file_size.
  Project-wide facts are merged fresh on every run from the per-file facts, and phase 2 (the checks,
  which read the project facts) is never cached: it is cheap on the few files a commit changes.
- each external tool's findings and WG007 notes per file: path + sha256 + the configuration files a
  tool could read from the file's folders, in a namespace of the tool, its executable (path, stat,
  `--version`), its options and, for semgrep, the rules' content. The tool runs on the misses only.
- `stat` -> sha256 (mtime_ns, size, inode, ctime_ns), so unchanged files are not read to be hashed;
  an entry is only trusted for files last modified a few seconds before it was recorded (racy stat).
- merged project models (the head's, and in diff mode the base's): the sha256 of every per-file
  facts entry that went into the merge, with its path, in order, in the facts namespace. A merge with
  an entry of unknown digest is not cached. Only the models of the last run are kept.

Each cache file is signed (HMAC-SHA256) with a random key kept outside the project
(`$XDG_CACHE_HOME/wardgate/cache-key`), so a `.wardgate-cache/` committed to a repository cannot
forge results (or run code through pickle). A file that is missing, unsigned, corrupt or from
another version is ignored (a note on stderr for the latter ones): every miss means a real run,
never "no findings". `--no-cache` bypasses the cache entirely.
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import hmac
import json
import os
import pickle
import secrets
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from . import processes
from .safe_paths import create_once, symlink_on_path

DIR_NAME = ".wardgate-cache"
_MAGIC = b"WGC1"
_RACY_SECONDS = 3.0  # a stat entry is trusted only for files older than this when recorded
_TOOL_CONFIG_FILES = ("pyproject.toml", "ruff.toml", ".ruff.toml", "setup.cfg", "tox.ini", ".bandit",
                      "radon.cfg", ".semgrepignore")
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # holds checks/, wardgate/, reports/
T = TypeVar("T")


def _read_regular(path: str) -> bytes | None:
    """A regular file's bytes; None for anything else. Opened non-blocking: a FIFO never hangs the run."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(os.dup(fd), "rb") as fh:
            return fh.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """No garbage collection in this block: unpickling a project model makes a hundred thousand objects, all
    alive, and the collections they would trigger only scan them (0.01 to 0.03 s per model)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _note(msg: str) -> None:
    print(f"wardgate: cache: {msg}", file=sys.stderr)


_CODE_HASH: str | None = None
_CODE_HASH_LOCK = threading.Lock()  # the tool threads and the engine all ask at once: hash once


def code_hash() -> str:
    """sha256 over wardgate's own source (any change to a check or collector invalidates)."""
    global _CODE_HASH
    with _CODE_HASH_LOCK:
        if _CODE_HASH is None:
            _CODE_HASH = _hash_own_source()
        return _CODE_HASH


def _hash_own_source() -> str:
    h = hashlib.sha256(sys.version.encode())
    for rel in _own_source_files():
        h.update(rel.encode() + b"\0")
        h.update(_sha((_PACKAGE_ROOT / rel).read_bytes()).encode())
    return h.hexdigest()


def _own_source_files() -> list[str]:
    """POSIX paths (relative to the package root, sorted) of wardgate's source and data files."""
    out = []
    for pkg in ("checks", "wardgate", "reports"):
        for folder, dirs, files in os.walk(_PACKAGE_ROOT / pkg):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            rel = Path(folder).relative_to(_PACKAGE_ROOT).as_posix()
            out += [f"{rel}/{name}" for name in files
                    if os.path.splitext(name)[1] in {".py", ".yaml", ".yml", ".toml", ".json", ".md"}]
    return sorted(out)


def _key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wardgate" / "cache-key"


def _signing_key() -> bytes | None:
    path = _key_file()
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)  # atomic: two first runs at once agree on one key
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        key = path.read_bytes()
        return key if len(key) >= 32 else None
    except OSError:
        return None


class _Store:
    """One signed pickle of a dict; loaded lazily, written atomically when changed."""

    def __init__(self, cache: Cache, name: str, keep_unused: bool = True) -> None:
        self.cache = cache
        self.path = cache.directory / name
        self._data: dict[Any, Any] | None = None
        self.used: set[Any] = set()
        self.dirty = False
        self.keep_unused = keep_unused  # False: saved with this run's entries only
        self.lock = threading.Lock()

    @property
    def data(self) -> dict[Any, Any]:
        if self._data is None:
            self._data = self.cache._read(self.path)
        return self._data

    def get(self, key: Any) -> Any:
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.used.add(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.data[key] = value
            self.used.add(key)
            self.dirty = True

    def save(self) -> None:
        with self.lock:
            if not self.dirty or self._data is None:
                return
            data = self._data
            if not self.keep_unused or len(data) > 4 * max(len(self.used), 2000):  # drop what this project no longer has
                data = {k: v for k, v in data.items() if k in self.used}
            self.cache._write(self.path, data)
            self.dirty = False


class Cache:
    def __init__(self, directory: Path, key: bytes) -> None:
        self.directory = directory
        self._key = key
        self._stores: dict[str, _Store] = {}
        self._lock = threading.Lock()
        self.stats: dict[str, Any] = {"dir": str(directory), "hashed": 0, "facts_hits": 0, "facts_misses": 0,
                                      "tools": {}}

    # --- storage -------------------------------------------------------------------------------
    def _read(self, path: Path) -> dict[Any, Any]:
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            _note(f"ignoring {path} ({exc.strerror or exc}); running without it")
            return {}
        try:
            if blob[:4] != _MAGIC:
                raise ValueError("not a wardgate cache file")
            mac, body = blob[4:36], blob[36:]
            if not hmac.compare_digest(mac, hmac.new(self._key, body, hashlib.sha256).digest()):
                raise ValueError("bad signature (corrupt, or written with another key)")
            data = pickle.loads(body)  # signed with a key kept outside the project
            if not isinstance(data, dict):
                raise TypeError("unexpected content")
            return data
        except Exception as exc:  # noqa: BLE001 - a bad cache file is a miss, never a crash or "no findings"
            _note(f"ignoring corrupt cache file {path} ({exc}); running without it")
            return {}

    def _write(self, path: Path, data: dict[Any, Any]) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            create_once(self.directory / ".gitignore", "# wardgate's cache (see checks/cache.py); never commit it\n*\n")
            body = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            try:  # atomic: a reader, or an interrupted run, never sees half a file
                with os.fdopen(fd, "wb") as fh:
                    fh.write(_MAGIC + hmac.new(self._key, body, hashlib.sha256).digest() + body)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            _note(f"cannot write {path} ({exc.strerror or exc}); the next run will be cold")

    def store(self, name: str, keep_unused: bool = True) -> _Store:
        with self._lock:
            if name not in self._stores:
                self._stores[name] = _Store(self, name, keep_unused)
            return self._stores[name]

    def save(self) -> None:
        for s in list(self._stores.values()):
            s.save()

    # --- content hashes --------------------------------------------------------------------------
    def hashes(self, root: Path, rels: Sequence[str]) -> dict[str, str]:
        """sha256 of each readable file (stat fast path); unreadable files are left out (no caching)."""
        stat_store = self.store("stat.pickle")
        now = time.time()
        out: dict[str, str] = {}
        for rel in rels:
            full = os.path.join(root, rel)
            try:
                st = os.stat(full)
            except OSError:
                continue
            sig = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
            hit = stat_store.get(rel)
            if hit is not None and hit[0] == sig:
                out[rel] = hit[1]
                continue
            data = _read_regular(full)
            if data is None:
                continue
            digest = _sha(data)
            self.stats["hashed"] += 1
            out[rel] = digest
            if max(st.st_mtime_ns, st.st_ctime_ns) / 1e9 < now - _RACY_SECONDS:
                stat_store.put(rel, (sig, digest))
        return out

    # --- merged project models ---------------------------------------------------------------------
    def merged(self, namespace: str, per_file: Sequence[tuple[str, Any]], digests: Mapping[str, str],
               merge: Callable[[], T]) -> T:
        """`merge()`, or its result from a run that merged the same per-file facts: each entry's `digests[path]`
        (sha256 of its pickled facts), in order. An entry without a digest: merged afresh, not cached."""
        key = _facts_key(namespace, per_file, digests)
        if key is None:
            return merge()
        store = self.store(f"merged-{namespace}.pickle", keep_unused=False)  # a model is ~2 MB: keep this run's
        hit = store.get(key)
        if hit is not None:
            self.stats["models_cached"] = self.stats.get("models_cached", 0) + 1
            with _no_collection():
                cached: T = pickle.loads(hit)  # signed, see above
            return cached
        model = merge()
        store.put(key, pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
        self.stats["models_merged"] = self.stats.get("models_merged", 0) + 1
        return model

    def environment(self, namespace: str, per_file: Sequence[tuple[str, Any]], digests: dict[str, str],
                    sites: Sequence[Path], collect: Callable[[dict[str, Any]], list[tuple[str, Any]]],
                    current: Callable[[dict[str, Any]], bool]) -> list[tuple[str, Any]]:
        """`collect(lookups)`, the facts of the installed package modules the project builds on, or the last
        run's when the project's per-file facts are the same and `current(lookups)` says every module it looked
        up is still where it was, unchanged. Their digests go into `digests`, as `collect` would put them."""
        key = _facts_key(namespace + "\0" + "\0".join(map(str, sites)), per_file, digests)
        if key is None:
            return collect({})
        store = self.store(f"environment-{namespace}.pickle", keep_unused=False)
        hit = store.get(key)
        if hit is not None:
            data, found_digests, last_lookups = hit
            if current(last_lookups):
                digests.update(found_digests)
                cached: list[tuple[str, Any]] = pickle.loads(data)  # signed, see above
                return cached
        lookups: dict[str, Any] = {}  # filled by `collect`
        found = collect(lookups)
        store.put(key, (pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL),
                        {path: digests[path] for path, _facts in found if path in digests}, lookups))
        return found

    # --- tools -----------------------------------------------------------------------------------
    def tool_namespace(self, name: str, exe: str, options: dict[str, Any]) -> str:
        h = hashlib.sha256(f"{code_hash()}\0{name}\0{_exe_identity(self, exe)}\0".encode())
        h.update(json.dumps(options, sort_keys=True, default=str).encode())
        rules = [options.get("rules_dir") or "", *options.get("extra_rules", ())]  # semgrep: the rules' content
        for path in rules:
            if path:
                h.update(f"{path}\0{_tree_hash(Path(path))}\0".encode())
        return h.hexdigest()[:24]

    def remembered_version(self, name: str, exe: str, ask: Callable[[], str]) -> str:
        """`ask()`, the version a report names for a tool, kept until the executable changes (as `_exe_identity`
        keeps `--version`): a warm run whose tools all hit the cache then starts nothing and reads no metadata."""
        sig = _exe_signature(exe)
        if sig is None:
            return ask()
        versions = self.store("versions.pickle")
        key = ("reported", name, sig)
        version: str | None = versions.get(key)
        if version is None:
            version = ask()
            if version != "unknown":  # could not tell this time: ask again next run
                versions.put(key, version)
        return version

    def config_hash(self, root: Path, rel: str, memo: dict[str, str]) -> str:
        """Configuration files a tool might read for this file: the file's folders up to `/`."""
        folder = os.path.dirname(os.path.join(os.path.abspath(root), rel))
        return _folder_config_hash(folder, memo)


def _facts_key(namespace: str, per_file: Sequence[tuple[str, Any]], digests: Mapping[str, str]) -> str | None:
    """The key of a result computed from these per-file facts: each entry's path and digest, in order (None
    when an entry has no digest: such a result is not cached)."""
    h = hashlib.sha256(namespace.encode())
    for path, _facts in per_file:
        digest = digests.get(path)
        if digest is None:
            return None
        h.update(f"{path}\0{digest}\0".encode())
    return h.hexdigest()


def _folder_config_hash(folder: str, memo: dict[str, str]) -> str:
    if folder in memo:
        return memo[folder]
    parent = os.path.dirname(folder)
    h = hashlib.sha256(b"" if parent == folder else _folder_config_hash(parent, memo).encode())
    for name in _TOOL_CONFIG_FILES:
        data = _read_regular(os.path.join(folder, name))
        if data is not None:
            h.update(name.encode() + b"\0" + _sha(data).encode())
    memo[folder] = h.hexdigest()
    return memo[folder]


def _tree_hash(base: Path) -> str:
    h = hashlib.sha256()
    if base.is_file():
        return _sha(base.read_bytes())
    if not base.is_dir():
        return "absent"
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        h.update(path.relative_to(base).as_posix().encode() + b"\0" + _sha(path.read_bytes()).encode())
    return h.hexdigest()


def _exe_signature(exe: str) -> str | None:
    """The executable's real path and stat (None: it cannot be stat'ed)."""
    real = os.path.realpath(exe)
    try:
        st = os.stat(real)
    except OSError:
        return None
    return f"{real}:{st.st_mtime_ns}:{st.st_size}:{st.st_ino}"


def _exe_identity(cache: Cache, exe: str) -> str:
    """The executable's real path, stat and `--version` (asked again whenever the file changes)."""
    sig = _exe_signature(exe)
    if sig is None:
        return os.path.realpath(exe)
    versions = cache.store("versions.pickle")
    version = versions.get(sig)
    if version is None:
        try:
            env = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}  # offline
            code, out, _ = processes.run([exe, "--version"], timeout=120, env=env)
            version = f"{code}:{out.strip()}"
        except (OSError, subprocess.TimeoutExpired):
            version = f"unknown:{time.time()}"  # never matches again: no caching for this tool
        versions.put(sig, version)
    return f"{sig}:{version}"


def facts_namespace(vocab: Any, max_size: int, collectors: Iterable[Any]) -> str:
    h = hashlib.sha256(code_hash().encode())
    h.update(vocab.model_dump_json().encode() if hasattr(vocab, "model_dump_json") else repr(vocab).encode())
    h.update(f"\0{max_size}\0{','.join(c.name for c in collectors)}".encode())
    return h.hexdigest()[:24]


def open_cache(root: Path, directory: Path | None = None) -> Cache | None:
    """The cache for `root`, or None when no signing key can be kept (then every run is cold)."""
    key = _signing_key()
    if key is None:
        _note(f"no signing key could be kept at {_key_file()}; running without a cache")
        return None
    d = directory if directory is not None else root / DIR_NAME
    if not d.is_absolute():
        d = root / d
    link = symlink_on_path(root, d)
    if link is not None:  # e.g. a committed `.wardgate-cache -> /elsewhere`: never written through
        _note(f"{link} is a symlink or outside {root}; running without a cache")
        return None
    return Cache(d, key)
