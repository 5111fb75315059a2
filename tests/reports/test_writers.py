"""SARIF valid against the 2.1.0 schema and within GitHub's limits; Markdown, annotations, JUnit;
4 shards merged equal a single run."""
from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from checks.finding import Category, Finding, Severity
from reports.gate import evaluate
from reports.model import Report
from reports.writers import github, markdown, sarif

from conftest import SCHEMA, rules_at

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "clinic"
PROJECT = {
    "clinic/settings.py": 'SECRET_KEY = "django-insecure-abcdefghijklmnopqrstuvwxyz0123456789"\n'
                          'password = "hunter2hunter2"\n',
    "clinic/views.py": "import os\n\ndef run(s):\n    return eval(s)  # wardgate: ignore[bandit:B307] -- admin only\n",
    "clinic/util.py": "import pickle\n\ndef load(b):\n    return pickle.loads(b)\n",
    "clinic/more.py": "def g(s):\n    exec(s)\n",
    "clinic/tokens.py": 'API_TOKEN = "sk_live_abcdefghijklmnopqrstuv"\n',
}


def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@pytest.fixture
def project(repo):  # noqa: ANN001, ANN201
    for rel, text in PROJECT.items():
        repo.write(rel, text)
    repo.commit()
    return repo


def test_sarif_is_valid_and_complete(project, wardgate) -> None:  # noqa: ANN001
    code, log = wardgate("check", project.root, "--no-llm", fmt="sarif")
    errors = sorted(_validator().iter_errors(log), key=str)
    assert errors == [], errors[:3]
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    for res in run["results"]:
        assert res["ruleId"] in rules and rules[res["ruleId"]]["id"] == run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"]
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert "primaryLocationLineHash" in res["partialFingerprints"]
    for r in rules.values():
        assert len(r["properties"]["tags"]) <= 20 and r["help"]["markdown"]
    assert float(rules["WG101"]["properties"]["security-severity"]) > 9.0
    sup = [r for r in run["results"] if r.get("suppressions")]
    assert sup and sup[0]["suppressions"][0]["justification"] == "admin only"
    assert run["automationDetails"]["id"] == "wardgate/" and run["invocations"][0]["executionSuccessful"]
    assert "hunter2" not in json.dumps(log)
    _, upload = wardgate("check", project.root, "--no-llm", fmt="sarif-github")
    assert _validator().is_valid(upload)
    assert len(upload["runs"][0]["results"]) == len(run["results"]) - len(sup)


@pytest.mark.skipif(not EXAMPLE.is_dir(), reason="examples/clinic not present")
def test_sarif_of_the_example_app_is_valid(wardgate) -> None:  # noqa: ANN001
    _, log = wardgate("check", EXAMPLE, "--no-llm", fmt="sarif")
    assert sorted(_validator().iter_errors(log), key=str) == []


def _report(n: int, errors: tuple[str, ...] = ()) -> Report:
    findings = [Finding(rule_id="bandit:B307", category=Category.SECURITY, severity=Severity.MEDIUM, tool="bandit",
                        path=f"app/m{i % 50}.py", start_line=i + 1, end_line=i + 1, message="eval", fingerprint=f"{i:032x}")
                for i in range(n)]
    gate = evaluate(findings, fail_on=Severity.HIGH, errors=errors)
    return Report(version="t", findings=findings, gate=gate,
                  stats={"errors": list(errors), "tools": {"semgrep": {"status": "failed", "message": "offline"}}})


def test_sarif_limits_and_tool_failure_notifications() -> None:
    log = sarif.build(_report(25_010, errors=("semgrep failed: offline",)))
    run = log["runs"][0]
    assert len(run["results"]) == 25_000
    inv = run["invocations"][0]
    texts = [n["message"]["text"] for n in inv["toolExecutionNotifications"]]
    assert inv["executionSuccessful"] is False and any("25000" in t for t in texts)
    assert any("semgrep failed" in t for t in texts)


def test_markdown_fits_a_terminal_and_counts_what_is_left_out() -> None:
    text = markdown.render(_report(80), max_rows=20)
    assert text.startswith("## ❌ wardgate: gate") or text.startswith("## ✅ wardgate: gate")
    assert all(len(line) <= 100 for line in text.splitlines()), max(text.splitlines(), key=len)
    assert "60 finding(s) left out" in text and "](app/m0.py#L1)" in text
    absolute = markdown.render(_report(1), link_base="https://github.com/o/r/blob/abc")
    assert "(https://github.com/o/r/blob/abc/app/m0.py#L1)" in absolute


def test_github_annotations_are_capped() -> None:
    rep = _report(30)
    rep = rep.model_copy(update={"findings": [f.model_copy(update={"severity": Severity.HIGH}) if i < 15 else f
                                             for i, f in enumerate(rep.findings)]})
    lines = github.render(rep).splitlines()
    assert sum(line.startswith("::error file=") for line in lines) == 10
    assert sum(line.startswith("::warning file=") for line in lines) == 10
    assert "10 more annotation(s) left out" in lines[-1]


def test_junit_is_xml(project, wardgate) -> None:  # noqa: ANN001
    _, out = wardgate("check", project.root, "--no-llm", fmt="junit")
    suites = ET.fromstring(out)
    assert int(suites.find("testsuite[@name='wardgate.findings']").get("failures")) >= 1


def test_four_shards_merged_equal_a_single_run(project, wardgate, tmp_path) -> None:  # noqa: ANN001
    project.write("wardgate.toml", project.root.joinpath("wardgate.toml").read_text()
                  + '[[suppressions]]\nrule = "bandit:B102"\npath = "clinic/more.py"\nreason = "sandbox"\n'
                  + '[[suppressions]]\nrule = "ruff:F841"\nreason = "unused entry"\n')
    single_code, single = wardgate("check", project.root, "--no-llm")
    paths = []
    for i in range(1, 5):
        _, part = wardgate("check", project.root, "--no-llm", "--shard", f"{i}/4")
        paths.append(tmp_path / f"s{i}.json")
        paths[-1].write_text(json.dumps(part))
    merged_code, merged = wardgate("merge", *paths)
    strip = lambda r: [{k: v for k, v in f.items()} for f in r["findings"]]  # noqa: E731
    assert strip(merged) == strip(single) and rules_at(single)
    assert merged_code == single_code and merged["gate"] == single["gate"]
    assert any(f["rule_id"] == "WG011" for f in single["findings"])


def test_json_stdout_is_one_object(project, capsys) -> None:  # noqa: ANN001
    from wardgate.cli import main

    main(["check", str(project.root), "--format", "json", "--no-llm", "--output", f"markdown:{project.root}/s.md"])
    out = capsys.readouterr().out
    json.loads(out)
    assert (project.root / "s.md").read_text().startswith("## ")
