"""Secrets committed in dotenv files (`.env`, `docker/.local.env`, `.env.staging`): rule WG107.

Settings read credentials from the environment, and the environment is often a file beside them. Committed, it
publishes the credential. A dotenv file is read line by line (`KEY=value`, `export KEY=value`, quotes, comments)
and a value is reported when its key names a secret (`HCX_PASSWORD`, `STRIPE_API_KEY`) and the value is no
placeholder or stock local-service default (`postgres`, `guest`, `changeme`), or when a URL in it carries such a
password (`postgres://app:S3cret@db/emr`). The environments of test runs and CI jobs (`.env.test`, `.test.env`,
`.env.ci`) are skipped. Files meant as templates (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`) are
copied by every deployment: in them only a random-looking key (a vendor token format, or 20+ random characters)
counts, since placeholders and readable phrases are what a template should hold.
"""
from __future__ import annotations

import re

from .finding import Category, Confidence, Finding, Severity
from .masking import mask
from .rulemeta import RuleMeta
from .secrets import (
    is_secret_name,
    looks_like_secret_value,
    real_credential,
    real_looking_in_test,
    url_password,
)

CODE = "WG107"
# `.env`, `.env.production`, `prod.env`, `docker/.local.env`; not templates.
ENV_FILE = re.compile(r"(^|/)(\.env(\.[\w-]+)?|[\w.-]+\.env)$")
# The environments of a test run or CI job (`.test.env`, `.env.ci`): their values reach no server.
_TEST_RUN = re.compile(r"(^|[./_-])(tests?|testing|ci)($|[./_-])", re.IGNORECASE)
# Templates a deployment copies (`.env.sample`, `example.env`): only a real random key in one is a leak.
_TEMPLATE = re.compile(r"(^|[./_-])(example|sample|template|dist|tpl|defaults?)($|[./_-])", re.IGNORECASE)
# Django's startproject key announces itself as a development key.
_DEVELOPMENT_KEY = "django-insecure-"
_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$")
MAX_BYTES = 200_000

RULE = RuleMeta(
    id=CODE, name="secret-in-env-file", category=Category.SECRET, severity=Severity.HIGH, tool="wardgate",
    summary="Credential committed in a dotenv file", cwe=798, confidence="high",
    hipaa="§164.312(a)(1) access control; §164.312(d) person or entity authentication",
    doc="""## What it does
Reads committed dotenv files (`.env`, `.env.production`, `docker/.local.env`) line by line and flags a value whose
key names a secret (`*_PASSWORD`, `*_SECRET`, `*_TOKEN`, `*_API_KEY`) when it is no placeholder (`changeme`,
`<your-key>`, `${VAR}`) and no stock local-service default (`postgres`, `guest`), and a URL whose password is
such a value (`DATABASE_URL=postgres://app:S3cret@db/emr`). The environments of test runs and CI jobs
(`.env.test`, `.test.env`, `.env.ci`) and files that start Django with a developer's or a test run's settings
module (`DJANGO_SETTINGS_MODULE=config.settings.local`) are skipped. In a template (`.env.example`, `.env.sample`,
`.env.template`, `.env.dist`) only a random-looking key is reported, at medium severity: a vendor token format or
20+ random characters, not a placeholder, a readable phrase or Django's `django-insecure-` development
key. Every deployment that copies the template without changing it shares that key.

## Why is this bad?
A dotenv file is where the settings' `os.environ[...]` values come from; committed, it hands the credential to
everyone who can read the repository, its forks and its CI logs. HIPAA §164.312(a)(1) access control and
§164.312(d) person or entity authentication.

## Example
```sh
# docker/.local.env
HCX_PASSWORD=Opensaber@123
```

Use instead: commit `docker/.env.example` with `HCX_PASSWORD=<staging password>`, keep the real file out of git
(`.gitignore`), and rotate the exposed credential.
""")


def is_env_file(path: str) -> bool:
    return ENV_FILE.search(path) is not None and not _TEST_RUN.search(path.rsplit("/", 1)[-1].lstrip("."))


def _is_template(path: str) -> bool:
    return _TEMPLATE.search(path.rsplit("/", 1)[-1].lstrip(".")) is not None


def scan(path: str, text: str) -> list[Finding]:
    """WG107 findings of one dotenv file's text."""
    out: list[Finding] = []
    lines = text.splitlines()[:5000]
    if _developer_environment(lines):
        return out
    template = _is_template(path)
    for number, line in enumerate(lines, 1):
        m = _LINE.match(line)
        if m is None or line.lstrip().startswith("#"):
            continue
        key, value = m.group(1), _unquote(m.group(2))
        password = url_password(value)
        if password is not None:
            secret = password
        elif is_secret_name(key) and looks_like_secret_value(value, password_like="pass" in key.lower()
                                                              or "pwd" in key.lower()):
            secret = value
        else:
            continue
        if not real_credential(secret) or (template and not _random_key(secret)):
            continue
        if template:
            message = (f"{key} in the committed template {path.rsplit('/', 1)[-1]} holds a random-looking key "
                       f"({mask(secret)}), not a placeholder: every deployment that copies the template shares it.")
            fix = "Put a placeholder in the template and have each deployment generate its own key."
        else:
            message = f"{key} in a committed dotenv file holds a credential ({mask(secret)})."
            fix = "Commit a template with a placeholder instead, keep the real file out of git, and rotate the credential."
        out.append(Finding(
            rule_id=CODE, category=RULE.category, severity=Severity.MEDIUM if template else RULE.severity,
            tool="wardgate", path=path, start_line=number, end_line=number, cwe=RULE.cwe,
            confidence=Confidence.MEDIUM if template else Confidence.HIGH, message=message,
            snippet=line.replace(secret, mask(secret)), fix=fix))
    return out


# Settings modules only a developer's machine or a test run loads (`config.settings.local`, `app.settings.testing`).
_DEVELOPER_SETTINGS = re.compile(r"(^|_)(local|dev|development|test|tests|testing|ci)(_settings)?$")


def _developer_environment(lines: list[str]) -> bool:
    """The file starts Django with a developer's or a test run's settings module
    (`DJANGO_SETTINGS_MODULE=isic.settings.development`): it is that machine's environment, its services local ones."""
    for line in lines:
        m = _LINE.match(line)
        if m is not None and m.group(1) == "DJANGO_SETTINGS_MODULE":
            return _DEVELOPER_SETTINGS.search(_unquote(m.group(2)).rsplit(".", 1)[-1]) is not None
    return False


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value.split(" #", 1)[0].strip()  # an unquoted value ends at an inline comment


def _random_key(value: str) -> bool:
    """A template's value that is a generated key, not a placeholder: a vendor token format or 20+ random
    characters, and not Django's self-declared development key."""
    return real_looking_in_test(value) and not value.startswith(_DEVELOPMENT_KEY)


