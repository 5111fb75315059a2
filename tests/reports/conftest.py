"""Real git repositories in temp dirs and an in-process `wardgate` runner (no mocks)."""
from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wardgate.cli import main

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(autouse=True)
def _tools_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    venv_bin = Path(__file__).resolve().parents[2] / ".venv" / "bin"
    if venv_bin.is_dir():
        monkeypatch.setenv("PATH", f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}")
    for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"):
        monkeypatch.delenv(k, raising=False)


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.root, check=True, capture_output=True, text=True).stdout

    def write(self, rel: str, text: str) -> Path:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        return p

    def commit(self, message: str = "change") -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    root = tmp_path / "proj"
    root.mkdir()
    r = Repo(root)
    r.git("init", "-q", "-b", "main")
    r.git("config", "user.email", "t@example.org")
    r.git("config", "user.name", "t")
    r.git("config", "commit.gpgsign", "false")
    r.write("wardgate.toml", "[tools.semgrep]\nenabled = false\n[tools.radon]\nenabled = false\n")
    return r


Runner = Callable[..., tuple[int, Any]]


@pytest.fixture
def wardgate(capsys: pytest.CaptureFixture[str]) -> Runner:
    def run(*argv: str | Path, fmt: str = "json") -> tuple[int, Any]:
        args = [str(a) for a in argv]
        code = main([*args, "--format", fmt] if fmt else args)
        out = capsys.readouterr().out
        return code, (json.loads(out) if fmt in ("json", "sarif", "sarif-github") else out)

    return run


def rules_at(report: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(f["rule_id"], f["path"], f["start_line"]) for f in report["findings"]]
