"""A hostile but valid file cannot crash the run (issue 14): libcst used to segfault in wardgate's
own process on 7,000 chained `+` or 3,000 nested parentheses (exit 139, no report)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_deeply_nested_files_are_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "chain.py").write_text("x = " + " + ".join(["1"] * 7000) + "\n")
    (tmp_path / "parens.py").write_text("x = " + "(" * 3000 + "1" + ")" * 3000 + "\n")
    (tmp_path / "newer.py").write_text("type Vector = list[float]\n")  # still told apart from broken code
    (tmp_path / "views.py").write_text("def run(cmd):\n    return eval(cmd)\n")
    (tmp_path / "wardgate.toml").write_text("[tools.semgrep]\nenabled = false\n")
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "wardgate", "check", ".", "--no-llm", "--format", "json",
                           "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    rules = {(f["rule_id"], f["path"]) for f in report["findings"]}
    assert {("WG015", "chain.py"), ("WG015", "parens.py"), ("bandit:B307", "views.py")} <= rules
    assert ("WG006", "newer.py") in rules or sys.version_info >= (3, 12)
    cond = next(c for c in report["gate"]["conditions"] if c["id"] == "all-files-analysed")
    assert not cond["held"] and "chain.py" in cond["detail"]
