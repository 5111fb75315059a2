"""`wardgate facts [PATH] [--format text|json]`: print the project model wardgate judges code against."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from checks.facts.describe import describe, render_text

from .cliutil import Parser, load
from .files import collect_files, scan_root


def add_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    facts_ = sub.add_parser("facts", help="show the project model: patient-data models, audit, endpoints and access")
    facts_.set_defaults(command_main=facts)
    facts_.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    facts_.add_argument("--format", choices=("text", "json"), default="text")
    facts_.add_argument("--config", type=Path, default=None, help="wardgate.toml or pyproject.toml to use")
    facts_.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: CPU count)")


def facts(args: argparse.Namespace) -> int:
    config = load(args)
    root = scan_root(args.paths)
    files = collect_files(root, args.paths, config.include, config.excludes())
    model = describe(root, files, config.domain, jobs=args.jobs or config.jobs, max_size=config.max_file_size,
                     python=config.python)
    if args.format == "json":
        sys.stdout.write(json.dumps(model, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(render_text(model))
    return 0
