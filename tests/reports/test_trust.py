"""Trusted configuration: a pull request cannot switch off its own gate (issue 14, wardgate/trust.py).

Each case is a real git repository: BASE has a config, the branch adds a PHI log line (WG501, high)
together with one edit to the gate; the run must still fail and report the edit as WG012."""
from __future__ import annotations

import pytest

BASE_CONFIG = "[tools.semgrep]\nenabled = false\n[tools.radon]\nenabled = false\n"
PHI_LOG = "import logging\n\nlog = logging.getLogger(__name__)\n\n\ndef admit(patient):\n    log.info(f'MRN {patient.mrn}')\n"


def _branch(repo, config_tail: str = "", files: dict[str, str] | None = None) -> None:
    repo.write("wardgate.toml", BASE_CONFIG)
    repo.write("clinic/__init__.py", "")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("clinic/intake.py", PHI_LOG)
    if config_tail:  # top-level keys first, then tables
        top = "".join(line + "\n" for line in config_tail.splitlines() if "=" in line and not config_tail.startswith("["))
        repo.write("wardgate.toml", top + BASE_CONFIG + (config_tail if config_tail.startswith("[") else ""))
    for rel, text in (files or {}).items():
        repo.write(rel, text)
    repo.commit("feature")


def _rules(report: dict, rule: str) -> list[dict]:  # type: ignore[type-arg]
    return [f for f in report["findings"] if f["rule_id"] == rule]


@pytest.mark.parametrize(("tail", "words"), [
    ('exclude = ["clinic/**"]\n', "PR excludes clinic/** from analysis"),
    ('disable = ["WG5"]\n', "PR disables rules WG5*"),
    ('max_file_size = 1\n', "PR lowers max_file_size from 1,000,000 to 1 bytes"),
    ('fail_on = "critical"\n', "PR lowers fail_on from high to critical"),
    ('[rules."WG501"]\nenabled = false\n', "PR disables rule WG501"),
    ('[[suppressions]]\nrule = "WG501"\npath = "clinic/**"\nreason = "ok"\n', "PR adds a suppression of WG501"),
])
def test_the_change_cannot_weaken_its_own_gate(repo, wardgate, tail: str, words: str) -> None:
    _branch(repo, tail)
    code, report = wardgate("check", repo.root, "--no-llm", "--diff", "main")
    assert code == 1
    assert [f["start_line"] for f in _rules(report, "WG501")] == [7]  # judged with BASE's configuration
    changes = _rules(report, "WG012")
    assert any(words in f["message"] for f in changes), [f["message"] for f in changes]
    assert all(f["severity"] == "high" and f["category"] == "wardgate" and f["in_diff"] for f in changes)
    assert report["stats"]["config_origin"] == "main:wardgate.toml"
    assert "security" in [r["role"] for r in report["approvals"]["required"]]
    # The same tree on main after merging: the edit is the configuration now.
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "feature")
    code, report = wardgate("check", repo.root, "--no-llm")
    assert not _rules(report, "WG012") and report["stats"]["config_origin"] == "working tree"


def test_turning_semgrep_off_is_reported(repo, wardgate) -> None:
    repo.write("wardgate.toml", "[tools.radon]\nenabled = false\n")
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    repo.write("wardgate.toml", "[tools.radon]\nenabled = false\n[tools.semgrep]\nenabled = false\n")
    code, report = wardgate("check", repo.root, "--no-llm", "--diff", "HEAD")
    assert code == 1 and report["stats"]["tools"]["semgrep"]["status"] == "ok"
    assert [f["message"].split(".")[0] for f in _rules(report, "WG012")] == ["PR turns off the semgrep tool"]


def test_security_approval_lets_a_config_change_pass(repo, wardgate) -> None:
    repo.write("wardgate.toml", BASE_CONFIG)
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    repo.write("wardgate.toml", 'exclude = ["legacy/**"]\n' + BASE_CONFIG)
    code, report = wardgate("check", repo.root, "--no-llm", "--diff", "HEAD")
    assert code == 1 and _rules(report, "WG012")
    code, report = wardgate("check", repo.root, "--no-llm", "--diff", "HEAD", "--approved-by", "security")
    assert code == 0 and _rules(report, "WG012")[0]["properties"]["approved_by"] == "security"


def test_explicit_config_inside_the_repository_is_read_from_base(repo, wardgate) -> None:
    repo.write("ci/gate.toml", BASE_CONFIG)
    _branch(repo, files={"ci/gate.toml": 'disable = ["WG"]\n' + BASE_CONFIG})
    code, report = wardgate("check", repo.root, "--no-llm", "--diff", "main", "--config", repo.root / "ci/gate.toml")
    assert code == 1 and _rules(report, "WG501") and _rules(report, "WG012")
    assert report["stats"]["config_origin"] == "main:ci/gate.toml"


def test_inline_suppression_added_by_the_change_needs_security(repo, wardgate) -> None:
    _branch(repo, files={"clinic/intake.py": PHI_LOG.replace("}')", "}')  # wardgate: ignore[WG501] -- ok")})
    code, report = wardgate("check", repo.root, "--no-llm", "--diff", "main")
    (added,) = _rules(report, "WG013")
    assert code == 1 and added["start_line"] == 7 and "WG501" in added["message"]
    assert _rules(report, "WG501")[0]["suppression"]["justification"] == "ok"


def test_baseline_edited_by_the_change_is_not_used(repo, wardgate) -> None:
    repo.write("wardgate.toml", BASE_CONFIG)
    repo.write("clinic/__init__.py", "")
    repo.commit("base")
    code, _ = wardgate("baseline", repo.root, "-o", repo.root / ".wardgate-baseline.json", fmt="")
    repo.commit("baseline")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("clinic/intake.py", PHI_LOG)
    repo.commit("feature")
    wardgate("baseline", repo.root, "-o", repo.root / ".wardgate-baseline.json", fmt="")  # baselines its finding
    repo.commit("baseline the finding")
    code, report = wardgate("check", repo.root, "--no-llm", "--diff", "main",
                            "--baseline", repo.root / ".wardgate-baseline.json")
    assert code == 1 and _rules(report, "WG501")[0]["baseline_state"] == "new"
    assert any("PR changes the baseline" in f["message"] for f in _rules(report, "WG012"))


def test_staged_uses_the_working_tree_config_and_reports_it(repo, wardgate) -> None:
    repo.write("wardgate.toml", BASE_CONFIG)
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    repo.write("wardgate.toml", BASE_CONFIG + "[tools.ruff]\nenabled = false\n")
    repo.git("add", "wardgate.toml")
    code, report = wardgate("check", repo.root, "--no-llm", "--staged")
    assert report["stats"]["tools"]["ruff"]["status"] == "disabled"
    (change,) = _rules(report, "WG012")
    assert code == 0 and change["properties"]["advisory"] and "turns off the ruff tool" in change["message"]
