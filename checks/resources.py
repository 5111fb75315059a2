"""Where the data shipped with wardgate lives: semgrep rules and LLM prompts.

In a wheel they are `checks/data/rules` and `checks/data/prompts` (mapped from the top-level
`rules/` and `prompts/` by pyproject.toml); in an editable install or a checkout, the
repository's own top-level folders.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent


@cache
def _data_dir(name: str) -> Path:
    for candidate in (_HERE / "data" / name, _HERE.parent / name):
        if candidate.is_dir():
            return candidate
    try:  # editable installs map the package to the repository folder
        import importlib.resources as res

        found = Path(str(res.files(f"checks.data.{name}")))
        if found.is_dir():
            return found
    except (ModuleNotFoundError, TypeError):
        pass
    raise FileNotFoundError(f"wardgate's {name}/ data folder is missing from this installation")


def rules_dir() -> Path:
    return _data_dir("rules")


def prompts_dir() -> Path:
    return _data_dir("prompts")
