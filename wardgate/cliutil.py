"""What every command of the CLI shares: exit codes, usage errors, finding the configuration, writing reports.

The command modules (checkcli, gatecli, factscli, rulescli) import this one; nothing here imports them.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from reports.model import Report
from reports.writers import WRITERS
from reports.writers.text import render_statistics

from .config import Config, ConfigError, find_config, load_config

EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
FORMATS = tuple(WRITERS)  # --format and --output choices: one per writer


class UsageError(Exception):
    """A bad --diff base, --shard or --baseline file (exit 2)."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]  # argparse exits 2 already; keep it short
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"wardgate: error: {message}\n")


def add_report_options(p: argparse.ArgumentParser) -> None:
    """--format, --output, --color: what a command that ends with a report writes."""
    p.add_argument("--format", choices=FORMATS, default="text", help="report on stdout (default: text)")
    p.add_argument("--output", action="append", default=[], metavar="FORMAT:PATH",
                   help="also write a report to PATH (repeatable)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the text report (auto: on a terminal, unless NO_COLOR is set)")


def missing_path(paths: Sequence[Path]) -> bool:
    """Say which PATH does not exist (exit 2)."""
    for p in paths:
        if not p.exists():
            print(f"wardgate: error: {p}: no such file or directory", file=sys.stderr)
            return True
    return False


def load(args: argparse.Namespace) -> Config:
    """--config, else the configuration found from the first PATH upwards."""
    if args.config is not None:
        if not args.config.is_file():
            raise ConfigError(f"{args.config}: no such configuration file")
        return load_config(args.config)
    first = args.paths[0] if getattr(args, "paths", None) else Path(".")
    start = first.resolve() if first.is_dir() else first.resolve().parent
    return load_config(find_config(start))


def outputs(specs: Sequence[str]) -> list[tuple[str, Path]]:
    out = []
    for spec in specs:
        fmt, sep, dest = spec.partition(":")
        if not sep or not dest or fmt not in WRITERS:
            raise ConfigError(f"--output {spec!r}: expected FORMAT:PATH with FORMAT one of {', '.join(WRITERS)}")
        out.append((fmt, Path(dest)))
    return out


def use_color(choice: str) -> bool:
    """`--color`: always, never, or auto = stdout is a terminal and NO_COLOR (no-color.org) is unset."""
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def write_reports(report: Report, fmt: str, to: Sequence[tuple[str, Path]], *, color: bool,
                  link_base: str | None) -> None:
    render = render_statistics if fmt == "statistics" else WRITERS[fmt]
    sys.stdout.write(render(report, color=color, link_base=link_base))
    sys.stdout.flush()
    for ofmt, dest in to:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(WRITERS[ofmt](report, color=False, link_base=link_base), encoding="utf-8")
