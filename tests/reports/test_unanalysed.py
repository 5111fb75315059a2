"""Unanalysed Python files fail the gate ("Every Python file analysed"), and special files are
reported without ever being opened in a blocking way (issue 14)."""
from __future__ import annotations

import os
import time
from pathlib import Path

CANARY = "CANARY-outside-0b1d9f"


def _condition(report: dict) -> dict:  # type: ignore[type-arg]
    return next(c for c in report["gate"]["conditions"] if c["id"] == "all-files-analysed")


def test_a_too_large_file_fails_the_gate(repo, wardgate) -> None:
    repo.write("clinic_site/settings.py", 'SECRET_KEY = "django-insecure-abcdefghijklmnop"\n' + "#" * 5_000_000 + "\n")
    code, report = wardgate("check", repo.root, "--no-llm")
    assert code == 1 and [f["rule_id"] for f in report["findings"]] == ["WG004"]
    cond = _condition(report)
    assert not cond["held"] and "clinic_site/settings.py" in cond["detail"]


def test_trusted_config_may_allow_a_path(repo, wardgate) -> None:
    repo.write("wardgate.toml", 'allow_unanalysed = ["gen/**"]\n' + (repo.root / "wardgate.toml").read_text())
    repo.write("gen/big.py", "x = 1\n" * 300_000)
    code, report = wardgate("check", repo.root, "--no-llm")
    assert code == 0 and _condition(report)["held"] and report["findings"][0]["rule_id"] == "WG004"


def test_symlinks_and_fifos_are_reported_and_fail(repo, wardgate, tmp_path: Path) -> None:
    repo.write("a.py", "x = 1\n")
    os.symlink("missing.py", repo.root / "dangling.py")
    os.symlink("loop2.py", repo.root / "loop1.py")
    os.symlink("loop1.py", repo.root / "loop2.py")
    outside = tmp_path / "outside.py"
    outside.write_text(f'TOKEN = "{CANARY}"\n')
    os.symlink(outside, repo.root / "leak.py")
    os.mkfifo(repo.root / "pipe.py")
    started = time.monotonic()
    code, report = wardgate("check", repo.root, "--no-llm")
    assert time.monotonic() - started < 60  # the FIFO was never opened for a blocking read
    problems = {f["path"]: f["message"] for f in report["findings"] if f["rule_id"] == "WG001"}
    assert set(problems) == {"dangling.py", "loop1.py", "loop2.py", "leak.py", "pipe.py"}
    assert "FIFO" in problems["pipe.py"] and "outside the repository" in problems["leak.py"]
    assert code == 1 and not _condition(report)["held"]
    assert CANARY not in str(report)


def test_an_unchanged_unanalysed_file_does_not_fail_a_diff(repo, wardgate) -> None:
    repo.write("old.py", "x = 1\n" * 300_000)
    repo.write("wardgate.toml", (repo.root / "wardgate.toml").read_text() + "")
    repo.commit("base")
    repo.write("new.py", "y = 2\n")
    code, report = wardgate("check", repo.root, "--no-llm", "--diff", "HEAD")
    assert code == 0 and _condition(report)["held"]
    repo.write("old.py", "z = 3\n" + "x = 1\n" * 300_000)
    code, report = wardgate("check", repo.root, "--no-llm", "--diff", "HEAD")
    assert code == 1 and "old.py" in _condition(report)["detail"]
