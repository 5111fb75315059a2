"""Masking across findings: a secret or PHI literal never reaches a report through the snippet of
*another* finding on the same line (a quality finding on `requests.get(u, auth=("svc", "pw"))`).

Run once on the final findings, after fingerprints (they hash their own masked text), for every
writer alike. On each line a `secret` or `phi` finding covers, every string literal of every
snippet showing that line is masked; on all other lines the secret detectors of the LLM
redaction (vendor token formats, key blocks, URL passwords, credentials in call arguments and
headers) still apply, and patient identifiers (MRN, SSN) too.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from checks.finding import Category, Finding
from checks.masking import mask
from checks.review.redact import Redactor

_LITERAL = re.compile(r"""(?P<p>[rbuRBUfF]{0,2})(?P<q>'''|\"\"\"|'|")(?P<body>(?:\\.|(?!(?P=q)).)*?)(?P=q)""")
_SENSITIVE = (Category.SECRET, Category.PHI)


def mask_snippets(findings: Sequence[Finding]) -> list[Finding]:
    sensitive: dict[str, set[int]] = {}
    for f in findings:
        if f.category in _SENSITIVE:
            sensitive.setdefault(f.path, set()).update(range(f.start_line, f.end_line + 1))
    out = []
    for f in findings:
        if not f.snippet:
            out.append(f)
            continue
        lines = f.snippet.split("\n")
        flagged = sensitive.get(f.path, set())
        masked = "\n".join(_literals(line) if f.start_line + i in flagged else _detected(line)
                           for i, line in enumerate(lines))
        out.append(f if masked == f.snippet else f.model_copy(update={"snippet": masked}))
    return out


def _literals(line: str) -> str:
    return _LITERAL.sub(lambda m: m["p"] + m["q"] + (mask(m["body"]) if len(m["body"]) > 2 else m["body"])
                        + m["q"], line)


def _detected(line: str) -> str:
    redacted = Redactor().redact(line)
    if redacted == line:
        return line
    kinds = set(re.findall(r"<(SECRET|SSN|MRN|NAME)_\d+>", redacted))
    return _literals(line) if kinds else line
