"""One canary test: no secret or patient identifier in any report format, the cache files, the LLM
audit log or the LLM request bodies (issue 14). Real tools, the fake Messages API, a real repo."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

from . import fake_llm as F
from .conftest import CANARIES, FILES

PASSWORD = "CANARYpw9f8Qz2LmX7vB"
HEADER = "CANARYhdr7Kq2Lm9Xz4Wb"
API = f'''\
    import requests


    def fetch(url, patient):
        requests.get(url, auth=("svc", "{PASSWORD}"))
        return requests.post(url, json={{"mrn": patient.mrn}}, headers={{"Authorization": "Bearer {HEADER}"}})
    '''
FORMATS = ("json", "sarif", "sarif-github", "markdown", "text", "github", "junit")


def test_no_canary_leaves_the_machine_or_lands_in_a_report(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    for rel, text in {**FILES, "clinic/api.py": API}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(dedent(text), encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    outputs = [a for fmt in FORMATS[1:] for a in ("--output", f"{fmt}:{tmp_path / 'out'}.{fmt}")]
    with F.FakeLLM() as fake:
        (root / "wardgate.toml").write_text(f'[llm]\nprovider = "anthropic"\nbase_url = "{fake.anthropic_url}"\n'
                                            "min_severity = \"info\"\ntimeout = 5\nmax_retries = 0\n")
        proc = subprocess.run([sys.executable, "-m", "wardgate", "check", ".", "--format", "json", *outputs],
                              cwd=root, env={**env, "ANTHROPIC_API_KEY": "test"}, capture_output=True, text=True,
                              timeout=600, check=False)
        bodies = b"".join(fake.bodies)
    report = json.loads(proc.stdout)
    assert report["stats"]["llm"]["status"] == "ran" and bodies
    assert any(f["path"] == "clinic/api.py" and f.get("snippet") for f in report["findings"])
    texts = {"stdout": proc.stdout, "stderr": proc.stderr, "llm requests": bodies.decode("utf-8", "replace")}
    texts.update({p.name: p.read_text() for p in tmp_path.glob("out.*")})
    cache = root / ".wardgate-cache"
    assert (cache / "llm-audit.jsonl").is_file()
    texts.update({str(p.relative_to(root)): p.read_bytes().decode("latin-1") for p in cache.rglob("*") if p.is_file()})
    assert len([n for n in texts if n.startswith("out.")]) == len(FORMATS) - 1
    leaks = {(name, c) for name, text in texts.items() for c in (*CANARIES, PASSWORD, HEADER) if c in text}
    assert leaks == set()
