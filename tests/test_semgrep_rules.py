"""wardgate's semgrep rules validate and pass their own `# ruleid:` / `# ok:` tests (offline)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

RULES = Path(__file__).resolve().parent.parent / "rules"
SEMGREP = shutil.which("semgrep")
pytestmark = pytest.mark.skipif(SEMGREP is None, reason="semgrep not on PATH")
CATEGORIES = {"audit-trail", "permission", "dosage", "secret", "phi", "security", "quality"}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    assert SEMGREP is not None
    return subprocess.run([SEMGREP, *args, "--metrics=off"], capture_output=True, text=True, timeout=300,
                          cwd=RULES.parent, check=False)


def test_rules_validate() -> None:
    # `semgrep --validate` also fetches the p/semgrep-rule-lints pack from semgrep.dev; offline, a scan
    # with the rules as config does the same schema validation and fails (exit 7) on an invalid rule.
    proc = _run("scan", "--config", "rules/", "--json", "--quiet", "--strict", "rules/")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_rules_pass_their_tests() -> None:
    proc = _run("--test", "rules/")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("path", sorted(RULES.rglob("*.yaml")), ids=lambda p: p.stem)
def test_rule_metadata(path: Path) -> None:
    for rule in yaml.safe_load(path.read_text())["rules"]:
        meta = rule["metadata"]
        assert rule["id"] == path.stem and rule["id"].startswith("WG")
        assert meta["category"] in CATEGORIES and meta["wardgate-severity"] in {"critical", "high", "medium", "low", "info"}
        for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
            assert section in meta["doc"]
        assert meta["name"] and meta["summary"] and meta["cwe"] and meta["confidence"]
        if meta["category"] in {"secret", "phi"}:
            assert meta.get("hipaa")
        assert path.with_suffix(".py").exists()
