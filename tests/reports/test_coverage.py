"""`--coverage`: the changed-line coverage condition, on real git repositories with real coverage.py
reports (the tests run coverage.py on the repository's code; no hand-written report except where
a report from another machine or a hostile one is the point)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import SCHEMA

from reports.coverage_file import CoverageError, FileCoverage, load, map_paths
from reports.coverage_gate import ranges
from wardgate.cli import main

BASE = "def admit(ward):\n    return ward.upper()\n"
PR = BASE + '''

def discharge(patient, summary):
    if not summary:
        raise ValueError("a discharge needs a summary")
    patient["status"] = "discharged"
    return patient


def transfer(patient, ward):
    # moves the patient; the ward is checked by the caller
    patient["ward"] = ward

    return patient
'''
CALLS_ALL = ("from app.flow import admit, discharge, transfer\nadmit('a')\n"
             "discharge({}, 'ok')\ntransfer({}, 'b')\ntry:\n    discharge({}, '')\nexcept ValueError:\n    pass\n")
CALLS_BASE_ONLY = "from app.flow import admit\nadmit('a')\n"


def measure(repo_root: Path, out: Path, driver: str, fmt: str = "xml") -> Path:
    """Run coverage.py on `driver` (kept outside the repository) and write its `fmt` report."""
    out.mkdir(exist_ok=True)
    (out / "driver.py").write_text(driver, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    data = ["--data-file", str(out / ".coverage")]
    subprocess.run([sys.executable, "-m", "coverage", "run", *data, "--source=app", str(out / "driver.py")],
                   cwd=repo_root, env=env, check=True, capture_output=True)
    report = out / f"coverage.{fmt}"
    subprocess.run([sys.executable, "-m", "coverage", fmt, *data, "-o", str(report)], cwd=repo_root, env=env,
                   check=True, capture_output=True)
    return report


@pytest.fixture
def pr(repo):
    repo.write("app/__init__.py", "")
    repo.write("app/flow.py", BASE)
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("app/flow.py", PR)
    repo.commit("pr")
    return repo


def _condition(report: dict, cid: str = "coverage:changed-lines") -> dict:  # type: ignore[type-arg]
    (c,) = [c for c in report["gate"]["conditions"] if c["id"] == cid]
    return c


def test_covered_changed_lines_pass(pr, wardgate, tmp_path: Path) -> None:
    xml = measure(pr.root, tmp_path / "cov", CALLS_ALL)
    code, report = wardgate("check", pr.root, "--no-llm", "--diff", "main", "--coverage", xml)
    assert code == 0, report["gate"]
    cond = _condition(report)
    assert cond["held"] and cond["description"] == "Changed lines covered ≥ 80%"
    assert cond["detail"] == "100% (8 of 8)"
    assert report["coverage"]["files"][0]["uncovered"] == []


def test_uncovered_changed_lines_fail_with_their_ranges(pr, wardgate, tmp_path: Path) -> None:
    xml = measure(pr.root, tmp_path / "cov", CALLS_BASE_ONLY)
    code, report = wardgate("check", pr.root, "--no-llm", "--diff", "main", "--coverage", xml)
    assert code == 1
    cond = _condition(report)
    # `def` lines run at import; the bodies did not. Blank and comment lines never count.
    assert not cond["held"] and cond["detail"] == "25% (2 of 8)"
    (f,) = report["coverage"]["files"]
    assert f["path"] == "app/flow.py"
    assert f["uncovered"] == [[6, 9], [14, 16]]
    assert "not met: Changed lines covered ≥ 80% (" in report["gate"]["summary"]
    _, text = wardgate("check", pr.root, "--no-llm", "--diff", "main", "--coverage", xml, fmt="text")
    assert "app/flow.py: not covered 6-9, 14-16" in text
    _, md = wardgate("check", pr.root, "--no-llm", "--diff", "main", "--coverage", xml, fmt="markdown")
    assert "| `app/flow.py` | 6-9, 14-16 |" in md
    _, gh = wardgate("check", pr.root, "--no-llm", "--diff", "main", "--coverage", xml, fmt="github")
    assert "::warning file=app/flow.py,line=6,endLine=9,title=wardgate changed-line coverage::" in gh
    _, sarif = wardgate("check", pr.root, "--no-llm", "--diff", "main", "--coverage", xml, fmt="sarif")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    (note,) = [n for n in sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
               if n["descriptor"]["id"] == "coverage/changed-lines"]
    assert note["properties"]["uncovered"] == [[6, 9], [14, 16]]
    assert note["locations"][0]["physicalLocation"]["region"]["startLine"] == 6


def test_sharded_runs_keep_the_condition_when_merged(pr, wardgate, tmp_path: Path) -> None:
    xml = measure(pr.root, tmp_path / "cov", CALLS_BASE_ONLY)
    shards = [tmp_path / f"s{i}.json" for i in (1, 2)]
    for i, out in enumerate(shards, 1):
        wardgate("check", pr.root, "--no-llm", "--diff", "main", "--coverage", xml, "--shard", f"{i}/2",
                 "--output", f"json:{out}", fmt="")
    code, merged = wardgate("merge", *shards)
    assert code == 1 and not _condition(merged)["held"] and merged["coverage"]["files"][0]["path"] == "app/flow.py"


def test_json_report_and_stricter_clinical_minimum(pr, wardgate, tmp_path: Path) -> None:
    js = measure(pr.root, tmp_path / "cov", CALLS_ALL.replace("transfer({}, 'b')\n", ""), fmt="json")
    # The verdict's configuration comes from the diff base (docs/trust-model.md): set it on main.
    pr.git("checkout", "-q", "main")
    pr.write("wardgate.toml", (pr.root / "wardgate.toml").read_text() + "[coverage]\nmin_changed_lines = 60\n"
             "min_changed_lines_clinical = 100\nclinical_paths = [\"app/flow.py\"]\n")
    pr.commit("config")
    pr.git("checkout", "-q", "feature")
    pr.git("merge", "-q", "--no-edit", "main")
    code, report = wardgate("check", pr.root, "--no-llm", "--diff", "main", "--coverage", js)
    assert code == 1 and report["coverage"]["format"] == "coverage.py-json"
    assert _condition(report)["held"]
    clinical = _condition(report, "coverage:changed-lines-clinical")
    assert not clinical["held"] and clinical["description"].endswith("≥ 100%")


def test_bad_coverage_files_are_usage_errors(pr, tmp_path: Path, capsys) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><coverage>&b;'
                    "</coverage>")
    broken = tmp_path / "broken.xml"
    broken.write_text("<coverage><packages>")
    cases = [(tmp_path / "missing.xml", "no such file"), (bomb, "refused unsafe XML"), (broken, "malformed XML")]
    for path, reason in cases:
        code = main(["check", str(pr.root), "--no-llm", "--diff", "main", "--coverage", str(path)])
        assert code == 2 and reason in capsys.readouterr().err
    code = main(["check", str(pr.root), "--no-llm", "--coverage", str(broken)])
    assert code == 2 and "--diff" in capsys.readouterr().err


def test_paths_from_another_machine_and_source_roots(pr, tmp_path: Path) -> None:
    xml = measure(pr.root, tmp_path / "cov", CALLS_ALL)
    foreign = tmp_path / "ci.xml"
    text = xml.read_text().replace(str(pr.root), "/home/runner/work/proj/proj")
    foreign.write_text(text)
    data = load(foreign)
    assert data.sources and data.sources[0].startswith("/home/runner/")  # names are relative to <source>
    assert set(map_paths(data, pr.root).files) == {"app/__init__.py", "app/flow.py"}
    js = measure(pr.root, tmp_path / "cov2", CALLS_ALL, fmt="json")
    raw = json.loads(js.read_text())
    raw["files"] = {"C:\\ci\\proj\\" + k.replace("/", "\\"): v for k, v in raw["files"].items()}
    js.write_text(json.dumps(raw))
    mapped = map_paths(load(js), pr.root)
    assert "app/flow.py" in mapped.files and mapped.unmapped == []


def test_a_report_from_other_code_is_called_stale(pr, wardgate, tmp_path: Path) -> None:
    xml = measure(pr.root, tmp_path / "cov", CALLS_ALL)
    pr.write("app/flow.py", BASE + "X = 1\n")  # the working tree no longer has the lines the report measured
    _, report = wardgate("check", pr.root, "--no-llm", "--diff", "main", "--coverage", xml)
    assert report["coverage"]["stale"] == ["app/flow.py"]


def test_malformed_json_and_wrong_root(tmp_path: Path) -> None:
    p = tmp_path / "c.json"
    p.write_text('{"files": {"a.py": {"executed_lines": "1"}}}')
    with pytest.raises(CoverageError, match="line numbers"):
        load(p)
    p.write_text("<report/>")
    with pytest.raises(CoverageError, match="not a Cobertura report"):
        load(p)


def test_ranges_join_across_lines_coverage_does_not_execute() -> None:
    cov = FileCoverage(frozenset({1, 2, 4, 7, 8}), frozenset({1, 7}))
    assert ranges([2, 4, 8], cov) == [[2, 4], [8, 8]]
