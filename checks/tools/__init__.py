"""Adapters for ruff, bandit, radon and semgrep (the contract is in checks/tools/base.py)."""
from __future__ import annotations

from ..rulemeta import RuleMeta
from . import bandit, radon, ruff, semgrep
from .base import Adapter, ToolFailure, ToolResult, run_adapter

ADAPTERS: dict[str, Adapter] = {"ruff": ruff, "bandit": bandit, "radon": radon, "semgrep": semgrep}


def tool_rules() -> tuple[RuleMeta, ...]:
    return tuple(meta for adapter in ADAPTERS.values() for meta in adapter.RULES)


__all__ = ["ADAPTERS", "Adapter", "ToolFailure", "ToolResult", "run_adapter", "tool_rules"]
