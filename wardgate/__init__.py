"""wardgate: the driver (CLI, configuration, files and git, the pipeline)."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from . import _own_packages

_own_packages.load()  # before anything imports `checks` or `reports` (see _own_packages.py)

try:
    __version__ = version("wardgate")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.1.0"
