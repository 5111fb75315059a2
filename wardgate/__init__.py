"""wardgate: the driver (CLI, configuration, files and git, the pipeline)."""
from __future__ import annotations

import gc
import os

from . import _own_packages

# A run builds hundreds of thousands of long-lived objects (the project's facts, parsed trees) and little
# cyclic garbage: with the default thresholds the collector rescans them again and again (0.13 s of a
# 10-file pre-commit run), and the imports, which define thousands of classes and functions, would trigger
# a hundred collections (0.01 s). Rarer young collections, from the first import on; worker processes
# inherit it.
gc.set_threshold(10_000, 10, 10)

# wardgate's models use no pydantic plugin, and looking for one reads the entry points of every installed
# distribution when the first model is built (0.02 s of each run). An explicit setting is kept.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

# The one place the version is written (pyproject.toml reads it from here): a literal, because asking
# importlib.metadata searches the installed distributions on every run.
__version__ = "0.1.0"

_own_packages.load()  # before anything imports `checks` or `reports` (see _own_packages.py)
