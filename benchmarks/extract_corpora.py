#!/usr/bin/env python3
"""Extract every labelled corpus from its fetched mirror, at the commit its FETCH.md (or real-code README) names.

    python benchmarks/extract_corpora.py [--list] [--mirrors /work/.mirror] [--work /work]

Each table row of `../shared/real-code/README.md` (into WORK/corpora/NAME) and of `benchmarks/blindN/FETCH.md` (into
WORK/blindN/NAME; set 1 is WORK/blind) names a corpus, its repository and its commit. The repository must have been
fetched first (the search tool's `fetch github:OWNER/NAME` puts a git directory under MIRRORS/OWNER+NAME/); `--list`
prints the repositories to fetch. A corpus already extracted is left alone. `git archive` is tried first; a snapshot
missing a large blob (over the store's size limit) makes it fail, and then every blob that is present is written
one by one. The .py count of each copy is printed: compare it with the FETCH.md table.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def rows(work: Path) -> list[tuple[Path, str, str]]:
    """(destination, owner/name, commit) of every corpus."""
    sources = [(HERE.parent.parent / "shared" / "real-code" / "README.md", work / "corpora")]
    for fetch in sorted(HERE.glob("blind*/FETCH.md")):
        name = fetch.parent.name
        sources.append((fetch, work / name))
    out = []
    for path, root in sources:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("|") or line.startswith(("|---", "| corpus")):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            repo = re.search(r"([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)", cells[1]) if len(cells) > 2 else None
            commit = re.search(r"\b([0-9a-f]{7,40})\b", cells[2]) if len(cells) > 2 else None
            if repo and commit:
                out.append((root / cells[0].strip("` *"), repo.group(1), commit.group(1)))
    return out


def git_dir(mirrors: Path, repo: str) -> Path:
    base = mirrors / repo.replace("/", "+") / "repo"
    return base / ".git" if (base / ".git").is_dir() else base


def extract(dest: Path, gd: Path, commit: str) -> None:
    dest.mkdir(parents=True)
    with tempfile.TemporaryFile() as tar:
        archived = subprocess.run(["git", f"--git-dir={gd}", "archive", commit], stdout=tar,
                                  stderr=subprocess.DEVNULL, check=False).returncode == 0
        if archived:
            tar.seek(0)
            with tarfile.open(fileobj=tar) as t:
                t.extractall(dest, filter="data")
            return
    listing = subprocess.run(["git", f"--git-dir={gd}", "ls-tree", "-r", "-z", commit], capture_output=True,
                             check=True).stdout.split(b"\0")
    for entry in filter(None, listing):
        meta, path = entry.split(b"\t", 1)
        _mode, kind, sha = meta.split()
        if kind != b"blob":
            continue  # submodules
        blob = subprocess.run(["git", f"--git-dir={gd}", "cat-file", "blob", sha.decode()], capture_output=True,
                              check=False)
        if blob.returncode != 0:
            continue  # the blob the snapshot lacks
        target = dest / path.decode("utf-8", "surrogateescape")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", action="store_true", help="print the repositories to fetch, and stop")
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--work", type=Path, default=Path("/work"))
    args = ap.parse_args()
    table = rows(args.work)
    if args.list:
        print("\n".join(sorted({repo for _, repo, _ in table})))
        return
    for dest, repo, commit in table:
        gd = git_dir(args.mirrors, repo)
        if dest.exists():
            continue
        if not gd.is_dir():
            print(f"{dest}: {repo} not fetched")
            continue
        extract(dest, gd, commit)
        print(f"{dest}: {sum(1 for _ in dest.rglob('*.py'))} .py files")


if __name__ == "__main__":
    main()
