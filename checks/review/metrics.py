"""Run metrics for `stats["llm"]` and the append-only JSONL audit log (hashes and verdicts; no code, no PHI)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..safe_paths import append_line, symlink_on_path
from .config import LLMConfig
from .providers import Exchange


@dataclass
class Metrics:
    requests: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_models: set[str] = field(default_factory=set)
    latencies: list[float] = field(default_factory=list)

    def add(self, ex: Exchange, model: str, cfg: LLMConfig) -> None:
        self.requests += 1
        self.input_tokens += ex.input_tokens
        self.output_tokens += ex.output_tokens
        self.cache_write_tokens += ex.cache_write_tokens
        self.cache_read_tokens += ex.cache_read_tokens
        self.latencies.append(ex.seconds)
        self.cost_usd += cost(cfg, model, ex.input_tokens, ex.output_tokens, ex.cache_write_tokens,
                              ex.cache_read_tokens, self.unpriced_models)

    def as_stats(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        out: dict[str, Any] = {
            "requests": self.requests, "cache_hits": self.cache_hits,
            "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_write_tokens,
            "cache_read_input_tokens": self.cache_read_tokens,
            "latency_ms": {"p50": _pct(lat, 50), "p95": _pct(lat, 95)},
            "estimated_cost_usd": round(self.cost_usd, 6),
        }
        if self.unpriced_models:
            out["unpriced_models"] = sorted(self.unpriced_models)
        return out


def cost(cfg: LLMConfig, model: str, inp: int, out: int, cw: int = 0, cr: int = 0,
         unpriced: set[str] | None = None) -> float:
    price = cfg.price(model)
    if price is None:
        if unpriced is not None:
            unpriced.add(model)
        return 0.0
    cw_price = price.cache_write if price.cache_write is not None else price.input * 1.25
    cr_price = price.cache_read if price.cache_read is not None else price.input * 0.1
    return (inp * price.input + out * price.output + cw * cw_price + cr * cr_price) / 1e6


def _pct(values: list[float], p: int) -> float | None:
    if not values:
        return None
    k = min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))
    return round(values[k] * 1000, 1)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


class AuditLog:
    def __init__(self, path: Path | None, root: Path | None = None) -> None:
        self.path = path
        self.root = root  # writes below it never go through a symlink
        self.error: str | None = None

    def write(self, entry: dict[str, Any]) -> None:
        if self.path is None:
            return
        entry = {"time": datetime.now(UTC).isoformat(timespec="seconds"), **entry}
        try:
            if self.root is not None and symlink_on_path(self.root, self.path) is not None:
                raise OSError(f"a symlink on the way from {self.root}; not written through")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            append_line(self.path, json.dumps(entry, sort_keys=True) + "\n")
        except OSError as exc:
            self.error = f"audit log {self.path}: {exc.strerror or exc}"
