"""Warm wall time of the `wardgate` pre-commit hook for 1, 10 and 50 changed files.

    python benchmarks/precommit.py PATH_TO_DJANGO_PROJECT [--runs 3] [--pre-commit]

Copies the project's Python files into a temp git repository (one commit), then for each size
appends a comment line to that many non-migration files, stages them, and times the hook's command
(`wardgate check --staged --no-llm`, plus `--select ...` for wardgate-secrets) after one warm-up
run (which also fills wardgate's cache, .wardgate-cache/; `--no-cache` times uncached runs). With `--pre-commit` it times the real `pre-commit try-repo` of this checkout instead (the first
run builds pre-commit's virtualenv and is not counted). Nothing is written to the project itself.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOOKS = {
    "wardgate": ["check", "--staged", "--no-llm"],
    "wardgate-secrets": ["check", "--staged", "--no-llm", "--select", "WG1,bandit:B105,bandit:B106,bandit:B107"],
}
ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.org"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=ENV, check=True, capture_output=True, text=True).stdout


def copy_tree(src: Path, dest: Path) -> list[str]:
    files = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src)
        if any(part.startswith(".") or part in {"node_modules", "venv"} for part in rel.parts):
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        files.append(rel.as_posix())
    for name in ("pyproject.toml", "setup.cfg"):
        if (src / name).is_file():
            shutil.copyfile(src / name, dest / name)
    return files


def timed(cmd: list[str], repo: Path, env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=repo, env=env, check=False, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return elapsed, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="1,10,50")
    parser.add_argument("--pre-commit", action="store_true", help="time the real `pre-commit try-repo`")
    parser.add_argument("--no-cache", action="store_true", help="pass --no-cache (every run is a cold one)")
    args = parser.parse_args()
    wardgate = shutil.which("wardgate", path=os.pathsep.join([str(Path(sys.executable).parent), ENV["PATH"]]))
    if wardgate is None and not args.pre_commit:
        sys.exit("wardgate is not installed next to this Python or on PATH")
    env = {**ENV, "PATH": os.pathsep.join([str(Path(sys.executable).parent), ENV["PATH"]])}
    with tempfile.TemporaryDirectory(prefix="wardgate-bench-") as tmp:
        repo = Path(tmp) / "project"
        repo.mkdir()
        files = copy_tree(args.project.resolve(), repo)
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "base")
        candidates = [f for f in files if "/migrations/" not in f and not f.endswith("__init__.py")]
        env["PRE_COMMIT_HOME"] = str(Path(tmp) / "pre-commit-home")
        ref = git(ROOT, "rev-parse", "HEAD").strip() if args.pre_commit else ""
        print(f"project: {args.project} ({len(files)} .py files); {os.cpu_count()} CPUs; median of {args.runs} warm runs")
        for hook, hook_args in HOOKS.items():
            for size in (int(s) for s in args.sizes.split(",")):
                changed = candidates[:size]
                for rel in changed:
                    with open(repo / rel, "a", encoding="utf-8") as fh:
                        fh.write("\n# touched by the benchmark\n")
                git(repo, "add", *changed)
                if args.pre_commit:
                    cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--ref", ref]
                else:
                    cmd = [wardgate, *hook_args, *(["--no-cache"] if args.no_cache else [])]
                timed(cmd, repo, env)  # warm-up (and, for pre-commit, the environment build)
                times, codes = zip(*(timed(cmd, repo, env) for _ in range(args.runs)))
                print(f"{hook:17} {size:3} files  {statistics.median(times):6.2f} s"
                      f"  (min {min(times):.2f}, max {max(times):.2f}; exit {codes[0]})")
                git(repo, "reset", "-q", "--hard", "HEAD")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
