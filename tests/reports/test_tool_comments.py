"""`# noqa`, `# nosec`, `# nosemgrep` and the project's own ruff config never silence a medical or
security finding (issue 14; checks/tools/comments.py). Real ruff, bandit and semgrep on a real repo."""
from __future__ import annotations

SETTINGS = '''\
import sentry_sdk

DEBUG = True  # nosemgrep
sentry_sdk.init(dsn="https://k@example.org/1", send_default_pii=True)  # nosemgrep: WG506
'''
CODE = '''\
import os
import subprocess


def run(cmd):
    subprocess.call(cmd, shell=True)  # nosec
    return eval(cmd)  # nosec B307


def g():
    return undefined_name  # noqa: F821
'''


def _by_rule(report: dict) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    out: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for f in report["findings"]:
        out.setdefault(f["rule_id"], []).append(f)
    return out


def test_tool_comments_do_not_hide_security_or_medical_findings(repo, wardgate) -> None:
    repo.write("wardgate.toml", "[tools.radon]\nenabled = false\n")
    repo.write("clinic_site/settings.py", SETTINGS)
    repo.write("app/code.py", CODE)
    # The project's own ruff config would ignore everything; wardgate runs ruff --isolated.
    repo.write("pyproject.toml", '[tool.ruff.lint]\nignore = ["F"]\nper-file-ignores = {"*" = ["F401"]}\n')
    code, report = wardgate("check", repo.root, "--no-llm")
    rules = _by_rule(report)
    assert code == 1
    assert [f["start_line"] for f in rules["WG601"]] == [3]  # DEBUG = True despite `# nosemgrep`
    assert [f["start_line"] for f in rules["WG506"]] == [4]  # Sentry PII despite `# nosemgrep: WG506`
    assert {f["start_line"] for f in rules["bandit:B602"]} == {6} and rules["bandit:B307"][0]["start_line"] == 7
    unexplained = sorted((f["path"], f["start_line"]) for f in rules["WG014"])
    assert unexplained == [("app/code.py", 6), ("app/code.py", 7), ("clinic_site/settings.py", 3),
                           ("clinic_site/settings.py", 4)]
    # A bare noqa comment still silences a quality finding (as ruff would), and the project's ruff config has no say.
    assert "ruff:F821" not in rules
    assert [f["start_line"] for f in rules["ruff:F401"]] == [1]


def test_a_reasoned_wardgate_suppression_explains_a_tool_comment(repo, wardgate) -> None:
    repo.write("wardgate.toml", "[tools.radon]\nenabled = false\n[tools.semgrep]\nenabled = false\n")
    repo.write("app/code.py", "import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)"
               "  # nosec  # wardgate: ignore[bandit:B602] -- cmd is a constant from settings (SEC-9)\n")
    code, report = wardgate("check", repo.root, "--no-llm")
    rules = _by_rule(report)
    assert code == 0 and "WG014" not in rules
    assert rules["bandit:B602"][0]["suppression"]["justification"].startswith("cmd is a constant")
