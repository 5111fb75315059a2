"""wardgate: the driver (CLI, configuration, files and git, the pipeline)."""
from __future__ import annotations

from . import _own_packages

# The one place the version is written (pyproject.toml reads it from here): a literal, because asking
# importlib.metadata costs 0.05 s of imports on every run, a tenth of a warm pre-commit run.
__version__ = "0.1.0"

_own_packages.load()  # before anything imports `checks` or `reports` (see _own_packages.py)
