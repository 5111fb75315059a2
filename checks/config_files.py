"""Secrets committed in YAML configuration and deployment files: rule WG110.

Services often read their settings from a YAML file mounted into the container (`/etc/service/config.yml`), and
Kubernetes manifests hand the environment to the pods. Committed, a key in either is published. A YAML file is parsed
(never executed: `yaml.compose`, no tags resolved to objects) and two things are reported:
- under a key that names a secret (`secret_key`, `client_secret`, `SIGNING_KEY`), a value that is a generated key
  (a vendor token format or 20+ random characters): a readable password there may be a local default, a random key
  is somebody's real one;
- in a Kubernetes manifest (a document with `apiVersion` and `kind`), a connection URL with a password or a secret-named
  environment variable (`- name: DB_PASSWORD` / `value: ...`) whose value is no placeholder or stock default: a
  manifest is what a cluster runs.
Encrypted values (SOPS files, `ENC[...]`, Cloud Build's KMS `secretEnv`) are no secrets in the clear. Files a deployment
never reads are skipped: CI definitions (`.github/`, `.gitlab-ci.yml`, `.travis.yml`), OpenAPI
documents, and files under test, example, fixture, mock, demo or development folders or so named.
"""
from __future__ import annotations

import re

import yaml

from .finding import Category, Confidence, Finding, Severity
from .masking import mask
from .rulemeta import RuleMeta
from .secrets import (
    is_secret_name,
    real_credential,
    real_looking_in_test,
    url_password,
)

CODE = "WG110"
MAX_BYTES = 500_000
_YAML = re.compile(r"\.ya?ml$", re.IGNORECASE)
# Folders and file names of what no deployment reads.
_NOT_DEPLOYED = re.compile(
    r"(^|[/._-])(tests?|testing|examples?|samples?|fixtures?|mocks?|mockups?|demo|dev|development|local|ci|"
    r"openapi|swagger|locale|node_modules)($|[/._-])", re.IGNORECASE)
_CI_FILES = re.compile(r"(^|/)(\.github|\.gitlab|\.circleci|\.buildkite)/|(^|/)(\.gitlab-ci|\.travis|"
                       r"azure-pipelines|bitbucket-pipelines|\.pre-commit-config|codecov|mkdocs)\.ya?ml$",
                       re.IGNORECASE)

RULE = RuleMeta(
    id=CODE, name="secret-in-config-file", category=Category.SECRET, severity=Severity.HIGH, tool="wardgate",
    summary="Credential committed in a YAML configuration or deployment file", cwe=798, confidence="medium",
    hipaa="§164.312(a)(1) access control; §164.312(d) person or entity authentication",
    doc="""## What it does
Parses committed YAML files (never executing them) and flags, under a key that names a secret (`secret_key`,
`client_secret`, `jwt_signing_key`), a value that is a generated key: a vendor token format or 20 or more random
characters. In a Kubernetes manifest (`apiVersion` + `kind`) it also flags a connection URL carrying a password and a
secret-named environment variable (`- name: DB_PASSWORD` / `value: ...`) whose value is no placeholder or stock
default. CI definitions, OpenAPI documents and files under test, example, fixture, mock, demo, local or
development folders (or so named) are skipped: no deployment reads them.

## Why is this bad?
A service's YAML configuration and a cluster's manifests are what production runs with; committed, the Django
`SECRET_KEY` that signs sessions, an OAuth2 client secret that reads every consent, or the database password is
handed to everyone who can read the repository, its forks and its CI logs. HIPAA §164.312(a)(1) access control and
§164.312(d) person or entity authentication.

## Example
```yaml
# docker/environments/production/config_files/backend.yml
django:
  secret_key: 8m#4t%c_z1l7=gsfpf=han8ibdmd-+w1-05^&-+e4%)vwn2*7@
```

Use instead: mount the secret from the platform's secret store (a Kubernetes `Secret`, Docker secrets, the CI's
secret variables) and keep only its name in the committed file; rotate the exposed key.
""")


def is_config_file(path: str) -> bool:
    """A YAML file a deployment may read (not CI, an API description, or test/example/development material)."""
    return _YAML.search(path) is not None and not _CI_FILES.search(path) \
        and not _NOT_DEPLOYED.search(path.rsplit(".", 1)[0])


def scan(path: str, text: str) -> list[Finding]:
    """WG110 findings of one YAML file's text; a file that does not parse is skipped (it configures nothing)."""
    out: list[Finding] = []
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return out
    for doc in documents:
        if not isinstance(doc, yaml.MappingNode):
            continue
        top = {k.value for k, _ in doc.value if isinstance(k, yaml.ScalarNode)}
        if "sops" in top:
            continue  # a SOPS file: its values are ciphertext
        manifest = {"apiVersion", "kind"} <= top
        for key, value in _pairs(doc):
            found = _secret(key, value.value, manifest)
            if found is None:
                continue
            line = value.start_mark.line + 1
            where = "Kubernetes manifest" if manifest else "configuration file"
            out.append(Finding(
                rule_id=CODE, category=RULE.category, severity=RULE.severity, tool="wardgate", path=path,
                start_line=line, end_line=line, cwe=RULE.cwe, confidence=Confidence.MEDIUM,
                message=f"{key} in a committed {where} holds {found} ({mask(value.value)}).",
                snippet=f"{key}: {mask(value.value)}",
                fix="Mount the value from the platform's secret store and keep only its name in the file; rotate it."))
    return sorted(out, key=lambda f: f.start_line)


def _pairs(node: yaml.Node) -> list[tuple[str, yaml.ScalarNode]]:
    """(key, scalar value) of every mapping entry at any depth; a Kubernetes `env` entry (`name:` + `value:`) is
    read as its variable's name and value."""
    out: list[tuple[str, yaml.ScalarNode]] = []
    stack = [node]
    seen: set[int] = set()  # an alias names a node already composed: visit each once (alias bombs, cycles)
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, yaml.MappingNode):
            entries = {k.value: v for k, v in n.value if isinstance(k, yaml.ScalarNode)}
            if "kmsKeyName" in entries:
                continue  # Cloud Build's `secretEnv`: values encrypted with that KMS key
            name, value = entries.get("name"), entries.get("value")
            if isinstance(name, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode) and isinstance(name.value, str):
                out.append((name.value, value))
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode) and k.value not in ("name", "value"):
                    out.append((str(k.value), v))
                elif isinstance(v, (yaml.MappingNode, yaml.SequenceNode)):
                    stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return out


def _secret(key: str, value: object, manifest: bool) -> str | None:
    """What the value is when it is a committed credential, else None."""
    if not isinstance(value, str) or not value.strip() or value.startswith(("$", "{{", "%(", "ENC[")):
        return None
    password = url_password(value, deployed=manifest)
    if password is not None:
        return "a connection URL with its password" if manifest and real_credential(password) else None
    if not is_secret_name(key):
        return None
    if real_looking_in_test(value):
        return "a generated key"
    if manifest and real_credential(value):
        return "a credential"
    return None

