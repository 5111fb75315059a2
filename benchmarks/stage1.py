#!/usr/bin/env python3
"""Stage-1 benchmark: wardgate's wall time against each tool run alone on the same files.

    python benchmarks/stage1.py PATH [--repeat N] [--jobs N]

Reports, for PATH: wall time of `wardgate check --no-llm --no-cache` (stage 1; also with its warm
content-addressed cache), of ruff, bandit, radon and
semgrep alone on the same file list, files/second, and peak memory (the largest process in each
command's tree, from the kernel's rusage). The target (issue 2): wardgate <= 1.3x the slowest tool.
bandit alone reads every file; wardgate leaves out the schema-only migrations, on which bandit
provably reports nothing (checks/tools/schema_migrations.py). Wall times on a shared 2-CPU machine
vary by 15% from run to run: use --repeat 5 and compare within one invocation.
Run it with wardgate's virtualenv activated, so that the same tools are on PATH.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def measure(cmd: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of `cmd`, measured in a fresh child process so
    that rusage covers exactly this command and its descendants."""
    probe = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
        "wall = time.perf_counter() - t\n"
        "print(json.dumps([wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, rc]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, *cmd], cwd=cwd, capture_output=True, text=True, check=True)
    wall, rss, rc = json.loads(out.stdout)
    return wall, rss, rc


def file_list(root: Path) -> list[str]:
    proc = subprocess.run([sys.executable, "-m", "wardgate", "check", ".", "--format", "json", "--no-llm"],
                          cwd=root, capture_output=True, text=True, check=False)
    report = json.loads(proc.stdout)
    not_analysed = {f["path"] for f in report["findings"] if f["rule_id"] in {"WG001", "WG002", "WG003", "WG004", "WG005"}}
    from wardgate.config import Config
    from wardgate.files import collect_files

    cfg = Config()
    return [p for p in collect_files(root, [root], cfg.include, cfg.excludes()) if p not in not_analysed]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", type=Path)
    ap.add_argument("--repeat", type=int, default=1, help="runs per command; the median is reported")
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args()
    root = args.path.resolve()
    for tool in ("ruff", "bandit", "radon", "semgrep"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not on PATH: activate wardgate's virtualenv first")
    files = file_list(root)
    from checks.resources import rules_dir

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(files))
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    commands = {
        "wardgate (stage 1)": [sys.executable, "-m", "wardgate", "check", ".", "--format", "json", "--no-llm",
                               "--no-cache", *jobs],
        "wardgate, warm cache": [sys.executable, "-m", "wardgate", "check", ".", "--format", "json", "--no-llm", *jobs],
        "ruff": ["ruff", "check", "--output-format", "json", "--exit-zero", "--no-cache", "--select", "E4,E7,E9,F",
                 *files],
        "bandit": ["bandit", "-q", "-f", "json", *files],
        # radon stands as `radon cc`: `radon mi` alone on every file takes ~11 s on ohcnetwork/care
        # (pathological on migrations, which wardgate does not measure) and would flatter the ratio.
        "radon cc": ["radon", "cc", "-j", *files],
        "semgrep": ["semgrep", "scan", "--experimental", "--metrics=off", "--json", "--disable-version-check",
                    "--config", str(rules_dir()), *files],
    }
    print(f"{root}: {len(files)} Python files, {os.cpu_count()} CPUs, {args.repeat} run(s) each (median)")
    print(f"{'command':<20} {'wall s':>8} {'files/s':>9} {'peak MiB':>9} {'exit':>5}")
    results = {}
    for name, cmd in commands.items():
        runs = [measure(cmd, root) for _ in range(args.repeat)]
        wall = statistics.median(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        results[name] = wall
        print(f"{name:<20} {wall:8.2f} {len(files) / wall:9.0f} {rss:9.0f} {runs[-1][2]:5d}")
    slowest = max((v, k) for k, v in results.items() if not k.startswith("wardgate"))
    ratio = results["wardgate (stage 1)"] / slowest[0]
    print(f"wardgate / slowest tool ({slowest[1]}): {ratio:.2f}x (target <= 1.3x)")
    os.unlink(fh.name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
