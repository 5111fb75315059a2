"""Calls whose result no longer identifies a patient: masking, hashing, pseudonymisation.

Recognised by name (`mask_nhs_number`, `redact`, `pseudonymise`, `hashlib.sha256`, `hmac.new`,
`anonymize`, `scrub`…) and from config: `[tool.wardgate.domain] phi_sanitisers` (qualified or
short names of the project's own helpers). A value passed through one stops being a flow.
"""
from __future__ import annotations

import re

from ..names import last_part, matches

_SANITISER = re.compile(
    r"mask|redact|scrub|anonymi[sz]|pseudonymi[sz]|pseudo_?id|obfuscat|sanitis|sanitiz|hash|digest|encrypt|"
    r"sha(1|224|256|384|512)\b|md5|blake2|hmac|token_?for|initials", re.IGNORECASE)
_MODULES = ("hashlib.", "hmac.", "secrets.", "cryptography.")
# Counting and testing reveal nothing about who the patient is.
NON_REVEALING = frozenset({"len", "bool", "isinstance", "type", "id", "hasattr", "callable", "count", "exists",
                           "any", "all", "sum", "min", "max", "keys", "info", "describe"})


def is_sanitiser(qualname: str | None, configured: tuple[str, ...] = ()) -> bool:
    if not qualname:
        return False
    if qualname.startswith(_MODULES):
        return True
    if configured and matches(qualname, *configured):
        return True
    return bool(_SANITISER.search(last_part(qualname)))
