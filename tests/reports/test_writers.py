"""SARIF valid against the 2.1.0 schema and within GitHub's limits; Markdown, annotations, JUnit;
4 shards merged equal a single run."""
from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from checks.finding import Category, Finding, Severity
from reports.gate import decide
from reports.stats import GatePolicy
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
    gate = decide(findings, GatePolicy(fail_on=Severity.HIGH), errors=errors)
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
    assert text.startswith("## ❌ wardgate: FAIL") or text.startswith("## ✅ wardgate: PASS")
    prose = [line for line in text.splitlines() if "](" not in line]  # only lines with links run longer
    assert all(len(line) <= 100 for line in prose), max(prose, key=len)
    assert "60 finding(s) left out" in text and "](app/m0.py#L1)" in text
    absolute = markdown.render(_report(1), link_base="https://github.com/o/r/blob/abc")
    assert "(https://github.com/o/r/blob/abc/app/m0.py#L1)" in absolute


def _medical(n: int, message: str) -> Report:
    findings = [Finding(rule_id="WG501", category=Category.PHI, severity=Severity.CRITICAL if i % 2 else Severity.HIGH,
                        tool="wardgate", path=f"wards/views {i}.py", start_line=3, end_line=3, message=message,
                        fix="Log the record's internal id, never the patient's name or NHS number.",
                        fingerprint=f"{i:032x}") for i in range(n)]
    return Report(version="t", findings=findings, gate=decide(findings, GatePolicy(fail_on=Severity.HIGH)),
                  stats={"files_analysed": n + 3})


def test_markdown_keeps_whole_messages_fixes_and_rule_docs() -> None:
    message = "Patient name and NHS number are written to the application log " * 8 + "- then shipped <offsite>."
    text = markdown.render(_medical(120, message), max_rows=5)  # max_rows never cuts critical or high
    assert text.startswith("## ❌ wardgate: FAIL — 120 findings at or above high (60 critical, 60 high)")
    assert "120 findings in 120 files (123 files analysed)" in text
    items = text.split("\n- **[")[1:]
    assert len(items) == 120 and "left out" not in text
    for item in items:
        body = " ".join(line.strip().rstrip("\\") for line in item.splitlines()[1:])
        assert " ".join(message.split()).replace("<", "\\<") in body
        assert "**Fix:** Log the record's internal id" in body
    assert "[`WG501`](https://github.com/wardgate/wardgate/blob/main/docs/rules/WG501.md)" in text
    assert "(wards/views%2012.py#L3)" in text  # links are URL-encoded
    assert text.index("### Critical") < text.index("### High")


def test_markdown_is_bounded_by_githubs_summary_limit() -> None:
    report = _medical(3000, "x " * 400)
    text = markdown.render(report)
    assert len(text.encode()) <= 1024 * 1024
    assert "### Critical (1500)" in text and "finding(s) left out of this summary" in text
    small = markdown.render(report, max_bytes=20_000)
    assert len(small.encode()) <= 21_000 and "left out" in small


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


def test_sarif_uris_are_encoded_and_every_rule_has_help_uri() -> None:
    findings = [
        Finding(rule_id="WG101", category=Category.SECRET, severity=Severity.CRITICAL, tool="wardgate",
                path="clinic/new settings\n#2.py", start_line=1, end_line=1, message="m", fingerprint="1" * 32),
        Finding(rule_id="ruff:F401", category=Category.QUALITY, severity=Severity.LOW, tool="ruff", path="é.py",
                start_line=1, end_line=1, message="m", fingerprint="2" * 32,
                help_uri="https://docs.astral.sh/ruff/rules/unused-import"),
        Finding(rule_id="bandit:B608", category=Category.SECURITY, severity=Severity.MEDIUM, tool="bandit",
                path="a.py", start_line=1, end_line=1, message="m", fingerprint="3" * 32),
        Finding(rule_id="WG601", category=Category.SECURITY, severity=Severity.MEDIUM, tool="semgrep",
                path="a.py", start_line=1, end_line=1, message="m", fingerprint="4" * 32),
    ]
    tools = {"ruff": {"status": "ok", "version": "0.17.6", "executable": "/venv/bin/ruff"},
             "semgrep": {"status": "disabled"}}
    log = sarif.build(Report(version="t", findings=findings, gate=decide(findings, GatePolicy(fail_on=Severity.HIGH)),
                             stats={"tools": tools}))
    run = log["runs"][0]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert uris == ["clinic/new%20settings%0A%232.py", "%C3%A9.py", "a.py", "a.py"]
    helps = {r["id"]: r["helpUri"] for r in run["tool"]["driver"]["rules"]}
    assert helps == {
        "WG101": "https://github.com/wardgate/wardgate/blob/main/docs/rules/WG101.md",
        "ruff:F401": "https://docs.astral.sh/ruff/rules/unused-import",
        "bandit:B608": "https://bandit.readthedocs.io/en/latest/plugins/index.html",
        "WG601": "https://github.com/wardgate/wardgate/blob/main/docs/rules/WG601.md",
    }
    assert run["tool"]["extensions"] == [{"name": "ruff", "version": "0.17.6",
                                          "properties": {"executable": "/venv/bin/ruff"}}]
    assert _validator().is_valid(log)
