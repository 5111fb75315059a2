"""WG110: credentials committed in YAML configuration files and Kubernetes manifests, read through the CLI in a real
git repository."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from checks.config_files import is_config_file, scan

KEY = "8m#4t%c_z1l7=gsfpf=han8ibdmd-+w1-05^&-+e4%)vwn2*7@"
CLIENT_SECRET = "NrRetjwS3n9By6FhqWKbkuGLTvuQWtbQq3QwnKc8CgHoJg02MeQI4Mitj2fISJXv4DQie"
SERVICE_CONFIG = f"""\
django:
  debug: false
  secret_key: {KEY}
  database:
    engine: postgresql
    user: hgwfrontend
    password: hgwfrontend
consent_manager:
  client_id: 04hpKQ1RPdbQAI0TYZ4A162r0IBlPH8WS6cZ5BMR
  client_secret: {CLIENT_SECRET}
  token_url: https://consentmanager:8002/oauth2/token/
"""
MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: server
spec:
  template:
    spec:
      containers:
      - name: server
        env:
          - name: DATABASE_URL
            value: 'psql://heartsteps:heartsteps@/heartsteps?host=/cloudsql/project:us-west1:db'
          - name: BROKER_URL
            value: 'amqp://guest:guest@rabbitmq:5672'
          - name: SMTP_PASSWORD
            value: Opensaber@123
          - name: API_TOKEN
            value: ${API_TOKEN}
"""


def test_generated_keys_in_a_service_config_and_credentials_in_a_manifest() -> None:
    found = scan("docker/production/config_files/frontend.yml", SERVICE_CONFIG)
    # The readable database password may be a local container's; the generated keys are somebody's real ones.
    assert [(f.start_line, f.message.split(" ")[0]) for f in found] == [(3, "secret_key"), (10, "client_secret")]
    assert all(KEY not in f.message + (f.snippet or "") and CLIENT_SECRET not in f.message for f in found)
    # What a cluster runs: a Cloud SQL socket URL whose password repeats the user name is still a real password.
    assert sorted(f.start_line for f in scan("k8s/deployment.yaml", MANIFEST)) == [12, 16]
    # The same values outside a manifest: only generated keys count.
    assert scan("ops/settings.yaml", MANIFEST.replace("apiVersion: apps/v1\nkind: Deployment\n", "")) == []


def test_encrypted_values_and_what_no_deployment_reads_are_skipped() -> None:
    sops = SERVICE_CONFIG.replace(KEY, "ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]") + "sops:\n  version: 3.7.3\n"
    assert scan("ops/values/prod.sops.yaml", sops) == []
    kms = ("secrets:\n- kmsKeyName: projects/p/locations/l/keyRings/r/cryptoKeys/sentry\n  secretEnv:\n"
           f"    SENTRY_AUTH_TOKEN: {CLIENT_SECRET}\n")
    assert scan("cloudbuild.yaml", kms) == []
    assert scan("broken.yml", "django: [secret_key: {\n") == []  # does not parse: configures nothing
    assert is_config_file("docker/environments/production/config_files/backend.yml")
    assert is_config_file("hgw_frontend/config.yml") and is_config_file("k8s/deployment.yaml")
    assert not any(is_config_file(p) for p in (
        ".github/workflows/ci.yml", ".gitlab-ci.yml", ".travis.yml", "tests/fixtures/config.yml",
        "docker/development/config.yml", "config.dev.yml", "examples/source/config.yml", "docs/openapi.yaml",
        "settings.py", "values.json"))


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def _wg110(cwd: Path, *args: str) -> list[tuple[str, int]]:
    proc = subprocess.run([sys.executable, "-m", "wardgate", "check", *args, "--format", "json", "--no-llm",
                           "--select", "WG110"], cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    assert KEY not in proc.stdout and CLIENT_SECRET not in proc.stdout
    return sorted((f["path"], f["start_line"]) for f in json.loads(proc.stdout)["findings"] if f["rule_id"] == "WG110")


def test_committed_yaml_is_read_in_full_and_staged_runs(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "settings.py").write_text("import yaml\nCONFIG = yaml.safe_load(open('/etc/app/config.yml'))\n")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "production.yml").write_text(SERVICE_CONFIG)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "config.yml").write_text(SERVICE_CONFIG)  # a test run's: no deployment reads it
    (tmp_path / "override.yml").write_text(SERVICE_CONFIG)  # ignored by git: not committed
    (tmp_path / ".gitignore").write_text("override.yml\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "base")
    assert _wg110(tmp_path, ".") == [("config/production.yml", 3), ("config/production.yml", 10)]
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "server.yaml").write_text(MANIFEST)
    _git(tmp_path, "add", "k8s/server.yaml")
    assert _wg110(tmp_path, "--staged") == [("k8s/server.yaml", 12), ("k8s/server.yaml", 16)]


def test_aliases_are_read_once_so_an_alias_bomb_or_a_cycle_cannot_stall_the_gate() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))
    bomb += f"django:\n  secret_key: {KEY}\n"
    assert [f.start_line for f in scan("config/app.yml", bomb)] == [11]  # 10**9 leaves if expanded
    assert scan("config/loop.yml", "a: &a\n  b: *a\n  secret_key: short\n") == []
