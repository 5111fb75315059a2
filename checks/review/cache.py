"""The verdict cache: validated answers keyed by hash(prompt version, model, rules, redacted hunk and
context). On disk under the scan root by default; Redis (with a TTL) so that CI runners share it."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from ..safe_paths import create_once, symlink_on_path


class VerdictCache(Protocol):
    kind: str

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, value: dict[str, Any]) -> None: ...


class NoCache:
    kind = "none"

    def get(self, key: str) -> dict[str, Any] | None:
        return None

    def put(self, key: str, value: dict[str, Any]) -> None:
        return None


class DiskCache:
    kind = "disk"

    def __init__(self, folder: Path, root: Path | None = None) -> None:
        self.folder = folder
        self.root = root  # writes below it never go through a symlink

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            value = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        path = self._path(key)
        try:
            if self.root is not None and symlink_on_path(self.root, path.parent) is not None:
                return  # a committed symlink on the way: never written through
            path.parent.mkdir(parents=True, exist_ok=True)
            top = self.folder.parent if self.folder.parent.name == ".wardgate-cache" else self.folder
            create_once(top / ".gitignore", "*\n")
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(value, fh, sort_keys=True)
            os.replace(tmp, path)  # atomic: concurrent runs never read half a file
        except OSError:
            pass  # a read-only checkout just runs uncached


class RedisCache:
    kind = "redis"

    def __init__(self, url: str, ttl: int) -> None:
        from .providers import optional_sdk

        redis = optional_sdk("redis", "redis")
        self._redis = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._ttl = ttl
        self.error: str | None = None

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            raw = self._redis.get(f"wardgate:llm:{key}")
        except Exception as exc:  # noqa: BLE001 - a down cache degrades to no cache, and says so
            self.error = f"redis: {exc}"
            return None
        try:
            value = json.loads(raw) if raw else None
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        try:
            self._redis.set(f"wardgate:llm:{key}", json.dumps(value, sort_keys=True), ex=self._ttl)
        except Exception as exc:  # noqa: BLE001
            self.error = f"redis: {exc}"


def make_cache(spec: str, root: Path, folder: str, ttl: int) -> VerdictCache:
    if spec == "none":
        return NoCache()
    if spec == "disk":
        return DiskCache(root / folder, root)
    return RedisCache(spec, ttl)
