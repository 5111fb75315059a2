"""Project-wide fact collectors (see checks/index.py). One module per kind of fact."""
from __future__ import annotations

from ..index import Collector

COLLECTORS: tuple[Collector, ...] = ()
