"""A change's config cannot redirect the LLM reviewer or pick the key it sends (issue 14)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from . import fake_llm as F

BASE = "[tools.semgrep]\nenabled = false\n[tools.radon]\nenabled = false\n"
CODE = "import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n"
CANARY = "ghp_CANARYtokenNotRealAtAll0123456789"


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _wardgate(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "WARDGATE_"))}
    clean["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), clean.get("PATH", "")])
    return subprocess.run([sys.executable, "-m", "wardgate", "check", ".", "--format", "json", *args], cwd=root,
                          env={**clean, **env}, capture_output=True, text=True, timeout=300, check=False)


def _repo(tmp_path: Path, head_llm: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.email", "t@example.org")
    _git(root, "config", "user.name", "t")
    (root / "wardgate.toml").write_text(BASE)
    (root / "a.py").write_text("x = 1\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    (root / "wardgate.toml").write_text(BASE + head_llm)
    (root / "b.py").write_text(CODE)
    return root


def test_a_change_cannot_point_the_reviewer_at_its_own_endpoint(tmp_path: Path) -> None:
    with F.FakeLLM() as fake:
        root = _repo(tmp_path, f'[llm]\nprovider = "anthropic"\nbase_url = "{fake.anthropic_url}"\n'
                               'api_key_env = "WARDGATE_LLM_KEY"\n')
        proc = _wardgate(root, "--diff", "HEAD", WARDGATE_LLM_KEY=CANARY, GITHUB_TOKEN=CANARY)
    report = json.loads(proc.stdout)
    assert fake.requests == [] and report["stats"]["llm"]["status"] == "skipped"
    assert proc.returncode == 1
    assert any("base_url" in f["message"] for f in report["findings"] if f["rule_id"] == "WG012")


def test_api_key_env_cannot_name_another_secret(tmp_path: Path) -> None:
    with F.FakeLLM() as fake:
        root = _repo(tmp_path, f'[llm]\nprovider = "anthropic"\nbase_url = "{fake.anthropic_url}"\n'
                               'api_key_env = "GITHUB_TOKEN"\n')
        proc = _wardgate(root, GITHUB_TOKEN=CANARY)
    assert proc.returncode == 2 and fake.requests == []
    assert "llm.api_key_env" in proc.stderr and CANARY not in proc.stderr + proc.stdout


def test_llm_audit_log_and_cache_never_write_through_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    with F.FakeLLM() as fake:
        root = _repo(tmp_path, f'[llm]\nprovider = "anthropic"\nbase_url = "{fake.anthropic_url}"\n')
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", "config")
        (root / ".wardgate-cache").mkdir()
        os.symlink(outside / "audit.jsonl", root / ".wardgate-cache" / "llm-audit.jsonl")
        os.symlink(outside, root / ".wardgate-cache" / "llm")
        proc = _wardgate(root, ANTHROPIC_API_KEY="test")
    report = json.loads(proc.stdout)
    assert report["stats"]["llm"]["status"] == "ran" and fake.requests
    assert list(outside.iterdir()) == []
