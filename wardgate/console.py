"""The `wardgate` console script and `python -m wardgate`.

The cyclic garbage collector is paused while wardgate's modules load, and what they built is then frozen
out of its reach: loading creates several hundred thousand long-lived objects (classes, pydantic schemas,
compiled patterns) that the collector would otherwise scan again and again, about 5% of a warm
pre-commit run (benchmarks/precommit.py)."""
from __future__ import annotations

import gc


def main() -> int:
    gc.disable()
    try:
        from .cli import main as cli_main
    finally:
        gc.freeze()
        gc.enable()
    return cli_main()
