"""`wardgate merge` of `--shard` runs rebuilds the verdict from the merged inputs (reports/gate.py):
on a real repository whose pull request needs approvals, 3 shards merged equal one run: the same
findings, approvals, gate conditions, verdict and exit code."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
from test_pr_approvals import _plant_five
from test_pr_changes import commit, edit, repo, write  # noqa: F401 - `repo` is a fixture

from wardgate.reportschema import schema

# ruff and bandit run (their findings are sharded too); radon and semgrep stay off to keep it quick.
CONFIG = "[tools.radon]\nenabled = false\n[tools.semgrep]\nenabled = false\n"
COMPLEX = "import os\n\n\ndef triage(a, b, c, d):\n" + "".join(
    f"    if a == {i}:\n        return b\n" for i in range(18)) + "    return c or d\n"


def _wardgate(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run([sys.executable, "-m", "wardgate", *args, "--format", "json"], cwd=repo,
                          capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _pull_request(repo: Path) -> None:
    write(repo, "wardgate.toml", CONFIG)  # the base's config: tools on
    commit(repo)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
    subprocess.run(["git", "merge", "-q", "feature"], cwd=repo, check=True)
    subprocess.run(["git", "checkout", "-q", "-b", "pr"], cwd=repo, check=True)
    _plant_five(repo)
    write(repo, "clinic/triage.py", COMPLEX)  # a changed function above the complexity limit
    edit(repo, "wardgate.toml", CONFIG, CONFIG + '[rules."WG101"]\nseverity = "low"\n')  # the gate's config edited
    commit(repo)


def _same(one: dict[str, Any], merged: dict[str, Any]) -> None:
    for report in (one, merged):  # both as docs/report.schema.json describes a report
        jsonschema.validate(report, schema())
    assert merged["findings"] == one["findings"]
    assert merged["gate"] == one["gate"]
    for key in ("approvals", "change_metrics", "test_suggestions"):
        assert merged.get(key) == one.get(key), key


def test_three_shards_merged_equal_one_run(repo: Path, tmp_path: Path) -> None:
    _pull_request(repo)
    check = ("check", ".", "--no-llm", "--diff", "main", "--approved-by", "dba,security")
    code, one = _wardgate(repo, *check)
    conditions = {c["id"]: c["held"] for c in one["gate"]["conditions"]}
    assert code == 1 and one["gate"]["verdict"] == "fail"
    assert conditions["approval:dba"] and conditions["approval:security"]
    assert not conditions["approval:compliance"] and not conditions["approval:medical-director"]
    assert not conditions["metrics:max-complexity"]
    assert any(f["tool"] == "ruff" for f in one["findings"]) and any(f["rule_id"] == "WG012" for f in one["findings"])
    shards = []
    for i in (1, 2, 3):
        _, part = _wardgate(repo, *check, "--shard", f"{i}/3")
        shards.append(tmp_path / f"shard{i}.json")
        shards[-1].write_text(json.dumps(part), encoding="utf-8")
    merged_code, merged = _wardgate(repo, "merge", *map(str, shards))
    _same(one, merged)
    assert merged_code == code


def test_merged_shards_pass_when_every_role_approved(repo: Path, tmp_path: Path) -> None:
    _pull_request(repo)
    edit(repo, "clinic/triage.py", COMPLEX, "def triage(a, b):\n    return a or b\n")
    commit(repo)
    check = ("check", ".", "--no-llm", "--diff", "main", "--fail-on", "critical",
             "--approved-by", "dba,security,compliance,medical-director")
    code, one = _wardgate(repo, *check)
    shards = []
    for i in (1, 2, 3):
        _, part = _wardgate(repo, *check, "--shard", f"{i}/3")
        shards.append(tmp_path / f"shard{i}.json")
        shards[-1].write_text(json.dumps(part), encoding="utf-8")
    merged_code, merged = _wardgate(repo, "merge", *map(str, shards))
    _same(one, merged)
    assert merged_code == code
