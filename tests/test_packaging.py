"""The wheel ships rules/ and prompts/ inside `checks`, and never a top-level `rules` package
(`rules` is django-rules' import name)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_contents(tmp_path: Path) -> None:
    # Built from a copy: setuptools reuses a checkout's build/ folder, stale modules included.
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info",
                                                             "__pycache__", ".wardgate-cache"))
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(src)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("wardgate-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"checks", "reports", "wardgate"}, tops
    assert any(n.startswith("checks/data/rules/") and n.endswith((".yaml", ".yml")) for n in names)
    assert any(n.startswith("checks/data/prompts/") for n in names)
    assert "checks/library_models.toml" in names  # the declarative models of common packages
    # Every module of the source tree ships (the package list in pyproject.toml is explicit).
    sources = {p.relative_to(REPO).as_posix() for top in ("checks", "reports", "wardgate")
               for p in (REPO / top).rglob("*.py") if "__pycache__" not in p.parts}
    assert sources <= set(names), sorted(sources - set(names))
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "wardgate = wardgate.console:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
