"""Paths from configuration stay inside the repository (README, "Trust model").

A configuration file travels with the code, so a path in it is the repository's, not the user's:
`cache_dir = "../x"`, an absolute `llm.audit_log` or a rule folder outside the checkout are
configuration errors (exit 2) naming the key. Explicit command-line paths (`--output`,
`--baseline`, `baseline -o`) are the user's choice and are not checked here.
"""
from __future__ import annotations

import os
from pathlib import Path

from .config import Config, ConfigError


def config_paths(config: Config) -> list[tuple[str, str]]:
    """(key, value) of every path the configuration sets (the defaults are guarded where they are
    written: checks/safe_paths.py)."""
    llm_set = config.llm.model_fields_set
    out = [("cache_dir", config.cache_dir),
           ("llm.cache_dir", config.llm.cache_dir if "cache_dir" in llm_set else None),
           ("llm.audit_log", config.llm.audit_log if "audit_log" in llm_set else None)]
    out += [(f"tools.semgrep.extra_rules[{i}]", p) for i, p in enumerate(config.tools.semgrep.extra_rules)]
    return [(k, v) for k, v in out if v]


def check_inside(config: Config, root: Path) -> None:
    """Raise ConfigError naming the first path key that leaves `root` (lexically, or through a symlink)."""
    real_root = os.path.realpath(root)
    for key, value in config_paths(config):
        if os.path.isabs(value):
            raise ConfigError(f"{config.source or 'configuration'}: {key} = {value!r} is an absolute path; "
                              f"paths in configuration must stay inside the repository ({root})")
        joined = os.path.normpath(os.path.join(root, value))
        if not _within(joined, os.path.normpath(root)) or not _within(os.path.realpath(joined), real_root):
            raise ConfigError(f"{config.source or 'configuration'}: {key} = {value!r} resolves outside the "
                              f"repository ({root})")


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
