"""The composite action's shell steps, run locally the way the runner runs them.

Each `run:` step of action.yml is written to a file and run with `bash --noprofile --norc -eo
pipefail` (GitHub's `shell: bash`), its `env:` expressions evaluated from the inputs and the earlier
steps' outputs, with GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_BASE_REF and RUNNER_TEMP set, in a
temp git repository with a pull-request branch. The `uses:` step (actions/setup-python) is replaced
by this interpreter, and the install step by this test's own installation of wardgate (installing it
again from the package index would only test pip).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from clinic_project import CLOSED_VIEW, OPEN_VIEW, ROOT, Repo

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
_EXPR = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def _outputs(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key] = value
    return out


def run_action(repo: Repo, tmp: Path, inputs: dict[str, str], base_ref: str) -> tuple[int, dict[str, Any]]:
    values = {f"inputs.{k}": str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    values.update({f"inputs.{k}": v for k, v in inputs.items()})
    values["github.action_path"] = str(ROOT)
    values["steps.python.outputs.python-path"] = sys.executable
    values["steps.install.outputs.bin"] = str(Path(sys.executable).parent)
    runner_temp = tmp / "runner-temp"
    runner_temp.mkdir()
    summary = tmp / "step-summary.md"
    summary.touch()
    result: dict[str, Any] = {"outputs": {}, "stdout": "", "summary": summary}
    code = 0
    for step in ACTION["runs"]["steps"]:
        if "run" not in step or step.get("id") == "install":
            continue
        output_file = tmp / f"output-{step['id']}"
        output_file.touch()
        env = {**repo.env, "GITHUB_OUTPUT": str(output_file), "GITHUB_STEP_SUMMARY": str(summary),
               "GITHUB_BASE_REF": base_ref, "GITHUB_ACTIONS": "true", "RUNNER_TEMP": str(runner_temp)}
        for key, expr in (step.get("env") or {}).items():
            env[key] = _EXPR.sub(lambda m: values[m[1]], str(expr))
        script = tmp / f"step-{step['id']}.sh"
        script.write_text(step["run"], encoding="utf-8")
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], check=False, cwd=repo.path,
                              env=env, capture_output=True, text=True, timeout=600)
        code = proc.returncode
        result["stdout"] += proc.stdout
        result["stderr"] = proc.stderr
        for key, value in _outputs(output_file).items():
            values[f"steps.{step['id']}.outputs.{key}"] = value
            result["outputs"][key] = value
    return code, result


def _pull_request(make: Callable[[], Repo], view: str) -> Repo:
    repo = make()
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("clinic/api.py", view)
    repo.git("add", "clinic/api.py")
    repo.git("commit", "-q", "--no-verify", "-m", "patient api")
    return repo


def test_failing_pull_request(clinic_repo: Callable[[], Repo], tmp_path: Path) -> None:
    repo = _pull_request(clinic_repo, OPEN_VIEW)
    code, run = run_action(repo, tmp_path, {"sarif-file": "wardgate.sarif"}, base_ref="main")
    outputs = run["outputs"]
    assert code == 1, run
    assert outputs["verdict"] == "fail" and outputs["exit-code"] == "1"
    assert int(outputs["critical"]) >= 1 and int(outputs["findings"]) >= 1

    sarif = json.loads((repo.path / outputs["sarif-file"]).read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert any(r["ruleId"] == "WG301" for r in results)
    uri = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results if r["ruleId"] == "WG301"}
    assert uri == {"clinic/api.py"}
    assert Path(outputs["audit-sarif-file"]).is_file()

    report = json.loads(Path(outputs["json-file"]).read_text(encoding="utf-8"))
    assert report["gate"]["verdict"] == "fail"
    summary = run["summary"].read_text(encoding="utf-8")
    assert "WG301" in summary and "clinic/api.py" in summary
    assert re.search(r"^::error .*file=clinic/api\.py", run["stdout"], re.MULTILINE), run["stdout"]


def test_passing_pull_request_with_an_old_problem_elsewhere(clinic_repo: Callable[[], Repo], tmp_path: Path) -> None:
    """--diff against the base branch: the open view already on main is not this PR's doing."""
    repo = clinic_repo()
    repo.write("clinic/legacy_api.py", OPEN_VIEW)
    repo.git("add", "clinic/legacy_api.py")
    repo.git("commit", "-q", "--no-verify", "-m", "legacy")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("clinic/api.py", CLOSED_VIEW)
    repo.git("add", "clinic/api.py")
    repo.git("commit", "-q", "--no-verify", "-m", "patient api")
    code, run = run_action(repo, tmp_path, {}, base_ref="main")
    outputs = run["outputs"]
    assert code == 0, run
    assert outputs["verdict"] == "pass" and outputs["exit-code"] == "0"
    assert (repo.path / "wardgate.sarif").is_file()
    assert run["summary"].read_text(encoding="utf-8").strip()


def test_install_step_is_valid_bash() -> None:
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "install")
    proc = subprocess.run(["bash", "-n"], check=False, input=step["run"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
