"""Versioned prompt templates from prompts/: `<name>.md` with a YAML front matter holding the version."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml

from ..resources import prompts_dir


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: str
    system: str


@cache
def load_prompt(name: str) -> PromptTemplate:
    path = prompts_dir() / f"{name}.md"
    if not path.is_file():
        raise FileNotFoundError(f"prompt template {name!r} not found in {prompts_dir()}")
    text = path.read_text(encoding="utf-8")
    meta: dict[str, object] = {}
    if text.startswith("---\n"):
        head, _, text = text[4:].partition("\n---\n")
        meta = yaml.safe_load(head) or {}
    version = str(meta.get("version") or name)
    return PromptTemplate(name=name, version=version, system=text.strip())
