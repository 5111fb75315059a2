"""WG107: credentials committed in dotenv files, read in a real git repository through the CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from checks.env_files import is_env_file, scan

SECRET = "Opensaber@123"


def test_secret_named_keys_with_real_values_only() -> None:
    text = ("# local containers\nPOSTGRES_PASSWORD=postgres\nDATABASE_URL=postgres://postgres:postgres@db:5432/care\n"
            "BUCKET_SECRET=secret\nAPI_TOKEN=${API_TOKEN}\nDEBUG=False\nHCX_ENCRYPTION_PRIVATE_KEY_URL=https://x/k.pem\n"
            f"export HCX_PASSWORD='{SECRET}'\nREPLICA_URL=postgres://app:Rw-9f2k!x@replica/emr  # read-only\n")
    found = scan("docker/.local.env", text)
    assert [f.start_line for f in found] == [8, 9]
    assert all(SECRET not in f.message and SECRET not in (f.snippet or "") for f in found)


def test_the_environment_of_a_developers_settings_module_is_a_developers() -> None:
    local = "DJANGO_SETTINGS_MODULE=isic.settings.development\nMINIO_SECRET_KEY=tq7Vz2Lp9Xw4Rk8Ns3Bh6Jd1\n"
    assert scan("dev/.env.docker-compose", local) == []
    for module in ("config.settings.local", "app.settings.testing", "proj.test_settings"):
        assert scan(".env", local.replace("isic.settings.development", module)) == [], module
    served = local.replace("isic.settings.development", "isic.settings.production")
    assert [f.start_line for f in scan(".env", served)] == [2]
    assert [f.start_line for f in scan(".env", local.split("\n", 1)[1])] == [1]  # no settings module named


def test_test_run_environments_are_not_env_files() -> None:
    assert is_env_file(".env") and is_env_file("docker/.local.env") and is_env_file("deploy/.env.production")
    assert all(is_env_file(p) for p in (".env.example", "ops/.env.sample", ".env.template", "example.env"))
    assert not any(is_env_file(p) for p in ("env.py", ".envrc"))
    assert not any(is_env_file(p) for p in (".test.env", ".env.test", "ci/.env.ci", ".env.testing"))  # no server reads them
    assert is_env_file(".env.staging") and is_env_file("contest.env")


def test_a_template_reports_only_a_generated_key() -> None:
    text = ("DJANGO_SECRET_KEY=your_django_secret_key_here\nPOSTGRES_PASSWORD=postgres\nSMTP_PASSWORD=Opensaber@123\n"
            "SECRET_KEY='django-insecure-rqrslm6t05zphv(-j(k4*ri$ua8u1d8hg827w!m21+viul_hw&'\n"
            "OIDC_PRIVATE_KEY=MYSUPERSECRETPRIVATEKEY\nAPP_ANONYMIZATION_KEY=\"yqjO5WxiPA2cHavbWyDi76E6Mk7CbqP9\"\n"
            "JWT_SIGNING_KEY=kS9vTq2Lm8Xw4Rz7Np3Bh6Jd1Fg5Yc0E\n")
    found = scan(".env.sample", text)
    # Placeholders, stock and readable passwords and Django's development key are what a template holds.
    assert [f.start_line for f in found] == [6, 7]
    assert {f.severity.value for f in found} == {"medium"}
    assert "every deployment that copies the template shares it" in found[0].message
    assert "yqjO5WxiPA2cHavbWyDi76E6Mk7CbqP9" not in found[0].message + (found[0].snippet or "")
    # The same lines in a deployed environment file are all credentials but the placeholder and the stock one.
    assert [f.start_line for f in scan("deploy/prod.env", text)] == [3, 4, 5, 6, 7]


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def _wg107(cwd: Path, *args: str) -> list[tuple[str, int]]:
    proc = subprocess.run([sys.executable, "-m", "wardgate", "check", *args, "--format", "json", "--no-llm",
                           "--select", "WG107"], cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    assert SECRET not in proc.stdout
    return [(f["path"], f["start_line"]) for f in json.loads(proc.stdout)["findings"] if f["rule_id"] == "WG107"]


def test_committed_env_files_are_read_ignored_and_template_ones_are_not(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "settings.py").write_text('import os\nHCX_PASSWORD = os.environ["HCX_PASSWORD"]\n')
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / ".local.env").write_text(f"POSTGRES_PASSWORD=postgres\nHCX_PASSWORD={SECRET}\n")
    (tmp_path / ".env.example").write_text("HCX_PASSWORD=<staging password>\nDJANGO_SECRET_KEY=change-me\n")
    (tmp_path / ".env").write_text(f"HCX_PASSWORD={SECRET}\n")  # the developer's own, ignored
    (tmp_path / ".gitignore").write_text(".env\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "base")
    assert _wg107(tmp_path, ".") == [("docker/.local.env", 2)]
    # A commit that only touches Python: the staged run reads no dotenv file.
    (tmp_path / "app" / "settings.py").write_text('import os\nHCX_PASSWORD = os.environ.get("HCX_PASSWORD")\n')
    _git(tmp_path, "add", "app/settings.py")
    assert _wg107(tmp_path, "--staged") == []
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "prod.env").write_text(f"SMTP_PASSWORD={SECRET}x\n")
    _git(tmp_path, "add", "deploy/prod.env")
    assert _wg107(tmp_path, "--staged") == [("deploy/prod.env", 1)]
