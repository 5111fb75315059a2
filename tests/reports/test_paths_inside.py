"""Paths from configuration stay inside the repository, and nothing is written through a
committed symlink (issue 14; wardgate/paths.py, checks/safe_paths.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wardgate.cli import main

BASE = "[tools.semgrep]\nenabled = false\n[tools.radon]\nenabled = false\n"


@pytest.mark.parametrize(("line", "key"), [
    ('cache_dir = "../x"', "cache_dir"),
    ('cache_dir = "/tmp/wardgate-outside"', "cache_dir"),
    ('[llm]\naudit_log = "../file"', "llm.audit_log"),
    ('[llm]\ncache_dir = "../llm"', "llm.cache_dir"),
    ('[tools.semgrep]\nextra_rules = ["../rules"]', "tools.semgrep.extra_rules[0]"),
])
def test_config_path_outside_the_repository_is_exit_2(repo, capsys, line: str, key: str) -> None:
    text = f"{line}\n[tools.radon]\nenabled = false\n" if line.startswith("cache_dir") else \
        line + "\n" + ("" if "semgrep" in line else "[tools.semgrep]\nenabled = false\n")
    repo.write("wardgate.toml", text)
    repo.write("a.py", "x = 1\n")
    before = set(repo.root.parent.iterdir())
    code = main(["check", str(repo.root), "--no-llm"])
    assert code == 2 and f"{key} = " in capsys.readouterr().err
    assert set(repo.root.parent.iterdir()) == before  # nothing written next to the repository
    assert not Path("/tmp/wardgate-outside").exists()


def test_error_names_the_key(repo) -> None:
    repo.write("wardgate.toml", 'cache_dir = "../x"\n' + BASE)
    repo.write("a.py", "x = 1\n")
    proc = subprocess.run([sys.executable, "-m", "wardgate", "check", ".", "--no-llm"], cwd=repo.root,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2 and "cache_dir = '../x'" in proc.stderr and "outside" in proc.stderr
    assert not (repo.root.parent / "x").exists()


def test_committed_cache_symlink_is_never_written_through(repo, wardgate, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    repo.write("wardgate.toml", BASE)
    repo.write("a.py", "import os\n")
    os.symlink(outside, repo.root / ".wardgate-cache")
    repo.commit("a committed cache symlink")
    code, report = wardgate("check", repo.root, "--no-llm")
    assert code == 0 and report["stats"]["cache"] == {"status": "off"}
    assert list(outside.iterdir()) == []


def test_dangling_gitignore_symlink_in_the_cache_is_not_followed(repo, wardgate, tmp_path: Path) -> None:
    target = tmp_path / "victim"
    (repo.root / ".wardgate-cache").mkdir()
    os.symlink(target, repo.root / ".wardgate-cache" / ".gitignore")
    repo.write("a.py", "x = 1\n")
    code, _ = wardgate("check", repo.root, "--no-llm")
    assert code == 0 and not target.exists()


def test_baseline_command_checks_config_paths_too(repo, capsys) -> None:
    repo.write("wardgate.toml", 'cache_dir = "../x"\n' + BASE)
    repo.write("a.py", "x = 1\n")
    assert main(["baseline", str(repo.root)]) == 2 and "cache_dir" in capsys.readouterr().err
    assert not (repo.root.parent / "x").exists()
