"""Shared helpers for the secret rules: placeholders and literal fallbacks of env lookups."""
from __future__ import annotations

import ast
import itertools
import re
from typing import Any

from .facts.settings_modules import NAME as SETTINGS
from .facts.settings_modules import SettingsModules
from .names import ImportMap

_PLACEHOLDER = re.compile(
    r"""^(
        |changeme|change[-_ ]?me.*|replace[-_ ]?me.*|todo|tbd|xxx+|\*+|\.\.\.|none|null|secret|password|
        dummy|example|sample|placeholder|your[-_ ].*|insert[-_ ].*|fill[-_ ]?me.*|
        <[^>]*>|\{[^}]*\}|\$\{[^}]*\}|%\([^)]*\)s|test|testing|dev|development|fake|not[-_ ]?set|unset|
        unknown([-_ ].*)?|missing([-_ ].*)?|
        (fake|dummy|example|sample|placeholder|some|my|the)[-_ ]?(password|passwd|pass|pwd|secret|key|token)|
        (password|secret|token)[-_ ]?(here|placeholder|goes[-_ ]?here)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# Template markers: a value to be filled in, never one anything accepts (`<db-password>`, `${DB_PASSWORD}`).
_TEMPLATE_MARKER = re.compile(r"^(<[^>]*>|\$\{[^}]*\}|\{[^}]*\}|%\([^)]*\)s|\*+|\.\.\.|x{3,})$", re.IGNORECASE)


def is_template_marker(value: str) -> bool:
    return _TEMPLATE_MARKER.match(value.strip()) is not None


# What local and CI containers ship with (`postgres://postgres:postgres@localhost`): protects nothing anyone
# relies on, and a real server refuses it.
STOCK_PASSWORDS = frozenset({"postgres", "mysql", "root", "admin", "guest", "redis", "rabbitmq", "minio", "minioadmin",
                             "localstack", "django", "user", "pass", "passw0rd", "password1", "secret1"})
# The published logins of the public demo servers of DHIS2 (admin/district, play.dhis2.org) and OpenMRS
# (admin/Admin123): seed data and sandboxes point at those servers; they guard nothing of the project's.
DEMO_PASSWORDS = frozenset({"district", "admin123"})
# Django's calls that make an account, and those that also set a password on one.
ACCOUNT_CREATORS = frozenset({"create_user", "create_superuser"})
ACCOUNT_CALLS = ACCOUNT_CREATORS | {"set_password"}
# Keys a vendor publishes for everyone's tests: Google's reCAPTCHA test site key and secret, which pass every check
# and protect nothing. (AWS's documented example keys stay findings: in settings they stand where a real key goes.)
PUBLISHED_TEST_KEYS = frozenset({"6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe", "6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI"})
# A value that says it must be replaced, read word by word (words split at `-`, `_`, `.`, spaces and case changes, so
# `replace_with_random_string` reads as `replace-with-random-string`): an instruction ("please-change-me",
# "insecure-replace-me-in-prod", "update-with-strong-secret", "fill_in_secret", "must-set"), a word addressed to
# the reader ("your_api_key_here", "enterYourToken"), a note ("TODO_set_in_prod"), or a slot marker at the end
# ("api_key_here", "token-goes-here").
_REPLACE_VERBS = frozenset({"change", "replace", "update", "fill", "set", "put", "enter", "insert", "paste"})
_ASKING_PAIRS = frozenset({*((v, o) for v in _REPLACE_VERBS for o in ("me", "this", "it", "with")), ("fill", "in"),
                           ("must", "set"), ("must", "be"), ("not", "used")})  # "not-used-private-key-jwt": no secret
_ASKING_WORDS = frozenset({"your", "yours", "todo", "tbd", "fixme", "unused",
                           *(v + o for v in _REPLACE_VERBS for o in ("me", "this"))})

_ENV_GETTERS = (
    "os.environ.get",
    "os.getenv",
    "os.environ.setdefault",
    "decouple.config",
)


def is_placeholder(value: str) -> bool:
    v = value.strip()
    return len(v) < 6 or _PLACEHOLDER.match(v) is not None or _asks_to_be_replaced(v)


def _asks_to_be_replaced(value: str) -> bool:
    """`replace_with_random_string`, `your_api_key_here`, `CHANGE_ME`, `TODO: set in prod`: words of a value written
    to be replaced, not used."""
    words = name_tokens(value)
    if len(words) >= 2 and words[-1] == "here":
        return True
    return bool(_ASKING_WORDS & set(words)) or any(pair in _ASKING_PAIRS for pair in itertools.pairwise(words))


def literal_fallback(value: ast.expr, imports: ImportMap) -> str | None:
    """The literal default of an environment lookup, e.g. `os.environ.get("X", "lit")` -> "lit".

    Recognises os.environ.get / os.getenv / python-decouple `config` / django-environ
    (`env("X", default=...)`, `env.str("X", default=...)`, where `env = environ.Env()`).
    """
    if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or):  # os.environ.get("X") or "lit"
        last = value.values[-1]
        if isinstance(last, ast.Constant) and isinstance(last.value, str):
            return last.value
        return None
    if isinstance(value, ast.IfExp):  # `read_secret(f) if PASSWORD_FILE else os.environ.get("X", "lit")`
        return literal_fallback(value.body, imports) or literal_fallback(value.orelse, imports)
    if not isinstance(value, ast.Call):
        return None
    name = imports.qualname(value.func) or ""
    if not (_is_env_getter(name) or _is_django_environ(value.func, imports)):
        return None
    default: ast.expr | None = None
    for kw in value.keywords:
        if kw.arg == "default":
            default = kw.value
    if default is None and len(value.args) >= 2:
        default = value.args[1]
    if isinstance(default, ast.Constant) and isinstance(default.value, str):
        return default.value
    return None


def _is_env_getter(name: str) -> bool:
    return any(name == g or name.endswith("." + g) for g in _ENV_GETTERS)


def _is_django_environ(func: ast.expr, imports: ImportMap) -> bool:
    # env("X", default=...) or env.str("X", default=...) where env is an environ.Env instance;
    # the instance's name is conventional, so accept `env`/`environ` receivers and environ.Env().
    target = func.value if isinstance(func, ast.Attribute) else func
    if isinstance(target, ast.Call):
        return (imports.qualname(target.func) or "").endswith("environ.Env")
    return isinstance(target, ast.Name) and target.id in {"env", "environ_env", "ENV"}


# -- recognising secrets ------------------------------------------------------------------------
# (kind, pattern): formats documented by each vendor; searched anywhere inside a string literal.
TOKEN_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("Anthropic API key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
        ("OpenAI API key", r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{20,}"),
        ("AWS access key id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        ("Stripe live key", r"\b[sr]k_live_[0-9A-Za-z]{16,}"),
        ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{40,}"),
        ("Slack token", r"\bxox[baprs]-[A-Za-z0-9\-]{10,}"),
        ("SendGrid API key", r"\bSG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}"),
        ("Twilio API key", r"\bSK[0-9a-fA-F]{32}\b"),
        ("Google API key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    )
)
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----\s*([A-Za-z0-9+/=\s:,\-]{40,})")
# (the host may be empty: `psql://app:pw@/emr?host=/cloudsql/project:region:instance` reaches a Unix socket)
_URL_CREDS = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://([^:/@\s]*):([^@/\s]+)@(?:[^\s/@]+|/\w)")
_ALPHABET = re.compile(r"abcdefghij|ABCDEFGHIJ|0123456789")
_PASSWORD_HASH = re.compile(r"^(pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|scrypt|md5|sha1)\$\S+\$")
_WORD_THEN_DIGITS = re.compile(r"^[A-Za-z]+[0-9]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
# Obvious dummies (Stripe's `sk_test_`/`pk_test_` keys included): fine in a tests module, never a production secret.
_DUMMY = re.compile(r"fake|dummy|example|test|sample|placeholder|change[-_ ]?me|xxxx|0000000", re.IGNORECASE)

_SECRET_WORDS = frozenset({"password", "passwd", "pwd", "pass", "passphrase", "secret", "token",
                           "apikey", "credential", "credentials", "secretkey", "authtoken"})
_KEY_QUALIFIERS = frozenset({"api", "access", "secret", "private", "auth", "write", "signing", "encryption",
                             "master", "client", "app", "license", "service", "webhook", "hmac", "jwt",
                             # the key of a keyed hash that de-identifies records: whoever has it re-identifies them
                             "anonymization", "anonymisation", "pseudonymization", "pseudonymisation"})
# A name ending in one of these describes a secret (its lifetime, its URL, its label), not the secret.
_NOT_SECRET_TAIL = frozenset({
    "ttl", "timeout", "age", "seconds", "secs", "minutes", "hours", "days", "length", "len", "min", "max",
    "count", "url", "uri", "endpoint", "label", "field", "fields", "name", "header", "param", "prefix",
    "suffix", "path", "file", "dir", "id", "user", "username", "validators", "policy", "lifetime",
    "expiry", "expires", "expiration", "backend", "backends", "class", "classes", "type", "enabled",
    "required", "algorithm", "algorithms", "alg", "format", "model", "serializer", "regex", "pattern",
    "help", "text", "message", "template", "location", "env", "var", "variable", "setting", "key_name",
    "hint", "placeholder", "description", "title", "view", "form", "attempts", "retries", "interval",
})
# A push service's device token addresses a phone (`fcm_token`, `apns_device_token`, `registration_token`): the
# sender's server key, not the address, is the credential.
_DEVICE_ADDRESS = frozenset({"fcm", "gcm", "apns", "push", "device", "registration"})
_PUBLIC_WORDS = frozenset({"public", "pub", "pubkey", "fingerprint", "sha1", "sha256", "sha512", "md5",
                           "hash", "checksum", "digest", "pin", "pins", "thumbprint"})


def name_tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [t for t in re.split(r"[^a-zA-Z0-9]+", spaced.lower()) if t]


def names_itself(name: str, literal: str) -> bool:
    """The value is an identifier spelling the name it is assigned to (`SECRET_KEY = "secret_key"`, a command
    `GENERATE_NEW_DJANGO_SECRET_KEY = "crate_generate_new_django_secret_key"`), or two or more of its words (an event
    type `PASSWORD_EXPIRY_WARNING = "password-expiry-warning"`, an attribute name `..._PASSWORD_CHANGE_DATE_ATTR =
    "password_change_date"`): a key, command or field name, not a secret."""
    v = literal.strip()
    if not v.replace("-", "_").isidentifier() or any(c.isdigit() for c in v):  # words: `"s3cr3t_key"` is no name
        return False
    want, have = name_tokens(name), name_tokens(literal)
    return bool(want) and (_runs_within(want, have) or len(have) >= 2 and _runs_within(have, want))


def _runs_within(part: list[str], whole: list[str]) -> bool:
    return any(whole[i:i + len(part)] == part for i in range(len(whole) - len(part) + 1))


def is_secret_name(name: str) -> bool:
    """`DB_PASSWORD`, `stripeApiKey`, `AWS_SECRET_ACCESS_KEY` yes; `PASSWORD_RESET_TIMEOUT`, `TOKEN_TTL` no."""
    tokens = name_tokens(name)
    if not tokens or tokens[-1] in _NOT_SECRET_TAIL or _PUBLIC_WORDS & set(tokens):
        return False
    if "pubkey" in name.lower():
        return False
    if tokens[-1] == "token" and _DEVICE_ADDRESS & set(tokens) and set(tokens) <= _DEVICE_ADDRESS | {"token", "user"}:
        return False
    if _SECRET_WORDS & set(tokens):
        return True
    return any(t == "key" and i > 0 and tokens[i - 1] in _KEY_QUALIFIERS for i, t in enumerate(tokens))


def token_kind(value: str) -> tuple[str, str] | None:
    """(kind, matched text) of a known credential format inside `value`, else None."""
    if len(value) < 15:  # every known format is at least this long (a Slack token: 15)
        return None
    m = _PRIVATE_KEY.search(value)
    if m and "PUBLIC" not in m.group(0).split("-----")[1]:
        return "private key block", value
    for kind, pattern in TOKEN_FORMATS:
        found = pattern.search(value)
        if found and not is_placeholder(found.group(0)):
            return kind, found.group(0)
    return None


def url_password(value: str, *, deployed: bool = False) -> str | None:
    """The password of `scheme://user:password@host` in `value`, unless it is a placeholder. `deployed`: the URL is
    what a deployment runs with (a Kubernetes manifest), so a password repeating the user name is a weak real one."""
    m = _URL_CREDS.search(value)
    if not m:
        return None
    pw = m.group(2)
    if pw.startswith(("$", "{", "%(", "<", "*")) or pw.lower() in {"password", "pass", "pw", "secret", "changeme"} \
            or pw.lower() in STOCK_PASSWORDS or pw.lower() in DEMO_PASSWORDS or (pw == m.group(1) and not deployed):
        return None  # (a password that repeats the user name, `postgres://app:app@db`, is a container's default)
    return pw


# An ODBC / ADO.NET / JDBC-style connection string: `key=value;` pairs naming the server or user next to a password.
_CONN_PASSWORD = re.compile(r"(?:^|;)\s*(?:PWD|Password)\s*=\s*([^;]+)", re.IGNORECASE)
_CONN_PEER = re.compile(r"(?:^|;)\s*(?:UID|User ID|User|Server|Data Source|DSN|Driver|Database|Host)\s*=",
                        re.IGNORECASE)


def connection_string_password(value: str) -> str | None:
    """The password of a connection string (`DRIVER={FreeTDS};SERVER=10.0.0.4;UID=sa;PWD=s3cret;`), unless it is a
    placeholder or a format field (`PWD=%s`, `PWD={password}`)."""
    m = _CONN_PASSWORD.search(value)
    if not m or not _CONN_PEER.search(value):
        return None
    pw = m.group(1).strip()
    if not pw or pw.startswith(("$", "{", "%", "<", "*")) or is_placeholder(pw) \
            or pw.lower() in STOCK_PASSWORDS | DEMO_PASSWORDS:
        return None
    return pw


def looks_like_secret_value(value: str, *, password_like: bool, short_ok: bool = False) -> bool:
    """A literal that could be a real credential for a secret-like name (not a label, path or id). `short_ok`: the
    name says password outright (`EMAIL_HOST_PASSWORD`), so six or seven characters can be one."""
    v = value.strip()
    # A short password is still one when it mixes letters and digits (`cc3721b`); a short word is a label, and a
    # word with a number after it (`blue123`) a demo account's.
    short_password = short_ok and len(v) >= 6 and any(c.isdigit() for c in v) and any(c.isalpha() for c in v) \
        and not _WORD_THEN_DIGITS.match(v)
    if is_placeholder(v) or (len(v) < 8 and not short_password) or any(c.isspace() for c in v) or _UUID.match(v) \
            or _DOTTED.match(v):
        return False
    if v.lower() in DEMO_PASSWORDS or v in PUBLISHED_TEST_KEYS:
        return False
    if _ALPHABET.search(v):  # a character set tokens are drawn from (`"ABC…xyz0123456789"`), not a token
        return False
    if _PASSWORD_HASH.match(v):  # Django's stored form of a password: what is checked against, not the secret
        return False
    # paths, addresses and URNs (`urn:oid:2.5.4.35`, the LDAP attribute a SAML map names `userPassword`) name things
    if v.startswith(("/", "http://", "https://", "./", "~", "urn:")) or v.endswith((".pem", ".key", ".json", ".txt")):
        return False
    if password_like:
        return True
    from .masking import shannon_entropy

    return len(v) >= 16 and shannon_entropy(v) >= 3.0


def looks_dummy(value: str) -> bool:
    return _DUMMY.search(value) is not None


def real_credential(value: str) -> bool:
    """A settings file's value that is a credential as written: not empty, no placeholder, no stock or demo password
    of a local service, and no reference to another variable or template (`$DB_PASSWORD`, `{{ vault_pw }}`)."""
    v = value.strip()
    return bool(v) and not is_placeholder(v) and v.lower() not in STOCK_PASSWORDS | DEMO_PASSWORDS \
        and not v.startswith(("$", "%", "{{"))


def real_looking_in_test(value: str) -> bool:
    """In a tests module, a literal is a leak only when it is no obvious dummy and looks like a real
    credential: a vendor format (`sk_live_…`, `AKIA…`) or a long high-entropy string. Fixture passwords
    (`password="test-password-123"`, `override_settings(API_KEY="dummy-key")`) are not."""
    v = value.strip()
    if looks_dummy(v) or is_placeholder(v):
        return False
    if token_kind(v) is not None:
        return True
    if len([w for w in re.split(r"[-_ ]+", v) if w.isalpha() and w.islower()]) >= 3:
        return False  # a readable phrase ("a-complex-pass-with-lots-of-stuff"): a password validator's fixture
    from .masking import shannon_entropy

    # Stricter than outside tests: a readable fixture passphrase ("correct-horse-battery", 3.3 bits)
    # is not a leak; 20+ random characters (>= 3.9 bits, i.e. hex or base62 keys) are.
    return looks_like_secret_value(v, password_like=False) and len(v) >= 20 and shannon_entropy(v) >= 3.9


_BODY_FIELDS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})
# Nodes that hold no literal, at any depth (a third of a tree's nodes): never pushed.
_NO_LITERALS = frozenset({ast.Name, *(c for base in (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop,
                                                         ast.boolop) for c in base.__subclasses__())})


def string_literals(tree: ast.AST) -> list[tuple[ast.stmt, ast.Constant, str]]:
    """Every str literal (node and text) with its innermost enclosing statement (header expressions of
    compound ones). Literals of `except` clauses and `case` patterns have no statement and are left out."""
    out: list[tuple[ast.stmt, ast.Constant, str]] = []
    stack: list[tuple[ast.AST, ast.stmt | None]] = [(tree, None)]
    while stack:
        node, owner = stack.pop()
        if isinstance(node, ast.Constant):
            if owner is not None and isinstance(node.value, str):
                out.append((owner, node, node.value))
            continue
        if isinstance(node, ast.stmt):
            owner = node
        for name in node._fields:
            value = getattr(node, name, None)
            inner = None if owner is node and name in _BODY_FIELDS else owner
            if isinstance(value, ast.AST):
                if type(value) not in _NO_LITERALS:
                    stack.append((value, inner))
            elif type(value) is list:
                stack.extend((item, inner) for item in value
                             if isinstance(item, ast.AST) and type(item) not in _NO_LITERALS)
    return out


def literal_value(value: ast.expr | None, imports: ImportMap) -> str | None:
    """The str literal a value is (or falls back to, for env lookups), else None."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    return literal_fallback(value, imports) if value is not None else None


def target_name(target: ast.expr) -> str | None:
    """`X`, `obj.X` or `d["X"]` -> "X"."""
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) and isinstance(
            target.slice.value, str):
        return target.slice.value
    return None


# Environment variables only CI services set: a branch on them configures the CI job, not production.
_CI_VARS = frozenset({"CI", "GITHUB_ACTIONS", "GITHUB_WORKFLOW", "GITLAB_CI", "TRAVIS", "CIRCLECI", "JENKINS_URL",
                      "BUILDKITE", "TF_BUILD", "BITBUCKET_BUILD_NUMBER"})


def ci_only_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside the body of an `if` that tests a CI-only environment variable."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and any(isinstance(n, ast.Constant) and n.value in _CI_VARS
                                            for n in ast.walk(node.test)):
            for stmt in node.body:
                out.update(id(n) for n in ast.walk(stmt))
    return out


def development_only(ctx: Any) -> bool:
    """The file is a settings module only developers or test runs load: DEBUG on, or a test settings module
    (`settings/test.py`), and not what the WSGI/ASGI entry points serve."""
    if not ctx.src.looks_like_settings:
        return False
    facts: SettingsModules | None = ctx.project.fact(SETTINGS)
    if facts is None:
        return False
    if ctx.src.looks_like_test:
        return bool(facts.production) and ctx.imports.module not in facts.production
    return facts.development_only(ctx.imports.module)
