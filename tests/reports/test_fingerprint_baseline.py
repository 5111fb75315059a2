"""Fingerprints survive line moves and reformatting; a baseline gates only on new findings."""
from __future__ import annotations

import json

SETTINGS = 'DEBUG = False\npassword = "hunter2hunter2"\n\n\ndef run(s):\n    return eval(s)\n'


def _fps(report: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {f["rule_id"]: f["fingerprint"] for f in report["findings"]}


def test_moving_code_down_keeps_fingerprints_changing_it_does_not(repo, wardgate) -> None:
    repo.write("app/settings.py", SETTINGS)
    repo.commit()
    _, before = wardgate("check", repo.root, "--no-llm")
    repo.write("app/settings.py", "# header\n" * 20 + SETTINGS.replace("return eval(s)", "return  eval( s )"))
    repo.commit()
    _, moved = wardgate("check", repo.root, "--no-llm")
    assert _fps(moved) == _fps(before) and len(_fps(before)) >= 2
    line_hash = {f["rule_id"]: f["properties"]["primaryLocationLineHash"] for f in moved["findings"]}
    assert all(":" in h for h in line_hash.values())
    repo.write("app/settings.py", SETTINGS.replace("eval(s)", "eval(s + 'x')"))
    _, changed = wardgate("check", repo.root, "--no-llm")
    assert _fps(changed)["bandit:B307"] != _fps(before)["bandit:B307"]


def test_baseline_made_before_a_change_fails_only_the_new_finding(repo, wardgate, capsys) -> None:
    from wardgate.cli import main

    repo.write("app/settings.py", SETTINGS)
    repo.commit()
    assert main(["baseline", str(repo.root)]) == 0
    capsys.readouterr()
    data = json.loads((repo.root / ".wardgate-baseline.json").read_text())
    raw = json.dumps(data)
    assert "hunter2" not in raw and not any("line" in k for e in data["findings"] for k in e) and data["findings"] == sorted(
        data["findings"], key=lambda e: (e["path"], e["rule_id"], e["fingerprint"]))
    baseline = repo.root / ".wardgate-baseline.json"
    code, report = wardgate("check", repo.root, "--no-llm", "--baseline", baseline)
    assert code == 0 and {f["baseline_state"] for f in report["findings"]} == {"unchanged"}
    # the same problem again, identical code: one baseline entry must not hide the second one
    repo.write("app/settings.py", "# moved\n" * 5 + SETTINGS + "\n\ndef run2(s):\n    return eval(s)\n"
               + 'token = "sk_live_abcdefghijklmnop"\n')
    code, report = wardgate("check", repo.root, "--no-llm", "--baseline", baseline, "--fail-on", "medium")
    new = [(f["rule_id"], f["start_line"]) for f in report["findings"] if f["baseline_state"] == "new"]
    assert code == 1 and ("bandit:B307", 15) in new and len([r for r, _ in new if r == "bandit:B307"]) == 1
    assert all(f["baseline_state"] == "unchanged" for f in report["findings"] if f["start_line"] in (7, 11))


def test_absent_baseline_entries_are_reported(repo, wardgate) -> None:
    from wardgate.cli import main

    repo.write("app/settings.py", SETTINGS)
    main(["baseline", str(repo.root), "--output", str(repo.root / "b.json")])
    repo.write("app/settings.py", "DEBUG = False\n")
    code, sarif = wardgate("check", repo.root, "--no-llm", "--baseline", repo.root / "b.json", fmt="sarif")
    states = [r.get("baselineState") for r in sarif["runs"][0]["results"]]
    assert code == 0 and "absent" in states


def test_not_a_baseline_is_a_usage_error(repo, wardgate) -> None:
    repo.write("x.json", "{}")
    code, _ = wardgate("check", repo.root, "--no-llm", "--baseline", repo.root / "x.json", fmt="")
    assert code == 2
