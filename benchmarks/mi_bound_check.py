#!/usr/bin/env python3
"""Soundness check of radon_measure.mi_lower_bound against radon's own MI, on real code.

    python benchmarks/mi_bound_check.py PATH [PATH ...] [--max-bytes 150000]

For every parseable .py file under the paths: radon's maintainability index (`mi_visit`, what
`radon mi` prints) and wardgate's lower bound. A bound above the real MI would hide a low-MI
file from the report: any such file is printed and the exit code is 1. Also prints how many
files the bound lets skip radon's raw-metrics pass at the default threshold (MI 9, rank C).
Re-run it after upgrading radon.
"""
from __future__ import annotations

import argparse
import ast
import sys
import warnings
from pathlib import Path

from radon.metrics import h_visit_ast, mi_visit
from radon.visitors import ComplexityVisitor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from checks.tools.radon_measure import mi_lower_bound


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--max-bytes", type=int, default=150_000,
                    help="skip bigger files (radon's MI is slow on them)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    checked = violations = skippable = 0
    for root in args.paths:
        for path in sorted(root.rglob("*.py")):
            try:
                data = path.read_bytes()
                if len(data) > args.max_bytes:
                    continue
                text = data.decode("utf-8")
                tree = ast.parse(text)
                real = mi_visit(text, True)
            except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
                continue
            bound = mi_lower_bound(text, tree, h_visit_ast(tree).total.volume,
                                   ComplexityVisitor.from_ast(tree).total_complexity)
            checked += 1
            skippable += bound > 9
            if bound > real + 1e-9:
                violations += 1
                print(f"BOUND ABOVE MI: {path}: bound {bound:.3f} > MI {real:.3f}")
    print(f"{checked} files, {violations} violation(s); the bound skips radon's raw metrics on {skippable}")
    return 1 if violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
