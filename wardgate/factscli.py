"""`wardgate facts [PATH] [--format text|json]`: print the project model wardgate judges code against."""
from __future__ import annotations

import argparse
import json
import sys

from checks.facts.describe import describe, render_text

from .config import Config
from .files import collect_files, scan_root


def facts(args: argparse.Namespace, config: Config) -> int:
    root = scan_root(args.paths)
    files = collect_files(root, args.paths, config.include, config.excludes())
    model = describe(root, files, config.domain, jobs=args.jobs or config.jobs, max_size=config.max_file_size,
                     python=config.python)
    if args.format == "json":
        sys.stdout.write(json.dumps(model, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(render_text(model))
    return 0
