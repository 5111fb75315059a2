"""End to end: no key means the reviewer is skipped and the verdict is the same as with --no-llm;
llm.required with no reviewer is exit 3; a configured reviewer runs against the fake server."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import fake_llm as F

REPO = Path(__file__).resolve().parents[2]
CLINIC = REPO / "examples" / "clinic"


def _wardgate(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    clean["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), clean.get("PATH", "")])
    return subprocess.run([sys.executable, "-m", "wardgate", *args], cwd=cwd, env={**clean, **env},
                          capture_output=True, text=True, timeout=300, check=False)


def test_no_key_skips_and_keeps_the_verdict() -> None:
    with_llm = _wardgate(["check", "examples/clinic", "--format", "json"], REPO)
    without = _wardgate(["check", "examples/clinic", "--format", "json", "--no-llm"], REPO)
    a, b = json.loads(with_llm.stdout), json.loads(without.stdout)
    assert a["stats"]["llm"]["status"] == "skipped" and "ANTHROPIC_API_KEY" in a["stats"]["llm"]["reason"]
    assert b["stats"]["llm"] == {"status": "skipped", "reason": "--no-llm"}
    assert with_llm.returncode == without.returncode and a["gate"]["verdict"] == b["gate"]["verdict"]
    assert [f["fingerprint"] for f in a["findings"]] == [f["fingerprint"] for f in b["findings"]]


def test_required_without_reviewer_is_exit_3(tmp_path: Path) -> None:
    shutil.copytree(CLINIC, tmp_path / "clinic")
    (tmp_path / "clinic" / "wardgate.toml").write_text("[llm]\nrequired = true\n")
    proc = _wardgate(["check", ".", "--format", "json"], tmp_path / "clinic")
    report = json.loads(proc.stdout)
    assert proc.returncode == 3 and report["gate"]["verdict"] == "error"
    assert any("llm.required" in e for e in report["stats"]["errors"])


def test_configured_reviewer_runs(tmp_path: Path) -> None:
    shutil.copytree(CLINIC, tmp_path / "clinic")
    with F.FakeLLM() as fake:
        (tmp_path / "clinic" / "wardgate.toml").write_text(
            f'[llm]\nprovider = "anthropic"\nbase_url = "{fake.anthropic_url}"\ntimeout = 2\nmax_retries = 0\n')
        proc = _wardgate(["check", ".", "--format", "json"], tmp_path / "clinic", ANTHROPIC_API_KEY="test")
    report = json.loads(proc.stdout)
    llm = report["stats"]["llm"]
    assert llm["status"] == "ran" and llm["requests"] == len(fake.requests) > 0 and llm["reviewed"] > 0
    assert proc.returncode == 1  # the confirmed problems still fail the gate
    reviewed = [f for f in report["findings"] if f.get("review")]
    assert reviewed and all(f["review"]["prompt_version"] == "review-v1" for f in reviewed)
    assert (tmp_path / "clinic" / ".wardgate-cache" / "llm-audit.jsonl").is_file()


def test_unknown_llm_key_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "wardgate.toml").write_text("[llm]\nprovdier = 'anthropic'\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    proc = _wardgate(["check", ".", "--format", "json"], tmp_path)
    assert proc.returncode == 2 and "llm.provdier" in proc.stderr
