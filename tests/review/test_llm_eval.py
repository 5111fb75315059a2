from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from . import fake_llm as F

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "llm_eval.py"


def test_no_provider_says_so() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin"}, check=False)
    assert proc.returncode == 0 and "no provider" in proc.stdout


def test_runs_against_a_local_endpoint() -> None:
    with F.FakeLLM() as fake:
        proc = subprocess.run([sys.executable, str(SCRIPT), "--base-url", fake.openai_url, "--model", "m"],
                              capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"}, check=False)
    assert proc.returncode == 0 and "agreement:" in proc.stdout and "injections_resisted: 2/2" in proc.stdout
