"""Redaction before anything leaves the machine: secrets and PHI-like literals become typed placeholders.

The same value gets the same placeholder within one request (`<SECRET_1>` twice means the same secret),
so the reviewer can still reason about data flow. Detectors: the secret rules' vendor formats, key
blocks and URL passwords (checks/secrets.py), literals assigned to secret-like names, high-entropy
strings, and PHI-like literals (SSN, MRN, phone, email, dates, person names in fixtures).
"""
from __future__ import annotations

import re
from collections.abc import Callable

from ..masking import shannon_entropy
from ..secrets import TOKEN_FORMATS, is_placeholder, is_secret_name

_PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)",
    re.DOTALL)
_URL_PASSWORD = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s'\"]*:)([^@/\s'\"]+)(@)")
_QUOTED = re.compile(r"""(?P<q>'''|\"\"\"|'|")(?P<body>(?:\\.|(?!(?P=q)).)*?)(?P=q)""", re.DOTALL)
# NAME = "value" / "NAME": "value" / NAME="value" (keyword argument)
_NAMED_LITERAL = re.compile(
    r"""(?P<name>[A-Za-z_][\w]*)['"]?\s*(?::|=|\+=)\s*[rbuRBU]?(?P<q>['"])(?P<body>(?:\\.|(?!(?P=q)).)*)(?P=q)""")
_SSN = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
_MRN = re.compile(r"(?i)\b(?:MRN|medical[_ ]record(?:[_ ]number)?|patient[_ ]id)\b[\s:#=\"'\-]*([A-Z]{0,4}-?\d{5,})"
                  r"|\bMRN-?\d{4,}\b")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b")
_PHONE = re.compile(r"(?<![\w.])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{2,4}\)|\d{3})[ .\-]\d{3}[ .\-]\d{4}(?![\w])")
_DATE = re.compile(r"(?<![\w-])(?:(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])"
                   r"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:19|20)\d{2}"
                   r"|(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])/(?:19|20)\d{2})(?![\w-])")
_DATE_CALL = re.compile(r"\b(?:date|datetime)\(\s*(?:19|20)\d{2}\s*,\s*\d{1,2}\s*,\s*\d{1,2}[^)]*\)")
_PLACEHOLDER = re.compile(r"<[A-Z]+_\d+>")
# Credentials in call arguments and headers: auth=("svc", "pw"), HTTPBasicAuth("svc", "pw"),
# {"Authorization": "Bearer …"}, {"X-Api-Key": "…"}.
_AUTH_PAIR = re.compile(r"""(?i)(?:\bauth\s*=\s*\(|BasicAuth\(|DigestAuth\()\s*(?P<q1>['"])[^'"]*(?P=q1)\s*,\s*"""
                        r"""(?P<q>['"])(?P<body>[^'"]+)(?P=q)""")
_AUTH_HEADER = re.compile(r"""(?i)(?P<name>authorization|proxy-authorization|x-api-key|api-key|x-auth-token|"""
                          r"""cookie)['"]\s*:\s*(?P<q>['"])(?P<body>[^'"]+)(?P=q)""")
_PERSON = re.compile(r"^[A-Z][a-z'\-]+(?: [A-Z]\.?)?(?: [A-Z][a-z'\-]+){1,2}$")
_NAME_KEYS = re.compile(r"(?i)^(?:first|last|given|family|middle|full|patient|maiden|sur|nick)?_?name$|^surname$")


class Redactor:
    """Replaces sensitive literals with typed placeholders; one instance per request."""

    def __init__(self, phi_fields: frozenset[str] = frozenset()) -> None:
        self.phi_fields = frozenset(f.lower() for f in phi_fields)  # the project's identifying field names
        self._by_value: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = {}
        self.counts: dict[str, int] = {}  # kind -> distinct values redacted

    def placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self._by_value:
            n = self._counts.get(kind, 0) + 1
            self._counts[kind] = n
            self.counts[kind] = n
            self._by_value[key] = f"<{kind}_{n}>"
        return self._by_value[key]

    def redact(self, text: str) -> str:
        text = _PRIVATE_KEY_BLOCK.sub(lambda m: self.placeholder("SECRET", m.group(0)), text)
        for _kind, pattern in TOKEN_FORMATS:
            text = pattern.sub(lambda m: self.placeholder("SECRET", m.group(0)), text)
        text = _URL_PASSWORD.sub(lambda m: m.group(1) + self.placeholder("SECRET", m.group(2)) + m.group(3), text)
        text = _AUTH_PAIR.sub(self._body_secret, text)
        text = _AUTH_HEADER.sub(self._body_secret, text)
        text = _NAMED_LITERAL.sub(self._named, text)
        text = _sub(_EMAIL, text, lambda v: self.placeholder("EMAIL", v))
        text = _sub(_SSN, text, lambda v: self.placeholder("SSN", v))
        text = _MRN.sub(lambda m: self._group_or_all(m, "MRN"), text)
        text = _sub(_DATE_CALL, text, lambda v: self.placeholder("DATE", v))
        text = _sub(_DATE, text, lambda v: self.placeholder("DATE", v))
        text = _sub(_PHONE, text, lambda v: self.placeholder("PHONE", v))
        return _QUOTED.sub(self._quoted, text)  # last: high-entropy strings and person names

    def _body_secret(self, m: re.Match[str]) -> str:
        if _PLACEHOLDER.fullmatch(m.group("body")):
            return m.group(0)
        start, end = m.span("body")
        off = m.start(0)
        return m.group(0)[:start - off] + self.placeholder("SECRET", m.group("body")) + m.group(0)[end - off:]

    def _group_or_all(self, m: re.Match[str], kind: str) -> str:
        if m.group(1):
            start, end = m.span(1)
            whole = m.group(0)
            off = m.start(0)
            return whole[:start - off] + self.placeholder(kind, m.group(1)) + whole[end - off:]
        return self.placeholder(kind, m.group(0))

    def _named(self, m: re.Match[str]) -> str:
        name, body = m.group("name"), m.group("body")
        if body.startswith("<") and body.endswith(">"):
            return m.group(0)
        kind = None
        if is_secret_name(name) and not is_placeholder(body) and len(body) >= 4:
            kind = "SECRET"
        elif _NAME_KEYS.match(name) and _looks_like_person(body):
            kind = "NAME"
        elif name.lower() in self.phi_fields and body.strip() and not is_placeholder(body):
            kind = "PHI"  # `mrn="A1234567"`, `nhs_number = "943 476 5919"`: a value of an identifying field
        if kind is None:
            return m.group(0)
        start, end = m.span("body")
        off = m.start(0)
        whole = m.group(0)
        return whole[:start - off] + self.placeholder(kind, body) + whole[end - off:]

    def _quoted(self, m: re.Match[str]) -> str:
        body = m.group("body")
        if _PLACEHOLDER.search(body):
            return m.group(0)
        if _high_entropy(body):
            return m.group("q") + self.placeholder("SECRET", body) + m.group("q")
        if _PERSON.match(body):
            return m.group("q") + self.placeholder("NAME", body) + m.group("q")
        return m.group(0)


def _sub(pattern: re.Pattern[str], text: str, repl: Callable[[str], str]) -> str:
    return pattern.sub(lambda m: repl(m.group(0)), text)


def _looks_like_person(value: str) -> bool:
    parts = value.split()
    return 1 <= len(parts) <= 4 and all(p[:1].isupper() and p.replace("-", "").replace("'", "").replace(".", "")
                                        .isalpha() for p in parts)


def _high_entropy(value: str) -> bool:
    """A random-looking token: long, no spaces, mixed characters, high entropy."""
    v = value.strip()
    if len(v) < 16 or any(c.isspace() for c in v) or v.startswith(("/", "http://", "https://", "{", "%")):
        return False
    if re.fullmatch(r"[a-z_.]+|[A-Z_.]+|[\w.]+\.(?:py|html|txt|json|css|js)", v):
        return False
    classes = sum(bool(re.search(p, v)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    return classes >= 2 and shannon_entropy(v) >= 3.5
